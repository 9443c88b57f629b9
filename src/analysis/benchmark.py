"""Price and quantity benchmark of one municipality against comparable municipalities.

Pure pandas: every function takes DataFrames shaped like the warehouse tables (``municipalities``,
``activity``) and returns a DataFrame or Series. Nothing here reads files or the warehouse.

Units and conventions
---------------------
- Money is in DKK, in the prices of the frames given: current prices as in the warehouse, or fixed prices of
  one year when the caller has restated them first (:func:`analysis.prices.to_fixed_prices`, as the benchmark
  report does). Quantities are full-year persons (helårspersoner).
- **Price** is DKK per full-year person: spending / full-year persons.
- **Rate** is full-year persons per 1,000 residents of the area's resident group: aged 18-64 for 5.38 (adults),
  aged 0-17 for 5.28 (children and young people), see :data:`RESIDENT_GROUP`.
- **Spending per resident** is DKK per resident of that group (DKK per resident aged 18-64 for 5.38, DKK per
  resident aged 0-17 for 5.28).
- The frames name the residents the figures are divided by ``residents`` (:data:`RESIDENTS_COLUMN`;
  ``own_residents``, ``peer_residents``, ...) whatever the group: :func:`per_resident_basis` copies the group's
  column of ``municipalities`` into it (``population_18_64`` for 5.38, ``population_0_17`` for 5.28) and leaves
  those columns holding what their names say; the reports take the group's words from :func:`resident_group`.
  Below, "residents aged 18-64" reads "residents aged 0-17" for 5.28.
- Peer averages are *weighted*: the peer price is total peer spending / total peer persons, the peer rate
  is total peer persons / total peer population of the group x 1,000 (not a mean of the peers' own prices or
  rates).
- **Sign convention**: a positive gap or effect means the municipality spends *more* than the yardstick; a
  potential is a possible saving, ``max(effect, 0)``, and is never negative.
- **Decomposition**: ``gap = price effect + quantity effect`` exactly (checked in code to floating precision).
  The price effect is valued at the own quantity, the quantity effect at the peer price.
- **Zero own persons**: the own price is NaN (undefined). The price effect is then ``own spending - 0``,
  which is 0 when the municipality has no spending either, so all of its gap is quantity effect. Spending
  without any recorded persons (a data issue to look into) shows up in full as price effect, keeping the
  sum exact.
- **Missing data**: a municipality with no activity rows for the selection is treated as having no data,
  not as zero: the own municipality raises an error, peers are left out and listed (see :func:`benchmark`).
- **Ties** in nearest-neighbour distances (equal to 1e-10 standard deviations) are broken by the lower
  municipality code; so are ties in the yardsticks of :func:`potentials`.
- **External-price screen**: a price more than 25 % above the median, or above Q3 + 1.5 x IQR (Tukey's upper
  fence), of the distribution across municipalities for the same function, year and paragraph is flagged (see
  :func:`provider_prices`).
- **Plausibility** of a potential: its yardstick's structural distance and the share of the own spending it implies
  (see :func:`potentials`); **materiality**: differences under 2 % are on level, for price and quantity alike
  (see :func:`effects`).

- **Peers** are chosen once, on the structural figures of the last year (:func:`select_peers`: the k nearest,
  a given list, the region or the municipality group), and kept for every year of a development.

:func:`benchmark_report` assembles everything ``notebooks/benchmark.ipynb`` shows, so that the notebook only
frames and plots.

Errors are :class:`ValueError` with a message naming what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.errors import ConfigurationError

__all__ = [
    "ADULTS",
    "CHILDREN",
    "RESIDENT_GROUP",
    "RESIDENTS_COLUMN",
    "ResidentGroup",
    "main_function",
    "check_features",
    "per_resident_basis",
    "resident_group",
    "BenchmarkInputs",
    "BenchmarkReport",
    "benchmark",
    "benchmark_inputs",
    "benchmark_report",
    "report_from_data",
    "decompose",
    "effects",
    "gap_steps",
    "group_peers",
    "internal_vs_external",
    "key_figures",
    "nearest_peers",
    "occupancy",
    "peer_table",
    "peers_from_list",
    "potentials",
    "provider_breakdown",
    "provider_prices",
    "region_peers",
    "select_peers",
    "SpendingReport",
    "spending_report",
    "structural_distances",
    "unit_measures",
    "with_socioeconomic_index",
]

RESIDENTS_COLUMN = "residents"
"""The column the per-resident figures divide by: the residents of the area's group (:func:`per_resident_basis`).

Not a warehouse column: ``municipalities`` holds the groups under their own names (``population_18_64``,
``population_0_17``), and a structural feature of this name is refused (:func:`check_features`)."""

UNIT_COLUMNS = ("spending_dkk", "full_year_persons", RESIDENTS_COLUMN)
"""The columns :func:`decompose` needs, for the own municipality and for each peer."""

DEFAULT_FEATURES = ("population", "socioeconomic_index", "population_density")
DEFAULT_LOG_FEATURES = ("population", "population_density")
UNIT_BY = ("paragraph", "provider")
YARDSTICKS = ("peer_average", "cheaper_half", "lowest")
PEER_METHODS = ("knn", "list", "region", "group")
"""Ways to choose the comparable municipalities (see :func:`select_peers`)."""
TIE_DECIMALS = 10
"""Distances are compared rounded to this many decimals, so floating noise does not break a true tie."""
ADDITIVITY_TOLERANCE = 1e-9
"""Relative tolerance of the check that price effect + quantity effect equals the gap."""
OUTLIER_IQR_FACTOR = 1.5
"""Tukey's factor: an external price above Q3 + 1.5 x IQR is flagged."""
HIGH_PRICE_THRESHOLD = 0.25
"""An external price more than 25 % above the national median for the paragraph is flagged (see
:func:`provider_prices`): with a hundred municipalities Tukey's fence alone lets 40 % above the median pass."""
PLAUSIBLE_MAX_DISTANCE = 1.5
"""A yardstick further than 1.5 standard deviations away in the structural features is not a plausible target
(:func:`potentials`); the ten nearest peers of a typical municipality lie within about 0.3-0.8."""
PLAUSIBLE_MAX_SHARE = 0.40
"""A potential above 40 % of the own spending is not a plausible saving (:func:`potentials`)."""
MATERIALITY = 0.02
"""A difference in price, quantity or spending per resident of less than 2 % is "on level" (:func:`effects`)."""


# ----------------------------------------------------------------------------------------------------
# Resident groups: who a main function's figures are per resident of
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentGroup:
    """The residents a main function's per-resident figures and rates are measured by.

    Attributes
    ----------
    column : str
        The ``municipalities`` column of their number on 1 January (persons).
    ages : str
        The ages, '18-64'.
    singular : str
        Danish, after 'pr.': '18-64-årig' ('udgift pr. 18-64-årig').
    plural : str
        Danish plural: '18-64-årige' ('pr. 1.000 18-64-årige').
    english : str
        For docstrings and errors: 'residents aged 18-64'.
    source : str
        Where the number comes from, for messages.
    """

    column: str
    ages: str
    singular: str
    plural: str
    english: str
    source: str = "Statistics Denmark's FOLK1A"


ADULTS = ResidentGroup("population_18_64", "18-64", "18-64-årig", "18-64-årige", "residents aged 18-64")
"""Adults with disabilities (5.38): per resident aged 18-64."""
CHILDREN = ResidentGroup("population_0_17", "0-17", "0-17-årig", "0-17-årige", "residents aged 0-17")
"""Children and young people with special needs (5.28): per resident aged 0-17."""
RESIDENT_GROUP: dict[str, ResidentGroup] = {"5.38": ADULTS, "5.28": CHILDREN}
"""Main function -> the residents its figures are per resident of. Others: :data:`ADULTS`."""


def main_function(function_code: str) -> str:
    """The main function of a function code: ``'5.28.22'`` -> ``'5.28'`` (a main function is itself).

    >>> main_function("5.28.22"), main_function("5.38")
    ('5.28', '5.38')
    """
    return ".".join(str(function_code).split(".")[:2])


def resident_group(function_code: str) -> ResidentGroup:
    """The resident group of a function code's (or main function's) per-resident figures.

    >>> resident_group("5.28.23").singular, resident_group("5.38.50").singular
    ('0-17-årig', '18-64-årig')
    """
    return RESIDENT_GROUP.get(main_function(function_code), ADULTS)


def per_resident_basis(municipalities: pd.DataFrame, function_code: str) -> pd.DataFrame:
    """``municipalities`` with the residents of ``function_code``'s group in a new column :data:`RESIDENTS_COLUMN`.

    A copy with ``residents`` = ``population_18_64`` (residents aged 18-64) for 5.38 and = ``population_0_17``
    (residents aged 0-17) for 5.28, so that every division by ``residents`` is per resident of the area's group;
    ``population_18_64`` and ``population_0_17`` keep what their names say. Applying it twice gives the same frame.

    Raises
    ------
    ValueError
        If the group's column is missing, or empty in every row of a group other than the adults (a warehouse
        whose FOLK1A was loaded before ``population_0_17`` was added, or an extract without the ages 0-17): the
        message names FOLK1A. An adults' column without any number is left to the callers, which name the
        municipalities and years it lacks.

    Examples
    --------
    >>> mun = pd.DataFrame({"municipality_code": [1], "year": [2024], "population_18_64": [600],
    ...                     "population_0_17": [200]})
    >>> basis = per_resident_basis(mun, "5.28.22")
    >>> basis[["residents", "population_18_64", "population_0_17"]].iloc[0].tolist()
    [200, 600, 200]
    >>> int(per_resident_basis(mun, "5.38.50")["residents"].iloc[0])
    600
    """
    group = resident_group(function_code)
    missing = group.column not in municipalities.columns
    if missing or (group != ADULTS and municipalities[group.column].isna().all()):
        raise ValueError(
            f"no {group.column} ({group.english}) in municipalities: function {function_code} is measured per "
            f"resident aged {group.ages}; load the population again from {group.source} with every age "
            "(analysis fetch statbank, or analysis load statbank FILE --table FOLK1A with ALDER=*)"
        )
    return municipalities.assign(**{RESIDENTS_COLUMN: municipalities[group.column]})


def check_features(function_code: str, features: Iterable[str]) -> None:
    """Refuse a structural feature named :data:`RESIDENTS_COLUMN`.

    ``residents`` is not a warehouse column but the one :func:`per_resident_basis` adds (the residents of the
    area's group): a feature of that name would be overwritten by it, or shown twice in the peer table.
    ``population_18_64`` and ``population_0_17`` may be compared on for any function: they hold what they say.

    Raises
    ------
    analysis.errors.ConfigurationError
        If ``features`` names :data:`RESIDENTS_COLUMN`; the message names the feature, the function's group and
        the columns to compare on instead.

    Examples
    --------
    >>> check_features("5.28.22", ["population", "population_18_64", "population_0_17"])
    >>> check_features("5.28.22", ["residents"])
    Traceback (most recent call last):
    ...
    analysis.errors.ConfigurationError: feature residents cannot be compared for function 5.28.22: ...
    """
    if RESIDENTS_COLUMN in set(features):
        group = resident_group(function_code)
        raise ConfigurationError(
            f"feature {RESIDENTS_COLUMN} cannot be compared for function {function_code}: it is not a column of "
            f"municipalities but the residents the per-resident figures are divided by ({group.english}); "
            f"compare on population, {ADULTS.column} or {CHILDREN.column} instead"
        )


# ----------------------------------------------------------------------------------------------------
# Decomposition
# ----------------------------------------------------------------------------------------------------


