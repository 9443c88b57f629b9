"""Loading Statistikbanken tables of national size: prints seconds per load.

A FOLK1A extract of all 98 municipalities, every age 0-125 and the age total, the first quarter of 2018-2025
(99,568 rows, API CSV), and a REGK31 web download (no heading line, Latin-1, kroner per resident) of three
functions for the 98 municipalities, converted with that population. Values are synthetic (100 residents per age).

    .venv/bin/python bench/bench_statbank.py
"""

import tempfile
import time
from pathlib import Path

from analysis.data import reference, statbank
from analysis.data.warehouse import connect


def main() -> None:
    names = reference.municipalities()["municipality"]
    folder = Path(tempfile.mkdtemp())
    lines = ["OMRÅDE;ALDER;TID;INDHOLD"]
    for name in names:
        for year in range(2018, 2026):
            lines.append(f"{name};Alder i alt;{year}K1;{126 * 100}")
            lines += [f"{name};{age} år;{year}K1;100" for age in range(126)]
    (folder / "folk1a.csv").write_text("\ufeff" + "\r\n".join(lines), encoding="utf-8")
    functions = ("5.38.38 Personlig støtte", "5.38.50 Botilbud til længerevarende ophold", "5.38.52 Botilbud")
    web = [
        f'"{name}","{f}","1 Drift","I alt (netto)","Pr. indbygger, løbende priser (kr.)","1234,5"'
        for name in names
        for f in functions
    ]
    (folder / "REGK31_2024.csv").write_bytes("\r\n".join(web).encode("latin-1"))
    con = connect(folder / "own.duckdb", read_only=False)
    try:
        for file, table in (("folk1a.csv", "FOLK1A"), ("REGK31_2024.csv", "REGK31")):
            started = time.perf_counter()
            result = statbank.load(con, folder / file, table)
            seconds = time.perf_counter() - started
            print(
                f"{table}: {result.rows_read:,} rows read, {result.rows_loaded:,} loaded in {seconds:.1f} s"
            )
    finally:
        con.close()


if __name__ == "__main__":
    main()
