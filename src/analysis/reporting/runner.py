"""The batch runner: execute each report notebook with papermill, render it, and write the run's folder.

Flow of :func:`run_batch`
-------------------------
1. Refuse what cannot work before any worker starts: a missing kernel, a warehouse named but not there (the sample
   is built only at its default path), an output, cache or snapshot folder that cannot be written or is full.
2. Take a read snapshot of the warehouse: the file is copied once, under DuckDB's shared lock (no load can write
   meanwhile), into ``reports/.snapshots/<run id>/``; every kernel of the batch reads that copy, so one batch reads
   one state of the data however long it runs and whatever is loaded meanwhile.
3. Key every report on everything it reads: its notebook, its parameters, every table of the snapshot (the
   bookkeeping tables ``_loads``, ``_findings``, ``_meta`` too), every file under ``parameters/`` but the batch
   files, the package's code and the version of every installed distribution. Reuse from the cache every report
   whose key is there and whose files still hash as they did when stored (unless ``force``).
4. Execute the rest in bounded worker processes. Each worker is long-lived: it imports papermill, nbconvert and
   WeasyPrint once, and keeps one kernel started ahead with the libraries imported, which it hands to the next
   report and then shuts down (a kernel serves one report only: no state passes between reports). A kernel that
   fails to start is retried once with a fresh one. Workers end with the process that started them (a watchdog
   thread polls the parent and kills the worker's kernels first); kernels end with their worker (ipykernel polls
   ``JPY_PARENT_PID``). Kernel sockets and connection files live in one folder per run, removed at the end and,
   after a ``kill -9``, by the next run.
5. Render each executed notebook to HTML (and PDF); a notebook that failed is kept as executed, with its error,
   but never rendered as a report. Each report is copied into the cache the moment it is done, so a re-run after
   a killed batch executes only what was unfinished.
6. Until the manifest is final the run folder holds ``INCOMPLETE`` and an index that says "Ufuldstændig kørsel";
   at the end ``manifest.json`` and ``index.html`` are written, ``INCOMPLETE`` removed and ``reports/<name>/latest``
   pointed at the run (never at an incomplete one).

Files go into and out of the cache by copy to a temporary name and rename, never by hard link, so a later run
writing into a run folder can never change a cached report. The runner knows nothing of the domain beyond the
names it prints in title blocks.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import datetime as dt
import errno
import json
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from shutil import disk_usage as _disk_usage
from typing import Any

from analysis.errors import DataError
from analysis.paths import WAREHOUSE_ENV
from analysis.reporting.batch import Batch, BatchError, expand, function_name, municipality_name, project_root
from analysis.reporting.provenance import (
    code_version,
    environment_fingerprint,
    file_sha256,
    package_versions,
    parameters_fingerprint,
    stable_hash,
    warehouse_fingerprint,
)

__all__ = ["ReportResult", "RunSummary", "run_batch"]

log = logging.getLogger(__name__)

#: Imported in each kernel before it is handed a report (the costly part of a report's start).
WARM_IMPORTS = (
    "import numpy, pandas, matplotlib, matplotlib.pyplot, seaborn, duckdb\n"
    "import analysis.data, analysis.reporting.formatting\n"
)
#: Parameters that say where to read, not what: they are left out of the cache key (the inputs' fingerprints
#: stand for the content).
LOCATION_PARAMETERS = ("warehouse",)
#: Bump when the layout of a cache entry or the content of its key changes: older entries are then misses.
CACHE_FORMAT = 2
#: The file that marks a run folder whose manifest is not final (the run is going on, or was killed).
INCOMPLETE = "INCOMPLETE"
#: Free space an output folder must have before a batch starts (bytes), beside the warehouse snapshot's size.
MIN_FREE_BYTES = 50_000_000
#: Seconds between a worker's checks that the process that started it is still alive.
WATCHDOG_SECONDS = 0.5


@dataclass
class ReportResult:
    """The outcome of one report."""

    notebook: str
    title: str
    municipality_code: int
    municipality: str
    function_code: str
    function_name: str
    parameters: dict[str, Any]
    status: str  # "ok", "failed" or "cached"
    files: dict[str, str] = field(default_factory=dict)  # format -> path relative to the run folder
    seconds: dict[str, float] = field(default_factory=dict)  # execute, html, pdf
    error: str | None = None
    cache_key: str = ""
    cached_from: str | None = None  # run id of the run that produced a reused report
    headline: dict[str, Any] | None = None  # what the notebook published (analysis.reporting.headline)


@dataclass
class RunSummary:
    """The outcome of a run."""

    run_id: str
    folder: Path
    reports: list[ReportResult]
    seconds: float

    @property
    def failed(self) -> list[ReportResult]:
        """The reports that failed."""
        return [r for r in self.reports if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        """How many reports ended in each status."""
        out = {"ok": 0, "cached": 0, "failed": 0}
        for r in self.reports:
            out[r.status] += 1
        return out


# --------------------------------------------------------------------------------------------------------------
# The worker side: runs in each worker process
# --------------------------------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


class _WarmKernel:
    """A kernel started in a background thread, with :data:`WARM_IMPORTS` executed, ready for one report."""

    def __init__(self, kernel_name: str, code: str, cwd: str, timeout: float = 120):
        self.km = None
        self.taken = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._start, args=(kernel_name, code, cwd, timeout), daemon=True
        )
        self._thread.start()

    def _start(self, kernel_name: str, code: str, cwd: str, timeout: float) -> None:
        try:
            from jupyter_client.manager import KernelManager

            sockets = _WORKER.get("sockets") or tempfile.gettempdir()
            name = f"k-{uuid.uuid4().hex[:12]}"
            connection_file = os.path.join(sockets, name + ".json")
            if os.name == "posix":
                # IPC sockets (no TCP port, no "running over TCP without encryption" warning) at an absolute
                # path, since papermill changes the working directory of the client that connects later; in the
                # run's socket folder, so that a killed run's are found and removed.
                km = KernelManager(
                    kernel_name=kernel_name,
                    transport="ipc",
                    ip=os.path.join(sockets, name),
                    connection_file=connection_file,
                )
            else:  # pragma: no cover - Windows
                km = KernelManager(kernel_name=kernel_name, connection_file=connection_file)
            _KERNELS.add(km)
            km.start_kernel(cwd=cwd)
            kc = km.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=timeout)
                reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout)
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"warming the kernel failed: {reply['content'].get('evalue')}")
            finally:
                kc.stop_channels()
            self.km = km
        except BaseException as e:  # reported when the kernel is taken
            self.error = e

    def take(self):
        """The ready kernel manager, or None when the kernel could not be started (the caller starts its own)."""
        self._thread.join()
        self.taken = True
        if self.error is not None:
            log.warning("a kernel started ahead failed (%s); starting a fresh one", self.error)
            return None
        return self.km


#: The kernels this worker has started and not yet shut down (the watchdog kills them if the parent dies).
_KERNELS: set = set()


def _kill_kernels() -> None:
    """Kill every kernel this worker started (its whole process group) and remove its sockets and files."""
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


def _watch_parent(parent_pid: int) -> None:
    """End this worker, and its kernels, as soon as the process that started it is gone (e.g. ``kill -9``)."""
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent_pid:
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
    """
    if parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watchdog").start()
    os.environ.update(env or {})
    _WORKER["sockets"] = sockets
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

    _WORKER["kernel_name"] = kernel_name
    _WORKER["warm"] = warm
    _WORKER["cwd"] = cwd
    _WORKER["next"] = _WarmKernel(kernel_name, WARM_IMPORTS, cwd) if warm else None
    atexit.register(_shutdown_spare_kernel)


