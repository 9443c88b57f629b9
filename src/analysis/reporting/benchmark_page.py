"""The Danish tables and sentences of the benchmark report, built from :class:`analysis.benchmark.BenchmarkReport`.

``notebooks/benchmark.ipynb`` calls one function per table or paragraph; everything a reader sees that is not a
chart (:mod:`analysis.reporting.benchmark_charts`) is made here, with the helpers of
:mod:`analysis.reporting.formatting`. Functions return HTML (tables, the headline box) or Markdown (sentences).

Names: headings and sentences use the municipalities' official names (``Københavns Kommune``, from the reference
list); table rows use the short name (``København``), as Statistics Denmark's tables do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from analysis import benchmark
from analysis.data.queries import ILLUSTRATIVE_INDEX_SOURCE
from analysis.data.socioeconomic import source_text
from analysis.period import DataPeriod
from analysis.reporting import formatting as fmt

__all__ = [
    "BenchmarkPage",
    "external_prices_text",
    "heading",
    "headline",
    "key_figures_table",
    "method_text",
    "page",
    "peer_table",
    "potentials_table",
    "potentials_text",
    "provider_table",
    "business_case_text",
    "data_text",
    "intro",
    "providers_unknown_text",
    "index_sources",
    "ranks_text",
    "sources_text",
]

FEATURES_TEXT = {
    "population": "indbyggertal",
    "population_18_64": "antal 18-64-årige",
    "population_0_17": "antal 0-17-årige",
    "socioeconomic_index": "socioøkonomisk indeks",
    "population_density": "befolkningstæthed",
}
FEATURES_SHORT = {
    "population": "Indbyggere",
    "population_18_64": "18-64-årige",
    "population_0_17": "0-17-årige",
    "socioeconomic_index": "Socioøk. indeks",
    "population_density": "Indb. pr. km²",
}
FEATURE_DECIMALS = {"socioeconomic_index": 2, "population_density": 1}
PROVIDERS_DA = {"internal": "Interne", "external": "Eksterne", "all": "I alt"}
YARDSTICKS_DA = {
    "peer_average": "Gennemsnit af alle",
    "cheaper_half": "Billigste halvdel",
    "lowest": "Billigste kommune",
}
MEASURES_DA = {"price": "Pris", "quantity": "Mængde", "spending": "Udgift pr. 18-64-årig"}
"""The measures' Danish names for 5.38; :func:`measures_da` gives them for any resident group."""


def measures_da(group: benchmark.ResidentGroup = benchmark.ADULTS) -> dict[str, str]:
    """The measures' Danish names: spending is per resident of ``group`` ('Udgift pr. 0-17-årig' for 5.28)."""
    return {"price": "Pris", "quantity": "Mængde", "spending": f"Udgift pr. {group.singular}"}


SHY = "\u00ad"  # soft hyphen: lets a long word in a table header break


@dataclass(frozen=True)
class BenchmarkPage:
    """What the report's text needs beside the numbers: names, the area, the own region and the price index.

    Attributes
    ----------
    report : analysis.benchmark.BenchmarkReport
        The numbers.
    area_name, area_paragraphs : str
        The function area's Danish name and its paragraphs (e.g. '§ 108').
    names : dict
        Official name by municipality code ('Syddjurs Kommune').
    short_names : dict
        Short name by code ('Syddjurs'), for table rows and chart labels.
    region, municipality_group : str
        The own municipality's region and municipality group.
    price_index : str
        The price index and its source, in Danish, as the method section states it ('' when current prices).
    """

    report: benchmark.BenchmarkReport
    area_name: str
    area_paragraphs: str
    names: dict[int, str]
    short_names: dict[int, str]
    region: str = ""
    municipality_group: str = ""
    price_index: str = ""
    period: DataPeriod | None = None
    sources: pd.DataFrame | None = None
    is_sample: bool = False

    @property
    def spending_only(self) -> bool:
        """Whether the report has no full-year persons (accounts and population only): no price/quantity split."""
        return isinstance(self.report, benchmark.SpendingReport)

    @property
    def group(self) -> benchmark.ResidentGroup:
        """The residents the report's per-resident figures are of: aged 18-64 for 5.38, aged 0-17 for 5.28."""
        return benchmark.resident_group(self.report.function_code)

    @property
    def providers_known(self) -> bool:
        """Whether the activity tells internal from external offers (HAND01 has provider 'unknown')."""
        if self.spending_only:
            return False
        prov = self.report.providers
        known = prov[prov["provider"].isin(["internal", "external"])]
        return bool((known["own_persons"] > 0).any() or (known["peer_share"] > 0).any())

    @property
    def name(self) -> str:
        """The own municipality's official name."""
        return self.names[self.report.municipality_code]

    @property
    def short_name(self) -> str:
        """The own municipality's short name."""
        return self.short_names[self.report.municipality_code]

    @property
    def n_peers(self) -> int:
        """Number of peers."""
        return len(self.report.peers)

    def names_of(self, codes: Iterable[int]) -> str:
        """Official names of ``codes`` in alphabetical order, joined with commas and 'og'."""
        return and_join(sorted(self.names[int(c)] for c in codes))


def page(
    report: benchmark.BenchmarkReport,
    municipalities: pd.DataFrame,
    area: Mapping,
    names: Mapping[int, str],
    price_index: object | None = None,
    period: DataPeriod | None = None,
    sources: pd.DataFrame | None = None,
    is_sample: bool = False,
) -> BenchmarkPage:
    """Gather what the text needs.

    Parameters
    ----------
    report : BenchmarkReport
        :func:`analysis.benchmark.benchmark_report`.
    municipalities : pandas.DataFrame
        The ``municipalities`` table (short names, region and group in the report's year).
    area : mapping
        The function area (``name``, ``paragraphs``), e.g. :func:`analysis.data.queries.function_area`.
    names : mapping of int to str
        Official names by code (:func:`analysis.data.reference.official_names`).
    price_index : PriceIndex, optional
        The index the report's years were restated with (:func:`analysis.data.price_index.read_price_index`);
        None when the figures are in current prices.
    period : DataPeriod, optional
        :func:`analysis.period.data_period` of the own municipality: an open last year is stated as such.
    sources : pandas.DataFrame, optional
        Where the structural features came from (:func:`analysis.data.queries.feature_sources`: feature, source).
    is_sample : bool
        Whether the warehouse is the synthetic sample (the first page says so).
    """
    year = municipalities[municipalities["year"] == report.year]
    own = year[year["municipality_code"] == report.municipality_code]
    short = dict(
        zip(municipalities["municipality_code"].astype(int), municipalities["municipality"], strict=False)
    )
    sources = index_sources(year, sources)
    index_text = ""
    if price_index is not None:
        index_text = f"{fmt.in_sentence(price_index.name)} ({price_index.source})"
    return BenchmarkPage(
        report=report,
        area_name=str(area["name"]),
        area_paragraphs=str(area["paragraphs"]),
        names={int(k): str(v) for k, v in names.items()},
        short_names=short,
        region=str(own["region"].iloc[0]) if "region" in own and len(own) else "",
        municipality_group=str(own["municipality_group"].iloc[0])
        if "municipality_group" in own and len(own)
        else "",
        price_index=index_text,
        period=period,
        sources=sources,
        is_sample=bool(is_sample),
    )


