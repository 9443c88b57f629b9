"""`analysis load expectations`: the managers' template, read strictly; a bad row refuses the file."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.data import expectations
from analysis.data.schema import SchemaError
from analysis.data.warehouse import connect

DATA = Path(__file__).parent / "data" / "expectations"


def test_the_template_is_read_into_warehouse_rows():
    df, rows, _ = expectations.read_expectations(DATA / "good.csv")
    assert list(rows) == [2, 3, 4, 5]
    assert list(df["kind"]) == ["start", "end", "change", "end"]
    assert list(df["function_code"]) == ["5.38.50", "5.38.50", "5.38.50", "5.38.52"]  # 53850 read with dots
    assert list(df["line"]) == [1, 2, 3, 1]  # numbered within each area
    assert list(df["cases"]) == [2, 1, 1, 1]
    assert df["monthly_cost_dkk"].tolist()[0] == 100_000.0  # "100.000" in a ';' file: thousands dots
    assert df["monthly_cost_dkk"].tolist()[2] == -10_000.0
    assert pd.isna(df["monthly_cost_dkk"].tolist()[1])
    assert list(df["case_id"])[:3] == [None, "706-000002", "706-000001"]
    assert df["date"].tolist()[0] == pd.Timestamp("2025-10-01")


def test_a_file_with_an_unknown_type_is_refused_naming_file_row_and_column():
    with pytest.raises(SchemaError) as e:
        expectations.read_expectations(DATA / "bad_type.csv")
    msg = str(e.value)
    assert "bad_type.csv" in msg and "row 3" in msg and "column 'Type'" in msg
    assert "Tilgang, Afgang or Behovsændring" in msg and "'Opstart'" in msg


def test_a_start_without_a_cost_is_refused():
    with pytest.raises(SchemaError) as e:
        expectations.read_expectations(DATA / "no_cost.csv")
    msg = str(e.value)
    assert "row 2" in msg and "column 'Månedlig udgift'" in msg and "found empty" in msg


@pytest.mark.parametrize(
    ("line", "column", "expected"),
    [
        ("706;5.38.50;Tilgang;01-10-2025;706-000009;1;5.000;", "Sag", "no case number on a Tilgang"),
        ("706;5.38.50;Afgang;31-10-2025;706-000001;2;;", "Antal", "1 for a named case"),
        ("706;5.38.50;Tilgang;01-10-2025;;1,5;5.000;", "Antal", "a whole number of cases"),
        ("706;5.38.50;Afgang;31-10-2025;;1;;", "Månedlig udgift", "a case number in 'Sag'"),
        ("706;5.38.50;Tilgang;31-13-2025;;1;5.000;", "Dato", "date"),
        ("999;5.38.50;Tilgang;01-10-2025;;1;5.000;", "Kommune", "municipality code"),
    ],
)
def test_bad_rows_are_refused(tmp_path, line, column, expected):
    f = tmp_path / "exp.csv"
    header = "Kommune;Funktion;Type;Dato;Sag;Antal;Månedlig udgift;Bemærkning\n"
    f.write_text(header + "706;5.38.50;Tilgang;01-10-2025;;1;5.000;\n" + line + "\n", encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        expectations.read_expectations(f)
    msg = str(e.value)
    assert "exp.csv, row 3" in msg and f"column '{column}'" in msg and expected in msg


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            # the disposition subtracted the case's cost once per Afgang line: twice for one end
            [
                "706;5.38.50;Afgang;30-09-2025;706-1;;;Flytter",
                "706;5.38.50;Afgang;30-09-2025;706-1;;;Flytter",
            ],
            "exp.csv, row 3, column 'Sag': expected one Afgang per case (an end counted twice would subtract the "
            "case's cost twice; which date is meant is not guessed), found case 706-1 again, ending 30-09-2025 "
            "(row 2: 30-09-2025)",
        ),
        (
            ["706;5.38.50;Afgang;30-09-2025;706-1;;;", "706;5.38.52;Afgang;31-10-2025;706-1;;;"],
            "exp.csv, row 3, column 'Sag': expected one Afgang per case (an end counted twice would subtract the "
            "case's cost twice; which date is meant is not guessed), found case 706-1 again, ending 31-10-2025 "
            "(row 2: 30-09-2025)",
        ),
        (
            # two changes of one case on one date were both added: -20.000 kr. a month for a change of -10.000
            [
                "706;5.38.50;Behovsændring;01-11-2025;706-1;;-10.000;",
                "706;5.38.50;Behovsændring;01-11-2025;706-1;;-10.000;",
            ],
            "exp.csv, row 3, column 'Sag': expected one Behovsændring per case and date (two would both be added; "
            "write the whole change on one line), found case 706-1 again on 01-11-2025 (row 2)",
        ),
    ],
)
def test_a_named_case_ended_twice_or_changed_twice_on_one_date_is_refused(tmp_path, lines, message):
    f = tmp_path / "exp.csv"
    header = "Kommune;Funktion;Type;Dato;Sag;Antal;Månedlig udgift;Bemærkning\n"
    f.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        expectations.read_expectations(f)
    assert str(e.value) == message


def test_changes_of_one_case_on_two_dates_and_equal_unnamed_lines_are_read(tmp_path):
    # a need that rises and falls again; two managers' lines for two new citizens alike
    f_lines = [
        "706;5.38.50;Behovsændring;01-11-2025;706-1;;5.000;",
        "706;5.38.50;Behovsændring;01-12-2025;706-1;;-5.000;",
        "706;5.38.50;Tilgang;01-10-2025;;1;100.000;",
        "706;5.38.50;Tilgang;01-10-2025;;1;100.000;",
        "706;5.38.50;Afgang;30-09-2025;706-2;;;",
    ]
    path = tmp_path / "exp.csv"
    path.write_text(
        "Kommune;Funktion;Type;Dato;Sag;Antal;Månedlig udgift;Bemærkning\n" + "\n".join(f_lines) + "\n"
    )
    df, _, _ = expectations.read_expectations(path)
    assert list(df["kind"]) == ["change", "change", "start", "start", "end"]
    assert df["monthly_cost_dkk"].tolist()[:4] == [5_000.0, -5_000.0, 100_000.0, 100_000.0]


def test_the_cli_loads_replaces_the_areas_it_holds_and_a_reload_is_unchanged(tmp_path, capsys):
    w = tmp_path / "own.duckdb"
    assert main(["load", "expectations", str(DATA / "good.csv"), "--warehouse", str(w)]) == 0
    out = capsys.readouterr().out
    assert "4 rows of table 'expectations' loaded (4 new" in out
    assert main(["load", "expectations", str(DATA / "good.csv"), "--warehouse", str(w)]) == 0
    assert "unchanged" in capsys.readouterr().out
    # a new file for 5.38.50 only: its one line replaces that area's three, 5.38.52's stays
    f = tmp_path / "october.csv"
    f.write_text(
        "Kommune;Funktion;Type;Dato;Sag;Antal;Månedlig udgift;Bemærkning\n"
        "706;5.38.50;Tilgang;01-11-2025;;1;90.000;Ny plads\n",
        encoding="utf-8",
    )
    assert main(["load", "expectations", str(f), "--warehouse", str(w)]) == 0
    assert "(0 new, 1 changed, 2 removed)" in capsys.readouterr().out  # line 1 replaced, lines 2-3 removed
    con = connect(w, read_only=True)
    try:
        rows = con.execute(
            "SELECT function_code, line, kind, cases, monthly_cost_dkk FROM expectations ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("5.38.50", 1, "start", 1, 90_000.0), ("5.38.52", 1, "end", 1, 120_000.0)]


def test_a_bad_file_through_the_cli_is_one_line_and_leaves_no_warehouse(tmp_path, capsys):
    w = tmp_path / "own.duckdb"
    assert main(["load", "expectations", str(DATA / "bad_type.csv"), "--warehouse", str(w)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: bad_type.csv, row 3, column 'Type'")
    assert not w.exists()


def test_a_case_extract_may_carry_planned_end_dates(tmp_path):
    from analysis.data import case_extract

    root = Path(__file__).resolve().parents[1]
    text = (root / "docs/examples/cases-example.csv").read_text("utf-8-sig").splitlines()
    rows = [text[0] + ";Bevilget til"] + [
        line + (";30-11-2026" if i == 0 else ";") for i, line in enumerate(text[1:])
    ]
    f = tmp_path / "cases.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = (root / "parameters/mappings/cases.yaml").read_text("utf-8")
    mapping = mapping.replace("  # planned_end_date: Bevilget til", "  planned_end_date: Bevilget til")
    m = tmp_path / "cases.yaml"
    m.write_text(mapping, encoding="utf-8")
    key = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"
    cases, skipped, *_ = case_extract.read_extract(f, m, municipality_code=706, key=key)
    # the example's 7 cases, none skipped: the first planned to end 30-11-2026, the 6 others with no date
    assert len(cases) == 7 and skipped == {}
    assert cases["planned_end_date"].iloc[0] == pd.Timestamp("2026-11-30")
    assert cases["planned_end_date"].isna().tolist() == [False] + [True] * 6
