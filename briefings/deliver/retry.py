"""Pending deliveries: tried again by every later ``send`` and ``run``, then expired.

A delivery the server refused for now (4xx), or that a dropped connection or a
stop left unsent, stays ``pending`` in the ledger. Each ``send`` and ``run`` tries
the pending deliveries of every edition again, earlier ones too, to the readers
they are pending for. One still pending :data:`PENDING_DAYS` days after it was
first queued expires: recorded ``failed`` with why, and reported like a 5xx.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from briefings.deliver.state import now, transaction
from briefings.editions import Edition, current_edition, edition_folder
from briefings.errors import UserError

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

PENDING_DAYS = 5  # as long as mail servers keep a message queued (Postfix, Sendmail)
UNFINISHED = ("pending", "sending")  # sending: in flight when a run was cut short


@dataclass(frozen=True)
class Expired:
    """A delivery given up on: its edition (``briefing date``), reader and why."""

    edition: str
    address: str
    reply: str


def with_pending(conn: sqlite3.Connection, out: Path, *, exclude: Sequence[Edition],
                 briefings: Sequence[str] = ()) -> list[Edition]:
    """The editions in ``out`` (of ``briefings``, if given), other than ``exclude``,
    with deliveries still pending."""
    skip = {(e.briefing, e.date) for e in exclude}
    rows = conn.execute(
        "SELECT DISTINCT briefing, date FROM deliveries WHERE status IN (?, ?)"
        " ORDER BY date, briefing", UNFINISHED,
    ).fetchall()
    found = []
    for row in rows:
        if (row["briefing"], row["date"]) in skip or (
            briefings and row["briefing"] not in briefings
        ):
            continue
        try:
            # as readers should now see it: a correction, if there is one
            edition = current_edition(edition_folder(out, row["briefing"], row["date"]))
        except UserError:  # not a name this OUT could hold
            edition = None
        if edition is not None:  # not in this OUT: left pending (and to expire)
            found.append(edition)
    return found


def expire(conn: sqlite3.Connection, *, days: float = PENDING_DAYS) -> list[Expired]:
    """Deliveries first queued more than ``days`` ago and still not sent: ``failed``."""
    cutoff = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()
    expired = []
    with transaction(conn):
        rows = conn.execute(
            "SELECT d.briefing, d.date, d.subscriber, d.reply, s.address FROM deliveries d"
            " JOIN subscribers s ON s.id = d.subscriber"
            " WHERE d.status IN (?, ?) AND COALESCE(NULLIF(d.queued, ''), d.updated) < ?"
            " ORDER BY d.date, d.briefing, d.subscriber",
            (*UNFINISHED, cutoff),
        ).fetchall()
        for row in rows:
            last = f"; the last reply was {row['reply']}" if row["reply"] else ""
            reply = f"not delivered within {days:g} days{last}"
            conn.execute(
                "UPDATE deliveries SET status = 'failed', reply = ?, updated = ?"
                " WHERE briefing = ? AND date = ? AND subscriber = ?",
                (reply, now(), row["briefing"], row["date"], row["subscriber"]),
            )
            expired.append(Expired(f"{row['briefing']} {row['date']}", row["address"], reply))
    return expired
