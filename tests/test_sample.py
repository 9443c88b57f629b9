"""The national sample: deterministic, complete, consistent, and free of CPR numbers."""

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.data import sample
from analysis.data.schema import TABLES
from analysis.privacy import CPR_PATTERN

# A few of Statistics Denmark's codes and names, written out by hand (the full list is checked against
# Statistics Denmark's nomenclature when the reference file is changed; see docs/data.md).
KNOWN = {
    101: "København",
    147: "Frederiksberg",
    165: "Albertslund",
    190: "Furesø",
    400: "Bornholm",
    461: "Odense",
    706: "Syddjurs",
    751: "Aarhus",
    825: "Læsø",
    851: "Aalborg",
    860: "Hjørring",
}


@pytest.fixture(scope="module")
def raw():
    """The sample's raw extracts, generated once for this module."""
    return sample.generate()


def test_all_98_municipalities_with_real_codes_names_and_five_regions(con):
    m = con.sql("SELECT * FROM municipalities WHERE year = 2024").df()
    assert len(m) == 98 and m["municipality_code"].is_unique
    assert m["municipality_code"].between(101, 860).all()
    names = dict(zip(m["municipality_code"], m["municipality"], strict=True))
    assert {k: names[k] for k in KNOWN} == KNOWN
    assert sorted(m["region"].unique()) == [
        "Region Hovedstaden",
        "Region Midtjylland",
        "Region Nordjylland",
        "Region Sjælland",
        "Region Syddanmark",
    ]
    assert m["municipality_group"].nunique() == 5
    # population about 6 mio.; 18-64 between 45 % and 72 % of each municipality
    assert 5.8e6 < m["population"].sum() < 6.1e6
    share = m["population_18_64"] / m["population"]
    assert share.between(0.45, 0.72).all()


def test_function_areas_of_main_functions_5_38_and_5_28(con):
    fa = con.sql("SELECT * FROM function_areas").df().set_index("function_code")
    assert fa.loc["5.38.50", "name"] == "Botilbud til længerevarende ophold"
    assert fa.loc["5.38.50", "paragraph"] == "§108"
    assert fa.loc["5.38.52", "paragraph"] == "§107"
    assert fa.loc["5.38.51", "name"] == "Botilbudslignende tilbud"
    assert fa.loc["5.28.22", "name"] == "Plejefamilier"
    assert fa.loc["5.28.23", "paragraph"] == "BL §43"
    # 11 areas of 5.38 and the chart's five of 5.28 (5.28.20-5.28.24)
    assert sum(c.startswith("5.38.") for c in fa.index) == 11
    assert sorted(c for c in fa.index if c.startswith("5.28.")) == [f"5.28.2{i}" for i in range(5)]


def test_5_28_in_the_sample_at_plausible_levels_and_5_38_untouched(con):
    df = (
        con.sql(
            """SELECT function_code, sum(spending_dkk) / sum(full_year_persons) AS price, count(DISTINCT
                  municipality_code) AS municipalities
           FROM activity WHERE function_code LIKE '5.28.%' GROUP BY 1"""
        )
        .df()
        .set_index("function_code")
    )
    assert (df["municipalities"] == 98).all()
    assert 0.3e6 < df.loc["5.28.22", "price"] < 0.5e6  # a foster family: 0,3-0,5 mio. kr. a year
    assert 1.0e6 < df.loc["5.28.23", "price"] < 1.5e6  # a place in a children's home: 1,0-1,5 mio. kr.
    # the accounts of 5.28 are their activity's spending, as for 5.38
    gap = con.execute(
        """SELECT max(abs(a.spending_dkk - s.s)) FROM accounts a JOIN (SELECT municipality_code, year,
                  function_code, sum(spending_dkk) AS s FROM activity GROUP BY ALL) s USING (municipality_code,
                  year, function_code) WHERE a.function_code LIKE '5.28.%'"""
    ).fetchone()[0]
    assert gap == 0


def test_prices_and_rates_are_of_the_documented_order(con):
    df = (
        con.sql(
            """SELECT a.function_code, sum(spending_dkk) / sum(full_year_persons) AS price,
                  1000 * sum(full_year_persons) / sum(m.population_18_64) AS rate
           FROM activity a JOIN municipalities m USING (municipality_code, year)
           WHERE function_code IN ('5.38.50', '5.38.52') GROUP BY 1 ORDER BY 1"""
        )
        .df()
        .set_index("function_code")
    )
    assert 0.8e6 < df.loc["5.38.50", "price"] < 1.6e6
    assert df.loc["5.38.52", "price"] > df.loc["5.38.50", "price"]
    assert 1 < df.loc["5.38.50", "rate"] < 5


def test_planted_deviation_is_there_to_be_found(con):
    # Syddjurs' §108 rate was planted 45 % above its structural level: it should sit above the national rate.
    df = (
        con.sql(
            """SELECT municipality_code = 706 AS own, 1000 * sum(full_year_persons) / sum(m.population_18_64) AS rate
           FROM activity a JOIN municipalities m USING (municipality_code, year)
           WHERE function_code = '5.38.50' GROUP BY 1"""
        )
        .df()
        .set_index("own")["rate"]
    )
    assert df[True] > 1.15 * df[False]


