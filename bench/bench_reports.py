"""Benchmark of the report pipeline: what one report costs against the floor, a batch's throughput, a cached run.

Prints, in one run:
1. the floor: papermill executing a two-cell notebook in a fresh kernel, and nbconvert's HTML export of it;
2. one benchmark report (seven A4 pages): kernel start to ready (an ordinary kernel with the imports run in it, as
   the workers used to; a kernel forked from the fork server), execution in a fresh kernel, in a kernel started
   ahead (ordinary and forked), HTML, PDF;
3. worker start: a spawned worker process until it takes a report, and until its first kernel is ready;
4. a batch of 24 benchmark reports (8 municipalities x 3 housing areas, HTML and PDF) with 2 workers: wall and
   CPU time, reports a minute, seconds per report and core against the floor (``--compare`` runs it again with
   ordinary kernels);
5. the same batch again in a new process with every report in the cache.

Run: ``.venv/bin/python bench/bench_reports.py [--repeat 3] [--compare]``. It uses the default warehouse (built
on first use) and writes only to a temporary folder. Single measures are medians of ``--repeat`` runs; batches
run once. The machine's load average is printed before and after: on a shared machine compare CPU seconds and
ratios, not wall seconds. The figures measured are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import logging
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}
REPORT = {"municipality_code": 706, "function_code": "5.38.50"}
BATCH = {
    "name": "bench",
    "municipalities": [101, 147, 165, 190, 706, 751, 461, 851],
    "function_areas": ["5.38.50", "5.38.51", "5.38.52"],
    "notebooks": ["benchmark"],
    "formats": ["html", "pdf"],
}


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def _worker_probe() -> tuple[float, float, float]:
    """In a worker: when it takes the job, when its first kernel is ready, and its own CPU seconds until it took it."""
    from analysis.reporting.workers import _WORKER

    taken = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spare = _WORKER.get("next")
    if spare is not None:
        spare._done.wait()
    return taken, time.time(), usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per single measure (median reported)")
    parser.add_argument(
        "--skip-batch", action="store_true", help="skip the 24-report batch and the cached run"
    )
    parser.add_argument("--compare", action="store_true", help="also run the batch with ordinary kernels")
    args = parser.parse_args()
    for name in ("papermill", "traitlets", "nbclient", "jupyter_client", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    print(_load(), "(start)")

    t = time.perf_counter()
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    import analysis.reporting  # noqa: F401 - defers rfc3987_syntax, as every process of the runner does

    import_s = time.perf_counter() - t
    from analysis.data import connect
    from analysis.reporting import forkserver, render
    from analysis.reporting.workers import _WORKER, WARM_IMPORTS, _WarmKernel

    connect().close()  # build the sample first, outside the timings
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    rows: list[tuple[str, float]] = [("import papermill + nbconvert (once per worker)", import_s)]

    # 1. the floor
    floor_nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("Gulv."), nbformat.v4.new_code_cell("x = 1")], metadata=KERNEL
    )
    nbformat.write(floor_nb, tmp / "floor.ipynb")
    c0 = _cpu()
    floor = _median(
        lambda: papermill.execute_notebook(
            str(tmp / "floor.ipynb"), str(tmp / "floor-out.ipynb"), kernel_name="python3", progress_bar=False
        ),
        args.repeat,
    )
    floor_cpu = (_cpu() - c0) / args.repeat  # this process and the kernels (ended, so counted)
    rows.append(("floor: papermill, two-cell notebook, fresh kernel", floor))
    rows.append(("floor: its CPU seconds (client and kernel), mean", floor_cpu))
    exporter = HTMLExporter(exclude_input=True)
    out = nbformat.read(tmp / "floor-out.ipynb", as_version=4)
    rows.append(
        (
            "floor: HTMLExporter(exclude_input=True)",
            _median(lambda: exporter.from_notebook_node(out), args.repeat),
        )
    )

    # 2. one benchmark report
    report = str(NOTEBOOKS / "benchmark.ipynb")
    executed = str(tmp / "benchmark-out.ipynb")

    def execute(km=None) -> None:
        papermill.execute_notebook(
            report,
            executed,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(NOTEBOOKS),
            parameters=REPORT,
            km=km,
        )

    rows.append(("benchmark: execute, fresh kernel", _median(execute, args.repeat)))
    server = forkserver.ForkServer(str(tmp), cwd=str(NOTEBOOKS)) if forkserver.fork_available() else None
    _WORKER["sockets"] = str(tmp)
    for label, srv in (("ordinary kernel", None), ("forked kernel", server)):
        if label == "forked kernel" and srv is None:
            continue
        _WORKER["forkserver"] = srv
        _WarmKernel("python3", WARM_IMPORTS, str(NOTEBOOKS)).take()  # the server's imports: once, not timed
        starts, runs = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            km = _WarmKernel("python3", WARM_IMPORTS, str(NOTEBOOKS)).take()
            starts.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            try:
                execute(km)
            finally:
                km.shutdown_kernel(now=True)
            runs.append(time.perf_counter() - t1)
        rows.append((f"benchmark: {label} with the imports done, start to ready", statistics.median(starts)))
        rows.append((f"benchmark: execute, {label} started ahead", statistics.median(runs)))
    _WORKER["forkserver"] = None
    if server is not None:
        server.close()
    nb = nbformat.read(executed, as_version=4)
    meta = render.ReportMeta.from_dict(
        {
            "title": "Benchmark af botilbud",
            "municipality_code": 706,
            "municipality": "Syddjurs",
            "function_code": "5.38.50",
            "function_name": "Botilbud til længerevarende ophold",
            "data_period": "2018-2025",
            "run_date": "2026-01-01",
            "run_id": "bench",
        }
    )
    render.render_html(nb, meta)  # the first call loads the template
    rows.append(("benchmark: HTML", _median(lambda: render.render_html(nb, meta), args.repeat)))
    html = render.render_html(nb, meta)
    render.render_pdf(html, tmp / "warmup.pdf")  # the first call imports WeasyPrint
    rows.append(
        ("benchmark: PDF (WeasyPrint)", _median(lambda: render.render_pdf(html, tmp / "b.pdf"), args.repeat))
    )

    # 3. worker start
    from analysis.reporting.workers import _init_worker

    ctx = multiprocessing.get_context("spawn")
    sockets = tmp / "worker-sockets"
    sockets.mkdir()
    takes, readies, cpus = [], [], []
    for _ in range(args.repeat):
        t0 = time.time()
        initargs = ("python3", True, str(NOTEBOOKS), os.getpid(), str(sockets), None)
        with cf.ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker, initargs=initargs) as pool:
            taken, ready, cpu = pool.submit(_worker_probe).result()
        takes.append(taken - t0)
        readies.append(ready - t0)
        cpus.append(cpu)
    rows.append(("worker start: spawned until it takes a report", statistics.median(takes)))
    rows.append(("worker start: its CPU seconds until then", statistics.median(cpus)))
    rows.append(("worker start: until its first kernel is ready", statistics.median(readies)))

    print(f"\n{'measure':<66} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<66} {seconds:>8.2f}")
    print(_load())
    if args.skip_batch:
        return

    # 4. a batch of 24 benchmark reports, 2 workers
    import yaml

    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    batch_file = tmp / "bench.yaml"
    batch_file.write_text(yaml.safe_dump(BATCH), encoding="utf-8")
    batch = load_batch(batch_file)
    n = len(BATCH["municipalities"]) * len(BATCH["function_areas"])
    print(
        f"\n{f'batch of {n} benchmark reports, HTML + PDF, 2 workers':<52} {'wall s':>7} {'CPU s':>7} "
        f"{'reports/min':>11} {'s/report/core':>13} {'x floor':>7}"
    )
    modes = [("forked kernels", "1")] + ([("ordinary kernels", "0")] if args.compare else [])
    for label, fork in modes:
        os.environ[forkserver.FORK_ENV] = fork
        c0 = _cpu()
        summary = run_batch(batch, workers=2, force=True, reports_dir=tmp / f"reports-{fork}", progress=False)
        cpu = _cpu() - c0
        assert not summary.failed, [r.error for r in summary.failed]
        per_core = summary.seconds * 2 / n
        print(
            f"{label:<52} {summary.seconds:>7.1f} {cpu:>7.1f} {n / summary.seconds * 60:>11.1f} "
            f"{per_core:>13.2f} {per_core / floor:>7.1f}"
        )
        print(
            f"  CPU per report {cpu / n:.2f} s = {cpu / n / floor_cpu:.1f} x the floor's CPU "
            f"{floor_cpu:.2f} s; {_load()}"
        )
    os.environ.pop(forkserver.FORK_ENV, None)

    # 5. the same batch, every report in the cache, in a new process (what `analysis run` does)
    code = (
        "import time; t = time.perf_counter()\n"
        "from analysis.reporting.batch import load_batch\n"
        "from analysis.reporting.runner import run_batch\n"
        f"s = run_batch(load_batch({str(batch_file)!r}), reports_dir={str(tmp / 'reports-1')!r}, progress=False)\n"
        "import json, sys; print(json.dumps([s.counts(), time.perf_counter() - t]))\n"
    )
    cached = []
    for _ in range(args.repeat):
        c0, t0 = _cpu(), time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        counts, inner = json.loads(done.stdout.strip().splitlines()[-1])
        assert counts["cached"] == n, counts
        cached.append((time.perf_counter() - t0, _cpu() - c0))
    wall, cpu = statistics.median(w for w, _ in cached), statistics.median(c for _, c in cached)
    print(
        f"\ncached run of the {n} reports, new process: {wall:.2f} s wall, {cpu:.2f} s CPU (median of {args.repeat})"
    )
    print(_load(), "(end)")


if __name__ == "__main__":
    main()
