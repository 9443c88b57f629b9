"""Disposition (disponering): the year's remaining spending from the cases known at a date.

As of the end of month ``T`` (the origin), with monthly granularity:

- A case is *known* when it started in or before ``T``. It is *running* when it is known and has no end date
  in or before ``T``. An end date after ``T`` is treated as unknown at ``T`` (the case counts as running): the
  extract holds actual ends, and using them would be look-ahead.
- Running cases pay their monthly cost (``monthly_cost_dkk``, DKK per month) from month ``T + 1``.
- **Planned ends**: a running case with a planned end date (the optional column ``planned_end_date``,
  *bevilget til*) after ``T`` pays until the month of its planned end and then stops, with certainty (no exit
  rate applies to it); a planned end in or before ``T`` that has not happened says nothing, and the case is
  treated as open-ended.
- **Expected ends**: the monthly exit probability ``q`` is the number of cases that ended in the last
  ``lookback_months`` months (``T - L + 1 .. T``) divided by the case-months at risk in that window (each
  case's months of payment within the window). A case pays month ``T + k`` with probability
  ``(1 - q)^(k - 1)`` (its end month is paid in full).
- **Expected starts**: ``lambda`` = starts in the window / ``L`` per month, each at the mean monthly cost of
  those starts, starting at the beginning of a month and ending at rate ``q`` like the others.

So the expected spending of month ``T + k`` is
``C_open (1 - q)^(k - 1) + C_planned(k) + lambda * c_new * sum_{i=0}^{k-1} (1 - q)^i``,
with ``C_open`` the monthly cost of the running cases without a planned end after ``T``, ``C_planned(k)`` that
of the running cases whose planned end is in or after month ``T + k``, and ``c_new`` the mean monthly cost of
recent starts.
Part-months (a start or end in the middle of a month) are not prorated, and spending outside the cases table
(overheads, non-case postings) is not included: the ledger's booked months are added by the caller.

The register and the reconciliation
    :func:`register` lists the commitments case by case as of the end of a month: each running case x its
    monthly cost x the months left until its planned end (or the year's end), plus the managers' expected starts,
    ends and need changes (table ``expectations``, see :mod:`analysis.data.expectations`) as signed amounts;
    :func:`register_summary` sums it per area. :func:`reconcile` compares, month by month, the cases' payments
    (the monthly cost of every case paying in the month, by the actual start and end dates) with the booked
    spending of the ledger: the share of the booked spending the cases explain, which the forecast report states.

Scaling by the explained share
    Where the cases explain only part of the booked spending (payments outside the cases table: overheads,
    services not registered on a citizen), their commitments undershoot the year. :func:`commitment_paths`, given
    the ledger, divides the commitments of the remaining months by the **explained share**: the cases' payments
    over the booked spending (:func:`reconcile`, :func:`explained_share`) of the same months a year earlier
    (months ``T+1..12`` of the year before, :func:`scaling_share`), because the share moves with the season
    (on the sample 94-98 % of January..September but 80-88 % of October..December; scaled by the share of the
    months booked this year, the year-end forecasts of 2021-2024 at March, June and September ran 6,8 % low,
    by the same months of last year 1,6 %, unscaled 8,8 %). The disposition's year-end forecast is then
    ``booked so far + commitments / share``. It refuses to scale, and keeps the plain sum of the
    commitments, where the share is below :data:`MIN_EXPLAINED_SHARE` (50 %: the cases explain too little for
    the rest to be assumed to move with them) or above :data:`MAX_EXPLAINED_SHARE` (110 %: the cases pay more
    than was booked, so cases and ledger do not match), or where nothing was booked; :func:`scaling` and
    :func:`scaling_text_da` say which, per area.

The cases table carries the function a case is paid on in its optional ``function_code`` column (the default
``by`` groups by municipality and function); cases without one belong to no series. Where the column is empty,
the caller can derive it (e.g. from the paragraph, see the ``function_areas`` table) or pass other ``by``
columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.danish import fmt_pct

__all__ = [
    "MAX_EXPLAINED_SHARE",
    "MIN_EXPLAINED_SHARE",
    "case_months",
    "commitment_paths",
    "commitment_rates",
    "commitments",
    "explained_share",
    "reconcile",
    "register",
    "register_summary",
    "scale_factors",
    "scaling",
    "scaling_share",
    "scaling_text_da",
]

#: Below this explained share (fraction) the disposition is not scaled up: the cases explain too little.
MIN_EXPLAINED_SHARE = 0.5
#: Above this explained share (fraction) the disposition is not scaled: the cases pay more than was booked.
MAX_EXPLAINED_SHARE = 1.1

_FAR = np.iinfo(np.int64).max // 4


def _month_index(dates: pd.Series) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1); a large number for missing dates."""
    d = pd.to_datetime(dates)
    idx = (d.dt.year * 12 + d.dt.month - 1).to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(idx), idx, _FAR).astype(np.int64)


