"""Ledger exports: Danish CSV and Excel read through a mapping, checked, summed per month, loaded all or nothing."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.data import ledger, loads
from analysis.data.schema import SchemaError
from analysis.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "parameters" / "mappings" / "ledger.yaml"
EXAMPLE = ROOT / "docs" / "examples" / "ledger-example.csv"
HEADER = "Bilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst"


def _write(tmp_path, lines, name="posteringer.csv", header=HEADER, encoding="utf-8-sig"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


def _mapping(tmp_path, text, name="m.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_danish_csv_is_read_to_postings_and_month_sums(tmp_path):
    path = _write(
        tmp_path,
        [
            "1;31-01-2025;5.38.50;1;1.0;1.234.567,89;Løn",
            "2;15.01.2025;53850;1;4.7;-1.234,50;Tilbageførsel",
            "3;28-02-2025;5.38.50.001;1;4.7;1.000;Køb",
            "4;28-02-2025;5.38.50;2;8.6;-500,00;Refusion",
            "5;2025-02-27;5.38.52;1;4.7;12,5;Køb",
        ],
    )
    postings, table = ledger.read_postings(path, MAPPING, municipality_code=706)
    assert postings["row"].tolist() == [2, 3, 4, 5, 6]
    assert postings["function_code"].tolist() == ["5.38.50"] * 4 + ["5.38.52"]
    assert postings["amount_dkk"].tolist() == [1234567.89, -1234.5, 1000.0, -500.0, 12.5]
    assert postings["month"].tolist() == [1, 1, 2, 2, 2] and set(postings["year"]) == {2025}
    sums, skipped = ledger.to_ledger(postings)
    assert sums.to_dict("records") == [
        {
            "municipality_code": 706,
            "function_code": "5.38.50",
            "year": 2025,
            "month": 1,
            "spending_dkk": 1233333.39,
        },
        {
            "municipality_code": 706,
            "function_code": "5.38.50",
            "year": 2025,
            "month": 2,
            "spending_dkk": 1000.0,
        },
        {
            "municipality_code": 706,
            "function_code": "5.38.52",
            "year": 2025,
            "month": 2,
            "spending_dkk": 12.5,
        },
    ]
    assert skipped == {"dranst other than 1 (only operating postings are summed into the ledger)": 1}


def test_comma_separated_debit_credit_windows_1252_and_excel_give_the_same_sums(tmp_path):
    mapping = _mapping(
        tmp_path,
        "columns:\n  function_code: Konto\n  date: Dato\n  debit: Debet\n  credit: Kredit\n"
        "constants:\n  municipality_code: 706\n",
    )
    csv_path = tmp_path / "export.csv"
    csv_path.write_bytes(
        "Konto,Dato,Debet,Kredit,Bemærkning\n"
        '053850,31-01-2025,"1,234.50",,Køb\n'
        "053850,31-01-2025,,234.50,Kreditnota\n"
        "053852,28-02-2025,100,,Køb\n".encode("cp1252")
    )
    table = loads.read_file(csv_path)
    assert table.delimiter == "," and table.decimal == "." and "Windows-1252" in table.notes[0]
    postings, _ = ledger.read_postings(csv_path, mapping)
    expected = ledger.to_ledger(postings)[0]
    assert expected["spending_dkk"].tolist() == [1000.0, 100.0]
    xlsx = tmp_path / "export.xlsx"
    pd.DataFrame(
        {
            "Konto": ["5.38.50", "5.38.50", "5.38.52"],
            "Dato": [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-28")],
            "Debet": [1234.5, None, 100],
            "Kredit": [None, 234.5, None],
        }
    ).to_excel(xlsx, index=False, sheet_name="Posteringer")
    from_excel, _ = ledger.read_postings(xlsx, mapping)
    pd.testing.assert_frame_equal(ledger.to_ledger(from_excel)[0], expected)


def test_load_replaces_the_function_years_of_the_file_and_a_reload_changes_nothing(tmp_path, own_con):
    first = ledger.load(own_con, EXAMPLE, MAPPING, municipality_code=706)
    assert first.status == "loaded" and first.rows_read == 22 and first.rows_loaded == 9
    before = own_con.execute("SELECT * FROM ledger ORDER BY ALL").df()
    again = ledger.load(own_con, EXAMPLE, MAPPING, municipality_code=706)
    assert again.status == "unchanged"
    pd.testing.assert_frame_equal(own_con.execute("SELECT * FROM ledger ORDER BY ALL").df(), before)
    assert own_con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 1
    # A later export of January only for 5.38.50. Before loads declared their period, it replaced that
    # function's whole 2025 (months 2 and 3 removed). Now it is refused: it covers 1 of the 3 months the
    # warehouse holds; --period says what it covers.
    later = _write(tmp_path, ["9;31-01-2025;5.38.50;1;1.0;100,00;Løn"], name="januar.csv")
    with pytest.raises(InputError) as e:
        ledger.load(own_con, later, MAPPING, municipality_code=706)
    assert "5.38.50 in 2025 (municipality 706): the file holds 1 month (2025-01), the warehouse 3 " in str(
        e.value
    )
    assert "(2025-01..2025-03); loading would replace 2025-01" in str(e.value)
    pd.testing.assert_frame_equal(own_con.execute("SELECT * FROM ledger ORDER BY ALL").df(), before)
    january = ledger.load(own_con, later, MAPPING, municipality_code=706, period="2025-01")
    assert (january.new, january.changed, january.removed) == (0, 1, 0)
    rows = own_con.execute(
        "SELECT month, spending_dkk FROM ledger WHERE function_code = '5.38.50' ORDER BY month"
    ).fetchall()
    assert [m for m, _ in rows] == [1, 2, 3] and rows[0][1] == 100.0
    whole_year = ledger.load(own_con, later, MAPPING, municipality_code=706, period="2025")
    assert (whole_year.new, whole_year.changed, whole_year.removed) == (0, 0, 2)
    rows = own_con.execute(
        "SELECT function_code, month, spending_dkk FROM ledger WHERE function_code = '5.38.50'"
    )
    assert rows.fetchall() == [("5.38.50", 1, 100.0)]
    assert own_con.execute("SELECT count(*) FROM ledger").fetchone()[0] == 7


def test_a_bad_row_refuses_the_whole_file(tmp_path, own_con):
    ledger.load(own_con, EXAMPLE, MAPPING, municipality_code=706)
    before = own_con.execute("SELECT * FROM ledger ORDER BY ALL").df()
    bad = _write(tmp_path, ["1;31-01-2025;5.38.50;1;1.0;100,00;Løn", "2;31-02-2025;5.38.50;1;1.0;5,00;Løn"])
    with pytest.raises(SchemaError, match="posteringer.csv, row 3, column 'Bogføringsdato'"):
        ledger.load(own_con, bad, MAPPING, municipality_code=706)
    pd.testing.assert_frame_equal(own_con.execute("SELECT * FROM ledger ORDER BY ALL").df(), before)
    assert own_con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 1


def test_checks_count_each_kind_of_finding(tmp_path):
    path = _write(
        tmp_path,
        [
            "1;31-01-2024;5.38.50;1;1.0;1.000,00;Løn",
            "2;31-01-2024;5.38.99;1;4.7;50,00;Ukendt",  # unknown function
            "3;31-01-2024;5.32.32;1;4.7;60,00;Udgået",  # retired in 2017
            "4;31-01-2024;5.38.50;1;6.5;70,00;Renter",  # financial art on an operating function
            "5;31-01-2024;5.38.50;1;8.6;-80,00;Refusion",  # refund outside dranst 2
            "6;31-01-2024;5.22.07;1;4.7;90,00;Udgift",  # expense art on an income-only function
            "7;31-01-2024;5.38.50;1;4.7;-10,00;Tilbageførsel",  # negative expense
            "8;31-01-2024;5.38.50;1;7.7;-20,00;Salg",  # negative income: normal
            "1;31-01-2024;5.38.50;1;1.0;1.000,00;Løn",  # duplicate of row 2
        ],
    )
    postings, _ = ledger.read_postings(path, MAPPING, municipality_code=706)
    found = {f.check: f for f in ledger.check_postings(postings)}
    assert {k: f.count for k, f in found.items()} == {
        "unknown_function": 1,
        "retired_function": 1,
        "wrong_account_type": 3,
        "negative_posting": 1,
        "duplicate_posting": 1,
    }
    assert found["unknown_function"].examples == ["række 3: 5.38.99, 31.01.2024, 50,00 kr., art 4.7, bilag 2"]
    assert found["duplicate_posting"].examples[0].endswith("(som række 2)")
    assert "Ukendt" not in " ".join(e for f in found.values() for e in f.examples)  # free text is never shown
    no_art = ledger.check_postings(postings.assign(art=None))
    assert next(f for f in no_art if f.check == "wrong_account_type").count is None


def test_chart_of_accounts_is_shipped_and_partial():
    chart = ledger.chart_of_accounts()
    assert {"5.28.23", "5.38.50", "5.57.72", "5.58.82"} <= set(chart.function_code)
    assert chart.set_index("function_code").loc["5.32.32", "valid_to"] == 2017
    assert set(chart.kind) == {"operating", "income"}


# ---------------------------------------------------------------------------------------------------------------
# Malformed files and mappings: each error names the file, the row and/or column, and what was expected


@pytest.mark.parametrize(
    ("lines", "header", "message"),
    [
        (
            ["1;31-01-2025;5.38.50;1;1.0;100,00;x"],
            HEADER.replace("Beløb", "Belob"),
            "posteringer.csv, column 'Beløb': expected a column 'Beløb' (columns.amount in ledger.yaml); the file's "
            "columns are Bilagsnr., Bogføringsdato, Funktion, Dranst, Art, Belob, Tekst (did you mean 'Belob'?), "
            "found no such column",
        ),
        (
            ["1;31-13-2025;5.38.50;1;1.0;100,00;x"],
            HEADER,
            "posteringer.csv, row 2, column 'Bogføringsdato': expected a date like 31-01-2025 or 31.01.2025, "
            "found '31-13-2025'",
        ),
        (
            ["1;31-01-2025;5.38.50;1;1.0;100,00;x", "2;31-01-2025;5.38.50;1;1.0;12,34,5;x"],
            HEADER,
            "posteringer.csv, row 3, column 'Beløb': expected an amount like 1.234.567,89 or -1234,5, found '12,34,5'",
        ),
        (
            ["1;31-01-2025;Botilbud;1;1.0;100,00;x"],
            HEADER,
            "posteringer.csv, row 2, column 'Funktion': expected a function code such as 5.38.50 or 53850, "
            "found 'Botilbud'",
        ),
        (
            ["1;31-01-2025;5.38.50;1;1.0;100,00;x;ekstra"],
            HEADER,
            "posteringer.csv, row 2: expected 7 fields separated by ';' as in the header, found 8 fields",
        ),
        (
            ["1;31-01-2025;5.38.50;1;1.0;;x"],
            HEADER,
            "posteringer.csv, row 2, column 'Beløb': expected an amount, found empty",
        ),
        (
            ["1;010180-1234;5.38.50;1;1.0;100,00;x"],
            HEADER,
            "posteringer.csv, row 2, column 'Bogføringsdato': expected a date like 31-01-2025 or 31.01.2025, "
            "found a CPR-shaped value (not shown)",
        ),
    ],
)
def test_malformed_ledger_files(tmp_path, lines, header, message):
    path = _write(tmp_path, lines, header=header)
    with pytest.raises(SchemaError) as e:
        ledger.read_postings(path, MAPPING, municipality_code=706)
    assert str(e.value) == message


def test_malformed_inputs_outside_the_rows(tmp_path):
    ok = _write(tmp_path, ["1;31-01-2025;5.38.50;1;1.0;100,00;x"])
    with pytest.raises(SchemaError, match=r"expected a municipality: --municipality CODE, a column"):
        ledger.read_postings(ok, MAPPING)
    with pytest.raises(
        SchemaError, match=r"posteringer.csv, column 'municipality_code': expected municipality 101"
    ):
        ledger.read_postings(
            ok,
            _mapping(
                tmp_path,
                MAPPING.read_text("utf-8").replace("constants: {}", "constants:\n  municipality_code: 706"),
            ),
            municipality_code=101,
        )
    empty = tmp_path / "tom.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(
        SchemaError, match=r"tom.csv: expected a header line and rows of data, found an empty file"
    ):
        ledger.read_postings(empty, MAPPING, municipality_code=706)
    old = tmp_path / "gammel.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(
        SchemaError, match=r"gammel.xls: expected a .xlsx workbook or a CSV file, found an old Excel"
    ):
        ledger.read_postings(old, MAPPING, municipality_code=706)
    typo = _mapping(tmp_path, "colums:\n  date: Dato\n")
    with pytest.raises(
        SchemaError, match=r"m.yaml, column 'colums': expected only the keys .*\(did you mean 'columns'\?\)"
    ):
        ledger.read_mapping(typo)
    field = _mapping(tmp_path, "columns:\n  function_code: F\n  date: D\n  ammount: B\n")
    with pytest.raises(
        SchemaError, match=r"column 'columns.ammount': expected one of the fields .*did you mean 'amount'"
    ):
        ledger.read_mapping(field)
    missing = _mapping(tmp_path, "columns:\n  function_code: F\n  date: D\n")
    with pytest.raises(
        SchemaError, match=r"expected a column for 'amount' under columns \(or one of debit\)"
    ):
        ledger.read_mapping(missing)
    decimal = _mapping(
        tmp_path, "format:\n  decimal: ';'\ncolumns:\n  function_code: F\n  date: D\n  amount: B\n"
    )
    with pytest.raises(SchemaError, match=r"column 'format.decimal': expected ',' or '.', found ';'"):
        ledger.read_mapping(decimal)


# ---------------------------------------------------------------------------------------------------------------
# Dranst and art: the ways exports write them mean the same; what is not recognised is refused


def test_every_way_of_writing_dranst_1_is_operating(tmp_path):
    # before: only '1' counted; '01', '1.0', 'Drift' and '1 Drift' were skipped as "not operating" (140 of 150 kr.)
    dranst = ["1", "01", "1.0", "Drift", "1 Drift", "2 Statsrefusion"]
    lines = [f"{i};31-01-2025;5.38.50;{d};4.7;{10 * (i + 1)},00;Køb" for i, d in enumerate(dranst)]
    postings, _ = ledger.read_postings(_write(tmp_path, lines), MAPPING, municipality_code=706)
    assert postings["dranst"].tolist() == ["1", "1", "1", "1", "1", "2"]
    sums, skipped = ledger.to_ledger(postings)
    assert sums["spending_dkk"].tolist() == [150.0]  # 10 + 20 + 30 + 40 + 50
    assert skipped == {"dranst other than 1 (only operating postings are summed into the ledger)": 1}


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Dranst", "D", "a dranst: 1 (Drift), 2 (Statsrefusion) or 3 (Anlæg)"),
        ("Dranst", "2 Drift", "a dranst: 1 (Drift)"),
        ("Dranst", "11", "a dranst: 1 (Drift)"),
        ("Art", "Løn", "an art such as 1.0, 4.7 or 8.6"),
        ("Art", "3.1", "an art such as 1.0, 4.7 or 8.6"),
    ],
)
def test_an_unrecognised_dranst_or_art_is_refused_naming_row_and_column(tmp_path, column, value, expected):
    cells = {"Dranst": "1", "Art": "4.7"} | {column: value}
    lines = [
        "1;31-01-2025;5.38.50;1;4.7;10,00;Køb",
        f"2;31-01-2025;5.38.50;{cells['Dranst']};{cells['Art']};5,00;x",
    ]
    with pytest.raises(SchemaError) as e:
        ledger.read_postings(_write(tmp_path, lines), MAPPING, municipality_code=706)
    assert str(e.value).startswith(f"posteringer.csv, row 3, column '{column}': expected {expected}")
    assert str(e.value).endswith(f"found '{value}'")


def test_art_written_with_a_comma_or_by_excel_is_the_same_art(tmp_path):
    lines = ["1;31-01-2025;5.38.50;1;4,7;10,00;a", "2;31-01-2025;5.38.50;1;8.6 Refusion;5,00;b"]
    postings, _ = ledger.read_postings(_write(tmp_path, lines), MAPPING, municipality_code=706)
    assert postings["art"].tolist() == ["4.7", "8.6"]
    found = {f.check: f.count for f in ledger.check_postings(postings)}
    assert found["wrong_account_type"] == 1  # the refund outside dranst 2


def test_a_large_export_read_in_chunks_gives_the_same_postings(tmp_path):
    lines = [
        f"{i};{(i % 28) + 1:02d}-{(i % 12) + 1:02d}-2025;5.38.5{i % 3};1;4.7;{i},50;t{i % 7}"
        for i in range(50)
    ]
    lines += [lines[3]]  # one duplicate, found across chunks
    path = _write(tmp_path, lines)
    whole, _ = ledger.read_postings(path, MAPPING, municipality_code=706)
    chunked, _ = ledger.read_postings(path, MAPPING, municipality_code=706, chunk_rows=7)
    pd.testing.assert_frame_equal(whole, chunked)
    assert next(f for f in ledger.check_postings(chunked) if f.check == "duplicate_posting").examples == [
        "række 52: 5.38.50, 04.04.2025, 3,50 kr., art 4.7, bilag 3 (som række 5)"
    ]


def test_an_excel_export_with_the_text_2_000_among_number_cells_is_refused(tmp_path):
    frame = pd.DataFrame(
        {
            "Bilagsnr.": [1, 2, 3],
            "Bogføringsdato": ["31-01-2025"] * 3,
            "Funktion": ["5.38.50"] * 3,
            "Dranst": [1, 1, 1],
            "Art": ["4.7"] * 3,
            "Beløb": [1500, "2.000", 12.5],  # the second typed as text: 2.000 kr. or 2 kr.?
            "Tekst": ["a", "b", "c"],
        }
    )
    path = tmp_path / "posteringer.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(
        SchemaError, match=r"^posteringer.xlsx, row 3, column 'Beløb': expected amounts as numbers"
    ):
        ledger.read_postings(path, MAPPING, municipality_code=706)
    frame.loc[1, "Beløb"] = 2000
    frame.to_excel(path, index=False)
    postings, _ = ledger.read_postings(path, MAPPING, municipality_code=706)
    assert postings["amount_dkk"].tolist() == [1500.0, 2000.0, 12.5]


@pytest.mark.parametrize(
    ("line", "row", "column", "label"),
    [
        ("I alt;31-01-2025;5.38.50;1;4.7;300,00;", 4, "Bilagsnr.", "I alt"),
        (";31-01-2025;5.38.50 I alt;1;4.7;300,00;", 4, "Funktion", "5.38.50 I alt"),  # read as 5.38.50 before
        ("9;31-01-2025;5.38.50;1;4.7;300,00;Total", 4, "Tekst", "Total"),
        ("9;31-01-2025;5.38.50;1;4.7;300,00;Botilbud i alt:", 4, "Tekst", "Botilbud i alt:"),
        ("Sum;;;;;300,00;", 4, "Bilagsnr.", "Sum"),
    ],
)
def test_a_total_or_subtotal_row_is_refused_not_summed_twice(tmp_path, line, row, column, label):
    # 100 + 200 = 300: the total row would double January's spending to 600
    path = _write(
        tmp_path, ["1;15-01-2025;5.38.50;1;4.7;100,00;Køb", "2;20-01-2025;5.38.50;1;4.7;200,00;Køb", line]
    )
    with pytest.raises(SchemaError) as e:
        ledger.read_postings(path, MAPPING, municipality_code=706)
    assert str(e.value).startswith(f"posteringer.csv, row {row}, column '{column}': expected postings only")
    assert str(e.value).endswith(f"found a total row ('{label}')")
    # a text that only begins with the word, and a total row removed, are read
    path = _write(
        tmp_path, ["1;15-01-2025;5.38.50;1;4.7;100,00;Total renovering", "2;20-01-2025;53850;1;4.7;200,00;x"]
    )
    sums, _ = ledger.to_ledger(ledger.read_postings(path, MAPPING, municipality_code=706)[0])
    assert sums["spending_dkk"].tolist() == [300.0]


def test_a_file_of_which_no_row_loads_is_refused_not_loaded_as_0_rows(tmp_path, own_con):
    path = _write(
        tmp_path, ["1;31-01-2025;5.38.50;2;8.6;-100,00;Refusion", "2;31-01-2025;5.38.50;3;4.7;5,00;x"]
    )
    with pytest.raises(SchemaError) as e:
        ledger.load(
            own_con, path, MAPPING, municipality_code=706
        )  # it said "0 rows of table 'ledger' loaded"
    assert str(e.value) == (
        "posteringer.csv: expected at least one row to load into table 'ledger'; nothing was loaded, found none "
        "of the 2 rows read (left out: 2 dranst other than 1 (only operating postings are summed into the "
        "ledger))"
    )
    assert own_con.execute("SELECT count(*) FROM _loads").fetchone() == (0,)


SERIAL = (
    "45658, a number, not a date: it looks like an Excel serial date (Excel shows it as 01-01-2025); format the "
    "column as a date in Excel, or export it as text dd-mm-yyyy"
)


def test_an_excel_serial_date_is_refused_naming_file_row_and_column_and_what_it_is(tmp_path):
    # a date column formatted as a number in Excel holds the serial day number: 45658 is 30-12-1899 + 45658 days,
    # 01-01-2025. It was refused as "expected a date like 31-01-2025 or 31.01.2025, found 45658", with no word of why
    frame = pd.DataFrame(
        {
            "Bilagsnr.": [1, 2],
            "Bogføringsdato": ["31-01-2025", 45658],
            "Funktion": ["5.38.50"] * 2,
            "Dranst": [1, 1],
            "Art": ["4.7"] * 2,
            "Beløb": [1500, 12.5],
            "Tekst": ["a", "b"],
        }
    )
    path = tmp_path / "posteringer.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(SchemaError) as e:
        ledger.read_postings(path, MAPPING, municipality_code=706)
    assert str(e.value) == (
        "posteringer.xlsx, row 3, column 'Bogføringsdato': expected a date like 31-01-2025 or 31.01.2025, found "
        + SERIAL
    )
    # the same saved as CSV: the text '45658' (or '45658,0' with Danish decimals); neither is read as a date
    for text in ("45658", "45658,0"):
        path = _write(tmp_path, [f"1;{text};5.38.50;1;4.7;100,00;Køb"])
        with pytest.raises(SchemaError) as e:
            ledger.read_postings(path, MAPPING, municipality_code=706)
        assert str(e.value) == (
            "posteringer.csv, row 2, column 'Bogføringsdato': expected a date like 31-01-2025 or 31.01.2025, found "
            + SERIAL.replace("45658", repr(text), 1)
        )


@pytest.mark.parametrize(
    ("text", "was"),
    [("201224", "2012-02-04"), ("202512", "2025-01-02")],  # 20-12-24 without dashes; a period yyyymm
)
def test_six_digits_are_not_split_into_a_date_however_the_digits_allow(tmp_path, text, was):
    # strptime's %Y%m%d read '201224' as 2012-2-4 and '202512' as 2025-1-2: loaded, silently, as those dates
    path = _write(tmp_path, [f"1;{text};5.38.50;1;4.7;100,00;Køb", "2;20250131;5.38.50;1;4.7;100,00;Køb"])
    with pytest.raises(SchemaError) as e:
        ledger.read_postings(path, MAPPING, municipality_code=706)
    assert str(e.value) == (
        f"posteringer.csv, row 2, column 'Bogføringsdato': expected a date like 31-01-2025 or 31.01.2025, found "
        f"'{text}', digits without separators, which do not tell the day, the month and the year apart; write the "
        "date as dd-mm-yyyy (31-01-2025) or yyyymmdd (20250131)"
    )
    path = _write(tmp_path, ["2;20250131;5.38.50;1;4.7;100,00;Køb"])  # eight digits, yyyymmdd: one way only
    postings, _ = ledger.read_postings(path, MAPPING, municipality_code=706)
    assert postings["date"].tolist() == [pd.Timestamp("2025-01-31")]
