"""Choosing the forecast method per series from its back-test, and the year-end forecast with an interval.

Selection
---------
For each series, every method with forecasts for at least half as many (year, origin month) pairs as the best
covered method is eligible; the eligible methods are compared on the pairs where all of them have a forecast
(so a method is not favoured for skipping the hard first year). The error is the mean APE of the year-end
total (per cent), or with ``weighting='dkk'`` the mean absolute error in DKK (materiality: a year with more
spending counts more). The lowest error wins; ties go to the method listed first (the simpler one). The reason
is a Danish sentence such as "Sidste års forbrugsmønster ramte inden for 2,1 % i juni i 5 af 6 år": the 80 %
point of the method's APEs at the reason month over the back-tested years, and how many years were within it.

Interval
--------
The 80 % interval of a year-end forecast made at origin month ``m`` comes from the same method's back-test at
the same month, by split conformal prediction: of the ``n`` back-tested years' absolute relative errors
``|actual - forecast| / |forecast|``, the ``k``-th smallest with ``k = ceil((n + 1) 0.8)`` (at most ``n``) is the
half-width ``w``, and the interval is ``forecast +- w |forecast|``. If the years' errors are exchangeable, a new
year falls inside with probability at least ``k / (n + 1)`` (83 % with 5 years, 80 % with 4, 75 % with 3).
With fewer than 3 back-tested years the interval is left missing. (The 10 % and 90 % quantiles of the signed
errors, used before, covered only 53-65 % of the next year's totals on the sample ledger: with 3-6 years the
quantiles lie inside the range of the errors seen; see ``docs/forecast.md``.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.danish import MONTHS_DA
from analysis.forecast.backtest import (
    COMBINATION,
    COMBINATION_LABEL_DA,
    KEY_COLUMNS,
    BacktestResult,
    ledger_panel,
)
from analysis.forecast.disposition import commitment_paths
from analysis.forecast.methods import DomainMethod, YearContext, default_methods

__all__ = [
    "MONTHS_DA",
    "conformal_width",
    "format_pct_da",
    "forecast_paths",
    "forecast_year",
    "interval",
    "reason_da",
    "select_methods",
    "year_context",
]


def format_pct_da(value: float, decimals: int = 1) -> str:
    """A percentage in Danish notation, e.g. ``2.05 -> '2,1 %'``."""
    return f"{value:.{decimals}f}".replace(".", ",") + " %"


def _format_dkk_da(value: float) -> str:
    """An amount in Danish notation: ``'1,2 mio. kr.'`` from a million up, else ``'45.300 kr.'``."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}".replace(".", ",") + " mio. kr."
    return f"{value:,.0f}".replace(",", ".") + " kr."


def reason_da(label: str, apes: Sequence[float], month: int) -> str:
    """The plain-language reason for a method from its back-tested APEs at one origin month.

    Parameters
    ----------
    label : str
        The method's Danish label.
    apes : sequence of float
        APE (per cent) of the year-end forecast made at ``month`` in each back-tested year.
    month : int
        The origin month (1-11).

    Returns
    -------
    str
        E.g. ``'Sidste års forbrugsmønster ramte inden for 2,1 % i juni i 5 af 6 år'``.
    """
    a = np.sort(np.asarray([x for x in apes if np.isfinite(x)], dtype=float))
    n = len(a)
    if n == 0:
        return f"{label}: ingen tidligere år at afprøve i {MONTHS_DA[month - 1]}"
    k = max(1, math.ceil(0.8 * n))
    threshold = a[k - 1]
    within = int(np.sum(a <= threshold))
    return f"{label} ramte inden for {format_pct_da(threshold)} i {MONTHS_DA[month - 1]} i {within} af {n} år"