# Words and numbers --------------------------------------------------------------------------------------------


def and_join(words: list[str]) -> str:
    """'a', 'a og b', 'a, b og c'."""
    words = list(words)
    return " og ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _mio(x: float) -> str:
    return fmt.fmt_dkk(x, unit="mio")


def _tkr(x: float) -> str:
    return fmt.fmt_dkk(x, unit="t")


def _kr(x: float) -> str:
    return fmt.fmt_dkk(x, unit="kr")


def _signed(x: float) -> str:
    """A signed amount in mio. kr. ('+1,2 mio. kr.'; no sign when it rounds to zero)."""
    return fmt.fmt_dkk(x, sign=True)


def _rate(x: float) -> str:
    return fmt.fmt_number(x, 2)


def _on_level_pct(x: float) -> str | None:
    """An on-level difference (``|x|`` < :data:`analysis.benchmark.MATERIALITY`) as a percentage below the limit.

    One decimal unless that rounds up to the limit (1.97 % would read '2,0 %', a material difference by the
    report's own rule): then as many decimals as keep it below, up to three, else 'under 2 %'. None when the
    difference rounds to 0,0 %.
    """
    if not math.isfinite(x):
        return None
    limit = Decimal(str(benchmark.MATERIALITY * 100))
    for decimals in (1, 2, 3):
        shown = fmt.fmt_pct(abs(x), decimals)
        value = Decimal(shown.removesuffix(" %").replace(".", "").replace(",", "."))
        if value == 0 and decimals == 1:
            return None
        if value < limit:
            return shown
    return f"under {fmt.fmt_pct(benchmark.MATERIALITY, 0)}"


def _versus(difference: float, direction: str, whom: str) -> str:
    """'12,3 % over {whom}', '4,0 % under {whom}' or 'på niveau med {whom} (0,8 % over)'.

    ``direction`` is that of :func:`analysis.benchmark.effects`; an on-level difference that rounds to 0,0 % gets
    no figure.
    """
    side = "over" if difference > 0 else "under"
    if direction != "level":
        return f"{fmt.fmt_pct(abs(difference))} {side} {whom}"
    shown = _on_level_pct(difference)
    return f"på niveau med {whom}" + ("" if shown is None else f" ({shown} {side})")


def _parenthesised(words: str) -> str:
    """'(§ 108)'; parentheses inside become brackets, as Danish nests them: '(§ 85 [i boliger ...])'."""
    return "(" + words.replace("(", "[").replace(")", "]") + ")"


def _fixed(p: BenchmarkPage) -> str:
    return f", faste {p.report.year}-priser" if p.price_index else ""


def _peer_choice_short(p: BenchmarkPage) -> str:
    rep = p.report
    features = and_join([FEATURES_TEXT.get(f, f) for f in rep.features])
    return {
        "knn": f"de {p.n_peers} kommuner, der i {rep.year} lignede {p.name} mest på {features}"
        if p.n_peers > 1
        else f"den kommune, der i {rep.year} lignede {p.name} mest på {features}",
        "list": f"{p.n_peers} kommuner, valgt på forhånd og givet som en liste",
        "region": f"de {p.n_peers} øvrige kommuner i {p.region}",
        "group": f"de {p.n_peers} øvrige kommuner i kommunegruppen {p.municipality_group.lower()}",
    }[rep.method]


# Headline -----------------------------------------------------------------------------------------------------


def heading(p: BenchmarkPage) -> str:
    """The report's first heading (Markdown): '## Syddjurs Kommune: botilbud til længerevarende ophold, § 108'."""
    return f"## {p.name}: {p.area_name.lower()}, {p.area_paragraphs}"


def potential_sentence(p: BenchmarkPage) -> str:
    """The headline's potential at the peers' average, one rule for spending, price and quantity alike.

    A difference of less than :data:`analysis.benchmark.MATERIALITY` (2 %) is on level and gives no potential.
    When the spending per resident is above the peers', its gap is the potential. Otherwise each of price and
    quantity that is above gives its own potential, said in the same words. A yardstick flagged as not plausible
    says so: one too far from the municipality, or a potential above
    :data:`analysis.benchmark.PLAUSIBLE_MAX_SHARE` of the spending (the potentials table's 'for stor').
    """
    g = p.group
    rep, eff = p.report, p.report.effects
    limit = fmt.fmt_pct(benchmark.MATERIALITY, 0)
    sentences = []
    above = [m for m in ("price", "quantity") if eff.loc[m, "direction"] == "above"]
    if eff.loc["spending", "direction"] == "above":
        sentences.append(
            f"{_mio(eff.loc['spending', 'potential_dkk'])}, hvis udgiften pr. {g.singular} kom ned på "
            "sammenligningskommunernes gennemsnit."
        )
    else:
        words = {"price": ("prisen", "gennemsnitspris"), "quantity": ("mængden", "mængde")}
        # on level, the spending may be up to 2 % above the average: 'ikke over' would be false
        spending = (
            "på niveau med gennemsnittet"
            if eff.loc["spending", "direction"] == "level"
            else "under gennemsnittet"
        )
        for m in above:
            sentences.append(
                f"Udgiften pr. {g.singular} er {spending}, men {words[m][0]} er "
                f"{fmt.fmt_pct(eff.loc[m, 'difference'])} over: {_mio(eff.loc[m, 'potential_dkk'])} ved "
                f"sammenligningskommunernes {words[m][1]}."
            )
        if not above:
            sentences.append(
                f"Intet ved sammenligningskommunernes gennemsnit: hverken udgiften pr. {g.singular}, prisen eller "
                f"mængden ligger {limit} eller mere over."
            )
    pot = rep.potentials.set_index(["yardstick", "measure"])
    stated = ["spending"] if eff.loc["spending", "direction"] == "above" else above
    for m in stated:  # the potentials table's verdict 'for stor', said where the figure is
        row = pot.loc[("peer_average", m)]
        if row["too_large"]:
            sentences.append(
                f"For stort: {_mio(row['potential_dkk'])} svarer til {fmt.fmt_pct(row['share_of_spending'])} af "
                f"udgiften (over {fmt.fmt_pct(benchmark.PLAUSIBLE_MAX_SHARE, 0)}), så det er ikke et realistisk mål."
            )
    if eff["potential_dkk"].max() > 0:
        sentences.append(
            "Andre målestokke giver andre tal (se Potentialer); de er alternativer og kan ikke lægges sammen."
        )
    average = rep.potentials[rep.potentials["yardstick"] == "peer_average"].iloc[0]
    if average["too_far"]:
        sentences.append(
            f"Usikkert: sammenligningskommunerne ligger i gennemsnit {fmt.fmt_number(average['distance'], 2)} "
            f"standardafvigelser fra {p.name} på de strukturelle kendetegn (over "
            f"{fmt.fmt_number(benchmark.PLAUSIBLE_MAX_DISTANCE, 1)})."
        )
    return " ".join(sentences)


