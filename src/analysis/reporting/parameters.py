"""Typed parameters of the report notebooks: one pydantic model per notebook, checked before any kernel starts.

Each report notebook declares its parameters in a cell tagged ``parameters`` as typed literals with a trailing
comment (so that ``papermill --help-notebook`` documents them). The model of the same name in :data:`MODELS`
mirrors that cell field by field: same names, same types, same defaults; ``tests/test_parameters.py`` fails when the
two disagree (:func:`cell_disagreements`). The models add what a cell cannot say: the values allowed (a peer method
is one of four words, a month 1-11) and the ranges. :func:`check` validates one notebook's parameters and answers a
typo or an out-of-range value with the value and the nearest valid one.

One name per concept across the notebooks (:data:`RENAMED` lists the names they replace; a batch file that still
uses an old name is refused with the new name):

- ``peer_method``: how the peers are chosen (``knn``, ``list``, ``region``, ``group``);
- ``peer_codes``: the peers' municipality codes when ``peer_method`` is ``list``;
- ``last_year``: the report's year, the last accounting year of the data period;
- ``as_of_month``: the last booked month of ``last_year`` (data til og med);
- ``budget_year``: the year a budget is made for (the budget report only).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "MODELS",
    "RENAMED",
    "AreaParameters",
    "BenchmarkParameters",
    "BudgetParameters",
    "CrossSectorParameters",
    "DataQualityParameters",
    "FollowupParameters",
    "ForecastParameters",
    "OverviewParameters",
    "READS_FILE",
    "ParameterError",
    "StaffingParameters",
    "SteeringModelsParameters",
    "cell_disagreements",
    "check",
    "did_you_mean",
    "file_parameters",
]

PEER_METHODS = ("knn", "list", "region", "group")
DISTRIBUTION_RULES = ("baseline_share", "savings")
DEFAULT_FEATURES = ["population", "socioeconomic_index", "population_density"]

#: Old parameter names and their replacements (per notebook where the replacement differs).
RENAMED: dict[str, dict[str, str]] = {
    "peers": {"area": "peer_codes", "benchmark": "peer_codes"},
    "codes": {"area": "peer_codes", "benchmark": "peer_codes"},
    "method": {"area": "peer_method", "benchmark": "peer_method"},
    "month": {"followup": "as_of_month", "cross_sector": "as_of_month", "forecast": "as_of_month"},
    "year": {
        "followup": "last_year",
        "cross_sector": "last_year",
        "forecast": "last_year",
        "budget": "budget_year",
    },
}


class ParameterError(ValueError):
    """Parameters a notebook cannot run with; the message names the parameter, the value and the nearest valid.

    ``problems`` holds ``(parameter, message)`` pairs, parameter ``''`` for a problem of the combination.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{k}: {m}" if k else m for k, m in problems))


def did_you_mean(value: object, valid: list | tuple | range, *, always: bool = False) -> str:
    """' (did you mean X?)' for the nearest valid value, or '' when none is near (unless ``always``).

    ``always`` names the most similar of a short list of choices even when it is only a little similar, e.g.
    ``'equal'`` -> ``'baseline_share'`` (an equal share of the baseline), so that every refusal points somewhere.

    Examples
    --------
    >>> did_you_mean("lsit", ["knn", "list", "region", "group"])
    " (did you mean 'list'?)"
    >>> did_you_mean(14, range(1, 12))
    ' (did you mean 11?)'
    """
    valid = list(valid)
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and valid
        and all(isinstance(v, int) for v in valid)
    ):
        return f" (did you mean {min(valid, key=lambda v: (abs(v - value), v))}?)"
    near = difflib.get_close_matches(str(value), [str(v) for v in valid], n=1, cutoff=0.1 if always else 0.5)
    return f" (did you mean '{near[0]}'?)" if near else ""


