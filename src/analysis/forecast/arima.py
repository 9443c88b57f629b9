"""ARIMA by exact Gaussian maximum likelihood, vectorised across series (numpy only).

Two specifications, as :func:`analysis.forecast.statistical.arima_forecast` chooses them per series:

- the airline model ARIMA(0,1,1)(0,1,1)12: after ``w = (1 - B)(1 - B^12) y`` an MA(13),
  ``w_t = (1 + theta B)(1 + Theta B^12) e_t``;
- ARIMA(0,1,1), with or without drift: after ``w = (1 - B) y`` an MA(1) with mean ``mu`` (the drift per month),
  ``w_t = mu + e_t + theta e_{t-1}``.

The likelihood is that of the differenced series (what statsmodels' ``ARIMA`` computes with its exact diffuse
initialisation of the integrated states): Gaussian, exact, with sigma^2 (and ``mu``) concentrated out. It is
evaluated without a Kalman filter: the residuals of the MA recursion started from zero presample errors
(``e0``, the conditional-sum-of-squares residuals) are linear in the ``q`` presample errors ``p``,
``e = e0 + G p``, with ``G`` independent of the data. With ``p ~ N(0, sigma^2 I)`` the differenced series has
covariance ``sigma^2 A (I + G G') A'`` (``A`` unit lower triangular), so

    -2 log L = T log(2 pi sigma^2) + log det(I + G'G) + Q / sigma^2,
    Q = e0'e0 - b'(I + G'G)^{-1} b,   b = G'e0,

and the posterior mean of the presample errors is ``-(I + G'G)^{-1} b``: the innovations ``e0 + G p_hat`` are
the exact filter's (the smoothed errors), and the forecast from them is the exact predictor (statsmodels'
``forecast``). The MA recursions are first-order (``u_t = x_t - theta u_{t-1}``, and for the airline model
``e_t = u_t - Theta e_{t-12}`` in blocks of 12 months), computed by a doubling scan in ``log2(T)`` vectorised
steps, so a fit has no Python loop over the months. The parameters are kept invertible (``|theta|, |Theta| <=``
:data:`LIMIT`, as statsmodels' ``enforce_invertibility``) and found by a coarse grid and a shrinking 3 x 3
(1-D: 3-point) pattern around the best point, for all series and candidates at once.

Rows of different lengths are fitted in one pass (``lengths=``): the rows are left-aligned and every sum runs
over the row's own months only, so each row's fit is the same as a call with that row alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LIMIT", "ARIMAFit", "arima_fit"]

LIMIT = 0.9999
"""Largest absolute value of an MA coefficient (invertibility; statsmodels' estimates reach -0.999)."""

_TINY = 1e-12
# the airline model's search: coarse grid of theta and Theta (shared by all rows), then 3 x 3 halving steps
_AIR_GRID = np.array([-LIMIT, -0.85, -0.6, -0.3, 0.0, 0.4, 0.8])
_AIR_STEP = 0.12
_AIR_ROUNDS = 5
_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class ARIMAFit:
    """The fitted ARIMA specification per series.

    Attributes
    ----------
    forecast : numpy.ndarray
        Shape ``(S, h)``: forecasts in the unit of ``y``.
    model : numpy.ndarray
        Shape ``(S,)``: ``'ARIMA(0,1,1)(0,1,1)12'``, ``'ARIMA(0,1,1) with drift'``, ``'ARIMA(0,1,1)'`` or
        ``'naive'`` (fewer than 4 months).
    params : numpy.ndarray
        Shape ``(S, 3)``: ``theta``, ``Theta`` (NaN if non-seasonal) and the drift per month in the unit of
        ``y`` (0 without drift); NaN for naive rows.
    sigma2 : numpy.ndarray
        Shape ``(S,)``: the innovation variance (unit of ``y`` squared).
    loglik : numpy.ndarray
        Shape ``(S,)``: the exact log-likelihood of the differenced series.
    aicc : numpy.ndarray
        Shape ``(S,)``: ``-2 loglik + 2k + 2k(k+1)/(T-k-1)``, ``k`` the MA coefficients, the drift and sigma^2,
        ``T`` the number of differenced months (statsmodels' ``aicc`` with ``nobs_effective``).
    """

    forecast: np.ndarray
    model: np.ndarray
    params: np.ndarray
    sigma2: np.ndarray
    loglik: np.ndarray
    aicc: np.ndarray


def _scan(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``y_t = x_t + a y_{t-1}`` along the last axis (``y_{-1} = 0``), by doubling; ``a`` shape ``x[..., :1]``."""
    y = np.array(x, dtype=float, copy=True)
    p = np.asarray(a, dtype=float)
    n = y.shape[-1]
    shift = 1
    while shift < n:
        y[..., shift:] += p * y[..., :-shift]
        p = p * p
        shift *= 2
    return y


def _aicc(loglik: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(t - k - 1 > 0, 2.0 * k * (k + 1) / np.where(t - k - 1 > 0, t - k - 1, 1.0), np.inf)
    return -2.0 * loglik + 2.0 * k + corr


# ------------------------------------------------------------------------------------------------------------
# MA(1) with optional mean: ARIMA(0,1,1) with or without drift
# ------------------------------------------------------------------------------------------------------------


def _ma1_stats(x: np.ndarray, m: np.ndarray, theta: np.ndarray) -> dict:
    """Sums over each row's months for ``x_t = mu + e_t + theta e_{t-1}``, for every candidate ``theta``.

    ``x``, ``m``: ``(S, 1, T)`` data (left-aligned, zero beyond the row) and mask; ``theta``: ``(S, C)`` or
    ``(1, C)`` (shared candidates). ``u``: the CSS residuals of ``x`` (zero presample), ``v``: of the constant
    1, ``g``: the response to the presample error ``e_{-1}`` (``(-theta)^{t+1}``).
    """
    t = x.shape[-1]
    shape = np.broadcast_shapes(x.shape[:-1], theta.shape)
    a = -theta[..., None]
    u = _scan(np.broadcast_to(x, shape + (t,)), a)
    v = _scan(np.ones(theta.shape + (t,)), a)  # the constant's residuals (only months < T_s are summed)
    g = np.cumprod(np.broadcast_to(a, theta.shape + (t,)), axis=-1)
    um = u * m
    return {
        "uu": np.einsum("sct,sct->sc", um, u),
        "uv": np.einsum("sct,sct->sc", um, v),
        "gu": np.einsum("sct,sct->sc", um, g),
        "vv": np.einsum("sct,sct->sc", m, v * v),
        "gv": np.einsum("sct,sct->sc", m, g * v),
        "gg": np.einsum("sct,sct->sc", m, g * g),
        "u": u,
        "v": v,
        "g": g,
    }


def _ma1_loglik(st: dict, n: np.ndarray, drift: bool):
    """Concentrated exact log-likelihood ``(S, C)`` (scaled data), the mean ``mu``, ``Q`` and ``1 + g'g``."""
    uu, gu = st["uu"], st["gu"]
    d = 1.0 + st["gg"]
    if drift:
        gv = st["gv"]
        a_ = uu - gu * gu / d
        b_ = st["uv"] - gu * gv / d
        c_ = np.maximum(st["vv"] - gv * gv / d, _TINY)
        mu = b_ / c_
        q = a_ - b_ * b_ / c_
    else:
        mu = np.zeros_like(uu)
        q = uu - gu * gu / d
    q = np.maximum(q, _TINY * np.maximum(uu, 1.0))
    ll = -0.5 * n * (_LOG_2PI + 1.0 + np.log(q / n)) - 0.5 * np.log(d)
    return ll, mu, q, d


def _fit_ma1(y: np.ndarray, lengths: np.ndarray, h: int) -> tuple[dict, dict]:
    """Exact ML ARIMA(0,1,1) without and with drift for left-aligned ``y`` ``(S, n)``, lengths >= 3."""
    s, n = y.shape
    scale = np.maximum(np.abs(y).max(axis=1), _TINY)
    ys = y / scale[:, None]
    t_len = lengths - 1
    m = (np.arange(n - 1)[None, :] < t_len[:, None]).astype(float)
    x = (np.diff(ys, axis=1) * m)[:, None, :]
    m3 = m[:, None, :]
    n_t = t_len[:, None].astype(float)
    rows = np.arange(s)
    grid = np.linspace(-LIMIT, LIMIT, 41)
    st = _ma1_stats(x, m3, grid[None, :])
    out = []
    for drift in (False, True):
        ll = _ma1_loglik(st, n_t, drift)[0]
        ll = np.where(np.isfinite(ll), ll, -np.inf)
        j = np.argmax(ll, axis=1)
        best, best_v = grid[j], ll[rows, j]
        step = 0.0125
        off = np.array([-2.0, -1.0, 1.0, 2.0])
        for _ in range(5):
            cand = np.clip(best[:, None] + step * off[None, :], -LIMIT, LIMIT)
            v = _ma1_loglik(_ma1_stats(x, m3, cand), n_t, drift)[0]
            v = np.where(np.isfinite(v), v, -np.inf)
            j = np.argmax(v, axis=1)
            better = v[rows, j] > best_v
            best = np.where(better, cand[rows, j], best)
            best_v = np.where(better, v[rows, j], best_v)
            step /= 4.0
        theta = best
        fin = _ma1_stats(x, m3, theta[:, None])
        ll, mu, q, d = (z[:, 0] for z in _ma1_loglik(fin, n_t, drift))
        u, v, g = fin["u"][:, 0], fin["v"][:, 0], fin["g"][:, 0]
        res = u - mu[:, None] * v  # residuals of w - mu from a zero presample error
        p_hat = -np.einsum("st,st->s", g * m, res) / d
        last = t_len - 1
        e_last = res[rows, last] + g[rows, last] * p_hat
        steps = np.arange(1, h + 1, dtype=float)
        y_last = ys[rows, lengths - 1]
        path = y_last[:, None] + (theta * e_last)[:, None] + mu[:, None] * steps[None, :]
        ll_orig = ll - t_len * np.log(scale)
        out.append(
            {
                "forecast": path * scale[:, None],
                "theta": theta,
                "drift": mu * scale,
                "sigma2": q / t_len * scale**2,
                "loglik": ll_orig,
                "aicc": _aicc(ll_orig, t_len, 3 if drift else 2),
            }
        )
    return out[0], out[1]


# ------------------------------------------------------------------------------------------------------------
# Airline model: MA(13) (1 + theta B)(1 + Theta B^12) after both differences
# ------------------------------------------------------------------------------------------------------------


def _scan_blocks(y: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``y[k] + a y[k-1]`` recursively over the block axis ``-2`` of ``(..., K, P)``; ``a`` shape ``(..., 1)``."""
    out = _scan(np.moveaxis(y, -2, -1), a[..., None])
    return np.moveaxis(out, -1, -2)


def _airline_parts(x: np.ndarray, theta: np.ndarray, ptheta: np.ndarray, period: int):
    """CSS residuals and presample responses of the airline MA for every candidate.

    ``x``: ``(S, 1, K, P)`` differenced data in blocks of ``P`` months (left-aligned, zero beyond the row);
    ``theta``, ``ptheta``: ``(S, C)``, or ``(1, C)`` for candidates shared by all rows (the data-independent
    parts are then computed once). Returns ``e0`` (CSS residuals, ``(S, C, K, P)``), ``r`` (the response to the
    presample ``u_{-1} = e_{-1} + Theta e_{-13}``, ``(., C, K, P)``) and ``pw`` ``(., C, K, 1)`` =
    ``(-Theta)^{k+1}``: the response at month ``kP + j`` to the presample error ``e_{j-P}`` (zero at the other
    months).
    """
    k_blocks = x.shape[-2]
    t_all = k_blocks * period
    shape = np.broadcast_shapes(x.shape[:-2], theta.shape)
    a = -theta[..., None]
    b = -ptheta[..., None]
    u = _scan(np.broadcast_to(x.reshape(x.shape[:-2] + (t_all,)), shape + (t_all,)), a)
    r_u = np.cumprod(np.broadcast_to(a, theta.shape + (t_all,)), axis=-1)
    # e_t = u_t - Theta e_{t-P}: a scan over the blocks with coefficient -Theta
    e0 = _scan_blocks(u.reshape(shape + (k_blocks, period)), b)
    r = _scan_blocks(r_u.reshape(theta.shape + (k_blocks, period)), b)
    pw = np.cumprod(np.broadcast_to(b[..., None], theta.shape + (k_blocks, 1)), axis=-2)
    return e0, r, pw


def _airline_system(e0, r, pw, mk, ptheta):
    """Quadratic form, log-determinant and solution of the 13 x 13 system ``(I + G'G) x = G'e0``.

    ``G``'s columns, for the presample errors ``e_{-13}, e_{-12}, ..., e_{-1}``: ``Theta r``, ``s_0, ..., s_10``,
    ``s_11 + r``, where ``s_j`` is ``pw`` at the months ``j`` of each block (zero elsewhere) and ``mk``
    ``(S, 1, K, P)`` masks each row's own months. The ``s_j`` have disjoint supports, so ``I + G'G`` is an
    arrowhead matrix: diagonal in the middle 11 columns, with a rank-one coupling ``z (Theta, 1)`` to the first
    and last; it is solved in closed form through its 2 x 2 Schur complement.

    Returns ``e0'e0 - b'x``, ``log det(I + G'G)`` (each ``(S, C)``) and ``x`` ``(S, C, 13)``.
    """
    em = e0 * mk
    rm = r * mk
    pm = pw * mk  # (S, C, K, P): s_j's values where present
    ee = np.einsum("sckp,sckp->sc", em, e0)
    rr = np.einsum("sckp,sckp->sc", rm, r)
    re = np.einsum("sckp,sckp->sc", rm, e0)
    ss = np.einsum("sckp,sckp->scp", pm, pm)
    sr = np.einsum("sckp,sckp->scp", pm, r)
    se = np.einsum("sckp,sckp->scp", pm, e0)
    th = ptheta
    a = 1.0 + ss[..., :-1]  # the diagonal block (e_{-12} .. e_{-2})
    z = sr[..., :-1]
    bd = se[..., :-1]
    kz = np.sum(z * z / a, axis=-1)
    kb = np.sum(z * bd / a, axis=-1)
    kbb = np.sum(bd * bd / a, axis=-1)
    # the 2 x 2 block (e_{-13}, e_{-1}) minus the coupling through the diagonal block (Schur complement)
    s00 = 1.0 + th * th * rr - kz * th * th
    s01 = th * (sr[..., -1] + rr) - kz * th
    s11 = 1.0 + ss[..., -1] + 2.0 * sr[..., -1] + rr - kz
    b0 = th * re - kb * th
    b1 = se[..., -1] + re - kb
    det = np.maximum(s00 * s11 - s01 * s01, _TINY)
    x0 = (s11 * b0 - s01 * b1) / det
    x1 = (s00 * b1 - s01 * b0) / det
    quad = kbb + b0 * x0 + b1 * x1
    logdet = np.sum(np.log(a), axis=-1) + np.log(det)
    xd = (bd - z * (th * x0 + x1)[..., None]) / a
    x = np.concatenate([x0[..., None], xd, x1[..., None]], axis=-1)
    return ee - quad, logdet, x, ee


def _airline_loglik(x, mk, n_t, theta, ptheta, period, full: bool = False):
    e0, r, pw = _airline_parts(x, theta, ptheta, period)
    q, logdet, sol, ee = _airline_system(e0, r, pw, mk, ptheta)
    q = np.maximum(q, _TINY * np.maximum(ee, 1.0))
    ll = -0.5 * n_t * (_LOG_2PI + 1.0 + np.log(q / n_t)) - 0.5 * logdet
    if not full:
        return ll
    return ll, q, e0, r, pw, -sol


def _newton_2d(v, v0, h, ot, op):
    """Newton step ``(dt, dp)`` from the values ``v`` ``(S, 8)`` at ``h * (ot, op)`` and ``v0`` at the centre.

    Zero where the quadratic is not concave or the stencil has a non-finite value; bounded by ``h``.
    """

    def at(a, b):
        return v[:, int(np.flatnonzero((ot == a) & (op == b))[0])]

    gt = (at(1, 0) - at(-1, 0)) / (2 * h)
    gp = (at(0, 1) - at(0, -1)) / (2 * h)
    htt = (at(1, 0) - 2 * v0 + at(-1, 0)) / (h * h)
    hpp = (at(0, 1) - 2 * v0 + at(0, -1)) / (h * h)
    htp = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h)
    det = htt * hpp - htp * htp
    ok = np.isfinite(v).all(axis=1) & (htt < 0) & (det > 0)
    det = np.where(ok, det, 1.0)
    dt = np.where(ok, -(hpp * gt - htp * gp) / det, 0.0)
    dp = np.where(ok, -(htt * gp - htp * gt) / det, 0.0)
    return np.clip(dt, -h, h), np.clip(dp, -h, h)


def _fit_airline(y: np.ndarray, lengths: np.ndarray, h: int, period: int):
    """Exact ML airline model for left-aligned ``y`` ``(S, n)``; lengths >= 2 period + 2."""
    s, n = y.shape
    scale = np.maximum(np.abs(y).max(axis=1), _TINY)
    ys = y / scale[:, None]
    t_len = lengths - period - 1
    t_max = n - period - 1
    k_blocks = -(-t_max // period)
    t_all = k_blocks * period
    w = ys[:, period + 1 :] - ys[:, 1:-period] - ys[:, period:-1] + ys[:, : -period - 1]
    m = (np.arange(t_all)[None, :] < t_len[:, None]).astype(float)
    x = np.zeros((s, t_all))
    x[:, :t_max] = w
    x = x * m
    x4 = x.reshape(s, 1, k_blocks, period)
    mk = m.reshape(s, 1, k_blocks, period)
    n_t = t_len[:, None].astype(float)

    # coarse grid, shared by all rows
    tg, pg = np.meshgrid(_AIR_GRID, _AIR_GRID, indexing="ij")
    th, pth = tg.ravel()[None, :], pg.ravel()[None, :]
    ll = _airline_loglik(x4, mk, n_t, th, pth, period)
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    j = np.argmax(ll, axis=1)
    rows = np.arange(s)
    best_t, best_p, best_v = th[0, j], pth[0, j], ll[rows, j]
    ot, op = np.meshgrid([-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], indexing="ij")
    keep = ~((ot == 0) & (op == 0))
    ot, op = ot[keep], op[keep]
    step = _AIR_STEP
    for _ in range(_AIR_ROUNDS):
        ct = np.clip(best_t[:, None] + step * ot[None, :], -LIMIT, LIMIT)
        cp = np.clip(best_p[:, None] + step * op[None, :], -LIMIT, LIMIT)
        v = _airline_loglik(x4, mk, n_t, ct, cp, period)
        v = np.where(np.isfinite(v), v, -np.inf)
        j = np.argmax(v, axis=1)
        better = v[rows, j] > best_v
        best_t = np.where(better, ct[rows, j], best_t)
        best_p = np.where(better, cp[rows, j], best_p)
        best_v = np.where(better, v[rows, j], best_v)
        step /= 2.0
    # polish: a Newton step on the quadratic through the 3 x 3 stencil around the best point
    ct = np.clip(best_t[:, None] + step * ot[None, :], -LIMIT, LIMIT)
    cp = np.clip(best_p[:, None] + step * op[None, :], -LIMIT, LIMIT)
    v = _airline_loglik(x4, mk, n_t, ct, cp, period)
    new_t, new_p = _newton_2d(v, best_v, step, ot, op)
    new_t = np.clip(best_t + new_t, -LIMIT, LIMIT)
    new_p = np.clip(best_p + new_p, -LIMIT, LIMIT)
    ct = np.stack([best_t, new_t], axis=1)
    cp = np.stack([best_p, new_p], axis=1)
    ll, q, e0, r, pw, p_hat = _airline_loglik(x4, mk, n_t, ct, cp, period, full=True)
    pick = (np.where(np.isfinite(ll[:, 1]), ll[:, 1], -np.inf) > ll[:, 0]).astype(int)
    best_t, best_p = ct[rows, pick], cp[rows, pick]
    ll, q, p_hat = ll[rows, pick][:, None], q[rows, pick][:, None], p_hat[rows, pick][:, None]
    e0, r, pw = e0[rows, pick][:, None], r[rows, pick][:, None], pw[rows, pick][:, None]
    ll, q, p_hat = ll[:, 0], q[:, 0], p_hat[:, 0]  # p_hat: (S, 13) for e_{-13}, ..., e_{-1}
    e0, r, pw = e0[:, 0].reshape(s, t_all), r[:, 0].reshape(s, t_all), pw[:, 0, :, 0]
    # smoothed errors e_t = e0_t + r_t (e_{-1} + Theta e_{-13}) + (-Theta)^{k+1} e_{j-P} at t = kP + j
    u_pre = p_hat[:, -1] + best_p * p_hat[:, 0]
    s_part = (pw[:, :, None] * p_hat[:, None, 1:]).reshape(s, t_all)
    e_hat = e0 + r * u_pre[:, None] + s_part
    e_full = np.concatenate([p_hat, e_hat], axis=1)  # index i = month i - 13 (i < 13: presample)
    lags = period + 1
    # e_ext[:, i]: the smoothed errors of the last P + 1 differenced months, then zeros for the future
    take = t_len[:, None] + np.arange(lags)[None, :]  # e_full index of months t_len - 13 .. t_len - 1
    e_ext = np.concatenate([np.take_along_axis(e_full, take, axis=1), np.zeros((s, h))], axis=1)
    ycols = lengths[:, None] - lags + np.arange(lags)[None, :]
    path = np.concatenate([np.take_along_axis(ys, ycols, axis=1), np.zeros((s, h))], axis=1)
    for k in range(1, h + 1):
        jj = period + k
        w_hat = (
            best_t * e_ext[:, jj - 1]
            + best_p * e_ext[:, jj - period]
            + best_t * best_p * e_ext[:, jj - period - 1]
        )
        t = lags - 1 + k
        path[:, t] = w_hat + path[:, t - 1] + path[:, t - period] - path[:, t - period - 1]
    ll_orig = ll - t_len * np.log(scale)
    return {
        "forecast": path[:, lags:] * scale[:, None],
        "theta": best_t,
        "ptheta": best_p,
        "sigma2": q / t_len * scale**2,
        "loglik": ll_orig,
        "aicc": _aicc(ll_orig, t_len, 3),
    }


# ------------------------------------------------------------------------------------------------------------
# Public entry point
# ------------------------------------------------------------------------------------------------------------


def arima_fit(
    y: np.ndarray,
    h: int,
    seasonal: np.ndarray,
    *,
    lengths: np.ndarray | None = None,
    period: int = 12,
) -> ARIMAFit:
    """Fit the airline model where ``seasonal``, else ARIMA(0,1,1) with or without drift (lower AICc).

    Parameters
    ----------
    y : numpy.ndarray
        Shape ``(S, n)`` monthly values, left-aligned: row ``s`` holds its series in the first ``lengths[s]``
        columns (the rest is ignored).
    h : int
        Horizon in months.
    seasonal : numpy.ndarray
        Shape ``(S,)``, bool: fit the airline model (needs ``lengths >= 2 period + 2``; rows shorter than that
        get the non-seasonal model).
    lengths : numpy.ndarray, optional
        Shape ``(S,)``: the number of months of each row (default all ``n``).
    period : int
        Seasonal period in months.

    Returns
    -------
    ARIMAFit
        Forecasts, the specification, parameters, sigma^2, log-likelihood and AICc per series. Rows with
        fewer than 4 months get the naive forecast.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    s, n = y.shape
    lengths = np.full(s, n) if lengths is None else np.asarray(lengths, dtype=int)
    seasonal = np.broadcast_to(np.asarray(seasonal, dtype=bool), (s,))
    rows = np.arange(s)
    forecast = np.repeat(y[rows, np.clip(lengths - 1, 0, n - 1)][:, None], h, axis=1)
    model = np.array(["naive"] * s, dtype=object)
    params = np.full((s, 3), np.nan)
    sigma2 = np.full(s, np.nan)
    loglik = np.full(s, np.nan)
    aicc = np.full(s, np.nan)
    air = seasonal & (lengths >= 2 * period + 2)
    ma = ~air & (lengths >= 4)
    if ma.any():
        idx = np.flatnonzero(ma)
        sub = y[idx, : int(lengths[idx].max())]
        fits = _fit_ma1(sub, lengths[idx], h)
        use = fits[1]["aicc"] < fits[0]["aicc"]
        pick = {
            k: np.where(use[:, None] if k == "forecast" else use, fits[1][k], fits[0][k]) for k in fits[0]
        }
        forecast[idx] = pick["forecast"]
        params[idx, 0] = pick["theta"]
        params[idx, 2] = np.where(use, fits[1]["drift"], 0.0)
        sigma2[idx], loglik[idx], aicc[idx] = pick["sigma2"], pick["loglik"], pick["aicc"]
        model[idx] = np.where(use, "ARIMA(0,1,1) with drift", "ARIMA(0,1,1)")
    if air.any():
        idx = np.flatnonzero(air)
        sub = y[idx, : int(lengths[idx].max())]
        fit = _fit_airline(sub, lengths[idx], h, period)
        forecast[idx] = fit["forecast"]
        params[idx, 0], params[idx, 1], params[idx, 2] = fit["theta"], fit["ptheta"], 0.0
        sigma2[idx], loglik[idx], aicc[idx] = fit["sigma2"], fit["loglik"], fit["aicc"]
        model[idx] = f"ARIMA(0,1,1)(0,1,1){period}"
    return ARIMAFit(
        forecast=forecast, model=model.astype(str), params=params, sigma2=sigma2, loglik=loglik, aicc=aicc
    )
