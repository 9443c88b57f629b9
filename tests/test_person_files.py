"""The load step the case and member loaders share: key checked, file read under it, written, key kept."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analysis.data import case_extract, member_extract, person_files
from analysis.data.cases import KEY_FINGERPRINT_META
from analysis.data.schema import SchemaError
from analysis.data.warehouse import read_meta
from analysis.privacy import key_fingerprint

ROOT = Path(__file__).resolve().parents[1]
KEY = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"  # as conftest.TEST_KEY


def test_a_date_in_a_message_reads_day_month_year_with_full_stops():
    assert person_files.date_text(pd.Timestamp("2025-05-31")) == "31.05.2025"
    assert person_files.date_text(dt.date(2024, 1, 2)) == "02.01.2024"
    assert person_files.date_text("2024-11-01") == "01.11.2024"


def test_both_loaders_load_through_the_shared_step_with_their_table_and_what_they_replace(
    tmp_path, monkeypatch
):
    calls = []

    def spy(con, path, mapping, read, **kw):
        calls.append((Path(path).name, kw))
        return "result"

    monkeypatch.setattr(person_files, "load", spy)
    cases = ROOT / "docs" / "examples" / "cases-example.csv"
    members = ROOT / "docs" / "examples" / "members-example.csv"
    maps = ROOT / "parameters" / "mappings"
    assert case_extract.load(None, cases, maps / "cases.yaml", municipality_code=706, key=KEY) == "result"
    assert (
        member_extract.load(None, members, maps / "members.yaml", municipality_code=706, key=KEY) == "result"
    )
    assert calls == [
        ("cases-example.csv", {"table": "cases", "kind": "cases", "municipality_code": 706, "key": KEY}),
        (
            "members-example.csv",
            {
                "table": "programme_members",
                "kind": "members",
                "municipality_code": 706,
                "key": KEY,
                "partition": ("municipality_code", "programme"),
            },
        ),
    ]


def test_a_file_refused_while_read_writes_nothing_and_keeps_no_key(own_con):
    mapping = member_extract.read_mapping(ROOT / "parameters" / "mappings" / "members.yaml")
    keys = []

    def refuse(key):
        keys.append(key)
        raise SchemaError("deltagere.csv", "a date", row=2, column="Startdato", found_text="empty")

    with pytest.raises(SchemaError, match="row 2, column 'Startdato': expected a date"):
        person_files.load(
            own_con,
            __file__,
            mapping,
            refuse,
            table="programme_members",
            kind="members",
            municipality_code=706,
            key=KEY,
        )
    assert keys == [KEY]  # the reading got the checked key
    assert KEY_FINGERPRINT_META not in read_meta(own_con)
    tables = {r[0] for r in own_con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "_loads" not in tables or own_con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 0


def test_a_load_keeps_the_keys_fingerprint_and_gives_its_findings_the_files_municipality(tmp_path, own_con):
    path = tmp_path / "sager.csv"
    # one case without a CPR number (skipped, a finding) beside one with: the load and its findings are of 706
    path.write_text(
        "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
        "CPR-registreret\n"
        ";S1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-02-2024;;1.000,00;Ja\n"
        "300285-1201;S2;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2024;;1.000,00;Ja\n",
        encoding="utf-8",
    )
    mapping = ROOT / "parameters" / "mappings" / "cases.yaml"
    result = case_extract.load(own_con, path, mapping, municipality_code=706, key=KEY)
    assert (result.rows_read, result.rows_loaded) == (2, 1)
    assert read_meta(own_con)[KEY_FINGERPRINT_META] == key_fingerprint(KEY)
    missing = {f.check: f for f in result.findings}["missing_cpr"]
    assert (missing.count, missing.municipality_code) == (1, 706)
