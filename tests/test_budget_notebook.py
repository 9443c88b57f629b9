"""The budget and follow-up reports executed once on the sample through the batch runner (a real kernel).

The follow-up report reads the journal: the test records the budget of 2025 and the follow-ups of August and
September in a copy of the sample warehouse first, as `analysis budget` and `analysis followup` do.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch

pytestmark = pytest.mark.slow

MUNI = 706


def _run(tmp: Path, notebook: str, parameters: dict, warehouse: str):
    path = tmp / "batch.yaml"
    batch = {
        "name": f"{notebook}-test",
        "municipalities": [MUNI],
        "function_areas": "all",
        "notebooks": [notebook],
        "formats": ["html"],
        "workers": 1,
        "parameters": parameters,
    }
    path.write_text(yaml.safe_dump(batch), encoding="utf-8")
    summary = run_batch(
        load_batch(path), batch_file=path, reports_dir=tmp / "reports", warehouse=warehouse, progress=False
    )
    (r,) = summary.reports  # one report per municipality, not one per function area
    assert r.status == "ok", r.error
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    return injected.source, (summary.folder / r.files["html"]).read_text("utf-8")


def test_the_budget_report_shows_the_models_total_and_the_decisions(tmp_path, sample_path):
    from analysis.data import connect
    from analysis.data.price_index import read_price_index
    from analysis.paths import project_root
    from analysis.reporting import formatting as fmt
    from analysis.reporting import rounds

    decisions = "parameters/budget/decisions-example.yaml"
    injected, page = _run(tmp_path, "budget", {"budget_year": 2026, "decisions_file": decisions}, sample_path)
    assert f"municipality_code = {MUNI}" in injected and "budget_year = 2026" in injected
    assert "function_code" not in injected
    con = connect(sample_path)
    try:
        r = rounds.compute_budget(
            con,
            MUNI,
            2026,
            decisions=rounds.read_decisions(project_root() / decisions),
            decisions_file=decisions,
            price_index=dict(read_price_index().index),
        )
    finally:
        con.close()
    assert "Budgetforudsætninger 2026: Syddjurs Kommune" in page
    assert f"{fmt.fmt_dkk(r.total_dkk)} til" in page
    assert html.escape("To borgere flytter fra eksterne botilbud til kommunens eget nye botilbud") in page
    assert "ikke registreret endnu" in page  # the session's sample holds no recorded version
    assert "Sammenligningskommuner:" in page and "Metode og data" in page
    # the adult areas only (the model is per resident aged 18-64); prices and wages from the P/L index
    assert set(r.assumptions["function_code"].str[:4]) == {"5.38"} and "Opholdssteder" not in page
    assert "fra pris- og lønindekset for kommunale serviceudgifter" in page


def test_the_followup_report_compares_with_the_recorded_previous_month(tmp_path, sample_path):
    from analysis import followup as fu
    from analysis.cli import main
    from analysis.data import connect, journal, queries
    from analysis.privacy import PSEUDONYM_PATTERN
    from analysis.reporting import formatting as fmt

    own = tmp_path / "copy.duckdb"
    shutil.copy(sample_path, own)
    assert main(["budget", "--municipality", str(MUNI), "--year", "2025", "--warehouse", str(own)]) == 0
    for month in (8, 9):
        assert (
            main(
                [
                    "followup",
                    "--municipality",
                    str(MUNI),
                    "--year",
                    "2025",
                    "--month",
                    str(month),
                    "--warehouse",
                    str(own),
                    "--no-report",
                ]
            )
            == 0
        )
    injected, page = _run(tmp_path, "followup", {"last_year": 2025, "as_of_month": 9}, str(own))
    assert "as_of_month = 9" in injected
    con = connect(own)
    try:
        aug, sep = (journal.followup_journal(con, MUNI, 2025, m) for m in (8, 9))
    finally:
        con.close()
    change = sep.forecast_dkk.sum() - aug.forecast_dkk.sum()
    assert "opfølgning til og med september 2025" in page
    # signed as the report signs changes: '+' or '-', none when it rounds to 0,0 mio. kr.
    assert f"Siden august:</b> prognosen i alt {fmt.fmt_dkk(change, sign=True)}" in page
    assert "version 1, registreret" in page and "Budgetforudsætninger 2025, version 1" in page
    assert ">August</td>" in page and ">September</td>" in page  # the forecast as reported, month by month
    assert fmt.fmt_number(sep.forecast_dkk.sum() / 1e6, 1) in page
    # by default the report names no person: no pseudonym anywhere, not marked confidential
    assert not re.search(PSEUDONYM_PATTERN, page) and "Fortroligt" not in page and "Bilag" not in page

    # with show_persons: the annex lists the month's starts and ends case by case, and every page says so
    (tmp_path / "persons").mkdir()
    _, confidential = _run(
        tmp_path / "persons",
        "followup",
        {"last_year": 2025, "as_of_month": 9, "show_persons": True},
        str(own),
    )
    con = connect(own)
    try:
        annex = fu.case_list(queries.cases(con, municipality_codes=[MUNI]), MUNI, 2025, 9)
    finally:
        con.close()
    assert (
        "Fortroligt: indeholder personhenførbare oplysninger" in confidential
        and "@bottom-left" in confidential
    )
    assert "Bilag (fortroligt)" in confidential and len(annex) > 0
    assert set(re.findall(PSEUDONYM_PATTERN, confidential)) == set(annex["person_id"])
    listed = confidential.split("Bilag (fortroligt)")[
        1
    ]  # the annex, after the counts table's 'Startet' heading
    assert listed.count(">Startet<") == (annex["event"] == "start").sum()
    assert listed.count(">Stoppet<") == (annex["event"] == "end").sum()
