"""The steering-models report's text on the hand-made demand step of tests/test_steering_models.py."""

from __future__ import annotations

import html

import nbformat
import pytest

from analysis.reporting import steering_page as page
from tests.test_steering_models import _demand


def test_the_summary_says_who_carries_the_step_and_how_fast_capacity_follows():
    items = dict(page.summary_items(page.compute(_demand(10, 12), 0.05)))
    assert items["Afvigelse"].startswith(
        "udgiften efter efterspørgslen lå 0,6 mio. kr. over budgetterne 2024-2025"
    )
    assert items["Takstafregning (BUM)"] == (
        "myndigheden bærer 0,6 mio. kr., udføreren 0,0 mio. kr.; den betalte kapacitet følger efterspørgslen i "
        "samme måned; 12 afregninger om året"
    )
    assert "efter 6,0 måneder i gennemsnit; 1 afregning om året" in items["Fast ramme"]
    assert "myndigheden bærer 0,5 mio. kr., udføreren 0,1 mio. kr." in items["Ramme med regulering"]
    assert "1,5 afregninger om året" in items["Ramme med regulering"]


def test_the_criteria_table_writes_figures_and_judgements():
    t = page.criteria_table(page.compute(_demand(10, 12), 0.05))
    assert "Vurdering" in t and "Målt" in t and "0,3 mio. kr." in t  # BUM's authority spread
    # the measure does not say "kr." beside figures written in mio. kr.
    assert "spredning på myndighedens årsresultat</td>" in t and "(kr.)" not in t
    steady = page.criteria_table(page.compute(_demand(10, 10), 0.05))
    assert "ingen ændringer" in steady


def test_the_chart_is_left_out_when_a_month_has_fewer_than_five_residents():
    assert page.demand_figure(page.compute(_demand(4, 6), 0.05)) is None


@pytest.mark.slow
def test_the_steering_models_report_compares_the_three_models(tmp_path, sample_path):
    from analysis.data import connect
    from analysis.paths import project_root
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    batch = load_batch(project_root() / "parameters" / "batches" / "steering-models.yaml")
    batch = batch.model_copy(update={"formats": ["html"], "workers": 1})
    summary = run_batch(batch, reports_dir=tmp_path / "reports", warehouse=sample_path, progress=False)
    (r,) = summary.reports
    assert r.status == "ok", r.error
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    text = html.unescape((summary.folder / r.files["html"]).read_text("utf-8"))
    con = connect(sample_path)
    try:
        result = page.compute(page.read_demand(con, 706, "5.38.50", (2020, 2025)), 0.05)
    finally:
        con.close()
    assert "Styringsmodeller 2020-2025: Syddjurs Kommune" in text
    for label, sentence in page.summary_items(result):
        assert f"{label}:" in text and sentence in text
    for criterion in result.criteria.criterion:
        assert criterion in text
    assert "Metode og data" in text and "dannede eksempeldata" in text
