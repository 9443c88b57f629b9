"""Statistical forecasting models in plain numpy, vectorised across series.

Every fitter takes a 2-D array ``y`` of shape ``(S, n)`` (``S`` series of ``n`` consecutive monthly values, no
missing values, all of the same length) and returns forecasts of shape ``(S, h)``. Parameters are estimated by
evaluating the loss on a grid of parameter values for all series at once and refining the best grid point by a
shrinking local grid: no per-series Python loop and no numerical optimiser, so a fit costs a few milliseconds
per series instead of the 8-220 ms of the statsmodels equivalents (see ``bench/bench_forecast.py``).

Models
------
Theta
    The standard Theta method (Assimakopoulos and Nikolopoulos 2000; Hyndman and Billah 2003), as in
    ``statsmodels.tsa.forecasting.theta.ThetaModel`` with its defaults: a 90 % test for seasonality on the
    autocorrelation at lag 12, classical multiplicative decomposition when seasonal (additive when the series
    has non-positive values), simple exponential smoothing (SES, initial level = first value, alpha by least
    squares) of the adjusted series with drift equal to half the slope of a linear trend. Verified against
    statsmodels in the tests.
ETS
    Exponential smoothing state space models as statsmodels' ``ETSModel`` with heuristic initial states: the
    15 admissible models of :data:`ETS_MODELS` (additive or multiplicative error; trend none, additive or
    additive damped; season none, additive or multiplicative; multiplicative parts only for strictly positive
    series), fitted by maximum likelihood within statsmodels' bounds and chosen per series by AICc
    (:func:`ets_fit`). Checked against statsmodels on M3 series in ``tests/test_forecast_oracle.py``. The
    parameters are found by a coarse grid and a pattern search (this module's grid approach), the three best
    candidates of each series then polished by a vectorised Newton method (where statsmodels uses L-BFGS-B).
    Options beyond statsmodels (used by ``auto_forecast``): the initial level and slope
    estimated with the smoothing parameters (``estimate_init``), the initial states counted in the AICc as R's
    ``ets`` counts them (``count_states``) and the AICc-weighted mean of all models' forecasts (``weighted``).
DOTM and STM
    The dynamic optimised and the standard Theta model (Fiorucci et al. 2016) on the seasonally adjusted
    series, fitted as statsforecast's ``DynamicOptimizedTheta`` and ``Theta`` (and R forecTheta's ``dotm`` and
    ``stm``): initial level, alpha in [0.1, 0.99] and theta (DOTM) minimise the squared one-step errors after
    the first three, the forecast continues the model's recursion; the initial level and theta are solved
    exactly for each alpha (:func:`dotm_forecast`). Checked against statsforecast on M3 series in
    ``tests/test_forecast_oracle.py`` (``bench/theta_oracle.py``).
ARIMA
    A fixed, sensible specification chosen per series: the airline model ARIMA(0,1,1)(0,1,1)12 where the
    seasonality test finds seasonality (and there are at least three years of data), otherwise ARIMA(0,1,1)
    with or without drift, whichever has the lower AICc. Estimated by exact Gaussian maximum likelihood of the
    differenced series, as statsmodels' ``ARIMA`` (module :mod:`analysis.forecast.arima`); rows of different
    lengths in one pass with ``lengths=``. On M3 monthly it is the weakest model alone (sMAPE 15.33 at 18
    months; 15.01 with the former conditional-sum-of-squares fit, ``bench/arima_oracle.py --accuracy``).
    Checked against statsmodels on M3 series in ``tests/test_forecast_arima_oracle.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from analysis.forecast.arima import ARIMAFit, arima_fit

__all__ = [
    "PERIOD",
    "ARIMAFit",
    "ARIMAMethod",
    "ETSFit",
    "ETSMethod",
    "ETS_MODELS",
    "NaiveMethod",
    "SeasonalNaiveMethod",
    "StatisticalMethod",
    "ThetaMethod",
    "arima_fit_chosen",
    "arima_forecast",
    "classical_decomposition",
    "dotm_forecast",
    "ets_fit",
    "ets_forecast",
    "naive_forecast",
    "seasonal_naive_forecast",
    "seasonality_test",
    "ses_fit",
    "theta_forecast",
]

PERIOD = 12
"""Months per year: the seasonal period of every model here."""

_CHI2_90 = 2.705543454095404  # 1.645 ** 2, the 10 % critical value of a chi-squared(1)
_TINY = 1e-10


def _as_2d(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2:
        raise ValueError(f"expected a 1-D or 2-D array of monthly values, got {y.ndim} dimensions")
    if not np.isfinite(y).all():
        raise ValueError("the series contain missing or infinite values; the models need complete series")
    return y


# ------------------------------------------------------------------------------------------------------------
# Seasonality test and classical decomposition
# ------------------------------------------------------------------------------------------------------------


def seasonality_test(y: np.ndarray, period: int = PERIOD, bartlett: bool = False) -> np.ndarray:
    """Test each series for seasonality at the 10 % level, as statsmodels' ThetaModel does.

    The statistic is ``n r_m^2 / (1 + sum_{i<m} r_i^2)`` with ``r_i`` the sample autocorrelation at lag ``i``;
    seasonality is declared when it exceeds the 90 % quantile of a chi-squared(1) distribution.

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)``: monthly values (any unit).
    period : int
        Seasonal period in months.
    bartlett : bool
        Use Bartlett's variance ``1 + 2 sum_{i<m} r_i^2`` in the denominator (statsforecast's and R
        forecTheta's test; stricter) instead of statsmodels' ``1 + sum_{i<m} r_i^2``.

    Returns
    -------
    numpy.ndarray
        Shape ``(S,)``, bool: True where the series is seasonal. Always False when ``n < 2 * period`` or the
        series is constant.
    """
    y = _as_2d(y)
    s, n = y.shape
    if n < 2 * period:
        return np.zeros(s, dtype=bool)
    x = y - y.mean(axis=1, keepdims=True)
    denom = np.einsum("ij,ij->i", x, x)
    ok = denom > _TINY * np.maximum(1.0, np.abs(y).max(axis=1)) ** 2
    denom = np.where(ok, denom, 1.0)
    r = np.stack([np.einsum("ij,ij->i", x[:, lag:], x[:, : n - lag]) for lag in range(1, period + 1)], axis=1)
    r = r / denom[:, None]
    stat = n * r[:, -1] ** 2 / (1.0 + (2.0 if bartlett else 1.0) * np.sum(r[:, :-1] ** 2, axis=1))
    return ok & (stat > _CHI2_90)


def _centred_moving_average(y: np.ndarray, period: int) -> np.ndarray:
    """2 x period centred moving average (NaN at both ends), shape ``(S, n)``."""
    s, n = y.shape
    trend = np.full((s, n), np.nan)
    half = period // 2
    if n <= 2 * half:
        return trend
    c = np.concatenate([np.zeros((s, 1)), np.cumsum(y, axis=1)], axis=1)
    if period % 2 == 0:
        # full window of period + 1 values with half weights at both ends
        idx = np.arange(half, n - half)
        inner = c[:, idx + half] - c[:, idx - half + 1]
        trend[:, idx] = (inner + 0.5 * y[:, idx - half] + 0.5 * y[:, idx + half]) / period
    else:
        idx = np.arange(half, n - half)
        trend[:, idx] = (c[:, idx + half + 1] - c[:, idx - half]) / period
    return trend


def classical_decomposition(
    y: np.ndarray, multiplicative: np.ndarray | bool, period: int = PERIOD
) -> np.ndarray:
    """Seasonal indices of a classical decomposition, as ``statsmodels.tsa.seasonal.seasonal_decompose``.

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)`` monthly values, ``n >= 2 * period``.
    multiplicative : numpy.ndarray or bool
        Shape ``(S,)`` or scalar: multiplicative (ratios, indices averaging 1) or additive (differences,
        indices averaging 0) per series.
    period : int
        Seasonal period in months.

    Returns
    -------
    numpy.ndarray
        Shape ``(S, period)``: the seasonal index of each position ``t % period`` counted from the first value
        of the series (dimensionless for multiplicative, in the unit of ``y`` for additive).
    """
    y = _as_2d(y)
    s, n = y.shape
    mult = np.broadcast_to(np.asarray(multiplicative, dtype=bool), (s,))
    trend = _centred_moving_average(y, period)
    with np.errstate(divide="ignore", invalid="ignore"):
        detr = np.where(mult[:, None], y / trend, y - trend)
    pad = (-n) % period
    detr = np.concatenate([detr, np.full((s, pad), np.nan)], axis=1).reshape(s, -1, period)
    valid = np.isfinite(detr)
    counts = valid.sum(axis=1)
    means = np.where(valid, detr, 0.0).sum(axis=1) / np.maximum(counts, 1)
    means = np.where(counts > 0, means, np.where(mult[:, None], 1.0, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        norm_mult = means / means.mean(axis=1, keepdims=True)
    norm_add = means - means.mean(axis=1, keepdims=True)
    return np.where(mult[:, None], norm_mult, norm_add)


def _season_at(indices: np.ndarray, start: int, length: int, period: int = PERIOD) -> np.ndarray:
    """Seasonal indices for positions ``start .. start + length - 1``; shape ``(S, length)``."""
    pos = (start + np.arange(length)) % period
    return indices[:, pos]


def _deseasonalise(y: np.ndarray, seasonal: np.ndarray, period: int = PERIOD, min_index: float = 0.0):
    """Seasonally adjust each series found seasonal by the 90 % test.

    Returns the adjusted series, the seasonal indices (``(S, period)``) and the multiplicative flags; series
    that are not seasonal get neutral indices (1, multiplicative). A series whose multiplicative indices are
    not all above ``min_index`` (statsmodels: 0; statsforecast: 0.01) is decomposed additively.
    """
    s, n = y.shape
    positive = (y > 0).all(axis=1)
    idx = np.ones((s, period))
    mult = np.ones(s, dtype=bool)
    if seasonal.any():
        sub = y[seasonal]
        m_sub = positive[seasonal]
        ind = classical_decomposition(sub, m_sub, period)
        # statsmodels falls back to additive when a multiplicative index is not positive
        bad = m_sub & ~(ind > min_index).all(axis=1)
        if bad.any():
            m_sub = m_sub & ~bad
            ind = classical_decomposition(sub, m_sub, period)
        idx[seasonal] = ind
        mult[seasonal] = m_sub
    full = _season_at(idx, 0, n, period)
    adjusted = np.where(mult[:, None], y / np.where(mult[:, None], full, 1.0), y - full)
    return adjusted, idx, mult


def _reseasonalise(
    f: np.ndarray, idx: np.ndarray, mult: np.ndarray, n: int, period: int = PERIOD
) -> np.ndarray:
    season = _season_at(idx, n, f.shape[1], period)
    return np.where(mult[:, None], f * season, f + season)


# ------------------------------------------------------------------------------------------------------------
# Grid helpers
# ------------------------------------------------------------------------------------------------------------


def _refine_1d(loss, lo: float, hi: float, s: int, n_grid: int = 41, rounds: int = 3) -> np.ndarray:
    """Minimise ``loss(params (S, G)) -> (S, G)`` over one parameter in ``[lo, hi]`` per series."""
    grid = np.broadcast_to(np.linspace(lo, hi, n_grid), (s, n_grid)).copy()
    step = (hi - lo) / (n_grid - 1)
    best = None
    for _ in range(rounds):
        values = loss(grid)
        values = np.where(np.isfinite(values), values, np.inf)
        best = grid[np.arange(s), np.argmin(values, axis=1)]
        grid = np.clip(best[:, None] + step * np.linspace(-1.0, 1.0, 21)[None, :], lo, hi)
        step = step / 10.0
    return best


# ------------------------------------------------------------------------------------------------------------
# Naive methods
# ------------------------------------------------------------------------------------------------------------


def naive_forecast(y: np.ndarray, h: int) -> np.ndarray:
    """Random-walk forecast: the last value for every month ahead; shape ``(S, h)``."""
    y = _as_2d(y)
    return np.repeat(y[:, -1:], h, axis=1)


def seasonal_naive_forecast(y: np.ndarray, h: int, period: int = PERIOD) -> np.ndarray:
    """Seasonal naive forecast: the value of the same month a year before; shape ``(S, h)``.

    Falls back to the naive forecast when the series is shorter than one period.
    """
    y = _as_2d(y)
    n = y.shape[1]
    if n < period:
        return naive_forecast(y, h)
    pos = n - period + (np.arange(h) % period)
    return y[:, pos]


# ------------------------------------------------------------------------------------------------------------
# SES and Theta
# ------------------------------------------------------------------------------------------------------------


def _ses_sse(x: np.ndarray, alpha: np.ndarray):
    """SSE and final level of SES with initial level ``x[:, 0]``; ``alpha`` has shape ``(S, G)``."""
    level = np.repeat(x[:, :1], alpha.shape[1], axis=1)
    sse = np.zeros_like(alpha)
    for t in range(1, x.shape[1]):
        e = x[:, t : t + 1] - level
        sse += e * e
        level += alpha * e
    return sse, level


def ses_fit(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit simple exponential smoothing with the initial level fixed at the first value.

    Parameters
    ----------
    x : numpy.ndarray
        Shape ``(S, n)`` monthly values.

    Returns
    -------
    alpha : numpy.ndarray
        Shape ``(S,)``: smoothing parameter in ``[0, 1]`` minimising the sum of squared one-step errors.
    level : numpy.ndarray
        Shape ``(S,)``: the final level, i.e. the flat SES forecast (unit of ``x``).
    """
    x = _as_2d(x)
    alpha = _refine_1d(lambda a: _ses_sse(x, a)[0], 0.0, 1.0, x.shape[0])
    _, level = _ses_sse(x, alpha[:, None])
    return alpha, level[:, 0]


