"""A year of HAND01 with quarters missing is a finding of the data-quality report, not only a note at load."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from analysis.data import loads, quality, statbank

DATA = Path(__file__).parent / "data" / "statbank"


def _warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "own.duckdb"))
    accounts = pd.DataFrame(
        [
            (101, 2023, "5.38.50", 1_187_333_000.0),
            (101, 2023, "5.38.58", 90_000_000.0),
            (706, 2023, "5.38.58", 9_000_000.0),
            (706, 2024, "5.38.50", 98_765_000.0),
        ],
        columns=["municipality_code", "year", "function_code", "spending_dkk"],
    )
    loads.write(
        con, "accounts", accounts, kind="statbank", source="regk31.csv", sha256="a", options={}, rows_read=4
    )
    return con


def test_missing_quarters_are_found_for_the_municipality_and_zero_elsewhere(tmp_path):
    con = _warehouse(tmp_path)
    statbank.load(con, DATA / "hand01_quarters.csv", "HAND01")
    found = quality.findings(con, 706, (2023, 2024))
    row = found[found["check"] == "incomplete_quarters"]
    # Syddjurs: 2024K4 of §108 and 2023K1 of §103 are '..' in the file -> 2 years with 3 of 4 quarters
    assert row[["kind", "source", "count", "unit"]].values.tolist() == [
        ["statbank", "Danmarks Statistik hand01_quarters.csv", 2, "år"]
    ]
    assert row["examples"].item() == ["2023: 3 af 4 kvartaler", "2024: 3 af 4 kvartaler"]
    assert row["title"].item() == "År med manglende kvartaler i HAND01"
    # København has all quarters: the check was made and found nothing
    other = quality.findings(con, 101, (2023, 2024))
    assert other[other["check"] == "incomplete_quarters"]["count"].tolist() == [0]
    # the report's table shows the finding with its examples
    table = quality.findings_table(quality.report_findings(con, 706, (2023, 2024)))
    shown = table[table.iloc[:, 0].astype(str).str.contains("kvartaler")]
    assert len(shown) == 1 and "2023: 3 af 4 kvartaler" in " ".join(shown.astype(str).values.ravel())


def test_no_row_without_a_hand_table(tmp_path):
    con = _warehouse(tmp_path)
    found = quality.findings(con, 706, (2023, 2024))
    assert "incomplete_quarters" not in set(found["check"])


def test_each_hand_file_of_the_municipality_has_its_row(tmp_path):
    con = _warehouse(tmp_path)
    statbank.load(con, DATA / "hand01_quarters.csv", "HAND01")
    label = "Længerevarende botilbud inkl. tilknyttede ydelser fx §§ 83, 85 (§ 108 i lov om social service)"
    complete = tmp_path / "hand01_b.csv"
    complete.write_text(
        "OMRÅDE;YDELSESTYPE;TID;INDHOLD\n" + "".join(f"Syddjurs;{label};2024K{q};136\n" for q in range(1, 5)),
        encoding="utf-8",
    )
    statbank.load(con, complete, "HAND01")
    found = quality.findings(con, 706, (2023, 2024))
    rows = found[found["check"] == "incomplete_quarters"].sort_values("source")
    # the first file's two short years stay its finding; the second file has all four quarters of 2024: 0
    assert rows[["source", "count"]].values.tolist() == [
        ["Danmarks Statistik hand01_b.csv", 0],
        ["Danmarks Statistik hand01_quarters.csv", 2],
    ]
