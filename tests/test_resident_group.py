"""Main function 5.28 (children and young people) is measured per resident aged 0-17, 5.38 per resident aged 18-64:
the mapping, the analyses that divide by it, the FOLK1A loader's 0-17 sum and the words of the reports."""

from __future__ import annotations

import html as html_lib
import math

import pandas as pd
import pytest
import yaml

from analysis import area, benchmark, overview
from analysis.data import statbank

# Two municipalities in 2024: 706 (own) and 751 (its one peer).
MUNIS = pd.DataFrame(
    {
        "municipality_code": [706, 751],
        "municipality": ["Syddjurs", "Aarhus"],
        "year": [2024, 2024],
        "population": [44_000, 360_000],
        "population_18_64": [24_000, 230_000],
        "population_0_17": [8_000, 70_000],
    }
)
ACTIVITY = pd.DataFrame(
    {
        "municipality_code": [706, 751, 706, 751],
        "year": 2024,
        "function_code": ["5.28.23", "5.28.23", "5.38.50", "5.38.50"],
        "paragraph": ["barnets lov § 43", "barnets lov § 43", "§108", "§108"],
        "provider": "internal",
        "full_year_persons": [12.0, 70.0, 48.0, 460.0],
        "spending_dkk": [16_000_000.0, 84_000_000.0, 48_000_000.0, 414_000_000.0],
    }
)


def test_the_mapping_by_main_function():
    assert benchmark.RESIDENT_GROUP["5.28"] is benchmark.CHILDREN
    assert benchmark.resident_group("5.28.22") == benchmark.CHILDREN
    assert benchmark.resident_group("5.38.50") == benchmark.ADULTS
    assert benchmark.resident_group("5.28").column == "population_0_17"
    assert (benchmark.CHILDREN.singular, benchmark.CHILDREN.plural) == ("0-17-årig", "0-17-årige")
    assert (benchmark.ADULTS.singular, benchmark.ADULTS.plural) == ("18-64-årig", "18-64-årige")
    assert benchmark.main_function("5.28.22") == "5.28"


def test_per_resident_basis_adds_the_groups_residents_and_leaves_the_population_columns_as_they_are():
    basis = benchmark.per_resident_basis(MUNIS, "5.28.23")
    assert benchmark.RESIDENTS_COLUMN == "residents"
    assert basis["residents"].tolist() == [8_000, 70_000]  # population_0_17
    assert basis["population_18_64"].tolist() == [24_000, 230_000]  # what it says, not the children
    assert basis["population_0_17"].tolist() == [8_000, 70_000]
    assert benchmark.per_resident_basis(basis, "5.28.23").equals(basis)  # twice: the same frame
    adults = benchmark.per_resident_basis(MUNIS, "5.38.50")
    assert adults["residents"].tolist() == [24_000, 230_000]  # population_18_64
    assert "residents" not in MUNIS.columns  # a copy: the frame given is left alone
    for without in (MUNIS.drop(columns="population_0_17"), MUNIS.assign(population_0_17=float("nan"))):
        with pytest.raises(ValueError, match=r"no population_0_17 \(residents aged 0-17\).*FOLK1A"):
            benchmark.per_resident_basis(without, "5.28.23")


def test_area_spending_per_resident_of_5_28_is_per_resident_aged_0_17():
    dev = area.spending_per_resident(ACTIVITY, MUNIS, 706, [751], [2024], "5.28").iloc[0]
    assert dev["own_per_resident"] == 2_000.0  # 16,000,000 / 8,000
    assert dev["peer_per_resident"] == 1_200.0  # 84,000,000 / 70,000
    assert dev["difference"] == pytest.approx(2_000 / 1_200 - 1)  # 0.6667
    assert dev["own_residents"] == 8_000  # population_0_17 of 706
    adults = area.spending_per_resident(ACTIVITY, MUNIS, 706, [751], [2024], "5.38").iloc[0]
    assert adults["own_per_resident"] == 2_000.0  # 48,000,000 / 24,000
    assert adults["peer_per_resident"] == 1_800.0  # 414,000,000 / 230,000


