"""Complexity score and target group: who is served by most sectors at most cost (Furesø's model)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.crosssector.costs import _ordinal, _ordinals
from analysis.privacy import open_top


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
    """Persons by complexity-score interval, the top intervals merged so that the top ones are not small.

    The top intervals are merged into one open interval ('20+') while it, or the interval just below it, holds
    1 to ``min_group - 1`` persons (:func:`analysis.privacy.open_top`): the open top interval holds at least
    ``min_group`` persons and the one below it is not small either (unless everything merges into one).

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`complexity` (score, cost_dkk, indexed by person_id).
    min_group : int, default 5
        Smallest group shown (persons).
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
    first, last = int(k.min()), int(k.max())
    per_interval = np.bincount(k - first, minlength=last - first + 1)
    top = first + open_top(per_interval.tolist(), min_group)
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
