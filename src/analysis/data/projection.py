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
count, an age that is not one) refuses the file, naming the row and the column. A file replaces the projection of
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


def read_projection(
    path: str | os.PathLike, source: str | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a projection file into rows of table ``population_projection`` (see the module docstring).

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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SchemaError(name, "a projection file", found_text="no such file") from None
    text = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("latin-1")
    first = text.splitlines()[0] if text else ""
    sep = ";" if first.count(";") >= first.count(",") else ","
    from io import StringIO

    df = pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    cols = {f: _column(df, f, name, required=f != "sex") for f in _NAMES}
    skipped: dict[str, int] = {}
    valid = set(reference.municipalities()["municipality_code"])
    out = []
    for i, r in enumerate(df.itertuples(index=False), start=2):  # row 1 is the heading
        row = dict(zip(df.columns, r, strict=True))
        m = re.match(r"\s*(\d{1,3})\b", str(row[cols["municipality_code"]]))
        if not m or int(m[1]) not in valid:
            skipped["not one of the 98 municipalities (the whole country, regions, Christiansø)"] = (
                skipped.get("not one of the 98 municipalities (the whole country, regions, Christiansø)", 0)
                + 1
            )
            continue
        if cols["sex"] is not None and _TOTAL.match(str(row[cols["sex"]]).strip().casefold()):
            skipped["sex totals (the sexes are summed)"] = (
                skipped.get("sex totals (the sexes are summed)", 0) + 1
            )
            continue
        try:
            age = _age(str(row[cols["age"]]))
        except ValueError:
            raise SchemaError(
                name,
                "an age (18), an age group (18-64) or an open top (100-)",
                row=i,
                column=cols["age"],
                found=row[cols["age"]],
            ) from None
        if age is None:
            skipped["age totals"] = skipped.get("age totals", 0) + 1
            continue
        year = str(row[cols["year"]]).strip()
        if not re.fullmatch(r"\d{4}", year):
            raise SchemaError(name, "a year (2026)", row=i, column=cols["year"], found=row[cols["year"]])
        try:
            persons = float(str(row[cols["persons"]]).strip().replace(" ", ""))
        except ValueError:
            persons = np.nan
        if not np.isfinite(persons) or persons < 0:
            raise SchemaError(
                name,
                "a number of persons, 0 or more",
                row=i,
                column=cols["persons"],
                found=row[cols["persons"]],
            )
        out.append((int(m[1]), int(year), age[0], age[1], persons))
    frame = pd.DataFrame(out, columns=["municipality_code", "year", "age_from", "age_to", "persons"])
    frame = frame.groupby(["municipality_code", "year", "age_from", "age_to"], as_index=False)[
        "persons"
    ].sum()
    frame["source"] = source_name(path, source)
    if frame.empty:
        raise SchemaError(name, "at least one row of a municipality, year and age", found_text="none")
    return frame, skipped


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
        rows_read=int(len(df) + sum(skipped.values())),
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
