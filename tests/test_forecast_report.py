"""The forecast report's text, tables and charts, on a small hand-made area whose figures are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.forecast.area import area_forecast
from analysis.forecast.methods import BudgetBased, LastYearProfile, RunRate
from analysis.forecast.select import rule_text_da
from analysis.period import data_period
from analysis.reporting import forecast_charts as charts
from analysis.reporting import formatting as fmt
from analysis.reporting.forecast_page import ForecastReport, amount_decimals, span_text

MUNI, FUNC, YEAR, MONTH = 101, "5.38.50", 2025, 9
KEY = {"municipality_code": MUNI, "function_code": FUNC}


def ledger(through: tuple[int, int] = (YEAR, 12)) -> pd.DataFrame:
    """100.000 kr. every month of 2020 until ``through``: every year costs 1,2 mio. kr."""
    rows = [(y, m) for y in range(2020, through[0] + 1) for m in range(1, 13) if (y, m) <= through]
    return pd.DataFrame([{**KEY, "year": y, "month": m, "spending_dkk": 100_000.0} for y, m in rows])


BUDGETS = pd.DataFrame([{**KEY, "year": y, "budget_dkk": 1_100_000.0} for y in range(2020, YEAR + 1)])
# 2024: 10 full-year persons at 120.000 kr. (the budget price)
ACTIVITY = pd.DataFrame(
    [{**KEY, "year": 2024, "paragraph": "§108", "provider": "internal", "full_year_persons": 10.0,
      "spending_dkk": 1_200_000.0}]
)  # fmt: skip
# ten cases paid every month since 2019, none ending: 10 full-year persons in 2024, the same number in 2025
CASES = pd.DataFrame(
    {
        **{k: [v] * 10 for k, v in KEY.items()},
        "start_date": pd.to_datetime(["2019-01-01"] * 10),
        "end_date": pd.to_datetime([None] * 10),
        "monthly_cost_dkk": [10_000.0] * 10,
    }
)
METHODS = [RunRate(), LastYearProfile(), BudgetBased()]


def forecast(cases=CASES, activity=ACTIVITY):
    return area_forecast(ledger(), MUNI, FUNC, YEAR, MONTH, BUDGETS, activity, cases, methods=METHODS)


@pytest.fixture(scope="module")
def fc():
    return forecast()


def report(fc, stored=None, is_sample=False):
    stored = stored or data_period(ledger())
    return ForecastReport(
        fc, "Testby Kommune", "Botilbud til længerevarende ophold", "§ 108", stored, 2020, is_sample
    )


def test_the_forecast_and_the_split_are_the_hand_computed_ones(fc):
    # run rate: 900.000 kr. booked by September x 12 / 9 = 1,2 mio. kr., exact in every back-tested year
    assert fc.forecast_dkk == pytest.approx(1_200_000) and fc.budget_dkk == 1_100_000
    assert fc.coverage["covered"] and fc.coverage["case_persons"] == pytest.approx(10.0)
    d = fc.split
    # budget quantity 1.100.000 / 120.000 = 9,17; forecast quantity 10 x 1 (no change in the cases)
    assert d["budget_quantity"] == pytest.approx(1_100_000 / 120_000) and d[
        "forecast_quantity"
    ] == pytest.approx(10)
    assert d["quantity_drift_dkk"] == pytest.approx(100_000) and d["price_drift_dkk"] == pytest.approx(
        0, abs=1e-6
    )
    items = dict(report(fc).summary_items())
    assert items["Mængde og pris"] == (
        "+0,10 mio. kr. fra antallet af helårspersoner (10,0 mod 9,2 i budgettet), 0,00 mio. kr. fra prisen pr. "
        "helårsperson (120,0 t.kr. mod 120,0 t.kr.)."
    )
    assert items["Mod budgettet"] == "Prognosen ligger 0,10 mio. kr. (9,1 %) over budgettet på 1,10 mio. kr."
    assert items["Bogført til og med september"] == "0,90 mio. kr., 81,8 % af budgettet."
    assert items["Prognose for 2025"].startswith("1,20 mio. kr. (80 %-interval 1,20-1,20 mio. kr.)")
    frame = report(fc).split_frame()
    assert frame[""].tolist() == ["Budget", "Prognose", "Forskel", "Heraf mængde", "Heraf pris"]
    assert frame["Udgift"].tolist() == pytest.approx([1_100_000, 1_200_000, 100_000, 100_000, 0], abs=1e-6)
    assert (
        "Sagsdata dækker området: sagerne giver 10,0 helårspersoner i 2024 mod 10,0"
        in report(fc).split_intro()
    )


def test_no_split_where_the_cases_do_not_cover_the_area():
    # six of the ten cases: 6 full-year persons in the cases against 10 in the activity table
    fc = forecast(cases=CASES.head(6))
    assert fc.split is None and fc.coverage["reason"] == "not_covered"
    assert fc.drift is not None  # the engine still computes it; the report does not show it
    text = report(fc).split_text()
    assert text == (
        "Afvigelsen deles ikke i mængde og pris. Sagsdata dækker ikke området: sagerne giver 6,0 helårspersoner i "
        "2024 mod 10,0 i aktivitetsdata (40 % færre; der kræves højst 10 % forskel), så antallet af helårspersoner i "
        "2025 kendes ikke før regnskabet."
    )
    assert report(fc).split_table() == "" and report(fc).split_frame() is None
    assert "fra antallet" not in " ".join(t for _, t in report(fc).summary_items())


def test_no_split_without_cases_or_without_activity():
    no_cases = forecast(cases=CASES.iloc[:0])
    assert no_cases.split is None and no_cases.coverage["reason"] == "no_cases"
    assert "Der er ingen sager på området i sagsdata" in report(no_cases).split_text()
    no_activity = forecast(activity=ACTIVITY.iloc[:0])
    assert no_activity.split is None and no_activity.coverage["reason"] == "no_activity"
    assert "ingen helårspersoner for 2024 i aktivitetsdata" in report(no_activity).split_intro()


def test_the_choice_states_the_rule_and_its_evidence_never_two_rounded_errors(fc):
    # the run rate hits 1,2 mio. kr. exactly in every back-tested year (0,0 %), the combination does not: the
    # difference is the same every year, so its uncertainty is nil and the run rate replaces the combination
    text = report(fc).choice_text()
    assert " mod " not in text
    assert text.startswith(
        f"{fc.label_da} ramte inden for 0,0 % i september i 5 af 5 år. {fc.label_da} bruges frem for "
        "kombinationen, fordi den har ramt signifikant bedre i de 3 tidligere år (i gennemsnit "
    )
    assert text.endswith("procentpoint tættere på, usikkerhed ±0,0).")
    # where the difference is noise the sentence is the combination's (the example)
    row = {"rule": "combination", "label_da": "Kombination af de bedste metoder", "difference": 0.3,
           "uncertainty": 0.9, "n_compared_years": 6, "best_single_label_da": "Theta-metoden"}  # fmt: skip
    assert rule_text_da(row) == (
        "Kombinationen bruges, fordi ingen enkelt metode har ramt signifikant bedre i de 6 tidligere år "
        "(forskel 0,3 procentpoint, usikkerhed ±0,9)"
    )
    assert rule_text_da({**row, "uncertainty": float("nan"), "n_compared_years": 2}) == (
        "Kombinationen bruges, fordi der er for få tidligere år (2) til at vise, at en enkelt metode rammer bedre"
    )


def test_the_data_period_is_stated_with_the_month(fc):
    items = dict(report(fc).summary_items())
    assert report(fc).period_text == "2020-2025 (2025 til og med september)"
    assert items["Data"].startswith(
        "bogføringen januar 2020 til og med september 2025; 2025 er ikke afsluttet"
    )
    assert "Lageret har bogføring til og med december 2025" in items["Data"]  # the ledger goes on
    same = report(fc, stored=data_period(ledger((YEAR, MONTH))))
    assert "Lageret" not in dict(same.summary_items())["Data"]
    assert "Eksempeldata" not in items and "Eksempeldata" in dict(report(fc, is_sample=True).summary_items())


def test_tables_show_the_forecast_frames(fc):
    r = report(fc)
    t = r.as_of_frame()
    assert t["Måned"].tolist()[-1] == "September" and len(t) == MONTH
    np.testing.assert_allclose(t["Bogført i alt"], np.arange(1, 10) * 0.1)
    np.testing.assert_allclose(t["Prognose for året"], fc.as_of["forecast_dkk"] / 1e6)
    assert ">+0,10<" in r.as_of_table() and "Budget 2025: 1,10 mio. kr." in r.as_of_table()
    m = r.methods_frame()
    assert m["Metode"].iloc[0] == f"{fc.label_da} (valgt)" and m["Alle måneder"].is_monotonic_increasing
    assert "I september" in m.columns and "(valgt)" in r.methods_table()


def test_helpers():
    assert amount_decimals(50e6) == 1 and amount_decimals(49.9e6) == 2 and amount_decimals(-60e6) == 1
    assert span_text(1_204_000, 1_306_000, 2) == "1,20-1,31 mio. kr."
    assert span_text(np.nan, 1.0, 1) == "ikke beregnet (for få år)"


def test_the_charts_draw_the_forecast(fc):
    fig = charts.spending_chart(fc)
    _, totals = fig.axes
    heights = [b.get_height() for b in totals.patches]
    assert heights == pytest.approx([1_200_000, 1_100_000, fc.forecast_dkk])
    assert [t.get_text() for t in totals.texts] == ["1,20", "1,10", "1,20"]
    fig = charts.accuracy_chart(fc)
    (ax,) = fig.axes
    bold = [lab.get_text() for lab in ax.get_yticklabels() if lab.get_fontweight() == "bold"]
    assert bold == [fc.label_da]
    expected = [fmt.fmt_number(v, 1) for v in fc.accuracy.to_numpy(dtype=float).ravel()]
    assert [t.get_text() for t in ax.texts] == expected  # row by row


def test_the_heat_map_draws_what_seaborns_heatmap_draws():
    # a 3 x 4 table with an empty cell: pixel for pixel the heat map seaborn 0.13 draws with the same arguments
    import matplotlib.pyplot as plt
    import seaborn as sns

    from analysis.reporting.charts import figure_png

    values = np.array([[0.5, 1.0, 2.5, np.nan], [3.0, 0.0, 1.5, 4.0], [0.2, 6.0, 2.0, 1.0]])
    frame = pd.DataFrame(
        values, index=["Løbende", "Sidste år", "Budget"], columns=["jan", "feb", "mar", "apr"]
    )
    text = frame.map(lambda v: fmt.fmt_number(v, 1))
    with plt.rc_context():
        fmt.set_style(retina=False)
        ours, ax = plt.subplots(figsize=(6.7, 1.2))
        charts._heatmap(ax, values, text.to_numpy(), list(frame.index), list(frame.columns), vmax=4.0)
        theirs, ax2 = plt.subplots(figsize=(6.7, 1.2))
        sns.heatmap(frame, annot=text, fmt="", cmap="Blues", vmin=0, vmax=4.0, cbar=False, linewidths=0.5,
                    linecolor="white", annot_kws={"fontsize": 8}, ax=ax2)  # fmt: skip
        ax2.set_xlabel("")
        ax2.set_ylabel("")
        assert [t.get_text() for t in ax.texts] == [t.get_text() for t in ax2.texts]
        assert len(ax.texts) == 11  # the empty cell is not annotated
        assert [t.get_color() for t in ax.texts] == [t.get_color() for t in ax2.texts]
        assert figure_png(ours) == figure_png(theirs)
        plt.close(ours)
        plt.close(theirs)


def test_the_method_note_states_the_share_of_the_booked_spending_the_cases_explain():
    # nine of the ten cases: 9 x 10.000 kr. against 100.000 kr. booked each month of January-September
    fc = forecast(cases=CASES.head(9))
    assert fc.explained_share == pytest.approx(0.9)
    assert list(fc.reconciliation["cases_dkk"]) == [90_000.0] * MONTH
    text = report(fc).disposition_text()
    assert (
        "forklarer sagernes månedlige priser 90 % af de bogførte udgifter på området i januar-september 2025"
        in text
    )


def test_signed_amounts_have_no_sign_when_they_round_to_zero(fc):
    r = report(fc)  # under 50 mio. kr.: two decimals
    assert r.signed_mio(104_000) == "+0,10 mio. kr."
    assert r.signed_mio(-104_000) == "-0,10 mio. kr."
    assert r.signed_mio(4_000) == "0,00 mio. kr."  # 0,004 rounds to 0,00: no '+0,00'


def test_the_budget_price_is_raised_with_the_price_index_and_the_report_says_so():
    # 2024: 120.000 kr. per full-year person; index 100 -> 103: budget price 123.600 kr., budget quantity
    # 1.100.000 / 123.600 = 8,90; forecast 1.200.000 for 10 persons = 120.000 kr.
    # quantity drift (10 - 8,8997) x 123.600 = 1.236.000 - 1.100.000 = +136.000; price drift
    # (120.000 - 123.600) x 10 = -36.000
    index = pd.Series({2024: 100.0, 2025: 103.0})
    fc = area_forecast(
        ledger(), MUNI, FUNC, YEAR, MONTH, BUDGETS, ACTIVITY, CASES, methods=METHODS, price_index=index
    )
    d = fc.split
    assert d["budget_price_dkk"] == pytest.approx(123_600) and d["price_factor"] == pytest.approx(1.03)
    assert d["quantity_drift_dkk"] == pytest.approx(136_000) and d["price_drift_dkk"] == pytest.approx(
        -36_000
    )
    r = ForecastReport(
        fc,
        "Testby Kommune",
        "Botilbud",
        "§ 108",
        data_period(ledger()),
        2020,
        price_index="testindeks (kilde)",
    )
    assert dict(r.summary_items())["Mængde og pris"] == (
        "+0,14 mio. kr. fra antallet af helårspersoner (10,0 mod 8,9 i budgettet), -0,04 mio. kr. fra prisen pr. "
        "helårsperson (120,0 t.kr. mod 123,6 t.kr., faste 2025-priser)."
    )
    assert (
        "gange budgetprisen: prisen pr. helårsperson i 2024 (120,0 t.kr.) fremskrevet til faste 2025-priser med "
        "pris- og lønudviklingen (+3,0 %): 123,6 t.kr." in r.split_intro()
    )
    assert r.price_method_text() == (
        "Budgetprisen er prisen i 2024 fremskrevet til faste 2025-priser med testindeks (kilde)"
    )
    # without an index the report says the price was not raised
    assert "prisen pr. helårsperson i 2024 uden fremskrivning" in report(forecast()).split_intro()
    assert report(forecast()).price_method_text() == "Budgetprisen er prisen i 2024 uden fremskrivning"


def test_the_index_sentence_gives_forecast_and_budget_not_the_deviation_twice(fc):
    # forecast 1,20 and budget 1,10 mio. kr.: the index shows +0,1 mio. kr.; 1,2 / 1,1 - 1 = +9,1 %
    assert report(fc).headline_text() == (
        "Prognose 1,20 mio. kr. mod budget 1,10 mio. kr. (+9,1 %), bogføring til og med september."
    )
