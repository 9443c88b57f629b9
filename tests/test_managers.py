"""The managers' tools on a hand-made offer (tests/data/offers/small-offer.yaml), every figure computed by hand.

Lost shares: 15 % of the year, 50 % in weeks 29 and 30, so the other 50 weeks lose (0.15 x 52 - 1.0) / 50 = 13.6 %.
Group A (100 paid, 90 planned): floor 86.4 in a normal week (need 3.6), 50 in a holiday week (need 40).
Group B (50 paid, 40 planned): floor 43.2 (need 0), 25 in a holiday week (need 15).
Need: 50 x 3.6 + 2 x 55 = 290 hours. Permanent staff: 52 x (100 x 350 + 50 x 300) = 2,600,000 DKK.
Room: 2,700,000 - 2,600,000 = 100,000 DKK = 250 hours at 400 DKK. Need 290 x 400 = 116,000 DKK: a deficit of 16,000.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from analysis import managers as m
from analysis.data.offers import read_offer
from analysis.errors import InputError

OFFER = Path(__file__).parent / "data" / "offers" / "small-offer.yaml"


def test_weekly_hours_of_the_issue():
    # 10.000.000 kr. at 350 kr. an hour, 20 % lost: 10e6 / 350 x 0.8 / 52 = 439.56 hours a week
    assert m.weekly_hours(10_000_000, 350, 0.20) == pytest.approx(439.5604, abs=1e-4)
    assert m.budget_for_weekly_hours(10e6 / 350 * 0.8 / 52, 350, 0.20) == pytest.approx(10_000_000)


@pytest.mark.parametrize(
    "args", [(0, 350, 0.2), (10e6, -1, 0.2), (10e6, 350, 1.0), (10e6, 350, -0.1), (10e6, "350", 0.2)]
)
def test_weekly_hours_refuses_impossible_input(args):
    with pytest.raises(InputError):
        m.weekly_hours(*args)


def test_lost_shares_keep_the_years_mean():
    lost = m.weekly_lost_shares(0.15, {29: 0.5, 30: 0.5})
    assert len(lost) == 52 and lost.loc[29] == 0.5 and lost.loc[1] == pytest.approx(0.136)
    assert lost.mean() == pytest.approx(0.15)
    with pytest.raises(InputError, match="more than the year's lost_share"):
        m.weekly_lost_shares(0.01, {28: 0.5, 29: 0.5})
    with pytest.raises(InputError, match="week numbers"):
        m.weekly_lost_shares(0.2, {53: 0.5})


def test_staffing_weeks_and_summary_match_the_hand_calculation():
    o = read_offer(OFFER)
    lost = m.weekly_lost_shares(o.lost_share, o.holiday_weeks)
    w = m.staffing_weeks(o.wage_budget_dkk, o.groups, lost, o.substitute_hourly_cost_dkk)
    normal, holiday = w.set_index("week").loc[1], w.set_index("week").loc[29]
    assert normal.paid_hours == 150 and normal.floor_hours == pytest.approx(129.6)
    assert normal.substitute_need_hours == pytest.approx(3.6)  # B's surplus does not cover A's gap
    assert holiday.floor_hours == pytest.approx(75) and holiday.substitute_need_hours == pytest.approx(55)
    assert holiday.substitute_room_hours == pytest.approx(250 * 55 / 290)
    assert holiday.uncovered_hours == pytest.approx(55 - 250 * 55 / 290)
    s = m.staffing_summary(o.wage_budget_dkk, o.groups, w, o.substitute_hourly_cost_dkk)
    assert s.permanent_dkk == pytest.approx(2_600_000)
    assert s.floor_hours_per_week == pytest.approx(127.5)  # 150 x 0.85
    assert s.substitute_room_hours == pytest.approx(250) and s.substitute_need_hours == pytest.approx(290)
    assert s.balance_dkk == pytest.approx(-16_000) and s.coverage == pytest.approx(250 / 290)
    assert s.roster_budget_dkk == pytest.approx(2_716_000)
    assert m.roster_budget(o.groups, lost, o.substitute_hourly_cost_dkk) == pytest.approx(2_716_000)


def test_the_roster_budget_balances_the_roster():
    o = read_offer(OFFER)
    lost = m.weekly_lost_shares(o.lost_share, o.holiday_weeks)
    budget = m.roster_budget(o.groups, lost, o.substitute_hourly_cost_dkk)
    w = m.staffing_weeks(budget, o.groups, lost, o.substitute_hourly_cost_dkk)
    s = m.staffing_summary(budget, o.groups, w, o.substitute_hourly_cost_dkk)
    assert s.balance_dkk == pytest.approx(0, abs=1e-6) and s.coverage == pytest.approx(1.0)
    assert w.uncovered_hours.sum() == pytest.approx(0, abs=1e-9)


def test_a_budget_below_the_permanent_staff_leaves_no_substitute_room():
    o = read_offer(OFFER)
    lost = m.weekly_lost_shares(o.lost_share, o.holiday_weeks)
    w = m.staffing_weeks(2_500_000, o.groups, lost, 400)
    s = m.staffing_summary(2_500_000, o.groups, w, 400)
    assert (w.substitute_room_hours == 0).all() and s.substitute_room_dkk == pytest.approx(-100_000)
    assert s.coverage == 0 and s.balance_dkk == pytest.approx(-100_000 - 116_000)


def test_allocation_model_rates_income_change_and_what_if():
    o = read_offer(OFFER)
    rates = m.level_rates(o.levels, o.hourly_rate_dkk, o.overhead_share, o.overhead_per_resident_dkk)
    # level 1: 5 x 52 x 400 = 104,000; overhead 10,400 + 20,000; rate 134,400
    assert rates.rate_dkk.tolist() == pytest.approx([134_400, 248_800, 477_600])
    assert rates.rate_per_day_dkk.iloc[0] == pytest.approx(134_400 / 365)
    income = m.offer_income(rates, o.residents)
    assert income.income_dkk.iloc[-1] == pytest.approx(4 * 134_400 + 3 * 248_800 + 477_600)  # 1,761,600
    assert income.level.iloc[-1] == "I alt" and income.residents.iloc[-1] == 8
    assert m.level_change_effect(rates, "1", "2", months=6) == pytest.approx((248_800 - 134_400) / 2)
    assert m.level_change_effect(rates, "3", "1") == pytest.approx(134_400 - 477_600)
    t = m.what_if(rates, o.residents, o.scenarios)
    assert t.change_dkk.tolist() == pytest.approx([0, 228_800, 134_400, -477_600])
    assert t.residents.tolist() == [8, 8, 9, 7]
    assert t.income_dkk.iloc[2] == pytest.approx(1_761_600 + 134_400)
    with pytest.raises(InputError, match="which has 0"):
        m.what_if(
            rates,
            pd.DataFrame({"level": ["1"], "residents": [1]}),
            [{"label": "x", "from_level": "3", "to_level": "1"}],
        )
    with pytest.raises(InputError, match="scenario 'ingen': a from_level .* or a to_level .* is needed"):
        m.what_if(rates, o.residents, [{"label": "ingen", "count": 2}])
    with pytest.raises(InputError, match="unknown level"):
        m.level_change_effect(rates, "1", "9")


def test_the_offer_reader_names_the_key_that_is_wrong(tmp_path):
    bad = tmp_path / "offer.yaml"
    bad.write_text(OFFER.read_text("utf-8").replace("lost_share: 0.15", "lost_share: 1.5"), "utf-8")
    with pytest.raises(InputError, match=r"offer.yaml: lost_share: .*found 1.5"):
        read_offer(bad)
    bad.write_text(OFFER.read_text("utf-8").replace("wage_budget_dkk:", "wage_budget:"), "utf-8")
    with pytest.raises(InputError, match="wage_budget_dkk: Field required"):
        read_offer(bad)
    with pytest.raises(InputError, match="no such offer file"):
        read_offer(tmp_path / "none.yaml")


def test_the_staffing_command_prints_the_danish_figures(capsys):
    from analysis.cli import main

    assert main(["staffing", str(OFFER)]) == 0
    out = capsys.readouterr().out
    # mean hourly cost (100 x 350 + 50 x 300) / 150 = 333.33; 2.7e6 / 333.33 x 0.85 / 52 = 132.4 hours a week
    assert "Timer på gulvet i gennemsnit: 132,4 timer pr. uge" in out
    assert "Plads til vikarer: 100.000 kr. = 250,0 vikartimer om året" in out
    assert "Vikarbehov efter vagtplanen: 290,0 timer = 116.000 kr.; underskud 16.000 kr." in out
    assert "Vagtplanen kræver et lønbudget på 2.716.000 kr." in out
    assert "Uge 29-30" in out and "Uge 31-52" in out
    assert "En fra 2 til 3: +228.800 kr. om året" in out


def test_the_staffing_command_refuses_a_bad_file(tmp_path, capsys):
    from analysis.cli import main

    bad = tmp_path / "o.yaml"
    bad.write_text("offer: x\n", "utf-8")
    assert main(["staffing", str(bad)]) == 2
    assert "wage_budget_dkk" in capsys.readouterr().err


def test_the_report_refuses_an_offer_of_another_municipality():
    from analysis.reporting import staffing_page

    with pytest.raises(InputError, match="belongs to municipality 706, not 751"):
        staffing_page.compute(read_offer(OFFER), 751)


def test_every_offer_file_under_parameters_reads_and_computes():
    from analysis.paths import parameters_dir
    from analysis.reporting import staffing_page

    files = sorted((parameters_dir() / "offers").glob("*.yaml"))
    assert files
    for path in files:
        r = staffing_page.compute(read_offer(path))
        assert r.summary.paid_hours_year > 0 and r.rates is not None


def test_income_month_by_month_follows_the_residents_levels():
    o = read_offer(OFFER)
    rates = m.level_rates(o.levels, o.hourly_rate_dkk, o.overhead_share, o.overhead_per_resident_dkk)
    inc = m.monthly_income(rates, o.residents_by_month).set_index("month")
    # January: (4 x 134,400 + 3 x 248,800 + 477,600) / 12 = 146,800; from July one moves from 2 to 3: +228,800 / 12
    assert inc.income_dkk.loc[1] == pytest.approx(1_761_600 / 12)
    assert inc.income_dkk.loc[7] == pytest.approx((1_761_600 + 228_800) / 12)
    assert inc.income_dkk.sum() == pytest.approx(1_761_600 + 6 * 228_800 / 12)
    assert inc.residents.tolist() == [8] * 12
    # the same as the change of level's effect for the six months it applies
    assert inc.income_dkk.sum() - 1_761_600 == pytest.approx(m.level_change_effect(rates, "2", "3", months=6))


def test_residents_by_month_need_twelve_months(tmp_path):
    bad = tmp_path / "offer.yaml"
    bad.write_text(
        OFFER.read_text("utf-8").replace('"1": [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]', '"1": [4, 4]'), "utf-8"
    )
    with pytest.raises(InputError, match=r"residents_by_month.1: expected 12 numbers"):
        read_offer(bad)


def test_the_income_table_hides_levels_of_fewer_than_five_residents():
    from analysis.reporting import staffing_page

    t = staffing_page.tables(staffing_page.compute(read_offer(OFFER)))["income"]
    # levels 1-3 hold 4, 3 and 1 residents: every level is hidden ('<5' and '..'), the total of 8 is shown
    assert t.count(">&lt;5<") == 3 and "134.400 kr." in t  # the rate itself is no count
    assert "færre end 5 borgere" in t
    assert "537.600 kr." not in t
    # 8 residents on three levels of 1-4 (levels 2 and 3 at least 1, a what-if row moves one away from each):
    # 4 + 3 + 1 alone gives 1.761.600 kr., so the total is shown as the range over the splits of 8: the least
    # 4 x 134.400 + 3 x 248.800 + 1 x 477.600 = 1.761.600, the most 1 x 134.400 + 3 x 248.800 + 4 x 477.600
    # = 2.791.200 kr.
    assert "1.761.600 kr." not in t and "1.761.600–2.791.200 kr." in t


def test_the_staffing_report_shows_no_income_that_gives_a_hidden_level_away():
    from analysis.paths import parameters_dir
    from analysis.reporting import staffing_page

    r = staffing_page.compute(read_offer(parameters_dir() / "offers" / "example-offer.yaml"), 706)
    t = staffing_page.tables(r)
    page = " ".join([*t.values(), *(text for _, text in staffing_page.summary_items(r))])
    page += staffing_page.method_text(r, "example-offer.yaml")
    # the issue: levels 1 and 4 hold 4 and 2 (hidden); with the rates 150.580 and 694.760 kr., the 20 residents and
    # 6.862.720 kr. they follow (the other splits of 6, 3 + 3 and 2 + 4, give 7.406.900 and 7.951.080 kr.)
    assert t["income"].count(">&lt;5<") == 2
    assert "6.862.720 kr." not in page and "6.862.720–7.951.080 kr." in page
    assert (
        "Indtægt" not in t["what_if"] and "+167.440 kr." in t["what_if"]
    )  # 443.600 - 276.160, a rate difference
    assert ">Indtægt<" not in t["months"] and "571.893 kr." not in t["months"]  # January: 6.862.720 / 12
    assert "Fordelingen på niveauer er skjult, fordi" in page
    assert "fra 20 beboere" in page
    # an offer whose every level holds 5 or more shows its income (the months still not: see income_disclosure)
    r = staffing_page.compute(read_offer(parameters_dir() / "offers" / "albertslund-birkelunden.yaml"), 165)
    t = staffing_page.tables(r)
    # 6 x 290.000 + 5 x 498.000 + 6 x 810.000 = 9.090.000 kr.
    assert "9.090.000 kr." in t["income"] and "9.090.000 kr." in t["what_if"]
    # the 17 are the residents in December; the months hold 16 until September and 17 from October, so the
    # 9.090.000 kr. are the full-year effect of today's residents, not the year's income (the old text said
    # only '... om året fra 17 beboere efter deres støttebehov')
    assert (
        "Indtægt",
        "9.090.000 kr. om året fra 17 beboere efter deres støttebehov (helårsvirkning af beboerne nu; i 2026 "
        "bor der 16-17 beboere, 16,25 i gennemsnit: se beboerne måned for måned)",
    ) in staffing_page.summary_items(r)
    # months that hold the same residents throughout need no note
    same = dataclasses.replace(r, monthly=r.monthly.assign(residents=17.0))
    assert ("Indtægt", "9.090.000 kr. om året fra 17 beboere efter deres støttebehov") in (
        staffing_page.summary_items(same)
    )
    assert "Fordelingen på niveauer er skjult" not in staffing_page.method_text(r, "x.yaml")


# The sample's offers (parameters/offers) and the staffing batch --------------------------------------------------


def _write_offer(folder, name, code):
    text = OFFER.read_text("utf-8").replace("municipality_code:", f"municipality_code: {code}  #", 1)
    (folder / name).write_text(text, encoding="utf-8")


def test_offer_file_for_picks_the_municipalitys_one_offer_of_a_folder(tmp_path):
    from analysis.data.offers import offer_file_for

    folder = tmp_path / "offers"
    folder.mkdir()
    _write_offer(folder, "a.yaml", 165)
    _write_offer(folder, "b.yaml", 190)
    assert offer_file_for("offers", 190, tmp_path) == "offers/b.yaml"
    assert read_offer(tmp_path / offer_file_for("offers/", 165, tmp_path)).municipality_code == 165
    assert offer_file_for("offers/a.yaml", 706, tmp_path) == "offers/a.yaml"  # a file is read as it is
    with pytest.raises(InputError, match="offers: no offer file of municipality 706"):
        offer_file_for("offers", 706, tmp_path)
    _write_offer(folder, "c.yaml", 190)
    with pytest.raises(InputError, match=r"2 offer files \(b.yaml, c.yaml\) of municipality 190"):
        offer_file_for("offers", 190, tmp_path)
    (folder / "d.yaml").write_text("offer: [", encoding="utf-8")
    with pytest.raises(InputError, match="d.yaml: not valid YAML"):
        offer_file_for("offers", 190, tmp_path)


def test_the_staffing_batch_renders_one_report_per_offer_of_the_sample():
    from analysis.data.offers import offer_file_for
    from analysis.paths import parameters_dir, project_root
    from analysis.reporting.batch import load_batch

    batch = load_batch(parameters_dir() / "batches" / "staffing.yaml")
    chosen = {
        c: offer_file_for(batch.parameters["offer_file"], c, project_root())
        for c in batch.municipality_codes()
    }
    assert chosen == {
        165: "parameters/offers/albertslund-birkelunden.yaml",
        190: "parameters/offers/furesoe-soebakken.yaml",
        706: "parameters/offers/example-offer.yaml",
    }
    assert sorted(p.name for p in (parameters_dir() / "offers").glob("*.yaml")) == sorted(
        p.rsplit("/", 1)[1] for p in chosen.values()
    )  # every offer file has its report


def test_the_albertslund_offer_matches_a_hand_calculation():
    from analysis.paths import parameters_dir
    from analysis.reporting import staffing_page

    r = staffing_page.compute(read_offer(parameters_dir() / "offers" / "albertslund-birkelunden.yaml"), 165)
    s = r.summary
    # permanent staff: 52 x (222 x 380 + 111 x 360 + 56 x 410) = 52 x 147,280 = 7,658,560 DKK
    assert s.permanent_dkk == pytest.approx(7_658_560)
    # room for substitutes: (8,300,000 - 7,658,560) / 420 = 1,527.24 hours
    assert s.substitute_room_hours == pytest.approx(641_440 / 420)
    # rate of level 1: 400 x 10 x 52 x 1.25 + 30,000 = 290,000; level 3: 400 x 30 x 52 x 1.25 + 30,000 = 810,000
    rates = dict(zip(r.rates.level, r.rates.rate_dkk, strict=True))
    assert rates == pytest.approx({"Niveau 1": 290_000, "Niveau 2": 498_000, "Niveau 3": 810_000})
    # the year month by month: 5 x 5 + 7 x 6 + ... = level 1: 9 x 5 + 3 x 6 = 63 resident-months, level 2:
    # 5 x 6 + 7 x 5 = 65, level 3: 5 x 5 + 7 x 6 = 67; income (63 x 290,000 + 65 x 498,000 + 67 x 810,000) / 12
    assert r.monthly.income_dkk.sum() == pytest.approx((63 * 290_000 + 65 * 498_000 + 67 * 810_000) / 12)


@pytest.mark.parametrize(
    ("year", "weeks", "message"),
    [
        # 2026 has an ISO week 53 (28-12-2026 to 03-01-2027): it used to be refused as "not a week number 1-52"
        (
            2026,
            "{29: 0.5, 53: 0.5}",
            r"holiday_weeks: 53: 2026 has an ISO week 53 \(28-12-2026 to 03-01-2027\), but the plan has 52 weeks",
        ),
        (2020, "{53: 0.5}", r"holiday_weeks: 53: 2020 has an ISO week 53 \(28-12-2020 to 03-01-2021\)"),
        (2025, "{53: 0.5}", r"holiday_weeks: 53: 2025 has no week 53 \(its ISO weeks are 1-52\)"),
        (2025, "{54: 0.5}", r"holiday_weeks: expected week numbers 1-52, found 54"),
    ],
)
def test_a_holiday_week_53_is_refused_saying_whether_the_year_has_one(tmp_path, year, weeks, message):
    bad = tmp_path / "offer.yaml"
    text = OFFER.read_text("utf-8").replace("year: 2026", f"year: {year}")
    bad.write_text(text.replace("holiday_weeks: {29: 0.5, 30: 0.5}", f"holiday_weeks: {weeks}"), "utf-8")
    with pytest.raises(InputError, match=message):
        read_offer(bad)
