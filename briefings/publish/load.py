"""Load the knowledge base: every YAML file below the seeds folder, validated whole.

All problems of a run are collected and raised together as one
:class:`~briefings.errors.InvalidKnowledgeBase`, each naming ``file:line:col``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel, ValidationError

from briefings.errors import InvalidKnowledgeBase, Problem
from briefings.model import COLLECTIONS, MAX_ID, REFERENCES, SLUG
from briefings.reader import Located, Path_, ReadError, display, read_yaml, seed_files

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

Items = dict[str, dict[str, Any]]  # collection -> {id: item}
Places = dict[tuple[str, str], tuple[str, Located, Path_]]  # (collection, id) -> file, doc, path
Report = Callable[[Path_, str, str], None]


@dataclass(frozen=True)
class KnowledgeBase:
    """Every collection as ``{id: item}``, in file order, and where each item was read."""

    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    places: Places = field(default_factory=dict)

    def __getitem__(self, collection: str) -> dict[str, Any]:
        return self.collections[collection]

    def where(self, collection: str, item_id: str, *path: str | int) -> tuple[str, int, int]:
        """``(file, line, column)`` of an item's field (or of the item itself)."""
        name, doc, item_path = self.places[(collection, item_id)]
        return (name, *doc.mark((*item_path, *path)))

    def place(self, collection: str, item_id: str) -> str:
        """``FILE:LINE:COL`` of an item, for messages that point at it."""
        if (collection, item_id) not in self.places:
            return "?:1:1"
        return ":".join(map(str, self.where(collection, item_id)))


def load(seeds: Path) -> KnowledgeBase:
    """Read, validate and cross-check the knowledge base below ``seeds``."""
    items: Items = {name: {} for name in COLLECTIONS}
    places: Places = {}
    paths, problems = seed_files(seeds)
    for path in paths:
        name = display(path)
        try:
            doc = read_yaml(path)
        except ReadError as exc:
            problems.append(Problem(name, exc.line, exc.column, "", exc.message))
            continue
        _collect(name, doc, items, places, problems)
    # An item that failed (or sits in a misspelt collection) was reported once; what
    # refers to it is not reported again: "no actor with id X" means X is really absent.
    _cross_check(items, places, problems)
    if problems:
        raise InvalidKnowledgeBase(problems)
    return KnowledgeBase(items, places)


def _collect(
    name: str, doc: Located, items: Items, places: Places, problems: list[Problem],
) -> None:
    def report(path: Path_, where: str, message: str) -> None:
        line, column = doc.mark(path)
        problems.append(Problem(name, line, column, where, message))

    if doc.data is None:
        return
    if not isinstance(doc.data, dict):
        report((), "", "expected a mapping of collection names (actors:, sources:, ...)")
        return
    for collection, entries in doc.data.items():
        if collection not in COLLECTIONS:
            known = ", ".join(COLLECTIONS)
            report((collection,), collection,
                   f"unknown collection{suggest(collection, COLLECTIONS)}; expected one of {known}")
            meant = closest(collection, COLLECTIONS)
            if meant and isinstance(entries, list):
                _mark_reported(meant, entries, doc, name, places)
            continue
        if not isinstance(entries, list):
            report((collection,), collection, "expected a list of items")
            continue
        _collect_items(name, doc, collection, entries, items, places, report)


def _collect_items(  # noqa: PLR0913
    name: str, doc: Located, collection: str, entries: list[Any], items: Items,
    places: Places, report: Report,
) -> None:
    model = COLLECTIONS[collection]
    for index, entry in enumerate(entries):
        path = (collection, index)
        label = _label(collection, index, entry)
        item_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(item_id, str) and (collection, item_id) in places:
            first_name, first_doc, first_path = places[(collection, item_id)]
            line, _ = first_doc.mark(first_path)
            report((*path, "id"), f"{label}.id", f"duplicate id; first at {first_name}:{line}")
            continue
        if isinstance(item_id, str):
            places[(collection, item_id)] = (name, doc, path)
        try:
            item = model.model_validate(entry)
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"]
                report((*path, *loc), label + _where(loc), _message(error, model))
            continue
        items[collection][item.id] = item


def _mark_reported(
    collection: str, entries: list[Any], doc: Located, name: str, places: Places,
) -> None:
    """Remember the ids of items already reported, so references to them say nothing."""
    for index, entry in enumerate(entries):
        item_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(item_id, str):
            places.setdefault((collection, item_id), (name, doc, (collection, index)))


