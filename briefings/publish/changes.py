"""What changed since the previous edition, in words an analyst would use, and as data.

A pure comparison of two slices (the previous edition's snapshot and this one). Each
changed item is one :class:`Change`: what the page's "What changed" says about it and
what ``changes.json`` records. Items are taken in the slice's reading order, never in
set order, so an edition is the same whatever ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Change:
    """One item added, removed or changed: its sentences and the fields that moved."""

    collection: str
    id: str
    change: str  # added, removed, changed
    lines: tuple[str, ...]
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"collection": self.collection, "id": self.id, "change": self.change,
                "fields": self.fields, "reason": self.reason}


def describe_changes(before: Slice, after: Slice) -> list[str]:
    """Sentences saying how ``after`` differs from ``before`` (empty: nothing changed)."""
    return [line for change in list_changes(before, after) for line in change.lines]


def list_changes(before: Slice, after: Slice) -> list[Change]:
    """Every change from ``before`` to ``after``, in the order "What changed" lists them."""
    changes: list[Change] = []
    old_j = _by_id(_judgments(before))
    changes += [c for j in _judgments(after) if j.id in old_j
                if (c := _judgment(old_j[j.id], j))]
    old_m = _by_id(before.measures)
    changes += [c for m in after.measures if m.id in old_m if (c := _measure(old_m[m.id], m))]
    old_d = _by_id(before.dealings)
    for new in after.dealings:
        if new.id in old_d and old_d[new.id].status != new.status:
            line = (f"Dealing {_dealing_name(after, new)}: "
                    f"{old_d[new.id].status} → {new.status}.")
            changes.append(Change("dealings", new.id, "changed", (line,),
                                  {"status": _moved(old_d[new.id].status, new.status)}))
    for collection in ("actors", "motives", "measures", "dealings", "judgments"):
        changes += _added_removed(collection, before, after)
    old_events, new_events = _by_id(before.events), _by_id(after.events)
    changes += [Change("events", e.id, "added", (f"New event: {_date(e.date)}, {e.title}.",))
                for e in after.events if e.id not in old_events]
    changes += [Change("events", e.id, "removed", (f"Event removed: {e.title}.",))
                for e in before.events if e.id not in new_events]
    old_sources = _by_id(before.sources)
    changes += [Change("sources", s.id, "added",
                       (f"New source: {s.publisher}, {s.title} ({_date(s.published)}).",))
                for s in after.sources if s.id not in old_sources]
    return changes


def changes_json(changes: list[Change] | None, *, since: str | None) -> bytes:
    """``changes.json`` of an edition: sorted by collection and id, byte-stable."""
    order = list(_NOUNS)
    entries = sorted(changes or (), key=lambda c: (order.index(c.collection), c.id, c.change))
    document = {"since": since, "changes": [c.to_json() for c in entries]}
    return (json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()


def summary(document: dict[str, Any]) -> str:
    """``changes.json`` in one sentence, e.g. "2 judgments changed, 1 event added."."""
    counts: dict[tuple[str, str], int] = {}
    for entry in document.get("changes") or ():
        key = (entry["collection"], entry["change"])
        counts[key] = counts.get(key, 0) + 1
    if document.get("since") is None:
        return "First edition."
    if not counts:
        return "Nothing changed."
    parts = [f"{n} {_NOUNS.get(c, c)}{'s' if n != 1 else ''} {change}"
             for (c, change), n in sorted(counts.items())]
    return ", ".join(parts).capitalize() + "."


def _judgment(old: Any, new: Any) -> Change | None:
    from briefings.vocabularies import LIKELIHOODS

    lines, moved = [], {}
    if old.likelihood != new.likelihood:
        arrow = "↑" if _ORDER.index(new.likelihood) > _ORDER.index(old.likelihood) else "↓"
        lines.append(
            f"{arrow} Judgment “{new.statement}”: {_words(old.likelihood)} "
            f"({LIKELIHOODS[old.likelihood]}) → {_words(new.likelihood)} "
            f"({LIKELIHOODS[new.likelihood]})."
        )
        moved["likelihood"] = _moved(old.likelihood, new.likelihood)
    if old.confidence != new.confidence:
        up = _CONFIDENCE.index(new.confidence) > _CONFIDENCE.index(old.confidence)
        lines.append(f"{'↑' if up else '↓'} Confidence in “{new.statement}”: "
                     f"{old.confidence} → {new.confidence}.")
        moved["confidence"] = _moved(old.confidence, new.confidence)
    reason = None
    if moved and new.reason_for_change and new.reason_for_change != old.reason_for_change:
        reason = new.reason_for_change
        lines[-1] += f" Why: {reason}"
    if new.outcome is not None and old.outcome != new.outcome:
        lines.append(f"Judgment “{new.statement}” resolved: {_words(new.outcome.result)} "
                     f"({_date(new.outcome.on)}); see the track record.")
        before = old.outcome.model_dump(include={"result", "on"}) if old.outcome else None
        moved["outcome"] = _moved(before, new.outcome.model_dump(include={"result", "on"}))
    return Change("judgments", new.id, "changed", tuple(lines), moved, reason) if lines else None


def _measure(old: Any, new: Any) -> Change | None:
    lines, moved = [], {}
    if old.status != new.status:
        lines.append(f"Measure “{new.title}”: {_words(old.status)} → {_words(new.status)}.")
        moved["status"] = _moved(old.status, new.status)
    if old.rate_percent != new.rate_percent:
        before = "none" if old.rate_percent is None else f"{old.rate_percent:g}%"
        after = "none" if new.rate_percent is None else f"{new.rate_percent:g}%"
        up = (new.rate_percent or 0) > (old.rate_percent or 0)
        lines.append(f"{'↑' if up else '↓'} Measure “{new.title}”: rate {before} → {after}.")
        moved["rate_percent"] = _moved(old.rate_percent, new.rate_percent)
    return Change("measures", new.id, "changed", tuple(lines), moved) if lines else None


def _moved(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after}


def _judgments(part: Slice) -> tuple[Any, ...]:
    """Key and resolved judgments alike: resolving one neither adds nor removes it."""
    return (*part.judgments, *part.resolved)


def _added_removed(collection: str, before: Slice, after: Slice) -> list[Change]:
    items = _judgments if collection == "judgments" else lambda part: getattr(part, collection)
    old, new = _by_id(items(before)), _by_id(items(after))
    noun = _NOUNS[collection]
    added = [Change(collection, i, "added", (f"New {noun}: {_name(collection, item, after)}.",))
             for i, item in new.items() if i not in old]
    removed = [Change(collection, i, "removed", (
        f"No longer in this briefing: {noun} {_name(collection, item, before)}.",))
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
