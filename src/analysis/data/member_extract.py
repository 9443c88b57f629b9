"""Programme member lists: who took part in a cross-sector programme, Danish columns mapped by YAML, pseudonymised.

A member list is a CSV file or an Excel workbook with one row per membership: the person's CPR number, the
programme (*forløb*), the date the person joined and the date the person left (empty, or a date in the year 9999,
while still a member). A small YAML mapping (example: ``parameters/mappings/members.yaml``) names the list's
columns; a list of one programme without a programme column gives its name as a constant. The rows fill table
``programme_members``, which the cross-sector report reads (:func:`analysis.data.programmes.read_members`).

Privacy
    As for a case extract (:mod:`analysis.data.case_extract`): the ``cpr`` column goes through
    :func:`analysis.data.cases.ingest_programme_members`, which replaces it by the keyed pseudonym that the same
    CPR number gets in table ``cases`` under the warehouse's key, so that members link to their cases. A
    warehouse whose person ids were made under another key refuses the load. No error message repeats a CPR
    number or a value that looks like one: an error names the file, the row and the column and says what was
    expected. A CPR-shaped programme name is refused. A CPR number whose date is impossible (30 February, a
    substitute number) is pseudonymised and loaded, with a note naming its rows.
What a load replaces
    A member list is the whole list of each programme it names: a load replaces every member of the
    municipality in those programmes (members the file no longer holds are removed) and keeps the
    municipality's other programmes and every other municipality's members. Loading the same file again
    changes nothing; ``analysis undo N`` restores the members as they were before load N.
What is refused
    Everything that cannot be read refuses the whole file, naming the row and the column: a missing column (with
    the nearest heading of the file), a row without a CPR number (a member who cannot be pseudonymised cannot be
    linked to a case, and would silently leave the group the report evaluates), a malformed CPR number, an empty
    programme, a date that is not one or reads two ways (``03/04/2025`` in a column that never shows the day
    first), a start date in the year 9999, an end date before the start date, and the same person joining the
    same programme twice on one date, or again before the earlier membership ended. The warehouse keeps a
    membership by person, programme and start date: one that the warehouse holds for another municipality (a list
    loaded with the wrong ``--municipality``, most likely) is refused too.
"""

from __future__ import annotations

import os

import duckdb
import numpy as np
import pandas as pd

from analysis.data import case_extract, loads, person_files
from analysis.data.cases import ingest_programme_members
from analysis.data.loads import ColumnMapping, LoadResult
from analysis.data.person_files import date_text
from analysis.data.schema import SchemaError
from analysis.privacy import cpr_date_is_valid, find_cpr

__all__ = ["FIELDS", "REPLACES", "load", "read_mapping", "read_members"]

#: The fields a member mapping may name.
FIELDS = ("cpr", "municipality_code", "programme", "joined", "left")
_REQUIRED = (("cpr",), ("programme",), ("joined",))
#: The columns whose combinations in a file the file replaces completely (see the module docstring).
REPLACES = ("municipality_code", "programme")


def read_mapping(path: str | os.PathLike) -> ColumnMapping:
    """Read a member mapping (see ``parameters/mappings/members.yaml``); errors name the mapping file and the key."""
    return loads.read_mapping(path, fields=FIELDS, required=_REQUIRED, options={})


def _refuse_twice(members: pd.DataFrame, source: str, rows: np.ndarray, col: dict[str, str]) -> None:
    """Refuse a person joining the same programme on the same date twice, naming the rows only (no pseudonym)."""
    keys = members[["person_id", "programme", "joined"]]
    twice = keys.duplicated().to_numpy()
    if twice.any():
        second = int(np.flatnonzero(twice)[0])
        first = int(np.flatnonzero((keys == keys.iloc[second]).all(axis=1).to_numpy())[0])
        raise SchemaError(
            source,
            "one row per member, programme and start date",
            row=int(rows[second]),
            column=col["joined"],
            found_text=f"the same CPR number, programme and start date as row {int(rows[first])}",
        )


