"""Render executed notebooks as reports: self-contained HTML without code, and A4 PDF.

The look lives in one nbconvert template, ``templates/analysis`` (inheriting JupyterLab's ``lab``), and one
stylesheet, ``templates/analysis/static/report.css``, which carries both the screen and the print rules.
The HTML loads nothing from the web (no MathJax, require.js, Mermaid or widget scripts), so a report opens
on a PC without internet; the PDF is made from the same HTML by WeasyPrint, laid out with the print
stylesheets (``static/print.css``, the little of JupyterLab's stylesheet the reports use, then
``report.css``, their ``var()`` written in once per process) in place of the stylesheets the HTML carries for the
screen (JupyterLab's ~250 kB), from a leaner copy of the markup (what print hides dropped, the images served from
memory rather than parsed as base64); see docs/performance.md.

Typical use, in a long-lived worker (nbconvert and WeasyPrint cost seconds to import, once per process)::

    nb = nbformat.read(executed_path, as_version=4)
    meta = ReportMeta.from_notebook(nb)          # or ReportMeta(...) from the runner's parameters
    html = render_html(nb, meta)
    Path(html_path).write_text(html, encoding="utf-8")
    render_pdf(html, pdf_path)
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import io
import logging
import os
import re
import struct
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from analysis.reporting.formatting import fmt_date

__all__ = [
    "METADATA_KEY",
    "REMOVE_CELL_TAG",
    "SAMPLE_NOTICE",
    "TEMPLATES_DIR",
    "TEMPLATE_NAME",
    "ReportMeta",
    "render_html",
    "pdf_document",
    "render_pdf",
]

METADATA_KEY = "analysis_report"
"""Key of the report's metadata (a :meth:`ReportMeta.to_dict` dict) in ``nb.metadata``."""

TEMPLATE_NAME = "analysis"
"""Name of the nbconvert template of the reports."""

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
"""Directory holding the ``analysis`` template directory (pass it as nbconvert's extra_template_basedirs)."""

SAMPLE_NOTICE = "Eksempeldata: tallene er syntetiske og ikke kommunens regnskab"
"""What the first page of every report made from the synthetic sample says (and the index of such a run)."""

REMOVE_CELL_TAG = "remove_cell"
"""Cell tag that removes a cell, input and output, from the rendered report."""

# Further tags honoured, after common Jupyter practice: hide a cell's input or its outputs only.
_REMOVE_INPUT_TAGS = {"remove_input"}
_REMOVE_OUTPUT_TAGS = {"remove_output"}


