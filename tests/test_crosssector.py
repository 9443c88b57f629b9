"""Cross-sector cost tracing: hand-computed expectations on tiny frames, the sample, and the rendered report."""

import datetime as dt
import json
import re
import types
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import crosssector as xs
from analysis.data.programmes import read_cases, read_members
from analysis.data.unit_costs import read_unit_costs
from analysis.errors import ConfigurationError
from analysis.privacy import find_cpr
from analysis.reporting.crosssector_tables import evidence_da

ROOT = Path(__file__).resolve().parents[1]


def case(person, sector, start, end, cost, measure="M", registered=True):
    return {
        "person_id": person,
        "sector": sector,
        "measure": measure,
        "start_date": pd.Timestamp(start),
        "end_date": pd.Timestamp(end) if end else pd.NaT,
        "monthly_cost_dkk": cost if registered else np.nan,
        "cpr_registered": registered,
    }


def monthly(person, sector, first, last, amount):
    """A costs frame (as from person_month_costs) of ``amount`` DKK in every month first..last."""
    months = pd.period_range(first, last, freq="M")
    return pd.DataFrame(
        {
            "person_id": person,
            "sector": sector,
            "month": months,
            "cost_dkk": float(amount),
            "registered_dkk": float(amount),
            "average_dkk": 0.0,
            "services": 1,
        }
    )


@pytest.fixture
def cases():
    return pd.DataFrame(
        [
            case("a", "employment", "2024-01-16", "2024-03-10", 3100, "Kontanthjælp"),
            case("a", "health", "2024-02-01", None, None, "Alkoholbehandling", registered=False),
            case("b", "children_families", "2024-03-01", "2024-03-31", 900, "Familiebehandling"),
        ]
    )


# --------------------------------------------------------------------------------------------------------------
# Person x sector x month
# --------------------------------------------------------------------------------------------------------------


def test_costs_are_prorated_by_days_and_add_average_costs(cases):
    costs = xs.person_month_costs(cases, {"Alkoholbehandling": 600})
    got = [(r.person_id, r.sector, str(r.month), r.cost_dkk, r.average_dkk) for r in costs.itertuples()]
    # 16 of January's 31 days: 3100 x 16/31 = 1600; February whole; 10 of March's 31 days: 1000.
    # The running alcohol treatment (average 600 a month) runs to the data's last month, March.
    assert got == [
        ("a", "employment", "2024-01", 1600.0, 0.0),
        ("a", "employment", "2024-02", 3100.0, 0.0),
        ("a", "employment", "2024-03", 1000.0, 0.0),
        ("a", "health", "2024-02", 600.0, 600.0),
        ("a", "health", "2024-03", 600.0, 600.0),
        ("b", "children_families", "2024-03", 900.0, 0.0),
    ]
    assert costs["registered_dkk"].sum() == 1600 + 3100 + 1000 + 900 and (costs["services"] == 1).all()
    whole = xs.person_month_costs(cases, {"Alkoholbehandling": 600}, proration="whole")
    assert whole.loc[whole["sector"] == "employment", "cost_dkk"].tolist() == [3100.0] * 3
    cut = xs.person_month_costs(cases, {"Alkoholbehandling": 600}, start="2024-02", end="2024-02")
    assert cut["cost_dkk"].tolist() == [3100.0, 600.0]


def test_concurrent_cases_add_up_and_count_as_services():
    two = pd.DataFrame(
        [case("a", "health", "2024-01-01", "2024-01-31", 100), case("a", "health", "2024-01-01", None, 50)]
    )
    costs = xs.person_month_costs(two, end="2024-02")
    assert costs[["cost_dkk", "services"]].to_numpy().tolist() == [[150.0, 2], [50.0, 1]]


def test_a_missing_unit_cost_or_rule_is_refused(cases):
    with pytest.raises(ValueError, match="no average unit cost .* Alkoholbehandling"):
        xs.person_month_costs(cases, {})
    with pytest.raises(ValueError, match="proration"):
        xs.person_month_costs(cases, {"Alkoholbehandling": 600}, proration="half")
    assert xs.data_end(cases) == pd.Period("2024-03", "M")
    free = pd.DataFrame(
        [case("p1", "health", "2024-01-01", None, np.nan), case("p2", "health", "2024-01-01", None, 10)]
    )
    with pytest.raises(
        ValueError, match=r"^1 CPR-registered case\(s\) without a monthly_cost_dkk .*: row 0$"
    ):
        xs.person_month_costs(free, {})
    with pytest.raises(ValueError, match=r": case S-7$"):
        xs.person_month_costs(free.assign(case_id=["S-7", "S-8"]), {})


def test_unit_costs_are_read_from_the_parameter_file(tmp_path):
    default = read_unit_costs()
    assert default.loc["Støtte- og kontaktperson", "dkk_per_month"] == 5000
    assert set(default.index) == {
        "Støtte- og kontaktperson",
        "Aktivitets- og samværstilbud",
        "Alkoholbehandling",
        "Åben rådgivning",
    }
    assert default["source"].str.len().gt(10).all()
    path = tmp_path / "u.yaml"
    path.write_text(yaml.safe_dump({"X": {"dkk_per_month": 12, "source": "s"}}), "utf-8")
    assert read_unit_costs(path).to_dict("index") == {"X": {"dkk_per_month": 12.0, "source": "s"}}
    path.write_text(yaml.safe_dump({"X": {"dkk_per_month": -1}}), "utf-8")
    with pytest.raises(ConfigurationError, match="X: dkk_per_month must be a positive amount"):
        read_unit_costs(path)
    with pytest.raises(ConfigurationError, match="no such unit-cost file"):
        read_unit_costs(tmp_path / "none.yaml")


def test_a_unit_cost_without_a_source_is_refused_unless_the_file_gives_one(tmp_path):
    path = tmp_path / "u.yaml"

    def read(data):
        path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
        return read_unit_costs(path)

    # before: a bare number was read with source '' and the report printed "7 kr. pr. måned ()"
    with pytest.raises(
        ConfigurationError, match=r"u.yaml: Y: expected a source \(text: where the 7 DKK per month"
    ):
        read({"X": {"dkk_per_month": 12, "source": "s"}, "Y": 7})
    for entry, found in (
        ({"dkk_per_month": 7}, "found no source"),
        ({"dkk_per_month": 7, "source": "  "}, "found source '  '"),
        ({"dkk_per_month": 7, "source": 2024}, "found source 2024"),
    ):
        with pytest.raises(
            ConfigurationError, match=rf"u.yaml: Y: expected a source .*, {found}; give the entry"
        ):
            read({"Y": entry})
    # a misspelt key is no silent missing source
    with pytest.raises(ConfigurationError, match=r"Y: unknown key 'sourse' \(did you mean 'source'\?\)"):
        read({"Y": {"dkk_per_month": 7, "sourse": "Regnskab 2024"}})
    # a file-level source covers the entries without their own; an entry's own source wins
    got = read(
        {"source": "Regnskab 2024 / helårspersoner / 12", "Y": 7, "X": {"dkk_per_month": 12, "source": "s"}}
    )
    assert got.to_dict("index") == {
        "Y": {"dkk_per_month": 7.0, "source": "Regnskab 2024 / helårspersoner / 12"},
        "X": {"dkk_per_month": 12.0, "source": "s"},
    }
    with pytest.raises(
        ConfigurationError, match=r"u.yaml: source: expected the source of the file's unit costs"
    ):
        read({"source": {"dkk_per_month": 7}, "Y": 7})
    # the shipped file: every entry has its own source
    assert read_unit_costs()["source"].str.strip().str.len().gt(0).all()


