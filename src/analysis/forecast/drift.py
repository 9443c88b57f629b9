"""The deviation of a year-end forecast from the budget, split into quantity drift and price drift.

Spending is price x quantity: full-year persons (helårspersoner) times spending per full-year person. The
budget and the forecast are each read as a quantity and a price, and the deviation ``F - B`` is split into a
part due to more or fewer persons than budgeted (*mængdeafvigelse*) and a part due to a higher or lower
price per person (*prisafvigelse*).

Convention
----------
- **Budget price** ``p_B``: last year's price from the activity data, ``spending / full-year persons`` of
  ``year - 1`` over all paragraphs and providers of the area, restated in the forecast year's prices with the
  price-and-wage index when one is given: ``p_B = p_{year-1} * I_year / I_{year-1}`` (the budget is assumed to
  be set at last year's price, raised by the P/L development as municipalities budget; the workbench's index is
  ``parameters/price_index.yaml``, read by the caller). Without an index, last year's price unchanged (then the
  year's general price and wage growth shows as price drift).
- **Budget quantity** ``q_B = B / p_B``: the quantity the budget pays for at that price.
- **Forecast quantity** ``q_F``, by ``quantity``:

  ``'cases'``
      Last year's full-year persons times the change in caseload in the cases table:
      ``q_F = q_{year-1} * C_year / C_{year-1}``, with ``C`` the case-months of the year as known at the
      origin (booked months plus the expected rest, see :func:`analysis.forecast.disposition.case_months`).
      Only the relative change is taken from the cases, so their level need not match the activity data.
  ``'last_year'``
      Last year's full-year persons, unchanged: then the quantity drift is what the budget assumed about
      the number of persons against last year, and the price drift is the rest.
  ``'auto'`` (default)
      ``'cases'`` where the cases table has cases for the series in the year before, else ``'last_year'``.
- **Forecast price** ``p_F = F / q_F``.
- **Quantity drift** ``(q_F - q_B) * p_B`` (valued at the budget price); **price drift** ``(p_F - p_B) * q_F``
  (at the forecast quantity). They add up to ``F - B`` exactly: ``q_F p_B - q_B p_B + p_F q_F - p_B q_F =
  F - B``. The price drift is computed as the remainder ``(F - B) - quantity drift``, which equals
  ``(p_F - p_B) * q_F`` algebraically, so that the two add up to the deviation also in floating point (to the
  rounding of one addition).

Coverage
--------
The split is shown only where the quantity data cover the area (:func:`case_coverage`): the cases' full-year
persons of ``year - 1`` (case-months paid in that year / 12, start and end months in full) must lie within
:data:`COVERAGE_TOLERANCE` (10 %) of the activity table's full-year persons of that year. Where they do not, or
where there are no cases or no activity, the number of persons of the forecast year is not known before the
accounts, and the deviation is not split (the ``'last_year'`` quantity would put every change in the number of
persons on the price).

Only activity data of years before the forecast year are used (the activity of the year itself is not known
at the origin) and, with ``'cases'``, only cases known at the end of the origin month.

Units: amounts and prices in DKK, quantities in full-year persons.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.forecast.backtest import KEY_COLUMNS
from analysis.forecast.disposition import case_months
from analysis.prices import price_factors

__all__ = [
    "COVERAGE_TOLERANCE",
    "QUANTITY_SOURCES",
    "activity_prices",
    "case_coverage",
    "forecast_drift",
    "split_drift",
]

QUANTITY_SOURCES = ("auto", "cases", "last_year")

COVERAGE_TOLERANCE = 0.10
"""Largest relative difference between the cases' and the activity table's full-year persons for a split."""


def split_drift(
    budget_dkk: float | np.ndarray,
    budget_price_dkk: float | np.ndarray,
    forecast_dkk: float | np.ndarray,
    forecast_quantity: float | np.ndarray,
) -> pd.DataFrame:
    """Split ``forecast - budget`` into quantity drift (at budget price) and price drift (at forecast quantity).

    Parameters
    ----------
    budget_dkk : float or numpy.ndarray
        The budget ``B`` (DKK).
    budget_price_dkk : float or numpy.ndarray
        The price the budget assumes ``p_B`` (DKK per full-year person).
    forecast_dkk : float or numpy.ndarray
        The year-end forecast ``F`` (DKK).
    forecast_quantity : float or numpy.ndarray
        The quantity the forecast pays for ``q_F`` (full-year persons).

    Returns
    -------
    pandas.DataFrame
        One row per element: ``budget_dkk``, ``budget_price_dkk``, ``budget_quantity`` (``B / p_B``),
        ``forecast_dkk``, ``forecast_quantity``, ``forecast_price_dkk`` (``F / q_F``), ``deviation_dkk``
        (``F - B``), ``quantity_drift_dkk`` (``(q_F - q_B) p_B``) and ``price_drift_dkk``
        (``(p_F - p_B) q_F``); the two drifts add up to the deviation. NaN where a price or quantity is
        missing or not positive.

    Examples
    --------
    >>> d = split_drift(100.0, 2.0, 132.0, 60.0).iloc[0]
    >>> float(d.budget_quantity), float(d.forecast_price_dkk)
    (50.0, 2.2)
    >>> float(d.quantity_drift_dkk), round(float(d.price_drift_dkk), 9)
    (20.0, 12.0)
    """
    args = (budget_dkk, budget_price_dkk, forecast_dkk, forecast_quantity)
    b, p_b, f, q_f = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, dtype=float)) for x in args))
    ok = np.isfinite(b) & np.isfinite(f) & (p_b > 0) & (q_f > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q_b = np.where(ok, b / np.where(ok, p_b, 1.0), np.nan)
        p_f = np.where(ok, f / np.where(ok, q_f, 1.0), np.nan)
    deviation = f - b
    quantity = np.where(ok, (q_f - q_b) * p_b, np.nan)
    price = np.where(ok, deviation - quantity, np.nan)
    return pd.DataFrame(
        {
            "budget_dkk": b,
            "budget_price_dkk": np.where(ok, p_b, np.nan),
            "budget_quantity": q_b,
            "forecast_dkk": f,
            "forecast_quantity": np.where(ok, q_f, np.nan),
            "forecast_price_dkk": p_f,
            "deviation_dkk": deviation,
            "quantity_drift_dkk": quantity,
            "price_drift_dkk": price,
        }
    )


def activity_prices(activity: pd.DataFrame, key_columns: Sequence[str] = KEY_COLUMNS) -> pd.DataFrame:
    """Full-year persons, spending and price per series and year, over all paragraphs and providers.

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table (key columns, ``year``, ``full_year_persons``, ``spending_dkk``).
    key_columns : sequence of str
        Columns identifying a series.

    Returns
    -------
    pandas.DataFrame
        Indexed by the key columns and ``year``: ``full_year_persons``, ``spending_dkk`` and ``price_dkk``
        (DKK per full-year person; NaN without persons).
    """
    key_columns = list(key_columns)
    out = activity.groupby([*key_columns, "year"], observed=True)[["full_year_persons", "spending_dkk"]].sum()
    persons = out["full_year_persons"].where(out["full_year_persons"] > 0)
    out["price_dkk"] = out["spending_dkk"] / persons
    return out


def forecast_drift(
    forecasts: pd.DataFrame,
    activity: pd.DataFrame,
    year: int,
    month: int,
    cases: pd.DataFrame | None = None,
    quantity: str = "auto",
    key_columns: Sequence[str] = KEY_COLUMNS,
    lookback_months: int = 12,
    price_index: pd.Series | None = None,
) -> pd.DataFrame:
    """Quantity and price drift of year-end forecasts against the budget (see the module's convention).

    Parameters
    ----------
    forecasts : pandas.DataFrame
        One row per series: the key columns, ``forecast_dkk`` and ``budget_dkk`` (DKK), e.g. the selected rows
        of :func:`~analysis.forecast.select.forecast_year`.
    activity : pandas.DataFrame
        The ``activity`` table; only years before ``year`` are used.
    year : int
        The forecast year.
    month : int
        The origin month (1-11): the cases are read as known at its end.
    cases : pandas.DataFrame, optional
        The cases table with the key columns, for ``quantity='cases'`` or ``'auto'``.
    quantity : {'auto', 'cases', 'last_year'}
        Source of the forecast quantity.
    key_columns : sequence of str
        Columns identifying a series.
    lookback_months : int
        Window (months) of the start and exit rates for the cases' expected rest of the year.
    price_index : pandas.Series, optional
        Price-and-wage index values by year (any base, e.g. :func:`analysis.data.price_index.read_price_index`'s
        ``index``); it must hold ``year - 1`` and ``year``. Last year's price is raised by
        ``I_year / I_{year-1}`` to give the budget price. None: last year's price unchanged.

    Returns
    -------
    pandas.DataFrame
        The key columns, the columns of :func:`split_drift`, ``last_year_price_dkk`` (DKK per full-year person
        in ``year - 1``, in that year's prices), ``price_factor`` (``I_year / I_{year-1}``; 1.0 without an
        index), ``last_year_quantity`` (full-year persons of ``year - 1``), ``caseload_index``
        (``C_year / C_{year-1}``; NaN when not used) and ``quantity_source`` (``'cases'`` or ``'last_year'``;
        None where the split is not possible).

    Raises
    ------
    ValueError
        If ``price_index`` lacks ``year - 1`` or ``year`` (see :func:`analysis.prices.price_factors`).
    """
    if quantity not in QUANTITY_SOURCES:
        raise ValueError(f"quantity must be one of {QUANTITY_SOURCES}, got {quantity!r}")
    if quantity == "cases" and cases is None:
        raise ValueError("quantity='cases' needs the cases table")
    key_columns = list(key_columns)
    keys = pd.MultiIndex.from_frame(forecasts[key_columns])
    prev = activity_prices(activity[activity["year"] == year - 1], key_columns)
    prev = prev.droplevel("year").reindex(keys)
    q_last = prev["full_year_persons"].to_numpy(dtype=float)
    index = np.full(len(keys), np.nan)
    if cases is not None and quantity != "last_year":
        cm = case_months(cases, year, month, key_columns, lookback_months).reindex(keys)
        with np.errstate(divide="ignore", invalid="ignore"):
            index = np.where(cm["last_year"] > 0, cm["year_total"] / cm["last_year"], np.nan)
    use_cases = np.isfinite(index) if quantity != "last_year" else np.zeros(len(keys), dtype=bool)
    q_f = np.where(use_cases, q_last * index, q_last)
    factor = 1.0 if price_index is None else float(price_factors(price_index, [year - 1], year).iloc[0])
    p_last = prev["price_dkk"].to_numpy(dtype=float)
    out = split_drift(
        forecasts["budget_dkk"].to_numpy(dtype=float),
        p_last * factor,
        forecasts["forecast_dkk"].to_numpy(dtype=float),
        q_f,
    )
    possible = out["quantity_drift_dkk"].notna().to_numpy().copy()
    if quantity == "cases":
        possible &= use_cases
        out.loc[~possible, ["quantity_drift_dkk", "price_drift_dkk"]] = np.nan
    source = np.where(use_cases, "cases", "last_year").astype(object)
    out = pd.concat([forecasts[key_columns].reset_index(drop=True), out], axis=1)
    out["last_year_price_dkk"] = p_last
    out["price_factor"] = factor
    out["last_year_quantity"] = q_last
    out["caseload_index"] = np.where(use_cases, index, np.nan)
    out["quantity_source"] = np.where(possible, source, None)
    return out


def case_coverage(
    forecasts: pd.DataFrame,
    activity: pd.DataFrame | None,
    cases: pd.DataFrame | None,
    year: int,
    month: int,
    key_columns: Sequence[str] = KEY_COLUMNS,
    tolerance: float = COVERAGE_TOLERANCE,
) -> pd.DataFrame:
    """Whether the cases cover each series well enough to split its deviation into quantity and price.

    The test (see the module docstring): the cases' full-year persons of ``year - 1`` (case-months paid in that
    year, as known at the end of ``month`` of ``year``, divided by 12) against the activity table's full-year
    persons of ``year - 1``; covered when ``|cases / activity - 1| <= tolerance``.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        One row per series (the key columns).
    activity : pandas.DataFrame or None
        The ``activity`` table (full-year persons).
    cases : pandas.DataFrame or None
        The cases table with the key columns.
    year, month : int
        The forecast year and the origin month (1-12).
    key_columns : sequence of str
        Columns identifying a series.
    tolerance : float
        Largest relative difference allowed (0.10 = 10 %).

    Returns
    -------
    pandas.DataFrame
        The key columns, ``case_persons`` and ``activity_persons`` (full-year persons of ``year - 1``; NaN where
        there are none), ``ratio`` (cases / activity), ``covered`` (bool) and ``reason``: ``'covered'``,
        ``'no_activity'`` (no full-year persons in the activity table), ``'no_cases'`` (no case paid in ``year - 1``)
        or ``'not_covered'`` (the ratio outside ``1 +- tolerance``).

    Examples
    --------
    >>> f = pd.DataFrame({"municipality_code": [101], "function_code": ["5.38.50"]})
    >>> act = pd.DataFrame({"municipality_code": [101], "function_code": ["5.38.50"], "year": [2024],
    ...                     "full_year_persons": [2.0], "spending_dkk": [1e6]})
    >>> cs = pd.DataFrame({"municipality_code": [101, 101], "function_code": ["5.38.50"] * 2,
    ...                    "start_date": pd.to_datetime(["2023-01-01", "2024-07-01"]),
    ...                    "end_date": pd.to_datetime([None, None]), "monthly_cost_dkk": [1.0, 1.0]})
    >>> r = case_coverage(f, act, cs, 2025, 3).iloc[0]
    >>> float(r.case_persons), float(r.ratio), bool(r.covered), r.reason
    (1.5, 0.75, False, 'not_covered')
    """
    if not 0 <= tolerance < 1:
        raise ValueError(f"tolerance must be in [0, 1), got {tolerance}")
    key_columns = list(key_columns)
    keys = pd.MultiIndex.from_frame(forecasts[key_columns])
    n = len(keys)
    act_persons = np.full(n, np.nan)
    if activity is not None and len(activity):
        prev = activity_prices(activity[activity["year"] == year - 1], key_columns).droplevel("year")
        persons = prev["full_year_persons"].reindex(keys).to_numpy(dtype=float)
        act_persons = np.where(persons > 0, persons, np.nan)
    case_persons = np.full(n, np.nan)
    if cases is not None and len(cases):
        cm = case_months(cases, year, month, key_columns).reindex(keys)
        months = cm["last_year"].to_numpy(dtype=float)
        case_persons = np.where(months > 0, months / 12, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = case_persons / act_persons
    # the ratio rounded to 12 decimals, so that a ratio of exactly 1 +- tolerance passes in floating point
    covered = np.isfinite(ratio) & (np.round(np.abs(ratio - 1), 12) <= tolerance)
    reason = np.where(
        ~np.isfinite(act_persons),
        "no_activity",
        np.where(~np.isfinite(case_persons), "no_cases", np.where(covered, "covered", "not_covered")),
    )
    out = forecasts[key_columns].reset_index(drop=True).copy()
    out["case_persons"] = case_persons
    out["activity_persons"] = act_persons
    out["ratio"] = ratio
    out["covered"] = covered
    out["reason"] = reason.astype(object)
    return out
