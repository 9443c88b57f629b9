"""The one chart style of the reports: colours, figure size, fonts, Danish axes, showing a figure.

Numbers on axes are written by :mod:`analysis.danish`'s rules (decimal comma, thousands point), never by an
operating-system locale.
"""

from __future__ import annotations

import html
import io
import math
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from analysis.danish import _DKK_UNITS, _format_decimal, _to_decimal

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only
    from matplotlib.axes import Axes

__all__ = [
    "FIGSIZE",
    "OWN_COLOUR",
    "PALETTE",
    "PEER_COLOUR",
    "danish_formatter",
    "dkk_axis",
    "figure_html",
    "number_axis",
    "pct_axis",
    "set_style",
    "show",
    "tight_layout",
]

OWN_COLOUR = "#1f4e79"
"""Colour of the own municipality in charts (dark blue, the colour of the report's headings)."""

PEER_COLOUR = "#b4bcc6"
"""Colour of the comparison municipalities (a light blue-grey that recedes behind the own municipality)."""

PALETTE = ["#1f4e79", "#5b9bd5", "#c55a11", "#70883a", "#8e6c8a", "#7f7f7f"]
"""Small palette for series that are not own-versus-peers: dark blue, light blue, rust, olive, plum, grey."""

FIGSIZE = (6.7, 3.8)
"""Default figure size in inches: 6.7 in (170 mm), the text width of an A4 page (210 mm less margins)."""

_FONT_PREFERENCE = ["Helvetica Neue", "Arial", "Liberation Sans", "DejaVu Sans"]

#: seaborn 0.13's ``set_theme(context="notebook", style="whitegrid")``, the base of :func:`set_style`, written out:
#: importing seaborn imports scipy.stats (0.44 s of CPU in every kernel and worker that starts) for these
#: settings alone. ``image.cmap`` ("rocket", a colour map only seaborn registers) is left out: no chart uses the
#: default colour map. The palette (``axes.prop_cycle``) is :data:`PALETTE`, as ``set_theme(palette=PALETTE)``.
_WHITEGRID_NOTEBOOK = {
    # seaborn.axes_style("whitegrid")
    "figure.facecolor": "white",
    "axes.labelcolor": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "axes.axisbelow": True,
    "grid.linestyle": "-",
    "text.color": ".15",
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "xtick.top": False,
    "ytick.right": False,
    "axes.grid": True,
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "grid.color": ".8",
    "axes.spines.left": True,
    "axes.spines.bottom": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "xtick.bottom": False,
    "ytick.left": False,
    # seaborn.plotting_context("notebook")
    "axes.linewidth": 1.25,
    "grid.linewidth": 1,
    "lines.linewidth": 1.5,
    "lines.markersize": 6,
    "patch.linewidth": 1,
    "xtick.major.width": 1.25,
    "ytick.major.width": 1.25,
    "xtick.minor.width": 1,
    "ytick.minor.width": 1,
    "xtick.major.size": 6,
    "ytick.major.size": 6,
    "xtick.minor.size": 4,
    "ytick.minor.size": 4,
    "font.size": 12,
    "axes.labelsize": 12,
    "axes.titlesize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 12,
}


# Charts ----------------------------------------------------------------------------------------------


def _auto_decimals(values: Any, max_decimals: int = 3) -> int:
    """Fewest decimals (0 to ``max_decimals``) that show every tick value exactly."""
    vals = [float(v) for v in values if math.isfinite(float(v))]
    if not vals:
        return 0
    scale = max(abs(v) for v in vals) or 1.0
    for decimals in range(max_decimals + 1):
        if all(abs(v - round(v, decimals)) <= 1e-9 * scale for v in vals):
            return decimals
    return max_decimals


def danish_formatter(scale: float = 1.0, decimals: int | None = None, suffix: str = "") -> Any:
    """Make a matplotlib tick formatter that writes Danish numbers.

    Parameters
    ----------
    scale : float, default 1.0
        Tick values are divided by this before formatting (1e6 shows DKK as millions).
    decimals : int, optional
        Decimals shown. Default: the fewest that show every tick on the axis exactly (0 for 0, 250, 500;
        1 for 0, 0.5, 1.0).
    suffix : str, default ''
        Text appended to every tick label, e.g. ' %'.

    Returns
    -------
    matplotlib.ticker.Formatter
        A formatter for ``axis.set_major_formatter``; ``format_ticks(values)`` gives the labels of a
        set of ticks.

    Examples
    --------
    >>> f = danish_formatter(scale=1e6, decimals=1)
    >>> f(1_234_500_000)
    '1.234,5'
    >>> danish_formatter(scale=1e6).format_ticks([0, 500_000, 1_000_000])
    ['0,0', '0,5', '1,0']
    """
    from matplotlib.ticker import Formatter

    class _DanishFormatter(Formatter):
        def __init__(self) -> None:
            self.scale = scale
            self.decimals = decimals
            self.suffix = suffix
            self._tick_values: list[float] = []
            # what the labels of one set of ticks share, worked out once per set (matplotlib formats every label
            # of an axis several times a draw): (scale, decimals of the ticks), (scale, the scale as a Decimal)
            self._auto: tuple[float, int] | None = None
            self._divisor: tuple[float, Decimal] | None = None
            self._labels: dict[tuple[Any, ...], str] = {}  # the label of each value, as formatted before

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            self._tick_values = [float(v) for v in locs]
            self._auto = None

        def _decimals_for(self, x: float) -> int:
            if self.decimals is not None:
                return self.decimals
            if not self._tick_values:
                return _auto_decimals([x / self.scale])
            if self._auto is None or self._auto[0] != self.scale:
                self._auto = (self.scale, _auto_decimals([v / self.scale for v in self._tick_values]))
            return self._auto[1]

        def __call__(self, x: float, pos: int | None = None) -> str:
            decimals = self._decimals_for(x)
            key = (x, decimals, self.scale, self.suffix)
            label = self._labels.get(key)
            if label is None:
                d = _to_decimal(x)
                if d is None:
                    return ""
                if self.scale == 1:
                    scaled = d
                else:
                    if self._divisor is None or self._divisor[0] != self.scale:
                        self._divisor = (self.scale, Decimal(repr(float(self.scale))))
                    scaled = d / self._divisor[1]
                label = self._labels[key] = _format_decimal(scaled, decimals) + self.suffix
            return label

        def format_data_short(self, value: float) -> str:
            return self(value)

    return _DanishFormatter()


