"""The area report's text on hand-made frames: recommendations, substitution, expensive cases and suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import area
from analysis.reporting import area_page as text

AREAS = pd.DataFrame(
    {
        "function_code": ["5.38.50", "5.38.51", "5.38.52"],
        "name": [
            "Botilbud til længerevarende ophold",
            "Botilbudslignende tilbud",
            "Botilbud til midlertidigt ophold",
        ],
    }
)
PEERS = pd.DataFrame({"municipality_code": [2, 3]})


@pytest.fixture
def page():
    return text.page(
        "Syddjurs Kommune",
        "5.38",
        AREAS,
        PEERS,
        "list",
        ["population"],
        2018,
        2025,
        {"medium_share": 0.05, "high_share": 0.15},
    )


def _substitution(q50: float, q51: float, q52: float) -> pd.DataFrame:
    effects = pd.DataFrame(
        {
            "function_code": ["5.38.50", "5.38.51", "5.38.52"],
            "own_persons": [20.0, 10.0, 5.0],
            "expected_persons": [15.0, 10.0, 9.0],
            "quantity_effect_dkk": [q50, q51, q52],
        }
    )
    return area.substitution(effects)


def test_substitution_text_names_both_sides_and_the_net(page):
    sentence = text.substitution_text(page, _substitution(5_000_000, 0.0, -2_000_000))
    assert (
        "flere borgere end sammenligningskommunerne på 5.38.50 Botilbud til længerevarende ophold (+5,0 mio. kr.)"
        in (sentence)
    )
    assert "færre på 5.38.52 Botilbud til midlertidigt ophold (-2,0 mio. kr.)" in sentence
    assert (
        "Netto er mængdeeffekten +3,0 mio. kr. (1,0 helårspersoner), og 2,0 mio. kr. af de positive"
        in sentence
    )
    same_side = text.substitution_text(page, _substitution(5_000_000, 1_000_000, 0.0))
    assert "ikke tegn på, at ét tilbud erstatter et andet" in same_side and "+6,0 mio. kr. i alt" in same_side


def test_recommendations_text_groups_by_kind_and_says_it_is_a_starting_point(page):
    rec = pd.DataFrame(
        {
            "function_code": ["5.38.50", "5.38.52"],
            "category": ["both", "efficiency"],
            "potential_dkk": [29_700_000.0, 38_000.0],
            "share_of_spending": [0.306, 0.034],
            "size": ["høj", "lav"],
            "price_difference": [0.077, 0.036],
            "rate_difference": [0.339, -0.16],
        }
    )
    words = text.recommendations_text(page, rec)
    assert "**Begge**" in words and "5.38.50 Botilbud til længerevarende ophold (høj, 29,7 mio. kr.)" in words
    assert (
        "5.38.52 Botilbud til midlertidigt ophold (lav, 38 t.kr.)" in words
    )  # small amounts not as '0,0 mio.'
    assert "**Serviceniveau**" not in words
    assert "udgangspunkt for konsulentens faglige vurdering" in words and "lav under 5 %" in words
    assert "Intet område" in text.recommendations_text(page, rec.iloc[0:0])


def _summary(expensive: int, refunded: int, everyone: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "persons": [expensive, refunded, everyone],
            "cost_dkk": [9_000_000.0, 12_000_000.0, 20_000_000.0],
            "refund_dkk": [3_000_000.0, 3_500_000.0, 3_500_000.0],
            "net_cost_dkk": [6_000_000.0, 8_500_000.0, 16_500_000.0],
            "share_of_cost": [0.45, 0.6, 1.0],
            "share_of_persons": [expensive / everyone, refunded / everyone, 1.0],
        },
        index=pd.Index(["expensive", "refunded", "all"], name="group"),
    )


def test_expensive_cases_of_fewer_than_five_are_suppressed(page):
    table = text.expensive_table(page, _summary(3, 40, 100), 2_000_000)
    assert "&lt;5" in table and ">9,0 mio. kr.<" not in table and ">..<" in table
    assert ">40<" in table and ">100<" in table
    words = text.expensive_text(page, _summary(3, 40, 100), 2_000_000, "Statsrefusion", "loven", 2022, 0)
    assert "Færre end 5 borgere" in words and "9,0 mio. kr." not in words and "3 af" not in words
    # the rest beside a group is small (98 of 100 refunded): its 2 persons could be derived, so it is hidden too
    assert ">98<" not in text.expensive_table(page, _summary(10, 98, 100), 2_000_000)


def test_expensive_cases_shown_with_the_refund_before_and_after(page):
    words = text.expensive_text(
        page, _summary(10, 40, 100), 2_000_000, "Statsrefusion i x", "loven § 176", 2022, 7
    )
    assert (
        "10 af 100 borgere med sager på 5.38 havde i 2025 en udgift over 2,0 mio. kr.: tilsammen 9,0 mio. kr."
        in words
    )
    assert "koster de 6,0 mio. kr. For alle borgere udgør refusionen 3,5 mio. kr." in words
    assert "fra 20,0 mio. kr. før til 16,5 mio. kr. efter refusion" in words
    assert "7 sager i året har ingen registreret månedlig udgift" in words and "2022-niveau" in words
    assert ".." not in words


def test_expensive_text_says_what_age_did_to_the_refund(page):
    summary = pd.concat(
        [
            _summary(10, 40, 100),
            pd.DataFrame(
                {"persons": [6, 0, 0], "refund_dkk": [0.0, 0.0, 0.0]},
                index=pd.Index(
                    ["not_refunded_age", "refunded_after_67", "refunded_age_unknown"], name="group"
                ),
            ),
        ]
    )
    summary.attrs["refund_forgone_dkk"] = 2_500_000.0
    words = text.expensive_text(page, summary, 2_000_000, "Statsrefusion i x", "loven § 176", 2022, 0)
    # the ages are known now: the former claim that cases hold no age (so the refund is an upper bound) is gone
    assert "rummer ikke alder" not in words and "øvre grænse" not in words
    assert (
        "6 borgere på 67 år eller derover var ikke omfattet og får ingen refusion (ellers 2,5 mio. kr.)"
        in words
    )
    assert words.endswith("Beløbene er i løbende priser.")


def _munis(index_years):
    """Three municipalities in 2025 with the loaded index's year per municipality (None: illustrative)."""
    return pd.DataFrame(
        {
            "municipality_code": [101, 147, 706],
            "year": [2025, 2025, 2025],
            "socioeconomic_index_year": pd.array(index_years, dtype="Int64"),
        }
    )


