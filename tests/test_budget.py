"""The budget model on a budget of two areas computed by hand, the decisions file, and the versioned table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.budget import budget_model, index_factor, parse_decisions, peer_levels
from analysis.errors import InputError

MUNI = 706


def _activity() -> pd.DataFrame:
    rows = [
        # function, paragraph, provider, year, persons, spending
        ("5.38.50", "§108", "internal", 2024, 9.0, 9_000_000.0),
        ("5.38.50", "§108", "external", 2024, 3.0, 4_500_000.0),
        ("5.38.50", "§108", "internal", 2025, 11.0, 11_000_000.0),
        ("5.38.50", "§108", "external", 2025, 4.0, 6_000_000.0),
        ("5.38.52", "§107", "internal", 2024, 20.0, 3_900_000.0),
        ("5.38.52", "§107", "internal", 2025, 20.0, 4_000_000.0),
    ]
    df = pd.DataFrame(
        rows, columns=["function_code", "paragraph", "provider", "year", "full_year_persons", "spending_dkk"]
    )
    other = df.assign(municipality_code=751, full_year_persons=df.full_year_persons * 3)  # never read
    return pd.concat([df.assign(municipality_code=MUNI), other], ignore_index=True)


BUDGETS = pd.DataFrame(
    {
        "municipality_code": [MUNI, MUNI],
        "year": [2025, 2025],
        "function_code": ["5.38.50", "5.38.52"],
        "budget_dkk": [16_000_000.0, 4_500_000.0],
    }
)
POPULATION = {2024: 10_000, 2025: 10_000, 2026: 10_200}  # 18-64: +2 % into the budget year
DECISIONS = parse_decisions(
    {
        "decisions": [
            {
                "function_code": "5.38.52",
                "paragraph": "§107",
                "provider": "internal",
                "persons": -2,
                "text": "To borgere flytter til eget botilbud",
            },
            {
                "function_code": "5.38.50",
                "paragraph": "§108",
                "provider": "external",
                "price_change": -0.10,
                "text": "Genforhandling af prisen på eksterne pladser",
            },
        ]
    }
)


def _model(**kw):
    args = dict(
        population=POPULATION,
        price_index={2025: 100.0, 2026: 103.0},
        trend_years=1,
        decisions=DECISIONS,
        budgets=BUDGETS,
    )
    args.update(kw)
    return budget_model(_activity(), MUNI, 2026, **args)


def test_a_budget_of_two_areas_by_hand():
    # 5.38.50: rate 12 -> 15 per 10,000 from 2024 to 2025: trend +25 %; demography 10,200 / 10,000; index 1.03
    #   internal: 11 x 1.25 x 1.02 = 14.025 persons at 1,000,000 x 1.03 = 1,030,000 kr. -> 14,445,750
    #   external:  4 x 1.25 x 1.02 = 5.1 persons at 1,500,000 x 1.03 x 0.9 = 1,390,500 kr. -> 7,091,550
    # 5.38.52: no trend; 20 x 1.02 - 2 = 18.4 persons at 200,000 x 1.03 = 206,000 kr. -> 3,790,400
    r = _model()
    a = r.assumptions.set_index(["function_code", "paragraph", "provider"])
    expected = {
        ("5.38.50", "§108", "internal"): (14.025, 1_030_000.0, 14_445_750.0),
        ("5.38.50", "§108", "external"): (5.1, 1_390_500.0, 7_091_550.0),
        ("5.38.52", "§107", "internal"): (18.4, 206_000.0, 3_790_400.0),
    }
    assert len(a) == 3
    for key, (q, p, amount) in expected.items():
        assert a.loc[key, "full_year_persons"] == pytest.approx(q)
        assert a.loc[key, "price_dkk"] == pytest.approx(p)
        assert a.loc[key, "amount_dkk"] == pytest.approx(amount)
    assert r.total_dkk == pytest.approx(25_327_700.0)
    assert (r.assumptions.municipality_code == MUNI).all() and (r.assumptions.year == 2026).all()
    assert r.areas.loc["5.38.50", "trend"] == pytest.approx(0.25)
    assert r.areas.loc["5.38.50", "price_dkk"] == pytest.approx(21_537_300.0 / 19.125)


def test_the_bridge_from_last_years_budget_adds_up_step_by_step():
    b = _model().bridge
    # 5.38.50: budget 16.0 mio.; actual 2025 17.0 (drift +1.0); trend: 13.75 x 1.0 mio. + 5 x 1.5 mio. = 21.25
    # (+4.25); demography +2 % of 21.25 = +0.425; prices +3 % of 21.675 = +0.65025; decision -10 % of the
    # external 5.1 x 1,545,000 = -787,950
    assert b.loc["5.38.50"].to_dict() == pytest.approx(
        {
            "last_budget_dkk": 16_000_000.0,
            "drift_dkk": 1_000_000.0,
            "trend_dkk": 4_250_000.0,
            "demography_dkk": 425_000.0,
            "prices_dkk": 650_250.0,
            "peers_dkk": 0.0,
            "decisions_dkk": -787_950.0,
            "budget_dkk": 21_537_300.0,
        }
    )
    # 5.38.52: 4.5 -> actual 4.0 (-0.5); demography +80,000; prices +122,400; two persons fewer -412,000
    assert b.loc["5.38.52", ["drift_dkk", "demography_dkk", "prices_dkk", "decisions_dkk"]].tolist() == (
        pytest.approx([-500_000.0, 80_000.0, 122_400.0, -412_000.0])
    )
    steps = ["last_budget_dkk", "drift_dkk", "trend_dkk", "demography_dkk", "prices_dkk", "peers_dkk"]
    assert b[[*steps, "decisions_dkk"]].sum(axis=1).to_numpy() == pytest.approx(b["budget_dkk"].to_numpy())
    assert b.loc["total", "budget_dkk"] == pytest.approx(25_327_700.0)
    assert b.loc["total", "last_budget_dkk"] == pytest.approx(20_500_000.0)


def test_each_decision_has_its_effect_and_its_text():
    d = _model().decisions
    assert d["effect_dkk"].tolist() == pytest.approx([-412_000.0, -787_950.0])
    assert d["kind"].tolist() == ["persons", "price_change"]
    assert d["text"].iloc[0] == "To borgere flytter til eget botilbud"


def test_an_amount_is_put_on_the_price_so_that_amount_is_persons_times_price():
    amount = parse_decisions(
        {
            "decisions": [
                {
                    "function_code": "5.38.52",
                    "paragraph": "§107",
                    "provider": "internal",
                    "amount_dkk": 204_000,
                    "text": "Ny aftale",
                }
            ]
        }
    )
    r = _model(decisions=amount)
    row = r.assumptions.set_index("function_code").loc["5.38.52"]
    # 20.4 persons at 206,000 = 4,202,400 + 204,000 = 4,406,400 = 20.4 x 216,000
    assert row.full_year_persons == pytest.approx(20.4)
    assert row.price_dkk == pytest.approx(216_000.0)
    assert row.amount_dkk == pytest.approx(4_406_400.0)


def test_a_step_toward_the_peers_lowers_only_what_is_above_them():
    # 5.38.52 at the budget year: 20.4 persons per 10,200 = 2.0 per 1,000; peers 1.5: half-way = x 0.875.
    # 5.38.50: rate 19.125 / 10.2 = 1.875 per 1,000, below the peers' 2.5: not raised; its price above the peers'
    peers = pd.DataFrame(
        {"peer_price_dkk": [2_000_000.0, 200_000.0], "peer_rate": [2.5, 1.5], "peers": [10, 10]},
        index=pd.Index(["5.38.50", "5.38.52"], name="function_code"),
    )
    r = _model(decisions=[], peers=peers, peer_step=0.5)
    a = r.assumptions.set_index("function_code")
    assert a.loc["5.38.52", "full_year_persons"] == pytest.approx(20.4 * 0.875)
    assert a.loc["5.38.52", "price_dkk"] == pytest.approx(206_000.0)  # at the peers' indexed price: unchanged
    assert a.loc["5.38.50", "full_year_persons"].tolist() == pytest.approx([5.1, 14.025])
    assert a.loc["5.38.50", "price_dkk"].tolist() == pytest.approx([1_545_000.0, 1_030_000.0])
    assert r.bridge.loc["5.38.52", "peers_dkk"] == pytest.approx(-0.125 * 20.4 * 206_000.0)
    assert r.areas.loc["5.38.52", "peer_rate"] == 1.5


def test_without_an_index_the_documented_growth_rate_is_used():
    r = budget_model(_activity(), MUNI, 2026, population=POPULATION, trend_years=0, price_growth=0.02)
    a = r.assumptions.set_index(["function_code", "paragraph"])
    assert a.loc[("5.38.52", "§107"), "price_dkk"].item() == pytest.approx(204_000.0)
    assert a.loc[("5.38.52", "§107"), "full_year_persons"].item() == pytest.approx(20.4)
    assert r.inputs["price_factor"] == pytest.approx(1.02) and r.inputs["trend_years"] == 0
    assert index_factor({2024: 100.0}, 2024, 2026, 0.03) == pytest.approx(1.0609)


def test_population_beyond_the_figures_is_carried_with_the_growth_parameter():
    r = budget_model(
        _activity(), MUNI, 2026, population={2025: 10_000}, population_growth=0.01, trend_years=0
    )
    assert r.inputs["demography_factor"] == pytest.approx(1.01)


def test_peer_levels_are_weighted_totals():
    act = pd.DataFrame(
        {
            "municipality_code": [1, 2, 3],
            "year": 2025,
            "function_code": "5.38.50",
            "paragraph": "§108",
            "provider": "internal",
            "full_year_persons": [10.0, 30.0, 99.0],
            "spending_dkk": [10e6, 50e6, 1.0],
        }
    )
    munis = pd.DataFrame(
        {"municipality_code": [1, 2, 3], "year": 2025, "population_18_64": [10_000, 10_000, 1]}
    )
    p = peer_levels(act, munis, [1, 2], 2025).loc["5.38.50"]
    assert p.peer_price_dkk == pytest.approx(1_500_000.0)  # 60 mio. / 40 persons
    assert p.peer_rate == pytest.approx(2.0)  # 40 per 20,000 residents = 2 per 1,000
    assert p.peers == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "decisions": [
                    {"function_code": "5.38.50", "paragraph": "§108", "provider": "internal", "persons": 1}
                ]
            },
            "decision 1: 'text' must be given",
        ),
        (
            {
                "decisions": [
                    {
                        "function_code": "5.38.50",
                        "paragraph": "§108",
                        "provider": "internal",
                        "text": "x",
                        "persons": 1,
                        "amount_dkk": 5,
                    }
                ]
            },
            "exactly one of persons, price_change, amount_dkk",
        ),
        (
            {
                "decisions": [
                    {
                        "function_code": "5.38.50",
                        "paragraph": "§108",
                        "provider": "internal",
                        "text": "x",
                        "price_change": 5,
                    }
                ]
            },
            "'price_change' is a fraction",
        ),
        (
            {
                "decisions": [
                    {
                        "function_code": "5.38.50",
                        "paragraph": "§108",
                        "provider": "internal",
                        "text": "x",
                        "price_pct": -0.03,
                    }
                ]
            },
            "the key 'price_pct' is no longer read; did you mean price_change",
        ),
        (
            {
                "decisions": [
                    {
                        "function_code": "5.38.50",
                        "paragraph": "§108",
                        "provider": "internal",
                        "text": "x",
                        "person": 1,
                    }
                ]
            },
            r"unknown key 'person' \(did you mean 'persons'\?\)",
        ),
        ({"decision": []}, "expected one key 'decisions'"),
    ],
)
def test_unclear_decisions_are_refused_naming_the_file_and_decision(data, message):
    with pytest.raises(InputError, match=message) as e:
        parse_decisions(data, source="beslutninger.yaml")
    assert str(e.value).startswith("beslutninger.yaml")


def test_a_decision_on_a_row_without_activity_is_refused():
    bad = parse_decisions(
        {
            "decisions": [
                {
                    "function_code": "5.38.52",
                    "paragraph": "§107",
                    "provider": "external",
                    "persons": 1,
                    "text": "Ny plads",
                }
            ]
        }
    )
    with pytest.raises(InputError, match="no activity in 2025 on 5.38.52 §107 external; rows of 5.38.52: "):
        _model(decisions=bad)


def _one(**kw) -> dict:
    return {"function_code": "5.38.50", "paragraph": "§108", "provider": "external", "text": "x", **kw}


def test_a_decision_given_twice_is_refused_not_applied_twice():
    # a copied entry applied -2 persons twice (-4) without a word; same row and text, whatever the change
    twice = {"decisions": [_one(persons=-2), _one(persons=-2)]}
    with pytest.raises(InputError, match="beslutninger.yaml: decision 2: repeats decision 1") as e:
        parse_decisions(twice, source="beslutninger.yaml")
    assert "give each decision its own text" in str(e.value)
    edited = {"decisions": [_one(persons=-2), _one(persons=-1, text="y"), _one(price_change=-0.1)]}
    with pytest.raises(InputError, match="decision 3: repeats decision 1"):
        parse_decisions(edited, source="beslutninger.yaml")
    # two decisions on one row, each with its own text, are two decisions: -2 + -1 persons on 4 x 1.25 x 1.02
    two = parse_decisions({"decisions": [_one(persons=-2), _one(persons=-1, text="y")]})
    a = _model(decisions=two).assumptions.set_index(["function_code", "provider"])
    assert a.loc[("5.38.50", "external"), "full_year_persons"].item() == pytest.approx(5.1 - 3)


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (
            _one(function_code="5.38.500", persons=1),
            r"beslutninger.yaml: decision 1 \(x\): no activity in 2025 on 5.38.500 §108 external: the area 5.38.500 "
            r"has none \(did you mean '5.38.50'\?\); areas with activity: 5.38.50, 5.38.52$",
        ),
        (
            _one(provider="ekstern", persons=1),
            r"beslutninger.yaml: decision 1 \(x\): .*provider 'ekstern' \(did you mean 'external'\?\); rows of "
            "5.38.50: 5.38.50 §108 external, 5.38.50 §108 internal$",
        ),
        (_one(persons=-10), r"^beslutninger.yaml: decision 1 \(x\): -10 full-year persons would leave fewer"),
    ],
)
def test_a_decision_the_base_year_cannot_take_is_refused_naming_the_file(decision, message):
    decisions = parse_decisions({"decisions": [decision]}, source="beslutninger.yaml")
    with pytest.raises(InputError, match=message):
        _model(decisions=decisions, decisions_source="beslutninger.yaml")


def test_a_base_year_without_activity_is_refused():
    with pytest.raises(InputError, match="no activity of 706 in the base year 2023"):
        budget_model(_activity(), MUNI, 2024)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        # 3 meant as 3 %: (1 + 3) ** year overflowed (a traceback), or with an index a fourfold price
        ({"price_growth": 3.0}, r"price_growth is a fraction a year .* found 3; did you mean 0.03 \(3 %\)\?"),
        ({"price_growth": -1.5}, "price_growth is a fraction a year"),  # (1 - 1.5) ** year: division by zero
        ({"population_growth": -1.0}, "population_growth is a fraction a year"),  # a budget of 0 kr.
        ({"population_growth": 2.0}, r"did you mean 0.02 \(2 %\)\?"),  # three times the persons
        ({"population_growth": float("nan")}, "population_growth is a fraction a year"),
        ({"trend_years": -2}, "trend_years is a number of years, 0 for no trend, found -2"),
    ],
)
def test_an_absurd_growth_or_trend_is_refused_not_computed(kw, message):
    with pytest.raises(InputError, match=message):
        budget_model(_activity(), MUNI, 2026, population={2025: 10_000}, **kw)


def test_the_largest_growth_the_report_takes_is_computed():
    # the budget report's parameters allow -0.5..0.5; 5.38.52 §107: 20 persons x 0.5 (no trend) at 200,000 x 1.5
    r = budget_model(
        _activity(),
        MUNI,
        2026,
        population={2025: 10_000},
        population_growth=-0.5,
        price_growth=0.5,
        trend_years=0,
    )
    a = r.assumptions.set_index(["function_code", "paragraph"]).loc[("5.38.52", "§107")]
    assert a.full_year_persons.item() == pytest.approx(10.0)
    assert a.price_dkk.item() == pytest.approx(300_000.0)


def test_versions_are_appended_never_overwritten(own_con):
    from analysis.data import journal

    first = _model()
    r1 = journal.record_budget_assumptions(
        own_con, first.assumptions, first.inputs, created_at="2025-09-01T10:00:00"
    )
    again = journal.record_budget_assumptions(own_con, first.assumptions, first.inputs)
    second = _model(decisions=DECISIONS[:1])
    r2 = journal.record_budget_assumptions(own_con, second.assumptions, second.inputs)
    assert (r1.version, r1.recorded, again.version, again.recorded, r2.version, r2.recorded) == (
        1,
        True,
        1,
        False,
        2,
        True,
    )
    latest = journal.budget_assumptions(own_con, MUNI, 2026)
    old = journal.budget_assumptions(own_con, MUNI, 2026, version=1)
    assert latest.version.unique().tolist() == [2] and old.version.unique().tolist() == [1]
    assert old.amount_dkk.sum() == pytest.approx(25_327_700.0)
    assert latest.amount_dkk.sum() == pytest.approx(25_327_700.0 + 787_950.0)
    assert old.created_at.iloc[0] == "2025-09-01T10:00:00"
    assert json.loads(old.inputs.iloc[0])["decisions"][1]["price_change"] == -0.1
    versions = journal.budget_versions(own_con, MUNI, 2026)
    assert versions.version.tolist() == [1, 2]
    assert own_con.execute("SELECT count(*) FROM budget_assumptions").fetchone()[0] == 6


def test_the_table_refuses_an_amount_that_is_not_persons_times_price(own_con):
    from analysis.data import journal
    from analysis.data.schema import SchemaError

    rows = _model().assumptions.copy()
    rows.loc[0, "amount_dkk"] += 10
    with pytest.raises(SchemaError, match="amount_dkk equal to full_year_persons × price_dkk"):
        journal.record_budget_assumptions(own_con, rows, {})
    assert journal.budget_assumptions(own_con, MUNI, 2026).empty


def test_the_area_table_and_the_bridge_steps_of_the_report():
    from analysis.budget import area_summary, bridge_steps

    r = _model()
    t = area_summary(r, {"5.38.50": "Botilbud"}).set_index("name")
    assert t.index.tolist() == ["Botilbud", "5.38.52", "I alt"]
    assert t.loc["I alt", "amount_dkk"] == pytest.approx(25_327_700.0)
    assert t.loc["I alt", "full_year_persons"] == pytest.approx(19.125 + 18.4)
    assert t.loc["I alt", "change_dkk"] == pytest.approx(25_327_700.0 - 20_500_000.0)
    s = bridge_steps(r).set_index("step")
    assert (
        s.loc["last_budget_dkk", "label"] == "Budget 2025"
        and s.loc["budget_dkk", "label"] == "Budgetbehov 2026"
    )
    assert s.loc["drift_dkk", ["start_dkk", "end_dkk"]].tolist() == pytest.approx(
        [20_500_000.0, 21_000_000.0]
    )
    assert s.loc["decisions_dkk", "end_dkk"] == pytest.approx(25_327_700.0)
    # without last year's budget the bridge starts at the base year's actual, 21.0 mio. kr.
    s = bridge_steps(_model(budgets=None)).set_index("step")
    assert s.index[0] == "base_dkk" and s.loc["base_dkk", "dkk"] == pytest.approx(21_000_000.0)
    assert s.loc["base_dkk", "label"] == "Regnskab 2025"


def test_the_budget_reports_tables_show_the_hand_computed_figures():
    from analysis.reporting.rounds import budget_tables

    t = budget_tables(_model(), {"5.38.50": "Botilbud", "5.38.52": "Midlertidige botilbud"}, {})
    assert ">25,3 mio. kr.<" in t["areas"] and ">+4,8 mio. kr.<" in t["areas"]  # 25.33 - 20.5
    assert ">1.126 t.kr.<" in t["areas"]  # 21,537,300 / 19.125 persons
    assert ">+14,2" not in t["bridge"] and ">+4,3 mio. kr.<" in t["bridge"]  # the trend of 5.38.50
    assert "To borgere flytter til eget botilbud" in t["decisions"] and ">-0,4 mio. kr.<" in t["decisions"]
    assert "Sammenligningskommuner: ingen" in t["peers"]
    assert ">ekstern<" in t["rows"] and ">1.391 t.kr.<" in t["rows"]
    assert "+0,0" not in "".join(v for v in t.values() if v)  # a change that rounds to zero has no sign


def test_the_budget_tables_cell_formats():
    from analysis.reporting import rounds

    # the formats of the budget and follow-up tables, on hand-picked amounts (DKK)
    assert rounds.MIO(25_327_700) == "25,3 mio. kr."
    assert rounds.SIGNED_MIO(4_827_700) == "+4,8 mio. kr." and rounds.SIGNED_MIO(-400_000) == "-0,4 mio. kr."
    assert rounds.SIGNED_MIO(-40_000) == "0,0 mio. kr."  # -0,04 mio. rounds to 0,0
    assert rounds.TKR(1_126_132.0) == "1.126 t.kr."  # 21.537.300 / 19,125 persons
    assert rounds.MIO_NUMBER(15_500_000) == "15,5" and rounds.SIGNED_MIO_NUMBER(1_000_000) == "+1,0"
    assert (
        rounds.ONE_DECIMAL(19.125) == "19,1" and rounds.TWO_DECIMALS(1.255) == "1,26"
    )  # half away from zero


def test_an_earlier_base_year_carries_prices_over_two_years_and_notes_a_missing_trend():
    r = budget_model(
        _activity(), MUNI, 2026, base_year=2024, population=POPULATION, price_growth=0.02, trend_years=1
    )
    a = r.assumptions.set_index(["function_code", "paragraph", "provider"])
    # 2024: 20 persons at 195,000 kr.; prices x 1.02^2; demography 10,200 / 10,000; no year 2023 for a trend
    assert a.loc[("5.38.52", "§107", "internal"), "price_dkk"] == pytest.approx(195_000.0 * 1.0404)
    assert a.loc[("5.38.52", "§107", "internal"), "full_year_persons"] == pytest.approx(20.4)
    assert r.inputs["trend_missing"] == ["5.38.50", "5.38.52"] and r.base_year == 2024


def test_the_budget_pages_heading_and_summary_state_the_hand_computed_bridge():
    import dataclasses

    from analysis.reporting import budget_page as page

    r = _model()
    assert page.heading(r) == "Budgetforudsætninger 2026: Syddjurs Kommune"
    assert page.heading(dataclasses.replace(r, municipality_code=101)) == (
        "Budgetforudsætninger 2026: Københavns Kommune"  # the official name, genitive
    )
    items = dict(page.summary_items(r, None))
    # 25,327,700 kr. to 19.125 + 18.4 = 37.525 persons; +4,827,700 (23.5 %) from the budget 2025 of 20.5 mio. kr.
    assert items["Budgetbehov 2026"] == "25,3 mio. kr. til 37,5 helårspersoner"
    assert items["Mod budget 2025"] == "+4,8 mio. kr. (23,5 %) fra 20,5 mio. kr."
    # drift +1.0 - 0.5; trend +4.25; demography 425,000 + 80,000; prices 650,250 + 122,400; decisions
    # -787,950 - 412,000
    assert items["Heraf"] == (
        "drift (regnskab 2025 mod budget 2025) +0,5 mio. kr., udvikling (trend) +4,3 mio. kr., demografi "
        "+0,5 mio. kr., pris og løn +0,8 mio. kr., beslutninger -1,2 mio. kr."
    )
    assert items["Registreret"].startswith("ikke registreret endnu")
    assert [k for k, _ in page.summary_items(r, None)][:2] == ["Budgetbehov 2026", "Mod budget 2025"]
    recorded = pd.Series({"version": 2, "created_at": "2025-11-03T10:00:00+00:00"})
    assert dict(page.summary_items(r, recorded))["Registreret"] == (
        "version 2 af budgetforudsætningerne for 2026 (2025-11-03)."
    )
    # without last year's budget there is nothing to compare with and no drift: not 'drift ... 0,0 mio. kr.', a
    # measured nothing; the steps start at the actual of 2025, 11 + 6 + 4 = 21 mio. kr.
    items = dict(page.summary_items(_model(budgets=None), None))
    assert "Mod budget 2025" not in items and items["Heraf"].startswith(
        "drift ikke opgjort (budget 2025 mangler for et eller flere områder); fra regnskab 2025 21,0 mio. kr.: "
        "udvikling (trend) +4,3 mio. kr.,"
    )
    assert "0,0" not in items["Heraf"]
    assert page.headline_text(r) == "Til 37,5 helårspersoner."
    assert page.persons(r) == pytest.approx(37.525)


def test_the_bridge_chart_floats_each_step_from_the_level_before():
    import matplotlib.pyplot as plt

    from analysis.reporting import budget_page as page
    from analysis.reporting.charts import PALETTE

    fig = page.bridge_figure(_model())
    assert not plt.fignum_exists(fig.number)  # detached: shown once, where fmt.show is called
    (ax,) = fig.axes
    bars = ax.patches
    # budget 2025, drift, trend, demography, prices, peers, decisions, budget need 2026
    levels = [20.5e6, 21.0e6, 25.25e6, 25.755e6, 26.52765e6, 26.52765e6, 25.3277e6, 25.3277e6]
    assert len(bars) == 8
    assert bars[0].get_y() == pytest.approx(0.0) and bars[0].get_height() == pytest.approx(20.5e6)
    assert bars[2].get_y() == pytest.approx(21.0e6) and bars[2].get_height() == pytest.approx(4.25e6)
    assert bars[6].get_y() == pytest.approx(25.3277e6) and bars[6].get_height() == pytest.approx(1.19995e6)
    assert bars[7].get_height() == pytest.approx(levels[-1])
    hex_of = [plt.matplotlib.colors.to_hex(b.get_facecolor()) for b in bars]
    assert hex_of[0] == hex_of[7] == PALETTE[5] and hex_of[2] == PALETTE[2] and hex_of[6] == PALETTE[3]
    assert ax.get_ylim() == pytest.approx((20.5e6 * 0.9, 26.52765e6 * 1.03))
    assert ax.get_xticklabels()[0].get_text() != ""


def test_the_budget_pages_method_names_the_trend_prices_peers_and_decisions():
    import dataclasses

    from analysis.reporting import budget_page as page

    text = page.method_text(_model(), {"5.38.50": "Botilbud"}, "", is_sample=False)
    assert text.startswith("## Metode og data\n\n")
    assert "over de 1 år til og med 2025." in text
    assert "faktor 1,0200." in text  # 10,200 / 10,000
    assert "antaget vækst: de 18-64-årige 2026 mod 2025" in text and "ingen befolkningsfremskrivning" in text
    assert "**Pris og løn:** faktor 1,0300, fra pris- og lønindekset for kommunale serviceudgifter" in text
    assert "de vises kun til sammenligning." in text and "**Beslutninger:** ingen." in text
    assert "eksempeldata" not in text
    r = budget_model(
        _activity(), MUNI, 2026, base_year=2024, population=POPULATION, price_growth=0.02, trend_years=1
    )
    text = page.method_text(r, {"5.38.50": "Botilbud"}, "parameters/budget/x.yaml", is_sample=True)
    assert "over de 1 år til og med 2024; uden trend (for få år i data): botilbud, 5.38.52." in text
    assert "faktor 1,0404, en antaget vækst på 2,0 % om året" in text  # 1.02 over two years
    assert "fra beslutningsfilen x.yaml, i filens rækkefølge. Tallene er dannede eksempeldata" in text
    assert "parameters/" not in text and "workbench" not in text
    r = _model()
    r = dataclasses.replace(r, inputs={**r.inputs, "peer_step": 0.5, "peer_codes": [751, 707]})
    text = page.method_text(r, {}, "", is_sample=False)
    assert (
        "de 2 kommuner, der ligner mest på strukturelle kendetegn i 2025; budgettet tager 50 % af vejen mod deres "
        "niveau, hvor kommunen ligger over." in text
    )


def test_the_summary_does_not_state_a_demography_it_has_no_population_for():
    from analysis.reporting import budget_page as page

    # no 18-64 figure for 2026 and no projection: the old summary said 'demografi 0,0 mio. kr.', a measured
    # change of nothing, where the model only assumed the population unchanged
    r = _model(population={2024: 10_000, 2025: 10_000})
    assert r.demography_assumed and r.inputs["demography_factor"] == 1.0
    heraf = dict(page.summary_items(r, None))["Heraf"]
    assert "demografi ikke opgjort (intet befolkningstal for 2026; regnet som uændret)" in heraf
    assert "demografi 0,0" not in heraf
    # an assumed growth of 1 % a year: half the +2 % of the hand-computed bridge, 505,000 / 2 = 252,500 kr.
    r = _model(population={2024: 10_000, 2025: 10_000}, population_growth=0.01)
    assert r.inputs["demography_factor"] == pytest.approx(1.01)
    assert (
        "demografi +0,3 mio. kr. (antaget 1,0 % vækst om året; intet befolkningstal for 2026)"
        in dict(page.summary_items(r, None))["Heraf"]
    )
    # with the figure for 2026 the step is measured and stated plainly
    assert not _model().demography_assumed


def _bridge_row(html: str, label: str) -> str:
    start = html.index(f">{label}<")
    return html[start : html.index("</tr>", start)]


def test_the_bridge_table_does_not_show_a_step_it_did_not_measure_or_take_as_0_0():
    from analysis.reporting.rounds import budget_tables

    # no 18-64 figure for 2026, no projection, no growth: the summary says 'ikke opgjort'; the table said
    # 'Demografi 0,0 mio. kr.' beside it, and 'Tilpasning mod sammenligningskommuner 0,0' with no step chosen
    t = budget_tables(_model(population={2024: 10_000, 2025: 10_000}), {}, {})["bridge"]
    row = _bridge_row(t, "Demografi: ikke opgjort (intet befolkningstal for 2026; regnet som uændret)")
    assert ">–<" in row and "0,0" not in row
    assert ">–<" in _bridge_row(t, "Tilpasning mod sammenligningskommuner: ikke valgt")
    assert "0,0 mio. kr." not in t
    # measured: +2 % residents on the persons after the trend at the base prices,
    # 0.02 x (13.75 x 1,000,000 + 5 x 1,500,000 + 20 x 200,000) = 505,000 kr.
    t = budget_tables(_model(), {}, {})["bridge"]
    assert ">+0,5 mio. kr.<" in _bridge_row(t, "Demografi")
    # an assumed growth is a figure, labelled as assumed
    t = budget_tables(_model(population={2024: 10_000, 2025: 10_000}, population_growth=0.01), {}, {})[
        "bridge"
    ]
    assert ">+0,3 mio. kr.<" in _bridge_row(
        t, "Demografi: antaget 1,0 % vækst om året (intet befolkningstal for 2026)"
    )
    # a step toward the peers that was chosen keeps its figure (here 0: no peers above, but it was taken)
    r = _model(
        peers=pd.DataFrame({"peer_price_dkk": [1e9], "peer_rate": [1e9]}, index=["5.38.50"]), peer_step=0.5
    )
    assert ">Tilpasning mod sammenligningskommuner<" in budget_tables(r, {}, {})["bridge"]


def test_the_report_names_the_recorded_version_of_what_it_shows_and_the_latest(own_con):
    from analysis.data import journal
    from analysis.reporting import budget_page as page
    from analysis.reporting import rounds

    # version 1 with both decisions: 25,327,700 kr.; version 2 without the -10 % price: + 787,950 = 26,115,650 kr.
    first, second = _model(), _model(decisions=DECISIONS[:1])
    journal.record_budget_assumptions(
        own_con, first.assumptions, first.inputs, created_at="2025-09-01T10:00:00"
    )
    journal.record_budget_assumptions(
        own_con, second.assumptions, second.inputs, created_at="2025-10-01T10:00:00"
    )
    versions = rounds.budget_versions(own_con, first)
    # the report of version 1's inputs said 'ikke registreret endnu' once version 2 was recorded
    recorded = rounds.recorded_budget_version(own_con, first)
    assert int(recorded.version) == 1
    assert dict(page.summary_items(first, recorded, versions))["Registreret"] == (
        "version 1 af budgetforudsætningerne for 2026 (2025-09-01), men den seneste registrerede version, som "
        "opfølgningen måler mod, er version 2 fra 2025-10-01 (26,1 mio. kr.)."
    )
    # the latest names what it replaced: 26,115,650 - 25,327,700 = +787,950 kr.
    recorded = rounds.recorded_budget_version(own_con, second)
    assert dict(page.summary_items(second, recorded, versions))["Registreret"] == (
        "version 2 af budgetforudsætningerne for 2026 (2025-10-01); den erstatter version 1 fra 2025-09-01 "
        "(25,3 mio. kr., +0,8 mio. kr. nu)."
    )
    # inputs never recorded: not stored, and the latest version named
    third = _model(decisions=[])
    assert rounds.recorded_budget_version(own_con, third) is None
    assert dict(page.summary_items(third, None, versions))["Registreret"] == (
        "ikke registreret: forudsætningerne er ikke gemt som en version i værktøjets journal; den seneste "
        "registrerede version, som opfølgningen måler mod, er version 2 fra 2025-10-01 (26,1 mio. kr.)."
    )
