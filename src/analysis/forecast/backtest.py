"""Back-testing of year-end forecast methods on past years, vectorised across series, years and origins.

For every series (municipality x function), every back-tested year and every origin month ``m`` = 1..11,
each method forecasts the rest of that year from what was known at the end of month ``m`` (the booked months
of the year, the previous years, the year's budget, the cases as of that month). The errors are

- ``ape_pct``: absolute percentage error of the year-end total (per cent),
- ``error_dkk``: forecast minus actual year-end total (DKK; its absolute value is the materiality-weighted
  error),
- ``smape_pct``: sMAPE of the remaining months (per cent, 0-200),
- ``mase``: MASE of the remaining months, scaled by the in-sample mean absolute 12-month difference of all
  months known at the origin.

Domain methods give monthly paths directly (run-rate flat, profiles by their profile, budget flat, seasonal
naive as last year), so every method has all three measures.

``combination`` is derived: for a series in year ``Y`` it is the mean of the monthly paths of the ``k``
methods (default 3) with the lowest mean APE in the back-tests of the years before ``Y`` (so it uses no
information from year ``Y`` or later); it is missing until at least ``k`` methods have such a track record.

Each forecast sees only a :class:`~analysis.forecast.methods.YearContext` built from data up to its origin, so
changing data after an origin changes no forecast made at that origin (a test checks this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.forecast import metrics
from analysis.forecast.disposition import commitment_paths
from analysis.forecast.methods import DomainMethod, YearContext, default_methods

__all__ = ["KEY_COLUMNS", "BacktestResult", "LedgerPanel", "backtest", "ledger_panel"]

KEY_COLUMNS = ("municipality_code", "function_code")
COMBINATION = "combination"
COMBINATION_LABEL_DA = "Kombination af de bedste metoder"


@dataclass(frozen=True)
class LedgerPanel:
    """The ledger as an array: series x years x months.

    Attributes
    ----------
    keys : pandas.DataFrame
        One row per series with the key columns, in array order.
    years : numpy.ndarray
        Shape ``(Y,)``: consecutive calendar years.
    values : numpy.ndarray
        Shape ``(S, Y, 12)``: spending (DKK) per month; NaN where the ledger has no row.
    """

    keys: pd.DataFrame
    years: np.ndarray
    values: np.ndarray


def ledger_panel(ledger: pd.DataFrame, key_columns: Sequence[str] = KEY_COLUMNS) -> LedgerPanel:
    """Pivot a monthly ledger (``year``, ``month``, ``spending_dkk`` and the key columns) into a panel.

    Several rows for the same series and month are summed.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table.
    key_columns : sequence of str
        Columns identifying a series.

    Returns
    -------
    LedgerPanel
    """
    key_columns = list(key_columns)
    missing = [c for c in (*key_columns, "year", "month", "spending_dkk") if c not in ledger.columns]
    if missing:
        raise KeyError(f"the ledger lacks the column(s) {missing}")
    if ledger.empty:
        raise ValueError("the ledger is empty")
    bad = ~ledger["month"].between(1, 12)
    if bad.any():
        raise ValueError(f"month must be 1-12; found {ledger.loc[bad, 'month'].iloc[0]!r}")
    sums = ledger.groupby([*key_columns, "year", "month"], sort=True, observed=True)["spending_dkk"].sum()
    keys = sums.index.droplevel(["year", "month"]).unique().sort_values()
    years = np.arange(int(ledger["year"].min()), int(ledger["year"].max()) + 1)
    values = np.full((len(keys), len(years), 12), np.nan)
    s = keys.get_indexer(sums.index.droplevel(["year", "month"]))
    y = sums.index.get_level_values("year").to_numpy() - years[0]
    m = sums.index.get_level_values("month").to_numpy() - 1
    values[s, y, m] = sums.to_numpy(dtype=float)
    return LedgerPanel(keys=keys.to_frame(index=False), years=years, values=values)


def _budget_array(budgets: pd.DataFrame | None, panel: LedgerPanel, key_columns: list[str]) -> np.ndarray:
    out = np.full(panel.values.shape[:2], np.nan)
    if budgets is None:
        return out
    b = budgets.groupby([*key_columns, "year"], observed=True)["budget_dkk"].sum()
    idx = pd.MultiIndex.from_frame(panel.keys)
    s = idx.get_indexer(b.index.droplevel("year"))
    y = b.index.get_level_values("year").to_numpy() - panel.years[0]
    ok = (s >= 0) & (y >= 0) & (y < len(panel.years))
    out[s[ok], y[ok]] = b.to_numpy(dtype=float)[ok]
    return out


@dataclass
class BacktestResult:
    """The back-test: forecasts, actuals and errors of every method, series, year and origin month.

    Attributes
    ----------
    keys : pandas.DataFrame
        One row per series (the key columns).
    years : numpy.ndarray
        Shape ``(T,)``: the back-tested years.
    actual : numpy.ndarray
        Shape ``(S, T, 12)``: actual monthly spending (DKK).
    paths : dict of str to numpy.ndarray
        Per method, shape ``(S, T, 11, 12)``: for origin ``m`` (index ``m - 1``) the forecast DKK of months
        ``m+1..12`` in columns ``m..11`` and the booked months in columns ``0..m-1``.
    labels : dict of str to str
        Danish label per method.
    frame : pandas.DataFrame
        Long table, one row per series x year x origin month x method: key columns, ``year``, ``month`` (the
        origin: months booked), ``method``, ``forecast_dkk``, ``actual_dkk``, ``error_dkk`` (forecast minus
        actual), ``ape_pct``, ``smape_pct``, ``mase``. Rows whose actual year is incomplete are left out.
    """

    keys: pd.DataFrame
    years: np.ndarray
    actual: np.ndarray
    paths: dict[str, np.ndarray]
    labels: dict[str, str]
    frame: pd.DataFrame = field(repr=False)

    @property
    def methods(self) -> list[str]:
        """Method names in their order."""
        return list(self.paths)

    def summary(self) -> pd.DataFrame:
        """Accuracy per method over all series, years and origins.

        Returns
        -------
        pandas.DataFrame
            Indexed by method: ``n`` (forecasts), ``mean_ape_pct``, ``median_ape_pct``, ``mean_smape_pct``,
            ``mean_mase``, ``mean_abs_error_dkk`` and ``weighted_ape_pct`` (sum of absolute DKK errors over
            sum of actual totals: the materiality-weighted error, in per cent).
        """
        f = self.frame.dropna(subset=["forecast_dkk"])
        g = f.assign(abs_err=f["error_dkk"].abs(), abs_act=f["actual_dkk"].abs()).groupby(
            "method", sort=False
        )
        out = pd.DataFrame(
            {
                "n": g.size(),
                "mean_ape_pct": g["ape_pct"].mean(),
                "median_ape_pct": g["ape_pct"].median(),
                "mean_smape_pct": g["smape_pct"].mean(),
                "mean_mase": g["mase"].mean(),
                "mean_abs_error_dkk": g["abs_err"].mean(),
                "weighted_ape_pct": 100.0 * g["abs_err"].sum() / g["abs_act"].sum(),
            }
        )
        return out.reindex([m for m in self.methods if m in out.index])

    def by_month(self, measure: str = "ape_pct", stat: str = "mean") -> pd.DataFrame:
        """A method x origin-month table of an error measure (for the accuracy heatmap).

        Parameters
        ----------
        measure : str
            A column of :attr:`frame` (``ape_pct``, ``smape_pct``, ``mase``, ``error_dkk``).
        stat : str
            Aggregation (``mean``, ``median``, ...).

        Returns
        -------
        pandas.DataFrame
            Index: method; columns: origin month 1-11.
        """
        t = self.frame.pivot_table(index="method", columns="month", values=measure, aggfunc=stat, sort=False)
        return t.reindex([m for m in self.methods if m in t.index])


def _history_block(values: np.ndarray, target_idx: np.ndarray) -> np.ndarray:
    """Previous years for each target year, right-aligned: shape ``(S, T, H, 12)``, NaN-padded in front."""
    s = values.shape[0]
    h = max(int(target_idx.max()), 1)
    out = np.full((s, len(target_idx), h, 12), np.nan)
    for t, yi in enumerate(target_idx):
        if yi > 0:
            out[:, t, h - yi :, :] = values[:, :yi, :]
    return out


def _errors(path: np.ndarray, actual: np.ndarray, scale: np.ndarray):
    """Totals and error measures of paths ``(S, T, 11, 12)`` against actuals ``(S, T, 12)``."""
    total = path.sum(axis=3)
    act_total = actual.sum(axis=2)[:, :, None]
    m_idx = np.arange(1, 12)
    future = np.arange(12)[None, :] >= m_idx[:, None]  # (11, 12): remaining months per origin
    f = np.where(future, path, np.nan)
    a = np.where(future, actual[:, :, None, :], np.nan)
    return (
        total,
        np.broadcast_to(act_total, total.shape),
        metrics.ape(total, act_total),
        metrics.smape(f, a, axis=3),
        metrics.mase(f, a, scale, axis=3),
    )


def _mase_scales(values: np.ndarray, target_idx: np.ndarray) -> np.ndarray:
    """MASE scale at each origin: mean |x_t - x_{t-12}| over every month known then; ``(S, T, 11)``."""
    s, y, _ = values.shape
    flat = values.reshape(s, y * 12)
    d = np.abs(flat[:, 12:] - flat[:, :-12])
    ok = np.isfinite(d)
    csum = np.concatenate([np.zeros((s, 13)), np.cumsum(np.where(ok, d, 0.0), axis=1)], axis=1)
    ccnt = np.concatenate([np.zeros((s, 13)), np.cumsum(ok, axis=1)], axis=1)
    # csum[:, t + 1] = sum of d over months 12..t (differences ending at month t)
    out = np.full((s, len(target_idx), 11), np.nan)
    for t, yi in enumerate(target_idx):
        last = yi * 12 + np.arange(1, 12) - 1  # index of the last known month for m = 1..11
        tot = csum[:, last + 1]
        cnt = ccnt[:, last + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            sc = tot / cnt
        out[:, t, :] = np.where((cnt > 0) & (sc > 0), sc, np.nan)
    return out


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    ok = np.isfinite(a)
    cnt = ok.sum(axis=axis)
    tot = np.where(ok, a, 0.0).sum(axis=axis)
    return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _combination(paths: dict[str, np.ndarray], ape: dict[str, np.ndarray], k: int) -> np.ndarray:
    """Mean path of the ``k`` methods with the lowest mean APE in earlier years (per series and year)."""
    names = list(paths)
    stack = np.stack([paths[n] for n in names])  # (M, S, T, 11, 12)
    year_err = np.stack([_nanmean(ape[n], axis=2) for n in names])  # (M, S, T)
    finite = np.isfinite(year_err)
    csum = np.cumsum(np.where(finite, year_err, 0.0), axis=2)
    ccnt = np.cumsum(finite, axis=2)
    prev_sum = np.concatenate([np.zeros_like(csum[:, :, :1]), csum[:, :, :-1]], axis=2)
    prev_cnt = np.concatenate([np.zeros_like(ccnt[:, :, :1]), ccnt[:, :, :-1]], axis=2)
    prev = np.where(prev_cnt > 0, prev_sum / np.maximum(prev_cnt, 1), np.inf)  # (M, S, T)
    rank = np.argsort(np.argsort(prev, axis=0, kind="stable"), axis=0, kind="stable")
    # only once at least k methods have a track record, so that the combination is never a single method
    enough = np.isfinite(prev).sum(axis=0) >= k  # (S, T)
    chosen = (rank < k) & np.isfinite(prev) & enough[None]  # (M, S, T)
    return _nanmean(np.where(chosen[:, :, :, None, None], stack, np.nan), axis=0)


def backtest(
    ledger: pd.DataFrame,
    methods: Sequence[DomainMethod] | None = None,
    budgets: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    years: Sequence[int] | None = None,
    key_columns: Sequence[str] = KEY_COLUMNS,
    combination_k: int | None = 3,
    lookback_months: int = 12,
) -> BacktestResult:
    """Back-test year-end forecast methods at every origin month of every past year.

    Parameters
    ----------
    ledger : pandas.DataFrame
        The ``ledger`` table: key columns, ``year``, ``month`` (1-12), ``spending_dkk`` (DKK).
    methods : sequence of DomainMethod, optional
        Methods to test; default :func:`~analysis.forecast.methods.default_methods` (domain and statistical).
    budgets : pandas.DataFrame, optional
        The ``budgets`` table (key columns, ``year``, ``budget_dkk``) for the budget-based method.
    cases : pandas.DataFrame, optional
        The cases table with the key columns added, for the disposition method (see
        :mod:`analysis.forecast.disposition`).
    years : sequence of int, optional
        Years to back-test; default every year in the ledger with all 12 months for some series.
    key_columns : sequence of str
        Columns identifying a series.
    combination_k : int or None
        Number of methods in the derived ``combination`` method; None for no combination.
    lookback_months : int
        Window (months) of the disposition method's start and exit rates.

    Returns
    -------
    BacktestResult
    """
    key_columns = list(key_columns)
    methods = list(default_methods()) if methods is None else list(methods)
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValueError(f"method names must be unique, got {names}")
    panel = ledger_panel(ledger, key_columns)
    values = panel.values
    if years is None:
        complete_any = np.isfinite(values).all(axis=2).any(axis=0)
        years = panel.years[complete_any]
    target_idx = np.array([int(y) - int(panel.years[0]) for y in years], dtype=int)
    if len(target_idx) == 0:
        raise ValueError("no year to back-test: no series has a complete year in the ledger")
    if (target_idx < 0).any() or (target_idx >= len(panel.years)).any():
        raise ValueError(f"years must lie within the ledger's years {panel.years[0]}-{panel.years[-1]}")
    s, t = values.shape[0], len(target_idx)
    actual = values[:, target_idx, :]
    history = _history_block(values, target_idx).reshape(s * t, -1, 12)
    budget = _budget_array(budgets, panel, key_columns)[:, target_idx].reshape(s * t)
    commit = None
    if cases is not None and any(m.name == "disposition" for m in methods):
        commit = commitment_paths(
            cases, panel.keys, panel.years[target_idx], key_columns, lookback_months, ledger=ledger
        )
    paths = {n: np.full((s, t, 11, 12), np.nan) for n in names}
    contexts = [
        YearContext(
            ytd=actual[:, :, :m].reshape(s * t, m),
            history=history,
            budget=budget,
            commitments=None if commit is None else commit[:, :, m - 1, m:].reshape(s * t, 12 - m),
        )
        for m in range(1, 12)
    ]
    for method in methods:
        # all 11 origins at once: a statistical model fits every origin's series in one pass
        for m, rem in enumerate(method.remaining_many(contexts), start=1):
            paths[method.name][:, :, m - 1, :m] = actual[:, :, :m]
            paths[method.name][:, :, m - 1, m:] = np.asarray(rem, dtype=float).reshape(s, t, 12 - m)
    labels = {m.name: m.label_da for m in methods}
    scale = _mase_scales(values, target_idx)
    errs = {n: _errors(p, actual, scale) for n, p in paths.items()}
    if combination_k and len(names) > 1:
        paths[COMBINATION] = _combination(paths, {n: e[2] for n, e in errs.items()}, combination_k)
        labels[COMBINATION] = COMBINATION_LABEL_DA
        errs[COMBINATION] = _errors(paths[COMBINATION], actual, scale)
    frame = _long_frame(panel.keys, panel.years[target_idx], errs, actual)
    return BacktestResult(
        keys=panel.keys, years=panel.years[target_idx], actual=actual, paths=paths, labels=labels, frame=frame
    )


def _long_frame(keys: pd.DataFrame, years: np.ndarray, errs: dict, actual: np.ndarray) -> pd.DataFrame:
    s, t = len(keys), len(years)
    complete = np.isfinite(actual).all(axis=2)  # (S, T)
    si, ti, mi = np.meshgrid(np.arange(s), np.arange(t), np.arange(11), indexing="ij")
    keep = complete[si, ti].ravel()
    parts = []
    for name, (total, act_total, ape, smp, mas) in errs.items():
        part = {c: keys[c].to_numpy()[si.ravel()[keep]] for c in keys.columns}
        part["year"] = years[ti.ravel()[keep]]
        part["month"] = mi.ravel()[keep] + 1
        part["method"] = name
        fc = total.ravel()[keep]
        ac = act_total.ravel()[keep]
        part["forecast_dkk"] = fc
        part["actual_dkk"] = ac
        part["error_dkk"] = fc - ac
        part["ape_pct"] = ape.ravel()[keep]
        part["smape_pct"] = smp.ravel()[keep]
        part["mase"] = mas.ravel()[keep]
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)
