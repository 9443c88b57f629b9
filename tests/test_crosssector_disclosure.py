"""No hidden group of the cross-sector report can be worked out from what the report shows (by search).

The checks enumerate every assignment of counts consistent with a table's shown cells, its totals and what the
rest of the report tells (:func:`analysis.privacy.feasible_values`); a '<5' cell with one value left is given away.
"""

import itertools
import types

import numpy as np
import pandas as pd
import pytest

from analysis import crosssector as xs
from analysis.privacy import (
    COMPLEMENT,
    SHOWN,
    SMALL,
    disclosed_cells,
    feasible_values,
    given_away,
    joint_view,
    suppression_marks,
    table_view,
)
from analysis.reporting import crosssector_charts as charts
from analysis.reporting import crosssector_tables as tables
from tests.test_crosssector_report import _by_sectors, _cells

TOTAL = tables.TOTAL_DA
SMALL_VALUES = [1, 2, 3, 4]


def _overview(persons: list[int]) -> pd.DataFrame:
    """A sector overview (xs.SECTORS, then 'total') with these persons and 1 mio. kr. in every sector; no members."""
    return pd.DataFrame(
        {
            "persons": persons,
            "cost_dkk": 1e6,
            "registered_dkk": 1e6,
            "average_dkk": 0.0,
            "member_persons": 0,
            "member_cost_dkk": 0.0,
        },
        index=pd.Index([*xs.SECTORS, "total"], name="sector"),
    )


def _group_marks(column: list[int]) -> list[str]:
    """The marks of the rule before this check: the small cells, then one more beside a lone one (no search)."""
    values = np.array([*column, sum(column)], dtype=float)
    primary = (values > 0) & (values < 5)
    mask = primary.copy()
    if primary[:-1].sum() == 1:
        inner = [i for i in range(len(column)) if not mask[i]]
        positive = [i for i in inner if values[i] > 0]
        mask[min(positive, key=lambda i: values[i]) if positive else len(column)] = True
    return [SMALL if p else (COMPLEMENT if m else SHOWN) for p, m in zip(primary, mask, strict=True)]


def _brute_force(allowed: list[list[int]], total: int) -> list[tuple[int, ...]]:
    """Every vector of counts with each count among its allowed values and the sum ``total``: a plain listing
    (itertools.product), independent of the search it checks."""
    return [v for v in itertools.product(*allowed) if sum(v) == total]


@pytest.mark.parametrize("seed", range(40))
def test_the_search_agrees_with_listing_every_count_vector(seed):
    # one column of 3-5 cells and its total; an onlooker knows the total, the shown cells, '<5' = 1-4 and
    # 'x' = 0 or at least 5. The search must give the small cells the same values as listing every vector
    # (itertools.product, not the search).
    rng = np.random.default_rng(seed)
    column = [int(v) for v in rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12], size=rng.integers(3, 6))]
    marks = _group_marks(column)
    total = sum(column)
    labels = [*range(len(column)), "t"]
    counts = pd.Series([*column, total], index=labels)
    allowed = [
        [n] if m == SHOWN else (SMALL_VALUES if m == SMALL else [0, *range(5, total + 1)])
        for n, m in zip(column, marks[:-1], strict=True)
    ]
    vectors = _brute_force(allowed, total) if marks[-1] == SHOWN else None
    domains, constraints = table_view(counts, pd.Series(marks, index=labels), total_row="t")
    small = [k for k in domains if domains[k] == SMALL_VALUES]
    values = feasible_values(domains, constraints, small)
    if vectors is not None:
        for k in small:
            assert values[k] == sorted({v[k[1]] for v in vectors}), (column, marks)


