"""Privacy: CPR pseudonymisation on ingest and the CPR pattern used to check that none gets out.

A CPR number (Danish personal identity number, DDMMYY-SSSS) is replaced on ingest by a keyed pseudonym:
HMAC-SHA256 of the ten digits under a secret key, shortened to 64 bits and written ``P-xxxx-xxxx-xxxx-xxxx`` (hex
in groups of four, so that a pseudonym can never itself look like a CPR number). The same CPR number and key give
the same pseudonym, so a person's cases link across sectors and loads; without the key the pseudonym cannot be
reversed by trying all CPR numbers.

The key comes from the environment variable ``ANALYSIS_PSEUDONYM_KEY`` or, when that is unset, from a key file
(``pseudonym.key`` beside the default warehouse, see :func:`analysis.data.warehouse.data_dir`), made with 256 random
bits on first use and readable only by its owner. Keep the key file out of version control (``data/`` is
git-ignored) and back it up with the warehouse: a new key gives every person a new pseudonym.

Rendered reports show no figure that rests on fewer than ``min_group`` persons (5 at least, see
:data:`MIN_GROUP_FLOOR`): :func:`suppression_mask` finds the small cells of a table and the further cells that
would let a small one be derived from a total (complementary suppression), and :func:`suppression_marks` tells the
two apart, so that a table can mark them differently (:func:`suppress`: '<5' for the persons of a small group, '..'
for its amounts and shares, 'x' for a cell hidden only to protect another, explained by :func:`suppression_notes`);
:func:`open_top` merges a small tail of ordered categories into one open category instead. Rendering to HTML is the
reporting layer's (:mod:`analysis.reporting.suppression`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CPR_PATTERN",
    "KEY_ENV",
    "MIN_GROUP_FLOOR",
    "COMPLEMENT",
    "COMPLEMENT_LABEL",
    "SHOWN",
    "SMALL",
    "SMALL_VALUE_LABEL",
    "cell_marks",
    "check_min_group",
    "find_cpr",
    "load_key",
    "pseudonymise",
    "open_top",
    "pseudonymise_column",
    "share_mask",
    "suppress",
    "suppressed_label",
    "suppression_marks",
    "suppression_mask",
    "suppression_notes",
]

KEY_ENV = "ANALYSIS_PSEUDONYM_KEY"

#: A CPR-shaped string: a valid day and month, two year digits, an optional hyphen and four digits, not part of a
#: longer number.
CPR_PATTERN = r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?\d{4}(?!\d)"
_CPR = re.compile(CPR_PATTERN)
_CPR_EXACT = re.compile(r"^\s*(\d{6})-?(\d{4})\s*$")


def find_cpr(text: str) -> list[str]:
    """All CPR-shaped substrings of ``text`` (for scanning outputs)."""
    return _CPR.findall(text)


def load_key(key_file: Path | None = None) -> bytes:
    """The pseudonymisation key: from ``ANALYSIS_PSEUDONYM_KEY``, else from ``key_file``, made on first use.

    Parameters
    ----------
    key_file
        Where the key is kept when the environment variable is unset; defaults to ``pseudonym.key`` in the
        warehouse's data directory.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    if key_file is None:
        from analysis.paths import data_dir

        key_file = data_dir() / "pseudonym.key"
    key_file = Path(key_file)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return key_file.read_text("utf-8").strip().encode("utf-8")


def pseudonymise(cpr: str, key: bytes) -> str:
    """The pseudonym of one CPR number (with or without the hyphen) under ``key``.

    >>> pseudonymise("010203-1234", b"k") == pseudonymise("0102031234", b"k")
    True
    >>> pseudonymise("0102031234", b"k").startswith("P-")
    True
    """
    m = _CPR_EXACT.match(str(cpr))
    if not m:
        raise ValueError(f"expected a CPR number of 10 digits (DDMMYY-SSSS), found {cpr!r}")
    digest = hmac.new(key, (m.group(1) + m.group(2)).encode("ascii"), hashlib.sha256).hexdigest()[:16]
    return "P-" + "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def pseudonymise_column(
    values: pd.Series, key: bytes, *, source: str, column: str, first_row: int = 1
) -> pd.Series:
    """Pseudonymise a column of CPR numbers; a missing or malformed one raises an error naming its row.

    The error never repeats the malformed value, which may itself be person data.
    """
    from analysis.data.schema import SchemaError

    out = []
    for i, v in enumerate(values):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            raise SchemaError(source, "a CPR number", row=i + first_row, column=column, found_text="empty")
        try:
            out.append(pseudonymise(str(v), key))
        except ValueError:
            raise SchemaError(
                source,
                "a CPR number of 10 digits (DDMMYY-SSSS)",
                row=i + first_row,
                column=column,
                found_text="a value of another form",
            ) from None
    return pd.Series(out, index=values.index, dtype=object)


