"""Shared fixtures: every test runs against its own pseudonymisation key and a sample warehouse in a temp folder."""

from __future__ import annotations

import pytest

TEST_KEY = "test-key-not-secret"


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory) -> str:
    """A sample warehouse built once per test session (read it only)."""
    from analysis.data import sample

    path = tmp_path_factory.mktemp("warehouse") / "sample.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("ANALYSIS_PSEUDONYM_KEY", TEST_KEY)
    try:
        sample.build(path)
    finally:
        mp.undo()
    return str(path)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path, sample_path):
    """No test touches the user's warehouse or key: both point into temp folders."""
    monkeypatch.setenv("ANALYSIS_PSEUDONYM_KEY", TEST_KEY)
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", sample_path)


@pytest.fixture
def con(sample_path):
    """A read-only connection to the session's sample warehouse."""
    from analysis.data import connect

    c = connect(sample_path)
    yield c
    c.close()
