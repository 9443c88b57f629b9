"""Tests of analysis.benchmark with hand-computed expectations (the arithmetic is in the comments)."""

import math

import pandas as pd
import pytest

from analysis.benchmark import (
    GAP_STEPS,
    benchmark,
    benchmark_inputs,
    benchmark_report,
    decompose,
    effects,
    gap_steps,
    group_peers,
    internal_vs_external,
    key_figures,
    nearest_peers,
    peer_table,
    peers_from_list,
    potentials,
    provider_breakdown,
    provider_prices,
    region_peers,
    report_from_data,
    select_peers,
    structural_distances,
    unit_measures,
)

MIO = 1_000_000


def unit(spending, persons, population):
    return {"spending_dkk": spending, "full_year_persons": persons, "population_18_64": population}


def peer_frame(*rows, codes=None):
    frame = pd.DataFrame([unit(*row) for row in rows])
    if codes is not None:
        frame.insert(0, "municipality_code", codes)
    return frame


# Two peers with the same price (1.0 mio per person) and rate (2.5 per 1,000):
#   A: 5 persons, 5 mio, pop 2,000;  B: 20 persons, 20 mio, pop 8,000
#   totals: 25 persons, 25 mio, pop 10,000 -> peer price 25/25 = 1.0 mio, peer rate 25/10,000*1,000 = 2.5
SAME_PEERS = peer_frame((5 * MIO, 5, 2_000), (20 * MIO, 20, 8_000))


# ---------------------------------------------------------------------------------------------------
# decompose
# ---------------------------------------------------------------------------------------------------


def test_only_price_differs():
    # own: 10 persons, 12 mio, pop 4,000 -> price 1.2 mio, rate 10/4,000*1,000 = 2.5 (= peer rate)
    # expected persons = 2.5 * 4,000/1,000 = 10; expected spending = 1.0 mio * 10 = 10 mio
    # gap = 12 - 10 = 2 mio; price effect = (1.2 - 1.0) mio * 10 = 2 mio; quantity = (10 - 10) * 1.0 mio = 0
    result = decompose(unit(12 * MIO, 10, 4_000), SAME_PEERS)
    assert result["own_price"] == pytest.approx(1.2 * MIO)
    assert result["peer_price"] == pytest.approx(1.0 * MIO)
    assert result["own_rate"] == pytest.approx(2.5)
    assert result["peer_rate"] == pytest.approx(2.5)
    assert result["expected_spending_dkk"] == pytest.approx(10 * MIO)
    assert result["gap_dkk"] == pytest.approx(2 * MIO)
    assert result["price_effect_dkk"] == pytest.approx(2 * MIO)
    assert result["quantity_effect_dkk"] == pytest.approx(0, abs=1e-6)
    assert result["n_peers"] == 2


def test_only_quantity_differs():
    # own: 12 persons, 12 mio, pop 4,000 -> price 1.0 mio (= peer price), rate 3.0
    # expected persons 10, expected spending 10 mio; gap = 2 mio
    # price effect = (1.0 - 1.0) * 12 = 0; quantity effect = (12 - 10) * 1.0 mio = 2 mio
    result = decompose(unit(12 * MIO, 12, 4_000), SAME_PEERS)
    assert result["own_rate"] == pytest.approx(3.0)
    assert result["gap_dkk"] == pytest.approx(2 * MIO)
    assert result["price_effect_dkk"] == pytest.approx(0, abs=1e-6)
    assert result["quantity_effect_dkk"] == pytest.approx(2 * MIO)
    assert result["expected_persons"] == pytest.approx(10)


def test_both_differ_and_add_up():
    # own: 10 persons at 1.2 mio = 12 mio, pop 5,000 -> rate 2.0
    # peers: A 6 persons, 6.6 mio, pop 3,000;  B 14 persons, 13.4 mio, pop 5,000
    #   totals 20 persons, 20 mio, pop 8,000 -> peer price 1.0 mio, peer rate 20/8,000*1,000 = 2.5
    # expected persons = 2.5 * 5,000/1,000 = 12.5; expected spending = 12.5 mio
    # gap = 12 - 12.5 = -0.5 mio
    # price effect = (1.2 - 1.0) mio * 10 = +2.0 mio
    # quantity effect = (10 - 12.5) * 1.0 mio = -2.5 mio;  2.0 - 2.5 = -0.5 = gap
    peers = peer_frame((6.6 * MIO, 6, 3_000), (13.4 * MIO, 14, 5_000))
    result = decompose(pd.Series(unit(12 * MIO, 10, 5_000)), peers)
    assert result["peer_price"] == pytest.approx(1.0 * MIO)
    assert result["peer_rate"] == pytest.approx(2.5)
    assert result["expected_persons"] == pytest.approx(12.5)
    assert result["gap_dkk"] == pytest.approx(-0.5 * MIO)
    assert result["price_effect_dkk"] == pytest.approx(2.0 * MIO)
    assert result["quantity_effect_dkk"] == pytest.approx(-2.5 * MIO)
    assert result["price_effect_dkk"] + result["quantity_effect_dkk"] == pytest.approx(
        result["gap_dkk"], rel=1e-12
    )


def test_peer_averages_are_weighted_not_unweighted():
    # peers: A 1 person, 2 mio, pop 1,000 (price 2 mio, rate 1);  B 9 persons, 9 mio, pop 3,000 (price 1 mio, rate 3)
    # weighted price = 11 mio / 10 = 1.1 mio   (unweighted mean of prices (2 + 1)/2 = 1.5 mio)
    # weighted rate  = 10 / 4,000 * 1,000 = 2.5 (unweighted mean of rates (1 + 3)/2 = 2.0)
    # own: 10 persons, 12 mio, pop 4,000: expected persons 2.5 * 4 = 10, expected spending 1.1 * 10 = 11 mio
    # gap = 1 mio; price effect = (1.2 - 1.1) * 10 = 1 mio; quantity effect = 0
    peers = peer_frame((2 * MIO, 1, 1_000), (9 * MIO, 9, 3_000))
    result = decompose(unit(12 * MIO, 10, 4_000), peers)
    assert result["peer_price"] == pytest.approx(1.1 * MIO)
    assert result["peer_price"] != pytest.approx(1.5 * MIO)
    assert result["peer_rate"] == pytest.approx(2.5)
    assert result["peer_rate"] != pytest.approx(2.0)
    assert result["gap_dkk"] == pytest.approx(1 * MIO)
    assert result["price_effect_dkk"] == pytest.approx(1 * MIO)
    assert result["quantity_effect_dkk"] == pytest.approx(0, abs=1e-6)


def test_zero_own_persons_puts_the_gap_in_quantity():
    # own: 0 persons, 0 spending, pop 4,000; peers price 1.0 mio, rate 2.5 -> expected 10 persons, 10 mio
    # gap = -10 mio; own price undefined (NaN), price effect 0, quantity effect (0 - 10) * 1.0 mio = -10 mio
    result = decompose(unit(0, 0, 4_000), SAME_PEERS)
    assert math.isnan(result["own_price"])
    assert result["price_effect_dkk"] == 0
    assert result["quantity_effect_dkk"] == pytest.approx(-10 * MIO)
    assert result["gap_dkk"] == pytest.approx(-10 * MIO)


def test_empty_peer_group_is_an_error():
    with pytest.raises(ValueError, match="peer group is empty"):
        decompose(unit(12 * MIO, 10, 4_000), SAME_PEERS.iloc[0:0])


def test_zero_peer_persons_is_an_error():
    peers = peer_frame((1 * MIO, 0, 2_000), (2 * MIO, 0, 3_000))
    with pytest.raises(ValueError, match="zero full-year persons"):
        decompose(unit(12 * MIO, 10, 4_000), peers)


def test_zero_peer_population_is_an_error():
    peers = peer_frame((1 * MIO, 1, 0))
    with pytest.raises(ValueError, match="zero residents"):
        decompose(unit(12 * MIO, 10, 4_000), peers)


def test_zero_own_population_is_an_error():
    with pytest.raises(ValueError, match="own residents is zero"):
        decompose(unit(12 * MIO, 10, 0), SAME_PEERS)


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="own is missing residents"):
        decompose({"spending_dkk": 1.0, "full_year_persons": 1.0}, SAME_PEERS)
    with pytest.raises(ValueError, match="peers is missing column.*full_year_persons"):
        decompose(unit(12 * MIO, 10, 4_000), SAME_PEERS.drop(columns="full_year_persons"))


