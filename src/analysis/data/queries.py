"""Read warehouse tables into DataFrames, filtered in the database: the one place analyses' SQL lives.

Every function takes an open connection (:func:`analysis.data.connect`) and returns a pandas DataFrame with the
columns of the table (see :mod:`analysis.data.schema`), so that analysis functions stay pure and testable on
hand-made frames.

One argument order for all of them, the filters keyword-only (a filter left out, or None, keeps every row)::

    queries.<table>(con, *, municipality_codes=None, years=None, function_codes=None)

``municipality_codes`` are Statistics Denmark's 3-digit codes, ``years`` an inclusive ``(first, last)`` pair of
calendar years, ``function_codes`` codes of the chart of accounts such as ``"5.38.50"``. A table without a year or
a function code takes only the filters it has.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import duckdb
import pandas as pd

from analysis.data import values
from analysis.errors import InputError

MunicipalityCodes = Sequence[int] | None
Years = tuple[int, int] | None
FunctionCodes = Sequence[str] | None

__all__ = [
    "accounts",
    "activity",
    "budgets",
    "capacity",
    "cases",
    "feature_sources",
    "function_area",
    "is_sample",
    "ledger",
    "municipalities",
    "population_projection",
    "programme_members",
    "socioeconomic_index",
]

#: The source a report names for the sample warehouse's structural features (synthetic, no ``_feature_sources``).
SAMPLE_FEATURE_SOURCE = "pakkens eksempeldata (syntetiske tal)"
#: The source of the socio-economic index of the sample and of the reference list (not an official index).
ILLUSTRATIVE_INDEX_SOURCE = "pakkens illustrative referenceliste (ikke et officielt indeks)"
SAMPLE_FEATURES = ("population", "population_18_64", "population_density", "socioeconomic_index")


def _where(
    municipality_codes: Sequence[int] | None = None,
    function_codes: Sequence[str] | None = None,
    years: tuple[int, int] | None = None,
) -> tuple[str, list]:
    clauses, params = [], []
    if municipality_codes is not None:
        clauses.append(f"municipality_code IN ({', '.join('?' * len(municipality_codes))})")
        params += [int(c) for c in municipality_codes]
    if function_codes is not None:
        clauses.append(f"function_code IN ({', '.join('?' * len(function_codes))})")
        params += list(function_codes)
    if years is not None:
        clauses.append("year BETWEEN ? AND ?")
        params += [int(years[0]), int(years[1])]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _read(con: duckdb.DuckDBPyConnection, table: str, order: str, **filters) -> pd.DataFrame:
    where, params = _where(**filters)
    return con.execute(f"SELECT * FROM {table}{where} ORDER BY {order}", params).df()


def municipalities(
    con: duckdb.DuckDBPyConnection, *, municipality_codes: MunicipalityCodes = None, years: Years = None
) -> pd.DataFrame:
    """Structural indicators per municipality and year (table ``municipalities``)."""
    return _read(
        con, "municipalities", "year, municipality_code", municipality_codes=municipality_codes, years=years
    )


def socioeconomic_index(
    con: duckdb.DuckDBPyConnection, *, municipality_codes: MunicipalityCodes = None, years: Years = None
) -> pd.DataFrame:
    """The ministry's socio-economic index loaded by ``analysis load socioeconomic`` (table ``socioeconomic_index``).

    Columns municipality_code, year and socioeconomic_index (1.0 = national average).

    Empty (with those columns) when none was loaded, also in a warehouse made before the table existed.
    """
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'socioeconomic_index'"
    ).fetchone()[0]
    if not exists:
        return pd.DataFrame(
            {
                "municipality_code": pd.Series(dtype="int64"),
                "year": pd.Series(dtype="int64"),
                "socioeconomic_index": pd.Series(dtype=float),
            }
        )
    return _read(
        con,
        "socioeconomic_index",
        "year, municipality_code",
        municipality_codes=municipality_codes,
        years=years,
    )


def activity(
    con: duckdb.DuckDBPyConnection,
    *,
    municipality_codes: MunicipalityCodes = None,
    years: Years = None,
    function_codes: FunctionCodes = None,
) -> pd.DataFrame:
    """Full-year persons and DKK per municipality, year, function, paragraph and provider (table ``activity``)."""
    return _read(
        con,
        "activity",
        "municipality_code, year, function_code, paragraph, provider",
        municipality_codes=municipality_codes,
        years=years,
        function_codes=function_codes,
    )


def accounts(
    con: duckdb.DuckDBPyConnection,
    *,
    municipality_codes: MunicipalityCodes = None,
    years: Years = None,
    function_codes: FunctionCodes = None,
) -> pd.DataFrame:
    """Net operating spending in DKK per municipality, year and function (table ``accounts``)."""
    return _read(
        con,
        "accounts",
        "municipality_code, year, function_code",
        municipality_codes=municipality_codes,
        years=years,
        function_codes=function_codes,
    )


def budgets(
    con: duckdb.DuckDBPyConnection,
    *,
    municipality_codes: MunicipalityCodes = None,
    years: Years = None,
    function_codes: FunctionCodes = None,
) -> pd.DataFrame:
    """Corrected budgets in DKK per municipality, year and function (table ``budgets``)."""
    return _read(
        con,
        "budgets",
        "municipality_code, year, function_code",
        municipality_codes=municipality_codes,
        years=years,
        function_codes=function_codes,
    )


def capacity(
    con: duckdb.DuckDBPyConnection,
    *,
    municipality_codes: MunicipalityCodes = None,
    years: Years = None,
    function_codes: FunctionCodes = None,
) -> pd.DataFrame:
    """Places in the municipalities' own offers per year and function (table ``capacity``)."""
    return _read(
        con,
        "capacity",
        "municipality_code, year, function_code",
        municipality_codes=municipality_codes,
        years=years,
        function_codes=function_codes,
    )


