"""What a table gives away, decided by one mechanism: the onlooker's view of its counts, searched.

Every expectation is worked out by hand in the comments, and the search is checked against a plain listing of
every count vector (itertools.product), which shares no code with it.
"""

import itertools

import pandas as pd
import pytest

from analysis.privacy import (
    COMPLEMENT,
    SHOWN,
    SMALL,
    column_view,
    disclosed_cells,
    feasible_values,
    given_away,
    joint_view,
    secure_marks,
    secure_tables,
    solutions,
    suppression_marks,
    table_view,
    weighted_total,
    weighted_total_discloses,
)

SMALL_VALUES = range(1, 5)  # a cell marked '<5' holds 1-4 persons
TOTAL = "I alt"

# The example offer's rates per level (DKK a year): 350 kr. x hours x 52 x 1.15 + 25.000 kr. for 6, 12, 20 and 32
# hours: 150.580, 276.160, 443.600 and 694.760 kr.
RATES = [150_580.0, 276_160.0, 443_600.0, 694_760.0]


def _listing(allowed, total):
    """Every vector with each count among its allowed values and the sum ``total`` (no search)."""
    return [v for v in itertools.product(*allowed) if sum(v) == total]


def test_solutions_of_a_column_view_are_every_split_the_shown_figures_allow():
    # levels 1 and 4 hidden (1-4 each), 8 and 6 shown, 20 in all: levels 1 + 4 hold 6 = 2 + 4, 3 + 3 or 4 + 2
    allowed = [SMALL_VALUES, [8], [6], SMALL_VALUES]
    found = solutions(*column_view(allowed, 20))
    assert sorted(tuple(s.values()) for s in found) == [(2, 8, 6, 4), (3, 8, 6, 3), (4, 8, 6, 2)]
    assert sorted(tuple(s.values()) for s in found) == _listing(allowed, 20)
    # a total the cells cannot reach (two '<5' hold at most 8): none; too many: None (read as not safe)
    assert solutions(*column_view([SMALL_VALUES, SMALL_VALUES], 9)) == []
    assert len(solutions(*column_view([range(21)] * 3, 20))) == 231  # 22 over 2
    assert solutions(*column_view([range(21)] * 3, 20), limit=100) is None


def test_a_column_with_a_total_keeps_its_small_cell_four_values():
    # 3, 12 and 40 persons, 55 in all: the 3 is hidden ('<5') and the 12 beside it ('x'). An onlooker knows
    # a + b = 55 - 40 = 15 with a of 1-4 and b of 0 or 5-110 (the table's largest sum): b = 11-14 gives a = 4-1
    counts = pd.Series({"A": 3, "B": 12, "C": 40, TOTAL: 55})
    marks = suppression_marks(counts, total_row=TOTAL)
    assert marks.tolist() == [SMALL, COMPLEMENT, SHOWN, SHOWN]
    domains, constraints = table_view(counts, marks, total_row=TOTAL)
    assert feasible_values(domains, constraints, [("", "A", "count")]) == {("", "A", "count"): [1, 2, 3, 4]}
    assert disclosed_cells(counts, marks, total_row=TOTAL) == []


def test_two_hidden_cells_are_not_always_enough():
    # 1, 5 and 40 persons, 46 in all: hiding the 1 and the 5 leaves a + b = 6 with b of 0 or at least 5, so
    # only 1 + 5 fits and the 1 is given away. The 40 is hidden too: a + b + c = 46, e.g. 1 + 5 + 40, 2 + 0 + 44,
    # 3 + 5 + 38, 4 + 0 + 42: four values for a
    counts = pd.Series({"A": 1, "B": 5, "C": 40, TOTAL: 46})
    two = pd.Series([SMALL, COMPLEMENT, SHOWN, SHOWN], index=counts.index)
    assert disclosed_cells(counts, two, total_row=TOTAL) == ["A"]
    assert {v[0] for v in _listing([SMALL_VALUES, [0, *range(5, 47)], [40]], 46)} == {1}
    three = secure_marks(counts, two, total_row=TOTAL)
    assert three.tolist() == [SMALL, COMPLEMENT, COMPLEMENT, SHOWN]
    assert suppression_marks(counts, total_row=TOTAL).tolist() == three.tolist()
    assert {v[0] for v in _listing([SMALL_VALUES, [0, *range(5, 47)], [0, *range(5, 47)]], 46)} == {
        1,
        2,
        3,
        4,
    }


