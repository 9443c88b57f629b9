"""The Danish tables and sentences of the area report (``notebooks/area.ipynb``): the whole of a main function.

Everything a reader sees that is not a chart is made here from the frames of :mod:`analysis.area` and
:mod:`analysis.expensive_cases`, with the helpers of :mod:`analysis.reporting.formatting`. Functions return HTML
(tables, the headline box) or Markdown (sentences). Groups of fewer than 5 persons are suppressed in every table
and sentence about expensive cases.

Names: headings and sentences use the municipality's official name ('Syddjurs Kommune'); areas are named by their
function code and their name in the chart of accounts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis import area as area_analysis
from analysis import benchmark, privacy
from analysis import expensive_cases as ec
from analysis.reporting import formatting as fmt

__all__ = [
    "AreaPage",
    "annex_break",
    "page",
    "composition_table",
    "development_table",
    "effects_table",
    "expensive_table",
    "expensive_text",
    "heading",
    "headline",
    "intro",
    "method_text",
    "older_table",
    "older_text",
    "ranking_table",
    "recommendations_table",
    "recommendations_text",
    "substitution_intro",
    "substitution_table",
    "substitution_text",
]

CATEGORIES_DA = {"service_level": "Serviceniveau", "efficiency": "Effektivitet", "both": "Begge"}
WHAT_IT_TAKES = {
    "service_level": (
        "færre borgere i tilbud: visitation, revisitation og lettere tilbud, hvor det er fagligt forsvarligt"
    ),
    "efficiency": "lavere pris pr. borger: takster, egne pladser frem for køb og tilbuddenes drift",
    "both": "både visitation af, hvem der får tilbuddet, og prisen pr. borger",
}
PROVIDERS_DA = {"internal": "Interne tilbud", "external": "Eksterne tilbud", "unknown": "Uoplyst"}
DIRECTION_DA = {"above": "over", "below": "under", "level": "på niveau"}
MAIN_FUNCTION_NAMES = {
    "5.38": "Tilbud til voksne med særlige behov",
    "5.28": "Tilbud til børn og unge med særlige behov",
}
"""Danish names of the main functions of the chart of accounts an area report can cover."""

#: The words of the substitution section by main function: the group's name in a table, in running text, the
#: section's introduction and the method's sentence.
SUBSTITUTION_WORDS = {
    "5.38": {
        "group": "Botilbud",
        "plural": "botilbuddene",
        "in_offers": "borgere i botilbud",
        "intro": (
            "Midlertidige botilbud (§ 107), længerevarende botilbud (§ 108) og botilbudslignende tilbud (§ 85) kan "
            "stå i stedet for hinanden. Mængdeeffekterne lagt sammen viser, hvad kommunen netto bruger på antallet "
            "af borgere i botilbud."
        ),
        "method": "mængdeeffekterne af §§ 107, 108 og 85 (i boliger) lagt sammen",
        "citizens": "borgere",
        "others": "botilbud",
    },
    "5.28": {
        "group": "Anbringelsessted",
        "plural": "anbringelsesstederne",
        "in_offers": "anbragte børn og unge",
        "intro": (
            "Plejefamilier (barnets lov § 43, stk. 1, nr. 1-4), opholdssteder og døgninstitutioner (børne- og "
            "ungehjem) kan stå i stedet for hinanden: et barn anbragt på en døgninstitution frem for i en "
            "plejefamilie koster omtrent det tredobbelte. Mængdeeffekterne lagt sammen viser, hvad kommunen netto "
            "bruger på antallet af anbragte børn og unge."
        ),
        "method": "mængdeeffekterne af plejefamilier, opholdssteder og døgninstitutioner (barnets lov § 43) lagt "
        "sammen",
        "citizens": "børn og unge",
        "others": "anbringelsessteder",
    },
}


@dataclass(frozen=True)
class AreaPage:
    """What the text needs beside the frames: the names, the year and the thresholds.

    Attributes
    ----------
    name : str
        The municipality's official name.
    main_function : str
        The main function, e.g. '5.38'.
    main_function_name : str
        Its name in Danish.
    area_names : dict
        Danish name of each function code.
    first_year, year : int
        The period; levels are compared in ``year`` and amounts are in fixed ``year`` prices.
    n_peers : int
        Number of peers.
    peer_text : str
        How the peers were chosen, in Danish.
    sizes : dict
        ``medium_share`` and ``high_share`` of the recommendations.
    price_index : str
        The price index and its source, in Danish.
    peer_distance : float
        The peers' mean structural distance to the municipality (standard deviations; NaN when unknown), the
        benchmark's plausibility measure of the peer average.
    """

    name: str
    main_function: str
    main_function_name: str
    area_names: dict[str, str]
    first_year: int
    year: int
    n_peers: int
    peer_text: str
    sizes: dict[str, float]
    price_index: str = ""
    peer_distance: float = float("nan")

    @property
    def group(self) -> benchmark.ResidentGroup:
        """The residents the per-resident figures are of: aged 18-64 for 5.38, aged 0-17 for 5.28."""
        return benchmark.resident_group(self.main_function)

    def area(self, code: str) -> str:
        """'5.38.50 Botilbud til længerevarende ophold'."""
        return f"{code} {self.area_names.get(code, '')}".strip()


def index_source(municipalities: pd.DataFrame, year: int) -> str:
    """Where the socio-economic index of ``year`` comes from, in Danish.

    Parameters
    ----------
    municipalities : pandas.DataFrame
        :func:`analysis.benchmark.with_socioeconomic_index`'s result (``year``, ``socioeconomic_index_year``).
    year : int
        The year the peers were chosen in.

    Returns
    -------
    str
        The ministry's index of the year used when every municipality of ``year`` has it; the illustrative list
        when none has; both, with the number of municipalities on the illustrative one, when some have it. The
        rule is :func:`analysis.reporting.benchmark_page.index_sources`'s, which the benchmark report uses.
    """
    from analysis.data.queries import ILLUSTRATIVE_INDEX_SOURCE
    from analysis.reporting.benchmark_page import and_join, index_sources

    sources = index_sources(municipalities[municipalities["year"] == year])
    if sources is None:
        return ILLUSTRATIVE_INDEX_SOURCE
    loaded = sources[sources["source"] != ILLUSTRATIVE_INDEX_SOURCE]
    text = and_join(loaded["source"].astype(str).tolist())
    illustrative = sources[sources["source"] == ILLUSTRATIVE_INDEX_SOURCE]
    if len(illustrative):
        text += f"; for {int(illustrative['municipalities'].sum())} kommuner {ILLUSTRATIVE_INDEX_SOURCE}"
    return text


def page(
    name: str,
    main_function: str,
    areas: pd.DataFrame,
    peers: pd.DataFrame,
    method: str,
    features: Sequence[str],
    first_year: int,
    year: int,
    sizes: Mapping[str, float],
    price_index: object | None = None,
    municipalities: pd.DataFrame | None = None,
) -> AreaPage:
    """Gather what the text needs.

    Parameters
    ----------
    name : str
        The municipality's official name (:func:`analysis.data.reference.official_name`).
    main_function : str
        E.g. '5.38'.
    areas : pandas.DataFrame
        The ``function_areas`` table (``function_code``, ``name``).
    peers : pandas.DataFrame
        :func:`analysis.benchmark.select_peers`.
    method : str
        How the peers were chosen (:data:`analysis.benchmark.PEER_METHODS`).
    features : sequence of str
        The structural features compared on.
    first_year, year : int
        The period.
    sizes : mapping
        :func:`analysis.data.thresholds.read_recommendation_sizes`.
    price_index : PriceIndex, optional
        The index used for fixed prices (None: current prices).
    municipalities : pandas.DataFrame, optional
        The municipalities the peers were chosen among, as returned by
        :func:`analysis.benchmark.with_socioeconomic_index` (its ``socioeconomic_index_year``); when given and the
        peers were chosen on the socio-economic index, the text names that index's source.
    """
    from analysis.reporting.benchmark_page import FEATURES_TEXT, and_join

    n = len(peers)
    feature_text = and_join([FEATURES_TEXT.get(f, f) for f in features])
    peer_text = {
        "knn": f"de {n} kommuner, der i {year} lignede {name} mest på {feature_text}",
        "list": f"{n} kommuner, valgt på forhånd og givet som en liste",
        "region": f"de {n} øvrige kommuner i regionen",
        "group": f"de {n} øvrige kommuner i kommunegruppen",
    }[method]
    if method == "knn" and "socioeconomic_index" in features and municipalities is not None:
        peer_text += f"; det socioøkonomiske indeks kommer fra {index_source(municipalities, year)}"
    return AreaPage(
        name=name,
        main_function=main_function,
        main_function_name=MAIN_FUNCTION_NAMES.get(main_function, main_function),
        area_names=dict(names_of_areas(areas)),
        first_year=int(first_year),
        year=int(year),
        n_peers=n,
        peer_text=peer_text,
        sizes={k: float(v) for k, v in sizes.items()},
        price_index=f"{fmt.in_sentence(price_index.name)} ({price_index.source})"
        if price_index is not None
        else "",
        peer_distance=float(peers["distance"].mean()) if "distance" in peers and len(peers) else float("nan"),
    )


def _mio(x: float) -> str:
    return fmt.fmt_dkk(x, unit="mio")


def _amount(x: float) -> str:
    """Mio. kr., or t.kr. below 0,1 mio. kr. (so that a small amount does not read '0,0 mio. kr.')."""
    return fmt.fmt_dkk(x, unit="t") if abs(x) < 100_000 else _mio(x)


def _potential(x: float) -> str:
    """A potential: '0,0 mio. kr.' when there is none, else as :func:`_amount` (a small one is not '0,0')."""
    return _amount(x) if x > 0 else _mio(0)


def _signed(x: float) -> str:
    """A signed amount in mio. kr. ('+1,2 mio. kr.'; no sign when it rounds to zero)."""
    return fmt.fmt_dkk(x, sign=True)


def _pct_signed(x: float) -> str:
    """A signed percentage ('+12,3 %'; no sign when it rounds to zero; '–' when missing)."""
    return fmt.fmt_pct(x, sign=True)


def _words(p: AreaPage) -> dict[str, str]:
    return SUBSTITUTION_WORDS.get(p.main_function, SUBSTITUTION_WORDS["5.38"])


def substitution_intro(p: AreaPage) -> str:
    """The heading and introduction of the substitution section (Markdown)."""
    return f"### {_words(p)['plural'].capitalize()} samlet\n\n{_words(p)['intro']}"


INTROS = {  # {ages}, {singular} and {plural}: the main function's resident group (AreaPage.group)
    "purpose": (
        "Hvor meget bruger kommunen på hele hovedfunktionen, tilbud til voksne (5.38) eller til børn og unge (5.28) "
        "med særlige behov, hvad går pengene til, og hvor ligger den over kommuner, der ligner den? Rapporten samler "
        "områderne: udgiften pr. {singular} mod sammenligningskommunerne, fordelingen på områder, paragraffer og "
        "leverandører, udviklingen i faste priser, pris- og mængdeeffekten i hvert område, de tilbud, der kan stå i "
        "stedet for hinanden, samlet, de særligt dyre enkeltsager og, for voksne, borgerne på 65 år og derover. Den "
        "begynder med sammenfatningen og anbefalingerne."
    ),
    "development": (
        "Kommunens samlede udgift på området pr. indbygger i alderen {ages} år, år for år, mod "
        "sammenligningskommunernes vægtede gennemsnit. Beløb fra tidligere år er omregnet til faste priser for det "
        "seneste år."
    ),
    "ranking": (
        "Potentialet ved sammenligningskommunernes gennemsnit for udgiften pr. {singular}, og ved siden af "
        "potentialerne ved prisen og ved mængden alene. Et områdes tre tal er alternativer og overlapper. "
        "Rækkefølgen er efter potentialet ved udgiften pr. {singular}, dernæst efter det største af pris- og "
        "mængdepotentialet."
    ),
}


def intro(p: AreaPage, section: str) -> str:
    """The introduction of a section (Markdown), in the words of the main function's resident group.

    Parameters
    ----------
    section : {'purpose', 'development', 'ranking'}
    """
    g = p.group
    return INTROS[section].format(ages=g.ages, singular=g.singular, plural=g.plural)


def heading(p: AreaPage) -> str:
    """The report's first heading (Markdown): '## Syddjurs Kommune: tilbud til voksne med særlige behov (5.38)'."""
    return f"## {p.name}: {p.main_function_name.lower()} ({p.main_function})"


