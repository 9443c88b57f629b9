"""`analysis load ...`: own files into an own warehouse, never the sample; all or nothing; a reload changes nothing."""

from pathlib import Path

import pytest

from analysis.cli import main
from analysis.data.warehouse import connect, read_meta
from analysis.privacy import find_cpr

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "statbank"
LEDGER = [
    "ledger",
    str(ROOT / "docs/examples/ledger-example.csv"),
    "--mapping",
    str(ROOT / "parameters/mappings/ledger.yaml"),
    "--municipality",
    "706",
]
CASES = [
    "cases",
    str(ROOT / "docs/examples/cases-example.csv"),
    "--mapping",
    str(ROOT / "parameters/mappings/cases.yaml"),
    "--municipality",
    "706",
]


def test_statbank_files_load_in_order_and_a_reload_is_unchanged(tmp_path, capsys):
    w = str(tmp_path / "own.duckdb")
    for args in (
        ["statbank", str(DATA / "folk1a.csv"), "--table", "FOLK1A"],
        ["statbank", str(DATA / "regk31_labels.csv"), "--table", "REGK31"],
        ["statbank", str(DATA / "budk32_bulk.csv"), "--table", "BUDK32"],
        ["statbank", str(DATA / "hand_recipients.csv"), "--table", "HAND01", "--provider", "internal"],
    ):
        assert main(["load", *args, "--warehouse", w]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Created the warehouse {w} for your own data.")
    assert (
        "regk31_labels.csv: 61 rows read; 11 rows of table 'accounts' loaded (11 new, 0 changed, 0 removed)."
        in out
    )
    assert "skipped 12 rows: the other PRISENHED" in out
    assert (
        main(["load", "statbank", str(DATA / "regk31_labels.csv"), "--table", "REGK31", "--warehouse", w])
        == 0
    )
    assert "regk31_labels.csv: unchanged; this file was loaded before" in capsys.readouterr().out
    con = connect(w)
    try:
        assert read_meta(con)["kind"] == "own data"
        assert con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 4
    finally:
        con.close()
    assert main(["tables", "--path", w]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("accounts"))
    assert line.split()[:4] == ["accounts", "11", "3", "2023-2024"]


def test_ledger_and_cases_load_through_their_mappings(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANALYSIS_PSEUDONYM_KEY")
    w = tmp_path / "own.duckdb"
    assert main(["load", *LEDGER, "--warehouse", str(w)]) == 0
    assert main(["load", *CASES, "--warehouse", str(w)]) == 0
    out = capsys.readouterr().out
    assert "ledger-example.csv: 22 rows read; 9 rows of table 'ledger' loaded" in out
    assert "skipped 1 rows: dranst other than 1" in out
    assert f"Made the pseudonymisation key {tmp_path / 'pseudonym.key'}" in out  # beside the warehouse
    assert "cases-example.csv: 7 rows read; 7 rows of table 'cases' loaded" in out
    assert find_cpr(out) == []
    assert main(["load", *CASES, "--warehouse", str(w)]) == 0
    out = capsys.readouterr().out
    assert "unchanged" in out and "Made the pseudonymisation key" not in out


def test_the_warehouse_must_be_named_and_never_the_sample(tmp_path, capsys, monkeypatch, sample_path):
    # conftest points ANALYSIS_WAREHOUSE at the session's sample: loading there is refused
    assert main(["load", *LEDGER]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith(f"analysis: error: {sample_path} holds the sample warehouse")
        and "Traceback" not in err
    )
    monkeypatch.delenv("ANALYSIS_WAREHOUSE")
    assert main(["load", *LEDGER]) == 2
    assert "say which warehouse to load into: --warehouse FILE" in capsys.readouterr().err
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert main(["load", *LEDGER]) == 0
    assert (tmp_path / "env.duckdb").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (  # issue 13: --unit no longer bypasses a unit per resident (HAND01 without --provider now loads)
            ["statbank", str(DATA / "REGK31_2024.csv"), "--table", "REGK31", "--unit", "1"],
            "REGK31_2024.csv, column 'PRISENHED': expected --unit only for a PRISENHED in kroner",
        ),
        (
            ["statbank", str(DATA / "regk31_labels.csv"), "--table", "REGK3"],
            "no loader for Statistics Denmark table 'REGK3' (did you mean 'REGK31'?)",
        ),
        (
            ["statbank", str(DATA / "regk31_codes.csv"), "--table", "REGK31"],
            "regk31_codes.csv, column 'PRISENHED': expected one PRISENHED in 1.000 kr.",
        ),
        (["statbank", str(DATA / "nowhere.csv"), "--table", "REGK31"], "no such file"),
        (
            ["ledger", str(ROOT / "docs/examples/ledger-example.csv"), "--mapping", "nowhere.yaml"],
            "no such mapping file: nowhere.yaml",
        ),
    ],
)
def test_input_errors_are_one_clear_line(tmp_path, capsys, args, message):
    w = tmp_path / "own.duckdb"
    assert main(["load", *args, "--warehouse", str(w)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_cpr_is_reported_by_row_without_showing_it(tmp_path, capsys):
    extract = tmp_path / "sager.csv"
    extract.write_text(
        "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
        "CPR-registreret\n"
        "300285-1201;1;Voksne;Botilbud;§108;5.38.50;Intern;01-01-2024;;1.000,00;Ja\n"
        "3002851-201;2;Voksne;Botilbud;§108;5.38.50;Intern;01-01-2024;;1.000,00;Ja\n",
        encoding="utf-8",
    )
    args = [
        "load",
        "cases",
        str(extract),
        "--mapping",
        str(ROOT / "parameters/mappings/cases.yaml"),
        "--municipality",
        "706",
        "--warehouse",
        str(tmp_path / "own.duckdb"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "sager.csv, row 3, column 'CPR-nr.': expected a CPR number of 10 digits" in err
    assert "3002851-201" not in err and "300285" not in err
    assert not (tmp_path / "own.duckdb").exists()  # a failed first load leaves no warehouse behind


def test_a_ledger_file_is_read_and_checked_before_the_warehouse_is_opened(tmp_path, capsys):
    w = tmp_path / "own.duckdb"
    assert main(["load", *LEDGER, "--warehouse", str(w)]) == 0
    capsys.readouterr()
    bad = tmp_path / "posteringer.csv"
    bad.write_text(
        'Bilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst\n1;31-01-2025;5.38.50;1;4.7;"100,00;x\n',
        encoding="utf-8",
    )
    reader = connect(w)  # a report reading the warehouse: the file's error is reported, not the lock
    try:
        args = [
            "load",
            "ledger",
            str(bad),
            "--mapping",
            LEDGER[3],
            "--municipality",
            "706",
            "--warehouse",
            str(w),
        ]
        assert main(args) == 2
    finally:
        reader.close()
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: posteringer.csv, row 2, column 'Beløb': expected well-formed CSV")
    fresh = tmp_path / "new.duckdb"
    assert main(["load", "ledger", str(bad), "--mapping", LEDGER[3], "--warehouse", str(fresh)]) == 2
    assert not fresh.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # argparse said "expected a municipality ... found 7060" after reading the file, or "invalid int value"
        (
            "7060",
            "argument --municipality: unknown municipality code 7060 (did you mean 706 Syddjurs or 760 "
            "Ringkøbing-Skjern?)",
        ),
        (
            "Syddjurs",
            "argument --municipality: 'Syddjurs' is the name of municipality 706; write its code: 706",
        ),
        ("84", "argument --municipality: 84 is the code of Region Hovedstaden, not of a municipality"),
    ],
)
def test_a_municipality_option_that_is_no_code_is_refused_saying_what_it_is(tmp_path, capsys, value, message):
    warehouse = tmp_path / "own.duckdb"
    args = [
        "load",
        "ledger",
        str(ROOT / "docs" / "examples" / "ledger-example.csv"),
        "--mapping",
        str(ROOT / "parameters" / "mappings" / "ledger.yaml"),
        "--municipality",
        value,
        "--warehouse",
        str(warehouse),
    ]
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert message in capsys.readouterr().err
    assert not warehouse.exists()