def headline(p: BenchmarkPage) -> str:
    """The box of headline figures (HTML): spending, difference, price and quantity effects, potential, peers."""
    g = p.group
    if p.spending_only:
        return _spending_headline(p)
    r, eff = p.report.latest, p.report.effects
    gap = r["gap_dkk"]
    peers = "sammenligningskommunerne"
    spending, price, quantity = (
        _versus(eff.loc[m, "difference"], eff.loc[m, "direction"], peers)
        for m in ("spending", "price", "quantity")
    )
    if eff.loc["spending", "direction"] == "level":
        spending = f", {spending}."
    else:
        spending = f" ({_versus(eff.loc['spending', 'difference'], '', 'sammenligningskommunernes niveau')})."
    items = [
        (
            f"Udgift {p.report.year}",
            f"{_mio(r['own_spending_dkk'])} mod {_mio(r['expected_spending_dkk'])} med "
            "sammenligningskommunernes pris og mængde.",
        ),
        ("Forskel", f"{_mio(abs(gap))} {'mere' if gap > 0 else 'mindre'}{spending}"),
        (
            "Priseffekt",
            f"{_signed(r['price_effect_dkk'])}; prisen er {_tkr(r['own_price'])} pr. helårsperson mod "
            f"{_tkr(r['peer_price'])}, {price}.",
        ),
        (
            "Mængdeeffekt",
            f"{_signed(r['quantity_effect_dkk'])}; mængden er {_rate(r['own_rate'])} helårspersoner pr. 1.000 "
            f"{g.plural} mod {_rate(r['peer_rate'])}, {quantity}.",
        ),
        ("Potentiale", potential_sentence(p)),
        ("Sammenligningskommuner", f"{_peer_choice_short(p)}.{_illustrative_note(p)}"),
    ]
    return fmt.summary_box(_first_items(p) + items)


# Key figures --------------------------------------------------------------------------------------------------


def key_figures_table(p: BenchmarkPage) -> str:
    """The own municipality, the peers (weighted and unweighted average, median, lowest, highest), the country."""
    g = p.group
    if p.spending_only:
        return _spending_key_figures(p)
    kf = p.report.key_figures
    rows = {
        p.short_name: "own",
        f"{p.n_peers} sml.-kommuner, vægtet gennemsnit": "peer_average",
        "– uvægtet gennemsnit": "peer_mean",
        "– median": "peer_median",
        "– laveste": "peer_min",
        "– højeste": "peer_max",
        "Hele landet, vægtet gennemsnit": "national",
    }
    shown = kf.T.loc[list(rows.values()), list(benchmark.KEY_MEASURES)].astype(float)
    shown.index = list(rows)
    labels = [
        "Pris pr. helårsperson, t.kr.",
        f"Helårspersoner pr. 1.000 {g.plural}",
        f"Udgift pr. {g.singular}, kr.",
    ]
    shown.columns = labels
    return fmt.table_html(
        shown,
        index=True,
        caption=f"{p.name}, sammenligningskommunerne (sml.-kommuner) og hele landet, {p.report.year}",
        formats={labels[0]: lambda x: fmt.fmt_number(x / 1000), labels[1]: _rate, labels[2]: fmt.fmt_number},
    )


def ranks_text(p: BenchmarkPage) -> str:
    """Where the own municipality ranks among itself and the peers on each measure (Markdown; '' if none)."""
    g = p.group
    if p.spending_only:
        return ""
    kf = p.report.key_figures
    ranks = [
        f"nr. {int(kf.loc[m, 'rank'])} af {int(kf.loc[m, 'n_ranked'])} på {label}"
        for label, m in zip(
            ["prisen", "mængden", f"udgiften pr. {g.singular}"], benchmark.KEY_MEASURES, strict=True
        )
        if not math.isnan(kf.loc[m, "rank"])
    ]
    if not ranks:
        return ""
    return (
        f"Ordnet fra laveste til højeste blandt {p.name} og sammenligningskommunerne er {p.name} {and_join(ranks)}. "
        "Det vægtede gennemsnit lader store kommuner veje mest; i det uvægtede tæller hver kommune én gang."
    )


# Potentials ---------------------------------------------------------------------------------------------------


def _verdict(row: pd.Series) -> str:
    if not row.get("is_material", True):
        return "på niveau"
    if row["potential_dkk"] <= 0:
        return "–"
    reasons = [text for flag, text in (("too_far", "for ulig"), ("too_large", "for stor")) if row[flag]]
    return " og ".join(reasons) if reasons else "realistisk"


def potentials_table(p: BenchmarkPage) -> str:
    """Every yardstick x measure: the levels, the potential, its share of spending, the distance and a verdict."""
    if p.spending_only:
        return ""
    pot = p.report.potentials
    formats_level = {"price": _tkr, "quantity": _rate, "spending": _kr}
    rows = []
    for measure in ("price", "quantity", "spending"):
        for yardstick in benchmark.YARDSTICKS:
            row = pot[(pot["measure"] == measure) & (pot["yardstick"] == yardstick)].iloc[0]
            label = YARDSTICKS_DA[yardstick] + (f" {p.n_peers}" if yardstick == "peer_average" else "")
            rows.append(
                {
                    "Mål": measures_da(p.group)[measure],
                    "Målestok": label,
                    "Kommunen": formats_level[measure](row["own_value"]),
                    "Målestokken": formats_level[measure](row["yardstick_value"]),
                    "Potentiale": float(row["potential_dkk"]),
                    "Andel af udgiften": float(row["share_of_spending"]),
                    "Afstand": float(row["distance"]),
                    "Vurdering": _verdict(row),
                }
            )
    shown = pd.DataFrame(rows)
    return fmt.table_html(
        shown,
        caption=f"Niveau og potentiale ved hver målestok, {p.report.year}",
        formats={
            "Potentiale": _mio,
            "Andel af udgiften": fmt.fmt_pct,
            "Afstand": lambda x: fmt.fmt_number(x, 2),
        },
    )


def potentials_text(p: BenchmarkPage) -> str:
    """The units, the yardsticks' municipalities and the plausibility rule (Markdown)."""
    g = p.group
    if p.spending_only:
        return _spending_potential_text(p)
    pot = p.report.potentials.set_index(["yardstick", "measure"])
    groups = "\n".join(
        f"- **{measures_da(g)[m]}:** billigste halvdel {p.names_of(pot.loc[('cheaper_half', m), 'yardstick_codes'])}; "
        f"billigste kommune {p.names_of(pot.loc[('lowest', m), 'yardstick_codes'])}."
        for m in ("price", "quantity", "spending")
    )
    return (
        f"Pris er i t.kr. pr. helårsperson, mængde i helårspersoner pr. 1.000 {g.plural}, udgift i kr. pr. "
        f"{g.singular}. Målestokkene er vægtede gennemsnit af kommunerne i dem. Afstanden er målestokkens "
        f"gennemsnitlige afstand til {p.name} på de strukturelle kendetegn (i standardafvigelser). Et potentiale "
        f"vurderes som *for ulig*, når målestokken ligger mere end "
        f"{fmt.fmt_number(benchmark.PLAUSIBLE_MAX_DISTANCE, 1)} standardafvigelser væk, og som *for stort*, når "
        f"det svarer til mere end {fmt.fmt_pct(benchmark.PLAUSIBLE_MAX_SHARE, 0)} af kommunens udgift: så er "
        f"det ikke et realistisk mål. *På niveau*: kommunen ligger mindre end "
        f"{fmt.fmt_pct(benchmark.MATERIALITY, 0)} fra målestokken, og det giver intet potentiale.\n\n"
        + groups
    )


