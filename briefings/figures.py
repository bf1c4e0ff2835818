"""Figures of a briefing: the relationship map, the measures chart and the timeline.

Each figure is drawn once per edition from the briefing's slice and kept in two
forms from the same drawing: inline SVG with real text (web page and PDF) and PNG
(email, where most clients drop SVG). The relationship map is laid out by Graphviz
``dot``; the charts are drawn by Matplotlib (:mod:`briefings.charts`).

Drawing is deterministic (same slice, same bytes) and the SVG is safe to insert
into HTML as markup: every data-derived text is escaped by the drawing library,
the XML prologue and comments are dropped, element ids are prefixed with the
figure's name (two figures share a page), and anything that could run or fetch
(scripts, event handlers, links outside the drawing) is refused.
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import graphviz

    from briefings.model import Actor
    from briefings.scope import Slice

FigureName = Literal["relationships", "measures", "timeline"]

# Okabe & Ito (2008): distinguishable with every common form of colour blindness.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky-blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
FONT = "Noto Sans"
PAGE = (6.8 * 72, 9 * 72)  # points: the most an A4 text block gives a figure
PNG_WIDTH = 1120  # pixels at most: twice the 560 px the email shows a figure at
# Colours with contrast on white and on the light fills of the map (WCAG 2.1 AA): marks
# (lines, arrowheads, borders) at least 3:1, text at least 4.5:1.
DEALING_MARK, DEALING_TEXT = OKABE_ITO["blue"], "#005A8C"
MEASURE_MARK, MEASURE_TEXT = OKABE_ITO["vermillion"], "#A84300"
INK, MUTED, BORDER = "#1B1F24", "#5B6470", "#767F89"
MIN_TEXT_PT = 7.5  # the smallest text a figure may print at (the rule is 7 pt)
_FIRM = {  # status -> 0 firm (solid line), 1 (dashed), 2 (dotted); the firmest item decides
    "confirmed": 0, "reported": 1, "proposed": 1, "suspected": 2, "denied": 2,
    "in-force": 0, "announced": 0, "threatened": 1, "suspended": 2, "lifted": 2,
}
_LINE = ("solid", "dashed", "dotted")
_UNQUALIFIED = {"confirmed", "in-force", "announced"}  # items shown without their status
_SHAPES = {"state": "box", "person": "ellipse", "organisation": "component", "group": "hexagon"}
_KEY = (  # shown as text beside the map: full size in print, read by screen readers
    ("Blue arrows: dealings, from giver to receiver; vermillion arrows ending in a bar: "
     "measures, from imposer to target; a double line in both colours: both."),
    ("One line joins each pair of actors and its label lists everything between them, "
     "with each item's status unless confirmed or in force; the line is solid when "
     "something between them is confirmed, in force or announced, dashed when the most "
     "is reported, proposed or threatened, dotted otherwise."),
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


@dataclass(frozen=True)
class FigureImage:
    """A figure's PNG and its words: kept in the edition's folder, attached to its email."""

    name: str
    caption: str
    description: str
    key: tuple[str, ...]
    png: bytes = field(repr=False)

    @property
    def filename(self) -> str:
        return f"figure-{self.name}.png"

    @property
    def size(self) -> tuple[int, int]:
        """Pixels; twice the display size, for sharp images on dense screens."""
        return int.from_bytes(self.png[16:20], "big"), int.from_bytes(self.png[20:24], "big")

    def record(self) -> dict[str, object]:
        """Its entry in the edition's manifest (the PNG is a file beside it)."""
        return {"name": self.name, "file": self.filename, "caption": self.caption,
                "description": self.description, "key": list(self.key)}

    @classmethod
    def read(cls, record: dict[str, object], folder: Path) -> FigureImage:
        """The image a manifest ``record`` names, its PNG read from ``folder``."""
        png = (folder / str(record["file"])).read_bytes()
        return cls(str(record["name"]), str(record["caption"]), str(record["description"]),
                   tuple(record.get("key") or ()), png)  # type: ignore[arg-type]


def words(value: str) -> str:
    """A vocabulary term as words: ``food-aid`` -> ``food aid``."""
    return value.replace("-", " ")


def content_id(name: str, edition_id: str) -> str:
    """``figure-NAME.EDITION@briefings.invalid``: unique per figure and edition (RFC 2392)."""
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", edition_id)
    return f"figure-{name}.{safe}@briefings.invalid"


