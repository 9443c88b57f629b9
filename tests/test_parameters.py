"""Typed notebook parameters: each report notebook's model equals its parameters cell, and the batch check refuses
a typo or an out-of-range value before any kernel starts, naming the file, the notebook, the parameter, the value
and the nearest valid value."""

from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.cli import main
from analysis.reporting import parameters as P
from analysis.reporting.batch import BatchError, load_batch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


@pytest.mark.parametrize("name", sorted(P.MODELS))
def test_the_model_and_the_parameters_cell_agree_in_names_types_and_defaults(name):
    assert P.cell_disagreements(NOTEBOOKS / f"{name}.ipynb", P.MODELS[name]) == []


def test_every_report_notebook_has_a_model():
    reports = {p.stem for p in NOTEBOOKS.glob("*.ipynb")} - {"explore"}
    assert reports == set(P.MODELS)


def _notebook(folder: Path, cell: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(cell, metadata={"tags": ["parameters"]})]
    path = folder / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_cell_that_differs_from_its_model_is_reported(tmp_path):
    # the forecast model has municipality_code, function_code, first_year, last_year, as_of_month, warehouse
    cell = (
        "municipality_code: int = 706  # kommunekode\n"
        'function_code: str = "5.38.50"  # area\n'
        "first_year: int = 2019  # default differs (model: 2018)\n"
        "last_year: str = '2025'  # type differs (model: int)\n"
        "month: int = 9  # old name: not in the model\n"
        'warehouse: str = ""\n'  # no trailing comment: papermill --help-notebook would say nothing
    )
    found = P.cell_disagreements(_notebook(tmp_path, cell), P.ForecastParameters)
    assert found == [
        "month: in the cell, not in the model",
        "as_of_month: in the model, not in the cell",
        "first_year: default 2019 in the cell, 2018 in the model",
        "last_year: type str in the cell, <class 'int'> in the model",
        "last_year: default '2025' in the cell, 2025 in the model",
        "warehouse: no trailing comment in the cell",
    ]