# Headline -----------------------------------------------------------------------------------------------------


def headline(
    p: AreaPage, development: pd.DataFrame, effects: pd.DataFrame, substitution: pd.DataFrame
) -> str:
    """The box of headline figures (HTML): total, per resident against the peers, development, substitution.

    Parameters
    ----------
    p : AreaPage
    development : pandas.DataFrame
        :func:`analysis.area.spending_per_resident` over the period (fixed prices).
    effects : pandas.DataFrame
        :func:`analysis.area.area_effects` in ``p.year``.
    substitution : pandas.DataFrame
        :func:`analysis.area.substitution`.
    """
    g = p.group
    last = development.set_index("year").loc[p.year]
    first = development.iloc[0]
    change = last["own_spending_dkk"] / first["own_spending_dkk"] - 1
    net = substitution.set_index("function_code").loc["net"]
    above = effects[effects["spending_direction"] == "above"]
    items = [
        (
            f"Udgift {p.year}",
            f"{_mio(last['own_spending_dkk'])} på {p.main_function} {p.main_function_name.lower()} "
            f"({len(effects)} områder).",
        ),
        (
            f"Pr. {g.singular}",
            f"{fmt.fmt_number(last['own_per_resident'])} kr. mod {fmt.fmt_number(last['peer_per_resident'])} kr. hos "
            f"sammenligningskommunerne, {_pct_signed(last['difference'])}.",
        ),
        (
            "Udvikling",
            f"{_pct_signed(change)} fra {int(first['year'])} til {p.year} i faste {p.year}-priser "
            f"({_mio(first['own_spending_dkk'])} i {int(first['year'])}).",
        ),
        (
            "Områder over sammenligningskommunerne",
            f"{len(above)} af {len(effects)} områder bruger mindst {fmt.fmt_pct(benchmark.MATERIALITY, 0)} mere pr. "
            f"{g.singular} end sammenligningskommunerne.",
        ),
        (
            f"{_words(p)['others'].capitalize()} samlet (mængde)",
            f"{_signed(net['quantity_effect_dkk'])} netto; {_mio(net['offset_dkk'])} af de positive mængdeeffekter "
            f"opvejes af negative på andre {_words(p)['others']}.",
        ),
    ]
    if p.peer_distance > benchmark.PLAUSIBLE_MAX_DISTANCE:  # as the benchmark flags its peer average
        items.append(
            (
                "Usikkert",
                f"sammenligningskommunerne ligger i gennemsnit {fmt.fmt_number(p.peer_distance, 2)} "
                f"standardafvigelser fra {p.name} på de strukturelle kendetegn (over "
                f"{fmt.fmt_number(benchmark.PLAUSIBLE_MAX_DISTANCE, 1)}), så forskellene og potentialerne er ikke "
                "et realistisk mål.",
            )
        )
    return fmt.summary_box(items)