# Peers --------------------------------------------------------------------------------------------------------


def peer_table(p: BenchmarkPage) -> str:
    """The own municipality and the peers: structure, distance, persons, spending, price and rate (HTML)."""
    g = p.group
    if p.spending_only:
        return _spending_peer_table(p)
    rep, r = p.report, p.report.latest
    table = rep.peer_table
    peer_rows = table[(table["role"] == "peer") & table["has_data"]]
    persons, spending = f"Helårs{SHY}personer", "Udgift, mio. kr."
    cols = {"municipality": "Kommune"}
    cols.update({f: FEATURES_SHORT.get(f, f) for f in rep.features})
    cols.update(
        {
            "distance": "Afstand",
            "full_year_persons": persons,
            "spending_dkk": spending,
            "price_dkk": "Pris, t.kr.",
            "rate_per_1000": f"Pr. 1.000 {g.plural}",
        }
    )
    shown = table[list(cols)].rename(columns=cols)
    shown["Kommune"] = [
        p.short_names.get(int(c), n)
        for c, n in zip(table["municipality_code"], table["municipality"], strict=True)
    ]
    totals = pd.DataFrame(
        [
            {
                "Kommune": "Sammenligningskommuner i alt, vægtet",
                persons: peer_rows["full_year_persons"].sum(),
                spending: peer_rows["spending_dkk"].sum(),
                "Pris, t.kr.": r["peer_price"],
                f"Pr. 1.000 {g.plural}": r["peer_rate"],
            },
            {
                "Kommune": "– uvægtet gennemsnit",
                persons: peer_rows["full_year_persons"].mean(),
                spending: peer_rows["spending_dkk"].mean(),
                "Pris, t.kr.": peer_rows["price_dkk"].mean(),
                f"Pr. 1.000 {g.plural}": peer_rows["rate_per_1000"].mean(),
            },
        ]
    )
    shown = pd.concat([shown, totals], ignore_index=True)
    formats = {
        "Afstand": lambda x: fmt.fmt_number(x, 2),
        persons: lambda x: fmt.fmt_number(x, 1),
        spending: lambda x: fmt.fmt_number(x / 1e6, 1),
        "Pris, t.kr.": lambda x: fmt.fmt_number(x / 1000),
        f"Pr. 1.000 {g.plural}": _rate,
    }
    for f in rep.features:
        decimals = FEATURE_DECIMALS.get(f, 0)
        formats[FEATURES_SHORT.get(f, f)] = lambda x, d=decimals: fmt.fmt_number(x, d)
    return fmt.table_html(shown, formats=formats, caption=f"{p.name} og sammenligningskommunerne, {rep.year}")


# Providers ----------------------------------------------------------------------------------------------------


def external_prices_text(p: BenchmarkPage) -> str:
    """Per paragraph: the own external price against the country's distribution, and who is flagged (Markdown)."""
    if not p.providers_known:
        return providers_unknown_text(p)
    prices, year = p.report.provider_prices, p.report.year
    if prices is None:
        return f"Ingen kommune havde helårspersoner hos eksterne leverandører på området i {year}."
    high = fmt.fmt_pct(benchmark.HIGH_PRICE_THRESHOLD, 0)
    lines = []
    for paragraph, part in prices.groupby("paragraph", sort=True):
        stats, own = part.iloc[0], part[part["role"] == "own"]
        flagged = part[part["is_flagged"]]
        if len(own):
            o = own.iloc[0]
            difference = o["price_to_median"] - 1
            verdict = "markeres" if o["is_flagged"] else "markeres ikke"
            reason = f"mere end {high} over medianen" if o["is_high"] else "over den statistiske grænse"
            lines.append(
                f"- **{paragraph}:** {p.name} betalte i gennemsnit {_tkr(o['price_dkk'])} pr. helårsperson hos "
                f"eksterne leverandører, {fmt.fmt_pct(abs(difference))} {'over' if difference > 0 else 'under'} "
                f"landets median ({_tkr(stats['median_price_dkk'])}; kvartiler {_tkr(stats['q1_price_dkk'])} og "
                f"{_tkr(stats['q3_price_dkk'])}). Grænserne er {_tkr(stats['high_limit_dkk'])} ({high} over medianen) "
                f"og {_tkr(stats['upper_fence_dkk'])} (statistisk grænse); {p.name} {verdict}"
                + (f" ({reason})." if o["is_flagged"] else ".")
            )
        else:
            lines.append(f"- **{paragraph}:** {p.name} havde ingen helårspersoner hos eksterne leverandører.")
        n = int(stats["n_municipalities"])
        # the distribution is over the municipalities with external persons, not necessarily all in the country
        among = (
            f"de {n} kommuner med eksterne helårspersoner"
            if n > 1
            else "den ene kommune med eksterne helårspersoner"
        )
        if flagged.empty:
            lines.append(f"  Ingen af {among} markeres.")
        else:
            peers_flagged = flagged[flagged["role"] == "peer"]
            peer_word = "sammenligningskommunen" if len(peers_flagged) == 1 else "sammenligningskommunerne"
            lines.append(
                f"  Markeret: {len(flagged)} af {among} ({p.names_of(flagged['municipality_code'])})"
                + (
                    "; ingen af dem er sammenligningskommuner."
                    if peers_flagged.empty
                    else f"; heraf {peer_word} {p.names_of(peers_flagged['municipality_code'])}."
                )
            )
    return "\n".join(lines)


def provider_table(p: BenchmarkPage) -> str:
    """Internal and external offers by paragraph: persons, shares and prices, own and peers (HTML)."""
    if not p.providers_known:
        return ""
    prov = p.report.providers
    prov = prov[(prov["own_persons"] > 0) | (prov["peer_share"] > 0) | (prov["provider"] == "all")].copy()
    prov["provider"] = prov["provider"].map(PROVIDERS_DA)
    prov["paragraph"] = prov["paragraph"].replace({"all": "Alle"})
    prov["difference"] = prov["price_ratio"] - 1
    columns = {
        "paragraph": "Paragraf",
        "provider": "Leverandør",
        "own_persons": f"Helårs{SHY}personer",
        "own_share": "Andel",
        "peer_share": "Andel, sml.",
        "own_price_dkk": "Pris",
        "peer_price_dkk": "Pris, sml.",
        "difference": "Forskel i pris",
    }
    shown = prov[list(columns)].rename(columns=columns)
    return fmt.table_html(
        shown,
        caption=f"Interne og eksterne tilbud, {p.report.year} (sml. = sammenligningskommunerne, vægtet)",
        formats={
            f"Helårs{SHY}personer": lambda x: fmt.fmt_number(x, 1),
            "Andel": fmt.fmt_pct,
            "Andel, sml.": fmt.fmt_pct,
            "Pris": _tkr,
            "Pris, sml.": _tkr,
            "Forskel i pris": lambda x: fmt.fmt_pct(x, sign=True),
        },
    )


