"""CPR pseudonymisation: keyed, stable, hyphen-insensitive, and silent about malformed values."""

import hashlib
import hmac
import os
import stat

import pandas as pd
import pytest

from analysis.data.cases import ingest_cases
from analysis.data.schema import SchemaError
from analysis.privacy import find_cpr, load_key, pseudonymise, pseudonymise_column


def test_pseudonym_is_the_keyed_hmac_in_groups_of_four():
    digest = hmac.new(b"secret", b"0102031234", hashlib.sha256).hexdigest()[:16]
    expected = f"P-{digest[0:4]}-{digest[4:8]}-{digest[8:12]}-{digest[12:16]}"
    assert pseudonymise("010203-1234", b"secret") == expected
    assert pseudonymise("0102031234", b"secret") == expected
    assert pseudonymise("010203-1234", b"other") != expected
    assert find_cpr(expected) == []


def test_malformed_cpr_names_the_row_but_not_the_value():
    values = pd.Series(["010203-1234", "01-02-03-1234", None])
    with pytest.raises(SchemaError) as err:
        pseudonymise_column(values, b"k", source="cases.csv", column="cpr", first_row=2)
    assert str(err.value) == (
        "cases.csv, row 3, column 'cpr': expected a CPR number of 10 digits (DDMMYY-SSSS), "
        "found a value of another form"
    )
    assert "01-02-03" not in str(err.value)
    with pytest.raises(SchemaError, match="row 3, column 'cpr': expected a CPR number, found empty"):
        pseudonymise_column(values.drop(1), b"k", source="cases.csv", column="cpr", first_row=2)


def test_key_file_is_made_on_first_use_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("ANALYSIS_PSEUDONYM_KEY")
    path = tmp_path / "keys" / "pseudonym.key"
    key = load_key(path)
    assert len(key) == 64 and load_key(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    monkeypatch.setenv("ANALYSIS_PSEUDONYM_KEY", "from-env")
    assert load_key(path) == b"from-env"


def test_ingest_replaces_the_cpr_column_by_person_id():
    raw = pd.DataFrame(
        {"cpr": ["010203-1234", "0102031234"], "case_id": ["1", "2"], "sector": ["health"] * 2}
    )
    out = ingest_cases(raw, source="x", key=b"k")
    assert list(out.columns) == ["case_id", "person_id", "sector"]
    assert out["person_id"].nunique() == 1
    assert not find_cpr(out.to_csv())


def test_cpr_pattern_finds_cpr_shaped_strings_only():
    text = "borger 311299-1234 og 0101001234; ikke 3213991234 (måned 13), ikke 12345678901 eller 2024-01-01"
    assert find_cpr(text) == ["311299-1234", "0101001234"]
