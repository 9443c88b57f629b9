"""The cross-sector report's figures, headline, tables and charts: hand-made frames, hand-computed expectations."""

import re
import types

import numpy as np
import pandas as pd
import pytest

from analysis import crosssector as xs
from analysis.reporting import crosssector_charts as charts
from analysis.reporting import crosssector_tables as tables
from tests.test_crosssector import _Tables, monthly


def _cells(html):
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _by_sectors(counts):
    """A by_number_of_sectors frame (unmerged) with the given persons per 1..4 sectors and 1 mio. kr. a person."""
    idx = pd.Index([1, 2, 3, 4, "total"], dtype=object, name="sectors")
    persons = [*counts, sum(counts)]
    frame = pd.DataFrame({"persons": persons, "cost_dkk": [1e6 * n for n in persons]}, index=idx)
    frame["share_of_persons"] = frame["persons"] / frame.loc["total", "persons"]
    frame["share_of_cost"] = frame["cost_dkk"] / frame.loc["total", "cost_dkk"]
    frame["cost_per_person_dkk"] = frame["cost_dkk"] / frame["persons"].replace(0, np.nan)
    frame["or_more"] = False
    return frame


# --------------------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------------------


def test_the_small_tail_of_sectors_is_merged_into_three_or_more():
    # 6 persons in one sector, 5 in two, 5 in three, 2 in four (1.000 kr. a month each in every sector)
    parts = []
    for i in range(18):
        n = 1 if i < 6 else 2 if i < 11 else 3 if i < 16 else 4
        parts += [monthly(f"p{i}", s, "2024-01", "2024-12", 1000) for s in xs.SECTORS[:n]]
    costs = pd.concat(parts)
    merged = xs.by_number_of_sectors(costs, 2024, min_group=5)
    assert merged.index.tolist() == [1, 2, 3, "total"]
    assert merged["persons"].tolist() == [6, 5, 7, 18]
    assert merged["or_more"].tolist() == [False, False, True, False]
    # 5 persons x 3 sectors + 2 x 4, at 12.000 kr. a sector
    assert merged.loc[3, "cost_dkk"] == 12000 * (5 * 3 + 2 * 4)
    assert merged.loc[3, "cost_per_person_dkk"] == pytest.approx(12000 * 23 / 7)
    assert merged.loc[[1, 2, 3], "share_of_persons"].sum() == pytest.approx(1)
    unmerged = xs.by_number_of_sectors(costs, 2024)
    assert unmerged["persons"].tolist() == [6, 5, 5, 2, 18] and not unmerged["or_more"].any()


def test_membership_counts_each_definition_once():
    members = pd.DataFrame(
        {
            "person_id": list("abcde"),
            "joined": pd.to_datetime(["2023-05-01", "2024-01-10", "2024-09-01", "2025-02-01", "2025-09-15"]),
            "left": pd.to_datetime(["2024-06-30", None, "2025-09-10", None, None]),
        }
    )
    got = xs.membership(members, "2025-09")
    # ever: all five joined by September 2025; a left before September; c left in September (still in it);
    # followed: joined by October 2024 (a, b, c), of them a has left
    assert got.to_dict() == {"ever": 5, "active": 4, "left": 1, "followed": 3, "followed_left": 1}


def test_the_report_computes_every_figure_once_and_the_definitions_agree(con):
    from analysis.data.programmes import read_cases, read_members
    from analysis.data.unit_costs import read_unit_costs

    def flat(y, horizon):
        return types.SimpleNamespace(mean=pd.Series([float(y.iloc[-1])] * horizon), method="flat")

    members = read_members(con, 165)
    r = xs.cross_sector_report(
        read_cases(con, 165),
        members,
        read_unit_costs(),
        year=2025,
        month=9,
        first_year=2018,
        last_year=2025,
        forecaster=flat,
    )
    assert str(r.as_of) == "2025-09" and r.closed == 2024
    joined = pd.to_datetime(members["joined"]) <= pd.Timestamp("2025-09-30")
    gone = pd.to_datetime(members["left"]) < pd.Timestamp("2025-09-01")
    assert r.membership["ever"] == joined.sum() == len(r.members)
    assert r.membership["active"] == (joined & ~gone).sum()
    # the follow-up's cohort is the active members; the evaluation's the followed ones
    assert r.follow.loc["total", "persons"] == r.membership["active"]
    assert r.evaluation.summary["members"] == r.membership["followed"]
    assert r.by_sectors["persons"].iloc[:-1].sum() == r.by_sectors.loc["total", "persons"]
    assert len(r.candidates) == 15 and not r.candidates["person_id"].isin(members["person_id"]).any()
    from analysis.reporting.crosssector_tables import method_text

    # every unit cost is printed with its source; one given as a bare mapping (no source) says it has none
    # rather than printing '()'
    assert "Alkoholbehandling: 5.800 kr. pr. måned (5.38.44, SUL §141: 70.000 kr." in method_text(
        r, "Albertslund", "P"
    )
    bare = xs.cross_sector_report(
        read_cases(con, 165), members, read_unit_costs()["dkk_per_month"].to_dict(), year=2025, month=9,
        first_year=2018, last_year=2025, forecaster=flat,
    )  # fmt: skip
    assert "Alkoholbehandling: 5.800 kr. pr. måned (kilde ikke angivet)" in method_text(
        bare, "Albertslund", "P"
    )
    with pytest.raises(ValueError, match="distribution_rule must be one of"):
        xs.cross_sector_report(
            read_cases(con, 165), members, read_unit_costs(), year=2025, month=9, first_year=2018,
            last_year=2025, rule="equal",
        )  # fmt: skip
    with pytest.raises(ValueError, match="fewer than min_group"):
        xs.cross_sector_report(
            read_cases(con, 165), members.head(3), read_unit_costs(), year=2025, month=9, first_year=2018,
            last_year=2025,
        )  # fmt: skip