def _axes_for(ax: Axes, axis: str) -> list[Any]:
    if axis == "x":
        return [ax.xaxis]
    if axis == "y":
        return [ax.yaxis]
    if axis == "both":
        return [ax.xaxis, ax.yaxis]
    raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")


def _set_label(axis_obj: Any, label: str | bool | None, unit_text: str) -> None:
    if label is False:
        return
    if label is None or label is True or label == "":
        axis_obj.set_label_text(unit_text)
    else:
        axis_obj.set_label_text(f"{label} ({unit_text})" if unit_text else str(label))


def dkk_axis(
    ax: Axes,
    axis: str = "y",
    unit: str = "mio",
    decimals: int | None = None,
    label: str | bool | None = None,
) -> Axes:
    """Show an axis of DKK amounts as Danish numbers in a unit, e.g. ticks '0', '2,5', '5' (mio. kr.).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose data are amounts in DKK (kroner).
    axis : {'y', 'x', 'both'}, default 'y'
        Which axis to format.
    unit : {'mio', 'mia', 't', 'kr'}, default 'mio'
        Unit of the tick labels (see :func:`fmt_dkk`); ticks carry the number only, the axis label the unit.
    decimals : int, optional
        Decimals on the ticks; default the fewest that show every tick exactly.
    label : str or bool, optional
        Axis label. None (default): the unit alone ('mio. kr.'), replacing a column name put there by
        seaborn. A string: that text with the unit in brackets ('Udgifter (mio. kr.)'). False: leave the
        label as it is.

    Returns
    -------
    matplotlib.axes.Axes
        The same axes, for chaining.
    """
    try:
        divisor, suffix, _ = _DKK_UNITS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {sorted(_DKK_UNITS)}, got {unit!r}") from None
    for axis_obj in _axes_for(ax, axis):
        axis_obj.set_major_formatter(danish_formatter(scale=divisor, decimals=decimals))
        _set_label(axis_obj, label, suffix)
    return ax


def number_axis(ax: Axes, axis: str = "y", decimals: int | None = None) -> Axes:
    """Show an axis with Danish numbers ('1.234', '0,5'); the label is left as it is.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes.
    axis : {'y', 'x', 'both'}, default 'y'
        Which axis to format.
    decimals : int, optional
        Decimals on the ticks; default the fewest that show every tick exactly (0 for whole numbers).

    Returns
    -------
    matplotlib.axes.Axes
        The same axes, for chaining.
    """
    for axis_obj in _axes_for(ax, axis):
        axis_obj.set_major_formatter(danish_formatter(decimals=decimals))
    return ax


def pct_axis(ax: Axes, axis: str = "y", decimals: int | None = None) -> Axes:
    """Show an axis of fractions as Danish percentages: 0.125 -> '12,5 %'.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose data are fractions (0.1 means 10 per cent).
    axis : {'y', 'x', 'both'}, default 'y'
        Which axis to format.
    decimals : int, optional
        Decimals of the percentage; default the fewest that show every tick exactly.

    Returns
    -------
    matplotlib.axes.Axes
        The same axes, for chaining.
    """
    for axis_obj in _axes_for(ax, axis):
        axis_obj.set_major_formatter(danish_formatter(scale=0.01, decimals=decimals, suffix=" %"))
    return ax


#: Whether :func:`_available_fonts` has looked for the preferred fonts among the system's font files, per process.
_SYSTEM_FONTS_ADDED: list[bool] = []