def _refuse_overlap(members: pd.DataFrame, source: str, rows: np.ndarray, col: dict[str, str]) -> None:
    """Refuse two memberships of one person in one programme at once (a start before the earlier one's end).

    The evaluation counts each membership: a member twice at once would be counted twice. A member who left and
    joined again has two memberships one after the other, and is read. Names the rows only (no pseudonym).
    """
    order = members.assign(_pos=np.arange(len(members))).sort_values(
        ["person_id", "programme", "joined"], kind="stable"
    )
    same = order["person_id"].eq(order["person_id"].shift()) & order["programme"].eq(
        order["programme"].shift()
    )
    before_left = order["left"].shift()
    overlap = same & (before_left.isna() | (order["joined"] < before_left))
    if overlap.any():
        later = order[overlap.to_numpy()].iloc[0]
        at = int(np.flatnonzero(overlap.to_numpy())[0])
        earlier = order.iloc[at - 1]
        raise SchemaError(
            source,
            "memberships of one person in a programme that do not overlap (a member twice at once would be "
            "counted twice; end the first membership before the next begins)",
            row=int(rows[int(later["_pos"])]),
            column=col["joined"],
            found_text=f"a start on {date_text(later['joined'])} while the membership of row "
            f"{int(rows[int(earlier['_pos'])])} (from {date_text(earlier['joined'])}) had not ended",
        )


def _refuse_other_municipality(
    con: duckdb.DuckDBPyConnection, members: pd.DataFrame, rows: np.ndarray, source: str, col: dict[str, str]
) -> None:
    """Refuse a membership the warehouse holds for another municipality (the table's key has no municipality)."""
    try:
        incoming = members[["person_id", "programme", "joined", "municipality_code"]].assign(
            position=np.arange(len(members))
        )
        con.register("_incoming_members", incoming)
        hit = con.execute(
            "SELECT i.position, m.municipality_code FROM _incoming_members i JOIN programme_members m "
            "USING (person_id, programme, joined) WHERE m.municipality_code <> i.municipality_code "
            "ORDER BY 1 LIMIT 1"
        ).fetchall()
    except duckdb.CatalogException:
        return  # no table programme_members yet
    finally:
        con.unregister("_incoming_members")
    if hit:
        i, other = int(hit[0][0]), int(hit[0][1])
        raise SchemaError(
            source,
            f"members of municipality {int(members['municipality_code'].iloc[i])}; a person joins a programme on "
            "a date in one municipality only: is --municipality right? If the earlier load was wrong, undo it "
            "first (analysis loads lists them)",
            row=int(rows[i]),
            column=col["cpr"],
            found_text=f"the same person, programme and start date in municipality {other}'s members already",
        )


