"""``briefings run``: the scheduled job. Builds what is due and delivers it, once.

For each briefing with a ``schedule``, the latest slot at or before ``now`` (in the
briefing's time zone) is due unless a run record says it was handled. A due slot
builds the edition dated by the slot's local date and delivers it. A first run, or a
run after downtime, handles only the latest slot. A slot that failed to build, or
whose delivery failed or is still pending, stays due, so the next run tries again
(the delivery ledger keeps it to once per reader); every run also tries again the
deliveries still pending from earlier editions (:mod:`briefings.deliver.retry`). One
briefing's failure never stops the others. Only one ``run`` or ``send`` works at a
time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from briefings.config import Settings
from briefings.deliver.schedule import Slot, latest_slot
from briefings.deliver.state import connect, one_at_a_time, transaction
from briefings.deliver.state import now as timestamp
from briefings.errors import UserError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from briefings.deliver.report import DeliveryReport
    from briefings.editions import Edition
    from briefings.publish.load import KnowledgeBase


@dataclass(frozen=True)
class SlotOutcome:
    """What one briefing's slot came to."""

    briefing: str
    slot: str
    status: str  # done, unchanged, failed, not-due
    detail: str


@dataclass
class RunReport:
    outcomes: list[SlotOutcome] = field(default_factory=list)
    not_built: list[str] = field(default_factory=list)  # "briefing (slot): why", for alerts
    delivery: DeliveryReport | None = None

    @property
    def failed(self) -> list[SlotOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and (self.delivery is None or self.delivery.ok)


def run_due(  # noqa: PLR0913
    *,
    seeds: Path,
    templates: Path | None,
    out: Path,
    now: datetime,
    jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    settings: Settings | None = None,
) -> RunReport:
    """Build every briefing whose latest slot at ``now`` is not yet handled, then
    deliver what was built, and what is still pending from earlier runs, at once.

    The knowledge base is loaded once; the due editions of one date are built together,
    their PDFs printed by ``jobs`` workers at once. One briefing's failure (any
    exception while building or sending it) is recorded and the others go on.
    """
    from briefings.deliver.ledger import deliver
    from briefings.deliver.report import DeliveryReport, Undelivered
    from briefings.deliver.routing import withheld
    from briefings.publish.load import load

    settings = settings or Settings()
    kb = load(seeds)
    conn = connect(settings.state, out=out)
    report = RunReport()
    with one_at_a_time(conn):
        slots: list[tuple[Slot, str]] = []
        for briefing in kb["briefings"].values():
            try:
                slot = latest_slot(briefing, now)
            except Exception as exc:  # noqa: BLE001 - e.g. a schedule that never fires
                why = f"no slot: {_words(exc)}"
                report.outcomes.append(SlotOutcome(briefing.id, "", "failed", why))
                report.not_built.append(f"{briefing.id}: {why}")
                continue
            if slot is None:
                continue
            if _handled(conn, slot):
                report.outcomes.append(SlotOutcome(briefing.id, slot.key, "not-due",
                                                   f"slot {slot.key} {slot.timezone} already run"))
                continue
            slots.append((slot, briefing.on_unchanged))
        failed = _build_due(kb, [slot for slot, _ in slots], seeds=seeds, templates=templates,
                            out=out, jobs=jobs, progress=progress, now=now, settings=settings)
        due = _to_send(conn, report, slots, failed, out=out)
        try:
            report.delivery = deliver(conn=conn, editions=[e for _, e in due], out=out,
                                      settings=settings)
        except Exception as exc:  # noqa: BLE001 - the set-up (login, outbox, sender) or a bug
            why = f"not sent: {_words(exc)}"
            report.delivery = DeliveryReport(undelivered=[
                Undelivered(f"{e.briefing} {e.date}", "", "failed", why) for _, e in due
            ] or [Undelivered("pending deliveries", "", "failed", why)])
            for slot, edition in due:
                _finish(conn, report, slot, "failed", f"{_label(edition)}: {why}")
            return report
        for slot, edition in due:
            label = f"{edition.briefing} {edition.date}"
            done = not any(u.edition == label for u in report.delivery.undelivered)
            why = withheld(tlp=edition.tlp, red_readers=edition.red_readers,
                           org=settings.org_domains)  # nobody may get it: say why
            _finish(conn, report, slot, "done" if done else "failed",
                    f"{_label(edition)}: {report.delivery.summary(label)}"
                    + (f"; {why}" if why else ""))
        report.outcomes.extend(_notices(conn, out=out, settings=settings))
    return report


def _notices(conn: sqlite3.Connection, *, out: Path, settings: Settings) -> list[SlotOutcome]:
    """Corrections and withdrawals not yet mailed: one outcome, if there were any."""
    from briefings.deliver.notices import send_notices

    try:
        sent = send_notices(conn=conn, out=out, settings=settings)
    except UserError as exc:
        return [SlotOutcome("notices", "", "failed", exc.message)]
    if not (sent.sent or sent.failed or sent.pending):
        return []
    status = "done" if sent.ok else "failed"
    return [SlotOutcome("notices", "", status, f"corrections and withdrawals: {sent.summary()}")]


def _label(edition: Edition) -> str:
    return f"edition {edition.number} of {edition.date}"


def _words(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"


def _build_due(  # noqa: PLR0913
    kb: KnowledgeBase, slots: list[Slot], *, seeds: Path, templates: Path | None, out: Path,
    jobs: int | None, progress: Callable[[str, int, int], None] | None, now: datetime,
    settings: Settings,
) -> dict[str, Exception]:
    """Build the due editions, those of one date in one build; what failed, by briefing.

    When a build of several fails, each is built again on its own, so one briefing's
    failure does not stop the others. If the knowledge base changed after an edition
    was sent (a retried slot), the edition stays as it was sent and goes to the rest of
    its readers: a run never issues a correction by itself.
    """
    from briefings.publish.build import build
    from briefings.publish.issuing import Refused

    dates: dict[str, list[str]] = {}
    for slot in slots:
        dates.setdefault(slot.date, []).append(slot.briefing)

    def attempt(date: str, only: list[str]) -> Exception | None:
        try:
            build(seeds=seeds, kb=kb, templates=templates, out=out, date=date, only=only,
                  jobs=jobs, progress=progress, now=now, settings=settings)
        except Refused as exc:
            return None if exc.kept and len(only) == 1 else exc  # kept: as it was sent
        except Exception as exc:  # noqa: BLE001 - one briefing must not stop the others
            return exc
        return None

    failed: dict[str, Exception] = {}
    for date, briefings in dates.items():
        error = attempt(date, briefings)
        if error is None:
            continue
        if len(briefings) == 1:
            failed[briefings[0]] = error
            continue
        for one in briefings:  # which of them failed: each on its own
            if (alone := attempt(date, [one])) is not None:
                failed[one] = alone
    return failed


def _to_send(
    conn: sqlite3.Connection, report: RunReport, slots: list[tuple[Slot, str]],
    failed: dict[str, Exception], *, out: Path,
) -> list[tuple[Slot, Edition]]:
    """The built editions to send; the slots that failed or are unchanged are recorded."""
    due: list[tuple[Slot, Edition]] = []
    for slot, on_unchanged in slots:
        error, unchanged = failed.get(slot.briefing), ""
        if error is None:
            try:
                edition, unchanged = _built(slot, on_unchanged, out=out)
            except Exception as exc:  # noqa: BLE001 - one briefing must not stop the others
                error = exc
        if error is not None:
            _finish(conn, report, slot, "failed", f"not built: {_words(error)}")
            report.not_built.append(f"{slot.briefing} (slot {slot.key}): {_words(error)}")
        elif unchanged:
            _finish(conn, report, slot, "unchanged", unchanged)
        else:
            due.append((slot, edition))
    return due


def _built(slot: Slot, on_unchanged: str, *, out: Path) -> tuple[Edition, str]:
    """The slot's edition, as built, and why it is not to be sent ("" when it is)."""
    from briefings.editions import current_edition, edition_folder, previous_edition

    edition = current_edition(edition_folder(out, slot.briefing, slot.date))
    if edition is None:
        raise UserError(f"no edition was written for {slot.date}")
    if edition.withdrawn:
        return edition, f"{_label(edition)}: withdrawn, not sent"
    earlier = previous_edition(out, slot.briefing, slot.date)
    if on_unchanged == "skip" and earlier and earlier.digest == edition.digest:
        return edition, f"{_label(edition)}: unchanged since {earlier.date}, not sent"
    return edition, ""


def _finish(conn: sqlite3.Connection, report: RunReport, slot: Slot, status: str,
            detail: str) -> None:
    _record(conn, slot, status, detail)
    report.outcomes.append(SlotOutcome(slot.briefing, slot.key, status, detail))


def _handled(conn: sqlite3.Connection, slot: Slot) -> bool:
    row = conn.execute(
        "SELECT status FROM runs WHERE briefing = ? AND slot = ?", (slot.briefing, slot.key)
    ).fetchone()
    return row is not None and row["status"] in {"done", "unchanged"}


def _record(conn: sqlite3.Connection, slot: Slot, status: str, detail: str) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO runs (briefing, slot, date, status, detail, updated)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (slot.briefing, slot.key, slot.date, status, detail, timestamp()),
        )
