"""Deliver editions: each reader who should get an edition gets it once.

The ledger (``deliveries`` in the state database) has one row per edition and
reader, moving ``pending`` → ``sending`` → ``sent`` or ``failed`` with the server's
reply. ``sending`` is committed before the message goes out and ``sent`` after the
server accepts it, so after a crash the only message that can arrive twice is the
one in flight; a rerun continues where the last one stopped and skips nobody.

Temporary failures (4xx, a dropped connection) are retried with exponential backoff
a bounded number of times, then left ``pending`` for the next run; permanent ones
(5xx) are recorded as ``failed`` and not retried; the rest of the list carries on.

For ``briefings run``, which builds and then delivers::

    from briefings.deliver.ledger import deliver
    from briefings.deliver.state import connect, one_at_a_time

    conn = connect(settings.state, out=out)
    with one_at_a_time(conn):          # the lock is re-entrant within a process
        built = build(...).built
        report = deliver(conn=conn, editions=built, settings=settings)
    print(report.summary()); exit non-zero if report.failed or report.deferred
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from briefings.config import Settings
from briefings.deliver.mail import Letter, compose, message_bytes, message_id, sender_address
from briefings.deliver.state import now, one_at_a_time, transaction
from briefings.deliver.subscribers import Subscriber, recipients
from briefings.deliver.tokens import secret, unsubscribe_path
from briefings.deliver.transports import (
    PermanentFailure,
    TemporaryFailure,
    Transport,
    Unreachable,
    transport_for,
)

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

    from briefings.editions import Edition


@dataclass
class DeliveryReport:
    """What a delivery did: counts, the failures with their replies, and for a dry
    run the (edition, address) pairs that would be sent."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    planned: list[tuple[str, str]] = field(default_factory=list)
    stopped: str = ""

    @property
    def ok(self) -> bool:
        return not (self.failed or self.deferred or self.stopped)

    def summary(self) -> str:
        text = (
            f"{self.sent} sent, {self.failed} failed, {self.deferred} deferred to the next run, "
            f"{self.skipped} skipped (already sent or failed before)"
        )
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