def _add_system_fonts(families: set[str], paths: list[str] | None = None) -> list[str]:
    """Tell matplotlib about the font files of ``families`` installed after its font list was cached.

    Matplotlib keeps its list of the system's fonts in a cache file (``fontlist-v*.json`` in its cache folder)
    written the first time it runs and never updated, so a font installed after that (fonts-liberation on a
    server, Arial on a laptop) is unknown to it and the charts fall back to DejaVu Sans while the report's text
    uses the font. Each file of ``paths`` (default: matplotlib's ``findSystemFonts()``) whose family is one of
    ``families`` and that matplotlib does not list is added (``fontManager.addfont``), for this process.

    Returns
    -------
    list of str
        The files added.
    """
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    known = {str(f.fname) for f in font_manager.fontManager.ttflist}
    added = []
    for path in sorted(font_manager.findSystemFonts() if paths is None else paths):
        if path in known or not path.lower().endswith((".ttf", ".otf")):
            continue
        try:
            family = FT2Font(path).family_name
        except (OSError, RuntimeError):  # a file FreeType cannot read: not a font matplotlib could use
            continue
        if family in families:
            font_manager.fontManager.addfont(path)
            added.append(path)
    return added


def _available_fonts() -> list[str]:
    """The installed fonts of :data:`_FONT_PREFERENCE`, in its order; DejaVu Sans (matplotlib's own) when none is.

    When matplotlib's cached font list knows none of the preferred fonts other than DejaVu Sans, the system's font
    files are looked through once per process (:func:`_add_system_fonts`): the charts' font depends on the fonts
    installed, not on when matplotlib first ran.
    """
    from matplotlib import font_manager

    wanted = [name for name in _FONT_PREFERENCE if name != "DejaVu Sans"]
    installed = {f.name for f in font_manager.fontManager.ttflist}
    if not installed.intersection(wanted) and not _SYSTEM_FONTS_ADDED:
        _SYSTEM_FONTS_ADDED.append(True)
        if _add_system_fonts(set(wanted)):
            installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _FONT_PREFERENCE if name in installed] or ["DejaVu Sans"]


RETINA = 2
"""Figures are embedded at this many pixels per CSS pixel (192 dpi for the 96 dpi figures of :func:`set_style`)."""

# Room around the figure in which the single render of figure_png draws what lies outside the figure (tick labels
# below it, a legend to its right), in inches; a chart reaching further is rendered the ordinary way.
_MARGIN_INCHES = 1.5


