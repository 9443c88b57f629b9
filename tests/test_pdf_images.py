"""The charts in a report's PDF: an RGB PNG's compressed pixels go into the PDF as they are: the same picture."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from analysis.reporting import charts, render  # noqa: E402


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(depth: int, colour: int, interlace: int, rows: bytes, extra: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", 2, 1, depth, colour, 0, 0, interlace)  # 2 x 1 pixels
    data = zlib.compress(rows)
    # two IDAT chunks: a PNG may split its data anywhere; the pixels are their concatenation
    return (
        render._PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + extra
        + _chunk(b"IDAT", data[:5])
        + _chunk(b"IDAT", data[5:])
        + _chunk(b"IEND", b"")
    )


ROW = b"\x00" + bytes([255, 0, 0, 0, 0, 255])  # filter 0, a red and a blue pixel


def test_png_image_data_of_a_plain_rgb_png_is_its_idat_chunks_joined():
    png = _png(8, 2, 0, ROW)
    assert render.png_image_data(png) == zlib.compress(ROW)
    assert zlib.decompress(render.png_image_data(png)) == ROW


@pytest.mark.parametrize(
    ("depth", "colour", "interlace", "extra"),
    [
        (8, 6, 0, b""),  # RGBA
        (8, 0, 0, b""),  # grey
        (16, 2, 0, b""),  # 16 bits a channel
        (8, 2, 1, b""),  # interlaced
        (8, 2, 0, _chunk(b"tRNS", b"\x00\xff\x00\x00\x00\x00")),  # a transparent colour
    ],
)
def test_png_image_data_leaves_any_other_png_to_weasyprint(depth, colour, interlace, extra):
    assert render.png_image_data(_png(depth, colour, interlace, ROW, extra)) is None


def test_png_image_data_of_what_is_not_a_png():
    assert render.png_image_data(b"GIF89a...") is None
    assert render.png_image_data(_png(8, 2, 0, ROW)[:40]) is None  # cut short inside a chunk


def _report_html(pillow: bool = False) -> str:
    """A page with a chart of figure_png (RGB; its bytes re-encoded by Pillow if ``pillow``) and an RGBA PNG."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [2, 1, 3], label="Kommune")
    ax.legend()
    plt.close(fig)
    rgb, _ = charts.figure_png(fig)  # the reports' charts: RGB
    if pillow:
        buf = io.BytesIO()
        Image.open(io.BytesIO(rgb)).save(buf, format="png")  # the same pixels, compressed as WeasyPrint does
        rgb = buf.getvalue()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)  # matplotlib's own PNG: RGBA, left to WeasyPrint
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" style="width: 3in">'
        for png in (rgb, buf.getvalue())
    )
    return f"<!DOCTYPE html><html><head><title>t</title></head><body><p>Figur</p>{images}</body></html>"


def _through_and_reencoded(html: str, tmp_path, monkeypatch) -> tuple[bytes, bytes, list]:
    """The PDF of ``html`` with the pass-through, and with WeasyPrint's own encoding; what the pass-through gave."""
    from weasyprint import images

    passed = []
    real = render.png_image_data
    monkeypatch.setattr(render, "png_image_data", lambda png: passed.append(real(png)) or passed[-1])
    render.render_pdf(html, tmp_path / "through.pdf")  # sets the pass-through up (once per process)
    patched = images.RasterImage._get_png_data
    assert patched._analysis_pass_through
    with monkeypatch.context() as m:
        m.setattr(images.RasterImage, "_get_png_data", staticmethod(patched._analysis_original))
        render.render_pdf(html, tmp_path / "reencoded.pdf")
    return (tmp_path / "through.pdf").read_bytes(), (tmp_path / "reencoded.pdf").read_bytes(), passed


def test_the_pdf_is_the_same_byte_for_byte_as_with_weasyprints_own_encoding(tmp_path, monkeypatch):
    # A PNG compressed as WeasyPrint compresses (Pillow's defaults): the pass-through only saves the work
    through, reencoded, passed = _through_and_reencoded(_report_html(pillow=True), tmp_path, monkeypatch)
    assert [data is not None for data in passed] == [
        True
    ]  # the RGB chart went through; the RGBA one not asked
    assert through == reencoded


def test_the_pdf_holds_the_charts_own_compressed_pixels_and_shows_the_same_picture(tmp_path, monkeypatch):
    # figure_png compresses faster than Pillow (charts.PNG_LEVEL): the PDF holds its stream as it is, so the bytes
    # differ from WeasyPrint's re-encoding, but every image on the page decodes to the same pixels
    from pypdf import PdfReader

    html = _report_html()
    stream = render.png_image_data(base64.b64decode(html.split("base64,")[1].split('"')[0]))
    through, reencoded, passed = _through_and_reencoded(html, tmp_path, monkeypatch)
    assert passed == [stream]
    assert stream in through and stream not in reencoded

    def pictures(pdf: bytes) -> list[np.ndarray]:
        (page,) = PdfReader(io.BytesIO(pdf)).pages
        return [np.asarray(image.image) for image in page.images]

    a, b = pictures(through), pictures(reencoded)
    assert len(a) == len(b) == 2
    assert all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("with_base_url", [False, True], ids=["no-base-url", "base-url"])
def test_the_pdf_shows_the_charts_pixels(tmp_path, with_base_url):
    from pypdf import PdfReader

    html = _report_html()
    # the runner passes the report's folder as base_url; the images, served from memory, are found all the same
    render.render_pdf(html, tmp_path / "r.pdf", base_url=str(tmp_path) if with_base_url else None)
    rgb_png = base64.b64decode(html.split("base64,")[1].split('"')[0])
    expected = np.asarray(Image.open(io.BytesIO(rgb_png)))
    (page,) = PdfReader(tmp_path / "r.pdf").pages
    shown = [np.asarray(image.image.convert("RGB")) for image in page.images]
    assert any(s.shape == expected.shape and np.array_equal(s, expected) for s in shown)