def test_benchmark_of_5_28_divides_by_the_children():
    inputs = benchmark.benchmark_inputs(ACTIVITY, MUNIS, 706, [751], "5.28.23", 2024)
    result = benchmark.decompose(inputs.own, inputs.peers)
    assert result["own_rate"] == pytest.approx(1.5)  # 12 / 8,000 x 1,000
    assert result["peer_rate"] == pytest.approx(1.0)  # 70 / 70,000 x 1,000
    # expected = peer price 1,200,000 x peer rate 1.0 x 8,000 / 1,000 = 9,600,000
    assert result["expected_spending_dkk"] == pytest.approx(9_600_000)
    eff = benchmark.effects(result)
    assert eff.loc["spending", "own"] == pytest.approx(2_000)  # 16,000,000 / 8,000
    assert eff.loc["spending", "peer"] == pytest.approx(1_200)  # 9,600,000 / 8,000


def test_unit_measures_with_both_main_functions_uses_each_ones_residents():
    units = benchmark.unit_measures(ACTIVITY, MUNIS).set_index(["municipality_code", "function_code"])
    assert units.loc[(706, "5.28.23"), "spending_per_resident_dkk"] == 2_000.0  # 16,000,000 / 8,000
    assert units.loc[(706, "5.38.50"), "spending_per_resident_dkk"] == 2_000.0  # 48,000,000 / 24,000
    assert units.loc[(751, "5.28.23"), "rate_per_1000"] == pytest.approx(1.0)  # 70 / 70,000 x 1,000
    assert units.loc[(751, "5.38.50"), "rate_per_1000"] == pytest.approx(2.0)  # 460 / 230,000 x 1,000


def test_overview_of_5_28_is_per_resident_aged_0_17_and_degrades_without_them():
    budgets = pd.DataFrame(columns=["municipality_code", "year", "function_code", "budget_dkk"])
    y = overview.yearly(ACTIVITY, MUNIS, budgets, 706, "5.28.23").loc[2024]
    assert y["spending_per_resident_dkk"] == 2_000.0  # 16,000,000 / 8,000
    assert y["rate_per_1000"] == pytest.approx(1.5)  # 12 / 8,000 x 1,000
    # the country: 100,000,000 / 78,000 residents aged 0-17
    assert y["national_spending_per_resident_dkk"] == pytest.approx(100_000_000 / 78_000)
    without = overview.yearly(ACTIVITY, MUNIS.drop(columns="population_0_17"), budgets, 706, "5.28.23").loc[
        2024
    ]
    assert math.isnan(without["spending_per_resident_dkk"]) and without["spending_dkk"] == 16_000_000


def test_folk1a_loader_sums_ages_0_17():
    # ages 0-17 have 10 + age residents each: 18 x 10 + (0 + ... + 17) = 180 + 153 = 333
    rows = "".join(f"Syddjurs;{a} år;2024K1;{10 + a if a < 18 else 5}\n" for a in range(126))
    text = "OMRÅDE;ALDER;TID;INDHOLD\n" + rows
    m = statbank.to_municipalities(statbank.read(text, name="f.csv"), name="f.csv")
    row = m.frame.iloc[0]
    assert row["population_0_17"] == 333
    assert row["population_18_64"] == 47 * 5 and row["population"] == 333 + 108 * 5  # ages 18-125: 108 x 5
    assert "population_0_17" in set(m.sources["feature"])


def test_folk1a_without_the_children_loads_with_them_left_empty_and_a_note():
    ages = "".join(f"Syddjurs;{a} år;2024K1;10\n" for a in range(18, 65))
    text = "OMRÅDE;ALDER;TID;INDHOLD\nSyddjurs;Alder i alt;2024K1;1000\n" + ages
    m = statbank.to_municipalities(statbank.read(text, name="f.csv"), name="f.csv")
    assert m.frame.iloc[0]["population_18_64"] == 470 and pd.isna(m.frame.iloc[0]["population_0_17"])
    assert any("aged 0-17 left empty" in n for n in m.notes)


