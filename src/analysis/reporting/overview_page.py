"""The Danish tables, sentences and charts of the overview report (``notebooks/overview.ipynb``).

Inputs are the frames of :func:`analysis.overview.yearly` and :func:`analysis.overview.by_provider`: one in fixed
prices of the last year (every multi-year figure) and one in current prices (for the change as booked). Headings and
sentences use the municipality's official name; charts label it with the short name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis import overview, prices
from analysis.reporting import formatting as fmt

__all__ = [
    "OverviewPage",
    "heading",
    "headline",
    "levels_chart",
    "method_text",
    "page",
    "provider_table",
    "spending_chart",
    "yearly_table",
]


@dataclass(frozen=True)
class OverviewPage:
    """What the overview shows.

    Attributes
    ----------
    yearly : pandas.DataFrame
        :func:`analysis.overview.yearly` in fixed prices of ``last_year`` (DKK).
    yearly_current : pandas.DataFrame
        The same in current prices.
    providers : pandas.DataFrame
        :func:`analysis.overview.by_provider` in ``last_year``.
    name, short_name : str
        The municipality's official name ('Syddjurs Kommune') and short name ('Syddjurs').
    function_code, area_name, area_paragraphs : str
        The function area.
    first_year, last_year : int
        The period shown.
    price_index : str
        The price index and its source, in Danish.
    """

    yearly: pd.DataFrame
    yearly_current: pd.DataFrame
    providers: pd.DataFrame
    name: str
    short_name: str
    function_code: str
    area_name: str
    area_paragraphs: str
    first_year: int
    last_year: int
    price_index: str

    @property
    def prices(self) -> str:
        """'faste 2025-priser'."""
        return f"faste {self.last_year}-priser"


def page(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    budgets: pd.DataFrame,
    municipality_code: int,
    function_code: str,
    first_year: int,
    last_year: int,
    area: Mapping,
    names: Mapping[int, str],
    price_index: object,
) -> OverviewPage:
    """Compute everything the overview shows, in fixed prices of ``last_year`` and in current prices.

    Parameters
    ----------
    activity, municipalities, budgets : pandas.DataFrame
        Warehouse tables for the period (all municipalities, for the national figures), current prices.
    municipality_code : int
        The municipality.
    function_code : str
        The function area, e.g. ``'5.38.50'``.
    first_year, last_year : int
        The period shown (inclusive).
    area : mapping
        ``name`` and ``paragraphs`` of the function area.
    names : mapping of int to str
        Official names by code (:func:`analysis.data.reference.official_names`).
    price_index : PriceIndex
        :func:`analysis.data.price_index.read_price_index`: ``index`` by year, ``name`` and ``source``.

    Raises
    ------
    ValueError
        As :func:`analysis.overview.yearly` and :func:`analysis.prices.to_fixed_prices` (a year the index lacks).
    """
    fixed_activity = prices.to_fixed_prices(activity, price_index.index, last_year)
    fixed_budgets = prices.to_fixed_prices(budgets, price_index.index, last_year, columns=("budget_dkk",))
    short = municipalities.loc[municipalities["municipality_code"] == municipality_code, "municipality"]
    return OverviewPage(
        yearly=overview.yearly(
            fixed_activity, municipalities, fixed_budgets, municipality_code, function_code
        ),
        yearly_current=overview.yearly(activity, municipalities, budgets, municipality_code, function_code),
        providers=overview.by_provider(activity, municipality_code, function_code, last_year),
        name=str(names[int(municipality_code)]),
        short_name=str(short.iloc[0]) if len(short) else str(names[int(municipality_code)]),
        function_code=function_code,
        area_name=str(area["name"]),
        area_paragraphs=str(area["paragraphs"]),
        first_year=int(first_year),
        last_year=int(last_year),
        price_index=f"{price_index.name.lower()} ({price_index.source})",
    )


def heading(p: OverviewPage) -> str:
    """'## Syddjurs Kommune: botilbud til længerevarende ophold (§ 108)' (Markdown)."""
    return f"## {p.name}: {p.area_name.lower()} ({p.area_paragraphs})"


def _above_below(x: float) -> str:
    return f"{fmt.fmt_pct(abs(x))} {'over' if x > 0 else 'under'}"


def _more_less(x: float) -> str:
    return f"{fmt.fmt_pct(abs(x))} {'mere' if x >= 0 else 'mindre'}"


def headline(p: OverviewPage) -> str:
    """The headline box (HTML): spending and its change in fixed and current prices, price, quantity, budget."""
    t, c = p.yearly, p.yearly_current
    first, last = p.first_year, p.last_year
    latest = t.loc[last]
    fixed_change = latest["spending_dkk"] / t.loc[first, "spending_dkk"] - 1
    current_change = c.loc[last, "spending_dkk"] / c.loc[first, "spending_dkk"] - 1
    price_vs = latest["price_dkk"] / latest["national_price_dkk"] - 1
    rate_vs = latest["rate_per_1000"] / latest["national_rate_per_1000"] - 1
    budget_gap = latest["spending_dkk"] - latest["budget_dkk"]
    items = [
        (
            f"Udgift {last}",
            f"{fmt.fmt_dkk(latest['spending_dkk'])}, {_more_less(fixed_change)} end i {first} i {p.prices} "
            f"({_more_less(current_change)} i løbende priser, som også rummer pris- og lønudviklingen).",
        ),
        (
            "Pris",
            f"{fmt.fmt_dkk(latest['price_dkk'], unit='t')} pr. helårsperson, {_above_below(price_vs)} "
            "landsgennemsnittet.",
        ),
        (
            "Mængde",
            f"{fmt.fmt_number(latest['rate_per_1000'], 2)} helårspersoner pr. 1.000 18-64-årige, "
            f"{_above_below(rate_vs)} landsgennemsnittet.",
        ),
        (
            f"Budget {last}",
            f"{fmt.fmt_dkk(latest['budget_dkk'])}; regnskabet blev {fmt.fmt_dkk(abs(budget_gap))} "
            f"{'højere' if budget_gap > 0 else 'lavere'}.",
        ),
    ]
    return fmt.summary_box(items)


def _close(fig: Figure) -> Figure:
    plt.close(fig)
    return fig


def spending_chart(p: OverviewPage) -> Figure:
    """Spending (bars, own colour) and budget (line) per year, mio. kr. in fixed prices."""
    t = p.yearly
    fig, ax = plt.subplots()
    ax.bar(t.index, t["spending_dkk"], color=fmt.OWN_COLOUR, label="Regnskab")
    ax.plot(t.index, t["budget_dkk"], color=fmt.PALETTE[2], marker="o", label="Budget")
    fmt.dkk_axis(ax, unit="mio", label=f"Udgift, {p.prices}")
    ax.set_xticks(t.index)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    return _close(fig)


def levels_chart(p: OverviewPage) -> Figure:
    """Price (fixed prices) and quantity of the municipality against the national average, per year (two panels)."""
    t = p.yearly
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(fmt.FIGSIZE[0], 3.2))
    panels = (
        (ax1, "price_dkk", "national_price_dkk", f"Pris pr. helårsperson\n({p.prices})"),
        (ax2, "rate_per_1000", "national_rate_per_1000", "Helårspersoner pr. 1.000 18-64-årige"),
    )
    for ax, own, nat, title in panels:
        ax.plot(t.index, t[own], color=fmt.OWN_COLOUR, marker="o", label=p.short_name)
        ax.plot(t.index, t[nat], color=fmt.PEER_COLOUR, marker="o", label="Landsgennemsnit")
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xticks(t.index[::2])
    fmt.dkk_axis(ax1, unit="t", label=False)
    fmt.number_axis(ax2, decimals=1)
    ax1.set_ylabel("t.kr.")
    ax1.legend(loc="best", frameon=False, fontsize=8)
    fig.tight_layout()
    return _close(fig)


def yearly_table(p: OverviewPage) -> str:
    """The figures year by year (HTML), amounts and prices in fixed prices."""
    columns = {
        "year": "År",
        "spending_dkk": "Udgift",
        "budget_dkk": "Budget",
        "full_year_persons": "Helårspersoner",
        "price_dkk": "Pris",
        "national_price_dkk": "Pris, landet",
        "rate_per_1000": "Pr. 1.000 18-64-årige",
        "national_rate_per_1000": "Pr. 1.000, landet",
    }
    shown = p.yearly.reset_index()[list(columns)].rename(columns=columns)

    def mio(x):
        return fmt.fmt_dkk(x, unit="mio")

    def tkr(x):
        return fmt.fmt_dkk(x, unit="t")

    def two(x):
        return fmt.fmt_number(x, 2)

    return fmt.table_html(
        shown,
        caption=f"{p.name}, {p.first_year}-{p.last_year}, {p.prices}",
        formats={
            "Udgift": mio,
            "Budget": mio,
            "Pris": tkr,
            "Pris, landet": tkr,
            "Helårspersoner": lambda x: fmt.fmt_number(x, 1),
            "Pr. 1.000 18-64-årige": two,
            "Pr. 1.000, landet": two,
        },
    )


def provider_table(p: OverviewPage) -> str:
    """Persons, share, spending and price by paragraph and provider in the last year (HTML)."""
    prov = p.providers.assign(
        provider=p.providers["provider"].map({"internal": "Interne", "external": "Eksterne"})
    )
    columns = {
        "paragraph": "Paragraf",
        "provider": "Leverandør",
        "full_year_persons": "Helårspersoner",
        "share_of_persons": "Andel",
        "spending_dkk": "Udgift",
        "price_dkk": "Pris",
    }
    shown = prov[list(columns)].rename(columns=columns)
    return fmt.table_html(
        shown,
        caption=f"{p.name}, {p.last_year}",
        formats={
            "Helårspersoner": lambda x: fmt.fmt_number(x, 1),
            "Andel": fmt.fmt_pct,
            "Udgift": lambda x: fmt.fmt_dkk(x, unit="mio"),
            "Pris": lambda x: fmt.fmt_dkk(x, unit="t"),
        },
    )


def method_text(p: OverviewPage) -> str:
    """The section "Metode og data" (Markdown)."""
    return (
        "## Metode og data\n\n"
        f"- **Område:** funktion {p.function_code} {p.area_name} ({p.area_paragraphs}) i den kommunale "
        "kontoplan, hovedfunktion 5.38 Tilbud til voksne med særlige behov.\n"
        f"- **Periode:** regnskabsårene {p.first_year}-{p.last_year}. Beløb og priser fra tidligere år er omregnet "
        f"til {p.prices} med {p.price_index}; udviklingen i løbende priser står i overblikket.\n"
        "- **Udgift:** nettodriftsudgift (dranst 1). Budget: korrigeret budget.\n"
        "- **Mængde:** helårspersoner; en borger i tilbud hele året tæller 1, et halvt år 0,5. "
        "Opgjort pr. 1.000 indbyggere i alderen 18-64 år pr. 1. januar.\n"
        "- **Pris:** udgift pr. helårsperson. Landsgennemsnittet er vægtet med kommunernes antal helårspersoner.\n"
        "- **Forbehold:** en høj pris er ikke i sig selv udtryk for lav produktivitet; borgernes behov er forskellige."
    )
