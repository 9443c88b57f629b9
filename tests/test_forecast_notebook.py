"""The forecast report executed once on the sample through the batch runner (a real kernel)."""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

MUNI, FUNC, YEAR, MONTH = 706, "5.38.50", 2025, 6  # as_of_month 6, not the notebook's default 9


@pytest.fixture(scope="module")
def report(tmp_path_factory, sample_path):
    tmp = tmp_path_factory.mktemp("forecast")
    path = tmp / "batch.yaml"
    batch = {
        "name": "forecast-test",
        "municipalities": [MUNI],
        "function_areas": [FUNC],
        "notebooks": ["forecast"],
        "formats": ["html"],
        "workers": 1,
        "parameters": {"as_of_month": MONTH},
    }
    path.write_text(yaml.safe_dump(batch), encoding="utf-8")
    # merged over the project's parameters/defaults.yaml, as `analysis run` does (first_year, last_year)
    summary = run_batch(load_batch(path), batch_file=path, reports_dir=tmp / "reports", progress=False)
    (r,) = summary.reports
    assert r.status == "ok", r.error
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    return nb, (summary.folder / r.files["html"]).read_text("utf-8")


def test_no_error_and_the_parameters_landed(report):
    nb, page = report
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    for line in (f"municipality_code = {MUNI}", f'function_code = "{FUNC}"', f"as_of_month = {MONTH}"):
        assert line in injected.source
    assert f"last_year = {YEAR}" in injected.source and "first_year = 2018" in injected.source
    # the title comes from the notebook's metadata; the notebook itself has no H1
    assert (
        page.count("<h1") == 1 and '<h1 class="report-title">Regnskabsprognose' in page and "Syddjurs" in page
    )
    assert "til og med juni" in page and "as_of_month" not in page  # code is hidden


def test_the_method_named_is_the_one_select_methods_chooses(report, sample_path):
    from analysis.data import connect, queries
    from analysis.forecast import backtest, select_methods

    _, page = report
    con = connect(sample_path)
    try:
        led = queries.ledger(con, municipality_codes=[MUNI], years=(2018, YEAR), function_codes=[FUNC])
        budgets = queries.budgets(con, municipality_codes=[MUNI], years=(2018, YEAR), function_codes=[FUNC])
        cases = con.execute(
            "SELECT * FROM cases WHERE municipality_code = ? AND function_code = ?", [MUNI, FUNC]
        ).df()
    finally:
        con.close()
    led = led[(led.year < YEAR) | (led.month <= MONTH)]  # what was known at the end of June
    sel = select_methods(backtest(led, budgets=budgets, cases=cases), reason_month=MONTH).iloc[0]
    # the reason up to the runner-up; since the disposition is scaled by the share the cases explain (issue 14)
    # it wins clearly, mean APE 1,6 % against Theta's 2,4 % (before, Theta and the runner-up tied at 2,4 % and
    # were called equally good), so the page names the runner-up with both errors
    first, _ = sel["reason"].split(". Næstbedst: ")
    assert sel["method"] == "disposition" and html.escape(f"{first}.") in page
    assert html.escape("Næstbedst: Theta-metoden (gennemsnitlig afvigelse 2,4 % mod 1,6 %).") in page
    assert html.escape(f"{sel['label_da']} (valgt)") in page


def test_only_the_months_up_to_as_of_month_are_shown_as_booked(report):
    _, page = report
    # the 'forecast as of each month' table has January..June, not July
    assert ">Juni</td>" in page and ">Juli</td>" not in page
    assert "Metode og data" in page and "senere måneder bruges ikke" in page


def test_the_title_block_states_the_period_and_a_founded_split(report):
    _, page = report
    assert "bogføringen januar 2018 til og med juni 2025; 2025 er ikke afsluttet" in page
    assert "Lageret har bogføring til og med december 2025" in page  # the sample's ledger goes on
    assert "2018-2025 (2025 til og med juni)" in page
    # Changed with sample version 6 (issue 14), whose cases are made from the activity: they cover 5.38.50 (67,4
    # full-year persons in 2024 = 809 case-months / 12 by SQL, against 65,9 in the activity), so the split is shown
    assert "Afvigelsen deles ikke i mængde og pris" not in page
    assert "fra antallet af helårspersoner" in page and "Heraf mængde" in page
    assert "Sagsdata dækker området: sagerne giver 67,4 helårspersoner" in page
    # the cases' payments in January-June 2025 against the booked spending, by SQL on the warehouse:
    # 44.235.700 / 48.303.835 kr. = 91,6 %
    assert (
        "forklarer sagernes månedlige priser 92 % af de bogførte udgifter på området i januar-juni 2025"
        in page
    )
    assert "Eksempeldata" in page