def test_decompose_divides_by_residents_and_reads_population_18_64_as_them_only_without():
    # a 5.28 own row on its per-resident basis: 8,000 residents aged 0-17 beside 24,000 aged 18-64 as loaded
    own = {"spending_dkk": 16 * MIO, "full_year_persons": 12, "residents": 8_000, "population_18_64": 24_000}
    peers = pd.DataFrame(
        {
            "spending_dkk": [84 * MIO],
            "full_year_persons": [70],
            "residents": [70_000],
            "population_18_64": [230_000],
        }
    )
    result = decompose(own, peers)
    # peer price 84 mio / 70 = 1.2 mio, peer rate 70 / 70,000 x 1,000 = 1.0; expected = 1.2 mio x 1.0 x 8 = 9.6 mio
    assert result["expected_spending_dkk"] == pytest.approx(9.6 * MIO)
    assert result["own_rate"] == pytest.approx(1.5) and result["own_residents"] == 8_000  # 12 / 8,000 x 1,000
    # the contract's form, population_18_64 alone, is the residents aged 18-64: 1.2 mio x (70 / 230,000 x 24,000)
    adults = decompose({k: v for k, v in own.items() if k != "residents"}, peers.drop(columns="residents"))
    assert adults["expected_spending_dkk"] == pytest.approx(1.2 * MIO * 70 / 230_000 * 24_000)
    assert adults["own_residents"] == 24_000


def test_negative_values_are_errors():
    with pytest.raises(ValueError, match="own spending_dkk is negative"):
        decompose(unit(-1, 10, 4_000), SAME_PEERS)
    peers = peer_frame((-5 * MIO, 5, 2_000), (20 * MIO, 20, 8_000))
    with pytest.raises(ValueError, match="peers spending_dkk has negative"):
        decompose(unit(12 * MIO, 10, 4_000), peers)


# ---------------------------------------------------------------------------------------------------
# peer selection
# ---------------------------------------------------------------------------------------------------

# Five municipalities in 2024. Each feature's deviations are a permutation of (-2, -1, 0, 1, 2), so every
# z-score is deviation / sqrt(2) (mean 0, population variance (4+1+0+1+4)/5 = 2):
#   population = 10**(4 + d_pop)      -> log deviations d_pop  (z-scores do not depend on the log's base)
#   socioeconomic_index = 1 + 0.1*d_soc
#   population_density = 10**(2 + d_den)
#
#   code  d_pop d_soc d_den  region  group
#   101    -2     0    -1    North   A      (own)
#   147    -1     1    -2    North   A
#   151     0    -2     0    North   B
#   153     1     2     2    South   A
#   155     2    -1     1    North   A
DEVIATIONS = {101: (-2, 0, -1), 147: (-1, 1, -2), 151: (0, -2, 0), 153: (1, 2, 2), 155: (2, -1, 1)}
REGIONS = {101: "North", 147: "North", 151: "North", 153: "South", 155: "North"}
GROUPS = {101: "A", 147: "A", 151: "B", 153: "A", 155: "A"}


def structure(year=2024, order=(155, 153, 151, 147, 101)):
    rows = []
    for code in order:  # deliberately not sorted by code
        d_pop, d_soc, d_den = DEVIATIONS[code]
        rows.append(
            {
                "municipality_code": code,
                "municipality": f"M{code}",
                "region": REGIONS[code],
                "municipality_group": GROUPS[code],
                "year": year,
                "population": 10.0 ** (4 + d_pop),
                "population_18_64": 1_000,
                "socioeconomic_index": 1 + 0.1 * d_soc,
                "population_density": 10.0 ** (2 + d_den),
            }
        )
    return pd.DataFrame(rows)


MUNICIPALITIES = pd.concat([structure(2023), structure(2024)], ignore_index=True)


def test_nearest_peers_hand_computed_order():
    # squared z-differences from 101, times 2 (z = d / sqrt 2):
    #   147: (1)^2 + (1)^2 + (-1)^2 = 3   -> distance sqrt(3/2)  = 1.2247
    #   151: (2)^2 + (-2)^2 + (1)^2 = 9   -> distance sqrt(9/2)  = 2.1213
    #   153: (3)^2 + (2)^2 + (3)^2  = 22  -> distance sqrt(22/2) = 3.3166
    #   155: (4)^2 + (-1)^2 + (2)^2 = 21  -> distance sqrt(21/2) = 3.2404
    peers = nearest_peers(MUNICIPALITIES, 101, 2024, k=4)
    assert list(peers["municipality_code"]) == [147, 151, 155, 153]
    assert list(peers["rank"]) == [1, 2, 3, 4]
    assert list(peers["distance"]) == pytest.approx(
        [math.sqrt(1.5), math.sqrt(4.5), math.sqrt(10.5), math.sqrt(11)]
    )
    assert list(peers.columns) == ["municipality_code", "municipality", "distance", "rank"]


def test_nearest_peers_tie_is_broken_by_code():
    # weight 0 on population leaves socio-economic index and density:
    #   147: 1 + 1 = 2;  151: 4 + 1 = 5;  153: 4 + 9 = 13;  155: 1 + 4 = 5
    # 151 and 155 tie at sqrt(5/2); 151 comes first by its lower code (155 comes first in the input table)
    peers = nearest_peers(MUNICIPALITIES, 101, 2024, k=3, weights={"population": 0})
    assert list(peers["municipality_code"]) == [147, 151, 155]
    assert list(peers["distance"]) == pytest.approx([1.0, math.sqrt(2.5), math.sqrt(2.5)])


def test_nearest_peers_single_feature_symmetric_tie():
    # own 151 in the middle of d_pop (-2..2): 147 and 153 at 1/sqrt2, 101 and 155 at 2/sqrt2; ties by code
    peers = nearest_peers(MUNICIPALITIES, 151, 2024, k=4, features=("population",))
    assert list(peers["municipality_code"]) == [147, 153, 101, 155]
    assert list(peers["distance"]) == pytest.approx([1 / math.sqrt(2)] * 2 + [math.sqrt(2)] * 2)


def test_nearest_peers_errors():
    with pytest.raises(ValueError, match="k=5 peers requested but only 4"):
        nearest_peers(MUNICIPALITIES, 101, 2024, k=5)
    with pytest.raises(ValueError, match="own municipality 999 is not in municipalities for 2024"):
        nearest_peers(MUNICIPALITIES, 999, 2024, k=2)
    with pytest.raises(ValueError, match="weights given for features not compared on: age"):
        nearest_peers(MUNICIPALITIES, 101, 2024, k=2, weights={"age": 1})
    with pytest.raises(ValueError, match="missing column.*tax_base"):
        nearest_peers(MUNICIPALITIES, 101, 2024, k=2, features=("tax_base",))


@pytest.mark.parametrize("own", sorted(DEVIATIONS))
def test_own_is_never_its_own_peer(own):
    knn = nearest_peers(MUNICIPALITIES, own, 2024, k=4)
    assert own not in set(knn["municipality_code"])
    assert len(knn) == 4
    if own != 153:  # 153 is alone in the South region
        assert own not in set(region_peers(MUNICIPALITIES, own, 2024)["municipality_code"])
    if own != 151:  # 151 is alone in group B
        assert own not in set(group_peers(MUNICIPALITIES, own, 2024)["municipality_code"])
    others = [c for c in DEVIATIONS if c != own]
    assert own not in set(peers_from_list(MUNICIPALITIES, own, others)["municipality_code"])
    with pytest.raises(ValueError, match="cannot be its own peer"):
        peers_from_list(MUNICIPALITIES, own, [*others, own])


def test_region_and_group_peers():
    region = region_peers(MUNICIPALITIES, 101, 2024)
    assert list(region["municipality_code"]) == [147, 151, 155]
    assert set(region["region"]) == {"North"}
    assert list(group_peers(MUNICIPALITIES, 101, 2024)["municipality_code"]) == [147, 153, 155]
    with pytest.raises(ValueError, match="no other municipality than 153 has region 'South'"):
        region_peers(MUNICIPALITIES, 153, 2024)


def test_peers_from_list_validates_codes():
    peers = peers_from_list(MUNICIPALITIES, 101, [155, 147, 155])
    assert list(peers["municipality_code"]) == [155, 147]  # order kept, duplicate dropped
    assert list(peers["municipality"]) == ["M155", "M147"]
    with pytest.raises(ValueError, match="unknown municipality codes in the peer list: 998, 999"):
        peers_from_list(MUNICIPALITIES, 101, [147, 998, 999])
    with pytest.raises(ValueError, match="empty"):
        peers_from_list(MUNICIPALITIES, 101, [])


# ---------------------------------------------------------------------------------------------------
# unit measures
# ---------------------------------------------------------------------------------------------------


