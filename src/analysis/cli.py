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
  analysis fetch statbank --years 2018-2025 --warehouse data/own.duckdb
                                  download Statistics Denmark's tables for all municipalities and load them
  analysis load statbank regk31.csv --table REGK31 --warehouse data/own.duckdb
  analysis load ledger posteringer.csv --mapping parameters/mappings/ledger.yaml --municipality 706
  analysis load cases sager.xlsx --mapping parameters/mappings/cases.yaml --municipality 706
  analysis load members deltagere.csv --mapping parameters/mappings/members.yaml --municipality 706
                                  load your own data (docs/own-data.md); ANALYSIS_WAREHOUSE or --warehouse
                                  names the warehouse, never the sample
  analysis loads                  the loads of the warehouse; analysis undo 7 restores it as before load 7
  analysis budget --municipality 706 --year 2026 --decisions parameters/budget/decisions-example.yaml
                                  record next year's budget assumptions (price x quantity) as a new version
  analysis followup --municipality 706 --year 2025 --month 9
                                  record the month's follow-up of every area in the journal and render it
  analysis staffing parameters/offers/example-offer.yaml
                                  an offer's wage budget as hours per week, substitutes and rates per level

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
        warehouse=args.warehouse,
        progress=not args.no_progress,
        scheduler=args.scheduler,
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
    from analysis.data.warehouse import resolve

    return resolve(args.warehouse, purpose="load")[0]


def _cmd_load(args: argparse.Namespace) -> int:
    import os

    import duckdb

    from analysis.data import case_extract, ledger, statbank
    from analysis.data.warehouse import connect
    from analysis.privacy import mask_cpr

    path = _load_target(args)
    prepared = None
    if (
        args.source == "ledger"
    ):  # read and check the file before the warehouse is opened (and locked) for writing
        with _progress(f"reading {mask_cpr(Path(args.file).name)}") as progress:
            prepared = ledger.prepare(
                args.file, args.mapping, municipality_code=args.municipality, progress=progress
            )
    fresh = not path.exists()
    made_key = None  # the key file this load made, removed again if the load is refused
    try:
        con = connect(path, read_only=False)
    except duckdb.IOException as e:
        raise ValueError(
            f"cannot open {path} for writing (is a report or notebook reading it?): {e}"
        ) from None
    try:
        if args.source == "statbank":
            result = statbank.load(
                con,
                args.file,
                args.table,
                prisenhed=args.prisenhed,
                unit=args.unit,
                provider=args.provider,
                year=args.year,
            )
        elif args.source == "ledger":
            result = ledger.write(con, prepared, period=args.period, replace_partial=args.replace_partial)
        elif args.source == "expectations":
            from analysis.data import expectations

            result = expectations.load(con, args.file, args.mapping, municipality_code=args.municipality)
        elif args.source == "socioeconomic":
            from analysis.data import socioeconomic

            result = socioeconomic.load(con, args.file, year=args.year)
        elif args.source == "projection":
            from analysis.data import projection

            result = projection.load(con, args.file, source=args.source_name)
        else:  # cases and members: CPR numbers pseudonymised under the warehouse's key
            from analysis.data import member_extract
            from analysis.privacy import KEY_ENV, load_key

            key_file = path.parent / "pseudonym.key"
            new_key = not os.environ.get(KEY_ENV) and not key_file.exists()
            key = load_key(key_file)  # the key lives beside the warehouse, as for ANALYSIS_WAREHOUSE
            if new_key:
                made_key = (key_file, key)
            loader = member_extract if args.source == "members" else case_extract
            result = loader.load(con, args.file, args.mapping, municipality_code=args.municipality, key=key)
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
        if made_key is not None:  # nor a key that pseudonymised nothing (the next load makes its own)
            _remove_key_made(*made_key)
        raise
    con.close()
    if fresh:
        print(f"Created the warehouse {path} for your own data.")
    print(result.describe())
    if result.load_id is not None and result.status == "loaded":
        print(f"Load {result.load_id}; undo it with: analysis undo {result.load_id} --warehouse {path}")
    print(f"Warehouse: {path}")
    return 0


