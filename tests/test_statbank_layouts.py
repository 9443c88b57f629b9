"""Every layout a user gets from Statistikbanken, units never bypassed, and a file is the table it is loaded as.

The fixtures in tests/data/statbank/ are hand-made in the layouts of statbank.dk's web downloads (see its README);
the expected amounts are computed by hand in the comments.
"""

import shutil
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.data import statbank
from analysis.data.schema import SchemaError

DATA = Path(__file__).parent / "data" / "statbank"


def accounts(con):
    df = con.execute("SELECT * FROM accounts").df()
    return df.set_index(["municipality_code", "year", "function_code"])["spending_dkk"]


# ---------------------------------------------------------------------------------------------------------------
# Layouts


def test_web_download_without_heading_latin1_kroner_per_resident_is_converted_with_folk1a(own_con):
    # "Gem som CSV": no heading line, comma-separated, every field quoted, Latin-1, the year only in the name,
    # kroner per resident. FOLK1A on 1 January 2024: København 647,800, Syddjurs 43,040.
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    result = statbank.load(own_con, DATA / "REGK31_2024.csv", "REGK31")
    acc = accounts(own_con)
    assert acc[(101, 2024, "5.38.45")] == 379 * 647_800 == 245_516_200  # about 250 mio. kr., not 379 kr.
    assert acc[(101, 2024, "5.38.50")] == pytest.approx(1905.8 * 647_800)  # 1.234.577.240 kr.
    assert acc[(706, 2024, "5.38.45")] == pytest.approx(98.3 * 43_040)  # 4.230.832 kr.
    assert acc[(706, 2024, "5.38.50")] == pytest.approx(2294.7 * 43_040)  # 98.763.888 kr.
    assert len(acc) == 4  # Syddjurs 5.38.52 is '..'; the country and the region are left out
    assert result.skipped["the whole country, regions and other areas (not municipalities)"] == 3
    assert any("per resident were multiplied by the FOLK1A population" in n for n in result.notes)


def test_kroner_per_resident_without_folk1a_are_refused_naming_folk1a_and_nothing_is_written(own_con):
    with pytest.raises(SchemaError) as e:
        statbank.load(own_con, DATA / "REGK31_2024.csv", "REGK31")
    message = str(e.value)
    assert message.startswith("REGK31_2024.csv, column 'PRISENHED': expected the population")
    assert "load FOLK1A for 2024 first" in message and "no population for 101 in 2024" in message
    assert own_con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0


def test_unit_never_turns_kroner_per_resident_into_kroner(own_con):
    # before: --unit 1 skipped the per-resident check and stored København 5.38.45 as 379 kr.
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    with pytest.raises(
        SchemaError, match=r"expected --unit only for a PRISENHED in kroner.*found 'Pr. indbygger"
    ):
        statbank.load(own_con, DATA / "REGK31_2024.csv", "REGK31", unit=1)
    with pytest.raises(
        SchemaError, match=r"expected --unit 1 to agree with the PRISENHED's own unit \(1000 kr.\)"
    ):
        statbank.load(own_con, DATA / "regk31_labels.csv", "REGK31", unit=1)
    assert own_con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0


def test_web_download_semicolon_utf8_with_a_time_column_keeps_the_thousands(own_con):
    result = statbank.load(own_con, DATA / "regk31_web_semicolon.csv", "REGK31")
    acc = accounts(own_con)
    assert acc[(706, 2024, "5.38.50")] == 98_765_000
    assert acc[(101, 2023, "5.38.52")] == 402_114_000
    assert acc[(751, 2024, "5.38.50")] == 731_002_000
    assert len(acc) == 9  # 5 functions x 2 years, Syddjurs 5.38.52 2024 is '..'
    assert result.skipped["the other PRISENHED (each row is given in two units)"] == 10


def test_matrix_with_danish_title_lines_and_repeated_labels_left_blank(own_con):
    df = statbank.read(DATA / "regk31_matrix_da.csv")
    assert df.attrs["layout"] == "web-matrix" and df.attrs["title"].startswith("Kommunernes regnskaber")
    statbank.load(own_con, DATA / "regk31_matrix_da.csv", "REGK31")
    acc = accounts(own_con)
    assert acc[(101, 2024, "5.38.52")] == 415_880_000  # the blank label under København is København
    assert acc[(706, 2023, "5.38.52")] == 40_021_000
    assert (706, 2024, "5.38.52") not in acc.index and len(acc) == 7