def figure_png(fig: Any, scale: int = RETINA) -> tuple[bytes, dict[str, int]] | None:
    """A figure as a PNG at ``scale`` times its dpi, cropped to what it draws, in one render: IPython's retina PNG.

    What IPython's ``retina`` figure format gives (``savefig(bbox_inches="tight")`` at twice the figure's dpi,
    the figure's face and edge colours, :rc:`savefig.pad_inches` around what it draws), made cheaper:

    - matplotlib draws a "tight" figure twice, once to find what it draws and once to render that; here it is
      rendered once, onto a canvas :data:`_MARGIN_INCHES` larger than the figure on every side, and what it
      draws is measured during that render and cut out, to the nearest pixel (the picture may sit up to half
      a pixel, 1/384 inch, from where matplotlib would put it);
    - the PNG is RGB, without the alpha channel, when every pixel is opaque (the reports' white figures), so
      that WeasyPrint need not split the alpha channel off for the PDF.

    A figure that draws outside that margin is rendered as IPython would (twice); one with transparent pixels
    keeps its alpha channel.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; left as it was.
    scale : int, default 2
        Pixels of the PNG per pixel of the figure (its dpi, 96 in the reports' style).

    Returns
    -------
    (bytes, dict) or None
        The PNG and its size at the figure's dpi, ``{"width": w // scale, "height": h // scale}`` (how IPython's
        retina format tells the notebook to show it); None for an empty figure (no axes, no lines), as IPython.
    """
    import numpy as np
    from matplotlib.artist import Artist
    from matplotlib.layout_engine import PlaceHolderLayoutEngine
    from matplotlib.transforms import Bbox

    if not fig.axes and not fig.lines:
        return None
    dpi = fig.dpi * scale

    class _Measure(Artist):
        """Drawn last: measures what the figure drew (as savefig's "tight" does), in inches from the canvas corner."""

        def __init__(self) -> None:
            super().__init__()
            self.set_in_layout(False)
            self.set_zorder(np.inf)
            self.bbox = None

        def draw(self, renderer: Any) -> None:
            self.bbox = self.figure.get_tightbbox(renderer)

    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
        return _ipython_retina(fig)  # a layout engine lays the figure out at every draw
    measure = fig.add_artist(_Measure())
    width, height = fig.get_size_inches()
    canvas = Bbox.from_extents(
        -_MARGIN_INCHES, -_MARGIN_INCHES, width + _MARGIN_INCHES, height + _MARGIN_INCHES
    )
    raw = _Pixels()
    before = fig.canvas
    try:
        # What fig.tight_layout() leaves behind does nothing at a draw, but would make savefig draw twice.
        fig.set_layout_engine(None)
        # savefig to a raw buffer renders on a new Agg canvas (a closed figure's canvas cannot): this one's renderer
        # looks each font's line metrics up once per render (see _FontHeights)
        with _kept_ticks():
            _agg_canvas()(fig).print_figure(
                raw,
                format="rgba",
                dpi=dpi,
                facecolor=fig.get_facecolor(),
                edgecolor=fig.get_edgecolor(),
                bbox_inches=canvas,
            )
    finally:
        fig.set_canvas(before)
        measure.remove()
        if engine is not None:
            fig.set_layout_engine(engine)
    drawn = measure.bbox
    pad = float(_rc("savefig.pad_inches"))
    canvas_h = canvas.height * dpi
    if drawn is None or raw.data is None or not np.isfinite(drawn.extents).all():
        return _ipython_retina(fig)
    rows, columns = memoryview(raw.data).shape[:2]  # int(canvas_h), int(canvas_w)
    tight = drawn.padded(pad)
    left, top = round(tight.x0 * dpi), round(canvas_h - tight.y1 * dpi)
    w, h = int(tight.width * dpi), int(tight.height * dpi)
    if left < 0 or top < 0 or left + w > columns or top + h > rows:
        return _ipython_retina(fig)  # it draws beyond the margin
    # The renderer's own buffer (no copy of the whole canvas), cut to what was drawn
    png = encode_png(np.asarray(raw.data)[top : top + h, left : left + w], dpi)
    raw.data = None  # the renderer's buffer is not held beyond this call
    return png, {"width": w // scale, "height": h // scale}


PNG_LEVEL = 3
"""zlib level of the reports' PNGs (:func:`encode_png`).

Measured on the five charts of a benchmark report (1.2 MP each, white with flat colours): Pillow's default (level
6, each row's filter chosen from all five) about 78 ms and 313 kB; level 3 without filters about 21 ms and 311
kB; level 1 20 ms and 325 kB; level 4 35 ms and 274 kB (zlib 1.2.13). Level 3 gives the files their old size
for a quarter of the work.
"""


def _up_filter_pays(pixel_rows: Any) -> bool:
    """Whether the PNG filter "up" compresses an image's rows at least 10 % better than none, judged on a sample.

    Unfiltered rows suit most charts (a row like the one above is one long match for zlib), "up" those with many
    slanted or curved edges (the staffing chart's weeks: 44 kB unfiltered, 36 kB up; Pillow's filter per row 29 kB).
    The sample: the first sixteenth of every eighth of the rows, compressed at level 1 both ways (about 0.5 ms).

    Parameters
    ----------
    pixel_rows : numpy.ndarray
        Shape (height, bytes per row), uint8.
    """
    import zlib

    import numpy as np

    height = len(pixel_rows)
    band = max(height // 8, 2)
    index = np.concatenate(
        [np.arange(start, min(start + band // 2, height)) for start in range(0, height, band)]
    )
    plain = pixel_rows[index]
    up = plain - pixel_rows[np.maximum(index - 1, 0)] * (index > 0)[:, None].astype(np.uint8)
    return len(zlib.compress(up, 1)) < 0.9 * len(zlib.compress(plain, 1))


def encode_png(pixels: Any, dpi: float) -> bytes:
    """An 8-bit RGB or RGBA image as a PNG file: RGB when every pixel is opaque, as written by matplotlib.

    Python's zlib at :data:`PNG_LEVEL`, rows unfiltered (PNG filter type 0: the charts' runs of one colour
    compress as well without a filter), or all filtered "up" (type 2) where a sample says that pays
    (:func:`_up_filter_pays`); the chunks Pillow writes for matplotlib (``IHDR``, the ``Software`` text,
    ``pHYs`` with the resolution, one ``IDAT``, ``IEND``). The same pixels give the same bytes.

    Parameters
    ----------
    pixels : numpy.ndarray
        Shape (height, width, 4), uint8, straight (not premultiplied) alpha; any strides (a view into a canvas).
    dpi : float
        Resolution written into ``pHYs`` (pixels per metre, rounded as Pillow does).

    Returns
    -------
    bytes
        The PNG file.
    """
    import struct
    import sys
    import zlib

    import numpy as np
    from PIL import Image

    height, width, _ = pixels.shape
    if not pixels.size:
        opaque = True
    elif pixels.strides[1:] == (4, 1) and sys.byteorder == "little":
        # each pixel's four bytes read as one number, alpha its top byte: half the time of the alpha bytes' minimum
        opaque = bool(pixels.view(np.uint32).min() >= 0xFF000000)
    else:
        opaque = bool(pixels[..., 3].min() == 255)
    # Pillow drops the alpha channel (a C loop; numpy's copy of three bytes out of four is twice as slow)
    image = Image.frombuffer("RGBA", (width, height), np.ascontiguousarray(pixels), "raw", "RGBA", 0, 1)
    if opaque:
        image = image.convert("RGB")
    channels = len(image.getbands())
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    pixel_rows = np.asarray(image).reshape(height, width * channels)
    rows[:, 0] = 0  # each row's filter type: none
    rows[:, 1:] = pixel_rows
    if _up_filter_pays(pixel_rows):
        rows[:, 0] = 2  # filter type up: each byte less the one above it
        np.subtract(pixel_rows[1:], pixel_rows[:-1], out=rows[1:, 1:])

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
        )

    per_metre = int(dpi / 0.0254 + 0.5)
    software = f"Matplotlib version{_mpl_version()}, https://matplotlib.org/".encode("latin-1")
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)),
            chunk(b"tEXt", b"Software\x00" + software),
            chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            chunk(b"IDAT", zlib.compress(rows, PNG_LEVEL)),
            chunk(b"IEND", b""),
        )
    )


