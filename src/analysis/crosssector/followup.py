"""Monthly follow-up of the programme's members: realised cost so far, forecast for the rest, last year (Furesø)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.crosssector.costs import SECTORS, TOTAL, _ordinal, _ordinals


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
        (realised + forecast), last_year_dkk (DKK), change_share (expected against last year), method (the
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
    out["change_share"] = out["expected_dkk"] / out["last_year_dkk"].replace(0, np.nan) - 1
    out.index.name = "sector"
    return out[
        ["persons", "realised_dkk", "forecast_dkk", "expected_dkk", "last_year_dkk", "change_share", "method"]
    ]
