"""What changed since the previous edition, in words an analyst would use.

A pure comparison of two slices (the previous edition's snapshot and this one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefings.publish.scope import Slice

_ORDER = ("remote-chance", "highly-unlikely", "unlikely", "realistic-possibility",
          "likely", "highly-likely", "almost-certain")
_CONFIDENCE = ("low", "moderate", "high")
_NOUNS = {
    "actors": "actor", "motives": "motive", "measures": "measure", "dealings": "dealing",
    "judgments": "judgment", "events": "event", "sources": "source",
}


def describe_changes(before: Slice, after: Slice) -> list[str]:
    """Sentences saying how ``after`` differs from ``before`` (empty: nothing changed)."""
    lines: list[str] = []
    old_j, new_j = _by_id(before.judgments), _by_id(after.judgments)
    for jid in (j for j in new_j if j in old_j):  # the slice's order, never a set's
        lines += _judgment(old_j[jid], new_j[jid])
    old_m, new_m = _by_id(before.measures), _by_id(after.measures)
    for mid in (m for m in new_m if m in old_m):
        lines += _measure(old_m[mid], new_m[mid])
    old_d, new_d = _by_id(before.dealings), _by_id(after.dealings)
    for did in (d for d in new_d if d in old_d):
        if old_d[did].status != new_d[did].status:
            lines.append(f"Dealing {_dealing_name(after, new_d[did])}: "
                         f"{old_d[did].status} → {new_d[did].status}.")
    for collection in ("actors", "motives", "measures", "dealings", "judgments"):
        lines += _added_removed(collection, getattr(before, collection), getattr(after, collection),
                                after)
    old_events = _by_id(before.events)
    lines += [f"New event: {_date(e.date)}, {e.title}." for e in after.events
              if e.id not in old_events]
    lines += [f"Event removed: {e.title}." for e in before.events
              if e.id not in _by_id(after.events)]
    old_sources = _by_id(before.sources)
    lines += [f"New source: {s.publisher}, {s.title} ({_date(s.published)})."
              for s in after.sources if s.id not in old_sources]
    return lines


def _judgment(old: Any, new: Any) -> list[str]:
    from briefings.model import LIKELIHOODS

    lines = []
    if old.likelihood != new.likelihood:
        arrow = "↑" if _ORDER.index(new.likelihood) > _ORDER.index(old.likelihood) else "↓"
        lines.append(
            f"{arrow} Judgment “{new.statement}”: {_words(old.likelihood)} "
            f"({LIKELIHOODS[old.likelihood]}) → {_words(new.likelihood)} "
            f"({LIKELIHOODS[new.likelihood]})."
        )
    if old.confidence != new.confidence:
        up = _CONFIDENCE.index(new.confidence) > _CONFIDENCE.index(old.confidence)
        lines.append(f"{'↑' if up else '↓'} Confidence in “{new.statement}”: "
                     f"{old.confidence} → {new.confidence}.")
    return lines


def _measure(old: Any, new: Any) -> list[str]:
    lines = []
    if old.status != new.status:
        lines.append(f"Measure “{new.title}”: {_words(old.status)} → {_words(new.status)}.")
    if old.rate_percent != new.rate_percent:
        before = "none" if old.rate_percent is None else f"{old.rate_percent:g}%"
        after = "none" if new.rate_percent is None else f"{new.rate_percent:g}%"
        up = (new.rate_percent or 0) > (old.rate_percent or 0)
        lines.append(f"{'↑' if up else '↓'} Measure “{new.title}”: rate {before} → {after}.")
    return lines


def _added_removed(
    collection: str, before: tuple[Any, ...], after: tuple[Any, ...], part: Slice,
) -> list[str]:
    old, new = _by_id(before), _by_id(after)
    noun = _NOUNS[collection]
    added = [f"New {noun}: {_name(collection, item, part)}." for i, item in new.items()
             if i not in old]
    removed = [f"No longer in this briefing: {noun} {_name(collection, item, part)}."
               for i, item in old.items() if i not in new]
    return added + removed


def _name(collection: str, item: Any, part: Slice) -> str:
    if collection == "actors":
        return str(item.name)
    if collection == "motives":
        return f"{_actor(part, item.actor)}: {item.goal}"
    if collection == "measures":
        return f"“{item.title}”"
    if collection == "dealings":
        return _dealing_name(part, item)
    return f"“{item.statement}”"


def _dealing_name(part: Slice, dealing: Any) -> str:
    return f"{_actor(part, dealing.from_)} → {_actor(part, dealing.to)} ({_words(dealing.kind)})"


def _actor(part: Slice, actor_id: str) -> str:
    actor = part.names.get(actor_id)
    return actor.name if actor else actor_id


def _by_id(items: tuple[Any, ...]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _words(term: str) -> str:
    return term.replace("-", " ")


def _date(value: str) -> str:
    from briefings.publish.wording import date_text

    return date_text(value)
