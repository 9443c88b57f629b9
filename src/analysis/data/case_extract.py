"""Case extracts from the case systems: Danish columns mapped by YAML, CPR numbers pseudonymised on the way in.

A case extract is a CSV file or an Excel workbook with one row per case (a measure granted to a person): CPR number,
case number, sector, measure, paragraph, provider, start and end date, monthly cost. A small YAML mapping (example:
``parameters/mappings/cases.yaml``) names the extract's columns and translates its values (``Voksne`` ->
``adults_social``, ``Ekstern`` -> ``external``, ``Ja`` -> true).

Privacy
    The ``cpr`` column goes through :func:`analysis.data.cases.ingest_cases`, which replaces it by a keyed pseudonym
    before anything is validated or stored (a CPR number may be written ``DDMMYY-SSSS``, with a space, slash or dot,
    or as ten digits). The key must be strong (:func:`analysis.privacy.key_problem`), and a warehouse whose person
    ids were made under another key refuses the load (:func:`analysis.data.cases.check_warehouse_key`). No error
    message repeats a CPR number or any value that looks like one: an error names the row and the column and says
    what was expected.
CPR numbers elsewhere in the file
    A CPR-shaped number (:data:`analysis.privacy.CPR_PATTERN`: with a hyphen, space, slash, dot or no separator,
    a day and a month in range) in the free-text columns ``measure`` and ``paragraph`` is MASKED: replaced by
    ``[CPR]`` before anything is stored, and the cells are counted (finding ``cpr_in_text``, with row and column,
    never the value). A CPR-shaped case number is REFUSED, since a masked case number would no longer identify the
    case. A CPR number whose date is impossible (31 April, month 13, a substitute number) is pseudonymised and
    loaded, and counted (finding ``cpr_invalid_date``).
Rows that cannot be loaded
    A case without a CPR number cannot be pseudonymised or linked to the person's other cases. By default
    (``missing_cpr: skip``) such rows are skipped and counted, and the count is kept with the load and shown in the
    data-quality report; ``missing_cpr: refuse`` refuses the file instead. A case that ends before it starts breaks
    the warehouse's rule; it is skipped and counted the same way, with the case number and the person's pseudonym as
    examples. Both are registration errors to correct in the case system, not reasons to lose the rest of the file.
    Everything else that cannot be read (a missing column, a malformed CPR number, a date that is not one, a
    value with no translation, a case number used twice) refuses the file with an error naming the row and column.
Ages
    The person's age on 1 January of each case's start year (``age_at_start_year``) is derived on the way in: from
    the column mapped as ``birth_date`` when there is one (a value that is not a date refuses the file, naming the
    row and column), else from the CPR number's date with the century of its 7th digit
    (:func:`analysis.data.cases.cpr_birth_date`). Neither the birth date nor the CPR number is stored.
What else is checked
    Function codes unknown to the package's chart-of-accounts list, or retired: counted, loaded as given.
    Examples of findings name the case number and the file's row, never a person (no CPR number, no pseudonym).
Loading
    Cases are upserted by municipality and case number: a later extract replaces the cases it holds and keeps
    the others.
"""

from __future__ import annotations

import os

import duckdb
import numpy as np
import pandas as pd

from analysis.data import cases as case_ingest
from analysis.data import loads, person_files
from analysis.data.cases import ingest_cases
from analysis.data.ledger import chart_of_accounts
from analysis.data.loads import ColumnMapping, Finding, LoadResult, shown
from analysis.data.person_files import date_text, loader_key
from analysis.data.schema import SchemaError
from analysis.privacy import cpr_date_is_valid, find_cpr, mask_cpr

__all__ = [
    "FIELDS",
    "cpr_cells_as_text",
    "load",
    "loader_key",
    "padded_cpr_note",
    "read_extract",
    "read_mapping",
    "row_list",
]

#: The fields a case mapping may name.
FIELDS = (
    "cpr",
    "case_id",
    "municipality_code",
    "sector",
    "measure",
    "paragraph",
    "function_code",
    "provider",
    "start_date",
    "end_date",
    "monthly_cost_dkk",
    "cpr_registered",
    "planned_end_date",
    "birth_date",
)
_REQUIRED = (("cpr",), ("case_id",), ("sector",), ("measure",), ("provider",), ("start_date",))
_OPTIONS = {"missing_cpr": "skip"}
_BOOL = {
    "ja": True,
    "nej": False,
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "x": True,
}


