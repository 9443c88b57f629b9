"""Cell readers of the loaders (analysis.data.values): a value that could be read two ways is refused."""

import pandas as pd
import pytest

from analysis.data import values
from analysis.data.schema import SchemaError
from analysis.data.values import municipality_column, parse_dates


def _codes(values, given=None):
    df = pd.DataFrame({"municipality_code": values})
    rows = list(range(2, 2 + len(values)))  # the file's row numbers, after the heading
    return municipality_column(
        df, given, source="f.csv", mapping_source="m.yaml", rows=rows, column="Kommune"
    )


def test_a_municipality_code_is_read_from_a_code_or_a_text_that_starts_with_one():
    assert _codes([706, "706", "0706", 706.0, "706 Syddjurs", "706 - Syddjurs", "  101 København"]) == [
        706,
        706,
        706,
        706,
        706,
        706,
        101,
    ]


@pytest.mark.parametrize("value", ["7060", "1010", "706.5", "706Syddjurs", "Syddjurs"])
def test_the_first_three_digits_of_a_longer_number_are_no_municipality_code(value):
    # before: '7060' was read as 706 and '1010' as 101 (København), from their first three digits
    with pytest.raises(
        SchemaError,
        match=r"f.csv, row 3, column 'Kommune': expected a municipality code of Statistics Denmark",
    ):
        _codes(["706", value])


def _dates(values, **kw):
    rows = list(range(2, 2 + len(values)))
    return parse_dates(pd.Series(values, dtype=object), source="f.csv", column="Dato", rows=rows, **kw)


def test_a_slash_date_is_read_day_first_only_where_the_column_shows_it():
    # Danish dashes and dots, ISO, and slash dates in a column with 31/01/2025 (the day first): read day first
    got = _dates(["03-04-2025", "03.04.2025", "2025-04-03", "31/01/2025", "03/04/2025", "04/04/2025"])
    assert got.dt.strftime("%Y-%m-%d").tolist() == [
        "2025-04-03",
        "2025-04-03",
        "2025-04-03",
        "2025-01-31",
        "2025-04-03",
        "2025-04-04",
    ]
    # 03/04/2025 alone is 3 April (Danish) or 4 March (US): refused, naming the row (it was read as 3 April)
    with pytest.raises(SchemaError) as e:
        _dates(["03-04-2025", "03/04/2025"])
    assert str(e.value).startswith("f.csv, row 3, column 'Dato': expected a date that reads one way")
    assert (
        "'03/04/2025', which is 3 April 2025 with the day first (Danish) and 4 March 2025 with the month"
        in str(e.value)
    )
    # a column with 01/31/2025 has the month first: refused at that row
    with pytest.raises(
        SchemaError, match=r"row 3, column 'Dato': expected a date with the day first .*US date"
    ):
        _dates(["03/04/2025", "01/31/2025"])
    # a declared format decides
    got = _dates(["03/04/2025", "01/31/2025"], date_format="%m/%d/%Y")
    assert got.dt.strftime("%Y-%m-%d").tolist() == ["2025-03-04", "2025-01-31"]


def test_the_year_9999_is_an_open_end_only_where_an_end_date_is_read():
    got = _dates(["31-12-9999", "30-06-2024", None, "9999-12-31"], required=False, open_end=True)
    assert got.isna().tolist() == [True, False, True, True] and got.attrs["open_ends"] == 2
    # a posting date in the year 9999 (or 0201) is refused naming the row (it was an OutOfBoundsDatetime crash)
    for bad in ("31-12-9999", "01-01-0201"):
        with pytest.raises(
            SchemaError,
            match=rf"^f.csv, row 3, column 'Dato': expected a date in the years "
            rf"1800-2199, found '{bad}'$",
        ):
            _dates(["30-06-2024", bad])