def business_case_text(p: BenchmarkPage, occupancy: pd.DataFrame) -> str:
    """Own places or buying from outside: the external premium and the occupancy of own places (Markdown).

    Parameters
    ----------
    p : BenchmarkPage
        The report.
    occupancy : pandas.DataFrame
        :func:`analysis.benchmark.occupancy` for the report's year (empty without own places).
    """
    if not p.providers_known:
        return ""
    year = p.report.year
    ie = p.report.internal_external.set_index("paragraph").loc["all"]
    if not (ie["internal_persons"] > 0 and ie["external_persons"] > 0):
        return f"{p.name} havde i {year} ikke både interne og eksterne helårspersoner på området."
    dearer = ie["price_difference_dkk"] > 0
    if occupancy.empty:
        occupancy_text = (
            "Belægningen på egne pladser kan ikke opgøres: datagrundlaget har ingen egne pladser på området."
        )
    else:
        own, peers = occupancy.loc["own"], occupancy.loc["peers"]
        free = fmt.fmt_number(own["free_places"], 1)
        has_free = own["free_places"] > 0 and free != "0,0"
        peers_text = (
            f" mod {fmt.fmt_pct(peers['occupancy'])} hos sammenligningskommunerne."
            if pd.notna(peers["occupancy"])
            else "; sammenligningskommunerne har ingen egne pladser på området i datagrundlaget."
        )
        occupancy_text = (
            f"Kommunens {fmt.fmt_number(own['places'])} egne pladser var i {year} belagt med "
            f"{fmt.fmt_number(own['internal_persons'], 1)} helårspersoner, en belægning på "
            f"{fmt.fmt_pct(own['occupancy'])} ({free if has_free else 'ingen'} ledige pladser i gennemsnit)"
            + peers_text
        )
        if dearer and has_free:
            occupancy_text += " Ledige egne pladser er det første sted at hente eksterne borgere hjem."
    difference = ie["price_difference_dkk"]
    prices = (
        f"**Egne pladser eller køb udefra.** Kommunens eksterne pladser kostede i {year} i gennemsnit "
        f"{_tkr(abs(difference))} {'mere' if difference > 0 else 'mindre'} pr. helårsperson end de interne "
        f"({_tkr(ie['external_price_dkk'])} mod {_tkr(ie['internal_price_dkk'])}). "
    )
    if not dearer:
        return (
            prices
            + "Efter dette mål er egne pladser ikke billigere, og prisen taler ikke for at hente eksterne "
            "borgere hjem. " + occupancy_text
        )
    return (
        prices + f"For de {fmt.fmt_number(ie['external_persons'], 1)} eksterne helårspersoner svarer det til "
        f"{_mio(abs(ie['external_premium_dkk']))} om året. Det er et groft mål for, hvad egen kapacitet kan være "
        "værd, før udgiften til at oprette og drive nye pladser, og forudsætter, at borgerne kan få et tilsvarende "
        "tilbud i kommunen. " + occupancy_text
    )


# Method -------------------------------------------------------------------------------------------------------


def method_text(p: BenchmarkPage, function_code: str) -> str:
    """The section "Metode og data" (Markdown), with a worked example of the decomposition in kroner."""
    g = p.group
    if p.spending_only:
        return _spending_method_text(p, function_code)
    rep, r = p.report, p.report.latest
    year = rep.year
    table = rep.peer_table
    peer_rows = table[(table["role"] == "peer") & table["has_data"]]
    peer_spending, peer_persons = peer_rows["spending_dkk"].sum(), peer_rows["full_year_persons"].sum()
    peer_population = peer_rows["residents"].sum()
    features = and_join([FEATURES_TEXT.get(f, f) for f in rep.features])
    weights = ", ".join(f"{FEATURES_TEXT.get(f, f)} {fmt.fmt_number(w, 1)}" for f, w in rep.weights.items())
    missing = and_join([p.names.get(int(c), str(c)) for c in rep.peers_without_data])
    peer_choice = {
        "knn": (
            (f"de {p.n_peers} nærmeste kommuner" if p.n_peers > 1 else "den nærmeste kommune")
            + f" på {features} i {year}. Hvert kendetegn er gjort sammenligneligt som "
            "afvigelse fra landsgennemsnittet i standardafvigelser (indbyggertal og befolkningstæthed efter "
            f"logaritme); afstanden er kvadratroden af den vægtede sum af de kvadrerede forskelle (vægte: {weights}). "
            "Ved lige afstand går den laveste kommunekode forrest."
        ),
        "list": (
            "en liste af kommuner valgt på forhånd. Afstanden i tabellen er målt på "
            f"{features} som ved valg af de nærmeste kommuner."
        ),
        "region": f"alle øvrige kommuner i {p.region}.",
        "group": f"alle øvrige kommuner i Danmarks Statistiks kommunegruppe {p.municipality_group.lower()}.",
    }[rep.method]
    prices = (
        f"beløb fra tidligere år er omregnet til faste {year}-priser med {p.price_index}"
        if p.price_index
        else "løbende priser"
    )
    return (
        "## Metode og data\n\n"
        f"- **Område:** funktion {function_code} {p.area_name} {_parenthesised(p.area_paragraphs)} i den kommunale "
        "kontoplan. "
        + (
            "Helårspersoner og udgift efter paragraf og leverandør (interne og eksterne tilbud).\n"
            if p.providers_known
            else "Helårspersoner efter paragraf (Danmarks Statistiks HAND01, fuldtidsydelser omregnet til "
            "helårspersoner som gennemsnittet af årets kvartaler) og udgift fra regnskabet (REGK31).\n"
        )
        + f"- **Periode:** {data_text(p)}; {prices}. Niveauer, "
        f"sammenligningskommuner og potentialer gælder {year}.\n"
        f"- **Strukturelle kendetegn:** {sources_text(p)}\n"
        f"- **Sammenligningskommuner:** {peer_choice} De samme kommuner bruges alle år"
        + (f"; {missing} mangler data i et eller flere år og indgår ikke i de år." if missing else ".")
        + " En kommune er aldrig sin egen sammenligningskommune.\n"
        "- **Mål:** pris = udgift pr. helårsperson; mængde = helårspersoner pr. 1.000 indbyggere i alderen "
        f"{g.ages} år; udgift pr. {g.singular} = pris × mængde / 1.000. En borger i tilbud hele året tæller som én "
        "helårsperson. Vægtede gennemsnit for flere kommuner er samlet udgift delt med samlet antal "
        f"helårspersoner og samlet antal helårspersoner delt med samlet antal {g.plural}; i de uvægtede tæller "
        "hver kommune én gang.\n"
        + (f"- **Leverandør:** {providers_unknown_text(p)}\n" if not p.providers_known else "")
        + "- **Opdeling af forskellen:** forskel = faktisk udgift − sammenligningskommunernes pris × deres mængde "
        f"× egne {g.plural} / 1.000. Priseffekt = (egen pris − deres pris) × egne helårspersoner, dvs. værdisat "
        "til kommunens egen mængde. Mængdeeffekt = (egne helårspersoner − helårspersoner ved deres mængde) × "
        "deres pris. Priseffekt + mængdeeffekt = forskellen, uden restled. Positive tal betyder, at kommunen "
        f"bruger mere. En forskel på under {fmt.fmt_pct(benchmark.MATERIALITY, 0)} i pris, mængde eller udgift "
        "regnes som på niveau og giver intet potentiale; reglen er den samme for pris og mængde.\n"
        f"- **Regneeksempel ({year}):** {p.name} brugte {_kr(r['own_spending_dkk'])} på "
        f"{fmt.fmt_number(r['own_persons'], 1)} helårspersoner og havde {fmt.fmt_number(r['own_residents'])} "
        f"{g.plural}: en pris på {_kr(r['own_price'])} og {fmt.fmt_number(r['own_rate'], 4)} pr. 1.000. "
        f"Sammenligningskommunerne brugte tilsammen {_kr(peer_spending)} på {fmt.fmt_number(peer_persons, 1)} "
        f"helårspersoner og havde {fmt.fmt_number(peer_population)} {g.plural}: en pris på {_kr(r['peer_price'])} "
        f"og {fmt.fmt_number(r['peer_rate'], 4)} pr. 1.000. Med deres mængde ville {p.name} have haft "
        f"{fmt.fmt_number(r['peer_rate'], 4)} × {fmt.fmt_number(r['own_residents'])} / 1.000 = "
        f"{fmt.fmt_number(r['expected_persons'], 2)} helårspersoner og med deres pris en udgift på "
        f"{fmt.fmt_number(r['expected_persons'], 2)} × {_kr(r['peer_price'])} = {_kr(r['expected_spending_dkk'])}; "
        f"forskellen er {_kr(r['gap_dkk'])} = priseffekt {_kr(r['price_effect_dkk'])} "
        f"+ mængdeeffekt {_kr(r['quantity_effect_dkk'])} (afrundet).\n"
        "- **Potentialer:** kommunens udgift sammenlignet med målestokkens vægtede niveau, én målestok og ét mål "
        "ad gangen; den billigste halvdel rundes op, og kun kommuner med helårspersoner kan være billigst. "
        "Potentialer ved forskellige mål og målestokke overlapper og må ikke lægges sammen. Hvert potentiale "
        "vurderes på målestokkens afstand til kommunen og på, hvor stor en del af udgiften det svarer til.\n"
        + (
            "- **Eksterne priser:** kommunens eksterne udgift delt med dens eksterne helårspersoner pr. paragraf; "
            "fordelingen er over alle kommuner med eksterne helårspersoner (hver kommune tæller én gang). "
            f"Markering: mere end {fmt.fmt_pct(benchmark.HIGH_PRICE_THRESHOLD, 0)} over landets median, eller over "
            "den statistiske grænse tredje kvartil + 1,5 × (tredje − første kvartil).\n"
            if p.providers_known
            else ""
        )
        + "- **Forbehold:** en høj pris er ikke i sig selv udtryk for lav produktivitet, og en høj mængde ikke "
        "for et for højt serviceniveau: borgernes behov er forskellige, og tallene viser ikke kvaliteten af "
        "tilbuddene. Potentialerne er regneeksempler, ikke budgetmål."
    )


