"""The charts of the benchmark report: one function per chart, each returning a matplotlib Figure.

Every chart uses the one style of :func:`analysis.reporting.formatting.set_style`, Danish axes
(:func:`~analysis.reporting.formatting.dkk_axis`, :func:`~analysis.reporting.formatting.number_axis`) and the own
municipality highlighted in :data:`~analysis.reporting.formatting.OWN_COLOUR`. Inputs are a
:class:`analysis.reporting.benchmark_page.BenchmarkPage` (the numbers and the names).
"""

from __future__ import annotations

import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from analysis import benchmark
from analysis.reporting import formatting as fmt
from analysis.reporting.benchmark_page import BenchmarkPage

__all__ = [
    "external_prices",
    "gap_waterfall",
    "label_points",
    "price_quantity",
    "yearly_effects",
    "yearly_levels",
]


def _done(fig: Figure) -> Figure:
    """Detach a finished figure from pyplot, so that it shows once, where ``formatting.show`` puts it."""
    plt.close(fig)
    return fig


HALO = [path_effects.withStroke(linewidth=2.5, foreground="white")]
PEER_DOT = "#7f8c99"
OTHER_DOT = "#b4bcc6"


def label_points(ax, xs, ys, texts, placed, fontsize=7.5, **kwargs) -> None:
    """Name each point beside it, trying right, right-below, left and left-below so that labels do not overlap.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose limits are already set.
    xs, ys : sequence of float
        The points (data units); non-finite points are skipped.
    texts : sequence of str
        A label per point.
    placed : list of tuple
        Boxes (in points) already taken; extended with the boxes of the new labels.
    fontsize : float, default 7.5
        Font size in points.
    **kwargs
        Passed to ``ax.annotate`` (colour, weight).
    """
    to_pt = 72 / ax.figure.dpi
    points = sorted(zip(xs, ys, texts, strict=True), key=lambda p: (-p[1], p[0]))
    for x, y, text in points:
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        px, py = ax.transData.transform((x, y)) * to_pt
        width, height = 0.58 * fontsize * len(text), 1.15 * fontsize
        options = [(5, 2), (5, -2 - height), (-5 - width, 2), (-5 - width, -2 - height)]
        for dx, dy in options:
            box = (px + dx, py + dy, px + dx + width, py + dy + height)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                break
        else:
            dx, dy = options[0]
            box = (px + dx, py + dy, px + dx + width, py + dy + height)
        placed.append(box)
        ax.annotate(
            text,
            (x, y),
            xytext=(dx, dy),
            textcoords="offset points",
            fontsize=fontsize,
            va="bottom",
            path_effects=HALO,
            **kwargs,
        )