class _Prepared:
    """Cases reduced to integer arrays: group code, start and end month index, monthly cost."""

    def __init__(self, cases: pd.DataFrame, by: Sequence[str]):
        missing = [c for c in (*by, "start_date", "end_date", "monthly_cost_dkk") if c not in cases.columns]
        if missing:
            raise KeyError(f"the cases table lacks the column(s) {missing}")
        keys = cases[list(by)]
        self.group_index = pd.MultiIndex.from_frame(keys.drop_duplicates()).sort_values()
        self.code = self.group_index.get_indexer(pd.MultiIndex.from_frame(keys))
        self.n_groups = len(self.group_index)
        self.start = _month_index(cases["start_date"])
        self.end = _month_index(cases["end_date"])
        self.cost = cases["monthly_cost_dkk"].to_numpy(dtype=float)
        if "planned_end_date" in cases.columns:
            self.planned = _month_index(cases["planned_end_date"])
        else:
            self.planned = np.full(len(cases), _FAR, dtype=np.int64)

    def running(self, t: int) -> np.ndarray:
        """Cases known and not ended at the end of month ``t``."""
        known = self.start <= t
        return known & ~(known & (self.end <= t))

    def planned_paid(self, t: int, months_ahead: int, weights: np.ndarray | None = None) -> np.ndarray:
        """Per group and month ``t + 1 .. t + months_ahead``: the planned cases' ``weights`` still paying.

        The sum of ``weights`` (default the monthly cost) of the running cases with a planned end after ``t``
        that pay in that month.
        """
        has = self.running(t) & (self.planned > t) & (self.planned < _FAR)
        w = self.cost if weights is None else weights
        paid_months = np.clip(self.planned[has] - t, 0, months_ahead)
        m = np.zeros((self.n_groups, months_ahead + 1))
        np.add.at(m, (self.code[has], paid_months), w[has])
        return np.cumsum(m[:, ::-1], axis=1)[:, ::-1][:, 1:]

    def open_mask(self, t: int) -> np.ndarray:
        """Running cases without a planned end after ``t`` (they end at the exit rate)."""
        return self.running(t) & ~((self.planned > t) & (self.planned < _FAR))

    def rates(self, t: int, lookback: int):
        """Running cost, starts per month, mean start cost and exit probability per group at month ``t``."""
        g = self.n_groups
        known = self.start <= t
        ended_known = known & (self.end <= t)
        running = known & ~ended_known
        run_cost = np.bincount(self.code[running], weights=self.cost[running], minlength=g)
        n_running = np.bincount(self.code[running], minlength=g)
        open_ = self.open_mask(t)
        open_cost = np.bincount(self.code[open_], weights=self.cost[open_], minlength=g)
        lo = t - lookback + 1
        started = known & (self.start >= lo)
        n_starts = np.bincount(self.code[started], minlength=g)
        start_cost = np.bincount(self.code[started], weights=self.cost[started], minlength=g)
        ends = ended_known & (self.end >= lo)
        n_ends = np.bincount(self.code[ends], minlength=g)
        last_paid = np.where(ended_known, self.end, t)
        exposure_each = np.clip(np.minimum(last_paid, t) - np.maximum(self.start, lo) + 1, 0, None)
        exposure = np.bincount(self.code[known], weights=exposure_each[known].astype(float), minlength=g)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(exposure > 0, n_ends / np.where(exposure > 0, exposure, 1.0), 0.0)
            c_new = np.where(n_starts > 0, start_cost / np.maximum(n_starts, 1), 0.0)
        self.open_cost = open_cost
        return run_cost, n_running, n_starts / lookback, c_new, np.clip(q, 0.0, 1.0)


