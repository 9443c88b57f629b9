"""Known answers for every year-end method: constant months, a linear trend, an exact seasonal pattern."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.forecast import commitment_rates, commitments
from analysis.forecast.disposition import commitment_paths
from analysis.forecast.methods import (
    AverageProfile,
    BudgetBased,
    Disposition,
    LastYearProfile,
    RunRate,
    SeasonalNaive,
    StatisticalAdapter,
    YearContext,
    default_methods,
)
from analysis.forecast.statistical import ARIMAMethod, ETSMethod, ThetaMethod

PATTERN = np.array([0.6, 0.8, 1.0, 1.0, 1.1, 1.2, 0.5, 0.9, 1.0, 1.1, 1.2, 1.6])


def context(years: np.ndarray, m: int, budget=None, commitments=None) -> YearContext:
    """Context at origin m of the last year in ``years`` (N, Y, 12)."""
    return YearContext(ytd=years[:, -1, :m], history=years[:, :-1, :], budget=budget, commitments=commitments)


def total(method, ctx) -> np.ndarray:
    return method.year_end(ctx)


@pytest.mark.parametrize("m", [1, 4, 11])
def test_every_method_is_exact_on_constant_months(m):
    years = np.full((2, 5, 12), 1000.0)
    ctx = context(years, m, budget=np.full(2, 12000.0), commitments=np.full((2, 12 - m), 1000.0))
    for method in default_methods(statistical=True):
        np.testing.assert_allclose(total(method, ctx), 12000.0, rtol=1e-9, err_msg=method.name)
        np.testing.assert_allclose(method.remaining(ctx), 1000.0, rtol=1e-9, err_msg=method.name)


def test_run_rate_is_ytd_times_12_over_m():
    rng = np.random.default_rng(0)
    years = rng.uniform(100, 200, size=(3, 2, 12))
    for m in range(1, 12):
        ctx = context(years, m)
        expected = years[:, -1, :m].sum(axis=1) * 12 / m
        np.testing.assert_allclose(total(RunRate(), ctx), expected)


def test_linear_trend_known_answers():
    # monthly values a + b t over 6 years: run-rate under-forecasts by a known amount; ETS and ARIMA are exact
    t = np.arange(72, dtype=float)
    series = 1000.0 + 10.0 * t
    years = series.reshape(1, 6, 12)
    m = 6
    ctx = context(years, m)
    actual = years[0, -1].sum()
    ytd = years[0, -1, :m]
    assert total(RunRate(), ctx)[0] == pytest.approx(ytd.mean() * 12)
    # last year's profile: ytd divided by last year's share of January..June
    share = years[0, -2, :m].sum() / years[0, -2].sum()
    assert total(LastYearProfile(), ctx)[0] == pytest.approx(ytd.sum() / share)
    # seasonal naive: the remaining months are last year's, each 120 lower
    assert total(SeasonalNaive(), ctx)[0] == pytest.approx(actual - 6 * 120.0)
    for model in (ETSMethod(), ARIMAMethod()):
        assert total(StatisticalAdapter(model=model), ctx)[0] == pytest.approx(actual, rel=1e-6), model.name


def test_profiles_are_exact_for_a_seasonal_pattern_scaled_by_year():
    scale = np.array([1.0, 1.1, 0.95, 1.3, 1.5])
    years = (scale[:, None] * PATTERN[None, :])[None] * 1e6
    actual = years[0, -1].sum()
    for m in range(1, 12):
        ctx = context(years, m)
        assert total(LastYearProfile(), ctx)[0] == pytest.approx(actual)
        assert total(AverageProfile(), ctx)[0] == pytest.approx(actual)
        np.testing.assert_allclose(LastYearProfile().remaining(ctx)[0], years[0, -1, m:])
    # the seasonal naive is not: last year's level was lower
    assert total(SeasonalNaive(), context(years, 6))[0] < actual


def test_seasonal_naive_and_models_are_exact_for_a_repeating_pattern():
    years = np.tile(PATTERN * 1e5, (1, 6, 1))
    actual = years[0, -1].sum()
    for m in (1, 5, 11):
        ctx = context(years, m)
        np.testing.assert_allclose(SeasonalNaive().remaining(ctx)[0], years[0, -1, m:])
        for model in (ThetaMethod(), ARIMAMethod(), ETSMethod()):
            got = total(StatisticalAdapter(model=model), ctx)[0]
            assert got == pytest.approx(actual, rel=1e-4), (model.name, m)


def test_average_profile_uses_the_documented_number_of_years():
    flat = np.full(12, 100.0)
    years = np.stack([PATTERN * 100, PATTERN * 100, flat, flat, flat])[None]
    ctx = context(np.concatenate([years, years[:, -1:]], axis=1), 6)
    # n_years=3: only the three flat years count, so the profile is flat: the run-rate answer
    assert total(AverageProfile(), ctx)[0] == pytest.approx(1200.0)
    assert total(AverageProfile(n_years=5), ctx)[0] != pytest.approx(1200.0)


def test_budget_based_formula():
    years = np.array([[[100.0] * 12, [150.0] * 6 + [0.0] * 6]])
    budget = np.array([1200.0])
    for m in (3, 6):
        ctx = context(years, m, budget=budget)
        ytd = 150.0 * m
        # budget plus the deviation from its pro-rata
        assert total(BudgetBased(), ctx)[0] == pytest.approx(1200.0 + (ytd - 1200.0 * m / 12))
    assert np.isnan(total(BudgetBased(), context(years, 3)))[0]


def test_methods_without_data_return_nan():
    years = np.full((1, 1, 12), 100.0)
    ctx = YearContext(ytd=years[:, 0, :4], history=np.full((1, 2, 12), np.nan))
    assert np.isfinite(total(RunRate(), ctx)).all()
    for method in (LastYearProfile(), AverageProfile(), SeasonalNaive(), BudgetBased(), Disposition()):
        assert np.isnan(total(method, ctx)).all(), method.name


def test_profile_with_zero_last_year_is_missing_not_infinite():
    years = np.array([[[0.0] * 12, [10.0] * 12]])
    assert np.isnan(total(LastYearProfile(), context(years, 3))).all()


def test_context_rejects_bad_shapes():
    with pytest.raises(ValueError, match="ytd"):
        YearContext(ytd=np.zeros((2, 12)), history=np.zeros((2, 1, 12)))
    with pytest.raises(ValueError, match="history"):
        YearContext(ytd=np.zeros((2, 3)), history=np.zeros((3, 1, 12)))


# ------------------------------------------------------------------------------------------------------------
# disposition
# ------------------------------------------------------------------------------------------------------------


def cases_frame(rows):
    return pd.DataFrame(
        rows, columns=["municipality_code", "function_code", "start_date", "end_date", "monthly_cost_dkk"]
    ).assign(start_date=lambda d: pd.to_datetime(d.start_date), end_date=lambda d: pd.to_datetime(d.end_date))


def test_disposition_running_cases_without_flows():
    cases = cases_frame(
        [
            (101, "5.38.50", "2020-01-01", None, 1000.0),
            (101, "5.38.50", "2021-03-10", None, 2000.0),
            (101, "5.38.52", "2019-01-01", "2020-06-30", 500.0),  # ended long before
        ]
    )
    got = commitments(cases, "2022-06-15")
    assert list(got.columns.astype(str)) == ["2022-07", "2022-08", "2022-09", "2022-10", "2022-11", "2022-12"]
    np.testing.assert_allclose(got.loc[(101, "5.38.50")].to_numpy(), 3000.0)
    np.testing.assert_allclose(got.loc[(101, "5.38.52")].to_numpy(), 0.0)


def test_disposition_expected_starts_and_ends():
    # in the 12 months to June 2022: 2 starts (cost 600 each), 1 end; exposure counted by hand
    cases = cases_frame(
        [
            (101, "5.38.52", "2020-01-01", None, 1000.0),  # running all window: 12 months
            (101, "5.38.52", "2021-01-01", "2021-12-31", 1000.0),  # ended Dec 2021: 6 months in window
            (101, "5.38.52", "2022-01-01", None, 600.0),  # started Jan 2022: 6 months
            (
                101,
                "5.38.52",
                "2022-04-01",
                "2022-09-30",
                600.0,
            ),  # started Apr 2022: 3 months, end unknown then
        ]
    )
    rates = commitment_rates(cases, "2022-06-30").iloc[0]
    assert rates["running_cases"] == 3
    assert rates["running_cost_dkk"] == pytest.approx(2200.0)
    assert rates["starts_per_month"] == pytest.approx(2 / 12)
    assert rates["start_cost_dkk"] == pytest.approx(600.0)
    q = 1 / (12 + 6 + 6 + 3)
    assert rates["exit_rate"] == pytest.approx(q)
    path = commitments(cases, "2022-06-30").iloc[0].to_numpy()
    k = np.arange(1, 7)
    expected = 2200 * (1 - q) ** (k - 1) + (2 / 12) * 600 * np.cumsum((1 - q) ** (k - 1))
    np.testing.assert_allclose(path, expected)


def test_disposition_ignores_what_happens_after_the_date():
    base = [(101, "5.38.52", "2020-01-01", "2023-03-31", 1000.0), (101, "5.38.52", "2021-05-01", None, 500.0)]
    later = base + [(101, "5.38.52", "2022-08-01", None, 9999.0)]
    changed = [(101, "5.38.52", "2020-01-01", "2022-07-31", 1000.0), base[1]] + later[2:]
    a = commitments(cases_frame(base), "2022-06-30")
    b = commitments(cases_frame(changed), "2022-06-30")
    pd.testing.assert_frame_equal(a, b)


def test_commitment_paths_layout_and_missing_series():
    cases = cases_frame([(101, "5.38.50", "2020-01-01", None, 1000.0)])
    keys = pd.DataFrame({"municipality_code": [101, 102], "function_code": ["5.38.50", "5.38.50"]})
    out = commitment_paths(cases, keys, [2021, 2022])
    assert out.shape == (2, 2, 11, 12)
    assert np.isnan(out[:, :, 3, :4]).all()
    np.testing.assert_allclose(out[0, 1, 3, 4:], 1000.0)
    np.testing.assert_allclose(out[1, 1, 3, 4:], 0.0)


def test_disposition_needs_its_columns():
    with pytest.raises(KeyError, match="function_code"):
        commitments(pd.DataFrame({"municipality_code": [1], "start_date": [pd.NaT]}), "2022-01-01")


def test_statistical_adapter_batches_origins_as_single_calls():
    rng = np.random.default_rng(5)
    years = 100 * PATTERN[None, None, :] * rng.uniform(0.9, 1.1, (3, 5, 12))
    years[1, 0, :] = np.nan  # one row with a shorter history
    contexts = [context(years, m) for m in (2, 7, 11)]
    for model in (ETSMethod(), ARIMAMethod(), ThetaMethod()):
        adapter = StatisticalAdapter(model=model)
        batched = adapter.remaining_many(contexts)
        for ctx, got in zip(contexts, batched, strict=True):
            np.testing.assert_allclose(got, adapter.remaining(ctx), rtol=1e-9)
            assert got.shape == (3, 12 - ctx.m) and np.isfinite(got).all()
