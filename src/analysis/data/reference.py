"""Reference lists shipped with the package: the 98 municipalities and the function areas of 5.38 and 5.28.

Both are small CSV files in ``analysis/data/reference/`` (``;``-separated, UTF-8, ``#`` comment lines on top).
"""

from __future__ import annotations

import difflib
import io
import re
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
    "municipality_code_of",
    "municipality_named",
    "not_a_municipality",
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


#: Statistics Denmark's area codes that are not municipalities: the regions and the municipality groups.
REGION_CODES = {
    81: "Region Nordjylland",
    82: "Region Midtjylland",
    83: "Region Syddanmark",
    84: "Region Hovedstaden",
    85: "Region Sjælland",
}
GROUP_CODES = {
    910: "Hovedstadskommuner",
    920: "Storbykommuner",
    930: "Provinsbykommuner",
    940: "Oplandskommuner",
    960: "Landkommuner",
}
_COUNTRY_NAMES = ("hele landet", "danmark", "denmark", "all denmark")
#: Former names of municipalities since the 2007 reform (Statistics Denmark's tables use the current ones).
FORMER_NAMES = {"århus": 751, "brønderslev-dronninglund": 810, "frederiksværk-hundested": 260}


def municipality_code_of(value: object) -> int | None:
    """The municipality code ``value`` is, or None: a code (706), its digits as text ('706', '0706', the 4-digit form).

    A name is no code (``'Syddjurs'`` -> None: :func:`not_a_municipality` says which code it has), nor is a bool.

    >>> municipality_code_of(706), municipality_code_of("0706"), municipality_code_of(7060), municipality_code_of(True)
    (706, 706, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*0?\d{3}\s*", value):
        value = int(value)
    if isinstance(value, int) and value in _codes():
        return value
    return None


def municipality_named(name: str) -> int | None:
    """The code of the municipality of this name (its name, official name or a former name, any case), or None.

    >>> municipality_named("Syddjurs Kommune"), municipality_named("Århus"), municipality_named("Sydjurs")
    (706, 751, None)
    """
    key = _fold(name)
    return _by_name().get(key, FORMER_NAMES.get(key))


@cache
def _codes() -> dict[int, str]:
    ref = _municipalities()
    return dict(zip(ref["municipality_code"], ref["municipality"], strict=True))


@cache
def _by_name() -> dict[str, int]:
    ref = _municipalities()
    names = {}
    for code, name, official in zip(
        ref["municipality_code"], ref["municipality"], ref["official_name"], strict=True
    ):
        names[_fold(name)] = int(code)
        names[_fold(official)] = int(code)
    return names


def _fold(name: str) -> str:
    text = re.sub(r"\s+", " ", str(name)).strip().casefold()
    return re.sub(r"s?\s+(kommune|regionskommune)$", "", text) if text not in ("københavn",) else text


def _one_digit_apart(a: str, b: str) -> bool:
    """Whether two digit strings differ by one digit added, left out, changed, or two neighbours swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _common_start(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _listed(codes: list[int]) -> str:
    named = [f"{c} {_codes()[c]}" for c in codes]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]


def not_a_municipality(value: object, *, selectors: bool = False) -> str:
    """Why ``value`` is not one of the 98 municipality codes, with what was probably meant.

    Codes are suggested by their digits (one digit added, left out, changed or swapped: 7060 -> 706 Syddjurs, never
    the nearest number), names by their spelling with their code; a region, a municipality group or the whole
    country is named as what it is. ``selectors``: also say how a batch selects a region, a group or all.

    >>> not_a_municipality(7060)
    'unknown municipality code 7060 (did you mean 706 Syddjurs or 760 Ringkøbing-Skjern?)'
    >>> not_a_municipality("Syddjurs")
    "'Syddjurs' is the name of municipality 706; write its code: 706"
    >>> not_a_municipality("Sydjurs")
    "unknown municipality 'Sydjurs': expected a municipality code (did you mean 706 Syddjurs?)"
    """
    if isinstance(value, bool):
        return (
            f"expected a municipality code such as 706, found {value} (YAML reads yes, no, on and off as true or "
            "false)"
        )
    if isinstance(value, float) and not value.is_integer():
        return f"expected a municipality code such as 706 (a whole number), found {value}"
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        value = int(value)
    if isinstance(value, float):
        value = int(value)
    if isinstance(value, int):
        if value == 0:
            return "0 is the whole country (Hele landet), not a municipality" + (
                "; write 'all' for every municipality" if selectors else ""
            )
        if value in REGION_CODES:
            region = REGION_CODES[value]
            return f"{value} is the code of {region}, not of a municipality" + (
                f"; write {{region: {region.removeprefix('Region ')}}} for its municipalities"
                if selectors
                else ""
            )
        if value in GROUP_CODES:
            group = GROUP_CODES[value]
            return f"{value} is the code of the municipality group {group}, not of a municipality" + (
                f"; write {{group: {group}}} for its municipalities" if selectors else ""
            )
        near = sorted(  # those sharing the most leading digits first (7060: 706 before 760), then the nearest
            (c for c in _codes() if _one_digit_apart(str(value), str(c))),
            key=lambda c: (-_common_start(str(value), str(c)), abs(c - value), c),
        )
        if near:
            return f"unknown municipality code {value} (did you mean {_listed(near[:3])}?)"
        return f"unknown municipality code {value}: no municipality's code is one digit from it (the codes run 101-860)"
    if isinstance(value, str):
        key = _fold(value)
        if key in _by_name():
            code = _by_name()[key]
            return f"{value!r} is the name of municipality {code}; write its code: {code}"
        if key in FORMER_NAMES:
            code = FORMER_NAMES[key]
            return (
                f"{value!r} is a former name of municipality {code} {_codes()[code]}; write its code: {code}"
            )
        region = next(
            (r for r in REGION_CODES.values() if key in (r.casefold(), r.casefold().removeprefix("region "))),
            None,
        )
        if region is not None:
            return f"{value!r} is a region, not a municipality" + (
                f"; write {{region: {region.removeprefix('Region ')}}} for its municipalities"
                if selectors
                else ""
            )
        group = next((g for g in GROUP_CODES.values() if key == g.casefold()), None)
        if group is not None:
            return f"{value!r} is a municipality group, not a municipality" + (
                f"; write {{group: {group}}} for its municipalities" if selectors else ""
            )
        if key in _COUNTRY_NAMES:
            return f"{value!r} is the whole country, not a municipality" + (
                "; write 'all' for every municipality" if selectors else ""
            )
        near = difflib.get_close_matches(key, list(_by_name()), n=3, cutoff=0.75)
        near += [n for n in _by_name() if key in re.split(r"[- ]", n)]  # 'Lyngby' for Lyngby-Taarbæk
        codes = list(dict.fromkeys(_by_name()[n] for n in near))[:3]
        hint = f" (did you mean {_listed(codes)}?)" if codes else ""
        return f"unknown municipality {value!r}: expected a municipality code{hint}"
    return f"expected a municipality code such as 706, found {value!r}"
