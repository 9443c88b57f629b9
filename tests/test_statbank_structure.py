"""Structural features from loaded tables: population, aged 18-64, density from ARE207's areas, and their sources."""

from pathlib import Path

from analysis.data import statbank

DATA = Path(__file__).parent / "data" / "statbank"


def density(con):
    df = con.execute("SELECT municipality_code, year, population_density FROM municipalities").df()
    return df.set_index(["municipality_code", "year"])["population_density"]


def test_areas_after_folk1a_recompute_the_density_and_name_their_source(own_con):
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    assert density(own_con)[(101, 2024)] == round(647_800 / 90, 1)  # the reference list's 90 km²
    before = statbank.feature_sources(own_con).set_index("feature")["source"]
    assert "referenceliste" in before["population_density"]
    result = statbank.load(own_con, DATA / "are207.csv", "ARE207")
    # København changes (90 -> 86,4 km²); Syddjurs rounds to the same density (690 -> 690,2 km²: 62,4)
    assert (result.target, result.rows_loaded, result.changed) == ("municipalities", 4, 2)
    d = density(own_con)
    assert d[(101, 2024)] == round(647_800 / 86.4, 1) == 7497.7
    assert d[(101, 2025)] == round(648_300 / 86.4, 1)  # 2025: the nearest year's area (2024)
    assert d[(706, 2024)] == round(43_040 / 690.2, 1)
    sources = statbank.feature_sources(own_con)
    row = sources[sources.feature == "population_density"].iloc[0]
    assert "ARE207" in row.source and (row.municipalities, row.years) == (2, "2024-2025")
    assert (
        own_con.execute(
            "SELECT population_18_64 FROM municipalities WHERE municipality_code = 101 AND year = 2024"
        ).fetchone()[0]
        == 427_700
    )


def test_areas_before_folk1a_are_kept_for_it(own_con):
    result = statbank.load(own_con, DATA / "are207.csv", "ARE207")
    assert result.target == "_areas" and any("next FOLK1A load" in n for n in result.notes)
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    assert density(own_con)[(706, 2024)] == round(43_040 / 690.2, 1)
    assert (
        statbank.feature_sources(own_con, [706])
        .set_index("feature")
        .loc["population", "source"]
        .endswith("FOLK1A (befolkningen 1. januar)")
    )


def test_no_sources_recorded_reads_as_empty(own_con):
    assert list(statbank.feature_sources(own_con).columns) == ["feature", "source", "municipalities", "years"]
    assert statbank.feature_sources(own_con).empty