# Recommendations ----------------------------------------------------------------------------------------------


def recommendations_table(p: AreaPage, recommendations: pd.DataFrame) -> str:
    """The recommendations, largest potential first: kind, size, potential, share and the data behind them."""
    shown = pd.DataFrame(
        {
            "Område": [p.area(c) for c in recommendations["function_code"]],
            "Type": [CATEGORIES_DA[c] for c in recommendations["category"]],
            "Størrelse": recommendations["size"].tolist(),
            "Potentiale": recommendations["potential_dkk"].astype(float).tolist(),
            "Andel af udgiften": recommendations["share_of_spending"].astype(float).tolist(),
            "Pris mod sml.": recommendations["price_difference"].astype(float).tolist(),
            "Mængde mod sml.": recommendations["rate_difference"].astype(float).tolist(),
        }
    )
    return fmt.table_html(
        shown,
        caption=f"Anbefalinger efter type og størrelse, {p.year} (sml. = sammenligningskommunerne)",
        formats={
            "Potentiale": _amount,
            "Andel af udgiften": fmt.fmt_pct,
            "Pris mod sml.": _pct_signed,
            "Mængde mod sml.": _pct_signed,
        },
    )


def recommendations_text(p: AreaPage, recommendations: pd.DataFrame) -> str:
    """The summary's recommendations in words, grouped by kind, with the rule and its reservation (Markdown)."""
    g = p.group
    medium, high = fmt.fmt_pct(p.sizes["medium_share"], 0), fmt.fmt_pct(p.sizes["high_share"], 0)
    rule = (
        "Anbefalingerne er sorteret efter en fast regel og er et udgangspunkt for konsulentens faglige vurdering, "
        f"ikke en konklusion: et område med en mængde (helårspersoner pr. 1.000 {g.plural}) "
        f"{fmt.fmt_pct(benchmark.MATERIALITY, 0)} eller mere over sammenligningskommunerne peger på "
        "*serviceniveau*, en pris pr. helårsperson over dem på *effektivitet*, og begge dele på *begge*. "
        f"Størrelsen er potentialets andel af områdets udgift: lav under {medium}, middel fra {medium}, høj fra "
        f"{high}. Potentialerne er ved sammenligningskommunernes gennemsnit; hvert områdes tal er et alternativ for "
        "sig og lægges ikke sammen med andre måls. Borgernes behov og tilbuddenes kvalitet indgår ikke i tallene."
    )
    if recommendations.empty:
        return f"Intet område ligger over sammenligningskommunerne på pris eller mængde. {rule}"
    parts = []
    for category in area_analysis.CATEGORIES:
        rows = recommendations[recommendations["category"] == category]
        if rows.empty:
            continue
        listed = "; ".join(
            f"{p.area(r.function_code)} ({r.size}, {_amount(r.potential_dkk)})" for r in rows.itertuples()
        )
        parts.append(f"- **{CATEGORIES_DA[category]}** ({WHAT_IT_TAKES[category]}): {listed}.")
    return "\n".join(parts) + "\n\n" + rule


