"""Batch files: which municipalities x function areas x notebooks to run, validated before any kernel starts.

A batch file (``parameters/batches/*.yaml``) is merged over ``parameters/defaults.yaml`` (a batch's own keys win;
``parameters`` are merged key by key) and checked by one typed model, :class:`Batch`. Every problem is refused
with a message that names the file, the key and the value, and suggests the nearest valid value::

    name: botilbud-2025            # names the output folder
    municipalities: [706, 751]     # codes; or "all"; or {region: Midtjylland}; or {group: Landkommuner}
    function_areas: ["5.38.50"]    # function codes; "5.28.*" (every area of a main function); or "all" (= 5.38.*)
    notebooks: [overview]          # names of notebooks in notebooks/
    formats: [html, pdf]
    parameters: {}                 # passed to every notebook that declares them (years, peers, thresholds ...)

The parameters of each report notebook are checked by its typed model (:mod:`analysis.reporting.parameters`):
allowed values and ranges, with "did you mean"; old parameter names (``peers``, ``year``, ``month``) are refused
with their new name.

:func:`expand` turns a batch into its jobs: one per municipality x function area x notebook, in a stable order,
each with the parameters papermill injects and a slugged output name.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.data import reference
from analysis.data.yamlfiles import safe_load, yaml_text
from analysis.errors import ConfigurationError
from analysis.paths import project_root
from analysis.reporting.parameters import MODELS, RENAMED, ParameterError, check

__all__ = ["Batch", "BatchError", "Job", "expand", "load_batch", "notebook_parameters", "project_root"]

FORMATS = ("html", "pdf")
#: Parameters the runner injects into every notebook that declares them; a batch may not set them.
INJECTED = ("municipality_code", "function_code")


class BatchError(ConfigurationError):
    """A batch file that cannot be run; the message names the file, the key and what was expected."""


def _near(value: object, valid: list) -> str:
    """' (did you mean X?)' for the nearest valid value, or ''."""
    if isinstance(value, int) and valid and all(isinstance(v, int) for v in valid):
        return f" (did you mean {min(valid, key=lambda v: (abs(v - value), v))}?)"
    digits = re.sub(r"\D", "", str(value))
    same_digits = [v for v in valid if digits and re.sub(r"\D", "", str(v)) == digits]
    if same_digits:  # a code written without its dots, e.g. 53850 for 5.38.50
        return f" (did you mean '{same_digits[0]}'?)"
    near = difflib.get_close_matches(str(value), [str(v) for v in valid], n=1, cutoff=0.5)
    return f" (did you mean '{near[0]}'?)" if near else ""


def _looks_like_all(text: str) -> bool:
    """True for ways of writing 'all' that are not 'all': any case, the Danish 'alle', surrounding blanks."""
    return text.strip().casefold() in ("all", "alle", "alt", "alla")


def _municipality_selection(v: object) -> object:
    """A list's items as codes (``'706'`` and ``'0706'`` are 706); anything else refused saying what it is.

    A name, a region's code, a code one digit off, or a single code where a list is expected, is refused saying
    what it is and what to write (before pydantic's union, which would say it three ways and suggest nothing).
    """
    if isinstance(v, list | tuple):
        codes = []
        for item in v:
            code = reference.municipality_code_of(item)
            if code is None:
                raise ValueError(reference.not_a_municipality(item, selectors=True))
            codes.append(code)
        return codes
    if (
        isinstance(v, bool)
        or not isinstance(v, int | float | str)
        or (isinstance(v, str) and _looks_like_all(v))
    ):
        return v
    code = reference.municipality_code_of(v)
    if code is not None:
        raise ValueError(f"expected a list of municipality codes, found the single code {v}; write [{code}]")
    named = reference.municipality_named(v) if isinstance(v, str) else None
    if named is not None:
        raise ValueError(f"unknown selection {v!r}: the name of municipality {named}; write [{named}]")
    raise ValueError(
        f"{reference.not_a_municipality(v, selectors=True)}; expected a list of municipality codes, 'all', "
        "{region: <name>} or {group: <name>}"
    )


def _function_selection(v: object) -> None:
    """Refuse a function area YAML read as a number (``5.38``, ``53850``) or one not in a list, saying what to write.

    pydantic said "Input should be a valid string" and "Input should be 'all'" and suggested nothing.
    """
    items = v if isinstance(v, list | tuple) else None
    if items is None:
        if (
            isinstance(v, str)
            and v != "all"
            and not _looks_like_all(v)
            and re.fullmatch(r"\d\.\d\d(\.\d\d|\.\*)", v)
        ):
            raise ValueError(f"expected a list of function codes, found the single code '{v}'; write ['{v}']")
        return
    for item in items:
        if isinstance(item, int | float) and not isinstance(item, bool):
            digits = re.sub(r"\D", "", str(item))
            meant = (
                f"'{digits[0]}.{digits[1:3]}.{digits[3:5]}'"
                if len(digits) == 5
                else f"'{digits[0]}.{digits[1:3]}.*' (every area of the main function)"
                if len(digits) == 3
                else "a code such as '5.38.50'"
            )
            raise ValueError(
                f"{item!r} is read by YAML as a number, not a function code (did you mean {meant}?); write the codes "
                "in quotes, e.g. ['5.38.50']"
            )


def _strip_region(name: str) -> str:
    return re.sub(r"^region\s+", "", name.strip(), flags=re.IGNORECASE).casefold()


class Batch(BaseModel):
    """One batch: the typed form of a batch file merged over the defaults."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Names the output folder: reports/<name>/<run id>/")
    title: str = Field("", description="Heading of the index page; defaults to the name")
    municipalities: list[int] | Literal["all"] | dict[str, str]
    function_areas: list[str] | Literal["all"]
    notebooks: list[str] = Field(min_length=1)
    formats: list[Literal["html", "pdf"]] = Field(default_factory=lambda: list(FORMATS))
    parameters: dict[str, Any] = Field(default_factory=dict)
    workers: int = Field(2, ge=1, le=32, description="Worker processes (each runs one kernel at a time)")
    timeout: int = Field(600, ge=10, description="Seconds a notebook cell may run before it is stopped")
    kernel: str = Field("python3", description="Jupyter kernel that executes the notebooks")

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", v):
            raise ValueError("use letters, digits, '.', '_' and '-' only (it names a folder)")
        return v

    @field_validator("municipalities", "function_areas", mode="before")
    @classmethod
    def _selects_something(cls, v, info):
        """Refuse a selection that selects nothing (``[]``) and a word that is not ``all`` (``alle``, ``All``)."""
        if isinstance(v, list | tuple) and len(v) == 0:
            what = "municipality codes" if info.field_name == "municipalities" else "function codes"
            raise ValueError(f"selects nothing (an empty list); list the {what} to run, or write 'all'")
        if info.field_name == "municipalities":
            v = _municipality_selection(v)
        else:
            _function_selection(v)
        if isinstance(v, str) and v != "all":
            hint = " (did you mean 'all'?)" if _looks_like_all(v) else _near(v, ["all"])
            shapes = (
                "a list of municipality codes, 'all', {region: <name>} or {group: <name>}"
                if info.field_name == "municipalities"
                else "a list of function codes or 'all'"
            )
            raise ValueError(f"unknown selection '{v}'{hint}; expected {shapes}")
        return v

    @field_validator("municipalities")
    @classmethod
    def _known_municipalities(cls, v):
        ref = reference.municipalities()
        if isinstance(v, dict):
            if len(v) != 1 or next(iter(v)) not in ("region", "group"):
                raise ValueError(f"expected {{region: <name>}} or {{group: <name>}}, found {v}")
            key, value = next(iter(v.items()))
            column = "region" if key == "region" else "municipality_group"
            names = sorted(ref[column].unique())
            if key == "region":
                if _strip_region(value) not in {_strip_region(n) for n in names}:
                    short = [re.sub(r"^Region ", "", n) for n in names]
                    raise ValueError(
                        f"unknown region '{value}'{_near(value, short)}; regions: {', '.join(short)}"
                    )
            elif value not in names:
                raise ValueError(
                    f"unknown municipality group '{value}'{_near(value, names)}; groups: {', '.join(names)}"
                )
            return v
        if isinstance(v, list):
            codes = ref["municipality_code"].tolist()
            for code in v:
                if code not in codes:
                    raise ValueError(f"unknown municipality code {code}{_near(code, codes)}")
            if len(set(v)) != len(v):
                raise ValueError("a municipality code is listed twice")
        return v

    @field_validator("function_areas")
    @classmethod
    def _known_function_areas(cls, v):
        if isinstance(v, list):
            codes = reference.function_areas()["function_code"].tolist()
            wildcards = [f"{m}.*" for m in reference.MAIN_FUNCTIONS]
            for code in v:
                if code.endswith("*") or code in reference.MAIN_FUNCTIONS:
                    if code not in wildcards:
                        raise ValueError(
                            f"unknown main function '{code}'{_near(code, wildcards)}; "
                            f"known: {', '.join(wildcards)}"
                        )
                elif code not in codes:
                    raise ValueError(
                        f"unknown function code '{code}'{_near(code, codes)}; "
                        f"known: {', '.join(codes)}, or a main function {' or '.join(wildcards)}"
                    )
            if len(set(_expand_areas(v))) != len(_expand_areas(v)):
                raise ValueError(
                    "a function code is selected twice (listed twice, or also by its main function)"
                )
        return v

    def municipality_codes(self) -> list[int]:
        """The municipality codes this batch covers, ascending."""
        ref = reference.municipalities()
        if self.municipalities == "all":
            return sorted(ref["municipality_code"].tolist())
        if isinstance(self.municipalities, dict):
            key, value = next(iter(self.municipalities.items()))
            if key == "region":
                mask = ref["region"].map(_strip_region) == _strip_region(value)
            else:
                mask = ref["municipality_group"] == value
            return sorted(ref.loc[mask, "municipality_code"].tolist())
        return list(self.municipalities)

    def function_codes(self) -> list[str]:
        """The function codes this batch covers, in the order given.

        'all' is every area of 5.38 (``reference.DEFAULT_MAIN_FUNCTION``), '5.28.*' every area of 5.28, each in the
        chart of accounts' order.
        """
        if self.function_areas == "all":
            return _expand_areas([f"{reference.DEFAULT_MAIN_FUNCTION}.*"])
        return _expand_areas(self.function_areas)