def decompose(own: Mapping | pd.Series, peers: pd.DataFrame) -> pd.Series:
    """Split the own municipality's spending gap to its peers into a price effect and a quantity effect.

    Parameters
    ----------
    own : mapping or pandas.Series
        The own municipality: ``spending_dkk`` (DKK), ``full_year_persons`` (full-year persons) and
        ``residents`` (residents aged 18-64, :func:`per_resident_basis`); without ``residents``,
        ``population_18_64`` is read as them. Further keys are ignored.
    peers : pandas.DataFrame
        The same three columns (``residents``, else ``population_18_64``), one row per peer municipality.
        Further columns are ignored.

    Returns
    -------
    pandas.Series
        Float values, indexed by:

        - ``own_spending_dkk``: own spending, DKK.
        - ``expected_spending_dkk``: spending at peer price and peer rate for the own population,
          ``peer_price x peer_rate x own population / 1,000``, DKK.
        - ``gap_dkk``: ``own_spending_dkk - expected_spending_dkk``, DKK; positive = own spends more.
        - ``price_effect_dkk``: ``(own_price - peer_price) x own persons``, valued at the own quantity, DKK.
          Computed as ``own spending - peer_price x own persons`` (the same where own persons > 0).
        - ``quantity_effect_dkk``: ``(own persons - expected persons) x peer_price``, valued at the peer
          price, DKK.
        - ``own_price``, ``peer_price``: DKK per full-year person; ``own_price`` is NaN when own persons
          are 0.
        - ``own_rate``, ``peer_rate``: full-year persons per 1,000 residents aged 18-64.
        - ``own_persons``, ``expected_persons``: full-year persons (expected = at peer rate).
        - ``own_residents``: residents aged 18-64.
        - ``n_peers``: number of peer rows.

        ``price_effect_dkk + quantity_effect_dkk == gap_dkk`` to floating precision (checked; an
        ``AssertionError`` would mean a bug here, not bad input).

    Raises
    ------
    ValueError
        If a column or key is missing (named), a value is missing or negative, the peer group is empty, the
        peers have zero total persons or zero total population, or the own population is zero.

    Notes
    -----
    Peer price and rate are weighted by the peers' persons and population (totals divided by totals), so a
    large peer weighs more than a small one. With zero own persons the own price is undefined (NaN), the price
    effect is the own spending (0 if none) and the rest of the gap is quantity effect.
    """
    own_spending, own_persons, own_population = _own_values(own)
    peer_spending, peer_persons, peer_population, n_peers = _peer_totals(_with_residents(peers))

    peer_price = peer_spending / peer_persons
    peer_rate = peer_persons / peer_population * 1000
    own_price = own_spending / own_persons if own_persons > 0 else math.nan
    own_rate = own_persons / own_population * 1000

    expected_persons = peer_rate * own_population / 1000
    expected_spending = peer_price * expected_persons
    gap = own_spending - expected_spending
    price_effect = own_spending - peer_price * own_persons
    quantity_effect = (own_persons - expected_persons) * peer_price
    _check_additive(gap, price_effect, quantity_effect, scale=max(abs(own_spending), abs(expected_spending)))

    return pd.Series(
        {
            "own_spending_dkk": own_spending,
            "expected_spending_dkk": expected_spending,
            "gap_dkk": gap,
            "price_effect_dkk": price_effect,
            "quantity_effect_dkk": quantity_effect,
            "own_price": own_price,
            "peer_price": peer_price,
            "own_rate": own_rate,
            "peer_rate": peer_rate,
            "own_persons": own_persons,
            "expected_persons": expected_persons,
            "own_residents": own_population,
            "n_peers": float(n_peers),
        },
        dtype=float,
    )


def _own_values(own: Mapping | pd.Series) -> tuple[float, float, float]:
    """Return the own spending, persons and population as floats, validated."""
    values = own.to_dict() if isinstance(own, pd.Series) else dict(own)
    if RESIDENTS_COLUMN not in values and ADULTS.column in values:
        values[RESIDENTS_COLUMN] = values[ADULTS.column]
    missing = [c for c in UNIT_COLUMNS if c not in values]
    if missing:
        raise ValueError(
            f"own is missing {', '.join(missing)} (needs {', '.join(UNIT_COLUMNS)}; {ADULTS.column} "
            f"stands for {RESIDENTS_COLUMN})"
        )
    numbers = {}
    for column in UNIT_COLUMNS:
        number = float(values[column])
        if math.isnan(number):
            raise ValueError(f"own {column} is missing (NaN)")
        if number < 0:
            raise ValueError(f"own {column} is negative ({number})")
        numbers[column] = number
    if numbers["residents"] == 0:
        raise ValueError("own residents is zero: no rate per 1,000 residents can be computed")
    return numbers["spending_dkk"], numbers["full_year_persons"], numbers["residents"]


def _with_residents(peers: pd.DataFrame) -> pd.DataFrame:
    """``peers`` with ``residents``: ``population_18_64`` (residents aged 18-64) when it has none of its own."""
    if isinstance(peers, pd.DataFrame) and RESIDENTS_COLUMN not in peers and ADULTS.column in peers:
        return peers.assign(**{RESIDENTS_COLUMN: peers[ADULTS.column]})
    return peers


def _peer_totals(peers: pd.DataFrame) -> tuple[float, float, float, int]:
    """Total peer spending, persons and population, and the number of peers, validated."""
    if not isinstance(peers, pd.DataFrame):
        raise ValueError(f"peers must be a pandas DataFrame, got {type(peers).__name__}")
    _require_columns(peers, UNIT_COLUMNS, "peers")
    if peers.empty:
        raise ValueError("the peer group is empty: at least one peer municipality is needed")
    for column in UNIT_COLUMNS:
        if peers[column].isna().any():
            raise ValueError(f"peers {column} has missing values in {int(peers[column].isna().sum())} row(s)")
        if (peers[column] < 0).any():
            raise ValueError(f"peers {column} has negative values in {int((peers[column] < 0).sum())} row(s)")
    spending = float(peers["spending_dkk"].sum())
    persons = float(peers["full_year_persons"].sum())
    population = float(peers["residents"].sum())
    if persons == 0:
        raise ValueError("the peers have zero full-year persons in total: no peer price can be computed")
    if population == 0:
        raise ValueError("the peers have zero residents in total: no peer rate can be computed")
    return spending, persons, population, len(peers)


def _check_additive(gap: float, price_effect: float, quantity_effect: float, scale: float) -> None:
    """Raise AssertionError unless price effect + quantity effect equals the gap to floating precision.

    The tolerance is relative: ``ADDITIVITY_TOLERANCE x max(1, scale)`` DKK, where ``scale`` is the larger of
    own and expected spending. An explicit raise rather than ``assert`` so that ``python -O`` keeps the check.
    """
    tolerance = ADDITIVITY_TOLERANCE * max(1.0, scale)
    if abs(price_effect + quantity_effect - gap) > tolerance:
        raise AssertionError(
            f"price effect {price_effect} + quantity effect {quantity_effect} != gap {gap} "
            f"(tolerance {tolerance})"
        )


# ----------------------------------------------------------------------------------------------------
# Peer selection
# ----------------------------------------------------------------------------------------------------


def peers_from_list(municipalities: pd.DataFrame, own_code: int, codes: Iterable[int]) -> pd.DataFrame:
    """Peers given as a list of municipality codes (e.g. chosen by the consultant).

    Parameters
    ----------
    municipalities : pandas.DataFrame
        The ``municipalities`` table (any years); used to check that the codes exist.
    own_code : int
        The own municipality's code.
    codes : iterable of int
        The peers' codes. Duplicates are dropped, keeping the first occurrence and the given order.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code`` (and ``municipality``, the name, where the table has it), one row per peer.

    Raises
    ------
    ValueError
        If the list is empty, contains the own code (a municipality is never its own peer), or contains codes
        (named) that are not in ``municipalities``.
    """
    _require_columns(municipalities, ("municipality_code",), "municipalities")
    wanted = list(dict.fromkeys(int(c) for c in codes))
    if not wanted:
        raise ValueError("the list of peer codes is empty")
    if int(own_code) in wanted:
        raise ValueError(f"the peer list contains the own municipality {own_code}: it cannot be its own peer")
    known = set(municipalities["municipality_code"].astype(int))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValueError(f"unknown municipality codes in the peer list: {', '.join(map(str, unknown))}")
    if int(own_code) not in known:
        raise ValueError(f"unknown own municipality code {own_code}")
    peers = pd.DataFrame({"municipality_code": wanted})
    return _with_names(peers, municipalities)


def nearest_peers(
    municipalities: pd.DataFrame,
    own_code: int,
    year: int,
    k: int = 10,
    features: Sequence[str] = DEFAULT_FEATURES,
    weights: Mapping[str, float] | None = None,
    log_features: Sequence[str] = DEFAULT_LOG_FEATURES,
) -> pd.DataFrame:
    """Find the ``k`` municipalities most like the own one in structural features (k nearest neighbours).

    Each feature is standardised across all municipalities of ``year`` (own included): features named in
    ``log_features`` are first replaced by their natural logarithm (population and density are strongly
    right-skewed: København and the small islands would otherwise dominate), then every feature becomes a
    z-score ``(x - mean) / standard deviation`` (population standard deviation, ddof=0). A feature with the
    same value everywhere carries no information and gets z = 0. The distance is the weighted Euclidean
    distance ``sqrt(sum_f w_f x (z_f - z_f,own)^2)``, in standard deviations.

    Parameters
    ----------
    municipalities : pandas.DataFrame
        The ``municipalities`` table with ``municipality_code``, ``year`` and the features.
    own_code : int
        The own municipality's code; never among the peers.
    year : int
        The year whose structural figures are compared.
    k : int, default 10
        Number of peers.
    features : sequence of str
        Columns to compare on. Default: population, socio-economic index, population density.
    weights : mapping of str to float, optional
        Weight per feature (non-negative); features not named weigh 1. Default: all 1.
    log_features : sequence of str
        Features (among ``features``; others are ignored) taken in logarithms before standardising; their
        values must be positive.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``municipality`` (where present), ``distance`` (standard deviations) and
        ``rank`` (1 = nearest), ``k`` rows ordered by rank. Distances equal to ``TIE_DECIMALS`` (10) decimals
        are ties, broken by the lower municipality code.

    Raises
    ------
    ValueError
        If columns are missing, the year or own code is not in the table, a code occurs twice in the year,
        feature values are missing or (for log features) not positive, weights are invalid, or fewer than
        ``k`` other municipalities exist.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    distance = structural_distances(municipalities, own_code, year, features, weights, log_features)
    table = _year_table(municipalities, year, ("municipality_code",))
    if k > len(distance):
        raise ValueError(f"k={k} peers requested but only {len(distance)} other municipalities in {year}")
    peers = pd.DataFrame(
        {
            "municipality_code": distance.index.astype(int),
            "distance": distance.to_numpy(),
            "_tie_key": distance.round(TIE_DECIMALS).to_numpy(),
        }
    )
    peers = peers.sort_values(["_tie_key", "municipality_code"]).head(k).drop(columns="_tie_key")
    peers["rank"] = range(1, len(peers) + 1)
    peers = _with_names(peers.reset_index(drop=True), table)
    return peers[[c for c in ("municipality_code", "municipality", "distance", "rank") if c in peers.columns]]


def structural_distances(
    municipalities: pd.DataFrame,
    own_code: int,
    year: int,
    features: Sequence[str] = DEFAULT_FEATURES,
    weights: Mapping[str, float] | None = None,
    log_features: Sequence[str] = DEFAULT_LOG_FEATURES,
) -> pd.Series:
    """Distance in structural features from the own municipality to every other one, as :func:`nearest_peers`.

    Parameters
    ----------
    municipalities, own_code, year, features, weights, log_features
        As for :func:`nearest_peers`.

    Returns
    -------
    pandas.Series
        Weighted Euclidean distance of standardised features (standard deviations), indexed by
        ``municipality_code`` of every municipality of ``year`` but the own one, in the table's order.

    Raises
    ------
    ValueError
        As :func:`nearest_peers` (columns, year, own code, feature values, weights).
    """
    features = list(features)
    if not features:
        raise ValueError("no features given to compare municipalities on")
    table = _year_table(municipalities, year, ("municipality_code", *features))
    _require_own(table, own_code, year)
    logged = [f for f in features if f in log_features]
    z = _standardise(table.set_index("municipality_code")[features], logged)
    w = pd.Series(_feature_weights(features, weights))
    distance = np.sqrt(((z - z.loc[int(own_code)]) ** 2 * w).sum(axis=1)).drop(int(own_code))
    return distance.rename("distance")


def region_peers(municipalities: pd.DataFrame, own_code: int, year: int) -> pd.DataFrame:
    """Select all other municipalities of the own municipality's region in ``year``.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``municipality`` (where present) and ``region``, ordered by code, own excluded.

    Raises
    ------
    ValueError
        If columns are missing, the own code is not in the year, or the region has no other municipality.
    """
    return _same_value_peers(municipalities, own_code, year, "region")


def group_peers(municipalities: pd.DataFrame, own_code: int, year: int) -> pd.DataFrame:
    """Select all other municipalities of the own municipality's group (kommunegruppe) in ``year``.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``municipality`` (where present) and ``municipality_group``, ordered by code,
        own excluded.

    Raises
    ------
    ValueError
        If columns are missing, the own code is not in the year, or the group has no other municipality.
    """
    return _same_value_peers(municipalities, own_code, year, "municipality_group")


def _same_value_peers(municipalities: pd.DataFrame, own_code: int, year: int, column: str) -> pd.DataFrame:
    """Municipalities sharing the own municipality's value of ``column`` in ``year``, own excluded."""
    table = _year_table(municipalities, year, ("municipality_code", column))
    _require_own(table, own_code, year)
    own_value = table.loc[table["municipality_code"] == int(own_code), column].iloc[0]
    same = table[(table[column] == own_value) & (table["municipality_code"] != int(own_code))]
    if same.empty:
        raise ValueError(f"no other municipality than {own_code} has {column} {own_value!r} in {year}")
    columns = [c for c in ("municipality_code", "municipality", column) if c in same.columns]
    return same[columns].sort_values("municipality_code").reset_index(drop=True)