def theta_forecast(y: np.ndarray, h: int, period: int = PERIOD, bartlett: bool = False) -> np.ndarray:
    """Forecast with the standard Theta method (theta = 2), vectorised over series.

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)`` monthly values.
    h : int
        Horizon in months.
    period : int
        Seasonal period in months.
    bartlett : bool
        The seasonality test's form (see :func:`seasonality_test`); default statsmodels'.

    Returns
    -------
    numpy.ndarray
        Shape ``(S, h)``: forecasts in the unit of ``y``.

    Notes
    -----
    ``F(n+k) = S(n+k) * (l_n + b0 / 2 * (k - 1 + 1 / alpha - (1 - alpha)^n / alpha))`` with ``S`` the
    seasonal index (or ``+`` for additive), ``l_n`` the final SES level of the adjusted series and ``b0`` the
    OLS slope of the adjusted series on time, as in statsmodels' ``ThetaModel(...).fit().forecast(h)``.
    """
    y = _as_2d(y)
    s, n = y.shape
    if n < 2:
        return naive_forecast(y, h)
    seasonal = seasonality_test(y, period, bartlett=bartlett)
    x, idx, mult = _deseasonalise(y, seasonal, period)
    t = np.arange(n, dtype=float)
    tc = t - t.mean()
    b0 = (x - x.mean(axis=1, keepdims=True)) @ tc / (tc @ tc)
    alpha, level = ses_fit(x)
    k = np.arange(h, dtype=float)[None, :]
    # (1 - (1 - alpha)^n) / alpha, written with expm1/log1p so that it stays exact for small alpha and tends to
    # n (not 0) as alpha -> 0: the trend line then carries the whole sample's drift, as statsmodels' limit does.
    a = np.clip(alpha, 1e-300, 1.0)[:, None]
    weight = np.where(alpha[:, None] > 0, -np.expm1(n * np.log1p(-np.minimum(a, 1.0 - 1e-16))) / a, float(n))
    drift = k + weight
    f = level[:, None] + 0.5 * b0[:, None] * drift
    return _reseasonalise(f, idx, mult, n, period)


# ------------------------------------------------------------------------------------------------------------
# ETS
# ------------------------------------------------------------------------------------------------------------

ETS_MODELS = tuple(
    (error, trend, season)
    for error in ("A", "M")
    for season in ("N", "A", "M")
    for trend in ("N", "A", "Ad")
    if not (error == "A" and season == "M")
)
"""The admissible ETS models ``(error, trend, season)``: additive or multiplicative error; trend none,
additive or additive damped; season none, additive or multiplicative. As statsforecast's AutoETS (and R's
``ets`` with ``restrict=TRUE``): no additive error with a multiplicative season (numerically unstable) and no
multiplicative trend. Multiplicative error or season only for strictly positive series."""

