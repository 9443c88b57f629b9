"""Privacy: CPR pseudonymisation on ingest, CPR detection and masking, the key, and small-group suppression.

This module is a leaf: it imports nothing of the package. The data layer calls it (with the key, the file name,
the row numbers) and turns its errors into the package's own; it never calls the data layer.

Pseudonyms
    A CPR number (Danish personal identity number, DDMMYY-SSSS) is replaced on ingest by a keyed pseudonym:
    HMAC-SHA256 of the ten digits under a secret key, shortened to 64 bits and written ``P-xxxx-xxxx-xxxx-xxxx``
    (hex in groups of four, so that a pseudonym can never itself look like a CPR number). The same CPR number and
    key give the same pseudonym, so a person's cases link across sectors and loads; without the key the pseudonym
    cannot be reversed by trying all CPR numbers (about 3,7e8 of them).
The key
    :func:`load_key` reads the key from the environment variable ``ANALYSIS_PSEUDONYM_KEY`` or from a key file
    (the data layer names it: ``pseudonym.key`` beside the warehouse), and makes the file on first use with 32
    random bytes written as 64 hex digits, atomically (temporary file, fsync, link/rename) with mode 0600. The
    rule for a key (:func:`key_problem`): at least :data:`MIN_KEY_BYTES` (32) bytes after decoding it from hex
    or base64 text (64 hex digits, or 44 base64 characters), with at least 16 different byte values among them;
    anything else (an empty or whitespace-only file, ``1``, a passphrase, ``000...0``) is refused with a
    message naming where the key came from. When both the variable and the file are there they must hold the
    same key; if they differ that is an error, not a silent choice. :func:`key_fingerprint` (an HMAC of a fixed
    text) lets the warehouse remember which key made its pseudonyms without holding the key.
CPR numbers in text
    :data:`CPR_PATTERN` finds CPR-shaped numbers: a day of 01-31 (or 61-91, a substitute number) and a month of
    01-12, two year digits, then the four serial digits after an optional separator: a hyphen (or dash), a
    slash, a dot, a space, or none (``010203-1234``, ``010203 1234``, ``010203/1234``, ``010203.1234``,
    ``0102031234``), not part of a longer number or an amount with decimals. Free text that holds one is
    masked, not refused: :func:`mask_cpr` replaces each by :data:`CPR_MASK` (``[CPR]``); the loaders count the
    masked values for the data-quality report. Identifiers that are stored (a case number) are refused instead,
    since a masked identifier would no longer identify. A CPR number with an impossible date
    (:func:`cpr_date_is_valid`) is pseudonymised like any other but counted in data quality.

Rendered reports show no figure that rests on fewer than ``min_group`` persons (5 at least, see
:data:`MIN_GROUP_FLOOR`): :func:`suppression_mask` finds the small cells of a table and the further cells that
would let a small one be derived from a total (complementary suppression), and :func:`suppression_marks` tells the
two apart, so that a table can mark them differently (:func:`suppress`: '<5' for the persons of a small group, '..'
for its amounts and shares, 'x' for a cell hidden only to protect another, explained by :func:`suppression_notes`);
:func:`open_top` merges a small tail of ordered categories into one open category instead. Rendering to HTML is the
reporting layer's (:mod:`analysis.reporting.suppression`). A hidden cell must not follow from the table's other
figures either. One mechanism decides that: a table becomes the onlooker's view of its counts (:func:`table_view`,
:func:`column_view`: the values each hidden count may hold and the linear facts the shown figures give), searched
for the values each cell can still take (:func:`feasible_values`) or for the assignments themselves
(:func:`solutions`); a '<5' left with one value is given away (:func:`disclosed_cells`), and :func:`secure_marks`
(one table) and :func:`secure_tables` (several tables of a report, linked) hide more until none is.
:func:`weighted_total` says what a weighted total (an income: residents x published rates) beside the counts
would give away, and the range it lies in.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "cell_marks",
    "check_key",
    "check_min_group",
    "COMPLEMENT",
    "COMPLEMENT_LABEL",
    "column_view",
    "cpr_date_is_valid",
    "cpr_digits",
    "CPR_MASK",
    "CPR_PATTERN",
    "CprValueError",
    "disclosed_cells",
    "feasible_values",
    "find_cpr",
    "given_away",
    "joint_view",
    "KEY_ENV",
    "KEY_FILE_NAME",
    "key_fingerprint",
    "key_problem",
    "load_key",
    "mask_cpr",
    "mask_cpr_column",
    "mask_person_data",
    "MAX_SEARCH_STEPS",
    "MAX_VECTORS",
    "MIN_GROUP_FLOOR",
    "MIN_KEY_BYTES",
    "open_top",
    "PERSON_MASK",
    "PSEUDONYM_PATTERN",
    "pseudonymise",
    "pseudonymise_column",
    "PseudonymKeyError",
    "secure_marks",
    "secure_tables",
    "share_mask",
    "solutions",
    "SHOWN",
    "SMALL",
    "SMALL_VALUE_LABEL",
    "suppress",
    "suppressed_label",
    "suppression_marks",
    "suppression_mask",
    "suppression_notes",
    "table_view",
    "weighted_total",
    "weighted_total_discloses",
    "WeightedTotal",
    "write_key_file",
]

KEY_ENV = "ANALYSIS_PSEUDONYM_KEY"
#: The key file's name; the data layer keeps it beside the warehouse.
KEY_FILE_NAME = "pseudonym.key"
#: The fewest bytes of key material (after decoding from hex or base64) a key may have.
MIN_KEY_BYTES = 32
#: The fewest different byte values among a key's bytes (32 random bytes have about 30).
_MIN_DISTINCT_BYTES = 16
#: The fixed text whose HMAC under the key is the key's fingerprint.
_FINGERPRINT_TEXT = b"analysis.privacy: pseudonym key fingerprint, version 1"

# A day of 01-31, or 61-91 (a substitute number, erstatningspersonnummer: day plus 60), and a month of 01-12
# (lenient on purpose: a typo in a CPR number is still person data; the date's validity is checked where a CPR
# column is read, see cpr_date_is_valid).
_DAY_MONTH = r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])(?:0[1-9]|1[0-2])"
# Between date and serial: nothing, one space, or a hyphen/dash, slash or dot with at most one space either side.
_SEPARATOR = r"(?:[ \u00a0]?[-/.\u2010-\u2015\u2212][ \u00a0]?|[ \u00a0])?"

# The date written with the same hyphen, dot or space between day, month and year (30-02-85, 30.02.85, 30 02 85).
_DAY = r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
_MONTH = r"(?:0[1-9]|1[0-2])"
_SPLIT_DATE = "|".join(rf"{_DAY}{s}{_MONTH}{s}\d{{2}}" for s in (r"-", r"\.", r"[ \u00a0]"))

#: A CPR-shaped string: a day 01-31 (or 61-91) and a month 01-12, two year digits (written together, or with the
#: same hyphen, dot or space between day, month and year: ``30-02-85-1201``), an optional separator (hyphen, slash,
#: dot, space) and four digits, not part of a longer number nor followed by decimals.
CPR_PATTERN = rf"(?<!\d)(?<!\d[.,])(?:{_DAY_MONTH}\d{{2}}|{_SPLIT_DATE}){_SEPARATOR}\d{{4}}(?![.,]?\d)"
_CPR = re.compile(CPR_PATTERN)
# A hexadecimal digest standing as one word (a SHA-256, an MD5): 32 or more hex characters, at least one a letter.
_HEX_DIGEST = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{32,}(?![0-9A-Za-z])")
_CPR_EXACT = re.compile(
    rf"^\s*(\d{{6}}|\d{{2}}(?P<s>[-. \u00a0])\d{{2}}(?P=s)\d{{2}}){_SEPARATOR}(\d{{4}})\s*$"
)

#: What a CPR-shaped number in free text is replaced by.
CPR_MASK = "[CPR]"
#: A pseudonym as :func:`pseudonymise` writes it.
PSEUDONYM_PATTERN = r"\bP-[0-9a-f]{4}(?:-[0-9a-f]{4}){3}\b"
_PSEUDONYM = re.compile(PSEUDONYM_PATTERN)
#: What a pseudonym in a report's text is replaced by.
PERSON_MASK = "[person]"

_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class PseudonymKeyError(ValueError):
    """The pseudonymisation key is missing, too weak, unreadable, or given twice with different values."""


class CprValueError(ValueError):
    """A value of a CPR column is empty or not a CPR number; the message names the row, never the value.

    Attributes
    ----------
    source, column : str
        The file and column.
    row : int
        The source's row number.
    expected, found_text : str
        What was expected, and a description of what was found (never the value itself).
    """

    def __init__(self, source: str, column: str, row: int, expected: str, found_text: str):
        self.source, self.column, self.row = source, column, row
        self.expected, self.found_text = expected, found_text
        super().__init__(f"{source}, row {row}, column '{column}': expected {expected}, found {found_text}")


# CPR numbers ------------------------------------------------------------------------------------------------------


def find_cpr(text: str) -> list[str]:
    """All CPR-shaped substrings of ``text`` (for scanning inputs and outputs).

    >>> find_cpr("borger 010203 1234, cpr 010203/1234; 010203.1234 og 0102031234")
    ['010203 1234', '010203/1234', '010203.1234', '0102031234']
    >>> find_cpr("3213991234 (dag 32), 0113991234 (måned 13), 1.234.567,89 kr., 0102031234,50 kr., 2024-01-01")
    []

    Digits inside a hexadecimal digest (32 or more hex characters, at least one a letter, standing as one word: a
    SHA-256 in a manifest) are part of the digest, not a CPR number; the same digits standing alone are one:

    >>> find_cpr("sha256 c62c2f5c1509249498dacc6a89e24fb4fb8a2d0a1900a61de24bd4e320ac5023, cpr 1509249498")
    ['1509249498']
    """
    digests = [m.span() for m in _HEX_DIGEST.finditer(text)]
    return [
        m.group()
        for m in _CPR.finditer(text)
        if not any(start <= m.start() and m.end() <= end for start, end in digests)
    ]


def mask_cpr(value: object) -> object:
    """``value`` with every CPR-shaped number replaced by :data:`CPR_MASK`; values that are not text unchanged.

    >>> mask_cpr("Botilbud for 010203 1234"), mask_cpr(12.5), mask_cpr(None)
    ('Botilbud for [CPR]', 12.5, None)
    """
    return _CPR.sub(CPR_MASK, value) if isinstance(value, str) else value


def mask_person_data(value: object) -> object:
    """``value`` with CPR-shaped numbers and pseudonyms masked (for text a report prints); other values unchanged.

    >>> mask_person_data("sag 1, P-0a1b-2c3d-4e5f-6789: cpr 010203/1234")
    'sag 1, [person]: cpr [CPR]'
    """
    return _PSEUDONYM.sub(PERSON_MASK, _CPR.sub(CPR_MASK, value)) if isinstance(value, str) else value


def mask_cpr_column(values: pd.Series) -> pd.Series:
    """A column with the CPR-shaped numbers of its text masked (see :func:`mask_cpr`); other cells unchanged.

    Parameters
    ----------
    values : pandas.Series
        Cells of a text column (text, None or numbers as a file gave them).

    Returns
    -------
    pandas.Series
        Same index, object dtype.
    """
    return pd.Series([mask_cpr(v) for v in values], index=values.index, dtype=object)


def cpr_digits(value: object) -> str | None:
    """The ten digits of a CPR number written with or without a separator, or None when it is not one.

    The date may also be written with the same hyphen, dot or space between day, month and year; separators in
    other places are not read (``01-0203-1234``):

    >>> cpr_digits("010203-1234"), cpr_digits(" 010203 1234 "), cpr_digits("010203/1234"), cpr_digits("12-34")
    ('0102031234', '0102031234', '0102031234', None)
    >>> [cpr_digits(c) for c in ("30-02-85-1201", "30.02.85-1201", "30 02 85 1201", "30-0285-1201")]
    ['3002851201', '3002851201', '3002851201', None]
    """
    m = _CPR_EXACT.match(str(value))
    return re.sub(r"\D", "", m.group(1)) + m.group(3) if m else None


def cpr_date_is_valid(cpr: str) -> bool:
    """True when the CPR number's first six digits are a possible date (DDMMYY).

    29 February counts as possible in years divisible by 4 (the century is not needed: 1900 and 1800 are the
    only such years that were not leap years, and the two year digits cannot tell them from 2000). Substitute
    numbers (erstatningspersonnumre, day plus 60) count as impossible.

    >>> [cpr_date_is_valid(c) for c in ("010203-1234", "3102851234", "2902841234", "2902851234", "0113001234")]
    [True, False, True, False, False]
    """
    digits = cpr_digits(cpr)
    if digits is None:
        return False
    day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:6])
    if not 1 <= month <= 12:
        return False
    last = 28 if month == 2 and year % 4 else _DAYS_IN_MONTH[month - 1]
    return 1 <= day <= last


# The key ----------------------------------------------------------------------------------------------------------

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$")
_RULE = (
    f"a key must be at least {MIN_KEY_BYTES} random bytes, written as 64 hex digits or 44 base64 characters (make "
    'one with: python -c "import secrets; print(secrets.token_hex(32))")'
)


def _key_material(text: str) -> bytes | None:
    """The bytes a key text stands for: hex first, then base64 (standard or URL-safe); None for other text."""
    if _HEX.match(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    if _BASE64.match(text):
        body = text.rstrip("=")
        padded = body + "=" * (-len(body) % 4)
        try:
            altchars = b"-_" if ("-" in body or "_" in body) else None
            return base64.b64decode(padded, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def key_problem(key: str | bytes) -> str | None:
    """What is wrong with a key, in words that complete "the key from X ...", or None for a good key.

    A key is text (hex or base64; surrounding whitespace ignored) or raw bytes. It must stand for at least
    :data:`MIN_KEY_BYTES` bytes with at least 16 different byte values among them.

    >>> key_problem(b""), key_problem("  "), key_problem("1")
    ('is empty (0 bytes)', 'holds only whitespace', 'holds 1 character, not hex or base64 text of 32 bytes')
    >>> key_problem("ab" * 32)
    'is not random: its 32 bytes take only 1 different values'
    >>> key_problem("0123456789abcdef" * 4) is not None, key_problem(bytes(range(32)).hex())
    (True, None)
    """
    if isinstance(key, bytes):
        if not key:
            return "is empty (0 bytes)"
        try:
            text = key.decode("ascii")
        except UnicodeDecodeError:
            text = None
        if text is None:  # raw bytes, as a caller may pass them
            material = key
            if len(material) < MIN_KEY_BYTES:
                return f"holds {len(material)} bytes, fewer than {MIN_KEY_BYTES}"
            return _variety(material)
    else:
        text = key
    if not text:
        return "is empty (0 bytes)"
    text = text.strip()
    if not text:
        return "holds only whitespace"
    material = _key_material(text)
    n = len(text)
    chars = f"{n} character{'s' if n != 1 else ''}"
    if material is None:
        return f"holds {chars}, not hex or base64 text of {MIN_KEY_BYTES} bytes"
    if len(material) < MIN_KEY_BYTES:
        return (
            f"holds {len(material)} bytes of key material (decoded from {chars}), fewer than {MIN_KEY_BYTES}"
        )
    return _variety(material)


def _variety(material: bytes) -> str | None:
    distinct = len(set(material))
    if distinct < _MIN_DISTINCT_BYTES:
        return f"is not random: its {len(material)} bytes take only {distinct} different values"
    return None


def check_key(key: str | bytes, origin: str, hint: str = "") -> bytes:
    """The key as the bytes HMAC uses (text stripped of surrounding whitespace), after checking its strength.

    Parameters
    ----------
    key : str or bytes
        The key as read (text) or given (bytes).
    origin : str
        Where it came from, for the message (e.g. ``"the key file data/pseudonym.key"``).
    hint : str, optional
        What to do about it, added to the message after the problem.

    Raises
    ------
    PseudonymKeyError
        When :func:`key_problem` finds something wrong; the message names ``origin`` and never shows the key.
    """
    problem = key_problem(key)
    if problem is not None:
        raise PseudonymKeyError(f"the pseudonymisation key from {origin} {problem}{hint}; {_RULE}")
    if isinstance(key, str):
        return key.strip().encode("utf-8")
    try:
        return key.decode("ascii").strip().encode("ascii")
    except UnicodeDecodeError:
        return key


def key_fingerprint(key: bytes) -> str:
    """A fingerprint of the key: HMAC-SHA256 of a fixed text, 32 hex digits; it does not reveal the key.

    >>> len(key_fingerprint(b"k")), key_fingerprint(b"j") == key_fingerprint(b"k")
    (32, False)
    """
    return hmac.new(key, _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:32]


def _read_key_file(path: Path) -> bytes:
    origin = f"the key file {path}"
    if path.is_dir():
        raise PseudonymKeyError(f"{origin} is a folder, not a file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PseudonymKeyError(f"cannot read {origin}: {e.strerror or e}") from None
    hint = ""
    if not raw.strip():
        hint = (
            " (perhaps the disk filled while it was first written). If no case extract was loaded with it, delete "
            "it and the next case load makes a new key; otherwise restore the key from your backup"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PseudonymKeyError(f"{origin} is not text (hex or base64); {_RULE}") from None
    return check_key(text, origin, hint)


def write_key_file(path: str | os.PathLike) -> bytes:
    """Make a new key file: 32 random bytes as 64 hex digits, written atomically with mode 0600.

    The key is written to a temporary file beside ``path``, flushed to disk (fsync) and then linked to
    ``path``, which never exists half-written; the folder is synced too. When another process made the key file
    in the meantime, that key is used (so two first loads at once agree on one key).

    Returns
    -------
    bytes
        The key as :func:`load_key` returns it.

    Raises
    ------
    PseudonymKeyError
        When the file cannot be written (the message names it and the cause, e.g. a full disk); nothing is left.
    """
    path = Path(path)
    text = secrets.token_hex(MIN_KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            data = (text + "\n").encode("ascii")
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # an atomic rename that never replaces a key another process just made
        except FileExistsError:
            return _read_key_file(path)
        except OSError:  # a file system without hard links
            if path.exists():
                return _read_key_file(path)
            os.replace(tmp, path)
        _sync_folder(path.parent)
    except OSError as e:
        raise PseudonymKeyError(
            f"cannot write the pseudonymisation key file {path}: {e.strerror or e}; no key was made"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return text.encode("ascii")


def _sync_folder(folder: Path) -> None:
    if os.name == "nt":  # pragma: no cover - folders cannot be opened on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_key(
    key_file: str | os.PathLike, *, environ: Mapping[str, str] | None = None, create: bool = True
) -> bytes:
    """The pseudonymisation key: from ``ANALYSIS_PSEUDONYM_KEY`` or ``key_file``; a new key file on first use.

    Parameters
    ----------
    key_file : path
        The key file (the data layer passes ``pseudonym.key`` beside the warehouse).
    environ : mapping, optional
        The environment to read ``ANALYSIS_PSEUDONYM_KEY`` from; default ``os.environ``.
    create : bool, default True
        Make ``key_file`` (see :func:`write_key_file`) when neither the variable nor the file holds a key.

    Returns
    -------
    bytes
        The HMAC key: the key text without surrounding whitespace, as bytes.

    Raises
    ------
    PseudonymKeyError
        For a key that breaks the rule of :func:`key_problem` (naming the variable or the file), a variable set
        to an empty text, a variable and a file that hold different keys, or a key file that cannot be read or
        written.
    """
    environ = os.environ if environ is None else environ
    key_file = Path(key_file)
    env = environ.get(KEY_ENV)
    env_key = None
    if env is not None:
        if not env.strip():
            raise PseudonymKeyError(
                f"the environment variable {KEY_ENV} is set but empty; unset it to use the key file {key_file}, "
                f"or set it to the key ({_RULE})"
            )
        env_key = check_key(env, f"the environment variable {KEY_ENV}")
    file_key = _read_key_file(key_file) if key_file.exists() else None
    if env_key is not None and file_key is not None and not hmac.compare_digest(env_key, file_key):
        raise PseudonymKeyError(
            f"the environment variable {KEY_ENV} and the key file {key_file} hold different pseudonymisation "
            "keys; pseudonyms made under one do not match the other. Keep the one this warehouse was made with "
            "and remove the other (unset the variable, or move the file away)"
        )
    if env_key is not None:
        return env_key
    if file_key is not None:
        return file_key
    if not create:
        raise PseudonymKeyError(f"no pseudonymisation key: {KEY_ENV} is not set and there is no {key_file}")
    return write_key_file(key_file)


def pseudonymise(cpr: str, key: bytes) -> str:
    """The pseudonym of one CPR number (with or without a separator) under ``key``.

    >>> pseudonymise("010203-1234", b"k") == pseudonymise("0102031234", b"k") == pseudonymise("010203 1234", b"k")
    True
    >>> pseudonymise("0102031234", b"k").startswith("P-")
    True
    """
    digits = cpr_digits(cpr)
    if digits is None:
        raise ValueError("expected a CPR number of 10 digits (DDMMYY-SSSS)")
    digest = hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()[:16]
    return "P-" + "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def pseudonymise_column(
    values: pd.Series, key: bytes, *, source: str, column: str, first_row: int = 1
) -> pd.Series:
    """Pseudonymise a column of CPR numbers under a key that passes :func:`check_key`.

    Raises
    ------
    PseudonymKeyError
        For a weak key (see :func:`key_problem`).
    CprValueError
        For a missing or malformed CPR number, naming its row; the error never repeats the value, which may
        itself be person data.
    """
    key = check_key(key, "the key given for pseudonymisation")
    out = []
    for i, v in enumerate(values):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            raise CprValueError(source, column, i + first_row, "a CPR number", "empty")
        try:
            out.append(pseudonymise(str(v), key))
        except ValueError:
            raise CprValueError(
                source,
                column,
                i + first_row,
                "a CPR number of 10 digits (DDMMYY-SSSS)",
                "a value of another form",
            ) from None
    return pd.Series(out, index=values.index, dtype=object)


# Small-group suppression ------------------------------------------------------------------------------------------

#: The smallest ``min_group`` allowed: groups of fewer than 5 persons are never shown.
MIN_GROUP_FLOOR = 5

#: Marks of :func:`suppression_marks`: a cell shown, a cell of a small group (primary suppression), and a cell hidden
#: only so that a small one cannot be derived from a total and the shown cells (complementary suppression).
SHOWN, SMALL, COMPLEMENT = "", "small", "complement"

#: What a table shows in a person-count cell of a small group is :func:`suppressed_label` ('<5'); in its other
#: cells (amounts, shares) :data:`SMALL_VALUE_LABEL`, and in a cell hidden only to protect another
#: :data:`COMPLEMENT_LABEL`, so that no amount reads as a number of persons and no large group as a small one.
SMALL_VALUE_LABEL = ".."
COMPLEMENT_LABEL = "x"


def check_min_group(min_group: int) -> int:
    """Validate a small-group threshold (persons): a whole number of at least :data:`MIN_GROUP_FLOOR` (5).

    Parameters
    ----------
    min_group : int
        The smallest number of persons a shown figure may rest on (persons).

    Returns
    -------
    int
        ``min_group`` itself.

    Raises
    ------
    ValueError
        When ``min_group`` is below 5 or not a whole number.

    Examples
    --------
    >>> check_min_group(5)
    5
    """
    if isinstance(min_group, bool) or not isinstance(min_group, int | np.integer):
        raise ValueError(f"min_group must be a whole number of persons, found {min_group!r}")
    if min_group < MIN_GROUP_FLOOR:
        raise ValueError(
            f"min_group must be at least {MIN_GROUP_FLOOR} persons (groups of fewer than {MIN_GROUP_FLOOR} are "
            f"never shown), found {min_group}"
        )
    return int(min_group)


def suppressed_label(min_group: int = MIN_GROUP_FLOOR) -> str:
    """The text shown in a person-count cell of a small group: ``'<5'`` for the default threshold.

    >>> suppressed_label(10)
    '<10'
    """
    return f"<{check_min_group(min_group)}"


def suppression_notes(
    marks, min_group: int = MIN_GROUP_FLOOR, count_columns: Sequence | None = None
) -> list[str]:
    """The Danish footnotes that explain the marks a table uses, one sentence per kind of mark used.

    Parameters
    ----------
    marks : pandas.DataFrame, pandas.Series or iterable of str
        Marks from :func:`suppression_marks` (or :func:`share_marks`); for a DataFrame, one per cell.
    min_group : int, default 5
        The threshold used (persons).
    count_columns : sequence of labels, optional
        With a DataFrame of marks: the columns of persons (whose small cells read '<5'; the others '..'), so that
        the note names only the labels the table shows. Default: both labels are explained.

    Returns
    -------
    list of str
        Empty when nothing is hidden.

    Examples
    --------
    >>> suppression_notes(pd.Series(["", "small", "complement"]))[1]
    'x: skjult, så mindre grupper ikke kan regnes ud.'
    >>> suppression_notes(pd.DataFrame({"Borgere": ["small", ""]}), count_columns=["Borgere"])
    ['<5: gruppen har færre end 5 borgere.']
    """
    values = marks.to_numpy().ravel() if isinstance(marks, pd.DataFrame | pd.Series) else list(marks)
    label = suppressed_label(min_group)
    if isinstance(marks, pd.DataFrame) and count_columns is not None:
        counts = [c for c in marks.columns if c in set(count_columns)]
        others = [c for c in marks.columns if c not in set(count_columns)]
        small_count = bool((marks[counts] == SMALL).to_numpy().any()) if counts else False
        small_value = bool((marks[others] == SMALL).to_numpy().any()) if others else False
    else:
        small_count = small_value = SMALL in set(values)
    notes = []
    if small_count and small_value:
        notes.append(
            f"{label} og {SMALL_VALUE_LABEL}: gruppen har færre end {min_group} borgere, så dens tal vises ikke."
        )
    elif small_count:
        notes.append(f"{label}: gruppen har færre end {min_group} borgere.")
    elif small_value:
        notes.append(
            f"{SMALL_VALUE_LABEL}: tallet vises ikke, fordi det bygger på færre end {min_group} borgere."
        )
    if COMPLEMENT in set(values):
        notes.append(f"{COMPLEMENT_LABEL}: skjult, så mindre grupper ikke kan regnes ud.")
    return notes


def _groups(shape: tuple[int, int], total_row: int | None, total_column: int | None) -> list[list[tuple]]:
    """The additive groups of a table's cells: each a list of (row, col) positions, the total (margin) last."""
    n_rows, n_cols = shape
    groups = []
    if total_row is not None:
        inner = [r for r in range(n_rows) if r != total_row]
        for c in range(n_cols):
            groups.append([(r, c) for r in inner] + [(total_row, c)])
    if total_column is not None:
        inner = [c for c in range(n_cols) if c != total_column]
        for r in range(n_rows):
            groups.append([(r, c) for c in inner] + [(r, total_column)])
    return groups