# Small-group suppression ------------------------------------------------------------------------------------------

#: The smallest ``min_group`` allowed: groups of fewer than 5 persons are never shown.
MIN_GROUP_FLOOR = 5

#: Marks of :func:`suppression_marks`: a cell shown, a cell of a small group (primary suppression), and a cell hidden
#: only so that a small one cannot be derived from a total and the shown cells (complementary suppression).
SHOWN, SMALL, COMPLEMENT = "", "small", "complement"

#: What a table shows in a person-count cell of a small group is :func:`suppressed_label` ('<5'); in its other
#: cells (amounts, shares) :data:`SMALL_VALUE_LABEL`, and in a cell hidden only to protect another
#: :data:`COMPLEMENT_LABEL`, so that no amount reads as a number of persons and no large group as a small one.
SMALL_VALUE_LABEL = ".."
COMPLEMENT_LABEL = "x"


def check_min_group(min_group: int) -> int:
    """Validate a small-group threshold (persons): a whole number of at least :data:`MIN_GROUP_FLOOR` (5).

    Parameters
    ----------
    min_group : int
        The smallest number of persons a shown figure may rest on (persons).

    Returns
    -------
    int
        ``min_group`` itself.

    Raises
    ------
    ValueError
        When ``min_group`` is below 5 or not a whole number.

    Examples
    --------
    >>> check_min_group(5)
    5
    """
    if isinstance(min_group, bool) or not isinstance(min_group, int | np.integer):
        raise ValueError(f"min_group must be a whole number of persons, found {min_group!r}")
    if min_group < MIN_GROUP_FLOOR:
        raise ValueError(
            f"min_group must be at least {MIN_GROUP_FLOOR} persons (groups of fewer than {MIN_GROUP_FLOOR} are "
            f"never shown), found {min_group}"
        )
    return int(min_group)


def suppressed_label(min_group: int = MIN_GROUP_FLOOR) -> str:
    """The text shown in a person-count cell of a small group: ``'<5'`` for the default threshold.

    >>> suppressed_label(10)
    '<10'
    """
    return f"<{check_min_group(min_group)}"


def suppression_notes(
    marks, min_group: int = MIN_GROUP_FLOOR, count_columns: Sequence | None = None
) -> list[str]:
    """The Danish footnotes that explain the marks a table uses, one sentence per kind of mark used.

    Parameters
    ----------
    marks : pandas.DataFrame, pandas.Series or iterable of str
        Marks from :func:`suppression_marks` (or :func:`share_marks`); for a DataFrame, one per cell.
    min_group : int, default 5
        The threshold used (persons).
    count_columns : sequence of labels, optional
        With a DataFrame of marks: the columns of persons (whose small cells read '<5'; the others '..'), so that
        the note names only the labels the table shows. Default: both labels are explained.

    Returns
    -------
    list of str
        Empty when nothing is hidden.

    Examples
    --------
    >>> suppression_notes(pd.Series(["", "small", "complement"]))[1]
    'x: skjult, så mindre grupper ikke kan regnes ud.'
    >>> suppression_notes(pd.DataFrame({"Borgere": ["small", ""]}), count_columns=["Borgere"])
    ['<5: gruppen har færre end 5 borgere.']
    """
    values = marks.to_numpy().ravel() if isinstance(marks, pd.DataFrame | pd.Series) else list(marks)
    label = suppressed_label(min_group)
    if isinstance(marks, pd.DataFrame) and count_columns is not None:
        counts = [c for c in marks.columns if c in set(count_columns)]
        others = [c for c in marks.columns if c not in set(count_columns)]
        small_count = bool((marks[counts] == SMALL).to_numpy().any()) if counts else False
        small_value = bool((marks[others] == SMALL).to_numpy().any()) if others else False
    else:
        small_count = small_value = SMALL in set(values)
    notes = []
    if small_count and small_value:
        notes.append(
            f"{label} og {SMALL_VALUE_LABEL}: gruppen har færre end {min_group} borgere, så dens tal vises ikke."
        )
    elif small_count:
        notes.append(f"{label}: gruppen har færre end {min_group} borgere.")
    elif small_value:
        notes.append(
            f"{SMALL_VALUE_LABEL}: tallet vises ikke, fordi det bygger på færre end {min_group} borgere."
        )
    if COMPLEMENT in set(values):
        notes.append(f"{COMPLEMENT_LABEL}: skjult, så mindre grupper ikke kan regnes ud.")
    return notes


