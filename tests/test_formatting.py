"""Danish formatting helpers: expectations computed by hand."""

from __future__ import annotations

import datetime as dt
import doctest
import re
from decimal import Decimal
from functools import partial

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from analysis.reporting import formatting
from analysis.reporting.formatting import (
    FIGSIZE,
    MONTHS_DA,
    MONTHS_DA_SHORT,
    NA,
    OWN_COLOUR,
    PALETTE,
    PEER_COLOUR,
    dkk_axis,
    fmt_date,
    fmt_dkk,
    fmt_month,
    fmt_number,
    fmt_pct,
    number_axis,
    pct_axis,
    set_style,
    table_html,
)

# --- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (1234567, 0, "1.234.567"),
        (-1234.56, 1, "-1.234,6"),
        (1234.5, 1, "1.234,5"),
        (0, 0, "0"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
        (-1000000, 0, "-1.000.000"),
        (0.5, 2, "0,50"),
        (np.int64(12345), 0, "12.345"),
        (np.float64(1234.25), 2, "1.234,25"),
        (Decimal("1234.5"), 1, "1.234,5"),
        (True, 0, "1"),
    ],
)
def test_fmt_number(x, decimals, expected):
    assert fmt_number(x, decimals) == expected


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        # Half away from zero, on the number as written (Python's round() would give 0, 2, -2, 1,00, 0,1).
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (1.005, 2, "1,01"),
        (0.15, 1, "0,2"),
        (1234.45, 1, "1.234,5"),
        (0.449, 1, "0,4"),
    ],
)
def test_fmt_number_rounds_half_away_from_zero(x, decimals, expected):
    assert fmt_number(x, decimals) == expected


def test_fmt_number_no_negative_zero():
    assert fmt_number(-0.04, 1) == "0,0"
    assert fmt_number(-0.4) == "0"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT, float("inf"), -np.inf])
def test_missing_values_show_dash(missing):
    assert NA == "–"
    assert fmt_number(missing) == "–"
    assert fmt_dkk(missing) == "–"
    assert fmt_pct(missing) == "–"
    assert fmt_number(missing, na="") == ""


def test_fmt_number_rejects_text():
    with pytest.raises(TypeError):
        fmt_number("1234")


@pytest.mark.parametrize(
    ("x", "kwargs", "expected"),
    [
        (1_234_500_000, {}, "1.234,5 mio. kr."),
        (1_234_560_000, {"decimals": 2}, "1.234,56 mio. kr."),
        (-2_500_000, {}, "-2,5 mio. kr."),
        (1_234_400, {"unit": "t"}, "1.234 t.kr."),
        (1_234_500, {"unit": "t"}, "1.235 t.kr."),
        (1234, {"unit": "kr"}, "1.234 kr."),
        (5_600_000_000, {"unit": "mia"}, "5,6 mia. kr."),
        (680_000, {"unit": "mio", "decimals": 2}, "0,68 mio. kr."),
    ],
)
def test_fmt_dkk(x, kwargs, expected):
    assert fmt_dkk(x, **kwargs) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (1_249_999, "+1,2 mio. kr."),  # 1,249999 mio. rounds to 1,2: positive, '+'
        (-400_000, "-0,4 mio. kr."),  # hyphen-minus, as every negative number
        (1_250_000, "+1,3 mio. kr."),  # 1,25 rounds half away from zero
        (49_999, "0,0 mio. kr."),  # rounds to 0,0: no '+0,0'
        (-49_999, "0,0 mio. kr."),  # nor '-0,0'
        (float("nan"), "–"),
    ],
)
def test_fmt_dkk_signed(x, expected):
    assert fmt_dkk(x, sign=True) == expected


def test_sign_option_of_numbers_and_percentages():
    assert fmt_number(1234.56, 1, sign=True) == "+1.234,6"
    assert fmt_number(-3, sign=True) == "-3"
    assert fmt_number(0.4, sign=True) == "0"  # rounds to 0
    assert fmt_pct(0.0349, sign=True) == "+3,5 %"  # 3,49 % -> 3,5
    assert fmt_pct(-0.12, 0, sign=True) == "-12 %"
    assert fmt_dkk(12_345, unit="t", sign=True) == "+12 t.kr."
    assert fmt_dkk(1.0e6) == "1,0 mio. kr."  # unsigned by default


def test_fmt_dkk_unknown_unit():
    with pytest.raises(ValueError, match="unit"):
        fmt_dkk(1, unit="euro")


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (0.123, 1, "12,3 %"),
        (0.5, 0, "50 %"),
        (1.2345, 2, "123,45 %"),
        (-0.05, 1, "-5,0 %"),
        (0.00125, 1, "0,1 %"),
    ],
)
def test_fmt_pct(x, decimals, expected):
    assert fmt_pct(x, decimals) == expected


