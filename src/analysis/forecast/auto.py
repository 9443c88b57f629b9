"""``auto_forecast``: a general-purpose monthly forecast chosen by rolling-origin back-testing (contract).

Candidates
----------
Five statistical models (:mod:`analysis.forecast.statistical`, figures on M1/M3 monthly in docs/forecast.md,
``bench/bench_forecast.py``): ``theta`` (standard Theta as statsmodels' ThetaModel: the plain Theta of the
DESIGN bar, back-tested and reported but not chosen), ``stm`` and ``dotm`` (the standard and the dynamic
optimised Theta model of Fiorucci et al. 2016 as statsforecast's ``Theta`` and ``DynamicOptimizedTheta`` fit
them: initial level estimated, the first three one-step errors left out of the least squares, forecasts by the
model's recursion; with statsmodels' 90 % seasonality test, because statsforecast's Bartlett form helped M3
monthly by 0.02 and cost M1 monthly 0.28 for ``dotm``), ``stm_agg`` (``stm`` across the temporal aggregation
levels 1..12 months, :func:`stm_across_levels`) and ``ets`` (exponential smoothing over 15 models,
:data:`ETS_OPTIONS`: initial level and slope estimated, every initial state counted in the AICc, the forecast
the AICc-weighted mean of the models); and the combination ``mean`` of ``stm_agg``, ``dotm`` and ``ets``
(:data:`POOL`).

Choice
------
Each candidate forecasts from up to four rolling origins, the last ``hb = min(horizon, n - 24)`` months before
the end and then 6, 12 and 18 months earlier (each origin keeps at least 24 months to fit on), and is scored
by its mean sMAPE over the ``hb`` months after each origin. The ``mean`` combination is the default; one of its
members replaces it only when the member's back-test sMAPE is below ``margin`` (0.75) times the combination's.
With two to four origins the back-test is noisy, and selecting the single best candidate on it was measured to
be less accurate than the combination (M1 and M3 monthly, 18 months ahead; see ``bench/bench_forecast.py``);
the margin was set on M1 and checked on M3. Letting candidates outside the pool (ARIMA, a damped trend on the
adjusted series, plain Theta) replace the mean cost M3 monthly 0.05, so only the members may (measured on
M3, M1 and Tourism monthly, docs/forecast.md; ``bench/auto_rules.py``). Weighting the members by their
inverse back-test sMAPE was measured and not adopted.

Interval (80 %)
---------------
From the chosen method's own back-test errors: every error ``actual - forecast`` at step ``k`` after an origin
is divided by ``s * k ** 0.3`` (:data:`GROWTH`), with ``s`` the mean absolute month-to-month change of the data
before that origin; the 80 % quantile ``w`` of the absolute values of these pooled errors gives ``forecast +- w
* s * k ** 0.3`` for the new forecast (``s`` of the whole series). Symmetric, so ``lower <= mean <= upper``, and
its width grows with ``k``. Measured coverage of the 18 months after the end on M3 monthly (1.428 series): 78.1 %
(76.9 % in months 1-6, 80.6 % in 7-12, 76.7 % in 13-18); with ``sqrt(k)`` it was 78.0 % overall but 70.9 % in
months 1-6 and 82.3 % in 7-12, with ``k ** 0.4`` 73.9 % in months 1-6. The 10 % and 90 % quantiles of the signed
errors covered only 64-66 % (two to four origins understate the tails). With fewer than 8 back-test errors the
interval is the normal one of a random walk, ``+-1.2816 * sd(monthly changes) * sqrt(k)``.

Fallbacks
---------
A constant series (zeros included) is forecast as that constant with a zero-width interval. Below 26 months
the seasonal models are not fitted; below 30 months the back-test has fewer and shorter origins; below 8
months there is no back-test and the forecast is the naive one (last value). ``result.note`` says which
applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.forecast import metrics
from analysis.forecast.statistical import (
    ETS_MODELS,
    PERIOD,
    _deseasonalise,
    _reseasonalise,
    arima_forecast,
    dotm_forecast,
    ets_fit,
    seasonality_test,
    theta_forecast,
)

__all__ = ["AutoForecastResult", "auto_forecast", "auto_forecast_many", "CANDIDATES", "MARGIN", "POOL"]

SINGLES = ("theta", "stm", "stm_agg", "dotm", "ets")
POOL = ("stm_agg", "dotm", "ets")
"""The members of the ``mean`` combination, and the only candidates that may replace it (``theta``, the
statsmodels-like standard Theta, is back-tested and reported beside them: the DESIGN bar)."""
COMBINATIONS = ("mean",)
CANDIDATES = SINGLES + COMBINATIONS
DEFAULT = "mean"
MARGIN = 0.75
N_ORIGINS = 4
ORIGIN_STEP = 6
MIN_TRAIN = 24
_Z80 = 1.2815515655446004
GROWTH = 0.3
"""The back-test interval's half-width grows as ``k ** GROWTH`` with the month ``k`` ahead."""


