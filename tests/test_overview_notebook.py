"""The overview notebook on the sample (slow), and the two notebooks of this area kept thin (fast)."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["overview", "benchmark"])
def test_the_report_notebook_is_thin(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [c for c in code if c.outputs or c.execution_count]  # committed without outputs
    lines = [line for c in code for line in c.source.splitlines() if line.strip()]
    assert len(lines) <= 100
    source = "\n".join(lines)
    # no SQL, no pivots, no loops of logic, no formatting helpers of its own
    assert not re.search(r"\bSELECT\b|\.pivot|\bfor .+ in |^\s*def |lambda", source, flags=re.M)


@pytest.mark.slow
def test_overview_states_fixed_prices_and_the_official_name(tmp_path, sample_path):
    import papermill

    out = tmp_path / "overview.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "overview.ipynb"),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        parameters={"municipality_code": 400, "warehouse": sample_path},
        cwd=str(ROOT / "notebooks"),
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum(o.output_type == "display_data" and "image/png" in o.data for o in outputs) == 2
    text = "".join(str(o.get("data", {})) for o in outputs)
    assert "## Bornholms Regionskommune:" in text and "Bornholm Kommune" not in text
    assert "i faste 2025-priser (" in text and "i løbende priser" in text