def test_a_small_cell_beside_an_x_of_five_is_given_away_and_now_hidden_more():
    # score intervals of 40, 1 and 5 persons (46): the old rule hid the 1 and the smallest other (5); then the
    # two hold 46 - 40 = 6 and an 'x' is 0 or at least 5, so only 1 + 5 fits: the 1 was given away
    counts = pd.Series({"0-5": 40, "5-10": 1, "10+": 5, TOTAL: 46})
    old = pd.Series({"0-5": SHOWN, "5-10": SMALL, "10+": COMPLEMENT, TOTAL: SHOWN})
    assert disclosed_cells(counts, old, total_row=TOTAL) == ["5-10"]
    # now the 40 is hidden too: 46 = a + b + c with a in 1-4 leaves every a possible
    new = suppression_marks(counts, total_row=TOTAL)
    assert new.tolist() == [COMPLEMENT, SMALL, COMPLEMENT, SHOWN]
    assert disclosed_cells(counts, new, total_row=TOTAL) == []
    dist = pd.DataFrame(
        {
            "label": ["0-5", "5-10", "10+"],
            "persons": [40, 1, 5],
            "members": [0, 0, 5],
            "cost_dkk": [4e5, 1e5, 5e5],
            "cost_per_person_dkk": [1e4, 1e5, 1e5],
        }
    )
    (table,) = _cells(tables.score_table(dist))
    assert [row[1] for row in table[1:]] == ["x", "<5", "x", "46"]


def test_members_shown_beside_hidden_persons_bound_them_and_the_check_counts_it_in():
    # persons 40, 1 and 9 in three intervals; members 0, 0 and 9. The old rule hid persons 1 ('<5') and 9 ('x')
    # and showed members 9: the members of an interval are at most its persons, so the 'x' holds at least 9, and
    # 1 + 9 = 50 - 40 = 10 leaves only 1 for the '<5'
    dist = pd.DataFrame(
        {
            "label": ["0-5", "5-10", "10+"],
            "persons": [40, 1, 9],
            "members": [0, 0, 9],
            "cost_dkk": [4e5, 1e5, 9e5],
            "cost_per_person_dkk": [1e4, 1e5, 1e5],
        }
    )
    counts = pd.DataFrame(
        {"Borgere": [40, 1, 9, 50], "heraf deltagere": [0, 0, 9, 9]}, index=["0-5", "5-10", "10+", TOTAL]
    )
    old = pd.DataFrame(
        {"Borgere": [SHOWN, SMALL, COMPLEMENT, SHOWN], "heraf deltagere": SHOWN}, index=counts.index
    )
    view = {"total_row": TOTAL, "public_totals": True, "at_most": [("heraf deltagere", "Borgere")]}
    assert disclosed_cells(counts, old, **view) == [("5-10", "Borgere")]
    # without the relation the same marks look safe: a + b = 10 with b in {5..10} gives a = 1..4 (the old check)
    assert disclosed_cells(counts, old, total_row=TOTAL) == []
    marks = tables.score_marks(dist)
    assert marks["Borgere"].tolist() == [COMPLEMENT, SMALL, COMPLEMENT, SHOWN]
    assert disclosed_cells(counts, marks, **view) == []
    # the chart leaves out the same intervals as the table: all three
    fig = charts.score_chart(dist, pd.Period("2025-09", "M"))
    assert len(fig.axes[0].patches) == 0