def activity_row(code, year, paragraph, provider, persons, spending, function_code="5.38.50"):
    return {
        "municipality_code": code,
        "year": year,
        "function_code": function_code,
        "paragraph": paragraph,
        "provider": provider,
        "full_year_persons": persons,
        "spending_dkk": spending,
    }


def population_table(populations):
    rows = [
        {"municipality_code": code, "year": year, "population_18_64": pop}
        for (code, year), pop in populations.items()
    ]
    return pd.DataFrame(rows)


def test_unit_measures_tiny_table():
    activity = pd.DataFrame(
        [
            activity_row(101, 2024, "§108", "internal", 4, 2.0 * MIO),
            activity_row(101, 2024, "§108", "external", 1, 0.8 * MIO),
            activity_row(147, 2024, "§108", "external", 0, 0.1 * MIO),
        ]
    )
    municipalities = population_table({(101, 2024): 2_000, (147, 2024): 1_000})

    total = unit_measures(activity, municipalities).set_index("municipality_code")
    # 101: 5 persons, 2.8 mio -> price 2.8/5 = 0.56 mio; rate 5/2,000*1,000 = 2.5; per resident 2.8 mio/2,000 = 1,400
    assert total.loc[101, "full_year_persons"] == 5
    assert total.loc[101, "price_dkk"] == pytest.approx(560_000)
    assert total.loc[101, "rate_per_1000"] == pytest.approx(2.5)
    assert total.loc[101, "spending_per_resident_dkk"] == pytest.approx(1_400)
    # 147: 0 persons -> price NaN; rate 0; per resident 0.1 mio/1,000 = 100
    assert math.isnan(total.loc[147, "price_dkk"])
    assert total.loc[147, "rate_per_1000"] == 0
    assert total.loc[147, "spending_per_resident_dkk"] == pytest.approx(100)

    split = unit_measures(activity, municipalities, by=("provider",))
    own = split[split["municipality_code"] == 101].set_index("provider")
    # internal: 4 persons, 2.0 mio -> 0.5 mio; rate 2.0; 1,000 per resident
    # external: 1 person, 0.8 mio -> 0.8 mio; rate 0.5; 400 per resident
    assert own.loc["internal", "price_dkk"] == pytest.approx(500_000)
    assert own.loc["internal", "rate_per_1000"] == pytest.approx(2.0)
    assert own.loc["external", "price_dkk"] == pytest.approx(800_000)
    assert own.loc["external", "spending_per_resident_dkk"] == pytest.approx(400)


def test_unit_measures_errors():
    activity = pd.DataFrame([activity_row(101, 2024, "§108", "internal", 4, 2.0 * MIO)])
    with pytest.raises(ValueError, match="no population_18_64 in municipalities for 101 in 2024"):
        unit_measures(activity, population_table({(101, 2023): 2_000}))
    with pytest.raises(ValueError, match="not region"):
        unit_measures(activity, population_table({(101, 2024): 2_000}), by=("region",))


# ---------------------------------------------------------------------------------------------------
# benchmark over years and potentials
# ---------------------------------------------------------------------------------------------------


def test_benchmark_one_row_per_year_and_missing_peers():
    # 2023: own 101 as in test_both_differ (10 persons, 12 mio, pop 5,000; the §108 spending split over providers);
    #       peers 147 (6 persons, 6.6 mio, pop 3,000) and 151 (14 persons, 13.4 mio, pop 5,000)
    #       -> gap -0.5 mio, price +2.0 mio, quantity -2.5 mio
    # 2024: 151 has no rows -> left out; peer = 147 only: 6 persons, 6.6 mio, pop 3,000
    #       -> peer price 1.1 mio, peer rate 2.0; own 10 persons 12 mio pop 5,000: expected persons 10,
    #       expected spending 11 mio, gap 1 mio, price (1.2 - 1.1) * 10 = 1 mio, quantity (10 - 10) * 1.1 = 0
    activity = pd.DataFrame(
        [
            activity_row(101, 2023, "§108", "internal", 6, 7 * MIO),
            activity_row(101, 2023, "§108", "external", 4, 5 * MIO),
            activity_row(147, 2023, "§108", "external", 6, 6.6 * MIO),
            activity_row(151, 2023, "§108", "internal", 14, 13.4 * MIO),
            activity_row(151, 2023, "§108", "internal", 99, 99 * MIO, function_code="5.38.52"),  # other area
            activity_row(101, 2024, "§108", "internal", 10, 12 * MIO),
            activity_row(147, 2024, "§108", "external", 6, 6.6 * MIO),
        ]
    )
    pops = {(101, y): 5_000 for y in (2023, 2024)}
    pops.update({(147, y): 3_000 for y in (2023, 2024)})
    pops.update({(151, y): 5_000 for y in (2023, 2024)})
    result = benchmark(activity, population_table(pops), 101, [147, 151], "5.38.50", [2023, 2024])

    assert list(result["year"]) == [2023, 2024]
    assert list(result["n_peers"]) == [2, 1]
    assert list(result["peers_without_data"]) == [(), (151,)]
    assert list(result["gap_dkk"]) == pytest.approx([-0.5 * MIO, 1 * MIO])
    assert list(result["price_effect_dkk"]) == pytest.approx([2.0 * MIO, 1 * MIO])
    assert list(result["quantity_effect_dkk"]) == pytest.approx([-2.5 * MIO, 0], abs=1e-6)

    # restricted to external providers in 2023: own 4 persons 5 mio against 147 (6 persons, 6.6 mio)
    inputs = benchmark_inputs(
        activity, population_table(pops), 101, [147, 151], "5.38.50", 2023, provider="external"
    )
    assert inputs.own["full_year_persons"] == 4
    assert inputs.peers_without_data == (151,)

    with pytest.raises(ValueError, match="cannot be its own peer"):
        benchmark(activity, population_table(pops), 101, [101, 147], "5.38.50", [2023])
    with pytest.raises(ValueError, match="own municipality 101 has no activity rows"):
        benchmark(activity, population_table(pops), 101, [147], "5.38.50", [2022])


def _yearly_activity():
    # 2023: own 101 and both peers; 2024: peer 151 has no rows; 2025: peer 147 only, on another paragraph
    return pd.DataFrame(
        [
            activity_row(101, 2023, "§108", "internal", 6, 7 * MIO),
            activity_row(147, 2023, "§108", "external", 6, 6.6 * MIO),
            activity_row(101, 2023, "§108", "external", 4, 5 * MIO),
            activity_row(151, 2023, "§108", "internal", 14, 13.4 * MIO),
            activity_row(151, 2023, "§108", "internal", 99, 99 * MIO, function_code="5.38.52"),
            activity_row(101, 2024, "§108", "internal", 10, 12 * MIO),
            activity_row(147, 2024, "§108", "external", 6, 6.6 * MIO),
            activity_row(101, 2025, "§107", "internal", 3, 2 * MIO),
            activity_row(147, 2025, "§107", "internal", 2, 1 * MIO),
        ]
    )


@pytest.mark.parametrize(
    "selection", [{}, {"provider": "external"}, {"paragraph": "§108"}, {"paragraph": "§107"}]
)
def test_inputs_by_year_are_benchmark_inputs_year_by_year(selection):
    # The one pass over all years gives, year by year, exactly what benchmark_inputs gives for that year alone:
    # the same totals (2023 own: 6 + 4 = 10 persons, 7 + 5 = 12 mio; peers 147: 6 persons, 151: 14), the same
    # dtypes and index, the same peers left out (2024: 151), and the same error for a year without own rows.
    from analysis.benchmark import _inputs_by_year

    activity = _yearly_activity()
    pops = {(c, y): p for c, p in ((101, 5_000), (147, 3_000), (151, 5_000)) for y in (2023, 2024, 2025)}
    munis = population_table(pops)
    years = [2023, 2024, 2025]
    one_pass = _inputs_by_year(activity, munis, 101, [147, 151], "5.38.50", years, **selection)
    for year in years:
        try:
            expected = benchmark_inputs(activity, munis, 101, [147, 151], "5.38.50", year, **selection)
        except ValueError as e:
            with pytest.raises(ValueError, match=str(e)):
                next(one_pass)
            break
        got_year, got = next(one_pass)
        assert got_year == year
        pd.testing.assert_series_equal(got.own, expected.own, check_exact=True)
        pd.testing.assert_frame_equal(got.peers, expected.peers, check_exact=True)
        assert got.peers_without_data == expected.peers_without_data
    if not selection:
        # the totals by hand: 2023 own 10 persons 12 mio; 2024 151 left out
        assert [
            float(i.own["full_year_persons"])
            for _, i in _inputs_by_year(activity, munis, 101, [147, 151], "5.38.50", [2023, 2024])
        ] == [10.0, 10.0]


