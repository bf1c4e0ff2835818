"""A briefing's slice of the knowledge base: what its scope covers, and nothing else.

A briefing covers its ``actors`` and every motive, measure, dealing, event and
judgment that names at least one of them. The slice is plain data: it is what the
templates render, what the inputs hash is taken of and what a snapshot keeps.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from briefings.model import (
        Actor,
        Briefing,
        Citation,
        Dealing,
        Event,
        Item,
        Judgment,
        Measure,
        Motive,
        Source,
    )
    from briefings.publish.load import KnowledgeBase

_Item = TypeVar("_Item", bound="Item")


@dataclass(frozen=True)
class Slice:
    """One briefing and the items of its scope, in reading order."""

    briefing: Briefing
    actors: tuple[Actor, ...]
    motives: tuple[Motive, ...]
    measures: tuple[Measure, ...]
    dealings: tuple[Dealing, ...]
    events: tuple[Event, ...]
    judgments: tuple[Judgment, ...]
    sources: tuple[Source, ...]
    names: dict[str, Actor]

    def to_json(self) -> dict[str, Any]:
        """The slice as JSON-ready data: the snapshot of an edition."""
        def dump(items: tuple[Item, ...]) -> list[dict[str, Any]]:
            return [i.model_dump(mode="json", by_alias=True, exclude_none=True) for i in items]

        return {
            "briefing": self.briefing.model_dump(  # who may read it is not its content
                mode="json", exclude_none=True, exclude={"red_readers"}),
            "actors": dump(self.actors),
            "motives": dump(self.motives),
            "measures": dump(self.measures),
            "dealings": dump(self.dealings),
            "events": dump(self.events),
            "judgments": dump(self.judgments),
            "sources": dump(self.sources),
            "counterparts": dump(tuple(a for a in self.names.values() if a not in self.actors)),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slice:
        """The slice a snapshot keeps (the inverse of :meth:`to_json`)."""
        from briefings import model

        def load(kind: type[_Item], key: str) -> tuple[_Item, ...]:
            return tuple(kind.model_validate(item) for item in data.get(key, ()))

        actors = load(model.Actor, "actors")
        counterparts = load(model.Actor, "counterparts")
        return cls(
            briefing=model.Briefing.model_validate(data["briefing"]),
            actors=actors,
            motives=load(model.Motive, "motives"),
            measures=load(model.Measure, "measures"),
            dealings=load(model.Dealing, "dealings"),
            events=load(model.Event, "events"),
            judgments=load(model.Judgment, "judgments"),
            sources=load(model.Source, "sources"),
            names={a.id: a for a in (*actors, *counterparts)},
        )

    def digest(self) -> str:
        """A hash of the slice's content, stable across runs and machines."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def take_slice(kb: KnowledgeBase, briefing_id: str) -> Slice:
    """The slice of ``kb`` that the briefing ``briefing_id`` covers."""
    briefing = kb["briefings"][briefing_id]
    scope = set(briefing.actors)
    actors = tuple(kb["actors"][a] for a in briefing.actors)
    motives = tuple(m for m in kb["motives"].values() if m.actor in scope)
    measures = tuple(
        m for m in kb["measures"].values() if scope & {*m.imposed_by, *m.targets}
    )
    dealings = tuple(d for d in kb["dealings"].values() if scope & {d.from_, d.to})
    events = tuple(sorted(
        (e for e in kb["events"].values() if scope & set(e.actors)), key=lambda e: e.date
    ))
    judgments = tuple(j for j in kb["judgments"].values() if scope & set(j.about))

    named: list[str] = [*briefing.actors]
    for m in measures:
        named += [*m.imposed_by, *m.targets]
    for d in dealings:
        named += [d.from_, d.to]
    for e in events:
        named += e.actors
    for j in judgments:
        named += j.about
    names = {a: kb["actors"][a] for a in dict.fromkeys(named)}

    cited: list[Citation] = []
    for group in (judgments, actors, motives, dealings, measures, events):
        for item in group:
            cited += item.sources
    sources = tuple(kb["sources"][s] for s in dict.fromkeys(c.source for c in cited))
    return Slice(briefing, actors, motives, measures, dealings, events, judgments, sources, names)
