"""Run a batch's reports as tasks on a Dask distributed cluster (``analysis run BATCH.yaml --scheduler tcp://...``).

The runner does everything but the execution as it does with its local pool: it takes the warehouse snapshot,
keys every report, reuses cached ones, and writes the index, the manifest and the cache. Only the reports left to
execute go to the cluster, through :func:`execute_on_cluster`, which replaces the local pool's ``_execute_all``.

What goes where
---------------
- **Code and parameters.** Every worker must run the same package (the same source hash, which is in every cache
  key) and the same ``parameters/`` files; a worker that does not is refused before any report is sent, naming
  it. The notebooks themselves are sent with each task (a few kB), so a worker needs no ``notebooks/`` folder.
- **The warehouse.** A worker that can read the snapshot at the client's path (a shared folder, or the same
  machine) and finds the same bytes there reads it in place. Otherwise the client ships the snapshot's bytes once
  (``Client.scatter(broadcast=True)``); each worker writes them to a private temporary folder the first time it
  needs them, checks their SHA-256 and reads that read-only copy. ``ship_warehouse=True`` ships it always.
- **The outputs.** A task executes and renders its report in a temporary folder of its worker and returns the
  files' bytes; the client writes them into the run folder (temporary name, then rename), stores the report in
  the cache and moves the progress bar. So the workers need no write access to the client's folders, and a
  report exists in the run folder whole or not at all.
- **Failures.** A notebook that raises is a failed report, as locally. A worker that dies mid-report (killed,
  out of memory) loses only its temporary folder: the scheduler gives the task to another worker (Dask's
  ``distributed.scheduler.allowed-failures``, 3 by default) and only after that many deaths is the report
  failed. Each task also has ``retries=1`` for an error of the machinery itself.

Workers run one report at a time each (start them with ``--nthreads 1``; further threads wait on a lock) and keep
one kernel started ahead, as the local pool's workers do (:mod:`analysis.reporting.workers`). At the end of a run
each worker shuts its spare kernel down and removes its temporary folders.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.errors import ConfigurationError, DataError
from analysis.paths import WAREHOUSE_ENV
from analysis.reporting.results import ReportResult
from analysis.reporting.stale import remove_stale

__all__ = ["CONNECT_TIMEOUT", "execute_on_cluster"]

log = logging.getLogger(__name__)

#: Seconds to wait for the scheduler to answer, and then for at least one worker to join.
CONNECT_TIMEOUT = 10.0
#: Retries of a task whose machinery raised (a report that fails is not an exception and is not retried).
TASK_RETRIES = 1
#: The suffixes of the files a report leaves in the run folder.
SUFFIXES = (".ipynb", ".html", ".pdf")

# --------------------------------------------------------------------------------------------------------------
# The worker side: runs inside a Dask worker process
# --------------------------------------------------------------------------------------------------------------

_STATE: dict[str, Any] = {"run": None, "ended": set()}
_LOCK = threading.RLock()


def _scratch(run_id: str) -> Path:
    """The worker's temporary folder for the run (its pid first, so a dead worker's folder can be found)."""
    return Path(tempfile.gettempdir()) / f"analysis-dask-{os.getpid()}-{run_id}"


def _probe(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What a worker has: its code and parameters' fingerprints, and whether it can read the snapshot in place."""
    from analysis.reporting.batch import project_root
    from analysis.reporting.provenance import code_version, file_sha256, parameters_fingerprint

    readable = True
    for name, (size, digest) in snapshot["files"].items():
        path = Path(snapshot["folder"]) / name
        try:
            readable = readable and path.stat().st_size == size and file_sha256(path) == digest
        except OSError:
            readable = False
    return {
        "code": code_version()["source_sha256"],
        "package": code_version()["package"],
        "parameters": parameters_fingerprint(project_root() / "parameters"),
        "readable": readable,
        "pid": os.getpid(),
    }


