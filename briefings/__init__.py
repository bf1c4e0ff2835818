"""briefings: briefing notes from a curated YAML knowledge base."""

from __future__ import annotations

__version__ = "0.1.0"
