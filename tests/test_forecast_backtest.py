"""Back-testing, no look-ahead, selection per series and the year-end forecast."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analysis.forecast import backtest, forecast_year, ledger_panel, reason_da, select_methods
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
from analysis.forecast.select import forecast_paths, forecast_year_paths, interval, intervals
from analysis.forecast.statistical import ThetaMethod

YEARS = list(range(2016, 2023))
PATTERN = np.array([0.6, 0.8, 1.0, 1.0, 1.1, 1.2, 0.5, 0.9, 1.0, 1.1, 1.2, 1.6])
DOMAIN = [RunRate(), LastYearProfile(), AverageProfile(), BudgetBased(), SeasonalNaive(), Disposition()]


def ledger_from(series: dict[tuple[int, str], np.ndarray]) -> pd.DataFrame:
    """Ledger rows from {(municipality, function): array (Y, 12)} for YEARS."""
    rows = []
    for (muni, func), arr in series.items():
        for yi, year in enumerate(YEARS[: arr.shape[0]]):
            rows += [(muni, func, year, m + 1, float(arr[yi, m])) for m in range(12)]
    return pd.DataFrame(rows, columns=["municipality_code", "function_code", "year", "month", "spending_dkk"])


def known_series(seed: int = 3):
    """Four series, each generated so that one domain method is (nearly) exact, plus their budgets."""
    rng = np.random.default_rng(seed)
    y = len(YEARS)
    level = 1e6 * np.exp(np.cumsum(rng.normal(0.05, 0.15, y)))
    flat = level[:, None] * (1 + rng.normal(0, 0.02, (y, 12)))  # run-rate world
    shares = PATTERN / PATTERN.sum()
    profile = 12 * level[:, None] * shares[None, :] * (1 + rng.normal(0, 0.005, (y, 12)))  # profile world
    budget = 1.2e7 * np.exp(rng.normal(0, 0.2, y))
    first_half = rng.uniform(0.5, 1.5, (y, 12)) * budget[:, None] / 12
    budgeted = np.where(np.arange(12)[None, :] < 6, first_half, budget[:, None] / 12)  # budget world
    budgeted[:, 6:] = budget[:, None] / 12
    # seasonal-naive world: the same months every year except a January that varies
    naive = np.tile(PATTERN * 3e5, (y, 1))
    naive[:, 0] = rng.uniform(0.5e5, 5e5, y)
    series = {
        (101, "5.38.38"): flat,
        (101, "5.38.50"): profile,
        (101, "5.38.52"): budgeted,
        (101, "5.38.53"): naive,
    }
    budgets = pd.DataFrame(
        [(101, year, "5.38.52", budget[i]) for i, year in enumerate(YEARS)]
        + [(101, year, f, 1.0) for year in YEARS for f in ("5.38.38", "5.38.50", "5.38.53")],
        columns=["municipality_code", "year", "function_code", "budget_dkk"],
    )
    return ledger_from(series), budgets


def test_ledger_panel_shapes_and_sums():
    led = ledger_from({(101, "5.38.50"): np.ones((2, 12)), (147, "5.38.52"): np.ones((1, 12))})
    led = pd.concat([led, led.iloc[:1]])  # a duplicate posting is summed
    p = ledger_panel(led)
    assert p.values.shape == (2, 2, 12)
    assert p.values[0, 0, 0] == 2.0
    assert np.isnan(p.values[1, 1]).all()
    assert p.keys.to_dict("list") == {
        "municipality_code": [101, 147],
        "function_code": ["5.38.50", "5.38.52"],
    }
    with pytest.raises(ValueError, match="month"):
        ledger_panel(led.assign(month=13))


def test_backtest_frame_and_summaries():
    led, budgets = known_series()
    res = backtest(led, methods=DOMAIN, budgets=budgets)
    f = res.frame
    assert set(f["month"]) == set(range(1, 12))
    assert set(f["year"]) == set(YEARS)
    assert set(res.methods) == {m.name for m in DOMAIN} | {"combination"}
    # profile methods have nothing to go on in the first year; the run-rate has
    # (rows and forecasts a method: 4 series x 11 origins, January-November; a frame without the empty rows
    # would leave no profile forecast to be missing)
    first = f[f["year"] == YEARS[0]].groupby("method")["forecast_dkk"].agg(["size", "count"])
    assert first.loc["last_year_profile"].tolist() == [44, 0]
    assert first.loc["run_rate"].tolist() == [44, 44]
    ok = f.dropna(subset=["forecast_dkk"])
    np.testing.assert_allclose(ok["error_dkk"], ok["forecast_dkk"] - ok["actual_dkk"])
    assert (ok["ape_pct"] >= 0).all() and ok["smape_pct"].between(0, 200).all()
    summary = res.summary()
    assert {"n", "mean_ape_pct", "mean_smape_pct", "mean_mase", "weighted_ape_pct"} <= set(summary.columns)
    assert "disposition" not in summary.index  # no cases given
    heat = res.by_month()
    assert list(heat.columns) == list(range(1, 12))
    # the run-rate error shrinks through the year on these series
    assert heat.loc["run_rate", 11] < heat.loc["run_rate", 1]


def test_selection_picks_the_generating_method():
    led, budgets = known_series()
    res = backtest(led, methods=DOMAIN[:-1], budgets=budgets)
    sel = select_methods(res).set_index("function_code")
    assert sel.loc["5.38.38", "method"] == "run_rate"
    # the profile world: both profiles are nearly exact, and so is the combination of the best three, so no
    # single method is significantly better than it; the best single method is still a profile
    assert sel.loc["5.38.50", "method"] == "combination"
    assert sel.loc["5.38.50", "best_single"] in ("last_year_profile", "average_profile")
    assert sel.loc["5.38.52", "method"] == "budget"
    assert sel.loc["5.38.53", "method"] == "seasonal_naive"
    assert (sel["runner_up"] != sel["method"]).all()
    single = sel[sel["rule"] == "single"]
    assert len(single) == 3 and (single["runner_up"] == "combination").all()
    assert (single["runner_up_error"] >= single["error"]).all() and (single["difference"] > 0).all()
    reason = sel.loc["5.38.52", "reason"]
    assert re.match(
        r"Budget korrigeret for afvigelse hidtil ramte inden for \d+,\d % i juni i 7 af 7 år\. Budget korrigeret "
        r"for afvigelse hidtil bruges frem for kombinationen, fordi den har ramt signifikant bedre i de 5 "
        r"tidligere år \(i gennemsnit \d+,\d procentpoint tættere på, usikkerhed ±\d+,\d\)$",
        reason,
    )
    assert " mod " not in reason
    # weighting by DKK gives the same winners here and reasons in kroner
    dkk = select_methods(res, weighting="dkk", reason_month=3).set_index("function_code")
    assert dkk.loc["5.38.52", "method"] == "budget"
    assert "kr." in dkk.loc["5.38.52", "reason"] and " i marts i " in dkk.loc["5.38.52", "reason"]


def test_reason_sentence():
    text = reason_da("Sidste års forbrugsmønster", [0.5, 2.1, 1.0, 7.0, 0.3, 1.9], 6)
    assert text == "Sidste års forbrugsmønster ramte inden for 2,1 % i juni i 5 af 6 år"


def test_no_look_ahead():
    """Changing anything after an origin changes no forecast made at or before that origin."""
    rng = np.random.default_rng(7)
    base = {
        (101, "5.38.50"): 1e6 * (1 + rng.normal(0, 0.1, (len(YEARS), 12))) * PATTERN,
        (101, "5.38.52"): 5e5 * (1 + rng.normal(0, 0.2, (len(YEARS), 12))),
    }
    led = ledger_from(base)
    budgets = pd.DataFrame(
        [(101, y, f, 1e7) for y in YEARS for f in ("5.38.50", "5.38.52")],
        columns=["municipality_code", "year", "function_code", "budget_dkk"],
    )
    cases = pd.DataFrame(
        {
            "municipality_code": 101,
            "function_code": ["5.38.50"] * 4 + ["5.38.52"] * 2,
            "start_date": pd.to_datetime(
                ["2015-03-01", "2018-05-01", "2020-02-01", "2021-09-01", "2017-01-01", "2021-11-01"]
            ),
            "end_date": pd.to_datetime(["2019-01-31", None, "2021-10-31", None, "2022-02-28", None]),
            "monthly_cost_dkk": [4e4, 5e4, 3e4, 6e4, 2e4, 1e4],
        }
    )
    # ETS chooses its model once a year, at January: a choice made later in the year would see the changes
    methods = DOMAIN + [StatisticalAdapter(model=ThetaMethod()), YearlyETS()]
    before = backtest(led, methods=methods, budgets=budgets, cases=cases).frame
    origin_year, origin_month = 2021, 8
    after_origin = (led["year"] > origin_year) | (
        (led["year"] == origin_year) & (led["month"] > origin_month)
    )
    led2 = led.copy()
    led2.loc[after_origin, "spending_dkk"] *= rng.uniform(0.2, 3.0, after_origin.sum())
    as_of = pd.Timestamp("2021-08-31")
    cases2 = cases.copy()
    # what was unknown on the date: a later end of a running case and the cases that start later
    cases2.loc[cases2["end_date"] > as_of, "end_date"] = pd.Timestamp("2021-09-15")
    cases2.loc[cases2["start_date"] > as_of, "monthly_cost_dkk"] *= 10
    budgets2 = budgets.copy()
    budgets2.loc[budgets2["year"] > origin_year, "budget_dkk"] *= 2
    after = backtest(led2, methods=methods, budgets=budgets2, cases=cases2).frame
    known = (before["year"] < origin_year) | (
        (before["year"] == origin_year) & (before["month"] <= origin_month)
    )
    pd.testing.assert_series_equal(
        before.loc[known, "forecast_dkk"], after.loc[known, "forecast_dkk"], check_exact=False, rtol=1e-12
    )
    # and the change did reach the later forecasts, ETS's of the origin's own year among them
    later = ~known & (before["year"] == origin_year) & (before["method"] == "ets")
    assert later.any()
    assert not np.allclose(before.loc[later, "forecast_dkk"], after.loc[later, "forecast_dkk"])
    assert not np.allclose(
        before.loc[~known, "forecast_dkk"].fillna(0), after.loc[~known, "forecast_dkk"].fillna(0)
    )


def test_combination_uses_only_earlier_years():
    led, _ = known_series()
    methods = [RunRate(), LastYearProfile(), AverageProfile(), SeasonalNaive()]
    res = backtest(led, methods=methods, combination_k=2)
    comb = res.frame[res.frame["method"] == "combination"]
    # run-rate is the only method with a first-year record, so the combination starts in the third year
    # (4 series x 11 origins a year, each year there, with or without a forecast)
    counted = comb.groupby("year")["forecast_dkk"].agg(["size", "count"])
    assert counted["size"].to_dict() == dict.fromkeys(YEARS, 44)
    assert counted["count"].to_dict() == {**dict.fromkeys(YEARS[:2], 0), **dict.fromkeys(YEARS[2:], 44)}


def test_forecast_year_with_interval_and_selection():
    led, budgets = known_series()
    hist = led[led["year"] < YEARS[-1]]
    res = backtest(hist, methods=DOMAIN[:-1], budgets=budgets)
    sel = select_methods(res)
    current = led[(led["year"] == YEARS[-1]) & (led["month"] <= 6)]
    out = forecast_year(
        pd.concat([hist, current]),
        YEARS[-1],
        6,
        result=res,
        selection=sel,
        methods=DOMAIN[:-1],
        budgets=budgets,
    )
    # one selected method for each of the four series
    assert out.groupby("function_code")["selected"].sum().to_dict() == dict.fromkeys(
        ["5.38.38", "5.38.50", "5.38.52", "5.38.53"], 1
    )
    chosen = out[out["selected"]].set_index("function_code")
    assert (chosen["lower_dkk"] <= chosen["forecast_dkk"]).all()
    assert (chosen["forecast_dkk"] <= chosen["upper_dkk"]).all()
    actual = led[led["year"] == YEARS[-1]].groupby("function_code")["spending_dkk"].sum()
    # the budget world is exact from the budget, known at the start of the year
    assert chosen.loc["5.38.52", "forecast_dkk"] == pytest.approx(actual["5.38.52"], rel=1e-9)
    assert "combination" in set(out["method"])
    with pytest.raises(ValueError, match="month"):
        forecast_year(led, YEARS[-1], 12)


def test_forecast_year_paths_is_forecast_year_and_forecast_paths_of_one_run():
    """The table and the paths of one origin from one run of the methods equal the two functions' own runs."""
    led, budgets = known_series()
    hist = led[led["year"] < YEARS[-1]]
    methods = [RunRate(), SeasonalNaive(), StatisticalAdapter(model=ThetaMethod())]
    res = backtest(hist, methods=methods, budgets=budgets)
    sel = select_methods(res)
    known = pd.concat([hist, led[(led["year"] == YEARS[-1]) & (led["month"] <= 6)]])
    args = (known, YEARS[-1], 6, res, sel, methods, budgets)
    table, keys, paths = forecast_year_paths(*args)
    pd.testing.assert_frame_equal(table, forecast_year(*args), check_exact=True)
    keys_alone, paths_alone = forecast_paths(known, YEARS[-1], 6, res, methods, budgets)
    pd.testing.assert_frame_equal(keys, keys_alone)
    assert list(paths) == ["run_rate", "seasonal_naive", "theta", "combination"] == list(paths_alone)
    for name, p in paths.items():
        np.testing.assert_array_equal(p, paths_alone[name])
    # a path is the booked months then the forecast; its sum is the table's year-end forecast
    booked = known[known["year"] == YEARS[-1]].pivot(
        index="function_code", columns="month", values="spending_dkk"
    )
    np.testing.assert_array_equal(paths["seasonal_naive"][:, :6], booked.to_numpy())
    last_year = led[led["year"] == YEARS[-2]].pivot(
        index="function_code", columns="month", values="spending_dkk"
    )
    np.testing.assert_array_equal(paths["seasonal_naive"][:, 6:], last_year.to_numpy()[:, 6:])
    naive = table[table["method"] == "seasonal_naive"]["forecast_dkk"].to_numpy()
    np.testing.assert_allclose(
        naive, booked.sum(axis=1) + last_year.to_numpy()[:, 6:].sum(axis=1), rtol=1e-12
    )


