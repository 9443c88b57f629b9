"""How the cost of the national benchmark batch grows with the number of reports: 12, 48 and (``--national``) 294.

Each size is a slice of ``parameters/batches/national-botilbud.yaml`` (its three housing areas for municipalities
taken evenly over the country's 98; 294 is the whole batch), run with ``--workers`` worker processes (default 2)
and ``force`` (every report executed, HTML and PDF) as ``analysis run`` runs it: in a new process, into a temporary
folder. Printed per size, one row each:

- wall s: the run's process from start to end (imports, the snapshot of the warehouse, the workers' start, the
  reports, the index and the manifest), and the runner's own wall time for comparison;
- CPU s: user + system seconds of that process and everything it started (workers, fork servers, kernels);
- reports per minute, seconds per report and core (wall x cores in use / reports), and that against the floor;
- CPU per report, and the median seconds of a report's steps from the run's manifest (execute, HTML, PDF);
- the load average (1 minute) before and after: on a shared machine compare CPU seconds, not wall seconds.

The floor is papermill executing a two-cell notebook in a fresh kernel (median of three, measured first; or give
it with ``--floor``), as in ``bench/bench_reports.py``.

With ``--trace`` every process of a run appends its timeline to a folder (``ANALYSIS_BATCH_TRACE``, see
``analysis.reporting.workers.trace``) and a summary follows each row: per worker its start, the median seconds of
each step of a report (waiting for the kernel started ahead, executing, shutting the kernel down, writing the
notebook, HTML, PDF, the gap to the next report), its CPU per report (first and last), the kernel's CPU, the
seconds per report in which the worker's main thread and the kernel were both asleep (from the scheduler's
counters: the same on a busy machine as on a free one), its memory, threads and Python objects at the first and
last report and its fork server's CPU and memory; then the parent's part and the tail.

Run: ``.venv/bin/python bench/bench_scale.py [--national] [--sizes 12,48] [--workers 2] [--trace] [--keep DIR]``.
Uses the default warehouse (the sample, built on first use); writes only to a temporary folder, removed at the end
unless ``--keep`` names a folder to keep the runs in. The figures measured are in docs/performance.md and docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = ROOT / "parameters" / "batches" / "national-botilbud.yaml"
AREAS_PER_MUNICIPALITY = 3

# One batch in a new process, as `analysis run` runs it; prints one JSON line: the runner's seconds, the counts and
# the median seconds of each step of a report, from the run's manifest.
_RUN = """
import json, logging, sys, warnings
warnings.filterwarnings("ignore")
for name in ("papermill", "traitlets", "nbclient", "jupyter_client", "weasyprint", "fontTools"):
    logging.getLogger(name).setLevel(logging.ERROR)
from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch
batch_file, reports, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = run_batch(load_batch(batch_file), batch_file=batch_file, workers=workers, force=True, reports_dir=reports,
              progress=False)
steps = {}
for r in s.reports:
    for step, seconds in (r.seconds or {}).items():
        steps.setdefault(step, []).append(seconds)
failed = [f"{r.municipality_code} {r.function_code}: {r.error}" for r in s.reports if r.status == "failed"]
print(json.dumps({"seconds": s.seconds, "counts": s.counts(), "steps": steps, "failed": failed[:3]}))
"""

_FLOOR = """
import logging, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
for name in ("papermill", "traitlets", "nbclient", "jupyter_client"):
    logging.getLogger(name).setLevel(logging.ERROR)
import nbformat, papermill
import analysis.reporting  # defers rfc3987_syntax, as every process of the runner does
folder = sys.argv[1]
kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Gulv."), nbformat.v4.new_code_cell("x = 1")],
                              metadata=kernel)
nbformat.write(nb, folder + "/floor.ipynb")
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    papermill.execute_notebook(folder + "/floor.ipynb", folder + "/floor-out.ipynb", kernel_name="python3",
                               progress_bar=False)
    times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load1() -> float:
    return os.getloadavg()[0]


