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
  analysis bundle reports/bdo-botilbud/latest --municipality 706
                                  one PDF and one Excel workbook of a municipality's reports of a run
  analysis schema > docs/schema.md
  analysis load statbank regk31.csv --table REGK31 --warehouse data/own.duckdb
  analysis load ledger posteringer.csv --mapping parameters/mappings/ledger.yaml --municipality 706
  analysis load cases sager.xlsx --mapping parameters/mappings/cases.yaml --municipality 706
                                  load your own data (docs/own-data.md); ANALYSIS_WAREHOUSE or --warehouse
                                  names the warehouse, never the sample

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


def _cmd_bundle(args: argparse.Namespace) -> int:
    from analysis.data.reference import official_names
    from analysis.reporting.bundle import bundle

    result = bundle(args.run_folder, args.municipality, official_names())
    print(f"PDF: {result.pdf} ({result.pages} pages)")
    print(f"Excel: {result.workbook} ({len(result.sheets) - 1} tables)")
    for left in result.left_out:
        print(f"  left out: {left}")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from analysis.data.schema import to_markdown

    sys.stdout.write(to_markdown())
    return 0


def _load_target(args: argparse.Namespace) -> Path:
    """The warehouse to load into: --warehouse or ANALYSIS_WAREHOUSE, never the sample warehouse."""
    import os

    from analysis.data.warehouse import WAREHOUSE_ENV, connect, read_meta

    named = args.warehouse or os.environ.get(WAREHOUSE_ENV)
    if not named:
        raise ValueError(
            "say which warehouse to load into: --warehouse FILE (e.g. --warehouse data/own.duckdb) or the "
            f"environment variable {WAREHOUSE_ENV}. Own data never go into the sample warehouse, which is rebuilt "
            "whenever the sample generator changes."
        )
    path = Path(named).expanduser()
    if path.exists():
        con = connect(path, read_only=True)
        try:
            kind = read_meta(con).get("kind")
        finally:
            con.close()
        if kind == "sample":
            raise ValueError(
                f"{path} holds the sample warehouse, which is rebuilt whenever the sample generator changes; load "
                "your own data into another file, e.g. --warehouse data/own.duckdb (it is created on first load)"
            )
    return path


def _cmd_load(args: argparse.Namespace) -> int:
    import os

    import duckdb

    from analysis.data import case_extract, ledger, statbank
    from analysis.data.warehouse import connect

    path = _load_target(args)
    fresh = not path.exists()
    try:
        con = connect(path, read_only=False)
    except duckdb.IOException as e:
        raise ValueError(
            f"cannot open {path} for writing (is a report or notebook reading it?): {e}"
        ) from None
    try:
        if args.source == "statbank":
            result = statbank.load(
                con, args.file, args.table, prisenhed=args.prisenhed, unit=args.unit, provider=args.provider
            )
        elif args.source == "ledger":
            result = ledger.load(con, args.file, args.mapping, municipality_code=args.municipality)
        else:
            from analysis.privacy import KEY_ENV, load_key

            key_file = path.parent / "pseudonym.key"
            new_key = not os.environ.get(KEY_ENV) and not key_file.exists()
            key = load_key(key_file)  # the key lives beside the warehouse, as for ANALYSIS_WAREHOUSE
            result = case_extract.load(
                con, args.file, args.mapping, municipality_code=args.municipality, key=key
            )
            if new_key:
                print(
                    f"Made the pseudonymisation key {key_file}: keep it with the warehouse and out of version "
                    "control; a new key gives every person a new pseudonym."
                )
    except BaseException:
        con.close()
        if fresh:  # a first load that failed leaves no empty warehouse behind
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        raise
    con.close()
    if fresh:
        print(f"Created the warehouse {path} for your own data.")
    print(result.describe())
    print(f"Warehouse: {path}")
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

    b = sub.add_parser(
        "bundle",
        help="bind one municipality's reports of a run into one PDF and an Excel workbook of their tables",
        description="Bind the area report and the per-area reports of one municipality in RUN_FOLDER into one PDF "
        "(cover, contents with page numbers, summary first, method as annex) and write every table of those reports "
        "to an Excel workbook, one sheet per table; both are written into RUN_FOLDER.",
    )
    b.add_argument("run_folder", help="the folder of one run, e.g. reports/bdo-botilbud/latest")
    b.add_argument("--municipality", type=int, required=True, help="municipality code, e.g. 706")
    b.set_defaults(func=_cmd_bundle)

    c = sub.add_parser("schema", help="print the warehouse schema as Markdown")
    c.set_defaults(func=_cmd_schema)

    ld = sub.add_parser(
        "load",
        help="load your own files into a warehouse (Statistics Denmark, ledger, cases)",
        description="Load a file into the warehouse named by --warehouse or ANALYSIS_WAREHOUSE (created on first "
        "load; never the sample warehouse). A file is loaded completely or not at all, and loading the same file "
        "again changes nothing. See docs/own-data.md.",
    )
    kinds = ld.add_subparsers(dest="source", metavar="SOURCE", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("file", help="the file to load")
    common.add_argument("--warehouse", help="the warehouse file (default: ANALYSIS_WAREHOUSE; required)")
    st = kinds.add_parser(
        "statbank",
        parents=[common],
        help="a table downloaded from Statistics Denmark (CSV, BULK or JSON-stat)",
        description="Load a table downloaded from Statistikbanken: REGK31 (accounts), BUDK32 (budgets), FOLK1A "
        "(population) or a HAND table (recipients by type of service; load REGK31 first).",
    )
    st.add_argument("--table", required=True, help="the table id: REGK31, BUDK32, FOLK1A or HAND...")
    st.add_argument(
        "--prisenhed", help="REGK31/BUDK32: the PRISENHED to keep (default: the one in 1.000 kr.)"
    )
    st.add_argument(
        "--unit", type=float, help="REGK31/BUDK32: DKK per unit of that PRISENHED (1000 for 1.000 kr.)"
    )
    st.add_argument(
        "--provider",
        choices=("internal", "external"),
        help="HAND tables: the provider type the recipients are recorded under (the table has no split)",
    )
    for name, what in (
        ("ledger", "a ledger export (postings) from the finance system"),
        ("cases", "a case extract from a case system (CPR numbers are pseudonymised)"),
    ):
        k = kinds.add_parser(name, parents=[common], help=what, description=f"Load {what}.")
        k.add_argument(
            "--mapping", required=True, help=f"the column mapping, e.g. parameters/mappings/{name}.yaml"
        )
        k.add_argument(
            "--municipality", type=int, help="the municipality code, when the file and mapping lack it"
        )
    ld.set_defaults(func=_cmd_load)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s", stream=sys.stderr
    )
    for noisy in ("papermill", "traitlets", "nbclient", "jupyter_client", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    from analysis.errors import AnalysisError

    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except (AnalysisError, ValueError, KeyError, FileNotFoundError) as e:
        # Errors of input (a bad file, an unknown code, a missing warehouse) are the user's to fix: say what and
        # where, without a traceback. --verbose shows the traceback too.
        if args.verbose:
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"analysis: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
