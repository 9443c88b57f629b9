"""statsforecast's DynamicOptimizedTheta and Theta on the committed 30 M3 series: the oracle of the Theta tests.

statsforecast needs pandas < 3 and the project uses pandas 3, so this runs in a separate environment (see
``bench/bench_statsforecast.py``): ``sf/bin/python bench/theta_oracle.py --write`` writes
``tests/data/m3_theta_oracle.csv`` (columns ``series``, ``model`` (``DOTM``, ``STM``), ``f1``..``f18``),
which ``tests/test_forecast_oracle.py`` compares with :func:`analysis.forecast.statistical.dotm_forecast` at
its defaults (DOTM) and with ``dynamic=False, theta=2`` (STM). Imports nothing of this project.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

H = 18
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="write tests/data/m3_theta_oracle.csv")
    args = p.parse_args()
    from statsforecast.theta import auto_theta, forecast_theta

    long = pd.read_csv(DATA / "m3_monthly_sample.csv")
    rows = []
    for sn, g in long.groupby("series", sort=False):
        x = g[g.part == "train"].sort_values("t")["value"].to_numpy(float)
        for model in ("DOTM", "STM"):
            f = forecast_theta(auto_theta(x, 12, model=model), H)["mean"]
            rows.append({"series": sn, "model": model, **{f"f{k + 1}": float(v) for k, v in enumerate(f)}})
    out = pd.DataFrame(rows)
    print(out.iloc[:, :5].to_string())
    if args.write:
        out.to_csv(DATA / "m3_theta_oracle.csv", index=False, float_format="%.10g")
        print(f"wrote {DATA / 'm3_theta_oracle.csv'}")


if __name__ == "__main__":
    main()
