"""Disposition (disponering): the year's remaining spending from the cases known at a date.

As of the end of month ``T`` (the origin), with monthly granularity:

- A case is *known* when it started in or before ``T``. It is *running* when it is known and has no end date
  in or before ``T``. An end date after ``T`` is treated as unknown at ``T`` (the case counts as running): the
  extract holds actual ends, and using them would be look-ahead.
- Running cases pay their monthly cost (``monthly_cost_dkk``, DKK per month) from month ``T + 1``.
- **Expected ends**: the monthly exit probability ``q`` is the number of cases that ended in the last
  ``lookback_months`` months (``T - L + 1 .. T``) divided by the case-months at risk in that window (each
  case's months of payment within the window). A case pays month ``T + k`` with probability
  ``(1 - q)^(k - 1)`` (its end month is paid in full).
- **Expected starts**: ``lambda`` = starts in the window / ``L`` per month, each at the mean monthly cost of
  those starts, starting at the beginning of a month and ending at rate ``q`` like the others.

So the expected spending of month ``T + k`` is
``C_run (1 - q)^(k - 1) + lambda * c_new * sum_{i=0}^{k-1} (1 - q)^i``,
with ``C_run`` the monthly cost of the running cases and ``c_new`` the mean monthly cost of recent starts.
Part-months (a start or end in the middle of a month) are not prorated, and spending outside the cases table
(overheads, non-case postings) is not included: the ledger's booked months are added by the caller.

The cases table carries the function a case is paid on in its optional ``function_code`` column (the default
``by`` groups by municipality and function); cases without one belong to no series. Where the column is empty,
the caller can derive it (e.g. from the paragraph, see the ``function_areas`` table) or pass other ``by``
columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["case_months", "commitment_paths", "commitment_rates", "commitments"]

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

    def rates(self, t: int, lookback: int):
        """Running cost, starts per month, mean start cost and exit probability per group at month ``t``."""
        g = self.n_groups
        known = self.start <= t
        ended_known = known & (self.end <= t)
        running = known & ~ended_known
        run_cost = np.bincount(self.code[running], weights=self.cost[running], minlength=g)
        n_running = np.bincount(self.code[running], minlength=g)
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
        Indexed by the groups: ``running_cases``, ``running_cost_dkk`` (DKK per month), ``starts_per_month``,
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
    r = commitment_rates(cases, ts, by, lookback_months)
    path = _paths(
        r["running_cost_dkk"].to_numpy(),
        r["starts_per_month"].to_numpy(),
        r["start_cost_dkk"].to_numpy(),
        r["exit_rate"].to_numpy(),
        months_ahead,
    )
    cols = pd.period_range(ts.to_period("M") + 1, periods=months_ahead, freq="M")
    return pd.DataFrame(path, index=r.index, columns=cols)


def commitment_paths(
    cases: pd.DataFrame,
    keys: pd.DataFrame,
    years: Sequence[int],
    by: Sequence[str] = ("municipality_code", "function_code"),
    lookback_months: int = 12,
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
    for yi, year in enumerate(years):
        for m in range(1, 12):
            run_cost, _, lam, c_new, q = prep.rates(year * 12 + m - 1, lookback_months)
            path = _paths(run_cost, lam, c_new, q, 12 - m)
            block = np.zeros((s, 12 - m))
            block[has] = path[pos[has]]
            out[:, yi, m - 1, m:] = block
    return out


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
    _, n_running, lam, _, q = prep.rates(t, lookback_months)
    rest = _paths(n_running.astype(float), lam, np.ones(g), q, 12 - month).sum(axis=1)
    return pd.DataFrame(
        {"last_year": last_year, "booked": booked, "expected_rest": rest, "year_total": booked + rest},
        index=prep.group_index,
    )
