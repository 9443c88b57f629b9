"""The staffing report executed once through the batch runner on the example offer (a real kernel)."""

from __future__ import annotations

import html

import nbformat
import pytest

from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch

pytestmark = pytest.mark.slow


def test_the_staffing_report_shows_the_offers_hours_and_rates(tmp_path, sample_path):
    from analysis.data.offers import read_offer
    from analysis.paths import project_root
    from analysis.reporting import staffing_page

    batch = load_batch(project_root() / "parameters" / "batches" / "staffing.yaml")
    batch = batch.model_copy(update={"formats": ["html"], "workers": 1})
    summary = run_batch(batch, reports_dir=tmp_path / "reports", warehouse=sample_path, progress=False)
    (r,) = summary.reports
    assert r.status == "ok", r.error
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    page = html.unescape((summary.folder / r.files["html"]).read_text("utf-8"))
    result = staffing_page.compute(read_offer(project_root() / "parameters/offers/example-offer.yaml"))
    assert "Timer og vikarer, 2026: Bostedet Egevang (eksempel), Syddjurs Kommune" in page
    assert f"{staffing_page.hours(result.average_weekly_hours)} timer pr. uge i gennemsnit" in page
    assert staffing_page.kr(result.summary.roster_budget_dkk) in page
    assert "Uge 28-30" in page and "Niveau 4" in page and "Metode og data" in page
    assert "Tallene er et opdigtet eksempel" in page
