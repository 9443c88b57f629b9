"""Out-of-sample test of the forecast report's choice of method and of its 80 % fan, on the sample's domain series.

For every municipality x function area of the sample warehouse (1,078 series, 2018-2025) the back-test of all
methods is run once; then, for each later year ``Y``, the choice is made on the back-tested years before ``Y``
only and scored on year ``Y`` (every origin month 1-11). Rules compared:

- ``lowest``: the method with the lowest mean APE (``select_methods(rule="lowest")``, the rule before);
- ``test``: the combination unless the best single method beat it significantly (one-sided paired t-test over
  the years, ``select_methods(rule="test")``, the report's rule; at 5 % and, for sensitivity, 10 % and 20 %);
- ``combination``: always the combination.

Then the 80 % year-end interval and the fan (``area.fan_halfwidths``) of the method the report's rule chooses,
made from the years before ``Y``: the share of year ``Y``'s actual year-end totals, months and cumulative
months inside, by origin month.

First the mean APE of every method's year-end total on the rows where every method has a forecast (the ets
line and the combination are what ``--ets`` changes).

Usage: python bench/bench_selection.py [--every K] [--cache FILE] [--ets yearly|every-origin|'months=1,7;refit=8']
(``--every 5``: every 5th municipality, about 220 series; ``--cache``: keep the back-test in a pickle and reuse
it; ``--ets every-origin``: ETS chooses its model at every origin, as before ``YearlyETS``.)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.forecast import backtest, default_methods, select_methods
from analysis.forecast.area import _non_decreasing, fan_halfwidths
from analysis.forecast.backtest import COMBINATION
from analysis.forecast.methods import StatisticalAdapter, YearlyETS
from analysis.forecast.select import conformal_width
from analysis.forecast.statistical import ETSMethod

KEYS = ["municipality_code", "function_code"]


def methods_for(ets: str) -> list:
    """The default methods, with ETS as ``ets`` says: ``yearly`` (the default methods' ``YearlyETS``),
    ``every-origin`` (the model chosen at every origin) or ``months=1,7;refit=8`` (``YearlyETS`` choosing at
    those months, re-estimating its parameters by that many rounds at the other origins)."""
    return [ets_method(ets) if m.name == "ets" else m for m in default_methods()]


def ets_method(ets: str):
    """The ETS method ``ets`` names (see :func:`methods_for`); in a ``key=value;...`` spec the keys not given
    are ``months=1``, ``refit=0``, ``rounds`` 24 (ets_fit's) and all 15 models (``error=sign``: by sign)."""
    if ets == "yearly":
        return YearlyETS()
    if ets == "every-origin":
        return StatisticalAdapter(model=ETSMethod())
    opts = dict(part.split("=") for part in ets.split(";"))
    return YearlyETS(
        choice_months=tuple(int(m) for m in opts.get("months", "1").split(",")),
        refit_rounds=int(opts.get("refit", 0)),
        choice_rounds=int(opts["rounds"]) if "rounds" in opts else None,
        error_by_sign=opts.get("error") == "sign",
    )


def ets_speed(ets: str, repeat: int = 5) -> None:
    """CPU of the ETS back-test alone on bench_forecast's one synthetic series (8 years x 11 origins)."""
    from bench_forecast import synthetic_ledger

    ledger, _, _ = synthetic_ledger(1)
    method = ets_method(ets)
    cpu = []
    for _ in range(repeat + 1):  # the first is a warm-up
        c = time.process_time()
        backtest(ledger, methods=[method], combination_k=None)
        cpu.append(time.process_time() - c)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"ETS ({ets}) alone on one series, 8 years x 11 origins: {min(cpu[1:]):.3f} s CPU "
        f"(best of {repeat}; load {load})"
    )


def load_backtest(every: int, cache: Path | None, ets: str = "yearly"):
    """The back-test of all default methods on the sample ledger (every ``every``-th municipality)."""
    if cache is not None and cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    from analysis.data import connect, queries

    con = connect()
    try:
        ledger, budgets = queries.ledger(con), queries.budgets(con)
    finally:
        con.close()
    codes = sorted(ledger["municipality_code"].unique())[::every]
    ledger = ledger[ledger["municipality_code"].isin(codes)]
    t, c = time.perf_counter(), time.process_time()
    res = backtest(ledger, methods_for(ets), budgets, None)
    print(
        f"back-test of {len(res.keys)} series (ets: {ets}): {time.perf_counter() - t:.0f} s wall, "
        f"{time.process_time() - c:.0f} s CPU; load {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    if cache is not None:
        with cache.open("wb") as fh:
            pickle.dump(res, fh)
    return res


def choose(res, year: int, rule: str, alpha: float = 0.05) -> pd.DataFrame:
    """The method per series chosen on the back-tested years before ``year``."""
    before = dataclasses.replace(res, frame=res.frame[res.frame["year"] < year])
    if rule == "combination":
        return res.keys.assign(method=COMBINATION, rule="combination")
    sel = select_methods(before, rule="lowest" if rule == "lowest" else "test", alpha=alpha)
    return sel[[*KEYS, "method", "rule"]]


def method_table(frame: pd.DataFrame, methods: list[str]) -> None:
    """Mean APE of every method on the (series, year, origin) rows where every method has a forecast."""
    wide = frame.pivot_table(index=[*KEYS, "year", "month"], columns="method", values="ape_pct")
    wide = wide.reindex(columns=[m for m in methods if m in wide.columns]).dropna()
    years = wide.index.get_level_values("year")
    print(
        f"\n## Mean APE of the year-end total by method, per cent ({len(wide)} forecasts where every method "
        f"has one, {years.min()}-{years.max()})"
    )
    months = wide.index.get_level_values("month")
    table = pd.DataFrame(
        {
            "all origins": wide.mean(),
            "m = 3": wide[months == 3].mean(),
            "m = 6": wide[months == 6].mean(),
            "m = 9": wide[months == 9].mean(),
        }
    )
    print(table.round(3).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--every", type=int, default=1, help="every K-th municipality (1: all)")
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the back-test to reuse")
    ap.add_argument(
        "--ets",
        default="yearly",
        help="ETS: 'yearly' (the default), 'every-origin' (before), or e.g. 'months=1,7;refit=8;rounds=12;error=sign'",
    )
    args = ap.parse_args()
    ets_speed(args.ets)
    res = load_backtest(args.every, args.cache, args.ets)
    frame = res.frame.dropna(subset=["forecast_dkk"])
    method_table(frame, res.methods)
    years = sorted(int(y) for y in frame["year"].unique())
    # the combination needs a track record of 3 methods (one back-tested year), the test at least 3 years of
    # differences, and the first back-tested year has no earlier year: so score from the fifth year on
    test_years = [y for y in years if y >= years[0] + 4]
    rules = [
        ("lowest mean APE (the rule before)", "lowest", 0.05),
        ("combination unless a single method is significantly better, 5 % (the report's)", "test", 0.05),
        ("the same at 10 %", "test", 0.10),
        ("the same at 20 %", "test", 0.20),
        ("always the combination", "combination", 0.05),
    ]
    print(
        f"\n## Choice of method out of sample: {len(res.keys)} series, chosen on the years before, scored on "
        f"{test_years[0]}-{test_years[-1]}; mean APE of the year-end total, per cent"
    )
    rows, chosen_test = [], {}
    for name, rule, alpha in rules:
        parts, single = [], 0
        for year in test_years:
            pick = choose(res, year, rule, alpha)
            if rule == "test" and alpha == 0.05:
                chosen_test[year] = pick
            single += int((pick["method"] != COMBINATION).sum())
            parts.append(frame[frame["year"] == year].merge(pick[[*KEYS, "method"]], on=[*KEYS, "method"]))
        scored = pd.concat(parts)
        rows.append(
            {
                "rule": name,
                "all origins": scored["ape_pct"].mean(),
                "m = 3": scored.loc[scored["month"] == 3, "ape_pct"].mean(),
                "m = 6": scored.loc[scored["month"] == 6, "ape_pct"].mean(),
                "m = 9": scored.loc[scored["month"] == 9, "ape_pct"].mean(),
                "not the combination": f"{100 * single / (len(res.keys) * len(test_years)):.1f} %",
                "forecasts": len(scored),
            }
        )
    print(pd.DataFrame(rows).set_index("rule").round(3).to_string())

    # the interval and the fan of the method the report's rule chooses, from the years before
    print("\n## 80 % interval and fan out of sample (the report's rule), share inside, per cent")
    yi = {int(y): i for i, y in enumerate(res.years)}
    inside = {
        m: {"year_end": [], "monthly": [], "cumulative": [], "monthly_before": []} for m in range(1, 12)
    }
    monotone = True
    for year in test_years:
        pick = chosen_test[year].set_index(KEYS)["method"]
        past = [yi[y] for y in years if y < year]
        t = yi[year]
        for s, key in enumerate(res.keys.itertuples(index=False)):
            method = pick.get(tuple(key))
            if method is None or not isinstance(method, str):
                continue
            paths, actual = res.paths[method], res.actual[s]
            if not np.isfinite(actual[t]).all():
                continue
            for m in range(1, 12):
                f_now = paths[s, t, m - 1, :]
                if not np.isfinite(f_now).all():
                    continue
                monthly, cum = fan_halfwidths(paths[s, past, m - 1, :], actual[past], m)
                if not np.isfinite(cum).all():
                    continue
                monotone &= bool((np.diff(monthly) >= -1e-12).all() and (np.diff(cum) >= -1e-12).all())
                scale = abs(f_now.sum())
                a, f = actual[t, m:], f_now[m:]
                ca, cf = np.cumsum(actual[t])[m:], np.cumsum(f_now)[m:]
                inside[m]["monthly"].append(np.mean(np.abs(a - f) <= monthly * scale))
                before = monthly_before(paths[s, past, m - 1, :], actual[past], m)
                inside[m]["monthly_before"].append(np.mean(np.abs(a - f) <= before * scale))
                inside[m]["cumulative"].append(np.mean(np.abs(ca - cf) <= cum * scale))
                inside[m]["year_end"].append(abs(ca[-1] - cf[-1]) <= cum[-1] * scale)
    table = pd.DataFrame(
        {m: {k: 100 * np.mean(v) for k, v in parts.items()} for m, parts in inside.items()}
    ).T.rename_axis("origin month")
    n = pd.Series({m: len(v["year_end"]) for m, v in inside.items()}, name="forecasts")
    overall = {k: 100 * np.mean(np.concatenate([np.atleast_1d(inside[m][k]) for m in inside])) for k in table}
    print(table.assign(forecasts=n).round(1).to_string())
    print("all origins:", ", ".join(f"{k} {v:.1f}" for k, v in overall.items()))
    print("every fan's half-width non-decreasing over the months:", monotone)
    print("(monthly_before: each month's own split-conformal width made non-decreasing, the fan before)")


def monthly_before(forecasts: np.ndarray, actuals: np.ndarray, month: int) -> np.ndarray:
    """The monthly fan as it was: each month's split-conformal width, then the monotone fit (for comparison)."""
    ok = np.isfinite(forecasts).all(axis=1) & np.isfinite(actuals).all(axis=1)
    p, a = forecasts[ok], actuals[ok]
    total = np.abs(p.sum(axis=1))
    p, a, total = p[total > 0], a[total > 0], total[total > 0][:, None]
    rel = (a - p) / total
    return _non_decreasing(np.array([conformal_width(rel[:, j]) for j in range(month, 12)]))


if __name__ == "__main__":
    main()