def test_sector_summary_and_number_of_sectors(cases):
    costs = xs.person_month_costs(cases, {"Alkoholbehandling": 600})
    s = xs.sector_summary(costs, 2024, members=["b"])
    assert s.index.tolist() == [*xs.SECTORS, "total"]
    assert s["persons"].tolist() == [1, 1, 0, 1, 2]
    assert s["cost_dkk"].tolist() == [5700.0, 900.0, 0.0, 1200.0, 7800.0]
    assert s.loc["total", "registered_dkk"] == 6600 and s.loc["total", "average_dkk"] == 1200
    assert s["member_persons"].tolist() == [0, 1, 0, 0, 1] and s.loc["total", "member_cost_dkk"] == 900
    n = xs.by_number_of_sectors(costs, 2024)
    assert n.index.tolist() == [1, 2, 3, 4, "total"]
    assert n["persons"].tolist() == [1, 1, 0, 0, 2]
    assert n["cost_dkk"].tolist() == [900.0, 6900.0, 0.0, 0.0, 7800.0]
    assert n.loc[2, "share_of_cost"] == pytest.approx(6900 / 7800) and n.loc[2, "share_of_persons"] == 0.5
    assert n.loc[2, "cost_per_person_dkk"] == 6900 and np.isnan(n.loc[3, "cost_per_person_dkk"])


# --------------------------------------------------------------------------------------------------------------
# Complexity and target group
# --------------------------------------------------------------------------------------------------------------


def test_complexity_score_counts_sectors_concurrent_services_and_cost(cases):
    costs = xs.person_month_costs(cases, {"Alkoholbehandling": 600})
    scores = xs.complexity(costs, "2024-03", months=3, weights=xs.ComplexityWeights(2, 1, 0.5))
    # a: 2 sectors, 2 services at once (February, March), 6900 kr.: 4 + 2 + 0.5 x 0.069 = 6.0345
    # b: 1 sector, 1 service, 900 kr.: 2 + 1 + 0.0045
    assert scores.index.tolist() == ["a", "b"]
    assert scores["sectors"].tolist() == [2, 1] and scores["services"].tolist() == [2, 1]
    assert scores["score"].tolist() == pytest.approx([6.0345, 3.0045])
    # a window of January alone: a has one sector and one service, b nothing
    jan = xs.complexity(costs, "2024-01", months=1)
    assert jan.index.tolist() == ["a"] and jan.loc["a", "score"] == pytest.approx(2 + 1 + 0.5 * 0.016)


def test_complexity_bands_are_quantile_groups():
    assert xs.complexity_bands(pd.Series([5.0, 1.0, 3.0, 9.0]), 2).tolist() == [2, 1, 1, 2]
    # ties share their average rank: ranks 1.5, 1.5, 3, 4 of 4 -> ceil(2 x rank / 4)
    assert xs.complexity_bands(pd.Series([1.0, 1.0, 2.0, 3.0]), 2).tolist() == [1, 1, 2, 2]
    assert xs.complexity_bands(pd.Series([7.0]), 10).tolist() == [10]
    with pytest.raises(ValueError):
        xs.complexity_bands(pd.Series([1.0]), 0)


def test_score_distribution_opens_the_top_interval_so_that_no_top_group_is_small():
    # Changed deliberately (issue 11): the interval below the open top is merged into it when it is small too
    # (Albertslund showed '20-22: <5' beside '22+'), and min_group is a real threshold (at least 5).
    def scores(per_interval):
        values = [5 * i + 1 for i, n in enumerate(per_interval) for _ in range(n)]
        return pd.DataFrame({"score": values, "cost_dkk": 10.0}, index=[f"p{i}" for i in range(len(values))])

    s = scores([7, 5, 5])
    d = xs.score_distribution(s, min_group=5, width=5, members=["p0", "p7", "p12"])
    assert d["label"].tolist() == ["0-5", "5-10", "10+"]
    assert d["persons"].tolist() == [7, 5, 5] and d["members"].tolist() == [1, 1, 1]
    assert d["cost_per_person_dkk"].tolist() == [10.0, 10.0, 10.0] and np.isnan(d["upper"].iloc[-1])
    # the top (5) is large, the one below it (2) small: both merge
    d = xs.score_distribution(scores([7, 2, 5]), min_group=5, width=5)
    assert d["label"].tolist() == ["0-5", "5+"] and d["persons"].tolist() == [7, 7]
    d = xs.score_distribution(scores([7, 5, 3]), min_group=5, width=5)
    assert d["label"].tolist() == ["0-5", "5+"] and d["persons"].tolist() == [7, 8]
    # intervals start at the lowest score's
    assert xs.score_distribution(s.assign(score=s["score"] + 10), 5, width=5)["label"].iloc[0] == "10-15"


def test_candidate_list_ranks_non_members_in_enough_sectors():
    scores = pd.DataFrame(
        {
            "sectors": [3, 2, 1, 2, 2],
            "services": [4, 2, 5, 3, 2],
            "cost_dkk": [9.0, 8, 7, 6, 5],
            "score": [20.0, 15, 30, 15, 10],
        },
        index=pd.Index(["m", "p", "q", "r", "s"], name="person_id"),
    )
    got = xs.candidate_list(scores, exclude=["m"], min_sectors=2, n=2)
    # q has one sector only; m is a member; p and r tie on score, p costs more
    assert got.to_dict("list") == {
        "rank": [1, 2],
        "person_id": ["p", "r"],
        "sectors": [2, 2],
        "services": [2, 3],
        "cost_dkk": [8.0, 6.0],
        "score": [15.0, 15.0],
    }


# --------------------------------------------------------------------------------------------------------------
# Baseline, comparison, evaluation
# --------------------------------------------------------------------------------------------------------------


def test_baseline_against_actual_is_annualised_when_the_data_end_early():
    costs = pd.concat(
        [
            monthly("a", "employment", "2023-01", "2023-12", 1000),
            monthly("a", "employment", "2024-01", "2024-06", 400),
        ]
    )
    out = xs.baseline_actual(costs, pd.DataFrame({"person_id": ["a"], "reference": ["2024-01-01"]}))
    emp = out[out["sector"] == "employment"].iloc[0]
    assert out["sector"].tolist() == list(xs.SECTORS)
    assert (emp["months_after"], emp["baseline_dkk"], emp["actual_dkk"]) == (6, 12000.0, 2400.0)
    assert (emp["baseline_per_year_dkk"], emp["actual_per_year_dkk"], emp["change_per_year_dkk"]) == (
        12000,
        4800,
        -7200,
    )
    assert out.loc[out["sector"] != "employment", "actual_per_year_dkk"].eq(0).all()
    members = pd.DataFrame({"person_id": ["a", "b"], "joined": ["2023-07-01", "2023-08-01"]})
    assert xs.followed_members(members, "2024-06")["person_id"].tolist() == ["a"]