def ledger(
    con: duckdb.DuckDBPyConnection,
    *,
    municipality_codes: MunicipalityCodes = None,
    years: Years = None,
    function_codes: FunctionCodes = None,
) -> pd.DataFrame:
    """Monthly postings in DKK per municipality, function, year and month (table ``ledger``)."""
    return _read(
        con,
        "ledger",
        "municipality_code, function_code, year, month",
        municipality_codes=municipality_codes,
        years=years,
        function_codes=function_codes,
    )


def cases(
    con: duckdb.DuckDBPyConnection,
    *,
    municipality_codes: MunicipalityCodes = None,
    function_codes: FunctionCodes = None,
) -> pd.DataFrame:
    """Person-level cases (table ``cases``; pseudonyms, never CPR numbers), ordered by person and start.

    ``function_codes`` keeps only cases paid on those functions (cases without a function code are left out).
    """
    return _read(
        con,
        "cases",
        "municipality_code, person_id, start_date, case_id",
        municipality_codes=municipality_codes,
        function_codes=function_codes,
    )


def function_area(con, function_code: str) -> pd.Series:
    """One function area of the warehouse (table ``function_areas``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse.
    function_code : str
        A code of the chart of accounts in its dotted form, e.g. ``'5.38.50'``.

    Returns
    -------
    pandas.Series
        function_code, name (Danish), paragraph, paragraphs.

    Raises
    ------
    InputError
        For a code the warehouse does not hold: the message names the warehouse and the code, the nearest known
        codes ("did you mean") and all known ones.
    """
    df = con.execute("SELECT * FROM function_areas WHERE function_code = ?", [function_code]).df()
    if df.empty:
        from analysis.data.warehouse import warehouse_name

        known = [r[0] for r in con.execute("SELECT function_code FROM function_areas ORDER BY 1").fetchall()]
        raise InputError(
            f"{warehouse_name(con)}: function code {function_code!r} is not in the table function_areas"
            f"{_nearest_codes(function_code, known)}; expected one of: {', '.join(known) or '(none)'}"
        )
    return df.iloc[0]


