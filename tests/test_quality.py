"""The data-quality checks: every deliberately injected fault is found with the right count, and the report renders."""

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from analysis.data import case_extract, ledger, quality, queries, statbank
from analysis.data.warehouse import connect, read_meta
from analysis.privacy import find_cpr
from tests import faults

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "statbank"


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, sample_path):
    """A copy of the session's sample with the known faults of :func:`tests.faults.inject_faults` (municipality 706)."""
    folder = tmp_path_factory.mktemp("faults")
    path = folder / "faults.duckdb"
    expected = faults.inject_faults(path, sample_path=sample_path, workdir=folder)
    return path, expected, folder


def test_every_injected_fault_is_found_with_its_count(faulty):
    path, expected, _ = faulty
    con = connect(path)
    try:
        found = quality.findings(con, 706, (2018, 2025))
        assert read_meta(con)["kind"] == "sample with injected faults"
    finally:
        con.close()
    counts = {(r.check, r.kind): r.count for r in found.itertuples() if r.count}
    assert counts == expected
    # every check but incomplete_quarters, which applies only to activity loaded from a HAND table
    assert set(found.check) == set(quality.CHECKS) - {"incomplete_quarters"}
    zero = found[(found.check == "retired_function") & (found.kind == "cases")]
    assert zero["count"].tolist() == [0]
    examples = " ".join(e for ex in found.examples for e in ex)
    assert "5.38.59: jun. 2024, jul. 2024" in examples
    assert "5.38.40 i 2024" in examples
    # examples name cases by number and file row, never a person: no pseudonym (changed with issue 10, which
    # took the pseudonyms out of the examples), no CPR number
    assert re.search(r"sag 706-\d{6} \(række \d+\): start", examples)
    assert not re.search(r"P-[0-9a-f]{4}-", examples)
    assert "sag 706-900003: start 01.03.2031 (Planlagt botilbud)" in examples
    assert "sag 706-900004: 5.000,00 kr. pr. måned (Ledsagelse)" in examples
    path, _, folder = faulty
    extract = pd.read_csv(folder / "sager-706-med-fejl.csv", sep=";", dtype=str, encoding="utf-8-sig")
    row = int(extract.index[extract["Sagsnr."] == "706-900002"][0]) + 2  # the header is row 1
    in_text = found[found.check == "cpr_in_text"].iloc[0]
    assert in_text.examples == [f"række {row}, kolonne Paragraf", f"række {row}, kolonne Ydelse"]
    assert find_cpr(examples) == []


def _overlaps_brute_force(con, municipality_code):
    """Cases with an earlier case (start, then case number) of the same person and measure that ends on or after
    their start (a running case never ends): the definition of quality.overlapping_cases, pair by pair in SQL."""
    return con.execute(
        """SELECT count(*) FROM cases a WHERE municipality_code = ? AND EXISTS (
               SELECT 1 FROM cases b WHERE b.municipality_code = a.municipality_code AND b.person_id = a.person_id
               AND b.measure = a.measure AND (b.start_date < a.start_date
                   OR (b.start_date = a.start_date AND b.case_id < a.case_id))
               AND coalesce(b.end_date, DATE '9999-12-31') >= a.start_date)""",
        [municipality_code],
    ).fetchone()[0]


