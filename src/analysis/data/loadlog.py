"""The record of loads: write a file's rows with its load record, findings and history in one transaction; undo.

:func:`write` validates warehouse rows and writes them, the record of the load (table ``_loads``: file name,
SHA-256, rows read, loaded and skipped), the load's data-quality findings (table ``_findings``) and every row it
replaces or removes (table ``_history_<table>``) in ONE transaction: a file lands completely or not at all. A file
whose rows are all in the warehouse already, loaded before with the same options, is reported as unchanged and
nothing is written; a file whose bytes were loaded before as another table is refused. :func:`undo` restores the
warehouse as it was before a load; :func:`previous_loads` lists the loads in force.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from analysis.data import reference
from analysis.data.schema import TABLES, SchemaError, validate
from analysis.data.values import remap_error
from analysis.data.warehouse import create_schema, fetch_one, read_meta, transaction, write_meta
from analysis.errors import InputError
from analysis.privacy import mask_cpr

LOADS_TABLE = "_loads"
FINDINGS_TABLE = "_findings"
#: The side tables a load writes beside its warehouse table (e.g. ``_areas``, ``_feature_sources``), by name with
#: their key columns (a JSON list), so that :func:`undo` restores them without knowing the loader.
SIDE_TABLES = "_side_tables"
#: The ``_meta`` kind of a warehouse that holds users' data (the sample's is ``sample``).
OWN_DATA_KIND = "own data"

_LOADS_DDL = f"""CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (
    load_id BIGINT PRIMARY KEY,
    loaded_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    options VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    municipality_code BIGINT,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_new BIGINT NOT NULL,
    rows_changed BIGINT NOT NULL,
    rows_removed BIGINT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    skipped VARCHAR NOT NULL,
    notes VARCHAR NOT NULL
)"""

_FINDINGS_COLUMNS = """
    load_id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    municipality_code BIGINT,
    "check" VARCHAR NOT NULL,
    "count" BIGINT,
    unit VARCHAR NOT NULL,
    examples VARCHAR NOT NULL,
    note VARCHAR NOT NULL
