"""connect(): the default warehouse is built on first use, reused, rebuilt when outdated, never overwritten."""

import duckdb
import pytest

from analysis.data import connect, sample
from analysis.data.warehouse import default_path


def test_default_path_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert default_path() == tmp_path / "w.duckdb"


def _sample_at(monkeypatch, path):
    """Make ``path`` the sample's default path (the sample is built only there, never at ANALYSIS_WAREHOUSE)."""
    from analysis import paths

    monkeypatch.delenv("ANALYSIS_WAREHOUSE", raising=False)
    monkeypatch.setattr(paths, "sample_warehouse_path", lambda: path)
    # and the data folder with it: a key file left in the checkout by `make reports` must not meet the tests' key
    monkeypatch.setattr(paths, "data_dir", lambda: path.parent)


def test_connect_builds_on_first_use_and_reuses_afterwards(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "sample.duckdb"
    _sample_at(monkeypatch, path)
    con = connect()
    assert con.execute("SELECT count(*) FROM municipalities WHERE year = 2025").fetchone() == (98,)
    con.close()
    built = path.stat().st_mtime_ns
    connect().close()
    assert path.stat().st_mtime_ns == built


def test_a_current_sample_is_opened_once(tmp_path, monkeypatch):
    from analysis.data import warehouse

    path = tmp_path / "sample.duckdb"
    _sample_at(monkeypatch, path)
    connect().close()  # built
    opened, real_connect = [], duckdb.connect

    def counting_connect(database, **kwargs):
        opened.append((database, kwargs))
        return real_connect(database, **kwargs)

    monkeypatch.setattr(warehouse.duckdb, "connect", counting_connect)
    con = connect()
    # one read-only connection both checks the sample's version and serves the caller (it used to be two)
    assert opened == [(str(path), {"read_only": True})]
    assert con.execute("SELECT count(*) FROM municipalities WHERE year = 2025").fetchone() == (98,)
    con.close()
    opened.clear()
    connect(read_only=False).close()  # a writer: the check's connection, then its own
    assert opened == [(str(path), {"read_only": True}), (str(path), {"read_only": False})]


def test_an_outdated_sample_is_rebuilt(tmp_path, monkeypatch):
    path = tmp_path / "sample.duckdb"
    _sample_at(monkeypatch, path)
    monkeypatch.setattr(sample, "SAMPLE_VERSION", "0-old")
    connect().close()
    monkeypatch.setattr(sample, "SAMPLE_VERSION", "1-new")
    assert sample.is_current(path) is False
    connect().close()
    assert sample.is_current(path) is True


def test_a_warehouse_of_other_data_is_never_overwritten(tmp_path, monkeypatch):
    path = tmp_path / "mine.duckdb"
    c = duckdb.connect(str(path))
    c.execute("CREATE TABLE accounts (x INT)")
    c.close()
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(path))
    con = connect()
    assert con.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
    assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["accounts"]


def test_connect_to_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="no warehouse at .*missing.duckdb; build the sample"):
        connect(tmp_path / "missing.duckdb")


def test_connections_are_read_only_by_default(con):
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("DELETE FROM accounts")
