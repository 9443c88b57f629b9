"""Ledger exports from the finance system: postings read through a column mapping, checked, and summed per month.

A ledger export is a CSV file (``;`` or ``,``, decimal commas and thousands dots, Danish dates) or an Excel workbook
with one row per posting. A small YAML mapping (example: ``parameters/mappings/ledger.yaml``) names the export's
columns::

    columns:
      function_code: Funktion      # 5.38.50, 53850 or 5.38.50.001 (function, then grouping)
      date: Bogføringsdato         # 31-01-2025, 31.01.2025, 2025-01-31, or an Excel date
      amount: Beløb                # 1.234.567,89; or debit: and credit: for two columns
      art: Art                     # optional: the type of expense or income (1 wages ... 7 income, 8.6 refunds)
      dranst: Dranst               # optional: 1 operating, 2 state refunds, 3 construction
      posting_id: Bilagsnr.        # optional: for finding duplicate postings
      text: Tekst                  # optional: for finding duplicates; never stored or shown
    constants:
      municipality_code: 706       # or a column, or --municipality on the command line

What is loaded
    The operating postings (dranst 1, however written: ``1``, ``01``, ``1.0``, ``Drift``, ``1 Drift``; all postings
    when the export has no dranst column), summed per municipality, function, year and month into the warehouse
    table ``ledger``. A file replaces exactly the period it covers (see :func:`load`): a declared ``period``, or
    the months it holds postings in; a file that covers much less of a function-year than the warehouse holds is
    refused unless ``replace_partial``. Every replaced row is kept, and the load can be undone
    (:func:`analysis.data.loads.undo`). A dranst or art that is not recognised is refused.
What is checked (:func:`check_postings`, recorded with the load for the data-quality report)
    Function codes unknown to the chart-of-accounts list shipped in the package (:func:`chart_of_accounts`, a
    partial list) or retired; postings on the wrong type of account (with an art column: financial expenses, art
    6, on an operating function of main accounts 0-6; state refunds, art 8.6, outside dranst 2; an expense art 0-5
    on an income-only function); negative postings (an expense art, or any posting without an art column, with a
    negative amount: reversals and refunds, worth a look); duplicate postings (rows equal in every mapped column).
    Findings never stop a load: the postings are loaded as booked and the report lists what to look at. A file
    that cannot be read (a missing column, a date or amount that is not one, a malformed function code) is
    refused with an error naming the row and the column.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads
from analysis.data.loads import ColumnMapping, Finding, LoadResult, kr
from analysis.data.schema import SchemaError
from analysis.errors import InputError
from analysis.privacy import mask_cpr

__all__ = [
    "ART_GROUPS",
    "DRANST",
    "FIELDS",
    "PreparedLedger",
    "art_code",
    "chart_of_accounts",
    "check_postings",
    "dranst_code",
    "load",
    "parse_period",
    "prepare",
    "read_mapping",
    "read_postings",
    "to_ledger",
    "write",
]

#: The fields a ledger mapping may name.
FIELDS = (
    "function_code",
    "date",
    "amount",
    "debit",
    "credit",
    "art",
    "dranst",
    "posting_id",
    "text",
    "municipality_code",
)
_REQUIRED = (("function_code",), ("date",), ("amount", "debit"))

#: The main groups (hovedarter) of the chart of accounts' types of expense and income (arter).
ART_GROUPS = {
    "0": "Beregnede omkostninger",
    "1": "Lønninger",
    "2": "Varekøb",
    "4": "Tjenesteydelser mv.",
    "5": "Tilskud og overførsler",
    "6": "Finansudgifter",
    "7": "Indtægter",
    "8": "Finansindtægter",
    "9": "Interne udgifter og indtægter",
}
_EXPENSE_GROUPS = ("0", "1", "2", "4", "5")
_REFUND_ART = "8.6"


@cache
def _chart() -> pd.DataFrame:
    text = resources.files("analysis.data").joinpath("reference/chart_of_accounts.csv").read_text("utf-8")
    df = pd.read_csv(io.StringIO(text), sep=";", comment="#", dtype=str, keep_default_na=False)
    df["valid_to"] = pd.to_numeric(df["valid_to"].replace("", None), errors="coerce").astype("Int64")
    return df


def chart_of_accounts() -> pd.DataFrame:
    """The package's (partial) list of function codes of the chart of accounts.

    Returns
    -------
    pandas.DataFrame
        function_code ('5.38.50'), name (Danish), main_function ('5.38'), kind ('operating' or 'income') and
        valid_to (the last accounting year a retired code may be used; empty while in use). See the comment lines
        of ``analysis/data/reference/chart_of_accounts.csv`` for where the list comes from.
    """
    return _chart().copy()


def read_mapping(path: str | os.PathLike) -> ColumnMapping:
    """Read a ledger mapping (see the module docstring); errors name the mapping file and the key."""
    return loads.read_mapping(path, fields=FIELDS, required=_REQUIRED, options={})


def _text_code(v: object) -> str | None:
    """An art or dranst as text: '4.9', '1'; Excel's 1.0 becomes '1'."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v).strip()
    return text or None