def _remove_key_made(key_file: Path, key: bytes) -> None:
    """Remove the key file a refused case load made, if it still holds that key and no warehouse uses it."""
    from analysis.data.cases import KEY_FINGERPRINT_META
    from analysis.data.warehouse import connect, read_meta
    from analysis.privacy import key_fingerprint

    try:
        if key_file.read_bytes().strip() != key.strip():
            return  # another process's key (made meanwhile): not ours to remove
        # a warehouse beside it that a load running meanwhile pseudonymised under this key keeps it
        for other in key_file.parent.glob("*.duckdb"):
            try:
                con = connect(other)
            except Exception:  # noqa: BLE001 - unreadable or locked (being written): keep the key, to be safe
                return
            try:
                if read_meta(con).get(KEY_FINGERPRINT_META) == key_fingerprint(key):
                    return
            finally:
                con.close()
        key_file.unlink()
    except OSError:
        return


class _progress:
    """A progress bar on stderr for reading a big file (tqdm; shown only after a second, so small files stay quiet)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.bar = None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=self.what,
                file=sys.stderr,
                delay=1.0,
                leave=False,
            )
        self.bar.update(done - self.bar.n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


def _named_warehouse(args: argparse.Namespace) -> Path:
    """--warehouse or ANALYSIS_WAREHOUSE, which must exist."""
    from analysis.data.warehouse import resolve

    return resolve(args.warehouse, purpose="inspect")[0]


def _cmd_loads(args: argparse.Namespace) -> int:
    from analysis.data import loads
    from analysis.data.warehouse import connect

    path = _named_warehouse(args)
    con = connect(path, read_only=True)
    try:
        df = loads.previous_loads(con, include_undone=True).sort_values("load_id")
    finally:
        con.close()
    print(f"Loads into {path}\n")
    if df.empty:
        print("(none)")
        return 0
    print(
        f"{'id':>4}  {'loaded at':<19}  {'file':<28} {'sha256':<12}  {'table':<16} {'added':>8} {'replaced':>8} "
        f"{'removed':>8}  undone"
    )
    for r in df.itertuples():
        undone = getattr(r, "undone_at", None)
        undone = "" if undone is None or undone != undone else f"{undone:%Y-%m-%d %H:%M}"
        print(
            f"{r.load_id:>4}  {r.loaded_at:%Y-%m-%d %H:%M:%S}  {str(r.source)[:28]:<28} {r.sha256[:12]:<12}  "
            f"{r.target:<16} {r.rows_new:>8,} {r.rows_changed:>8,} {r.rows_removed:>8,}  {undone or 'no'}"
        )
    return 0


def _cmd_undo(args: argparse.Namespace) -> int:
    import duckdb

    from analysis.data import loads
    from analysis.data.warehouse import connect

    path = _load_target(args)
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}")
    try:
        con = connect(path, read_only=False)
    except duckdb.IOException as e:
        raise ValueError(
            f"cannot open {path} for writing (is a report or notebook reading it?): {e}"
        ) from None
    try:
        done = loads.undo(con, args.load_id)
    finally:
        con.close()
    print(
        f"Undid load {done['load_id']} ({done['source']}, table '{done['target']}'): {done['deleted']:,} rows it "
        f"wrote deleted, {done['restored']:,} rows it had replaced or removed restored."
    )
    print(f"Warehouse: {path}")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    import duckdb

    from analysis.data import statbank
    from analysis.data.warehouse import connect

    years = statbank.parse_years(args.years)
    path = _load_target(args)
    cache = Path(args.cache) if args.cache else statbank.cache_folder(path)
    client = statbank.Client(args.base_url)
    fresh = not path.exists()
    try:
        con = connect(path, read_only=False)
    except duckdb.IOException as e:
        raise ValueError(
            f"cannot open {path} for writing (is a report or notebook reading it?): {e}"
        ) from None
    print(f"Fetching from {client.base_url} into {path} (responses kept in {cache})", file=sys.stderr)
    try:
        result = statbank.fetch(
            con, years, cache=cache, client=client, progress=lambda line: print(line, file=sys.stderr)
        )
    except BaseException:
        con.close()
        if fresh:  # a first fetch that failed leaves no empty warehouse behind (the cache stays, to resume)
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        raise
    con.close()
    print(
        f"{result.downloaded} responses downloaded, {result.cached} from the cache ({result.requests} requests); "
        f"{len(result.loads)} files loaded into {path}."
    )
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def _writable(args: argparse.Namespace):
    """A writable connection to --warehouse, ANALYSIS_WAREHOUSE or the sample warehouse (built on first use)."""
    import duckdb

    from analysis.data.warehouse import connect, read_meta, resolve

    # as `analysis run` does: a warehouse named by --warehouse or ANALYSIS_WAREHOUSE must exist (a typing error is
    # never answered by building the sample there); the sample is built only at its default path
    path, _ = resolve(args.warehouse, purpose="report")
    try:
        con = connect(path, read_only=False)
    except duckdb.IOException as e:
        raise ValueError(
            f"cannot open {path} for writing (is a report or notebook reading it?): {e}"
        ) from None
    if read_meta(con).get("kind") == "sample":
        print(
            f"Note: {path} is the sample warehouse; what is recorded there is lost when the sample is rebuilt."
        )
    return path, con


def _cmd_budget(args: argparse.Namespace) -> int:
    from analysis.data import journal
    from analysis.data.price_index import read_price_index
    from analysis.reporting import formatting as fmt
    from analysis.reporting import rounds

    decisions = rounds.read_decisions(args.decisions)
    # the P/L index the report uses (so that both record the same), unless a growth rate is given instead
    price_index = dict(read_price_index().index) if args.price_growth is None else None
    growth = rounds.budget_model.DEFAULT_PRICE_GROWTH if args.price_growth is None else args.price_growth
    path, con = _writable(args)
    try:
        result = rounds.compute_budget(
            con,
            args.municipality,
            args.year,
            decisions=decisions,
            decisions_file=args.decisions,
            price_index=price_index,
            price_growth=growth,
            population_growth=args.population_growth,
            trend_years=args.trend_years,
            peer_step=args.peer_step,
            base_year=args.base_year,
        )
        rec = journal.record_budget_assumptions(con, result.assumptions, result.inputs)
    finally:
        con.close()
    what = "Recorded as version" if rec.recorded else "Unchanged since version"
    print(
        f"Budget {args.year} for {args.municipality}: {fmt.fmt_dkk(result.total_dkk)} over "
        f"{len(result.assumptions)} rows (function x paragraph x provider) of {len(result.areas)} areas, from "
        f"{result.base_year}; {len(decisions)} decisions."
    )
    print(f"{what} {rec.version} in budget_assumptions of {path}.")
    return 0


def _cmd_followup(args: argparse.Namespace) -> int:
    from analysis.data import journal
    from analysis.reporting import formatting as fmt
    from analysis.reporting import rounds

    path, con = _writable(args)
    try:
        fingerprint, assumptions = rounds.current_fingerprint(
            con, args.municipality, args.year, args.month, args.first_year
        )
        latest = journal.followup_journal(con, args.municipality, args.year, args.month)
        if (
            not latest.empty and (latest["data_fingerprint"] == fingerprint).all()
        ):  # unchanged: no forecast needed
            run = rounds.FollowupRun(latest, fingerprint, assumptions)
            rec = journal.RecordResult(int(latest["version"].iloc[0]), False, len(latest))
        else:
            run = rounds.compute_followup(
                con, args.municipality, args.year, args.month, first_year=args.first_year
            )
            rec = journal.record_followup(con, run.rows, run.fingerprint)
    finally:
        con.close()
    if rec.recorded:
        print(
            f"Recorded the follow-up of {args.month}/{args.year} as version {rec.version} ({rec.rows} areas)."
        )
    else:
        print(
            f"The data are unchanged since version {rec.version} of {args.month}/{args.year}: nothing recorded."
        )
    if run.assumptions.empty:
        print(
            f"No budget assumptions recorded for {args.year}: run `analysis budget` to split the deviation."
        )
    print(
        f"Forecast {fmt.fmt_dkk(run.rows.forecast_dkk.sum())} against a budget of "
        f"{fmt.fmt_dkk(run.rows.budget_dkk.sum())}; journal in {path}."
    )
    if args.no_report:
        return 0
    from analysis.reporting.batch import Batch
    from analysis.reporting.runner import run_batch

    batch = Batch(
        name="followup",
        title=f"Opfølgning {args.month}/{args.year}",
        municipalities=[args.municipality],
        function_areas="all",
        notebooks=["followup"],
        parameters={"last_year": args.year, "as_of_month": args.month, "first_year": args.first_year},
        workers=1,
    )
    summary = run_batch(batch, output=args.output, warehouse=path, progress=False)
    for r in summary.reports:
        print(
            f"Report: {summary.folder / r.files.get('html', '')} ({r.status})"
            if r.status != "failed"
            else f"FAILED {r.notebook}: {r.error}"
        )
    return 1 if summary.failed else 0


def _cmd_staffing(args: argparse.Namespace) -> int:
    from analysis.data.offers import read_offer
    from analysis.reporting import staffing_page

    result = staffing_page.compute(read_offer(args.offer))
    print("\n".join(staffing_page.text_lines(result)))
    return 0


def _municipality(text: str) -> int:
    """A municipality code for ``--municipality`` (``706``, or ``0706``); a name or a wrong code refused in words."""
    from analysis.data import reference

    code = reference.municipality_code_of(text.strip())
    if code is None:
        raise argparse.ArgumentTypeError(reference.not_a_municipality(text.strip()))
    return code


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
    r.add_argument(
        "--warehouse",
        help="the warehouse the reports read (default: ANALYSIS_WAREHOUSE, else the sample); must exist",
    )
    r.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    r.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the reports on a Dask cluster, e.g. tcp://10.0.0.5:8786 (docs/scale.md); default: local workers",
    )
    r.set_defaults(func=_cmd_run)

    b = sub.add_parser(
        "bundle",
        help="bind one municipality's reports of a run into one PDF and an Excel workbook of their tables",
        description="Bind the area report and the per-area reports of one municipality in RUN_FOLDER into one PDF "
        "(cover, contents with page numbers, summary first, method as annex) and write every table of those reports "
        "to an Excel workbook, one sheet per table; both are written into RUN_FOLDER.",
    )
    b.add_argument("run_folder", help="the folder of one run, e.g. reports/bdo-botilbud/latest")
    b.add_argument("--municipality", type=_municipality, required=True, help="municipality code, e.g. 706")
    b.set_defaults(func=_cmd_bundle)

    c = sub.add_parser("schema", help="print the warehouse schema as Markdown")
    c.set_defaults(func=_cmd_schema)

    ld = sub.add_parser(
        "load",
        help="load your own files into a warehouse (Statistics Denmark, ledger, cases, programme members, "
        "expectations, socio-economic index, projection)",
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
        help="a table downloaded from Statistics Denmark (the API's CSV, BULK, JSON-stat, or statbank.dk's CSV or "
        "Excel)",
        description="Load a table downloaded from Statistikbanken: FOLK1A (population; load it first), ARE207 "
        "(areas), REGK31 (accounts), BUDK32 (budgets) or HAND01 (services by type; load REGK31 first). Reads the "
        "API's CSV, BULK and JSON-stat and statbank.dk's web downloads (CSV without a heading line, the matrix with "
        "title lines, and the Excel download of either).",
    )
    st.add_argument("--table", required=True, help="the table id: FOLK1A, ARE207, REGK31, BUDK32 or HAND01")
    st.add_argument(
        "--prisenhed", help="REGK31/BUDK32: the PRISENHED to keep (default: the one in 1.000 kr.)"
    )
    st.add_argument(
        "--unit", type=float, help="REGK31/BUDK32: DKK per unit of that PRISENHED (1000 for 1.000 kr.)"
    )
    st.add_argument(
        "--provider",
        choices=("internal", "external"),
        help="HAND01: the provider type of all its services, when you know it (default: 'unknown', the table has no "
        "split)",
    )
    st.add_argument(
        "--year",
        help="a web download without a time column: its year (default: the year in the file name, REGK31_2024.csv)",
    )
    for name, what in (
        ("ledger", "a ledger export (postings) from the finance system"),
        ("cases", "a case extract from a case system (CPR numbers are pseudonymised)"),
        ("members", "the members of a cross-sector programme (CPR numbers are pseudonymised)"),
    ):
        description = f"Load {what}."
        if name == "members":
            description += (
                " One row per membership: CPR number, programme (Forløb), start and end date (Startdato, "
                "Slutdato; an empty end or one in the year 9999 means still a member). The file is the whole list "
                "of each programme it names: it replaces every member of the municipality in those programmes "
                "and keeps the municipality's other programmes. The cross-sector report reads them."
            )
        k = kinds.add_parser(name, parents=[common], help=what, description=description)
        k.add_argument(
            "--mapping", required=True, help=f"the column mapping, e.g. parameters/mappings/{name}.yaml"
        )
        k.add_argument(
            "--municipality",
            type=_municipality,
            help="the municipality code, when the file and mapping lack it",
        )
        if name == "ledger":
            k.add_argument(
                "--period",
                help="the period the export covers, e.g. 2025 or 2025-01..2025-09: its months are replaced for "
                "each function in the file (months without postings are removed; postings outside are left out). "
                "Default: exactly the months the file holds postings in",
            )
            k.add_argument(
                "--replace-partial",
                action="store_true",
                help="replace the months the file holds even where it covers much less of a year than the "
                "warehouse holds (refused otherwise)",
            )
    ex = kinds.add_parser(
        "expectations",
        parents=[common],
        help="managers' expected starts, ends and need changes (the disposition template, CSV or Excel)",
        description="Load the managers' expectations for the disposition: one row per expected start (Tilgang), "
        "end (Afgang) or change of need (Behovsændring), with the columns Kommune, Funktion, Type, Dato, Sag, "
        "Antal, Månedlig udgift, Bemærkning, Indtastet. The file replaces the expectations of the areas it holds.",
    )
    ex.add_argument("--mapping", help="a column mapping for another layout (default: the template's columns)")
    ex.add_argument(
        "--municipality",
        type=_municipality,
        help="the municipality code, when the file has no Kommune column",
    )
    so = kinds.add_parser(
        "socioeconomic",
        parents=[common],
        help="the ministry's socio-economic index per municipality (socioøkonomisk indeks; CSV or Excel)",
        description="Load Indenrigs- og Boligministeriets socio-economic index per municipality, as published for "
        "the equalisation scheme (Kommunale Nøgletal, Kommunal udligning og generelle tilskud): a column Kommune "
        "(code or name) and a column Socioøkonomisk indeks (with År or --year), or one column per year. Danish "
        "decimals; 1,00 or 100 = national average. The benchmark then chooses peers on it instead of the "
        "package's illustrative index. The file replaces the index of the years it holds.",
    )
    so.add_argument(
        "--year",
        type=int,
        help="the index's year, for a file with one index column and no year (default: the year in the file name)",
    )
    pr = kinds.add_parser(
        "projection",
        parents=[common],
        help="a population projection by municipality, year and age (Statistikbanken FRKM1YY, or your own CSV)",
        description="Load a population projection for the budget's demography: Statistics Denmark's FRKM1YY "
        "(FRKM125 is the projection of 2025) downloaded as CSV, or a CSV with the columns municipality_code; year; "
        "age; persons (an age 18, a group 18-64 or an open top 100-). Sexes are summed; a file replaces the "
        "projection of the municipalities it holds.",
    )
    pr.add_argument(
        "--source",
        dest="source_name",
        help="the projection's name in reports (default: the FRKM id in the file name, else the file name)",
    )
    ld.set_defaults(func=_cmd_load)

    fe = sub.add_parser(
        "fetch",
        help="download public tables and load them (Statistics Denmark)",
        description="Download what the reports need from Statistikbanken (ARE207, FOLK1A, REGK31, BUDK32, HAND01 "
        "for all 98 municipalities) and load it into the warehouse named by --warehouse or ANALYSIS_WAREHOUSE. "
        "Responses are kept in a folder beside the warehouse, so an interrupted fetch continues where it stopped.",
    )
    sources = fe.add_subparsers(dest="source", metavar="SOURCE", required=True)
    fs = sources.add_parser("statbank", help="Statistics Denmark's API (api.statbank.dk)")
    fs.add_argument("--years", required=True, help="the years, e.g. 2018-2025")
    fs.add_argument("--warehouse", help="the warehouse file (default: ANALYSIS_WAREHOUSE; required)")
    fs.add_argument(
        "--base-url",
        help="the API's address (default: ANALYSIS_STATBANK_URL, else https://api.statbank.dk/v1)",
    )
    fs.add_argument("--cache", help="the folder for downloaded responses (default: beside the warehouse)")
    fs.set_defaults(func=_cmd_fetch)

    lo = sub.add_parser(
        "loads", help="list the loads of a warehouse (id, time, file, SHA-256, table, rows, undone)"
    )
    lo.add_argument("--warehouse", help="the warehouse file (default: ANALYSIS_WAREHOUSE)")
    lo.set_defaults(func=_cmd_loads)

    un = sub.add_parser(
        "undo",
        help="restore the warehouse as it was before a load",
        description="Undo a load (see `analysis loads`): the rows it wrote are deleted and the rows it replaced or "
        "removed come back from the history. Refused while a later load that changed the same rows is in force: "
        "undo those first, newest first.",
    )
    un.add_argument("load_id", type=int, help="the load's id, as `analysis loads` lists it")
    un.add_argument("--warehouse", help="the warehouse file (default: ANALYSIS_WAREHOUSE; required)")
    un.set_defaults(func=_cmd_undo)

    b = sub.add_parser(
        "budget",
        help="compute the budget assumptions (price x quantity) of a year and record them as a new version",
        description="Compute a quantity (full-year persons) and a price (DKK per full-year person) for every "
        "function area x paragraph x provider from the previous year's actual, the trend, the 18-64 population, "
        "prices and wages, and the decisions listed in a YAML file; record them as a new version in the table "
        "budget_assumptions (earlier versions are kept; the same inputs again record nothing).",
    )
    b.add_argument(
        "--municipality", type=_municipality, required=True, help="the municipality code, e.g. 706"
    )
    b.add_argument("--year", type=int, required=True, help="the budget year, e.g. 2026")
    b.add_argument("--warehouse", help="the warehouse file (default: ANALYSIS_WAREHOUSE or the sample)")
    b.add_argument(
        "--decisions", help="a YAML file of decisions, e.g. parameters/budget/decisions-example.yaml"
    )
    b.add_argument(
        "--price-growth",
        type=float,
        default=None,
        help="annual growth of prices and wages, a fraction, instead of the P/L index of parameters/price_index.yaml "
        "(the default, as the budget report)",
    )
    b.add_argument(
        "--population-growth",
        type=float,
        default=0.0,
        help="annual growth of the 18-64 population for years without figures, a fraction (0)",
    )
    b.add_argument("--trend-years", type=int, default=3, help="years of the rate's trend; 0 for none (3)")
    b.add_argument(
        "--base-year",
        type=int,
        help="the year of the actual the budget starts from (default: the year before)",
    )
    b.add_argument(
        "--peer-step", type=float, default=0.0, help="share of the way toward the peers' rate and price (0)"
    )
    b.set_defaults(func=_cmd_budget)

    f = sub.add_parser(
        "followup",
        help="record the month's follow-up of every area in the journal, and render the report",
        description="Forecast every function area as of the end of the month, compare with the budget and the "
        "recorded budget assumptions, and record it in the table followup_journal: a new version when the data "
        "changed, nothing when they did not; then render the follow-up report (notebooks/followup.ipynb).",
    )
    f.add_argument(
        "--municipality", type=_municipality, required=True, help="the municipality code, e.g. 706"
    )
    f.add_argument("--year", type=int, required=True, help="the year followed up, e.g. 2025")
    f.add_argument("--month", type=int, required=True, help="the last booked month, 1-11")
    f.add_argument("--warehouse", help="the warehouse file (default: ANALYSIS_WAREHOUSE or the sample)")
    f.add_argument("--output", help="the report's folder (default: reports/followup/<run id>/)")
    f.add_argument("--no-report", action="store_true", help="record only; render no report")
    f.add_argument("--first-year", type=int, default=2018, help="first ledger year the forecast reads (2018)")
    f.set_defaults(func=_cmd_followup)

    sf = sub.add_parser(
        "staffing",
        help="an offer's wage budget as hours per week, substitute hours, and its rates per support-need level",
        description="Read an offer file (see parameters/offers/example-offer.yaml) and print, in Danish, the hours "
        "on the floor the wage budget buys per week, the substitute hours it leaves room for week by week, the wage "
        "budget the roster needs, and the allocation model's rate per level, income and what-if table.",
    )
    sf.add_argument("offer", help="the offer file (YAML), e.g. parameters/offers/example-offer.yaml")
    sf.set_defaults(func=_cmd_staffing)
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
    except (AnalysisError, ValueError, KeyError, OSError) as e:
        # Errors of input (a bad file, an unknown code, a missing warehouse) are the user's to fix: say what and
        # where, without a traceback; so are those of the file system (a full disk, a read-only folder), whose
        # message names the file and the cause. --verbose shows the traceback too.
        if args.verbose:
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"analysis: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
