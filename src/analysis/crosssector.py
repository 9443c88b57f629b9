"""Cross-sector cost tracing (tværgående økonomi): persons' costs across sectors, target group, effect, sharing.

For citizens and families served by several sectors at once (employment, children and families, adults/social,
health), this module follows each person's whole cost, month by month, and answers the questions of a
municipality running a cross-sector programme: whom to include (a complexity score and a ranked candidate list),
whether the programme pays off (baseline against actual, beside a matched comparison group), how to share the
realised gain between the sector budgets at year end (the Albertslund model), and how the year is going (realised
cost so far plus a forecast for the rest of the year against last year, Furesø's figure).

Pure pandas on warehouse-shaped frames (tables ``cases`` and ``programme_members``, see
:mod:`analysis.data.schema`), apart from the readers :func:`read_cases`, :func:`read_members` and
:func:`load_unit_costs`. Everything here works on pseudonyms (``person_id``); nothing is suppressed here: the
report suppresses small groups when it shows the figures (:mod:`analysis.privacy`).

Conventions
-----------
Months
    Costs are counted by calendar month (``pandas.Period``, frequency M). A case costs its monthly amount in
    every month it runs; a month it runs only part of is prorated by days (``proration="days"``: 10 of 30 days
    cost a third) or counted whole (``proration="whole"``). A case with no end date runs to the end of the data
    (``end``, by default the month of the latest date in the cases).
CPR-registered and average costs
    A CPR-registered case costs its ``monthly_cost_dkk``. A case that is not CPR-registered costs the average
    unit cost of its measure (DKK per month) from ``parameters/unit_costs.yaml``; the two are kept apart
    (``registered_dkk``, ``average_dkk``) so that a report can say how much rests on averages.
Periods around joining
    The baseline (nulpunktsmåling) is the 12 calendar months before the month of joining; the actual period is
    the month of joining and the 11 after it, cut at the end of the data. Amounts are compared per month and
    shown per year (x 12), so that a shorter actual period is comparable. Members who left the programme stay
    in the evaluation (intention to treat).
Signs
    ``change`` is actual less baseline (negative: costs fell); ``gain`` is baseline less actual (positive: a
    saving).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import queries

__all__ = [
    "DISTRIBUTION_RULES",
    "SECTORS",
    "SECTOR_NAMES",
    "ComplexityWeights",
    "Evaluation",
    "baseline_actual",
    "by_number_of_sectors",
    "candidate_list",
    "change_distribution",
    "complexity",
    "complexity_bands",
    "data_end",
    "employment_outcome",
    "evaluate",
    "evidence_da",
    "follow_up",
    "followed_members",
    "largest_remainder",
    "load_unit_costs",
    "match_comparison",
    "outcome_summary",
    "person_month_costs",
    "read_cases",
    "read_members",
    "score_distribution",
    "sector_summary",
    "year_end_distribution",
]

SECTORS = ("employment", "children_families", "adults_social", "health")
#: Danish names of the sectors, as a report writes them.
SECTOR_NAMES = {
    "employment": "Beskæftigelse",
    "children_families": "Børn og familie",
    "adults_social": "Voksen/socialområdet",
    "health": "Sundhed",
}
#: Rules of the year-end distribution: in proportion to each sector's baseline, or to where the savings arose.
DISTRIBUTION_RULES = ("baseline_share", "savings")
TOTAL = "total"


# --------------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------------


def read_cases(con, municipality_code: int) -> pd.DataFrame:
    """One municipality's cases (table ``cases``), ordered by person and start.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open warehouse (:func:`analysis.data.connect`).
    municipality_code : int
        The paying municipality (3-digit code).

    Returns
    -------
    pandas.DataFrame
        The table's columns; dates as datetime64.
    """
    return queries.cases(con, [municipality_code])


def read_members(con, municipality_code: int, programme: str = "") -> pd.DataFrame:
    """The members of one municipality's cross-sector programme (table ``programme_members``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open warehouse.
    municipality_code : int
        The municipality (3-digit code).
    programme : str, default ''
        The programme's name; empty means the municipality's programme (the one with most members).

    Returns
    -------
    pandas.DataFrame
        person_id, municipality_code, programme, joined, left (datetime64; NaT while a member).

    Raises
    ------
    ValueError
        When the municipality has no programme members, or none in ``programme`` (the message names the
        programmes there are).
    """
    members = con.execute(
        "SELECT * FROM programme_members WHERE municipality_code = ? ORDER BY joined, person_id",
        [int(municipality_code)],
    ).df()
    if members.empty:
        raise ValueError(f"municipality {municipality_code} has no members of a cross-sector programme")
    if not programme:
        programme = members["programme"].value_counts().sort_index().idxmax()
    chosen = members[members["programme"] == programme]
    if chosen.empty:
        known = ", ".join(sorted(members["programme"].unique()))
        raise ValueError(
            f"municipality {municipality_code} has no programme named {programme!r}; it has: {known}"
        )
    return chosen.reset_index(drop=True)


def load_unit_costs(path: str | Path | None = None) -> pd.DataFrame:
    """Average unit costs of services that are not CPR-registered, from a YAML parameter file.

    The file maps each measure (as named in the cases) to ``dkk_per_month`` and ``source`` (where the figure
    comes from or what it assumes)::

        Støtte- og kontaktperson:
          dkk_per_month: 5000
          source: "5.38.53 §99: national price 60.000 kr. per full-year person / 12"

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The file; by default ``parameters/unit_costs.yaml`` of the project.

    Returns
    -------
    pandas.DataFrame
        Indexed by measure: dkk_per_month (DKK per month), source (text).

    Raises
    ------
    ValueError
        When an entry lacks a positive ``dkk_per_month``.
    """
    import yaml

    if path is None or str(path) == "":
        from analysis.paths import project_root

        path = project_root() / "parameters" / "unit_costs.yaml"
    data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    rows = []
    for measure, entry in data.items():
        entry = entry if isinstance(entry, dict) else {"dkk_per_month": entry}
        value = entry.get("dkk_per_month")
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"{path}: {measure}: dkk_per_month must be a positive amount (DKK per month)")
        rows.append(
            {"measure": str(measure), "dkk_per_month": float(value), "source": str(entry.get("source", ""))}
        )
    return pd.DataFrame(rows, columns=["measure", "dkk_per_month", "source"]).set_index("measure")


# --------------------------------------------------------------------------------------------------------------
# Person x sector x month
# --------------------------------------------------------------------------------------------------------------


def _month(value) -> pd.Period:
    return pd.Period(value, freq="M")


def data_end(cases: pd.DataFrame) -> pd.Period:
    """The last month of the data: the month of the latest start or end date in the cases.

    >>> data_end(pd.DataFrame({"start_date": ["2024-03-01"], "end_date": ["2024-05-31"]}))
    Period('2024-05', 'M')
    """
    dates = pd.concat([pd.to_datetime(cases["start_date"]), pd.to_datetime(cases["end_date"])])
    return _month(dates.max())


def _unit_cost_map(unit_costs) -> dict[str, float]:
    if unit_costs is None:
        return {}
    if isinstance(unit_costs, pd.DataFrame):
        unit_costs = unit_costs["dkk_per_month"]
    return {str(k): float(v) for k, v in dict(unit_costs).items()}


def person_month_costs(
    cases: pd.DataFrame,
    unit_costs: Mapping[str, float] | pd.Series | pd.DataFrame | None = None,
    *,
    start: str | pd.Period | None = None,
    end: str | pd.Period | None = None,
    proration: str = "days",
) -> pd.DataFrame:
    """Each person's cost per sector and month, from CPR-registered costs plus average unit costs.

    Parameters
    ----------
    cases : pandas.DataFrame
        One municipality's cases (table ``cases``): person_id, sector, measure, start_date, end_date,
        monthly_cost_dkk (DKK per month), cpr_registered.
    unit_costs : mapping, Series or DataFrame, optional
        Average cost by measure (DKK per month) for cases that are not CPR-registered (a DataFrame from
        :func:`load_unit_costs`). Needed when any case is not CPR-registered.
    start : str or pandas.Period, optional
        First month counted; earlier months are left out. Default: every month from the earliest start.
    end : str or pandas.Period, optional
        Last month of the data: running cases (no end date) run to its end, later months are cut. Default: the
        month of the latest date in ``cases`` (:func:`data_end`).
    proration : {'days', 'whole'}, default 'days'
        A month a case runs only part of: its monthly cost times the share of the month's days it runs
        ('days'), or its whole monthly cost ('whole').

    Returns
    -------
    pandas.DataFrame
        One row per person, sector and month with any running case: person_id, sector, month (Period M),
        cost_dkk (DKK in the month), registered_dkk (of it CPR-registered), average_dkk (of it from average unit
        costs), services (cases running in the month, persons' concurrent services).

    Raises
    ------
    ValueError
        For an unknown ``proration``, or a case that is not CPR-registered and whose measure has no unit cost
        (the message lists the measures), or a CPR-registered case without a monthly cost.
    """
    if proration not in ("days", "whole"):
        raise ValueError(f"proration must be 'days' or 'whole', found {proration!r}")
    columns = ["person_id", "sector", "month", "cost_dkk", "registered_dkk", "average_dkk", "services"]
    if cases.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}).astype({"services": int})
    end = data_end(cases) if end is None else _month(end)
    registered = cases["cpr_registered"].astype(bool).to_numpy()
    units = _unit_cost_map(unit_costs)
    measures = cases["measure"].astype(str)
    missing = sorted(set(measures[~registered]) - set(units))
    if missing:
        raise ValueError(
            "no average unit cost (DKK per month) for these measures that are not CPR-registered: "
            + ", ".join(missing)
            + "; add them to the unit-cost file"
        )
    monthly = np.where(
        registered,
        pd.to_numeric(cases["monthly_cost_dkk"], errors="coerce").to_numpy(dtype=float),
        measures.map(units).to_numpy(dtype=float),
    )
    if np.isnan(monthly[registered]).any():
        raise ValueError("a CPR-registered case has no monthly_cost_dkk")
    begin = pd.to_datetime(cases["start_date"]).to_numpy("datetime64[D]")
    stop = pd.to_datetime(cases["end_date"]).to_numpy("datetime64[D]")
    last_day = (end + 1).to_timestamp().to_datetime64().astype("datetime64[D]") - np.timedelta64(1, "D")
    stop = np.where(np.isnat(stop), last_day, np.minimum(stop, last_day))
    if start is not None:
        first_day = _month(start).to_timestamp().to_datetime64().astype("datetime64[D]")
        begin = np.maximum(begin, first_day)
    keep = stop >= begin
    begin, stop, monthly, registered = begin[keep], stop[keep], monthly[keep], registered[keep]
    first_m = begin.astype("datetime64[M]")
    last_m = stop.astype("datetime64[M]")
    n = (last_m - first_m).astype(int) + 1
    row = np.repeat(np.arange(len(begin)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    month = first_m[row] + offset.astype("timedelta64[M]")
    if proration == "days":
        m0 = month.astype("datetime64[D]")
        m1 = (month + np.timedelta64(1, "M")).astype("datetime64[D]")
        days = (np.minimum(stop[row] + np.timedelta64(1, "D"), m1) - np.maximum(begin[row], m0)).astype(int)
        fraction = days / (m1 - m0).astype(int)
    else:
        fraction = np.ones(len(row))
    cost = monthly[row] * fraction
    sub = cases.loc[keep]
    long = pd.DataFrame(
        {
            "person_id": sub["person_id"].to_numpy()[row],
            "sector": sub["sector"].to_numpy()[row],
            "month": pd.PeriodIndex(month, freq="M"),
            "cost_dkk": cost,
            "registered_dkk": np.where(registered[row], cost, 0.0),
            "average_dkk": np.where(registered[row], 0.0, cost),
            "services": 1,
        }
    )
    out = long.groupby(["person_id", "sector", "month"], as_index=False, sort=True).sum()
    return out[columns]


def _ordinal(month) -> int:
    p = _month(month)
    return p.year * 12 + p.month - 1


def _ordinals(months: pd.Series) -> np.ndarray:
    idx = pd.PeriodIndex(months, freq="M")
    return (idx.year * 12 + idx.month - 1).to_numpy()


# --------------------------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------------------------


def sector_summary(costs: pd.DataFrame, year: int, members: Sequence[str] | None = None) -> pd.DataFrame:
    """The year's cost per sector: persons, CPR-registered and average costs, and the members' part.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    year : int
        Calendar year.
    members : sequence of str, optional
        Pseudonyms of the programme's members, for their share of the cost.

    Returns
    -------
    pandas.DataFrame
        Indexed by sector (the four sectors in :data:`SECTORS` order, then ``'total'``): persons (persons with a
        cost in the year; the total counts each person once), cost_dkk, registered_dkk, average_dkk (DKK in the
        year), member_persons, member_cost_dkk (the members' part, persons and DKK).
    """
    y = costs[pd.PeriodIndex(costs["month"], freq="M").year == year]
    is_member = y["person_id"].isin(set([] if members is None else members))
    rows = {}
    for key, part in [*((s, y[y["sector"] == s]) for s in SECTORS), (TOTAL, y)]:
        m = part[is_member.loc[part.index]]
        rows[key] = {
            "persons": part["person_id"].nunique(),
            "cost_dkk": part["cost_dkk"].sum(),
            "registered_dkk": part["registered_dkk"].sum(),
            "average_dkk": part["average_dkk"].sum(),
            "member_persons": m["person_id"].nunique(),
            "member_cost_dkk": m["cost_dkk"].sum(),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "sector"
    return out.astype({"persons": int, "member_persons": int})


def by_number_of_sectors(costs: pd.DataFrame, year: int) -> pd.DataFrame:
    """Persons and cost in a year by the number of sectors that served them.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    year : int
        Calendar year.

    Returns
    -------
    pandas.DataFrame
        Indexed by number of sectors (1-4, every one present, then ``'total'``): persons, cost_dkk (DKK in the
        year), share_of_persons, share_of_cost (fractions), cost_per_person_dkk (DKK per person in the year).
    """
    y = costs[pd.PeriodIndex(costs["month"], freq="M").year == year]
    per = y.groupby("person_id").agg(sectors=("sector", "nunique"), cost_dkk=("cost_dkk", "sum"))
    out = per.groupby("sectors").agg(persons=("cost_dkk", "size"), cost_dkk=("cost_dkk", "sum"))
    out = out.reindex(range(1, len(SECTORS) + 1), fill_value=0)
    out.index = out.index.astype(object)
    out.loc[TOTAL] = [len(per), per["cost_dkk"].sum()]
    out["persons"] = out["persons"].astype(int)
    out["share_of_persons"] = out["persons"] / max(len(per), 1)
    out["share_of_cost"] = out["cost_dkk"] / (per["cost_dkk"].sum() or np.nan)
    out["cost_per_person_dkk"] = out["cost_dkk"] / out["persons"].replace(0, np.nan)
    out.index.name = "sectors"
    return out


# --------------------------------------------------------------------------------------------------------------
# Complexity and target group
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplexityWeights:
    """Weights of the complexity score (points).

    Attributes
    ----------
    sectors : float
        Points per sector that served the person in the window.
    services : float
        Points per concurrent service (the most cases running in one month of the window).
    cost : float
        Points per 100,000 DKK of cost in the window.
    """

    sectors: float = 2.0
    services: float = 1.0
    cost: float = 0.5


def complexity(
    costs: pd.DataFrame,
    until: str | pd.Period,
    *,
    months: int = 12,
    weights: ComplexityWeights = ComplexityWeights(),  # noqa: B008 - frozen dataclass, immutable
) -> pd.DataFrame:
    """Each person's complexity score over the ``months`` months ending with ``until`` (Furesø's model).

    score = weights.sectors x sectors + weights.services x concurrent services + weights.cost x cost / 100,000.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    until : str or pandas.Period
        Last month of the window (e.g. the month before joining, or the latest month of the data).
    months : int, default 12
        Length of the window (months).
    weights : ComplexityWeights
        Points per sector, per concurrent service and per 100,000 DKK.

    Returns
    -------
    pandas.DataFrame
        Indexed by person_id, persons with any cost in the window, highest score first: sectors (number of
        sectors), services (most cases running in one month), cost_dkk (DKK in the window), score (points).
    """
    hi = _ordinal(until)
    o = _ordinals(costs["month"])
    w = costs[(o > hi - months) & (o <= hi)]
    per_month = w.groupby(["person_id", "month"])["services"].sum()
    out = pd.DataFrame(
        {
            "sectors": w.groupby("person_id")["sector"].nunique(),
            "services": per_month.groupby("person_id").max(),
            "cost_dkk": w.groupby("person_id")["cost_dkk"].sum(),
        }
    )
    out["score"] = (
        weights.sectors * out["sectors"]
        + weights.services * out["services"]
        + weights.cost * out["cost_dkk"] / 1e5
    )
    out.index.name = "person_id"
    return out.sort_values(["score", "cost_dkk"], ascending=False, kind="stable")


def complexity_bands(scores: pd.Series, n_bands: int = 10) -> pd.Series:
    """The complexity band of each score: its quantile group among the scores given, 1 (lowest) to ``n_bands``.

    Band b holds the scores whose rank (average rank for ties) falls in the b-th ``1/n_bands`` of the persons:
    band = ceil(n_bands x rank / n).

    Parameters
    ----------
    scores : pandas.Series
        Complexity scores (points), one per person, e.g. ``complexity(...)["score"]``.
    n_bands : int, default 10
        Number of bands (10: deciles).

    Returns
    -------
    pandas.Series
        Band numbers (int), same index.

    Examples
    --------
    >>> complexity_bands(pd.Series([5.0, 1.0, 3.0, 9.0]), n_bands=2).tolist()
    [2, 1, 1, 2]
    """
    if n_bands < 1:
        raise ValueError(f"n_bands must be at least 1, found {n_bands}")
    if scores.empty:
        return pd.Series(dtype=int, index=scores.index)
    rank = scores.rank(method="average")
    return np.ceil(n_bands * rank / len(scores)).clip(1, n_bands).astype(int)


def _nice_width(span: float, bins: int = 10) -> float:
    raw = span / bins if span > 0 else 1.0
    exp = 10 ** math.floor(math.log10(raw))
    return next(f * exp for f in (1, 2, 2.5, 5, 10) if f * exp >= raw)


def score_distribution(
    scores: pd.DataFrame, min_group: int = 5, width: float | None = None, members: Sequence[str] | None = None
) -> pd.DataFrame:
    """Persons by complexity-score interval, the top intervals merged until the top one has ``min_group`` persons.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`complexity` (score, cost_dkk, indexed by person_id).
    min_group : int, default 5
        Fewest persons in the open top interval (persons).
    width : float, optional
        Width of an interval (points); default a round number giving about ten intervals up to the 98th
        percentile.
    members : sequence of str, optional
        Pseudonyms of programme members, counted per interval.

    Returns
    -------
    pandas.DataFrame
        One row per interval from the lowest score's, lowest first: lower, upper (points; upper is NaN for the
        open top interval),
        label (e.g. '4-6', '20+'), persons, members (persons), cost_dkk (DKK in the window),
        cost_per_person_dkk.
    """
    cols = ["lower", "upper", "label", "persons", "members", "cost_dkk", "cost_per_person_dkk"]
    if scores.empty:
        return pd.DataFrame(columns=cols)
    s = scores["score"].to_numpy(dtype=float)
    width = width or _nice_width(float(np.quantile(s, 0.98)))
    k = np.floor(s / width).astype(int)
    is_member = scores.index.isin(set([] if members is None else members))
    top = int(k.max())
    while top > 0 and (k >= top).sum() < min_group:
        top -= 1
    k = np.minimum(k, top)
    rows = []
    for b in range(int(k.min()), top + 1):
        sel = k == b
        lower, upper = b * width, (b + 1) * width if b < top else np.nan
        label = f"{_num(lower)}-{_num(upper)}" if b < top else f"{_num(lower)}+"
        cost = float(scores["cost_dkk"].to_numpy()[sel].sum())
        n = int(sel.sum())
        rows.append([lower, upper, label, n, int((sel & is_member).sum()), cost, cost / n if n else np.nan])
    return pd.DataFrame(rows, columns=cols)


def _num(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def candidate_list(
    scores: pd.DataFrame, exclude: Sequence[str] = (), *, min_sectors: int = 2, n: int = 20
) -> pd.DataFrame:
    """The ranked candidates for the programme: highest complexity score first, by pseudonym.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`complexity` (indexed by person_id).
    exclude : sequence of str
        Pseudonyms to leave out (the programme's current and former members).
    min_sectors : int, default 2
        Fewest sectors a candidate must have been served by in the window (the participating municipalities'
        rule: cases in at least two sectors).
    n : int, default 20
        Length of the list (persons).

    Returns
    -------
    pandas.DataFrame
        rank (1 = highest score), person_id (pseudonym), sectors, services, cost_dkk (DKK in the window), score.
    """
    eligible = scores[(scores["sectors"] >= min_sectors) & ~scores.index.isin(set(exclude))]
    top = eligible.sort_values(["score", "cost_dkk"], ascending=False, kind="stable").head(n).reset_index()
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    return top[["rank", "person_id", "sectors", "services", "cost_dkk", "score"]]


# --------------------------------------------------------------------------------------------------------------
# Baseline against actual, comparison group, evaluation
# --------------------------------------------------------------------------------------------------------------


def _window_sums(costs: pd.DataFrame, people: pd.DataFrame, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Cost per row of ``people`` and sector (array rows x sectors, DKK) over months lo..hi (ordinals, inclusive)."""
    c = costs[costs["person_id"].isin(set(people["person_id"]))]
    if c.empty:
        return np.zeros((len(people), len(SECTORS)))
    pm = c.groupby(["person_id", "sector", "month"], as_index=False)["cost_dkk"].sum()
    pm["o"] = _ordinals(pm["month"])
    pm["s"] = pm["sector"].map({s: i for i, s in enumerate(SECTORS)})
    rows = pd.DataFrame(
        {"person_id": people["person_id"].to_numpy(), "lo": lo, "hi": hi, "r": range(len(people))}
    )
    merged = rows.merge(pm[["person_id", "s", "o", "cost_dkk"]], on="person_id")
    merged = merged[(merged["o"] >= merged["lo"]) & (merged["o"] <= merged["hi"])]
    out = np.zeros((len(people), len(SECTORS)))
    np.add.at(
        out, (merged["r"].to_numpy(), merged["s"].to_numpy().astype(int)), merged["cost_dkk"].to_numpy()
    )
    return out


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
        counts every member), baseline_dkk, actual_dkk, change_dkk (DKK per year, all members), change_pct,
        comparison_change_pct (the comparisons' change relative to their baseline, weighted as the members),
        matched_persons, comparison_persons (distinct comparison persons with a cost in the sector in either
        period), effect_dkk (sum of the matched members' effects, DKK per year; negative = lower costs than the
        comparisons).
    summary : pandas.Series
        members, matched (persons), comparison_persons (distinct comparison persons), baseline_dkk, actual_dkk,
        change_dkk, change_pct, comparison_change_pct, effect_dkk, effect_low_dkk, effect_high_dkk (approximate 95 %
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
            "change_pct": (act - base) / base if base else np.nan,
            "comparison_change_pct": per.loc[matched, "comparison_change_per_year_dkk"].sum() / cbase
            if cbase
            else np.nan,
            "matched_persons": int(matched.sum() if key == TOTAL else (matched & has_cost).sum()),
            "comparison_persons": int(
                comp_part.loc[
                    (comp_part["baseline_per_year_dkk"] > 0) | (comp_part["actual_per_year_dkk"] > 0),
                    "person_id",
                ].nunique()
            ),
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
            "change_pct": t["change_pct"],
            "comparison_change_pct": t["comparison_change_pct"],
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
        comparison_share (share of the comparisons, weighted as in the evaluation).
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


def evidence_da(summary: pd.Series, min_group: int = 5) -> str:
    """A plain Danish statement of what the evaluation shows and how strong the evidence is.

    Parameters
    ----------
    summary : pandas.Series
        :attr:`Evaluation.summary`.
    min_group : int, default 5
        The report's small-group threshold (persons): with fewer matched members no effect is stated.

    Returns
    -------
    str
        Three to four sentences, Danish, amounts in mio. kr.
    """
    from analysis.reporting.formatting import fmt_dkk, fmt_pct

    n, members = int(summary["matched"]), int(summary["members"])
    if n < min_group:
        return (
            "Evidensen er utilstrækkelig: for få deltagere kunne sammenlignes med lignende borgere uden for "
            "programmet til, at en effekt kan opgøres."
        )
    change, comp = summary["change_pct"], summary["comparison_change_pct"]
    effect, low, high = summary["effect_dkk"], summary["effect_low_dkk"], summary["effect_high_dkk"]
    text = [
        f"Deltagernes udgifter ændrede sig med {fmt_pct(change)} fra året før til året efter indtræden; "
        f"lignende borgere uden for programmet ændrede sig med {fmt_pct(comp)} over de samme måneder."
    ]
    if comp < 0:
        text.append(
            "At også sammenligningsgruppens udgifter faldt, viser at en del af et fald kommer af sig selv, når "
            "borgere udvælges i et år med høje udgifter (regression mod gennemsnittet)."
        )
    text.append(
        f"Forskellen svarer til {fmt_dkk(abs(effect))} {'lavere' if effect < 0 else 'højere'} udgift om året "
        f"for de {n} af {members} deltagere, der kunne sammenlignes (95 %-interval cirka {fmt_dkk(low)} til "
        f"{fmt_dkk(high)})."
    )
    reasons = [r for r in str(summary.get("reasons", "")).split(",") if r]
    if not reasons:
        text.append(
            "Evidensen er moderat: intervallet udelukker nul, og grupperne lignede hinanden før indtræden, men "
            "deltagerne er udvalgt efter en faglig vurdering og ikke ved lodtrækning, så forskelle, som data ikke "
            "viser (fx motivation), kan forklare en del."
        )
    else:
        why = []
        if "few" in reasons:
            why.append(f"kun {n} deltagere kunne sammenlignes")
        if "balance" in reasons:
            mb, cb = summary["member_baseline_per_person_dkk"], summary["comparison_baseline_per_person_dkk"]
            why.append(
                f"deltagerne kostede før indtræden {fmt_dkk(mb)} om året pr. person mod {fmt_dkk(cb)} i "
                "sammenligningsgruppen, så grupperne ligner ikke hinanden nok"
            )
        if "interval" in reasons:
            why.append("intervallet rummer nul")
        text.append(
            "Evidensen er svag: "
            + "; ".join(why)
            + ". Tallet er et skøn over retningen, ikke en dokumenteret effekt; før-efter-tallet alene må ikke "
            "læses som programmets gevinst."
        )
    return " ".join(text)


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


# --------------------------------------------------------------------------------------------------------------
# Year-end distribution (Albertslund)
# --------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------
# Monthly follow-up (Furesø)
# --------------------------------------------------------------------------------------------------------------


def follow_up(
    costs: pd.DataFrame,
    members: pd.DataFrame,
    year: int,
    month: int,
    *,
    history: int = 36,
    forecaster: Callable | None = None,
) -> pd.DataFrame:
    """Monthly follow-up of the programme's members: realised cost so far, forecast for the rest, last year.

    The cohort is the members in the programme at the end of ``month`` (joined by then, not left before). The
    realised cost is their cost in the months of ``year`` up to ``month``, counted from each member's month of
    joining. The rest of the year is forecast per sector from the cohort's monthly cost in the ``history``
    months up to ``month`` (the same persons before and after joining) with ``forecaster`` (by default
    :func:`analysis.forecast.auto_forecast`, which chooses a method by back-testing). Last year is the cohort's
    whole cost in ``year - 1`` (Furesø compares with the persons' whole consumption in the previous year).

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs` (covering the months up to ``year``-``month``).
    members : pandas.DataFrame
        person_id, joined, left.
    year : int
        The year followed.
    month : int
        The last month with realised costs (1-12); 12 leaves nothing to forecast.
    history : int, default 36
        Months of history the forecast is made from.
    forecaster : callable, optional
        ``forecaster(y, horizon)`` returning an object with ``.mean`` (Series of ``horizon`` monthly values) and
        ``.method`` (str); ``y`` is a monthly Series (PeriodIndex) of DKK.

    Returns
    -------
    pandas.DataFrame
        Indexed by sector and ``'total'``: persons (cohort members with a cost in the sector in the previous or
        this year up to ``month``; the total counts the cohort), realised_dkk, forecast_dkk, expected_dkk
        (realised + forecast), last_year_dkk (DKK), change_pct (expected against last year), method (the
        forecast's method; '' for the total).
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, found {month}")
    if forecaster is None:
        from analysis.forecast import auto_forecast as forecaster
    as_of = year * 12 + month - 1
    joined = np.array([_ordinal(j) for j in members["joined"]])
    left = np.array([10**9 if pd.isna(x) else _ordinal(x) for x in members["left"]])
    cohort = members.loc[(joined <= as_of) & (left >= as_of)].reset_index(drop=True)
    start = dict(zip(cohort["person_id"], [_ordinal(j) for j in cohort["joined"]], strict=True))
    c = costs[costs["person_id"].isin(start)].copy()
    c["o"] = _ordinals(c["month"])
    c = c[c["o"] <= as_of]
    this = c[(c["o"] >= year * 12) & (c["o"] >= c["person_id"].map(start))]
    last = c[(c["o"] >= (year - 1) * 12) & (c["o"] < year * 12)]
    seen = c[c["o"] >= (year - 1) * 12]
    horizon = 12 - month
    months = pd.period_range(end=pd.Period(year=year, month=month, freq="M"), periods=history, freq="M")
    rows = {}
    for s in SECTORS:
        y = c[c["sector"] == s].groupby("month")["cost_dkk"].sum()
        y = y.reindex(months, fill_value=0.0).astype(float)
        if horizon:
            res = forecaster(y, horizon)
            forecast, method = (
                float(np.clip(np.asarray(res.mean, dtype=float), 0, None).sum()),
                str(res.method),
            )
        else:
            forecast, method = 0.0, ""
        realised = float(this.loc[this["sector"] == s, "cost_dkk"].sum())
        rows[s] = {
            "persons": int(seen.loc[seen["sector"] == s, "person_id"].nunique()),
            "realised_dkk": realised,
            "forecast_dkk": forecast,
            "expected_dkk": realised + forecast,
            "last_year_dkk": float(last.loc[last["sector"] == s, "cost_dkk"].sum()),
            "method": method,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    total = out[["realised_dkk", "forecast_dkk", "expected_dkk", "last_year_dkk"]].sum()
    out.loc[TOTAL] = {**total.to_dict(), "persons": len(cohort), "method": ""}
    out["persons"] = out["persons"].astype(int)
    out["change_pct"] = out["expected_dkk"] / out["last_year_dkk"].replace(0, np.nan) - 1
    out.index.name = "sector"
    return out[
        ["persons", "realised_dkk", "forecast_dkk", "expected_dkk", "last_year_dkk", "change_pct", "method"]
    ]
