"""Small-group suppression: threshold floor, primary and complementary suppression, shares, rendering."""

import numpy as np
import pandas as pd
import pytest

from analysis.privacy import (
    MIN_GROUP_FLOOR,
    check_min_group,
    open_top,
    share_mask,
    suppress,
    suppressed_label,
    suppression_marks,
    suppression_mask,
    suppression_notes,
)
from analysis.reporting.suppression import suppressed_table_html


def test_min_group_has_a_floor_of_five():
    assert MIN_GROUP_FLOOR == 5
    assert check_min_group(5) == 5 and check_min_group(np.int64(12)) == 12
    with pytest.raises(ValueError, match="at least 5 persons"):
        check_min_group(4)
    for bad in (True, 5.0, "5"):
        with pytest.raises(ValueError, match="whole number"):
            check_min_group(bad)
    assert suppressed_label() == "<5" and suppressed_label(10) == "<10"
    with pytest.raises(ValueError):
        suppressed_label(3)


def test_a_small_row_hides_the_next_smallest_row_so_the_total_does_not_give_it_away():
    counts = pd.Series({"A": 3, "B": 12, "C": 40, "I alt": 55})
    # A is primary (3 < 5); alone it equals 55 - 12 - 40, so B (the smallest shown row) goes too
    assert suppression_mask(counts, total_row="I alt").to_dict() == {
        "A": True,
        "B": True,
        "C": False,
        "I alt": False,
    }
    # without a total nothing can be derived: only A
    assert suppression_mask(counts.drop("I alt")).to_dict() == {"A": True, "B": False, "C": False}


def test_zero_is_shown_and_the_total_is_hidden_when_no_other_row_can_protect():
    assert suppression_mask(pd.Series({"A": 0, "B": 7})).to_dict() == {"A": False, "B": False}
    # A = total - 0: a zero row protects nothing, so the total is hidden
    got = suppression_mask(pd.Series({"A": 2, "B": 0, "I alt": 2}), total_row="I alt")
    assert got.to_dict() == {"A": True, "B": False, "I alt": True}
    assert suppression_mask(pd.Series({"A": 3, "I alt": 3}), total_row="I alt").all()


def test_a_two_way_table_with_margins_gets_a_rectangle_of_hidden_cells():
    counts = pd.DataFrame(
        {"x": [2, 10, 20, 32], "y": [10, 10, 10, 30], "z": [20, 10, 5, 35], "tot": [32, 30, 35, 97]},
        index=["r1", "r2", "r3", "tot"],
    )
    mask = suppression_mask(counts, total_row="tot", total_column="tot")
    # r1.x is primary; column x then hides r2.x (10), row r1 hides r1.y (10), row r2 hides r2.y (10, the
    # first of two tens): every row and column has 0 or 2 hidden cells
    expected = pd.DataFrame(False, index=counts.index, columns=counts.columns)
    expected.loc[["r1", "r2"], ["x", "y"]] = True
    pd.testing.assert_frame_equal(mask, expected)


def test_no_additive_group_is_left_with_exactly_one_hidden_cell():
    rng = np.random.default_rng(6)
    for _ in range(200):
        inner = rng.integers(0, 15, size=(rng.integers(1, 5), rng.integers(1, 5)))
        table = pd.DataFrame(inner)
        table["tot"] = table.sum(axis=1)
        table.loc["tot"] = table.sum(axis=0)
        mask = suppression_mask(table, 5, total_row="tot", total_column="tot").to_numpy()
        values = table.to_numpy()
        assert mask[(values > 0) & (values < 5)].all()  # every small cell is hidden
        for col in range(mask.shape[1]):
            assert mask[:, col].sum() != 1
        for row in range(mask.shape[0]):
            assert mask[row, :].sum() != 1


def test_the_threshold_is_a_parameter_and_bad_labels_are_refused():
    counts = pd.Series({"A": 7, "B": 12, "I alt": 19})
    assert not suppression_mask(counts, 5, total_row="I alt").any()
    assert suppression_mask(counts, 10, total_row="I alt").to_dict() == {"A": True, "B": True, "I alt": False}
    with pytest.raises(ValueError, match="at least 5"):
        suppression_mask(counts, 4)
    with pytest.raises(ValueError, match="total_row 'Total'"):
        suppression_mask(counts, total_row="Total")
    with pytest.raises(ValueError, match="missing count"):
        suppression_mask(pd.Series([1.0, np.nan]))


def test_shares_are_hidden_when_the_counted_or_the_rest_is_small():
    numerator = pd.Series([0, 1, 6, 7, 3, 10], index=list("abcdef"))
    denominator = pd.Series([7, 7, 7, 7, 4, 20], index=list("abcdef"))
    # 0/7 and 7/7 shown; 1/7 and 6/7 tell about one person; 3/4 rests on 4 persons; 10/20 shown
    assert share_mask(numerator, denominator).tolist() == [False, True, True, False, True, False]
    assert share_mask(numerator, denominator).index.tolist() == list("abcdef")
    assert share_mask([10], [20], 11).tolist() == [True]


