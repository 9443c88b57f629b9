"""Tools for the manager of a housing offer: wage budget to staff hours, and the resource-allocation model.

Two questions a manager of an offer (botilbud) asks every year (issue 18):

1. **How many hours does the wage budget buy, week by week?** The budget pays the staff's paid hours at their
   hourly cost (DKK, pension and supplements included). Of the paid hours a share is lost to holidays, absence
   and training; the rest are the hours on the floor (timer på gulvet). The roster (planned staffing) needs a
   number of hours on the floor each week; where the own staff's hours fall short (holiday weeks above all),
   substitutes (vikarer) fill in, paid from what the budget leaves after the permanent staff.
   :func:`weekly_hours` gives the plain average; :func:`staffing_weeks` the week-by-week plan;
   :func:`roster_budget` the reverse: the wage budget a roster needs.

2. **What does a citizen's support need bring in?** A fixed, transparent rate per support-need level
   (takst pr. niveau) = hourly rate x support hours per week of the level x 52 weeks, plus overheads
   (:func:`level_rates`); the offer's income from its residents' levels (:func:`offer_income`); the income effect
   of one citizen's change of level (:func:`level_change_effect`); a what-if table (:func:`what_if`).

Lost hours per week: the offer states the share of the year's paid hours lost (``lost_share``, e.g. 0.20) and the
share lost in each holiday week (e.g. 0.45 in weeks 28-30); the other weeks lose what is left, so that the year's
lost hours are ``lost_share`` of its paid hours (:func:`weekly_lost_shares`). The year has 52 weeks.

Everything takes numbers and frames and returns frames; nothing reads files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.errors import InputError

__all__ = [
    "WEEKS",
    "budget_for_weekly_hours",
    "level_change_effect",
    "level_rates",
    "monthly_income",
    "offer_income",
    "roster_budget",
    "staffing_summary",
    "staffing_weeks",
    "weekly_hours",
    "weekly_lost_shares",
    "what_if",
]

#: Weeks of the planning year.
WEEKS = 52


def _positive(name: str, value: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise InputError(f"{name}: expected a positive number, found {value!r}")
    return float(value)


def _share(name: str, value: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1:
        raise InputError(f"{name}: expected a share from 0 up to (not including) 1, found {value!r}")
    return float(value)


def weekly_hours(wage_budget_dkk: float, hourly_cost_dkk: float, lost_share: float) -> float:
    """Average hours on the floor per week that a wage budget buys, over 52 weeks.

    Parameters
    ----------
    wage_budget_dkk : float
        The offer's annual wage budget, DKK.
    hourly_cost_dkk : float
        Cost of one paid hour, DKK (pension and supplements included).
    lost_share : float
        Share (0-1) of the paid hours lost to holidays, absence and training.

    Returns
    -------
    float
        Hours on the floor per week: ``wage_budget / hourly_cost x (1 - lost_share) / 52``.

    Examples
    --------
    >>> round(weekly_hours(10_000_000, 350, 0.20), 2)
    439.56
    """
    budget = _positive("wage_budget_dkk", wage_budget_dkk)
    cost = _positive("hourly_cost_dkk", hourly_cost_dkk)
    lost = _share("lost_share", lost_share)
    return budget / cost * (1 - lost) / WEEKS


def budget_for_weekly_hours(floor_hours_per_week: float, hourly_cost_dkk: float, lost_share: float) -> float:
    """The reverse of :func:`weekly_hours`: the annual wage budget (DKK) that buys these hours on the floor.

    Parameters
    ----------
    floor_hours_per_week : float
        Hours on the floor per week, on average over 52 weeks.
    hourly_cost_dkk : float
        Cost of one paid hour, DKK.
    lost_share : float
        Share (0-1) of the paid hours lost to holidays, absence and training.

    Examples
    --------
    >>> round(budget_for_weekly_hours(439.56043956, 350, 0.20))
    10000000
    """
    hours = _positive("floor_hours_per_week", floor_hours_per_week)
    cost = _positive("hourly_cost_dkk", hourly_cost_dkk)
    lost = _share("lost_share", lost_share)
    return hours * WEEKS / (1 - lost) * cost


def weekly_lost_shares(lost_share: float, holiday_weeks: Mapping[int, float] | None = None) -> pd.Series:
    """The share of paid hours lost in each week 1-52.

    Parameters
    ----------
    lost_share : float
        Share (0-1) of the year's paid hours lost (holidays, absence, training).
    holiday_weeks : mapping of week number (1-52) to share (0-1), optional
        The share lost in each holiday week. The other weeks share the rest equally, so that the mean over the
        52 weeks is ``lost_share``.

    Returns
    -------
    pandas.Series
        Index ``week`` 1-52, values the share lost that week.

    Raises
    ------
    InputError
        For a week outside 1-52, a share outside 0-1, or holiday weeks that lose more than the year's share
        leaves room for (the other weeks would lose less than nothing).
    """
    lost = _share("lost_share", lost_share)
    holiday = {}
    for week, share in (holiday_weeks or {}).items():
        if not isinstance(week, int) or isinstance(week, bool) or not 1 <= week <= WEEKS:
            raise InputError(f"holiday_weeks: expected week numbers 1-{WEEKS}, found {week!r}")
        holiday[week] = _share(f"holiday_weeks: week {week}", share)
    others = WEEKS - len(holiday)
    rest = lost * WEEKS - sum(holiday.values())
    if others == 0:
        if abs(rest) > 1e-9:
            raise InputError("holiday_weeks: every week is a holiday week, but their mean is not lost_share")
        other = 0.0
    else:
        other = rest / others
    if other < -1e-12:
        raise InputError(
            f"holiday_weeks: the holiday weeks lose {sum(holiday.values()):.2f} weeks' hours, more than the "
            f"year's lost_share {lost:.2f} x {WEEKS} = {lost * WEEKS:.2f}; raise lost_share or lower the holiday weeks"
        )
    weeks = pd.RangeIndex(1, WEEKS + 1, name="week")
    return pd.Series([holiday.get(w, max(other, 0.0)) for w in weeks], index=weeks, name="lost_share")


_GROUP_COLUMNS = ("staff_group", "hourly_cost_dkk", "paid_hours_per_week", "planned_hours_per_week")


def _check_groups(groups: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _GROUP_COLUMNS if c not in groups.columns]
    if missing:
        raise InputError(f"staff groups: missing columns {missing}; expected {list(_GROUP_COLUMNS)}")
    if groups.empty:
        raise InputError("staff groups: no staff group")
    for r in groups.itertuples():
        _positive(f"staff group {r.staff_group!r}: hourly_cost_dkk", r.hourly_cost_dkk)
        for col in ("paid_hours_per_week", "planned_hours_per_week"):
            v = getattr(r, col)
            if not isinstance(v, int | float) or isinstance(v, bool) or v < 0:
                raise InputError(f"staff group {r.staff_group!r}: {col}: expected hours >= 0, found {v!r}")
    if groups["staff_group"].duplicated().any():
        raise InputError(
            f"staff groups: a group is listed twice: {groups.staff_group[groups.staff_group.duplicated()].tolist()}"
        )
    return groups


def staffing_weeks(
    wage_budget_dkk: float,
    groups: pd.DataFrame,
    lost_shares: pd.Series,
    substitute_hourly_cost_dkk: float,
) -> pd.DataFrame:
    """The wage budget week by week: paid hours, hours on the floor, the substitutes needed and afforded.

    Parameters
    ----------
    wage_budget_dkk : float
        The offer's annual wage budget, DKK.
    groups : pandas.DataFrame
        One row per staff group: ``staff_group``, ``hourly_cost_dkk`` (DKK per paid hour),
        ``paid_hours_per_week`` (the permanent staff's contracted hours, paid every week) and
        ``planned_hours_per_week`` (the roster: hours on the floor the group must cover each week).
    lost_shares : pandas.Series
        Share of paid hours lost in each week 1-52 (:func:`weekly_lost_shares`).
    substitute_hourly_cost_dkk : float
        Cost of one substitute hour, DKK.

    Returns
    -------
    pandas.DataFrame
        One row per week: ``week``, ``lost_share``, ``paid_hours`` (permanent staff), ``floor_hours`` (theirs, on
        the floor), ``planned_hours`` (the roster), ``substitute_need_hours`` (the roster's hours the own staff
        cannot cover, summed over groups: a group's surplus does not cover another group's gap),
        ``substitute_room_hours`` (the hours the budget left after the permanent staff pays for, spread over the
        weeks in proportion to the need; all in week proportion to 52 weeks when no week needs any) and
        ``uncovered_hours`` (need minus room, at least 0).

    Notes
    -----
    The permanent staff cost ``52 x sum(paid_hours_per_week x hourly_cost_dkk)``; what the budget leaves, divided
    by the substitute hourly cost, is the year's substitute room. A negative room (the permanent staff cost more
    than the budget) is kept negative in :func:`staffing_summary` and gives no substitute room in any week.
    """
    budget = _positive("wage_budget_dkk", wage_budget_dkk)
    sub_cost = _positive("substitute_hourly_cost_dkk", substitute_hourly_cost_dkk)
    groups = _check_groups(groups)
    lost = lost_shares.to_numpy(dtype=float)
    if len(lost) != WEEKS:
        raise InputError(f"lost shares: expected {WEEKS} weeks, found {len(lost)}")
    paid = float(groups.paid_hours_per_week.sum())
    permanent_dkk = WEEKS * float((groups.paid_hours_per_week * groups.hourly_cost_dkk).sum())
    room_total = max(budget - permanent_dkk, 0.0) / sub_cost
    need = pd.Series(0.0, index=lost_shares.index)
    for g in groups.itertuples():
        need += (g.planned_hours_per_week - g.paid_hours_per_week * (1 - lost)).clip(min=0)
    weights = need / need.sum() if need.sum() > 0 else pd.Series(1 / WEEKS, index=lost_shares.index)
    room = room_total * weights
    out = pd.DataFrame(
        {
            "week": lost_shares.index.to_numpy(),
            "lost_share": lost,
            "paid_hours": paid,
            "floor_hours": paid * (1 - lost),
            "planned_hours": float(groups.planned_hours_per_week.sum()),
            "substitute_need_hours": need.to_numpy(),
            "substitute_room_hours": room.to_numpy(),
        }
    )
    out["uncovered_hours"] = (out.substitute_need_hours - out.substitute_room_hours).clip(lower=0)
    return out


def staffing_summary(
    wage_budget_dkk: float,
    groups: pd.DataFrame,
    weeks: pd.DataFrame,
    substitute_hourly_cost_dkk: float,
) -> pd.Series:
    """The year in figures: what the permanent staff cost, the substitute room and need, and the balance.

    Parameters
    ----------
    wage_budget_dkk : float
        The annual wage budget, DKK.
    groups : pandas.DataFrame
        The staff groups as given to :func:`staffing_weeks`.
    weeks : pandas.DataFrame
        The result of :func:`staffing_weeks`.
    substitute_hourly_cost_dkk : float
        DKK per substitute hour.

    Returns
    -------
    pandas.Series
        ``paid_hours_year``, ``floor_hours_per_week`` (mean over 52 weeks), ``permanent_dkk``,
        ``substitute_room_dkk`` (budget minus permanent staff; negative when they cost more than the budget),
        ``substitute_room_hours``, ``substitute_need_hours`` (year), ``substitute_need_dkk``, ``balance_dkk``
        (room minus need, DKK: positive means money left), ``coverage`` (room hours / need hours; NaN without
        need), ``roster_budget_dkk`` (:func:`roster_budget`).
    """
    permanent = WEEKS * float((groups.paid_hours_per_week * groups.hourly_cost_dkk).sum())
    room_dkk = wage_budget_dkk - permanent
    need_hours = float(weeks.substitute_need_hours.sum())
    need_dkk = need_hours * substitute_hourly_cost_dkk
    return pd.Series(
        {
            "paid_hours_year": float(weeks.paid_hours.sum()),
            "floor_hours_per_week": float(weeks.floor_hours.mean()),
            "permanent_dkk": permanent,
            "substitute_room_dkk": room_dkk,
            "substitute_room_hours": room_dkk / substitute_hourly_cost_dkk,
            "substitute_need_hours": need_hours,
            "substitute_need_dkk": need_dkk,
            "balance_dkk": room_dkk - need_dkk,
            "coverage": max(room_dkk, 0.0) / need_dkk if need_dkk > 0 else float("nan"),
            "roster_budget_dkk": permanent + need_dkk,
        }
    )


def roster_budget(groups: pd.DataFrame, lost_shares: pd.Series, substitute_hourly_cost_dkk: float) -> float:
    """The reverse: the annual wage budget (DKK) a roster needs, with its permanent staff and substitutes.

    The permanent staff's paid hours every week at their hourly cost, plus every week's substitute need (the
    roster's hours the own staff cannot cover, :func:`staffing_weeks`) at the substitute hourly cost. With this
    budget, :func:`staffing_summary` shows a balance of 0 and a coverage of 100 %.

    Parameters
    ----------
    groups : pandas.DataFrame
        Staff groups as for :func:`staffing_weeks`.
    lost_shares : pandas.Series
        Share lost per week (:func:`weekly_lost_shares`).
    substitute_hourly_cost_dkk : float
        DKK per substitute hour.
    """
    weeks = staffing_weeks(1.0, groups, lost_shares, substitute_hourly_cost_dkk)
    permanent = WEEKS * float((groups.paid_hours_per_week * groups.hourly_cost_dkk).sum())
    return permanent + float(weeks.substitute_need_hours.sum()) * substitute_hourly_cost_dkk


# --- the allocation model -------------------------------------------------------------------------------------


def level_rates(
    levels: pd.DataFrame,
    hourly_rate_dkk: float,
    overhead_share: float = 0.0,
    overhead_per_resident_dkk: float = 0.0,
) -> pd.DataFrame:
    """The annual rate per support-need level: hourly rate x hours per week x 52, plus overheads.

    Parameters
    ----------
    levels : pandas.DataFrame
        One row per level: ``level`` (a label, e.g. 'Niveau 1') and ``hours_per_week`` (support hours a resident
        of that level receives per week).
    hourly_rate_dkk : float
        DKK per support hour (the offer's hourly cost of staff on the floor).
    overhead_share : float, default 0
        Surcharge on the staff cost for management, administration and the building, as a share (0.15 = 15 %).
    overhead_per_resident_dkk : float, default 0
        A fixed overhead per resident and year, DKK.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``hours_per_week``, ``staff_dkk`` (per year), ``overhead_dkk``, ``rate_dkk`` (per resident and
        year), ``rate_per_day_dkk`` (rate / 365).
    """
    rate = _positive("hourly_rate_dkk", hourly_rate_dkk)
    if not 0 <= overhead_share < 10:
        raise InputError(f"overhead_share: expected a share >= 0, found {overhead_share!r}")
    if overhead_per_resident_dkk < 0:
        raise InputError(f"overhead_per_resident_dkk: expected DKK >= 0, found {overhead_per_resident_dkk!r}")
    for col in ("level", "hours_per_week"):
        if col not in levels.columns:
            raise InputError(f"levels: missing column '{col}'")
    if levels.level.duplicated().any():
        raise InputError(
            f"levels: a level is listed twice: {levels.level[levels.level.duplicated()].tolist()}"
        )
    if (levels.hours_per_week < 0).any():
        raise InputError("levels: hours_per_week must be >= 0")
    out = levels[["level", "hours_per_week"]].copy()
    out["staff_dkk"] = out.hours_per_week * WEEKS * rate
    out["overhead_dkk"] = out.staff_dkk * overhead_share + overhead_per_resident_dkk
    out["rate_dkk"] = out.staff_dkk + out.overhead_dkk
    out["rate_per_day_dkk"] = out.rate_dkk / 365
    return out.reset_index(drop=True)


def _rate_of(rates: pd.DataFrame) -> dict:
    return dict(zip(rates.level, rates.rate_dkk, strict=True))


def offer_income(rates: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    """The offer's annual income from its residents' levels.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`level_rates`.
    residents : pandas.DataFrame
        ``level`` and ``residents`` (number of residents, full-year equivalents) per level.

    Returns
    -------
    pandas.DataFrame
        Per level: ``level``, ``residents``, ``rate_dkk``, ``income_dkk``; a last row ``level`` 'I alt' with the
        totals (its rate is the mean income per resident).
    """
    rate = _rate_of(rates)
    unknown = sorted(set(residents.level) - set(rate), key=str)
    if unknown:
        raise InputError(f"residents: unknown levels {unknown}; the rates have {list(rate)}")
    out = residents.groupby("level", sort=False, as_index=False).residents.sum()
    out["rate_dkk"] = out.level.map(rate)
    out["income_dkk"] = out.residents * out.rate_dkk
    n, income = out.residents.sum(), out.income_dkk.sum()
    total = pd.DataFrame(
        [
            {
                "level": "I alt",
                "residents": n,
                "rate_dkk": income / n if n else float("nan"),
                "income_dkk": income,
            }
        ]
    )
    return pd.concat([out, total], ignore_index=True)


def monthly_income(rates: pd.DataFrame, residents_by_month: pd.DataFrame) -> pd.DataFrame:
    """The offer's income month by month from its residents' levels: residents x the annual rate / 12.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`level_rates`.
    residents_by_month : pandas.DataFrame
        ``month`` (1-12), ``level`` and ``residents`` (residents of that level in the month).

    Returns
    -------
    pandas.DataFrame
        One row per month: ``month``, ``residents`` (all levels), ``income_dkk``.
    """
    rate = _rate_of(rates)
    unknown = sorted(set(residents_by_month.level) - set(rate), key=str)
    if unknown:
        raise InputError(f"residents by month: unknown levels {unknown}; the rates have {list(rate)}")
    bad = sorted(set(residents_by_month.month) - set(range(1, 13)))
    if bad:
        raise InputError(f"residents by month: months must be 1-12, found {bad}")
    r = residents_by_month.assign(
        income_dkk=residents_by_month.residents * residents_by_month.level.map(rate) / 12
    )
    out = r.groupby("month", as_index=False)[["residents", "income_dkk"]].sum()
    return out.set_index("month").reindex(range(1, 13), fill_value=0.0).rename_axis("month").reset_index()


def level_change_effect(rates: pd.DataFrame, from_level, to_level, months: float = 12) -> float:
    """The income effect (DKK) of one citizen moving from one level to another, for ``months`` months.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`level_rates`.
    from_level, to_level
        The levels, as in ``rates.level``.
    months : float, default 12
        Months the new level applies (e.g. the rest of the year).

    Returns
    -------
    float
        ``(rate[to] - rate[from]) x months / 12``; negative when the need falls.
    """
    rate = _rate_of(rates)
    for lv in (from_level, to_level):
        if lv not in rate:
            raise InputError(f"unknown level {lv!r}; the rates have {list(rate)}")
    if not 0 <= months <= 12:
        raise InputError(f"months: expected 0-12, found {months!r}")
    return (rate[to_level] - rate[from_level]) * months / 12


def what_if(rates: pd.DataFrame, residents: pd.DataFrame, scenarios: Sequence[Mapping]) -> pd.DataFrame:
    """A what-if table: the offer's income under changes of residents' levels, each against today.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`level_rates`.
    residents : pandas.DataFrame
        ``level``, ``residents`` today.
    scenarios : sequence of mappings
        Each with ``label`` (Danish text), ``from_level`` (or None for a new resident), ``to_level`` (or None
        for one who leaves) and ``count`` (residents that move, default 1).

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``residents``, ``income_dkk``, ``change_dkk`` (against today); the first row is today.
    """
    base = offer_income(rates, residents).iloc[-1]
    rate = _rate_of(rates)
    now = residents.groupby("level").residents.sum().to_dict()
    rows = [
        {"scenario": "I dag", "residents": base.residents, "income_dkk": base.income_dkk, "change_dkk": 0.0}
    ]
    for s in scenarios:
        count = s.get("count", 1)
        f, t = s.get("from_level"), s.get("to_level")
        if f is None and t is None:
            raise InputError(
                f"scenario {s.get('label')!r}: a from_level (a resident moves or leaves) or a to_level (a resident "
                "comes or moves) is needed; with neither the scenario changes nothing"
            )
        for lv in (f, t):
            if lv is not None and lv not in rate:
                raise InputError(
                    f"scenario {s.get('label')!r}: unknown level {lv!r}; the rates have {list(rate)}"
                )
        if f is not None and now.get(f, 0) < count:
            raise InputError(
                f"scenario {s.get('label')!r}: {count} residents leave level {f!r}, which has {now.get(f, 0)}"
            )
        change = (rate[t] if t is not None else 0.0) * count - (rate[f] if f is not None else 0.0) * count
        n = base.residents + (count if f is None else 0) - (count if t is None else 0)
        rows.append(
            {
                "scenario": s["label"],
                "residents": n,
                "income_dkk": base.income_dkk + change,
                "change_dkk": change,
            }
        )
    return pd.DataFrame(rows)
