"""Benchmark of the report pipeline: what one report costs, against the floor, and a batch's throughput.

Prints:
1. the floor: papermill executing a two-cell notebook in a fresh kernel, and nbconvert's HTML export of it;
2. the overview report's cost: execution in a fresh kernel and in a kernel started ahead with the imports done
   (as the runner's workers do), HTML rendering, PDF rendering;
3. a batch of 12 overview reports (4 municipalities x 3 function areas, HTML and PDF) with 1 and 2 workers:
   wall time and reports per minute.

Run: ``.venv/bin/python bench/bench_reports.py [--repeat 3]``. It uses the default warehouse (built on first
use) and writes only to a temporary folder. Figures are medians of ``--repeat`` runs; the batch runs once per
worker count. The results measured on the reference machine are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--skip-batch", action="store_true", help="skip the 12-report batch")
    args = parser.parse_args()
    for name in ("papermill", "traitlets", "nbclient", "jupyter_client", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)

    t = time.perf_counter()
    import papermill
    from nbconvert import HTMLExporter

    import_s = time.perf_counter() - t
    from analysis.data import connect
    from analysis.reporting import render
    from analysis.reporting.workers import WARM_IMPORTS, _WarmKernel

    connect().close()  # build the sample first, outside the timings
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    rows: list[tuple[str, float]] = [("import papermill + nbconvert (once per process)", import_s)]

    # 1. the floor
    floor = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("Gulv."), nbformat.v4.new_code_cell("x = 1")], metadata=KERNEL
    )
    nbformat.write(floor, tmp / "floor.ipynb")
    rows.append(
        (
            "floor: papermill, two-cell notebook, fresh kernel",
            _median(
                lambda: papermill.execute_notebook(
                    str(tmp / "floor.ipynb"),
                    str(tmp / "floor-out.ipynb"),
                    kernel_name="python3",
                    progress_bar=False,
                ),
                args.repeat,
            ),
        )
    )
    exporter = HTMLExporter(exclude_input=True)
    out = nbformat.read(tmp / "floor-out.ipynb", as_version=4)
    rows.append(
        (
            "floor: HTMLExporter(exclude_input=True)",
            _median(lambda: exporter.from_notebook_node(out), args.repeat),
        )
    )

    # 2. the overview report
    overview = str(ROOT / "notebooks" / "overview.ipynb")
    executed = str(tmp / "overview-out.ipynb")
    rows.append(
        (
            "overview: execute, fresh kernel",
            _median(
                lambda: papermill.execute_notebook(
                    overview, executed, kernel_name="python3", progress_bar=False, cwd=str(ROOT / "notebooks")
                ),
                args.repeat,
            ),
        )
    )

    def warm_run() -> float:
        warm = _WarmKernel("python3", WARM_IMPORTS, str(ROOT / "notebooks"))
        km = warm.take()  # wait until it is ready: only the report's own execution is timed
        t = time.perf_counter()
        try:
            papermill.execute_notebook(
                overview,
                executed,
                kernel_name="python3",
                progress_bar=False,
                cwd=str(ROOT / "notebooks"),
                km=km,
            )
        finally:
            km.shutdown_kernel(now=True)
        return time.perf_counter() - t

    rows.append(
        (
            "overview: execute, kernel started ahead with imports done",
            statistics.median(warm_run() for _ in range(args.repeat)),
        )
    )
    nb = nbformat.read(executed, as_version=4)
    nb.metadata["analysis_report"] = {
        "title": "Udgifter, pris og mængde",
        "municipality_code": 706,
        "municipality": "Syddjurs",
        "function_code": "5.38.50",
        "function_name": "Botilbud til længerevarende ophold",
        "data_period": "2018-2025",
        "run_date": "2026-01-01",
        "run_id": "bench",
    }
    meta = render.ReportMeta.from_notebook(nb)
    render.render_html(nb, meta)  # first call loads the template
    rows.append(("overview: HTML", _median(lambda: render.render_html(nb, meta), args.repeat)))
    html = render.render_html(nb, meta)
    render.render_pdf(html, tmp / "warmup.pdf")  # first call imports WeasyPrint
    rows.append(
        ("overview: PDF (WeasyPrint)", _median(lambda: render.render_pdf(html, tmp / "o.pdf"), args.repeat))
    )

    print(f"{'measure':<60} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<60} {seconds:>8.2f}")

    # 3. a batch of 12 reports
    if args.skip_batch:
        return
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    batch_file = tmp / "bench.yaml"
    batch_file.write_text(
        yaml.safe_dump(
            {
                "name": "bench",
                "municipalities": [165, 190, 706, 751],
                "function_areas": ["5.38.50", "5.38.51", "5.38.52"],
                "notebooks": ["overview"],
                "formats": ["html", "pdf"],
            }
        ),
        encoding="utf-8",
    )
    batch = load_batch(batch_file)
    print(f"\n{'batch of 12 overview reports, HTML + PDF':<44} {'seconds':>8} {'reports/min':>12}")
    for workers in (1, 2):
        summary = run_batch(batch, workers=workers, force=True, reports_dir=tmp / "reports", progress=False)
        assert not summary.failed, summary.failed
        print(f"{f'{workers} worker(s)':<44} {summary.seconds:>8.1f} {12 / summary.seconds * 60:>12.1f}")


if __name__ == "__main__":
    main()
