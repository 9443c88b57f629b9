"""The numpy Theta, ETS and ARIMA: agreement with statsmodels and known answers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from analysis.forecast import metrics
from analysis.forecast.statistical import (
    arima_forecast,
    classical_decomposition,
    dotm_forecast,
    ets_forecast,
    seasonal_naive_forecast,
    seasonality_test,
    ses_fit,
    theta_forecast,
)

RNG = np.random.default_rng(42)
T = np.arange(96)
SEASONAL = 200 + 0.8 * T + 25 * np.sin(2 * np.pi * T / 12) + RNG.normal(0, 4, 96)
TRENDING = 50 + 0.3 * T + RNG.normal(0, 3, 96).cumsum()
NEGATIVE = 10 * np.sin(2 * np.pi * T / 12) + RNG.normal(0, 1, 96)
# noise around a gentle trend: the SES fit puts alpha at its limit 0, where the Theta drift must carry n
ALPHA_ZERO = 100 + 0.3 * np.arange(40) + np.random.default_rng(6).normal(0, 8, 40)


@pytest.mark.parametrize(
    "y",
    [SEASONAL, TRENDING, NEGATIVE, SEASONAL[:40], ALPHA_ZERO],
    ids=["seasonal", "trend", "neg", "short", "alpha0"],
)
def test_theta_matches_statsmodels(y):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(ThetaModel(y, period=12).fit().forecast(18))
    got = theta_forecast(y, 18)[0]
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=1e-3 * np.abs(y).mean())


def test_theta_alpha_zero_limit_by_hand():
    # alpha = 0: F(n+k) = l_n + b0 / 2 * (k - 1 + n), k = 1..h; l_n is then the first value (the initial level)
    alpha, level = ses_fit(ALPHA_ZERO)
    assert alpha[0] == 0.0 and level[0] == ALPHA_ZERO[0]
    t = np.arange(40) - 19.5
    b0 = (ALPHA_ZERO - ALPHA_ZERO.mean()) @ t / (t @ t)
    expected = ALPHA_ZERO[0] + b0 / 2 * (np.arange(6) + 40)
    np.testing.assert_allclose(theta_forecast(ALPHA_ZERO, 6)[0], expected, rtol=1e-12)


def test_decomposition_matches_statsmodels():
    from statsmodels.tsa.seasonal import seasonal_decompose

    for model in ("multiplicative", "additive"):
        expected = seasonal_decompose(SEASONAL, model=model, period=12).seasonal[:12]
        got = classical_decomposition(SEASONAL, model == "multiplicative")[0]
        np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_seasonality_test():
    got = seasonality_test(np.vstack([SEASONAL, TRENDING, np.full(96, 3.0)]))
    assert got.tolist() == [True, False, False]
    assert not seasonality_test(SEASONAL[:20])[0]


def test_ses_alpha_and_level():
    x = np.full((1, 30), 7.0)
    alpha, level = ses_fit(x)
    assert level[0] == pytest.approx(7.0)
    step = np.r_[np.zeros(15), np.ones(15)][None]
    alpha, level = ses_fit(step)
    assert alpha[0] == pytest.approx(1.0)
    assert level[0] == pytest.approx(1.0)


def test_vectorised_rows_equal_single_calls():
    ys = np.vstack([SEASONAL, TRENDING, NEGATIVE])
    for fn in (theta_forecast, ets_forecast, arima_forecast, dotm_forecast):
        together = fn(ys, 12)
        for i in range(3):
            np.testing.assert_allclose(together[i], fn(ys[i], 12)[0], rtol=1e-10, err_msg=fn.__name__)


def test_ets_lengths_equal_truncated_fits():
    ends = np.array([60, 72, 96])
    rows = np.broadcast_to(SEASONAL, (3, 96)).copy()
    together = ets_forecast(rows, 12, lengths=ends)
    for i, e in enumerate(ends):
        np.testing.assert_allclose(together[i], ets_forecast(SEASONAL[:e], 12)[0], rtol=1e-9)
    # data after a row's length changes nothing for it
    rows[0, 60:] = 0.0
    np.testing.assert_allclose(ets_forecast(rows, 12, lengths=ends)[0], together[0], rtol=1e-12)


def test_ets_picks_sensible_models():
    _, names = ets_forecast(
        np.vstack([SEASONAL, np.full(96, 5.0) + RNG.normal(0, 0.1, 96)]), 6, return_model=True
    )
    assert names[0].endswith(("A)", "M)"))  # seasonal
    # a positive level with noise: no trend, no season; the error may be additive or multiplicative (their
    # likelihoods nearly tie on a flat positive series)
    assert names[1] in ("ETS(A,N,N)", "ETS(M,N,N)")


def test_arima_known_answers():
    line = 5.0 + 2.0 * np.arange(40)
    f, names = arima_forecast(line, 5, return_model=True)
    np.testing.assert_allclose(f[0], 5.0 + 2.0 * np.arange(40, 45), rtol=1e-9)
    assert names[0] == "ARIMA(0,1,1) with drift"
    # a repeating pattern on a linear trend: the airline model's double difference is zero
    pattern = 10 * np.tile(np.array([3.0, 5, 9, 4, 2, 8, 7, 1, 6, 5, 3, 2]), 6) + 0.25 * np.arange(72)
    f, names = arima_forecast(pattern, 12, return_model=True)
    assert names[0] == "ARIMA(0,1,1)(0,1,1)12"
    np.testing.assert_allclose(f[0], pattern[-12:] + 3.0, rtol=1e-6)


def test_models_on_accuracy_sanity():
    # each model beats the seasonal naive on a noisy seasonal series with trend
    a = SEASONAL[-18:]
    train = SEASONAL[:-18]
    naive = metrics.smape(seasonal_naive_forecast(train, 18)[0], a)
    for fn in (theta_forecast, ets_forecast, arima_forecast):
        assert metrics.smape(fn(train, 18)[0], a) < naive, fn.__name__


def test_missing_values_are_refused():
    y = SEASONAL.copy()
    y[5] = np.nan
    with pytest.raises(ValueError, match="missing"):
        theta_forecast(y, 3)


def test_metrics():
    assert metrics.ape(110.0, 100.0) == pytest.approx(10.0)
    assert np.isnan(metrics.ape(1.0, 0.0))
    assert metrics.smape(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0
    assert metrics.smape(np.array([1.0]), np.array([0.0])) == pytest.approx(200.0)
    x = np.arange(24, dtype=float)
    assert metrics.mase_scale(x) == pytest.approx(12.0)
    assert metrics.mase(np.array([13.0]), np.array([1.0]), 12.0) == pytest.approx(1.0)


def _dotm_sse_by_recursion(x, l0, w, alpha, skip=0):
    """The DOTM one-step SSE straight from the model's equations (Fiorucci et al. 2016), no algebra.

    The first ``skip`` errors are left out (statsforecast leaves out 3)."""
    level, sse = l0, 0.0
    for t in range(1, len(x) + 1):
        if t >= 3:
            slope, inter = np.polyfit(np.arange(1, t), x[: t - 1], 1)
        else:
            slope, inter = 0.0, (x[0] if t == 2 else 0.0)
        mu = level + w * ((1 - alpha) ** (t - 1) * inter + (1 - (1 - alpha) ** t) / alpha * slope)
        if t > skip:
            sse += (x[t - 1] - mu) ** 2
        level = alpha * x[t - 1] + (1 - alpha) * level
    return sse


def test_dotm_concentrated_least_squares_is_the_minimum():
    from analysis.forecast.statistical import _dotm_solve, _dotm_sums

    x = 100 + np.cumsum(np.random.default_rng(1).normal(0, 3, 50))
    sums, *_ = _dotm_sums(x[None], np.array([[0.3]]))
    l0, w, sse = (v[0, 0] for v in _dotm_solve(sums))
    assert 0 <= w <= 1
    assert sse == pytest.approx(_dotm_sse_by_recursion(x, l0, w, 0.3), rel=1e-9)
    for dl, dw in ((0.5, 0), (-0.5, 0), (0, 0.01), (0, -0.01)):
        assert _dotm_sse_by_recursion(x, l0 + dl, min(max(w + dw, 0), 1), 0.3) > sse


def test_dotm_least_squares_without_the_first_three_errors():
    from analysis.forecast.statistical import _dotm_solve, _dotm_sums

    x = 100 + np.cumsum(np.random.default_rng(2).normal(0, 3, 40))
    sums, *_ = _dotm_sums(x[None], np.array([[0.4]]), skip=3)
    l0, w, sse = (v[0, 0] for v in _dotm_solve(sums))
    assert sse == pytest.approx(_dotm_sse_by_recursion(x, l0, w, 0.4, skip=3), rel=1e-9)
    for dl, dw in ((0.5, 0), (-0.5, 0), (0, 0.01), (0, -0.01)):
        w_moved = min(max(w + dw, 0), 1)
        if w_moved != w or dl:  # (w may sit at its bound 0 here)
            assert _dotm_sse_by_recursion(x, l0 + dl, w_moved, 0.4, skip=3) > sse
    # theta held at 2 (w = 1 - 1/2): only l0 is solved, and the SSE is no lower than with w free
    l0_2, w_2, sse_2 = (v[0, 0] for v in _dotm_solve(sums, 0.5))
    assert w_2 == 0.5 and sse_2 >= sse
    assert sse_2 == pytest.approx(_dotm_sse_by_recursion(x, l0_2, 0.5, 0.4, skip=3), rel=1e-9)


def test_theta_recursive_forecast_by_hand():
    from analysis.forecast.statistical import _theta_recursive_forecast

    # x = 1, 2, 3 (n = 3): mean 2, line A = 0, B = 1; level L = 2.5 given; alpha = 0.5, w = 0.5.
    # i = 3: mu = 2.5 + 0.5 (0 * 0.5^3 + 1 * (1 - 0.5^4) / 0.5) = 2.5 + 0.5 * 1.875 = 3.4375
    #   L = 0.5 * 3.4375 + 0.5 * 2.5 = 2.96875; mean = (3 * 2 + 3.4375) / 4 = 2.359375
    #   B = (2 * 1 + 6 * (3.4375 - 2) / 4) / 5 = 0.83125 (the OLS slope of 1, 2, 3, 3.4375 on t = 1..4)
    #   A = 2.359375 - 0.83125 * 5 / 2 = 0.28125
    # i = 4: mu = 2.96875 + 0.5 (0.28125 * 0.5^4 + 0.83125 * (1 - 0.5^5) / 0.5) = 3.7828125
    one = np.ones(1)
    f = _theta_recursive_forecast(2.5 * one, 2 * one, 0 * one, one, 0.5 * one, 0.5 * one, 3, 2, True)
    np.testing.assert_allclose(f[0], [3.4375, 3.7828125], rtol=1e-12)
    # static line (standard Theta): A, B stay 0, 1; i = 4: mu = 2.96875 + 0.5 * 1 * 1.9375 = 3.9375
    f = _theta_recursive_forecast(2.5 * one, 2 * one, 0 * one, one, 0.5 * one, 0.5 * one, 3, 2, False)
    np.testing.assert_allclose(f[0], [3.4375, 3.9375], rtol=1e-12)


def test_deseasonalise_falls_back_to_additive_below_min_index():
    from analysis.forecast.statistical import _deseasonalise

    # 24 months, level 10, January 0.05 (index about 0.0055 of the mean), all other months 10
    y = np.full((1, 24), 10.0)
    y[0, ::12] = 0.05
    seasonal = np.array([True])
    _, idx, mult = _deseasonalise(y, seasonal)
    assert mult[0] and 0 < idx[0, 0] < 0.01
    _, idx, mult = _deseasonalise(y, seasonal, min_index=0.01)
    assert not mult[0] and idx[0, 0] < -9


def test_dotm_continues_a_line_and_follows_the_season():
    line = 5.0 + 2.0 * np.arange(40)
    np.testing.assert_allclose(dotm_forecast(line, 5)[0], 5.0 + 2.0 * np.arange(40, 45), rtol=1e-3)
    f = dotm_forecast(SEASONAL, 12)[0]
    # the sine peaks in month 3 (t % 12 == 3) and bottoms in month 9; 96 values: forecasts start at t % 12 == 0
    assert f[3] > f[9] + 30


def test_ets_flags_a_positive_series_whose_model_goes_below_zero():
    from analysis.forecast.statistical import ets_fit

    falling = 1000 - 9.0 * np.arange(100) + np.random.default_rng(3).normal(0, 1, 100)
    fit = ets_fit(np.vstack([falling[:96], SEASONAL]), 18)
    assert (falling[:96] > 0).all() and fit.forecast[0, -1] < 0
    assert fit.implies_negative.tolist() == [True, False]
    assert "A" in fit.model[0].split(",")[1]  # an additive trend carries it down


def _cuts():
    """Series of different lengths cut from the fixtures (3 months, too short for a model, included)."""
    return [SEASONAL[:n] for n in (3, 30, 41, 60, 96)] + [TRENDING[:n] for n in (12, 50, 77)]


def test_arima_lengths_pass_equals_one_call_per_series():
    from analysis.forecast.statistical import ARIMAMethod

    cuts = _cuts()
    one_by_one = np.vstack([arima_forecast(x[None, :], 9) for x in cuts])
    np.testing.assert_allclose(ARIMAMethod().forecast_many(cuts, 9), one_by_one, rtol=1e-12)


def test_ets_lengths_pass_equals_one_call_per_series():
    from analysis.forecast.statistical import ETSMethod

    cuts = _cuts()[1:]
    one_by_one = np.vstack([ets_forecast(x[None, :], 9) for x in cuts])
    np.testing.assert_allclose(ETSMethod().forecast_many(cuts, 9), one_by_one, rtol=1e-9)


def test_ets_counting_the_initial_states_adds_their_aicc_penalty():
    from analysis.forecast.statistical import ets_fit

    y = SEASONAL[:60]
    model = (("A", "N", "A"),)
    plain = ets_fit(y, 6, models=model)
    counted = ets_fit(y, 6, models=model, count_states=True)
    # k = alpha, gamma, variance = 3 without the states; + level + 11 free seasonal states = 15; n = 60:
    # AICc = 2 nll + 2 k + 2 k (k + 1) / (n - k - 1), so the difference is 24 + 480 / 44 - 24 / 56
    np.testing.assert_allclose(counted.aicc - plain.aicc, 24 + 480 / 44 - 24 / 56, rtol=1e-9)
    np.testing.assert_allclose(counted.forecast, plain.forecast)


def test_ets_estimated_initial_states_fit_at_least_as_well():
    from analysis.forecast.statistical import ets_fit

    for y, model in ((TRENDING, ("A", "A", "N")), (SEASONAL, ("M", "Ad", "A"))):
        heur = ets_fit(y, 6, models=(model,))
        est = ets_fit(y, 6, models=(model,), estimate_init=True)
        # same parameter count in the AICc (count_states off): a lower AICc is a higher likelihood
        assert est.aicc[0] <= heur.aicc[0] + 1e-9


def test_ets_weighted_forecast_is_the_aicc_weighted_mean():
    from analysis.forecast.statistical import ets_fit

    y = SEASONAL[:72]
    models = (("A", "N", "A"), ("A", "A", "A"))
    both = ets_fit(y, 6, models=models, weighted=True)
    single = [ets_fit(y, 6, models=(m,)) for m in models]
    # Akaike weights exp(-AICc / 2), normalised; the single-model fits find the same optima
    a = np.array([s.aicc[0] for s in single])
    w = np.exp(-0.5 * (a - a.min()))
    w /= w.sum()
    expected = w[0] * single[0].forecast + w[1] * single[1].forecast
    np.testing.assert_allclose(both.forecast, expected, rtol=1e-9)
    one = ets_fit(y, 6, models=models[:1], weighted=True)
    np.testing.assert_allclose(one.forecast, single[0].forecast, rtol=1e-12)


def test_bartlett_seasonality_test_is_stricter():
    rng = np.random.default_rng(3)
    t = np.arange(60)
    y = 100 + rng.uniform(0, 6, (200, 1)) * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, (200, 60))
    y += rng.normal(0, 1, (200, 60)).cumsum(axis=1) * rng.uniform(0, 2, (200, 1))
    plain = seasonality_test(y)
    strict = seasonality_test(y, bartlett=True)
    # the statistic's denominator 1 + 2 sum r_i^2 is at least 1 + sum r_i^2: every strict yes is a plain yes
    assert not (strict & ~plain).any()
    assert 0 < strict.sum() < plain.sum()