def test_matrix_with_english_title_comma_and_quotes(own_con):
    statbank.load(own_con, DATA / "budk32_matrix_en.csv", "BUDK32")
    budgets = (
        own_con.execute("SELECT * FROM budgets").df().set_index(["municipality_code", "year"])["budget_dkk"]
    )
    assert budgets[(101, 2025)] == 1_270_500_000  # Copenhagen, DKK 1,000
    assert budgets[(706, 2024)] == 96_400_000 and len(budgets) == 6


def test_folk1a_web_download_gives_the_population(own_con):
    statbank.load(own_con, DATA / "folk1a_web.csv", "FOLK1A")
    m = own_con.execute("SELECT * FROM municipalities").df().set_index("municipality_code")
    assert m.loc[101, ["population", "population_18_64"]].tolist() == [647_800, 427_700]
    assert m.loc[706, ["population", "population_18_64"]].tolist() == [43_040, 24_440]


def test_the_year_of_a_web_download_from_year_or_the_name_never_guessed(tmp_path, own_con):
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    nameless = tmp_path / "regk31.csv"
    shutil.copy(DATA / "REGK31_2024.csv", nameless)
    with pytest.raises(SchemaError, match=r"expected a time column, --year YEAR, or a year in the file name"):
        statbank.load(own_con, nameless, "REGK31")
    two = tmp_path / "regk31_2023_2024.csv"
    shutil.copy(DATA / "REGK31_2024.csv", two)
    with pytest.raises(SchemaError, match="a year in the file name"):
        statbank.load(own_con, two, "REGK31")  # two years in the name: ambiguous
    statbank.load(own_con, nameless, "REGK31", year=2024)
    assert accounts(own_con)[(101, 2024, "5.38.45")] == 245_516_200
    with pytest.raises(SchemaError, match="expected --year only for a file without a time column"):
        statbank.load(own_con, DATA / "regk31_web_semicolon.csv", "REGK31", year=2024)
    assert statbank.year_from_name("2024 regnskab.csv") == "2024"
    # --year 2023 for a file named 2024: one of the two is wrong (--year used to win, silently)
    with pytest.raises(SchemaError) as e:
        statbank.load(own_con, DATA / "REGK31_2024.csv", "REGK31", year=2023)
    assert str(e.value) == (
        "REGK31_2024.csv, column 'TID': expected --year 2023 to agree with the year of the file's name (2024); which "
        "one is right is not guessed: rename the file or correct --year, found --year 2023 and a name that says 2024"
    )
    statbank.load(
        own_con, DATA / "REGK31_2024.csv", "REGK31", year=2024
    )  # the same year twice is no conflict


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            '"København","Noget helt andet","12"\n"Syddjurs","Noget andet","13"\n',
            "column 2 holds values it cannot",
        ),
        ('"København","5.38.50 Botilbud","ikke et tal"\n', "a last column of values, found 'ikke et tal'"),
        ("bare en linje\n", "one column only"),
    ],
)
def test_a_layout_it_cannot_read_is_refused_listing_the_layouts_it_reads(text, found):
    with pytest.raises(SchemaError) as e:
        statbank.read(text, name="x.csv", year=2024)
    message = str(e.value)
    assert message.startswith("x.csv")
    assert "expected one of the layouts it reads: the API's CSV or BULK" in message
    assert "'Gem som CSV' without a heading line" in message and "matrix with title lines" in message
    assert found in message


# ---------------------------------------------------------------------------------------------------------------
# FOLK1A: the whole population or nothing


