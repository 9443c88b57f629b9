"""Shared fixtures: the tests run against their own pseudonymisation key and a sample warehouse in a temp folder."""

from __future__ import annotations

import pytest

#: 32 bytes as 64 hex digits (a key must be at least 32 random bytes); not secret, for tests only.
TEST_KEY = "5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"


@pytest.fixture(scope="session", autouse=True)
def sample_path(tmp_path_factory) -> str:
    """A sample warehouse built once per test session (read it only); no test touches the user's warehouse or key.

    Session-scoped and autouse, so that the environment is set before any fixture of any scope runs.
    """
    from analysis.data import sample

    path = tmp_path_factory.mktemp("warehouse") / "sample.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("ANALYSIS_PSEUDONYM_KEY", TEST_KEY)
    mp.setenv("ANALYSIS_WAREHOUSE", str(path))
    sample.build(path)
    yield str(path)
    mp.undo()


@pytest.fixture
def con(sample_path):
    """A read-only connection to the session's sample warehouse."""
    from analysis.data import connect

    c = connect(sample_path)
    yield c
    c.close()


@pytest.fixture
def own_con(tmp_path):
    """A connection, open for writing, to a fresh warehouse of the test's own (``own.duckdb`` in its temp folder).

    Empty until the test loads into it; closed after the test.
    """
    from analysis.data import connect

    c = connect(tmp_path / "own.duckdb", read_only=False)
    yield c
    c.close()
