"""Small-group suppression: threshold floor, primary and complementary suppression, shares, rendering."""

import numpy as np
import pandas as pd
import pytest

from analysis.privacy import (
    MIN_GROUP_FLOOR,
    check_min_group,
    share_mask,
    suppress,
    suppressed_label,
    suppressed_table_html,
    suppression_mask,
)


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


def test_suppress_replaces_the_hidden_cells_by_the_label():
    table = pd.DataFrame({"Borgere": [3, 12, 40, 55], "Udgift": [1.0, 2.0, 3.0, 6.0], "Note": list("abcd")})
    table.index = ["A", "B", "C", "I alt"]
    mask = suppression_mask(table["Borgere"], total_row="I alt")
    out = suppress(table, mask, columns=["Borgere", "Udgift"])
    assert out["Borgere"].tolist() == ["<5", "<5", 40, 55]
    assert out["Udgift"].tolist() == ["<5", "<5", 3.0, 6.0]
    assert out["Note"].tolist() == list("abcd")  # not in columns
    frame_mask = pd.DataFrame({"Udgift": [False, False, True, False]}, index=table.index)
    assert suppress(table, frame_mask, min_group=10)["Udgift"].tolist() == [1.0, 2.0, "<10", 6.0]
    with pytest.raises(ValueError, match="every row"):
        suppress(table, mask.drop("A"))


def test_suppressed_html_keeps_number_formats_and_right_alignment():
    from analysis.reporting.formatting import fmt_dkk

    table = pd.DataFrame(
        {"Borgere": [3, 12, 40, 55], "Udgift": [1e6, 2e6, 3e6, 6e6]}, index=["A", "B", "C", "I alt"]
    )
    mask = suppression_mask(table["Borgere"], total_row="I alt")
    html = suppressed_table_html(table, mask, formats={"Udgift": fmt_dkk}, index=True)
    assert html.count(">&lt;5<") == 4  # two rows x two columns
    assert '<td class="num" style="text-align: right; white-space: nowrap">&lt;5</td>' in html
    assert ">3,0 mio. kr.<" in html and ">6,0 mio. kr.<" in html and ">40<" in html
    assert ">1,0 mio. kr.<" not in html and ">12<" not in html
