"""Read the price-and-wage index (P/L) of municipal service expenditure from ``parameters/price_index.yaml``.

A thin reader: it checks the file and turns its yearly growth rates into an index chain; applying the index is
:mod:`analysis.prices`. The file's comments say where the official figures come from and how to replace them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data.yamlfiles import read_yaml_mapping, refuse_unknown_keys, shown_text
from analysis.errors import ConfigurationError
from analysis.paths import parameters_dir

__all__ = ["PriceIndex", "default_path", "read_price_index"]


@dataclass(frozen=True)
class PriceIndex:
    """A price-and-wage index read from a file.

    Attributes
    ----------
    name : str
        Its name, in Danish (shown in reports).
    source : str
        Where its figures come from, in Danish (shown in reports).
    index : pandas.Series
        Index values by year (int), 100.0 in the file's ``first_year``.
    path : pathlib.Path
        The file read.
    """

    name: str
    source: str
    index: pd.Series
    path: Path


#: A growth rate whose size is below this (per cent) and not 0 is taken for a fraction written where per cent are
#: meant (0.025 for 2.5 %): refused, since read as per cent it would restate the years by almost nothing.
_FRACTION_BELOW = 0.2


def default_path() -> Path:
    """``parameters/price_index.yaml`` of the project."""
    return parameters_dir() / "price_index.yaml"


def read_price_index(path: str | Path | None = None) -> PriceIndex:
    """Read a price-index file: ``name``, ``source``, ``first_year`` and ``growth_percent`` by later year.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The YAML file; default :func:`default_path`.

    Returns
    -------
    PriceIndex
        The index chained from the growth rates: 100 in ``first_year``, then ``x (1 + growth / 100)`` a year.

    Raises
    ------
    ConfigurationError
        If the file is missing or not YAML, a key is missing, a growth rate is not a number (or below -50 %), a rate
        is not 0 but below 0.2 in size (a fraction, 0.025, where per cent, 2.5, are meant), or a year between
        ``first_year`` and the last year listed has no rate (each named, with the file).
    """
    path = Path(path) if path is not None else default_path()
    data = read_yaml_mapping(path, "price index", expected="keys name, source, first_year, growth_percent")
    refuse_unknown_keys(path, data, ("name", "source", "first_year", "growth_percent"))
    missing = [k for k in ("name", "source", "first_year", "growth_percent") if k not in data]
    if missing:
        raise ConfigurationError(f"{path}: missing key(s) {', '.join(missing)}")
    first = data["first_year"]
    if not isinstance(first, int) or isinstance(first, bool):
        raise ConfigurationError(f"{path}: first_year must be a year such as 2018, found {first!r}")
    growth = data["growth_percent"]
    if not isinstance(growth, dict) or not growth:
        raise ConfigurationError(f"{path}: growth_percent must map years to per cent, e.g. 2019: 3.0")
    rates: dict[int, float] = {}
    for year, rate in growth.items():
        try:
            year_int = int(year)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{path}: growth_percent: {year!r} is not a year") from None
        if (
            isinstance(rate, bool)
            or not isinstance(rate, int | float)
            or not math.isfinite(rate)
            or rate <= -50
        ):
            raise ConfigurationError(
                f"{path}: growth_percent {year_int}: expected a per cent such as 3.0, found {rate!r}"
            )
        if year_int <= first:
            raise ConfigurationError(
                f"{path}: growth_percent {year_int}: years must come after first_year {first}"
            )
        rates[year_int] = float(rate)
    small = {y: r for y, r in rates.items() if r != 0 and abs(r) < _FRACTION_BELOW}
    if small:
        year_int, rate = next(iter(small.items()))
        raise ConfigurationError(
            f"{path}: growth_percent {year_int}: {rate!r} reads as {rate:g} % a year, and as {rate * 100:g} % if it is "
            f"a fraction; growth_percent is in per cent: write {rate * 100:g} for {rate * 100:g} %"
            + (f" ({len(small)} rates of the file are below {_FRACTION_BELOW:g})" if len(small) > 1 else "")
            + f". No price and wage development of municipal services has been below {_FRACTION_BELOW:g} % a year"
        )
    last = max(rates)
    gaps = [y for y in range(first + 1, last + 1) if y not in rates]
    if gaps:
        raise ConfigurationError(f"{path}: growth_percent has no rate for {', '.join(map(str, gaps))}")
    values = {first: 100.0}
    for year in range(first + 1, last + 1):
        values[year] = values[year - 1] * (1 + rates[year] / 100)
    index = pd.Series(values, name="index")
    index.index.name = "year"
    return PriceIndex(
        name=shown_text(path, "name", data["name"]),
        source=shown_text(path, "source", data["source"]),
        index=index,
        path=path,
    )