def _complete_groups(mask: np.ndarray, values: np.ndarray, groups: list[list[tuple]]) -> np.ndarray:
    """Hide further cells (in place) until no additive group has exactly one hidden cell; see suppression_marks."""
    changed = True
    while changed:
        changed = False
        for group in groups:
            hidden = [cell for cell in group if mask[cell]]
            if len(hidden) != 1 or len(group) < 2:
                continue
            shown = [cell for cell in group if not mask[cell]]
            total = group[-1]

            def rank(cell, total=total):
                n = values[cell]
                tier = 0 if (cell != total and n > 0) else (1 if cell == total else 2)
                return (tier, n, cell)

            mask[min(shown, key=rank)] = True
            changed = True
    return mask


def suppression_marks(
    counts: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    *,
    total_row: object | None = None,
    total_column: object | None = None,
) -> pd.DataFrame | pd.Series:
    """Why each cell of a table is hidden: a small group, a cell hidden to protect one, or not hidden.

    Primary suppression (:data:`SMALL`): a cell whose figure rests on 1 to ``min_group - 1`` persons. A cell of 0
    persons is shown (it describes no one). Complementary suppression (:data:`COMPLEMENT`): where the table has a
    total row (the sum of the other rows, column by column) or a total column (the sum of the other columns, row
    by row), every such additive group (a column with its total, a row with its total) must have no hidden cell
    or at least two; a group with exactly one gets a second one: the shown inner cell of the group resting on the
    fewest persons (more than 0), else the total, else a shown cell of 0 persons. This repeats until no group has
    exactly one hidden cell, so that no hidden figure equals a total less the shown figures. Then
    :func:`secure_marks` checks by search that no small cell follows from the shown cells and totals in another
    way (a '<5' and an 'x' of 5 persons that sum to 6 can only be 1 and 5) and hides more where one does.

    Parameters
    ----------
    counts : pandas.DataFrame or pandas.Series
        The number of persons behind each cell (persons). A Series gives one count per row, for a table whose
        every column is suppressed row by row (e.g. one row per sector with several amounts); only
        ``total_row`` applies then.
    min_group : int, default 5
        Smallest number of persons a shown figure may rest on (persons, at least 5).
    total_row : label, optional
        Index label of the row that is the sum of the other rows.
    total_column : label, optional
        Column label of the column that is the sum of the other columns (DataFrame only).

    Returns
    -------
    pandas.DataFrame or pandas.Series
        Strings of the shape of ``counts``: :data:`SHOWN` (''), :data:`SMALL` ('small') or :data:`COMPLEMENT`
        ('complement').

    Raises
    ------
    ValueError
        When ``min_group`` is below 5, or a total label is not in the table, or a count is missing.

    Examples
    --------
    >>> counts = pd.Series({"A": 3, "B": 12, "C": 40, "I alt": 55})
    >>> suppression_marks(counts, total_row="I alt").to_dict()
    {'A': 'small', 'B': 'complement', 'C': '', 'I alt': ''}
    """
    min_group = check_min_group(min_group)
    series = isinstance(counts, pd.Series)
    frame = counts.to_frame("count") if series else counts
    if series and total_column is not None:
        raise ValueError("total_column needs a DataFrame of counts (one count per cell)")
    values = frame.to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ValueError("counts must be given for every cell (persons); found a missing count")
    tr = None if total_row is None else _position(frame.index, total_row, "total_row")
    tc = None if total_column is None else _position(frame.columns, total_column, "total_column")
    primary = (values > 0) & (values < min_group)
    mask = _complete_groups(primary.copy(), values, _groups(values.shape, tr, tc))
    marks = np.where(primary, SMALL, np.where(mask, COMPLEMENT, SHOWN))
    out = pd.DataFrame(marks, index=frame.index, columns=frame.columns)
    groups = _groups(values.shape, tr, tc)
    additive = all(abs(sum(values[c] for c in g[:-1]) - values[g[-1]]) < 1e-9 for g in groups)
    if mask.any() and groups and additive:
        # two hidden cells are not always enough: '<5' beside an 'x' of 5 with 6 between them can only be 1 + 5.
        # (A total that is not the sum of its rows, e.g. persons counted once over sectors, is checked by the
        # caller with table_view(unique_total=True).)
        out = secure_marks(frame, out, min_group, total_row=total_row, total_column=total_column)
    return out["count"].rename(counts.name) if series else out