def test_inputs_by_year_missing_population_raises_for_its_year():
    # 2024 lacks 147's population: 2023 comes out, then 2024 raises as benchmark_inputs does for 2024 alone
    from analysis.benchmark import _inputs_by_year

    pops = {(c, y): 1_000 for c in (101, 147, 151) for y in (2023, 2024)}
    del pops[(147, 2024)]
    munis = population_table(pops)
    one_pass = _inputs_by_year(_yearly_activity(), munis, 101, [147, 151], "5.38.50", [2023, 2024])
    assert next(one_pass)[0] == 2023
    with pytest.raises(ValueError, match="no population_18_64 in municipalities for 147 in 2024"):
        next(one_pass)
    with pytest.raises(ValueError, match="no population_18_64 in municipalities for 147 in 2024"):
        benchmark_inputs(_yearly_activity(), munis, 101, [147, 151], "5.38.50", 2024)


# Own: 10 persons, 12 mio, pop 5,000 -> price 1.2 mio, rate 2.0, 2,400 DKK per resident
# Peers (pop 1,000 each):
#   code  persons  spending  price    rate  per resident
#   201      2     2.0 mio   1.0 mio   2     2,000
#   202      3     2.4 mio   0.8 mio   3     2,400
#   203      4     6.0 mio   1.5 mio   4     6,000
#   204      1     1.0 mio   1.0 mio   1     1,000
#   all     10    11.4 mio   1.14 mio  2.5   2,850
POTENTIAL_OWN = unit(12 * MIO, 10, 5_000)
POTENTIAL_PEERS = peer_frame(
    (2.0 * MIO, 2, 1_000),
    (2.4 * MIO, 3, 1_000),
    (6.0 * MIO, 4, 1_000),
    (1.0 * MIO, 1, 1_000),
    codes=[201, 202, 203, 204],
)


def test_potentials_yardsticks():
    result = potentials(POTENTIAL_OWN, POTENTIAL_PEERS).set_index(["yardstick", "measure"])
    assert len(result) == 9

    # peer average (= decompose against all four): expected persons 2.5 * 5 = 12.5, expected spending 14.25 mio
    #   price effect (1.2 - 1.14) * 10 = 0.6 mio -> potential 0.6 mio
    #   quantity effect (10 - 12.5) * 1.14 mio = -2.85 mio -> potential 0 (own uses fewer persons)
    #   gap 12 - 14.25 = -2.25 mio -> potential 0
    full = decompose(POTENTIAL_OWN, POTENTIAL_PEERS)
    assert result.loc[("peer_average", "price"), "effect_dkk"] == pytest.approx(full["price_effect_dkk"])
    assert result.loc[("peer_average", "spending"), "effect_dkk"] == pytest.approx(full["gap_dkk"])
    assert result.loc[("peer_average", "price"), "potential_dkk"] == pytest.approx(0.6 * MIO)
    assert result.loc[("peer_average", "quantity"), "effect_dkk"] == pytest.approx(-2.85 * MIO)
    assert result.loc[("peer_average", "quantity"), "potential_dkk"] == 0
    assert result.loc[("peer_average", "spending"), "potential_dkk"] == 0
    assert result.loc[("peer_average", "spending"), "yardstick_value"] == pytest.approx(2_850)
    assert result.loc[("peer_average", "spending"), "own_value"] == pytest.approx(2_400)

    # cheaper half (2 of 4):
    #   price: 202 (0.8) and 201 (1.0; ties 204 at 1.0, lower code wins) -> 4.4 mio / 5 = 0.88 mio
    #          -> (1.2 - 0.88) * 10 = 3.2 mio
    #   quantity: 204 (rate 1) and 201 (rate 2) -> 3 persons / 2,000 -> 1.5; price 3.0 mio / 3 = 1.0 mio
    #          -> expected 1.5 * 5 = 7.5 persons; (10 - 7.5) * 1.0 mio = 2.5 mio
    #   spending: 204 (1,000) and 201 (2,000) -> 3.0 mio / 2,000 = 1,500 per resident
    #          -> expected 1,500 * 5,000 = 7.5 mio; 12 - 7.5 = 4.5 mio
    assert result.loc[("cheaper_half", "price"), "yardstick_codes"] == (202, 201)
    assert result.loc[("cheaper_half", "price"), "yardstick_value"] == pytest.approx(0.88 * MIO)
    assert result.loc[("cheaper_half", "price"), "potential_dkk"] == pytest.approx(3.2 * MIO)
    assert result.loc[("cheaper_half", "quantity"), "yardstick_codes"] == (204, 201)
    assert result.loc[("cheaper_half", "quantity"), "potential_dkk"] == pytest.approx(2.5 * MIO)
    assert result.loc[("cheaper_half", "spending"), "potential_dkk"] == pytest.approx(4.5 * MIO)

    # lowest:
    #   price: 202 at 0.8 mio -> (1.2 - 0.8) * 10 = 4.0 mio
    #   quantity: 204 at rate 1, price 1.0 mio -> expected 5 persons; (10 - 5) * 1.0 mio = 5.0 mio
    #   spending: 204 at 1,000 per resident -> expected 5 mio; 12 - 5 = 7.0 mio
    assert result.loc[("lowest", "price"), "yardstick_codes"] == (202,)
    assert result.loc[("lowest", "price"), "potential_dkk"] == pytest.approx(4.0 * MIO)
    assert result.loc[("lowest", "quantity"), "potential_dkk"] == pytest.approx(5.0 * MIO)
    assert result.loc[("lowest", "spending"), "potential_dkk"] == pytest.approx(7.0 * MIO)
    assert (result["potential_dkk"] >= 0).all()
    assert "total" not in result.index.get_level_values("measure")


def test_potentials_flag_far_and_large_yardsticks():
    # distances of the peers (standard deviations): 201 0.5, 202 1.0, 203 0.8, 204 2.0; own spending 12 mio
    peers = POTENTIAL_PEERS.assign(distance=[0.5, 1.0, 0.8, 2.0])
    result = potentials(POTENTIAL_OWN, peers).set_index(["yardstick", "measure"])
    # lowest spending: 204 alone, distance 2.0 > 1.5; potential 7.0 / 12 = 58.3 % > 40 %: both flags
    row = result.loc[("lowest", "spending")]
    assert row["distance"] == pytest.approx(2.0)
    assert row["share_of_spending"] == pytest.approx(7 / 12)
    assert row["too_far"] and row["too_large"] and not row["is_plausible"]
    # lowest price: 202 at 1.0; 4.0 / 12 = 33.3 %: plausible
    row = result.loc[("lowest", "price")]
    assert (row["distance"], row["share_of_spending"]) == pytest.approx((1.0, 4 / 12))
    assert row["is_plausible"]
    # lowest quantity: 204 again (too far), 5.0 / 12 = 41.7 % (too large)
    assert result.loc[("lowest", "quantity"), ["too_far", "too_large"]].tolist() == [True, True]
    # cheaper half spending: 204 and 201, mean distance (2.0 + 0.5) / 2 = 1.25; 4.5 / 12 = 37.5 %: plausible
    row = result.loc[("cheaper_half", "spending")]
    assert (row["distance"], row["share_of_spending"]) == pytest.approx((1.25, 4.5 / 12))
    assert row["is_plausible"]
    # all four: mean distance (0.5 + 1.0 + 0.8 + 2.0) / 4 = 1.075; no spending potential: share 0
    row = result.loc[("peer_average", "spending")]
    assert (row["distance"], row["share_of_spending"]) == pytest.approx((1.075, 0.0))
    assert result.loc[("peer_average", "price"), "share_of_spending"] == pytest.approx(0.6 / 12)
    # stricter limits flag more: 37.5 % > 30 %, 1.25 > 1.2
    strict = potentials(POTENTIAL_OWN, peers, max_distance=1.2, max_share=0.3).set_index(
        ["yardstick", "measure"]
    )
    assert strict.loc[("cheaper_half", "spending"), ["too_far", "too_large"]].tolist() == [True, True]
    # without distances only the share can flag
    plain = potentials(POTENTIAL_OWN, POTENTIAL_PEERS).set_index(["yardstick", "measure"])
    assert plain["distance"].isna().all() and not plain["too_far"].any()
    assert plain.loc[("lowest", "spending"), "too_large"]
    with pytest.raises(ValueError, match="max_share"):
        potentials(POTENTIAL_OWN, peers, max_share=0)