def _python(code: str, *args: str) -> str:
    """Run ``code`` in a new interpreter of this environment, in the project folder; its last line of stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"bench_scale: a run failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def _read_trace(folder: Path) -> dict[int, list[dict]]:
    """The trace lines of every process (``analysis.reporting.workers.trace``), by pid, in time order."""
    by_pid: dict[int, list[dict]] = {}
    for path in sorted(folder.glob("trace-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            by_pid.setdefault(event["pid"], []).append(event)
    return by_pid


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _critical_sleep(jobs: list[dict]) -> list[float]:
    """Per report, the seconds in which its worker's main thread and its kernel were both asleep (estimated).

    From the threads' scheduler counters (``/proc/.../schedstat``: time run, time waiting for a core): what a busy
    machine does not slow down. While executing, the kernel's and the worker's run and wait are subtracted from the
    wall time (they mostly take turns); outside it, the worker's. A gap that only a free core could fill.
    """
    out = []
    for j in jobs:
        try:
            start, taken, executed, end = j["job_start"], j["kernel_taken"], j["executed"], j["job_end"]
            k0, k1 = taken["kernel_sched"], executed["kernel_sched"]
            busy_kernel = (k1[0] - k0[0]) + (k1[1] - k0[1])
            w = [e["sched"] for e in (start, taken, executed, end)]
        except (KeyError, TypeError):
            continue
        if any(x is None for x in w):
            continue

        def busy(a, b):
            return (b[0] - a[0]) + (b[1] - a[1])

        asleep_exec = max(0.0, executed["t"] - taken["t"] - busy_kernel - busy(w[1], w[2]))
        asleep_rest = max(0.0, (taken["t"] - start["t"]) - busy(w[0], w[1])) + max(
            0.0, (end["t"] - executed["t"]) - busy(w[2], w[3])
        )
        out.append(asleep_exec + asleep_rest)
    return out


def _jobs(events: list[dict]) -> list[dict]:
    """A worker's reports in its trace, in order: each the events from its ``job_start`` to its ``job_end``, by name.

    A report whose ``job_end`` is missing (the worker was stopped in it) is left out.
    """
    jobs, current = [], None
    for e in events:
        if e["event"] == "job_start":
            current = {"job_start": e}
        elif current is not None:
            current[e["event"]] = e
            if e["event"] == "job_end":
                jobs.append(current)
                current = None
    return jobs


def _cpu_between(job: dict, a: str, b: str) -> float | None:
    """The worker's CPU seconds (all its threads) from event ``a`` to event ``b`` of one report."""
    if a in job and b in job:
        return job[b]["cpu"] - job[a]["cpu"]
    return None