@dataclasses.dataclass(frozen=True)
class ReportMeta:
    """What a report's title block, running header and file names say about the report.

    Parameters
    ----------
    title : str
        Title of the report (Danish), e.g. 'Benchmark af botilbud'.
    municipality_code : int
        Three-digit municipality code, e.g. 751.
    municipality : str
        Municipality name, e.g. 'Aarhus'.
    function_code : str
        Function of the municipal chart of accounts, e.g. '5.38.50'.
    function_name : str
        Name of the function (Danish).
    data_period : str
        Years the data cover, e.g. '2018-2025'.
    run_date : datetime.date
        Date of the run that produced the report.
    run_id : str
        Short id of the run (the manifest's short id).
    sample : bool
        The report was made from the synthetic sample warehouse: its title block says so
        (:data:`SAMPLE_NOTICE`).
    """

    title: str
    municipality_code: int
    municipality: str
    function_code: str
    function_name: str
    data_period: str
    run_date: dt.date
    run_id: str
    sample: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportMeta:
        """Build from a dict as written by :meth:`to_dict` (``run_date`` an ISO date string or a date).

        Parameters
        ----------
        data : mapping
            One entry per field; further keys are ignored.

        Returns
        -------
        ReportMeta

        Raises
        ------
        ValueError
            If a field is missing.
        """
        fields = dataclasses.fields(cls)
        names = [f.name for f in fields]
        missing = [f.name for f in fields if f.name not in data and f.default is dataclasses.MISSING]
        if missing:
            raise ValueError(f"report metadata lacks {', '.join(missing)}")
        values = {n: data[n] for n in names if n in data}
        values["sample"] = bool(values.get("sample", False))
        run_date = values["run_date"]
        if isinstance(run_date, dt.datetime):
            run_date = run_date.date()
        elif isinstance(run_date, str):
            run_date = dt.date.fromisoformat(run_date[:10])
        values["run_date"] = run_date
        values["municipality_code"] = int(values["municipality_code"])
        for name in ("title", "municipality", "function_code", "function_name", "data_period", "run_id"):
            values[name] = str(values[name])
        return cls(**values)

    @classmethod
    def from_notebook(cls, nb: Mapping[str, Any]) -> ReportMeta:
        """Read the metadata from ``nb.metadata["analysis_report"]``.

        Parameters
        ----------
        nb : nbformat.NotebookNode or dict
            The notebook.

        Returns
        -------
        ReportMeta

        Raises
        ------
        ValueError
            If the notebook has no report metadata, or a field is missing.
        """
        try:
            data = nb["metadata"][METADATA_KEY]
        except KeyError:
            raise ValueError(f"notebook has no metadata[{METADATA_KEY!r}]") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (``run_date`` as an ISO string), for notebook metadata.

        Returns
        -------
        dict
        """
        data = dataclasses.asdict(self)
        data["run_date"] = self.run_date.isoformat()
        return data


# HTML ------------------------------------------------------------------------------------------------


#: nbconvert versions (major) whose ``HTMLExporter.from_notebook_node`` :func:`_report_exporter_class` repeats
#: without its BeautifulSoup pass; others are used as they are.
LEAN_EXPORT_VERSIONS = range(7, 8)


def _report_exporter_class() -> Any:
    """The ``HTMLExporter`` of nbconvert without its BeautifulSoup pass over the finished page, where it can be.

    ``HTMLExporter.from_notebook_node`` renders the template and then parses the whole page (with JupyterLab's
    ~250 kB stylesheet and the charts' base64) with BeautifulSoup, to give images without alt text an English one
    and the cells' input and output areas ``tabindex="0"``, and writes it out again: more than half of a report's
    HTML export. The subclass does what ``from_notebook_node`` does before that pass and then the pass's two
    changes by :func:`_accessible`, on the template's text. The page has the same elements, attributes and text;
    what BeautifulSoup changed besides in writing it out, and a browser or WeasyPrint reads the same, stays as
    the template wrote it: the attributes' order and quotes, ``<br>`` for ``<br/>``, white space in ``class``
    values, and white space alone between two tags (BeautifulSoup made it one newline or space, except in
    ``<pre>`` and ``<textarea>``). For an nbconvert outside :data:`LEAN_EXPORT_VERSIONS`, or without the pieces
    used, ``HTMLExporter`` itself.
    """
    import nbconvert
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    try:
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    except ImportError:  # pragma: no cover - another nbconvert
        return HTMLExporter
    if nbconvert.version_info[0] not in LEAN_EXPORT_VERSIONS or not hasattr(HTMLExporter, "_init_resources"):
        return HTMLExporter

    class ReportExporter(HTMLExporter):  # type: ignore[misc, valid-type]
        """``HTMLExporter`` whose ``from_notebook_node`` leaves the page as the template wrote it."""

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:
            # HTMLExporter.from_notebook_node (nbconvert 7) up to its BeautifulSoup pass
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _accessible(_characters(html)), resources

    return ReportExporter


# What nbconvert's BeautifulSoup pass changed, on the page's text: an <img> without alt text gets one (the
# report's: "Figur"), the cells' input areas and outputs (<div>s with those classes) can take keyboard focus
_IMG_START_RE = re.compile(r"<img(?=[\s/>])", re.IGNORECASE)
_ALT_ATTR_RE = re.compile(r"\salt\s*=", re.IGNORECASE)
_FOCUSABLE_DIV_RE = re.compile(
    r'<div class="(?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?"(?![^>]*\stabindex=)[^>]*'
)


_CHARACTER_REF_RE = re.compile(r"&#(?:(\d+)|[xX]([0-9a-fA-F]+));")
# Where the page holds text in which a browser reads no character reference: a comment, the raw text of <script>
# and <style> (group 1 names which), each up to its end (one not closed runs to the end of the page)
_RAW_TEXT_START_RE = re.compile(r"<(?:!--|(script|style)(?![^\s/>]))", re.IGNORECASE)
_RAW_TEXT_END_RE = {
    tag: re.compile(rf"</{tag}(?![^\s/>])[^>]*>", re.IGNORECASE) for tag in ("script", "style")
}


def _raw_text_spans(html: str) -> Iterator[tuple[int, int]]:
    """The ``(start, end)`` offsets of the page's comments and ``<script>`` and ``<style>`` elements, in order.

    Each span runs from its ``<`` to the end of its closing ``-->`` or end tag, or to the end of the page where
    that is missing (as a browser reads it); the tags are found whatever their case.
    """
    pos = 0
    while (start := _RAW_TEXT_START_RE.search(html, pos)) is not None:
        if start[1] is None:
            end = html.find("-->", start.end())
            pos = len(html) if end < 0 else end + 3
        else:
            close = _RAW_TEXT_END_RE[start[1].lower()].search(html, start.end())
            pos = len(html) if close is None else close.end()
        yield start.start(), pos


def _characters(html: str) -> str:
    """The page with numeric character references of letters outside ASCII written as the letters (UTF-8).

    nbconvert's markdown renderer writes a heading's 'å' as ``&#229;``; its BeautifulSoup pass wrote the page out
    with the letter itself, which a search of the page's text (and the report's tests) finds. References below
    U+00A0 (``&#60;`` and the like, which mark-up may need escaped) are left as they are, and so is what only
    looks like one, where a browser reads none, as BeautifulSoup left it: in comments and in the text of
    ``<script>`` and ``<style>`` (a stylesheet's ``content: "&#229;"`` shows those six characters, not 'å').
    """

    def letter(m: re.Match) -> str:
        code = int(m[1]) if m[1] is not None else int(m[2], 16)
        return chr(code) if 0xA0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m[0]

    if "&#" not in html:
        return html
    parts, pos = [], 0
    for start, end in _raw_text_spans(html):
        parts += [_CHARACTER_REF_RE.sub(letter, html[pos:start]), html[start:end]]
        pos = end
    parts.append(_CHARACTER_REF_RE.sub(letter, html[pos:]))
    return "".join(parts)


def _has_alt(html: str, start: int, end: int) -> bool:
    """Whether the tag text ``html[start:end]`` has an ``alt`` attribute.

    An embedded image's base64 (a chart's ~100 kB, no white space in it, so no attribute) is skipped by plain
    search rather than read character by character.
    """
    data = html.find(";base64,", start, end)
    if data < 0:
        return _ALT_ATTR_RE.search(html, start, end) is not None
    quote = html.find('"', data, end)
    return _ALT_ATTR_RE.search(html, start, data) is not None or (
        quote >= 0 and _ALT_ATTR_RE.search(html, quote, end) is not None
    )


def _accessible(html: str) -> str:
    """Alt text for the images that have none and ``tabindex="0"`` for the cells' input and output areas.

    What nbconvert's ``HTMLExporter`` does with BeautifulSoup after rendering (there: an English alt text, which
    :func:`_postprocess` makes Danish), done on the template's output; what already has them is left alone.
    """
    parts, pos = [], 0
    for img in _IMG_START_RE.finditer(html):
        end = html.find(">", img.end())
        if end < 0:
            break
        parts.append(html[pos : img.end()])
        pos = img.end()
        if not _has_alt(html, pos, end):
            parts.append(f" {_DANISH_ALT}")
    html = "".join(parts) + html[pos:]
    return _FOCUSABLE_DIV_RE.sub(lambda m: f'{m[0]} tabindex="0"', html)


@functools.cache
def _exporter() -> Any:
    """One configured HTMLExporter per process (constructing it parses the templates)."""
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {REMOVE_CELL_TAG}
    config.TagRemovePreprocessor.remove_input_tags = _REMOVE_INPUT_TAGS
    config.TagRemovePreprocessor.remove_all_outputs_tags = _REMOVE_OUTPUT_TAGS
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.language_code = "da"
    config.HTMLExporter.theme = "light"
    config.HTMLExporter.embed_images = True
    # Validate the notebook once, after all preprocessors, rather than after each of the dozen: the same HTML
    # (an invalid notebook still fails), a seventh less of its time.
    config.HTMLExporter.optimistic_validation = True
    return _report_exporter_class()(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[os.fspath(TEMPLATES_DIR)],
        log=_exporter_log(),
    )


class _DropMissingAltWarning(logging.Filter):
    """Drop nbconvert's per-report warning about images without alt text (we supply one, see below)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Alternative text is missing")