#: Dranst (drifts-/anlægsstatus) by code; names are matched without regard to case.
DRANST = {"1": "Drift", "2": "Statsrefusion", "3": "Anlæg"}
_DRANST_NAMES = {"drift": "1", "statsrefusion": "2", "refusion": "2", "anlæg": "3"}
_CODE = re.compile(r"^0*(\d)(?:[.,]0+)?$")
_ART = re.compile(r"^(\d)(?:[.,](\d))?$")


def dranst_code(value: object) -> str | None:
    """A dranst as its code '1', '2' or '3'; None when the value is not one (empty values are handled by the caller).

    ``1``, ``01``, ``1.0``, ``Drift``, ``1 Drift`` and ``1 - Drift`` all mean operating (1).

    >>> [dranst_code(v) for v in ("1", "01", "1.0", 1.0, "Drift", "1 Drift", "1 - drift", "2 Statsrefusion")]
    ['1', '1', '1', '1', '1', '1', '1', '2']
    >>> [dranst_code(v) for v in ("D", "4", "1 Anlæg", "11")]
    [None, None, None, None]
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        if float(value).is_integer() and str(int(value)) in DRANST:
            return str(int(value))
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    if text.casefold() in _DRANST_NAMES:
        return _DRANST_NAMES[text.casefold()]
    m = re.match(r"^(\S+)(?:\s*[-–:]?\s*(.+))?$", text)
    if not m:
        return None
    code = _CODE.match(m.group(1))
    if not code or code.group(1) not in DRANST:
        return None
    name = m.group(2)
    if name is not None and _DRANST_NAMES.get(name.strip().casefold()) != code.group(1):
        return None
    return code.group(1)


def art_code(value: object) -> str | None:
    """An art (type of expense or income) as '4.7' or its main group '4'; None when it is not one.

    >>> [art_code(v) for v in ("4.7", "4,7", 4.7, "1.0", 1.0, "5", "8.6 Refusion")]
    ['4.7', '4.7', '4.7', '1.0', '1', '5', '8.6']
    >>> [art_code(v) for v in ("3.1", "47", "Løn", "4.77")]
    [None, None, None, None]
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        value = str(int(value)) if float(value).is_integer() else f"{float(value):g}"
    text = re.sub(r"\s+", " ", str(value)).strip()
    m = _ART.match(text.split(" ", 1)[0])
    if not m or m.group(1) not in ART_GROUPS:
        return None
    return m.group(1) + (f".{m.group(2)}" if m.group(2) else "")


def _texts(values: pd.Series) -> np.ndarray:
    """Cells as stripped text (None when empty); Excel's whole numbers as '1', not '1.0' (see _text_code)."""
    arr = values.to_numpy(dtype=object)
    if all(isinstance(v, str) or v is None for v in arr):
        stripped = pd.Series(arr, dtype=object).str.strip()
        return stripped.where(stripped.fillna("") != "", None).to_numpy(dtype=object)
    return values.map(_text_code).to_numpy(dtype=object)


_WHOLE = re.compile(r"0|[1-9]\d{0,17}")


