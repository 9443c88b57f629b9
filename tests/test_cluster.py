"""Reports as tasks on a Dask cluster (``--scheduler``): a LocalCluster of two worker processes on loopback."""

import json
import logging
import os
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from analysis.errors import DataError
from analysis.reporting.runner import run_batch
from tests.notebook_fixtures import marker_notebook, printed, small_batch

# Reads the warehouse the runner names: the accounts rows of the municipality, all functions and years.
TALLY = (
    "import duckdb\n"
    "con = duckdb.connect(warehouse, read_only=True)\n"
    'n = con.execute("select count(*) from accounts where municipality_code = ?", [municipality_code]).fetchone()[0]\n'
    'print(f"Kommune {municipality_code}: {n} konteringer")'
)

# The first time (no marker file yet) it makes the marker and kills the worker process that runs its kernel.
MORTAL = (
    "import os, signal, time\n"
    "if not os.path.exists(marker):\n"
    "    open(marker, 'w').close()\n"
    "    worker = os.getppid()\n"
    "    with open(f'/proc/{worker}/cmdline', 'rb') as f:  # a forked kernel's parent is its worker's fork server\n"
    "        if b'ipykernel-fork-server' in f.read():\n"
    "            worker = int(open(f'/proc/{worker}/stat').read().rsplit(')', 1)[1].split()[1])\n"
    "    os.kill(worker, signal.SIGKILL)\n"
    "    time.sleep(60)\n"
    'print("overlevede")'
)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each, on 127.0.0.1; closed at the end, and their processes checked gone."""
    from distributed import Client, LocalCluster

    c = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    yield c
    with Client(c.scheduler_address, set_as_default=False) as client:
        pids = set(client.run(os.getpid).values())
    c.close()
    time.sleep(0.5)
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    assert not alive, f"worker processes left running: {alive}"


def _figures(summary):
    manifest = json.loads((summary.folder / "manifest.json").read_text("utf-8"))
    reports = [
        {k: r[k] for k in ("notebook", "municipality_code", "function_code", "status", "cache_key", "files")}
        for r in manifest["reports"]
    ]
    return manifest, reports


@pytest.mark.slow
def test_a_batch_on_the_cluster_gives_the_local_pool_s_manifest(tmp_path, cluster):
    notebooks = tmp_path / "notebooks"
    marker_notebook(notebooks, "tally", TALLY)
    batch, path = small_batch(
        tmp_path, notebooks, "dask", [165, 706], notebooks=["tally"], formats=["html"], workers=1
    )
    reports = tmp_path / "reports"
    local = run_batch(batch, batch_file=path, notebooks_dir=notebooks, reports_dir=reports, progress=False)
    remote = run_batch(
        batch,
        batch_file=path,
        notebooks_dir=notebooks,
        reports_dir=reports,
        progress=False,
        force=True,
        scheduler=cluster.scheduler_address,
        ship_warehouse=True,  # a copy sent to the workers, as for a cluster without the client's folders
    )
    local_manifest, local_reports = _figures(local)
    remote_manifest, remote_reports = _figures(remote)
    assert remote_reports == local_reports and remote_manifest["counts"] == {
        "ok": 2,
        "cached": 0,
        "failed": 0,
    }
    assert local_manifest["counts"] == {"ok": 2, "cached": 0, "failed": 0}
    assert remote_manifest["cluster"] == {
        "scheduler": cluster.scheduler_address,
        "workers": 2,
        "warehouse_shipped": True,
    }
    # the sample's accounts: 16 functions (11 of 5.38, 5 of 5.28) x 8 years = 128 rows for each municipality
    for r in remote.reports:
        assert printed(remote.folder, r.files["ipynb"]) == [
            f"Kommune {r.municipality_code}: 128 konteringer\n"
        ]
        assert "Tally" in (remote.folder / r.files["html"]).read_text("utf-8")
    assert not list(remote.folder.rglob("*.part")) and not (remote.folder / "INCOMPLETE").exists()
    assert not list(Path(tempfile.gettempdir()).glob(f"analysis-dask-*-{remote.run_id}"))  # shipped copy gone
    # the cache the cluster filled serves the next run, wherever it runs
    again = run_batch(
        batch,
        batch_file=path,
        notebooks_dir=notebooks,
        reports_dir=reports,
        progress=False,
        scheduler=cluster.scheduler_address,
    )
    assert again.counts() == {"ok": 0, "cached": 2, "failed": 0}


@pytest.mark.slow
def test_a_worker_killed_during_a_report_is_survived(tmp_path, cluster):
    notebooks = tmp_path / "notebooks"
    marker_notebook(notebooks, "mortal", MORTAL)
    marker = tmp_path / "killed-once"
    batch, path = small_batch(
        tmp_path,
        notebooks,
        "kill",
        [706],
        notebooks=["mortal"],
        formats=["html"],
        parameters={"marker": str(marker)},
    )
    summary = run_batch(
        batch,
        batch_file=path,
        notebooks_dir=notebooks,
        reports_dir=tmp_path / "reports",
        progress=False,
        scheduler=cluster.scheduler_address,
    )
    assert marker.exists()  # the first attempt ran, and killed its worker
    (r,) = summary.reports
    assert (r.status, r.error) == ("ok", None)
    assert printed(summary.folder, r.files["ipynb"]) == ["overlevede\n"]
    assert not list(summary.folder.rglob("*.part"))
    # nothing left on the workers either: not the killed worker's folder, not the survivor's
    assert not list(Path(tempfile.gettempdir()).glob(f"analysis-dask-*-{summary.run_id}"))


def test_an_unreachable_scheduler_is_named_with_the_timeout():
    from analysis.reporting.cluster import connect

    with pytest.raises(DataError, match=r"tcp://127\.0\.0\.1:9 within 1 s"):
        connect("tcp://127.0.0.1:9", timeout=1)


def test_run_with_an_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from analysis import cli
    from analysis.reporting import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    batch = tmp_path / "b.yaml"
    batch.write_text(
        yaml.safe_dump(
            {"name": "b", "municipalities": [706], "function_areas": ["5.38.50"], "notebooks": ["overview"]}
        )
    )
    out = tmp_path / "run"
    assert cli.main(["run", str(batch), "--output", str(out), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s")
    assert not out.exists()