def saved_png(fig: Any, dpi: float) -> bytes:
    """The picture ``fig.savefig(f, format="png", dpi=dpi)`` saves, as a PNG of :func:`encode_png` (RGB when opaque).

    Matplotlib's own render (with :rc:`savefig.bbox`, :rc:`savefig.pad_inches`, the savefig colours), on the canvas
    of :func:`figure_png` (font line metrics once per render), its pixels compressed as :func:`encode_png` does
    instead of by Pillow at level 6. With :rc:`savefig.transparent` set, matplotlib's savefig itself.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; left on its canvas.
    dpi : float
        Pixels per inch of the PNG.

    Returns
    -------
    bytes
        The PNG file.
    """
    import numpy as np

    if _rc("savefig.transparent"):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()
    raw = _Pixels()
    before = fig.canvas
    try:
        with _kept_ticks():
            _agg_canvas()(fig).print_figure(raw, format="rgba", dpi=dpi)
    finally:
        fig.set_canvas(before)
    png = encode_png(np.asarray(raw.data), dpi)
    raw.data = None  # the renderer's buffer is not held beyond this call
    return png


class _Pixels(io.BytesIO):
    """A file for ``print_figure(format="rgba")`` that keeps the buffer written to it instead of copying it."""

    data: Any = None

    def write(self, data: Any) -> int:
        self.data = data  # the Agg renderer's buffer: read before anything draws on that renderer again
        return memoryview(data).nbytes


#: Matplotlib versions whose text layout :class:`_FontHeights` was checked against (see its docstring).
_FONT_HEIGHTS_CHECKED = ("3.11.",)


class _FontHeights:
    """A renderer's ``_get_font_height_metrics``: matplotlib's own font line metrics, looked up once per font.

    Matplotlib 3.11 lays out every text (``Text._get_layout``, called several times per text and draw) with the
    ascent, descent and line gap of its font: it finds the font files (``_find_fonts_by_props``), opens the font and
    reads two of its SFNT tables each time, about 0.1 ms a call, 750 calls for the five charts of a benchmark report.
    A renderer may provide them instead (matplotlib's PDF and PS renderers do, for their AFM fonts); this computes
    them as ``Text._get_layout`` does, with the same arithmetic, so the same floats, at the figure's dpi as it is at
    the call, and keeps them for the render (one renderer, one draw: the fonts and rcParams cannot change meanwhile).
    Only on the matplotlib versions in :data:`_FONT_HEIGHTS_CHECKED`; elsewhere the renderer has no such method and
    matplotlib computes them itself.
    """

    _TABLES = (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    )

    def __init__(self, figure: Any) -> None:
        self.figure = figure
        self.known: dict[Any, tuple[float | None, float | None, float | None]] = {}

    def __call__(self, prop: Any) -> tuple[float | None, float | None, float | None]:
        dpi = self.figure.get_figure(root=True).dpi
        key = (tuple(prop.__dict__.items()), dpi)  # what FontProperties hashes, frozen
        heights = self.known.get(key)
        if heights is None:
            heights = self.known[key] = self._compute(prop, dpi)
        return heights

    @classmethod
    def _compute(cls, prop: Any, dpi: float) -> tuple[float | None, float | None, float | None]:
        from matplotlib.font_manager import fontManager, get_font

        font = get_font(fontManager._find_fonts_by_props(prop))
        for table_name, linegap_key, ascent_key, descent_key in cls._TABLES:
            table = font.get_sfnt_table(table_name)
            if table is None:
                continue
            fontsize = prop.get_size_in_points()
            units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
            scale = 1 / units_per_em * fontsize * dpi / 72
            line_gap = table[linegap_key] * scale
            min_ascent = table[ascent_key] * scale
            min_descent = -table[descent_key] * scale
            return min_ascent, min_descent, line_gap
        return None, None, None  # matplotlib then measures the text "lp", as without this method


def _frozen(value: Any) -> Any:
    """A FontProperties attribute as a dict key (its family is a list)."""
    return tuple(value) if isinstance(value, list) else value


def _layout_key(text: Any) -> tuple[Any, ...] | None:
    """What ``Text._get_layout`` (matplotlib 3.11) reads of a text besides its renderer; None when that is more.

    The lines (the string, unwrapped), how each is parsed (mathtext or not), the font, the line spacing, the
    alignments, the rotation and its mode, and the figure's dpi. A wrapped text (its lines depend on where it is),
    a TeX text and one whose rotation follows its transform are not kept.
    """
    if text._wrap or text.get_usetex() or text._transform_rotates_text:
        return None
    prop = text._fontproperties
    return (
        text._text,
        text._parse_math,
        tuple((k, _frozen(v)) for k, v in prop.__dict__.items()),
        text._linespacing,
        text._multialignment,
        text._horizontalalignment,
        text._verticalalignment,
        text._rotation,
        text._rotation_mode,
        text.get_figure(root=True).dpi,
    )