def test_the_evaluation_in_fixed_prices_restates_each_month_by_its_year():
    from analysis.crosssector.report import _in_fixed_prices

    costs = pd.DataFrame(
        {
            "person_id": ["a", "a", "b"],
            "sector": ["social", "social", "health"],
            "month": pd.PeriodIndex(["2024-06", "2025-03", "2023-12"], freq="M"),
            "cost_dkk": [1000.0, 1000.0, 500.0],
            "registered_dkk": [1000.0, 0.0, 500.0],
            "average_dkk": [0.0, 1000.0, 0.0],
            "services": [1, 1, 2],
        }
    )
    index = pd.Series({2023: 100.0, 2024: 104.0, 2025: 106.08})
    got = _in_fixed_prices(costs, index, 2025)
    # 2025 prices: 2024 x 106.08/104 = 1.02 -> 1.020 kr.; 2025 unchanged; 2023 x 106.08/100 -> 530,40 kr.
    assert got["cost_dkk"].round(2).tolist() == [1020.0, 1000.0, 530.4]
    assert got["registered_dkk"].round(2).tolist() == [1020.0, 0.0, 530.4]
    assert got["average_dkk"].round(2).tolist() == [0.0, 1000.0, 0.0]
    assert got["services"].tolist() == [1, 1, 2] and "year" not in got and list(got) == list(costs)


def test_the_report_evaluates_in_fixed_prices_and_settles_in_current_prices(con):
    from analysis.data.programmes import read_cases, read_members
    from analysis.data.unit_costs import read_unit_costs
    from analysis.reporting.crosssector_tables import evaluation_table, method_text

    def flat(y, horizon):
        return types.SimpleNamespace(mean=pd.Series([float(y.iloc[-1])] * horizon), method="flat")

    args = (read_cases(con, 165), read_members(con, 165), read_unit_costs())
    kw = dict(year=2025, month=9, first_year=2018, last_year=2025, forecaster=flat)
    current = xs.cross_sector_report(*args, **kw)
    years = range(2018, 2026)
    flat_index = xs.cross_sector_report(*args, **kw, price_index=pd.Series(100.0, index=years))
    grown = xs.cross_sector_report(
        *args,
        **kw,
        price_index=pd.Series([100 * 1.03**i for i in range(8)], index=years),
        price_index_name="P/L",
    )
    # an index without growth changes nothing; with growth only the evaluation moves
    pd.testing.assert_frame_equal(flat_index.evaluation.cohort, current.evaluation.cohort)
    assert current.evaluation_prices == "løbende priser"
    assert grown.evaluation_prices == "faste 2025-priser (P/L)"
    pd.testing.assert_frame_equal(grown.sharing, current.sharing)
    pd.testing.assert_frame_equal(grown.overview, current.overview)
    # the baseline months lie before the actual ones, so restated in 2025 prices they grow more: the members'
    # change (after against before) is smaller in fixed prices than in current prices
    c, g = current.evaluation.cohort.loc["total"], grown.evaluation.cohort.loc["total"]
    assert g["baseline_dkk"] > c["baseline_dkk"] and g["change_share"] < c["change_share"]
    assert "Udgift om året i faste 2025-priser (P/L)" in evaluation_table(
        grown.evaluation, 5, grown.evaluation_prices
    )
    assert "Evalueringen (før og efter, sammenligningsgruppen) er i faste 2025-priser (P/L)" in method_text(
        grown, "Albertslund", "P"
    )
    assert "Alle beløb er i løbende priser." in method_text(current, "Albertslund", "P")


# --------------------------------------------------------------------------------------------------------------
# Headline
# --------------------------------------------------------------------------------------------------------------


def _report(gain=12_402_441.0, effect=9.6e6):
    summary = pd.Series(
        {
            "members": 65,
            "matched": 65,
            "change_share": -0.065,
            "comparison_change_share": -0.174,
            "baseline_dkk": 113.2e6,
            "actual_dkk": 105.8e6,
            "effect_dkk": effect,
            "effect_low_dkk": 0.9e6,
            "effect_high_dkk": 18.3e6,
            "grade": "svag",
        }
    )
    return types.SimpleNamespace(
        as_of=pd.Period("2025-09", "M"),
        closed=2024,
        membership=pd.Series({"ever": 65, "active": 52, "left": 13, "followed": 65, "followed_left": 13}),
        evaluation=types.SimpleNamespace(
            summary=summary,
            comparisons=pd.DataFrame({"member_id": [f"m{i}" for i in range(65)], "weight": 0.2}),
        ),
        sharing=pd.DataFrame({"gain_dkk": [gain]}, index=["total"]),
        follow=pd.DataFrame(
            {"persons": [52], "expected_dkk": [66.2e6], "last_year_dkk": [77.3e6], "change_share": [-0.144]},
            index=["total"],
        ),
        rule="baseline_share",
        evaluation_prices="løbende priser",
        eligible_persons=125,
        min_sectors=2,
        k=5,
    )