# Two peers, both rate 1.0 per 1,000: 201 price 1.0 mio (1,000 per resident), 202 price 1.2 mio (1,200);
#   all: 20 persons, 22 mio, pop 20,000 -> price 1.1 mio, 1,100 per resident
LEVEL_PEERS = peer_frame((10 * MIO, 10, 10_000), (12 * MIO, 10, 10_000), codes=[201, 202])


def test_potentials_give_nothing_on_level():
    # own 10 persons, 10.15 mio, pop 10,000: price 1.015 mio and 1,015 per resident, 1.5 % above 201 (the
    # cheaper half and the lowest on both): the effect is +0.15 mio, but under 2 % is on level, no potential
    result = potentials(unit(10.15 * MIO, 10, 10_000), LEVEL_PEERS).set_index(["yardstick", "measure"])
    for yardstick in ("cheaper_half", "lowest"):
        for measure in ("price", "spending"):
            row = result.loc[(yardstick, measure)]
            assert row["yardstick_codes"] == (201,)
            assert row["effect_dkk"] == pytest.approx(0.15 * MIO)
            assert not row["is_material"] and row["potential_dkk"] == 0 and row["share_of_spending"] == 0
    # against all (1.1 mio, 1,100): 7.7 % below, material, no potential either way
    assert result.loc[("peer_average", "price"), "is_material"]
    assert result.loc[("peer_average", "price"), "potential_dkk"] == 0
    # the rates are equal: on level
    assert not result["is_material"].xs("quantity", level="measure").any()
    # 2.5 % above 201 (10.25 mio): material, potential (1.025 - 1.0) x 10 = 0.25 mio
    above = potentials(unit(10.25 * MIO, 10, 10_000), LEVEL_PEERS).set_index(["yardstick", "measure"])
    assert above.loc[("lowest", "price"), "is_material"]
    assert above.loc[("lowest", "price"), "potential_dkk"] == pytest.approx(0.25 * MIO)
    assert above.loc[("cheaper_half", "spending"), "potential_dkk"] == pytest.approx(0.25 * MIO)
    # a zero materiality counts every difference
    strict = potentials(unit(10.15 * MIO, 10, 10_000), LEVEL_PEERS, materiality=0).set_index(
        ["yardstick", "measure"]
    )
    assert strict.loc[("lowest", "price"), "potential_dkk"] == pytest.approx(0.15 * MIO)
    with pytest.raises(ValueError, match="materiality"):
        potentials(unit(10.15 * MIO, 10, 10_000), LEVEL_PEERS, materiality=-0.01)


# One peer: 100 persons, 100 mio, pop 100,000 -> price 1.0 mio, rate 1.0 per 1,000; own population 10,000
EFFECT_PEERS = peer_frame((100 * MIO, 100, 100_000))


def test_effects_treat_price_and_quantity_alike():
    # quantity above: 10.5 persons (rate 1.05, +5 %) at 0.9 mio (-10 %) -> spending 9.45 mio
    #   expected 10 persons, 10 mio; gap -0.55 mio; price effect 9.45 - 10.5 = -1.05 mio; quantity +0.5 mio
    quantity_above = effects(decompose(unit(9.45 * MIO, 10.5, 10_000), EFFECT_PEERS))
    assert quantity_above.loc["quantity", "difference"] == pytest.approx(0.05)
    assert quantity_above.loc["quantity", "direction"] == "above"
    assert quantity_above.loc["quantity", "potential_dkk"] == pytest.approx(0.5 * MIO)
    assert quantity_above.loc["price", "direction"] == "below"
    assert quantity_above.loc["spending", "potential_dkk"] == 0
    assert quantity_above.loc["spending", "difference"] == pytest.approx(-0.055)
    # the mirror: price 5 % above (1.05 mio), quantity 10 % below (9 persons) -> 9.45 mio
    #   price effect 9.45 - 9 = 0.45 mio; quantity effect (9 - 10) x 1 = -1 mio
    price_above = effects(decompose(unit(9.45 * MIO, 9, 10_000), EFFECT_PEERS))
    assert price_above.loc["price", "direction"] == "above"
    assert price_above.loc["price", "potential_dkk"] == pytest.approx(0.45 * MIO)
    assert price_above.loc["quantity", "potential_dkk"] == 0
    # price 0.8 % above (1.008 mio x 9 persons = 9.072 mio): within 2 %, on level, no potential
    level = effects(decompose(unit(9.072 * MIO, 9, 10_000), EFFECT_PEERS))
    assert level.loc["price", "effect_dkk"] == pytest.approx(0.072 * MIO)
    assert level.loc["price", "difference"] == pytest.approx(0.008)
    assert level.loc["price", "direction"] == "level" and level.loc["price", "potential_dkk"] == 0
    # the same 0.8 % on quantity is on level too: 10.08 persons, rate 1.008 per 1,000
    level_q = effects(decompose(unit(9.072 * MIO, 10.08, 10_000), EFFECT_PEERS))
    assert level_q.loc["quantity", "difference"] == pytest.approx(0.008)
    assert level_q.loc["quantity", "direction"] == "level"
    # a lower materiality makes both material, alike
    assert effects(decompose(unit(9.072 * MIO, 9, 10_000), EFFECT_PEERS), materiality=0.005).loc[
        "price", "potential_dkk"
    ] == pytest.approx(0.072 * MIO)
    with pytest.raises(ValueError, match="materiality"):
        effects(decompose(unit(9.072 * MIO, 9, 10_000), EFFECT_PEERS), materiality=-0.1)


# ---------------------------------------------------------------------------------------------------
# providers
# ---------------------------------------------------------------------------------------------------


def test_provider_prices_flags_outlier():
    # §108 external prices (DKK per full-year person) across six municipalities:
    #   0.5, 0.6, 0.7, 0.8, 0.9, 2.0 mio (2 persons each, spending = 2 x price)
    # linear quartiles of 6 values: Q1 at position 0.25 * 5 = 1.25 -> 0.6 + 0.25 * 0.1 = 0.625 mio
    #                               Q3 at position 0.75 * 5 = 3.75 -> 0.8 + 0.75 * 0.1 = 0.875 mio
    # IQR 0.25 mio; upper fence 0.875 + 1.5 * 0.25 = 1.25 mio -> only 2.0 mio is flagged (0.9 is not)
    # median (0.7 + 0.8) / 2 = 0.75 mio
    prices = {101: 0.5, 147: 0.6, 151: 0.7, 153: 0.8, 155: 0.9, 157: 2.0}
    rows = [activity_row(code, 2024, "§108", "external", 2, 2 * p * MIO) for code, p in prices.items()]
    rows += [
        activity_row(101, 2024, "§108", "internal", 5, 50 * MIO),  # internal: not in the distribution
        activity_row(159, 2024, "§108", "external", 0, 1 * MIO),  # no external persons: left out
        activity_row(101, 2024, "§107", "external", 1, 9 * MIO),  # other paragraph: its own distribution
    ]
    result = provider_prices(pd.DataFrame(rows), "5.38.50", 2024, paragraph="§108").set_index(
        "municipality_code"
    )
    assert sorted(result.index) == sorted(prices)
    assert result["median_price_dkk"].iloc[0] == pytest.approx(0.75 * MIO)
    assert result["q1_price_dkk"].iloc[0] == pytest.approx(0.625 * MIO)
    assert result["q3_price_dkk"].iloc[0] == pytest.approx(0.875 * MIO)
    assert result["upper_fence_dkk"].iloc[0] == pytest.approx(1.25 * MIO)
    assert result["n_municipalities"].iloc[0] == 6
    assert result.index[result["is_outlier"]].tolist() == [157]
    # high limit 0.75 x 1.25 = 0.9375 mio: 0.9 stays below it
    assert result["high_limit_dkk"].iloc[0] == pytest.approx(0.9375 * MIO)
    assert result.index[result["is_flagged"]].tolist() == [157]
    assert result.loc[157, "price_to_median"] == pytest.approx(2.0 / 0.75)

    every = provider_prices(pd.DataFrame(rows), "5.38.50", 2024)
    assert set(every["paragraph"]) == {"§107", "§108"}
    assert not every.loc[every["paragraph"] == "§107", "is_outlier"].any()  # alone: it is its own median