def test_intervals_of_several_methods_are_each_methods_interval():
    led, budgets = known_series()
    res = backtest(led, methods=[RunRate(), LastYearProfile(), SeasonalNaive()], budgets=budgets)
    keys = pd.MultiIndex.from_frame(res.keys)
    totals = {name: np.linspace(1e6, 4e6, len(keys)) * (i + 1) for i, name in enumerate(res.methods)}
    totals["unknown"] = np.ones(len(keys))  # no back-test: no interval
    together = intervals(res, totals, 4, keys)
    assert list(together) == [*res.methods, "unknown"]
    for name in res.methods:
        lower, upper = interval(res, name, 4, totals[name], keys)
        np.testing.assert_array_equal(together[name][0], lower)
        np.testing.assert_array_equal(together[name][1], upper)
    assert np.isnan(together["unknown"]).all()
    # by hand, run-rate on the first series at April: the k-th smallest |relative error| of its years with
    # n = 7 (k = ceil(8 x 0.8) = 7, the largest), times the forecast
    f = res.frame
    f = f[(f["method"] == "run_rate") & (f["month"] == 4) & (f["function_code"] == "5.38.38")]
    rel = ((f["actual_dkk"] - f["forecast_dkk"]) / f["forecast_dkk"].abs()).abs()
    assert len(rel) == 7
    half = rel.max() * totals["run_rate"][0]
    assert together["run_rate"][1][0] - totals["run_rate"][0] == pytest.approx(half, rel=1e-12)
    assert totals["run_rate"][0] - together["run_rate"][0][0] == pytest.approx(half, rel=1e-12)


def test_default_methods_run_on_a_small_ledger():
    led, budgets = known_series()
    res = backtest(led[led["function_code"] == "5.38.50"], budgets=budgets)
    assert {"theta", "ets", "arima", "combination"} <= set(res.summary().index)
    assert [m.name for m in default_methods(statistical=False)][:2] == ["run_rate", "last_year_profile"]
