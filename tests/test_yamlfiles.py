"""Parameter files that read two ways are refused: a YAML key given twice, a shown name or source left empty."""

from pathlib import Path

import pytest
import yaml

from analysis.data.case_extract import read_mapping
from analysis.data.schema import SchemaError
from analysis.data.unit_costs import read_unit_costs
from analysis.data.yamlfiles import safe_load
from analysis.errors import ConfigurationError
from analysis.reporting.batch import BatchError, load_batch

ROOT = Path(__file__).resolve().parents[1]


def test_safe_load_refuses_a_key_given_twice_naming_both_lines():
    assert safe_load("a: 1\nb: {c: 2}\n") == {"a": 1, "b": {"c": 2}}
    assert yaml.safe_load("a: 1\na: 2\n") == {"a": 2}  # what plain YAML does: the first is lost
    with pytest.raises(
        yaml.YAMLError, match=r"the key 'a' is given twice in one mapping \(first on line 1\)"
    ):
        safe_load("a: 1\nb: 2\na: 3\n")
    with pytest.raises(
        yaml.YAMLError, match=r"(?s)the key 'v' is given twice .*line 2\).*\"x.yaml\", line 3"
    ):
        safe_load(
            "x:\n  v: 1\n  v: 2\n", "x.yaml"
        )  # nested, reported at the second (line 3) of the file named
    with pytest.raises(yaml.YAMLError, match="the key 'a' is given twice"):
        safe_load("{a: 1, a: 2}")  # on one line too
    # a key merged in with '<<' may be overridden: that is what the merge is for
    assert safe_load("base: &b {a: 1, b: 1}\nc:\n  <<: *b\n  a: 2\n")["c"] == {"a": 2, "b": 1}