def suppression_mask(
    counts: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    *,
    total_row: object | None = None,
    total_column: object | None = None,
) -> pd.DataFrame | pd.Series:
    """Which cells of a table to hide: :func:`suppression_marks` as booleans (True: hidden, for either reason).

    Examples
    --------
    >>> counts = pd.Series({"A": 3, "B": 12, "C": 40, "I alt": 55})
    >>> suppression_mask(counts, total_row="I alt").to_dict()
    {'A': True, 'B': True, 'C': False, 'I alt': False}
    """
    return suppression_marks(counts, min_group, total_row=total_row, total_column=total_column) != SHOWN


def share_mask(numerator, denominator, min_group: int = MIN_GROUP_FLOOR):
    """Which shares (numerator / denominator, counts of persons) to suppress.

    A share is suppressed when its denominator is below ``min_group`` persons, or when the persons it counts
    (the numerator) or the persons it leaves out (denominator less numerator) number 1 to ``min_group - 1``: a
    share of 1/7 or of 6/7 would tell about one person. A share of 0/7 or 7/7 is shown.

    Parameters
    ----------
    numerator, denominator : array-like or pandas.Series
        Counts of persons.
    min_group : int, default 5
        Smallest group shown (persons, at least 5).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Booleans, True where the share is to be hidden (a small group: mark :data:`SMALL`).

    Examples
    --------
    >>> share_mask(pd.Series([0, 1, 6, 7, 3]), pd.Series([7, 7, 7, 7, 4])).tolist()
    [False, True, True, False, True]
    """
    min_group = check_min_group(min_group)
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    small = lambda x: (x > 0) & (x < min_group)  # noqa: E731
    out = (n < min_group) | small(k) | small(n - k)
    return pd.Series(out, index=numerator.index) if isinstance(numerator, pd.Series) else out


