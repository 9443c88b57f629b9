"""The ministry's socio-economic index per municipality (socioøkonomisk indeks), loaded into ``socioeconomic_index``.

The index is computed each year by Indenrigs- og Boligministeriet (formerly Social- og Indenrigsministeriet,
Økonomi- og Indenrigsministeriet) for the equalisation scheme (udligningsloven § 5: a municipality's weighted shares
of the socio-economic criteria divided by its share of the population). It is published per municipality in the
ministry's Kommunale Nøgletal (noegletal.dk, on the scale 1,00 = national average) and in the tables of
"Kommunal udligning og generelle tilskud" (also as 100 = national average). A user downloads it as CSV or Excel;
this module reads the layouts those downloads have:

=============================  ==================================================================================
Column                         What it holds
=============================  ==================================================================================
``Kommune``                    The municipality: a code (``101``), ``101 København``, or a name (``København``,
                               ``Københavns Kommune``); or a separate ``Kommunenr``/``Kommunekode`` column
``Socioøkonomisk indeks``      The index, Danish decimals (``1,0523``) or a number cell; with ``År`` (the year)
                               or ``--year``
``2023``, ``2024`` ...         Or one column per year (a heading that is a year, e.g. ``Socioøkonomisk indeks
                               2024`` or ``2024``): the wide layout of a time series
=============================  ==================================================================================

Rows of the whole country (``Hele landet``, ``Landsgennemsnit``, ``I alt``), regions and empty rows are left out
(counted). The scale is recognised: values around 100 are divided by 100, so the warehouse holds 1.0 = national
average as the rest of the workbench. Title lines above the heading are skipped (the heading is the first line
with a ``Kommune`` cell).

Reading is strict: a name that is none of the 98 municipalities (with a did-you-mean), a code and a name that
disagree (``101 Aarhus``), a municipality twice in a year with different values, a value that reads two ways
(``1.052`` in a file with decimal commas), or an index outside 0.2-5 refuses the file, naming the row and the
column. A file replaces the index of the years it holds (for every municipality of those years).
"""

from __future__ import annotations

import difflib
import os
import re
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads, reference
from analysis.data.loads import FileFormat, LoadResult, shown
from analysis.data.schema import SchemaError

__all__ = ["SOURCE", "TABLE", "load", "read_index", "source_text"]

#: The warehouse table.
TABLE = "socioeconomic_index"
#: The source a report names for the loaded index (``{year}``: the index's year).
SOURCE = "Indenrigs- og Boligministeriets socioøkonomiske indeks {year}"
_MUNICIPALITY_HEADINGS = (
    "kommune",
    "kommunenavn",
    "kommunenr",
    "kommunenummer",
    "kommunekode",
    "komkode",
    "område",
)
_CODE_HEADINGS = ("kommunenr", "kommunenr.", "kommunenummer", "kommunekode", "komkode", "kode")
_YEAR_HEADINGS = ("år", "aar", "year", "udligningsår", "tilskudsår", "tid")
_INDEX_WORDS = ("socioøkonomisk indeks", "socioøkonomiske indeks", "socioeconomic index", "socioøk. indeks")
_COUNTRY = {"hele landet", "landsgennemsnit", "landsgennemsnittet", "i alt", "total", "danmark", "landet"}
#: The index is a ratio around 1: a value outside this range (after the scale is recognised) is not one.
_PLAUSIBLE = (0.2, 5.0)


def source_text(year: int) -> str:
    """The source a report names for the index of ``year`` (Danish)."""
    return SOURCE.format(year=int(year))


def _key(text: str) -> str:
    """A municipality name as compared: casefolded, without 'kommune', hyphens and spaces alike."""
    t = str(text).strip().casefold()
    t = re.sub(r"\s+(regions)?kommune$", "", t)
    return re.sub(r"[\s\-–]+", " ", t).strip()