def test_the_headline_says_each_number_once_with_its_definition_and_caveat():
    items = dict(tables.headline_items(_report()))
    assert list(items) == [
        "Deltagere",
        "Før og efter",
        "Skønnet virkning",
        "Realiseret gevinst 2024",
        "Opfølgning 2025",
        "Målgruppe",
    ]
    assert items["Deltagere"].startswith(
        "52 borgere er med i programmet i september 2025; i alt 65 har været med (13 er udtrådt)."
    )
    assert items["Deltagere"].endswith(
        "Evalueringen omfatter de 65, der har været med i mindst 12 måneder (heraf 13, der siden er udtrådt)."
    )
    # the realised gain carries its caveat in the same item, and is not next to the effect
    gain = items["Realiseret gevinst 2024"]
    assert gain.startswith("12,4 mio. kr. mod nulpunktet") and "ikke programmets virkning" in gain
    assert "højere udgift" not in gain and "12,4" not in items["Skønnet virkning"]
    assert items["Skønnet virkning"].startswith("9,6 mio. kr. højere udgift om året, end hvis deltagerne")
    assert "evidensen er svag" in items["Skønnet virkning"]
    assert "for de 52, der er med i september 2025" in items["Opfølgning 2025"]
    text = " ".join(items.values())
    # 52 only as the active members (twice: the members and the follow-up's cohort); not the old "65 borgere pr."
    assert len(re.findall(r"\b52\b", text)) == 2 and "65 borgere" not in text
    loss = dict(tables.headline_items(_report(gain=-2e6)))["Realiseret gevinst 2024"]
    assert (
        loss.startswith("2,0 mio. kr. højere udgift end nulpunktet") and "ikke programmets virkning" in loss
    )
    few = dict(tables.headline_items(_report(), min_group=70))
    assert "Skønnet virkning" not in few and "Opfølgning 2025" not in few


# --------------------------------------------------------------------------------------------------------------
# Tables and charts
# --------------------------------------------------------------------------------------------------------------


def test_a_hidden_group_never_reads_as_small_in_money_or_percent_and_its_protector_reads_x():
    # 2 persons in two sectors cannot be merged away (three and four sectors are large): it is hidden, and so is
    # the smallest other group (20 in four sectors) so that the total cannot give it away
    html = tables.by_sectors_table(_by_sectors([50, 2, 30, 20]))
    (table,) = _cells(html)
    header, *rows = table
    assert header == [
        "Antal sektorer",
        "Borgere",
        "Andel af borgerne",
        "Udgift",
        "Andel af udgiften",
        "Udgift pr. borger",
    ]
    rows = {row[0]: row[1:] for row in rows}
    assert rows["2 sektorer"] == ["<5", "..", "..", "..", ".."]
    assert rows["4 sektorer"] == ["x", "x", "x", "x", "x"]
    assert rows["3 sektorer"][0] == "30" and rows["I alt"][0] == "102"
    assert "x: skjult, så mindre grupper ikke kan regnes ud." in html
    assert "&lt;5 og ..: gruppen har færre end 5 borgere" in html


def test_the_merged_group_is_labelled_three_or_more_and_shown():
    frame = _by_sectors([433, 125, 35, 4])
    merged = frame.loc[[1, 2, "total"]].copy()
    # the row's or_more given with it: a sum of the flags (0) is no bool, and set into the bool column it made the
    # column object (pandas warns: a later version raises)
    merged.loc[3] = {**frame.loc[[3, 4]].sum(), "or_more": True}
    merged = merged.loc[[1, 2, 3, "total"]]
    assert merged["or_more"].dtype == bool and merged["or_more"].tolist() == [False, False, True, False]
    (table,) = _cells(tables.by_sectors_table(merged))
    assert table[3][:2] == ["3 eller flere sektorer", "39"] and table[3][3] == "39,0 mio. kr."
    assert not any("<5" in cell or cell in ("x", "..") for row in table for cell in row)


def test_a_chart_that_leaves_a_group_out_says_which_and_why():
    fig = charts.by_sectors_chart(_by_sectors([50, 2, 30, 20]), 2024)
    texts = [t.get_text().replace("\n", " ") for t in fig.texts]
    assert texts == [
        "Figuren udelader 2 sektorer (færre end 5 borgere) og 4 sektorer (skjult, så mindre grupper ikke kan "
        "regnes ud)."
    ]
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["1 sektor", "3 sektorer"]
    whole = charts.by_sectors_chart(_by_sectors([50, 20, 30, 20]), 2024)
    assert whole.texts == [] and len(whole.axes[0].get_xticklabels()) == 4


def test_the_score_table_and_chart_hide_the_same_groups():
    dist = pd.DataFrame(
        {
            "label": ["0-5", "5-10", "10+"],
            "persons": [40, 3, 9],
            "members": [0, 0, 6],
            "cost_dkk": [4e5, 3e5, 9e5],
            "cost_per_person_dkk": [1e4, 1e5, 1e5],
        }
    )
    (table,) = _cells(tables.score_table(dist))
    rows = {row[0]: row[1:] for row in table[1:]}
    # 5-10 is small; 10+ (the smallest other) protects it; members: 6 of 6 in 10+ is shown, 0s are shown
    assert rows["5-10"] == ["<5", "0", ".."] and rows["10+"] == ["x", "6", "x"] and rows["I alt"][0] == "52"
    fig = charts.score_chart(dist, pd.Period("2025-09", "M"))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0-5"]
    assert "5-10 (færre end 5 borgere) og 10+ (skjult" in fig.texts[0].get_text().replace("\n", " ")


def test_the_score_charts_labels_slant_when_level_ones_would_touch():
    lows = [i * 2.5 for i in range(11)]
    labels = [f"{lo:g}-{lo + 2.5:g}".replace(".", ",") for lo in lows[:-1]] + ["25+"]
    dist = pd.DataFrame({"label": labels, "persons": range(50, 39, -1)})
    # 11 bars on a 6,7-inch figure: 6,7 x 72 x 0,8 / 11 x 0,85 = 30 points per label; '12,5-15' (7 characters at
    # about 0,6 x 10 points each) needs 42: slanted
    ticks = charts.score_chart(dist, pd.Period("2025-09", "M")).axes[0].get_xticklabels()
    assert [t.get_text() for t in ticks] == labels and {t.get_rotation() for t in ticks} == {35.0}
    # three bars: '5-10' (4 characters) needs 24 of 6,7 x 72 x 0,8 / 3 x 0,85 = 109 points: level
    short = pd.DataFrame({"label": ["0-5", "5-10", "10+"], "persons": [40, 30, 20]})
    ticks = charts.score_chart(short, pd.Period("2025-09", "M")).axes[0].get_xticklabels()
    assert {t.get_rotation() for t in ticks} == {0.0}