def accounting(by_pid: dict[int, list[dict]], parent: int | None, measured: float | None = None) -> list[str]:
    """Where a traced run's CPU went: the parent, the zygote, each worker's start, the fork servers, the reports.

    Per report (medians over all workers' reports) the worker's CPU in each step (the kernel's machinery while
    executing, writing the notebook, HTML, PDF) and the kernel's (its start and warm-up, its execution); and the
    kernels started against the reports (a kernel started ahead that no report took is wasted). ``measured``:
    the CPU seconds of the whole run, for comparison with what the trace accounts for.
    """
    zygote = [ev for ev in by_pid.values() for e in ev if e["event"] == "zygote_ready"]
    parent_cpu = by_pid[parent][-1]["cpu"] if parent in by_pid else 0.0
    zygote_cpu = sum(ev[-1]["cpu"] for ev in zygote)
    starts, servers, ends, kernels_started, jobs = [], {}, [], 0, []
    for pid, events in by_pid.items():
        if pid == parent or any(e["event"] == "zygote_ready" for e in events):
            continue
        ready = next((e for e in events if e["event"] == "worker_ready"), None)
        if ready is None:
            continue
        starts.append(ready["cpu"])
        ends.append(events[-1]["cpu"])
        kernels_started += sum(e["event"] == "kernel_start" for e in events)
        jobs += _jobs(events)
        last_start = [e for e in events if e["event"] == "job_start"]
        if last_start and last_start[-1].get("server_cpu") is not None:
            # the batch's one server, shared by its workers, counted once (the latest reading)
            server = last_start[-1].get("server") or pid
            servers[server] = max(servers.get(server, 0.0), last_start[-1]["server_cpu"])
    if not jobs:
        return []
    steps = (
        ("wait", "job_start", "kernel_taken"),
        ("execute", "kernel_taken", "executed"),
        ("write nb", "executed", "written"),
        ("html", "written", "html"),
        ("pdf", "html", "pdf"),
    )
    parts = []
    for name, a, b in steps:
        values = [v for j in jobs if (v := _cpu_between(j, a, b)) is not None]
        parts.append(f"{name} {_med(values):.3f}")
    warm = [j["kernel_taken"]["kernel_cpu"] for j in jobs if j["kernel_taken"].get("kernel_cpu") is not None]
    run = [
        j["executed"]["kernel_cpu"] - j["kernel_taken"]["kernel_cpu"]
        for j in jobs
        if j.get("executed", {}).get("kernel_cpu") is not None
        and j["kernel_taken"].get("kernel_cpu") is not None
    ]
    in_reports = sum(j["job_end"]["cpu"] - j["job_start"]["cpu"] for j in jobs)
    kernels = sum(warm) + sum(run)
    traced = parent_cpu + zygote_cpu + sum(ends) + sum(servers.values()) + kernels
    lines = [
        f"CPU accounting, s: parent {parent_cpu:.2f}; zygote {zygote_cpu:.2f} (its imports, once); "
        f"workers' start {sum(starts):.2f} ({len(starts)} workers: {', '.join(f'{c:.2f}' for c in starts)}); "
        f"fork servers {sum(servers.values()):.2f} ({len(servers)}); workers in reports {in_reports:.2f}, outside them "
        f"{sum(ends) - sum(starts) - in_reports:.2f} (kernels started and shut down in the background, exit)",
        f"  per report, median: worker {', '.join(parts)}; kernel start and warm-up {_med(warm):.3f}, "
        f"execute {_med(run):.3f}; {kernels_started} kernels started for {len(jobs)} reports",
        f"  traced {traced:.1f} s"
        + (
            f" of the {measured:.1f} s measured (the rest: kernels after their report, exits)"
            if measured
            else ""
        ),
    ]
    return lines


