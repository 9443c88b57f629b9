"""Benchmark of a report's PDF: :func:`render_pdf` against the routes it replaced, in one process.

Makes one benchmark report (``notebooks/benchmark.ipynb``, Syddjurs, 5.38.50, on the default warehouse) with the
runner (or takes ``--html FILE``), then prints WeasyPrint's time for its PDF three ways, each as the first call of
the process (fonts found, stylesheets parsed) and as the median of ``--repeat`` later calls (what a long-lived
worker pays per report), in wall time and in the process's CPU time (steadier on a shared machine), with the
machine's load average:

1. ``render_pdf``: :func:`analysis.reporting.render.render_pdf` as it is: the print stylesheets with their
   custom properties written in (parsed once per process, one font configuration per process), the lean print
   markup, the images served from memory, no cyclic garbage collection during the render;
2. ``print CSS as written``: the route before that: the head's stylesheets dropped, ``print.css`` + ``report.css``
   as written (``var()`` resolved by WeasyPrint per element), the body as it is (images as base64 ``data:``
   URLs), the garbage collector on;
3. ``full CSS``: the HTML as the report file has it, every ``<style>`` of its head laid out (JupyterLab's
   ~250 kB stylesheet, its theme, Pygments and report.css): how PDFs were made before the print stylesheet.

Run: ``.venv/bin/python bench/bench_pdf.py [--repeat 5] [--keep DIR] [--html FILE] [--no-full]``; ``--keep``
writes the PDFs to DIR for a visual comparison (``pdftoppm -r 60 -png DIR/now.pdf DIR/now``). Writes only to a
temporary folder otherwise. The results measured on the reference machine are in docs/performance.md.

``--kinds benchmark,area,overview,cross_sector,staffing`` times, instead, the HTML export
(:func:`~analysis.reporting.render.render_html` of the executed notebook, as a worker calls it) and ``render_pdf``
of one report of each of these notebooks (Syddjurs, 5.38.50, ``show_persons: true`` where a notebook declares
it), taking turns, in the process's CPU time and wall time. ``--keep DIR`` then writes ``DIR/<kind>.html`` and
``DIR/<kind>.pdf`` (to compare two versions of the code: run each with ``--keep``) and keeps the executed
notebooks in ``DIR/reports``; ``--executed DIR`` takes the executed notebooks from such a folder instead of
running them again.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
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


def _kind_reports(tmp: Path, kinds: list[str]) -> dict[str, Path]:
    """One executed notebook per kind, made by the runner (Syddjurs, 5.38.50), by kind."""
    from analysis.reporting.batch import load_batch, notebook_parameters
    from analysis.reporting.runner import run_batch

    # show_persons only where a chosen notebook declares it: the batch refuses a parameter no notebook takes
    declares = any("show_persons" in notebook_parameters(ROOT / "notebooks" / f"{k}.ipynb") for k in kinds)
    batch_file = tmp / "bench-pdf-kinds.yaml"
    batch_file.write_text(
        yaml.safe_dump(
            {
                "name": "bench-pdf-kinds",
                "municipalities": [706],
                "function_areas": ["5.38.50"],
                "notebooks": kinds,
                "formats": ["html"],
                "parameters": {"show_persons": True} if declares else {},
            }
        ),
        encoding="utf-8",
    )
    summary = run_batch(load_batch(batch_file), workers=1, reports_dir=tmp / "reports", progress=False)
    assert not summary.failed, summary.failed
    return {r.notebook: summary.folder / r.files["ipynb"] for r in summary.reports}


def _executed(folder: Path, kinds: list[str]) -> dict[str, Path]:
    """The executed notebooks of an earlier ``--kinds ... --keep`` run, by kind (the newest run of the folder)."""
    import json

    manifests = sorted(
        folder.glob("reports/bench-pdf-kinds/*/manifest.json"), key=lambda p: p.stat().st_mtime
    )
    if not manifests:
        raise SystemExit(f"no executed reports in {folder}/reports (make them with --keep {folder})")
    manifest = json.loads(manifests[-1].read_text("utf-8"))
    found = {r["notebook"]: manifests[-1].parent / r["files"]["ipynb"] for r in manifest["reports"]}
    missing = [k for k in kinds if k not in found]
    if missing:
        raise SystemExit(f"{folder} has no executed report of {', '.join(missing)}")
    return {k: found[k] for k in kinds}


def _bench_kinds(args: argparse.Namespace) -> None:
    """HTML export and PDF of one report per kind: medians of CPU and wall time of later calls."""
    import nbformat
    from pypdf import PdfReader

    from analysis.reporting import headline, render

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    out.mkdir(parents=True, exist_ok=True)
    notebooks = _executed(Path(args.executed), kinds) if args.executed else _kind_reports(out, kinds)
    import weasyprint  # noqa: F401 - imported before the timings

    routes, names = [], []
    for kind in kinds:
        nb = nbformat.read(notebooks[kind], as_version=4)
        meta = render.ReportMeta.from_notebook(nb)
        nb = headline.without(nb)  # as the worker renders it
        html_path, pdf_path = out / f"{kind}.html", out / f"{kind}.pdf"
        html_path.write_text(render.render_html(nb, meta), encoding="utf-8")

        def export(nb=nb, meta=meta, html_path=html_path) -> None:
            html_path.write_text(render.render_html(nb, meta), encoding="utf-8")

        def pdf(html_path=html_path, pdf_path=pdf_path) -> None:
            render.render_pdf(html_path.read_text("utf-8"), pdf_path)

        routes += [export, pdf]
        names += [(kind, "HTML"), (kind, "PDF")]
    load = os.getloadavg()
    timings = _time(routes, args.repeat)
    load_after = os.getloadavg()
    print(f"median of {args.repeat} later calls per report (Syddjurs, 5.38.50)")
    print(
        f"{'report':<14} {'step':<5} {'first, s':>9} {'later, s':>9} {'later, CPU s':>13} {'pages':>6} {'kB':>7}"
    )
    total = {"HTML": 0.0, "PDF": 0.0}
    for (kind, step), (first, wall, cpu) in zip(names, timings, strict=True):
        path = out / f"{kind}.{step.lower()}"
        pages = len(PdfReader(path).pages) if step == "PDF" else ""
        total[step] += cpu
        print(
            f"{kind:<14} {step:<5} {first:>9.2f} {wall:>9.2f} {cpu:>13.3f} {pages:>6} {path.stat().st_size / 1e3:>7.0f}"
        )
    print(f"{'all':<14} {'HTML':<5} {'':>9} {'':>9} {total['HTML']:>13.3f}")
    print(f"{'all':<14} {'PDF':<5} {'':>9} {'':>9} {total['PDF']:>13.3f}")
    print(f"load average {load[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} cores")


def _full_css(html: str, path: Path) -> None:
    """The PDF as it was made before the print stylesheet: the HTML with all its stylesheets, as it is."""
    import weasyprint

    from analysis.reporting import render

    weasyprint.HTML(string=html, url_fetcher=render._offline_fetcher(weasyprint)).write_pdf(path)


def _print_css_as_written(html: str, path: Path) -> None:
    """The PDF as render_pdf made it before the lean route: print.css + report.css as written, the body as is."""
    import weasyprint

    from analysis.reporting import render

    weasy, fonts, _ = render._pdf_setup()  # the font configuration and the image pass-through, as before
    sheets = _written_sheets(fonts)
    head = re.search(r"<head\b.*?</head>", html, re.DOTALL | re.IGNORECASE)
    page = (
        html[: head.start()]
        + re.sub(r"<style\b.*?</style>", "", head[0], flags=re.DOTALL)
        + html[head.end() :]
    )
    document = weasyprint.HTML(string=page, url_fetcher=render._offline_fetcher(weasy))
    document.render(stylesheets=sheets, font_config=fonts).write_pdf(path)


_SHEETS: list = []


def _written_sheets(fonts) -> list:
    """print.css and report.css parsed as written, once (as the route before parsed them once per process)."""
    import weasyprint

    from analysis.reporting import render

    if not _SHEETS:
        _SHEETS.extend(
            weasyprint.CSS(string=p.read_text("utf-8"), font_config=fonts)
            for p in (render.PRINT_CSS, render.REPORT_CSS)
        )
    return _SHEETS


def _time(routes, repeat: int) -> list[tuple[float, float, float]]:
    """Per route: wall time of its first call; medians of the wall and CPU time of ``repeat`` later calls.

    The later calls take turns (ABC CBA ...), so that a change of the machine's load falls on every route alike.
    """
    firsts = []
    for fn in routes:
        t = time.perf_counter()
        fn()
        firsts.append(time.perf_counter() - t)
    walls, cpus = [[] for _ in routes], [[] for _ in routes]
    for r in range(repeat):
        order = list(range(len(routes)))
        for i in order if r % 2 == 0 else order[::-1]:
            t, c = time.perf_counter(), time.process_time()
            routes[i]()
            walls[i].append(time.perf_counter() - t)
            cpus[i].append(time.process_time() - c)
    return [
        (first, statistics.median(w), statistics.median(c))
        for first, w, c in zip(firsts, walls, cpus, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="later calls timed (median reported)")
    parser.add_argument("--html", help="time this report's HTML instead of making a benchmark report")
    parser.add_argument("--keep", help="write now.pdf, written.pdf and full.pdf to this folder")
    parser.add_argument("--no-full", action="store_true", help="leave out the full-CSS route (the slowest)")
    parser.add_argument(
        "--kinds", help="comma-separated notebooks: time HTML export and PDF of one report of each instead"
    )
    parser.add_argument("--executed", help="with --kinds: the executed notebooks of an earlier --keep folder")
    args = parser.parse_args()
    for name in ("papermill", "traitlets", "nbclient", "jupyter_client", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if args.kinds:
        _bench_kinds(args)
        return
    from pypdf import PdfReader

    from analysis.reporting import render

    tmp = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    html_path = Path(args.html) if args.html else _report(tmp)
    html = html_path.read_text("utf-8")
    out = Path(args.keep) if args.keep else tmp
    out.mkdir(parents=True, exist_ok=True)
    import weasyprint  # noqa: F401 - imported before the timings (both routes need it)

    routes = [
        ("render_pdf (now)", lambda: render.render_pdf(html, out / "now.pdf"), out / "now.pdf"),
        (
            "print CSS as written",
            lambda: _print_css_as_written(html, out / "written.pdf"),
            out / "written.pdf",
        ),
    ]
    if not args.no_full:
        routes.append(("full CSS (before)", lambda: _full_css(html, out / "full.pdf"), out / "full.pdf"))
    load = os.getloadavg()
    timings = _time([fn for _, fn, _ in routes], args.repeat)
    rows = [
        (name, *timing, len(PdfReader(pdf).pages), pdf.stat().st_size / 1e3)
        for (name, _, pdf), timing in zip(routes, timings, strict=True)
    ]
    load_after = os.getloadavg()
    print(f"PDF of {html_path.name} ({len(html) / 1e3:,.0f} kB of HTML), median of {args.repeat} later calls")
    print(f"{'route':<24} {'first call, s':>14} {'later, s':>9} {'later, CPU s':>13} {'pages':>6} {'kB':>7}")
    for name, first, wall, cpu, pages, kb in rows:
        print(f"{name:<24} {first:>14.2f} {wall:>9.2f} {cpu:>13.3f} {pages:>6} {kb:>7.0f}")
    print(f"load average {load[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
