"""Undoing a Statistikbanken load restores the side tables too: the areas (ARE207) and the feature sources."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.data import loads, statbank
from analysis.errors import InputError

DATA = Path(__file__).parent / "data" / "statbank"


def state(con):
    """The three tables an ARE207 or FOLK1A load writes, sorted, without the load ids of the sources."""
    return {
        t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df()
        for t in ("municipalities", "_areas", "_feature_sources")
    }


def assert_same(a, b):
    for t in a:
        pd.testing.assert_frame_equal(a[t], b[t], obj=t)


def newer_areas(tmp_path):
    """A second ARE207 file: København 2024 measured again as 90,0 km² (was 86,4)."""
    text = (
        (DATA / "are207.csv")
        .read_text(encoding="utf-8-sig")
        .replace("København;2024;86,4", "København;2024;90,0")
    )
    path = tmp_path / "are207_new.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_undoing_a_second_are207_load_restores_the_areas_sources_and_density(own_con, tmp_path):
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    statbank.load(own_con, DATA / "are207.csv", "ARE207")
    before = state(own_con)
    assert before["_areas"].set_index(["municipality_code", "year"]).loc[(101, 2024), "area_km2"] == 86.4
    result = statbank.load(own_con, newer_areas(tmp_path), "ARE207")
    after = state(own_con)
    assert after["_areas"].set_index(["municipality_code", "year"]).loc[(101, 2024), "area_km2"] == 90.0
    # København 2024: 647,800 / 90,0 = 7,197.8 per km² (was 647,800 / 86,4 = 7,497.7)
    d = after["municipalities"].set_index(["municipality_code", "year"])["population_density"]
    assert d[(101, 2024)] == 7197.8
    loads.undo(own_con, result.load_id)
    assert_same(state(own_con), before)
    # and the load before it, back to the reference list's areas: no ARE207 area or source is left
    first_are207 = int(
        own_con.execute("SELECT max(load_id) FROM _loads WHERE undone_at IS NULL").fetchone()[0]
    )
    loads.undo(own_con, first_are207)
    assert own_con.execute("SELECT count(*) FROM _areas").fetchone()[0] == 0
    sources = statbank.feature_sources(own_con).set_index("feature")["source"]
    assert "ARE207" not in sources["population_density"]
    assert "referenceliste" in sources["population_density"]
    d = own_con.execute(
        "SELECT population_density FROM municipalities WHERE municipality_code = 101 AND year = 2024"
    ).fetchone()[0]
    assert d == round(647_800 / 90, 1)  # the reference list's 90 km²


def test_undoing_folk1a_after_are207_restores_the_feature_sources(own_con, tmp_path):
    statbank.load(own_con, DATA / "are207.csv", "ARE207")
    empty = statbank.feature_sources(own_con)
    result = statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    assert not statbank.feature_sources(own_con).empty
    loads.undo(own_con, result.load_id)
    assert own_con.execute("SELECT count(*) FROM municipalities").fetchone()[0] == 0
    pd.testing.assert_frame_equal(statbank.feature_sources(own_con), empty)


def test_areas_loaded_before_any_municipality_are_a_load_that_undo_removes(own_con):
    result = statbank.load(own_con, DATA / "are207.csv", "ARE207")
    assert result.target == "_areas" and result.load_id is not None
    assert result.new == 6  # 3 municipalities (København, Syddjurs, Aarhus; not Hele landet) x 2 years
    assert statbank.load(own_con, DATA / "are207.csv", "ARE207").status == "unchanged"
    loads.undo(own_con, result.load_id)
    assert own_con.execute("SELECT count(*) FROM _areas").fetchone()[0] == 0
    # FOLK1A now takes the reference list's 90 km² for København, not the undone 86,4
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    d = own_con.execute(
        "SELECT population_density FROM municipalities WHERE municipality_code = 101 AND year = 2024"
    ).fetchone()[0]
    assert d == round(647_800 / 90, 1)


def test_a_load_that_replaced_the_same_areas_later_must_be_undone_first(own_con, tmp_path):
    first = statbank.load(own_con, DATA / "are207.csv", "ARE207")
    second = statbank.load(own_con, newer_areas(tmp_path), "ARE207")
    assert (second.target, second.changed) == ("_areas", 1)
    with pytest.raises(InputError, match=rf"later loads .* in force: {second.load_id}"):
        loads.undo(own_con, first.load_id)
    loads.undo(own_con, second.load_id)
    assert (
        own_con.execute(
            "SELECT area_km2 FROM _areas WHERE municipality_code = 101 AND year = 2024"
        ).fetchone()[0]
        == 86.4
    )
