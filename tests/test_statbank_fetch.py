"""`analysis fetch statbank`: from a replaying API on 127.0.0.1 into an empty warehouse, resumable and polite.

The server (tests/statbank_replay.py) answers from recorded responses in the API's formats; no test reaches the
internet. Expected values are the recorded ones (tests/data/statbank/README.md), converted by hand.
"""

import pytest

from analysis.cli import main
from analysis.data import statbank
from analysis.data.warehouse import connect
from tests.statbank_replay import ReplayServer


def check_warehouse(path):
    con = connect(path)
    try:
        m = con.execute("SELECT * FROM municipalities").df().set_index(["municipality_code", "year"])
        acc = (
            con.execute("SELECT * FROM accounts")
            .df()
            .set_index(["municipality_code", "year", "function_code"])
        )
        bud = (
            con.execute("SELECT * FROM budgets")
            .df()
            .set_index(["municipality_code", "year", "function_code"])
        )
        act = con.execute("SELECT * FROM activity").df().set_index(["municipality_code", "year", "paragraph"])
        sources = statbank.feature_sources(con).set_index("feature")["source"]
        kinds = set(
            con.execute("SELECT DISTINCT options FROM _loads")
            .df()["options"]
            .str.extract(r'"table": "(\w+)"')[0]
        )
    finally:
        con.close()
    # FOLK1A 2024K1: København 647,800 (427,700 aged 18-64); ARE207: 86,4 km² -> 647,800 / 86.4 = 7,497.7 per km²
    assert m.loc[(101, 2024), ["population", "population_18_64"]].tolist() == [647_800, 427_700]
    assert m.loc[(101, 2024), "population_density"] == round(647_800 / 86.4, 1) == 7497.7
    assert m.loc[(706, 2024), "population_density"] == round(43_040 / 690.2, 1)
    # REGK31 and BUDK32 in 1.000 kr. -> kroner
    assert acc.loc[(706, 2024, "5.38.50"), "spending_dkk"] == 98_765_000
    assert acc.loc[(101, 2023, "5.38.52"), "spending_dkk"] == 402_114_000
    assert len(acc) == 11  # 3 municipalities x 2 functions x 2 years, Syddjurs 5.38.52 2024 is '..'
    assert bud.loc[(101, 2024, "5.38.50"), "budget_dkk"] == 1_201_000_000 and len(bud) == 3
    # HAND01: quarters averaged, provider unknown, the function's spending
    assert act.loc[(101, 2023, "§108"), "full_year_persons"] == 1006
    assert act.loc[(101, 2023, "§108"), "spending_dkk"] == 1_187_333_000
    assert act.loc[(706, 2024, "§108"), "full_year_persons"] == pytest.approx(409 / 3, abs=1e-4)
    assert set(act["provider"]) == {"unknown"}
    assert "ARE207" in sources["population_density"] and "FOLK1A" in sources["population"]
    assert "illustrative" in sources["socioeconomic_index"]
    assert kinds == {"ARE207", "FOLK1A", "REGK31", "BUDK32", "HAND01"}


def test_fetch_into_an_empty_warehouse_from_the_command_line(tmp_path, capsys, monkeypatch):
    w = tmp_path / "own.duckdb"
    server = ReplayServer()
    with server as url:
        monkeypatch.setenv(statbank.BASE_URL_ENV, url)
        assert main(["fetch", "statbank", "--years", "2023-2024", "--warehouse", str(w)]) == 0
    captured = capsys.readouterr()
    assert "8 responses downloaded, 0 from the cache (13 requests); 8 files loaded" in captured.out
    assert "note: FOLK1A has no 2023 in Statistikbanken (it has 2024K1-2025K1)" in captured.out
    assert "[1/8] FOLK1A 2024: downloaded" in captured.err and "[7/8] HAND01 2023: loaded" in captured.err
    check_warehouse(w)
    data = [r for r in server.log if r["endpoint"] == "data"]
    regk = next(r for r in data if r["table"] == "REGK31")
    asked = {v["code"]: v["values"] for v in regk["variables"]}
    assert asked["OMRÅDE"] == ["101", "706", "751"]  # municipalities only
    assert asked["FUNKTION"] == ["53850", "53852"] and asked["DRANST"] == ["1"]
    assert asked["ART"] == ["TOT"] and asked["PRISENHED"] == ["LOBM"] and asked["Tid"] == ["2023"]
    folk = next(r for r in data if r["table"] == "FOLK1A")
    assert {v["code"] for v in folk["variables"]} == {
        "OMRÅDE",
        "ALDER",
        "Tid",
    }  # sex and marital status at total
    hand = next(r for r in data if r["table"] == "HAND01")
    assert next(v["values"] for v in hand["variables"] if v["code"] == "Tid") == [
        f"2023K{q}" for q in range(1, 5)
    ]
    assert (tmp_path / "own.statbank-cache" / "REGK31_2023.csv").exists()
    # a second fetch downloads nothing and changes nothing
    with ReplayServer() as url:
        monkeypatch.setenv(statbank.BASE_URL_ENV, url)
        assert main(["fetch", "statbank", "--years", "2023-2024", "--warehouse", str(w)]) == 0
    assert "0 responses downloaded, 8 from the cache (0 requests)" in capsys.readouterr().out


