"""The area analysis on hand-made frames: effects per area, substitution as the net of quantity effects, ranking,
the rule-based recommendations and their sizes, spending per resident and composition."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import area

SIZES = {"medium_share": 0.05, "high_share": 0.15}


def _activity() -> pd.DataFrame:
    """Own municipality 1 (1,000 aged 18-64) and peer 2 (2,000), three housing areas in 2025.

    Peer: 5.38.50 20 persons x 1.0 mio. = 20 mio. (rate 10), 5.38.52 20 persons x 0.5 mio. = 10 mio. (rate 10),
    5.38.51 10 persons x 0.3 mio. = 3 mio. (rate 5).
    Own: 5.38.50 15 persons at 1.0 mio. (quantity +5 persons = +5 mio., price level);
    5.38.52 6 persons at 0.6 mio. = 3.6 mio. (quantity -4 persons x 0.5 = -2 mio.; price +0.1 x 6 = +0.6 mio.);
    5.38.51 5 persons at 0.3 mio. = 1.5 mio. (all on level).
    """
    rows = [
        (1, "5.38.50", "§108", "internal", 15, 15_000_000),
        (1, "5.38.52", "§107", "external", 6, 3_600_000),
        (1, "5.38.51", "§85", "internal", 5, 1_500_000),
        (2, "5.38.50", "§108", "internal", 20, 20_000_000),
        (2, "5.38.52", "§107", "external", 20, 10_000_000),
        (2, "5.38.51", "§85", "internal", 10, 3_000_000),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "function_code",
            "paragraph",
            "provider",
            "full_year_persons",
            "spending_dkk",
        ],
    )
    frame["year"] = 2025
    return frame


def _municipalities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "municipality_code": [1, 2],
            "year": [2025, 2025],
            "population_18_64": [1000, 2000],
            "municipality": ["A", "B"],
        }
    )


def test_effects_per_area_are_the_benchmark_decomposition():
    eff = area.area_effects(_activity(), _municipalities(), 1, [2], 2025).set_index("function_code")
    assert list(eff.index) == ["5.38.50", "5.38.51", "5.38.52"]
    assert eff.loc["5.38.50", "quantity_effect_dkk"] == pytest.approx(5_000_000)
    assert eff.loc["5.38.50", "price_effect_dkk"] == pytest.approx(0)
    assert eff.loc["5.38.52", "quantity_effect_dkk"] == pytest.approx(-2_000_000)
    assert eff.loc["5.38.52", "price_effect_dkk"] == pytest.approx(600_000)
    assert eff.loc["5.38.52", "price_direction"] == "above"
    assert eff.loc["5.38.51", "gap_dkk"] == pytest.approx(0)


def test_substitution_is_the_net_of_the_quantity_effects():
    eff = area.area_effects(_activity(), _municipalities(), 1, [2], 2025)
    sub = area.substitution(eff).set_index("function_code")
    assert list(sub.index) == ["5.38.50", "5.38.51", "5.38.52", "net"]
    assert sub.loc["net", "quantity_effect_dkk"] == pytest.approx(3_000_000)  # +5 - 2 + 0 mio.
    assert sub.loc["net", "offset_dkk"] == pytest.approx(2_000_000)
    assert sub.loc["net", "persons_difference"] == pytest.approx(1.0)  # +5 - 4 + 0 persons
    assert sub.loc["5.38.52", "persons_difference"] == pytest.approx(-4.0)


def test_substitution_needs_two_areas():
    eff = area.area_effects(_activity(), _municipalities(), 1, [2], 2025)
    with pytest.raises(ValueError, match="at least two"):
        area.substitution(eff, ["5.38.50", "5.38.99"])


def test_ranking_orders_by_spending_potential_and_keeps_potentials_apart():
    eff = area.area_effects(_activity(), _municipalities(), 1, [2], 2025)
    ranked = area.ranking(eff)
    # 5.38.50 has a spending potential of 5 mio.; 5.38.52 none (spends less) but a price potential of 0.6 mio.
    assert ranked["function_code"].tolist() == ["5.38.50", "5.38.52", "5.38.51"]
    assert ranked.loc[0, "share_of_spending"] == pytest.approx(5 / 15)
    assert ranked.loc[1, "price_potential_dkk"] == pytest.approx(600_000)
    assert ranked.loc[1, "spending_potential_dkk"] == 0


def _effects(**areas) -> pd.DataFrame:
    """Hand-made effects: per area (price direction, quantity direction, price effect, quantity effect, spending)."""
    rows = []
    for code, (pd_, qd, pe, qe, spending) in areas.items():
        rows.append(
            {
                "function_code": code,
                "own_spending_dkk": spending,
                "gap_dkk": pe + qe,
                "price_effect_dkk": pe,
                "quantity_effect_dkk": qe,
                "price_direction": pd_,
                "quantity_direction": qd,
                "own_price": 1.2,
                "peer_price": 1.0,
                "own_rate": 0.9,
                "peer_rate": 1.0,
            }
        )
    return pd.DataFrame(rows)


def test_classify_by_the_documented_rule():
    eff = _effects(
        a=("above", "above", 2.0, 3.0, 100.0),  # both: potential = gap 5 = 5 % -> middel
        b=("level", "above", 0.5, 20.0, 100.0),  # service level: quantity effect 20 = 20 % -> høj
        c=("above", "below", 4.9, -8.0, 100.0),  # efficiency: price effect 4.9 = 4.9 % -> lav
        d=("below", "level", -1.0, 0.1, 100.0),  # nothing above: no recommendation
        e=("above", "level", 15.0, 0.0, 100.0),  # efficiency at exactly 15 % -> høj
    )
    rec = area.classify(eff, SIZES).set_index("function_code")
    assert sorted(rec.index) == ["a", "b", "c", "e"]
    assert rec.loc["a", ["category", "size"]].tolist() == ["both", "middel"]
    assert rec.loc["a", "potential_dkk"] == pytest.approx(5.0)
    assert rec.loc["b", ["category", "size"]].tolist() == ["service_level", "høj"]
    assert rec.loc["b", "potential_dkk"] == pytest.approx(20.0)
    assert rec.loc["c", ["category", "size"]].tolist() == ["efficiency", "lav"]
    assert rec.loc["c", "potential_dkk"] == pytest.approx(4.9)
    assert rec.loc["e", "size"] == "høj"
    assert rec.loc["a", "price_difference"] == pytest.approx(0.2)
    assert rec.loc["a", "rate_difference"] == pytest.approx(-0.1)
    assert area.classify(eff, SIZES)["function_code"].tolist() == [
        "b",
        "e",
        "a",
        "c",
    ]  # largest potential first


def test_classify_refuses_thresholds_out_of_order():
    eff = _effects(a=("above", "above", 2.0, 3.0, 100.0))
    with pytest.raises(ValueError, match="medium_share <= high_share"):
        area.classify(eff, {"medium_share": 0.2, "high_share": 0.1})
    with pytest.raises(ValueError, match="lack high_share"):
        area.classify(eff, {"medium_share": 0.2})


def test_spending_per_resident_and_composition():
    act = _activity()
    dev = area.spending_per_resident(act, _municipalities(), 1, [2], [2025])
    row = dev.iloc[0]
    assert row["own_per_resident"] == pytest.approx(20_100)  # 20.1 mio. / 1,000
    assert row["peer_per_resident"] == pytest.approx(16_500)  # 33 mio. / 2,000
    assert row["difference"] == pytest.approx(20_100 / 16_500 - 1)
    comp = area.composition(act, 1, 2025, "provider")
    assert comp["provider"].tolist() == ["internal", "external"]
    assert comp["share"].tolist() == pytest.approx([16.5 / 20.1, 3.6 / 20.1])
    with pytest.raises(ValueError, match="expected 'function_code'"):
        area.composition(act, 1, 2025, "sector")
    with pytest.raises(ValueError, match="no activity"):
        area.area_effects(act, _municipalities(), 1, [2], 2024)


@pytest.mark.parametrize("module", ["area", "expensive_cases"])
def test_the_analysis_imports_neither_data_nor_reporting_and_reads_no_file(module):
    import ast
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "src" / "analysis" / f"{module}.py"
    tree = ast.parse(path.read_text("utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not [m for m in imported if m.startswith(("analysis.data", "analysis.reporting"))]
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "open" not in calls and not attributes & {"read_csv", "read_excel", "read_text", "safe_load"}
