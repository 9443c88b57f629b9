"""Loading a Statistikbanken file into the warehouse: the table's identity, units, areas and feature sources.

:func:`load` reads a file (any layout :func:`~analysis.data.statbank.read` reads), checks that it is the table
the user says it is, converts it (:mod:`analysis.data.statbank.tables`) with what the warehouse already holds
(the FOLK1A population for amounts per resident, the accounts for HAND01, the areas for the density) and writes it
with :func:`analysis.data.loads.write` (all or nothing: the rows, the record of the load, the feature sources and the
areas in one transaction; a reload changes nothing).

Two small tables beside the warehouse tables: ``_areas`` (municipality_code, year, area_km2, source: ARE207's
areas, for the density of later FOLK1A loads) and ``_feature_sources`` (municipality_code, year, feature, source,
load_id: where each structural feature of ``municipalities`` came from, so that a report can name it; read with
:func:`feature_sources`).
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads
from analysis.data.loads import LoadResult
from analysis.data.schema import SchemaError
from analysis.data.statbank import tables as tb
from analysis.data.statbank.parse import read, title_kind
from analysis.errors import InputError

__all__ = ["AREAS_TABLE", "SOURCES_TABLE", "TABLES", "feature_sources", "load", "table_kind"]

#: The tables the loaders know, and the warehouse table each fills. A table id starting with HAND is read as a
#: table of services by type of service.
TABLES = {
    "REGK31": "accounts",
    "BUDK32": "budgets",
    "FOLK1A": "municipalities",
    "HAND": "activity",
    "ARE207": "areas",
}
#: What each warehouse target is, as a title or a variable shows it.
_IDENTITY = {
    "accounts": "accounts",
    "budgets": "budgets",
    "municipalities": "population",
    "activity": "services",
    "areas": "area",
}
AREAS_TABLE = "_areas"
SOURCES_TABLE = "_feature_sources"
_AREAS_DDL = f"""CREATE TABLE IF NOT EXISTS {AREAS_TABLE} (
    municipality_code BIGINT NOT NULL, year BIGINT NOT NULL, area_km2 DOUBLE NOT NULL, source VARCHAR NOT NULL,
    PRIMARY KEY (municipality_code, year))"""
_SOURCES_DDL = f"""CREATE TABLE IF NOT EXISTS {SOURCES_TABLE} (
    municipality_code BIGINT NOT NULL, year BIGINT NOT NULL, feature VARCHAR NOT NULL, source VARCHAR NOT NULL,
    load_id BIGINT, PRIMARY KEY (municipality_code, year, feature))"""


def table_kind(table: str) -> str:
    """The warehouse table a Statistics Denmark table id fills; HAND... tables fill ``activity``.

    Raises
    ------
    InputError
        For a table the loaders do not know, naming those they do.
    """
    key = table.strip().upper()
    if key.startswith("HAND"):
        return "activity"
    if key in TABLES:
        return TABLES[key]
    near = difflib.get_close_matches(key, list(TABLES), n=1, cutoff=0.5)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    known = ", ".join(t if t != "HAND" else "HAND01 (services by type of service)" for t in TABLES)
    raise InputError(f"no loader for Statistics Denmark table '{table}'{hint}; known: {known}")


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()[0]
    )


def _frame(con: duckdb.DuckDBPyConnection, sql: str, table: str, columns: list[str]) -> pd.DataFrame:
    if not _exists(con, table):
        return pd.DataFrame(columns=columns)
    return con.execute(sql).df()


def _table_ids(file_name: str) -> set[str]:
    found = re.findall(r"(?<![A-Z0-9])(REGK31|BUDK32|FOLK1A|HAND\d{2}|ARE207)(?![0-9])", file_name.upper())
    return set(found)


def _check_identity(
    con: duckdb.DuckDBPyConnection, df: pd.DataFrame, table: str, target: str, name: str, sha256: str
) -> None:
    """Refuse a file that is not the table it is loaded as: by its name, its title and its variables."""
    key = table.upper()
    named = {t for t in _table_ids(name) if not (t.startswith("HAND") and key.startswith("HAND"))} - {key}
    if named:
        raise SchemaError(
            name,
            f"a file of {key}, as --table says",
            found_text=f"a file whose name says {', '.join(sorted(named))}",
        )
    kind = title_kind(df.attrs.get("title", ""))
    if kind is not None and kind != _IDENTITY[target]:
        raise SchemaError(
            name,
            f"{key} ({_IDENTITY[target]}), as --table says",
            found_text=f"a title that says {kind}: {df.attrs['title'][:120]!r}",
        )
    columns = set(df.columns)
    budget_vars = [c for c in columns if "budget" in c]
    has_paragraphs = any(
        df[c].astype(str).str.contains("§", regex=False).any()
        for c in columns
        if c not in ("municipality_code", "area_level", "period", "value", "function_code")
    )
    wrong = None
    if target in ("accounts", "budgets") and "function_code" not in columns:
        wrong = "no FUNKTION variable, which REGK31 and BUDK32 have"
    elif target == "accounts" and budget_vars:
        wrong = f"the variable {budget_vars[0].upper()}, which a budget table has and REGK31 has not"
    elif target != "municipalities" and "alder" in columns:
        wrong = "the variable ALDER (age), which FOLK1A has"
    elif target == "municipalities" and "function_code" in columns:
        wrong = "the variable FUNKTION, which REGK31 and BUDK32 have and FOLK1A has not"
    elif target != "activity" and has_paragraphs:
        wrong = "types of service by paragraph (§), which HAND01 has"
    elif target == "areas" and "function_code" in columns:
        wrong = "the variable FUNKTION, which ARE207 has not"
    if wrong:
        raise SchemaError(name, f"a file of {key}, as --table says", found_text=wrong)
    # the same bytes loaded before as another table: refused for every loader by loads.write


def _put_sources(con: duckdb.DuckDBPyConnection, sources: pd.DataFrame, load_id: int) -> None:
    """Replace the feature sources of ``sources``' rows; inside the load's transaction, undone with it."""
    frame = sources.assign(load_id=load_id)[["municipality_code", "year", "feature", "source", "load_id"]]
    loads.replace_side_rows(
        con, load_id, SOURCES_TABLE, _SOURCES_DDL, ["municipality_code", "year", "feature"], frame
    )


def _put_areas(con: duckdb.DuckDBPyConnection, areas: pd.DataFrame, load_id: int) -> None:
    """Replace the areas of ``areas``' municipalities and years; inside the load's transaction, undone with it."""
    frame = areas[["municipality_code", "year", "area_km2", "source"]]
    loads.replace_side_rows(con, load_id, AREAS_TABLE, _AREAS_DDL, ["municipality_code", "year"], frame)


def feature_sources(
    con: duckdb.DuckDBPyConnection, municipality_codes: list[int] | None = None
) -> pd.DataFrame:
    """Where the structural features of ``municipalities`` came from, for a report to name them.

    Returns
    -------
    pandas.DataFrame
        feature, source, municipalities (how many have it from that source), years ('2018-2025'); empty (with
        those columns) when nothing was recorded (the sample warehouse: its features are synthetic).
    """
    columns = ["feature", "source", "municipalities", "years"]
    if not _exists(con, SOURCES_TABLE):
        return pd.DataFrame(columns=columns)
    df = con.execute(f"SELECT * FROM {SOURCES_TABLE}").df()
    if municipality_codes is not None:
        df = df[df["municipality_code"].isin([int(c) for c in municipality_codes])]
    if df.empty:
        return pd.DataFrame(columns=columns)
    out = (
        df.groupby(["feature", "source"])
        .agg(municipalities=("municipality_code", "nunique"), first=("year", "min"), last=("year", "max"))
        .reset_index()
    )
    out["years"] = [f"{a}" if a == b else f"{a}-{b}" for a, b in zip(out["first"], out["last"], strict=True)]
    return out[columns].sort_values(["feature", "source"]).reset_index(drop=True)


def _areas(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _frame(
        con,
        f"SELECT municipality_code, year, area_km2, source FROM {AREAS_TABLE}",
        AREAS_TABLE,
        ["municipality_code", "year", "area_km2", "source"],
    )


def _load_areas(
    con: duckdb.DuckDBPyConnection,
    converted: tb.Converted,
    name: str,
    sha256: str,
    rows_read: int,
    table: str,
) -> LoadResult:
    """ARE207: keep the areas and recompute the density of the municipalities already loaded."""
    areas = converted.frame.assign(source=tb.SOURCE_ARE207)
    known = _areas(con)
    if len(known):  # the nearest year among all areas loaded, these first
        keys = set(zip(areas["municipality_code"], areas["year"], strict=True))
        older = known[[k not in keys for k in zip(known["municipality_code"], known["year"], strict=True)]]
        known = pd.concat([areas, older], ignore_index=True)
    else:
        known = areas
    current = _frame(con, "SELECT * FROM municipalities", "municipalities", [])
    current = (
        current[current["municipality_code"].isin(areas["municipality_code"])] if len(current) else current
    )
    result: LoadResult | None = None
    if len(current):
        density, sources = [], []
        for code, year, pop in current[["municipality_code", "year", "population"]].itertuples(index=False):
            area, source = tb._area_for(known, int(code), int(year))
            density.append(round(float(pop) / area, 1))
            sources.append((int(code), int(year), "population_density", f"{tb.SOURCE_FOLK1A}; {source}"))
        updated = current.assign(population_density=np.asarray(density, dtype=float))
        frame = pd.DataFrame(sources, columns=["municipality_code", "year", "feature", "source"])

        def also(c: duckdb.DuckDBPyConnection, load_id: int) -> None:
            _put_sources(c, frame, load_id)
            _put_areas(c, areas, load_id)

        result = loads.write(
            con,
            "municipalities",
            updated,
            kind="statbank",
            source=name,
            sha256=sha256,
            options={"table": table.upper()},
            rows_read=rows_read,
            skipped=converted.skipped,
            notes=[*converted.notes, "population density recomputed with these areas"],
            also=also,
        )
        if result.status != "unchanged":
            return result
    # no municipality row to recompute, or none changed: the areas alone, as a load of their own (undone whole)
    old = _areas(con).set_index(["municipality_code", "year"])["area_km2"]
    keys = list(zip(areas["municipality_code"].astype(int), areas["year"].astype(int), strict=True))
    new = sum(k not in old.index for k in keys)
    changed = sum(k in old.index and old[k] != a for k, a in zip(keys, areas["area_km2"], strict=True))
    notes = list(converted.notes)
    if not len(current):
        notes.append("no municipalities loaded yet: the areas give the density of the next FOLK1A load")
    side = loads.write_side(
        con,
        AREAS_TABLE,
        kind="statbank",
        source=name,
        sha256=sha256,
        options={"table": table.upper()},
        rows_read=rows_read,
        rows_loaded=len(areas),
        new=new,
        changed=changed,
        skipped=converted.skipped,
        notes=notes,
        also=lambda c, load_id: _put_areas(c, areas, load_id),
    )
    if result is None or side.status != "unchanged":
        return side
    return result


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    table: str,
    *,
    prisenhed: str | None = None,
    unit: float | None = None,
    provider: str | None = None,
    year: int | str | None = None,
) -> LoadResult:
    """Load a Statistikbanken file into the warehouse (all or nothing; a reload changes nothing).

    Parameters
    ----------
    con
        A writable connection.
    path
        The file: an API response (CSV, BULK, JSON-stat) or a statbank.dk web download (CSV without a heading
        line, or the matrix with title lines).
    table
        Its table id: REGK31, BUDK32, FOLK1A, HAND01 (or another HAND table) or ARE207. The file must be that
        table (its name, title, variables and earlier loads are checked).
    prisenhed, unit
        For REGK31 and BUDK32: the PRISENHED to keep, and DKK per unit for a file with codes only (see
        :func:`~analysis.data.statbank.to_accounts`). Kroner per resident are converted with the FOLK1A population
        in the warehouse, never with ``unit``.
    provider
        For HAND01: ``internal`` or ``external`` when all its services are of one provider type; default
        ``unknown`` (the table has no split).
    year
        The period of a web download without a time column (default: from the file name).

    Returns
    -------
    LoadResult
    """
    target = table_kind(table)
    path = Path(path)
    df = read(path, year=year)
    name = path.name
    sha256 = loads.file_sha256(path)
    _check_identity(con, df, table, target, name, sha256)
    population = _frame(
        con,
        "SELECT municipality_code, year, population FROM municipalities",
        "municipalities",
        ["municipality_code", "year", "population"],
    )
    if target == "areas":
        return _load_areas(con, tb.to_areas(df, name=name), name, sha256, len(df), table)
    if target == "accounts":
        converted = tb.to_accounts(df, prisenhed=prisenhed, unit=unit, name=name, population=population)
    elif target == "budgets":
        converted = tb.to_budgets(df, prisenhed=prisenhed, unit=unit, name=name, population=population)
    elif target == "municipalities":
        converted = tb.to_municipalities(df, name=name, areas=_areas(con))
    else:
        accounts = _frame(
            con,
            "SELECT municipality_code, year, function_code, spending_dkk FROM accounts",
            "accounts",
            ["municipality_code", "year", "function_code", "spending_dkk"],
        )
        converted = tb.to_activity(df, accounts, provider=provider, name=name)
    options = {
        "table": table.upper(),
        "prisenhed": prisenhed,
        "unit": unit,
        "provider": provider,
        "year": year,
    }
    result = loads.write(
        con,
        converted.table,
        converted.frame,
        kind="statbank",
        source=name,
        sha256=sha256,
        options=options,
        rows_read=len(df),
        skipped=converted.skipped,
        notes=converted.notes,
        findings=converted.findings,
        also=(
            (lambda c, load_id: _put_sources(c, converted.sources, load_id))
            if converted.sources is not None and len(converted.sources)
            else None
        ),
    )
    return result
