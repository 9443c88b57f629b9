"""The benchmark report's tables, sentences and charts, on the tiny hand-made report of tests/test_benchmark.py."""

import dataclasses

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.benchmark import benchmark_report, decompose, effects, potentials
from analysis.data.price_index import PriceIndex
from analysis.reporting import benchmark_charts as charts
from analysis.reporting import benchmark_page as text
from analysis.reporting import formatting as fmt
from tests.test_benchmark import MIO, MUNICIPALITIES, REPORT_ACTIVITY, peer_frame, unit

matplotlib.use("Agg")

NAMES = {101: "A Kommune", 147: "Bs Kommune", 151: "C Regionskommune", 153: "D Kommune", 155: "E Kommune"}
AREA = {"name": "Botilbud til længerevarende ophold", "paragraphs": "§ 108"}
INDEX = PriceIndex(
    name="Pris- og lønindeks for kommunale serviceudgifter",
    source="testindeks",
    index=pd.Series({2023: 100.0, 2024: 103.0}),
    path=None,
)

# 2024, peers 147 + 151 (list): 6 persons, 4.4 mio, pop 2,000 -> price 733,333, rate 3.0
#   own 101: 5 persons, 2.8 mio, pop 1,000 -> price 560,000 (-23,6 %), rate 5.0 (+66,7 %), 2,800 per resident
#   expected 3 persons, 2.2 mio (2,200 per resident): gap 0.6 mio (+27,3 %)
#   price effect 2.8 - 0.7333 x 5 = -0.867 mio; quantity effect (5 - 3) x 0.7333 = +1.467 mio
# distances (tests/test_benchmark.py): 147 1.2247, 151 2.1213 -> mean 1.673, above 1.5


@pytest.fixture(scope="module")
def page():
    rep = benchmark_report(
        REPORT_ACTIVITY, MUNICIPALITIES, 101, "5.38.50", 2022, 2024, peer_method="list", peer_codes=[151, 147]
    )
    return text.page(rep, MUNICIPALITIES, AREA, NAMES, INDEX)


def test_heading_and_headline_use_official_names_and_the_effects(page):
    assert text.heading(page) == "## A Kommune: botilbud til længerevarende ophold, § 108"
    box = text.headline(page)
    assert "<b>Udgift 2024:</b> 2,8 mio. kr. mod 2,2 mio. kr." in box
    assert "<b>Forskel:</b> 0,6 mio. kr. mere (27,3 % over sammenligningskommunernes niveau)" in box
    assert (
        "<b>Priseffekt:</b> -0,9 mio. kr.; prisen er 560 t.kr. pr. helårsperson mod 733 t.kr., 23,6 % under"
        in box
    )
    assert (
        "<b>Mængdeeffekt:</b> +1,5 mio. kr.; mængden er 5,00 helårspersoner" in box and "66,7 % over" in box
    )
    assert "<b>Potentiale:</b> 0,6 mio. kr., hvis udgiften pr. 18-64-årig kom ned" in box
    # the peers lie 1.67 standard deviations away on average: the headline says the yardstick is uncertain
    assert (
        "Usikkert: sammenligningskommunerne ligger i gennemsnit 1,67 standardafvigelser fra A Kommune" in box
    )
    assert "2 kommuner, valgt på forhånd" in box


PEERS_1 = peer_frame((100 * MIO, 100, 100_000))  # price 1.0 mio, rate 1.0


def _with(page, own):
    latest = decompose(own, PEERS_1)
    rep = dataclasses.replace(page.report, latest=latest, effects=effects(latest))
    return dataclasses.replace(page, report=rep)


def test_the_headline_potential_treats_price_and_quantity_alike(page):
    # quantity 5 % above (10.5 persons at 0.9 mio): spending below, quantity effect +0.5 mio
    quantity = text.potential_sentence(_with(page, unit(9.45 * MIO, 10.5, 10_000)))
    assert "men mængden er 5,0 % over: 0,5 mio. kr. ved sammenligningskommunernes mængde." in quantity
    # the mirror, price 5 % above (9 persons at 1.05 mio): price effect +0.45 mio
    price = text.potential_sentence(_with(page, unit(9.45 * MIO, 9, 10_000)))
    assert "men prisen er 5,0 % over: 0,5 mio. kr. ved sammenligningskommunernes gennemsnitspris." in price
    # price 0.8 % above: on level, no potential, and the price line says so
    level_page = _with(page, unit(9.072 * MIO, 9, 10_000))
    level = text.potential_sentence(level_page)
    assert level.startswith("Intet ved sammenligningskommunernes gennemsnit") and "mio. kr." not in level
    assert "på niveau med sammenligningskommunerne (0,8 % over)." in text.headline(level_page)