def test_two_small_cells_that_the_shown_total_fixes_hide_the_total():
    # two levels of 4 residents, 8 in all: a + b = 8 with both 1-4 leaves only 4 + 4. No inner cell is left to
    # hide, so the total is hidden ('x'); with a zero row beside them the zero is hidden instead: a + b + c = 8
    # with c of 0 or 5-16 leaves a + b = 8 (4 + 4), 3 (1 + 2, 2 + 1) or 2 (1 + 1): a of 1, 2 or 4
    assert suppression_marks(pd.Series({"A": 4, "B": 4, TOTAL: 8}), total_row=TOTAL).tolist() == [
        SMALL,
        SMALL,
        COMPLEMENT,
    ]
    counts = pd.Series({"A": 4, "B": 4, "C": 0, TOTAL: 8})
    marks = suppression_marks(counts, total_row=TOTAL)
    assert marks.tolist() == [SMALL, SMALL, COMPLEMENT, SHOWN]
    domains, constraints = table_view(counts, marks, total_row=TOTAL)
    assert feasible_values(domains, constraints, [("", "A", "count")]) == {("", "A", "count"): [1, 2, 4]}
    assert {v[0] for v in _listing([SMALL_VALUES, SMALL_VALUES, [0, *range(5, 17)]], 8)} == {1, 2, 4}


def test_a_table_with_a_row_and_a_column_total_hides_a_rectangle_that_keeps_three_values():
    #        c1  c2 | I alt
    #   r1    2   8 |  10      the 2 is hidden; its row needs a second hidden cell (the 8), the 8's column a
    #   r2    6   9 |  15      second (the 9), the 9's row a second (the 6): a rectangle, margins shown.
    #   I alt 8  17 |  25      a + b = 10, c + d = 15, a + c = 8, b + d = 17, a of 1-4, the others 0 or >= 5:
    # a = 1 (b 9, c 7, d 8), 2 (8, 6, 9), 3 (7, 5, 10); a = 4 would leave c = 4, which an 'x' cannot hold
    t = pd.DataFrame({"c1": [2, 6, 8], "c2": [8, 9, 17], TOTAL: [10, 15, 25]}, index=["r1", "r2", TOTAL])
    marks = suppression_marks(t, total_row=TOTAL, total_column=TOTAL)
    assert marks.loc[["r1", "r2"], ["c1", "c2"]].to_numpy().tolist() == [
        [SMALL, COMPLEMENT],
        [COMPLEMENT, COMPLEMENT],
    ]
    assert (marks.loc[TOTAL] == SHOWN).all() and (marks[TOTAL] == SHOWN).all()
    domains, constraints = table_view(t, marks, total_row=TOTAL, total_column=TOTAL)
    assert feasible_values(domains, constraints, [("", "r1", "c1")]) == {("", "r1", "c1"): [1, 2, 3]}
    x = [0, *range(5, 26)]
    rect = [
        (a, b, c, d)
        for a, b, c, d in itertools.product(SMALL_VALUES, x, x, x)
        if a + b == 10 and c + d == 15 and a + c == 8 and b + d == 17
    ]
    assert sorted({r[0] for r in rect}) == [1, 2, 3]


def test_a_table_about_fewer_than_five_persons_in_all_shows_nothing_of_them():
    # 1 and 3 persons, 4 in all: the total is itself a small group ('<5') and unknown, so each cell may be 1-4
    # (the total 2-8); shown, the 4 would leave 1 + 3, 2 + 2, 3 + 1 (still three values each), but a total of
    # fewer than 5 is never shown
    counts = pd.Series({"A": 1, "B": 3, TOTAL: 4})
    marks = suppression_marks(counts, total_row=TOTAL)
    assert marks.tolist() == [SMALL, SMALL, SMALL]
    domains, _ = table_view(counts, marks, total_row=TOTAL)
    assert domains[("", TOTAL, "count")] == [1, 2, 3, 4]
    assert disclosed_cells(counts, marks, total_row=TOTAL) == []


