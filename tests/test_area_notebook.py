"""The area report notebook: thin, and executed on the sample for Syddjurs with the figures of the package."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

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
    # the sample's Syddjurs: §108 +22,8 mio. kr. and §107 -13,1 mio. kr. in quantity against the peers
    assert "5.38.50 Botilbud til længerevarende ophold (+22,8 mio. kr.)" in shown
    assert "5.38.52 Botilbud til midlertidigt ophold (-13,1 mio. kr.)" in shown
    assert "udgangspunkt for konsulentens faglige vurdering" in shown
    assert "Særligt dyre enkeltsager og refusion" in shown and "§ 176" in shown
    assert "Metode og data" in shown
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