def _exporter_log() -> logging.Logger:
    log = logging.getLogger(f"{__name__}.nbconvert")
    if not any(isinstance(f, _DropMissingAltWarning) for f in log.filters):
        log.addFilter(_DropMissingAltWarning())
    return log


_STYLE_RE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)
_CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)


# nbconvert gives every image without alt text this English one; a Danish report says "Figur".
_NBCONVERT_ALT = 'alt="No description has been provided for this image"'
_DANISH_ALT = 'alt="Figur"'


_STYLE_OPEN_RE = re.compile(r"<style[^>]*>", re.IGNORECASE)
_STYLE_CLOSE_RE = re.compile(r"</style>", re.IGNORECASE)


@functools.lru_cache(maxsize=32)
def _css_without_comments(css: str) -> str:
    """A stylesheet without its comments; the same few (JupyterLab's, Pygments', report.css) in every report."""
    return _CSS_COMMENT_RE.sub("", css)


def _postprocess(html: str) -> str:
    """Drop comments from inlined stylesheets (JupyterLab's cite web addresses) and use Danish alt text.

    The ``<style>`` elements are found as :data:`_STYLE_RE` finds them, but without reading the ~250 kB of
    stylesheets character by character, and each stylesheet's text is stripped once per process.
    """
    parts, pos = [], 0
    for opening in _STYLE_OPEN_RE.finditer(html):
        if opening.start() < pos:
            continue  # inside the stylesheet just done (as the regular expression went on after it)
        closing = _STYLE_CLOSE_RE.search(html, opening.end())
        if closing is None:
            break
        parts += [html[pos : opening.end()], _css_without_comments(html[opening.end() : closing.start()])]
        pos = closing.start()
    html = "".join(parts) + html[pos:]
    return html.replace(_NBCONVERT_ALT, _DANISH_ALT)


def render_html(nb: Any, meta: ReportMeta | None = None) -> str:
    """Render an executed notebook as a self-contained HTML report, without code.

    Code inputs and prompts are hidden; markdown and outputs (including error outputs) are shown; cells
    tagged ``remove_cell`` are dropped (``remove_input`` / ``remove_output`` drop one part). A title block
    from ``meta`` opens the page. Images are embedded and no script or stylesheet is loaded from the web.

    Parameters
    ----------
    nb : nbformat.NotebookNode, str or os.PathLike
        The executed notebook, or the path of an ``.ipynb`` file. It is not modified.
    meta : ReportMeta, optional
        Title block data; by default read from ``nb.metadata["analysis_report"]``.

    Returns
    -------
    str
        The HTML document (``lang="da"``).
    """
    if isinstance(nb, str | os.PathLike):
        import nbformat

        nb = nbformat.read(os.fspath(nb), as_version=4)
    if meta is None:
        meta = ReportMeta.from_notebook(nb)
    title_block = meta.to_dict() | {
        "run_date_text": fmt_date(meta.run_date),
        "sample_notice": SAMPLE_NOTICE if meta.sample else "",
    }
    resources = {"metadata": {"name": meta.title}, METADATA_KEY: title_block}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return _postprocess(body)


# PDF -------------------------------------------------------------------------------------------------

# Loggers that report every CSS rule WeasyPrint ignores (JupyterLab's stylesheet has hundreds) and
# fontTools' font-subsetting chatter; errors still pass.
_NOISY_LOGGERS = ("weasyprint", "fontTools")


def import_weasyprint() -> Any:
    """``import weasyprint``, on Linux without the compiler runs of ctypes' library search: the module.

    WeasyPrint opens Pango, HarfBuzz, fontconfig and GLib through cffi, trying several names for each library (a
    Windows name first, then the Linux soname). For every name that is not a file name cffi asks
    ``ctypes.util.find_library``, which on Linux runs ``ldconfig -p``, then ``gcc`` and ``ld`` to search for it:
    some twenty compiler runs before WeasyPrint reaches the soname that the dynamic linker opens itself (about
    0.2 s of CPU and 0.15-0.25 s of wall time, paid by every process that imports WeasyPrint, the batch's zygote
    included, before its first report). Here that search answers "not found" while WeasyPrint is imported, so
    each library is opened by its soname, from the places the dynamic linker searches (``LD_LIBRARY_PATH``,
    its cache, the system folders). Should WeasyPrint then not import, it is imported again the usual way.
    On other systems, or when WeasyPrint is already imported, a plain import.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    import ctypes.util

    search = ctypes.util.find_library
    before = set(sys.modules)
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints its install help when it fails
            import weasyprint

        return weasyprint
    except OSError:
        for name in set(sys.modules) - before:  # what the failed import left half done
            if name == "weasyprint" or name.startswith("weasyprint."):
                del sys.modules[name]
    finally:
        ctypes.util.find_library = search
    import weasyprint

    return weasyprint


@contextlib.contextmanager
def _quiet_logs(level: int = logging.ERROR) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        if lg.getEffectiveLevel() < level:
            lg.setLevel(level)
    try:
        yield
    finally:
        for lg, old in zip(loggers, saved, strict=True):
            lg.setLevel(old)


_LOCAL_SCHEMES = ("data", "file")

_IMAGE_SCHEME = "analysis-image"
"""Scheme of the images :func:`_lift_images` takes out of a report's HTML for the PDF (served from memory)."""


