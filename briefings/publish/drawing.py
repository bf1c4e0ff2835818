"""An edition's figures, drawn once: the relationship map
(:mod:`~briefings.publish.relationships`), the measures chart (:mod:`~briefings.publish.charts`)
and the timeline (:mod:`~briefings.publish.timeline`), which all build on ``figures``."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from briefings.publish import charts, timeline
from briefings.publish.relationships import relationship_map

if TYPE_CHECKING:
    from briefings.publish.figures import Figure
    from briefings.publish.scope import Slice


FIGURE_SECTIONS = {"relationships": "dealings", "measures": "measures", "timeline": "timeline"}


_DRAWN: dict[tuple[str, frozenset[str]], tuple[Figure, ...]] = {}
_KEEP = 16  # figure sets kept in a process: a run's due briefings, a preview's notes


def draw_figures(part: Slice) -> tuple[Figure, ...]:
    """The figures of ``part`` that have something to show, in reading order; a figure
    whose section the briefing leaves out is not drawn (web, PDF and email lack it).

    A process draws each distinct set once (:func:`drawn_from`): ``preview`` after an
    edit that leaves them alone, ``run`` building several slots, a rebuild.
    """
    shown = frozenset(
        f for f, section in FIGURE_SECTIONS.items() if section in part.briefing.sections)
    key = (drawn_from(part), shown)
    if key in _DRAWN:
        return _DRAWN[key]
    with ThreadPoolExecutor(1) as pool:  # dot runs in its own processes meanwhile
        graph = pool.submit(relationship_map, part) if "relationships" in shown else None
        figures = [charts.measures_chart(part) if "measures" in shown else None,
                   timeline.timeline_chart(part) if "timeline" in shown else None]
        figures.insert(0, graph.result() if graph else None)
    drawn = _DRAWN[key] = tuple(f for f in figures if f is not None)
    while len(_DRAWN) > _KEEP:
        del _DRAWN[next(iter(_DRAWN))]  # the oldest
    return drawn


def drawn_from(part: Slice) -> str:
    """A hash of what :func:`draw_figures` reads from ``part``: same hash, same figures.

    Judgments, motives, sources and the BLUF are not drawn, so editing them keeps
    the figures (``briefings preview`` redraws only when this changes).
    """
    def dump(items: tuple[Any, ...]) -> list[Any]:
        return [i.model_dump(mode="json", by_alias=True) for i in items]

    drawn = {"tlp": part.briefing.tlp, "scope": part.briefing.actors,
             "names": dump(tuple(part.names.values())), "measures": dump(part.measures),
             "dealings": dump(part.dealings), "events": dump(part.events)}
    return hashlib.sha256(json.dumps(drawn, sort_keys=True).encode()).hexdigest()