@dataclass
class AutoForecastResult:
    """The result of :func:`auto_forecast`.

    Attributes
    ----------
    method : str
        The chosen candidate (``'mean'``, ``'stm_agg'``, ``'dotm'``, ``'ets'``) or a fallback
        (``'constant'``, ``'naive'``).
    mean : pandas.Series
        Point forecast, ``horizon`` values indexed by the months after the series' last (same index type).
    lower, upper : pandas.Series
        The 80 % interval, same index.
    backtest : pandas.DataFrame
        Indexed by candidate: ``smape_pct`` (mean sMAPE, per cent), ``mase`` (MASE against the in-sample
        seasonal naive, or naive below two years), ``mae`` (mean absolute error, unit of ``y``) and
        ``origins``.
    forecasts : pandas.DataFrame
        Every candidate's point forecast (columns), same index as ``mean``.
    note : str
        How the forecast was made, including any fallback for short or constant series.
    coverage : float
        The interval's nominal coverage (0.8).
    """

    method: str
    mean: pd.Series
    lower: pd.Series
    upper: pd.Series
    backtest: pd.DataFrame
    forecasts: pd.DataFrame = field(repr=False)
    note: str = ""
    coverage: float = 0.8


def _future_index(index: pd.Index, horizon: int) -> pd.Index:
    if isinstance(index, pd.PeriodIndex):
        if index.freqstr not in ("M",) and not index.freqstr.startswith("M"):
            raise ValueError(f"y must be monthly; its PeriodIndex has frequency {index.freqstr!r}")
        return pd.period_range(index[-1] + 1, periods=horizon, freq=index.freq)
    if isinstance(index, pd.DatetimeIndex):
        periods = index.to_period("M")
        if len(index) > 1 and not (np.diff(periods.asi8) == 1).all():
            raise ValueError("y must hold consecutive months without gaps or duplicates")
        future = pd.period_range(periods[-1] + 1, periods=horizon, freq="M")
        if (index == index.to_period("M").to_timestamp(how="end").normalize()).all():
            out = future.to_timestamp(how="end").normalize()
        elif (index.day == 1).all():
            out = future.to_timestamp(how="start")
        else:
            raise ValueError("a DatetimeIndex must hold month starts or month ends")
        return pd.DatetimeIndex(out, name=index.name, tz=index.tz)
    raise TypeError(f"y must have a PeriodIndex or a DatetimeIndex, got {type(index).__name__}")


def _check(y: pd.Series, horizon: int) -> np.ndarray:
    if not isinstance(y, pd.Series):
        raise TypeError(f"y must be a pandas Series, got {type(y).__name__}")
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive whole number of months, got {horizon!r}")
    if len(y) == 0:
        raise ValueError("y is empty")
    if isinstance(y.index, pd.PeriodIndex) and len(y) > 1 and not (np.diff(y.index.asi8) == 1).all():
        raise ValueError("y must hold consecutive months without gaps or duplicates")
    x = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise ValueError("y has missing or infinite values; fill or drop them first")
    return x


def _by_length(rows: list[np.ndarray], fn, h: int) -> np.ndarray:
    """``fn`` on every row, one vectorised call per distinct length; ``(len(rows), h)``."""
    out = np.empty((len(rows), h))
    lengths = np.array([len(r) for r in rows])
    for n in np.unique(lengths):
        idx = np.flatnonzero(lengths == n)
        out[idx] = fn(np.vstack([rows[i] for i in idx]), h)
    return out