def select_methods(
    result: BacktestResult,
    weighting: str = "ape",
    reason_month: int = 6,
    methods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Choose the method with the lowest back-tested error for every series.

    Parameters
    ----------
    result : BacktestResult
        The back-test (see :func:`~analysis.forecast.backtest.backtest`).
    weighting : {'ape', 'dkk'}
        ``'ape'``: mean absolute percentage error of the year-end total; ``'dkk'``: mean absolute error in
        DKK.
    reason_month : int
        Origin month (1-11) the reason sentence refers to.
    methods : sequence of str, optional
        Restrict the choice to these methods.

    Returns
    -------
    pandas.DataFrame
        One row per series: key columns, ``method``, ``label_da``, ``error`` (per cent or DKK),
        ``runner_up``, ``runner_up_label_da``, ``runner_up_error``, ``n_years`` and ``reason`` (Danish).
    """
    if weighting not in ("ape", "dkk"):
        raise ValueError(f"weighting must be 'ape' or 'dkk', got {weighting!r}")
    if not 1 <= reason_month <= 11:
        raise ValueError(f"reason_month must be 1-11, got {reason_month}")
    keys = list(result.keys.columns)
    frame = result.frame
    if methods is not None:
        frame = frame[frame["method"].isin(list(methods))]
    frame = frame.assign(err=frame["ape_pct"] if weighting == "ape" else frame["error_dkk"].abs())
    order = [m for m in result.methods if m in set(frame["method"])]
    wide = frame.pivot_table(index=[*keys, "year", "month"], columns="method", values="err", sort=True)
    wide = wide.reindex(columns=order)
    have = wide.notna()
    coverage = have.groupby(level=keys).sum()
    eligible = coverage.ge(0.5 * coverage.max(axis=1), axis=0) & coverage.gt(0)
    elig_rows = eligible.reindex(wide.index.droplevel(["year", "month"])).to_numpy()
    row_ok = (have.to_numpy() | ~elig_rows).all(axis=1)
    means = wide[row_ok].groupby(level=keys).mean()
    means = means.reindex(eligible.index).where(eligible)
    # series without a common row: fall back to each method's own mean
    own = wide.groupby(level=keys).mean().where(eligible)
    fallback = ~means.notna().any(axis=1)
    means.loc[fallback] = own.loc[fallback]
    labels = result.labels
    ape_at = frame[frame["month"] == reason_month].pivot_table(
        index=[*keys, "year"], columns="method", values="ape_pct", sort=True
    )
    out = []
    for key, row in means.iterrows():
        r = row.dropna()
        key = key if isinstance(key, tuple) else (key,)
        rec = dict(zip(keys, key, strict=True))
        if r.empty:
            rec.update(
                method=None,
                label_da=None,
                error=np.nan,
                runner_up=None,
                runner_up_label_da=None,
                runner_up_error=np.nan,
                n_years=0,
                reason="Ingen metode kunne afprøves på tidligere år",
            )
            out.append(rec)
            continue
        vals = r.to_numpy()
        ranked = [r.index[i] for i in np.argsort(vals, kind="stable")]
        best = ranked[0]
        second = ranked[1] if len(ranked) > 1 else None
        try:
            apes = ape_at.xs(key, level=keys)[best].to_numpy() if best in ape_at.columns else []
        except KeyError:
            apes = []
        text = reason_da(labels.get(best, best), apes, reason_month)
        if second is not None:
            fmt = format_pct_da if weighting == "ape" else _format_dkk_da
            text += (
                f". Næstbedst: {labels.get(second, second)} (gennemsnitlig afvigelse {fmt(r[second])}"
                f" mod {fmt(r[best])})"
            )
        rec.update(
            method=best,
            label_da=labels.get(best, best),
            error=float(r[best]),
            runner_up=second,
            runner_up_label_da=labels.get(second, second) if second else None,
            runner_up_error=float(r[second]) if second else np.nan,
            n_years=int(np.isfinite(np.asarray(apes, dtype=float)).sum()),
            reason=text,
        )
        out.append(rec)
    return pd.DataFrame(out)


def year_context(
    ledger: pd.DataFrame,
    year: int,
    month: int,
    budgets: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    key_columns: Sequence[str] = KEY_COLUMNS,
    lookback_months: int = 12,
) -> tuple[pd.DataFrame, YearContext]:
    """What is known at the end of ``month`` of ``year``, for every series of the ledger.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table; months after ``month`` of ``year`` (and later years) are ignored if present.
    year : int
        The year to forecast.
    month : int
        Origin month (1-11): January..month are booked.
    budgets, cases : pandas.DataFrame, optional
        For the budget-based and the disposition methods (the budget of ``year``; the cases as of the origin).
    key_columns : sequence of str
        Columns identifying a series.
    lookback_months : int
        Window (months) of the disposition method's start and exit rates.

    Returns
    -------
    tuple of (pandas.DataFrame, YearContext)
        The series' keys (one row per series, in the context's row order) and the context.
    """
    if not 1 <= month <= 11:
        raise ValueError(f"month must be 1-11, got {month}")
    key_columns = list(key_columns)
    led = ledger[(ledger["year"] < year) | ((ledger["year"] == year) & (ledger["month"] <= month))]
    panel = ledger_panel(led, key_columns)
    if year not in panel.years:
        raise ValueError(f"the ledger has no booking in {year}")
    yi = int(year - panel.years[0])
    values = panel.values
    s = values.shape[0]
    history = values[:, :yi, :] if yi > 0 else np.full((s, 1, 12), np.nan)
    budget = np.full(s, np.nan)
    if budgets is not None:
        b = budgets[budgets["year"] == year].groupby(key_columns, observed=True)["budget_dkk"].sum()
        budget = b.reindex(pd.MultiIndex.from_frame(panel.keys)).to_numpy(dtype=float)
    commit = None
    if cases is not None:
        commit = commitment_paths(cases, panel.keys, [year], key_columns, lookback_months, ledger=led)[
            :, 0, month - 1, month:
        ]
    ctx = YearContext(ytd=values[:, yi, :month], history=history, budget=budget, commitments=commit)
    return panel.keys, ctx


def forecast_paths(
    ledger: pd.DataFrame,
    year: int,
    month: int,
    result: BacktestResult | None = None,
    methods: Sequence[DomainMethod] | None = None,
    budgets: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    key_columns: Sequence[str] = KEY_COLUMNS,
    combination_k: int = 3,
    lookback_months: int = 12,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Monthly paths of ``year`` as of the end of ``month`` by every method: booked months, then the forecast.

    Parameters
    ----------
    ledger, year, month, budgets, cases, key_columns, lookback_months
        As in :func:`year_context`.
    result : BacktestResult, optional
        The back-test of earlier years; with it, the ``combination`` path is added: the mean of the paths of the
        ``combination_k`` methods with the lowest mean APE of the series (all methods must have a forecast).
    methods : sequence of DomainMethod, optional
        Methods to run; default :func:`~analysis.forecast.methods.default_methods`.
    combination_k : int
        Methods in the combination.

    Returns
    -------
    tuple of (pandas.DataFrame, dict of str to numpy.ndarray)
        The series' keys and, per method, an array ``(S, 12)`` in DKK: the booked months ``1..month`` (NaN
        where a month is missing) followed by the forecast of months ``month+1..12``.
    """
    methods = list(default_methods()) if methods is None else list(methods)
    keys, ctx = year_context(ledger, year, month, budgets, cases, key_columns, lookback_months)
    return keys, _paths(keys, ctx, methods, result, list(key_columns), combination_k)