def test_an_on_level_difference_never_reads_as_the_limit(page):
    # price 1.97 % above (9 persons at 1.0197 mio): on level by the 2 % rule; one decimal would round it to
    # '2,0 %', which the method calls material, so it gets two
    box = text.headline(_with(page, unit(9.1773 * MIO, 9, 10_000)))
    assert "mod 1.000 t.kr., på niveau med sammenligningskommunerne (1,97 % over)." in box
    assert "2,0 %" not in box
    # 1.9996 % above: three decimals (2,00 % would read as the limit too)
    box = text.headline(_with(page, unit(9.179964 * MIO, 9, 10_000)))
    assert "på niveau med sammenligningskommunerne (under 2 % over)" in box
    # spending 0.5 % under (10 persons at 0.995 mio): level with the peers, said once, not 'niveau ... niveau'
    box = text.headline(_with(page, unit(9.95 * MIO, 10, 10_000)))
    assert "<b>Forskel:</b> 0,1 mio. kr. mindre, på niveau med sammenligningskommunerne (0,5 % under)." in box
    assert "(på niveau med" not in box
    # equal: no figure at all (the old text said '0,0 % under')
    box = text.headline(_with(page, unit(10 * MIO, 10, 10_000)))
    assert "pr. helårsperson mod 1.000 t.kr., på niveau med sammenligningskommunerne." in box
    assert "0,0 %" not in box


def test_key_figures_show_weighted_and_unweighted_peer_averages(page):
    html = text.key_figures_table(page)
    # weighted 4.4 mio / 6 = 733 t.kr.; unweighted (1.2 + 0.5) / 2 = 850 t.kr.
    assert "2 sml.-kommuner, vægtet gennemsnit</th><td" in html and ">733<" in html
    assert "– uvægtet gennemsnit</th><td" in html and ">850<" in html
    assert "nr. 2 af 3 på prisen" in text.ranks_text(page)  # 0.5 < 0.56 < 1.2 mio


def test_potentials_table_flags_the_far_yardstick(page):
    html = text.potentials_table(page)
    rows = html.split("<tr>")[2:]
    assert len(rows) == 9
    # lowest price: 151 at 0.5 mio, distance 2.12 > 1.5; 2.8 - 0.5 x 5 = 0.3 mio = 10,7 % of 2.8 mio
    lowest_price = next(r for r in rows if ">Pris<" in r and "Billigste kommune" in r)
    for cell in (">560 t.kr.<", ">500 t.kr.<", ">0,3 mio. kr.<", ">10,7 %<", ">2,12<", ">for ulig<"):
        assert cell in lowest_price
    # no potential, no verdict: the own quantity (5.0) is above every yardstick, price at the average is below
    average_price = next(r for r in rows if ">Pris<" in r and "Gennemsnit af alle 2" in r)
    assert ">0,0 mio. kr.<" in average_price and ">–<" in average_price
    assert "billigste kommune C Regionskommune" in text.potentials_text(page)


def test_potentials_table_says_on_level_under_two_per_cent(page):
    # own 10 persons, 10.15 mio, pop 10,000 against peers 201 (1.0 mio, 1,000 per resident) and 202 (1.2 mio):
    # 1.5 % above the lowest on price and on spending per resident; the effect is +0.15 mio, but under 2 % is
    # on level: the table shows no potential and says so (it showed 0,2 mio. kr. and 'realistisk')
    own, peers = unit(10.15 * MIO, 10, 10_000), peer_frame((10 * MIO, 10, 10_000), (12 * MIO, 10, 10_000))
    peers.insert(0, "municipality_code", [147, 151])
    rep = dataclasses.replace(page.report, potentials=potentials(own, peers.assign(distance=[0.5, 0.5])))
    rows = text.potentials_table(dataclasses.replace(page, report=rep)).split("<tr>")[2:]
    for measure in (">Pris<", ">Udgift pr. 18-64-årig<"):
        lowest = next(r for r in rows if measure in r and "Billigste kommune" in r)
        assert ">0,0 mio. kr.<" in lowest and ">på niveau<" in lowest and "realistisk" not in lowest
    # 7.7 % below the average of both: no potential, no verdict
    average = next(r for r in rows if ">Pris<" in r and "Gennemsnit af alle 2" in r)
    assert ">–<" in average


