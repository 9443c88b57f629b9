"""What the follow-up report's computation costs in CPU seconds, and its numbers for a before/after comparison.

Times :func:`analysis.followup.followup` (the month's follow-up of every area: one year-end forecast per area,
back-test, selection and interval, :func:`analysis.forecast.area_forecast`) on the frames the report reads
from the warehouse (read once, outside the timing), and the report's whole page function
:func:`analysis.reporting.rounds.followup_report` (reads the warehouse, computes when the journal does not hold
the month). CPU seconds (``time.process_time``), median of ``--repeat`` runs after one untimed warm-up run; the
load average is printed at the start and the end (the machine may be shared).

``--dump FILE`` writes the follow-up's rows (every column, floats as their exact hexadecimal form) to a CSV;
``--compare FILE1 FILE2`` compares two such files and exits non-zero when any value differs, reporting the
largest relative difference of each numeric column. Before/after: run one checkout with ``--dump``
(``PYTHONPATH=<copy>/src``, e.g. a ``git archive`` of the commit before), then the other, and compare.

Run: ``.venv/bin/python bench/bench_followup.py [--warehouse FILE] [--municipality 706] [--year 2025]
[--month 9] [--first-year 2018] [--repeat 3] [--dump FILE] [--profile]``; ``--warehouse`` defaults to the
default warehouse (the sample, built on first use); it is opened read-only.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

import numpy as np
import pandas as pd

from analysis import followup as fu
from analysis.data import connect, journal, queries
from analysis.reporting import rounds


def frames(con, municipality_code: int, year: int, first_year: int) -> dict:
    """The frames :func:`analysis.reporting.rounds.compute_followup` reads, as keyword arguments."""
    years = (first_year, year)
    where = {"municipality_codes": [municipality_code]}
    return {
        "ledger": queries.ledger(con, years=years, **where),
        "budgets": queries.budgets(con, years=years, **where),
        "activity": queries.activity(con, years=years, **where),
        "cases": queries.cases(con, **where),
        "assumptions": journal.budget_assumptions(con, municipality_code, year),
    }


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median CPU seconds of ``repeat`` runs of ``fn`` after one untimed run, and the last result."""
    out = fn()
    seconds = []
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        seconds.append(time.process_time() - t0)
    return statistics.median(seconds), out


def _hex(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = [float(v).hex() for v in out[c]]
    return out


def compare(path_a: str, path_b: str) -> int:
    """Compare two ``--dump`` files value by value; 0 when equal to the last digit."""
    a, b = pd.read_csv(path_a, dtype=str), pd.read_csv(path_b, dtype=str)
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        print(f"different shapes or columns: {a.shape} {list(a.columns)} against {b.shape} {list(b.columns)}")
        return 1
    differ = 0
    for c in a.columns:
        same = (a[c].fillna("") == b[c].fillna("")).all()
        if same:
            continue
        differ += 1
        try:
            x = np.array([float.fromhex(v) for v in a[c]])
            y = np.array([float.fromhex(v) for v in b[c]])
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.nanmax(np.abs(x - y) / np.maximum(np.abs(x), np.abs(y)))
            print(f"{c}: differs, largest relative difference {rel:.3g}")
        except (TypeError, ValueError):
            print(f"{c}: differs")
    print("equal to the last digit" if not differ else f"{differ} column(s) differ")
    return int(differ > 0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warehouse", default=None, help="DuckDB file (default: the default warehouse)")
    p.add_argument("--municipality", type=int, default=706)
    p.add_argument("--year", type=int, default=2025)
    p.add_argument("--month", type=int, default=9)
    p.add_argument("--first-year", type=int, default=2018)
    p.add_argument("--repeat", type=int, default=3, help="timed runs (median reported); 0: no timing")
    p.add_argument("--dump", default=None, help="write the follow-up's rows to this CSV")
    p.add_argument("--compare", nargs=2, metavar=("FILE1", "FILE2"), help="compare two --dump files and exit")
    p.add_argument("--profile", action="store_true", help="print cProfile's top functions of one follow-up")
    args = p.parse_args()
    if args.compare:
        return compare(*args.compare)

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (start)")
    con = connect(args.warehouse)
    code, year, month, first = args.municipality, args.year, args.month, args.first_year
    kw = frames(con, code, year, first)
    led, budgets = kw.pop("ledger"), kw.pop("budgets")

    def run():
        return fu.followup(led, budgets, code, year, month, first_year=first, **kw)

    if args.repeat < 1:  # the rows only (for --dump)
        rows = run()
    else:
        seconds, rows = timed(run, args.repeat)
        print(
            f"followup.followup, {code} {year} month {month}: {len(rows)} areas, "
            f"{seconds:.2f} s CPU (median of {args.repeat})"
        )
        seconds, rep = timed(lambda: rounds.followup_report(con, code, year, month, first), args.repeat)
        how = "from the journal" if rep.recorded else "computed"
        print(f"rounds.followup_report (rows {how}): {seconds:.2f} s CPU (median of {args.repeat})")
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(run)
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    if args.dump:
        _hex(rows).to_csv(args.dump, index=False)
        print(f"rows written to {args.dump}")
    print(f"load average {os.getloadavg()[0]:.1f} (end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