def _voucher_numbers(ids: np.ndarray) -> np.ndarray:
    """Voucher numbers as int64 when every one is a whole number without leading zeros, else as they are.

    (8 bytes a posting instead of a string object of about 60.)
    """
    if len(ids) and all(isinstance(v, str) and _WHOLE.fullmatch(v) for v in ids):
        return np.asarray(ids, dtype=np.int64)
    return ids


#: A label of a total or subtotal row, as finance systems and spreadsheets write it ('I alt', 'Total', 'Sum').
_TOTAL_WORD = r"(?:i\s*alt|total[t]?|sub-?total|sum|hovedtotal|grand\s+total)"
_TOTAL_IN_CODE = re.compile(rf"(?im)(?<![^\W\d_]){_TOTAL_WORD}(?![^\W\d_])")
_TOTAL_TEXT = re.compile(
    rf"(?im)^[^\S\n]*(?:{_TOTAL_WORD}(?:\s+i\s*alt)?\s*:?|.*\s(?:i\s*alt|total)\s*:?)[^\S\n]*$"
)


#: The columns a total's label is looked for in: the others (date, amount, art, dranst, municipality) are read
#: strictly, so that 'I alt' there is refused anyway as no date, amount or code.
_TOTAL_COLUMNS = ("function_code", "posting_id", "text")


def _refuse_total_rows(df: pd.DataFrame, rows: np.ndarray, source: str, columns: dict[str, str]) -> None:
    """Refuse a row that is a total or subtotal ('I alt', 'Total', 'Sum', '5.38.50 I alt'), naming row and column.

    A total's amount is the sum of the postings above it: summed with them it would count them twice. The word in
    the function or voucher column marks a total row (a function code followed by 'I alt' used to read as the code);
    in the text column the whole text must be such a label ('I alt', 'Total:', 'Botilbud i alt').
    """
    hits = []
    for name in [c for c in _TOTAL_COLUMNS if c in df.columns]:
        pattern = _TOTAL_TEXT if name == "text" else _TOTAL_IN_CODE
        cells = df[name].to_numpy(dtype=object)
        values = (
            pd.unique(cells) if name == "function_code" else cells
        )  # function codes: a few distinct values
        # the column's texts joined, searched for the words' letters first (at C speed), by the pattern only when
        # one is there, and cell by cell only when the pattern finds a label
        joined = "\n".join([v for v in values if v.__class__ is str]).casefold()
        if not any(w in joined for w in ("alt", "tot", "sum")) or not pattern.search(joined):
            continue
        labels = {v for v in pd.unique(cells) if isinstance(v, str) and pattern.search(v)}
        if labels:
            i = int(np.flatnonzero(np.isin(cells, list(labels)))[0])
            hits.append((i, name, cells[i]))
    if hits:
        i, name, v = min(hits, key=lambda h: h[0])
        raise SchemaError(
            source,
            "postings only: a total or subtotal row sums the postings above it, and summed with them it would "
            "count them twice; export the postings without totals, or delete the total rows",
            row=int(rows[i]),
            column=columns.get(name, name),
            found_text=f"a total row ('{v.strip()}')",
        )


