"""What executing one report costs in a kernel forked from the fork server and started ahead, in wall and CPU seconds.

The part of a report that ``bench_reports.py`` calls "execute, forked kernel started ahead", measured as a worker
runs it (``workers._execute``: papermill, the asynchronous client, one write at the end), with its CPU seconds split
into the worker's (papermill's client: this process) and the kernel's (read from ``/proc`` before it is shut down;
the kernel's start before it is taken is not counted in them but printed beside them: its CPU seconds from the fork
to the end of the worker's warm-up code, ``start``). Each run gets a new forked kernel, as a report does.

Run: ``.venv/bin/python bench/bench_execute.py [--repeat 5] [--notebook benchmark] [--cells]``. ``--cells`` also
prints the kernel's CPU seconds per code cell (IPython's pre/post_run_cell events around ``time.process_time``),
median over the runs. It prints the load average before and after: on a shared machine compare CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PARAMETERS = {
    "benchmark": {"municipality_code": 706, "function_code": "5.38.50"},
    "overview": {"municipality_code": 706},
    "area": {"municipality_code": 706, "function_code": "5.38.50"},
}
# Run in the kernel before the report: IPython events that add each code cell's CPU seconds to a list.
CELL_TIMER = (
    "import time as _t\n"
    "_cell_cpu = []\n"
    "def _pre(*a):\n"
    "    _cell_cpu.append([_t.process_time(), _t.time()])\n"
    "def _post(*a):\n"
    "    _cell_cpu[-1] += [_t.process_time(), _t.time()]\n"
    "get_ipython().events.register('pre_run_cell', _pre)\n"
    "get_ipython().events.register('post_run_cell', _post)\n"
)


def _load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far, all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _self_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="reports executed (median reported)")
    parser.add_argument("--notebook", default="benchmark", help="report notebook (default benchmark)")
    parser.add_argument("--cells", action="store_true", help="also the kernel's CPU seconds per code cell")
    parser.add_argument(
        "--twice",
        action="store_true",
        help="execute the report a second time in the same kernel (shows the kernel's first-use costs)",
    )
    args = parser.parse_args()
    for name in ("papermill", "traitlets", "nbclient", "jupyter_client"):
        logging.getLogger(name).setLevel(logging.ERROR)
    print(_load(), "(start)")

    import analysis.reporting  # noqa: F401 - defers rfc3987_syntax, as every process of the runner does
    from analysis.data import connect
    from analysis.reporting import forkserver
    from analysis.reporting.workers import _WORKER, WARM_IMPORTS, _execute, _WarmKernel

    connect().close()  # build the sample first, outside the timings
    if not forkserver.fork_available():
        sys.exit("the fork server is not available here")
    tmp = Path(tempfile.mkdtemp(prefix="bench-execute-"))
    server = forkserver.ForkServer(str(tmp), cwd=str(NOTEBOOKS))
    _WORKER["sockets"] = str(tmp)
    _WORKER["forkserver"] = server
    warm = WARM_IMPORTS + (CELL_TIMER if args.cells else "")
    spec = {
        "input": str(NOTEBOOKS / f"{args.notebook}.ipynb"),
        "output_ipynb": str(tmp / "out.ipynb"),
        "parameters": PARAMETERS.get(args.notebook, {}),
        "kernel_name": "python3",
        "timeout": 600,
        "cwd": str(NOTEBOOKS),
    }
    rows, cells, seconds, starts = [], [], [], []
    try:
        km = _WarmKernel("python3", warm, str(NOTEBOOKS)).take()  # the server's imports: once, not timed
        km.shutdown_kernel(now=True)
        for i in range(args.repeat + 1):  # the first run is a warm-up of this process (papermill's imports)
            km = _WarmKernel("python3", warm, str(NOTEBOOKS)).take()
            pid = km.provisioner.pid
            k0, c0, t0 = _proc_cpu(pid), _self_cpu(), time.perf_counter()  # a forked child's CPU starts at 0
            nb = _execute(spec, km)
            wall, client, kernel = time.perf_counter() - t0, _self_cpu() - c0, _proc_cpu(pid) - k0
            if args.twice:
                k0, c0, t0 = _proc_cpu(pid), _self_cpu(), time.perf_counter()
                _execute(spec, km)
                again = (time.perf_counter() - t0, _self_cpu() - c0, _proc_cpu(pid) - k0)
                if i > 0:
                    seconds.append(again)
            if args.cells:
                km.client_class = "jupyter_client.blocking.BlockingKernelClient"
                kc = km.client()
                kc.start_channels()
                reply = kc.execute_interactive(
                    "print(__import__('json').dumps(_cell_cpu))",
                    output_hook=lambda m: m["msg_type"] == "stream" and cells.append(m["content"]["text"]),
                    timeout=30,
                )
                kc.stop_channels()
                assert reply["content"]["status"] == "ok"
            km.shutdown_kernel(now=True)
            if i > 0:
                rows.append((wall, client, kernel))
                starts.append(k0)
            else:
                cells.clear()
    finally:
        server.close()
    size = sum(len(json.dumps(o)) for c in nb.cells for o in c.get("outputs", []))
    med = [statistics.median(r[j] for r in rows) for j in range(3)]
    print(f"\n{args.notebook}: execute in a forked kernel started ahead, {args.repeat} runs (median)")
    print(f"{'wall s':>8} {'CPU s':>8} {'client':>8} {'kernel':>8}   outputs   kernel start (not in CPU s)")
    print(
        f"{med[0]:>8.3f} {med[1] + med[2]:>8.3f} {med[1]:>8.3f} {med[2]:>8.3f}   {size / 1e3:.0f} kB"
        f"    {statistics.median(starts):.3f} CPU s"
    )
    print("runs (wall, client CPU, kernel CPU):", [tuple(round(x, 3) for x in r) for r in rows])
    print("kernel start CPU (fork to warm):", [round(x, 3) for x in starts])
    if seconds:
        med2 = [statistics.median(r[j] for r in seconds) for j in range(3)]
        print(
            f"{med2[0]:>8.3f} {med2[1] + med2[2]:>8.3f} {med2[1]:>8.3f} {med2[2]:>8.3f}   the same report again in the "
            "same kernel (no first-use costs)"
        )
    if args.cells:
        # per run: [cpu0, wall0, cpu1, wall1] per code cell, then the print cell (pre only)
        per_run = [json.loads(text)[:-1] for text in cells]
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        print(f"\n{'cell':<5} {'kernel CPU s':>12} {'wall s':>7} {'gap before':>10}  first line")
        for j, cell in enumerate(code_cells):
            cpu = statistics.median(run[j][2] - run[j][0] for run in per_run)
            wall = statistics.median(run[j][3] - run[j][1] for run in per_run)
            gap = statistics.median(run[j][1] - run[j - 1][3] for run in per_run) if j else float("nan")
            first = cell.source.strip().splitlines()[0][:50] if cell.source.strip() else ""
            print(f"{j:<5} {cpu:>12.3f} {wall:>7.3f} {gap:>10.3f}  {first}")
        total_cpu = statistics.median(sum(c[2] - c[0] for c in run) for run in per_run)
        span = statistics.median(run[-1][3] - run[0][1] for run in per_run)
        print(f"{'sum':<5} {total_cpu:>12.3f}   first cell start to last cell end: {span:.3f} s wall")
    print(_load(), "(end)")


if __name__ == "__main__":
    main()