def _paths(run_cost, lam, c_new, q, months_ahead: int) -> np.ndarray:
    k = np.arange(1, months_ahead + 1, dtype=float)
    surv = (1.0 - q[:, None]) ** (k[None, :] - 1.0)  # (G, K)
    cum = np.cumsum(surv, axis=1)  # sum_{i=0}^{k-1} (1-q)^i
    return run_cost[:, None] * surv + (lam * c_new)[:, None] * cum


def commitment_rates(
    cases: pd.DataFrame,
    as_of: str | pd.Timestamp,
    by: Sequence[str] = ("municipality_code", "function_code"),
    lookback_months: int = 12,
) -> pd.DataFrame:
    """The quantities behind the disposition forecast, per group, as of the end of the month of ``as_of``.

    Parameters
    ----------
    cases : pandas.DataFrame
        The cases table (``start_date``, ``end_date``, ``monthly_cost_dkk``) with the ``by`` columns.
    as_of : str or pandas.Timestamp
        Any date in the origin month; everything up to the end of that month counts as known.
    by : sequence of str
        Grouping columns (a series is one group).
    lookback_months : int
        Window (months) for the start and exit rates.

    Returns
    -------
    pandas.DataFrame
        Indexed by the groups: ``running_cases``, ``running_cost_dkk`` (DKK per month), ``planned_cost_dkk``
        (the part of it from cases with a planned end after the origin), ``starts_per_month``,
        ``start_cost_dkk`` (mean DKK per month of a new case), ``exit_rate`` (monthly probability).
    """
    prep = _Prepared(cases, list(by))
    ts = pd.Timestamp(as_of)
    t = ts.year * 12 + ts.month - 1
    run_cost, n_running, lam, c_new, q = prep.rates(t, lookback_months)
    return pd.DataFrame(
        {
            "running_cases": n_running,
            "running_cost_dkk": run_cost,
            "planned_cost_dkk": run_cost - prep.open_cost,
            "starts_per_month": lam,
            "start_cost_dkk": c_new,
            "exit_rate": q,
        },
        index=prep.group_index,
    )


def commitments(
    cases: pd.DataFrame,
    as_of: str | pd.Timestamp,
    months_ahead: int | None = None,
    by: Sequence[str] = ("municipality_code", "function_code"),
    lookback_months: int = 12,
) -> pd.DataFrame:
    """Expected spending (DKK) of each month after the month of ``as_of``, per group.

    Parameters
    ----------
    cases : pandas.DataFrame
        The cases table with the ``by`` columns.
    as_of : str or pandas.Timestamp
        Any date in the origin month (known: everything up to that month's end).
    months_ahead : int, optional
        Months to forecast; default: the rest of the calendar year (``12 - month``).
    by : sequence of str
        Grouping columns.
    lookback_months : int
        Window (months) for the start and exit rates.

    Returns
    -------
    pandas.DataFrame
        Indexed by the groups, one column per forecast month (``pandas.Period``), values in DKK.
    """
    ts = pd.Timestamp(as_of)
    if months_ahead is None:
        months_ahead = 12 - ts.month
    prep = _Prepared(cases, list(by))
    t = ts.year * 12 + ts.month - 1
    _, _, lam, c_new, q = prep.rates(t, lookback_months)
    path = _paths(prep.open_cost, lam, c_new, q, months_ahead) + prep.planned_paid(t, months_ahead)
    cols = pd.period_range(ts.to_period("M") + 1, periods=months_ahead, freq="M")
    return pd.DataFrame(path, index=prep.group_index, columns=cols)


