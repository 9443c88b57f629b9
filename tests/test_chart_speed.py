"""What makes the charts cheaper changes no pixel: font metrics and text layouts kept per render, tick labels kept,
the tight layout on that renderer, and matplotlib's own path on versions not checked."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.patheffects as path_effects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from PIL import Image  # noqa: E402

from analysis.reporting import charts  # noqa: E402


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():
        charts.set_style(retina=False)
        yield
    plt.close("all")


def _texts_of_every_kind():
    """Titles (bold, two lines), labels, a legend, annotations with a halo, rotated and multi-line tick labels."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.7, 3.2))
    ax1.plot([2019, 2020, 2021], [1.5e6, 2.5e6, 2.0e6], marker="o", label="Syddjurs")
    ax1.plot([2019, 2020, 2021], [1.0e6, 1.2e6, 1.9e6], label="Sammenligningskommuner")
    ax1.set_title("Pris pr. helårsperson\n(t.kr.)", fontsize=9.5)
    ax1.legend(loc="best", fontsize=8)
    charts.dkk_axis(ax1, unit="t", label=False)
    ax1.annotate(
        "Århus",
        (2020, 2.5e6),
        xytext=(5, 2),
        textcoords="offset points",
        fontsize=7.5,
        fontweight="bold",
        path_effects=[path_effects.withStroke(linewidth=2.5, foreground="white")],
    )
    ax2.bar(range(3), [3.0, -1.0, 2.0])
    ax2.set_xticks(
        range(3), ["Ved sammenlignings-\nkommunernes\npris", "Priseffekt", "Mængdeeffekt"], rotation=20
    )
    ax2.set_xlabel("Trin")
    charts.number_axis(ax2)
    fig.suptitle("Øverst", fontsize=10.5)
    fig.tight_layout()
    plt.close(fig)
    return fig


def test_font_line_metrics_kept_per_render_change_no_pixel(monkeypatch):
    # The renderer of figure_png gives matplotlib each font's ascent, descent and line gap from a table kept for the
    # render instead of reading the font's tables at every layout; the PNG must be the same, byte for byte.
    fig = _texts_of_every_kind()
    calls = []
    original = charts._FontHeights.__call__

    def counting(self, prop):
        calls.append(prop.get_size_in_points())
        return original(self, prop)

    monkeypatch.setattr(charts._FontHeights, "__call__", counting)
    with_table = charts.figure_png(fig)
    if matplotlib.__version__.startswith(charts._FONT_HEIGHTS_CHECKED):
        assert len(calls) >= 10  # asked for every text laid out (its layout then kept for the render)
        assert {7.5, 8.0, 8.5, 9.5, 10.5} <= set(calls)  # the annotation, legend, ticks, title, suptitle
    monkeypatch.setattr(
        charts, "_CANVAS", [FigureCanvasAgg]
    )  # matplotlib's own canvas: reads the fonts itself
    assert charts.figure_png(fig) == with_table
    assert charts.figure_png(_texts_of_every_kind()) == with_table  # and the figure was left as it was


def test_font_line_metrics_follow_the_dpi_and_the_font():
    # 10 pt at 192 dpi is 10 * 192 / 72 = 26.67 px; the ascent is the font's sTypoAscender in those units
    from matplotlib.font_manager import FontProperties, fontManager, get_font

    fig = plt.figure(dpi=192)
    heights = charts._FontHeights(fig)
    prop = FontProperties(size=10)
    font = get_font(fontManager._find_fonts_by_props(prop))
    ascender = font.get_sfnt_table("OS/2")["sTypoAscender"]
    em = font.get_sfnt_table("head")["unitsPerEm"]
    ascent, descent, gap = heights(prop)
    assert ascent == pytest.approx(ascender / em * 10 * 192 / 72)
    assert descent > 0 and gap >= 0
    prop.set_size(20)  # the same object, changed: not the 10 pt entry
    assert heights(prop)[0] == pytest.approx(2 * ascent)
    fig.dpi = 96  # and at half the dpi, half the pixels
    assert heights(FontProperties(size=10))[0] == pytest.approx(ascent / 2)


