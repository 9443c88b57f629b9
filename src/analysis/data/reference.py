"""Reference lists shipped with the package: the 98 municipalities and the function areas of 5.38 and 5.28.

Both are small CSV files in ``analysis/data/reference/`` (``;``-separated, UTF-8, ``#`` comment lines on top).
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

import pandas as pd

from analysis.errors import InputError

__all__ = [
    "DEFAULT_MAIN_FUNCTION",
    "MAIN_FUNCTIONS",
    "function_areas",
    "main_function_of",
    "municipalities",
    "official_name",
    "official_names",
]

#: The main functions whose areas the workbench knows, with their Danish names (the chart of accounts).
MAIN_FUNCTIONS = {
    "5.38": "Tilbud til voksne med særlige behov",
    "5.28": "Tilbud til børn og unge med særlige behov",
}
#: The main function meant where none is named (``function_areas: all`` of a batch, the area report's default).
DEFAULT_MAIN_FUNCTION = "5.38"


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
    socioeconomic_index (1.0 = national average; illustrative), official_name (the name used in running text:
    'Københavns Kommune', 'Bornholms Regionskommune', 'Syddjurs Kommune').
    """
    return _municipalities().copy()


def official_names() -> dict[int, str]:
    """The official name of every municipality by code, e.g. ``{101: 'Københavns Kommune', ...}``."""
    ref = _municipalities()
    return dict(zip(ref["municipality_code"], ref["official_name"], strict=True))


def official_name(code: int) -> str:
    """The official name of one municipality, e.g. ``official_name(400) == 'Bornholms Regionskommune'``.

    Raises
    ------
    InputError
        If ``code`` is not one of the 98 municipality codes.
    """
    names = official_names()
    try:
        return names[int(code)]
    except (KeyError, TypeError, ValueError):
        raise InputError(
            f"unknown municipality code {code!r}: expected one of the 98 codes, e.g. 101"
        ) from None


@cache
def _function_areas() -> pd.DataFrame:
    return _read("function_areas.csv")


def main_function_of(function_code: str) -> str:
    """The main function of a function code: ``main_function_of('5.28.22') == '5.28'``."""
    return ".".join(str(function_code).split(".")[:2])


def function_areas(main_function: str | None = None) -> pd.DataFrame:
    """The function areas of main functions 5.38 and 5.28 (:data:`MAIN_FUNCTIONS`), 5.38 first.

    Columns: function_code ('5.38.50'), name (Danish), paragraph (the main section: '§108' of serviceloven, 'BL §43'
    of barnets lov), paragraphs (all sections the area covers).

    Parameters
    ----------
    main_function : str, optional
        Only the areas of this main function, e.g. '5.28'; default all.

    Raises
    ------
    InputError
        For a main function that is not one of :data:`MAIN_FUNCTIONS`.
    """
    areas = _function_areas()
    if main_function is None:
        return areas.copy()
    if main_function not in MAIN_FUNCTIONS:
        raise InputError(
            f"unknown main function {main_function!r}: expected one of {', '.join(MAIN_FUNCTIONS)}"
        )
    keep = areas["function_code"].map(main_function_of) == main_function
    return areas[keep].reset_index(drop=True)