def select_peers(
    municipalities: pd.DataFrame,
    own_code: int,
    year: int,
    peer_method: str = "knn",
    peer_codes: Iterable[int] = (),
    k: int = 10,
    features: Sequence[str] = DEFAULT_FEATURES,
    weights: Mapping[str, float] | None = None,
    log_features: Sequence[str] = DEFAULT_LOG_FEATURES,
) -> pd.DataFrame:
    """Choose the comparable municipalities in one of the ways of :data:`PEER_METHODS`, each with its distance.

    Parameters
    ----------
    municipalities : pandas.DataFrame
        The ``municipalities`` table.
    own_code : int
        The own municipality; never among the peers.
    year : int
        The year whose structural figures (and region and group) are used.
    peer_method : {'knn', 'list', 'region', 'group'}, default 'knn'
        ``'knn'``: the ``k`` nearest by ``features`` (:func:`nearest_peers`); ``'list'``: the ``peer_codes`` given
        (:func:`peers_from_list`); ``'region'``: the rest of the own region (:func:`region_peers`); ``'group'``:
        the rest of the own municipality group (:func:`group_peers`).
    peer_codes : iterable of int
        The peers' codes for ``'list'``; must be empty for the other methods.
    k : int, default 10
        Number of peers for ``'knn'``.
    features, weights, log_features
        As for :func:`nearest_peers`. Used to choose the peers for ``'knn'``, and for every method to show how
        alike the peers are.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``municipality`` (where present) and ``distance`` (weighted Euclidean distance of
        standardised features, standard deviations), ordered by distance, ties by the lower code.

    Raises
    ------
    ValueError
        If the method is unknown, ``peer_codes`` are given for another method than ``'list'`` or missing for
        ``'list'``, or as the function of the method.
    """
    peer_codes = list(peer_codes)
    if peer_method not in PEER_METHODS:
        raise ValueError(f"unknown peer method {peer_method!r}; choose one of {', '.join(PEER_METHODS)}")
    if peer_codes and peer_method != "list":
        raise ValueError(
            f"peer codes are given but the peer method is {peer_method!r}; use 'list' to compare with them"
        )
    if peer_method == "knn":
        peers = nearest_peers(municipalities, own_code, year, k, features, weights, log_features)
        return peers.drop(columns="rank")
    if peer_method == "list":
        if not peer_codes:
            raise ValueError("peer method 'list' needs the peers' municipality codes; none were given")
        peers = peers_from_list(municipalities, own_code, peer_codes)
    elif peer_method == "region":
        peers = region_peers(municipalities, own_code, year)
    else:
        peers = group_peers(municipalities, own_code, year)
    distance = structural_distances(municipalities, own_code, year, features, weights, log_features)
    peers = peers[[c for c in ("municipality_code", "municipality") if c in peers.columns]]
    peers = peers.merge(distance.reset_index(), on="municipality_code", how="left")
    peers["_tie_key"] = peers["distance"].round(TIE_DECIMALS)
    peers = peers.sort_values(["_tie_key", "municipality_code"]).drop(columns="_tie_key")
    return peers.reset_index(drop=True)


