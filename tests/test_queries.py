"""Reading warehouse tables through analysis.data.queries."""

from analysis.data import queries


def test_cases_filtered_by_municipality_and_function(con):
    all_706 = queries.cases(con, [706])
    on_108 = queries.cases(con, [706], ["5.38.50"])
    assert set(all_706["municipality_code"]) == {706}
    assert set(on_108["function_code"]) == {"5.38.50"} and set(on_108["measure"]) == {
        "Botilbud til længerevarende ophold"
    }
    assert len(on_108) == (all_706["function_code"] == "5.38.50").sum() > 0
    ordered = all_706[["person_id", "start_date"]].apply(tuple, axis=1).tolist()
    assert ordered == sorted(ordered)


def test_filters_combine_and_years_are_inclusive(con):
    df = queries.accounts(con, ["5.38.52"], (2020, 2021), [101, 751])
    assert sorted(set(zip(df["municipality_code"], df["year"], strict=True))) == [
        (101, 2020),
        (101, 2021),
        (751, 2020),
        (751, 2021),
    ]
    assert queries.function_area(con, "5.38.52")["paragraph"] == "§107"