@pytest.mark.parametrize(("variable", "value"), [("KØN", "Mænd"), ("CIVILSTAND", "Ugift")])
def test_folk1a_for_one_sex_or_one_marital_status_is_refused(variable, value):
    ages = "".join(f"Syddjurs;{value};{a} år;2024K1;100\n" for a in range(126))
    text = f"OMRÅDE;{variable};ALDER;TID;INDHOLD\nSyddjurs;{value};Alder i alt;2024K1;12600\n" + ages
    with pytest.raises(SchemaError) as e:
        statbank.to_municipalities(statbank.read(text, name="f.csv"), name="f.csv")
    assert str(e.value).startswith(f"f.csv, column '{variable}': expected {variable} at its total ('I alt')")
    assert f"found '{value}'" in str(e.value)


def test_folk1a_for_an_age_band_without_the_total_is_refused():
    text = "OMRÅDE;ALDER;TID;INDHOLD\n" + "".join(f"Syddjurs;{a} år;2024K1;500\n" for a in range(18, 65))
    with pytest.raises(
        SchemaError, match=r"expected the age total or every age 0-125 \(ALDER=\*\), found no 0, 1"
    ):
        statbank.to_municipalities(statbank.read(text, name="f.csv"), name="f.csv")
    full = "OMRÅDE;ALDER;TID;INDHOLD\n" + "".join(f"Syddjurs;{a} år;2024K1;10\n" for a in range(126))
    m = statbank.to_municipalities(statbank.read(full)).frame
    assert m[["population", "population_18_64"]].values.tolist() == [[1260, 470]]  # 126 x 10, 47 x 10


def test_folk1a_whose_age_total_disagrees_with_its_ages_is_refused():
    # every age 0-125 at 10 persons is 1.260; a total of 5.000 was stored as the population without a word
    ages = "".join(f"Syddjurs;{a} år;2024K1;10\n" for a in range(126))
    text = "OMRÅDE;ALDER;TID;INDHOLD\nSyddjurs;Alder i alt;2024K1;5000\n" + ages
    with pytest.raises(SchemaError) as e:
        statbank.to_municipalities(statbank.read(text, name="f.csv"), name="f.csv")
    assert str(e.value) == (
        "f.csv, row 2, column 'INDHOLD': expected the age total to be the sum of the ages 0-125 (which of the two "
        "is the population is not guessed), found 5000 for 706 in 2024, while the ages sum to 1260"
    )
    agree = text.replace(";5000", ";1260")
    assert statbank.to_municipalities(statbank.read(agree)).frame["population"].tolist() == [1260]


def test_folk1a_with_a_negative_count_is_refused_naming_its_row():
    # an age of -10 persons was summed into the population (126 x 10 - 20 = 1.240)
    ages = "".join(f"Syddjurs;{a} år;2024K1;{-10 if a == 30 else 10}\n" for a in range(126))
    with pytest.raises(SchemaError) as e:
        statbank.to_municipalities(
            statbank.read("OMRÅDE;ALDER;TID;INDHOLD\n" + ages, name="f.csv"), name="f.csv"
        )
    assert (
        str(e.value)
        == "f.csv, row 32, column 'INDHOLD': expected a number of residents, 0 or more, found -10"
    )


def test_folk1a_with_a_count_with_decimals_is_refused():
    # '1,234' persons (1234 with an English thousands separator, or a decimal comma) was read as 1.234 residents
    ages = "".join(f"Syddjurs;{a} år;2024K1;{'1,234' if a == 30 else 10}\n" for a in range(126))
    with pytest.raises(SchemaError) as e:
        statbank.to_municipalities(
            statbank.read("OMRÅDE;ALDER;TID;INDHOLD\n" + ages, name="f.csv"), name="f.csv"
        )
    assert str(e.value) == (
        "f.csv, row 32, column 'INDHOLD': expected a whole number of residents (a count with decimals may be a "
        "number written with a thousands separator, 1,234 for 1234), found 1.234"
    )


def test_folk1a_with_an_age_that_is_not_one_names_its_row():
    text = "OMRÅDE;ALDER;TID;INDHOLD\nSyddjurs;18 år;2024K1;10\nSyddjurs;atten år;2024K1;10\n"
    with pytest.raises(SchemaError) as e:
        statbank.to_municipalities(statbank.read(text, name="f.csv"), name="f.csv")
    assert (
        str(e.value)
        == "f.csv, row 3, column 'ALDER': expected ages such as '18 år' or 'Alder i alt', found 'atten år'"
    )