# Period, sources and what the data cannot show ------------------------------------------------------------------

PERIOD_NOTE = "tallene for {year} er foreløbige: året er bogført til og med {through}"
NO_PERSONS_TEMPLATE = (
    "Opdelingen i pris og mængde kræver antallet af helårspersoner på området: Danmarks Statistiks tabel HAND01 "
    "eller kommunens egne sagsdata. Datagrundlaget har kun regnskab og befolkningstal, så rapporten sammenligner "
    "udgiften pr. {singular}."
)


def no_persons(group: benchmark.ResidentGroup = benchmark.ADULTS) -> str:
    """Why there is no price/quantity split, in the words of the area's resident group."""
    return NO_PERSONS_TEMPLATE.format(singular=group.singular)


NO_PERSONS = no_persons()
"""The text of 5.38 (per resident aged 18-64)."""


def data_text(p: BenchmarkPage) -> str:
    """The data period: 'regnskabsårene 2018-2024', or with an open last year '... (2025 til og med september)'."""
    rep = p.report
    first, last = rep.years[0], rep.years[-1]
    years = f"regnskabsåret {last}" if first == last else f"regnskabsårene {first}-{last}"
    if p.period is not None:
        left_out = [y for y in p.period.accounts_years if y < last and y not in rep.years]
        if left_out:
            years += (
                f" ({and_join([str(y) for y in left_out])} har regnskab, men intet befolkningstal eller ingen "
                "helårspersoner for kommunen, og er udeladt)"
            )
    if p.period is None or p.period.is_closed(last):
        return years
    return f"{years}; " + PERIOD_NOTE.format(year=last, through=p.period.through_text())