# --- dates ------------------------------------------------------------------------------------------


def test_months():
    assert len(MONTHS_DA) == 12 and len(MONTHS_DA_SHORT) == 12
    assert MONTHS_DA[0] == "januar" and MONTHS_DA[2] == "marts" and MONTHS_DA[4] == "maj"
    assert all(m == m.lower() for m in MONTHS_DA + MONTHS_DA_SHORT)
    assert MONTHS_DA_SHORT[0] == "jan." and MONTHS_DA_SHORT[4] == "maj"


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (dt.date(2026, 11, 22), "22. november 2026"),
        (dt.date(2025, 1, 1), "1. januar 2025"),
        (dt.datetime(2024, 3, 5, 23, 59), "5. marts 2024"),
        (pd.Timestamp("2024-12-31"), "31. december 2024"),
        ("2025-05-17", "17. maj 2025"),
        (None, "–"),
        (pd.NaT, "–"),
    ],
)
def test_fmt_date(d, expected):
    assert fmt_date(d) == expected


def test_fmt_month():
    assert fmt_month(2025, 1) == "januar 2025"
    assert fmt_month(2025, 12) == "december 2025"
    assert fmt_month(dt.date(2024, 10, 3)) == "oktober 2024"
    assert fmt_month(pd.Period("2023-06", freq="M")) == "juni 2023"
    assert fmt_month("2025-02") == "februar 2025"
    assert fmt_month(2025, 1, short=True) == "jan. 2025"
    assert fmt_month(2025, 5, short=True) == "maj 2025"
    with pytest.raises(ValueError):
        fmt_month(2025, 13)


# --- charts -----------------------------------------------------------------------------------------


def _axes():
    return Figure().subplots()


def test_dkk_axis_ticks_in_millions():
    ax = dkk_axis(_axes())
    fmt = ax.yaxis.get_major_formatter()
    assert fmt.format_ticks([0, 500_000, 1_000_000, 1_500_000]) == ["0,0", "0,5", "1,0", "1,5"]
    assert fmt.format_ticks([0, 250_000_000, 500_000_000, 1_250_000_000]) == ["0", "250", "500", "1.250"]
    assert ax.get_ylabel() == "mio. kr."


def test_dkk_axis_options():
    ax = dkk_axis(_axes(), axis="x", unit="t", decimals=1, label="Udgift pr. helårsperson")
    assert ax.xaxis.get_major_formatter()(712_340) == "712,3"
    assert ax.get_xlabel() == "Udgift pr. helårsperson (t.kr.)"
    ax = _axes()
    ax.set_ylabel("Egen tekst")
    dkk_axis(ax, label=False)
    assert ax.get_ylabel() == "Egen tekst"
    with pytest.raises(ValueError):
        dkk_axis(_axes(), unit="euro")
    with pytest.raises(ValueError):
        dkk_axis(_axes(), axis="z")