def test_the_sharing_table_is_in_whole_kroner_and_small_sectors_are_marked():
    sharing = pd.DataFrame(
        {
            "persons": [10, 3, 12, 0, 14],
            "member_months": 100,
            "baseline_dkk": [1000, 200, 3000, 0, 4200],
            "actual_dkk": [800, 300, 2500, 0, 3600],
            "gain_dkk": [200, -100, 500, 0, 600],
            "share_dkk": [143, 29, 428, 0, 600],
            "transfer_dkk": [-57, 129, -72, 0, 0],
        },
        index=pd.Index([*xs.SECTORS, "total"], name="sector"),
    )
    (table,) = _cells(tables.sharing_table(sharing, 2024))
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Børn og familie"] == ["<5", "..", "..", "..", "..", ".."]
    assert rows["Beskæftigelse"][0] == "x" and rows["Voksen/socialområdet"][1] == "3.000"
    assert rows["Sundhed"] == ["0", "0", "0", "0", "0", "0"] and rows["I alt"][-2:] == ["600", "0"]


def test_method_text_has_no_code_or_english():
    report = _report()
    report.weights = xs.ComplexityWeights()
    report.evaluation.summary["balance_smd"] = 0.25
    report.unit_costs = pd.DataFrame({"dkk_per_month": [5000.0], "source": ["antagelse"]}, index=["Støtte"])
    report.average_share = 0.02
    for show in (False, True):
        text = tables.method_text(report, "Syddjurs Kommune", "Sammen om borgeren", 5, show)
        for code in (
            "`",
            "candidates",
            "show_persons",
            "intention-to-treat",
            "analysis ",
            "notebook",
            "(her:",
        ):
            assert code not in text, code
    assert "Rapporten viser ingen enkelte borgere." in tables.method_text(report, "S", "P")
    assert "fortrolig" in tables.method_text(report, "S", "P", show_persons=True)


def test_the_analysis_reads_no_files_and_imports_no_reporting_or_data_layer():
    import ast
    from pathlib import Path

    import analysis.crosssector
    import analysis.privacy

    folder = Path(analysis.crosssector.__file__).parent
    for path in [*sorted(folder.glob("*.py")), Path(analysis.privacy.__file__)]:
        tree = ast.parse(path.read_text("utf-8"))
        names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [n for n in names if n.startswith("analysis.reporting")], path.name
        if path.parent == folder:
            assert not [n for n in names if n.startswith("analysis.data") or n in ("yaml", "duckdb")], (
                path.name
            )
            assert "open(" not in path.read_text("utf-8") and "read_text" not in path.read_text("utf-8")


def test_changes_and_transfers_are_signed_and_zero_has_no_sign():
    # before 10,0 -> after 12,44 mio. kr. is +24,4 %; the comparison fell 7,9 % (0,79 mio. kr. on a baseline of
    # 10 mio. kr.); effect 2,44 + 0,79 = +3,2 mio. kr.
    cohort = pd.DataFrame(
        {
            "persons": [20, 25, 25],
            "comparison_persons": [40, 50, 50],
            "baseline_dkk": [5e6, 10e6, 15e6],
            "actual_dkk": [5e6, 12.44e6, 17.44e6],
            "change_share": [0.0, 0.244, 0.1627],
            "comparison_change_share": [-0.0004, -0.079, -0.05],
            "comparison_change_dkk": [-2_000, -0.79e6, -0.792e6],
            "effect_dkk": [2_000, 3.23e6, 3.232e6],
        },
        index=pd.Index(["employment", "adults_social", "total"], name="sector"),
    )
    evaluation = types.SimpleNamespace(
        cohort=cohort, summary={"members": 25, "matched": 25, "comparison_persons": 50}
    )
    (table,) = _cells(tables.evaluation_table(evaluation))
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Voksen/socialområdet"][3:] == ["+24,4 %", "-7,9 %", "-0,8 mio. kr.", "+3,2 mio. kr."]
    assert rows["Beskæftigelse"][3:] == [
        "0,0 %",
        "0,0 %",
        "0,0 mio. kr.",
        "0,0 mio. kr.",
    ]  # no '+0,0', no '-0,0'
    sharing = pd.DataFrame(
        {
            "persons": [10, 12, 22],
            "baseline_dkk": [1000, 3000, 4000],
            "actual_dkk": [800, 2600, 3400],
            "gain_dkk": [200, 400, 600],
            "share_dkk": [150, 450, 600],
            "transfer_dkk": [-50, 50, 0],
        },
        index=pd.Index(["employment", "adults_social", "total"], name="sector"),
    )
    (table,) = _cells(tables.sharing_table(sharing, 2024))
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Beskæftigelse"][-1] == "-50" and rows["Voksen/socialområdet"][-1] == "+50"
    assert rows["I alt"][-1] == "0" and rows["I alt"][-3] == "600"  # the gain itself is not signed