def test_tick_labels_kept_per_formatter_follow_its_ticks_and_scale():
    # the decimals follow the ticks shown with them: 0, 2.5 and 5 mio. need one decimal, 0, 1, 2 mio. none
    f = charts.danish_formatter(scale=1e6)
    assert f.format_ticks([0, 2_500_000, 5_000_000]) == ["0,0", "2,5", "5,0"]
    assert f.format_ticks([0, 1_000_000, 2_000_000]) == ["0", "1", "2"]
    assert f.format_ticks([0, 2_500_000, 5_000_000]) == ["0,0", "2,5", "5,0"]  # the kept labels, again
    f.scale = 1e3  # thousands now: 1,000,000 / 1,000 = 1.000
    assert f.format_ticks([0, 1_000_000, 2_000_000]) == ["0", "1.000", "2.000"]
    assert f(float("nan")) == "" and f(1_500_000) == "1.500"
    p = charts.danish_formatter(scale=0.01, suffix=" %")  # fractions as per cent: 0.125 -> 12,5 %
    assert p.format_ticks([0.1, 0.125, 0.15]) == ["10,0 %", "12,5 %", "15,0 %"]


def _same_text_many_ways():
    """One word at two sizes, bold, rotated, aligned three ways, on two lines: texts a kept layout must tell apart."""
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    for i, kwargs in enumerate(
        [
            {},
            {"fontsize": 12},
            {"fontweight": "bold"},
            {"rotation": 30},
            {"rotation": 30, "rotation_mode": "anchor"},
            {"ha": "right"},
            {"ha": "center", "va": "top"},
            {"linespacing": 2.0},
        ]
    ):
        ax.text(0.1 * i, 0.1 * i, "Aarhus\nKommune" if "linespacing" in kwargs else "Aarhus", **kwargs)
    ax.set_title("Aarhus")
    plt.close(fig)
    return fig


@pytest.mark.parametrize("make", [_texts_of_every_kind, _same_text_many_ways])
def test_text_layouts_kept_per_render_change_no_pixel(monkeypatch, make):
    fig = make()
    asked = []
    original = charts._FontHeights.__call__
    monkeypatch.setattr(
        charts._FontHeights, "__call__", lambda self, prop: asked.append(1) or original(self, prop)
    )
    kept = charts.figure_png(fig)
    laid_out = len(asked)
    asked.clear()
    monkeypatch.setattr(
        charts, "_layout_key", lambda text: None
    )  # no layout kept: matplotlib's own, every time
    assert charts.figure_png(fig) == kept
    if matplotlib.__version__.startswith(charts._FONT_HEIGHTS_CHECKED):
        # each layout asks for the font's line metrics once: kept, the texts are laid out fewer times
        assert 0 < laid_out < len(asked)


def test_a_layout_is_kept_only_for_the_same_text_font_alignment_rotation_and_dpi():
    from matplotlib.text import Text

    fig = plt.figure(dpi=96)
    a = Text(0, 0, "Aarhus")
    a.set_figure(fig)
    key = charts._layout_key(a)
    b = Text(5, 7, "Aarhus")  # elsewhere: the same layout (the position is added by matplotlib's callers)
    b.set_figure(fig)
    assert charts._layout_key(b) == key
    for change in (
        lambda t: t.set_text("Århus"),
        lambda t: t.set_fontsize(12),
        lambda t: t.set_fontweight("bold"),
        lambda t: t.set_ha("right"),
        lambda t: t.set_va("top"),
        lambda t: t.set_rotation(30),
        lambda t: t.set_rotation_mode("anchor"),
        lambda t: t.set_linespacing(2),
        lambda t: t.set_multialignment("right"),
    ):
        c = Text(0, 0, "Aarhus")
        c.set_figure(fig)
        change(c)
        assert charts._layout_key(c) != key
    fig.dpi = 192
    assert charts._layout_key(a) != key
    a.set_wrap(True)  # its lines depend on where it is: never kept
    assert charts._layout_key(a) is None


def test_tight_layout_places_the_axes_as_matplotlibs():
    fig, twin = _texts_of_every_kind(), _texts_of_every_kind()  # both laid out once by fig.tight_layout()
    for f in (fig, twin):
        f.subplots_adjust(left=0.3, right=0.7)  # undone by the layout below
    canvas = fig.canvas
    charts.tight_layout(fig)
    twin.tight_layout()
    assert fig.canvas is canvas  # left on its canvas
    assert [ax.get_position().bounds for ax in fig.axes] == [ax.get_position().bounds for ax in twin.axes]
    assert fig.subplotpars.left != 0.3
    assert charts.figure_png(fig) == charts.figure_png(twin)