def timeline(folder: Path, measured: float | None = None) -> str:
    """A summary of a traced run: where each worker's time went, the gaps, and memory at the first and last report.

    Per worker: its start (spawned until ready, until its first kernel is warm); per report the median seconds of
    waiting for the kernel started ahead, executing, shutting the kernel down, writing the notebook, HTML, PDF and
    the gap between handing a result back and starting the next report; the worker's own CPU per report; its
    memory, its fork server's and its Python objects at its first and last report. For the run: the parent's
    part before the first report and after the last, and the tail where only one worker was busy.
    """
    by_pid = _read_trace(folder)
    parent = next((p for p, ev in by_pid.items() if ev[0]["event"] == "run_start"), None)
    lines = []
    t0 = by_pid[parent][0]["t"] if parent else min(ev[0]["t"] for ev in by_pid.values())
    steps = (
        ("wait kernel", "job_start", "kernel_taken"),
        ("execute", "kernel_taken", "executed"),
        ("shutdown", "executed", "kernel_shut"),
        ("write nb", "kernel_shut", "written"),
        ("html", "written", "html"),
        ("pdf", "html", "pdf"),
        ("to end", "pdf", "job_end"),
    )
    ends = []
    for pid, events in sorted(by_pid.items()):
        if pid == parent:
            continue
        if events[-1]["event"] == "zygote_ready":
            started = next((e["t"] for e in by_pid.get(parent, []) if e["event"] == "pool_start"), t0)
            lines.append(
                f"zygote {pid}: ready at +{events[-1]['t'] - t0:.1f} s ({events[-1]['t'] - started:.2f} s after the "
                f"pool asked for it), {events[-1]['cpu']:.2f} s CPU (the workers' imports, once)"
            )
            continue
        jobs = _jobs(events)
        if not jobs:
            continue
        first = {e["event"]: e for e in reversed(events)}  # the first of each event
        ready = first.get("worker_ready", events[0])
        warm = first.get("kernel_warm")
        lines.append(
            f"worker {pid}{' (forked)' if ready.get('forked') else ''}: started at +{events[0]['t'] - t0:.1f} s, "
            f"ready after {ready['t'] - events[0]['t']:.2f} s and {ready['cpu']:.2f} s CPU,"
            f" first kernel warm after {(warm['t'] - events[0]['t']) if warm else float('nan'):.2f} s; "
            f"{len(jobs)} reports, the last ends at +{jobs[-1]['job_end']['t'] - t0:.1f} s"
        )
        parts = []
        for name, a, b in steps:
            values = [j[b]["t"] - j[a]["t"] for j in jobs if a in j and b in j]
            parts.append(f"{name} {_med(values):.3f}")
        gaps = [n["job_start"]["t"] - j["job_end"]["t"] for j, n in zip(jobs, jobs[1:], strict=False)]
        cpu = [j["job_end"]["cpu"] - j["job_start"]["cpu"] for j in jobs]
        total = [j["job_end"]["t"] - j["job_start"]["t"] for j in jobs]
        parts.append(f"gap to next {_med(gaps):.3f} (max {max(gaps, default=0):.3f})")
        lines.append(f"  median s: report {_med(total):.3f} = " + ", ".join(parts))
        kcpu = [
            j["executed"]["kernel_cpu"] - j["kernel_taken"]["kernel_cpu"]
            for j in jobs
            if j.get("executed", {}).get("kernel_cpu") is not None
            and j.get("kernel_taken", {}).get("kernel_cpu") is not None
        ]
        warm = [j["kernel_taken"]["kernel_cpu"] for j in jobs if j.get("kernel_taken", {}).get("kernel_cpu")]
        lines.append(
            f"  worker CPU per report {_med(cpu):.3f} s (first {cpu[0]:.2f}, last {cpu[-1]:.2f}); kernel CPU "
            f"while executing {_med(kcpu):.3f} s, before (start, warm-up) {_med(warm):.3f} s"
        )
        idle = _critical_sleep(jobs[1:])  # the first report waits for the fork server's imports
        if idle:
            lines.append(
                "  asleep on the critical path (neither the worker's main thread nor the kernel running or "
                f"waiting for a core), median s per report: {_med(idle):.3f}"
            )
        a, z = jobs[0]["job_start"], jobs[-1]["job_start"]
        lines.append(
            f"  memory MB, first -> last report: worker {a['rss']:.0f} -> {z['rss']:.0f}, fork server "
            f"{a.get('server_rss') or 0:.0f} -> {z.get('server_rss') or 0:.0f}; objects {a['objects']} -> "
            f"{z['objects']}; threads {a['threads']} -> {z['threads']}"
        )
        if z.get("server_cpu") is not None:
            lines.append(
                f"  fork server {z.get('server')}: {z['server_cpu']:.2f} s CPU (its imports; forks cost it next to "
                "nothing), "
                f"proportional memory {z.get('server_pss') or 0:.0f} MB at the last report"
            )
        ends.append(jobs[-1]["job_end"]["t"])
    if parent is not None:
        ev = {e["event"]: e for e in by_pid[parent]}
        starts = [e["t"] for p, es in by_pid.items() if p != parent for e in es if e["event"] == "job_start"]
        stored = [e for e in by_pid[parent] if e["event"] == "stored"]
        received = [e for e in by_pid[parent] if e["event"] == "received"]
        keep = [s["t"] - r["t"] for r, s in zip(received, stored, strict=False)]
        cpu_per = [s["cpu"] - r["cpu"] for r, s in zip(received, stored, strict=False)]
        end = ev.get("run_end", by_pid[parent][-1])
        lines.append(
            f"parent: keyed at +{ev['keyed']['t'] - t0:.2f} s, first report starts at +{min(starts) - t0:.2f} s;"
            f" per result received: {_med(keep):.3f} s wall, {_med(cpu_per):.3f} s CPU (store in the cache);"
            f" last report done to run end {end['t'] - max(ends, default=end['t']):.2f} s; parent CPU "
            f"{end['cpu']:.1f} s, memory {end['rss']:.0f} MB"
        )
        if len(ends) > 1:
            lines.append(f"tail: one worker idle for the last {max(ends) - min(ends):.2f} s")
    lines += accounting(by_pid, parent, measured)
    return "\n".join(lines)


