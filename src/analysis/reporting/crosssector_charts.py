"""The cross-sector report's charts, in the reports' one style (:mod:`analysis.reporting.formatting`).

Each function takes a frame of :mod:`analysis.crosssector` and returns a matplotlib Figure. A chart plots only the
groups its table shows (the table's own marks: :func:`analysis.reporting.crosssector_tables.score_marks` and the
like), and when it leaves a
group out it says so under the chart, naming the group and why (:func:`omitted_note`).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from analysis.crosssector.costs import SECTOR_NAMES, TOTAL
from analysis.privacy import SHOWN, SMALL
from analysis.reporting import crosssector_tables as tables
from analysis.reporting.formatting import (
    FIGSIZE,
    OWN_COLOUR,
    PALETTE,
    PEER_COLOUR,
    dkk_axis,
    fmt_dkk,
    fmt_month,
    number_axis,
    pct_axis,
)

__all__ = [
    "by_sectors_chart",
    "evaluation_chart",
    "follow_chart",
    "omitted_note",
    "score_chart",
    "sharing_chart",
]

_SECTORS_DA = {**SECTOR_NAMES, TOTAL: tables.TOTAL_DA}


def omitted_note(marks: pd.Series, min_group: int = 5) -> str:
    """The sentence under a chart that leaves groups out: which ones and why ('' when none is left out).

    Parameters
    ----------
    marks : pandas.Series
        Marks (from :func:`analysis.privacy.suppression_marks`) indexed by the groups' Danish labels; a total row
        labelled 'I alt' is not a group of the chart.
    min_group : int, default 5
        The threshold (persons).

    Examples
    --------
    >>> omitted_note(pd.Series({"A": "", "B": "small", "C": "complement", "I alt": ""}))
    'Figuren udelader B (færre end 5 borgere) og C (skjult, så mindre grupper ikke kan regnes ud).'
    """
    left_out = [
        f"{label} (færre end {min_group} borgere)"
        if mark == SMALL
        else f"{label} (skjult, så mindre grupper ikke kan regnes ud)"
        for label, mark in marks.items()
        if mark != SHOWN and label != tables.TOTAL_DA
    ]
    if not left_out:
        return ""
    listed = left_out[0] if len(left_out) == 1 else ", ".join(left_out[:-1]) + " og " + left_out[-1]
    return f"Figuren udelader {listed}."


def _figure(height: float):
    """A figure outside pyplot's state: a notebook shows it once, where it displays it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(FIGSIZE[0], height))
    return fig, fig.subplots()


def _note(fig, marks: pd.Series, min_group: int):
    text = omitted_note(marks, min_group)
    if text:
        fig.text(0.0, -0.02, textwrap.fill(text, 110), ha="left", va="top", fontsize=8.5, style="italic")
    return fig


def _fit_tick_labels(fig, ax, labels: list[str]) -> None:
    """Slant the x tick labels when, written level, they would touch: wider than the room per bar (points).

    A label of the tick font is about 0.6 x the font size wide per character; each bar has the axis' width
    (about 80 % of the figure's) divided by the number of bars, and a label may take 85 % of that.
    """
    if not labels:
        return
    size = ax.xaxis.get_ticklabels()[0].get_fontsize() if ax.xaxis.get_ticklabels() else 10.0
    room = fig.get_figwidth() * 72 * 0.8 / len(labels) * 0.85
    if max(len(t) for t in labels) * 0.6 * size > room:
        for t in ax.get_xticklabels():
            t.set_rotation(35)
            t.set_horizontalalignment("right")
            t.set_rotation_mode("anchor")


def by_sectors_chart(
    by_sectors: pd.DataFrame, closed: int, min_group: int = 5, overview: pd.DataFrame | None = None
):
    """Shares of persons and of cost by number of sectors (:func:`analysis.crosssector.by_number_of_sectors`).

    ``overview`` as for :func:`analysis.reporting.crosssector_tables.by_sectors_table`: the same marks.
    """
    t = tables._by_sectors_frame(by_sectors)
    marks = tables.by_sectors_marks(by_sectors, min_group, overview)
    shown = t[(marks == SHOWN).to_numpy() & (t.index != tables.TOTAL_DA)]
    fig, ax = _figure(3.0)
    x = np.arange(len(shown))
    ax.bar(x - 0.2, shown["share_of_persons"], 0.4, color=PALETTE[1], label="Andel af borgerne")
    ax.bar(x + 0.2, shown["share_of_cost"], 0.4, color=OWN_COLOUR, label="Andel af udgiften")
    ax.set_xticks(x, list(shown.index))
    pct_axis(ax)
    ax.legend(loc="upper right")
    ax.set_title(f"Borgere og udgift efter antal sektorer, {closed}")
    return _note(fig, marks, min_group)


