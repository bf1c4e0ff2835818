"""A briefing's slice of the knowledge base: what bears on its subject, and nothing else.

The rule. A motive, measure, dealing, event or judgment is in a briefing's slice when

1. its id is in the briefing's ``include`` (or, for a judgment, ``key_judgments``):
   always, whatever it names; otherwise
2. its id is not in the briefing's ``exclude``, it names at least one of the
   briefing's ``actors`` (a motive's ``actor``, a measure's ``imposed_by`` or
   ``targets``, a dealing's ``from`` or ``to``, an event's ``actors``, a judgment's
   ``about``), and, when the briefing lists ``subjects``, it shares one of them.

``subjects`` say what an item is about; they are not the readers' ``topics``, which
only route an edition to subscribers. A briefing without ``subjects`` (every
knowledge base written before subjects existed) keeps the actor rule alone: every
item that names one of its actors. With ``subjects``, an item that has none is left
out unless included by id. An id in ``include``/``exclude`` applies to every
collection that holds it.

An actor's profile in a note is its ``summary`` and ``sources``, or, when some of its
``profiles`` share a subject with the briefing, those profiles instead.

Key judgments are ranked: those in ``key_judgments`` first, in the desk's order,
then the others in knowledge-base order (files in path order, items as written). A
judgment with an ``outcome`` is not a key judgment any more: it is in ``resolved``,
for the track record.
Events run in date order. The slice is plain data: it is what the templates render,
what the inputs hash is taken of and what a snapshot keeps.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

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
    resolved: tuple[Judgment, ...] = ()  # judgments with an outcome: the track record's

    def to_json(self) -> dict[str, Any]:
        """The slice as JSON-ready data: the snapshot of an edition."""
        def dump(items: tuple[Item, ...]) -> list[dict[str, Any]]:
            return [i.model_dump(mode="json", by_alias=True, exclude_none=True) for i in items]

        resolved = {"resolved": dump(self.resolved)} if self.resolved else {}
        return {
            **resolved,
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
            resolved=load(model.Judgment, "resolved"),
        )

    def digest(self) -> str:
        """A hash of the slice's content, stable across runs and machines."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def take_slice(kb: KnowledgeBase, briefing_id: str) -> Slice:
    """The slice of ``kb`` that the briefing ``briefing_id`` covers (the rule above)."""
    briefing = kb["briefings"][briefing_id]
    covers = _rule(briefing)
    actors = tuple(_profiled(kb["actors"][a], set(briefing.subjects)) for a in briefing.actors)
    motives = tuple(m for m in kb["motives"].values() if covers(m, {m.actor}))
    measures = tuple(
        m for m in kb["measures"].values() if covers(m, {*m.imposed_by, *m.targets})
    )
    dealings = tuple(d for d in kb["dealings"].values() if covers(d, {d.from_, d.to}))
    events = tuple(sorted(
        (e for e in kb["events"].values() if covers(e, set(e.actors))), key=lambda e: e.date
    ))
    rank = {j: n for n, j in enumerate(briefing.key_judgments)}
    judgments = tuple(sorted(
        (j for j in kb["judgments"].values() if j.id in rank or covers(j, set(j.about))),
        key=lambda j: rank.get(j.id, len(rank)),  # stable: the rest keep their order
    ))

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
    cited += [c for j in judgments if j.outcome for c in j.outcome.sources]  # track record
    sources = tuple(kb["sources"][s] for s in dict.fromkeys(c.source for c in cited))
    open_judgments = tuple(j for j in judgments if j.outcome is None)  # the key judgments
    return Slice(briefing, actors, motives, measures, dealings, events, open_judgments, sources,
                 names, resolved=tuple(j for j in judgments if j.outcome is not None))


def _profiled(actor: Actor, subjects: set[str]) -> Actor:
    """The actor as this note presents it: the ``profiles`` sharing one of the note's
    subjects in place of its ``summary`` and ``sources``, if it has any such."""
    chosen = [p for p in actor.profiles if subjects & set(p.subjects)]
    update: dict[str, Any] = {"profiles": []}
    if chosen:
        update["summary"] = "\n\n".join(p.summary for p in chosen)
        update["sources"] = [c for p in chosen for c in p.sources]
    return actor.model_copy(update=update)


def _rule(briefing: Briefing) -> Callable[[Any, set[str]], bool]:
    """Whether an item naming ``actors`` is in the briefing's slice."""
    scope, subjects = set(briefing.actors), set(briefing.subjects)
    include, exclude = set(briefing.include), set(briefing.exclude)

    def covers(item: Any, actors: set[str]) -> bool:
        if item.id in include:
            return True
        if item.id in exclude or not scope & actors:
            return False
        return not subjects or bool(subjects & set(item.subjects))

    return covers


def information_cutoff(part: Slice) -> str:
    """The note's information cut-off: the briefing's ``cutoff``, else the newest
    source or event its assessment rests on (judgments, motives, measures, dealings
    and events; actor profiles are background), at that date's precision; else ``""``."""
    if part.briefing.cutoff:
        return part.briefing.cutoff
    published = {s.id: s.published for s in part.sources}
    dates = [e.date for e in part.events]
    for group in (part.judgments, part.motives, part.measures, part.dealings, part.events):
        dates += [published[c.source] for item in group for c in item.sources]
    return max(dates, default="")