def _padded(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(r) for r in rows])
    y = np.zeros((len(rows), int(lengths.max())))
    for i, r in enumerate(rows):
        y[i, : len(r)] = r
    return y, lengths


_ETS_CHUNK = 64  # rows per vectorised ETS call (memory: rows x about 1,700 parameter columns x 12 seasons)


ETS_OPTIONS = {"count_states": True, "estimate_init": True, "weighted": True, "polish": 0}
"""How ``auto_forecast`` fits its ``ets`` candidate (see :func:`~analysis.forecast.statistical.ets_fit`): initial
level and slope estimated with the smoothing parameters, every initial state counted in the AICc (as R's ``ets``
and statsforecast's AutoETS count them), and the forecast the AICc-weighted mean of the 15 models (Kolassa
2011). On M3 monthly (last 18 months, 1.428 series) this ETS alone scores sMAPE 14.0 against 14.84 for the
statsmodels-like fit (heuristic states, the one best model) of :func:`ets_fit`'s defaults. Without the Newton
polish of the best three models (``polish=0``): with it (``ets_fit``'s default, which matches statsmodels' maximum)
this ETS scored 14.040 against 14.013 on M3 and 15.099 against 15.059 on M1, ``auto_forecast`` 13.397 against
13.393 and 14.581 against 14.570, for about 7 % more CPU (docs/forecast.md)."""


def _ets_rows(rows: list[np.ndarray], h: int, models=None, **kw):
    f = np.empty((len(rows), h))
    names = np.empty(len(rows), dtype=object)
    for a in range(0, len(rows), _ETS_CHUNK):
        y, lengths = _padded(rows[a : a + _ETS_CHUNK])
        fit = (
            ets_fit(y, h, lengths=lengths, **kw)
            if models is None
            else ets_fit(y, h, lengths=lengths, models=models, **kw)
        )
        f[a : a + len(lengths)] = fit.forecast
        names[a : a + len(lengths)] = fit.model
    return f, names


LEVELS = tuple(range(1, PERIOD + 1))
"""Temporal aggregation levels (months per block) of the ``stm_agg`` candidate: all up to the seasonal period,
as MAPA's default for monthly data (Kourentzes, Petropoulos and Trapero 2014)."""


