"""Ingest of case-system extracts: CPR numbers are replaced by keyed pseudonyms before anything is stored.

A raw extract has the columns of the warehouse tables ``cases`` and ``programme_members`` with ``cpr`` (the CPR
number, DDMMYY-SSSS or ten digits) in place of ``person_id``. The functions here return warehouse-shaped rows with
``person_id`` and no ``cpr`` column; validation and loading are :func:`analysis.data.warehouse.load`'s job.

The key
    :func:`pseudonym_key` finds the key for a warehouse (``ANALYSIS_PSEUDONYM_KEY``, or ``pseudonym.key`` beside
    the warehouse, made on first use) through :func:`analysis.privacy.load_key`, which refuses a weak key.
    :func:`check_warehouse_key` refuses to add pseudonyms made under another key than the one the warehouse's
    person ids were made with: the warehouse keeps a fingerprint of its key in ``_meta``
    (:data:`KEY_FINGERPRINT_META`, written by :func:`record_warehouse_key` at the first case load).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from analysis import paths
from analysis.data.schema import SchemaError
from analysis.data.warehouse import fetch_one, read_meta, write_meta
from analysis.errors import ConfigurationError, DataError
from analysis.privacy import (
    KEY_FILE_NAME,
    CprValueError,
    PseudonymKeyError,
    key_fingerprint,
    load_key,
    pseudonymise_column,
)

__all__ = [
    "KEY_FINGERPRINT_META",
    "check_warehouse_key",
    "default_key_file",
    "ingest_cases",
    "ingest_programme_members",
    "pseudonym_key",
    "record_warehouse_key",
]

#: The ``_meta`` key under which a warehouse keeps the fingerprint of its pseudonymisation key.
KEY_FINGERPRINT_META = "pseudonym_key_fingerprint"


def default_key_file(warehouse: str | os.PathLike | None = None) -> Path:
    """The key file: ``pseudonym.key`` beside ``warehouse``, else in the data folder (:mod:`analysis.paths`)."""
    folder = Path(warehouse).expanduser().parent if warehouse is not None else paths.data_dir()
    return folder / KEY_FILE_NAME


def pseudonym_key(key_file: str | os.PathLike | None = None) -> bytes:
    """The pseudonymisation key (see :func:`analysis.privacy.load_key`), made on first use.

    Parameters
    ----------
    key_file
        The key file; default :func:`default_key_file`.

    Raises
    ------
    ConfigurationError
        For a weak, empty or unreadable key, or a variable and a key file that disagree (the message names them).
    """
    try:
        return load_key(default_key_file() if key_file is None else key_file)
    except PseudonymKeyError as e:
        raise ConfigurationError(str(e)) from None


def _ingest(raw: pd.DataFrame, source: str, key: bytes | None, first_row: int) -> pd.DataFrame:
    if "cpr" not in raw.columns:
        raise SchemaError(
            source, "a column 'cpr' with the person's CPR number", column="cpr", found_text="no such column"
        )
    key = pseudonym_key() if key is None else key
    out = raw.drop(columns=["cpr"]).copy()
    try:
        person_ids = pseudonymise_column(raw["cpr"], key, source=source, column="cpr", first_row=first_row)
    except CprValueError as e:
        raise SchemaError(source, e.expected, row=e.row, column=e.column, found_text=e.found_text) from None
    except PseudonymKeyError as e:
        raise ConfigurationError(str(e)) from None
    out.insert(0, "person_id", person_ids)
    return out


def ingest_cases(
    raw: pd.DataFrame, *, source: str, key: bytes | None = None, first_row: int = 1
) -> pd.DataFrame:
    """Pseudonymise a raw case extract: ``cpr`` becomes ``person_id``.

    Parameters
    ----------
    raw
        The extract: ``cpr`` plus the columns of table ``cases`` other than ``person_id``.
    source
        The file or source name, used in error messages.
    key
        The pseudonymisation key (at least 32 random bytes, see :func:`analysis.privacy.key_problem`); by
        default :func:`pseudonym_key`.
    first_row
        The source's row number of the first row (for error messages).

    Raises
    ------
    SchemaError
        For a missing or malformed CPR number (naming the row, never the value).
    ConfigurationError
        For a weak key.
    """
    out = _ingest(raw, source, key, first_row)
    order = ["case_id", "person_id"] + [c for c in out.columns if c not in ("case_id", "person_id")]
    return out[[c for c in order if c in out.columns]]


def ingest_programme_members(
    raw: pd.DataFrame, *, source: str, key: bytes | None = None, first_row: int = 1
) -> pd.DataFrame:
    """Pseudonymise a raw programme-membership extract: ``cpr`` becomes ``person_id`` (see :func:`ingest_cases`)."""
    return _ingest(raw, source, key, first_row)


def _persons(con: duckdb.DuckDBPyConnection) -> int:
    """Rows with a person id in the warehouse (tables ``cases`` and ``programme_members``); 0 when absent."""
    n = 0
    for table in ("cases", "programme_members"):
        try:
            n += int(fetch_one(con, f"SELECT count(*) FROM {table}")[0])
        except duckdb.CatalogException:
            continue
    return n


def _warehouse_name(con: duckdb.DuckDBPyConnection) -> str:
    row = fetch_one(con, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    return str(row[0]) if row and row[0] else "the warehouse"


def check_warehouse_key(
    con: duckdb.DuckDBPyConnection, key: bytes, incoming: pd.DataFrame | None = None
) -> None:
    """Refuse a load whose pseudonyms are made under another key than the warehouse's person ids.

    The warehouse's fingerprint (:data:`KEY_FINGERPRINT_META` in ``_meta``) decides. A warehouse that holds
    person ids but no fingerprint (made before fingerprints were kept) is checked on the cases it shares with
    ``incoming``: when some case numbers are in both and none keeps its person id, the key is another.

    Parameters
    ----------
    con
        The warehouse.
    key
        The key of the load.
    incoming
        The load's rows of table ``cases`` (municipality_code, case_id, person_id), for the check without a
        fingerprint.

    Raises
    ------
    DataError
        "this warehouse was pseudonymised with another key", with how to recover; nothing is written.
    """
    stored = read_meta(con).get(KEY_FINGERPRINT_META)
    if stored is not None and stored == key_fingerprint(key):
        return
    if _persons(con) == 0:
        return  # no person ids yet: the first case load records its key
    if stored is None:
        if incoming is None or incoming.empty:
            return
        con.register("_incoming_persons", incoming[["municipality_code", "case_id", "person_id"]])
        try:
            shared, same = fetch_one(
                con,
                "SELECT count(*), count(*) FILTER (WHERE c.person_id = i.person_id) FROM cases c "
                "JOIN _incoming_persons i USING (municipality_code, case_id)",
            )
        finally:
            con.unregister("_incoming_persons")
        if not shared or same:
            return
        why = f"none of the {shared} cases already in it keeps its person id under the key of this load"
    else:
        why = "the fingerprint of its key differs from that of the key of this load"
    raise DataError(
        f"{_warehouse_name(con)}: this warehouse was pseudonymised with another key ({why}); loading would give "
        "the same persons second pseudonyms. Use the key the warehouse was made with (ANALYSIS_PSEUDONYM_KEY or "
        f"the {KEY_FILE_NAME} beside it, from your backup), or re-pseudonymise: load every file again into a new "
        "warehouse under the new key (docs/reliability.md, Person data). Nothing was loaded."
    )


def record_warehouse_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Keep the fingerprint of ``key`` in the warehouse's ``_meta`` (after a case load under it)."""
    fingerprint = key_fingerprint(key)
    if read_meta(con).get(KEY_FINGERPRINT_META) != fingerprint:
        write_meta(con, {KEY_FINGERPRINT_META: fingerprint})