def test_comparisons_are_the_nearest_non_members_of_the_same_band():
    costs = pd.concat(
        [
            monthly("m", "employment", "2023-01", "2023-12", 1000),
            monthly("n1", "employment", "2023-01", "2023-12", 1000),  # identical: distance 0
            monthly("n2", "employment", "2023-07", "2023-12", 2000),  # same cost, twice the running cost
            monthly("n3", "employment", "2023-01", "2023-01", 12000),  # same cost, nothing running
            monthly("low", "employment", "2023-01", "2023-12", 10),  # the lower band
        ]
    )
    members = pd.DataFrame({"person_id": ["m"], "joined": ["2024-01-01"]})
    got = xs.match_comparison(costs, members, n_bands=2, k=2)
    assert got["person_id"].tolist() == ["n1", "n2"] and got["weight"].tolist() == [0.5, 0.5]
    assert got["band"].tolist() == [2, 2] and str(got["reference"].iloc[0]) == "2024-01"
    assert got["distance"].tolist() == pytest.approx([0.0, np.log(24001 / 12001)])
    # excluded persons are never comparisons; a member with no one in its band stays unmatched
    assert xs.match_comparison(costs, members, n_bands=2, k=2, exclude=["n1"])["person_id"].tolist() == [
        "n2",
        "n3",
    ]
    lonely = costs[costs["person_id"].isin(["m", "low"])]
    assert xs.match_comparison(lonely, members, n_bands=2).empty


@pytest.fixture
def evaluation():
    costs = pd.concat(
        [
            monthly("m1", "employment", "2023-01", "2023-12", 1000),
            monthly("m1", "employment", "2024-01", "2024-12", 500),
            monthly("m2", "employment", "2023-01", "2024-12", 2000),
            monthly("c1", "employment", "2023-01", "2024-12", 1000),
            monthly("c2", "employment", "2023-01", "2023-12", 2000),
            monthly("c2", "employment", "2024-01", "2024-12", 1000),
        ]
    )
    members = pd.DataFrame({"person_id": ["m1", "m2"], "joined": ["2024-01-01", "2024-01-01"]})
    matches = pd.DataFrame(
        {
            "member_id": ["m1", "m2"],
            "person_id": ["c1", "c2"],
            "reference": pd.PeriodIndex(["2024-01", "2024-01"], freq="M"),
            "weight": [1.0, 1.0],
        }
    )
    return xs.evaluate(costs, members, matches, end="2024-12")


def test_evaluation_is_a_difference_in_differences(evaluation):
    s = evaluation.summary
    # m1: -6000 a year, its comparison 0 -> effect -6000; m2: 0, its comparison -12000 -> effect +12000
    effects = evaluation.persons.groupby("person_id")["effect_per_year_dkk"].sum()
    assert effects.to_dict() == {"m1": -6000.0, "m2": 12000.0}
    assert (s["baseline_dkk"], s["actual_dkk"], s["change_dkk"]) == (36000.0, 30000.0, -6000.0)
    assert s["change_share"] == pytest.approx(-1 / 6)
    assert s["comparison_change_share"] == pytest.approx(-1 / 3)
    assert s["effect_dkk"] == 6000.0 and s["effect_per_person_dkk"] == 3000.0
    half = 1.96 * np.std([-6000, 12000], ddof=1) / np.sqrt(2)
    assert s["effect_low_dkk"] == pytest.approx(2 * (3000 - half)) and s["effect_high_dkk"] == pytest.approx(
        2 * (3000 + half)
    )
    assert s["balance_smd"] == 0.0 and s["grade"] == "svag" and s["reasons"] == "few,interval"
    cohort = evaluation.cohort
    assert cohort.loc["employment", "persons"] == 2 and cohort.loc["health", "persons"] == 0
    assert (
        cohort.loc["employment", "effect_dkk"] == 6000.0
        and cohort.loc["employment", "comparison_persons"] == 2
    )
    # two matched members are fewer than the smallest group a report shows: no effect is stated
    assert evidence_da(s).startswith("Evidensen er utilstrækkelig")
    text = evidence_da(pd.Series({**s.to_dict(), "matched": 12, "members": 12}))
    assert "Evidensen er svag" in text and "kun 12 deltagere" in text and "intervallet rummer nul" in text
    assert "-16,7 %" in text and "-33,3 %" in text and "regression mod gennemsnittet" in text


def test_evidence_statement_grades():
    base = {
        "members": 40,
        "matched": 40,
        "change_share": -0.2,
        "comparison_change_share": 0.05,
        "effect_dkk": -5e6,
        "effect_low_dkk": -8e6,
        "effect_high_dkk": -2e6,
        "member_baseline_per_person_dkk": 1e6,
        "comparison_baseline_per_person_dkk": 1e6,
        "grade": "moderat",
        "reasons": "",
    }
    text = evidence_da(pd.Series(base))
    assert (
        "Evidensen er moderat" in text and "5,0 mio. kr. lavere udgift" in text and "regression" not in text
    )
    weak = evidence_da(
        pd.Series({**base, "grade": "svag", "reasons": "balance", "comparison_baseline_per_person_dkk": 5e5})
    )
    assert "Evidensen er svag" in weak and "1,0 mio. kr. om året pr. person mod 0,5 mio. kr." in weak
    assert "utilstrækkelig" in evidence_da(pd.Series({**base, "matched": 4}))
    # the members' spending rose 10 % while the comparisons' fell 5 %: not 'At også sammenligningsgruppens
    # udgifter faldt', which says the members' fell too
    rose = evidence_da(pd.Series({**base, "change_share": 0.1, "comparison_change_share": -0.05}))
    assert "At sammenligningsgruppens udgifter faldt, viser" in rose and "også" not in rose
    both = evidence_da(pd.Series({**base, "comparison_change_share": -0.05}))
    assert "At også sammenligningsgruppens udgifter faldt" in both


def test_change_distribution_counts_members_and_weights_comparisons(evaluation):
    d = xs.change_distribution(evaluation)
    # m1 fell 50 %, m2 unchanged; c1 unchanged, c2 fell 50 %
    assert d["persons"].tolist() == [1, 1, 0, 2]
    assert d["share"].tolist() == [0.5, 0.5, 0.0, 1.0]
    assert d["comparison_share"].tolist() == [0.5, 0.5, 0.0, 1.0]


