"""Statistics Denmark's Statistikbank: a small client for its API, a reader for what it returns, and loaders.

The API
-------
:class:`Client` posts to the API's ``tableinfo`` and ``data`` endpoints (``https://api.statbank.dk/v1`` unless
``ANALYSIS_STATBANK_URL`` or ``base_url`` names another, e.g. a local server that replays recorded responses in
tests). Before asking for data it checks the table's variables and value codes against ``tableinfo``, so that a
typo gets a message naming the table, the variable and the nearest valid one rather than an HTTP 400.

>>> client = Client()                                                        # doctest: +SKIP
>>> text = client.data("FOLK1A", {"OMRÅDE": "*", "ALDER": "*", "Tid": "2025K1"})  # doctest: +SKIP
>>> client.download("REGK31", {...}, "regk31.csv")                          # doctest: +SKIP

What the API returns
--------------------
:func:`read` turns a response (a file, its text or bytes) into a tidy DataFrame, one row per observation:

``CSV`` and ``BULK``
    ``;``-separated, UTF-8 (CSV with a byte-order mark), a header line with the variables' ids (``OMRÅDE;FUNKTION;
    ...;TID;INDHOLD``), values as labels (``valuePresentation=Value``, the default: "København", "5.38.50 Botilbud
    til længerevarende ophold") or codes (``Code``: 101, 53850), decimal commas in Danish (``lang=da``), ``..`` for
    a missing or suppressed value.
``JSONSTAT``
    JSON-stat (version 1, the ``dataset`` object; version 2 is read too), which has codes and labels.

Columns of the result: ``municipality_code`` (Statistics Denmark's area code as an integer: a municipality's
3-digit code, 0 for the whole country, 81-85 for the regions) and ``area_level`` (``municipality``, ``region``,
``country``, ``landsdel`` or ``other``, e.g. Christiansø) from ``OMRÅDE``; ``function_code`` ('5.38.50', or '5.38'
for a main function, empty for a total) from ``FUNKTION``; ``period`` (a pandas Period: 2024, 2024Q1, 2024-01 from
the time codes 2024, 2024K1, 2024M01) from ``TID``; ``value`` (float, NaN for ``..``) from ``INDHOLD``; every other
variable as a lower-case column with the text as given (e.g. ``dranst``, ``art``, ``prisenhed``, ``alder``).

Into the warehouse
------------------
:func:`to_accounts` (REGK31), :func:`to_budgets` (BUDK32), :func:`to_municipalities` (FOLK1A) and
:func:`to_activity` (a table of recipients of social services by type of service, a "HAND" table) make
warehouse rows; :func:`load` reads a file and loads it (see :mod:`analysis.data.loads`). What each table can and
cannot fill is said in their docstrings and in ``docs/own-data.md``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analysis.data import loads, reference
from analysis.data.loads import LoadResult, function_code
from analysis.data.schema import SchemaError
from analysis.errors import DataError

__all__ = [
    "BASE_URL_ENV",
    "Client",
    "Converted",
    "DEFAULT_BASE_URL",
    "StatbankError",
    "TABLES",
    "load",
    "period",
    "read",
    "to_accounts",
    "to_activity",
    "to_budgets",
    "to_municipalities",
]

DEFAULT_BASE_URL = "https://api.statbank.dk/v1"
BASE_URL_ENV = "ANALYSIS_STATBANK_URL"

#: The tables the loaders know, and the warehouse table each fills. A table id starting with HAND is read as a table
#: of recipients of social services by type of service.
TABLES = {"REGK31": "accounts", "BUDK32": "budgets", "FOLK1A": "municipalities", "HAND": "activity"}

_REGIONS = {
    "region nordjylland": 81,
    "north denmark region": 81,
    "region midtjylland": 82,
    "central denmark region": 82,
    "region syddanmark": 83,
    "region of southern denmark": 83,
    "region hovedstaden": 84,
    "capital region of denmark": 84,
    "region sjælland": 85,
    "region zealand": 85,
}
_COUNTRY = {"hele landet", "danmark", "all denmark", "denmark", "i alt", "total"}
_OTHER_AREAS = {"christiansø": 411}
_TOTALS = {"tot", "i alt", "ialt", "total", "alder i alt", "age, total", "køn i alt", "sex, total", "alle"}


class StatbankError(DataError):
    """Statistics Denmark's API could not be reached or refused a request; the message says which and why."""


# ---------------------------------------------------------------------------------------------------------------
# The client


def _near(value: str, valid: Sequence[str]) -> str:
    near = difflib.get_close_matches(value, list(valid), n=1, cutoff=0.5)
    if not near:
        near = [v for v in valid if v.casefold() == value.casefold()]
    return f" (did you mean '{near[0]}'?)" if near else ""