def test_the_sharing_chart_labels_every_bar_with_its_amount_however_small_beside_the_others():
    # the sample's Albertslund 2024: the shares after the distribution (10 and 92 t.kr.) are a hundredth of the
    # gains beside them (0,8 and 9,1 mio. kr.) and drew as no bar at all
    sharing = pd.DataFrame(
        {
            "persons": [21, 37, 37, 25, 37],
            "gain_dkk": [751_183, 9_127_333, -9_668_925, -51_450, 158_141],
            "share_dkk": [9_648, 91_683, 55_017, 1_793, 158_141],
        },
        index=pd.Index([*xs.SECTORS, "total"], name="sector"),
    )
    ax = charts.sharing_chart(sharing, 2024).axes[0]
    amounts = [t.get_text() for t in ax.texts]
    assert amounts == [
        "751 t.kr.", "9,1 mio. kr.", "-9,7 mio. kr.", "-51 t.kr.",  # realised gain, four sectors in order
        "10 t.kr.", "92 t.kr.", "55 t.kr.", "2 t.kr.",  # each sector's share after the distribution
    ]  # fmt: skip
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Beskæftigelse", "Børn og familie", "Voksen/socialområdet", "Sundhed"
    ]  # fmt: skip


def test_the_outcome_table_says_the_comparison_share_is_weighted():
    # 20 comparison persons and 36,6 %: no whole number of them; each member's matches weigh 1 in all
    outcome = pd.DataFrame(
        {"persons": [15, 20], "ended": [9, 8], "share": [0.6, 0.366]}, index=["members", "comparison"]
    )
    html = tables.outcome_table(outcome)
    (table,) = _cells(html)
    assert table[1:] == [["Deltagere", "15", "60,0 %"], ["Sammenligningsgruppe", "20", "36,6 %"]]
    assert (
        "Sammenligningsgruppens andel er vægtet: hver deltagers sammenlignede borgere tæller tilsammen"
        in html
    )
    alone = tables.outcome_table(outcome.assign(persons=[15, 0], ended=[9, 0], share=[0.6, float("nan")]))
    assert "vægtet" not in alone


def test_method_text_names_why_the_evidence_is_weak():
    # interval 0.9-18.3 mio. kr. (not across zero), 65 matched, standardised difference 0.25: weak on balance
    # alone; the old text read 'Her: svag (standardiseret forskel 0,05)' also when the difference was fine and
    # the interval was the reason
    report = _report()
    report.weights = xs.ComplexityWeights()
    report.unit_costs = pd.DataFrame({"dkk_per_month": [5000.0], "source": ["antagelse"]}, index=["Støtte"])
    report.average_share = 0.02
    report.evaluation.summary["balance_smd"] = 0.25
    report.evaluation.summary["reasons"] = "balance"
    assert "Her: svag, fordi grupperne ligner ikke hinanden før indtræden (standardiseret forskel 0,25)." in (
        tables.method_text(report, "S", "P")
    )
    report.evaluation.summary["balance_smd"] = 0.05
    report.evaluation.summary["reasons"] = "interval"
    assert "Her: svag, fordi intervallet rummer nul (standardiseret forskel 0,05)." in tables.method_text(
        report, "S", "P"
    )
    report.evaluation.summary["reasons"] = "few,interval,balance"
    assert (
        "Her: svag, fordi færre end 20 deltagere kan sammenlignes, intervallet rummer nul og grupperne ligner ikke "
        "hinanden før indtræden" in tables.method_text(report, "S", "P")
    )
    report.evaluation.summary["grade"], report.evaluation.summary["reasons"] = "moderat", ""
    assert "Her: moderat (standardiseret forskel 0,05)." in tables.method_text(report, "S", "P")


def test_the_estimated_effect_is_a_difference_in_kroner_which_the_table_shows_and_says():
    # the sample's Syddjurs, Børn og familie: members -28,3 %, comparisons -16,6 %, effect -10,6 mio. kr., not the
    # -5,5 mio. kr. of -16,6 % on the members' baseline, because the comparisons' baseline in the sector is lower.
    # Here 5 members, each matched to 1 comparison, joined 2024-01. Børn og familie: a member 100.000 -> 70.000
    # kr. a month (6,0 -> 4,2 mio. kr. a year for 5, -1,8 mio. kr., -30,0 %), a comparison 40.000 -> 36.000 (2,4
    # mio. kr. a year for 5, -0,24 mio. kr., -10,0 %). Effect -1,8 + 0,24 = -1,56 mio. kr.; -10 % on the members'
    # 6,0 mio. kr. would give -1,8 + 0,6 = -1,2. Voksen/socialområdet: a member 10.000 both years (0,6 mio. kr.,
    # 0 %), a comparison 50.000 -> 55.000 (3,0 -> 3,3 mio. kr., +10,0 %): effect 0 - 0,3 = -0,3 mio. kr. Total:
    # 6,6 -> 4,8 mio. kr. (-27,3 %), comparisons 5,4 -> 5,46 (+1,1 %, +0,06 mio. kr.), effect -1,86 mio. kr.
    members = [f"m{i}" for i in range(5)]
    comps = [f"c{i}" for i in range(5)]
    costs = pd.concat(
        [
            part
            for m, c in zip(members, comps, strict=True)
            for part in (
                monthly(m, "children_families", "2023-01", "2023-12", 100_000),
                monthly(m, "children_families", "2024-01", "2024-12", 70_000),
                monthly(m, "adults_social", "2023-01", "2024-12", 10_000),
                monthly(c, "children_families", "2023-01", "2023-12", 40_000),
                monthly(c, "children_families", "2024-01", "2024-12", 36_000),
                monthly(c, "adults_social", "2023-01", "2023-12", 50_000),
                monthly(c, "adults_social", "2024-01", "2024-12", 55_000),
            )
        ]
    )
    matches = pd.DataFrame(
        {
            "member_id": members,
            "person_id": comps,
            "reference": pd.PeriodIndex(["2024-01"] * 5, freq="M"),
            "weight": 1.0,
        }
    )
    joined = pd.DataFrame({"person_id": members, "joined": ["2024-01-01"] * 5})
    evaluation = xs.evaluate(costs, joined, matches, end="2024-12")
    c = evaluation.cohort
    assert c.loc["children_families", "comparison_change_dkk"] == pytest.approx(-240_000)
    assert c.loc["children_families", "effect_dkk"] == pytest.approx(-1_560_000)
    assert c.loc["total", "comparison_change_dkk"] == pytest.approx(60_000)
    assert c.loc["total", "effect_dkk"] == pytest.approx(-1_860_000)
    html = tables.evaluation_table(evaluation)
    (table,) = _cells(html)
    assert table[0][-4:] == ["Ændring", "Sammenligning", "Sammenligning, kr.", "Skønnet virkning"]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Børn og familie"][:3] == ["5", "6,0 mio. kr.", "4,2 mio. kr."]
    assert rows["Børn og familie"][3:] == ["-30,0 %", "-10,0 %", "-0,2 mio. kr.", "-1,6 mio. kr."]
    assert rows["Voksen/socialområdet"][3:] == ["0,0 %", "+10,0 %", "+0,3 mio. kr.", "-0,3 mio. kr."]
    assert rows["I alt"][3:] == ["-27,3 %", "+1,1 %", "+0,1 mio. kr.", "-1,9 mio. kr."]
    # the note under the table says what the figure is, and that it is not the percentages on the baseline
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert (
        "Skønnet virkning er en forskel i kroner: for hver deltager med sammenligningspersoner deltagerens "
        "ændring minus gennemsnittet af sammenligningspersonernes ændring, lagt sammen over deltagerne"
        in text
    )
    assert "ikke forskellen mellem de to procenter ganget med deltagernes nulpunkt" in text
    assert "ændring i procent, sammenligningens også i kr. (summen over deltagerne af" in text  # the caption