def _offline_fetcher(weasyprint: Any, images: Mapping[str, tuple[bytes, str]] | None = None) -> Any:
    """A URL fetcher that reads embedded (data:) and local (file:) resources only, never the network.

    ``images`` maps ``analysis-image:`` URLs (see :func:`_lift_images`) to their bytes and media type.
    """
    images = images or {}
    fetcher_cls = getattr(weasyprint, "URLFetcher", None)
    if fetcher_cls is not None:  # WeasyPrint >= 68
        response_cls = weasyprint.urls.URLFetcherResponse

        class _Fetcher(fetcher_cls):  # type: ignore[misc, valid-type]
            def fetch(self, url: str, headers: Any = None) -> Any:
                if url in images:
                    body, media_type = images[url]
                    return response_cls(url, body, {"Content-Type": media_type})
                return super().fetch(url, headers)

        return _Fetcher(allowed_protocols=set(_LOCAL_SCHEMES))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - older WeasyPrint
        if url in images:
            body, media_type = images[url]
            return {"string": body, "mime_type": media_type}
        if url.split(":", 1)[0].lower() not in _LOCAL_SCHEMES:
            raise ValueError(f"report PDFs load no web resources: {url}")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


#: The PDF's base stylesheet: what of JupyterLab's the reports use (report.css follows it).
PRINT_CSS = TEMPLATES_DIR / TEMPLATE_NAME / "static" / "print.css"
REPORT_CSS = TEMPLATES_DIR / TEMPLATE_NAME / "static" / "report.css"

_HEAD_RE = re.compile(r"<head\b.*?</head>", re.DOTALL | re.IGNORECASE)
_HEAD_STYLE_RE = re.compile(r"<style\b[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_image_data(png: bytes) -> bytes | None:
    """The compressed pixels of an 8-bit RGB PNG without interlacing (its IDAT chunks joined), else None.

    That is what a PDF image with ``/FlateDecode`` and PNG predictors (``/Predictor 15``, three colours, 8 bits)
    holds: WeasyPrint writes such an image by decoding the PNG and encoding it again with Pillow; its own
    compressed rows give the same pixels without either (see :func:`_pass_plain_pngs_through`).

    Parameters
    ----------
    png : bytes
        A PNG file.

    Returns
    -------
    bytes or None
        The zlib stream of the PNG's filtered rows; None for any other PNG (palette, grey, alpha, 16 bits,
        interlaced, a transparent colour) or bytes that are not a PNG.
    """
    if not png.startswith(_PNG_SIGNATURE):
        return None
    pos, parts, plain = len(_PNG_SIGNATURE), [], False
    while pos + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        body = png[pos + 8 : pos + 8 + length]
        if len(body) != length:
            return None  # cut short
        if kind == b"IHDR":
            if length != 13:
                return None
            depth, colour, _, _, interlace = struct.unpack(">BBBBB", body[8:13])
            plain = (depth, colour, interlace) == (8, 2, 0)  # 8 bits, RGB, not interlaced
            if not plain:
                return None
        elif kind == b"tRNS":
            return None  # a transparent colour: WeasyPrint gives the image an alpha channel
        elif kind == b"IDAT":
            parts.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length  # length, type, data, CRC
    return b"".join(parts) if plain and parts else None


def _pass_plain_pngs_through(images: Any) -> None:
    """Have WeasyPrint put an RGB PNG's compressed pixels into the PDF as they are (see :func:`png_image_data`).

    WeasyPrint (``images.RasterImage._get_png_data``) decodes every PNG and encodes it again to take its pixel
    data; for the reports' charts (RGB, see :func:`analysis.reporting.charts.figure_png`) that was about a
    quarter of a PDF's cost. Other images, and WeasyPrint versions without that method, are left to WeasyPrint.
    """
    raster = getattr(images, "RasterImage", None)
    original = getattr(raster, "_get_png_data", None)
    if original is None or getattr(original, "_analysis_pass_through", False):
        return

    def get_png_data(pillow_image: Any) -> bytes:
        source = getattr(pillow_image, "fp", None)
        if pillow_image.format == "PNG" and pillow_image.mode == "RGB" and isinstance(source, io.BytesIO):
            data = png_image_data(source.getvalue())
            if data is not None:
                return data
        return original(pillow_image)

    get_png_data._analysis_pass_through = True  # type: ignore[attr-defined]
    get_png_data._analysis_original = original  # type: ignore[attr-defined]
    raster._get_png_data = staticmethod(get_png_data)


def _drop_layout_tables_first(font_subset: Any) -> None:
    """Have fontTools drop the layout tables WeasyPrint drops anyway before it reads them, not after.

    Without HarfBuzz's subsetter, WeasyPrint subsets each font of a PDF with fontTools, telling it to drop
    ``GSUB`` and ``GPOS``. fontTools (``Subsetter.subset``, since its beyond-64k layouts) first reads both tables
    in full (to convert their layout formats) and only then drops them: for the DejaVu fonts about a tenth of a
    PDF's CPU time. Deleting them, as ``Subsetter._prune_pre_subset`` would, before that gives the same font,
    byte for byte: ``kern`` goes too when ``GPOS`` was there (fontTools drops it for that reason, and visits it
    first). Other subsetting (``GSUB``/``GPOS`` not dropped) is left as it is; a fontTools without
    ``Subsetter.subset`` is left alone.
    """
    subsetter = getattr(font_subset, "Subsetter", None)
    original = getattr(subsetter, "subset", None)
    if original is None or getattr(original, "_analysis_drop_first", False):
        return

    def subset(self: Any, font: Any) -> Any:
        options = self.options
        if "GPOS" in options.drop_tables and "GPOS" in font and "kern" in font and not options.legacy_kern:
            del font["kern"]
        for tag in ("GSUB", "GPOS"):
            if tag in options.drop_tables and tag in font:
                del font[tag]
        return original(self, font)

    subset._analysis_drop_first = True  # type: ignore[attr-defined]
    subset._analysis_original = original  # type: ignore[attr-defined]
    subsetter.subset = subset


# The tables WeasyPrint drops when it subsets a font with HarfBuzz (``Font._harfbuzz_subset``)
_HB_DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


def harfbuzz_subset(
    font_data: bytes, index: int, glyphs: Iterable[int], hinting: bool, notdef: bool
) -> bytes:
    """A font cut down to ``glyphs`` by HarfBuzz's subsetter (uharfbuzz), as WeasyPrint does with HarfBuzz-Subset.

    The same two passes as WeasyPrint's ``Font._harfbuzz_subset``: the glyphs used, keeping every glyph's id (the
    PDF's text refers to glyphs by id) and dropping :data:`_HB_DROPPED_TABLES`; then the empty glyphs after the
    last one used are cut off, without or with hinting.

    Parameters
    ----------
    font_data : bytes
        The font file (TrueType, OpenType or a collection).
    index : int
        The font's index in a collection (0 for a single font).
    glyphs : iterable of int
        Glyph ids to keep; .notdef (0) is always kept.
    hinting : bool
        Keep the hinting instructions.
    notdef : bool
        Keep .notdef's outline (WeasyPrint asks for it when the text has characters the font lacks).

    Returns
    -------
    bytes
        The subset font file.

    Raises
    ------
    RuntimeError or ValueError
        If HarfBuzz cannot subset the font (not a font it reads, or no font returned).
    """
    import uharfbuzz as hb

    keep = sorted(set(glyphs) | {0})
    drop = [int.from_bytes(tag.encode("ascii"), "big") for tag in _HB_DROPPED_TABLES]
    face = hb.Face(font_data, index)
    for glyph_set, flags in (
        (keep, hb.SubsetFlags.RETAIN_GIDS),
        (range(keep[-1] + 1), hb.SubsetFlags.DEFAULT if hinting else hb.SubsetFlags.NO_HINTING),
    ):
        request = hb.SubsetInput()
        request.glyph_set.update(glyph_set)
        request.drop_table_tag_set.update(drop)
        request.flags = (
            flags
            | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
            | hb.SubsetFlags.DESUBROUTINIZE
            | (hb.SubsetFlags.NOTDEF_OUTLINE if notdef else hb.SubsetFlags.DEFAULT)
        )
        face = hb.subset(face, request)
        if face is None:
            raise ValueError("HarfBuzz could not subset the font")
    data = face.blob.data
    if not data:
        raise ValueError("HarfBuzz gave an empty font")
    return bytes(data)


def _subset_fonts_with_uharfbuzz(fonts: Any) -> None:
    """Have WeasyPrint subset a PDF's fonts with HarfBuzz (the uharfbuzz wheel) where it would use fontTools.

    WeasyPrint subsets every font of every PDF: with HarfBuzz-Subset when the system has that library (it is a
    separate package on Debian and Ubuntu, ``libharfbuzz-subset0``, often not installed), else with fontTools,
    which decodes and re-encodes the whole glyph table in Python: for a benchmark report's three DejaVu Sans
    faces about 0.1 s of CPU, a fifth of its PDF. The same subsetting through uharfbuzz (HarfBuzz built into a
    wheel from PyPI) takes about 3 ms and draws the same pages (compared pixel by pixel); it also leaves the
    font's ``head.modified`` as it was, where fontTools writes the time of saving, so the same report gives the
    same PDF bytes. A font HarfBuzz cannot subset falls back to WeasyPrint's fontTools route; without uharfbuzz,
    or with WeasyPrint's own HarfBuzz-Subset, nothing changes.
    """
    font_class = getattr(fonts, "Font", None)
    original = getattr(font_class, "_fonttools_subset", None)
    if original is None or getattr(original, "_analysis_uharfbuzz", False):
        return
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return

    def subset(self: Any, to_unicode: Mapping[int, Any], hinting: bool) -> None:
        try:
            self.file_content = harfbuzz_subset(
                self.file_content, self.index, to_unicode, hinting, bool(self.missing)
            )
        except Exception:  # noqa: BLE001 - any font HarfBuzz refuses goes the fontTools way
            original(self, to_unicode, hinting)

    subset._analysis_uharfbuzz = True  # type: ignore[attr-defined]
    subset._analysis_original = original  # type: ignore[attr-defined]
    font_class._fonttools_subset = subset


_VAR_RE = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)\s*\)")


