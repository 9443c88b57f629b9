"""Case extracts: Danish columns mapped by YAML, CPR numbers pseudonymised on ingest and never shown."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analysis.data import case_extract
from analysis.data.cases import ingest_cases
from analysis.data.schema import SchemaError, validate
from analysis.privacy import find_cpr, pseudonymise

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "parameters" / "mappings" / "cases.yaml"
EXAMPLE = ROOT / "docs" / "examples" / "cases-example.csv"
KEY = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"  # as conftest.TEST_KEY
HEADER = (
    "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
    "CPR-registreret"
)
ROW = "300285-1201;706-S-1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;98.500,00;Ja"


def _write(tmp_path, lines, header=HEADER, name="sager.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _all_text(con) -> str:
    return (
        con.execute("SELECT * FROM cases").df().to_csv()
        + con.execute("SELECT * FROM _findings").df().to_csv()
    )


def test_example_extract_is_pseudonymised_and_typed(own_con):
    result = case_extract.load(own_con, EXAMPLE, MAPPING, municipality_code=706, key=KEY)
    assert result.status == "loaded" and result.rows_loaded == 7 and result.skipped == {}
    cases = own_con.execute("SELECT * FROM cases ORDER BY case_id").df().set_index("case_id")
    assert cases.loc["706-S-1001", "person_id"] == pseudonymise("300285-1201", KEY)
    assert cases.loc["706-S-1002", "person_id"] == cases.loc["706-S-1003", "person_id"]  # linked
    assert cases.loc["706-S-1002", "function_code"] == "5.38.52"  # from 53852
    assert cases.loc["706-S-1002", "end_date"] == pd.Timestamp("2025-02-28")
    assert cases.loc["706-S-1001", "monthly_cost_dkk"] == 98_500.0
    assert cases.loc["706-S-1001", "provider"] == "external" and cases.loc["706-H-2001", "sector"] == "health"
    assert not cases.loc["706-S-1005", "cpr_registered"]
    assert find_cpr(_all_text(own_con)) == [] and "cpr" not in cases.columns
    assert case_extract.load(own_con, EXAMPLE, MAPPING, municipality_code=706, key=KEY).status == "unchanged"


def test_excel_extract_reads_like_csv(tmp_path):
    csv_cases, *_ = case_extract.read_extract(EXAMPLE, MAPPING, municipality_code=706, key=KEY)
    raw = pd.read_csv(EXAMPLE, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    xlsx = tmp_path / "sager.xlsx"
    raw.to_excel(xlsx, index=False)
    xlsx_cases, *_ = case_extract.read_extract(xlsx, MAPPING, municipality_code=706, key=KEY)
    pd.testing.assert_frame_equal(xlsx_cases, csv_cases)


def test_rows_without_cpr_and_ending_before_start_are_skipped_and_counted(tmp_path, own_con):
    path = _write(
        tmp_path,
        [
            ROW,
            ";706-S-2;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;98.500,00;Ja",
            ";706-S-3;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;98.500,00;Ja",
            "310490-2202;706-S-4;Voksne;Botilbud;§107;5.38.52;Intern;01-03-2024;29-02-2024;1.000,00;Ja",
            "310490-2202;706-S-5;Voksne;Botilbud;§107;5.38.99;Intern;01-03-2024;;1.000,00;Ja",
        ],
    )
    result = case_extract.load(own_con, path, MAPPING, municipality_code=706, key=KEY)
    assert result.skipped == {"no CPR number (cannot be pseudonymised)": 2, "ends before it starts": 1}
    assert result.rows_loaded == 2
    found = {f.check: f for f in result.findings}
    assert {k: f.count for k, f in found.items()} == {
        "missing_cpr": 2,
        "end_before_start": 1,
        "unknown_function": 1,
        "retired_function": 0,
        "cpr_invalid_date": 2,  # impossible dates on purpose: 30.02.85, 31.04.90
        "cpr_in_text": 0,
    }
    assert found["missing_cpr"].examples == ["sag 706-S-2 (række 3)", "sag 706-S-3 (række 4)"]
    # examples name the case and the file's row, never a person (no pseudonym since the CPR work of issue 10)
    assert found["end_before_start"].examples == ["sag 706-S-4 (række 5): start 01.03.2024, slut 29.02.2024"]
    assert found["unknown_function"].examples == ["sag 706-S-5: 5.38.99"]
    assert find_cpr(_all_text(own_con)) == []
    stored = own_con.execute('SELECT source, "check", "count" FROM _findings ORDER BY 2').fetchall()
    assert ("sager.csv", "missing_cpr", 2) in stored


def test_refusing_rows_without_cpr(tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text(MAPPING.read_text("utf-8").replace("missing_cpr: skip", "missing_cpr: refuse"), "utf-8")
    path = _write(tmp_path, [ROW, ";706-S-2;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja"])
    with pytest.raises(SchemaError) as e:
        case_extract.read_extract(path, strict, municipality_code=706, key=KEY)
    assert str(e.value) == (
        "sager.csv, row 3, column 'CPR-nr.': expected a CPR number (missing_cpr: refuse in strict.yaml), found empty"
    )


# ---------------------------------------------------------------------------------------------------------------
# Malformed extracts: the error names the row and column, and never shows a CPR number


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "30028-51201;706-S-9;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja",
            "sager.csv, row 3, column 'CPR-nr.': expected a CPR number of 10 digits (DDMMYY-SSSS), "
            "found a value of another form",
        ),
        (
            "310490-2202;0102031234;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja",
            "sager.csv, row 3, column 'Sagsnr.': expected a case number that is not CPR-shaped (a CPR number is "
            "never stored; export the case system's own case number), found a CPR-shaped value (not shown)",
        ),
        (
            "310490-2202;706-S-9;Voksen;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja",
            "sager.csv, row 3, column 'Forvaltning': expected one of 'Beskæftigelse', 'Børn og familie', 'Voksne', "
            "'Sundhed' (values.sector in cases.yaml) (did you mean 'Voksne'?), found 'Voksen'",
        ),
        (
            "310490-2202;706-S-1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja",
            "sager.csv, row 3, column 'Sagsnr.': expected one row per key (municipality_code, case_id), "
            "found the same key as row 2 (municipality_code=706, case_id=706-S-1)",
        ),
        (
            "310490-2202;706-S-9;Voksne;Botilbud;§108;5.38.50;Ekstern;010203-1234;;1,00;Ja",
            "sager.csv, row 3, column 'Startdato': expected a date like 31-01-2025 or 31.01.2025, "
            "found a CPR-shaped value (not shown)",
        ),
        (
            # the CPR number in the cost column was loaded as a monthly cost of 3.002.851.201 kr.
            "310490-2202;706-S-9;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;3002851201;Ja",
            "sager.csv, row 3, column 'Månedlig udgift': expected an amount, not a CPR number (a ten-digit number "
            "that reads as one is never stored; check that the mapping names the column of amounts, and write an "
            "amount of a billion kroner or more with thousands separators or øre), found a CPR-shaped value (not "
            "shown)",
        ),
        (
            "310490-2202;706-S-9;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Måske",
            "sager.csv, row 3, column 'CPR-registreret': expected one of 'Ja', 'Nej' (values.cpr_registered in "
            "cases.yaml), found 'Måske'",
        ),
        (
            "310490-2202;706-S-9;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;;Ja",
            "sager.csv, row 3, column 'Månedlig udgift': expected a monthly_cost_dkk on every CPR-registered case, "
            "found cpr_registered=True, monthly_cost_dkk=empty",
        ),
    ],
)
def test_malformed_extracts(tmp_path, line, message, own_con):
    path = _write(tmp_path, [ROW, line])
    with pytest.raises(SchemaError) as e:
        case_extract.load(own_con, path, MAPPING, municipality_code=706, key=KEY)
    assert str(e.value) == message
    assert not find_cpr(str(e.value))
    assert (
        own_con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cases'"
        ).fetchone()[0]
        == 0
        or own_con.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    )


def test_missing_mapped_column_and_municipality(tmp_path):
    path = _write(tmp_path, [ROW], header=HEADER.replace("Sagsnr.", "Sagsnummer"))
    with pytest.raises(
        SchemaError, match=r"sager.csv, column 'Sagsnr.': expected a column 'Sagsnr.' \(columns.case_id"
    ):
        case_extract.read_extract(path, MAPPING, municipality_code=706, key=KEY)
    with pytest.raises(SchemaError, match="expected a municipality: --municipality CODE"):
        case_extract.read_extract(_write(tmp_path, [ROW]), MAPPING, key=KEY)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAPPING.read_text("utf-8").replace("missing_cpr: skip", "missing_cpr: ignore"), "utf-8")
    with pytest.raises(SchemaError, match=r"bad.yaml, column 'missing_cpr': expected 'skip' or 'refuse'"):
        case_extract.read_mapping(bad)


def test_a_mapping_that_could_be_read_two_ways_is_refused(tmp_path):
    text = MAPPING.read_text("utf-8")
    bad = tmp_path / "bad.yaml"
    # before: the constant was ignored because the column is mapped too
    bad.write_text(text.replace("constants: {}", "constants: {sector: health}"), "utf-8")
    with pytest.raises(
        SchemaError,
        match=r"bad.yaml, column 'constants.sector': expected 'sector' either under columns .* or under constants "
        r".*, not both, found columns.sector: 'Forvaltning' and constants.sector: 'health'",
    ):
        case_extract.read_mapping(bad)
    # before: the last of two translations that read the same (case and spaces do not count) won
    bad.write_text(
        text.replace("    Voksne: adults_social\n", "    Voksne: adults_social\n    voksne: health\n")
    )
    with pytest.raises(
        SchemaError,
        match=r"column 'values.sector': expected one translation per value .*, "
        r"found 'Voksne': 'adults_social' and 'voksne': 'health'",
    ):
        case_extract.read_mapping(bad)
    # the same translation written twice in another case is no conflict
    bad.write_text(
        text.replace("    Voksne: adults_social\n", "    Voksne: adults_social\n    VOKSNE: adults_social\n")
    )
    assert case_extract.read_mapping(bad).values["sector"]["VOKSNE"] == "adults_social"


def test_two_headings_that_differ_only_in_case_are_not_guessed_between(tmp_path):
    # the mapping names 'Sagsnr.'; the file has 'SAGSNR.' and 'sagsnr.': before, the last one was read
    header = HEADER.replace("Sagsnr.", "SAGSNR.") + ";sagsnr."
    path = _write(tmp_path, [ROW + ";706-S-2"], header=header)
    with pytest.raises(
        SchemaError,
        match=r"sager.csv, column 'Sagsnr.': expected one column 'Sagsnr.' \(columns.case_id in cases.yaml\); "
        r"write the heading exactly as in the file, found 2 columns that differ only in case or spaces: "
        r"'SAGSNR.', 'sagsnr.'",
    ):
        case_extract.read_extract(path, MAPPING, municipality_code=706, key=KEY)
    # one heading in another case is still found
    one = _write(tmp_path, [ROW], header=HEADER.replace("Sagsnr.", "SAGSNR."), name="one.csv")
    cases, *_ = case_extract.read_extract(one, MAPPING, municipality_code=706, key=KEY)
    assert cases["case_id"].tolist() == ["706-S-1"]


def test_a_cpr_number_that_lost_its_leading_zero_or_splits_its_date_is_the_same_person(tmp_path):
    # fictitious numbers: 010185-1234 held by Excel as the number 101851234; 30-02-85-1201 as a case system prints it
    raw = pd.DataFrame(
        [ROW.split(";")] * 4,
        columns=HEADER.split(";"),
    )
    raw["Sagsnr."] = ["706-S-1", "706-S-2", "706-S-3", "706-S-4"]
    raw["CPR-nr."] = [101851234, "010185-1234", "30-02-85-1201", "101851234"]
    xlsx = tmp_path / "sager.xlsx"
    raw.to_excel(xlsx, index=False)
    cases, _, findings, _, table = case_extract.read_extract(xlsx, MAPPING, municipality_code=706, key=KEY)
    ids = cases.set_index("case_id")["person_id"]
    assert ids["706-S-1"] == ids["706-S-2"] == ids["706-S-4"] == pseudonymise("0101851234", KEY)
    assert ids["706-S-3"] == pseudonymise("300285-1201", KEY)  # 30 February: loaded and counted
    assert next(f for f in findings if f.check == "cpr_invalid_date").count == 1
    assert table.notes == [
        "2 CPR number(s) of 9 digits in column 'CPR-nr.' (rows 2, 5) read with the leading 0 that Excel drops "
        "from a number (a CPR number of days 01-09 begins with 0)"
    ]
    assert find_cpr(" ".join(table.notes)) == []
    # a 9-digit number that begins with 0, or a separator elsewhere, is no CPR number: refused without the value
    for bad in ("012345678", "30-0285-1201"):
        raw["CPR-nr."] = ["010185-1234", bad, "010185-1234", "010185-1234"]
        raw.to_excel(xlsx, index=False)
        with pytest.raises(SchemaError, match=r"row 3, column 'CPR-nr.': expected a CPR number of 10") as e:
            case_extract.read_extract(xlsx, MAPPING, municipality_code=706, key=KEY)
        assert bad not in str(e.value)


def test_an_end_date_of_31_12_9999_is_a_case_that_runs(tmp_path):
    path = _write(
        tmp_path,
        [
            ROW.replace(";01-03-2019;;", ";01-03-2019;31-12-9999;"),
            ROW.replace("706-S-1", "706-S-2").replace(";01-03-2019;;", ";01-03-2019;30-06-2024;"),
        ],
    )
    cases, skipped, _, _, table = case_extract.read_extract(path, MAPPING, municipality_code=706, key=KEY)
    ends = cases.set_index("case_id")["end_date"]
    assert pd.isna(ends["706-S-1"]) and ends["706-S-2"] == pd.Timestamp("2024-06-30") and skipped == {}
    assert table.notes == [
        "1 date(s) in the year 9999 in column 'Slutdato' (31-12-9999: the case system's open end) read as no end"
    ]
    # a start date in the year 9999 is no date (it used to stop the load with pandas' OutOfBoundsDatetime)
    path = _write(tmp_path, [ROW.replace(";01-03-2019;;", ";31-12-9999;;")])
    with pytest.raises(
        SchemaError, match=r"row 2, column 'Startdato': expected a date in the years 1800-2199"
    ):
        case_extract.read_extract(path, MAPPING, municipality_code=706, key=KEY)


def _raw_case(**dates):
    return pd.DataFrame(
        {
            "cpr": ["300285-1201"],
            "case_id": ["706-S-1"],
            "municipality_code": [706],
            "sector": ["adults_social"],
            "measure": ["Botilbud"],
            "provider": ["external"],
            "start_date": ["2019-03-01"],
            "monthly_cost_dkk": [98_500.0],
            "cpr_registered": [True],
            **{k: [v] for k, v in dates.items()},
        }
    )


@pytest.mark.parametrize(
    "end",
    ["31-12-9999", "9999-12-31", dt.date(9999, 12, 31), dt.datetime(9999, 12, 31)],
    ids=["dd-mm-yyyy", "iso", "date", "datetime"],
)
def test_a_direct_case_ingest_reads_the_year_9999_as_no_end_as_the_extract_loader_does(tmp_path, end):
    # the direct path used to keep the 9999 (the warehouse then refused '31-12-9999' as no ISO date, and stopped
    # on '9999-12-31' with pandas' OutOfBoundsDatetime)
    out = ingest_cases(_raw_case(end_date=end, planned_end_date=end), source="sager.csv", key=KEY)
    assert out.attrs["open_ends"] == 2
    stored = validate(out, "cases", "sager.csv")
    assert stored[["end_date", "planned_end_date"]].isna().to_numpy().tolist() == [[True, True]]
    # the extract loader reads the same cell the same way (the file written as the case system writes it)
    text = end if isinstance(end, str) else "31-12-9999"
    path = _write(tmp_path, [ROW.replace(";01-03-2019;;", f";01-03-2019;{text};")])
    cases, skipped, *_ = case_extract.read_extract(path, MAPPING, municipality_code=706, key=KEY)
    # the one case read, not skipped (an empty frame has no end date either)
    assert cases["case_id"].tolist() == ["706-S-1"] and skipped == {}
    assert cases["end_date"].isna().tolist() == [True]


def test_a_direct_case_ingest_keeps_an_end_date_of_another_year():
    out = ingest_cases(_raw_case(end_date="2024-06-30"), source="sager.csv", key=KEY)
    assert out.attrs["open_ends"] == 0
    assert validate(out, "cases", "sager.csv")["end_date"].tolist() == [pd.Timestamp("2024-06-30")]


def test_an_excel_serial_date_in_a_case_file_is_refused_naming_file_row_and_column(tmp_path):
    # an end date column formatted as a number: 2958465 is Excel's 31-12-9999, the open end; not guessed either
    path = _write(
        tmp_path,
        [
            ROW.replace(";01-03-2019;;", ";01-03-2019;45658;"),
            ROW.replace("706-S-1", "706-S-2").replace(";01-03-2019;;", ";01-03-2019;2958465;"),
        ],
    )
    with pytest.raises(SchemaError) as e:
        case_extract.read_extract(path, MAPPING, municipality_code=706, key=KEY)
    assert str(e.value) == (
        "sager.csv, row 2, column 'Slutdato': expected a date like 31-01-2025 or 31.01.2025, found '45658', a "
        "number, not a date: it looks like an Excel serial date (Excel shows it as 01-01-2025); format the column "
        "as a date in Excel, or export it as text dd-mm-yyyy"
    )
    path = _write(tmp_path, [ROW.replace(";01-03-2019;;", ";01-03-2019;2958465;")])
    with pytest.raises(SchemaError) as e:
        case_extract.read_extract(path, MAPPING, municipality_code=706, key=KEY)
    assert str(e.value).startswith(
        "sager.csv, row 2, column 'Slutdato': expected a date like 31-01-2025 or 31.01.2025, found '2958465', a "
        "number, not a date: it looks like an Excel serial date (Excel shows it as 31-12-9999); format the column"
    )


def test_the_helpers_shared_with_the_member_loader_read_cpr_cells_and_check_the_key():
    import doctest

    from analysis.errors import ConfigurationError

    # a 9-digit number not beginning with 0 is a CPR number of days 01-09 whose 0 Excel dropped; a whole float
    # is a whole number; text is stripped; a missing cell stays missing; 8 digits are left for the CPR check
    cells = pd.Series([101851234, " 010185-1234 ", 1018512345.0, None, 12345678], index=[5, 6, 7, 8, 9])
    text, padded = case_extract.cpr_cells_as_text(cells)
    assert text.tolist() == ["0101851234", "010185-1234", "1018512345", None, "12345678"]
    assert text.index.tolist() == [5, 6, 7, 8, 9]
    assert padded.tolist() == [True, False, False, False, False]
    assert case_extract.loader_key(KEY) == KEY
    with pytest.raises(ConfigurationError, match="the pseudonymisation key given to the loader"):
        case_extract.loader_key(b"0123456789abcdef")  # 16 bytes, fewer than 32
    assert doctest.testmod(case_extract).failed == 0
