"""Read an offer description (YAML, e.g. ``parameters/offers/example-offer.yaml``) for the managers' tools.

A thin reader: it checks the file against a typed model and hands the figures to :mod:`analysis.managers` as
numbers and frames. Every problem is refused with the file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.data import reference
from analysis.data.yamlfiles import read_yaml_mapping, safe_load, yaml_text
from analysis.errors import InputError

__all__ = ["Offer", "offer_file_for", "read_offer"]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff_group: str = Field(min_length=1)
    hourly_cost_dkk: float = Field(gt=0)
    paid_hours_per_week: float = Field(ge=0)
    planned_hours_per_week: float = Field(ge=0)


class _Level(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: str = Field(min_length=1)
    hours_per_week: float = Field(ge=0)


class _Residents(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: str
    residents: float = Field(ge=0)


class _Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    from_level: str | None = None
    to_level: str | None = None
    count: int = Field(1, ge=1)


class _Allocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hourly_rate_dkk: float = Field(gt=0)
    overhead_share: float = Field(0.0, ge=0)
    overhead_per_resident_dkk: float = Field(0.0, ge=0)
    levels: list[_Level] = Field(min_length=1)
    residents: list[_Residents] = Field(default_factory=list)
    residents_by_month: dict[str, list[float]] = Field(default_factory=dict)
    scenarios: list[_Scenario] = Field(default_factory=list)


class _Offer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offer: str = Field(min_length=1)
    example: bool = False
    municipality_code: int
    year: int = Field(ge=2000, le=2100)
    wage_budget_dkk: float = Field(gt=0)
    lost_share: float = Field(ge=0, lt=1)
    holiday_weeks: dict[int, float] = Field(default_factory=dict)
    substitute_hourly_cost_dkk: float = Field(gt=0)
    staff_groups: list[_Group] = Field(min_length=1)
    allocation: _Allocation | None = None

    @field_validator("municipality_code", mode="before")
    @classmethod
    def _a_municipality(cls, v: object) -> object:
        if isinstance(v, int) and not isinstance(v, bool) and reference.municipality_code_of(v) is None:
            raise ValueError(reference.not_a_municipality(v))
        return v


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model whose keys are at ``loc`` (the location of an unknown key, without the key itself)."""
    model: type[BaseModel] | None = _Offer
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        found = None
        for candidate in (annotation, *typing.get_args(annotation)):
            for inner in (candidate, *typing.get_args(candidate)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    found = inner
        model = found
    return model


def _unknown_key(loc: tuple) -> str:
    """'unknown key (did you mean 'x'?); keys: ...' for a key no model of the file has."""
    model = _model_at(loc[:-1])
    valid = list(model.model_fields) if model is not None else []
    near = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return f"unknown key{hint}" + (f"; keys: {', '.join(valid)}" if valid else "")


@dataclass(frozen=True)
class Offer:
    """An offer as the managers' tools take it: figures, and frames of staff groups, levels and residents."""

    offer: str
    example: bool
    municipality_code: int
    year: int
    wage_budget_dkk: float
    lost_share: float
    holiday_weeks: dict[int, float]
    substitute_hourly_cost_dkk: float
    groups: pd.DataFrame
    hourly_rate_dkk: float | None
    overhead_share: float
    overhead_per_resident_dkk: float
    levels: pd.DataFrame
    residents: pd.DataFrame
    residents_by_month: pd.DataFrame
    scenarios: list[dict]


def _check_weeks(path: Path, year: int, weeks: dict[int, float]) -> None:
    """Refuse a holiday week the 52-week plan cannot hold, saying why (week 53 of a year that has one, too).

    The managers' plan spreads the year's pay and hours over 52 weeks (:data:`analysis.managers.WEEKS`). ISO week 53
    (in 2020, 2026, 2032 ...: the week of 28 December to 3 January) is a real week, so it is not refused as "not a
    week": the message says that the plan has no place for it, and where its days lie, rather than moving its share
    to another week without a word.
    """
    import datetime as dt

    for week in weeks:
        if week == 53:
            has_53 = dt.date(year, 12, 28).isocalendar()[1] == 53
            if has_53:
                start = dt.date.fromisocalendar(year, 53, 1)
                end = start + dt.timedelta(days=6)
                raise InputError(
                    f"{path}: holiday_weeks: 53: {year} has an ISO week 53 ({start:%d-%m-%Y} to {end:%d-%m-%Y}), but "
                    "the plan has 52 weeks (the year's pay and hours spread over 52 weeks, "
                    "analysis.managers.WEEKS); give the share of those days under week 52 or week 1, as the roster "
                    "counts them"
                )
            raise InputError(f"{path}: holiday_weeks: 53: {year} has no week 53 (its ISO weeks are 1-52)")
        if not 1 <= week <= 52:
            raise InputError(f"{path}: holiday_weeks: expected week numbers 1-52, found {week!r}")


def read_offer(path: str | Path) -> Offer:
    """Read and check an offer file.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Raises
    ------
    InputError
        For a missing file, bad YAML, an unknown or missing key, or a value of the wrong kind, naming the file and
        the key.
    """
    path = Path(path)
    data = read_yaml_mapping(
        path, "offer", expected="keys such as offer, wage_budget_dkk, staff_groups", error=InputError
    )
    try:
        o = _Offer.model_validate(data)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":  # "Extra inputs are not permitted, found <its whole value>"
                lines.append(f"{path}: {key}: {_unknown_key(tuple(err['loc']))}")
                continue
            found = "" if err["type"] == "missing" else f", found {err.get('input')!r}"
            lines.append(f"{path}: {key}: {err['msg'].removeprefix('Value error, ')}{found}")
        raise InputError("\n".join(lines)) from None
    _check_weeks(path, o.year, o.holiday_weeks)
    groups = pd.DataFrame([g.model_dump() for g in o.staff_groups])
    a = o.allocation
    levels = (
        pd.DataFrame([lv.model_dump() for lv in a.levels])
        if a
        else pd.DataFrame(columns=["level", "hours_per_week"])
    )
    residents = (
        pd.DataFrame([r.model_dump() for r in a.residents], columns=["level", "residents"])
        if a
        else pd.DataFrame(columns=["level", "residents"])
    )
    by_month = pd.DataFrame(columns=["month", "level", "residents"])
    if a is not None and a.residents_by_month:
        for level, values in a.residents_by_month.items():
            if len(values) != 12 or any(v < 0 for v in values):
                raise InputError(
                    f"{path}: allocation.residents_by_month.{level}: expected 12 numbers >= 0 (January-December), "
                    f"found {values}"
                )
        by_month = pd.DataFrame(
            [
                {"month": m, "level": level, "residents": float(v)}
                for level, values in a.residents_by_month.items()
                for m, v in enumerate(values, start=1)
            ]
        )
    if a is not None:
        unknown = sorted((set(residents.level) | set(by_month.level)) - set(levels.level))
        if unknown:
            raise InputError(
                f"{path}: allocation: residents of unknown levels {unknown}; levels: {levels.level.tolist()}"
            )
    return Offer(
        offer=o.offer,
        example=o.example,
        municipality_code=o.municipality_code,
        year=o.year,
        wage_budget_dkk=o.wage_budget_dkk,
        lost_share=o.lost_share,
        holiday_weeks=dict(o.holiday_weeks),
        substitute_hourly_cost_dkk=o.substitute_hourly_cost_dkk,
        groups=groups,
        hourly_rate_dkk=a.hourly_rate_dkk if a else None,
        overhead_share=a.overhead_share if a else 0.0,
        overhead_per_resident_dkk=a.overhead_per_resident_dkk if a else 0.0,
        levels=levels,
        residents=residents,
        residents_by_month=by_month,
        scenarios=[s.model_dump() for s in a.scenarios] if a else [],
    )


def offer_file_for(offer_file: str, municipality_code: int, root: str | Path | None = None) -> str:
    """The offer file a report of ``municipality_code`` reads: ``offer_file`` itself, or its folder's one offer.

    A batch renders the staffing report once per municipality; naming a folder of offer files (e.g.
    ``parameters/offers``) lets one batch render one report per offer, each municipality's report reading the
    file whose ``municipality_code`` is that municipality.

    Parameters
    ----------
    offer_file : str
        An offer file, or a folder of offer files (``*.yaml``), as given to the report (relative to ``root``).
    municipality_code : int
        The municipality the report is for.
    root : str or Path, optional
        The folder ``offer_file`` is relative to (the project folder); default the current folder.

    Returns
    -------
    str
        ``offer_file`` when it is a file; else the folder's file for the municipality, written as
        ``offer_file`` + '/' + its name (so that the report names it as the user would).

    Raises
    ------
    InputError
        When the folder holds no offer of the municipality, or several (naming them), or a file that is not YAML.
    """
    folder = Path(root or ".") / offer_file
    if not folder.is_dir():
        return offer_file
    found = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = safe_load(yaml_text(path), path.name)
        except yaml.YAMLError as e:
            raise InputError(f"{path}: not valid YAML: {e}") from None
        if isinstance(data, dict) and data.get("municipality_code") == municipality_code:
            found.append(path.name)
    if len(found) != 1:
        what = "no offer file" if not found else f"{len(found)} offer files ({', '.join(found)})"
        raise InputError(
            f"{offer_file}: {what} of municipality {municipality_code}; the staffing report needs exactly one "
            "(name the file itself to choose)"
        )
    return f"{offer_file.rstrip('/')}/{found[0]}"