@pytest.mark.slow
def test_a_5_28_benchmark_from_the_sample_says_per_resident_aged_0_17(tmp_path, sample_path):
    from analysis.reporting.batch import load_batch
    from analysis.reporting.runner import run_batch

    data = {
        "name": "benchmark-528",
        "municipalities": [706],
        "function_areas": ["5.28.23"],
        "notebooks": ["benchmark"],
        "formats": ["html"],
        "workers": 1,
        "parameters": {"first_year": 2023, "last_year": 2025, "k": 8},
    }
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    batch = load_batch(path, defaults=tmp_path / "none.yaml")
    summary = run_batch(batch, batch_file=path, reports_dir=tmp_path / "reports", progress=False)
    (result,) = summary.reports
    assert result.status == "ok", result.error
    page = html_lib.unescape((summary.folder / result.files["html"]).read_text("utf-8"))
    assert "Udgift pr. 0-17-årig" in page and "pr. 1.000 0-17-årige" in page
    assert "18-64-årig" not in page


def _area_page(main_function):
    from analysis.data import reference
    from analysis.reporting import area_page as text

    return text.page(
        "Syddjurs Kommune",
        main_function,
        reference.function_areas(main_function),
        pd.DataFrame({"municipality_code": [2, 3]}),
        "list",
        ["population"],
        2018,
        2025,
        {"medium_share": 0.05, "high_share": 0.15},
    )


def test_area_report_words_follow_the_main_function_and_5_38_reads_as_before():
    from analysis.reporting import area_page as text

    adults, children = _area_page("5.38"), _area_page("5.28")
    assert text.intro(adults, "development").startswith(
        "Kommunens samlede udgift på området pr. indbygger i alderen 18-64 år, år for år, mod "
    )
    assert "pr. indbygger i alderen 0-17 år" in text.intro(children, "development")
    assert "udgiften pr. 18-64-årig mod sammenligningskommunerne" in text.intro(adults, "purpose")
    assert "udgiften pr. 0-17-årig mod sammenligningskommunerne" in text.intro(children, "purpose")
    method = text.method_text(children)
    assert "**Udgift pr. 0-17-årig** i alt" in method and "også her pr. 18-64-årig" not in method
    assert "Målestok for børn og unge" not in text.method_text(adults)


def test_benchmark_words_of_a_group():
    from analysis.reporting import benchmark_page as text

    assert text.no_persons() == text.NO_PERSONS and text.NO_PERSONS.endswith("udgiften pr. 18-64-årig.")
    assert text.no_persons(benchmark.CHILDREN).endswith("udgiften pr. 0-17-årig.")
    assert text.measures_da(benchmark.CHILDREN)["spending"] == "Udgift pr. 0-17-årig"
    assert text.measures_da() == text.MEASURES_DA


def test_the_adults_population_as_a_feature_is_shown_once_with_its_own_figures():
    # the feature and the yardstick are the same column for 5.38: the peer table shows it once (it raised
    # "cannot reindex on an axis with duplicate labels" when the column was selected twice)
    rep = benchmark.benchmark_report(
        ACTIVITY, MUNIS, 706, "5.38.50", 2024, 2024, "list", [751], features=["population_18_64"]
    )
    table = rep.peer_table
    assert list(table.columns).count("population_18_64") == 1
    assert table["population_18_64"].tolist() == [24_000, 230_000]
    assert table["rate_per_1000"].tolist() == pytest.approx(
        [2.0, 2.0]
    )  # 48 / 24,000 and 460 / 230,000 x 1,000


# Three municipalities in 2024 where the nearest by residents aged 18-64 and the nearest by residents aged 0-17
# differ: 706 has 24,000 and 8,000; 751 has 25,000 (1,000 off) and 20,000 (12,000 off); 707 has 60,000 (36,000 off)
# and 8,500 (500 off). On 18-64 the nearest is 751, on 0-17 it is 707.
THREE = pd.DataFrame(
    {
        "municipality_code": [706, 751, 707],
        "municipality": ["Syddjurs", "Aarhus", "Norddjurs"],
        "year": 2024,
        "population": [44_000, 60_000, 90_000],
        "population_18_64": [24_000, 25_000, 60_000],
        "population_0_17": [8_000, 20_000, 8_500],
    }
)
THREE_ACTIVITY = pd.DataFrame(
    {
        "municipality_code": [706, 751, 707],
        "year": 2024,
        "function_code": "5.28.23",
        "paragraph": "barnets lov § 43",
        "provider": "internal",
        "full_year_persons": [12.0, 30.0, 10.0],
        "spending_dkk": [16_000_000.0, 30_000_000.0, 17_000_000.0],
    }
)