def _shutdown_spare_kernel() -> None:
    """Stop the kernel started ahead for a report that never came (the pool is closing)."""
    spare = _WORKER.pop("next", None)
    if spare is not None:
        km = spare.take()
        if km is not None:
            _shutdown_kernel(km)


def _execute(spec: dict[str, Any], km) -> None:
    import papermill

    papermill.execute_notebook(
        spec["input"],
        spec["output_ipynb"],
        parameters=spec["parameters"],
        kernel_name=spec["kernel_name"],
        progress_bar=False,
        log_output=False,
        execution_timeout=spec["timeout"],
        start_timeout=120,
        cwd=spec["cwd"],
        km=km,
    )


def _kernel_start_error(error: BaseException) -> bool:
    """True for errors of the kernel's machinery, worth one retry with a fresh kernel.

    That is start-up failures and a dying kernel; not errors of the notebook's own code, nor cells out of time.
    """
    import papermill.exceptions as pe
    from nbclient.exceptions import CellTimeoutError

    return not isinstance(error, pe.PapermillExecutionError | CellTimeoutError)


def _run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Execute and render one report in a worker; never raises (errors are returned in the result)."""
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
    for attempt in (1, 2):
        km = None
        if _WORKER.get("warm") and _WORKER.get("next") is not None:
            km = _WORKER["next"].take()
            _WORKER["next"] = None
        try:
            _execute(spec, km)
            error = None
        except BaseException as e:  # noqa: BLE001 - any failure of a report is reported, not raised
            error = e
        finally:
            if km is not None:
                _shutdown_kernel(km)
            if _WORKER.get("warm"):
                _WORKER["next"] = _WarmKernel(_WORKER["kernel_name"], WARM_IMPORTS, _WORKER["cwd"])
        if error is None or attempt == 2 or not _kernel_start_error(error):
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
        nb = nbformat.read(out_ipynb, as_version=4)
        meta = render.ReportMeta.from_dict(spec["meta"])
        nb.metadata["analysis_report"] = meta.to_dict()
        nbformat.write(nb, out_ipynb)
        t = time.perf_counter()
        html = render.render_html(headline.without(nb), meta)  # the headline is for the index, not drawn
        html_path = out_ipynb.with_suffix(".html")
        html_path.write_text(html, encoding="utf-8")
        result["seconds"]["html"] = round(time.perf_counter() - t, 3)
        if "html" in spec["formats"]:
            result["files"]["html"] = spec["rel"] + ".html"
        if "pdf" in spec["formats"]:
            t = time.perf_counter()
            render.render_pdf(html, out_ipynb.with_suffix(".pdf"), base_url=str(out_ipynb.parent))
            result["seconds"]["pdf"] = round(time.perf_counter() - t, 3)
            result["files"]["pdf"] = spec["rel"] + ".pdf"
        if "html" not in spec["formats"]:
            html_path.unlink()
    except Exception as e:  # noqa: BLE001
        result["status"] = "failed"
        result["error"] = f"rendering failed: {type(e).__name__}: {e}"
        log.debug("rendering failed:\n%s", traceback.format_exc())
    return result


# --------------------------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------------------------


def _new_run_id(batch: Batch, now: dt.datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S}-{stable_hash([batch.model_dump(), now.isoformat(), os.getpid()])[:6]}"


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise BatchError(
            f"no Jupyter kernel named '{name}'; install it with: python -m ipykernel install --user --name {name}"
        ) from None


def _data_period(params: dict[str, Any]) -> str:
    first, last = params.get("first_year"), params.get("last_year")
    if first and last:
        return f"{first}-{last}" if first != last else str(first)
    return ""


# The cache ------------------------------------------------------------------------------------------------------


def _copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` under a temporary name, then rename: never a hard link, never a half-written file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.copyfile(src, partial)
        os.replace(partial, dst)
    finally:
        partial.unlink(missing_ok=True)


def _entry_dir(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / key


def _cache_lookup(cache_dir: Path, key: str) -> dict[str, Any] | None:
    """The cache entry of ``key`` when every one of its files is there and hashes as stored; else None (a miss).

    An unreadable, truncated or altered entry is a miss, logged with the file it concerns; the report is then
    executed again and the entry replaced.
    """
    folder = _entry_dir(cache_dir, key)
    entry = folder / "result.json"
    if not entry.exists():
        return None
    try:
        data = json.loads(entry.read_text("utf-8"))
        if data.get("format") != CACHE_FORMAT:
            return None  # written by an older runner (perhaps hard-linked to a run folder): never trusted
        files, hashes = data["files"], data["sha256"]
        for rel in files.values():
            name = Path(rel).name
            if file_sha256(folder / name) != hashes[name]:
                log.warning(
                    "cache entry %s: %s has changed since it was stored; executing again", folder, name
                )
                return None
        data["seconds"] = dict(data["seconds"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        log.warning("cache entry %s is unreadable (%s: %s); executing again", entry, type(e).__name__, e)
        return None
    return data


def _cache_store(cache_dir: Path, run_dir: Path, result: ReportResult, run_id: str) -> None:
    """Copy a finished report into the cache: files first, then ``result.json`` with their hashes, then rename.

    The entry appears whole or not at all (a folder renamed into place), so a run killed meanwhile leaves no
    half-entry that a later run would trust.
    """
    final = _entry_dir(cache_dir, result.cache_key)
    building = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        building.mkdir(parents=True)
        hashes = {}
        for rel in result.files.values():
            name = Path(rel).name
            _copy(run_dir / rel, building / name)
            hashes[name] = file_sha256(building / name)
        data = {
            "format": CACHE_FORMAT,
            "files": result.files,
            "sha256": hashes,
            "seconds": result.seconds,
            "run_id": result.cached_from or run_id,
        }
        (building / "result.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(building, final)
    except OSError as e:  # the cache is an optimisation: a report that cannot be stored is still a report
        log.warning("could not store %s in the cache %s: %s", result.files.get("html", ""), cache_dir, e)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)


# The run folder --------------------------------------------------------------------------------------------------


def _point_latest(batch_dir: Path, run_dir: Path) -> None:
    latest = batch_dir / "latest"
    if run_dir.parent != batch_dir:
        return
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(run_dir.name, target_is_directory=True)
    except OSError:  # no symlinks (e.g. Windows without developer mode): a file naming the run instead
        (batch_dir / "LATEST").write_text(run_dir.name + "\n", encoding="utf-8")


def _unpoint_latest(batch_dir: Path, run_dir: Path) -> None:
    """Stop ``latest`` pointing at ``run_dir`` (a folder about to be written again is not a finished run)."""
    latest = batch_dir / "latest"
    try:
        if latest.is_symlink() and latest.resolve() == run_dir.resolve():
            latest.unlink()
        marker = batch_dir / "LATEST"
        if marker.exists() and marker.read_text("utf-8").strip() == run_dir.name:
            marker.unlink()
    except OSError:
        pass


def _folder_error(folder: Path, error: OSError, what: str) -> DataError:
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        reason = "the disk is full"
    elif error.errno in (errno.EROFS,):
        reason = "it is on a read-only file system"
    elif error.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    elif error.errno == errno.ENOTDIR:
        reason = "a part of the path is a file, not a folder"
    return DataError(
        f"cannot write the {what} {folder}: {reason}; choose another folder (--output) or fix this one"
    )


def _check_writable(folder: Path, what: str, need_bytes: int = 0) -> None:
    """Refuse a folder that cannot be created, written or has too little free space, before any worker starts.

    Raises
    ------
    DataError
        Naming the folder and the cause (read-only, permission denied, disk full, a file in the way).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{uuid.uuid4().hex[:8]}"
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(fd, b"\0" * 65536)
            os.fsync(fd)
        finally:
            os.close(fd)
            probe.unlink(missing_ok=True)
        free = _disk_usage(folder).free
    except OSError as e:
        raise _folder_error(folder, e, what) from None
    need = need_bytes + MIN_FREE_BYTES
    if free < need:
        raise DataError(
            f"cannot write the {what} {folder}: the disk is full or nearly so ({free / 1e6:,.1f} MB free, the "
            f"batch needs at least {need / 1e6:,.0f} MB); free some space or choose another folder (--output)"
        )


