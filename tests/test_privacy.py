"""CPR pseudonymisation, CPR detection and the pseudonymisation key (the suppression part: test_privacy_suppression)."""

import ast
import errno
import hashlib
import hmac
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import privacy
from analysis.data.cases import ingest_cases
from analysis.data.schema import SchemaError
from analysis.privacy import (
    KEY_ENV,
    CprValueError,
    PseudonymKeyError,
    cpr_date_is_valid,
    find_cpr,
    key_fingerprint,
    load_key,
    mask_cpr,
    pseudonymise,
    pseudonymise_column,
    write_key_file,
)

KEY = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"  # as conftest.TEST_KEY
OTHER = bytes(range(32)).hex()


def test_pseudonym_is_the_keyed_hmac_in_groups_of_four():
    digest = hmac.new(b"secret", b"0102031234", hashlib.sha256).hexdigest()[:16]
    expected = f"P-{digest[0:4]}-{digest[4:8]}-{digest[8:12]}-{digest[12:16]}"
    assert pseudonymise("010203-1234", b"secret") == expected
    assert pseudonymise("0102031234", b"secret") == expected
    assert pseudonymise("010203-1234", b"other") != expected
    assert find_cpr(expected) == []


def test_a_cpr_number_written_with_any_separator_gives_the_same_pseudonym():
    same = {
        pseudonymise(c, KEY)
        for c in ("010203-1234", "010203 1234", "010203/1234", "010203.1234", "0102031234")
        # the date split by one separator, as some case systems print it (it used to be refused as malformed)
        + ("01-02-03-1234", "01.02.03-1234", "01 02 03 1234", "01-02-03 1234")
    }
    assert len(same) == 1
    for malformed in ("01-0203-1234", "0102-03-1234", "01-02.03-1234", "010203-12345", "01020-31234"):
        with pytest.raises(ValueError):
            pseudonymise(malformed, KEY)


def test_malformed_cpr_names_the_row_but_not_the_value():
    values = pd.Series(["010203-1234", "01-0203-1234", None])
    with pytest.raises(CprValueError) as err:
        pseudonymise_column(values, KEY, source="cases.csv", column="cpr", first_row=2)
    assert str(err.value) == (
        "cases.csv, row 3, column 'cpr': expected a CPR number of 10 digits (DDMMYY-SSSS), "
        "found a value of another form"
    )
    assert "01-0203" not in str(err.value)
    with pytest.raises(CprValueError, match="row 3, column 'cpr': expected a CPR number, found empty"):
        pseudonymise_column(values.drop(1), KEY, source="cases.csv", column="cpr", first_row=2)
    # the data layer turns it into the package's SchemaError (row and column kept)
    raw = pd.DataFrame({"cpr": ["010203-1234", "01-0203-1234"], "case_id": ["1", "2"]})
    with pytest.raises(SchemaError, match=r"^x, row 2, column 'cpr': expected a CPR number of 10 digits"):
        ingest_cases(raw, source="x", key=KEY)


def test_ingest_replaces_the_cpr_column_by_person_id():
    raw = pd.DataFrame(
        {"cpr": ["010203-1234", "0102031234"], "case_id": ["1", "2"], "sector": ["health"] * 2}
    )
    out = ingest_cases(raw, source="x", key=KEY)
    assert list(out.columns) == ["case_id", "person_id", "sector"]
    assert out["person_id"].nunique() == 1
    assert not find_cpr(out.to_csv())


def test_ingest_refuses_a_weak_key():
    raw = pd.DataFrame({"cpr": ["010203-1234"], "case_id": ["1"]})
    with pytest.raises(ValueError, match="from the key given for pseudonymisation holds 1 character"):
        ingest_cases(raw, source="x", key=b"k")


# CPR numbers in text ------------------------------------------------------------------------------------------


def test_cpr_pattern_finds_cpr_shaped_strings_only():
    text = "borger 311299-1234 og 0101001234; ikke 3213991234 (måned 13), ikke 12345678901 eller 2024-01-01"
    assert find_cpr(text) == ["311299-1234", "0101001234"]


