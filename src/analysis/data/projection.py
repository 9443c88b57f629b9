"""A population projection (befolkningsfremskrivning) by municipality, year and age: table ``population_projection``.

The budget model's demography step uses the projected change of the residents aged 18-64 from the budget's base
year to the budget year (:func:`population_18_64`) where a projection is loaded, else a growth parameter.

Statistics Denmark's municipal projection is Statistikbanken table ``FRKM1YY``; the id carries the vintage
(``FRKM125`` is the projection made in 2025, ``FRKM126`` the one of 2026; each spring the new one replaces the old).
Its variables: ``KOMMUNEDK`` (municipality, three digits; 411 Christiansø is not a municipality), ``ALDER`` (``TOT``,
single ages ``0`` .. ``99`` and ``100-``), ``KØN`` (``M``, ``K``, no total), ``Tid`` (the year, population on
1 January) and the value ``INDHOLD`` (persons). Download it from Statistikbanken as CSV (codes or "706 Syddjurs"
labels, semicolon or comma separated) and load it with::

    analysis load projection FRKM125.csv --warehouse data/own.duckdb

A projection of one's own (a municipality's own forecast) loads in the simple layout, one row per municipality,
year and age (or age group)::

    municipality_code;year;age;persons
    706;2026;18;512
    706;2026;19-64;26500

Columns are recognised by name (``municipality_code``/``kommune``/``kommunedk``/``område``, ``year``/``tid``/``år``,
``age``/``alder``, optionally ``sex``/``køn``, summed over, and ``persons``/``indhold``/``antal``/``personer``). An
age is a single age (``18``, ``18 år``), a group (``18-64``) or an open top (``100-``, ``100+``, ``100 år og
derover``); the age totals (``TOT``, ``I alt``) and rows that are not one of the 98 municipalities (Christiansø, the
whole country, regions) are left out and counted. Anything else (a year or a count that is not a number, a negative
count, an age that is not one, a row given twice, ages of one year that overlap such as ``18`` and ``18-64``)
refuses the file, naming the row and the column. A file replaces the projection of
the municipalities it holds.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads, reference
from analysis.data.loads import LoadResult
from analysis.data.schema import SchemaError

__all__ = ["OPEN_AGE", "load", "population_18_64", "read_projection", "source_name"]

#: The upper end stored for an open top age group ("100-": 100 to OPEN_AGE).
OPEN_AGE = 125

_NAMES = {
    "municipality_code": ("municipality_code", "kommune", "kommunedk", "område", "omrade", "kommunekode"),
    "year": ("year", "tid", "år", "aar"),
    "age": ("age", "alder", "age_group", "aldersgruppe"),
    "sex": ("sex", "køn", "kon"),
    "persons": ("persons", "indhold", "antal", "personer", "value"),
}
_TOTAL = re.compile(r"^(tot|total|i alt|alder i alt|age, total|in all|.* i alt)$")


def source_name(path: str | os.PathLike, source: str | None = None) -> str:
    """The projection's name for reports: ``source``, else the Statistikbanken id in the file name, else the name.

    >>> source_name("downloads/FRKM125_2025.csv"), source_name("egen.csv"), source_name("x.csv", "Egen 2025")
    ('FRKM125', 'egen.csv', 'Egen 2025')
    """
    if source:
        return source
    m = re.search(r"FRKM\d{3}", Path(path).name, flags=re.I)
    return m.group(0).upper() if m else loads.source_name(path)


def _column(df: pd.DataFrame, field: str, source: str, required: bool = True) -> str | None:
    names = {str(c).strip().casefold(): c for c in df.columns}
    for n in _NAMES[field]:
        if n in names:
            return names[n]
    if required:
        raise SchemaError(
            source,
            f"a column for {field} (one of {', '.join(_NAMES[field])})",
            column=field,
            found_text=", ".join(str(c) for c in df.columns),
        )
    return None


def _age(text: str) -> tuple[int, int] | None:
    """``(from, to)`` of an age text; None for an age total. Raises ValueError for what is not an age."""
    t = text.strip().casefold()
    if _TOTAL.match(t):
        return None
    t = re.sub(r"\s*år\b|\s*years?\b", "", t).strip()
    if m := re.fullmatch(r"(\d{1,3})", t):
        return int(m[1]), int(m[1])
    if m := re.fullmatch(r"(\d{1,3})\s*-\s*(\d{1,3})", t):
        lo, hi = int(m[1]), int(m[2])
        if hi >= lo:
            return lo, hi
    if m := re.fullmatch(r"(\d{1,3})\s*(?:-|\+|og derover|and over)", t):
        return int(m[1]), OPEN_AGE
    raise ValueError(text)


def _year(value: object) -> int | None:
    """A year cell (``2026``, Excel's 2026.0); None for anything else, a span (``2024-2025``, ``2024/25``) too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return int(value) if float(value).is_integer() and 1900 <= value <= 2199 else None
    text = str(value).strip()
    return int(text) if re.fullmatch(r"(19|20|21)\d{2}", text) else None


def _ages(lo: int, hi: int) -> str:
    """An age range as the files write it: '18', '18-64', '100-'."""
    return f"{lo}" if lo == hi else f"{lo}-" if hi == OPEN_AGE else f"{lo}-{hi}"


def _refuse_twice_or_overlapping(out: list[tuple], rows: np.ndarray, source: str, column: str) -> None:
    """Refuse a row given twice (same municipality, year, age and sex) and ages of one year that overlap.

    The sexes are summed: a row given twice would be summed as well, and an age in two rows (``18`` and
    ``18-64``) counted twice.

    Parameters
    ----------
    out
        ``(municipality_code, year, age_from, age_to, sex, position)`` per row kept; ``sex`` is the cell as
        folded text, None without a sex column.
    rows, source, column
        The file row of each position, the file and the age column, for errors.
    """
    seen: dict[tuple, int] = {}
    ranges: dict[tuple[int, int], dict[tuple[int, int], int]] = {}
    for muni, year, lo, hi, sex, i in out:
        row, key = int(rows[i]), (muni, year, lo, hi, sex)
        if key in seen:
            raise SchemaError(
                source,
                "one row per municipality, year, age and sex (the sexes are summed; a row given twice would count "
                "its persons twice)",
                row=row,
                column=column,
                found_text=f"municipality {muni}, {year}, age {_ages(lo, hi)} again (row {seen[key]})",
            )
        seen[key] = row
        ranges.setdefault((muni, year), {}).setdefault((lo, hi), row)  # the same ages of another sex: once
    for (muni, year), held in ranges.items():
        widest: tuple[int, int] | None = (
            None  # of the ranges so far (by their first age), the one reaching oldest
        )
        for lo, hi in sorted(held):
            if widest is not None and lo <= widest[1]:
                a, b = widest
                raise SchemaError(
                    source,
                    "ages that do not overlap (the persons of an age in two rows would be counted twice)",
                    row=held[lo, hi],
                    column=column,
                    found_text=f"{_ages(lo, hi)}, which overlaps {_ages(a, b)} (row {held[a, b]}) for "
                    f"municipality {muni} in {year}",
                )
            if widest is None or hi > widest[1]:
                widest = (lo, hi)


def read_projection(
    path: str | os.PathLike, source: str | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a projection file into rows of table ``population_projection`` (see the module docstring).

    The file is read by the strict reader the other loaders use (:func:`analysis.data.loads.read_file`: CSV in
    UTF-8, UTF-16 or Windows-1252, ``;``, ``,`` or tab, or an Excel workbook), and the counts as the other loaders
    read amounts (``1.234`` is 1.234 persons in a ``;`` file, refused as ambiguous in a ``,`` file).

    Returns
    -------
    tuple
        The rows (``municipality_code``, ``year``, ``age_from``, ``age_to``, ``persons``, ``source``; summed over
        sex) and the rows left out, by reason.

    Raises
    ------
    SchemaError
        Naming the file, the row and the column.
    """
    path = Path(path)
    name = loads.source_name(path)
    if not path.exists():
        raise SchemaError(name, "a projection file", found_text="no such file")
    table = loads.read_file(path)
    df = table.df
    cols = {f: _column(df, f, name, required=f != "sex") for f in _NAMES}
    rows = np.asarray(table.rows())
    skipped: dict[str, int] = {}
    valid = set(reference.municipalities()["municipality_code"])
    out = []
    outside = "not one of the 98 municipalities (the whole country, regions, Christiansø)"
    for i, (r, row_number) in enumerate(zip(df.itertuples(index=False), rows, strict=True)):
        row = dict(zip(df.columns, r, strict=True))
        i_row = int(row_number)
        muni = row[cols["municipality_code"]]
        if isinstance(muni, int | float | np.integer | np.floating) and not isinstance(muni, bool):
            muni = str(int(muni)) if float(muni).is_integer() else str(muni)
        m = re.match(r"\s*(\d{1,3})\b", "" if muni is None else str(muni))
        if not m or int(m[1]) not in valid:
            skipped[outside] = skipped.get(outside, 0) + 1
            continue
        if cols["sex"] is not None and _TOTAL.match(str(row[cols["sex"]]).strip().casefold()):
            skipped["sex totals (the sexes are summed)"] = (
                skipped.get("sex totals (the sexes are summed)", 0) + 1
            )
            continue
        age_cell = row[cols["age"]]
        if isinstance(age_cell, float) and age_cell.is_integer():
            age_cell = int(age_cell)
        try:
            age = _age("" if age_cell is None else str(age_cell))
        except ValueError:
            raise SchemaError(
                name,
                "an age (18), an age group (18-64) or an open top (100-)",
                row=i_row,
                column=cols["age"],
                **loads.shown(row[cols["age"]]),
            ) from None
        if age is None:
            skipped["age totals"] = skipped.get("age totals", 0) + 1
            continue
        year = _year(row[cols["year"]])
        if year is None:
            raise SchemaError(
                name,
                "a year (2026): the year the projected population is for, on 1 January (not a span such as "
                "2024-2025)",
                row=i_row,
                column=cols["year"],
                **loads.shown(row[cols["year"]]),
            )
        sex = None if cols["sex"] is None else str(row[cols["sex"]]).strip().casefold()
        out.append((int(m[1]), year, age[0], age[1], sex, i))
    kept = [o[-1] for o in out]  # the counts of the rows kept, read as the other loaders read amounts
    persons = loads.parse_amounts(
        df[cols["persons"]].iloc[kept].map(lambda v: v.replace(" ", "") if isinstance(v, str) else v),
        decimal=table.decimal,
        source=name,
        column=str(cols["persons"]),
        rows=rows[kept],
        required=False,
        decimal_declared=table.decimal_declared,
    ).to_numpy()
    bad = np.flatnonzero(~np.isfinite(persons) | (persons < 0))
    if len(bad):
        i = kept[int(bad[0])]
        raise SchemaError(
            name,
            "a number of persons, 0 or more",
            row=int(rows[i]),
            column=cols["persons"],
            **loads.shown(df[cols["persons"]].iloc[i]),
        )
    _refuse_twice_or_overlapping(out, rows, name, str(cols["age"]))
    out = [(*o[:4], float(p)) for o, p in zip(out, persons, strict=True)]
    frame = pd.DataFrame(out, columns=["municipality_code", "year", "age_from", "age_to", "persons"])
    frame = frame.groupby(["municipality_code", "year", "age_from", "age_to"], as_index=False)[
        "persons"
    ].sum()
    frame["source"] = source_name(path, source)
    frame.attrs["rows_read"] = len(df)
    if frame.empty:
        left = "; ".join(f"{n} {why}" for why, n in skipped.items()) or "no rows"
        raise SchemaError(
            name, "at least one row of a municipality, year and age", found_text=f"none (left out: {left})"
        )
    return frame, skipped


def load(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, source: str | None = None) -> LoadResult:
    """Load a projection file: it replaces the projection of every municipality it holds (all or nothing)."""
    df, skipped = read_projection(path, source)
    munis = sorted(set(df["municipality_code"]))
    return loads.write(
        con,
        "population_projection",
        df,
        kind="projection",
        source=loads.source_name(path),
        sha256=loads.file_sha256(path),
        options={"source": df["source"].iloc[0]},
        rows_read=int(df.attrs["rows_read"]),
        municipality_code=int(munis[0]) if len(munis) == 1 else None,
        partition=("municipality_code",),
        skipped=skipped,
    )


def population_18_64(projection: pd.DataFrame, municipality_code: int) -> tuple[dict[int, float], str | None]:
    """The projected residents aged 18-64 by year of one municipality, and the projection's name.

    A year counts only where its ages 18 to 64 are all covered by rows inside 18-64 (single ages or groups that
    do not straddle 18 or 64); other years are left out.

    Parameters
    ----------
    projection : pandas.DataFrame
        Rows of table ``population_projection``.
    municipality_code : int
        The municipality.

    Returns
    -------
    tuple
        ``{year: persons}`` (empty without a usable year) and the ``source`` of the rows (None without rows).

    Examples
    --------
    >>> p = pd.DataFrame({"municipality_code": 706, "year": [2026] * 3, "age_from": [17, 18, 19],
    ...                   "age_to": [17, 18, 64], "persons": [500.0, 510.0, 26_000.0], "source": "FRKM125"})
    >>> population_18_64(p, 706)
    ({2026: 26510.0}, 'FRKM125')
    """
    p = projection[projection["municipality_code"] == municipality_code]
    if p.empty:
        return {}, None
    inside = p[(p["age_from"] >= 18) & (p["age_to"] <= 64)]
    out: dict[int, float] = {}
    for year, g in inside.groupby("year"):
        covered = np.zeros(47, dtype=int)  # ages 18..64
        for lo, hi in zip(g["age_from"], g["age_to"], strict=True):
            covered[lo - 18 : hi - 18 + 1] += 1
        if (covered == 1).all():
            out[int(year)] = float(g["persons"].sum())
    return out, str(p["source"].iloc[0])