def test_an_interrupted_fetch_continues_where_it_stopped(tmp_path):
    w, cache = tmp_path / "own.duckdb", tmp_path / "cache"
    broken = ReplayServer(fail=lambda n, endpoint, body: n > 8)  # 5 tableinfo, 3 data, then the line is down
    with broken as url:
        con = connect(w, read_only=False)
        try:
            with pytest.raises(
                statbank.StatbankError, match=r"HTTP 503 to data for table REGK31.*after 2 attempts"
            ):
                statbank.fetch(
                    con,
                    [2023, 2024],
                    cache=cache,
                    client=statbank.Client(url, retries=1, sleep=lambda s: None),
                )
        finally:
            con.close()
    assert sorted(p.name for p in cache.glob("*.csv")) == [
        "ARE207_2023.csv",
        "ARE207_2024.csv",
        "FOLK1A_2024.csv",
    ]
    assert not list(cache.glob("*.part"))
    healthy = ReplayServer()
    with healthy as url:
        con = connect(w, read_only=False)
        try:
            result = statbank.fetch(con, [2023, 2024], cache=cache, client=statbank.Client(url))
        finally:
            con.close()
    assert (result.cached, result.downloaded) == (3, 5)
    assert [r["endpoint"] for r in healthy.log] == [
        "data"
    ] * 5  # tableinfo and the first three from the cache
    check_warehouse(w)


def test_a_failed_request_is_retried_after_a_pause(tmp_path):
    waits = []
    flaky = ReplayServer(fail=lambda n, endpoint, body: n in (1, 2))
    with flaky as url:
        con = connect(tmp_path / "own.duckdb", read_only=False)
        try:
            statbank.fetch(
                con,
                [2024],
                cache=tmp_path / "c",
                client=statbank.Client(url, backoff=0.5, sleep=waits.append),
            )
        finally:
            con.close()
    assert waits == [0.5, 1.0]  # doubled before each further attempt
    assert [r["endpoint"] for r in flaky.log[:3]] == ["tableinfo"] * 3


def test_a_server_that_asks_for_a_pause_gets_it(tmp_path):
    waits = []
    busy = ReplayServer(fail=lambda n, endpoint, body: 429 if n == 1 else None)
    with busy as url:
        client = statbank.Client(url, backoff=0.5, sleep=waits.append)
        assert client.tableinfo("REGK31")["id"] == "REGK31"
    assert waits == [7.0] and client.requests == 2  # Retry-After: 7 rather than the 0,5 s back-off


def test_no_internet_is_refused_clearly_and_leaves_no_warehouse(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    w = tmp_path / "own.duckdb"
    args = [
        "fetch",
        "statbank",
        "--years",
        "2024",
        "--warehouse",
        str(w),
        "--base-url",
        "http://127.0.0.1:9/v1",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(
        "analysis: error: could not reach Statistics Denmark's API at http://127.0.0.1:9/v1/tableinfo"
    )
    assert "is the machine connected to the internet?" in err and "after 4 attempts" in err
    assert not w.exists()


def test_years_are_checked():
    assert statbank.parse_years("2018-2025") == list(range(2018, 2026))
    with pytest.raises(
        ValueError, match="--years: expected years such as 2018-2025 or 2024, found '2025-2018'"
    ):
        statbank.parse_years("2025-2018")


@pytest.mark.parametrize(
    ("text", "code", "kept"),
    [
        ("5.38.50 Botilbud til længerevarende ophold", "53850", True),
        ("5.28.23 Døgninstitutioner for børn og unge", "52823", True),  # the family area (issue 16)
        ("5.38 Tilbud til voksne med særlige behov", "538", True),
        ("5.28 Tilbud til børn og unge med særlige behov", "528", True),
        ("5.22.07 Indtægter fra den centrale refusionsordning", "52207", False),
        ("5.385 Ikke en funktion", "5385", False),
    ],
)
def test_the_accounts_are_fetched_for_the_functions_of_5_38_and_5_28(text, code, kept):
    from analysis.data.statbank.fetching import _of_main_functions

    assert _of_main_functions({"text": text, "id": code}) is kept
