"""One notion of "data til og med": the latest booked month decides whether a year is closed."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.period import data_period


def ledger(*months: tuple[int, int], municipality_code: int = 706) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "municipality_code": municipality_code,
            "function_code": "5.38.50",
            "year": [y for y, _ in months],
            "month": [m for _, m in months],
            "spending_dkk": 1.0,
        }
    )


def test_the_ledger_decides_even_where_the_accounts_hold_the_year():
    led = ledger(*[(2024, m) for m in range(1, 13)], *[(2025, m) for m in range(1, 10)])
    accounts = pd.DataFrame({"municipality_code": 706, "year": [2023, 2024, 2025], "spending_dkk": 1.0})
    p = data_period(led, accounts)
    assert (p.latest_year, p.latest_month, p.source) == (2025, 9, "ledger")
    assert p.is_closed(2024) and not p.is_closed(2025) and not p.is_closed(2026)
    assert p.is_closed(2023)  # before the first ledger month: the ledger moved past it
    assert p.months_booked(2025) == 9 and p.months_booked(2024) == 12 and p.months_booked(2026) == 0
    assert p.last_closed_year == 2024
    assert p.provisional_accounts_years == [2025]
    assert p.closed_years(range(2022, 2027)) == [2022, 2023, 2024]
    assert p.open_year_texts(2023, 2026) == ["2025 til og med september", "2026 (intet bogført)"]
    assert p.through_text() == "september 2025"
    assert p.year_text(2025) == "2025 til og med september" and p.year_text(2024) == "2024"
    assert p.year_text(2026) == "2026 (intet bogført)"
    assert p.period_text(2018, 2025) == "2018-2025 (2025 til og med september)"
    assert p.period_text(2018, 2024) == "2018-2024" and p.period_text(2024, 2024) == "2024"


def test_december_closes_the_year():
    p = data_period(ledger((2025, 12), (2025, 3)))
    assert p.is_closed(2025) and p.last_closed_year == 2025 and p.period_text(2018, 2025) == "2018-2025"
    assert p.through_text() == "december 2025"


def test_without_a_ledger_the_accounts_decide():
    accounts = pd.DataFrame({"year": [2019, 2024]})
    p = data_period(None, accounts)
    assert (p.latest_year, p.latest_month, p.source) == (2024, 12, "accounts")
    assert p.is_closed(2024) and not p.is_closed(2025) and p.provisional_accounts_years == []
    empty = data_period(ledger()[:0], accounts)
    assert empty.source == "accounts"
    none = data_period()
    assert none.source == "none" and none.through_text() == "ingen data" and not none.is_closed(2020)


def test_one_municipality_is_picked_out():
    led = pd.concat([ledger((2025, 9)), ledger((2025, 12), municipality_code=101)])
    assert data_period(led, municipality_code=706).latest_month == 9
    assert data_period(led).latest_month == 12


def test_an_as_of_month_the_data_do_not_reach_is_refused():
    p = data_period(ledger((2025, 6)))
    p.check_month(2025, 6)
    p.check_month(2024, 11)
    with pytest.raises(InputError, match="booked through juni 2025.*month 9 of 2025"):
        p.check_month(2025, 9)
    with pytest.raises(InputError, match="month must be 1-12"):
        p.check_month(2025, 14)


def test_bad_frames_are_refused():
    with pytest.raises(InputError, match="ledger frame lacks the column.*month"):
        data_period(pd.DataFrame({"year": [2025]}))
    with pytest.raises(InputError, match="month 13"):
        data_period(ledger((2025, 13)))
    with pytest.raises(InputError, match="accounts frame lacks the column.*municipality_code"):
        data_period(None, pd.DataFrame({"year": [2025]}), municipality_code=706)