def test_external_price_screen_fires_on_a_planted_price_inside_the_fence():
    # §107 external prices of seven municipalities, mio DKK per full-year person (1 person each):
    #   0.6, 0.7, 0.9, 1.0, 1.1, 1.2 and a planted 1.4 (157) -> median 1.0
    #   Q1 at position 1.5 -> (0.7 + 0.9) / 2 = 0.8; Q3 at 4.5 -> (1.1 + 1.2) / 2 = 1.15; IQR 0.35
    #   Tukey's fence 1.15 + 1.5 x 0.35 = 1.675: the planted 1.4 (40 % above the median) is inside it
    #   high limit 1.0 x 1.25 = 1.25: 1.4 is above -> flagged; 1.2 (20 % above) is not
    prices = {101: 0.6, 147: 0.7, 151: 0.9, 153: 1.0, 155: 1.1, 161: 1.2, 157: 1.4}
    rows = [activity_row(code, 2024, "§107", "external", 1, p * MIO, "5.38.52") for code, p in prices.items()]
    result = provider_prices(pd.DataFrame(rows), "5.38.52", 2024).set_index("municipality_code")
    assert result["upper_fence_dkk"].iloc[0] == pytest.approx(1.675 * MIO)
    assert result["high_limit_dkk"].iloc[0] == pytest.approx(1.25 * MIO)
    assert not result["is_outlier"].any()  # the fence alone would pass everyone
    assert result.index[result["is_high"]].tolist() == [157]
    assert result.index[result["is_flagged"]].tolist() == [157]
    assert result.loc[157, "price_to_median"] == pytest.approx(1.4)
    # a wider margin lets it pass
    wide = provider_prices(pd.DataFrame(rows), "5.38.52", 2024, high_threshold=0.5)
    assert not wide["is_flagged"].any()
    with pytest.raises(ValueError, match="high_threshold"):
        provider_prices(pd.DataFrame(rows), "5.38.52", 2024, high_threshold=0)


def test_internal_vs_external():
    # 101: §108 internal 4 persons 2.0 mio (0.5 mio), external 1 person 0.8 mio (0.8 mio); §107 external 1, 0.6 mio
    #   §107: internal price NaN, external 0.6 mio, difference NaN, external share 1/1 = 1.0
    #   §108: difference 0.8 - 0.5 = 0.3 mio, share 1/5 = 0.2
    #   all:  internal 4 persons 2.0 mio -> 0.5 mio; external 2 persons 1.4 mio -> 0.7 mio;
    #         difference 0.2 mio; share 2/6 = 1/3
    activity = pd.DataFrame(
        [
            activity_row(101, 2024, "§108", "internal", 4, 2.0 * MIO),
            activity_row(101, 2024, "§108", "external", 1, 0.8 * MIO),
            activity_row(101, 2024, "§107", "external", 1, 0.6 * MIO),
            activity_row(147, 2024, "§108", "external", 7, 7.0 * MIO),  # another municipality
        ]
    )
    result = internal_vs_external(activity, 101, "5.38.50", 2024).set_index("paragraph")
    assert list(result.index) == ["§107", "§108", "all"]
    assert math.isnan(result.loc["§107", "internal_price_dkk"])
    assert math.isnan(result.loc["§107", "price_difference_dkk"])
    assert result.loc["§107", "external_share"] == 1.0
    assert result.loc["§108", "price_difference_dkk"] == pytest.approx(0.3 * MIO)
    assert result.loc["§108", "external_share"] == pytest.approx(0.2)
    assert result.loc["all", "internal_price_dkk"] == pytest.approx(0.5 * MIO)
    assert result.loc["all", "external_price_dkk"] == pytest.approx(0.7 * MIO)
    assert result.loc["all", "price_difference_dkk"] == pytest.approx(0.2 * MIO)
    assert result.loc["all", "external_share"] == pytest.approx(1 / 3)
    # premium = external persons x price difference: §108 1 x 0.3 mio; all 2 x 0.2 mio; §107 undefined
    assert result.loc["§108", "external_premium_dkk"] == pytest.approx(0.3 * MIO)
    assert result.loc["all", "external_premium_dkk"] == pytest.approx(0.4 * MIO)
    assert math.isnan(result.loc["§107", "external_premium_dkk"])
    with pytest.raises(ValueError, match="municipality 999 has no activity rows"):
        internal_vs_external(activity, 999, "5.38.50", 2024)


# ---------------------------------------------------------------------------------------------------
# what the report shows: peer choice with distances, peer table, key figures, waterfall, providers
# ---------------------------------------------------------------------------------------------------

# Distances from 101 in MUNICIPALITIES (see test_nearest_peers_hand_computed_order):
#   147 sqrt(1.5) = 1.2247, 151 sqrt(4.5) = 2.1213, 155 sqrt(10.5) = 3.2404, 153 sqrt(11) = 3.3166
DISTANCE_FROM_101 = {147: math.sqrt(1.5), 151: math.sqrt(4.5), 155: math.sqrt(10.5), 153: math.sqrt(11)}


def test_structural_distances_are_those_of_nearest_peers():
    distance = structural_distances(MUNICIPALITIES, 101, 2024)
    assert sorted(distance.index) == [147, 151, 153, 155]  # every other municipality, own left out
    for code, expected in DISTANCE_FROM_101.items():
        assert distance[code] == pytest.approx(expected)


def test_select_peers_by_each_method_with_distances():
    knn = select_peers(MUNICIPALITIES, 101, 2024, "knn", k=2)
    assert list(knn["municipality_code"]) == [147, 151]
    assert list(knn.columns) == ["municipality_code", "municipality", "distance"]
    # a list, a region and a group are ordered by distance (not by the order given or the code)
    listed = select_peers(MUNICIPALITIES, 101, 2024, "list", peer_codes=[155, 147])
    assert list(listed["municipality_code"]) == [147, 155]
    assert list(listed["distance"]) == pytest.approx([DISTANCE_FROM_101[147], DISTANCE_FROM_101[155]])
    region = select_peers(MUNICIPALITIES, 101, 2024, "region")  # North: 147, 151, 155
    assert list(region["municipality_code"]) == [147, 151, 155]
    group = select_peers(MUNICIPALITIES, 101, 2024, "group")  # A: 147, 153, 155; 155 is nearer than 153
    assert list(group["municipality_code"]) == [147, 155, 153]
    assert list(group["distance"]) == pytest.approx([DISTANCE_FROM_101[c] for c in (147, 155, 153)])
    for peers in (knn, listed, region, group):
        assert 101 not in set(peers["municipality_code"])


def test_select_peers_errors():
    with pytest.raises(
        ValueError, match="unknown peer method 'nearest'; choose one of knn, list, region, group"
    ):
        select_peers(MUNICIPALITIES, 101, 2024, "nearest")
    with pytest.raises(ValueError, match="peer codes are given but the peer method is 'knn'"):
        select_peers(MUNICIPALITIES, 101, 2024, "knn", peer_codes=[147])
    with pytest.raises(ValueError, match="'list' needs the peers' municipality codes"):
        select_peers(MUNICIPALITIES, 101, 2024, "list")
    with pytest.raises(ValueError, match="cannot be its own peer"):
        select_peers(MUNICIPALITIES, 101, 2024, "list", peer_codes=[147, 101])


def test_peer_table_own_first_then_peers_with_measures():
    # 101: 4 + 1 persons, 2.0 + 0.8 mio -> price 0.56 mio, rate 5 / 1,000 * 1,000 = 5.0, 2,800 per resident
    # 147: 2 persons, 2.4 mio -> price 1.2 mio, rate 2.0, 2,400 per resident
    # 151: no rows -> no data (NaN, not 0)
    activity = pd.DataFrame(
        [
            activity_row(101, 2024, "§108", "internal", 4, 2.0 * MIO),
            activity_row(101, 2024, "§108", "external", 1, 0.8 * MIO),
            activity_row(147, 2024, "§108", "external", 2, 2.4 * MIO),
            activity_row(151, 2023, "§108", "external", 9, 9.0 * MIO),  # another year
        ]
    )
    peers = select_peers(MUNICIPALITIES, 101, 2024, "list", peer_codes=[151, 147])
    table = peer_table(activity, MUNICIPALITIES, 101, peers, "5.38.50", 2024).set_index("municipality_code")
    assert list(table.index) == [101, 147, 151]
    assert list(table["role"]) == ["own", "peer", "peer"]
    assert list(table["distance"]) == pytest.approx([0, DISTANCE_FROM_101[147], DISTANCE_FROM_101[151]])
    assert table.loc[101, "population"] == pytest.approx(100)  # 10 ** (4 - 2)
    assert table.loc[147, "socioeconomic_index"] == pytest.approx(1.1)
    assert table.loc[101, "price_dkk"] == pytest.approx(560_000)
    assert table.loc[101, "rate_per_1000"] == pytest.approx(5.0)
    assert table.loc[101, "spending_per_resident_dkk"] == pytest.approx(2_800)
    assert table.loc[147, "price_dkk"] == pytest.approx(1_200_000)
    assert table.loc[147, "rate_per_1000"] == pytest.approx(2.0)
    assert list(table["has_data"]) == [True, True, False]
    assert math.isnan(table.loc[151, "full_year_persons"]) and math.isnan(table.loc[151, "price_dkk"])
    with pytest.raises(ValueError, match="cannot be its own peer"):
        peer_table(activity, MUNICIPALITIES, 101, pd.DataFrame({"municipality_code": [101]}), "5.38.50", 2024)