def _custom_properties(css: str) -> dict[str, str]:
    """The custom properties (``--name: value``) a print stylesheet gives the whole page, by name.

    Those declared in ``:root`` rules at the top level or in ``@media print``; a later declaration wins, as in
    the cascade of equally specific rules. A name that any other rule declares (an element's own value) is left
    out, so that its ``var()`` stays for WeasyPrint to resolve per element.
    """
    import tinycss2  # WeasyPrint's CSS parser

    found: dict[str, str] = {}
    local: set[str] = set()

    def walk(rules: Any) -> None:
        for rule in rules:
            if rule.type == "qualified-rule":
                root = tinycss2.serialize(rule.prelude).strip() == ":root"
                for decl in tinycss2.parse_declaration_list(
                    rule.content, skip_comments=True, skip_whitespace=True
                ):
                    if decl.type == "declaration" and decl.name.startswith("--"):
                        if root:
                            found[decl.name] = tinycss2.serialize(decl.value).strip()
                        else:
                            local.add(decl.name)
            elif rule.type == "at-rule" and rule.content is not None:
                media = tinycss2.serialize(rule.prelude).strip().lower()
                if rule.lower_at_keyword == "media" and media == "print":
                    walk(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))

    walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return {name: value for name, value in found.items() if name not in local}