def _expand_areas(selection: list[str]) -> list[str]:
    """Function codes of a validated selection: a main function's wildcard ('5.28.*') becomes its areas."""
    out: list[str] = []
    for code in selection:
        main = code[:-2] if code.endswith(".*") else None
        if main is not None:
            out += reference.function_areas(main)["function_code"].tolist()
        else:
            out.append(code)
    return out


@dataclass(frozen=True)
class Job:
    """One report: a notebook for one municipality and one function area."""

    notebook: str
    municipality_code: int
    function_code: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """Output name without suffix, e.g. ``overview/706-syddjurs_5.38.50`` (no function part when empty)."""
        name = _slug(municipality_name(self.municipality_code))
        function = f"_{self.function_code}" if self.function_code else ""
        return f"{self.notebook}/{self.municipality_code}-{name}{function}"


def _slug(text: str) -> str:
    text = text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace("Æ", "Ae").replace("Ø", "Oe")
    text = unicodedata.normalize("NFKD", text.replace("Å", "Aa")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@cache
def _names() -> dict[int, str]:
    ref = reference.municipalities()
    return dict(zip(ref["municipality_code"], ref["municipality"], strict=True))


def municipality_name(code: int) -> str:
    """The municipality's name, e.g. 706 -> 'Syddjurs'."""
    return _names()[code]


@cache
def _function_names() -> dict[str, str]:
    fa = reference.function_areas()
    return dict(zip(fa["function_code"], fa["name"], strict=True))


def function_name(code: str) -> str:
    """The function area's Danish name, e.g. '5.38.50' -> 'Botilbud til længerevarende ophold'; '' for ''."""
    return _function_names()[code] if code else ""


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its cell tagged ``parameters`` (papermill's inspection).

    Returns ``{name: {"inferred_type_name": ..., "default": ..., "help": ...}}``. Read without importing papermill
    (:func:`analysis.reporting.notebook_json.declared_parameters`), which costs more than a cached run.
    """
    from analysis.reporting.notebook_json import declared_parameters

    return declared_parameters(path)


def _read_yaml(path: Path) -> dict:
    try:
        data = safe_load(yaml_text(path), path.name) or {}
    except FileNotFoundError:
        raise BatchError(f"{path}: no such batch file") from None
    except yaml.YAMLError as e:
        raise BatchError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise BatchError(f"{path}: expected keys such as name, municipalities, function_areas, notebooks")
    return data


def load_batch(
    path: str | Path,
    *,
    defaults: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
) -> Batch:
    """Read, merge and validate a batch file; refuse any problem before a kernel starts.

    Parameters
    ----------
    path
        The batch file (YAML).
    defaults
        The defaults file; by default ``parameters/defaults.yaml`` of the project, when it exists.
    notebooks_dir
        Where the notebooks are; by default ``notebooks/`` of the project.

    Raises
    ------
    BatchError
        Naming the file, the key and the value, with the nearest valid value where there is one.
    """
    path = Path(path)
    root = project_root()
    defaults = Path(defaults) if defaults is not None else root / "parameters" / "defaults.yaml"
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else root / "notebooks"
    merged = _read_yaml(defaults) if defaults.exists() else {}
    own = _read_yaml(path)
    for source, data in ((defaults, merged), (path, own)):
        if "parameters" in data and data["parameters"] is None:
            data["parameters"] = {}  # 'parameters:' with nothing under it: none
        if not isinstance(data.get("parameters", {}), dict):
            raise BatchError(
                f"{source}: parameters: expected keys and values (e.g. parameters: {{last_year: 2024}}), found "
                f"{data['parameters']!r}"
            )
    params = {**merged.get("parameters", {}), **own.get("parameters", {})}
    merged.update(own)
    merged["parameters"] = params
    merged.setdefault("name", path.stem)
    try:
        batch = Batch.model_validate(merged)
    except ValidationError as e:
        raise BatchError(_explain(path, e)) from None
    if not batch.municipality_codes():
        raise BatchError(f"{path}: municipalities: {batch.municipalities} selects no municipality")
    _check_notebooks(path, batch, notebooks_dir, own_parameters=set(own.get("parameters") or {}))
    _check_programme(path, batch)
    return batch


def _check_programme(path: Path, batch: Batch) -> None:
    """Refuse one named cross-sector programme for several municipalities: a programme is one municipality's.

    Table ``programme_members`` holds each member with the municipality and the programme's name, and a report
    reads the members of its municipality's programme by that name (:func:`analysis.data.programmes.read_members`):
    the same name in two municipalities is two programmes. A batch's ``parameters`` apply to every municipality,
    so a name given for several would be one municipality's programme asked of the others (their reports would
    fail one by one, or evaluate another programme that happens to share the name).
    """
    programme = batch.parameters.get("programme")
    codes = batch.municipality_codes()
    if not programme or len(codes) < 2:
        return
    listed = ", ".join(str(c) for c in codes[:6]) + (", ..." if len(codes) > 6 else "")
    raise BatchError(
        f"{path}: parameters.programme: {programme!r} names one municipality's programme, but the batch runs "
        f"{len(codes)} municipalities ({listed}); a programme belongs to one municipality (programme_members: "
        "municipality_code, programme), so write one batch per municipality with its programme, or leave "
        "programme out where each municipality has one programme"
    )


def _explain(path: Path, error: ValidationError) -> str:
    """One line per problem: 'file: key: what is wrong'."""
    lines = []
    for err in error.errors():
        loc = [str(p) for p in err["loc"] if not str(p).startswith(("list[", "literal[", "dict["))]
        key = ".".join(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            valid = list(Batch.model_fields)
            lines.append(f"{path}: unknown key '{key}'{_near(key, valid)}; valid keys: {', '.join(valid)}")
        elif err["type"] == "missing":
            lines.append(f"{path}: missing key '{key}'")
        elif err["type"] == "literal_error" and loc and loc[0] == "formats":
            near = next((f for f in FORMATS if f == str(err["input"]).strip().casefold()), None)
            hint = f" (did you mean '{near}'?)" if near else _near(err["input"], list(FORMATS))
            lines.append(
                f"{path}: {key}: unknown format {err['input']!r}{hint}; formats: {', '.join(FORMATS)}"
            )
        elif (
            err["type"] in ("int_parsing", "int_type", "int_from_float")
            and loc
            and loc[0] in Batch.model_fields
        ):
            what = Batch.model_fields[loc[0]].description or ""
            lines.append(f"{path}: {key}: expected a whole number ({what}), found {err['input']!r}")
        elif err["type"] == "list_type" and isinstance(err["input"], str | int | float):
            lines.append(f"{path}: {key}: expected a list, found {err['input']!r}; write [{err['input']}]")
        elif (
            err["type"] == "string_type"
            and isinstance(err["input"], int | float)
            and not isinstance(err["input"], bool)
        ):
            lines.append(
                f"{path}: {key}: expected text, found the number {err['input']!r} (YAML reads it as a number); "
                f"write it in quotes: '{err['input']}'"
            )
        else:
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path}: {key}: {message}")
    # pydantic reports a union's failure once per member; keep each line once, in order
    return "\n".join(dict.fromkeys(lines))


def _check_notebooks(path: Path, batch: Batch, notebooks_dir: Path, own_parameters: set[str]) -> None:
    """Refuse unknown notebooks, and parameters of the batch file that no notebook of the batch declares.

    A parameter that comes from the defaults file only is passed to the notebooks that declare it and is not an
    error for the others (defaults serve many notebooks).
    """
    available = sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))
    declared: dict[str, dict[str, dict]] = {}
    for name in batch.notebooks:
        if name not in available:
            raise BatchError(
                f"{path}: notebooks: unknown notebook '{name}'{_near(name, available)}; "
                f"notebooks in {notebooks_dir.name}/: {', '.join(available) or 'none'}"
            )
        declared[name] = notebook_parameters(notebooks_dir / f"{name}.ipynb")
    known = set().union(*(set(d) for d in declared.values()))
    for key, value in batch.parameters.items():
        if key in INJECTED:
            raise BatchError(
                f"{path}: parameters.{key}: set by the runner for each report; choose municipalities and "
                "function_areas instead"
            )
        new_names = sorted({RENAMED.get(key, {})[n] for n in batch.notebooks if n in RENAMED.get(key, {})})
        if key not in known and key in own_parameters and new_names:
            new_name = " or ".join(f"'{n}'" for n in new_names)
            raise BatchError(
                f"{path}: parameters.{key}: renamed to {new_name} (did you mean {new_name}?); "
                "the old name is no longer accepted"
            )
        if key not in known and key in own_parameters:
            raise BatchError(
                f"{path}: parameters: unknown parameter '{key}'{_near(key, sorted(known))}; the notebooks "
                f"{', '.join(batch.notebooks)} take: {', '.join(sorted(known - set(INJECTED)))}"
            )
        for name, params in declared.items():
            if key in params and name not in MODELS:
                expected = _TYPES.get(params[key]["inferred_type_name"])
                if expected is not None and not _fits(value, expected):
                    raise BatchError(
                        f"{path}: parameters.{key}: notebook '{name}' expects {params[key]['inferred_type_name']} "
                        f"(default {params[key]['default']}), found {value!r}"
                    )

    problems = []
    for name, params in declared.items():
        if name in MODELS:  # the notebook's typed model: allowed values and ranges, with "did you mean"
            given = {k: v for k, v in batch.parameters.items() if k in params}
            # with each function code the notebook will be given, as a value may fit one area and not another
            codes = batch.function_codes() if "function_code" in params else [None]
            try:
                for code in dict.fromkeys(codes):
                    check(name, given if code is None else {**given, "function_code": code})
            except ParameterError as e:
                problems += [
                    f"{path}: parameters{'.' + key if key else ''}: notebook '{name}': {message}"
                    for key, message in e.problems
                ]
    if problems:
        raise BatchError("\n".join(problems))


_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


def _fits(value: object, expected: type) -> bool:
    """True when ``value`` can be given for a parameter of type ``expected`` (an int may stand for a float)."""
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def expand(batch: Batch, notebooks_dir: str | Path | None = None) -> list[Job]:
    """The batch's jobs: notebook x municipality x function area, each with the parameters its notebook declares.

    A notebook that declares no ``function_code`` parameter (e.g. one about persons across sectors) gets one job
    per municipality, with an empty function code.
    """
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else project_root() / "notebooks"
    jobs = []
    for name in batch.notebooks:
        declared = notebook_parameters(notebooks_dir / f"{name}.ipynb")
        shared = {k: v for k, v in batch.parameters.items() if k in declared}
        function_codes = batch.function_codes() if "function_code" in declared else [""]
        for code in batch.municipality_codes():
            for function_code in function_codes:
                params = {**shared}
                if "municipality_code" in declared:
                    params["municipality_code"] = code
                if "function_code" in declared:
                    params["function_code"] = function_code
                jobs.append(Job(name, code, function_code, params))
    return jobs
