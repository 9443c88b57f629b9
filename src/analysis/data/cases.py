"""Ingest of case-system extracts: CPR numbers are replaced by keyed pseudonyms before anything is stored.

A raw extract has the columns of the warehouse tables ``cases`` and ``programme_members`` with ``cpr`` (the CPR
number, DDMMYY-SSSS or ten digits) in place of ``person_id``. The functions here return warehouse-shaped rows with
``person_id`` and no ``cpr`` column; validation and loading are :func:`analysis.data.warehouse.load`'s job.
"""

from __future__ import annotations

import pandas as pd

from analysis.data.schema import SchemaError
from analysis.privacy import load_key, pseudonymise_column

__all__ = ["ingest_cases", "ingest_programme_members"]


def _ingest(raw: pd.DataFrame, source: str, key: bytes | None, first_row: int) -> pd.DataFrame:
    if "cpr" not in raw.columns:
        raise SchemaError(
            source, "a column 'cpr' with the person's CPR number", column="cpr", found_text="no such column"
        )
    key = load_key() if key is None else key
    out = raw.drop(columns=["cpr"]).copy()
    out.insert(
        0, "person_id", pseudonymise_column(raw["cpr"], key, source=source, column="cpr", first_row=first_row)
    )
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
        The pseudonymisation key; by default :func:`analysis.privacy.load_key`.
    first_row
        The source's row number of the first row (for error messages).
    """
    out = _ingest(raw, source, key, first_row)
    order = ["case_id", "person_id"] + [c for c in out.columns if c not in ("case_id", "person_id")]
    return out[[c for c in order if c in out.columns]]


def ingest_programme_members(
    raw: pd.DataFrame, *, source: str, key: bytes | None = None, first_row: int = 1
) -> pd.DataFrame:
    """Pseudonymise a raw programme-membership extract: ``cpr`` becomes ``person_id`` (see :func:`ingest_cases`)."""
    return _ingest(raw, source, key, first_row)