def test_peer_table_has_weighted_and_unweighted_rows(page):
    html = text.peer_table(page)
    assert ">Sammenligningskommuner i alt, vægtet<" in html and ">– uvægtet gennemsnit<" in html
    assert ">M147<" in html  # table rows carry the short name


def test_external_prices_text_names_the_flagged(page):
    # 2024 external: 101 0.8 mio, 147 1.2 mio, 155 0.9 mio -> median 0.9 mio, high limit 1.125 mio
    #   Q1 0.85, Q3 1.05, IQR 0.2 -> fence 1.35: 147 is inside the fence but 33 % above the median
    lines = text.external_prices_text(page)
    assert (
        "A Kommune betalte i gennemsnit 800 t.kr." in lines
        and "11,1 % under landets median (900 t.kr." in lines
    )
    assert "Grænserne er 1.125 t.kr. (25 % over medianen) og 1.350 t.kr. (statistisk grænse)" in lines
    assert "A Kommune markeres ikke." in lines
    assert (
        "Markeret: 1 af de 3 kommuner med eksterne helårspersoner (Bs Kommune); heraf sammenligningskommunen "
        "Bs Kommune." in lines
    )
    # only 3 municipalities have external persons: not 'landets 3 kommuner'; one flagged peer is singular
    assert "landets 3" not in lines and "sammenligningskommunerne Bs" not in lines
    none = dataclasses.replace(page, report=dataclasses.replace(page.report, provider_prices=None))
    assert text.external_prices_text(none).startswith("Ingen kommune havde helårspersoner hos eksterne")


def test_method_text_states_fixed_prices_and_names(page):
    method = text.method_text(page, "5.38.50")
    assert method.startswith("## Metode og data")
    assert "faste 2024-priser med pris- og lønindeks for kommunale serviceudgifter (testindeks)" in method
    assert "C Regionskommune mangler data i et eller flere år" in method
    assert "forskellen er 600.000 kr. = priseffekt -866.667 kr. + mængdeeffekt 1.466.667 kr." in method
    current = dataclasses.replace(page, price_index="")
    assert "regnskabsårene 2023-2024; løbende priser" in text.method_text(current, "5.38.50")


def test_business_case_text(page):
    occupancy = pd.DataFrame(
        {
            "places": [5.0, 10.0],
            "internal_persons": [4.0, 8.0],
            "occupancy": [0.8, 0.8],
            "free_places": [1.0, 2.0],
        },
        index=pd.Index(["own", "peers"], name="role"),
    )
    out = text.business_case_text(page, occupancy)
    # 4 internal persons at 0.5 mio, 1 external at 0.8 mio: 300 t.kr. more, 0.3 mio a year
    assert "300 t.kr. mere pr. helårsperson end de interne (800 t.kr. mod 500 t.kr.)" in out
    assert "5 egne pladser var i 2024 belagt med 4,0 helårspersoner, en belægning på 80,0 %" in out
    assert "ingen egne pladser" in text.business_case_text(page, occupancy.iloc[:0])