def _install_layout_memo() -> None:
    """Have ``Text._get_layout`` keep each text's layout for the render, on the renderers of :func:`_agg_canvas`.

    Matplotlib lays a text out several times a draw (for its extent, for the legend's place, for the tight box, to
    draw it), about 3,700 layouts for the 1,000 texts of a benchmark report's five charts, each a few dozen float
    operations on the text's metrics. The layout is a function of :func:`_layout_key` and the renderer (its font
    metrics), and not of where the text is (that is added by the callers); a renderer of :func:`_agg_canvas` carries
    a dict ``_analysis_layouts`` (new for every render), and a text laid out before on it gets the same result again
    (a copy of the box and of the list of lines). Other renderers, and other texts, take matplotlib's own path.
    Installed once, on the matplotlib versions in :data:`_FONT_HEIGHTS_CHECKED` only.
    """
    from matplotlib.text import Text

    original = Text._get_layout
    if getattr(original, "_analysis_original", None) is not None:
        return

    def _get_layout(self: Any, renderer: Any) -> Any:
        layouts = getattr(renderer, "_analysis_layouts", None)
        key = None if layouts is None else _layout_key(self)
        if key is None:
            return original(self, renderer)
        kept = layouts.get(key)
        if kept is None:
            kept = layouts[key] = original(self, renderer)
        box, lines, corner = kept
        return box.frozen(), list(lines), corner

    _get_layout._analysis_original = original  # type: ignore[attr-defined]
    Text._get_layout = _get_layout


class _TickStack(threading.local):
    """Per thread: the ticks of each axis kept for the render in progress (:func:`_install_tick_memo`)."""

    def __init__(self) -> None:
        self.renders: list[dict[tuple[Any, ...], list[Any]]] = []


_TICKS = _TickStack()


def _ticks_key(axis: Any) -> tuple[Any, ...]:
    """What ``Axis._update_ticks`` (matplotlib 3.11) reads that can differ between its calls in one render.

    The axis, its view interval, where its axes are on the canvas (size and place: the tick locators count the
    room), its locators, formatters and scale. The tick parameters and rcParams do not change during a render.
    """
    return (
        id(axis),
        tuple(axis.get_view_interval()),
        axis.axes.bbox.bounds,
        id(axis.major.locator),
        id(axis.major.formatter),
        id(axis.minor.locator),
        id(axis.minor.formatter),
        id(axis._scale),
    )


def _install_tick_memo() -> None:
    """Have ``Axis._update_ticks`` work out an axis' ticks once per render of :func:`figure_png` and the like.

    Matplotlib asks each axis for its ticks (locate, format the labels, place each tick) a dozen times a render: to
    draw it, for the label's place (once per sibling axis), for the title's place, for the tight box; about 26 times
    for a chart of one axes. Within one render nothing they depend on changes unless :func:`_ticks_key` does; while
    :func:`_kept_ticks` is in force, an axis asked again with the same key gets the ticks it got (a new list of the
    same ticks, already placed and labelled). Outside it, and on matplotlib versions not in
    :data:`_FONT_HEIGHTS_CHECKED`, matplotlib's own method.
    """
    from matplotlib.axis import Axis

    original = Axis._update_ticks
    if getattr(original, "_analysis_original", None) is not None:
        return

    def _update_ticks(self: Any) -> list[Any]:
        if not _TICKS.renders:
            return original(self)
        kept = _TICKS.renders[-1]
        key = _ticks_key(self)
        ticks = kept.get(key)
        if ticks is None:
            ticks = kept[key] = original(self)
        return list(ticks)

    _update_ticks._analysis_original = original  # type: ignore[attr-defined]
    Axis._update_ticks = _update_ticks


class _kept_ticks:  # noqa: N801 - used as a context manager, like contextlib's
    """Within it, each axis' ticks are worked out once per :func:`_ticks_key` (:func:`_install_tick_memo`)."""

    def __enter__(self) -> None:
        _TICKS.renders.append({})

    def __exit__(self, *exc: object) -> None:
        _TICKS.renders.pop()


#: Text measured and shaped by :class:`_TextEngine`, for the process: key -> (width, height, descent) or glyphs.
_KEPT_TEXT: dict[tuple[Any, ...], Any] = {}
_KEPT_TEXT_MAX = 20_000  # entries (a few MB); emptied when full


