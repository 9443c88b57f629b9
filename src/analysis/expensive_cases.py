"""Particularly expensive single cases (særligt dyre enkeltsager) and the state refund of serviceloven § 176.

Pure pandas: the functions take the ``cases`` table (pseudonyms, never CPR numbers) and the refund thresholds as
arguments (``parameters/refund_thresholds.yaml``, read by :func:`analysis.data.thresholds.read_refund_tiers`)
and return frames. Nothing here reads files.

Conventions
-----------
- **Cost of a person in a year** (DKK): the sum over the person's cases of ``monthly_cost_dkk`` times the months
  of the year the case runs, each month counted by the share of its days the case covers (a case from 1 March
  to 31 December runs 10 months; from 16 June to 30 June half of June). A case without an end date runs to the end
  of the year.
- **Unknown cost**: cases without a monthly cost (``monthly_cost_dkk`` missing) are left out of the costs and
  counted (``cases_without_cost``); a person's cost is then a lower bound.
- **Expensive**: a person whose cost in the year is above the threshold (default 2 mio. kr.), as the reports of
  the field count them ("sager over 2 mio. kr. årligt"). § 176 speaks of the costs "for en person ... i en konkret
  sag", so the unit is the person, not the single case record.
- **Refund** (§ 176, stk. 1): the state refunds a marginal rate of the part of the yearly cost per person above
  each threshold: with tiers ``(t1, 25 %), (t2, 50 %), (t3, 75 %)`` the refund is
  ``0.25 x (min(c, t2) - t1)+ + 0.50 x (min(c, t3) - t2)+ + 0.75 x (c - t3)+``. The scheme covers persons under
  67 (and some older, stk. 3); the cases hold no age, so every person is treated as covered, and the refund is an
  upper bound where older citizens are among them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_THRESHOLD_DKK", "expensive_summary", "person_costs", "refund"]

DEFAULT_THRESHOLD_DKK = 2_000_000.0
"""A case is particularly expensive above 2 mio. kr. a year."""


def person_costs(cases: pd.DataFrame, year: int, main_function: str | None = None) -> pd.DataFrame:
    """Each person's cost in one year, summed over their cases.

    Parameters
    ----------
    cases : pandas.DataFrame
        Table ``cases``: ``person_id``, ``start_date``, ``end_date`` (missing while running), ``monthly_cost_dkk``
        (DKK a month; missing when unknown).
    year : int
        The calendar year.
    main_function : str, optional
        Keep only the cases paid on a function under this main function (``function_code`` starting with
        ``'5.38.'``); cases without a function code are then left out. Default: all cases given.

    Returns
    -------
    pandas.DataFrame
        One row per person with a case running in the year and a known cost: ``person_id``, ``cost_dkk`` (DKK in
        the year), ``months`` (months of case, summed over the person's cases), ``cases`` (number of cases). The
        attribute ``attrs['cases_without_cost']`` counts the running cases left out for want of a monthly cost.

    Raises
    ------
    ValueError
        If a column is missing, a monthly cost is negative, or a case ends before it starts (the first named).
    """
    needed = ("person_id", "start_date", "end_date", "monthly_cost_dkk")
    missing = [c for c in needed if c not in cases.columns]
    if missing:
        raise ValueError(f"cases is missing column(s): {', '.join(missing)}")
    if main_function is not None:
        if "function_code" not in cases.columns:
            raise ValueError(
                "cases is missing column function_code (needed to keep the cases of a main function)"
            )
        cases = cases[cases["function_code"].fillna("").astype(str).str.startswith(main_function + ".")]
    start = pd.to_datetime(cases["start_date"])
    end = pd.to_datetime(cases["end_date"])
    bad = end.notna() & (end < start)
    if bad.any():
        i = cases.index[bad.to_numpy()][0]
        raise ValueError(f"cases row {i}: end_date {end[i].date()} is before start_date {start[i].date()}")
    cost = pd.to_numeric(cases["monthly_cost_dkk"], errors="raise").astype(float)
    if (cost < 0).any():
        i = cases.index[(cost < 0).to_numpy()][0]
        raise ValueError(f"cases row {i}: monthly_cost_dkk is negative ({cost[i]})")
    year_end = pd.Timestamp(year, 12, 31)
    end = end.fillna(year_end)
    months = np.zeros(len(cases))
    for month in range(1, 13):
        first = pd.Timestamp(year, month, 1)
        last = first + pd.offsets.MonthEnd(0)
        overlap = (end.clip(upper=last) - start.clip(lower=first)).dt.days + 1
        months += (overlap.clip(lower=0) / last.day).to_numpy()
    running = months > 0
    known = cost.notna().to_numpy()
    frame = pd.DataFrame(
        {
            "person_id": cases["person_id"].to_numpy(),
            "months": months,
            "cost_dkk": cost.fillna(0).to_numpy() * months,
        }
    )[running & known]
    out = (
        frame.groupby("person_id", as_index=False)
        .agg(cost_dkk=("cost_dkk", "sum"), months=("months", "sum"), cases=("months", "size"))
        .sort_values(["cost_dkk", "person_id"], ascending=[False, True])
        .reset_index(drop=True)
    )
    out.attrs["cases_without_cost"] = int((running & ~known).sum())
    return out


def _check_tiers(tiers: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    tiers = [(float(t), float(r)) for t, r in tiers]
    if not tiers:
        raise ValueError("the refund tiers are empty: at least one (threshold, rate) is needed")
    thresholds = [t for t, _ in tiers]
    if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
        raise ValueError(f"the refund thresholds must rise strictly; got {thresholds}")
    for t, r in tiers:
        if t < 0 or not 0 <= r <= 1:
            raise ValueError(
                f"a refund tier needs a threshold >= 0 and a rate between 0 and 1; got ({t}, {r})"
            )
    return tiers


def refund(costs: pd.Series | Sequence[float], tiers: Sequence[tuple[float, float]]) -> pd.Series:
    """The § 176 refund of each yearly cost, with marginal rates above rising thresholds.

    Parameters
    ----------
    costs : pandas.Series or sequence of float
        Yearly costs per person, DKK.
    tiers : sequence of (threshold, rate)
        Thresholds in DKK a year, strictly rising, each with the rate (0-1) of the part of the cost between it and
        the next threshold (the last: above it).

    Returns
    -------
    pandas.Series
        The refund in DKK, aligned with ``costs``.

    Raises
    ------
    ValueError
        If the tiers are empty, not strictly rising, or a rate is outside 0-1.

    Examples
    --------
    >>> refund([1_000_000, 3_000_000], [(860_000, 0.25), (1_680_000, 0.50), (2_120_000, 0.75)]).tolist()
    [35000.0, 1085000.0]
    """
    tiers = _check_tiers(tiers)
    values = pd.Series(costs, dtype=float)
    out = pd.Series(0.0, index=values.index)
    for i, (threshold, rate) in enumerate(tiers):
        upper = tiers[i + 1][0] if i + 1 < len(tiers) else math.inf
        out += rate * (values.clip(upper=upper) - threshold).clip(lower=0)
    return out


def expensive_summary(
    costs: pd.DataFrame,
    tiers: Sequence[tuple[float, float]],
    threshold_dkk: float = DEFAULT_THRESHOLD_DKK,
) -> pd.DataFrame:
    """The expensive persons against all persons: count, cost, share, and the refund before and after.

    Parameters
    ----------
    costs : pandas.DataFrame
        :func:`person_costs` of one year (``person_id``, ``cost_dkk``).
    tiers : sequence of (threshold, rate)
        The § 176 refund tiers (see :func:`refund`).
    threshold_dkk : float, default 2 mio.
        A person is expensive when the cost in the year is above this, DKK.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``group`` ('expensive': cost above the threshold; 'refunded': any refund; 'all'): ``persons``
        (count), ``cost_dkk`` (before refund), ``refund_dkk``, ``net_cost_dkk`` (after refund), ``share_of_cost``
        (the group's cost before refund / all persons' cost, 0-1), ``share_of_persons`` (0-1). Counts are not
        suppressed here; the report suppresses groups of fewer than 5.

    Raises
    ------
    ValueError
        If ``threshold_dkk`` is negative, a column is missing, or as :func:`refund`.
    """
    if not threshold_dkk >= 0:
        raise ValueError(f"the threshold must be a non-negative amount in DKK; got {threshold_dkk}")
    missing = [c for c in ("person_id", "cost_dkk") if c not in costs.columns]
    if missing:
        raise ValueError(f"costs is missing column(s): {', '.join(missing)}")
    paid = refund(costs["cost_dkk"], tiers)
    total_cost, total_persons = float(costs["cost_dkk"].sum()), len(costs)
    groups = {
        "expensive": costs["cost_dkk"] > threshold_dkk,
        "refunded": paid > 0,
        "all": pd.Series(True, index=costs.index),
    }
    rows = []
    for group, mask in groups.items():
        cost, back = float(costs.loc[mask, "cost_dkk"].sum()), float(paid[mask].sum())
        rows.append(
            {
                "group": group,
                "persons": int(mask.sum()),
                "cost_dkk": cost,
                "refund_dkk": back,
                "net_cost_dkk": cost - back,
                "share_of_cost": cost / total_cost if total_cost > 0 else math.nan,
                "share_of_persons": int(mask.sum()) / total_persons if total_persons else math.nan,
            }
        )
    return pd.DataFrame(rows).set_index("group")
