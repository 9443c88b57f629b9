"""Choosing the forecast method per series from its back-test, and the year-end forecast with an interval.

Selection
---------
For each series, every method with forecasts for at least half as many (year, origin month) pairs as the best
covered method is eligible; the eligible methods are compared on the pairs where all of them have a forecast
(so a method is not favoured for skipping the hard first year). The error is the APE of the year-end total
(per cent), or with ``weighting='dkk'`` the absolute error in DKK (materiality).

The rule (``rule='test'``, the report's): the forecast is the **combination** unless the single method with the
lowest mean error beat it significantly. Per back-tested year, ``d_y`` is the combination's mean error over the
origin months minus that method's; the method replaces the combination only when the mean of ``d_y`` exceeds
``t(n - 1, 0.05) * sd(d) / sqrt(n)`` (a one-sided Diebold-Mariano-type test over the ``n`` years at 5 %
significance, :func:`paired_test`; with fewer than 3 years the combination is kept). Where the combination
has no track record yet (it needs three methods with earlier years) the lowest mean error decides. The
years, not the origin months, are the unit, because the eleven forecasts of one year share its surprises.
The rule before (``rule='lowest'``: the lowest mean error, however small the margin) lost to always using the
combination out of sample on the sample ledger; ``bench/bench_selection.py`` measures both (docs/forecast.md).

The reason is Danish: "Sidste års forbrugsmønster ramte inden for 2,1 % i juni i 5 af 6 år" (the 80 % point of
the method's APEs at the reason month over the back-tested years, and how many years were within it) and the
rule's outcome (:func:`rule_text_da`), e.g. "Kombinationen bruges, fordi ingen enkelt metode har ramt
signifikant bedre i de 6 tidligere år (forskel 0,3 procentpoint, usikkerhed ±0,9)".

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

import functools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.danish import MONTHS_DA, fmt_dkk, fmt_number, fmt_pct
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
    "SIGNIFICANCE",
    "conformal_width",
    "forecast_paths",
    "forecast_year",
    "forecast_year_paths",
    "interval",
    "intervals",
    "paired_test",
    "reason_da",
    "rule_text_da",
    "select_methods",
    "t_critical",
    "year_context",
]


#: One-sided significance of the test that lets a single method replace the combination (see the module docstring).
SIGNIFICANCE = 0.05


def _dkk_da(value: float) -> str:
    """An amount in Danish notation: ``'1,2 mio. kr.'`` from a million up, else ``'45.300 kr.'``."""
    return fmt_dkk(value, unit="mio" if abs(value) >= 1e6 else "kr")


@functools.lru_cache(maxsize=256)
def t_critical(df: int, alpha: float = SIGNIFICANCE) -> float:
    """The one-sided critical value ``t`` of Student's t distribution: ``P(T > t) = alpha`` with ``df`` degrees.

    Computed by integrating the density (Simpson's rule) and bisection, so that no statistics library is needed.

    Parameters
    ----------
    df : int
        Degrees of freedom (at least 1).
    alpha : float
        One-sided tail probability (0 < alpha < 0.5).

    Returns
    -------
    float

    Examples
    --------
    >>> round(t_critical(4, 0.05), 3), round(t_critical(5, 0.05), 3), round(t_critical(1, 0.05), 3)
    (2.132, 2.015, 6.314)
    """
    if df < 1 or not 0 < alpha < 0.5:
        raise ValueError(f"need df >= 1 and 0 < alpha < 0.5, got df={df}, alpha={alpha}")
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def tail(x: float) -> float:  # P(0 < T < x), Simpson's rule on 2,000 intervals
        t = np.linspace(0.0, x, 2001)
        f = c * (1 + t * t / df) ** (-(df + 1) / 2)
        return float((x / 6000) * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()))

    lo, hi = 0.0, 1.0
    while 0.5 - tail(hi) > alpha:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 0.5 - tail(mid) > alpha else (lo, mid)
    return (lo + hi) / 2


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
    return f"{label} ramte inden for {fmt_pct(threshold / 100)} i {MONTHS_DA[month - 1]} i {within} af {n} år"


def paired_test(
    differences: Sequence[float] | np.ndarray, alpha: float = SIGNIFICANCE
) -> tuple[float, float, bool]:
    """A Diebold-Mariano-type test that a method beats another: the mean of paired yearly differences.

    Parameters
    ----------
    differences : sequence of float
        One value per back-tested year: the other method's mean error minus this method's (positive where
        this method hit better), over the origin months of the year. A year is the unit, not an origin month,
        because the eleven forecasts of one year share the year's surprises.
    alpha : float
        One-sided significance.

    Returns
    -------
    tuple of (float, float, bool)
        The mean difference; the uncertainty ``t(n - 1, alpha) * sd / sqrt(n)`` (the margin the mean must
        exceed; NaN with fewer than 3 years); and whether the mean exceeds it (False with fewer than 3 years).

    Examples
    --------
    >>> mean, unc, better = paired_test([1.0, 2.0, 3.0, 2.0])  # mean 2, sd 0.8165, t(3) 2.353: 2.353 * 0.408
    >>> round(mean, 3), round(unc, 3), better
    (2.0, 0.961, True)
    """
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    if n < 3:
        return mean, float("nan"), False
    unc = t_critical(n - 1, alpha) * float(d.std(ddof=1)) / math.sqrt(n)
    return mean, unc, bool(mean > unc)


def rule_text_da(row: pd.Series | dict, weighting: str = "ape") -> str:
    """The Danish sentence that states the selection rule's outcome for one series (see :func:`select_methods`).

    Parameters
    ----------
    row : pandas.Series or dict
        A row of :func:`select_methods`: ``rule``, ``label_da``, ``best_single_label_da``, ``difference``,
        ``uncertainty``, ``n_compared_years``.
    weighting : {'ape', 'dkk'}
        The unit of ``difference`` and ``uncertainty``: percentage points of APE, or DKK.

    Returns
    -------
    str
        E.g. ``'Kombinationen bruges, fordi ingen enkelt metode har ramt signifikant bedre i de 6 tidligere år
        (forskel 0,3 procentpoint, usikkerhed ±0,9)'``.
    """
    n = int(row["n_compared_years"])
    years = "det 1 tidligere år" if n == 1 else f"de {n} tidligere år"

    def amount(x: float) -> str:
        return f"{fmt_number(x, 1)} procentpoint" if weighting == "ape" else _dkk_da(x)

    def unc(x: float) -> str:
        return "±" + (fmt_number(x, 1) if weighting == "ape" else _dkk_da(x))

    rule = row["rule"]
    if rule == "single":
        return (
            f"{row['label_da']} bruges frem for kombinationen, fordi den har ramt signifikant bedre i {years} "
            f"(i gennemsnit {amount(row['difference'])} tættere på, usikkerhed {unc(row['uncertainty'])})"
        )
    if rule == "combination":
        d = row["difference"]
        if not np.isfinite(row["uncertainty"]):
            return (
                f"Kombinationen bruges, fordi der er for få tidligere år ({n}) til at vise, at en enkelt metode "
                "rammer bedre"
            )
        if d <= 0:
            best = f"den bedste enkelte metode, {row['best_single_label_da']}"
            if amount(-d) == amount(0.0):  # the margin rounds to nothing: not '0,0 procentpoint længere fra'
                return (
                    f"Kombinationen bruges; den har ramt mindst lige så godt som hver enkelt metode i {years} "
                    f"({best}, ramte i gennemsnit lige så tæt på)"
                )
            return (
                f"Kombinationen bruges; den har ramt mindst lige så godt som hver enkelt metode i {years} "
                f"({best}, lå i gennemsnit {amount(-d)} længere fra)"
            )
        return (
            f"Kombinationen bruges, fordi ingen enkelt metode har ramt signifikant bedre i {years} (forskel "
            f"{amount(d)}, usikkerhed {unc(row['uncertainty'])})"
        )
    if rule == "lowest":
        return f"{row['label_da']} har den laveste gennemsnitlige afvigelse i {years}"
    return (
        f"{row['label_da']} bruges, fordi kombinationen endnu ikke kan afprøves (den kræver tre metoder med "
        "tidligere år)"
    )


def select_methods(
    result: BacktestResult,
    weighting: str = "ape",
    reason_month: int = 6,
    methods: Sequence[str] | None = None,
    rule: str = "test",
    alpha: float = SIGNIFICANCE,
) -> pd.DataFrame:
    """Choose the method of every series: the combination, unless one method is significantly better.

    Parameters
    ----------
    result : BacktestResult
        The back-test (see :func:`~analysis.forecast.backtest.backtest`).
    weighting : {'ape', 'dkk'}
        ``'ape'``: absolute percentage error of the year-end total; ``'dkk'``: absolute error in DKK.
    reason_month : int
        Origin month (1-11) the reason sentence refers to.
    methods : sequence of str, optional
        Restrict the choice to these methods.
    rule : {'test', 'lowest'}
        ``'test'`` (the report's): the single method with the lowest mean error replaces the combination only
        when :func:`paired_test` of their yearly mean differences is significant at ``alpha``; ``'lowest'``:
        the method with the lowest mean error, whatever the margin (the rule before, kept for the bench).
    alpha : float
        One-sided significance of the test (0.05).

    Returns
    -------
    pandas.DataFrame
        One row per series: key columns, ``method``, ``label_da``, ``error`` (mean, per cent or DKK),
        ``runner_up``, ``runner_up_label_da``, ``runner_up_error``, ``n_years`` (years at the reason month),
        ``best_single``, ``best_single_label_da`` (the single method with the lowest mean error),
        ``difference`` (the combination's mean error minus the best single method's, mean of the yearly
        differences: positive where the single method hit better; percentage points or DKK),
        ``uncertainty`` (the margin of :func:`paired_test`), ``n_compared_years``, ``rule`` (``'single'``,
        ``'combination'``, ``'no_combination'`` or ``'lowest'``), ``rule_text`` (:func:`rule_text_da`) and
        ``reason`` (Danish: :func:`reason_da` of the chosen method and ``rule_text``).
    """
    if weighting not in ("ape", "dkk"):
        raise ValueError(f"weighting must be 'ape' or 'dkk', got {weighting!r}")
    if rule not in ("test", "lowest"):
        raise ValueError(f"rule must be 'test' or 'lowest', got {rule!r}")
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
    yearly = wide[row_ok].groupby(level=[*keys, "year"]).mean()
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
                best_single=None,
                best_single_label_da=None,
                difference=np.nan,
                uncertainty=np.nan,
                n_compared_years=0,
                rule="none",
                rule_text="",
                reason="Ingen metode kunne afprøves på tidligere år",
            )
            out.append(rec)
            continue
        ranked = [r.index[i] for i in np.argsort(r.to_numpy(), kind="stable")]
        singles = [m for m in ranked if m != COMBINATION]
        single = singles[0] if singles else None
        diff, unc, n_cmp, better = np.nan, np.nan, 0, False
        has_comb = COMBINATION in r.index
        if single is not None and has_comb:
            try:
                y = yearly.xs(key, level=keys) if not fallback.loc[key] else None
            except KeyError:
                y = None
            if y is not None:
                d = (y[COMBINATION] - y[single]).dropna()
                n_cmp = len(d)
                diff, unc, better = paired_test(d.to_numpy(), alpha)
        elif single is not None:
            n_cmp = int(len(yearly.xs(key, level=keys))) if not fallback.loc[key] else 0
        if rule == "lowest":
            best, how = ranked[0], "lowest"
        elif not has_comb:
            best, how = ranked[0], "no_combination"
        elif better:
            best, how = single, "single"
        else:
            best, how = COMBINATION, "combination"
        second = (
            (COMBINATION if best != COMBINATION else single)
            if how in ("single", "combination")
            else (ranked[1] if len(ranked) > 1 else None)
        )
        try:
            apes = ape_at.xs(key, level=keys)[best].to_numpy() if best in ape_at.columns else []
        except KeyError:
            apes = []
        rec.update(
            method=best,
            label_da=labels.get(best, best),
            error=float(r[best]),
            runner_up=second,
            runner_up_label_da=labels.get(second, second) if second else None,
            runner_up_error=float(r[second]) if second else np.nan,
            n_years=int(np.isfinite(np.asarray(apes, dtype=float)).sum()),
            best_single=single,
            best_single_label_da=labels.get(single, single) if single else None,
            difference=float(diff),
            uncertainty=float(unc),
            n_compared_years=int(n_cmp),
            rule=how,
        )
        rec["rule_text"] = rule_text_da(rec, weighting)
        rec["reason"] = reason_da(labels.get(best, best), apes, reason_month) + ". " + rec["rule_text"]
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
    return forecast_year_paths(
        ledger,
        year,
        month,
        result,
        selection,
        methods,
        budgets,
        cases,
        key_columns,
        coverage,
        combination_k,
        lookback_months,
    )[0]


def forecast_year_paths(
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
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    """:func:`forecast_year` and :func:`forecast_paths` of the same origin, the methods run once for both.

    Parameters are :func:`forecast_year`'s. Returns its table, the series' keys and the paths ``(S, 12)`` per
    method (with ``result``, the ``combination`` too), as :func:`forecast_paths` returns them with ``result``
    and ``methods``; a method's path is the same with or without the other methods beside it.
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
    bounds = {} if result is None else intervals(result, totals, month, keys_idx, key_columns, coverage)
    rows = []
    for name, tot in totals.items():
        lower, upper = bounds.get(name, (np.full(s, np.nan), np.full(s, np.nan)))
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
    return out, keys, paths


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
    return intervals(result, {method: forecast}, month, keys, key_columns, coverage)[method]


def intervals(
    result: BacktestResult,
    forecasts: dict[str, np.ndarray],
    month: int,
    keys: pd.MultiIndex,
    key_columns: Sequence[str] = KEY_COLUMNS,
    coverage: float = 0.8,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`interval` of several methods at once: one grouping of the back-test for them all.

    Parameters
    ----------
    forecasts : dict of str to numpy.ndarray
        Per method, the year-end forecasts (DKK) ``(S,)`` of the series ``keys``.

    The other parameters are :func:`interval`'s. Returns per method its lower and upper bounds (DKK), each
    ``(S,)``: the same as :func:`interval` of the method alone (each series' and method's errors are the same
    numbers, grouped once instead of once per method).
    """
    key_columns = list(key_columns)
    f = result.frame
    f = f[f["method"].isin(list(forecasts)) & (f["month"] == month)].dropna(subset=["forecast_dkk"])
    rel = (f["actual_dkk"] - f["forecast_dkk"]) / f["forecast_dkk"].abs().where(f["forecast_dkk"] != 0)
    g = rel.groupby([*(f[c] for c in key_columns), f["method"].rename("_method")], observed=True)
    q = pd.DataFrame({"w": g.agg(conformal_width, coverage=coverage), "n": g.count()})
    out = {}
    for method, forecast in forecasts.items():
        if (q.index.get_level_values("_method") == method).any():
            qm = q.xs(method, level="_method").reindex(keys)
            w, n = qm["w"].to_numpy(dtype=float), qm["n"].to_numpy(dtype=float)
        else:
            w = n = np.full(len(keys), np.nan)
        ok = n >= 3
        half = w * np.abs(forecast)
        out[method] = (np.where(ok, forecast - half, np.nan), np.where(ok, forecast + half, np.nan))
    return out