def resolved_print_css(texts: list[str]) -> list[str]:
    """The print stylesheets with each ``var(--name)`` of a page-wide custom property replaced by its value.

    WeasyPrint resolves a ``var()`` for every element anew, and re-validates the declaration it sits in (a
    ``border-bottom: 1px solid var(--report-rule)`` once per side and table cell): about a twentieth of a
    report's PDF. The reports' custom properties are constants of the page (``:root``), so their values can be
    written in once per process; the result is the same cascade. Declarations of the properties stay;
    ``var()`` with a fallback, or of a name some element sets for itself, is left as it is.

    Parameters
    ----------
    texts : list of str
        The stylesheets in cascade order (``print.css``, ``report.css``); the custom properties of all of them
        apply to each, as on one page.

    Returns
    -------
    list of str
        The stylesheets, in the same order.
    """
    values = _custom_properties("\n".join(texts))

    def resolve(text: str) -> str:
        for _ in range(10):  # a value may itself name a custom property
            new = _VAR_RE.sub(lambda m: values.get(m[1], m[0]), text)
            if new == text:
                break
            text = new
        return text

    return [resolve(text) for text in texts]


# WeasyPrint's user-agent stylesheet (``html5_ua.css``) is matched against every element of every PDF. Its rules for
# what the reports' markup never has cost that matching all the same, most of them selectors without an element
# name (tested on every element): the direction (``[dir]``), ``[hidden]``, the ``rules``/``frame`` attributes of
# tables, form fields, footnotes and notes (``float: footnote``), and ``:visited`` (which never matches).
_LEAN_UA_DROP_RE = re.compile(
    r"\[(?:dir|hidden|rules|frame)\b"
    r"|\b(?:input|button|select|textarea|fieldset|keygen|option|optgroup)\b"
    r"|::?(?:footnote|note)-"
    r"|:visited\b"
)
# Two selectors without an element name, written for the elements they can match in a report: ``:link`` matches
# ``a``, ``area`` and ``link`` with an ``href`` (the last two are not displayed) and only list items have markers.
# Their weight changes only against other user-agent rules, none of which sets the same properties on them.
_LEAN_UA_RENAMED = {":link": "a[href]", "::marker": "li::marker"}
# A page that has any of what the lean sheet leaves out is laid out with WeasyPrint's full sheet.
_NEEDS_FULL_UA_RE = re.compile(
    r"\s(?:dir|hidden|rules|frame)(?:\s*=|[\s/>])"
    r"|<(?:input|button|select|textarea|fieldset|keygen|option|optgroup)\b"
    r"|float\s*:\s*(?:footnote|note)",
    re.IGNORECASE,
)
#: WeasyPrint versions (major) whose user-agent stylesheet the lean one was checked against (the PDFs compared);
#: others get WeasyPrint's own sheet.
LEAN_UA_VERSIONS = range(62, 71)


def lean_ua_css(text: str) -> str:
    """WeasyPrint's user-agent stylesheet without the selectors of what a report's markup does not have.

    Each rule keeps the selectors of its list that do not name a direction, ``hidden``, a table's ``rules`` or
    ``frame``, a form field, a footnote or note, or ``:visited`` (:data:`_LEAN_UA_DROP_RE`); a rule with none left
    goes. ``:link`` and ``::marker`` are written for the elements they match in a report
    (:data:`_LEAN_UA_RENAMED`). At-rules (``@page``, ``@counter-style``) stay as they are. For a page without
    any of those (:data:`_NEEDS_FULL_UA_RE`) every element gets the same declarations from it as from the full
    sheet, with fewer selectors to test.

    Parameters
    ----------
    text : str
        The user-agent stylesheet (WeasyPrint's ``css/html5_ua.css``).

    Returns
    -------
    str
        The lean stylesheet.
    """
    import tinycss2  # WeasyPrint's CSS parser

    out = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            out.append(tinycss2.serialize([rule]))
            continue
        selectors, current = [], []
        for token in rule.prelude:  # the selector list, split at its top-level commas
            if token.type == "literal" and token.value == ",":
                selectors.append(current)
                current = []
            else:
                current.append(token)
        selectors.append(current)
        kept = []
        for tokens in selectors:
            selector = tinycss2.serialize(tokens).strip()
            if not _LEAN_UA_DROP_RE.search(selector):
                kept.append(_LEAN_UA_RENAMED.get(selector, selector))
        if kept:
            out.append(f"{', '.join(kept)} {{{tinycss2.serialize(rule.content)}}}")
    return "\n".join(out)


def _lean_html_class(weasyprint: Any) -> Any:
    """A ``weasyprint.HTML`` that lays pages out with :func:`lean_ua_css`; None where that cannot be done.

    It overrides WeasyPrint's private ``HTML._ua_stylesheets`` (the hook for a document's user-agent sheets), and
    takes the sheet's text and counter styles from ``weasyprint.html``: only for the versions in
    :data:`LEAN_UA_VERSIONS` and where those are all there.
    """
    from weasyprint import html as weasy_html

    try:
        major = int(str(weasyprint.__version__).split(".")[0])
    except ValueError:
        return None
    base = weasyprint.HTML
    text, counters = getattr(weasy_html, "UA", None), getattr(weasy_html, "UA_COUNTER_STYLE", None)
    if major not in LEAN_UA_VERSIONS or not callable(getattr(base, "_ua_stylesheets", None)):
        return None
    if not isinstance(text, str) or counters is None:
        return None
    sheet = weasyprint.CSS(string=lean_ua_css(text), counter_style=counters)

    class _LeanUAHTML(base):  # type: ignore[misc, valid-type]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [sheet] + list(super()._ua_stylesheets(forms)[1:])  # the form sheet, if asked for

    return _LeanUAHTML


@functools.cache
def _pdf_setup() -> tuple[Any, Any, list[Any]]:
    """WeasyPrint, one font configuration and the parsed print stylesheets: once per process (worker).

    Finding the system's fonts and parsing the stylesheets are the fixed part of a PDF's cost; every report
    of a worker reuses them.
    """
    with _quiet_logs():
        weasyprint = (
            import_weasyprint()
        )  # imported here: it costs seconds, and HTML-only workers never need it
        from fontTools import subset as font_subset  # WeasyPrint's font subsetter (without HarfBuzz's)
        from weasyprint import images
        from weasyprint.pdf import fonts as pdf_fonts
        from weasyprint.text.fonts import FontConfiguration

        _pass_plain_pngs_through(images)
        _drop_layout_tables_first(font_subset)
        _subset_fonts_with_uharfbuzz(pdf_fonts)

        fonts = FontConfiguration()
        texts = resolved_print_css([path.read_text("utf-8") for path in (PRINT_CSS, REPORT_CSS)])
        sheets = [weasyprint.CSS(string=text, font_config=fonts) for text in texts]
    return weasyprint, fonts, sheets


