"""The staffing batch executed through the runner: one report per offer of parameters/offers (a real kernel)."""

from __future__ import annotations

import html

import nbformat
import pytest

from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch

pytestmark = pytest.mark.slow

OFFERS = {
    165: ("albertslund-birkelunden.yaml", "Bofællesskabet Birkelunden (eksempel), Albertslund Kommune"),
    190: ("furesoe-soebakken.yaml", "Bofællesskabet Søbakken (eksempel), Furesø Kommune"),
    706: ("example-offer.yaml", "Bostedet Egevang (eksempel), Syddjurs Kommune"),
}


def test_the_staffing_reports_show_each_offers_hours_and_rates(tmp_path, sample_path):
    from analysis.data.offers import read_offer
    from analysis.paths import project_root
    from analysis.reporting import staffing_page

    batch = load_batch(project_root() / "parameters" / "batches" / "staffing.yaml")
    batch = batch.model_copy(update={"formats": ["html"], "workers": 1})
    summary = run_batch(batch, reports_dir=tmp_path / "reports", warehouse=sample_path, progress=False)
    assert sorted(r.municipality_code for r in summary.reports) == sorted(OFFERS)
    for r in summary.reports:
        assert r.status == "ok", r.error
        nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert sum("image/png" in o.get("data", {}) for o in outputs) == 1  # the weeks' chart, shown once
        page = html.unescape((summary.folder / r.files["html"]).read_text("utf-8"))
        file, heading = OFFERS[r.municipality_code]
        result = staffing_page.compute(read_offer(project_root() / "parameters" / "offers" / file))
        assert f"Timer og vikarer, 2026: {heading}" in page
        assert f"{staffing_page.hours(result.average_weekly_hours)} timer pr. uge i gennemsnit" in page
        assert staffing_page.kr(result.summary.roster_budget_dkk) in page
        assert f"tilbudsfilen {file}:" in page  # the file read, not the folder
        assert ">Uge 7<" in page and "Niveau 3" in page and "Metode og data" in page
        assert "Tallene er et opdigtet eksempel" in page