@pytest.mark.parametrize("how", ["benchmark_report", "spending_report", "report_from_data"])
def test_5_28_compared_on_population_18_64_chooses_the_peers_on_the_residents_aged_18_64(how):
    # before, for 5.28 the column population_18_64 of the per-resident basis held the residents aged 0-17: the
    # feature was refused, and report_from_data would have chosen 707 (500 children off) instead of 751
    accounts = THREE_ACTIVITY[["municipality_code", "year", "function_code", "spending_dkk"]]
    args = (706, "5.28.23", 2024, 2024)
    calls = {
        "benchmark_report": lambda **kw: benchmark.benchmark_report(THREE_ACTIVITY, THREE, *args, **kw),
        "spending_report": lambda **kw: benchmark.spending_report(accounts, THREE, *args, **kw),
        "report_from_data": lambda **kw: benchmark.report_from_data(
            THREE_ACTIVITY, accounts, THREE, *args, **kw
        ),
    }
    rep = calls[how](peer_method="knn", k=1, features=["population_18_64"])
    assert rep.peers["municipality_code"].tolist() == [751]
    # z-scores over the three (ddof=0): sd of 24,000, 25,000, 60,000 = 16,739.84; 1,000 / 16,739.84 = 0.0597
    assert rep.peers["distance"].tolist() == pytest.approx([0.0597377], abs=1e-7)
    table = rep.peer_table.set_index("municipality_code")
    assert table["population_18_64"].tolist() == [24_000, 25_000]  # shown as loaded
    assert table["residents"].tolist() == [8_000, 20_000]  # the divisor: population_0_17
    # per resident aged 0-17: 16,000,000 / 8,000 = 2,000 and 30,000,000 / 20,000 = 1,500
    assert table["spending_per_resident_dkk"].tolist() == [2_000.0, 1_500.0]
    on_children = calls[how](peer_method="knn", k=1, features=["population_0_17"])
    assert on_children.peers["municipality_code"].tolist() == [707]  # 500 off, against 12,000


@pytest.mark.parametrize("function_code", ["5.28.23", "5.38.50"])
def test_a_feature_named_residents_is_refused(function_code):
    from analysis.errors import ConfigurationError

    with pytest.raises(
        ConfigurationError,
        match=rf"feature residents cannot be compared for function {function_code}: it is not a column of "
        r"municipalities.*compare on population, population_18_64 or population_0_17 instead",
    ):
        benchmark.benchmark_report(
            ACTIVITY, MUNIS, 706, function_code, 2024, 2024, "list", [751], features=["residents"]
        )


def test_5_28_per_resident_figures_divide_by_the_children_and_keep_population_18_64_as_loaded():
    # 706: 16,000,000 kr., 12 full-year persons, 24,000 aged 18-64, 8,000 aged 0-17;
    # 751: 84,000,000 kr., 70 full-year persons, 230,000 aged 18-64, 70,000 aged 0-17
    rep = benchmark.benchmark_report(
        ACTIVITY, MUNIS, 706, "5.28.23", 2024, 2024, "list", [751], features=["population_18_64"]
    )
    table = rep.peer_table.set_index("municipality_code")
    assert table["spending_per_resident_dkk"].tolist() == [
        2_000.0,
        1_200.0,
    ]  # 16 mio / 8,000; 84 mio / 70,000
    assert table["rate_per_1000"].tolist() == pytest.approx([1.5, 1.0])  # 12 / 8,000 and 70 / 70,000 x 1,000
    assert table["population_18_64"].tolist() == [24_000, 230_000]  # unchanged
    assert table["residents"].tolist() == [8_000, 70_000]
    assert rep.latest["own_residents"] == 8_000
    # expected = peer price 1,200,000 x peer rate 1.0 x 8,000 / 1,000 = 9,600,000; gap 16 - 9.6 = 6.4 mio
    assert rep.latest["expected_spending_dkk"] == pytest.approx(9_600_000)
    assert rep.latest["gap_dkk"] == pytest.approx(6_400_000)
    units = benchmark.unit_measures(ACTIVITY[ACTIVITY["function_code"] == "5.28.23"], MUNIS)
    assert units["residents"].tolist() == [8_000, 70_000]
    assert units["spending_per_resident_dkk"].tolist() == [2_000.0, 1_200.0]
    assert "population_18_64" not in units.columns  # the measures carry only the divisor
    accounts = ACTIVITY[["municipality_code", "year", "function_code", "spending_dkk"]]
    spend = benchmark.spending_report(
        accounts, MUNIS, 706, "5.28.23", 2024, 2024, "list", [751], features=["population_18_64"]
    )
    assert spend.latest[["own_residents", "peer_residents"]].tolist() == [8_000, 70_000]
    assert (
        spend.latest["own_per_resident_dkk"] == 2_000.0 and spend.latest["peer_per_resident_dkk"] == 1_200.0
    )
    shown = spend.peer_table.set_index("municipality_code")
    assert shown["population_18_64"].tolist() == [24_000, 230_000]
    assert shown["residents"].tolist() == [8_000, 70_000]


