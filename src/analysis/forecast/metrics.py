"""Forecast error measures, vectorised: APE of a total, sMAPE and MASE over a path of months.

Conventions
-----------
- Percentages are in per cent (0-100 for APE typically, 0-200 for sMAPE).
- Missing values (NaN) in a forecast or an actual leave the measure NaN; sMAPE counts a month where both the
  forecast and the actual are 0 as a perfect forecast (0).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ape", "mase", "mase_scale", "smape"]


def ape(forecast: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Absolute percentage error of a total: ``100 * |F - A| / |A|``.

    Parameters
    ----------
    forecast, actual : numpy.ndarray
        Totals (e.g. DKK), broadcastable.

    Returns
    -------
    numpy.ndarray
        Per cent; NaN where the actual is 0 or missing.
    """
    forecast = np.asarray(forecast, dtype=float)
    actual = np.asarray(actual, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * np.abs(forecast - actual) / np.abs(actual)
    return np.where(np.abs(actual) > 0, out, np.nan)


def smape(forecast: np.ndarray, actual: np.ndarray, axis: int = -1) -> np.ndarray:
    """Symmetric mean absolute percentage error over ``axis``: ``mean(200 |F - A| / (|F| + |A|))``.

    Parameters
    ----------
    forecast, actual : numpy.ndarray
        Monthly values (any unit), broadcastable; NaN marks months outside the path (ignored).
    axis : int
        The axis of months.

    Returns
    -------
    numpy.ndarray
        Per cent (0-200); NaN where no month is available.
    """
    forecast = np.asarray(forecast, dtype=float)
    actual = np.asarray(actual, dtype=float)
    denom = np.abs(forecast) + np.abs(actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(denom > 0, 200.0 * np.abs(forecast - actual) / np.where(denom > 0, denom, 1.0), 0.0)
    term = np.where(np.isfinite(forecast) & np.isfinite(actual), term, np.nan)
    count = np.sum(np.isfinite(term), axis=axis)
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, np.nansum(term, axis=axis) / np.maximum(count, 1), np.nan)


def mase_scale(history: np.ndarray, lag: int = 12, axis: int = -1) -> np.ndarray:
    """In-sample mean absolute ``lag``-difference (the seasonal naive's error), the MASE denominator.

    Parameters
    ----------
    history : numpy.ndarray
        Monthly values known at the forecast origin, time along ``axis``; NaN allowed (pairs skipped).
    lag : int
        Months between compared values (12: seasonal naive).
    axis : int
        The axis of months.

    Returns
    -------
    numpy.ndarray
        In the unit of ``history``; NaN where no pair is available or the scale is 0.
    """
    x = np.moveaxis(np.asarray(history, dtype=float), axis, -1)
    if x.shape[-1] <= lag:
        return np.full(x.shape[:-1], np.nan)
    d = np.abs(x[..., lag:] - x[..., :-lag])
    count = np.sum(np.isfinite(d), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.nansum(d, axis=-1) / count
    return np.where((count > 0) & (s > 0), s, np.nan)


def mase(forecast: np.ndarray, actual: np.ndarray, scale: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean absolute scaled error over ``axis``: ``mean(|F - A|) / scale``.

    Parameters
    ----------
    forecast, actual : numpy.ndarray
        Monthly values, broadcastable; NaN marks months outside the path (ignored).
    scale : numpy.ndarray
        The in-sample scale (see :func:`mase_scale`), shaped like the result.
    axis : int
        The axis of months.

    Returns
    -------
    numpy.ndarray
        Dimensionless; 1 means as good as the in-sample seasonal naive.
    """
    err = np.abs(np.asarray(forecast, dtype=float) - np.asarray(actual, dtype=float))
    count = np.sum(np.isfinite(err), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = np.nansum(err, axis=axis) / count
        return np.where(count > 0, mae / scale, np.nan)
