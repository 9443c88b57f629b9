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
  ``0.25 x (min(c, t2) - t1)+ + 0.50 x (min(c, t3) - t2)+ + 0.75 x (c - t3)+``.
- **Age** (§ 176, stk. 1 and 3): the scheme covers persons under 67, and persons of 67 or more who were covered
  immediately before they turned 67 (stk. 3, for those who turned 67 on 1 January 2021 or later). A person's age in
  a year is the age on 1 January of the year (``age_at_start_year + (year - start year)`` of the person's cases, the
  largest should they disagree; see :func:`ages_on_1_january`). Status per person (:func:`refund_status`):
  ``under_67`` (covered; a person who turns 67 during the year is counted for the whole year: stk. 3 carries the
  months after the birthday when the person was covered before it); ``continued_after_67`` (67 or more, covered by
  stk. 3: the cases show a cost with a refund in the year the person turned 67, and that year is 2021 or later);
  ``age_67_or_more`` (not covered: no refund); ``age_unknown`` (no age in the cases: treated as covered, as before
  ages were recorded, so the refund is an upper bound for these). The stk. 3 test sees only the cases given: an
  extract without the earlier cases makes a covered person look uncovered (the refund is then a lower bound), and
  the year the person turned 67 is valued with the same tiers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import danish, privacy

__all__ = [
    "AGE_LIMIT",
    "CONTINUATION_FROM_YEAR",
    "DEFAULT_THRESHOLD_DKK",
    "REFUND_STATUSES",
    "ages_on_1_january",
    "expensive_summary",
    "not_refunded_for_age",
    "person_costs",
    "refund",
    "refund_age_text_da",
    "refund_status",
]

DEFAULT_THRESHOLD_DKK = 2_000_000.0
"""A case is particularly expensive above 2 mio. kr. a year."""

AGE_LIMIT = 67
"""§ 176, stk. 1 covers persons under 67 years of age."""

CONTINUATION_FROM_YEAR = 2021
"""§ 176, stk. 3 (from 1 January 2021) covers persons past 67 who turned 67 in this year or later."""

REFUND_STATUSES = ("under_67", "continued_after_67", "age_67_or_more", "age_unknown")
"""A person's standing in the scheme by age (see the module docstring); all but ``age_67_or_more`` are refunded."""