def test_the_spending_peer_table_of_5_28_labels_the_feature_and_the_divisor_by_their_own_ages():
    from analysis.reporting import benchmark_page as text

    accounts = ACTIVITY[["municipality_code", "year", "function_code", "spending_dkk"]]
    rep = benchmark.spending_report(
        accounts, MUNIS, 706, "5.28.23", 2024, 2024, "list", [751], features=["population_18_64"]
    )
    page = text.page(
        rep, MUNIS, {"name": "Døgninstitutioner", "paragraphs": "§ 43"}, {706: "Syddjurs Kommune"}
    )
    shown = html_lib.unescape(text.peer_table(page))
    assert ">18-64-årige</th>" in shown and ">0-17-årige</th>" in shown
    assert "24.000" in shown and "8.000" in shown  # 706's residents aged 18-64 and aged 0-17


def test_the_childrens_population_as_a_feature_of_5_28_is_named_in_danish():
    from analysis.reporting import benchmark_page as text

    rep = benchmark.benchmark_report(
        ACTIVITY, MUNIS, 706, "5.28.23", 2024, 2024, k=1, features=["population_0_17"]
    )
    assert rep.peer_table["population_0_17"].tolist() == [8_000, 70_000]
    page = text.page(
        rep, MUNIS, {"name": "Døgninstitutioner", "paragraphs": "§ 43"}, {706: "Syddjurs Kommune"}
    )
    method = text.method_text(page, "5.28.23")
    assert "den nærmeste kommune på antal 0-17-årige i 2024" in method
    assert "18-64" not in method
    assert ">0-17-årige</th>" in text.peer_table(page)


def test_a_batch_of_5_28_may_compare_on_population_18_64_and_one_naming_residents_is_refused(tmp_path):
    from analysis.reporting.batch import BatchError, load_batch
    from analysis.reporting.parameters import ParameterError, check

    features = ["population", "population_18_64"]
    assert check("benchmark", {"function_code": "5.28.22", "features": features}).features == features
    assert check("area", {"main_function": "5.28", "features": features}).features == features
    for notebook, where in (("benchmark", {"function_code": "5.28.22"}), ("area", {"main_function": "5.28"})):
        with pytest.raises(ParameterError, match=r"feature residents cannot be compared for function 5\.28"):
            check(notebook, {**where, "features": ["population", "residents"]})
    data = {
        "name": "b",
        "municipalities": [706],
        "function_areas": ["5.38.50", "5.28.23"],
        "notebooks": ["benchmark"],
        "parameters": {"features": features},
    }
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_batch(path, defaults=tmp_path / "none.yaml").function_codes() == ["5.38.50", "5.28.23"]
    data["parameters"] = {"features": ["residents"]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(BatchError) as e:
        load_batch(path, defaults=tmp_path / "none.yaml")
    assert str(e.value).startswith(
        f"{path}: parameters: notebook 'benchmark': feature residents cannot be compared for function 5.38.50: "
        "it is not a column of municipalities"
    )
