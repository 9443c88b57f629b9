"""Reference lists shipped with the package: the 98 municipalities and the function areas of main function 5.38.

Both are small CSV files in ``analysis/data/reference/`` (``;``-separated, UTF-8, ``#`` comment lines on top).
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

import pandas as pd

__all__ = ["function_areas", "municipalities"]


def _read(name: str) -> pd.DataFrame:
    text = resources.files("analysis.data").joinpath(f"reference/{name}").read_text("utf-8")
    return pd.read_csv(io.StringIO(text), sep=";", comment="#", dtype=str, keep_default_na=False)


@cache
def _municipalities() -> pd.DataFrame:
    df = _read("municipalities.csv")
    for col in ("municipality_code", "population_2024"):
        df[col] = df[col].astype(int)
    for col in ("area_km2", "socioeconomic_index"):
        df[col] = df[col].astype(float)
    return df


def municipalities() -> pd.DataFrame:
    """The 98 municipalities.

    Columns: municipality_code (int), municipality, region (e.g. 'Region Midtjylland'), municipality_group
    (Statistics Denmark's kommunegruppe), population_2024 (residents, rounded), area_km2 (km², rounded),
    socioeconomic_index (1.0 = national average; illustrative).
    """
    return _municipalities().copy()


@cache
def _function_areas() -> pd.DataFrame:
    return _read("function_areas.csv")


def function_areas() -> pd.DataFrame:
    """The function areas of main function 5.38: function_code ('5.38.50'), name (Danish), paragraph, paragraphs."""
    return _function_areas().copy()
