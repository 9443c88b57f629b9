"""Read the average unit costs of services that are not CPR-registered (``parameters/unit_costs.yaml``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data.yamlfiles import read_yaml_mapping
from analysis.errors import ConfigurationError
from analysis.paths import parameters_dir

__all__ = ["UNIT_COSTS_FILE", "read_unit_costs"]

#: The file's name in ``parameters/``.
UNIT_COSTS_FILE = "unit_costs.yaml"


def read_unit_costs(path: str | Path | None = None) -> pd.DataFrame:
    """Average unit costs of services that are not CPR-registered, from a YAML parameter file.

    The file maps each measure (as named in the cases) to ``dkk_per_month`` and ``source`` (where the figure
    comes from or what it assumes)::

        Støtte- og kontaktperson:
          dkk_per_month: 5000
          source: "5.38.53 §99: national price 60.000 kr. per full-year person / 12"

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The file; by default ``parameters/unit_costs.yaml`` of the project (empty text counts as the default).

    Returns
    -------
    pandas.DataFrame
        Indexed by measure: dkk_per_month (DKK per month), source (text).

    Raises
    ------
    ConfigurationError
        When the file is missing or is not a mapping, or an entry lacks a positive ``dkk_per_month``.
    """
    path = parameters_dir() / UNIT_COSTS_FILE if path is None or str(path) == "" else Path(path)
    data = read_yaml_mapping(
        path, "unit-cost", expected="measures mapped to dkk_per_month and source", empty={}
    )
    rows = []
    for measure, entry in data.items():
        entry = entry if isinstance(entry, dict) else {"dkk_per_month": entry}
        value = entry.get("dkk_per_month")
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigurationError(
                f"{path}: {measure}: dkk_per_month must be a positive amount (DKK per month), found {value!r}"
            )
        rows.append(
            {"measure": str(measure), "dkk_per_month": float(value), "source": str(entry.get("source", ""))}
        )
    return pd.DataFrame(rows, columns=["measure", "dkk_per_month", "source"]).set_index("measure")
