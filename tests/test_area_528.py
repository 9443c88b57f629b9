"""The area report for main function 5.28 (children and young people): substitution between the places of
placement, the words of its text, and the sample's planted deviation of Syddjurs."""

from __future__ import annotations

import pandas as pd

from analysis import area
from analysis import expensive_cases as ec
from analysis.data import queries, reference
from analysis.reporting import area_page as text


def _page():
    return text.page(
        "Syddjurs Kommune",
        "5.28",
        reference.function_areas("5.28"),
        pd.DataFrame({"municipality_code": [2, 3]}),
        "list",
        ["population"],
        2018,
        2025,
        {"medium_share": 0.05, "high_share": 0.15},
    )


def test_reference_areas_of_5_28():
    fa = reference.function_areas("5.28").set_index("function_code")
    assert list(fa.index) == ["5.28.20", "5.28.21", "5.28.22", "5.28.23", "5.28.24"]
    assert fa.loc["5.28.22", "paragraphs"].startswith("barnets lov § 43, stk. 1, nr. 1-4")
    assert len(reference.function_areas("5.38")) == 11 and len(reference.function_areas()) == 16


def test_substitution_of_placements_by_hand():
    effects = pd.DataFrame(
        {
            "function_code": ["5.28.20", "5.28.21", "5.28.22", "5.28.23"],
            "own_persons": [10.0, 50.0, 40.0, 14.0],
            "expected_persons": [12.0, 45.0, 50.0, 9.0],
            "quantity_effect_dkk": [-2.2e6, 0.4e6, -4.2e6, 6.75e6],
        }
    )
    s = area.substitution(effects, area.SUBSTITUTION_SETS["5.28"]).set_index("function_code")
    # foster families, opholdssteder, children's homes; preventive measures (5.28.21) stand in for none of them
    assert list(s.index) == ["5.28.22", "5.28.20", "5.28.23", "net"]
    # net = -4.2 - 2.2 + 6.75 = 0.35 mio.; offset = min(6.75, 6.4) = 6.4 mio.; persons -10 - 2 + 5 = -7
    assert round(s.loc["net", "quantity_effect_dkk"]) == 350_000
    assert round(s.loc["net", "offset_dkk"]) == 6_400_000 and s.loc["net", "persons_difference"] == -7
    page = _page()
    said = text.substitution_text(page, s.reset_index())
    assert said.startswith("Syddjurs Kommune har flere børn og unge end sammenligningskommunerne på 5.28.23")
    assert "antallet af anbragte børn og unge" in said
    assert text.substitution_intro(page).startswith("### Anbringelsesstederne samlet")
    assert "Anbringelsessted" in text.substitution_table(page, s.reset_index())
    assert "0-17-årige" in text.method_text(page)  # the yardstick's caveat


def test_no_cases_on_5_28_is_said_not_shown_as_zero():
    empty = pd.DataFrame(columns=["person_id", "start_date", "end_date", "monthly_cost_dkk", "function_code"])
    costs = ec.person_costs(empty, 2025, "5.28")
    summary = ec.expensive_summary(costs, [(1_000_000.0, 0.25)])
    said = text.expensive_text(_page(), summary, 2e6, "t", "s", 2025, 0, tiers=[(1_000_000.0, 0.25)])
    assert said.startswith("Kommunens sagsdata har ingen sager med en udgift på 5.28")
    assert "ikke relevante" in text.older_text(_page(), pd.DataFrame())


def test_syddjurs_places_more_children_in_homes_in_the_sample(con):
    munis = queries.municipalities(con, years=(2025, 2025))
    activity = queries.activity(con, years=(2025, 2025))
    peers = [c for c in munis["municipality_code"] if c != 706]
    effects = area.area_effects(activity, munis, 706, peers, 2025, "5.28").set_index("function_code")
    assert list(effects.index) == ["5.28.20", "5.28.21", "5.28.22", "5.28.23", "5.28.24"]
    # planted: rate on 5.28.23 x 1.45; against all other municipalities the quantity effect is positive
    assert effects.loc["5.28.23", "quantity_effect_dkk"] > 0
    assert effects.loc["5.28.23", "own_rate"] > effects.loc["5.28.23", "peer_rate"]