_ETS_LO, _ETS_HI = (
    1e-4,
    1.0 - 1e-4,
)  # statsmodels' bounds of alpha, beta* = beta / alpha, gamma* = gamma / (1 - alpha)
_PHI_LO, _PHI_HI = 0.8, 0.98  # statsmodels' bounds of the damping parameter
# coarse grid in the unit cube of (alpha, beta*, gamma*, phi); mapped linearly onto the bounds above
_U_COARSE = (
    np.array([0.0, 0.15, 0.4, 0.7, 1.0]),
    np.array([0.0, 0.15, 0.5]),
    np.array([0.0, 0.15, 0.5]),
    np.array([0.2, 0.8]),
    np.array([0.5]),  # initial level, when estimated (0.5: the heuristic's)
    np.array([0.5]),  # initial slope, when estimated
)
_ETS_ROUNDS = 24
_ETS_CHUNK = (
    64  # series per vectorised ETS pass (memory: series x about 1,700 parameter columns x 12 seasons)
)
_ETS_TOL = 2e-4  # pattern-search step (unit cube) below which a candidate has converged


_ETS_SEARCH = "axes"
_ETS_POLISH = 3  # candidates per series (the lowest AICc after the pattern search) polished by _ets_newton
_ETS_POLISH_ITERS = 12  # Newton iterations of the polish at most (fewer where every point has converged)
_ETS_FD = 1e-3  # finite-difference step of the polish (in the coordinates of _ets_z)


def _ets_offsets(used: np.ndarray) -> np.ndarray:
    """Pattern-search moves in the unit cube for the parameters ``used`` (bools): all 3^d - 1 or the 2d axes.

    The zero move is left out: the current point's value is already known (and never improves on itself).
    """
    if _ETS_SEARCH == "full":
        moves = product(*[(-1.0, 0.0, 1.0) if u else (0.0,) for u in used])
        return np.array([m for m in moves if any(m)])
    moves = []
    for j in np.flatnonzero(used):
        for sign in (-1.0, 1.0):
            m = np.zeros(len(used))
            m[j] = sign
            moves.append(m)
    return np.array(moves)


def _ets_z(u: np.ndarray) -> np.ndarray:
    """The polish's coordinates of unit-cube points ``(..., n_par)``.

    The logit of alpha, beta* and gamma* themselves (so 1.5e-4 and the bound 1e-4 are 0.45 apart, not 6e-5);
    ``10 u`` for phi and the initial states.
    """
    z = 10.0 * u
    a = _ETS_LO + (_ETS_HI - _ETS_LO) * u[..., :3]
    z[..., :3] = np.log(a / (1.0 - a))
    return z