# Spending, composition, development ---------------------------------------------------------------------------


def development_table(p: AreaPage, development: pd.DataFrame) -> str:
    """Spending and spending per resident of the group (aged 18-64; 0-17 for 5.28) year by year (fixed prices)."""
    g = p.group
    shown = pd.DataFrame(
        {
            "År": development["year"].astype(int).tolist(),
            "Udgift": development["own_spending_dkk"].astype(float).tolist(),
            f"Pr. {g.singular}, kr.": development["own_per_resident"].astype(float).tolist(),
            "Sml.-kommuner, kr.": development["peer_per_resident"].astype(float).tolist(),
            "Forskel": development["difference"].astype(float).tolist(),
        }
    )
    return fmt.table_html(
        shown,
        caption=f"Udgift til {p.main_function} i alt, faste {p.year}-priser ({p.n_peers} sml.-kommuner, vægtet)",
        formats={
            "Udgift": _mio,
            f"Pr. {g.singular}, kr.": fmt.fmt_number,
            "Sml.-kommuner, kr.": fmt.fmt_number,
            "Forskel": _pct_signed,
        },
    )


def composition_table(p: AreaPage, composition: pd.DataFrame, by: str) -> str:
    """The own spending split by area, paragraph or provider, largest first, with a total row."""
    labels = {
        "function_code": ("Område", p.area),
        "paragraph": ("Paragraf", lambda x: str(x)),
        "provider": ("Leverandør", lambda x: PROVIDERS_DA.get(x, str(x))),
    }
    heading, label = labels[by]
    shown = pd.DataFrame(
        {
            heading: [label(v) for v in composition[by]] + ["I alt"],
            "Udgift": [*composition["spending_dkk"].astype(float), float(composition["spending_dkk"].sum())],
            "Helårspersoner": [
                *composition["full_year_persons"].astype(float),
                float(composition["full_year_persons"].sum()),
            ],
            "Andel": [*composition["share"].astype(float), 1.0],
        }
    )
    what = {"function_code": "område", "paragraph": "paragraf", "provider": "leverandør"}[by]
    return fmt.table_html(
        shown,
        caption=f"Udgiften fordelt på {what}, {p.year}",
        formats={"Udgift": _mio, "Helårspersoner": lambda x: fmt.fmt_number(x, 1), "Andel": fmt.fmt_pct},
    )


