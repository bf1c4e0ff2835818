"""Figures of a briefing: the relationship map, the measures chart and the timeline.

Each figure is drawn once per edition from the briefing's slice and kept in two
forms from the same drawing: inline SVG with real text (web page and PDF) and PNG
(email, where most clients drop SVG). The relationship map is laid out by Graphviz
``dot``; the charts are drawn by Matplotlib (:mod:`briefings.publish.charts`);
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
from functools import cached_property, partial
from typing import TYPE_CHECKING, Literal

from briefings.editions import FigureImage

if TYPE_CHECKING:
    import graphviz

    from briefings.model import Actor
    from briefings.publish.scope import Slice

FigureName = Literal["relationships", "measures", "timeline"]

# Okabe & Ito (2008): distinguishable with every common form of colour blindness.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky-blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
FONT = "Noto Sans"
PAGE = (6.8 * 72, 8.5 * 72)  # points: the most an A4 text block gives a figure
PNG_WIDTH = 1120  # pixels at most: twice the 560 px the email shows a figure at
_DEALING_STYLE = {  # status -> (line style, colour, arrowhead)
    "confirmed": ("solid", OKABE_ITO["blue"], "normal"),
    "reported": ("dashed", OKABE_ITO["blue"], "normal"),
    "suspected": ("dotted", OKABE_ITO["blue"], "normal"),
    "proposed": ("dashed", OKABE_ITO["sky-blue"], "empty"),
    "denied": ("dotted", "#999999", "odot"),
}
_MEASURE_STYLE = {  # status -> line style; measures end in a bar: they block
    "in-force": "solid", "announced": "solid", "proposed": "dashed", "threatened": "dashed",
    "suspended": "dotted", "lifted": "dotted",
}
_SHAPES = {"state": "box", "person": "ellipse", "organisation": "component", "group": "hexagon"}
_KEY = (  # shown as text beside the map: full size in print, read by screen readers
    ("Blue arrows: dealings, from giver to receiver (solid confirmed, dashed reported, "
     "dotted suspected, pale proposed)."),
    ("Vermillion arrows ending in a bar: measures, from imposer to target (solid in force "
     "or announced, dashed threatened or proposed, dotted suspended or lifted)."),
)
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

    @cached_property
    def png(self) -> bytes:
        """The same drawing as PNG (for email), made on first use: the web and PDF need SVG."""
        return self.draw_png()

    def image(self) -> FigureImage:
        """The figure as the email carries it (draws the PNG if not drawn yet)."""
        return FigureImage(self.name, self.caption, self.description, self.key, self.png)


def tlp_mark(part: Slice) -> tuple[str, str]:
    """A figure's TLP 2.0 marking, its text and colour (on black): images travel alone."""
    from briefings.model import TLP_COLOURS

    return f"TLP:{part.briefing.tlp.upper()}", TLP_COLOURS[part.briefing.tlp]


def relationship_map(part: Slice) -> Figure | None:
    """Actors as nodes grouped by state, dealings and measures as arrows between them."""
    if not part.dealings and not part.measures:
        return None
    import graphviz

    actors = _map_actors(part)
    graph = graphviz.Digraph("relationships", engine="dot")
    graph.attr(
        nodesep="0.25", ranksep="0.7", pad="0.1", fontname=FONT, fontsize="8",
        bgcolor="white", id="graph",
    )
    graph.attr("node", fontname=FONT, fontsize="10", style="filled", fillcolor="white",
               color="#5b6470", penwidth="1", margin="0.1,0.04", height="0.3")
    graph.attr("edge", fontname=FONT, fontsize="8", penwidth="1.2", arrowsize="0.7")
    mark, colour = tlp_mark(part)  # from a fixed vocabulary: safe in an HTML-like label
    graph.attr(labelloc="t", labeljust="r", label=(
        f'<<table border="0" cellpadding="2" bgcolor="#000000"><tr><td>'
        f'<font color="{colour}" point-size="8"><b>{mark}</b></font></td></tr></table>>'
    ))
    _add_actors(graph, actors, set(part.briefing.actors))
    _add_arrows(graph, part)
    layouts = {}
    for rankdir in ("LR", "TB"):  # the flow that lets the text stay largest on the page
        graph.attr(rankdir=rankdir)
        layouts[rankdir] = graph.pipe(format="svg", encoding="utf-8")
        if _scale(layouts[rankdir]) == 1:
            break  # fits the page as it is
    best = max(layouts, key=lambda r: _scale(layouts[r]))
    graph.attr(rankdir=best)
    svg = layouts[best]
    sharp = graph.copy()  # same layout (dot is deterministic), sharp on dense screens
    sharp.attr(dpi=f"{min(144, PNG_WIDTH / (_size(svg)[0] / 72)):.2f}")
    return Figure(
        name="relationships",
        caption="Relationship map: who deals with whom, and the measures between them",
        description=_describe_map(part, actors),
        svg=inline_svg(svg, "relationships"),
        draw_png=partial(sharp.pipe, format="png", renderer="cairo"),
        key=_KEY,
    )


