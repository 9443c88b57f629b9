"""Read one municipality's cross-sector programme: its members (table ``programme_members``) and its cases."""

from __future__ import annotations

import difflib

import pandas as pd

from analysis.data import queries
from analysis.data.warehouse import warehouse_name
from analysis.errors import InputError
from analysis.privacy import MIN_GROUP_FLOOR

__all__ = ["read_cases", "read_members"]


def read_cases(con, municipality_code: int) -> pd.DataFrame:
    """One municipality's cases (table ``cases``), ordered by person and start.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open warehouse (:func:`analysis.data.connect`).
    municipality_code : int
        The paying municipality (3-digit code).

    Returns
    -------
    pandas.DataFrame
        The table's columns; dates as datetime64.
    """
    return queries.cases(con, municipality_codes=[int(municipality_code)])


def read_members(con, municipality_code: int, programme: str = "") -> pd.DataFrame:
    """The members of one municipality's cross-sector programme (table ``programme_members``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open warehouse.
    municipality_code : int
        The municipality (3-digit code).
    programme : str, default ''
        The programme's name, exactly as in the warehouse. Empty is allowed only where the municipality has one
        programme: with several, which one to evaluate is refused rather than guessed.

    Returns
    -------
    pandas.DataFrame
        person_id, municipality_code, programme, joined, left (datetime64; NaT while a member), ordered by joining
        and person.

    Raises
    ------
    InputError
        When the municipality has no programme members (the message says how to load them), none in
        ``programme``, or several programmes and ``programme`` is empty (the message names the warehouse, the
        programmes there are with their numbers of members, and how to name one).
    """
    members = queries.programme_members(con, municipality_codes=[int(municipality_code)])
    if members.empty:
        raise InputError(
            f"{warehouse_name(con)}: municipality {municipality_code} has no members of a cross-sector programme; "
            f"load the programme's member list: analysis load members FILE --mapping "
            f"parameters/mappings/members.yaml --municipality {municipality_code} (docs/own-data.md)"
        )
    counts = members.groupby("programme")["person_id"].nunique().sort_index()
    found = ", ".join(f"{name!r} ({_members(n)})" for name, n in counts.items())
    if not programme and len(counts) > 1:
        raise InputError(
            f"{warehouse_name(con)}: municipality {municipality_code} has {len(counts)} cross-sector programmes: "
            f"{found}; name the one to evaluate with the parameter programme of the cross-sector notebook (in a "
            f"batch file: parameters: {{programme: {counts.index[0]!r}}}), or read_members(con, "
            f"{municipality_code}, programme={counts.index[0]!r})"
        )
    chosen = members[members["programme"] == (programme or counts.index[0])]
    if chosen.empty:
        raise InputError(
            f"{warehouse_name(con)}: municipality {municipality_code} has no programme named {programme!r}"
            f"{_near(programme, list(counts.index))}; it has: {found}"
        )
    return chosen.sort_values(["joined", "person_id"], kind="stable").reset_index(drop=True)


def _members(n: int) -> str:
    """'12 members'; 'fewer than 5 members' for a small programme (a message may reach a run's log or index)."""
    return f"fewer than {MIN_GROUP_FLOOR} members" if n < MIN_GROUP_FLOOR else f"{n} members"


def _near(value: str, names: list[str]) -> str:
    """' (did you mean X?)' for the nearest programme name (ignoring case), or ''."""
    folded = {name.casefold(): name for name in names}
    near = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[near[0]]!r}?)" if near else ""
