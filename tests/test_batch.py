"""Batch files are validated before any kernel starts, with messages that name the problem and a near value."""

import re
from pathlib import Path

import pytest
import yaml

from analysis.reporting.batch import BatchError, expand, load_batch
from tests.notebook_fixtures import hello

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    hello(folder)
    return folder


def _batch(tmp_path, nb_dir, /, **keys):
    data = {
        "name": "t",
        "municipalities": [706],
        "function_areas": ["5.38.50"],
        "notebooks": ["hello"],
        **keys,
    }
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=nb_dir)


@pytest.mark.parametrize(
    "keys, message",
    [
        (
            {"municipalities": [706, 752]},
            "municipalities: unknown municipality code 752 (did you mean 751 Aarhus or 756 Ikast-Brande?)",
        ),
        (
            {"municipalities": {"region": "Midjylland"}},
            "unknown region 'Midjylland' (did you mean 'Midtjylland'?)",
        ),
        ({"municipalities": {"kommune": "x"}}, "expected {region: <name>} or {group: <name>}"),
        ({"function_areas": ["53850"]}, "unknown function code '53850' (did you mean '5.38.50'?)"),
        ({"notebooks": ["helo"]}, "notebooks: unknown notebook 'helo' (did you mean 'hello'?)"),
        ({"formats": ["html", "pfd"]}, "unknown format 'pfd' (did you mean 'pdf'?)"),
        ({"munipalities": [706]}, "unknown key 'munipalities' (did you mean 'municipalities'?)"),
        ({"parameters": {"last_yaer": 2024}}, "unknown parameter 'last_yaer' (did you mean 'last_year'?)"),
        ({"parameters": {"last_year": "2024"}}, "parameters.last_year: notebook 'hello' expects int"),
        ({"parameters": {"municipality_code": 101}}, "parameters.municipality_code: set by the runner"),
        ({"name": "my batch"}, "name: use letters, digits"),
        ({"notebooks": []}, "notebooks: List should have at least 1 item"),
    ],
)
def test_a_bad_batch_is_refused_with_a_clear_message(tmp_path, notebooks, keys, message):
    with pytest.raises(BatchError) as err:
        _batch(tmp_path, notebooks, **keys)
    assert message in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "batch.yaml"))


def test_a_missing_key_is_named(tmp_path, notebooks):
    with pytest.raises(BatchError, match="missing key 'function_areas'"):
        _batch(tmp_path, notebooks, function_areas=None)


def test_selectors_expand_to_codes(tmp_path, notebooks):
    assert _batch(
        tmp_path, notebooks, municipalities={"region": "Region Nordjylland"}
    ).municipality_codes() == [
        773,
        787,
        810,
        813,
        820,
        825,
        840,
        846,
        849,
        851,
        860,
    ]
    assert (
        _batch(tmp_path, notebooks, municipalities={"region": "nordjylland"}).municipality_codes()[0] == 773
    )
    assert len(_batch(tmp_path, notebooks, municipalities="all").municipality_codes()) == 98
    assert (
        len(_batch(tmp_path, notebooks, municipalities={"group": "Storbykommuner"}).municipality_codes()) == 3
    )
    assert _batch(tmp_path, notebooks, function_areas="all").function_codes()[:2] == ["5.38.38", "5.38.40"]


def test_expand_gives_one_job_per_municipality_function_and_notebook(tmp_path, notebooks):
    batch = _batch(
        tmp_path,
        notebooks,
        municipalities=[706, 101],
        function_areas=["5.38.50", "5.38.52"],
        parameters={"last_year": 2024},
    )
    jobs = expand(batch, notebooks)
    assert [(j.municipality_code, j.function_code) for j in jobs] == [
        (706, "5.38.50"),
        (706, "5.38.52"),
        (101, "5.38.50"),
        (101, "5.38.52"),
    ]
    assert jobs[0].parameters == {"last_year": 2024, "municipality_code": 706, "function_code": "5.38.50"}
    assert jobs[2].slug == "hello/101-koebenhavn_5.38.50"


def test_defaults_are_merged_under_the_batch(tmp_path, notebooks):
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("workers: 3\nparameters: {first_year: 2019, last_year: 2025}\n", encoding="utf-8")
    path = tmp_path / "b.yaml"
    path.write_text(
        "name: b\nmunicipalities: [706]\nfunction_areas: all\nnotebooks: [hello]\nparameters: {last_year: 2024}\n",
        encoding="utf-8",
    )
    batch = load_batch(path, defaults=defaults, notebooks_dir=notebooks)
    assert batch.workers == 3 and batch.parameters == {"first_year": 2019, "last_year": 2024}