def test_index_source_names_the_ministry_index_when_every_municipality_has_it():
    assert text.index_source(_munis([2024, 2024, 2024]), 2025) == (
        "Indenrigs- og Boligministeriets socioøkonomiske indeks 2024"
    )


def test_index_source_says_illustrative_when_none_was_loaded_and_counts_the_gaps():
    assert "illustrative" in text.index_source(_munis([None, None, None]), 2025)
    mixed = text.index_source(_munis([2024, None, None]), 2025)
    assert mixed.startswith("Indenrigs- og Boligministeriets socioøkonomiske indeks 2024; for 2 kommuner ")
    assert "illustrative" in mixed


def _headline(distances):
    peers = pd.DataFrame({"municipality_code": [2, 3], "distance": distances})
    p = text.page(
        "Syddjurs Kommune", "5.38", AREAS, peers, "knn", ["population"], 2018, 2025,
        {"medium_share": 0.05, "high_share": 0.15},
    )  # fmt: skip
    development = pd.DataFrame(
        {
            "year": [2018, 2025],
            "own_spending_dkk": [100e6, 110e6],
            "own_per_resident": [4_000.0, 4_400.0],
            "peer_per_resident": [4_000.0, 4_000.0],
            "difference": [0.0, 0.1],
        }
    )
    effects = pd.DataFrame({"function_code": ["5.38.50"], "spending_direction": ["above"]})
    return text.headline(p, development, effects, _substitution(5e6, 0.0, -2e6))


def test_the_headline_warns_when_the_peers_are_structurally_far_as_the_benchmark_does():
    # mean distance (3,0 + 3,2) / 2 = 3,10 standard deviations, over the benchmark's 1,5
    far = _headline([3.0, 3.2])
    assert "Usikkert" in far and "i gennemsnit 3,10 standardafvigelser fra Syddjurs Kommune" in far
    assert "(over 1,5)" in far
    assert "Usikkert" not in _headline([0.4, 0.6])  # 0,50: a plausible yardstick
    assert "+10,0 %" in far and "+10,0 % fra 2018 til 2025" in far  # 4.400 / 4.000 - 1 and 110 / 100 - 1


def test_the_ranking_never_shows_a_positive_potential_as_zero(page):
    # 5.38.40-like: a price potential of 39,000 kr. (the recommendations say '39 t.kr.'); the ranking table
    # showed it as '0,0 mio. kr.', which reads as no potential
    effects = pd.DataFrame(
        {
            "function_code": ["5.38.50", "5.38.51"],
            "own_spending_dkk": [1.1e6, 20e6],
            "spending_potential_dkk": [0.0, 2e6],
            "price_potential_dkk": [39_000.0, 0.0],
            "quantity_potential_dkk": [0.0, 1.5e6],
        }
    )
    html = text.ranking_table(page, area.ranking(effects))
    first, second = html.split("<tr>")[2:4]
    assert "Botilbudslignende tilbud" in first and ">2,0 mio. kr.<" in first and ">1,5 mio. kr.<" in first
    assert ">39 t.kr.<" in second and ">0,0 mio. kr.<" in second