def draw_figures(part: Slice) -> tuple[Figure, ...]:
    """The figures of ``part`` that have something to show, in reading order."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # dot runs in its own processes meanwhile
        graph = pool.submit(relationship_map, part)
        from briefings import charts

        figures = [charts.measures_chart(part), charts.timeline_chart(part)]
        figures.insert(0, graph.result())
    return tuple(f for f in figures if f is not None)


def tlp_mark(part: Slice) -> tuple[str, str]:
    """A figure's TLP 2.0 marking, its text and colour (on black): images travel alone."""
    from briefings.render import TLP_COLOURS

    return f"TLP:{part.briefing.tlp.upper()}", TLP_COLOURS[part.briefing.tlp]


def relationship_map(part: Slice) -> Figure | None:
    """Actors as nodes grouped by state; one labelled line per pair that deal or measure."""
    if not part.dealings and not part.measures:
        return None
    actors = _map_actors(part)
    links = _links(part)
    graph, svg = _layout(part, actors, links)
    dpi = min(144, PNG_WIDTH / (_size(svg)[0] / 72))  # sharp on dense screens
    dealings = sum(1 for link in links.values() if any(i[2] == "dealing" for i in link))
    measures = sum(1 for link in links.values() if any(i[2] == "measure" for i in link))
    return Figure(
        name="relationships",
        caption=(f"Relationship map: {len(actors)} actors; {count(dealings, 'pair')} "
                 f"linked by dealings (blue), {count(measures, 'pair')} by measures "
                 "(vermillion)"),
        description=_describe_map(part, actors),
        svg=inline_svg(svg, "relationships"),
        draw_png=partial(_png, graph.source, dpi),
        key=_KEY,
    )


def _layout(
    part: Slice, actors: list[Actor], links: dict[tuple[str, str], list[_Item]]
) -> tuple[graphviz.Digraph | graphviz.Source, str]:
    """The first drawing whose smallest text prints at MIN_TEXT_PT or more, else the largest.

    Tried in turn: flows left to right and top down, labels wrapped wide and narrow,
    and leaves staggered over several rows (Graphviz ``unflatten``) when many actors
    share a rank. A drawing wider than the text block prints smaller; the best one
    then gets its type set larger in proportion (spacing does not grow with it).
    """
    best: tuple[float, graphviz.Digraph | graphviz.Source, str, tuple] | None = None
    size = 8.0
    for wrap, flow, stagger in _LAYOUTS:
        drawing = _graph(part, actors, links, size=size, wrap=wrap, rankdir=flow)
        source = drawing.unflatten(stagger=stagger, fanout=True) if stagger else drawing
        svg = source.pipe(format="svg", encoding="utf-8")
        printed = size * _scale(svg)
        if printed >= MIN_TEXT_PT:
            return source, svg
        if best is None or printed > best[0]:
            best = (printed, source, svg, (wrap, flow, stagger))
    assert best is not None
    printed, source, svg, (wrap, flow, stagger) = best
    for _ in range(2):
        size = min(12.0, round(size * MIN_TEXT_PT / printed * 1.02, 2))
        drawing = _graph(part, actors, links, size=size, wrap=wrap, rankdir=flow)
        bigger = drawing.unflatten(stagger=stagger, fanout=True) if stagger else drawing
        bigger_svg = bigger.pipe(format="svg", encoding="utf-8")
        if size * _scale(bigger_svg) <= printed:
            break
        printed, source, svg = size * _scale(bigger_svg), bigger, bigger_svg
        if printed >= MIN_TEXT_PT:
            break
    return source, svg


# (label wrap in characters, flow, leaves staggered over this many rows), tried in order
_LAYOUTS = ((28, "LR", None), (18, "LR", None), (28, "TB", None), (18, "TB", None),
            (18, "TB", 3), (28, "TB", 3))


def _png(dot: str, dpi: float) -> bytes:
    """The drawing ``dot`` as PNG at ``dpi``: the same layout (dot is deterministic)."""
    import graphviz

    sharp = dot.replace("{", f"{{\n\tdpi={dpi:.2f}", 1)
    return graphviz.Source(sharp, engine="dot").pipe(format="png", renderer="cairo")