def read_mapping(path: str | os.PathLike) -> ColumnMapping:
    """Read a case mapping (see ``parameters/mappings/cases.yaml``); errors name the mapping file and the key."""
    mapping = loads.read_mapping(path, fields=FIELDS, required=_REQUIRED, options=_OPTIONS)
    if mapping.options["missing_cpr"] not in ("skip", "refuse"):
        raise SchemaError(
            mapping.source,
            "'skip' or 'refuse'",
            column="missing_cpr",
            **shown(mapping.options["missing_cpr"]),
        )
    return mapping


_empty = loads.is_missing

#: Free-text columns in which CPR-shaped numbers are masked (see the module docstring).
FREE_TEXT = ("measure", "paragraph")


def row_list(rows: np.ndarray, shown: int = 5) -> str:
    """File rows for a load's note: the first ``shown``, then ", ..." when there are more ('2, 3, 4, 5, 6, ...')."""
    return ", ".join(str(int(r)) for r in rows[:shown]) + (", ..." if len(rows) > shown else "")


def padded_cpr_note(rows: np.ndarray, column: str) -> str:
    """The load's note on the CPR numbers :func:`cpr_cells_as_text` gave back their leading 0, at file ``rows``."""
    return (
        f"{len(rows)} CPR number(s) of 9 digits in column '{column}' (rows {row_list(rows)}) read with the leading 0 "
        "that Excel drops from a number (a CPR number of days 01-09 begins with 0)"
    )


