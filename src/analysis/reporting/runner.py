"""The batch runner: execute each report notebook with papermill, render it, and write the run's folder.

Flow of :func:`run_batch`
-------------------------
1. Expand the (already validated) batch into jobs; fingerprint the warehouse and the code.
2. Reuse from the cache every report whose notebook, parameters, inputs and code are unchanged (unless ``force``).
3. Execute the rest in bounded worker processes. Each worker is long-lived: it imports papermill, nbconvert and
   WeasyPrint once, and keeps one kernel started ahead with the libraries imported, which it hands to the next
   report and then shuts down (a kernel serves one report only: no state passes between reports). A kernel that
   fails to start is retried once with a fresh one.
4. Render each executed notebook to HTML (and PDF); a notebook that failed is kept as executed, with its error,
   but never rendered as a report.
5. Write ``manifest.json`` and ``index.html``, point ``reports/<name>/latest`` at the run, and return a summary.

The runner knows nothing of the domain beyond the names it prints in title blocks.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import datetime as dt
import json
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analysis.reporting.batch import Batch, BatchError, expand, function_name, municipality_name, project_root
from analysis.reporting.provenance import (
    code_version,
    file_sha256,
    package_versions,
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
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._start, args=(kernel_name, code, cwd, timeout), daemon=True
        )
        self._thread.start()

    def _start(self, kernel_name: str, code: str, cwd: str, timeout: float) -> None:
        try:
            from jupyter_client.manager import KernelManager

            if os.name == "posix":
                # IPC sockets (no TCP port, no "running over TCP without encryption" warning) at an absolute
                # path, since papermill changes the working directory of the client that connects later.
                ip = os.path.join(tempfile.gettempdir(), f"analysis-kernel-{uuid.uuid4().hex[:12]}")
                km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=ip)
            else:  # pragma: no cover - Windows
                km = KernelManager(kernel_name=kernel_name)
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
        if self.error is not None:
            log.warning("a kernel started ahead failed (%s); starting a fresh one", self.error)
            return None
        return self.km


def _init_worker(kernel_name: str, warm: bool, cwd: str) -> None:
    """Import the heavy libraries once per worker, quieten their logs, and start the first kernel."""
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
            km.shutdown_kernel(now=True)


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

    from analysis.reporting import render

    result: dict[str, Any] = {"status": "ok", "files": {}, "seconds": {}, "error": None}
    out_ipynb = Path(spec["output_ipynb"])
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
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
                km.shutdown_kernel(now=True)
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
        html = render.render_html(nb, meta)
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


def _cache_lookup(cache_dir: Path, key: str) -> dict[str, Any] | None:
    entry = cache_dir / key[:2] / key / "result.json"
    if not entry.exists():
        return None
    data = json.loads(entry.read_text("utf-8"))
    if all((entry.parent / Path(f).name).exists() for f in data["files"].values()):
        return data
    return None


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _cache_store(cache_dir: Path, run_dir: Path, result: ReportResult, run_id: str) -> None:
    folder = cache_dir / result.cache_key[:2] / result.cache_key
    folder.mkdir(parents=True, exist_ok=True)
    for rel in result.files.values():
        _link_or_copy(run_dir / rel, folder / Path(rel).name)
    data = {"files": result.files, "seconds": result.seconds, "run_id": result.cached_from or run_id}
    (folder / "result.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


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
        The warehouse the notebooks read (passed as their ``warehouse`` parameter); default: the default warehouse.
    notebooks_dir, reports_dir
        Where the notebooks are and where reports go; by default ``notebooks/`` and ``reports/`` of the project.
    progress
        Show a progress bar with counts and time left.
    warm_kernels
        Start each report's kernel ahead, with the libraries imported (see the module docstring).
    """
    from analysis.data import sample
    from analysis.data.warehouse import connect, default_path

    started = time.perf_counter()
    now = dt.datetime.now().astimezone()
    root = project_root()
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else root / "notebooks"
    reports_dir = Path(reports_dir) if reports_dir else root / "reports"
    run_id = _new_run_id(batch, now)
    batch_dir = reports_dir / batch.name
    run_dir = Path(output) if output else batch_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = reports_dir / ".cache"
    _check_kernel(batch.kernel)

    warehouse = Path(warehouse) if warehouse else default_path()
    if warehouse == default_path():
        sample.ensure(warehouse)  # build once here, not in every kernel at once
    con = connect(warehouse)
    try:
        inputs = {"warehouse": warehouse.name, "tables": warehouse_fingerprint(con)}
    finally:
        con.close()
    code = code_version()

    jobs = expand(batch, notebooks_dir)
    notebook_hash = {name: file_sha256(notebooks_dir / f"{name}.ipynb") for name in batch.notebooks}
    results: list[ReportResult] = []
    specs: dict[int, dict[str, Any]] = {}
    for i, job in enumerate(jobs):
        params = dict(job.parameters)
        declared = _declared(notebooks_dir, job.notebook)
        if "warehouse" in declared:
            params["warehouse"] = str(warehouse.resolve())
        key = stable_hash(
            {
                "notebook": notebook_hash[job.notebook],
                "parameters": {k: v for k, v in params.items() if k not in LOCATION_PARAMETERS},
                "inputs": inputs["tables"],
                "code": code["source_sha256"],
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
            for rel in hit["files"].values():
                _link_or_copy(cache_dir / key[:2] / key / Path(rel).name, run_dir / rel)
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
            },
        }

    n_workers = max(1, min(workers or batch.workers, len(specs) or 1))
    _execute_all(
        specs, results, n_workers, batch.kernel, progress, warm_kernels, len(jobs), str(notebooks_dir)
    )

    for i, r in enumerate(results):
        if i in specs and r.status == "ok":
            _cache_store(cache_dir, run_dir, r, run_id)
    summary = RunSummary(run_id, run_dir, results, round(time.perf_counter() - started, 2))
    manifest = _manifest(batch, batch_file, summary, now, inputs, code, n_workers, force)
    (run_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    from analysis.reporting.index import write_index

    write_index(run_dir / "index.html", batch, summary, manifest)
    _point_latest(batch_dir, run_dir)
    return summary


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
) -> None:
    """Run the specs in a pool of worker processes, updating ``results`` in place, with a progress bar."""
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
        n_workers, mp_context=ctx, initializer=_init_worker, initargs=(kernel_name, warm, cwd)
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
