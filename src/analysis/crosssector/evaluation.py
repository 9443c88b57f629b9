"""Baseline against actual, a matched comparison group and the evaluation of a programme's effect."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.crosssector.costs import (
    SECTORS,
    TOTAL,
    _month,
    _ordinal,
    _ordinals,
    _window_sums,
    data_end,
)
from analysis.crosssector.targeting import ComplexityWeights, complexity, complexity_bands


def followed_members(members: pd.DataFrame, end: str | pd.Period, months: int = 12) -> pd.DataFrame:
    """The members who joined at least ``months`` months before the end of the data (a full actual period).

    Parameters
    ----------
    members : pandas.DataFrame
        person_id, joined, ...
    end : str or pandas.Period
        Last month of the data.
    months : int, default 12
        Months after joining that must lie within the data (the month of joining counts).

    Returns
    -------
    pandas.DataFrame
        The rows of ``members`` whose month of joining is at most ``end - months + 1``.

    Examples
    --------
    >>> m = pd.DataFrame({"person_id": ["a", "b"], "joined": ["2024-01-15", "2024-02-01"]})
    >>> followed_members(m, "2024-12")["person_id"].tolist()
    ['a']
    """
    last = _ordinal(end) - months + 1
    keep = [_ordinal(j) <= last for j in members["joined"]]
    return members.loc[keep].reset_index(drop=True)


def baseline_actual(
    costs: pd.DataFrame, people: pd.DataFrame, *, months: int = 12, end: str | pd.Period | None = None
) -> pd.DataFrame:
    """Baseline (the ``months`` months before the reference month) against actual (from it), per person and sector.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    people : pandas.DataFrame
        One row per person (or per person and reference month): person_id and reference (the month of joining,
        anything ``pandas.Period`` reads, e.g. the ``joined`` date); other columns are carried through.
    months : int, default 12
        Months of the baseline, and most months of the actual period.
    end : str or pandas.Period, optional
        Last month of the data; the actual period is cut there. Default: the latest month in ``costs``.

    Returns
    -------
    pandas.DataFrame
        One row per row of ``people`` and sector (long): the columns of ``people``, sector, months_after (months
        in the actual period), baseline_dkk (DKK in the baseline months), actual_dkk (DKK in the actual months),
        baseline_per_year_dkk, actual_per_year_dkk (per month x 12, DKK per year), change_per_year_dkk (actual
        less baseline, DKK per year).
    """
    end_o = _ordinal(end) if end is not None else int(_ordinals(costs["month"]).max())
    ref = np.array([_ordinal(r) for r in people["reference"]], dtype=int)
    after = np.clip(np.minimum(ref + months - 1, end_o) - ref + 1, 0, months)
    base = _window_sums(costs, people, ref - months, ref - 1)
    act = _window_sums(costs, people, ref, ref + after - 1)
    k = len(SECTORS)
    out = people.loc[people.index.repeat(k)].reset_index(drop=True)
    out["sector"] = np.tile(SECTORS, len(people))
    out["months_after"] = np.repeat(after, k)
    out["baseline_dkk"] = base.ravel()
    out["actual_dkk"] = act.ravel()
    out["baseline_per_year_dkk"] = out["baseline_dkk"] / months * 12
    with np.errstate(invalid="ignore", divide="ignore"):
        out["actual_per_year_dkk"] = np.where(
            out["months_after"] > 0, out["actual_dkk"] / out["months_after"].replace(0, 1) * 12, np.nan
        )
    out["change_per_year_dkk"] = out["actual_per_year_dkk"] - out["baseline_per_year_dkk"]
    return out


def match_comparison(
    costs: pd.DataFrame,
    members: pd.DataFrame,
    *,
    exclude: Sequence[str] = (),
    months: int = 12,
    weights: ComplexityWeights = ComplexityWeights(),  # noqa: B008 - frozen dataclass, immutable
    n_bands: int = 10,
    k: int = 5,
) -> pd.DataFrame:
    """A comparison group of similar non-members: same complexity band at the member's month of joining.

    For each member, every person is scored over the ``months`` months before the member's month of joining
    (:func:`complexity`); persons with any cost then are put in ``n_bands`` quantile bands
    (:func:`complexity_bands`). The comparison persons are the ``k`` non-members of the member's band nearest the
    member in cost, on a log scale: distance = abs(ln(1 + cost) - ln(1 + member's cost)) + abs(ln(1 + 12 x
    running) - ln(1 + 12 x member's running)), where cost is the cost in the ``months`` months before joining and
    running the cost of the month before joining (what the services running then cost; DKK). Members were chosen
    on cost, and the running cost tells long placements, which go on, from services that have ended. Ties: higher
    cost first, then pseudonym. A non-member may serve several members (at different or the same dates). A member
    with no non-member in its band stays unmatched. Everything used is known at the reference date.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    members : pandas.DataFrame
        person_id, joined (date of joining).
    exclude : sequence of str
        Further pseudonyms never to use as comparisons (members are always excluded).
    months : int, default 12
        Length of the scoring window (months before joining).
    weights : ComplexityWeights
        Weights of the score.
    n_bands : int, default 10
        Number of complexity bands.
    k : int, default 5
        Comparison persons per member (persons).

    Returns
    -------
    pandas.DataFrame
        One row per member and comparison person: member_id, person_id (the comparison's pseudonym), reference
        (Period M, the member's month of joining), band, member_score, score (points), distance, weight (1 / the
        member's number of comparisons, so that each matched member weighs the same).
    """
    cols = ["member_id", "person_id", "reference", "band", "member_score", "score", "distance", "weight"]
    banned = set(members["person_id"]) | set(exclude)
    rows = []
    refs = members.assign(reference=[_month(j) for j in members["joined"]])
    for ref, group in refs.groupby("reference", sort=True):
        scores = complexity(costs, ref - 1, months=months, weights=weights)
        if scores.empty:
            continue
        running = (
            costs[pd.PeriodIndex(costs["month"], freq="M") == ref - 1].groupby("person_id")["cost_dkk"].sum()
        )
        scores = scores.assign(
            band=complexity_bands(scores["score"], n_bands),
            log_cost=np.log1p(scores["cost_dkk"].clip(lower=0)),
            log_running=np.log1p(12 * running.reindex(scores.index, fill_value=0.0).clip(lower=0)),
        )
        pool = scores[~scores.index.isin(banned)]
        for member in group["person_id"]:
            if member not in scores.index:
                continue
            m = scores.loc[member]
            same = pool[pool["band"] == m["band"]]
            if same.empty:
                continue
            distance = (same["log_cost"] - m["log_cost"]).abs() + (
                same["log_running"] - m["log_running"]
            ).abs()
            near = same.assign(distance=distance.round(12), pid=same.index)
            near = near.sort_values(["distance", "cost_dkk", "pid"], ascending=[True, False, True]).head(k)
            for pid, r in near.iterrows():
                rows.append(
                    [
                        member,
                        pid,
                        ref,
                        int(m["band"]),
                        float(m["score"]),
                        float(r["score"]),
                        float(r["distance"]),
                        1 / len(near),
                    ]
                )
    out = pd.DataFrame(rows, columns=cols)
    out["reference"] = (
        pd.PeriodIndex(out["reference"], freq="M") if len(out) else pd.PeriodIndex([], freq="M")
    )
    return out


@dataclass
class Evaluation:
    """Baseline against actual for a programme's cohort, beside its comparison group.

    Attributes
    ----------
    persons : pandas.DataFrame
        One row per member and sector: person_id, reference, sector, months_after, baseline_per_year_dkk,
        actual_per_year_dkk, change_per_year_dkk (DKK per year), matched (bool), comparison_change_per_year_dkk
        (the mean change of the member's comparisons, DKK per year; NaN when unmatched), effect_per_year_dkk
        (change less comparison change).
    cohort : pandas.DataFrame
        Indexed by sector and ``'total'``: persons (members with a cost in the sector in either period; the total
        counts every member), baseline_dkk, actual_dkk, change_dkk (DKK per year, all members), change_share,
        comparison_change_share (the comparisons' change relative to their baseline, weighted as the members),
        matched_persons, comparison_persons (distinct comparison persons with a cost in the sector in either
        period), comparison_change_dkk (sum over the matched members of their comparisons' mean change, DKK per
        year: what the effect subtracts), effect_dkk (sum of the matched members' effects, i.e. the matched
        members' change less comparison_change_dkk, DKK per year; negative = lower costs than the comparisons).
        The comparisons' baseline in a sector may differ from the members' (they are matched on all sectors
        together), so effect_dkk is not (change_share - comparison_change_share) x baseline_dkk.
    summary : pandas.Series
        members, matched (persons), comparison_persons (distinct comparison persons), baseline_dkk, actual_dkk,
        change_dkk, change_share, comparison_change_share, effect_dkk, effect_low_dkk, effect_high_dkk (approximate 95 %
        interval of effect_dkk), effect_per_person_dkk, member_baseline_per_person_dkk,
        comparison_baseline_per_person_dkk (DKK per year), balance_smd, months_after_min (fewest months after
        joining), grade ('svag' or 'moderat') and reasons (why 'svag': 'few', 'interval', 'balance', comma-separated).
    comparisons : pandas.DataFrame
        One row per match (member and comparison person) and sector, as from :func:`baseline_actual`: member_id,
        person_id, reference, weight, sector, months_after, baseline_per_year_dkk, actual_per_year_dkk,
        change_per_year_dkk.
    """

    persons: pd.DataFrame
    cohort: pd.DataFrame
    summary: pd.Series
    comparisons: pd.DataFrame


def evaluate(
    costs: pd.DataFrame,
    members: pd.DataFrame,
    matches: pd.DataFrame,
    *,
    months: int = 12,
    end: str | pd.Period | None = None,
    min_matched: int = 20,
    max_smd: float = 0.1,
) -> Evaluation:
    """Programme evaluation: the cohort's baseline against actual, and the same for its comparison group.

    The effect of a matched member is its change (actual less baseline, DKK per year) less the weighted mean
    change of its comparisons over the same months (a difference in differences); the cohort's effect is the sum
    over matched members. Its approximate 95 % interval is n x (mean ± 1.96 x sd / sqrt(n)) of the members'
    effects (n matched members). Balance is the standardised mean difference of the baseline (DKK per year) of
    the matched members and of their comparisons (weighted): (mean of members - mean of comparisons) / sqrt((var
    of members + var of comparisons) / 2). The grade is 'moderat' when at least ``min_matched`` members are
    matched, the interval excludes 0 and the groups are balanced (absolute SMD below ``max_smd``), else 'svag'; never
    stronger, since membership was not assigned at random.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    members : pandas.DataFrame
        person_id, joined.
    matches : pandas.DataFrame
        From :func:`match_comparison`.
    months : int, default 12
        Months of the baseline and of the actual period.
    end : str or pandas.Period, optional
        Last month of the data (default: the latest in ``costs``).
    min_matched : int, default 20
        Fewest matched members for a 'moderat' grade (persons).
    max_smd : float, default 0.1
        Largest absolute standardised difference of the baseline for a 'moderat' grade (the usual rule of thumb
        for matched groups).

    Returns
    -------
    Evaluation
    """
    people = pd.DataFrame(
        {"person_id": members["person_id"].to_numpy(), "reference": list(members["joined"])}
    )
    mine = baseline_actual(costs, people, months=months, end=end)
    mine["reference"] = pd.PeriodIndex([_month(r) for r in mine["reference"]], freq="M")
    comp = baseline_actual(
        costs, matches[["member_id", "person_id", "reference", "weight"]], months=months, end=end
    )
    # the comparisons' weighted mean per member and sector (weights add to 1 per member)
    for col in ("baseline_per_year_dkk", "actual_per_year_dkk", "change_per_year_dkk"):
        comp[col + "_w"] = comp[col] * comp["weight"]
    by_member = comp.groupby(["member_id", "sector"])[
        ["baseline_per_year_dkk_w", "actual_per_year_dkk_w", "change_per_year_dkk_w"]
    ].sum()
    by_member.columns = [
        "comparison_baseline_per_year_dkk",
        "comparison_actual_per_year_dkk",
        "comparison_change_per_year_dkk",
    ]
    persons = mine.join(by_member, on=["person_id", "sector"])
    persons["matched"] = persons["person_id"].isin(set(matches["member_id"]))
    persons["effect_per_year_dkk"] = (
        persons["change_per_year_dkk"] - persons["comparison_change_per_year_dkk"]
    )

    rows = {}
    for key in (*SECTORS, TOTAL):
        part = persons if key == TOTAL else persons[persons["sector"] == key]
        comp_part = comp if key == TOTAL else comp[comp["sector"] == key]
        per = part.groupby("person_id")[
            [
                "baseline_per_year_dkk",
                "actual_per_year_dkk",
                "change_per_year_dkk",
                "comparison_baseline_per_year_dkk",
                "comparison_change_per_year_dkk",
                "effect_per_year_dkk",
            ]
        ].sum(min_count=1)
        matched = per["effect_per_year_dkk"].notna()
        has_cost = (per["baseline_per_year_dkk"] > 0) | (per["actual_per_year_dkk"] > 0)
        base, act = per["baseline_per_year_dkk"].sum(), per["actual_per_year_dkk"].sum()
        cbase = per.loc[matched, "comparison_baseline_per_year_dkk"].sum()
        rows[key] = {
            "persons": int(len(per) if key == TOTAL else has_cost.sum()),
            "baseline_dkk": base,
            "actual_dkk": act,
            "change_dkk": act - base,
            "change_share": (act - base) / base if base else np.nan,
            "comparison_change_share": per.loc[matched, "comparison_change_per_year_dkk"].sum() / cbase
            if cbase
            else np.nan,
            "matched_persons": int(matched.sum() if key == TOTAL else (matched & has_cost).sum()),
            "comparison_persons": int(
                comp_part.loc[
                    (comp_part["baseline_per_year_dkk"] > 0) | (comp_part["actual_per_year_dkk"] > 0),
                    "person_id",
                ].nunique()
            ),
            "comparison_change_dkk": per.loc[matched, "comparison_change_per_year_dkk"].sum(),
            "effect_dkk": per.loc[matched, "effect_per_year_dkk"].sum(),
        }
    cohort = pd.DataFrame.from_dict(rows, orient="index")
    cohort.index.name = "sector"

    total = persons.groupby("person_id")["effect_per_year_dkk"].sum(min_count=1).dropna()
    n = len(total)
    mean = total.mean() if n else np.nan
    half = 1.96 * total.std(ddof=1) / math.sqrt(n) if n > 1 else np.nan
    low, high = n * (mean - half), n * (mean + half)
    # balance: the members' baseline against their comparisons' (standardised mean difference)
    member_base = persons.groupby("person_id")["baseline_per_year_dkk"].sum()
    comp_base = comp.groupby(["member_id", "person_id", "reference"]).agg(
        x=("baseline_per_year_dkk", "sum"), w=("weight", "first")
    )
    smd = _smd(member_base[member_base.index.isin(total.index)].to_numpy(), comp_base["x"], comp_base["w"])
    reasons = []
    if n < min_matched:
        reasons.append("few")
    if not (np.isfinite(low) and (high < 0 or low > 0)):
        reasons.append("interval")
    if not abs(smd) < max_smd:
        reasons.append("balance")
    t = cohort.loc[TOTAL]
    summary = pd.Series(
        {
            "members": int(len(members)),
            "matched": int(n),
            "comparison_persons": int(matches["person_id"].nunique()),
            "baseline_dkk": t["baseline_dkk"],
            "actual_dkk": t["actual_dkk"],
            "change_dkk": t["change_dkk"],
            "change_share": t["change_share"],
            "comparison_change_share": t["comparison_change_share"],
            "effect_dkk": t["effect_dkk"],
            "effect_low_dkk": low,
            "effect_high_dkk": high,
            "effect_per_person_dkk": mean,
            "member_baseline_per_person_dkk": member_base.mean() if len(member_base) else np.nan,
            "comparison_baseline_per_person_dkk": float(np.average(comp_base["x"], weights=comp_base["w"]))
            if len(comp_base)
            else np.nan,
            "balance_smd": smd,
            "months_after_min": int(mine["months_after"].min()) if len(mine) else 0,
            "grade": "moderat" if not reasons else "svag",
            "reasons": ",".join(reasons),
        },
        dtype=object,
    )
    comparisons = comp.drop(columns=[c for c in comp.columns if c.endswith("_w")])
    return Evaluation(persons=persons, cohort=cohort, summary=summary, comparisons=comparisons)


def change_distribution(evaluation: Evaluation, threshold: float = 0.1) -> pd.DataFrame:
    """How many members' total costs fell, stayed about the same or rose, beside the comparisons' shares.

    A person's change is the total over sectors of actual less baseline (DKK per year) relative to the baseline;
    'fell' is a fall of more than ``threshold``, 'rose' a rise of more than ``threshold`` (or any cost after a
    baseline of 0), else 'same'.

    Parameters
    ----------
    evaluation : Evaluation
        From :func:`evaluate`.
    threshold : float, default 0.1
        The band around no change (fraction: 0.1 is ±10 %).

    Returns
    -------
    pandas.DataFrame
        Indexed by 'fell', 'same', 'rose' and ``'total'``: persons (members), share (of the members),
        comparison_share (share of the comparisons, weighted as in the evaluation), comparison_persons (the
        different comparison persons with a match in the group; in the total, all of them) and
        comparison_others (those with a match in another group), so that a report can tell whether a share
        rests on fewer than 5 persons.
    """
    groups = ["fell", "same", "rose"]

    def group(base: pd.Series, change: pd.Series) -> pd.Series:
        rel = change / base.where(base > 0)
        out = pd.Series("same", index=base.index)
        out[(rel < -threshold)] = "fell"
        out[(rel > threshold) | ((base <= 0) & (change > 0))] = "rose"
        return out

    mine = evaluation.persons.groupby("person_id")[["baseline_per_year_dkk", "change_per_year_dkk"]].sum()
    g = group(mine["baseline_per_year_dkk"], mine["change_per_year_dkk"])
    comp = evaluation.comparisons.groupby(["member_id", "person_id", "reference"]).agg(
        baseline=("baseline_per_year_dkk", "sum"),
        change=("change_per_year_dkk", "sum"),
        weight=("weight", "first"),
    )
    cg = group(comp["baseline"], comp["change"]) if len(comp) else pd.Series(dtype=object)
    weight = comp["weight"].sum() if len(comp) else np.nan
    out = pd.DataFrame(index=pd.Index([*groups, TOTAL], name="change"))
    out["persons"] = [int((g == k).sum()) for k in groups] + [len(g)]
    out["share"] = out["persons"] / (len(g) or np.nan)
    out["comparison_share"] = [
        comp.loc[cg == k, "weight"].sum() / weight if len(comp) else np.nan for k in groups
    ] + [1.0 if len(comp) else np.nan]
    people = comp.index.get_level_values("person_id") if len(comp) else pd.Index([])
    out["comparison_persons"] = [people[(cg == k).to_numpy()].nunique() for k in groups] + [people.nunique()]
    out["comparison_others"] = [people[(cg != k).to_numpy()].nunique() for k in groups] + [0]
    return out


def outcome_summary(members: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """Members and comparisons whose sector case ended, from :func:`employment_outcome`.

    Parameters
    ----------
    members : pandas.DataFrame
        :func:`employment_outcome` for the members (one row per member).
    comparisons : pandas.DataFrame
        :func:`employment_outcome` for the matches (with weight: each member's comparisons weigh 1 in all).

    Returns
    -------
    pandas.DataFrame
        Indexed by 'members' and 'comparison': persons (with a running case at the reference month; for the
        comparison distinct persons), ended (of them without a case later; for the comparison distinct persons
        with an ended case at any of their reference months), share (members: ended / persons; comparison: the
        weighted share of matches).
    """
    w = comparisons["weight"] if "weight" in comparisons else pd.Series(1.0, index=comparisons.index)
    rows = {
        "members": {
            "persons": int(members["person_id"].nunique()),
            "ended": int(members.loc[members["ended"], "person_id"].nunique()),
            "share": members["ended"].mean() if len(members) else np.nan,
        },
        "comparison": {
            "persons": int(comparisons["person_id"].nunique()),
            "ended": int(comparisons.loc[comparisons["ended"], "person_id"].nunique()),
            "share": float((comparisons["ended"] * w).sum() / w.sum()) if len(comparisons) else np.nan,
        },
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def _smd(x: np.ndarray, y: pd.Series, w: pd.Series) -> float:
    """Standardised mean difference of ``x`` (unweighted) and ``y`` (weights ``w``); NaN when undefined."""
    if len(x) < 2 or len(y) < 2:
        return float("nan")
    my = np.average(y, weights=w)
    vy = np.average((y - my) ** 2, weights=w)
    pooled = math.sqrt((np.var(x, ddof=1) + vy) / 2)
    return float((np.mean(x) - my) / pooled) if pooled > 0 else 0.0


def employment_outcome(
    cases: pd.DataFrame,
    people: pd.DataFrame,
    *,
    months: int = 12,
    end: str | pd.Period | None = None,
    sector: str = "employment",
) -> pd.DataFrame:
    """Proxy for moving into work or education: a running employment case at the reference month, none later.

    For each person with a case of ``sector`` running in the reference month (the month of joining), whether no
    case of the sector runs in the month ``months`` after it (or in the last month of the data, if earlier). An
    ended case is not proof of a job or education: the case may also end in pension, moving away or another
    benefit; the data do not say why.

    Parameters
    ----------
    cases : pandas.DataFrame
        Table ``cases`` (person_id, sector, start_date, end_date).
    people : pandas.DataFrame
        person_id, reference (month of joining or matched reference month), and optionally weight (default 1).
    months : int, default 12
        Months after the reference month at which to look.
    end : str or pandas.Period, optional
        Last month of the data (default :func:`data_end` of ``cases``).
    sector : str, default 'employment'
        The sector whose cases count.

    Returns
    -------
    pandas.DataFrame
        The rows of ``people`` whose sector case ran in the reference month, with at (Period M, the month looked
        at) and ended (bool: no sector case running then).
    """
    end_o = _ordinal(end) if end is not None else _ordinal(data_end(cases))
    c = cases[cases["sector"] == sector]
    s = _ordinals(pd.to_datetime(c["start_date"]).dt.to_period("M"))
    stop = pd.to_datetime(c["end_date"])
    e = np.where(stop.isna(), end_o, _ordinals(stop.fillna(pd.Timestamp("1970-01-01")).dt.to_period("M")))
    spans = pd.DataFrame({"person_id": c["person_id"].to_numpy(), "s": s, "e": e})
    p = people.copy()
    p["ref_o"] = [_ordinal(r) for r in p["reference"]]
    p["at_o"] = np.minimum(p["ref_o"] + months, end_o)
    p["_row"] = range(len(p))
    m = p[["_row", "person_id", "ref_o", "at_o"]].merge(spans, on="person_id")
    running_ref = m[(m["s"] <= m["ref_o"]) & (m["e"] >= m["ref_o"])]["_row"].unique()
    running_at = m[(m["s"] <= m["at_o"]) & (m["e"] >= m["at_o"])]["_row"].unique()
    out = p[p["_row"].isin(running_ref)].copy()
    out["at"] = pd.PeriodIndex.from_ordinals(out["at_o"] - (1970 * 12), freq="M") if len(out) else []
    out["ended"] = ~out["_row"].isin(running_at)
    return out.drop(columns=["ref_o", "at_o", "_row"]).reset_index(drop=True)
