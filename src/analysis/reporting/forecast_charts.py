"""The forecast report's charts, from an :class:`~analysis.forecast.area.AreaForecast`.

Each function returns a matplotlib figure in the report's style (:func:`analysis.reporting.formatting.set_style`),
with Danish axes; the notebook embeds it with :func:`analysis.reporting.formatting.figure_html`.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from analysis.forecast.area import AreaForecast
from analysis.reporting import formatting as fmt
from analysis.reporting.forecast_page import amount_decimals

__all__ = ["accuracy_chart", "spending_chart"]

LAST_YEAR_COLOUR = "#8a949e"


def spending_chart(fc: AreaForecast) -> Figure:
    """Spending per month last year and this year, the forecast with its fan, and the year's totals.

    Left: last year's months (1-12), this year's booked months and the forecast of the rest (13-24) with its
    80 % band and the budget's monthly pace. Right: last year's accounts, this year's budget and the forecast
    with its interval, labelled in mio. kr.

    Parameters
    ----------
    fc : AreaForecast
        The forecast.

    Returns
    -------
    matplotlib.figure.Figure
    """
    p = fc.path
    year, month = fc.year, fc.month
    dec = amount_decimals(fc.forecast_dkk)
    m = np.arange(1, 13)
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(fmt.FIGSIZE[0], 3.0), gridspec_kw={"width_ratios": [2.3, 1.2]}
    )
    rest = slice(month - 1, 12)
    ax.plot(m, p["last_year_dkk"], color=LAST_YEAR_COLOUR, linewidth=1.3, label=f"Regnskab {year - 1}")
    ax.fill_between(
        m[rest] + 12,
        p["lower_dkk"].iloc[rest],
        p["upper_dkk"].iloc[rest],
        color=fmt.PALETTE[1],
        alpha=0.3,
        linewidth=0,
        label="80 %-interval",
    )
    ax.hlines(fc.budget_dkk / 12, 12.5, 24.5, color=fmt.PALETTE[2], linewidth=1.3, label="Budget pr. måned")
    ax.plot(
        m[rest] + 12, p["forecast_dkk"].iloc[rest], color=fmt.OWN_COLOUR, linestyle="--", label="Prognose"
    )
    ax.plot(m + 12, p["actual_dkk"], color=fmt.OWN_COLOUR, marker="o", markersize=3, label=f"Bogført {year}")
    ticks = [1, 4, 7, 10, 13, 16, 19, 22]
    short = fmt.MONTHS_DA_SHORT
    labels = [
        f"{short[(t - 1) % 12]}\n{year - 1 + (t - 1) // 12}" if t in (1, 13) else short[(t - 1) % 12]
        for t in ticks
    ]
    ax.set_xticks(ticks, labels)
    ax.set_xlim(0.5, 24.5)
    ax.set_ylim(bottom=0)
    fmt.dkk_axis(ax, unit="mio")
    ax.set_title("Pr. måned", fontsize=9.5)
    ax.legend(loc="lower left", frameon=False, ncol=2, fontsize=7.5)

    bars = [float(p["last_year_dkk"].sum()), fc.budget_dkk, fc.forecast_dkk]
    colours = [LAST_YEAR_COLOUR, fmt.PALETTE[2], fmt.OWN_COLOUR]
    ax2.bar([0, 1, 2], bars, color=colours, width=0.7)
    if np.isfinite(fc.lower_dkk) and np.isfinite(fc.upper_dkk):
        ax2.errorbar(
            [2],
            [fc.forecast_dkk],
            yerr=[[fc.forecast_dkk - fc.lower_dkk], [fc.upper_dkk - fc.forecast_dkk]],
            color="black",
            capsize=3,
            linewidth=1,
        )
    tops = [bars[0], bars[1], max(fc.forecast_dkk, np.nan_to_num(fc.upper_dkk))]
    for x, (v, top) in enumerate(zip(bars, tops, strict=True)):
        ax2.annotate(
            fmt.fmt_number(v / 1e6, dec),
            (x, top),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=7.5,
        )
    ax2.set_xticks([0, 1, 2], [f"Regnskab\n{year - 1}", f"Budget\n{year}", f"Prognose\n{year}"])
    ax2.tick_params(axis="x", labelsize=7.5)
    ax2.set_ylim(0, np.nanmax(tops) * 1.12)
    fmt.dkk_axis(ax2, unit="mio")
    ax2.set_title("Året i alt", fontsize=9.5)
    return fig


def accuracy_chart(fc: AreaForecast) -> Figure:
    """Mean error (per cent of the year's spending) of every method by the month the forecast was made.

    A heat map, methods by months January-November; the chosen method's label in bold and the report month
    framed.

    Parameters
    ----------
    fc : AreaForecast
        The forecast.

    Returns
    -------
    matplotlib.figure.Figure
    """
    acc = fc.accuracy.rename(index=fc.labels)
    acc.columns = fmt.MONTHS_DA_SHORT[:11]
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 0.22 * len(acc) + 0.45))
    values = acc.to_numpy(dtype=float)
    top = float(np.nanquantile(values, 0.95)) if np.isfinite(values).any() else 1.0
    annotations = acc.map(lambda v: fmt.fmt_number(v, 1)).to_numpy()
    _heatmap(ax, values, annotations, list(acc.index), list(acc.columns), vmax=top)
    ax.add_patch(plt.Rectangle((fc.month - 1, 0), 1, len(acc), fill=False, edgecolor=fmt.PALETTE[2], lw=1.5))
    for label in ax.get_yticklabels():
        if label.get_text() == fc.labels[fc.method]:
            label.set_fontweight("bold")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="both", length=0)
    ax.grid(False)
    return fig


def _heatmap(
    ax: Any, values: np.ndarray, annotations: np.ndarray, rows: list, columns: list, vmax: float
) -> None:
    """A heat map of ``values`` (rows x columns) on ``ax``, as seaborn's ``heatmap`` draws it (without seaborn).

    Blue cells from 0 to ``vmax`` with white lines between them, the first row at the top, each cell annotated
    with its text (dark on light cells, white on dark, by the cell's relative luminance as seaborn chooses), rows
    and columns labelled at their middles, no spines. Cells without a value (NaN) are left empty, unannotated.
    """
    masked = np.ma.masked_invalid(values)
    mesh = ax.pcolormesh(masked, cmap="Blues", vmin=0, vmax=vmax, linewidths=0.5, edgecolor="white")
    ax.set(xlim=(0, values.shape[1]), ylim=(0, values.shape[0]))
    ax.invert_yaxis()
    ax.set_xticks(np.arange(values.shape[1]) + 0.5, [str(c) for c in columns])
    ax.set_yticks(np.arange(values.shape[0]) + 0.5, [str(r) for r in rows], va="center")
    for side in ("left", "bottom", "right", "top"):
        ax.spines[side].set_visible(False)
    mesh.update_scalarmappable()
    colours = mesh.get_facecolors()
    rgb = np.where(
        colours[:, :3] <= 0.03928, colours[:, :3] / 12.92, ((colours[:, :3] + 0.055) / 1.055) ** 2.4
    )
    luminance = rgb @ np.array([0.2126, 0.7152, 0.0722])
    empty = np.ma.getmaskarray(masked)
    height, width = values.shape
    for k, (i, j) in enumerate((i, j) for i in range(height) for j in range(width)):  # row by row, as seaborn
        if empty[i, j]:
            continue
        colour = ".15" if luminance[k] > 0.408 else "w"
        ax.text(j + 0.5, i + 0.5, annotations[i, j], color=colour, ha="center", va="center", fontsize=8)
