"""The worker side of the runner: runs in each worker process of a batch.

Each worker is long-lived: it has papermill, nbconvert and WeasyPrint imported once, and keeps one kernel started
ahead with the libraries imported (:class:`_WarmKernel`), which it hands to the next report and then shuts down (a
kernel serves one report only); none is started ahead once every report of the batch is taken. On Linux each kernel
is forked from the worker's fork server, a process that imported the libraries once
(:mod:`analysis.reporting.forkserver`), so that a kernel is ready in a fraction of a second instead of paying the
imports again; elsewhere, or with ``ANALYSIS_KERNEL_FORK=0``, it is an ordinary new process. On Linux the worker
itself is forked from the batch's zygote (:mod:`analysis.reporting.zygote`), which imported all of that once for
every worker, and forks its fork server from itself; with ``ANALYSIS_WORKER_FORK=0`` it is a new interpreter that
imports them and starts its fork server as one too, and never imports pandas (its kernels do). A kernel
that fails to start is retried once with a fresh one. A watchdog thread ends the
worker, and its kernels first, as soon as the process that started it is gone. :func:`_run_job` executes and renders
one report and never raises: errors come back in its result.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import signal
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Imported in each kernel before it is handed a report (the costly part of a report's start).
WARM_IMPORTS = (
    "import numpy, pandas, matplotlib, matplotlib.pyplot, duckdb\n"
    "import analysis.data, analysis.reporting.formatting\n"
)
#: Seconds between a worker's checks that the process that started it is still alive.
WATCHDOG_SECONDS = 0.5
#: Seconds a closing worker waits for the kernels it is shutting down in the background.
SHUTDOWN_SECONDS = 10

_WORKER: dict[str, Any] = {}

#: Names a folder where every process of a batch appends its timeline (``trace-<pid>.jsonl``); see :func:`trace`.
TRACE_ENV = "ANALYSIS_BATCH_TRACE"


def _rss_mb(pid: int) -> float | None:
    """The resident memory of process ``pid`` in MB (Linux), or None."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _pss_mb(pid: int) -> float | None:
    """The proportional set size of process ``pid`` in MB (its pages, shared ones divided among their users)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1e3
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _schedstat(pid: int | None, tid: int | None = None) -> list[float] | None:
    """Seconds a thread (default the main one) has run and has waited for a core while runnable (Linux)."""
    try:
        with open(f"/proc/{pid}/task/{tid or pid}/schedstat", encoding="ascii") as f:
            ran, waited = f.read().split()[:2]
        return [int(ran) / 1e9, int(waited) / 1e9]
    except (OSError, ValueError, TypeError):
        return None


def _kernel_pid(km) -> int | None:
    return getattr(getattr(km, "provisioner", None), "pid", None)


def trace(event: str, **fields: Any) -> None:
    """Append one event of this process to the batch's trace, when ``ANALYSIS_BATCH_TRACE`` names a folder.

    Each line is JSON: the event, the wall clock (``t``, seconds since the epoch), this process's CPU seconds
    (``cpu``, all its threads), its resident memory (``rss``, MB) and ``fields``. ``bench/bench_scale.py --trace``
    reads them into a timeline of the workers. Costs nothing when the variable is not set.
    """
    folder = os.environ.get(TRACE_ENV)
    if not folder:
        return
    import json

    line = {
        "event": event,
        "pid": os.getpid(),
        "t": time.time(),
        "cpu": time.process_time(),
        "rss": _rss_mb(os.getpid()),
        "sched": _schedstat(os.getpid()),  # the main thread's: ran, waited for a core
    }
    line.update(fields)
    with contextlib.suppress(OSError), open(os.path.join(folder, f"trace-{os.getpid()}.jsonl"), "a") as f:
        f.write(json.dumps(line, default=str) + "\n")


def _in_background(task) -> None:
    """Run ``task()`` in this process's one kernel-starting thread (started on first use, a daemon).

    One long-lived thread rather than one per kernel: jupyter_client gives every thread its own event loop (and each
    loop a thread pool), which a thread per report left behind, one more for every report.
    """
    tasks = _WORKER.get("starter")
    if tasks is None:
        import queue

        tasks = _WORKER["starter"] = queue.SimpleQueue()

        def serve() -> None:
            while True:
                task = tasks.get()
                try:
                    task()
                except Exception:  # noqa: BLE001 - one task's failure must not stop the kernels that follow
                    log.warning("a kernel task failed:\n%s", traceback.format_exc())

        threading.Thread(target=serve, daemon=True, name="kernel-starter").start()
    tasks.put(task)


class _WarmKernel:
    """A kernel started in the background, with :data:`WARM_IMPORTS` executed, ready for one report."""

    def __init__(self, kernel_name: str, code: str, cwd: str, timeout: float = 120):
        self.km = None
        self.taken = False
        self.error: BaseException | None = None
        self._done = threading.Event()

        def start() -> None:
            try:
                self._start(kernel_name, code, cwd, timeout)
            finally:
                self._done.set()

        _in_background(start)

    def _start(self, kernel_name: str, code: str, cwd: str, timeout: float) -> None:
        try:
            from analysis.reporting.forkserver import KERNEL_OPTIONS, kernel_manager

            sockets = _WORKER.get("sockets") or tempfile.gettempdir()
            name = f"k-{uuid.uuid4().hex[:12]}"
            connection_file = os.path.join(sockets, name + ".json")
            server = _WORKER.get("forkserver")  # None: an ordinary kernel process
            if os.name == "posix":
                # IPC sockets (no TCP port, no "running over TCP without encryption" warning) at an absolute
                # path, since papermill changes the working directory of the client that connects later; in the
                # run's socket folder, so that a killed run's are found and removed.
                km = kernel_manager(
                    kernel_name,
                    server,
                    transport="ipc",
                    ip=os.path.join(sockets, name),
                    connection_file=connection_file,
                )
            else:  # pragma: no cover - Windows
                km = kernel_manager(kernel_name, None, connection_file=connection_file)
            _KERNELS.add(km)
            trace("kernel_start")
            km.start_kernel(cwd=cwd, extra_arguments=list(KERNEL_OPTIONS))  # forked or not: no history file
            trace("kernel_started", kernel=getattr(km.provisioner, "pid", None))
            kc = km.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=timeout)
                trace("kernel_ready")
                reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout)
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"warming the kernel failed: {reply['content'].get('evalue')}")
            finally:
                kc.stop_channels()
            self.km = km
            trace("kernel_warm")
        except BaseException as e:  # reported when the kernel is taken
            self.error = e

    def take(self):
        """The ready kernel manager, or None when the kernel could not be started (the caller starts its own)."""
        self._done.wait()
        self.taken = True
        if self.error is not None:
            log.warning("a kernel started ahead failed (%s); starting a fresh one", self.error)
            return None
        return self.km


#: The kernels this worker has started and not yet shut down (the watchdog kills them if the parent dies).
_KERNELS: set = set()


def _kill_kernels() -> None:
    """Kill every kernel this worker started (its whole process group) and remove its sockets and files."""
    process = getattr(
        _WORKER.get("forkserver"), "process", None
    )  # a server of its own; the batch's ends itself
    if process is not None:
        with contextlib.suppress(OSError):
            process.kill()  # its kernels are killed below; those it forked later notice it is gone
    for km in list(_KERNELS):
        process = getattr(getattr(km, "provisioner", None), "process", None)
        pid = getattr(process, "pid", None)
        if pid:
            try:
                if os.name == "posix":
                    os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session: its children go too
                else:  # pragma: no cover - Windows
                    os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        with contextlib.suppress(Exception):  # best effort while the worker goes down
            km.cleanup_resources()
        _KERNELS.discard(km)


def _parent_gone(parent_pid: int) -> bool:
    """True when the process that started this worker (``parent_pid``) is gone.

    A spawned worker is that process's child: its parent changes when it dies. A worker forked from the batch's
    zygote is the zygote's child: it watches the pipe that the process that asked for it holds open
    (multiprocessing's parent sentinel), which reads end of file once that process is gone.
    """
    if os.getppid() == parent_pid:
        return False
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None or parent.pid != parent_pid:
        return True
    return not parent.is_alive()


def _watch_parent(parent_pid: int) -> None:
    """End this worker, and its kernels, as soon as the process that started it is gone (e.g. ``kill -9``)."""
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if _parent_gone(parent_pid):
            _kill_kernels()
            os._exit(3)


def _shutdown_kernel(km) -> None:
    try:
        km.shutdown_kernel(now=True)
    finally:
        _KERNELS.discard(km)


def _init_worker(
    kernel_name: str,
    warm: bool,
    cwd: str,
    parent_pid: int | None = None,
    sockets: str | None = None,
    env: dict[str, str] | None = None,
    fork_kernels: bool = True,
    forked: bool = False,
    remaining: Any = None,
    claims: Any = None,
    kernel_server: tuple[str, int] | None = None,
) -> None:
    """Watch the parent, import the heavy libraries once per worker, quieten their logs, start the first kernel.

    Parameters
    ----------
    parent_pid
        The process that started the pool: when it is gone the worker kills its kernels and exits.
    sockets
        The run's folder for kernel sockets and connection files.
    env
        Set in the worker's environment (and so its kernels'), e.g. ``ANALYSIS_WAREHOUSE`` to the snapshot.
    fork_kernels
        With ``warm``, fork each kernel from a process that imported the libraries once
        (:mod:`analysis.reporting.forkserver`) where the platform allows; else start each as a new process.
    forked
        This worker was forked from the batch's zygote (:mod:`analysis.reporting.zygote`), which imported its
        libraries: it shuts its kernels down at exit as multiprocessing's children do (atexit functions do not run
        in a forked worker).
    remaining
        A shared count (``multiprocessing.Value``) of the batch's reports not yet taken by a worker: no kernel is
        started ahead when none is left. None: one is always started ahead.
    claims
        A shared array of ints (``multiprocessing.Array(lock=False)``), one per report of the batch: the pid of the
        worker that runs the report while it runs, else 0 (:func:`_run_job`). None: not kept.
    kernel_server
        The socket path and pid of the batch's kernel fork server, shared by its workers
        (:class:`~analysis.reporting.forkserver.ServerHandle`). None: with ``warm`` and ``fork_kernels`` the worker
        starts a fork server of its own.
    """
    trace("worker_init")
    os.environ.update(env or {})
    _WORKER["sockets"] = sockets
    _WORKER["remaining"] = remaining
    _WORKER["claims"] = claims
    if forked:
        from analysis.reporting.forkserver import set_process_name
        from analysis.reporting.zygote import WORKER_NAME

        set_process_name(WORKER_NAME)  # its command line is the zygote's
    if parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watchdog").start()
    for name in (
        "papermill",
        "traitlets",
        "nbclient",
        "jupyter_client",
        "weasyprint",
        "fontTools",
        "asyncio",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from analysis.reporting import render  # noqa: F401

    # The imports live as long as the worker: out of the garbage collector's sight, so that the full collections
    # that rendering a report's PDF sets off do not walk them each time.
    gc.freeze()

    _WORKER["kernel_name"] = kernel_name
    _WORKER["warm"] = warm
    _WORKER["cwd"] = cwd
    server = None
    if warm and fork_kernels and kernel_server is not None:
        from analysis.reporting.forkserver import ServerHandle

        server = ServerHandle(*kernel_server)
    elif warm and fork_kernels:
        server = _start_fork_server(sockets, cwd, forked)
    _WORKER["forkserver"] = server
    _WORKER["next"] = _WarmKernel(kernel_name, WARM_IMPORTS, cwd) if warm else None
    _at_exit(_shutdown_spare_kernel, forked, priority=20)
    trace(
        "worker_ready",
        forkserver=getattr(server, "pid", None),
        forked=forked,
        shared_server=kernel_server is not None,
    )


def _at_exit(function, forked: bool, priority: int) -> None:
    """Call ``function`` when this worker exits: at interpreter exit, or when a forked worker ends.

    A worker forked from the zygote ends with ``os._exit`` after multiprocessing's own exit functions, so its
    function is one of those (``exitpriority``: higher ones first) rather than an atexit one.
    """
    if forked:
        from multiprocessing.util import Finalize

        Finalize(None, function, exitpriority=priority)
    else:
        atexit.register(function)


def new_fork_server(sockets: str | None, cwd: str):
    """A new kernel fork server (:class:`~analysis.reporting.forkserver.ForkServer`), or None without fork.

    None where kernels are not forked (the platform, ``ANALYSIS_KERNEL_FORK=0``) or its socket cannot be made
    (e.g. a path too long): kernels then start the ordinary way. Started at once; it imports meanwhile.
    """
    from analysis.reporting import forkserver

    if not forkserver.fork_available():
        return None
    try:
        server = forkserver.ForkServer(sockets, cwd=cwd)
    except OSError as e:
        log.warning("no kernel fork server (%s); kernels start the ordinary way", e)
        return None
    trace("forkserver_started", forkserver=server.pid)
    return server


def _start_fork_server(sockets: str | None, cwd: str, forked: bool = False):
    """A kernel fork server of this worker's own (:func:`new_fork_server`), closed when the worker exits.

    ``forked``: this worker was forked from a zygote (it closes the server with multiprocessing's exit functions).
    """
    server = new_fork_server(sockets, cwd)
    if server is not None:  # registered before the spare kernel's shutdown, so it runs after it
        _at_exit(server.close, forked, priority=10)
    return server


def _shutdown_spare_kernel() -> None:
    """Stop the kernel started ahead for a report that never came (the pool is closing)."""
    spare = _WORKER.pop("next", None)
    if spare is not None:
        km = spare.take()
        if km is not None:
            _shutdown_kernel(km)
    if _WORKER.get("starter") is not None:  # the kernels still being shut down in the background
        drained = threading.Event()
        _in_background(drained.set)
        drained.wait(SHUTDOWN_SECONDS)
    trace("worker_exit", spare=spare is not None)


def _execute(spec: dict[str, Any], km) -> Any:
    """Execute the report's notebook with papermill; the executed notebook (also written to its output path).

    The notebook is written once, at the end (with a failed cell's error marked, when one fails), not after every
    cell as papermill does by default: nothing reads it meanwhile, and each of those writes serialised and
    validated the whole notebook, its figures included.
    """
    import papermill

    from analysis.reporting.forkserver import ASYNC_CLIENT

    clients: list = []
    if km is not None:
        # The asynchronous client, after the warm-up (which talks to the kernel with the blocking one): nbclient
        # polls the kernel's output and its liveness side by side on one event loop; with a blocking client the
        # output poll blocks that loop, so a kernel that dies inside a cell (killed, out of memory, its fork server
        # gone) would be waited for forever. With the asynchronous client the death is seen within a second and
        # the report fails.
        km.client_class = ASYNC_CLIENT
        make_client = km.client

        def client(**kwargs: Any):
            kc = make_client(**kwargs)
            clients.append(kc)
            return kc

        km.client = client
    try:
        return papermill.execute_notebook(
            spec["input"],
            spec["output_ipynb"],
            request_save_on_cell_execute=False,
            parameters=spec["parameters"],
            kernel_name=spec["kernel_name"],
            progress_bar=False,
            log_output=False,
            execution_timeout=spec["timeout"],
            start_timeout=120,
            cwd=spec["cwd"],
            km=km,
        )
    finally:
        # nbclient stops the channels of its client only when it made the kernel manager itself; given ours it
        # leaves them open, and each left a heartbeat thread behind, pinging a dead kernel and making a new socket
        # every second: one more for every report, so that a worker's CPU per report grew over a batch.
        for kc in clients:
            with contextlib.suppress(Exception):
                kc.stop_channels()


def _reports_left() -> bool:
    """True unless every report of the batch has been taken by a worker (then no kernel is started ahead)."""
    remaining = _WORKER.get("remaining")
    return remaining is None or remaining.value > 0


def _kernel_start_error(error: BaseException) -> bool:
    """True for errors of the kernel's machinery, worth one retry with a fresh kernel.

    That is start-up failures and a dying kernel; not errors of the notebook's own code, nor cells out of time.
    """
    import papermill.exceptions as pe
    from nbclient.exceptions import CellTimeoutError

    return not isinstance(error, pe.PapermillExecutionError | CellTimeoutError)


def _run_job(spec: dict[str, Any], slot: int | None = None) -> dict[str, Any]:
    """Execute and render one report in a worker; never raises (errors are returned in the result).

    With ``slot``, the worker's pid stands in the pool's claims (:func:`_init_worker`'s ``claims``) at ``slot``
    while it works on the report, so that the batch knows which report a worker that died was running.
    """
    claims = _WORKER.get("claims")
    if claims is None or slot is None:
        return _report_job(spec)
    claims[slot] = os.getpid()
    try:
        return _report_job(spec)
    finally:
        claims[slot] = 0


def _report_job(spec: dict[str, Any]) -> dict[str, Any]:
    """:func:`_run_job`'s work: execute the report's notebook, write it, render its HTML and PDF."""
    import nbformat
    import papermill.exceptions as pe

    from analysis.reporting import headline, render

    result: dict[str, Any] = {"status": "ok", "files": {}, "seconds": {}, "error": None}
    out_ipynb = Path(spec["output_ipynb"])
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    for suffix in (
        ".ipynb",
        ".html",
        ".pdf",
    ):  # new files, never writes into an older run's (or a link's) inode
        out_ipynb.with_suffix(suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    if os.environ.get(TRACE_ENV):
        server = _WORKER.get("forkserver")
        trace(
            "job_start",
            rel=spec["rel"],
            threads=threading.active_count(),
            thread_names=sorted(t.name for t in threading.enumerate()),
            objects=len(gc.get_objects()),
            server=server.pid if server is not None else None,
            server_rss=_rss_mb(server.pid) if server is not None else None,
            server_pss=_pss_mb(server.pid) if server is not None else None,
            server_cpu=_cpu_seconds(server.pid) if server is not None else None,
        )
    remaining = _WORKER.get("remaining")
    if remaining is not None:
        with remaining.get_lock():
            remaining.value -= 1
    nb = None
    for attempt in (1, 2):
        km = None
        if _WORKER.get("warm"):
            if _WORKER.get("next") is None:  # none started ahead (see below): one now
                _WORKER["next"] = _WarmKernel(_WORKER["kernel_name"], WARM_IMPORTS, _WORKER["cwd"])
            km = _WORKER["next"].take()
            _WORKER["next"] = None
        trace(
            "kernel_taken",
            kernel_cpu=_cpu_seconds(_kernel_pid(km)),
            kernel_sched=_schedstat(_kernel_pid(km)),
        )
        try:
            nb = _execute(spec, km)
            error = None
        except BaseException as e:  # noqa: BLE001 - any failure of a report is reported, not raised
            error = e
        finally:
            trace(
                "executed",
                kernel_cpu=_cpu_seconds(_kernel_pid(km)),
                kernel_sched=_schedstat(_kernel_pid(km)),
            )
            if km is not None:
                # in the background, before the next kernel starts there: the report goes on to its HTML and PDF
                # at once (the kill and jupyter_client's clean-up wait more than they compute)
                _in_background(lambda km=km: _shutdown_kernel(km))
            trace("kernel_shut")
        retry = error is not None and attempt == 1 and _kernel_start_error(error)
        if _WORKER.get("warm") and (retry or _reports_left()):
            # the next report's kernel (or the retry's), started while this one renders; none after the batch's
            # last report
            _WORKER["next"] = _WarmKernel(_WORKER["kernel_name"], WARM_IMPORTS, _WORKER["cwd"])
        if not retry:
            break
    result["seconds"]["execute"] = round(time.perf_counter() - started, 3)
    if out_ipynb.exists():
        result["files"]["ipynb"] = spec["rel"] + ".ipynb"
    if error is not None:
        result["status"] = "failed"
        if isinstance(error, pe.PapermillExecutionError):
            result["error"] = f"cell {error.exec_count}: {error.ename}: {error.evalue}"
        else:
            result["error"] = f"{type(error).__name__}: {error}".strip()
        return result
    try:
        meta = render.ReportMeta.from_dict(spec["meta"])
        nb.metadata["analysis_report"] = meta.to_dict()
        nbformat.write(nb, out_ipynb)
        trace("written")
        t = time.perf_counter()
        html = render.render_html(headline.without(nb), meta)  # the headline is for the index, not drawn
        html_path = out_ipynb.with_suffix(".html")
        html_path.write_text(html, encoding="utf-8")
        result["seconds"]["html"] = round(time.perf_counter() - t, 3)
        trace("html")
        if "html" in spec["formats"]:
            result["files"]["html"] = spec["rel"] + ".html"
        if "pdf" in spec["formats"]:
            t = time.perf_counter()
            render.render_pdf(html, out_ipynb.with_suffix(".pdf"), base_url=str(out_ipynb.parent))
            result["seconds"]["pdf"] = round(time.perf_counter() - t, 3)
            result["files"]["pdf"] = spec["rel"] + ".pdf"
            trace("pdf")
        if "html" not in spec["formats"]:
            html_path.unlink()
        if not _WORKER.get("frozen"):
            # After the first report WeasyPrint and nbconvert's templates are loaded for good: out of the garbage
            # collector's sight too (see _init_worker).
            _WORKER["frozen"] = True
            gc.collect()
            gc.freeze()
    except Exception as e:  # noqa: BLE001
        result["status"] = "failed"
        result["error"] = f"rendering failed: {type(e).__name__}: {e}"
        log.debug("rendering failed:\n%s", traceback.format_exc())
    trace("job_end", rel=spec["rel"])
    return result


def _kernel_installed(name: str) -> bool:
    """True when a kernel spec ``name`` is on Jupyter's path (or it is ipykernel's own python3), found cheaply.

    ``jupyter_client`` costs a few tenths of a second to import, more than a batch whose reports are all cached.
    """
    import importlib.util

    from jupyter_core.paths import jupyter_path

    if name == "python3" and importlib.util.find_spec("ipykernel") is not None:
        return True
    return any(os.path.isfile(os.path.join(d, name, "kernel.json")) for d in jupyter_path("kernels"))


def _check_kernel(name: str) -> None:
    """Refuse a kernel name that is not installed, with the command that installs it.

    Raises
    ------
    BatchError
        When Jupyter knows no kernel of that name.
    """
    if _kernel_installed(name):
        return
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from analysis.reporting.batch import (
        BatchError,  # not at the top: it imports pandas, which workers never need
    )

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise BatchError(
            f"no Jupyter kernel named '{name}'; install it with: python -m ipykernel install --user --name {name}"
        ) from None