def commitment_paths(
    cases: pd.DataFrame,
    keys: pd.DataFrame,
    years: Sequence[int],
    by: Sequence[str] = ("municipality_code", "function_code"),
    lookback_months: int = 12,
    ledger: pd.DataFrame | None = None,
) -> np.ndarray:
    """Disposition paths for every series, year and origin month, for back-testing.

    Parameters
    ----------
    cases : pandas.DataFrame
        The cases table with the ``by`` columns.
    keys : pandas.DataFrame
        One row per series with the ``by`` columns, in the order of the result.
    years : sequence of int
        Calendar years.
    by : sequence of str
        Grouping columns.
    lookback_months : int
        Window (months) for the start and exit rates.
    ledger : pandas.DataFrame, optional
        The ``ledger`` table (``year``, ``month``, ``spending_dkk`` with the ``by`` columns). With it, the
        commitments of origin ``m`` are divided by the explained share of months ``m+1..12`` of the year
        before (:func:`scaling_share`, :func:`scale_factors`; see the module docstring).

    Returns
    -------
    numpy.ndarray
        Shape ``(S, Y, 11, 12)``: for origin month ``m`` (index ``m - 1``) the expected DKK of months
        ``m+1..12`` in columns ``m..11``, NaN elsewhere; zeros for series without any case.
    """
    prep = _Prepared(cases, list(by))
    pos = prep.group_index.get_indexer(pd.MultiIndex.from_frame(keys[list(by)]))
    s, y = len(keys), len(years)
    out = np.full((s, y, 11, 12), np.nan)
    has = pos >= 0
    factors = np.ones((s, y, 11))
    if ledger is not None:
        factors = scale_factors(_explained_shares(prep, pos, keys, ledger, years, list(by)))
    for yi, year in enumerate(years):
        for m in range(1, 12):
            t = year * 12 + m - 1
            _, _, lam, c_new, q = prep.rates(t, lookback_months)
            path = _paths(prep.open_cost, lam, c_new, q, 12 - m) + prep.planned_paid(t, 12 - m)
            block = np.zeros((s, 12 - m))
            block[has] = path[pos[has]]
            out[:, yi, m - 1, m:] = block * factors[:, yi, m - 1, None]
    return out


def _explained_shares(
    prep: _Prepared,
    pos: np.ndarray,
    keys: pd.DataFrame,
    ledger: pd.DataFrame,
    years: Sequence[int],
    by: list[str],
) -> np.ndarray:
    """The scaling share of each series, year and origin m = 1..11: shape ``(S, Y, 11)``, NaN if none booked.

    The cases' payments over the booked spending of months ``m+1..12`` of the year before (see
    :func:`scaling_share`), by the actual dates as in :func:`reconcile`.
    """
    s, y = len(keys), len(years)
    has = pos >= 0
    cost = np.nan_to_num(prep.cost)  # a case without a cost pays 0, as in reconcile
    before = [int(v) - 1 for v in years]
    paid = np.zeros((s, y, 12))
    for yi, year in enumerate(before):
        for m in range(1, 13):
            t = year * 12 + m - 1
            paying = (prep.start <= t) & (prep.end >= t)  # a missing end is far in the future
            g = np.bincount(prep.code[paying], weights=cost[paying], minlength=prep.n_groups)
            paid[has, yi, m - 1] = g[pos[has]]
    led = ledger[ledger["year"].isin(before)]
    wide = led.pivot_table(
        index=by, columns=["year", "month"], values="spending_dkk", aggfunc="sum", observed=True
    )
    wide = wide.reindex(columns=pd.MultiIndex.from_product([before, range(1, 13)]))
    rows = pd.MultiIndex.from_frame(keys[by]) if len(by) > 1 else pd.Index(keys[by[0]])
    booked = wide.reindex(rows).to_numpy(dtype=float, na_value=0.0).reshape(s, y, 12)
    booked = np.nan_to_num(booked)
    # months m+1..12: the sum from the end backwards, shifted by one
    paid_rest = np.cumsum(paid[:, :, ::-1], axis=2)[:, :, ::-1][:, :, 1:]
    booked_rest = np.cumsum(booked[:, :, ::-1], axis=2)[:, :, ::-1][:, :, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(booked_rest > 0, paid_rest / np.where(booked_rest > 0, booked_rest, 1.0), np.nan)


def scaling_share(
    cases: pd.DataFrame,
    ledger: pd.DataFrame,
    year: int,
    month: int,
    by: Sequence[str] = ("municipality_code", "function_code"),
) -> pd.DataFrame:
    """The explained share the disposition of ``year`` as of ``month`` is scaled by, per area.

    The share of the booked spending the cases explained in the months still to come, a year earlier: months
    ``month+1..12`` of ``year - 1`` (:func:`reconcile` of that year, :func:`explained_share` of those months).
    The same months, because the share moves with the season: on the sample the cases explain 94-98 % of January
    to the origin but 80-88 % of the last months (year-end postings outside the cases), so the share of the
    months booked this year would scale too little.

    Returns
    -------
    pandas.DataFrame
        Indexed by the ``by`` columns: ``booked_dkk``, ``cases_dkk``, ``months``, ``share`` (NaN where nothing
        was booked), ``factor`` (:func:`scale_factors`) and ``scaling`` (:func:`scaling`).
    """
    if not 1 <= month <= 11:
        raise ValueError(f"month must be 1-11, got {month}")
    rec = reconcile(cases, ledger, year - 1, through_month=12, by=by)
    out = explained_share(rec[rec["month"] > month], by=by)
    out["factor"] = scale_factors(out["share"])
    out["scaling"] = [scaling(v) for v in out["share"]]
    return out


def scale_factors(share: np.ndarray | pd.Series | float) -> np.ndarray:
    """The factor the disposition's commitments are multiplied by: ``1 / share``, or 1 where not scaled.

    Not scaled (factor 1) where the share is missing, below :data:`MIN_EXPLAINED_SHARE` or above
    :data:`MAX_EXPLAINED_SHARE`.

    Examples
    --------
    >>> scale_factors(np.array([0.8, 0.4, 1.2, np.nan])).tolist()
    [1.25, 1.0, 1.0, 1.0]
    """
    a = np.asarray(share, dtype=float)
    ok = np.isfinite(a) & (a >= MIN_EXPLAINED_SHARE) & (a <= MAX_EXPLAINED_SHARE)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, 1.0 / np.where(ok, a, 1.0), 1.0)


