"""Read the thresholds of the area report from ``parameters/``: § 176 refund tiers and recommendation sizes.

Thin readers: they check the files and return plain values; applying them is :mod:`analysis.expensive_cases` and
:func:`analysis.area.classify`. The files' comments say where the figures come from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from analysis.data.yamlfiles import read_yaml_mapping, refuse_unknown_keys, shown_text
from analysis.errors import ConfigurationError
from analysis.paths import parameters_dir

__all__ = ["RefundTiers", "read_recommendation_sizes", "read_refund_tiers"]


@dataclass(frozen=True)
class RefundTiers:
    """The § 176 refund scheme read from a file.

    Attributes
    ----------
    name, source : str
        What it is and where its amounts come from, in Danish (shown in reports).
    level_year : int
        The year whose amount level the thresholds are in.
    tiers : tuple of (float, float)
        (threshold in DKK a year, refund rate 0-1), thresholds strictly rising.
    expensive_threshold_dkk : float
        A person's yearly cost above which the case counts as particularly expensive, DKK.
    path : pathlib.Path
        The file read.
    """

    name: str
    source: str
    level_year: int
    tiers: tuple[tuple[float, float], ...]
    expensive_threshold_dkk: float
    path: Path


def _number(path: Path, key: str, value: object, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigurationError(
            f"{path}: {key}: expected a number from {low:g} to {high:g}, found {value!r}"
        )
    return float(value)


def read_refund_tiers(path: str | Path | None = None) -> RefundTiers:
    """Read ``parameters/refund_thresholds.yaml`` (or ``path``).

    Raises
    ------
    ConfigurationError
        If the file is missing or not YAML, a key is missing, a threshold or rate is not a number in range, or the
        thresholds do not rise strictly (named, with the file).
    """
    path = Path(path) if path is not None else parameters_dir() / "refund_thresholds.yaml"
    data = read_yaml_mapping(path, "refund thresholds")
    keys = ("name", "source", "level_year", "tiers", "expensive_threshold_dkk")
    refuse_unknown_keys(path, data, keys)
    missing = [k for k in keys if k not in data]
    if missing:
        raise ConfigurationError(f"{path}: missing key(s) {', '.join(missing)}")
    if not isinstance(data["tiers"], list) or not data["tiers"]:
        raise ConfigurationError(f"{path}: tiers must be a list of {{threshold_dkk, rate}}")
    tiers = []
    for i, tier in enumerate(data["tiers"], start=1):
        if isinstance(tier, dict):
            refuse_unknown_keys(path, tier, ("threshold_dkk", "rate"), where=f"tiers item {i}")
        if not isinstance(tier, dict) or set(tier) != {"threshold_dkk", "rate"}:
            raise ConfigurationError(
                f"{path}: tiers item {i}: expected threshold_dkk and rate, found {tier!r}"
            )
        tiers.append(
            (
                _number(path, f"tiers item {i} threshold_dkk", tier["threshold_dkk"]),
                _number(path, f"tiers item {i} rate", tier["rate"], 0.0, 1.0),
            )
        )
    thresholds = [t for t, _ in tiers]
    if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
        raise ConfigurationError(f"{path}: tiers: thresholds must rise strictly, found {thresholds}")
    level = data["level_year"]
    if isinstance(level, bool) or not isinstance(level, int):
        raise ConfigurationError(f"{path}: level_year must be a year such as 2022, found {level!r}")
    return RefundTiers(
        name=shown_text(path, "name", data["name"]),
        source=shown_text(path, "source", data["source"]),
        level_year=level,
        tiers=tuple(tiers),
        expensive_threshold_dkk=_number(path, "expensive_threshold_dkk", data["expensive_threshold_dkk"]),
        path=path,
    )


def read_recommendation_sizes(path: str | Path | None = None) -> dict[str, float]:
    """Read ``parameters/recommendations.yaml`` (or ``path``): ``medium_share`` and ``high_share`` (0-1).

    Raises
    ------
    ConfigurationError
        If the file is missing or not YAML, a key is missing, a share is outside 0-1, or medium_share is above
        high_share.
    """
    path = Path(path) if path is not None else parameters_dir() / "recommendations.yaml"
    data = read_yaml_mapping(path, "recommendation sizes")
    refuse_unknown_keys(path, data, ("medium_share", "high_share"))
    missing = [k for k in ("medium_share", "high_share") if k not in data]
    if missing:
        raise ConfigurationError(f"{path}: missing key(s) {', '.join(missing)}")
    sizes = {k: _number(path, k, data[k], 0.0, 1.0) for k in ("medium_share", "high_share")}
    if sizes["medium_share"] > sizes["high_share"]:
        raise ConfigurationError(
            f"{path}: medium_share {sizes['medium_share']:g} is above high_share {sizes['high_share']:g}"
        )
    return sizes