class _TextEngine:
    """A renderer's font lookups for one render, and what FreeType makes of a text kept for the process.

    Matplotlib 3.11's Agg renderer finds a text's font files (``_find_fonts_by_props``: reads eleven rcParams
    and searches) each time it measures or draws it, and has FreeType measure (``FT2Font.set_text``, about 0.3 ms)
    and shape it (``FT2Font._layout``) afresh on every new renderer. Both results depend only on the font files,
    the size, the dpi, the text and the rcParams of hinting, kerning and the last-resort font (read once per render:
    one render, one set of rcParams), so a renderer of :func:`_agg_canvas` looks the files up once per font per
    render and takes the measure and the glyphs of a text measured or drawn before in this process (the tick labels,
    legends and titles the charts of a report share) from :data:`_KEPT_TEXT`. Mathtext and TeX take matplotlib's
    own path; the thread is part of the key (matplotlib's font objects are per thread). These replace the
    renderer's ``_prepare_font``, ``get_text_width_height_descent`` and ``draw_text`` with the same code, on the
    matplotlib versions in :data:`_FONT_HEIGHTS_CHECKED` only.
    """

    def __init__(self, renderer: Any) -> None:
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import get_hinting_flag

        self.renderer = renderer
        self.flags = get_hinting_flag()
        self.rc = (
            threading.get_ident(),  # matplotlib's fonts are per thread (get_font), so are the glyphs kept here
            self.flags,
            mpl.rcParams["text.kerning_factor"],
            mpl.rcParams["font.enable_last_resort"],
        )
        self.paths: dict[tuple[Any, ...], tuple[list[Any], tuple[Any, ...]]] = {}
        self.measure_text = type(renderer).get_text_width_height_descent.__get__(renderer)
        self.draw_any_text = type(renderer).draw_text.__get__(renderer)
        renderer._prepare_font = self.prepare_font
        renderer.get_text_width_height_descent = self.get_text_width_height_descent
        renderer.draw_text = self.draw_text

    def font_paths(self, prop: Any) -> tuple[list[Any], tuple[Any, ...]]:
        """The font files of ``prop`` (as ``_find_fonts_by_props`` gives them) and, as a key, each file and face."""
        from matplotlib.font_manager import fontManager

        key = tuple((k, _frozen(v)) for k, v in prop.__dict__.items())
        paths = self.paths.get(key)
        if paths is None:
            found = fontManager._find_fonts_by_props(prop)
            files = tuple((str(getattr(p, "path", p)), getattr(p, "face_index", 0)) for p in found)
            paths = self.paths[key] = (found, files)
        return paths

    def prepare_font(self, prop: Any) -> Any:
        """``RendererAgg._prepare_font``: the font, cleared, at the text's size, its files looked up once."""
        from matplotlib.font_manager import get_font

        font = get_font(self.font_paths(prop)[0])
        font.clear()
        font.set_size(prop.get_size_in_points(), self.renderer.dpi)
        return font

    def _key(self, kind: str, s: str, prop: Any, *extra: Any) -> tuple[Any, ...]:
        return (
            kind,
            self.font_paths(prop)[1],
            self.rc,
            prop.get_size_in_points(),
            self.renderer.dpi,
            s,
            *extra,
        )

    def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any) -> tuple[float, float, float]:
        if ismath is not False:
            return self.measure_text(s, prop, ismath)
        key = self._key("measure", s, prop)
        kept = _KEPT_TEXT.get(key)
        if kept is None:
            kept = _keep(key, self.measure_text(s, prop, ismath))
        return kept

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: Any,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        if ismath:
            return self.draw_any_text(gc, x, y, s, prop, angle, ismath, mtext)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = self._key("glyphs", s, prop, _frozen(features), language)
        glyphs = _KEPT_TEXT.get(key)
        if glyphs is None:
            # RendererAgg.draw_text: the font's glyphs of the text, shaped by FreeType
            items = self.prepare_font(prop)._layout(s, flags=self.flags, features=features, language=language)
            glyphs = _keep(key, tuple((item.ft_object, item.glyph_index, item.x, item.y) for item in items))
        size = prop.get_size_in_points()
        self.renderer._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((font, size, index, 0, 1, gx, gy) for font, index, gx, gy in glyphs), []
        )
        return None


def _keep(key: tuple[Any, ...], value: Any) -> Any:
    if len(_KEPT_TEXT) >= _KEPT_TEXT_MAX:
        _KEPT_TEXT.clear()
    _KEPT_TEXT[key] = value
    return value


_CANVAS: list[Any] = []


def _agg_canvas() -> Any:
    """Matplotlib's Agg canvas class; where checked, its renderers keep font line metrics and text layouts.

    On the matplotlib versions in :data:`_FONT_HEIGHTS_CHECKED`, a renderer of this canvas gives matplotlib each
    font's line metrics (:class:`_FontHeights`) and keeps each text's layout (:func:`_install_layout_memo`), both
    for one render: each draw of the figure (``FigureCanvasAgg.draw``) starts them again. Elsewhere matplotlib's
    own ``FigureCanvasAgg``.
    """
    if not _CANVAS:
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        if not mpl.__version__.startswith(_FONT_HEIGHTS_CHECKED):
            _CANVAS.append(FigureCanvasAgg)
        else:
            _install_layout_memo()
            _install_tick_memo()

            class _Canvas(FigureCanvasAgg):
                def get_renderer(self) -> Any:
                    renderer = super().get_renderer()
                    if "_get_font_height_metrics" not in vars(renderer):
                        self._fresh(renderer)
                    return renderer

                def draw(self) -> None:
                    self._fresh(self.get_renderer())  # what the figure looked like before may have changed
                    super().draw()

                def _fresh(self, renderer: Any) -> None:
                    renderer._get_font_height_metrics = _FontHeights(self.figure)
                    renderer._analysis_layouts = {}
                    _TextEngine(renderer)

            _CANVAS.append(_Canvas)
    return _CANVAS[0]


