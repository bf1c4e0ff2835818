"""The state database: subscribers, the delivery ledger, and the send lock.

One SQLite file (``BRIEFINGS_STATE``; by default ``briefings.sqlite3`` in the current
folder), in WAL mode so the unsubscribe endpoint can write while a send reads.
It never lives inside the output folder: deleting ``out/`` must not lose a
subscriber or the record of who already got which edition.

Tables:

- ``subscribers``: one row per address (``address_key`` is the address lower-cased,
  so ``Ann@Example.ORG`` and ``ann@example.org`` are one reader; rows of databases that
  kept the local part's case are re-keyed on open, unless two would then collide).
- ``deliveries``: the ledger, one row per (briefing, date, subscriber), moving
  ``pending`` → ``sending`` → ``sent`` or ``failed``, with the server's last reply
  and when it was first ``queued`` (a delivery still pending days later expires).
- ``locks``: who is sending now (pid and host), so only one ``send``/``run`` works
  at a time. A lock whose process has died (crash, SIGKILL) is taken over.
- ``runs``: one row per briefing and schedule slot that ``briefings run`` handled
  (``done``, ``unchanged`` when skipped by ``on_unchanged: skip``, or ``failed``).
- ``settings``: the generated unsubscribe secret when ``BRIEFINGS_SECRET`` is unset.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from briefings.config import DEFAULT_STATE
from briefings.errors import UserError

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    address TEXT NOT NULL,
    address_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '',
    tlp TEXT NOT NULL DEFAULT 'clear'
        CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed')),
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    briefing TEXT NOT NULL,
    date TEXT NOT NULL,
    subscriber INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    queued TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (briefing, date, subscriber)
);
CREATE TABLE IF NOT EXISTS locks (
    name TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    since TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    briefing TEXT NOT NULL,
    slot TEXT NOT NULL,
    date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'unchanged', 'failed')),
    detail TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY (briefing, slot)
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
UPDATE OR IGNORE subscribers SET address_key = lower(address_key)
    WHERE address_key != lower(address_key);
"""


def now() -> str:
    """The current time as an ISO 8601 UTC timestamp (seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def state_path(path: Path | None = None, *, out: Path | None = None) -> Path:
    """Where the state database is: ``path`` (``Settings.state``) or the default.

    Refuses a path inside ``out``, where a clean rebuild would delete it.
    """
    path = path if path is not None else DEFAULT_STATE
    if out is not None and path.resolve().is_relative_to(out.resolve()):
        raise UserError(
            f"the state database {path} is inside the output folder {out}: deleting the "
            "output would lose every subscriber. Set BRIEFINGS_STATE to a path outside it."
        )
    return path


def connect(path: Path | None = None, *, out: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the state database, in WAL mode, with the schema."""
    path = state_path(path, out=out)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # in WAL: durable across process crashes
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
        _upgrade(conn)
    except sqlite3.Error as exc:
        raise UserError(f"cannot open the state database {path}: {exc}") from None
    return conn


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring a database made by an earlier version up to the schema."""
    def columns() -> set[str]:
        return {row["name"] for row in conn.execute("PRAGMA table_info(deliveries)")}

    if "queued" in columns():
        return
    with transaction(conn):  # when a delivery was first planned: pending ones expire
        if "queued" not in columns():
            conn.execute("ALTER TABLE deliveries ADD COLUMN queued TEXT NOT NULL DEFAULT ''")
            conn.execute("UPDATE deliveries SET queued = updated")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``), committed on success."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Busy(UserError):
    """Another send or run holds the lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def one_at_a_time(conn: sqlite3.Connection, name: str = "send") -> Iterator[None]:
    """Hold the lock ``name`` for the block; raise :class:`Busy` if a live process has it.

    Re-entrant within one process, so ``briefings run`` can hold it around a build
    and a delivery that takes it again.
    """
    me, host = os.getpid(), socket.gethostname()
    with transaction(conn):
        row = conn.execute("SELECT pid, host, since FROM locks WHERE name = ?", (name,)).fetchone()
        if row is not None and row["pid"] == me and row["host"] == host:
            mine = False
        elif row is not None and (row["host"] != host or _alive(row["pid"])):
            raise Busy(
                f"another {name} is already running (pid {row['pid']} on {row['host']}, "
                f"since {row['since']}); try again when it has finished"
            )
        else:
            conn.execute(
                "INSERT OR REPLACE INTO locks (name, pid, host, since) VALUES (?, ?, ?, ?)",
                (name, me, host, now()),
            )
            mine = True
    try:
        yield
    finally:
        if mine:
            conn.execute("DELETE FROM locks WHERE name = ? AND pid = ?", (name, me))


def setting(conn: sqlite3.Connection, name: str, default: str) -> str:
    """A stored setting; ``default`` is stored and returned the first time it is asked."""
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)", (name, default))
        row = conn.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
    return str(row["value"])
