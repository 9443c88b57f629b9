"""The honest choice of method (the combination unless one method is significantly better), the fan that never
narrows, and the reconciled total of several areas; all on hand-made series whose figures are worked out here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.followup import followup, with_total
from analysis.forecast.area import area_forecast, fan_halfwidths
from analysis.forecast.backtest import BacktestResult
from analysis.forecast.methods import AverageProfile, LastYearProfile, RunRate
from analysis.forecast.select import paired_test, select_methods, t_critical
from analysis.forecast.total import reconciled_total, total_interval

YEARS = list(range(2019, 2025))
LABELS = {
    "run_rate": "Forbrugsprocent (lineær fremskrivning)",
    "average_profile": "Gennemsnitligt forbrugsmønster (3 år)",
    "combination": "Kombination af de bedste metoder",
}


def result_from(apes: dict[str, dict[str, list[float]]]) -> BacktestResult:
    """A back-test whose APE is given per series and method, one value per year (the same at every origin)."""
    rows = []
    for func, by_method in apes.items():
        for method, values in by_method.items():
            for year, v in zip(YEARS, values, strict=True):
                rows += [
                    {"municipality_code": 101, "function_code": func, "year": year, "month": m,
                     "method": method, "ape_pct": v, "error_dkk": v * 1000.0}
                    for m in range(1, 12)
                ]  # fmt: skip
    frame = pd.DataFrame(rows)
    keys = frame[["municipality_code", "function_code"]].drop_duplicates().reset_index(drop=True)
    paths = {m: np.empty(0) for m in LABELS}
    return BacktestResult(keys, np.array(YEARS), np.empty(0), paths, LABELS, frame)


# a: the average profile hits 2 percentage points closer than the combination every year (2,0 2,2 1,8 2,1 1,9 2,0)
# b: the average profile is better on average (mean APE 3,0 against 3,3) but by noise: 2 4 1 5 2 4 against 3,3
CLEAR = {
    "run_rate": [5.0] * 6,
    "average_profile": [1.0] * 6,
    "combination": [3.0, 3.2, 2.8, 3.1, 2.9, 3.0],
}
NOISE = {
    "run_rate": [5.0] * 6,
    "average_profile": [2.0, 4.0, 1.0, 5.0, 2.0, 4.0],
    "combination": [3.3] * 6,
}


def test_the_t_quantiles_are_the_tabled_ones():
    # one-sided 5 %: 6,314 (1 df), 2,132 (4), 2,015 (5); 10 % with 30 df: 1,310
    assert t_critical(1) == pytest.approx(6.314, abs=1e-3) and t_critical(4) == pytest.approx(2.132, abs=1e-3)
    assert t_critical(5) == pytest.approx(2.015, abs=1e-3) and t_critical(30, 0.1) == pytest.approx(
        1.310, abs=1e-3
    )
    mean, unc, better = paired_test([1.0, 2.0])  # two years: no test
    assert mean == 1.5 and np.isnan(unc) and not better


def test_a_method_clearly_and_consistently_better_is_chosen_noise_keeps_the_combination():
    sel = select_methods(result_from({"5.38.50": CLEAR, "5.38.52": NOISE})).set_index("function_code")
    a, b = sel.loc["5.38.50"], sel.loc["5.38.52"]
    # a: d = 2,0 2,2 1,8 2,1 1,9 2,0, mean 2,0, sd = sqrt(0,10 / 5) = 0,1414, t(5) 2,015 x 0,1414 / sqrt(6) = 0,116
    assert a["method"] == "average_profile" and a["rule"] == "single"
    assert a["difference"] == pytest.approx(2.0) and a["uncertainty"] == pytest.approx(0.1163, abs=1e-4)
    assert a["runner_up"] == "combination" and a["n_compared_years"] == 6
    assert a["rule_text"] == (
        "Gennemsnitligt forbrugsmønster (3 år) bruges frem for kombinationen, fordi den har ramt signifikant "
        "bedre i de 6 tidligere år (i gennemsnit 2,0 procentpoint tættere på, usikkerhed ±0,1)"
    )
    # b: d = 1,3 -0,7 2,3 -1,7 1,3 -0,7, mean 0,3, sd = sqrt(12 / 5) = 1,549, 2,015 x 1,549 / sqrt(6) = 1,274
    assert (
        b["method"] == "combination" and b["rule"] == "combination" and b["best_single"] == "average_profile"
    )
    assert b["difference"] == pytest.approx(0.3) and b["uncertainty"] == pytest.approx(1.2745, abs=1e-4)
    assert b["reason"] == (
        "Kombination af de bedste metoder ramte inden for 3,3 % i juni i 6 af 6 år. Kombinationen bruges, fordi "
        "ingen enkelt metode har ramt signifikant bedre i de 6 tidligere år (forskel 0,3 procentpoint, "
        "usikkerhed ±1,3)"
    )
    assert " mod " not in b["reason"]
    # the rule before took the lowest mean APE however small the margin
    old = select_methods(result_from({"5.38.52": NOISE}), rule="lowest").iloc[0]
    assert old["method"] == "average_profile" and old["rule"] == "lowest"


def test_a_combination_that_hit_better_than_every_method_is_said_so():
    worse = {**NOISE, "average_profile": [4.0] * 6}  # best single 4,0 against the combination's 3,3: d = -0,7
    row = select_methods(result_from({"5.38.50": worse})).iloc[0]
    assert row["method"] == "combination" and row["difference"] == pytest.approx(-0.7)
    assert (
        "mindst lige så godt som hver enkelt metode" in row["rule_text"]
        and "0,7 procentpoint" in row["rule_text"]
    )
    # a margin that rounds to 0,0 points is called equal, not '0,0 procentpoint længere fra'
    tied = {**NOISE, "average_profile": [3.33] * 6}  # 3,33 against the combination's 3,3: d = -0,03
    row = select_methods(result_from({"5.38.50": tied})).iloc[0]
    assert row["method"] == "combination" and row["difference"] == pytest.approx(-0.03)
    assert (
        row["rule_text"].endswith("ramte i gennemsnit lige så tæt på)")
        and "0,0 procentpoint" not in row["rule_text"]
    )


def test_the_fan_never_narrows_in_a_low_november():
    # three years, 100 a month and 20 in November, forecast exactly except the errors below (DKK)
    f = np.tile(np.r_[[100.0] * 10, 20.0, 100.0], (3, 1))  # year total 1.120
    a = f.copy()
    a[:, 9] += [8.0, -4.0, 2.0]  # October off by up to 8
    a[:, 10] += [1.0, -1.0, 0.5]  # November, a low month, off by at most 1
    a[:, 11] += [-5.0, 12.0, 3.0]  # December off by up to 12
    monthly, cum = fan_halfwidths(f, a, 9)
    # in DKK of the total 1.120: mean absolute errors Oct 14/3, Nov 2,5/3, Dec 20/3; November may not fall
    # below October, so the two are averaged (the least-squares non-decreasing fit): scale 2,75 2,75 6,667.
    # Errors over their month's scale: Oct 2,909 1,455 0,727, Nov 0,364 0,364 0,182, Dec 0,75 1,8 0,45; the
    # 8th smallest of the 9 (k = ceil(0,8 x 10)) is 1,8 (December's 12 / 6,667): widths 1,8 x the scale
    np.testing.assert_allclose(monthly * 1120, [4.95, 4.95, 12.0])
    # cumulative errors: Oct 8 -4 2, Nov 9 -5 2,5, Dec 4 7 5,5: widths 8, 9, 7, then the running minimum from
    # December backwards: 7 7 7 (the December width is the year-end interval's)
    np.testing.assert_allclose(cum * 1120, [7.0, 7.0, 7.0])


def _ledger(function_code: str, december: list[float], low_november: bool = False) -> pd.DataFrame:
    """100.000 kr. a month 2020-2025 (2025 up to September), December 100.000 + the year's extra; optionally an
    October off by 4.000-5.000 and a low November (20.000 rising by 3.000 a year)."""
    rows = []
    for i, year in enumerate(range(2020, 2026)):
        for m in range(1, 13 if year < 2025 else 10):
            v = 100_000.0 + (december[i] if m == 12 else 0.0)
            if low_november and m == 10:
                v += 5_000.0 if i % 2 else -4_000.0
            if low_november and m == 11:
                v = 20_000.0 + 3_000.0 * i
            rows.append({"municipality_code": 101, "function_code": function_code, "year": year, "month": m,
                         "spending_dkk": v})  # fmt: skip
    return pd.DataFrame(rows)


def test_the_report_fan_widens_monotonically_on_a_series_with_a_low_november():
    led = _ledger("5.38.50", [30e3, -10e3, 0.0, 20e3, -40e3, 0.0], low_november=True)
    methods = [RunRate(), LastYearProfile(), AverageProfile()]
    fc = area_forecast(led, 101, "5.38.50", 2025, 9, methods=methods)
    p = fc.path
    width = (p["upper_dkk"] - p["lower_dkk"]).iloc[9:].to_numpy()
    cum_width = (p["cum_upper_dkk"] - p["cum_lower_dkk"]).iloc[9:].to_numpy()
    assert (
        np.isfinite(width).all() and (np.diff(width) >= -1e-6).all() and (np.diff(cum_width) >= -1e-6).all()
    )
    assert p.loc[11, "forecast_dkk"] < 0.6 * p.loc[10, "forecast_dkk"]  # November is low ...
    assert width[1] >= width[0] > 0  # ... and its band is not narrower than October's
    assert (p.loc[12, "cum_lower_dkk"], p.loc[12, "cum_upper_dkk"]) == pytest.approx(
        (fc.lower_dkk, fc.upper_dkk)
    )


# two areas whose Decembers miss in opposite directions (DKK), 2020-2024; 2025 is forecast in September
A_DEC = [30e3, -10e3, 0.0, 20e3, -40e3, 0.0]
B_DEC = [-30e3, 20e3, 0.0, 10e3, 40e3, 0.0]


def test_the_total_of_two_areas_is_their_sum_with_an_interval_from_the_summed_errors():
    # run rate in September: 900.000 x 12 / 9 = 1,2 mio. kr. per area in every year, so the errors are the
    # Decembers: a 30, -10, 0, 20, -40 and b -30, 20, 0, 10, 40 (t.kr.); summed 0, 10, 0, 30, 0 of 2,4 mio. kr.
    # 5 years: k = ceil(6 x 0,8) = 5, the largest, 30.000 / 2.400.000 = 1,25 %: 2,4 mio. kr. +- 30.000
    led = pd.concat([_ledger("5.38.50", A_DEC), _ledger("5.38.52", B_DEC)], ignore_index=True)
    fcs = [area_forecast(led, 101, f, 2025, 9, methods=[RunRate()]) for f in ("5.38.50", "5.38.52")]
    assert [fc.method for fc in fcs] == ["run_rate", "run_rate"]
    # each area alone: its largest December error, 40.000; their bounds summed would be +- 80.000
    assert fcs[0].upper_dkk - fcs[0].forecast_dkk == pytest.approx(40_000)
    total = reconciled_total(fcs)
    assert total["forecast_dkk"] == pytest.approx(2_400_000) and total["n_years"] == 5
    assert (total["lower_dkk"], total["upper_dkk"]) == pytest.approx((2_370_000, 2_430_000))
    # the monthly follow-up's total row is this total
    budgets = pd.DataFrame({"municipality_code": 101, "year": 2025, "function_code": ["5.38.50", "5.38.52"],
                            "budget_dkk": [1.1e6, 1.3e6]})  # fmt: skip
    forecaster = lambda *a: area_forecast(*a[:5], methods=[RunRate()])  # noqa: E731
    rows = with_total(followup(led, budgets, 101, 2025, 9, forecaster=forecaster)).set_index("function_code")
    t = rows.loc["total"]
    assert t["forecast_dkk"] == pytest.approx(rows.loc[["5.38.50", "5.38.52"], "forecast_dkk"].sum())
    assert (t["lower_dkk"], t["upper_dkk"]) == pytest.approx((2_370_000, 2_430_000))


def test_a_year_without_every_area_does_not_count_for_the_total():
    e = pd.DataFrame(
        {"function_code": ["a", "a", "a", "b", "b"], "year": [2020, 2021, 2022, 2021, 2022],
         "forecast_dkk": [100.0, 100, 100, 50, 50], "actual_dkk": [150.0, 110, 95, 56, 55]}
    )  # fmt: skip
    lo, hi, n = total_interval(e, 150.0)  # 2020 has area a only: two years left, too few
    assert n == 2 and np.isnan(lo) and np.isnan(hi)