def _warehouse_here(run: dict[str, Any], shipped: dict[str, bytes] | None) -> Path:
    """The snapshot this worker reads: the client's path when shared, else the shipped bytes written once."""
    from analysis.reporting.provenance import file_sha256

    snapshot = run["snapshot"]
    if shipped is None:
        return Path(snapshot["folder"]) / snapshot["name"]
    folder = _scratch(run["run_id"]) / "warehouse"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in shipped.items():
        path = folder / name
        if not path.exists():
            partial = path.with_name(f".{name}.{uuid.uuid4().hex[:8]}.part")
            partial.write_bytes(data)
            os.replace(partial, path)
            path.chmod(0o444)  # a read-only copy
        if file_sha256(path) != snapshot["files"][name][1]:
            path.unlink(missing_ok=True)
            raise DataError(
                f"the copy of the warehouse snapshot on this worker ({path}) does not hash as sent"
            )
    return folder / snapshot["name"]


def _prepare(run: dict[str, Any], shipped: dict[str, bytes] | None) -> Path:
    """Set this worker up for the run once: its warehouse, its environment and its first kernel started ahead."""
    from analysis.reporting import workers

    if _STATE["run"] == run["run_id"]:
        return _STATE["scratch"]
    if _STATE["run"]:  # a worker that served another run: its spare kernel has that run's environment
        _teardown()
    scratch = _scratch(run["run_id"])
    (scratch / "kernels").mkdir(mode=0o700, parents=True, exist_ok=True)
    warehouse = _warehouse_here(run, shipped)
    cwd = run["cwd"] if Path(run["cwd"]).is_dir() else str(scratch)
    workers._init_worker(
        run["kernel_name"],
        run["warm"],
        cwd,
        None,  # no watchdog: the nanny owns this process; kernels end with it (JPY_PARENT_PID)
        str(scratch / "kernels"),
        {WAREHOUSE_ENV: str(warehouse)},
    )
    _STATE.update(run=run["run_id"], scratch=scratch, warehouse=str(warehouse), cwd=cwd)
    return scratch


def _task(spec: dict[str, Any], run: dict[str, Any], shipped: dict[str, bytes] | None) -> dict[str, Any]:
    """Execute and render one report on this worker; returns the runner's result and the files' bytes.

    The report is made in this worker's temporary folder and removed from it once read: the client writes it
    into the run folder. Never raises for a report that fails (that is in the result).
    """
    from analysis.reporting import workers

    with _LOCK:  # one report at a time per worker process, whatever its --nthreads
        if run["run_id"] in _STATE["ended"]:  # a task that started after its run's client had gone
            raise RuntimeError(f"run {run['run_id']} has ended")
        scratch = _prepare(run, shipped)
        out = scratch / "out" / uuid.uuid4().hex[:8]
        source = scratch / "in" / Path(spec["input"]).name
        source.parent.mkdir(parents=True, exist_ok=True)
        if not source.exists():
            source.write_bytes(spec["notebook"])
        local = {k: v for k, v in spec.items() if k != "notebook"}
        local.update(input=str(source), output_ipynb=str(out / f"{spec['rel']}.ipynb"), cwd=_STATE["cwd"])
        if "warehouse" in local["parameters"]:
            local["parameters"] = {**local["parameters"], "warehouse": _STATE["warehouse"]}
        try:
            result = workers._run_job(local)
            blobs = {rel: (out / rel).read_bytes() for rel in result["files"].values()}
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return {"result": result, "blobs": blobs}


def _finish(run_id: str | None) -> None:
    """End the run on this worker: shut the spare kernel down, remove its folder and those of dead workers.

    A task of the run that starts later (it was cancelled too late) is refused, so it leaves nothing behind.
    """
    with _LOCK:
        if run_id is not None:
            _STATE["ended"].add(run_id)
        if run_id is None or _STATE["run"] == run_id:
            _teardown()
        remove_stale(Path(tempfile.gettempdir()), "analysis-dask-")  # those of workers that died


def _teardown() -> None:
    """Shut down the spare kernel and remove the folder of the run this worker is set up for."""
    from analysis.reporting import workers

    workers._shutdown_spare_kernel()
    if _STATE["run"]:
        shutil.rmtree(_STATE["scratch"], ignore_errors=True)
    _STATE["run"] = None