@cache
def _names() -> dict[str, set[int]]:
    """Each comparable name with the codes it may mean (short names, official names, the old Århus spelling)."""
    ref = reference.municipalities()
    out: dict[str, set[int]] = {}
    for code, short, official in zip(
        ref["municipality_code"], ref["municipality"], ref["official_name"], strict=True
    ):
        for name in (short, official):
            out.setdefault(_key(name), set()).add(int(code))
    out.setdefault(_key("Århus"), set()).add(751)
    out.setdefault(_key("Copenhagen"), set()).add(101)
    return out


def _regions() -> set[str]:
    return {_key(r) for r in reference.municipalities()["region"].unique()}


def _code_of(value, source: str, row: int, column: str) -> int | None:
    """The code of a Kommune cell; None for a row of the country or a region (left out)."""
    valid = set(reference.municipalities()["municipality_code"])
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        if float(value).is_integer() and int(value) in valid:
            return int(value)
        raise SchemaError(
            source, "one of the 98 municipality codes, e.g. 101", row=row, column=column, **shown(value)
        )
    text = str(value).strip()
    m = re.match(r"^(\d{1,3})(?:\s+(\S.*))?$", text)
    if m:
        code = int(m.group(1))
        if code == 0 or 81 <= code <= 85:  # the whole country, a region
            return None
        if code not in valid:
            raise SchemaError(
                source, "one of the 98 municipality codes, e.g. 101", row=row, column=column, **shown(value)
            )
        if m.group(2):
            named = _names().get(_key(m.group(2)))
            if named is not None and code not in named:
                raise SchemaError(
                    source,
                    "a code and a name of the same municipality",
                    row=row,
                    column=column,
                    found_text=f"'{text}' (the name is {', '.join(map(str, sorted(named)))})",
                )
        return code
    key = _key(text)
    if key in _COUNTRY or key in _regions() or key.startswith("region "):
        return None
    codes = _names().get(key)
    if codes is None:
        near = difflib.get_close_matches(key, list(_names()), n=1, cutoff=0.75)
        hint = ""
        if near:
            hint = f" (did you mean '{reference.official_name(min(_names()[near[0]]))}'?)"
        raise SchemaError(
            source,
            "the name or code of one of the 98 municipalities",
            row=row,
            column=column,
            found_text=f"'{text}'{hint}",
        )
    if len(codes) > 1:
        raise SchemaError(
            source,
            "a name that means one municipality (write the code instead)",
            row=row,
            column=column,
            found_text=f"'{text}', which may be {', '.join(map(str, sorted(codes)))}",
        )
    return next(iter(codes))


def _norm(name) -> str:
    return re.sub(r"\s+", " ", str(name).strip().casefold())


def _heading_index(lines: list[list[str]]) -> int | None:
    """The first line with a 'Kommune' cell (0-based), or None."""
    for i, cells in enumerate(lines):
        if any(_norm(c).strip('"') in _MUNICIPALITY_HEADINGS for c in cells):
            return i
    return None


def _sheet(path: Path) -> tuple[str | None, int]:
    """The sheet to read and its title lines: the one sheet with a 'Kommune' heading (and an index, if several).

    A workbook's sheets are all looked at (the first sheet of several used to be read, whatever it held): a sheet
    whose first 30 rows have no 'Kommune' cell is not the index; of several that have one, those whose heading row
    names the index ('Socioøkonomisk indeks'). None or more than one left refuses the file, naming the sheets.
    """
    source = loads.source_name(path)
    try:
        heads = pd.read_excel(path, sheet_name=None, header=None, nrows=30, dtype=str)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not Excel
        raise SchemaError(
            source, "an Excel workbook (.xlsx)", found_text=f"a file Excel cannot read ({e})"
        ) from None
    found = {}
    for name, head in heads.items():
        lines = [[str(v) for v in row if isinstance(v, str)] for row in head.itertuples(index=False)]
        at = _heading_index(lines)
        if at is not None:
            found[name] = (at, any(w in _norm(c) for c in lines[at] for w in _INDEX_WORDS))
    if len(found) > 1 and any(named for _, named in found.values()):
        found = {n: v for n, v in found.items() if v[1]}
    if len(heads) == 1 and not found:
        return next(iter(heads)), 0  # one sheet: read it (and refused below for what it lacks)
    if len(found) != 1:
        listed = ", ".join(f"'{n}'" for n in heads)
        which = (
            f"{len(found)} of them ({', '.join(repr(n) for n in found)}) hold an index"
            if found
            else "none has a heading 'Kommune' in its first 30 rows"
        )
        raise SchemaError(
            source,
            "one sheet with the index (a heading 'Kommune' and 'Socioøkonomisk indeks'); save the sheet to load as a "
            "file of its own",
            found_text=f"{len(heads)} sheets ({listed}); {which}",
        )
    name, (at, _) = next(iter(found.items()))
    return name, at