def _cross_check(items: Items, places: Places, problems: list[Problem]) -> None:
    for collection, fields in REFERENCES.items():
        for item_id, item in items[collection].items():
            name, doc, path = places[(collection, item_id)]
            for field_name, target in fields.items():
                value = getattr(item, "from_" if field_name == "from" else field_name)
                refs = value if isinstance(value, list) else [value]
                targets = (target,) if isinstance(target, str) else target
                for index, ref in enumerate(refs):
                    if message := _missing(items, places, targets, ref):
                        at: Path_ = (
                            (field_name, index) if isinstance(value, list) else (field_name,)
                        )
                        line, column = doc.mark((*path, *at))
                        where = f"{collection}[{item_id}]{_where(at)}"
                        problems.append(Problem(name, line, column, where, message))
    for collection, by_id in items.items():
        for item_id, item in by_id.items():
            for loc, citation in _citations(item):
                if message := _missing(items, places, ("sources",), citation.source):
                    name, doc, path = places[(collection, item_id)]
                    line, column = doc.mark((*path, *loc))
                    where = f"{collection}[{item_id}]{_where(loc)}"
                    problems.append(Problem(name, line, column, where, message))


def _citations(item: Any) -> list[tuple[Path_, Any]]:
    """Each citation of an item (an actor's profiles included) with where it is."""
    found: list[tuple[Path_, Any]] = [
        (("sources", i), c) for i, c in enumerate(getattr(item, "sources", None) or ())
    ]
    for p, profile in enumerate(getattr(item, "profiles", None) or ()):
        found += [(("profiles", p, "sources", i), c) for i, c in enumerate(profile.sources)]
    outcome = getattr(item, "outcome", None)  # a judgment's outcome cites its sources too
    if outcome is not None:
        found += [(("outcome", "sources", i), c) for i, c in enumerate(outcome.sources)]
    return found


def _missing(
    items: Items, places: Places, targets: tuple[str, ...], ref: str | None,
) -> str | None:
    """The problem with a reference to ``ref``, if it names nothing (or nothing valid)."""
    if ref is None or any(ref in items[t] or (t, ref) in places for t in targets):
        return None  # present, or an item already reported as invalid
    kinds = " or ".join(t[:-1] for t in targets)
    known = [k for t in targets for k in items[t]]
    return f"no {kinds} with id {ref!r}{suggest(ref, known)}"


def suggest(word: str, known: Any) -> str:
    """``"; did you mean 'x'?"`` when ``word`` is close to one of ``known``; else ``""``."""
    found = closest(word, known)
    return f"; did you mean {found!r}?" if found else ""


def closest(word: str, known: Any) -> str | None:
    """The one of ``known`` that ``word`` most likely meant (difflib), if any is close."""
    by_case = {str(k).casefold(): str(k) for k in known}
    word = str(word).casefold()
    found = get_close_matches(word, list(by_case), n=1, cutoff=0.6)
    if not found and len(word) >= 3:  # an abbreviation: "cred" for "credibility"
        found = [k for k in by_case if k.startswith(word)][:1]
    return by_case[found[0]] if found else None


def _label(collection: str, index: int, entry: Any) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
        return f"{collection}[{_short(entry['id'])}]"
    return f"{collection}[{index}]"


def _where(loc: Path_) -> str:
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{_short(str(part))}" for part in loc
    )


def _short(name: str) -> str:
    return name if len(name) <= MAX_ID else name[:20] + "…"


_MESSAGES = {
    "missing": "required field is missing",
    "string_too_short": "must not be empty",
}


def _message(error: ErrorDetails, model: type[BaseModel]) -> str:  # noqa: PLR0911
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    shown = _shown(value)
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "extra_forbidden":
        allowed = _fields_at(model, error["loc"][:-1])
        name = str(error["loc"][-1])
        return f"unknown field{suggest(name, allowed)}; the fields here are {', '.join(allowed)}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", ctx["expected"])
        guess = suggest(value, options) if isinstance(value, str) else ""
        return f"expected one of {', '.join(options)}, got {shown}{guess}"
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == SLUG:
        slug = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")
        guess = f"; did you mean {slug!r}?" if slug and len(slug) <= MAX_ID else ""
        return f"expected an id of a-z, 0-9 and '-' (a slug), got {shown}{guess}"
    if kind == "string_too_long" and ctx.get("max_length") == MAX_ID:
        return (f"an id is at most {MAX_ID} characters (it names files and web addresses), "
                f"got {len(str(value))}: {shown}")
    if kind == "list_type" and isinstance(value, str):
        return f"expected a list, e.g. [{value}], got {shown}"
    message = error["msg"][0].lower() + error["msg"][1:]
    return message if isinstance(value, (dict, list)) else f"{message}, got {shown}"


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[-1]


def _fields_at(model: type[BaseModel], loc: Path_) -> list[str]:
    """The field names allowed at ``loc`` inside ``model`` (empty if it cannot tell)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        named = {f.alias or n: f for n, f in current.model_fields.items()}
        current = _nested_model(named[part].annotation) if part in named else None
    if current is None:
        return []
    return [f.alias or n for n, f in current.model_fields.items()]


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_nested_model, get_args(annotation))), None)