def price_quantity(p: BenchmarkPage) -> Figure | None:
    """Price against quantity of the own municipality and each peer, the peers' average and its iso-spending curve.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: x = full-year persons per 1,000 residents (aged 18-64; 0-17 for 5.28), y = price (t.kr.); peers
        grey, the own municipality in the own colour, the weighted average as a diamond with dashed lines; the
        curve is the combinations of price and quantity that cost the same per resident as the peers' average.
    """
    g = p.group
    if p.spending_only:
        return None  # no full-year persons: the text says why
    rep, r = p.report, p.report.latest
    table = rep.peer_table
    peers = table[(table["role"] == "peer") & table["has_data"]]
    own = table[table["role"] == "own"].iloc[0]
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 3.7))
    ax.scatter(
        peers["rate_per_1000"],
        peers["price_dkk"],
        s=28,
        color=PEER_DOT,
        zorder=3,
        label="Sammenligningskommune",
    )
    ax.scatter(
        own["rate_per_1000"], own["price_dkk"], s=70, color=fmt.OWN_COLOUR, zorder=4, label=p.short_name
    )
    ax.scatter(
        r["peer_rate"], r["peer_price"], s=70, marker="D", color=fmt.PALETTE[2], zorder=4, label="Gennemsnit"
    )
    ax.axhline(r["peer_price"], color=fmt.PALETTE[2], linewidth=0.8, linestyle="--", zorder=1)
    ax.axvline(r["peer_rate"], color=fmt.PALETTE[2], linewidth=0.8, linestyle="--", zorder=1)
    x_all = np.r_[table["rate_per_1000"].dropna(), r["peer_rate"]]
    y_all = np.r_[table["price_dkk"].dropna(), r["peer_price"]]
    pad_x, pad_y = np.ptp(x_all) * 0.12 + 0.01, np.ptp(y_all) * 0.12 + 1
    ax.set_xlim(x_all.min() - pad_x, x_all.max() + pad_x)
    ax.set_ylim(y_all.min() - pad_y, y_all.max() + pad_y)
    curve = np.linspace(*ax.get_xlim(), 200)
    ax.plot(
        curve,
        r["peer_price"] * r["peer_rate"] / curve,
        color=fmt.PALETTE[2],
        linewidth=0.8,
        alpha=0.6,
        zorder=1,
    )
    ax.set_ylim(y_all.min() - pad_y, y_all.max() + pad_y)
    ax.set_xlabel(f"Helårspersoner pr. 1.000 {g.plural}")
    fmt.number_axis(ax, axis="x")
    fmt.dkk_axis(ax, unit="t", label="Pris pr. helårsperson")
    to_pt = 72 / fig.dpi
    placed = [
        (*(ax.transData.transform(m) * to_pt - 4), *(ax.transData.transform(m) * to_pt + 4))
        for m in zip(x_all, y_all, strict=True)
    ]
    label_points(
        ax,
        [own["rate_per_1000"]],
        [own["price_dkk"]],
        [p.short_name],
        placed,
        9,
        fontweight="bold",
        color=fmt.OWN_COLOUR,
    )
    names = [p.short_names.get(int(c), str(c)) for c in peers["municipality_code"]]
    label_points(ax, peers["rate_per_1000"], peers["price_dkk"], names, placed, color="#4a5560")
    ax.grid(axis="x", color="#dde2e7", linewidth=0.6)
    ax.legend(loc="best", fontsize=8, scatterpoints=1)
    return _done(fig)


WATERFALL_LABELS = ("Ved sammenlignings-\nkommunernes\npris og mængde", "Priseffekt", "Mængdeeffekt")


def gap_waterfall(p: BenchmarkPage) -> Figure | None:
    """From the spending at the peers' price and quantity, by the price and the quantity effect, to the own spending.

    Returns
    -------
    matplotlib.figure.Figure
        Four bars (:func:`analysis.benchmark.gap_steps`): the two totals from 0, the effects floating from where
        the previous bar ended (rust when positive, olive when negative), each labelled in mio. kr.
    """
    if p.spending_only:
        return None  # no full-year persons: the text says why
    steps = p.report.steps
    labels = [*WATERFALL_LABELS, f"Faktisk udgift\n{p.short_name}"]
    colours = []
    for s in steps.itertuples():
        if s.is_total:
            colours.append(fmt.PEER_COLOUR if s.step == "expected" else fmt.OWN_COLOUR)
        else:
            colours.append(fmt.PALETTE[2] if s.value > 0 else fmt.PALETTE[3])
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 3.0))
    bottoms = np.minimum(steps["start"], steps["end"])
    heights = np.abs(steps["end"] - steps["start"])
    ax.bar(range(4), heights, bottom=bottoms, color=colours, width=0.6)
    for i, s in enumerate(steps.itertuples()):
        text = fmt.fmt_dkk(s.value) if s.is_total else _signed(s.value)
        ax.annotate(
            text,
            (i, max(s.start, s.end)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8.5,
        )
        if i < 3:
            ax.plot([i + 0.3, i + 0.7], [s.end, s.end], color="#8a949e", linewidth=0.8)
    ax.set_xticks(range(4), labels)
    ax.tick_params(axis="x", length=0)
    fmt.dkk_axis(ax, unit="mio", label="Udgift")
    ax.set_ylim(0, steps[["start", "end"]].to_numpy().max() * 1.12)
    return _done(fig)


def _signed(x: float) -> str:
    """A signed amount in mio. kr. ('+1,2 mio. kr.'; no sign when it rounds to zero)."""
    return fmt.fmt_dkk(x, sign=True)


def _prices_note(p: BenchmarkPage) -> str:
    return f", faste {p.report.year}-priser" if p.price_index else ""


def yearly_levels(p: BenchmarkPage) -> Figure | None:
    """Price and quantity of the own municipality and the peers' weighted average, year by year (two panels)."""
    g = p.group
    if p.spending_only:
        return _yearly_per_resident(p)
    yearly = p.report.yearly.set_index("year")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(fmt.FIGSIZE[0], 3.0))
    panels = (
        (ax1, "own_price", "peer_price", f"Pris pr. helårsperson\n(t.kr.{_prices_note(p)})"),
        (ax2, "own_rate", "peer_rate", f"Helårspersoner pr. 1.000\n{g.plural}"),
    )
    for ax, own_col, peer_col, title in panels:
        ax.plot(
            yearly.index, yearly[own_col], color=fmt.OWN_COLOUR, marker="o", markersize=4, label=p.short_name
        )
        ax.plot(
            yearly.index,
            yearly[peer_col],
            color=fmt.PALETTE[2],
            marker="o",
            markersize=4,
            label="Sammenligningskommuner",
        )
        ax.set_title(title, fontsize=9.5)
        ax.set_xticks(yearly.index[:: 2 if len(yearly) > 5 else 1])
    fmt.dkk_axis(ax1, unit="t", label=False)
    fmt.number_axis(ax2)
    ax1.legend(loc="best", fontsize=8)
    fmt.tight_layout(fig)
    return _done(fig)