def test_two_hidden_groups_by_number_of_sectors_follow_from_the_sector_table():
    # 300 persons in one sector, 3 in two, 10 in three, 0 in four: 313 in all. The sector table beside it shows
    # the persons per sector, which sum to 300 + 2 x 3 + 3 x 10 = 336. The old rule hid the 3 and the 10: with
    # n2 + n3 = 313 - 300 = 13 and 2 n2 + 3 n3 = 336 - 300 = 36, n3 = 36 - 26 = 10 and n2 = 3: given away
    by = _by_sectors([300, 3, 10, 0])
    overview = pd.DataFrame(
        {"persons": [200, 50, 40, 46, 313], "member_persons": 0},
        index=pd.Index([*xs.SECTORS, "total"], name="sector"),
    )
    assert overview["persons"].iloc[:4].sum() == 336
    old = tables.by_sectors_marks(by)  # without the sector table: the old marks
    assert old.tolist() == [SHOWN, SMALL, COMPLEMENT, SHOWN, SHOWN]
    counts = tables._by_sectors_frame(by)["persons"]
    weighted = {label: k for label, k in zip(counts.index[:4], [1, 2, 3, 4], strict=True)}
    relation = [(weighted, 336, 336)]
    assert disclosed_cells(counts, old, total_row=TOTAL, relations=relation) == ["2 sektorer"]
    # now the 300 is hidden too: n1 + n2 + n3 = 313 and n1 + 2 n2 + 3 n3 = 336 give n2 + 2 n3 = 23: n2 = 1
    # (n3 = 11) or 3 (n3 = 10), two values
    new = tables.by_sectors_marks(by, 5, overview)
    assert new.tolist() == [COMPLEMENT, SMALL, COMPLEMENT, SHOWN, SHOWN]
    domains, constraints = table_view(counts, new, total_row=TOTAL, relations=relation)
    assert feasible_values(domains, constraints, [("", "2 sektorer", "count")]) == {
        ("", "2 sektorer", "count"): [1, 3]
    }
    (table,) = _cells(tables.by_sectors_table(by, 5, overview))
    assert [row[1] for row in table[1:]] == ["x", "<5", "x", "0", "313"]
    fig = charts.by_sectors_chart(by, 2024, 5, overview)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["4 sektorer"]


def test_a_total_shown_elsewhere_protects_nothing_so_a_table_of_fewer_than_five_is_not_shown():
    # 4 followed members (the headline says so), 3 whose cost fell and 1 whose cost rose: the table would hide
    # both, and 3 + 1 = 4 = the headline's count leaves (1, 3), (2, 2), (3, 1) ... but the shown 0 of 'same'
    # and the total are all it has: every split is of 4 persons, a group below the threshold. Not shown.
    changes = pd.DataFrame(
        {"persons": [3, 0, 1, 4], "share": [0.75, 0, 0.25, 1.0], "comparison_share": [0.5, 0.3, 0.2, 1.0]},
        index=pd.Index(["fell", "same", "rose", "total"], name="change"),
    )
    html = tables.change_table(changes)
    assert (
        "Tabellen vises ikke: den bygger på færre end 5 evaluerede deltagere" in html and "<table" not in html
    )
    # two small groups whose sum is the headline's count of 12: 12 - 7 = 5 = 1 + 4, 2 + 3, 3 + 2 or 4 + 1
    changes = pd.DataFrame(
        {
            "persons": [7, 2, 3, 12],
            "share": [7 / 12, 2 / 12, 3 / 12, 1.0],
            "comparison_share": [0.5, 0.3, 0.2, 1.0],
        },
        index=changes.index,
    )
    (table,) = _cells(tables.change_table(changes))
    assert [row[1] for row in table[1:]] == ["7", "<5", "<5", "12"]
    # the follow-up of 3 active members: not shown, and its chart leaves every sector out
    follow = pd.DataFrame(
        {
            "persons": [3, 0, 2, 0, 3],
            "realised_dkk": 1.0,
            "forecast_dkk": 1.0,
            "expected_dkk": 2.0,
            "last_year_dkk": 2.0,
            "change_share": 0.0,
        },
        index=pd.Index([*xs.SECTORS, "total"], name="sector"),
    )
    assert "Tabellen vises ikke" in tables.follow_table(follow, 2025, 9)
    assert (tables.follow_marks(follow) == COMPLEMENT).all()
    assert len(charts.follow_chart(follow, 2025).axes[0].patches) == 0