def test_ledger_months_sum_to_the_accounts(con):
    diff = con.execute(
        """SELECT count(*) AS n, max(abs(a.spending_dkk - l.total)) AS worst FROM accounts a
           JOIN (SELECT municipality_code, function_code, year, sum(spending_dkk) AS total, count(*) AS months
                 FROM ledger GROUP BY ALL) l USING (municipality_code, function_code, year)
           WHERE l.months = 12"""
    ).fetchone()
    assert diff == (98 * (11 + 5) * 8, 0.0)  # 98 municipalities x (11 areas of 5.38 + 5 of 5.28) x 8 years


def test_activity_spending_sums_to_the_accounts_of_the_area(con):
    n, worst = con.execute(
        """SELECT count(*), max(abs(a.spending_dkk - x.total)) FROM accounts a
           JOIN (SELECT municipality_code, function_code, year, sum(spending_dkk) AS total
                 FROM activity GROUP BY ALL) x USING (municipality_code, function_code, year)"""
    ).fetchone()
    assert (n, worst) == (98 * (11 + 5) * 8, 0.0)  # 98 municipalities x (11 + 5 areas) x 8 years


def test_ledger_has_seasonality_and_level_shifts(con):
    by_month = con.sql("SELECT month, sum(spending_dkk) AS s FROM ledger GROUP BY 1 ORDER BY 1").df()["s"]
    assert by_month.iloc[11] > 1.15 * by_month.iloc[1:11].mean()  # December accruals
    assert by_month.iloc[0] < 0.9 * by_month.iloc[1:11].mean()  # January late postings


def test_cases_in_four_sectors_and_programme_members(con):
    sectors = con.sql("SELECT DISTINCT sector FROM cases ORDER BY 1").df()["sector"].tolist()
    assert sectors == ["adults_social", "children_families", "employment", "health"]
    munis = (
        con.sql("SELECT DISTINCT municipality_code FROM cases ORDER BY 1").df()["municipality_code"].tolist()
    )
    assert munis == [165, 190, 706]
    multi = con.execute(
        """SELECT count(*) FROM (SELECT p.person_id FROM programme_members p JOIN cases c USING (person_id)
           GROUP BY 1 HAVING count(DISTINCT sector) >= 2)"""
    ).fetchone()[0]
    members = con.execute("SELECT count(*) FROM programme_members").fetchone()[0]
    assert members >= 3 * 20 and multi == members


def test_same_seed_same_tables(tmp_path):
    a, b = sample.generate(7), sample.generate(7)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    other = sample.generate(8)
    assert not other["activity"].equals(a["activity"])


def test_built_warehouse_is_identical_for_the_same_seed(sample_path, tmp_path):
    import duckdb

    again = tmp_path / "again.duckdb"
    sample.build(again)
    c1, c2 = duckdb.connect(sample_path, read_only=True), duckdb.connect(str(again), read_only=True)
    for name, t in TABLES.items():
        order = ", ".join(t.key)
        pd.testing.assert_frame_equal(
            c1.sql(f"SELECT * FROM {name} ORDER BY {order}").df(),
            c2.sql(f"SELECT * FROM {name} ORDER BY {order}").df(),
            check_exact=True,
        )


def test_no_cpr_number_anywhere_in_the_warehouse(con, sample_path, raw):
    # every text column of every table, by the CPR pattern
    cpr = re.compile(CPR_PATTERN)
    for name, t in TABLES.items():
        for col in t.columns:
            if col.dtype == "str":
                values = con.execute(f"SELECT DISTINCT {col.name} FROM {name}").fetchall()
                assert not [v for (v,) in values if v and cpr.search(v)], f"{name}.{col.name}"
    # and the raw extract's own CPR numbers are nowhere in the database file, with or without the hyphen
    cprs = raw["raw_cases"]["cpr"].unique()
    assert len(cprs) > 1000 and all(re.fullmatch(CPR_PATTERN, c) for c in cprs)
    blob = Path(sample_path).read_bytes()
    digit_runs = {m.replace(b"-", b"") for m in re.findall(rb"(?=(\d{6}-?\d{4}))", blob)}
    assert not digit_runs & {c.replace("-", "").encode() for c in cprs}


def test_pseudonyms_are_consistent_across_a_persons_cases(con, raw):
    n_cpr = raw["raw_cases"].groupby("municipality_code")["cpr"].nunique().to_dict()
    n_pid = con.sql("SELECT municipality_code, count(DISTINCT person_id) FROM cases GROUP BY 1").fetchall()
    assert dict(n_pid) == n_cpr


@pytest.mark.parametrize("table", ["raw_cases", "raw_programme_members"])
def test_raw_extracts_carry_cpr_not_person_id(table, raw):
    assert "cpr" in raw[table].columns and "person_id" not in raw[table].columns


def test_populations_are_distinct_and_close_to_the_reference(raw):
    from analysis.data import reference

    m = raw["municipalities"]
    for year, g in m.groupby("year"):
        assert g["population"].is_unique, f"{year}: two municipalities share a population"
    ref = reference.municipalities().set_index("municipality_code")["population_2024"]
    pop = m[m["year"] == 2024].set_index("municipality_code")["population"]
    # the reference list rounds to the thousand (Ishøj, Glostrup and Solrød all 24.000); the sample stays within
    # 3 % of it and no longer looks rounded
    assert ((pop / ref.loc[pop.index] - 1).abs() <= 0.03 + 1e-9).all()
    assert (pop % 100 == 0).sum() <= 3
    # deterministic: the same seed gives the same populations
    again = sample.generate()["municipalities"]
    pd.testing.assert_series_equal(m["population"], again["population"])
