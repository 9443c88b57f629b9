"""One area's year-end forecast as of a month: everything the forecast report shows, as frames.

:func:`area_forecast` takes the warehouse tables of one municipality x function area (they may hold more; the
series is picked out), keeps only what was known at the end of ``month`` of ``year`` (ledger months up to
then, the cases known by then, the activity of earlier years), back-tests every method on the earlier years,
selects one (:func:`~analysis.forecast.select.select_methods`) and returns the year-end forecast with its
interval, the monthly path with a fan, the forecast as of each month of the year so far, the accuracy of every
method by month and the quantity and price drift against the budget (:mod:`analysis.forecast.drift`).

Fan
---
The band around the forecast path comes from the chosen method's back-test at the same origin month
(:func:`fan_halfwidths`): its half-width is a share of the year-end forecast, not of each month's level, and
it never shrinks with the horizon. The monthly band of month ``k`` is a scale times a factor: the scale is the
back-tested years' mean absolute error of month ``k`` relative to their year-end forecast, made non-decreasing
over the months (a fall is averaged with the months before it, so a low month such as November has no
narrower band); the factor is the split-conformal width (:func:`~analysis.forecast.select.conformal_width`) of
every year's and remaining month's error divided by its month's scale, pooled. The band around the cumulative
path is the split-conformal width of the cumulative errors month by month, never narrowing, and ends at
December in the year-end interval of :func:`~analysis.forecast.select.forecast_year`.

Compared years
--------------
The method table and the accuracy by month use the (year, origin month) pairs on which the selection compares
the methods: those where every eligible method has a forecast (see
:func:`~analysis.forecast.select.select_methods`), so that their mean errors are the ones the choice was made
on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.forecast.backtest import COMBINATION, KEY_COLUMNS, BacktestResult, backtest
from analysis.forecast.disposition import explained_share, reconcile
from analysis.forecast.drift import COVERAGE_TOLERANCE, case_coverage, forecast_drift
from analysis.forecast.methods import DomainMethod, default_methods
from analysis.forecast.select import (
    conformal_width,
    forecast_paths,
    forecast_year_paths,
    interval,
    select_methods,
)

__all__ = ["AreaForecast", "area_forecast", "fan_halfwidths", "known_at"]


@dataclass
class AreaForecast:
    """The year-end forecast of one area as of a month, and what the report shows about it.

    Attributes
    ----------
    municipality_code, function_code : int, str
        The series.
    year, month : int
        The forecast year and the origin month (January..month booked).
    method, label_da, reason : str
        The chosen method, its Danish label and the Danish reason for it.
    forecast_dkk, lower_dkk, upper_dkk : float
        The year-end forecast and its interval (DKK); the bounds are NaN with fewer than 3 back-tested years.
    budget_dkk, ytd_dkk : float
        The year's budget and the spending booked so far (DKK).
    methods : pandas.DataFrame
        One row per method compared, in the methods' order: ``method``,
        ``label_da``, ``forecast_dkk``, ``lower_dkk``, ``upper_dkk`` (this year), ``mean_ape_pct`` (over the
        compared years and origin months), ``ape_at_month_pct`` (mean over the compared years at the origin
        month), ``mean_smape_pct``, ``mean_mase`` and ``selected``.
    path : pandas.DataFrame
        Indexed by month 1-12: ``actual_dkk`` (booked; NaN after the origin), ``forecast_dkk`` (booked months,
        then the chosen method's forecast), ``lower_dkk`` and ``upper_dkk`` (the monthly fan; equal to the
        booked months up to the origin), ``budget_dkk`` (the budget's monthly pace, a twelfth), the same
        cumulated over the year: ``cum_actual_dkk``, ``cum_forecast_dkk``, ``cum_lower_dkk``, ``cum_upper_dkk``,
        ``cum_budget_dkk``; and ``last_year_dkk`` (the same month last year).
    as_of : pandas.DataFrame or None
        Indexed by month 1..``month``: ``actual_dkk`` (that month's spending), ``ytd_dkk``, ``forecast_dkk``,
        ``lower_dkk``, ``upper_dkk`` (the chosen method's year-end forecast made at the end of that month) and
        ``deviation_dkk`` (forecast minus budget); None when not asked for (``as_of_months=False``).
    accuracy : pandas.DataFrame
        Mean APE (per cent) of the year-end total, index: method, columns: origin month 1-11.
    compared_years : list of int
        The back-tested years the method table and the accuracy cover (those the selection compares on).
    backtested_years : list of int
        Every back-tested year (a method is tried from the first year it can forecast).
    drift : pandas.Series or None
        One row of :func:`~analysis.forecast.drift.forecast_drift`; None without activity data.
    selection : pandas.Series
        The row of :func:`~analysis.forecast.select.select_methods`.
    uses_cases : bool
        Whether the cases table covered the area (so that the disposition method ran).
    backtest : BacktestResult
        The back-test itself.
    coverage : pandas.Series or None
        One row of :func:`~analysis.forecast.drift.case_coverage`: whether the cases cover the area well enough
        to split the deviation into quantity and price (``covered``, ``reason``, ``case_persons``,
        ``activity_persons``, ``ratio``, and ``tolerance``).
    reconciliation : pandas.DataFrame or None
        The booked months of the year against the cases' payments
        (:func:`~analysis.forecast.disposition.reconcile`: ``month``, ``booked_dkk``, ``cases_dkk``,
        ``paying_cases``, ``share``); None without cases on the area.
    explained_share : float or None
        The share of the year's booked spending (January..month) the cases explain; None without cases.
    """

    municipality_code: int
    function_code: str
    year: int
    month: int
    method: str
    label_da: str
    reason: str
    forecast_dkk: float
    lower_dkk: float
    upper_dkk: float
    budget_dkk: float
    ytd_dkk: float
    methods: pd.DataFrame
    path: pd.DataFrame
    as_of: pd.DataFrame | None
    accuracy: pd.DataFrame
    compared_years: list[int]
    backtested_years: list[int]
    drift: pd.Series | None
    selection: pd.Series
    uses_cases: bool
    backtest: BacktestResult = field(repr=False)
    coverage: pd.Series | None = None
    reconciliation: pd.DataFrame | None = None
    explained_share: float | None = None

    @property
    def labels(self) -> dict[str, str]:
        """Danish label of every method."""
        return dict(self.backtest.labels)

    @property
    def split(self) -> pd.Series | None:
        """The quantity and price drift where the cases cover the area (see ``coverage``), else None."""
        if self.drift is None or self.coverage is None or not bool(self.coverage["covered"]):
            return None
        return self.drift if self.drift["quantity_source"] == "cases" else None


def known_at(ledger: pd.DataFrame, year: int, month: int) -> pd.DataFrame:
    """The ledger rows known at the end of ``month`` of ``year``: earlier years and January..month of ``year``.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table.
    year : int
        The current year.
    month : int
        The last booked month (1-12).

    Returns
    -------
    pandas.DataFrame
        The rows, in their order.
    """
    return ledger[(ledger["year"] < year) | ((ledger["year"] == year) & (ledger["month"] <= month))]


def _series(df: pd.DataFrame | None, municipality_code: int, function_code: str) -> pd.DataFrame | None:
    if df is None:
        return None
    if "function_code" not in df.columns:  # e.g. a cases table without function codes: cannot be matched
        return None
    out = df[(df["municipality_code"] == municipality_code) & (df["function_code"] == function_code)]
    return out if not out.empty else None


def _compared(result: BacktestResult) -> tuple[pd.DataFrame, list[str]]:
    """The back-test rows the selection compares on, and the eligible methods (as in ``select_methods``)."""
    frame = result.frame
    wide = frame.pivot_table(index=["year", "month"], columns="method", values="ape_pct", sort=True)
    coverage = wide.notna().sum()
    eligible = [m for m in result.methods if m in coverage.index and coverage[m] >= 0.5 * coverage.max() > 0]
    rows = wide[eligible].notna().all(axis=1)
    if not rows.any():  # as in select_methods: no common row, each method on its own rows
        rows[:] = True
    keep = frame.set_index(["year", "month"]).index.isin(wide.index[rows])
    sub = frame[keep & frame["method"].isin(eligible)]
    return sub, eligible


def fan_halfwidths(
    forecasts: np.ndarray, actuals: np.ndarray, month: int, coverage: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """Half-widths of the fan, relative to the year-end forecast, from the back-tested years at one origin.

    Parameters
    ----------
    forecasts : numpy.ndarray
        Shape ``(n, 12)``: in each back-tested year, the booked months ``1..month`` and the forecast of the
        remaining months made at the end of ``month`` (DKK).
    actuals : numpy.ndarray
        Shape ``(n, 12)``: the actual months of those years (DKK).
    month : int
        The origin (1-11).
    coverage : float
        Nominal coverage (0.8).

    Returns
    -------
    tuple of numpy.ndarray
        ``monthly`` and ``cumulative``, each of shape ``(12 - month,)`` for months ``month+1..12``, as fractions
        of the year-end forecast ``|F|``; NaN with fewer than 3 usable years. ``monthly[j] = q g_j``:
        ``g_j`` is the mean over the years of ``|a_j - f_j| / |F|``, made non-decreasing over the months by
        the least-squares monotone fit (where a month's scale falls below an earlier one's, the two are
        averaged), so that a low month (November) has no narrower band than the months before it:
        uncertainty does not fall with the horizon; ``q`` is the split-conformal width
        (:func:`~analysis.forecast.select.conformal_width`) of the ratios ``|a_j - f_j| / (|F| g_j)`` of
        every year and remaining month together (0 where ``g_j`` is 0). Pooling the months gives ``n (12 -
        month)`` ratios instead of ``n``, so ``q`` is near their 80 % quantile rather than the largest error of
        three to six years (which made the band cover 85 % of the months). ``cumulative[j]`` is the
        width of the cumulative errors ``(A_j - F_j) / |F|`` (spending through month ``j``), then the running
        minimum from December backwards, so that it never narrows and ends at the year-end interval of
        :func:`~analysis.forecast.select.interval` (the same errors at December).

    Examples
    --------
    >>> f = np.tile([10.0] * 12, (3, 1)); a = f.copy(); a[:, 10] = [12.0, 11.0, 9.0]  # Nov off by 2, 1, -1
    >>> m, c = fan_halfwidths(f, a, 9)  # |F| = 120; in units of 1 / 120:
    >>> # mean errors Oct 0, Nov 4/3, Dec 0; December's fall is averaged with November: g = 0, 2/3, 2/3;
    >>> # ratios 0 0 0 | 3 1.5 1.5 | 0 0 0: the 8th smallest of 9 (k = ceil(0.8 * 10)) is q = 1.5
    >>> # cumulative: the largest error of 3 years, month by month: 0, 2, 2
    >>> np.round(m * 120, 6).tolist(), np.round(c * 120, 6).tolist()
    ([0.0, 1.0, 1.0], [0.0, 2.0, 2.0])
    """
    p = np.asarray(forecasts, dtype=float)
    a = np.asarray(actuals, dtype=float)
    ok = np.isfinite(p).all(axis=1) & np.isfinite(a).all(axis=1)
    nan = np.full(12 - month, np.nan)
    total = np.abs(p[ok].sum(axis=1))
    ok_rows = total > 0
    if ok_rows.sum() < 3:
        return nan, nan.copy()
    p, a, total = p[ok][ok_rows], a[ok][ok_rows], total[ok_rows][:, None]
    rel = (a - p) / total
    rel_cum = (np.cumsum(a, axis=1) - np.cumsum(p, axis=1)) / total
    scale = _non_decreasing(np.abs(rel[:, month:]).mean(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(scale > 0, np.abs(rel[:, month:]) / scale, 0.0)
    monthly = conformal_width(ratios.ravel(), coverage) * scale
    cum = np.array([conformal_width(rel_cum[:, j], coverage) for j in range(month, 12)])
    return monthly, np.minimum.accumulate(cum[::-1])[::-1]


def _non_decreasing(x: np.ndarray) -> np.ndarray:
    """The least-squares non-decreasing fit of ``x`` (pool-adjacent-violators): a fall is averaged away.

    >>> _non_decreasing(np.array([8.0, 1.0, 12.0])).tolist()
    [4.5, 4.5, 12.0]
    """
    blocks: list[list[float]] = []  # [mean, count]
    for v in np.asarray(x, dtype=float):
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m2, n2), (m1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    return np.concatenate([np.full(int(n), m) for m, n in blocks]) if blocks else np.asarray(x, dtype=float)


def _band(
    result: BacktestResult, method: str, month: int, path: np.ndarray, coverage: float, cumulative: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The band around a path (12,) forecast at ``month`` (monthly, or cumulative), see :func:`fan_halfwidths`."""
    monthly, cum = fan_halfwidths(result.paths[method][0, :, month - 1, :], result.actual[0], month, coverage)
    line = np.cumsum(path) if cumulative else path.astype(float)
    half = np.abs(float(np.sum(path))) * (cum if cumulative else monthly)
    lower, upper = line.copy(), line.copy()
    lower[month:] = line[month:] - half
    upper[month:] = line[month:] + half
    return lower, upper


def area_forecast(
    ledger: pd.DataFrame,
    municipality_code: int,
    function_code: str,
    year: int,
    month: int,
    budgets: pd.DataFrame | None = None,
    activity: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    first_year: int | None = None,
    methods: Sequence[DomainMethod] | None = None,
    weighting: str = "ape",
    coverage: float = 0.8,
    combination_k: int = 3,
    lookback_months: int = 12,
    price_index: pd.Series | None = None,
    as_of_months: bool = True,
) -> AreaForecast:
    """Back-test, select and forecast one area's year-end spending as of the end of ``month`` of ``year``.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table (DKK per month); rows after ``month`` of ``year`` are ignored.
    municipality_code : int
        The municipality (3-digit code).
    function_code : str
        The function area, e.g. ``'5.38.50'``.
    year : int
        The year to forecast.
    month : int
        The origin (1-11): January..month of ``year`` are booked.
    budgets : pandas.DataFrame, optional
        The ``budgets`` table (DKK), for the budget-based method, the budget line and the drift.
    activity : pandas.DataFrame, optional
        The ``activity`` table, for the quantity and price drift (years before ``year`` only).
    cases : pandas.DataFrame, optional
        The cases table with a ``function_code`` column; used (disposition method, caseload) only when it has
        cases on the area.
    first_year : int, optional
        First ledger year used; default all.
    methods : sequence of DomainMethod, optional
        Methods to compare; default :func:`~analysis.forecast.methods.default_methods`.
    weighting : {'ape', 'dkk'}
        Selection criterion, see :func:`~analysis.forecast.select.select_methods`.
    coverage : float
        Interval coverage (0.8).
    combination_k : int
        Methods in the combination.
    lookback_months : int
        Window (months) of the disposition's start and exit rates.
    price_index : pandas.Series, optional
        Price-and-wage index by year, for the drift's budget price (last year's price raised to ``year``'s
        prices, see :func:`~analysis.forecast.drift.forecast_drift`); None: last year's price unchanged.
    as_of_months : bool, default True
        Also forecast the year as of the end of each earlier month of the year (``AreaForecast.as_of``, the
        forecast report's month-by-month chart): ``month`` more runs of the chosen method. False leaves
        ``as_of`` None (the monthly follow-up, whose history is its journal).

    Returns
    -------
    AreaForecast

    Raises
    ------
    ValueError
        When ``month`` is not 1-11, when the ledger has no month of ``year`` for the area, or when no method
        can be back-tested (no complete earlier year).
    """
    if not 1 <= month <= 11:
        raise ValueError(f"month must be 1-11 (the months booked before the year ends), got {month}")
    methods = list(default_methods()) if methods is None else list(methods)
    led = _series(known_at(ledger, year, month), municipality_code, function_code)
    if led is not None and first_year is not None:
        led = led[led["year"] >= first_year]
    if led is None or not (led["year"] == year).any():
        raise ValueError(
            f"the ledger has no month of {year} up to month {month} for {municipality_code} {function_code}"
        )
    bud = _series(budgets, municipality_code, function_code)
    cs = _series(cases, municipality_code, function_code)
    if not (led["year"] < year).any():
        raise ValueError(
            f"no year before {year} in the ledger for {municipality_code} {function_code} to back-test"
        )
    result = backtest(led, methods, bud, cs, combination_k=combination_k, lookback_months=lookback_months)
    selection = select_methods(result, weighting=weighting, reason_month=month)
    sel = selection.iloc[0]
    if sel["method"] is None:
        raise ValueError(f"no method could be back-tested for {municipality_code} {function_code}")
    chosen = str(sel["method"])
    args = dict(budgets=bud, cases=cs, combination_k=combination_k, lookback_months=lookback_months)
    # this year's forecast by every method, run once for the table and for the chosen method's path (a method's
    # path does not depend on the methods beside it; the combination's is made from the same paths)
    fy, keys, paths = forecast_year_paths(
        led, year, month, result, selection, methods, coverage=coverage, **args
    )
    row = fy[fy["selected"]].iloc[0]

    # the chosen method's path this year and its fan
    chosen_methods = methods if chosen == COMBINATION else [m for m in methods if m.name == chosen]
    comb_result = result if chosen == COMBINATION else None
    path = paths[chosen][0]
    actual = np.where(np.arange(12) < month, path, np.nan)
    cum = np.cumsum(path)
    lower, upper = _band(result, chosen, month, path, coverage, cumulative=False)
    cum_lower, cum_upper = _band(result, chosen, month, path, coverage, cumulative=True)
    budget = float(row["budget_dkk"])
    last = led[led["year"] == year - 1].set_index("month")["spending_dkk"].reindex(range(1, 13))
    path_frame = pd.DataFrame(
        {
            "actual_dkk": actual,
            "forecast_dkk": path,
            "lower_dkk": lower,
            "upper_dkk": upper,
            "budget_dkk": np.full(12, budget / 12),
            "cum_actual_dkk": np.where(np.arange(12) < month, cum, np.nan),
            "cum_forecast_dkk": cum,
            "cum_lower_dkk": cum_lower,
            "cum_upper_dkk": cum_upper,
            "cum_budget_dkk": budget * np.arange(1, 13) / 12,
            "last_year_dkk": last.to_numpy(dtype=float),
        },
        index=pd.RangeIndex(1, 13, name="month"),
    )

    # the forecast as of each month of the year so far, by the chosen method
    keys_idx = pd.MultiIndex.from_frame(keys)
    as_of = []
    for k in range(1, month + 1 if as_of_months else 1):
        _, pk = forecast_paths(led, year, k, comb_result, chosen_methods, **args)
        total = pk[chosen].sum(axis=1)
        lo, hi = interval(result, chosen, k, total, keys_idx, coverage=coverage)
        as_of.append(
            {
                "month": k,
                "actual_dkk": path[k - 1],
                "ytd_dkk": float(path[:k].sum()),
                "forecast_dkk": float(total[0]),
                "lower_dkk": float(lo[0]),
                "upper_dkk": float(hi[0]),
                "deviation_dkk": float(total[0]) - budget,
            }
        )
    as_of_frame = pd.DataFrame(as_of).set_index("month") if as_of_months else None

    # accuracy on the rows the selection compared
    sub, eligible = _compared(result)
    g = sub.groupby("method", sort=False)
    at = sub[sub["month"] == month].groupby("method", sort=False)
    table = pd.DataFrame(
        {
            "mean_ape_pct": g["ape_pct"].mean(),
            "ape_at_month_pct": at["ape_pct"].mean(),
            "mean_smape_pct": g["smape_pct"].mean(),
            "mean_mase": g["mase"].mean(),
        }
    ).reindex(eligible)
    this_year = fy.set_index("method").reindex(eligible)
    methods_frame = pd.DataFrame(
        {
            "method": eligible,
            "label_da": [result.labels[m] for m in eligible],
            "forecast_dkk": this_year["forecast_dkk"].to_numpy(),
            "lower_dkk": this_year["lower_dkk"].to_numpy(),
            "upper_dkk": this_year["upper_dkk"].to_numpy(),
            **{c: table[c].to_numpy() for c in table.columns},
            "selected": [m == chosen for m in eligible],
        }
    )
    accuracy = sub.pivot_table(index="method", columns="month", values="ape_pct", aggfunc="mean", sort=False)
    accuracy = accuracy.reindex(index=eligible, columns=range(1, 12))

    key_frame = pd.DataFrame({"municipality_code": [municipality_code], "function_code": [function_code]})
    coverage_row = case_coverage(key_frame, activity, cs, year, month).iloc[0].copy()
    coverage_row["tolerance"] = COVERAGE_TOLERANCE
    drift = None
    if activity is not None:
        act = _series(activity, municipality_code, function_code)
        if act is not None:
            frame = pd.DataFrame(
                {
                    **{c: [v] for c, v in zip(KEY_COLUMNS, (municipality_code, function_code), strict=True)},
                    "forecast_dkk": [float(row["forecast_dkk"])],
                    "budget_dkk": [budget],
                }
            )
            drift = forecast_drift(
                frame, act, year, month, cs, lookback_months=lookback_months, price_index=price_index
            ).iloc[0]

    rec, share = None, None
    if cs is not None:
        rec = reconcile(cs, led, year, through_month=month, by=KEY_COLUMNS)
        shares = explained_share(rec, by=KEY_COLUMNS)
        share = float(shares["share"].iloc[0]) if len(shares) else None

    return AreaForecast(
        municipality_code=municipality_code,
        function_code=function_code,
        year=year,
        month=month,
        method=chosen,
        label_da=str(sel["label_da"]),
        reason=str(sel["reason"]),
        forecast_dkk=float(row["forecast_dkk"]),
        lower_dkk=float(row["lower_dkk"]),
        upper_dkk=float(row["upper_dkk"]),
        budget_dkk=budget,
        ytd_dkk=float(row["ytd_dkk"]),
        methods=methods_frame,
        path=path_frame,
        as_of=as_of_frame,
        accuracy=accuracy,
        compared_years=sorted(int(y) for y in sub["year"].unique()),
        backtested_years=[int(y) for y in result.years],
        drift=drift,
        selection=sel,
        uses_cases=cs is not None,
        backtest=result,
        coverage=coverage_row,
        reconciliation=rec,
        explained_share=share,
    )