#: The batches and report notebooks the project ships (a moved folder left the loops below nothing to check).
SHIPPED_BATCHES = {
    "bdo-botilbud", "bdo-familie", "budget", "cross-sector", "data-quality", "default", "followup-monthly",
    "forecast-monthly", "national-botilbud", "staffing", "steering-models",
}  # fmt: skip
REPORT_NOTEBOOKS = {
    "area", "benchmark", "budget", "cross_sector", "data_quality", "followup", "forecast", "overview", "staffing",
    "steering_models",
}  # fmt: skip


def test_the_project_batches_are_valid():
    paths = sorted((ROOT / "parameters" / "batches").glob("*.yaml"))
    assert {p.stem for p in paths} >= SHIPPED_BATCHES
    for path in paths:
        assert load_batch(path).notebooks, path.name


def test_every_notebook_parameter_is_documented_for_papermill_help():
    from analysis.reporting.batch import notebook_parameters

    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert {p.stem for p in paths} >= REPORT_NOTEBOOKS
    for path in paths:
        params = notebook_parameters(path)
        assert params, f"{path.name} has no cell tagged 'parameters'"
        for name, p in params.items():
            assert p["help"].strip(), f"{path.name}: parameter {name} has no trailing comment"
            assert p["inferred_type_name"] != "None", f"{path.name}: parameter {name} has no type"


def test_notebooks_are_committed_without_outputs():
    import nbformat

    folder = ROOT / "notebooks"
    paths = sorted(folder.glob("*.ipynb")) + sorted((folder / "explore").glob("*.ipynb"))
    assert "explore" in [p.stem for p in paths]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"
        assert re.fullmatch(r"[a-z_]+", path.stem)


def test_an_exploration_notebook_is_not_a_report_notebook(tmp_path):
    # notebooks/explore/ is apart from the report notebooks: a batch cannot name it
    assert (ROOT / "notebooks" / "explore" / "explore.ipynb").exists()
    with pytest.raises(BatchError, match="notebooks: unknown notebook 'explore'"):
        _batch(tmp_path, ROOT / "notebooks", notebooks=["explore"])


def test_a_notebook_without_function_code_runs_once_per_municipality(tmp_path, notebooks):
    from tests.notebook_fixtures import write_notebook

    write_notebook(notebooks, "persons", "print(municipality_code)", title="Personer")
    nb = notebooks / "persons.ipynb"
    text = nb.read_text("utf-8").replace('function_code: str = \\"5.38.50\\"  # function area\\n', "")
    nb.write_text(text, encoding="utf-8")
    batch = _batch(
        tmp_path, notebooks, municipalities=[165, 190], function_areas="all", notebooks=["persons"]
    )
    jobs = expand(batch, notebooks)
    assert [(j.municipality_code, j.function_code) for j in jobs] == [(165, ""), (190, "")]
    assert jobs[0].slug == "persons/165-albertslund"
    nb.unlink()


def test_a_default_parameter_no_notebook_declares_is_not_an_error(tmp_path, notebooks):
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("parameters: {last_year: 2025, min_group: 5}\n", encoding="utf-8")
    path = tmp_path / "b.yaml"
    path.write_text(
        "name: b\nmunicipalities: [706]\nfunction_areas: all\nnotebooks: [hello]\n", encoding="utf-8"
    )
    batch = load_batch(path, defaults=defaults, notebooks_dir=notebooks)
    assert "min_group" not in expand(batch, notebooks)[0].parameters
    path.write_text(path.read_text("utf-8") + "parameters: {min_group: 5}\n", encoding="utf-8")
    with pytest.raises(BatchError, match="unknown parameter 'min_group'"):
        load_batch(path, defaults=defaults, notebooks_dir=notebooks)


@pytest.mark.parametrize(
    "keys, message",
    [
        (
            {"municipalities": []},
            "municipalities: selects nothing (an empty list); list the municipality codes",
        ),
        ({"function_areas": []}, "function_areas: selects nothing (an empty list); list the function codes"),
        ({"municipalities": "alle"}, "municipalities: unknown selection 'alle' (did you mean 'all'?)"),
        ({"municipalities": "All"}, "municipalities: unknown selection 'All' (did you mean 'all'?)"),
        ({"function_areas": "ALL"}, "function_areas: unknown selection 'ALL' (did you mean 'all'?)"),
        ({"function_areas": "alle"}, "function_areas: unknown selection 'alle' (did you mean 'all'?)"),
        (
            {"municipalities": "Syddjurs"},
            "municipalities: unknown selection 'Syddjurs': the name of municipality 706; write [706]",
        ),
    ],
)
def test_a_selection_that_selects_nothing_or_misspells_all_is_refused(tmp_path, notebooks, keys, message):
    with pytest.raises(BatchError) as err:
        _batch(tmp_path, notebooks, **keys)
    assert message in str(err.value)
    assert str(err.value).count("\n") == 0  # one line, not one per member of the union