class _Parameters(BaseModel):
    """Common base: unknown names are refused, values are not coerced between types (``"9"`` is no month)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    municipality_code: int = Field(706, ge=101, le=999, description="kommunekode (3 digits)")
    warehouse: str = Field(
        "", description="DuckDB warehouse file; empty means the default (sample) warehouse"
    )

    @model_validator(mode="after")
    def _years_in_order(self):
        first, last = getattr(self, "first_year", None), getattr(self, "last_year", None)
        if first is not None and last is not None and first > last:
            raise ValueError(f"first_year {first} is after last_year {last}")
        return self


_YEAR = {"ge": 2000, "le": 2099}


class _ReadsFile:
    """The mark of a parameter that names a file (or a folder of files) the report reads."""

    def __repr__(self) -> str:
        return "READS_FILE"


#: ``Annotated[str, READS_FILE]``: the parameter names a file or folder the report reads, which may lie outside
#: ``parameters/`` (a municipality's own decisions, offers or unit costs): the runner keys the report on its content
#: (:func:`file_parameters`), not only on its name.
READS_FILE = _ReadsFile()


class _PeerParameters(_Parameters):
    first_year: int = Field(2018, **_YEAR)
    last_year: int = Field(2025, **_YEAR)
    peer_method: Literal["knn", "list", "region", "group"] = "knn"
    peer_codes: list[int] = Field(default_factory=list)
    k: int = Field(10, ge=1, le=97)
    features: list[str] = Field(default_factory=lambda: list(DEFAULT_FEATURES), min_length=1)
    weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("peer_codes", mode="before")
    @classmethod
    def _known_codes(cls, v: object) -> object:
        """Each peer a municipality code; a name, a region or a code one digit off refused saying what it is."""
        from analysis.data import reference

        if not isinstance(v, list):
            return v  # the type's own message: expected a list
        for item in v:
            code = reference.municipality_code_of(item)
            if code is not None and not isinstance(item, int):
                raise ValueError(f"expected the municipality code as a number ({code}), found {item!r}")
            if code is None:
                raise ValueError(reference.not_a_municipality(item))
        return v

    @model_validator(mode="after")
    def _codes_only_with_list(self):
        if self.peer_method == "list" and not self.peer_codes:
            raise ValueError("peer_method 'list' needs the peers' codes in peer_codes")
        if self.peer_method != "list" and self.peer_codes:
            raise ValueError(f"peer_codes are used only with peer_method 'list', not '{self.peer_method}'")
        unknown = sorted(set(self.weights) - set(self.features))
        if unknown:
            raise ValueError(f"weights name {', '.join(unknown)}, which is not among features")
        return self


class OverviewParameters(_Parameters):
    """``notebooks/overview.ipynb``."""

    function_code: str = "5.38.50"
    first_year: int = Field(2018, **_YEAR)
    last_year: int = Field(2025, **_YEAR)


class BenchmarkParameters(_PeerParameters):
    """``notebooks/benchmark.ipynb``."""

    function_code: str = "5.38.50"

    @model_validator(mode="after")
    def _features_of_the_area(self):
        """A feature named ``residents`` (what the per-resident figures divide by, not a column) is refused."""
        from analysis.benchmark import check_features

        check_features(self.function_code, self.features)
        return self


class AreaParameters(_PeerParameters):
    """``notebooks/area.ipynb``."""

    main_function: str = Field("5.38", pattern=r"^\d\.\d\d$")

    @model_validator(mode="after")
    def _features_of_the_area(self):
        """A feature named ``residents`` (what the per-resident figures divide by, not a column) is refused."""
        from analysis.benchmark import check_features

        check_features(self.main_function, self.features)
        return self

    @field_validator("main_function")
    @classmethod
    def _known_main_function(cls, v: str) -> str:
        from analysis.data.reference import MAIN_FUNCTIONS

        if v not in MAIN_FUNCTIONS:
            known = list(MAIN_FUNCTIONS)
            raise ValueError(
                f"unknown main function '{v}'{did_you_mean(v, known)}; known: {', '.join(known)}"
            )
        return v


class ForecastParameters(_Parameters):
    """``notebooks/forecast.ipynb``."""

    function_code: str = "5.38.50"
    first_year: int = Field(2018, **_YEAR)
    last_year: int = Field(2025, **_YEAR)
    as_of_month: int = Field(9, ge=1, le=11)


class FollowupParameters(_Parameters):
    """``notebooks/followup.ipynb``."""

    last_year: int = Field(2025, **_YEAR)
    as_of_month: int = Field(9, ge=1, le=11)
    first_year: int = Field(2018, **_YEAR)
    show_persons: bool = False


class DataQualityParameters(_Parameters):
    """``notebooks/data_quality.ipynb``."""

    first_year: int = Field(2018, **_YEAR)
    last_year: int = Field(2025, **_YEAR)
    max_examples: int = Field(5, ge=1, le=1000)


class BudgetParameters(_Parameters):
    """``notebooks/budget.ipynb``."""

    budget_year: int = Field(2026, **_YEAR)
    base_year: int = Field(0, ge=0, le=2099)
    decisions_file: Annotated[str, READS_FILE] = "parameters/budget/decisions-example.yaml"
    price_growth: float = Field(0.025, ge=-0.5, le=0.5)
    population_growth: float = Field(0.0, ge=-0.5, le=0.5)
    trend_years: int = Field(3, ge=0, le=20)
    peer_step: float = Field(0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _base_before_budget(self):
        if self.base_year and not 2000 <= self.base_year < self.budget_year:
            raise ValueError(
                f"base_year {self.base_year} must be 0 or a year before budget_year {self.budget_year}"
            )
        return self


class CrossSectorParameters(_Parameters):
    """``notebooks/cross_sector.ipynb``."""

    municipality_code: int = Field(190, ge=101, le=999)
    programme: str = ""
    first_year: int = Field(2018, **_YEAR)
    last_year: int = Field(2025, **_YEAR)
    as_of_month: int = Field(9, ge=1, le=12)
    min_group: int = Field(5, ge=5)
    weight_sectors: float = Field(2.0, ge=0.0)
    weight_services: float = Field(1.0, ge=0.0)
    weight_cost: float = Field(0.5, ge=0.0)
    min_sectors: int = Field(2, ge=1, le=4)
    show_persons: bool = False
    candidates: int = Field(15, ge=1)
    distribution_rule: Literal["baseline_share", "savings"] = "baseline_share"
    unit_costs: Annotated[str, READS_FILE] = ""


class StaffingParameters(BaseModel):
    """``notebooks/staffing.ipynb`` (one offer; it reads no warehouse)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    offer_file: Annotated[str, READS_FILE] = "parameters/offers/example-offer.yaml"
    municipality_code: int = Field(706, ge=101, le=999)


