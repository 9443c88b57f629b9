"""auto_forecast (contract): index, horizon, interval, back-test table and fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.forecast import auto_forecast
from analysis.forecast.auto import CANDIDATES

RNG = np.random.default_rng(11)
N = 84
T = np.arange(N)
VALUES = 500 + 2.0 * T + 60 * np.sin(2 * np.pi * T / 12) + RNG.normal(0, 8, N)


def check_result(res, y, horizon, expected_index):
    assert isinstance(res.method, str)
    for s in (res.mean, res.lower, res.upper):
        assert isinstance(s, pd.Series)
        assert len(s) == horizon
        assert s.index.equals(expected_index)
        assert np.isfinite(s.to_numpy()).all()
    assert (res.lower <= res.mean).all() and (res.mean <= res.upper).all()
    assert isinstance(res.backtest, pd.DataFrame)


def test_period_index():
    idx = pd.period_range("2016-01", periods=N, freq="M")
    y = pd.Series(VALUES, index=idx, name="spending")
    res = auto_forecast(y, 18)
    check_result(res, y, 18, pd.period_range("2023-01", periods=18, freq="M"))
    assert res.mean.name == "spending"
    assert res.method in CANDIDATES
    assert list(res.backtest.index) == list(CANDIDATES)
    assert {"smape_pct", "mase", "mae", "origins"} <= set(res.backtest.columns)
    assert (res.backtest["origins"] == 4).all()
    assert list(res.forecasts.columns) == list(CANDIDATES)
    np.testing.assert_allclose(res.mean, res.forecasts[res.method])
    # the seasonal pattern is carried forward: the sine peaks in April and bottoms in October
    assert res.mean.iloc[3] > res.mean.iloc[9] + 60


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            pd.date_range("2016-01-01", periods=N, freq="MS"),
            pd.date_range("2023-01-01", periods=7, freq="MS"),
        ),
        (
            pd.date_range("2016-01-31", periods=N, freq="ME"),
            pd.date_range("2023-01-31", periods=7, freq="ME"),
        ),
    ],
    ids=["month-start", "month-end"],
)
def test_datetime_index(index, expected):
    y = pd.Series(VALUES, index=index)
    res = auto_forecast(y, 7)
    check_result(res, y, 7, expected)
    assert isinstance(res.mean.index, pd.DatetimeIndex)


def test_datetime_index_without_freq():
    idx = pd.DatetimeIndex(list(pd.date_range("2016-01-01", periods=N, freq="MS")))
    res = auto_forecast(pd.Series(VALUES, index=idx), 3)
    assert list(res.mean.index) == list(pd.date_range("2023-01-01", periods=3, freq="MS"))


def test_constant_and_zero_series():
    idx = pd.period_range("2019-01", periods=40, freq="M")
    for value in (0.0, 250.0):
        res = auto_forecast(pd.Series(value, index=idx), 6)
        assert res.method == "constant"
        assert (res.mean == value).all() and (res.lower == value).all() and (res.upper == value).all()
        assert "Constant" in res.note


def test_series_with_zeros_and_intermittent_values():
    idx = pd.period_range("2017-01", periods=60, freq="M")
    y = pd.Series(np.where(RNG.uniform(size=60) < 0.4, 0.0, RNG.uniform(10, 20, 60)), index=idx)
    res = auto_forecast(y, 12)
    check_result(res, y, 12, pd.period_range("2022-01", periods=12, freq="M"))


def test_short_series_fall_back_and_say_so():
    idx = pd.period_range("2022-01", periods=20, freq="M")
    res = auto_forecast(pd.Series(VALUES[:20], index=idx), 12)
    check_result(res, None, 12, pd.period_range("2023-09", periods=12, freq="M"))
    assert "Short series" in res.note
    tiny = auto_forecast(pd.Series([3.0, 5.0, 4.0], index=idx[:3]), 4)
    assert tiny.method == "naive"
    assert "Too short" in tiny.note
    assert (tiny.mean == 4.0).all()
    assert (tiny.lower <= tiny.mean).all() and (tiny.mean <= tiny.upper).all()
    one = auto_forecast(pd.Series([3.0], index=idx[:1]), 2)
    assert (one.mean == 3.0).all()


def test_selection_can_leave_the_combination():
    # a pure random walk with a strong drift: the trend models back-test far better than the combination
    idx = pd.period_range("2015-01", periods=N, freq="M")
    y = pd.Series(1000.0 + 50.0 * T, index=idx)
    res = auto_forecast(y, 6, margin=1.0)
    assert res.backtest.loc[res.method, "smape_pct"] == res.backtest["smape_pct"].min()
    np.testing.assert_allclose(res.mean, 1000.0 + 50.0 * np.arange(N, N + 6), rtol=1e-6)


def test_bad_input_is_refused():
    idx = pd.period_range("2016-01", periods=N, freq="M")
    y = pd.Series(VALUES, index=idx)
    with pytest.raises(ValueError, match="missing"):
        auto_forecast(y.where(y.index != idx[10]), 3)
    with pytest.raises(ValueError, match="horizon"):
        auto_forecast(y, 0)
    with pytest.raises(ValueError, match="monthly"):
        auto_forecast(pd.Series(VALUES, index=pd.period_range("2000Q1", periods=N, freq="Q")), 3)
    with pytest.raises(ValueError, match="consecutive"):
        auto_forecast(y.drop(idx[5]), 3)
    with pytest.raises(TypeError):
        auto_forecast(pd.Series(VALUES), 3)
    with pytest.raises(ValueError, match="month starts or month ends"):
        auto_forecast(
            pd.Series(
                VALUES, index=pd.date_range("2016-01-15", periods=N, freq="MS") + pd.Timedelta(days=14)
            ),
            3,
        )


def test_auto_forecast_many_equals_one_by_one():
    from analysis.forecast.auto import auto_forecast_many

    idx = pd.period_range("2016-01", periods=N, freq="M")
    series = [pd.Series(VALUES * k, index=idx) for k in (1.0, 2.0, 0.5)]
    one = [auto_forecast(y, 6) for y in series]
    for many in (auto_forecast_many(series, 6), auto_forecast_many(series, 6, n_jobs=2, chunksize=1)):
        assert len(many) == 3
        for a, b in zip(one, many, strict=True):
            assert a.method == b.method
            np.testing.assert_allclose(a.mean, b.mean, rtol=1e-9)
            np.testing.assert_allclose(a.upper, b.upper, rtol=1e-9)


def test_positive_series_forecast_below_zero_is_stated():
    # a positive series falling by 9 a month from 1000: 100 months end at 109, 18 months on the line reach -53
    idx = pd.period_range("2010-01", periods=100, freq="M")
    y = pd.Series(1000 - 9.0 * np.arange(100) + RNG.normal(0, 1, 100), index=idx)
    assert (y > 0).all()
    res = auto_forecast(y, 18)
    assert res.mean.iloc[-1] < 0
    assert "below zero" in res.note
    ok = auto_forecast(pd.Series(VALUES, index=pd.period_range("2016-01", periods=N, freq="M")), 18)
    assert (ok.mean > 0).all() and "below zero" not in ok.note


def test_interval_widens_as_k_to_the_0_3():
    # the back-test interval's half-width is w * s * k ** 0.3: never narrower a month further ahead, and
    # 18 ** 0.3 = 2.380 times the first month's at month 18
    idx = pd.period_range("2016-01", periods=N, freq="M")
    res = auto_forecast(pd.Series(VALUES, index=idx), 18)
    assert "back-test error quantiles" in res.note
    half = (res.upper - res.mean).to_numpy()
    assert (np.diff(half) > 0).all()
    np.testing.assert_allclose(half / half[0], np.arange(1, 19) ** 0.3, rtol=1e-12)
    np.testing.assert_allclose(res.mean - res.lower, res.upper - res.mean, rtol=1e-12)


def test_mean_is_the_plain_mean_of_the_pool():
    from analysis.forecast.auto import POOL

    y = pd.Series(VALUES, index=pd.period_range("2015-01", periods=N, freq="M"))
    res = auto_forecast(y, 6)
    # (stm_agg + dotm + ets) / 3, month by month
    assert POOL == ("stm_agg", "dotm", "ets")
    expected = (res.forecasts["stm_agg"] + res.forecasts["dotm"] + res.forecasts["ets"]) / 3
    np.testing.assert_allclose(res.forecasts["mean"], expected, rtol=1e-12)


def test_block_forecast_by_hand():
    from analysis.forecast.auto import _block_forecast

    x = np.arange(1.0, 11.0)[None]  # 1..10
    naive = lambda blocks, k: np.repeat(blocks[:, -1:], k, axis=1)  # noqa: E731 (the last block again)
    # m = 3: blocks from the end 2+3+4, 5+6+7, 8+9+10 = 9, 18, 27 (month 1 left out); the next two blocks 27
    # each, spread over their months: 27 / 3 = 9 for the 4 months asked
    np.testing.assert_allclose(_block_forecast(x, 4, 3, naive), [[9.0, 9.0, 9.0, 9.0]])
    # m = 4: blocks 3..6 = 18 and 7..10 = 34 (months 1-2 left out); 34 / 4 = 8.5
    np.testing.assert_allclose(_block_forecast(x, 4, 4, naive), [[8.5, 8.5, 8.5, 8.5]])
    # m = 1 is the series itself
    np.testing.assert_allclose(_block_forecast(x, 2, 1, naive), [[10.0, 10.0]])


def test_stm_across_levels_at_level_one_is_stm():
    from analysis.forecast.auto import stm_across_levels
    from analysis.forecast.statistical import dotm_forecast

    y = np.asarray(VALUES, dtype=float)[None]
    stm = dotm_forecast(y, 12, bartlett=False, dynamic=False, theta=2.0)
    np.testing.assert_allclose(stm_across_levels(y, 12, (1,)), stm, rtol=1e-12)
    # the default is the mean over the levels 1..12, each level's forecast computed on its own
    levels = [stm_across_levels(y, 12, (m,)) for m in range(1, 13)]
    np.testing.assert_allclose(stm_across_levels(y, 12), np.mean(levels, axis=0), rtol=1e-12)