def test_a_sector_hidden_beside_a_unique_total_is_checked_with_the_sum_over_sectors():
    # 45 persons: 1 in employment, 44 in adults, 5 in health (5 of the 44 are in health too), so 40 persons in
    # one sector and 5 in two: the table by number of sectors shows 40, 5, 0, 0, and the persons summed over
    # sectors are 40 + 2 x 5 = 50. The sector table's total counts each person once (45), so its rows do not sum
    # to it; the old rule hid the 1 and the smallest other (health, 5): 1 + 5 = 50 - 44 = 6, and an 'x' of 5-45
    # leaves only 1 + 5: given away by the two tables together
    overview = _overview([1, 0, 44, 5, 45])
    by = _by_sectors([40, 5, 0, 0])
    counts = overview.rename(index=tables._SECTORS_DA)[["persons"]].rename(columns={"persons": "Borgere"})
    sectors = {(label, "Borgere"): 1 for label in counts.index[:4]}
    view = {"total_row": TOTAL, "public_totals": True, "unique_total": True, "relations": [(sectors, 50, 50)]}
    old = pd.DataFrame({"Borgere": [SMALL, SHOWN, SHOWN, COMPLEMENT, SHOWN]}, index=counts.index)
    assert disclosed_cells(counts, old, **view) == [("Beskæftigelse", "Borgere")]
    # without the other table the same marks are safe: a + b >= 45 - 44 = 1 with each at most 45
    assert disclosed_cells(counts, old, total_row=TOTAL, public_totals=True, unique_total=True) == []
    # now adults is hidden too: a + b + c = 50 with a of 1-4, b and c of 5-45 leaves every a
    marks = tables.sector_marks(overview, 5, by)
    assert marks["Borgere"].tolist() == [SMALL, SHOWN, COMPLEMENT, COMPLEMENT, SHOWN]
    assert disclosed_cells(counts, marks[["Borgere"]], **view) == []
    (table,) = _cells(tables.sector_table(overview, 5, by_sectors=by))
    assert [row[1] for row in table[1:]] == ["<5", "0", "x", "x", "45"]
    # the two tables are searched together: with 1, 0, 44 and 1 persons per sector (45 in all) and 44 in one
    # sector, 1 in two, the sector table hides its two 1s ('<5', a and d). The table by number of sectors starts
    # from its marks checked alone, as if the sum over sectors (46) were known: n1 + n2 = 45 and n1 + 2 n2 = 46
    # give n2 = 1 whatever it hides, so it hides its 44 and both 0s ('x') and leaves the rest to the sector table,
    # which already hides a and d. Together: n1 + n2 + n3 + n4 = 45 and n1 + 2 n2 + 3 n3 + 4 n4 = a + 44 + d give
    # n2 + 2 n3 + 3 n4 = a + d - 1 = 1-7, with n3, n4 of 0 or 5-45: n3 = n4 = 0 and n2 = a + d - 1 = 1-4
    other = overview.assign(persons=[1, 0, 44, 1, 45])
    joint = tables._sector_tables(other, _by_sectors([44, 1, 0, 0]), 5)
    assert joint["sector"]["Borgere"].tolist() == [SMALL, SHOWN, SHOWN, SMALL, SHOWN]
    assert joint["by"].tolist() == [COMPLEMENT, SMALL, COMPLEMENT, COMPLEMENT, SHOWN]
    # listed by hand (itertools.product, not the search): every a, d, n2 of 1-4 and n1, n3, n4 of 0 or 5-45
    x = [0, *range(5, 46)]
    fits = [
        (a, d, n2)
        for a, d, n2 in itertools.product(SMALL_VALUES, repeat=3)
        for n1, n3, n4 in itertools.product(x, x, x)
        if n1 + n2 + n3 + n4 == 45 and n1 + 2 * n2 + 3 * n3 + 4 * n4 == a + 44 + d
    ]
    assert {f[0] for f in fits} == {f[1] for f in fits} == {f[2] for f in fits} == {1, 2, 3, 4}


def _flat(y, horizon):
    return types.SimpleNamespace(mean=pd.Series([float(y.iloc[-1])] * horizon), method="flat")


