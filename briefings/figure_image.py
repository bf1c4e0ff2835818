"""A figure's PNG and its words, as an edition's folder keeps them for the email.

Part of the contract between the wings (:mod:`briefings.editions` lists them in the
manifest): publish draws and writes them, deliver attaches them by Content-ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


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
        key = record.get("key")
        return cls(str(record["name"]), str(record["caption"]), str(record["description"]),
                   tuple(map(str, key)) if isinstance(key, list) else (), png)


def content_id(name: str, edition_id: str) -> str:
    """``figure-NAME.EDITION@briefings.invalid``: unique per figure and edition (RFC 2392)."""
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", edition_id)
    return f"figure-{name}.{safe}@briefings.invalid"
