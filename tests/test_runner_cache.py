"""The report cache is correct by construction, a batch reads one state of the data, and a killed batch leaves
no process behind and is finished by the next run (real kernels)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from analysis.reporting import runner
from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch
from analysis.reporting.workers import TRACE_ENV
from analysis.reporting.zygote import WORKER_NAME, ZYGOTE_NAME
from tests.notebook_fixtures import PARAMETERS, hello, write_notebook

pytestmark = pytest.mark.slow

READER_PARAMETERS = (
    "municipality_code: int = 706  # kommunekode\n"
    'function_code: str = "5.38.50"  # function area\n'
    'warehouse: str = ""  # the warehouse file\n'
    'live: str = ""  # a warehouse file to write into while the batch runs (the test of the snapshot)'
)
READER_BODY = """\
import duckdb
if live and municipality_code == 165:
    w = duckdb.connect(live)
    w.execute("CREATE TABLE IF NOT EXISTS _probe (x INT)")
    w.execute("INSERT INTO _probe VALUES (1)")
    w.close()
con = duckdb.connect(warehouse, read_only=True)
has = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_probe'").fetchone()[0]
rows = con.execute("SELECT count(*) FROM _probe").fetchone()[0] if has else 0
print(f"probe rows: {rows}")
"""


def reader(folder: Path) -> None:
    import nbformat

    path = write_notebook(folder, "reader", READER_BODY, title="Læser")
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = READER_PARAMETERS
    nbformat.write(nb, path)


def _batch(tmp_path, nb_dir, /, **keys):
    data = {"name": "t", "function_areas": ["5.38.50"], "formats": ["html"], "workers": 1, **keys}
    path = tmp_path / f"batch-{abs(hash(json.dumps(data, sort_keys=True)))}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=nb_dir)


def _html(summary, code: int) -> str:
    r = next(r for r in summary.reports if r.municipality_code == code)
    return (summary.folder / r.files["html"]).read_text("utf-8")


def test_reusing_an_output_folder_never_changes_a_cached_report(tmp_path):
    notebooks = tmp_path / "notebooks"
    hello(notebooks)
    reports = tmp_path / "reports"
    shared = tmp_path / "shared-output"
    y2025 = _batch(
        tmp_path, notebooks, municipalities=[706], notebooks=["hello"], parameters={"last_year": 2025}
    )
    y2024 = _batch(
        tmp_path, notebooks, municipalities=[706], notebooks=["hello"], parameters={"last_year": 2024}
    )
    kw = {"notebooks_dir": notebooks, "reports_dir": reports, "progress": False}
    first = run_batch(y2025, output=shared, **kw)
    assert "Kommune 706, funktion 5.38.50, 2025" in _html(first, 706)
    second = run_batch(y2024, output=shared, **kw)  # writes the same file names into the same folder
    assert [r.status for r in second.reports] == ["ok"]
    assert "Kommune 706, funktion 5.38.50, 2024" in _html(second, 706)
    third = run_batch(y2025, **kw)
    assert [r.status for r in third.reports] == ["cached"]
    assert "Kommune 706, funktion 5.38.50, 2025" in _html(third, 706)
    # the cache holds the two reports run (2025 and 2024), each a copy, never a link into the shared folder
    cached = sorted((reports / ".cache").rglob("*.html"))
    assert len(cached) == 2
    assert [f.stat().st_nlink for f in cached] == [1, 1]


def test_a_truncated_cache_entry_is_executed_again(tmp_path):
    notebooks = tmp_path / "notebooks"
    hello(notebooks)
    kw = {"notebooks_dir": notebooks, "reports_dir": tmp_path / "reports", "progress": False}
    batch = _batch(tmp_path, notebooks, municipalities=[706], notebooks=["hello"])
    first = run_batch(batch, **kw)
    (entry,) = (tmp_path / "reports" / ".cache").rglob("result.json")
    entry.write_bytes(entry.read_bytes()[:25])
    again = run_batch(batch, **kw)
    assert [r.status for r in again.reports] == ["ok"] and first.reports[0].cache_key == again.reports[
        0
    ].cache_key
    assert [r.status for r in run_batch(batch, **kw).reports] == ["cached"]  # the entry was written anew


def test_the_key_covers_parameter_files_and_the_bookkeeping_tables(tmp_path, sample_path, monkeypatch):
    root = tmp_path / "project"
    (root / "parameters" / "batches").mkdir(parents=True)
    unit_costs = root / "parameters" / "unit_costs.yaml"
    unit_costs.write_text("botilbud: 5000\n", encoding="utf-8")
    monkeypatch.setattr(runner, "project_root", lambda: root)
    notebooks = tmp_path / "notebooks"
    reader(notebooks)
    own = tmp_path / "own.duckdb"
    shutil.copyfile(sample_path, own)
    batch = _batch(tmp_path, notebooks, municipalities=[706], notebooks=["reader"])
    kw = {
        "notebooks_dir": notebooks,
        "reports_dir": tmp_path / "reports",
        "progress": False,
        "warehouse": own,
    }

    def status():
        return run_batch(batch, **kw).reports[0].status

    assert status() == "ok"
    assert status() == "cached"
    unit_costs.write_text("botilbud: 6000\n", encoding="utf-8")  # a changed unit cost
    assert status() == "ok"
    (root / "parameters" / "batches" / "other.yaml").write_text("name: other\n", encoding="utf-8")
    assert status() == "cached"  # another batch file changes no report
    for table in ("_findings", "_loads"):  # tables the data-quality report reads
        con = duckdb.connect(str(own))
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} (note VARCHAR)")
        con.execute(f"INSERT INTO {table} VALUES ('a corrected file was loaded')")
        con.close()
        assert status() == "ok", table
        assert status() == "cached", table


def test_a_batch_reads_one_state_of_the_warehouse_while_a_load_writes(tmp_path, sample_path):
    notebooks = tmp_path / "notebooks"
    reader(notebooks)
    own = tmp_path / "own.duckdb"
    shutil.copyfile(sample_path, own)
    # one worker: Albertslund (165) runs first and writes into the warehouse, as a load during the batch would
    batch = _batch(
        tmp_path, notebooks, municipalities=[165, 706], notebooks=["reader"], parameters={"live": str(own)}
    )
    kw = {
        "notebooks_dir": notebooks,
        "reports_dir": tmp_path / "reports",
        "progress": False,
        "warehouse": own,
    }
    first = run_batch(batch, **kw)
    assert [r.status for r in first.reports] == ["ok", "ok"]
    assert "probe rows: 0" in _html(first, 165) and "probe rows: 0" in _html(first, 706)  # the snapshot
    manifest = json.loads((first.folder / "manifest.json").read_text("utf-8"))
    assert manifest["inputs"]["snapshot"] is True and manifest["inputs"]["changed_during_run"] is True
    index = (first.folder / "index.html").read_text("utf-8")
    assert "Data i lageret blev ændret under kørslen" in index
    assert not list((tmp_path / "reports" / ".snapshots").iterdir())  # the snapshot is gone after the run
    # the next run reads the new state (one row), nothing of the old one is reused, and again both reports read
    # the same state although Albertslund's adds a second row during the run
    second = run_batch(batch, **kw)
    assert [r.status for r in second.reports] == ["ok", "ok"]
    assert "probe rows: 1" in _html(second, 165) and "probe rows: 1" in _html(second, 706)


SLEEPY = 'import time\ntime.sleep(4)\nprint(f"Kommune {municipality_code}")'
DRIVER = """\
import sys
from pathlib import Path
from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch
if __name__ == "__main__":
    tmp = Path(sys.argv[1])
    batch = load_batch(tmp / "batch.yaml", defaults=tmp / "none.yaml", notebooks_dir=tmp / "notebooks")
    run_batch(batch, notebooks_dir=tmp / "notebooks", reports_dir=tmp / "reports", progress=False)