def _add_actors(graph: graphviz.Digraph, actors: list[Actor], in_scope: set[str]) -> None:
    """One node per actor; a state, its leaders and its organisations share a box."""
    import graphviz

    for state, members in _groups(actors).items():
        target = graph
        if state is not None and len(members) > 1:
            target = graphviz.Digraph(f"cluster_{state}")
            target.attr(style="rounded,filled", color="#d0d7de", fillcolor="#f3f7fb",
                        label="", id=f"group-{state}")
        for actor in members:
            target.node(
                actor.id, graphviz.escape(actor.name), id=f"actor-{actor.id}",
                shape=_SHAPES[actor.kind],
                style="rounded,filled" if actor.kind == "state" else "filled",
                penwidth="2" if actor.id in in_scope else "1",
                fillcolor="#e8f1f8" if actor.kind == "state" else "white",
            )
        if target is not graph:
            graph.subgraph(target)


def _add_arrows(graph: graphviz.Digraph, part: Slice) -> None:
    """One arrow per dealing, and one per imposer and target of each measure."""
    import graphviz

    for d in part.dealings:
        style, colour, head = _DEALING_STYLE[d.status]
        label = d.kind.replace("-", " ") + (" (denied)" if d.status == "denied" else "")
        graph.edge(d.from_, d.to, graphviz.escape(label), id=f"dealing-{d.id}",
                   style=style, color=colour, fontcolor=colour, arrowhead=head)
    for m in part.measures:
        label = m.kind.replace("-", " ")
        if m.rate_percent is not None:
            label += f" {m.rate_percent:g}%"
        if m.status not in {"in-force", "announced"}:
            label += f" ({m.status.replace('-', ' ')})"
        for n, (giver, target_id) in enumerate(
            (i, t) for i in m.imposed_by for t in m.targets
        ):
            graph.edge(giver, target_id, graphviz.escape(label), id=f"measure-{m.id}-{n}",
                       style=_MEASURE_STYLE[m.status], color=OKABE_ITO["vermillion"],
                       fontcolor="#a84300", arrowhead="tee")


def _map_actors(part: Slice) -> list[Actor]:
    """The briefing's actors and everyone at the other end of a dealing or measure."""
    ids = [*part.briefing.actors]
    for d in part.dealings:
        ids += [d.from_, d.to]
    for m in part.measures:
        ids += [*m.imposed_by, *m.targets]
    return [part.names[i] for i in dict.fromkeys(ids) if i in part.names]


def _groups(actors: list[Actor]) -> dict[str | None, list[Actor]]:
    """Actors grouped by the state they belong to: its leaders and its organisations."""
    by_id = {a.id: a for a in actors}
    states = {a.id for a in actors if a.kind == "state"}
    state_of_country = {a.country: a.id for a in actors if a.kind == "state" and a.country}

    def state(actor: Actor, seen: frozenset[str] = frozenset()) -> str | None:
        if actor.kind == "state":
            return actor.id
        if actor.leads in states:
            return actor.leads
        if actor.leads in by_id and actor.leads not in seen:
            return state(by_id[actor.leads], seen | {actor.id})
        return state_of_country.get(actor.country) if actor.country else None

    groups: dict[str | None, list[Actor]] = {}
    for actor in actors:
        groups.setdefault(state(actor), []).append(actor)
    return groups


def _describe_map(part: Slice, actors: list[Actor]) -> str:
    name = {a.id: a.name for a in actors}
    lines = [f"Relationship map of {len(actors)} actors: {', '.join(name.values())}."]
    if part.dealings:
        lines.append("Dealings: " + "; ".join(
            f"{name[d.from_]} to {name[d.to]}, {d.kind.replace('-', ' ')} ({d.status})"
            for d in part.dealings
        ) + ".")
    if part.measures:
        lines.append("Measures: " + "; ".join(
            f"{', '.join(name[i] for i in m.imposed_by)} on "
            f"{', '.join(name[t] for t in m.targets)}, {m.title}"
            f"{f' {m.rate_percent:g}%' if m.rate_percent is not None else ''}"
            f" ({m.status.replace('-', ' ')})"
            for m in part.measures
        ) + ".")
    return " ".join(lines)


def _size(svg: str) -> tuple[float, float]:
    """A Graphviz drawing's width and height in points."""
    size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return (float(size.group(1)), float(size.group(2))) if size else PAGE


def _scale(svg: str) -> float:
    """How much a drawing must shrink to fit the page's text block (1: not at all)."""
    width, height = _size(svg)
    return min(1.0, PAGE[0] / width, PAGE[1] / height)


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
