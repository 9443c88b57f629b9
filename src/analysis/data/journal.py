"""Readers and writers of the two append-only tables: ``budget_assumptions`` and ``followup_journal``.

Both tables keep every version: a write adds rows with the next version number, ``created_at`` (UTC, ISO 8601)
and what the version was made from; nothing already recorded is changed or removed. Writing what the latest
version already holds records nothing (see :func:`record_budget_assumptions` and :func:`record_followup`).

The readers return empty frames with the table's columns when the table does not exist yet (a warehouse built
before the tables were added).
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd

from analysis.data.schema import TABLES
from analysis.data.warehouse import create_schema, fetch_one, load

__all__ = [
    "RecordResult",
    "budget_assumptions",
    "budget_versions",
    "followup_journal",
    "record_budget_assumptions",
    "record_followup",
    "same_budget",
]

_BUDGET_KEY = ["function_code", "paragraph", "provider"]
_BUDGET_VALUES = ["full_year_persons", "price_dkk", "amount_dkk"]
_JOURNAL_VALUES = [
    "budget_dkk",
    "budget_to_date_dkk",
    "booked_dkk",
    "forecast_dkk",
    "lower_dkk",
    "upper_dkk",
    "method",
    "full_year_persons",
    "price_dkk",
    "budget_version",
    "total_forecast_dkk",
    "total_lower_dkk",
    "total_upper_dkk",
]
#: Journal columns added after the first journals were written: empty in the versions recorded before.
_JOURNAL_ADDED = ["total_forecast_dkk", "total_lower_dkk", "total_upper_dkk"]


class RecordResult:
    """What a write did: the version that now holds the rows, and whether it was recorded by this write."""

    def __init__(self, version: int, recorded: bool, rows: int):
        self.version, self.recorded, self.rows = version, recorded, rows

    def __repr__(self) -> str:
        return f"RecordResult(version={self.version}, recorded={self.recorded}, rows={self.rows})"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[table].column_names})


def _select(con: duckdb.DuckDBPyConnection, table: str, where: str, params: list, order: str) -> pd.DataFrame:
    exists = fetch_one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table])
    if not exists or not exists[0]:  # (never let DuckDB fall back to a Python variable of that name)
        return _empty(table)
    return con.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY {order}", params).df()


def budget_assumptions(
    con: duckdb.DuckDBPyConnection, municipality_code: int, year: int, version: int | None = None
) -> pd.DataFrame:
    """The recorded budget assumptions of one municipality and budget year: the latest version, or ``version``.

    Returns
    -------
    pandas.DataFrame
        The rows of table ``budget_assumptions`` of that version (empty when none is recorded).
    """
    df = _select(
        con,
        "budget_assumptions",
        "municipality_code = ? AND year = ?",
        [int(municipality_code), int(year)],
        "version, function_code, paragraph, provider",
    )
    if df.empty:
        return df
    wanted = int(df["version"].max()) if version is None else int(version)
    return df[df["version"] == wanted].reset_index(drop=True)


def budget_versions(con: duckdb.DuckDBPyConnection, municipality_code: int, year: int) -> pd.DataFrame:
    """One row per recorded version of a budget year: ``version``, ``created_at``, ``amount_dkk``, ``inputs``."""
    df = _select(
        con,
        "budget_assumptions",
        "municipality_code = ? AND year = ?",
        [int(municipality_code), int(year)],
        "version",
    )
    if df.empty:
        return pd.DataFrame(columns=["version", "created_at", "amount_dkk", "inputs"])
    return df.groupby("version", as_index=False).agg(
        created_at=("created_at", "first"), amount_dkk=("amount_dkk", "sum"), inputs=("inputs", "first")
    )


def _same_rows(a: pd.DataFrame, b: pd.DataFrame, key: list[str], values: list[str]) -> bool:
    if len(a) != len(b):
        return False
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    if not (a[key].astype(str).to_numpy() == b[key].astype(str).to_numpy()).all():
        return False
    for c in values:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) or pd.api.types.is_numeric_dtype(y):
            x, y = pd.to_numeric(x).to_numpy(dtype=float), pd.to_numeric(y).to_numpy(dtype=float)
            if not np.allclose(x, y, rtol=0, atol=1e-6, equal_nan=True):
                return False
        elif not (x.astype(str).to_numpy() == y.astype(str).to_numpy()).all():
            return False
    return True


def _json(inputs: dict) -> str:
    return json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)


def same_budget(recorded: pd.DataFrame, assumptions: pd.DataFrame, inputs: dict) -> bool:
    """Whether a recorded version (its rows) holds the same assumptions and inputs."""
    if recorded.empty or recorded["inputs"].iloc[0] != _json(inputs):
        return False
    return _same_rows(recorded, assumptions, _BUDGET_KEY, _BUDGET_VALUES)


def record_budget_assumptions(
    con: duckdb.DuckDBPyConnection,
    assumptions: pd.DataFrame,
    inputs: dict,
    *,
    created_at: str | None = None,
) -> RecordResult:
    """Append the budget assumptions as the next version of their municipality and year.

    Parameters
    ----------
    con
        A writable connection.
    assumptions
        One municipality and year: ``municipality_code``, ``year``, ``function_code``, ``paragraph``,
        ``provider``, ``full_year_persons``, ``price_dkk`` (DKK per full-year person) and ``amount_dkk`` (DKK);
        further columns are ignored.
    inputs
        What the assumptions were computed from (stored as JSON).
    created_at
        The time recorded (ISO 8601); default now (UTC).

    Returns
    -------
    RecordResult
        The new version; or the latest version with ``recorded=False`` when it already holds the same rows and
        inputs (a re-run with the same inputs records nothing).
    """
    cols = [
        c for c in TABLES["budget_assumptions"].column_names if c not in ("version", "created_at", "inputs")
    ]
    rows = assumptions[cols].copy()
    muni, year = _one(rows, "municipality_code"), _one(rows, "year")
    text = _json(inputs)
    latest = budget_assumptions(con, muni, year)
    if same_budget(latest, rows, inputs):
        return RecordResult(int(latest["version"].iloc[0]), False, len(latest))
    version = _next_version(con, "budget_assumptions", "municipality_code = ? AND year = ?", [muni, year])
    rows["version"] = version
    rows["created_at"] = created_at or _now()
    rows["inputs"] = text
    n = load(con, "budget_assumptions", rows, source="budget_assumptions (analysis budget)", mode="append")
    return RecordResult(version, True, n)


def followup_journal(
    con: duckdb.DuckDBPyConnection,
    municipality_code: int,
    year: int,
    month: int | None = None,
    *,
    latest: bool = True,
) -> pd.DataFrame:
    """The recorded follow-ups of a municipality and year (one month, or all), the latest version of each month.

    Parameters
    ----------
    latest
        Keep only the latest version of each month (default); False gives every version.

    Returns
    -------
    pandas.DataFrame
        Rows of table ``followup_journal`` ordered by month, version and function code (empty when none), with
        every column of the schema: a journal written before the total's columns were added (and not written to
        since, which adds them) reads with them empty.
    """
    where, params = "municipality_code = ? AND year = ?", [int(municipality_code), int(year)]
    if month is not None:
        where += " AND month = ?"
        params.append(int(month))
    df = _select(con, "followup_journal", where, params, "month, version, function_code")
    for c in _JOURNAL_ADDED:
        if c not in df.columns:
            df[c] = np.nan
    if df.empty or not latest:
        return df.reset_index(drop=True)
    last = df.groupby("month")["version"].transform("max")
    return df[df["version"] == last].reset_index(drop=True)


def record_followup(
    con: duckdb.DuckDBPyConnection, followup: pd.DataFrame, fingerprint: str, *, created_at: str | None = None
) -> RecordResult:
    """Append a month's follow-up (every area) to the journal, unless its latest version was made from the same data.

    Parameters
    ----------
    con
        A writable connection.
    followup
        One municipality, year and month, a row per function area, with the journal's value columns
        (``budget_dkk`` ... ``budget_version``, see :mod:`analysis.data.schema`) and, as
        :func:`analysis.followup.followup` gives them, the total's ``total_forecast_dkk``,
        ``total_lower_dkk`` and ``total_upper_dkk`` (recorded empty where missing).
    fingerprint
        The fingerprint of the data the follow-up was made from
        (:func:`analysis.followup.data_fingerprint`).
    created_at
        The time recorded (ISO 8601); default now (UTC).

    Returns
    -------
    RecordResult
        The new version, or the latest version with ``recorded=False`` when its fingerprint is ``fingerprint``.
    """
    cols = ["municipality_code", "year", "month", "function_code", *_JOURNAL_VALUES]
    rows = followup.reindex(columns=cols).copy()
    missing = [c for c in cols if c not in followup.columns and c not in _JOURNAL_ADDED]
    if missing:
        raise KeyError(f"the follow-up lacks the column(s) {missing}")
    muni, year, month = (_one(rows, c) for c in ("municipality_code", "year", "month"))
    latest = followup_journal(con, muni, year, month)
    if not latest.empty and (latest["data_fingerprint"] == fingerprint).all():
        return RecordResult(int(latest["version"].iloc[0]), False, len(latest))
    where = "municipality_code = ? AND year = ? AND month = ?"
    version = _next_version(con, "followup_journal", where, [muni, year, month])
    rows["version"] = version
    rows["created_at"] = created_at or _now()
    rows["data_fingerprint"] = fingerprint
    rows["budget_version"] = rows["budget_version"].astype("Int64")
    n = load(con, "followup_journal", rows, source="followup_journal (analysis followup)", mode="append")
    return RecordResult(version, True, n)


def _one(rows: pd.DataFrame, column: str) -> int:
    values = rows[column].unique()
    if len(values) != 1:
        raise ValueError(f"expected the rows of one {column}, found {sorted(values.tolist())}")
    return int(values[0])


def _next_version(con: duckdb.DuckDBPyConnection, table: str, where: str, params: list) -> int:
    create_schema(con)
    row = fetch_one(con, f"SELECT max(version) FROM {table} WHERE {where}", params)
    return 1 if row is None or row[0] is None else int(row[0]) + 1
