"""Programme member lists: Danish dates and columns, pseudonymised as the cases are, replacing the programmes named."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.data import case_extract, loads, member_extract, programmes
from analysis.data.cases import ingest_programme_members
from analysis.data.schema import SchemaError
from analysis.data.warehouse import connect
from analysis.errors import DataError, InputError
from analysis.privacy import find_cpr, pseudonymise

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "parameters" / "mappings" / "members.yaml"
EXAMPLE = ROOT / "docs" / "examples" / "members-example.csv"
CASES = ROOT / "docs" / "examples" / "cases-example.csv"
KEY = b"5f0c3a9e1d7b42c68e0f9a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d"  # as conftest.TEST_KEY
HEADER = "CPR-nummer;Forløb;Startdato;Slutdato"
HOI, JOB = "Helhedsorienteret indsats", "Job først"
# fictitious CPR numbers with impossible dates (30 February, 31 April, 31 June, 30 February)
A, B, C, D = "300285-1201", "310490-2202", "310678-3303", "300299-4404"
LINES = [
    f"{A};{HOI};01-09-2024;",  # an empty end: still a member
    f"{B};{HOI};15.10.2024;31-12-9999",  # the case system's open end: still a member
    f"{C};{HOI};2024-11-01;31.05.2025",
    f"{D};{JOB};01-02-2025;30-06-2025",
]
#: What the warehouse holds after LINES, worked out by hand from the file (left NaT while a member).
EXPECTED = pd.DataFrame(
    {
        "person_id": [pseudonymise(c, KEY) for c in (A, B, C, D)],
        "municipality_code": [706] * 4,
        "programme": [HOI, HOI, HOI, JOB],
        "joined": pd.to_datetime(["2024-09-01", "2024-10-15", "2024-11-01", "2025-02-01"]).astype(
            "datetime64[ns]"
        ),
        "left": pd.to_datetime([None, None, "2025-05-31", "2025-06-30"]).astype("datetime64[ns]"),
    }
)


def _write(tmp_path, lines, header=HEADER, name="deltagere.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


def _members(con) -> pd.DataFrame:
    df = con.execute(
        'SELECT person_id, municipality_code, programme, joined, "left" FROM programme_members '
        "ORDER BY joined, person_id"
    ).df()
    for c in ("joined", "left"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    df["municipality_code"] = df["municipality_code"].astype("int64")
    return df


def _expected(rows=slice(None)) -> pd.DataFrame:
    return EXPECTED.iloc[rows].sort_values(["joined", "person_id"]).reset_index(drop=True)


def test_danish_dates_and_open_ends_give_the_hand_expected_rows_and_no_cpr_in_the_warehouse(tmp_path):
    path = _write(tmp_path, LINES)
    con = connect(tmp_path / "own.duckdb", read_only=False)
    try:
        result = member_extract.load(con, path, MAPPING, municipality_code=706, key=KEY)
        assert (result.status, result.rows_read, result.rows_loaded, result.new) == ("loaded", 4, 4, 4)
        pd.testing.assert_frame_equal(_members(con), _expected())
        # the pseudonyms are those the direct ingest gives for these CPR numbers under the key
        direct = ingest_programme_members(pd.DataFrame({"cpr": [A, B, C, D]}), source="direct", key=KEY)[
            "person_id"
        ].tolist()
        assert sorted(direct) == sorted(_members(con)["person_id"])
        assert "1 date(s) in the year 9999 in column 'Slutdato'" in result.notes[0]
        assert result.notes[1].startswith(
            "4 CPR number(s) in column 'CPR-nummer' (rows 2, 3, 4, 5) whose date"
        )
        assert find_cpr(result.describe()) == []
    finally:
        con.close()
    for f in tmp_path.glob("own.duckdb*"):  # the file and any write-ahead log
        data = f.read_bytes()
        for cpr in (A, B, C, D):
            for form in (cpr, cpr.replace("-", ""), cpr[:6]):
                assert form.encode() not in data and form.encode("utf-16-le") not in data, (f.name, form)


def test_the_same_file_twice_changes_nothing_and_undo_restores(tmp_path, own_con):
    path = _write(tmp_path, LINES)
    first = member_extract.load(own_con, path, MAPPING, municipality_code=706, key=KEY)
    again = member_extract.load(own_con, path, MAPPING, municipality_code=706, key=KEY)
    assert again.status == "unchanged" and again.load_id == first.load_id
    assert own_con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 1
    # a later list of the first programme only: A left on 31-03-2025, B is no longer on it; JOB is kept
    later = _write(
        tmp_path, [f"{A};{HOI};01-09-2024;31-03-2025", f"{C};{HOI};2024-11-01;31.05.2025"], name="v2.csv"
    )
    second = member_extract.load(own_con, later, MAPPING, municipality_code=706, key=KEY)
    assert (second.new, second.changed, second.removed) == (0, 1, 1)
    after = _members(own_con)
    assert after["person_id"].tolist() == [pseudonymise(x, KEY) for x in (A, C, D)]
    assert after["left"].tolist() == [
        pd.Timestamp("2025-03-31"),
        pd.Timestamp("2025-05-31"),
        pd.Timestamp("2025-06-30"),
    ]
    with pytest.raises(InputError, match=r"cannot be undone while later loads .* in force: 2"):
        loads.undo(own_con, first.load_id)
    done = loads.undo(own_con, second.load_id)
    assert (done["deleted"], done["restored"]) == (2, 3)
    pd.testing.assert_frame_equal(_members(own_con), _expected())
    loads.undo(own_con, first.load_id)
    assert own_con.execute("SELECT count(*) FROM programme_members").fetchone()[0] == 0


def test_another_municipality_is_kept_and_a_membership_it_holds_is_refused(tmp_path, own_con):
    member_extract.load(own_con, _write(tmp_path, LINES), MAPPING, municipality_code=706, key=KEY)
    # A moved to Aarhus and joined its programme of the same name later: a membership of its own
    other = _write(tmp_path, [f"{A};{HOI};01-04-2025;"], name="aarhus.csv")
    member_extract.load(own_con, other, MAPPING, municipality_code=751, key=KEY)
    counts = "SELECT municipality_code, count(*) FROM programme_members GROUP BY 1 ORDER BY 1"
    assert own_con.execute(counts).fetchall() == [(706, 4), (751, 1)]
    # Syddjurs' list loaded with --municipality 751 by mistake: it used to move B and C to Aarhus without a word
    wrong = _write(tmp_path, [f"{A};{HOI};01-04-2025;", LINES[1], LINES[2]], name="forkert.csv")
    with pytest.raises(SchemaError) as e:
        member_extract.load(own_con, wrong, MAPPING, municipality_code=751, key=KEY)
    assert str(e.value).startswith(
        "forkert.csv, row 3, column 'CPR-nummer': expected members of municipality 751; a person joins a programme "
        "on a date in one municipality only: is --municipality right?"
    )
    assert str(e.value).endswith(
        "found the same person, programme and start date in municipality 706's members already"
    )
    assert own_con.execute(counts).fetchall() == [(706, 4), (751, 1)]


def test_excel_gives_the_same_rows_and_encodings_are_read(tmp_path):
    csv_rows, *_ = member_extract.read_members(
        _write(tmp_path, LINES), MAPPING, municipality_code=706, key=KEY
    )
    pd.testing.assert_frame_equal(
        csv_rows.sort_values(["joined", "person_id"]).reset_index(drop=True), _expected(), check_dtype=False
    )
    raw = pd.DataFrame([ln.split(";") for ln in LINES], columns=HEADER.split(";")).replace("", None)
    xlsx = tmp_path / "deltagere.xlsx"
    raw.to_excel(xlsx, index=False)
    xlsx_rows, *_ = member_extract.read_members(xlsx, MAPPING, municipality_code=706, key=KEY)
    pd.testing.assert_frame_equal(xlsx_rows, csv_rows)
    # Excel's own dates (cells typed as dates, not text) read the same
    raw["Startdato"] = pd.to_datetime(EXPECTED["joined"])
    raw.to_excel(xlsx, index=False)
    typed, *_ = member_extract.read_members(xlsx, MAPPING, municipality_code=706, key=KEY)
    pd.testing.assert_frame_equal(typed, csv_rows)
    for encoding, sep in (("cp1252", ";"), ("utf-16", ","), ("utf-8-sig", ",")):
        lines = [ln.replace(";", sep) for ln in LINES]
        path = _write(
            tmp_path, lines, header=HEADER.replace(";", sep), name=f"{encoding}.csv", encoding=encoding
        )
        rows, *_ = member_extract.read_members(path, MAPPING, municipality_code=706, key=KEY)
        pd.testing.assert_frame_equal(rows, csv_rows, obj=encoding)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            f"3002851-201;{HOI};01-09-2024;",
            "deltagere.csv, row 3, column 'CPR-nummer': expected a CPR number of 10 digits (DDMMYY-SSSS), "
            "found a value of another form",
        ),
        (
            f";{HOI};01-09-2024;",
            "deltagere.csv, row 3, column 'CPR-nummer': expected a CPR number on every member (a member without "
            "one cannot be pseudonymised or linked to a case), found empty",
        ),
        (
            f"{B};{HOI};31-13-2024;",
            "deltagere.csv, row 3, column 'Startdato': expected a date like 31-01-2025 or 31.01.2025, "
            "found '31-13-2024'",
        ),
        (
            f"{B};{HOI};snart;",
            "deltagere.csv, row 3, column 'Startdato': expected a date like 31-01-2025 or 31.01.2025, found 'snart'",
        ),
        (
            f"{B};{HOI};03/04/2025;",
            "deltagere.csv, row 3, column 'Startdato': expected a date that reads one way; write the dates as "
            "03-04-2025 or 2025-04-03, or declare the order with format: date_format: '%d/%m/%Y' (day first) or "
            "'%m/%d/%Y' (month first) in the mapping, found '03/04/2025', which is 3 April 2025 with the day first "
            "(Danish) and 4 March 2025 with the month first (US), and no slash date of the column tells which",
        ),
        (
            f"{B};{HOI};31-12-9999;",
            "deltagere.csv, row 3, column 'Startdato': expected a date in the years 1800-2199, found '31-12-9999'",
        ),
        (
            f"{B};{HOI};01-03-2025;31-12-2024",
            "deltagere.csv, row 3, column 'Slutdato': expected an end date on or after the start date (column "
            "'Startdato'), or empty while a member, found 31.12.2024, before the start 01.03.2025",
        ),
        (
            f"{B};;01-03-2025;",
            "deltagere.csv, row 3, column 'Forløb': expected a programme's name, found empty",
        ),
        (
            f"{B};{B};01-03-2025;",
            "deltagere.csv, row 3, column 'Forløb': expected a programme's name that is not CPR-shaped (a CPR "
            "number is never stored), found a CPR-shaped value (not shown)",
        ),
        (
            f"{A.replace('-', '')};{HOI};2024-09-01;",  # the same number without its hyphen
            "deltagere.csv, row 3, column 'Startdato': expected one row per member, programme and start date, "
            "found the same CPR number, programme and start date as row 2",
        ),
        (
            # A is a member from 01-09-2024 with no end: a second membership at once was loaded, and the
            # evaluation counts each membership
            f"{A};{HOI};01-10-2024;",
            "deltagere.csv, row 3, column 'Startdato': expected memberships of one person in a programme that do "
            "not overlap (a member twice at once would be counted twice; end the first membership before the next "
            "begins), found a start on 01.10.2024 while the membership of row 2 (from 01.09.2024) had not ended",
        ),
    ],
    ids=[
        "malformed-cpr",
        "no-cpr",
        "month-13",
        "no-date",
        "ambiguous-date",
        "start-9999",
        "joined-after-left",
        "no-programme",
        "cpr-programme",
        "twice",
        "overlap",
    ],
)
def test_bad_input_is_refused_naming_file_row_and_column(tmp_path, own_con, line, message):
    path = _write(tmp_path, [LINES[0], line])
    with pytest.raises(SchemaError) as e:
        member_extract.load(own_con, path, MAPPING, municipality_code=706, key=KEY)
    assert str(e.value).startswith(message)
    assert find_cpr(str(e.value)) == [] and "3002851" not in str(e.value)
    tables = own_con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert ("programme_members",) not in tables or _members(own_con).empty


def test_a_member_who_left_and_joined_again_has_two_memberships(tmp_path, own_con):
    lines = [f"{A};{HOI};01-09-2024;30-09-2024", f"{A};{HOI};01-11-2024;", f"{A};{JOB};15-09-2024;"]
    member_extract.load(own_con, _write(tmp_path, lines), MAPPING, municipality_code=706, key=KEY)
    got = _members(own_con).sort_values(["programme", "joined"])
    assert got["joined"].dt.strftime("%Y-%m-%d").tolist() == ["2024-09-01", "2024-11-01", "2024-09-15"]
    assert got["left"].isna().tolist() == [False, True, True]


def test_a_missing_column_says_did_you_mean(tmp_path):
    path = _write(tmp_path, LINES, header=HEADER.replace("Slutdato", "Slutdatoen"))
    with pytest.raises(SchemaError) as e:
        member_extract.read_members(path, MAPPING, municipality_code=706, key=KEY)
    assert str(e.value) == (
        "deltagere.csv, column 'Slutdato': expected a column 'Slutdato' (columns.left in members.yaml); the "
        "file's columns are CPR-nummer, Forløb, Startdato, Slutdatoen (did you mean 'Slutdatoen'?), found no "
        "such column"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAPPING.read_text("utf-8").replace("  joined: Startdato", "  joind: Startdato"), "utf-8")
    with pytest.raises(SchemaError, match=r"bad.yaml, column 'columns.joind': expected one of the fields .*"
                       r"\(did you mean 'joined'\?\)"):  # fmt: skip
        member_extract.read_mapping(bad)


def test_a_list_of_one_programme_names_it_as_a_constant(tmp_path):
    one = tmp_path / "one.yaml"
    text = MAPPING.read_text("utf-8").replace("  programme: Forløb ", "  # programme: Forløb ")
    one.write_text(text.replace("constants: {}", f"constants: {{programme: {JOB}}}"), "utf-8")
    path = _write(tmp_path, [f"{D};01-02-2025;30-06-2025"], header="CPR-nummer;Startdato;Slutdato")
    rows, *_ = member_extract.read_members(path, one, municipality_code=706, key=KEY)
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), _expected(slice(3, 4)), check_dtype=False)


def test_members_reach_the_cross_sector_report_linked_to_their_cases(tmp_path, own_con):
    case_extract.load(own_con, CASES, ROOT / "parameters/mappings/cases.yaml", municipality_code=706, key=KEY)
    member_extract.load(own_con, EXAMPLE, MAPPING, municipality_code=706, key=KEY)
    members = programmes.read_members(own_con, 706)
    assert members["person_id"].tolist() == [pseudonymise(c, KEY) for c in (A, B, C, D)]
    assert members["joined"].tolist() == [
        pd.Timestamp(d) for d in ("2024-09-01", "2024-10-15", "2024-11-01", "2025-02-01")
    ]
    assert members["left"].isna().tolist() == [True, True, False, True]
    cases = programmes.read_cases(own_con, 706)
    # every member's cases are found under the member's pseudonym: 1 + 2 + 2 + 2 cases of the example extract
    assert cases[cases["person_id"].isin(members["person_id"])].groupby("person_id").size().sum() == 7


def test_the_cli_loads_lists_and_undoes_a_member_list(tmp_path, capsys):
    w = tmp_path / "own.duckdb"
    args = [
        "load",
        "members",
        str(EXAMPLE),
        "--mapping",
        str(MAPPING),
        "--municipality",
        "706",
        "--warehouse",
        str(w),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "members-example.csv: 4 rows read; 4 rows of table 'programme_members' loaded (4 new" in out
    assert f"Load 1; undo it with: analysis undo 1 --warehouse {w}" in out and find_cpr(out) == []
    assert main(args) == 0
    assert "unchanged" in capsys.readouterr().out
    assert main(["loads", "--warehouse", str(w)]) == 0
    listed = capsys.readouterr().out
    assert "members-example.csv" in listed and "programme_member" in listed
    assert main(["undo", "1", "--warehouse", str(w)]) == 0
    capsys.readouterr()
    con = connect(w)
    try:
        assert con.execute("SELECT count(*) FROM programme_members").fetchone()[0] == 0
    finally:
        con.close()
    bad = _write(tmp_path, [LINES[0], f"3002851-201;{HOI};01-09-2024;"])
    fresh = tmp_path / "new.duckdb"
    assert main(["load", "members", str(bad), "--mapping", str(MAPPING), "--municipality", "706",
                 "--warehouse", str(fresh)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "deltagere.csv, row 3, column 'CPR-nummer': expected a CPR number of 10 digits" in err
    assert "3002851" not in err and len(err.strip().splitlines()) == 1 and not fresh.exists()


def test_a_member_list_under_another_key_than_the_warehouses_is_refused(tmp_path, own_con):
    case_extract.load(own_con, CASES, ROOT / "parameters/mappings/cases.yaml", municipality_code=706, key=KEY)
    other = bytes(reversed(KEY))
    with pytest.raises(DataError, match="this warehouse was pseudonymised with another key"):
        member_extract.load(own_con, EXAMPLE, MAPPING, municipality_code=706, key=other)
    assert own_con.execute("SELECT count(*) FROM programme_members").fetchone()[0] == 0


def test_a_cpr_number_that_excel_held_as_a_number_is_the_same_person(tmp_path):
    # fictitious 010185-1234, held by Excel as the number 101851234 (the leading 0 dropped)
    raw = pd.DataFrame({"CPR-nummer": [101851234, "300285-1201"], "Forløb": [HOI, HOI],
                        "Startdato": ["01-09-2024", "01-09-2024"], "Slutdato": [None, None]})  # fmt: skip
    xlsx = tmp_path / "deltagere.xlsx"
    raw.to_excel(xlsx, index=False)
    rows, _, table = member_extract.read_members(xlsx, MAPPING, municipality_code=706, key=KEY)
    assert rows["person_id"].tolist() == [pseudonymise("0101851234", KEY), pseudonymise(A, KEY)]
    assert table.notes[0].startswith("1 CPR number(s) of 9 digits in column 'CPR-nummer' (rows 2) read with")
    assert find_cpr(" ".join(table.notes)) == []


def test_a_municipality_without_members_is_told_how_to_load_them(tmp_path, own_con):
    member_extract.load(own_con, EXAMPLE, MAPPING, municipality_code=706, key=KEY)
    with pytest.raises(InputError) as e:
        programmes.read_members(own_con, 751)
    assert str(e.value).endswith(
        "municipality 751 has no members of a cross-sector programme; load the programme's member list: analysis "
        "load members FILE --mapping parameters/mappings/members.yaml --municipality 751 (docs/own-data.md)"
    )
