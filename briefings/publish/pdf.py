"""Print HTML to PDF with WeasyPrint, fetching nothing but the project's assets.

WeasyPrint is imported here only, so that commands which render no PDF
(``--help``, ``validate``) never pay for it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import URLFetcher

logger = logging.getLogger(__name__)


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type information
    """Fetches ``data:`` URLs and files inside the asset folders; refuses the rest."""

    def __init__(self, asset_dirs: list[Path]) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=2)
        self.asset_dirs = [d.resolve() for d in asset_dirs]

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if parts.netloc not in {"", "localhost"} or not any(
                path.is_relative_to(d) for d in self.asset_dirs
            ):
                raise ValueError(f"refused to read {url}: outside the template folders")
        elif parts.scheme != "data":
            raise ValueError(f"refused to fetch {url}: notes fetch nothing from the network")
        return super().fetch(url, headers)


class _Run(str):
    """SVG text that WeasyPrint's glyph loop takes as one piece: one shaped run."""

    __slots__ = ()

    def __iter__(self) -> Iterator[str]:
        yield str(self)


_PER_GLYPH = ("dx", "dy", "rotate", "letter-spacing", "textLength")


def _shape_svg_text_as_runs() -> bool:
    """Let WeasyPrint 70 shape plain SVG ``<text>`` as whole runs, not code point by code point.

    WeasyPrint lays out and draws SVG text one code point at a time
    (Kozea/WeasyPrint#2249): slow (a Pango layout per letter, most of the cost of
    a figure's labels), unkerned, and wrong for combining marks. Its maintainers
    suggest drawing the whole text when no glyph is positioned on its own, which
    is what this does, and only then: text with per-glyph ``x``/``y`` lists,
    ``dx``, ``dy``, ``rotate``, ``letter-spacing`` or ``textLength`` keeps the
    per-letter path. Applied to WeasyPrint 70 only, whose code this was checked
    against; with any other version the SVG text is drawn as WeasyPrint draws it.
    """
    svg: Any = importlib.import_module("weasyprint.svg")
    module: Any = importlib.import_module("weasyprint.svg.text")
    letters = module.text
    if not weasyprint.__version__.startswith("70.") or svg.TAGS.get("text") is not letters:
        return False

    def text(drawing: object, node: Any, font_size: float) -> None:
        element, attributes = node._etree_node, node.attrib  # noqa: SLF001
        positioned = any(a in attributes for a in _PER_GLYPH) or any(
            len(attributes.get(a, "").split()) > 1 for a in ("x", "y")
        )
        if positioned or not element.text:
            letters(drawing, node, font_size)
            return
        plain, element.text = element.text, _Run(element.text)
        try:
            letters(drawing, node, font_size)
        finally:
            element.text = plain

    svg.TAGS["text"] = svg.text = text  # draw_node compares TAGS entries with svg.text
    return True


SVG_TEXT_AS_RUNS = _shape_svg_text_as_runs()


def warm_up() -> None:
    """Load fonts and the layout engine once, so a worker's first PDF pays nothing extra."""
    weasyprint.HTML(string="<p>x</p>").render()


def write_pdf(html: str, *, asset_dirs: list[Path]) -> tuple[bytes, int]:
    """The PDF of ``html`` and its page count: A4, tagged (PDF/UA), fonts embedded."""
    document = weasyprint.HTML(
        string=html,
        base_url=asset_dirs[0].resolve().as_uri() + "/",
        url_fetcher=AssetFetcher(asset_dirs),
        media_type="print",
    )
    options = {"pdf_variant": "pdf/ua-1", "pdf_tags": True, "attachments": []}
    rendered = document.render(**options)
    return rendered.write_pdf(**options), len(rendered.pages)
