"""The benchmark report notebook executed on the sample warehouse (two executions, a few seconds each)."""

import html as html_lib
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis import benchmark
from analysis.data import connect, queries
from analysis.reporting import formatting as fmt
from analysis.reporting.batch import load_batch
from analysis.reporting.runner import run_batch

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

PARAMETERS = {"first_year": 2022, "last_year": 2025, "k": 8}  # not the notebook's defaults (2018, 10)


@pytest.fixture(scope="module")
def report(tmp_path_factory, sample_path):
    """Syddjurs x 5.38.50 run through the report pipeline, rendered to HTML."""
    tmp = tmp_path_factory.mktemp("benchmark")
    data = {
        "name": "benchmark-test",
        "municipalities": [706],
        "function_areas": ["5.38.50"],
        "notebooks": ["benchmark"],
        "formats": ["html"],
        "workers": 1,
        "parameters": PARAMETERS,
    }
    path = tmp / "batch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    batch = load_batch(path, defaults=tmp / "none.yaml")
    summary = run_batch(batch, batch_file=path, reports_dir=tmp / "reports", progress=False)
    (result,) = summary.reports
    assert result.status == "ok", result.error
    nb = nbformat.read(summary.folder / result.files["ipynb"], as_version=4)
    page = html_lib.unescape((summary.folder / result.files["html"]).read_text("utf-8"))
    return nb, page


@pytest.fixture(scope="module")
def expected(sample_path):
    """The headline numbers computed here from the warehouse with the package, for the same inputs."""
    con = connect(sample_path)
    try:
        munis = queries.municipalities(con, years=(2022, 2025))
        activity = queries.activity(con, years=(2022, 2025), function_codes=["5.38.50"])
    finally:
        con.close()
    peers = benchmark.nearest_peers(munis, 706, 2025, k=8)
    inputs = benchmark.benchmark_inputs(activity, munis, 706, peers["municipality_code"], "5.38.50", 2025)
    return benchmark.decompose(inputs.own, inputs.peers), peers


def test_no_error_cells_and_the_parameters_landed(report):
    nb, _ = report
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "municipality_code = 706" in injected.source and 'function_code = "5.38.50"' in injected.source
    assert "k = 8" in injected.source and "first_year = 2022" in injected.source
    assert sum(o.output_type == "display_data" and "image/png" in o.data for o in outputs) == 5


def test_headline_numbers_are_those_of_decompose(report, expected):
    nb, page = report
    r, peers = expected
    summary = page[page.index('class="summary-box"') :]
    summary = summary[: summary.index("</div>")]
    assert (
        f"Udgift 2025:</b> {fmt.fmt_dkk(r['own_spending_dkk'])} mod {fmt.fmt_dkk(r['expected_spending_dkk'])}"
        in (summary)
    )
    more = "mere" if r["gap_dkk"] > 0 else "mindre"
    assert f"Forskel:</b> {fmt.fmt_dkk(abs(r['gap_dkk']))} {more}" in summary
    assert f"Priseffekt:</b> +{fmt.fmt_dkk(r['price_effect_dkk'])}" in summary  # planted: dearer than peers
    assert f"Mængdeeffekt:</b> +{fmt.fmt_dkk(r['quantity_effect_dkk'])}" in summary  # planted: high §108 rate
    assert f"prisen er {fmt.fmt_dkk(r['own_price'], unit='t')} pr. helårsperson mod" in summary
    assert f"{fmt.fmt_dkk(r['peer_price'], unit='t')}" in summary
    assert f"mængden er {fmt.fmt_number(r['own_rate'], 2)} helårspersoner" in summary
    assert f"Potentiale:</b> {fmt.fmt_dkk(r['gap_dkk'])}, hvis udgiften" in summary
    # official names in running text (issue 11, item 9): "Syddjurs Kommune", not "Syddjurs"
    assert "de 8 kommuner, der i 2025 lignede Syddjurs Kommune mest" in summary
    assert "## Syddjurs Kommune: botilbud til længerevarende ophold" in "".join(
        o.data.get("text/markdown", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "data" in o
    )
    # multi-year figures are in fixed prices of the last year, and say so
    assert "faste 2025-priser" in page
    # the worked example in "Metode og data" gives the same numbers in kroner
    assert f"forskellen er {fmt.fmt_dkk(r['gap_dkk'], unit='kr')} = priseffekt" in page
    # every peer is named in the peer table; the period is the one asked for
    for name in peers["municipality"]:
        assert f">{name}<" in page
    assert "Dataperiode" in page and "regnskabsårene 2022-2025" in page


def test_method_and_data_is_one_block_at_the_end(report):
    nb, page = report
    last = [c for c in nb.cells if c.cell_type == "code" and c.outputs][-1]
    # the last cell shows the method (and publishes the headline for the index, which no report draws)
    (output,) = [o for o in last.outputs if "text/markdown" in o.get("data", {})]
    text = output.data["text/markdown"]
    assert text.startswith("## Metode og data") and "**Opdeling af forskellen:**" in text
    assert page.count("Metode og data") == 1
    assert not re.search(r'(src|href)="https?://', page)


def test_peer_list_and_another_area_run(tmp_path, sample_path):
    import papermill

    out = tmp_path / "benchmark.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "benchmark.ipynb"),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        parameters={
            "municipality_code": 165,
            "function_code": "5.38.52",
            "peer_method": "list",
            "peer_codes": [147, 151, 153, 157],
            "warehouse": sample_path,
        },
        cwd=str(ROOT / "notebooks"),
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(str(o.get("data", {})) for o in outputs)
    assert "Albertslund" in text and "Frederiksberg" in text and "Gentofte" in text
    assert "4 kommuner, valgt på forhånd" in text
    assert "Frederiksberg Kommune" in text  # official names in the sentences
