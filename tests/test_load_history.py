"""Loads replace exactly the period they cover, keep what they replace, and can be undone; one file is one table."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.data import ledger, loads, statbank
from analysis.data.schema import SchemaError
from analysis.data.warehouse import connect
from analysis.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "parameters" / "mappings" / "ledger.yaml"
STATBANK = Path(__file__).parent / "data" / "statbank"
HEADER = "Bilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst"


def _write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _year_2024(tmp_path):
    """12 months of 2024 on 5.38.50, 1.000.000 kr. each (12.000.000 kr.)."""
    lines = [f"{m};28-{m:02d}-2024;5.38.50;1;4.7;1.000.000,00;Køb" for m in range(1, 13)]
    return _write(tmp_path, "2024.csv", lines)


def _export_2025_with_accrual(tmp_path):
    """Nine months of 2025 on 5.38.50 (100.000 kr. each) and one 2024 accrual of 25.000 kr. dated 31-12-2024."""
    lines = [f"{100 + m};15-{m:02d}-2025;5.38.50;1;4.7;100.000,00;Køb" for m in range(1, 10)]
    lines.append("200;31-12-2024;5.38.50;1;4.7;25.000,00;Periodisering")
    return _write(tmp_path, "2025.csv", lines)


def _ledger(con):
    return con.execute("SELECT * FROM ledger ORDER BY ALL").df()


def _total(con, year):
    return con.execute("SELECT count(*), sum(spending_dkk) FROM ledger WHERE year = ?", [year]).fetchone()


def test_an_accrual_into_last_year_does_not_replace_last_year(tmp_path, own_con):
    ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    before = _ledger(own_con)
    export = _export_2025_with_accrual(tmp_path)
    # the old behaviour: 2024 became 1 month and 25.000 kr. ("11 removed")
    with pytest.raises(InputError) as e:
        ledger.load(own_con, export, MAPPING, municipality_code=706)
    message = str(e.value)
    assert message.startswith(
        "2025.csv: the file covers much less than the warehouse holds of some function-years"
    )
    assert (
        "5.38.50 in 2024 (municipality 706): the file holds 1 month (2024-12), the warehouse 12 "
        "(2024-01..2024-12); loading would replace 2024-12 (1.000.000,00 kr. in the warehouse, 25.000,00 kr. in "
        "the file)" in message
    )
    assert "--period 2025" in message and "--replace-partial" in message
    pd.testing.assert_frame_equal(_ledger(own_con), before)
    assert own_con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 1

    result = ledger.load(own_con, export, MAPPING, municipality_code=706, period="2025")
    assert (result.new, result.changed, result.removed) == (9, 0, 0)
    assert result.skipped == {"outside the declared period 2025-01..2025-12 (2024-12)": 1}
    assert _total(own_con, 2024) == (12, 12_000_000.0)
    assert _total(own_con, 2025) == (9, 900_000.0)


def test_replace_partial_replaces_only_the_month_the_file_holds(tmp_path, own_con):
    ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    result = ledger.load(
        own_con, _export_2025_with_accrual(tmp_path), MAPPING, municipality_code=706, replace_partial=True
    )
    assert (result.new, result.changed, result.removed) == (9, 1, 0)
    assert _total(own_con, 2024) == (12, 11 * 1_000_000.0 + 25_000.0)


def test_a_declared_period_removes_its_months_the_file_lacks_but_no_other_function(tmp_path, own_con):
    ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    other = _write(tmp_path, "other.csv", ["1;15-03-2024;5.38.52;1;4.7;5,00;Køb"])
    ledger.load(own_con, other, MAPPING, municipality_code=706)
    h1 = _write(tmp_path, "h1.csv", [f"{m};15-{m:02d}-2024;5.38.50;1;4.7;10,00;Køb" for m in (1, 2, 3, 5)])
    result = ledger.load(own_con, h1, MAPPING, municipality_code=706, period="2024-01..2024-06")
    assert (result.new, result.changed, result.removed) == (0, 4, 2)  # April and June had no postings
    rows = own_con.execute("SELECT function_code, month, spending_dkk FROM ledger ORDER BY 1, 2").fetchall()
    assert [(f, m) for f, m, _ in rows if f == "5.38.50"] == [
        ("5.38.50", m) for m in (1, 2, 3, 5, 7, 8, 9, 10, 11, 12)
    ]
    assert ("5.38.52", 3, 5.0) in rows  # another function in the period is not touched


@pytest.mark.parametrize("text", ["2025-13", "25", "2025-03..2025-01", "2025/01"])
def test_a_malformed_period_is_refused(text):
    with pytest.raises(InputError, match="--period"):
        ledger.parse_period(text)


def test_undo_restores_the_warehouse_and_keeps_the_order_of_loads(tmp_path, own_con):
    first = ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    after_first = _ledger(own_con)
    findings_first = own_con.execute("SELECT * FROM _findings ORDER BY ALL").df()
    second_file = _write(
        tmp_path, "2024.csv", [f"{m};28-{m:02d}-2024;5.38.50;1;4.7;-7,00;Køb" for m in range(1, 13)]
    )
    second = ledger.load(own_con, second_file, MAPPING, municipality_code=706, period="2024")
    assert (second.new, second.changed, second.removed) == (0, 12, 0)
    history = own_con.execute(
        "SELECT change, count(*), sum(spending_dkk) FROM _history_ledger WHERE load_id = ? GROUP BY 1 ORDER BY 1",
        [second.load_id],
    ).fetchall()
    assert history == [("after", 12, None), ("before", 12, 12_000_000.0)]
    with pytest.raises(
        InputError,
        match=rf"load {first.load_id} \(2024.csv\) cannot be undone while later loads .* in force: {second.load_id}\.",
    ):
        loads.undo(own_con, first.load_id)
    done = loads.undo(own_con, second.load_id)
    assert done == {
        "load_id": second.load_id,
        "source": "2024.csv",
        "target": "ledger",
        "restored": 12,
        "deleted": 12,
    }
    pd.testing.assert_frame_equal(_ledger(own_con), after_first)
    # the findings of the first load (twelve negative postings were not among them) are back as they were
    pd.testing.assert_frame_equal(
        own_con.execute("SELECT * FROM _findings ORDER BY ALL").df(), findings_first
    )
    with pytest.raises(InputError, match=rf"load {second.load_id} \(2024.csv\) was undone already"):
        loads.undo(own_con, second.load_id)
    loads.undo(own_con, first.load_id)  # now nothing later is in force
    assert _ledger(own_con).empty
    with pytest.raises(InputError, match=r"no load 99 in this warehouse; the loads are 1, 2"):
        loads.undo(own_con, 99)
    # after undo, the same file loads again (it is not "unchanged")
    again = ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    assert again.status == "loaded" and again.new == 12


def test_a_later_load_of_other_rows_does_not_block_undo(tmp_path, own_con):
    first = ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    ledger.load(
        own_con,
        _write(tmp_path, "b.csv", ["1;15-03-2024;5.38.52;1;4.7;5,00;Køb"]),
        MAPPING,
        municipality_code=706,
    )
    loads.undo(own_con, first.load_id)
    assert own_con.execute("SELECT function_code, year, month, spending_dkk FROM ledger").fetchall() == [
        ("5.38.52", 2024, 3, 5.0)
    ]


def test_one_file_loaded_as_another_table_is_refused(tmp_path, own_con):
    # under a neutral name (a file named REGK31 is refused as BUDK32 by its name already, test_statbank_structure)
    regk = tmp_path / "tabel.csv"
    regk.write_bytes((STATBANK / "regk31_labels.csv").read_bytes())
    first = statbank.load(own_con, regk, "REGK31")
    with pytest.raises(SchemaError) as e:
        statbank.load(own_con, regk, "BUDK32")
    message = str(e.value)
    assert message.startswith(
        "tabel.csv: expected a file not loaded before as another table (one file holds one table); if the "
        f"earlier load was wrong, undo it first: analysis undo {first.load_id}, found the same bytes (SHA-256 "
    )
    assert "loaded as table 'accounts' (REGK31) by the statbank loader in load 1 at " in message
    assert own_con.execute("SELECT count(*) FROM budgets").fetchone()[0] == 0
    loads.undo(own_con, first.load_id)
    assert statbank.load(own_con, regk, "BUDK32").target == "budgets"  # once the wrong load is undone


# ---------------------------------------------------------------------------------------------------------------
# The command line


def test_cli_lists_loads_and_undoes_one(tmp_path, capsys):
    w = str(tmp_path / "own.duckdb")
    assert (
        main(
            [
                "load",
                "ledger",
                str(_year_2024(tmp_path)),
                "--mapping",
                str(MAPPING),
                "--municipality",
                "706",
                "--warehouse",
                w,
            ]
        )
        == 0
    )
    assert f"Load 1; undo it with: analysis undo 1 --warehouse {w}" in capsys.readouterr().out
    export = str(_export_2025_with_accrual(tmp_path))
    args = ["load", "ledger", export, "--mapping", str(MAPPING), "--municipality", "706", "--warehouse", w]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("analysis: error: 2025.csv: the file covers much less")
        and len(err.strip().splitlines()) == 1
    )
    assert main([*args, "--period", "2025"]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 rows: outside the declared period 2025-01..2025-12 (2024-12)" in out
    assert main(["loads", "--warehouse", w]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].split() == [
        "id",
        "loaded",
        "at",
        "file",
        "sha256",
        "table",
        "added",
        "replaced",
        "removed",
        "undone",
    ]
    first, second = out[3].split(), out[4].split()
    assert (
        first[0] == "1"
        and first[3] == "2024.csv"
        and first[4] == loads.file_sha256(_year_2024(tmp_path))[:12]
    )
    assert first[5:] == ["ledger", "12", "0", "0", "no"]
    assert second[0] == "2" and second[3] == "2025.csv" and second[5:] == ["ledger", "9", "0", "0", "no"]
    assert main(["undo", "2", "--warehouse", w]) == 0
    assert (
        "Undid load 2 (2025.csv, table 'ledger'): 9 rows it wrote deleted, 0 rows it had replaced or removed restored."
        in capsys.readouterr().out
    )
    assert main(["loads", "--warehouse", w]) == 0
    undone = capsys.readouterr().out.splitlines()[4].split()
    assert (
        undone[0] == "2" and undone[-1] != "no" and len(undone[-2]) == len("2026-01-01")
    )  # the time it was undone
    assert main(["undo", "2", "--warehouse", w]) == 2
    assert "analysis: error: load 2 (2025.csv) was undone already" in capsys.readouterr().err
    con = connect(w)
    try:
        assert _total(con, 2025) == (0, None) and _total(con, 2024) == (12, 12_000_000.0)
    finally:
        con.close()


def test_cli_undo_and_loads_need_an_existing_warehouse(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANALYSIS_WAREHOUSE")
    assert main(["undo", "1"]) == 2
    assert "say which warehouse to load into" in capsys.readouterr().err
    assert main(["loads", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "analysis: error: no warehouse at" in capsys.readouterr().err


def test_undo_out_of_order_keeps_the_findings_of_the_load_in_force(tmp_path, own_con):
    a = _write(tmp_path, "x.csv", ["1;15-01-2024;5.38.50;1;4.7;-1,00;Køb"])  # one negative posting
    first = ledger.load(own_con, a, MAPPING, municipality_code=706)
    b = _write(
        tmp_path, "x.csv", ["1;15-01-2024;5.38.52;1;4.7;-1,00;Køb", "2;15-01-2024;5.38.52;1;4.7;-2,00;Køb"]
    )
    second = ledger.load(own_con, b, MAPPING, municipality_code=706)  # same name, other rows: no conflict

    def negatives():
        return own_con.execute(
            'SELECT load_id, "count" FROM _findings WHERE "check" = \'negative_posting\' ORDER BY 1'
        ).fetchall()

    assert negatives() == [(second.load_id, 2)]
    loads.undo(own_con, first.load_id)
    assert negatives() == [(second.load_id, 2)]  # not also the first load's, which is undone
    loads.undo(own_con, second.load_id)
    assert negatives() == []  # and the undone first load's findings do not come back
    assert _ledger(own_con).empty


def test_a_load_without_history_cannot_be_undone(tmp_path, own_con):
    first = ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    own_con.execute("DELETE FROM _history_ledger")  # as a load made before loads kept their history
    with pytest.raises(
        InputError, match=r"was made before loads kept the rows they replace, so it cannot be undone"
    ):
        loads.undo(own_con, first.load_id)
    assert _total(own_con, 2024) == (12, 12_000_000.0)


def test_the_record_of_loads_in_force_leaves_out_undone_loads(tmp_path, own_con):
    first = ledger.load(own_con, _year_2024(tmp_path), MAPPING, municipality_code=706)
    second = ledger.load(
        own_con,
        _write(tmp_path, "b.csv", ["1;15-03-2024;5.38.52;1;4.7;5,00;Køb"]),
        MAPPING,
        municipality_code=706,
    )
    loads.undo(own_con, second.load_id)
    assert loads.previous_loads(own_con, 706)["load_id"].tolist() == [first.load_id]
    every = loads.previous_loads(own_con, include_undone=True)
    assert every["load_id"].tolist() == [second.load_id, first.load_id] and every[
        "undone_at"
    ].notna().tolist() == [True, False]