def municipalities(n_reports: int, codes: list[int]) -> list[int]:
    """``n_reports / 3`` municipality codes taken evenly over ``codes`` (all of them for 294 reports).

    >>> municipalities(6, [1, 2, 3, 4, 5, 6])
    [1, 4]
    """
    n = max(1, n_reports // AREAS_PER_MUNICIPALITY)
    if n >= len(codes):
        return list(codes)
    return [codes[i * len(codes) // n] for i in range(n)]


def _batch_file(folder: Path, n_reports: int) -> tuple[Path, int]:
    from analysis.reporting.batch import load_batch

    national = load_batch(NATIONAL)
    spec = yaml.safe_load(NATIONAL.read_text(encoding="utf-8"))
    codes = municipalities(n_reports, national.municipality_codes())
    spec["name"] = f"scale-{n_reports}"
    spec["municipalities"] = codes
    spec["formats"] = ["html", "pdf"]
    path = folder / f"scale-{n_reports}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path, len(codes) * len(national.function_codes())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="12,48", help="numbers of reports, comma-separated (default 12,48)"
    )
    parser.add_argument("--national", action="store_true", help="also run the whole national batch (294)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--floor", type=float, help="the floor in seconds (default: measured first)")
    parser.add_argument("--keep", help="keep the batch files and run folders in this folder")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="trace each run (ANALYSIS_BATCH_TRACE) and print where each worker's time went",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.national:
        sizes.append(98 * AREAS_PER_MUNICIPALITY)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _python("from analysis.data import connect; connect().close(); print('ok')")  # the sample, untimed
        floor = args.floor
        if floor is None:
            load = _load1()
            floor = float(_python(_FLOOR, str(folder), "3"))
            print(f"floor: papermill, two-cell notebook, fresh kernel: {floor:.2f} s (load {load:.1f})")
        cores = os.cpu_count()
        in_use = min(args.workers, cores or args.workers)  # the cores the workers can use
        print(
            f"benchmark reports, HTML + PDF, {args.workers} workers, {cores} cores; "
            f"x floor = s per report and core / {floor:.2f} s"
        )
        head = (
            f"{'reports':>7} {'wall s':>7} {'runner s':>8} {'CPU s':>7} {'rep/min':>7} {'s/rep/core':>10} "
            f"{'x floor':>7} {'CPU/rep':>7} {'execute':>7} {'html':>5} {'pdf':>5} {'load':>9}"
        )
        print(head)
        for n in sizes:
            batch_file, count = _batch_file(folder, n)
            traced = folder / f"trace-{n}"
            if args.trace:
                shutil.rmtree(traced, ignore_errors=True)
                traced.mkdir()
                os.environ["ANALYSIS_BATCH_TRACE"] = str(traced)
            load0, cpu0, t0 = _load1(), _children_cpu(), time.perf_counter()
            out = json.loads(_python(_RUN, str(batch_file), str(folder / f"reports-{n}"), str(args.workers)))
            os.environ.pop("ANALYSIS_BATCH_TRACE", None)
            wall, cpu, load1 = time.perf_counter() - t0, _children_cpu() - cpu0, _load1()
            if out["failed"] or out["counts"]["ok"] != count:
                sys.exit(f"bench_scale: {out['counts']} of {count} reports; first failures: {out['failed']}")
            steps = {k: statistics.median(v) for k, v in out["steps"].items()}
            per_core = wall * in_use / count
            print(
                f"{count:>7} {wall:>7.1f} {out['seconds']:>8.1f} {cpu:>7.1f} {count / wall * 60:>7.1f} "
                f"{per_core:>10.2f} {per_core / floor:>7.2f} {cpu / count:>7.2f} {steps.get('execute', 0):>7.2f} "
                f"{steps.get('html', 0):>5.2f} {steps.get('pdf', 0):>5.2f} {load0:>4.1f}-{load1:<4.1f}",
                flush=True,
            )
            if args.trace:
                print(timeline(traced, cpu), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