def test_key_figures_against_peers_and_country():
    # population 1,000 each; peers 147, 151, 153; 155 only counts for the country
    #   code  persons  spending  price     rate  per resident
    #   101      5     2.8 mio   0.56 mio   5     2,800  (own)
    #   147      2     2.4 mio   1.2 mio    2     2,400
    #   151      4     2.0 mio   0.5 mio    4     2,000
    #   153      0     0.3 mio   -          0       300
    #   155      9     4.5 mio   0.5 mio    9     4,500  (not a peer)
    # peers weighted: 4.7 mio / 6 persons = 783,333; 6 / 3,000 * 1,000 = 2.0; 4.7 mio / 3,000 = 1,566.67
    # country weighted: 12.0 mio / 20 persons = 600,000; 20 / 5,000 * 1,000 = 4.0; 12.0 mio / 5,000 = 2,400
    rows = [(101, 5, 2.8), (147, 2, 2.4), (151, 4, 2.0), (153, 0, 0.3), (155, 9, 4.5)]
    activity = pd.DataFrame([activity_row(c, 2024, "§108", "internal", n, s * MIO) for c, n, s in rows])
    result = key_figures(activity, MUNICIPALITIES, 101, [147, 151, 153], "5.38.50", 2024)
    price, rate, per = (result.loc[m] for m in ("price_dkk", "rate_per_1000", "spending_per_resident_dkk"))
    assert price["own"] == pytest.approx(560_000)
    assert price["peer_average"] == pytest.approx(4.7 * MIO / 6)
    assert price["peer_median"] == pytest.approx(850_000)  # of 1.2 and 0.5 mio: 153 has no price
    # unweighted: each peer once, (1.2 + 0.5) / 2 = 850,000, not the weighted 783,333 (147 has fewer persons)
    assert price["peer_mean"] == pytest.approx(850_000)
    assert rate["peer_mean"] == pytest.approx((2 + 4 + 0) / 3)
    assert per["peer_mean"] == pytest.approx((2_400 + 2_000 + 300) / 3)
    assert (price["peer_min"], price["peer_max"]) == pytest.approx((500_000, 1_200_000))
    assert price["n_peers"] == 2
    assert price["national"] == pytest.approx(600_000)
    assert (price["rank"], price["n_ranked"]) == (2, 3)  # 0.5 < 0.56 < 1.2 mio
    assert rate["peer_average"] == pytest.approx(2.0)
    assert (rate["peer_median"], rate["peer_min"], rate["peer_max"]) == pytest.approx((2, 0, 4))
    assert rate["national"] == pytest.approx(4.0)
    assert (rate["rank"], rate["n_ranked"]) == (4, 4)  # 0 < 2 < 4 < 5
    assert per["peer_average"] == pytest.approx(4.7 * MIO / 3_000)
    assert per["national"] == pytest.approx(2_400)
    assert per["own"] == pytest.approx(2_800)
    # the weighted peer average is the one decompose uses
    inputs = benchmark_inputs(activity, MUNICIPALITIES, 101, [147, 151, 153], "5.38.50", 2024)
    assert price["peer_average"] == pytest.approx(decompose(inputs.own, inputs.peers)["peer_price"])


def test_gap_steps_walk_from_expected_to_own_spending():
    # test_both_differ_and_add_up: expected 12.5 mio, price +2.0 mio, quantity -2.5 mio, own 12 mio
    peers = peer_frame((6.6 * MIO, 6, 3_000), (13.4 * MIO, 14, 5_000))
    steps = gap_steps(decompose(unit(12 * MIO, 10, 5_000), peers)).set_index("step")
    assert tuple(steps.index) == GAP_STEPS
    assert list(steps["value"]) == pytest.approx([12.5 * MIO, 2.0 * MIO, -2.5 * MIO, 12 * MIO])
    assert list(steps["start"]) == pytest.approx([0, 12.5 * MIO, 14.5 * MIO, 0])
    assert list(steps["end"]) == pytest.approx([12.5 * MIO, 14.5 * MIO, 12 * MIO, 12 * MIO])
    assert steps.loc["quantity_effect", "end"] == pytest.approx(steps.loc["own", "end"])
    assert list(steps["is_total"]) == [True, False, False, True]


def test_provider_breakdown_by_paragraph_and_provider():
    # population 1,000 each; peers 147 and 151 (2,000 together, whatever their providers)
    #   own 101: §108 internal 4 persons 2.0 mio, external 1 person 0.8 mio
    #   147: §108 external 2 persons 2.4 mio;  151: §108 internal 4 persons 2.0 mio, §107 external 1 person 1.5 mio
    # §108 internal: own 0.5 mio vs peers 0.5 mio (ratio 1); rates 4.0 vs 4/2,000*1,000 = 2.0; shares 4/5, 4/6
    # §108 external: own 0.8 mio vs 1.2 mio (ratio 2/3); rates 1.0 vs 1.0; shares 1/5, 2/6
    # §108 all: own 2.8/5 = 0.56 mio vs 4.4/6 = 0.7333 mio; rates 5.0 vs 3.0
    # §107: no own persons (price and share NaN); peers 1.5 mio, rate 0.5, all external
    # all/all: peers 5.9 mio / 7 persons = 842,857; rate 7 / 2,000 * 1,000 = 3.5 (= decompose's peer price and rate)
    activity = pd.DataFrame(
        [
            activity_row(101, 2024, "§108", "internal", 4, 2.0 * MIO),
            activity_row(101, 2024, "§108", "external", 1, 0.8 * MIO),
            activity_row(147, 2024, "§108", "external", 2, 2.4 * MIO),
            activity_row(151, 2024, "§108", "internal", 4, 2.0 * MIO),
            activity_row(151, 2024, "§107", "external", 1, 1.5 * MIO),
            activity_row(155, 2024, "§108", "external", 50, 99 * MIO),  # not a peer
        ]
    )
    result = provider_breakdown(activity, MUNICIPALITIES, 101, [147, 151], "5.38.50", 2024)
    assert list(zip(result["paragraph"], result["provider"], strict=True)) == [
        (p, q) for p in ("§107", "§108", "all") for q in ("internal", "external", "all")
    ]
    r = result.set_index(["paragraph", "provider"])
    assert r.loc[("§108", "internal"), "own_price_dkk"] == pytest.approx(500_000)
    assert r.loc[("§108", "internal"), "peer_price_dkk"] == pytest.approx(500_000)
    assert r.loc[("§108", "internal"), "price_ratio"] == pytest.approx(1.0)
    assert r.loc[("§108", "internal"), "own_rate"] == pytest.approx(4.0)
    assert r.loc[("§108", "internal"), "peer_rate"] == pytest.approx(2.0)
    assert r.loc[("§108", "internal"), "own_share"] == pytest.approx(0.8)
    assert r.loc[("§108", "internal"), "peer_share"] == pytest.approx(4 / 6)
    assert r.loc[("§108", "external"), "price_ratio"] == pytest.approx(2 / 3)
    assert r.loc[("§108", "external"), "peer_rate"] == pytest.approx(1.0)
    assert r.loc[("§108", "all"), "peer_price_dkk"] == pytest.approx(4.4 * MIO / 6)
    assert r.loc[("§108", "all"), "own_rate"] == pytest.approx(5.0)
    assert r.loc[("§107", "external"), "own_persons"] == 0
    assert math.isnan(r.loc[("§107", "external"), "own_price_dkk"])
    assert math.isnan(r.loc[("§107", "all"), "own_share"])
    assert r.loc[("§107", "external"), "peer_price_dkk"] == pytest.approx(1.5 * MIO)
    assert r.loc[("§107", "external"), "peer_rate"] == pytest.approx(0.5)
    inputs = benchmark_inputs(activity, MUNICIPALITIES, 101, [147, 151], "5.38.50", 2024)
    whole = decompose(inputs.own, inputs.peers)
    assert r.loc[("all", "all"), "peer_price_dkk"] == pytest.approx(whole["peer_price"])
    assert r.loc[("all", "all"), "peer_rate"] == pytest.approx(whole["peer_rate"])
    assert r.loc[("all", "all"), "peer_price_dkk"] == pytest.approx(5.9 * MIO / 7)
    with pytest.raises(ValueError, match="own municipality 101 has no activity rows"):
        provider_breakdown(activity, MUNICIPALITIES, 101, [147], "5.38.52", 2024)