def read_members(
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
    key: bytes | None = None,
) -> tuple[pd.DataFrame, np.ndarray, loads.SourceTable]:
    """Read and pseudonymise a programme member list.

    Parameters
    ----------
    path
        The list (CSV or .xlsx).
    mapping
        A mapping or the path of its YAML file.
    municipality_code
        The municipality, when neither the list nor the mapping says.
    key
        The pseudonymisation key (at least 32 random bytes); default :func:`analysis.data.cases.pseudonym_key`.

    Returns
    -------
    tuple
        Rows of table ``programme_members`` (``person_id`` pseudonyms, no CPR numbers; ``joined`` and ``left`` as
        datetime64, ``left`` NaT while a member), the file row of each, and the file as read.

    Raises
    ------
    SchemaError
        Naming the file, the row and the column; never showing a CPR number.
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)
    key, table, df, rows, col, f = person_files.open_file(path, mapping, FIELDS, key)
    source = table.source
    municipalities = f.municipalities(municipality_code, mapping.source)

    for i in np.flatnonzero(df["cpr"].map(loads.is_missing).to_numpy(dtype=bool))[:1]:
        raise SchemaError(
            source,
            "a CPR number on every member (a member without one cannot be pseudonymised or linked to a case)",
            row=int(rows[i]),
            column=col["cpr"],
            found_text="empty",
        )
    programmes = f.texts("programme")
    for v, row in zip(programmes, rows, strict=True):
        if loads.is_missing(v):
            raise SchemaError(
                source, "a programme's name", row=int(row), column=col["programme"], found_text="empty"
            )
        if find_cpr(v):
            raise SchemaError(
                source,
                "a programme's name that is not CPR-shaped (a CPR number is never stored)",
                row=int(row),
                column=col["programme"],
                found_text="a CPR-shaped value (not shown)",
            )
    joined = f.dates("joined")
    left = f.dates("left", required=False, open_end=True)
    if left.attrs.get("open_ends"):
        table.notes.append(
            f"{left.attrs['open_ends']} date(s) in the year 9999 in column '{col['left']}' (31-12-9999: the case "
            "system's 'still a member') read as no end"
        )
    for i in np.flatnonzero((left.notna() & (left < joined)).to_numpy())[:1]:
        raise SchemaError(
            source,
            f"an end date on or after the start date (column '{col['joined']}'), or empty while a member",
            row=int(rows[i]),
            column=col["left"],
            found_text=f"{date_text(left.iloc[i])}, before the start {date_text(joined.iloc[i])}",
        )

    cprs, padded = case_extract.cpr_cells_as_text(df["cpr"])
    if padded.any():
        table.notes.append(case_extract.padded_cpr_note(rows[padded], col["cpr"]))
    raw = pd.DataFrame(
        {
            "cpr": cprs,
            "municipality_code": municipalities,
            "programme": programmes,
            "joined": joined,
            "left": left,
        }
    )
    columns = {**col, "person_id": col["cpr"]}
    try:  # a malformed CPR number (not 10 digits) is refused here, naming its row and column only
        members = ingest_programme_members(raw, source=source, key=key, first_row=1)
    except SchemaError as e:
        raise loads.remap_error(e, rows, columns) from None
    _refuse_twice(members, source, rows, col)
    _refuse_overlap(members, source, rows, col)
    impossible = np.array([not cpr_date_is_valid(v) for v in cprs], dtype=bool)
    if impossible.any():
        table.notes.append(
            f"{int(impossible.sum())} CPR number(s) in column '{col['cpr']}' "
            f"(rows {case_extract.row_list(rows[impossible])}) whose date is "
            "impossible, loaded: a substitute number, or a number to correct in the case system"
        )
    members.attrs["columns"] = columns
    return members, rows, table


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    mapping: ColumnMapping | str | os.PathLike,
    *,
    municipality_code: int | None = None,
    key: bytes | None = None,
) -> LoadResult:
    """Load a programme member list: pseudonymised, checked, replacing the programmes it names, with its record.

    All or nothing per file; loading the same file again changes nothing. The file replaces every member of its
    municipality in each programme it names (see the module docstring), and the load can be undone.

    Parameters
    ----------
    con
        A writable connection.
    path
        The member list.
    mapping
        A mapping or the path of its YAML file.
    municipality_code
        The municipality, when neither the list nor the mapping says.
    key
        The pseudonymisation key (at least 32 random bytes); default :func:`analysis.data.cases.pseudonym_key`.

    Raises
    ------
    SchemaError
        For a file that cannot be read (naming the row and column, never a CPR number).
    ConfigurationError
        For a weak key.
    DataError
        When the warehouse's person ids were made under another key; nothing is written.
    """
    if not isinstance(mapping, ColumnMapping):
        mapping = read_mapping(mapping)

    def read(key: bytes) -> person_files.PersonFile:
        members, rows, table = read_members(path, mapping, municipality_code=municipality_code, key=key)
        _refuse_other_municipality(con, members, rows, table.source, members.attrs["columns"])
        return person_files.PersonFile(members, rows, table)

    return person_files.load(
        con,
        path,
        mapping,
        read,
        table="programme_members",
        kind="members",
        municipality_code=municipality_code,
        key=key,
        partition=REPLACES,
    )