def test_an_area_of_0_km2_or_less_is_refused_naming_its_row():
    text = "OMRÅDE;TID;INDHOLD\nSyddjurs;2024;690,2\nKøbenhavn;2024;-86,4\n"
    with pytest.raises(SchemaError) as e:
        statbank.to_areas(statbank.read(text, name="a.csv"), name="a.csv")
    assert (
        str(e.value) == "a.csv, row 3, column 'INDHOLD': expected an area above 0 km², found -86.4"
    )  # no row


def test_folk1a_with_a_suppressed_count_names_its_row():
    ages = "".join(f"Syddjurs;{a} år;2024K1;{'..' if a == 30 else 10}\n" for a in range(126))
    with pytest.raises(SchemaError) as e:
        statbank.to_municipalities(
            statbank.read("OMRÅDE;ALDER;TID;INDHOLD\n" + ages, name="f.csv"), name="f.csv"
        )
    assert (
        str(e.value)
        == "f.csv, row 32, column 'INDHOLD': expected a population count in every row, found '..'"
    )


# ---------------------------------------------------------------------------------------------------------------
# A file is the table it is loaded as


def test_one_file_is_not_accepted_as_regk31_and_then_as_budk32(tmp_path, own_con):
    neutral = tmp_path / "kommunetal.csv"  # the same API file under a name that names no table
    shutil.copy(DATA / "regk31_labels.csv", neutral)
    statbank.load(own_con, neutral, "REGK31")
    with pytest.raises(SchemaError) as e:
        statbank.load(own_con, neutral, "BUDK32")
    assert "loaded as table 'accounts' (REGK31) by the statbank loader in load 1 at " in str(e.value)
    assert own_con.execute("SELECT count(*) FROM budgets").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("file", "table", "found"),
    [
        ("regk31_labels.csv", "BUDK32", "a file whose name says REGK31"),
        ("regk31_matrix_da.csv", "BUDK32", "a title that says accounts"),
        ("budk32_matrix_en.csv", "REGK31", "a title that says budgets"),
        ("folk1a.csv", "REGK31", "no FUNKTION variable"),
        ("hand_recipients.csv", "FOLK1A", "types of service by paragraph (§), which HAND01 has"),
        ("folk1a.csv", "HAND01", "the variable ALDER (age), which FOLK1A has"),
    ],
)
def test_a_file_of_another_table_is_refused(tmp_path, own_con, file, table, found):
    path = tmp_path / ("data.csv" if file != "regk31_labels.csv" else file)
    shutil.copy(DATA / file, path)
    with pytest.raises(SchemaError) as e:
        statbank.load(own_con, path, table)
    assert found in str(e.value)


def test_the_command_line_loads_a_web_download_with_year(tmp_path, capsys):
    w = str(tmp_path / "own.duckdb")
    nameless = tmp_path / "regnskab.csv"
    shutil.copy(DATA / "REGK31_2024.csv", nameless)
    assert main(["load", "statbank", str(DATA / "folk1a.csv"), "--table", "FOLK1A", "--warehouse", w]) == 0
    args = ["load", "statbank", str(nameless), "--table", "REGK31", "--year", "2024", "--warehouse", w]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert (
        "regnskab.csv: 8 rows read; 4 rows of table 'accounts' loaded (4 new, 0 changed, 0 removed)." in out
    )


def test_an_unterminated_quote_in_a_web_download_is_refused_with_its_row():
    # issue 10: a quote left open must not swallow the rows after it
    text = '"København","5.38.50 Botilbud","2024","12"\n"Syddjurs","5.38.50 Botilbud","2024","13\n'
    with pytest.raises(
        SchemaError, match=r"x.csv, row 2: expected well-formed CSV, found unexpected end of data"
    ):
        statbank.read(text, name="x.csv")