def test_employment_outcome_is_an_ended_case_a_year_later():
    cases = pd.DataFrame(
        [
            case("p1", "employment", "2023-06-01", "2024-05-31", 1),
            case("p2", "employment", "2023-01-01", None, 1),
            case("p3", "health", "2023-01-01", None, 1),
        ]
    )
    people = pd.DataFrame(
        {"person_id": ["p1", "p2", "p3"], "reference": ["2024-01-01"] * 3, "weight": [1.0, 0.5, 1]}
    )
    out = xs.employment_outcome(cases, people, end="2025-06")
    assert out["person_id"].tolist() == ["p1", "p2"] and out["ended"].tolist() == [True, False]
    assert out["at"].astype(str).tolist() == ["2025-01", "2025-01"]
    early = xs.employment_outcome(cases, people, end="2024-04")  # the data end before a year has passed
    assert early["at"].astype(str).tolist() == ["2024-04", "2024-04"] and not early["ended"].any()
    summary = xs.outcome_summary(out.drop(columns="weight"), out)
    assert summary.loc["members"].tolist() == [2, 1, 0.5]
    assert summary.loc["comparison", "share"] == pytest.approx(1 / 1.5)


# --------------------------------------------------------------------------------------------------------------
# Year-end distribution and monthly follow-up
# --------------------------------------------------------------------------------------------------------------


def test_largest_remainder_adds_up_exactly():
    assert xs.largest_remainder(100, pd.Series([1, 1, 1])).tolist() == [34, 33, 33]
    assert xs.largest_remainder(10, pd.Series([1, 1, 1])).tolist() == [4, 3, 3]
    assert xs.largest_remainder(-10, pd.Series([3, 1])).tolist() == [-8, -2]
    assert xs.largest_remainder(0, pd.Series([0, 0])).tolist() == [0, 0]
    rng = np.random.default_rng(1)
    for _ in range(100):
        total = int(rng.integers(-(10**9), 10**9))
        parts = xs.largest_remainder(total, pd.Series(rng.random(int(rng.integers(1, 6)))))
        assert parts.sum() == total
    # refused by name (pandas' own ValueError on casting 5 x 0 / 0 to int was enough for a bare raises)
    with pytest.raises(ValueError, match="cannot split a non-zero total by weights that are all zero"):
        xs.largest_remainder(5, pd.Series([0, 0]))
    with pytest.raises(ValueError, match="weights must be finite and not negative"):
        xs.largest_remainder(5, pd.Series([1, -1]))


@pytest.fixture
def distribution_data():
    costs = pd.concat(
        [
            monthly("m1", "employment", "2022-07", "2023-06", 1000),
            monthly("m1", "children_families", "2022-07", "2023-06", 2000),
            monthly("m1", "children_families", "2024-01", "2024-12", 1000),
            monthly("m1", "adults_social", "2024-01", "2024-12", 500),
            monthly("m2", "employment", "2023-04", "2024-03", 600),
            monthly("m2", "employment", "2024-04", "2024-12", 300),
            monthly("m2", "adults_social", "2024-04", "2024-12", 500),
        ]
    )
    members = pd.DataFrame(
        {
            "person_id": ["m1", "m2"],
            "joined": pd.to_datetime(["2023-07-01", "2024-04-01"]),
            "left": pd.to_datetime([None, "2024-09-30"]),
        }
    )
    return costs, members


def test_year_end_distribution_shares_the_net_gain_by_baseline(distribution_data):
    costs, members = distribution_data
    d = xs.year_end_distribution(costs, members, 2024, rule="baseline_share", end="2024-12")
    # baseline: m1 12 months x (1000 employment, 2000 children); m2 6 member months (April-September) x 600
    assert d["baseline_dkk"].tolist() == [15600, 24000, 0, 0, 39600]
    assert d["actual_dkk"].tolist() == [1800, 12000, 9000, 0, 22800]
    assert d["gain_dkk"].tolist() == [13800, 12000, -9000, 0, 16800]
    # 16800 x 15600/39600 = 6618.18 and 16800 x 24000/39600 = 10181.82: the spare krone goes to children
    assert d["share_dkk"].tolist() == [6618, 10182, 0, 0, 16800]
    assert d["transfer_dkk"].tolist() == [-7182, -1818, 9000, 0, 0]
    assert d["persons"].tolist() == [2, 1, 2, 0, 2] and d.loc["total", "member_months"] == 18


def test_year_end_distribution_by_where_the_savings_arose(distribution_data):
    costs, members = distribution_data
    d = xs.year_end_distribution(costs, members, 2024, rule="savings", end="2024-12")
    # 16800 x 13800/25800 = 8986.05 and 16800 x 12000/25800 = 7813.95; adults' extra cost is covered
    assert d["share_dkk"].tolist() == [8986, 7814, 0, 0, 16800]
    assert d["transfer_dkk"].tolist() == [-4814, -4186, 9000, 0, 0]
    assert d.loc[list(xs.SECTORS), "share_dkk"].sum() == d.loc["total", "gain_dkk"]
    with pytest.raises(ValueError, match="rule must be one of"):
        xs.year_end_distribution(costs, members, 2024, rule="equal")


def test_follow_up_adds_a_forecast_to_the_realised_cost():
    costs = pd.concat(
        [
            monthly("m1", "employment", "2024-01", "2025-06", 1000),
            monthly("m2", "children_families", "2024-01", "2024-12", 1500),
            monthly("m2", "children_families", "2025-01", "2025-06", 2000),
            monthly("m3", "health", "2024-01", "2025-06", 100),
        ]
    )
    members = pd.DataFrame(
        {
            "person_id": ["m1", "m2", "m3"],
            "joined": pd.to_datetime(["2024-01-01", "2025-03-01", "2024-01-01"]),
            "left": pd.to_datetime([None, None, "2025-05-31"]),
        }
    )
    seen = []

    def last_value(y, horizon):
        seen.append((len(y), str(y.index[-1])))
        return types.SimpleNamespace(mean=pd.Series([y.iloc[-1]] * horizon), method="last")

    f = xs.follow_up(costs, members, 2025, 6, forecaster=last_value)
    # m3 left in May: not in the cohort. m2's realised cost counts from joining in March: 4 x 2000.
    assert f["realised_dkk"].tolist() == [6000, 8000, 0, 0, 14000]
    assert f["forecast_dkk"].tolist() == [6000, 12000, 0, 0, 18000]
    assert f["expected_dkk"].tolist() == [12000, 20000, 0, 0, 32000]
    assert f["last_year_dkk"].tolist() == [12000, 18000, 0, 0, 30000]
    assert f.loc["children_families", "change_share"] == pytest.approx(20000 / 18000 - 1)
    assert f["persons"].tolist() == [1, 1, 0, 0, 2] and f.loc["employment", "method"] == "last"
    assert seen[0] == (36, "2025-06")
    december = xs.follow_up(costs, members, 2025, 12, forecaster=last_value)
    assert december["forecast_dkk"].eq(0).all() and december["method"].eq("").all()