def open_top(counts: Sequence[float], min_group: int = MIN_GROUP_FLOOR) -> int:
    """Where an ordered list of categories should open its top category ('3 eller flere') so that none is small.

    Starting from the last category, the top categories are merged while the merged group holds 1 to
    ``min_group - 1`` persons, or the category just below it does: merging a small tail into one open category
    keeps its information (its persons and cost are shown) where suppression would hide it and a neighbour.
    The first category is never merged away; it may stay small (and be suppressed).

    Parameters
    ----------
    counts : sequence of numbers
        Persons per category, in their order (e.g. persons served by 1, 2, 3, 4 sectors).
    min_group : int, default 5
        Smallest group shown (persons).

    Returns
    -------
    int
        The position of the first category of the open top: categories from it to the end are merged. It is
        ``len(counts) - 1`` when nothing needs merging.

    Examples
    --------
    >>> open_top([433, 125, 35, 4])
    2
    >>> open_top([154, 55, 7, 3, 6])
    3
    >>> open_top([20, 10, 0, 8])
    3
    """
    min_group = check_min_group(min_group)
    values = [float(c) for c in counts]
    if not values:
        raise ValueError("open_top needs at least one category")
    small = lambda x: 0 < x < min_group  # noqa: E731
    top = len(values) - 1
    merged = values[top]
    while top > 0 and (small(merged) or small(values[top - 1])):
        top -= 1
        merged += values[top]
    return top


def _position(labels: pd.Index, label: object, name: str) -> int:
    hits = np.flatnonzero(labels == label)
    if len(hits) != 1:
        raise ValueError(f"{name} {label!r} is not (once) among the table's labels")
    return int(hits[0])