def _paths(keys, ctx, methods, result, key_columns, combination_k) -> dict[str, np.ndarray]:
    """Booked months and each method's forecast, ``(S, 12)`` per method; the combination with ``result``."""
    month = ctx.m
    paths = {m.name: np.concatenate([ctx.ytd, m.remaining(ctx)], axis=1) for m in methods}
    if result is not None:
        names = list(paths)
        f = result.frame[result.frame["method"].isin(names)]
        mean_err = f.groupby([*key_columns, "method"], observed=True)["ape_pct"].mean().unstack("method")
        mean_err = mean_err.reindex(index=pd.MultiIndex.from_frame(keys), columns=names)
        ranks = mean_err.rank(axis=1, method="first").to_numpy()
        stack = np.stack([paths[n] for n in names], axis=1)  # (S, M, 12)
        pick = (ranks <= combination_k) & np.isfinite(stack.sum(axis=2))
        enough = pick.sum(axis=1) >= min(combination_k, len(names))
        comb = np.where(pick[:, :, None], stack, 0.0).sum(axis=1) / np.maximum(pick.sum(axis=1), 1)[:, None]
        comb[:, :month] = ctx.ytd
        paths[COMBINATION] = np.where(enough[:, None], comb, np.nan)
    return paths


def forecast_year(
    ledger: pd.DataFrame,
    year: int,
    month: int,
    result: BacktestResult | None = None,
    selection: pd.DataFrame | None = None,
    methods: Sequence[DomainMethod] | None = None,
    budgets: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    key_columns: Sequence[str] = KEY_COLUMNS,
    coverage: float = 0.8,
    combination_k: int = 3,
    lookback_months: int = 12,
) -> pd.DataFrame:
    """Year-end forecasts for ``year`` as of the end of ``month``, by every method, with intervals.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table (months after ``month`` of ``year`` are ignored if present).
    year : int
        The year to forecast.
    month : int
        Origin month (1-11): January..month are booked.
    result : BacktestResult, optional
        The back-test of earlier years; gives the intervals and the ``combination`` (mean of the
        ``combination_k`` methods with the lowest mean APE).
    selection : pandas.DataFrame, optional
        Output of :func:`select_methods`; marks the chosen method per series (``selected``).
    methods : sequence of DomainMethod, optional
        Methods to run; default :func:`~analysis.forecast.methods.default_methods`.
    budgets, cases : pandas.DataFrame, optional
        For the budget-based and the disposition methods.
    key_columns : sequence of str
        Columns identifying a series.
    coverage : float
        Nominal interval coverage (0.8), see :func:`interval`.
    combination_k : int
        Methods in the combination.
    lookback_months : int
        Window (months) of the disposition method's start and exit rates.

    Returns
    -------
    pandas.DataFrame
        One row per series and method: key columns, ``method``, ``label_da``, ``ytd_dkk``, ``forecast_dkk``,
        ``lower_dkk``, ``upper_dkk`` (DKK), ``budget_dkk`` and ``selected`` (bool).
    """
    key_columns = list(key_columns)
    methods = list(default_methods()) if methods is None else list(methods)
    keys, ctx = year_context(ledger, year, month, budgets, cases, key_columns, lookback_months)
    paths = _paths(keys, ctx, methods, result, key_columns, combination_k)
    s = ctx.n_rows
    budget = ctx.budget
    ytd = np.nansum(ctx.ytd, axis=1)
    ytd = np.where(np.isfinite(ctx.ytd).all(axis=1), ytd, np.nan)
    totals = {name: ytd + p[:, month:].sum(axis=1) for name, p in paths.items()}
    labels = {m.name: m.label_da for m in methods}
    labels[COMBINATION] = COMBINATION_LABEL_DA
    keys_idx = pd.MultiIndex.from_frame(keys)
    rows = []
    for name, tot in totals.items():
        lower = np.full(s, np.nan)
        upper = np.full(s, np.nan)
        if result is not None:
            lower, upper = interval(result, name, month, tot, keys_idx, key_columns, coverage)
        part = keys.copy()
        part["method"] = name
        part["label_da"] = labels[name]
        part["ytd_dkk"] = ytd
        part["forecast_dkk"] = tot
        part["lower_dkk"] = lower
        part["upper_dkk"] = upper
        part["budget_dkk"] = budget
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["selected"] = False
    if selection is not None:
        chosen = selection.set_index(key_columns)["method"]
        sel = chosen.reindex(pd.MultiIndex.from_frame(out[key_columns])).to_numpy()
        out["selected"] = out["method"].to_numpy() == sel
    return out


