"""The index page of a run: the sample notice, the notice of data changed during the run, an incomplete run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from analysis.reporting.batch import Batch
from analysis.reporting.index import INCOMPLETE_TEXT, write_incomplete_index, write_index
from analysis.reporting.runner import ReportResult, RunSummary

BATCH = Batch(
    name="t", title="Botilbud", municipalities=[706], function_areas=["5.38.50"], notebooks=["hello"]
)
STARTED = dt.datetime(2026, 12, 1, 20, 5, tzinfo=dt.UTC)


def _write(tmp_path: Path, **inputs) -> str:
    result = ReportResult(
        "hello", "Testrapport", 706, "Syddjurs", "5.38.50", "Botilbud", {}, "ok",
        files={"html": "hello/706.html"}, seconds={"execute": 2.0},
    )  # fmt: skip
    summary = RunSummary("run-1", tmp_path, [result], 3.0)
    manifest = {"started": STARTED.isoformat(), "code": {"package": "0.1"}, "inputs": inputs}
    write_index(tmp_path / "index.html", BATCH, summary, manifest)
    return (tmp_path / "index.html").read_text("utf-8")


def test_the_index_of_a_run_on_the_sample_says_so(tmp_path):
    page = _write(tmp_path, sample=True, changed_during_run=False)
    assert (
        '<p class="notice sample">Eksempeldata: tallene er syntetiske og ikke kommunens regnskab.</p>' in page
    )
    assert "ændret under kørslen" not in page
    assert "Eksempeldata" not in _write(tmp_path, sample=False)  # own data: no notice


def test_the_index_says_when_the_data_changed_during_the_run(tmp_path):
    page = _write(tmp_path, sample=False, changed_during_run=True)
    assert "Data i lageret blev ændret under kørslen" in page and "øjebliksbillede" in page


def test_an_incomplete_run_says_so_and_lists_nothing_as_done(tmp_path):
    write_incomplete_index(tmp_path / "index.html", BATCH, "run-2", STARTED)
    page = (tmp_path / "index.html").read_text("utf-8")
    assert INCOMPLETE_TEXT.startswith("Ufuldstændig kørsel: ") and INCOMPLETE_TEXT in page
    assert "<table" not in page and "(ufuldstændig kørsel)</title>" in page
    assert not list(tmp_path.glob(".*.part"))


def test_the_index_states_the_start_in_danish_time(tmp_path):
    # 20.05 UTC on 1 December is 21.05 in Copenhagen (CET); the old page printed the UTC clock, 'kl. 20.05'
    page = _write(tmp_path, sample=False)
    assert "1. december 2026 kl. 21.05" in page and "kl. 20.05" not in page
    # the incomplete index too, and across midnight and in summer time (CEST, UTC+2)
    late = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    write_incomplete_index(tmp_path / "index.html", BATCH, "run-2", late)
    assert "2. december 2026 kl. 00.30" in (tmp_path / "index.html").read_text("utf-8")
    summer = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    write_incomplete_index(tmp_path / "index.html", BATCH, "run-3", summer)
    assert "1. juli 2026 kl. 12.00" in (tmp_path / "index.html").read_text("utf-8")