def test_function_areas_of_5_28_all_stays_5_38(tmp_path, notebooks):
    every_538 = _batch(tmp_path, notebooks, function_areas="all").function_codes()
    assert len(every_538) == 11 and all(c.startswith("5.38.") for c in every_538)  # as before 5.28 came
    assert _batch(tmp_path, notebooks, function_areas=["5.28.*"]).function_codes() == [
        "5.28.20",
        "5.28.21",
        "5.28.22",
        "5.28.23",
        "5.28.24",
    ]
    mixed = _batch(tmp_path, notebooks, function_areas=["5.38.50", "5.28.22"]).function_codes()
    assert mixed == ["5.38.50", "5.28.22"]


@pytest.mark.parametrize(
    "areas, message",
    [
        (["5.29.*"], "unknown main function '5.29.*' (did you mean '5.28.*'?); known: 5.38.*, 5.28.*"),
        (["5.28.25"], "unknown function code '5.28.25' (did you mean '5.28.24'?)"),
        (["5.28.*", "5.28.22"], "a function code is selected twice"),
    ],
)
def test_function_areas_of_5_28_refused(tmp_path, notebooks, areas, message):
    with pytest.raises(BatchError, match=re.escape(message)):
        _batch(tmp_path, notebooks, function_areas=areas)


def test_one_programme_for_several_municipalities_is_refused(tmp_path, notebooks):
    from tests.notebook_fixtures import write_notebook

    write_notebook(notebooks, "programme", "print(programme)", title="Program")
    nb = notebooks / "programme.ipynb"
    text = nb.read_text("utf-8").replace(
        'function_code: str = \\"5.38.50\\"  # function area\\n',
        'programme: str = \\"\\"  # the programme\\n',
    )
    nb.write_text(text, encoding="utf-8")
    try:
        # a programme is one municipality's (programme_members: municipality_code, programme): one name for
        # Albertslund and Furesø would be Albertslund's programme asked of Furesø
        with pytest.raises(BatchError) as err:
            _batch(
                tmp_path,
                notebooks,
                municipalities=[165, 190],
                notebooks=["programme"],
                parameters={"programme": "Sammen om borgeren"},
            )
        assert (
            "parameters.programme: 'Sammen om borgeren' names one municipality's programme, but the batch runs "
            "2 municipalities (165, 190)" in str(err.value)
        )
        # one municipality with its programme, or several without one, are fine
        one = _batch(
            tmp_path,
            notebooks,
            municipalities=[165],
            notebooks=["programme"],
            parameters={"programme": "Sammen om borgeren"},
        )
        assert expand(one, notebooks)[0].parameters["programme"] == "Sammen om borgeren"
        _batch(tmp_path, notebooks, municipalities=[165, 190], notebooks=["programme"])
    finally:
        nb.unlink()


@pytest.mark.parametrize(
    "text, message",
    [
        # a name where a code is expected (pydantic said "Input should be a valid integer" three ways)
        ("[Syddjurs]", "municipalities: 'Syddjurs' is the name of municipality 706; write its code: 706"),
        (
            "[706, Syddjurs Kommune]",
            "'Syddjurs Kommune' is the name of municipality 706; write its code: 706",
        ),
        (
            "[Sydjurs]",
            "unknown municipality 'Sydjurs': expected a municipality code (did you mean 706 Syddjurs?)",
        ),
        ("[Århus]", "'Århus' is a former name of municipality 751 Aarhus; write its code: 751"),
        # a code one digit off: suggested by its digits (7060 suggested 860, the nearest number)
        ("[7060]", "unknown municipality code 7060 (did you mean 706 Syddjurs or 760 Ringkøbing-Skjern?)"),
        ("[999]", "unknown municipality code 999: no municipality's code is one digit from it"),
        # areas that are not municipalities: said what they are and how a batch selects them
        ("[81]", "81 is the code of Region Nordjylland, not of a municipality; write {region: Nordjylland}"),
        (
            "[Region Midtjylland]",
            "'Region Midtjylland' is a region, not a municipality; write {region: Midtjylland}",
        ),
        (
            "[960]",
            "960 is the code of the municipality group Landkommuner, not of a municipality; write {group: ",
        ),
        (
            "[0]",
            "0 is the whole country (Hele landet), not a municipality; write 'all' for every municipality",
        ),
        ("[Hele landet]", "'Hele landet' is the whole country, not a municipality; write 'all'"),
        ("[yes]", "expected a municipality code such as 706, found True (YAML reads yes, no, on and off"),
        (
            "706",
            "municipalities: expected a list of municipality codes, found the single code 706; write [706]",
        ),
    ],
)
def test_a_municipality_written_wrongly_is_refused_saying_what_it_is(tmp_path, notebooks, text, message):
    path = tmp_path / "batch.yaml"
    path.write_text(
        f"name: t\nmunicipalities: {text}\nfunction_areas: ['5.38.50']\nnotebooks: [hello]\n",
        encoding="utf-8",
    )
    with pytest.raises(BatchError) as err:
        load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=notebooks)
    assert message in str(err.value)
    assert str(err.value).count("\n") == 0  # one line, not one per member of the union