"""


def _alive(p) -> bool:
    import psutil

    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _described(p) -> str:
    """A process as a failure message should name it: pid, name, state, parent and command line."""
    import psutil

    try:
        return f"{p.pid} {p.name()} {p.status()} ppid={p.ppid()} {' '.join(p.cmdline())[:120]}"
    except psutil.Error as e:
        return f"{p.pid} ({type(e).__name__})"


def _is_worker(p) -> bool:
    """A worker of a batch: spawned (``spawn_main``) or forked from the batch's zygote (named by it)."""
    return "spawn_main" in " ".join(p.cmdline()) or p.name() == WORKER_NAME


def _is_kernel(p) -> bool:
    """A kernel or a kernel fork server, by its command line (a forked kernel shares its server's)."""
    return "ipykernel" in " ".join(p.cmdline())


def _took(trace: Path, rel: str) -> set[int]:
    """The pids of the workers that started a report whose path contains ``rel``, from a batch's trace."""
    pids = set()
    for path in trace.glob("trace-*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event["event"] == "job_start" and rel in event.get("rel", ""):
                pids.add(event["pid"])
    return pids


def _entries(cache: Path) -> list[Path]:
    """The cache's finished entries (an entry being written is a hidden '.<key>.<id>.tmp' folder until renamed)."""
    return [p for p in cache.rglob("result.json") if not p.parent.name.startswith(".")]


def test_kill_9_leaves_no_process_and_the_rerun_executes_only_the_unfinished(tmp_path):
    psutil = pytest.importorskip("psutil")
    write_notebook(tmp_path / "notebooks", "sleepy", SLEEPY, title="Langsom")
    codes = [101, 147, 151, 153, 155, 157]
    data = {"name": "t", "municipalities": codes, "function_areas": ["5.38.50"], "notebooks": ["sleepy"]}
    (tmp_path / "batch.yaml").write_text(yaml.safe_dump({**data, "formats": ["html"], "workers": 2}), "utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    cache = tmp_path / "reports" / ".cache"
    proc = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), str(tmp_path)], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 240
        while not _entries(cache):
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no report finished in 4 minutes"
            time.sleep(0.2)
        family = psutil.Process(proc.pid).children(recursive=True)
        living = [p for p in family if _alive(p)]
        kinds = [("kernel" if _is_kernel(p) else "worker" if _is_worker(p) else p.name()) for p in living]
        done_at_kill = len(_entries(cache))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    # two workers, forked from the batch's zygote, each with its kernel fork server and kernels
    assert kinds.count("kernel") >= 1 and kinds.count("worker") == 2 and kinds.count(ZYGOTE_NAME) == 1, kinds
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.25)
    orphans = [_described(p) for p in family if _alive(p)]
    for p in family:  # never leave them to the next test
        if _alive(p):
            p.kill()
    assert not orphans, f"processes outlived the killed batch: {orphans}"

    (killed,) = [p for p in (tmp_path / "reports" / "t").iterdir() if p.is_dir()]
    assert (killed / "INCOMPLETE").exists() and not (killed / "manifest.json").exists()
    assert "Ufuldstændig kørsel" in (killed / "index.html").read_text("utf-8")
    assert not (tmp_path / "reports" / "t" / "latest").exists()
    sockets = list(Path(tempfile.gettempdir()).glob(f"analysis-kernels-{proc.pid}-*"))
    # the killed run's kernel socket folder, left behind (without it nothing is checked below)
    assert len(sockets) == 1

    batch = load_batch(
        tmp_path / "batch.yaml", defaults=tmp_path / "none.yaml", notebooks_dir=tmp_path / "notebooks"
    )
    rerun = run_batch(
        batch, notebooks_dir=tmp_path / "notebooks", reports_dir=tmp_path / "reports", progress=False
    )
    counts = rerun.counts()
    assert counts["failed"] == 0 and counts["cached"] >= done_at_kill >= 1
    assert counts["ok"] == len(codes) - counts["cached"] < len(codes)
    assert (tmp_path / "reports" / "t" / "latest").resolve() == rerun.folder.resolve()
    assert not (rerun.folder / "INCOMPLETE").exists()
    assert (killed / "INCOMPLETE").exists()  # the killed folder still says what it is
    assert not [p for p in sockets if p.exists()]  # the killed run's kernel sockets were removed
    assert not list((tmp_path / "reports" / ".snapshots").iterdir())


