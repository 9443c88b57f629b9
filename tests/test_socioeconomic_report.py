"""The benchmark report chooses peers on the ministry's index once it is loaded, and says so (slow)."""

from pathlib import Path

import pytest

from analysis.cli import main
from analysis.data import statbank
from tests.statbank_replay import ReplayServer
from tests.test_statbank_end_to_end import _run, _text

INDEX = Path(__file__).parent / "data" / "socioeconomic" / "index_2024_2025.csv"


@pytest.mark.slow
def test_the_benchmark_names_the_loaded_index(tmp_path, monkeypatch, capsys):
    w = tmp_path / "own.duckdb"
    with ReplayServer() as url:
        monkeypatch.setenv(statbank.BASE_URL_ENV, url)
        assert main(["fetch", "statbank", "--years", "2023-2024", "--warehouse", str(w)]) == 0
    assert main(["load", "socioeconomic", str(INDEX), "--warehouse", str(w)]) == 0
    monkeypatch.setenv("ANALYSIS_WAREHOUSE", str(w))
    out = _run(tmp_path, "index", "benchmark")
    bench = _text(out / "benchmark" / "706-syddjurs_5.38.50.html")
    # the report's year is 2024: København and Syddjurs (the municipalities with a population) have the 2024 index
    assert "socioøkonomisk indeks fra Indenrigs- og Boligministeriets socioøkonomiske indeks 2024" in bench
    assert "illustrativ" not in bench
    capsys.readouterr()
