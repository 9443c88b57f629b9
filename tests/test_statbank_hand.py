"""HAND01: the paragraph the label gives, the documented mapping to functions, quarters to full-year persons."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.data import statbank
from analysis.data.schema import SchemaError
from analysis.errors import ConfigurationError

DATA = Path(__file__).parent / "data" / "statbank"
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # before: the first § in the label won (§83)
        (
            "Længerevarende botilbud inkl. tilknyttede ydelser fx §§ 83, 85 (§ 108 i lov om social service)",
            "§108",
        ),
        ("Midlertidige botilbud inklusiv tilknyttede ydelser fx §§83, 85 (§107)", "§107"),
        ("Kontant tilskud efter §95 til ansættelse af hjælpere (§§83,84) (§95)", "§95"),
        (
            "Socialpædagogisk støtte i botilbudslignende tilbud (omfattet af §4, stk. 1, nr. 3, I lov om "
            "socialtilsyn), fx botilbud efter lov om almene boliger m.v. §105 og 115 (§85)",
            "§85",
        ),
        ("Gruppebaseret socialpædagogisk hjælp og støtte (§ 82 a i lov om social service)", "§82 a"),
        ("§ 104 Aktivitets- og samværstilbud", "§104"),
        ("Ydelser i alt", None),
        ("Støtte efter §§ 83 og 85", "ambiguous"),
    ],
)
def test_the_paragraph_is_the_one_in_parentheses(label, expected):
    assert statbank.paragraph(label) == expected


def test_the_mapping_is_the_documented_table():
    rules = statbank.hand_mapping()
    plain = {r.paragraph: r.function_code for r in rules.itertuples() if not r.contains}
    assert plain["§108"] == "5.38.50" and plain["§107"] == "5.38.52" and plain["§85"] == "5.38.38"
    assert plain["§103"] == "5.38.58" and plain["§104"] == "5.38.59"
    assert {plain[p] for p in ("§97", "§98", "§99")} == {"5.38.53"}
    assert (ROOT / "parameters/statbank/hand01.yaml").read_text(encoding="utf-8").count("Source") == 1
    s = statbank.service
    assert s("Socialpædagogisk støtte i botilbudslignende tilbud (§ 85 i lov om social service)") == (
        "5.38.51",
        "§85",
    )
    assert s("Øvrig socialpædagogisk støtte (§ 85 i lov om social service)") == ("5.38.38", "§85")
    assert s(
        "Længerevarende botilbud inkl. tilknyttede ydelser fx §§ 83, 85 (§ 108 i lov om social service)"
    ) == (
        "5.38.50",
        "§108",
    )
    assert s("Gruppebaseret socialpædagogisk hjælp og støtte (§ 82 a i lov om social service)") is None


def test_a_broken_mapping_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "hand01.yaml"
    bad.write_text("services:\n  - {paragraph: '108', function_code: '5.38.50'}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"hand01.yaml, rule 1: expected a paragraph such as '§108'"):
        statbank.hand_mapping(bad)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        # a misspelt key was ignored: the rule then took every §85 service, botilbudslignende or not
        (
            "  - {paragraph: '§85', contain: [botilbudslignende], function_code: '5.38.51'}\n",
            r"rule 1: unknown key 'contain' \(did you mean 'contains'\?\); expected paragraph, function_code",
        ),
        # the general §85 rule first: the narrower one after it could never apply
        (
            "  - {paragraph: '§85', function_code: '5.38.38'}\n"
            "  - {paragraph: '§85', contains: [botilbudslignende], function_code: '5.38.51'}\n",
            r"rule 2 \(§85, function 5.38.51\) can never apply: rule 1 before it takes every §85 service",
        ),
        (
            "  - {paragraph: '§85', contains: [12], function_code: '5.38.51'}\n",
            r"rule 1: contains: expected a list",
        ),
        ("  - '§108: 5.38.50'\n", r"rule 1: expected a rule \{paragraph, function_code, contains, service\}"),
    ],
    ids=["misspelt-key", "shadowed-rule", "contains-not-words", "rule-not-a-mapping"],
)
def test_a_rule_that_would_be_read_otherwise_than_meant_is_refused(tmp_path, rules, message):
    bad = tmp_path / "hand01.yaml"
    bad.write_text("services:\n" + rules, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="hand01.yaml, " + message):
        statbank.hand_mapping(bad)


def test_contains_given_as_one_word_is_that_word_not_its_letters(tmp_path):
    path = tmp_path / "hand01.yaml"
    path.write_text(
        "services:\n  - {paragraph: '§85', contains: botilbudslignende, function_code: '5.38.51'}\n"
        "  - {paragraph: '§85', function_code: '5.38.38'}\n",
        encoding="utf-8",
    )
    rules = statbank.hand_mapping(path)
    assert rules["contains"].tolist() == [("botilbudslignende",), ()]
    # before: the string was split into its letters, each of which had to occur somewhere in the label; this
    # label has every letter of 'botilbudslignende' but not the word, so it went to 5.38.51 and now to 5.38.38
    label = "Bo- og udslusning, gildesal, tilbud i lignende (§ 85 i lov om social service)"
    assert set("botilbudslignende") <= set(label.casefold()) and "botilbudslignende" not in label.casefold()
    assert statbank.service(label, rules) == ("5.38.38", "§85")


def _accounts():
    rows = [
        (101, 2023, "5.38.50", 1_187_333_000.0),
        (101, 2023, "5.38.51", 300_000_000.0),
        (101, 2023, "5.38.38", 500_000_000.0),
        (101, 2023, "5.38.58", 90_000_000.0),
        (706, 2023, "5.38.58", 9_000_000.0),
        (706, 2024, "5.38.50", 98_765_000.0),
    ]
    return pd.DataFrame(rows, columns=["municipality_code", "year", "function_code", "spending_dkk"])


def test_quarters_become_full_year_persons_and_a_year_with_missing_quarters_is_flagged():
    out = statbank.to_activity(statbank.read(DATA / "hand01_quarters.csv"), _accounts(), name="hand01.csv")
    a = out.frame.set_index(["municipality_code", "year", "function_code", "paragraph"])
    assert (
        a.loc[(101, 2023, "5.38.50", "§108"), "full_year_persons"] == (1000 + 1004 + 1010 + 1010) / 4
    )  # 1006
    assert a.loc[(101, 2023, "5.38.51", "§85"), "full_year_persons"] == (660 + 668 + 672 + 676) / 4  # 669
    assert (
        a.loc[(101, 2023, "5.38.38", "§85"), "full_year_persons"] == (2080 + 2084 + 2088 + 2092) / 4
    )  # 2086
    assert a.loc[(101, 2023, "5.38.58", "§103"), "full_year_persons"] == (620 + 622 + 620 + 622) / 4  # 621
    assert (
        a.loc[(101, 2023, "5.38.38", "§85"), "spending_dkk"] == 500_000_000
    )  # the only paragraph of 5.38.38
    # Syddjurs: 2024K4 of §108 and 2023K1 of §103 are '..': the mean of the three quarters present, flagged
    assert a.loc[(706, 2024, "5.38.50", "§108"), "full_year_persons"] == pytest.approx(
        (135 + 136 + 138) / 3, abs=1e-4
    )
    assert a.loc[(706, 2023, "5.38.58", "§103"), "full_year_persons"] == 72
    assert set(out.frame.provider) == {"unknown"}
    (finding,) = out.findings
    assert finding.check == "incomplete_quarters" and finding.municipality_code == 706 and finding.count == 2
    assert finding.examples == ["2023: 3 af 4 kvartaler", "2024: 3 af 4 kvartaler"]
    assert any("years with quarters missing" in n and "2023, 2024 (1 municipality)" in n for n in out.notes)
    assert any(reason.endswith("(totals; §82 a)") for reason in out.skipped)
    assert len(out.frame) == 6


def test_a_provider_can_still_be_given_and_an_ambiguous_label_is_refused():
    df = statbank.read(DATA / "hand01_quarters.csv")
    assert set(statbank.to_activity(df, _accounts(), provider="external").frame.provider) == {"external"}
    text = "OMRÅDE;YDELSESTYPE;TID;INDHOLD\nSyddjurs;Støtte efter §§ 83 og 85;2024K1;5\n"
    with pytest.raises(  # the row was not named
        SchemaError, match=r"h.csv, row 2, column 'YDELSESTYPE': expected a type of service whose paragraph"
    ):
        statbank.to_activity(statbank.read(text), _accounts(), name="h.csv")


def test_a_hand01_web_download_without_heading_reads_the_same():
    label = "Socialpædagogisk støtte i botilbudslignende tilbud (§ 85 i lov om social service)"
    text = f'"Syddjurs","{label}","2024K1","71"\n"Syddjurs","{label}","2024K2","73"\n'
    df = statbank.read(text)
    assert df.attrs["layout"] == "web-csv" and "ydelsestype" in df.columns
    accounts = pd.DataFrame([(706, 2024, "5.38.51", 7e6)], columns=_accounts().columns)
    out = statbank.to_activity(df, accounts)
    assert out.frame[["function_code", "paragraph", "full_year_persons", "spending_dkk"]].values.tolist() == [
        ["5.38.51", "§85", 72.0, 7e6]  # (71 + 73) / 2, two of four quarters: flagged
    ]
    assert out.findings[0].examples == ["2024: 2 af 4 kvartaler"]


def test_the_package_ships_the_mapping_and_uses_it_without_a_project_file(tmp_path, monkeypatch):
    from importlib import resources

    from analysis.data.statbank import tables

    default = resources.files("analysis.data.statbank").joinpath("hand01.yaml")
    # one table: the documented, user-replaceable file and the package's default say the same
    assert default.read_text("utf-8") == (ROOT / "parameters/statbank/hand01.yaml").read_text("utf-8")
    # pip-installed (no parameters/ folder): the default is read, and it is the documented table
    monkeypatch.setattr(tables, "parameters_dir", lambda: tmp_path)
    name, _ = tables.hand_mapping_source()
    assert name == "analysis/data/statbank/hand01.yaml (the package's default)"
    rules = statbank.hand_mapping()
    plain = {r.paragraph: r.function_code for r in rules.itertuples() if not r.contains}
    assert plain["§108"] == "5.38.50" and plain["§107"] == "5.38.52"
    # a project's own file wins over the default
    own = tmp_path / "statbank" / "hand01.yaml"
    own.parent.mkdir()
    own.write_text("services:\n  - {paragraph: '§108', function_code: '5.38.39'}\n", encoding="utf-8")
    assert statbank.hand_mapping()["function_code"].tolist() == ["5.38.39"]


def test_the_wheel_includes_the_default_mapping():
    import fnmatch
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
        "package-data"
    ]
    assert any(fnmatch.fnmatch("data/statbank/hand01.yaml", p) for p in patterns["analysis"])


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # labels of HAND01 as Statistikbanken lists them since 2024 (a paragraph of "Serviceloven" and the first
        # quarter the type exists); before, '§ 85 a' read as §85 and was booked on 5.38.38
        (
            "Hjælp, omsorg eller støtte til personer i hjemløshed eller i risiko for hjemløshed, ACT og "
            "M-ACT-støttemetode (§ 85 a i Serviceloven) (2024K1-)",
            "§85 a",
        ),
        (
            "Hjælp og støtte ved hastigt fremskridende sygdom, jf. § 83 i lov om social service (§ 117 a i "
            "Serviceloven) (2024K3-)",
            "§117 a",
        ),
        (
            "Kontant tilskud efter § 95 til ansættelse af hjælpere (§§ 83, 84) (§ 95 i lov om social service)",
            "§95",
        ),
        ("Aktivitets- og samværstilbud (§ 104 i lov om social service)", "§104"),
    ],
)
def test_the_paragraph_of_the_labels_statistikbanken_lists(label, expected):
    assert statbank.paragraph(label) == expected
    if expected.endswith(" a"):
        assert statbank.service(label) is None  # no function of its own in 5.38: left out and counted


def test_hand01_values_with_decimal_commas_and_municipality_groups_are_read():
    # HAND01 counts are quarterly averages (135,3); REGK31/BUDK32 also list the municipality groups 910-960
    text = (
        "OMRÅDE;YDELSESTYPE;TID;INDHOLD\n"
        "706;Længerevarende botilbud inkl. tilknyttede ydelser fx §§ 83, 85 (§ 108 i lov om social service);"
        "2024K1;135,3\n"
    )
    assert statbank.read(text)["value"].tolist() == [135.3]
    groups = statbank.read("OMRÅDE;TID;INDHOLD\n920;2024;5\n706;2024;7\n")
    assert groups["area_level"].tolist() == ["group", "municipality"]
    assert groups["municipality_code"].isna().tolist() == [True, False]


def test_a_negative_count_of_services_is_refused_naming_its_row():
    # -5 full-time services were averaged with the other quarters: (-5 + 136 + 138) / 3 = 89,67 full-year persons
    label = "Længerevarende botilbud inkl. tilknyttede ydelser fx §§ 83, 85 (§ 108 i lov om social service)"
    text = "OMRÅDE;YDELSESTYPE;TID;INDHOLD\n" + "".join(
        f"Syddjurs;{label};2024K{q};{v}\n" for q, v in ((1, -5), (2, 136), (3, 138))
    )
    with pytest.raises(SchemaError) as e:
        statbank.to_activity(statbank.read(text, name="h.csv"), _accounts(), name="h.csv")
    assert (
        str(e.value) == "h.csv, row 2, column 'INDHOLD': expected a number of services, 0 or more, found -5"
    )


def test_a_mapping_saved_with_a_bom_reads_and_one_in_windows_1252_is_refused_naming_file_and_line(tmp_path):
    text = "services:\n  - {paragraph: '§85', contains: [støtte], function_code: '5.38.51'}\n"
    bom = tmp_path / "bom" / "hand01.yaml"
    bom.parent.mkdir()
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # Notepad's "UTF-8 with BOM"
    assert statbank.hand_mapping(bom)["contains"].tolist() == [("støtte",)]
    cp = tmp_path / "cp1252" / "hand01.yaml"
    cp.parent.mkdir()
    cp.write_bytes(
        text.encode("cp1252")
    )  # '§' is the one byte 0xa7, no UTF-8 (was a bare UnicodeDecodeError)
    with pytest.raises(ConfigurationError) as e:
        statbank.hand_mapping(cp)
    assert str(e.value) == (
        f"{cp}: not valid YAML (the file is not UTF-8: line 2 has the byte 0xa7 ('§' in Windows-1252); save it "
        "as UTF-8)"
    )