def _postings(
    df: pd.DataFrame,
    rows: np.ndarray,
    *,
    source: str,
    mapping: ColumnMapping,
    municipality_code: int | None,
    decimal: str,
    decimal_declared: bool,
) -> pd.DataFrame:
    """One chunk of the export's mapped cells as postings (see :func:`read_postings`)."""
    _refuse_total_rows(df, rows, source, {k: mapping.columns.get(k, k) for k in FIELDS})
    f = loads.Fields(
        df,
        source,
        rows,
        {k: mapping.columns.get(k, k) for k in FIELDS},
        date_format=mapping.format.date_format,
        decimal=decimal,
        decimal_declared=decimal_declared,
    )
    munis = f.municipalities(municipality_code, mapping.source)
    functions = f.function_codes()
    dates = f.dates("date")
    if f.has("amount"):
        amount = f.amounts("amount")
    else:
        debit = f.amounts("debit", required=False)
        credit = f.amounts("credit", required=False) if f.has("credit") else pd.Series(0.0, index=df.index)
        both_empty = debit.isna().to_numpy() & credit.isna().to_numpy()
        if both_empty.any():
            row = int(rows[int(np.flatnonzero(both_empty)[0])])
            raise SchemaError(
                source, "an amount in debit or credit", row=row, column=f.column("debit"), found_text="empty"
            )
        amount = debit.fillna(0) - credit.fillna(0)
    stamp = pd.DatetimeIndex(dates.to_numpy())
    postings = pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=np.int64),
            "municipality_code": np.asarray(munis, dtype=np.int64),
            "function_code": np.asarray(functions, dtype=object),
            "date": dates.to_numpy(),
            "year": stamp.year.to_numpy(dtype=np.int64),
            "month": stamp.month.to_numpy(dtype=np.int64),
            "amount_dkk": amount.round(2).to_numpy(),
        }
    )
    postings["art"] = f.codes(
        "art", art_code, "an art such as 1.0, 4.7 or 8.6 (main groups " + ", ".join(ART_GROUPS) + ")"
    )
    postings["dranst"] = f.codes(
        "dranst",
        dranst_code,
        "a dranst: 1 (Drift), 2 (Statsrefusion) or 3 (Anlæg), written e.g. 1, 01, 1.0, Drift or 1 Drift",
    )
    if "posting_id" in df.columns:
        # a CPR-shaped voucher number becomes '[CPR]' before anything keeps it (warehouse, findings' examples)
        ids = _texts(df["posting_id"])
        postings["posting_id"] = _voucher_numbers(
            np.asarray([mask_cpr(v) if isinstance(v, str) else v for v in ids], dtype=object)
        )
    else:
        postings["posting_id"] = None
    if "text" in df.columns:  # only its fingerprint is kept: the text is for finding duplicates, never stored
        texts = _texts(df["text"])
        postings["text_hash"] = pd.util.hash_array(np.where(pd.isna(texts), "", texts).astype(object))
    else:
        postings["text_hash"] = np.zeros(len(postings), dtype=np.uint64)
    return postings


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' postings as one frame, column by column, freeing each chunk's column once it is copied."""
    if len(parts) == 1:
        return parts[0]
    columns = {}
    for name in list(parts[0].columns):
        arrays = [p[name].to_numpy() for p in parts]
        if len({a.dtype for a in arrays}) > 1:  # e.g. voucher numbers whole in one chunk, text in another
            arrays = [a if a.dtype == object else a.astype(str).astype(object) for a in arrays]
        columns[name] = np.concatenate(arrays)
        for p in parts:
            del p[name]
    return pd.DataFrame(columns, copy=False)  # no second copy of the columns


def read_postings(
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_rows: int = loads.CHUNK_ROWS,
) -> tuple[pd.DataFrame, loads.TableReader]:
    """Read a ledger export into one row per posting, chunk by chunk.

    Parameters
    ----------
    path
        The export (CSV or .xlsx).
    mapping
        A mapping or the path of its YAML file.
    municipality_code
        The municipality, when the export has no column for it and the mapping no constant.
    progress
        Called after each chunk with (bytes read, bytes in the file).
    chunk_rows
        Rows parsed at a time (memory grows with it, not with the file).

    Returns
    -------
    (pandas.DataFrame, TableReader)
        Postings with columns row (the file's row), municipality_code, function_code, date, year, month,
        amount_dkk (DKK; debit minus credit when the export has two columns), art ('4.7', or the main group '4'),
        dranst ('1', '2' or '3'), posting_id, text_hash (a 64-bit fingerprint of the text: the text itself is not
        kept); and the file as opened (source, notes, SHA-256).

    Raises
    ------
    SchemaError
        For a missing column, a municipality, date, amount, function code, art or dranst that cannot be read (or an
        amount that reads two ways), naming the file, the row and the column.
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    reader = loads.open_table(path, mapping.format, headings=list(mapping.columns.values()))
    parts = []
    report = (lambda n: progress(n, reader.size)) if progress else None
    for cells, rows in reader.chunks(rows=chunk_rows, progress=report):
        chunk = loads.SourceTable(cells, reader.source, rows, reader.delimiter, reader.decimal, reader.notes)
        df = loads.select_columns(chunk, mapping)
        parts.append(
            _postings(
                df,
                rows,
                source=reader.source,
                mapping=mapping,
                municipality_code=municipality_code,
                decimal=reader.decimal,
                decimal_declared=reader.decimal_declared,
            )
        )
        del cells, chunk, df
    postings = _concat(parts)
    col = {k: mapping.columns.get(k, k) for k in FIELDS}
    present = set(mapping.columns) | set(mapping.constants)
    postings.attrs["columns"] = {k: v for k, v in col.items() if k in present}
    return postings, reader


def _example(p: pd.Series) -> str:
    parts = [
        f"række {int(p['row'])}: {p['function_code']}",
        f"{pd.Timestamp(p['date']):%d.%m.%Y}",
        kr(p["amount_dkk"]),
    ]
    if isinstance(p.get("art"), str):
        parts.append(f"art {p['art']}")
    voucher = p.get("posting_id")
    if isinstance(voucher, str | int | np.integer) and not isinstance(voucher, bool):
        parts.append(f"bilag {voucher}")
    return ", ".join(parts)


def _finding(
    check: str, hits: pd.DataFrame, unit: str = "posteringer", note: str = "", n: int = 5
) -> Finding:
    return Finding(check, int(len(hits)), unit, [_example(r) for _, r in hits.head(n).iterrows()], note)


def _by_value(series: pd.Series, fn) -> np.ndarray:
    """``fn`` of each value, computed once per distinct value (None/NaN stays None)."""
    codes, uniques = loads._codes(series)
    table = np.asarray([*(fn(u) for u in uniques), fn(None)], dtype=object)
    return table[codes]


def _fingerprint(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A 64-bit hash of each row's values in ``columns`` (rows with equal values get equal hashes)."""
    out = np.zeros(len(df), dtype=np.uint64)
    for c in columns:
        h = pd.util.hash_array(df[c].to_numpy())  # factorised first: None and NaN hash alike
        out = (out * np.uint64(1_000_003)) ^ h
    return out


def check_postings(
    postings: pd.DataFrame, chart: pd.DataFrame | None = None, examples: int = 5
) -> list[Finding]:
    """The data-quality checks on postings (see the module docstring), one Finding per check.

    Parameters
    ----------
    postings
        :func:`read_postings`'s postings of one municipality.
    chart
        The chart-of-accounts list; default :func:`chart_of_accounts`.
    examples
        Examples kept per check.
    """
    chart = _chart() if chart is None else chart
    known = chart.set_index("function_code")
    in_chart = postings["function_code"].isin(known.index).to_numpy()
    unknown = postings[~in_chart]
    codes = ", ".join(sorted(unknown["function_code"].unique()))
    out = [_finding("unknown_function", unknown, note=f"koder: {codes}" if codes else "", n=examples)]
    last_year = known["valid_to"].dropna().astype(float).to_dict()
    valid_to = _by_value(postings["function_code"], lambda f: last_year.get(f, np.inf)).astype(float)
    retired = postings[in_chart & (postings["year"].to_numpy() > valid_to)]
    codes = ", ".join(sorted(retired["function_code"].unique()))
    out.append(_finding("retired_function", retired, note=f"koder: {codes}" if codes else "", n=examples))

    has_art = postings["art"].notna().any()
    group = pd.Series(
        _by_value(postings["art"], lambda a: a.strip()[0] if isinstance(a, str) and a.strip() else None),
        index=postings.index,
    )
    if has_art:
        main_account = pd.Series(
            _by_value(postings["function_code"], lambda f: int(f[0]) if isinstance(f, str) else -1),
            index=postings.index,
        ).astype(int)
        kind = postings["function_code"].map(known["kind"])
        financial = (group == "6") & (main_account <= 6)
        refund = pd.Series(
            _by_value(
                postings["art"], lambda a: isinstance(a, str) and a.replace(",", ".").startswith(_REFUND_ART)
            ),
            index=postings.index,
        ).astype(bool)
        refund_outside = refund & postings["dranst"].notna() & (postings["dranst"] != "2")
        expense_on_income = group.isin(_EXPENSE_GROUPS) & (kind == "income")
        wrong = postings[(financial | refund_outside | expense_on_income).to_numpy()]
        out.append(_finding("wrong_account_type", wrong, n=examples))
    else:
        out.append(Finding("wrong_account_type", None, "posteringer", note="filen har ingen art-kolonne"))

    expense = (group.isin(_EXPENSE_GROUPS) | group.isna()).to_numpy()
    negative = postings[(postings["amount_dkk"].to_numpy() < 0) & expense]
    out.append(_finding("negative_posting", negative, n=examples))

    text = "text_hash" if "text_hash" in postings.columns else "text"
    same = ["municipality_code", "function_code", "date", "amount_dkk", "art", "dranst", "posting_id", text]
    fingerprint = _fingerprint(postings, same)
    dup = pd.Series(fingerprint).duplicated(keep="first").to_numpy()
    duplicates = postings[dup]
    f = _finding("duplicate_posting", duplicates, n=examples)
    if len(duplicates):
        first_row = pd.Series(postings["row"].to_numpy()).groupby(fingerprint).transform("first").to_numpy()
        f.examples = [
            f"{e} (som række {int(r)})" for e, r in zip(f.examples, first_row[dup][:examples], strict=False)
        ]
    out.append(f)
    return out


def to_ledger(postings: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Postings summed per municipality, function, year and month (operating postings only, dranst 1).

    Returns
    -------
    (pandas.DataFrame, dict)
        Rows of table ``ledger`` (spending_dkk in DKK) and the postings left out, by reason.
    """
    skipped: dict[str, int] = {}
    operating = (postings["dranst"].isna() | (postings["dranst"] == "1")).to_numpy()
    if (~operating).any():
        skipped["dranst other than 1 (only operating postings are summed into the ledger)"] = int(
            (~operating).sum()
        )
    ledger = _month_sums(postings, operating).drop(columns="postings")
    return ledger, skipped


def _month_sums(postings: pd.DataFrame, operating: np.ndarray) -> pd.DataFrame:
    """The operating postings summed (spending_dkk) and counted (postings) per municipality, function and month."""
    keys = ["municipality_code", "function_code", "year", "month"]
    cols = postings.loc[operating, [*keys, "amount_dkk"]]  # a copy of these columns only
    ledger = cols.groupby(keys, as_index=False).agg(
        spending_dkk=("amount_dkk", "sum"), postings=("amount_dkk", "size")
    )
    ledger["spending_dkk"] = ledger["spending_dkk"].round(2)
    for k in ("municipality_code", "year", "month"):
        ledger[k] = ledger[k].astype(np.int64)
    return ledger


# ---------------------------------------------------------------------------------------------------------------
# The period a file replaces

_MONTH = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")


def parse_period(text: str) -> list[tuple[int, int]]:
    """The (year, month) pairs of a period: ``2025``, ``2025-03``, ``2025-01..2025-09`` or ``2024..2025``.

    >>> parse_period("2025-11..2026-02")
    [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
    >>> len(parse_period("2025"))
    12

    Raises
    ------
    InputError
        For text that is not a period.
    """
    parts = [p.strip() for p in str(text).split("..")]
    bounds = [_MONTH.match(p) for p in parts]
    if (
        len(parts) not in (1, 2)
        or not all(bounds)
        or any(b.group(2) and not 1 <= int(b.group(2)) <= 12 for b in bounds)
    ):
        raise InputError(
            f"--period: expected a year (2025), a month (2025-03) or a range (2025-01..2025-09), found {text!r}"
        )
    first = (int(bounds[0].group(1)), int(bounds[0].group(2) or 1))
    last_b = bounds[-1]
    last = (int(last_b.group(1)), int(last_b.group(2) or 12))
    if last < first:
        raise InputError(f"--period: the range {text!r} ends before it starts")
    months, (y, m) = [], first
    while (y, m) <= last:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _ym(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def _span(months: list[int], year: int) -> str:
    months = sorted(months)
    if months == list(range(months[0], months[-1] + 1)) and len(months) > 2:
        return f"{_ym(year, months[0])}..{_ym(year, months[-1])}"
    return ", ".join(_ym(year, m) for m in months)


def _partial(ledger: pd.DataFrame, held: pd.DataFrame, source: str) -> str | None:
    """The refusal for function-years the file covers much less of than the warehouse holds, or None.

    A function-year is refused when the file's months of it replace months in the warehouse and are fewer than half
    of the months the warehouse holds of it (e.g. one accrual dated 31-12-2024 in a 2025 export, against twelve
    months of 2024).
    """
    keys = ["municipality_code", "function_code", "year"]
    file_months = ledger.groupby(keys)["month"].apply(lambda s: sorted(set(s)))
    held_months = (
        held.groupby(keys)["month"].apply(lambda s: sorted(set(s))) if len(held) else pd.Series(dtype=object)
    )
    sums = held.set_index([*keys, "month"])["spending_dkk"] if len(held) else pd.Series(dtype=float)
    incoming = ledger.set_index([*keys, "month"])["spending_dkk"]
    cases = []
    for key, months in file_months.items():
        if key not in held_months.index:
            continue
        have = held_months[key]
        overlap = sorted(set(months) & set(have))
        if overlap and len(months) * 2 < len(have):
            muni, function, year = key
            before = sum(float(sums[(*key, m)]) for m in overlap)
            after = sum(float(incoming[(*key, m)]) for m in overlap)
            cases.append(
                f"{function} in {year} (municipality {muni}): the file holds {len(months)} month"
                f"{'s' if len(months) > 1 else ''} ({_span(months, year)}), the warehouse {len(have)} "
                f"({_span(have, year)}); loading would replace {_span(overlap, year)} ({kr(before)} in the "
                f"warehouse, {kr(after)} in the file)"
            )
    if not cases:
        return None
    shown = "; ".join(cases[:5]) + (f"; and {len(cases) - 5} more" if len(cases) > 5 else "")
    main = int(ledger.groupby("year")["month"].size().idxmax())
    return (
        f"{source}: the file covers much less than the warehouse holds of some function-years, so it may not be an "
        f"export of them (e.g. an accrual posted into the year before): {shown}. Nothing was loaded. Say what the "
        f"file covers with --period (e.g. --period {main}: the file replaces {main}, postings outside it are left "
        "out), or pass --replace-partial to replace exactly the months the file holds"
    )


@dataclass
class PreparedLedger:
    """A ledger export read, checked and summed per month, ready to be written (:func:`write`)."""

    source: str
    sha256: str
    ledger: pd.DataFrame
    postings_read: int
    first_year: int
    last_year: int
    findings: list[Finding]
    skipped: dict[str, int]
    notes: list[str]
    options: dict[str, object]
    municipalities: list[int]
    counts: np.ndarray  # operating postings in each row of ledger


def prepare(
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PreparedLedger:
    """Read, check and sum a ledger export without touching a warehouse (see :func:`load`)."""
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    postings, reader = read_postings(path, mapping, municipality_code=municipality_code, progress=progress)
    findings = []
    codes = postings["municipality_code"].unique()
    groups = [(codes[0], postings)] if len(codes) == 1 else postings.groupby("municipality_code")
    for code, group in groups:  # one municipality (the usual case): no copy of the postings
        for f in check_postings(group):
            f.municipality_code = int(code)
            findings.append(f)
    del groups
    operating = (postings["dranst"].isna() | (postings["dranst"] == "1")).to_numpy()
    skipped = {}
    if (~operating).any():
        skipped["dranst other than 1 (only operating postings are summed into the ledger)"] = int(
            (~operating).sum()
        )
    ledger = _month_sums(postings, operating)  # as to_ledger, with the number of postings of each month
    counts = ledger.pop("postings").to_numpy()
    munis = sorted(int(m) for m in postings["municipality_code"].unique())
    return PreparedLedger(
        source=reader.source,
        sha256=reader.sha256,
        ledger=ledger,
        postings_read=len(postings),
        first_year=int(postings["year"].min()),
        last_year=int(postings["year"].max()),
        findings=findings,
        skipped=skipped,
        notes=list(reader.notes),
        options={"mapping": mapping.sha256, "municipality_code": municipality_code},
        municipalities=munis,
        counts=counts,
    )


def write(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedLedger,
    *,
    period: str | None = None,
    replace_partial: bool = False,
) -> LoadResult:
    """Write a prepared ledger export: exactly the period it covers is replaced (see :func:`load`)."""
    ledger = prepared.ledger
    skipped = dict(prepared.skipped)
    notes = list(prepared.notes)
    options = dict(prepared.options)
    scope = None
    loads.ensure_tables(con)
    if period is not None:
        months = parse_period(period)
        options["period"] = f"{_ym(*months[0])}..{_ym(*months[-1])}"
        inside = pd.MultiIndex.from_frame(ledger[["year", "month"]]).isin(months)
        if (~inside).any():
            out = ledger[~inside]
            outside = sorted({_ym(y, m) for y, m in zip(out["year"], out["month"], strict=True)})
            reason = f"outside the declared period {options['period']} ({', '.join(outside[:6])}"
            reason += ", ...)" if len(outside) > 6 else ")"
            skipped[reason] = int(prepared.counts[~inside].sum())
        ledger = ledger[inside].reset_index(drop=True)
        if ledger.empty:
            raise InputError(
                f"{prepared.source}: no operating postings in the declared period {options['period']}; the file holds "
                f"{prepared.first_year}-{prepared.last_year}"
            )
        pairs = ledger[["municipality_code", "function_code"]].drop_duplicates()
        period_df = pd.DataFrame(months, columns=["year", "month"])
        scope = pairs.merge(period_df, how="cross")
        notes.append(
            f"replaces {options['period']} of the {len(pairs)} function(s) in the file; other functions untouched"
        )
    else:
        munis = ", ".join(str(m) for m in prepared.municipalities)
        held = con.execute(
            f"SELECT municipality_code, function_code, year, month, spending_dkk FROM ledger "
            f"WHERE municipality_code IN ({munis})"
        ).df()
        if not replace_partial:
            refusal = _partial(ledger, held, prepared.source)
            if refusal:
                raise InputError(refusal)
        notes.append("replaces the months the file holds postings in, per function; other months untouched")
    years = (
        str(prepared.first_year)
        if prepared.first_year == prepared.last_year
        else f"{prepared.first_year}-{prepared.last_year}"
    )
    notes.append(f"{prepared.postings_read:,} postings of {years} summed into {len(ledger):,} months")
    return loads.write(
        con,
        "ledger",
        ledger,
        kind="ledger",
        source=prepared.source,
        sha256=prepared.sha256,
        options=options,
        rows_read=prepared.postings_read,
        municipality_code=prepared.municipalities[0] if len(prepared.municipalities) == 1 else None,
        scope=scope,
        findings=prepared.findings,
        skipped=skipped,
        notes=notes,
    )


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
    period: str | None = None,
    replace_partial: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> LoadResult:
    """Load a ledger export: postings checked, summed per month, written with the record of the load.

    All or nothing per file; loading the same file again changes nothing; :func:`analysis.data.loads.undo`
    restores the warehouse as it was before.

    What is replaced
        With ``period`` (``2025``, ``2025-01..2025-09``): every month of the period, for each municipality and
        function in the file; months of the period the file holds no postings in are removed, postings outside the
        period are left out (counted as skipped), functions not in the file are untouched. Without: exactly the
        months (per municipality, function and year) the file holds postings in; nothing else is touched. A file
        whose months of a function-year replace months in the warehouse and are fewer than half of those the
        warehouse holds is refused, naming them (an accrual dated 31-12-2024 in a 2025 export must not stand for
        December 2024), unless ``replace_partial``.

    Parameters
    ----------
    con
        A writable connection.
    path
        The export.
    mapping
        A mapping or the path of its YAML file.
    municipality_code
        The municipality, when neither the export nor the mapping says.
    period
        The period the file covers (see above).
    replace_partial
        Replace the months the file holds even where it covers much less of a year than the warehouse holds.
    progress
        Called after each chunk of the file with (bytes read, bytes in the file).
    """
    prepared = prepare(path, mapping, municipality_code=municipality_code, progress=progress)
    return write(con, prepared, period=period, replace_partial=replace_partial)
