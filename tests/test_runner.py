"""The report pipeline end to end: execute, render, index, manifest, cache, failures (real kernels)."""

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch
from tests.notebook_fixtures import fragile, hello

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _load(tmp_path, nb_dir, /, **keys):
    data = {"name": "t", "function_areas": ["5.38.50"], "formats": ["html"], **keys}
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=nb_dir), path


@pytest.fixture(scope="module")
def fragile_run(tmp_path_factory):
    """A batch of 4 reports where one raises, run once for the tests below."""
    tmp = tmp_path_factory.mktemp("run")
    notebooks = tmp / "notebooks"
    hello(notebooks)
    fragile(notebooks)
    batch, path = _load(tmp, notebooks, municipalities=[165, 706], notebooks=["hello", "fragile"], workers=2)
    summary = run_batch(
        batch, batch_file=path, notebooks_dir=notebooks, reports_dir=tmp / "reports", progress=False
    )
    return tmp, notebooks, batch, path, summary


def test_a_failed_notebook_is_reported_and_the_rest_still_render(fragile_run):
    _, _, _, _, summary = fragile_run
    status = {(r.notebook, r.municipality_code): r.status for r in summary.reports}
    assert status == {
        ("hello", 165): "ok",
        ("hello", 706): "ok",
        ("fragile", 165): "failed",
        ("fragile", 706): "ok",
    }
    failed = summary.failed[0]
    assert (
        failed.error == "cell 3: ValueError: ingen data for Albertslund"
    )  # 3rd code cell run, after the injected one
    assert "html" not in failed.files and (summary.folder / failed.files["ipynb"]).exists()
    assert not (summary.folder / "fragile" / "165-albertslund_5.38.50.html").exists()
    index = (summary.folder / "index.html").read_text("utf-8")
    assert "Fejlet" in index and "ingen data for Albertslund" in index
    assert index.count('href="hello/') == 4  # HTML and notebook links of the two hello reports


def test_executed_notebook_has_the_parameters_and_no_error(fragile_run):
    _, _, _, _, summary = fragile_run
    r = next(r for r in summary.reports if (r.notebook, r.municipality_code) == ("hello", 706))
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "municipality_code = 706" in injected.source and 'function_code = "5.38.50"' in injected.source
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("Kommune 706, funktion 5.38.50, 2025" in o.get("text", "") for o in outputs)
    html = (summary.folder / r.files["html"]).read_text("utf-8")
    assert "706 Syddjurs" in html and "Botilbud til længerevarende ophold" in html
    assert "municipality_code: int = 706" not in html  # code cells are hidden


def test_manifest_records_what_produced_the_run(fragile_run):
    _, _, _, path, summary = fragile_run
    manifest = json.loads((summary.folder / "manifest.json").read_text("utf-8"))
    assert manifest["run_id"] == summary.run_id and manifest["batch_file"] == path.name
    assert manifest["counts"] == {"ok": 3, "cached": 0, "failed": 1}
    assert manifest["inputs"]["tables"]["accounts"]["rows"] == 98 * 16 * 8  # 11 areas of 5.38, 5 of 5.28
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["code"]["source_sha256"])
    assert {"pandas", "papermill", "nbconvert", "duckdb", "python"} <= set(manifest["packages"])
    assert all(r["seconds"]["execute"] > 0 for r in manifest["reports"])
    latest = summary.folder.parent / "latest"
    assert latest.resolve() == summary.folder.resolve()