def scaling(share: float | None) -> str:
    """Whether the disposition of an area with this explained share is scaled.

    Returns
    -------
    str
        ``'scaled'``, ``'too_low'`` (below :data:`MIN_EXPLAINED_SHARE`), ``'too_high'`` (above
        :data:`MAX_EXPLAINED_SHARE`) or ``'none'`` (no share: nothing booked, or no cases).
    """
    if share is None or not np.isfinite(share):
        return "none"
    if share < MIN_EXPLAINED_SHARE:
        return "too_low"
    return "too_high" if share > MAX_EXPLAINED_SHARE else "scaled"


def scaling_text_da(share: float | None) -> str:
    """The Danish statement of the explained share and what the disposition did with it.

    Examples
    --------
    >>> scaling_text_da(0.88)
    'sagerne forklarer 88 % af det bogførte; prognosen er opregnet med det'
    >>> scaling_text_da(0.42)
    'sagerne forklarer 42 % af det bogførte, under mindstegrænsen på 50 %; prognosen er ikke opregnet'
    """
    status = scaling(share)
    if status == "none":
        return "sagerne kan ikke afstemmes med det bogførte; prognosen er ikke opregnet"
    said = f"sagerne forklarer {fmt_pct(share, 0)} af det bogførte"
    if status == "scaled":
        return f"{said}; prognosen er opregnet med det"
    if status == "too_low":
        return (
            f"{said}, under mindstegrænsen på {fmt_pct(MIN_EXPLAINED_SHARE, 0)}; prognosen er ikke opregnet"
        )
    return f"{said}, over grænsen på {fmt_pct(MAX_EXPLAINED_SHARE, 0)}; prognosen er ikke opregnet"


