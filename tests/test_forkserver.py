"""The kernel fork server: life cycle, crashes, no state between kernels, same outputs as an ordinary kernel."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from analysis.reporting import forkserver as fs

ROOT = Path(__file__).resolve().parents[1]
needs_fork = pytest.mark.skipif(not fs.fork_available(), reason="kernels are forked on Linux only")


def test_fork_is_off_when_disabled(monkeypatch):
    monkeypatch.setenv(fs.FORK_ENV, "0")
    assert not fs.fork_available()


def test_only_this_interpreters_ipykernel_is_forked():
    here = [sys.executable, "-m", "ipykernel_launcher", "-f", "/tmp/k.json"]
    assert fs._ipykernel_argv(here) == ["-f", "/tmp/k.json"]
    assert fs._ipykernel_argv(["/usr/bin/python9", *here[1:]]) is None  # another interpreter: its own process
    assert fs._ipykernel_argv([sys.executable, "-m", "other_kernel", "-f", "k.json"]) is None
    assert fs._ipykernel_argv(["R", "--slave"]) is None


def test_no_server_means_the_stock_provisioner_is_kept():
    km = fs.kernel_manager("python3", None)
    assert km.provisioner is None  # jupyter_client creates its LocalProvisioner at start


_SNAPSHOT = r"""
import json, os, sys, threading
from analysis.reporting import forkserver as fs
if sys.argv[1] == "preload":
    failed = fs._preload(fs.PRELOAD) + fs._warm(fs.WARM_CALLS)
else:
    import numpy  # its OpenBLAS starts a thread at import (fork-safe: pthread_atfork)
    failed = []
