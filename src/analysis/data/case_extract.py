"""Case extracts from the case systems: Danish columns mapped by YAML, CPR numbers pseudonymised on the way in.

A case extract is a CSV file or an Excel workbook with one row per case (a measure granted to a person): CPR number,
case number, sector, measure, paragraph, provider, start and end date, monthly cost. A small YAML mapping (example:
``parameters/mappings/cases.yaml``) names the extract's columns and translates its values (``Voksne`` ->
``adults_social``, ``Ekstern`` -> ``external``, ``Ja`` -> true).

Privacy
    The ``cpr`` column goes through :func:`analysis.data.cases.ingest_cases`, which replaces it by a keyed pseudonym
    before anything is validated or stored. No error message repeats a CPR number or any value that looks like one:
    an error names the row and the column and says what was expected.
Rows that cannot be loaded
    A case without a CPR number cannot be pseudonymised or linked to the person's other cases. By default
    (``missing_cpr: skip``) such rows are skipped and counted, and the count is kept with the load and shown in the
    data-quality report; ``missing_cpr: refuse`` refuses the file instead. A case that ends before it starts breaks
    the warehouse's rule; it is skipped and counted the same way, with the case number and the person's pseudonym as
    examples. Both are registration errors to correct in the case system, not reasons to lose the rest of the file.
    Everything else that cannot be read (a missing column, a malformed CPR number, a date that is not one, a
    value with no translation, a case number used twice) refuses the file with an error naming the row and column.
What else is checked
    Function codes unknown to the package's chart-of-accounts list, or retired: counted, loaded as given.
Loading
    Cases are upserted by municipality and case number: a later extract replaces the cases it holds and keeps
    the others.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads
from analysis.data.cases import ingest_cases
from analysis.data.ledger import chart_of_accounts
from analysis.data.loads import ColumnMapping, Finding, LoadResult, shown
from analysis.data.schema import SchemaError
from analysis.privacy import load_key, pseudonymise

__all__ = ["FIELDS", "load", "read_extract", "read_mapping"]

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


def _date(d: Any) -> str:
    return f"{pd.Timestamp(d):%d.%m.%Y}"


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
        The pseudonymisation key; default :func:`analysis.privacy.load_key`.
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
    key = load_key() if key is None else key
    table = loads.read_file(path, mapping.format)
    df = loads.select_columns(table, mapping)
    source = table.source
    rows = table.rows()
    col = {k: mapping.columns.get(k, k) for k in FIELDS}

    df["municipality_code"] = loads.municipality_column(
        df,
        municipality_code,
        source=source,
        mapping_source=mapping.source,
        rows=rows,
        column=col["municipality_code"],
    )

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
    case_ids = df["case_id"].map(lambda v: None if _empty(v) else str(v).strip())
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
    start = loads.parse_dates(
        df["start_date"],
        source=source,
        column=col["start_date"],
        rows=rows,
        date_format=mapping.format.date_format,
    )
    end = (
        loads.parse_dates(
            df["end_date"],
            source=source,
            column=col["end_date"],
            rows=rows,
            date_format=mapping.format.date_format,
            required=False,
        )
        if "end_date" in df.columns
        else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    )
    cost = (
        loads.parse_amounts(
            df["monthly_cost_dkk"],
            decimal=table.decimal,
            source=source,
            column=col["monthly_cost_dkk"],
            rows=rows,
            required=False,
            decimal_declared=table.decimal_declared,
        )
        if "monthly_cost_dkk" in df.columns
        else pd.Series(np.nan, index=df.index)
    )
    functions = (
        loads.parse_function_codes(
            df["function_code"], source=source, column=col["function_code"], rows=rows, required=False
        )
        if "function_code" in df.columns
        else [None] * len(df)
    )
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
    ex = []
    for i in np.flatnonzero(backwards)[:examples]:
        try:
            who = pseudonymise(str(df["cpr"].iloc[i]), key)
        except ValueError:
            who = "ugyldigt CPR-nummer"
        ex.append(f"sag {case_ids.iloc[i]}, {who}: start {_date(start.iloc[i])}, slut {_date(end.iloc[i])}")
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

    raw = pd.DataFrame(
        {
            "cpr": df["cpr"].map(lambda v: None if _empty(v) else str(v).strip()),
            "case_id": case_ids,
            "municipality_code": df["municipality_code"],
            "sector": df["sector"],
            "measure": df["measure"].map(lambda v: None if _empty(v) else str(v).strip()),
            "paragraph": df["paragraph"].map(lambda v: None if _empty(v) else str(v).strip())
            if "paragraph" in df.columns
            else None,
            "function_code": pd.Series(functions, index=df.index, dtype=object),
            "provider": df["provider"],
            "start_date": start,
            "end_date": end,
            "monthly_cost_dkk": cost,
            "cpr_registered": pd.Series(registered, index=df.index, dtype=object),
        }
    )
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
        return [f"sag {r.case_id}, {r.person_id}: {r.function_code}" for r in sub.itertuples()]

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
        The pseudonymisation key; default :func:`analysis.privacy.load_key`.
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    cases, skipped, findings, rows, table = read_extract(
        path, mapping, municipality_code=municipality_code, key=key
    )
    munis = sorted(set(cases["municipality_code"])) or ([municipality_code] if municipality_code else [])
    for f in findings:
        f.municipality_code = int(munis[0]) if len(munis) == 1 else None
    return loads.write(
        con,
        "cases",
        cases,
        kind="cases",
        source=table.source,
        sha256=loads.file_sha256(path),
        options={"mapping": mapping.sha256, "municipality_code": municipality_code},
        rows_read=len(table.df),
        municipality_code=int(munis[0]) if len(munis) == 1 else None,
        findings=findings,
        skipped=skipped,
        notes=list(table.notes),
        rows=rows,
        columns=cases.attrs["columns"],
    )