def _nearest_codes(value: object, known: Sequence[str]) -> str:
    """' (did you mean 'A' or 'B'?)' for the known function codes nearest ``value``, or ''.

    A code written in another form (``53850``, ``'5.38.50 Botilbud'``) is pointed to its dotted form; otherwise
    the up to three most similar codes.

    >>> _nearest_codes("53850", ["5.38.50", "5.38.52"])
    " (did you mean '5.38.50'?)"
    >>> _nearest_codes("5.38.5", ["5.28.20", "5.38.45", "5.38.50", "5.38.52"])
    " (did you mean '5.38.50', '5.38.52' or '5.38.45'?)"
    >>> _nearest_codes("5.38.51", ["5.38.50", "5.38.52", "5.38.53", "5.38.58"])
    " (did you mean '5.38.50', '5.38.52' or '5.38.53'?)"
    >>> _nearest_codes("Botilbud", ["5.38.50"])
    ''
    """
    dotted = values.function_code(value)
    if dotted in known:
        near = [dotted]
    else:  # the most similar (and those nearly as similar) first; of equals, those the value begins, then by code
        cutoff = 0.6 if dotted is not None or any(ch.isdigit() for ch in str(value)) else 0.8
        ratio = {c: difflib.SequenceMatcher(None, str(value), c).ratio() for c in known}
        best = max(ratio.values(), default=0.0)
        close = [c for c in known if ratio[c] >= max(cutoff, best - 0.1)]
        near = sorted(close, key=lambda c: (-ratio[c], not c.startswith(str(value)), c))[:3]
    if not near:
        return ""
    listed = ", ".join(repr(c) for c in near[:-1]) + " or " if len(near) > 1 else ""
    return f" (did you mean {listed}{near[-1]!r}?)"


def programme_members(
    con: duckdb.DuckDBPyConnection, *, municipality_codes: MunicipalityCodes = None
) -> pd.DataFrame:
    """Members of cross-sector programmes (table ``programme_members``; pseudonyms), ordered by joining and person."""
    return _read(
        con,
        "programme_members",
        "municipality_code, joined, person_id",
        municipality_codes=municipality_codes,
    )


def is_sample(con) -> bool:
    """Whether the warehouse is the synthetic sample (``_meta`` kind ``'sample'``)."""
    from analysis.data.warehouse import read_meta

    return read_meta(con).get("kind") == "sample"


def feature_sources(con, municipality_codes=None) -> pd.DataFrame:
    """Where the structural features of ``municipalities`` came from, for a report to name them (Danish).

    Loaded data (``analysis fetch statbank``, ``analysis load statbank``) record their sources in
    ``_feature_sources`` (:func:`analysis.data.statbank.feature_sources`). The sample warehouse records none: its
    features are synthetic, and its socio-economic index is the package's illustrative reference list.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse.
    municipality_codes : list of int, optional
        Count only these municipalities (the own one and its candidates).

    Returns
    -------
    pandas.DataFrame
        feature, source, municipalities (how many have the feature from that source; NaN for the sample), years;
        empty (with those columns) when nothing is recorded and the warehouse is not the sample.
    """
    from analysis.data import statbank

    recorded = statbank.feature_sources(con, municipality_codes)
    if len(recorded) or not is_sample(con):
        return recorded
    return pd.DataFrame(
        {
            "feature": list(SAMPLE_FEATURES),
            "source": [
                ILLUSTRATIVE_INDEX_SOURCE if f == "socioeconomic_index" else SAMPLE_FEATURE_SOURCE
                for f in SAMPLE_FEATURES
            ],
            "municipalities": float("nan"),
            "years": "",
        }
    )


def population_projection(
    con: duckdb.DuckDBPyConnection, *, municipality_codes: MunicipalityCodes = None, years: Years = None
) -> pd.DataFrame:
    """The loaded population projection (table ``population_projection``); empty when none is loaded.

    A warehouse made before the table existed (the sample, read-only) has none: it reads as empty.
    """
    from analysis.data.schema import TABLES

    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'population_projection'"
    ).fetchone()[0]
    if not exists:
        cols = [c.name for c in TABLES["population_projection"].columns]
        return pd.DataFrame(columns=cols)
    return _read(
        con,
        "population_projection",
        "municipality_code, year, age_from",
        municipality_codes=municipality_codes,
        years=years,
    )
