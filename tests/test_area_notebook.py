"""The area report notebook: thin, and executed on the sample for Syddjurs with the figures of the package."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from analysis.danish import fmt_dkk

ROOT = Path(__file__).resolve().parents[1]


def test_the_area_notebook_is_calls_headings_and_sentences():
    nb = nbformat.read(ROOT / "notebooks" / "area.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    lines = [line for src in code for line in src.splitlines() if line.strip()]
    assert len(lines) <= 100, len(lines)
    text = "\n".join(code)
    assert not re.search(r"^\s*(for|while|def|class)\b|\blambda\b", text, flags=re.M)
    assert not re.search(r"\b(SELECT|FROM|WHERE)\b", text)
    assert not re.search(r"\.(pivot|pivot_table|groupby|merge|apply)\(", text)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert "function_code" not in nb.cells[1].source  # runs once per municipality in a batch


def _quantity_effects(warehouse: str) -> dict[str, float]:
    """Syddjurs' quantity effect per area in 2025 (DKK, fixed prices), with the peers and inputs of the notebook."""
    from analysis import area, benchmark, prices
    from analysis.data import connect, price_index, queries

    con = connect(warehouse)
    try:
        munis = queries.municipalities(con, years=(2018, 2025))
        activity = queries.activity(con, years=(2018, 2025))
    finally:
        con.close()
    activity = prices.to_fixed_prices(activity, price_index.read_price_index().index, 2025)
    features = ["population", "socioeconomic_index", "population_density"]
    peers = benchmark.select_peers(munis, 706, 2025, "knn", [], 10, features, {})
    effects = area.area_effects(activity, munis, 706, peers.municipality_code.tolist(), 2025, "5.38")
    return dict(zip(effects.function_code, effects.quantity_effect_dkk, strict=True))


@pytest.mark.slow
def test_the_area_report_for_syddjurs(tmp_path, sample_path):
    import papermill

    out = tmp_path / "area.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "area.ipynb"),
        str(out),
        parameters={"municipality_code": 706, "warehouse": sample_path},
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    shown = "\n".join(
        "".join(o.get("data", {}).get(kind, ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        for kind in ("text/html", "text/markdown")
    )
    assert "## Syddjurs Kommune: tilbud til voksne med særlige behov (5.38)" in shown
    # the sample's planted deviations in Syddjurs: a high §108 rate and a low §107 rate against the peers, as the
    # package computes them (area_effects is checked by hand in test_area.py); the notebook must show those
    effect = _quantity_effects(sample_path)
    assert effect["5.38.50"] > 10e6 and effect["5.38.52"] < -5e6
    assert f"5.38.50 Botilbud til længerevarende ophold (+{fmt_dkk(effect['5.38.50'])})" in shown
    assert f"5.38.52 Botilbud til midlertidigt ophold ({fmt_dkk(effect['5.38.52'])})" in shown
    assert "udgangspunkt for konsulentens faglige vurdering" in shown
    assert "Særligt dyre enkeltsager og refusion" in shown and "§ 176" in shown
    assert "Metode og data" in shown
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