def cpr_cells_as_text(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The CPR column of an extract as text, a 9-digit number given its lost leading zero; and which cells were padded.

    A CPR number of days 01-09 begins with 0, which Excel drops when it holds the number as a number (a cell
    ``101851234``, or a CSV file saved from Excel): such a 9-digit number, not itself beginning with 0, is read
    with the zero put back. Excel's whole numbers (``101851234.0``) are read as whole numbers. Shared by the case
    and programme member loaders; neither result is ever shown (the cells are CPR numbers).

    Parameters
    ----------
    values : pandas.Series
        The cells of the CPR column as read (text, whole numbers, floats of whole numbers, or missing).

    Returns
    -------
    text : pandas.Series
        The cells as text (object dtype, same index), stripped; None for a missing cell. Not yet checked to be
        CPR numbers.
    padded : numpy.ndarray of bool
        For each cell, whether a leading 0 was put back (a note of the load counts these by row).

    Examples
    --------
    >>> text, padded = cpr_cells_as_text(pd.Series([101851234, "010185-1234", 1018512345.0, None]))
    >>> text.tolist(), padded.tolist()
    (['0101851234', '010185-1234', '1018512345', None], [True, False, False, False])
    """
    out, padded = [], []
    for v in values:
        if isinstance(v, bool) or _empty(v):
            text = None if _empty(v) else str(v)
        elif isinstance(v, int | np.integer) or (
            isinstance(v, float | np.floating) and float(v).is_integer()
        ):
            text = str(int(v))
        else:
            text = str(v).strip()
        nine = text is not None and len(text) == 9 and text.isdigit() and text[0] != "0"
        padded.append(nine)
        out.append("0" + text if nine else text)
    return pd.Series(out, index=values.index, dtype=object), np.asarray(padded, dtype=bool)


def read_extract(
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
    key: bytes | None = None,
    examples: int = 5,
) -> tuple[pd.DataFrame, dict[str, int], list[Finding], np.ndarray, loads.SourceTable]:
    """Read and pseudonymise a case extract.

    Parameters
    ----------
    path
        The extract (CSV or .xlsx).
    mapping
        A mapping or the path of its YAML file.
    municipality_code
        The paying municipality, when neither the extract nor the mapping says.
    key
        The pseudonymisation key (at least 32 random bytes); default :func:`analysis.data.cases.pseudonym_key`.
    examples
        Examples kept per finding.

    Returns
    -------
    tuple
        Rows of table ``cases`` (``person_id`` pseudonyms, no CPR numbers), rows skipped by reason, findings, the
        file row of each returned row, and the file as read.

    Raises
    ------
    SchemaError
        Naming the file, the row and the column; never showing a CPR number.
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    key, table, df, rows, col, f = person_files.open_file(path, mapping, FIELDS, key)
    source = table.source
    df["municipality_code"] = f.municipalities(municipality_code, mapping.source)

    skipped: dict[str, int] = {}
    findings: list[Finding] = []
    no_cpr = df["cpr"].map(_empty).to_numpy(dtype=bool)
    if no_cpr.any() and mapping.options["missing_cpr"] == "refuse":
        row = int(rows[int(np.flatnonzero(no_cpr)[0])])
        raise SchemaError(
            source,
            f"a CPR number (missing_cpr: refuse in {mapping.source})",
            row=row,
            column=col["cpr"],
            found_text="empty",
        )
    case_ids = f.texts("case_id")
    for v, row in zip(case_ids, rows, strict=True):
        if isinstance(v, str) and find_cpr(v):
            raise SchemaError(
                source,
                "a case number that is not CPR-shaped (a CPR number is never stored; export the case system's "
                "own case number)",
                row=int(row),
                column=col["case_id"],
                found_text="a CPR-shaped value (not shown)",
            )
    findings.append(
        Finding(
            "missing_cpr",
            int(no_cpr.sum()),
            "sager",
            [f"sag {case_ids.iloc[i]} (række {int(rows[i])})" for i in np.flatnonzero(no_cpr)[:examples]],
            "sprunget over ved indlæsning: uden CPR-nummer kan sagen ikke pseudonymiseres"
            if no_cpr.any()
            else "",
        )
    )
    if no_cpr.any():
        skipped["no CPR number (cannot be pseudonymised)"] = int(no_cpr.sum())

    for name in ("case_id", "measure"):
        for v, row in zip(df[name], rows, strict=True):
            if _empty(v):
                raise SchemaError(source, "a value", row=int(row), column=col[name], found_text="empty")
    start = f.dates("start_date")
    end = f.dates("end_date", required=False, open_end=True)
    planned = f.dates("planned_end_date", required=False, open_end=True)
    for name, dates in (("end_date", end), ("planned_end_date", planned)):
        if dates.attrs.get("open_ends"):
            table.notes.append(
                f"{dates.attrs['open_ends']} date(s) in the year 9999 in column '{col[name]}' (31-12-9999: the case "
                "system's open end) read as no end"
            )
    birth = f.dates("birth_date", required=False, private=True) if f.has("birth_date") else None
    cost = f.amounts("monthly_cost_dkk", required=False)
    functions = f.function_codes(required=False)
    if "cpr_registered" in df.columns:
        registered = []
        for v, row in zip(df["cpr_registered"], rows, strict=True):
            if isinstance(v, bool | np.bool_):
                registered.append(bool(v))
                continue
            b = None if _empty(v) else _BOOL.get(str(v).strip().casefold())
            if b is None:
                raise SchemaError(
                    source,
                    "yes or no (Ja/Nej, true/false, 1/0)",
                    row=int(row),
                    column=col["cpr_registered"],
                    **shown(v),
                )
            registered.append(b)
    else:
        registered = cost.notna().tolist()

    backwards = (end.notna() & (end < start)).to_numpy() & ~no_cpr
    ex = [
        f"sag {case_ids.iloc[i]} (række {int(rows[i])}): start {date_text(start.iloc[i])}, "
        f"slut {date_text(end.iloc[i])}"
        for i in np.flatnonzero(backwards)[:examples]
    ]
    findings.append(
        Finding(
            "end_before_start",
            int(backwards.sum()),
            "sager",
            ex,
            "sprunget over ved indlæsning" if ex else "",
        )
    )
    if backwards.any():
        skipped["ends before it starts"] = int(backwards.sum())

    cprs, padded = cpr_cells_as_text(df["cpr"])
    if padded.any():
        table.notes.append(padded_cpr_note(rows[padded], col["cpr"]))
    bad_date = np.array(
        [
            not n and not b and not cpr_date_is_valid(v)
            for v, n, b in zip(cprs, no_cpr, backwards, strict=True)
        ],
        dtype=bool,
    )  # a malformed CPR number (not 10 digits) is refused by the ingest below, naming its row
    findings.append(
        Finding(
            "cpr_invalid_date",
            int(bad_date.sum()),
            "sager",
            [f"sag {case_ids.iloc[i]} (række {int(rows[i])})" for i in np.flatnonzero(bad_date)[:examples]],
            "indlæst; ret CPR-nummeret i fagsystemet, eller er det et erstatningsnummer?"
            if bad_date.any()
            else "",
        )
    )

    masked_cells = []
    texts = {}
    for name in FREE_TEXT:
        if name not in df.columns:
            continue
        clean = f.texts(name)
        masked = clean.map(mask_cpr)
        hit = np.array(
            [isinstance(a, str) and a != b for a, b in zip(masked, clean, strict=True)], dtype=bool
        )
        masked_cells += [(int(rows[i]), col[name]) for i in np.flatnonzero(hit)]
        texts[name] = masked
    masked_cells.sort()
    findings.append(
        Finding(
            "cpr_in_text",
            len(masked_cells),
            "felter",
            [f"række {r}, kolonne {c}" for r, c in masked_cells[:examples]],
            "CPR-nummeret er erstattet af [CPR] ved indlæsning" if masked_cells else "",
        )
    )

    raw = pd.DataFrame(
        {
            "cpr": cprs,
            "case_id": case_ids,
            "municipality_code": df["municipality_code"],
            "sector": df["sector"],
            "measure": texts["measure"],
            "paragraph": texts.get("paragraph"),
            "function_code": pd.Series(functions, index=df.index, dtype=object),
            "provider": df["provider"],
            "start_date": start,
            "end_date": end,
            "monthly_cost_dkk": cost,
            "cpr_registered": pd.Series(registered, index=df.index, dtype=object),
            "planned_end_date": planned,
        }
    )
    if birth is not None:
        raw["birth_date"] = birth
    keep = ~(no_cpr | backwards)
    raw, kept_rows = raw[keep].reset_index(drop=True), rows[keep]
    columns = {**{k: v for k, v in col.items()}, "person_id": col["cpr"]}
    try:
        cases = ingest_cases(raw, source=source, key=key, first_row=1)
    except SchemaError as e:
        raise loads.remap_error(e, kept_rows, columns) from None

    chart = chart_of_accounts().set_index("function_code")
    coded = cases["function_code"].notna()
    unknown = coded & ~cases["function_code"].isin(chart.index)
    retired_to = cases["function_code"].map(chart["valid_to"]).astype("Float64")
    retired = coded & ~unknown & retired_to.notna() & (cases["start_date"].dt.year > retired_to).fillna(False)

    def described(mask: pd.Series) -> list[str]:
        sub = cases[mask.to_numpy()].head(examples)
        return [f"sag {r.case_id}: {r.function_code}" for r in sub.itertuples()]

    codes = ", ".join(sorted(cases.loc[unknown.to_numpy(), "function_code"].unique()))
    findings.append(
        Finding(
            "unknown_function",
            int(unknown.sum()),
            "sager",
            described(unknown),
            f"koder: {codes}" if codes else "",
        )
    )
    codes = ", ".join(sorted(cases.loc[retired.to_numpy(), "function_code"].unique()))
    findings.append(
        Finding(
            "retired_function",
            int(retired.sum()),
            "sager",
            described(retired),
            f"koder: {codes}" if codes else "",
        )
    )
    cases.attrs["columns"] = columns
    return cases, skipped, findings, kept_rows, table


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
    key: bytes | None = None,
) -> LoadResult:
    """Load a case extract: pseudonymised, checked, upserted by case number, with the record of the load.

    All or nothing per file; loading the same file again changes nothing.

    Parameters
    ----------
    con
        A writable connection.
    path
        The extract.
    mapping
        A mapping or the path of its YAML file.
    municipality_code
        The paying municipality, when neither the extract nor the mapping says.
    key
        The pseudonymisation key (at least 32 random bytes); default :func:`analysis.data.cases.pseudonym_key`.

    Raises
    ------
    SchemaError
        For a file that cannot be read (naming the row and column, never a CPR number).
    ConfigurationError
        For a weak key.
    DataError
        When the warehouse's person ids were made under another key ("this warehouse was pseudonymised with
        another key"); nothing is written.
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)

    def read(key: bytes) -> person_files.PersonFile:
        cases, skipped, findings, rows, table = read_extract(
            path, mapping, municipality_code=municipality_code, key=key
        )
        case_ingest.check_warehouse_key(con, key, cases)
        return person_files.PersonFile(cases, rows, table, findings=findings, skipped=skipped)

    return person_files.load(
        con, path, mapping, read, table="cases", kind="cases", municipality_code=municipality_code, key=key
    )