"""

_FINDINGS_DDL = f"CREATE TABLE IF NOT EXISTS {FINDINGS_TABLE} ({_FINDINGS_COLUMNS})"


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Finding:
    """One data-quality check on one file or table: how many hits, in what unit, with a few examples.

    Attributes
    ----------
    check : str
        The check's id, a key of :data:`analysis.data.quality.CHECKS` (e.g. ``"negative_posting"``).
    count : int or None
        Number of hits (postings, cases, months ...); ``None`` when the check could not be made (see ``note``).
    unit : str
        What is counted, in Danish (``"posteringer"``, ``"sager"``, ``"måneder"``).
    examples : list of str
        A few hits, described without person data (row numbers, case numbers, pseudonyms, amounts).
    note : str
        Why the check was not made, or a remark on the hits.
    municipality_code : int or None
        The municipality the hits belong to.
    """

    check: str
    count: int | None
    unit: str
    examples: list[str] = field(default_factory=list)
    note: str = ""
    municipality_code: int | None = None


@dataclass
class LoadResult:
    """What a load did; :meth:`describe` says it in a few lines for the command line.

    Attributes
    ----------
    kind : str
        ``statbank``, ``ledger`` or ``cases``.
    source : str
        The file name (without its folder).
    target : str
        The warehouse table written.
    status : str
        ``loaded`` or ``unchanged`` (the same file with the same options was loaded before and every row is in the
        warehouse already: nothing was written).
    rows_read : int
        Data rows read from the file.
    rows_loaded : int
        Warehouse rows written (after aggregation, e.g. postings summed per month).
    new, changed, removed : int
        Warehouse rows added, replaced with other values, and removed (a ledger file replaces the months of each
        function and year it holds).
    skipped : dict
        Rows of the file not loaded, by reason (e.g. ``{"uden CPR-nummer": 3}``).
    findings : list of Finding
        The data-quality findings of the file.
    notes : list of str
        Remarks for the user (assumptions made, what the file could not fill).
    """

    kind: str
    source: str
    target: str
    status: str = "loaded"
    rows_read: int = 0
    rows_loaded: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_id: int | None = None

    def __post_init__(self) -> None:
        # a note or reason may quote the file (a sheet's name, a heading): a CPR number in it is never shown or
        # stored (table _loads)
        self.notes = [str(mask_cpr(n)) for n in self.notes]
        self.skipped = {str(mask_cpr(reason)): n for reason, n in self.skipped.items()}

    def describe(self) -> str:
        """A few lines for the command line: what was loaded, skipped and found."""
        if self.status == "unchanged":
            return (
                f"{self.source}: unchanged; this file was loaded before and its {self.rows_loaded:,} rows of "
                f"table '{self.target}' are all in the warehouse. Nothing was written."
            )
        else:
            lines = [
                f"{self.source}: {self.rows_read:,} rows read; {self.rows_loaded:,} rows of table '{self.target}' "
                f"loaded ({self.new:,} new, {self.changed:,} changed, {self.removed:,} removed)."
            ]
        for reason, n in self.skipped.items():
            lines.append(f"  skipped {n:,} rows: {reason}")
        hits = [f for f in self.findings if f.count]
        if hits:
            lines.append(
                "  data-quality findings (the report: analysis run parameters/batches/data-quality.yaml):"
            )
            for f in hits:
                lines.append(f"    {f.check}: {f.count:,} {f.unit}")
        for note in self.notes:
            lines.append(f"  note: {mask_cpr(note)}")  # notes appended after the result was made, too
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The record of loads


def history_table(table: str) -> str:
    """The history table of a warehouse table: every row a load replaced or removed, and the keys it wrote."""
    return f"_history_{table}"


def _history_ddl(table: str) -> str:
    t = TABLES[table]
    cols = ", ".join(f'"{c.name}" {_DUCKDB.get(c.dtype, "VARCHAR")}' for c in t.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {history_table(table)} (load_id BIGINT NOT NULL, change VARCHAR NOT NULL, "
        f"{cols})"
    )


_DUCKDB = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "date": "DATE", "bool": "BOOLEAN"}

# the findings a load replaced, with the load that replaced them (same columns as the findings table)
_FINDINGS_HISTORY_DDL = (
    f"CREATE TABLE IF NOT EXISTS {FINDINGS_TABLE}_history (\n    replaced_by BIGINT NOT NULL,"
    f"{_FINDINGS_COLUMNS})"
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse tables, ``_meta``, ``_loads``, ``_findings`` and the history tables where missing.

    A warehouse made before loads could be undone gets the column ``_loads.undone_at``.
    """
    create_schema(con)
    con.execute(_LOADS_DDL)
    con.execute(f"ALTER TABLE {LOADS_TABLE} ADD COLUMN IF NOT EXISTS undone_at TIMESTAMP")
    con.execute(_FINDINGS_DDL)
    con.execute(_FINDINGS_HISTORY_DDL)
    for name in TABLES:
        con.execute(_history_ddl(name))
        for c in TABLES[name].columns:  # a history table made before a column was added gets it
            sql_type = _DUCKDB.get(c.dtype, "VARCHAR")
            con.execute(f'ALTER TABLE {history_table(name)} ADD COLUMN IF NOT EXISTS "{c.name}" {sql_type}')


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Mark a new warehouse as holding own data and give it the reference list of function areas."""
    if not read_meta(con).get("kind"):
        write_meta(con, {"kind": OWN_DATA_KIND})
    if fetch_one(con, "SELECT count(*) FROM function_areas")[0] == 0:
        areas = validate(reference.function_areas(), "function_areas", "the package's reference list")
        # not "_areas": that is the name of the areas table of the Statistikbanken loader
        con.register("_incoming_function_areas", areas)
        try:
            con.execute("INSERT INTO function_areas SELECT * FROM _incoming_function_areas")
        finally:
            con.unregister("_incoming_function_areas")


def _before_sql(table: str, scope: Sequence[str] | None) -> str:
    """The rows of ``table`` that writing ``_incoming`` replaces.

    Those with the same keys, and (with a scope) every row matching a row of ``_scope`` on the scope's columns.
    """
    t = TABLES[table]
    key = " AND ".join(f't."{k}" = i."{k}"' for k in t.key)
    sql = f"SELECT t.* FROM {table} t SEMI JOIN _incoming i ON {key}"
    if scope:
        match = " AND ".join(f't."{c}" = s."{c}"' for c in scope)
        sql = f"{sql} UNION SELECT t.* FROM {table} t SEMI JOIN _scope s ON {match}"
    return sql


def _diff(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, int]:
    """(new, changed, removed) rows if ``_incoming`` were written to ``table`` replacing ``_before``."""
    t = TABLES[table]
    key = " AND ".join(f'b."{k}" = i."{k}"' for k in t.key)
    other = [c for c in t.column_names if c not in t.key]
    distinct = " OR ".join(f'b."{c}" IS DISTINCT FROM i."{c}"' for c in other) or "FALSE"
    new, changed = fetch_one(
        con,
        f'SELECT count(*) FILTER (WHERE b."{t.key[0]}" IS NULL), '
        f'count(*) FILTER (WHERE b."{t.key[0]}" IS NOT NULL AND ({distinct})) '
        f"FROM _incoming i LEFT JOIN _before b ON {key}",
    )
    key_bi = " AND ".join(f'b."{k}" = i."{k}"' for k in t.key)
    removed = fetch_one(con, f"SELECT count(*) FROM _before b ANTI JOIN _incoming i ON {key_bi}")[0]
    return int(new), int(changed), int(removed)


def _option_table(options: str) -> str | None:
    try:
        value = json.loads(options).get("table")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


def _same_file_as_another_table(
    con: duckdb.DuckDBPyConnection, sha256: str, kind: str, table: str, opts: str, source: str
) -> None:
    """Refuse a file whose bytes were loaded before (and not undone) as another table."""
    earlier = con.execute(
        f"SELECT load_id, loaded_at, kind, target, options, source FROM {LOADS_TABLE} "
        "WHERE sha256 = ? AND undone_at IS NULL ORDER BY load_id",
        [sha256],
    ).fetchall()
    mine = (kind, table, _option_table(opts))
    for load_id, loaded_at, e_kind, e_target, e_opts, e_source in earlier:
        theirs = (e_kind, e_target, _option_table(e_opts))
        # a file of one table id may be a load of its warehouse table or of its side tables only (ARE207's areas
        # with or without municipalities to recompute): the same table either way
        same_id = mine[2] is not None and (theirs[0], theirs[2]) == (mine[0], mine[2])
        if theirs != mine and not same_id:
            as_what = (
                f"table '{e_target}'" + (f" ({theirs[2]})" if theirs[2] else "") + f" by the {e_kind} loader"
            )
            raise SchemaError(
                source,
                "a file not loaded before as another table (one file holds one table); if the earlier load was "
                f"wrong, undo it first: analysis undo {load_id}",
                found_text=f"the same bytes (SHA-256 {sha256[:12]}…) as {e_source}, loaded as {as_what} in load "
                f"{load_id} at {loaded_at:%Y-%m-%d %H:%M}",
            )


def write(
    con: duckdb.DuckDBPyConnection,
    table: str,
    df: pd.DataFrame,
    *,
    kind: str,
    source: str,
    sha256: str,
    options: Mapping[str, Any],
    rows_read: int,
    municipality_code: int | None = None,
    partition: Sequence[str] | None = None,
    scope: pd.DataFrame | None = None,
    findings: Sequence[Finding] = (),
    skipped: Mapping[str, int] | None = None,
    notes: Sequence[str] = (),
    rows: Sequence[int] | None = None,
    columns: Mapping[str, str] | None = None,
    also: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None,
) -> LoadResult:
    """Validate warehouse rows and write them with the record of the load, all in one transaction.

    Every row the load replaces or removes is copied into the table's history table (:func:`history_table`)
    with the load's id, together with the keys of the rows it writes, so that :func:`undo` can restore the table.

    Parameters
    ----------
    con
        A writable connection.
    table
        The warehouse table.
    df
        Its rows.
    kind, source, sha256
        The loader (``statbank``, ``ledger``, ``cases``), the file's name and its SHA-256.
    options
        The load's options (table id, municipality, mapping fingerprint ...): the same file with other options is
        another load.
    rows_read
        Data rows read from the file.
    municipality_code
        The municipality the file is about, when it is about one.
    partition
        Columns whose combinations in ``df`` the file replaces completely (rows of those combinations that are
        not in ``df`` are removed); ``None`` replaces rows with the same key only (upsert).
    scope
        Rows of some of the table's columns: every warehouse row that matches one of them is replaced (removed
        unless ``df`` holds its key), e.g. the (municipality, function, year, month) of a declared period. Used
        instead of ``partition``.
    findings
        The file's data-quality findings; they replace the findings of an earlier load of a file of the same name.
    skipped
        Rows not loaded, by reason.
    notes
        Remarks for the user.
    rows, columns
        The file's row of each row of ``df`` and the file's name of each column, so that a validation error points
        into the file.
    also
        Further writes of the same load (e.g. the sources of the structural features), called with the connection
        and the load's id inside its transaction, so that a failure of either leaves nothing of the load; not
        called when the load changes nothing.

    Returns
    -------
    LoadResult

    Raises
    ------
    SchemaError
        When the rows break the schema, there are none (every row of the file left out), or the same file was
        loaded before as another table; nothing is written.
    """
    source = str(mask_cpr(source))  # a CPR number in a file's name is never stored (table _loads, _findings)
    if len(df) == 0:  # "0 rows loaded" would read as a load that worked, and a partition would be emptied
        why = "; ".join(f"{n:,} {reason}" for reason, n in (skipped or {}).items() if n)
        raise SchemaError(
            source,
            f"at least one row to load into table '{table}'; nothing was loaded",
            found_text=f"none of the {rows_read:,} rows read" + (f" (left out: {why})" if why else ""),
        )
    # text columns as plain objects (pandas 3 infers its string dtype, which the validator's checks mix with bools)
    df = df.astype({c: object for c in df.columns if pd.api.types.is_string_dtype(df[c].dtype)})
    try:
        typed = validate(df, table, source)
    except SchemaError as e:
        raise remap_error(e, rows, columns) from None
    ensure_tables(con)
    t = TABLES[table]
    opts = json.dumps(dict(options), sort_keys=True, default=str)
    _same_file_as_another_table(con, sha256, kind, table, opts, source)
    result = LoadResult(
        kind=kind,
        source=source,
        target=table,
        rows_read=rows_read,
        rows_loaded=len(typed),
        skipped=dict(skipped or {}),
        findings=list(findings),
        notes=list(notes),
    )
    if scope is None and partition:
        scope = typed[list(partition)].drop_duplicates()
    scope_cols = list(scope.columns) if scope is not None else None
    con.register("_incoming", typed)
    if scope is not None:
        con.register("_scope", scope.reset_index(drop=True))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _before AS {_before_sql(table, scope_cols)}")
        result.new, result.changed, result.removed = _diff(con, table)
        seen = fetch_one(
            con,
            f"SELECT load_id FROM {LOADS_TABLE} WHERE sha256 = ? AND kind = ? AND options = ? "
            "AND undone_at IS NULL ORDER BY load_id DESC LIMIT 1",
            [sha256, kind, opts],
        )
        if seen is not None and result.new == result.changed == result.removed == 0:
            result.status, result.load_id = "unchanged", int(seen[0])
            return result
        names = ", ".join(f'"{c}"' for c in t.column_names)
        keys = ", ".join(f'"{k}"' for k in t.key)
        with transaction(con, f"the load of {source}"):
            _prepare(con)
            load_id = _next_load_id(con)
            hist = history_table(table)
            con.execute(
                f"INSERT INTO {hist} (load_id, change, {names}) SELECT ?, 'before', {names} FROM _before",
                [load_id],
            )
            con.execute(
                f"INSERT INTO {hist} (load_id, change, {keys}) SELECT ?, 'after', {keys} FROM _incoming",
                [load_id],
            )
            match = " AND ".join(f'{t.name}."{k}" = _before."{k}"' for k in t.key)
            con.execute(f"DELETE FROM {t.name} USING _before WHERE {match}")
            con.execute(f"INSERT INTO {t.name} ({names}) SELECT {names} FROM _incoming")
            _record_load(con, load_id, result, sha256, opts, municipality_code)
            con.execute(
                f"INSERT INTO {FINDINGS_TABLE}_history SELECT ?, * FROM {FINDINGS_TABLE} WHERE source = ? AND kind = ?",
                [load_id, source, kind],
            )
            con.execute(f"DELETE FROM {FINDINGS_TABLE} WHERE source = ? AND kind = ?", [source, kind])
            for f in result.findings:
                con.execute(
                    f"INSERT INTO {FINDINGS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        load_id,
                        kind,
                        source,
                        f.municipality_code if f.municipality_code is not None else municipality_code,
                        f.check,
                        f.count,
                        f.unit,
                        json.dumps([mask_cpr(e) for e in f.examples], ensure_ascii=False),
                        mask_cpr(f.note),
                    ],
                )
            if also is not None:
                also(con, load_id)
        result.load_id = load_id
    finally:
        con.unregister("_incoming")
        if scope is not None:
            con.unregister("_scope")
        con.execute("DROP TABLE IF EXISTS _before")
    return result


# the columns of a side table's history table (the side table may have a column load_id of its own)
_SIDE_LOAD, _SIDE_CHANGE = "history_load_id", "history_change"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{c}"' for c in names)


def replace_side_rows(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    table: str,
    ddl: str,
    key: Sequence[str],
    frame: pd.DataFrame,
) -> None:
    """Replace rows of a side table for load ``load_id``, keeping what they replace so that :func:`undo` can.

    Call it inside the load's transaction (the ``also`` of :func:`write`). The rows of ``table`` with a key of
    ``frame`` are copied into the table's history table (:func:`history_table`) with the load's id, together with
    the keys ``frame`` writes, then replaced by ``frame``'s rows.

    Parameters
    ----------
    con
        The connection, in the load's transaction.
    load_id
        The load's id.
    table
        The side table (e.g. ``_areas``); made with ``ddl`` where missing.
    ddl
        Its ``CREATE TABLE IF NOT EXISTS`` statement.
    key
        Its key columns: a row of ``frame`` replaces the row with the same key.
    frame
        The rows, with the table's columns in its order.
    """
    con.execute(ddl)
    key = list(key)
    hist = history_table(table)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {hist} AS SELECT NULL::BIGINT AS {_SIDE_LOAD}, NULL::VARCHAR AS {_SIDE_CHANGE}, "
        f"* FROM {table} LIMIT 0"
    )
    con.execute(f"CREATE TABLE IF NOT EXISTS {SIDE_TABLES} (name VARCHAR PRIMARY KEY, key VARCHAR NOT NULL)")
    con.execute(f"INSERT INTO {SIDE_TABLES} VALUES (?, ?) ON CONFLICT DO NOTHING", [table, json.dumps(key)])
    names = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.register("_incoming_side", frame[names].reset_index(drop=True))
    try:
        match = " AND ".join(f't."{k}" = i."{k}"' for k in key)
        cols = _quoted(names)
        con.execute(
            f"INSERT INTO {hist} ({_SIDE_LOAD}, {_SIDE_CHANGE}, {cols}) SELECT ?, 'before', {cols} FROM {table} t "
            f"SEMI JOIN _incoming_side i ON {match}",
            [int(load_id)],
        )
        con.execute(
            f"INSERT INTO {hist} ({_SIDE_LOAD}, {_SIDE_CHANGE}, {_quoted(key)}) SELECT ?, 'after', {_quoted(key)} "
            "FROM _incoming_side",
            [int(load_id)],
        )
        con.execute(f"DELETE FROM {table} t USING _incoming_side i WHERE {match}")
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming_side")
    finally:
        with contextlib.suppress(duckdb.Error):  # in a failed transaction the rollback drops it anyway
            con.unregister("_incoming_side")


def _registered_sides(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[str]]]:
    """The side tables loads have written, with their key columns."""
    # asked first: DuckDB would read a missing table's name as a Python object of that name (a replacement scan)
    if not fetch_one(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [SIDE_TABLES]
    )[0]:
        return []
    rows = con.execute(f"SELECT name, key FROM {SIDE_TABLES} ORDER BY name").fetchall()
    return [(str(name), list(json.loads(key))) for name, key in rows]


def write_side(
    con: duckdb.DuckDBPyConnection,
    target: str,
    *,
    kind: str,
    source: str,
    sha256: str,
    options: Mapping[str, Any],
    rows_read: int,
    rows_loaded: int,
    new: int,
    changed: int,
    also: Callable[[duckdb.DuckDBPyConnection, int], None],
    skipped: Mapping[str, int] | None = None,
    notes: Sequence[str] = (),
) -> LoadResult:
    """Record a load that writes side tables only, e.g. ARE207's areas before any municipality is loaded.

    Like :func:`write` without a warehouse table: the record of the load and what ``also`` writes (with
    :func:`replace_side_rows`) in one transaction, so that the load is listed and :func:`undo` undoes it.

    Parameters
    ----------
    con
        A writable connection.
    target
        The side table written (the load's ``target``).
    kind, source, sha256, options, rows_read, skipped, notes
        As for :func:`write`.
    rows_loaded, new, changed
        Side-table rows written, of them new and replacing other values (worked out by the caller).
    also
        The writes, called with the connection and the load's id inside the transaction.

    Returns
    -------
    LoadResult
        ``unchanged`` (nothing written) when no row is new or changed.
    """
    source = str(mask_cpr(source))
    rows_read, rows_loaded, new, changed = int(rows_read), int(rows_loaded), int(new), int(changed)
    ensure_tables(con)
    opts = json.dumps(dict(options), sort_keys=True, default=str)
    _same_file_as_another_table(con, sha256, kind, target, opts, source)
    result = LoadResult(
        kind=kind,
        source=source,
        target=target,
        rows_read=rows_read,
        rows_loaded=rows_loaded,
        new=new,
        changed=changed,
        skipped=dict(skipped or {}),
        notes=list(notes),
    )
    if new == changed == 0:
        result.status = "unchanged"
        return result
    with transaction(con, f"the load of {source}"):
        _prepare(con)
        load_id = _next_load_id(con)
        _record_load(con, load_id, result, sha256, opts, None)
        also(con, load_id)
    result.load_id = load_id
    return result


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """The id of a new load: one more than the highest recorded."""
    return int(fetch_one(con, f"SELECT coalesce(max(load_id), 0) + 1 FROM {LOADS_TABLE}")[0])


def _record_load(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    result: LoadResult,
    sha256: str,
    opts: str,
    municipality_code: int | None,
) -> None:
    """Add load ``load_id`` to the record (``_loads``) with ``result``'s file, target and counts; in its transaction."""
    con.execute(
        f"INSERT INTO {LOADS_TABLE} (load_id, loaded_at, kind, source, sha256, options, target, "
        "municipality_code, rows_read, rows_loaded, rows_new, rows_changed, rows_removed, rows_skipped, "
        "skipped, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            dt.datetime.now().replace(microsecond=0),
            result.kind,
            result.source,
            sha256,
            opts,
            result.target,
            municipality_code,
            result.rows_read,
            result.rows_loaded,
            result.new,
            result.changed,
            result.removed,
            sum(result.skipped.values()),
            json.dumps(result.skipped, ensure_ascii=False),
            json.dumps([mask_cpr(n) for n in result.notes], ensure_ascii=False),
        ],
    )


