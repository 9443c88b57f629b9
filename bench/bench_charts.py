"""What the reports' charts cost in CPU seconds, per chart, and every chart's PNG for a before/after comparison.

The code cells of the sample's report notebooks are run in this process (no kernel), as a kernel runs them: the
parameter cell, the batch's parameters, then every cell; ``display`` and ``fmt.show`` of a figure make its PNG as
the kernel's image formatter does (:func:`analysis.reporting.charts.figure_png`), and the PNGs a cell embeds in
HTML (:func:`analysis.reporting.charts.figure_html`) are taken from that HTML. The cells that show charts are
then run ``--repeat`` times more, in order as the report runs them, each time without what the charts keep for
the process from earlier passes (``_forget``: a new kernel has nothing kept); their CPU seconds
(``time.process_time``) are reported per chart cell, median, with the sum per report.

Run: ``.venv/bin/python bench/bench_charts.py [--repeat 5] [--reports benchmark-706-5.38.50,...] [--dump DIR]``;
``--list`` names the reports. ``--dump DIR`` writes every chart's PNG there (``<report>-<n>.png``);
``--compare DIR1 DIR2`` compares two such folders by their decoded pixels (Pillow, numpy; as RGBA, so that an
opaque RGBA PNG and its RGB version are the same picture) and by size, and exits non-zero when a picture
differs. Before/after: dump and time one checkout (``PYTHONPATH=<copy>/src``, e.g. a ``git archive`` of main),
then the other, back to back; on a shared machine compare CPU seconds.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

#: (report name, notebook, parameters beside the notebook's defaults), the sample's batches in brief.
REPORTS: list[tuple[str, str, dict]] = [
    *[
        (f"benchmark-{m}-{f}", "benchmark", {"municipality_code": m, "function_code": f, "k": 10})
        for m, f in [
            (706, "5.38.50"),
            (706, "5.38.51"),
            (706, "5.38.52"),
            (101, "5.38.50"),
            (165, "5.38.51"),
            (751, "5.38.52"),
            (706, "5.28.21"),
        ]
    ],
    ("area-706-5.38", "area", {"municipality_code": 706, "main_function": "5.38", "k": 10}),
    ("area-706-5.28", "area", {"municipality_code": 706, "main_function": "5.28", "k": 10}),
    ("overview-706-5.38.50", "overview", {"municipality_code": 706, "function_code": "5.38.50"}),
    ("overview-165-5.38.51", "overview", {"municipality_code": 165, "function_code": "5.38.51"}),
    (
        "forecast-706-5.38.50",
        "forecast",
        {"municipality_code": 706, "function_code": "5.38.50", "as_of_month": 9},
    ),
    *[
        (f"cross_sector-{m}", "cross_sector", {"municipality_code": m, "as_of_month": 9})
        for m in (165, 190, 706)
    ],
    ("budget-706", "budget", {"municipality_code": 706, "budget_year": 2026}),
    *[
        (f"staffing-{m}", "staffing", {"municipality_code": m, "offer_file": "parameters/offers"})
        for m in (165, 190, 706)
    ],
    (
        "steering_models-706",
        "steering_models",
        {"municipality_code": 706, "function_code": "5.38.50", "first_year": 2020, "threshold": 0.05},
    ),
]

# the function whose figure a cell shows: fmt.show(charts.gap_waterfall(page)) -> gap_waterfall
_CHART_CALL = re.compile(r"(?:show|display|figure_html)\(\s*(?:[\w.]+\.)?(\w+)\(")
_DATA_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


class _Display:
    """``IPython.display.display`` in this process: a figure becomes its PNG, HTML gives up its embedded PNGs."""

    def __init__(self) -> None:
        self.pngs: list[bytes] = []

    def __call__(self, *objects, **kwargs) -> None:
        from matplotlib.figure import Figure

        from analysis.reporting import charts

        for obj in objects:
            if isinstance(obj, Figure):
                png = charts.figure_png(obj)
                if png is not None:
                    self.pngs.append(png[0])
            else:
                html = getattr(obj, "data", None)
                if isinstance(html, str):
                    self.pngs.extend(base64.b64decode(m) for m in _DATA_PNG.findall(html))


def _code_cells(notebook: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _run_report(
    notebook: str, parameters: dict, repeat: int, shown: _Display
) -> list[tuple[str, list[float]]]:
    """Run the notebook's cells; then its chart cells ``repeat`` times, timed. (chart names, CPU seconds) per cell."""
    cells = _code_cells(notebook)
    namespace: dict = {"__name__": "__main__"}
    exec(cells[0], namespace)  # the parameter cell: the notebook's defaults
    namespace.update(parameters)
    chart_cells = []
    for source in cells[1:]:
        code = compile(source, notebook, "exec")
        start = len(shown.pngs)
        exec(code, namespace)
        if len(shown.pngs) > start:  # a chart cell
            names = [n for n in _CHART_CALL.findall(source) if n not in ("HTML", "Markdown")]
            chart_cells.append((", ".join(names) or source.strip().splitlines()[0][:50], code))
    pngs = list(shown.pngs)
    timings = [(names, []) for names, _ in chart_cells]
    for _ in range(repeat):  # the report's chart cells in order, as a kernel runs them once
        _forget()
        for (_, code), (_, seconds) in zip(chart_cells, timings, strict=True):
            t0 = time.process_time()
            exec(code, namespace)
            seconds.append(time.process_time() - t0)
    shown.pngs[:] = pngs  # the first run's PNGs only
    return timings