# Effects, substitution, ranking -------------------------------------------------------------------------------


def effects_table(p: AreaPage, effects: pd.DataFrame) -> str:
    """Each area's gap with its price and quantity effects side by side (no total: see the caption)."""
    shown = pd.DataFrame(
        {
            "Område": [p.area(c) for c in effects["function_code"]],
            "Udgift": effects["own_spending_dkk"].astype(float).tolist(),
            "Forskel": effects["gap_dkk"].astype(float).tolist(),
            "Priseffekt": effects["price_effect_dkk"].astype(float).tolist(),
            "Mængdeeffekt": effects["quantity_effect_dkk"].astype(float).tolist(),
            "Pris": [DIRECTION_DA[d] for d in effects["price_direction"]],
            "Mængde": [DIRECTION_DA[d] for d in effects["quantity_direction"]],
        }
    )
    return fmt.table_html(
        shown,
        caption=(
            f"Forskel til sammenligningskommunerne delt i pris og mængde, {p.year} (mio. kr.; priseffekt + "
            "mængdeeffekt = forskel i hvert område)"
        ),
        formats={"Udgift": _mio, "Forskel": _signed, "Priseffekt": _signed, "Mængdeeffekt": _signed},
    )


def substitution_table(p: AreaPage, substitution: pd.DataFrame) -> str:
    """Full-year persons and quantity effects of the housing offers, with their net."""
    codes = substitution["function_code"].tolist()
    shown = pd.DataFrame(
        {
            _words(p)["group"]: [("Netto" if c == "net" else p.area(c)) for c in codes],
            "Helårspersoner": substitution["own_persons"].astype(float).tolist(),
            "Ved sml.-kommunernes mængde": substitution["expected_persons"].astype(float).tolist(),
            "Forskel i helårspersoner": substitution["persons_difference"].astype(float).tolist(),
            "Mængdeeffekt": substitution["quantity_effect_dkk"].astype(float).tolist(),
        }
    )
    one = lambda x: fmt.fmt_number(x, 1)  # noqa: E731
    return fmt.table_html(
        shown,
        caption=f"{_words(p)['group']}: mængdeeffekterne hver for sig og netto, {p.year}",
        formats={
            "Helårspersoner": one,
            "Ved sml.-kommunernes mængde": one,
            "Forskel i helårspersoner": one,
            "Mængdeeffekt": _signed,
        },
    )


def substitution_text(p: AreaPage, substitution: pd.DataFrame) -> str:
    """What the net of the quantity effects says (Markdown)."""
    rows = substitution[substitution["function_code"] != "net"]
    net = substitution.set_index("function_code").loc["net"]
    up = rows[rows["quantity_effect_dkk"] > 0]
    down = rows[rows["quantity_effect_dkk"] < 0]

    def listing(part: pd.DataFrame) -> str:
        return benchmark_and_join(
            [f"{p.area(r.function_code)} ({_signed(r.quantity_effect_dkk)})" for r in part.itertuples()]
        )

    if up.empty or down.empty:
        sign = "over" if net["quantity_effect_dkk"] > 0 else "under"
        return (
            f"Alle {_words(p)['plural']} ligger på samme side af sammenligningskommunerne i mængde ({sign}); "
            "der er ikke tegn på, at ét tilbud erstatter et andet. Netto er mængdeeffekten "
            f"{_signed(net['quantity_effect_dkk'])} i alt."
        )
    return (
        f"{p.name} har flere {_words(p)['citizens']} end sammenligningskommunerne på {listing(up)} og færre på "
        f"{listing(down)}. "
        "Det kan være ét tilbud, der står i stedet for et andet: læst hver for sig overvurderer de positive "
        f"mængdeeffekter, hvad kommunen bruger på antallet af "
        f"{_words(p)['in_offers']}. Netto er mængdeeffekten "
        f"{_signed(net['quantity_effect_dkk'])} ({fmt.fmt_number(net['persons_difference'], 1)} helårspersoner), og "
        f"{_mio(net['offset_dkk'])} af de positive effekter opvejes af de negative. Hver mængdeeffekt er værdisat "
        "til sit eget områdes pris hos sammenligningskommunerne."
    )


def benchmark_and_join(words: list[str]) -> str:
    """'a', 'a og b', 'a, b og c'."""
    words = list(words)
    return " og ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def ranking_table(p: AreaPage, ranking: pd.DataFrame) -> str:
    """The areas ranked by potential at the peers' average, the overlapping potentials side by side."""
    g = p.group
    shown = pd.DataFrame(
        {
            "Nr.": ranking["rank"].astype(int).tolist(),
            "Område": [p.area(c) for c in ranking["function_code"]],
            "Udgift": ranking["own_spending_dkk"].astype(float).tolist(),
            f"Potentiale, udgift pr. {g.singular}": ranking["spending_potential_dkk"].astype(float).tolist(),
            "Ved pris alene": ranking["price_potential_dkk"].astype(float).tolist(),
            "Ved mængde alene": ranking["quantity_potential_dkk"].astype(float).tolist(),
            "Andel af udgiften": ranking["share_of_spending"].astype(float).tolist(),
        }
    )
    return fmt.table_html(
        shown,
        caption=(
            f"Områderne efter potentiale ved sammenligningskommunernes gennemsnit, {p.year} (alternativer: lægges "
            "ikke sammen)"
        ),
        formats={
            "Nr.": lambda x: str(int(x)),
            "Udgift": _mio,
            f"Potentiale, udgift pr. {g.singular}": _potential,
            "Ved pris alene": _potential,
            "Ved mængde alene": _potential,
            "Andel af udgiften": fmt.fmt_pct,
        },
    )