@functools.cache
def _lean_html() -> Any:
    """:func:`_lean_html_class` once per process (None: WeasyPrint's own ``HTML``)."""
    weasyprint, _, _ = _pdf_setup()
    with _quiet_logs():
        return _lean_html_class(weasyprint)


# What the PDF does not need of nbconvert's markup: elements that print.css hides (display: none) and so make no
# box, and the white space between block-level tags, which makes no box either but which WeasyPrint's parser and
# box builder walk through. Removed before WeasyPrint parses the page; the layout is the same (tested, and the
# pages compared pixel by pixel).
_HIDDEN_MARKUP_RE = re.compile(
    r'<div class="jp-Collapser[^"]*">\s*</div>'  # empty collapsers (print.css: display none)
    r'|<div class="jp-(?:Input|Output)Prompt[^"]*">\s*</div>'  # empty prompts (display none)
    r'|<a class="anchor-link" href="[^"<>]*">[^<]*</a>'  # the headings' "¶" links (display none)
)
_BLOCK_TAGS = "div|main|header|section|table|thead|tbody|tfoot|tr|td|th|caption|ul|ol|li|dl|p|h[1-6]|style"
_BLOCK_SPACE_RE = re.compile(rf">\s+(?=</?(?:{_BLOCK_TAGS})[\s/>])")
# ... unless the report's own markup may make such white space text: preformatted text, or elements set inline
_SPACE_MATTERS_RE = re.compile(
    r"<pre\b|<textarea\b|white-space\s*:\s*pre|display\s*:\s*inline", re.IGNORECASE
)
# Attributes for the screen only: keyboard focus, and the cells' ids (no link points at them; each id would be a
# named destination in the PDF)
_SCREEN_ATTRS_RE = re.compile(r' (?:tabindex="0"|id="cell-id=[^"<>]*")')
# A numeric cell of analysis.reporting.html.table_html carries its alignment inline for JupyterLab, which has no
# report.css; in the PDF report.css's ``table.report-table .num`` says the same, and no style attribute is parsed.
_NUM_CELL = '<td class="num" style="text-align: right; white-space: nowrap">'
_NUM_CELL_PRINT = '<td class="num">'
# Its other cells and headings carry ``style="text-align: left|right"``: each style attribute is parsed, and makes
# the cell's computed style its own (WeasyPrint shares a computed style only between elements without one), so
# the PDF's markup says it with a class of print.css instead (``.al``/``.ar``, ``!important`` as an inline style
# wins over every rule without it).
_ALIGNED_CELL_RE = re.compile(r'<(t[dh])((?: scope="(?:col|row)")?) style="text-align: (left|right)">')
_ALIGN_CLASS = {"left": "al", "right": "ar"}


def _print_html(html: str) -> str:
    """The report's HTML as the PDF lays it out: the head without its stylesheets, the body lean.

    The head's stylesheets (JupyterLab's, Pygments', report.css) are for the screen; the PDF has its own
    (:func:`_pdf_setup`). Stylesheets in the body, a report's own (e.g.
    :func:`analysis.reporting.html.confidential_notice`), stay. Of the body, what makes no box in print is
    dropped (:data:`_HIDDEN_MARKUP_RE`, white space between block-level tags, the cells' ``tabindex`` and ids),
    numeric table cells lose the inline style that report.css repeats, and the other cells of
    :func:`analysis.reporting.html.table_html` have their inline alignment as a class (``al``/``ar``).
    """
    start, end, head = _head_without_styles(html)
    if head is None:
        return html
    body = html[end:]
    if not _SPACE_MATTERS_RE.search(body):
        body = _BLOCK_SPACE_RE.sub(">", body)
    body = _HIDDEN_MARKUP_RE.sub("", body).replace(_NUM_CELL, _NUM_CELL_PRINT)
    body = _ALIGNED_CELL_RE.sub(lambda m: f'<{m[1]}{m[2]} class="{_ALIGN_CLASS[m[3]]}">', body)
    body = _SCREEN_ATTRS_RE.sub("", body)
    return html[:start] + head + body


def _head_without_styles(html: str) -> tuple[int, int, str | None]:
    """Where the page's ``<head>`` starts and ends, and its text without its ``<style>`` elements (None: no head).

    With plain string search for the head as nbconvert writes it (``<head>``, ``<style ...>`` in lower case), a
    few milliseconds less than the regular expressions over the ~250 kB of stylesheets; otherwise by those.
    """
    start = html.find("<head>")
    end = html.find("</head>", start) if start >= 0 else -1
    if end >= 0:
        end += len("</head>")
        head = html[start:end]
        if head.count("<style") == head.lower().count("<style"):  # no upper-case tag
            parts, pos = [], 0
            while (tag := head.find("<style", pos)) >= 0:
                close = head.find("</style>", tag)
                if close < 0 or head[tag + 6] not in " \t\n\r/>":
                    break
                parts.append(head[pos:tag])
                pos = close + len("</style>")
            else:
                return start, end, "".join(parts) + head[pos:]
    match = _HEAD_RE.search(html)
    if match is None:
        return 0, 0, None
    return match.start(), match.end(), _HEAD_STYLE_RE.sub("", match[0])


_DATA_IMAGE_RE = re.compile(r'(<img\b[^>]*?\bsrc=")data:(image/(?:png|jpeg));base64,([A-Za-z0-9+/=]+)"')


