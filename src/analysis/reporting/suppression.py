"""Tables with small groups hidden, as HTML: the marks of :mod:`analysis.privacy` written into a report table.

:func:`analysis.privacy.suppression_marks` decides which cells to hide and why; this module writes them: a
person-count cell of a small group reads '<5', its amounts and shares '..', a cell hidden only to protect another
'x', and a footnote under the table says what each mark used means (:func:`analysis.privacy.suppression_notes`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from analysis.privacy import (
    COMPLEMENT,
    COMPLEMENT_LABEL,
    MIN_GROUP_FLOOR,
    SHOWN,
    SMALL,
    SMALL_VALUE_LABEL,
    cell_marks,
    suppressed_label,
    suppression_notes,
)
from analysis.reporting.formatting import fmt_number, table_html

__all__ = ["suppressed_table_html", "table_note_html"]


def table_note_html(notes: Sequence[str]) -> str:
    """HTML of the footnotes under a table (one paragraph, small italic text); '' when there are none.

    >>> table_note_html(["x: skjult."])
    '<p class="table-note"><em>x: skjult.</em></p>'
    """
    if not notes:
        return ""
    return f'<p class="table-note"><em>{html.escape(" ".join(notes))}</em></p>'


def suppressed_table_html(
    table: pd.DataFrame,
    mask: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    *,
    columns: Sequence | None = None,
    count_columns: Sequence = (),
    formats: Mapping[object, Callable[[object], str]] | None = None,
    caption: str | None = None,
    index: bool = False,
    notes: Sequence[str] = (),
) -> str:
    """A report table (:func:`analysis.reporting.formatting.table_html`) with its hidden cells marked, and footnotes.

    Numeric columns keep their number format and right alignment. In a column of ``count_columns`` (numbers of
    persons) a small group's cell reads '<5' (for ``min_group`` 5); in any other column it reads '..'; a cell hidden
    only so that a small group cannot be derived reads 'x' in every column. Under the table a footnote explains the
    marks used, after any further ``notes``.

    Parameters
    ----------
    table : pandas.DataFrame
        The figures to show.
    mask : pandas.DataFrame or pandas.Series
        Marks from :func:`analysis.privacy.suppression_marks` (or a boolean mask, True read as a small group).
    min_group : int, default 5
        The threshold used (persons).
    columns : sequence of labels, optional
        With a Series of marks: the columns it applies to (default: every column).
    count_columns : sequence of labels, default ()
        The columns holding numbers of persons.
    formats : mapping of column to callable, optional
        As in ``table_html``; a numeric column without one is written with Danish separators and no decimals.
    caption : str, optional
        Caption above the table.
    index : bool, default False
        Show the index as the first column.
    notes : sequence of str, default ()
        Further footnotes (Danish), written before the explanation of the marks.

    Returns
    -------
    str
        The HTML of one ``<table>``, followed by a ``<p class="table-note">`` when there is a note.
    """
    small_count = suppressed_label(min_group)
    marks = cell_marks(table, mask, columns)
    formats = dict(formats or {})
    out = table.copy()
    for col in table.columns:
        m = marks[col].to_numpy()
        if not (m != SHOWN).any():
            continue
        small_label = small_count if col in count_columns else SMALL_VALUE_LABEL
        if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            text = pd.Series(m, index=out.index).map({SMALL: small_label, COMPLEMENT: COMPLEMENT_LABEL})
            out[col] = out[col].astype(object).where(m == SHOWN, text)
            continue
        # A numeric column keeps its dtype (and right alignment): a small group's cells carry +inf and the cells
        # hidden to protect them -inf, which no shown figure is; the formatter writes the marks for them.
        values = out[col].astype(float).where(m != SMALL, math.inf)
        out[col] = values.where(m != COMPLEMENT, -math.inf)
        base = formats.get(col, lambda v: fmt_number(v, 0))

        def fmt(v, base=base, small_label=small_label):
            if isinstance(v, float) and math.isinf(v):
                return small_label if v > 0 else COMPLEMENT_LABEL
            return base(v)

        formats[col] = fmt
    body = table_html(out, formats=formats, caption=caption, index=index)
    return body + table_note_html([*notes, *suppression_notes(marks, min_group, count_columns)])