def _no_cost_evaluation(with_cost):
    # 7 members joined 2024-01, each matched to 1 comparison. Every member costs 30.000 kr. a month in Børn og
    # familie both years; the first ``with_cost`` also 10.000 kr. a month in Beskæftigelse both years (change 0).
    # Every comparison costs 20.000 -> 18.000 kr. a month in Beskæftigelse: -24.000 kr. a year each. The sector's
    # effect sums over all 7 matched members, also those without a cost there: 7 x (0 + 24.000) = +168.000 kr.
    members = [f"m{i}" for i in range(7)]
    comps = [f"c{i}" for i in range(7)]
    parts = []
    for i, (m, c) in enumerate(zip(members, comps, strict=True)):
        parts.append(monthly(m, "children_families", "2023-01", "2024-12", 30_000))
        if i < with_cost:
            parts.append(monthly(m, "employment", "2023-01", "2024-12", 10_000))
        parts.append(monthly(c, "employment", "2023-01", "2023-12", 20_000))
        parts.append(monthly(c, "employment", "2024-01", "2024-12", 18_000))
    matches = pd.DataFrame(
        {
            "member_id": members,
            "person_id": comps,
            "reference": pd.PeriodIndex(["2024-01"] * 7, freq="M"),
            "weight": 1.0,
        }
    )
    joined = pd.DataFrame({"person_id": members, "joined": ["2024-01-01"] * 7})
    return xs.evaluate(pd.concat(parts), joined, matches, end="2024-12")


def test_the_evaluation_table_says_a_sector_counts_members_with_costs_but_the_effect_covers_all():
    evaluation = _no_cost_evaluation(with_cost=5)
    c = evaluation.cohort
    assert c.loc["employment", "persons"] == 5
    assert c.loc["employment", "effect_dkk"] == pytest.approx(168_000)
    html = tables.evaluation_table(evaluation)
    (table,) = _cells(html)
    rows = {row[0]: row[1:] for row in table[1:]}
    # 5 with costs; the effect +0,17 mio. kr. is of all 7 (5 would give +0,12, shown +0,1)
    assert rows["Beskæftigelse"][0] == "5" and rows["Beskæftigelse"][-1] == "+0,2 mio. kr."
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert (
        "Deltagere i en sektor er de evaluerede deltagere med udgift i sektoren før eller efter indtræden; Før, "
        "Efter og Ændring er deres udgift. Sammenligning, kr. og Skønnet virkning omfatter alle 7 evaluerede "
        "deltagere med sammenligningspersoner, også dem uden udgift i sektoren" in text
    )
    # 4 members with a cost in the sector: hidden, and the effect with them, though it sums over 7
    (table,) = _cells(tables.evaluation_table(_no_cost_evaluation(with_cost=4)))
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Beskæftigelse"][0] == "<5" and rows["Beskæftigelse"][-1] == ".."
    # fewer than 5 matched members: their number is left out, and the note says so and why
    assert tables.evaluation_persons_note(3) == (
        "Deltagere i en sektor er de evaluerede deltagere med udgift i sektoren før eller efter indtræden; Før, "
        "Efter og Ændring er deres udgift. Sammenligning, kr. og Skønnet virkning omfatter alle de evaluerede "
        "deltagere med sammenligningspersoner, også dem uden udgift i sektoren: for dem er virkningen minus "
        "sammenligningspersonernes ændring i sektoren (et fald hos sammenligningspersonerne tæller som en højere "
        "udgift). Hvor mange de er, vises ikke: de er færre end 5, og grupper med færre end 5 borgere vises ikke."
    )
    assert tables.evaluation_persons_note(7) == (
        "Deltagere i en sektor er de evaluerede deltagere med udgift i sektoren før eller efter indtræden; Før, "
        "Efter og Ændring er deres udgift. Sammenligning, kr. og Skønnet virkning omfatter alle 7 evaluerede "
        "deltagere med sammenligningspersoner, også dem uden udgift i sektoren: for dem er virkningen minus "
        "sammenligningspersonernes ændring i sektoren (et fald hos sammenligningspersonerne tæller som en højere "
        "udgift)."
    )
    ten = tables.evaluation_persons_note(4, min_group=10)
    assert ten.endswith(
        "Hvor mange de er, vises ikke: de er færre end 10, og grupper med færre end 10 borgere vises ikke."
    )


