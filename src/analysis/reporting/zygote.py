"""One process per batch that imports the workers' libraries once: the workers are forked from it.

A worker used to be a new interpreter (multiprocessing's ``spawn``) that imported papermill, nbconvert, WeasyPrint
and the package's render modules: about 1.5 s of CPU in every worker of every batch. A batch now starts one
*zygote* instead (:class:`Zygote`): a multiprocessing fork server that imports all of that once (:func:`preload`,
run by :mod:`analysis.reporting.zygote_boot`) before any thread, socket or event loop of Jupyter exists. The pool's
workers are forked from it (:attr:`Zygote.context` is the ``mp_context`` of the pool).

The kernels' libraries (:data:`analysis.reporting.forkserver.PRELOAD`) are not the zygote's: the batch starts one
kernel fork server for all its workers at the same time (:func:`analysis.reporting.runner._execute_all`), and the
two import side by side, on two cores, before the first report.

Guarantees
----------
- Each report still gets a fresh kernel, forked from a process that has run nothing but imports (the batch's
  kernel fork server): no state passes between reports.
- Everything else is as with spawned workers: a worker that dies fails its report and the rest of the batch goes
  on in a new pool, forked from the same zygote (:func:`analysis.reporting.runner._execute_all`); a worker ends
  when the process that started the batch is gone (it watches the pipe that process holds: the zygote, not the
  batch, is its parent); its kernels end with it (the fork server kills a kernel whose worker's connection closes).
- The zygote ends when the batch closes it (:meth:`Zygote.close`, after the pool) and its last worker is gone.
- ``ANALYSIS_WORKER_FORK=0``, or a platform where fork is unsafe or missing (macOS, Windows): the workers are
  spawned as before (:func:`available`).
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
from typing import Any

__all__ = ["WORKER_FORK_ENV", "WORKER_PRELOAD", "Zygote", "available", "preload"]

#: Set to 0 to spawn every worker as a new interpreter (the behaviour before the zygote).
WORKER_FORK_ENV = "ANALYSIS_WORKER_FORK"
#: What every worker uses, imported once by the zygote (the kernels' libraries are the kernel fork server's).
WORKER_PRELOAD = (
    "nbformat",
    "papermill",
    "papermill.exceptions",
    "nbclient.exceptions",
    "jupyter_client.manager",
    "jupyter_client.asynchronous",
    "jupyter_client.blocking",
    "nbconvert",
    "weasyprint",
    "weasyprint.text.fonts",
    "tinycss2",
    "analysis.reporting.forkserver",
    "analysis.reporting.headline",
    "analysis.reporting.render",
    "analysis.reporting.workers",
)
#: The process names (``ps -o comm``) of the zygote and of the workers forked from it, whose command line is the
#: zygote's (multiprocessing's fork server).
ZYGOTE_NAME = "analysis-zygote"
WORKER_NAME = "analysis-worker"
#: The module the zygote imports, and that imports everything else (see :mod:`analysis.reporting.zygote_boot`).
BOOT_MODULE = "analysis.reporting.zygote_boot"


def available() -> bool:
    """True when a batch's workers are forked from a zygote: Linux, unless ``ANALYSIS_WORKER_FORK=0``."""
    from analysis.reporting import forkserver

    return forkserver.fork_allowed(WORKER_FORK_ENV)


def preload() -> list[str]:
    """Import what the workers use, in the zygote; returns the modules that failed.

    Not the kernels' libraries: the batch's kernel fork server imports those meanwhile. Then one small report is
    rendered to HTML and PDF and thrown away (:func:`analysis.reporting.render.warm_up`), so that no worker's first
    report pays for compiling the templates and loading the fonts. A module that fails is imported later by
    whoever needs it. The imports are frozen out of the garbage collector's sight (the workers' collections never
    walk them).
    """
    import gc
    import importlib
    import logging
    import warnings

    from analysis.reporting import forkserver

    forkserver.set_process_name(ZYGOTE_NAME)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the workers quieten the rest
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    failed = []
    for name in WORKER_PRELOAD:
        try:
            if name == "weasyprint":  # without ctypes' compiler runs (see render.import_weasyprint)
                importlib.import_module("analysis.reporting.render").import_weasyprint()
            else:
                importlib.import_module(name)
        except Exception:  # noqa: BLE001 - imported later by whoever needs it
            failed.append(name)
    if "analysis.reporting.render" not in failed:
        # the first report's extra costs (templates, stylesheets, fonts), once here instead of in every worker
        importlib.import_module("analysis.reporting.render").warm_up()
    gc.collect()
    gc.freeze()
    return failed


class ZygoteProcess(multiprocessing.context.ForkServerProcess):
    """A process forked by the :class:`Zygote` it was made by (see :func:`_context`)."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        zygote = process_obj.__dict__.pop("_zygote")  # not pickled with the process
        return zygote._popen(process_obj)


def _context(zygote: Zygote) -> multiprocessing.context.BaseContext:
    """A forkserver context whose processes ``zygote`` forks."""
    context = multiprocessing.context.ForkServerContext()

    def process(*args: Any, **kwargs: Any) -> ZygoteProcess:
        made = ZygoteProcess(*args, **kwargs)
        made._zygote = zygote
        return made

    context.Process = process
    return context


def _popen_class() -> type:
    """The forkserver ``Popen`` of multiprocessing, asking a given :class:`Zygote`, not the module's own server.

    Made here, not at the top: multiprocessing's forkserver Popen cannot be imported where file descriptors
    cannot be passed between processes (Windows).
    """
    from multiprocessing import popen_forkserver

    class Popen(popen_forkserver.Popen):
        def __init__(self, process_obj: Any, zygote: Zygote):
            self._zygote = zygote
            super().__init__(process_obj)

        def _launch(self, process_obj: Any) -> None:
            # multiprocessing.popen_forkserver.Popen._launch (Python 3.11-3.13), with this batch's server
            from multiprocessing import forkserver, spawn, util
            from multiprocessing.context import reduction, set_spawning_popen

            prep_data = spawn.get_preparation_data(process_obj._name)
            buf = io.BytesIO()
            set_spawning_popen(self)
            try:
                reduction.dump(prep_data, buf)
                reduction.dump(process_obj, buf)
            finally:
                set_spawning_popen(None)
            self.sentinel, w = self._zygote.connect_to_new_process(self._fds)
            _parent_w = os.dup(w)  # kept open: the child watches it to know that its starter lives
            self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)

    return Popen


class Zygote(multiprocessing.forkserver.ForkServer):
    """A batch's zygote: a multiprocessing fork server that has imported the libraries (:func:`preload`).

    :meth:`start` starts it (it imports in the background: the first worker asked for waits until it is done);
    :attr:`context` is the multiprocessing context whose processes it forks; :meth:`close` ends it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_forkserver_preload([BOOT_MODULE])
        self.context = _context(self)
        self._popen_class: type | None = None

    def _popen(self, process_obj: Any) -> Any:
        if self._popen_class is None:
            self._popen_class = _popen_class()
        return self._popen_class(process_obj, self)

    def start(self) -> Zygote:
        """Start the zygote process (returns at once); self."""
        self.ensure_running()
        return self

    @property
    def pid(self) -> int | None:
        """The zygote's process id, or None when it is not running."""
        return self._forkserver_pid

    def close(self) -> None:
        """End the zygote: it exits once every worker forked from it is gone; waits for that."""
        self._stop()
