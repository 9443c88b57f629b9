"""Every figure of the cross-sector report, computed once from the inputs, and the definitions of its headline.

:func:`cross_sector_report` runs the whole analysis the report shows (costs, overview, target group, evaluation,
year-end distribution, follow-up) from frames and parameters, so that the notebook only reads the inputs and
shows the results. The headline numbers have one definition each, here:

Members (:func:`membership`)
    *ever*: joined by the end of the report month; *active*: of them, in the programme in the report month (not
    left before it); *left*: ever less active; *followed*: joined at least 12 months before the end of the data,
    so that a whole year after joining can be compared with the year before (the evaluated members; those who
    left stay in, as in an intention-to-treat analysis).
Realised gain (:func:`analysis.crosssector.year_end_distribution`)
    The members' baseline less their actual cost in the months of the last closed year they were members: the
    before-after figure the sectors share. It is not the programme's effect: it includes the fall that would have
    come anyway (regression to the mean).
Estimated effect (:func:`analysis.crosssector.evaluate`)
    The followed members' change less the change of matched non-members over the same months (a difference in
    differences), DKK per year, with an approximate 95 % interval and a grade of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.crosssector.costs import _month, _ordinal, data_end, person_month_costs, sector_summary
from analysis.crosssector.costs import by_number_of_sectors as _by_number_of_sectors
from analysis.crosssector.evaluation import (
    Evaluation,
    change_distribution,
    employment_outcome,
    evaluate,
    followed_members,
    match_comparison,
    outcome_summary,
)
from analysis.crosssector.followup import follow_up
from analysis.crosssector.sharing import DISTRIBUTION_RULES, year_end_distribution
from analysis.crosssector.targeting import ComplexityWeights, candidate_list, complexity, score_distribution
from analysis.danish import in_sentence
from analysis.errors import InputError
from analysis.prices import to_fixed_prices
from analysis.privacy import check_min_group

__all__ = ["CrossSectorReport", "cross_sector_report", "membership"]


def membership(members: pd.DataFrame, as_of: str | pd.Period, months: int = 12) -> pd.Series:
    """The programme's members at the report month, counted once, by the definitions of the headline.

    Parameters
    ----------
    members : pandas.DataFrame
        person_id, joined, left (NaT while a member).
    as_of : str or pandas.Period
        The report month (the last month of the data).
    months : int, default 12
        Months after joining that a followed (evaluated) member must have in the data.

    Returns
    -------
    pandas.Series
        ever (joined by the end of ``as_of``), active (of them in the programme in ``as_of``: not left before
        it), left (ever less active), followed (joined at least ``months`` months before the end of ``as_of``),
        followed_left (of the followed, those who have left).

    Examples
    --------
    >>> m = pd.DataFrame({"person_id": ["a", "b", "c", "d"],
    ...                   "joined": pd.to_datetime(["2024-01-10", "2024-03-01", "2025-02-01", "2025-10-01"]),
    ...                   "left": pd.to_datetime(["2024-06-30", None, None, None])})
    >>> membership(m, "2025-09").to_dict()
    {'ever': 3, 'active': 2, 'left': 1, 'followed': 2, 'followed_left': 1}
    """
    end = _ordinal(as_of)
    joined = pd.Series([_ordinal(j) for j in members["joined"]], index=members.index, dtype=int)
    left = pd.Series(
        [10**9 if pd.isna(x) else _ordinal(x) for x in members["left"]], index=members.index, dtype=int
    )
    ever = joined <= end
    gone = ever & (left < end)
    followed = joined <= end - months + 1
    return pd.Series(
        {
            "ever": int(ever.sum()),
            "active": int((ever & ~gone).sum()),
            "left": int(gone.sum()),
            "followed": int(followed.sum()),
            "followed_left": int((followed & gone).sum()),
        }
    )


@dataclass
class CrossSectorReport:
    """The figures of one municipality's cross-sector report (see :func:`cross_sector_report`).

    Attributes
    ----------
    as_of : pandas.Period
        The report month (last month with realised costs).
    closed : int
        The last closed (whole) year, of the overview and the year-end distribution.
    members : pandas.DataFrame
        The members who joined by ``as_of``.
    membership : pandas.Series
        From :func:`membership`.
    costs : pandas.DataFrame
        From :func:`analysis.crosssector.person_month_costs`.
    overview, by_sectors : pandas.DataFrame
        The closed year per sector and by number of sectors (small tail merged).
    scores, distribution, candidates : pandas.DataFrame
        Complexity scores of the 12 months to ``as_of``, their distribution, the ranked candidate list.
    eligible_persons : int
        Non-members served by at least ``min_sectors`` sectors in those 12 months (persons).
    evaluation : Evaluation
        Of the followed members against their matched comparisons.
    changes, outcome : pandas.DataFrame
        How many members' costs fell or rose; ended employment cases.
    sharing : pandas.DataFrame
        The year-end distribution of the closed year.
    follow : pandas.DataFrame
        The follow-up of the year of ``as_of``.
    unit_costs : pandas.DataFrame
        The average unit costs used (dkk_per_month, source), indexed by measure.
    weights : ComplexityWeights
        The complexity score's weights.
    min_sectors : int
        Fewest sectors of a candidate.
    rule : str
        The distribution rule.
    evaluation_prices : str
        The prices of the evaluation (before against after), in Danish: "løbende priser", or "faste 2025-priser
        (<index name>)" when the report was given a price index.
    k : int
        Comparison persons the matching sought per member (the ``k`` of :func:`match_comparison`; persons).
    """

    as_of: pd.Period
    closed: int
    members: pd.DataFrame
    membership: pd.Series
    costs: pd.DataFrame
    overview: pd.DataFrame
    by_sectors: pd.DataFrame
    scores: pd.DataFrame
    distribution: pd.DataFrame
    candidates: pd.DataFrame
    eligible_persons: int
    evaluation: Evaluation
    changes: pd.DataFrame
    outcome: pd.DataFrame
    sharing: pd.DataFrame
    follow: pd.DataFrame
    unit_costs: pd.DataFrame
    weights: ComplexityWeights
    min_sectors: int
    rule: str
    evaluation_prices: str = "løbende priser"
    k: int = 5

    @property
    def average_share(self) -> float:
        """Share of the closed year's cost that rests on average unit costs (fraction)."""
        total = self.overview.loc["total"]
        return float(total["average_dkk"] / total["cost_dkk"]) if total["cost_dkk"] else float("nan")