REPORT_ACTIVITY = pd.DataFrame(
    [
        # 2023: 151 has no rows (left out that year)
        activity_row(101, 2023, "§108", "internal", 5, 2.5 * MIO),
        activity_row(147, 2023, "§108", "external", 2, 2.0 * MIO),
        # 2024
        activity_row(101, 2024, "§108", "internal", 4, 2.0 * MIO),
        activity_row(101, 2024, "§108", "external", 1, 0.8 * MIO),
        activity_row(147, 2024, "§108", "external", 2, 2.4 * MIO),
        activity_row(151, 2024, "§108", "internal", 4, 2.0 * MIO),
        activity_row(155, 2024, "§108", "external", 3, 2.7 * MIO),  # not a peer
    ]
)


def test_benchmark_report_assembles_the_report():
    # 2024: peers 147 + 151: 6 persons, 4.4 mio, pop 2,000 -> price 733,333, rate 3.0
    #   own 5 persons, 2.8 mio, pop 1,000: expected 3 persons, 2.2 mio; gap 0.6 mio
    #   price effect 2.8 - 0.7333 * 5 = -0.8667 mio; quantity effect (5 - 3) * 0.7333 = 1.4667 mio
    # 2023: only 147: price 1.0 mio, rate 2.0; own 5 persons 2.5 mio: expected 2 persons, 2.0 mio; gap 0.5 mio
    #   price effect 2.5 - 1.0 * 5 = -2.5 mio; quantity effect (5 - 2) * 1.0 = 3.0 mio
    rep = benchmark_report(
        REPORT_ACTIVITY, MUNICIPALITIES, 101, "5.38.50", 2022, 2024, peer_method="list", peer_codes=[151, 147]
    )
    assert rep.municipality == "M101" and rep.year == 2024
    assert rep.years == (2023, 2024)  # 2022 has no own activity
    assert list(rep.peers["municipality_code"]) == [147, 151]  # by distance
    assert rep.weights == {"population": 1.0, "socioeconomic_index": 1.0, "population_density": 1.0}
    assert rep.latest["peer_price"] == pytest.approx(4.4 * MIO / 6)
    assert rep.latest["peer_rate"] == pytest.approx(3.0)
    assert rep.latest["gap_dkk"] == pytest.approx(0.6 * MIO)
    assert rep.latest["price_effect_dkk"] == pytest.approx(2.8 * MIO - 4.4 * MIO / 6 * 5)
    assert rep.latest["quantity_effect_dkk"] == pytest.approx(2 * 4.4 * MIO / 6)
    assert list(rep.yearly["gap_dkk"]) == pytest.approx([0.5 * MIO, 0.6 * MIO])
    assert rep.yearly["price_effect_dkk"].iloc[0] == pytest.approx(-2.5 * MIO)
    assert rep.yearly["quantity_effect_dkk"].iloc[0] == pytest.approx(3.0 * MIO)
    assert rep.peers_without_data == (151,)
    assert rep.steps.set_index("step").loc["own", "end"] == pytest.approx(2.8 * MIO)
    assert list(rep.peer_table["municipality_code"]) == [101, 147, 151]
    assert rep.key_figures.loc["price_dkk", "own"] == pytest.approx(560_000)
    assert len(rep.potentials) == 9
    # the yardsticks carry the peers' distances: the lowest price is 151's (0.5 mio), at 151's distance
    lowest_price = rep.potentials.set_index(["yardstick", "measure"]).loc[("lowest", "price")]
    assert lowest_price["yardstick_codes"] == (151,)
    assert lowest_price["distance"] == pytest.approx(
        rep.peers.set_index("municipality_code").loc[151, "distance"]
    )
    assert rep.effects.loc["quantity", "potential_dkk"] == pytest.approx(2 * 4.4 * MIO / 6)
    assert rep.effects.loc["price", "direction"] == "below"
    assert rep.potentials.set_index(["yardstick", "measure"]).loc[
        ("peer_average", "spending"), "effect_dkk"
    ] == pytest.approx(0.6 * MIO)
    roles = dict(zip(rep.provider_prices["municipality_code"], rep.provider_prices["role"], strict=True))
    assert roles == {101: "own", 147: "peer", 155: "other"}  # 151 buys no external places
    assert rep.internal_external.set_index("paragraph").loc["all", "external_premium_dkk"] == pytest.approx(
        0.3 * MIO  # 1 external person x (0.8 - 0.5) mio
    )
    assert rep.providers.set_index(["paragraph", "provider"]).loc[
        ("§108", "all"), "own_rate"
    ] == pytest.approx(5)

    knn = benchmark_report(REPORT_ACTIVITY, MUNICIPALITIES, 101, "5.38.50", 2023, 2024, k=2)
    assert list(knn.peers["municipality_code"]) == [147, 151] and knn.method == "knn"
    assert 101 not in set(knn.peers["municipality_code"])


def test_benchmark_report_errors():
    with pytest.raises(ValueError, match="first_year 2025 is after last_year 2024"):
        benchmark_report(REPORT_ACTIVITY, MUNICIPALITIES, 101, "5.38.50", 2025, 2024)
    with pytest.raises(
        ValueError, match="own municipality 153 has no activity rows for function 5.38.50, year 2024"
    ):
        benchmark_report(REPORT_ACTIVITY, MUNICIPALITIES, 153, "5.38.50", 2023, 2024)
    with pytest.raises(ValueError, match="unknown peer method"):
        benchmark_report(REPORT_ACTIVITY, MUNICIPALITIES, 101, "5.38.50", 2023, 2024, peer_method="nearest")


def _same_report(got, want) -> None:
    import dataclasses

    assert type(got) is type(want)
    for field in dataclasses.fields(want):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, obj=field.name)
        elif isinstance(b, pd.Series):
            pd.testing.assert_series_equal(a, b, obj=field.name)
        else:
            assert a == b, field.name


def test_report_from_data_with_persons_is_benchmark_report():
    # report_from_data hands benchmark_report's work the rows with a population it selected itself (it used to
    # call benchmark_report, which selected them again): the same report, field by field, and the same errors
    no_accounts = REPORT_ACTIVITY.iloc[0:0]
    for options in ({"peer_method": "list", "peer_codes": [151, 147]}, {"k": 2}):
        got = report_from_data(
            REPORT_ACTIVITY, no_accounts, MUNICIPALITIES, 101, "5.38.50", 2022, 2024, **options
        )
        _same_report(
            got, benchmark_report(REPORT_ACTIVITY, MUNICIPALITIES, 101, "5.38.50", 2022, 2024, **options)
        )
        assert got.latest["gap_dkk"] == pytest.approx(
            0.6 * MIO
        )  # as in test_benchmark_report_assembles_the_report
    with pytest.raises(ValueError, match="first_year 2025 is after last_year 2024"):
        report_from_data(REPORT_ACTIVITY, no_accounts, MUNICIPALITIES, 101, "5.38.50", 2025, 2024)
    with pytest.raises(ValueError, match="unknown peer method"):
        report_from_data(
            REPORT_ACTIVITY, no_accounts, MUNICIPALITIES, 101, "5.38.50", 2023, 2024, peer_method="x"
        )


def test_occupancy_of_own_places_own_and_weighted_peers():
    activity = pd.DataFrame(
        {
            "municipality_code": [101, 101, 147, 151, 151, 155],
            "year": [2025] * 6,
            "function_code": ["5.38.50"] * 6,
            "paragraph": ["§108"] * 6,
            "provider": ["internal", "external", "internal", "internal", "external", "internal"],
            "full_year_persons": [18.0, 5.0, 5.0, 27.0, 3.0, 4.0],
            "spending_dkk": [1.0] * 6,
        }
    )
    capacity = pd.DataFrame(
        {
            "municipality_code": [101, 147, 151],
            "year": [2025] * 3,
            "function_code": ["5.38.50"] * 3,
            "places": [20.0, 10.0, 30.0],
        }
    )
    from analysis.benchmark import occupancy

    out = occupancy(activity, capacity, 101, [147, 151, 155], "5.38.50", 2025)
    # own: 18 internal persons in 20 places = 90 %, 2 free; external persons do not use own places
    assert out.loc["own"].tolist() == [20.0, 18.0, 0.9, 2.0]
    # peers weighted: (5 + 27) / (10 + 30) = 32 / 40 = 80 % (not the mean of 50 % and 90 %); 155 has no places
    assert out.loc["peers"].tolist() == [40.0, 32.0, 0.8, 8.0]
    # no own places: nothing to show
    assert occupancy(activity, capacity, 155, [101], "5.38.50", 2025).empty
