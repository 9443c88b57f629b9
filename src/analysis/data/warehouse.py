"""The embedded DuckDB warehouse: where it lives, how to open it, and the one way data gets into it.

Location
--------
``ANALYSIS_WAREHOUSE`` (a file path) overrides everything. Otherwise the warehouse is ``data/sample.duckdb`` in the
project folder when the package runs from a checkout (editable install), or
``$XDG_DATA_HOME/analysis/sample.duckdb`` (``~/.local/share/analysis``) for a plain install.

Loading
-------
:func:`load` validates a DataFrame against :mod:`analysis.data.schema` and writes it in one transaction: either all
rows land or none do. ``mode`` says what happens to rows already there: ``append`` refuses duplicates of existing
keys, ``upsert`` replaces rows with the same key (so loading the same file twice changes nothing), ``replace``
empties the table first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pandas as pd

from analysis import paths
from analysis.data.schema import TABLES, SchemaError, ddl, validate
from analysis.errors import DataError
from analysis.paths import WAREHOUSE_ENV, data_dir

__all__ = [
    "WAREHOUSE_ENV",
    "WarehouseNotFoundError",
    "connect",
    "create_schema",
    "data_dir",
    "default_path",
    "fetch_one",
    "load",
    "read_meta",
    "resolve",
    "summary",
    "warehouse_name",
    "write_meta",
]


def default_path() -> Path:
    """Where the warehouse is when no path is given (see the module docstring)."""
    env = os.environ.get(WAREHOUSE_ENV)
    if env:
        return Path(env).expanduser()
    return paths.sample_warehouse_path()


class WarehouseNotFoundError(DataError, FileNotFoundError):
    """No warehouse at the path named (a ``DataError`` that is also a ``FileNotFoundError``, as before)."""


def _is_sample_path(path: Path) -> bool:
    return path.expanduser().resolve() == paths.sample_warehouse_path().resolve()


def connect(path: str | os.PathLike | None = None, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse.

    Parameters
    ----------
    path
        A DuckDB file. ``None`` opens the default warehouse (``ANALYSIS_WAREHOUSE`` or the embedded sample),
        building the sample on first use or when the sample generator has changed since it was built. The sample
        is built only at its default path: a file named by ``ANALYSIS_WAREHOUSE`` that does not exist is refused
        (a typing error must not turn into a report on synthetic data).
    read_only
        Open read-only (the default; any number of processes may read at once). Loaders pass ``False``.

    Returns
    -------
    duckdb.DuckDBPyConnection

    Raises
    ------
    DataError
        One line naming the file and the cause: no such file (:class:`WarehouseNotFoundError`), locked by another
        process, or not a DuckDB database (empty, truncated, another kind of file).
    """
    if path is None:
        from analysis.data import sample

        path = default_path()
        if not path.exists() and not _is_sample_path(path):
            raise WarehouseNotFoundError(
                f"no warehouse at {path} (named by {WAREHOUSE_ENV}); check the name, or unset {WAREHOUSE_ENV} to "
                f"use the sample warehouse (it is built only at its default path {paths.sample_warehouse_path()})"
            )
        if read_only and path.exists():
            # the connection that checks the sample's version is the one asked for when the sample is current (or
            # the file holds other data): the file is opened once, not once to check and again to read
            con = _open(path, read_only=True)
            try:
                current = sample.meta_is_current(read_meta(con))
            except BaseException:
                con.close()
                raise
            if current is not False:
                return con
            con.close()
        sample.ensure(path)
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseNotFoundError(
            f"no warehouse at {path}; build the sample with `analysis sample` or load data"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _open(path, read_only=read_only)


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as e:
        raise DataError(f"cannot open the warehouse {path}: {_cause(e)}") from e


#: What a command wants the warehouse for, in :func:`resolve`.
PURPOSES = ("report", "load", "inspect")


def resolve(path: str | os.PathLike | None = None, *, purpose: str = "report") -> tuple[Path, str | None]:
    """Choose the warehouse a command works on: the one rule for every command and the report runner.

    The warehouse is the file named by ``path`` (the ``--warehouse`` option), else by the environment variable
    ``ANALYSIS_WAREHOUSE``, else the sample warehouse at its default path. A file that is named must be what the
    user meant: a name that does not exist is refused (a typing error never gets the sample built there).

    Parameters
    ----------
    path : str or path-like, optional
        The file given with ``--warehouse``; None when the option was not given.
    purpose : {'report', 'load', 'inspect'}, default 'report'
        - ``'report'`` (``analysis run``, ``budget``, ``followup``): the sample is the default; a named file must
          exist unless it is the sample's default path; the sample is built there on first use and rebuilt when
          outdated (:func:`analysis.data.sample.ensure`), other warehouses are left as they are.
        - ``'load'`` (``load``, ``fetch``, ``undo``): a file must be named (own data never go into the sample, which
          is rebuilt whenever its generator changes); it may not exist yet (the first load creates it), but may not
          be the sample warehouse.
        - ``'inspect'`` (``loads``): a file must be named and must exist.

    Returns
    -------
    (pathlib.Path, str or None)
        The warehouse file and who named it: ``'--warehouse'``, ``'ANALYSIS_WAREHOUSE'`` or None (the sample).

    Raises
    ------
    ConfigurationError
        No file named where one is needed, or an unknown ``purpose``.
    DataError
        A named file that does not exist (:class:`WarehouseNotFoundError`), a folder, the sample warehouse named as
        the target of a load, or a warehouse that cannot be read (truncated or damaged).
    """
    from analysis.errors import ConfigurationError

    if purpose not in PURPOSES:
        raise ConfigurationError(f"purpose must be one of {', '.join(PURPOSES)}, got {purpose!r}")
    if path is not None and str(path) != "":
        chosen, named_by = Path(path).expanduser(), "--warehouse"
    elif os.environ.get(WAREHOUSE_ENV):
        chosen, named_by = Path(os.environ[WAREHOUSE_ENV]).expanduser(), WAREHOUSE_ENV
    elif purpose == "report":
        chosen, named_by = paths.sample_warehouse_path(), None
    elif purpose == "load":
        raise ConfigurationError(
            "say which warehouse to load into: --warehouse FILE (e.g. --warehouse data/own.duckdb) or the "
            f"environment variable {WAREHOUSE_ENV}. Own data never go into the sample warehouse, which is rebuilt "
            "whenever the sample generator changes."
        )
    else:
        raise ConfigurationError(
            f"say which warehouse: --warehouse FILE or the environment variable {WAREHOUSE_ENV}"
        )
    if chosen.is_dir():
        raise DataError(f"the warehouse {chosen} (named by {named_by}) is a folder, not a DuckDB file")
    if purpose == "load":
        if chosen.exists() and (_is_sample_path(chosen) or _kind(chosen) == "sample"):
            raise DataError(
                f"{chosen} holds the sample warehouse, which is rebuilt whenever the sample generator changes; load "
                "your own data into another file, e.g. --warehouse data/own.duckdb (it is created on first load)"
            )
        return chosen, named_by
    if purpose == "inspect":
        if not chosen.exists():
            raise WarehouseNotFoundError(f"no warehouse at {chosen} (named by {named_by}); check the name")
        return chosen, named_by
    if named_by and not chosen.exists() and not _is_sample_path(chosen):
        raise WarehouseNotFoundError(
            f"no warehouse at {chosen} (named by {named_by}); check the name. The sample warehouse is built only "
            f"at its default path {paths.sample_warehouse_path()}; load own data with `analysis load`"
        )
    from analysis.data import sample

    try:
        sample.ensure(
            chosen
        )  # builds the default sample, rebuilds an outdated sample, leaves other data alone
    except duckdb.Error as e:  # opened, but its tables cannot be read
        raise DataError(
            f"cannot read the warehouse {chosen}: {_cause(e)} (the file is truncated or damaged; restore it from a "
            "backup or rebuild it)"
        ) from None
    return chosen, named_by


def _kind(path: Path) -> str | None:
    """The ``kind`` a warehouse file records in its metadata ('sample' for the generated sample), or None."""
    con = connect(path, read_only=True)
    try:
        return read_meta(con).get("kind")
    finally:
        con.close()


def _cause(error: BaseException) -> str:
    """DuckDB's reason for refusing a file, in one line and in words a user can act on."""
    text = " ".join(str(error).split())
    text = re.sub(r"^(IO|Serialization|Invalid Input|Catalog|Internal) Error: ", "", text)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"\(PID (\d+)\)", text)
        who = f"process {pid[1]}" if pid else "another process"
        return (
            f"it is locked by {who} (a load, a report or a notebook that holds it open); try again when that "
            "has finished"
        )
    if "not a valid DuckDB database file" in text:
        return "it is not a DuckDB database (an empty, truncated or damaged file, or another kind of file)"
    return text.split(" See also ")[0]


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, or None; the result is read to the end so the connection is free again.

    (DuckDB 2 keeps a connection busy while a result is only partly fetched, e.g. after ``fetchone()``.)
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def warehouse_name(con: duckdb.DuckDBPyConnection) -> str:
    """The file of the open warehouse, for a message to name it; 'the warehouse' for one in memory."""
    row = fetch_one(con, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    return str(row[0]) if row and row[0] else "the warehouse"


_SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "date": "DATE", "bool": "BOOLEAN"}


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of the schema that does not exist yet, and the metadata table."""
    for t in TABLES.values():
        con.execute(ddl(t))
        for c in t.columns:  # a warehouse made before a nullable column was added gets it, empty
            if c.nullable:
                con.execute(f'ALTER TABLE {t.name} ADD COLUMN IF NOT EXISTS "{c.name}" {_SQL_TYPES[c.dtype]}')
    con.execute('CREATE TABLE IF NOT EXISTS _meta ("key" VARCHAR PRIMARY KEY, "value" VARCHAR NOT NULL)')


def write_meta(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    """Record key/value metadata about the warehouse (what built it, from which version)."""
    for k, v in values.items():
        con.execute("INSERT OR REPLACE INTO _meta VALUES (?, ?)", [k, str(v)])


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The warehouse's metadata; empty when it has none."""
    try:
        return dict(con.execute('SELECT "key", "value" FROM _meta').fetchall())
    except duckdb.CatalogException:
        return {}


