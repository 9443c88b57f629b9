"""The data-quality checks: every deliberately injected fault is found with the right count, and the report renders."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.data import case_extract, ledger, quality, statbank
from analysis.data.warehouse import connect, read_meta
from analysis.privacy import find_cpr

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "statbank"


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, sample_path):
    """A copy of the session's sample with the known faults of :func:`quality.inject_faults` (municipality 706)."""
    folder = tmp_path_factory.mktemp("faults")
    path = folder / "faults.duckdb"
    expected = quality.inject_faults(path, sample_path=sample_path, workdir=folder)
    return path, expected, folder


def test_every_injected_fault_is_found_with_its_count(faulty):
    path, expected, _ = faulty
    con = connect(path)
    try:
        found = quality.findings(con, 706, (2018, 2025))
        assert read_meta(con)["kind"] == "sample with injected faults"
    finally:
        con.close()
    counts = {(r.check, r.kind): r.count for r in found.itertuples() if r.count}
    assert counts == expected
    assert set(found.check) == set(quality.CHECKS)
    zero = found[(found.check == "retired_function") & (found.kind == "cases")]
    assert zero["count"].tolist() == [0]
    examples = " ".join(e for ex in found.examples for e in ex)
    assert "5.38.59: jun. 2024, jul. 2024" in examples
    assert "5.38.40 i 2024" in examples
    assert re.search(r"sag 706-\d{6}, P-[0-9a-f]{4}-", examples)
    assert find_cpr(examples) == []


def test_the_sample_itself_has_no_findings_and_says_what_was_not_checked(con):
    found = quality.findings(con, 165, (2018, 2025))
    warehouse_checks = found[found.kind == "warehouse"]
    assert warehouse_checks["count"].tolist() == [0, 0]
    unchecked = found[found["count"].isna()]
    assert len(unchecked) == 7 and set(unchecked.kind) == {"ledger", "cases", "ledger/cases"}
    s = quality.summary(found)
    assert s == {
        "checks": 9,
        "checked": 2,
        "with_findings": 0,
        "total": 0,
        "missing": ["en bogføringsfil", "et sagsudtræk"],
        "not_checked": 7,
    }
    assert quality.loaded_files(con, 165).empty


def test_other_municipalities_of_the_faulty_copy_are_clean(faulty):
    path, _, _ = faulty
    con = connect(path)
    try:
        found = quality.findings(con, 190, (2018, 2025))
    finally:
        con.close()
    assert found["count"].fillna(0).sum() == 0


def test_every_reason_for_skipping_rows_has_danish(tmp_path):
    con = connect(tmp_path / "own.duckdb", read_only=False)
    try:
        results = [
            statbank.load(con, DATA / "folk1a.csv", "FOLK1A"),
            statbank.load(con, DATA / "regk31_labels.csv", "REGK31"),
            statbank.load(con, DATA / "hand_recipients.csv", "HAND01", provider="internal"),
            ledger.load(
                con,
                ROOT / "docs/examples/ledger-example.csv",
                ROOT / "parameters/mappings/ledger.yaml",
                municipality_code=706,
            ),
        ]
        bad = tmp_path / "sager.csv"
        bad.write_text(
            "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
            "CPR-registreret\n"
            ";1;Voksne;Botilbud;;;Intern;01-01-2024;;;Nej\n"
            "300285-1201;2;Voksne;Botilbud;;;Intern;01-01-2024;31-12-2023;;Nej\n",
            encoding="utf-8",
        )
        results.append(
            case_extract.load(con, bad, ROOT / "parameters/mappings/cases.yaml", municipality_code=706)
        )
    finally:
        con.close()
    reasons = {reason for r in results for reason in r.skipped}
    assert len(reasons) >= 9
    assert all(quality.reason_da(reason) != reason for reason in reasons), [
        r for r in reasons if quality.reason_da(r) == r
    ]


@pytest.mark.slow
def test_the_report_renders_with_the_findings(faulty, tmp_path):
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    path, expected, _ = faulty
    batch_file = tmp_path / "batch.yaml"
    batch_file.write_text(
        yaml.safe_dump(
            {
                "name": "dq",
                "municipalities": [706],
                "function_areas": "all",
                "notebooks": ["data_quality"],
                "formats": ["html"],
            }
        ),
        encoding="utf-8",
    )
    batch = load_batch(batch_file, defaults=tmp_path / "none.yaml", notebooks_dir=ROOT / "notebooks")
    summary = run_batch(
        batch,
        batch_file=batch_file,
        reports_dir=tmp_path / "reports",
        progress=False,
        warehouse=path,
        warm_kernels=False,
    )
    (r,) = summary.reports
    assert r.status == "ok", r.error
    assert r.function_code == "" and r.files["html"].endswith("706-syddjurs.html")
    html = (summary.folder / r.files["html"]).read_text("utf-8")
    total = sum(expected.values())
    assert f"Syddjurs Kommune: {total} fund i 9 af 9 kontroller" in html
    for text in (
        "Sager uden CPR-nummer",
        "3 sager",
        "2 måneder",
        "1 funktion og år",
        "Metode og data",
        "bogfoering-706-med-fejl.csv",
        "uden CPR-nummer: 3",
    ):
        assert text in html, text
    assert find_cpr(re.sub(r"<[^>]+>", " ", html)) == []
    assert 'lang="da"' in html and html.count("<h1") == 1  # the title block's; the notebook has no H1
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