def conformal_width(errors: Sequence[float] | np.ndarray, coverage: float = 0.8) -> float:
    """Half-width of a split-conformal interval: the ``k``-th smallest absolute error, ``k = ceil((n + 1) c)``.

    Parameters
    ----------
    errors : sequence of float
        The calibration errors (any unit; here relative errors of back-tested year-end totals); NaN ignored.
    coverage : float
        The nominal coverage ``c`` (0.8). ``k`` is capped at ``n``, so with few errors the width is the largest.

    Returns
    -------
    float
        In the unit of ``errors``; NaN without errors.

    Examples
    --------
    >>> conformal_width([0.01, -0.04, 0.02, 0.03, -0.01])  # n = 5: k = ceil(4.8) = 5, the largest
    0.04
    >>> conformal_width([0.01, -0.04, 0.02, 0.03, -0.01, 0.0, 0.05, 0.02, -0.02])  # n = 9: k = 8
    0.04
    """
    a = np.asarray(errors, dtype=float)
    a = np.sort(np.abs(a[np.isfinite(a)]))
    if len(a) == 0:
        return float("nan")
    k = min(math.ceil((len(a) + 1) * coverage - 1e-9), len(a))
    return float(a[k - 1])


def interval(
    result: BacktestResult,
    method: str,
    month: int,
    forecast: np.ndarray,
    keys: pd.MultiIndex,
    key_columns: Sequence[str] = KEY_COLUMNS,
    coverage: float = 0.8,
) -> tuple[np.ndarray, np.ndarray]:
    """The interval of year-end forecasts made at ``month``, from the method's back-tested relative errors.

    Parameters
    ----------
    result : BacktestResult
        The back-test of earlier years.
    method : str
        The method's name.
    month : int
        Origin month (1-11).
    forecast : numpy.ndarray
        Shape ``(S,)``: the year-end forecasts (DKK) of the series ``keys``.
    keys : pandas.MultiIndex
        The series, in the order of ``forecast``.
    key_columns : sequence of str
        Columns identifying a series.
    coverage : float
        Nominal coverage (0.8): the half-width is :func:`conformal_width` of the back-tested years' relative
        errors ``(actual - forecast) / |forecast|``, times ``|forecast|``; missing with fewer than 3 years.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds (DKK), shape ``(S,)``.
    """
    key_columns = list(key_columns)
    f = result.frame
    f = f[(f["method"] == method) & (f["month"] == month)].dropna(subset=["forecast_dkk"])
    rel = (f["actual_dkk"] - f["forecast_dkk"]) / f["forecast_dkk"].abs().where(f["forecast_dkk"] != 0)
    g = rel.groupby([f[c] for c in key_columns], observed=True)
    q = pd.DataFrame({"w": g.agg(conformal_width, coverage=coverage), "n": g.count()}).reindex(keys)
    ok = (q["n"] >= 3).to_numpy()
    half = q["w"].to_numpy(dtype=float) * np.abs(forecast)
    return np.where(ok, forecast - half, np.nan), np.where(ok, forecast + half, np.nan)
