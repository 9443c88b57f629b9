"""Quantity and price drift of the year-end forecast against the budget, on figures computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.forecast.disposition import case_months
from analysis.forecast.drift import activity_prices, case_coverage, forecast_drift, split_drift


def cases_frame(rows):
    return pd.DataFrame(
        rows, columns=["municipality_code", "function_code", "start_date", "end_date", "monthly_cost_dkk"]
    ).assign(start_date=lambda d: pd.to_datetime(d.start_date), end_date=lambda d: pd.to_datetime(d.end_date))


# As of the end of March 2024: two known cases, one running since March 2023, one started January 2024 (its
# end in June is not known yet); a third starts in May, after the origin.
CASES = [
    (101, "5.38.50", "2023-03-01", None, 100.0),
    (101, "5.38.50", "2024-01-15", "2024-06-30", 200.0),
    (101, "5.38.50", "2024-05-01", "2024-12-31", 300.0),
]
ACTIVITY = pd.DataFrame(
    {
        "municipality_code": [101, 101, 101],
        "year": [2023, 2023, 2024],
        "function_code": ["5.38.50"] * 3,
        "paragraph": ["§108"] * 3,
        "provider": ["internal", "external", "internal"],
        "full_year_persons": [3.0, 2.0, 99.0],
        "spending_dkk": [500_000.0, 500_000.0, 9e9],
    }
)
FORECAST = pd.DataFrame(
    {"municipality_code": [101], "function_code": ["5.38.50"], "forecast_dkk": [3e6], "budget_dkk": [1.2e6]}
)


def test_split_adds_up_with_quantity_at_budget_price_and_price_at_forecast_quantity():
    # B = 100 at p_B = 2 pays for q_B = 50; F = 132 for q_F = 60 is p_F = 2.2
    d = split_drift(100.0, 2.0, 132.0, 60.0).iloc[0]
    assert d["budget_quantity"] == 50.0 and d["forecast_price_dkk"] == pytest.approx(2.2)
    assert d["quantity_drift_dkk"] == pytest.approx((60 - 50) * 2.0)  # 20
    assert d["price_drift_dkk"] == pytest.approx((2.2 - 2.0) * 60)  # 12
    assert d["quantity_drift_dkk"] + d["price_drift_dkk"] == d["deviation_dkk"] == 32.0


def test_split_is_vectorised_and_exact_and_missing_where_undefined():
    rng = np.random.default_rng(0)
    b, p, f, q = (
        rng.uniform(1e6, 1e8, 50),
        rng.uniform(1e5, 2e6, 50),
        rng.uniform(1e6, 1e8, 50),
        rng.uniform(1, 99, 50),
    )
    d = split_drift(b, p, f, q)
    assert len(d) == 50
    # the price drift is the remainder, so the sum is the deviation up to the rounding of one float addition
    np.testing.assert_allclose(d["quantity_drift_dkk"] + d["price_drift_dkk"], d["deviation_dkk"], rtol=1e-14)
    np.testing.assert_allclose(d["price_drift_dkk"], (f / q - p) * q, rtol=1e-9)
    bad = split_drift([100.0, 100.0, np.nan], [0.0, 2.0, 2.0], [120.0, 120.0, 120.0], [10.0, 0.0, 10.0])
    assert bad[["quantity_drift_dkk", "price_drift_dkk"]].isna().all().all()


def test_activity_prices_sum_paragraphs_and_providers():
    got = activity_prices(ACTIVITY).loc[(101, "5.38.50", 2023)]
    assert got["full_year_persons"] == 5.0 and got["price_dkk"] == 200_000.0


def test_case_months_by_hand():
    got = case_months(cases_frame(CASES), 2024, 3).loc[(101, "5.38.50")]
    assert got["last_year"] == 10  # the first case, March-December 2023
    assert got["booked"] == 6  # both known cases, January-March 2024
    # 2 running, no end in the 12 months to March 2024 (q = 0), 1 start (1/12 a month): month k of the rest
    # expects 2 + k/12 cases
    assert got["expected_rest"] == pytest.approx(sum(2 + k / 12 for k in range(1, 10)))  # 21.75
    assert got["year_total"] == pytest.approx(27.75)


def test_forecast_drift_with_the_caseload_of_the_cases_table():
    d = forecast_drift(FORECAST, ACTIVITY, 2024, 3, cases_frame(CASES)).iloc[0]
    # p_B = 1,000,000 / 5 = 200,000 (2023); q_B = 1,200,000 / 200,000 = 6; q_F = 5 * 27.75 / 10 = 13.875
    assert d["quantity_source"] == "cases"
    assert d["caseload_index"] == pytest.approx(2.775)
    assert d["budget_price_dkk"] == 200_000.0 and d["budget_quantity"] == pytest.approx(6.0)
    assert d["forecast_quantity"] == pytest.approx(13.875)
    assert d["quantity_drift_dkk"] == pytest.approx((13.875 - 6) * 200_000)  # 1,575,000
    assert d["price_drift_dkk"] == pytest.approx((3e6 / 13.875 - 200_000) * 13.875)  # 225,000
    assert d["quantity_drift_dkk"] + d["price_drift_dkk"] == pytest.approx(1.8e6)


def test_forecast_drift_with_last_years_quantity():
    for cases in (None, cases_frame(CASES)):
        d = forecast_drift(FORECAST, ACTIVITY, 2024, 3, cases, quantity="last_year").iloc[0]
        assert d["quantity_source"] == "last_year" and np.isnan(d["caseload_index"])
        assert d["forecast_quantity"] == 5.0
        assert d["quantity_drift_dkk"] == pytest.approx(
            (5 - 6) * 200_000
        )  # last year's spending minus budget
        assert d["price_drift_dkk"] == pytest.approx((3e6 / 5 - 200_000) * 5)  # 2,000,000
    # 'auto' without cases on the series falls back to last year's quantity
    other = cases_frame([(101, "5.38.52", "2020-01-01", None, 1.0)])
    assert forecast_drift(FORECAST, ACTIVITY, 2024, 3, other).iloc[0]["quantity_source"] == "last_year"
    assert np.isnan(
        forecast_drift(FORECAST, ACTIVITY, 2024, 3, other, quantity="cases").iloc[0]["price_drift_dkk"]
    )


def test_forecast_drift_sees_nothing_after_the_origin():
    base = forecast_drift(FORECAST, ACTIVITY, 2024, 3, cases_frame(CASES))
    later = CASES[:1] + [
        (101, "5.38.50", "2024-01-15", "2024-04-30", 200.0),  # an end after the origin, changed
        (101, "5.38.50", "2024-07-01", None, 999.0),  # a start after the origin
    ]
    activity = ACTIVITY.assign(
        full_year_persons=np.where(ACTIVITY.year == 2024, 1.0, ACTIVITY.full_year_persons)
    )
    pd.testing.assert_frame_equal(base, forecast_drift(FORECAST, activity, 2024, 3, cases_frame(later)))


def test_forecast_drift_refuses_an_unknown_quantity_source():
    with pytest.raises(ValueError, match="quantity must be one of"):
        forecast_drift(FORECAST, ACTIVITY, 2024, 3, quantity="trend")
    with pytest.raises(ValueError, match="needs the cases table"):
        forecast_drift(FORECAST, ACTIVITY, 2024, 3, quantity="cases")


def test_the_coverage_test_compares_full_year_persons_of_last_year():
    keys = pd.DataFrame(
        {"municipality_code": [101, 101, 101], "function_code": ["5.38.50", "5.38.52", "5.38.59"]}
    )
    activity = pd.DataFrame(
        {
            "municipality_code": [101, 101, 101],
            "year": [2024, 2024, 2025],
            "function_code": ["5.38.50", "5.38.52", "5.38.59"],
            "paragraph": ["§108"] * 3,
            "provider": ["internal"] * 3,
            "full_year_persons": [1.0, 2.0, 5.0],
            "spending_dkk": [1.0, 1.0, 1.0],
        }
    )
    # 5.38.50: one case all of 2024 and one from March 2024 (10 months): 22 case-months = 1,83 persons against
    # 1,0; 5.38.52: two cases all of 2024, one paid November-December and one December: 27 case-months = 2,25
    # persons against 2,0; 5.38.59: activity only in 2025, which is not used
    cases = cases_frame(
        [
            (101, "5.38.50", "2023-01-01", None, 1.0),
            (101, "5.38.50", "2024-03-01", None, 1.0),
            (101, "5.38.52", "2023-01-01", None, 1.0),
            (101, "5.38.52", "2023-01-01", None, 1.0),
            (101, "5.38.52", "2024-11-01", "2024-12-31", 1.0),
            (101, "5.38.52", "2024-12-01", "2024-12-31", 1.0),
        ]
    )
    out = case_coverage(keys, activity, cases, 2025, 3)
    assert out["case_persons"].tolist() == pytest.approx([22 / 12, 27 / 12, np.nan], nan_ok=True)
    assert out["reason"].tolist() == ["not_covered", "not_covered", "no_activity"]
    # 27 case-months = 2,25 persons: 12,5 % more than 2,0. With 26 (one month less) 8,3 % more: covered
    fewer = cases.drop(index=5)
    out = case_coverage(keys, activity, fewer, 2025, 3)
    assert out["case_persons"].iloc[1] == pytest.approx(26 / 12) and out["reason"].iloc[1] == "covered"
    assert out["covered"].tolist() == [False, True, False]
    # exactly 10 % more passes: 2,2 persons against 2,0
    exact = activity.assign(full_year_persons=[1.0, 26 / 12 / 1.1, 5.0])
    assert case_coverage(keys, exact, fewer, 2025, 3)["covered"].iloc[1]
    assert case_coverage(keys, activity, None, 2025, 3)["reason"].tolist() == [
        "no_cases",
        "no_cases",
        "no_activity",
    ]
    with pytest.raises(ValueError, match="tolerance"):
        case_coverage(keys, activity, cases, 2025, 3, tolerance=1.5)


def test_the_budget_price_is_last_years_price_raised_with_the_price_index():
    # 2023: 5 full-year persons for 1,0 mio. kr. = 200.000 kr.; the index rises 3 % into 2024: p_B = 206.000 kr.
    # B = 1,2 mio. kr. pays for q_B = 1.200.000 / 206.000 = 5,825 persons; with last year's quantity q_F = 5 and
    # F = 3,0 mio. kr.: quantity drift (5 - 5,825) x 206.000 = 1.030.000 - 1.200.000 = -170.000; price drift
    # (600.000 - 206.000) x 5 = 1.970.000; together 1.800.000 = F - B
    index = pd.Series({2022: 97.0, 2023: 100.0, 2024: 103.0})
    d = forecast_drift(FORECAST, ACTIVITY, 2024, 3, quantity="last_year", price_index=index).iloc[0]
    assert d["last_year_price_dkk"] == 200_000 and d["price_factor"] == pytest.approx(1.03)
    assert d["budget_price_dkk"] == pytest.approx(206_000)
    assert d["quantity_drift_dkk"] == pytest.approx(-170_000) and d["price_drift_dkk"] == pytest.approx(
        1_970_000
    )
    plain = forecast_drift(FORECAST, ACTIVITY, 2024, 3, quantity="last_year").iloc[0]
    assert plain["price_factor"] == 1.0 and plain["budget_price_dkk"] == 200_000
    with pytest.raises(ValueError, match="2024"):
        forecast_drift(FORECAST, ACTIVITY, 2024, 3, price_index=index.drop(2024))
