"""Kernels forked from a process that imported the report libraries once: a fork server for ipykernel.

Starting a kernel for a report costs about 1 s of start-up and 2-4 s of importing pandas, matplotlib, duckdb,
IPython and the package, in every kernel. A fork server pays the imports once per batch instead: a plain process
(:func:`serve`, started by :class:`ForkServer`) imports :data:`PRELOAD` before any thread, socket or event loop of
Jupyter exists, and then forks one child per kernel; the child turns into an ordinary ipykernel (the same code
``python -m ipykernel_launcher -f <connection file>`` runs), with the kernel manager's environment, working
directory and arguments. :class:`ForkProvisioner`, a jupyter_client kernel provisioner, asks the server for the
kernel where the stock provisioner would start ``python -m ipykernel_launcher``; everything else (connection
file, IPC sockets, signals, shutdown) is jupyter_client's own.

Guarantees
----------
- Each kernel is a new process, forked from a parent that has run nothing but imports and the reads of the
  package's reference lists (:data:`WARM_CALLS`): no state passes between reports (a variable of one report's
  kernel is in no other process). What the child inherits is what a fresh
  import would give, but three things that a fresh process draws at random: numpy's global random state is
  re-seeded in each child (Python's ``random`` re-seeds itself at fork); the string hash seed is the server's,
  shared by its kernels (so the order of a set of strings, arbitrary in any case, is alike across them).
- A kernel that crashes fails only its report: it is one process; the server reaps it and reports its exit
  status to its provisioner. The server ends, and kills its kernels, when the process that started it is gone
  (its stdin closes); a kernel is killed when its client's connection closes; kernels end when the server is gone
  (ipykernel polls ``JPY_PARENT_PID``, the server).
- The server's imports are frozen out of the garbage collector (``gc.freeze()``) before it forks: a kernel's
  collections walk only what its report made, not the ~170,000 imported objects (each full collection cost a
  tenth of a second and copied every page it touched). Collection changes no result, only when memory is freed.
- Kernels run without IPython's history database (:data:`KERNEL_OPTIONS`): no report writes its cells into the
  user's ``history.sqlite``, and none reads what another wrote there.
- Matplotlib's backend is chosen as ipykernel chooses it (``MPLBACKEND`` set to the inline backend before
  matplotlib is imported), so figures come out as from an ordinary kernel.
- Where fork is unsafe or missing (Windows, macOS) or ``ANALYSIS_KERNEL_FORK=0``, or the kernel spec is not
  this interpreter's ipykernel, or the server cannot be reached, kernels start the ordinary way.
- A batch starts one server for all its workers (the runner owns it; each worker holds a :class:`ServerHandle`),
  at the same time as the zygote that imports the workers' own libraries (:mod:`analysis.reporting.zygote`): the
  two imports run side by side, on two cores. The server kills a kernel when the connection of the worker that
  asked for it closes (the worker died), and all its kernels when the batch is gone (its stdin closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

log = logging.getLogger(__name__)

__all__ = [
    "ASYNC_CLIENT",
    "BLOCKING_CLIENT",
    "KERNEL_OPTIONS",
    "PRELOAD",
    "WARM_CALLS",
    "ForkProvisioner",
    "ForkServer",
    "ForkedKernel",
    "ServerHandle",
    "fork_available",
    "kernel_manager",
]

#: Imported once by the server, before it forks kernels: what the report notebooks import, and ipykernel itself.
PRELOAD = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "duckdb",
    "IPython.display",
    "IPython.core.pylabtools",
    "ipykernel.kernelapp",
    # what ipykernel imports at every kernel start (found with -X importtime in a forked kernel): the debugger
    # (debugpy and its vendored pydevd: about 0.04 s of CPU a kernel), IPython's completer, debugger, logger and
    # object inspector, tornado's queues; none starts a thread or opens a file or socket at import (tested).
    # Not matplotlib_inline.backend_inline: at import it hooks itself into the running shell, which the server has
    # not, so a kernel must import it itself.
    "ipykernel_launcher",
    "ipykernel.debugger",
    "IPython.core.completer",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions",
    "tornado.gen",
    "tornado.locks",
    "tornado.queues",
    "tornado.platform.asyncio",
    "zmq.utils.garbage",
    "IPython.extensions.storemagic",
    "faulthandler",
    "matplotlib.backends.backend_agg",
    "PIL.features",
    "PIL.PngImagePlugin",
    "PIL.BmpImagePlugin",
    "PIL.GifImagePlugin",
    "PIL.JpegImagePlugin",
    "PIL.PpmImagePlugin",
    "analysis.data",
    "analysis.data.cases",
    "analysis.data.price_index",
    "analysis.data.sample",
    "analysis.data.statbank.fetching",
    "analysis.data.statbank.loading",
    "analysis.area",
    "analysis.benchmark",
    "analysis.crosssector",
    "analysis.expensive_cases",
    "analysis.forecast.area",
    "analysis.period",
    "analysis.prices",
    "analysis.reporting.formatting",
    "analysis.reporting.area_charts",
    "analysis.reporting.area_page",
    "analysis.reporting.benchmark_charts",
    "analysis.reporting.benchmark_page",
    "analysis.reporting.budget_page",
    "analysis.reporting.crosssector_charts",
    "analysis.reporting.crosssector_tables",
    "analysis.reporting.followup_page",
    "analysis.reporting.forecast_charts",
    "analysis.reporting.forecast_page",
    "analysis.reporting.overview_page",
    "analysis.reporting.rounds",
    "analysis.reporting.staffing_page",
    "analysis.reporting.steering_page",
)
#: Command-line options every forked kernel gets after its kernel spec's (the workers give them to ordinary kernels
#: too): no IPython history database. A report's cells need no history across sessions; with it each kernel opened
#: the user's ``history.sqlite`` (shared by every kernel of every worker), wrote a session and every cell into it and
#: ran a thread to do so. ``In``, ``Out`` and ``_``, kept in memory, work as before.
KERNEL_OPTIONS = ("--HistoryManager.enabled=False",)
#: Set in the server's environment before its imports: pydevd (ipykernel's debugger, preloaded) does not check at
#: import whether it can set breakpoints in frozen modules (its warning only; the variable ipykernel's own kernel
#: spec installer sets).
SERVER_ENV = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}
#: Called by the server after its imports, before it forks (``module:function``; only for a module it preloaded): the
#: reads of the package's reference lists that the reports make, and the charts' look for installed fonts, so that no
#: kernel reads, parses or looks them up again.
#: Each is cached in its module (``functools.cache``) and handed out only as a copy or a new value, and a package
#: file does not change under a batch; a kernel that changed one would change its own copy of the server's memory
#: (a fork), never what the next kernel gets.
WARM_CALLS = (
    "analysis.data.reference:_municipalities",  # every report: the municipalities' names
    "analysis.data.reference:_function_areas",  # the area report
    # every chart: the system's fonts looked through once when matplotlib's cached font list is stale
    "analysis.reporting.charts:_available_fonts",
)
#: Set to 0 to start every kernel the ordinary way; 1 forces the fork server where it is off by default (macOS).
FORK_ENV = "ANALYSIS_KERNEL_FORK"
#: How :class:`ForkServer` hands its server the modules to preload (JSON), keeping them off its command line.
PRELOAD_ENV = "ANALYSIS_FORK_PRELOAD"
# The fork server's command line (which its kernels share, being forks): what `ps` shows, and how a kernel is told
SERVER_MARK = "ipykernel-fork-server"
#: ipykernel's choice of matplotlib backend (ipykernel.kernelapp.IPKernelApp.init_gui_pylab).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Seconds the server waits for a request's bytes once a client has connected.
REQUEST_SECONDS = 10
#: Seconds a provisioner waits for the server's word that a killed kernel has exited (then jupyter_client polls).
KILL_WAIT_SECONDS = 2


def fork_available() -> bool:
    """True when kernels may be forked here: Linux (fork is unsafe on macOS, missing on Windows), unless disabled."""
    return fork_allowed(FORK_ENV)


def fork_allowed(env: str) -> bool:
    """True when forking is allowed by the switch ``env`` (``0``/``1``): on Linux unless off, elsewhere only if on."""
    setting = os.environ.get(env, "").strip().lower()
    if setting in ("0", "false", "no", "off"):
        return False
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        return False
    return sys.platform.startswith("linux") or setting in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------------------------------------------
# The server: `python -c "from analysis.reporting.forkserver import serve; serve()" ipykernel-fork-server <fd>`
# --------------------------------------------------------------------------------------------------------------


def _parent_gone() -> bool:
    """True when the process that started the server is gone: its end of the server's stdin is closed."""
    import select

    readable, _, _ = select.select([0], [], [], 0)
    return bool(readable) and not os.read(0, 4096)  # the starter never writes: readable means end of file