def test_other_matplotlib_versions_take_matplotlibs_own_path(monkeypatch):
    fig = _same_text_many_ways()
    kept = charts.figure_png(fig)
    monkeypatch.setattr(charts, "_CANVAS", [])
    monkeypatch.setattr(matplotlib, "__version__", "3.99.0")  # not checked
    assert charts._agg_canvas() is FigureCanvasAgg
    png, size = charts.figure_png(fig)
    assert size == kept[1]
    # the same pixels (the PNG's text names the matplotlib version)
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(png))), np.asarray(Image.open(io.BytesIO(kept[0])))
    )
    renderer = FigureCanvasAgg(fig).get_renderer()
    assert not hasattr(renderer, "_analysis_layouts") and not hasattr(renderer, "_get_font_height_metrics")


def _with_mathtext():
    fig = _same_text_many_ways()
    ax = fig.axes[0]
    ax.set_xlabel(r"Areal (m$^2$)")  # mathtext: matplotlib's own path
    ax.legend(["Aarhus"], loc="lower right")
    return fig


def test_texts_kept_for_the_process_change_no_pixel(monkeypatch):
    fig = _with_mathtext()
    charts._KEPT_TEXT.clear()
    first = charts.figure_png(fig)
    kept = dict(charts._KEPT_TEXT)
    assert charts.figure_png(fig) == first  # every text measured and shaped before: taken from what was kept
    assert kept == charts._KEPT_TEXT  # nothing new to keep
    if matplotlib.__version__.startswith(charts._FONT_HEIGHTS_CHECKED):
        kinds = {key[0] for key in kept}
        assert kinds == {"measure", "glyphs"}
        assert not any("$" in key[5] for key in kept)  # the mathtext was left to matplotlib
        assert {key[4] for key in kept} == {192}  # the dpi of figure_png's render
    monkeypatch.setattr(
        charts, "_TextEngine", lambda renderer: None
    )  # matplotlib's own measuring and drawing
    assert charts.figure_png(fig) == first


def test_texts_kept_follow_the_hinting_rcparam(monkeypatch):
    fig = _same_text_many_ways()
    default = charts.figure_png(fig)
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        unhinted = charts.figure_png(fig)  # kept texts of the default hinting not taken
        monkeypatch.setattr(charts, "_TextEngine", lambda renderer: None)
        assert charts.figure_png(fig) == unhinted
    assert unhinted != default


@pytest.mark.parametrize("make", [_texts_of_every_kind, _with_mathtext])
def test_ticks_kept_per_render_change_no_pixel(monkeypatch, make):
    fig = make()
    kept = charts.figure_png(fig)
    monkeypatch.setattr(
        charts, "_ticks_key", lambda axis: object()
    )  # never the same: worked out at every call
    assert charts.figure_png(fig) == kept


def test_ticks_are_kept_only_within_a_render_and_for_the_same_view():
    charts._agg_canvas()  # installs the memo where checked
    fig, ax = plt.subplots()
    ax.set_xlim(0, 10)
    with charts._kept_ticks():
        first = ax.xaxis._update_ticks()
        assert ax.xaxis._update_ticks() == first  # the same ticks
        ax.set_xlim(0, 1)  # another view: worked out again, 0 to 1 in steps of 0.2
        assert [t.get_loc() for t in ax.xaxis._update_ticks()] == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlim(0, 10)
    assert [t.get_loc() for t in ax.xaxis._update_ticks()] == pytest.approx([0, 2, 4, 6, 8, 10])
    assert charts._TICKS.renders == []  # nothing kept after the render


def test_texts_and_ticks_are_kept_per_thread():
    import threading

    fig = _same_text_many_ways()
    here = charts.figure_png(fig)
    there = []
    worker = threading.Thread(target=lambda: there.append(charts.figure_png(fig)))
    worker.start()
    worker.join()
    assert there == [here]
    if matplotlib.__version__.startswith(charts._FONT_HEIGHTS_CHECKED):
        threads = {
            key[2][0] for key in charts._KEPT_TEXT
        }  # the glyphs of one thread's fonts are not another's
        assert {threading.get_ident(), worker.ident} <= threads