def index_sources(year: pd.DataFrame, recorded: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Where the structural features came from, with the socio-economic index's source named per municipality.

    The one rule for naming the index's source, used by the benchmark's and the area report's sources sentences
    (:func:`sources_text`, :func:`analysis.reporting.area_page.index_source`).

    Parameters
    ----------
    year : pandas.DataFrame
        The rows of the report's year of :func:`analysis.benchmark.with_socioeconomic_index`'s result: its column
        ``socioeconomic_index_year`` is the year of the ministry's loaded index used (<NA> where the illustrative
        index stays).
    recorded : pandas.DataFrame, optional
        The recorded sources (:func:`analysis.data.queries.feature_sources`: ``feature``, ``source``,
        ``municipalities``, ``years``).

    Returns
    -------
    pandas.DataFrame or None
        ``recorded`` with one row per year of the loaded index (``municipalities``: how many use it); the
        recorded index row is dropped when every municipality has the loaded index, and an illustrative row
        (with the number of municipalities without it) is added when some lack it and none was recorded.
        ``recorded`` unchanged when no municipality has the loaded index.
    """
    if "socioeconomic_index_year" not in year.columns:
        return recorded
    used = year["socioeconomic_index_year"].dropna()
    if not len(used):
        return recorded
    rows = [
        {
            "feature": "socioeconomic_index",
            "source": source_text(int(y)),
            "municipalities": int(n),
            "years": str(y),
        }
        for y, n in used.astype(int).value_counts().sort_index().items()
    ]
    kept = (
        pd.DataFrame(columns=["feature", "source", "municipalities", "years"])
        if recorded is None
        else recorded
    )
    if used.size == len(year):  # every municipality of the year has the ministry's index
        kept = kept[kept["feature"] != "socioeconomic_index"]
    elif not (kept["feature"] == "socioeconomic_index").any():
        rows.append(
            {
                "feature": "socioeconomic_index",
                "source": ILLUSTRATIVE_INDEX_SOURCE,
                "municipalities": len(year) - used.size,
                "years": "",
            }
        )
    return pd.concat([kept, pd.DataFrame(rows)], ignore_index=True)


def _illustrative_note(p: BenchmarkPage) -> str:
    """A sentence for the headline when the nearest peers were chosen on the illustrative socio-economic index."""
    if p.report.method != "knn" or "socioeconomic_index" not in p.report.features:
        return ""
    if p.sources is None or not len(p.sources):
        return ""
    index = p.sources[p.sources["feature"] == "socioeconomic_index"]["source"].astype(str)
    if not index.str.contains("illustrative").any():
        return ""
    return (
        " Det socioøkonomiske indeks kommer fra pakkens illustrative referenceliste og er ikke et officielt indeks "
        "(se metoden sidst i rapporten)."
    )


def _first_items(p: BenchmarkPage) -> list[tuple[str, str]]:
    items = [("Data", f"{data_text(p)[0].upper()}{data_text(p)[1:]}.")]
    if p.is_sample:
        items.append(("Eksempeldata", "tallene er syntetiske og ikke kommunens regnskab."))
    return items


def sources_text(p: BenchmarkPage) -> str:
    """The structural features compared on and where each came from (Markdown sentence).

    The source of each feature is that of :attr:`BenchmarkPage.sources`; a feature without a recorded source says
    so.
    """
    known = {}
    if p.sources is not None and len(p.sources):
        for feature, part in p.sources.groupby("feature", sort=False):
            known[feature] = and_join(sorted(str(x) for x in part["source"].unique()))
    parts = [
        f"{FEATURES_TEXT.get(f, f)} fra {known.get(f, 'en ikke registreret kilde')}"
        for f in p.report.features
    ]
    text = f"Sammenligningskommunerne er fundet på {'; '.join(parts)}."
    if any("illustrative" in known.get(f, "") for f in p.report.features):
        text += (
            " Et illustrativt indeks er ikke et officielt mål; indlæs ministeriets socioøkonomiske indeks for at "
            "vælge sammenligningskommuner på det."
        )
    return text


def providers_unknown_text(p: BenchmarkPage) -> str:
    """Why there is no internal/external view (HAND01 or accounts only), in Danish."""
    if p.spending_only:
        return (
            "Datagrundlaget har ingen helårspersoner på området, så interne og eksterne tilbud og eksterne "
            "priser kan ikke vises."
        )
    return (
        "Helårspersonerne kommer fra Danmarks Statistiks HAND01, som ikke skelner mellem kommunens egne tilbud og "
        "køb hos andre kommuner, regioner og private; derfor vises hverken interne og eksterne tilbud eller "
        "eksterne priser. Det kræver kommunens egne sagsdata."
    )


INTROS = {  # {singular} and {plural}: the resident group's words
    "key_figures": (
        "Sammenligningskommunernes gennemsnit vises både vægtet (samlet udgift delt med samlet antal helårspersoner "
        "osv., så store kommuner vejer mest) og uvægtet (hver kommune tæller én gang); median, laveste og højeste er "
        "af sammenligningskommunernes egne tal."
    ),
    "potentials": (
        "Hvor meget lavere ville udgiften være, hvis kommunen nåede en målestok: sammenligningskommunernes "
        "gennemsnit, den billigste halvdel af dem eller den billigste enkeltkommune, hver for sig på pris, mængde og "
        "udgift pr. {singular}? Tallene er alternativer og må ikke lægges sammen: potentialerne ved pris og mængde "
        "overlapper med potentialet ved udgiften, og målestokkene overlapper hinanden. Ligger kommunen allerede "
        "under en målestok eller mindre end 2 % over den, er potentialet 0. Hvert potentiale vurderes: en "
        "målestok, der ikke ligner kommunen, eller et potentiale, der svarer til en meget stor del af udgiften, er "
        "ikke et realistisk mål."
    ),
    "price_quantity": (
        "Hver prik er en kommune. Kommuner til højre har flere borgere i tilbud pr. indbygger, kommuner højt oppe en "
        "højere pris pr. helårsperson. De stiplede linjer er sammenligningskommunernes gennemsnit; kommuner under "
        "den buede linje bruger mindre pr. {singular} end gennemsnittet."
    ),
    "gap": (
        "Første søjle er udgiften med sammenligningskommunernes pris og mængde. Priseffekten er forskellen i pris "
        "gange kommunens egne helårspersoner; mængdeeffekten er forskellen i antal helårspersoner gange "
        "sammenligningskommunernes pris. Tilsammen giver de hele forskellen."
    ),
    "yearly": (
        "Kommunens pris og mængde sammen med sammenligningskommunernes vægtede gennemsnit, og hvordan forskellen i "
        "udgift har fordelt sig på pris og mængde hvert år. Beløb fra tidligere år er omregnet til faste priser for "
        "det seneste år, så udviklingen ikke blot viser den almindelige pris- og lønudvikling. "
        "Sammenligningskommunerne er de samme alle år."
    ),
    "external": (
        "Kommunens gennemsnitlige pris for pladser hos eksterne leverandører (andre kommuner, regioner og private) "
        "holdt op mod, hvad landets kommuner med eksterne helårspersoner betaler for samme paragraf. En pris mere "
        "end 25 % over landets median, eller over den statistiske grænse (tredje kvartil plus 1,5 gange afstanden "
        "mellem første og tredje kvartil), markeres som kandidat til en genforhandling af takster. Data viser "
        "kommunens gennemsnit, ikke den enkelte leverandør."
    ),
}


def intro(p: BenchmarkPage, section: str) -> str:
    """The introduction of a section (Markdown), or why the section cannot be shown with these data.

    Parameters
    ----------
    section : {'key_figures', 'price_quantity', 'gap', 'yearly', 'potentials', 'external'}
        The section.
    """
    g = p.group
    if p.spending_only and section == "key_figures":
        return (
            f"Sammenligningskommunernes gennemsnit vises både vægtet (samlet udgift delt med samlet antal {g.plural}, "
            "så store kommuner vejer mest) og uvægtet (hver kommune tæller én gang)."
        )
    if p.spending_only and section == "potentials":
        return ""
    if p.spending_only and section == "price_quantity":
        return no_persons(g)
    if p.spending_only and section == "gap":
        return (
            "Uden helårspersoner kan forskellen ikke deles i pris og mængde: hele forskellen er forskellen i udgift "
            f"pr. {g.singular} gange kommunens {g.plural} (se overblikket øverst)."
        )
    if p.spending_only and section == "yearly":
        return (
            f"Kommunens udgift pr. {g.singular} sammen med sammenligningskommunernes vægtede gennemsnit hvert år "
            "(samme sammenligningskommuner alle år)."
        )
    if section == "external" and not p.providers_known:
        return ""
    return INTROS[section].format(singular=g.singular, plural=g.plural)


# Accounts and population only -------------------------------------------------------------------------------------


def _spending_headline(p: BenchmarkPage) -> str:
    g = p.group
    r = p.report.latest
    gap = r["gap_dkk"]
    items = [
        (
            f"Udgift {p.report.year}",
            f"{_mio(r['own_spending_dkk'])} mod {_mio(r['expected_spending_dkk'])} med "
            f"sammenligningskommunernes udgift pr. {g.singular}.",
        ),
        (
            f"Udgift pr. {g.singular}",
            f"{_kr(r['own_per_resident_dkk'])} mod {_kr(r['peer_per_resident_dkk'])}, "
            f"{_versus(r['difference'], r['direction'], 'sammenligningskommunerne')} "
            f"({_mio(abs(gap))} {'mere' if gap > 0 else 'mindre'}).",
        ),
        (
            "Potentiale",
            f"{_mio(r['potential_dkk'])}, hvis udgiften pr. {g.singular} kom ned på sammenligningskommunernes "
            "gennemsnit."
            if r["potential_dkk"] > 0
            else f"Intet ved sammenligningskommunernes gennemsnit: udgiften pr. {g.singular} ligger ikke "
            f"{fmt.fmt_pct(benchmark.MATERIALITY, 0)} eller mere over.",
        ),
        ("Pris og mængde", no_persons(g)),
        ("Sammenligningskommuner", f"{_peer_choice_short(p)}.{_illustrative_note(p)}"),
    ]
    return fmt.summary_box(_first_items(p) + items)


def _spending_key_figures(p: BenchmarkPage) -> str:
    g = p.group
    t = p.report.peer_table
    peers = t[(t["role"] == "peer") & t["has_data"]]["spending_per_resident_dkk"]
    r = p.report.latest
    rows = pd.DataFrame(
        {
            "": [
                p.short_name,
                f"{len(peers)} sml.-kommuner, vægtet gennemsnit",
                "– uvægtet gennemsnit",
                "– median",
                "– laveste",
                "– højeste",
            ],
            f"Udgift pr. {g.singular}, kr.": [
                r["own_per_resident_dkk"],
                r["peer_per_resident_dkk"],
                r["peer_per_resident_unweighted_dkk"],
                peers.median(),
                peers.min(),
                peers.max(),
            ],
        }
    )
    return fmt.table_html(
        rows,
        caption=f"{p.name} og sammenligningskommunerne (sml.-kommuner), {p.report.year}",
        formats={f"Udgift pr. {g.singular}, kr.": fmt.fmt_number},
    )


def _spending_potential_text(p: BenchmarkPage) -> str:
    g = p.group
    r = p.report.latest
    return (
        f"Uden helårspersoner er der kun én målestok: udgiften pr. {g.singular} hos sammenligningskommunerne. "
        f"Med deres vægtede gennemsnit ({_kr(r['peer_per_resident_dkk'])}) ville {p.name} have brugt "
        f"{_mio(r['expected_spending_dkk'])}, og potentialet ved den målestok er {_mio(r['potential_dkk'])} om "
        "året. Potentialer ved pris og mængde kræver helårspersoner (HAND01 eller sagsdata)."
    )


def _spending_peer_table(p: BenchmarkPage) -> str:
    g = p.group
    rep = p.report
    table = rep.peer_table
    cols = {"municipality": "Kommune"}
    cols.update({f: FEATURES_SHORT.get(f, f) for f in rep.features if f in table.columns})
    cols["distance"] = "Afstand"
    if g.column not in cols:  # the group's own column as a feature holds the same numbers: shown once
        cols["residents"] = f"{g.plural}"
    cols.update(
        {
            "spending_dkk": "Udgift, mio. kr.",
            "spending_per_resident_dkk": f"Udgift pr. {g.singular}, kr.",
        }
    )
    shown = table[list(cols)].rename(columns=cols)
    shown["Kommune"] = [
        p.short_names.get(int(c), n)
        for c, n in zip(table["municipality_code"], table["municipality"], strict=True)
    ]
    formats = {
        "Afstand": lambda x: fmt.fmt_number(x, 2),
        f"{g.plural}": fmt.fmt_number,
        "Udgift, mio. kr.": lambda x: fmt.fmt_number(x / 1e6, 1),
        f"Udgift pr. {g.singular}, kr.": fmt.fmt_number,
    }
    for f in rep.features:
        decimals = FEATURE_DECIMALS.get(f, 0)
        formats[FEATURES_SHORT.get(f, f)] = lambda x, d=decimals: fmt.fmt_number(x, d)
    return fmt.table_html(shown, formats=formats, caption=f"{p.name} og sammenligningskommunerne, {rep.year}")


def _spending_method_text(p: BenchmarkPage, function_code: str) -> str:
    g = p.group
    rep, r = p.report, p.report.latest
    features = and_join([FEATURES_TEXT.get(f, f) for f in rep.features])
    fewer = ""
    if rep.method == "knn" and p.n_peers < rep.k_requested:
        others = "én anden kommune" if p.n_peers == 1 else f"{p.n_peers} andre kommuner"
        fewer = (
            f" Datagrundlaget har kun {others} med strukturelle tal, så {rep.k_requested} kunne ikke vælges."
        )
    missing = and_join([p.names.get(int(c), str(c)) for c in rep.peers_without_data])
    return (
        "## Metode og data\n\n"
        f"- **Område:** funktion {function_code} {p.area_name} {_parenthesised(p.area_paragraphs)} i den kommunale "
        "kontoplan: "
        f"nettodriftsudgift fra regnskabet (Danmarks Statistiks REGK31) og indbyggere i alderen {g.ages} år "
        "(FOLK1A).\n"
        f"- **Periode:** {data_text(p)}; "
        + (
            f"beløb fra tidligere år er omregnet til faste {rep.year}-priser med {p.price_index}.\n"
            if p.price_index
            else "løbende priser.\n"
        )
        + f"- **Sammenligningskommuner:** {_peer_choice_short(p)}.{fewer} Afstanden måles på {features} i "
        "standardafvigelser fra landsgennemsnittet. De samme kommuner bruges alle år"
        + (f"; {missing} mangler data i et eller flere år og indgår ikke i de år." if missing else ".")
        + "\n"
        f"- **Strukturelle kendetegn:** {sources_text(p)}\n"
        f"- **Mål:** udgift pr. {g.singular}. Sammenligningskommunernes vægtede gennemsnit er deres samlede udgift "
        f"delt med deres samlede antal {g.plural}; i det uvægtede tæller hver kommune én gang.\n"
        f"- **Regneeksempel ({rep.year}):** {p.name} brugte {_kr(r['own_spending_dkk'])} og havde "
        f"{fmt.fmt_number(r['own_residents'])} {g.plural}, {_kr(r['own_per_resident_dkk'])} pr. {g.singular}. "
        f"Sammenligningskommunerne brugte {_kr(r['peer_spending_dkk'])} på "
        f"{fmt.fmt_number(r['peer_residents'])} {g.plural}, {_kr(r['peer_per_resident_dkk'])} pr. "
        f"{g.singular}. Forskellen er ({_kr(r['own_per_resident_dkk'])} − {_kr(r['peer_per_resident_dkk'])}) × "
        f"{fmt.fmt_number(r['own_residents'])} = {_kr(r['gap_dkk'])} (afrundet).\n"
        f"- **Pris og mængde:** {no_persons(g)}\n"
        "- **Forbehold:** en høj udgift er ikke i sig selv udtryk for et for højt serviceniveau: borgernes behov er "
        "forskellige. Potentialet er et regneeksempel, ikke et budgetmål."
    )
