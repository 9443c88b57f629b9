"""Benchmark of a batch on a Dask cluster against the local pool: what one more worker buys.

Runs one batch (by default 12 overview reports: 4 municipalities x 3 function areas, HTML and PDF, ``--force``)
with the local pool of 2 workers, then through ``--scheduler`` on a ``LocalCluster`` of 1 and of 2 worker
processes on loopback (one thread each), and prints wall time and reports per minute. Each cluster is started
before its run and closed after it; its start is not in the time (a real cluster runs before the batch).

Run: ``.venv/bin/python bench/bench_cluster.py [--workers 1 2] [--municipalities 165 190 706 751]``. It uses the
default warehouse and writes only to a temporary folder. The results measured on the reference machine are in
docs/scale.md.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import yaml


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cluster sizes to run")
    parser.add_argument("--municipalities", type=int, nargs="+", default=[165, 190, 706, 751])
    parser.add_argument("--no-local", action="store_true", help="skip the local pool's run")
    args = parser.parse_args()
    for name in (
        "papermill",
        "traitlets",
        "nbclient",
        "jupyter_client",
        "weasyprint",
        "fontTools",
        "distributed",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    from distributed import LocalCluster

    from analysis.data import connect
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    connect().close()  # build the sample first, outside the timings
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    batch_file = tmp / "bench.yaml"
    batch_file.write_text(
        yaml.safe_dump(
            {
                "name": "bench",
                "municipalities": args.municipalities,
                "function_areas": ["5.38.50", "5.38.51", "5.38.52"],
                "notebooks": ["overview"],
                "formats": ["html", "pdf"],
            }
        ),
        encoding="utf-8",
    )
    batch = load_batch(batch_file)
    n = 3 * len(args.municipalities)
    print(
        f"{f'batch of {n} overview reports, HTML + PDF':<44} {'seconds':>8} {'reports/min':>12}", flush=True
    )

    def run(label: str, **kw) -> None:
        summary = run_batch(batch, force=True, reports_dir=tmp / "reports", progress=False, **kw)
        assert not summary.failed, [r.error for r in summary.failed]
        print(f"{label:<44} {summary.seconds:>8.1f} {n / summary.seconds * 60:>12.1f}", flush=True)

    if not args.no_local:
        run("local pool, 2 workers", workers=2)
    for workers in args.workers:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            run(f"Dask LocalCluster, {workers} worker(s)", scheduler=cluster.scheduler_address)
        finally:
            cluster.close()


if __name__ == "__main__":
    main()