#: DuckDB errors of the storage itself (a full disk, a file that cannot be written, no memory): not the data's fault.
_STORAGE_ERRORS = (duckdb.IOException, duckdb.FatalException, duckdb.OutOfMemoryException)


def abort(con: duckdb.DuckDBPyConnection, error: BaseException, what: str) -> BaseException:
    """Roll back the open transaction after ``error``; return the exception to raise in its place.

    A COMMIT that fails (e.g. the disk filled) has already ended DuckDB's transaction, so the ROLLBACK that follows
    fails too ("cannot rollback - no transaction is active") and would hide the cause: it is tried quietly. A
    storage error becomes a :class:`~analysis.errors.DataError` that names ``what`` and the cause; any other error
    is returned as it is.

    Parameters
    ----------
    con
        The connection whose transaction failed.
    error
        What went wrong.
    what
        What was being written, for the message (e.g. "the load of posteringer.csv").
    """
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")
    if isinstance(error, _STORAGE_ERRORS):
        return DataError(
            f"{what} could not be written to the warehouse, and nothing of it was stored: {error}"
        )
    return error


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[None]:
    """One transaction: BEGIN, the block, COMMIT; on any error rolled back (:func:`abort`) and raised.

    Parameters
    ----------
    con
        A writable connection with no open transaction.
    what
        What is written, for the message of a storage error (e.g. "the load of posteringer.csv").

    Raises
    ------
    DataError
        For a storage error (a full disk, a file that cannot be written, no memory), naming ``what``; any other
        error is raised as it is, after the rollback.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException as e:
        replacement = abort(con, e, what)
        if replacement is e:
            raise
        raise replacement from e


def load(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    df: pd.DataFrame,
    *,
    source: str,
    mode: str = "append",
    first_row: int = 1,
) -> int:
    """Validate ``df`` and write it to ``table_name`` in one transaction; returns the number of rows written.

    Parameters
    ----------
    con
        A writable connection (``connect(path, read_only=False)``).
    table_name
        The warehouse table.
    df
        The rows, with the table's columns.
    source
        The file or source name, used in error messages.
    mode
        ``append``, ``upsert`` or ``replace`` (see the module docstring).
    first_row
        The source's row number of the first row of ``df`` (e.g. 2 for a CSV with a header line).

    Raises
    ------
    SchemaError
        When the rows break the schema, or (``append``) repeat a key already in the warehouse; nothing is written.
    """
    if mode not in ("append", "upsert", "replace"):
        raise ValueError(f"mode must be 'append', 'upsert' or 'replace', not {mode!r}")
    typed = validate(df, table_name, source, first_row=first_row)
    t = TABLES[table_name]
    create_schema(con)
    keys = ", ".join(f'"{k}"' for k in t.key)
    match = " AND ".join(f'{t.name}."{k}" = _incoming."{k}"' for k in t.key)
    con.register("_incoming", typed.assign(_pos=range(len(typed))))
    try:
        with transaction(con, f"the load of {source}"):
            if mode == "replace":
                con.execute(f"DELETE FROM {t.name}")
            elif mode == "upsert":
                con.execute(f"DELETE FROM {t.name} USING _incoming WHERE {match}")
            else:
                clash = fetch_one(
                    con, f"SELECT _pos FROM _incoming SEMI JOIN {t.name} USING ({keys}) ORDER BY 1 LIMIT 1"
                )
                if clash is not None:
                    i = int(clash[0])
                    key = ", ".join(f"{k}={typed.iloc[i][k]}" for k in t.key)
                    raise SchemaError(
                        source,
                        f"a key not yet in table '{t.name}' (use mode 'upsert' to replace)",
                        row=i + first_row,
                        column=t.key[-1],
                        found_text=f"a row already loaded ({key})",
                    )
            cols = ", ".join(f'"{c}"' for c in t.column_names)
            con.execute(f"INSERT INTO {t.name} ({cols}) SELECT {cols} FROM _incoming")
    finally:
        con.unregister("_incoming")
    return len(typed)


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """An exclusive lock beside ``path`` so that only one process builds a warehouse at a time (POSIX and Windows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as f:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            f.seek(0)
            while True:
                try:
                    msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


def summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per warehouse table: rows, municipalities, years covered and total DKK where the table has them."""
    rows = []
    for t in TABLES.values():
        cols = set(t.column_names)
        parts = ["count(*) AS rows"]
        parts.append("count(DISTINCT municipality_code)" if "municipality_code" in cols else "NULL")
        parts.append("min(year) || '-' || max(year)" if "year" in cols else "NULL")
        money = next((c for c in ("spending_dkk", "budget_dkk") if c in cols), None)
        parts.append(f"sum({money})" if money else "NULL")
        n, munis, years, dkk = fetch_one(con, f"SELECT {', '.join(parts)} FROM {t.name}")
        rows.append({"table": t.name, "rows": n, "municipalities": munis, "years": years, "total_dkk": dkk})
    return pd.DataFrame(rows)
