"""The whole of a main function (e.g. 5.38) in one municipality, area by area and in total.

Total, composition, effects per area, substitution between housing offers, ranking by potential and rule-based
recommendations.

Pure pandas: every function takes frames shaped like the warehouse tables (``activity``, ``municipalities``) or
the frames returned here, and returns a frame. Nothing here reads files, the warehouse or ``parameters/``; the
thresholds of the recommendations come in as arguments (``parameters/recommendations.yaml``, read by
:func:`analysis.data.thresholds.read_recommendation_sizes`).

Units and conventions are those of :mod:`analysis.benchmark`, whose functions do the work per area
(:func:`~analysis.benchmark.benchmark_inputs`, :func:`~analysis.benchmark.decompose`,
:func:`~analysis.benchmark.effects`):

- money in DKK in the prices of the frames given (the area report restates them in fixed prices first);
  spending per resident is DKK per resident of the main function's resident group
  (:func:`analysis.benchmark.resident_group`: aged 18-64 for 5.38, aged 0-17 for 5.28); rates are full-year persons
  per 1,000 residents of that group; peer figures are weighted (totals divided by totals);
- a positive effect means the municipality spends more than its peers; a potential is ``max(effect, 0)`` of a
  material difference (:data:`analysis.benchmark.MATERIALITY`).

Overlap. Within one area, price effect + quantity effect = gap exactly, so the three may be shown side by side but
only the gap is the area's whole difference. Across areas the spending is disjoint, so the areas' gaps (and the
quantity effects of the substitution figure) may be added; but one area's price potential and another's spending
potential are different yardsticks and are never added into one total (:func:`ranking` shows them side by side).

Substitution (:func:`substitution`). One offer may stand in for another: a municipality with many citizens in
long-term housing (§ 108) may have fewer in temporary housing (§ 107). Read alone, each area shows a quantity effect;
their *net* (the sum of the quantity effects, each valued at its own area's peer price) is what the municipality
spends more or less on the number of citizens in housing offers as a whole, and ``offset_dkk`` is the part of the
positive quantity effects that negative ones elsewhere balance.

Main functions. 5.38 (adults) and 5.28 (children and young people) are read the same way; their substitution sets
differ (:data:`SUBSTITUTION_SETS`): for 5.28 the places of placement, foster families (5.28.22), opholdssteder
(5.28.20) and children's homes (5.28.23), where a child placed in a children's home rather than a foster family costs
about three times as much. 5.38 is measured per resident aged 18-64, 5.28 per resident aged 0-17 (the column
``population_0_17`` of ``municipalities``, carried in the frames' ``residents`` columns as
:func:`analysis.benchmark.per_resident_basis` explains).

Citizens aged 65 and over (:func:`older_citizens`): from the case data, where they hold the age
(``age_at_start_year``); counts and spending per area, not suppressed here (the report suppresses groups of fewer
than 5 citizens).

Recommendations (:func:`classify`): a documented rule, a starting point for the consultant's judgement.

- *service level* (serviceniveau): the quantity (rate) is materially above the peers and the price is not;
  potential = the quantity effect;
- *efficiency* (effektivitet): the price is materially above and the quantity is not; potential = the price
  effect;
- *both* (begge): both are materially above; potential = the gap (= price effect + quantity effect of the area,
  which do not overlap);
- no recommendation where neither is above.

The size is ``lav``, ``middel`` or ``høj`` by the potential's share of the area's own spending, against the
thresholds given (``medium_share``, ``high_share``; a share at a threshold takes the higher size).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from analysis import benchmark
from analysis import expensive_cases as ec

__all__ = [
    "CATEGORIES",
    "OLDER_AGE",
    "SIZES",
    "SUBSTITUTION_AREAS",
    "SUBSTITUTION_SETS",
    "area_effects",
    "classify",
    "composition",
    "older_citizens",
    "ranking",
    "spending_per_resident",
    "substitution",
]

SUBSTITUTION_AREAS = ("5.38.50", "5.38.51", "5.38.52")
"""The housing offers that may stand in for one another: § 108 long-term, § 85 in housing, § 107 temporary."""
SUBSTITUTION_SETS = {
    "5.38": SUBSTITUTION_AREAS,
    "5.28": ("5.28.22", "5.28.20", "5.28.23"),
}
"""The offers that may stand in for one another, by main function: 5.28 foster families, opholdssteder, homes."""
OLDER_AGE = 65
"""Citizens of this age or over are counted by :func:`older_citizens` (on 1 January of the year)."""
CATEGORIES = ("service_level", "efficiency", "both")
"""The kinds of recommendation of :func:`classify`."""
SIZES = ("lav", "middel", "høj")
"""The sizes of a recommendation, from small to large."""


def _require(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")


def _own_function_codes(activity: pd.DataFrame, own_code: int, year: int, main_function: str) -> list[str]:
    """The function codes under ``main_function`` with own activity rows in ``year``, sorted."""
    rows = activity[
        (activity["municipality_code"].astype(int) == int(own_code))
        & (activity["year"].astype(int) == int(year))
        & activity["function_code"].astype(str).str.startswith(main_function + ".")
    ]
    return sorted(rows["function_code"].astype(str).unique())


def area_effects(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    year: int,
    main_function: str = "5.38",
    materiality: float = benchmark.MATERIALITY,
) -> pd.DataFrame:
    """Price and quantity effects of every area of a main function, against the same peers.

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables (``activity`` in the prices wanted, e.g. fixed prices).
    own_code : int
        The own municipality.
    peer_codes : iterable of int
        The peers (chosen once, e.g. :func:`analysis.benchmark.select_peers`); a peer without activity in an area is
        left out of that area's averages.
    year : int
        The accounting year.
    main_function : str, default '5.38'
        The main function; its areas are the function codes ``main_function.xx`` with own activity in ``year``.
    materiality : float, default :data:`analysis.benchmark.MATERIALITY`
        Smallest relative difference counted (0.02 = 2 %).

    Returns
    -------
    pandas.DataFrame
        One row per area, in function-code order: ``function_code``, ``own_spending_dkk``, ``expected_spending_dkk``,
        ``gap_dkk``, ``price_effect_dkk``, ``quantity_effect_dkk`` (DKK), ``own_persons``, ``expected_persons``
        (full-year persons), ``own_price``, ``peer_price`` (DKK per full-year person), ``own_rate``, ``peer_rate``
        (per 1,000 residents of the group: aged 18-64 for 5.38, 0-17 for 5.28), ``own_per_resident``,
        ``peer_per_resident`` (DKK per resident aged 18-64 for 5.38, DKK per resident aged 0-17 for 5.28),
        ``price_direction``, ``quantity_direction``, ``spending_direction`` ('above', 'below', 'level'),
        ``price_potential_dkk``, ``quantity_potential_dkk``, ``spending_potential_dkk`` (DKK, >= 0, at the peers'
        average) and ``n_peers``.

    Raises
    ------
    ValueError
        If the own municipality has no activity under ``main_function`` in ``year``, or as
        :func:`analysis.benchmark.benchmark_inputs`.
    """
    _require(activity, ("municipality_code", "year", "function_code"), "activity")
    codes = _own_function_codes(activity, own_code, year, main_function)
    if not codes:
        raise ValueError(f"own municipality {own_code} has no activity rows under {main_function} in {year}")
    peers = [int(c) for c in peer_codes]
    rows = []
    for function_code in codes:
        inputs = benchmark.benchmark_inputs(activity, municipalities, own_code, peers, function_code, year)
        result = benchmark.decompose(inputs.own, inputs.peers)
        eff = benchmark.effects(result, materiality)
        rows.append(
            {
                "function_code": function_code,
                **{
                    k: float(result[k])
                    for k in (
                        "own_spending_dkk",
                        "expected_spending_dkk",
                        "gap_dkk",
                        "price_effect_dkk",
                        "quantity_effect_dkk",
                        "own_persons",
                        "expected_persons",
                        "own_price",
                        "peer_price",
                        "own_rate",
                        "peer_rate",
                    )
                },
                "own_per_resident": float(eff.loc["spending", "own"]),
                "peer_per_resident": float(eff.loc["spending", "peer"]),
                "price_direction": eff.loc["price", "direction"],
                "quantity_direction": eff.loc["quantity", "direction"],
                "spending_direction": eff.loc["spending", "direction"],
                "price_potential_dkk": float(eff.loc["price", "potential_dkk"]),
                "quantity_potential_dkk": float(eff.loc["quantity", "potential_dkk"]),
                "spending_potential_dkk": float(eff.loc["spending", "potential_dkk"]),
                "n_peers": int(result["n_peers"]),
            }
        )
    return pd.DataFrame(rows)


def spending_per_resident(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    years: Sequence[int],
    main_function: str = "5.38",
) -> pd.DataFrame:
    """Spending on the whole main function per resident of its group, own against the peers, year by year.

    Per resident aged 18-64 for 5.38, per resident aged 0-17 for 5.28 (:func:`analysis.benchmark.resident_group`).

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables (``activity`` in the prices wanted; fixed prices for a development).
    own_code : int
        The own municipality.
    peer_codes : iterable of int
        The peers (the same every year). A peer with no activity under the main function in a year is left out of
        that year.
    years : sequence of int
        The accounting years.
    main_function : str, default '5.38'
        The main function.

    Returns
    -------
    pandas.DataFrame
        One row per year with own activity: ``year``, ``own_spending_dkk`` (DKK), ``own_residents`` (the group's
        residents: aged 18-64, or 0-17 for 5.28), ``own_per_resident`` and ``peer_per_resident`` (DKK per
        resident of the group; peers weighted: total peer spending / total peer residents of the group),
        ``difference`` (own / peer - 1) and ``n_peers``.

    Raises
    ------
    ValueError
        If the own municipality has no activity in any of the years, or a population is missing (for 5.28 the
        residents aged 0-17, as :func:`analysis.benchmark.per_resident_basis`).
    """
    _require(activity, ("municipality_code", "year", "function_code", "spending_dkk"), "activity")
    municipalities = benchmark.per_resident_basis(municipalities, main_function)
    _require(municipalities, ("municipality_code", "year", "residents"), "municipalities")
    peers = {int(c) for c in peer_codes}
    if int(own_code) in peers:
        raise ValueError(f"the peer list contains the own municipality {own_code}: it cannot be its own peer")
    rows = activity[activity["function_code"].astype(str).str.startswith(main_function + ".")]
    totals = (
        rows.assign(municipality_code=rows["municipality_code"].astype(int), year=rows["year"].astype(int))
        .groupby(["municipality_code", "year"], as_index=False)["spending_dkk"]
        .sum()
    )
    population = municipalities.assign(
        municipality_code=municipalities["municipality_code"].astype(int),
        year=municipalities["year"].astype(int),
    )[["municipality_code", "year", "residents"]]
    totals = totals.merge(population, on=["municipality_code", "year"], how="left")
    if totals["residents"].isna().any():
        bad = totals[totals["residents"].isna()].iloc[0]
        raise ValueError(
            f"municipalities has no {benchmark.resident_group(main_function).column} for "
            f"{int(bad['municipality_code'])} in {int(bad['year'])}"
        )
    out = []
    for year in sorted({int(y) for y in years}):
        part = totals[totals["year"] == year]
        own = part[part["municipality_code"] == int(own_code)]
        if own.empty:
            continue
        peer = part[part["municipality_code"].isin(peers)]
        own_spending, own_population = float(own["spending_dkk"].sum()), float(own["residents"].sum())
        peer_value = (
            float(peer["spending_dkk"].sum()) / float(peer["residents"].sum()) if len(peer) else math.nan
        )
        own_value = own_spending / own_population
        out.append(
            {
                "year": year,
                "own_spending_dkk": own_spending,
                "own_residents": own_population,
                "own_per_resident": own_value,
                "peer_per_resident": peer_value,
                "difference": own_value / peer_value - 1 if peer_value > 0 else math.nan,
                "n_peers": len(peer),
            }
        )
    if not out:
        raise ValueError(
            f"own municipality {own_code} has no activity under {main_function} in {list(years)}"
        )
    return pd.DataFrame(out)


def composition(
    activity: pd.DataFrame, own_code: int, year: int, by: str, main_function: str = "5.38"
) -> pd.DataFrame:
    """The own spending of a main function split by area, paragraph or provider.

    Parameters
    ----------
    activity : pandas.DataFrame
        The warehouse table ``activity``.
    own_code : int
        The municipality.
    year : int
        The accounting year.
    by : {'function_code', 'paragraph', 'provider'}
        What to split by.
    main_function : str, default '5.38'
        The main function.

    Returns
    -------
    pandas.DataFrame
        One row per value of ``by``, largest spending first (ties by the value): ``by``, ``spending_dkk`` (DKK),
        ``full_year_persons`` and ``share`` (of the total spending, 0-1; shares add up to 1).

    Raises
    ------
    ValueError
        If ``by`` is not one of the three, or the municipality has no spending under the main function in ``year``.
    """
    if by not in ("function_code", "paragraph", "provider"):
        raise ValueError(f"composition by '{by}': expected 'function_code', 'paragraph' or 'provider'")
    _require(activity, ("municipality_code", "year", "function_code", by, "spending_dkk"), "activity")
    rows = activity[
        (activity["municipality_code"].astype(int) == int(own_code))
        & (activity["year"].astype(int) == int(year))
        & activity["function_code"].astype(str).str.startswith(main_function + ".")
    ]
    total = float(rows["spending_dkk"].sum())
    if rows.empty or total == 0:
        raise ValueError(f"municipality {own_code} has no spending under {main_function} in {year}")
    out = rows.groupby(by, as_index=False)[["spending_dkk", "full_year_persons"]].sum()
    out["share"] = out["spending_dkk"] / total
    return out.sort_values(["spending_dkk", by], ascending=[False, True]).reset_index(drop=True)


def substitution(effects: pd.DataFrame, function_codes: Sequence[str] = SUBSTITUTION_AREAS) -> pd.DataFrame:
    """The quantity effects of offers that may stand in for one another, and their net.

    Parameters
    ----------
    effects : pandas.DataFrame
        :func:`area_effects` (``function_code``, ``own_persons``, ``expected_persons``, ``quantity_effect_dkk``).
    function_codes : sequence of str, default :data:`SUBSTITUTION_AREAS`
        The areas compared; those absent from ``effects`` are left out.

    Returns
    -------
    pandas.DataFrame
        One row per area present, in the order given, then a row ``function_code = 'net'``: ``own_persons``,
        ``expected_persons`` and ``persons_difference`` (full-year persons; own minus at the peers' rate),
        ``quantity_effect_dkk`` (DKK, each area valued at its own peer price; the net row is the sum) and, on the net
        row only, ``positive_dkk`` (sum of the positive quantity effects), ``negative_dkk`` (sum of the negative
        ones) and ``offset_dkk`` = ``min(positive, -negative)``, the part of the positive effects balanced
        elsewhere (0 when all have the same sign).

    Raises
    ------
    ValueError
        If a column is missing or fewer than two of the areas are present.
    """
    _require(effects, ("function_code", "own_persons", "expected_persons", "quantity_effect_dkk"), "effects")
    present = [c for c in function_codes if c in set(effects["function_code"])]
    if len(present) < 2:
        raise ValueError(
            f"substitution needs at least two of {', '.join(function_codes)}; "
            f"effects hold {', '.join(present) or 'none'}"
        )
    rows = effects.set_index("function_code").loc[
        present, ["own_persons", "expected_persons", "quantity_effect_dkk"]
    ]
    rows = rows.reset_index()
    rows["persons_difference"] = rows["own_persons"] - rows["expected_persons"]
    q = rows["quantity_effect_dkk"]
    positive, negative = float(q[q > 0].sum()), float(q[q < 0].sum())
    net = {
        "function_code": "net",
        "own_persons": float(rows["own_persons"].sum()),
        "expected_persons": float(rows["expected_persons"].sum()),
        "quantity_effect_dkk": float(q.sum()),
        "persons_difference": float(rows["persons_difference"].sum()),
        "positive_dkk": positive,
        "negative_dkk": negative,
        "offset_dkk": min(positive, -negative),
    }
    out = pd.concat([rows, pd.DataFrame([net])], ignore_index=True)
    return out[
        [
            "function_code",
            "own_persons",
            "expected_persons",
            "persons_difference",
            "quantity_effect_dkk",
            "positive_dkk",
            "negative_dkk",
            "offset_dkk",
        ]
    ]


def ranking(effects: pd.DataFrame) -> pd.DataFrame:
    """The areas ranked by their potential at the peers' average, price and quantity potentials beside it.

    The rank is by the spending potential (the gap where spending per resident is materially above the peers), then
    by the larger of the price and quantity potentials, then by function code. The three potentials of an area
    overlap (price + quantity = gap) and are shown side by side, never added.

    Parameters
    ----------
    effects : pandas.DataFrame
        :func:`area_effects`.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = largest), ``function_code``, ``own_spending_dkk``, ``spending_potential_dkk``,
        ``price_potential_dkk``, ``quantity_potential_dkk`` (DKK) and ``share_of_spending`` (the spending potential
        / own spending, 0-1).
    """
    columns = ("function_code", "own_spending_dkk", "spending_potential_dkk", "price_potential_dkk")
    _require(effects, (*columns, "quantity_potential_dkk"), "effects")
    out = effects[[*columns, "quantity_potential_dkk"]].copy()
    out["_larger"] = out[["price_potential_dkk", "quantity_potential_dkk"]].max(axis=1)
    out = out.sort_values(
        ["spending_potential_dkk", "_larger", "function_code"], ascending=[False, False, True]
    ).drop(columns="_larger")
    out["share_of_spending"] = [
        p / s if s > 0 else math.nan
        for p, s in zip(out["spending_potential_dkk"], out["own_spending_dkk"], strict=True)
    ]
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def _size(share: float, sizes: Mapping[str, float]) -> str:
    if share >= sizes["high_share"]:
        return "høj"
    if share >= sizes["medium_share"]:
        return "middel"
    return "lav"


def classify(effects: pd.DataFrame, sizes: Mapping[str, float]) -> pd.DataFrame:
    """Each area's findings as a recommendation: service level, efficiency or both, with a size.

    The rule is in the module docstring: it reads the directions of :func:`analysis.benchmark.effects` (material and
    above the peers) and nothing else, so it is a starting point for the consultant's judgement, not a verdict.

    Parameters
    ----------
    effects : pandas.DataFrame
        :func:`area_effects` (``function_code``, ``own_spending_dkk``, ``gap_dkk``, ``price_effect_dkk``,
        ``quantity_effect_dkk``, ``price_direction``, ``quantity_direction``, ``own_price``, ``peer_price``,
        ``own_rate``, ``peer_rate``).
    sizes : mapping
        ``medium_share`` and ``high_share``: the potential's share of the area's own spending (0-1) from which the
        size is 'middel' and 'høj'; below ``medium_share`` it is 'lav'.

    Returns
    -------
    pandas.DataFrame
        One row per area with a recommendation, largest potential first (ties by function code): ``function_code``,
        ``category`` (:data:`CATEGORIES`), ``potential_dkk`` (DKK), ``share_of_spending`` (0-1), ``size``
        (:data:`SIZES`), and the data behind it: ``price_difference`` and ``rate_difference`` (own / peer - 1),
        ``price_effect_dkk``, ``quantity_effect_dkk``.

    Raises
    ------
    ValueError
        If a column or a size threshold is missing, or the thresholds are not ``0 <= medium_share <= high_share``.
    """
    _require(
        effects,
        (
            "function_code",
            "own_spending_dkk",
            "gap_dkk",
            "price_effect_dkk",
            "quantity_effect_dkk",
            "price_direction",
            "quantity_direction",
            "own_price",
            "peer_price",
            "own_rate",
            "peer_rate",
        ),
        "effects",
    )
    missing = [k for k in ("medium_share", "high_share") if k not in sizes]
    if missing:
        raise ValueError(f"the recommendation sizes lack {', '.join(missing)}")
    if not 0 <= float(sizes["medium_share"]) <= float(sizes["high_share"]):
        raise ValueError(
            f"the recommendation sizes must satisfy 0 <= medium_share <= high_share; got medium_share "
            f"{sizes['medium_share']} and high_share {sizes['high_share']}"
        )
    rows = []
    for r in effects.itertuples(index=False):
        price_up, quantity_up = r.price_direction == "above", r.quantity_direction == "above"
        if price_up and quantity_up:
            category, potential = "both", r.gap_dkk
        elif quantity_up:
            category, potential = "service_level", r.quantity_effect_dkk
        elif price_up:
            category, potential = "efficiency", r.price_effect_dkk
        else:
            continue
        share = potential / r.own_spending_dkk if r.own_spending_dkk > 0 else math.nan
        rows.append(
            {
                "function_code": r.function_code,
                "category": category,
                "potential_dkk": float(potential),
                "share_of_spending": float(share),
                "size": _size(share, sizes),
                "price_difference": r.own_price / r.peer_price - 1 if r.peer_price > 0 else math.nan,
                "rate_difference": r.own_rate / r.peer_rate - 1 if r.peer_rate > 0 else math.nan,
                "price_effect_dkk": float(r.price_effect_dkk),
                "quantity_effect_dkk": float(r.quantity_effect_dkk),
            }
        )
    columns = [
        "function_code",
        "category",
        "potential_dkk",
        "share_of_spending",
        "size",
        "price_difference",
        "rate_difference",
        "price_effect_dkk",
        "quantity_effect_dkk",
    ]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["potential_dkk", "function_code"], ascending=[False, True]).reset_index(drop=True)


def older_citizens(
    cases: pd.DataFrame, year: int, main_function: str = "5.38", min_age: int = OLDER_AGE
) -> pd.DataFrame:
    """Citizens aged ``min_age`` or over among those with cases on each area of a main function, and their spending.

    A citizen counts in an area when one of their cases on it runs in ``year`` (see
    :func:`analysis.expensive_cases.person_costs`); their age is that on 1 January of ``year``,
    ``age_at_start_year + (year - start year)`` of their case (the largest, should cases disagree:
    :func:`analysis.expensive_cases.ages_on_1_january`). Spending is the
    cases' monthly cost times the months they run in the year (cases without a cost count 0 and are counted in
    ``cases_without_cost``).

    Parameters
    ----------
    cases : pandas.DataFrame
        Table ``cases``: ``person_id``, ``function_code``, ``start_date``, ``end_date``, ``monthly_cost_dkk``,
        ``age_at_start_year`` (missing where unknown).
    year : int
        The calendar year.
    main_function : str, default '5.38'
        Areas are the function codes under it.
    min_age : int, default :data:`OLDER_AGE`
        The age from which a citizen counts as older.

    Returns
    -------
    pandas.DataFrame
        One row per area with a running case, in function-code order, then ``function_code = 'total'`` (a citizen
        with cases on two areas counts once in the total): ``persons`` (citizens), ``persons_older`` (aged
        ``min_age`` or over), ``persons_unknown_age``, ``share_older`` (of the citizens of known age, 0-1; NaN
        when none), ``spending_dkk``, ``spending_older_dkk`` (DKK in the year), ``share_spending_older`` (0-1, NaN
        when no spending) and ``cases_without_cost``.

    Raises
    ------
    ValueError
        If a column is missing, or as :func:`analysis.expensive_cases.person_costs`.

    Examples
    --------
    >>> cases = pd.DataFrame({"person_id": ["a", "b"], "function_code": "5.38.50",
    ...     "start_date": pd.to_datetime(["2020-01-01", "2024-01-01"]), "end_date": pd.NaT,
    ...     "monthly_cost_dkk": [10_000.0, 20_000.0], "age_at_start_year": [62, 40]})
    >>> r = older_citizens(cases, 2024).set_index("function_code")
    >>> int(r.loc["5.38.50", "persons_older"]), float(r.loc["5.38.50", "spending_older_dkk"])  # a: 62 + 4 = 66
    (1, 120000.0)
    """
    needed = ("person_id", "function_code", "start_date", "end_date", "monthly_cost_dkk", "age_at_start_year")
    _require(cases, needed, "cases")
    sub = cases[cases["function_code"].fillna("").astype(str).str.startswith(main_function + ".")].copy()
    ages = ec.ages_on_1_january(sub, year)

    def one(frame: pd.DataFrame, code: str) -> dict | None:
        costs = ec.person_costs(frame.assign(monthly_cost_dkk=frame["monthly_cost_dkk"].fillna(0.0)), year)
        if costs.empty:
            return None
        without_cost = ec.person_costs(frame, year).attrs["cases_without_cost"]
        age = costs["person_id"].map(ages)
        older = age >= min_age
        known = int(age.notna().sum())
        spending = float(costs["cost_dkk"].sum())
        spending_older = float(costs.loc[older.to_numpy(), "cost_dkk"].sum())
        return {
            "function_code": code,
            "persons": len(costs),
            "persons_older": int(older.sum()),
            "persons_unknown_age": len(costs) - known,
            "share_older": int(older.sum()) / known if known else math.nan,
            "spending_dkk": spending,
            "spending_older_dkk": spending_older,
            "share_spending_older": spending_older / spending if spending else math.nan,
            "cases_without_cost": int(without_cost),
        }

    rows = [r for code, g in sorted(sub.groupby("function_code")) if (r := one(g, str(code))) is not None]
    total = one(sub, "total") if rows else None
    columns = [
        "function_code",
        "persons",
        "persons_older",
        "persons_unknown_age",
        "share_older",
        "spending_dkk",
        "spending_older_dkk",
        "share_spending_older",
        "cases_without_cost",
    ]
    return pd.DataFrame(rows + ([total] if total else []), columns=columns)
