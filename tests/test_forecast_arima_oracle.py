"""Oracle tests of the numpy ARIMA (exact maximum likelihood) against statsmodels on 30 public M3 series.

The series are tests/data/m3_monthly_sample.csv (source and licence in M3_SOURCE.md); statsmodels' choices,
parameters and forecasts on them are tests/data/m3_arima_oracle.csv, written by ``bench/arima_oracle.py
--write`` (statsmodels' ``ARIMA`` on each series divided by its largest absolute value, see that script for
why). The rule is the same on both sides: the airline model where statsmodels ThetaModel's seasonality test
finds seasonality, otherwise ARIMA(0,1,1) with or without drift by AICc. A slow test re-derives three rows.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.forecast import arima as ar
from analysis.forecast.statistical import arima_fit_chosen, arima_forecast, length_blocks

DATA = Path(__file__).parent / "data"
H = 18
COLS = [f"f{k}" for k in range(1, H + 1)]


def _sample() -> dict[str, np.ndarray]:
    long = pd.read_csv(DATA / "m3_monthly_sample.csv")
    return {
        sn: g[g.part == "train"].sort_values("t")["value"].to_numpy(float)
        for sn, g in long.groupby("series", sort=False)
    }


SAMPLE = _sample()
ORACLE = pd.read_csv(DATA / "m3_arima_oracle.csv").set_index("series")


def _fits():
    # all 30 series in one left-aligned pass of different lengths, as the back-test calls it
    names = list(SAMPLE)
    fit = {}
    for idx, y, lengths in length_blocks([SAMPLE[sn] for sn in names], 64):
        f = arima_fit_chosen(y, H, lengths=lengths)
        for row, i in enumerate(idx):
            fit[names[i]] = (f.model[row], f.forecast[row], f.loglik[row], f.params[row])
    return fit


FITS = _fits()


def test_oracle_covers_the_sample():
    assert set(ORACLE.index) == set(SAMPLE) and len(SAMPLE) == 30


def test_same_model_as_statsmodels_on_at_least_95_pct():
    same = [FITS[sn][0] == ORACLE.loc[sn, "model"] for sn in SAMPLE]
    # measured: all 30 (the rule is the same test and the same AICc comparison on both sides)
    assert np.mean(same) >= 0.95, [(sn, FITS[sn][0], ORACLE.loc[sn, "model"]) for sn in SAMPLE]


def test_forecasts_within_1_pct_where_same_model():
    within = {}
    for sn in SAMPLE:
        if FITS[sn][0] != ORACLE.loc[sn, "model"]:
            continue
        expected = ORACLE.loc[sn, COLS].to_numpy(float)
        within[sn] = float(np.max(np.abs(FITS[sn][1] - expected) / np.abs(expected)))
    # measured: all 30 within 1 % (largest 0.8 %, N1552, whose likelihood is flat towards theta = -1); the
    # goal is 95 %: statsmodels' optimiser stops short of the maximum on some series (N2702 below)
    assert np.mean([d <= 0.01 for d in within.values()]) >= 0.95, within


def test_likelihood_at_least_statsmodels():
    # ours maximises the same likelihood: never more than 0.01 below statsmodels' at its estimate (on N2702
    # statsmodels' L-BFGS stops 0.94 below the maximum, at theta 0.32 against 0.42)
    for sn in SAMPLE:
        if FITS[sn][0] == ORACLE.loc[sn, "model"]:
            assert FITS[sn][2] >= ORACLE.loc[sn, "loglik"] - 0.01, sn


def test_one_pass_equals_one_call_per_series():
    for sn in ("N1402", "N1752", "N2452"):
        alone = arima_forecast(SAMPLE[sn], H)
        np.testing.assert_allclose(FITS[sn][1], alone[0], rtol=1e-9)


def test_ma1_likelihood_by_hand():
    # w = (1, 2), theta = 0.5: Cov(w) / sigma^2 = [[1.25, 0.5], [0.5, 1.25]], det 1.5625 - 0.25 = 1.3125,
    # w' Cov^{-1} w sigma^2 = (1.25 * 1 - 2 * 0.5 * 1 * 2 + 1.25 * 4) / 1.3125 = 4.25 / 1.3125; sigma^2
    # concentrated = Q / 2, so log L = -(log(2 pi) + 1 + log(Q / 2)) - log(1.3125) / 2
    q = 4.25 / 1.3125
    expected = -(np.log(2 * np.pi) + 1 + np.log(q / 2)) - 0.5 * np.log(1.3125)
    x = np.array([[[1.0, 2.0]]])
    m = np.ones_like(x)
    st = ar._ma1_stats(x, m, np.array([[0.5]]))
    ll, mu, qq, _ = ar._ma1_loglik(st, np.array([[2.0]]), drift=False)
    assert ll[0, 0] == pytest.approx(expected, rel=1e-12)
    assert qq[0, 0] == pytest.approx(q, rel=1e-12)
    # with a mean: the GLS mean of w, 1' Cov^{-1} w / 1' Cov^{-1} 1 = (1 + 2) / 2 by symmetry = 1.5
    ll, mu, _, _ = ar._ma1_loglik(st, np.array([[2.0]]), drift=True)
    assert mu[0, 0] == pytest.approx(1.5, rel=1e-12)


def _dense_airline(w, theta, ptheta):
    """Log-likelihood (sigma^2 concentrated) and the Cov-based predictor of the next 13 months of an MA(13)."""
    psi = np.zeros(14)
    psi[[0, 1, 12, 13]] = [1.0, theta, ptheta, theta * ptheta]
    n = len(w) + 13
    gam = np.array([psi[: 14 - k] @ psi[k:] for k in range(14)] + [0.0] * n)
    cov = gam[np.abs(np.subtract.outer(np.arange(n), np.arange(n)))]
    t = len(w)
    c = cov[:t, :t]
    q = w @ np.linalg.solve(c, w)
    ll = -0.5 * t * (np.log(2 * np.pi) + 1 + np.log(q / t)) - 0.5 * np.linalg.slogdet(c)[1]
    pred = cov[t:, :t] @ np.linalg.solve(c, w)
    return ll, pred


def test_airline_likelihood_and_predictor_equal_the_dense_gaussian():
    # the exact likelihood and predictor of the differenced series from its full covariance matrix
    x = SAMPLE["N1902"]
    fit = arima_fit_chosen(x, 13)
    assert fit.model[0] == "ARIMA(0,1,1)(0,1,1)12"
    theta, ptheta = fit.params[0, :2]
    w = x[13:] - x[1:-12] - x[12:-1] + x[:-13]
    ll, pred = _dense_airline(w, theta, ptheta)
    assert fit.loglik[0] == pytest.approx(ll, abs=1e-6)
    # integrate the predicted differences back: y_t = w_t + y_{t-1} + y_{t-12} - y_{t-13}
    path = list(x)
    for k in range(13):
        path.append(pred[k] + path[-1] + path[-12] - path[-13])
    np.testing.assert_allclose(fit.forecast[0], path[len(x) :], rtol=1e-8)


@pytest.mark.slow
def test_statsmodels_rederives_three_oracle_rows():
    from statsmodels.tsa.arima.model import ARIMA

    specs = {
        "N1752": dict(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)),
        "N1402": dict(order=(0, 1, 1)),
        "N2452": dict(order=(0, 1, 1), trend="t"),
    }
    for sn, kw in specs.items():
        x = SAMPLE[sn]
        scale = np.abs(x).max()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ARIMA(x / scale, **kw).fit()
        np.testing.assert_allclose(res.forecast(H) * scale, ORACLE.loc[sn, COLS].to_numpy(float), rtol=1e-4)
        np.testing.assert_allclose(FITS[sn][1], res.forecast(H) * scale, rtol=0.01)


def test_short_rows_get_the_naive_forecast_and_the_rule_by_length():
    # 3 months: naive (the last value 5); 30 months of a seasonal pattern: too short for the airline model
    # (needs 38), so ARIMA(0,1,1)
    y = np.zeros((2, 30))
    y[0, :3] = [1.0, 4.0, 5.0]
    y[1] = np.tile([1.0, 2.0, 3.0, 10.0, 2.0, 1.0], 5) + np.arange(30) * 0.01
    fit = arima_fit_chosen(y, 4, lengths=np.array([3, 30]))
    assert fit.model[0] == "naive"
    assert fit.model[1] in ("ARIMA(0,1,1)", "ARIMA(0,1,1) with drift")
    np.testing.assert_array_equal(fit.forecast[0], [5.0, 5.0, 5.0, 5.0])
    assert np.isnan(fit.params[0]).all() and np.isnan(fit.params[1, 1])