def test_a_parameter_file_with_a_measure_twice_is_refused(tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text(
        "Alkoholbehandling: {dkk_per_month: 5800, source: a}\n"
        "Botilbud: {dkk_per_month: 40000, source: b}\n"
        "Alkoholbehandling: {dkk_per_month: 6100, source: c}\n",
        "utf-8",
    )
    # before: 6100 was used and 5800 dropped; which one the author meant is not guessed
    with pytest.raises(
        ConfigurationError, match=r"u.yaml: not valid YAML \(the key 'Alkoholbehandling' is given"
    ):
        read_unit_costs(path)


def test_a_column_mapping_with_a_value_translated_twice_is_refused(tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text(
        "columns: {cpr: CPR}\nvalues:\n  sector:\n    Voksne: adults_social\n    Voksne: health\n", "utf-8"
    )
    with pytest.raises(SchemaError, match=r"cases.yaml.*the key 'Voksne' is given twice.*first on line 4"):
        read_mapping(path)


def test_a_batch_file_with_a_key_twice_is_refused(tmp_path):
    path = tmp_path / "b.yaml"
    # the second 'parameters' would silently drop the first (last_year) before
    path.write_text(
        "name: b\nmunicipalities: [706]\nfunction_areas: ['5.38.50']\nnotebooks: [overview]\n"
        "parameters: {last_year: 2024}\nparameters: {first_year: 2019}\n",
        "utf-8",
    )
    with pytest.raises(BatchError, match=r"b.yaml: not valid YAML: .*the key 'parameters' is given twice"):
        load_batch(path)


@pytest.mark.parametrize("file", ["price_index.yaml", "refund_thresholds.yaml"])
@pytest.mark.parametrize(("key", "value", "found"), [("source", None, "nothing"), ("name", "  ", "'  '")])
def test_a_name_or_source_that_says_nothing_is_refused(tmp_path, file, key, value, found):
    from analysis.data import price_index, thresholds

    read = price_index.read_price_index if file == "price_index.yaml" else thresholds.read_refund_tiers
    shipped = yaml.safe_load((ROOT / "parameters" / file).read_text("utf-8"))
    assert read(ROOT / "parameters" / file).source  # the shipped file has both
    path = tmp_path / file
    # before: 'source:' with nothing after it was read as None and shown in reports as 'None'
    path.write_text(yaml.safe_dump({**shipped, key: value}, allow_unicode=True), "utf-8")
    with pytest.raises(
        ConfigurationError, match=rf"{file}: {key}: expected text \(it is shown in reports\), found {found}$"
    ):
        read(path)


def test_digits_with_a_leading_zero_are_read_as_written_not_as_octal():
    # YAML 1.1 reads 0706 as the octal number 454 and 012 as 10; in these files 0706 is municipality 706's
    # 4-digit form and 01 a code as the export writes it, so they are kept as the text written
    assert safe_load("a: [0706, 012, 01, -07]") == {"a": ["0706", "012", "01", "-07"]}
    assert safe_load("a: [0, 706, 0x1f, 1_000, 08]") == {"a": [0, 706, 31, 1000, "08"]}
    assert yaml.safe_load("a: [0706, 012]") == {"a": [454, 10]}  # what plain YAML makes of them


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        # a misspelt optional or extra key used to be ignored; a misspelt required one said only "missing key"
        (
            "refund_thresholds.yaml",
            {"level_yaer": 2024},
            "unknown key 'level_yaer' (did you mean 'level_year'?)",
        ),
        (
            "refund_thresholds.yaml",
            {"tiers": [{"threshold_dkk": 860000, "rate": 0.25}, {"treshold_dkk": 1680000, "rate": 0.5}]},
            "tiers item 2: unknown key 'treshold_dkk' (did you mean 'threshold_dkk'?)",
        ),
        (
            "recommendations.yaml",
            {"medium_shares": 0.1},
            "unknown key 'medium_shares' (did you mean 'medium_share'?)",
        ),
        ("price_index.yaml", {"frist_year": 2019}, "unknown key 'frist_year' (did you mean 'first_year'?)"),
    ],
)
def test_a_misspelt_key_in_a_parameter_file_is_refused_with_the_nearest(tmp_path, file, change, message):
    from analysis.data import price_index, thresholds

    read = {
        "refund_thresholds.yaml": thresholds.read_refund_tiers,
        "recommendations.yaml": thresholds.read_recommendation_sizes,
        "price_index.yaml": price_index.read_price_index,
    }[file]
    shipped = yaml.safe_load((ROOT / "parameters" / file).read_text("utf-8"))
    read(ROOT / "parameters" / file)  # the shipped file is read
    path = tmp_path / file
    path.write_text(yaml.safe_dump({**shipped, **change}, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigurationError) as e:
        read(path)
    assert str(e.value).startswith(f"{path}: {message}; keys: ")


@pytest.mark.parametrize(
    ("format_", "column", "expected"),
    [
        # each of these was accepted and read otherwise than meant, or failed later without naming the key
        (
            "cp1252",
            "format",
            "expected keys under format, such as 'encoding: cp1252'",
        ),  # format: 'c' was a key
        (
            "{skip_rows: -1}",
            "format.skip_rows",
            "expected a number of lines, 0 or more, found -1",
        ),  # read as 0
        (
            "{skip_rows: true}",
            "format.skip_rows",
            "expected a number of lines, 0 or more, found True",
        ),  # as 1
        (
            "{sheet: 1.5}",
            "format.sheet",
            "expected the sheet's name, or its position (0 = the first), found 1.5",
        ),
        ("{delimiter: semicolon}", "format.delimiter", "(did you mean ';'?), found 'semicolon'"),
        ("{encoding: utf8x}", "format.encoding", "expected a text encoding such as utf-8 or cp1252"),
        ("{decimal: comma}", "format.decimal", "expected ',' or '.' (did you mean ','?), found 'comma'"),
        # without a day, a month or a year every date of the file would be refused, or read without its year
        ("{date_format: dd-mm-yyyy}", "format.date_format", "expected a date format with the day, the month"),
        ("{date_format: '%d-%m'}", "format.date_format", "found '%d-%m'"),
        ("{encodng: cp1252}", "format.encodng", "(did you mean 'encoding'?), found an unknown key"),
    ],
)
def test_a_bad_value_under_a_mappings_format_is_refused_naming_the_key(tmp_path, format_, column, expected):
    path = tmp_path / "cases.yaml"
    path.write_text(f"columns: {{cpr: CPR}}\nformat: {format_}\n", "utf-8")
    with pytest.raises(SchemaError) as e:
        read_mapping(path)
    assert str(e.value).startswith(f"cases.yaml, column '{column}': ")
    assert expected in str(e.value)
    path.write_text(
        "columns: {cpr: CPR, case_id: Sag, sector: Område, measure: Ydelse, provider: Lev, start_date: Start}\n"
        "format: {skip_rows: 2, sheet: Sager, delimiter: ';', date_format: '%d.%m.%Y', encoding: cp1252, "
        "decimal: ','}\n",
        "utf-8",
    )
    fmt = read_mapping(path).format
    assert (fmt.skip_rows, fmt.sheet, fmt.delimiter, fmt.date_format) == (2, "Sager", ";", "%d.%m.%Y")


def test_a_key_yaml_reads_as_true_or_false_is_the_word_written(tmp_path):
    # YAML 1.1 read the keys of {Yes: true, No: false} as True and False: a translation of an export's 'Yes' and
    # 'No' matched no value of the file ("expected one of True, False, found 'Yes'")
    assert safe_load("{Yes: true, No: false, on: 1, Off: 0}") == {"Yes": True, "No": False, "on": 1, "Off": 0}
    from analysis.data import loads

    mapping = tmp_path / "cases.yaml"
    mapping.write_text(
        "columns: {cpr: CPR, case_id: Sag, sector: Område, measure: Ydelse, provider: Lev, start_date: Start, "
        "cpr_registered: Reg}\nvalues:\n  cpr_registered: {Yes: true, No: false}\n",
        "utf-8",
    )
    export = tmp_path / "sager.csv"
    export.write_text(
        "CPR;Sag;Område;Ydelse;Lev;Start;Reg\nx;S1;Voksne;B;Intern;01-01-2024;Yes\nx;S2;V;B;I;d;No\n"
    )
    selected = loads.select_columns(loads.read_file(export), read_mapping(mapping))
    assert selected["cpr_registered"].tolist() == [True, False]


def test_an_offer_with_a_misspelt_key_or_a_code_that_is_no_municipality_is_refused_with_the_nearest(tmp_path):
    # an unknown key said "Extra inputs are not permitted, found <its whole value>"; a municipality code was
    # any number (7060 was read, and no report of the municipality found the offer)
    from analysis.data.offers import read_offer
    from analysis.errors import InputError

    shipped = (ROOT / "parameters" / "offers" / "example-offer.yaml").read_text("utf-8")
    path = tmp_path / "offer.yaml"
    cases = [
        (
            "paid_hours_per_week: 296",
            "paid_hour_per_week: 296",
            "staff_groups.0.paid_hour_per_week: unknown key "
            "(did you mean 'paid_hours_per_week'?); keys: staff_group, hourly_cost_dkk, paid_hours_per_week, "
            "planned_hours_per_week",
        ),
        (
            "hourly_rate_dkk: 350",
            "hourly_rate: 350",
            "allocation.hourly_rate: unknown key (did you mean 'hourly_rate_dkk'?)",
        ),
        (
            "municipality_code: 706",
            "municipality_code: 7060",
            "municipality_code: unknown municipality code 7060 "
            "(did you mean 706 Syddjurs or 760 Ringkøbing-Skjern?)",
        ),
    ]
    for old, new, message in cases:
        assert old in shipped
        path.write_text(shipped.replace(old, new, 1), "utf-8")
        with pytest.raises(InputError) as e:
            read_offer(path)
        assert f"{path}: {message}" in str(e.value)
        assert "Extra inputs" not in str(e.value)


def test_an_amount_with_a_danish_thousands_dot_is_refused_not_read_as_a_decimal(tmp_path):
    # 'threshold_dkk: 860.000' was read as 860.0 kr. (a thousandth of the 860.000 kr. a Dane means), silently
    from analysis.data import thresholds

    shipped = (ROOT / "parameters" / "refund_thresholds.yaml").read_text("utf-8")
    assert "threshold_dkk: 860000," in shipped
    path = tmp_path / "refund_thresholds.yaml"
    path.write_text(shipped.replace("threshold_dkk: 860000,", "threshold_dkk: 860.000,"), "utf-8")
    with pytest.raises(ConfigurationError) as e:
        thresholds.read_refund_tiers(path)
    assert (
        "not valid YAML (860.000 reads as 860 in YAML and as 860000 with the Danish thousands dot; write 860000 (or "
        "860.0 for the decimal number)"
    ) in str(e.value)
    assert safe_load("a: [0.250, 1.5, 2.25, 12.5, 1234.567]") == {"a": [0.25, 1.5, 2.25, 12.5, 1234.567]}


def test_a_yaml_file_saved_in_windows_1252_is_refused_naming_the_file_and_line(tmp_path):
    # it was a bare UnicodeDecodeError naming neither the file nor the line
    from analysis.data import thresholds

    path = tmp_path / "refund_thresholds.yaml"
    path.write_bytes((ROOT / "parameters" / "refund_thresholds.yaml").read_text("utf-8").encode("cp1252"))
    with pytest.raises(
        ConfigurationError,
        match=r"refund_thresholds.yaml: not valid YAML \(the file is not UTF-8: "
        r"line \d+ has the byte 0x[0-9a-f]{2} .* save it as UTF-8\)",
    ):
        thresholds.read_refund_tiers(path)
    mapping = tmp_path / "cases.yaml"
    mapping.write_bytes("columns: {cpr: CPR-nr., sector: Område}\n".encode("cp1252"))
    with pytest.raises(
        SchemaError, match=r"cases.yaml: expected valid YAML, found the file is not UTF-8: line 1"
    ):
        read_mapping(mapping)
    batch = tmp_path / "b.yaml"
    batch.write_bytes("title: Bostøtte\nmunicipalities: [706]\n".encode("cp1252"))
    with pytest.raises(BatchError, match=r"b.yaml: not valid YAML: the file is not UTF-8: line 1"):
        load_batch(batch)
