"""Signed amounts in the area, benchmark, forecast and staffing texts follow analysis.danish's one rule.

'+' before a positive amount, '-' before a negative one, and no sign when the amount rounds to zero (never
'+0,0' or '-0,0'); the rounding is that of the unsigned figure (half away from zero).
"""

from __future__ import annotations

import math

import pytest

from analysis.data.offers import read_offer
from analysis.paths import project_root
from analysis.reporting import area_page, benchmark_charts, benchmark_page, staffing_page


@pytest.mark.parametrize("signed", [area_page._signed, benchmark_page._signed, benchmark_charts._signed])
def test_signed_amounts_in_mio_kr(signed):
    assert signed(1_249_999) == "+1,2 mio. kr."  # 1,249999 rounds to 1,2
    assert signed(1_250_000) == "+1,3 mio. kr."  # half away from zero
    assert signed(-400_000) == "-0,4 mio. kr."
    assert signed(40_000) == "0,0 mio. kr."  # 0,04 rounds to 0,0: no '+0,0'
    assert signed(-40_000) == "0,0 mio. kr."  # and no '-0,0'


def test_signed_percentages_of_the_area_report():
    assert area_page._pct_signed(0.123) == "+12,3 %"
    assert area_page._pct_signed(-0.05) == "-5,0 %"
    assert area_page._pct_signed(0.0004) == "0,0 %"  # 0,04 % rounds to 0,0
    assert area_page._pct_signed(math.nan) == "–"


def test_the_staffing_what_if_lines_are_signed_in_kroner():
    r = staffing_page.compute(read_offer(project_root() / "parameters" / "offers" / "example-offer.yaml"))
    changes = dict(zip(r.what_if["scenario"], r.what_if["change_dkk"], strict=True))
    assert changes["En borger fra niveau 2 til niveau 3"] == 167_440  # the example's tariffs, see the table
    lines = [line.strip() for line in staffing_page.text_lines(r)]
    assert "En borger fra niveau 2 til niveau 3: +167.440 kr. om året" in lines
    assert "En borger fra niveau 3 til niveau 2: -167.440 kr. om året" in lines
    assert not any("+-" in line or "+0 kr." in line for line in lines)
    table = staffing_page.tables(r)["what_if"]
    assert ">+167.440 kr.<" in table and ">-167.440 kr.<" in table and ">0 kr.<" in table  # 'I dag': no sign
    assert "tilbudsfilen example-offer.yaml:" in staffing_page.method_text(
        r, "parameters/offers/example-offer.yaml"
    )
