"""analysis.data.warehouse.resolve: the one rule by which every command and the runner choose the warehouse."""

from __future__ import annotations

import duckdb
import pytest

from analysis import paths
from analysis.data import sample
from analysis.data.warehouse import WarehouseNotFoundError, create_schema, resolve, write_meta
from analysis.errors import ConfigurationError, DataError


@pytest.fixture
def ensured(tmp_path, monkeypatch):
    """No ANALYSIS_WAREHOUSE, the sample's default path in tmp_path, and sample.ensure recorded instead of run."""
    calls = []
    monkeypatch.delenv("ANALYSIS_WAREHOUSE", raising=False)
    monkeypatch.setattr(paths, "sample_warehouse_path", lambda: tmp_path / "data" / "sample.duckdb")
    monkeypatch.setattr(sample, "ensure", lambda path: calls.append(path))
    return calls


def _warehouse(path, kind=None):
    con = duckdb.connect(str(path))
    create_schema(con)
    if kind:
        write_meta(con, {"kind": kind})
    con.close()
    return path


def test_report_default_is_the_sample_at_its_default_path_built_on_first_use(tmp_path, ensured):
    assert resolve(None) == (tmp_path / "data" / "sample.duckdb", None)
    assert resolve("") == (tmp_path / "data" / "sample.duckdb", None)  # an empty option is no option
    assert ensured == [tmp_path / "data" / "sample.duckdb"] * 2


def test_the_option_wins_over_the_environment_which_wins_over_the_sample(tmp_path, ensured, monkeypatch):
    own, env = _warehouse(tmp_path / "own.duckdb"), _warehouse(tmp_path / "env.duckdb")
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(env))
    assert resolve(own) == (own, "--warehouse")
    assert resolve(None) == (env, "ANALYSIS_WAREHOUSE")
    assert ensured == [own, env]  # ensure leaves a warehouse of other data alone (tested in test_warehouse)


@pytest.mark.parametrize("by_env", [False, True])
def test_report_a_mistyped_name_is_refused_and_no_sample_is_built_there(
    tmp_path, ensured, monkeypatch, by_env
):
    typo = tmp_path / "own.duckbd"
    if by_env:
        monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(typo))
    who = "ANALYSIS_WAREHOUSE" if by_env else "--warehouse"
    with pytest.raises(WarehouseNotFoundError, match=f"no warehouse at .*own.duckbd \\(named by {who}\\)"):
        resolve(None if by_env else typo)
    assert ensured == [] and not typo.exists()


def test_report_naming_the_samples_default_path_builds_it_there(tmp_path, ensured):
    default = tmp_path / "data" / "sample.duckdb"
    assert resolve(default) == (default, "--warehouse") and ensured == [default]


def test_a_folder_is_refused_for_every_purpose(tmp_path, ensured):
    for purpose in ("report", "load", "inspect"):
        with pytest.raises(DataError, match="is a folder, not a DuckDB file"):
            resolve(tmp_path, purpose=purpose)


def test_report_a_damaged_file_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("ANALYSIS_WAREHOUSE", raising=False)
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(DataError, match="bad.duckdb"):
        resolve(bad)


def test_load_needs_a_name_and_never_falls_back_to_the_sample(ensured):
    with pytest.raises(ConfigurationError, match="say which warehouse to load into: --warehouse FILE"):
        resolve(None, purpose="load")
    assert ensured == []


def test_load_accepts_a_new_file_without_creating_it_or_building_anything(tmp_path, ensured):
    new = tmp_path / "own.duckdb"
    assert resolve(new, purpose="load") == (new, "--warehouse")
    assert not new.exists() and ensured == []


def test_load_refuses_the_sample_warehouse_wherever_it_is(tmp_path, ensured):
    copy = _warehouse(tmp_path / "copy.duckdb", kind="sample")
    with pytest.raises(DataError, match="copy.duckdb holds the sample warehouse"):
        resolve(copy, purpose="load")
    own = _warehouse(tmp_path / "own.duckdb", kind="own")
    assert resolve(own, purpose="load") == (own, "--warehouse")


def test_inspect_needs_a_name_and_an_existing_file(tmp_path, ensured, monkeypatch):
    with pytest.raises(ConfigurationError, match="say which warehouse: --warehouse FILE"):
        resolve(None, purpose="inspect")
    with pytest.raises(WarehouseNotFoundError, match="no warehouse at .*none.duckdb"):
        resolve(tmp_path / "none.duckdb", purpose="inspect")
    own = _warehouse(tmp_path / "own.duckdb")
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(own))
    assert resolve(None, purpose="inspect") == (own, "ANALYSIS_WAREHOUSE") and ensured == []


def test_an_unknown_purpose_is_refused():
    with pytest.raises(ConfigurationError, match="purpose must be one of report, load, inspect"):
        resolve(None, purpose="write")
