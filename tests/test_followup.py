"""The monthly follow-up: profile, split, what moved, and the journal of August then September (re-run unchanged,
re-run after a changed posting) through ``analysis followup`` on a tiny hand-made warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import followup as fu
from analysis.cli import main

MUNI = 706
AREAS = ("5.38.50", "5.38.52")


def _ledger() -> pd.DataFrame:
    """Two areas, 2021-2024 complete and 2025 to September; January is twice an ordinary month (a profile of 13)."""
    rows = []
    for code, level in zip(AREAS, (100_000.0, 50_000.0), strict=True):
        for year in range(2021, 2026):
            for month in range(1, 13 if year < 2025 else 10):
                growth = 1.02 ** (year - 2019)
                wobble = 1 + 0.01 * ((year * 7 + month * 3) % 5 - 2)  # a little noise for the models
                base = level * growth * (2 if month == 1 else 1)
                rows.append((MUNI, code, year, month, round(base * (wobble if year < 2025 else 1.0))))
    return pd.DataFrame(rows, columns=["municipality_code", "function_code", "year", "month", "spending_dkk"])


@pytest.fixture
def warehouse(tmp_path):
    from analysis.data import connect, load

    path = tmp_path / "own.duckdb"
    con = connect(path, read_only=False)
    led = _ledger()
    load(con, "ledger", led, source="test")
    budgets = pd.DataFrame(
        {
            "municipality_code": MUNI,
            "year": 2025,
            "function_code": list(AREAS),
            "budget_dkk": [1.43e6, 0.65e6],
        }
    )
    load(con, "budgets", budgets, source="test")
    activity = pd.DataFrame(
        {
            "municipality_code": MUNI,
            "year": 2024,
            "function_code": list(AREAS),
            "paragraph": ["§108", "§107"],
            "provider": "internal",
            "full_year_persons": [10.0, 5.0],
            "spending_dkk": [1.3e6, 0.6e6],
        }
    )
    load(con, "activity", activity, source="test")
    munis = pd.DataFrame(
        {
            "municipality_code": MUNI,
            "municipality": "Syddjurs",
            "region": "Region Midtjylland",
            "municipality_group": "Landkommuner",
            "year": [2024, 2025],
            "population": 42_000,
            "population_18_64": 24_000,
            "socioeconomic_index": 1.0,
            "population_density": 60.0,
        }
    )
    load(con, "municipalities", munis, source="test")
    con.close()
    return path


def _journal(path, latest=False):
    from analysis.data import connect, journal

    con = connect(path)
    try:
        return journal.followup_journal(con, MUNI, 2025, latest=latest)
    finally:
        con.close()


def _run(path, month, capsys):
    code = main(
        [
            "followup",
            "--municipality",
            str(MUNI),
            "--year",
            "2025",
            "--month",
            str(month),
            "--warehouse",
            str(path),
            "--first-year",
            "2019",
            "--no-report",
        ]
    )
    assert code == 0
    return capsys.readouterr().out


def test_monthly_profile_is_the_mean_share_of_the_complete_years():
    p = fu.monthly_profile(_ledger()[lambda d: d.function_code == "5.38.52"], 2025, years=3)
    assert p.loc["5.38.52", list(range(1, 13))].sum() == pytest.approx(1.0)
    assert int(p.loc["5.38.52", "years"]) == 3
    # January about 2/13 of the year, February 1/13 (the noise is 1 % at most)
    assert p.loc["5.38.52", 1] == pytest.approx(2 / 13, rel=0.03)
    assert p.loc["5.38.52", 2] == pytest.approx(1 / 13, rel=0.03)
    flat = fu.monthly_profile(_ledger()[lambda d: d.year == 2025], 2025)
    assert flat.loc["5.38.50", 5] == pytest.approx(1 / 12) and int(flat.loc["5.38.50", "years"]) == 0


def test_the_deviation_splits_into_quantity_price_and_budget_against_assumptions():
    j = pd.DataFrame(
        {
            "function_code": ["a", "b"],
            "budget_dkk": [90.0, 50.0],
            "forecast_dkk": [132.0, 40.0],
            "full_year_persons": [60.0, np.nan],
        }
    )
    a = pd.DataFrame(
        {"function_code": ["a", "a"], "full_year_persons": [30.0, 20.0], "amount_dkk": [60.0, 40.0]}
    )
    r = fu.split_deviation(j, a).set_index("function_code")
    # a: assumed 50 persons at 2.0 = 100; forecast 60 persons at 2.2: quantity +20, price +12, budget 10 below
    assert r.loc["a", ["quantity_dkk", "price_effect_dkk", "budget_gap_dkk", "deviation_dkk"]].tolist() == (
        pytest.approx([20.0, 12.0, 10.0, 42.0])
    )
    assert np.isnan(r.loc["b", "quantity_dkk"]) and r.loc["b", "deviation_dkk"] == -10.0


def test_moved_splits_the_change_of_the_forecast_into_persons_and_price():
    prev = pd.DataFrame(
        {
            "function_code": ["a", "b"],
            "forecast_dkk": [100.0, 50.0],
            "full_year_persons": [10.0, 5.0],
            "price_dkk": [10.0, 10.0],
            "booked_dkk": [60.0, 30.0],
        }
    )
    cur = pd.DataFrame(
        {
            "function_code": ["a", "b"],
            "forecast_dkk": [99.0, 60.0],
            "full_year_persons": [9.0, 5.0],
            "price_dkk": [11.0, 12.0],
            "booked_dkk": [70.0, 36.0],
        }
    )
    m = fu.moved(cur, prev)
    assert m.index.tolist() == ["b", "a"]  # the larger change first
    assert m.loc["a", ["change_dkk", "quantity_dkk", "price_effect_dkk"]].tolist() == pytest.approx(
        [-1.0, -10.0, 9.0]
    )
    assert m.loc["b", ["quantity_dkk", "price_effect_dkk", "booked_in_month_dkk"]].tolist() == pytest.approx(
        [0.0, 10.0, 6.0]
    )
    assert fu.moved(cur, None).empty


def test_the_fingerprint_follows_the_rows_not_their_order():
    led = _ledger()
    empty = pd.DataFrame(columns=["municipality_code", "year"])
    f = fu.data_fingerprint(MUNI, 2025, 8, led, empty, empty, empty)
    assert fu.data_fingerprint(MUNI, 2025, 8, led.sample(frac=1, random_state=1), empty, empty, empty) == f
    later = led.copy()
    later.loc[(later.year == 2025) & (later.month == 9), "spending_dkk"] += 1  # after August: not read
    assert fu.data_fingerprint(MUNI, 2025, 8, later, empty, empty, empty) == f
    changed = led.copy()
    changed.loc[(changed.year == 2025) & (changed.month == 8), "spending_dkk"] += 1
    assert fu.data_fingerprint(MUNI, 2025, 8, changed, empty, empty, empty) != f


def test_the_fingerprint_covers_the_earlier_years_and_the_cases_the_followup_reads():
    led = _ledger()
    empty = pd.DataFrame(columns=["municipality_code", "year"])
    cases = pd.DataFrame({"municipality_code": [MUNI], "person_id": ["P-1"], "function_code": ["5.38.50"]})

    def fingerprint(ledger=led, cs=cases):
        return fu.data_fingerprint(MUNI, 2025, 8, ledger, empty, empty, empty, cases=cs, first_year=2022)

    f = fingerprint()
    corrected = led.copy()  # a corrected posting of March 2024: the profile and the back-test read it
    corrected.loc[(corrected.year == 2024) & (corrected.month == 3), "spending_dkk"] += 1
    assert fingerprint(corrected) != f
    assert fu.data_fingerprint(MUNI, 2025, 8, corrected, empty, empty, empty) == fu.data_fingerprint(
        MUNI, 2025, 8, led, empty, empty, empty
    )  # without first_year only the year, as before
    december = led.copy()  # every month of an earlier year, not only those up to August
    december.loc[(december.year == 2024) & (december.month == 12), "spending_dkk"] += 1
    assert fingerprint(december) != f
    before = led.copy()  # a year before first_year is not read
    before.loc[(before.year == 2021) & (before.month == 3), "spending_dkk"] += 1
    assert fingerprint(before) == f
    assert fingerprint(cs=cases.assign(function_code="5.38.52")) != f
    other = pd.concat([cases, cases.assign(municipality_code=101, person_id="P-2")])  # another municipality's
    assert fingerprint(cs=other) == f


def test_a_corrected_posting_of_last_year_records_a_new_version_not_unchanged(warehouse, capsys):
    # last year's March is in the monthly profile and the back-test: the budget to date and the forecast move, and
    # the journal said 'unchanged' and the report showed the old figures
    _run(warehouse, 8, capsys)
    from analysis.data import connect

    con = connect(warehouse, read_only=False)
    con.execute("UPDATE ledger SET spending_dkk = spending_dkk * 3 WHERE year = 2024 AND month = 3")
    con.close()
    assert "Recorded the follow-up of 8/2025 as version 2" in _run(warehouse, 8, capsys)
    old, new = (
        _journal(warehouse, latest=False).query(f"version == {v}").set_index("function_code") for v in (1, 2)
    )
    # 2024 in the profile: Jan-Aug 11 of 15 months' worth (January twice, March three times), not 9 of 13; the mean
    # of 2022-2024's shares rises by a third of the difference (up to the little noise of the ledger)
    rise = (11 / 15 - 9 / 13) / 3
    assert (new.budget_to_date_dkk - old.budget_to_date_dkk).tolist() == pytest.approx(
        [1.43e6 * rise, 0.65e6 * rise], rel=0.02
    )
    assert "unchanged since version 2" in _run(warehouse, 8, capsys)


def test_starts_and_ends_count_persons_in_the_month():
    cases = pd.DataFrame(
        {
            "municipality_code": MUNI,
            "person_id": ["p1", "p2", "p3", "p3", "p4"],
            "function_code": ["5.38.50"] * 4 + [None],
            "start_date": pd.to_datetime(
                ["2025-09-03", "2025-01-01", "2025-09-10", "2025-09-20", "2025-09-01"]
            ),
            "end_date": pd.to_datetime([None, "2025-09-30", None, None, None]),
        }
    )
    r = fu.starts_and_ends(cases, MUNI, 2025, 9).loc["5.38.50"]
    assert (r.started, r.ended, r.running) == (2, 1, 2)  # p1 and p3 (twice) started, p2 ended


def _annex_cases() -> pd.DataFrame:
    """Five cases around September 2025: two start in it, one ends in it, one does both, one is outside it."""
    return pd.DataFrame(
        {
            "municipality_code": MUNI,
            "case_id": ["c1", "c2", "c3", "c4", "c5"],
            "person_id": [
                "P-0000-0000-0000-00a1",
                "P-0000-0000-0000-00a2",
                "P-0000-0000-0000-00a3",
                "P-0000-0000-0000-00a4",
                "P-0000-0000-0000-00a5",
            ],
            "function_code": ["5.38.52", "5.38.50", "5.38.50", "5.38.50", "5.38.50"],
            "paragraph": ["§107", "§108", "§108", "§85", "§108"],
            "provider": ["external", "internal", "external", "internal", "internal"],
            "start_date": pd.to_datetime(
                ["2025-09-15", "2025-09-01", "2024-03-01", "2025-09-02", "2025-08-01"]
            ),
            "end_date": pd.to_datetime([None, None, "2025-09-30", "2025-09-20", "2025-08-31"]),
            "monthly_cost_dkk": [61_000.0, 38_500.0, 52_250.0, 9_900.0, 40_000.0],
        }
    )


def test_the_case_list_holds_the_months_starts_and_ends_by_area_under_pseudonym():
    annex = fu.case_list(_annex_cases(), MUNI, 2025, 9)
    # by hand: 5.38.50 starts c2 (1 Sep) and c4 (2 Sep), ends c4 (20 Sep) and c3 (30 Sep); 5.38.52 starts c1;
    # c5 ended in August and is not listed
    got = annex.assign(date=annex["date"].dt.strftime("%Y-%m-%d")).values.tolist()
    assert got == [
        ["5.38.50", "start", "2025-09-01", "P-0000-0000-0000-00a2", "§108", "internal", 38_500.0],
        ["5.38.50", "start", "2025-09-02", "P-0000-0000-0000-00a4", "§85", "internal", 9_900.0],
        ["5.38.50", "end", "2025-09-20", "P-0000-0000-0000-00a4", "§85", "internal", 9_900.0],
        ["5.38.50", "end", "2025-09-30", "P-0000-0000-0000-00a3", "§108", "external", 52_250.0],
        ["5.38.52", "start", "2025-09-15", "P-0000-0000-0000-00a1", "§107", "external", 61_000.0],
    ]
    # the same cases as the counts: 2 started and 2 ended on 5.38.50, 1 started on 5.38.52
    counts = fu.starts_and_ends(_annex_cases(), MUNI, 2025, 9)
    assert counts.loc["5.38.50", ["started", "ended"]].tolist() == [2, 2]
    assert counts.loc["5.38.52", ["started", "ended"]].tolist() == [1, 0]
    assert fu.case_list(_annex_cases(), MUNI, 2025, 7).empty


def test_the_case_list_refuses_a_person_id_that_is_not_a_pseudonym():
    cases = _annex_cases()
    cases.loc[0, "person_id"] = "010203-1234"  # a CPR number that was never pseudonymised
    with pytest.raises(ValueError, match="not a pseudonym") as e:
        fu.case_list(cases, MUNI, 2025, 9)
    assert "010203" not in str(e.value)


def test_the_annex_table_shows_the_cases_in_danish():
    from analysis.reporting.rounds import case_annex_table

    html = case_annex_table(fu.case_list(_annex_cases(), MUNI, 2025, 9), {"5.38.50": "Botilbud"})
    assert html.count("P-0000-0000-0000-00a4") == 2 and ">Startet<" in html and ">Stoppet<" in html
    assert ">38.500 kr.<" in html and ">20. september 2025<" in html and ">ekstern<" in html
    assert ">Botilbud<" in html and ">5.38.52<" in html  # a code without a name stays a code
    assert case_annex_table(fu.case_list(_annex_cases(), MUNI, 2025, 7), {}) is None


def test_a_journal_of_august_then_september_rerun_unchanged_and_after_a_changed_posting(warehouse, capsys):
    out = _run(warehouse, 8, capsys)
    assert "Recorded the follow-up of 8/2025 as version 1 (2 areas)" in out
    aug = _journal(warehouse).set_index("function_code")
    # booked January-August 2025: 2 x level x 1.02^6 + 7 x level x 1.02^6 (rounded to the krone per month)
    level = 100_000 * 1.02**6
    assert aug.loc["5.38.50", "booked_dkk"] == pytest.approx(round(2 * level) + 7 * round(level))
    # the budget to date by the profile: about 9/13 of the year (January counts twice), not 8/12
    assert aug.loc["5.38.50", "budget_to_date_dkk"] == pytest.approx(1.43e6 * 9 / 13, rel=0.01)
    assert aug.loc["5.38.50", "budget_dkk"] == 1.43e6
    assert (aug["version"] == 1).all() and aug["budget_version"].isna().all()
    assert aug.loc["5.38.50", "full_year_persons"] == pytest.approx(10.0)  # last year's persons, no cases
    assert aug.loc["5.38.50", "price_dkk"] == pytest.approx(aug.loc["5.38.50", "forecast_dkk"] / 10.0)

    out = _run(warehouse, 9, capsys)
    assert "as version 1" in out
    out = _run(warehouse, 9, capsys)
    assert "unchanged since version 1 of 9/2025: nothing recorded" in out
    assert len(_journal(warehouse)) == 4

    from analysis.data import connect

    con = connect(warehouse, read_only=False)
    con.execute(
        "UPDATE ledger SET spending_dkk = spending_dkk + 250000 WHERE year = 2025 AND month = 8 "
        "AND function_code = '5.38.50'"
    )
    con.close()
    out = _run(warehouse, 8, capsys)
    assert "Recorded the follow-up of 8/2025 as version 2" in out
    every = _journal(warehouse)
    assert len(every) == 6
    old = every[(every.month == 8) & (every.version == 1)].set_index("function_code")
    new = every[(every.month == 8) & (every.version == 2)].set_index("function_code")
    pd.testing.assert_frame_equal(old, aug)  # the first version is kept as it was
    assert new.loc["5.38.50", "booked_dkk"] == aug.loc["5.38.50", "booked_dkk"] + 250_000
    assert new.loc["5.38.52", "booked_dkk"] == aug.loc["5.38.52", "booked_dkk"]
    assert old["data_fingerprint"].iloc[0] != new["data_fingerprint"].iloc[0]
    latest = _journal(warehouse, latest=True)
    assert sorted(zip(latest.month, latest.version, strict=True)) == [(8, 2), (8, 2), (9, 1), (9, 1)]


def test_a_followup_is_measured_against_the_recorded_budget_assumptions(warehouse, capsys):
    code = main(
        [
            "budget",
            "--municipality",
            str(MUNI),
            "--year",
            "2025",
            "--warehouse",
            str(warehouse),
            "--trend-years",
            "0",
            "--price-growth",
            "0",
        ]
    )
    assert code == 0
    assert "Recorded as version 1" in capsys.readouterr().out
    _run(warehouse, 8, capsys)
    aug = _journal(warehouse).set_index("function_code")
    assert (aug["budget_version"] == 1).all()
    # assumptions: 2024's 10 persons at 130,000 kr. (no trend, no price growth, the same 18-64 population)
    split = fu.split_deviation(aug.reset_index(), _assumptions(warehouse)).set_index("function_code")
    r = split.loc["5.38.50"]
    assert (r.assumed_persons, r.assumed_price_dkk) == (10.0, pytest.approx(130_000.0))
    assert r.quantity_dkk == pytest.approx(0.0)  # forecast persons = last year's = assumed
    assert r.budget_gap_dkk == pytest.approx(1.3e6 - 1.43e6)
    assert r.quantity_dkk + r.price_effect_dkk + r.budget_gap_dkk == pytest.approx(
        r.forecast_dkk - r.budget_dkk
    )


def _assumptions(path):
    from analysis.data import connect, journal

    con = connect(path)
    try:
        return journal.budget_assumptions(con, MUNI, 2025)
    finally:
        con.close()


def test_a_month_that_is_not_booked_yet_is_refused(warehouse, capsys):
    assert (
        main(
            [
                "followup",
                "--municipality",
                str(MUNI),
                "--year",
                "2026",
                "--month",
                "3",
                "--warehouse",
                str(warehouse),
            ]
        )
        == 2
    )
    assert "the ledger has no posting of 706 in 2026 up to month 3" in capsys.readouterr().err


def test_a_month_beyond_the_ledgers_last_posting_is_refused_not_read_as_zero():
    # the ledger holds 2025 to September: October would be a follow-up with October booked at 0 kr. (booked to date
    # Jan-Sep against the budget to date Jan-Oct, an underspend that is not there)
    budgets = pd.DataFrame(
        {"municipality_code": MUNI, "year": 2025, "function_code": list(AREAS), "budget_dkk": [120.0, 45.0]}
    )
    with pytest.raises(ValueError, match="the ledger of 706 holds 2025 up to month 9: month 10 is beyond it; load the "
                       "ledger through month 10, or follow up month 9"):  # fmt: skip
        fu.followup(_ledger(), budgets, MUNI, 2025, 10, forecaster=_total_forecaster)
    assert len(fu.followup(_ledger(), budgets, MUNI, 2025, 9, forecaster=_total_forecaster)) == 2


def test_analysis_followup_of_a_month_beyond_the_ledger_says_so_and_records_nothing(warehouse, capsys):
    args = ["followup", "--municipality", str(MUNI), "--year", "2025", "--month", "11", "--warehouse",
            str(warehouse), "--first-year", "2019", "--no-report"]  # fmt: skip
    assert main(args) == 2
    assert "holds 2025 up to month 9: month 11 is beyond it" in capsys.readouterr().err
    assert _journal(warehouse).empty


def test_the_followup_reports_tables_suppress_small_groups_and_show_the_moves():
    from analysis.reporting.rounds import FollowupReport, followup_tables

    rows = pd.DataFrame(
        {
            "municipality_code": MUNI,
            "year": 2025,
            "month": 9,
            "function_code": ["5.38.50", "5.38.52"],
            "budget_dkk": [10e6, 5e6],
            "budget_to_date_dkk": [7e6, 3.5e6],
            "booked_dkk": [7.5e6, 3.0e6],
            "forecast_dkk": [11e6, 4.5e6],
            "lower_dkk": [10e6, np.nan],
            "upper_dkk": [12e6, np.nan],
            "full_year_persons": [10.0, 5.0],
            "price_dkk": [1.1e6, 0.9e6],
        }
    )
    prev = rows.assign(
        month=8,
        forecast_dkk=[10e6, 4.5e6],
        full_year_persons=[10.0, 5.0],
        price_dkk=[1e6, 0.9e6],
        booked_dkk=[6.5e6, 2.6e6],
    )
    starts = pd.DataFrame(
        {"started": [2, 6], "ended": [0, 7], "running": [40, 30]}, index=["5.38.50", "5.38.52"]
    )
    rep = FollowupReport(
        rows=fu.with_total(rows),
        recorded=True,
        version=1,
        created_at="2025-10-05T08:00:00+00:00",
        previous=prev,
        moved=fu.moved(rows, prev),
        history=pd.DataFrame(
            {
                "month": [8, 9],
                "forecast_dkk": [14.5e6, 15.5e6],
                "booked_dkk": [9.1e6, 10.5e6],
                "budget_dkk": [15e6, 15e6],
                "budget_to_date_dkk": [9.5e6, 10.5e6],
                "version": [1, 1],
            }
        ),
        starts=starts,
        budget_version=None,
    )
    t = followup_tables(rep, {"5.38.50": "Botilbud"}, 9)
    assert ">I alt<" in t["areas"] and ">15,5<" in t["areas"] and ">10,0-12,0<" in t["areas"]
    assert t["split"] is None  # no assumptions recorded
    # 5.38.50 moved +1.0 mio. kr., all of it price (same persons); 5.38.52 did not move
    assert (
        ">Prognose august<" in t["moved"] and ">+1,0<" in t["moved"] and ">Bogført i september<" in t["moved"]
    )
    assert ">August<" in t["history"] and ">September<" in t["history"]
    # 2 started on 5.38.50: a small group ('<5'); the next smallest of the column (6) is hidden only so that the 2
    # cannot be worked out from the total (8): 'x', with the footnote that says so
    assert t["starts"].count(">&lt;5<") == 1 and t["starts"].count(">x<") == 1
    assert ">8<" in t["starts"] and ">0<" in t["starts"] and ">6<" not in t["starts"]
    assert "skjult, så mindre grupper ikke kan regnes ud" in t["starts"]


def test_the_followup_reports_cells_are_danish_mio_kr_with_one_sign_rule():
    from analysis.reporting.rounds import FollowupReport, followup_tables

    # one area: budget 10 mio., forecast 11,25 mio.; assumed 9,5 persons at 1,0 mio., forecast 10,0 persons
    rows = pd.DataFrame(
        {
            "municipality_code": MUNI, "year": 2025, "month": 9, "function_code": ["5.38.50"],
            "budget_dkk": [10e6], "budget_to_date_dkk": [7.5e6], "booked_dkk": [8.04e6], "forecast_dkk": [11.25e6],
            "lower_dkk": [10.449e6], "upper_dkk": [12.05e6], "full_year_persons": [10.0], "price_dkk": [1.125e6],
            "assumed_persons": [9.5], "deviation_dkk": [1.25e6], "quantity_dkk": [0.5e6],
            "price_effect_dkk": [0.8e6], "budget_gap_dkk": [-0.049e6],
        }
    )  # fmt: skip
    rep = FollowupReport(
        rows=fu.with_total(rows), recorded=True, version=1, created_at="2025-10-05T08:00:00+00:00", previous=None,
        moved=pd.DataFrame(), history=pd.DataFrame(), starts=pd.DataFrame(), budget_version=2,
    )  # fmt: skip
    t = followup_tables(rep, {"5.38.50": "Botilbud"}, 9)
    # Afvigelse 11,25 - 10 = +1,25 mio. -> '+1,3' (half away from zero); booked 8,04 -> '8,0'
    assert ">+1,3<" in t["areas"] and ">8,0<" in t["areas"] and ">11,3<" in t["areas"]
    assert ">10,4-12,1<" in t["areas"]  # 10,449 -> 10,4; 12,05 -> 12,1
    assert "til og med september" in t["areas"]
    # the split: persons with one decimal, effects signed; -0,049 mio. rounds to 0,0 and has no sign
    assert ">9,5<" in t["split"] and ">10,0<" in t["split"]
    assert ">+0,5<" in t["split"] and ">+0,8<" in t["split"] and ">0,0<" in t["split"]
    assert "-0,0" not in t["split"] and "+0,0" not in t["split"] and "version 2" in t["split"]
    assert t["moved"] is None and t["history"] is None and t["starts"] is None


def test_analysis_followup_renders_the_report_unless_told_not_to(warehouse, tmp_path, capsys, monkeypatch):
    import analysis.reporting.runner as runner

    calls = []

    class Summary:
        folder, reports, failed = tmp_path, [], []

    monkeypatch.setattr(runner, "run_batch", lambda batch, **kw: calls.append((batch, kw)) or Summary())
    _run(warehouse, 8, capsys)  # --no-report
    assert calls == []
    args = [
        "followup",
        "--municipality",
        str(MUNI),
        "--year",
        "2025",
        "--month",
        "8",
        "--warehouse",
        str(warehouse),
    ]
    assert main([*args, "--output", str(tmp_path / "out")]) == 0
    ((batch, kw),) = calls
    assert batch.notebooks == ["followup"] and batch.municipality_codes() == [MUNI]
    assert batch.parameters == {"last_year": 2025, "as_of_month": 8, "first_year": 2018}
    assert kw["output"] == str(tmp_path / "out") and kw["warehouse"] == warehouse


def test_the_fingerprint_before_forecasting_is_the_one_recorded(warehouse, capsys):
    # `analysis followup` compares it first, so that a re-run on unchanged data needs no forecast
    from analysis.data import connect
    from analysis.reporting import rounds

    _run(warehouse, 8, capsys)
    con = connect(warehouse)
    try:
        fingerprint, _ = rounds.current_fingerprint(con, MUNI, 2025, 8, first_year=2019)  # as _run
    finally:
        con.close()
    assert _journal(warehouse)["data_fingerprint"].unique().tolist() == [fingerprint]


def _page_report(recorded=True, budget_version=2, previous_persons=(10.0, 5.0), history=True):
    """A follow-up of September of two areas with the split and a recorded August, every figure by hand."""
    from analysis.reporting.rounds import FollowupReport

    rows = pd.DataFrame(
        {
            "municipality_code": MUNI,
            "year": 2025,
            "month": 9,
            "function_code": ["5.38.50", "5.38.52"],
            "budget_dkk": [10e6, 5e6],
            "budget_to_date_dkk": [7e6, 3e6],
            "booked_dkk": [7.5e6, 3.0e6],
            "forecast_dkk": [11e6, 4.5e6],
            "lower_dkk": [10e6, np.nan],
            "upper_dkk": [12e6, np.nan],
            "full_year_persons": [10.0, 5.0],
            "price_dkk": [1.1e6, 0.9e6],
            "quantity_dkk": [1.5e6, -0.2e6],
            "price_effect_dkk": [-0.3e6, -0.1e6],
            "budget_gap_dkk": [-0.2e6, -0.2e6],
        }
    )
    # August: 5.38.50 at 10 persons x 1.0 mio. kr. (or 9 x 1.1), 5.38.52 at 5 x 0.94 mio. kr.
    prices = [1e6, 0.94e6] if previous_persons[0] == 10.0 else [1.1e6, 0.94e6]
    prev = rows.assign(
        month=8,
        full_year_persons=list(previous_persons),
        price_dkk=prices,
        forecast_dkk=[previous_persons[0] * prices[0], 4.7e6],
        booked_dkk=[6.5e6, 2.6e6],
    )
    return FollowupReport(
        rows=fu.with_total(rows),
        recorded=recorded,
        version=1 if recorded else None,
        created_at="2025-10-05T08:00:00+00:00" if recorded else None,
        previous=prev,
        moved=fu.moved(rows, prev),
        history=pd.DataFrame(
            {
                "month": [8, 9] if history else [],
                "forecast_dkk": [15.2e6, 15.5e6] if history else [],
                "booked_dkk": [9.1e6, 10.5e6] if history else [],
                "budget_dkk": [15e6, 15e6] if history else [],
                "budget_to_date_dkk": [9.0e6, 10.0e6] if history else [],
                "version": [1, 1] if history else [],
            }
        ),
        starts=pd.DataFrame(),
        budget_version=budget_version,
    )


NAMES = {"5.38.50": "Botilbud", "5.38.52": "Midlertidige botilbud"}


def test_the_followup_pages_summary_states_forecast_booking_split_and_moves():
    from analysis.reporting import followup_page as page

    items = page.summary_items(_page_report(), NAMES, 2025, 9)
    assert [k for k, _ in items] == [
        "Prognose for 2025",
        "Bogført til og med september",
        "Afvigelsen",
        "Siden august",
        "Journal",
    ]
    s = dict(items)
    # 15.5 mio. kr. forecast against 15.0 budget: +0.5 = 3.3 %
    assert s["Prognose for 2025"] == "15,5 mio. kr., +0,5 mio. kr. (3,3 %) mod budgettet"
    assert s["Bogført til og med september"] == "10,5 mio. kr. mod 10,0 mio. kr. i budgettet til dato"
    assert s["Afvigelsen"] == (
        "+1,3 mio. kr. fra antallet af helårspersoner, -0,4 mio. kr. fra prisen, -0,4 mio. kr. fra budget mod "
        "forudsætninger (version 2)"
    )
    # 5.38.50 moved +1.0 mio. kr. at the same 10 persons (all price), 5.38.52 -0.2: +0.8 in all
    assert s["Siden august"] == "prognosen i alt +0,8 mio. kr.; mest botilbud (+1,0 mio. kr., mest pris)"
    assert s["Journal"] == "version 1, registreret 2025-10-05"
    # 9 persons at 1.1 mio. kr. in August: 5.38.50's +1.1 mio. kr. is all persons
    s = dict(page.summary_items(_page_report(previous_persons=(9.0, 5.0)), NAMES, 2025, 9))
    assert s["Siden august"] == "prognosen i alt +0,9 mio. kr.; mest botilbud (+1,1 mio. kr., mest mængde)"
    rep = _page_report(recorded=False, budget_version=None)
    rep.previous = None
    s = dict(page.summary_items(rep, NAMES, 2025, 9))
    assert "Afvigelsen" not in s and "Siden august" not in s
    assert s["Journal"] == "ikke journaliseret: måneden er ikke gemt i værktøjets journal"
    assert page.previous_month_name(1) == "måneden før" and page.previous_month_name(9) == "august"


def test_an_area_without_assumptions_is_the_unsplit_rest_so_that_the_parts_add_up_to_the_deviation():
    from analysis.reporting import followup_page as page
    from analysis.reporting.rounds import FollowupReport, followup_tables

    # 5.38.50: budget 10, forecast 11 mio. kr. at 10 persons; assumed 9.5 persons for 9.5 mio. kr. (1 mio. each):
    #   quantity (10 - 9.5) x 1 = +0.5, budget gap 9.5 - 10 = -0.5, price 1.0 - 0.5 + 0.5 = +1.0
    # 5.28.20 (children, not in the adult budget model): budget 5, forecast 5.6 at 20 persons, not split: +0.6
    # in all +1.6 = 0.5 + 1.0 - 0.5 + 0.6; before, the total said +0.5, +1.0 and -0.5 of a deviation of +1.6
    rows = pd.DataFrame(
        {
            "municipality_code": MUNI, "year": 2025, "month": 9, "function_code": ["5.38.50", "5.28.20"],
            "budget_dkk": [10e6, 5e6], "budget_to_date_dkk": [7e6, 3.5e6], "booked_dkk": [7.5e6, 4e6],
            "forecast_dkk": [11e6, 5.6e6], "lower_dkk": [10e6, 5e6], "upper_dkk": [12e6, 6e6],
            "full_year_persons": [10.0, 20.0], "price_dkk": [1.1e6, 0.28e6],
        }
    )  # fmt: skip
    assumptions = pd.DataFrame(
        {"function_code": ["5.38.50"], "full_year_persons": [9.5], "amount_dkk": [9.5e6]}
    )
    split = fu.with_total(fu.split_deviation(rows, assumptions))
    total = split.iloc[-1]
    assert split["unsplit_dkk"].iloc[:2].tolist()[1] == pytest.approx(0.6e6) and np.isnan(
        split["unsplit_dkk"][0]
    )
    parts = total[["quantity_dkk", "price_effect_dkk", "budget_gap_dkk", "unsplit_dkk"]].astype(float)
    assert parts.tolist() == pytest.approx([0.5e6, 1.0e6, -0.5e6, 0.6e6])
    assert parts.sum() == pytest.approx(total.deviation_dkk) == pytest.approx(1.6e6)

    rep = FollowupReport(
        rows=split, recorded=True, version=1, created_at="2025-10-05T08:00:00+00:00", previous=None,
        moved=pd.DataFrame(), history=pd.DataFrame(), starts=pd.DataFrame(), budget_version=1,
    )  # fmt: skip
    assert dict(page.summary_items(rep, NAMES, 2025, 9))["Afvigelsen"] == (
        "+0,5 mio. kr. fra antallet af helårspersoner, +1,0 mio. kr. fra prisen, -0,5 mio. kr. fra budget mod "
        "forudsætninger (version 1); +0,6 mio. kr. ikke delt (1 område uden budgetforudsætninger eller "
        "helårspersoner)"
    )
    t = followup_tables(rep, NAMES, 9)["split"]
    assert ">Ikke delt<" in t and ">+0,6<" in t and "helårspersonerne i alt er de delte områders" in t
    # the total's persons: the 9.5 assumed beside the 10.0 forecast of the same area, not 30.0 of both areas
    total_row = t[t.index(">I alt<") :]
    assert ">9,5<" in total_row and ">10,0<" in total_row and ">30,0<" not in total_row


def test_a_fully_split_followup_has_no_unsplit_column_or_rest():
    from analysis.reporting import followup_page as page
    from analysis.reporting.rounds import followup_tables

    rep = _page_report()
    both = pd.DataFrame(
        {"function_code": list(AREAS), "full_year_persons": [9.0, 5.0], "amount_dkk": [9e6, 5e6]}
    )
    rep.rows = fu.with_total(fu.split_deviation(rep.rows.iloc[:-1], both))
    assert "ikke delt" not in dict(page.summary_items(rep, NAMES, 2025, 9))["Afvigelsen"]
    assert "Ikke delt" not in followup_tables(rep, NAMES, 9)["split"]
    assert "Ikke delt" not in followup_tables(rep, NAMES, 9)["moved"]


def test_a_move_on_an_area_without_persons_is_shown_as_not_split():
    from analysis.reporting.rounds import followup_tables

    # 5.38.52 has no persons in August: its -0.2 mio. kr. (4.7 -> 4.5) is neither quantity nor price
    rep = _page_report(budget_version=None)
    rep.previous = rep.previous.assign(full_year_persons=[10.0, np.nan])
    rep.moved = fu.moved(rep.rows.iloc[:-1], rep.previous)
    t = followup_tables(rep, NAMES, 9)["moved"]
    assert ">Heraf ikke delt<" in t and ">-0,2<" in t and "uden helårspersoner i begge måneder" in t


def test_the_journal_line_names_the_version_replaced_or_out_of_date():
    from analysis.reporting import followup_page as page

    earlier = pd.Series({"version": 1, "created_at": "2025-10-02T07:00:00+00:00", "forecast_dkk": 15.2e6})
    rep = (
        _page_report()
    )  # version 1 shown; as version 2 it replaces version 1 of 15.2 mio.: 15.5 - 15.2 = +0.3
    rep.version, rep.earlier = 2, earlier
    assert dict(page.summary_items(rep, NAMES, 2025, 9))["Journal"] == (
        "version 2, registreret 2025-10-05; erstatter version 1 fra 2025-10-02 med prognosen 15,2 mio. kr. "
        "(+0,3 mio. kr. nu), lavet af data eller forudsætninger, der er ændret siden"
    )
    # the month is in the journal, but made from data changed since: not 'not stored'
    rep = _page_report(recorded=False)
    rep.earlier = earlier
    assert dict(page.summary_items(rep, NAMES, 2025, 9))["Journal"] == (
        "ikke journaliseret med de nuværende data: journalens version 1 fra 2025-10-02 (prognose 15,2 mio. kr.) er "
        "lavet af data eller forudsætninger, der er ændret siden; kør analysis followup for at registrere en ny "
        "version"
    )


def test_the_report_finds_the_version_out_of_date_and_then_the_one_replaced(warehouse, capsys):
    from analysis.data import connect
    from analysis.reporting.rounds import followup_report

    def report():
        con = connect(warehouse)
        try:
            return followup_report(con, MUNI, 2025, 9, first_year=2019)
        finally:
            con.close()

    _run(warehouse, 9, capsys)
    first = _journal(warehouse)
    rep = report()
    assert rep.recorded and rep.version == 1 and rep.earlier is None
    con = connect(warehouse, read_only=False)
    con.execute("UPDATE ledger SET spending_dkk = spending_dkk + 250000 WHERE year = 2025 AND month = 8")
    con.close()
    rep = report()  # the data changed after version 1: shown as computed now, version 1 named as out of date
    assert not rep.recorded and int(rep.earlier.version) == 1
    assert rep.earlier.forecast_dkk == pytest.approx(first["forecast_dkk"].sum())
    _run(warehouse, 9, capsys)
    rep = report()
    assert rep.recorded and rep.version == 2 and int(rep.earlier.version) == 1
    assert rep.earlier.created_at == first["created_at"].iloc[0]


def test_the_followup_pages_heading_names_the_municipality_officially():
    from analysis.reporting import followup_page as page

    assert page.heading(706, 2025, 9) == "Syddjurs Kommune: opfølgning til og med september 2025"
    assert page.heading(101, 2025, 1) == "Københavns Kommune: opfølgning til og med januar 2025"
    rep = _page_report()
    assert page.deviation_dkk(rep) == pytest.approx(0.5e6)
    assert page.headline_text(rep, 9) == (
        "Årsprognose 15,5 mio. kr. mod budget 15,0 mio. kr., bogføring til og med september."
    )


def test_the_history_chart_draws_the_forecast_as_reported_against_the_budget():
    import matplotlib.pyplot as plt

    from analysis.danish import MONTHS_DA_SHORT
    from analysis.reporting import followup_page as page

    fig = page.history_figure(_page_report())
    assert not plt.fignum_exists(fig.number)  # detached: shown once, where fmt.show is called
    (ax,) = fig.axes
    forecast, budget = ax.get_lines()
    assert list(forecast.get_xdata()) == [8, 9]
    assert list(forecast.get_ydata()) == pytest.approx([15.2e6, 15.5e6])
    assert list(budget.get_ydata()) == pytest.approx([15e6, 15e6])  # the year's budget, all areas
    assert ax.get_xlim() == (0.5, 11.5)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(MONTHS_DA_SHORT[:11])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Årsprognose, som rapporteret", "Budget"]
    assert page.history_figure(_page_report(history=False)) is None  # nothing recorded yet: no chart


def test_the_followup_pages_method_names_the_month_and_year():
    from analysis.reporting import followup_page as page

    text = page.method_text(2025, 9, is_sample=False)
    assert text.startswith("## Metode og data\n\n")
    assert "plejer at nå til og med september (gennemsnit af de seneste tre hele år)" in text
    assert (
        "i de tidligere år, prognosen læser, budgetter, aktivitet og sager, regnskab og forudsætninger for 2025);"
        in text
    )
    assert "eksempeldata" not in text
    assert page.method_text(2025, 3, is_sample=True).endswith(
        "ikke en ny beregning. Tallene er dannede eksempeldata, ikke en kommunes regnskab."
    )


def test_the_report_states_how_the_disposition_was_scaled_area_by_area():
    from analysis.reporting.rounds import FollowupReport, disposition_text

    rows = pd.DataFrame(
        {
            "function_code": ["5.38.50", "5.38.52", "5.38.58", fu.TOTAL],
            "method": ["disposition", "run_rate", "disposition", None],
        }
    )
    scaling = pd.DataFrame({"share": [0.88, 0.95, 0.42]}, index=["5.38.50", "5.38.52", "5.38.58"])
    rep = FollowupReport(
        rows, True, 1, None, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None, scaling
    )
    text = disposition_text(rep, {"5.38.50": "Botilbud"}, 2025, 9)
    assert (
        "i de samme måneder sidste år (oktober-december 2024), når andelen ligger mellem 50 % og 110 %"
        in text
    )
    assert "- **Botilbud:** sagerne forklarer 88 % af det bogførte; prognosen er opregnet med det." in text
    assert (
        "- **5.38.58:** sagerne forklarer 42 % af det bogførte, under mindstegrænsen på 50 %; prognosen er ikke "
        "opregnet." in text
    )
    assert "5.38.52" not in text  # its forecast is not the disposition
    rep.rows = rows.assign(method="run_rate")
    assert disposition_text(rep, {}, 2025, 9).endswith(
        "Ingen af områdernes prognoser bruger disponeringen i september."
    )
    # two areas forecast by the combination of the best methods, which may average the disposition in: the old
    # text said no forecast used it
    rep.rows = rows.assign(method=["combination", "run_rate", "combination", None])
    text = disposition_text(rep, {}, 2025, 9)
    assert text.endswith(
        "Intet område har disponeringen alene som prognose i september; de 2 områder, der bruger kombinationen "
        "af de bedste metoder, kan have disponeringen med i kombinationen."
    )
    assert "Ingen af områdernes prognoser bruger" not in text


def _total_forecaster(led, municipality_code, code, year, month, budgets, activity, cases, first_year):
    """A stand-in for area_forecast: this year's forecast and three back-tested years at the month (DKK)."""
    from types import SimpleNamespace

    forecast, past, actual = {
        "5.38.50": (110.0, [100.0, 100.0, 100.0], [103.0, 110.0, 95.0]),
        "5.38.52": (50.0, [50.0, 50.0, 50.0], [48.0, 56.0, 55.0]),
    }[code]
    frame = pd.DataFrame(
        {"method": "run_rate", "month": month, "year": [2022, 2023, 2024], "forecast_dkk": past,
         "actual_dkk": actual}
    )  # fmt: skip
    return SimpleNamespace(
        function_code=code, year=year, month=month, forecast_dkk=forecast, lower_dkk=0.9 * forecast,
        upper_dkk=1.1 * forecast, method="run_rate", ytd_dkk=0.0, drift=None,
        backtest=SimpleNamespace(frame=frame),
    )  # fmt: skip


