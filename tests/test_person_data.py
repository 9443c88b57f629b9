"""Person data through the loaders: CPR numbers masked or refused, one key per warehouse, clean examples."""

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.data import case_extract, ledger, quality
from analysis.data.cases import KEY_FINGERPRINT_META, check_warehouse_key
from analysis.data.warehouse import connect, read_meta, write_meta
from analysis.errors import DataError, InputError
from analysis.privacy import KEY_ENV, find_cpr, key_fingerprint, pseudonymise
from tests import faults

ROOT = Path(__file__).resolve().parents[1]
CASES_MAPPING = ROOT / "parameters" / "mappings" / "cases.yaml"
LEDGER_MAPPING = ROOT / "parameters" / "mappings" / "ledger.yaml"
KEY = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"  # as conftest.TEST_KEY
OTHER = bytes(range(32)).hex().encode()
HEADER = (
    "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
    "CPR-registreret"
)
# Fictitious CPR numbers with impossible dates on purpose (30 February, 31 April), and one with a valid date
# written four ways.
ROWS = [
    "300285-1201;706-S-1;Voksne;Botilbud for 010203 1234;§108;5.38.50;Ekstern;01-03-2019;;98.500,00;Ja",
    "300285-1201;706-S-2;Voksne;Støtte, cpr 010203/1234;§85 (010203.1234);5.38.38;Intern;01-03-2024;;1.000,00;Ja",
    "010203 1234;706-S-3;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2024;;2.000,00;Ja",
    "010203/1234;706-S-4;Sundhed;Genoptræning;SUL §140;;Intern;01-05-2024;30-06-2024;3.000,00;Ja",
    "310490-2202;706-S-5;Voksne;Ledsagelse 12 timer;§97;5.38.53;Intern;01-01-2024;;500,00;Ja",
]


