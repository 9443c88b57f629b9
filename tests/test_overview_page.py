"""The overview report's headline, tables and charts, in fixed and current prices, on a hand-made pair of years."""

import dataclasses

import matplotlib
import pandas as pd
import pytest

from analysis.data.price_index import PriceIndex
from analysis.reporting import formatting as fmt
from analysis.reporting import overview_page as text

matplotlib.use("Agg")

MIO = 1_000_000
# 101: 2024 10 persons 10 mio; 2025 10 persons 11.55 mio. 147 (rest of the country): 2024 and 2025 10 persons 10 mio
# index 100 -> 105: 2024 kroner x 1.05 in 2025 prices
#   101 spending 2024 in 2025 prices 10.5 mio; change (11.55 / 10.5) - 1 = +10.0 %; current 11.55 / 10 - 1 = +15.5 %
#   2025 price 1.155 mio; national (11.55 + 10) / 20 = 1.0775 mio -> 7.2 % above
#   2025 rate 10 / 1,000 x 1,000 = 10 per 1,000; national 20 / 3,000 x 1,000 = 6.67 -> 50 % above
#   budget 2025 11 mio -> accounts 0.55 mio (0,6 mio. kr.) higher; budget 2024 10 mio -> 10.5 mio in 2025 prices
ACTIVITY = pd.DataFrame(
    [
        (101, 2024, "5.38.50", "§108", "internal", 10.0, 10.0 * MIO),
        (101, 2025, "5.38.50", "§108", "internal", 6.0, 6.3 * MIO),
        (101, 2025, "5.38.50", "§108", "external", 4.0, 5.25 * MIO),
        (147, 2024, "5.38.50", "§108", "internal", 10.0, 10.0 * MIO),
        (147, 2025, "5.38.50", "§108", "internal", 10.0, 10.0 * MIO),
    ],
    columns=[
        "municipality_code",
        "year",
        "function_code",
        "paragraph",
        "provider",
        "full_year_persons",
        "spending_dkk",
    ],
)
MUNIS = pd.DataFrame(
    [
        (c, n, y, p)
        for y in (2024, 2025)
        for c, n, p in ((101, "København", 1_000), (147, "Frederiksberg", 2_000))
    ],
    columns=["municipality_code", "municipality", "year", "population_18_64"],
)
BUDGETS = pd.DataFrame(
    {
        "municipality_code": [101, 101],
        "year": [2024, 2025],
        "function_code": ["5.38.50"] * 2,
        "budget_dkk": [10 * MIO, 11 * MIO],
    }
)
INDEX = PriceIndex(
    name="Pris- og lønindeks", source="test", index=pd.Series({2024: 100.0, 2025: 105.0}), path=None
)
AREA = {"name": "Botilbud til længerevarende ophold", "paragraphs": "§ 108"}


@pytest.fixture(scope="module")
def page():
    names = {101: "Københavns Kommune", 147: "Frederiksberg Kommune"}
    return text.page(ACTIVITY, MUNIS, BUDGETS, 101, "5.38.50", 2024, 2025, AREA, names, INDEX)


def test_headline_states_the_change_in_fixed_and_current_prices(page):
    assert text.heading(page) == "## Københavns Kommune: botilbud til længerevarende ophold (§ 108)"
    box = text.headline(page)
    assert (
        "<b>Udgift 2025:</b> 11,6 mio. kr., 10,0 % mere end i 2024 i faste 2025-priser (15,5 % mere i løbende"
        in box
    )
    assert "<b>Pris:</b> 1.155 t.kr. pr. helårsperson, 7,2 % over landsgennemsnittet." in box
    assert "<b>Mængde:</b> 10,00 helårspersoner pr. 1.000 18-64-årige, 50,0 % over" in box
    assert "<b>Budget 2025:</b> 11,0 mio. kr.; regnskabet blev 0,6 mio. kr. højere." in box