def test_the_cache_reuses_unchanged_reports_and_executes_changed_ones(fragile_run):
    tmp, notebooks, batch, path, first = fragile_run
    again = run_batch(
        batch, batch_file=path, notebooks_dir=notebooks, reports_dir=tmp / "reports", progress=False
    )
    status = {(r.notebook, r.municipality_code): r.status for r in again.reports}
    # the three good reports come from the cache; the failed one is executed again (failures are never cached)
    assert status == {
        ("hello", 165): "cached",
        ("hello", 706): "cached",
        ("fragile", 165): "failed",
        ("fragile", 706): "cached",
    }
    reused = next(r for r in again.reports if (r.notebook, r.municipality_code) == ("hello", 706))
    assert reused.cached_from == first.run_id and (again.folder / reused.files["html"]).exists()
    # a changed parameter and a changed notebook are executed again
    changed, _ = _load(
        tmp, notebooks, municipalities=[165, 706], notebooks=["hello"], parameters={"last_year": 2024}
    )
    third = run_batch(changed, notebooks_dir=notebooks, reports_dir=tmp / "reports", progress=False)
    assert [r.status for r in third.reports] == ["ok", "ok"]
    nb = nbformat.read(notebooks / "hello.ipynb", as_version=4)
    nb.cells[0].source = "Ny indledning."
    nbformat.write(nb, notebooks / "hello.ipynb")
    fourth = run_batch(
        changed, notebooks_dir=notebooks, reports_dir=tmp / "reports", progress=False, force=False
    )
    assert [r.status for r in fourth.reports] == ["ok", "ok"]
    forced = run_batch(
        changed, notebooks_dir=notebooks, reports_dir=tmp / "reports", progress=False, force=True
    )
    assert [r.status for r in forced.reports] == ["ok", "ok"]


def test_overview_report_renders_html_and_pdf_on_the_sample(tmp_path, sample_path):
    batch, path = _load(
        tmp_path, ROOT / "notebooks", municipalities=[706], notebooks=["overview"], formats=["html", "pdf"]
    )
    summary = run_batch(batch, batch_file=path, reports_dir=tmp_path / "reports", progress=False)
    (r,) = summary.reports
    assert r.status == "ok", r.error
    html = (summary.folder / r.files["html"]).read_text("utf-8")
    assert "Syddjurs" in html and "Botilbud til længerevarende ophold" in html
    assert "mio. kr." in html and 'lang="da"' in html
    # made from the sample: the first page and the index say so
    notice = "Eksempeldata: tallene er syntetiske og ikke kommunens regnskab"
    index = (summary.folder / "index.html").read_text("utf-8")
    assert notice in html.split("</header>")[0] and notice in index
    assert not re.search(r'(src|href)="https?://', html)  # self-contained: nothing fetched
    pdf = (summary.folder / r.files["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


def test_explore_notebook_runs_on_the_sample(tmp_path, sample_path):
    import papermill

    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "explore" / "explore.ipynb"),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        parameters={"municipality_code": 165},
        cwd=str(ROOT / "notebooks" / "explore"),
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum(o.output_type == "display_data" and "image/png" in o.data for o in outputs) == 2


def test_a_missing_kernel_is_named_before_anything_runs(tmp_path):
    from analysis.reporting.batch import BatchError

    notebooks = tmp_path / "notebooks"
    hello(notebooks)
    batch, _ = _load(tmp_path, notebooks, municipalities=[706], notebooks=["hello"], kernel="no-such-kernel")
    with pytest.raises(BatchError, match="no Jupyter kernel named 'no-such-kernel'; install it with"):
        run_batch(batch, notebooks_dir=notebooks, reports_dir=tmp_path / "reports", progress=False)


def test_the_workers_that_died_are_told_from_those_the_broken_pool_ended():
    from types import SimpleNamespace

    from analysis.reporting.runner import _died

    processes = {
        11: SimpleNamespace(exitcode=-9),  # killed (the out-of-memory killer)
        12: SimpleNamespace(exitcode=-15),  # ended by the pool once it broke
        13: SimpleNamespace(exitcode=0),  # shut down
        14: SimpleNamespace(exitcode=None),  # still running
        15: SimpleNamespace(exitcode=3),
        16: SimpleNamespace(exitcode=-11),
    }
    assert _died(processes) == {
        11: "its worker process (pid 11) died during this report: killed by signal 9 (SIGKILL), as the "
        "out-of-memory killer does",
        15: "its worker process (pid 15) died during this report: exited with status 3",
        16: "its worker process (pid 16) died during this report: killed by signal 11 (SIGSEGV)",
    }
    assert _died(None) == {}  # a Python whose pool does not say: no one is blamed
