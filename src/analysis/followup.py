"""The monthly follow-up (budgetopfølgning) of all areas of a municipality, and what moved since the last one.

For every function area with postings in the year, as of the end of ``month``:

- **budget to date**: the year's budget periodised by the area's usual monthly profile (:func:`monthly_profile`:
  each month's share of the year's spending, the mean of the last complete years), not a twelfth a month;
- **booked to date**: the ledger's postings January..month;
- **year-end forecast** with its 80 % interval and method, from the forecast engine
  (:func:`analysis.forecast.area_forecast`), and the quantity it pays for (full-year persons, the engine's
  drift convention: last year's persons times the change in caseload where there are cases);
- the deviation **forecast - budget** split against the recorded budget assumptions (:func:`split_deviation`).

The rows of :func:`followup` are what the journal (``followup_journal``) records. :func:`moved` compares two
recorded follow-ups (the previous month's as it was reported, not a recomputation).

Units: DKK, full-year persons, DKK per full-year person.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.privacy import PSEUDONYM_PATTERN

__all__ = [
    "case_list",
    "data_fingerprint",
    "followup",
    "monthly_profile",
    "moved",
    "split_deviation",
    "starts_and_ends",
    "with_total",
]

TOTAL = "total"

#: A person id the confidential case list may show: a keyed pseudonym (see :mod:`analysis.privacy`), never CPR.
_PSEUDONYM = re.compile(PSEUDONYM_PATTERN)


def monthly_profile(ledger: pd.DataFrame, year: int, years: int = 3) -> pd.DataFrame:
    """Each area's usual share of the year's spending by month, from the complete years before ``year``.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table of one municipality (DKK per month).
    year : int
        The year followed up; only earlier years with all 12 months are used.
    years : int
        How many of the latest complete years are averaged.

    Returns
    -------
    pandas.DataFrame
        Indexed by function_code, columns 1..12: the mean share of each month (each row sums to 1), and a column
        ``years`` with the number of years averaged. An area without a complete earlier year (or whose years sum
        to zero) gets twelfths and ``years`` 0.

    Examples
    --------
    >>> led = pd.DataFrame({"function_code": "5.38.50", "year": 2024, "month": range(1, 13),
    ...                     "spending_dkk": [2.0] + [1.0] * 11})
    >>> p = monthly_profile(led, 2025)
    >>> float(p.loc["5.38.50", 1]), float(p.loc["5.38.50", 2]), int(p.loc["5.38.50", "years"])
    (0.15384615384615385, 0.07692307692307693, 1)
    """
    past = ledger[ledger["year"] < year]
    wide = past.pivot_table(
        index=["function_code", "year"], columns="month", values="spending_dkk", aggfunc="sum"
    ).reindex(columns=range(1, 13))
    complete = wide[wide.notna().all(axis=1)]
    totals = complete.sum(axis=1)
    complete = complete[totals != 0]
    shares = complete.div(complete.sum(axis=1), axis=0)
    shares = shares.sort_index().groupby(level="function_code").tail(years)
    codes = sorted(ledger["function_code"].unique())
    out = shares.groupby(level="function_code").mean().reindex(codes)
    n = shares.groupby(level="function_code").size().reindex(codes).fillna(0).astype(int)
    flat = out.isna().any(axis=1)
    out.loc[flat, :] = 1 / 12
    out["years"] = n.where(~flat, 0)
    out.columns.name = None
    return out


def data_fingerprint(
    municipality_code: int,
    year: int,
    month: int,
    ledger: pd.DataFrame,
    budgets: pd.DataFrame,
    accounts: pd.DataFrame,
    activity: pd.DataFrame,
    assumptions: pd.DataFrame | None = None,
    *,
    cases: pd.DataFrame | None = None,
    first_year: int | None = None,
) -> str:
    """A fingerprint of the data a follow-up of ``month`` of ``year`` is made from.

    The rows of the municipality: the ledger up to ``month`` of ``year``, the budgets, accounts and activity of
    ``year``, and the budget assumptions measured against (their version and values). With ``first_year``, the
    years from it are included too (every month of the years before ``year``): the monthly profile, the forecast's
    back-test and last year's persons read them, so a corrected posting of an earlier year changes the follow-up and
    its fingerprint. With ``cases``, the municipality's cases (the forecast's caseload and disposition). Any value
    changed, or any row added or removed, changes it; the order of the rows does not.

    Returns
    -------
    str
        16 characters of the SHA-256 in base32 (``a``-``z``, ``2``-``7``; 80 bits): never CPR-shaped, which the
        journal's CPR scan refuses (16 hexadecimal digits were, now and then: ``6309816721bff113``).
    """
    parts = []
    if "month" in ledger.columns and "year" in ledger.columns:
        ledger = ledger[(ledger["year"] < year) | (ledger["month"] <= month)]
    elif "month" in ledger.columns:
        ledger = ledger[ledger["month"] <= month]
    frames = {
        "ledger": ledger,
        "budgets": budgets,
        "accounts": accounts,
        "activity": activity,
        "budget_assumptions": assumptions if assumptions is not None else pd.DataFrame(),
    }
    if cases is not None:
        frames["cases"] = cases[cases["municipality_code"] == municipality_code]
    first = year if first_year is None else int(first_year)
    for name, df in frames.items():
        if {"municipality_code", "year"} <= set(df.columns):
            years = (
                df["year"] == year
                if name in ("accounts", "budget_assumptions")
                else df["year"].between(first, year)
            )
            df = df[(df["municipality_code"] == municipality_code) & years]
        df = df.drop(columns=[c for c in ("created_at", "inputs") if c in df.columns])
        df = df[sorted(df.columns)]
        df = df.sort_values(list(df.columns)).reset_index(drop=True) if len(df) else df
        # an empty frame counts as no rows, whatever its columns (a table read for other years, or none)
        text = df.to_csv(index=False, float_format="%.6f") if len(df) else ""
        parts.append(f"{name}\n{text}")
    digest = hashlib.sha256("\n".join(parts).encode()).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:16]  # no 0 or 1: no month, no CPR number


def followup(
    ledger: pd.DataFrame,
    budgets: pd.DataFrame,
    municipality_code: int,
    year: int,
    month: int,
    *,
    activity: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    assumptions: pd.DataFrame | None = None,
    first_year: int | None = None,
    profile_years: int = 3,
    forecaster: Callable | None = None,
) -> pd.DataFrame:
    """The month's follow-up of every area: the rows the journal records (see the module docstring).

    Parameters
    ----------
    ledger, budgets : pandas.DataFrame
        The ``ledger`` and ``budgets`` tables (they may hold more; the municipality is picked out); ledger rows
        after ``month`` of ``year`` are not used.
    municipality_code : int
        The municipality.
    year, month : int
        The year and its last booked month (1-11).
    activity, cases : pandas.DataFrame, optional
        The ``activity`` and ``cases`` tables, for the forecast's quantity.
    assumptions : pandas.DataFrame, optional
        The recorded budget assumptions of the year (one version); their version is recorded as
        ``budget_version``. Where no budget is in ``budgets``, the assumptions' amount is the budget.
    first_year : int, optional
        First ledger year used by the forecast.
    profile_years : int
        Complete years averaged for the monthly profile.
    forecaster : callable, optional
        ``forecaster(ledger, municipality_code, function_code, year, month, budgets, activity, cases,
        first_year)`` returning an object with ``forecast_dkk``, ``lower_dkk``, ``upper_dkk``, ``method``,
        ``ytd_dkk`` and ``drift`` (a Series with ``forecast_quantity``, or None); default
        :func:`analysis.forecast.area_forecast`.

    Returns
    -------
    pandas.DataFrame
        One row per function area with postings in ``year`` up to ``month``: ``municipality_code``, ``year``,
        ``month``, ``function_code``, ``budget_dkk``, ``budget_to_date_dkk``, ``booked_dkk``,
        ``forecast_dkk``, ``lower_dkk``, ``upper_dkk``, ``method``, ``full_year_persons``, ``price_dkk``
        (forecast / persons) and ``budget_version``; and on every row the total of the areas:
        ``total_forecast_dkk`` (the sum of their forecasts), ``total_lower_dkk`` and ``total_upper_dkk``
        (its 80 % interval, :func:`analysis.forecast.total.reconciled_total`; NaN when the forecaster gives no
        back-test). The journal records every column.

    Raises
    ------
    ValueError
        When the ledger has no posting of the municipality in ``year`` up to ``month``, its last posting of
        ``year`` is in a month before ``month`` (the months between are not booked yet), or ``month`` is not 1-11.
    """
    if forecaster is None:
        from analysis.forecast import area_forecast

        def forecaster(*args):  # the journal is the follow-up's history: no forecast as of each earlier month
            return area_forecast(*args, as_of_months=False)

    if not 1 <= month <= 11:
        raise ValueError(f"month must be 1-11 (the months booked before the year ends), found {month}")
    led = ledger[ledger["municipality_code"] == municipality_code]
    now = led[(led["year"] == year) & (led["month"] <= month)]
    if now.empty:
        raise ValueError(f"the ledger has no posting of {municipality_code} in {year} up to month {month}")
    booked = int(now["month"].max())
    if booked < month:  # the months after it would be read as booked at 0 kr.
        raise ValueError(
            f"the ledger of {municipality_code} holds {year} up to month {booked}: month {month} is beyond it; "
            f"load the ledger through month {month}, or follow up month {booked}"
        )
    profile = monthly_profile(led, year, profile_years)
    bud = budgets[(budgets["municipality_code"] == municipality_code) & (budgets["year"] == year)]
    bud = bud.set_index("function_code")["budget_dkk"]
    version = None
    assumed = pd.Series(dtype=float)
    if assumptions is not None and not assumptions.empty:
        version = int(assumptions["version"].iloc[0]) if "version" in assumptions.columns else None
        assumed = assumptions.groupby("function_code")["amount_dkk"].sum()
    rows, forecasts = [], []
    for code in sorted(now["function_code"].unique()):
        fc = forecaster(led, municipality_code, code, year, month, budgets, activity, cases, first_year)
        forecasts.append(fc)
        budget = float(bud.get(code, np.nan))
        if not np.isfinite(budget):
            budget = float(assumed.get(code, np.nan))
        share = float(profile.loc[code, list(range(1, month + 1))].sum())
        q = np.nan
        if fc.drift is not None and np.isfinite(fc.drift.get("forecast_quantity", np.nan)):
            q = float(fc.drift["forecast_quantity"])
        rows.append(
            {
                "municipality_code": int(municipality_code),
                "year": int(year),
                "month": int(month),
                "function_code": code,
                "budget_dkk": budget,
                "budget_to_date_dkk": budget * share,
                "booked_dkk": float(now.loc[now["function_code"] == code, "spending_dkk"].sum()),
                "forecast_dkk": float(fc.forecast_dkk),
                "lower_dkk": float(fc.lower_dkk),
                "upper_dkk": float(fc.upper_dkk),
                "method": str(fc.method),
                "full_year_persons": q,
                "price_dkk": float(fc.forecast_dkk) / q if q > 0 else np.nan,
                "budget_version": version,
            }
        )
    out = pd.DataFrame(rows)
    lower, upper = _total_bounds(forecasts)
    out["total_forecast_dkk"] = float(out["forecast_dkk"].sum())
    out["total_lower_dkk"] = lower
    out["total_upper_dkk"] = upper
    return out


def _total_bounds(forecasts: list) -> tuple[float, float]:
    """The reconciled interval of the sum of the areas' forecasts (:mod:`analysis.forecast.total`), DKK.

    NaN when a forecaster gives no back-test (a stand-in forecaster in tests).
    """
    if not forecasts or not all(hasattr(fc, "backtest") for fc in forecasts):
        return np.nan, np.nan
    from analysis.forecast.total import reconciled_total

    total = reconciled_total(forecasts)
    return float(total["lower_dkk"]), float(total["upper_dkk"])


def split_deviation(journal: pd.DataFrame, assumptions: pd.DataFrame | None) -> pd.DataFrame:
    """The deviation ``forecast - budget`` of each area split against the budget assumptions.

    With ``q_A``, ``p_A``, ``A`` the assumed persons, price and amount of the area (the assumptions summed over
    paragraphs and providers; ``p_A = A / q_A``) and ``q_F``, ``p_F`` the forecast's persons and price:

    - quantity: ``(q_F - q_A) p_A`` (more or fewer persons than assumed, at the assumed price);
    - price: ``(p_F - p_A) q_F`` (a higher or lower price than assumed, at the forecast's persons);
    - budget against assumptions: ``A - B`` (where the budget set differs from the assumptions' need).

    They add up to ``F - B``: ``q_F p_A - A + F - p_A q_F + A - B``. An area without an assumption or without the
    forecast's persons is not split: its whole ``F - B`` is ``unsplit_dkk``, so that over the areas (and in the total
    of :func:`with_total`) the three and ``unsplit_dkk`` add up to the deviation.

    Parameters
    ----------
    journal : pandas.DataFrame
        Rows of :func:`followup` (or of the journal): ``function_code``, ``budget_dkk``, ``forecast_dkk``,
        ``full_year_persons``.
    assumptions : pandas.DataFrame or None
        The budget assumptions of the year (one version).

    Returns
    -------
    pandas.DataFrame
        ``journal`` with ``assumed_persons``, ``assumed_price_dkk``, ``assumed_dkk``, ``deviation_dkk``,
        ``quantity_dkk``, ``price_effect_dkk`` and ``budget_gap_dkk`` (NaN where no assumption or quantity), and
        ``unsplit_dkk`` (the deviation there, NaN where it is split).

    Examples
    --------
    >>> j = pd.DataFrame({"function_code": ["a"], "budget_dkk": [100.0], "forecast_dkk": [132.0],
    ...                   "full_year_persons": [60.0]})
    >>> a = pd.DataFrame({"function_code": ["a"], "full_year_persons": [50.0], "amount_dkk": [100.0]})
    >>> r = split_deviation(j, a).iloc[0]
    >>> float(r.quantity_dkk), float(r.price_effect_dkk), float(r.budget_gap_dkk)
    (20.0, 12.0, 0.0)
    """
    out = journal.copy()
    if assumptions is None or assumptions.empty:
        a = pd.DataFrame(columns=["full_year_persons", "amount_dkk"], dtype=float)
    else:
        a = assumptions.groupby("function_code")[["full_year_persons", "amount_dkk"]].sum()
    a = a.reindex(out["function_code"])
    q_a = a["full_year_persons"].to_numpy(dtype=float)
    amount = a["amount_dkk"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a = np.where(q_a > 0, amount / q_a, np.nan)
    q_f = out["full_year_persons"].to_numpy(dtype=float)
    f, b = out["forecast_dkk"].to_numpy(dtype=float), out["budget_dkk"].to_numpy(dtype=float)
    ok = np.isfinite(p_a) & np.isfinite(q_f)
    out["assumed_persons"] = q_a
    out["assumed_price_dkk"] = p_a
    out["assumed_dkk"] = amount
    out["deviation_dkk"] = f - b
    out["quantity_dkk"] = np.where(ok, (q_f - q_a) * p_a, np.nan)
    out["budget_gap_dkk"] = np.where(ok, amount - b, np.nan)
    out["price_effect_dkk"] = np.where(ok, (f - b) - out["quantity_dkk"] - out["budget_gap_dkk"], np.nan)
    out["unsplit_dkk"] = np.where(ok, np.nan, f - b)
    return out


def with_total(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a row per area) with a last row ``function_code = 'total'`` summing its DKK and persons.

    The total's forecast is the sum of the areas' forecasts (reconciled). Its interval is the one of
    :func:`followup` (columns ``total_lower_dkk``, ``total_upper_dkk``: from the areas' back-tested errors
    summed per year, :mod:`analysis.forecast.total`), not the sum of the areas' bounds; the journal records
    those columns too, so a follow-up read back from it has the same interval. It is left empty where the frame
    does not have it (a version recorded before the journal held the total). Its price is the total forecast
    over the total persons, and its method empty.

    Examples
    --------
    >>> rows = pd.DataFrame({"function_code": ["a", "b"], "forecast_dkk": [110.0, 50.0],
    ...                      "lower_dkk": [99.0, 45.0], "upper_dkk": [121.0, 55.0],
    ...                      "total_forecast_dkk": 160.0, "total_lower_dkk": 142.9, "total_upper_dkk": 177.1})
    >>> t = with_total(rows).iloc[-1]
    >>> t.function_code, float(t.forecast_dkk), float(t.lower_dkk), float(t.upper_dkk)
    ('total', 160.0, 142.9, 177.1)
    """
    bounds = ("total_forecast_dkk", "total_lower_dkk", "total_upper_dkk")
    sums = [c for c in frame.columns if c.endswith("_dkk") or c in ("full_year_persons", "assumed_persons")]
    sums = [c for c in sums if c not in ("lower_dkk", "upper_dkk", "price_dkk", "assumed_price_dkk", *bounds)]
    total = {c: frame[c].sum(min_count=1) for c in sums}
    for c in bounds:
        if c in frame.columns:
            total[c] = float(frame[c].iloc[0]) if len(frame) else np.nan
    if all(c in frame.columns for c in bounds[1:]) and len(frame):
        total["lower_dkk"], total["upper_dkk"] = total["total_lower_dkk"], total["total_upper_dkk"]
    for c in ("municipality_code", "year", "month", "version", "budget_version"):
        if c in frame.columns:
            total[c] = frame[c].iloc[0] if len(frame) else np.nan
    total["function_code"] = TOTAL
    if "price_dkk" in frame.columns:
        q = total.get("full_year_persons", np.nan)
        total["price_dkk"] = total["forecast_dkk"] / q if q and np.isfinite(q) and q > 0 else np.nan
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def moved(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """What moved in the forecast since the previous recorded follow-up, area by area, quantity or price.

    ``F_1 - F_0 = (q_1 - q_0) p_0 + (p_1 - p_0) q_1``: the change in persons at the previous price, and the
    change in price at the current persons. Without persons on both sides the whole change is ``other_dkk``.

    Parameters
    ----------
    current, previous : pandas.DataFrame
        Journal rows (one month each): ``function_code``, ``forecast_dkk``, ``full_year_persons``, ``price_dkk``,
        ``booked_dkk``.

    Returns
    -------
    pandas.DataFrame
        Indexed by function_code (areas in either): ``previous_dkk``, ``current_dkk``, ``change_dkk``,
        ``quantity_dkk``, ``price_effect_dkk``, ``other_dkk``, ``previous_persons``, ``current_persons``,
        ``booked_in_month_dkk`` (booked to date now minus then), ordered by the size of the change; empty without
        a previous follow-up.

    Examples
    --------
    >>> prev = pd.DataFrame({"function_code": ["a"], "forecast_dkk": [100.0], "full_year_persons": [10.0],
    ...                      "price_dkk": [10.0], "booked_dkk": [60.0]})
    >>> cur = pd.DataFrame({"function_code": ["a"], "forecast_dkk": [121.0], "full_year_persons": [11.0],
    ...                     "price_dkk": [11.0], "booked_dkk": [70.0]})
    >>> r = moved(cur, prev).loc["a"]
    >>> float(r.quantity_dkk), float(r.price_effect_dkk), float(r.change_dkk)
    (10.0, 11.0, 21.0)
    """
    cols = [
        "previous_dkk",
        "current_dkk",
        "change_dkk",
        "quantity_dkk",
        "price_effect_dkk",
        "other_dkk",
        "previous_persons",
        "current_persons",
        "booked_in_month_dkk",
    ]
    if previous is None or previous.empty:
        return pd.DataFrame(columns=cols, dtype=float)
    c = current.set_index("function_code")
    p = previous.set_index("function_code")
    codes = [k for k in c.index if k != TOTAL] + [k for k in p.index if k not in c.index and k != TOTAL]
    c, p = c.reindex(codes), p.reindex(codes)
    f1, f0 = c["forecast_dkk"].fillna(0.0), p["forecast_dkk"].fillna(0.0)
    q1, q0 = c["full_year_persons"], p["full_year_persons"]
    p1, p0 = c["price_dkk"], p["price_dkk"]
    both = q1.notna() & q0.notna() & p1.notna() & p0.notna()
    quantity = ((q1 - q0) * p0).where(both)
    price = ((f1 - f0) - quantity).where(both)
    out = pd.DataFrame(
        {
            "previous_dkk": p["forecast_dkk"],
            "current_dkk": c["forecast_dkk"],
            "change_dkk": f1 - f0,
            "quantity_dkk": quantity,
            "price_effect_dkk": price,
            "other_dkk": (f1 - f0).where(~both),
            "previous_persons": q0,
            "current_persons": q1,
            "booked_in_month_dkk": c["booked_dkk"] - p["booked_dkk"],
        }
    )
    return out.reindex(out["change_dkk"].abs().sort_values(ascending=False, kind="stable").index)


def starts_and_ends(cases: pd.DataFrame, municipality_code: int, year: int, month: int) -> pd.DataFrame:
    """Citizens who started and ended a measure in ``month`` of ``year``, per function area (counts only).

    Parameters
    ----------
    cases : pandas.DataFrame
        The ``cases`` table (``person_id``, ``function_code``, ``start_date``, ``end_date``).

    Returns
    -------
    pandas.DataFrame
        Indexed by function_code (areas with cases): ``started`` and ``ended`` (distinct persons) and
        ``running`` (distinct persons with a case running at the month's end). Counts, never persons: suppress
        small counts before showing them (:mod:`analysis.privacy`).
    """
    cs = cases[(cases["municipality_code"] == municipality_code) & cases["function_code"].notna()]
    start = pd.to_datetime(cs["start_date"])
    end = pd.to_datetime(cs["end_date"])
    first = pd.Timestamp(year=year, month=month, day=1)
    last = first + pd.offsets.MonthEnd(0)
    in_month = lambda d: (d >= first) & (d <= last)  # noqa: E731
    started = cs[in_month(start)].groupby("function_code")["person_id"].nunique()
    ended = cs[in_month(end)].groupby("function_code")["person_id"].nunique()
    running = (
        cs[(start <= last) & (end.isna() | (end > last))].groupby("function_code")["person_id"].nunique()
    )
    codes = sorted(cs["function_code"].unique())
    out = pd.DataFrame({"started": started, "ended": ended, "running": running}).reindex(codes)
    return out.fillna(0).astype(int)


def case_list(cases: pd.DataFrame, municipality_code: int, year: int, month: int) -> pd.DataFrame:
    """The cases that started or ended in ``month`` of ``year``, per area: the confidential annex's rows.

    The same cases as the counts of :func:`starts_and_ends` (a case started when its start date, ended when its
    end date, lies in the month; a case doing both is listed twice), one row each, with the person under the
    pseudonym the cases table holds.

    Parameters
    ----------
    cases : pandas.DataFrame
        The ``cases`` table (``person_id``, ``function_code``, ``paragraph``, ``provider``, ``start_date``,
        ``end_date``, ``monthly_cost_dkk``).
    municipality_code : int
        The municipality.
    year, month : int
        The month.

    Returns
    -------
    pandas.DataFrame
        ``function_code``, ``event`` (``'start'`` or ``'end'``), ``date`` (the start or end date),
        ``person_id`` (pseudonym), ``paragraph``, ``provider`` and ``monthly_cost_dkk`` (DKK per month), ordered
        by area, event (starts first), date and person; cases without a function code are left out.

    Raises
    ------
    ValueError
        When a listed person id is not a pseudonym (``P-xxxx-xxxx-xxxx-xxxx``): the list never shows a CPR
        number or any other identifier that was not pseudonymised on ingest.

    Examples
    --------
    >>> cs = pd.DataFrame({"municipality_code": 706, "function_code": "5.38.50",
    ...     "person_id": ["P-0000-0000-0000-0001", "P-0000-0000-0000-0002"], "paragraph": "§108",
    ...     "provider": "external", "start_date": ["2025-09-03", "2024-01-01"],
    ...     "end_date": [None, "2025-09-30"], "monthly_cost_dkk": [50_000.0, 40_000.0]})
    >>> case_list(cs, 706, 2025, 9)[["event", "person_id", "monthly_cost_dkk"]].values.tolist()
    [['start', 'P-0000-0000-0000-0001', 50000.0], ['end', 'P-0000-0000-0000-0002', 40000.0]]
    """
    cols = ["function_code", "event", "date", "person_id", "paragraph", "provider", "monthly_cost_dkk"]
    cs = cases[(cases["municipality_code"] == municipality_code) & cases["function_code"].notna()]
    first = pd.Timestamp(year=year, month=month, day=1)
    last = first + pd.offsets.MonthEnd(0)
    parts = []
    for event, column in (("start", "start_date"), ("end", "end_date")):
        d = pd.to_datetime(cs[column])
        hit = cs[(d >= first) & (d <= last)]
        parts.append(hit.assign(event=event, date=d[hit.index]))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out = out.reindex(columns=cols)
    bad = ~out["person_id"].astype(str).map(lambda v: bool(_PSEUDONYM.fullmatch(v)))
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} listed case(s) have a person id that is not a pseudonym (P-xxxx-xxxx-xxxx-xxxx); "
            "the case list shows pseudonyms only, never CPR numbers"
        )
    order = out["event"].map({"start": 0, "end": 1})
    out = out.assign(_order=order).sort_values(
        ["function_code", "_order", "date", "person_id"], kind="stable"
    )
    return out.drop(columns="_order").reset_index(drop=True)
