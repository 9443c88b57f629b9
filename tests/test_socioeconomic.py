"""The ministry's socio-economic index: the loader (`analysis load socioeconomic`) and the peers chosen on it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from analysis import benchmark
from analysis.data import loads, queries, socioeconomic
from analysis.data.schema import SchemaError
from analysis.reporting import benchmark_page

FIXTURE = Path(__file__).parent / "data" / "socioeconomic" / "index_2024_2025.csv"


def _write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_the_ministry_layout_with_title_lines_and_one_column_per_year():
    df, rows, _, skipped, _ = socioeconomic.read_index(FIXTURE)
    got = {(int(c), int(y)): v for c, y, v in df.itertuples(index=False)}
    # the file's cells with decimal commas: '101 København;1,0843;1,0712', 'Favrskov Kommune;0,7013;0,6990'
    assert got[(101, 2024)] == pytest.approx(1.0843)
    assert got[(101, 2025)] == pytest.approx(1.0712)
    assert got[(710, 2024)] == pytest.approx(0.7013)  # a name with 'Kommune' matched to its code
    assert got[(751, 2025)] == pytest.approx(0.9502)
    assert len(df) == 12  # 6 municipalities x 2 years
    # 'Hele landet' and 'Region Midtjylland' left out; 'Københavns Kommune;;' has no values (2 empty cells)
    assert skipped == {"hele landet og regioner": 2, "tomme indekstal": 2}
    assert int(rows[0]) == 6  # København is line 6 of the file: 3 title lines, then the heading on line 4


def test_a_long_layout_on_the_scale_100_with_a_year_column(tmp_path):
    path = _write(
        tmp_path,
        "indeks.csv",
        [
            "Kommunenr;Kommune;År;Socioøkonomisk indeks",
            "082;Region Midtjylland;2025;98,1",
            "706;Syddjurs;2025;89,04",
            "707;Norddjurs;2025;105,3",
        ],
    )
    df, _, _, skipped, notes = socioeconomic.read_index(path)
    assert skipped == {"hele landet og regioner": 1}  # the region's code 082
    # published as 100 = national average: 89,04 / 100 = 0.8904 and 105,3 / 100 = 1.053
    assert df["socioeconomic_index"].tolist() == pytest.approx([0.8904, 1.053])
    assert df["year"].tolist() == [2025, 2025]
    assert any("100 = national average" in n for n in notes)


def test_one_index_column_takes_its_year_from_the_option(tmp_path):
    path = _write(tmp_path, "indeks.csv", ["Kommune;Socioøkonomisk indeks", "Syddjurs;0,8904"])
    with pytest.raises(SchemaError, match="the index's year"):
        socioeconomic.read_index(path)
    df, _, _, _, _ = socioeconomic.read_index(path, year=2025)
    assert df.iloc[0].tolist() == [706, 2025, pytest.approx(0.8904)]


def test_an_unknown_name_is_refused_with_its_row_and_a_suggestion(tmp_path):
    path = _write(
        tmp_path,
        "indeks_2025.csv",
        ["Kommune;Socioøkonomisk indeks", "Syddjurs;0,8904", "Norddjur;1,0530"],
    )
    with pytest.raises(SchemaError) as e:
        socioeconomic.read_index(path)
    text = str(e.value)
    assert "row 3" in text and "'Kommune'" in text and "'Norddjur'" in text
    assert "Norddjurs Kommune" in text  # did you mean


def test_a_code_and_a_name_that_disagree_are_refused(tmp_path):
    path = _write(tmp_path, "indeks_2025.csv", ["Kommune;Socioøkonomisk indeks", "101 Aarhus;0,95"])
    with pytest.raises(SchemaError, match=r"row 2.*a code and a name of the same municipality.*751"):
        socioeconomic.read_index(path)


def test_a_value_that_reads_two_ways_is_refused(tmp_path):
    # two rows with decimal commas, one with a point: '1.052' is 1,052 or (a thousands point) 1052
    path = _write(
        tmp_path,
        "indeks_2025.csv",
        ["Kommune;Socioøkonomisk indeks", "Syddjurs;0,8904", "Norddjurs;1.052", "Favrskov;0,70"],
    )
    with pytest.raises(SchemaError) as e:
        socioeconomic.read_index(path)
    assert "row 3" in str(e.value) and "'1.052'" in str(e.value) and "1052" in str(e.value)


def test_a_suppressed_index_in_a_column_with_decimal_commas_is_an_empty_one(tmp_path):
    # '..' (Statistics Denmark's mark of a missing value) was refused as "one decimal mark in the whole column ...
    # found '..', which reads as ,, with that mark", while '-' and an empty cell were skipped as empty indices
    path = _write(
        tmp_path,
        "indeks_2025.csv",
        ["Kommune;Socioøkonomisk indeks", "Syddjurs;..", "Norddjurs;1,0452", "Favrskov;-", "Aarhus;0,9571"],
    )
    frame, _, _, skipped, _ = socioeconomic.read_index(path)
    assert frame[["municipality_code", "socioeconomic_index"]].values.tolist() == [
        [707, 1.0452],
        [751, 0.9571],
    ]
    assert skipped == {"tomme indekstal": 2}


def test_an_implausible_index_and_a_second_value_are_refused(tmp_path):
    path = _write(tmp_path, "indeks_2025.csv", ["Kommune;Socioøkonomisk indeks", "Syddjurs;8,9"])
    with pytest.raises(SchemaError, match="between 0,2 and 5"):
        socioeconomic.read_index(path)
    path = _write(
        tmp_path,
        "indeks_2025.csv",
        ["Kommune;Socioøkonomisk indeks", "706 Syddjurs;0,89", "Syddjurs Kommune;0,91"],
    )
    with pytest.raises(SchemaError, match=r"row 3.*one index of municipality 706 in 2025"):
        socioeconomic.read_index(path)


def test_an_implausible_index_is_shown_as_the_file_writes_it(tmp_path):
    # on the scale 100, a row written on the scale 1 was shown as found '0,8100000000000002' (divided by 100 and
    # multiplied back), not as the file's '0,81'
    path = _write(
        tmp_path,
        "indeks_2025.csv",
        ["Kommune;Socioøkonomisk indeks", "Syddjurs;89,04", "Norddjurs;104,52", "Favrskov;0,81"],
    )
    with pytest.raises(SchemaError) as e:
        socioeconomic.read_index(path)
    assert str(e.value) == (
        "indeks_2025.csv, row 4, column 'Socioøkonomisk indeks': expected an index around 1 (1,00 = national "
        "average) or around 100, between 0,2 and 5 (20 and 500), found '0,81'"
    )


def test_the_load_is_recorded_replaces_its_years_and_can_be_undone(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = socioeconomic.load(con, FIXTURE)
    assert (first.rows_loaded, first.new) == (12, 12)
    again = socioeconomic.load(con, FIXTURE)
    assert again.status == "unchanged"
    # a later file for 2025 alone replaces 2025 (all six municipalities: four removed) and leaves 2024
    later = _write(
        tmp_path, "indeks_2025.csv", ["Kommune;Socioøkonomisk indeks", "Syddjurs;0,9000", "Aarhus;0,95"]
    )
    second = socioeconomic.load(con, later)
    assert (second.new, second.changed, second.removed) == (0, 2, 4)
    index = queries.socioeconomic_index(con)
    assert len(index) == 6 + 2
    assert index[(index["municipality_code"] == 706) & (index["year"] == 2025)][
        "socioeconomic_index"
    ].item() == (pytest.approx(0.9))
    loads.undo(con, second.load_id)
    index = queries.socioeconomic_index(con)
    assert len(index) == 12
    assert index[(index["municipality_code"] == 706) & (index["year"] == 2025)][
        "socioeconomic_index"
    ].item() == (pytest.approx(0.8961))


def test_the_query_is_empty_in_a_warehouse_without_the_table():
    con = duckdb.connect()
    got = queries.socioeconomic_index(con)
    assert got.empty and list(got.columns) == ["municipality_code", "year", "socioeconomic_index"]


def _municipalities() -> pd.DataFrame:
    # four municipalities alike in everything but the (illustrative) index
    rows = [
        (101, "København", 1.00),
        (147, "Frederiksberg", 1.30),
        (706, "Syddjurs", 0.80),
        (707, "Norddjurs", 1.60),
    ]
    frames = [
        pd.DataFrame(
            {
                "municipality_code": [r[0] for r in rows],
                "municipality": [r[1] for r in rows],
                "year": year,
                "socioeconomic_index": [r[2] for r in rows],
            }
        )
        for year in (2023, 2024, 2025)
    ]
    return pd.concat(frames, ignore_index=True)


def test_the_loaded_index_of_the_year_or_the_latest_before_replaces_the_illustrative_one():
    index = pd.DataFrame(
        {"municipality_code": [147, 147], "year": [2024, 2026], "socioeconomic_index": [1.05, 0.5]}
    )
    got = benchmark.with_socioeconomic_index(_municipalities(), index)
    frb = got[got["municipality_code"] == 147].set_index("year")
    # 2023: nothing loaded for 2023 or before -> the illustrative 1.30; 2024: the 2024 index; 2025: still 2024's
    # (2026 is after); the other municipalities keep theirs
    assert frb["socioeconomic_index"].tolist() == [1.30, 1.05, 1.05]
    assert frb["socioeconomic_index_year"].tolist() == [pd.NA, 2024, 2024]
    assert got[got["municipality_code"] == 706]["socioeconomic_index"].tolist() == [0.80] * 3
    assert (
        benchmark.with_socioeconomic_index(_municipalities(), None)["socioeconomic_index_year"].isna().all()
    )


def test_the_nearest_peer_is_chosen_on_the_loaded_index():
    munis = _municipalities()
    options = {"k": 1, "features": ("socioeconomic_index",), "log_features": ()}
    # illustrative: København 1.00 is 0.20 from Syddjurs (0.80) and 0.30 from Frederiksberg (1.30)
    before = benchmark.nearest_peers(munis, 101, 2025, **options)
    assert before["municipality_code"].tolist() == [706]
    # the ministry's 2024 index puts Frederiksberg at 1.05: 0.05 from København, now the nearest
    index = pd.DataFrame({"municipality_code": [147], "year": [2024], "socioeconomic_index": [1.05]})
    after = benchmark.nearest_peers(benchmark.with_socioeconomic_index(munis, index), 101, 2025, **options)
    assert after["municipality_code"].tolist() == [147]


def test_the_report_names_the_ministry_index_of_the_year_used():
    index = pd.DataFrame(
        {
            "municipality_code": [101, 147, 706, 707],
            "year": 2024,
            "socioeconomic_index": [1.0, 1.05, 0.8, 1.6],
        }
    )
    munis = benchmark.with_socioeconomic_index(_municipalities(), index)
    recorded = pd.DataFrame(
        {
            "feature": ["population", "socioeconomic_index"],
            "source": [
                "Danmarks Statistik, FOLK1A",
                "værktøjets illustrative referenceliste (ikke et officielt indeks)",
            ],
            "municipalities": [4, 4],
            "years": ["2023-2025", "2023-2025"],
        }
    )
    sources = benchmark_page.index_sources(munis[munis["year"] == 2025], recorded)
    p = SimpleNamespace(
        report=SimpleNamespace(features=("population", "socioeconomic_index")), sources=sources
    )
    text = benchmark_page.sources_text(p)
    assert "socioøkonomisk indeks fra Indenrigs- og Boligministeriets socioøkonomiske indeks 2024" in text
    assert "illustrativ" not in text
    # only Frederiksberg loaded: the others keep the illustrative source, and the text says both
    partial = benchmark.with_socioeconomic_index(_municipalities(), index[index["municipality_code"] == 147])
    sources = benchmark_page.index_sources(partial[partial["year"] == 2025], recorded)
    p = SimpleNamespace(report=p.report, sources=sources)
    text = benchmark_page.sources_text(p)
    assert "Indenrigs- og Boligministeriets socioøkonomiske indeks 2024" in text and "illustrativ" in text


def test_an_excel_file_with_a_title_row(tmp_path):
    path = tmp_path / "socioøkonomisk indeks.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Socioøkonomisk indeks 2025"]]).to_excel(writer, index=False, header=False)
        pd.DataFrame(
            {"Kommune": ["Hele landet", "Syddjurs"], "Socioøkonomisk indeks 2025": [1.0, 0.8904]}
        ).to_excel(writer, index=False, startrow=2)
    df, rows, _, skipped, _ = socioeconomic.read_index(path)
    # a number cell is read as it is; the heading is on the third row, Syddjurs on the fifth
    assert df.iloc[0].tolist() == [706, 2025, pytest.approx(0.8904)]
    assert int(rows[0]) == 5 and skipped == {"hele landet og regioner": 1}


def test_the_command_loads_the_file(tmp_path, capsys):
    from analysis import cli

    warehouse = tmp_path / "own.duckdb"
    assert cli.main(["load", "socioeconomic", str(FIXTURE), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "12 rows of table 'socioeconomic_index' loaded" in out and "analysis undo 1" in out


def test_a_workbook_is_read_from_its_sheet_with_the_index(tmp_path):
    import openpyxl

    path = tmp_path / "indeks.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Om tallene"
    wb.active.append(["Kilde: Indenrigs- og Boligministeriet"])  # the first sheet: it used to be the one read
    ws = wb.create_sheet("Indeks")
    for r in (["Socioøkonomisk indeks 2024"], ["Kommune", "Socioøkonomisk indeks"], ["101 København", 1.05]):
        ws.append(r)
    ws.append(["751 Aarhus", 0.95])
    wb.save(path)
    df, rows, _, _, notes = socioeconomic.read_index(path, year=2024)
    assert df.to_dict("records") == [
        {"municipality_code": 101, "year": 2024, "socioeconomic_index": 1.05},
        {"municipality_code": 751, "year": 2024, "socioeconomic_index": 0.95},
    ]
    assert rows.tolist() == [3, 4] and notes[0] == "read the sheet 'Indeks' of the workbook's 2 sheets"
    wb.copy_worksheet(ws).title = "Indeks 2023"
    wb.save(path)
    with pytest.raises(SchemaError) as e:
        socioeconomic.read_index(path, year=2024)
    assert str(e.value).endswith(
        "found 3 sheets ('Om tallene', 'Indeks', 'Indeks 2023'); 2 of them ('Indeks', 'Indeks 2023') hold an index"
    )


@pytest.mark.parametrize(
    ("lines", "name", "message"),
    [
        (
            ["Kommune;År;Socioøkonomisk indeks", "101;2025;1,05", "751;2024-2025;0,95"],
            "i.csv",
            "i.csv, row 3, column 'År': expected one year in the year column (the year the index is computed for, "
            "e.g. 2025), not a span of years, found '2024-2025'",
        ),
        (
            ["Kommune;År;Socioøkonomisk indeks", "101;2024/25;1,05"],
            "i.csv",
            "i.csv, row 2, column 'År': expected one year in the year column (the year the index is computed for, "
            "e.g. 2025), not a span of years, found '2024/25'",
        ),
        (
            ["Kommune;Socioøkonomisk indeks 2024-2025", "101;1,05"],
            "i.csv",
            "i.csv, column 'Socioøkonomisk indeks 2024-2025': expected one year in a heading (the year the index is "
            "computed for, e.g. 2025), not a span of years, found 'Socioøkonomisk indeks 2024-2025'",
        ),
        (
            ["Kommune;Socioøkonomisk indeks", "101;1,05"],
            "indeks_2024-25.csv",
            "indeks_2024-25.csv: expected one year in the file's name (the year the index is computed for, e.g. "
            "2025), not a span of years; or give it with --year, found 'indeks_2024-25'",
        ),
    ],
)
def test_a_span_of_years_is_refused_not_read_as_its_first_year(tmp_path, lines, name, message):
    # each used to be read as the index of 2024 without a word
    with pytest.raises(SchemaError) as e:
        socioeconomic.read_index(_write(tmp_path, name, lines))
    assert str(e.value) == message


def test_title_lines_are_found_in_a_file_in_any_encoding_the_loader_reads(tmp_path):
    text = FIXTURE.read_bytes().decode("cp1252")  # the fixture is in Windows-1252
    path = tmp_path / "indeks.csv"
    path.write_bytes(text.encode("utf-16"))  # Excel's "Unicode text": the title lines used to be missed
    df, rows, *_ = socioeconomic.read_index(path)
    assert len(df) == 12 and int(rows[0]) == 6  # as the fixture reads (København on line 6)
    # a byte that is no character in Windows-1252 (0x81) on line 4, the heading: refused naming the row, as the
    # loader refuses it (it was a bare UnicodeDecodeError)
    path.write_bytes(text.encode("cp1252").replace(b"Kommune;", b"Kommune\x81;", 1))
    with pytest.raises(SchemaError) as e:
        socioeconomic.read_index(path)
    assert str(e.value).startswith(
        "indeks.csv, row 4, column 'Kommunernes socioøkonomiske indeks': expected text"
    )
    assert str(e.value).endswith("found a byte that is not cp1252")
