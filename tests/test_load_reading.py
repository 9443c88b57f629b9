"""Strict reading of users' files: quotes, line counts, encodings and ambiguous amounts are refused, never guessed."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.data import ledger, loads
from analysis.data.schema import SchemaError

HEADER = "Bilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst"
ROW = "{n};31-01-2025;5.38.50;1;1.0;100,00;{text}"


def _file(tmp_path, content: bytes, name="posteringer.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _lines(*lines, encoding="utf-8"):
    return ("\n".join([HEADER, *lines]) + "\n").encode(encoding)


def test_an_unterminated_quote_is_refused_naming_its_row_and_column(tmp_path):
    # with csv's strict=False the quote swallowed rows 3-6: five postings came in as two
    path = _file(
        tmp_path,
        _lines(
            ROW.format(n=1, text="Løn"),
            ROW.format(n=2, text='"Køb af pladser'),
            ROW.format(n=3, text="Løn"),
            ROW.format(n=4, text="Løn"),
            ROW.format(n=5, text="Løn"),
        ),
    )
    with pytest.raises(SchemaError) as e:
        loads.read_file(path)
    assert str(e.value) == (
        "posteringer.csv, row 3, column 'Tekst': expected well-formed CSV: every quote (\") closed in the field it "
        "opens, found a quote that is never closed (the rest of the file, lines 3-6, would run into one field)"
    )


def test_a_quote_closed_on_a_later_line_is_refused_as_a_record_over_several_lines(tmp_path):
    path = _file(
        tmp_path,
        _lines(
            ROW.format(n=1, text='"Køb'),
            ROW.format(n=2, text='Løn"'),
            ROW.format(n=3, text="Løn"),
        ),
    )
    with pytest.raises(SchemaError, match=r"row 2, column 'Tekst': expected one line per row .* lines 2-3"):
        loads.read_file(path)


def test_a_quote_followed_by_text_is_refused_naming_the_column(tmp_path):
    path = _file(tmp_path, _lines('1;31-01-2025;5.38.50;1;1.0;"100,00"x;Løn'))
    with pytest.raises(
        SchemaError, match=r"row 2, column 'Beløb': expected well-formed CSV.*malformed quote"
    ):
        loads.read_file(path)


def test_row_numbers_count_blank_lines_and_crlf(tmp_path):
    content = (HEADER + "\r\n" + ROW.format(n=1, text="a") + "\r\n\r\n" + ROW.format(n=2, text="b")).encode()
    table = loads.read_file(_file(tmp_path, content))
    assert table.rows().tolist() == [2, 4]
    assert table.df["Tekst"].tolist() == ["a", "b"]


def test_utf16_with_a_bom_is_read_and_without_one_refused(tmp_path):
    text = "\n".join([HEADER, ROW.format(n=1, text="Løn")]).replace(";", "\t") + "\n"
    with_bom = loads.read_file(_file(tmp_path, text.encode("utf-16"), "unicode.txt"))
    assert with_bom.df.iloc[0].tolist() == ["1", "31-01-2025", "5.38.50", "1", "1.0", "100,00", "Løn"]
    assert with_bom.delimiter == "\t" and "UTF-16" in with_bom.notes[0]
    no_bom = _file(tmp_path, text.encode("utf-16-le"), "unicode-le.txt")
    with pytest.raises(SchemaError) as e:
        loads.read_file(no_bom)
    assert str(e.value).startswith(
        "unicode-le.txt, row 1: expected text in UTF-8 or Windows-1252, found a NUL byte: the file looks like "
        "UTF-16 (Excel's 'Unicode text') without a byte-order mark"
    )
    declared = loads.read_file(no_bom, loads.FileFormat(encoding="utf-16-le"))
    assert declared.df.iloc[0, 6] == "Løn"
    with pytest.raises(SchemaError, match=r"declared encoding cp1252 .* found a UTF-16 byte-order mark"):
        loads.read_file(_file(tmp_path, text.encode("utf-16"), "u2.txt"), loads.FileFormat(encoding="cp1252"))


def test_utf8_mixed_with_windows_1252_is_refused_naming_row_and_column(tmp_path):
    utf8_first = _lines(ROW.format(n=1, text="Løn")) + (ROW.format(n=2, text="Køb") + "\n").encode("cp1252")
    with pytest.raises(SchemaError) as e:
        loads.read_file(_file(tmp_path, utf8_first))
    assert str(e.value).startswith(
        "posteringer.csv, row 3, column 'Tekst': expected text in UTF-8 or Windows-1252, found a byte that is not "
        "UTF-8 in a file that is UTF-8 elsewhere"
    )
    cp_first = (
        _lines(ROW.format(n=1, text="Køb"), encoding="cp1252") + (ROW.format(n=2, text="Løn") + "\n").encode()
    )
    with pytest.raises(SchemaError, match=r"row 3, column 'Tekst': .*found UTF-8 text \(e.g. 'Ã¦' for 'æ'\)"):
        loads.read_file(_file(tmp_path, cp_first, "b.csv"))
    plain_cp = loads.read_file(
        _file(tmp_path, _lines(ROW.format(n=1, text="Køb"), encoding="cp1252"), "c.csv")
    )
    assert plain_cp.df.iloc[0, 6] == "Køb" and "Windows-1252" in plain_cp.notes[0]


def test_a_declared_encoding_that_does_not_fit_is_refused_naming_the_row(tmp_path):
    path = _file(tmp_path, ("Konto;Beløb\n5.38.50;1\n5.38.50;Øre\n").encode("cp1252"))
    with pytest.raises(SchemaError) as e:
        loads.read_file(path, loads.FileFormat(encoding="utf-8"))
    assert str(e.value).startswith(
        "posteringer.csv, row 1: expected text in the declared encoding utf-8 (format.encoding), found a byte "
        "that is not utf-8"
    )
    ascii_header = _file(tmp_path, ("Konto;Tekst\n5.38.50;a\n5.38.50;Øre\n").encode("cp1252"), "d.csv")
    with pytest.raises(SchemaError, match=r"d.csv, row 3, column 'Tekst': expected text in the declared"):
        loads.read_file(ascii_header, loads.FileFormat(encoding="utf-8"))


def test_a_lone_carriage_return_does_not_split_a_row_silently(tmp_path):
    path = _file(tmp_path, _lines(ROW.format(n=1, text="a"), ROW.format(n=2, text="K\rb")))
    with pytest.raises(SchemaError, match=r"row 4: expected 7 fields separated by ';'"):
        loads.read_file(path)


def test_chunks_give_the_same_rows_as_one_read(tmp_path):
    lines = [ROW.format(n=i, text=f"t{i}") for i in range(1, 8)]
    path = _file(tmp_path, _lines(*lines[:3], "", *lines[3:]))
    reader = loads.open_table(path)
    parts = list(reader.chunks(rows=3))
    assert [len(df) for df, _ in parts] == [3, 3, 1]
    assert [n for _, rows in parts for n in rows.tolist()] == [2, 3, 4, 6, 7, 8, 9]
    seen = []
    list(reader.chunks(rows=3, progress=seen.append))
    assert seen[-1] == path.stat().st_size and seen == sorted(seen)
    assert reader.sha256 == loads.file_sha256(path)


# ---------------------------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize("value", ["100.000", "1,234", "-12.345", "(100.000)"])
def test_an_amount_that_reads_two_ways_is_refused_where_the_decimal_mark_is_not_declared(value):
    with pytest.raises(
        SchemaError, match=r"row 3, column 'Beløb': expected an amount whose decimal mark is known"
    ):
        loads.parse_amounts(
            pd.Series(["1.5", value]),
            decimal=".",
            source="f.csv",
            column="Beløb",
            rows=[2, 3],
            decimal_declared=False,
        )


def test_a_declared_decimal_mark_reads_the_same_amounts():
    values = pd.Series(["100.000", "1,234", "1,234.50", "1.5"])
    common = {"source": "f.csv", "column": "Beløb", "rows": [2, 3, 4, 5]}
    assert loads.parse_amounts(values, decimal=".", **common).tolist() == [100.0, 1234.0, 1234.5, 1.5]
    danish = pd.Series(["100.000", "1.234,50"])
    got = loads.parse_amounts(danish, decimal=",", decimal_declared=False, **{**common, "rows": [2, 3]})
    assert got.tolist() == [100000.0, 1234.5]  # ';'-separated files: the Danish convention


@pytest.mark.parametrize(
    ("values", "decimal", "row", "shown"),
    [
        (["100,00", "1.234,567"], ",", 3, "'1.234,567'"),  # it was rounded to 1.234,57
        (["100,00", "1,234"], ",", 3, "'1,234'"),  # it was read as 1,234 kr. and rounded to 1,23
        (["1,234.5", "1.234"], ".", 3, "'1.234'"),  # a declared decimal point: 3 decimals
        ([100.0, 1234.567], ",", 3, "'1234.567'"),  # an Excel number cell
    ],
)
def test_an_amount_with_more_than_two_decimals_is_refused_not_rounded(values, decimal, row, shown):
    common = {"source": "f.csv", "column": "Beløb", "rows": [2, 3]}
    with pytest.raises(SchemaError) as e:
        loads.parse_amounts(pd.Series(values, dtype=object), decimal=decimal, **common)
    assert str(e.value) == (
        f"f.csv, row {row}, column 'Beløb': expected an amount in kroner and øre (at most 2 decimals; it would "
        f"otherwise be rounded), found {shown}"
    )
    # trailing zeros change nothing, so they are read exactly
    exact = loads.parse_amounts(pd.Series(["1.234,500", "2,000"]), decimal=",", **common)
    assert exact.tolist() == [1234.5, 2.0]


def test_a_text_amount_among_excel_number_cells_that_reads_two_ways_is_refused(tmp_path):
    common = {"source": "f.xlsx", "column": "Beløb", "rows": [2, 3, 4]}
    cells = pd.Series([1500.0, "2.000", 12.5], dtype=object)
    with pytest.raises(SchemaError) as e:
        loads.parse_amounts(cells, decimal=",", decimal_declared=False, **common)
    assert str(e.value) == (
        "f.xlsx, row 3, column 'Beløb': expected amounts as numbers, as the other cells of the column are: the text "
        "'2.000' is 2.000,00 kr. with a decimal comma and 2,00 kr. with a decimal point; enter it as a number, or "
        "say which with format: decimal: ',' or '.' in the mapping, found the text '2.000'"
    )
    # declared, it is read; a Danish text that reads one way ('1.234,50') is read beside numbers
    got = loads.parse_amounts(cells, decimal=",", decimal_declared=True, **common)
    assert got.tolist() == [1500.0, 2000.0, 12.5]
    clear = pd.Series([1500.0, "1.234,50", 12.5], dtype=object)
    assert loads.parse_amounts(clear, decimal=",", decimal_declared=False, **common).tolist() == [
        1500,
        1234.5,
        12.5,
    ]


def test_a_comma_separated_ledger_with_100_000_is_refused_unless_the_mapping_says(tmp_path):
    mapping = tmp_path / "m.yaml"
    text = "columns:\n  function_code: Konto\n  date: Dato\n  amount: Beløb\nconstants:\n  municipality_code: 706\n"
    mapping.write_text(text, encoding="utf-8")
    path = _file(tmp_path, b'Konto,Dato,Bel\xc3\xb8b\n5.38.50,31-01-2025,"100.000"\n', "export.csv")
    with pytest.raises(
        SchemaError, match=r"export.csv, row 2, column 'Beløb': expected an amount whose decimal"
    ):
        ledger.read_postings(path, mapping)
    mapping.write_text("format:\n  decimal: ','\n" + text, encoding="utf-8")
    postings, _ = ledger.read_postings(path, mapping)
    assert postings["amount_dkk"].tolist() == [100000.0]


@pytest.mark.parametrize("value", ["(1.234,00-)", "-1.234,00-", "(-1.234,00)"])
def test_an_amount_with_its_sign_written_twice_is_refused(value):
    assert loads.parse_amount(value) is None
    with pytest.raises(SchemaError, match=r"row 2, column 'Beløb': expected an amount"):
        loads.parse_amounts(pd.Series([value]), decimal=",", source="f.csv", column="Beløb", rows=[2])


def test_one_sign_in_each_form_reads_negative():
    values = pd.Series(["(1.234,00)", "1.234,00-", "-1.234,00", "\u22121.234,00", "1.234,00"])
    got = loads.parse_amounts(values, decimal=",", source="f.csv", column="Beløb", rows=[2, 3, 4, 5, 6])
    assert got.tolist() == [-1234.0, -1234.0, -1234.0, -1234.0, 1234.0]


def test_a_comma_separated_case_extract_with_a_cost_of_98_500_is_refused(tmp_path):
    from analysis.data import case_extract

    root = Path(__file__).resolve().parents[1]
    header = (
        "CPR-nr.,Sagsnr.,Forvaltning,Ydelse,Paragraf,Funktion,Leverandør,Startdato,Slutdato,Månedlig udgift,"
        "CPR-registreret"
    )
    row = '300285-1201,706-S-1001,Voksne,Botilbud,§108,5.38.50,Ekstern,01-03-2019,,"98.500",Ja'
    path = _file(tmp_path, (header + "\n" + row + "\n").encode(), "sager.csv")
    with pytest.raises(SchemaError) as e:
        case_extract.read_extract(
            path,
            root / "parameters/mappings/cases.yaml",
            municipality_code=706,
            key=b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d",
        )
    assert str(e.value).startswith(
        "sager.csv, row 2, column 'Månedlig udgift': expected an amount whose decimal mark is known ('98.500' is "
        "98,50 kr. with a decimal point and 98.500,00 kr. with a decimal comma)"
    )


def test_the_text_parser_of_statistics_denmark_files_is_as_strict(tmp_path):
    text = 'OMRÅDE;TID;INDHOLD\n"Aarhus;2024;1\nSyddjurs;2024;2\nFavrskov;2024;3\n'
    with pytest.raises(SchemaError) as e:
        loads.parse_csv(text, ";", "regk31.csv")
    assert str(e.value) == (
        "regk31.csv, row 2, column 'OMRÅDE': expected well-formed CSV: every quote (\") closed in the field it "
        "opens, found a quote that is never closed (the rest of the file, lines 2-4, would run into one field)"
    )
    df, rows = loads.parse_csv("OMRÅDE;TID;INDHOLD\n\nAarhus;2024;1\n", ";", "regk31.csv")
    assert rows == [3] and df.iloc[0].tolist() == ["Aarhus", "2024", "1"]


def test_read_text_applies_the_same_byte_checks(tmp_path):
    good = _file(tmp_path, "TID;INDHOLD\r\n2024;1\r\n".encode("utf-16"), "folk1a.csv")
    assert loads.read_text(good) == ("TID;INDHOLD\r\n2024;1\r\n", ["read as UTF-16 (Excel's 'Unicode text')"])
    bad = _file(tmp_path, "TID;INDHOLD\n2024;1\n".encode("utf-16-le"), "bad.csv")
    with pytest.raises(
        SchemaError, match=r"bad.csv, row 1: expected text in UTF-8 or Windows-1252, found a NUL"
    ):
        loads.read_text(bad)


def test_a_file_with_a_utf8_bom_and_a_windows_1252_byte_is_refused(tmp_path):
    content = (
        "\ufeff".encode()
        + _lines(ROW.format(n=1, text="Løn"))
        + (ROW.format(n=2, text="Køb") + "\n").encode("cp1252")
    )
    with pytest.raises(SchemaError) as e:
        loads.read_file(_file(tmp_path, content))
    assert str(e.value).startswith(
        "posteringer.csv, row 3, column 'Tekst': expected text in UTF-8, as the byte-order mark at the start of the "
        "file says, found a byte that is not UTF-8"
    )


def test_an_optional_column_is_parsed_when_present_and_empty_when_absent():
    df = pd.DataFrame({"end_date": ["31-12-2025", ""], "cost": ["1.234,50", ""]})
    cols = {"end_date": "Slutdato", "cost": "Månedlig udgift"}
    ends = loads.optional_dates(
        df, "end_date", columns=cols, source="f.csv", rows=[2, 3], date_format="%d-%m-%Y"
    )
    assert ends.tolist()[0] == pd.Timestamp("2025-12-31") and pd.isna(ends.iloc[1])
    cost = loads.optional_amounts(df, "cost", columns=cols, source="f.csv", rows=[2, 3], decimal=",")
    assert cost.iloc[0] == 1234.5 and pd.isna(cost.iloc[1])
    absent = loads.optional_dates(df, "start", columns=cols, source="f.csv", rows=[2, 3])
    assert absent.isna().all() and str(absent.dtype) == "datetime64[ns]"
    assert (
        loads.optional_amounts(df, "x", columns=cols, source="f.csv", rows=[2, 3], decimal=",").isna().all()
    )
    with pytest.raises(SchemaError, match="f.csv, row 2, column 'Slutdato'"):
        loads.optional_dates(
            pd.DataFrame({"end_date": ["31-13-2025"]}), "end_date", columns=cols, source="f.csv", rows=[2]
        )


def test_fields_parse_each_field_with_the_file_s_row_and_column_and_default_when_absent():
    df = pd.DataFrame(
        {"date": ["31-01-2025", "01-02-2025"], "function_code": ["53850", "5.38.52"], "art": ["4.7", ""]}
    )
    f = loads.Fields(df, "f.csv", [2, 3], {"date": "Dato", "art": "Art"}, date_format="%d-%m-%Y")
    assert f.dates("date").tolist() == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-01")]
    assert f.function_codes() == ["5.38.50", "5.38.52"]
    assert f.codes("art", lambda v: v if v == "4.7" else None, "an art").tolist() == ["4.7", None]
    # absent optional fields: their defaults, one per row
    assert f.dates("end_date", required=False).isna().all() and f.amounts("cost", required=False).isna().all()
    assert f.function_codes("other", required=False) == [None, None]
    assert f.codes("dranst", str, "a dranst").tolist() == [None, None]
    assert f.texts("note").tolist() == [None, None] and f.column("note") == "note"
    bad = loads.Fields(pd.DataFrame({"art": ["4.7", "Løn"]}), "f.csv", [2, 3], {"art": "Art"})
    with pytest.raises(SchemaError, match="f.csv, row 3, column 'Art': expected an art"):
        bad.codes("art", lambda v: v if v == "4.7" else None, "an art")


@pytest.mark.parametrize("declared", ["cp1252", "windows-1252", "latin-1"])
def test_a_single_byte_encoding_declared_for_a_utf8_file_is_refused_not_garbled(tmp_path, declared):
    # A mapping saying format: encoding: cp1252 for a file saved as UTF-8 read every 'ø' as 'Ã¸', silently: the
    # heading 'Bogføringsdato' became 'BogfÃ¸ringsdato' and texts were stored garbled.
    path = _file(tmp_path, _lines(ROW.format(n=1, text="Botilbud")))
    with pytest.raises(SchemaError) as e:
        loads.read_file(path, loads.FileFormat(encoding=declared))
    message = str(e.value)
    assert message.startswith(
        f"posteringer.csv, row 1: expected text in the declared encoding {declared} (format.encoding), found "
        "UTF-8 text: 'ø' written in UTF-8 reads as 'Ã¸'"
    )
    assert "the file is UTF-8, so remove format.encoding" in message
    ascii_header = _file(tmp_path, "Konto;Tekst\n5.38.50;a\n5.38.50;Særlig støtte\n".encode(), "d.csv")
    with pytest.raises(SchemaError, match=r"d.csv, row 3, column 'Tekst': expected text in the declared"):
        loads.read_file(ascii_header, loads.FileFormat(encoding=declared))
    # the same text really in Windows-1252 is read as declared
    cp = _file(tmp_path, "Konto;Tekst\n5.38.50;Særlig støtte\n".encode("cp1252"), "e.csv")
    assert loads.read_file(cp, loads.FileFormat(encoding="cp1252")).df["Tekst"].tolist() == ["Særlig støtte"]


def test_a_heading_written_twice_is_refused_in_csv_and_excel(tmp_path):
    # 'Beløb' twice: the loaders took a frame of both columns for one (or Excel's 'Beløb.1' silently for the second)
    path = _file(tmp_path, "Funktion;Beløb;Tekst;Beløb\n5.38.50;100,00;a;200,00\n".encode())
    message = (
        "posteringer.csv, row 1, column 'Beløb': expected each heading once (which of two columns of one heading "
        "is meant is not guessed); rename one of them in the file, found the heading in columns 2 and 4"
    )
    with pytest.raises(SchemaError) as e:
        loads.read_file(path)
    assert str(e.value) == message
    xlsx = tmp_path / "posteringer.xlsx"
    pd.DataFrame([["5.38.50", 100.0, "a", 200.0]], columns=["Funktion", "Beløb", "Tekst", "Beløb"]).to_excel(
        xlsx, index=False
    )
    with pytest.raises(SchemaError) as e:
        loads.read_file(xlsx)
    assert str(e.value) == message.replace(".csv", ".xlsx")
    # blank headings (trailing separators) and a heading that only looks like pandas' renaming are read
    blank = _file(tmp_path, "Funktion;Beløb;;\n5.38.50;100,00;;\n".encode(), "blank.csv")
    assert loads.read_file(blank).df.columns.tolist() == ["Funktion", "Beløb", "", ""]
    dotted = tmp_path / "dotted.xlsx"
    pd.DataFrame([["5.38.50", 1.0]], columns=["Funktion", "Version 2.1"]).to_excel(dotted, index=False)
    assert loads.read_file(dotted).df.columns.tolist() == ["Funktion", "Version 2.1"]


MAPPING = Path(__file__).resolve().parents[1] / "parameters" / "mappings" / "ledger.yaml"


def _workbook(path, sheets):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return wb


def test_a_workbook_of_several_sheets_is_read_from_the_one_with_the_mapped_headings(tmp_path):
    path = tmp_path / "posteringer.xlsx"
    postings = [HEADER.split(";"), [1, "31-01-2025", "5.38.50", 1, "4.7", 100.0, "a"]]
    postings.append([2, "31-01-2025", "5.38.50", 1, "4.7", 250.5, "b"])
    # the first sheet is a cover page: it used to be read (and refused for lacking columns, or worse, loaded)
    _workbook(path, {"Forside": [["Posteringer 2025"], ["Udtrukket 02-01-2026"]], "Posteringer": postings})
    got, reader = ledger.read_postings(path, MAPPING, municipality_code=706)
    assert got["amount_dkk"].tolist() == [100.0, 250.5]
    assert reader.notes == ["read the sheet 'Posteringer' of the workbook's 2 sheets"]
    # two sheets with the headings (e.g. 2024 and 2025): refused, naming them
    _workbook(path, {"2024": postings, "2025": postings})
    with pytest.raises(SchemaError) as e:
        ledger.read_postings(path, MAPPING, municipality_code=706)
    assert str(e.value) == (
        "posteringer.xlsx: expected one sheet to read: say which with format: sheet: NAME in the mapping, found 2 "
        "sheets ('2024', '2025'); 2 of them ('2024', '2025') have the mapped headings"
    )
    # a declared sheet is read, by name or number; an unknown one is refused naming the sheets
    text = MAPPING.read_text(encoding="utf-8").replace("  # sheet: Posteringer", "  sheet: '2025'")
    declared = tmp_path / "m.yaml"
    declared.write_text(text, encoding="utf-8")
    assert ledger.read_postings(path, declared, municipality_code=706)[0]["amount_dkk"].tolist() == [
        100.0,
        250.5,
    ]
    declared.write_text(text.replace("sheet: '2025'", "sheet: Ark1"), encoding="utf-8")
    with pytest.raises(
        SchemaError,
        match=r"expected a sheet 'Ark1' \(format.sheet\); the workbook's sheets are '2024', '2025'",
    ):
        ledger.read_postings(path, declared, municipality_code=706)


def test_a_formula_without_a_saved_value_is_refused_naming_its_cell_and_hidden_rows_are_noted(tmp_path):
    path = tmp_path / "posteringer.xlsx"
    rows = [HEADER.split(";"), [1, "31-01-2025", "5.38.50", 1, "4.7", 100.0, "a"]]
    rows.append([2, "31-01-2025", "5.38.50", 1, "4.7", "=F2*2", "b"])  # written by a program: no value saved
    _workbook(path, {"Posteringer": rows})
    with pytest.raises(SchemaError) as e:
        ledger.read_postings(path, MAPPING, municipality_code=706)  # it used to read as an empty amount
    assert str(e.value) == (
        "posteringer.xlsx, row 3, column 'Beløb': expected cells with values: a formula's value is saved only when "
        "Excel computes it; open the workbook in Excel and save it, or paste the values, found a formula without a "
        "saved value in cell F3"
    )
    rows[2][5] = 200.0
    wb = _workbook(path, {"Posteringer": rows})
    wb["Posteringer"].row_dimensions[3].hidden = True
    wb.save(path)
    got, reader = ledger.read_postings(path, MAPPING, municipality_code=706)
    assert got["amount_dkk"].tolist() == [100.0, 200.0]
    assert reader.notes == [
        "1 row(s) hidden in Excel (rows 3) of sheet 'Posteringer' were read like the others"
    ]


def test_a_bad_byte_at_the_start_of_a_row_names_the_first_column(tmp_path):
    # the column was left out when the byte was the row's first (the text before it has no field)
    path = _file(tmp_path, "Tekst;Beløb\nSærlig;1\n".encode() + "Ærø;2\n".encode("cp1252"), "d.csv")
    with pytest.raises(SchemaError) as e:
        loads.read_file(path)
    assert str(e.value).startswith("d.csv, row 3, column 'Tekst': expected text in UTF-8 or Windows-1252")


def test_a_bad_byte_in_a_windows_1252_file_names_its_column_as_the_file_spells_it(tmp_path):
    content = "Konto;Beløb;Tekst\n1;100,00;Køb\n2;2\x81,00;Løn\n".encode(
        "latin-1"
    )  # 0x81: no cp1252 character
    with pytest.raises(SchemaError) as e:
        loads.read_file(_file(tmp_path, content, "cp.csv"))
    # the column used to be named from the header decoded as UTF-8: 'Bel\ufffdb'
    assert str(e.value) == (
        "cp.csv, row 3, column 'Beløb': expected text in UTF-8 or Windows-1252, found a byte that is not cp1252"
    )