@pytest.mark.parametrize(
    ("fork", "workers"), [("1", 1), ("0", 1), ("1", 2)], ids=["zygote", "spawned", "zygote-2-workers"]
)
def test_a_killed_worker_takes_its_kernel_with_it_and_the_batch_still_finishes(tmp_path, fork, workers):
    psutil = pytest.importorskip("psutil")
    # each report's kernel says when it has started (its pid); the one of 101 is the report whose worker is killed
    marks = tmp_path / "started"
    marks.mkdir()
    source = (
        "import os, time, pathlib\n"
        f"pathlib.Path({str(marks)!r}, str(municipality_code)).write_text(str(os.getpid()))\n"
        "time.sleep(4)\n"
        'print(f"Kommune {municipality_code}")'
    )
    write_notebook(tmp_path / "notebooks", "sleepy", source, title="Langsom")
    data = {
        "name": "t",
        "municipalities": [101, 147, 151],
        "function_areas": ["5.38.50"],
        "notebooks": ["sleepy"],
    }
    batch = {**data, "formats": ["html"], "workers": workers}
    (tmp_path / "batch.yaml").write_text(yaml.safe_dump(batch), "utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    trace = tmp_path / "trace"  # each process's events: which worker took which report
    trace.mkdir()
    env = {**os.environ, "ANALYSIS_WORKER_FORK": fork, TRACE_ENV: str(trace)}
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "driver.py"), str(tmp_path)], cwd=tmp_path, env=env
    )
    try:
        deadline = time.monotonic() + 240
        while not (marks / "101").exists():  # 101's report is executing
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.2)
        kernel = psutil.Process(int((marks / "101").read_text()))
        # the kernel is the batch's fork server's child (forked kernels); its worker asked for it
        (worker,) = [psutil.Process(pid) for pid in _took(trace, "101-")]
        assert _is_worker(worker)
        # spawned: the batch's child; forked: the zygote's, the batch's grandchild
        assert (worker.ppid() == proc.pid) is (fork == "0")
        kernels = [kernel, *kernel.children(recursive=True)]
        worker.kill()  # as the out-of-memory killer would
        assert proc.wait(timeout=240) == 0  # the batch goes on to its end (the report is failed, not lost)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 20
    while any(_alive(k) for k in kernels) and time.monotonic() < deadline:
        time.sleep(0.25)
    orphans = [_described(k) for k in kernels if _alive(k)]
    for k in kernels:
        if _alive(k):
            k.kill()
    assert not orphans, f"kernels outlived their worker: {orphans}"
    (run,) = [p for p in (tmp_path / "reports" / "t").iterdir() if p.is_dir() and not p.is_symlink()]
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    assert not (run / "INCOMPLETE").exists()
    # only the report the dead worker ran is failed: the others (one running beside it with 2 workers, the rest not
    # yet started) ran again in new workers
    failed = [r for r in manifest["reports"] if r["status"] == "failed"]
    assert [r["municipality_code"] for r in failed] == [101]
    assert manifest["counts"] == {**manifest["counts"], "ok": 2, "failed": 1}
    assert "died during this report: killed by signal 9 (SIGKILL)" in failed[0]["error"]
    assert "worker failed" in (run / "index.html").read_text("utf-8")
    # nothing half-written is kept: the reports in the run folder are the finished ones, each in the cache whole
    finished = {rel for r in manifest["reports"] if r["status"] == "ok" for rel in r["files"].values()}
    assert all(r["files"] == {} for r in manifest["reports"] if r["status"] == "failed")
    assert len(finished) == 4  # two reports, each .ipynb and .html
    assert {
        p.relative_to(run).as_posix()
        for p in run.rglob("*")
        if p.suffix in (".ipynb", ".html") and p.name != "index.html"
    } == finished
    reports = tmp_path / "reports"
    assert not [p for p in reports.rglob("*") if p.name.endswith((".part", ".tmp"))]
    assert len(_entries(reports / ".cache")) == manifest["counts"]["ok"]