def test_with_no_matched_member_the_evaluation_note_says_none_could_be_compared_and_why():
    start = (
        "Deltagere i en sektor er de evaluerede deltagere med udgift i sektoren før eller efter indtræden; Før, "
        "Efter og Ændring er deres udgift. "
    )
    none_found = (
        start
        + "Ingen af de evaluerede deltagere kunne sammenlignes, fordi der ikke blev fundet lignende borgere "
        "uden for programmet til nogen af dem; Sammenligning, kr. og Skønnet virkning er derfor tomme (–): der er "
        "intet skøn over virkningen."
    )
    assert tables.evaluation_persons_note(0) == tables.evaluation_persons_note(0, members=8) == none_found
    assert tables.evaluation_persons_note(0, members=0) == (
        start
        + "Der er ingen evaluerede deltagere; Sammenligning, kr. og Skønnet virkning er derfor tomme (–): der er "
        "intet skøn over virkningen."
    )
    # 8 evaluated members, none with comparison persons: the table is shown (8 members) with that note
    cohort = pd.DataFrame(
        {
            "persons": [6, 0, 7, 0, 8],
            "comparison_persons": 0,
            "baseline_dkk": 1e6,
            "actual_dkk": 1e6,
            "change_share": 0.0,
            "comparison_change_share": np.nan,
            "comparison_change_dkk": 0.0,
            "effect_dkk": 0.0,
        },
        index=pd.Index([*xs.SECTORS, "total"], name="sector"),
    )
    summary = pd.Series({"members": 8, "matched": 0, "comparison_persons": 0})
    html = tables.evaluation_table(types.SimpleNamespace(cohort=cohort, summary=summary))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert none_found in text and "alle 0" not in text
    # the columns of the comparison show nothing, not 0,0 mio. kr. (a sum over no one)
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in body.split("</tr>") if "<t" in row]
    assert rows and all(row[-3:] == ["–", "–", "–"] for row in rows), rows
    assert "0,0 mio" not in body


def test_the_headline_says_the_effect_is_a_difference_in_kroner_not_of_the_percentages():
    before_after = dict(tables.headline_items(_report()))["Før og efter"]
    assert before_after.endswith(
        "Lignende borgere uden for programmet: fald på 17,4 % over de samme måneder. Den skønnede virkning er en "
        "forskel i kroner, ikke forskellen mellem de to procenter ganget med nulpunktet."
    )


def test_the_method_says_up_to_five_comparisons_and_how_many_got_fewer():
    report = _report()
    report.weights = xs.ComplexityWeights()
    report.unit_costs = pd.DataFrame({"dkk_per_month": [5000.0], "source": ["antagelse"]}, index=["Støtte"])
    report.average_share = 0.02
    report.evaluation.summary["balance_smd"] = 0.05
    report.evaluation.summary["reasons"] = "interval"
    text = tables.method_text(report, "S", "P")
    assert "for hver deltager op til 5 borgere uden for programmet" in text
    assert "Her fik ingen af de 65 sammenlignede deltagere færre end 5." in text
    # 67 evaluated, 65 matched: 59 with 5 comparisons, 4 with 4, 2 with 2 (two sector rows each), 2 unmatched
    report.evaluation.summary["members"] = 67
    weights = [0.2] * 59 + [0.25] * 4 + [0.5] * 2
    report.evaluation.comparisons = pd.DataFrame(
        {"member_id": [f"m{i}" for i in range(65)] * 2, "weight": weights * 2}
    )
    text = tables.method_text(report, "S", "P")
    assert "Her fik 6 af de 65 sammenlignede deltagere færre end 5, og færre end 5 fik ingen." in text


def _method_report(members, weights):
    """_report with the method text's inputs; ``weights``: one per matched member (1 / its comparisons)."""
    report = _report()
    report.weights = xs.ComplexityWeights()
    report.unit_costs = pd.DataFrame({"dkk_per_month": [5000.0], "source": ["antagelse"]}, index=["Støtte"])
    report.average_share = 0.02
    report.evaluation.summary["balance_smd"] = 0.05
    report.evaluation.summary["members"] = members
    report.evaluation.summary["matched"] = len(weights)
    report.evaluation.comparisons = pd.DataFrame(
        {"member_id": [f"m{i}" for i in range(len(weights))], "weight": weights}
    )
    return report


@pytest.mark.parametrize(
    ("members", "weights", "sentence"),
    [
        # 3 matched (fewer than 5): their number is not printed, nor the 1 unmatched (4 evaluated less it)
        (
            3,
            [0.5, 0.2, 0.2],
            "Her kunne færre end 5 af de evaluerede deltagere sammenlignes, og nogle af dem fik færre end 5.",
        ),
        (
            4,
            [0.5, 0.5, 1.0],
            "Her kunne færre end 5 af de evaluerede deltagere sammenlignes, og de fik alle færre "
            "end 5; de øvrige fik ingen.",
        ),
        (
            3,
            [0.2, 0.2, 0.2],
            "Her kunne færre end 5 af de evaluerede deltagere sammenlignes, og de fik alle 5.",
        ),
        # none matched
        (
            7,
            [],
            "Her blev der ikke fundet lignende borgere uden for programmet til nogen af de evaluerede "
            "deltagere, så ingen kunne sammenlignes.",
        ),
        (0, [], "Her var der ingen evaluerede deltagere at sammenligne."),
        # 5 or more matched: printed; fewer than 5 of them with fewer comparisons, all, all but fewer than 5, 6
        (65, [0.5] * 3 + [0.2] * 62, "Her fik færre end 5 af de 65 sammenlignede deltagere færre end 5."),
        (10, [0.5] * 10, "Her fik alle 10 sammenlignede deltagere færre end 5."),
        (
            10,
            [0.5] * 7 + [0.2] * 3,
            "Her fik alle på nær færre end 5 af de 10 sammenlignede deltagere færre end 5.",
        ),
        (
            19,
            [0.5] * 6 + [0.2] * 6,
            "Her fik 6 af de 12 sammenlignede deltagere færre end 5, og 7 fik ingen.",
        ),
        (5, [0.2] * 5, "Her fik ingen af de 5 sammenlignede deltagere færre end 5."),
    ],
)
def test_the_method_never_prints_a_count_of_fewer_than_five_members_and_reads_as_danish(
    members, weights, sentence
):
    text = tables.method_text(_method_report(members, weights), "S", "P")
    assert f"sammenligningen. {sentence} En borger kan indgå for flere deltagere." in text
    assert not re.search(r"\b[1-4] (sammenlignede|evaluerede) deltagere|af de [1-4]\b", text)


