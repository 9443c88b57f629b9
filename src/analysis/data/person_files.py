"""Loading a file of persons (a case extract, a programme member list): the steps the two loaders share.

A file of persons holds CPR numbers, so its load runs one sequence whichever loader reads it (:func:`load`): the
pseudonymisation key is checked (strong, :func:`loader_key`, and the warehouse's own,
:func:`analysis.data.cases.check_warehouse_key`), the loader reads and pseudonymises the file under it, the rows
are written with the record of the load (:func:`analysis.data.loads.write`), and the warehouse keeps the key's
fingerprint. Each loader (:mod:`analysis.data.case_extract`, :mod:`analysis.data.member_extract`) keeps what is
its own: its mapping, its reading and checks, what a load replaces.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analysis.data import cases as case_ingest
from analysis.data import loads
from analysis.data.loads import ColumnMapping, Finding, LoadResult
from analysis.errors import ConfigurationError
from analysis.privacy import PseudonymKeyError, check_key

__all__ = ["PersonFile", "date_text", "load", "loader_key"]


def date_text(d: Any) -> str:
    """A date of a file of persons as its messages show it: '31.05.2025' (a date, Timestamp or ISO string)."""
    return f"{pd.Timestamp(d):%d.%m.%Y}"


def open_file(
    path: str | os.PathLike, mapping: ColumnMapping, fields: Any, key: bytes | None
) -> tuple[bytes, loads.SourceTable, pd.DataFrame, np.ndarray, dict[str, str], loads.Fields]:
    """Open a file of persons as both loaders do: the key checked, the file read, its mapped columns selected.

    Parameters
    ----------
    path
        The file (CSV or .xlsx).
    mapping
        Its mapping.
    fields
        The loader's field names (each the file's column of that name unless the mapping names another).
    key
        The pseudonymisation key given to the loader, or None (:func:`loader_key`).

    Returns
    -------
    tuple
        The checked key, the file as read, its mapped columns, the file row of each, the file's column of each
        field, and the fields' readers (:class:`analysis.data.loads.Fields`).
    """
    key = loader_key(key)
    table = loads.read_file(path, mapping.format, headings=list(mapping.columns.values()))
    df = loads.select_columns(table, mapping)
    col = {k: mapping.columns.get(k, k) for k in fields}
    return key, table, df, table.rows(), col, loads.Fields.of(table, df, col, mapping.format.date_format)


def loader_key(key: bytes | None) -> bytes:
    """The pseudonymisation key a load of CPR numbers uses: the one given, checked, or else the configured one.

    Shared by the case loader and the programme member loader (:mod:`analysis.data.member_extract`), so that a
    person gets the same pseudonym in ``cases`` and ``programme_members``.

    Parameters
    ----------
    key : bytes or None
        The key's bytes (at least 32 random bytes, :func:`analysis.privacy.check_key`); None for
        :func:`analysis.data.cases.pseudonym_key` (``ANALYSIS_PSEUDONYM_KEY`` or the warehouse's key file).

    Returns
    -------
    bytes
        The key.

    Raises
    ------
    ConfigurationError
        When the key given, or the configured one, is too short or not random.
    """
    if key is None:
        return case_ingest.pseudonym_key()
    try:
        return check_key(key, "the pseudonymisation key given to the loader")
    except PseudonymKeyError as e:
        raise ConfigurationError(str(e)) from None


@dataclass
class PersonFile:
    """A file of persons as its loader read it, ready to write.

    Attributes
    ----------
    frame : pandas.DataFrame
        Rows of the warehouse table (pseudonyms, no CPR numbers), with a ``municipality_code`` column and
        ``attrs["columns"]`` (the file's column of each field, for the messages of the write).
    rows : numpy.ndarray
        The file row of each row of ``frame``.
    table : analysis.data.loads.SourceTable
        The file as read (its source name, its rows read, its notes).
    findings : list of Finding
        The file's data-quality findings (the load gives them its municipality).
    skipped : dict of str to int, optional
        Rows not loaded, by reason (rows).
    """

    frame: pd.DataFrame
    rows: np.ndarray
    table: loads.SourceTable
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, int] | None = None


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    mapping: ColumnMapping,
    read: Callable[[bytes], PersonFile],
    *,
    table: str,
    kind: str,
    municipality_code: int | None,
    key: bytes | None,
    partition: tuple[str, ...] | None = None,
) -> LoadResult:
    """Load a file of persons: the key checked, the file read under it, written with its record, the key kept.

    Parameters
    ----------
    con
        A writable connection.
    path
        The file.
    mapping
        Its mapping (the load's options keep its fingerprint).
    read
        ``read(key)``: the loader's reading of the file under the checked key, with any check of the warehouse
        that needs the rows read; nothing is written when it raises.
    table, kind
        The warehouse table and the loader's name in the record of the load (``cases``, ``members``).
    municipality_code
        The municipality given to the load (None when the file or the mapping says); the record's municipality is
        the rows' one municipality, or this one for a file without rows to load, or None for several.
    key
        The pseudonymisation key (at least 32 random bytes); None for :func:`analysis.data.cases.pseudonym_key`.
    partition
        As :func:`analysis.data.loads.write` (None: rows replaced by key).

    Raises
    ------
    ConfigurationError
        For a weak key.
    DataError
        When the warehouse's person ids were made under another key; nothing is written.
    """
    key = loader_key(key)
    case_ingest.check_warehouse_key(con, key)
    got = read(key)
    munis = sorted(set(got.frame["municipality_code"])) or ([municipality_code] if municipality_code else [])
    municipality = int(munis[0]) if len(munis) == 1 else None
    for f in got.findings:
        f.municipality_code = municipality
    result = loads.write(
        con,
        table,
        got.frame,
        kind=kind,
        source=got.table.source,
        sha256=loads.file_sha256(path),
        options={"mapping": mapping.sha256, "municipality_code": municipality_code},
        rows_read=len(got.table.df),
        municipality_code=municipality,
        partition=partition,
        findings=got.findings,
        skipped=got.skipped,
        notes=list(got.table.notes),
        rows=got.rows,
        columns=got.frame.attrs["columns"],
    )
    case_ingest.record_warehouse_key(con, key)
    return result
