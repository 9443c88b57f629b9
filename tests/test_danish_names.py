"""A name inside a Danish sentence (analysis.danish.in_sentence): one rule for every report that writes one."""

import pytest

from analysis.danish import in_sentence
from analysis.reporting import formatting


@pytest.mark.parametrize(
    ("name", "written"),
    [
        # a common noun capitalised because it stands alone: lowered (Danish writes common nouns in lower case)
        (
            "Pris- og lønindeks for kommunale serviceudgifter",
            "pris- og lønindeks for kommunale serviceudgifter",
        ),
        ("Ølafgift", "ølafgift"),  # a Danish capital is lowered like any other
        # an abbreviation, or a first word with another capital or a digit, is kept: str.lower() made these
        # "p/l-indeks" and "kl's", which is not Danish
        ("P/L-indeks", "P/L-indeks"),
        ("PL-indeks", "PL-indeks"),
        ("KL's pris- og lønskøn", "KL's pris- og lønskøn"),
        ("BNP-deflator", "BNP-deflator"),
        ("A-indeks", "A-indeks"),
        ("Indeks2025", "Indeks2025"),
        # nothing after the first letter changes (str.lower() made "(KL)" into "(kl)")
        ("Pris- og lønindeks (KL)", "pris- og lønindeks (KL)"),
        # a proper name of two capitalised words is kept (the cross-sector report's rule lowered it)
        ("Danmarks Statistiks nettoprisindeks", "Danmarks Statistiks nettoprisindeks"),
        # already in lower case, or empty: unchanged
        ("pris- og lønindekset", "pris- og lønindekset"),
        ("", ""),
    ],
)
def test_a_name_is_lowered_only_where_its_capital_is_the_sentence_start(name, written):
    assert in_sentence(name) == written


def test_the_reports_use_the_one_rule():
    assert formatting.in_sentence is in_sentence
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    forecast = (root / "notebooks" / "forecast.ipynb").read_text("utf-8")
    assert "fmt.in_sentence(pl.name)" in forecast and "pl.name.lower()" not in forecast
    report = (root / "src" / "analysis" / "crosssector" / "report.py").read_text("utf-8")
    assert "in_sentence(price_index_name)" in report