def _groups(shape: tuple[int, int], total_row: int | None, total_column: int | None) -> list[list[tuple]]:
    """The additive groups of a table's cells: each a list of (row, col) positions, the total (margin) last."""
    n_rows, n_cols = shape
    groups = []
    if total_row is not None:
        inner = [r for r in range(n_rows) if r != total_row]
        for c in range(n_cols):
            groups.append([(r, c) for r in inner] + [(total_row, c)])
    if total_column is not None:
        inner = [c for c in range(n_cols) if c != total_column]
        for r in range(n_rows):
            groups.append([(r, c) for c in inner] + [(r, total_column)])
    return groups


def suppression_marks(
    counts: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    *,
    total_row: object | None = None,
    total_column: object | None = None,
) -> pd.DataFrame | pd.Series:
    """Why each cell of a table is hidden: a small group, a cell hidden to protect one, or not hidden.

    Primary suppression (:data:`SMALL`): a cell whose figure rests on 1 to ``min_group - 1`` persons. A cell of 0
    persons is shown (it describes no one). Complementary suppression (:data:`COMPLEMENT`): where the table has a
    total row (the sum of the other rows, column by column) or a total column (the sum of the other columns, row
    by row), every such additive group (a column with its total, a row with its total) must have no hidden cell
    or at least two; a group with exactly one gets a second one: the shown inner cell of the group resting on the
    fewest persons (more than 0), else the total, else a shown cell of 0 persons. This repeats until no group has
    exactly one hidden cell, so that no hidden figure equals a total less the shown figures.

    Parameters
    ----------
    counts : pandas.DataFrame or pandas.Series
        The number of persons behind each cell (persons). A Series gives one count per row, for a table whose
        every column is suppressed row by row (e.g. one row per sector with several amounts); only
        ``total_row`` applies then.
    min_group : int, default 5
        Smallest number of persons a shown figure may rest on (persons, at least 5).
    total_row : label, optional
        Index label of the row that is the sum of the other rows.
    total_column : label, optional
        Column label of the column that is the sum of the other columns (DataFrame only).

    Returns
    -------
    pandas.DataFrame or pandas.Series
        Strings of the shape of ``counts``: :data:`SHOWN` (''), :data:`SMALL` ('small') or :data:`COMPLEMENT`
        ('complement').

    Raises
    ------
    ValueError
        When ``min_group`` is below 5, or a total label is not in the table, or a count is missing.

    Examples
    --------
    >>> counts = pd.Series({"A": 3, "B": 12, "C": 40, "I alt": 55})
    >>> suppression_marks(counts, total_row="I alt").to_dict()
    {'A': 'small', 'B': 'complement', 'C': '', 'I alt': ''}
    """
    min_group = check_min_group(min_group)
    series = isinstance(counts, pd.Series)
    frame = counts.to_frame("count") if series else counts
    if series and total_column is not None:
        raise ValueError("total_column needs a DataFrame of counts (one count per cell)")
    values = frame.to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ValueError("counts must be given for every cell (persons); found a missing count")
    tr = None if total_row is None else _position(frame.index, total_row, "total_row")
    tc = None if total_column is None else _position(frame.columns, total_column, "total_column")
    primary = (values > 0) & (values < min_group)
    mask = primary.copy()
    groups = _groups(values.shape, tr, tc)
    changed = True
    while changed:
        changed = False
        for group in groups:
            hidden = [cell for cell in group if mask[cell]]
            if len(hidden) != 1 or len(group) < 2:
                continue
            shown = [cell for cell in group if not mask[cell]]
            total = group[-1]

            def rank(cell, total=total):
                n = values[cell]
                tier = 0 if (cell != total and n > 0) else (1 if cell == total else 2)
                return (tier, n, cell)

            mask[min(shown, key=rank)] = True
            changed = True
    marks = np.where(primary, SMALL, np.where(mask, COMPLEMENT, SHOWN))
    out = pd.DataFrame(marks, index=frame.index, columns=frame.columns)
    return out["count"].rename(counts.name) if series else out