class SteeringModelsParameters(_Parameters):
    """``notebooks/steering_models.ipynb``."""

    function_code: str = "5.38.50"
    first_year: int = Field(2020, **_YEAR)
    last_year: int = Field(2025, **_YEAR)
    threshold: float = Field(0.05, gt=0.0, lt=1.0)


#: The model of each report notebook, by notebook name (the file's stem in ``notebooks/``).
MODELS: dict[str, type[BaseModel]] = {
    "overview": OverviewParameters,
    "benchmark": BenchmarkParameters,
    "forecast": ForecastParameters,
    "data_quality": DataQualityParameters,
    "cross_sector": CrossSectorParameters,
    "budget": BudgetParameters,
    "followup": FollowupParameters,
    "area": AreaParameters,
    "staffing": StaffingParameters,
    "steering_models": SteeringModelsParameters,
}


def file_parameters(notebook: str) -> tuple[str, ...]:
    """The parameters of ``notebook`` marked :data:`READS_FILE`, in the order declared.

    A notebook without a model of its own (a user's) gets every name that a model marks, sorted: a parameter of
    that name names a file there too.
    """
    model = MODELS.get(notebook)
    models = [model] if model is not None else list(MODELS.values())
    names = [name for m in models for name, info in m.model_fields.items() if READS_FILE in info.metadata]
    return tuple(names) if model is not None else tuple(sorted(set(names)))