@pytest.mark.slow
@pytest.mark.parametrize("code", [165, 190, 706])
def test_no_table_of_the_sample_reports_gives_a_hidden_group_away(con, code):
    from analysis.data.programmes import read_cases, read_members
    from analysis.data.unit_costs import read_unit_costs

    r = xs.cross_sector_report(
        read_cases(con, code),
        read_members(con, code),
        read_unit_costs(),
        year=2025,
        month=9,
        first_year=2018,
        last_year=2025,
        forecaster=_flat,
    )
    public = {"total_row": TOTAL, "public_totals": True}
    ov = r.overview.rename(index=tables._SECTORS_DA)
    by = tables._by_sectors_frame(r.by_sectors)["persons"]
    # persons by number of sectors, times the number, are the persons summed over sectors (3-4 times for an
    # open '3 eller flere')
    over_sectors = int(ov["persons"].iloc[:4].sum())
    groups = [k for k in r.by_sectors.index if k != "total"]
    low = {lab: int(k) for lab, k in zip(by.index[:-1], groups, strict=True)}
    high = {
        lab: 4 if r.by_sectors.loc[k, "or_more"] else int(k)
        for lab, k in zip(by.index[:-1], groups, strict=True)
    }
    sectors = {**public, "unique_total": True}
    checks = {
        "sector": (
            pd.DataFrame({"Borgere": ov["persons"], "Deltagere": ov["member_persons"]}),
            tables.sector_marks(r.overview, 5, r.by_sectors),
            {**sectors, "at_most": [("Deltagere", "Borgere")]},
        ),
        "by_sectors": (
            by,
            tables.by_sectors_marks(r.by_sectors, 5, r.overview),
            {**public, "relations": [(low, None, over_sectors), (high, over_sectors, None)]},
        ),
        "score": (
            tables._score_counts(r.distribution),
            tables.score_marks(r.distribution),
            {**public, "at_most": [("heraf deltagere", "Borgere")]},
        ),
        "evaluation": (
            r.evaluation.cohort.rename(index=tables._SECTORS_DA)["persons"],
            tables.evaluation_marks(r.evaluation.cohort)["Deltagere"],
            sectors,
        ),
        "sharing": (
            r.sharing.rename(index=tables._SECTORS_DA)["persons"],
            tables.sharing_marks(r.sharing),
            sectors,
        ),
        "follow": (
            r.follow.rename(index=tables._SECTORS_DA)["persons"],
            tables.follow_marks(r.follow),
            sectors,
        ),
    }
    for name, (counts, marks, view) in checks.items():
        assert disclosed_cells(counts, marks, **view) == [], name
        # and no count of 1-4 is shown
        values = counts.to_numpy()
        assert not ((values > 0) & (values < 5) & (marks.to_numpy() == SHOWN)).any(), name
    # and all the report's tables at once, linked where they tell about the same persons (the persons summed
    # over sectors are the persons by number of sectors times the number; the totals are public in every table):
    # the joint view gives no hidden group away either
    link = {("sector", lab, "Borgere"): 1 for lab in ov.index[:4]}
    links = [
        ({**link, **{("by_sectors", lab, "count"): -k for lab, k in low.items()}}, 0, None),
        ({**link, **{("by_sectors", lab, "count"): -k for lab, k in high.items()}}, None, 0),
    ]
    assert given_away(*joint_view(checks, links)) == []
    # the sample's score tables hide members (e.g. 3 of Albertslund's 42 in the lowest interval); the search
    # leaves every hidden members' count at least two values
    marks = tables.score_marks(r.distribution)
    assert (marks["heraf deltagere"] == SMALL).sum() >= 4