@pytest.mark.parametrize(
    "text",
    [
        "Botilbud for 010203 1234",
        "cpr 010203/1234",
        "cpr. 010203.1234",
        "CPR-nr. 010203-1234.",
        "010203 - 1234",
        "0102031234",
        "borger 010203\u20131234",  # an en dash, as word processors write it
        "010203\u00a01234",  # a no-break space
        "erstatningsnummer 610203-1234",  # a substitute number (day plus 60)
        "Botilbud 30-02-85-1201",  # the date split by hyphens (it used to be stored as it was)
        "cpr 30.02.85-1201",
        "cpr 30 02 85 1201",
    ],
)
def test_cpr_numbers_with_any_separator_are_found_and_masked(text):
    assert len(find_cpr(text)) == 1
    masked = mask_cpr(text)
    assert "[CPR]" in masked and find_cpr(masked) == [] and "1234" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "1.234.567,89 kr.",  # amounts with thousands dots
        "0102031234,50",  # an amount with decimals
        "102031.1234,5",
        "15.03.2024 1234",  # a date and a number
        "2024-01-31 12:00",
        "3213991234",  # day 32
        "4102031234",  # day 41
        "0113991234",  # month 13
        "12345678901",  # a longer number
        "5.38.50 Botilbud",
        "P-0102-0312-3456-7890",  # a pseudonym
    ],
)
def test_amounts_dates_and_other_numbers_are_not_taken_for_cpr_numbers(text):
    assert find_cpr(text) == [] and mask_cpr(text) == text


def test_impossible_cpr_dates():
    valid = ["010203-1234", "311299-1234", "290284-1234", "300485-1234", "2902001234"]
    impossible = ["310490-2202", "300285-1201", "290285-1234", "0113001234", "3201001234", "6101001234"]
    assert all(cpr_date_is_valid(c) for c in valid)
    assert not any(cpr_date_is_valid(c) for c in impossible)


# The key ------------------------------------------------------------------------------------------------------


def test_key_file_is_made_on_first_use_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    path = tmp_path / "keys" / "pseudonym.key"
    key = load_key(path)
    assert len(key) == 64 and bytes.fromhex(key.decode()) and load_key(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym.key"]  # no temporary file left behind


def test_writing_the_key_file_fails_cleanly_when_the_disk_is_full(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    path = tmp_path / "pseudonym.key"

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(privacy.os, "fsync", full)
    with pytest.raises(PseudonymKeyError) as e:
        load_key(path)
    assert str(e.value).startswith(
        f"cannot write the pseudonymisation key file {path}: No space left on device"
    )
    assert list(tmp_path.iterdir()) == []  # neither a 0-byte key nor a temporary file
    monkeypatch.undo()
    monkeypatch.delenv(KEY_ENV)
    assert len(load_key(path)) == 64


def test_a_key_file_made_meanwhile_by_another_process_is_kept(tmp_path):
    path = tmp_path / "pseudonym.key"
    path.write_text(OTHER + "\n", encoding="ascii")
    assert write_key_file(path) == OTHER.encode()
    assert path.read_text("ascii") == OTHER + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pseudonym.key"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty (0 bytes)"),
        (b"  \n\t\n", "holds only whitespace"),
        (b"abc123\n", "holds 3 bytes of key material (decoded from 6 characters), fewer than 32"),
        (
            b"test-key-not-secret",
            "holds 14 bytes of key material (decoded from 19 characters), fewer than 32",
        ),
        (b"0" * 64, "is not random: its 32 bytes take only 1 different values"),
        (b"correct horse battery staple correct horse", "not hex or base64 text of 32 bytes"),
    ],
)
def test_a_weak_key_file_is_refused_naming_the_file(tmp_path, monkeypatch, content, problem):
    monkeypatch.delenv(KEY_ENV)
    path = tmp_path / "pseudonym.key"
    path.write_bytes(content)
    with pytest.raises(PseudonymKeyError) as e:
        load_key(path)
    message = str(e.value)
    assert message.startswith(f"the pseudonymisation key from the key file {path} ")
    assert problem in message and "at least 32 random bytes" in message
    if not content.strip():
        assert "disk filled" in message and "restore the key from your backup" in message
    assert path.read_bytes() == content  # never replaced: it may be the key of a warehouse


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1", "holds 1 character, not hex or base64 text of 32 bytes"),
        ("k3y-of-mine", "fewer than 32"),
        ("   ", "is set but empty"),
        ("", "is set but empty"),
    ],
)
def test_a_weak_key_in_the_environment_is_refused_naming_the_variable(tmp_path, monkeypatch, value, problem):
    monkeypatch.setenv(KEY_ENV, value)
    with pytest.raises(PseudonymKeyError) as e:
        load_key(tmp_path / "pseudonym.key")
    assert KEY_ENV in str(e.value) and problem in str(e.value)
    assert "k3y-of-mine" not in str(e.value)  # the key itself is never shown
    assert not (tmp_path / "pseudonym.key").exists()


