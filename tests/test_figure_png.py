"""figure_png: the reports' figures as IPython's retina PNG, rendered once and without an alpha channel."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from IPython.core.pylabtools import retina_figure  # noqa: E402
from PIL import Image  # noqa: E402

from analysis.reporting import charts  # noqa: E402


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():
        charts.set_style(retina=False)  # the reports' style: 96 dpi, white, savefig.pad_inches 0.1
        yield
    plt.close("all")


def _legend_right_labels_below():
    """Like the yearly-effects chart: a legend right of the axes, beyond the figure, and tick labels below it."""
    fig, ax = plt.subplots(figsize=(6.7, 2.9))
    ax.bar([2020, 2021, 2022], [1.0, -2.0, 3.0], label="Priseffekt")
    ax.plot([2020, 2021, 2022], [0.5, 1.5, -1.0], marker="o", label="Forskel i alt")
    ax.set_xlabel("År")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    plt.close(fig)
    return fig


def _two_panels_tight_layout():
    """Like the yearly-levels chart: two panels, laid out once with tight_layout."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.7, 3.0))
    ax1.plot([1, 2, 3], [3, 1, 2])
    ax1.set_title("Pris pr. helårsperson\n(t.kr.)")
    ax2.plot([1, 2, 3], [1, 2, 4])
    fig.tight_layout()
    plt.close(fig)
    return fig


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _best_shift_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two same-sized images, at the best shift of b by at most one pixel."""
    h, w, _ = a.shape
    best = np.inf
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            pa = a[1 : h - 1, 1 : w - 1]
            pb = b[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx]
            best = min(best, float(np.abs(pa - pb).mean()))
    return best


@pytest.mark.parametrize("make", [_legend_right_labels_below, _two_panels_tight_layout])
def test_the_same_picture_as_ipythons_retina_png(make):
    fig = make()
    old, old_size = retina_figure(fig)
    new, new_size = charts.figure_png(fig)
    image = Image.open(io.BytesIO(new))
    assert image.mode == "RGB"  # no alpha channel: every pixel of a white figure is opaque
    assert (
        new_size == old_size
    )  # shown at the same size: the PNG is cut to what the figure draws, padded as before
    assert image.size == Image.open(io.BytesIO(old)).size
    a, b = _pixels(old), _pixels(new)
    # The same picture, at most half a pixel (1/384 inch) from where matplotlib's second render puts it; a crop
    # off by a pixel or more, or anything missing, gives differences of tens
    assert _best_shift_difference(a, b) < 1.5


def test_it_renders_once_and_leaves_the_figure_as_it_was(monkeypatch):
    fig = _two_panels_tight_layout()
    artists, engine = list(fig.artists), fig.get_layout_engine()
    draws = []
    original = type(fig).draw

    def counting(self, renderer):
        draws.append(renderer)
        return original(self, renderer)

    monkeypatch.setattr(type(fig), "draw", counting)
    charts.figure_png(fig)
    assert len(draws) == 1  # matplotlib's "tight" savefig draws twice (retina_figure: 2)
    assert fig.artists == artists and fig.get_layout_engine() is engine
    draws.clear()
    retina_figure(fig)
    assert len(draws) == 2


def test_a_transparent_figure_keeps_its_alpha_channel():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2])
    fig.patch.set_alpha(0)
    png, _ = charts.figure_png(fig)
    assert Image.open(io.BytesIO(png)).mode == "RGBA"


def test_a_figure_drawing_beyond_the_margin_is_rendered_as_ipython_does():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2], [1, 2])
    fig.text(
        1.6, 0.5, "langt ude"
    )  # 1.6 x 4 in = 6.4 in: 2.4 in right of the figure, beyond the 1.5 in margin
    assert charts.figure_png(fig) == retina_figure(fig)


def test_an_empty_figure_gives_nothing():
    fig = plt.figure()
    assert charts.figure_png(fig) is None


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    import struct

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, []
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        out.append((kind, png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def test_encode_png_writes_opaque_pixels_as_rgb_rows_unfiltered():
    import zlib

    # a 2 x 2 canvas cut out of a 3 x 3 one (a view, as figure_png passes the renderer's buffer)
    canvas = np.zeros((3, 3, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[0, 1, :3] = (255, 0, 0)  # red at row 0, column 1
    canvas[1, 2, :3] = (0, 0, 255)  # blue at row 1, column 2
    png = charts.encode_png(canvas[:2, 1:], dpi=192)
    chunks = _chunks(png)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"tEXt", b"pHYs", b"IDAT", b"IEND"]
    # 2 x 2 pixels, 8 bits, colour type 2 (RGB), no interlacing
    assert chunks[0][1] == b"\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00"
    assert chunks[1][1].startswith(b"Software\x00Matplotlib version")
    # 192 dpi = 192 / 0.0254 = 7559.06 pixels per metre -> 7559 = 0x1d87, unit metre
    assert chunks[2][1] == b"\x00\x00\x1d\x87\x00\x00\x1d\x87\x01"
    # each row: filter byte 0, then the pixels' RGB
    rows = zlib.decompress(chunks[3][1])
    assert rows == b"\x00" + bytes([255, 0, 0, 0, 0, 0]) + b"\x00" + bytes([0, 0, 0, 0, 0, 255])
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB" and image.info["dpi"] == pytest.approx((192, 192), abs=0.01)
    assert np.array_equal(np.asarray(image), canvas[:2, 1:, :3])
    assert charts.encode_png(canvas[:2, 1:].copy(), dpi=192) == png  # the same pixels, the same bytes


def test_encode_png_keeps_the_alpha_channel_of_a_transparent_pixel():
    pixels = np.full((1, 2, 4), 255, dtype=np.uint8)
    pixels[0, 1] = (10, 20, 30, 128)
    image = Image.open(io.BytesIO(charts.encode_png(pixels, dpi=96)))
    assert image.mode == "RGBA"
    assert np.array_equal(np.asarray(image), pixels)


def test_figure_png_is_about_as_small_as_pillows_png():
    # zlib level 3 without row filters against Pillow's level 6 with a filter chosen per row: charts are runs of
    # flat colours, so within a fifth of the size (about 1 % larger on the reports' charts)
    png, _ = charts.figure_png(_legend_right_labels_below())
    again = io.BytesIO()
    Image.open(io.BytesIO(png)).save(again, format="png")
    assert len(png) < 1.2 * len(again.getvalue())


@pytest.mark.parametrize("make", [_legend_right_labels_below, _two_panels_tight_layout])
def test_saved_png_is_the_picture_savefig_saves(make):
    # figure_html's PNG: matplotlib's render (tight, as savefig.bbox says), the same pixels to the last one
    fig = make()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=192)
    png = charts.saved_png(fig, dpi=192)
    assert Image.open(io.BytesIO(png)).mode == "RGB"  # savefig's RGBA, every pixel opaque
    saved = np.asarray(Image.open(buf).convert("RGB"))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), saved)
    assert charts.saved_png(fig, dpi=192) == png  # deterministic, and the figure was left as it was


def test_saved_png_of_a_transparent_savefig_is_savefigs_own():
    fig = _two_panels_tight_layout()
    with matplotlib.rc_context({"savefig.transparent": True}):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        assert charts.saved_png(fig, dpi=100) == buf.getvalue()


def test_encode_png_filters_rows_up_where_that_compresses_better():
    import zlib

    # diagonal stripes of every grey: each row is the one above shifted by a pixel, so "up" leaves a few values
    # repeated, unfiltered rows are all different
    grey = (np.add.outer(np.arange(64), np.arange(64)) * 37 % 256).astype(np.uint8)
    pixels = np.empty((64, 64, 4), dtype=np.uint8)
    pixels[..., :3] = grey[..., None]
    pixels[..., 3] = 255
    png = charts.encode_png(pixels, dpi=96)
    rows = zlib.decompress(_chunks(png)[3][1])
    assert rows[:: 1 + 64 * 3][:64] == b"\x02" * 64  # every row's filter byte: up
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels[..., :3])
    flat = np.full((64, 64, 4), 255, dtype=np.uint8)  # white: unfiltered
    assert zlib.decompress(_chunks(charts.encode_png(flat, dpi=96))[3][1])[0] == 0
