"""Ages of the persons in the case data: derived at ingest (birth date or CPR century rule), never a birth date stored;
and the citizens aged 65 and over per adult area, suppressed below 5."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analysis import area
from analysis.data import case_extract
from analysis.data.cases import age_at_start_year, cpr_birth_date, ingest_cases
from analysis.data.schema import SchemaError
from analysis.privacy import find_cpr
from analysis.reporting import area_page

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "parameters" / "mappings" / "cases.yaml"
KEY = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"  # as conftest.TEST_KEY


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("010150-1234", dt.date(1950, 1, 1)),  # 7th digit 1 (0-3): 1900s
        ("0101501234", dt.date(1950, 1, 1)),  # ten digits, no hyphen
        ("010105-4321", dt.date(2005, 1, 1)),  # 4 and YY 05 <= 36: 2000s
        ("010160-4321", dt.date(1960, 1, 1)),  # 4 and YY 60 > 36: 1900s
        ("150936-9000", dt.date(2036, 9, 15)),  # 9 and YY 36: 2000s (the edge)
        ("150937-9000", dt.date(1937, 9, 15)),  # 9 and YY 37: 1900s
        ("010157-5000", dt.date(2057, 1, 1)),  # 5-8 and YY 57 <= 57: 2000s
        ("010158-8000", dt.date(1858, 1, 1)),  # 5-8 and YY 58: 1800s
        ("290200-4000", dt.date(2000, 2, 29)),  # 2000 was a leap year
        ("310499-1234", None),  # 31 April: no date
        ("610150-1234", None),  # a substitute number (day + 60)
        ("12345", None),
    ],
)
def test_cpr_century_rule(cpr, born):
    assert cpr_birth_date(cpr) == born


def test_age_on_1_january_of_the_start_year():
    births = pd.Series(pd.to_datetime(["1950-01-01", "1950-01-02", "1959-12-31", None, "2024-06-01"]))
    starts = pd.Series(pd.to_datetime(["2024-03-01"] * 5))
    # 2024-1950 = 74 (born on 1 January: birthday reached); 2024-1950-1 = 73; 2024-1959-1 = 64; unknown; born in
    # the start year: 0
    assert age_at_start_year(births, starts).tolist() == [74, 73, 64, pd.NA, 0]


def _raw(**extra):
    return pd.DataFrame(
        {
            "cpr": ["010150-1234", "010105-4321", "310499-1234"],
            "case_id": ["A", "B", "C"],
            "municipality_code": 706,
            "sector": "adults_social",
            "measure": "Botilbud",
            "start_date": ["2020-05-01", "2024-01-01", "2024-01-01"],
            **extra,
        }
    )


def test_ingest_stores_the_age_and_no_birth_date_or_cpr():
    out = ingest_cases(_raw(), source="t", key=KEY)
    # from the CPR: 2020 - 1950 = 70 (born 1 January); 2024 - 2005 = 19; 31 April: no age
    assert out["age_at_start_year"].tolist() == [70, 19, pd.NA]
    assert not {"cpr", "birth_date"} & set(out.columns)
    assert find_cpr(out.to_csv()) == []


def test_a_birth_date_column_wins_and_is_dropped():
    out = ingest_cases(_raw(birth_date=["1960-07-01", None, "1930-01-01"]), source="t", key=KEY)
    # 2020 - 1960 - 1 = 59 (born after 1 January); none given: none (no fallback for a row); 2024 - 1930 = 94
    assert out["age_at_start_year"].tolist() == [59, pd.NA, 94]
    assert "birth_date" not in out.columns


def test_an_age_above_115_is_not_believed():
    # 7th digit 5 and YY 70: born 1870 by the century rule; on a case of 2020 that is 150 years: no age
    out = ingest_cases(_raw().assign(cpr=["010170-5234", "010105-4321", "010150-1234"]), source="t", key=KEY)
    assert out["age_at_start_year"].tolist() == [pd.NA, 19, 74]


def test_an_unreadable_birth_date_is_refused_naming_row_and_column_not_value():
    with pytest.raises(SchemaError) as e:
        ingest_cases(
            _raw(birth_date=["1960-07-01", "31-31-1961", None]), source="t.csv", key=KEY, first_row=2
        )
    assert "t.csv, row 3, column 'birth_date'" in str(e.value) and "31-31-1961" not in str(e.value)


def test_a_birth_date_that_is_not_iso_is_refused_not_read_month_first():
    # before: pandas' month-first guess read 01/07/1960 as 7 January (age 2020 - 1960 = 60 on 1 January
    # 2020) where the Danish reading is 1 July (age 59), without a word; now refused, naming row and column
    with pytest.raises(SchemaError) as e:
        ingest_cases(_raw(birth_date=["1960-07-01", "01/07/1960", None]), source="t.csv", key=KEY)
    assert "t.csv, row 2, column 'birth_date'" in str(e.value) and "01/07/1960" not in str(e.value)
    # dates and datetimes are taken as they are; ISO text with a time of day too
    out = ingest_cases(
        _raw(birth_date=[dt.date(1960, 7, 1), pd.NaT, "1930-01-01T00:00:00"]), source="t", key=KEY
    )
    assert out["age_at_start_year"].tolist() == [59, pd.NA, 94]  # as in the test above
    typed = pd.to_datetime(pd.Series(["1960-07-01", None, "1930-01-01"]))
    assert ingest_cases(_raw(birth_date=typed), source="t", key=KEY)["age_at_start_year"].tolist() == [
        59,
        pd.NA,
        94,
    ]


def test_a_start_date_that_is_not_iso_is_refused_naming_row_and_column():
    # before: pd.to_datetime guessed the start date (month first, or any form it could read); now ISO text, dates
    # and datetimes only, else refused naming the row and column, never the value
    for bad in ["01-05-20", "01/05/2020", "1. maj 2020"]:
        with pytest.raises(SchemaError) as e:
            ingest_cases(_raw(start_date=["2020-05-01", bad, "2024-01-01"]), source="t.csv", key=KEY)
        assert "t.csv, row 2, column 'start_date'" in str(e.value) and bad not in str(e.value)
    # the row counts from first_row: the third row of a file whose first data row is row 2 is row 4
    with pytest.raises(SchemaError) as e:
        ingest_cases(
            _raw(start_date=["2020-05-01", "2024-01-01", "1/1/24"]), source="t.csv", key=KEY, first_row=2
        )
    assert "row 4, column 'start_date'" in str(e.value)
    # dates, datetimes and ISO text with a time of day give the ages of the test above (70, 19, none)
    for starts in [
        [dt.date(2020, 5, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 1)],
        pd.to_datetime(pd.Series(["2020-05-01", "2024-01-01", "2024-01-01"])),
        ["2020-05-01T00:00:00", " 2024-01-01 ", "2024-01-01"],
    ]:
        out = ingest_cases(_raw(start_date=starts), source="t", key=KEY)
        assert out["age_at_start_year"].tolist() == [70, 19, pd.NA]


def test_case_extract_with_a_birth_date_column(tmp_path):
    mapping = tmp_path / "cases.yaml"
    mapping.write_text(
        MAPPING.read_text("utf-8").replace("# birth_date: Fødselsdato", "birth_date: Fødselsdato"), "utf-8"
    )
    header = (
        "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
        "CPR-registreret;Fødselsdato"
    )
    row = "300285-1201;S-{n};Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;98.500,00;Ja;{born}"
    path = tmp_path / "sager.csv"
    path.write_text(
        "\n".join([header, row.format(n=1, born="30-04-1950"), row.format(n=2, born="30-02-1950")]) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError) as e:  # 30 February
        case_extract.read_extract(path, mapping, municipality_code=706, key=KEY)
    assert "sager.csv, row 3, column 'Fødselsdato'" in str(e.value)
    path.write_text("\n".join([header, row.format(n=1, born="30-04-1950")]) + "\n", encoding="utf-8")
    cases, *_ = case_extract.read_extract(path, mapping, municipality_code=706, key=KEY)
    # 2019 - 1950 - 1 = 68 (the birth date, not the CPR number's 1985)
    assert cases["age_at_start_year"].tolist() == [68] and "birth_date" not in cases.columns


def test_the_sample_cases_hold_ages_and_no_birth_date(con):
    columns = [r[0] for r in con.execute("DESCRIBE cases").fetchall()]
    assert "age_at_start_year" in columns and not any("birth" in c or c == "cpr" for c in columns)
    n, known, older = con.execute(
        """SELECT count(*), count(age_at_start_year),
                  avg(CASE WHEN age_at_start_year + (2025 - year(start_date)) >= 65 THEN 1 ELSE 0 END)
           FROM cases WHERE function_code LIKE '5.38.%'"""
    ).fetchone()
    assert n == known and 0.10 < older < 0.25  # the sample: 15 % of adults aged 65+ at the end of 2025


def _cases():
    # area 5.38.50: 6 persons aged 66-71 in 2024 and 6 aged 40; area 5.38.52: 3 aged 70, 8 aged 30
    rows = []
    for i in range(6):
        rows.append((f"o{i}", "5.38.50", "2020-01-01", None, 10_000.0, 62 + i))  # 62 + 4 = 66 ... 71 in 2024
        rows.append((f"y{i}", "5.38.50", "2024-01-01", None, 5_000.0, 40))
    for i in range(3):
        rows.append((f"p{i}", "5.38.52", "2024-07-01", None, 20_000.0, 70))
    for i in range(8):
        rows.append((f"q{i}", "5.38.52", "2024-01-01", "2024-06-30", 4_000.0, 30))
    rows.append(("u", "5.38.52", "2024-01-01", None, None, None))  # no cost, no age
    return pd.DataFrame(
        rows,
        columns=[
            "person_id",
            "function_code",
            "start_date",
            "end_date",
            "monthly_cost_dkk",
            "age_at_start_year",
        ],
    ).assign(start_date=lambda d: pd.to_datetime(d.start_date), end_date=lambda d: pd.to_datetime(d.end_date))


def test_older_citizens_by_hand():
    r = area.older_citizens(_cases(), 2024).set_index("function_code")
    a = r.loc["5.38.50"]
    # 12 persons, 6 aged 65+ (share 6/12); older: 6 x 10,000 x 12 = 720,000 of 720,000 + 6 x 5,000 x 12 = 1,080,000
    assert (a.persons, a.persons_older, a.share_older) == (12, 6, 0.5)
    assert (a.spending_older_dkk, a.spending_dkk) == (720_000.0, 1_080_000.0)
    b = r.loc["5.38.52"]
    # 3 + 8 + 1 persons; one of unknown age; older 3 of 11 known; 3 x 20,000 x 6 = 360,000 of 360,000 + 8 x 4,000 x 6
    assert (b.persons, b.persons_older, b.persons_unknown_age, b.cases_without_cost) == (12, 3, 1, 1)
    assert b.share_older == pytest.approx(3 / 11) and b.spending_dkk == 360_000.0 + 192_000.0
    t = r.loc["total"]
    assert (t.persons, t.persons_older) == (24, 9)


def _page():
    return area_page.AreaPage(
        "Syddjurs Kommune", "5.38", "Tilbud til voksne med særlige behov",
        {"5.38.50": "Botilbud til længerevarende ophold", "5.38.52": "Botilbud til midlertidigt ophold"},
        2018, 2024, 10, "de 10 mest lignende", {"medium_share": 0.05, "high_share": 0.15},
    )  # fmt: skip


def test_older_table_suppresses_groups_below_five():
    html = area_page.older_table(_page(), area.older_citizens(_cases(), 2024))
    assert "720.000" not in html  # amounts in mio. kr.
    rows = html.split("<tr")
    row_50 = next(r for r in rows if "5.38.50" in r)
    row_52 = next(r for r in rows if "5.38.52" in r)
    assert ">6<" in row_50 and "50,0 %" in row_50 and "0,7 mio. kr." in row_50  # 720.000 kr.
    assert ">3<" not in row_52 and "&lt;5" in row_52  # 3 citizens aged 65+: hidden
    text = area_page.older_text(_page(), area.older_citizens(_cases(), 2024))
    # total: 9 of 24, 9/23 of known ages = 39,1 %
    assert text.startswith("I 2024 havde 9 af 24 borgere med sager på området (39,1 %) fyldt 65 år")
    small = area.older_citizens(_cases()[lambda d: ~d.person_id.str.startswith("o")], 2024)
    assert "vises ikke" in area_page.older_text(_page(), small)  # 3 aged 65+ in all


def test_a_birth_date_with_a_two_digit_year_or_after_the_start_gives_no_wrong_age(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        MAPPING.read_text("utf-8").replace("  # birth_date: Fødselsdato", "  birth_date: Fødselsdato"),
        "utf-8",
    )
    header = (
        "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
        "CPR-registreret;Fødselsdato"
    )
    row = "300285-1201;S-1;Voksne;Botilbud;§108;5.38.50;Ekstern;01-03-2019;;98.500,00;Ja;{born}"
    path = tmp_path / "sager.csv"
    # '01-02-60' was read as 1 February 2060, and the age clipped to 0: refused, naming row and column, not the value
    path.write_text(header + "\n" + row.format(born="01-02-60") + "\n", encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        case_extract.read_extract(path, mapping, municipality_code=706, key=KEY)
    assert str(e.value).startswith("sager.csv, row 2, column 'Fødselsdato': expected a date like 31-01-2025")
    assert "year in four digits" in str(e.value) and "01-02-60" not in str(e.value)
    path.write_text(header + "\n" + row.format(born="01-02-1960") + "\n", encoding="utf-8")
    cases, *_ = case_extract.read_extract(path, mapping, municipality_code=706, key=KEY)
    assert cases["age_at_start_year"].tolist() == [58]  # 2019 - 1960 - 1
    # born after the year the case starts: no age (it was 0)
    born = pd.Series(pd.to_datetime(["2030-02-01", "2019-06-01", "1960-02-01"]))
    start = pd.Series(pd.to_datetime(["2019-03-01"] * 3))
    assert age_at_start_year(born, start).tolist() == [pd.NA, 0, 58]
