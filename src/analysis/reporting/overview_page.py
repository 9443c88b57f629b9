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

from analysis import benchmark, overview, prices
from analysis.period import DataPeriod
from analysis.reporting import formatting as fmt
from analysis.reporting.area_page import MAIN_FUNCTION_NAMES

__all__ = [
    "OverviewPage",
    "data_text",
    "heading",
    "headline",
    "levels_chart",
    "levels_intro",
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
    period: DataPeriod | None = None
    is_sample: bool = False

    @property
    def group(self) -> benchmark.ResidentGroup:
        """The residents the per-resident figures are of: aged 18-64 for 5.38, aged 0-17 for 5.28."""
        return benchmark.resident_group(self.function_code)

    @property
    def prices(self) -> str:
        """'faste 2025-priser'."""
        return f"faste {self.last_year}-priser"

    @property
    def has_persons(self) -> bool:
        """Whether the data have full-year persons in the last year (activity; not accounts alone)."""
        return bool(pd.notna(self.yearly.loc[self.last_year, "full_year_persons"]))

    @property
    def last_closed(self) -> bool:
        """Whether the last year is closed (its accounts final); True without a period."""
        return self.period is None or self.period.is_closed(self.last_year)


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
    accounts: pd.DataFrame | None = None,
    period: DataPeriod | None = None,
    is_sample: bool = False,
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
    accounts : pandas.DataFrame, optional
        The ``accounts`` table for the period: the spending when the municipality has no activity for the area.
    period : DataPeriod, optional
        :func:`analysis.period.data_period` of the municipality: an open last year is not called final.
    is_sample : bool
        Whether the warehouse is the synthetic sample (the headline says so).

    Raises
    ------
    ValueError
        As :func:`analysis.overview.yearly` and :func:`analysis.prices.to_fixed_prices` (a year the index lacks).
    """
    fixed_activity = prices.to_fixed_prices(activity, price_index.index, last_year)
    fixed_budgets = prices.to_fixed_prices(budgets, price_index.index, last_year, columns=("budget_dkk",))
    fixed_accounts = None
    if accounts is not None:
        fixed_accounts = prices.to_fixed_prices(accounts, price_index.index, last_year)
    short = municipalities.loc[municipalities["municipality_code"] == municipality_code, "municipality"]
    return OverviewPage(
        yearly=overview.yearly(
            fixed_activity, municipalities, fixed_budgets, municipality_code, function_code, fixed_accounts
        ),
        yearly_current=overview.yearly(
            activity, municipalities, budgets, municipality_code, function_code, accounts
        ),
        providers=overview.by_provider(activity, municipality_code, function_code, last_year),
        name=str(names[int(municipality_code)]),
        short_name=str(short.iloc[0]) if len(short) else str(names[int(municipality_code)]),
        function_code=function_code,
        area_name=str(area["name"]),
        area_paragraphs=str(area["paragraphs"]),
        first_year=int(first_year),
        last_year=int(last_year),
        price_index=f"{fmt.in_sentence(price_index.name)} ({price_index.source})",
        period=period,
        is_sample=bool(is_sample),
    )


def heading(p: OverviewPage) -> str:
    """'## Syddjurs Kommune: botilbud til længerevarende ophold (§ 108)' (Markdown)."""
    return f"## {p.name}: {p.area_name.lower()} {_parenthesised(p.area_paragraphs)}"


def _parenthesised(words: str) -> str:
    """'(§ 108)'; parentheses inside become brackets, as Danish nests them: '(§ 85 [i boliger ...])'."""
    return "(" + words.replace("(", "[").replace(")", "]") + ")"


def _above_below(x: float, whom: str) -> str:
    """'7,2 % over {whom}', '3,0 % under {whom}', or 'på niveau med {whom}' when it rounds to 0,0 %."""
    if fmt.fmt_pct(abs(x)) == fmt.fmt_pct(0):
        return f"på niveau med {whom}"
    return f"{fmt.fmt_pct(abs(x))} {'over' if x > 0 else 'under'} {whom}"


def _more_less(x: float) -> str | None:
    """'10,0 % mere', '4,0 % mindre', or None when the change rounds to 0,0 %."""
    if fmt.fmt_pct(abs(x)) == fmt.fmt_pct(0):
        return None
    return f"{fmt.fmt_pct(abs(x))} {'mere' if x > 0 else 'mindre'}"


NO_PERSONS = (
    "Pris og mængde kræver antallet af helårspersoner på området: Danmarks Statistiks tabel HAND01 eller "
    "kommunens egne sagsdata. Datagrundlaget har kun regnskab og befolkningstal."
)
NO_POPULATION = "Kan ikke opgøres: befolkningstallet (Danmarks Statistiks FOLK1A) mangler for {year}."


def data_text(p: OverviewPage) -> str:
    """'Regnskabsårene 2018-2024', or '... (2025 til og med september); tallene for 2025 er foreløbige'."""
    years = f"{p.first_year}-{p.last_year}" if p.first_year != p.last_year else str(p.last_year)
    if p.last_closed:
        return f"Regnskabsårene {years}."
    return (
        f"Regnskabsårene {p.period.period_text(p.first_year, p.last_year)}; tallene for {p.last_year} er "
        f"foreløbige: året er bogført til og med {p.period.through_text()}."
    )


def _budget_item(p: OverviewPage) -> tuple[str, str]:
    latest = p.yearly.loc[p.last_year]
    label = f"Budget {p.last_year}"
    if pd.isna(latest["budget_dkk"]):
        return (
            label,
            "Intet budget i datagrundlaget (Danmarks Statistiks BUDK32 eller kommunens eget budget).",
        )
    if not p.last_closed:
        return label, (
            f"{fmt.fmt_dkk(latest['budget_dkk'])}. Året er ikke afsluttet (bogført til og med "
            f"{p.period.through_text()}), så udgiften holdes ikke op mod budgettet endnu."
        )
    gap = latest["spending_dkk"] - latest["budget_dkk"]
    if fmt.fmt_dkk(abs(gap)) == fmt.fmt_dkk(0):
        return label, f"{fmt.fmt_dkk(latest['budget_dkk'])}; regnskabet svarede til budgettet."
    return label, (
        f"{fmt.fmt_dkk(latest['budget_dkk'])}; regnskabet blev {fmt.fmt_dkk(abs(gap))} "
        f"{'højere' if gap > 0 else 'lavere'}."
    )


def headline(p: OverviewPage) -> str:
    """The headline box (HTML): period, spending and its change in fixed and current prices, price, quantity, budget.

    Without full-year persons it gives the spending per resident (18-64; 0-17 for 5.28) and says what the split needs.
    """
    g = p.group
    t, c = p.yearly, p.yearly_current
    first, last = p.first_year, p.last_year
    latest = t.loc[last]
    items = [("Data", data_text(p))]
    if p.is_sample:
        items.append(("Eksempeldata", "tallene er syntetiske og ikke kommunens regnskab."))
    spending = f"{fmt.fmt_dkk(latest['spending_dkk'])}"
    if first in t.index and first != last:
        fixed_change = latest["spending_dkk"] / t.loc[first, "spending_dkk"] - 1
        current_change = c.loc[last, "spending_dkk"] / c.loc[first, "spending_dkk"] - 1
        fixed, current = _more_less(fixed_change), _more_less(current_change)
        spending += (
            (f", {fixed} end i {first}" if fixed else f", det samme som i {first}")
            + f" i {p.prices} ({current or 'det samme'} i løbende priser, som også rummer pris- og lønudviklingen)."
        )
    else:
        spending += f" i {p.prices}."
    items.append((f"Udgift {last}" + ("" if p.last_closed else ", foreløbig"), spending))
    if pd.isna(latest["residents"]):
        items.append((f"Udgift pr. {g.singular}", NO_POPULATION.format(year=last)))
    elif p.has_persons:
        price_vs = latest["price_dkk"] / latest["national_price_dkk"] - 1
        rate_vs = latest["rate_per_1000"] / latest["national_rate_per_1000"] - 1
        items += [
            (
                "Pris",
                f"{fmt.fmt_dkk(latest['price_dkk'], unit='t')} pr. helårsperson, "
                f"{_above_below(price_vs, 'landsgennemsnittet')}.",
            ),
            (
                "Mængde",
                f"{fmt.fmt_number(latest['rate_per_1000'], 2)} helårspersoner pr. 1.000 {g.plural}, "
                f"{_above_below(rate_vs, 'landsgennemsnittet')}.",
            ),
        ]
    else:
        vs = latest["spending_per_resident_dkk"] / latest["national_spending_per_resident_dkk"] - 1
        items += [
            (
                f"Udgift pr. {g.singular}",
                f"{fmt.fmt_dkk(latest['spending_per_resident_dkk'], unit='kr')}, "
                f"{_above_below(vs, 'landsgennemsnittet')}.",
            ),
            ("Pris og mængde", NO_PERSONS),
        ]
    items.append(_budget_item(p))
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
    """Price (fixed prices) and quantity of the municipality against the national average, per year (two panels).

    Without full-year persons: spending per resident (aged 18-64; 0-17 for 5.28) against the country (one panel).
    """
    g = p.group
    t = p.yearly
    if not p.has_persons:
        return _per_resident_chart(p)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(fmt.FIGSIZE[0], 3.2))
    panels = (
        (ax1, "price_dkk", "national_price_dkk", f"Pris pr. helårsperson\n({p.prices})"),
        (ax2, "rate_per_1000", "national_rate_per_1000", f"Helårspersoner pr. 1.000 {g.plural}"),
    )
    for ax, own, nat, title in panels:
        ax.plot(t.index, t[own], color=fmt.OWN_COLOUR, marker="o", label=p.short_name)
        ax.plot(t.index, t[nat], color=fmt.PEER_COLOUR, marker="o", label="Landsgennemsnit")
        ax.set_title(title, fontsize=10, loc="left")
        shown = t.index[t[[own, nat]].notna().any(axis=1)]  # a year without population has no rate
        ax.set_xticks(shown[:: 2 if len(shown) > 5 else 1])
    fmt.dkk_axis(ax1, unit="t", label=False)
    rates = t[["rate_per_1000", "national_rate_per_1000"]]
    fmt.number_axis(ax2, decimals=1 if float(rates.max().max() - rates.min().min()) >= 1 else 2)
    ax1.set_ylabel("t.kr.")
    ax1.legend(loc="best", frameon=False, fontsize=8)
    fmt.tight_layout(fig)
    return _close(fig)


def _per_resident_chart(p: OverviewPage) -> Figure:
    g = p.group
    t = p.yearly.dropna(subset=["spending_per_resident_dkk"])
    fig, ax = plt.subplots(figsize=(fmt.FIGSIZE[0], 3.2))
    ax.plot(t.index, t["spending_per_resident_dkk"], color=fmt.OWN_COLOUR, marker="o", label=p.short_name)
    ax.plot(
        t.index,
        t["national_spending_per_resident_dkk"],
        color=fmt.PEER_COLOUR,
        marker="o",
        label="Landsgennemsnit",
    )
    ax.set_title(f"Udgift pr. {g.singular} (kr., {p.prices})", fontsize=10, loc="left")
    ax.set_xticks(t.index)
    ax.set_ylim(bottom=0)
    fmt.number_axis(ax)
    ax.legend(loc="best", frameon=False, fontsize=8)
    fmt.tight_layout(fig)
    return _close(fig)


def levels_intro(p: OverviewPage) -> str:
    """The introduction of the section on price and quantity (Markdown), or why it shows spending per resident."""
    g = p.group
    if p.has_persons:
        return (
            f"Pris er udgift pr. helårsperson i {p.prices}. Mængde er helårspersoner pr. 1.000 indbyggere i alderen "
            f"{g.ages} år. Landsgennemsnittet er vægtet: alle kommuners samlede udgift delt med deres samlede antal "
            "helårspersoner."
        )
    return (
        f"{NO_PERSONS} Figuren viser derfor udgiften pr. {g.singular} mod landsgennemsnittet (alle kommuner i "
        f"datagrundlaget: samlet udgift delt med samlet antal {g.plural})."
    )


def yearly_table(p: OverviewPage) -> str:
    """The figures year by year (HTML), amounts and prices in fixed prices."""
    g = p.group
    columns = {
        "year": "År",
        "spending_dkk": "Udgift",
        "budget_dkk": "Budget",
        "full_year_persons": "Helårspersoner",
        "price_dkk": "Pris",
        "national_price_dkk": "Pris, landet",
        "rate_per_1000": f"Pr. 1.000 {g.plural}",
        "national_rate_per_1000": "Pr. 1.000, landet",
    }
    if not p.has_persons:
        columns = {
            "year": "År",
            "spending_dkk": "Udgift",
            "budget_dkk": "Budget",
            "residents": g.plural,
            "spending_per_resident_dkk": f"Pr. {g.singular}, kr.",
            "national_spending_per_resident_dkk": f"Pr. {g.singular}, landet",
        }
    shown = p.yearly.reset_index()[list(columns)].rename(columns=columns)

    def mio(x):
        return fmt.fmt_dkk(x, unit="mio")

    def tkr(x):
        return fmt.fmt_dkk(x, unit="t")

    def two(x):
        return fmt.fmt_number(x, 2)

    formats = {
        "Udgift": mio,
        "Budget": mio,
        "Pris": tkr,
        "Pris, landet": tkr,
        "Helårspersoner": lambda x: fmt.fmt_number(x, 1),
        f"Pr. 1.000 {g.plural}": two,
        "Pr. 1.000, landet": two,
        g.plural: fmt.fmt_number,
        f"Pr. {g.singular}, kr.": fmt.fmt_number,
        f"Pr. {g.singular}, landet": fmt.fmt_number,
    }
    return fmt.table_html(
        shown,
        caption=f"{p.name}, {p.first_year}-{p.last_year}, {p.prices}",
        formats={k: f for k, f in formats.items() if k in shown.columns},
    )


def provider_table(p: OverviewPage) -> str:
    """Persons, share, spending and price by paragraph and provider in the last year (HTML).

    Without a provider split (Statistics Denmark's HAND01: provider 'unknown') or without persons, a paragraph
    that says why.
    """
    if not p.has_persons:
        return "<p>Uden helårspersoner kan fordelingen på interne og eksterne tilbud ikke vises.</p>"
    if not p.providers["provider"].isin(["internal", "external"]).any():
        return (
            "<p>Helårspersonerne kommer fra Danmarks Statistiks HAND01, som ikke skelner mellem kommunens egne "
            "tilbud og køb hos andre kommuner, regioner og private; fordelingen på leverandører kan derfor ikke "
            "vises. Det kræver kommunens egne sagsdata.</p>"
        )
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
    g = p.group
    main = benchmark.main_function(p.function_code)
    return (
        "## Metode og data\n\n"
        f"- **Område:** funktion {p.function_code} {p.area_name} {_parenthesised(p.area_paragraphs)} i den kommunale "
        f"kontoplan, hovedfunktion {main} {MAIN_FUNCTION_NAMES.get(main, '')}.\n"
        f"- **Periode:** {data_text(p)} Beløb og priser fra tidligere år er omregnet "
        f"til {p.prices} med {p.price_index}; udviklingen i løbende priser står i overblikket.\n"
        "- **Udgift:** nettodriftsudgift (dranst 1). Budget: korrigeret budget.\n"
        + (
            "- **Mængde:** helårspersoner; en borger i tilbud hele året tæller 1, et halvt år 0,5. "
            f"Opgjort pr. 1.000 indbyggere i alderen {g.ages} år pr. 1. januar."
            + (
                " Helårspersonerne er Danmarks Statistiks HAND01 (fuldtidsydelser, gennemsnittet af årets kvartaler)."
                if not p.providers["provider"].isin(["internal", "external"]).any()
                else ""
            )
            + "\n"
            "- **Pris:** udgift pr. helårsperson. Landsgennemsnittet er vægtet med kommunernes antal "
            "helårspersoner.\n"
            if p.has_persons
            else f"- **Pris og mængde:** {NO_PERSONS} Udgiften er sat i forhold til indbyggerne i alderen {g.ages} "
            "år pr. 1. januar (Danmarks Statistiks FOLK1A).\n"
        )
        + "- **Forbehold:** en høj pris er ikke i sig selv udtryk for lav produktivitet; borgernes behov er "
        "forskellige."
    )
