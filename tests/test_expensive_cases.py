"""Expensive single cases and the § 176 refund on hand-made cases, and the readers of their parameter files."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import expensive_cases as ec
from analysis.data import thresholds
from analysis.errors import ConfigurationError

TIERS = [(860_000, 0.25), (1_680_000, 0.50), (2_120_000, 0.75)]


def test_refund_by_marginal_tiers():
    # 3 mio.: 0.25 x 820,000 + 0.5 x 440,000 + 0.75 x 880,000 = 205,000 + 220,000 + 660,000
    assert ec.refund([500_000, 1_000_000, 2_000_000, 3_000_000], TIERS).tolist() == pytest.approx(
        [0, 35_000, 205_000 + 160_000, 1_085_000]
    )
    with pytest.raises(ValueError, match="rise strictly"):
        ec.refund([1.0], [(2, 0.5), (1, 0.25)])


def _cases() -> pd.DataFrame:
    rows = [
        # person a: 200,000 a month all year on 5.38 (2.4 mio.) plus a case on another main function (left out)
        ("a", "5.38.50", "2024-06-01", None, 200_000),
        ("a", "5.28.21", "2025-01-01", None, 1_000_000),
        # person b: 100,000 a month from 1 March to 31 December (10 months = 1 mio.) and half of June at 60,000
        ("b", "5.38.52", "2025-03-01", "2025-12-31", 100_000),
        ("b", "5.38.38", "2025-06-16", "2025-06-30", 60_000),
        # person c: ended in 2024, nothing in 2025; person d: no known cost
        ("c", "5.38.50", "2023-01-01", "2024-12-31", 300_000),
        ("d", "5.38.50", "2025-01-01", None, None),
    ]
    return pd.DataFrame(
        rows, columns=["person_id", "function_code", "start_date", "end_date", "monthly_cost_dkk"]
    )


def test_person_costs_count_the_months_of_the_year():
    costs = ec.person_costs(_cases(), 2025, "5.38").set_index("person_id")
    assert sorted(costs.index) == ["a", "b"]
    assert costs.loc["a", "cost_dkk"] == pytest.approx(2_400_000)
    assert costs.loc["b", "cost_dkk"] == pytest.approx(1_000_000 + 30_000)
    assert costs.loc["b", "cases"] == 2
    assert costs.attrs["cases_without_cost"] == 1
    assert ec.person_costs(_cases(), 2025).set_index("person_id").loc["a", "cost_dkk"] == pytest.approx(
        14_400_000
    )


def test_expensive_summary_before_and_after_refund():
    costs = ec.person_costs(_cases(), 2025, "5.38")
    summary = ec.expensive_summary(costs, TIERS, 2_000_000)
    refund_a = 0.25 * 820_000 + 0.5 * 440_000 + 0.75 * 280_000  # 2.4 mio.
    refund_b = 0.25 * (1_030_000 - 860_000)
    assert summary.loc["expensive", "persons"] == 1
    assert summary.loc["expensive", "cost_dkk"] == pytest.approx(2_400_000)
    assert summary.loc["expensive", "refund_dkk"] == pytest.approx(refund_a)
    assert summary.loc["expensive", "share_of_cost"] == pytest.approx(2_400_000 / 3_430_000)
    assert summary.loc["refunded", "persons"] == 2
    assert summary.loc["all", "refund_dkk"] == pytest.approx(refund_a + refund_b)
    assert summary.loc["all", "net_cost_dkk"] == pytest.approx(3_430_000 - refund_a - refund_b)


def test_bad_cases_are_refused():
    bad = _cases()
    bad.loc[0, "end_date"] = "2024-01-01"
    with pytest.raises(ValueError, match="row 0: end_date 2024-01-01 is before start_date 2024-06-01"):
        ec.person_costs(bad, 2025)


def test_the_parameter_files_are_read_and_checked(tmp_path):
    tiers = thresholds.read_refund_tiers()
    assert tiers.tiers == ((860_000.0, 0.25), (1_680_000.0, 0.5), (2_120_000.0, 0.75))
    assert tiers.level_year == 2022 and "§ 176" in tiers.source
    assert tiers.expensive_threshold_dkk == 2_000_000
    assert thresholds.read_recommendation_sizes() == {"medium_share": 0.05, "high_share": 0.15}
    bad = tmp_path / "r.yaml"
    bad.write_text("medium_share: 0.3\nhigh_share: 0.1\n", "utf-8")
    with pytest.raises(ConfigurationError, match="medium_share 0.3 is above high_share 0.1"):
        thresholds.read_recommendation_sizes(bad)
    bad.write_text(
        "name: x\nsource: y\nlevel_year: 2022\nexpensive_threshold_dkk: 1\n"
        "tiers:\n  - {threshold_dkk: 2, rate: 0.5}\n  - {threshold_dkk: 1, rate: 0.25}\n",
        "utf-8",
    )
    with pytest.raises(ConfigurationError, match="rise strictly"):
        thresholds.read_refund_tiers(bad)


def _aged_cases() -> pd.DataFrame:
    rows = [
        # (person, start, monthly cost, age on 1 January of the start year); all on 5.38.50, running through 2025
        ("a", "2024-01-01", 200_000, 40),  # 41 in 2025: 2.4 mio., under 67
        (
            "e",
            "2024-01-01",
            150_000,
            69,
        ),  # 70 in 2025, 66 on 1 January 2021, no case then: not covered; 1.8 mio.
        ("f", "2015-01-01", 100_000, 60),  # 70 in 2025; in 2021 (turned 67) 1.2 mio. with a refund: stk. 3
        ("g", "2010-01-01", 100_000, 60),  # 75 in 2025; turned 67 in 2016, before stk. 3 (2021): not covered
        ("h", "2025-01-01", 100_000, None),  # age unknown: refunded as before
        ("i", "2025-01-01", 100_000, 66),  # 66 on 1 January 2025 (turns 67 in the year): under 67
    ]
    df = pd.DataFrame(rows, columns=["person_id", "start_date", "monthly_cost_dkk", "age_at_start_year"])
    return df.assign(function_code="5.38.50", end_date=None)


def test_persons_of_67_or_more_have_no_refund_unless_stk_3_carries_it():
    costs = ec.person_costs(_aged_cases(), 2025, "5.38")
    by = costs.set_index("person_id")
    assert by["age"].to_dict() == pytest.approx(
        {"a": 41, "e": 70, "f": 70, "g": 75, "h": float("nan"), "i": 66}, nan_ok=True
    )
    # f turned 67 in 2025 - (70 - 66) = 2021: 12 x 100,000 that year; e's case began in 2024, so 0 in 2021
    assert by.loc["f", "year_turned_67"] == 2021 and by.loc["f", "cost_year_turned_67_dkk"] == pytest.approx(
        1_200_000
    )
    assert by.loc["e", "cost_year_turned_67_dkk"] == 0 and by.loc["g", "year_turned_67"] == 2016
    status = ec.refund_status(costs, TIERS).set_axis(costs["person_id"]).to_dict()
    assert status == {
        "a": "under_67",
        "e": "age_67_or_more",
        "f": "continued_after_67",
        "g": "age_67_or_more",
        "h": "age_unknown",
        "i": "under_67",
    }
    summary = ec.expensive_summary(costs, TIERS, 2_000_000)
    refund_a = 0.25 * 820_000 + 0.5 * 440_000 + 0.75 * 280_000  # 2.4 mio.: 635,000
    refund_12 = 0.25 * (1_200_000 - 860_000)  # 1.2 mio.: 85,000 (f, h, i; g would have had it)
    refund_e = 0.25 * 820_000 + 0.5 * (1_800_000 - 1_680_000)  # 1.8 mio.: 265,000, not paid
    assert summary.loc["all", "refund_dkk"] == pytest.approx(refund_a + 3 * refund_12)  # 890,000
    assert summary.loc["refunded", "persons"] == 4  # a, f, h, i
    assert summary.loc["not_refunded_age", ["persons", "cost_dkk", "refund_dkk"]].tolist() == [
        2,
        3_000_000,
        0,
    ]
    assert summary.attrs["refund_forgone_dkk"] == pytest.approx(refund_e + refund_12)  # 350,000
    assert (
        summary.loc["refunded_after_67", "persons"] == 1
        and summary.loc["refunded_age_unknown", "persons"] == 1
    )
    # 6 persons, 9.0 mio. before refund: 2.4 + 1.8 + 4 x 1.2
    assert summary.loc["all", "net_cost_dkk"] == pytest.approx(9_000_000 - 890_000)
    forgone = ec.not_refunded_for_age(costs, TIERS)
    assert forgone["person_id"].tolist() == ["e", "g"]
    assert forgone["refund_forgone_dkk"].tolist() == pytest.approx([refund_e, refund_12])


def test_without_ages_every_person_is_refunded_as_before_and_the_text_says_so():
    costs = ec.person_costs(_cases(), 2025, "5.38")  # no age_at_start_year column
    assert costs["age"].isna().all()
    summary = ec.expensive_summary(costs, TIERS, 2_000_000)
    assert (
        summary.loc["refunded_age_unknown", "persons"] == 2
        and summary.loc["not_refunded_age", "persons"] == 0
    )
    text = ec.refund_age_text_da(summary)
    assert "Færre end 5 borgere med refusion har ingen kendt alder i sagsdata" in text
    assert "ikke omfattet" not in text


def test_the_age_text_hides_small_groups_and_their_amount():
    aged = ec.expensive_summary(ec.person_costs(_aged_cases(), 2025), TIERS)
    text = ec.refund_age_text_da(aged)
    # 2 not covered: fewer than 5, so neither the count nor the refund they would have had (350,000 kr.) is shown
    assert "Færre end 5 borgere på 67 år eller derover var ikke omfattet og får ingen refusion." in text
    assert "0,4 mio. kr." not in text and "stk. 3." in text
    many = pd.concat(
        [_aged_cases().assign(person_id=lambda d, k=k: d["person_id"] + str(k)) for k in range(5)]
    )
    text = ec.refund_age_text_da(ec.expensive_summary(ec.person_costs(many, 2025), TIERS))
    # 10 not covered (e and g five times): 5 x 350,000 = 1,75 mio. kr. forgone
    assert (
        "10 borgere på 67 år eller derover var ikke omfattet og får ingen refusion (ellers 1,8 mio. kr.)."
        in text
    )
    assert "5 borgere på 67 år eller derover får refusion efter stk. 3." in text


def test_doctests():
    import doctest

    result = doctest.testmod(ec, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4 and result.failed == 0


def test_a_parameter_file_that_is_not_a_yaml_mapping_is_refused_naming_it(tmp_path):
    from analysis.data.unit_costs import read_unit_costs

    bad = tmp_path / "r.yaml"
    bad.write_text("tiers: [1, 2\n", "utf-8")
    with pytest.raises(ConfigurationError, match=r"r.yaml: not valid YAML \("):
        thresholds.read_refund_tiers(bad)
    bad.write_text("- 1\n- 2\n", "utf-8")
    with pytest.raises(ConfigurationError, match="r.yaml: expected a mapping of keys, found a list"):
        thresholds.read_refund_tiers(bad)
    bad.write_text("", "utf-8")
    with pytest.raises(ConfigurationError, match="r.yaml: expected a mapping of keys, found an empty file"):
        thresholds.read_recommendation_sizes(bad)
    assert read_unit_costs(bad).empty  # an empty unit-cost file means no unit costs
    with pytest.raises(ConfigurationError, match="no such unit-cost file"):
        read_unit_costs(tmp_path)  # a folder is no file
    with pytest.raises(ConfigurationError, match="no such refund thresholds file"):
        thresholds.read_refund_tiers(tmp_path / "none.yaml")
