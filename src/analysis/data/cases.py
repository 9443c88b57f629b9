"""Ingest of case-system extracts: CPR numbers are replaced by keyed pseudonyms before anything is stored.

A raw extract has the columns of the warehouse tables ``cases`` and ``programme_members`` with ``cpr`` (the CPR
number, DDMMYY-SSSS or ten digits) in place of ``person_id``. The functions here return warehouse-shaped rows with
``person_id`` and no ``cpr`` column; validation and loading are :func:`analysis.data.warehouse.load`'s job.

Ages
    :func:`ingest_cases` derives each case's ``age_at_start_year`` (the person's age on 1 January of the year the
    case starts) from a ``birth_date`` column when the extract has one, else from the CPR number's date with the
    century of its 7th digit (:func:`cpr_birth_date`), and stores neither the birth date nor the CPR number. A CPR
    number whose date is impossible (a substitute number), or an age above :data:`MAX_AGE` (115) at the start,
    gives no age; a birth date that cannot be read refuses the file, naming the row and column (never the value).

The key
    :func:`pseudonym_key` finds the key for a warehouse (``ANALYSIS_PSEUDONYM_KEY``, or ``pseudonym.key`` beside
    the warehouse, made on first use) through :func:`analysis.privacy.load_key`, which refuses a weak key.
    :func:`check_warehouse_key` refuses to add pseudonyms made under another key than the one the warehouse's
    person ids were made with: the warehouse keeps a fingerprint of its key in ``_meta``
    (:data:`KEY_FINGERPRINT_META`, written by :func:`record_warehouse_key` at the first case load).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import duckdb
import pandas as pd

from analysis import paths
from analysis.data.schema import SchemaError
from analysis.data.values import is_open_end
from analysis.data.warehouse import fetch_one, read_meta, warehouse_name, write_meta
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
    "MAX_AGE",
    "age_at_start_year",
    "cpr_birth_date",
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


#: Ages above this are not believed (a birth date or CPR number that is wrong, or the 1800s of the century rule on a
#: case of today): the case gets no age.
MAX_AGE = 115


def cpr_birth_date(cpr: object) -> dt.date | None:
    """The birth date in a CPR number (DDMMYY-SSSS or ten digits), the century from the 7th digit; None if impossible.

    The century rule of the CPR office (CPR-kontoret): 7th digit 0-3: 1900-1999; 4 or 9: 2000-2036 when YY is
    00-36, else 1937-1999; 5-8: 2000-2057 when YY is 00-57, else 1858-1899.

    Returns None for a value that is not ten digits or whose day and month are no date (e.g. a substitute number
    with 60 added to the day).

    Examples
    --------
    >>> cpr_birth_date("010150-1234"), cpr_birth_date("010105-4321"), cpr_birth_date("010160-5321")
    (datetime.date(1950, 1, 1), datetime.date(2005, 1, 1), datetime.date(1860, 1, 1))
    """
    digits = re.sub(r"[-\s/.]", "", str(cpr)) if cpr is not None else ""
    if not re.fullmatch(r"\d{10}", digits):
        return None
    day, month, yy, seventh = int(digits[:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if seventh <= 3:
        year = 1900 + yy
    elif seventh in (4, 9):
        year = (2000 if yy <= 36 else 1900) + yy
    else:
        year = (2000 if yy <= 57 else 1800) + yy
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def age_at_start_year(birth: pd.Series, start: pd.Series) -> pd.Series:
    """Age in whole years on 1 January of each start date's year (0 when born in that year), nullable Int64.

    Parameters
    ----------
    birth, start : pandas.Series
        Birth dates and start dates (datetime-like; a missing birth date gives a missing age).

    Examples
    --------
    >>> b = pd.Series(pd.to_datetime(["1950-01-01", "1950-06-15", "2024-03-01"]))
    >>> s = pd.Series(pd.to_datetime(["2024-05-01", "2024-05-01", "2024-05-01"]))
    >>> age_at_start_year(b, s).tolist()  # 2024-1950; 2024-1950-1 (birthday after 1 January); born in 2024
    [74, 73, 0]
    >>> age_at_start_year(pd.Series(pd.to_datetime(["2030-02-01"])), s[:1]).tolist()  # born after: no age
    [<NA>]
    """
    birth, start = pd.to_datetime(birth), pd.to_datetime(start)
    after_new_year = ((birth.dt.month > 1) | (birth.dt.day > 1)).astype("Int64")
    age = start.dt.year.astype("Int64") - birth.dt.year.astype("Int64") - after_new_year
    later = (
        (birth.dt.year > start.dt.year).fillna(False).to_numpy()
    )  # born after the case's year: no age, not 0
    return age.clip(lower=0).astype("Int64").mask(later)


def _iso_dates(values: pd.Series, source: str, first_row: int, column: str, what: str) -> pd.Series:
    """Dates from a column of dates, datetimes or ISO text (``YYYY-MM-DD``, a time of day allowed); else refused.

    A missing value stays missing (NaT). Any other text (``03/04/1950``, ``1950.04.03``) is refused naming the row
    and the column, never the value: 03/04/1950 is 3 April in a Danish file and 4 March to pandas' month-first
    guess, which would decide an age (and the § 176 refund at 67) without a word.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values).reset_index(drop=True)
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    text = text.map(lambda v: v.strip() if isinstance(v, str) else v).replace("", None)
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    bad = parsed.isna() & text.notna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SchemaError(
            source,
            f"{what} (YYYY-MM-DD) or nothing",
            row=first_row + i,
            column=column,
            found_text="a value that is not an ISO date (not shown)",
        )
    return parsed.reset_index(drop=True)


