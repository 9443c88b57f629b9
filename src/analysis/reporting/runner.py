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
4. Execute the rest in bounded worker processes. Each worker is long-lived: it has papermill, nbconvert and
   WeasyPrint imported once, and keeps one kernel started ahead with the libraries imported, which it hands to the
   next report and then shuts down (a kernel serves one report only: no state passes between reports); no kernel
   is started ahead once every report is taken. On Linux the kernels are forked from the batch's one fork server,
   which imports the kernels' libraries once (:mod:`analysis.reporting.forkserver`), and the workers from the
   batch's zygote, which imports the workers' libraries once at the same time, on the other core
   (:mod:`analysis.reporting.zygote`; ``ANALYSIS_WORKER_FORK=0``: each worker is a new interpreter). A kernel that
   fails to start is retried once with a fresh one. Workers end with the process that started them (a watchdog
   thread polls the parent and kills the worker's kernels first); kernels end with their worker (the fork server
   kills a kernel whose worker's connection closes) or the fork server (ipykernel polls its parent). Kernel
   sockets and connection files live in one folder per run, removed at the end and, after a ``kill -9``, by the
   next run.
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
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from shutil import disk_usage as _disk_usage
from typing import Any

from analysis.danish import danish_clock
from analysis.errors import DataError
from analysis.paths import WAREHOUSE_ENV
from analysis.reporting import notebook_json
from analysis.reporting.batch import Batch, expand, function_name, municipality_name, project_root
from analysis.reporting.cache import CACHE_FORMAT, _cache_lookup, _cache_store, _copy, _entry_dir
from analysis.reporting.parameters import file_parameters
from analysis.reporting.provenance import (
    code_version,
    environment_fingerprint,
    file_sha256,
    package_versions,
    parameters_fingerprint,
    stable_hash,
    warehouse_fingerprint,
)
from analysis.reporting.results import ReportResult, RunSummary
from analysis.reporting.stale import remove_stale
from analysis.reporting.workers import (
    WARM_IMPORTS,  # noqa: F401 - also importable from here
    _check_kernel,
    _init_worker,
    _run_job,
    _WarmKernel,  # noqa: F401 - also importable from here
    new_fork_server,
    trace,
)

__all__ = ["ReportResult", "RunSummary", "run_batch"]

log = logging.getLogger(__name__)

#: Parameters that say where to read, not what: they are left out of the cache key (the inputs' fingerprints
#: stand for the content).
LOCATION_PARAMETERS = ("warehouse",)
#: The file that marks a run folder whose manifest is not final (the run is going on, or was killed).
INCOMPLETE = "INCOMPLETE"
#: Free space an output folder must have before a batch starts (bytes), beside the warehouse snapshot's size.
MIN_FREE_BYTES = 50_000_000


# --------------------------------------------------------------------------------------------------------------
# The driver: runs in the process that started the batch (the worker side is analysis.reporting.workers, the
# cache analysis.reporting.cache, the outcome analysis.reporting.results)
# --------------------------------------------------------------------------------------------------------------


def _new_run_id(batch: Batch, now: dt.datetime) -> str:
    """'20261201-221218-r7351a': date, time and a short hash of the batch, the time and the process.

    The hash starts with a letter: after a time that reads as a date (22:12:18 as 22.12.18) four digits would make
    the id CPR-shaped, and every report prints its run id.
    """
    return f"{now:%Y%m%d-%H%M%S}-r{stable_hash([batch.model_dump(), now.isoformat(), os.getpid()])[:5]}"


def _data_period(params: dict[str, Any]) -> str:
    """The title block's data period, e.g. '2018-2025' or, as of a month, '2018-2025 (2025 til og med september)'.

    A report made as of a month of its last year says so, so that an open year is never shown as if it were whole.
    """
    from analysis.danish import MONTHS_DA

    first, last = params.get("first_year"), params.get("last_year")
    if not (first and last):
        return ""
    period = f"{first}-{last}" if first != last else str(first)
    month = params.get("as_of_month")
    if isinstance(month, int) and 1 <= month <= 11:
        period += f" ({last} til og med {MONTHS_DA[month - 1]})"
    return period


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


# The warehouse snapshot ------------------------------------------------------------------------------------------


def _resolve_warehouse(warehouse: str | Path | None) -> tuple[Path, str | None]:
    """The warehouse the batch reads and who named it: :func:`analysis.data.warehouse.resolve` for a report."""
    from analysis.data.warehouse import resolve

    return resolve(warehouse, purpose="report")


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
    scheduler: str | None = None,
    ship_warehouse: bool | None = None,
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
    scheduler
        A Dask scheduler's address (``tcp://host:8786``): the reports to execute run as tasks on its workers
        instead of the local pool (:mod:`analysis.reporting.cluster`); everything else is as without it.
    ship_warehouse
        With ``scheduler``: send the snapshot's bytes to the workers (True), never (False), or only when a worker
        cannot read it at this machine's path (None).

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
    trace("run_start")
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
    if scheduler:  # an unreachable scheduler is refused before anything is written
        from analysis.reporting.cluster import connect

        connect(scheduler).close()
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
        remove_stale(snapshots, "")
        remove_stale(sockets_root, "analysis-kernels-")
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
            scheduler=scheduler,
            ship_warehouse=ship_warehouse,
        )
    finally:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)
    from analysis.reporting.index import write_index

    _write_text(run_dir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    write_index(run_dir / "index.html", batch, summary, manifest)
    (run_dir / INCOMPLETE).unlink(missing_ok=True)
    _point_latest(batch_dir, run_dir)
    trace("run_end")
    return summary


def _named_files(
    params: dict[str, Any], names: tuple[str, ...], root: Path, notebooks_dir: Path
) -> dict[str, Any]:
    """SHA-256 of the files a report's parameters ``names`` name (a folder: of each file in it).

    ``names``: the notebook's parameters marked as naming a file it reads
    (:func:`analysis.reporting.parameters.file_parameters`).

    A relative name is hashed as found from the project root and from the notebooks' folder (the kernels' working
    folder), whichever holds it; a name that holds nothing is recorded as None. A changed decisions file thus makes
    the budget report's key new, even where the file is not under ``parameters/``.
    """
    out: dict[str, Any] = {}
    for name in names:
        value = params.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        given = Path(value)
        found: dict[str, Any] = {}
        bases = (
            {"absolute": given}
            if given.is_absolute()
            else {"root": root / given, "notebooks": notebooks_dir / given}
        )
        # keyed by base, not by the machine's path: a moved project keeps its cache
        for base, path in bases.items():
            if path.is_file():
                found[base] = file_sha256(path)
            elif path.is_dir():
                found[base] = {
                    p.relative_to(path).as_posix(): file_sha256(p)
                    for p in sorted(path.rglob("*"))
                    if p.is_file()
                }
        out[name] = found or None
    return out


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
    scheduler: str | None = None,
    ship_warehouse: bool | None = None,
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
                "named_files": _named_files(
                    params, file_parameters(job.notebook), project_root(), notebooks_dir
                ),
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
                "run_date": danish_clock(now).date().isoformat(),  # Kørselsdato: the date in Copenhagen
                "run_id": run_id,
                "sample": is_sample,
            },
        }

    def store(i: int) -> None:  # each report goes into the cache the moment it is done
        if results[i].status == "ok":
            _cache_store(cache_dir, run_dir, results[i], run_id)

    n_workers = max(1, min(workers or batch.workers, len(specs) or 1))
    trace("keyed", reports=len(jobs), to_execute=len(specs))
    cluster = None
    if scheduler:  # the same reports, as tasks on a Dask cluster; the rest of the run is as with the pool
        from analysis.reporting.cluster import execute_on_cluster

        cluster = execute_on_cluster(
            specs,
            results,
            scheduler=scheduler,
            run_id=run_id,
            run_dir=run_dir,
            snapshot=snapshot,
            kernel_name=batch.kernel,
            warm=warm_kernels,
            cwd=str(notebooks_dir),
            total=len(jobs),
            progress=progress,
            on_done=store,
            ship_warehouse=ship_warehouse,
        )
    else:
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
    trace("executed_all")
    for r in results:  # each report's headline, read from its executed notebook (fresh or reused)
        r.headline = _headline(run_dir, r)
    inputs["changed_during_run"] = _live_changed(warehouse, tables)
    summary = RunSummary(run_id, run_dir, results, round(time.perf_counter() - started, 2))
    manifest = _manifest(batch, batch_file, summary, now, inputs, code, n_workers, force)
    manifest["environment_sha256"] = environment
    if cluster is not None:
        manifest["workers"] = cluster["workers"]
        manifest["cluster"] = cluster
    return summary, manifest