def test_the_sample_itself_has_no_findings_and_says_what_was_not_checked(con):
    found = quality.findings(con, 165, (2018, 2025))
    warehouse_checks = found[found.kind == "warehouse"].set_index("check")["count"].to_dict()
    # since sample version 6 a person never has two cases of one measure at the same time (issue 14); the
    # brute-force count (every pair of cases) agrees
    overlaps = _overlaps_brute_force(con, 165)
    assert overlaps == 0
    assert warehouse_checks == {
        "missing_months": 0,
        "overlapping_cases": overlaps,
        "future_start": 0,
        "cost_without_registration": 0,
        "spending_without_activity": 0,
    }
    unchecked = found[found["count"].isna()]
    assert len(unchecked) == 9 and set(unchecked.kind) == {"ledger", "cases", "ledger/cases"}
    s = quality.summary(found)
    assert s == {
        "checks": 14,
        "checked": 5,
        "with_findings": 0,
        "total": 0,
        "missing": ["en bogføringsfil", "et sagsudtræk"],
        "not_checked": 9,
    }
    assert quality.loaded_files(con, 165).empty
    # a municipality without cases: the case checks on the warehouse say so instead of counting 0
    none = quality.findings(con, 101, (2018, 2025)).set_index("check")
    assert none.loc["overlapping_cases", "note"] == "ingen sager i lageret for kommunen"
    assert pd.isna(none.loc["future_start", "count"])


def test_other_municipalities_of_the_faulty_copy_are_clean(faulty, con):
    path, _, _ = faulty
    faulty_con = connect(path)
    try:
        found = quality.findings(faulty_con, 190, (2018, 2025))
    finally:
        faulty_con.close()
    # nothing: the untouched sample has no overlapping cases (sample version 6), the brute-force count agrees
    counts = found.set_index("check")["count"].fillna(0)
    assert counts.drop("overlapping_cases").sum() == 0
    assert counts["overlapping_cases"] == _overlaps_brute_force(con, 190) == 0


def test_every_reason_for_skipping_rows_has_danish(tmp_path, own_con):
    results = [
        statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A"),
        statbank.load(own_con, DATA / "regk31_labels.csv", "REGK31"),
        statbank.load(own_con, DATA / "hand_recipients.csv", "HAND01", provider="internal"),
        ledger.load(
            own_con,
            ROOT / "docs/examples/ledger-example.csv",
            ROOT / "parameters/mappings/ledger.yaml",
            municipality_code=706,
        ),
    ]
    bad = tmp_path / "sager.csv"
    bad.write_text(
        "CPR-nr.;Sagsnr.;Forvaltning;Ydelse;Paragraf;Funktion;Leverandør;Startdato;Slutdato;Månedlig udgift;"
        "CPR-registreret\n"
        ";1;Voksne;Botilbud;;;Intern;01-01-2024;;;Nej\n"
        "300285-1201;2;Voksne;Botilbud;;;Intern;01-01-2024;31-12-2023;;Nej\n"
        "300285-1201;3;Voksne;Botilbud;;;Intern;01-01-2024;;;Nej\n",  # a file of which no row loads is refused
        encoding="utf-8",
    )
    results.append(
        case_extract.load(own_con, bad, ROOT / "parameters/mappings/cases.yaml", municipality_code=706)
    )
    reasons = {reason for r in results for reason in r.skipped}
    assert len(reasons) >= 9
    assert all(quality.reason_da(reason) != reason for reason in reasons), [
        r for r in reasons if quality.reason_da(r) == r
    ]