def deliver(  # noqa: PLR0913
    *,
    conn: sqlite3.Connection,
    editions: Sequence[Edition],
    settings: Settings | None = None,
    transport: Transport | None = None,
    dry_run: bool = False,
    public_url: str | None = None,
    attempts: int = 3,
    backoff: float = 1.0,
    sleep: Callable[[float], None] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> DeliveryReport:
    """Deliver ``editions`` to the active subscribers who should get them, once each.

    ``settings`` gives the sender, the secret and, unless given here, the public URL
    (pass ``public_url=""`` for none) and the transport (SMTP at ``smtp_url`` or,
    when unset, the outbox folder). A temporary failure is tried ``attempts`` times
    in all, waiting ``backoff`` seconds, then twice that, and so on.
    """
    settings = settings or Settings()
    if public_url is None:
        public_url = settings.public_url
    sender = sender_address(settings.sender)
    letters = [compose(e, sender=sender, public_url=public_url) for e in editions]
    report = DeliveryReport()
    if dry_run:
        for letter in letters:
            for reader in _readers(conn, letter):
                if _status(conn, letter.edition, reader) in {"sent", "failed"}:
                    report.skipped += 1
                else:
                    report.planned.append((_label(letter.edition), reader.address))
        return report
    with one_at_a_time(conn):
        run = _Run(
            conn=conn, report=report, key=secret(conn, configured=settings.secret),
            attempts=attempts, backoff=backoff, sleep=sleep or time.sleep,
            transport=transport or transport_for(settings),
        )
        try:
            run.deliver_all(letters, progress)
        finally:
            run.transport.close()
    return report


def _label(edition: Edition) -> str:
    return f"{edition.briefing} {edition.date}"


def _readers(conn: sqlite3.Connection, letter: Letter) -> list[Subscriber]:
    return recipients(conn, tlp=letter.edition.tlp, topics=letter.edition.topics)


def _status(conn: sqlite3.Connection, edition: Edition, reader: Subscriber) -> str | None:
    row = conn.execute(
        "SELECT status FROM deliveries WHERE briefing = ? AND date = ? AND subscriber = ?",
        (edition.briefing, edition.date, reader.id),
    ).fetchone()
    return row["status"] if row else None


@dataclass
class _Run:
    conn: sqlite3.Connection
    report: DeliveryReport
    key: bytes
    attempts: int
    backoff: float
    sleep: Callable[[float], None]
    transport: Transport

    def deliver_all(
        self, letters: list[Letter], progress: Callable[[str, int, int], None] | None
    ) -> None:
        plan = [(letter, reader) for letter in letters for reader in self._plan(letter)]
        for done, (letter, reader) in enumerate(plan, 1):
            if self.report.stopped:
                self.report.deferred += 1
                continue
            self.deliver_one(letter, reader)
            if progress:
                progress(f"{_label(letter.edition)} -> {reader.address}", done, len(plan))

    def _plan(self, letter: Letter) -> list[Subscriber]:
        """The readers still to get this letter; records them ``pending`` in the ledger."""
        edition, stamp, wanted = letter.edition, now(), []
        with transaction(self.conn):
            for reader in _readers(self.conn, letter):
                self.conn.execute(
                    "INSERT OR IGNORE INTO deliveries (briefing, date, subscriber, updated) "
                    "VALUES (?, ?, ?, ?)", (edition.briefing, edition.date, reader.id, stamp),
                )
                if _status(self.conn, edition, reader) in {"sent", "failed"}:
                    self.report.skipped += 1
                else:
                    wanted.append(reader)
        return wanted

    def deliver_one(self, letter: Letter, reader: Subscriber) -> None:
        still = self.conn.execute(
            "SELECT status FROM subscribers WHERE id = ?", (reader.id,)
        ).fetchone()
        if still is None or still["status"] != "active":  # unsubscribed during this run
            self.report.skipped += 1
            return
        data = message_bytes(letter, reader, unsubscribe_path=unsubscribe_path(self.key, reader))
        name = f"{letter.edition.briefing}-{letter.edition.date}-{reader.id}.eml"
        self._record(letter, reader, "sending", "")
        for attempt in range(self.attempts):
            try:
                reply = self.transport.send(
                    sender=letter.sender.addr_spec, recipient=reader.address, data=data, name=name
                )
            except PermanentFailure as exc:
                self._record(letter, reader, "failed", exc.reply)
                self.report.failed += 1
                self.report.problems.append(f"{_label(letter.edition)} -> {reader.address}: "
                                            f"failed: {exc.reply}")
                return
            except TemporaryFailure as exc:
                if attempt + 1 < self.attempts:
                    self.sleep(self.backoff * 2**attempt)
                    continue
                self._record(letter, reader, "pending", exc.reply)
                self.report.deferred += 1
                self.report.problems.append(f"{_label(letter.edition)} -> {reader.address}: "
                                            f"deferred: {exc.reply}")
                if isinstance(exc, Unreachable):
                    self.report.stopped = exc.reply
                return
            self._record(letter, reader, "sent", reply)
            self.report.sent += 1
            return

    def _record(self, letter: Letter, reader: Subscriber, status: str, reply: str) -> None:
        edition = letter.edition
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE deliveries SET status = ?, reply = ?, message_id = ?, updated = ?,"
                " attempts = attempts + ? WHERE briefing = ? AND date = ? AND subscriber = ?",
                (status, reply, message_id(letter, reader), now(), status == "sending",
                 edition.briefing, edition.date, reader.id),
            )


def pick_editions(out: Path, *, date: str | None = None, only: Sequence[str] = ()) -> list[Edition]:
    """The editions to send: of ``date``, or the latest of each briefing (in ``only``)."""
    from briefings.editions import editions as all_editions
    from briefings.errors import UserError

    latest: dict[str, Edition] = {}
    for edition in all_editions(out):
        if (date is None or edition.date == date) and (not only or edition.briefing in only):
            latest[edition.briefing] = edition  # oldest first, so the last one is the latest
    missing = [b for b in only if b not in latest]
    if missing:
        when = f"of {date} " if date else ""
        raise UserError(f"no edition {when}in {out} for {', '.join(missing)}; build it first")
    if not latest:
        raise UserError(f"no editions {'of ' + date + ' ' if date else ''}in {out}; "
                        "run `briefings build` first")
    return list(latest.values())