def test_a_value_that_reads_two_ways_is_refused():
    # issue 10: '100.000' without a decimal comma anywhere may be 100 or 100.000 kr.
    text = '"København","5.38.50 Botilbud","2024","100.000"\n"Syddjurs","5.38.50 Botilbud","2024","12.5"\n'
    with pytest.raises(
        SchemaError, match=r"x.csv, row 1, column 'INDHOLD': expected a number that reads one way"
    ):
        statbank.read(text, name="x.csv")
    same = '"København","5.38.50 Botilbud","2024","100.000"\n"Syddjurs","5.38.50 Botilbud","2024","12,5"\n'
    assert statbank.read(same).value.tolist() == [
        100_000.0,
        12.5,
    ]  # with a decimal comma the dot is thousands


def test_a_refused_conversion_creates_nothing(own_con):
    with pytest.raises(SchemaError, match="load FOLK1A for 2024 first"):
        statbank.load(own_con, DATA / "REGK31_2024.csv", "REGK31")
    assert own_con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0


def test_a_matrix_of_one_year_is_read_with_the_year_of_its_heading(tmp_path, own_con):
    # statbank.dk's matrix with one year has a heading line with a single filled cell (';;;;;2023'); it used to be
    # taken for a title line, so the file read as a download without a time column and got the year of its name
    # (2024 here) or of --year: the 2023 accounts stored as 2024.
    text = (
        "Kommunernes regnskaber på funktioner efter område, funktion, dranst, art, prisenhed og tid\n"
        "Enhed: 1.000 kr.\n"
        ";;;;;2023\n"
        "København;5.38.50 Botilbud til længerevarende ophold;1 Driftskonti;I alt (netto);"
        "Løbende priser (1.000 kr.);1187333\n"
        "Syddjurs;5.38.50 Botilbud til længerevarende ophold;1 Driftskonti;I alt (netto);"
        "Løbende priser (1.000 kr.);95112\n"
    )
    path = tmp_path / "REGK31_2024.csv"
    path.write_text(text, encoding="cp1252")
    df = statbank.read(path)
    assert df.attrs["layout"] == "web-matrix"
    assert [str(p) for p in df["period"]] == ["2023", "2023"]
    statbank.load(own_con, path, "REGK31")
    acc = accounts(own_con)
    assert acc.to_dict() == {(101, 2023, "5.38.50"): 1_187_333_000, (706, 2023, "5.38.50"): 95_112_000}
    with pytest.raises(SchemaError, match="expected --year only for a file without a time column"):
        statbank.read(path, year=2024)  # the heading gives the year; --year is not guessed over it


def _workbook(path, rows, sheets=1):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Tabel"
    for row in rows:
        book.active.append(row)
    for i in range(1, sheets):
        book.create_sheet(f"Ark{i + 1}").append(["noget andet"])
    book.save(path)
    return path


_KR = "Løbende priser (1.000 kr.)"
_MATRIX_ROWS = [
    ["Kommunernes regnskaber på funktioner efter område, funktion, dranst, art, prisenhed og tid"],
    ["Enhed: 1.000 kr."],
    [None, None, None, None, None, 2023, 2024],
    [
        "København",
        "5.38.50 Botilbud til længerevarende ophold",
        "1 Driftskonti",
        "I alt (netto)",
        _KR,
        1187333,
        1234567,
    ],
    [None, "5.38.52 Botilbud til midlertidigt ophold", "1 Driftskonti", "I alt (netto)", _KR, 402114, 415880],
    [
        "Syddjurs",
        "5.38.50 Botilbud til længerevarende ophold",
        "1 Driftskonti",
        "I alt (netto)",
        _KR,
        95112.5,
        "..",
    ],
    [],
    ["Kilde: Danmarks Statistik"],
]


