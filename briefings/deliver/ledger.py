"""Deliver editions: each reader who should get an edition gets it once.

The ledger (``deliveries`` in the state database) has one row per edition and
reader, moving ``pending`` → ``sending`` → ``sent`` or ``failed`` with the server's
reply. ``sending`` is committed before the message goes out and ``sent`` after the
server accepts it, so after a crash the only message that can arrive twice is the
one in flight; a rerun continues where the last one stopped and skips nobody. A
SIGTERM or SIGINT waits for the message in flight (:func:`briefings.stop.deferred`).

What the server said is what the ledger records (every reply is checked, see
:mod:`briefings.deliver.transports`):

- 2xx after the body: ``sent``.
- 4xx anywhere, a dropped connection: tried ``attempts`` times with exponential
  backoff, then left ``pending``. Every later ``send`` or ``run`` tries the pending
  deliveries again, of earlier editions too, for ``PENDING_DAYS`` days after they
  were first queued; then they expire: ``failed``, reported like a 5xx.
- 5xx: ``failed`` with the server's reply, not retried.

For ``briefings run``, which builds and then delivers::

    from briefings.deliver.ledger import deliver
    from briefings.deliver.state import connect, one_at_a_time

    conn = connect(settings.state, out=out)
    with one_at_a_time(conn):          # the lock is re-entrant within a process
        built = build(...).built
        report = deliver(conn=conn, editions=built, out=out, settings=settings)
    print(report.summary()); exit non-zero unless report.ok
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.config import Settings
from briefings.deliver.mail import Letter, compose, message_bytes, message_id, sender_address
from briefings.deliver.report import DeliveryReport, Undelivered
from briefings.deliver.retry import PENDING_DAYS, UNFINISHED, expire, with_pending
from briefings.deliver.routing import recipients
from briefings.deliver.state import now, one_at_a_time, transaction
from briefings.deliver.tokens import secret, unsubscribe_path
from briefings.deliver.transports import (
    PermanentFailure,
    TemporaryFailure,
    Transport,
    Unreachable,
    transport_for,
)
from briefings.errors import UserError
from briefings.stop import deferred

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

    from briefings.deliver.subscribers import Subscriber
    from briefings.editions import Edition


def deliver(  # noqa: PLR0913
    *,
    conn: sqlite3.Connection,
    editions: Sequence[Edition],
    out: Path | None = None,
    only: Sequence[str] = (),
    settings: Settings | None = None,
    transport: Transport | None = None,
    dry_run: bool = False,
    public_url: str | None = None,
    attempts: int = 3,
    backoff: float = 1.0,
    pending_days: float = PENDING_DAYS,
    sleep: Callable[[float], None] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> DeliveryReport:
    """Deliver ``editions`` to the active subscribers who should get them, once each.

    With ``out``, the deliveries still pending for other editions in ``out`` (of
    the briefings in ``only``, if given) are tried again too, only to the readers
    they are pending for. Deliveries first queued more than ``pending_days`` ago
    and still not sent expire. One edition that cannot be sent (a missing PDF, a
    template error) does not stop the others.

    ``settings`` gives the sender, the secret and, unless given here, the public URL
    (pass ``public_url=""`` for none) and the transport (SMTP at ``smtp_url`` or,
    when unset, the outbox folder). A temporary failure is tried ``attempts`` times
    in all, waiting ``backoff`` seconds, then twice that, and so on.
    """
    settings = settings or Settings()
    if public_url is None:
        public_url = settings.public_url
    sender = sender_address(settings.sender)
    report = DeliveryReport()
    chosen = [(e, False) for e in editions]
    if out is not None:
        chosen += [(e, True) for e in with_pending(conn, out, exclude=editions, briefings=only)]
    chosen = [(e, retry) for e, retry in chosen if not e.withdrawn]  # its readers get a notice
    letters: list[tuple[Letter, bool]] = []
    for edition, retry_only in chosen:
        try:
            letters.append((compose(edition, sender=sender, public_url=public_url), retry_only))
        except Exception as exc:  # noqa: BLE001 - one edition's failure never stops the others
            report.undelivered.append(Undelivered(_label(edition), "", "failed", _words(exc)))
    if dry_run:
        for letter, retry_only in letters:
            for reader in _readers(conn, letter, settings.org_domains, retry_only=retry_only):
                if _status(conn, letter.edition, reader) in {"sent", "failed"}:
                    report.add(_label(letter.edition), "skipped")
                else:
                    report.planned.append((_label(letter.edition), reader.address))
        return report
    with one_at_a_time(conn):
        for expired in expire(conn, days=pending_days):
            report.add(expired.edition, "expired", expired.address, expired.reply)
        run = _Run(
            conn=conn, report=report, key=secret(conn, configured=settings.secret),
            attempts=attempts, backoff=backoff, sleep=sleep or time.sleep,
            transport=transport or transport_for(settings), org=settings.org_domains,
        )
        try:
            run.deliver_all(letters, progress)
        finally:
            run.transport.close()
    return report


def _label(edition: Edition) -> str:
    return f"{edition.briefing} {edition.date}"


def _words(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"


def _readers(conn: sqlite3.Connection, letter: Letter, org: Sequence[str], *,
             retry_only: bool = False) -> list[Subscriber]:
    """Who should get this letter (``org``: the desk's domains, for AMBER+STRICT); with
    ``retry_only``, of those, whom it is pending for."""
    edition = letter.edition
    readers = recipients(conn, tlp=edition.tlp, topics=edition.topics,
                         red_readers=edition.red_readers, org=org)
    if not retry_only:
        return readers
    rows = conn.execute(
        "SELECT subscriber FROM deliveries WHERE briefing = ? AND date = ? AND status IN (?, ?)",
        (letter.edition.briefing, letter.edition.date, *UNFINISHED),
    )
    waiting = {row["subscriber"] for row in rows}
    return [r for r in readers if r.id in waiting]


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
    org: Sequence[str] = ()  # the desk's domains: the only readers of TLP:AMBER+STRICT

    def deliver_all(
        self, letters: list[tuple[Letter, bool]], progress: Callable[[str, int, int], None] | None
    ) -> None:
        plan = [(letter, reader) for letter, retry_only in letters
                for reader in self._plan(letter, retry_only=retry_only)]
        for done, (letter, reader) in enumerate(plan, 1):
            if self.report.stopped:  # counted, not listed: the summary says why
                self.report.tally[_label(letter.edition), "pending"] += 1
                continue
            with deferred():  # a stop waits until this message is sent and recorded
                self.deliver_one(letter, reader)
            if progress:
                progress(f"{_label(letter.edition)} -> {reader.address}", done, len(plan))

    def _plan(self, letter: Letter, *, retry_only: bool) -> list[Subscriber]:
        """The readers still to get this letter; records them ``pending`` in the ledger.

        Pending deliveries to readers who no longer should get the edition
        (unsubscribed, clearance or topics changed) are dropped: nothing to send."""
        edition, stamp, wanted = letter.edition, now(), []
        with transaction(self.conn):
            readers = _readers(self.conn, letter, self.org, retry_only=retry_only)
            keep = {r.id for r in readers}
            waiting = self.conn.execute(
                "SELECT subscriber FROM deliveries WHERE briefing = ? AND date = ?"
                " AND status IN (?, ?)", (edition.briefing, edition.date, *UNFINISHED),
            ).fetchall()
            for gone in {row["subscriber"] for row in waiting} - keep:
                self.conn.execute(
                    "DELETE FROM deliveries WHERE briefing = ? AND date = ? AND subscriber = ?",
                    (edition.briefing, edition.date, gone),
                )
            for reader in readers:
                self.conn.execute(
                    "INSERT OR IGNORE INTO deliveries (briefing, date, subscriber, updated,"
                    " queued) VALUES (?, ?, ?, ?, ?)",
                    (edition.briefing, edition.date, reader.id, stamp, stamp),
                )
                if _status(self.conn, edition, reader) in {"sent", "failed"}:
                    self.report.add(_label(edition), "skipped")
                else:
                    wanted.append(reader)
        return wanted

    def deliver_one(self, letter: Letter, reader: Subscriber) -> None:
        label, address = _label(letter.edition), reader.address
        still = self.conn.execute(
            "SELECT status FROM subscribers WHERE id = ?", (reader.id,)
        ).fetchone()
        if still is None or still["status"] != "active":  # unsubscribed during this run
            self.report.add(label, "skipped")
            return
        try:
            data = message_bytes(letter, reader,
                                 unsubscribe_path=unsubscribe_path(self.key, reader))
        except Exception as exc:  # noqa: BLE001 - e.g. an address the email package refuses
            self._record(letter, reader, "failed", f"cannot write the message: {_words(exc)}")
            self.report.add(label, "failed", address, f"cannot write the message: {_words(exc)}")
            return
        name = f"{letter.edition.briefing}-{letter.edition.date}-{reader.id}.eml"
        self._record(letter, reader, "sending", "")
        for attempt in range(self.attempts):
            try:
                reply = self.transport.send(
                    sender=letter.sender.addr_spec, recipient=address, data=data, name=name
                )
            except PermanentFailure as exc:
                self._record(letter, reader, "failed", exc.reply)
                self.report.add(label, "failed", address, exc.reply)
                return
            except TemporaryFailure as exc:
                if attempt + 1 < self.attempts:
                    self.sleep(self.backoff * 2**attempt)
                    continue
                self._record(letter, reader, "pending", exc.reply)
                self.report.add(label, "pending", address, exc.reply)
                if isinstance(exc, Unreachable):
                    self.report.stopped = exc.reply
                return
            except Exception as exc:  # noqa: BLE001 - the set-up (a refused login, the outbox)
                words = _words(exc)  # or a fault of ours: no verdict; stop, the rest wait
                self._record(letter, reader, "pending", words)
                self.report.add(label, "pending", address, words)
                self.report.stopped = words
                return
            self._record(letter, reader, "sent", reply)
            self.report.add(label, "sent")
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