def score_chart(distribution: pd.DataFrame, as_of: pd.Period, min_group: int = 5):
    """Persons by complexity score (:func:`analysis.crosssector.score_distribution`)."""
    d = distribution.set_index("label")
    marks = tables.score_marks(distribution, min_group)["Borgere"]
    shown = d[(marks.drop(tables.TOTAL_DA) == SHOWN).to_numpy()]
    fig, ax = _figure(3.0)
    ax.bar(list(shown.index), shown["persons"], color=OWN_COLOUR)
    _fit_tick_labels(fig, ax, [str(x) for x in shown.index])
    ax.set_xlabel("Kompleksitetsscore (point)")
    ax.set_ylabel("Borgere")
    number_axis(ax)
    ax.set_title(f"Borgere efter kompleksitetsscore, 12 måneder til og med {fmt_month(as_of)}")
    return _note(fig, marks, min_group)


def evaluation_chart(evaluation, min_group: int = 5):
    """Change from the year before to the year after joining, members beside comparisons, per sector."""
    c = evaluation.cohort.rename(index=_SECTORS_DA)
    marks = tables.evaluation_marks(evaluation.cohort, min_group)["Skønnet virkning"]
    safe = c[(marks == SHOWN).to_numpy()].iloc[::-1]
    fig, ax = _figure(2.9)
    y = np.arange(len(safe))
    ax.barh(y + 0.2, safe["change_share"], 0.4, color=OWN_COLOUR, label="Deltagere")
    ax.barh(y - 0.2, safe["comparison_change_share"], 0.4, color=PEER_COLOUR, label="Sammenligningsgruppe")
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(y, list(safe.index))
    pct_axis(ax, axis="x")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
    ax.set_title("Ændring fra året før til året efter indtræden", pad=22)
    return _note(fig, marks, min_group)


def bar_amount(dkk: float) -> str:
    """A bar's amount in Danish: mio. kr. with one decimal from 1.000 t.kr. (rounded), else t.kr.; no plus sign.

    >>> bar_amount(9_127_333), bar_amount(-9_668_925), bar_amount(9_648), bar_amount(-51_450), bar_amount(0)
    ('9,1 mio. kr.', '-9,7 mio. kr.', '10 t.kr.', '-51 t.kr.', '0 t.kr.')
    >>> bar_amount(999_499), bar_amount(999_500)
    ('999 t.kr.', '1,0 mio. kr.')
    """
    return fmt_dkk(dkk, unit="mio", decimals=1) if abs(dkk) >= 999_500 else fmt_dkk(dkk, unit="t", decimals=0)


def sharing_chart(sharing: pd.DataFrame, closed: int, min_group: int = 5):
    """Realised gain per sector before and after the year-end distribution, each bar labelled with its amount."""
    s = sharing.rename(index=_SECTORS_DA)
    marks = tables.sharing_marks(sharing, min_group)
    safe = s[(marks == SHOWN).to_numpy() & (s.index != tables.TOTAL_DA)]
    fig, ax = _figure(3.0)
    x = np.arange(len(safe))
    for offset, column, colour, label in (
        (-0.2, "gain_dkk", PALETTE[1], "Realiseret gevinst"),
        (0.2, "share_dkk", OWN_COLOUR, "Andel efter fordeling"),
    ):
        bars = ax.bar(x + offset, safe[column], 0.4, color=colour, label=label)
        # each bar's amount: a sector's share is often a small fraction of the gains it is set against, too
        # low to see at their scale
        ax.bar_label(bars, [bar_amount(v) for v in safe[column]], padding=2, fontsize=7.5, color="#333333")
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.set_xticks(x, list(safe.index))
    dkk_axis(ax, unit="mio")
    ax.margins(y=0.15)  # room for the amounts above and below the bars
    ax.legend(loc="upper right")
    ax.set_title(f"Gevinst pr. sektor før og efter fordeling, {closed}")
    return _note(fig, marks, min_group)


def follow_chart(follow: pd.DataFrame, year: int, min_group: int = 5):
    """Realised and forecast cost of the year against last year, per sector (:func:`analysis.crosssector.follow_up`)."""
    f = follow.rename(index=_SECTORS_DA)
    marks = tables.follow_marks(follow, min_group)
    safe = f[(marks == SHOWN).to_numpy() & (f.index != tables.TOTAL_DA)]
    fig, ax = _figure(3.2)
    x = np.arange(len(safe))
    ax.bar(x - 0.2, safe["last_year_dkk"], 0.4, color=PEER_COLOUR, label=f"Hele {year - 1}")
    ax.bar(x + 0.2, safe["realised_dkk"], 0.4, color=PALETTE[2], label="Realiseret")
    ax.bar(
        x + 0.2, safe["forecast_dkk"], 0.4, bottom=safe["realised_dkk"], color=PALETTE[3], label="Prognose"
    )
    ax.set_xticks(x, list(safe.index))
    dkk_axis(ax, unit="mio")
    ax.legend(loc="upper left")
    ax.set_title(f"Realiseret og forventet udgift {year} mod sidste år")
    return _note(fig, marks, min_group)