def test_a_share_beside_a_count_is_hidden_with_it():
    # a share of the persons is the count over the total: beside a hidden count it would give the count back
    # (25 % of 12 = 3), so the staffing and cross-sector tables mark the share by the count's marks; the search
    # checks the counts. 7, 2 and 3 of 12: 2 + 3 = 5 = 1 + 4, 2 + 3, 3 + 2, 4 + 1
    counts = pd.Series({"A": 7, "B": 2, "C": 3, TOTAL: 12})
    marks = suppression_marks(counts, total_row=TOTAL)
    assert marks.tolist() == [SHOWN, SMALL, SMALL, SHOWN]
    domains, constraints = table_view(counts, marks, total_row=TOTAL, public_totals=True)
    assert feasible_values(domains, constraints, [("", "B", "count")]) == {("", "B", "count"): [1, 2, 3, 4]}


def test_the_income_of_the_example_offer_gives_its_hidden_levels_away():
    # The example offer: 20 residents, levels 1 and 4 hidden (1-4 each, 6 between them), 8 and 6 shown. The
    # three splits give 4 x 150.580 + 2 x 694.760 = 1.991.840, 3 x (150.580 + 694.760) = 2.536.020 and
    # 2 x 150.580 + 4 x 694.760 = 3.080.200 kr. on levels 1 and 4: three different incomes, one split each.
    counts = pd.Series([4.0, 8.0, 6.0, 2.0, 20.0])
    marks = suppression_marks(counts, total_row=4)
    assert marks.tolist() == [SMALL, SHOWN, SHOWN, SMALL, SHOWN]
    domains, constraints = table_view(counts, marks, total_row=4)
    shown = 8 * RATES[1] + 6 * RATES[2]  # 2.209.280 + 2.661.600
    weights = {k: RATES[k[1]] for k in domains}
    found = weighted_total(domains, constraints, weights, offset=shown)
    assert found.disclosed == [("", 0, "count"), ("", 3, "count")]
    # what the report shows instead, the range over the splits, follows from the shown counts alone
    assert (found.low, found.high) == (2_209_280 + 2_661_600 + 1_991_840, 2_209_280 + 2_661_600 + 3_080_200)
    assert (found.low, found.high) == (6_862_720, 7_951_080)


def test_a_weighted_total_that_cannot_tell_the_splits_apart_may_be_shown():
    # equal rates: the income is 6 x 100 whatever the split
    assert (
        weighted_total_discloses(*column_view([SMALL_VALUES, SMALL_VALUES], 6), {0: 100.0, 1: 100.0}) is False
    )
    # hidden cells that are not small (0 or at least 5) are not protected by it: 0 + 11, 5 + 6, 6 + 5, 11 + 0
    # give four incomes, but no cell of 1-4
    x = [0, 5, 6, 11]
    assert weighted_total_discloses(*column_view([x, x], 11), {0: 100.0, 1: 300.0}) is False
    # rounding counts: 1 + 4 = 500 + 4 = 504 kr. and 4 + 1 = 400 + 101 = 501 kr. differ in kroner; in
    # thousands (decimals -3) every split reads 1.000 kr. (0 t.kr. rounded): one class
    view = column_view([SMALL_VALUES, SMALL_VALUES], 5)
    assert weighted_total_discloses(*view, {0: 100.0, 1: 101.0}) is True
    assert weighted_total_discloses(*view, {0: 100.0, 1: 101.0}, decimals=-3) is False
    # too many assignments to check: not safe (three cells of 0-20 summing to 20: 22 over 2 = 231 > 100)
    view = column_view([range(21)] * 3, 20)
    assert weighted_total_discloses(*view, {0: 1.0, 1: 1.0, 2: 1.0}, limit=100) is True
    assert weighted_total_discloses(*view, {0: 1.0, 1: 1.0, 2: 1.0}) is False  # all 231 checked: one income
    with pytest.raises(ValueError, match="contradict"):
        weighted_total(*column_view([SMALL_VALUES], 9), {0: 1.0})


@pytest.mark.parametrize("seed", range(30))
def test_the_weighted_total_agrees_with_a_plain_listing(seed):
    # random columns of 2-4 cells ('<5', 'x' or shown) and random whole rates: the cells given away by the total
    # are those that some income class (listing every vector by itertools.product) leaves one value of 1-4
    import random

    rng = random.Random(seed)
    n = rng.randint(2, 4)
    kinds = [rng.choice(["small", "x", "shown"]) for _ in range(n)]
    values = [rng.randint(1, 4) if k == "small" else rng.choice([0, 5, 6, 9]) for k in kinds]
    total = sum(values)
    allowed = [
        list(SMALL_VALUES) if k == "small" else ([v] if k == "shown" else [0, *range(5, total + 1)])
        for k, v in zip(kinds, values, strict=True)
    ]
    rates = [float(rng.choice([100, 150, 200, 300])) for _ in range(n)]
    found = weighted_total(*column_view(allowed, total), dict(enumerate(rates)))
    classes: dict = {}
    for v in _listing(allowed, total):
        classes.setdefault(sum(a * r for a, r in zip(v, rates, strict=True)), []).append(v)
    expected = [
        i for i in range(n) if any(len({v[i] for v in c}) == 1 and 0 < c[0][i] < 5 for c in classes.values())
    ]
    assert found.disclosed == expected, (values, kinds, rates)
    assert (found.low, found.high) == (min(classes), max(classes))


