"""Load the knowledge base: every YAML file below the seeds folder, validated whole.

All problems of a run are collected and raised together as one
:class:`~briefings.errors.InvalidKnowledgeBase`, each naming ``file:line:col``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from briefings.errors import InvalidKnowledgeBase, Problem
from briefings.model import COLLECTIONS, REFERENCES
from briefings.reader import Located, Path_, ReadError, read_yaml, yaml_files

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

Items = dict[str, dict[str, Any]]  # collection -> {id: item}
Places = dict[tuple[str, str], tuple[str, Located, Path_]]  # (collection, id) -> file, doc, path
Report = Callable[[Path_, str, str], None]


@dataclass(frozen=True)
class KnowledgeBase:
    """Every collection as ``{id: item}``, in file order."""

    collections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getitem__(self, collection: str) -> dict[str, Any]:
        return self.collections[collection]


def load(seeds: Path) -> KnowledgeBase:
    """Read, validate and cross-check the knowledge base below ``seeds``."""
    problems: list[Problem] = []
    items: Items = {name: {} for name in COLLECTIONS}
    places: Places = {}
    for path in yaml_files(seeds):
        name = _display(path)
        try:
            doc = read_yaml(path)
        except ReadError as exc:
            problems.append(Problem(name, exc.line, exc.column, "", exc.message))
            continue
        _collect(name, doc, items, places, problems)
    _cross_check(items, places, problems)
    if problems:
        raise InvalidKnowledgeBase(problems)
    return KnowledgeBase(items)


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


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
            report((collection,), collection, f"unknown collection; expected one of {known}")
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
                report((*path, *loc), label + _where(loc), _message(error))
            continue
        items[collection][item.id] = item


def _cross_check(items: Items, places: Places, problems: list[Problem]) -> None:
    for collection, fields in REFERENCES.items():
        for item_id, item in items[collection].items():
            name, doc, path = places[(collection, item_id)]
            for field_name, target in fields.items():
                value = getattr(item, "from_" if field_name == "from" else field_name)
                refs = value if isinstance(value, list) else [value]
                for index, ref in enumerate(refs):
                    if ref is not None and ref not in items[target]:
                        loc = (field_name, index) if isinstance(value, list) else (field_name,)
                        line, column = doc.mark((*path, *loc))
                        where = f"{collection}[{item_id}]{_where(loc)}"
                        message = f"no {target[:-1]} with id {ref!r}"
                        problems.append(Problem(name, line, column, where, message))
    for collection, by_id in items.items():
        for item_id, item in by_id.items():
            for index, citation in enumerate(getattr(item, "sources", None) or ()):
                if citation.source not in items["sources"]:
                    name, doc, path = places[(collection, item_id)]
                    line, column = doc.mark((*path, "sources", index))
                    where = f"{collection}[{item_id}].sources[{index}]"
                    message = f"no source with id {citation.source!r}"
                    problems.append(Problem(name, line, column, where, message))


def _label(collection: str, index: int, entry: Any) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
        return f"{collection}[{entry['id']}]"
    return f"{collection}[{index}]"


def _where(loc: Path_) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field (a typo?)",
    "string_too_short": "must not be empty",
}


def _message(error: ErrorDetails) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "literal_error":
        expected = ctx["expected"].replace("'", "").replace(" or ", ", ")
        return f"expected one of {expected}, got {value!r}"
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "string_pattern_mismatch":
        return f"expected an id of a-z, 0-9 and '-' (a slug), got {value!r}"
    message = error["msg"][0].lower() + error["msg"][1:]
    return message if isinstance(value, (dict, list)) else f"{message}, got {value!r}"