def test_good_keys_in_hex_and_base64_are_accepted():
    import base64
    import secrets

    raw = secrets.token_bytes(32)
    for text in (
        raw.hex(),
        raw.hex().upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    ):
        assert privacy.key_problem(text) is None, text
        assert (
            privacy.check_key(" " + text + "\n", "x") == text.encode()
        )  # the HMAC key is the text as written
    assert privacy.key_problem(raw) is None  # raw bytes given by a caller


def test_environment_and_key_file_must_agree(tmp_path, monkeypatch):
    path = tmp_path / "pseudonym.key"
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert load_key(path) == KEY and not path.exists()  # the variable alone: no file is made
    path.write_text(KEY.decode() + "\n", encoding="ascii")
    assert load_key(path) == KEY  # the same key in both: fine
    path.write_text(OTHER + "\n", encoding="ascii")
    with pytest.raises(PseudonymKeyError) as e:
        load_key(path)
    assert str(e.value).startswith(
        f"the environment variable {KEY_ENV} and the key file {path} hold different pseudonymisation keys"
    )
    assert OTHER not in str(e.value) and KEY.decode() not in str(e.value)
    path.write_bytes(b"")  # a broken key file beside a good variable is reported too
    with pytest.raises(PseudonymKeyError, match="is empty"):
        load_key(path)


def test_the_fingerprint_tells_keys_apart_and_hides_them():
    # HMAC-SHA256 of the fixed text under the key, its first 32 hex digits (by openssl: echo -n 'analysis.privacy:
    # pseudonym key fingerprint, version 1' | openssl dgst -sha256 -hmac KEY); the warehouses keep it, so it may
    # never change for the same key (the same function called twice compared only that it is not random)
    assert key_fingerprint(KEY) == "580dfe14f7fa696ecc8fb0f22d6ee2bc"
    assert key_fingerprint(KEY) != key_fingerprint(OTHER.encode())
    assert len(key_fingerprint(KEY)) == 32 and KEY.decode()[:16] not in key_fingerprint(KEY)


# The leaf -----------------------------------------------------------------------------------------------------


def test_privacy_imports_nothing_of_the_package_but_the_suppression_html_helper():
    source = Path(privacy.__file__).read_text("utf-8")
    tree = ast.parse(source)
    allowed = {"suppressed_table_html"}  # reporting.formatting, the suppression owner's to move (issue 12)
    offenders = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if any(n == "analysis" or n.startswith("analysis.") for n in names):
                owner = next(
                    (
                        f.name
                        for f in ast.walk(tree)
                        if isinstance(f, ast.FunctionDef) and f.lineno <= node.lineno <= f.end_lineno
                    ),
                    None,
                )
                if owner not in allowed:
                    offenders.append((node.lineno, names, owner))
    assert offenders == []
    # and importing it loads no other module of the package
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, analysis.privacy; print(sorted(m for m in sys.modules if m.startswith('analysis')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "['analysis', 'analysis.privacy']"


def test_find_cpr_skips_the_digits_of_a_hex_digest_but_not_a_cpr_beside_it():
    # a manifest's SHA-256 happened to hold "1509249498" (15.09.24, serial 9498) between hex letters
    digest = "89e24fb4fb8a2d0a1900a61de24bd4e320ac5023c62c2f5c1509249498dacc6a"
    assert privacy.find_cpr(f'"source_sha256": "{digest}"') == []
    assert privacy.find_cpr(f"{digest} 150924-9498") == ["150924-9498"]
    # letters that do not make a digest (not hex, or too short) do not hide one
    assert privacy.find_cpr("cpr1509249498") == ["1509249498"]
    assert privacy.find_cpr("ab1509249498cd") == ["1509249498"]
