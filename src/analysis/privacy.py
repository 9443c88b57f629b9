"""Privacy: CPR pseudonymisation on ingest and the CPR pattern used to check that none gets out.

A CPR number (Danish personal identity number, DDMMYY-SSSS) is replaced on ingest by a keyed pseudonym:
HMAC-SHA256 of the ten digits under a secret key, shortened to 64 bits and written ``P-xxxx-xxxx-xxxx-xxxx`` (hex
in groups of four, so that a pseudonym can never itself look like a CPR number). The same CPR number and key give
the same pseudonym, so a person's cases link across sectors and loads; without the key the pseudonym cannot be
reversed by trying all CPR numbers.

The key comes from the environment variable ``ANALYSIS_PSEUDONYM_KEY`` or, when that is unset, from a key file
(``pseudonym.key`` beside the default warehouse, see :func:`analysis.data.warehouse.data_dir`), made with 256 random
bits on first use and readable only by its owner. Keep the key file out of version control (``data/`` is
git-ignored) and back it up with the warehouse: a new key gives every person a new pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import pandas as pd

__all__ = ["CPR_PATTERN", "KEY_ENV", "find_cpr", "load_key", "pseudonymise", "pseudonymise_column"]

KEY_ENV = "ANALYSIS_PSEUDONYM_KEY"

#: A CPR-shaped string: a valid day and month, two year digits, an optional hyphen and four digits, not part of a
#: longer number.
CPR_PATTERN = r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?\d{4}(?!\d)"
_CPR = re.compile(CPR_PATTERN)
_CPR_EXACT = re.compile(r"^\s*(\d{6})-?(\d{4})\s*$")


def find_cpr(text: str) -> list[str]:
    """All CPR-shaped substrings of ``text`` (for scanning outputs)."""
    return _CPR.findall(text)


def load_key(key_file: Path | None = None) -> bytes:
    """The pseudonymisation key: from ``ANALYSIS_PSEUDONYM_KEY``, else from ``key_file``, made on first use.

    Parameters
    ----------
    key_file
        Where the key is kept when the environment variable is unset; defaults to ``pseudonym.key`` in the
        warehouse's data directory.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    if key_file is None:
        from analysis.data.warehouse import data_dir

        key_file = data_dir() / "pseudonym.key"
    key_file = Path(key_file)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return key_file.read_text("utf-8").strip().encode("utf-8")


def pseudonymise(cpr: str, key: bytes) -> str:
    """The pseudonym of one CPR number (with or without the hyphen) under ``key``.

    >>> pseudonymise("010203-1234", b"k") == pseudonymise("0102031234", b"k")
    True
    >>> pseudonymise("0102031234", b"k").startswith("P-")
    True
    """
    m = _CPR_EXACT.match(str(cpr))
    if not m:
        raise ValueError(f"expected a CPR number of 10 digits (DDMMYY-SSSS), found {cpr!r}")
    digest = hmac.new(key, (m.group(1) + m.group(2)).encode("ascii"), hashlib.sha256).hexdigest()[:16]
    return "P-" + "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def pseudonymise_column(
    values: pd.Series, key: bytes, *, source: str, column: str, first_row: int = 1
) -> pd.Series:
    """Pseudonymise a column of CPR numbers; a missing or malformed one raises an error naming its row.

    The error never repeats the malformed value, which may itself be person data.
    """
    from analysis.data.schema import SchemaError

    out = []
    for i, v in enumerate(values):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            raise SchemaError(source, "a CPR number", row=i + first_row, column=column, found_text="empty")
        try:
            out.append(pseudonymise(str(v), key))
        except ValueError:
            raise SchemaError(
                source,
                "a CPR number of 10 digits (DDMMYY-SSSS)",
                row=i + first_row,
                column=column,
                found_text="a value of another form",
            ) from None
    return pd.Series(out, index=values.index, dtype=object)