def test_suppress_marks_small_groups_and_protecting_cells_differently():
    # Changed deliberately (issue 11): an amount of a hidden group no longer reads '<5' (it is not a number of
    # persons), and a row hidden only to protect another reads 'x', not '<5'.
    table = pd.DataFrame({"Borgere": [3, 12, 40, 55], "Udgift": [1.0, 2.0, 3.0, 6.0], "Note": list("abcd")})
    table.index = ["A", "B", "C", "I alt"]
    marks = suppression_marks(table["Borgere"], total_row="I alt")
    out = suppress(table, marks, columns=["Borgere", "Udgift"], count_columns=["Borgere"])
    assert out["Borgere"].tolist() == ["<5", "x", 40, 55]
    assert out["Udgift"].tolist() == ["..", "x", 3.0, 6.0]
    assert out["Note"].tolist() == list("abcd")  # not in columns
    # a boolean mask reads as small groups
    frame_mask = pd.DataFrame({"Udgift": [False, False, True, False]}, index=table.index)
    assert suppress(table, frame_mask, min_group=10)["Udgift"].tolist() == [1.0, 2.0, "..", 6.0]
    assert suppress(table, frame_mask.rename(columns={"Udgift": "Borgere"}), 10, count_columns=["Borgere"])[
        "Borgere"
    ].tolist() == [3, 12, "<10", 55]
    with pytest.raises(ValueError, match="every row"):
        suppress(table, marks.drop("A"))


def test_the_marks_tell_a_small_group_from_a_cell_hidden_to_protect_it():
    # Syddjurs 2024 by number of sectors: 4 persons in four sectors; the three-sector group (35 persons) is hidden
    # only so that 597 - 433 - 125 - 35 cannot give the four
    counts = pd.Series({1: 433, 2: 125, 3: 35, 4: 4, "I alt": 597})
    marks = suppression_marks(counts, total_row="I alt")
    assert marks.to_dict() == {1: "", 2: "", 3: "complement", 4: "small", "I alt": ""}
    assert (suppression_mask(counts, total_row="I alt") == (marks != "")).all()
    two_way = pd.DataFrame({"x": [2, 10, 12], "y": [10, 10, 20]}, index=["r1", "r2", "tot"])
    got = suppression_marks(two_way, total_row="tot")
    assert got.to_dict("list") == {"x": ["small", "complement", ""], "y": ["", "", ""]}
    notes = suppression_notes(marks)
    assert notes == [
        "<5 og ..: gruppen har færre end 5 borgere, så dens tal vises ikke.",
        "x: skjult, så mindre grupper ikke kan regnes ud.",
    ]
    assert suppression_notes(pd.Series(["", ""])) == []
    assert suppression_notes(["small"], 10)[0].startswith("<10 og ..: gruppen har færre end 10 borgere")


def test_a_small_tail_of_categories_is_merged_into_an_open_top():
    assert open_top([433, 125, 35, 4]) == 2  # 3 and 4 sectors: "3 eller flere" with 39 persons
    assert open_top([433, 125, 35, 40]) == 3  # nothing small: nothing merged
    assert open_top([154, 55, 7, 3, 6]) == 3  # the top (6) is large, but the one below it (3) is small
    assert open_top([20, 2, 1]) == 0  # everything merges into the first category
    assert open_top([20, 10, 0, 8]) == 3  # an empty category is shown as it is
    assert open_top([9], 10) == 0
    with pytest.raises(ValueError):
        open_top([])


def test_suppressed_html_keeps_number_formats_and_right_alignment():
    from analysis.reporting.formatting import fmt_dkk

    table = pd.DataFrame(
        {"Borgere": [3, 12, 40, 55], "Udgift": [1e6, 2e6, 3e6, 6e6]}, index=["A", "B", "C", "I alt"]
    )
    marks = suppression_marks(table["Borgere"], total_row="I alt")
    html = suppressed_table_html(
        table, marks, formats={"Udgift": fmt_dkk}, index=True, count_columns=["Borgere"]
    )
    assert html.count(">&lt;5<") == 1  # the persons of the small group, and nothing else
    assert html.count(">..<") == 1 and html.count(">x<") == 2  # its amount; the protecting row's two cells
    assert '<td class="num" style="text-align: right; white-space: nowrap">&lt;5</td>' in html
    assert ">3,0 mio. kr.<" in html and ">6,0 mio. kr.<" in html and ">40<" in html
    assert ">1,0 mio. kr.<" not in html and ">12<" not in html
    assert (
        '<p class="table-note"><em>Note. &lt;5 og ..: gruppen har færre end 5 borgere'
        in suppressed_table_html(table, marks, index=True, count_columns=["Borgere"], notes=["Note."])
    )
    nothing = suppressed_table_html(table, marks.map(lambda _: ""), index=True)
    assert "table-note" not in nothing and ">3<" in nothing
