"""Read one municipality's cross-sector programme: its members (table ``programme_members``) and its cases."""

from __future__ import annotations

import pandas as pd

from analysis.data import queries
from analysis.errors import InputError

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
        The programme's name; empty means the municipality's programme (the one with most members).

    Returns
    -------
    pandas.DataFrame
        person_id, municipality_code, programme, joined, left (datetime64; NaT while a member), ordered by joining
        and person.

    Raises
    ------
    InputError
        When the municipality has no programme members, or none in ``programme`` (the message names the
        programmes there are).
    """
    members = queries.programme_members(con, municipality_codes=[int(municipality_code)])
    if members.empty:
        raise InputError(f"municipality {municipality_code} has no members of a cross-sector programme")
    if not programme:
        programme = members["programme"].value_counts().sort_index().idxmax()
    chosen = members[members["programme"] == programme]
    if chosen.empty:
        known = ", ".join(sorted(members["programme"].unique()))
        raise InputError(
            f"municipality {municipality_code} has no programme named {programme!r}; it has: {known}"
        )
    return chosen.sort_values(["joined", "person_id"], kind="stable").reset_index(drop=True)
