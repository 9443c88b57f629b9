"""Reading warehouse tables through analysis.data.queries."""

import pytest

from analysis.data import queries


def test_cases_filtered_by_municipality_and_function(con):
    all_706 = queries.cases(con, municipality_codes=[706])
    on_108 = queries.cases(con, municipality_codes=[706], function_codes=["5.38.50"])
    assert set(all_706["municipality_code"]) == {706}
    assert set(on_108["function_code"]) == {"5.38.50"} and set(on_108["measure"]) == {
        "Botilbud til længerevarende ophold"
    }
    assert len(on_108) == (all_706["function_code"] == "5.38.50").sum() > 0
    ordered = all_706[["person_id", "start_date"]].apply(tuple, axis=1).tolist()
    assert ordered == sorted(ordered)


def test_filters_combine_and_years_are_inclusive(con):
    df = queries.accounts(con, municipality_codes=[101, 751], years=(2020, 2021), function_codes=["5.38.52"])
    assert sorted(set(zip(df["municipality_code"], df["year"], strict=True))) == [
        (101, 2020),
        (101, 2021),
        (751, 2020),
        (751, 2021),
    ]
    assert queries.function_area(con, "5.38.52")["paragraph"] == "§107"


def test_an_unknown_function_code_is_an_input_error_with_the_nearest_codes(con):
    import doctest

    from analysis.errors import InputError

    # before: a bare KeyError whose text came out in quotes; now the package's InputError naming the warehouse
    with pytest.raises(InputError) as refused:
        queries.function_area(con, "5.38.5")
    message = str(refused.value)
    assert message.startswith(
        f"{con.execute('PRAGMA database_list').fetchall()[0][2]}: function code '5.38.5'"
    )
    # 6 of 7 characters match in every 5.38.5x code and in 5.38.45 (ratio 2*6/13 each); of equals, those
    # beginning with 5.38.5 first, in code order: the first three of 5.38.50, .51, .52, .53, .58, .59, 5.38.45
    assert "(did you mean '5.38.50', '5.38.51' or '5.38.52'?); expected one of: " in message
    assert "5.28.20" in message.split("expected one of: ")[1]  # the list of known codes
    # a code written without dots points to its dotted form only
    with pytest.raises(
        InputError, match=r"'53850' is not in the table function_areas \(did you mean '5.38.50'\?\)"
    ):
        queries.function_area(con, "53850")
    with pytest.raises(ValueError, match=r"'Botilbud' is not in the table function_areas; expected one of"):
        queries.function_area(con, "Botilbud")  # nothing near: no guess
    assert doctest.testmod(queries).failed == 0


def test_one_argument_order_and_the_filters_by_keyword_only(con):
    # every reader: (con, *, municipality_codes, years, function_codes); a positional filter is refused, since
    # the positional orders used to differ between the functions
    import inspect

    for name in ("activity", "accounts", "budgets", "capacity", "ledger"):
        params = list(inspect.signature(getattr(queries, name)).parameters.values())
        assert [p.name for p in params] == ["con", "municipality_codes", "years", "function_codes"], name
        assert all(p.kind is p.KEYWORD_ONLY for p in params[1:]), name
    assert list(inspect.signature(queries.municipalities).parameters) == [
        "con",
        "municipality_codes",
        "years",
    ]
    assert list(inspect.signature(queries.cases).parameters) == [
        "con",
        "municipality_codes",
        "function_codes",
    ]
    with pytest.raises(TypeError):
        queries.accounts(con, ["5.38.52"], (2020, 2020), [101])
    a = queries.ledger(con, function_codes=["5.38.52"], years=(2024, 2024), municipality_codes=[101])
    b = queries.ledger(con, municipality_codes=[101], years=(2024, 2024), function_codes=["5.38.52"])
    assert len(a) == 12 and a.equals(b)
    assert set(a["month"]) == set(range(1, 13)) and set(a["municipality_code"]) == {101}
