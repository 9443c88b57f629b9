"""Fixed prices: the P/L index file, its reader and the restatement of kroner in one year's prices."""

import pandas as pd
import pytest

from analysis.data.price_index import default_path, read_price_index
from analysis.errors import ConfigurationError
from analysis.prices import price_factors, to_fixed_prices

INDEX = pd.Series({2023: 100.0, 2024: 104.0, 2025: 106.08})  # +4 %, then +2 %


def test_price_factors_turn_each_year_into_base_year_prices():
    # 2023 -> 2025: 106.08 / 100 = 1.0608; 2024 -> 2025: 106.08 / 104 = 1.02; 2025: 1
    factors = price_factors(INDEX, [2025, 2023, 2024, 2023], 2025)
    assert list(factors.index) == [2023, 2024, 2025]
    assert factors.tolist() == pytest.approx([1.0608, 1.02, 1.0])
    # into 2023 prices instead: 2025 kroner are worth 100 / 106.08 of 2023 kroner
    assert price_factors(INDEX, [2025], 2023).iloc[0] == pytest.approx(100 / 106.08)


def test_price_factors_name_the_missing_years():
    with pytest.raises(ValueError, match=r"no value for 2022 \(it covers 2023-2025\)"):
        price_factors(INDEX, [2022, 2024], 2025)
    with pytest.raises(ValueError, match="no value for 2026"):
        price_factors(INDEX, [2024], 2026)
    with pytest.raises(ValueError, match="positive; not so for 2024"):
        price_factors(pd.Series({2023: 100.0, 2024: 0.0}), [2023], 2024)


def test_to_fixed_prices_restates_kroner_and_leaves_counts():
    frame = pd.DataFrame(
        {
            "year": [2023, 2024, 2025],
            "spending_dkk": [1_000_000, 2_000_000, 3_000_000],
            "budget_dkk": [100.0, 100.0, 100.0],
            "full_year_persons": [1.0, 2.0, 3.0],
        }
    )
    out = to_fixed_prices(frame, INDEX, 2025, columns=("spending_dkk", "budget_dkk"))
    assert out["spending_dkk"].tolist() == pytest.approx([1_060_800, 2_040_000, 3_000_000])
    assert out["budget_dkk"].tolist() == pytest.approx([106.08, 102.0, 100.0])
    assert out["full_year_persons"].tolist() == [1.0, 2.0, 3.0]
    assert frame["spending_dkk"].tolist() == [1_000_000, 2_000_000, 3_000_000]  # the input is not changed
    assert to_fixed_prices(frame.iloc[:0], INDEX, 2025).empty
    with pytest.raises(ValueError, match="lacks column.*price_dkk"):
        to_fixed_prices(frame, INDEX, 2025, columns=("price_dkk",))


def test_the_shipped_index_chains_its_growth_rates():
    pl = read_price_index()
    assert pl.path == default_path() and pl.path.name == "price_index.yaml"
    assert pl.index.loc[2018] == 100.0
    # 3 % a year in the shipped (sample) file: 2025 = 100 x 1.03^7 = 122.987...
    assert pl.index.loc[2025] == pytest.approx(100 * 1.03**7)
    assert "pris- og løn" in pl.source and pl.name.startswith("Pris- og lønindeks")
    # no official figures are shipped: the source every report prints says the figures are an assumption
    assert pl.source.startswith("eksempeldata: antaget 3 % om året; en antagelse, ikke KL's officielle")
    # "34,7 % more than in 2018" in current prices is 1.347 / 1.2299 - 1 = 9.5 % in 2025 prices
    factor = price_factors(pl.index, [2018], 2025).iloc[0]
    assert 1.347 / factor - 1 == pytest.approx(0.0952, abs=1e-4)


def _write(tmp_path, text):
    path = tmp_path / "index.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_users_own_index_file_is_read_and_checked(tmp_path):
    own = _write(
        tmp_path,
        "name: KL P/L\nsource: KL, juni 2025\nfirst_year: 2023\ngrowth_percent:\n  2024: 4.0\n  2025: 2.0\n",
    )
    pl = read_price_index(own)
    assert pl.index.to_dict() == pytest.approx({2023: 100.0, 2024: 104.0, 2025: 106.08})
    assert pl.source == "KL, juni 2025"
    cases = {
        "name: x\nsource: y\nfirst_year: 2023\n": "missing key.*growth_percent",
        "name: x\nsource: y\nfirst_year: 2023\ngrowth_percent:\n  2024: 4.0\n  2026: 2.0\n": "no rate for 2025",
        "name: x\nsource: y\nfirst_year: 2023\ngrowth_percent:\n  2024: fire\n": "2024: expected a per cent",
        "name: x\nsource: y\nfirst_year: 2023\ngrowth_percent:\n  2023: 1.0\n": "after first_year 2023",
        "name: x\nsource: y\nfirst_year: '2023'\ngrowth_percent:\n  2024: 1.0\n": "first_year must be a year",
    }
    for text, message in cases.items():
        with pytest.raises(ConfigurationError, match=message):
            read_price_index(_write(tmp_path, text))
    with pytest.raises(ConfigurationError, match="none.yaml: no such price index file"):
        read_price_index(tmp_path / "none.yaml")


def test_growth_given_as_a_fraction_is_refused_not_read_as_hundredths_of_a_per_cent(tmp_path):
    path = tmp_path / "pl.yaml"
    head = "name: KL P/L\nsource: KL, juni 2025\nfirst_year: 2023\ngrowth_percent:\n"
    # 0.025 and 0.03 were read as 0.025 % and 0.03 %: the 2023 kroner restated by a factor 1.00055 instead of 1.0557
    path.write_text(head + "  2024: 0.025\n  2025: 0.03\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as e:
        read_price_index(path)
    assert str(e.value) == (
        f"{path}: growth_percent 2024: 0.025 reads as 0.025 % a year, and as 2.5 % if it is a fraction; "
        "growth_percent is in per cent: write 2.5 for 2.5 % (2 rates of the file are below 0.2). No price and wage "
        "development of municipal services has been below 0.2 % a year"
    )
    # per cent, and a year of 0 %, are read: 100 x 1.025 x 1.0 x 1.03 = 105.575
    path.write_text(head + "  2024: 2.5\n  2025: 0\n  2026: 3\n", encoding="utf-8")
    assert read_price_index(path).index.tolist() == pytest.approx([100.0, 102.5, 102.5, 105.575])