def _as_marks(mask: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Marks from marks, or from a boolean mask (True: a small group)."""
    values = mask.to_numpy()
    if values.dtype == bool:
        marks = np.where(values, SMALL, SHOWN)
        if isinstance(mask, pd.Series):
            return pd.Series(marks, index=mask.index, name=mask.name)
        return pd.DataFrame(marks, index=mask.index, columns=mask.columns)
    return mask


def cell_marks(
    table: pd.DataFrame, marks: pd.DataFrame | pd.Series, columns: Sequence | None = None
) -> pd.DataFrame:
    """The marks of every cell of ``table`` (a frame of ``table``'s shape): '' where a cell is shown.

    Parameters
    ----------
    table : pandas.DataFrame
        The figures to show.
    marks : pandas.DataFrame or pandas.Series
        From :func:`suppression_marks` (or a boolean mask, True read as a small group): a DataFrame with
        ``table``'s index and (some of) its columns, or a Series per row that applies to every column in
        ``columns``.
    columns : sequence of labels, optional
        With a Series: the columns it applies to (default: every column).

    Returns
    -------
    pandas.DataFrame
        Strings, ``table``'s index and columns.

    Raises
    ------
    ValueError
        When the marks do not cover every row of the table, or name a column it does not have.
    """
    marks = _as_marks(marks)
    out = pd.DataFrame(SHOWN, index=table.index, columns=table.columns, dtype=object)
    if isinstance(marks, pd.Series):
        rows = marks.reindex(table.index)
        if rows.isna().any():
            raise ValueError("the mask does not cover every row of the table")
        for c in list(table.columns) if columns is None else list(columns):
            out[c] = rows.to_numpy()
        return out
    for c in marks.columns:
        if c not in table.columns:
            raise ValueError(f"the mask names a column not in the table: {c!r}")
        col = marks[c].reindex(table.index)
        if col.isna().any():
            raise ValueError("the mask does not cover every row of the table")
        out[c] = col.to_numpy()
    return out


def suppress(
    table: pd.DataFrame,
    mask: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    columns: Sequence | None = None,
    *,
    count_columns: Sequence = (),
) -> pd.DataFrame:
    """A copy of ``table`` with the hidden cells replaced by their labels (object columns where any is).

    A person-count cell (a column in ``count_columns``) of a small group reads ``'<5'``; any other cell of a small
    group (an amount, a share) reads :data:`SMALL_VALUE_LABEL` ('..'), and a cell hidden only to protect another
    :data:`COMPLEMENT_LABEL` ('x'), whatever its column.

    Parameters
    ----------
    table : pandas.DataFrame
        The figures to show.
    mask : pandas.DataFrame or pandas.Series
        Marks from :func:`suppression_marks`, or a boolean mask (True: a small group); see :func:`cell_marks`.
    min_group : int, default 5
        The threshold used (persons); it gives the label, e.g. ``'<5'``.
    columns : sequence of labels, optional
        With a Series mask: the columns it applies to (default: every column).
    count_columns : sequence of labels, default ()
        The columns that hold numbers of persons.

    Returns
    -------
    pandas.DataFrame
        Same shape as ``table``.
    """
    labels = {SMALL: SMALL_VALUE_LABEL, COMPLEMENT: COMPLEMENT_LABEL}
    small_count = suppressed_label(min_group)
    marks = cell_marks(table, mask, columns)
    out = table.copy()
    for col in table.columns:
        m = marks[col]
        if not (m != SHOWN).any():
            continue
        text = m.map(
            lambda k, col=col: small_count if (k == SMALL and col in count_columns) else labels.get(k)
        )
        out[col] = out[col].astype(object).where(m.to_numpy() == SHOWN, text)
    return out


# What a table gives away: the onlooker's view of its counts, searched ---------------------------------------------
#
# One mechanism: a table (or several tables of one report) becomes a view, the values each hidden count may hold and
# the linear facts the shown figures give about them (:func:`table_view`, :func:`column_view`); :func:`feasible_values`
# finds the values each cell can still take, :func:`solutions` lists the assignments themselves (for a figure that is
# not linear in the counts, such as a rounded weighted total, :func:`weighted_total`). A '<5' cell left with one value
# is given away (:func:`disclosed_cells`, :func:`given_away`); :func:`secure_tables` and :func:`secure_marks` hide
# more until none is.

#: The most search steps :func:`feasible_values` and :func:`solutions` take before they give up (read as not safe).
MAX_SEARCH_STEPS = 200_000
#: The most assignments :func:`solutions` lists before it gives up (None: too many to check, read as not safe).
MAX_VECTORS = 200_000


class _TooManySteps(Exception):
    pass


def _propagate(domains: dict, constraints: Sequence) -> bool:
    """Narrow each domain by the bounds the linear constraints put on it (in place); False when one is empty."""
    changed = True
    while changed:
        changed = False
        for coefs, lo, hi in constraints:
            mins = {k: c * (domains[k][0] if c > 0 else domains[k][-1]) for k, c in coefs.items()}
            maxs = {k: c * (domains[k][-1] if c > 0 else domains[k][0]) for k, c in coefs.items()}
            smin, smax = sum(mins.values()), sum(maxs.values())
            if (lo is not None and smax < lo) or (hi is not None and smin > hi):
                return False
            for k, c in coefs.items():
                tlo = None if lo is None else lo - (smax - maxs[k])  # c * x >= tlo
                thi = None if hi is None else hi - (smin - mins[k])  # c * x <= thi
                d = domains[k]
                if (tlo is None or mins[k] >= tlo) and (thi is None or maxs[k] <= thi):
                    continue
                new = [v for v in d if (tlo is None or c * v >= tlo) and (thi is None or c * v <= thi)]
                if not new:
                    return False
                if len(new) != len(d):
                    domains[k] = new
                    changed = True
    return True


def _assignments(domains: dict, constraints: Sequence, steps: list[int]) -> Iterator[dict]:
    """The assignments consistent with the constraints, one by one: the search of :func:`feasible_values`.

    Narrows the domains by the constraints' bounds, then tries each value of the cell with the fewest left; each
    try costs a step of ``steps`` (a one-item list, shared by the caller's searches), and :class:`_TooManySteps`
    is raised when they run out.
    """
    domains = dict(domains)
    if not _propagate(domains, constraints):
        return
    free = [k for k, d in domains.items() if len(d) > 1]
    if not free:  # every cell narrowed to one value that passed every constraint's bounds: an assignment
        yield {k: d[0] for k, d in domains.items()}
        return
    key = min(free, key=lambda k: len(domains[k]))
    for v in domains[key]:
        steps[0] -= 1
        if steps[0] < 0:
            raise _TooManySteps
        yield from _assignments({**domains, key: [v]}, constraints, steps)


def _solvable(domains: dict, constraints: Sequence, steps: list[int]) -> bool:
    return next(_assignments(domains, constraints, steps), None) is not None


def feasible_values(
    domains: Mapping[object, Sequence[int]],
    constraints: Sequence[tuple[Mapping[object, int], int | None, int | None]],
    cells: Sequence | None = None,
    *,
    steps: int = MAX_SEARCH_STEPS,
) -> dict[object, list[int]] | None:
    """The values each cell can take in some assignment of counts consistent with everything shown.

    The onlooker's view of one or more tables: each unknown cell (a hidden count, persons) may hold the values of
    its domain; each constraint ``(coefficients, low, high)`` says ``low <= sum(coefficient x cell) <= high``
    (None: open), e.g. a column's hidden cells sum to its total less its shown cells (low = high), or a table's
    members in a row are at most its persons (``{members: 1, persons: -1}, None, 0``). A cell is given away when
    only one value is left for it.

    Parameters
    ----------
    domains : mapping of cell to sequence of int
        The values each unknown cell may hold (persons).
    constraints : sequence of (mapping of cell to int, int or None, int or None)
        Linear constraints on the unknown cells.
    cells : sequence, optional
        The cells to report (default: every cell whose domain has fewer than 50 values, the small ones).
    steps : int, default :data:`MAX_SEARCH_STEPS`
        Give up after this many search steps.

    Returns
    -------
    dict or None
        For each cell of ``cells``, its feasible values, ascending (empty for every cell when the constraints
        contradict each other); None when the search gave up (read as not safe).

    Examples
    --------
    A '<5' cell and an 'x' cell (0 or at least 5) that together hold 6 persons: only 1 + 5.

    >>> feasible_values({"a": range(1, 5), "b": [0, *range(5, 7)]}, [({"a": 1, "b": 1}, 6, 6)], ["a"])
    {'a': [1]}
    >>> feasible_values({"a": range(1, 5), "b": [0, *range(5, 13)]}, [({"a": 1, "b": 1}, 12, 12)], ["a"])
    {'a': [1, 2, 3, 4]}
    """
    base = {k: sorted({int(v) for v in d}) for k, d in domains.items()}
    if any(not d for d in base.values()):
        return {k: [] for k in (cells if cells is not None else base)}
    targets = list(cells) if cells is not None else [k for k, d in base.items() if len(d) < 50]
    budget = [steps]
    out: dict[object, list[int]] = {}
    try:
        narrowed = dict(base)
        if not _propagate(narrowed, constraints):
            return {k: [] for k in targets}
        for k in targets:
            out[k] = [v for v in narrowed[k] if _solvable({**narrowed, k: [v]}, constraints, budget)]
    except _TooManySteps:
        return None
    return out


def solutions(
    domains: Mapping[object, Sequence[int]],
    constraints: Sequence[tuple[Mapping[object, int], int | None, int | None]],
    *,
    limit: int = MAX_VECTORS,
    steps: int = MAX_SEARCH_STEPS,
) -> list[dict[object, int]] | None:
    """Every assignment of counts to the unknown cells consistent with the view: what an onlooker cannot tell apart.

    The same search as :func:`feasible_values`, carried to the end: for a figure that is not a linear fact about
    the cells (a rounded weighted total, :func:`weighted_total`) the assignments are grouped by it.

    Parameters
    ----------
    domains, constraints
        A view, as :func:`feasible_values` takes it (e.g. from :func:`table_view` or :func:`column_view`).
    limit : int, default :data:`MAX_VECTORS`
        Give up when there are more assignments than this.
    steps : int, default :data:`MAX_SEARCH_STEPS`
        Give up after this many search steps.

    Returns
    -------
    list of dict, or None
        One mapping of cell to count per assignment ([] when the constraints contradict each other); None when
        the search gave up (read as not safe).

    Examples
    --------
    A '<5' and an 'x' that hold 7 persons together: 1 + 6 or 2 + 5.

    >>> solutions({"a": range(1, 5), "b": [0, *range(5, 8)]}, [({"a": 1, "b": 1}, 7, 7)])
    [{'a': 1, 'b': 6}, {'a': 2, 'b': 5}]
    """
    base = {k: sorted({int(v) for v in d}) for k, d in domains.items()}
    if any(not d for d in base.values()):
        return []
    out: list[dict[object, int]] = []
    try:
        for assignment in _assignments(base, constraints, [steps]):
            out.append(assignment)
            if len(out) > limit:
                return None
    except _TooManySteps:
        return None
    return out


def column_view(allowed: Sequence[Sequence[int]], total: int) -> tuple[dict, list]:
    """The view of one column of counts and its total: cell ``i`` may hold ``allowed[i]``, the cells sum to total.

    The simplest view, for a caller that states each cell's possible counts itself: a shown cell its value, a
    '<5' cell 1 to 4, a cell the table does not show at all 0 to the total (e.g. one month's residents per level,
    of which only the month's sum is shown). :func:`table_view` makes the same from a table and its marks.

    Parameters
    ----------
    allowed : sequence of sequences of int
        For each cell, the counts (persons, integers >= 0; negative values are dropped) it may hold.
    total : int
        The sum of the cells (persons).

    Returns
    -------
    (dict, list)
        Domains keyed 0, 1, ... and the one constraint, for :func:`feasible_values` or :func:`solutions`.

    Examples
    --------
    Two levels of '<5' beside shown levels of 8 and 6, 20 in all: the two hold 6 persons, 2 + 4, 3 + 3 or 4 + 2.

    >>> domains, constraints = column_view([range(1, 5), [8], [6], range(1, 5)], 20)
    >>> [tuple(s.values()) for s in solutions(domains, constraints)]
    [(2, 8, 6, 4), (3, 8, 6, 3), (4, 8, 6, 2)]
    """
    domains = {i: sorted({int(v) for v in a if v >= 0}) for i, a in enumerate(allowed)}
    return domains, [({i: 1 for i in domains}, int(total), int(total))]


def _one_small_value(assignments: Sequence[Mapping], cell: object, min_group: int) -> bool:
    """True when the assignments give ``cell`` one value, of 1 to ``min_group - 1``: that small group is given away."""
    first = assignments[0][cell]
    return 0 < first < min_group and all(a[cell] == first for a in assignments)


class WeightedTotal(NamedTuple):
    """What a weighted total of a view's cells gives away (:func:`weighted_total`).

    Attributes
    ----------
    disclosed : list
        The cells that some value of the shown total gives away (a small group left with one count), view order.
    low, high : float
        The least and the most the total can be over the view's assignments (the weights' unit, e.g. DKK): a
        range that follows from the shown figures alone.
    """

    disclosed: list
    low: float
    high: float


def weighted_total(
    domains: Mapping[object, Sequence[int]],
    constraints: Sequence[tuple[Mapping[object, int], int | None, int | None]],
    weights: Mapping[object, float],
    min_group: int = MIN_GROUP_FLOOR,
    *,
    decimals: int = 0,
    offset: float = 0.0,
    limit: int = MAX_VECTORS,
) -> WeightedTotal | None:
    """What showing ``offset + sum(weight x cell)`` beside a table would give away (e.g. an income: residents x rates).

    Decided from the shown figures alone (the view), never from the true counts: the assignments consistent with
    the view (:func:`solutions`) are grouped by the total as shown (rounded to ``decimals``); an onlooker who sees
    the total cannot tell apart the assignments of one group, so a cell is given away when some group leaves it
    one value of 1 to ``min_group - 1``. Since the answer is the same whatever the true counts, whether a report
    shows the total tells an onlooker nothing more.

    Parameters
    ----------
    domains, constraints
        The view of the table (:func:`table_view`, :func:`column_view`).
    weights : mapping of cell to float
        The amount per person of each unknown cell (e.g. DKK per resident and year; public, a published rate);
        a cell without a weight weighs 0.
    min_group : int, default 5
        Smallest group that may be shown (persons).
    decimals : int, default 0
        Decimals the total is shown with.
    offset : float, default 0
        The part of the total the shown cells make (their counts times their weights).
    limit : int, default :data:`MAX_VECTORS`
        Give up when the view has more assignments than this (:func:`solutions`).

    Returns
    -------
    WeightedTotal or None
        None when there are too many assignments to check (read as not safe).

    Raises
    ------
    ValueError
        When no assignment fits the view (its figures contradict each other).

    Examples
    --------
    Two '<5' levels holding 6 residents, rates 100 and 300 kr.: each split has its own income (1 x 100 + 5 x 300 is
    not possible, '<5' is 1-4), 2 + 4: 1.400, 3 + 3: 1.200, 4 + 2: 1.000, so each gives the split away.

    >>> weighted_total(*column_view([range(1, 5)] * 2, 6), {0: 100.0, 1: 300.0})
    WeightedTotal(disclosed=[0, 1], low=1000.0, high=1400.0)
    >>> weighted_total(*column_view([range(1, 5)] * 2, 6), {0: 100.0, 1: 100.0}).disclosed
    []
    """
    found = solutions(domains, constraints, limit=limit)
    if found is None:
        return None
    if not found:
        raise ValueError("no assignment of counts fits the view: its shown figures contradict each other")
    exact = [offset + sum(w * s[k] for k, w in weights.items()) for s in found]
    classes: dict[float, list[dict]] = {}
    for s, t in zip(found, exact, strict=True):
        classes.setdefault(round(t, decimals), []).append(s)
    disclosed = [k for k in domains if any(_one_small_value(c, k, min_group) for c in classes.values())]
    return WeightedTotal(disclosed, float(min(exact)), float(max(exact)))


def weighted_total_discloses(
    domains: Mapping[object, Sequence[int]],
    constraints: Sequence[tuple[Mapping[object, int], int | None, int | None]],
    weights: Mapping[object, float],
    min_group: int = MIN_GROUP_FLOOR,
    *,
    decimals: int = 0,
    limit: int = MAX_VECTORS,
) -> bool:
    """Whether showing the weighted total can give a small cell away (:func:`weighted_total`); True when unsure.

    Examples
    --------
    Four residents on three levels of 0-4 each (nothing shown but the four), rates 100, 200, 300: an income of 400
    can only be (4, 0, 0); with equal rates the income says nothing about the split.

    >>> weighted_total_discloses(*column_view([range(5)] * 3, 4), {0: 100.0, 1: 200.0, 2: 300.0})
    True
    >>> weighted_total_discloses(*column_view([range(5)] * 2, 4), {0: 100.0, 1: 100.0})
    False
    """
    found = weighted_total(domains, constraints, weights, min_group, decimals=decimals, limit=limit)
    return found is None or bool(found.disclosed)


def _count_frame(counts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    return counts.to_frame("count") if isinstance(counts, pd.Series) else counts


def _fold(coefs: Mapping, lo, hi, fixed: Mapping) -> tuple | None:
    """A constraint over cells with the shown (fixed) ones moved into its bounds; None when no unknown cell is left."""
    terms: dict = {}
    constant = 0
    for k, c in coefs.items():
        if k in fixed:
            constant += c * fixed[k]
        else:
            terms[k] = terms.get(k, 0) + c
    terms = {k: c for k, c in terms.items() if c}
    if not terms:
        return None
    return terms, None if lo is None else lo - constant, None if hi is None else hi - constant


def _table_view(
    counts: pd.DataFrame | pd.Series,
    marks: pd.DataFrame | pd.Series,
    min_group: int,
    *,
    total_row: object | None = None,
    total_column: object | None = None,
    at_most: Sequence[tuple[object, object]] = (),
    public_totals: bool = False,
    unique_total: bool = False,
    relations: Sequence[tuple[Mapping[object, float], float | None, float | None]] = (),
    name: object = "",
) -> tuple[dict, list, dict]:
    """:func:`table_view`, and the shown cells' values (keyed as the cells) for constraints between tables."""
    min_group = check_min_group(min_group)
    frame, mframe = _count_frame(counts), _count_frame(marks)
    values = frame.to_numpy(dtype=float)
    marked = mframe.reindex(index=frame.index, columns=frame.columns).to_numpy()
    cap = int(np.nansum(np.abs(values)))
    tr = None if total_row is None else _position(frame.index, total_row, "total_row")
    tc = None if total_column is None else _position(frame.columns, total_column, "total_column")

    def key(r, c):
        return (name, frame.index[r], frame.columns[c])

    domains: dict = {}
    fixed: dict = {}
    for r in range(values.shape[0]):
        for c in range(values.shape[1]):
            mark = marked[r, c]
            is_total = r == tr or c == tc
            if mark == SHOWN or (public_totals and is_total and mark != SMALL):
                fixed[key(r, c)] = int(round(values[r, c]))
            elif mark == SMALL:
                domains[key(r, c)] = list(range(1, min_group))
            elif is_total:
                domains[key(r, c)] = list(range(0, cap + 1))
            else:
                domains[key(r, c)] = [0, *range(min_group, cap + 1)]

    constraints: list = []

    def add(coefs: dict, lo, hi):
        folded = _fold(coefs, lo, hi, fixed)
        if folded is not None:
            constraints.append(folded)

    for group in _groups(values.shape, tr, tc):
        inner, total = group[:-1], group[-1]
        if unique_total:
            add({**{key(*cell): 1 for cell in inner}, key(*total): -1}, 0, None)
            for cell in inner:
                add({key(*cell): 1, key(*total): -1}, None, 0)
        else:
            add({**{key(*cell): 1 for cell in inner}, key(*total): -1}, 0, 0)
    for coefs, lo, hi in relations:
        # a cell is (row, column), or a row label of a one-column table (a Series)
        cells = {
            (name, *(cell if isinstance(cell, tuple) else (cell, frame.columns[0]))): c
            for cell, c in coefs.items()
        }
        add(cells, lo, hi)
    columns = list(frame.columns)
    for low, high in at_most:
        for r in range(values.shape[0]):
            add({key(r, columns.index(low)): 1, key(r, columns.index(high)): -1}, None, 0)
    return domains, constraints, fixed


def table_view(
    counts: pd.DataFrame | pd.Series,
    marks: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    *,
    total_row: object | None = None,
    total_column: object | None = None,
    at_most: Sequence[tuple[object, object]] = (),
    public_totals: bool = False,
    unique_total: bool = False,
    relations: Sequence[tuple[Mapping[object, float], float | None, float | None]] = (),
    name: object = "",
) -> tuple[dict, list]:
    """What an onlooker knows of a table of counts from what it shows: the domains and constraints of its cells.

    A shown cell holds its value; a cell marked '<5' (:data:`SMALL`) 1 to ``min_group - 1``; a cell marked 'x'
    (:data:`COMPLEMENT`) 0 or at least ``min_group``, at most the table's largest count. Each additive group (a
    column and its total row, a row and its total column) sums to its total.

    Parameters
    ----------
    counts, marks : pandas.DataFrame or pandas.Series
        The persons behind each cell, and the marks the table shows (:func:`suppression_marks`).
    min_group : int, default 5
        The threshold (persons).
    total_row, total_column : label, optional
        As in :func:`suppression_marks`.
    at_most : sequence of (column, column)
        Pairs of columns whose first is at most the second in every row (e.g. members at most persons).
    public_totals : bool, default False
        The totals are known even where the table hides one (they are shown elsewhere in the report, e.g. in the
        headline); a total of 1 to ``min_group - 1`` (hidden as small) stays unknown.
    unique_total : bool, default False
        The total row counts each person once while a person may be in several rows (persons per sector, and
        all persons): each row is at most the total and the rows sum to at least the total. (Where another
        table gives the rows' sum, pass it in ``relations``.)
    relations : sequence of (mapping of cell to number, low, high)
        Further facts an onlooker knows from other figures of the report: ``low <= sum(coefficient x cell) <=
        high`` over the table's cells, each named ``(row, column)`` (a row label for a Series); e.g. a what-if
        row in which 2 residents leave a level says the level has at least 2 (``({level: 1}, 2, None)``).
    name : label, default ''
        Prefix of the cells' keys ``(name, row, column)`` (column 'count' for a Series), so that views of several
        tables can be joined (:func:`secure_tables`).

    Returns
    -------
    (dict, list)
        The domains of the hidden cells and the constraints, for :func:`feasible_values` (shown cells enter
        the constraints as constants).

    Examples
    --------
    A '<5' beside an 'x' under a shown total of 46 with 40 shown: the two hold 6 persons.

    >>> counts = pd.Series({"A": 1, "B": 5, "C": 40, "I alt": 46})
    >>> marks = pd.Series({"A": "small", "B": "complement", "C": "", "I alt": ""})
    >>> domains, constraints = table_view(counts, marks, total_row="I alt")
    >>> domains[("", "A", "count")], constraints
    ([1, 2, 3, 4], [({('', 'A', 'count'): 1, ('', 'B', 'count'): 1}, 6, 6)])
    """
    domains, constraints, _ = _table_view(
        counts,
        marks,
        min_group,
        total_row=total_row,
        total_column=total_column,
        at_most=at_most,
        public_totals=public_totals,
        unique_total=unique_total,
        relations=relations,
        name=name,
    )
    return domains, constraints


def given_away(
    domains: Mapping[object, Sequence[int]],
    constraints: Sequence[tuple[Mapping[object, int], int | None, int | None]],
    min_group: int = MIN_GROUP_FLOOR,
) -> list | None:
    """The small cells of a view (domain 1 to ``min_group - 1``, marked '<5') left with one value by the search.

    Returns
    -------
    list or None
        The cells' keys, in the view's order; None when the search gave up (read as not safe).

    Raises
    ------
    ValueError
        When no assignment fits the view (its shown figures contradict each other).
    """
    small = [k for k, d in domains.items() if list(d) == list(range(1, min_group))]
    values = feasible_values(domains, constraints, small)
    if values is None:
        return None
    if any(not v for v in values.values()):
        raise ValueError("no assignment of counts fits the table: its shown figures contradict each other")
    return [k for k in small if len(values[k]) == 1]


def disclosed_cells(
    counts: pd.DataFrame | pd.Series,
    marks: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    **view,
) -> list | None:
    """The small cells ('<5') of a table that its shown cells, totals and known relations give away.

    Decided by search over every assignment of counts consistent with what the table shows
    (:func:`table_view`, :func:`given_away`): a small cell is given away when one value is left for it.

    Parameters
    ----------
    counts, marks : pandas.DataFrame or pandas.Series
        The persons behind each cell, and the marks shown.
    min_group : int, default 5
        The threshold (persons).
    **view
        ``total_row``, ``total_column``, ``at_most``, ``public_totals``, ``unique_total``, ``relations`` of
        :func:`table_view`.

    Returns
    -------
    list or None
        ``(row, column)`` of each cell given away (row labels for a Series), in table order; None when the
        search gave up.

    Examples
    --------
    >>> counts = pd.Series({"A": 1, "B": 5, "C": 40, "I alt": 46})
    >>> marks = pd.Series({"A": "small", "B": "complement", "C": "", "I alt": ""})
    >>> disclosed_cells(counts, marks, total_row="I alt")
    ['A']
    """
    min_group = check_min_group(min_group)
    out = given_away(*table_view(counts, marks, min_group, **view), min_group)
    if out is None:
        return None
    if isinstance(counts, pd.Series):
        return [k[1] for k in out]
    return [(k[1], k[2]) for k in out]


def _fewest(cells: Sequence, persons) -> object:
    """The cell to hide next among ``cells``: the fewest persons above 0 (``persons(cell)``), else one of 0."""
    return min(cells, key=lambda cell: (0 if persons(cell) > 0 else 1, persons(cell)))


def _protector(frame: pd.DataFrame, marks: pd.DataFrame, view: Mapping, row, col) -> tuple | None:
    """The cell to hide so that (row, col) is protected, or None when there is none.

    The shown inner cell of its column, then of its row, with the fewest persons above 0 (else one of 0 persons);
    a total never.
    """
    totals_r, totals_c = view.get("total_row"), view.get("total_column")
    candidates = [(r, col) for r in frame.index if r != totals_r and marks.loc[r, col] == SHOWN]
    if not candidates:
        candidates = [(row, c) for c in frame.columns if c != totals_c and marks.loc[row, c] == SHOWN]
    if not candidates:
        return None
    return _fewest(candidates, lambda cell: float(frame.loc[cell]))


def _complete(frame: pd.DataFrame, marks: pd.DataFrame, view: Mapping) -> pd.DataFrame:
    """The marks with no additive group left with one hidden cell (a total hidden beside it would be read off)."""
    values = frame.to_numpy(dtype=float)
    totals_r, totals_c = view.get("total_row"), view.get("total_column")
    tr = None if totals_r is None else _position(frame.index, totals_r, "total_row")
    tc = None if totals_c is None else _position(frame.columns, totals_c, "total_column")
    hidden = _complete_groups((marks != SHOWN).to_numpy().copy(), values, _groups(values.shape, tr, tc))
    return marks.where(~(hidden & (marks == SHOWN).to_numpy()), COMPLEMENT)


def joint_view(
    tables: Mapping[object, tuple[pd.DataFrame | pd.Series, pd.DataFrame | pd.Series, Mapping]],
    links: Sequence[tuple[Mapping[tuple, int], int | None, int | None]] = (),
    min_group: int = MIN_GROUP_FLOOR,
) -> tuple[dict, list]:
    """The view of several tables of one report at once: their :func:`table_view` and the links between them.

    Parameters
    ----------
    tables : mapping of name to (counts, marks, view)
        As :func:`secure_tables`.
    links : sequence of (mapping of cell to int, int or None, int or None)
        As :func:`secure_tables`; shown cells enter as constants.
    min_group : int, default 5
        The threshold (persons).

    Returns
    -------
    (dict, list)
        Domains and constraints, the cells keyed ``(name, row, column)``, for :func:`given_away`.
    """
    domains: dict = {}
    constraints: list = []
    fixed: dict = {}
    for n, (counts, marks, view) in tables.items():
        d, k, f = _table_view(counts, marks, min_group, name=n, **view)
        domains.update(d)
        constraints.extend(k)
        fixed.update(f)
    for coefs, lo, hi in links:
        folded = _fold(coefs, lo, hi, fixed)
        if folded is not None:
            constraints.append(folded)
    return domains, constraints


def secure_tables(
    tables: Mapping[object, tuple[pd.DataFrame | pd.Series, pd.DataFrame | pd.Series, Mapping]],
    links: Sequence[tuple[Mapping[tuple, int], int | None, int | None]] = (),
    min_group: int = MIN_GROUP_FLOOR,
) -> dict[object, pd.DataFrame | pd.Series]:
    """The marks of several tables of one report, hidden further until their joint view gives no small cell away.

    The tables' views (:func:`table_view`, each cell keyed ``(table name, row, column)``) and the ``links``
    between them are searched as one: what two tables give away together is found even where neither gives it
    away alone. While a '<5' cell is given away, one more cell is hidden ('x'): in that cell's table the shown
    inner cell of its column with the fewest persons above 0 (else one of 0 persons), then of its row; where its
    table has none left, the shown inner cell with the fewest persons among the cells of other tables linked to
    it; a total only when nothing else is left and the totals are not public (``public_totals``: shown elsewhere,
    hiding them would not help). After each, no additive group is left with one hidden cell (in a linked table
    whose total counts each person once, ``unique_total``, the search decides). When the search gives up, every
    shown inner cell of a column with a hidden cell is hidden.

    Parameters
    ----------
    tables : mapping of name to (counts, marks, view)
        For each table its persons per cell, its marks so far (:func:`suppression_marks`) and the keyword
        arguments of :func:`table_view` (``total_row``, ``public_totals``, ...; not ``name``).
    links : sequence of (mapping of cell to int, int or None, int or None)
        Linear facts between the tables' cells, each cell ``(name, row, column)`` (column 'count' for a Series):
        e.g. the persons summed over the sector table's sectors equal the persons by number of sectors, each
        times its number.
    min_group : int, default 5
        The threshold (persons).

    Returns
    -------
    dict of name to marks
        The marks, each of the shape of its table's (a Series for a Series).

    Examples
    --------
    Table a hides a group of 3 ('<5') and, beside it, one of 7 ('x'): alone, 50 - 40 = 10 = 1 + 9, ..., 4 + 6 leaves
    the 3 four values. Table b shows the group of 7 (linked: a's B is b's P), so 10 - 7 = 3 would be given away: the
    joint search hides a's 40 too (then A + C = 43 with C of 0 or 5-100 leaves A four values again).

    >>> a = pd.Series({"A": 3, "B": 7, "C": 40, "I alt": 50})
    >>> b = pd.Series({"P": 7, "Q": 20, "I alt": 27})
    >>> view = {"total_row": "I alt"}
    >>> tables = {n: (t, suppression_marks(t, total_row="I alt"), view) for n, t in [("a", a), ("b", b)]}
    >>> tables["a"][1].tolist(), tables["b"][1].tolist()
    (['small', 'complement', '', ''], ['', '', ''])
    >>> out = secure_tables(tables, [({("a", "B", "count"): 1, ("b", "P", "count"): -1}, 0, 0)])
    >>> out["a"].tolist(), out["b"].tolist()
    (['small', 'complement', 'complement', ''], ['', '', ''])
    """
    min_group = check_min_group(min_group)
    frames = {n: _count_frame(c) for n, (c, _, _) in tables.items()}
    out = {
        n: _count_frame(m).reindex(index=frames[n].index, columns=frames[n].columns).copy()
        for n, (_, m, _) in tables.items()
    }
    views = {n: dict(v) for n, (_, _, v) in tables.items()}
    linked: dict = {n: [] for n in tables}
    for coefs, _, _ in links:
        for n in {k[0] for k in coefs}:
            linked[n].extend(k for k in coefs if k[0] != n and k not in linked[n])
    given_up: set = set()
    while True:
        domains, constraints = joint_view(
            {n: (frames[n], out[n], views[n]) for n in tables}, links, min_group
        )
        found = given_away(domains, constraints, min_group)
        if found is None:  # too many to check: hide every shown inner cell of a column with a hidden cell
            for n, frame in frames.items():
                tr, tc = views[n].get("total_row"), views[n].get("total_column")
                for c in frame.columns:
                    if c != tc and (out[n][c] != SHOWN).any():
                        rows = [r for r in frame.index if r != tr and out[n].loc[r, c] == SHOWN]
                        out[n].loc[rows, c] = COMPLEMENT
            break
        found = [k for k in found if k not in given_up]
        if not found:
            break
        name, row, col = found[0]
        pick = _protector(frames[name], out[name], views[name], row, col)
        target = name
        if pick is None:
            others = [
                k
                for k in linked[name]
                if out[k[0]].loc[k[1], k[2]] == SHOWN
                and k[1] != views[k[0]].get("total_row")
                and k[2] != views[k[0]].get("total_column")
            ]
            if others:
                k = _fewest(others, lambda k: frames[k[0]].loc[k[1], k[2]])
                target, pick = k[0], (k[1], k[2])
        if pick is None and not views[name].get("public_totals"):
            # every inner cell beside it hidden already (two '<5' of 4 under a total of 8): hide the total
            tr, tc = views[name].get("total_row"), views[name].get("total_column")
            for total in [(tr, col), (row, tc)]:
                if None not in total and out[name].loc[total] == SHOWN:
                    pick = total
                    break
        if pick is None:
            # given away by its totals and links alone (a total of fewer than min_group persons shown elsewhere):
            # nothing left to hide here; the caller must not show the table (see the cross-sector tables)
            given_up.add(found[0])
            continue
        out[target].loc[pick] = COMPLEMENT
        if target == name or not views[target].get("unique_total"):
            # no group left with one hidden cell (its total less the shown cells would give it); in a linked
            # table whose total counts each person once, the search decides
            out[target] = _complete(frames[target], out[target], views[target])
    result = {}
    for n, (_, m, _) in tables.items():
        result[n] = out[n]["count"].rename(m.name) if isinstance(m, pd.Series) else out[n]
    return result


def secure_marks(
    counts: pd.DataFrame | pd.Series,
    marks: pd.DataFrame | pd.Series,
    min_group: int = MIN_GROUP_FLOOR,
    **view,
) -> pd.DataFrame | pd.Series:
    """The marks with further cells hidden ('x') until no small cell can be worked out (:func:`secure_tables`).

    While a small cell is given away (:func:`disclosed_cells`), the shown cell of its column (then of its row) with
    the fewest persons above 0, else one of 0 persons, is hidden too; a total only when nothing else is left and
    the totals are not public (``public_totals``). When the search gives up, every shown inner cell of a column
    with a hidden cell is hidden. The one-table case of :func:`secure_tables`.

    Parameters
    ----------
    counts, marks : pandas.DataFrame or pandas.Series
        The persons behind each cell and the marks so far (:func:`suppression_marks`).
    min_group : int, default 5
        The threshold (persons).
    **view
        As :func:`disclosed_cells`.

    Returns
    -------
    pandas.DataFrame or pandas.Series
        The marks, of the shape of ``marks``.

    Examples
    --------
    >>> counts = pd.Series({"A": 1, "B": 5, "C": 40, "I alt": 46})
    >>> marks = pd.Series({"A": "small", "B": "complement", "C": "", "I alt": ""})
    >>> secure_marks(counts, marks, total_row="I alt").tolist()
    ['small', 'complement', 'complement', '']
    """
    return secure_tables({"": (counts, marks, view)}, (), min_group)[""]