# Expensive cases ----------------------------------------------------------------------------------------------


def _hidden(summary: pd.DataFrame, group: str, min_group: int) -> bool:
    """A group is hidden when it, or the rest of all persons beside it, holds 1 to ``min_group - 1`` persons."""
    n, total = int(summary.loc[group, "persons"]), int(summary.loc["all", "persons"])
    return 0 < n < min_group or 0 < total - n < min_group


def expensive_table(
    p: AreaPage, summary: pd.DataFrame, threshold_dkk: float, min_group: int = privacy.MIN_GROUP_FLOOR
) -> str:
    """Persons above the threshold, persons with a refund and all persons: cost before and after the refund.

    A group of fewer than ``min_group`` persons (or one whose rest among all persons is that small, so that it could
    be derived) shows '<5' and '..' instead of its figures.
    """
    labels = {
        "expensive": f"Over {_mio(threshold_dkk)} om året",
        "refunded": "Med refusion efter § 176",
        "all": "Alle borgere med sager",
    }
    rows = []
    for group, label in labels.items():
        hide = (
            _hidden(summary, group, min_group)
            if group != "all"
            else 0 < summary.loc["all", "persons"] < min_group
        )
        r = summary.loc[group]
        rows.append(
            {
                "Borgere": label,
                "Antal": privacy.suppressed_label(min_group) if hide else fmt.fmt_number(r["persons"]),
                "Udgift før refusion": privacy.SMALL_VALUE_LABEL if hide else _mio(r["cost_dkk"]),
                "Refusion": privacy.SMALL_VALUE_LABEL if hide else _mio(r["refund_dkk"]),
                "Udgift efter refusion": privacy.SMALL_VALUE_LABEL if hide else _mio(r["net_cost_dkk"]),
                "Andel af udgiften": privacy.SMALL_VALUE_LABEL if hide else fmt.fmt_pct(r["share_of_cost"]),
            }
        )
    return fmt.table_html(
        pd.DataFrame(rows),
        caption=f"Særligt dyre enkeltsager og refusion, {p.year} (løbende priser; borgere med kendt udgift)",
    )


def expensive_text(
    p: AreaPage,
    summary: pd.DataFrame,
    threshold_dkk: float,
    refund_name: str,
    refund_source: str,
    level_year: int,
    cases_without_cost: int,
    min_group: int = privacy.MIN_GROUP_FLOOR,
    area_spending_dkk: float | None = None,
    tiers: Sequence[tuple[float, float]] = (),
) -> str:
    """What the expensive cases and the refund amount to, with the source of the thresholds (Markdown).

    ``area_spending_dkk`` (DKK), the municipality's spending on the main function in the year from the accounts'
    activity table, adds the expensive cases' share of it (the cases are another source: their sum differs).
    ``tiers`` ((threshold DKK, rate) as :func:`analysis.expensive_cases.refund` takes them) are spelt out.
    """
    e, a = summary.loc["expensive"], summary.loc["all"]
    if int(a["persons"]) == 0 and not cases_without_cost:
        return (
            f"Kommunens sagsdata har ingen sager med en udgift på {p.main_function} "
            f"{p.main_function_name.lower()} i {p.year}; de særligt dyre enkeltsager kan ikke opgøres her."
        )
    unknown = (
        f" {fmt.fmt_number(cases_without_cost)} sager i året har ingen registreret månedlig udgift og indgår ikke; "
        "tallene er derfor en nedre grænse."
        if cases_without_cost
        else ""
    )
    if _hidden(summary, "expensive", min_group):
        lead = (
            f"Færre end {min_group} borgere (eller alle på nær færre end {min_group}) havde i {p.year} en udgift over "
            f"{_mio(threshold_dkk)}; tallene vises ikke af hensyn til borgernes anonymitet."
        )
    elif int(e["persons"]) == 0:
        lead = f"Ingen borger havde i {p.year} en udgift over {_mio(threshold_dkk)}"
    else:
        lead = (
            f"{fmt.fmt_number(e['persons'])} af {fmt.fmt_number(a['persons'])} borgere med sager på "
            f"{p.main_function} havde i {p.year} en udgift over {_mio(threshold_dkk)}: tilsammen "
            f"{_mio(e['cost_dkk'])}, "
            f"{fmt.fmt_pct(e['share_of_cost'])} af udgiften til alle borgernes sager"
            + (
                f" og {fmt.fmt_pct(e['cost_dkk'] / area_spending_dkk)} af kommunens udgift på {p.main_function} "
                f"({_mio(area_spending_dkk)})"
                if area_spending_dkk
                else ""
            )
            + ". Med refusionen efter § 176 "
            "fratrukket "
            f"koster de {_mio(e['net_cost_dkk'])}"
        )
    return (
        f"{lead.rstrip('.')}. For alle borgere udgør refusionen {_mio(a['refund_dkk'])}, så udgiften falder fra "
        f"{_mio(a['cost_dkk'])} før til {_mio(a['net_cost_dkk'])} efter refusion.{unknown}\n\n"
        "Udgiften pr. borger er summen af borgerens sager i året (månedlig udgift × måneder i året). Refusionen er "
        f"beregnet som {fmt.in_sentence(refund_name)}"
        + (
            ": "
            + benchmark_and_join(
                [
                    f"{fmt.fmt_pct(rate, 0)} af den del{' af udgiften' if i == 0 else ''}, der overstiger "
                    f"{fmt.fmt_number(t)} kr."
                    for i, (t, rate) in enumerate(tiers)
                ]
            )
            + " om året"
            if tiers
            else ""
        )
        + f" ({level_year}-niveau; kilde: {refund_source}). "
        + ec.refund_age_text_da(summary, min_group)
        + " Beløbene er i løbende priser."
    )


