"""Figures of a briefing: the relationship map, the measures chart and the timeline.

Each figure is drawn once per edition from the briefing's slice and kept in two
forms from the same drawing: inline SVG with real text (web page and PDF) and PNG
(email, where most clients drop SVG). The relationship map is laid out by Graphviz
``dot`` (:mod:`briefings.publish.relationships`); the charts are drawn by Matplotlib
(:mod:`briefings.publish.charts`, :mod:`briefings.publish.timeline`);
:func:`briefings.publish.drawing.draw_figures` draws them all.

Drawing is deterministic (same slice, same bytes) and the SVG is safe to insert
into HTML as markup: every data-derived text is escaped by the drawing library,
the XML prologue and comments are dropped, element ids are prefixed with the
figure's name (two figures share a page), and anything that could run or fetch
(scripts, event handlers, links outside the drawing) is refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from briefings.figure_image import FigureImage
from briefings.model import TLP_COLOURS

if TYPE_CHECKING:
    from briefings.publish.scope import Slice

FigureName = Literal["relationships", "measures", "timeline", "calibration"]

# Okabe & Ito (2008): distinguishable with every common form of colour blindness.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky-blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
PNG_WIDTH = 1120  # pixels at most: twice the 560 px the email shows a figure at
# Marks at least 3:1 and text at least 4.5:1 on white (WCAG 2.1 AA).
INK, MUTED, BORDER = "#1B1F24", "#5B6470", "#767F89"
MIN_TEXT_PT = 7.5  # the smallest text a figure may print at (the rule is 7 pt)

_REFUSED_TAGS = {"script", "foreignObject", "iframe", "image", "a"}


@dataclass(frozen=True)
class Figure:
    """One figure of an edition, as inline SVG and as PNG of the same drawing."""

    name: FigureName
    caption: str
    description: str
    svg: str
    draw_png: Callable[[], bytes] = field(repr=False, compare=False)
    key: tuple[str, ...] = ()  # how to read it, shown as text under the drawing

    @property
    def drawn(self) -> bool:
        """False for a chart with one bar or point: its description says it instead."""
        return bool(self.svg)

    @classmethod
    def sentence(cls, name: FigureName, caption: str, text: str) -> Figure:
        """A figure not worth drawing (one bar or one point), said in a sentence."""
        return cls(name=name, caption=caption, description=text, svg="", draw_png=bytes)

    @cached_property
    def png(self) -> bytes:
        """The same drawing as PNG (for email), made on first use: the web and PDF need SVG."""
        return self.draw_png()

    def image(self) -> FigureImage:
        """The figure as the email carries it (draws the PNG if not drawn yet)."""
        return FigureImage(self.name, self.caption, self.description, self.key, self.png)


def tlp_mark(part: Slice) -> tuple[str, str]:
    """A figure's TLP 2.0 marking, its text and colour (on black): images travel alone."""
    return f"TLP:{part.briefing.tlp.upper()}", TLP_COLOURS[part.briefing.tlp]


def count(n: int, word: str) -> str:
    """``1 pair``, ``3 pairs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_PROLOGUE = re.compile(  # and Graphviz's titles: node ids, noise to a screen reader
    r"<\?xml.*?\?>|<!DOCTYPE[^>]*>|<!--.*?-->|<metadata>.*?</metadata>|<title>.*?</title>",
    re.DOTALL,
)
_TAG = re.compile(r"<[^<>]*>")


def inline_svg(svg: str, name: str) -> str:
    """SVG markup ready to sit inside HTML: no prologue, ids of its own, labelled, inert."""
    svg = _PROLOGUE.sub("", svg).strip()

    def retag(match: re.Match[str]) -> str:
        tag = match.group(0)
        tag = re.sub(r'\bid="([^"]*)"', rf'id="{name}-\1"', tag)
        tag = re.sub(r'(\bhref=)"#([^"]*)"', rf'\1"#{name}-\2"', tag)
        return re.sub(r"url\(#([^)]*)\)", rf"url(#{name}-\1)", tag)

    svg = _TAG.sub(retag, svg)
    svg = svg.replace("*{", f"#figure-{name}-svg *{{", 1)  # matplotlib's global style rule
    root = re.match(r"<svg\b[^>]*>", svg)
    if root is None:
        raise ValueError("figure SVG does not start with <svg>")
    attributes = re.sub(r'\s(id|role|aria-[a-z]+)="[^"]*"', "", root.group(0)[4:])
    svg = (
        f'<svg id="figure-{name}-svg" class="figure-svg" role="img" '
        f'aria-labelledby="figure-{name}-caption" aria-describedby="figure-{name}-description"'
        + attributes + svg[root.end():]
    )
    _check_inert(svg)
    return svg


def _check_inert(svg: str) -> None:
    """Refuse SVG that could run code or fetch anything (defence in depth)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own drawing library's output
    for element in root.iter():
        tag = element.tag.rpartition("}")[2]
        if tag in _REFUSED_TAGS:
            raise ValueError(f"figure SVG holds a <{tag}> element")
        for key, value in element.attrib.items():
            attr = key.rpartition("}")[2]
            if attr.lower().startswith("on") or (attr == "href" and not value.startswith("#")):
                raise ValueError(f"figure SVG holds an attribute {attr}={value!r}")
