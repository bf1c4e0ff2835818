"""The relationship map: every actor in scope by name, one labelled line per pair.

Actors are nodes, grouped in a box with the state they belong to; everything between
two actors (their dealings and measures, either way) is one line whose label lists it,
each item with its status unless confirmed or in force. Graphviz ``dot`` lays it out;
the layout chosen is the first whose smallest text prints at ``MIN_TEXT_PT`` or more
once fitted to the page's text block.
"""

from __future__ import annotations

import re
import textwrap
from functools import partial
from typing import TYPE_CHECKING

from briefings.publish.figures import (
    BORDER,
    INK,
    MIN_TEXT_PT,
    MUTED,
    OKABE_ITO,
    PNG_WIDTH,
    Figure,
    count,
    inline_svg,
    tlp_mark,
)
from briefings.publish.render import words

if TYPE_CHECKING:
    import graphviz

    from briefings.model import Actor
    from briefings.publish.scope import Slice

FONT = "Noto Sans"
PAGE = (6.8 * 72, 9 * 72)  # points: the most an A4 text block gives a figure
# Colours with contrast on white and on the light fills of the map (WCAG 2.1 AA): marks
# (lines, arrowheads, borders) at least 3:1, text at least 4.5:1.
DEALING_MARK, DEALING_TEXT = OKABE_ITO["blue"], "#005A8C"
MEASURE_MARK, MEASURE_TEXT = OKABE_ITO["vermillion"], "#A84300"
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
    best: tuple[float, graphviz.Digraph | graphviz.Source, str, _Layout] | None = None
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
_Layout = tuple[int, str, int | None]  # wrap, flow, stagger
_LAYOUTS: tuple[_Layout, ...] = (
    (28, "LR", None), (18, "LR", None), (28, "TB", None), (18, "TB", None),
    (18, "TB", 3), (28, "TB", 3),
)


def _png(dot: str, dpi: float) -> bytes:
    """The drawing ``dot`` as PNG at ``dpi``: the same layout (dot is deterministic)."""
    import graphviz

    sharp = dot.replace("{", f"{{\n\tdpi={dpi:.2f}", 1)
    png: bytes = graphviz.Source(sharp, engine="dot").pipe(format="png", renderer="cairo")
    return png


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