def test_the_sector_table_hides_sectors_where_their_sum_would_give_a_group_by_number_of_sectors_away():
    # 45 persons: 20 in employment, 26 in adults, none elsewhere; one of them is in both. The sector table shows
    # 20 + 26 = 46 persons over sectors and 45 in all, so 46 - 45 = 1 person is in two sectors: the table by
    # number of sectors hides its '1' ('<5') in vain. Now the sector table hides the 20 ('x'): it is then 0 or
    # 5-45 with x + 26 >= 45 (every person is in a sector) and x + 26 >= 46 (the other table's least), so the sum
    # over sectors is 46 to 71, and n2 = 1 (n1 = 44, sum 46) or n2 = 2 (n1 = 43, sum 47) both fit
    overview = _overview([20, 0, 26, 0, 45])
    by = _by_sectors([44, 1, 0, 0])
    assert (tables.sector_marks(overview)["Borgere"] == SHOWN).all()  # alone, the sector table hides nothing
    marks = tables.sector_marks(overview, 5, by)
    assert marks["Borgere"].tolist() == [COMPLEMENT, SHOWN, SHOWN, SHOWN, SHOWN]
    counts = tables._by_sectors_frame(by)["persons"]
    by_marks = tables.by_sectors_marks(by, 5, overview)
    w = {label: k for label, k in zip(counts.index[:4], [1, 2, 3, 4], strict=True)}
    # with the sum over sectors known (46) the '1' is given away; in 46-90 it is not
    view = {"total_row": TOTAL, "public_totals": True}
    assert disclosed_cells(counts, by_marks, **view, relations=[(w, 46, 46)]) == ["2 sektorer"]
    assert disclosed_cells(counts, by_marks, **view, relations=[(w, 46, 71)]) == []


def test_a_small_count_of_citizens_in_the_headline_reads_fewer_than_five():
    from tests.test_crosssector_report import _report

    r = _report()
    r.eligible_persons = 3  # 3 non-members served by two sectors: a group of citizens below the threshold
    assert dict(tables.headline_items(r))["Målgruppe"].startswith("færre end 5 borgere uden for programmet")
    r.eligible_persons = 125
    assert dict(tables.headline_items(r))["Målgruppe"].startswith("125 borgere uden for programmet")
    # the evaluation's caption: 4 comparison persons read 'færre end 5', 163 as they are
    cohort = pd.DataFrame(
        {
            "persons": [10, 0, 12, 0, 12],
            "comparison_persons": [4, 0, 4, 0, 4],
            "baseline_dkk": 1e6,
            "actual_dkk": 1e6,
            "change_share": 0.0,
            "comparison_change_share": 0.0,
            "comparison_change_dkk": 0.0,
            "effect_dkk": 0.0,
        },
        index=pd.Index([*xs.SECTORS, "total"], name="sector"),
    )
    summary = pd.Series({"members": 12, "matched": 12, "comparison_persons": 4})
    html = tables.evaluation_table(types.SimpleNamespace(cohort=cohort, summary=summary))
    assert "12 deltagere og færre end 5 sammenligningspersoner" in html
    assert tables.small_count(0) == "0" and tables.small_count(5) == "5"


