"""``briefings run``: the scheduled job. Builds what is due and delivers it, once.

For each briefing with a ``schedule``, the latest slot at or before ``now`` (in the
briefing's time zone) is due unless a run record says it was handled. A due slot
builds the edition dated by the slot's local date and delivers it. A first run, or a
run after downtime, handles only the latest slot. A slot whose delivery failed stays
due, so the next run tries again (the delivery ledger keeps it to once per reader).
Only one ``run`` or ``send`` works at a time.
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

    @property
    def ok(self) -> bool:
        return all(o.status != "failed" for o in self.outcomes)


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
    """Build and deliver every briefing whose latest slot at ``now`` is not yet handled.

    The knowledge base is loaded once; the due editions of one date are built together,
    their PDFs printed by ``jobs`` workers at once.
    """
    from briefings.publish.load import load

    settings = settings or Settings()
    kb = load(seeds)
    conn = connect(settings.state, out=out)
    outcomes: dict[str, SlotOutcome] = {}
    with one_at_a_time(conn):
        due: list[tuple[Slot, str]] = []
        for briefing in kb["briefings"].values():
            slot = latest_slot(briefing, now)
            if slot is None:
                continue
            if _handled(conn, slot):
                detail = f"slot {slot.key} {slot.timezone} already run"
                outcomes[briefing.id] = SlotOutcome(briefing.id, slot.key, "not-due", detail)
            else:
                due.append((slot, briefing.on_unchanged))
        failed = _build_due(kb, [slot for slot, _ in due], seeds=seeds, templates=templates,
                            out=out, jobs=jobs, progress=progress, settings=settings)
        for slot, on_unchanged in due:
            status, detail = "failed", failed.get(slot.briefing, "")
            if slot.briefing not in failed:
                try:
                    status, detail = _deliver_slot(conn, slot, on_unchanged, out=out,
                                                   settings=settings)
                except Exception as exc:  # noqa: BLE001 - one briefing must not stop the others
                    detail = _failure(exc)
            _record(conn, slot, status, detail)
            outcomes[slot.briefing] = SlotOutcome(slot.briefing, slot.key, status, detail)
    return RunReport([outcomes[b] for b in kb["briefings"] if b in outcomes])


def _build_due(  # noqa: PLR0913
    kb: KnowledgeBase, slots: list[Slot], *, seeds: Path, templates: Path | None, out: Path,
    jobs: int | None, progress: Callable[[str, int, int], None] | None, settings: Settings,
) -> dict[str, str]:
    """Build the due editions, those of one date in one build; what failed, by briefing.

    When a build of several fails, each is built again on its own, so one briefing's
    failure does not stop the others.
    """
    from briefings.publish.build import build

    dates: dict[str, list[str]] = {}
    for slot in slots:
        dates.setdefault(slot.date, []).append(slot.briefing)

    def attempt(date: str, only: list[str]) -> str | None:
        try:
            build(seeds=seeds, kb=kb, templates=templates, out=out, date=date, only=only,
                  jobs=jobs, progress=progress, settings=settings)
        except Exception as exc:  # noqa: BLE001 - one briefing must not stop the others
            return _failure(exc)
        return None

    failed: dict[str, str] = {}
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


def _failure(exc: Exception) -> str:
    return exc.message if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"


def _deliver_slot(
    conn: sqlite3.Connection, slot: Slot, on_unchanged: str, *, out: Path, settings: Settings,
) -> tuple[str, str]:
    from briefings.deliver.ledger import deliver
    from briefings.editions import edition_folder, previous_edition, read_edition

    edition = read_edition(edition_folder(out, slot.briefing, slot.date))
    if edition is None:
        return "failed", f"no edition was written for {slot.date}"
    earlier = previous_edition(out, slot.briefing, slot.date)
    label = f"edition {edition.number} of {edition.date}"
    if on_unchanged == "skip" and earlier and earlier.digest == edition.digest:
        return "unchanged", f"{label}: unchanged since {earlier.date}, not sent"
    delivery = deliver(conn=conn, editions=[edition], settings=settings)
    return ("done" if delivery.ok else "failed"), f"{label}: {delivery.summary()}"


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