def test_business_case_text_claims_no_saving_when_external_places_are_cheaper(page):
    # 4 internal persons at 0.9 mio, 1 external at 0.8 mio: the external place is 100 t.kr. cheaper, so
    # bringing the citizen home saves nothing (the old text called the 0,1 mio. kr. what own capacity is worth)
    ie = pd.DataFrame(
        {
            "paragraph": ["§108", "all"],
            "internal_persons": 4.0,
            "internal_price_dkk": 900_000.0,
            "external_persons": 1.0,
            "external_price_dkk": 800_000.0,
            "price_difference_dkk": -100_000.0,
            "external_premium_dkk": -100_000.0,
        }
    )
    cheaper = dataclasses.replace(page, report=dataclasses.replace(page.report, internal_external=ie))
    occupancy = pd.DataFrame(
        {
            "places": [5.0, 10.0],
            "internal_persons": [4.0, 8.0],
            "occupancy": [0.8, 0.8],
            "free_places": [1.0, 2.0],
        },
        index=pd.Index(["own", "peers"], name="role"),
    )
    out = text.business_case_text(cheaper, occupancy)
    assert "100 t.kr. mindre pr. helårsperson end de interne (800 t.kr. mod 900 t.kr.)" in out
    assert "egne pladser ikke billigere, og prisen taler ikke for at hente eksterne borgere hjem" in out
    assert "kan være værd" not in out and "0,1 mio. kr." not in out
    assert "det første sted at hente eksterne borgere hjem" not in out
    assert "(1,0 ledige pladser i gennemsnit) mod 80,0 % hos sammenligningskommunerne." in out


def test_business_case_text_sends_no_one_home_to_full_places(page):
    # 5 places, 5.2 internal persons: over-occupied; the peers have no places (occupancy NaN)
    occupancy = pd.DataFrame(
        {
            "places": [5.0, 0.0],
            "internal_persons": [5.2, 0.0],
            "occupancy": [1.04, float("nan")],
            "free_places": [-0.2, 0.0],
        },
        index=pd.Index(["own", "peers"], name="role"),
    )
    out = text.business_case_text(page, occupancy)
    assert (
        "en belægning på 104,0 % (ingen ledige pladser i gennemsnit); sammenligningskommunerne har ingen"
        in out
    )
    assert "0,0 ledige" not in out and "mod – hos" not in out
    assert "Ledige egne pladser er det første sted" not in out
    # external dearer and a free place: the advice stands
    free = occupancy.assign(internal_persons=[4.0, 8.0], occupancy=[0.8, 0.8], free_places=[1.0, 2.0])
    assert (
        "Ledige egne pladser er det første sted at hente eksterne borgere hjem."
        in text.business_case_text(page, free)
    )


def test_charts_draw_the_report_numbers(page):
    fmt.set_style(retina=False)
    r = page.report.latest
    fig = charts.price_quantity(page)
    ax = fig.axes[0]
    points = {tuple(np.round(c.get_offsets()[0], 6)) for c in ax.collections if len(c.get_offsets()) == 1}
    assert (5.0, 560_000.0) in points  # own: rate 5, price 0.56 mio
    assert (round(r["peer_rate"], 6), round(r["peer_price"], 6)) in points
    assert any(t.get_text() == "M101" and t.get_fontweight() == "bold" for t in ax.texts)

    bars = charts.gap_waterfall(page).axes[0].patches
    heights = [b.get_height() for b in bars]
    assert heights == pytest.approx(
        [2.2 * MIO, abs(r["price_effect_dkk"]), r["quantity_effect_dkk"], 2.8 * MIO]
    )
    assert bars[3].get_facecolor()[:3] == pytest.approx(matplotlib.colors.to_rgb(fmt.OWN_COLOUR))

    effects_ax = charts.yearly_effects(page).axes[0]
    assert "faste 2024-priser" in effects_ax.get_title(loc="left")
    (line,) = effects_ax.get_lines()[:1]
    assert list(line.get_ydata()) == pytest.approx([0.5 * MIO, 0.6 * MIO])
    levels = charts.yearly_levels(page)
    assert "faste 2024-priser" in levels.axes[0].get_title(loc="left")

    ext = charts.external_prices(page).axes[0]
    circled = [c for c in ext.collections if len(c.get_facecolors()) == 0 or c.get_facecolors()[0][3] == 0]
    assert [list(c.get_offsets()[:, 0]) for c in circled if len(c.get_offsets())] == [[1.2 * MIO]]
    none = dataclasses.replace(page, report=dataclasses.replace(page.report, provider_prices=None))
    assert charts.external_prices(none) is None