def _heading_row(path: Path) -> int:
    """The number of title lines above the heading: lines before the first with a 'Kommune' cell."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _sheet(path)[1]
    # the text as the file is read (loads.read_text: a BOM, UTF-16, Windows-1252, or an error naming the row), not
    # bytes guessed at here (a UTF-16 file's title lines were missed, a stray byte a bare UnicodeDecodeError)
    text, _ = loads.read_text(path)
    lines = [re.split(r"[;,\t]", line) for line in text.splitlines()[:30]]
    return _heading_index(lines) or 0


#: The marks of a missing index (Statistics Denmark's '..', a dash): read as empty, as an empty cell is.
_MISSING = ("..", "-", "–")


def _decimal_mark(cells: pd.Series, source: str, rows: np.ndarray, column: str) -> str:
    """The decimal mark of an index column: the one mark its texts use (an index has no thousands separator).

    A column whose texts use both marks ('1,05' in one row, '1.052' in another) reads two ways and is refused at
    the first text with the rarer mark.
    """
    texts = [
        (str(v).strip(), r)
        for v, r in zip(cells, rows, strict=True)
        if isinstance(v, str) and str(v).strip() not in _MISSING
    ]
    commas = [(t, r) for t, r in texts if "," in t and "." not in t]
    points = [(t, r) for t, r in texts if "." in t and "," not in t]
    if commas and points:
        rarer, mark = (points, ".") if len(points) <= len(commas) else (commas, ",")
        text, row = rarer[0]
        usual = "," if mark == "." else "."
        raise SchemaError(
            source,
            f"one decimal mark in the whole column (most rows use '{usual}')",
            row=int(row),
            column=column,
            found_text=f"'{text}', which reads as {text.replace(mark, usual)} with that mark, or as "
            f"{text.replace(mark, '')} with '{mark}' as a thousands separator",
        )
    return "." if points else ","


def _value(value, decimal: str, source: str, row: int, column: str) -> float:
    """One index value: a number cell, or a text with the column's decimal mark; NaN when empty or '..'."""
    if loads.is_missing(value) or str(value).strip() in _MISSING:
        return float("nan")
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d+(?:" + re.escape(decimal) + r"\d+)?", text) is None:
        raise SchemaError(source, f"an index such as 1{decimal}0523", row=row, column=column, **shown(value))
    return float(text.replace(decimal, "."))


#: Two years, or a year and the next one's last two digits: '2024-2025', '2024/25', '2024–25'.
_SPAN = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*[-/–]\s*(?:(?:19|20)\d{2}|\d{2})(?!\d)")


def _year_of(heading) -> int | None:
    """The year in a heading, a cell or a file name; None without one (a span of years is refused by the caller)."""
    m = re.search(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)", str(heading))
    return int(m.group(1)) if m else None


def _refuse_span(text, source: str, what: str, *, row: int | None = None, column: str | None = None) -> None:
    """Refuse a span of years where one year is meant: its first year used to be taken without a word."""
    if isinstance(text, str) and _SPAN.search(text):
        raise SchemaError(
            source,
            f"one year in {what} (the year the index is computed for, e.g. 2025), not a span of years"
            + ("; or give it with --year" if what == "the file's name" else ""),
            row=row,
            column=column,
            found_text=f"'{text.strip()}'",
        )