def test_a_code_in_its_four_digit_form_is_the_municipality_not_an_octal_number(tmp_path, notebooks):
    # YAML 1.1 reads 0706 as the octal number 454 (it was refused as "unknown municipality code 454"); 0706 is the
    # 4-digit form of 706, and '706' written as text is 706 too
    path = tmp_path / "batch.yaml"
    path.write_text(
        "name: t\nmunicipalities: [0706, '751', 0101]\nfunction_areas: ['5.38.50']\nnotebooks: [hello]\n",
        encoding="utf-8",
    )
    batch = load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=notebooks)
    assert batch.municipality_codes() == [706, 751, 101]


@pytest.mark.parametrize(
    "text, message",
    [
        # YAML reads 5.38 and 53850 as numbers; pydantic said "Input should be a valid string" and "... 'all'"
        (
            "[5.38]",
            "function_areas: 5.38 is read by YAML as a number, not a function code (did you mean '5.38.*' (every "
            "area of the main function)?); write the codes in quotes, e.g. ['5.38.50']",
        ),
        (
            "['5.38.50', 53852]",
            "function_areas: 53852 is read by YAML as a number, not a function code (did you mean "
            "'5.38.52'?)",
        ),
        (
            "5.38.*",
            "function_areas: expected a list of function codes, found the single code '5.38.*'; write ['5.38.*']",
        ),
    ],
)
def test_a_function_area_read_as_a_number_or_without_a_list_is_refused_saying_what_to_write(
    tmp_path, notebooks, text, message
):
    path = tmp_path / "batch.yaml"
    path.write_text(
        f"name: t\nmunicipalities: [706]\nfunction_areas: {text}\nnotebooks: [hello]\n", encoding="utf-8"
    )
    with pytest.raises(BatchError) as err:
        load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=notebooks)
    assert message in str(err.value)
    assert str(err.value).count("\n") == 0


@pytest.mark.parametrize(
    "text, message",
    [
        # 'parameters' as a list, or with nothing under it, failed with "'list' object is not a mapping" (no file)
        (
            "parameters: [last_year: 2024]\n",
            "parameters: expected keys and values (e.g. parameters: {last_year: "
            "2024}), found [{'last_year': 2024}]",
        ),
        (
            "notebooks: hello\n",
            "notebooks: expected a list, found 'hello'; write [hello]",
        ),  # "Input should be a ..."
        ("formats: [HTML]\n", "formats.0: unknown format 'HTML' (did you mean 'html'?)"),
        (
            "name: 2025\n",
            "name: expected text, found the number 2025 (YAML reads it as a number); write it in quotes",
        ),
        (
            "timeout: 10m\n",
            "timeout: expected a whole number (Seconds a notebook cell may run before it is stopped), "
            "found '10m'",
        ),
    ],
)
def test_a_key_of_the_wrong_shape_is_refused_saying_what_to_write(tmp_path, notebooks, text, message):
    path = tmp_path / "batch.yaml"
    lines = {
        "name": "name: t\n",
        "municipalities": "municipalities: [706]\n",
        "function_areas": "function_areas: ['5.38.50']\n",
        "notebooks": "notebooks: [hello]\n",
    }
    lines[text.split(":")[0]] = text
    path.write_text("".join(lines.values()), encoding="utf-8")
    with pytest.raises(BatchError) as err:
        load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=notebooks)
    assert str(err.value).startswith(f"{path}: {message}")
    assert str(err.value).count("\n") == 0


def test_parameters_with_nothing_under_them_are_none(tmp_path, notebooks):
    path = tmp_path / "batch.yaml"
    path.write_text(
        "name: t\nmunicipalities: [706]\nfunction_areas: ['5.38.50']\nnotebooks: [hello]\nparameters:\n"
    )
    assert load_batch(path, defaults=tmp_path / "none.yaml", notebooks_dir=notebooks).parameters == {}
