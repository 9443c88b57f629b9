"""Reports from Statistikbanken data alone: requirements checked first, and the overview and the benchmark degrade.

Hand-made frames: accounts and population only (REGK31 + FOLK1A), HAND01-like activity (provider 'unknown'), a
year without population, an open last year.
"""

import duckdb
import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis import benchmark, period
from analysis.data import queries
from analysis.data.price_index import PriceIndex
from analysis.reporting import benchmark_charts as charts
from analysis.reporting import benchmark_page as text
from analysis.reporting import overview_page as ov
from analysis.reporting.requirements import Requirement, check_requirements, requirements_of, table_summary
from tests.test_benchmark import MIO, MUNICIPALITIES, activity_row

matplotlib.use("Agg")

NAMES = {101: "A Kommune", 147: "Bs Kommune", 151: "C Kommune", 153: "D Kommune", 155: "E Kommune"}
AREA = {"name": "Botilbud til længerevarende ophold", "paragraphs": "§ 108"}
FLAT = PriceIndex(
    name="Pris- og lønindeks", source="test", index=pd.Series({2023: 100.0, 2024: 100.0}), path=None
)

# Population aged 18-64 in 2024: 1,000 everywhere but 151 (2,000); 101 has none in 2023 (FOLK1A lacks the year).
MUNIS = MUNICIPALITIES.copy()
MUNIS.loc[(MUNIS["municipality_code"] == 151) & (MUNIS["year"] == 2024), "population_18_64"] = 2_000
MUNIS.loc[(MUNIS["municipality_code"] == 101) & (MUNIS["year"] == 2023), "population_18_64"] = np.nan

# 2024 accounts: 101 3.0 mio (3,000 kr. per resident), 147 2.0 mio (2,000), 151 2.4 mio (1,200), 153 1 mio, 155 1 mio
#   peers 147 + 151: weighted 4.4 mio / 3,000 = 1,466.67 kr.; unweighted (2,000 + 1,200) / 2 = 1,600 kr.
#   expected 1,466.67 x 1,000 = 1,466,667 kr.; gap 3,000,000 - 1,466,667 = 1,533,333 kr.; 3,000 / 1,466.67 - 1 = 104.5 %
ACCOUNTS = pd.DataFrame(
    [
        (101, 2023, "5.38.50", 2.5 * MIO),
        (101, 2024, "5.38.50", 3.0 * MIO),
        (147, 2024, "5.38.50", 2.0 * MIO),
        (151, 2024, "5.38.50", 2.4 * MIO),
        (153, 2024, "5.38.50", 1.0 * MIO),
        (155, 2024, "5.38.50", 1.0 * MIO),
    ],
    columns=["municipality_code", "year", "function_code", "spending_dkk"],
)
NO_ACTIVITY = pd.DataFrame(
    columns=[
        "municipality_code",
        "year",
        "function_code",
        "paragraph",
        "provider",
        "full_year_persons",
        "spending_dkk",
    ]
)
# HAND01: the function's accounts on its paragraph, provider unknown
HAND = pd.DataFrame(
    [
        activity_row(101, 2024, "§108", "unknown", 5, 3.0 * MIO),
        activity_row(147, 2024, "§108", "unknown", 2, 2.0 * MIO),
        activity_row(151, 2024, "§108", "unknown", 4, 2.4 * MIO),
    ]
)
SOURCES = pd.DataFrame(
    {
        "feature": ["population", "population_density", "socioeconomic_index"],
        "source": [
            "Danmarks Statistik, FOLK1A (befolkningen 1. januar)",
            "Danmarks Statistik, FOLK1A (befolkningen 1. januar); Danmarks Statistik, ARE207 (areal)",
            "værktøjets illustrative referenceliste (ikke et officielt indeks)",
        ],
    }
)


def spending(**options):
    options = {"peer_method": "list", "peer_codes": [147, 151], **options}
    return benchmark.spending_report(ACCOUNTS, MUNIS, 101, "5.38.50", 2023, 2024, **options)


# Requirements ----------------------------------------------------------------------------------------------------