def _total_followup(month: int = 9) -> pd.DataFrame:
    budgets = pd.DataFrame(
        {"municipality_code": MUNI, "year": 2025, "function_code": list(AREAS), "budget_dkk": [120.0, 45.0]}
    )
    return fu.followup(_ledger(), budgets, MUNI, 2025, month, forecaster=_total_forecaster)


# the total's interval by hand: this year 110 + 50 = 160; the areas' errors summed per year 2022-2024:
# (103 + 48) - 150 = 1, (110 + 56) - 150 = 16, (95 + 55) - 150 = 0, relative to 150: 0,0067 0,1067 0; with 3
# years k = ceil(0,8 x 4) = 4 capped at 3, the largest: 16 / 150; half-width 160 x 16 / 150 = 17,0667
TOTAL_LOWER, TOTAL_UPPER = 160.0 - 160.0 * 16 / 150, 160.0 + 160.0 * 16 / 150


def test_the_journal_records_the_totals_interval_and_a_followup_read_back_shows_it(own_con):
    from analysis.data import journal

    rows = _total_followup()
    assert rows["total_forecast_dkk"].tolist() == [160.0, 160.0]
    np.testing.assert_allclose(rows["total_lower_dkk"], TOTAL_LOWER)
    np.testing.assert_allclose(rows["total_upper_dkk"], TOTAL_UPPER)
    assert journal.record_followup(own_con, rows, "fingerprint-1").recorded
    back = journal.followup_journal(own_con, MUNI, 2025, 9)
    total = fu.with_total(back).set_index("function_code").loc[fu.TOTAL]
    assert total[["forecast_dkk", "total_forecast_dkk"]].tolist() == pytest.approx([160.0, 160.0])
    assert total[["lower_dkk", "upper_dkk"]].tolist() == pytest.approx([TOTAL_LOWER, TOTAL_UPPER])
    # the same total row as the follow-up computed, not the sum of the areas' bounds (99 + 45 = 144)
    computed = fu.with_total(rows).set_index("function_code").loc[fu.TOTAL]
    assert computed[["lower_dkk", "upper_dkk"]].tolist() == pytest.approx([TOTAL_LOWER, TOTAL_UPPER])