class Client:
    """A client for the ``tableinfo`` and ``data`` endpoints of Statistics Denmark's API (v1).

    Parameters
    ----------
    base_url : str, optional
        The API's address up to the version, e.g. ``https://api.statbank.dk/v1``; default ``ANALYSIS_STATBANK_URL``
        or that address.
    timeout : float, default 60
        Seconds to wait for an answer.
    lang : {'da', 'en'}, default 'da'
        Language of labels (and decimal commas in Danish).
    """

    def __init__(self, base_url: str | None = None, *, timeout: float = 60.0, lang: str = "da"):
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.lang = lang
        self._info: dict[str, dict] = {}

    def _post(self, endpoint: str, body: dict, table: str) -> bytes:
        url = f"{self.base_url}/{endpoint}"
        request = urllib.request.Request(
            url,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8", "Accept": "*/*"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                return response.read()
        except urllib.error.HTTPError as e:
            detail = _message(e.read())
            raise StatbankError(
                f"Statistics Denmark answered HTTP {e.code} to {endpoint} for table {table} ({url})"
                + (f": {detail}" if detail else "")
            ) from None
        except urllib.error.URLError as e:
            raise StatbankError(f"could not reach Statistics Denmark's API at {url}: {e.reason}") from None
        except TimeoutError:
            raise StatbankError(f"no answer from {url} within {self.timeout:g} s") from None

    def tableinfo(self, table: str) -> dict:
        """The table's metadata: ``id``, ``text``, ``unit``, ``variables`` (each with ``id``, ``text``, ``values``).

        Raises
        ------
        StatbankError
            When the table does not exist (or the API cannot be reached).
        """
        key = table.upper()
        if key not in self._info:
            try:
                raw = self._post("tableinfo", {"table": table, "format": "JSON", "lang": self.lang}, table)
            except StatbankError as e:
                if "HTTP 4" in str(e):
                    raise StatbankError(
                        f"Statistics Denmark has no table '{table}' (check the id on statistikbanken.dk): {e}"
                    ) from None
                raise
            self._info[key] = json.loads(raw.decode("utf-8-sig"))
        return self._info[key]

    def check(self, table: str, variables: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
        """The variables with the table's own spelling of their ids; unknown variables or value codes raise.

        Values with wildcards or ranges (``*``, ``>2018``, ``>=2018<=2024``) are passed on unchecked.

        Raises
        ------
        StatbankError
            Naming the table, the variable or value, and the nearest valid one.
        """
        info = self.tableinfo(table)
        by_id = {v["id"].casefold(): v for v in info.get("variables", [])}
        ids = [v["id"] for v in info.get("variables", [])]
        out: dict[str, list[str]] = {}
        for name, values in variables.items():
            var = by_id.get(str(name).casefold())
            if var is None:
                raise StatbankError(
                    f"table {table} has no variable '{name}'{_near(str(name), ids)}; its variables: {', '.join(ids)}"
                )
            values = [values] if isinstance(values, str) else [str(v) for v in values]
            codes = [str(v["id"]) for v in var.get("values", [])]
            for value in values:
                if re.search(r"[*<>()]", value) or not codes:
                    continue
                if value not in codes:
                    shown = ", ".join(codes[:8]) + (", ..." if len(codes) > 8 else "")
                    raise StatbankError(
                        f"table {table}, variable {var['id']} has no value '{value}'{_near(value, codes)}; "
                        f"values: {shown}"
                    )
            out[var["id"]] = values
        return out

    def data(
        self,
        table: str,
        variables: Mapping[str, str | Sequence[str]],
        *,
        format: str = "CSV",
        value_presentation: str = "Value",
        check: bool = True,
    ) -> str:
        """The table's data as text.

        Parameters
        ----------
        table
            The table id, e.g. ``REGK31``.
        variables
            Variable id -> value codes (a code, a list of codes, ``*`` for all, ``>2018`` ...). BULK needs a value
            for every variable.
        format
            ``CSV``, ``BULK`` or ``JSONSTAT``.
        value_presentation
            ``Value`` (labels), ``Code`` or ``CodeAndValue``.
        check
            Check variables and codes against ``tableinfo`` first.
        """
        if format.upper() not in ("CSV", "BULK", "JSONSTAT"):
            raise ValueError(f"format must be CSV, BULK or JSONSTAT, not {format!r}")
        chosen = (
            self.check(table, variables)
            if check
            else {k: [v] if isinstance(v, str) else list(v) for k, v in variables.items()}
        )
        body = {
            "table": table,
            "format": format.upper(),
            "lang": self.lang,
            "valuePresentation": value_presentation,
            "timeOrder": "Ascending",
            "variables": [{"code": k, "values": v} for k, v in chosen.items()],
        }
        if format.upper() in ("CSV", "BULK"):
            body["delimiter"] = "Semicolon"
        return self._post("data", body, table).decode("utf-8")

    def download(
        self, table: str, variables: Mapping[str, str | Sequence[str]], path: str | os.PathLike, **kwargs: Any
    ) -> Path:
        """Save the table's data in a file (as the API sent it, BOM included) for :func:`load`; returns the path."""
        path = Path(path)
        text = self.data(table, variables, **kwargs)
        path.write_text(text, encoding="utf-8")
        return path


def _message(raw: bytes) -> str:
    """The error message in an API error response (JSON with ``message``), else its text, shortened."""
    text = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("errorTypeCode") or text)[:300]
    return text[:300]


# ---------------------------------------------------------------------------------------------------------------
# Reading responses


@cache
def _municipality_names() -> dict[str, int]:
    ref = reference.municipalities()
    names = {
        str(n).casefold(): int(c) for n, c in zip(ref["municipality"], ref["municipality_code"], strict=True)
    }
    names["copenhagen"] = 101
    return names


@cache
def _municipality_codes() -> frozenset[int]:
    return frozenset(int(c) for c in reference.municipalities()["municipality_code"])


def _level(code: int) -> str:
    if code == 0:
        return "country"
    if 81 <= code <= 85:
        return "region"
    if code in _municipality_codes():
        return "municipality"
    if 1 <= code <= 11:
        return "landsdel"
    if code in _OTHER_AREAS.values():
        return "other"
    return ""


def _area(value: str) -> tuple[int | None, str]:
    """(area code, level) of an OMRÅDE value: a code, 'code label', or a name; ('', '') when unknown."""
    text = str(value).strip()
    m = re.match(r"^(\d{1,3})(?:\s+\S.*)?$", text)
    if m:
        code = int(m.group(1))
        level = _level(code)
        return (code, level) if level else (None, "")
    key = re.sub(r"\s+kommune$", "", text.casefold()).strip()
    if key in _COUNTRY:
        return 0, "country"
    if key in _REGIONS:
        return _REGIONS[key], "region"
    if key in _municipality_names():
        return _municipality_names()[key], "municipality"
    if key in _OTHER_AREAS:
        return _OTHER_AREAS[key], "other"
    if key.startswith("landsdel"):
        return None, "landsdel"
    return None, ""


def period(code: str) -> pd.Period | None:
    """The pandas Period of a Statistics Denmark time code, or None when it is not one.

    >>> period("2024"), period("2024K1"), period("2024M01")
    (Period('2024', 'Y-DEC'), Period('2024Q1', 'Q-DEC'), Period('2024-01', 'M'))
    >>> period("januar 2024") is None
    True
    """
    text = str(code).strip()
    if re.fullmatch(r"\d{4}", text):
        return pd.Period(text, freq="Y")
    m = re.fullmatch(r"(\d{4})[KQ]([1-4])", text)
    if m:
        return pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q")
    m = re.fullmatch(r"(\d{4})M(\d{2})", text)
    if m and 1 <= int(m.group(2)) <= 12:
        return pd.Period(f"{m.group(1)}-{m.group(2)}", freq="M")
    return None


_ROLE = {
    "område": "area",
    "omraade": "area",
    "omrade": "area",
    "region": "area",
    "area": "area",
    "kommune": "area",
    "komk": "area",
    "funktion": "function",
    "function": "function",
    "tid": "time",
    "time": "time",
    "indhold": "value",
    "content": "value",
    "value": "value",
}


def _role(name: str) -> str | None:
    return _ROLE.get(str(name).strip().casefold())


def _column_name(name: str) -> str:
    return re.sub(r"\W+", "_", str(name).strip().casefold()).strip("_")


def read(source: str | os.PathLike | bytes, *, name: str | None = None) -> pd.DataFrame:
    """A response of Statistics Denmark's API as a tidy DataFrame (see the module docstring for the columns).

    Parameters
    ----------
    source
        A file (CSV, BULK or JSON-stat, as downloaded), or the response's text or bytes.
    name
        The name used in error messages; default the file's name, else "the Statistics Denmark response".

    Returns
    -------
    pandas.DataFrame
        One row per observation; ``df.attrs["labels"]`` holds {variable column: {code: label}} when the response
        had both (JSON-stat).

    Raises
    ------
    SchemaError
        Naming the source, the row (CSV line) and the column, for a response without a value or time column, an
        unknown area name, a time code of another form or a value that is not a number.
    """
    text, name = _text(source, name)
    if text.lstrip().startswith("{"):
        raw, labels = _jsonstat(text, name)
        rows: list[int | None] = [None] * len(raw)
    else:
        (raw, rows), labels = _csv(text, name), {}
    df = _tidy(raw, name, rows)
    df.attrs["labels"] = {_column_name(k): v for k, v in labels.items() if _role(k) is None}
    df.attrs["source"] = name
    return df


def _text(source: str | os.PathLike | bytes, name: str | None) -> tuple[str, str]:
    if isinstance(source, bytes):
        return source.decode("utf-8-sig"), name or "the Statistics Denmark response"
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and len(source) < 4096
        and Path(source).suffix
        and Path(source).exists()
    ):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        raw = path.read_bytes()
        try:
            return raw.decode("utf-8-sig"), name or path.name
        except UnicodeDecodeError:
            return raw.decode("cp1252"), name or path.name
    return str(source).lstrip("\ufeff"), name or "the Statistics Denmark response"


def _csv(text: str, name: str) -> tuple[pd.DataFrame, list[int]]:
    lines = text.lstrip("\ufeff").splitlines()
    if not [ln for ln in lines if ln.strip()]:
        raise SchemaError(name, "a header line and rows of data", found_text="an empty response")
    sep = max((";", "\t", ","), key=lines[0].count)
    df, rows = loads.parse_csv("\n".join(lines), sep, name)
    roles = {c: _role(c) for c in df.columns}
    if "value" not in roles.values():
        raise SchemaError(
            name,
            "a column INDHOLD with the values (Statistics Denmark's CSV or BULK format, header line first)",
            column="INDHOLD",
            found_text=f"the columns {', '.join(df.columns)}",
        )
    if "time" not in roles.values():
        raise SchemaError(
            name, "a time column TID", column="TID", found_text=f"the columns {', '.join(df.columns)}"
        )
    return df, rows


def _jsonstat(text: str, name: str) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise SchemaError(name, "JSON-stat (valid JSON)", found_text=str(e)) from None
    ds = data.get("dataset", data) if isinstance(data, dict) else None
    if not isinstance(ds, dict) or "dimension" not in ds or "value" not in ds:
        raise SchemaError(name, "a JSON-stat dataset with 'dimension' and 'value'", found_text="other JSON")
    dims = ds["dimension"]
    ids = ds.get("id") or dims.get("id")
    sizes = ds.get("size") or dims.get("size")
    if not ids or not sizes or len(ids) != len(sizes):
        raise SchemaError(name, "JSON-stat dimension ids and sizes", found_text="none or of unequal length")
    codes, labels = [], {}
    for dim_id, size in zip(ids, sizes, strict=True):
        cat = dims[dim_id].get("category", {})
        index = cat.get("index")
        label = cat.get("label", {})
        if isinstance(index, dict):
            order = sorted(index, key=index.get)
        elif isinstance(index, list):
            order = list(index)
        else:
            order = list(label)
        if len(order) != size:
            raise SchemaError(
                name, f"{size} categories as the size says", column=dim_id, found_text=f"{len(order)}"
            )
        codes.append([str(c) for c in order])
        labels[dim_id] = {str(k): str(v) for k, v in label.items()}
    n = int(np.prod(sizes))
    values = ds["value"]
    flat = [values.get(str(i)) for i in range(n)] if isinstance(values, dict) else list(values)
    if len(flat) != n:
        raise SchemaError(
            name, f"{n} values (the product of the sizes)", column="value", found_text=str(len(flat))
        )
    grid = np.indices(sizes).reshape(len(sizes), -1)
    df = pd.DataFrame({dim_id: np.asarray(codes[k], dtype=object)[grid[k]] for k, dim_id in enumerate(ids)})
    df["INDHOLD"] = ["" if v is None else str(v) for v in flat]
    drop = [
        d for d, s in zip(ids, sizes, strict=True) if s == 1 and d.casefold() in ("contentscode", "contents")
    ]
    df = df.drop(columns=drop)
    time = (ds.get("role") or dims.get("role") or {}).get("time") or []
    for t in time:
        if t in df.columns and _role(t) != "time":
            df = df.rename(columns={t: "TID"})
    return df, labels


def _tidy(raw: pd.DataFrame, name: str, rows: list[int | None]) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    values = raw[[c for c in raw.columns if _role(c) == "value"][0]]
    decimal = "," if values.str.contains(",", regex=False).any() else "."
    for col in raw.columns:
        role = _role(col)
        series = raw[col].astype(str).str.strip()
        if role == "area":
            parsed = [_area(v) for v in series]
            for (_, level), v, row in zip(parsed, series, rows, strict=True):
                if not level:
                    near = difflib.get_close_matches(
                        v.casefold(), list(_municipality_names()), n=1, cutoff=0.7
                    )
                    hint = f" (did you mean '{near[0].title()}'?)" if near else ""
                    raise SchemaError(
                        name,
                        f"a municipality, region or 'Hele landet' by code or name{hint}",
                        row=row,
                        column=col,
                        found=v,
                    )
            out["municipality_code"] = pd.array([c for c, _ in parsed], dtype="Int64")
            out["area_level"] = [lv for _, lv in parsed]
        elif role == "function":
            codes = []
            for v, row in zip(series, rows, strict=True):
                code = function_code(v)
                if code is None:
                    m = re.match(r"^(\d)\.?(\d{2})(?!\d)(?:\s|$)", v)
                    if m:
                        code = f"{m.group(1)}.{m.group(2)}"
                    elif v.casefold() in _TOTALS or v.casefold().startswith(("i alt", "hovedkonto")):
                        code = None
                    else:
                        raise SchemaError(
                            name,
                            "a function code or label such as '5.38.50 Botilbud ...' or 53850",
                            row=row,
                            column=col,
                            found=v,
                        )
                codes.append(code)
            out["function_code"] = pd.Series(codes, index=raw.index, dtype=object)
        elif role == "time":
            periods = []
            for v, row in zip(series, rows, strict=True):
                p = period(v)
                if p is None:
                    raise SchemaError(
                        name, "a time code such as 2024, 2024K1 or 2024M01", row=row, column=col, found=v
                    )
                periods.append(p)
            kinds = {p.freqstr for p in periods}
            if len(kinds) > 1:
                raise SchemaError(
                    name, "time codes of one kind", column=col, found_text=", ".join(sorted(kinds))
                )
            out["period"] = pd.Series(periods, index=raw.index)
        elif role == "value":
            numbers = []
            for v, row in zip(series, rows, strict=True):
                if v in ("..", "", "...", ":"):
                    numbers.append(np.nan)
                    continue
                x = loads.parse_amount(v, decimal)
                if x is None:
                    raise SchemaError(
                        name, "a number, or '..' for a missing value", row=row, column=col, found=v
                    )
                numbers.append(x)
            out["value"] = pd.Series(numbers, index=raw.index, dtype=float)
        else:
            out[_column_name(col)] = series.to_numpy(dtype=object)
    front = [c for c in ("municipality_code", "area_level", "function_code") if c in out.columns]
    back = [c for c in ("period", "value") if c in out.columns]
    return out[front + [c for c in out.columns if c not in front + back] + back]


# ---------------------------------------------------------------------------------------------------------------
# Into warehouse rows


@dataclass
class Converted:
    """Warehouse rows made from a Statistics Denmark table, with what was left out and why.

    Attributes
    ----------
    frame : pandas.DataFrame
        The rows, with the warehouse table's columns.
    table : str
        The warehouse table.
    skipped : dict
        Observations not loaded, by reason.
    notes : list of str
        Assumptions made and what the table cannot fill.
    """

    frame: pd.DataFrame
    table: str
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _skip(skipped: dict[str, int], reason: str, n: int) -> None:
    if n:
        skipped[reason] = skipped.get(reason, 0) + int(n)


def _label(df: pd.DataFrame, column: str, value: str) -> str:
    """The label of a code (JSON-stat), or the value itself."""
    return df.attrs.get("labels", {}).get(column, {}).get(value, value)


def _municipalities_only(df: pd.DataFrame, skipped: dict[str, int]) -> pd.DataFrame:
    keep = df["area_level"] == "municipality"
    _skip(skipped, "the whole country, regions and other areas (not municipalities)", (~keep).sum())
    return df[keep]


def _select(
    df: pd.DataFrame,
    column: str,
    wanted: Any,
    description: str,
    skipped: dict[str, int],
    name: str,
) -> pd.DataFrame:
    """Keep the rows whose ``column`` is the wanted value (a predicate on code or label); refuse when none is."""
    if column not in df.columns:
        return df
    values = df[column]
    ok = values.map(lambda v: bool(wanted(str(v)) or wanted(_label(df, column, str(v)))))
    if not ok.any():
        found = ", ".join(repr(v) for v in sorted(values.unique())[:6])
        raise SchemaError(name, description, column=column.upper(), found_text=found)
    _skip(skipped, f"other {column.upper()} values (only {description} is loaded)", (~ok).sum())
    return df[ok]


def _is_total(v: str) -> bool:
    return v.strip().casefold() in _TOTALS or v.strip().casefold().startswith(("i alt", "total"))


def _unit(
    df: pd.DataFrame,
    prisenhed: str | None,
    unit: float | None,
    name: str,
    skipped: dict[str, int],
    notes: list[str],
) -> tuple[pd.DataFrame, float]:
    """Keep one PRISENHED and return the factor from its unit to DKK."""
    if "prisenhed" not in df.columns:
        if unit is None:
            notes.append("no PRISENHED variable: amounts read as 1.000 kr. (REGK31's and BUDK32's unit)")
            unit = 1000.0
        return df, unit
    values = sorted(df["prisenhed"].unique())

    def text(v: str) -> str:
        return _label(df, "prisenhed", v).casefold()

    if prisenhed is not None:
        chosen = [v for v in values if v == prisenhed or text(v) == prisenhed.casefold()]
        if not chosen:
            raise SchemaError(
                name,
                f"a PRISENHED '{prisenhed}'",
                column="PRISENHED",
                found_text=", ".join(repr(v) for v in values),
            )
    else:
        chosen = [v for v in values if "1.000 kr" in text(v) or "1000 kr" in text(v)]
        if not chosen and len(values) == 1 and unit is not None:
            chosen = values
        if not chosen:
            raise SchemaError(
                name,
                "one PRISENHED in 1.000 kr. (PRISENHED doubles every row; choose one with --prisenhed, and give "
                "--unit when the file has codes only)",
                column="PRISENHED",
                found_text=", ".join(repr(v) for v in values),
            )
    keep = chosen[0]
    label = text(keep)
    if unit is None:
        if "pr. indbygger" in label or "per capita" in label or "per inhabitant" in label:
            raise SchemaError(
                name, "a PRISENHED of amounts (1.000 kr.), not per resident", column="PRISENHED", found=keep
            )
        if "1.000 kr" in label or "1000 kr" in label:
            unit = 1000.0
        elif "mio" in label:
            unit = 1e6
        elif re.search(r"\bkr\b", label):
            unit = 1.0
        else:
            raise SchemaError(
                name, "a PRISENHED whose unit can be read (or --unit)", column="PRISENHED", found=keep
            )
    mask = df["prisenhed"] == keep
    _skip(skipped, "the other PRISENHED (each row is given in two units)", (~mask).sum())
    return df[mask], unit


def _annual(df: pd.DataFrame, name: str) -> pd.Series:
    kinds = {p.freqstr for p in df["period"]}
    if kinds and not all(k.startswith("Y") or k.startswith("A") for k in kinds):
        raise SchemaError(name, "yearly time codes (2024)", column="TID", found_text=", ".join(sorted(kinds)))
    return df["period"].map(lambda p: p.year).astype(int)


def _money(
    df: pd.DataFrame, target: str, *, prisenhed: str | None, unit: float | None, name: str
) -> Converted:
    for col in ("municipality_code", "function_code", "period", "value"):
        if col not in df.columns:
            raise SchemaError(
                name, f"the variable {_VARIABLE[col]}", column=_VARIABLE[col], found_text="none"
            )
    skipped: dict[str, int] = {}
    notes: list[str] = []
    df = _municipalities_only(df, skipped)
    level = df["function_code"].map(lambda c: isinstance(c, str) and c.count(".") == 2)
    _skip(skipped, "totals and main functions (only functions such as 5.38.50 are loaded)", (~level).sum())
    df = df[level]
    df = _select(
        df,
        "dranst",
        lambda v: v == "1" or v.startswith("1 ") or "drift" in v.casefold(),
        "DRANST 1 (drift, operating accounts)",
        skipped,
        name,
    )
    df = _select(
        df,
        "art",
        lambda v: v.upper() == "TOT" or _is_total(v) or "netto" in v.casefold(),
        "ART 'I alt (netto)' (net total)",
        skipped,
        name,
    )
    if "dranst" not in df.columns:
        notes.append("no DRANST variable: read as operating accounts (dranst 1)")
    if "art" not in df.columns:
        notes.append("no ART variable: read as the net total ('I alt (netto)')")
    df, factor = _unit(df, prisenhed, unit, name, skipped, notes)
    missing = df["value"].isna()
    _skip(skipped, "no value ('..': missing or suppressed)", missing.sum())
    df = df[~missing]
    frame = pd.DataFrame(
        {
            "municipality_code": df["municipality_code"].astype(int).to_numpy(),
            "year": _annual(df, name).to_numpy(),
            "function_code": df["function_code"].to_numpy(),
            target: np.round(df["value"].to_numpy() * factor, 2),
        }
    )
    return Converted(frame, "", skipped, notes)


_VARIABLE = {"municipality_code": "OMRÅDE", "function_code": "FUNKTION", "period": "TID", "value": "INDHOLD"}


def to_accounts(
    df: pd.DataFrame, *, prisenhed: str | None = None, unit: float | None = None, name: str = "REGK31"
) -> Converted:
    """Rows of table ``accounts`` from REGK31 (municipal accounts by area, function, dranst, art and price unit).

    Keeps municipalities (not the whole country or the regions), functions (not totals or main functions), dranst
    1 (operating) and ART "I alt (netto)", and one PRISENHED: by default the one in 1.000 kr., converted to DKK.

    Parameters
    ----------
    df
        :func:`read`'s result.
    prisenhed
        The PRISENHED to keep (code or label), when the file has more than one and none reads as 1.000 kr.
    unit
        DKK per unit of the kept PRISENHED (1000 for 1.000 kr.), when its label does not say.
    name
        Source name for errors.
    """
    out = _money(df, "spending_dkk", prisenhed=prisenhed, unit=unit, name=name)
    out.table = "accounts"
    return out


def to_budgets(
    df: pd.DataFrame, *, prisenhed: str | None = None, unit: float | None = None, name: str = "BUDK32"
) -> Converted:
    """Rows of table ``budgets`` from BUDK32 (municipal budgets), selected as :func:`to_accounts` does.

    BUDK32 holds the budgets as adopted (the original budget); the warehouse's ``budget_dkk`` is meant to be the
    corrected budget, which Statistics Denmark does not publish: replace the rows with your own corrected budget
    where you have it.
    """
    out = _money(df, "budget_dkk", prisenhed=prisenhed, unit=unit, name=name)
    out.table = "budgets"
    out.notes.append(
        "BUDK32 holds the adopted (original) budgets; the workbench's budgets are corrected budgets, so budget "
        "deviations read against the original budget"
    )
    return out


def _age(v: str) -> int | None | str:
    """An age in whole years from '18 år', '18' or '18 years'; 'total' for a total; None otherwise."""
    if _is_total(v) or v.strip().upper() == "IALT":
        return "total"
    m = re.match(r"^(\d{1,3})(?:\s*(år|years?))?$", v.strip(), flags=re.IGNORECASE)
    return int(m.group(1)) if m else None


def to_municipalities(df: pd.DataFrame, *, name: str = "FOLK1A") -> Converted:
    """Rows of table ``municipalities`` from FOLK1A (population on the first day of the quarter, by area and age).

    ``population`` is the total (the age total, else the sum of the single years) and ``population_18_64`` the sum
    of ages 18 to 64, on 1 January (the first quarter; years without a first quarter are left out). Sex and
    marital status, when present, must include their totals. The name, region, municipality group, area (for
    ``population_density``) and ``socioeconomic_index`` come from the package's reference list; the index there is
    illustrative, so replace it with your own structural indicator before choosing peers by it.
    """
    for col in ("municipality_code", "period", "value"):
        if col not in df.columns:
            raise SchemaError(
                name, f"the variable {_VARIABLE[col]}", column=_VARIABLE[col], found_text="none"
            )
    if "alder" not in df.columns:
        raise SchemaError(name, "the variable ALDER (age)", column="ALDER", found_text="none")
    skipped: dict[str, int] = {}
    notes = [
        "name, region, municipality group, area and socio-economic index from the package's reference list "
        "(the index there is illustrative)"
    ]
    df = _municipalities_only(df, skipped)
    for col in df.columns:
        if col in ("municipality_code", "area_level", "period", "value", "alder"):
            continue
        if df[col].nunique() > 1:
            df = _select(df, col, _is_total, f"the total of {col.upper()}", skipped, name)
    freq = {p.freqstr for p in df["period"]}
    if any(f.startswith("Q") for f in freq):
        first = df["period"].map(lambda p: p.quarter == 1)
        _skip(skipped, "quarters other than the first (population on 1 January is used)", (~first).sum())
        df = df[first]
    elif not all(f.startswith(("Y", "A")) for f in freq):
        raise SchemaError(
            name, "quarters (2024K1) or years", column="TID", found_text=", ".join(sorted(freq))
        )
    ages = df["alder"].map(
        lambda v: _age(str(v)) if _age(str(v)) is not None else _age(_label(df, "alder", v))
    )
    bad = ages.isna()
    if bad.any():
        raise SchemaError(
            name,
            "ages such as '18 år' or 'Alder i alt'",
            column="ALDER",
            found=str(df.loc[bad, "alder"].iloc[0]),
        )
    df = df.assign(_age=ages, _year=df["period"].map(lambda p: p.year))
    if df["value"].isna().any():
        raise SchemaError(name, "a population count in every row", column="INDHOLD", found_text="'..'")
    rows = []
    for (code, year), g in df.groupby(["municipality_code", "_year"], sort=True):
        single = g[g["_age"] != "total"]
        total = g.loc[g["_age"] == "total", "value"]
        ages_present = set(single["_age"].astype(int))
        missing = [a for a in range(18, 65) if a not in ages_present]
        if missing:
            raise SchemaError(
                name,
                "every age from 18 to 64 (ALDER=*)",
                column="ALDER",
                found_text=f"no {', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''} for "
                f"{code} in {year}",
            )
        population = float(total.iloc[0]) if len(total) else float(single["value"].sum())
        working = float(single.loc[single["_age"].astype(int).between(18, 64), "value"].sum())
        rows.append((int(code), int(year), round(population), round(working)))
    base = pd.DataFrame(rows, columns=["municipality_code", "year", "population", "population_18_64"])
    ref = reference.municipalities()
    frame = base.merge(ref, on="municipality_code", how="left")
    frame["population_density"] = np.round(frame["population"] / frame["area_km2"], 1)
    frame = frame[
        [
            "municipality_code",
            "municipality",
            "region",
            "municipality_group",
            "year",
            "population",
            "population_18_64",
            "socioeconomic_index",
            "population_density",
        ]
    ]
    return Converted(frame, "municipalities", skipped, notes)


#: Paragraph (Social Services Act) -> function of main function 5.38 it is paid on (see function_areas.csv).
HAND_FUNCTIONS = {
    85: "5.38.38",
    95: "5.38.38",
    96: "5.38.38",
    97: "5.38.53",
    98: "5.38.53",
    99: "5.38.53",
    101: "5.38.45",
    103: "5.38.58",
    104: "5.38.59",
    107: "5.38.52",
    108: "5.38.50",
    109: "5.38.42",
    110: "5.38.42",
}


def _service(label: str) -> tuple[str, str] | None:
    """(function_code, paragraph) of a type of service such as '§ 108 Længerevarende botilbud'; None if outside."""
    text = label.casefold()
    if re.search(r"(sundhedslov|sul)\w*\s*§\s*141", text):
        return "5.38.44", "SUL §141"
    m = re.search(r"§+\s*(\d+)", text)
    if not m:
        return None
    number = int(m.group(1))
    if number == 85 and "botilbudslignende" in text:
        return "5.38.51", "§85"
    function = HAND_FUNCTIONS.get(number)
    return (function, f"§{number}") if function else None


def to_activity(df: pd.DataFrame, accounts: pd.DataFrame, *, provider: str, name: str = "HAND") -> Converted:
    """Rows of table ``activity`` from a table of recipients of social services by municipality and type of service.

    What it fills: ``full_year_persons`` from the number of recipients of each type of service (the label must
    name the paragraph, e.g. "§ 108 ..."; "§ 85 ... botilbudslignende tilbud" goes to 5.38.51), mapped to the
    function the paragraph is paid on (:data:`HAND_FUNCTIONS`); ``spending_dkk`` from the function's accounts in
    ``accounts`` (load REGK31 first), split between the paragraphs of one function in proportion to recipients.

    What it cannot fill: the split between internal and external providers (all rows get ``provider``: say which
    one the numbers stand for); full-year persons proper (recipients counted at a date or during the year are not
    full-year persons: they are close for long stays, §108, and overstate short ones, §107 and §85, so prices per
    person come out low); prices per paragraph within one function (the split makes them equal).

    Parameters
    ----------
    df
        :func:`read`'s result.
    accounts
        Warehouse accounts (municipality_code, year, function_code, spending_dkk) of the same municipalities and
        years.
    provider
        ``internal`` or ``external``: the provider type all recipients are recorded under.
    name
        Source name for errors.
    """
    if provider not in ("internal", "external"):
        raise ValueError(f"provider must be 'internal' or 'external', not {provider!r}")
    for col in ("municipality_code", "period", "value"):
        if col not in df.columns:
            raise SchemaError(
                name, f"the variable {_VARIABLE[col]}", column=_VARIABLE[col], found_text="none"
            )
    skipped: dict[str, int] = {}
    standard = {"municipality_code", "area_level", "function_code", "period", "value"}

    def names_paragraphs(c: str) -> bool:
        return bool(df[c].map(lambda v: "§" in _label(df, c, str(v)) or "§" in str(v)).any())

    candidates = [c for c in df.columns if c not in standard and names_paragraphs(c)]
    if not candidates:
        raise SchemaError(
            name,
            "a variable whose values name paragraphs, such as '§ 108 Længerevarende botilbud'",
            found_text=f"the variables {', '.join(c.upper() for c in df.columns if c not in standard)}",
        )
    service = candidates[0]
    df = _municipalities_only(df, skipped)
    for col in df.columns:
        if col in standard or col == service:
            continue
        if df[col].nunique() > 1:
            df = _select(df, col, _is_total, f"the total of {col.upper()}", skipped, name)
    mapped = df[service].map(lambda v: _service(_label(df, service, str(v))) or _service(str(v)))
    outside = mapped.isna()
    _skip(
        skipped,
        "types of service without a paragraph of main function 5.38 (totals, other areas)",
        outside.sum(),
    )
    df, mapped = df[~outside], mapped[~outside]
    missing = df["value"].isna()
    _skip(skipped, "no value ('..': missing or suppressed)", missing.sum())
    df = df[~missing]
    persons = pd.DataFrame(
        {
            "municipality_code": df["municipality_code"].astype(int).to_numpy(),
            "year": _annual(df, name).to_numpy(),
            "function_code": [m[0] for m in mapped[~missing]],
            "paragraph": [m[1] for m in mapped[~missing]],
            "full_year_persons": df["value"].to_numpy(dtype=float),
        }
    )
    keys = ["municipality_code", "year", "function_code"]
    persons = persons.groupby(keys + ["paragraph"], as_index=False)["full_year_persons"].sum()
    acc = (
        accounts[keys + ["spending_dkk"]] if len(accounts) else pd.DataFrame(columns=keys + ["spending_dkk"])
    )
    merged = persons.merge(acc.astype({"municipality_code": int, "year": int}), on=keys, how="left")
    no_accounts = merged["spending_dkk"].isna()
    _skip(
        skipped,
        "no accounts for the municipality, function and year in the warehouse (load REGK31 first)",
        no_accounts.sum(),
    )
    merged = merged[~no_accounts].copy()
    total = merged.groupby(keys)["full_year_persons"].transform("sum")
    count = merged.groupby(keys)["full_year_persons"].transform("size")
    share = np.where(total > 0, merged["full_year_persons"] / total.where(total > 0, 1), 1 / count)
    merged["spending_dkk"] = np.round(merged["spending_dkk"] * share, 2)
    merged["provider"] = provider
    frame = merged[
        [
            "municipality_code",
            "year",
            "function_code",
            "paragraph",
            "provider",
            "full_year_persons",
            "spending_dkk",
        ]
    ]
    notes = [
        f"recipients are recorded as full-year persons with provider '{provider}'; the table has no provider "
        "split, and recipients are not full-year persons (prices per person come out low for short stays)",
        "spending is the function's accounts, split between its paragraphs in proportion to recipients",
    ]
    return Converted(frame.reset_index(drop=True), "activity", skipped, notes)


# ---------------------------------------------------------------------------------------------------------------
# Loading


def table_kind(table: str) -> str:
    """The warehouse table a Statistics Denmark table id fills; HAND... tables fill ``activity``.

    Raises
    ------
    ValueError
        For a table the loaders do not know, naming those they do.
    """
    key = table.strip().upper()
    if key.startswith("HAND"):
        return "activity"
    if key in TABLES:
        return TABLES[key]
    known = ", ".join(t if t != "HAND" else "HAND... (recipients by type of service)" for t in TABLES)
    raise ValueError(
        f"no loader for Statistics Denmark table '{table}'{_near(key, list(TABLES))}; known: {known}"
    )


def load(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    table: str,
    *,
    prisenhed: str | None = None,
    unit: float | None = None,
    provider: str | None = None,
) -> LoadResult:
    """Load a downloaded Statistics Denmark table into the warehouse (all or nothing; a reload changes nothing).

    Parameters
    ----------
    con
        A writable connection.
    path
        The file as downloaded (CSV, BULK or JSON-stat).
    table
        Its table id: REGK31, BUDK32, FOLK1A or a HAND table.
    prisenhed, unit
        For REGK31 and BUDK32, see :func:`to_accounts`.
    provider
        For a HAND table: the provider type its recipients are recorded under (see :func:`to_activity`).

    Returns
    -------
    LoadResult
    """
    target = table_kind(table)
    path = Path(path)
    df = read(path)
    name = path.name
    if target == "accounts":
        converted = to_accounts(df, prisenhed=prisenhed, unit=unit, name=name)
    elif target == "budgets":
        converted = to_budgets(df, prisenhed=prisenhed, unit=unit, name=name)
    elif target == "municipalities":
        converted = to_municipalities(df, name=name)
    else:
        if provider is None:
            raise ValueError(
                f"{name}: a table of recipients has no provider split; say which provider type its numbers stand "
                "for with --provider internal or --provider external"
            )
        loads.ensure_tables(con)
        accounts = con.execute(
            "SELECT municipality_code, year, function_code, spending_dkk FROM accounts"
        ).df()
        converted = to_activity(df, accounts, provider=provider, name=name)
    options = {"table": table.upper(), "prisenhed": prisenhed, "unit": unit, "provider": provider}
    return loads.write(
        con,
        converted.table,
        converted.frame,
        kind="statbank",
        source=name,
        sha256=loads.file_sha256(path),
        options=options,
        rows_read=len(df),
        skipped=converted.skipped,
        notes=converted.notes,
    )
