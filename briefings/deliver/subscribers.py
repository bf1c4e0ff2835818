"""Subscribers: who they are, how they are added, and which editions they get.

An address is checked strictly (a plain ``local@domain``, no display name, no
spaces, quotes, commas or line breaks), so no address or name can ever inject a
header or a recipient. Two addresses are the same reader when they differ only in
the case of the domain.

Who gets an edition (:func:`matches`): an active subscriber whose clearance is at
least the briefing's TLP (clear < green < amber < amber+strict < red) and whose
topics are empty, contain ``*``, or share a topic with the briefing (a briefing
without topics matches every subscriber).
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from briefings.deliver.state import now, transaction
from briefings.errors import UserError
from briefings.model import TLP_LEVELS

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CSV_HEADER = ["email", "name", "topics", "tlp"]


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One reader: address, name, topics, TLP clearance and status."""

    id: int
    address: str
    name: str
    topics: tuple[str, ...]
    tlp: str
    status: str
    created: str
    updated: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Subscriber:
        return cls(
            id=row["id"], address=row["address"], name=row["name"],
            topics=tuple(t for t in row["topics"].split(";") if t), tlp=row["tlp"],
            status=row["status"], created=row["created"], updated=row["updated"],
        )


def check_address(text: str, *, local_domain: bool = False) -> str:
    """The address, stripped, if it is a plain valid ``local@domain``; else ValueError.

    The domain needs a dot, unless ``local_domain`` (``briefings@localhost``).
    """
    if "\r" in text or "\n" in text:
        raise ValueError("an address may not contain a line break")
    address = text.strip()
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL.match(local) or len(local) > 64 or len(address) > 254:
        raise ValueError(f"not a valid email address: {text!r}")
    labels = domain.split(".")
    if len(labels) < 2 - local_domain or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"not a valid email address: {text!r}")
    return address


