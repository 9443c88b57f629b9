"""What the staffing report hides of its residents, decided by the view search (hand-computed cases)."""

import dataclasses
from pathlib import Path

import pandas as pd

from analysis import managers
from analysis.data.offers import read_offer
from analysis.privacy import COMPLEMENT, SHOWN, SMALL
from analysis.reporting import staffing_page

OFFERS = Path(__file__).resolve().parents[1] / "parameters" / "offers"


def _income(residents: list[int], rates: list[float]):
    r = pd.DataFrame({"level": [f"Niveau {i + 1}" for i in range(len(rates))], "rate_dkk": rates})
    people = pd.DataFrame({"level": r.level, "residents": [float(n) for n in residents]})
    return managers.offer_income(r, people), r, people


def test_a_what_if_row_leaving_a_hidden_level_is_counted_in_and_more_is_hidden():
    # levels of 2, 8 and 1 residents (11), rates 100, 200, 300 kr.; the what-if table has "2 residents leave
    # level 1", which says level 1 holds at least 2. The old marks hid the 2 and the 1 ('<5'): a + c = 3 with
    # a >= 2 gives a = 2, c = 1. Now the 8 is hidden too ('x', b of 0 or 5-22): a + b + c = 11 with a >= 2
    # leaves (a, b, c) = (2, 5, 4), (2, 6, 3), (2, 7, 2), (2, 8, 1), (3, 5, 3), (3, 6, 2), (3, 7, 1), (4, 5, 2),
    # (4, 6, 1): a of 2-4, c of 1-4. Their incomes 100 a + 200 b + 300 c are 2.400, 2.300, 2.200, 2.100, 2.200,
    # 2.100, 2.000, 2.000, 1.900 kr.: 2.400 kr. is (2, 5, 4) alone, so the exact income is not shown, only
    # its range, 1.900-2.400 kr.
    income, rates, _ = _income([2, 8, 1], [100.0, 200.0, 300.0])
    d = staffing_page.income_disclosure(income, rates, [{"from_level": "Niveau 1", "count": 2}])
    assert d.marks.tolist() == [SMALL, COMPLEMENT, SMALL, SHOWN]
    assert d.hidden_scenarios == () and not d.exact and (d.low, d.high) == (1_900.0, 2_400.0)
    # without the what-if row the two '<5' were enough: a + c = 3 is 1 + 2 or 2 + 1, incomes 100 + 600 and
    # 200 + 300 (+ 1.600 for the 8): 2.300 and 2.100 kr., one split each, so the income shows a range too
    d = staffing_page.income_disclosure(income, rates)
    assert d.marks.tolist() == [SMALL, SHOWN, SMALL, SHOWN]
    assert not d.exact and (d.low, d.high) == (2_100.0, 2_300.0)


def test_a_what_if_row_that_alone_gives_a_level_away_is_left_out():
    # 4 and 8 residents (12). "4 residents leave level 1" says level 1 ('<5', 1-4) holds 4, whatever else is
    # hidden (even the total); "1 resident leaves level 1" (at least 1) and "1 arrives" say nothing new. The
    # report leaves the first row out and keeps the marks of the income table: a + b = 12 with b of 0 or 5-24
    # gives a = 1-4 (b = 11-8); incomes 100 a + 200 (12 - a) = 2.400 - 100 a, one per a: the income is shown
    # as its range, 2.000-2.300 kr.
    income, rates, people = _income([4, 8], [100.0, 200.0])
    scenarios = [
        {"label": "Fire borgere på niveau 1 flytter", "from_level": "Niveau 1", "to_level": None, "count": 4},
        {"label": "En borger på niveau 1 flytter", "from_level": "Niveau 1", "to_level": None},
        {"label": "En ny borger på niveau 2", "from_level": None, "to_level": "Niveau 2"},
    ]
    d = staffing_page.income_disclosure(income, rates, scenarios)
    assert d.marks.tolist() == [SMALL, COMPLEMENT, SHOWN]
    assert d.hidden_scenarios == (0,) and not d.exact and (d.low, d.high) == (2_000.0, 2_300.0)
    r = staffing_page.compute(read_offer(OFFERS / "example-offer.yaml"))
    r = dataclasses.replace(
        r,
        income=income,
        rates=None,
        what_if=managers.what_if(rates, people, scenarios),
        monthly=None,
        disclosure=d,
    )
    html = staffing_page.tables(r)["what_if"]
    assert "Fire borgere" not in html and "En borger på niveau 1 flytter" in html and "En ny borger" in html
    assert "Scenarier, hvor beboere flytter fra et skjult niveau, vises ikke" in html
    lines = staffing_page.text_lines(r)
    assert not [x for x in lines if "Fire borgere" in x] and [
        x for x in lines if "En borger på niveau 1" in x
    ]
    method = staffing_page.method_text(r, "x.yaml")
    assert "Diskretion, hvad hvis" in method and "(1 af 3)" in method


def test_an_offer_of_fewer_than_five_residents_shows_neither_their_levels_nor_their_income():
    # 1 and 3 residents: the total, 4, is itself a group of fewer than 5, so every count is '<5' and the income
    # (which with the rates would tell the split: 1 x 100 + 3 x 200 = 700 or 2 x 100 + 2 x 200 = 600 ...) is
    # not shown at all
    income, rates, _ = _income([1, 3], [100.0, 200.0])
    d = staffing_page.income_disclosure(income, rates)
    assert d.marks.tolist() == [SMALL, SMALL, SMALL]
    assert not d.exact and not d.count_shown and d.low is None
    assert staffing_page.income_range_text(d) == "vises ikke"


def test_the_example_offer_hides_levels_one_and_four_and_shows_the_income_as_a_range():
    # 4, 8, 6 and 2 residents (20): levels 1 and 4 are '<5'; 4 + 2 = 6 = 2 + 4, 3 + 3, 4 + 2 keeps them three
    # values each, and the what-if rows (one resident leaves level 1, 2 and 3: at least 1 each) change nothing.
    # The income ranges over 2.209.280 + 2.661.600 + 1.991.840 ... 3.080.200 kr. (see test_privacy_disclosure)
    r = staffing_page.compute(read_offer(OFFERS / "example-offer.yaml"))
    d = r.disclosure
    assert d.marks.tolist() == [SMALL, SHOWN, SHOWN, SMALL, SHOWN]
    assert d.hidden_scenarios == () and not d.exact and (d.low, d.high) == (6_862_720.0, 7_951_080.0)
    assert not d.months_exact  # each month's 20 or 21 residents with its income would tell its split