def _write_text(path: Path, text: str) -> None:
    """Write a file of the run folder under a temporary name and rename it into place."""
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise _folder_error(path.parent, e, "run folder") from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(folder: Path, prefix: str) -> None:
    """Remove ``folder/<prefix><pid>*`` left by runs whose process is gone (a ``kill -9``)."""
    if not folder.is_dir():
        return
    for p in folder.glob(prefix + "*"):
        pid = p.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


# The warehouse snapshot ------------------------------------------------------------------------------------------


def _resolve_warehouse(warehouse: str | Path | None) -> tuple[Path, str | None]:
    """The warehouse the batch reads and who named it (``--warehouse``, the environment, or None: the sample).

    A warehouse named explicitly must exist: the sample is built only at its default path, never at a path that
    may be a typing error. The sample at its default path is built (or rebuilt when outdated) here, once.
    """
    from analysis import paths
    from analysis.data import sample

    if warehouse is not None:
        path, named_by = Path(warehouse).expanduser(), "--warehouse"
    elif os.environ.get(WAREHOUSE_ENV):
        path, named_by = Path(os.environ[WAREHOUSE_ENV]).expanduser(), WAREHOUSE_ENV
    else:
        path, named_by = paths.sample_warehouse_path(), None
    is_default_sample = path.resolve() == paths.sample_warehouse_path().resolve()
    if named_by and not path.exists() and not is_default_sample:
        raise DataError(
            f"no warehouse at {path} (named by {named_by}); check the name. The sample warehouse is built only "
            f"at its default path {paths.sample_warehouse_path()}; load own data with `analysis load`"
        )
    if path.is_dir():
        raise DataError(f"the warehouse {path} (named by {named_by}) is a folder, not a DuckDB file")
    import duckdb

    try:
        sample.ensure(path)  # builds the default sample, rebuilds an outdated sample, leaves other data alone
    except duckdb.Error as e:  # opened, but its tables cannot be read
        cause = " ".join(str(e).split()).split(" See also ")[0]
        raise DataError(
            f"cannot read the warehouse {path}: {cause} (the file is truncated or damaged; restore it from a "
            "backup or rebuild it)"
        ) from None
    return path, named_by