def test_tables_are_in_fixed_prices_and_say_so(page):
    assert page.yearly.loc[2024, "spending_dkk"] == pytest.approx(10.5 * MIO)
    assert page.yearly.loc[2024, "budget_dkk"] == pytest.approx(10.5 * MIO)
    assert page.yearly_current.loc[2024, "spending_dkk"] == pytest.approx(10 * MIO)
    table = text.yearly_table(page)
    assert "<caption>Københavns Kommune, 2024-2025, faste 2025-priser</caption>" in table
    assert ">10,5 mio. kr.<" in table and ">1.050 t.kr.<" in table  # 2024 price 1.0 mio x 1.05
    providers = text.provider_table(page)
    assert ">Eksterne<" in providers and ">40,0 %<" in providers and ">1.313 t.kr.<" in providers  # 5.25 / 4
    method = text.method_text(page)
    assert "omregnet til faste 2025-priser med pris- og lønindeks (test)" in method


def test_charts_show_fixed_prices(page):
    fmt.set_style(retina=False)
    ax = text.spending_chart(page).axes[0]
    assert [b.get_height() for b in ax.patches] == pytest.approx([10.5 * MIO, 11.55 * MIO])
    assert "faste 2025-priser" in ax.get_ylabel()
    levels = text.levels_chart(page)
    own = levels.axes[0].get_lines()[0]
    assert own.get_label() == "København"
    assert list(own.get_ydata()) == pytest.approx([1.05 * MIO, 1.155 * MIO])
    assert "faste 2025-priser" in levels.axes[0].get_title(loc="left")
    with pytest.raises(ValueError, match="no value for 2023"):
        text.page(ACTIVITY.assign(year=ACTIVITY["year"] - 1), MUNIS.assign(year=MUNIS["year"] - 1), BUDGETS, 101,
                  "5.38.50", 2023, 2024, AREA, {101: "K", 147: "F"}, INDEX)  # fmt: skip


def test_headline_says_level_and_unchanged_when_the_figures_round_to_zero(page):
    # 2025 set equal to 2024 in fixed prices (10.5 mio), to the budget and to the country's price; the rate
    # 0.02 % above the country's: the old text said '0,0 % mindre', '0,0 % under' and '0,0 mio. kr. lavere'
    yearly = page.yearly.copy()
    yearly.loc[2025, ["spending_dkk", "budget_dkk", "price_dkk", "national_price_dkk"]] = [
        10.5 * MIO,
        10.5 * MIO,
        1_050_000.0,
        1_050_000.0,
    ]
    yearly.loc[2025, "national_rate_per_1000"] = 10 / 1.0002
    current = page.yearly_current.copy()
    current.loc[2025, "spending_dkk"] = 10.0 * MIO
    box = text.headline(dataclasses.replace(page, yearly=yearly, yearly_current=current))
    assert (
        "<b>Udgift 2025:</b> 10,5 mio. kr., det samme som i 2024 i faste 2025-priser (det samme i løbende priser"
        in box
    )
    assert "<b>Pris:</b> 1.050 t.kr. pr. helårsperson, på niveau med landsgennemsnittet." in box
    assert "18-64-årige, på niveau med landsgennemsnittet." in box
    assert "<b>Budget 2025:</b> 10,5 mio. kr.; regnskabet svarede til budgettet." in box
    assert "0,0 %" not in box and "0,0 mio. kr." not in box


def test_nested_parentheses_become_brackets(page):
    # 5.38.51's paragraphs carry their own parentheses: the heading read '(§ 85 (i boliger ... § 105))'
    area = dataclasses.replace(page, area_paragraphs="§ 85 (i boliger efter almenboligloven § 105)")
    expected = "(§ 85 [i boliger efter almenboligloven § 105])"
    assert text.heading(area).endswith(f"botilbud til længerevarende ophold {expected}")
    assert f"Botilbud til længerevarende ophold {expected} i den kommunale kontoplan" in text.method_text(
        area
    )
    assert "105))" not in text.heading(area) + text.method_text(area)
