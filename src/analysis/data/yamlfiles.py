"""Reading a YAML file of ``parameters/`` (or a user's YAML file): one rule for what can be wrong with the file itself.

A missing file, a file that is not YAML and one whose top level is not a mapping are each refused with one line that
names the file; what the keys must hold is the reader's to check (:mod:`analysis.data.thresholds`,
:mod:`analysis.data.price_index`, :mod:`analysis.data.unit_costs`, :mod:`analysis.data.offers`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import AnalysisError, ConfigurationError

__all__ = [
    "UniqueKeyLoader",
    "decode_yaml",
    "read_yaml_mapping",
    "refuse_unknown_keys",
    "safe_load",
    "shown_text",
    "yaml_text",
]


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (plain YAML keeps the last, silently).

    A unit cost, a threshold or a value translation listed twice is ambiguous: which one the author meant is not
    guessed.
    """

    def construct_mapping(self, node, deep=False):
        """The mapping of ``node``; a yaml ConstructorError naming the line of a key seen before in it.

        Keys merged in with ``<<`` may be overridden, as YAML means them to be; only keys written out are checked.
        A key YAML 1.1 would read as a boolean (``Yes: true``, ``No: false``, ``on``) is the word written: a value
        translation of an export's 'Yes' became ``True: true``, which matched no value of the file.
        """
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if key_node.tag == "tag:yaml.org,2002:bool" and isinstance(key_node, yaml.ScalarNode):
                    key_node.tag = "tag:yaml.org,2002:str"  # a key Yes, No or On is the word
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                    seen[key] = key_node.start_mark.line + 1
                except TypeError:  # an unhashable key: the base class refuses it
                    break
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"the key {key!r} is given twice in one mapping (first on line {first}); remove one",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    """An integer; but digits with a leading zero are kept as the text written.

    ``0706`` is municipality 706's 4-digit form, ``01`` a code: YAML 1.1 reads them as octal numbers (0706 -> 454),
    which no one writing these files means.
    """
    text = loader.construct_scalar(node)
    if re.fullmatch(r"[-+]?0[0-9_]+", text):
        return text
    return yaml.SafeLoader.construct_yaml_int(loader, node)


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    """A float; but ``860.000`` (one to three digits, a dot, three digits) is refused: in Danish it is 860000.

    YAML reads it as 860.0, so a threshold of 860.000 kr. or a unit cost of 5.000 kr. would be read 1000 times too
    small, silently; which is meant is not guessed.
    """
    text = loader.construct_scalar(node)
    if re.fullmatch(r"[-+]?[1-9]\d{0,2}\.\d{3}", text):
        whole = text.replace(".", "")
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{text} reads as {float(text):g} in YAML and as {int(whole)} with the Danish thousands dot; write "
            f"{int(whole)} (or {float(text)} for the decimal number)",
            node.start_mark,
        )
    return yaml.SafeLoader.construct_yaml_float(loader, node)


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def decode_yaml(raw: bytes) -> str:
    """A YAML file's bytes as text: UTF-8, with or without a byte-order mark.

    Raises
    ------
    yaml.YAMLError
        For bytes that are not UTF-8 (a file saved in Windows-1252), naming the line, so that every reader reports
        it as it reports YAML it cannot read, with the file (it was a bare ``UnicodeDecodeError``).
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        byte = raw[e.start : e.start + 1]
        shown = byte.decode("cp1252", "replace")
        raise yaml.YAMLError(
            f"the file is not UTF-8: line {line} has the byte 0x{byte.hex()} ({shown!r} in Windows-1252); save it "
            "as UTF-8"
        ) from None


def yaml_text(path: str | Path) -> str:
    """The text of a YAML file (:func:`decode_yaml`); ``FileNotFoundError`` when there is none."""
    return decode_yaml(Path(path).read_bytes())


def safe_load(text: str, name: str | None = None):
    """``yaml.safe_load`` that refuses duplicate keys (:class:`UniqueKeyLoader`); raises ``yaml.YAMLError``.

    ``name`` (e.g. the file's name) is what the error's position names instead of ``<unicode string>``.
    """
    loader = UniqueKeyLoader(text)
    if name:
        loader.name = name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml_mapping(
    path: Path,
    what: str,
    *,
    expected: str = "a mapping of keys",
    error: type[AnalysisError] = ConfigurationError,
    empty: dict[str, Any] | None = None,
) -> dict[Any, Any]:
    """The top-level mapping of a YAML file.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for the message of a missing file (``'no such <what> file'``).
    expected
        What the top level must be, for the message of a file that is not a mapping.
    error
        The kind of error: :class:`~analysis.errors.ConfigurationError` for ``parameters/``,
        :class:`~analysis.errors.InputError` for a file the user names.
    empty
        What an empty file means; default None: an empty file is refused like any other that is not a mapping.

    Raises
    ------
    AnalysisError
        Of kind ``error``, naming the file: ``'<path>: no such <what> file'``, ``'<path>: not valid YAML (...)'`` or
        ``'<path>: expected <expected>, found ...'``.
    """
    try:
        data = safe_load(yaml_text(path), Path(path).name)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise error(f"{path}: no such {what} file") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if data is None and empty is not None:
        return dict(empty)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise error(f"{path}: expected {expected}, found {found}")
    return data


def shown_text(path: Path, key: str, value: object, error: type[AnalysisError] = ConfigurationError) -> str:
    """``value`` as one line of text for a report to show (a name, a source); refused when it says nothing.

    YAML reads ``source:`` with nothing after it as None, which ``str`` turns into 'None' in the report.

    Raises
    ------
    AnalysisError
        Of kind ``error``: ``'<path>: <key>: expected text (it is shown in reports), found ...'``.
    """
    if not isinstance(value, str) or not value.strip():
        found = "nothing" if value is None else repr(value)
        raise error(f"{path}: {key}: expected text (it is shown in reports), found {found}")
    return " ".join(value.split())


def refuse_unknown_keys(
    path: Path,
    data: Mapping[Any, Any],
    valid: Sequence[str],
    *,
    where: str = "",
    error: type[AnalysisError] = ConfigurationError,
) -> None:
    """Refuse a key that is not one of ``valid`` (a misspelt key would be ignored, its value never read).

    Parameters
    ----------
    path
        The file, for the message.
    data
        The mapping read (the file's top level, or a part of it).
    valid
        The keys it may hold.
    where
        The part of the file, e.g. ``'tiers item 2'`` (empty for the top level).

    Raises
    ------
    AnalysisError
        Of kind ``error``: ``'<path>: <where>: unknown key 'level_yaer' (did you mean 'level_year'?); keys: ...'``.
    """
    for key in data:
        if key not in valid:
            near = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            prefix = f"{where}: " if where else ""
            raise error(f"{path}: {prefix}unknown key '{key}'{hint}; keys: {', '.join(valid)}")