def _snapshot(warehouse: Path, dest: Path) -> None:
    """Copy the warehouse to ``dest`` while holding DuckDB's shared lock on it (no load writes meanwhile)."""
    from analysis.data.warehouse import connect

    con = connect(warehouse)  # read-only: a shared lock; a loader waits or is refused until we close
    try:
        try:
            _copy(warehouse, dest)
            wal = warehouse.with_name(warehouse.name + ".wal")
            if wal.exists():
                _copy(wal, dest.with_name(dest.name + ".wal"))
        except OSError as e:
            raise _folder_error(dest.parent, e, "snapshot folder") from None
    finally:
        con.close()


def _read_state(path: Path, shown_as: Path) -> tuple[dict, bool]:
    """The fingerprint of every table of the warehouse at ``path`` and whether it is the synthetic sample.

    Raises
    ------
    DataError
        When a table cannot be read (a truncated or damaged file), naming ``shown_as`` (the user's file).
    """
    import duckdb

    from analysis.data.warehouse import connect, read_meta

    try:
        con = connect(path)
    except DataError as e:
        raise DataError(str(e).replace(str(path), str(shown_as))) from None
    try:
        tables = warehouse_fingerprint(con)
        kind = read_meta(con).get("kind")
    except duckdb.Error as e:
        cause = " ".join(str(e).split()).split(" See also ")[0]
        raise DataError(
            f"cannot read the warehouse {shown_as}: {cause.replace(str(path), str(shown_as))} (the file is "
            "truncated or damaged; restore it from a backup or rebuild it)"
        ) from None
    finally:
        con.close()
    return tables, kind == "sample"


