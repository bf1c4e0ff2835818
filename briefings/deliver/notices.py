"""Corrections and withdrawals, mailed to exactly the readers who got the edition.

After ``briefings build --correct`` or ``briefings withdraw``, the next ``send`` or
``run`` mails, once per reader:

- a correction (the whole corrected note, "Correction" in the subject, its own
  Message-ID) to each reader who got an earlier version of that edition: not to a
  reader who got this very correction as their first copy, nor to anyone else;
- a short withdrawal notice (``In-Reply-To`` the message it withdraws) to each
  reader who got any version of it.

Readers must still be active and cleared for the edition's TLP (TLP 2.0 rules as in
:mod:`briefings.deliver.subscribers`, topics aside: they had the edition). Its own ledger,
``notices``, keeps each notice to once per reader (``pending`` → ``sending`` →
``sent`` or ``failed``); a temporary failure stays pending for the next call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.config import Settings
from briefings.deliver.mail import (
    compose,
    message_bytes,
    message_id,
    sender_address,
    withdrawal_message,
)
from briefings.deliver.report import DeliveryReport
from briefings.deliver.routing import matches
from briefings.deliver.state import now, one_at_a_time, transaction
from briefings.deliver.subscribers import Subscriber
from briefings.deliver.tokens import secret, unsubscribe_path
from briefings.deliver.transports import (
    PermanentFailure,
    TemporaryFailure,
    Transport,
    Unreachable,
    transport_for,
)
from briefings.editions import editions as all_editions

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence
    from pathlib import Path

    from briefings.editions import Edition

SCHEMA = """
CREATE TABLE IF NOT EXISTS notices (
    briefing TEXT NOT NULL,
    date TEXT NOT NULL,
    notice TEXT NOT NULL,
    subscriber INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    reply TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY (briefing, date, notice, subscriber)
);
"""


@dataclass(frozen=True)
class Notice:
    """One reader's notice: its ledger name, the message, and its Message-ID."""

    edition: Edition
    name: str  # correction-<n> or withdrawal
    reader: Subscriber
    data: bytes
    message_id: str
    sender: str  # the envelope sender


def send_notices(  # noqa: PLR0913
    *, conn: sqlite3.Connection, out: Path, settings: Settings | None = None,
    transport: Transport | None = None, date: str | None = None, only: Sequence[str] = (),
    dry_run: bool = False,
) -> DeliveryReport:
    """Mail every correction and withdrawal not yet mailed (of ``date``, of ``only``).

    ``settings`` give the sender, the public URL, the secret, the desk's domains and,
    unless ``transport`` is given, where mail goes (as for :func:`deliver`)."""
    settings = settings or Settings()
    conn.executescript(SCHEMA)
    report = DeliveryReport()
    chosen = [e for e in all_editions(out) if (e.correction or e.withdrawn)
              and (date is None or e.date == date) and (not only or e.briefing in only)]
    if not chosen:
        return report
    with one_at_a_time(conn):
        notices = [n for e in chosen for n in _notices(conn, e, settings)]
        if dry_run:
            report.planned += [(f"{n.edition.briefing} {n.edition.date} {n.name}", n.reader.address)
                               for n in notices]
            return report
        if not notices:
            return report
        transport = transport or transport_for(settings)
        try:
            for notice in notices:
                if report.stopped:
                    report.add(_label(notice), "pending", notice.reader.address, report.stopped)
                    continue
                _send(conn, transport, notice, report)
        finally:
            transport.close()
    return report


def _notices(conn: sqlite3.Connection, edition: Edition, settings: Settings) -> list[Notice]:
    name = "withdrawal" if edition.withdrawn else f"correction-{edition.correction_number}"
    readers = _readers(conn, edition, name, settings.org_domains)
    if not readers:
        return []  # all told already: nothing to compose
    key, sender = secret(conn, configured=settings.secret), sender_address(settings.sender)
    public_url = settings.public_url.rstrip("/") if settings.public_url else None
    letter = None if edition.withdrawn else compose(edition, sender=sender, public_url=public_url)
    found = []
    for reader, original_id in readers:
        path = unsubscribe_path(key, reader)
        if letter is not None:
            own_id = message_id(letter, reader)
            if own_id == original_id:
                continue  # this correction was their first copy
            data = message_bytes(letter, reader, unsubscribe_path=path)
        else:
            link = f"{public_url}{path}" if public_url else None
            message = withdrawal_message(edition, reader, sender=sender, original_id=original_id,
                                         unsubscribe_url=link)
            own_id, data = message["Message-ID"], message.as_bytes()
        found.append(Notice(edition, name, reader, data, own_id, sender.addr_spec))
    return found


def _readers(
    conn: sqlite3.Connection, edition: Edition, name: str, org: Sequence[str],
) -> list[tuple[Subscriber, str]]:
    """The readers who got ``edition`` (any version) and still lack this notice, with
    the Message-ID of what they got."""
    rows = conn.execute(
        "SELECT s.*, d.message_id AS got FROM deliveries d JOIN subscribers s "
        "ON s.id = d.subscriber WHERE d.briefing = ? AND d.date = ? AND d.status = 'sent' "
        "AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.briefing = d.briefing AND "
        "n.date = d.date AND n.notice = ? AND n.subscriber = d.subscriber AND "
        "n.status IN ('sent', 'failed')) ORDER BY s.id",
        (edition.briefing, edition.date, name),
    ).fetchall()
    return [
        (reader, row["got"]) for row in rows
        if matches(reader := Subscriber.from_row(row), tlp=edition.tlp, topics=(), org=org,
                   red_readers=edition.red_readers)
    ]


def _send(
    conn: sqlite3.Connection, transport: Transport, notice: Notice, report: DeliveryReport,
) -> None:
    label, address = _label(notice), notice.reader.address
    _record(conn, notice, "sending", "")
    try:
        reply = transport.send(sender=notice.sender, recipient=address, data=notice.data,
                               name=_file_name(notice))
    except PermanentFailure as exc:
        _record(conn, notice, "failed", exc.reply)
        report.add(label, "failed", address, exc.reply)
        return
    except TemporaryFailure as exc:  # pending: the next send or run tries again
        _record(conn, notice, "pending", exc.reply)
        report.add(label, "pending", address, exc.reply)
        if isinstance(exc, Unreachable):
            report.stopped = exc.reply
        return
    _record(conn, notice, "sent", reply)
    report.add(label, "sent")


def _label(notice: Notice) -> str:
    return f"{notice.edition.briefing} {notice.edition.date} {notice.name}"


def _file_name(notice: Notice) -> str:
    return f"{notice.edition.briefing}-{notice.edition.date}-{notice.name}-{notice.reader.id}.eml"


def _record(conn: sqlite3.Connection, notice: Notice, status: str, reply: str) -> None:
    edition = notice.edition
    with transaction(conn):
        conn.execute(
            "INSERT INTO notices (briefing, date, notice, subscriber, status, reply, message_id,"
            " updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
            " status = excluded.status, reply = excluded.reply, updated = excluded.updated",
            (edition.briefing, edition.date, notice.name, notice.reader.id, status, reply,
             notice.message_id, now()),
        )