def _ets_u(z: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_ets_z`, clipped to the unit cube."""
    u = z / 10.0
    a = 1.0 / (1.0 + np.exp(-z[..., :3]))
    u[..., :3] = (a - _ETS_LO) / (_ETS_HI - _ETS_LO)
    return np.clip(u, 0.0, 1.0)


def _ets_newton(nll, u: np.ndarray, v: np.ndarray, mask: np.ndarray, iters: int | None = None):
    """Polish ``(R, K)`` points ``u`` of the unit cube (values ``v``) by a bounded, saddle-free Newton method.

    ``nll(points)`` evaluates unit-cube points of shape ``(R, K * m, n_par)`` (``m`` per polished point, in
    blocks of ``m``); ``mask (R, K, n_par)`` marks the parameters each point has. The search runs in the
    coordinates of :func:`_ets_z`, where a maximum just inside a bound (statsmodels' L-BFGS-B often ends with
    alpha at 1.5e-4 against the bound 1e-4) is as far from it as any other. Per iteration one call of ``nll``
    gives the gradient and Hessian by finite differences (step ``_ETS_FD``, about a point moved ``2 _ETS_FD``
    inside the bounds) and one the line search along the Newton step (the Hessian's eigenvalues taken in
    absolute value with a floor; a parameter at a bound whose gradient points outwards stays there) and along
    the steepest descent. A point moves only where its value falls, so the result is never worse than ``u``.
    This is what the pattern search lacks on a curved ridge of the likelihood, where moves along the axes stop
    improving before the maximum.
    """
    iters = _ETS_POLISH_ITERS if iters is None else iters
    r, kk, d = u.shape
    eye = np.eye(d)
    zlo = _ets_z(np.zeros(d))
    zhi = _ets_z(np.ones(d))
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
    cross = np.array([eye[i] + eye[j] for i, j in pairs]).reshape(-1, d)
    fd_off = np.concatenate([eye, -eye, cross]) * _ETS_FD
    ts = np.array([1.0, 0.5, 0.25, 0.125, 1 / 16, 1 / 64])
    sd = np.array([0.3, 0.05, 0.01])  # steepest-descent step lengths
    v = v.copy()
    live = np.isfinite(v)
    moved = np.zeros(v.shape, dtype=bool)
    z = _ets_z(u)
    mfd = mask[:, :, None, :]
    edge = 2 * _ETS_FD

    def evaluate(zz):
        m = zz.shape[2]
        pts = np.where(mfd, _ets_u(zz), 0.0)
        return nll(pts.reshape(r, kk * m, d)).reshape(r, kk, m)

    for _ in range(iters):
        if not live.any():
            break
        c = np.where(mask, np.clip(z, zlo + edge, zhi - edge), z)
        f = evaluate(np.concatenate([c[:, :, None, :], c[:, :, None, :] + fd_off[None, None]], axis=2))
        f0, fp, fm = f[..., 0], f[..., 1 : 1 + d], f[..., 1 + d : 1 + 2 * d]
        fx = f[..., 1 + 2 * d :]
        finite = np.isfinite(f).all(axis=2) & live
        with np.errstate(invalid="ignore", over="ignore"):
            g = (fp - fm) / (2 * _ETS_FD)
            hess = np.zeros((r, kk, d, d))
            hess[..., np.arange(d), np.arange(d)] = (fp - 2 * f0[..., None] + fm) / _ETS_FD**2
            for q, (i, j) in enumerate(pairs):
                hij = (fx[..., q] - fp[..., i] - fp[..., j] + f0) / _ETS_FD**2
                hess[..., i, j] = hij
                hess[..., j, i] = hij
            out = ((z <= zlo + edge) & (g > 0)) | ((z >= zhi - edge) & (g < 0))
        free = mask & finite[..., None] & ~out
        g = np.where(free, g, 0.0)
        both = free[..., :, None] & free[..., None, :]
        hess = np.where(both, np.nan_to_num(hess), 0.0) + np.where(free, 0.0, 1.0)[..., None] * eye
        w, vec = np.linalg.eigh(hess)
        w = np.maximum(np.abs(w), 1e-6 * np.abs(w).max(axis=-1, keepdims=True) + 1e-9)
        step = -np.einsum("...ij,...j,...kj,...k->...i", vec, 1.0 / w, vec, g)
        big = np.abs(step).max(axis=-1, keepdims=True)
        step = np.where(big > 2.0, step * 2.0 / np.maximum(big, _TINY), step)
        down = -g / np.maximum(np.sqrt((g * g).sum(axis=-1, keepdims=True)), _TINY)
        cand = np.concatenate(
            [
                c[:, :, None, :] + ts[None, None, :, None] * step[:, :, None, :],
                c[:, :, None, :] + sd[None, None, :, None] * down[:, :, None, :],
            ],
            axis=2,
        )
        cand = np.where(free[:, :, None, :], np.clip(cand, zlo, zhi), z[:, :, None, :])
        fv = np.where(finite[..., None], evaluate(cand), np.inf)
        j = np.argmin(fv, axis=2)
        best = np.take_along_axis(fv, j[..., None], axis=2)[..., 0]
        with np.errstate(invalid="ignore"):
            better = best < v - 1e-10 * np.maximum(np.abs(v), 1.0)
        z = np.where(better[..., None], np.take_along_axis(cand, j[..., None, None], axis=2)[:, :, 0], z)
        v = np.where(better, best, v)
        moved |= better
        live &= better
    return np.where(moved[..., None] & mask, _ets_u(z), u), v


def _ets_heuristic_init(y: np.ndarray, lengths: np.ndarray, season: str, period: int = PERIOD):
    """Initial states as statsmodels' ``_initialization_heuristic`` (Hyndman et al. 2008, section 2.6).

    Seasonal models: a 2 x ``period`` centred moving average of the first ``k`` full years (``k`` = the
    number of full years, at least 2 and at most 5); the seasonal indices are the mean detrended value of each
    month, normalised (mean 0 additive, mean 1 multiplicative); level and slope are the intercept and slope of
    a straight line through the first 10 values of the moving average (t = 1..10). Non-seasonal models: the
    same line through the first 10 values of the series. Rows shorter than 10 values use the values they
    have. Returns ``l0 (R,)``, ``b0 (R,)``, ``s0 (R, period)`` and ``ok (R,)`` (False where the model cannot
    be initialised: seasonal with less than two full years, or a multiplicative season where some month has no
    detrended value because the moving average is zero there).
    """
    r = y.shape[0]
    l0 = np.zeros(r)
    b0 = np.zeros(r)
    s0 = np.ones((r, period)) if season == "M" else np.zeros((r, period))
    ok = np.zeros(r, dtype=bool)
    if season == "N":
        key = np.minimum(lengths, 10)
    else:
        cycles = np.maximum(np.minimum(5, lengths // period), 2)
        key = np.where(lengths >= max(2 * period, 10 + 2 * (period // 2)), cycles, 0)
    for k in np.unique(key):
        rows = key == k
        if season == "N":
            if k < 3:
                continue
            base = y[rows, :k]
        else:
            if k == 0:
                continue
            head = y[rows, : k * period]
            trend = _centred_moving_average(head, period)
            with np.errstate(divide="ignore", invalid="ignore"):
                detr = head / trend if season == "M" else head - trend
            # each month's mean over the years where the detrended value exists (not at the ends of the moving
            # average; not where a multiplicative season divides by a moving average of zero, as in a series
            # that starts with a year of zeros: a month with no value leaves the row uninitialised, ok False)
            detr = detr.reshape(-1, k, period)
            seen = np.isfinite(detr)
            count = seen.sum(axis=1)
            idx = np.where(seen, detr, 0.0).sum(axis=1) / np.maximum(count, 1)
            idx[count == 0] = np.nan
            idx = (
                idx / idx.mean(axis=1, keepdims=True)
                if season == "M"
                else idx - idx.mean(axis=1, keepdims=True)
            )
            s0[rows] = idx
            half = period // 2
            base = trend[:, half : k * period - half][:, :10]
        m = base.shape[1]
        t = np.arange(1, m + 1, dtype=float)
        tc = t - t.mean()
        slope = (base - base.mean(axis=1, keepdims=True)) @ tc / (tc @ tc)
        l0[rows] = base.mean(axis=1) - slope * t.mean()
        b0[rows] = slope
        ok[rows] = np.isfinite(l0[rows]) & np.isfinite(s0[rows]).all(axis=1)
    return l0, b0, s0, ok


def _ets_filter(y, lengths, alpha, bstar, gstar, phi, mult, l0, b0, s0, record=False, period=PERIOD):
    """Run the ETS recursions for all rows and parameter columns at once, in statsmodels' component form.

    ``yhat = (l + phi b) s`` (multiplicative season) or ``l + phi b + s``;
    ``l' = alpha y / s + (1 - alpha)(l + phi b)`` (or ``alpha (y - s) + ...``);
    ``b' = beta* (l' - l) + (1 - beta*) phi b``; ``s' = gamma* y / l' + (1 - gamma*) s`` (or ``y - l'``).
    The state equations are the same for additive and multiplicative errors; only the likelihood differs.
    Trend N is ``beta* = 0, b0 = 0, phi = 1``; season N is ``gamma* = 0, s0 = 0`` (additive).

    ``y`` is ``(R, T)``; row ``r`` uses its first ``lengths[r]`` values and after them the one-step prediction
    in place of the data (the forecast recursion). Parameters ``(R, G)``; ``mult`` ``(G,)`` or ``(R, G)``;
    states ``l0, b0 (R, G)``, ``s0 (R, G, period)``. Returns the sums over each row's sample of the squared
    errors, the squared relative errors and ``log |yhat|``, all ``(R, G)``, and when ``record`` the one-step
    predictions ``(R, G, T)``.
    """
    level = l0.copy()
    slope = b0.copy()
    seas = [np.ascontiguousarray(s0[:, :, j]) for j in range(period)]
    m = np.broadcast_to(mult, alpha.shape)
    any_mult = bool(np.any(mult))
    sse = np.zeros(alpha.shape)
    sre = np.zeros(alpha.shape)
    slog = np.zeros(alpha.shape)
    prod = np.ones(alpha.shape)  # |yhat| multiplied over up to 6 months, then logged (saves a log per month)
    n_t = y.shape[1]
    n_min = int(lengths.min())
    pred = np.empty(alpha.shape + (n_t,)) if record else None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for t in range(n_t):
            k = t % period
            st = seas[k]
            base = level + phi * slope
            yhat = np.where(m, base * st, base + st) if any_mult else base + st
            if record:
                pred[:, :, t] = yhat
            if t < n_min:
                obs = y[:, t : t + 1]  # (R, 1): broadcast by each operation it enters
                e = obs - yhat
                prod *= np.abs(yhat)
            else:
                inside = t < lengths[:, None]
                obs = np.where(inside, y[:, t : t + 1], yhat)
                e = obs - yhat
                prod *= np.where(inside, np.abs(yhat), 1.0)
            if t % 6 == 5 or t == n_t - 1:
                slog += np.log(prod)
                prod[...] = 1.0
            sse += e * e
            rel = e / yhat
            sre += rel * rel
            if any_mult:
                new_level = alpha * np.where(m, obs / st, obs - st) + (1.0 - alpha) * base
                seas[k] = gstar * np.where(m, obs / new_level, obs - new_level) + (1.0 - gstar) * st
            else:
                new_level = alpha * (obs - st) + (1.0 - alpha) * base
                seas[k] = gstar * (obs - new_level) + (1.0 - gstar) * st
            slope = bstar * (new_level - level) + (1.0 - bstar) * phi * slope
            level = new_level
    return sse, sre, slog, pred


def _ets_unit(params: np.ndarray, r: int, n_par: int) -> np.ndarray:
    """Parameters ``(R, 4)`` (alpha, beta, gamma, phi as :attr:`ETSFit.params`) in the search's unit cube.

    The inverse of ``ets_fit``'s ``unit_to_params``: alpha, beta* = beta / alpha and gamma* = gamma / (1 -
    alpha) onto ``[_ETS_LO, _ETS_HI]``, phi onto ``[_PHI_LO, _PHI_HI]``, clipped to ``[0, 1]``; missing values
    (NaN) become 0; estimated initial states 0.5 (the heuristic's).
    """
    p = np.asarray(params, dtype=float)
    if p.shape != (r, 4):
        raise ValueError(f"start must have shape {(r, 4)}, got {p.shape}")
    alpha = p[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        bstar = p[:, 1] / alpha
        gstar = p[:, 2] / (1.0 - alpha)
    u = np.full((r, n_par), 0.5)
    u[:, 0] = (alpha - _ETS_LO) / (_ETS_HI - _ETS_LO)
    u[:, 1] = (bstar - _ETS_LO) / (_ETS_HI - _ETS_LO)
    u[:, 2] = (gstar - _ETS_LO) / (_ETS_HI - _ETS_LO)
    u[:, 3] = (p[:, 3] - _PHI_LO) / (_PHI_HI - _PHI_LO)
    u[:, :4] = np.clip(np.nan_to_num(u[:, :4], nan=0.0), 0.0, 1.0)
    return u


@dataclass(frozen=True)
class ETSFit:
    """Fitted ETS models chosen by AICc, one per series (see :func:`ets_fit`).

    Attributes
    ----------
    forecast : numpy.ndarray
        ``(S, h)`` point forecasts in the unit of ``y``.
    model : numpy.ndarray
        ``(S,)`` model names such as ``'ETS(M,Ad,M)'`` (or ``'naive'`` where no model could be fitted).
    params : numpy.ndarray
        ``(S, 4)``: alpha, beta, gamma, phi (Hyndman's parametrisation: beta = alpha beta*, gamma =
        (1 - alpha) gamma*; 0 for absent components, phi 1 without damping).
    aicc : numpy.ndarray
        ``(S,)``: the chosen model's AICc (statsmodels' definition; the initial states are not estimated, so
        they do not count as parameters).
    aicc_all : numpy.ndarray
        ``(S, len(ETS_MODELS))``: every candidate's AICc (``inf`` where not admissible).
    implies_negative : numpy.ndarray
        ``(S,)`` bool: the series is strictly positive but the chosen model's forecast goes below zero (an
        additive trend projected down). The forecast is left as the model implies; callers should say so.
    """

    forecast: np.ndarray
    model: np.ndarray
    params: np.ndarray
    aicc: np.ndarray
    aicc_all: np.ndarray
    implies_negative: np.ndarray


def ets_fit(
    y: np.ndarray,
    h: int,
    period: int = PERIOD,
    lengths: np.ndarray | None = None,
    models: tuple[tuple[str, str, str], ...] = ETS_MODELS,
    rounds: int = _ETS_ROUNDS,
    count_states: bool = False,
    estimate_init: bool = False,
    weighted: bool = False,
    *,
    allowed: np.ndarray | None = None,
    start: np.ndarray | None = None,
    start_step: float = 0.1,
    polish: int = _ETS_POLISH,
    polish_iters: int = _ETS_POLISH_ITERS,
) -> ETSFit:
    """Choose and fit an ETS model per series by AICc, as statsmodels' ``ETSModel`` would, vectorised.

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)`` monthly values.
    h : int
        Horizon in months.
    period : int
        Seasonal period in months.
    lengths : numpy.ndarray, optional
        Shape ``(S,)``: use only the first ``lengths[s]`` values of row ``s`` and forecast the ``h`` months
        after them (for rolling origins on one series in a single pass). Default: all ``n`` values.
    models : tuple of (error, trend, season)
        The candidates; default :data:`ETS_MODELS`.
    rounds : int
        Rounds of the local pattern search after the coarse grid.
    count_states : bool
        Count the initial states (level, slope, ``period - 1`` seasonal states) as parameters in the AICc,
        as R's ``ets`` and statsforecast's AutoETS do; this favours the smaller models. Default False
        (statsmodels' heuristic-state AICc).
    estimate_init : bool
        Search the initial level and slope with the smoothing parameters, starting from the heuristic ones,
        within +- the range ``R`` of the first ``2 * period`` values (level) and +- ``R / period`` (slope)
        around them; the seasonal states stay heuristic. Default False.
    weighted : bool
        Forecast the Akaike-weighted mean (weights ``exp(-AICc / 2)``, normalised) of every admissible
        model's forecast instead of the best model's; ``model`` still names the best. Default False.
    allowed : numpy.ndarray, optional
        Shape ``(S, len(models))``, bool: the candidates admissible for each row (besides the data's own
        conditions); default all. One True per row fixes the model (no choice by AICc).
    start : numpy.ndarray, optional
        Shape ``(S, 4)``: alpha, beta, gamma, phi per row (as :attr:`ETSFit.params`) to start the pattern
        search from, in place of the coarse grid, for every candidate of the row (a parameter the candidate
        lacks is ignored; clipped to the bounds). With ``rounds=0`` they are used as they are: the model's
        states are run through the data with these parameters and the forecast made from them. Estimated
        initial states start from the heuristic ones. Default None (the coarse grid).
    start_step : float
        The pattern search's first step in the unit cube when ``start`` is given (0.1 as after the grid).
    polish : int
        After the pattern search, polish the ``polish`` candidates of lowest AICc of each series by a bounded
        Newton method (:func:`_ets_newton`), which follows the curved ridges of the likelihood on which the
        search along the axes stops short of the maximum (default 3; 0: none). Not applied with
        ``rounds=0``.
    polish_iters : int
        Newton iterations of the polish at most (default 12: on 143 M3 series the chosen model's AICc within
        0.001 of statsmodels'; 4: within 0.05, at about half the polish's cost).

    Returns
    -------
    ETSFit

    Notes
    -----
    Each candidate is fitted by maximum likelihood with the initial states of statsmodels' heuristic
    (``ETSModel(..., initialization_method="heuristic")``) and statsmodels' bounds: alpha, beta* = beta / alpha
    and gamma* = gamma / (1 - alpha) in ``[1e-4, 1 - 1e-4]``, phi in ``[0.8, 0.98]``. The log-likelihood is
    ``-n/2 (log(2 pi mean(r^2)) + 1)`` with ``r`` the one-step errors (additive error) or the relative errors
    ``(y - yhat) / yhat`` (multiplicative error; then minus ``sum log |yhat|``). AICc = ``-2 llf + 2 k +
    2 k (k + 1) / (n - k - 1)``, ``k`` = the smoothing parameters + 1 (the variance). The maximum is found by a
    coarse grid followed by a pattern search (the step halves when no neighbour improves), for all series and
    candidates at once, and the ``polish`` best candidates of each series are then refined by a few Newton
    steps (:func:`_ets_newton`; the best one also from beta* at its lower bound, a trend model's other local
    maximum). On 143 M3 monthly series the chosen model is statsmodels' on all and its AICc never more than
    0.001 above statsmodels'; where it is lower by more than 1 (1 series), statsmodels' L-BFGS-B stopped at a
    lower local maximum (``bench/ets_oracle.py``). Seasonal candidates need two full years, every candidate
    ``n - k - 1 > 0``; multiplicative error or season strictly positive values.
    """
    y = _as_2d(y)
    r, n = y.shape
    lengths = np.full(r, n) if lengths is None else np.asarray(lengths, dtype=int)
    if (lengths < 1).any() or (lengths > n).any():
        raise ValueError("lengths must lie between 1 and the number of columns")
    n_max = int(lengths.max())
    positive = np.array([(y[i, : lengths[i]] > 0).all() for i in range(r)])
    n_mod = len(models)
    trend_on = np.array([t != "N" for _, t, _ in models])
    damped = np.array([t == "Ad" for _, t, _ in models])
    season_on = np.array([s != "N" for _, _, s in models])
    mult_s = np.array([s == "M" for _, _, s in models])
    mult_e = np.array([e == "M" for e, _, _ in models])
    est = np.full(n_mod, bool(estimate_init))
    # alpha, b*, g*, phi, l0, b0
    used = np.stack([np.ones(n_mod, dtype=bool), trend_on, season_on, damped, est, est & trend_on], axis=1)
    n_par = used.shape[1]
    df = used[:, :4].sum(axis=1) + 1
    n_states = 1 + trend_on.astype(int) + (period - 1) * season_on.astype(int)
    k_aicc = df + (n_states if count_states else 0)

    inits = {s: _ets_heuristic_init(y, lengths, s, period) for s in {s for _, _, s in models}}
    l0 = np.stack([inits[s][0] for _, _, s in models], axis=1)
    b0 = np.stack([np.where(trend_on[i], inits[s][1], 0.0) for i, (_, _, s) in enumerate(models)], axis=1)
    s0 = np.stack([inits[s][2] for _, _, s in models], axis=1)
    avail = np.stack([inits[s][3] for _, _, s in models], axis=1)
    avail &= (lengths[:, None] - df[None, :] - 1) > 0
    avail &= positive[:, None] | ~(mult_s | mult_e)[None, :]
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=bool)
        if allowed.shape != (r, n_mod):
            raise ValueError(f"allowed must have shape {(r, n_mod)}, got {allowed.shape}")
        avail &= allowed

    def unit_to_params(u, cols):
        alpha = _ETS_LO + (_ETS_HI - _ETS_LO) * u[..., 0]
        bstar = np.where(trend_on[cols], _ETS_LO + (_ETS_HI - _ETS_LO) * u[..., 1], 0.0)
        gstar = np.where(season_on[cols], _ETS_LO + (_ETS_HI - _ETS_LO) * u[..., 2], 0.0)
        phi = np.where(damped[cols], _PHI_LO + (_PHI_HI - _PHI_LO) * u[..., 3], 1.0)
        return alpha, bstar, gstar, phi

    nn = lengths[:, None].astype(float)
    # spans of the initial level and slope searched when they are estimated (unit of y, per month)
    head = np.array([np.ptp(y[i, : min(lengths[i], 2 * period)]) for i in range(r)])
    span_l = np.maximum(head, _TINY)[:, None]
    span_b = span_l / period

    def pick(a, cols):
        """``a[:, cols]`` for model indices ``cols (G,)`` shared by the rows or ``(R, G)`` per row."""
        if cols.ndim == 1:
            return a[:, cols]
        return np.take_along_axis(a, cols if a.ndim == 2 else cols[..., None], axis=1)

    def init_states(u, cols, base_l, base_b):
        return (
            base_l + np.where(used[cols, 4], (u[..., 4] - 0.5) * 2 * span_l, 0.0),
            base_b + np.where(used[cols, 5], (u[..., 5] - 0.5) * 2 * span_b, 0.0),
        )

    def neg_loglik(u, cols):
        a, bs, gs, p = unit_to_params(u, cols)
        sse, sre, slog, _ = _ets_filter(
            y[:, :n_max],
            lengths,
            a,
            bs,
            gs,
            p,
            mult_s[cols],
            *init_states(u, cols, pick(l0, cols), pick(b0, cols)),
            pick(s0, cols),
            period=period,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            ssq = np.where(mult_e[cols], sre, sse)
            nll = nn / 2 * (np.log(2 * np.pi * ssq / nn) + 1) + np.where(mult_e[cols], slog, 0.0)
        ok = np.isfinite(nll) & pick(avail, cols) & (ssq > 0)
        return np.where(ok, nll, np.inf)

    rows = np.arange(r)
    if start is not None:
        best_u = np.broadcast_to(_ets_unit(start, r, n_par)[:, None, :], (r, n_mod, n_par))
        best_u = np.where(used[None], best_u, 0.0)
        best_v = neg_loglik(best_u, np.arange(n_mod))
        step = np.full((r, n_mod), float(start_step))
    else:
        # coarse grid for every candidate at once
        grids = []
        for i in range(n_mod):
            axes = [g if used[i, j] else np.array([0.0]) for j, g in enumerate(_U_COARSE)]
            grids.append(np.array(list(product(*axes))))
        cols = np.concatenate([np.full(len(g), i) for i, g in enumerate(grids)])
        u = np.broadcast_to(np.concatenate(grids)[None], (r, len(cols), n_par))
        values = neg_loglik(u, cols)
        best_u = np.zeros((r, n_mod, n_par))
        best_v = np.full((r, n_mod), np.inf)
        for i in range(n_mod):
            c = np.flatnonzero(cols == i)
            j = c[np.argmin(values[:, c], axis=1)]
            best_v[:, i] = values[rows, j]
            best_u[:, i] = u[rows, j]
        step = np.full((r, n_mod), 0.1)

    # pattern search: moves along each parameter axis (see _ets_offsets), step halved where none improves
    offs = [_ets_offsets(used[i]) for i in range(n_mod)]
    all_cols = np.concatenate([np.full(len(o), i) for i, o in enumerate(offs)])
    all_off = np.concatenate(offs)
    for _ in range(rounds):
        # candidates still moving for some row (the others have converged or cannot be fitted)
        active = ((step > _ETS_TOL) & np.isfinite(best_v)).any(axis=0)
        if not active.any():
            break
        keep = active[all_cols]
        cols, off = all_cols[keep], all_off[keep]
        u = np.clip(best_u[:, cols, :] + step[:, cols, None] * off[None], 0.0, 1.0)
        values = neg_loglik(u, cols)
        for i in np.flatnonzero(active):
            c = np.flatnonzero(cols == i)
            j = c[np.argmin(values[:, c], axis=1)]
            with np.errstate(invalid="ignore"):
                better = values[rows, j] < best_v[:, i] - 1e-12 * np.abs(best_v[:, i])
            moving = step[:, i] > _ETS_TOL  # a converged row stays put whatever the other rows do
            better &= moving
            best_v[better, i] = values[rows, j][better]
            best_u[better, i] = u[rows, j][better]
            step[~better & moving, i] /= 2.0

    k = k_aicc[None, :].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        penalty = 2 * k + 2 * k * (k + 1) / (nn - k - 1)
    if polish > 0 and rounds > 0:
        # the best few candidates by AICc, polished where the search along the axes stopped on a ridge
        ranked = np.where(np.isfinite(best_v), 2 * best_v + penalty, np.inf)
        n_fit = int(np.isfinite(ranked).sum(axis=1).max())
        top = np.argsort(ranked, axis=1)[:, : min(polish, max(n_fit, 1))]
        sub = rows[:, None]
        pu, pv, pm = best_u[sub, top], best_v[sub, top], used[top]
        n_top = top.shape[1]
        flat = bool(pm[:, 0, 1].any())
        if flat:
            # a second start for the best candidate if it has a trend: its slope not updated (beta* at its lower
            # bound), where a trend model's likelihood often has its other local maximum (beta* near 0 and near
            # 1: M3 N1422, ETS(M,A,M), where statsmodels' maximum is 0.45 higher in AICc and 97 % apart)
            su = pu[:, :1].copy()
            su[..., 1] = 0.0
            sv = np.where(pm[:, :1, 1], neg_loglik(su, top[:, :1]), np.inf)
            pu, pv, pm = (
                np.concatenate([pu, su], 1),
                np.concatenate([pv, sv], 1),
                np.concatenate([pm, pm[:, :1]], 1),
            )
            top = np.concatenate([top, top[:, :1]], axis=1)

        def nll_top(points):
            return neg_loglik(points, np.repeat(top, points.shape[1] // top.shape[1], axis=1))

        pu, pv = _ets_newton(nll_top, pu, pv, pm, iters=polish_iters)
        if flat:
            second = pv[:, n_top] < pv[:, 0]
            pu[second, 0], pv[second, 0] = pu[second, n_top], pv[second, n_top]
            pu, pv, top = pu[:, :n_top], pv[:, :n_top], top[:, :n_top]
        best_u[sub, top], best_v[sub, top] = pu, pv
    aicc = np.where(np.isfinite(best_v), 2 * best_v + penalty, np.inf)
    choice = np.argmin(aicc, axis=1)
    none_ok = ~np.isfinite(aicc[rows, choice])

    u1 = best_u[rows, choice][:, None, :]
    a, bs, gs, p = unit_to_params(u1, choice[:, None])
    ypad = np.concatenate([y[:, :n_max], np.zeros((r, h))], axis=1)
    *_, pred = _ets_filter(
        ypad,
        lengths,
        a,
        bs,
        gs,
        p,
        mult_s[choice][:, None],
        *init_states(u1, choice[:, None], l0[rows, choice][:, None], b0[rows, choice][:, None]),
        s0[rows, choice][:, None, :],
        record=True,
        period=period,
    )
    take = lengths[:, None] + np.arange(h)[None, :]
    f = np.take_along_axis(pred[:, 0, :], take, axis=1)
    if weighted:
        every = np.arange(n_mod)
        a_all, bs_all, gs_all, p_all = unit_to_params(best_u, every)
        *_, pred_all = _ets_filter(
            ypad,
            lengths,
            a_all,
            bs_all,
            gs_all,
            p_all,
            mult_s,
            *init_states(best_u, every, l0, b0),
            s0,
            record=True,
            period=period,
        )
        f_all = np.take_along_axis(pred_all, np.broadcast_to(take[:, None, :], (r, n_mod, h)), axis=2)
        with np.errstate(invalid="ignore", over="ignore"):
            wts = np.exp(-0.5 * (aicc - aicc[rows, choice][:, None]))
            wts = np.where(np.isfinite(aicc) & np.isfinite(f_all).all(axis=2), wts, 0.0)
            wts = wts / np.maximum(wts.sum(axis=1, keepdims=True), _TINY)
            f = np.einsum("rm,rmh->rh", wts, np.where(wts[:, :, None] > 0, f_all, 0.0))
    names = np.array([f"ETS({models[c][0]},{models[c][1]},{models[c][2]})" for c in choice], dtype=object)
    params = np.stack([a[:, 0], a[:, 0] * bs[:, 0], (1 - a[:, 0]) * gs[:, 0], p[:, 0]], axis=1)
    if none_ok.any():
        last = y[rows, lengths - 1]
        f[none_ok] = last[none_ok, None]
        names[none_ok] = "naive"
        params[none_ok] = np.nan
    negative = positive & (f < 0).any(axis=1) & ~none_ok
    return ETSFit(
        forecast=f,
        model=names.astype(str),
        params=params,
        aicc=aicc[rows, choice],
        aicc_all=aicc,
        implies_negative=negative,
    )


def ets_forecast(
    y: np.ndarray,
    h: int,
    period: int = PERIOD,
    lengths: np.ndarray | None = None,
    return_model: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Forecast with the ETS model chosen by AICc per series (see :func:`ets_fit`).

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)`` monthly values.
    h : int
        Horizon in months.
    period : int
        Seasonal period in months.
    lengths : numpy.ndarray, optional
        Shape ``(S,)``: fit on the first ``lengths[s]`` values of row ``s`` only.
    return_model : bool
        Also return the chosen model per series as strings like ``'ETS(M,Ad,M)'``.

    Returns
    -------
    numpy.ndarray
        Shape ``(S, h)``: forecasts in the unit of ``y`` (and, if asked, the model names ``(S,)``).
    """
    fit = ets_fit(y, h, period=period, lengths=lengths)
    return (fit.forecast, fit.model) if return_model else fit.forecast


# ------------------------------------------------------------------------------------------------------------
# ARIMA
# ------------------------------------------------------------------------------------------------------------


def arima_forecast(
    y: np.ndarray,
    h: int,
    period: int = PERIOD,
    return_model: bool = False,
    lengths: np.ndarray | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Forecast with a fixed ARIMA specification chosen per series, fitted by exact maximum likelihood.

    The airline model ARIMA(0,1,1)(0,1,1)12 where :func:`seasonality_test` finds seasonality and the series
    has at least ``3 period + 2`` months, otherwise ARIMA(0,1,1) with or without drift, whichever has the
    lower AICc; fewer than 4 months: naive. The fit is :func:`analysis.forecast.arima.arima_fit`.

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)`` monthly values.
    h : int
        Horizon in months.
    period : int
        Seasonal period in months.
    return_model : bool
        Also return the chosen specification per series.
    lengths : numpy.ndarray, optional
        Shape ``(S,)``: use only the first ``lengths[s]`` values of row ``s`` (all lengths in one pass; the
        same forecasts as separate calls).

    Returns
    -------
    numpy.ndarray
        Shape ``(S, h)``: forecasts in the unit of ``y`` (and, if asked, the specification names ``(S,)``).
    """
    fit = arima_fit_chosen(y, h, period=period, lengths=lengths)
    return (fit.forecast, fit.model) if return_model else fit.forecast


def arima_fit_chosen(
    y: np.ndarray, h: int, period: int = PERIOD, lengths: np.ndarray | None = None
) -> ARIMAFit:
    """The :class:`~analysis.forecast.arima.ARIMAFit` behind :func:`arima_forecast` (same arguments)."""
    y = _as_2d(y)
    s, n = y.shape
    lengths = np.full(s, n) if lengths is None else np.asarray(lengths, dtype=int)
    if (lengths < 1).any() or (lengths > n).any():
        raise ValueError("lengths must lie between 1 and the number of columns")
    seasonal = np.zeros(s, dtype=bool)
    for m in np.unique(lengths[lengths >= 3 * period + 2]):
        rows = lengths == m
        seasonal[rows] = seasonality_test(y[rows, :m], period)
    return arima_fit(y, h, seasonal, lengths=lengths, period=period)


# ------------------------------------------------------------------------------------------------------------
# Dynamic optimised Theta (DOTM)
# ------------------------------------------------------------------------------------------------------------


def _ols_lines(x: np.ndarray):
    """Intercept ``A_t`` and slope ``B_t`` of the least-squares line through ``x_1..x_t`` (time ``1..t``).

    Shape ``(S, n)`` each; ``t = 1``: ``A = x_1``, ``B = 0``.
    """
    s, n = x.shape
    t = np.arange(1, n + 1, dtype=float)
    cy = np.cumsum(x, axis=1)
    cty = np.cumsum(x * t, axis=1)
    sxx = t * (t * t - 1) / 12.0
    mean_y = cy / t
    slope = np.where(sxx > 0, (cty - t * (t + 1) / 2 * mean_y) / np.where(sxx > 0, sxx, 1.0), 0.0)
    return mean_y - (t + 1) / 2 * slope, slope


def _dotm_sums(x: np.ndarray, alpha: np.ndarray, skip: int = 0, dynamic: bool = True):
    """Least-squares sums of the Theta-model one-step errors, linear in ``(l0, w)`` for each ``alpha`` ``(S, G)``.

    The error at ``t`` (1-based) is ``r_t - c_t l0 - w D_t`` with ``r_t = y_t - L_{t-1}`` (``L`` the SES level
    started at 0), ``c_t = (1 - alpha)^(t-1)`` and ``D_t = (1 - alpha)^(t-1) A_{t-1} + (1 - (1 - alpha)^t) /
    alpha B_{t-1}`` (``A``, ``B`` the intercept and slope of the least-squares line through ``y_1..y_{t-1}``
    when ``dynamic``, else of the line through the whole series). The first ``skip`` errors are left out of
    the sums (statsforecast leaves out 3). Returns the sums ``rr, rc, rd, cc, cd, dd``, the final ``L_n``,
    ``(1 - alpha)^n`` and the last line's ``A_n``, ``B_n``.
    """
    s, n = x.shape
    inter, slope = _ols_lines(x)
    if dynamic:
        a_prev = np.concatenate([np.zeros((s, 1)), inter[:, :-1]], axis=1)
        b_prev = np.concatenate([np.zeros((s, 1)), slope[:, :-1]], axis=1)
    else:
        a_prev = np.repeat(inter[:, -1:], n, axis=1)
        b_prev = np.repeat(slope[:, -1:], n, axis=1)
    level = np.zeros(alpha.shape)
    decay = np.ones(alpha.shape)  # (1 - alpha)^(t-1)
    sums = [np.zeros(alpha.shape) for _ in range(6)]
    for i in range(n):
        y_t = x[:, i : i + 1]
        next_decay = decay * (1.0 - alpha)
        if i >= skip:
            d = decay * a_prev[:, i : i + 1] + (1.0 - next_decay) / alpha * b_prev[:, i : i + 1]
            r = y_t - level
            c = decay
            for j, v in enumerate((r * r, r * c, r * d, c * c, c * d, d * d)):
                sums[j] += v
        level = alpha * y_t + (1.0 - alpha) * level
        decay = next_decay
    return sums, level, decay, inter[:, -1], slope[:, -1]


def _dotm_solve(sums, w_fixed: float | None = None):
    """``(l0, w, sse)`` minimising the error sums of :func:`_dotm_sums` with ``0 <= w <= 1`` (theta >= 1).

    ``w_fixed``: ``w`` held at that value (standard Theta: ``w = 1 - 1 / 2``) and only ``l0`` solved.
    """
    rr, rc, rd, cc, cd, dd = sums
    if w_fixed is not None:
        w = np.full(rr.shape, float(w_fixed))
        l0 = (rc - w * cd) / np.maximum(cc, _TINY)
    else:
        det = cc * dd - cd * cd
        ok = np.abs(det) > 1e-12 * np.maximum(cc * dd, _TINY)
        safe = np.where(ok, det, 1.0)
        l0 = np.where(ok, (rc * dd - rd * cd) / safe, rc / np.maximum(cc, _TINY))
        w = np.where(ok, (rd * cc - rc * cd) / safe, 0.0)
        # at a bound of w the level alone is re-solved
        for bound in (0.0, 1.0):
            out = (w < 0.0) if bound == 0.0 else (w > 1.0)
            l0_b = (rc - bound * cd) / np.maximum(cc, _TINY)
            l0 = np.where(out, l0_b, l0)
            w = np.where(out, bound, w)
    sse = rr - 2 * l0 * rc - 2 * w * rd + l0 * l0 * cc + 2 * l0 * w * cd + w * w * dd
    return l0, w, np.maximum(sse, 0.0)


def _theta_recursive_forecast(level, mean_y, a_n, b_n, alpha, w, n: int, h: int, dynamic: bool):
    """The Theta model's forecast by its own recursion with each forecast fed back (statsforecast, forecTheta).

    All arguments ``(S,)`` except ``n`` (months fitted) and ``h``. Month ``i = n .. n + h - 1`` (0-based):
    ``mu_i = L + w [(1 - alpha)^i A + (1 - (1 - alpha)^(i+1)) / alpha B]``, then ``L <- alpha mu_i + (1 -
    alpha) L`` and, when ``dynamic``, the mean and the line ``A``, ``B`` updated with ``mu_i`` as if observed.
    """
    lv, my, a, b = (np.array(v, dtype=float, copy=True) for v in (level, mean_y, a_n, b_n))
    out = np.empty((lv.shape[0], h))
    d = 1.0 - alpha
    for j in range(h):
        i = n + j
        mu = lv + w * (a * d**i + b * (1.0 - d ** (i + 1)) / alpha)
        out[:, j] = mu
        lv = alpha * mu + d * lv
        if dynamic:
            my_new = (i * my + mu) / (i + 1)
            b = ((i - 1) * b + 6.0 * (mu - my) / (i + 1)) / (i + 2)
            a = my_new - b * (i + 2) / 2.0
            my = my_new
    return out


def dotm_forecast(
    y: np.ndarray,
    h: int,
    period: int = PERIOD,
    bartlett: bool = True,
    *,
    skip: int = 3,
    recursive: bool = True,
    min_index: float = 0.01,
    dynamic: bool = True,
    theta: float | None = None,
    alpha_bounds: tuple[float, float] = (0.1, 0.99),
    seasonal: bool = True,
) -> np.ndarray:
    """Forecast with the dynamic optimised Theta model (Fiorucci et al. 2016), vectorised over series.

    The defaults are statsforecast's ``DynamicOptimizedTheta`` (and R forecTheta's ``dotm``); with
    ``dynamic=False, theta=2`` the model is their standard Theta model (``STM``, statsforecast's ``Theta``).

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)`` monthly values.
    h : int
        Horizon in months.
    period : int
        Seasonal period in months.
    bartlett : bool
        The seasonality test's form (see :func:`seasonality_test`); default Bartlett's, as statsforecast.
    skip : int
        One-step errors left out at the start of the least-squares objective (statsforecast: 3).
    recursive : bool
        Forecast by the model's recursion with each forecast fed back into the level and the line
        (statsforecast); False: the closed form with the last line held fixed.
    min_index : float
        A multiplicative seasonal index below this switches the series to the additive decomposition
        (statsforecast: 0.01).
    dynamic : bool
        Update the line ``A_t, B_t`` every month (DOTM/DSTM); False: the line through the whole series.
    theta : float, optional
        Hold theta at this value (2: the standard Theta model); default estimated (``theta >= 1``).
    alpha_bounds : tuple of float
        Bounds of the smoothing parameter.
    seasonal : bool
        Test for seasonality and adjust (default); False: fit the series as it is.

    Returns
    -------
    numpy.ndarray
        Shape ``(S, h)``: forecasts in the unit of ``y``.

    Notes
    -----
    Seasonal series (the 90 % test of :func:`seasonality_test`) are adjusted by the classical decomposition
    first. On the adjusted series ``x``: one-step prediction ``mu_t = l_{t-1} + (1 - 1/theta) [(1 -
    alpha)^(t-1) A_{t-1} + (1 - (1 - alpha)^t) / alpha B_{t-1}]``, SES level ``l_t = alpha x_t + (1 - alpha)
    l_{t-1}``, ``A_t, B_t`` the intercept and slope of the least-squares line through ``x_1..x_t`` (updated
    every month: the "dynamic" part). ``alpha`` in ``alpha_bounds``, ``theta >= 1`` and ``l_0`` minimise the
    sum of squared one-step errors after the first ``skip``; ``l_0`` and ``1 - 1/theta`` enter linearly and are
    solved exactly for each ``alpha``, ``alpha`` by a refined grid. The forecast continues the recursion with
    ``x`` replaced by ``mu`` (``recursive``), or is ``l_n + (1 - 1/theta) [(1 - alpha)^n A_n + (k - 1 + (1 -
    (1 - alpha)^(n+1)) / alpha) B_n]`` for ``k = 1..h``.
    """
    y = _as_2d(y)
    s, n = y.shape
    if n < 3 + skip:
        return naive_forecast(y, h)
    found = seasonality_test(y, period, bartlett=bartlett) if seasonal else np.zeros(s, dtype=bool)
    x, idx, mult = _deseasonalise(y, found, period, min_index=min_index)
    w_fixed = None if theta is None else 1.0 - 1.0 / theta

    def loss(alpha):
        sums, *_ = _dotm_sums(x, alpha, skip=skip, dynamic=dynamic)
        return _dotm_solve(sums, w_fixed)[2]

    alpha = _refine_1d(loss, *alpha_bounds, s, n_grid=25)[:, None]
    sums, level0, decay_n, a_n, b_n = _dotm_sums(x, alpha, skip=skip, dynamic=dynamic)
    l0, w, _ = _dotm_solve(sums, w_fixed)
    level = level0 + decay_n * l0  # L_n + (1 - alpha)^n l0
    if recursive:
        f = _theta_recursive_forecast(
            level[:, 0], x.mean(axis=1), a_n, b_n, alpha[:, 0], w[:, 0], n, h, dynamic
        )
    else:
        k = np.arange(1, h + 1, dtype=float)[None, :]
        f = level + w * (
            decay_n * a_n[:, None] + (k - 1 + (1 - decay_n * (1 - alpha)) / alpha) * b_n[:, None]
        )
    return _reseasonalise(f, idx, mult, n, period)


# ------------------------------------------------------------------------------------------------------------
# Method objects
# ------------------------------------------------------------------------------------------------------------


def length_blocks(series: list[np.ndarray], chunk: int):
    """The series left-aligned in blocks of at most ``chunk`` rows, taken in order of length.

    Yields ``(idx, y, lengths)``: the positions of the block's series in ``series``, the zero-padded block
    ``(len(idx), max length)`` and each row's length. Series of similar length share a block (little padding).
    """
    order = np.argsort([len(x) for x in series], kind="stable")
    for a in range(0, len(series), chunk):
        idx = order[a : a + chunk]
        lengths = np.array([len(series[i]) for i in idx])
        y = np.zeros((len(idx), int(lengths.max())))
        for j, i in enumerate(idx):
            y[j, : lengths[j]] = series[i]
        yield idx, y, lengths


def _chunked(series: list[np.ndarray], h: int, fn, chunk: int) -> np.ndarray:
    """``fn(y, h, lengths=...)`` on the series in :func:`length_blocks` of ``chunk`` rows; ``(len(series), h)``."""
    out = np.empty((len(series), h))
    for idx, y, lengths in length_blocks(series, chunk):
        out[idx] = fn(y, h, lengths=lengths)
    return out


@dataclass(frozen=True)
class StatisticalMethod:
    """A statistical forecasting method: a name, a Danish label and a vectorised forecast function.

    Attributes
    ----------
    name : str
        Short identifier used in tables (``'theta'``, ``'ets'``, ...).
    label_da : str
        Danish label for reports.
    """

    name: str
    label_da: str

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:
        """Forecast ``h`` months ahead for every row of ``y`` (shape ``(S, n)``); returns ``(S, h)``."""
        raise NotImplementedError

    def forecast_many(self, series: list[np.ndarray], h: int) -> np.ndarray:
        """Forecast ``h`` months ahead for series of different lengths; returns ``(len(series), h)``.

        The default calls :meth:`forecast` once per distinct length (the same results as one call per
        series); a model may fit all lengths in one pass.
        """
        out = np.empty((len(series), h))
        lengths = np.array([len(x) for x in series])
        for n in np.unique(lengths):
            idx = np.flatnonzero(lengths == n)
            out[idx] = self.forecast(np.vstack([series[i] for i in idx]), h)
        return out


@dataclass(frozen=True)
class ThetaMethod(StatisticalMethod):
    """The standard Theta method (see :func:`theta_forecast`)."""

    name: str = "theta"
    label_da: str = "Theta-metoden"

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:  # noqa: D102
        return theta_forecast(y, h)


@dataclass(frozen=True)
class ETSMethod(StatisticalMethod):
    """Exponential smoothing with automatic trend and season by AICc (see :func:`ets_forecast`)."""

    name: str = "ets"
    label_da: str = "Eksponentiel udglatning (ETS)"

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:  # noqa: D102
        return ets_forecast(y, h)

    def forecast_many(self, series: list[np.ndarray], h: int) -> np.ndarray:
        """All lengths in one pass of :func:`ets_fit` (``lengths=``), in chunks of 64 series."""
        return _chunked(series, h, ets_forecast, _ETS_CHUNK)


@dataclass(frozen=True)
class ARIMAMethod(StatisticalMethod):
    """ARIMA with a fixed seasonal or non-seasonal specification (see :func:`arima_forecast`)."""

    name: str = "arima"
    label_da: str = "ARIMA"

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:  # noqa: D102
        return arima_forecast(y, h)

    def forecast_many(self, series: list[np.ndarray], h: int) -> np.ndarray:
        """All lengths in one pass of :func:`arima_forecast` (``lengths=``)."""
        return _chunked(series, h, arima_forecast, 128)


@dataclass(frozen=True)
class NaiveMethod(StatisticalMethod):
    """Random walk: the last month repeated."""

    name: str = "naive"
    label_da: str = "Seneste måned fremskrevet"

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:  # noqa: D102
        return naive_forecast(y, h)


@dataclass(frozen=True)
class SeasonalNaiveMethod(StatisticalMethod):
    """Seasonal naive: the same month one year earlier."""

    name: str = "snaive"
    label_da: str = "Samme måned sidste år"

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:  # noqa: D102
        return seasonal_naive_forecast(y, h)
