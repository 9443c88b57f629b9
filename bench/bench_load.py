"""Loading a big ledger export: wall time and peak memory of `analysis load ledger` on a generated file.

Usage::

    .venv/bin/python bench/bench_load.py                 # 2,000,000 postings
    .venv/bin/python bench/bench_load.py --rows 200000   # a smaller file
    .venv/bin/python bench/bench_load.py --keep DIR      # keep the file and the warehouse in DIR

The file is generated with a fixed seed: 2024-2025 postings of one municipality (706) on 20 function codes, Danish
dates (31-01-2025) and amounts (1.234.567,89, some negative with a trailing minus), dranst 1 (mostly), 2 and 3 in
the ways exports write them (1, 01, Drift ...), arts, unique voucher numbers and texts with invoice numbers, some
quoted with a ';' inside. The load runs as a separate process (the command line, as a user runs it), twice: into a
new warehouse, and again into the same warehouse (every row in place: "unchanged"). Printed: the file's size, the
wall time and the peak resident memory of each run (the child's maximum RSS, from getrusage).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "parameters" / "mappings" / "ledger.yaml"
FUNCTIONS = [
    "5.38.40", "5.38.41", "5.38.42", "5.38.44", "5.38.45", "5.38.50", "5.38.51", "5.38.52", "5.38.53", "5.38.58",
    "5.38.59", "5.32.30", "5.32.33", "5.28.20", "5.28.21", "5.28.23", "5.57.72", "5.58.80", "5.58.81", "5.58.82",
]  # fmt: skip
ARTS = ["1.0", "1.1", "2.2", "2.9", "4.0", "4.7", "4.9", "5.2", "7.1", "7.7", "8.6"]
DRANST = ["1", "1", "1", "1", "1", "01", "Drift", "1 Drift", "1.0", "2", "3"]
TEXTS = [
    "Lønninger, egne tilbud",
    "Køb af pladser i andre kommuner",
    "Husleje",
    "Forplejning",
    "Befordring",
    "Vikarbureau",
    "Salg af pladser til andre kommuner",
    "Statsrefusion, særligt dyre enkeltsager",
    "Rengøring; vinduespolering",
    "Kontorartikler",
]


def _danish(amounts: np.ndarray) -> list[str]:
    out = []
    for a in amounts:
        text = f"{abs(a):,.2f}".translate(str.maketrans({",": ".", ".": ","}))
        out.append(text + "-" if a < 0 else text)
    return out


def generate(path: Path, rows: int, seed: int = 2025) -> None:
    """Write a ledger export of ``rows`` postings (see the module docstring)."""
    rng = np.random.default_rng(seed)
    block = 200_000
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\ufeffBilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst\r\n")
        done = 0
        while done < rows:
            n = min(block, rows - done)
            days = rng.integers(0, 730, n)
            dates = (np.datetime64("2024-01-01") + days).astype("datetime64[D]").astype(str)
            functions = rng.choice(FUNCTIONS, n)
            dranst = rng.choice(DRANST, n)
            arts = rng.choice(ARTS, n)
            amounts = np.round(rng.lognormal(8.5, 1.6, n), 2) * np.where(rng.random(n) < 0.08, -1, 1)
            texts = rng.choice(TEXTS, n)
            invoice = rng.integers(100_000, 999_999, n)
            lines = []
            for i, (d, fn, dr, art, amount, text, inv) in enumerate(
                zip(dates, functions, dranst, arts, _danish(amounts), texts, invoice, strict=True)
            ):
                y, m, day = d.split("-")
                t = f'"{text} {inv}"' if ";" in text else f"{text}, faktura {inv}"
                lines.append(f"{done + i + 1};{day}-{m}-{y};{fn};{dr};{art};{amount};{t}\r\n")
            f.write("".join(lines))
            done += n


def run(cmd: list[str]) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds of the child, peak RSS of the child in MB, its output)."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: the first (biggest) load is the one measured
    return seconds, cpu, after.ru_maxrss / 1024, proc.stdout


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2_000_000, help="postings in the file (default 2,000,000)")
    p.add_argument("--keep", help="a folder for the file and the warehouse (default: a temporary folder)")
    args = p.parse_args(argv)
    tmp = None
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        folder = Path(tmp.name)
    try:
        path = folder / f"ledger-{args.rows}.csv"
        if not path.exists():
            started = time.perf_counter()
            generate(path, args.rows)
            print(f"generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        warehouse = folder / "bench.duckdb"
        warehouse.unlink(missing_ok=True)
        analysis = [sys.executable, "-m", "analysis.cli"]
        cmd = [
            *analysis,
            "load",
            "ledger",
            str(path),
            "--mapping",
            str(MAPPING),
            "--municipality",
            "706",
            "--warehouse",
            str(warehouse),
        ]
        env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cores"
        load = os.getloadavg()[0]
        first, first_cpu, peak, out = run(cmd)
        again, again_cpu, _, out2 = run(cmd)
        print(
            f"file: {args.rows:,} postings, {path.stat().st_size / 1e6:.0f} MB ({env_note}, load {load:.1f})"
        )
        print(
            f"load into a new warehouse: {first:.1f} s wall, {first_cpu:.1f} s CPU, peak memory {peak:.0f} MB"
        )
        print(f"same file again (unchanged): {again:.1f} s wall, {again_cpu:.1f} s CPU")
        print(out.strip().splitlines()[1] if len(out.strip().splitlines()) > 1 else out.strip())
        print(out2.strip().splitlines()[0])
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
