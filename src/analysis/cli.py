"""The ``analysis`` command line.

Each subcommand imports what it needs when it runs, so that ``analysis --help`` answers at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

__all__ = ["main"]

_EPILOG = """\
examples:
  analysis sample                 build the sample warehouse (or check that it is current)
  analysis sample --rebuild       build it again from scratch
  analysis tables                 what the warehouse holds, table by table
  analysis run parameters/batches/default.yaml
                                  execute and render a batch of reports under reports/
  analysis schema > docs/schema.md

The warehouse is data/sample.duckdb in the project folder unless ANALYSIS_WAREHOUSE names another file.
CPR numbers are pseudonymised with the key in ANALYSIS_PSEUDONYM_KEY or in data/pseudonym.key (made on first use).
"""


def _cmd_sample(args: argparse.Namespace) -> int:
    from analysis.data import sample, warehouse

    path = Path(args.path) if args.path else warehouse.default_path()
    seed = sample.SEED if args.seed is None else args.seed
    current = sample.is_current(path, seed)
    if args.rebuild or current is False:
        started = time.perf_counter()
        with warehouse.build_lock(path):
            counts = sample.build(path, seed)
        size = path.stat().st_size / 1e6
        print(f"Built the sample warehouse {path} in {time.perf_counter() - started:.1f} s ({size:.1f} MB)")
        for name, n in counts.items():
            print(f"  {name:<20} {n:>9,} rows")
    elif current is None:
        print(
            f"{path} holds other data than the sample; not touched. Use --path to build the sample elsewhere."
        )
        return 1
    else:
        print(f"The sample warehouse {path} is current (use --rebuild to build it again).")
    return 0


def _cmd_tables(args: argparse.Namespace) -> int:
    from analysis.data import warehouse

    con = warehouse.connect(args.path)
    try:
        df = warehouse.summary(con)
    finally:
        con.close()
    path = args.path or warehouse.default_path()
    print(f"Warehouse {path}\n")
    print(f"{'table':<20} {'rows':>9} {'municipalities':>15} {'years':>10} {'total, mio. DKK':>17}")
    for r in df.itertuples():
        munis = (
            ""
            if r.municipalities is None or r.municipalities != r.municipalities
            else f"{int(r.municipalities)}"
        )
        years = r.years if isinstance(r.years, str) else ""
        dkk = f"{r.total_dkk / 1e6:,.1f}" if r.total_dkk == r.total_dkk and r.total_dkk is not None else ""
        print(f"{r.table:<20} {r.rows:>9,} {munis:>15} {years:>10} {dkk:>17}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    batch = load_batch(args.batch)
    summary = run_batch(
        batch,
        batch_file=args.batch,
        output=args.output,
        workers=args.workers,
        force=args.force,
        progress=not args.no_progress,
    )
    c = summary.counts()
    print(
        f"{len(summary.reports)} reports in {summary.seconds:.0f} s: {c['ok']} executed, {c['cached']} reused "
        f"from the cache, {c['failed']} failed."
    )
    for r in summary.failed:
        print(f"  FAILED {r.notebook} {r.municipality_code} {r.function_code}: {r.error}")
    print(f"Index: {summary.folder / 'index.html'}")
    return 1 if summary.failed else 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from analysis.data.schema import to_markdown

    sys.stdout.write(to_markdown())
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="analysis",
        description="Analysis workbench for the economics of Denmark's specialised social sector.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show detailed progress messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser("sample", help="build the sample warehouse (or check that it is current)")
    s.add_argument("--rebuild", action="store_true", help="build it again even if it is current")
    s.add_argument("--path", help="where to build it (default: the default warehouse)")
    s.add_argument("--seed", type=int, help="random seed (default 2025; the same seed gives the same tables)")
    s.set_defaults(func=_cmd_sample)

    t = sub.add_parser("tables", help="what the warehouse holds, table by table")
    t.add_argument("--path", help="a warehouse file (default: the default warehouse, built on first use)")
    t.set_defaults(func=_cmd_tables)

    r = sub.add_parser(
        "run",
        help="execute and render a batch of reports",
        description="Execute the batch's notebooks for each municipality x function area, render them to HTML and "
        "PDF, and write reports/<name>/<run id>/ with index.html and manifest.json. Exit status 1 if a report failed.",
    )
    r.add_argument("batch", help="a batch file, e.g. parameters/batches/default.yaml")
    r.add_argument("--output", help="the run folder (default: reports/<name>/<run id>/)")
    r.add_argument("--workers", type=int, help="worker processes (default: the batch's workers, else 2)")
    r.add_argument(
        "--force", action="store_true", help="execute every report, even unchanged ones in the cache"
    )
    r.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    r.set_defaults(func=_cmd_run)

    c = sub.add_parser("schema", help="print the warehouse schema as Markdown")
    c.set_defaults(func=_cmd_schema)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s", stream=sys.stderr
    )
    for noisy in ("papermill", "traitlets", "nbclient", "jupyter_client", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except (ValueError, KeyError, FileNotFoundError) as e:
        # Errors of input (a bad file, an unknown code, a missing warehouse) are the user's to fix: say what and
        # where, without a traceback. --verbose shows the traceback too.
        if args.verbose:
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"analysis: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
