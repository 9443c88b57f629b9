"""A load whose COMMIT fails (the disk filled) says so in one line, and the warehouse keeps what it had."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from analysis.cli import main
from analysis.data import loads
from analysis.data.warehouse import connect
from analysis.errors import DataError


class _FullDisk:
    """A connection whose COMMIT fails as DuckDB's does when the disk is full (everything else goes through)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql, *args, **kwargs):
        if sql.strip().upper() == "COMMIT":
            # DuckDB ends the transaction when its commit fails; the ROLLBACK that follows then fails as well
            self._con.execute("ROLLBACK")
            raise duckdb.IOException('Could not write file "own.duckdb.wal": No space left on device')
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _accounts(amount: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"municipality_code": [706], "year": [2024], "function_code": ["5.38.50"], "spending_dkk": [amount]}
    )


def test_a_failed_commit_names_the_cause_and_keeps_the_warehouse(tmp_path):
    con = connect(tmp_path / "own.duckdb", read_only=False)
    loads.ensure_tables(con)
    loads.write(
        con, "accounts", _accounts(1e6), kind="test", source="a.csv", sha256="a" * 64, options={}, rows_read=1
    )
    with pytest.raises(DataError) as e:
        loads.write(
            _FullDisk(con),
            "accounts",
            _accounts(2e6),
            kind="test",
            source="b.csv",
            sha256="b" * 64,
            options={},
            rows_read=1,
        )
    assert str(e.value) == (
        "the load of b.csv could not be written to the warehouse, and nothing of it was stored: "
        'Could not write file "own.duckdb.wal": No space left on device'
    )
    assert "no transaction is active" not in str(e.value)
    assert con.execute("SELECT spending_dkk FROM accounts").fetchall() == [(1e6,)]
    assert con.execute("SELECT count(*) FROM _loads").fetchone() == (1,)
    con.close()


def test_the_cli_prints_a_data_error_as_one_line(tmp_path, capsys, monkeypatch):
    def refuse(args):
        raise DataError(
            "the load of b.csv could not be written to the warehouse, and nothing of it was stored"
        )

    import analysis.cli as cli

    monkeypatch.setattr(cli, "_cmd_tables", refuse)
    assert main(["tables"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: the load of b.csv could not be written") and err.count("\n") == 1