def test_a_journal_written_before_the_total_was_recorded_stays_readable_and_takes_new_versions(tmp_path):
    import dataclasses

    from analysis.data import connect, journal
    from analysis.data.schema import TABLES, ddl

    added = ("total_forecast_dkk", "total_lower_dkk", "total_upper_dkk")
    table = TABLES["followup_journal"]
    old_table = dataclasses.replace(table, columns=tuple(c for c in table.columns if c.name not in added))
    path = tmp_path / "own.duckdb"
    con = connect(path, read_only=False)
    con.execute("DROP TABLE IF EXISTS followup_journal")
    con.execute(ddl(old_table))  # the journal as the version before wrote it
    august = _total_followup(8).assign(version=1, created_at="2025-09-05T08:00", data_fingerprint="a")
    con.register("_old", august[list(old_table.column_names)])
    con.execute("INSERT INTO followup_journal SELECT * FROM _old")
    con.unregister("_old")
    con.close()

    con = connect(path)  # read-only: nothing can migrate the table
    try:
        old = journal.followup_journal(con, MUNI, 2025, 8)
    finally:
        con.close()
    assert len(old) == 2 and old[list(added)].isna().all().all()
    total = fu.with_total(old).iloc[-1]
    assert total["forecast_dkk"] == pytest.approx(160.0) and np.isnan(total["lower_dkk"])

    con = connect(path, read_only=False)
    try:
        assert journal.record_followup(con, _total_followup(9), "b").version == 1
        every = journal.followup_journal(con, MUNI, 2025)
    finally:
        con.close()
    assert every.groupby("month")["total_lower_dkk"].apply(lambda s: s.notna().all()).to_dict() == {
        8: False,
        9: True,
    }
    np.testing.assert_allclose(every.loc[every["month"] == 9, "total_upper_dkk"], TOTAL_UPPER)