def _live_changed(warehouse: Path, tables: dict) -> bool | None:
    """Whether the warehouse now differs from the snapshot the batch read (None: could not tell, e.g. locked)."""
    try:
        now, _ = _read_state(warehouse, warehouse)
    except DataError:
        return None
    return now != tables


# The driver ------------------------------------------------------------------------------------------------------


def _require(snapshot: Path, batch: Batch, notebooks_dir: Path) -> None:
    """Refuse the batch, before any kernel starts, when the warehouse lacks a table or column a notebook needs."""
    from analysis.data.warehouse import connect
    from analysis.reporting.requirements import require_jobs

    con = connect(snapshot)
    try:
        require_jobs(con, expand(batch, notebooks_dir), notebooks_dir)
    finally:
        con.close()


def run_batch(
    batch: Batch,
    *,
    batch_file: str | Path | None = None,
    output: str | Path | None = None,
    workers: int | None = None,
    force: bool = False,
    warehouse: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    reports_dir: str | Path | None = None,
    progress: bool = True,
    warm_kernels: bool = True,
) -> RunSummary:
    """Run a batch: execute, render, index and record every report; never stops at a failed report.

    Parameters
    ----------
    batch
        The validated batch (:func:`analysis.reporting.batch.load_batch`).
    batch_file
        The batch file it came from (recorded in the manifest).
    output
        The run folder; by default ``reports/<name>/<run id>/``.
    workers
        Worker processes (default: the batch's ``workers``); each executes one report at a time.
    force
        Execute every report even when an unchanged one is in the cache.
    warehouse
        The warehouse the notebooks read; default ``ANALYSIS_WAREHOUSE``, else the sample (built at its default
        path on first use). A warehouse named here or in the environment must exist. The notebooks read a snapshot
        of it taken at the start (passed as their ``warehouse`` parameter and as ``ANALYSIS_WAREHOUSE``).
    notebooks_dir, reports_dir
        Where the notebooks are and where reports go; by default ``notebooks/`` and ``reports/`` of the project.
    progress
        Show a progress bar with counts and time left.
    warm_kernels
        Start each report's kernel ahead, with the libraries imported (see the module docstring).

    Raises
    ------
    BatchError
        When the batch's kernel is not installed.
    DataError
        Before any worker starts: the warehouse is missing, locked, empty, truncated or not a DuckDB file; an
        output, cache or snapshot folder is read-only, not a folder or full. Later: the run folder cannot be
        written (disk full).
    """
    started = time.perf_counter()
    now = dt.datetime.now().astimezone()
    root = project_root()
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else root / "notebooks"
    reports_dir = Path(reports_dir) if reports_dir else root / "reports"
    run_id = _new_run_id(batch, now)
    batch_dir = reports_dir / batch.name
    run_dir = Path(output) if output else batch_dir / run_id
    cache_dir = reports_dir / ".cache"
    snapshots = reports_dir / ".snapshots"
    _check_kernel(batch.kernel)
    warehouse, _ = _resolve_warehouse(warehouse)
    size = warehouse.stat().st_size + (
        wal.stat().st_size if (wal := warehouse.with_name(warehouse.name + ".wal")).exists() else 0
    )
    created = not run_dir.exists()
    sockets_root = Path(tempfile.gettempdir())
    snapshot_dir = snapshots / f"{os.getpid()}-{run_id}"
    sockets = sockets_root / f"analysis-kernels-{os.getpid()}-{run_id}"
    snapshot = snapshot_dir / warehouse.name
    try:
        _check_writable(run_dir, "run folder")
        _check_writable(cache_dir, "report cache")
        _check_writable(snapshots, "snapshot folder", need_bytes=size)
        _remove_stale(snapshots, "")
        _remove_stale(sockets_root, "analysis-kernels-")
        snapshot_dir.mkdir(parents=True, exist_ok=True)
        _snapshot(warehouse, snapshot)
        tables, is_sample = _read_state(snapshot, warehouse)
        _require(snapshot, batch, notebooks_dir)
    except BaseException:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
        if created:  # a batch refused before it started leaves no empty run folder
            with contextlib.suppress(OSError):
                run_dir.rmdir()
        raise

    # The run folder says it is incomplete until its manifest is final, and `latest` never points at it meanwhile.
    from analysis.reporting.index import write_incomplete_index

    try:
        _unpoint_latest(batch_dir, run_dir)
        (run_dir / "manifest.json").unlink(missing_ok=True)
        _write_text(
            run_dir / INCOMPLETE,
            f"Run {run_id} started {now.isoformat(timespec='seconds')} (process {os.getpid()}) and has not "
            "finished: its manifest is not final. A run still going on removes this file at its end; otherwise "
            "it was stopped: run the batch again (finished reports come from the cache).\n",
        )
        write_incomplete_index(run_dir / "index.html", batch, run_id, now)
        sockets.mkdir(mode=0o700, parents=True, exist_ok=True)
        summary, manifest = _run(
            batch,
            batch_file=batch_file,
            run_id=run_id,
            run_dir=run_dir,
            cache_dir=cache_dir,
            now=now,
            started=started,
            notebooks_dir=notebooks_dir,
            warehouse=warehouse,
            snapshot=snapshot,
            sockets=sockets,
            tables=tables,
            is_sample=is_sample,
            workers=workers,
            force=force,
            progress=progress,
            warm_kernels=warm_kernels,
        )
    finally:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)
    from analysis.reporting.index import write_index

    _write_text(run_dir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    write_index(run_dir / "index.html", batch, summary, manifest)
    (run_dir / INCOMPLETE).unlink(missing_ok=True)
    _point_latest(batch_dir, run_dir)
    return summary


def _run(
    batch: Batch,
    *,
    batch_file,
    run_id: str,
    run_dir: Path,
    cache_dir: Path,
    now: dt.datetime,
    started: float,
    notebooks_dir: Path,
    warehouse: Path,
    snapshot: Path,
    sockets: Path,
    tables: dict,
    is_sample: bool,
    workers: int | None,
    force: bool,
    progress: bool,
    warm_kernels: bool,
) -> tuple[RunSummary, dict[str, Any]]:
    """Key, reuse, execute and store every report of the batch; returns the summary and the manifest."""
    parameters = parameters_fingerprint(project_root() / "parameters")
    inputs = {
        "warehouse": warehouse.name,
        "snapshot": True,
        "sample": is_sample,
        "tables": tables,
        "parameters": parameters,
    }
    code = code_version()
    environment = environment_fingerprint()

    jobs = expand(batch, notebooks_dir)
    notebook_hash = {name: file_sha256(notebooks_dir / f"{name}.ipynb") for name in batch.notebooks}
    results: list[ReportResult] = []
    specs: dict[int, dict[str, Any]] = {}
    for i, job in enumerate(jobs):
        params = dict(job.parameters)
        declared = _declared(notebooks_dir, job.notebook)
        if "warehouse" in declared:
            params["warehouse"] = str(snapshot.resolve())
        key = stable_hash(
            {
                "format": CACHE_FORMAT,
                "notebook": notebook_hash[job.notebook],
                "parameters": {k: v for k, v in params.items() if k not in LOCATION_PARAMETERS},
                "tables": tables,
                "parameter_files": parameters,
                "code": code["source_sha256"],
                "environment": environment,
                "kernel": batch.kernel,
                "formats": sorted(batch.formats),
            }
        )
        result = ReportResult(
            notebook=job.notebook,
            title=_title(notebooks_dir, job.notebook),
            municipality_code=job.municipality_code,
            municipality=municipality_name(job.municipality_code),
            function_code=job.function_code,
            function_name=function_name(job.function_code),
            parameters={k: v for k, v in params.items() if k not in LOCATION_PARAMETERS},
            status="ok",
            cache_key=key,
        )
        results.append(result)
        hit = None if force else _cache_lookup(cache_dir, key)
        if hit is not None:
            try:
                for rel in hit["files"].values():
                    _copy(_entry_dir(cache_dir, key) / Path(rel).name, run_dir / rel)
            except OSError as e:
                raise _folder_error(run_dir, e, "run folder") from None
            result.status, result.files, result.seconds = "cached", hit["files"], hit["seconds"]
            result.cached_from = hit["run_id"]
            continue
        specs[i] = {
            "input": str(notebooks_dir / f"{job.notebook}.ipynb"),
            "output_ipynb": str(run_dir / f"{job.slug}.ipynb"),
            "rel": job.slug,
            "parameters": params,
            "kernel_name": batch.kernel,
            "timeout": batch.timeout,
            "cwd": str(notebooks_dir),
            "formats": list(batch.formats),
            "meta": {
                "title": result.title,
                "municipality_code": job.municipality_code,
                "municipality": result.municipality,
                "function_code": job.function_code,
                "function_name": result.function_name,
                "data_period": _data_period(params),
                "run_date": now.date().isoformat(),
                "run_id": run_id,
                "sample": is_sample,
            },
        }

    def store(i: int) -> None:  # each report goes into the cache the moment it is done
        if results[i].status == "ok":
            _cache_store(cache_dir, run_dir, results[i], run_id)

    n_workers = max(1, min(workers or batch.workers, len(specs) or 1))
    _execute_all(
        specs,
        results,
        n_workers,
        batch.kernel,
        progress,
        warm_kernels,
        len(jobs),
        str(notebooks_dir),
        on_done=store,
        worker_env={WAREHOUSE_ENV: str(snapshot.resolve())},
        sockets=str(sockets),
    )
    for r in results:  # each report's headline, read from its executed notebook (fresh or reused)
        r.headline = _headline(run_dir, r)
    inputs["changed_during_run"] = _live_changed(warehouse, tables)
    summary = RunSummary(run_id, run_dir, results, round(time.perf_counter() - started, 2))
    manifest = _manifest(batch, batch_file, summary, now, inputs, code, n_workers, force)
    manifest["environment_sha256"] = environment
    return summary, manifest


def _headline(run_dir: Path, r: ReportResult) -> dict[str, Any] | None:
    """The headline report ``r`` published, as a dict; None when it failed, published none or a malformed one."""
    from analysis.reporting import headline

    if r.status == "failed" or "ipynb" not in r.files:
        return None
    try:
        h = headline.from_notebook(run_dir / r.files["ipynb"])
    except (OSError, ValueError, DataError) as e:
        log.warning("%s: no headline shown: %s", r.files["ipynb"], e)
        return None
    return h.to_dict() if h is not None else None


def _declared(notebooks_dir: Path, name: str, _cache: dict = {}) -> dict:  # noqa: B006 - a per-process memo
    from analysis.reporting.batch import notebook_parameters

    key = (str(notebooks_dir), name)
    if key not in _cache:
        _cache[key] = notebook_parameters(notebooks_dir / f"{name}.ipynb")
    return _cache[key]


def _title(notebooks_dir: Path, name: str, _cache: dict = {}) -> str:  # noqa: B006 - a per-process memo
    """The report title a notebook declares in its metadata (``metadata.analysis.title``), or its name."""
    import nbformat

    key = (str(notebooks_dir), name)
    if key not in _cache:
        nb = nbformat.read(notebooks_dir / f"{name}.ipynb", as_version=4)
        _cache[key] = nb.metadata.get("analysis", {}).get("title") or name.replace("_", " ").capitalize()
    return _cache[key]


def _execute_all(
    specs: dict[int, dict[str, Any]],
    results: list[ReportResult],
    n_workers: int,
    kernel_name: str,
    progress: bool,
    warm: bool,
    total: int,
    cwd: str,
    *,
    on_done=None,
    worker_env: dict[str, str] | None = None,
    sockets: str | None = None,
) -> None:
    """Run the specs in a pool of worker processes, updating ``results`` in place, with a progress bar.

    ``on_done(i)`` is called in this process as soon as report ``i`` is done (the runner stores it in the cache);
    ``worker_env`` is set in each worker's environment before its first kernel starts.
    """
    from tqdm.auto import tqdm

    done_before = total - len(specs)
    bar = tqdm(
        total=total,
        initial=done_before,
        disable=not progress,
        unit="rapport",
        desc="Rapporter",
        bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed} brugt, {remaining} tilbage {postfix}",
    )
    if not specs:
        bar.close()
        return
    failed = 0
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(
        n_workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(kernel_name, warm, cwd, os.getpid(), sockets, worker_env),
    ) as pool:
        futures = {pool.submit(_run_job, spec): i for i, spec in specs.items()}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            r = results[i]
            try:
                out = fut.result()
            except Exception as e:  # noqa: BLE001 - a worker that died takes only its report with it
                out = {"status": "failed", "files": {}, "seconds": {}, "error": f"worker failed: {e}"}
            r.status, r.files, r.seconds, r.error = out["status"], out["files"], out["seconds"], out["error"]
            if r.status == "failed":
                failed += 1
                bar.write(f"FEJL  {r.notebook} {r.municipality_code} {r.function_code}: {r.error}")
            if on_done is not None:
                on_done(i)
            bar.set_postfix_str(f"({failed} fejlet)" if failed else "")
            bar.update(1)
    bar.close()


def _manifest(
    batch: Batch,
    batch_file: str | Path | None,
    summary: RunSummary,
    now: dt.datetime,
    inputs: dict,
    code: dict,
    workers: int,
    force: bool,
) -> dict[str, Any]:
    batch_path = None
    if batch_file is not None:
        p = Path(batch_file).resolve()
        try:
            batch_path = p.relative_to(project_root().resolve()).as_posix()
        except ValueError:
            batch_path = p.name
    return {
        "run_id": summary.run_id,
        "batch_file": batch_path,
        "batch": batch.model_dump(),
        "started": now.isoformat(timespec="seconds"),
        "seconds": summary.seconds,
        "workers": workers,
        "force": force,
        "counts": summary.counts(),
        "code": code,
        "packages": package_versions(),
        "inputs": inputs,
        "reports": [asdict(r) for r in summary.reports],
    }
