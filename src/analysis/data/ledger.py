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
    The operating postings (dranst 1; all postings when the export has no dranst column), summed per
    municipality, function, year and month into the warehouse table ``ledger``. A file replaces the months of each
    function and year it holds: export whole years (or the year so far) per function, not single months.
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
from functools import cache
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads
from analysis.data.loads import ColumnMapping, Finding, LoadResult, kr
from analysis.data.schema import SchemaError
from analysis.privacy import mask_cpr

__all__ = [
    "ART_GROUPS",
    "FIELDS",
    "chart_of_accounts",
    "check_postings",
    "load",
    "read_mapping",
    "read_postings",
    "to_ledger",
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


def read_postings(
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
) -> tuple[pd.DataFrame, loads.SourceTable]:
    """Read a ledger export into one row per posting.

    Parameters
    ----------
    path
        The export (CSV or .xlsx).
    mapping
        A mapping or the path of its YAML file.
    municipality_code
        The municipality, when the export has no column for it and the mapping no constant.

    Returns
    -------
    (pandas.DataFrame, SourceTable)
        Postings with columns row (the file's row), municipality_code, function_code, date, year, month,
        amount_dkk (DKK; debit minus credit when the export has two columns), art, dranst, posting_id, text; and
        the file as read.

    Raises
    ------
    SchemaError
        For a missing column, a municipality, date, amount or function code that cannot be read, naming the file,
        the row and the column.
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    table = loads.read_file(path, mapping.format)
    df = loads.select_columns(table, mapping)
    rows = table.rows()
    source = table.source
    col = {k: mapping.columns.get(k, k) for k in FIELDS}
    fmt = mapping.format

    df["municipality_code"] = loads.municipality_column(
        df,
        municipality_code,
        source=source,
        mapping_source=mapping.source,
        rows=rows,
        column=col["municipality_code"],
    )

    functions = loads.parse_function_codes(
        df["function_code"], source=source, column=col["function_code"], rows=rows
    )
    dates = loads.parse_dates(
        df["date"], source=source, column=col["date"], rows=rows, date_format=fmt.date_format
    )
    if "amount" in df.columns:
        amount = loads.parse_amounts(
            df["amount"], decimal=table.decimal, source=source, column=col["amount"], rows=rows
        )
    else:
        debit = loads.parse_amounts(
            df["debit"], decimal=table.decimal, source=source, column=col["debit"], rows=rows, required=False
        )
        credit = (
            loads.parse_amounts(
                df["credit"],
                decimal=table.decimal,
                source=source,
                column=col["credit"],
                rows=rows,
                required=False,
            )
            if "credit" in df.columns
            else pd.Series(0.0, index=df.index)
        )
        both_empty = debit.isna() & credit.isna()
        if both_empty.any():
            row = int(rows[int(np.flatnonzero(both_empty.to_numpy())[0])])
            raise SchemaError(
                source, "an amount in debit or credit", row=row, column=col["debit"], found_text="empty"
            )
        amount = debit.fillna(0) - credit.fillna(0)
    postings = pd.DataFrame(
        {
            "row": rows,
            "municipality_code": df["municipality_code"].to_numpy(),
            "function_code": functions,
            "date": dates.to_numpy(),
            "year": dates.dt.year.to_numpy(),
            "month": dates.dt.month.to_numpy(),
            "amount_dkk": amount.round(2).to_numpy(),
        }
    )
    for name in ("art", "dranst", "posting_id", "text"):
        postings[name] = df[name].map(_text_code).to_numpy(dtype=object) if name in df.columns else None
    postings[["posting_id", "text"]] = postings[["posting_id", "text"]].map(mask_cpr)  # CPR-shaped -> '[CPR]'
    if "dranst" in df.columns:
        postings["dranst"] = postings["dranst"].map(lambda d: d.split()[0] if isinstance(d, str) else d)
    postings.attrs["columns"] = {k: v for k, v in col.items() if k in df.columns}
    return postings, table


def _example(p: pd.Series) -> str:
    parts = [
        f"række {int(p['row'])}: {p['function_code']}",
        f"{pd.Timestamp(p['date']):%d.%m.%Y}",
        kr(p["amount_dkk"]),
    ]
    if isinstance(p.get("art"), str):
        parts.append(f"art {p['art']}")
    if isinstance(p.get("posting_id"), str):
        parts.append(f"bilag {p['posting_id']}")
    return ", ".join(parts)


def _finding(
    check: str, hits: pd.DataFrame, unit: str = "posteringer", note: str = "", n: int = 5
) -> Finding:
    return Finding(check, int(len(hits)), unit, [_example(r) for _, r in hits.head(n).iterrows()], note)


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
    in_chart = postings["function_code"].isin(known.index)
    unknown = postings[~in_chart]
    codes = ", ".join(sorted(unknown["function_code"].unique()))
    out = [_finding("unknown_function", unknown, note=f"koder: {codes}" if codes else "", n=examples)]
    valid_to = postings["function_code"].map(known["valid_to"]).astype("Float64")
    retired = postings[
        in_chart & valid_to.notna().to_numpy() & (postings["year"] > valid_to).fillna(False).to_numpy()
    ]
    codes = ", ".join(sorted(retired["function_code"].unique()))
    out.append(_finding("retired_function", retired, note=f"koder: {codes}" if codes else "", n=examples))

    has_art = postings["art"].notna().any()
    group = postings["art"].map(lambda a: a.strip()[0] if isinstance(a, str) and a.strip() else None)
    if has_art:
        main_account = postings["function_code"].str[0].astype(int)
        kind = postings["function_code"].map(known["kind"])
        financial = (group == "6") & (main_account <= 6)
        refund = postings["art"].map(
            lambda a: isinstance(a, str) and a.replace(",", ".").startswith(_REFUND_ART)
        )
        refund_outside = refund & postings["dranst"].notna() & (postings["dranst"] != "2")
        expense_on_income = group.isin(_EXPENSE_GROUPS) & (kind == "income")
        wrong = postings[financial | refund_outside | expense_on_income]
        out.append(_finding("wrong_account_type", wrong, n=examples))
    else:
        out.append(Finding("wrong_account_type", None, "posteringer", note="filen har ingen art-kolonne"))

    expense = group.isin(_EXPENSE_GROUPS) | group.isna()
    negative = postings[(postings["amount_dkk"] < 0) & expense]
    out.append(_finding("negative_posting", negative, n=examples))

    same = ["municipality_code", "function_code", "date", "amount_dkk", "art", "dranst", "posting_id", "text"]
    keyed = postings[same].astype(object).fillna("").astype(str)
    dup = keyed.duplicated(keep="first")
    first_row = postings.groupby([keyed[c] for c in same], sort=False, dropna=False)["row"].transform("first")
    duplicates = postings[dup.to_numpy()]
    f = _finding("duplicate_posting", duplicates, n=examples)
    f.examples = [
        f"{e} (som række {int(r)})"
        for e, r in zip(f.examples, first_row[dup.to_numpy()].head(examples), strict=False)
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
    operating = postings["dranst"].isna() | (postings["dranst"] == "1")
    if (~operating).any():
        skipped["dranst other than 1 (only operating postings are summed into the ledger)"] = int(
            (~operating).sum()
        )
    keys = ["municipality_code", "function_code", "year", "month"]
    ledger = postings[operating].groupby(keys, as_index=False)["amount_dkk"].sum()
    ledger = ledger.rename(columns={"amount_dkk": "spending_dkk"})
    ledger["spending_dkk"] = ledger["spending_dkk"].round(2)
    return ledger, skipped


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
) -> LoadResult:
    """Load a ledger export: postings checked, summed per month, written with the record of the load.

    All or nothing per file; loading the same file again changes nothing. The months of each municipality,
    function and year in the file replace those in the warehouse.

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
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    postings, table = read_postings(path, mapping, municipality_code=municipality_code)
    findings = []
    for code, group in postings.groupby("municipality_code"):
        for f in check_postings(group):
            f.municipality_code = int(code)
            findings.append(f)
    ledger, skipped = to_ledger(postings)
    munis = sorted(postings["municipality_code"].unique())
    notes = list(table.notes)
    first, last = int(postings["year"].min()), int(postings["year"].max())
    years = str(first) if first == last else f"{first}-{last}"
    notes.append(f"{len(postings):,} postings of {years} summed into {len(ledger):,} months")
    return loads.write(
        con,
        "ledger",
        ledger,
        kind="ledger",
        source=table.source,
        sha256=loads.file_sha256(path),
        options={"mapping": mapping.sha256, "municipality_code": municipality_code},
        rows_read=len(postings),
        municipality_code=int(munis[0]) if len(munis) == 1 else None,
        partition=("municipality_code", "function_code", "year"),
        findings=findings,
        skipped=skipped,
        notes=notes,
    )