def tight_layout(fig: Any, **kwargs: Any) -> None:
    """``fig.tight_layout(**kwargs)``, laid out on a renderer of :func:`_agg_canvas`: the same layout, cheaper.

    Matplotlib measures every text of the figure at its dpi to place the axes; on this canvas's renderer the font
    line metrics are read once, each text laid out once and each axis' ticks worked out once (:func:`_kept_ticks`)
    for that: the same floats, so the same subplot parameters. The figure is left on its own canvas.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.tight_layout` (``pad``, ``h_pad``, ``w_pad``, ``rect``).
    """
    before = fig.canvas
    try:
        _agg_canvas()(fig)  # the figure's canvas until restored
        with _kept_ticks():
            fig.tight_layout(**kwargs)
    finally:
        fig.set_canvas(before)


def _rc(name: str) -> Any:
    import matplotlib as mpl

    return mpl.rcParams[name]


def _mpl_version() -> str:
    import matplotlib as mpl

    return mpl.__version__


def _ipython_retina(fig: Any) -> tuple[bytes, dict[str, int]] | None:
    from IPython.core.pylabtools import retina_figure

    return retina_figure(fig, base64=False)


def _retina_formatter(fig: Any) -> tuple[str, dict[str, int]] | None:
    """IPython's image/png formatter of a figure: :func:`figure_png`, base64-encoded as IPython's retina one."""
    import base64

    png = figure_png(fig)
    if png is None:
        return None
    data, size = png
    return base64.b64encode(data).decode("ascii"), size


def _set_retina_figures() -> None:
    """Have IPython embed figures as double-resolution PNGs shown at their size (no-op outside IPython).

    IPython's retina format, its figures made by :func:`figure_png` (one render, RGB).
    """
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - both come with ipykernel
        return
    shell = get_ipython()
    if shell is not None:
        set_matplotlib_formats("retina")
        shell.display_formatter.formatters["image/png"].for_type(Figure, _retina_formatter)


def set_style(retina: bool = True) -> None:
    """Set the one chart style of all reports: calm, print-friendly, A4-wide figures.

    Sets seaborn's white-grid theme (written out, :data:`_WHITEGRID_NOTEBOOK`: seaborn is not imported) with
    :data:`PALETTE`, a sans-serif font from the report's font stack
    that is installed (Helvetica Neue, Arial, Liberation Sans, else DejaVu Sans), light horizontal grid
    lines, no top and right spines, and figures :data:`FIGSIZE` wide (the A4 text width). Figures are
    drawn at 96 dpi, the CSS pixel, so that a figure shows at its size in inches on screen and on paper:
    its 9 pt text prints at 9 pt. Decimal commas come from the formatters (:func:`dkk_axis`,
    :func:`number_axis`, :func:`pct_axis`), never from an OS locale. Call it once, at the top of a report
    notebook, before plotting.

    Parameters
    ----------
    retina : bool, default True
        In a Jupyter kernel, embed figures as PNGs of twice the resolution (192 dpi) shown at their size,
        sharp in print and on high-density screens.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt  # noqa: F401 - activates the inline backend first, so our rc wins
    from cycler import cycler
    from matplotlib.colors import to_rgb

    if retina:
        _set_retina_figures()
    mpl.rcParams.update(_WHITEGRID_NOTEBOOK)
    mpl.rcParams["axes.prop_cycle"] = cycler("color", [to_rgb(c) for c in PALETTE])
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": _available_fonts() + list(mpl.rcParams["font.sans-serif"]),
            "figure.figsize": FIGSIZE,
            "figure.dpi": 96,
            "savefig.dpi": 192,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.bbox": "tight",
            "font.size": 9,
            "axes.titlesize": 10.5,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.titlecolor": "#1a3a5f",
            "axes.labelsize": 9,
            "axes.labelcolor": "#333333",
            "axes.edgecolor": "#8a949e",
            "axes.linewidth": 0.8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "axes.axisbelow": True,
            "grid.color": "#dde2e7",
            "grid.linewidth": 0.6,
            "xtick.labelsize": 8.5,
            "ytick.labelsize": 8.5,
            "xtick.color": "#333333",
            "ytick.color": "#333333",
            "legend.fontsize": 8.5,
            "legend.frameon": False,
            "lines.linewidth": 1.8,
            "axes.formatter.use_locale": False,
        }
    )


def show(fig: Any) -> None:
    """Show a finished chart in the notebook at this point; nothing when there is no chart (None).

    Chart functions of the reports return their figure detached from pyplot (closed), so that it appears once,
    where this is called, and not again at the end of the cell.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or None
        The chart.
    """
    if fig is not None:
        from IPython.display import display

        display(fig)


def figure_html(fig: Any, alt: str) -> str:
    """A matplotlib figure as an HTML image shown at its own size (a PNG of twice the resolution, embedded).

    The figure is closed afterwards.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    alt : str
        The image's alternative text (Danish), HTML-escaped here.

    Returns
    -------
    str
        An ``<img>`` element with a ``data:`` URL.
    """
    import base64

    import matplotlib.pyplot as plt

    tight_layout(fig)
    png = saved_png(fig, dpi=192)
    plt.close(fig)
    data = base64.b64encode(png).decode("ascii")
    width = f"{fig.get_figwidth()}in"
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="width: {width}; max-width: 100%">'