# --------------------------------------------------------------------------------------------------------------
# The client side: runs in the process that started the batch
# --------------------------------------------------------------------------------------------------------------


def connect(address: str, timeout: float | None = None):
    """A :class:`distributed.Client` of the scheduler at ``address``, with at least one worker.

    ``timeout`` defaults to :data:`CONNECT_TIMEOUT` seconds.

    Raises
    ------
    DataError
        When the scheduler does not answer within ``timeout`` seconds, or has no worker after as long.
    """
    from distributed import Client

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise DataError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({type(e).__name__}: {e}); "
            "check the address and that `dask scheduler` runs there (docs/scale.md)"
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as e:
        client.close()
        raise DataError(
            f"the Dask scheduler at {address} has no worker after {timeout:g} s ({type(e).__name__}); start one "
            f"with `dask worker {address} --nthreads 1` (docs/scale.md)"
        ) from None
    return client


def _check_workers(client, address: str, snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each worker's probe; refuses workers with other code or parameters than this client's."""
    from analysis.reporting.batch import project_root
    from analysis.reporting.provenance import code_version, parameters_fingerprint

    probes = client.run(_probe, snapshot)
    code = code_version()["source_sha256"]
    parameters = parameters_fingerprint(project_root() / "parameters")
    wrong = []
    for worker, p in sorted(probes.items()):
        if p["code"] != code:
            wrong.append(f"{worker} runs other code (analysis {p['package']}, source {p['code'][:12]})")
        elif p["parameters"] != parameters:
            wrong.append(f"{worker} has other parameters/ files")
    if wrong:
        raise ConfigurationError(
            f"workers of the scheduler {address} do not match this client (analysis "
            f"{code_version()['package']}, source {code[:12]}): {'; '.join(wrong)}. Install the same version "
            "of the package and the same parameters/ on every worker (docs/scale.md)"
        )
    return probes


def execute_on_cluster(
    specs: dict[int, dict[str, Any]],
    results: list[ReportResult],
    *,
    scheduler: str,
    run_id: str,
    run_dir: Path,
    snapshot: Path,
    kernel_name: str,
    warm: bool,
    cwd: str,
    total: int,
    progress: bool,
    on_done: Callable[[int], None] | None = None,
    ship_warehouse: bool | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run the specs as tasks on the cluster, updating ``results`` in place, with the local pool's progress bar.

    Parameters
    ----------
    specs, results, on_done, total, progress
        As for the local pool: the reports to execute by index into ``results``; ``on_done(i)`` is called as soon
        as report ``i``'s files are in the run folder; ``total`` counts the cached reports too.
    scheduler
        The scheduler's address, e.g. ``tcp://10.0.0.5:8786``.
    run_id, run_dir, snapshot
        The run, its folder (written here, by the client) and the warehouse snapshot the reports read.
    kernel_name, warm, cwd
        The kernel, whether to start it ahead, and the notebooks' folder (used where the worker has it).
    ship_warehouse
        True: always send the snapshot's bytes; False: never (workers must read it in place); None (default):
        send them only when a worker cannot read the snapshot at the client's path.
    timeout
        Seconds to wait for the scheduler, and then for a worker (default :data:`CONNECT_TIMEOUT`).

    Returns
    -------
    dict
        What the manifest records of the cluster: the scheduler, its workers, whether the warehouse was shipped.

    Raises
    ------
    DataError
        The scheduler cannot be reached, has no worker, or a worker cannot read the snapshot and it is not shipped.
    ConfigurationError
        A worker runs other code or parameters than this client.
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    from analysis.reporting.provenance import file_sha256

    files = sorted(p for p in snapshot.parent.iterdir() if p.is_file())
    snap = {
        "folder": str(snapshot.parent.resolve()),
        "name": snapshot.name,
        "files": {p.name: (p.stat().st_size, file_sha256(p)) for p in files},
    }
    client = connect(scheduler, timeout)
    try:
        probes = _check_workers(client, scheduler, snap)
        blind = sorted(w for w, p in probes.items() if not p["readable"])
        ship = bool(blind) if ship_warehouse is None else ship_warehouse
        if blind and not ship:
            raise DataError(
                f"workers {', '.join(blind)} cannot read the warehouse snapshot {snapshot} (not there, or other "
                "bytes); share the folder with them or let the client ship a copy (leave out ship_warehouse)"
            )
        shipped = None
        if ship and specs:
            # a dict of futures, one a file; each task gets the bytes from the worker's own memory
            sent = client.scatter([p.read_bytes() for p in files], broadcast=True, hash=False)
            shipped = {p.name: fut for p, fut in zip(files, sent, strict=True)}
        run = {"run_id": run_id, "snapshot": snap, "kernel_name": kernel_name, "warm": warm, "cwd": cwd}
        notebooks: dict[str, bytes] = {}
        futures = {}
        for i, spec in specs.items():
            source = spec["input"]
            if source not in notebooks:
                notebooks[source] = Path(source).read_bytes()
            futures[
                client.submit(
                    _task,
                    {**spec, "notebook": notebooks[source]},
                    run,
                    shipped,
                    key=f"analysis-report-{run_id}-{i}",
                    pure=False,
                    retries=TASK_RETRIES,
                )
            ] = i
        bar = tqdm(
            total=total,
            initial=total - len(specs),
            disable=not progress,
            unit="rapport",
            desc="Rapporter",
            bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed} brugt, {remaining} tilbage {postfix}",
        )
        failed = 0
        try:
            for fut in as_completed(futures, loop=client.loop):
                i = futures.pop(fut)
                r = results[i]
                try:
                    out = fut.result()
                    _write_report(run_dir, specs[i]["rel"], out["blobs"])
                    out = out["result"]
                except Exception as e:  # noqa: BLE001 - a report lost to the cluster takes only itself with it
                    _write_report(run_dir, specs[i]["rel"], {})
                    out = {"status": "failed", "files": {}, "seconds": {}, "error": _lost(e)}
                fut.release()
                r.status, r.files, r.seconds, r.error = (
                    out["status"],
                    out["files"],
                    out["seconds"],
                    out["error"],
                )
                if r.status == "failed":
                    failed += 1
                    bar.write(f"FEJL  {r.notebook} {r.municipality_code} {r.function_code}: {r.error}")
                if on_done is not None:
                    on_done(i)
                bar.set_postfix_str(f"({failed} fejlet)" if failed else "")
                bar.update(1)
        finally:
            bar.close()
            for fut in futures:
                fut.cancel()
        n = len(client.scheduler_info(n_workers=-1)["workers"])
        return {"scheduler": scheduler, "workers": n, "warehouse_shipped": bool(ship and specs)}
    finally:
        try:
            client.run(_finish, run_id)
        except Exception as e:  # noqa: BLE001 - cleaning up is best effort: the scheduler may be gone
            log.warning("could not end the run on the cluster's workers: %s", e)
        client.close()


def _lost(error: BaseException) -> str:
    from distributed import KilledWorker

    if isinstance(error, KilledWorker):
        return f"the cluster lost every worker that ran this report ({error})"
    return f"worker failed: {type(error).__name__}: {error}"


def _write_report(run_dir: Path, rel: str, blobs: dict[str, bytes]) -> None:
    """Replace report ``rel``'s files in the run folder by ``blobs``, each under a temporary name, then renamed."""
    base = run_dir / rel
    try:
        for (
            suffix
        ) in SUFFIXES:  # new files, as the local pool's workers make them: never an older run's inode
            base.with_name(base.name + suffix).unlink(missing_ok=True)
        for name, data in blobs.items():
            dst = run_dir / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            partial = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.part")
            try:
                partial.write_bytes(data)
                os.replace(partial, dst)
            finally:
                partial.unlink(missing_ok=True)
    except OSError as e:
        raise DataError(f"cannot write the run folder {run_dir}: {e.strerror or e}") from None
