"""Check the numpy ARIMA against statsmodels on the committed M3 sample (tests/data/m3_monthly_sample.csv).

For every series, statsmodels' ``ARIMA`` (exact maximum likelihood) is fitted with the specification ours
picks (airline model, or ARIMA(0,1,1) with or without drift) and the largest relative difference of the 18
forecasts is printed. Usage: ``python bench/arima_oracle.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.forecast.statistical import arima_forecast

H = 18
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "m3_monthly_sample.csv"


def main() -> None:
    from statsmodels.tsa.arima.model import ARIMA

    long = pd.read_csv(SAMPLE)
    rows = []
    for sn, g in long.groupby("series", sort=False):
        x = g[g.part == "train"].sort_values("t")["value"].to_numpy(float)
        f, name = arima_forecast(x, H, return_model=True)
        name = str(name[0])
        if name.startswith("ARIMA(0,1,1)(0,1,1)"):
            model = ARIMA(x, order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
        elif name == "ARIMA(0,1,1) with drift":
            model = ARIMA(x, order=(0, 1, 1), trend="t")
        else:
            model = ARIMA(x, order=(0, 1, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit()
        expected = np.asarray(res.forecast(H))
        diff = 100 * float(np.max(np.abs(f[0] - expected) / np.abs(expected)))
        rows.append(
            {"series": sn, "model": name, "max_rel_diff_pct": diff, "statsmodels_params": res.params[:-1]}
        )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    d = table["max_rel_diff_pct"]
    print(f"\n{len(d)} series: within 1 % on {(d <= 1).sum()}, median largest difference {d.median():.2f} %")


if __name__ == "__main__":
    main()
