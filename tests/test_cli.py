"""The analysis command line."""

import pytest

from analysis.cli import main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("sample", "tables", "schema"):
        assert command in out


def test_sample_builds_then_reports_current(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    assert main(["sample", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "Built the sample warehouse" in out and "ledger" in out and "150,528 rows" in out
    )  # 98 x (11 + 5 areas) x 8 years x 12
    assert main(["sample", "--path", str(path)]) == 0
    assert "is current" in capsys.readouterr().out


def test_tables_summarises_each_table(sample_path, capsys):
    assert main(["tables", "--path", sample_path]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("municipalities"))
    assert line.split()[:4] == ["municipalities", "784", "98", "2018-2025"]


def test_an_input_error_is_one_clear_line(tmp_path, capsys):
    assert main(["tables", "--path", str(tmp_path / "nowhere.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: no warehouse at") and "Traceback" not in err