def _members_warehouse(path, rows):
    """A warehouse file holding only ``programme_members`` rows (person, municipality, programme, joined, left)."""
    import duckdb

    from analysis.data.warehouse import create_schema

    con = duckdb.connect(str(path))
    create_schema(con)
    con.executemany("INSERT INTO programme_members VALUES (?, ?, ?, ?, ?)", rows)
    return con


def test_several_programmes_and_none_named_is_refused_not_guessed(tmp_path):
    from analysis.errors import InputError

    rows = [
        ("p1", 165, "Sammen om borgeren", "2024-01-01", None),
        ("p2", 165, "Sammen om borgeren", "2024-02-01", None),
        ("p3", 165, "Sammen om borgeren", "2024-03-01", "2024-06-30"),
        ("p3", 165, "Sammen om borgeren", "2024-09-01", None),  # rejoined: still one member
        ("p7", 165, "Sammen om borgeren", "2024-03-01", None),
        ("p8", 165, "Sammen om borgeren", "2024-04-01", None),
        ("p4", 165, "Unge på vej", "2024-05-01", None),
        ("p5", 165, "Unge på vej", "2024-04-01", None),
        ("p6", 190, "Én indgang", "2024-01-01", None),
    ]
    con = _members_warehouse(tmp_path / "w.duckdb", rows)
    # before: the largest programme (5 persons, 6 rows) was taken without a word; now refused, naming the
    # warehouse, both programmes with their members (persons, not rows: p3 counts once) and how to name one
    with pytest.raises(InputError) as refused:
        read_members(con, 165)
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'w.duckdb'}: municipality 165 has 2 cross-sector programmes: ")
    # (a count below 5 is not shown, as in the reports: the message may reach a run's index)
    assert "'Sammen om borgeren' (5 members), 'Unge på vej' (fewer than 5 members)" in message
    assert "parameter programme of the cross-sector notebook" in message
    assert "parameters: {programme: 'Sammen om borgeren'}" in message
    # named, either one is read, ordered by joining
    assert read_members(con, 165, "Unge på vej")["person_id"].tolist() == ["p5", "p4"]
    assert len(read_members(con, 165, "Sammen om borgeren")) == 6
    # one programme needs no name, as before
    assert read_members(con, 190)["programme"].tolist() == ["Én indgang"]
    # a name that is not there: the names there are, and the nearest one
    with pytest.raises(
        InputError, match=r"no programme named 'unge paa vej' \(did you mean 'Unge på vej'\?\)"
    ):
        read_members(con, 165, "unge paa vej")
    with pytest.raises(InputError, match=r"w.duckdb: municipality 101 has no members"):
        read_members(con, 101)
    con.close()


# --------------------------------------------------------------------------------------------------------------
# Programme members: the case systems' open end (a left date in the year 9999)
# --------------------------------------------------------------------------------------------------------------

KEY = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"  # as conftest.TEST_KEY
CPR_M1, CPR_M2 = "300285-1201", "010190-1234"


def _raw_members(left_m1, left_m2="2024-09-30", joined_m1="2023-07-01"):
    """A raw programme extract of m1 and m2 (the members of ``distribution_data``), with CPR numbers."""
    return pd.DataFrame(
        {
            "cpr": [CPR_M1, CPR_M2],
            "municipality_code": [165, 165],
            "programme": ["Sammen om borgeren"] * 2,
            "joined": [joined_m1, "2024-04-01"],
            "left": [left_m1, left_m2],
        }
    )


def _loaded_members(con, raw):
    """``raw`` ingested and loaded as the sample build does, read back as the cross-sector notebook reads it."""
    from analysis.data.cases import ingest_programme_members
    from analysis.data.warehouse import load

    ingested = ingest_programme_members(raw, source="deltagere.csv", key=KEY, first_row=2)
    load(con, "programme_members", ingested, source="deltagere.csv", first_row=2)
    return ingested.attrs["open_ends"], read_members(con, 165)


@pytest.mark.parametrize(
    "open_end",
    ["9999-12-31", "31-12-9999", "31.12.9999", dt.date(9999, 12, 31)],
    ids=["iso", "dd-mm-yyyy", "dotted", "date"],
)
def test_a_left_date_in_the_year_9999_is_an_open_membership_as_an_empty_one(tmp_path, open_end):
    from analysis.data import connect
    from analysis.privacy import pseudonymise

    with connect(tmp_path / "open.duckdb", read_only=False) as con:
        n_open, open_members = _loaded_members(con, _raw_members(open_end))
    with connect(tmp_path / "empty.duckdb", read_only=False) as con:
        n_empty, empty_members = _loaded_members(con, _raw_members(None))
    # the 9999 used to be refused at the load (as no ISO date, or one outside the years 1800-2199); now it is no
    # date, counted as ingest_cases counts its open ends
    assert (n_open, n_empty) == (1, 0)
    pd.testing.assert_frame_equal(open_members, empty_members)
    m1, m2 = pseudonymise(CPR_M1, KEY), pseudonymise(CPR_M2, KEY)
    assert open_members["person_id"].tolist() == [m1, m2]
    assert open_members["left"].isna().tolist() == [True, False]
    assert open_members.loc[1, "left"] == pd.Timestamp("2024-09-30")
    # the analysis reads the open membership as running: by December 2024 m1 is in, m2 left in September; only m1
    # joined 12 months before the end of December (followed)
    for members in (open_members, empty_members):
        assert xs.membership(members, "2024-12").to_dict() == {
            "ever": 2,
            "active": 1,
            "left": 1,
            "followed": 1,
            "followed_left": 0,
        }
    # the year-end distribution of test_year_end_distribution_shares_the_net_gain_by_baseline, on the pseudonyms
    costs = pd.concat(
        [
            monthly(m1, "employment", "2022-07", "2023-06", 1000),
            monthly(m1, "children_families", "2022-07", "2023-06", 2000),
            monthly(m1, "children_families", "2024-01", "2024-12", 1000),
            monthly(m1, "adults_social", "2024-01", "2024-12", 500),
            monthly(m2, "employment", "2023-04", "2024-03", 600),
            monthly(m2, "employment", "2024-04", "2024-12", 300),
            monthly(m2, "adults_social", "2024-04", "2024-12", 500),
        ]
    )
    shares = [
        xs.year_end_distribution(costs, members, 2024, rule="baseline_share", end="2024-12")
        for members in (open_members, empty_members)
    ]
    pd.testing.assert_frame_equal(*shares)
    assert shares[0]["share_dkk"].tolist() == [6618, 10182, 0, 0, 16800]
    assert shares[0].loc["total", "member_months"] == 18  # m1 12 months of 2024, m2 April-September


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            _raw_members("2024-06-30", left_m2="2200-01-01"),
            "deltagere.csv, row 3, column 'left': expected a date (YYYY-MM-DD) in the years 1800-2199, "
            "found '2200-01-01'",
        ),
        (
            _raw_members("1799-12-31"),
            "deltagere.csv, row 2, column 'left': expected a date (YYYY-MM-DD) in the years 1800-2199, "
            "found '1799-12-31'",
        ),
        # the year 9999 is an open end only where a membership ends: a joining date in it is no date
        (
            _raw_members(None, joined_m1="9999-12-31"),
            "deltagere.csv, row 2, column 'joined': expected a date (YYYY-MM-DD) in the years 1800-2199, "
            "found '9999-12-31'",
        ),
    ],
    ids=["left-2200", "left-1799", "joined-9999"],
)
def test_a_date_outside_the_schemas_years_is_still_refused_naming_file_row_and_column(own_con, raw, message):
    from analysis.data.schema import DATE_YEARS, SchemaError
    from analysis.data.warehouse import create_schema

    assert DATE_YEARS == (1800, 2199)  # 2200 and 1799 are the first years outside, on either side
    create_schema(own_con)
    with pytest.raises(SchemaError) as refused:
        _loaded_members(own_con, raw)
    assert str(refused.value) == message
    assert own_con.execute("SELECT count(*) FROM programme_members").fetchone() == (0,)  # nothing loaded


