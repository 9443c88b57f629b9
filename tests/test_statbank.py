"""Statistics Denmark: recorded (constructed) responses parsed to known values, the client against a local server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis.data import statbank
from analysis.data.schema import SchemaError
from analysis.data.warehouse import connect

DATA = Path(__file__).parent / "data" / "statbank"


# ---------------------------------------------------------------------------------------------------------------
# Reading


def test_csv_with_labels_reads_to_codes_and_known_values():
    df = statbank.read(DATA / "regk31_labels.csv")
    assert list(df.columns) == [
        "municipality_code",
        "area_level",
        "function_code",
        "dranst",
        "art",
        "prisenhed",
        "period",
        "value",
    ]
    assert len(df) == 61
    row = df[
        (df.municipality_code == 706)
        & (df.function_code == "5.38.50")
        & (df.period == pd.Period("2024", "Y"))
        & df.prisenhed.str.contains("1.000")
        & (df.dranst == "1 Driftskonti")
    ]
    assert row["value"].tolist() == [98765.0]
    assert set(df.loc[df.municipality_code == 0, "area_level"]) == {"country"}
    assert set(df.loc[df.municipality_code == 82, "area_level"]) == {"region"}
    assert "5.38" in set(df.function_code)  # a main function
    per_resident = df[(df.municipality_code == 706) & df.prisenhed.str.startswith("Pr. indbygger")]
    assert per_resident["value"].iloc[0] == pytest.approx(2178.9)  # decimal comma
    missing = df[
        (df.municipality_code == 706) & (df.function_code == "5.38.52") & (df.period.dt.year == 2024)
    ]
    assert missing["value"].isna().all()  # '..'


def test_csv_with_codes_reads_the_same_codes():
    df = statbank.read(DATA / "regk31_codes.csv")
    assert sorted(df.municipality_code.unique()) == [0, 101, 706, 751]
    assert set(df.function_code) == {"5.38.50", "5.38.52"}
    assert df.loc[(df.municipality_code == 706) & (df.function_code == "5.38.50"), "value"].tolist() == [
        95112.0,
        98765.0,
    ]


def test_bulk_without_bom_and_jsonstat_are_read():
    bulk = statbank.read(DATA / "budk32_bulk.csv")
    assert len(bulk) == 6 and sorted(bulk.municipality_code.unique()) == [101, 706, 751]
    js = statbank.read(DATA / "folk1a.jsonstat.json")
    assert len(js) == 2 * 127 and "contentscode" not in js.columns
    assert js.attrs["labels"]["alder"]["18"] == "18 år"
    total = js[(js.municipality_code == 706) & (js.alder == "IALT")]
    assert total["value"].tolist() == [43540.0] and total["period"].iloc[0] == pd.Period("2025Q1", "Q")


def test_time_codes_text_input_and_bytes():
    text = "OMRÅDE;TID;INDHOLD\nSyddjurs;2024M01;1,5\nSyddjurs;2024M12;..\n"
    df = statbank.read(text)
    assert df.period.tolist() == [pd.Period("2024-01", "M"), pd.Period("2024-12", "M")]
    assert df.value.iloc[0] == 1.5 and np.isnan(df.value.iloc[1])
    same = statbank.read(("\ufeff" + text).encode("utf-8"))
    assert same.equals(df)
    assert statbank.period("2024K3") == pd.Period("2024Q3", "Q")
    english = statbank.read("REGION;TIME;INDHOLD\nCopenhagen;2024;1.5\nAll Denmark;2024;2\n")
    assert english.municipality_code.tolist() == [101, 0] and english.value.tolist() == [1.5, 2.0]


# ---------------------------------------------------------------------------------------------------------------
# Into warehouse rows


def test_regk31_becomes_accounts_in_dkk():
    out = statbank.to_accounts(statbank.read(DATA / "regk31_labels.csv"))
    acc = out.frame.set_index(["municipality_code", "year", "function_code"])["spending_dkk"]
    assert acc[(706, 2024, "5.38.50")] == 98_765_000.0
    assert acc[(101, 2023, "5.38.52")] == 402_114_000.0
    assert (706, 2024, "5.38.52") not in acc.index  # '..'
    assert len(out.frame) == 11 and set(out.frame.municipality_code) == {101, 706, 751}
    assert out.skipped["the whole country, regions and other areas (not municipalities)"] == 24
    assert out.skipped["the other PRISENHED (each row is given in two units)"] == 12
    assert sum("DRANST" in k for k in out.skipped) == 1


def test_codes_need_a_unit_and_budgets_say_they_are_original():
    df = statbank.read(DATA / "regk31_codes.csv")
    with pytest.raises(
        SchemaError, match=r"regk31_codes.csv, column 'PRISENHED': expected one PRISENHED in 1.000"
    ):
        statbank.to_accounts(df, name="regk31_codes.csv")
    out = statbank.to_accounts(df, unit=1000)
    assert (
        out.frame.set_index(["municipality_code", "year", "function_code"]).loc[
            (706, 2024, "5.38.50"), "spending_dkk"
        ]
        == 98_765_000.0
    )
    budgets = statbank.to_budgets(statbank.read(DATA / "budk32_bulk.csv"))
    assert (
        budgets.frame.set_index(["municipality_code", "year"]).loc[(706, 2025), "budget_dkk"] == 101_250_000.0
    )
    assert any("original" in n for n in budgets.notes)


def test_folk1a_gives_population_and_working_age_on_1_january():
    out = statbank.to_municipalities(statbank.read(DATA / "folk1a.csv"))
    m = out.frame.set_index(["municipality_code", "year"])
    assert m.loc[(706, 2024), "population"] == 43_040 and m.loc[(706, 2024), "population_18_64"] == 24_440
    assert m.loc[(706, 2025), "population_18_64"] == 24_675
    assert (
        m.loc[(706, 2024), "municipality"] == "Syddjurs"
        and m.loc[(706, 2024), "region"] == "Region Midtjylland"
    )
    assert out.skipped["quarters other than the first (population on 1 January is used)"] == 2 * 127
    js = statbank.to_municipalities(statbank.read(DATA / "folk1a.jsonstat.json")).frame
    assert js.set_index("municipality_code").loc[706, ["population", "population_18_64"]].tolist() == [
        43540,
        24675,
    ]


def test_hand_table_fills_persons_and_spending_from_accounts():
    accounts = statbank.to_accounts(statbank.read(DATA / "regk31_labels.csv")).frame
    out = statbank.to_activity(statbank.read(DATA / "hand_recipients.csv"), accounts, provider="external")
    a = out.frame.set_index(["municipality_code", "year", "function_code", "paragraph"])
    assert a.loc[(706, 2024, "5.38.50", "§108"), "full_year_persons"] == 132
    assert a.loc[(706, 2024, "5.38.50", "§108"), "spending_dkk"] == 98_765_000.0
    assert set(out.frame.provider) == {"external"}
    assert any("provider 'external'" in n for n in out.notes)
    assert statbank.service("Socialpædagogisk støtte i botilbudslignende tilbud (§ 85)") == (
        "5.38.51",
        "§85",
    )
    assert statbank.service("Socialpædagogisk støtte i eget hjem (§ 85)") == ("5.38.38", "§85")
    assert statbank.service("Hjemmehjælp (§ 83)") is None


# ---------------------------------------------------------------------------------------------------------------
# Malformed responses: each error names the source, the row or column, and what was expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "OMRÅDE;TID;ANTAL\nSyddjurs;2024;1\n",
            "x.csv, column 'INDHOLD': expected a column INDHOLD with the values",
        ),
        (
            "OMRÅDE;TID;INDHOLD\nSyddjurs;2024;1\nKobenhavn;2024;2\n",
            "x.csv, row 3, column 'OMRÅDE': expected a municipality, region or 'Hele landet' by code or name "
            "(did you mean 'København'?), found 'Kobenhavn'",
        ),
        (
            "OMRÅDE;TID;INDHOLD\nSyddjurs;2024 1. kvt.;1\n",
            "x.csv, row 2, column 'TID': expected a time code such as 2024, 2024K1 or 2024M01, found '2024 1. kvt.'",
        ),
        (
            "OMRÅDE;TID;INDHOLD\nSyddjurs;2024;12a\n",
            "x.csv, row 2, column 'INDHOLD': expected a number, or '..' for a missing value, found '12a'",
        ),
        (
            "OMRÅDE;TID;INDHOLD\nSyddjurs;2024;1;2\n",
            "x.csv, row 2: expected 3 fields separated by ';' as in the header, found 4 fields",
        ),
        (
            "OMRÅDE;FUNKTION;TID;INDHOLD\nSyddjurs;Botilbud;2024;1\n",
            "x.csv, row 2, column 'FUNKTION': expected a function code or label such as '5.38.50 Botilbud ...'",
        ),
        (  # the area twice under two names: the second used to overwrite the first (706 read for 101)
            "OMRÅDE;KOMK;TID;INDHOLD\n101;706;2024;5\n",
            "x.csv, row 1, column 'KOMK': expected each variable once in the heading line (which of two columns "
            "is meant is not guessed), found the columns 'OMRÅDE' and 'KOMK', both the area",
        ),
        (  # a heading twice: it used to fail with "'DataFrame' object has no attribute 'str'"
            "OMRÅDE;TID;INDHOLD;INDHOLD\n101;2024;5;6\n",
            "x.csv, row 1, column 'INDHOLD': expected each variable once in the heading line",
        ),
        (  # it was refused as "column 'ALDER': expected the variable ALDER" (or FUNKTION ...), naming a variable
            "OMRÅDE;TID;INDHOLD\n",
            "x.csv: expected rows of data below the heading line, found the heading line only",
        ),
        (  # two downloads joined: the heading line was refused as an unknown area 'OMRÅDE'
            "OMRÅDE;TID;INDHOLD\nSyddjurs;2024;1\n\ufeffOMRÅDE;TID;INDHOLD\nAarhus;2024;2\n",
            "x.csv, row 3: expected the heading line once, at the top (two downloads joined into one file?); load "
            "each download by itself, found the heading line again",
        ),
        (
            '{"dataset": {"dimension": {"id": ["A"], "size": [2], "A": {"category": {"index": {"x": 0}}}}, '
            '"value": [1, 2]}}',
            "x.csv, column 'A': expected 2 categories as the size says, found 1",
        ),
    ],
)
def test_malformed_responses(text, message):
    with pytest.raises(SchemaError) as e:
        statbank.read(text, name="x.csv")
    assert str(e.value).startswith(message)


def test_malformed_tables():
    with pytest.raises(
        ValueError, match=r"no loader for Statistics Denmark table 'REGK32' \(did you mean 'REGK31'"
    ):
        statbank.table_kind("REGK32")
    folk = statbank.read(
        "OMRÅDE;ALDER;TID;INDHOLD\nSyddjurs;Alder i alt;2024K1;100\nSyddjurs;18 år;2024K1;10\n"
    )
    with pytest.raises(
        SchemaError, match=r"expected every age from 18 to 64 \(ALDER=\*\), found no 19, 20, 21"
    ):
        statbank.to_municipalities(folk, name="f.csv")
    per_resident = statbank.read(
        "OMRÅDE;FUNKTION;PRISENHED;TID;INDHOLD\n"
        "Syddjurs;5.38.50 Botilbud;Pr. indbygger, løbende priser (kr.);2024;2262,6\n"
    )
    # kroner per resident need the population (issue 13: no longer refused outright, converted with FOLK1A)
    with pytest.raises(
        SchemaError, match=r"load FOLK1A for 2024 first .*found no population for 706 in 2024"
    ):
        statbank.to_accounts(per_resident)
    monthly = statbank.read("OMRÅDE;FUNKTION;TID;INDHOLD\nSyddjurs;53850;2024M01;1\n")
    with pytest.raises(
        SchemaError, match=r"column 'TID': expected yearly time codes \(2024\).*found months \(2024M01\)"
    ):
        statbank.to_accounts(monthly)
    # the refusal said "found Q-DEC" (pandas' name of a quarterly period)
    quarterly = statbank.read(
        "OMRÅDE;FUNKTION;TID;INDHOLD\nSyddjurs;53850;2024K1;1\nSyddjurs;53850;2024K2;1\n"
    )
    with pytest.raises(SchemaError) as e:
        statbank.to_budgets(quarterly, unit=1000, name="budk32.csv")
    assert str(e.value) == (
        "budk32.csv, column 'TID': expected yearly time codes (2024): the accounts and budgets are yearly; download "
        "the table by year, found quarters (2024K1)"
    )


def test_hand_load_without_a_provider_is_unknown(own_con):
    # issue 13: --provider is optional; HAND01 has no provider split, so its rows say 'unknown'
    statbank.load(own_con, DATA / "regk31_labels.csv", "REGK31")
    result = statbank.load(own_con, DATA / "hand_recipients.csv", "HAND01")
    assert result.status == "loaded"
    assert own_con.execute("SELECT DISTINCT provider FROM activity").fetchall() == [("unknown",)]
    assert any("no split between internal and external" in n for n in result.notes)


# ---------------------------------------------------------------------------------------------------------------
# Loading: all or nothing, and a reload changes nothing


def test_load_in_order_and_reload_changes_nothing(tmp_path):
    path = tmp_path / "own.duckdb"
    con = connect(path, read_only=False)
    try:
        files = [
            ("folk1a.csv", "FOLK1A", {}),
            ("regk31_labels.csv", "REGK31", {}),
            ("budk32_bulk.csv", "BUDK32", {}),
            ("hand_recipients.csv", "HAND01", {"provider": "internal"}),
        ]
        first = [statbank.load(con, DATA / f, t, **kw) for f, t, kw in files]
        assert [r.status for r in first] == ["loaded"] * 4
        assert [r.rows_loaded for r in first] == [4, 11, 6, 11]
        snapshot = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in ("accounts", "activity")}
        again = [statbank.load(con, DATA / f, t, **kw) for f, t, kw in files]
        assert [r.status for r in again] == ["unchanged"] * 4
        assert "unchanged" in again[1].describe()
        for t, before in snapshot.items():
            pd.testing.assert_frame_equal(con.execute(f"SELECT * FROM {t} ORDER BY ALL").df(), before)
        assert con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 4
        assert (
            con.execute("SELECT count(*) FROM function_areas").fetchone()[0] == 16
        )  # 11 of 5.38 + 5 of 5.28
    finally:
        con.close()


def test_a_failing_load_writes_nothing(tmp_path, own_con):
    bad = tmp_path / "regk31.csv"
    bad.write_text(
        "OMRÅDE;FUNKTION;TID;INDHOLD\nSyddjurs;5.38.50;2024;1\nAarhus;5.38.50;2024;x\n", encoding="utf-8"
    )
    with pytest.raises(SchemaError, match="regk31.csv, row 3, column 'INDHOLD'"):
        statbank.load(own_con, bad, "REGK31")
    tables = {r[0] for r in own_con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "_loads" not in tables and "accounts" not in tables


def test_an_observation_given_twice_is_refused_naming_both_rows(tmp_path):
    # FOLK1A took the first of two age totals of one municipality and quarter silently (Syddjurs 2024: 43,040 of
    # 43,040 and 43,540); REGK31 refused the second row with the rows of its frame (2 and 1), not of the file
    folk = tmp_path / "folk1a.csv"
    folk.write_bytes(
        (DATA / "folk1a.csv").read_bytes() + b"Syddjurs;I alt;Alder i alt;I alt;2024K1;43540\r\n"
    )
    with pytest.raises(SchemaError) as e:
        statbank.read(folk)
    assert str(e.value) == (  # the fixture's 1,143 rows below its header; Syddjurs' 2024K1 total is row 764
        "folk1a.csv, row 1145: expected each observation once (which of two is meant is not guessed, and a sum "
        "would count it twice), found the same observation as row 764 (municipality_code=706, køn=I alt, "
        "alder=Alder i alt, civilstand=I alt, period=2024Q1; values 43040 and 43540)"
    )
    # the same municipality by code and by name, and the same function with and without its label
    text = "OMRÅDE;FUNKTION;TID;INDHOLD\n706;5.38.50 Botilbud;2024;1\nAarhus;5.38.50;2024;4\nSyddjurs;53850;2024;1\n"
    with pytest.raises(SchemaError, match=r"^x.csv, row 4: expected each observation once .* as row 2 \("):
        statbank.read(text, name="x.csv")
    # totals of the functions and municipality groups have no code: their different labels are not one observation
    groups = (
        "OMRÅDE;FUNKTION;TID;INDHOLD\nLandkommuner;I alt;2024;1\nStorbykommuner;Hovedkonto 5 i alt;2024;2\n"
    )
    assert statbank.read(groups, name="x.csv")["value"].tolist() == [1.0, 2.0]


def test_a_municipality_by_its_official_or_former_name_is_read_and_the_areas_above_it_left_out():
    # 'Københavns Kommune' and 'Bornholms Regionskommune' (the official names) were refused as unknown areas,
    # and 'Århus' (Aarhus until 2011) too; regions, landsdele, groups and the country are kept apart, never summed
    text = (
        "OMRÅDE;FUNKTION;TID;INDHOLD\nKøbenhavns Kommune;5.38.50;2024;1\nBornholms Regionskommune;5.38.50;2024;2\n"
        "Århus;5.38.50;2024;3\nSyddjurs Kommune;5.38.50;2024;4\nRegion Midtjylland;5.38.50;2024;7\n"
        "Landsdel Østjylland;5.38.50;2024;7\nHele landet;5.38.50;2024;10\n"
    )
    df = statbank.read(text, name="x.csv")
    assert df["municipality_code"].tolist()[:4] == [101, 400, 751, 706]
    assert df["area_level"].tolist() == ["municipality"] * 4 + ["region", "landsdel", "country"]
    accounts = statbank.to_accounts(df, unit=1000, name="x.csv")
    assert accounts.frame["spending_dkk"].tolist() == [1000.0, 2000.0, 3000.0, 4000.0]
    assert accounts.skipped["the whole country, regions and other areas (not municipalities)"] == 3


def test_a_folder_named_as_the_file_is_refused_in_words(tmp_path):
    (tmp_path / "regk31.csv").mkdir()  # it was "[Errno 21] Is a directory"
    with pytest.raises(SchemaError, match=r"^regk31.csv: expected a file, found a folder$"):
        statbank.read(tmp_path / "regk31.csv")


def _refusing_sources(con):
    """A feature-source table that refuses every row: a write that fails after the rows of the load."""
    con.execute(
        "CREATE TABLE _feature_sources (municipality_code BIGINT NOT NULL, year BIGINT NOT NULL, feature VARCHAR "
        "NOT NULL, source VARCHAR NOT NULL CHECK (source = 'never'), load_id BIGINT, "
        "PRIMARY KEY (municipality_code, year, feature))"
    )


def test_the_sources_of_the_features_are_written_with_the_rows_or_not_at_all(own_con):
    # The sources of the structural features used to be written in a second transaction after the rows: a failure
    # there left the population loaded, recorded in _loads, with no source (half a load).
    _refusing_sources(own_con)
    with pytest.raises(duckdb.ConstraintException):
        statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    tables = {r[0] for r in own_con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "municipalities" in tables:
        assert own_con.execute("SELECT count(*) FROM municipalities").fetchone()[0] == 0
    if "_loads" in tables:
        assert own_con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 0
    own_con.execute("DROP TABLE _feature_sources")
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")  # the same load, whole: rows, record and sources
    # 2 municipalities (København, Syddjurs) x 3 quarters' years (2024, 2025) = 4 rows, each with its sources
    assert own_con.execute("SELECT count(*) FROM municipalities").fetchone()[0] == 4
    assert own_con.execute("SELECT count(DISTINCT load_id) FROM _feature_sources").fetchone()[0] == 1
    # ARE207 after FOLK1A: the density, its sources and the areas in one transaction too
    before = own_con.execute("SELECT * FROM municipalities ORDER BY ALL").df()
    own_con.execute("DROP TABLE _feature_sources")
    _refusing_sources(own_con)
    with pytest.raises(duckdb.ConstraintException):
        statbank.load(own_con, DATA / "are207.csv", "ARE207")
    pd.testing.assert_frame_equal(own_con.execute("SELECT * FROM municipalities ORDER BY ALL").df(), before)
    tables = {r[0] for r in own_con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "_areas" not in tables or own_con.execute("SELECT count(*) FROM _areas").fetchone()[0] == 0
    assert own_con.execute("SELECT count(*) FROM _loads").fetchone()[0] == 1


# ---------------------------------------------------------------------------------------------------------------
# The client, against a local server that replays the recorded responses


class _Replay(BaseHTTPRequestHandler):
    files = {
        ("data", "REGK31", "CSV"): "regk31_labels.csv",
        ("data", "FOLK1A", "JSONSTAT"): "folk1a.jsonstat.json",
        ("tableinfo", "REGK31", "JSON"): "tableinfo_REGK31.json",
        ("tableinfo", "FOLK1A", "JSON"): "tableinfo_FOLK1A.json",
    }
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
        endpoint = self.path.rstrip("/").rsplit("/", 1)[-1]
        self.requests.append({"path": self.path, **body})
        if self.path.startswith("/broken/"):
            return self._send(500, b"Internal Server Error", "text/plain")
        name = self.files.get((endpoint, str(body.get("table", "")).upper(), body.get("format", "JSON")))
        if name is None:
            error = {
                "errorTypeCode": "EXTRACT-NOTFOUND",
                "message": f"Tabellen '{body.get('table')}' findes ikke.",
            }
            return self._send(400, json.dumps(error).encode("utf-8"), "application/json")
        return self._send(200, (DATA / name).read_bytes(), "text/csv; charset=utf-8")

    def _send(self, status, payload, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_client_fetches_and_the_response_parses_as_the_file(server, tmp_path):
    client = statbank.Client(f"{server}/v1")
    text = client.data("regk31", {"område": ["706", "101"], "FUNKTION": "53850", "tid": ">2022"})
    sent = _Replay.requests[-1]
    assert sent["path"] == "/v1/data" and sent["table"] == "regk31" and sent["format"] == "CSV"
    assert [v["code"] for v in sent["variables"]] == ["OMRÅDE", "FUNKTION", "Tid"]  # the table's own spelling
    assert sent["valuePresentation"] == "Value" and sent["lang"] == "da"
    assert statbank.read(text).equals(statbank.read(DATA / "regk31_labels.csv"))
    saved = client.download(
        "FOLK1A", {"OMRÅDE": "*", "ALDER": "*", "Tid": "2025K1"}, tmp_path / "f.json", format="JSONSTAT"
    )
    assert statbank.to_municipalities(statbank.read(saved)).frame.population.tolist() == [648_300, 43_540]


def test_client_errors_name_table_variable_and_value(server, monkeypatch):
    monkeypatch.setenv(statbank.BASE_URL_ENV, f"{server}/v1")
    client = statbank.Client()
    with pytest.raises(
        statbank.StatbankError, match=r"Statistics Denmark has no table 'REGK99'.*findes ikke"
    ):
        client.data("REGK99", {"OMRÅDE": "*"})
    with pytest.raises(
        statbank.StatbankError,
        match=r"table REGK31 has no variable 'FUNKTIONN' \(did you mean 'FUNKTION'\?\)",
    ):
        client.data("REGK31", {"FUNKTIONN": "53850"})
    with pytest.raises(
        statbank.StatbankError, match=r"table REGK31, variable DRANST has no value '9'; values: 1, 2, 3"
    ):
        client.data("REGK31", {"DRANST": "9"})
    with pytest.raises(
        statbank.StatbankError, match=r"answered HTTP 400 to data for table REGK31.*findes ikke"
    ):
        client.data(
            "REGK31", {"DRANST": "1"}, format="BULK"
        )  # nothing recorded for BULK: the server says 400
    broken = statbank.Client(f"{server}/broken")
    with pytest.raises(statbank.StatbankError, match=r"answered HTTP 500 to tableinfo for table REGK31"):
        broken.data("REGK31", {})
    unreachable = statbank.Client("http://127.0.0.1:9/v1", timeout=2, retries=0)
    with pytest.raises(
        statbank.StatbankError, match="could not reach Statistics Denmark's API at http://127.0.0.1:9"
    ):
        unreachable.tableinfo("REGK31")


def test_doctests_of_the_statbank_modules():
    import doctest

    from analysis.data.statbank import fetching, parse, tables

    for module in (parse, tables, fetching):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