def test_both_notebooks_declare_their_tables():
    assert [r.what for r in requirements_of("benchmark")] == ["regnskab (REGK31)", "befolkningstal (FOLK1A)"]
    assert [r.what for r in requirements_of("overview.ipynb")] == [
        "regnskab (REGK31)"
    ]  # degrades without FOLK1A
    assert requirements_of("benchmark")[0].tables == ("accounts", "activity")
    # the population of the report's own resident group (population_18_64 or population_0_17), not one column
    assert requirements_of("benchmark")[1].columns == ("municipality_code", "year", "residents")


LOAD_FOLK1A = (
    "indlæs befolkningen med alle aldre: analysis fetch statbank eller analysis load statbank FIL --table FOLK1A "
    "med ALDER=*"
)


def _warehouse(accounts=None, municipalities=None, activity=None):
    con = duckdb.connect()
    for name, frame in (("accounts", accounts), ("municipalities", municipalities), ("activity", activity)):
        if frame is not None:
            con.register("_f", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _f")
            con.unregister("_f")
    return con


def test_an_empty_warehouse_names_each_missing_table_and_its_command():
    problems = check_requirements(duckdb.connect(), "benchmark", 706, "5.38.50")
    assert problems == [
        "regnskab (REGK31) mangler for kommune 706 og funktion 5.38.50: analysis fetch statbank eller "
        "analysis load statbank FIL --table REGK31",
        "befolkningstal (FOLK1A) for 18-64-årige (population_18_64) mangler for kommune 706: funktion 5.38.50 "
        "måles pr. 18-64-årig; indlæs befolkningen med alle aldre: analysis fetch statbank eller analysis load "
        "statbank FIL --table FOLK1A med ALDER=*",
    ]


def test_accounts_without_population_refuse_the_benchmark_but_not_the_overview():
    con = _warehouse(accounts=ACCOUNTS)
    assert check_requirements(con, "benchmark", 101, "5.38.50") == [
        "befolkningstal (FOLK1A) for 18-64-årige (population_18_64) mangler for kommune 101: funktion 5.38.50 "
        f"måles pr. 18-64-årig; {LOAD_FOLK1A}"
    ]
    assert check_requirements(con, "overview", 101, "5.38.50") == []


def test_rows_must_be_for_the_municipality_and_the_function():
    con = _warehouse(accounts=ACCOUNTS, municipalities=MUNIS)
    assert check_requirements(con, "benchmark", 101, "5.38.50") == []
    assert check_requirements(con, "benchmark", 101, "5.38.52")[0].startswith(
        "regnskab (REGK31) mangler for kommune 101 og funktion 5.38.52"
    )
    # a population column of NULLs does not count as loaded
    missing_population = MUNIS.assign(population_18_64=np.nan)
    con = _warehouse(accounts=ACCOUNTS, municipalities=missing_population)
    assert [p.split(" mangler")[0] for p in check_requirements(con, "benchmark", 101, "5.38.50")] == [
        "befolkningstal (FOLK1A) for 18-64-årige (population_18_64)"
    ]


def test_activity_alone_meets_the_spending_requirement_and_a_summary_serves_many_jobs():
    con = _warehouse(municipalities=MUNIS, activity=HAND)
    summary = table_summary(con, requirements_of("benchmark"))
    assert check_requirements(summary, "benchmark", 147, "5.38.50") == []
    assert len(check_requirements(summary, "benchmark", 153, "5.38.50")) == 1  # 153 has no activity
    # a summary of other requirements cannot answer for the population: said, not guessed
    other = table_summary(
        con, [Requirement("kommuner", ("municipalities",), ("municipality_code",), "fetch")]
    )
    with pytest.raises(ValueError, match="summary lacks the column"):
        check_requirements(other, "benchmark", 147, "5.38.50")


# 5.28 in 2024: accounts for 101 and 147; FOLK1A's ages 0-17 for 101 only (300 residents), none for 147
KIDS_ACCOUNTS = pd.DataFrame(
    [(101, 2024, "5.28.22", 1.0 * MIO), (147, 2024, "5.28.22", 0.5 * MIO)],
    columns=["municipality_code", "year", "function_code", "spending_dkk"],
)
KIDS_MUNIS = MUNIS.assign(
    population_0_17=np.where((MUNIS["municipality_code"] == 101) & (MUNIS["year"] == 2024), 300.0, np.nan)
)
NO_KIDS_101 = (
    "befolkningstal (FOLK1A) for 0-17-årige (population_0_17) mangler for kommune 101: funktion 5.28.22 måles pr. "
    "0-17-årig; indlæs befolkningen med alle aldre: analysis fetch statbank eller analysis load statbank FIL "
    "--table FOLK1A med ALDER=*"
)


def test_a_5_28_report_needs_the_residents_aged_0_17_and_a_5_38_report_does_not():
    accounts = pd.concat([ACCOUNTS, KIDS_ACCOUNTS], ignore_index=True)
    # FOLK1A loaded before population_0_17 was added: no such column; then the column without a number
    for munis in (MUNIS, MUNIS.assign(population_0_17=np.nan)):
        con = _warehouse(accounts=accounts, municipalities=munis)
        assert check_requirements(con, "benchmark", 101, "5.28.22") == [NO_KIDS_101]
        assert check_requirements(con, "benchmark", 101, "5.38.50") == []
    # loaded for 101: its 5.28 report may be made, not 147's; no adults are needed for 5.28
    con = _warehouse(accounts=accounts, municipalities=KIDS_MUNIS.assign(population_18_64=np.nan))
    assert check_requirements(con, "benchmark", 101, "5.28.22") == []
    assert check_requirements(con, "benchmark", 147, "5.28.22") == [
        NO_KIDS_101.replace("kommune 101", "kommune 147")
    ]
    assert check_requirements(con, "benchmark", 101, "5.38.50")[0].startswith(
        "befolkningstal (FOLK1A) for 18-64-årige (population_18_64) mangler for kommune 101: funktion 5.38.50 "
    )


def test_one_summary_serves_reports_of_both_resident_groups():
    from analysis.errors import DataError
    from analysis.reporting.batch import Job
    from analysis.reporting.requirements import check_jobs, require_jobs

    accounts = pd.concat([ACCOUNTS, KIDS_ACCOUNTS], ignore_index=True)
    con = _warehouse(accounts=accounts, municipalities=MUNIS.assign(population_0_17=np.nan))
    jobs = [
        Job("benchmark", 101, "5.38.50"),
        Job("benchmark", 101, "5.28.22"),
        Job("overview", 101, "5.28.22"),
    ]
    # the 5.28 report's population_0_17 does not become a need of the 5.38 report of the same batch
    assert check_jobs(con, jobs) == [f"benchmark 101 5.28.22: {NO_KIDS_101}"]
    with pytest.raises(
        DataError, match=r"1 report\(s\) need; load it first: benchmark 101 5.28.22: .*population_0_17"
    ):
        require_jobs(con, jobs)
    require_jobs(_warehouse(accounts=accounts, municipalities=KIDS_MUNIS), jobs)  # nothing missing: no error
    summary = table_summary(con, requirements_of("benchmark"))
    assert check_requirements(summary, "benchmark", 101, "5.38.50") == []
    assert check_requirements(summary, "benchmark", 101, "5.28.22") == [NO_KIDS_101]


def test_a_notebook_about_a_main_function_asks_for_its_group(tmp_path):
    import nbformat

    from analysis.reporting.batch import Job
    from analysis.reporting.requirements import check_jobs

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('municipality_code: int = 101\nmain_function: str = "5.28"\n')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["language_info"] = {"name": "python"}
    population = {
        "what": "befolkningstal (FOLK1A)",
        "tables": ["municipalities"],
        "columns": ["municipality_code", "year", "residents"],
        "load": LOAD_FOLK1A,
    }
    nb.metadata["analysis"] = {"requires": [population]}
    nbformat.write(nb, tmp_path / "area_like.ipynb")
    con = _warehouse(municipalities=KIDS_MUNIS)
    jobs = [
        Job("area_like", 101, ""),  # the notebook's default, 5.28: 101 has its 0-17-year-olds
        Job("area_like", 147, ""),  # ... 147 has not
        Job("area_like", 147, "", {"main_function": "5.38"}),  # the batch's 5.38: 147 has its 18-64-year-olds
    ]
    assert check_jobs(con, jobs, tmp_path) == [
        "area_like 147: befolkningstal (FOLK1A) for 0-17-årige (population_0_17) mangler for kommune 147: "
        "funktion 5.28 måles pr. 0-17-årig; indlæs befolkningen med alle aldre: analysis fetch statbank eller "
        "analysis load statbank FIL --table FOLK1A med ALDER=*"
    ]


# The benchmark from accounts and population ------------------------------------------------------------------------


def test_spending_report_hand_computed():
    rep = spending()
    r = rep.latest
    assert rep.years == (2024,)  # 2023 has no population for 101
    assert r["own_per_resident_dkk"] == pytest.approx(3_000)
    assert r["peer_per_resident_dkk"] == pytest.approx(4.4 * MIO / 3_000)
    assert r["peer_per_resident_unweighted_dkk"] == pytest.approx(1_600)
    assert r["expected_spending_dkk"] == pytest.approx(4.4 * MIO / 3)
    assert r["gap_dkk"] == pytest.approx(3.0 * MIO - 4.4 * MIO / 3)
    assert r["difference"] == pytest.approx(3_000 / (4.4 * MIO / 3_000) - 1)
    assert r["direction"] == "above" and r["potential_dkk"] == pytest.approx(r["gap_dkk"])
    table = rep.peer_table.set_index("municipality_code")
    assert table.loc[151, "spending_per_resident_dkk"] == pytest.approx(1_200)
    assert list(table["role"]) == ["own", "peer", "peer"]


def test_knn_with_fewer_municipalities_than_k_takes_them_all():
    rep = spending(peer_method="knn", peer_codes=(), k=10)
    assert sorted(rep.peers["municipality_code"]) == [147, 151, 153, 155] and rep.k_requested == 10
    page = text.page(rep, MUNIS, AREA, NAMES, FLAT)
    assert "Datagrundlaget har kun 4 andre kommuner med strukturelle tal, så 10 kunne ikke vælges." in (
        text.method_text(page, "5.38.50")
    )


def test_report_from_data_falls_back_to_spending_per_resident():
    rep = benchmark.report_from_data(
        NO_ACTIVITY, ACCOUNTS, MUNIS, 101, "5.38.50", 2023, 2024, peer_method="list", peer_codes=[147, 151]
    )
    assert isinstance(rep, benchmark.SpendingReport)
    rep = benchmark.report_from_data(
        HAND, ACCOUNTS, MUNIS, 101, "5.38.50", 2023, 2024, peer_method="list", peer_codes=[147, 151]
    )
    assert isinstance(rep, benchmark.BenchmarkReport)


def test_spending_only_page_compares_per_resident_and_says_what_the_split_needs():
    page = text.page(spending(), MUNIS, AREA, NAMES, FLAT, sources=SOURCES)
    assert page.spending_only and not page.providers_known
    box = text.headline(page)
    assert (
        "<b>Udgift pr. 18-64-årig:</b> 3.000 kr. mod 1.467 kr., 104,5 % over sammenligningskommunerne" in box
    )
    assert "(1,5 mio. kr. mere)" in box
    assert "<b>Potentiale:</b> 1,5 mio. kr., hvis udgiften pr. 18-64-årig kom ned på" in box
    assert "Danmarks Statistiks tabel HAND01 eller kommunens egne sagsdata" in box
    assert "Priseffekt" not in box and "Mængdeeffekt" not in box
    for chart in (charts.price_quantity, charts.gap_waterfall, charts.yearly_effects, charts.external_prices):
        assert chart(page) is None
    assert charts.yearly_levels(page) is not None
    assert "1.600" in text.key_figures_table(page)  # the unweighted average
    assert text.provider_table(page) == "" and text.potentials_table(page) == ""
    method = text.method_text(page, "5.38.50")
    assert "(3.000 kr. − 1.467 kr.) × 1.000 = 1.533.333 kr." in method
    assert "indbyggertal fra Danmarks Statistik, FOLK1A (befolkningen 1. januar)" in method
    assert "socioøkonomisk indeks fra værktøjets illustrative referenceliste" in method
    assert "Et illustrativt indeks er ikke et officielt mål" in method
    assert "indekset kommer fra pakkens illustrative referenceliste" not in box
    assert (
        "Det socioøkonomiske indeks kommer fra pakkens illustrative referenceliste" not in box
    )  # not compared on
    knn = text.page(
        spending(peer_method="knn", peer_codes=(), k=2), MUNIS, AREA, NAMES, FLAT, sources=SOURCES
    )
    assert "Det socioøkonomiske indeks kommer fra pakkens illustrative referenceliste" in text.headline(knn)


# HAND01: persons without a provider split ----------------------------------------------------------------------


def test_hand01_gives_price_and_quantity_but_no_provider_view():
    rep = benchmark.benchmark_report(
        HAND, MUNIS, 101, "5.38.50", 2023, 2024, peer_method="list", peer_codes=[147, 151]
    )
    page = text.page(rep, MUNIS, AREA, NAMES, FLAT, sources=SOURCES)
    assert not page.spending_only and not page.providers_known
    # 101: 3.0 mio on 5 persons = 600,000 kr.; peers 4.4 mio on 6 persons = 733,333 kr.
    assert "prisen er 600 t.kr. pr. helårsperson mod 733 t.kr." in text.headline(page)
    assert charts.price_quantity(page) is not None and charts.external_prices(page) is None
    assert (
        "HAND01, som ikke skelner mellem kommunens egne tilbud og køb hos andre"
        in text.external_prices_text(page)
    )
    assert text.provider_table(page) == "" and text.business_case_text(page, pd.DataFrame()) == ""
    method = text.method_text(page, "5.38.50")
    assert "**Eksterne priser:**" not in method and "(interne og eksterne tilbud)" not in method
    assert "**Leverandør:** Helårspersonerne kommer fra Danmarks Statistiks HAND01" in method


def test_the_sample_names_its_synthetic_features_and_illustrative_index(con):
    sources = queries.feature_sources(con).set_index("feature")["source"]
    assert sources["socioeconomic_index"] == "pakkens illustrative referenceliste (ikke et officielt indeks)"
    assert sources["population"] == "pakkens eksempeldata (syntetiske tal)"
    assert queries.is_sample(con)


# The overview from accounts, with and without population ---------------------------------------------------------


def overview_page(activity=NO_ACTIVITY, munis=MUNIS, data_period=None):
    budgets = pd.DataFrame(
        {"municipality_code": [101], "year": [2024], "function_code": ["5.38.50"], "budget_dkk": [2.8 * MIO]}
    )
    return ov.page(
        activity, munis, budgets, 101, "5.38.50", 2023, 2024, AREA, NAMES, FLAT, ACCOUNTS, data_period
    )


def test_overview_from_accounts_and_population():
    page = overview_page()
    assert not page.has_persons
    y = page.yearly
    assert y.loc[2024, "spending_per_resident_dkk"] == pytest.approx(3_000)
    # all five municipalities with a population in 2024: 9.4 mio / 6,000 = 1,566.67 kr.
    assert y.loc[2024, "national_spending_per_resident_dkk"] == pytest.approx(9.4 * MIO / 6_000)
    assert np.isnan(y.loc[2023, "residents"]) and np.isnan(y.loc[2024, "price_dkk"])
    box = ov.headline(page)
    assert "<b>Udgift pr. 18-64-årig:</b> 3.000 kr., 91,5 % over landsgennemsnittet." in box
    assert "<b>Pris og mængde:</b> Pris og mængde kræver antallet af helårspersoner" in box
    assert "regnskabet blev 0,2 mio. kr. højere" in box  # accounts 3.0 mio against a budget of 2.8 mio
    assert "Uden helårspersoner" in ov.provider_table(page)
    assert "18-64-årige" in ov.yearly_table(page) and ov.levels_chart(page) is not None
    assert "HAND01" in ov.levels_intro(page)


def test_overview_without_population_says_so_instead_of_failing():
    page = overview_page(munis=MUNIS.assign(population_18_64=np.nan))
    box = ov.headline(page)
    assert "befolkningstallet (Danmarks Statistiks FOLK1A) mangler for 2024" in box
    assert "<b>Udgift 2024:</b> 3,0 mio. kr., 20,0 % mere end i 2023" in box  # 3.0 / 2.5 - 1


def test_overview_with_hand01_has_no_provider_table_and_says_why():
    page = overview_page(activity=HAND)
    assert page.has_persons
    assert "HAND01, som ikke skelner mellem kommunens egne tilbud" in ov.provider_table(page)


# An open last year ---------------------------------------------------------------------------------------------


def test_an_open_year_is_not_called_final():
    ledger = pd.DataFrame(
        {"municipality_code": 101, "year": [2023] * 12 + [2024] * 9, "month": [*range(1, 13), *range(1, 10)]}
    )
    stored = period.data_period(ledger, ACCOUNTS, 101)
    box = ov.headline(overview_page(data_period=stored))
    assert "regnskabet blev" not in box
    assert "<b>Udgift 2024, foreløbig:</b>" in box
    assert "Året er ikke afsluttet (bogført til og med september 2024)" in box
    assert "Regnskabsårene 2023-2024 (2024 til og med september); tallene for 2024 er foreløbige" in box
    page = text.page(spending(), MUNIS, AREA, NAMES, FLAT, stored)
    box = text.headline(page)
    assert "tallene for 2024 er foreløbige: året er bogført til og med september 2024" in box
    # 2023 has accounts but no population for 101: left out, and said so
    assert "<b>Data:</b> Regnskabsåret 2024 (2023 har regnskab, men intet befolkningstal" in box
    closed = period.data_period(None, ACCOUNTS, 101)
    assert "regnskabet blev" in ov.headline(overview_page(data_period=closed))


def test_the_runner_check_names_every_report_that_cannot_be_made():
    from analysis.errors import DataError
    from analysis.reporting.batch import Job
    from analysis.reporting.requirements import check_jobs, require_jobs

    con = _warehouse(accounts=ACCOUNTS, municipalities=MUNIS.assign(population_18_64=np.nan))
    jobs = [
        Job("overview", 101, "5.38.50"),
        Job("benchmark", 101, "5.38.50"),
        Job("benchmark", 147, "5.38.52"),
    ]
    assert check_jobs(con, jobs) == [
        "benchmark 101 5.38.50: befolkningstal (FOLK1A) for 18-64-årige (population_18_64) mangler for kommune "
        f"101: funktion 5.38.50 måles pr. 18-64-årig; {LOAD_FOLK1A}",
        "benchmark 147 5.38.52: regnskab (REGK31) mangler for kommune 147 og funktion 5.38.52: analysis fetch "
        "statbank eller analysis load statbank FIL --table REGK31",
        "benchmark 147 5.38.52: befolkningstal (FOLK1A) for 18-64-årige (population_18_64) mangler for kommune "
        f"147: funktion 5.38.52 måles pr. 18-64-årig; {LOAD_FOLK1A}",
    ]
    with pytest.raises(
        DataError,
        match=r"3 report\(s\) need; load it first: benchmark 101 5.38.50: .*; benchmark 147 5.38.52: ",
    ):
        require_jobs(con, jobs)
    require_jobs(_warehouse(accounts=ACCOUNTS, municipalities=MUNIS), jobs[:2])  # nothing missing: no error


def test_the_national_rate_counts_only_municipalities_with_a_population():
    extra = pd.DataFrame([activity_row(153, 2024, "§108", "unknown", 10, 1.0 * MIO)])
    munis = MUNIS.copy()
    munis.loc[(munis["municipality_code"] == 153) & (munis["year"] == 2024), "population_18_64"] = np.nan
    page = overview_page(activity=pd.concat([HAND, extra], ignore_index=True), munis=munis)
    # (5 + 2 + 4) persons / (1,000 + 1,000 + 2,000) residents x 1,000 = 2.75 per 1,000 (153's 10 persons left out)
    assert page.yearly.loc[2024, "national_rate_per_1000"] == pytest.approx(2.75)
    # the price counts every municipality: 8.4 mio / 21 persons
    assert page.yearly.loc[2024, "national_price_dkk"] == pytest.approx(8.4 * MIO / 21)
    assert "Helårspersonerne er Danmarks Statistiks HAND01" in ov.method_text(page)


def test_overview_without_budgets_says_so():
    no_budgets = pd.DataFrame(columns=["municipality_code", "year", "function_code", "budget_dkk"])
    page = ov.page(NO_ACTIVITY, MUNIS, no_budgets, 101, "5.38.50", 2023, 2024, AREA, NAMES, FLAT, ACCOUNTS)
    assert "<b>Budget 2024:</b> Intet budget i datagrundlaget (Danmarks Statistiks BUDK32" in ov.headline(
        page
    )
    assert ov.spending_chart(page) is not None
