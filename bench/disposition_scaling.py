"""How far the disposition's year-end forecast runs from the actual, unscaled and scaled by the explained share.

On one municipality of the sample (default Syddjurs, 706), for the years 2021-2024 and the origin months March,
June and September: the year-end forecast ``booked + commitments`` (plain), ``booked + commitments / share`` with
the share of January..origin of the year (as the forecast report's reconciliation), and with the share of the same
months a year earlier (:func:`analysis.forecast.disposition.scaling_share`, what the disposition uses). Prints the
mean signed error and the mean APE over areas, years and months. Usage: ``python bench/disposition_scaling.py
[CODE]``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from analysis.data import connect, queries
from analysis.forecast.backtest import ledger_panel
from analysis.forecast.disposition import commitment_paths, reconcile, scale_factors

KEY = ["municipality_code", "function_code"]
YEARS = [2021, 2022, 2023, 2024]
MONTHS = (3, 6, 9)


def main(code: int = 706) -> None:
    con = connect(None)
    led = queries.ledger(con, municipality_codes=[code])
    cases = queries.cases(con, municipality_codes=[code])
    cases = cases[cases["function_code"].notna()]
    panel = ledger_panel(led[led["year"] <= YEARS[-1]], KEY)
    keys = pd.MultiIndex.from_frame(panel.keys)
    values = panel.values
    at = {y: int(y - panel.years[0]) for y in panel.years}
    paid, booked = {}, {}
    for y in range(YEARS[0] - 1, YEARS[-1] + 1):
        rec = reconcile(cases, led, y, 12, by=KEY)
        paid[y] = rec.pivot_table(index=KEY, columns="month", values="cases_dkk").reindex(keys).to_numpy()
        booked[y] = rec.pivot_table(index=KEY, columns="month", values="booked_dkk").reindex(keys).to_numpy()
    plain = commitment_paths(cases, panel.keys, YEARS, KEY)
    scaled = commitment_paths(cases, panel.keys, YEARS, KEY, ledger=led)
    errors: dict[str, list] = {
        "unscaled": [],
        "share of January..origin": [],
        "share of the same months last year": [],
    }
    for m in MONTHS:
        for j, y in enumerate(YEARS):
            actual = values[:, at[y], :].sum(axis=1)
            ytd = values[:, at[y], :m].sum(axis=1)
            rest = plain[:, j, m - 1, m:].sum(axis=1)
            this_year = paid[y][:, :m].sum(axis=1) / booked[y][:, :m].sum(axis=1)
            for name, forecast in (
                ("unscaled", ytd + rest),
                ("share of January..origin", ytd + rest * scale_factors(this_year)),
                ("share of the same months last year", ytd + scaled[:, j, m - 1, m:].sum(axis=1)),
            ):
                errors[name].append((forecast - actual) / actual)
    print(f"{code}: {len(keys)} areas, years {YEARS[0]}-{YEARS[-1]}, origins {MONTHS}")
    for name, e in errors.items():
        a = np.array(e)
        print(
            f"  {name:36s} mean signed error {100 * np.nanmean(a):5.1f} %, mean APE {100 * np.nanmean(abs(a)):4.1f} %"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 706)