def case_months(
    cases: pd.DataFrame,
    year: int,
    month: int,
    by: Sequence[str] = ("municipality_code", "function_code"),
    lookback_months: int = 12,
) -> pd.DataFrame:
    """Case-months (cases x months paid) of last year and this year, as known at the end of ``month`` of ``year``.

    The quantity side of the disposition: a case counts once for every month it is paid (its start and end
    months in full), under the same rules as the commitments (a case is known once it has started; an end
    date after the origin is not yet known, so the case counts as running; the remaining months are expected
    from the running cases and the recent start and exit rates).

    Parameters
    ----------
    cases : pandas.DataFrame
        The cases table (``start_date``, ``end_date``) with the ``by`` columns.
    year : int
        The current year.
    month : int
        Origin month (1-12): January..month of ``year`` have passed.
    by : sequence of str
        Grouping columns.
    lookback_months : int
        Window (months) for the start and exit rates.

    Returns
    -------
    pandas.DataFrame
        Indexed by the groups: ``last_year`` (case-months paid in ``year - 1``), ``booked`` (in January..month
        of ``year``), ``expected_rest`` (expected in the months after ``month``; 0 after December) and
        ``year_total`` (``booked + expected_rest``).
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    prep = _Prepared(cases, list(by))
    g = prep.n_groups
    t = year * 12 + month - 1
    known = prep.start <= t
    end = np.where(known & (prep.end <= t), prep.end, _FAR)

    def paid(first: int, last: int) -> np.ndarray:
        n = np.clip(np.minimum(end, last) - np.maximum(prep.start, first) + 1, 0, None)
        return np.bincount(prep.code[known], weights=n[known].astype(float), minlength=g)

    last_year = paid((year - 1) * 12, (year - 1) * 12 + 11)
    booked = paid(year * 12, t)
    _, _, lam, _, q = prep.rates(t, lookback_months)
    open_ = prep.open_mask(t)
    n_open = np.bincount(prep.code[open_], minlength=g).astype(float)
    ones = np.ones(len(prep.cost))
    rest = (
        _paths(n_open, lam, np.ones(g), q, 12 - month) + prep.planned_paid(t, 12 - month, weights=ones)
    ).sum(axis=1)
    return pd.DataFrame(
        {"last_year": last_year, "booked": booked, "expected_rest": rest, "year_total": booked + rest},
        index=prep.group_index,
    )


def _months_of(dates: pd.Series) -> np.ndarray:
    """Month index (year * 12 + month - 1) of each date; -1 for a missing date."""
    idx = _month_index(dates)
    return np.where(idx >= _FAR, -1, idx)


def register(
    cases: pd.DataFrame,
    year: int,
    month: int,
    expectations: pd.DataFrame | None = None,
    by: Sequence[str] = ("municipality_code", "function_code"),
) -> pd.DataFrame:
    """The disposition register: the commitments of the rest of ``year``, case by case, as of the end of ``month``.

    A case is running when it started in or before ``month`` of ``year`` and has no end date in or before it (a
    later end date is not yet known, as in :func:`commitments`). It pays its monthly cost for every month from
    ``month + 1`` to its planned end (``planned_end_date``, when after the origin) or December. The managers'
    expectations (table ``expectations``, only those entered by the end of ``month``; an empty ``entered_date``
    counts as known) add signed lines:

    - ``start``: ``cases`` x ``monthly_cost_dkk`` for every month from the start month (or ``month + 1``) to
      December;
    - ``end`` of a named case: minus its monthly cost for the months after the end month up to where the case
      would otherwise have stopped; of unnamed cases: minus ``cases`` x ``monthly_cost_dkk`` for the months after
      the end month to December;
    - ``change`` of a named case: ``monthly_cost_dkk`` (the change, DKK per month) for the months from the change
      month (or ``month + 1``) to where the case stops (its planned or expected end, or December); of an area:
      the change for the months from the change month to December.

    A named end or change whose case is not running gets 0 months and ``matched`` False.

    Parameters
    ----------
    cases : pandas.DataFrame
        The cases table (``case_id``, ``start_date``, ``end_date``, ``monthly_cost_dkk``, optionally
        ``planned_end_date``) with the ``by`` columns; cases without a cost count with 0.
    year : int
        The year.
    month : int
        The origin (1-12): January..month are booked.
    expectations : pandas.DataFrame, optional
        The ``expectations`` table (``kind``, ``date``, ``case_id``, ``cases``, ``monthly_cost_dkk``,
        ``entered_date``) with the ``by`` columns.
    by : sequence of str
        The area's columns.

    Returns
    -------
    pandas.DataFrame
        One row per running case and per expectation: the ``by`` columns, ``line`` (``case``, ``start``,
        ``end``, ``change``), ``case_id``, ``cases``, ``monthly_cost_dkk`` (DKK per month; for a named end the
        case's cost), ``planned_end_date``, ``months`` (months counted), ``commitment_dkk`` (DKK, signed) and
        ``matched``.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    by = list(by)
    t = year * 12 + month - 1
    dec = year * 12 + 11
    start = _months_of(cases["start_date"])
    end = _months_of(cases["end_date"])
    planned = (
        _months_of(cases["planned_end_date"])
        if "planned_end_date" in cases.columns
        else np.full(len(cases), -1)
    )
    running = (start <= t) & ~((end >= 0) & (end <= t))
    run = cases[running]
    last = np.where(planned[running] > t, np.minimum(planned[running], dec), dec)  # last month paid
    cost = run["monthly_cost_dkk"].fillna(0.0).to_numpy(dtype=float)
    months = np.maximum(last - t, 0)
    out = (
        run[by]
        .reset_index(drop=True)
        .assign(
            line="case",
            case_id=run["case_id"].to_numpy() if "case_id" in run.columns else None,
            cases=1,
            monthly_cost_dkk=cost,
            planned_end_date=run["planned_end_date"].to_numpy()
            if "planned_end_date" in run.columns
            else pd.NaT,
            months=months,
            commitment_dkk=cost * months,
            matched=True,
        )
    )
    if expectations is None or expectations.empty:
        return out
    ex = expectations.copy()
    entered = _months_of(ex["entered_date"]) if "entered_date" in ex.columns else np.full(len(ex), -1)
    ex = ex[entered <= t].reset_index(drop=True)
    when = _months_of(ex["date"])
    in_year = (when >= year * 12) & (when <= dec)
    ex, when = ex[in_year].reset_index(drop=True), when[in_year]
    # where each running case stops: planned end or December, or earlier when an end is expected
    key = [*by, "case_id"]
    case_last = pd.Series(last, index=pd.MultiIndex.from_frame(out[key]))
    case_cost = pd.Series(cost, index=case_last.index)
    named_end = ex[(ex["kind"] == "end") & ex["case_id"].notna()]
    stop = case_last.copy()
    if not named_end.empty:
        e_idx = pd.MultiIndex.from_frame(named_end[key])
        e_month = pd.Series(when[named_end.index], index=e_idx).groupby(level=list(range(len(key)))).min()
        e_month = e_month[e_month.index.isin(stop.index)]
        stop.loc[e_month.index] = np.minimum(stop.loc[e_month.index].to_numpy(), e_month.to_numpy())
    rows = []
    for i, r in ex.iterrows():
        w = int(when[i])
        n = int(r.get("cases", 1) or 1)
        c = float(r["monthly_cost_dkk"]) if pd.notna(r["monthly_cost_dkk"]) else np.nan
        named = pd.notna(r["case_id"])
        matched = True
        ident = tuple(r[k] for k in key)
        if r["kind"] == "start":
            m = max(dec - max(w, t + 1) + 1, 0)
            amount = n * c * m
        elif r["kind"] == "end" and named:
            if ident in case_last.index:
                c = float(case_cost.loc[ident])
                m = max(int(case_last.loc[ident]) - max(w, t), 0)
            else:
                matched, m = False, 0
            amount = -c * m if matched else 0.0
        elif r["kind"] == "end":
            m = max(dec - max(w, t), 0)
            amount = -n * c * m
        else:  # change
            if named and ident in stop.index:
                m = max(int(stop.loc[ident]) - max(w, t + 1) + 1, 0)
            elif named:
                matched, m = False, 0
            else:
                m = max(dec - max(w, t + 1) + 1, 0)
            amount = n * c * m
        rows.append(
            {
                **{k: r[k] for k in by},
                "line": r["kind"],
                "case_id": r["case_id"] if named else None,
                "cases": n,
                "monthly_cost_dkk": c,
                "planned_end_date": pd.NaT,
                "months": m,
                "commitment_dkk": float(amount),
                "matched": matched,
            }
        )
    return pd.concat([out, pd.DataFrame(rows, columns=out.columns)], ignore_index=True)


def register_summary(
    reg: pd.DataFrame, by: Sequence[str] = ("municipality_code", "function_code")
) -> pd.DataFrame:
    """The register (:func:`register`) per area.

    Returns
    -------
    pandas.DataFrame
        Indexed by the ``by`` columns: ``running_cases``, ``cases_dkk`` (the running cases' commitments),
        ``starts_dkk``, ``ends_dkk`` (negative), ``changes_dkk`` and ``commitment_dkk`` (their sum), in DKK.
    """
    by = list(by)
    piv = reg.pivot_table(index=by, columns="line", values="commitment_dkk", aggfunc="sum", fill_value=0.0)
    piv = piv.reindex(columns=["case", "start", "end", "change"], fill_value=0.0)
    n = reg[reg["line"] == "case"].groupby(by).size()
    out = pd.DataFrame(
        {
            "running_cases": n.reindex(piv.index, fill_value=0).astype(int),
            "cases_dkk": piv["case"],
            "starts_dkk": piv["start"],
            "ends_dkk": piv["end"],
            "changes_dkk": piv["change"],
        }
    )
    out["commitment_dkk"] = out[["cases_dkk", "starts_dkk", "ends_dkk", "changes_dkk"]].sum(axis=1)
    return out


def reconcile(
    cases: pd.DataFrame,
    ledger: pd.DataFrame,
    year: int,
    through_month: int = 12,
    by: Sequence[str] = ("municipality_code", "function_code"),
) -> pd.DataFrame:
    """The booked spending against the cases' payments, month by month (afstemning).

    A case pays its monthly cost in every month from its start month to its end month (both in full; to the
    end of the year while running), by the actual dates: the months compared are booked, so their ends are
    known. Cases without a cost count 0.

    Parameters
    ----------
    cases : pandas.DataFrame
        The cases table with the ``by`` columns.
    ledger : pandas.DataFrame
        The ``ledger`` table (``year``, ``month``, ``spending_dkk``) with the ``by`` columns.
    year : int
        The year.
    through_month : int
        The last month compared (1-12).
    by : sequence of str
        The area's columns.

    Returns
    -------
    pandas.DataFrame
        One row per area and booked month 1..``through_month``: the ``by`` columns, ``month``, ``booked_dkk``,
        ``cases_dkk`` (the cases' payments), ``paying_cases`` and ``share`` (``cases_dkk / booked_dkk``; NaN
        where nothing was booked).
    """
    by = list(by)
    led = ledger[(ledger["year"] == year) & (ledger["month"] <= through_month)]
    booked = led.groupby([*by, "month"])["spending_dkk"].sum()
    start = _months_of(cases["start_date"])
    end = _months_of(cases["end_date"])
    end = np.where(end < 0, _FAR, end)
    cost = cases["monthly_cost_dkk"].fillna(0.0).to_numpy(dtype=float)
    keys = cases[by].reset_index(drop=True)
    parts = []
    for m in range(1, through_month + 1):
        t = year * 12 + m - 1
        paying = (start <= t) & (end >= t)
        k = keys[paying].assign(month=m, cases_dkk=cost[paying], paying_cases=1)
        parts.append(k)
    paid = pd.concat(parts, ignore_index=True).groupby([*by, "month"])[["cases_dkk", "paying_cases"]].sum()
    out = pd.concat([booked.rename("booked_dkk"), paid.reindex(booked.index)], axis=1).sort_index()
    out["cases_dkk"] = out["cases_dkk"].fillna(0.0)
    out["paying_cases"] = out["paying_cases"].fillna(0).astype(int)
    booked_v = out["booked_dkk"]
    out["share"] = (out["cases_dkk"] / booked_v.where(booked_v != 0)).astype(float)
    return out.reset_index()


def explained_share(
    rec: pd.DataFrame, by: Sequence[str] = ("municipality_code", "function_code")
) -> pd.DataFrame:
    """The share of the booked spending the cases explain over the months of :func:`reconcile`, per area.

    Returns
    -------
    pandas.DataFrame
        Indexed by the ``by`` columns: ``booked_dkk``, ``cases_dkk``, ``months`` and ``share``
        (``cases_dkk / booked_dkk``; NaN where nothing was booked).
    """
    g = rec.groupby(list(by))
    out = pd.DataFrame(
        {"booked_dkk": g["booked_dkk"].sum(), "cases_dkk": g["cases_dkk"].sum(), "months": g["month"].count()}
    )
    out["share"] = out["cases_dkk"] / out["booked_dkk"].where(out["booked_dkk"] != 0)
    return out
