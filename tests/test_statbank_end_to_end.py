"""docs/own-data.md's four commands, end to end on recorded responses (slow): fetch, check, run, read the reports.

The fetch goes to the replaying API on 127.0.0.1 (tests/statbank_replay.py: REGK31, BUDK32, FOLK1A, ARE207, HAND01
for København, Syddjurs and Aarhus, 2023-2024; FOLK1A has 2024 only, and Aarhus no population). No sample table is
involved: the warehouse is a new file, its ``_meta`` kind is not the sample, and no report says "Eksempeldata".
"""

import html
import re

import duckdb
import pytest

from analysis.cli import main
from analysis.data import connect, statbank
from analysis.data.warehouse import read_meta
from analysis.reporting.requirements import check_requirements
from tests.statbank_replay import ReplayServer

BATCH = """\
name: statbank-e2e
title: Botilbud fra Statistikbanken
municipalities: [706]
function_areas: ["5.38.50"]
notebooks: [{notebooks}]
formats: [html]
parameters:
  first_year: 2023
  last_year: 2024
"""


def _text(path):
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<style.*?</style>|<script.*?</script>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _run(tmp_path, name, notebooks):
    batch = tmp_path / f"{name}.yaml"
    batch.write_text(BATCH.format(notebooks=notebooks), encoding="utf-8")
    out = tmp_path / name
    assert main(["run", str(batch), "--output", str(out), "--force", "--no-progress"]) == 0
    return out


@pytest.mark.slow
def test_from_statbank_to_a_benchmark_report(tmp_path, monkeypatch, capsys):
    w = tmp_path / "own.duckdb"
    with ReplayServer() as url:
        monkeypatch.setenv(statbank.BASE_URL_ENV, url)
        assert main(["fetch", "statbank", "--years", "2023-2024", "--warehouse", str(w)]) == 0
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(w))
    con = connect(str(w))
    try:
        assert read_meta(con).get("kind") != "sample"
        assert check_requirements(con, "benchmark", 706, "5.38.50") == []
        # Aarhus has accounts but no population in the recording: the benchmark is refused before any kernel
        assert check_requirements(con, "benchmark", 751, "5.38.50") == [
            "befolkningstal (FOLK1A) for 18-64-årige (population_18_64) mangler for kommune 751: funktion 5.38.50 "
            "måles pr. 18-64-årig; indlæs befolkningen med alle aldre: analysis fetch statbank eller analysis load "
            "statbank FIL --table FOLK1A med ALDER=*"
        ]
    finally:
        con.close()

    out = _run(tmp_path, "hand01", "overview, benchmark")
    bench = _text(out / "benchmark" / "706-syddjurs_5.38.50.html")
    overview = _text(out / "overview" / "706-syddjurs_5.38.50.html")
    for text in (bench, overview):
        assert "Eksempeldata" not in text and "syntetisk" not in text
    # HAND01 2024 for Syddjurs: 409 / 3 = 136.33 full-year persons; REGK31 98,765,000 kr. -> 724,438 kr. each.
    # The only peer with a population is København: 1,234,567,000 kr. / 1,018 = 1,212,738 kr.
    assert "prisen er 724 t.kr. pr. helårsperson mod 1.213 t.kr." in bench
    assert (
        "Data: Regnskabsåret 2024 (2023 har regnskab, men intet befolkningstal eller ingen helårspersoner for "
        "kommunen, og er udeladt)." in bench
    )  # FOLK1A has no 2023 in the recording
    assert "Det socioøkonomiske indeks kommer fra pakkens illustrative referenceliste" in bench
    assert "HAND01, som ikke skelner mellem kommunens egne tilbud" in bench
    assert "indbyggertal fra Danmarks Statistik, FOLK1A (befolkningen 1. januar)" in bench
    assert "socioøkonomisk indeks fra værktøjets illustrative referenceliste" in bench
    # BUDK32 96,400,000 kr. against the accounts 98,765,000 kr.: 2,365,000 kr. higher; 2024 is closed (no ledger)
    assert "Budget 2024: 96,4 mio. kr.; regnskabet blev 2,4 mio. kr. højere." in overview
    assert "Regnskabsårene 2023-2024." in overview

    # Accounts and population only: the benchmark compares spending per resident aged 18-64
    con = duckdb.connect(str(w))
    con.execute("DELETE FROM activity")
    con.close()
    out = _run(tmp_path, "accounts", "benchmark")
    bench = _text(out / "benchmark" / "706-syddjurs_5.38.50.html")
    # 98,765,000 / 24,440 = 4,041 kr.; København 1,234,567,000 / 427,700 = 2,887 kr.: 40,0 % over
    assert "Udgift pr. 18-64-årig: 4.041 kr. mod 2.887 kr., 40,0 % over sammenligningskommunerne" in bench
    assert "Opdelingen i pris og mængde kræver antallet af helårspersoner" in bench
    assert "Eksempeldata" not in bench
    capsys.readouterr()
