"""Each person's cost per sector and month, and the year's overview (per sector, by number of sectors).

A CPR-registered case costs its ``monthly_cost_dkk`` in every month it runs; a case that is not CPR-registered
costs the average unit cost of its measure (DKK per month, passed in: the notebook reads them with
:func:`analysis.data.unit_costs.read_unit_costs`). Months are ``pandas.Period`` (frequency M).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.privacy import open_top

SECTORS = ("employment", "children_families", "adults_social", "health")
#: Danish names of the sectors, as a report writes them.
SECTOR_NAMES = {
    "employment": "Beskæftigelse",
    "children_families": "Børn og familie",
    "adults_social": "Voksen/socialområdet",
    "health": "Sundhed",
}
#: Label of the total row of the module's frames.
TOTAL = "total"


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
    no_cost = registered & np.isnan(monthly)
    if no_cost.any():
        ids = cases["case_id"] if "case_id" in cases.columns else pd.Series(cases.index, index=cases.index)
        named = ", ".join(str(v) for v in ids[no_cost][:5])  # case numbers, never a person
        raise ValueError(
            f"{int(no_cost.sum())} CPR-registered case(s) without a monthly_cost_dkk (a CPR-registered case costs "
            f"its own monthly cost): " + ("case " if "case_id" in cases.columns else "row ") + named
        )
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


def by_number_of_sectors(costs: pd.DataFrame, year: int, min_group: int | None = None) -> pd.DataFrame:
    """Persons and cost in a year by the number of sectors that served them.

    With ``min_group``, a small tail of the groups (the most sectors) is merged into one open group ('3 eller
    flere sektorer') by :func:`analysis.privacy.open_top`, so that its persons and cost can be shown instead of
    being suppressed together with a neighbour.

    Parameters
    ----------
    costs : pandas.DataFrame
        From :func:`person_month_costs`.
    year : int
        Calendar year.
    min_group : int, optional
        Smallest group shown (persons); default: no merging.

    Returns
    -------
    pandas.DataFrame
        Indexed by number of sectors (1-4, every one present, or up to the first of the open group; then
        ``'total'``): persons, cost_dkk (DKK in the year), share_of_persons, share_of_cost (fractions),
        cost_per_person_dkk (DKK per person in the year), or_more (True for an open group holding that number of
        sectors or more; False for the others and the total).
    """
    y = costs[pd.PeriodIndex(costs["month"], freq="M").year == year]
    per = y.groupby("person_id").agg(sectors=("sector", "nunique"), cost_dkk=("cost_dkk", "sum"))
    out = per.groupby("sectors").agg(persons=("cost_dkk", "size"), cost_dkk=("cost_dkk", "sum"))
    out = out.reindex(range(1, len(SECTORS) + 1), fill_value=0)
    top = len(out) - 1 if min_group is None else open_top(out["persons"].tolist(), min_group)
    merged = out.iloc[top:].sum()
    out = out.iloc[:top].copy()
    out.loc[top + 1] = merged
    out["or_more"] = False
    out.loc[top + 1, "or_more"] = top + 1 < len(SECTORS)
    out.index = out.index.astype(object)
    out.loc[TOTAL] = [len(per), per["cost_dkk"].sum(), False]
    out["persons"] = out["persons"].astype(int)
    out["or_more"] = out["or_more"].astype(bool)
    out["share_of_persons"] = out["persons"] / max(len(per), 1)
    out["share_of_cost"] = out["cost_dkk"] / (per["cost_dkk"].sum() or np.nan)
    out["cost_per_person_dkk"] = out["cost_dkk"] / out["persons"].replace(0, np.nan)
    out.index.name = "sectors"
    return out[["persons", "cost_dkk", "share_of_persons", "share_of_cost", "cost_per_person_dkk", "or_more"]]
