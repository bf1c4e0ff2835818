"""``briefings schema``: the YAML format as JSON Schema, for editors."""

from __future__ import annotations

import json
from types import GenericAlias
from typing import Any

from pydantic import TypeAdapter

from briefings.model import COLLECTIONS


def json_schema() -> str:
    """One schema for a knowledge-base file: a mapping of collections to item lists."""
    properties: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for name, model in COLLECTIONS.items():
        items: Any = GenericAlias(list, (model,))  # list[model], with the model a variable
        schema = TypeAdapter(items).json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        properties[name] = schema
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://briefings.invalid/schema/knowledge-base.json",
        "title": "briefings knowledge base file",
        "description": "Any file may hold any collections; ids are unique per collection.",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "$defs": defs,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
