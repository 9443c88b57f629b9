"""Danish numbers and dates, chart style and HTML tables for the reports, in one import.

The work is done in three modules, each with one job: :mod:`analysis.danish` (numbers, amounts, percentages,
dates: the one rounding rule, usable by every layer), :mod:`analysis.reporting.charts` (the chart style and Danish
axes) and :mod:`analysis.reporting.html` (tables and boxes). This module gathers their public names, so that a
notebook needs one import; new code may import from the module that does the job.
"""

from __future__ import annotations

from analysis.danish import (
    MONTHS_DA,
    MONTHS_DA_SHORT,
    NA,
    TIME_ZONE,
    danish_clock,
    fmt_date,
    fmt_dkk,
    fmt_dkk_number,
    fmt_month,
    fmt_number,
    fmt_pct,
    in_sentence,
)
from analysis.reporting.charts import (
    FIGSIZE,
    OWN_COLOUR,
    PALETTE,
    PEER_COLOUR,
    danish_formatter,
    dkk_axis,
    figure_html,
    number_axis,
    pct_axis,
    set_style,
    show,
    tight_layout,
)
from analysis.reporting.headline import publish as headline
from analysis.reporting.html import confidential_notice, section_html, summary_box, table_html

__all__ = [
    "FIGSIZE",
    "MONTHS_DA",
    "MONTHS_DA_SHORT",
    "NA",
    "OWN_COLOUR",
    "PALETTE",
    "PEER_COLOUR",
    "TIME_ZONE",
    "confidential_notice",
    "danish_clock",
    "danish_formatter",
    "dkk_axis",
    "figure_html",
    "fmt_date",
    "fmt_dkk",
    "fmt_dkk_number",
    "fmt_month",
    "fmt_number",
    "fmt_pct",
    "headline",
    "in_sentence",
    "number_axis",
    "pct_axis",
    "section_html",
    "set_style",
    "show",
    "summary_box",
    "table_html",
    "tight_layout",
]