# Method -------------------------------------------------------------------------------------------------------


def _older_hidden(persons: float, older: float, min_group: int) -> bool:
    """True where the older or the younger group of an area is smaller than ``min_group`` (but not empty)."""
    younger = persons - older
    return 0 < older < min_group or 0 < younger < min_group


def older_table(p: AreaPage, older: pd.DataFrame, min_group: int = privacy.MIN_GROUP_FLOOR) -> str:
    """Citizens aged 65 and over and their spending per area (HTML); small groups suppressed.

    A row's 65+ figures are hidden when the citizens aged 65 and over, or those under 65, are fewer than
    ``min_group`` (the one could be had from the other and the total); an area with fewer than ``min_group``
    citizens shows none of its figures. Empty ('') when there are no cases or the main function is not 5.38.
    """
    min_group = privacy.check_min_group(min_group)
    if older.empty or p.main_function != "5.38":
        return ""
    rows = []
    for r in older.itertuples():
        tiny = r.persons < min_group
        hide = tiny or _older_hidden(r.persons, r.persons_older, min_group)
        rows.append(
            {
                "Område": "I alt (hver borger én gang)"
                if r.function_code == "total"
                else p.area(r.function_code),
                "Borgere": privacy.suppressed_label(min_group) if tiny else fmt.fmt_number(r.persons),
                "Heraf 65 år og derover": privacy.suppressed_label(min_group)
                if hide
                else fmt.fmt_number(r.persons_older),
                "Andel 65+": privacy.SMALL_VALUE_LABEL if hide else fmt.fmt_pct(r.share_older),
                "Udgift i alt": privacy.SMALL_VALUE_LABEL if tiny else _mio(r.spending_dkk),
                "Udgift til 65+": privacy.SMALL_VALUE_LABEL if hide else _mio(r.spending_older_dkk),
                "Andel af udgiften": privacy.SMALL_VALUE_LABEL
                if hide
                else fmt.fmt_pct(r.share_spending_older),
            }
        )
    shown = pd.DataFrame(
        rows,
        columns=[
            "Område",
            "Borgere",
            "Heraf 65 år og derover",
            "Andel 65+",
            "Udgift i alt",
            "Udgift til 65+",
            "Andel af udgiften",
        ],
    )
    return fmt.table_html(
        shown,
        caption=f"Borgere med sager på området og heraf 65 år og derover (alder 1. januar {p.year}), {p.year}",
    )


def older_text(p: AreaPage, older: pd.DataFrame, min_group: int = privacy.MIN_GROUP_FLOOR) -> str:
    """One Danish sentence on the citizens aged 65 and over in the whole area (Markdown), suppressed when small."""
    min_group = privacy.check_min_group(min_group)
    if p.main_function != "5.38":
        return (
            f"Borgere på 65 år og derover opgøres for voksenområdet (5.38); på {p.main_function} "
            f"{p.main_function_name.lower()} er de ikke relevante."
        )
    total = older[older["function_code"] == "total"]
    if total.empty:
        return f"Sagsdata for {p.name} dækker ikke området i {p.year}; borgere på 65 år og derover kan ikke opgøres."
    t = total.iloc[0]
    unknown = (
        f" For {fmt.fmt_number(t['persons_unknown_age'])} borgere kendes alderen ikke."
        if t["persons_unknown_age"]
        else ""
    )
    if t["persons"] < min_group or _older_hidden(t["persons"], t["persons_older"], min_group):
        return (
            f"Antallet af borgere på 65 år og derover med sager på området i {p.year} vises ikke, da gruppen er under "
            f"{min_group} borgere (eller gruppen under 65 år er).{unknown}"
        )
    return (
        f"I {p.year} havde {fmt.fmt_number(t['persons_older'])} af {fmt.fmt_number(t['persons'])} borgere med sager på "
        f"området ({fmt.fmt_pct(t['share_older'])}) fyldt 65 år, og de stod for {_mio(t['spending_older_dkk'])} "
        f"({fmt.fmt_pct(t['share_spending_older'])}) af sagernes udgift på {_mio(t['spending_dkk'])} Borgere over "
        "folkepensionsalderen kan høre til ældreområdet (5.30) eller være uden for refusionen af særligt dyre "
        f"enkeltsager; det er et spørgsmål om visitation og finansiering, ikke et besparelsesmål.{unknown}"
    )