def _explain(error: dict, model: type[_Parameters]) -> tuple[str, str]:
    """``(parameter, what is wrong (did you mean ...?))`` for one pydantic error; parameter '' for the whole."""
    loc = [str(p) for p in error["loc"]]
    name = loc[0] if loc else ""
    key = ".".join(loc)
    value = error.get("input")
    kind = error["type"]
    if kind == "extra_forbidden":
        renamed = RENAMED.get(name, {})
        new = next(iter(renamed.values()), None) if renamed else None
        if new is not None and new in model.model_fields:
            return name, f"unknown parameter: renamed to '{new}' (did you mean '{new}'?)"
        return name, f"unknown parameter{did_you_mean(name, list(model.model_fields))}"
    if kind == "literal_error":
        allowed = list(get_args(model.model_fields[name].annotation)) if name in model.model_fields else []
        near = did_you_mean(value, allowed, always=True)
        return key, f"unknown value {value!r}{near}; expected {', '.join(map(str, allowed))}"
    if kind in ("greater_than_equal", "less_than_equal"):
        metadata = model.model_fields[name].metadata if name in model.model_fields else []
        low = next((m.ge for m in metadata if getattr(m, "ge", None) is not None), None)
        high = next((m.le for m in metadata if getattr(m, "le", None) is not None), None)
        if low is not None and high is not None:
            span = f"is out of range {low}..{high}"
        else:
            span = (
                f"is below the least value {low}" if low is not None else f"is above the largest value {high}"
            )
        near = low if low is not None and value < low else high
        return key, f"{value!r} {span} (did you mean {near}?)"
    if kind in ("int_type", "float_type", "string_type", "bool_type", "list_type", "dict_type"):
        expected = kind.removesuffix("_type").replace("string", "str")
        hint = ""
        if expected == "str" and isinstance(value, int | float) and not isinstance(value, bool):
            hint = f" (YAML reads {value!r} as a number; write it in quotes: '{value}')"
        elif expected == "int" and isinstance(value, float) and value.is_integer():
            hint = f" (write it without decimals: {int(value)})"
        return key, f"expected {expected}, found {value!r}{hint}"
    return key, str(error["msg"]).removeprefix("Value error, ")


def check(notebook: str, parameters: dict[str, Any]) -> _Parameters:
    """Validate the parameters given to one notebook; return its model with the defaults filled in.

    Parameters
    ----------
    notebook
        The notebook's name, a key of :data:`MODELS`.
    parameters
        The parameters given (names of the notebook's parameters cell).

    Raises
    ------
    ParameterError
        One line per problem: the parameter, the value and, where there is one, the nearest valid value.
    KeyError
        If ``notebook`` has no model.
    """
    model = MODELS[notebook]
    try:
        return model.model_validate(parameters)
    except ValidationError as e:
        raise ParameterError(list(dict.fromkeys(_explain(err, model) for err in e.errors()))) from None


_CELL_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


def _base_type(annotation: Any) -> type | None:
    """The type a notebook cell can write for a model annotation: list[int] -> list, Literal['a'] -> str."""
    origin = get_origin(annotation)
    if origin is Literal:
        kinds = {type(a) for a in get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin in (list, dict):
        return origin
    return annotation if isinstance(annotation, type) else None


def cell_disagreements(notebook_path: str | Path, model: type[_Parameters]) -> list[str]:
    """Where a notebook's parameters cell and its model differ in names, types or defaults; empty when they agree.

    Reads the cell with papermill's inspection (what ``papermill --help-notebook`` shows). A cell parameter
    without a type annotation or a trailing comment is reported too.
    """
    import ast

    import papermill

    declared = papermill.inspect_notebook(str(notebook_path))
    out = []
    for name in sorted(set(declared) - set(model.model_fields)):
        out.append(f"{name}: in the cell, not in the model")
    for name in sorted(set(model.model_fields) - set(declared)):
        out.append(f"{name}: in the model, not in the cell")
    for name in sorted(set(declared) & set(model.model_fields)):
        cell = declared[name]
        field = model.model_fields[name]
        cell_type = _CELL_TYPES.get(cell["inferred_type_name"])
        if cell_type is None:
            out.append(f"{name}: the cell gives no type ({cell['inferred_type_name']})")
        elif _base_type(field.annotation) is not cell_type:
            out.append(
                f"{name}: type {cell['inferred_type_name']} in the cell, {field.annotation} in the model"
            )
        if not cell.get("help"):
            out.append(f"{name}: no trailing comment in the cell")
        try:
            cell_default = ast.literal_eval(cell["default"])
        except (ValueError, SyntaxError):
            out.append(f"{name}: the cell's default {cell['default']} is not a literal")
            continue
        default = field.get_default(call_default_factory=True)
        if cell_default != default or type(cell_default) is not type(default):
            out.append(f"{name}: default {cell_default!r} in the cell, {default!r} in the model")
    return out
