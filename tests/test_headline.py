"""A report's headline: published in a notebook, read back from the executed notebook, shown on the index."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook, new_output

from analysis.errors import DataError, InputError
from analysis.reporting import headline
from analysis.reporting.batch import Batch, load_batch
from analysis.reporting.index import REPORT_ORDER, ordered, write_index
from analysis.reporting.runner import ReportResult, RunSummary, run_batch
from tests.notebook_fixtures import write_notebook

STARTED = dt.datetime(2026, 12, 1, 20, 5, tzinfo=dt.UTC)
BATCH = Batch(
    name="t", title="Styregruppe", municipalities=[706], function_areas=["5.38.50"], notebooks=["x"]
)


def _published(monkeypatch, *args, **kwargs) -> list:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append((a, k)))
    headline.publish(*args, **kwargs)
    return shown


def test_publish_displays_one_output_of_the_headline_type_only(monkeypatch):
    shown = _published(monkeypatch, "Forskel", 29_728_504.0, "Udgift 2025.")
    ((args, kwargs),) = shown
    assert kwargs == {"raw": True}
    data = {"label": "Forskel", "value_dkk": 29_728_504.0, "text": "Udgift 2025.", "value": None, "unit": "",
            "signed": True}  # fmt: skip
    assert args == ({headline.MIME_TYPE: data},)


def test_a_level_is_published_unsigned_and_read_back_so(monkeypatch):
    ((args, _),) = _published(monkeypatch, "Udgift 2025", 80_123_456.0, signed=False)
    h = headline.Headline.from_dict(args[0][headline.MIME_TYPE])
    assert h.signed is False and h.value_text() == "80,1 mio. kr."
    # a manifest written before 'signed' existed reads as a signed amount
    assert (
        headline.Headline.from_dict({"label": "Forskel", "value_dkk": -400_000.0}).value_text()
        == "-0,4 mio. kr."
    )
    with pytest.raises(InputError, match="signed"):
        headline.publish("Udgift", 1.0, signed="nej")
    with pytest.raises(DataError, match="signed"):
        headline.Headline.from_dict({"label": "Udgift", "signed": "nej"})


def test_publish_takes_nan_as_no_figure_and_refuses_what_is_not_a_number(monkeypatch):
    ((args, _),) = _published(monkeypatch, "Mod budget", float("nan"), "Der er intet budget.")
    assert args[0][headline.MIME_TYPE]["value_dkk"] is None
    for bad in ("12", True, float("inf")):
        with pytest.raises(InputError, match="value_dkk"):
            headline.publish("Forskel", bad)
    with pytest.raises(InputError, match="label"):
        headline.publish("  ", 1.0)
    with pytest.raises(InputError, match="not both"):
        headline.publish("Fund", 1.0, value=3, unit="fund")


def test_value_text_in_danish_mio_kr_or_in_its_unit():
    # a gap is signed by default: 29.728.504 kr. = 29,73 mio. -> '+29,7'; -2.250.000 -> -2,25 -> '-2,3' (half away)
    assert headline.Headline("Forskel", 29_728_504.0).value_text() == "+29,7 mio. kr."
    assert headline.Headline("Forskel", -2_250_000.0).value_text() == "-2,3 mio. kr."
    assert (
        headline.Headline("Forskel", 49_999.0).value_text() == "0,0 mio. kr."
    )  # 0,05 mio. rounds to 0,0: no sign
    # a level (a year's spending) is not signed
    assert headline.Headline("Udgift 2025", 80_123_456.0, signed=False).value_text() == "80,1 mio. kr."
    assert headline.Headline("Fund", value=12, unit="fund").value_text() == "12 fund"
    assert headline.Headline("Ingen").value_text() == ""


def _nb(*datas) -> nbformat.NotebookNode:
    cells = [new_code_cell("x", outputs=[new_output("display_data", data=d)]) for d in datas]
    return new_notebook(cells=[new_code_cell("print(1)"), *cells])


def test_from_notebook_finds_the_one_headline_and_refuses_two_or_a_malformed_one(tmp_path):
    good = {headline.MIME_TYPE: {"label": "Forskel", "value_dkk": 5.0, "value": None, "unit": "", "text": ""}}
    assert headline.from_notebook(_nb({"text/plain": "1"})) is None
    assert headline.from_notebook(_nb(good)) == headline.Headline("Forskel", 5.0)
    path = tmp_path / "r.ipynb"
    nbformat.write(_nb(good, good), path)
    with pytest.raises(DataError, match="r.ipynb: 2 headlines published"):
        headline.from_notebook(path)
    with pytest.raises(DataError, match="value_dkk"):
        headline.from_notebook(_nb({headline.MIME_TYPE: {"label": "Forskel", "value_dkk": "mange"}}))


# The index -------------------------------------------------------------------------------------------------------


def _result(notebook, code=706, status="ok", head=None, **kw) -> ReportResult:
    names = {706: "Syddjurs", 165: "Albertslund"}
    files = kw.pop("files", None)
    if files is None:
        slug = f"{notebook}/{code}"
        files = {"ipynb": slug + ".ipynb"} | (
            {} if status == "failed" else {"html": slug + ".html", "pdf": slug + ".pdf"}
        )
    return ReportResult(
        notebook, notebook.capitalize(), code, names[code], "5.38.50", "Botilbud", {}, status,
        files=files, seconds={"execute": 1.5}, headline=head, **kw,
    )  # fmt: skip


def _index(tmp_path: Path, results: list[ReportResult]) -> str:
    summary = RunSummary("20261201-200500-abc123", tmp_path, results, 3.0)
    manifest = {"started": STARTED.isoformat(), "code": {"package": "0.1"}, "inputs": {"sample": True}}
    write_index(tmp_path / "index.html", BATCH, summary, manifest)
    return (tmp_path / "index.html").read_text("utf-8")


def test_reports_are_grouped_by_municipality_in_reading_order():
    results = [
        _result(n, c) for c in (706, 165) for n in ("followup", "zzz_extra", "benchmark", "overview", "area")
    ]
    groups = ordered(results)
    assert [key for key, _ in groups] == [(165, "Albertslund"), (706, "Syddjurs")]
    assert [r.notebook for r in groups[1][1]] == ["overview", "benchmark", "area", "followup", "zzz_extra"]
    assert REPORT_ORDER == (
        "overview", "benchmark", "area", "forecast", "cross_sector", "data_quality", "budget", "followup",
    )  # fmt: skip


def test_the_index_shows_each_headline_with_its_links_and_the_run_log_behind_a_fold(tmp_path):
    gap = headline.Headline("Forskel til sammenligningskommuner", 29_728_504.0, "Udgift 2025: 80,1 mio. kr.")
    results = [
        _result("benchmark", head=gap.to_dict(), status="cached", cached_from="20261130-090000-ffffff"),
        _result("overview", head=headline.Headline("Udgift 2025", 80_123_456.0, signed=False).to_dict()),
        _result("data_quality", head=headline.Headline("Fund i data", value=3, unit="fund").to_dict()),
        _result("forecast"),  # published nothing
    ]
    page = _index(tmp_path, results)
    body, fold = page.split('<details class="run">')
    section = body[body.index('<section class="municipality" id="m706">') :]
    assert "<h2>Syddjurs Kommune <small>(706)</small></h2>" in section  # the official name
    # overview before benchmark, the figure of each, links to HTML and PDF
    assert section.index(">Overview<") < section.index(">Benchmark<") < section.index(">Forecast<")
    assert section.index(">Forecast<") < section.index(">Data_quality<")
    assert '<span class="value">+29,7 mio. kr.</span>' in section  # a gap, signed
    assert "Forskel til sammenligningskommuner" in section and "Udgift 2025: 80,1 mio. kr." in section
    assert (
        '<span class="value">80,1 mio. kr.</span>' in section
        and '<span class="value">3 fund</span>' in section
    )
    assert '<a href="benchmark/706.html">HTML</a> · <a href="benchmark/706.pdf">PDF</a>' in section
    # the run log is in the fold only: status, reuse, duration, executed notebooks, manifest id
    for word in ("Genbrugt", "Færdig", "Varighed", "Notebook", "notebook", ".ipynb"):
        assert word not in body, word
    assert "Genbrugt (fra kørsel 20261130-090000-ffffff)" in fold and "1,5 s" in fold
    assert fold.count('.ipynb">Kørt notebook</a>') == 4
    assert "Manifest 20261201-200500-abc123" in fold and 'href="manifest.json"' in fold
    assert fold.index("</details>") > fold.index("manifest.json")
    # the sample notice stays, above the reports
    assert body.index('<p class="notice sample">Eksempeldata') < body.index("<section")


def test_failures_are_listed_first_and_marked_in_their_municipality(tmp_path):
    results = [
        _result("overview", 165),
        _result("benchmark", 165, status="failed", error="cell 3: ValueError: ingen data for Albertslund"),
    ]
    page = _index(tmp_path, results)
    failures = page[page.index('<div class="failures">') : page.index("<section")]
    assert "Fejl: 1 rapport blev ikke lavet" in failures
    assert "ingen data for Albertslund" in failures and 'href="benchmark/165.ipynb"' in failures
    section = page[page.index("<section") : page.index("<details")]
    assert "Fejlet: rapporten blev ikke lavet" in section
    assert 'href="benchmark/165.html"' not in page
    assert '<div class="failures">' not in _index(tmp_path, results[:1])


# The round trip through the runner (a real kernel) ---------------------------------------------------------------

PUBLISH = """\
from analysis.reporting import formatting as fmt
print(f"Kommune {municipality_code}")
fmt.headline("Forskel til sammenligningskommuner", municipality_code * 1_000_000.5, f"Kommune {municipality_code}.")
"""


@pytest.mark.slow
def test_a_published_headline_reaches_the_result_the_manifest_and_the_index(tmp_path):
    notebooks = tmp_path / "notebooks"
    write_notebook(notebooks, "benchmark", PUBLISH, title="Benchmark")
    write_notebook(notebooks, "overview", 'print("ingen overskrift")', title="Overblik")
    data = {"name": "t", "function_areas": ["5.38.50"], "formats": ["html"], "municipalities": [706],
            "notebooks": ["benchmark", "overview"]}  # fmt: skip
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    batch = load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=notebooks)
    summary = run_batch(
        batch, batch_file=path, notebooks_dir=notebooks, reports_dir=tmp_path / "r", progress=False
    )
    by_name = {r.notebook: r for r in summary.reports}
    assert all(r.status == "ok" for r in summary.reports), [r.error for r in summary.reports]
    expected = {"label": "Forskel til sammenligningskommuner", "value_dkk": 706_000_353.0, "value": None,
                "unit": "", "text": "Kommune 706.", "signed": True}  # fmt: skip
    assert by_name["benchmark"].headline == expected and by_name["overview"].headline is None
    manifest = json.loads((summary.folder / "manifest.json").read_text("utf-8"))
    assert [r["headline"] for r in manifest["reports"] if r["notebook"] == "benchmark"] == [expected]
    index = (summary.folder / "index.html").read_text("utf-8")
    assert '<span class="value">+706,0 mio. kr.</span>' in index and "Kommune 706." in index
    assert index.index(">Overblik<") < index.index(">Benchmark<")  # overview first, whatever the batch order
    html = (summary.folder / by_name["benchmark"].files["html"]).read_text("utf-8")
    assert (
        "Kommune 706" in html and "Forskel til sammenligningskommuner" not in html
    )  # not drawn in the report
    assert not re.search("vnd.analysis.headline", html)
    # reused from the cache, the headline is read again from the copied notebook
    again = run_batch(
        batch, batch_file=path, notebooks_dir=notebooks, reports_dir=tmp_path / "r", progress=False
    )
    reused = next(r for r in again.reports if r.notebook == "benchmark")
    assert reused.status == "cached" and reused.headline == expected


def test_without_drops_only_the_headline_outputs_from_a_copy():
    good = {headline.MIME_TYPE: {"label": "Forskel", "value_dkk": 5.0}}
    nb = _nb(good, {"text/plain": "1"})
    bare = headline.without(nb)
    assert [len(c.outputs) for c in bare.cells] == [0, 0, 1] and bare.cells[2].outputs[0].data == {
        "text/plain": "1"
    }
    assert headline.from_notebook(nb) == headline.Headline("Forskel", 5.0)  # the original keeps it
    assert headline.from_notebook(bare) is None
