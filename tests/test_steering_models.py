"""The steering-model simulator on hand-made demand whose answer is known: a step up, a fall, steady demand.

Two years at 50,000 DKK per resident-month. The step: 10 residents January-June of year 1, 12 from July on. The plan
of year 1 is its January (10), of year 2 the December before (12). Year 1's budget 10 x 12 x 50,000 = 6.0 mio.,
its cost (6 x 10 + 6 x 12) x 50,000 = 6.6 mio.: a deviation of 0.6 mio.
- BUM pays the cost: the authority carries 0.6 mio., the provider nothing.
- The fixed frame pays 6.0 mio.: the provider carries 0.6 mio.; paid capacity follows in January, 6 months on.
- The regulated frame (5 %) pays 10 in July and 12 from August: (7 x 10 + 5 x 12) x 50,000 = 6.5 mio.; the authority
  carries 0.5 mio., the provider 0.1 mio.; capacity follows after 1 month; settlements 2 + 1 over two years.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import steering_models as sm
from analysis.errors import InputError

RATE = 50_000


def _demand(first_half: float, second_half: float) -> pd.DataFrame:
    rows = [
        {
            "year": y,
            "month": m,
            "residents": first_half if (y == 2024 and m <= 6) else second_half,
            "rate_dkk": RATE,
        }
        for y in (2024, 2025)
        for m in range(1, 13)
    ]
    return pd.DataFrame(rows)


def _compared(demand, threshold=0.05):
    return sm.compare(sm.replay(demand, threshold)).set_index("model")


def test_a_demand_step_is_carried_by_the_authority_under_bum_and_by_the_provider_under_a_frame():
    c = _compared(_demand(10, 12))
    assert c.loc["bum", "authority_carries_dkk"] == pytest.approx(600_000)
    assert c.loc["bum", "provider_carries_dkk"] == pytest.approx(0)
    assert c.loc["frame", "authority_carries_dkk"] == pytest.approx(0)
    assert c.loc["frame", "provider_carries_dkk"] == pytest.approx(600_000)
    assert c.loc["regulated", "authority_carries_dkk"] == pytest.approx(500_000)
    assert c.loc["regulated", "provider_carries_dkk"] == pytest.approx(100_000)
    assert c.lag_months.to_dict() == {"bum": 0, "frame": 6, "regulated": 1}
    assert c.settlements_per_year.to_dict() == {"bum": 12, "frame": 1, "regulated": 1.5}
    # results by year: bum's authority -0.6 mio. and 0: a spread (ddof 0) of 0.3 mio.
    assert c.loc["bum", "authority_spread_dkk"] == pytest.approx(300_000)
    assert c.loc["frame", "provider_spread_dkk"] == pytest.approx(300_000)
    assert c.loc["frame", "authority_spread_dkk"] == pytest.approx(0)
    # 6 months of 2 residents unpaid under the frame, over two years; 1 month under the regulated frame
    assert c.mismatch_resident_months.to_dict() == pytest.approx({"bum": 0, "frame": 6, "regulated": 1})


def test_the_deviation_is_shared_whole_in_every_model():
    y = sm.yearly_results(sm.replay(_demand(10, 12)))
    assert (y.authority_dkk + y.provider_dkk).tolist() == pytest.approx((-y.deviation_dkk).tolist())
    assert y[y.year == 2024].deviation_dkk.tolist() == pytest.approx([600_000] * 3)


def test_a_threshold_above_the_step_regulates_nothing():
    c = _compared(_demand(10, 12), threshold=0.25)  # 2 / 10 = 20 % < 25 %
    assert c.loc["regulated", "provider_carries_dkk"] == pytest.approx(600_000)
    assert c.loc["regulated", "lag_months"] == 6 and c.loc["regulated", "settlements_per_year"] == 1


def test_a_demand_fall_leaves_the_saving_with_the_party_that_carries():
    c = _compared(_demand(12, 10))
    assert c.loc["bum", "authority_carries_dkk"] == pytest.approx(-600_000)  # the authority saves
    assert c.loc["frame", "provider_carries_dkk"] == pytest.approx(-600_000)  # the provider keeps the money
    assert c.loc["regulated", "provider_carries_dkk"] == pytest.approx(-100_000)


def test_steady_demand_gives_no_deviation_and_no_lag():
    c = _compared(_demand(10, 10))
    assert c[["authority_carries_dkk", "provider_carries_dkk", "authority_spread_dkk"]].abs().max().max() == 0
    assert c.lag_months.isna().all()
    assert c.settlements_per_year.to_dict() == {"bum": 12, "frame": 1, "regulated": 1}


def test_criteria_marks_what_is_measured_and_what_is_judged():
    t = sm.criteria(sm.compare(sm.replay(_demand(10, 12))))
    assert len(t) == 7 and set(t.kind) == {"målt", "vurdering"}
    assert t[t.kind == "vurdering"].criterion.tolist() == ["Retfærdighed i forhold til støttebehov", "Dialog"]
    dyn = t.set_index("criterion").loc["Dynamik: pladser følger efterspørgslen"]
    assert (dyn["Takstafregning (BUM)"], dyn["Fast ramme"], dyn["Ramme med regulering"]) == (0, 6, 1)


def test_replay_refuses_incomplete_years():
    with pytest.raises(InputError, match="months 1-12"):
        sm.replay(_demand(10, 12).iloc[:-1])
    with pytest.raises(InputError, match="threshold"):
        sm.replay(_demand(10, 12), threshold=1.5)


def test_monthly_residents_count_running_cases_and_rates_come_from_activity():
    cases = pd.DataFrame(
        {
            "person_id": ["a", "b", "b", "c", "d"],
            "paragraph": ["§108", "§108", "§108", "§108", "§85"],
            "provider": ["internal", "internal", "internal", "external", "internal"],
            "start_date": pd.to_datetime(
                ["2024-01-15", "2024-03-01", "2024-05-01", "2024-01-01", "2024-01-01"]
            ),
            "end_date": pd.to_datetime([None, "2024-04-30", None, None, None]),
        }
    )
    r = sm.monthly_residents(cases, "internal", (2024, 2024), ["§108"]).set_index("month").residents
    # a from January; b March-April and again from May (one person): 1, 1, 2, 2, 2, ...
    assert r.tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    activity = pd.DataFrame(
        {
            "year": [2024, 2024],
            "function_code": ["5.38.50"] * 2,
            "provider": ["internal", "external"],
            "full_year_persons": [10.0, 5.0],
            "spending_dkk": [6_000_000.0, 1.0],
        }
    )
    assert sm.resident_rates(activity, "5.38.50", "internal").rate_dkk.tolist() == [50_000]
