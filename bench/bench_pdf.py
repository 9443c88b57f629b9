"""Benchmark of a report's PDF: the print stylesheet route against laying out JupyterLab's whole stylesheet.

Makes one benchmark report (``notebooks/benchmark.ipynb``, Syddjurs, 5.38.50, on the default warehouse) with the
runner, then prints WeasyPrint's time for its PDF two ways, each as the first call of the process (fonts found,
stylesheets parsed) and as the median of ``--repeat`` later calls (what a long-lived worker pays per report),
in wall time and in the process's CPU time (steadier on a shared machine):

1. ``full CSS``: the HTML as the report file has it, every ``<style>`` of its head laid out (JupyterLab's
   ~250 kB stylesheet, its theme, Pygments and report.css): how PDFs were made before the print stylesheet;
2. ``print CSS``: :func:`analysis.reporting.render.render_pdf`, the head's stylesheets replaced by
   ``print.css`` + ``report.css``, parsed once per process, with one font configuration per process.

Run: ``.venv/bin/python bench/bench_pdf.py [--repeat 5] [--keep DIR]``; ``--keep`` writes both PDFs to DIR for a
visual comparison (``pdftoppm -r 50 -png DIR/full.pdf DIR/full``). Writes only to a temporary folder otherwise.
The results measured on the reference machine are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _report(tmp: Path) -> Path:
    """One benchmark report's HTML, made by the runner."""
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    batch_file = tmp / "bench-pdf.yaml"
    batch_file.write_text(
        yaml.safe_dump(
            {
                "name": "bench-pdf",
                "municipalities": [706],
                "function_areas": ["5.38.50"],
                "notebooks": ["benchmark"],
                "formats": ["html"],
            }
        ),
        encoding="utf-8",
    )
    summary = run_batch(load_batch(batch_file), workers=1, reports_dir=tmp / "reports", progress=False)
    assert not summary.failed, summary.failed
    return summary.folder / summary.reports[0].files["html"]


def _full_css(html: str, path: Path) -> None:
    """The PDF as it was made before the print stylesheet: the HTML with all its stylesheets, as it is."""
    import weasyprint

    from analysis.reporting import render

    weasyprint.HTML(string=html, url_fetcher=render._offline_fetcher(weasyprint)).write_pdf(path)


def _time(fn, repeat: int) -> tuple[float, float, float]:
    """Wall time of the first call; medians of the wall and CPU time of ``repeat`` later calls."""
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return first, statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="later calls timed (median reported)")
    parser.add_argument("--html", help="time this report's HTML instead of making a benchmark report")
    parser.add_argument("--keep", help="write full.pdf and print.pdf to this folder")
    args = parser.parse_args()
    for name in ("papermill", "traitlets", "nbclient", "jupyter_client", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from pypdf import PdfReader

    from analysis.reporting import render

    tmp = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    html_path = Path(args.html) if args.html else _report(tmp)
    html = html_path.read_text("utf-8")
    out = Path(args.keep) if args.keep else tmp
    out.mkdir(parents=True, exist_ok=True)
    import weasyprint  # noqa: F401 - imported before the timings (both routes need it)

    rows = []
    for name, fn, pdf in (
        ("print CSS (render_pdf)", lambda: render.render_pdf(html, out / "print.pdf"), out / "print.pdf"),
        ("full CSS (before)", lambda: _full_css(html, out / "full.pdf"), out / "full.pdf"),
    ):
        first, wall, cpu = _time(fn, args.repeat)
        rows.append((name, first, wall, cpu, len(PdfReader(pdf).pages), pdf.stat().st_size / 1e3))
    print(f"PDF of {html_path.name} ({len(html) / 1e3:,.0f} kB of HTML)")
    print(f"{'route':<26} {'first call, s':>14} {'later, s':>9} {'later, CPU s':>13} {'pages':>6} {'kB':>7}")
    for name, first, wall, cpu, pages, kb in rows:
        print(f"{name:<26} {first:>14.2f} {wall:>9.2f} {cpu:>13.2f} {pages:>6} {kb:>7.0f}")


if __name__ == "__main__":
    main()
