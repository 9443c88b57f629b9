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
