"""`analysis staffing` prints the income as the staffing report shows it: never a figure the report hides."""

from pathlib import Path

import pytest

from analysis.data.offers import read_offer
from analysis.reporting import staffing_page

OFFERS = Path(__file__).resolve().parents[1] / "parameters" / "offers"


def test_the_command_prints_the_range_where_the_report_does(capsys):
    from analysis.cli import main

    offer = OFFERS / "example-offer.yaml"
    assert main(["staffing", str(offer)]) == 0
    out = capsys.readouterr().out
    r = staffing_page.compute(read_offer(offer))
    # 20 residents, levels 1 and 4 hidden (1-4 each, 6 between them): with the rates the exact income,
    # 2.209.280 + 2.661.600 + 4 x 150.580 + 2 x 694.760 = 6.862.720 kr., would tell the split (see
    # test_privacy_disclosure); the report shows the range over the splits, so the command does too
    assert not r.disclosure.exact
    assert "Indtægt i alt: 6.862.720 kr." not in out  # it used to print this
    assert f"Indtægt i alt: {staffing_page.income_range_text(r.disclosure)} for 20 borgere" in out
    report_text = dict(staffing_page.summary_items(r))["Indtægt"]
    assert staffing_page.income_range_text(r.disclosure) in report_text
    # the monthly incomes are not shown in the report (they would give each month's split): nor their sum
    assert not r.disclosure.months_exact
    assert staffing_page.kr(r.monthly.income_dkk.sum()) not in out
    assert "Indtægt efter beboerne måned for måned: vises ikke" in out


@pytest.mark.parametrize("name", sorted(p.name for p in OFFERS.glob("*.yaml")))
def test_every_income_the_command_prints_is_one_the_report_shows(name):
    r = staffing_page.compute(read_offer(OFFERS / name))
    printed = " ".join(line for line in staffing_page.text_lines(r) if "Indtægt" in line)
    report = dict(staffing_page.summary_items(r)).get("Indtægt", "")
    if r.income is None:
        return
    exact = f"Indtægt i alt: {staffing_page.kr(r.income.income_dkk.iloc[-1])}"
    if r.disclosure.exact:  # shown exactly in the report: printed exactly
        assert exact in printed and staffing_page.kr(r.income.income_dkk.iloc[-1]) in report
    else:  # a range (or nothing) in the report: the same range (or nothing) printed
        assert exact not in printed
        assert staffing_page.income_range_text(r.disclosure) in printed
        assert staffing_page.income_range_text(r.disclosure) in report or "vises ikke" in report