def test_a_comparison_share_resting_on_fewer_than_five_comparison_persons_is_hidden():
    # 12 evaluated members (7 fell, 2 same, 3 rose) matched to 50 comparison persons: 3 of them in 'fell', 20 in
    # 'same', 30 in 'rose' (a person matched for two members may be in two groups). The share of 'fell' rests on
    # 3 persons: hidden ('..'); the three shares sum to 100 %, so the shown share of the fewest persons, 'same'
    # (20), is hidden too ('x'); 'rose' stays. The members' own counts are hidden by the members: 2 and 3 ('<5').
    changes = pd.DataFrame(
        {
            "persons": [7, 2, 3, 12],
            "share": [7 / 12, 2 / 12, 3 / 12, 1.0],
            "comparison_share": [0.05, 0.4, 0.55, 1.0],
            "comparison_persons": [3, 20, 30, 50],
            "comparison_others": [47, 31, 21, 0],
        },
        index=pd.Index(["fell", "same", "rose", "total"], name="change"),
    )
    (table,) = _cells(tables.change_table(changes))
    assert [row[1:] for row in table[1:]] == [
        ["7", "58,3 %", ".."],
        ["<5", "..", "x"],
        ["<5", "..", "55,0 %"],
        ["12", "100,0 %", "100,0 %"],
    ]
    # 47 of 50 outside 'fell' but only 3 outside 'rose': the share of 'rose' (96 %) would tell about those 3
    changes["comparison_persons"] = [3, 3, 47, 50]
    changes["comparison_others"] = [47, 47, 3, 0]
    marks = tables._comparison_share_marks(changes, 5)
    assert marks.tolist() == [SMALL, SMALL, SMALL, SHOWN]
    # fewer than 5 comparison persons in all: no share is shown but the total's 100 %
    changes["comparison_persons"] = [1, 2, 1, 4]
    assert tables._comparison_share_marks(changes, 5).tolist() == [SMALL, SMALL, SMALL, SHOWN]
    # the analysis counts them: in the test evaluation c1 stayed the same and c2 fell
    from tests.test_crosssector import monthly

    costs = pd.concat(
        [
            monthly("m1", "employment", "2023-01", "2024-12", 1000),
            monthly("c1", "employment", "2023-01", "2024-12", 1000),
            monthly("c2", "employment", "2023-01", "2023-12", 2000),
            monthly("c2", "employment", "2024-01", "2024-12", 1000),
        ]
    )
    members = pd.DataFrame({"person_id": ["m1"], "joined": ["2024-01-01"]})
    matches = pd.DataFrame(
        {
            "member_id": ["m1", "m1"],
            "person_id": ["c1", "c2"],
            "reference": pd.PeriodIndex(["2024-01", "2024-01"], freq="M"),
            "weight": [0.5, 0.5],
        }
    )
    d = xs.change_distribution(xs.evaluate(costs, members, matches, end="2024-12"))
    assert d["comparison_persons"].tolist() == [1, 1, 0, 2]
    assert d["comparison_others"].tolist() == [1, 1, 2, 0]
    assert d["comparison_share"].tolist() == [0.5, 0.5, 0.0, 1.0]


def test_a_small_group_that_its_public_total_gives_away_whatever_is_hidden_hides_its_column_whole():
    # 6 evaluated members (the headline says so): 1 fell, 5 stayed, 0 rose. The 1 is '<5', the 5 beside it 'x'
    # and then the 0 too; still a + b + c = 6 with b and c of 0 or 5-12 leaves only a = 1 (b + c = 5). Nothing
    # else can be hidden (the total is public), so the column is hidden whole: every cell 'x'
    changes = pd.DataFrame(
        {
            "persons": [1, 5, 0, 6],
            "share": [1 / 6, 5 / 6, 0.0, 1.0],
            "comparison_share": [0.3, 0.4, 0.3, 1.0],
            "comparison_persons": [10, 12, 9, 30],
            "comparison_others": [20, 18, 21, 0],
        },
        index=pd.Index(["fell", "same", "rose", "total"], name="change"),
    )
    (table,) = _cells(tables.change_table(changes))
    assert [row[1:3] for row in table[1:]] == [["x", "x"]] * 4
    assert [row[3] for row in table[1:]] == ["30,0 %", "40,0 %", "30,0 %", "100,0 %"]  # 9-12 comparisons each
    # members by score interval 0, 5, 1, 0, 0 (6 in all, public): the 1 is '<5' and the rest 'x' (0 or at least
    # 5), so m1 + m2 + m4 + m5 = 6 - m3 with m3 of 1-4 can only be 5: m3 = 1. The members' column is hidden whole;
    # the persons' column keeps its marks (12, 12, 3, 8, 6: the 3 '<5' and the 6 beside it 'x')
    dist = pd.DataFrame(
        {
            "label": ["a", "b", "c", "d", "e"],
            "persons": [12, 12, 3, 8, 6],
            "members": [0, 5, 1, 0, 0],
            "cost_dkk": 1e5,
            "cost_per_person_dkk": 1e4,
        }
    )
    marks = tables.score_marks(dist)
    assert (marks["heraf deltagere"] == COMPLEMENT).all()
    assert marks["Borgere"].tolist() == [SHOWN, SHOWN, SMALL, SHOWN, COMPLEMENT, SHOWN]
