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
