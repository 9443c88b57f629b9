"""The disposition register, the reconciliation with the ledger, and planned end dates in the disposition method.

Three cases on 5.38.50 of 706, as of the end of September 2025 (T = September), computed by hand:

- A (706-000001): since March 2024, open-ended, 50.000 kr. a month: pays October-December, 3 x 50.000 = 150.000;
- B (706-000002): since February 2025, planned to end 30 November 2025, 80.000 kr.: October and November,
  2 x 80.000 = 160.000;
- C (706-000003): January 2023 to 30 June 2025, 30.000 kr.: ended, not in the register.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.forecast.disposition import (
    commitments,
    explained_share,
    reconcile,
    register,
    register_summary,
)

BY = ["municipality_code", "function_code"]


def three_cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "case_id": ["706-000001", "706-000002", "706-000003"],
            "municipality_code": 706,
            "function_code": "5.38.50",
            "start_date": pd.to_datetime(["2024-03-01", "2025-02-01", "2023-01-01"]),
            "end_date": pd.to_datetime([None, None, "2025-06-30"]),
            "planned_end_date": pd.to_datetime([None, "2025-11-30", None]),
            "monthly_cost_dkk": [50_000.0, 80_000.0, 30_000.0],
        }
    )


def test_a_register_of_three_cases_by_hand():
    reg = register(three_cases(), 2025, 9)
    assert list(reg["case_id"]) == ["706-000001", "706-000002"]  # C ended in June
    assert list(reg["months"]) == [3, 2]
    assert list(reg["commitment_dkk"]) == [150_000.0, 160_000.0]
    s = register_summary(reg).loc[(706, "5.38.50")]
    assert s["running_cases"] == 2
    assert s["cases_dkk"] == 310_000.0
    assert s["commitment_dkk"] == 310_000.0


def test_a_case_not_yet_started_and_an_end_date_after_the_origin():
    cases = three_cases()
    later = pd.DataFrame(
        {
            "case_id": ["706-000004"],
            "municipality_code": [706],
            "function_code": ["5.38.50"],
            "start_date": pd.to_datetime(["2025-10-01"]),
            "end_date": pd.to_datetime([None]),
            "planned_end_date": pd.to_datetime([None]),
            "monthly_cost_dkk": [10_000.0],
        }
    )
    cases.loc[0, "end_date"] = pd.Timestamp("2025-10-31")  # not known at the end of September
    reg = register(pd.concat([cases, later], ignore_index=True), 2025, 9)
    assert list(reg["case_id"]) == ["706-000001", "706-000002"]
    assert reg["commitment_dkk"].sum() == 310_000.0


def expectations() -> pd.DataFrame:
    """A start of two cases, the early end of B and a need change of A (the rows of tests/data/expectations)."""
    return pd.DataFrame(
        {
            "municipality_code": 706,
            "function_code": ["5.38.50", "5.38.50", "5.38.50", "5.38.52"],
            "line": [1, 2, 3, 1],
            "kind": ["start", "end", "change", "end"],
            "date": pd.to_datetime(["2025-10-01", "2025-09-30", "2025-11-01", "2025-10-31"]),
            "case_id": [None, "706-000002", "706-000001", None],
            "cases": [2, 1, 1, 1],
            "monthly_cost_dkk": [100_000.0, np.nan, -10_000.0, 120_000.0],
            "note": None,
            "entered_date": pd.NaT,
        }
    )


def test_managers_expectations_add_signed_lines_by_hand():
    reg = register(three_cases(), 2025, 9, expectations())
    lines = reg.set_index(["function_code", "line"])["commitment_dkk"]
    # two new cases from October: 2 x 100.000 x 3 months
    assert lines[("5.38.50", "start")] == 600_000.0
    # B ends in September instead of November: minus 80.000 x 2 months
    assert lines[("5.38.50", "end")] == -160_000.0
    # A costs 10.000 less from November: minus 10.000 x 2 months
    assert lines[("5.38.50", "change")] == -20_000.0
    # an unnamed case of 120.000 ends in October on 5.38.52: November and December
    assert lines[("5.38.52", "end")] == -240_000.0
    s = register_summary(reg)
    assert s.loc[(706, "5.38.50"), "commitment_dkk"] == 310_000 + 600_000 - 160_000 - 20_000
    assert s.loc[(706, "5.38.52"), "commitment_dkk"] == -240_000.0


def test_expectations_entered_after_the_origin_are_not_used_and_an_unknown_case_is_unmatched():
    ex = expectations()
    ex["entered_date"] = pd.to_datetime(["2025-10-15", None, None, None])  # the start was entered in October
    ex.loc[2, "case_id"] = "706-999999"
    reg = register(three_cases(), 2025, 9, ex)
    assert "start" not in set(reg["line"])
    change = reg[reg["line"] == "change"].iloc[0]
    assert not change["matched"] and change["commitment_dkk"] == 0.0


def test_the_reconciliation_states_the_share_the_cases_explain():
    ledger = pd.DataFrame(
        {
            "municipality_code": 706,
            "function_code": "5.38.50",
            "year": 2025,
            "month": [1, 2, 3],
            "spending_dkk": [200_000.0, 200_000.0, 260_000.0],
        }
    )
    rec = reconcile(three_cases(), ledger, 2025, through_month=3)
    # January: A + C = 80.000; February and March: A + B + C = 160.000
    assert list(rec["cases_dkk"]) == [80_000.0, 160_000.0, 160_000.0]
    assert list(rec["paying_cases"]) == [2, 3, 3]
    assert rec["share"].tolist() == pytest.approx([0.4, 0.8, 160 / 260])
    share = explained_share(rec).loc[(706, "5.38.50")]
    assert share["share"] == pytest.approx(400_000 / 660_000)
    assert share["months"] == 3


def test_the_disposition_method_stops_a_case_at_its_planned_end():
    path = commitments(three_cases(), "2025-09-15", months_ahead=3).loc[(706, "5.38.50")].to_numpy()
    # window October 2024 - September 2025: one start (B, 80.000), one end (C) over 12 + 8 + 9 = 29 case-months
    q, new = 1 / 29, 80_000 / 12
    s = 1 - q
    expected = [
        50_000 + 80_000 + new,
        50_000 * s + 80_000 + new * (1 + s),
        50_000 * s**2 + 0 + new * (1 + s + s**2),  # B's planned end is November: nothing in December
    ]
    assert path == pytest.approx(expected)


def _ledger_2024_2025(last_quarter_2024: float) -> pd.DataFrame:
    """2024 complete (January-September 90.000 a month, October-December as given) and 2025 to September."""
    rows = [(2024, m, 90_000.0 if m <= 9 else last_quarter_2024) for m in range(1, 13)]
    rows += [(2025, m, 150_000.0) for m in range(1, 10)]
    return pd.DataFrame(rows, columns=["year", "month", "spending_dkk"]).assign(
        municipality_code=706, function_code="5.38.50"
    )


def _unscaled_rest() -> float:
    # the path of test_the_disposition_method_stops_a_case_at_its_planned_end, October-December 2025
    q, new = 1 / 29, 80_000 / 12
    s = 1 - q
    return (
        (50_000 + 80_000 + new)
        + (50_000 * s + 80_000 + new * (1 + s))
        + (50_000 * s**2 + new * (1 + s + s**2))
    )


def test_the_disposition_is_scaled_by_the_share_the_cases_explained_of_the_same_months_last_year():
    from analysis.forecast.disposition import commitment_paths, scaling_share, scaling_text_da
    from analysis.forecast.methods import Disposition
    from analysis.forecast.select import forecast_year

    ledger = _ledger_2024_2025(100_000.0)
    # October-December 2024: A (50.000) and C (30.000) pay, B has not started: 3 x 80.000 = 240.000 of 300.000
    # booked, a share of 0,8; the commitments of October-December 2025 are divided by it
    share = scaling_share(three_cases(), ledger, 2025, 9).loc[(706, "5.38.50")]
    assert share["share"] == pytest.approx(0.8) and share["months"] == 3 and share["scaling"] == "scaled"
    assert share["factor"] == pytest.approx(1.25)
    keys = pd.DataFrame({"municipality_code": [706], "function_code": ["5.38.50"]})
    plain = commitment_paths(three_cases(), keys, [2025], BY)[0, 0, 8, 9:]
    scaled = commitment_paths(three_cases(), keys, [2025], BY, ledger=ledger)[0, 0, 8, 9:]
    assert plain.sum() == pytest.approx(_unscaled_rest())
    assert scaled == pytest.approx(plain / 0.8)
    # the year-end forecast: booked January-September 2025 (9 x 150.000) + the commitments / 0,8
    fy = forecast_year(ledger, 2025, 9, methods=[Disposition()], cases=three_cases())
    assert fy["forecast_dkk"].iloc[0] == pytest.approx(9 * 150_000 + _unscaled_rest() / 0.8)
    assert (
        scaling_text_da(share["share"])
        == "sagerne forklarer 80 % af det bogførte; prognosen er opregnet med det"
    )


@pytest.mark.parametrize(
    ("last_quarter", "status", "text"),
    [
        # 240.000 of 3 x 200.000: 40 %, below the minimum of 50 %
        (200_000.0, "too_low", "sagerne forklarer 40 % af det bogførte, under mindstegrænsen på 50 %"),
        # 240.000 of 3 x 70.000 = 210.000: 114 %, above 110 %
        (70_000.0, "too_high", "sagerne forklarer 114 % af det bogførte, over grænsen på 110 %"),
    ],
)
def test_the_disposition_is_not_scaled_when_the_cases_explain_too_little_or_too_much(
    last_quarter, status, text
):
    from analysis.forecast.disposition import scaling_share, scaling_text_da
    from analysis.forecast.methods import Disposition
    from analysis.forecast.select import forecast_year

    ledger = _ledger_2024_2025(last_quarter)
    share = scaling_share(three_cases(), ledger, 2025, 9).loc[(706, "5.38.50")]
    assert share["scaling"] == status and share["factor"] == 1.0
    assert scaling_text_da(share["share"]) == f"{text}; prognosen er ikke opregnet"
    fy = forecast_year(ledger, 2025, 9, methods=[Disposition()], cases=three_cases())
    assert fy["forecast_dkk"].iloc[0] == pytest.approx(9 * 150_000 + _unscaled_rest())