def _batch_file(tmp_path: Path, notebooks: list[str], parameters: dict) -> Path:
    path = tmp_path / "my-batch.yaml"
    data = {
        "name": "t",
        "municipalities": [706],
        "function_areas": ["5.38.50"],
        "notebooks": notebooks,
        "parameters": parameters,
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _refusal(tmp_path, notebooks, parameters) -> str:
    path = _batch_file(tmp_path, notebooks, parameters)
    with pytest.raises(BatchError) as err:
        load_batch(path, defaults=ROOT / "parameters" / "defaults.yaml", notebooks_dir=NOTEBOOKS)
    return str(err.value)


@pytest.mark.parametrize(
    "notebooks, parameters, message",
    [
        # the three examples: each passed the old check and failed in every kernel
        (
            ["benchmark"],
            {"peer_method": "lsit"},
            "parameters.peer_method: notebook 'benchmark': unknown value 'lsit' (did you mean 'list'?); "
            "expected knn, list, region, group",
        ),
        (  # YAML reads 5.38 as a number: the message says so (it said only "expected str, found 5.38")
            ["area"],
            {"main_function": 5.38},
            "parameters.main_function: notebook 'area': expected str, found 5.38 (YAML reads 5.38 as a number; "
            "write it in quotes: '5.38')",
        ),
        (
            ["overview"],
            {"last_year": 2025.0},
            "parameters.last_year: notebook 'overview': expected int, found 2025.0 (write it without decimals: 2025)",
        ),
        (
            ["cross_sector"],
            {"distribution_rule": "equal"},
            "parameters.distribution_rule: notebook 'cross_sector': unknown value 'equal' "
            "(did you mean 'baseline_share'?); expected baseline_share, savings",
        ),
        (
            ["forecast"],
            {"as_of_month": 14},
            "parameters.as_of_month: notebook 'forecast': 14 is out of range 1..11 (did you mean 11?)",
        ),
        # more of the same kind
        (["followup"], {"as_of_month": 0}, "notebook 'followup': 0 is out of range 1..11 (did you mean 1?)"),
        (
            ["cross_sector"],
            {"min_group": 3},
            "parameters.min_group: notebook 'cross_sector': 3 is below the least value 5 (did you mean 5?)",
        ),
        (
            ["forecast"],
            {"as_of_month": "9"},
            "parameters.as_of_month: notebook 'forecast': expected int, found '9'",
        ),
        (
            ["benchmark"],
            {"k": 0},
            "parameters.k: notebook 'benchmark': 0 is out of range 1..97 (did you mean 1?)",
        ),
        (
            ["benchmark"],
            {"peer_method": "list", "peer_codes": [707, 7100]},
            "parameters.peer_codes: notebook 'benchmark': unknown municipality code 7100 (did you mean 710 "
            "Favrskov?)",  # by its digits: an extra 0 typed (the nearest number, 860, was suggested before)
        ),
        (
            ["benchmark"],
            {"peer_method": "list", "peer_codes": [707, "Syddjurs"]},
            "parameters.peer_codes: notebook 'benchmark': 'Syddjurs' is the name of municipality 706; write its "
            "code: 706",
        ),
        (
            ["benchmark"],
            {"peer_method": "list", "peer_codes": [707, 82]},
            "parameters.peer_codes: notebook 'benchmark': 82 is the code of Region Midtjylland, not of a "
            "municipality",
        ),
        (
            ["benchmark"],
            {"peer_method": "list"},
            "parameters: notebook 'benchmark': peer_method 'list' needs the peers' codes in peer_codes",
        ),
        (["overview"], {"first_year": 2026}, "notebook 'overview': first_year 2026 is after last_year 2025"),
        (
            ["budget"],
            {"peer_step": 1.5},
            "parameters.peer_step: notebook 'budget': 1.5 is out of range 0.0..1.0",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_file_notebook_parameter_value_and_a_near_one(
    tmp_path, notebooks, parameters, message
):
    text = _refusal(tmp_path, notebooks, parameters)
    assert message in text
    assert text.startswith(str(tmp_path / "my-batch.yaml") + ": ")


def test_every_notebook_of_a_batch_is_checked_and_every_problem_listed(tmp_path):
    text = _refusal(tmp_path, ["benchmark", "forecast"], {"peer_method": "lsit", "as_of_month": 14})
    lines = text.splitlines()
    assert len(lines) == 2
    assert "parameters.peer_method: notebook 'benchmark'" in lines[0]
    assert "parameters.as_of_month: notebook 'forecast'" in lines[1]


@pytest.mark.parametrize(
    "notebooks, old, new",
    [
        (["benchmark"], "peers", "'peer_codes'"),
        (["area"], "peers", "'peer_codes'"),
        (["followup"], "month", "'as_of_month'"),
        (["cross_sector"], "year", "'last_year'"),
        (["budget"], "year", "'budget_year'"),
        (["budget", "followup"], "year", "'budget_year' or 'last_year'"),
    ],
)
def test_an_old_parameter_name_is_refused_with_its_new_name(tmp_path, notebooks, old, new):
    text = _refusal(tmp_path, notebooks, {old: 9 if old == "month" else 2025})
    assert f"parameters.{old}: renamed to {new} (did you mean {new}?)" in text


def test_an_old_name_no_notebook_of_the_batch_had_is_an_unknown_parameter(tmp_path):
    text = _refusal(tmp_path, ["overview"], {"peers": [707]})
    assert "parameters: unknown parameter 'peers'" in text and "renamed" not in text


def test_valid_parameters_pass_and_the_model_fills_in_the_defaults(tmp_path):
    path = _batch_file(tmp_path, ["benchmark", "forecast"], {"peer_method": "list", "peer_codes": [707, 710]})
    batch = load_batch(path, defaults=ROOT / "parameters" / "defaults.yaml", notebooks_dir=NOTEBOOKS)
    assert batch.parameters["peer_codes"] == [707, 710]
    model = P.check("forecast", {"as_of_month": 6, "last_year": 2024})
    assert (model.as_of_month, model.last_year, model.first_year, model.function_code) == (
        6,
        2024,
        2018,
        "5.38.50",
    )
    assert P.check("budget", {"price_growth": 0}).price_growth == 0  # an int stands for a float


def test_the_cli_refuses_before_any_kernel_starts(tmp_path, capsys, monkeypatch):
    import analysis.reporting.runner as runner

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(runner, "run_batch", no_kernel)
    path = _batch_file(tmp_path, ["forecast"], {"as_of_month": 14})
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("analysis: error: ")
    assert "parameters.as_of_month: notebook 'forecast': 14 is out of range 1..11 (did you mean 11?)" in err


@pytest.mark.parametrize(
    "value, valid, expected",
    [
        ("lsit", P.PEER_METHODS, " (did you mean 'list'?)"),
        ("zzz", P.PEER_METHODS, ""),
        (14, range(1, 12), " (did you mean 11?)"),
    ],
)
def test_did_you_mean(value, valid, expected):
    assert P.did_you_mean(value, valid) == expected


def test_the_manager_notebooks_have_models_that_refuse_bad_values():
    from analysis.reporting.parameters import ParameterError, check

    assert check("staffing", {}).offer_file == "parameters/offers/example-offer.yaml"
    with pytest.raises(ParameterError, match="warehouse"):
        check("staffing", {"warehouse": "w.duckdb"})  # the staffing report reads an offer file, no warehouse
    with pytest.raises(ParameterError, match="threshold"):
        check("steering_models", {"threshold": 1.5})
    assert check("steering_models", {"threshold": 0.1}).threshold == 0.1


def test_the_parameters_that_name_a_file_the_report_reads_are_marked_in_the_models():
    from analysis.reporting.parameters import file_parameters

    # the runner keys a report on the content of these files, not only on their names
    assert file_parameters("budget") == ("decisions_file",)
    assert file_parameters("staffing") == ("offer_file",)
    assert file_parameters("cross_sector") == ("unit_costs",)
    assert file_parameters("benchmark") == ()
    # a notebook without a model of its own: every name a model marks
    assert file_parameters("my_own_report") == ("decisions_file", "offer_file", "unit_costs")
