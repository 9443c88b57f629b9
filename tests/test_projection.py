"""The population projection: Statistikbanken's FRKM layout and the simple one, loaded, and used by the budget's
demography (the loaded projection where it covers the base and the budget year, else the growth parameter)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.budget import budget_model, demography_text_da
from analysis.cli import main
from analysis.data import projection, queries
from analysis.data.schema import SchemaError
from analysis.data.warehouse import connect

MUNI = 706

# FRKM125 as the API's CSV with labels: municipality, age (TOT, single ages, 100-), sex (M, K), year, persons.
# Christiansø (411) is not a municipality; the age totals are left out.
FRKM = """KOMMUNEDK;ALDER;KØN;TID;INDHOLD
706 Syddjurs;TOT;M;2025;21000
706 Syddjurs;17 år;M;2025;300
706 Syddjurs;17 år;K;2025;290
706 Syddjurs;18 år;M;2025;250
706 Syddjurs;18 år;K;2025;240
706 Syddjurs;19-64;M;2025;10000
706 Syddjurs;19-64;K;2025;9510
706 Syddjurs;65-99;M;2025;4000
706 Syddjurs;100-;K;2025;3
706 Syddjurs;18 år;M;2026;260
706 Syddjurs;18 år;K;2026;245
706 Syddjurs;19-64;M;2026;10150
706 Syddjurs;19-64;K;2026;9645
411 Christiansø;18 år;M;2026;1
"""


def _write(tmp_path, text, name="FRKM125.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_frkm_download_is_read_summed_over_sex_and_its_18_64_counted(tmp_path):
    rows, skipped = projection.read_projection(_write(tmp_path, FRKM))
    assert set(rows["source"]) == {"FRKM125"}
    r = rows.set_index(["year", "age_from", "age_to"])["persons"]
    assert r[(2025, 18, 18)] == 490 and r[(2025, 19, 64)] == 19_510 and r[(2026, 19, 64)] == 19_795
    assert r[(2025, 100, projection.OPEN_AGE)] == 3
    assert skipped == {
        "age totals": 1,
        "not one of the 98 municipalities (the whole country, regions, Christiansø)": 1,
    }
    # 18-64 by hand: 2025 490 + 19.510 = 20.000; 2026 505 + 19.795 = 20.300 (17 and 65+ are outside)
    pop, source = projection.population_18_64(rows, MUNI)
    assert pop == {2025: 20_000.0, 2026: 20_300.0} and source == "FRKM125"


def test_a_year_whose_ages_18_64_are_not_covered_is_not_counted():
    rows = pd.DataFrame(
        {
            "municipality_code": MUNI,
            "year": [2025, 2025, 2026],
            "age_from": [18, 30, 18],
            "age_to": [29, 64, 60],  # 2026 lacks 61-64; a group straddling 64 would not count either
            "persons": [5_000.0, 15_000.0, 19_000.0],
            "source": "egen",
        }
    )
    assert projection.population_18_64(rows, MUNI) == ({2025: 20_000.0}, "egen")


@pytest.mark.parametrize(
    ("line", "column", "expected"),
    [
        ("706;2026;atten;500", "age", "an age (18)"),
        ("706;26;18;500", "year", "a year (2026)"),
        ("706;2026;18;-5", "persons", "a number of persons"),
    ],
)
def test_a_value_that_is_not_one_is_refused_naming_row_and_column(tmp_path, line, column, expected):
    path = _write(tmp_path, f"municipality_code;year;age;persons\n706;2026;19-64;100\n{line}\n", "egen.csv")
    with pytest.raises(SchemaError) as e:
        projection.read_projection(path)
    assert e.value.row == 3 and e.value.column == column and expected in str(e.value)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            # summed as if they were the two sexes: 1.024 persons aged 18 for a file that says 512
            ["706;2026;18;512", "706;2026;18;512"],
            "egen.csv, row 3, column 'age': expected one row per municipality, year, age and sex (the sexes are "
            "summed; a row given twice would count its persons twice), found municipality 706, 2026, age 18 "
            "again (row 2)",
        ),
        (
            # refused by the warehouse as "row 2 ... the same key as row 1", the heading's row, in column 'age_from'
            ["706;2026;18;512", "706;2026;18-64;26500"],
            "egen.csv, row 3, column 'age': expected ages that do not overlap (the persons of an age in two rows "
            "would be counted twice), found 18-64, which overlaps 18 (row 2) for municipality 706 in 2026",
        ),
        (
            ["706;2026;0-17;5000", "706;2026;10-64;26500"],
            "egen.csv, row 3, column 'age': expected ages that do not overlap (the persons of an age in two rows "
            "would be counted twice), found 10-64, which overlaps 0-17 (row 2) for municipality 706 in 2026",
        ),
    ],
)
def test_a_row_given_twice_or_overlapping_ages_are_refused_naming_the_rows(tmp_path, lines, message):
    path = _write(tmp_path, "municipality_code;year;age;persons\n" + "\n".join(lines) + "\n", "egen.csv")
    with pytest.raises(SchemaError) as e:
        projection.read_projection(path)
    assert str(e.value) == message


def test_the_same_age_of_two_sexes_is_summed_and_the_rows_read_are_the_files(tmp_path, capsys):
    path = _write(
        tmp_path,
        "KOMMUNEDK;ALDER;KØN;TID;INDHOLD\n706;18;M;2026;256\n706;18;K;2026;250\n706;19-64;M;2026;1\n",
    )
    rows, _ = projection.read_projection(path)
    assert rows[["age_from", "age_to", "persons"]].values.tolist() == [[18, 18, 506.0], [19, 64, 1.0]]
    assert main(["load", "projection", str(path), "--warehouse", str(tmp_path / "w.duckdb")]) == 0
    assert (
        "FRKM125.csv: 3 rows read; 2 rows" in capsys.readouterr().out
    )  # said '2 rows read' (the rows summed)


def _activity() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "municipality_code": MUNI,
            "function_code": "5.38.50",
            "paragraph": "§108",
            "provider": "internal",
            "year": 2025,
            "full_year_persons": [10.0],
            "spending_dkk": [1_000_000.0],
        }
    )


def test_the_budget_uses_the_projection_for_the_budget_year_against_the_base_year():
    # 10 persons at 100.000 kr.; projection 20.300 / 20.000 = 1,015: 10,15 persons, 1.015.000 kr. (no trend, no
    # price growth); the actual population (10.000) and the growth parameter are not used
    r = budget_model(
        _activity(),
        MUNI,
        2026,
        population={2025: 10_000.0},
        population_growth=0.05,
        projection={2025: 20_000.0, 2026: 20_300.0},
        projection_source="FRKM125",
        price_growth=0.0,
        trend_years=0,
    )
    assert r.inputs["demography_source"] == "projection" and r.inputs["demography_factor"] == pytest.approx(
        1.015
    )
    assert r.assumptions["full_year_persons"].iloc[0] == pytest.approx(10.15)
    assert r.total_dkk == pytest.approx(1_015_000.0)
    assert r.areas.loc["5.38.50", "rate"] == pytest.approx(1000 * 10.15 / 10_150)  # the actual 10.000 x 1,015
    assert demography_text_da(r) == (
        "befolkningsfremskrivningen FRKM125: de 18-64-årige 2026 mod 2025, faktor 1,0150"
    )
    # a projection without the base year: the growth parameter, 10.000 x 1,05, and the report says why
    r = budget_model(
        _activity(),
        MUNI,
        2026,
        population={2025: 10_000.0},
        population_growth=0.05,
        projection={2026: 20_300.0},
        projection_source="FRKM126",
        price_growth=0.0,
        trend_years=0,
    )
    assert r.inputs["demography_source"] == "growth" and r.total_dkk == pytest.approx(1_050_000.0)
    assert "antaget vækst" in demography_text_da(r)
    assert "den indlæste fremskrivning FRKM126 dækker ikke 2025 og 2026" in demography_text_da(r)


def test_analysis_load_projection_and_the_budget_read_it(tmp_path, capsys, sample_path):
    import shutil

    from analysis.reporting import rounds

    w = tmp_path / "own.duckdb"
    assert main(["load", "projection", str(_write(tmp_path, FRKM)), "--warehouse", str(w)]) == 0
    assert main(["load", "projection", str(_write(tmp_path, FRKM)), "--warehouse", str(w)]) == 0  # unchanged
    con = connect(w)
    try:
        rows = queries.population_projection(con, municipality_codes=[MUNI])
        assert len(rows) == 7 and set(rows["source"]) == {"FRKM125"}
    finally:
        con.close()
    # the budget of a warehouse with the projection: 18-64 2026 against 2025 = 20.300 / 20.000
    copy = tmp_path / "copy.duckdb"
    shutil.copy(sample_path, copy)
    con = connect(copy, read_only=False)
    try:
        plain = rounds.compute_budget(con, MUNI, 2026, trend_years=0)
        assert plain.inputs["demography_source"] == "growth"
        projection.load(con, _write(tmp_path, FRKM))
        r = rounds.compute_budget(con, MUNI, 2026, trend_years=0)
    finally:
        con.close()
    assert r.inputs["demography_source"] == "projection" and r.inputs["projection_source"] == "FRKM125"
    assert r.inputs["demography_factor"] == pytest.approx(1.015)
    assert r.assumptions["full_year_persons"].sum() == pytest.approx(
        plain.assumptions["full_year_persons"].sum() / plain.inputs["demography_factor"] * 1.015
    )


def test_a_warehouse_without_the_table_reads_no_projection(sample_path):
    con = connect(sample_path)
    try:
        assert queries.population_projection(con, municipality_codes=[MUNI]).empty
    finally:
        con.close()


def test_a_projection_is_read_by_the_strict_reader_as_the_other_loaders(tmp_path):
    # '1.234' is 1.234 persons in a ';' file (it was float('1.234') = 1.234 persons), a group of 2.500,5 too
    path = _write(
        tmp_path, "municipality_code;year;age;persons\n706;2026;18;1.234\n706;2026;19-64;25.000\n", "e.csv"
    )
    rows, _ = projection.read_projection(path)
    assert rows["persons"].tolist() == [1234.0, 25000.0]
    # in a ',' file '1.234' reads two ways: refused, naming row and column
    path = _write(
        tmp_path, "municipality_code,year,age,persons\n706,2026,18,512\n706,2026,19,1.234\n", "e.csv"
    )
    with pytest.raises(
        SchemaError, match=r"^e.csv, row 3, column 'persons': expected an amount whose decimal mark"
    ):
        projection.read_projection(path)
    # a quote never closed: refused naming the row (pandas' ParserError, or rows run together, before)
    path = _write(tmp_path, 'municipality_code;year;age;persons\n706;2026;"18;5\n706;2026;19;5\n', "e.csv")
    with pytest.raises(SchemaError, match=r"^e.csv, row 2, column 'age': expected well-formed CSV"):
        projection.read_projection(path)
    # UTF-16 from Excel's "Unicode text", and an Excel workbook with number cells, read as the CSV
    text = "municipality_code\tyear\tage\tpersons\n706\t2026\t18\t512\n706\t2026\t19-64\t26500\n"
    (tmp_path / "u.txt").write_bytes(text.encode("utf-16"))
    expected = [(706, 2026, 18, 18, 512.0), (706, 2026, 19, 64, 26500.0)]
    got, _ = projection.read_projection(tmp_path / "u.txt")
    assert (
        list(got[["municipality_code", "year", "age_from", "age_to", "persons"]].itertuples(index=False))
        == expected
    )
    pd.DataFrame(
        {"kommune": [706, 706], "år": [2026, 2026], "alder": [18, "19-64"], "antal": [512, 26500]}
    ).to_excel(tmp_path / "e.xlsx", index=False)
    got, _ = projection.read_projection(tmp_path / "e.xlsx")
    assert (
        list(got[["municipality_code", "year", "age_from", "age_to", "persons"]].itertuples(index=False))
        == expected
    )


@pytest.mark.parametrize("year", ["2024-2025", "2024/25", "2026.5", "26"])
def test_a_year_span_is_refused_not_read_as_its_first_year(tmp_path, year):
    path = _write(tmp_path, f"municipality_code;year;age;persons\n706;2026;18;5\n706;{year};18;5\n", "e.csv")
    with pytest.raises(SchemaError) as e:
        projection.read_projection(path)
    assert str(e.value) == (
        "e.csv, row 3, column 'year': expected a year (2026): the year the projected population is for, on 1 January "
        f"(not a span such as 2024-2025), found '{year}'"
    )