def test_statbanks_excel_download_is_read_like_its_csv_download(tmp_path, own_con):
    # statbank.dk's "Excel (xlsx)" export of the matrix was refused as a layout it cannot read
    path = _workbook(tmp_path / "regk31.xlsx", _MATRIX_ROWS)
    df = statbank.read(path)
    assert df.attrs["layout"] == "web-matrix" and df.attrs["title"].startswith("Kommunernes regnskaber")
    result = statbank.load(own_con, path, "REGK31")
    acc = accounts(own_con)
    assert acc[(101, 2023, "5.38.50")] == 1_187_333_000
    assert acc[(101, 2024, "5.38.52")] == 415_880_000  # the blank label under København is København
    assert acc[(706, 2023, "5.38.50")] == 95_112_500  # 95.112,5 (1.000 kr.): a number cell with decimals
    assert (706, 2024, "5.38.50") not in acc.index and len(acc) == 5  # '..' is missing, not 0
    assert result.rows_read == 6
    # an error names the sheet's row, as the CSV's line
    bad = [*_MATRIX_ROWS[:5], [*_MATRIX_ROWS[5][:5], 95112.5, "ikke oplyst"]]
    with pytest.raises(SchemaError) as e:
        statbank.read(_workbook(tmp_path / "bad.xlsx", bad))
    # it said "expected one of the layouts it reads: ...(every layout)..., found a number or '..' under 2024, found
    # 'ikke oplyst'": the value's column was not named and the layouts were not what was wrong
    assert str(e.value) == (
        "bad.xlsx, row 6, column '2024': expected a number, or '..' for a missing value, found 'ikke oplyst'"
    )
    dash = [*_MATRIX_ROWS[:5], [*_MATRIX_ROWS[5][:5], "-", 1]]
    with pytest.raises(SchemaError) as e:
        statbank.read(_workbook(tmp_path / "dash.xlsx", dash))
    assert (
        str(e.value)
        == "dash.xlsx, row 6, column '2023': expected a number, or '..' for a missing value, found '-'"
    )
    # a table with a heading line, as the API's CSV
    long = [["OMRÅDE", "FUNKTION", "TID", "INDHOLD"], ["Syddjurs", "5.38.50 Botilbud", 2024, 98765]]
    assert statbank.read(_workbook(tmp_path / "long.xlsx", long))["value"].tolist() == [98_765.0]
    with pytest.raises(SchemaError, match=r"two.xlsx: expected one sheet with the table .* found 2 sheets"):
        statbank.read(_workbook(tmp_path / "two.xlsx", _MATRIX_ROWS, sheets=2))
    old = tmp_path / "regk31.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(
        SchemaError, match=r"regk31.xls: expected a .xlsx workbook or a CSV file, found an old Excel"
    ):
        statbank.read(old)


def test_a_matrix_whose_heading_line_is_repeated_is_refused_naming_it():
    # two matrix downloads pasted into one file: the second heading ';;;;;2023;2024' was read as a row with the
    # labels of the row above and the values 2023 and 2024, refused as "the same observation as row 3 (...; values
    # 1.18733e+06 and 2023)"
    lines = [
        "Kommunernes regnskaber på funktioner efter område, funktion, dranst, art, prisenhed og tid",
        ";;;;;2023;2024",
        f"København;5.38.50 Botilbud til længerevarende ophold;1 Driftskonti;I alt (netto);{_KR};1187333;1234567",
        ";;;;;2023;2024",
        f"Syddjurs;5.38.50 Botilbud til længerevarende ophold;1 Driftskonti;I alt (netto);{_KR};95112;98765",
    ]
    with pytest.raises(SchemaError) as e:
        statbank.read("\n".join(lines) + "\n", name="x.csv")
    assert str(e.value) == (
        "x.csv, row 4: expected the heading line once, at the top (two downloads joined into one file?); load each "
        "download by itself, found the heading line of periods again"
    )
    pasted = [*lines[:3], lines[2]]
    with pytest.raises(SchemaError) as e:
        statbank.read("\n".join(pasted) + "\n", name="x.csv")
    assert str(e.value).endswith("values 1187333 and 1187333)")  # not '1.18733e+06 and 1.18733e+06'


def test_a_matrix_of_few_rows_with_more_title_and_footnote_lines_is_read(tmp_path, own_con):
    # one municipality and one function: title, heading, one row and three footnote lines. The table's width was
    # taken as the most frequent number of fields, one (title and footnotes), and the file refused with "found
    # one column only", naming no row
    rows = [
        _MATRIX_ROWS[0],
        _MATRIX_ROWS[2],
        _MATRIX_ROWS[3],
        [],
        ["Kilde: Danmarks Statistik"],
        ["Enhed: 1.000 kr."],
        ["Anm.: foreløbige tal"],
    ]
    df = statbank.read(_workbook(tmp_path / "regk31.xlsx", rows))
    assert df.attrs["layout"] == "web-matrix"
    assert df["value"].tolist() == [1_187_333.0, 1_234_567.0]
    text = "\n".join(";".join("" if c is None else str(c) for c in r) for r in rows) + "\n"
    assert statbank.read(text, name="regk31.csv")["value"].tolist() == [1_187_333.0, 1_234_567.0]