def _birth_dates(raw: pd.DataFrame, source: str, first_row: int) -> pd.Series:
    """Birth dates: the ``birth_date`` column when there is one (dates or ISO text, else refused), else the CPR's."""
    if "birth_date" in raw.columns:
        return _iso_dates(raw["birth_date"], source, first_row, "birth_date", "a birth date")
    births = raw["cpr"].map(cpr_birth_date)
    return pd.to_datetime(births.where(births.notna(), None)).reset_index(drop=True)


#: The end-date columns of a case in which the year 9999 (``31-12-9999``) is the case systems' "no end".
OPEN_END_COLUMNS = ("end_date", "planned_end_date")
#: The end-date column of a programme membership in which the year 9999 is the case systems' "still a member".
MEMBER_OPEN_END_COLUMNS = ("left",)


def _open_ends(out: pd.DataFrame, columns: tuple[str, ...] = OPEN_END_COLUMNS) -> int:
    """Empty the end dates in the year 9999 in ``out`` (in place; see :func:`analysis.data.values.is_open_end`).

    Returns the number of dates emptied (in ``columns``, those ``out`` has). Any other end date is left for the
    schema to check.
    """
    n = 0
    for name in columns:
        if name in out.columns:
            open_end = out[name].map(is_open_end).astype(bool)
            if open_end.any():
                n += int(open_end.sum())
                column = out[name]
                dated = pd.api.types.is_datetime64_any_dtype(column)
                out[name] = column.mask(open_end) if dated else column.astype(object).mask(open_end, None)
    return n


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
    """Pseudonymise a raw case extract: ``cpr`` becomes ``person_id``; the age is derived, no birth date kept.

    Parameters
    ----------
    raw
        The extract: ``cpr`` plus the columns of table ``cases`` other than ``person_id``, and optionally
        ``birth_date``. With a ``start_date`` column the result has ``age_at_start_year`` (see the module
        docstring); ``birth_date`` is dropped. An ``end_date`` or ``planned_end_date`` in the year 9999
        (``31-12-9999`` or ``9999-12-31``, the case systems' open end) is read as no end (empty), as the case
        extract loader reads it (:func:`analysis.data.values.is_open_end`); ``attrs["open_ends"]`` counts them.
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
        For a missing or malformed CPR number, or a birth date or start date that is not a date or ISO text
        (``YYYY-MM-DD``; naming the row and the column, never the value).
    ConfigurationError
        For a weak key.
    """
    out = _ingest(raw.drop(columns=["birth_date"], errors="ignore"), source, key, first_row)
    out.attrs["open_ends"] = _open_ends(out)
    if "start_date" in raw.columns:
        # the start date read as ISO only (the schema refuses other text at load; a direct caller is held to it too)
        starts = _iso_dates(raw["start_date"], source, first_row, "start_date", "a start date")
        births = _birth_dates(raw, source, first_row)
        ages = age_at_start_year(births, pd.Series(starts.to_numpy()))
        ages = ages.where(ages <= MAX_AGE)  # e.g. a CPR number of the 1800s on a case of today: no age
        out["age_at_start_year"] = ages.set_axis(out.index)
    order = ["case_id", "person_id"] + [c for c in out.columns if c not in ("case_id", "person_id")]
    return out[[c for c in order if c in out.columns]]


def ingest_programme_members(
    raw: pd.DataFrame, *, source: str, key: bytes | None = None, first_row: int = 1
) -> pd.DataFrame:
    """Pseudonymise a raw programme-membership extract: ``cpr`` becomes ``person_id`` (see :func:`ingest_cases`).

    Parameters
    ----------
    raw
        The extract: ``cpr`` plus the columns of table ``programme_members`` other than ``person_id``. A ``left``
        date in the year 9999 (``31-12-9999``, ``9999-12-31`` or ``31.12.9999``: the case systems' "still a
        member") is read as no date (empty: an open membership), as :func:`ingest_cases` reads an open end
        (:func:`analysis.data.values.is_open_end`); ``attrs["open_ends"]`` counts them. Any other date, a
        ``joined`` in the year 9999 included, is left for the schema to check (it refuses a date outside
        :data:`analysis.data.schema.DATE_YEARS`, naming the source, row and column).
    source
        The file or source name, used in error messages.
    key
        The pseudonymisation key; by default :func:`pseudonym_key`.
    first_row
        The source's row number of the first row (for error messages).

    Raises
    ------
    SchemaError
        For a missing or malformed CPR number (naming the row and the column, never the value).
    ConfigurationError
        For a weak key.
    """
    out = _ingest(raw, source, key, first_row)
    out.attrs["open_ends"] = _open_ends(out, MEMBER_OPEN_END_COLUMNS)
    return out


def _persons(con: duckdb.DuckDBPyConnection) -> int:
    """Rows with a person id in the warehouse (tables ``cases`` and ``programme_members``); 0 when absent."""
    n = 0
    for table in ("cases", "programme_members"):
        try:
            n += int(fetch_one(con, f"SELECT count(*) FROM {table}")[0])
        except duckdb.CatalogException:
            continue
    return n


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
        f"{warehouse_name(con)}: this warehouse was pseudonymised with another key ({why}); loading would give "
        "the same persons second pseudonyms. Use the key the warehouse was made with (ANALYSIS_PSEUDONYM_KEY or "
        f"the {KEY_FILE_NAME} beside it, from your backup), or re-pseudonymise: load every file again into a new "
        "warehouse under the new key (docs/reliability.md, Person data). Nothing was loaded."
    )


def record_warehouse_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Keep the fingerprint of ``key`` in the warehouse's ``_meta`` (after a case load under it)."""
    fingerprint = key_fingerprint(key)
    if read_meta(con).get(KEY_FINGERPRINT_META) != fingerprint:
        write_meta(con, {KEY_FINGERPRINT_META: fingerprint})
