"""Spending, price and quantity of one municipality and function area over the years, against the country.

Pure pandas on warehouse-shaped frames (see :mod:`analysis.data.queries`).

Units: spending and budgets in DKK; quantity in full-year persons; price in DKK per full-year person; rate in
full-year persons per 1,000 residents of the area's resident group (:func:`analysis.benchmark.resident_group`:
aged 18-64 for 5.38, aged 0-17 for 5.28; the frame's column ``residents`` holds that group). National
figures are weighted: the national price is total spending / total persons of all municipalities, the national
rate total persons / total residents of the group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.benchmark import RESIDENTS_COLUMN, resident_group

__all__ = ["by_provider", "yearly"]


def yearly(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    budgets: pd.DataFrame,
    municipality_code: int,
    function_code: str,
    accounts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per year for one municipality and function area, with the national figures beside it.

    Spending comes from ``activity`` (with its full-year persons) when the municipality has activity rows for the
    area, else from ``accounts`` (Statistics Denmark's REGK31 alone): then the persons, price and rate are NaN, and
    the national spending per resident is that of the accounts. A year without population gives NaN rates.

    Parameters
    ----------
    activity, municipalities, budgets
        Warehouse-shaped frames covering the years to show (all municipalities, for the national figures).
    municipality_code
        The municipality (3-digit code).
    function_code
        The function area, e.g. ``'5.38.50'``.
    accounts
        The ``accounts`` table (municipality_code, year, function_code, spending_dkk in DKK), optional: used when
        the municipality has no activity rows for the area.

    Returns
    -------
    pandas.DataFrame
        Indexed by year: spending_dkk, budget_dkk, full_year_persons, residents (residents aged 18-64; for 5.28
        residents aged 0-17, NaN when ``municipalities`` lacks them), price_dkk (DKK per full-year
        person; NaN with no persons), rate_per_1000, spending_per_resident_dkk (DKK per resident of the group),
        national_price_dkk, national_rate_per_1000, national_spending_per_resident_dkk.

    Raises
    ------
    ValueError
        When the municipality has neither activity nor accounts for the function area in the frames given.
    """
    act = activity[activity["function_code"] == function_code]
    own = act[act["municipality_code"] == municipality_code]
    base = act
    if own.empty and accounts is not None:
        base = accounts[accounts["function_code"] == function_code]
        own = base[base["municipality_code"] == municipality_code]
    if own.empty:
        raise ValueError(
            f"no activity or accounts for municipality {municipality_code} on function {function_code}"
        )
    # not benchmark.per_resident_basis: without the group's column (5.28: aged 0-17) the report degrades, no error
    group = resident_group(function_code)
    residents = municipalities[group.column] if group.column in municipalities.columns else np.nan
    municipalities = municipalities.assign(**{RESIDENTS_COLUMN: residents})
    pop = (
        municipalities.dropna(subset=["residents"])
        .groupby(["municipality_code", "year"])["residents"]
        .first()
    )
    out = own.groupby("year")[["spending_dkk"]].sum()
    out["full_year_persons"] = (
        own.groupby("year")["full_year_persons"].sum() if "full_year_persons" in own else np.nan
    )
    keys = pd.MultiIndex.from_arrays([[int(municipality_code)] * len(out), out.index])
    out["residents"] = pop.reindex(keys).to_numpy(dtype=float)
    bud = budgets[
        (budgets["municipality_code"] == municipality_code) & (budgets["function_code"] == function_code)
    ]
    out["budget_dkk"] = bud.set_index("year")["budget_dkk"].reindex(out.index)
    out["price_dkk"] = out["spending_dkk"] / out["full_year_persons"].replace(0, np.nan)
    out["rate_per_1000"] = out["full_year_persons"] / out["residents"] * 1000
    out["spending_per_resident_dkk"] = out["spending_dkk"] / out["residents"]
    munis_in = base[["municipality_code", "year"]].drop_duplicates()
    with_pop = munis_in.join(pop, on=["municipality_code", "year"]).dropna(subset=["residents"])
    nat_pop = with_pop.groupby("year")["residents"].sum()
    counted = base.merge(with_pop[["municipality_code", "year"]], on=["municipality_code", "year"])
    nat_spending = counted.groupby("year")["spending_dkk"].sum()
    if "full_year_persons" in act and len(act):
        nat = act.groupby("year")[["spending_dkk", "full_year_persons"]].sum()
        act_in = act[["municipality_code", "year"]].drop_duplicates()
        act_in = act_in.join(pop, on=["municipality_code", "year"]).dropna(subset=["residents"])
        act_pop = act_in.groupby("year")["residents"].sum()
        # the rate counts only municipalities with a population in the year (FOLK1A may lack one)
        rated = act.merge(act_in[["municipality_code", "year"]], on=["municipality_code", "year"])
        rate_persons = rated.groupby("year")["full_year_persons"].sum()
        out["national_price_dkk"] = (nat["spending_dkk"] / nat["full_year_persons"]).reindex(out.index)
        out["national_rate_per_1000"] = (rate_persons / act_pop.replace(0, np.nan) * 1000).reindex(out.index)
    else:
        out["national_price_dkk"] = np.nan
        out["national_rate_per_1000"] = np.nan
    out["national_spending_per_resident_dkk"] = (nat_spending / nat_pop.replace(0, np.nan)).reindex(out.index)
    return out[
        [
            "spending_dkk",
            "budget_dkk",
            "full_year_persons",
            "residents",
            "price_dkk",
            "rate_per_1000",
            "spending_per_resident_dkk",
            "national_price_dkk",
            "national_rate_per_1000",
            "national_spending_per_resident_dkk",
        ]
    ]


def by_provider(
    activity: pd.DataFrame, municipality_code: int, function_code: str, year: int
) -> pd.DataFrame:
    """Full-year persons, DKK and price by paragraph and provider ('internal'/'external') in one year.

    Returns a frame with columns paragraph, provider, full_year_persons, spending_dkk, price_dkk (DKK per
    full-year person; NaN with no persons) and share_of_persons (fraction of the area's persons in the year).
    """
    a = activity[
        (activity["municipality_code"] == municipality_code)
        & (activity["function_code"] == function_code)
        & (activity["year"] == year)
    ]
    out = a.groupby(["paragraph", "provider"], as_index=False)[["full_year_persons", "spending_dkk"]].sum()
    out["price_dkk"] = out["spending_dkk"] / out["full_year_persons"].replace(0, np.nan)
    total = out["full_year_persons"].sum()
    out["share_of_persons"] = out["full_year_persons"] / total if total else np.nan
    return out
