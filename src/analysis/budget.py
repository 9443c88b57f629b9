"""The budget model: a quantity and a price assumption per function area x paragraph x provider.

A budget need is price x quantity: full-year persons (helårspersoner) times DKK per full-year person. Starting
from the actual of the base year (the last year with accounts, by default the year before the budget year), each
row of the ``activity`` table is carried to the budget year in steps, each valued so that the steps add up to the
new budget exactly (sequential substitution):

1. **Trend** (quantity): the area's rate (full-year persons per resident aged 18-64) has grown by ``t`` a year on
   average over the last ``trend_years`` years (geometric mean, ``(r_base / r_{base-n}) ** (1/n) - 1``); the
   quantity is multiplied by ``(1 + t) ** (year - base_year)``. ``trend_years=0`` assumes no trend; with fewer
   years of data than ``trend_years`` the area gets no trend (recorded in the inputs).
2. **Demography** (quantity): the quantity follows the number of residents aged 18-64,
   ``P_year / P_base``. From a loaded population projection (``projection``, ``{year: persons}``, e.g. Statistics
   Denmark's FRKM125) where it holds both the base year and the budget year; else from ``population`` (actual
   figures, ``{year: persons}``), a year not in it carried from the last known year with ``population_growth``
   a year. The inputs say which (``demography_source``: ``'projection'`` or ``'growth'``).
3. **Prices and wages** (price): the price is multiplied by ``I_year / I_base`` of ``price_index``
   (``{year: index}``, any base); a year not in it is carried with ``price_growth`` a year.
   :data:`DEFAULT_PRICE_GROWTH` is an assumption of this workbench, not an official forecast: give the index
   (KL's or the ministry's pris- og lønskøn) where one is at hand.
4. **Step toward peers** (optional, ``peer_step`` = s in 0..1): where the area's rate (or price) is above the
   peers' weighted rate (price, indexed like the own), every row's quantity (price) is moved the share s of the
   way: factor ``1 - s (1 - peer / own)``. Areas at or below the peers are not raised.
5. **Decisions** (from a YAML file, :func:`read_decisions`): in the file's order, each on one row
   (function_code, paragraph, provider): ``persons`` (a change in full-year persons), ``price_change`` (a change
   of the price, a fraction: -0.02 is 2 % lower) or ``amount_dkk`` (an amount; it is put on the price,
   ``amount / persons``, so that amount = persons x price still holds). Each with a ``text``.

The **bridge** from last year's budget (``budgets`` of ``year - 1``) to the new budget need: *drift* (the
base year's actual against last year's budget), *trend*, *demography*, *prices and wages*, *peers*,
*decisions*; the steps add up to the new budget need.

Units: amounts in DKK (current prices of the year named), prices in DKK per full-year person, quantities in
full-year persons, rates in full-year persons per 1,000 residents aged 18-64.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.danish import fmt_number, fmt_pct
from analysis.errors import InputError

__all__ = [
    "BRIDGE_STEPS",
    "DEFAULT_PRICE_GROWTH",
    "MAX_ANNUAL_GROWTH",
    "BudgetResult",
    "Decision",
    "area_summary",
    "bridge_steps",
    "budget_model",
    "demography_text_da",
    "index_factor",
    "parse_decisions",
    "peer_levels",
]

#: Assumed annual growth of prices and wages (fraction) when no index is given. An assumption of this
#: workbench, in the range of recent years' price and wage growth of municipal service spending; replace it
#: by an index (``price_index``) for a real budget.
DEFAULT_PRICE_GROWTH = 0.025

#: The largest annual growth (fraction, either way) the model takes for prices and wages or the population, the bound
#: of the budget report's parameters: 0.5 is 50 % a year; a larger figure is a per cent written as a fraction (3 for
#: 3 %) or a typing error, and -1 or below would leave nothing to carry.
MAX_ANNUAL_GROWTH = 0.5

#: The bridge's steps: column of :attr:`BudgetResult.bridge` and Danish label.
BRIDGE_STEPS = {
    "last_budget_dkk": "Budget sidste år",
    "drift_dkk": "Drift: regnskab mod budget",
    "trend_dkk": "Udvikling (trend)",
    "demography_dkk": "Demografi",
    "prices_dkk": "Pris og løn",
    "peers_dkk": "Tilpasning mod sammenligningskommuner",
    "decisions_dkk": "Beslutninger",
    "budget_dkk": "Budgetbehov",
}

_SHORT = {
    "drift_dkk": "Drift",
    "trend_dkk": "Trend",
    "demography_dkk": "Demo-\ngrafi",
    "prices_dkk": "Pris\nog løn",
    "peers_dkk": "Sml.-\nkommuner",
    "decisions_dkk": "Beslut-\nninger",
}

_KEY = ["function_code", "paragraph", "provider"]


@dataclass(frozen=True)
class Decision:
    """One political or administrative decision on one row of the budget.

    Exactly one of ``persons`` (change in full-year persons), ``price_change`` (fractional change of the price,
    -0.02 is 2 % lower) and
    ``amount_dkk`` (DKK) is given.
    """

    function_code: str
    paragraph: str
    provider: str
    text: str
    persons: float | None = None
    price_change: float | None = None
    amount_dkk: float | None = None

    @property
    def kind(self) -> str:
        """Which change the decision makes: ``'persons'``, ``'price_change'`` or ``'amount'``."""
        if self.persons is not None:
            return "persons"
        return "price_change" if self.price_change is not None else "amount"


_DECISION_KEYS = ("function_code", "paragraph", "provider", "text", "persons", "price_change", "amount_dkk")
#: Keys of earlier versions of the file format, refused with the key to use instead.
_OLD_KEYS = {
    "price_pct": "price_change (the same fraction: -0.02 is 2 % lower; the old name read as per cent)",
}


def parse_decisions(data: object, source: str = "decisions") -> list[Decision]:
    """Decisions from the parsed YAML of a decisions file (``{decisions: [...]}``); refuses anything unclear.

    Parameters
    ----------
    data
        The parsed YAML: a mapping with a list under ``decisions`` (an empty file or list means none).
    source
        The file name, for messages.

    Raises
    ------
    InputError
        Naming the file, the decision's number and the key, e.g. a decision without text or with two changes, or
        one that repeats an earlier decision's row and text (a copy would be applied twice).
    """
    if data is None:
        return []
    if not isinstance(data, Mapping) or set(data) - {"decisions"}:
        raise InputError(f"{source}: expected one key 'decisions' with a list, found {data!r:.80}")
    items = data.get("decisions") or []
    if not isinstance(items, list):
        raise InputError(f"{source}: decisions: expected a list, found {items!r:.80}")
    out: list[Decision] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for i, item in enumerate(items, start=1):
        where = f"{source}: decision {i}"
        if not isinstance(item, Mapping):
            raise InputError(f"{where}: expected keys {', '.join(_DECISION_KEYS)}, found {item!r:.80}")
        old = sorted(set(item) & set(_OLD_KEYS))
        if old:
            raise InputError(
                f"{where}: the key '{old[0]}' is no longer read; did you mean {_OLD_KEYS[old[0]]}?"
            )
        unknown = set(item) - set(_DECISION_KEYS)
        if unknown:
            key = sorted(unknown, key=str)[0]
            near = difflib.get_close_matches(str(key), list(_DECISION_KEYS), n=1, cutoff=0.6)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise InputError(f"{where}: unknown key '{key}'{hint}; keys: {', '.join(_DECISION_KEYS)}")
        for key in ("function_code", "paragraph", "provider", "text"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise InputError(f"{where}: '{key}' must be given as text, found {item.get(key)!r}")
        changes = [k for k in ("persons", "price_change", "amount_dkk") if item.get(k) is not None]
        if len(changes) != 1:
            raise InputError(
                f"{where}: give exactly one of persons, price_change, amount_dkk, found "
                f"{', '.join(changes) if changes else 'none'}"
            )
        value = item[changes[0]]
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise InputError(f"{where}: '{changes[0]}' must be a number, found {value!r}")
        if changes[0] == "price_change" and not -1 < value < 1:
            raise InputError(
                f"{where}: 'price_change' is a fraction (-0.02 for 2 % lower), between -1 and 1, found {value!r}"
            )
        d = Decision(
            item["function_code"].strip(),
            item["paragraph"].strip(),
            item["provider"].strip(),
            item["text"].strip(),
            **{changes[0]: float(value)},
        )
        key = (d.function_code, d.paragraph, d.provider, d.text)
        if key in seen:
            raise InputError(
                f"{where}: repeats decision {seen[key]} (the same function_code, paragraph, provider and text); "
                "both would be applied: remove one, or give each decision its own text"
            )
        seen[key] = i
        out.append(d)
    return out


def index_factor(index: Mapping[int, float] | None, base_year: int, year: int, growth: float) -> float:
    """``I_year / I_base`` of an index ``{year: value}``; years outside it carried with ``growth`` a year.

    Examples
    --------
    >>> index_factor({2024: 100.0, 2025: 103.0}, 2024, 2025, 0.02)
    1.03
    >>> round(index_factor({2024: 100.0, 2025: 103.0}, 2024, 2026, 0.02), 6)  # 2026 carried from 2025
    1.0506
    >>> round(index_factor(None, 2024, 2026, 0.025), 6)
    1.050625
    """
    return _level(index, year, growth) / _level(index, base_year, growth)


def _is_known(index: Mapping[int, float], year: int) -> bool:
    """Whether ``index`` has a finite figure for ``year`` (else :func:`_level` carries one from another year)."""
    value = index.get(year)
    return value is not None and bool(np.isfinite(value))


def _level(index: Mapping[int, float] | None, year: int, growth: float) -> float:
    """The index in ``year``, carried from the nearest known year with ``growth`` a year (1.0 at ``year`` if none)."""
    known = {int(k): float(v) for k, v in (index or {}).items() if v is not None and np.isfinite(v)}
    if year in known:
        return known[year]
    if not known:
        return (1 + growth) ** (year - 2000)  # only ratios are used (a power of the year itself overflows)
    nearest = min(known, key=lambda k: (abs(k - year), -k))
    return known[nearest] * (1 + growth) ** (year - nearest)


def peer_levels(
    activity: pd.DataFrame, municipalities: pd.DataFrame, peer_codes: Sequence[int], year: int
) -> pd.DataFrame:
    """The peers' weighted price and rate per function area in ``year``.

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table (it may hold more municipalities and years).
    municipalities : pandas.DataFrame
        The ``municipalities`` table (``population_18_64``).
    peer_codes : sequence of int
        The peers.
    year : int
        The year compared.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``function_code``: ``peer_price_dkk`` (total spending / total full-year persons),
        ``peer_rate`` (total full-year persons per 1,000 residents aged 18-64 of the peers with activity on the
        area) and ``peers`` (how many peers have activity on it).
    """
    codes = [int(c) for c in peer_codes]
    act = activity[(activity["year"] == year) & activity["municipality_code"].isin(codes)]
    per = act.groupby(["function_code", "municipality_code"])[["full_year_persons", "spending_dkk"]].sum()
    pop = municipalities[municipalities["year"] == year].set_index("municipality_code")["population_18_64"]
    per["population_18_64"] = pop.reindex(per.index.get_level_values("municipality_code")).to_numpy(
        dtype=float
    )
    g = per.groupby("function_code").sum()
    n = per.groupby("function_code").size()
    persons = g["full_year_persons"].where(g["full_year_persons"] > 0)
    return pd.DataFrame(
        {
            "peer_price_dkk": g["spending_dkk"] / persons,
            "peer_rate": 1000 * g["full_year_persons"] / g["population_18_64"],
            "peers": n,
        }
    )


@dataclass
class BudgetResult:
    """The budget assumptions of one municipality and budget year, and how they came about.

    Attributes
    ----------
    municipality_code, year, base_year : int
        The municipality, the budget year and the year of the actual the budget starts from.
    assumptions : pandas.DataFrame
        One row per function_code x paragraph x provider: ``base_persons``, ``base_price_dkk``,
        ``base_amount_dkk`` (the base year's actual), the factors ``trend_factor``, ``demography_factor``,
        ``price_factor``, ``peer_quantity_factor``, ``peer_price_factor``, the amount after each step
        (``after_trend_dkk`` ... ``after_peers_dkk``), ``decisions_dkk`` and the assumptions
        ``full_year_persons``, ``price_dkk``, ``amount_dkk`` (= persons x price), with ``municipality_code``
        and ``year``.
    areas : pandas.DataFrame
        Indexed by function_code: ``full_year_persons``, ``price_dkk`` (amount / persons), ``amount_dkk``,
        ``base_persons``, ``base_price_dkk``, ``base_amount_dkk``, ``rate`` (per 1,000 residents aged 18-64 of
        the budget year), ``trend`` (annual growth of the rate used), ``peer_price_dkk`` and ``peer_rate`` (the
        peers' base-year figures, the price indexed to the year; NaN without peers).
    bridge : pandas.DataFrame
        Indexed by function_code, the columns of :data:`BRIDGE_STEPS` (DKK): ``last_budget_dkk`` plus the steps
        add up to ``budget_dkk``; a row ``total`` sums the areas. Without last year's budget
        ``last_budget_dkk`` and ``drift_dkk`` are NaN.
    decisions : pandas.DataFrame
        One row per decision in the file's order: the decision's fields, ``kind`` and ``effect_dkk``.
    inputs : dict
        Everything the result was computed from (for ``budget_assumptions.inputs``).
    demography_assumed : bool
        Neither a projection nor a population figure for the budget year: the demography step is the assumed
        ``population_growth``, not a measured change.
    """

    municipality_code: int
    year: int
    base_year: int
    assumptions: pd.DataFrame
    areas: pd.DataFrame
    bridge: pd.DataFrame
    decisions: pd.DataFrame
    inputs: dict = field(default_factory=dict)
    demography_assumed: bool = False

    @property
    def total_dkk(self) -> float:
        """The budget need of all areas (DKK)."""
        return float(self.assumptions["amount_dkk"].sum())


def _trend(activity: pd.DataFrame, population: Mapping[int, float], base_year: int, n: int) -> pd.Series:
    """Annual growth of each area's rate over ``n`` years up to ``base_year``; NaN where a year is missing."""
    if n <= 0:
        return pd.Series(dtype=float)
    q = activity.groupby(["function_code", "year"])["full_year_persons"].sum().unstack("year")
    first = base_year - n
    if first not in q.columns or base_year not in q.columns or first not in population:
        return pd.Series(np.nan, index=q.index)
    r0 = q[first] / float(population[first])
    r1 = q[base_year] / float(population[base_year])
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((r1 / r0.where(r0 > 0)) ** (1 / n) - 1).astype(float)


#: Danish words for the provider a decisions file may hold, and the activity table's word for each.
_PROVIDERS_DA = {"egen": "internal", "eget": "internal", "intern": "internal", "ekstern": "external"}


def _unknown_row(d: Decision, rows: list[tuple[str, str, str]], base_year: int) -> str:
    """Why a decision's row is not among the base year's ``rows``, with the rows (or areas) there are."""
    what = f"no activity in {base_year} on {d.function_code} {d.paragraph} {d.provider}"
    same_area = [r for r in rows if r[0] == d.function_code]
    if not same_area:
        areas = sorted({r[0] for r in rows})
        near = difflib.get_close_matches(d.function_code, areas, n=1, cutoff=0.6)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        return f"{what}: the area {d.function_code} has none{hint}; areas with activity: {', '.join(areas)}"
    known = ", ".join(" ".join(r) for r in same_area)
    meant = _PROVIDERS_DA.get(d.provider.lower())
    if meant is not None:
        return (
            f"{what}: provider '{d.provider}' (did you mean '{meant}'?); rows of {d.function_code}: {known}"
        )
    return f"{what}; rows of {d.function_code}: {known}"


def budget_model(
    activity: pd.DataFrame,
    municipality_code: int,
    year: int,
    *,
    base_year: int | None = None,
    population: Mapping[int, float] | pd.Series | None = None,
    population_growth: float = 0.0,
    projection: Mapping[int, float] | None = None,
    projection_source: str | None = None,
    price_index: Mapping[int, float] | None = None,
    price_growth: float = DEFAULT_PRICE_GROWTH,
    trend_years: int = 3,
    decisions: Sequence[Decision] = (),
    budgets: pd.DataFrame | None = None,
    peers: pd.DataFrame | None = None,
    peer_step: float = 0.0,
    function_codes: Sequence[str] | None = None,
    decisions_source: str | None = None,
) -> BudgetResult:
    """Quantity and price assumptions of every area x paragraph x provider for ``year`` (see the module docstring).

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table (full-year persons, DKK); rows of other municipalities are ignored. Needs the base
        year and, for the trend, ``trend_years`` years before it.
    municipality_code : int
        The municipality.
    year : int
        The budget year.
    base_year : int, optional
        The actual the budget starts from; default ``year - 1``.
    population : mapping or Series, optional
        Residents aged 18-64 by year (persons), actual and projected; default none (only ``population_growth``).
    population_growth : float
        Annual growth of the 18-64 population (fraction, at most :data:`MAX_ANNUAL_GROWTH` either way) for years
        not in ``population``.
    projection : mapping, optional
        Projected residents aged 18-64 by year (persons), from a loaded population projection; used for the
        demography when it holds both ``base_year`` and ``year``.
    projection_source : str, optional
        The projection's name (e.g. ``'FRKM125'``), recorded in the inputs and named in the report.
    price_index : mapping, optional
        A price and wage index ``{year: index}``; default none (only ``price_growth``).
    price_growth : float
        Annual growth of prices and wages (fraction, at most :data:`MAX_ANNUAL_GROWTH` either way) for years not
        in ``price_index``.
    trend_years : int
        Years over which the rate's trend is measured (0 or more); 0 for no trend.
    decisions : sequence of Decision
        The decisions, applied in order.
    budgets : pandas.DataFrame, optional
        The ``budgets`` table, for the bridge from last year's budget.
    peers : pandas.DataFrame, optional
        :func:`peer_levels` of the base year; shown beside the assumptions, and used when ``peer_step`` > 0.
    peer_step : float
        Share (0-1) of the way toward the peers' rate and price, where the own is above them.
    function_codes : sequence of str, optional
        The areas; default every area with activity in the base year.
    decisions_source : str, optional
        The decisions file, named in the messages about a decision.

    Returns
    -------
    BudgetResult

    Raises
    ------
    InputError
        When the base year has no activity, a decision names a row without activity in the base year (or puts an
        amount on a row of no persons), ``peer_step`` is outside 0-1 or given without peers, ``price_growth`` or
        ``population_growth`` is not a fraction within :data:`MAX_ANNUAL_GROWTH`, or ``trend_years`` is negative.
    """
    base_year = year - 1 if base_year is None else int(base_year)
    for name, value in (("price_growth", price_growth), ("population_growth", population_growth)):
        if not np.isfinite(value) or abs(value) > MAX_ANNUAL_GROWTH:
            hint = f"; did you mean {value / 100:g} ({value:g} %)?" if 1 <= abs(value) <= 100 else ""
            raise InputError(
                f"{name} is a fraction a year (0.025 for 2.5 %), between -{MAX_ANNUAL_GROWTH:g} and "
                f"{MAX_ANNUAL_GROWTH:g}, found {value:g}{hint}"
            )
    if trend_years < 0:
        raise InputError(f"trend_years is a number of years, 0 for no trend, found {trend_years}")
    if not 0 <= peer_step <= 1:
        raise InputError(f"peer_step must be between 0 and 1 (a share of the way), found {peer_step}")
    if peer_step > 0 and peers is None:
        raise InputError("peer_step > 0 needs the peers' price and rate (peers)")
    act = activity[activity["municipality_code"] == municipality_code]
    if function_codes is not None:
        act = act[act["function_code"].isin(list(function_codes))]
    base = act[act["year"] == base_year]
    if base.empty:
        have = sorted(act["year"].unique().tolist())
        raise InputError(
            f"no activity of {municipality_code} in the base year {base_year} (years with activity: "
            f"{', '.join(map(str, have)) or 'none'})"
        )
    pop = {int(k): float(v) for k, v in dict(population if population is not None else {}).items()}
    pop_base = _level(pop, base_year, population_growth)
    pop_year = _level(pop, year, population_growth)
    proj = {int(k): float(v) for k, v in dict(projection or {}).items()}
    use_projection = base_year in proj and year in proj and proj[base_year] > 0
    if use_projection:
        demography = proj[year] / proj[base_year]
        pop_year = pop_base * demography  # the rates of the budget year follow the projection's change
    else:
        demography = pop_year / pop_base
    price_factor = index_factor(price_index, base_year, year, price_growth)
    span = year - base_year
    trend = _trend(
        act,
        pop if pop else {y: 1.0 for y in range(base_year - trend_years, base_year + 1)},
        base_year,
        trend_years,
    )

    rows = base.groupby(_KEY, as_index=False)[["full_year_persons", "spending_dkk"]].sum()
    rows = rows.rename(columns={"full_year_persons": "base_persons", "spending_dkk": "base_amount_dkk"})
    persons = rows["base_persons"].where(rows["base_persons"] > 0)
    rows["base_price_dkk"] = (rows["base_amount_dkk"] / persons).fillna(0.0)
    # a row with spending but no persons keeps its spending as an amount on the price step (persons 0 would lose
    # it): such rows are refused, the model is persons x price
    bad = rows[(rows["base_persons"] <= 0) & (rows["base_amount_dkk"] != 0)]
    if not bad.empty:
        r = bad.iloc[0]
        raise InputError(
            f"activity {base_year}, {r.function_code} {r.paragraph} {r.provider}: expected full-year persons "
            f"where there is spending, found 0 persons and {r.base_amount_dkk:.0f} DKK"
        )
    t = trend.reindex(rows["function_code"]).fillna(0.0).to_numpy()
    rows["trend_factor"] = (1 + t) ** span
    rows["demography_factor"] = demography
    rows["price_factor"] = price_factor
    q0, p0 = rows["base_persons"], rows["base_price_dkk"]
    q1 = q0 * rows["trend_factor"]
    q2 = q1 * demography
    p1 = p0 * price_factor
    rows["after_trend_dkk"] = q1 * p0
    rows["after_demography_dkk"] = q2 * p0
    rows["after_prices_dkk"] = q2 * p1

    # step toward the peers, by area
    area_q = q2.groupby(rows["function_code"]).sum()
    area_a = (q2 * p1).groupby(rows["function_code"]).sum()
    own_rate = 1000 * area_q / pop_year
    own_price = area_a / area_q.where(area_q > 0)
    qf = pd.Series(1.0, index=area_q.index)
    pf = pd.Series(1.0, index=area_q.index)
    if peers is not None:
        pr = peers.reindex(area_q.index)
        peer_rate = pr["peer_rate"]
        peer_price = pr["peer_price_dkk"] * price_factor
        if peer_step > 0:
            above_q = (own_rate > peer_rate) & peer_rate.notna()
            above_p = (own_price > peer_price) & peer_price.notna()
            qf = qf.where(~above_q, 1 - peer_step * (1 - peer_rate / own_rate))
            pf = pf.where(~above_p, 1 - peer_step * (1 - peer_price / own_price))
    rows["peer_quantity_factor"] = qf.reindex(rows["function_code"]).to_numpy()
    rows["peer_price_factor"] = pf.reindex(rows["function_code"]).to_numpy()
    q3 = q2 * rows["peer_quantity_factor"]
    p2 = p1 * rows["peer_price_factor"]
    rows["after_peers_dkk"] = q3 * p2

    # decisions, in order
    q, p = q3.to_numpy(dtype=float).copy(), p2.to_numpy(dtype=float).copy()
    index = {tuple(k): i for i, k in enumerate(rows[_KEY].itertuples(index=False, name=None))}
    effects = []
    for n, d in enumerate(decisions, start=1):
        where = (
            f"{decisions_source}: decision {n} ({d.text})" if decisions_source else f"decision {n} ({d.text})"
        )
        i = index.get((d.function_code, d.paragraph, d.provider))
        if i is None:
            raise InputError(f"{where}: {_unknown_row(d, list(index), base_year)}")
        before = q[i] * p[i]
        if d.kind == "persons":
            if q[i] + d.persons < 0:
                raise InputError(
                    f"{where}: {d.persons:g} full-year persons would leave fewer than none "
                    f"(the assumption before it is {q[i]:.1f})"
                )
            q[i] += d.persons
        elif d.kind == "price_change":
            p[i] *= 1 + d.price_change
        else:
            if q[i] <= 0:
                raise InputError(
                    f"{where}: an amount needs full-year persons to put it on, found none on "
                    f"{d.function_code} {d.paragraph} {d.provider}"
                )
            p[i] += d.amount_dkk / q[i]
            if p[i] < 0:
                raise InputError(f"{where}: the amount would make the price negative")
        effects.append({**d.__dict__, "kind": d.kind, "effect_dkk": q[i] * p[i] - before})
    rows["full_year_persons"] = q
    rows["price_dkk"] = p
    rows["amount_dkk"] = q * p
    rows["decisions_dkk"] = rows["amount_dkk"] - rows["after_peers_dkk"]
    rows.insert(0, "year", int(year))
    rows.insert(0, "municipality_code", int(municipality_code))

    g = rows.groupby("function_code")
    sums = g[["full_year_persons", "amount_dkk", "base_persons", "base_amount_dkk"]].sum()
    areas = sums.assign(
        price_dkk=sums["amount_dkk"] / sums["full_year_persons"].where(sums["full_year_persons"] > 0),
        base_price_dkk=sums["base_amount_dkk"] / sums["base_persons"].where(sums["base_persons"] > 0),
        rate=1000 * sums["full_year_persons"] / pop_year,
        trend=trend.reindex(sums.index).fillna(0.0),
    )
    areas["peer_price_dkk"] = np.nan
    areas["peer_rate"] = np.nan
    if peers is not None:
        areas["peer_price_dkk"] = peers["peer_price_dkk"].reindex(areas.index) * price_factor
        areas["peer_rate"] = peers["peer_rate"].reindex(areas.index)

    steps = g[
        [
            "base_amount_dkk",
            "after_trend_dkk",
            "after_demography_dkk",
            "after_prices_dkk",
            "after_peers_dkk",
            "amount_dkk",
        ]
    ].sum()
    last = pd.Series(np.nan, index=steps.index)
    if budgets is not None:
        b = budgets[(budgets["municipality_code"] == municipality_code) & (budgets["year"] == year - 1)]
        last = b.set_index("function_code")["budget_dkk"].reindex(steps.index).astype(float)
    bridge = pd.DataFrame(
        {
            "last_budget_dkk": last,
            "drift_dkk": steps["base_amount_dkk"] - last,
            "trend_dkk": steps["after_trend_dkk"] - steps["base_amount_dkk"],
            "demography_dkk": steps["after_demography_dkk"] - steps["after_trend_dkk"],
            "prices_dkk": steps["after_prices_dkk"] - steps["after_demography_dkk"],
            "peers_dkk": steps["after_peers_dkk"] - steps["after_prices_dkk"],
            "decisions_dkk": steps["amount_dkk"] - steps["after_peers_dkk"],
            "budget_dkk": steps["amount_dkk"],
        }
    )
    bridge.loc["total"] = bridge.sum(min_count=1)
    if bridge["last_budget_dkk"].isna().any():
        bridge.loc["total", ["last_budget_dkk", "drift_dkk"]] = np.nan

    no_trend = sorted(trend.index[trend.isna()].tolist()) if trend_years > 0 else []
    inputs = {
        "base_year": base_year,
        "trend_years": int(trend_years),
        "trend_missing": no_trend,
        "population_18_64": {str(base_year): pop_base if pop else None, str(year): pop_year if pop else None},
        "population_growth": population_growth,
        "demography_source": "projection" if use_projection else "growth",
        "projection_source": projection_source if proj else None,
        "projection_18_64": {str(k): proj[k] for k in (base_year, year) if k in proj} if proj else None,
        "demography_factor": demography,
        "price_index": {str(k): float(v) for k, v in (price_index or {}).items()},
        "price_growth": price_growth,
        "price_factor": price_factor,
        "peer_step": peer_step,
        "decisions": [{k: v for k, v in d.__dict__.items() if v is not None} for d in decisions],
    }
    dec_cols = [*_DECISION_KEYS, "kind", "effect_dkk"]
    return BudgetResult(
        municipality_code=int(municipality_code),
        year=int(year),
        base_year=base_year,
        assumptions=rows,
        areas=areas,
        bridge=bridge,
        decisions=pd.DataFrame(effects, columns=dec_cols),
        inputs=inputs,
        demography_assumed=not use_projection and not _is_known(pop, year),
    )


def demography_text_da(result: BudgetResult) -> str:
    """The Danish statement of where the demography came from: the loaded projection, or the assumed growth.

    Examples
    --------
    >>> r = BudgetResult(706, 2026, 2025, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
    ...                  inputs={"demography_source": "projection", "projection_source": "FRKM125",
    ...                          "demography_factor": 1.0125, "population_growth": 0.0})
    >>> demography_text_da(r)
    'befolkningsfremskrivningen FRKM125: de 18-64-årige 2026 mod 2025, faktor 1,0125'
    """
    i = result.inputs
    factor = fmt_number(i["demography_factor"], 4)
    if i.get("demography_source") == "projection":
        return (
            f"befolkningsfremskrivningen {i.get('projection_source') or ''}: de 18-64-årige {result.year} mod "
            f"{result.base_year}, faktor {factor}"
        ).replace("  ", " ")
    growth = fmt_pct(i["population_growth"])
    missing = (
        f" (den indlæste fremskrivning {i['projection_source']} dækker ikke {result.base_year} og {result.year})"
        if i.get("projection_source")
        else " (ingen befolkningsfremskrivning indlæst)"
    )
    return (
        f"antaget vækst: de 18-64-årige {result.year} mod {result.base_year}, år uden tal fremskrevet med "
        f"{growth} om året{missing}, faktor {factor}"
    )


def area_summary(result: BudgetResult, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Price x quantity per area and in total, beside last year's budget (the budget report's main table).

    Parameters
    ----------
    result : BudgetResult
        From :func:`budget_model`.
    names : mapping, optional
        Danish name per function code; default the code.

    Returns
    -------
    pandas.DataFrame
        One row per area and a last row ``I alt``: ``function_code`` ('' for the total), ``name``,
        ``full_year_persons``, ``price_dkk`` (amount / persons), ``amount_dkk``, ``last_budget_dkk`` and
        ``change_dkk`` (amount - last budget).
    """
    names = dict(names or {})
    a = result.areas
    b = result.bridge.drop(index="total")
    out = pd.DataFrame(
        {
            "function_code": a.index,
            "name": [names.get(c, c) for c in a.index],
            "full_year_persons": a["full_year_persons"].to_numpy(),
            "price_dkk": a["price_dkk"].to_numpy(),
            "amount_dkk": a["amount_dkk"].to_numpy(),
            "last_budget_dkk": b["last_budget_dkk"].reindex(a.index).to_numpy(),
        }
    )
    q, amount = out["full_year_persons"].sum(), out["amount_dkk"].sum()
    total = {
        "function_code": "",
        "name": "I alt",
        "full_year_persons": q,
        "price_dkk": amount / q if q > 0 else np.nan,
        "amount_dkk": amount,
        "last_budget_dkk": out["last_budget_dkk"].sum(min_count=len(out)),
    }
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out["change_dkk"] = out["amount_dkk"] - out["last_budget_dkk"]
    return out


def bridge_steps(result: BudgetResult, function_code: str = "total") -> pd.DataFrame:
    """The bridge of one area (or the total) as steps for a table or a waterfall chart.

    Returns
    -------
    pandas.DataFrame
        One row per step of :data:`BRIDGE_STEPS` in order: ``step`` (column name), ``label`` (Danish),
        ``short`` (a short label on two lines, for a chart),
        ``dkk`` (the level for the first and last row, the change for the others), ``start_dkk`` and
        ``end_dkk`` (where the step's bar starts and ends; the steps add up to the last row). Without last
        year's budget the bridge starts at the base year's actual (the first two rows are dropped and a row
        ``base_dkk`` labelled 'Regnskab' starts it).
    """
    row = result.bridge.loc[function_code]
    steps = list(BRIDGE_STEPS)
    labels = dict(BRIDGE_STEPS)
    values = row.reindex(steps).to_dict()
    if not np.isfinite(values["last_budget_dkk"]):
        steps = ["base_dkk", *steps[2:]]
        labels["base_dkk"] = f"Regnskab {result.base_year}"
        values["base_dkk"] = float(result.bridge.loc[function_code, "budget_dkk"]) - sum(
            float(values[s]) for s in steps[1:-1]
        )
    labels["last_budget_dkk"] = f"Budget {result.year - 1}"
    labels["drift_dkk"] = f"Drift: regnskab {result.base_year} mod budget {result.year - 1}"
    labels["budget_dkk"] = f"Budgetbehov {result.year}"
    short = dict(
        _SHORT, base_dkk=f"Regnskab\n{result.base_year}", last_budget_dkk=f"Budget\n{result.year - 1}"
    )
    short["budget_dkk"] = f"Budget-\nbehov {result.year}"
    rows, level = [], 0.0
    for i, s in enumerate(steps):
        v = float(values[s])
        if i == 0 or s == "budget_dkk":
            start, end, level = 0.0, v, v
        else:
            start, end = level, level + v
            level = end
        rows.append(
            {"step": s, "label": labels[s], "short": short[s], "dkk": v, "start_dkk": start, "end_dkk": end}
        )
    return pd.DataFrame(rows)