@pytest.mark.slow
def test_the_report_renders_with_the_findings(faulty, tmp_path):
    from analysis.reporting.batch import load_batch
    from analysis.reporting.formatting import fmt_number
    from analysis.reporting.runner import run_batch

    path, expected, _ = faulty
    batch_file = tmp_path / "batch.yaml"
    batch_file.write_text(
        yaml.safe_dump(
            {
                "name": "dq",
                "municipalities": [706],
                "function_areas": "all",
                "notebooks": ["data_quality"],
                "formats": ["html"],
            }
        ),
        encoding="utf-8",
    )
    batch = load_batch(batch_file, defaults=tmp_path / "none.yaml", notebooks_dir=ROOT / "notebooks")
    summary = run_batch(
        batch,
        batch_file=batch_file,
        reports_dir=tmp_path / "reports",
        progress=False,
        warehouse=path,
        warm_kernels=False,
    )
    (r,) = summary.reports
    assert r.status == "ok", r.error
    assert r.function_code == "" and r.files["html"].endswith("706-syddjurs.html")
    html = (summary.folder / r.files["html"]).read_text("utf-8")
    # the file checks' faults, 7 function-years where the ledger differs from the accounts (see
    # test_the_ledger_is_reconciled_with_the_accounts) and the breaks in Syddjurs' series that the sample holds
    # (series_breaks is checked on hand-made data in test_breaks_in_series; here only the sum is at stake)
    con = connect(path)
    try:
        breaks = quality.series_breaks_finding(
            quality.series_breaks(queries.activity(con, municipality_codes=[706], years=(2018, 2025)))
        ).count
    finally:
        con.close()
    assert breaks > 0
    total = sum(expected.values()) + 7 + breaks
    assert f"Syddjurs Kommune: 16 af 16 kontroller gennemført, {fmt_number(total)} fund</h2>" in html
    for text in (
        "Sager uden CPR-nummer",
        "3 sager",
        "2 måneder",
        "1 funktion og år",
        "Metode og data",
        "bogfoering-706-med-fejl.csv",
        "uden CPR-nummer: 3",
        # 5.38 as before (534 postings into 265 months) plus the 5 areas of 5.28 (sample version 7) over the
        # file's 24 months without faults, two postings a month each: 534 + 5 x 24 x 2 = 774, 265 + 5 x 24 = 385
        "774 posteringer lagt sammen til 385 månedsbeløb (én række pr. funktion og måned).",
        # the sample's 6.404 cases of 706 (SELECT count(*) FROM cases WHERE municipality_code = 706, sample
        # version 6) plus the five new ones, less the five skipped
        "5 sprunget over (uden CPR-nummer: 3; slutter før start: 2); de øvrige 6.404 indlæst som 6.404 sager.",
        "2018-2025; seneste bogførte måned: december 2025",
        "Bogføring mod regnskab",
        "Brud i serierne",
        "CPR-numre i fritekst",
        "2 felter",
        "Overlappende sager om samme ydelse",
        "sag 706-900003: start 01.03.2031 (Planlagt botilbud)",
    ):
        assert text in html, text
    assert find_cpr(re.sub(r"<[^>]+>", " ", html)) == []
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S))
    for text in ("Use your own data", "analysis load", "Notebook", "`"):
        assert text not in visible, text
    assert 'lang="da"' in html and html.count("<h1") == 1  # the title block's; the notebook has no H1
    nb = nbformat.read(summary.folder / r.files["ipynb"], as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


def test_the_ledger_is_reconciled_with_the_accounts(faulty):
    path, _, _ = faulty
    con = connect(path)
    try:
        found = quality.report_findings(con, 706, (2018, 2025))
    finally:
        con.close()
    row = found[found.check == "ledger_vs_accounts"].iloc[0]
    # the faulty export replaced 2024-2025: two missing months (5.38.59, 2024), the postings on the wrong account
    # and the reversals (5.38.50 and 5.38.52 in 2024; 5.38.45 and 5.38.58 in 2025) and two duplicated postings
    # (the first posting, 5.38.38 January 2024, and one in 5.38.50 2025); 5.38.99 and 5.32.32 are not analysed
    assert row["count"] == 7 and row.kind == "warehouse"
    differing = sorted(
        e.split(":")[0]
        for e in quality.reconciliation_finding(
            quality.reconcile_ledger(*_ledger_and_accounts(path)), examples=10
        ).examples
    )
    assert differing == sorted(
        [
            "5.38.38 i 2024",
            "5.38.45 i 2025",
            "5.38.50 i 2024",
            "5.38.50 i 2025",
            "5.38.52 i 2024",
            "5.38.58 i 2025",
            "5.38.59 i 2024",
        ]
    )
    assert (
        "5.38.58 i 2025: bogført 4,8 mio. kr., regnskab 4,8 mio. kr. (forskel -2.250 kr.; 12 måneder bogført)"
        in (
            quality.reconciliation_finding(
                quality.reconcile_ledger(*_ledger_and_accounts(path)), examples=10
            ).examples
        )
    )
    assert (found.check == "series_breaks").sum() == 1


def _ledger_and_accounts(path):
    con = connect(path)
    try:
        where = (
            "WHERE municipality_code = 706 AND function_code IN (SELECT function_code FROM function_areas)"
        )
        led = con.execute(f"SELECT function_code, year, month, spending_dkk FROM ledger {where}").df()
        acc = con.execute(f"SELECT function_code, year, spending_dkk FROM accounts {where}").df()
    finally:
        con.close()
    return led, acc


def test_reconcile_ledger_by_hand():
    led = pd.DataFrame(
        {
            "function_code": ["5.38.50"] * 3 + ["5.38.52"] * 2,
            "year": [2024, 2024, 2025, 2024, 2024],
            "month": [1, 2, 1, 1, 2],
            "spending_dkk": [400.0, 600.0, 70.0, 5_000.0, 2_000.0],
        }
    )
    acc = pd.DataFrame(
        {
            "function_code": ["5.38.50", "5.38.50", "5.38.52", "5.38.59"],
            "year": [2024, 2025, 2024, 2024],
            "spending_dkk": [2_000.0, 5_000.0, 7_000.0, 9.0],
        }
    )
    r = quality.reconcile_ledger(led, acc, closed_years=[2024])
    assert r[["function_code", "year", "status"]].values.tolist() == [
        ["5.38.50", 2024, "equal"],  # 1.000 kr. off: within the rounding of Statistics Denmark's 1.000 kr.
        ["5.38.50", 2025, "open"],
        ["5.38.52", 2024, "equal"],
        ["5.38.59", 2024, "no_ledger"],
    ]
    assert r["difference_dkk"].tolist()[:1] == [-1_000.0] and r["months"].tolist() == [2, 1, 2, 0]
    strict = quality.reconcile_ledger(led, acc, closed_years=[2024], tolerance_dkk=999)
    assert strict["status"].tolist()[0] == "differs"
    f = quality.reconciliation_finding(strict, ["2025 til og med januar"])
    assert f.count == 1 and f.examples == [
        "5.38.50 i 2024: bogført 1.000 kr., regnskab 2.000 kr. (forskel -1.000 kr.; 2 måneder bogført)"
    ]
    assert f.note == (
        "afstemt: 2 funktioner i 2024; ikke afstemt, fordi året ikke er afsluttet: 2025 til og med januar"
    )
    assert quality.reconciliation_finding(r.iloc[:0]).count is None


def test_breaks_in_series_by_hand():
    # København 5.38.50 in the sample: 1.128,6 full-year persons in 2018, 974,2 in 2019 (-14 %)
    act = pd.DataFrame(
        {
            "function_code": ["5.38.50"] * 4 + ["5.38.52"] * 2,
            "year": [2018, 2019, 2019, 2020, 2018, 2020],
            "paragraph": ["§108", "§108", "§107", "§108", "§107", "§107"],
            "full_year_persons": [1128.6, 900.0, 74.2, 980.0, 10.0, 20.0],
            "spending_dkk": [1_128.6e6, 900e6, 74.2e6, 1_254.4e6, 1e6, 9e6],
        }
    )
    b = quality.series_breaks(act)
    # 5.38.52 has no 2019: no year-on-year comparison across the gap
    assert b[["function_code", "year"]].values.tolist() == [["5.38.50", 2019], ["5.38.50", 2020]]
    assert b["persons"].tolist() == pytest.approx([974.2, 980.0])
    assert b["persons_change"].iloc[0] == pytest.approx(974.2 / 1128.6 - 1)  # -13,7 %
    assert b["price_change"].iloc[1] == pytest.approx(1.28 - 1)  # 1,0 -> 1,28 mio. kr. per person
    assert b["is_break"].tolist() == [True, True]
    f = quality.series_breaks_finding(b)
    assert f.count == 2 and f.examples == [
        "5.38.50 i 2020: +28 % i pris (1.000 til 1.280 t.kr.)",
        "5.38.50 i 2019: -14 % helårspersoner (1.128,6 til 974,2)",
    ]
    assert not quality.series_breaks(act, threshold=0.3)["is_break"].any()


def test_the_headline_counts_checks_run_and_not_run(con):
    from analysis.reporting.formatting import fmt_number

    found = quality.report_findings(con, 165, (2018, 2025))
    files = quality.loaded_files(con, 165)
    head = quality.headline(found, files, "sample", "2018-2025; seneste bogførte måned: december 2025", [])
    s = quality.summary(found)
    # the seven checks on the warehouse ran; the nine checks of loaded files could not
    assert (s["checks"], s["checked"], s["not_checked"]) == (16, 7, 9)
    breaks = int(found.loc[found.check == "series_breaks", "count"].iloc[0])
    overlaps = int(found.loc[found.check == "overlapping_cases", "count"].iloc[0])
    # the sample's only findings are its series breaks: no overlapping cases since sample version 6
    assert breaks > 0 and overlaps == 0 and s["total"] == breaks
    total = fmt_number(breaks)
    assert head["title"] == f"7 af 16 kontroller gennemført, {total} fund; 9 kunne ikke gennemføres"
    items = dict(head["items"])
    assert items["Kontroller"] == "7 af 16 gennemført, 9 kunne ikke gennemføres."
    assert items["Fund"] == f"{total} i alt i 1 kontrol; 6 kontroller uden fund."
    assert items["Ikke gennemført"].startswith(
        "9 kontroller, fordi der ikke er indlæst en bogføringsfil eller et sagsudtræk for kommunen (ukendte "
        "funktionskoder, udgåede funktionskoder, postering på forkert kontotype"
    )
    assert "sager uden CPR-nummer" in items["Ikke gennemført"]
    assert items["Eksempeldata"] == "tallene er syntetiske og ikke kommunens regnskab."
    assert items["Indlæste filer"] == "ingen bogføringsfil, sagsudtræk eller deltagerliste for kommunen."
    provisional = quality.headline(found, period="2018-2025 (2025 til og med september)", provisional=[2025])
    assert dict(provisional["items"])["Dataperiode"] == (
        "2018-2025 (2025 til og med september). Regnskabet for 2025 i lageret er ikke endeligt: bogføringen har "
        "ikke lukket året."
    )


def test_the_headline_without_findings():
    found = pd.DataFrame(
        {
            "check": ["a", "b"],
            "title": ["A", "B"],
            "kind": ["warehouse", "warehouse"],
            "source": ["lageret", "lageret"],
            "count": pd.array([0, 0], dtype="Int64"),
            "unit": ["måneder", "måneder"],
            "examples": [[], []],
            "note": ["", ""],
        }
    )
    head = quality.headline(found)
    assert head["title"] == "2 af 2 kontroller gennemført, ingen fund"
    assert dict(head["items"])["Fund"] == "ingen i de 2 kontroller, der blev gennemført."


def test_row_counts_are_explained():
    assert quality.explain_rows("ledger", 534, 265, {}) == (
        "534 posteringer lagt sammen til 265 månedsbeløb (én række pr. funktion og måned)."
    )
    assert quality.explain_rows("ledger", 10, 3, {"dranst 2 og 3": 2}) == (
        "2 sprunget over (dranst 2 og 3: 2); de øvrige 8 lagt sammen til 3 månedsbeløb (én række pr. funktion og "
        "måned)."
    )
    assert quality.explain_rows("cases", 12, 9, {"uden CPR-nummer": 2}) == (
        "2 sprunget over (uden CPR-nummer: 2); de øvrige 10 gav 9 sager; forskellen på 1 er ikke forklaret."
    )
    assert quality.explain_rows("statbank", 1200, 300, {"hele landet og regioner": 200}, "accounts") == (
        "200 sprunget over (hele landet og regioner: 200); de øvrige 1.000 samlet til 300 rækker i tabellen accounts."
    )
    assert quality.explain_rows("statbank", 98, 98, {}, "municipalities") == (
        "98 rækker indlæst én til én i tabellen municipalities."
    )


def test_the_files_table_explains_every_load(own_con):
    ledger.load(
        own_con,
        ROOT / "docs/examples/ledger-example.csv",
        ROOT / "parameters/mappings/ledger.yaml",
        municipality_code=706,
    )
    statbank.load(own_con, DATA / "folk1a.csv", "FOLK1A")
    files = quality.loaded_files(own_con, 706)
    table = quality.files_table(files)
    assert list(table.columns) == [
        "Fil",
        "Type",
        "Indlæst",
        "Rækker i filen",
        "Rækker i lageret",
        "Forklaring",
    ]
    led = table[table.Type == "Bogføring"].iloc[0]
    assert led["Forklaring"].endswith(
        f"lagt sammen til {led['Rækker i lageret']} månedsbeløb (én række pr. funktion og måned)."
    )
    assert "ikke forklaret" not in " ".join(table["Forklaring"])
    assert quality.files_intro(files).startswith("De seneste indlæsninger")
    assert "dokumentationen" in quality.files_intro(files.iloc[:0])


def test_a_programme_member_list_is_among_the_loaded_files(own_con):
    from analysis.data import member_extract

    ledger.load(
        own_con,
        ROOT / "docs/examples/ledger-example.csv",
        ROOT / "parameters/mappings/ledger.yaml",
        municipality_code=706,
    )
    member_extract.load(
        own_con,
        ROOT / "docs/examples/members-example.csv",
        ROOT / "parameters/mappings/members.yaml",
        municipality_code=706,
    )
    files = quality.loaded_files(own_con, 706)
    assert files["kind"].tolist() == ["members", "ledger"]  # newest first
    day = {k: f"{d:%d.%m.%Y}" for k, d in zip(files["kind"], files["loaded_at"], strict=True)}
    head = quality.headline(quality.report_findings(own_con, 706, (2018, 2025)), files, "own data")
    # the member list used to be left out of the headline's files, as if only the ledger were loaded
    assert dict(head["items"])["Indlæste filer"] == (
        f"deltagerliste members-example.csv ({day['members']}); bogføringsfil ledger-example.csv ({day['ledger']})."
    )
    members = quality.files_table(files).iloc[0]
    # the example's four memberships, each a row of programme_members
    assert (members["Fil"], members["Type"], members["Rækker i filen"], members["Rækker i lageret"]) == (
        "members-example.csv",
        "Deltagerliste",
        4,
        4,
    )
    assert members["Forklaring"] == "4 rækker indlæst én til én i tabellen programme_members."
    # a municipality without any of its own files says so, naming the member list too
    assert (
        dict(quality.headline(quality.report_findings(own_con, 751, (2018, 2025)), files.iloc[:0])["items"])[
            "Indlæste filer"
        ]
        == "ingen bogføringsfil, sagsudtræk eller deltagerliste for kommunen."
    )


def test_the_headline_of_an_empty_warehouse_says_why_each_check_could_not_run(own_con):
    from analysis.data import loads

    loads.ensure_tables(own_con)
    head = quality.headline(quality.report_findings(own_con, 706, (2018, 2025)))
    assert head["title"] == "0 af 16 kontroller gennemført, ingen fund; 16 kunne ikke gennemføres"
    text = dict(head["items"])["Ikke gennemført"]
    assert text.startswith("9 kontroller, fordi der ikke er indlæst en bogføringsfil eller et sagsudtræk")
    assert "sager, der slutter før de starter, CPR-numre med umulig dato, CPR-numre i fritekst); " in text
    assert "; 7 kontroller på lageret mangler data (Manglende måneder: ingen bogføring i lageret" in text
    assert "Brud i serierne: ingen aktivitetsdata over to år i træk)." in text