def read_index(
    path: str | os.PathLike, *, year: int | None = None
) -> tuple[pd.DataFrame, np.ndarray, loads.SourceTable, dict[str, int], list[str]]:
    """Read a file of the ministry's socio-economic index into rows of table ``socioeconomic_index``.

    Parameters
    ----------
    path
        The CSV or .xlsx file.
    year
        The index's year, for a file with one index column and no year (``--year``).

    Returns
    -------
    tuple
        The rows (municipality_code, year, socioeconomic_index with 1.0 = national average), the file row of
        each, the file, the rows left out by reason, and notes for the user.

    Raises
    ------
    SchemaError
        Naming the file, the row and the column, with what was expected and what was found.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.exists():
        sheet, skip = _sheet(path)
        table = loads.read_file(path, FileFormat(sheet=sheet, skip_rows=skip))
    else:
        table = loads.read_file(path, FileFormat(skip_rows=_heading_row(path)))
    source, df = table.source, table.df
    rows = np.asarray(table.rows())  # the file's line numbers, title lines included
    headings = {_norm(c): c for c in df.columns}
    code_col = next((headings[h] for h in _CODE_HEADINGS if h in headings), None)
    muni_col = code_col or next((headings[h] for h in _MUNICIPALITY_HEADINGS if h in headings), None)
    if muni_col is None:
        raise SchemaError(
            source,
            "a column 'Kommune' (or 'Kommunenr') with the municipality's code or name",
            found_text=", ".join(f"'{c}'" for c in list(df.columns)[:6]) or "no columns",
        )
    year_col = next((headings[h] for h in _YEAR_HEADINGS if h in headings), None)
    index_cols = [c for c in df.columns if any(w in _norm(c) for w in _INDEX_WORDS)]
    for c in df.columns:
        if c not in (muni_col, year_col) and (
            any(w in _norm(c) for w in _INDEX_WORDS) or _year_of(c) is not None
        ):
            _refuse_span(str(c), source, "a heading", column=str(c))
    year_cols = {
        c: _year_of(c) for c in df.columns if c not in (muni_col, year_col) and _year_of(c) is not None
    }
    year_cols = {c: y for c, y in year_cols.items() if not index_cols or c in index_cols}
    if (
        year_cols
        and year_col is None
        and (len(year_cols) > 1 or not index_cols or year_cols.keys() == set(index_cols))
    ):
        layout = [(c, y) for c, y in year_cols.items()]  # wide: one column per year
    elif len(index_cols) == 1:
        layout = [(index_cols[0], None)]
    else:
        raise SchemaError(
            source,
            "a column 'Socioøkonomisk indeks' (with a column 'År' or --year), or one column per year ('2024')",
            found_text=", ".join(f"'{c}'" for c in list(df.columns)[:8]),
        )
    if layout[0][1] is None and year_col is None and year is None:
        _refuse_span(path.stem, source, "the file's name")
        given = _year_of(path.stem)
        if given is None:
            raise SchemaError(
                source,
                "the index's year: a column 'År', a year in the heading ('Socioøkonomisk indeks 2025'), --year "
                "or a year in the file name",
                column=layout[0][0],
                found_text="none",
            )
        year = given
    skipped: dict[str, int] = {}
    codes: list[int | None] = []
    for v, row in zip(df[muni_col], rows, strict=True):
        if loads.is_missing(v):
            codes.append(None)
            skipped["rækker uden kommune"] = skipped.get("rækker uden kommune", 0) + 1
            continue
        code = _code_of(v, source, int(row), str(muni_col))
        if code is None:
            skipped["hele landet og regioner"] = skipped.get("hele landet og regioner", 0) + 1
        codes.append(code)
    out = []
    for column, col_year in layout:
        mark = _decimal_mark(df[column], source, rows, str(column))
        values = [_value(v, mark, source, int(r), str(column)) for v, r in zip(df[column], rows, strict=True)]
        for i, (code, value, row) in enumerate(zip(codes, values, rows, strict=True)):
            if code is None:
                continue
            if np.isnan(value):
                skipped["tomme indekstal"] = skipped.get("tomme indekstal", 0) + 1
                continue
            if col_year is not None:
                y = col_year
            elif year_col is not None:
                cell = df[year_col].iloc[i]
                if isinstance(cell, float) and cell.is_integer():
                    cell = int(cell)  # an Excel number cell: 2024.0
                _refuse_span(cell, source, "the year column", row=int(row), column=str(year_col))
                y = _year_of(cell)
                if y is None:
                    raise SchemaError(
                        source,
                        "a year such as 2025",
                        row=int(row),
                        column=str(year_col),
                        **shown(df[year_col].iloc[i]),
                    )
            else:
                y = int(year)
            out.append((code, int(y), float(value), int(row), str(column), df[column].iloc[i]))
    if not out:
        raise SchemaError(
            source, "the index of at least one municipality", column=str(layout[0][0]), found_text="none"
        )
    frame = pd.DataFrame(
        out, columns=["municipality_code", "year", "socioeconomic_index", "_row", "_column", "_cell"]
    )
    notes: list[str] = list(table.notes)  # e.g. the sheet read of several, rows hidden in Excel
    median = float(frame["socioeconomic_index"].median())
    if median > 10:  # published as 100 = national average
        frame["socioeconomic_index"] = frame["socioeconomic_index"] / 100.0
        notes.append("the index is on the scale 100 = national average; stored as 1.0 = national average")
    low, high = _PLAUSIBLE
    bad = frame[(frame["socioeconomic_index"] < low) | (frame["socioeconomic_index"] > high)]
    if len(bad):
        r = bad.iloc[0]
        raise SchemaError(
            source,
            "an index around 1 (1,00 = national average) or around 100, between 0,2 and 5 (20 and 500)",
            row=int(r["_row"]),
            column=str(r["_column"]),
            **shown(r["_cell"] if isinstance(r["_cell"], str) else str(r["_cell"]).replace(".", ",")),
        )
    dup = frame[frame.duplicated(["municipality_code", "year"], keep=False)]
    if len(dup):
        first = dup.groupby(["municipality_code", "year"])["socioeconomic_index"].nunique()
        clash = first[first > 1]
        if len(clash):
            code, y = clash.index[0]
            r = dup[(dup["municipality_code"] == code) & (dup["year"] == y)].iloc[1]
            raise SchemaError(
                source,
                f"one index of municipality {code} in {y}",
                row=int(r["_row"]),
                column=str(r["_column"]),
                found_text="a second, different value",
            )
        frame = frame.drop_duplicates(["municipality_code", "year"])
    file_rows = frame["_row"].to_numpy()
    frame = frame.drop(columns=["_row", "_column", "_cell"]).reset_index(drop=True)
    frame.attrs["columns"] = {
        "municipality_code": str(muni_col),
        "socioeconomic_index": str(layout[0][0]),
        "year": str(year_col or layout[0][0]),
    }
    for y, part in frame.groupby("year"):
        if part["municipality_code"].nunique() < 98:
            notes.append(
                f"{y}: {part['municipality_code'].nunique()} of 98 municipalities; the others keep the package's "
                "illustrative index for that year"
            )
    return frame, file_rows, table, skipped, notes


def load(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, *, year: int | None = None) -> LoadResult:
    """Load a file of the socio-economic index: it replaces the index of the years it holds.

    All or nothing; loading the same file again changes nothing; ``analysis undo`` restores the earlier index.

    Parameters
    ----------
    con
        A writable connection.
    path
        The file (see the module's docstring for the layouts).
    year
        The index's year, for a file with one index column and no year.

    Raises
    ------
    SchemaError
        For a file that cannot be read, naming the row and the column.
    """
    df, rows, table, skipped, notes = read_index(path, year=year)
    return loads.write(
        con,
        TABLE,
        df,
        kind="socioeconomic",
        source=table.source,
        sha256=loads.file_sha256(path),
        options={"year": year},
        rows_read=len(table.df),
        partition=("year",),
        skipped=skipped,
        notes=notes,
        rows=rows,
        columns=df.attrs["columns"],
    )
