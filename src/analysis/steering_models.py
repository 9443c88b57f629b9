"""Replay past years of an offer's activity under three budget-steering models and compare them (issue 18).

The models (styringsmodeller) between the authority (myndighed: the municipality's purchaser) and the provider
(udfører: its own offer):

- ``bum``: activity-based payment at rates (bestiller-udfører-modtager): each month the authority pays the rate
  for every resident of the month.
- ``frame``: a frame budget fixed at the start of the year: the authority pays a twelfth of the frame each month,
  whatever the demand. The frame is the plan: the residents of the last month before the year, at the year's rate.
- ``regulated``: the same frame, regulated in the year: when a month's residents differ from the residents the
  frame pays for by more than ``threshold`` (a share), the frame pays for that month's residents from the next
  month on. No back-payment for the months before.

The authority's budget is the same plan in all three models, so that what differs is only who carries the
deviation. The provider's cost is the residents x the rate (the rate covers the cost of a resident), unless the
frame gives a ``cost_dkk`` column. Then, per month: the authority's result = budget - payment, the provider's result
= payment - cost; the two add up to budget - cost, the deviation the demand brought.

Measured per model (:func:`compare`): the deviation each party carries (DKK), the spread of each party's annual
result over the years (standard deviation, DKK), the months paid capacity takes to follow a change of demand, the
capacity paid but not used or used but not paid (resident-months a year), and the settlements a year (a proxy for
administration). Fairness to support needs and dialogue are judgements, written in :data:`JUDGEMENTS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import InputError

__all__ = [
    "JUDGEMENTS",
    "MODELS",
    "compare",
    "criteria",
    "monthly_residents",
    "replay",
    "resident_rates",
    "yearly_results",
]

#: The models, with their Danish names.
MODELS = {
    "bum": "Takstafregning (BUM)",
    "frame": "Fast ramme",
    "regulated": "Ramme med regulering",
}

#: Criteria the data cannot measure: the workbench's judgement per model (Danish), shown as judgements.
JUDGEMENTS = {
    "fairness": {
        "bum": "Høj: betalingen følger den enkelte borger; med takster pr. støttebehovsniveau følger pengene behovet.",
        "frame": "Lav: rammen tager ikke højde for ændringer i borgernes behov i løbet af året.",
        "regulated": "Middel: store ændringer i behovet slår igennem, små gør ikke.",
    },
    "dialogue": {
        "bum": "Dialogen handler let om afregning og takster frem for indsatsen.",
        "frame": "Få afregninger giver plads til faglig dialog; uenighed om rammens størrelse venter til næste budget.",
        "regulated": "Kræver en fælles opgørelse af aktiviteten ved hver regulering og en aftalt tærskel.",
    },
}

_TOL = 0.5  # residents: paid capacity within half a resident of demand counts as following it


def monthly_residents(
    cases: pd.DataFrame, provider: str, years: tuple[int, int], paragraphs=None
) -> pd.DataFrame:
    """Residents per month from cases: the distinct persons with a case running in the month.

    A case runs in a month when it starts on or before the month's last day and has not ended before its first
    day (an open case, ``end_date`` null, runs on).

    Parameters
    ----------
    cases : pandas.DataFrame
        The warehouse's cases: ``person_id``, ``paragraph``, ``provider``, ``start_date``, ``end_date``.
    provider : str
        'internal' or 'external'.
    years : (int, int)
        First and last year, inclusive.
    paragraphs : sequence of str, optional
        Keep only these paragraphs, e.g. ``['§108']``; default all (give cases of one function area).

    Returns
    -------
    pandas.DataFrame
        ``year``, ``month``, ``residents`` (float) for every month of the years, 0 where none.
    """
    c = cases[cases.provider == provider]
    if paragraphs is not None:
        c = c[c.paragraph.isin(list(paragraphs))]
    start = pd.to_datetime(c.start_date)
    end = pd.to_datetime(c.end_date)
    rows = []
    for period in pd.period_range(f"{years[0]}-01", f"{years[1]}-12", freq="M"):
        first, last = period.start_time, period.end_time
        running = (start <= last) & (end.isna() | (end >= first))
        rows.append(
            {"year": period.year, "month": period.month, "residents": float(c.person_id[running].nunique())}
        )
    return pd.DataFrame(rows)


def resident_rates(activity: pd.DataFrame, function_code: str, provider: str) -> pd.DataFrame:
    """The rate per resident-month of each year: the provider's spending / full-year persons / 12.

    Parameters
    ----------
    activity : pandas.DataFrame
        The warehouse's activity: ``year``, ``function_code``, ``provider``, ``full_year_persons``, ``spending_dkk``.
    function_code, provider : str
        The offer's function area and provider.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``rate_dkk`` (DKK per resident and month).
    """
    a = activity[(activity.function_code == function_code) & (activity.provider == provider)]
    if a.empty:
        raise InputError(f"activity: no rows for function {function_code} and provider {provider}")
    y = a.groupby("year", as_index=False)[["full_year_persons", "spending_dkk"]].sum()
    if (y.full_year_persons <= 0).any():
        raise InputError(f"activity: function {function_code}, {provider}: a year without full-year persons")
    y["rate_dkk"] = y.spending_dkk / y.full_year_persons / 12
    return y[["year", "rate_dkk"]]


def replay(demand: pd.DataFrame, threshold: float = 0.05) -> pd.DataFrame:
    """Replay the months under the three models.

    Parameters
    ----------
    demand : pandas.DataFrame
        One row per month, consecutive and complete years: ``year``, ``month``, ``residents``, ``rate_dkk`` (DKK per
        resident and month), optionally ``cost_dkk`` (the provider's cost of the month; default residents x rate).
    threshold : float, default 0.05
        The regulated frame's threshold: the share by which a month's residents must differ from the residents paid
        for before the frame is regulated.

    Returns
    -------
    pandas.DataFrame
        One row per model and month: ``model``, ``year``, ``month``, ``residents``, ``plan`` (residents the
        authority budgets for), ``paid_capacity`` (residents paid for), ``budget_dkk``, ``payment_dkk``,
        ``cost_dkk``, ``authority_dkk`` (budget - payment), ``provider_dkk`` (payment - cost), ``settlement``
        (1 in a month with a settlement).

    Notes
    -----
    The plan of a year is the residents of the month before its January; for the first year of data, its own
    January. Settlements: BUM one a month; the frame one a year (at the start); the regulated frame one at the
    start and one at each regulation.
    """
    if not 0 <= threshold < 1:
        raise InputError(f"threshold: expected a share from 0 up to 1, found {threshold!r}")
    for col in ("year", "month", "residents", "rate_dkk"):
        if col not in demand.columns:
            raise InputError(f"demand: missing column '{col}'")
    d = demand.sort_values(["year", "month"]).reset_index(drop=True)
    counts = d.groupby("year").month.apply(list)
    if any(sorted(m) != list(range(1, 13)) for m in counts):
        raise InputError("demand: every year needs the months 1-12, once each")
    if (d.residents < 0).any() or d.residents.isna().any():
        raise InputError("demand: residents must be numbers >= 0")
    cost = d.cost_dkk if "cost_dkk" in d.columns else d.residents * d.rate_dkk
    first = d.groupby("year").cumcount() == 0
    previous = d.residents.shift(1).fillna(d.residents.iloc[0])
    plan = previous.where(first).ffill()
    out = []
    for model in MODELS:
        paid = np.empty(len(d))
        settle = np.zeros(len(d), dtype=int)
        for i in range(len(d)):
            if model == "bum":
                paid[i], settle[i] = d.residents[i], 1
            elif first[i]:
                paid[i], settle[i] = plan[i], 1
            elif model == "frame":
                paid[i] = paid[i - 1]
            else:
                prev_paid, prev_res = paid[i - 1], d.residents[i - 1]
                moved = abs(prev_res - prev_paid) > threshold * prev_paid if prev_paid > 0 else prev_res > 0
                paid[i], settle[i] = (prev_res, 1) if moved else (prev_paid, 0)
        m = pd.DataFrame(
            {
                "model": model,
                "year": d.year,
                "month": d.month,
                "residents": d.residents,
                "plan": plan,
                "paid_capacity": paid,
                "budget_dkk": plan * d.rate_dkk,
                "payment_dkk": paid * d.rate_dkk,
                "cost_dkk": cost,
                "settlement": settle,
            }
        )
        m["authority_dkk"] = m.budget_dkk - m.payment_dkk
        m["provider_dkk"] = m.payment_dkk - m.cost_dkk
        out.append(m)
    return pd.concat(out, ignore_index=True)


def yearly_results(replayed: pd.DataFrame) -> pd.DataFrame:
    """Each model's year: the parties' results (DKK), the deviation, settlements.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``year``, ``budget_dkk``, ``payment_dkk``, ``cost_dkk``, ``authority_dkk``, ``provider_dkk``,
        ``deviation_dkk`` (cost - budget, the same in every model), ``settlements``.
    """
    y = replayed.groupby(["model", "year"], sort=False, as_index=False)[
        ["budget_dkk", "payment_dkk", "cost_dkk", "authority_dkk", "provider_dkk", "settlement"]
    ].sum()
    y["deviation_dkk"] = y.cost_dkk - y.budget_dkk
    return y.rename(columns={"settlement": "settlements"})


def _lag(m: pd.DataFrame) -> float:
    """Mean months from a change of demand until paid capacity is within half a resident of demand again."""
    res, paid = m.residents.to_numpy(), m.paid_capacity.to_numpy()
    lags = []
    for t in range(1, len(res)):
        if abs(res[t] - res[t - 1]) > _TOL:
            ok = np.flatnonzero(np.abs(paid[t:] - res[t:]) <= _TOL)
            lags.append(ok[0] if len(ok) else len(res) - t)
    return float(np.mean(lags)) if lags else float("nan")


def compare(replayed: pd.DataFrame) -> pd.DataFrame:
    """The measured criteria per model.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model``, ``name``, ``authority_carries_dkk`` (sum over the years of payment - budget:
        what the authority pays beyond its budget, negative when it saves), ``provider_carries_dkk`` (sum of cost -
        payment), ``authority_spread_dkk`` and ``provider_spread_dkk`` (standard deviation of the annual result over
        the years, ddof 0), ``lag_months`` (mean months paid capacity takes to follow a change of demand; NaN
        without changes; a change not followed before the data end counts the months to the end),
        ``mismatch_resident_months`` (mean a year of |paid capacity - residents|) and ``settlements_per_year``.
    """
    y = yearly_results(replayed)
    rows = []
    for model, m in replayed.groupby("model", sort=False):
        ym = y[y.model == model]
        rows.append(
            {
                "model": model,
                "name": MODELS[model],
                "authority_carries_dkk": -float(ym.authority_dkk.sum()),
                "provider_carries_dkk": -float(ym.provider_dkk.sum()),
                "authority_spread_dkk": float(ym.authority_dkk.std(ddof=0)),
                "provider_spread_dkk": float(ym.provider_dkk.std(ddof=0)),
                "lag_months": _lag(m),
                "mismatch_resident_months": float((m.paid_capacity - m.residents).abs().sum() / len(ym)),
                "settlements_per_year": float(ym.settlements.mean()),
            }
        )
    return pd.DataFrame(rows)


def criteria(compared: pd.DataFrame) -> pd.DataFrame:
    """The six criteria side by side: one row per criterion, one column per model, and whether it is measured.

    Returns
    -------
    pandas.DataFrame
        ``criterion`` (Danish), ``kind`` ('målt' or 'vurdering'), ``measure`` (what the figure is), and one column
        per model (its Danish name) holding the figure (float) or the judgement (text).
    """
    c = compared.set_index("model")
    names = [MODELS[m] for m in c.index]

    def row(criterion, kind, measure, values):
        return {
            "criterion": criterion,
            "kind": kind,
            "measure": measure,
            **dict(zip(names, values, strict=True)),
        }

    rows = [
        row(
            "Effektiv udnyttelse af kapaciteten",
            "målt",
            "betalt, men ubrugt eller brugt, men ubetalt kapacitet (beboermåneder om året)",
            c.mismatch_resident_months.tolist(),
        ),
        row(
            "Forudsigelighed for myndigheden",
            "målt",
            "spredning på myndighedens årsresultat (kr.)",
            c.authority_spread_dkk.tolist(),
        ),
        row(
            "Forudsigelighed for udføreren",
            "målt",
            "spredning på udførerens årsresultat (kr.)",
            c.provider_spread_dkk.tolist(),
        ),
        row(
            "Dynamik: pladser følger efterspørgslen",
            "målt",
            "måneder fra en ændring i efterspørgslen til den betalte kapacitet følger",
            c.lag_months.tolist(),
        ),
        row("Enkelhed", "målt", "afregninger om året", c.settlements_per_year.tolist()),
        row(
            "Retfærdighed i forhold til støttebehov",
            "vurdering",
            "",
            [JUDGEMENTS["fairness"][m] for m in c.index],
        ),
        row("Dialog", "vurdering", "", [JUDGEMENTS["dialogue"][m] for m in c.index]),
    ]
    return pd.DataFrame(rows)