def _conflicts(con: duckdb.DuckDBPyConnection, load_id: int, table: str) -> list[int]:
    """Later loads, not undone, that wrote or replaced a row with a key that load ``load_id`` wrote or replaced.

    In the warehouse table and in every side table (:func:`replace_side_rows`).
    """
    found = set()
    if table in TABLES:
        found.update(_conflicts_in(con, load_id, history_table(table), TABLES[table].key, "load_id"))
    for side, key in _registered_sides(con):
        found.update(_conflicts_in(con, load_id, history_table(side), key, _SIDE_LOAD))
    return sorted(found)


def _conflicts_in(
    con: duckdb.DuckDBPyConnection, load_id: int, hist: str, key_columns: Sequence[str], load_col: str
) -> list[int]:
    key = " AND ".join(f'a."{k}" = b."{k}"' for k in key_columns)
    rows = con.execute(
        f"SELECT DISTINCT b.{load_col} FROM {hist} a JOIN {hist} b ON {key} "
        f"JOIN {LOADS_TABLE} l ON l.load_id = b.{load_col} "
        f"WHERE a.{load_col} = ? AND b.{load_col} > ? AND l.undone_at IS NULL ORDER BY 1",
        [load_id, load_id],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _restore(con: duckdb.DuckDBPyConnection, load_id: int, table: str, key: Sequence[str]) -> None:
    """Delete the rows load ``load_id`` wrote to ``table`` and bring back those it replaced; in a transaction."""
    hist = history_table(table)
    if table in TABLES:
        cols = _quoted(TABLES[table].column_names)
        load_col, change_col = "load_id", "change"
    else:
        cols = _quoted(r[0] for r in con.execute(f"DESCRIBE {table}").fetchall())
        load_col, change_col = _SIDE_LOAD, _SIDE_CHANGE
    match = " AND ".join(f'{table}."{k}" = h."{k}"' for k in key)
    after = f"SELECT * FROM {hist} WHERE {load_col} = {int(load_id)} AND {change_col} = 'after'"
    con.execute(f"DELETE FROM {table} USING ({after}) h WHERE {match}")
    con.execute(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {hist} WHERE {load_col} = ? AND {change_col} = 'before'",
        [int(load_id)],
    )


def undo(con: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, Any]:
    """Restore the warehouse as it was before load ``load_id``, in one transaction.

    The rows the load wrote are deleted, the rows it replaced or removed come back from the history table, and so
    do the rows of the side tables it wrote (:func:`replace_side_rows`: the areas and feature sources of a
    Statistikbanken load), the data-quality findings it replaced come back, and the load is marked undone
    (``_loads.undone_at``); it stays
    in the record. An undone load is not undone twice.

    The rule: a load can be undone as long as no later load that is still in force wrote, replaced or removed one
    of the same rows (the same key). Otherwise undo those later loads first, newest first; the error names them.

    Returns
    -------
    dict
        load_id, source, target, restored (rows brought back) and deleted (rows the load had written).

    Raises
    ------
    InputError
        For an unknown or already undone load, or one that later loads built on.
    """
    ensure_tables(con)
    row = fetch_one(
        con,
        f"SELECT source, target, undone_at, loaded_at FROM {LOADS_TABLE} WHERE load_id = ?",
        [int(load_id)],
    )
    if row is None:
        known = [r[0] for r in con.execute(f"SELECT load_id FROM {LOADS_TABLE} ORDER BY 1").fetchall()]
        raise InputError(
            f"no load {load_id} in this warehouse; the loads are "
            + (", ".join(map(str, known)) if known else "none")
            + " (analysis loads lists them)"
        )
    source, table, undone_at, loaded_at = row
    if undone_at is not None:
        raise InputError(f"load {load_id} ({source}) was undone already, at {undone_at:%Y-%m-%d %H:%M}")
    sides = dict(_registered_sides(con))
    if table not in TABLES and table not in sides:
        raise InputError(f"load {load_id} ({source}) wrote table '{table}', which this version does not know")
    load_col, change_col = ("load_id", "change") if table in TABLES else (_SIDE_LOAD, _SIDE_CHANGE)
    hist = history_table(table)
    kept = fetch_one(con, f"SELECT count(*) FROM {hist} WHERE {load_col} = ?", [int(load_id)])[0]
    loaded = fetch_one(con, f"SELECT rows_loaded FROM {LOADS_TABLE} WHERE load_id = ?", [int(load_id)])[0]
    if kept == 0 and loaded:
        raise InputError(
            f"load {load_id} ({source}, {loaded_at:%Y-%m-%d %H:%M}) was made before loads kept the rows they replace, "
            "so it cannot be undone; load the earlier files again instead"
        )
    later = _conflicts(con, int(load_id), table)
    if later:
        raise InputError(
            f"load {load_id} ({source}) cannot be undone while later loads that changed the same rows of table "
            f"'{table}' are in force: {', '.join(map(str, later))}. Undo those first, newest first "
            f"(analysis undo {later[-1]})"
        )
    deleted, restored = fetch_one(
        con,
        f"SELECT count(*) FILTER (WHERE {change_col} = 'after'), count(*) FILTER (WHERE {change_col} = 'before') "
        f"FROM {hist} WHERE {load_col} = ?",
        [int(load_id)],
    )
    # the warehouse table (unless the load wrote side tables only) and every side table, as they were
    restore = [(table, list(TABLES[table].key))] if table in TABLES else []
    restore += [(side, key) for side, key in sides.items()]
    with transaction(con, f"undoing load {load_id}"):
        for name, key in restore:
            _restore(con, int(load_id), name, key)
        # its findings go; those it replaced come back unless a later load of the file has its own by now
        con.execute(f"DELETE FROM {FINDINGS_TABLE} WHERE load_id = ?", [int(load_id)])
        cols = 'load_id, kind, source, municipality_code, "check", "count", unit, examples, note'
        con.execute(
            f"INSERT INTO {FINDINGS_TABLE} SELECT {cols} FROM {FINDINGS_TABLE}_history h WHERE replaced_by = ? "
            f"AND NOT EXISTS (SELECT 1 FROM {FINDINGS_TABLE} f WHERE f.source = h.source AND f.kind = h.kind)",
            [int(load_id)],
        )
        con.execute(
            f"DELETE FROM {FINDINGS_TABLE}_history WHERE replaced_by = ? OR load_id = ?",
            [int(load_id), int(load_id)],
        )
        con.execute(
            f"UPDATE {LOADS_TABLE} SET undone_at = ? WHERE load_id = ?",
            [dt.datetime.now().replace(microsecond=0), int(load_id)],
        )
    return {
        "load_id": int(load_id),
        "source": source,
        "target": table,
        "restored": int(restored),
        "deleted": int(deleted),
    }


def previous_loads(
    con: duckdb.DuckDBPyConnection, municipality_code: int | None = None, *, include_undone: bool = False
) -> pd.DataFrame:
    """The record of loads (newest first), optionally those about one municipality or about all (national data).

    Parameters
    ----------
    con
        A warehouse connection.
    municipality_code
        Only the loads about this municipality and those about all municipalities.
    include_undone
        Also the loads that were undone (``undone_at`` set); by default only the loads in force.

    Returns
    -------
    pandas.DataFrame
        The columns of ``_loads``; empty (with those columns) when nothing was ever loaded.
    """
    try:
        df = con.execute(f"SELECT * FROM {LOADS_TABLE} ORDER BY load_id DESC").df()
    except duckdb.CatalogException:
        cols = re.findall(r"^\s+(\w+) ", _LOADS_DDL, flags=re.M)
        return pd.DataFrame(columns=cols)
    if municipality_code is not None:
        df = df[df["municipality_code"].isna() | (df["municipality_code"] == int(municipality_code))]
    if not include_undone and "undone_at" in df.columns:
        df = df[df["undone_at"].isna()]
    return df.reset_index(drop=True)
