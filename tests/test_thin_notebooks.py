"""The report notebooks are thin: calls, headings and sentences, no logic of their own."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize(
    "name", ["forecast", "data_quality", "staffing", "steering_models", "budget", "followup"]
)
def test_the_notebook_is_calls_headings_and_sentences(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    lines = [line for src in code for line in src.splitlines() if line.strip()]
    assert len(lines) <= 100, len(lines)
    text = "\n".join(code)
    assert not re.search(
        r"^\s*(for|while|def|class|lambda)\b|\blambda\b", text, flags=re.M
    )  # no loops, no helpers
    assert not re.search(r"\b(SELECT|FROM|WHERE)\b", text)  # no SQL
    assert not re.search(r"\.(pivot|pivot_table|groupby|merge|apply)\(", text)  # no pivots or frame logic
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # committed without outputs


REPORTS = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("name", REPORTS)
def test_the_notebook_draws_no_chart_of_its_own(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(
        r"\bmatplotlib\b|\bplt\.|\bax\.", text
    )  # charts come from the package, shown with fmt.show


@pytest.mark.parametrize("name", ["budget", "followup", "staffing", "steering_models"])
def test_the_notebook_shows_the_package_charts_with_fmt_show(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert "fmt.show(" in "\n".join(c.source for c in nb.cells if c.cell_type == "code")