def annex_break() -> str:
    """HTML that starts a new PDF page: shown before :func:`method_text`, so that the bundle can make it an annex."""
    return '<div class="annex-break" style="break-before: page"></div>'


def method_text(p: AreaPage) -> str:
    """The section "Metode og data" (Markdown); show :func:`annex_break` before it."""
    g = p.group
    prices = (
        f"beløb fra tidligere år er omregnet til faste {p.year}-priser med {p.price_index}"
        if p.price_index
        else "løbende priser"
    )
    return (
        "## Metode og data\n\n"
        f"- **Område:** alle funktioner under hovedfunktion {p.main_function} {p.main_function_name} i den kommunale "
        "kontoplan, hver for sig og i alt. Udgift og helårspersoner efter område, paragraf og leverandør.\n"
        f"- **Periode:** regnskabsårene {p.first_year}-{p.year}; {prices}. Niveauer og potentialer gælder {p.year}.\n"
        f"- **Sammenligningskommuner:** {p.peer_text}. De samme kommuner i alle områder og år; en kommune uden "
        "aktivitet på et område indgår ikke i det områdes gennemsnit.\n"
        f"- **Udgift pr. {g.singular}** i alt: kommunens samlede udgift på hovedfunktionen delt med dens {g.plural}; "
        f"sammenligningskommunernes er deres samlede udgift delt med deres samlede antal {g.plural} (vægtet).\n"
        "- **Pris- og mængdeeffekt** pr. område som i rapporterne for de enkelte områder: forskel = faktisk udgift − "
        f"sammenligningskommunernes pris × deres mængde × egne {g.plural} / 1.000; priseffekt = (egen pris − deres "
        "pris) × egne helårspersoner; mængdeeffekt = (egne − forventede helårspersoner) × deres pris. I hvert område "
        "er priseffekt + mængdeeffekt = forskellen. Effekter af forskellige mål lægges aldrig sammen på tværs.\n"
        f"- **{_words(p)['others'].capitalize()} samlet:** {_words(p)['method']}; hvert områdes effekt er "
        "værdisat til områdets egen pris hos sammenligningskommunerne, så summen er udgiften til forskellen i antal "
        f"{_words(p)['in_offers']} samlet. Det opvejede beløb er den del af de positive effekter, som negative "
        f"effekter på andre {_words(p)['others']} modsvarer.\n"
        + (
            f"- **Målestok for børn og unge:** udgift og mængde er sat i forhold til kommunens {g.plural} "
            f"(Danmarks Statistiks FOLK1A pr. 1. januar), ikke de {benchmark.ADULTS.plural} som på voksenområdet, "
            "så en kommune med relativt mange børn ikke ser dyrere ud, end den er pr. barn.\n"
            if p.main_function == "5.28"
            else ""
        )
        + "- **Borgere på 65 år og derover:** fra sagsdata, hvor de har alderen (afledt ved indlæsning af "
        "fødselsdatoen i CPR-nummeret, som ikke gemmes): alderen 1. januar i året; udgiften er sagernes månedlige "
        "udgift gange månederne i året. Grupper med færre end 5 borgere vises ikke.\n"
        "- **Anbefalinger:** en fast regel: mængde over sammenligningskommunerne (mindst "
        f"{fmt.fmt_pct(benchmark.MATERIALITY, 0)}) og pris ikke: serviceniveau, potentiale = mængdeeffekten; pris over "
        "og mængde ikke: effektivitet, potentiale = priseffekten; begge over: begge, potentiale = hele forskellen. "
        f"Størrelse efter potentialets andel af områdets udgift (lav under {fmt.fmt_pct(p.sizes['medium_share'], 0)}, "
        f"middel fra {fmt.fmt_pct(p.sizes['medium_share'], 0)}, høj fra {fmt.fmt_pct(p.sizes['high_share'], 0)}; "
        "grænserne står i værktøjets parameterfil for anbefalinger). Reglen er et udgangspunkt for den faglige "
        "vurdering.\n"
        "- **Særligt dyre enkeltsager:** fra kommunens sagsdata (pseudonymiserede; aldrig CPR-numre): borgerens udgift "
        "i året summeret over sagerne på hovedfunktionen; refusion efter serviceloven § 176 med beløbsgrænserne i "
        "værktøjets parameterfil for refusion. Grupper med færre end 5 borgere vises ikke.\n"
        "- **Forbehold:** tallene viser ikke borgernes behov eller tilbuddenes kvalitet; potentialerne er "
        "regneeksempler, ikke budgetmål."
    )


def names_of_areas(areas: pd.DataFrame) -> Mapping[str, str]:
    """Danish name by function code from the ``function_areas`` table."""
    return dict(zip(areas["function_code"].astype(str), areas["name"].astype(str), strict=True))