def test_the_screen_marks_syddjurs_107_in_the_sample(con):
    # the sample plants Syddjurs' §107 price x 1.30 (5.38.52); its external price is about 40 % above the national
    # median, inside Tukey's fence (which let it pass before) but above the 25 % limit
    from analysis.benchmark import provider_prices
    from analysis.data import queries

    activity = queries.activity(con, years=(2025, 2025), function_codes=["5.38.52"])
    prices = provider_prices(activity, "5.38.52", 2025).set_index("municipality_code")
    syddjurs = prices.loc[706]
    assert syddjurs["price_to_median"] > 1.25 and not syddjurs["is_outlier"]
    assert syddjurs["is_high"] and syddjurs["is_flagged"]


def test_provider_table_by_paragraph_and_provider(page):
    # 2024 own: internal 4 persons 2.0 mio (500 t.kr.), external 1 person 0.8 mio (800 t.kr.), shares 80 / 20 %
    #   peers: 147 external 2 persons 2.4 mio, 151 internal 4 persons 2.0 mio -> internal 500 t.kr., external 1.2 mio
    html = text.provider_table(page)
    rows = html.split("<tr>")[2:]
    internal = next(r for r in rows if ">Interne<" in r)
    external = next(r for r in rows if ">Eksterne<" in r)
    assert ">80,0 %<" in internal and ">66,7 %<" in internal and ">500 t.kr.<" in internal  # peers 4 of 6
    assert ">20,0 %<" in external and ">800 t.kr.<" in external and ">1.200 t.kr.<" in external
    assert ">-33,3 %<" in external  # 0.8 / 1.2 - 1
    assert ">0,0 %<" in internal and "+0,0" not in html  # 500 / 500 - 1: a signed column, but no '+0,0'
    assert "(sml. = sammenligningskommunerne, vægtet)" in html


def test_the_potential_sentence_does_not_call_a_spending_on_level_not_above(page):
    # 10.15 mio on 9.6667 persons, pop 10,000: price 1.05 mio (+5 %), rate 0.967 (-3.3 %), spending per resident
    # 1,015 kr. against 1,000 (+1.5 %: on level, but above); the old text said 'er ikke over gennemsnittet'
    level = text.potential_sentence(_with(page, unit(10.15 * MIO, 10.15 / 1.05, 10_000)))
    assert level.startswith(
        "Udgiften pr. 18-64-årig er på niveau med gennemsnittet, men prisen er 5,0 % over"
    )
    assert "ikke over" not in level
    # spending 5.5 % below (9.45 mio, 9 persons at 1.05 mio): 'under gennemsnittet'
    below = text.potential_sentence(_with(page, unit(9.45 * MIO, 9, 10_000)))
    assert below.startswith("Udgiften pr. 18-64-årig er under gennemsnittet, men prisen er 5,0 % over")


def test_the_headline_potential_says_when_it_is_too_large_to_be_a_target(page):
    # 20 mio on 10 persons, pop 10,000 against one peer at 1.0 mio and rate 1.0: price +100 %, spending
    # 2,000 kr. per resident against 1,000: potential 10 mio = 50 % of 20 mio, above 40 %; the potentials table
    # says 'for stor', the old headline stated the 10 mio. kr. as a plain target
    own = unit(20 * MIO, 10, 10_000)
    latest = decompose(own, PEERS_1)
    peers = PEERS_1.assign(municipality_code=[147], distance=[0.5])
    rep = dataclasses.replace(
        page.report, latest=latest, effects=effects(latest), potentials=potentials(own, peers)
    )
    sentence = text.potential_sentence(dataclasses.replace(page, report=rep))
    assert sentence.startswith("10,0 mio. kr., hvis udgiften pr. 18-64-årig kom ned på")
    assert (
        "For stort: 10,0 mio. kr. svarer til 50,0 % af udgiften (over 40 %), så det er ikke et realistisk mål."
        in (sentence)
    )
    assert "Usikkert" not in sentence  # 0.5 standard deviations: near enough
    # 10.5 mio (spending +5 %, potential 0.5 mio = 4.8 %): no such sentence
    small = unit(10.5 * MIO, 10, 10_000)
    latest = decompose(small, PEERS_1)
    rep = dataclasses.replace(
        page.report, latest=latest, effects=effects(latest), potentials=potentials(small, peers)
    )
    assert "For stort" not in text.potential_sentence(dataclasses.replace(page, report=rep))