def test_the_default_forecaster_skips_the_forecasts_as_of_each_earlier_month(monkeypatch):
    """The journal is the follow-up's history: area_forecast is asked for no ``as_of`` (9 runs fewer per area)."""
    import analysis.forecast

    calls = []

    def recording(*args, **kwargs):
        calls.append((args[2], kwargs))
        return _total_forecaster(*args)

    monkeypatch.setattr(analysis.forecast, "area_forecast", recording)
    budgets = pd.DataFrame(
        {"municipality_code": MUNI, "year": 2025, "function_code": list(AREAS), "budget_dkk": [120.0, 45.0]}
    )
    rows = fu.followup(_ledger(), budgets, MUNI, 2025, 9)
    assert calls == [("5.38.50", {"as_of_months": False}), ("5.38.52", {"as_of_months": False})]
    assert rows["forecast_dkk"].tolist() == [110.0, 50.0]


def test_a_fingerprint_is_never_refused_as_a_cpr_number(own_con):
    import re

    from analysis.data import journal
    from analysis.privacy import CPR_PATTERN

    # one posting of 1,021 kr.: its fingerprint was '6309816721bff113' in hexadecimal, whose '6309816721' reads as a
    # CPR number (day 63, a substitute number, of September 81): the journal's scan refused it ('expected no CPR
    # number'), so the follow-up could not be recorded; a month of the sample's Syddjurs 2025 hit it too
    led = pd.DataFrame(
        {"municipality_code": [MUNI], "function_code": ["5.38.50"], "year": [2025], "month": [1],
         "spending_dkk": [1021.0]}
    )  # fmt: skip
    empty = pd.DataFrame(columns=["municipality_code", "year"])
    f = fu.data_fingerprint(MUNI, 2025, 1, led, empty, empty, empty)
    assert re.fullmatch(r"[a-z2-7]{16}", f) and not re.search(CPR_PATTERN, f)
    rows = _total_followup(month=1).assign(budget_version=None)
    assert journal.record_followup(own_con, rows, f).recorded
    assert journal.followup_journal(own_con, MUNI, 2025, 1)["data_fingerprint"].unique().tolist() == [f]