def ages_on_1_january(cases: pd.DataFrame, year: int) -> pd.Series:
    """Each person's age in whole years on 1 January of ``year``, from the cases' ``age_at_start_year``.

    Parameters
    ----------
    cases : pandas.DataFrame
        ``person_id``, ``start_date`` and ``age_at_start_year`` (years, on 1 January of the case's start year;
        missing where unknown). Without an ``age_at_start_year`` column every age is unknown.
    year : int
        The calendar year.

    Returns
    -------
    pandas.Series
        Indexed by ``person_id``: ``age_at_start_year + (year - start year)`` (years), the largest over the person's
        cases should they disagree; NaN where no case of the person has an age.

    Examples
    --------
    >>> cases = pd.DataFrame({"person_id": ["a", "a", "b"], "start_date": ["2020-03-01", "2024-01-01", "2025-01-01"],
    ...     "age_at_start_year": [60, 64, None]})
    >>> ages_on_1_january(cases, 2025).to_dict()  # a: 60 + 5 = 65 and 64 + 1 = 65
    {'a': 65.0, 'b': nan}
    """
    if "age_at_start_year" not in cases.columns:
        return pd.Series(np.nan, index=pd.Index(cases["person_id"].unique(), name="person_id"), dtype=float)
    start_year = pd.to_datetime(cases["start_date"]).dt.year
    age = pd.to_numeric(cases["age_at_start_year"], errors="coerce").astype(float) + (int(year) - start_year)
    return age.groupby(cases["person_id"].to_numpy()).max().rename_axis("person_id")


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
        the year), ``months`` (months of case, summed over the person's cases), ``cases`` (number of cases), ``age``
        (years on 1 January of the year, :func:`ages_on_1_january`; NaN where unknown) and, for a person of
        :data:`AGE_LIMIT` or more, ``year_turned_67`` and ``cost_year_turned_67_dkk`` (the person's cost in that
        year from the same cases, DKK; NaN for the others), which :func:`refund_status` needs for § 176, stk. 3. The
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
    out = _costs(cases, year)
    ages = ages_on_1_january(cases, year)
    out["age"] = out["person_id"].map(ages).astype(float)
    # the year the person turned 67: 66 on 1 January of it; the cost then tells whether stk. 3 carries the refund on
    turned = (int(year) - (out["age"] - (AGE_LIMIT - 1))).where(out["age"] >= AGE_LIMIT)
    out["year_turned_67"] = turned
    out["cost_year_turned_67_dkk"] = np.nan
    for then in sorted(turned.dropna().unique()):
        who = out["person_id"][turned == then]
        earlier = _costs(cases[cases["person_id"].isin(who)], int(then)).set_index("person_id")["cost_dkk"]
        out.loc[who.index, "cost_year_turned_67_dkk"] = who.map(earlier).fillna(0.0).to_numpy()
    return out


def _costs(cases: pd.DataFrame, year: int) -> pd.DataFrame:
    """:func:`person_costs` without the ages: person_id, cost_dkk, months, cases; attrs['cases_without_cost']."""
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


def refund_status(costs: pd.DataFrame, tiers: Sequence[tuple[float, float]]) -> pd.Series:
    """Each person's standing in the § 176 scheme by age (one of :data:`REFUND_STATUSES`; see the module docstring).

    Parameters
    ----------
    costs : pandas.DataFrame
        :func:`person_costs` of one year. Without an ``age`` column (costs made some other way) every person is
        ``age_unknown``.
    tiers : sequence of (threshold, rate)
        The § 176 refund tiers (see :func:`refund`): stk. 3 needs a refund in the year the person turned 67.

    Returns
    -------
    pandas.Series
        Aligned with ``costs``: ``'under_67'``, ``'continued_after_67'``, ``'age_67_or_more'`` or ``'age_unknown'``.
    """
    tiers = _check_tiers(tiers)
    status = pd.Series("age_unknown", index=costs.index, dtype=object)
    if "age" not in costs.columns:
        return status
    age = pd.to_numeric(costs["age"], errors="coerce")
    status[age < AGE_LIMIT] = "under_67"
    older = (age >= AGE_LIMIT).to_numpy()
    if older.any():
        then = refund(costs.loc[older, "cost_year_turned_67_dkk"].fillna(0.0), tiers)
        carried = (then > 0) & (costs.loc[older, "year_turned_67"] >= CONTINUATION_FROM_YEAR)
        status[older] = np.where(carried, "continued_after_67", "age_67_or_more")
    return status


def not_refunded_for_age(costs: pd.DataFrame, tiers: Sequence[tuple[float, float]]) -> pd.DataFrame:
    """The persons whose cost would have had a § 176 refund but who are 67 or more and not carried by stk. 3.

    Parameters
    ----------
    costs : pandas.DataFrame
        :func:`person_costs` of one year.
    tiers : sequence of (threshold, rate)
        The § 176 refund tiers (see :func:`refund`).

    Returns
    -------
    pandas.DataFrame
        ``person_id`` (pseudonym), ``age`` (years on 1 January), ``year_turned_67``, ``cost_dkk`` (DKK in the year)
        and ``refund_forgone_dkk`` (the refund the cost would have had under 67, DKK), largest cost first. Not
        suppressed: for the analyst; a report shows counts of at least 5 only.
    """
    status = refund_status(costs, tiers)
    would = refund(costs["cost_dkk"], tiers) if len(costs) else pd.Series(dtype=float)
    mask = (status == "age_67_or_more") & (would > 0)
    out = costs.loc[mask, ["person_id", "age", "year_turned_67", "cost_dkk"]].copy()
    out["refund_forgone_dkk"] = would[mask]
    return out.reset_index(drop=True)


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
        (the group's cost before refund / all persons' cost, 0-1), ``share_of_persons`` (0-1). Three more groups
        say what age did to the refund (:func:`refund_status`): ``'not_refunded_age'`` (a cost above the first
        threshold but 67 or more and not carried by stk. 3: refund 0; ``attrs['refund_forgone_dkk']`` is what they
        would have had), ``'refunded_after_67'`` (refunded under stk. 3) and ``'refunded_age_unknown'`` (refunded
        without a known age, as if under 67). Counts are not suppressed here; the report suppresses groups of fewer
        than 5.

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
    status = refund_status(costs, tiers)
    would = refund(costs["cost_dkk"], tiers)
    paid = would.where(status != "age_67_or_more", 0.0)
    total_cost, total_persons = float(costs["cost_dkk"].sum()), len(costs)
    groups = {
        "expensive": costs["cost_dkk"] > threshold_dkk,
        "refunded": paid > 0,
        "all": pd.Series(True, index=costs.index),
        "not_refunded_age": (status == "age_67_or_more") & (would > 0),
        "refunded_after_67": (status == "continued_after_67") & (paid > 0),
        "refunded_age_unknown": (status == "age_unknown") & (paid > 0),
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
    out = pd.DataFrame(rows).set_index("group")
    out.attrs["refund_forgone_dkk"] = float(would[groups["not_refunded_age"]].sum())
    return out


def refund_age_text_da(summary: pd.DataFrame, min_group: int = privacy.MIN_GROUP_FLOOR) -> str:
    """What age did to the § 176 refund, in Danish, for the report (counts below ``min_group`` not shown).

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`expensive_summary`.
    min_group : int
        The smallest number of citizens a sentence may state (:data:`analysis.privacy.MIN_GROUP_FLOOR` at least).

    Returns
    -------
    str
        One or more sentences; the amounts in mio. kr.

    Examples
    --------
    >>> s = pd.DataFrame({"persons": [6, 0, 2], "refund_dkk": [0.0, 0.0, 1e6]},
    ...     index=["not_refunded_age", "refunded_after_67", "refunded_age_unknown"])
    >>> s.attrs["refund_forgone_dkk"] = 2_500_000.0
    >>> print(refund_age_text_da(s))  # doctest: +NORMALIZE_WHITESPACE
    Ordningen gælder borgere under 67 år og borgere på 67 år og derover, der var omfattet umiddelbart før, de
    fyldte 67 (§ 176, stk. 3); alderen er alderen 1. januar i året. 6 borgere på 67 år eller derover var ikke
    omfattet og får ingen refusion (ellers 2,5 mio. kr.).
    Færre end 5 borgere med refusion har ingen kendt alder i sagsdata; de er regnet med som under 67 år, så
    refusionen kan være for høj for dem.
    """
    min_group = privacy.check_min_group(min_group)

    def count(group: str) -> int:
        return int(summary.loc[group, "persons"]) if group in summary.index else 0

    def citizens(n: int) -> str:
        return f"Færre end {min_group} borgere" if n < min_group else f"{danish.fmt_number(n)} borgere"

    parts = [
        "Ordningen gælder borgere under 67 år og borgere på 67 år og derover, der var omfattet umiddelbart før, de "
        "fyldte 67 (§ 176, stk. 3); alderen er alderen 1. januar i året."
    ]
    if (n := count("not_refunded_age")) > 0:
        forgone = summary.attrs.get("refund_forgone_dkk")
        parts.append(
            f"{citizens(n)} på 67 år eller derover var ikke omfattet og får ingen refusion"
            + (f" (ellers {danish.fmt_dkk(forgone)})." if forgone and n >= min_group else ".")
        )
    if (n := count("refunded_after_67")) > 0:
        parts.append(f"{citizens(n)} på 67 år eller derover får refusion efter stk. 3.")
    if (n := count("refunded_age_unknown")) > 0:
        parts.append(
            f"{citizens(n)} med refusion har ingen kendt alder i sagsdata; de er regnet med som under 67 år, så "
            "refusionen kan være for høj for dem."
        )
    return " ".join(parts)