def with_socioeconomic_index(municipalities: pd.DataFrame, index: pd.DataFrame | None) -> pd.DataFrame:
    """The municipalities with the ministry's socio-economic index where it was loaded, for choosing peers.

    For every municipality and year of ``municipalities`` the loaded index of that year, else of the latest year
    before it, replaces ``socioeconomic_index``; where there is none (no index loaded, or only for later years)
    the table's own value (the package's illustrative reference list) stays.

    Parameters
    ----------
    municipalities : pandas.DataFrame
        The ``municipalities`` table (municipality_code, year, socioeconomic_index, ...).
    index : pandas.DataFrame or None
        The ``socioeconomic_index`` table (municipality_code, year, socioeconomic_index; 1.0 = national average),
        e.g. :func:`analysis.data.queries.socioeconomic_index`; None or empty when none was loaded.

    Returns
    -------
    pandas.DataFrame
        ``municipalities`` in its order with ``socioeconomic_index`` replaced where loaded and the column
        ``socioeconomic_index_year``: the year of the loaded index used (<NA> where the illustrative one stays).
    """
    out = municipalities.copy()
    out["socioeconomic_index_year"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if index is None or not len(index) or not len(out):
        return out
    loaded = (
        index[["municipality_code", "year", "socioeconomic_index"]]
        .astype({"municipality_code": "int64", "year": "int64", "socioeconomic_index": float})
        .rename(columns={"year": "_index_year", "socioeconomic_index": "_loaded"})
        .assign(_on=lambda d: d["_index_year"])
        .sort_values("_on")
    )
    keys = (
        out[["municipality_code", "year"]]
        .astype("int64")
        .assign(_pos=np.arange(len(out)), _on=lambda d: d["year"])
    )
    matched = pd.merge_asof(
        keys.sort_values("_on"), loaded, on="_on", by="municipality_code", direction="backward"
    ).sort_values("_pos")
    found = matched["_loaded"].notna().to_numpy()
    values = out["socioeconomic_index"].to_numpy(dtype=float, copy=True)
    values[found] = matched["_loaded"].to_numpy()[found]
    out["socioeconomic_index"] = values
    years = matched["_index_year"].to_numpy()
    out.loc[found, "socioeconomic_index_year"] = years[found].astype("int64")
    return out


def _year_table(municipalities: pd.DataFrame, year: int, columns: Sequence[str]) -> pd.DataFrame:
    """Return the rows of ``year``, checked for the needed columns and for one row per municipality."""
    _require_columns(municipalities, ("year", *columns), "municipalities")
    table = municipalities[municipalities["year"] == year].copy()
    if table.empty:
        raise ValueError(f"municipalities has no rows for year {year}")
    table["municipality_code"] = table["municipality_code"].astype(int)
    duplicated = table.loc[table["municipality_code"].duplicated(), "municipality_code"]
    if not duplicated.empty:
        raise ValueError(f"municipalities has several rows in {year} for {', '.join(map(str, duplicated))}")
    return table


def _require_own(table: pd.DataFrame, own_code: int, year: int) -> None:
    if int(own_code) not in set(table["municipality_code"]):
        raise ValueError(f"own municipality {own_code} is not in municipalities for {year}")


def _standardise(values: pd.DataFrame, log_features: Sequence[str]) -> pd.DataFrame:
    """Z-scores per column (ddof=0), after natural logarithms of ``log_features``; constant columns give 0."""
    missing = values[values.isna().any(axis=1)]
    if not missing.empty:
        raise ValueError(f"missing feature values for municipalities {', '.join(map(str, missing.index))}")
    values = values.astype(float)
    for feature in log_features:
        not_positive = values.index[values[feature] <= 0]
        if len(not_positive):
            raise ValueError(
                f"{feature} must be positive to take logarithms; "
                f"not so for {', '.join(map(str, not_positive))}"
            )
        values[feature] = np.log(values[feature])
    spread = values.std(ddof=0)
    centred = values - values.mean()
    return centred.div(spread.where(spread > 0)).fillna(0.0)


def _feature_weights(features: Sequence[str], weights: Mapping[str, float] | None) -> dict[str, float]:
    """Return a weight per feature: 1 unless given; checked to be known, non-negative and not all zero."""
    weights = dict(weights or {})
    unknown = [f for f in weights if f not in features]
    if unknown:
        raise ValueError(f"weights given for features not compared on: {', '.join(unknown)}")
    result = {f: float(weights.get(f, 1.0)) for f in features}
    negative = [f for f, w in result.items() if w < 0 or math.isnan(w)]
    if negative:
        raise ValueError(f"weights must be non-negative numbers; not so for {', '.join(negative)}")
    if not any(result.values()):
        raise ValueError("all feature weights are zero")
    return result


def _with_names(peers: pd.DataFrame, municipalities: pd.DataFrame) -> pd.DataFrame:
    """Add the municipality name (first one found per code) if the table has names."""
    if "municipality" not in municipalities.columns:
        return peers
    names = municipalities.assign(municipality_code=municipalities["municipality_code"].astype(int))
    names = names.drop_duplicates("municipality_code")[["municipality_code", "municipality"]]
    return peers.merge(names, on="municipality_code", how="left")


# ----------------------------------------------------------------------------------------------------
# Unit measures
# ----------------------------------------------------------------------------------------------------


def unit_measures(
    activity: pd.DataFrame, municipalities: pd.DataFrame, by: Sequence[str] = ()
) -> pd.DataFrame:
    """Price, rate and spending per resident per municipality, function area and year.

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table.
    municipalities : pandas.DataFrame
        The ``municipalities`` table, for ``population_18_64`` (``population_0_17`` for the rows of 5.28, see
        :func:`per_resident_basis`) per municipality and year, copied into ``residents``.
    by : sequence of str, default ()
        Further split by ``"paragraph"`` and/or ``"provider"``. Without it, paragraphs and providers are
        summed.

    Returns
    -------
    pandas.DataFrame
        One row per municipality_code x year x function_code (x ``by``), ordered by these keys, with:

        - ``full_year_persons``: full-year persons;
        - ``spending_dkk``: DKK;
        - ``residents``: residents aged 18-64 (aged 0-17 for the rows of 5.28);
        - ``price_dkk``: DKK per full-year person (NaN where persons are 0);
        - ``rate_per_1000``: full-year persons per 1,000 residents aged 18-64;
        - ``spending_per_resident_dkk``: DKK per resident aged 18-64.

        Rate and spending per resident are NaN where the population is 0.

    Raises
    ------
    ValueError
        If ``by`` names something else than paragraph or provider, columns are missing, or a municipality and
        year of ``activity`` has no population in ``municipalities`` (the first few are named).
    """
    by = list(by)
    unknown = [b for b in by if b not in UNIT_BY]
    if unknown:
        raise ValueError(f"unit_measures can split by {' and/or '.join(UNIT_BY)}, not {', '.join(unknown)}")
    keys = ["municipality_code", "year", "function_code", *by]
    _require_columns(activity, (*keys, "full_year_persons", "spending_dkk"), "activity")
    totals = activity.groupby(keys, as_index=False, dropna=False)[["full_year_persons", "spending_dkk"]].sum()
    groups = totals["function_code"].map(lambda c: resident_group(c).column)
    if groups.nunique() <= 1:
        code = str(totals["function_code"].iloc[0]) if len(totals) else "5.38"
        totals = _add_population(totals, per_resident_basis(municipalities, code), code)
    else:  # several main functions: each per its own residents
        parts = []
        for _, part in totals.groupby(groups, sort=False):
            code = str(part["function_code"].iloc[0])
            parts.append(_add_population(part, per_resident_basis(municipalities, code), code))
        totals = pd.concat(parts, ignore_index=True)
    totals["price_dkk"] = _ratio(totals["spending_dkk"], totals["full_year_persons"])
    totals["rate_per_1000"] = _ratio(totals["full_year_persons"], totals["residents"]) * 1000
    totals["spending_per_resident_dkk"] = _ratio(totals["spending_dkk"], totals["residents"])
    return totals.sort_values(keys).reset_index(drop=True)


def _add_population(
    frame: pd.DataFrame, municipalities: pd.DataFrame, function_code: str, require: bool = True
) -> pd.DataFrame:
    """Add ``residents`` by municipality and year; every pair must be found (unless not ``require``).

    ``municipalities`` is on ``function_code``'s per-resident basis (:func:`per_resident_basis`).
    """
    _require_columns(municipalities, ("municipality_code", "year", "residents"), "municipalities")
    population = municipalities[["municipality_code", "year", "residents"]]
    merged = frame.merge(population, on=["municipality_code", "year"], how="left", validate="many_to_one")
    if require:
        _require_population(merged, function_code)
    return merged


def _require_population(frame: pd.DataFrame, function_code: str) -> None:
    """Raise ValueError naming the first municipalities and years of ``frame`` without ``residents``.

    The message names the warehouse column the residents come from (``population_0_17`` for 5.28).
    """
    missing = frame.loc[frame["residents"].isna(), ["municipality_code", "year"]].drop_duplicates()
    if not missing.empty:
        pairs = ", ".join(f"{c} in {y}" for c, y in missing.head(5).itertuples(index=False))
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        column = resident_group(function_code).column
        raise ValueError(f"no {column} in municipalities for {pairs}{more}")


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` as floats, NaN where the denominator is 0."""
    return numerator.astype(float) / denominator.astype(float).where(denominator != 0)


def peer_table(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peers: pd.DataFrame,
    function_code: str,
    year: int,
    features: Sequence[str] = DEFAULT_FEATURES,
) -> pd.DataFrame:
    """The own municipality and its peers side by side: structure, distance and unit measures in one year.

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables.
    own_code : int
        The own municipality.
    peers : pandas.DataFrame
        ``municipality_code`` and optionally ``distance`` (e.g. from :func:`select_peers`), in the order wanted.
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    year : int
        The year of the structural figures and the measures.
    features : sequence of str
        Structural columns of ``municipalities`` to show.

    Returns
    -------
    pandas.DataFrame
        The own municipality first (``role = 'own'``, ``distance`` 0), then one row per peer (``role =
        'peer'``, in the order of ``peers``), with ``municipality_code``, ``municipality`` (where present),
        ``role``, the features, ``distance`` (standard deviations; NaN when ``peers`` has none),
        ``residents``, ``full_year_persons``, ``spending_dkk`` (DKK), ``price_dkk`` (DKK per full-year
        person), ``rate_per_1000`` (full-year persons per 1,000 residents aged 18-64),
        ``spending_per_resident_dkk`` (DKK per resident aged 18-64) and ``has_data`` (False for a municipality
        without activity rows for the area and year: its persons, spending and measures are NaN, not 0).

    Raises
    ------
    ValueError
        If columns are missing, a code is not in ``municipalities`` for ``year``, or the own code is among the
        peers.
    """
    municipalities = per_resident_basis(municipalities, function_code)
    features = list(features)
    _require_columns(peers, ("municipality_code",), "peers")
    peer_codes = [int(c) for c in peers["municipality_code"]]
    if int(own_code) in peer_codes:
        raise ValueError(f"the peers contain the own municipality {own_code}: it cannot be its own peer")
    check_features(function_code, features)
    table = _year_table(municipalities, year, ("municipality_code", "residents", *features))
    codes = [int(own_code), *peer_codes]
    unknown = [c for c in codes if c not in set(table["municipality_code"])]
    if unknown:
        raise ValueError(f"no municipalities rows in {year} for {', '.join(map(str, unknown))}")
    out = pd.DataFrame({"municipality_code": codes, "role": ["own"] + ["peer"] * len(peer_codes)})
    named = [c for c in ("municipality",) if c in table.columns]
    out = out.merge(
        # residents is never a feature (check_features); a feature population_18_64 is shown as loaded
        table[list(dict.fromkeys(["municipality_code", *named, *features, "residents"]))],
        on="municipality_code",
    )
    if "distance" in peers.columns:
        distance = dict(zip(peer_codes, peers["distance"].astype(float), strict=True))
    else:
        distance = {}
    out["distance"] = [0.0] + [distance.get(c, math.nan) for c in peer_codes]
    rows = _select_activity(activity, function_code, year, None, None)
    totals = (
        rows[rows["municipality_code"].isin(codes)]
        .groupby("municipality_code")[["full_year_persons", "spending_dkk"]]
        .sum()
    )
    out = out.merge(totals, left_on="municipality_code", right_index=True, how="left")
    out["price_dkk"] = _ratio(out["spending_dkk"], out["full_year_persons"])
    out["rate_per_1000"] = _ratio(out["full_year_persons"], out["residents"]) * 1000
    out["spending_per_resident_dkk"] = _ratio(out["spending_dkk"], out["residents"])
    out["has_data"] = out["municipality_code"].isin(totals.index)
    front = ["municipality_code", *named, "role", *features, "distance"]
    return out[[*front, *[c for c in out.columns if c not in front]]]


KEY_MEASURES = ("price_dkk", "rate_per_1000", "spending_per_resident_dkk")
"""The three unit measures of :func:`key_figures`, in the order shown."""


def key_figures(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    function_code: str,
    year: int,
) -> pd.DataFrame:
    """Price, rate and spending per resident of the own municipality against the peers and the country.

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables; ``activity`` should hold every municipality for the national figures.
    own_code : int
        The own municipality.
    peer_codes : iterable of int
        The peers; those without activity rows for the area and year are left out.
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    year : int
        Accounting year.

    Returns
    -------
    pandas.DataFrame
        Indexed by measure (:data:`KEY_MEASURES`: ``price_dkk`` in DKK per full-year person, ``rate_per_1000``
        in full-year persons per 1,000 residents aged 18-64, ``spending_per_resident_dkk`` in DKK per resident
        aged 18-64), with columns ``own``; ``peer_average`` (weighted: peer totals divided by peer totals, as in
        :func:`decompose`); ``peer_mean`` (unweighted: the mean of the peers' own values, each peer counting
        once, so that a large peer does not dominate); ``peer_median``, ``peer_min``, ``peer_max`` (of the
        peers' own values, unweighted); ``n_peers`` (peers with a value); ``national`` (weighted over every
        municipality with activity rows);
        ``rank`` (the own municipality's place among itself and the peers, 1 = lowest value, ties share the
        lower place) and ``n_ranked`` (how many were ranked).

    Raises
    ------
    ValueError
        If the own municipality has no activity rows for the area and year, or as :func:`unit_measures`.
    """
    municipalities = per_resident_basis(municipalities, function_code)
    peer_codes = [int(c) for c in dict.fromkeys(peer_codes)]
    if int(own_code) in peer_codes:
        raise ValueError(f"the peer list contains the own municipality {own_code}: it cannot be its own peer")
    rows = _select_activity(activity, function_code, year, None, None)
    per = unit_measures(rows, municipalities).set_index("municipality_code")
    if int(own_code) not in per.index:
        selection = _describe_selection(function_code, year, None, None)
        raise ValueError(f"own municipality {own_code} has no activity rows for {selection}")
    own = per.loc[int(own_code)]
    peers = per.loc[[c for c in peer_codes if c in per.index]]
    result = {}
    for measure in KEY_MEASURES:
        values = peers[measure].dropna()
        ranked = pd.concat([pd.Series([own[measure]], index=[int(own_code)]), values]).dropna()
        own_rank = ranked.rank(method="min").get(int(own_code), math.nan)
        result[measure] = {
            "own": own[measure],
            "peer_average": _weighted(peers, measure),
            "peer_mean": values.mean() if len(values) else math.nan,
            "peer_median": values.median() if len(values) else math.nan,
            "peer_min": values.min() if len(values) else math.nan,
            "peer_max": values.max() if len(values) else math.nan,
            "n_peers": len(values),
            "national": _weighted(per, measure),
            "rank": own_rank,
            "n_ranked": len(ranked),
        }
    out = pd.DataFrame.from_dict(result, orient="index")
    out.index.name = "measure"
    out["n_peers"] = out["n_peers"].astype(int)
    out["n_ranked"] = out["n_ranked"].astype(int)
    return out


def _weighted(per: pd.DataFrame, measure: str) -> float:
    """A measure over several municipalities, as totals divided by totals (NaN when the divisor is 0)."""
    spending = float(per["spending_dkk"].sum())
    persons = float(per["full_year_persons"].sum())
    population = float(per["residents"].sum())
    numerator, denominator, scale = {
        "price_dkk": (spending, persons, 1),
        "rate_per_1000": (persons, population, 1000),
        "spending_per_resident_dkk": (spending, population, 1),
    }[measure]
    return numerator / denominator * scale if denominator > 0 else math.nan


# ----------------------------------------------------------------------------------------------------
# Benchmark over years and potentials
# ----------------------------------------------------------------------------------------------------


class BenchmarkInputs(NamedTuple):
    """The inputs of :func:`decompose` for one municipality, function area and year.

    Attributes
    ----------
    own : pandas.Series
        ``municipality_code``, ``spending_dkk``, ``full_year_persons``, ``residents``.
    peers : pandas.DataFrame
        The same columns, one row per peer with data, ordered by code.
    peers_without_data : tuple of int
        Peer codes left out because they have no activity rows for the selection.
    """

    own: pd.Series
    peers: pd.DataFrame
    peers_without_data: tuple[int, ...]


def benchmark_inputs(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    function_code: str,
    year: int,
    paragraph: str | None = None,
    provider: str | None = None,
) -> BenchmarkInputs:
    """Total one function area and year per municipality, ready for :func:`decompose` and :func:`potentials`.

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables.
    own_code : int
        The own municipality.
    peer_codes : iterable of int
        The peers (e.g. ``nearest_peers(...)["municipality_code"]``); must not contain ``own_code``.
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    year : int
        Accounting year.
    paragraph, provider : str, optional
        Restrict to one paragraph (e.g. ``'§108'``) and/or one provider type (``'internal'``/``'external'``).

    Returns
    -------
    BenchmarkInputs
        Own totals, peer totals and the peers left out for lack of data. Spending in DKK, persons in full-year
        persons, population aged 18-64.

    Raises
    ------
    ValueError
        If the peer list is empty or contains the own code, the own municipality has no activity rows for the
        selection, or a population is missing.
    """
    ((_, inputs),) = _inputs_by_year(
        activity, municipalities, own_code, peer_codes, function_code, [year], paragraph, provider
    )
    return inputs


def benchmark(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    function_code: str,
    years: Iterable[int],
    paragraph: str | None = None,
    provider: str | None = None,
) -> pd.DataFrame:
    """Decompose one municipality's gap to its peers into price and quantity effects, one row per year.

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables.
    own_code : int
        The own municipality.
    peer_codes : iterable of int
        The peer municipalities (the same list every year).
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    years : iterable of int
        The years, in the order wanted in the result.
    paragraph, provider : str, optional
        Restrict to one paragraph and/or one provider type.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``municipality_code``, ``function_code``, then the fields of :func:`decompose` (DKK, DKK per
        full-year person, full-year persons per 1,000 residents aged 18-64; ``n_peers`` as an integer), then
        ``peers_without_data`` (tuple of peer codes with no activity rows that year, left out of the peer
        averages).

    Raises
    ------
    ValueError
        As :func:`benchmark_inputs` and :func:`decompose`, e.g. when no peer has data in a year.
    """
    result, _ = _benchmark(
        activity, municipalities, own_code, peer_codes, function_code, years, paragraph, provider
    )
    return result


def _benchmark(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    function_code: str,
    years: Iterable[int],
    paragraph: str | None = None,
    provider: str | None = None,
) -> tuple[pd.DataFrame, dict[int, BenchmarkInputs]]:
    """:func:`benchmark`, and the :func:`benchmark_inputs` of each year it used (for the caller to reuse)."""
    municipalities = per_resident_basis(municipalities, function_code)
    rows, used = [], {}
    for year, inputs in _inputs_by_year(
        activity, municipalities, own_code, peer_codes, function_code, years, paragraph, provider
    ):
        if inputs.peers.empty:
            selection = _describe_selection(function_code, year, paragraph, provider)
            raise ValueError(f"the peer group is empty: no peer has activity rows for {selection}")
        row = {"year": year, "municipality_code": int(own_code), "function_code": function_code}
        row.update(decompose(inputs.own, inputs.peers).to_dict())
        row["peers_without_data"] = inputs.peers_without_data
        rows.append(row)
        used[year] = inputs
    if not rows:
        raise ValueError("no years given")
    result = pd.DataFrame(rows)
    result["n_peers"] = result["n_peers"].astype(int)
    return result, used


def _inputs_by_year(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    function_code: str,
    years: Iterable[int],
    paragraph: str | None = None,
    provider: str | None = None,
) -> Iterator[tuple[int, BenchmarkInputs]]:
    """``(year, benchmark_inputs(..., year, ...))`` for each of ``years`` in order, from one pass over ``activity``.

    The same inputs, and the same errors in the same order, as calling :func:`benchmark_inputs` (this with one
    year) year by year, which would select, total and join the population of the whole frame again for every
    year: the rows of all the years are selected, totalled per municipality and year (each total adds the same rows
    in the same order) and given their population once, then split by year. Lazy, so that a caller's check of one
    year comes before the next year's errors, as in a loop over :func:`benchmark_inputs`.
    """
    years = list(years)
    if not years:
        return
    municipalities = per_resident_basis(municipalities, function_code)
    peer_codes = list(dict.fromkeys(int(c) for c in peer_codes))
    if not peer_codes:
        raise ValueError("the list of peer codes is empty")
    if int(own_code) in peer_codes:
        raise ValueError(f"the peer list contains the own municipality {own_code}: it cannot be its own peer")
    rows = _select_activity(activity, function_code, years, paragraph, provider)
    rows = rows[rows["municipality_code"].isin([int(own_code), *peer_codes])]
    columns = ["spending_dkk", "full_year_persons"]
    totals = rows.groupby(["municipality_code", "year"], as_index=False)[columns].sum()
    # the population is required year by year, below
    merged = _add_population(totals, municipalities, function_code, require=False)
    for year in years:
        part = merged[merged["year"] == year]
        _require_population(part, function_code)
        part = part.drop(columns="year").set_index("municipality_code")
        selection = _describe_selection(function_code, year, paragraph, provider)
        if int(own_code) not in part.index:
            raise ValueError(f"own municipality {own_code} has no activity rows for {selection}")
        with_data = [c for c in peer_codes if c in part.index]
        without_data = tuple(c for c in peer_codes if c not in part.index)
        own = part.loc[int(own_code)].copy()
        own["municipality_code"] = int(own_code)
        peers = part.loc[sorted(with_data)].reset_index()
        yield year, BenchmarkInputs(own=own, peers=peers, peers_without_data=without_data)


def potentials(
    own: Mapping | pd.Series,
    peers: pd.DataFrame,
    max_distance: float = PLAUSIBLE_MAX_DISTANCE,
    max_share: float = PLAUSIBLE_MAX_SHARE,
    materiality: float = MATERIALITY,
) -> pd.DataFrame:
    """Potential savings at three yardsticks for price, quantity and total spending, side by side.

    Every row is :func:`decompose` of the own municipality against a *yardstick group* of peers:

    - ``peer_average``: all peers (the decomposition's gap and effects themselves);
    - ``cheaper_half``: the half of the peers (rounded up) lowest in the measure of the row;
    - ``lowest``: the single peer lowest in the measure of the row.

    The measure decides both the ordering of the peers and which effect is reported:

    - ``price``: peers ordered by price (DKK per full-year person); effect = price effect;
    - ``quantity``: ordered by rate (full-year persons per 1,000 residents aged 18-64); effect = quantity
      effect, valued at the yardstick group's price;
    - ``spending``: ordered by spending per resident aged 18-64; effect = the whole gap.

    Ties in the ordering go to the lower municipality code. Only peers with full-year persons and population
    above zero (so that price and rate are defined) are eligible for ``cheaper_half`` and ``lowest``.

    **Plausibility**: a potential is only as good as its yardstick. Each row carries the yardstick's structural
    distance (the mean of its municipalities' distances to the own one, standard deviations, from the peers'
    ``distance`` column) and the share of the own spending the potential implies. A row is flagged as not
    plausible when the yardstick is further than ``max_distance`` away (it is not alike enough to be a target) or
    when the potential exceeds ``max_share`` of the own spending (no realistic saving removes that much).

    **Materiality**: the rule of :func:`effects` holds for every yardstick. When the own value differs from the
    yardstick's by less than ``materiality`` (relative, either way) the row is on level and its potential is 0,
    whatever the sign of its effect; so the potential at the peers' average is the one :func:`effects` gives.

    Parameters
    ----------
    own : mapping or pandas.Series
        As for :func:`decompose`.
    peers : pandas.DataFrame
        As for :func:`decompose`, plus ``municipality_code`` to name the yardstick groups and optionally
        ``distance`` (standard deviations, e.g. from :func:`select_peers`); without it the distance is NaN and
        only the share can flag a row.
    max_distance : float, default :data:`PLAUSIBLE_MAX_DISTANCE` (1.5)
        Largest structural distance of a plausible yardstick, standard deviations.
    max_share : float, default :data:`PLAUSIBLE_MAX_SHARE` (0.40)
        Largest plausible potential as a fraction of the own spending.
    materiality : float, default :data:`MATERIALITY` (0.02)
        Smallest relative difference between the own value and the yardstick's counted as a difference.

    Returns
    -------
    pandas.DataFrame
        Nine rows (yardstick x measure) with ``yardstick``, ``measure``, ``yardstick_codes`` (tuple of codes),
        ``n_municipalities``, ``unit`` (of the two values), ``own_value``, ``yardstick_value`` (weighted over
        the yardstick group), ``effect_dkk`` (positive = own spends more), ``is_material`` (the own value
        differs from the yardstick's by at least ``materiality``), ``potential_dkk`` = ``max(effect_dkk, 0)``
        when material and 0 otherwise, a possible saving in DKK, ``distance`` (the yardstick's mean structural
        distance, standard deviations), ``share_of_spending`` (``potential_dkk`` / own spending, 0-1; NaN
        without own spending), ``too_far`` (distance > ``max_distance``), ``too_large`` (share >
        ``max_share``) and ``is_plausible`` (neither).

        The potentials are alternatives, not parts: price and quantity potentials overlap with the spending
        potential and the yardsticks with each other. Never add rows into one total.

    Raises
    ------
    ValueError
        As :func:`decompose`, or if ``municipality_code`` is missing.
    """
    peers = _with_residents(peers)
    _require_columns(peers, ("municipality_code", *UNIT_COLUMNS), "peers")
    if not (max_distance > 0 and 0 < max_share <= 1):
        raise ValueError(
            f"max_distance must be positive and max_share in (0, 1]; got {max_distance} and {max_share}"
        )
    if not materiality >= 0:
        raise ValueError(f"materiality must be a non-negative fraction, got {materiality}")
    measures = _peer_measures(peers)
    own_spending = _own_values(own)[0]
    rows = []
    for yardstick in YARDSTICKS:
        for measure, (value_column, effect_column, own_key, peer_key, unit) in _MEASURES.items():
            group = _yardstick_group(measures, value_column, yardstick)
            result = decompose(own, group)
            own_value = float(_own_measure(result, own_key))
            yardstick_value = float(_peer_measure(result, peer_key))
            difference = own_value / yardstick_value - 1 if yardstick_value > 0 else math.nan
            material = bool(abs(difference) >= materiality) if not math.isnan(difference) else False
            potential = max(result[effect_column], 0.0) if material else 0.0
            distance = float(group["distance"].mean()) if "distance" in group.columns else math.nan
            share = potential / own_spending if own_spending > 0 else math.nan
            rows.append(
                {
                    "yardstick": yardstick,
                    "measure": measure,
                    "yardstick_codes": tuple(int(c) for c in group["municipality_code"]),
                    "n_municipalities": len(group),
                    "unit": unit,
                    "own_value": own_value,
                    "yardstick_value": yardstick_value,
                    "effect_dkk": result[effect_column],
                    "is_material": material,
                    "potential_dkk": potential,
                    "distance": distance,
                    "share_of_spending": share,
                    "too_far": bool(distance > max_distance),
                    "too_large": bool(share > max_share),
                }
            )
    out = pd.DataFrame(rows)
    out["is_plausible"] = ~(out["too_far"] | out["too_large"])
    return out


_MEASURES = {
    # measure: (column ordering the peers, effect reported, own value, yardstick value, unit of the values)
    "price": ("price_dkk", "price_effect_dkk", "own_price", "peer_price", "DKK per full-year person"),
    "quantity": (
        "rate_per_1000",
        "quantity_effect_dkk",
        "own_rate",
        "peer_rate",
        "full-year persons per 1,000 residents aged 18-64",
    ),
    "spending": (
        "spending_per_resident_dkk",
        "gap_dkk",
        "own_spending_per_resident",
        "peer_spending_per_resident",
        "DKK per resident aged 18-64",
    ),
}


def _peer_measures(peers: pd.DataFrame) -> pd.DataFrame:
    """Add price, rate and spending per resident to the peers (NaN where undefined)."""
    measures = peers.copy()
    measures["price_dkk"] = _ratio(peers["spending_dkk"], peers["full_year_persons"])
    measures["rate_per_1000"] = _ratio(peers["full_year_persons"], peers["residents"]) * 1000
    measures["spending_per_resident_dkk"] = _ratio(peers["spending_dkk"], peers["residents"])
    return measures


def _yardstick_group(measures: pd.DataFrame, value_column: str, yardstick: str) -> pd.DataFrame:
    """Select the yardstick group: all, the lower half (rounded up) or the lowest in ``value_column``."""
    if yardstick == "peer_average":
        return measures
    eligible = measures[(measures["full_year_persons"] > 0) & (measures["residents"] > 0)]
    eligible = eligible.sort_values([value_column, "municipality_code"])
    size = math.ceil(len(eligible) / 2) if yardstick == "cheaper_half" else 1
    return eligible.head(size)


def _own_measure(result: pd.Series, key: str) -> float:
    if key == "own_spending_per_resident":
        return result["own_spending_dkk"] / result["own_residents"]
    return result[key]


def _peer_measure(result: pd.Series, key: str) -> float:
    if key == "peer_spending_per_resident":
        return result["expected_spending_dkk"] / result["own_residents"]
    return result[key]


GAP_STEPS = ("expected", "price_effect", "quantity_effect", "own")
"""The steps of :func:`gap_steps`, in order."""


def gap_steps(result: pd.Series) -> pd.DataFrame:
    """The bars of a waterfall from the spending at the peers' level to the own spending.

    Parameters
    ----------
    result : pandas.Series
        The result of :func:`decompose` (one year).

    Returns
    -------
    pandas.DataFrame
        Four rows, :data:`GAP_STEPS`: ``expected`` (the spending at peer price and peer rate, a total from 0),
        ``price_effect``, ``quantity_effect`` (each from where the previous bar ended) and ``own`` (the own
        spending, a total from 0), with ``step``, ``value``, ``start`` and ``end`` (DKK) and ``is_total``.
        The quantity effect ends at the own spending: the effects add up to the gap.
    """
    expected = float(result["expected_spending_dkk"])
    price = float(result["price_effect_dkk"])
    quantity = float(result["quantity_effect_dkk"])
    own = float(result["own_spending_dkk"])
    return pd.DataFrame(
        {
            "step": list(GAP_STEPS),
            "value": [expected, price, quantity, own],
            "start": [0.0, expected, expected + price, 0.0],
            "end": [expected, expected + price, expected + price + quantity, own],
            "is_total": [True, False, False, True],
        }
    )


EFFECT_MEASURES = ("spending", "price", "quantity")
"""The rows of :func:`effects`, in order."""


def effects(result: pd.Series, materiality: float = MATERIALITY) -> pd.DataFrame:
    """The three differences of a decomposition with one rule for each: material or on level, potential or none.

    The same rule holds for spending, price and quantity alike (so that a headline treats price and quantity
    symmetrically): a difference is *material* when the own value differs from the peers' by at least
    ``materiality`` (relative, either way); a material difference above the peers gives a potential equal to its
    effect, anything else none.

    Parameters
    ----------
    result : pandas.Series
        The result of :func:`decompose`.
    materiality : float, default :data:`MATERIALITY` (0.02)
        Smallest relative difference counted as a difference (0.02 = 2 %).

    Returns
    -------
    pandas.DataFrame
        Indexed by measure (:data:`EFFECT_MEASURES`): ``own`` and ``peer`` (spending per resident aged 18-64 in
        DKK; price in DKK per full-year person; rate in full-year persons per 1,000 residents aged 18-64),
        ``difference`` (own / peer - 1; NaN where undefined), ``effect_dkk`` (the gap, the price effect and the
        quantity effect, DKK), ``is_material`` (bool), ``direction`` ('above', 'below' or 'level') and
        ``potential_dkk`` (DKK, >= 0).

    Raises
    ------
    ValueError
        If ``materiality`` is negative.
    """
    if not materiality >= 0:
        raise ValueError(f"materiality must be a non-negative fraction, got {materiality}")
    population = float(result["own_residents"])
    rows = {
        "spending": (
            result["own_spending_dkk"] / population,
            result["expected_spending_dkk"] / population,
            result["gap_dkk"],
        ),
        "price": (result["own_price"], result["peer_price"], result["price_effect_dkk"]),
        "quantity": (result["own_rate"], result["peer_rate"], result["quantity_effect_dkk"]),
    }
    out = []
    for measure, (own_value, peer_value, effect) in rows.items():
        own_value, peer_value, effect = float(own_value), float(peer_value), float(effect)
        difference = own_value / peer_value - 1 if peer_value > 0 else math.nan
        material = bool(abs(difference) >= materiality) if not math.isnan(difference) else False
        direction = "level" if not material else ("above" if difference > 0 else "below")
        out.append(
            {
                "measure": measure,
                "own": own_value,
                "peer": peer_value,
                "difference": difference,
                "effect_dkk": effect,
                "is_material": material,
                "direction": direction,
                "potential_dkk": max(effect, 0.0) if direction == "above" else 0.0,
            }
        )
    return pd.DataFrame(out).set_index("measure")


# ----------------------------------------------------------------------------------------------------
# Providers
# ----------------------------------------------------------------------------------------------------


def provider_prices(
    activity: pd.DataFrame,
    function_code: str,
    year: int,
    paragraph: str | None = None,
    high_threshold: float = HIGH_PRICE_THRESHOLD,
) -> pd.DataFrame:
    """Compare each municipality's average external price with the distribution across municipalities.

    The price is the municipality's external spending / its external full-year persons (DKK per full-year
    person) for the function area, year and paragraph. The distribution is taken per paragraph across the
    municipalities with external persons (each municipality counts once, unweighted); municipalities without
    external persons are left out. The warehouse does not identify the single provider, so this is the
    municipality's average external price, a pointer to where rates deserve a look.

    **Screen**: a price is flagged as a candidate for rate negotiation (``is_flagged``) when it is more than
    ``high_threshold`` above the median (``is_high``) or above the upper fence ``Q3 + 1.5 x IQR`` (Tukey's
    outlier rule, ``is_outlier``; quartiles by linear interpolation, pandas' default). Prices spread widely
    across a hundred municipalities, so the fence alone sits about 40-45 % above the median and lets clear
    cases pass; the fixed margin is the screen's working rule, the fence a second opinion. With few
    municipalities the quartiles are shaky; ``n_municipalities`` shows how many there are.

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table.
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    year : int
        Accounting year.
    paragraph : str, optional
        One paragraph (e.g. ``'§108'``); by default every paragraph, each against its own distribution.
    high_threshold : float, default :data:`HIGH_PRICE_THRESHOLD` (0.25)
        Margin above the median (a fraction: 0.25 = 25 % above) beyond which a price is flagged.

    Returns
    -------
    pandas.DataFrame
        One row per paragraph x municipality, ordered by paragraph and code: ``paragraph``,
        ``municipality_code``, ``full_year_persons``, ``spending_dkk``, ``price_dkk``, ``n_municipalities``,
        ``median_price_dkk``, ``q1_price_dkk``, ``q3_price_dkk``, ``upper_fence_dkk``, ``high_limit_dkk``
        (median x (1 + ``high_threshold``)), ``price_to_median`` (ratio), ``is_outlier`` (above the fence),
        ``is_high`` (above the high limit) and ``is_flagged`` (either).

    Raises
    ------
    ValueError
        If columns are missing, ``high_threshold`` is not positive, or no municipality has external persons for
        the selection.
    """
    if not high_threshold > 0:
        raise ValueError(
            f"high_threshold must be a positive fraction (0.25 = 25 % above), got {high_threshold}"
        )
    rows = _select_activity(activity, function_code, year, paragraph, "external")
    keys = ["paragraph", "municipality_code"]
    per = rows.groupby(keys, as_index=False)[["full_year_persons", "spending_dkk"]].sum()
    per = per[per["full_year_persons"] > 0].copy()
    if per.empty:
        selection = _describe_selection(function_code, year, paragraph, "external")
        raise ValueError(f"no municipality has external full-year persons for {selection}")
    per["price_dkk"] = per["spending_dkk"] / per["full_year_persons"]
    prices = per.groupby("paragraph")["price_dkk"]
    stats = pd.DataFrame(
        {
            "n_municipalities": prices.size(),
            "median_price_dkk": prices.median(),
            "q1_price_dkk": prices.quantile(0.25),
            "q3_price_dkk": prices.quantile(0.75),
        }
    ).reset_index()
    iqr = stats["q3_price_dkk"] - stats["q1_price_dkk"]
    stats["upper_fence_dkk"] = stats["q3_price_dkk"] + OUTLIER_IQR_FACTOR * iqr
    result = per.merge(stats, on="paragraph", how="left")
    result["price_to_median"] = _ratio(result["price_dkk"], result["median_price_dkk"])
    result["is_outlier"] = result["price_dkk"] > result["upper_fence_dkk"]
    result.insert(
        result.columns.get_loc("upper_fence_dkk") + 1,
        "high_limit_dkk",
        result["median_price_dkk"] * (1 + high_threshold),
    )
    result["is_high"] = result["price_dkk"] > result["high_limit_dkk"]
    result["is_flagged"] = result["is_outlier"] | result["is_high"]
    return result.sort_values(keys).reset_index(drop=True)


def occupancy(
    activity: pd.DataFrame,
    capacity: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    function_code: str,
    year: int,
) -> pd.DataFrame:
    """Occupancy of own places (belægning): internal full-year persons per place, own and peers (weighted).

    Parameters
    ----------
    activity : pandas.DataFrame
        The warehouse table ``activity`` (internal full-year persons are summed over paragraphs).
    capacity : pandas.DataFrame
        The warehouse table ``capacity``: places in the municipalities' own offers.
    own_code : int
        The own municipality.
    peer_codes : iterable of int
        The peers; those without places on the area in ``year`` are left out.
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    year : int
        Accounting year.

    Returns
    -------
    pandas.DataFrame
        Two rows, ``own`` and ``peers`` (index ``role``): places, internal_persons (full-year persons),
        occupancy (internal persons / places, a fraction; the peers' is total persons / total places) and
        free_places (places - internal persons, in full-year places). Empty when the own municipality has no
        places on the area in ``year`` (no own offer, or no capacity data).
    """
    cap = capacity[(capacity["function_code"] == function_code) & (capacity["year"] == int(year))]
    cap = cap.groupby("municipality_code")["places"].sum()
    act = activity[
        (activity["function_code"] == function_code)
        & (activity["year"] == int(year))
        & (activity["provider"] == "internal")
    ]
    persons = act.groupby("municipality_code")["full_year_persons"].sum()
    own_code = int(own_code)
    if cap.get(own_code, 0) <= 0:
        return pd.DataFrame(columns=["places", "internal_persons", "occupancy", "free_places"])
    peers = [int(c) for c in peer_codes if int(c) != own_code and cap.get(int(c), 0) > 0]
    rows = {}
    for role, codes in (("own", [own_code]), ("peers", peers)):
        places = float(cap.reindex(codes).sum())
        used = float(persons.reindex(codes).fillna(0).sum())
        rows[role] = {
            "places": places,
            "internal_persons": used,
            "occupancy": used / places if places > 0 else math.nan,
            "free_places": places - used,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "role"
    return out


def internal_vs_external(
    activity: pd.DataFrame, own_code: int, function_code: str, year: int
) -> pd.DataFrame:
    """Compare internal and external price for one municipality: the business case for own capacity.

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table.
    own_code : int
        The municipality.
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    year : int
        Accounting year.

    Returns
    -------
    pandas.DataFrame
        One row per paragraph (ordered) and a last row with ``paragraph = 'all'``: ``internal_persons``,
        ``internal_spending_dkk``, ``internal_price_dkk``, ``external_persons``, ``external_spending_dkk``,
        ``external_price_dkk`` (DKK per full-year person; NaN without persons), ``price_difference_dkk``
        (external - internal price; positive = external places cost more per full-year person),
        ``external_share`` (external full-year persons / all full-year persons, 0-1; NaN without persons) and
        ``external_premium_dkk`` (external persons x price difference: what the external places cost beyond
        the same number of full-year persons at the own internal price, DKK; NaN without both prices).

    Raises
    ------
    ValueError
        If columns are missing or the municipality has no activity rows for the function area and year.

    Notes
    -----
    Occupancy of the municipality's own places (belægning), the other half of this business case, is
    :func:`occupancy`.
    """
    rows = _select_activity(activity, function_code, year, None, None)
    rows = rows[rows["municipality_code"] == int(own_code)]
    if rows.empty:
        selection = _describe_selection(function_code, year, None, None)
        raise ValueError(f"municipality {own_code} has no activity rows for {selection}")
    result = [_provider_split(part).assign(paragraph=p) for p, part in rows.groupby("paragraph", sort=True)]
    result.append(_provider_split(rows).assign(paragraph="all"))
    result = pd.concat(result, ignore_index=True)
    return result[["paragraph", *[c for c in result.columns if c != "paragraph"]]]


def _provider_split(rows: pd.DataFrame) -> pd.DataFrame:
    """One row: persons, spending and price for internal and external providers, difference and share."""
    row = {}
    for provider in ("internal", "external"):
        part = rows[rows["provider"] == provider]
        persons = float(part["full_year_persons"].sum())
        spending = float(part["spending_dkk"].sum())
        row[f"{provider}_persons"] = persons
        row[f"{provider}_spending_dkk"] = spending
        row[f"{provider}_price_dkk"] = spending / persons if persons > 0 else math.nan
    row["price_difference_dkk"] = row["external_price_dkk"] - row["internal_price_dkk"]
    all_persons = row["internal_persons"] + row["external_persons"]
    row["external_share"] = row["external_persons"] / all_persons if all_persons > 0 else math.nan
    row["external_premium_dkk"] = row["external_persons"] * row["price_difference_dkk"]
    return pd.DataFrame([row])


PROVIDERS = ("internal", "external", "all")
"""Provider rows of :func:`provider_breakdown`: internal, external, and both together."""


def provider_breakdown(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    peer_codes: Iterable[int],
    function_code: str,
    year: int,
) -> pd.DataFrame:
    """Price and rate by paragraph and provider for the own municipality and (weighted) its peers.

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables.
    own_code : int
        The own municipality.
    peer_codes : iterable of int
        The peers; those without activity rows for the area and year are left out (as in
        :func:`benchmark_inputs`).
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    year : int
        Accounting year.

    Returns
    -------
    pandas.DataFrame
        Per paragraph (ordered) the rows ``internal``, ``external`` and ``all``; with more than one paragraph
        also ``paragraph = 'all'`` rows. Columns: ``paragraph``, ``provider``, ``own_persons`` (full-year
        persons), ``own_spending_dkk``, ``own_share`` (the provider's share of the paragraph's own full-year
        persons, 0-1), ``own_price_dkk`` and ``peer_price_dkk`` (DKK per full-year person; peers weighted:
        total spending / total persons), ``price_ratio`` (own / peer price, NaN where either is undefined),
        ``own_rate`` and ``peer_rate`` (full-year persons per 1,000 residents aged 18-64; the peers' population
        is that of every peer with activity in the area, whatever its providers), ``peer_share``.

    Raises
    ------
    ValueError
        If the own code is among the peers, the own municipality has no activity rows for the area and year, or
        a population is missing.
    """
    municipalities = per_resident_basis(municipalities, function_code)
    peer_codes = [int(c) for c in dict.fromkeys(peer_codes)]
    if int(own_code) in peer_codes:
        raise ValueError(f"the peer list contains the own municipality {own_code}: it cannot be its own peer")
    rows = _select_activity(activity, function_code, year, None, None)
    rows = rows[rows["municipality_code"].isin([int(own_code), *peer_codes])]
    if int(own_code) not in set(rows["municipality_code"]):
        selection = _describe_selection(function_code, year, None, None)
        raise ValueError(f"own municipality {own_code} has no activity rows for {selection}")
    present = rows[["municipality_code", "year"]].drop_duplicates()
    population = _add_population(present, municipalities, function_code).set_index("municipality_code")
    population = population["residents"]
    is_own = rows["municipality_code"] == int(own_code)
    own_population = float(population.loc[int(own_code)])
    peer_population = float(population.drop(int(own_code)).sum())
    paragraphs = sorted(rows["paragraph"].unique())
    if len(paragraphs) > 1:
        paragraphs.append("all")
    out = []
    for paragraph in paragraphs:
        part = rows if paragraph == "all" else rows[rows["paragraph"] == paragraph]
        own_part, peer_part = part[is_own.loc[part.index]], part[~is_own.loc[part.index]]
        own_all = float(own_part["full_year_persons"].sum())
        peer_all = float(peer_part["full_year_persons"].sum())
        for provider in PROVIDERS:
            own_sel = own_part if provider == "all" else own_part[own_part["provider"] == provider]
            peer_sel = peer_part if provider == "all" else peer_part[peer_part["provider"] == provider]
            own_persons, own_spending = _sums(own_sel)
            peer_persons, peer_spending = _sums(peer_sel)
            own_price = own_spending / own_persons if own_persons > 0 else math.nan
            peer_price = peer_spending / peer_persons if peer_persons > 0 else math.nan
            out.append(
                {
                    "paragraph": paragraph,
                    "provider": provider,
                    "own_persons": own_persons,
                    "own_spending_dkk": own_spending,
                    "own_share": own_persons / own_all if own_all > 0 else math.nan,
                    "own_price_dkk": own_price,
                    "peer_price_dkk": peer_price,
                    "price_ratio": own_price / peer_price if peer_price > 0 else math.nan,
                    "own_rate": own_persons / own_population * 1000 if own_population > 0 else math.nan,
                    "peer_rate": peer_persons / peer_population * 1000 if peer_population > 0 else math.nan,
                    "peer_share": peer_persons / peer_all if peer_all > 0 else math.nan,
                }
            )
    return pd.DataFrame(out)


def _sums(rows: pd.DataFrame) -> tuple[float, float]:
    """Total full-year persons and spending (DKK) of activity rows."""
    return float(rows["full_year_persons"].sum()), float(rows["spending_dkk"].sum())


# ----------------------------------------------------------------------------------------------------
# Everything a benchmark report shows
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PeerChoice:
    """How a report's peers are chosen: ``peer_method``, ``peer_codes``, ``k``, ``features`` and ``weights``.

    As for :func:`select_peers`, with :func:`benchmark_report`'s defaults; ``features`` is kept as a tuple.
    :func:`benchmark_report` and :func:`spending_report` take them one by one (and :func:`report_from_data` by
    name); this carries them to the code they share.
    """

    peer_method: str = "knn"
    peer_codes: Iterable[int] = ()
    k: int = 10
    features: Sequence[str] = DEFAULT_FEATURES
    weights: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))

    def select(self, structure: pd.DataFrame, own_code: int, year: int) -> pd.DataFrame:
        """:func:`select_peers` on ``structure``'s figures of ``year``, ``k`` cut to the municipalities with them.

        With ``'knn'`` and fewer other municipalities than ``k`` with every feature in ``year`` (a small
        warehouse), all of those are the peers (:func:`_available_k`).
        """
        k = _available_k(structure, own_code, year, self.peer_method, self.k, self.features)
        return select_peers(
            structure, own_code, year, self.peer_method, self.peer_codes, k, self.features, self.weights
        )

    def feature_weights(self) -> dict[str, float]:
        """The weight of each feature (1 unless given), as the reports state it."""
        return _feature_weights(self.features, self.weights)


@dataclass(frozen=True)
class BenchmarkReport:
    """What the benchmark report of one municipality and function area shows (see :func:`benchmark_report`).

    Attributes
    ----------
    municipality_code : int
        The own municipality.
    municipality : str
        Its name ('' when the table has no names).
    function_code : str
        The function area.
    year : int
        The year of the level comparison (the last year); peers are chosen on its structural figures.
    years : tuple of int
        The years of the development, ascending (the years in the period with own activity).
    method : str
        How the peers were chosen (one of :data:`PEER_METHODS`).
    features : tuple of str
        The structural features compared on.
    weights : dict
        The weight of each feature (1 unless given).
    peers : pandas.DataFrame
        :func:`select_peers`.
    latest : pandas.Series
        :func:`decompose` in ``year``.
    yearly : pandas.DataFrame
        :func:`benchmark` over ``years``, against the same peers every year.
    steps : pandas.DataFrame
        :func:`gap_steps` of ``latest``.
    potentials : pandas.DataFrame
        :func:`potentials` in ``year``.
    peer_table : pandas.DataFrame
        :func:`peer_table` in ``year``.
    key_figures : pandas.DataFrame
        :func:`key_figures` in ``year``.
    providers : pandas.DataFrame
        :func:`provider_breakdown` in ``year``.
    internal_external : pandas.DataFrame
        :func:`internal_vs_external` in ``year``.
    provider_prices : pandas.DataFrame or None
        :func:`provider_prices` in ``year`` (all municipalities) plus ``role`` ('own', 'peer' or 'other');
        None when no municipality has external full-year persons.
    peers_without_data : tuple of int
        Peers left out of the peer averages in at least one year for want of activity rows.
    effects : pandas.DataFrame
        :func:`effects` of ``latest``: spending, price and quantity each material or on level, with a potential.
    """

    municipality_code: int
    municipality: str
    function_code: str
    year: int
    years: tuple[int, ...]
    method: str
    features: tuple[str, ...]
    weights: dict[str, float]
    peers: pd.DataFrame
    latest: pd.Series
    yearly: pd.DataFrame
    steps: pd.DataFrame
    potentials: pd.DataFrame
    peer_table: pd.DataFrame
    key_figures: pd.DataFrame
    providers: pd.DataFrame
    internal_external: pd.DataFrame
    provider_prices: pd.DataFrame | None
    peers_without_data: tuple[int, ...] = field(default=())
    effects: pd.DataFrame | None = None


def benchmark_report(
    activity: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    function_code: str,
    first_year: int,
    last_year: int,
    peer_method: str = "knn",
    peer_codes: Iterable[int] = (),
    k: int = 10,
    features: Sequence[str] = DEFAULT_FEATURES,
    weights: Mapping[str, float] | None = None,
) -> BenchmarkReport:
    """Assemble everything the benchmark report shows for one municipality and function area.

    The peers are chosen once, on the structural figures of ``last_year``, and the same peers are used in
    every year (peers without data in a year are left out of that year's averages and listed).

    Parameters
    ----------
    activity, municipalities : pandas.DataFrame
        The warehouse tables for the period, all municipalities (for the peers, the national figures and the
        distribution of external prices); ``activity`` may hold other function areas too.
    own_code : int
        The own municipality.
    function_code : str
        Function area, e.g. ``'5.38.50'``.
    first_year, last_year : int
        The period (accounting years, inclusive); the levels are compared in ``last_year``.
    peer_method, peer_codes, k, features, weights
        How the peers are chosen, as for :func:`select_peers`.

    Returns
    -------
    BenchmarkReport

    Raises
    ------
    ValueError
        If ``first_year > last_year``, the own municipality has no activity rows for the area in ``last_year``,
        or as the functions called (e.g. an unknown peer method, no peer with data in a year).
    """
    basis = per_resident_basis(municipalities, function_code)
    _check_period(first_year, last_year)
    _require_columns(activity, ("municipality_code", "year", "function_code"), "activity")
    return _benchmark_report(
        _with_population_only(activity, basis),
        municipalities,
        basis,
        own_code,
        function_code,
        first_year,
        last_year,
        _PeerChoice(peer_method, peer_codes, k, features, weights),
    )


def _benchmark_report(
    activity: pd.DataFrame,
    structure: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    function_code: str,
    first_year: int,
    last_year: int,
    choice: _PeerChoice,
) -> BenchmarkReport:
    """:func:`benchmark_report` once its inputs are checked and ``activity`` holds only rows with a population.

    ``structure`` is the frame the peers are chosen on (the municipalities as loaded), ``municipalities`` the same
    on the area's per-resident basis (:func:`per_resident_basis`); ``choice`` how the peers are chosen.
    """
    features = choice.features
    check_features(function_code, features)
    own_rows = activity[
        (activity["municipality_code"] == int(own_code)) & (activity["function_code"] == function_code)
    ]
    years = tuple(sorted(y for y in set(own_rows["year"].astype(int)) if first_year <= y <= last_year))
    if last_year not in years:
        selection = _describe_selection(function_code, last_year, None, None)
        raise ValueError(f"own municipality {own_code} has no activity rows for {selection}")
    peers = choice.select(structure, own_code, last_year)
    codes = [int(c) for c in peers["municipality_code"]]
    # the yearly table's inputs of last_year are benchmark_inputs(..., last_year): computed once, used twice
    yearly, inputs_by_year = _benchmark(activity, municipalities, own_code, codes, function_code, years)
    inputs = inputs_by_year[last_year]
    latest = decompose(inputs.own, inputs.peers)
    with_distance = inputs.peers.merge(
        peers[["municipality_code", "distance"]], on="municipality_code", how="left"
    )
    prices = None
    external = activity[
        (activity["function_code"] == function_code)
        & (activity["year"] == last_year)
        & (activity["provider"] == "external")
        & (activity["full_year_persons"] > 0)
    ]
    if not external.empty:
        prices = provider_prices(activity, function_code, last_year)
        role = np.where(prices["municipality_code"] == int(own_code), "own", "other")
        prices["role"] = np.where(prices["municipality_code"].isin(codes), "peer", role)
    names = _year_table(municipalities, last_year, ("municipality_code",))
    own_name = ""
    if "municipality" in names.columns:
        own_name = str(names.loc[names["municipality_code"] == int(own_code), "municipality"].iloc[0])
    missing = tuple(sorted({c for t in yearly["peers_without_data"] for c in t}))
    return BenchmarkReport(
        municipality_code=int(own_code),
        municipality=own_name,
        function_code=function_code,
        year=last_year,
        years=years,
        method=choice.peer_method,
        features=features,
        weights=choice.feature_weights(),
        peers=peers,
        latest=latest,
        yearly=yearly,
        steps=gap_steps(latest),
        potentials=potentials(inputs.own, with_distance),
        peer_table=peer_table(activity, municipalities, own_code, peers, function_code, last_year, features),
        key_figures=key_figures(activity, municipalities, own_code, codes, function_code, last_year),
        providers=provider_breakdown(activity, municipalities, own_code, codes, function_code, last_year),
        internal_external=internal_vs_external(activity, own_code, function_code, last_year),
        provider_prices=prices,
        peers_without_data=missing,
        effects=effects(latest),
    )


def _check_period(first_year: int, last_year: int) -> None:
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")


def _with_population_only(frame: pd.DataFrame, municipalities: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` whose municipality and year have residents (``municipalities`` on a per-resident basis).

    Others cannot be compared per resident: FOLK1A may lack a year that REGK31 or HAND01 has.
    """
    if "residents" not in municipalities.columns:
        return frame.iloc[0:0]
    known = municipalities.dropna(subset=["residents"])[["municipality_code", "year"]].drop_duplicates()
    return frame.merge(
        known.astype({"municipality_code": int, "year": int}), on=["municipality_code", "year"]
    )


def _available_k(
    municipalities: pd.DataFrame, own_code: int, year: int, method: str, k: int, features: Sequence[str]
) -> int:
    """``k``, or fewer when fewer other municipalities have every feature in ``year`` (a small warehouse)."""
    if method != "knn":
        return k
    rows = municipalities[
        (municipalities["year"] == year) & (municipalities["municipality_code"] != own_code)
    ]
    present = [f for f in features if f in rows.columns]
    n = int(rows.dropna(subset=present)["municipality_code"].nunique())
    return max(1, min(int(k), n))


@dataclass(frozen=True)
class SpendingReport:
    """The benchmark without full-year persons: spending per resident of the area's group against the peers.

    The group is :func:`resident_group`'s: residents aged 18-64 for 5.38, aged 0-17 for 5.28 (the ``residents``
    columns hold the group's residents, see :func:`per_resident_basis`).

    Made from the accounts (Statistics Denmark's REGK31) and the population (FOLK1A) when the warehouse has no
    activity for the area (no HAND01, no case data): the price and quantity split cannot be made.

    Attributes
    ----------
    municipality_code, municipality, function_code, year, years, method, features, weights, peers
        As for :class:`BenchmarkReport`.
    k_requested : int
        The ``k`` asked for (``len(peers)`` may be smaller in a small warehouse).
    latest : pandas.Series
        own_spending_dkk, own_residents, own_per_resident_dkk (DKK per resident of the group),
        peer_spending_dkk, peer_residents, peer_per_resident_dkk (weighted: total spending / total
        residents), peer_per_resident_unweighted_dkk (mean of the peers' own), expected_spending_dkk (peer level x
        own residents), gap_dkk (own minus expected), difference (own / peer level - 1), direction ('above',
        'below' or 'level', :data:`MATERIALITY`), potential_dkk (max(gap, 0) unless on level).
    yearly : pandas.DataFrame
        Indexed by year: own_per_resident_dkk, peer_per_resident_dkk, gap_dkk.
    peer_table : pandas.DataFrame
        The own municipality and the peers in ``year``: municipality_code, municipality, role, the features,
        distance, spending_dkk, residents, spending_per_resident_dkk, has_data.
    peers_without_data : tuple of int
        Peers without accounts or population in a year of ``years``.
    """

    municipality_code: int
    municipality: str
    function_code: str
    year: int
    years: tuple[int, ...]
    method: str
    features: tuple[str, ...]
    weights: dict[str, float]
    peers: pd.DataFrame
    k_requested: int
    latest: pd.Series
    yearly: pd.DataFrame
    peer_table: pd.DataFrame
    peers_without_data: tuple[int, ...] = field(default=())


def spending_report(
    accounts: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    function_code: str,
    first_year: int,
    last_year: int,
    peer_method: str = "knn",
    peer_codes: Iterable[int] = (),
    k: int = 10,
    features: Sequence[str] = DEFAULT_FEATURES,
    weights: Mapping[str, float] | None = None,
) -> SpendingReport:
    """Spending per resident of the area's group against the peers, from accounts and population alone.

    The residents are those of :func:`resident_group` (:func:`per_resident_basis`): aged 18-64 for 5.38, aged 0-17
    for 5.28; the result's ``*_residents`` and ``*_per_resident_dkk`` columns hold that group's residents
    and DKK per resident of it. Peers are chosen as in :func:`benchmark_report` (once, on ``last_year``); with
    ``'knn'`` and fewer other municipalities than ``k`` with structural figures, all of them are the peers. Peer
    levels are weighted (total spending / total residents of the group x own residents) and, beside, unweighted.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The ``accounts`` table (municipality_code, year, function_code, spending_dkk in DKK), all municipalities.
    municipalities : pandas.DataFrame
        The ``municipalities`` table (population_18_64, for 5.28 population_0_17, and the features).
    own_code, function_code, first_year, last_year, peer_method, peer_codes, k, features, weights
        As for :func:`benchmark_report`.

    Returns
    -------
    SpendingReport

    Raises
    ------
    ValueError
        If the own municipality has no accounts with a population for the area in ``last_year``, or no peer has.

    Examples
    --------
    >>> acc = pd.DataFrame({"municipality_code": [1, 2, 3], "year": 2024, "function_code": "5.38.50",
    ...                     "spending_dkk": [300.0, 100.0, 300.0]})
    >>> mun = pd.DataFrame({"municipality_code": [1, 2, 3], "year": 2024, "population_18_64": [100, 100, 200],
    ...                     "population": [150, 160, 300]})
    >>> r = spending_report(acc, mun, 1, "5.38.50", 2024, 2024, "list", [2, 3], features=["population"])
    >>> r.latest[["own_per_resident_dkk", "peer_per_resident_dkk", "gap_dkk"]].tolist()
    [3.0, 1.3333333333333333, 166.66666666666669]
    """
    structure = municipalities  # peers are chosen on the structural figures as loaded
    municipalities = per_resident_basis(municipalities, function_code)
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    choice = _PeerChoice(peer_method, peer_codes, k, features, weights)
    features = choice.features
    check_features(function_code, features)
    _require_columns(accounts, ("municipality_code", "year", "function_code", "spending_dkk"), "accounts")
    rows = accounts[
        (accounts["function_code"] == function_code) & accounts["year"].between(first_year, last_year)
    ]
    rows = rows.dropna(subset=["spending_dkk"]).astype({"municipality_code": int, "year": int})
    rows = _add_population(_with_population_only(rows, municipalities), municipalities, function_code)
    totals = rows.groupby(["municipality_code", "year"])[["spending_dkk", "residents"]].agg(
        spending_dkk=("spending_dkk", "sum"), residents=("residents", "first")
    )
    own = (
        totals.xs(int(own_code), level="municipality_code")
        if int(own_code) in totals.index.levels[0]
        else None
    )
    if own is None or last_year not in own.index:
        raise ValueError(
            f"own municipality {own_code} has no accounts with a population for function {function_code}, "
            f"year {last_year}"
        )
    years = tuple(int(y) for y in sorted(own.index))
    peers = choice.select(structure, own_code, last_year)
    codes = [int(c) for c in peers["municipality_code"]]
    yearly, missing = [], set()
    for year in years:
        peer_rows = totals[
            totals.index.get_level_values("municipality_code").isin(codes)
            & (totals.index.get_level_values("year") == year)
        ]
        missing |= set(codes) - set(peer_rows.index.get_level_values("municipality_code"))
        if peer_rows.empty:
            continue
        level = peer_rows["spending_dkk"].sum() / peer_rows["residents"].sum()
        o = own.loc[year]
        yearly.append(
            {
                "year": year,
                "own_per_resident_dkk": o["spending_dkk"] / o["residents"],
                "peer_per_resident_dkk": level,
                "gap_dkk": o["spending_dkk"] - level * o["residents"],
            }
        )
    yearly = pd.DataFrame(yearly).set_index("year") if yearly else pd.DataFrame()
    if last_year not in yearly.index:
        raise ValueError(
            f"no peer has accounts with a population for function {function_code}, year {last_year}"
        )
    last = totals.xs(last_year, level="year")
    peer_last = last[last.index.isin(codes)]
    o = own.loc[last_year]
    level = yearly.loc[last_year, "peer_per_resident_dkk"]
    gap = yearly.loc[last_year, "gap_dkk"]
    difference = (o["spending_dkk"] / o["residents"]) / level - 1 if level else float("nan")
    direction = "level" if abs(difference) < MATERIALITY else ("above" if difference > 0 else "below")
    latest = pd.Series(
        {
            "own_spending_dkk": float(o["spending_dkk"]),
            "own_residents": float(o["residents"]),
            "own_per_resident_dkk": float(o["spending_dkk"] / o["residents"]),
            "peer_spending_dkk": float(peer_last["spending_dkk"].sum()),
            "peer_residents": float(peer_last["residents"].sum()),
            "peer_per_resident_dkk": float(level),
            "peer_per_resident_unweighted_dkk": float(
                (peer_last["spending_dkk"] / peer_last["residents"]).mean()
            ),
            "expected_spending_dkk": float(level * o["residents"]),
            "gap_dkk": float(gap),
            "difference": float(difference),
            "direction": direction,
            "potential_dkk": float(max(gap, 0.0)) if direction == "above" else 0.0,
        }
    )
    year_rows = _year_table(municipalities, last_year, ("municipality_code",))
    table = year_rows[year_rows["municipality_code"].isin([int(own_code), *codes])].copy()
    table["role"] = np.where(table["municipality_code"] == int(own_code), "own", "peer")
    table = table.merge(peers[["municipality_code", "distance"]], on="municipality_code", how="left")
    table = table.merge(
        last["spending_dkk"].rename("spending_dkk").reset_index(), on="municipality_code", how="left"
    )
    table["spending_per_resident_dkk"] = _ratio(table["spending_dkk"], table["residents"])
    table["has_data"] = table["spending_dkk"].notna()
    table["_own_first"] = table["role"] != "own"
    table = table.sort_values(["_own_first", "distance", "municipality_code"]).drop(columns="_own_first")
    columns = [
        "municipality_code",
        "municipality",
        "role",
        *features,
        "distance",
        "spending_dkk",
        "residents",
        "spending_per_resident_dkk",
        "has_data",
    ]
    table = table[[c for c in dict.fromkeys(columns) if c in table.columns]].reset_index(drop=True)
    own_name = (
        str(table.loc[table["role"] == "own", "municipality"].iloc[0]) if "municipality" in table else ""
    )
    return SpendingReport(
        municipality_code=int(own_code),
        municipality=own_name,
        function_code=function_code,
        year=int(last_year),
        years=years,
        method=choice.peer_method,
        features=features,
        weights=choice.feature_weights(),
        peers=peers,
        k_requested=int(choice.k),
        latest=latest,
        yearly=yearly,
        peer_table=table,
        peers_without_data=tuple(sorted(missing)),
    )


def report_from_data(
    activity: pd.DataFrame,
    accounts: pd.DataFrame,
    municipalities: pd.DataFrame,
    own_code: int,
    function_code: str,
    first_year: int,
    last_year: int,
    **peer_options,
) -> BenchmarkReport | SpendingReport:
    """The fullest benchmark the data allow: with full-year persons, or spending per resident alone.

    :func:`benchmark_report` when the own municipality has activity (full-year persons) with a population for the
    area in ``last_year``, else :func:`spending_report` from the accounts (Statistics Denmark's REGK31 and FOLK1A
    alone).

    Parameters
    ----------
    activity, accounts, municipalities : pandas.DataFrame
        The warehouse tables for the period, all municipalities (either of activity and accounts may be empty).
    own_code, function_code, first_year, last_year
        As for :func:`benchmark_report`.
    **peer_options
        ``peer_method``, ``peer_codes``, ``k``, ``features``, ``weights`` as for :func:`benchmark_report`.

    Raises
    ------
    ValueError
        As :func:`spending_report` when there is neither activity nor accounts for the own municipality.
    """
    municipalities = per_resident_basis(municipalities, function_code)
    usable = _with_population_only(activity, municipalities)
    own = usable[
        (usable["municipality_code"] == int(own_code))
        & (usable["function_code"] == function_code)
        & (usable["year"] == int(last_year))
    ]
    if len(own) and own["full_year_persons"].notna().any():
        # benchmark_report(activity, municipalities, ...), without selecting the rows with a population again: its
        # per-resident basis of `municipalities` is `municipalities` itself (applied twice, the same frame)
        _check_period(first_year, last_year)
        return _benchmark_report(
            usable,
            municipalities,
            municipalities,
            own_code,
            function_code,
            first_year,
            last_year,
            _PeerChoice(**peer_options),
        )
    return spending_report(
        accounts, municipalities, own_code, function_code, first_year, last_year, **peer_options
    )


# ----------------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------------


def _select_activity(
    activity: pd.DataFrame,
    function_code: str,
    year: int | list[int],
    paragraph: str | None,
    provider: str | None,
) -> pd.DataFrame:
    """Select the activity rows of one function area and year (or list of years), optionally paragraph and provider."""
    needed = ("municipality_code", "year", "function_code", "paragraph", "provider")
    _require_columns(activity, (*needed, "full_year_persons", "spending_dkk"), "activity")
    years = activity["year"].isin(year) if isinstance(year, list) else activity["year"] == year
    keep = (activity["function_code"] == function_code) & years
    if paragraph is not None:
        keep &= activity["paragraph"] == paragraph
    if provider is not None:
        keep &= activity["provider"] == provider
    rows = activity[keep].copy()
    rows["municipality_code"] = rows["municipality_code"].astype(int)
    return rows


def _describe_selection(function_code: str, year: int, paragraph: str | None, provider: str | None) -> str:
    parts = [f"function {function_code}", f"year {year}"]
    if paragraph is not None:
        parts.append(f"paragraph {paragraph}")
    if provider is not None:
        parts.append(f"provider {provider}")
    return ", ".join(parts)


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ValueError naming the columns ``frame`` lacks."""
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")