def test_axis_labels_drawn():
    fig = Figure(figsize=FIGSIZE)
    ax = fig.subplots()
    ax.plot([0, 1, 2], [0, 1_500_000, 3_000_000])
    dkk_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "1,5" in labels  # ticks every 0.5 million: Danish decimal comma, not '1.5'
    assert all(re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?", s) for s in labels), labels


def test_number_and_pct_axis():
    ax = number_axis(_axes(), decimals=0)
    assert ax.yaxis.get_major_formatter()(1234567) == "1.234.567"
    ax = number_axis(_axes(), axis="both")
    assert ax.xaxis.get_major_formatter().format_ticks([0.0, 0.2, 0.4]) == ["0,0", "0,2", "0,4"]
    assert ax.yaxis.get_major_formatter().format_ticks([0, 1000, 2000]) == ["0", "1.000", "2.000"]
    ax = pct_axis(_axes())
    labels = ax.yaxis.get_major_formatter().format_ticks([0.0, 0.125, 0.25])
    assert labels == ["0,0 %", "12,5 %", "25,0 %"]


def test_set_style():
    import matplotlib as mpl

    with mpl.rc_context():
        set_style()
        assert tuple(mpl.rcParams["figure.figsize"]) == FIGSIZE
        colours = [to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
        assert colours[: len(PALETTE)] == [c.lower() for c in PALETTE]
        assert mpl.rcParams["axes.formatter.use_locale"] is False
    assert OWN_COLOUR in PALETTE and PEER_COLOUR not in PALETTE
    assert 6.5 <= FIGSIZE[0] <= 7.0  # A4 text width in inches


def test_set_style_is_seaborns_whitegrid_notebook_theme_without_importing_seaborn():
    # the written-out theme is exactly what seaborn 0.13's set_theme(context="notebook", style="whitegrid") sets
    # (but its colour map, which only seaborn registers), and set_style does not import seaborn (nor scipy)
    import subprocess
    import sys

    import seaborn as sns

    from analysis.reporting import charts

    theirs = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}
    del theirs["image.cmap"]
    assert theirs == charts._WHITEGRID_NOTEBOOK
    code = (
        "import os, sys; os.environ['MPLBACKEND'] = 'agg'\n"
        "from analysis.reporting.formatting import set_style\n"
        "set_style(retina=False)\n"
        "import matplotlib as mpl\n"
        "print(sorted(m for m in ('seaborn', 'scipy') if m in sys.modules), mpl.rcParams['axes.edgecolor'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "#8a949e"]  # ours overrides seaborn's '.8'


def test_set_style_sets_what_seaborns_theme_and_ours_set():
    import matplotlib as mpl
    import seaborn as sns

    with mpl.rc_context():
        set_style(retina=False)
        ours = dict(mpl.rcParams)
    with mpl.rc_context():
        sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
        mpl.rcParams["image.cmap"] = ours["image.cmap"]
        set_style(
            retina=False
        )  # our settings on top of seaborn's (set_style before it stopped importing seaborn)
        theirs = dict(mpl.rcParams)
    assert ours == theirs


# --- tables -----------------------------------------------------------------------------------------


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "Kommune": ["Aarhus", "Odense <&> Co", None],
            "År": [2024, 2025, 2025],
            "Udgift": [1_234_500_000.0, 2_000_000.0, np.nan],
            "Personer": [1200, 35, 7],
            "Andel": [0.123, 0.5, 0.01],
        }
    )


def _cells(html: str, tag: str = "td") -> list[tuple[str, str]]:
    return re.findall(rf"<{tag}(\s[^>]*)?>(.*?)</{tag}>", html)


def test_table_html_formats_and_aligns(frame):
    html = table_html(frame, formats={"Udgift": fmt_dkk, "Andel": partial(fmt_pct, decimals=0)})
    assert html.startswith('<table class="report-table">') and html.endswith("</table>")
    cells = _cells(html)
    first_row = [text for _attrs, text in cells[:5]]
    assert first_row == ["Aarhus", "2024", "1.234,5 mio. kr.", "1.200", "12 %"]
    # numbers right-aligned, text left-aligned, headers too
    for attrs, text in cells:
        if text and text[0].isdigit() or text == "–":
            assert "text-align: right" in attrs and 'class="num"' in attrs
    assert "text-align: left" in cells[0][0]
    headers = dict((text, attrs) for attrs, text in _cells(html, "th"))
    assert "text-align: right" in headers["Udgift"] and "text-align: left" in headers["Kommune"]
    # missing number shows the dash, missing text an empty cell
    last_row = [text for _attrs, text in cells[10:15]]
    assert last_row == ["", "2025", "–", "7", "1 %"]
    assert "<thead>" in html and "<tbody>" in html
    assert "index" not in html  # no pandas index by default


def test_table_html_default_number_formats(frame):
    html = table_html(frame)
    texts = [text for _attrs, text in _cells(html)]
    assert "1.234.500.000" in texts and "2.000.000" in texts  # whole floats: no decimals
    assert "0,1" in texts and "0,5" in texts  # other floats: one decimal
    assert "2024" in texts  # a year column keeps no thousands separator


def test_table_html_escapes_text_and_caption(frame):
    html = table_html(frame.rename(columns={"Andel": "Andel <i>"}), caption="Tabel 1 & 2 <script>")
    assert "Odense &lt;&amp;&gt; Co" in html
    assert "<caption>Tabel 1 &amp; 2 &lt;script&gt;</caption>" in html
    assert "Andel &lt;i&gt;" in html
    assert "<script>" not in html and "<i>" not in html


def test_table_html_index_and_options(frame):
    indexed = frame.set_index("Kommune")
    html = table_html(indexed, index=True)
    assert '<th scope="row" style="text-align: left">Aarhus</th>' in html
    assert '<th scope="col" style="text-align: left">Kommune</th>' in html
    plain = table_html(frame, numeric_align_right=False)
    assert "text-align" not in plain
    with pytest.raises(KeyError):
        table_html(frame, formats={"Ukendt": str})