def _headline(run_dir: Path, r: ReportResult) -> dict[str, Any] | None:
    """The headline report ``r`` published, as a dict; None when it failed, published none or a malformed one."""
    from analysis.reporting import headline

    if r.status == "failed" or "ipynb" not in r.files:
        return None
    try:  # read as JSON: importing nbformat would cost more than a run whose reports are all cached
        h = headline.from_notebook(notebook_json.cells(run_dir / r.files["ipynb"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, DataError) as e:
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
    key = (str(notebooks_dir), name)
    if key not in _cache:
        _cache[key] = (
            notebook_json.title(notebooks_dir / f"{name}.ipynb") or name.replace("_", " ").capitalize()
        )
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
    if "IPython" in sys.modules:  # perhaps a notebook: tqdm.auto chooses (and imports IPython to find out)
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm

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
    from analysis.reporting import zygote

    # One kernel fork server for all the workers, which imports the kernels' libraries once, and, at the same time
    # on the other core, one process that imports the workers' (the zygote) and from which they are forked. With
    # ANALYSIS_WORKER_FORK=0 (or without fork) each worker is a new interpreter that imports its libraries itself.
    kernels = new_fork_server(sockets, cwd) if warm else None
    forked = zygote.available()
    zyg = zygote.Zygote().start() if forked else None
    ctx = zyg.context if zyg is not None else multiprocessing.get_context("spawn")
    trace("pool_start", zygote=zyg.pid if zyg is not None else None, kernels=getattr(kernels, "pid", None))
    # The count's lock and the pool's two queues hold six named POSIX semaphores (a spawned or forked-from-server
    # worker opens them by name), unlinked when this process ends them. A worker that dies leaves them to this
    # process; after this process is killed (SIGKILL) multiprocessing's resource tracker, which outlives it, unlinks
    # them and says so ("There appear to be 6 leaked semaphore objects to clean up at shutdown"): nothing is left.
    remaining = ctx.Value("i", len(specs))  # reports not yet taken: no kernel is started ahead after the last
    # the pid of the worker running report i, 0 when none runs it: which report a worker that died was running
    claims = ctx.Array("i", max(specs) + 1, lock=False)
    shared = (kernels.path, kernels.pid) if kernels is not None else None
    initargs = (
        kernel_name,
        warm,
        cwd,
        os.getpid(),
        sockets,
        worker_env,
        True,
        forked,
        remaining,
        claims,
        shared,
    )
    pending = dict(specs)
    with contextlib.ExitStack() as outer:
        if kernels is not None:
            outer.callback(kernels.close)  # last: the workers have shut their kernels down
        if zyg is not None:
            outer.callback(zyg.close)  # after the pools (each waits for its workers): the zygote exits next
        while pending:
            # A worker that dies (killed by the out-of-memory killer, a crash in a library) breaks the pool: every
            # report not yet done comes back as BrokenProcessPool. Only the report the dead worker was running is
            # failed; the others run again in a new pool (the workers the pool ended have exit status -SIGTERM).
            remaining.value = len(pending)
            for i in pending:
                claims[i] = 0
            broken: set[int] = set()
            with cf.ProcessPoolExecutor(
                n_workers, mp_context=ctx, initializer=_init_worker, initargs=initargs
            ) as pool:
                processes = getattr(pool, "_processes", None)  # {pid: Process}; kept, the pool forgets it
                futures = {pool.submit(_run_job, spec, i): i for i, spec in pending.items()}
                for fut in cf.as_completed(futures):
                    i = futures[fut]
                    try:
                        out = fut.result()
                    except cf.process.BrokenProcessPool:
                        broken.add(i)
                        continue
                    except Exception as e:  # noqa: BLE001 - a report the pool could not run is failed alone
                        out = {"status": "failed", "files": {}, "seconds": {}, "error": f"worker failed: {e}"}
                    failed = _record_result(results[i], out, specs[i], bar, on_done, i, failed)
                    del pending[i]
            if not broken:
                break
            died = _died(processes)
            culprits = {i: died[claims[i]] for i in broken if claims[i] in died}
            if not culprits and len(broken) == len(futures):  # nothing done, no one to blame: it would repeat
                culprits = {i: "the process pool broke before the report finished" for i in broken}
            for i, how in culprits.items():
                out = {"status": "failed", "files": {}, "seconds": {}, "error": f"worker failed: {how}"}
                failed = _record_result(results[i], out, specs[i], bar, on_done, i, failed)
                del pending[i]
            if pending:
                bar.write(f"En arbejdsproces stoppede; {len(pending)} rapporter køres i nye arbejdsprocesser")
                trace("pool_restart", reports=len(pending))
    bar.close()


def _record_result(
    r: ReportResult, out: dict[str, Any], spec: dict[str, Any], bar: Any, on_done, i: int, failed: int
) -> int:
    """Put a worker's result ``out`` into ``r``, say a failure, store it (``on_done``); returns the failures so far."""
    trace("received", rel=spec["rel"])
    r.status, r.files, r.seconds, r.error = out["status"], out["files"], out["seconds"], out["error"]
    if r.status == "failed":
        failed += 1
        bar.write(f"FEJL  {r.notebook} {r.municipality_code} {r.function_code}: {r.error}")
    if on_done is not None:
        on_done(i)
    trace("stored", rel=spec["rel"])
    bar.set_postfix_str(f"({failed} fejlet)" if failed else "")
    bar.update(1)
    return failed


def _died(processes: dict[int, Any] | None) -> dict[int, str]:
    """The pool's workers that died of their own (not ended by the pool: -SIGTERM), pid -> how, in words."""
    died = {}
    for pid, process in (processes or {}).items():
        code = process.exitcode
        if code in (None, 0, -signal.SIGTERM):
            continue
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            how = f"killed by signal {-code} ({name})"
            if -code == signal.SIGKILL:
                how += ", as the out-of-memory killer does"
        else:
            how = f"exited with status {code}"
        died[pid] = f"its worker process (pid {pid}) died during this report: {how}"
    return died


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