def yearly_effects(p: BenchmarkPage) -> Figure | None:
    """The gap to the peers' level each year, as stacked price and quantity effects and the total as a line."""
    if p.spending_only:
        return None  # no full-year persons: the text says why
    yearly = p.report.yearly.set_index("year")
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 2.9))
    pe, qe = yearly["price_effect_dkk"], yearly["quantity_effect_dkk"]
    ax.bar(yearly.index, pe, width=0.6, color=fmt.PALETTE[2], label="Priseffekt")
    ax.bar(
        yearly.index,
        qe,
        width=0.6,
        bottom=np.where(np.sign(qe) == np.sign(pe), pe, 0),
        color=fmt.PALETTE[1],
        label="Mængdeeffekt",
    )
    ax.plot(
        yearly.index,
        yearly["gap_dkk"],
        color="#222222",
        marker="o",
        markersize=4,
        linewidth=1.2,
        label="Forskel i alt",
    )
    ax.axhline(0, color="#8a949e", linewidth=0.8)
    ax.set_xticks(yearly.index)
    ax.set_title(f"Forskel i udgift til sammenligningskommunernes niveau{_prices_note(p)}", fontsize=9.5)
    fmt.dkk_axis(ax, unit="mio")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return _done(fig)


def external_prices(p: BenchmarkPage) -> Figure | None:
    """Each municipality's average external price per paragraph against the country's distribution.

    Returns
    -------
    matplotlib.figure.Figure or None
        One row per paragraph: the interquartile box, the median, the two limits of the screen (the high
        limit, ``HIGH_PRICE_THRESHOLD`` over the
        median, dashed; the statistical fence, dotted), all municipalities as dots (peers darker, the own
        municipality large and named) and the flagged ones circled. None when no municipality buys external
        places on the area.
    """
    if not p.providers_known:
        return None  # no internal/external split: the text says why
    prices = p.report.provider_prices
    if prices is None:
        return None
    paragraphs = sorted(prices["paragraph"].unique())
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 0.9 + 0.75 * len(paragraphs)))
    rng = np.random.default_rng(0)
    for i, (_, part) in enumerate(prices.groupby("paragraph", sort=True)):
        stats = part.iloc[0]
        ax.add_patch(
            plt.Rectangle(
                (stats["q1_price_dkk"], i - 0.22),
                stats["q3_price_dkk"] - stats["q1_price_dkk"],
                0.44,
                facecolor="#e6edf4",
                edgecolor="#8a949e",
                linewidth=0.8,
                zorder=1,
            )
        )
        ax.plot(
            [stats["median_price_dkk"]] * 2, [i - 0.22, i + 0.22], color="#5a6470", linewidth=1.5, zorder=2
        )
        ax.plot(
            [stats["high_limit_dkk"]] * 2,
            [i - 0.32, i + 0.32],
            color=fmt.PALETTE[2],
            linestyle="--",
            linewidth=1,
        )
        ax.plot(
            [stats["upper_fence_dkk"]] * 2,
            [i - 0.32, i + 0.32],
            color=fmt.PALETTE[2],
            linestyle=":",
            linewidth=1,
        )
        jitter = rng.uniform(-0.17, 0.17, len(part))
        for role, colour, size in (
            ("other", OTHER_DOT, 12),
            ("peer", "#5a6470", 22),
            ("own", fmt.OWN_COLOUR, 60),
        ):
            sel = (part["role"] == role).to_numpy()
            ax.scatter(
                part["price_dkk"][sel], i + jitter[sel] * (role != "own"), s=size, color=colour, zorder=3
            )
        flagged = part["is_flagged"].to_numpy()
        ax.scatter(
            part["price_dkk"][flagged],
            i + jitter[flagged] * (part["role"] != "own").to_numpy()[flagged],
            s=140,
            facecolor="none",
            edgecolor=fmt.PALETTE[2],
            linewidth=1.2,
            zorder=4,
        )
        own = part[part["role"] == "own"]
        if len(own):
            ax.annotate(
                p.short_name,
                (own["price_dkk"].iloc[0], i),
                xytext=(0, 9),
                textcoords="offset points",
                ha="center",
                fontsize=8.5,
                fontweight="bold",
                color=fmt.OWN_COLOUR,
                path_effects=HALO,
            )
    low = min(prices["price_dkk"].min(), prices["q1_price_dkk"].min())
    high = max(prices["price_dkk"].max(), prices["upper_fence_dkk"].max())
    ax.set_xlim(low - 0.05 * (high - low), high + 0.08 * (high - low))
    ax.set_yticks(range(len(paragraphs)), paragraphs)
    ax.set_ylim(-0.6, len(paragraphs) - 0.4)
    ax.invert_yaxis()
    fmt.dkk_axis(ax, axis="x", unit="t", label="Gennemsnitlig ekstern pris pr. helårsperson")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dde2e7", linewidth=0.6)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=fmt.OWN_COLOUR, label=p.short_name),
        plt.Line2D(
            [], [], marker="o", linestyle="", color="#5a6470", markersize=5, label="Sammenligningskommune"
        ),
        plt.Line2D([], [], marker="o", linestyle="", color=OTHER_DOT, markersize=4, label="Øvrige kommuner"),
        plt.Line2D(
            [],
            [],
            color=fmt.PALETTE[2],
            linestyle="--",
            label=f"{fmt.fmt_pct(benchmark.HIGH_PRICE_THRESHOLD, 0)} over medianen",
        ),
        plt.Line2D([], [], color=fmt.PALETTE[2], linestyle=":", label="Statistisk grænse"),
        plt.Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none",
            markeredgecolor=fmt.PALETTE[2],
            label="Markeret",
        ),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.32 - 0.1 / len(paragraphs)),
        ncol=3,
        fontsize=7.5,
    )
    return _done(fig)


def _yearly_per_resident(p: BenchmarkPage) -> Figure:
    """Spending per resident of the group (18-64; 0-17 for 5.28), own and the peers' average (accounts only)."""
    g = p.group
    yearly = p.report.yearly
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 3.0))
    ax.plot(
        yearly.index, yearly["own_per_resident_dkk"], color=fmt.OWN_COLOUR, marker="o", label=p.short_name
    )
    ax.plot(
        yearly.index,
        yearly["peer_per_resident_dkk"],
        color=fmt.PALETTE[2],
        marker="o",
        label="Sammenligningskommuner",
    )
    ax.set_title(f"Udgift pr. {g.singular} (kr.{_prices_note(p)})", fontsize=9.5)
    ax.set_xticks(yearly.index)
    ax.set_ylim(bottom=0)
    fmt.number_axis(ax)
    ax.legend(loc="best", fontsize=8)
    fmt.tight_layout(fig)
    return _done(fig)