def _block_forecast(x: np.ndarray, h: int, m: int, fit) -> np.ndarray:
    """Forecast ``x`` (``(S, n)``, non-seasonal) by ``fit`` on its sums over ``m``-month blocks; ``(S, h)``.

    The blocks are counted back from the last month (the first ``n % m`` months are left out); ``fit(blocks,
    k)`` forecasts ``k = ceil(h / m)`` block sums, each spread evenly over its ``m`` months.
    """
    s, n = x.shape
    nb = n // m
    blocks = x[:, n - nb * m :].reshape(s, nb, m).sum(axis=2)
    fb = fit(blocks, -(-h // m))
    return np.repeat(fb / m, m, axis=1)[:, :h]


def _stm_fit(x: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(x, h, seasonal=False, dynamic=False, theta=2.0)


def stm_across_levels(y: np.ndarray, h: int, levels: tuple[int, ...] = LEVELS, fit=None) -> np.ndarray:
    """The standard Theta model across temporal aggregation levels (the ``stm_agg`` candidate); ``(S, h)``.

    ``y`` (``(S, n)``, monthly) is seasonally adjusted as ``stm`` adjusts it (statsmodels' 90 % test, classical
    decomposition); the adjusted series is summed over ``m``-month blocks for every ``m`` in ``levels``, the
    standard Theta model (as ``stm``) forecasts each aggregate, the block forecasts are spread evenly over
    their months, averaged over the levels (those with at least one whole block) and reseasonalised. A long
    block sees the trend through less noise, a short one follows the recent level: the mean of the levels is
    MAPA's combination across frequencies (Kourentzes et al. 2014), with Theta in place of ETS. ``fit(x,
    h)``: another non-seasonal model in place of the standard Theta model (for the screens).
    """
    x, ind, mult = _deseasonalise(y, seasonality_test(y), min_index=0.01)
    used = [m for m in levels if y.shape[1] >= m] or [1]  # (a level needs one whole block)
    f = np.mean([_block_forecast(x, h, m, fit or _stm_fit) for m in used], axis=0)
    return _reseasonalise(f, ind, mult, y.shape[1], PERIOD)


def _damped_rows(rows: list[np.ndarray], h: int, models=(("A", "Ad", "N"),), **kw) -> np.ndarray:
    """ETS(A,Ad,N) on the seasonally adjusted rows (Theta's test and decomposition), reseasonalised."""
    adjusted: list[np.ndarray] = [np.empty(0)] * len(rows)
    season = [None] * len(rows)
    lengths = np.array([len(r) for r in rows])
    for n in np.unique(lengths):
        idx = np.flatnonzero(lengths == n)
        y = np.vstack([rows[i] for i in idx])
        xa, ind, mult = _deseasonalise(y, seasonality_test(y))
        for j, i in enumerate(idx):
            adjusted[i] = xa[j]
            season[i] = (ind[j : j + 1], mult[j : j + 1])
    f, _ = _ets_rows(adjusted, h, models=models, **kw)
    for i, (ind, mult) in enumerate(season):
        f[i] = _reseasonalise(f[i : i + 1], ind, mult, lengths[i], PERIOD)[0]
    return f


def _theta_bartlett(y: np.ndarray, h: int) -> np.ndarray:
    return theta_forecast(y, h, bartlett=True)


def _dotm_bartlett(y: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(y, h, bartlett=True, **_DOTM_OLD)


_DOTM_OLD = {"skip": 0, "recursive": False, "min_index": 0.0}


def _dotm_old(y: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(y, h, bartlett=False, **_DOTM_OLD)


def _dotm_sm(y: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(y, h, bartlett=False)


def _stm_sm(y: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(y, h, bartlett=False, dynamic=False, theta=2.0)


def _dstm_sm(y: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(y, h, bartlett=False, theta=2.0)


def _otm_sm(y: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(y, h, bartlett=False, dynamic=False)


def _stm_sf(y: np.ndarray, h: int) -> np.ndarray:
    return dotm_forecast(y, h, dynamic=False, theta=2.0)


def _ets_tested(rows: list[np.ndarray], h: int, force: bool = True, models=ETS_MODELS, **kw) -> np.ndarray:
    """ETS with the season decided by Theta's 90 % test.

    Seasonal rows fit only the seasonal models (all models when not ``force``), the others only the
    non-seasonal ones.
    """
    found = np.zeros(len(rows), dtype=bool)
    lengths = np.array([len(r) for r in rows])
    for n in np.unique(lengths):
        idx = np.flatnonzero(lengths == n)
        found[idx] = seasonality_test(np.vstack([rows[i] for i in idx]))
    f = np.empty((len(rows), h))
    sets = {
        True: tuple(m for m in models if m[2] != "N") if force else models,
        False: tuple(m for m in models if m[2] == "N"),
    }
    for flag, ms in sets.items():
        idx = np.flatnonzero(found == flag)
        if len(idx):
            f[idx] = _ets_rows([rows[i] for i in idx], h, models=ms, **kw)[0]
    return f


def _recent_season(years: int = 5, **kw):
    """``dotm_forecast`` (statsmodels' test) with the seasonal indices of the last ``years`` years only.

    The indices are the classical decomposition of that part (of the whole series when shorter).
    """

    def run(y: np.ndarray, h: int) -> np.ndarray:
        s, n = y.shape
        seasonal = seasonality_test(y)
        cut = max(0, n - years * PERIOD)
        _, ind_cut, mult = _deseasonalise(y[:, cut:], seasonal, min_index=0.01)
        ind = np.empty_like(ind_cut)
        ind[:, (cut + np.arange(PERIOD)) % PERIOD] = ind_cut
        full = ind[:, np.arange(n) % PERIOD]
        x = np.where(mult[:, None], y / np.where(mult[:, None], full, 1.0), y - full)
        f = dotm_forecast(x, h, seasonal=False, **kw)
        return _reseasonalise(f, ind, mult, n, PERIOD)

    return run


def component_functions() -> dict:
    """Every single candidate (and the experimental ones) as ``name -> fn(rows, h) -> (len(rows), h)``."""
    return {
        "theta": lambda rows, h: _by_length(rows, theta_forecast, h),
        "stm": lambda rows, h: _by_length(rows, _stm_sm, h),
        "stm_agg": lambda rows, h: _by_length(rows, stm_across_levels, h),
        "dotm": lambda rows, h: _by_length(rows, _dotm_sm, h),
        "ets": lambda rows, h: _ets_rows(rows, h, **ETS_OPTIONS)[0],
    }


def experimental_functions() -> dict:
    """Variants measured for the pool and not adopted (``bench/m3_screen.py``; figures in docs/forecast.md)."""
    return {
        "damped": _damped_rows,
        "arima": lambda rows, h: _by_length(rows, arima_forecast, h),
        "ets_heuristic": lambda rows, h: _ets_rows(rows, h)[0],
        "ets_k": lambda rows, h: _ets_rows(rows, h, count_states=True)[0],
        "ets_e": lambda rows, h: _ets_rows(rows, h, count_states=True, estimate_init=True)[0],
        "ets_kw": lambda rows, h: _ets_rows(rows, h, count_states=True, weighted=True)[0],
        "damped_e": lambda rows, h: _damped_rows(rows, h, estimate_init=True),
        "ets_sa_w": lambda rows, h: _damped_rows(
            rows, h, models=tuple(m for m in ETS_MODELS if m[2] == "N"), **ETS_OPTIONS
        ),
        "theta_bartlett": lambda rows, h: _by_length(rows, _theta_bartlett, h),
        "ets_tested": lambda rows, h: _ets_tested(rows, h, **ETS_OPTIONS),
        "ets_tested_nonseasonal": lambda rows, h: _ets_tested(rows, h, force=False, **ETS_OPTIONS),
        "stm_q": lambda rows, h: _by_length(rows, lambda y, k: stm_across_levels(y, k, (3,)), h),
        "stm_agg_divisors": lambda rows, h: _by_length(
            rows, lambda y, k: stm_across_levels(y, k, (1, 2, 3, 4, 6, 12)), h
        ),
        "stm_agg_123": lambda rows, h: _by_length(rows, lambda y, k: stm_across_levels(y, k, (1, 2, 3)), h),
        "dotm_agg": lambda rows, h: _by_length(
            rows,
            lambda y, k: stm_across_levels(
                y, k, (1, 2, 3, 4, 6, 12), fit=lambda x, j: dotm_forecast(x, j, seasonal=False)
            ),
            h,
        ),
        "dotm_recent": lambda rows, h: _by_length(rows, _recent_season(), h),
        "stm_recent": lambda rows, h: _by_length(rows, _recent_season(dynamic=False, theta=2.0), h),
        "ets_no_linear": lambda rows, h: _ets_rows(
            rows, h, models=tuple(m for m in ETS_MODELS if m[1] != "A"), **ETS_OPTIONS
        )[0],
        "dotm_bartlett": lambda rows, h: _by_length(rows, _dotm_bartlett, h),
        "dotm_old": lambda rows, h: _by_length(rows, _dotm_old, h),
        "dotm_sf": lambda rows, h: _by_length(rows, dotm_forecast, h),
        "stm_sf": lambda rows, h: _by_length(rows, _stm_sf, h),
        "dstm_sm": lambda rows, h: _by_length(rows, _dstm_sm, h),
        "otm_sm": lambda rows, h: _by_length(rows, _otm_sm, h),
        "ses_sa": lambda rows, h: _damped_rows(rows, h, models=(("A", "N", "N"),)),
        "holt_sa": lambda rows, h: _damped_rows(rows, h, models=(("A", "A", "N"),)),
        "ets_sa_k": lambda rows, h: _damped_rows(
            rows, h, models=tuple(m for m in ETS_MODELS if m[2] == "N"), count_states=True
        ),
    }


def _candidates(rows: list[np.ndarray], h: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Forecasts ``(len(rows), h)`` of every candidate for each row (a series cut at a back-test origin).

    Every model is called once per distinct row length (ETS once for all rows), so many series and origins
    share each vectorised pass. Also returns the ETS model chosen for each row.
    """
    ets, ets_names = _ets_rows(rows, h, **ETS_OPTIONS)
    fns = component_functions()
    out = {name: (ets if name == "ets" else fns[name](rows, h)) for name in SINGLES}
    out["mean"] = np.stack([out[k] for k in POOL]).mean(axis=0)
    return out, ets_names


def _scale(x: np.ndarray) -> float:
    d = np.abs(np.diff(x))
    return float(d.mean()) if len(d) and d.mean() > 0 else float(max(np.abs(x).mean(), 1.0) * 1e-6)


def auto_forecast(y: pd.Series, horizon: int, margin: float = MARGIN) -> AutoForecastResult:
    """Forecast a monthly series ``horizon`` months ahead with the candidate that back-tests best.

    Parameters
    ----------
    y : pandas.Series
        Monthly values (any unit) with a PeriodIndex (frequency M) or a DatetimeIndex of month starts or month
        ends; consecutive months, no missing values.
    horizon : int
        Months to forecast.
    margin : float
        A candidate replaces the ``mean`` combination only if its back-test sMAPE is below ``margin`` times
        the combination's (1.0: plain selection of the lowest back-test sMAPE).

    Returns
    -------
    AutoForecastResult
        ``.method``, ``.mean``, ``.lower``, ``.upper`` (80 %), ``.backtest`` and ``.note``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> idx = pd.period_range("2015-01", periods=96, freq="M")
    >>> y = pd.Series(100 + 10 * np.sin(np.arange(96) * np.pi / 6), index=idx)
    >>> res = auto_forecast(y, 18)
    >>> len(res.mean), str(res.mean.index[0])
    (18, '2023-01')
    """
    return _run([y], int(horizon), margin)[0]


def _plan(y: pd.Series, horizon: int):
    """Check ``y``; return ``(None, result)`` for the fallbacks, else ``(state, None)`` to forecast."""
    x = _check(y, horizon)
    index = _future_index(y.index, int(horizon))
    n = len(x)
    name = y.name
    empty_bt = pd.DataFrame(columns=["smape_pct", "mase", "mae", "origins"], dtype=float)

    def result(method, mean, lower, upper, backtest, forecasts, note):
        return AutoForecastResult(
            method=method,
            mean=pd.Series(mean, index=index, name=name),
            lower=pd.Series(lower, index=index, name=name),
            upper=pd.Series(upper, index=index, name=name),
            backtest=backtest,
            forecasts=pd.DataFrame(forecasts, index=index),
            note=note,
        )

    spread = np.ptp(x)
    if spread <= 1e-12 * max(1.0, np.abs(x).max()):
        f = np.full(horizon, x[-1])
        return None, result(
            "constant", f, f, f, empty_bt, {"constant": f}, "Constant series: forecast is that constant."
        )

    notes = []
    if n < 2 * 12 + 2:
        notes.append(f"Short series ({n} months): seasonal models not fitted.")
    min_train = MIN_TRAIN if n >= MIN_TRAIN + 6 else max(4, n // 2)
    hb = min(int(horizon), n - min_train)
    ends = [n - hb - ORIGIN_STEP * j for j in range(N_ORIGINS)] if hb >= 1 else []
    ends = [e for e in ends if e >= min_train]
    k = np.arange(1, horizon + 1, dtype=float)
    if n < 8 or not ends:
        d = np.diff(x)
        sd = float(d.std(ddof=1)) if len(d) > 1 else 0.0
        f = np.full(horizon, x[-1])
        half = _Z80 * sd * np.sqrt(k)
        notes.append(
            f"Too short to back-test ({n} months): naive forecast (last value), random-walk interval."
        )
        return None, result("naive", f, f - half, f + half, empty_bt, {"naive": f}, " ".join(notes))
    if n < MIN_TRAIN + 6:
        notes.append(
            f"Back-test on {len(ends)} origin(s) of {hb} months with at least {min_train} months each."
        )

    state = {"x": x, "n": n, "ends": ends, "hb": hb, "notes": notes, "k": k, "result": result}
    return state, None


def _finish(state: dict, fc: dict[str, np.ndarray], ets_model: str, horizon: int, margin: float):
    """Score the back-test of one series, choose, and build its interval and result."""
    x, n, ends, hb, notes, k, result = (
        state[key] for key in ("x", "n", "ends", "hb", "notes", "k", "result")
    )
    rows = []
    errors = {}
    for cand in CANDIDATES:
        sm, ms, ma, errs = [], [], [], []
        for i, e in enumerate(ends):
            f = fc[cand][i, :hb]
            a = x[e : e + hb]
            train = x[:e]
            lag = 12 if e > 12 else 1
            sm.append(float(metrics.smape(f, a)))
            ms.append(float(metrics.mase(f, a, metrics.mase_scale(train, lag=lag))))
            ma.append(float(np.mean(np.abs(f - a))))
            errs.append((a - f) / (_scale(train) * np.arange(1, hb + 1) ** GROWTH))
        rows.append(
            {
                "method": cand,
                "smape_pct": np.mean(sm),
                "mase": np.nanmean(ms) if np.isfinite(ms).any() else np.nan,
                "mae": np.mean(ma),
                "origins": len(ends),
            }
        )
        errors[cand] = np.concatenate(errs)
    bt = pd.DataFrame(rows).set_index("method")
    score = bt["smape_pct"]
    best = score[list(POOL)].idxmin()
    chosen = best if score[best] < margin * score[DEFAULT] else DEFAULT
    mean = fc[chosen][-1, :horizon]
    z = errors[chosen]
    if len(z) >= 8:
        half = float(np.quantile(np.abs(z), 0.8)) * _scale(x) * k**GROWTH
        lower, upper = mean - half, mean + half
        interval = "80 % interval from back-test error quantiles"
    else:
        d = np.diff(x)
        half = _Z80 * float(d.std(ddof=1)) * np.sqrt(k)
        lower, upper = mean - half, mean + half
        interval = "80 % interval of a random walk (too few back-test errors)"
    notes.insert(
        0,
        f"Chosen: {chosen} by rolling-origin back-test ({len(ends)} origins x {hb} months); {interval}; "
        f"ETS model {ets_model}.",
    )
    if (x > 0).all() and (mean < 0).any():
        notes.append(
            "The series is positive but the forecast goes below zero: the fitted models project the recent "
            "fall beyond zero."
        )
    return result(
        chosen, mean, lower, upper, bt, {c: fc[c][-1, :horizon] for c in CANDIDATES}, " ".join(notes)
    )


def _run(items: list[pd.Series], horizon: int, margin: float) -> list[AutoForecastResult]:
    """:func:`auto_forecast` for several series, the candidates of all their origins in shared passes."""
    out: list = [None] * len(items)
    rows, spans = [], []
    for i, y in enumerate(items):
        state, done = _plan(y, horizon)
        if done is not None:
            out[i] = done
            continue
        cut = [state["x"][:e] for e in state["ends"] + [state["n"]]]
        spans.append((i, state, len(rows), len(rows) + len(cut)))
        rows += cut
    if rows:
        fc, ets_names = _candidates(rows, horizon)
        for i, state, a, b in spans:
            part = {c: v[a:b] for c, v in fc.items()}
            out[i] = _finish(state, part, str(ets_names[b - 1]), horizon, margin)
    return out


def _many_chunk(args):
    items, horizon, margin = args
    return _run(items, horizon, margin)


def auto_forecast_many(
    series, horizon: int, n_jobs: int = 1, margin: float = MARGIN, chunksize: int = 64
) -> list[AutoForecastResult]:
    """:func:`auto_forecast` for many series, optionally in ``n_jobs`` worker processes.

    Parameters
    ----------
    series : iterable of pandas.Series
        Monthly series as :func:`auto_forecast` takes them.
    horizon : int
        Months to forecast.
    n_jobs : int
        Worker processes (1: in this process).
    margin : float
        As in :func:`auto_forecast`.
    chunksize : int
        Series per task sent to a worker.

    Returns
    -------
    list of AutoForecastResult
        In the order of ``series``; the same results as calling :func:`auto_forecast` on each.
    """
    items = list(series)
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive whole number of months, got {horizon!r}")
    if n_jobs is None or n_jobs <= 1 or len(items) <= chunksize:
        return [
            r
            for a in range(0, len(items), chunksize)
            for r in _run(items[a : a + chunksize], int(horizon), margin)
        ]
    from concurrent.futures import ProcessPoolExecutor

    chunks = [(items[i : i + chunksize], horizon, margin) for i in range(0, len(items), chunksize)]
    with ProcessPoolExecutor(int(n_jobs)) as pool:
        return [r for part in pool.map(_many_chunk, chunks) for r in part]