def address_key(address: str) -> str:
    """The address as compared: local part as written, domain lower-cased."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_text(value: str, what: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(f"{what} may not contain a line break or control character: {value!r}")
    return value.strip()


def check_tlp(value: str) -> str:
    level = (value or "clear").strip().lower()
    if level not in TLP_LEVELS:
        raise ValueError(f"unknown TLP {value!r}; expected one of {', '.join(TLP_LEVELS)}")
    return level


def parse_topics(values: Iterable[str]) -> tuple[str, ...]:
    topics = (check_text(t, "a topic") for t in values)
    return tuple(dict.fromkeys(t for t in topics if t))


def add(  # noqa: PLR0913
    conn: sqlite3.Connection, *, address: str, name: str = "", topics: Iterable[str] = (),
    tlp: str = "clear", resubscribe: bool = False,
) -> tuple[Subscriber, bool]:
    """Add a subscriber or update the one with that address; (subscriber, created?).

    An unsubscribed reader stays unsubscribed unless ``resubscribe`` is given: a
    re-import of an old list must not mail someone who opted out.
    """
    try:
        address = check_address(address)
        name = check_text(name, "a name")
        topic_list = parse_topics(topics)
        tlp = check_tlp(tlp)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with transaction(conn):
        return _upsert(conn, address, name, topic_list, tlp, resubscribe=resubscribe)


def _upsert(  # noqa: PLR0913
    conn: sqlite3.Connection, address: str, name: str, topics: tuple[str, ...], tlp: str,
    *, resubscribe: bool = False,
) -> tuple[Subscriber, bool]:
    key, stamp, joined = address_key(address), now(), ";".join(topics)
    row = conn.execute("SELECT * FROM subscribers WHERE address_key = ?", (key,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO subscribers (address, address_key, name, topics, tlp, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (address, key, name, joined, tlp, stamp, stamp),
        )
    else:
        status = "active" if resubscribe else row["status"]
        conn.execute(
            "UPDATE subscribers SET address = ?, name = ?, topics = ?, tlp = ?, status = ?,"
            " updated = ? WHERE id = ?", (address, name, joined, tlp, status, stamp, row["id"]),
        )
    found = conn.execute("SELECT * FROM subscribers WHERE address_key = ?", (key,)).fetchone()
    return Subscriber.from_row(found), row is None


@dataclass
class ImportReport:
    """What an import did: counts, and every bad row as ``FILE:ROW: message``."""

    added: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


def import_csv(conn: sqlite3.Connection, *, path: Path, skip_invalid: bool = False) -> ImportReport:
    """Import ``email,name,topics,tlp`` rows (topics separated by ``;``); idempotent.

    Every bad row is reported with its row number (the header is row 1). Unless
    ``skip_invalid``, nothing is imported when any row is bad.
    """
    report = ImportReport()
    good: list[tuple[str, str, tuple[str, ...], str]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream)
            header = [h.strip().lower() for h in next(reader, [])]
            if header != CSV_HEADER:
                raise UserError(f"{path}:1: expected the header {','.join(CSV_HEADER)}, got "
                                f"{','.join(header) or 'an empty file'}")
            for number, row in enumerate(reader, start=2):
                try:
                    good.append(_parse_row(row))
                except ValueError as exc:
                    report.problems.append(f"{path}:{number}: {exc}")
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    if report.problems and not skip_invalid:
        count = len(report.problems)
        raise UserError("\n".join([
            *report.problems,
            (f"{count} bad row{'s' if count != 1 else ''}: nothing imported "
             "(fix them, or use --skip-invalid to import the valid rows)"),
        ]))
    with transaction(conn):
        for address, name, topics, tlp in good:
            _, created = _upsert(conn, address, name, topics, tlp)
            report.added += created
            report.updated += not created
    return report


def _parse_row(row: list[str]) -> tuple[str, str, tuple[str, ...], str]:
    if len(row) != len(CSV_HEADER):
        raise ValueError(f"expected 4 fields (email,name,topics,tlp), got {len(row)}")
    email, name, topics, tlp = row
    for value in row:
        if "\r" in value or "\n" in value:
            raise ValueError(f"a field contains a line break: {value!r}")
    return (
        check_address(email), check_text(name, "a name"), parse_topics(topics.split(";")),
        check_tlp(tlp),
    )


def listing(conn: sqlite3.Connection) -> list[Subscriber]:
    """Every subscriber, by address."""
    rows = conn.execute("SELECT * FROM subscribers ORDER BY address_key").fetchall()
    return [Subscriber.from_row(r) for r in rows]


def remove(conn: sqlite3.Connection, *, address: str) -> None:
    """Delete a subscriber (and their ledger rows); UserError if there is none."""
    try:
        key = address_key(check_address(address))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with transaction(conn):
        gone = conn.execute("DELETE FROM subscribers WHERE address_key = ?", (key,)).rowcount
    if not gone:
        raise UserError(f"no subscriber with the address {address}")


def unsubscribe(conn: sqlite3.Connection, *, subscriber: int) -> Subscriber | None:
    """Mark a subscriber unsubscribed (idempotent); None if there is no such subscriber."""
    with transaction(conn):
        conn.execute(
            "UPDATE subscribers SET status = 'unsubscribed', updated = ? "
            "WHERE id = ? AND status != 'unsubscribed'", (now(), subscriber),
        )
        row = conn.execute("SELECT * FROM subscribers WHERE id = ?", (subscriber,)).fetchone()
    return Subscriber.from_row(row) if row else None


def matches(subscriber: Subscriber, *, tlp: str, topics: Iterable[str]) -> bool:
    """Whether ``subscriber`` should get an edition marked ``tlp`` about ``topics``."""
    if subscriber.status != "active":
        return False
    if TLP_LEVELS.index(subscriber.tlp) < TLP_LEVELS.index(tlp):
        return False
    theirs = {t.casefold() for t in subscriber.topics}
    wanted = {t.casefold() for t in topics}
    return not theirs or "*" in theirs or not wanted or bool(theirs & wanted)


def recipients(conn: sqlite3.Connection, *, tlp: str, topics: Iterable[str]) -> list[Subscriber]:
    """The active subscribers who should get an edition, in the order they subscribed."""
    wanted = tuple(topics)
    rows = conn.execute("SELECT * FROM subscribers WHERE status = 'active' ORDER BY id")
    return [s for s in map(Subscriber.from_row, rows) if matches(s, tlp=tlp, topics=wanted)]