def count(n: int, word: str) -> str:
    """``1 pair``, ``3 pairs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _graph(  # noqa: PLR0913
    part: Slice, actors: list[Actor], links: dict[tuple[str, str], list[_Item]], *,
    size: float, wrap: int, rankdir: str,
) -> graphviz.Digraph:
    import graphviz

    graph = graphviz.Digraph("relationships", engine="dot")
    graph.attr(
        nodesep="0.15", ranksep="0.4", pad="0.05", fontname=FONT, fontsize=f"{size:g}",
        bgcolor="white", id="graph", rankdir=rankdir,
    )
    graph.attr("node", fontname=FONT, fontsize=f"{size:g}", fontcolor=INK,
               style="filled", fillcolor="white", color=MUTED, penwidth="1",
               margin="0.08,0.03", height="0.3")
    graph.attr("edge", fontname=FONT, fontsize=f"{size:g}", penwidth="1.2", arrowsize="0.7")
    mark, colour = tlp_mark(part)  # from a fixed vocabulary: safe in an HTML-like label
    graph.attr(labelloc="t", labeljust="r", label=(
        f'<<table border="0" cellpadding="2" bgcolor="#000000"><tr><td>'
        f'<font color="{colour}" point-size="{size:g}"><b>{mark}</b></font></td></tr></table>>'
    ))
    _add_actors(graph, actors, set(part.briefing.actors))
    for (one, other), items in links.items():
        _add_link(graph, one, other, items, wrap=wrap, names=part.names)
    return graph


def _add_actors(graph: graphviz.Digraph, actors: list[Actor], in_scope: set[str]) -> None:
    """One node per actor; a state, its leaders and its organisations share a box."""
    import graphviz

    for state, members in _groups(actors).items():
        target = graph
        if state is not None and len(members) > 1:
            target = graphviz.Digraph(f"cluster_{state}")
            target.attr(style="rounded,filled", color=BORDER, fillcolor="#f3f7fb",
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


_Item = tuple[str, str, str, str, str]  # giver, receiver, family, text, status


def _links(part: Slice) -> dict[tuple[str, str], list[_Item]]:
    """Everything between each pair of actors: their dealings and measures, either way."""
    items: list[_Item] = [
        (d.from_, d.to, "dealing", words(d.kind), d.status) for d in part.dealings
    ]
    for m in part.measures:
        text = words(m.kind) + (f" {m.rate_percent:g}%" if m.rate_percent is not None else "")
        items += [(i, t, "measure", text, m.status) for i in m.imposed_by for t in m.targets]
    links: dict[tuple[str, str], list[_Item]] = {}
    for item in items:
        if item[0] in part.names and item[1] in part.names and item[0] != item[1]:
            pair = (item[0], item[1]) if (item[1], item[0]) not in links else (item[1], item[0])
            links.setdefault(pair, []).append(item)
    return links


def _add_link(  # noqa: PLR0913
    graph: graphviz.Digraph, one: str, other: str, items: list[_Item], *, wrap: int,
    names: dict[str, Actor],
) -> None:
    """One line between ``one`` and ``other``, its label listing what goes each way."""
    import graphviz

    ways = {(one, other): [i for i in items if i[0] == one],
            (other, one): [i for i in items if i[0] == other]}
    both = all(ways.values())
    lines = []
    for (_, receiver), going in ways.items():
        if going:
            head = f"to {names[receiver].name}: " if both else ""
            lines += textwrap.wrap(head + _item_list(going), wrap, break_on_hyphens=False)
    families = {i[2] for i in items}
    mark = ":".join(c for f, c in (("dealing", DEALING_MARK), ("measure", MEASURE_MARK))
                    if f in families)
    text = (DEALING_TEXT if families == {"dealing"}
            else MEASURE_TEXT if families == {"measure"} else INK)

    def heads(going: list[_Item]) -> str:
        return "".join(s for f, s in (("measure", "tee"), ("dealing", "normal"))
                       if any(i[2] == f for i in going)) or "none"

    graph.edge(
        one, other, "\n".join(graphviz.escape(line) for line in lines),
        id=f"link-{one}-{other}", color=mark, fontcolor=text,
        style=_LINE[min(_FIRM[i[4]] for i in items)],
        dir="both", arrowhead=heads(ways[one, other]), arrowtail=heads(ways[other, one]),
    )


def _item_list(going: list[_Item]) -> str:
    """``arms, munitions (reported); tariff 20%, tariff 34%``: grouped by status, counted."""
    groups: dict[str, dict[str, int]] = {}
    for _, _, _, text, status in going:
        counts = groups.setdefault(status, {})
        counts[text] = counts.get(text, 0) + 1
    return "; ".join(
        ", ".join(t if n == 1 else f"{t} ×{n}" for t, n in counts.items())
        + ("" if status in _UNQUALIFIED else f" ({words(status)})")
        for status, counts in groups.items()
    )


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