# --------------------------------------------------------------------------------------------------------------
# The sample
# --------------------------------------------------------------------------------------------------------------


def test_the_samples_members_exported_with_open_ends_of_9999_give_the_same_report(con, own_con):
    # the sample's programme extract as a case system writes it: every open membership with the left date
    # 31-12-9999 instead of empty; ingested and loaded as the sample build does (under the session's key)
    from analysis.data import sample
    from analysis.data.cases import ingest_programme_members
    from analysis.data.warehouse import load

    raw = sample.generate(sample.SEED)["raw_programme_members"]
    still_in = raw["left"].isna()
    assert 0 < still_in.sum() < len(raw)  # both kinds are there
    raw["left"] = raw["left"].where(~still_in, "31-12-9999")
    ingested = ingest_programme_members(raw, source="deltagere.csv")
    assert ingested.attrs["open_ends"] == still_in.sum()
    load(own_con, "programme_members", ingested, source="deltagere.csv")
    members = read_members(own_con, 165)
    pd.testing.assert_frame_equal(members, read_members(con, 165))  # as the sample's, whose left is empty
    # the report's membership counted from the raw text: joined by September 2025, and of them active unless
    # left before September
    mine = raw[raw["municipality_code"] == 165]
    ever = mine["joined"] <= "2025-09-30"
    active = ever & ((mine["left"] == "31-12-9999") | (mine["left"] >= "2025-09-01"))

    def flat(y, horizon):
        return types.SimpleNamespace(mean=pd.Series([float(y.iloc[-1])] * horizon), method="flat")

    r = xs.cross_sector_report(
        read_cases(con, 165), members, read_unit_costs(), year=2025, month=9, first_year=2018, last_year=2025,
        forecaster=flat,
    )  # fmt: skip
    assert (r.membership["ever"], r.membership["active"]) == (ever.sum(), active.sum())
    assert r.follow.loc["total", "persons"] == active.sum()


# --------------------------------------------------------------------------------------------------------------
# What the report needs in the warehouse, checked before any kernel starts
# --------------------------------------------------------------------------------------------------------------

NO_MEMBERS = (
    "deltagere i tværgående programmer (programme_members) mangler for kommune {m}: indlæs programmets "
    "deltagerliste: analysis load members FIL --mapping parameters/mappings/members.yaml --municipality {m}"
)
NO_CASES = (
    "sager (cases) mangler for kommune {m}: indlæs sagsudtrækket: analysis load cases FIL --mapping "
    "parameters/mappings/cases.yaml --municipality {m}"
)


def test_the_shipped_cross_sector_batches_meet_the_reports_requirements_on_the_sample(con):
    from analysis.reporting.batch import expand, load_batch
    from analysis.reporting.requirements import check_jobs, requirements_of

    assert [(r.what, r.tables) for r in requirements_of("cross_sector")] == [
        ("deltagere i tværgående programmer (programme_members)", ("programme_members",)),
        ("sager (cases)", ("cases",)),
    ]
    # declared for any municipality, the commands keep the placeholder; a problem of 751 below gives 751
    assert [r.load.rsplit(" ", 2)[1:] for r in requirements_of("cross_sector")] == [
        ["--municipality", "KOMMUNEKODE"],
        ["--municipality", "KOMMUNEKODE"],
    ]
    batches = [load_batch(p) for p in sorted((ROOT / "parameters" / "batches").glob("*.yaml"))]
    runs = [b for b in batches if "cross_sector" in b.notebooks]
    jobs = [j for b in runs for j in expand(b) if j.notebook == "cross_sector"]
    # the shipped cross-sector batch: one report per municipality of the sample's three programmes
    assert sorted(j.municipality_code for j in jobs) == [165, 190, 706]
    assert check_jobs(con, jobs) == []
    # the sample's other municipalities have no programme, so a report on one of them is refused (cases neither)
    other = types.SimpleNamespace(
        notebook="cross_sector", municipality_code=751, function_code="", parameters={}
    )
    assert check_jobs(con, [other]) == [
        f"cross_sector 751: {NO_MEMBERS.format(m=751)}",
        f"cross_sector 751: {NO_CASES.format(m=751)}",
    ]


def test_a_warehouse_without_members_for_the_municipality_is_refused_before_any_kernel(tmp_path, monkeypatch):
    from analysis.data import connect
    from analysis.data.warehouse import create_schema
    from analysis.errors import DataError
    from analysis.reporting import runner
    from analysis.reporting.batch import load_batch

    own = tmp_path / "own.duckdb"
    with connect(own, read_only=False) as w:
        create_schema(w)
        # 190 has members and cases, 706 cases only (its member list not loaded), 165 members only
        w.execute(
            "INSERT INTO cases BY NAME SELECT * FROM (VALUES "
            "('c1', 'p1', 190, 'employment', 'Kontanthjælp', 'internal', DATE '2024-01-01', true), "
            "('c2', 'p2', 706, 'adults_social', 'Botilbud', 'external', DATE '2024-02-01', true)) "
            "AS t(case_id, person_id, municipality_code, sector, measure, provider, start_date, cpr_registered)"
        )
        w.executemany(
            "INSERT INTO programme_members VALUES (?, ?, ?, ?, ?)",
            [
                ("p1", 190, "Én indgang", "2024-03-01", None),
                ("p3", 165, "Sammen om borgeren", "2024-03-01", None),
            ],
        )
    path = tmp_path / "batch.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "xs",
                "municipalities": [165, 190, 706],
                "function_areas": ["5.38.50"],
                "notebooks": ["cross_sector"],
            }
        ),
        encoding="utf-8",
    )
    batch = load_batch(path, defaults=ROOT / "parameters" / "defaults.yaml")

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was to start")

    monkeypatch.setattr(runner, "_run", no_kernel)
    reports = tmp_path / "reports"
    with pytest.raises(DataError) as refused:
        runner.run_batch(batch, batch_file=path, warehouse=own, reports_dir=reports, progress=False)
    assert str(refused.value) == (
        "the warehouse lacks what 2 report(s) need; load it first: "
        f"cross_sector 165: {NO_CASES.format(m=165)}; cross_sector 706: {NO_MEMBERS.format(m=706)}"
    )
    assert not list(reports.glob("xs/*")) and not list(reports.glob("**/INCOMPLETE"))  # nothing was started


