"""A batch's zygote: workers are forked from it, each forks its kernel fork server, and reports stay apart."""

from __future__ import annotations

import concurrent.futures as cf
import os
import sys
import time

import pytest

from analysis.reporting import forkserver, zygote
from analysis.reporting.workers import _init_worker, _run_job
from tests.notebook_fixtures import report_spec, spawned_worker, stdout, write_notebook
from tests.worker_probe import worker_state

needs_fork = pytest.mark.skipif(not zygote.available(), reason="workers are forked on Linux only")

# prints whether an earlier report's variable is seen, the kernel's pid and its parent's (the fork server)
LEAK = 'import os\nprint("seen", "secret" in globals(), os.getpid(), os.getppid())\nsecret = 123'


def test_the_switch_turns_the_zygote_off(monkeypatch):
    monkeypatch.setenv(zygote.WORKER_FORK_ENV, "0")
    assert not zygote.available()
    monkeypatch.setenv(zygote.WORKER_FORK_ENV, "off")
    assert not zygote.available()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the default is on only on Linux")
def test_the_zygote_is_the_default_on_linux(monkeypatch):
    monkeypatch.delenv(zygote.WORKER_FORK_ENV, raising=False)
    assert zygote.available()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@needs_fork
@pytest.mark.slow
def test_workers_forked_from_the_zygote_give_each_report_a_fresh_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv(forkserver.FORK_ENV, "1")
    notebook = write_notebook(tmp_path / "nb", "leak", LEAK)
    sockets = tmp_path / "s"
    sockets.mkdir()
    kernels = forkserver.ForkServer(str(sockets), cwd=str(tmp_path))  # the batch's, shared by its workers
    zyg = zygote.Zygote().start()
    remaining = zyg.context.Value("i", 2)  # two reports: none is started ahead after the second
    shared = (kernels.path, kernels.pid)
    args = (
        "python3",
        True,
        str(tmp_path),
        os.getpid(),
        str(sockets),
        None,
        True,
        True,
        remaining,
        None,
        shared,
    )
    try:
        with cf.ProcessPoolExecutor(
            1, mp_context=zyg.context, initializer=_init_worker, initargs=args
        ) as pool:
            before = pool.submit(worker_state).result()
            results = [
                pool.submit(_run_job, report_spec(notebook, tmp_path / f"r{i}.ipynb", tmp_path)).result()
                for i in (1, 2)
            ]
            after = pool.submit(worker_state).result()
        zygote_pid = zyg.pid
    finally:
        zyg.close()
    assert [r["status"] for r in results] == ["ok", "ok"], results
    # the worker is the zygote's child, named as such; it asks the batch's kernel fork server for its kernels
    assert before["ppid"] == zygote_pid and before["name"] == zygote.WORKER_NAME
    assert before["server_type"] == "ServerHandle" and before["server"] == kernels.pid and before["spare"]
    seen = [stdout(tmp_path / f"r{i}.ipynb")[0].split() for i in (1, 2)]
    # report 2 does not see report 1's variable; each ran in its own kernel, forked by the batch's server
    assert [s[:2] for s in seen] == [["seen", "False"], ["seen", "False"]]
    assert seen[0][2] != seen[1][2] and {int(s[3]) for s in seen} == {kernels.pid}
    assert not after["spare"]  # no kernel started after the batch's last report
    assert (tmp_path / "r2.html").exists()
    # closed: the zygote and the worker are gone, and no kernel is left; then the batch ends its server
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in (zygote_pid, before["pid"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in (zygote_pid, before["pid"], *(int(s[2]) for s in seen)))
    assert kernels.alive()
    kernels.close()
    assert not _alive(kernels.pid)


@pytest.mark.slow
def test_a_spawned_worker_never_imports_pandas_for_a_report(tmp_path):
    notebook = write_notebook(tmp_path / "nb", "plain", "x = 1")
    with spawned_worker(tmp_path) as pool:
        result = pool.submit(_run_job, report_spec(notebook, tmp_path / "r.ipynb", tmp_path)).result()
        state = pool.submit(worker_state).result()
    assert result["status"] == "ok", result
    # its kernels import pandas; the worker that executes and renders the report has no use for it
    assert not state["pandas"]
    assert state["spare"]  # without a count of the reports left, a kernel is always started ahead


@needs_fork
@pytest.mark.slow
def test_the_zygote_imports_the_workers_libraries_only_and_quietly():
    # the kernels' libraries are the batch's kernel fork server's, imported at the same time in another process
    import json
    import subprocess

    code = (
        "import json, sys\n"
        "from analysis.reporting import zygote\n"
        "failed = zygote.preload()\n"
        "kernel_libraries = [m for m in ('pandas', 'matplotlib', 'duckdb', 'ipykernel') if m in sys.modules]\n"
        "print(json.dumps({'failed': failed, 'kernel_libraries': kernel_libraries,\n"
        "                  'workers': all(m in sys.modules for m in zygote.WORKER_PRELOAD)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"failed": [], "kernel_libraries": [], "workers": True}
    assert not done.stderr.strip()
