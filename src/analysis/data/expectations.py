"""Managers' expectations for the disposition: a simple CSV or Excel template, loaded into table ``expectations``.

Each month the managers of an area write down what the case system does not know yet: cases expected to start,
cases expected to end, and changes of need (a citizen's support goes up or down). The template has one row per
expectation, with fixed Danish column names (another layout can be read with a mapping, as the other loaders'):

========================  ===============================================================================
Column                    What it holds
========================  ===============================================================================
``Kommune``               The municipality code (``706`` or ``706 Syddjurs``); or ``--municipality``
``Funktion``              The function area, with or without dots (``5.38.50``, ``53850``)
``Type``                  ``Tilgang`` (expected new cases), ``Afgang`` (an expected end) or ``Behovsændring``
``Dato``                  Tilgang: first day of the service; Afgang: last day paid; Behovsændring: first day
                          at the new cost (Danish or ISO dates)
``Sag``                   The case number an Afgang or Behovsændring concerns; empty for Tilgang
``Antal``                 Number of cases (default 1; 1 for a named case)
``Månedlig udgift``       Tilgang and unnamed Afgang: the monthly cost of each case (DKK); Behovsændring: the
                          change of the monthly cost (negative when the need falls); empty for a named Afgang
``Bemærkning``            A note (optional)
``Indtastet``             When the expectation was entered (optional)
========================  ===============================================================================

Reading is strict (:mod:`analysis.data.loads`): an unknown type, a date that is not one, an amount that reads two
ways, a missing cost on a Tilgang or Behovsændring, a case number on a Tilgang, a count that is not a whole number
of at least 1, a named case with a count other than 1, a case with two Afgang lines, or two Behovsændring lines
of one case on one date refuses the file with an error naming the file, the row and the column. A file replaces
the expectations of the (municipality, area) pairs it holds and leaves the other areas' as they were.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads
from analysis.data.loads import ColumnMapping, FileFormat, LoadResult, shown
from analysis.data.mappings import _norm
from analysis.data.schema import SchemaError
from analysis.privacy import find_cpr

__all__ = ["DANISH_COLUMNS", "FIELDS", "KINDS_DA", "default_mapping", "load", "read_expectations"]

#: The fields a mapping of an expectations file may name.
FIELDS = (
    "municipality_code",
    "function_code",
    "kind",
    "date",
    "case_id",
    "cases",
    "monthly_cost_dkk",
    "note",
    "entered_date",
)
#: The template's fixed Danish column names.
DANISH_COLUMNS = {
    "municipality_code": "Kommune",
    "function_code": "Funktion",
    "kind": "Type",
    "date": "Dato",
    "case_id": "Sag",
    "cases": "Antal",
    "monthly_cost_dkk": "Månedlig udgift",
    "note": "Bemærkning",
    "entered_date": "Indtastet",
}
_REQUIRED = ("function_code", "kind", "date")
#: The template's types and the warehouse's kinds.
KINDS_DA = {"tilgang": "start", "afgang": "end", "behovsændring": "change"}


def default_mapping() -> ColumnMapping:
    """The mapping of the template: the fixed Danish column names, the Danish types."""
    return ColumnMapping(
        source="the expectations template",
        sha256="template-1",
        format=FileFormat(),
        columns=dict(DANISH_COLUMNS),
        constants={},
        values={},
        options={},
    )


def read_mapping(path: str | os.PathLike) -> ColumnMapping:
    """Read a mapping for another layout of the template; errors name the mapping file and the key."""
    return loads.read_mapping(path, fields=FIELDS, required=[(f,) for f in _REQUIRED], options={})


def _present(table: loads.SourceTable, mapping: ColumnMapping) -> ColumnMapping:
    """The mapping with its optional columns that the file lacks left out (required ones stay, to be refused)."""
    names = {_norm(c) for c in table.df.columns}
    cols = {k: v for k, v in mapping.columns.items() if k in _REQUIRED or _norm(v) in names}
    return ColumnMapping(
        mapping.source,
        mapping.sha256,
        mapping.format,
        cols,
        mapping.constants,
        mapping.values,
        mapping.options,
    )


def read_expectations(
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike | None = None,
    *,
    municipality_code: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray, loads.SourceTable]:
    """Read an expectations file into rows of table ``expectations``.

    Parameters
    ----------
    path
        The file (CSV or .xlsx) in the template's layout.
    mapping
        A mapping (or its YAML file) for another layout; default :func:`default_mapping`.
    municipality_code
        The municipality, when the file has no ``Kommune`` column.

    Returns
    -------
    tuple
        The rows (validated by :func:`analysis.data.loads.write` when loaded), the file row of each, the file.

    Raises
    ------
    SchemaError
        Naming the file, the row and the column, with what was expected and what was found.
    """
    if mapping is None:
        mapping = default_mapping()
    elif not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    required = [mapping.columns[k] for k in _REQUIRED if k in mapping.columns]
    table = loads.read_file(path, mapping.format, headings=required)
    mapping = _present(table, mapping)
    df = loads.select_columns(table, mapping)
    source, rows = table.source, table.rows()
    col = {k: mapping.columns.get(k, DANISH_COLUMNS[k]) for k in FIELDS}

    f = loads.Fields.of(table, df, col, mapping.format.date_format)
    munis = f.municipalities(municipality_code, mapping.source)
    functions = f.function_codes()
    kinds = []
    for v, row in zip(df["kind"], rows, strict=True):
        text = "" if loads.is_missing(v) else str(v).strip().casefold()
        kind = KINDS_DA.get(text, text if text in KINDS_DA.values() else None)
        if kind is None:
            raise SchemaError(
                source,
                "Tilgang, Afgang or Behovsændring",
                row=int(row),
                column=col["kind"],
                **shown(None if text == "" else v),
            )
        kinds.append(kind)
    dates = f.dates("date")
    entered = f.dates("entered_date", required=False)
    cost = f.amounts("monthly_cost_dkk", required=False)
    case_ids: list[str | None] = []
    for v, row in zip(f.cells("case_id"), rows, strict=True):
        text = None if loads.is_missing(v) else str(v).strip()
        if text is not None and find_cpr(text):
            raise SchemaError(
                source,
                "a case number that is not CPR-shaped (a CPR number is never stored)",
                row=int(row),
                column=col["case_id"],
                found_text="a CPR-shaped value (not shown)",
            )
        if isinstance(v, float) and float(v).is_integer():  # Excel's number cell for a numeric case number
            text = str(int(v))
        case_ids.append(text)
    counts: list[int] = []
    for v, case, row in zip(f.cells("cases"), case_ids, rows, strict=True):
        if loads.is_missing(v):
            counts.append(1)
            continue
        n = loads.parse_amount(v, table.decimal)
        if n is None or not np.isfinite(n) or not float(n).is_integer() or n < 1:
            raise SchemaError(
                source, "a whole number of cases, at least 1", row=int(row), column=col["cases"], **shown(v)
            )
        if case is not None and n != 1:
            raise SchemaError(
                source,
                f"1 for a named case (a line with a case number in '{col['case_id']}' is about that case)",
                row=int(row),
                column=col["cases"],
                **shown(v),
            )
        counts.append(int(n))
    notes = f.texts("note")
    for kind, c, case, row in zip(kinds, cost, case_ids, rows, strict=True):
        if kind == "start" and case is not None:
            raise SchemaError(
                source,
                "no case number on a Tilgang (a new case has none yet; an expected start is counted in "
                f"'{col['cases']}')",
                row=int(row),
                column=col["case_id"],
                **shown(case),
            )
        if kind in ("start", "change") and np.isnan(c):
            what = (
                "the monthly cost of each new case" if kind == "start" else "the change of the monthly cost"
            )
            raise SchemaError(
                source, f"{what} (DKK)", row=int(row), column=col["monthly_cost_dkk"], found_text="empty"
            )
        if kind == "start" and c < 0:
            raise SchemaError(
                source,
                "a monthly cost of 0 or more on a Tilgang (a fall in need is a Behovsændring)",
                row=int(row),
                column=col["monthly_cost_dkk"],
                found=loads.kr(float(c)),
            )
        if kind == "end" and case is None and np.isnan(c):
            raise SchemaError(
                source,
                f"a case number in '{col['case_id']}' or the monthly cost of each ending case",
                row=int(row),
                column=col["monthly_cost_dkk"],
                found_text="neither",
            )
    _refuse_named_twice(kinds, case_ids, munis, dates, rows, source, col["case_id"])
    out = pd.DataFrame(
        {
            "municipality_code": munis,
            "function_code": pd.Series(functions, index=df.index, dtype=object),
            "kind": kinds,
            "date": dates,
            "case_id": pd.Series(case_ids, index=df.index, dtype=object),
            "cases": counts,
            "monthly_cost_dkk": cost.to_numpy(dtype=float),
            "note": notes.to_numpy(dtype=object),
            "entered_date": entered,
        }
    )
    out.insert(2, "line", out.groupby(["municipality_code", "function_code"]).cumcount() + 1)
    out.attrs["columns"] = {k: v for k, v in col.items()}
    return out, rows, table


def _refuse_named_twice(
    kinds: list[str],
    case_ids: list[str | None],
    munis: list[int],
    dates: pd.Series,
    rows: np.ndarray,
    source: str,
    column: str,
) -> None:
    """Refuse a case ended by two Afgang lines, or changed by two Behovsændring lines on one date.

    The disposition counts every line: two ends of one case would subtract its cost twice, two changes on one date
    would both be added. Changes of one case on different dates (a need that rises, then falls) are read.
    """
    seen: dict[tuple, tuple[int, pd.Timestamp]] = {}
    for kind, case, muni, day, row in zip(kinds, case_ids, munis, dates, rows, strict=True):
        if case is None or kind not in ("end", "change"):
            continue
        key = (kind, muni, case) if kind == "end" else (kind, muni, case, day)
        if key not in seen:
            seen[key] = (int(row), day)
            continue
        first, first_day = seen[key]
        if kind == "end":
            raise SchemaError(
                source,
                "one Afgang per case (an end counted twice would subtract the case's cost twice; which date is "
                "meant is not guessed)",
                row=int(row),
                column=column,
                found_text=f"case {case} again, ending {day:%d-%m-%Y} (row {first}: {first_day:%d-%m-%Y})",
            )
        raise SchemaError(
            source,
            "one Behovsændring per case and date (two would both be added; write the whole change on one line)",
            row=int(row),
            column=column,
            found_text=f"case {case} again on {day:%d-%m-%Y} (row {first})",
        )


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike | None = None,
    *,
    municipality_code: int | None = None,
) -> LoadResult:
    """Load an expectations file: it replaces the expectations of every (municipality, area) it holds.

    All or nothing; loading the same file again changes nothing.

    Parameters
    ----------
    con
        A writable connection.
    path
        The file.
    mapping
        A mapping for another layout; default the template's Danish columns.
    municipality_code
        The municipality, when the file has no ``Kommune`` column.

    Raises
    ------
    SchemaError
        For a file that cannot be read, naming the row and the column.
    """
    df, rows, table = read_expectations(path, mapping, municipality_code=municipality_code)
    munis = sorted(set(df["municipality_code"]))
    options: dict[str, Any] = {
        "mapping": "template" if mapping is None else getattr(mapping, "sha256", str(mapping)),
        "municipality_code": municipality_code,
    }
    return loads.write(
        con,
        "expectations",
        df,
        kind="expectations",
        source=table.source,
        sha256=loads.file_sha256(path),
        options=options,
        rows_read=len(table.df),
        municipality_code=int(munis[0]) if len(munis) == 1 else None,
        partition=("municipality_code", "function_code"),
        notes=list(table.notes),
        rows=rows,
        columns=df.attrs["columns"],
    )