def _lift_images(html: str) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """Take the embedded (base64) PNG and JPEG images out of the HTML: served to WeasyPrint from memory.

    The charts are about 60 % of a report's HTML; WeasyPrint's HTML parser walks through their base64 text and
    then decodes it again as a ``data:`` URL. Each ``<img src="data:...">`` becomes ``analysis-image:<digest>``
    (the same image gets the same address, as a ``data:`` URL would) and the fetcher of
    :func:`_offline_fetcher` returns its bytes. The PDF holds the same images.
    """
    images: dict[str, tuple[bytes, str]] = {}

    def lift(m: re.Match[str]) -> str:
        encoded = m[3]
        url = f"{_IMAGE_SCHEME}:{hashlib.blake2b(encoded.encode('ascii'), digest_size=16).hexdigest()}"
        if url not in images:
            images[url] = (base64.b64decode(encoded), m[2])
        return f'{m[1]}{url}"'

    return _DATA_IMAGE_RE.sub(lift, html), images


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off while WeasyPrint lays out and writes a PDF.

    A PDF allocates some hundred thousand objects (boxes, styles, text), which set off about a thousand
    collections that find little: about a tenth of the PDF's CPU time. What a PDF leaves behind is collected
    afterwards, in the usual way.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pdf_document(html: str, base_url: str | None = None) -> Any:
    """Lay a report's HTML out as A4 pages with the print stylesheets: a ``weasyprint.Document``.

    What :func:`render_pdf` writes; tests read its pages' text and sizes.
    """
    weasyprint, fonts, sheets = _pdf_setup()
    page, images = _lift_images(html)  # first: the leaning then reads a tenth of the text
    page = _print_html(page)
    html_class = _lean_html()
    if html_class is None or _NEEDS_FULL_UA_RE.search(page):
        html_class = weasyprint.HTML
    with _quiet_logs(), _no_gc():
        document = html_class(
            string=page, base_url=base_url, url_fetcher=_offline_fetcher(weasyprint, images)
        )
        return document.render(stylesheets=sheets, font_config=fonts)


# A report in brief, for :func:`warm_up`: what the reports' pages hold (headings, text with bold, a table of
# analysis.reporting.html.table_html, a figure, a stream), so that the first report finds the templates compiled and
# the faces loaded. A 1x1 white PNG as its figure.
_WARM_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
_WARM_TABLE = (
    '<table class="report-table"><caption>Tabel</caption><thead><tr><th scope="col" style="text-align: left">'
    'Kommune</th><th scope="col" style="text-align: right">Mio. kr.</th></tr></thead><tbody><tr>'
    '<th scope="row" style="text-align: left">Æbeltoft</th>'
    '<td class="num" style="text-align: right; white-space: nowrap">1.234,5</td></tr></tbody></table>'
)


def warm_up() -> None:
    """Make one small report's HTML and PDF in memory and throw them away; never raises.

    A process's first report paid about 0.16 s of CPU more for its HTML (nbconvert's exporter made and its
    templates compiled) and 0.29 s more for its PDF (the print stylesheets parsed, the system's fonts found, the
    faces loaded) than its later ones. The batch's zygote calls this before it forks the workers, so that this is
    paid once per batch instead of once per worker. What it leaves is what any earlier report of a worker leaves:
    the caches of one process; the next reports' files are the same bytes as without it (tested).
    """
    try:
        import nbformat

        v4 = nbformat.v4
        outputs = [
            v4.new_output("display_data", data={"text/html": _WARM_TABLE, "text/plain": "tabel"}),
            v4.new_output("display_data", data={"image/png": _WARM_PNG, "text/plain": "figur"}),
            v4.new_output("stream", name="stdout", text="1.234,5 mio. kr.\n"),
        ]
        cells = [
            v4.new_markdown_cell("# Overskrift\n\n## Afsnit\n\nTekst med **fed** og *kursiv*: 12,3 %."),
            v4.new_code_cell("", outputs=outputs),
        ]
        meta = ReportMeta(
            "Opvarmning", 706, "Syddjurs", "5.38.50", "Botilbud", "2018-2025", dt.date(2025, 1, 1), "r0"
        )
        html = render_html(v4.new_notebook(cells=cells), meta)
        with _no_gc():
            document = pdf_document(html)
            with _quiet_logs():
                document.write_pdf(io.BytesIO())
    except Exception:  # noqa: BLE001 - only a warm-up: the first report then pays for it as before
        logging.getLogger(__name__).debug("warm-up of the HTML and PDF rendering failed", exc_info=True)


def render_pdf(html: str, pdf_path: str | os.PathLike[str], base_url: str | None = None) -> None:
    """Print a report's HTML to an A4 PDF with WeasyPrint.

    The page is laid out with the print stylesheets, not with those the HTML carries for the screen:
    ``print.css`` (the little of JupyterLab's stylesheet the reports use) and ``report.css`` (the reports'
    look; its print rules give A4, margins, a running header with the title and municipality left and
    "Kørsels-id …" right from the second page, and "Side X af Y" in the footer), parsed once per process
    with one font configuration and their page-wide ``var()`` written in (:func:`resolved_print_css`), from
    the lean print markup of :func:`_print_html` with the images served from memory (:func:`_lift_images`),
    without cyclic garbage collection meanwhile. Stylesheets in the report's body are kept. Only embedded and local
    resources are loaded, never web addresses. WeasyPrint's warnings about CSS it ignores are silenced; its
    errors are logged. The file is written to a temporary name first and then renamed, so a failed render
    leaves no partial PDF.

    Parameters
    ----------
    html : str
        The HTML document, as returned by :func:`render_html`.
    pdf_path : str or os.PathLike
        Where to write the PDF; the folder must exist.
    base_url : str, optional
        Base for relative links and images in the HTML (a folder path or ``file:`` URL); not needed for
        HTML from :func:`render_html`, whose images are embedded.
    """
    pdf_path = Path(pdf_path)
    partial = pdf_path.with_name(pdf_path.name + ".part")
    with _no_gc():
        document = pdf_document(html, base_url)
        with _quiet_logs():
            try:
                document.write_pdf(partial)
                partial.replace(pdf_path)
            finally:
                partial.unlink(missing_ok=True)
