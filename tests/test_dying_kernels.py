"""A kernel that dies inside a cell fails its report (or is retried once) instead of leaving the batch waiting.

Before, papermill's executor got the kernel manager's blocking client, whose output poll blocked the event loop
that also checks whether the kernel lives: a kernel killed inside a cell (kill -9, the OOM killer) or a fork
server killed under its kernel left the batch waiting forever. Each test arms a watchdog that ends the test
process with a traceback rather than let CI hang.
"""

from __future__ import annotations

import faulthandler

import pytest

from analysis.reporting.runner import run_batch
from tests.notebook_fixtures import marker_notebook, printed, small_batch

# Kills its own kernel, every time.
SUICIDE = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"

# The first time (no marker yet) kills its parent: with forked kernels the worker's fork server.
PARRICIDE = (
    "import os, signal, time\n"
    "if not os.path.exists(marker):\n"
    "    open(marker, 'w').close()\n"
    "    os.kill(os.getppid(), signal.SIGKILL)\n"
    "    time.sleep(60)\n"
    'print("overlevede")'
)


@pytest.fixture
def watchdog():
    faulthandler.dump_traceback_later(240, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.mark.slow
@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked", "ordinary"])
def test_a_kernel_killed_inside_a_cell_fails_its_report(tmp_path, monkeypatch, watchdog, fork):
    monkeypatch.setenv("ANALYSIS_KERNEL_FORK", fork)
    notebooks = tmp_path / "notebooks"
    marker_notebook(notebooks, "suicide", SUICIDE)
    batch, path = small_batch(tmp_path, notebooks, "die", [706], notebooks=["suicide"], formats=["html"])
    summary = run_batch(
        batch, batch_file=path, notebooks_dir=notebooks, reports_dir=tmp_path / "reports", progress=False
    )
    (r,) = summary.reports
    assert r.status == "failed" and "DeadKernelError" in r.error
    assert summary.counts() == {"ok": 0, "cached": 0, "failed": 1}


@pytest.mark.slow
def test_a_fork_server_killed_under_its_kernel_costs_one_retry(tmp_path, monkeypatch, watchdog):
    monkeypatch.setenv("ANALYSIS_KERNEL_FORK", "1")
    notebooks = tmp_path / "notebooks"
    marker_notebook(notebooks, "parricide", PARRICIDE)
    marker = tmp_path / "killed-once"
    batch, path = small_batch(
        tmp_path,
        notebooks,
        "orphan",
        [706],
        notebooks=["parricide"],
        formats=["html"],
        parameters={"marker": str(marker)},
    )
    summary = run_batch(
        batch, batch_file=path, notebooks_dir=notebooks, reports_dir=tmp_path / "reports", progress=False
    )
    assert marker.exists()  # the first attempt ran and killed the server; its kernel did not hang the report
    (r,) = summary.reports
    assert (r.status, r.error) == ("ok", None)
    assert printed(summary.folder, r.files["ipynb"]) == ["overlevede\n"]