print(json.dumps({
    "failed": failed,
    "os_threads": len(os.listdir("/proc/self/task")),
    "python_threads": [t.name for t in threading.enumerate()],
    "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
    "trace": [repr(sys.gettrace()), repr(sys.getprofile())],
    "inline_backend": "matplotlib_inline.backend_inline" in sys.modules,
    "debugger": "ipykernel.debugger" in sys.modules,
    "heavy": sorted(m for m in ("seaborn", "scipy", "scipy.stats") if m in sys.modules),
}))
"""


def _snapshot(what: str) -> dict:
    """What a fresh interpreter holds after the server's imports and warm calls (``preload``) or the BLAS alone."""
    import json
    import subprocess

    # stdin stays open (a pipe the test never writes): the server's imports stop when their worker's pipe closes
    process = subprocess.Popen(
        [sys.executable, "-c", _SNAPSHOT, what], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    out = process.stdout.read()
    process.stdin.close()
    assert process.wait(timeout=60) == 0
    return json.loads(out)


@needs_fork
@pytest.mark.slow
def test_the_preload_starts_no_thread_and_opens_nothing():
    # fork copies only the calling thread, and every kernel shares the server's open files: what the server imports
    # and calls before forking must leave neither behind (ipykernel's debugger, tornado and IPython's parts included)
    preloaded, blas_only = _snapshot("preload"), _snapshot("blas")
    assert preloaded["failed"] == []
    assert preloaded["debugger"]  # the list holds what every kernel start imported
    assert preloaded["python_threads"] == ["MainThread"]
    assert (
        preloaded["heavy"] == []
    )  # no report needs seaborn or scipy (whose OpenBLAS would start a second thread)
    assert preloaded["os_threads"] == blas_only["os_threads"]
    assert preloaded["fds"] == blas_only["fds"]  # stdin, stdout, stderr and the listing's own
    assert preloaded["trace"] == ["None", "None"]
    # the inline backend hooks itself into the running shell at import: each kernel must import it itself
    assert not preloaded["inline_backend"]


def test_warm_calls_run_only_for_preloaded_modules(monkeypatch):
    import types

    calls = []
    module = types.ModuleType("warm_probe")
    module.read = lambda: calls.append("read")

    def broken():
        raise OSError("no such file")

    module.broken = broken
    monkeypatch.setitem(sys.modules, "warm_probe", module)
    failed = fs._warm(("warm_probe:read", "warm_probe:broken", "not_imported_module:read"))
    assert calls == ["read"]  # called once; a module the server did not import is not imported for it
    assert failed == ["warm_probe:broken"]
    assert "not_imported_module" not in sys.modules


@pytest.fixture
def server(tmp_path):
    # a small preload keeps the test quick; the kernel imports the rest itself
    s = fs.ForkServer(str(tmp_path), cwd=str(tmp_path), preload=("numpy",))
    yield s
    s.close()


def _start(server, tmp_path, name):
    km = fs.kernel_manager("python3", server, transport="ipc", ip=str(tmp_path / name))
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc


def _run(kc, code: str) -> str:
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

    kc.execute_interactive(code, output_hook=hook, timeout=60)
    return "".join(out).strip()


@needs_fork
@pytest.mark.slow
def test_a_kernel_is_forked_runs_cells_and_shuts_down(server, tmp_path):
    km, kc = _start(server, tmp_path, "a")
    try:
        assert km.provisioner.forked
        # 6 * 7 = 42; its parent is the server, its working directory the one asked for
        assert _run(kc, "import os; print(6 * 7, os.getppid(), os.getcwd())") == f"42 {server.pid} {tmp_path}"
        # no IPython history database (KERNEL_OPTIONS, added by the provisioner): no sqlite file, no saving thread
        history = "h = get_ipython().history_manager; print(h.enabled, type(h.db).__name__, h.save_thread)"
        assert _run(kc, history) == "False DummyDB None"
        pid = km.provisioner.pid
        assert os.getpgid(pid) == pid  # leads its own process group, as jupyter_client starts kernels
    finally:
        kc.stop_channels()
    km.shutdown_kernel(now=True)
    assert not km.is_alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone and reaped by the server, not a zombie


@needs_fork
@pytest.mark.slow
def test_no_state_passes_between_kernels(server, tmp_path):
    km1, kc1 = _start(server, tmp_path, "one")
    _run(kc1, "import numpy; secret = 123; numpy.planted = 'x'")
    pid1 = km1.provisioner.pid
    kc1.stop_channels()
    km1.shutdown_kernel(now=True)
    km2, kc2 = _start(server, tmp_path, "two")
    try:
        seen = _run(
            kc2, "import os, numpy; print('secret' in globals(), hasattr(numpy, 'planted'), os.getpid())"
        )
        assert seen == f"False False {km2.provisioner.pid}"
        assert km2.provisioner.pid != pid1
    finally:
        kc2.stop_channels()
        km2.shutdown_kernel(now=True)


@needs_fork
@pytest.mark.slow
def test_a_crashed_kernel_fails_alone(server, tmp_path):
    victim, kc_victim = _start(server, tmp_path, "victim")
    other, kc_other = _start(server, tmp_path, "other")
    try:
        kc_victim.execute("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
        deadline = time.monotonic() + 30
        while victim.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not victim.is_alive()
        assert victim.provisioner.process.returncode == -signal.SIGKILL  # the server reported how it ended
        assert _run(kc_other, "print(2 + 2)") == "4"  # its neighbour is untouched
        assert server.alive()
        third, kc_third = _start(server, tmp_path, "third")  # and the server still forks
        assert _run(kc_third, "print('ok')") == "ok"
        kc_third.stop_channels()
        third.shutdown_kernel(now=True)
    finally:
        kc_victim.stop_channels()
        kc_other.stop_channels()
        victim.shutdown_kernel(now=True)
        other.shutdown_kernel(now=True)


@needs_fork
@pytest.mark.slow
def test_a_kernel_that_cannot_start_reports_its_exit(server, tmp_path):
    kernel = server.spawn(["--no-such-option-at-all"], dict(os.environ), str(tmp_path))
    # ipykernel refuses the option and exits non-zero; the server reports it
    assert kernel.wait(timeout=60) != 0
    assert kernel.poll() == kernel.returncode


@needs_fork
@pytest.mark.slow
def test_closing_the_server_kills_its_kernels(tmp_path):
    server = fs.ForkServer(str(tmp_path), cwd=str(tmp_path), preload=())
    km, kc = _start(server, tmp_path, "orphan")
    pid = km.provisioner.pid
    kc.stop_channels()
    server.close()
    assert server.process.returncode == 0
    assert km.provisioner.process.wait(timeout=10) == -signal.SIGKILL
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not Path(server.path).exists()


@needs_fork
def test_a_request_queued_by_a_worker_that_died_is_not_forked_for(tmp_path, monkeypatch):
    # The worker asked for a kernel while the server was still importing, then died (the out-of-memory killer):
    # the request and the end of the server's stdin are seen in the same wake-up. The server ends without forking
    # (a kernel forked then would outlive everything: its parent, the server, waits for it).
    import json
    import socket

    importing = tmp_path / "importing"
    (tmp_path / "slow_preload_probe.py").write_text(
        f"import pathlib, time\npathlib.Path({str(importing)!r}).touch()\ntime.sleep(1.5)\n", encoding="utf-8"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    server = fs.ForkServer(str(tmp_path), cwd=str(ROOT), preload=("slow_preload_probe",))
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        deadline = time.monotonic() + 60
        while not importing.exists():
            assert time.monotonic() < deadline and server.process.poll() is None
            time.sleep(0.01)
        conn.connect(server.path)  # queued: the server is still in its preload's sleep
        conn.sendall(
            json.dumps({"argv": ["--no-such-option-at-all"], "env": {}, "cwd": None}).encode() + b"\n"
        )
        server.process.stdin.close()  # the worker is gone
        assert server.process.wait(timeout=30) == 0
        conn.settimeout(5)
        try:
            answer = conn.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert b"pid" not in answer, answer
    finally:
        conn.close()
        server.close()


def _gone(pid: int, seconds: float = 15) -> bool:
    """Wait until process ``pid`` is gone and reaped (by whoever is its parent); True when it is."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


# A worker (a separate process) asks the batch's server for a kernel through a ServerHandle, waits until the kernel
# has written its connection file (it runs), prints the kernel's pid and dies without shutting it down.
_DYING_WORKER = """
import os, pathlib, sys, time
from analysis.reporting import forkserver as fs
path, pid, connection, cwd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
handle = fs.ServerHandle(path, pid)
assert handle.alive()
kernel = handle.spawn(["-f", connection], dict(os.environ), cwd)
deadline = time.monotonic() + 60
while not pathlib.Path(connection).exists() and time.monotonic() < deadline:
    time.sleep(0.05)
print(kernel.pid, flush=True)
os.kill(os.getpid(), 9)
"""


@needs_fork
@pytest.mark.slow
def test_the_kernels_of_a_worker_that_died_are_killed_by_the_shared_server(server, tmp_path):
    import subprocess

    connection = tmp_path / "kernel.json"
    done = subprocess.run(
        [sys.executable, "-c", _DYING_WORKER, server.path, str(server.pid), str(connection), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == -9, done.stderr
    assert connection.exists()  # the kernel had started
    kernel = int(done.stdout.split()[0])
    # the worker's connection closed with it: the server kills and reaps its kernel (it would run on otherwise)
    assert _gone(kernel)
    assert server.alive()  # and goes on serving the other workers
    km, kc = _start(server, tmp_path, "next")
    try:
        assert km.provisioner.forked and _run(kc, "print(3 * 3)") == "9"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@needs_fork
@pytest.mark.slow
def test_a_server_handle_forks_from_the_shared_server_and_never_ends_it(server, tmp_path):
    handle = fs.ServerHandle(server.path, server.pid)
    km, kc = _start(handle, tmp_path, "shared")
    try:
        assert km.provisioner.forked
        assert _run(kc, "import os; print(os.getppid())") == str(server.pid)  # the batch's server forked it
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    handle.close()  # a worker's handle closing does nothing to the server
    assert server.alive() and handle.alive()
    server.close()
    assert server.process.returncode == 0
    assert not handle.alive()  # the server is gone: the handle says so, and kernels start the ordinary way


@needs_fork
@pytest.mark.slow
def test_a_dead_server_means_ordinary_kernels(tmp_path):
    server = fs.ForkServer(str(tmp_path), cwd=str(tmp_path), preload=())
    server.process.kill()
    server.process.wait()
    km, kc = _start(server, tmp_path, "fallback")
    try:
        assert not km.provisioner.forked
        assert _run(kc, "print(1)") == "1"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        server.close()


@needs_fork
@pytest.mark.slow
def test_a_report_comes_out_the_same_from_a_forked_kernel(tmp_path, sample_path):
    import nbformat
    import papermill

    from analysis.reporting.workers import WARM_IMPORTS

    server = fs.ForkServer(str(tmp_path), cwd=str(ROOT / "notebooks"))
    executed = {}
    try:
        for name, srv in (("ordinary", None), ("forked", server)):
            km = fs.kernel_manager("python3", srv, transport="ipc", ip=str(tmp_path / name))
            km.start_kernel(cwd=str(ROOT / "notebooks"))
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=120)
            kc.execute_interactive(WARM_IMPORTS, silent=True, store_history=False, timeout=120)
            kc.stop_channels()
            assert getattr(km.provisioner, "forked", False) is (srv is not None)
            out = tmp_path / f"{name}.ipynb"
            try:
                papermill.execute_notebook(
                    str(ROOT / "notebooks" / "benchmark.ipynb"),
                    str(out),
                    kernel_name="python3",
                    progress_bar=False,
                    parameters={
                        "municipality_code": 706,
                        "function_code": "5.38.50",
                        "warehouse": sample_path,
                    },
                    cwd=str(ROOT / "notebooks"),
                    km=km,
                )
            finally:
                km.shutdown_kernel(now=True)
            nb = nbformat.read(out, as_version=4)
            executed[name] = [
                [{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])]
                for c in nb.cells
            ]
    finally:
        server.close()
    figures = [o for cell in executed["forked"] for o in cell if "image/png" in o.get("data", {})]
    assert len(figures) >= 3  # the report draws its charts, and they are compared byte for byte below
    assert executed["forked"] == executed["ordinary"]


@pytest.mark.slow
@pytest.mark.parametrize("fork", [True, False], ids=["forked", "ordinary"])
def test_a_worker_gives_each_report_a_fresh_kernel(tmp_path, fork):
    from analysis.reporting.workers import _run_job
    from tests.notebook_fixtures import report_spec, spawned_worker, stdout, write_notebook

    body = (
        "import os\n"
        'print("seen", "secret" in globals(), get_ipython().history_manager.enabled, os.getpid(), os.getppid())\n'
        "secret = 123"
    )
    notebook = write_notebook(tmp_path / "nb", "leak", body)
    with spawned_worker(tmp_path, fork_kernels=fork) as pool:
        worker_pid = pool.submit(os.getpid).result()
        results = [
            pool.submit(_run_job, report_spec(notebook, tmp_path / f"r{i}.ipynb", tmp_path)).result()
            for i in (1, 2)
        ]
    assert [r["status"] for r in results] == ["ok", "ok"], results
    seen = []
    for i in (1, 2):
        (text,) = stdout(tmp_path / f"r{i}.ipynb")
        word, leaked, history, pid, ppid = text.split()
        seen.append((word, leaked, history, int(pid), int(ppid)))
    # report 2 does not see report 1's variable; each ran in its own kernel process, without a history database
    assert [s[:3] for s in seen] == [("seen", "False", "False"), ("seen", "False", "False")]
    assert seen[0][3] != seen[1][3]
    # forked kernels are children of the worker's fork server, ordinary ones of the worker itself
    assert all((ppid != worker_pid) is fork for *_, ppid in seen)
    assert (tmp_path / "r2.html").exists()


def _thread_names() -> list[str]:
    """The worker's threads once its spare kernel is ready (while it starts, its warm-up client has a thread)."""
    import threading

    from analysis.reporting.workers import _WORKER

    spare = _WORKER.get("next")
    if spare is not None:
        spare._done.wait(120)
    return sorted(t.name for t in threading.enumerate())


@pytest.mark.slow
def test_a_worker_leaves_no_thread_behind_per_report(tmp_path):
    from analysis.reporting.workers import _run_job
    from tests.notebook_fixtures import report_spec, spawned_worker, write_notebook

    notebook = write_notebook(tmp_path / "nb", "plain", "x = 1")
    threads = []
    with spawned_worker(tmp_path) as pool:
        for i in (1, 2, 3, 4):
            result = pool.submit(_run_job, report_spec(notebook, tmp_path / f"r{i}.ipynb", tmp_path)).result()
            assert result["status"] == "ok", result
            threads.append(pool.submit(_thread_names).result())
    # after the first report the worker's threads are its own (main, watchdog, the kernel starter and its event
    # loop's pool): the same after the fourth report as after the second. Before, every report left its kernel
    # client's heartbeat thread (and a kernel-starting thread's event loop) behind: 2 more after two reports.
    assert threads[3] == threads[1], threads


class _Channel:
    """A kernel client's channel that hands out queued messages, then is empty."""

    def __init__(self):
        self.queue: list[dict] = []

    def get_msg(self, timeout=None):
        from queue import Empty

        if not self.queue:
            raise Empty
        return self.queue.pop(0)


class _Client:
    """What ``forkserver._wait_for_ready`` uses of a kernel client; ``connected`` says when IOPub is subscribed."""

    def __init__(self, iopub_connected_from: int):
        self.shell_channel, self.iopub_channel = _Channel(), _Channel()
        self.requests: list[str] = []
        self.handled = None
        self.iopub_connected_from = iopub_connected_from

    def kernel_info(self) -> str:
        msg_id = f"m{len(self.requests) + 1}"
        self.requests.append(msg_id)
        parent = {"msg_id": msg_id}
        self.shell_channel.queue.append(
            {"parent_header": parent, "msg_type": "kernel_info_reply", "content": {}}
        )
        if (
            len(self.requests) >= self.iopub_connected_from
        ):  # before that, the kernel's IOPub messages are lost
            for state in ("busy", "idle"):
                self.iopub_channel.queue.append(
                    {"parent_header": parent, "msg_type": "status", "content": {"execution_state": state}}
                )
        return msg_id

    def _handle_kernel_info_reply(self, msg):
        self.handled = msg

    async def _async_is_alive(self):
        return True


def test_ready_means_the_reply_and_its_idle_status_no_waiting_for_silence(monkeypatch):
    import asyncio

    monkeypatch.setattr(fs, "IOPUB_SECONDS", 0.01)
    client = _Client(iopub_connected_from=1)
    asyncio.run(fs._wait_for_ready(client, timeout=5))
    assert client.requests == ["m1"]  # one request: its reply, then its busy and idle on IOPub
    assert client.handled["parent_header"] == {"msg_id": "m1"}
    assert client.iopub_channel.queue == []  # nothing of the request left for the first cell to see


def test_a_request_whose_status_iopub_missed_is_asked_again(monkeypatch):
    import asyncio

    monkeypatch.setattr(fs, "IOPUB_SECONDS", 0.01)
    client = _Client(iopub_connected_from=3)  # IOPub subscribed only by the third request
    asyncio.run(fs._wait_for_ready(client, timeout=5))
    assert client.requests == ["m1", "m2", "m3"]
    assert client.handled["parent_header"] == {"msg_id": "m3"}
