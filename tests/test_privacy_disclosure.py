"""What a table's other figures give away: count vectors an onlooker cannot tell apart, and weighted totals."""

import pytest

from analysis.privacy import count_vectors, determined_small_cells, weighted_total_discloses

SMALL = range(1, 5)  # a cell marked '<5' holds 1-4 persons

# The example offer's rates per level (DKK a year): 350 kr. x hours x 52 x 1.15 + 25.000 kr. for 6, 12, 20 and 32
# hours: 150.580, 276.160, 443.600 and 694.760 kr.
RATES = [150_580.0, 276_160.0, 443_600.0, 694_760.0]


def test_count_vectors_lists_every_split_the_shown_figures_allow():
    # levels 1 and 4 hidden (1-4 each), 8 and 6 shown, 20 in all: levels 1 + 4 hold 6 = 2 + 4, 3 + 3 or 4 + 2
    assert count_vectors([SMALL, [8], [6], SMALL], 20) == [(2, 8, 6, 4), (3, 8, 6, 3), (4, 8, 6, 2)]
    # a total the cells cannot reach: no vector; too many vectors: None (the callers read it as not safe)
    assert count_vectors([SMALL, SMALL], 9) == []
    assert count_vectors([range(0, 21)] * 3, 20, limit=100) is None  # 231 vectors (22 over 2)
    assert len(count_vectors([range(0, 21)] * 3, 20)) == 231


def test_a_cell_is_given_away_when_every_vector_gives_it_one_small_value():
    assert determined_small_cells([(2, 8, 6, 4), (3, 8, 6, 3)]) == []  # 8 and 6 are shown figures (>= 5)
    assert determined_small_cells([(4, 8, 6, 2)]) == [0, 3]
    assert determined_small_cells([(0, 7), (0, 9)]) == []  # 0 describes no one, 7 or 9 two values
    assert determined_small_cells([(3, 5), (3, 6)]) == [0]
    with pytest.raises(ValueError, match="contradict"):
        determined_small_cells([])


def test_the_income_of_the_example_offer_gives_its_hidden_levels_away():
    # The issue: with the rates, 20 residents and 6.862.720 kr. the two hidden levels follow. The three splits
    # give 4 x 150.580 + 2 x 694.760 = 1.991.840, 3 x (150.580 + 694.760) = 2.536.020 and
    # 2 x 150.580 + 4 x 694.760 = 3.080.200 kr. on levels 1 and 4: three different incomes, one split each.
    allowed = [SMALL, [8], [6], SMALL]
    incomes = {round(sum(n * t for n, t in zip(v, RATES, strict=True))) for v in count_vectors(allowed, 20)}
    assert incomes == {2_209_280 + 2_661_600 + x for x in (1_991_840, 2_536_020, 3_080_200)}
    assert weighted_total_discloses(allowed, 20, RATES) is True
    # what the report shows instead, the range over the splits, follows from the shown counts alone
    assert min(incomes) == 6_862_720 and max(incomes) == 7_951_080


def test_a_weighted_total_that_cannot_tell_the_splits_apart_may_be_shown():
    # equal rates: the income is 6 x 100 whatever the split
    assert weighted_total_discloses([SMALL, SMALL], 6, [100.0, 100.0]) is False
    # hidden cells that are not small (0 or at least 5, a complementary suppression) are not protected by it
    assert weighted_total_discloses([[0, 5, 6], [0, 5, 6]], 11, [100.0, 300.0]) is False
    # rounding counts: 100 and 101 kr. with no decimals differ, in thousands they are one figure
    assert weighted_total_discloses([SMALL, SMALL], 5, [100.0, 101.0]) is True
    assert weighted_total_discloses([SMALL, SMALL], 5, [100.0, 101.0], decimals=-3) is False
    # too many vectors to check: not safe
    assert weighted_total_discloses([range(0, 700)] * 3, 699, [1.0, 1.0, 1.0]) is True  # 701 over 2 > 200.000
    with pytest.raises(ValueError, match="one weight per cell"):
        weighted_total_discloses([SMALL], 3, [1.0, 2.0])
