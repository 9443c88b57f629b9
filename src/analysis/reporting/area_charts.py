"""The charts of the area report (``notebooks/area.ipynb``), from the frames of :mod:`analysis.area`.

Each function returns a matplotlib figure in the report style (:func:`analysis.reporting.formatting.set_style`);
show it with :func:`analysis.reporting.formatting.show`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.reporting import formatting as fmt
from analysis.reporting.area_page import AreaPage

__all__ = ["development", "effects"]


def development(p: AreaPage, frame: pd.DataFrame) -> Figure:
    """Spending per resident (aged 18-64; 0-17 for 5.28) on the whole main function, own and peers, by year.

    Parameters
    ----------
    p : AreaPage
    frame : pandas.DataFrame
        :func:`analysis.area.spending_per_resident`.
    """
    g = p.group
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 3.0))
    years = frame["year"].astype(int)
    ax.plot(years, frame["own_per_resident"], color=fmt.OWN_COLOUR, marker="o", markersize=4, label=p.name)
    ax.plot(
        years,
        frame["peer_per_resident"],
        color=fmt.PALETTE[2],
        marker="o",
        markersize=4,
        label="Sammenligningskommuner",
    )
    ax.set_title(
        f"Udgift pr. {g.singular}, {p.main_function} i alt (kr., faste {p.year}-priser)", fontsize=9.5
    )
    ax.set_xticks(years)
    fmt.dkk_axis(ax, unit="kr", label=False)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=8)
    fmt.tight_layout(fig)
    plt.close(fig)
    return fig


def effects(p: AreaPage, frame: pd.DataFrame) -> Figure:
    """Price and quantity effect of each area side by side (horizontal bars, mio. kr.); never stacked or summed.

    Parameters
    ----------
    p : AreaPage
    frame : pandas.DataFrame
        :func:`analysis.area.area_effects`.
    """
    rows = frame.iloc[::-1]
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 0.8 + 0.38 * len(rows)))
    ax.barh(y + 0.2, rows["price_effect_dkk"], height=0.38, color=fmt.PALETTE[0], label="Priseffekt")
    ax.barh(y - 0.2, rows["quantity_effect_dkk"], height=0.38, color=fmt.PALETTE[2], label="Mængdeeffekt")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [p.area(c) if len(p.area(c)) <= 48 else p.area(c)[:46] + "…" for c in rows["function_code"]]
    )
    ax.tick_params(axis="y", labelsize=7.5)
    fmt.dkk_axis(ax, axis="x", unit="mio")
    ax.set_title(f"Pris- og mængdeeffekt pr. område, {p.year} (positiv = kommunen bruger mere)", fontsize=9.5)
    ax.legend(loc="lower right", fontsize=8)
    fmt.tight_layout(fig)
    plt.close(fig)
    return fig