def test_two_tables_together_give_away_what_neither_does_alone():
    # table a: 3 ('<5'), 7 ('x'), 40, 50 in all: alone a + b = 10 with b of 0 or 5-100 leaves a = 1-4 (b = 9-6).
    # Table b shows a's second group (7) as its P (a link: a's B = b's P): then a = 10 - 7 = 3. The joint search
    # hides a's 40 as well: a + c = 50 - 7 = 43 with c of 0 or 5-100 leaves a = 1-4 (c = 42-39). Table b, whose
    # groups are all 5 or more, keeps showing them.
    a = pd.Series({"A": 3, "B": 7, "C": 40, TOTAL: 50})
    b = pd.Series({"P": 7, "Q": 20, TOTAL: 27})
    view = {"total_row": TOTAL}
    tables = {
        "a": (a, suppression_marks(a, total_row=TOTAL), view),
        "b": (b, suppression_marks(b, total_row=TOTAL), view),
    }
    link = [({("a", "B", "count"): 1, ("b", "P", "count"): -1}, 0, 0)]
    assert tables["a"][1].tolist() == [SMALL, COMPLEMENT, SHOWN, SHOWN]
    assert disclosed_cells(a, tables["a"][1], total_row=TOTAL) == []  # alone: safe
    assert given_away(*joint_view(tables, link)) == [("a", "A", "count")]  # together: the 3 follows
    out = secure_tables(tables, link)
    assert out["a"].tolist() == [SMALL, COMPLEMENT, COMPLEMENT, SHOWN]
    assert out["b"].tolist() == [SHOWN, SHOWN, SHOWN]
    checked = {n: (t, out[n], view) for n, (t, _, _) in tables.items()}
    assert given_away(*joint_view(checked, link)) == []
    # a link made only of shown cells adds nothing, and tables without links are searched as each alone
    assert secure_tables({"a": tables["a"]})["a"].tolist() == [SMALL, COMPLEMENT, SHOWN, SHOWN]


def test_where_a_table_has_nothing_left_to_hide_a_linked_table_hides_instead():
    # table a: 2 ('<5') and 6 ('x') under a public total of 8: alone a + b = 8 with b of 5-7 (0 would leave
    # a = 8) gives a = 3, 2 or 1. Table b shows a's second group as its Q (a link: a's B = b's Q = 6), so a = 2
    # follows, and table a has no shown inner cell left to hide. The search hides b's Q instead, and b's P with
    # it (b's column would otherwise give Q back: 26 - 20); then a + Q = 8 and Q + P = 26 with Q, P of 0 or
    # at least 5 leave a = 1, 2 or 3 (Q = 7, 6, 5; P = 19, 20, 21)
    a = pd.Series({"A": 2, "B": 6, TOTAL: 8})
    b = pd.Series({"P": 20, "Q": 6, TOTAL: 26})
    public = {"total_row": TOTAL, "public_totals": True}
    tables = {
        "a": (a, pd.Series([SMALL, COMPLEMENT, SHOWN], index=a.index), public),
        "b": (b, pd.Series(SHOWN, index=b.index), public),
    }
    link = [({("a", "B", "count"): 1, ("b", "Q", "count"): -1}, 0, 0)]
    assert disclosed_cells(a, tables["a"][1], **public) == []
    assert given_away(*joint_view(tables, link)) == [("a", "A", "count")]
    out = secure_tables(tables, link)
    assert out["a"].tolist() == [SMALL, COMPLEMENT, SHOWN]
    assert out["b"].tolist() == [COMPLEMENT, COMPLEMENT, SHOWN]
    checked = {n: (t, out[n], public) for n, (t, _, _) in tables.items()}
    domains, constraints = joint_view(checked, link)
    assert feasible_values(domains, constraints, [("a", "A", "count")]) == {("a", "A", "count"): [1, 2, 3]}