def _forget() -> None:
    """Forget what charts keep for the process (the texts measured and shaped), as a new kernel has nothing kept.

    Matplotlib's own caches (font files found and opened) stay warm, before and after alike.
    """
    from analysis.reporting import charts

    kept = getattr(charts, "_KEPT_TEXT", None)
    if kept is not None:
        kept.clear()


def _compare(before: Path, after: Path) -> int:
    import numpy as np
    from PIL import Image

    names = sorted({p.name for p in before.glob("*.png")} | {p.name for p in after.glob("*.png")})
    differ, size_a, size_b = 0, 0, 0
    for name in names:
        a, b = before / name, after / name
        if not (a.exists() and b.exists()):
            print(f"{name}: only in {'before' if a.exists() else 'after'}")
            differ += 1
            continue
        ia, ib = Image.open(a), Image.open(b)
        # an opaque RGBA PNG written as RGB shows the same picture: compared as RGBA
        pa, pb = np.asarray(ia.convert("RGBA")), np.asarray(ib.convert("RGBA"))
        size_a, size_b = size_a + a.stat().st_size, size_b + b.stat().st_size
        same = ia.size == ib.size and np.array_equal(pa, pb)
        if not same:
            differ += 1
        print(
            f"{name}: {ia.mode} {ia.size} / {ib.mode} {ib.size}, {a.stat().st_size / 1e3:.1f} / "
            f"{b.stat().st_size / 1e3:.1f} kB, {'same pixels' if same else 'PIXELS DIFFER'}"
        )
    print(
        f"{len(names)} PNGs, {len(names) - differ} with the same pixels, {differ} differ; "
        f"{size_a / 1e3:.0f} kB before, {size_b / 1e3:.0f} kB after"
    )
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs of each chart cell (median reported)"
    )
    parser.add_argument(
        "--reports", default="benchmark-706-5.38.50", help="comma-separated report names, or 'all'"
    )
    parser.add_argument("--dump", type=Path, help="write every chart's PNG into this folder")
    parser.add_argument(
        "--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"), help="compare two dumps"
    )
    parser.add_argument("--list", action="store_true", help="name the reports and stop")
    args = parser.parse_args()
    if args.compare:
        sys.exit(_compare(*args.compare))
    if args.list:
        for name, notebook, parameters in REPORTS:
            print(name, notebook, parameters)
        return
    wanted = [r for r in REPORTS if args.reports == "all" or r[0] in args.reports.split(",")]
    if not wanted:
        sys.exit(f"no such report: {args.reports} (see --list)")

    import matplotlib

    matplotlib.use("Agg")
    import IPython.display

    import analysis.reporting  # noqa: F401 - defers rfc3987_syntax, as the runner's processes do
    from analysis.data import connect

    connect().close()  # build the sample first, outside the timings
    shown = _Display()
    IPython.display.display = shown  # what the notebooks import, and what fmt.show calls
    os.chdir(NOTEBOOKS)  # the kernels' working directory
    import matplotlib as mpl

    print(
        f"matplotlib {mpl.__version__}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (start)"
    )
    total = []
    for name, notebook, parameters in wanted:
        shown.pngs.clear()
        with mpl.rc_context():
            timings = _run_report(notebook, parameters, args.repeat, shown)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            for i, png in enumerate(shown.pngs):
                (args.dump / f"{name}-{i}.png").write_bytes(png)
        medians = [statistics.median(s) for _, s in timings]
        total.append(sum(medians))
        print(f"\n{name}: {len(shown.pngs)} PNGs, {sum(len(p) for p in shown.pngs) / 1e3:.0f} kB")
        for (charts, seconds), med in zip(timings, medians, strict=True):
            spread = f"{min(seconds):.3f}-{max(seconds):.3f}"
            print(f"  {med:7.3f} s CPU (runs {spread})  {charts}")
        print(f"  {sum(medians):7.3f} s CPU, the chart cells of the report (sum of medians)")
    if len(total) > 1:
        print(f"\nall {len(total)} reports: {sum(total):.3f} s CPU in chart cells")
    print(f"load average {os.getloadavg()[0]:.1f} (end)")


if __name__ == "__main__":
    main()
