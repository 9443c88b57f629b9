"""Validation at the boundary: each kind of bad input gets an error naming source, row, column and expectation."""

import datetime as dt
import re

import duckdb
import pandas as pd
import pytest

from analysis.data import schema
from analysis.data.schema import SchemaError, validate
from analysis.data.warehouse import create_schema, load


def _accounts(**overrides) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "municipality_code": [101, 751, 706],
            "year": [2024, 2024, 2024],
            "function_code": ["5.38.50", "5.38.50", "5.38.50"],
            "spending_dkk": [1_000_000.0, 2_000_000.0, 3_000_000.0],
        }
    )
    for col, (row, value) in overrides.items():
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
    return df


def _cases(**overrides) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "case_id": ["A1", "A2"],
            "person_id": ["P-aaaa-bbbb-cccc-dddd", "P-aaaa-bbbb-cccc-eeee"],
            "municipality_code": [165, 165],
            "sector": ["adults_social", "health"],
            "measure": ["Botilbud", "Genoptræning"],
            "paragraph": ["§108", None],
            "provider": ["internal", "external"],
            "start_date": ["2024-01-01", "2024-03-01"],
            "end_date": [None, "2024-05-31"],
            "monthly_cost_dkk": [90_000.0, 3_000.0],
            "cpr_registered": [True, True],
        }
    )
    for col, (row, value) in overrides.items():
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
    return df


def test_valid_rows_come_back_typed_and_in_order():
    out = validate(
        _accounts()[["spending_dkk", "function_code", "year", "municipality_code"]], "accounts", "a.csv"
    )
    assert list(out.columns) == ["municipality_code", "year", "function_code", "spending_dkk"]
    assert out["municipality_code"].tolist() == [101, 751, 706]
    cases = validate(_cases(), "cases", "c.csv")
    assert cases["start_date"].iloc[1] == pd.Timestamp("2024-03-01")
    assert pd.isna(cases["end_date"].iloc[0])


@pytest.mark.parametrize(
    "table, df, message",
    [
        # 1 a missing column
        (
            "accounts",
            _accounts().drop(columns="spending_dkk"),
            "ledger.csv, column 'spending_dkk': expected a column 'spending_dkk' for table 'accounts', "
            "found no such column",
        ),
        # 2 an unexpected column, with the nearest valid name
        (
            "accounts",
            _accounts().rename(columns={"spending_dkk": "spending_dk"}),
            "ledger.csv, column 'spending_dk': expected only the columns of table 'accounts' (municipality_code, "
            "year, function_code, spending_dkk) (did you mean 'spending_dkk'?), found an unexpected column",
        ),
        # 3 text where a number belongs (a Danish decimal comma that was not converted)
        (
            "accounts",
            _accounts(spending_dkk=(1, "1.234,5")),
            "ledger.csv, row 2, column 'spending_dkk': expected a number, found '1.234,5'",
        ),
        # 4 a fraction where a whole number belongs
        (
            "accounts",
            _accounts(year=(2, 2024.5)),
            "ledger.csv, row 3, column 'year': expected a whole number, found 2024.5",
        ),
        # 5 an empty required value
        (
            "accounts",
            _accounts(function_code=(0, None)),
            "ledger.csv, row 1, column 'function_code': expected a value (code), found empty",
        ),
        # 6 an unknown municipality code, with the nearest valid one
        (
            "accounts",
            _accounts(municipality_code=(1, 752)),
            "ledger.csv, row 2, column 'municipality_code': expected one of 101, 147, 151, 153, 155, 157, ... "
            "(did you mean '751'?), found 752",
        ),
        # 7 a function code without dots
        (
            "accounts",
            _accounts(function_code=(2, "53850")),
            r"ledger.csv, row 3, column 'function_code': expected text matching ^\d\.\d{2}\.\d{2}$, found '53850'",
        ),
        # 8 the same key twice
        (
            "accounts",
            _accounts(municipality_code=(2, 101)),
            "ledger.csv, row 3, column 'function_code': expected one row per key (municipality_code, year, "
            "function_code), found the same key as row 1 (municipality_code=101, year=2024, function_code=5.38.50)",
        ),
        # 9 a value out of range
        (
            "ledger",
            pd.DataFrame(
                {
                    "municipality_code": [101],
                    "function_code": ["5.38.50"],
                    "year": [2024],
                    "month": [13],
                    "spending_dkk": [5.0],
                }
            ),
            "ledger.csv, row 1, column 'month': expected at most 12 (month number), found 13",
        ),
        # 10 a category outside its list
        (
            "cases",
            _cases(provider=(1, "privat")),
            "ledger.csv, row 2, column 'provider': expected one of 'internal', 'external', found 'privat'",
        ),
        # 11 a date not in ISO form
        (
            "cases",
            _cases(start_date=(0, "31-01-2024")),
            "ledger.csv, row 1, column 'start_date': expected a date (YYYY-MM-DD), found '31-01-2024'",
        ),
        # 12 a case that ends before it starts
        (
            "cases",
            _cases(end_date=(1, "2024-02-01")),
            "ledger.csv, row 2, column 'end_date': expected end_date on or after start_date, "
            "found start_date=2024-03-01, end_date=2024-02-01",
        ),
        # 13 a CPR number where a pseudonym belongs
        (
            "cases",
            _cases(person_id=(1, "010203-1234")),
            "ledger.csv, row 2, column 'person_id': expected no CPR number (pseudonymise person data before "
            "loading), found a CPR-shaped value",
        ),
        # 14 a flag that is not true/false
        (
            "cases",
            _cases(cpr_registered=(0, "ja")),
            "ledger.csv, row 1, column 'cpr_registered': expected true or false, found 'ja'",
        ),
        # 15 a negative quantity
        (
            "activity",
            pd.DataFrame(
                {
                    "municipality_code": [101],
                    "year": [2024],
                    "function_code": ["5.38.50"],
                    "paragraph": ["§108"],
                    "provider": ["internal"],
                    "full_year_persons": [-1.0],
                    "spending_dkk": [5.0],
                }
            ),
            "ledger.csv, row 1, column 'full_year_persons': expected at least 0 (full-year persons), found -1.0",
        ),
        # 16 a date beyond the years a date may fall in (pandas holds it, the warehouse's nanoseconds did not:
        # it stopped the load with pandas' OutOfBoundsDatetime)
        (
            "cases",
            _cases(end_date=(1, "3024-05-31")),
            "ledger.csv, row 2, column 'end_date': expected a date (YYYY-MM-DD) in the years 1800-2199, "
            "found '3024-05-31'",
        ),
        # 17 the same as a date object; and a year 9999 that did not come through the case ingest (which reads it
        # as an open end) is no date either
        (
            "cases",
            _cases(start_date=(0, dt.date(9999, 12, 31))),
            "ledger.csv, row 1, column 'start_date': expected a date (YYYY-MM-DD) in the years 1800-2199, "
            "found 9999-12-31",
        ),
    ],
    ids=lambda v: None if not isinstance(v, str) or len(v) > 20 else v,
)
def test_bad_input_is_refused_with_a_message_that_says_where_and_what(table, df, message):
    with pytest.raises(SchemaError) as err:
        validate(df, table, "ledger.csv")
    assert str(err.value) == message