def test_the_method_states_the_text_rule_for_counts_of_members_as_implemented():
    text = tables.method_text(_method_report(65, [0.2] * 65), "S", "P", min_group=6)
    assert "vises præcist, også når det er under grænsen" not in text
    assert (
        "Et antal borgere i teksten, også et antal deltagere, står som færre end 6, når det er under grænsen; "
        "overskriften nævner da ikke, hvor mange der i alt har været med, hvis antallet med i programmet eller "
        "antallet udtrådte er under grænsen (det er summen af de to). Antal på 6 eller flere vises præcist, så "
        "forskellen mellem to viste antal deltagere (fx evaluerede og sammenlignede) kan være under grænsen: "
        "deltagerne er programmets egen liste, som kommunen kender i forvejen." in text
    )


@pytest.mark.parametrize(
    ("membership", "sentence"),
    [
        # 3 with, 7 who left: 'i alt 10' would give the 3 away, so it is left out
        (
            (10, 3, 7, 8, 6),
            "færre end 5 borgere er med i programmet i september 2025, og 7 er udtrådt. Evalueringen omfatter de "
            "8, der har været med i mindst 12 måneder (heraf 6, der siden er udtrådt).",
        ),
        (
            (55, 52, 3, 40, 2),
            "52 borgere er med i programmet i september 2025, og færre end 5 er udtrådt. Evalueringen omfatter de "
            "40, der har været med i mindst 12 måneder (heraf færre end 5, der siden er udtrådt).",
        ),
        (
            (3, 3, 0, 3, 0),
            "færre end 5 borgere er med i programmet i september 2025, og ingen er udtrådt. "
            "Evalueringen omfatter færre end 5 deltagere, der har været med i mindst 12 måneder.",
        ),
        (
            (12, 12, 0, 0, 0),
            "12 borgere er med i programmet i september 2025; i alt 12 har været med.",
        ),
    ],
)
def test_the_headline_never_prints_a_count_of_fewer_than_five_members(membership, sentence):
    report = _report()
    report.membership = pd.Series(
        dict(zip(["ever", "active", "left", "followed", "followed_left"], membership, strict=True))
    )
    assert dict(tables.headline_items(report))["Deltagere"] == sentence


def test_the_follow_up_text_names_the_active_members_as_de_52_or_fewer_than_five():
    # the notebook's follow-up section: "Udgiften til de 52 borgere" / "Udgiften til færre end 5 borgere"
    assert tables.definite_count(52) == "de 52" and tables.definite_count(5) == "de 5"
    assert (
        tables.definite_count(4) == "færre end 5" and tables.definite_count(9, min_group=10) == "færre end 10"
    )


def test_the_method_states_the_k_the_matching_used_and_counts_fewer_against_it():
    report = _report()
    report.weights = xs.ComplexityWeights()
    report.unit_costs = pd.DataFrame({"dkk_per_month": [5000.0], "source": ["antagelse"]}, index=["Støtte"])
    report.average_share = 0.02
    report.evaluation.summary["balance_smd"] = 0.05
    # a matching of 3 per member: 58 members with 3 comparisons, 7 with 2 (fewer than 3, not than 5)
    report.k = 3
    weights = [1 / 3] * 58 + [0.5] * 7
    report.evaluation.comparisons = pd.DataFrame(
        {"member_id": [f"m{i}" for i in range(65)], "weight": weights}
    )
    text = tables.method_text(report, "S", "P")
    assert "for hver deltager op til 3 borgere uden for programmet" in text
    assert "op til 5" not in text
    assert "Her fik 7 af de 65 sammenlignede deltagere færre end 3." in text


def test_the_report_matches_with_its_k_and_says_so(con):
    from analysis.data.programmes import read_cases, read_members
    from analysis.data.unit_costs import read_unit_costs

    def flat(y, horizon):
        return types.SimpleNamespace(mean=pd.Series([float(y.iloc[-1])] * horizon), method="flat")

    args = (read_cases(con, 165), read_members(con, 165), read_unit_costs())
    kw = dict(year=2025, month=9, first_year=2018, last_year=2025, forecaster=flat)
    r = xs.cross_sector_report(*args, **kw, k=3)
    per_member = r.evaluation.comparisons.groupby("member_id")["person_id"].nunique()
    assert r.k == 3 and per_member.max() == 3
    fewer = int((per_member < 3).sum())
    text = tables.method_text(r, "S", "P")
    assert "for hver deltager op til 3 borgere uden for programmet" in text
    # every matched member of the sample finds 3 comparisons
    assert fewer == 0
    assert (
        f"Her fik ingen af de {int(r.evaluation.summary['matched'])} sammenlignede deltagere færre end 3"
        in text
    )
    with pytest.raises(ValueError, match="k \\(comparison persons per member\\) must be at least 2, found 1"):
        xs.cross_sector_report(*args, **kw, k=1)
