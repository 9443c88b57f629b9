"""Column mappings: the small YAML file that says which column of an export holds what.

:func:`read_mapping` reads it (see ``parameters/mappings/``) and refuses unknown keys with the nearest valid one;
:func:`select_columns` takes the mapped columns of a file read with :mod:`analysis.data.reading`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.data.reading import FileFormat, SourceTable
from analysis.data.schema import SchemaError
from analysis.data.values import is_missing, shown
from analysis.data.yamlfiles import decode_yaml, safe_load

# ---------------------------------------------------------------------------------------------------------------
# Mappings


@dataclass
class ColumnMapping:
    """A column mapping read from YAML (see ``parameters/mappings/``).

    Attributes
    ----------
    source : str
        The mapping file's name, for errors.
    sha256 : str
        Its fingerprint (a load with another mapping is another load).
    format : FileFormat
        How to read the files it describes.
    columns : dict
        Warehouse field -> the export's column name.
    constants : dict
        Warehouse field -> one value for every row (for what the export does not have).
    values : dict
        Warehouse field -> {value in the export: value in the warehouse}.
    options : dict
        Further settings of the loader (e.g. ``missing_cpr``).
    """

    source: str
    sha256: str
    format: FileFormat
    columns: dict[str, str]
    constants: dict[str, Any]
    values: dict[str, dict[Any, Any]]
    options: dict[str, Any]


_FORMAT_KEYS = ("sheet", "skip_rows", "encoding", "delimiter", "decimal", "date_format")


def _suggest(value: str, valid: Sequence[str]) -> str:
    near = difflib.get_close_matches(str(value), list(valid), n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


def read_mapping(
    path: str | os.PathLike,
    *,
    fields: Sequence[str],
    required: Sequence[Sequence[str]],
    options: Mapping[str, Any],
) -> ColumnMapping:
    """Read and check a mapping file.

    Parameters
    ----------
    path
        The YAML file.
    fields
        The warehouse fields a mapping may name under ``columns``, ``constants`` and ``values``.
    required
        Groups of fields of which at least one must be given in ``columns`` or ``constants``, e.g.
        ``[["date"], ["amount", "debit"]]``.
    options
        The loader's further top-level keys and their defaults.

    Raises
    ------
    SchemaError
        Naming the mapping file and the key, with the nearest valid key.
    """
    path = Path(path)
    source = path.name
    if not path.exists():
        raise FileNotFoundError(f"no such mapping file: {path}")
    raw = path.read_bytes()
    try:
        data = safe_load(decode_yaml(raw), source) or {}
    except yaml.YAMLError as e:
        raise SchemaError(source, "valid YAML", found_text=str(e).replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise SchemaError(source, "keys such as format, columns, constants", found_text="no keys")
    top = ("format", "columns", "constants", "values", *options)
    for key in data:
        if key not in top:
            raise SchemaError(
                source,
                f"only the keys {', '.join(top)}{_suggest(key, top)}",
                column=str(key),
                found_text="an unknown key",
            )
    fmt = data.get("format") or {}
    if not isinstance(fmt, dict):
        raise SchemaError(
            source,
            f"keys under format, such as 'encoding: cp1252' (format keys {', '.join(_FORMAT_KEYS)})",
            column="format",
            found=fmt if isinstance(fmt, str | int | float) else repr(fmt),
        )
    for key in fmt:
        if key not in _FORMAT_KEYS:
            raise SchemaError(
                source,
                f"format keys {', '.join(_FORMAT_KEYS)}{_suggest(key, _FORMAT_KEYS)}",
                column=f"format.{key}",
                found_text="an unknown key",
            )
    if fmt.get("decimal") not in (None, ",", "."):
        meant = {"comma": ",", "komma": ",", "dot": ".", "point": ".", "punktum": "."}.get(
            str(fmt["decimal"]).strip().casefold()
        )
        hint = f" (did you mean {meant!r}?)" if meant else ""
        raise SchemaError(source, f"',' or '.'{hint}", column="format.decimal", **shown(fmt["decimal"]))
    _check_format(source, fmt)
    sections = {}
    for section in ("columns", "constants", "values"):
        part = data.get(section) or {}
        if not isinstance(part, dict):
            raise SchemaError(source, "keys naming warehouse fields", column=section, found_text=repr(part))
        for key in part:
            if key not in fields:
                raise SchemaError(
                    source,
                    f"one of the fields {', '.join(fields)}{_suggest(key, fields)}",
                    column=f"{section}.{key}",
                    found_text="an unknown field",
                )
        sections[section] = {k: v for k, v in part.items() if v is not None}
    for section, part in (("columns", sections["columns"]), ("values", sections["values"])):
        for key, value in part.items():
            want = str if section == "columns" else dict
            if not isinstance(value, want):
                expected = "a column name" if section == "columns" else "a table of value: warehouse value"
                raise SchemaError(source, expected, column=f"{section}.{key}", found=str(value))
    both = [k for k in sections["columns"] if k in sections["constants"]]
    if both:  # the constant was ignored for the column: which one the author meant is not guessed
        raise SchemaError(
            source,
            f"'{both[0]}' either under columns (read from the file) or under constants (one value), not both",
            column=f"constants.{both[0]}",
            found_text=f"columns.{both[0]}: {sections['columns'][both[0]]!r} and constants.{both[0]}: "
            f"{sections['constants'][both[0]]!r}",
        )
    for key, table_ in sections["values"].items():
        seen: dict[str, Any] = {}
        for k, v in table_.items():
            if _norm(k) in seen and seen[_norm(k)][1] != v:  # 'Voksne' and 'voksne ' read the same
                raise SchemaError(
                    source,
                    "one translation per value (case and spaces do not count)",
                    column=f"values.{key}",
                    found_text=f"{seen[_norm(k)][0]!r}: {seen[_norm(k)][1]!r} and {k!r}: {v!r}",
                )
            seen.setdefault(_norm(k), (k, v))
    for group in required:
        if not any(g in sections["columns"] or g in sections["constants"] for g in group):
            raise SchemaError(
                source,
                f"a column for '{group[0]}' under columns"
                + (f" (or one of {', '.join(group[1:])})" if len(group) > 1 else ""),
                column="columns",
                found_text="none",
            )
    opts = {k: data.get(k, default) for k, default in options.items()}
    return ColumnMapping(
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        format=FileFormat(**{k: fmt.get(k) for k in _FORMAT_KEYS if fmt.get(k) is not None}),
        columns=sections["columns"],
        constants=sections["constants"],
        values=sections["values"],
        options=opts,
    )


_DELIMITERS = {"semicolon": ";", "semikolon": ";", "comma": ",", "komma": ",", "tab": "\t", "tabulator": "\t"}


def _check_format(source: str, fmt: dict[str, Any]) -> None:
    """Refuse a format value that would be read otherwise than meant (or fail later without naming the key)."""
    for key in ("skip_rows", "sheet"):
        value = fmt.get(key)
        if value is None or (key == "sheet" and isinstance(value, str) and value.strip()):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            expected = (
                "a number of lines, 0 or more"
                if key == "skip_rows"
                else "the sheet's name, or its position (0 = the first)"
            )
            raise SchemaError(source, expected, column=f"format.{key}", found=value)
    encoding = fmt.get("encoding")
    if encoding is not None:
        known = True
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            known = False
        if not isinstance(encoding, str) or not known:
            common = ["utf-8", "cp1252", "latin-1", "utf-16-le", "utf-16-be", "iso-8859-15"]
            raise SchemaError(
                source,
                f"a text encoding such as utf-8 or cp1252{_suggest(str(encoding).casefold(), common)}",
                column="format.encoding",
                found=encoding,
            )
    delimiter = fmt.get("delimiter")
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'
    ):
        meant = _DELIMITERS.get(str(delimiter).strip().casefold())
        hint = f" (did you mean {meant!r}?)" if meant else ""
        raise SchemaError(
            source,
            f"one character, such as ';' or ',' or '\\t' for a tab{hint}",
            column="format.delimiter",
            found=delimiter,
        )
    date_format = fmt.get("date_format")
    if date_format is not None:
        probe = dt.date(2025, 1, 31)  # day, month and year all differ, so a format without one of them shows
        try:
            back = dt.datetime.strptime(probe.strftime(str(date_format)), str(date_format)).date()
        except ValueError:
            back = None
        if not isinstance(date_format, str) or back != probe:
            raise SchemaError(
                source,
                "a date format with the day, the month and the year, such as '%d-%m-%Y' (31-01-2025) or '%Y-%m-%d'",
                column="format.date_format",
                found=date_format,
            )


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def select_columns(table: SourceTable, mapping: ColumnMapping) -> pd.DataFrame:
    """The mapped columns of a file under their warehouse names, with constants and translated values.

    Raises
    ------
    SchemaError
        When a mapped column is not in the file (naming the file's columns), or a value has no translation.
    """
    df = table.df
    by_norm: dict[str, str | None] = {}
    for c in df.columns:  # None where two headings read the same ('Beløb' and 'beløb '): not guessed
        by_norm[_norm(c)] = None if _norm(c) in by_norm else c
    out = pd.DataFrame(index=df.index)
    for target, name in mapping.columns.items():
        actual = name if name in df.columns else by_norm.get(_norm(name))
        if actual is None and _norm(name) in by_norm:
            alike = [str(c) for c in df.columns if _norm(c) == _norm(name)]
            raise SchemaError(
                table.source,
                f"one column '{name}' (columns.{target} in {mapping.source}); write the heading exactly as in "
                "the file",
                column=name,
                found_text=f"{len(alike)} columns that differ only in case or spaces: {', '.join(map(repr, alike))}",
            )
        if actual is None:
            raise SchemaError(
                table.source,
                f"a column '{name}' (columns.{target} in {mapping.source}); the file's columns are "
                f"{', '.join(df.columns)}{_suggest(name, list(df.columns))}",
                column=name,
                found_text="no such column",
            )
        out[target] = df[actual]
    for target, value in mapping.constants.items():
        if target not in out.columns:
            out[target] = value
    for target, table_ in mapping.values.items():
        if target not in out.columns:
            continue
        lookup = {_norm(k): v for k, v in table_.items()}
        valid = sorted({str(v) for v in table_.values()})
        translated = []
        for v, row in zip(out[target], table.rows(), strict=True):
            if is_missing(v):
                translated.append(None)
                continue
            if str(v) in valid:  # already the warehouse's value
                translated.append(v)
                continue
            key = _norm(v)
            if key not in lookup:
                raise SchemaError(
                    table.source,
                    f"one of {', '.join(repr(k) for k in table_)} (values.{target} in {mapping.source})"
                    f"{_suggest(str(v), [str(k) for k in table_])}",
                    row=int(row),
                    column=mapping.columns.get(target, target),
                    **shown(v),
                )
            translated.append(lookup[key])
        out[target] = pd.Series(translated, index=out.index, dtype=object)
    return out