def test_readers_and_regression_to_the_mean_on_the_sample(con):
    from analysis.data.sample import PROGRAMMES

    cases = read_cases(con, 165)
    members = read_members(con, 165)
    assert members["programme"].unique().tolist() == [PROGRAMMES[165]] and len(members) >= 20
    with pytest.raises(ValueError, match="no programme named 'Nyt'; it has: "):
        read_members(con, 165, "Nyt")
    with pytest.raises(ValueError, match="no members"):
        read_members(con, 101)
    costs = xs.person_month_costs(cases, read_unit_costs(), end="2025-09")
    followed = xs.followed_members(members, "2025-09")
    ev = xs.evaluate(costs, followed, xs.match_comparison(costs, followed), end="2025-09")
    # members were chosen at high cost: comparable non-members' costs fall by themselves, by 4,1 % in sample
    # version 6 (its 5.38 cases are long placements made from the activity, which fall less than the old ones):
    # the comparisons' weighted change over their weighted baseline
    c = ev.comparisons
    by_hand = (c["weight"] * c["change_per_year_dkk"]).sum() / (
        c["weight"] * c["baseline_per_year_dkk"]
    ).sum()
    assert ev.summary["comparison_change_share"] == pytest.approx(by_hand)
    assert ev.summary["comparison_change_share"] < -0.04 and ev.summary["grade"] == "svag"
    assert ev.summary["matched"] == len(followed)


# --------------------------------------------------------------------------------------------------------------
# The report, rendered on the sample, and the privacy scan of every output file
# --------------------------------------------------------------------------------------------------------------

PERSON_COLUMNS = {
    "Borgere",
    "Deltagere",
    "heraf deltagere",
    "Deltagere med udgift",
    "Borgere med sag ved indtræden",
}