def _preload(modules: tuple[str, ...]) -> list[str]:
    """Import ``modules`` as a kernel would; returns those that failed (a kernel then imports them itself).

    Ends the process between two imports when its starter is gone (the imports take seconds on a busy machine).
    """
    import importlib

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)  # as ipykernel sets it before any user code runs
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    failed = []
    for name in modules:
        if _parent_gone():
            os._exit(0)
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that cannot be preloaded is imported by the kernel instead
            failed.append(name)
    return failed


def _warm(calls: tuple[str, ...]) -> list[str]:
    """Make the ``module:function`` calls whose module is imported; returns those that failed (kernels call them)."""
    failed = []
    for call in calls:
        name, _, function = call.partition(":")
        module = sys.modules.get(name)
        if module is None:
            continue
        try:
            getattr(module, function)()
        except Exception:  # noqa: BLE001 - a kernel that needs it makes the call itself, and sees its error
            failed.append(call)
    return failed


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the client may be gone
        conn.sendall(json.dumps(message).encode() + b"\n")


def _read_request(conn: socket.socket) -> dict[str, Any]:
    conn.settimeout(REQUEST_SECONDS)
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("the client closed the connection before its request was complete")
        data += chunk
    return json.loads(data)


def _become_kernel(request: dict[str, Any], close: list[Any]) -> None:
    """In the forked child: drop the server's resources, take the request's environment, run ipykernel.

    Never returns: the child exits with the kernel's exit code.
    """
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        os.setsid()  # its own session and process group, as jupyter_client starts kernels
        for thing in close:
            with contextlib.suppress(OSError):
                thing.close() if hasattr(thing, "close") else os.close(thing)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # not the server's stdin (its starter's pipe); a kernel's stdin reads nothing
        os.close(null)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        env = dict(request["env"])
        env["JPY_PARENT_PID"] = str(os.getppid())  # the kernel ends when the server does
        os.environ.clear()
        os.environ.update(env)
        if "numpy.random" in sys.modules:  # fresh, as in a new process (Python's random re-seeds at fork)
            sys.modules["numpy.random"].seed()
        import ipykernel_launcher

        # ipykernel reads JPY_PARENT_PID when it is imported (IPKernelApp.parent_handle); the server's pid is also
        # given on the command line, so that the kernel ends with the server whoever imported ipykernel first.
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.argv = [ipykernel_launcher.__file__, *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - the kernel failed: say why on its stderr, exit non-zero
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            import atexit

            atexit._run_exitfuncs()  # as at the end of an ordinary interpreter
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _kill_kernel(pid: int) -> None:
    """SIGKILL to a kernel forked by this server, and to the processes it started."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)  # the kernel's own group (setsid): the kernel and its children
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)  # a child forked a moment ago may not have called setsid yet


def serve(listen_fd: int | None = None, preload: tuple[str, ...] | None = None) -> None:
    """Run the fork server on the listening socket ``listen_fd`` (default: the last argument) until stdin closes.

    ``preload`` defaults to the JSON list in ``ANALYSIS_FORK_PRELOAD`` (set by :class:`ForkServer`), else
    :data:`PRELOAD`.

    Protocol, one connection per kernel: the client sends one JSON line ``{"argv", "env", "cwd"}``; the server
    forks, answers ``{"pid": N}`` and, when the child has exited, ``{"exit": code}`` (negative: killed by that
    signal), then closes the connection. A client that closes the connection first has its kernel killed.
    """
    import selectors

    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; IPython puts '' back in each kernel
    if listen_fd is None:
        listen_fd = int(sys.argv[-1])
    if preload is None:
        preload = tuple(json.loads(os.environ.pop(PRELOAD_ENV, "null")) or PRELOAD)
    listener = socket.socket(fileno=listen_fd)
    # ipykernel reads its parent's pid at import (IPKernelApp.parent_handle): each kernel's parent is this process
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    _preload(preload)
    _warm(WARM_CALLS)
    # What was imported lives as long as the server and its kernels: out of the garbage collector's sight (Python's
    # advice for fork servers). Without this every kernel's first full collection walks the ~170,000 objects of the
    # imports (about 0.1 s each time, and a copy of every page it touches), and a report makes several.
    gc.freeze()

    children: dict[int, socket.socket] = {}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector through the pipe
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(0, selectors.EVENT_READ, "parent")
    selector.register(wake_r, selectors.EVENT_READ, "child")

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = children.pop(pid, None)
            if conn is not None:
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(conn)
                _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                conn.close()

    def client_gone(pid: int, conn: socket.socket) -> None:
        """A kernel's client closed its connection while the kernel runs: its worker is gone; so is the kernel."""
        try:
            chunk = conn.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:  # a client says nothing after its request; bytes it sends anyway are ignored
            return
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(conn)
        _kill_kernel(pid)  # reaped, and its exit sent nowhere, by reap()

    try:
        while True:
            # The starter's end first: a request queued before the batch died (while this server was still
            # importing) arrives in the same wake-up as the end of its stdin, and is not forked for. A kernel forked
            # for a worker that died meanwhile is killed when its connection is found closed.
            events = sorted(selector.select(timeout=1.0), key=lambda event: event[0].data != "parent")
            for key, _ in events:
                if key.data == "parent":
                    if not os.read(0, 4096):
                        return  # the batch (or the worker that started it) is gone
                elif key.data == "child":
                    with contextlib.suppress(OSError):
                        while os.read(wake_r, 4096):
                            pass
                elif key.data == "accept":
                    conn, _ = listener.accept()
                    try:
                        request = _read_request(conn)
                    except (OSError, ValueError) as e:
                        _send(conn, {"error": f"{type(e).__name__}: {e}"})
                        conn.close()
                        continue
                    pid = os.fork()
                    if pid == 0:
                        _become_kernel(
                            request, [selector, listener, conn, wake_r, wake_w, *children.values()]
                        )
                    children[pid] = conn
                    _send(conn, {"pid": pid})
                    conn.setblocking(False)
                    selector.register(conn, selectors.EVENT_READ, ("client", pid))
                elif key.data[0] == "client":
                    client_gone(key.data[1], key.fileobj)
            reap()
    finally:
        for pid in list(children):
            _kill_kernel(pid)
        for pid in list(children):
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


# --------------------------------------------------------------------------------------------------------------
# The client side: in the worker process
# --------------------------------------------------------------------------------------------------------------


def set_process_name(name: str) -> None:
    """Name this process (its main thread's ``comm``, at most 15 characters) where Linux allows; else nothing."""
    import threading

    with contextlib.suppress(OSError), open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as f:
        f.write(name[:15])


def _is_forked_kernel(pid: int) -> bool:
    """True when ``pid`` is still a fork server or a kernel it forked (forks share the server's command line).

    A pid that is gone, or that was taken by another process since, is not ours to signal.
    """
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return SERVER_MARK.encode() in f.read()
    except OSError:
        return False


class ForkedKernel:
    """A kernel process forked by the server, with the part of :class:`subprocess.Popen` jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, conn: socket.socket):
        self.pid = pid
        self.returncode: int | None = None
        self._conn: socket.socket | None = conn
        self._buffer = b""

    def _receive(self, timeout: float | None) -> None:
        """Read the server's word on this kernel, waiting at most ``timeout`` seconds (0: do not wait)."""
        if self.returncode is not None:
            return
        if self._conn is None:
            # The server is gone without saying that the kernel exited (it was killed: the OOM killer, kill -9).
            # Its kernels end with it: an orphaned kernel is killed here, never left running, and never waited
            # for (once orphaned, its exit status goes to a process that may not reap it, so a test by pid alone
            # would see a zombie as alive and its report would wait forever).
            if _is_forked_kernel(self.pid):
                with contextlib.suppress(OSError):
                    os.killpg(self.pid, signal.SIGKILL)  # its own group (setsid): the kernel and its children
            self.returncode = -signal.SIGKILL
            return
        self._conn.settimeout(timeout)
        try:
            chunk = self._conn.recv(4096)
        except (TimeoutError, BlockingIOError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._conn.close()
            self._conn = None
            return self._receive(0)
        self._buffer += chunk
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            message = json.loads(line)
            if "exit" in message:
                self.returncode = int(message["exit"])
                self._conn.close()
                self._conn = None
                return

    def poll(self) -> int | None:
        """The exit code when the kernel has exited, else None."""
        self._receive(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to exit; its exit code (negative: the signal that killed it)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self._receive(0.1 if self._conn is None else (None if left is None else max(left, 0.001)))
            if self._conn is None and self.returncode is None:
                time.sleep(0.1)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the kernel (not to its group; :class:`ForkProvisioner` signals the group)."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM to the kernel."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL to the kernel."""
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """A fork server process, this process's child: started at once, ready when its imports are done.

    Parameters
    ----------
    folder
        Where its socket goes (the run's kernel-socket folder; default the temporary folder).
    cwd
        Its working directory (the notebooks'; each kernel changes to its own anyway).
    preload
        The modules it imports before forking.
    """

    def __init__(self, folder: str | None = None, cwd: str | None = None, preload: tuple[str, ...] = PRELOAD):
        self.path = os.path.join(
            folder or tempfile.gettempdir(), f"fork-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        self.broken: str | None = None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.path)
            listener.listen(64)
            # its command line (which its kernels share: they are forks) says what it is, as `ps` shows it
            code = "from analysis.reporting.forkserver import serve; serve()"
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, SERVER_MARK, str(listener.fileno())],
                stdin=subprocess.PIPE,
                pass_fds=(listener.fileno(),),
                cwd=cwd,
                env={**os.environ, PRELOAD_ENV: json.dumps(list(preload))},
                start_new_session=True,  # Ctrl-C in the terminal reaches the workers; the server ends with them
            )
        finally:
            listener.close()  # the server holds the only copy: when it dies, clients are refused, not left waiting

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def alive(self) -> bool:
        """True while the server runs and has not failed."""
        return self.broken is None and self.process.poll() is None

    def spawn(
        self, argv: list[str], env: dict[str, str], cwd: str | None, timeout: float = 120
    ) -> ForkedKernel:
        """Fork a kernel running ``ipykernel_launcher argv`` with ``env`` in ``cwd``; waits while the server imports.

        Raises
        ------
        OSError
            When the server cannot be reached or failed (the caller starts the kernel the ordinary way).
        """
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(timeout)
            conn.connect(self.path)
            conn.sendall(json.dumps({"argv": list(argv), "env": dict(env), "cwd": cwd}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    raise ConnectionError(f"the fork server (pid {self.pid}) closed the connection")
                data += chunk
            first, _, rest = data.partition(b"\n")
            answer = json.loads(first)
            if "pid" not in answer:
                raise ConnectionError(f"the fork server refused the kernel: {answer.get('error')}")
        except BaseException:
            conn.close()
            raise
        kernel = ForkedKernel(int(answer["pid"]), conn)
        kernel._buffer = rest
        return kernel

    def close(self, timeout: float = 5) -> None:
        """End the server (it kills the kernels it still has) and remove its socket."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


class ServerHandle(ForkServer):
    """A fork server that another process started and owns (the batch's: one for all its workers).

    Asks that server for kernels as :class:`ForkServer` does; never ends it (:meth:`close` does nothing). The
    server kills a kernel when the connection of the client that asked for it closes, so the kernels of a worker
    that dies end with it. Made from what can be handed to a worker: the server's socket path and pid.
    """

    def __init__(self, path: str, pid: int):
        self.path = path
        self.broken: str | None = None
        self._pid = pid

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self._pid

    def alive(self) -> bool:
        """True while the server's process exists and no request to it has failed.

        A server that died since is found out by the next request (its socket refuses it), which marks it broken.
        """
        if self.broken is not None:
            return False
        try:
            os.kill(self._pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # a process of another user took the pid: not the server
            return False
        return True

    def close(self, timeout: float = 5) -> None:
        """Nothing: the process that started the server ends it."""


def _ipykernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` when ``cmd`` runs this interpreter's ipykernel, else None."""
    this_python = len(cmd) >= 3 and os.path.abspath(cmd[0]) == os.path.abspath(sys.executable)
    return cmd[3:] if this_python and cmd[1:3] == ["-m", "ipykernel_launcher"] else None


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, but the kernel is forked by a :class:`ForkServer`.

    Set :attr:`server` before the kernel starts (see :func:`kernel_manager`). A kernel spec that does not run this
    interpreter's ipykernel, or a server that cannot be reached, gets an ordinary kernel.
    """

    server: ForkServer | None = None
    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        """Fork the kernel from the server; the stock launch when that cannot be done."""
        argv = _ipykernel_argv(cmd)
        server = self.server
        if argv is None or server is None or not server.alive():
            return await super().launch_kernel(cmd, **kwargs)
        argv = [*argv, *(option for option in KERNEL_OPTIONS if option not in argv)]
        env = dict(kwargs.get("env") or os.environ)
        cwd = kwargs.get("cwd")
        try:
            process = await asyncio.to_thread(server.spawn, argv, env, str(cwd) if cwd else None)
        except (OSError, ValueError) as e:
            server.broken = f"{type(e).__name__}: {e}"
            log.warning("the kernel fork server failed (%s); kernels start the ordinary way", server.broken)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = process
        self.pid = self.pgid = process.pid  # the child called setsid(): it leads its own process group
        self.cwd = cwd
        self.forked = True
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """SIGKILL to the kernel's process group, then wait for the server's word that it has exited.

        jupyter_client polls a killed kernel every 0.1 s (and so always sleeps at least once); the server says at
        once when it has reaped the kernel, so a report's kernel is gone in milliseconds instead.
        """
        await super().kill(restart=restart)
        process = self.process
        if self.forked and isinstance(process, ForkedKernel):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=KILL_WAIT_SECONDS)


# --------------------------------------------------------------------------------------------------------------
# Kernel clients that know at once when a kernel is ready
# --------------------------------------------------------------------------------------------------------------

#: Seconds a client waits for the kernel's answer to one kernel_info request before it asks again.
READY_POLL_SECONDS = 1.0
#: Seconds a client waits, after the kernel's answer, for the request's idle status on IOPub before it asks again.
IOPUB_SECONDS = 0.2


async def _wait_for_ready(self, timeout: float | None = None) -> None:
    """Ask the kernel for its info until it answers on the shell channel and its IOPub says idle to that request.

    What jupyter_client's ``wait_for_ready`` checks (the kernel answers; IOPub is connected, so no output of the
    first cell is lost), without its ending: it then reads IOPub until 0.2 s pass without a message, 0.2 s that
    every report waited for with both processes idle. Here it ends with the kernel's ``idle`` status for the
    request, the last message the kernel sends for it; a request whose reply does not come within
    :data:`READY_POLL_SECONDS`, or its status within :data:`IOPUB_SECONDS` after it (IOPub not yet connected), is
    sent again, as jupyter_client does.

    Raises
    ------
    RuntimeError
        When the kernel dies before answering, or does not answer within ``timeout`` seconds.
    """
    from queue import Empty

    from jupyter_client.utils import ensure_async

    deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
    while True:
        msg_id = self.kernel_info()
        reply, idle = None, False
        ask_again = min(deadline, time.monotonic() + READY_POLL_SECONDS)
        while reply is None and time.monotonic() < ask_again:
            try:
                msg = await ensure_async(
                    self.shell_channel.get_msg(timeout=max(0.0, ask_again - time.monotonic()))
                )
            except Empty:
                break
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "kernel_info_reply":
                reply = msg
        # the request's idle status follows its reply at once when IOPub is connected (jupyter_client's own check
        # waits 0.2 s for an IOPub message too); else ask again
        idle_by = min(ask_again, time.monotonic() + IOPUB_SECONDS)
        while reply is not None and not idle and time.monotonic() < idle_by:
            try:
                msg = await ensure_async(
                    self.iopub_channel.get_msg(timeout=max(0.0, idle_by - time.monotonic()))
                )
            except Empty:
                break
            idle = (
                msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
            )
        if reply is not None and idle:
            self._handle_kernel_info_reply(reply)
            return
        if not await self._async_is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


def _client_classes() -> tuple[type, type]:
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.blocking import BlockingKernelClient
    from jupyter_client.utils import run_sync

    class ReadyAsyncClient(AsyncKernelClient):
        """jupyter_client's asynchronous client; ``wait_for_ready`` ends when the kernel is (see above)."""

        wait_for_ready = _wait_for_ready

    class ReadyBlockingClient(BlockingKernelClient):
        """jupyter_client's blocking client; ``wait_for_ready`` ends when the kernel is (see above)."""

        wait_for_ready = run_sync(_wait_for_ready)

    return ReadyAsyncClient, ReadyBlockingClient


ReadyAsyncClient, ReadyBlockingClient = _client_classes()
#: The client classes a kernel manager is given (its ``client_class``), by dotted name.
ASYNC_CLIENT = f"{__name__}.ReadyAsyncClient"
BLOCKING_CLIENT = f"{__name__}.ReadyBlockingClient"


def kernel_manager(kernel_name: str, server: ForkServer | None = None, **kwargs: Any):
    """A jupyter_client KernelManager whose kernel is forked by ``server`` (an ordinary one when it is None)."""
    from jupyter_client.manager import KernelManager

    kwargs.setdefault("client_class", BLOCKING_CLIENT)
    km = KernelManager(kernel_name=kernel_name, **kwargs)
    if server is not None:
        km.kernel_id = km.kernel_id or str(uuid.uuid4())
        provisioner = ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
        provisioner.server = server
        km.provisioner = provisioner  # kept: the manager creates one only when it has none
    return km
