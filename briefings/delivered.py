"""Whether an edition has reached anyone: the delivery ledger, read only.

The build must know whether an edition was delivered (then its files never change),
but it does not send mail. This core module reads the ledger the delivery side
keeps in the state database, without writing or creating anything: a missing
database or table means nothing was delivered; a ledger that cannot be read stops
the build (it never guesses "not delivered"). A message in flight (``sending``,
say when a send was killed) counts as delivered: it may have arrived.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.errors import UserError

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Delivered:
    """How far an edition went: to how many readers, first and last when."""

    readers: int
    first: str
    last: str

    def in_words(self) -> str:
        """``3 readers (on 2024-04-01 06:00 UTC)``, or ``... (2024-04-01 06:00 to ...)``."""
        first, last = _moment(self.first), _moment(self.last)
        when = f"on {first}" if first == last else f"{first} to {last}"
        return f"{self.readers} reader{'s' if self.readers != 1 else ''} ({when})"


def _moment(stamp: str) -> str:
    """An ISO 8601 UTC timestamp as ``2024-04-01 06:00 UTC``."""
    return f"{stamp[:10]} {stamp[11:16]} UTC" if len(stamp) >= 16 else stamp


def delivered(state: Path | None, *, briefing: str, date: str) -> Delivered | None:
    """Who got the edition of ``briefing`` of ``date`` (any version), or None if nobody."""
    if state is None or not state.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{state.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            row = conn.execute(
                "SELECT count(*), min(updated), max(updated) FROM deliveries WHERE briefing = ? "
                "AND date = ? AND status IN ('sent', 'sending')", (briefing, date),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if "no such table" in str(exc):
            return None  # a database without a ledger yet: nothing was delivered
        raise UserError(  # never assume "not delivered" when the ledger cannot be read
            f"cannot read the delivery ledger in {state}: {exc}; nothing was written"
        ) from None
    return Delivered(row[0], row[1], row[2]) if row and row[0] else None