def test_a_changed_decisions_file_outside_parameters_is_executed_again_not_served_stale(
    tmp_path, monkeypatch
):
    # the budget report names its decisions by a path; a municipality keeps its own file outside parameters/ (or
    # anywhere): only parameters/ was hashed, so after the file changed the cache served the old decisions
    root = tmp_path / "project"
    (root / "parameters").mkdir(parents=True)
    monkeypatch.setattr(runner, "project_root", lambda: root)
    notebooks = tmp_path / "notebooks"
    write_notebook(
        notebooks,
        "decider",
        "from pathlib import Path\nprint('persons:', Path(decisions_file).read_text().strip())",
        parameters=PARAMETERS + '\ndecisions_file: str = ""  # decisions (YAML)',
    )
    own = tmp_path / "elsewhere" / "beslutninger.yaml"
    own.parent.mkdir()
    own.write_text("-2\n", encoding="utf-8")
    kw = {"notebooks_dir": notebooks, "reports_dir": tmp_path / "reports", "progress": False}
    batch = _batch(
        tmp_path,
        notebooks,
        municipalities=[706],
        notebooks=["decider"],
        parameters={"decisions_file": str(own)},
    )
    first = run_batch(batch, **kw)
    assert first.reports[0].status == "ok" and "persons: -2" in _html(first, 706)
    assert run_batch(batch, **kw).reports[0].status == "cached"
    own.write_text("-5\n", encoding="utf-8")
    again = run_batch(batch, **kw)
    assert again.reports[0].status == "ok" and "persons: -5" in _html(again, 706)
    assert run_batch(batch, **kw).reports[0].status == "cached"