def test_row_numbers_follow_the_source():
    with pytest.raises(SchemaError, match=r"^ledger.csv, row 4, column 'spending_dkk'"):
        validate(_accounts(spending_dkk=(2, "x")), "accounts", "ledger.csv", first_row=2)


def test_unknown_table_suggests_the_nearest():
    with pytest.raises(KeyError, match="did you mean 'accounts'"):
        schema.table("acounts")


def test_a_failed_load_writes_nothing():
    con = duckdb.connect()
    create_schema(con)
    load(con, "accounts", _accounts(), source="first.csv")
    bad = _accounts(spending_dkk=(2, "n/a")).assign(year=2025)
    with pytest.raises(SchemaError):
        load(con, "accounts", bad, source="second.csv")
    assert con.execute("SELECT count(*), sum(spending_dkk) FROM accounts").fetchone() == (3, 6_000_000.0)


def test_append_refuses_a_key_already_loaded_and_upsert_replaces_it():
    con = duckdb.connect()
    load(con, "accounts", _accounts(), source="first.csv")
    again = _accounts().assign(spending_dkk=[7.0, 8.0, 9.0])
    with pytest.raises(
        SchemaError, match=re.escape("second.csv, row 1, column 'function_code': expected a key not yet")
    ):
        load(con, "accounts", again, source="second.csv")
    assert con.execute("SELECT sum(spending_dkk) FROM accounts").fetchone() == (6_000_000.0,)
    load(con, "accounts", again, source="second.csv", mode="upsert")
    load(con, "accounts", again, source="second.csv", mode="upsert")  # twice changes nothing
    assert con.execute("SELECT count(*), sum(spending_dkk) FROM accounts").fetchone() == (3, 24.0)


def test_docs_schema_is_in_step_with_the_schema_module():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert doc.read_text("utf-8") == schema.to_markdown(), "run: analysis schema > docs/schema.md"


def test_an_optional_column_may_be_left_out_but_a_required_one_not():
    out = validate(_cases().drop(columns="function_code", errors="ignore"), "cases", "c.csv")
    assert out["function_code"].isna().all()
    with pytest.raises(SchemaError, match="column 'measure': expected a column 'measure'"):
        validate(_cases().drop(columns="measure"), "cases", "c.csv")