class _Tables(HTMLParser):
    """Every <table> of an HTML page as a list of rows of cell texts (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _without_images(text: str) -> str:
    """Text with embedded base64 images removed (random base64 can hold ten digits in a row)."""
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+", "", text)


def _notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text("utf-8"))
    parts = [json.dumps(nb["metadata"])]
    for cell in nb["cells"]:
        parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for mime, data in out.get("data", {}).items():
                if not mime.startswith("image/"):
                    parts.append(data if isinstance(data, str) else "".join(data))
            parts += [out.get("ename", ""), out.get("evalue", "")]
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    """The text of a PDF written by WeasyPrint, in pure Python (zlib and the fonts' ToUnicode maps).

    Enough to scan the reports, not a general PDF parser: it reads the objects (also inside object streams),
    maps each font resource to its ToUnicode CMap, and decodes the hex strings of the Tj/TJ operators of every
    page. Charts are images and carry no text.
    """
    objects: dict[int, bytes] = {}
    streams: dict[int, bytes] = {}
    for m in re.finditer(rb"(?<![\d])(\d+) 0 obj\b", data):
        num, start = int(m.group(1)), m.end()
        body = data[start : data.find(b"endobj", start)]
        s = body.find(b"stream")
        if s < 0:
            objects[num] = body
            continue
        head = objects[num] = body[:s]
        raw = body[s + len(b"stream") :].lstrip(b"\r\n")[: int(re.search(rb"/Length (\d+)", head).group(1))]
        streams[num] = zlib.decompress(raw) if b"/FlateDecode" in head else raw
    for num, head in list(objects.items()):
        if b"/ObjStm" in head:
            first, body = int(re.search(rb"/First (\d+)", head).group(1)), streams[num]
            nums = [int(x) for x in body[:first].split()]
            pairs = list(zip(nums[::2], nums[1::2], strict=True))
            for i, (n, off) in enumerate(pairs):
                stop = pairs[i + 1][1] if i + 1 < len(pairs) else len(body) - first
                objects[n] = body[first + off : first + stop]

    def cmap(num: int) -> dict[bytes, str]:
        text, out = streams[num].decode("latin-1"), {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                out[bytes.fromhex(src)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for lo, hi, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                a, b, d = int(lo, 16), int(hi, 16), int(dst, 16)
                out.update({k.to_bytes(len(lo) // 2, "big"): chr(d + k - a) for k in range(a, b + 1)})
        return out

    blocks = []
    for body in objects.values():
        blocks += re.findall(rb"/Font\s*<<(.*?)>>", body, re.S)
        blocks += [objects.get(int(r), b"") for r in re.findall(rb"/Font (\d+) 0 R", body)]
    fonts = {}
    for block in blocks:
        for name, ref in re.findall(rb"/([^\s/<>\[\]()]+)\s+(\d+) 0 R", block):
            tu = re.search(rb"/ToUnicode (\d+) 0 R", objects.get(int(ref), b""))
            if tu:
                fonts[name] = cmap(int(tu.group(1)))
    runs = []
    for body in objects.values():
        if not re.search(rb"/Type\s*/Page(?!s)", body):
            continue
        for ref in re.findall(rb"/Contents (\d+) 0 R", body):
            current: dict[bytes, str] = {}
            for tf, show in re.findall(
                rb"/([^\s/]+) [\d.]+ Tf|(\[(?:[^\]\\]|\\.)*\]\s*TJ|<[0-9a-fA-F]*>\s*Tj)", streams[int(ref)]
            ):
                if tf:
                    current = fonts.get(tf, {})
                    continue
                width = 2 if any(len(k) == 2 for k in current) else 1
                text = ""
                for hexa in re.findall(rb"<([0-9a-fA-F]*)>", show):
                    raw = bytes.fromhex(hexa.decode())
                    text += "".join(current.get(raw[i : i + width], "") for i in range(0, len(raw), width))
                runs.append(text)
    return "\n".join(runs)


def test_the_pdf_text_extractor_finds_a_cpr_number_in_a_weasyprint_pdf():
    from weasyprint import HTML

    pdf = HTML(string='<html lang="da"><body><p>Borger 010203-1234 i tabel</p></body></html>').write_pdf()
    text = pdf_text(pdf)
    assert "Borger" in text and find_cpr(text.replace("\n", "")) == ["010203-1234"]


@pytest.fixture(scope="module")
def report(tmp_path_factory, sample_path):
    """The cross-sector report for 706 Syddjurs, executed on the sample and rendered to HTML and PDF (once)."""
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    tmp = tmp_path_factory.mktemp("xs")
    data = {
        "name": "xs",
        "municipalities": [706],
        "function_areas": ["5.38.50"],
        "notebooks": ["cross_sector"],
        "formats": ["html", "pdf"],
        "parameters": {"last_year": 2025, "as_of_month": 9, "min_group": 5},
    }
    path = tmp / "batch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    batch = load_batch(path, defaults=ROOT / "parameters" / "defaults.yaml")
    summary = run_batch(batch, batch_file=path, reports_dir=tmp / "reports", progress=False)
    (r,) = summary.reports
    assert r.status == "ok", r.error
    return summary.folder, r


@pytest.mark.slow
def test_the_report_renders_on_the_sample(report):
    import nbformat

    folder, r = report
    assert r.function_code == "" and r.files["html"] == "cross_sector/706-syddjurs.html"
    html = (folder / r.files["html"]).read_text("utf-8")
    for text in (
        "Tværgående økonomi",
        "Sammen om borgeren",
        "Kompleksitetsscore",
        "Sammenligningsgruppe",
        "Albertslund-modellen",
        "Månedlig opfølgning 2025",
        "Metode og data",
        "Hvor stærk er evidensen?",
    ):
        assert text in html, text
    assert "<h1" not in html.split("Hvad koster")[1]  # no H1 in the notebook's own content
    assert 'lang="da"' in html and not re.search(r'(src|href)="https?://', html)
    assert (folder / r.files["pdf"]).read_bytes().startswith(b"%PDF")
    nb = nbformat.read(folder / r.files["ipynb"], as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "municipality_code = 706" in injected.source and "as_of_month = 9" in injected.source
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    # the year-end table adds up in whole kroner: the shares to the net gain, the transfers to 0
    tables = _Tables()
    tables.feed(html)
    sharing = next(t for t in tables.tables if t[0][-1] == "Omfordeling")
    rows = {row[0]: row for row in sharing[1:]}
    kroner = lambda text: int(text.replace(".", ""))  # noqa: E731
    assert kroner(rows["I alt"][-1]) == 0
    assert kroner(rows["I alt"][-2]) == kroner(rows["I alt"][-3])
    assert sum(kroner(row[-2]) for name, row in rows.items() if name != "I alt") == kroner(rows["I alt"][-2])


@pytest.mark.slow
def test_privacy_scan_finds_no_cpr_number_in_any_output_file(report, con):
    folder, _ = report
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".ipynb", ".html", ".pdf", ".json"}
    for path in files:
        if path.suffix == ".pdf":
            text = pdf_text(path.read_bytes())
            assert "Metode og data" in text.replace("\n", " ") and "Syddjurs" in text  # the extractor read it
            text = text.replace("\n", "")  # a number split over two runs would still be found
        elif path.suffix == ".ipynb":
            text = _notebook_text(path)
        else:
            text = _without_images(path.read_text("utf-8"))
        assert find_cpr(text) == [], path.name
    # nor in the warehouse the report read
    for table in ("cases", "programme_members"):
        df = con.execute(f"SELECT * FROM {table}").df()
        for col in df.columns:
            values = df[col].dropna().astype(str)
            assert not values.map(lambda v: bool(find_cpr(v))).any(), (table, col)


@pytest.mark.slow
def test_no_table_shows_a_group_of_fewer_than_min_group_persons(report):
    # Changed deliberately (issue 11): a tail of fewer than five persons (the most sectors) is merged into "3 eller
    # flere sektorer" instead of being hidden together with its neighbour (tested on hand-made data in
    # test_privacy_suppression), so the report may hide nothing; a hidden cell reads '<5' only in a column of
    # persons ('..' or 'x' elsewhere).
    folder, r = report
    tables = _Tables()
    tables.feed((folder / r.files["html"]).read_text("utf-8"))
    checked = 0
    for table in tables.tables:
        header, *rows = table
        for j, name in enumerate(header):
            for row in rows:
                cell = row[j]
                if name not in PERSON_COLUMNS:
                    assert not cell.startswith("<"), (header, row)
                    continue
                if cell in ("<5", "x"):
                    continue
                n = int(cell.replace(".", ""))
                assert n == 0 or n >= 5, (header, row)
                checked += 1
    assert checked > 20
    by_sectors = next(t for t in tables.tables if t[0][0] == "Antal sektorer")
    # Sample version 6 (issue 14): 706 has 376, 192, 83 and 17 persons with cases in 1, 2, 3 and 4 sectors in
    # 2024, the table's year (SELECT count(DISTINCT sector) ... FROM cases per person, cases running in 2024), so
    # every group is shown and none is merged
    assert [row[0] for row in by_sectors[1:]] == [
        "1 sektor",
        "2 sektorer",
        "3 sektorer",
        "4 sektorer",
        "I alt",
    ]
    assert [int(row[1].replace(".", "")) for row in by_sectors[1:]] == [376, 192, 83, 17, 668]


@pytest.mark.slow
def test_the_report_shows_no_person_list_and_no_code_by_default(report):
    folder, r = report
    html = _without_images((folder / r.files["html"]).read_text("utf-8"))
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
    assert "Pseudonym" not in text and not re.search(r"P-[0-9a-f]{4}-", text)
    assert "Fortroligt" not in text
    for code in ("`", "candidates", "show_persons", "min_group", "intention-to-treat", "(her:", "Notebook"):
        assert code not in text, code


@pytest.mark.slow
def test_a_report_with_the_person_list_says_confidential_on_every_page(tmp_path, sample_path):
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    path = tmp_path / "batch.yaml"
    data = {
        "name": "persons",
        "municipalities": [190],
        "function_areas": ["5.38.50"],
        "notebooks": ["cross_sector"],
        "formats": ["html", "pdf"],
        "parameters": {"show_persons": True, "candidates": 5},
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    batch = load_batch(path, defaults=ROOT / "parameters" / "defaults.yaml")
    summary = run_batch(batch, batch_file=path, reports_dir=tmp_path / "reports", progress=False)
    (r,) = summary.reports
    assert r.status == "ok", r.error
    html = (summary.folder / r.files["html"]).read_text("utf-8")
    assert "Fortroligt: indeholder personhenførbare oplysninger" in html and "Pseudonym" in html
    text = pdf_text((summary.folder / r.files["pdf"]).read_bytes())
    pages = len(re.findall(r"Side \d+ af \d+", text))  # the footer of every page
    assert pages >= 5
    # the line at the foot of every page, and the banner at the top of the first
    assert text.count("Fortroligt: indeholder personhenførbare oplysninger") == pages + 1


@pytest.mark.slow
def test_a_threshold_below_five_stops_the_report(tmp_path, sample_path):
    # Changed deliberately (issue 11, typed parameters): the batch check refuses min_group below 5 before any
    # kernel starts, instead of a report that fails in its kernel ("min_group must be at least 5").
    from analysis.reporting.batch import BatchError, load_batch

    path = tmp_path / "batch.yaml"
    data = {
        "name": "low",
        "municipalities": [190],
        "function_areas": ["5.38.50"],
        "notebooks": ["cross_sector"],
        "formats": ["html"],
        "parameters": {"min_group": 4},
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(BatchError) as err:
        load_batch(path, defaults=ROOT / "parameters" / "defaults.yaml")
    assert (
        f"{path}: parameters.min_group: notebook 'cross_sector': 4 is below the least value 5 (did you mean 5?)"
        in str(err.value)
    )
    assert not (tmp_path / "reports").exists()