def suppression_mask(
    counts: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    *,
    total_row: object | None = None,
    total_column: object | None = None,
) -> pd.DataFrame | pd.Series:
    """Which cells of a table to hide: :func:`suppression_marks` as booleans (True: hidden, for either reason).

    Examples
    --------
    >>> counts = pd.Series({"A": 3, "B": 12, "C": 40, "I alt": 55})
    >>> suppression_mask(counts, total_row="I alt").to_dict()
    {'A': True, 'B': True, 'C': False, 'I alt': False}
    """
    return suppression_marks(counts, min_group, total_row=total_row, total_column=total_column) != SHOWN


def share_mask(numerator, denominator, min_group: int = MIN_GROUP_FLOOR):
    """Which shares (numerator / denominator, counts of persons) to suppress.

    A share is suppressed when its denominator is below ``min_group`` persons, or when the persons it counts
    (the numerator) or the persons it leaves out (denominator less numerator) number 1 to ``min_group - 1``: a
    share of 1/7 or of 6/7 would tell about one person. A share of 0/7 or 7/7 is shown.

    Parameters
    ----------
    numerator, denominator : array-like or pandas.Series
        Counts of persons.
    min_group : int, default 5
        Smallest group shown (persons, at least 5).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Booleans, True where the share is to be hidden (a small group: mark :data:`SMALL`).

    Examples
    --------
    >>> share_mask(pd.Series([0, 1, 6, 7, 3]), pd.Series([7, 7, 7, 7, 4])).tolist()
    [False, True, True, False, True]
    """
    min_group = check_min_group(min_group)
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    small = lambda x: (x > 0) & (x < min_group)  # noqa: E731
    out = (n < min_group) | small(k) | small(n - k)
    return pd.Series(out, index=numerator.index) if isinstance(numerator, pd.Series) else out


def open_top(counts: Sequence[float], min_group: int = MIN_GROUP_FLOOR) -> int:
    """Where an ordered list of categories should open its top category ('3 eller flere') so that none is small.

    Starting from the last category, the top categories are merged while the merged group holds 1 to
    ``min_group - 1`` persons, or the category just below it does: merging a small tail into one open category
    keeps its information (its persons and cost are shown) where suppression would hide it and a neighbour.
    The first category is never merged away; it may stay small (and be suppressed).

    Parameters
    ----------
    counts : sequence of numbers
        Persons per category, in their order (e.g. persons served by 1, 2, 3, 4 sectors).
    min_group : int, default 5
        Smallest group shown (persons).

    Returns
    -------
    int
        The position of the first category of the open top: categories from it to the end are merged. It is
        ``len(counts) - 1`` when nothing needs merging.

    Examples
    --------
    >>> open_top([433, 125, 35, 4])
    2
    >>> open_top([154, 55, 7, 3, 6])
    3
    >>> open_top([20, 10, 0, 8])
    3
    """
    min_group = check_min_group(min_group)
    values = [float(c) for c in counts]
    if not values:
        raise ValueError("open_top needs at least one category")
    small = lambda x: 0 < x < min_group  # noqa: E731
    top = len(values) - 1
    merged = values[top]
    while top > 0 and (small(merged) or small(values[top - 1])):
        top -= 1
        merged += values[top]
    return top