@pytest.mark.parametrize(
    ("value", "found"),
    [
        # Excel's serial day n is 30-12-1899 + n days (from day 61, after its 29-02-1900 that never was)
        (
            45658,
            "45658, a number, not a date: it looks like an Excel serial date (Excel shows it as 01-01-2025)",
        ),
        (
            45658.5,
            "45658.5, a number, not a date: it looks like an Excel serial date (Excel shows it as 01-01-2025)",
        ),
        (
            "45688",
            "'45688', a number, not a date: it looks like an Excel serial date (Excel shows it as 31-01-2025)",
        ),
        (2025, "2025, a year, not a date: write the whole date (31-01-2025)"),
        ("2025", "'2025', a year, not a date: write the whole date (31-01-2025)"),
        (123456789012, "123456789012, a number, not a date"),
    ],
)
def test_a_number_where_a_date_belongs_is_said_to_be_one_not_read(value, found):
    with pytest.raises(SchemaError) as e:
        _dates(["31-01-2025", value])
    assert str(e.value).startswith(
        f"f.csv, row 3, column 'Dato': expected a date like 31-01-2025 or 31.01.2025, found {found}"
    )


def test_an_excel_serial_birth_date_is_said_to_be_a_number_but_not_shown():
    with pytest.raises(SchemaError) as e:
        _dates([45658], private=True)
    assert str(e.value).endswith(
        "found a number, not a date (not shown: it is person data); if it is an Excel serial date, format the column "
        "as a date in Excel, or export it as text dd-mm-yyyy"
    )
    assert "45658" not in str(e.value)


@pytest.mark.parametrize("text", ["-(5)", "(5)-", "--5", "5--", "(-5)", "-5-"])
def test_an_amount_whose_sign_is_written_twice_is_told_so(text):
    # '-(5)' and '(5)-' got the generic "an amount like ..." (only '(-5)' and '-5-' were seen as two signs)
    with pytest.raises(SchemaError) as e:
        values.parse_amounts(
            pd.Series(["1,00", text]), decimal=",", source="f.csv", column="Beløb", rows=[2, 3]
        )
    assert str(e.value) == (
        "f.csv, row 3, column 'Beløb': expected an amount with one sign (a leading or trailing minus, or "
        f"parentheses), found '{text}', whose sign is written twice"
    )


@pytest.mark.parametrize("text", ["1503851234", "-1503851234", "150385-1234", "1503851234-"])
def test_a_cpr_shaped_amount_is_refused_without_showing_it(text):
    # a ten-digit amount such as 1503851234 (the CPR number 150385-1234 in a column mapped as an amount) was read
    # as 1.503.851.234 kr. and stored: the CPR number's digits then stood in the warehouse as a monthly cost
    with pytest.raises(SchemaError) as e:
        values.parse_amounts(
            pd.Series(["98.500,00", text]), decimal=",", source="f.csv", column="Beløb", rows=[2, 3]
        )
    assert str(e.value) == (
        "f.csv, row 3, column 'Beløb': expected an amount, not a CPR number (a ten-digit number that reads as one "
        "is never stored; check that the mapping names the column of amounts, and write an amount of a billion "
        "kroner or more with thousands separators or øre), found a CPR-shaped value (not shown)"
    )


def test_ten_digit_amounts_that_are_no_cpr_number_are_read():
    # day 32 and month 13 are no CPR date; thousands dots and øre make an amount of it
    got = values.parse_amounts(
        pd.Series(["3213851234", "0113851234", "1.503.851.234", "1503851234,00"]),
        decimal=",",
        source="f.csv",
        column="Beløb",
        rows=[2, 3, 4, 5],
    )
    assert got.tolist() == [3_213_851_234.0, 113_851_234.0, 1_503_851_234.0, 1_503_851_234.0]


def test_a_cpr_number_in_an_excel_number_cell_of_amounts_is_refused_without_showing_it():
    # Excel keeps a CPR number typed into a cell as the number 1503851234: it was stored as a cost of 1.5 bn. kr.
    with pytest.raises(SchemaError) as e:
        values.parse_amounts(
            pd.Series([98_500.0, 1503851234]), decimal=",", source="f.xlsx", column="Beløb", rows=[2, 3]
        )
    assert str(e.value).startswith("f.xlsx, row 3, column 'Beløb': expected an amount, not a CPR number")
    assert "1503851234" not in str(e.value)
    got = values.parse_amounts(
        pd.Series([3213851234, 1503851234.5, 98_500]),
        decimal=",",
        source="f.xlsx",
        column="Beløb",
        rows=[2, 3, 4],
    )
    assert got.tolist() == [3_213_851_234.0, 1_503_851_234.5, 98_500.0]