def _extract(tmp_path, rows=ROWS, name="sager.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _all_text(con) -> str:
    return "\n".join(
        con.execute(f"SELECT * FROM {t}").df().to_csv() for t in ("cases", "_findings", "_loads", "_meta")
    )


def test_cpr_numbers_in_free_text_are_masked_counted_and_never_stored(tmp_path, own_con):
    result = case_extract.load(own_con, _extract(tmp_path), CASES_MAPPING, municipality_code=706, key=KEY)
    cases = own_con.execute("SELECT * FROM cases ORDER BY case_id").df().set_index("case_id")
    assert cases.loc["706-S-1", "measure"] == "Botilbud for [CPR]"
    assert cases.loc["706-S-2", "measure"] == "Støtte, cpr [CPR]"
    assert cases.loc["706-S-2", "paragraph"] == "§85 ([CPR])"
    assert cases.loc["706-S-5", "measure"] == "Ledsagelse 12 timer"  # no CPR number: untouched
    found = {f.check: f for f in result.findings}
    assert found["cpr_in_text"].count == 3
    assert found["cpr_in_text"].examples == [
        "række 2, kolonne Ydelse",
        "række 3, kolonne Paragraf",
        "række 3, kolonne Ydelse",
    ]
    # the CPR column written with a space or a slash is the same person as with a hyphen
    assert (
        cases.loc["706-S-3", "person_id"]
        == cases.loc["706-S-4", "person_id"]
        == pseudonymise("0102031234", KEY)
    )
    # 30.02.85 twice, 31.04.90 once: loaded, and counted for the data-quality report
    assert found["cpr_invalid_date"].count == 3
    assert found["cpr_invalid_date"].examples == [
        "sag 706-S-1 (række 2)",
        "sag 706-S-2 (række 3)",
        "sag 706-S-5 (række 6)",
    ]
    assert result.rows_loaded == 5
    assert find_cpr(_all_text(own_con)) == [] and "1234" not in "".join(cases["measure"])


def test_a_cpr_shaped_case_number_is_refused(tmp_path, own_con):
    path = _extract(tmp_path, [ROWS[2].replace("706-S-3", "0102031234-01")])
    with pytest.raises(ValueError) as e:
        case_extract.load(own_con, path, CASES_MAPPING, municipality_code=706, key=KEY)
    assert str(e.value).startswith(
        "sager.csv, row 2, column 'Sagsnr.': expected a case number that is not CPR"
    )
    assert find_cpr(str(e.value)) == []


def test_the_first_case_load_records_the_key_and_another_key_is_refused(tmp_path):
    path = _extract(tmp_path)
    con = connect(tmp_path / "own.duckdb", read_only=False)
    try:
        case_extract.load(con, path, CASES_MAPPING, municipality_code=706, key=KEY)
        assert read_meta(con)[KEY_FINGERPRINT_META] == key_fingerprint(KEY)
        before = con.execute("SELECT case_id, person_id FROM cases ORDER BY 1").fetchall()
        changed = _extract(
            tmp_path, [*ROWS, "300299-4404;706-S-6;Voksne;Botilbud;§108;5.38.50;Ekstern;01-01-2025;;1,00;Ja"]
        )
        with pytest.raises(DataError) as e:
            case_extract.load(con, changed, CASES_MAPPING, municipality_code=706, key=OTHER)
        assert "this warehouse was pseudonymised with another key" in str(e.value)
        assert str(tmp_path / "own.duckdb") in str(e.value) and "re-pseudonymise" in str(e.value)
        assert (
            con.execute("SELECT case_id, person_id FROM cases ORDER BY 1").fetchall() == before
        )  # unchanged
        assert con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 1
        # the same key again is fine
        assert case_extract.load(con, changed, CASES_MAPPING, municipality_code=706, key=KEY).new == 1
    finally:
        con.close()


def test_a_warehouse_without_a_fingerprint_is_checked_on_the_cases_it_shares(tmp_path, own_con):
    path = _extract(tmp_path)
    case_extract.load(own_con, path, CASES_MAPPING, municipality_code=706, key=KEY)
    own_con.execute(f"DELETE FROM _meta WHERE key = '{KEY_FINGERPRINT_META}'")  # as made before fingerprints
    with pytest.raises(DataError, match="none of the 5 cases already in it keeps its person id"):
        case_extract.load(own_con, path, CASES_MAPPING, municipality_code=706, key=OTHER)
    assert KEY_FINGERPRINT_META not in read_meta(own_con)
    assert (
        case_extract.load(own_con, path, CASES_MAPPING, municipality_code=706, key=KEY).status == "unchanged"
    )
    assert read_meta(own_con)[KEY_FINGERPRINT_META] == key_fingerprint(KEY)  # recorded now


def test_a_fingerprint_without_person_ids_does_not_block_a_first_load(tmp_path, own_con):
    # a first case load that failed after the fingerprint was written leaves no person behind to protect
    case_extract.load(own_con, _extract(tmp_path), CASES_MAPPING, municipality_code=706, key=KEY)
    own_con.execute("DELETE FROM cases")
    check_warehouse_key(own_con, OTHER)  # no error
    write_meta(own_con, {KEY_FINGERPRINT_META: key_fingerprint(KEY)})
    case_extract.load(own_con, _extract(tmp_path), CASES_MAPPING, municipality_code=706, key=OTHER)
    assert read_meta(own_con)[KEY_FINGERPRINT_META] == key_fingerprint(OTHER)


def test_a_cpr_shaped_voucher_number_never_reaches_the_findings_or_the_report(tmp_path, own_con):
    export = tmp_path / "bogforing.csv"
    export.write_text(
        "Bilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst\n"
        "0102031234;31-01-2025;5.38.50;1;4.7;-1.000,00;Tilbageførsel\n"
        "010203 1234;28-02-2025;5.38.50;1;4.7;-2.000,00;Tilbageførsel for 010203-1234\n"
        "100233;31-03-2025;5.38.50;1;4.7;3.000,00;Køb\n",
        encoding="utf-8",
    )
    result = ledger.load(own_con, export, LEDGER_MAPPING, municipality_code=706)
    negative = next(f for f in result.findings if f.check == "negative_posting")
    assert negative.count == 2
    assert negative.examples == [
        "række 2: 5.38.50, 31.01.2025, -1.000,00 kr., art 4.7, bilag [CPR]",
        "række 3: 5.38.50, 28.02.2025, -2.000,00 kr., art 4.7, bilag [CPR]",
    ]
    stored = own_con.execute(
        "SELECT examples FROM _findings WHERE \"check\" = 'negative_posting'"
    ).fetchone()[0]
    assert find_cpr(stored) == [] and "[CPR]" in stored
    # a warehouse that kept a CPR number or a pseudonym in its findings from before: masked in the report's data
    own_con.execute(
        "UPDATE _findings SET examples = ?, note = ? WHERE \"check\" = 'negative_posting'",
        [json.dumps(["bilag 010203-1234", "sag 1, P-0a1b-2c3d-4e5f-6789"]), "cpr 010203 1234"],
    )
    found = quality.findings(own_con, 706, (2025, 2025))
    row = found[(found.check == "negative_posting")].iloc[0]
    assert row.examples == ["bilag [CPR]", "sag 1, [person]"] and row.note == "cpr [CPR]"
    text = found.to_csv()
    assert find_cpr(text) == [] and "P-0a1b" not in text


def test_warehouse_checks_of_the_cases_count_overlaps_future_starts_and_unregistered_costs(tmp_path, own_con):
    rows = [
        # one person, one measure: S-1 and S-2 share 30.06.2024 (counted), S-3 starts after S-2 ends (not)
        "300285-1201;706-S-1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-01-2024;30-06-2024;1.000,00;Ja",
        "300285-1201;706-S-2;Voksne;Botilbud;§108;5.38.50;Ekstern;30-06-2024;31-12-2024;1.000,00;Ja",
        "300285-1201;706-S-3;Voksne;Botilbud;§108;5.38.50;Ekstern;01-01-2025;;1.000,00;Ja",
        # the same person, another measure: S-5 runs inside the running S-4 (counted)
        "300285-1201;706-S-4;Voksne;Bostøtte;§85;5.38.38;Intern;01-01-2024;;500,00;Ja",
        "300285-1201;706-S-5;Voksne;Bostøtte;§85;5.38.38;Intern;01-03-2024;30-04-2024;500,00;Ja",
        # another person with the same measure at the same time: not an overlap
        "310490-2202;706-S-6;Voksne;Botilbud;§108;5.38.50;Ekstern;01-01-2024;;1.000,00;Ja",
        # starts in 2027, after the report's last year 2025
        "310490-2202;706-S-7;Voksne;Aflastning;§84;5.38.39;Intern;01-02-2027;;700,00;Ja",
        # a monthly cost not registered on the CPR number; and one not registered without a cost (not counted)
        "310490-2202;706-S-8;Sundhed;Genoptræning;SUL §140;;Intern;01-01-2025;;2.500,00;Nej",
        "310490-2202;706-S-9;Sundhed;Hjemmesygepleje;;;Intern;01-01-2025;;;Nej",
    ]
    case_extract.load(own_con, _extract(tmp_path, rows), CASES_MAPPING, municipality_code=706, key=KEY)
    found = quality.findings(own_con, 706, (2024, 2025)).set_index("check")
    assert found.loc["overlapping_cases", "count"] == 2
    assert found.loc["overlapping_cases", "examples"] == [
        "sag 706-S-2 (30.06.2024-31.12.2024) og sag 706-S-1 (01.01.2024-30.06.2024): Botilbud",
        "sag 706-S-5 (01.03.2024-30.04.2024) og sag 706-S-4 (01.01.2024-): Bostøtte",
    ]
    assert found.loc["overlapping_cases", "note"] == "voksne: 2"
    assert found.loc["future_start", "count"] == 1
    assert found.loc["future_start", "examples"] == ["sag 706-S-7: start 01.02.2027 (Aflastning)"]
    assert found.loc["cost_without_registration", "count"] == 1
    assert found.loc["cost_without_registration", "examples"] == [
        "sag 706-S-8: 2.500,00 kr. pr. måned (Genoptræning)"
    ]
    text = found.reset_index().to_csv()
    assert "P-" not in text and find_cpr(text) == []  # no person id reaches the report's data


# The command line ---------------------------------------------------------------------------------------------


def _load_cases(tmp_path, extract):
    return main(
        [
            "load",
            "cases",
            str(extract),
            "--mapping",
            str(CASES_MAPPING),
            "--municipality",
            "706",
            "--warehouse",
            str(tmp_path / "own.duckdb"),
        ]
    )


@pytest.mark.parametrize(
    ("env", "key_file", "message"),
    [
        ("1", None, f"the pseudonymisation key from the environment variable {KEY_ENV} holds 1 character"),
        (None, b"", "pseudonym.key is empty (0 bytes) (perhaps the disk filled"),
        (None, b"   \n", "pseudonym.key holds only whitespace"),
        (KEY.decode(), OTHER + b"\n", "hold different pseudonymisation keys"),
    ],
)
def test_the_command_line_refuses_a_bad_key_in_one_line(
    tmp_path, capsys, monkeypatch, env, key_file, message
):
    if env is None:
        monkeypatch.delenv(KEY_ENV)
    else:
        monkeypatch.setenv(KEY_ENV, env)
    if key_file is not None:
        (tmp_path / "pseudonym.key").write_bytes(key_file)
    assert _load_cases(tmp_path, _extract(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "own.duckdb").exists()


def test_the_command_line_refuses_a_load_under_another_key(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert _load_cases(tmp_path, _extract(tmp_path)) == 0
    monkeypatch.setenv(KEY_ENV, OTHER.decode())
    assert _load_cases(tmp_path, _extract(tmp_path, ROWS[:2], name="sager2.csv")) == 2
    err = capsys.readouterr().err
    assert "this warehouse was pseudonymised with another key" in err and len(err.strip().splitlines()) == 1
    con = connect(tmp_path / "own.duckdb")
    try:
        persons = set(con.execute("SELECT person_id FROM cases").df()["person_id"])
    finally:
        con.close()
    # the warehouse keeps its first pseudonyms only
    assert persons == {pseudonymise(c, KEY) for c in ("300285-1201", "0102031234", "310490-2202")}


def test_every_stored_text_column_refuses_a_cpr_number_with_any_separator():
    from analysis.data.schema import SchemaError, validate

    for text in ("Botilbud for 010203 1234", "cpr 010203/1234", "010203.1234"):
        areas = pd.DataFrame(
            {"function_code": ["5.38.50"], "name": [text], "paragraph": ["§108"], "paragraphs": ["§108"]}
        )
        with pytest.raises(SchemaError) as e:
            validate(areas, "function_areas", "labels.csv")
        assert str(e.value) == (
            "labels.csv, row 1, column 'name': expected no CPR number (pseudonymise person data before loading), "
            "found a CPR-shaped value"
        )


def test_the_fault_injection_refuses_a_key_other_than_the_samples(tmp_path, monkeypatch, sample_path, capsys):
    # the session's sample was pseudonymised under conftest's key; its copy takes no case load under another
    monkeypatch.setenv(KEY_ENV, OTHER.decode())
    with pytest.raises(DataError, match="this warehouse was pseudonymised with another key"):
        faults.inject_faults(tmp_path / "dq.duckdb", sample_path=sample_path, workdir=tmp_path)
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", sample_path)
    assert faults.main(["inject", str(tmp_path / "dq2.duckdb")]) == 2
    assert "another key" in capsys.readouterr().err


def _message(load, error: type[Exception] = InputError) -> str:
    """The message of the refusal ``load`` raises: ``error`` (a crash of another kind, a bug, is no refusal)."""
    with pytest.raises(error) as info:
        load()
    return str(info.value)


def _read_cases(path):
    return case_extract.read_extract(path, CASES_MAPPING, municipality_code=706, key=KEY)


def test_no_loader_error_or_stored_file_name_shows_a_cpr_number(tmp_path):
    from analysis.data import projection, socioeconomic

    cpr = "010185-1234"  # fictitious
    con = connect(tmp_path / "own.duckdb", read_only=False)
    files = {
        "projection.csv": f"municipality_code;year;age;persons\n706;2026;{cpr};5\n",
        "socio.csv": f"Kommune;Socioøkonomisk indeks\nAarhus {cpr};1,05\n",
        f"sager {cpr}.csv": HEADER
        + "\n"
        + "x;706-S-1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja\n",
        "heading.csv": HEADER.replace("Ydelse", f"Ydelse {cpr}") + "\n" + ROWS[0] + "\n",
        "ledger.csv": "Bilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst\n"
        f"1;31-01-2025;5.38.50;1;4.7;({cpr}-);x\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    messages = [
        _message(lambda: projection.read_projection(tmp_path / "projection.csv")),
        _message(lambda: socioeconomic.read_index(tmp_path / "socio.csv", year=2024)),
        _message(lambda: _read_cases(tmp_path / f"sager {cpr}.csv")),
        _message(lambda: _read_cases(tmp_path / "heading.csv")),
        _message(
            lambda: ledger.read_postings(tmp_path / "ledger.csv", LEDGER_MAPPING, municipality_code=706)
        ),
        _message(lambda: ledger.read_postings(tmp_path / f"x {cpr}.csv", LEDGER_MAPPING), FileNotFoundError),
    ]
    assert messages[0] == (
        "projection.csv, row 2, column 'age': expected an age (18), an age group (18-64) or an open top (100-), "
        "found a CPR-shaped value (not shown)"
    )
    assert messages[1].endswith("found 'Aarhus [CPR]'")
    assert messages[2].startswith("sager [CPR].csv, row 2, column 'CPR-nr.'")
    assert "[CPR]" in messages[3] and "x [CPR].csv" in messages[5]
    assert messages[4].endswith("found a CPR-shaped value (not shown)")  # an amount that is a CPR number
    assert all(find_cpr(m) == [] and "010185" not in m for m in messages)
    # a file that loads: its name is stored masked
    named = tmp_path / f"posteringer {cpr}.csv"
    named.write_text(
        "Bilagsnr.;Bogføringsdato;Funktion;Dranst;Art;Beløb;Tekst\n1;31-01-2025;5.38.50;1;4.7;100,00;x\n",
        encoding="utf-8",
    )
    try:
        result = ledger.load(con, named, LEDGER_MAPPING, municipality_code=706)
        assert result.source == "posteringer [CPR].csv" and "010185" not in result.describe()
        stored = con.execute("SELECT source FROM _loads").df().to_csv()
        assert "posteringer [CPR].csv" in stored and "010185" not in stored
    finally:
        con.close()


def test_a_cpr_number_as_a_sheet_name_is_masked_in_the_loads_notes(tmp_path, capsys):
    # an extract of one person's cases, its sheet named by the CPR number: the notes "read the sheet '010185-1234'
    # of the workbook's 2 sheets" and "... hidden in Excel (rows 2) of sheet '010185-1234' ..." were printed and
    # stored in table _loads unmasked
    import openpyxl

    cpr = "010185-1234"  # fictitious
    book = openpyxl.Workbook()
    book.active.title = "Forside"
    book.active.append(["Udtræk fra fagsystemet"])
    sheet = book.create_sheet(cpr)
    sheet.append(HEADER.split(";"))
    sheet.append(ROWS[4].split(";"))
    sheet.row_dimensions[2].hidden = True
    path = tmp_path / "sager.xlsx"
    book.save(path)
    warehouse = tmp_path / "own.duckdb"
    args = ["load", "cases", str(path), "--mapping", str(CASES_MAPPING), "--municipality", "706"]
    assert main([*args, "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "note: read the sheet '[CPR]' of the workbook's 2 sheets" in out
    assert find_cpr(out) == [] and "010185" not in out
    con = connect(warehouse)
    try:
        assert find_cpr(_all_text(con)) == [] and "010185" not in _all_text(con)
    finally:
        con.close()


def test_a_refused_first_case_load_keeps_no_key_and_announces_none(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    key_file = tmp_path / "pseudonym.key"
    # every row without a CPR number: no row loads, so the file is refused (it said "0 rows ... loaded")
    empty = _extract(
        tmp_path, [";706-S-1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja"], "tom.csv"
    )
    bad = _extract(
        tmp_path, ["3002851-201;706-S-1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;1,00;Ja"], "b.csv"
    )
    errors = []
    for extract in (empty, bad):
        assert _load_cases(tmp_path, extract) == 2
        out, err = capsys.readouterr()
        errors.append(err)
        assert "pseudonymisation key" not in out and "Made" not in out
        # the key made for the load is gone with the warehouse: it pseudonymised nothing that was kept
        assert not key_file.exists() and not (tmp_path / "own.duckdb").exists()
    assert errors[0].strip() == (
        "analysis: error: tom.csv: expected at least one row to load into table 'cases'; nothing was loaded, found "
        "none of the 1 rows read (left out: 1 no CPR number (cannot be pseudonymised))"
    )
    # a load that stores cases makes the key, says so, and keeps it; a refused load later leaves it alone
    assert _load_cases(tmp_path, _extract(tmp_path)) == 0
    assert "Made the pseudonymisation key" in capsys.readouterr().out and key_file.exists()
    key = key_file.read_bytes()
    assert _load_cases(tmp_path, bad) == 2 and key_file.read_bytes() == key