def _position(labels: pd.Index, label: object, name: str) -> int:
    hits = np.flatnonzero(labels == label)
    if len(hits) != 1:
        raise ValueError(f"{name} {label!r} is not (once) among the table's labels")
    return int(hits[0])


def _as_marks(mask: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Marks from marks, or from a boolean mask (True: a small group)."""
    values = mask.to_numpy()
    if values.dtype == bool:
        marks = np.where(values, SMALL, SHOWN)
        if isinstance(mask, pd.Series):
            return pd.Series(marks, index=mask.index, name=mask.name)
        return pd.DataFrame(marks, index=mask.index, columns=mask.columns)
    return mask


def cell_marks(
    table: pd.DataFrame, marks: pd.DataFrame | pd.Series, columns: Sequence | None = None
) -> pd.DataFrame:
    """The marks of every cell of ``table`` (a frame of ``table``'s shape): '' where a cell is shown.

    Parameters
    ----------
    table : pandas.DataFrame
        The figures to show.
    marks : pandas.DataFrame or pandas.Series
        From :func:`suppression_marks` (or a boolean mask, True read as a small group): a DataFrame with
        ``table``'s index and (some of) its columns, or a Series per row that applies to every column in
        ``columns``.
    columns : sequence of labels, optional
        With a Series: the columns it applies to (default: every column).

    Returns
    -------
    pandas.DataFrame
        Strings, ``table``'s index and columns.

    Raises
    ------
    ValueError
        When the marks do not cover every row of the table, or name a column it does not have.
    """
    marks = _as_marks(marks)
    out = pd.DataFrame(SHOWN, index=table.index, columns=table.columns, dtype=object)
    if isinstance(marks, pd.Series):
        rows = marks.reindex(table.index)
        if rows.isna().any():
            raise ValueError("the mask does not cover every row of the table")
        for c in list(table.columns) if columns is None else list(columns):
            out[c] = rows.to_numpy()
        return out
    for c in marks.columns:
        if c not in table.columns:
            raise ValueError(f"the mask names a column not in the table: {c!r}")
        col = marks[c].reindex(table.index)
        if col.isna().any():
            raise ValueError("the mask does not cover every row of the table")
        out[c] = col.to_numpy()
    return out


def suppress(
    table: pd.DataFrame,
    mask: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    columns: Sequence | None = None,
    *,
    count_columns: Sequence = (),
) -> pd.DataFrame:
    """A copy of ``table`` with the hidden cells replaced by their labels (object columns where any is).

    A person-count cell (a column in ``count_columns``) of a small group reads ``'<5'``; any other cell of a small
    group (an amount, a share) reads :data:`SMALL_VALUE_LABEL` ('..'), and a cell hidden only to protect another
    :data:`COMPLEMENT_LABEL` ('x'), whatever its column.

    Parameters
    ----------
    table : pandas.DataFrame
        The figures to show.
    mask : pandas.DataFrame or pandas.Series
        Marks from :func:`suppression_marks`, or a boolean mask (True: a small group); see :func:`cell_marks`.
    min_group : int, default 5
        The threshold used (persons); it gives the label, e.g. ``'<5'``.
    columns : sequence of labels, optional
        With a Series mask: the columns it applies to (default: every column).
    count_columns : sequence of labels, default ()
        The columns that hold numbers of persons.

    Returns
    -------
    pandas.DataFrame
        Same shape as ``table``.
    """
    labels = {SMALL: SMALL_VALUE_LABEL, COMPLEMENT: COMPLEMENT_LABEL}
    small_count = suppressed_label(min_group)
    marks = cell_marks(table, mask, columns)
    out = table.copy()
    for col in table.columns:
        m = marks[col]
        if not (m != SHOWN).any():
            continue
        text = m.map(
            lambda k, col=col: small_count if (k == SMALL and col in count_columns) else labels.get(k)
        )
        out[col] = out[col].astype(object).where(m.to_numpy() == SHOWN, text)
    return out