def test_a_web_download_in_two_encodings_is_refused_naming_the_row_not_garbled(tmp_path):
    # statbank files that were not all UTF-8 were decoded as Windows-1252 with undecodable bytes replaced: rows
    # pasted from a UTF-8 download into a Windows-1252 one were refused as "column 1 holds values it cannot place
    # ('KÃ¸benhavn', ...)", and a byte Windows-1252 does not have became '\ufffd' and was loaded, silently
    path = tmp_path / "regk31.csv"
    path.write_bytes(
        '"København","5.38.50 Botilbud til længerevarende ophold","2024","1"\n'.encode()
        + '"Syddjurs","5.38.52 Botilbud til midlertidigt ophold, særligt","2024","2"\n'.encode("cp1252")
    )
    with pytest.raises(SchemaError) as e:
        statbank.read(path)
    assert str(e.value).startswith(  # no column: the first line of a web download holds values, not headings
        "regk31.csv, row 2: expected text in UTF-8 or Windows-1252, found a byte that is not UTF-8 in a file that "
        "is UTF-8 elsewhere (UTF-8 mixed with Windows-1252)"
    )
    api = tmp_path / "api.csv"
    api.write_bytes(
        "OMRÅDE;FUNKTION;TID;INDHOLD\nKøbenhavn;5.38.50;2024;1\n".encode()
        + "Aarhus;5.38.50 Botilbud, ældre;2024;2\n".encode("cp1252")
    )
    with pytest.raises(
        SchemaError, match=r"^api.csv, row 3, column 'FUNKTION': expected text in UTF-8 or Windows"
    ):
        statbank.read(api)
    undefined = tmp_path / "x.csv"
    undefined.write_bytes(b'"K\xf8benhavn","5.38.50 Botilbud\x81","2024","1"\n')
    with pytest.raises(
        SchemaError, match=r"^x.csv, row 1: expected text in UTF-8 or Windows-1252, found a byte"
    ):
        statbank.read(undefined)
    with pytest.raises(
        SchemaError, match=r"^x.csv, row 1: expected text in UTF-8 or Windows-1252, found a byte"
    ):
        statbank.read(undefined.read_bytes(), name="x.csv")  # an answer of the API, as bytes
    # Windows-1252 throughout is read as before
    assert statbank.read(DATA / "REGK31_2024.csv", year=2024)["municipality_code"].tolist()[3] == 101


def test_unquoted_commas_that_may_split_a_decimal_value_are_refused():
    # "København,5.38.50 Botilbud,2024,3,8" was read as DRANST 3 and the
    # value 8: the decimal comma of the value split it in two fields, silently
    text = "København,5.38.50 Botilbud,2024,3,8\nSyddjurs,5.38.50 Botilbud,2024,2,7\n"
    with pytest.raises(SchemaError) as e:
        statbank.read(text, name="x.csv")
    assert str(e.value) == (
        "x.csv, row 1: expected a file that reads one way: with ',' between fields and no quotes, the last two "
        "fields may be one value with a decimal comma (3,8) or a DRANST 3 and the value 8; download it with ';' as "
        "separator, or with quotes ('Gem som CSV'), found '3' and '8'"
    )
    # with ';', or quoted, it reads one way
    df = statbank.read(text.replace(",", ";"), name="x.csv")
    assert df["dranst"].tolist() == ["3", "2"] and df["value"].tolist() == [8.0, 7.0]
    quoted = '"København","5.38.50 Botilbud","2024","3,8"\n"Syddjurs","5.38.50 Botilbud","2024","2,7"\n'
    assert statbank.read(quoted, name="x.csv")["value"].tolist() == [3.8, 2.7]
