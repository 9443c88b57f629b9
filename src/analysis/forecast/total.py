"""The year-end forecast of a municipality's whole 5.38: the sum of the areas' forecasts, with its own interval.

The total is reconciled: its forecast is the sum of the areas' year-end forecasts (each by the area's chosen
method), so the areas and the total always agree. Its 80 % interval is not the sum of the areas' bounds (that
would assume every area misses in the same direction) nor a root-sum-of-squares (that would assume the areas
miss independently): in every back-tested year the areas' errors are summed, which keeps whatever correlation
the areas' misses had, and the split-conformal width (:func:`~analysis.forecast.select.conformal_width`) of
those summed relative errors ``(sum actual - sum forecast) / |sum forecast|`` gives the half-width, as for one
area (:func:`~analysis.forecast.select.interval`). Only the years in which every area has a back-tested
forecast at the origin month count; with fewer than 3 such years the interval is left missing.

Units: DKK.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.forecast.select import conformal_width

__all__ = ["area_errors", "reconciled_total", "total_interval"]


def area_errors(fc) -> pd.DataFrame:
    """The back-tested year-end forecasts of an area's chosen method at the report's origin month.

    Parameters
    ----------
    fc : AreaForecast
        One area's forecast (:func:`~analysis.forecast.area.area_forecast`).

    Returns
    -------
    pandas.DataFrame
        One row per back-tested year: ``function_code``, ``year``, ``forecast_dkk`` and ``actual_dkk`` (DKK).
    """
    f = fc.backtest.frame
    f = f[(f["method"] == fc.method) & (f["month"] == fc.month)].dropna(subset=["forecast_dkk", "actual_dkk"])
    return pd.DataFrame(
        {
            "function_code": fc.function_code,
            "year": f["year"].astype(int).to_numpy(),
            "forecast_dkk": f["forecast_dkk"].to_numpy(dtype=float),
            "actual_dkk": f["actual_dkk"].to_numpy(dtype=float),
        }
    )


def total_interval(
    errors: pd.DataFrame, forecast_dkk: float, coverage: float = 0.8, min_years: int = 3
) -> tuple[float, float, int]:
    """The interval of a total forecast from its parts' back-tested forecasts, summed per year.

    Parameters
    ----------
    errors : pandas.DataFrame
        One row per part and back-tested year: ``function_code``, ``year``, ``forecast_dkk``, ``actual_dkk``.
    forecast_dkk : float
        This year's total forecast (the sum of the parts' forecasts), DKK.
    coverage : float
        Nominal coverage (0.8).
    min_years : int
        Fewest years (with every part) for an interval.

    Returns
    -------
    tuple of (float, float, int)
        Lower and upper bound (DKK; NaN with fewer than ``min_years`` years) and the number of years used.

    Examples
    --------
    Two areas, three years; in 2021 both miss upwards, in 2022 they cancel:

    >>> e = pd.DataFrame({"function_code": ["a", "a", "a", "b", "b", "b"], "year": [2020, 2021, 2022] * 2,
    ...                   "forecast_dkk": [100.0, 100, 100, 50, 50, 50], "actual_dkk": [103.0, 110, 95, 48, 56, 55]})
    >>> # summed errors 1, 16, 0 on forecasts of 150: relative 0.0067, 0.1067, 0; 3 years: the largest, 0.1067
    >>> lo, hi, n = total_interval(e, 160.0)
    >>> round(lo, 2), round(hi, 2), n
    (142.93, 177.07, 3)
    """
    parts = errors["function_code"].nunique()
    per_year = errors.groupby("year").agg(
        n=("function_code", "nunique"), f=("forecast_dkk", "sum"), a=("actual_dkk", "sum")
    )
    per_year = per_year[(per_year["n"] == parts) & (per_year["f"] != 0)]
    n = len(per_year)
    if n < min_years or not np.isfinite(forecast_dkk):
        return float("nan"), float("nan"), n
    rel = (per_year["a"] - per_year["f"]) / per_year["f"].abs()
    half = conformal_width(rel.to_numpy(), coverage) * abs(forecast_dkk)
    return float(forecast_dkk - half), float(forecast_dkk + half), n


def reconciled_total(forecasts: Sequence, coverage: float = 0.8) -> pd.Series:
    """The total of several areas' year-end forecasts and its interval (see the module docstring).

    Parameters
    ----------
    forecasts : sequence of AreaForecast
        The areas' forecasts, made at the same origin month of the same year.
    coverage : float
        Nominal coverage (0.8).

    Returns
    -------
    pandas.Series
        ``forecast_dkk`` (the sum of the areas' forecasts), ``lower_dkk``, ``upper_dkk`` (DKK; NaN with fewer
        than 3 years in which every area was back-tested) and ``n_years``.

    Raises
    ------
    ValueError
        When the forecasts are of different years or origin months.
    """
    forecasts = list(forecasts)
    if len({(fc.year, fc.month) for fc in forecasts}) > 1:
        raise ValueError("the areas' forecasts must be made at the same month of the same year")
    total = float(sum(fc.forecast_dkk for fc in forecasts)) if forecasts else float("nan")
    if not forecasts:
        return pd.Series({"forecast_dkk": total, "lower_dkk": np.nan, "upper_dkk": np.nan, "n_years": 0})
    errors = pd.concat([area_errors(fc) for fc in forecasts], ignore_index=True)
    lo, hi, n = total_interval(errors, total, coverage)
    return pd.Series({"forecast_dkk": total, "lower_dkk": lo, "upper_dkk": hi, "n_years": n})