def test_doctests():
    from analysis import danish
    from analysis.reporting import charts, html

    results = [doctest.testmod(m, optionflags=doctest.ELLIPSIS) for m in (danish, charts, html)]
    assert sum(r.attempted for r in results) > 10 and sum(r.failed for r in results) == 0


def test_formatting_gathers_the_three_modules():
    from analysis import danish
    from analysis.reporting import charts, html

    for module in (danish, charts, html):
        for name in module.__all__:
            assert getattr(formatting, name) is getattr(module, name), name


def _font_named(family: str, folder) -> str:
    """matplotlib's DejaVu Sans with its family renamed (fontTools): a font file of ``family`` on any machine."""
    from pathlib import Path

    import matplotlib
    from fontTools.ttLib import TTFont

    font = TTFont(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    for record in font["name"].names:
        if record.nameID in (1, 16):  # family, typographic family
            record.string = family
    path = str(folder / "renamed.ttf")
    font.save(path)
    return path


def test_a_preferred_font_installed_after_matplotlib_cached_its_font_list_is_used(monkeypatch, tmp_path):
    from matplotlib import font_manager

    from analysis.reporting import charts

    # matplotlib's cached list as a stale cache has it: no Helvetica Neue, Arial or Liberation Sans
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in charts._FONT_PREFERENCE[:-1]]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", list(stale))
    monkeypatch.setattr(charts, "_SYSTEM_FONTS_ADDED", [])
    installed = _font_named("Liberation Sans", tmp_path)
    (tmp_path / "other").mkdir()
    other = _font_named("Some Other Sans", tmp_path / "other")  # a font of a family not preferred
    (tmp_path / "notes.txt").write_text("not a font")
    monkeypatch.setattr(
        font_manager, "findSystemFonts", lambda *a, **k: [other, installed, str(tmp_path / "notes.txt")]
    )
    try:
        assert charts._available_fonts() == ["Liberation Sans", "DejaVu Sans"]
        added = [f for f in font_manager.fontManager.ttflist if f not in stale]
        assert [(f.name, f.fname) for f in added] == [("Liberation Sans", installed)]
        # looked through once per process: a second call does not scan again
        monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: pytest.fail("scanned again"))
        assert charts._available_fonts() == ["Liberation Sans", "DejaVu Sans"]
    finally:
        font_manager.fontManager._findfont_cached.cache_clear()  # the stale list's lookups are forgotten


def test_the_system_fonts_are_not_scanned_when_matplotlib_knows_a_preferred_font(monkeypatch, tmp_path):
    from matplotlib import font_manager

    from analysis.reporting import charts

    path = _font_named("Arial", tmp_path)
    known = [f for f in font_manager.fontManager.ttflist if f.name not in charts._FONT_PREFERENCE[:-1]]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", known)
    monkeypatch.setattr(charts, "_SYSTEM_FONTS_ADDED", [])
    font_manager.fontManager.addfont(path)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: pytest.fail("scanned"))
    try:
        assert charts._available_fonts() == ["Arial", "DejaVu Sans"]
    finally:
        font_manager.fontManager._findfont_cached.cache_clear()


def test_the_danish_clock_dates_a_moment_just_after_23_utc_to_the_next_day(monkeypatch):
    from zoneinfo import ZoneInfoNotFoundError

    from analysis import danish

    moment = dt.datetime(2026, 12, 3, 23, 5, tzinfo=dt.UTC)  # 00.05 on 4 December in Copenhagen (CET, UTC+1)
    copenhagen = danish.danish_clock(moment)
    assert (copenhagen.date(), f"{copenhagen:%H.%M}") == (dt.date(2026, 12, 4), "00.05")
    assert copenhagen == moment  # the same instant
    # in summer (CEST, UTC+2) the day turns at 22.00 UTC
    assert danish.danish_clock(dt.datetime(2026, 7, 3, 21, 55, tzinfo=dt.UTC)).date() == dt.date(2026, 7, 3)
    assert danish.danish_clock(dt.datetime(2026, 7, 3, 22, 5, tzinfo=dt.UTC)).date() == dt.date(2026, 7, 4)
    naive = dt.datetime(2026, 12, 3, 23, 5)
    assert danish.danish_clock(naive) is naive  # no zone: taken as it is

    # without a time zone database, the moment as the machine's clock gave it (as the run index does)
    def no_database(name):
        raise ZoneInfoNotFoundError(name)

    monkeypatch.setattr(danish, "ZoneInfo", no_database)
    assert danish.danish_clock(moment) is moment and danish.danish_clock(moment).date() == dt.date(
        2026, 12, 3
    )
    monkeypatch.undo()
    assert doctest.testmod(danish).failed == 0
