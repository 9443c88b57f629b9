"""The year-end distribution of the realised gain among the sector budgets (the Albertslund model)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.crosssector.costs import SECTORS, TOTAL, _ordinal, _ordinals, _window_sums

#: Rules of the year-end distribution: in proportion to each sector's baseline, or to where the savings arose.
DISTRIBUTION_RULES = ("baseline_share", "savings")


def largest_remainder(total: int, weights: pd.Series) -> pd.Series:
    """Split a whole amount in proportion to ``weights``, in whole units that add up to it exactly.

    Each part gets the whole part of its quota (``total x weight / sum of weights``, rounded toward zero); the
    units left go one each to the parts with the largest remainders (ties: the earlier part). A negative total
    is split as its absolute value, with the sign put back.

    Parameters
    ----------
    total : int
        The amount to split (e.g. whole kroner).
    weights : pandas.Series
        Non-negative weights; at least one positive unless ``total`` is 0.

    Returns
    -------
    pandas.Series
        Whole amounts (int), same index, adding up to ``total``.

    Examples
    --------
    >>> largest_remainder(100, pd.Series({"a": 1, "b": 1, "c": 1})).tolist()
    [34, 33, 33]
    >>> largest_remainder(-10, pd.Series({"a": 3, "b": 1})).tolist()
    [-8, -2]
    """
    total = int(total)
    w = weights.astype(float)
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and not negative")
    if w.sum() <= 0:
        if total == 0:
            return pd.Series(0, index=weights.index, dtype=int)
        raise ValueError("cannot split a non-zero total by weights that are all zero")
    sign, amount = (1 if total >= 0 else -1), abs(total)
    # the whole parts and the units left are integers, so the parts add up exactly; remainders are compared
    # to 12 decimals so that float noise cannot reorder equal remainders (ties go to the earlier part)
    quota = amount * w / w.sum()
    base = np.floor(quota).astype(int)
    left = amount - int(base.sum())
    remainder = (quota - base).to_numpy()
    order = sorted(range(len(w)), key=lambda i: (-round(remainder[i], 12), i))
    for i in order[:left]:
        base.iloc[i] += 1
    return (sign * base).astype(int)


def _months_in_year(members: pd.DataFrame, year: int, end_o: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last month ordinal of each member's membership within ``year`` (last < first: none)."""
    first = np.array([max(_ordinal(j), year * 12) for j in members["joined"]])
    left = [year * 12 + 11 if pd.isna(x) else _ordinal(x) for x in members["left"]]
    last = np.minimum(np.minimum(np.array(left), year * 12 + 11), end_o)
    return first, last


def year_end_distribution(
    costs: pd.DataFrame,
    members: pd.DataFrame,
    year: int,
    *,
    rule: str = "baseline_share",
    months: int = 12,
    end: str | pd.Period | None = None,
) -> pd.DataFrame:
    """The retrospective distribution of a year's realised net gain among the sector budgets (Albertslund).

    For each member and each month of ``year`` in which the person was a member (from the month of joining to
    the month of leaving), the baseline is the member's mean monthly cost per sector in the ``months`` months
    before joining (nulpunktsmålingen); the actual is the cost in that month. A sector's realised gain is its
    baseline less its actual over the year, rounded to whole kroner; the net gain is the sum of the sectors'
    gains. The net gain is then shared among the sectors by ``rule``, in whole kroner that add up to it exactly
    (:func:`largest_remainder`):

    ``'baseline_share'``
        In proportion to each sector's baseline: every sector ends with the same share of its baseline.
    ``'savings'``
        In proportion to where the savings arose: to the sectors with a gain, in proportion to it (a sector
        whose costs rose gets none, i.e. its extra cost is covered). A net loss is shared in proportion to where
        the costs rose.

    The transfer is a sector's share less its own realised gain: what it receives from (positive) or hands to
    (negative) the others; the transfers add up to 0 kroner.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    members : pandas.DataFrame
        person_id, joined, left.
    year : int
        The accounting year.
    rule : {'baseline_share', 'savings'}
        The distribution rule.
    months : int, default 12
        Months of the baseline.
    end : str or pandas.Period, optional
        Last month of the data (default: the latest in ``costs``); later months of the year are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by sector and ``'total'``: persons (members with a cost in the sector in the baseline or the
        year; the total counts members in the programme in the year), member_months (months), baseline_dkk,
        actual_dkk (DKK), gain_dkk, share_dkk, transfer_dkk (whole DKK; the total row holds the sums).
    """
    if rule not in DISTRIBUTION_RULES:
        raise ValueError(f"rule must be one of {', '.join(DISTRIBUTION_RULES)}, found {rule!r}")
    end_o = _ordinal(end) if end is not None else int(_ordinals(costs["month"]).max())
    first, last = _months_in_year(members, year, end_o)
    active = last >= first
    mem = members.loc[active].reset_index(drop=True)
    first, last = first[active], last[active]
    ref = np.array([_ordinal(j) for j in mem["joined"]], dtype=int)
    base = _window_sums(costs, mem, ref - months, ref - 1) / months * (last - first + 1)[:, None]
    act = _window_sums(costs, mem, first, last)
    gain = np.round(base.sum(axis=0)) - np.round(act.sum(axis=0))
    out = pd.DataFrame(
        {
            "persons": ((base > 0) | (act > 0)).sum(axis=0),
            "member_months": int((last - first + 1).sum()),
            "baseline_dkk": np.round(base.sum(axis=0)),
            "actual_dkk": np.round(act.sum(axis=0)),
            "gain_dkk": gain,
        },
        index=pd.Index(SECTORS, name="sector"),
    )
    net = int(gain.sum())
    if rule == "baseline_share" or net == 0:
        weights = out["baseline_dkk"].clip(lower=0)
    else:
        weights = (out["gain_dkk"] * (1 if net > 0 else -1)).clip(lower=0)
    out["share_dkk"] = largest_remainder(net, weights)
    out["transfer_dkk"] = out["share_dkk"] - out["gain_dkk"]
    out.loc[TOTAL] = out.sum()
    out.loc[TOTAL, ["persons", "member_months"]] = [len(mem), int((last - first + 1).sum())]
    for col in out.columns:
        out[col] = out[col].astype("int64")
    return out