def _unit_frame(unit_costs) -> pd.DataFrame:
    if isinstance(unit_costs, pd.DataFrame):
        return unit_costs
    series = pd.Series(dict(unit_costs or {}), dtype=float)
    return pd.DataFrame({"dkk_per_month": series, "source": ""}).rename_axis("measure")


def cross_sector_report(
    cases: pd.DataFrame,
    members: pd.DataFrame,
    unit_costs,
    *,
    year: int,
    month: int,
    first_year: int,
    last_year: int,
    min_group: int = 5,
    weights: ComplexityWeights = ComplexityWeights(),  # noqa: B008 - frozen dataclass, immutable
    min_sectors: int = 2,
    candidates: int = 15,
    rule: str = "baseline_share",
    forecaster=None,
    price_index: pd.Series | None = None,
    price_index_name: str = "pris- og lønindekset",
    k: int = 5,
) -> CrossSectorReport:
    """Compute every figure of the cross-sector report for one municipality.

    The report month is the earliest of ``year``-``month``, December of ``last_year`` and the last month of the
    cases; the closed year is the last whole year up to it. Members who joined after the report month are left
    out.

    Parameters
    ----------
    cases : pandas.DataFrame
        The municipality's cases (table ``cases``).
    members : pandas.DataFrame
        The programme's members (table ``programme_members``).
    unit_costs : pandas.DataFrame or mapping
        Average unit costs by measure (DKK per month); a DataFrame with dkk_per_month and source.
    year, month : int
        The report's year and last month with realised costs (1-12).
    first_year, last_year : int
        The years of case data used.
    min_group : int, default 5
        Smallest group shown (persons, at least 5); also the fewest members the report needs.
    weights : ComplexityWeights
        Points of the complexity score.
    min_sectors : int, default 2
        Fewest sectors of a candidate in the last 12 months.
    candidates : int, default 15
        Length of the candidate list (persons).
    rule : {'baseline_share', 'savings'}
        The year-end distribution rule.
    forecaster : callable, optional
        Passed to :func:`analysis.crosssector.follow_up` (default: the automatic forecast).
    price_index : pandas.Series, optional
        Price-and-wage index by year (e.g. ``read_price_index().index``). When given, the evaluation (a member's
        12 months before joining against the months after, and the comparison group's) is made in the prices of
        the report month's year, so that price and wage growth is not read as a change in cost; the overview,
        the year-end distribution and the follow-up stay in current prices (they settle actual kroner).
    price_index_name : str
        The index's name, shown with the prices (Danish).
    k : int, default 5
        Comparison persons sought per member (:func:`match_comparison`; persons, at least 2).

    Returns
    -------
    CrossSectorReport

    Raises
    ------
    InputError
        For an unknown rule, a month outside 1-12, ``k`` below 2, or fewer than ``min_group`` members by the report
        month.
    """
    min_group = check_min_group(min_group)
    if rule not in DISTRIBUTION_RULES:
        raise InputError(f"distribution_rule must be one of {', '.join(DISTRIBUTION_RULES)}, found {rule!r}")
    if not 1 <= month <= 12:
        raise InputError(f"month must be 1-12, found {month}")
    if k < 2:
        raise InputError(f"k (comparison persons per member) must be at least 2, found {k}")
    as_of = min(_month(f"{year}-{month:02d}"), _month(f"{last_year}-12"), data_end(cases))
    closed = as_of.year if as_of.month == 12 else as_of.year - 1
    joined = pd.to_datetime(members["joined"])
    members = members[joined <= as_of.end_time].reset_index(drop=True)
    if len(members) < min_group:
        programme = (
            members["programme"].iloc[0] if "programme" in members and len(members) else "the programme"
        )
        raise InputError(
            f"{programme}: {len(members)} members by {as_of}, fewer than min_group ({min_group})"
        )
    units = _unit_frame(unit_costs)
    costs = person_month_costs(cases, units, start=f"{first_year}-01", end=as_of)
    ids = members["person_id"]
    scores = complexity(costs, as_of, weights=weights)
    followed = followed_members(members, as_of)
    matches = match_comparison(costs, followed, weights=weights, k=k)
    evaluation_costs, prices = costs, "løbende priser"
    if price_index is not None:
        evaluation_costs = _in_fixed_prices(costs, price_index, as_of.year)
        prices = f"faste {as_of.year}-priser ({in_sentence(price_index_name)})"
    evaluation = evaluate(evaluation_costs, followed, matches, end=as_of)
    outcome = outcome_summary(
        employment_outcome(cases, followed.assign(reference=followed["joined"]), end=as_of),
        employment_outcome(cases, matches, end=as_of),
    )
    eligible = scores[(scores["sectors"] >= min_sectors) & ~scores.index.isin(ids)]
    return CrossSectorReport(
        as_of=as_of,
        closed=closed,
        members=members,
        membership=membership(members, as_of),
        costs=costs,
        overview=sector_summary(costs, closed, ids),
        by_sectors=_by_number_of_sectors(costs, closed, min_group),
        scores=scores,
        distribution=score_distribution(scores, min_group, members=ids),
        candidates=candidate_list(scores, ids, min_sectors=min_sectors, n=candidates),
        eligible_persons=len(eligible),
        evaluation=evaluation,
        changes=change_distribution(evaluation),
        outcome=outcome,
        sharing=year_end_distribution(costs, members, closed, rule=rule, end=as_of),
        follow=follow_up(costs, members, as_of.year, as_of.month, forecaster=forecaster),
        unit_costs=units,
        weights=weights,
        min_sectors=min_sectors,
        rule=rule,
        evaluation_prices=prices,
        k=k,
    )


_KRONER = ("cost_dkk", "registered_dkk", "average_dkk")


def _in_fixed_prices(costs: pd.DataFrame, index: pd.Series, base_year: int) -> pd.DataFrame:
    """The person-month costs with their kroner columns restated in ``base_year``'s prices (by the month's year)."""
    years = pd.PeriodIndex(costs["month"], freq="M").year if len(costs) else pd.Index([], dtype=int)
    columns = [c for c in _KRONER if c in costs]
    fixed = to_fixed_prices(costs.assign(year=years), index, base_year, columns=columns)
    return fixed.drop(columns="year")
