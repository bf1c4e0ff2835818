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
    """Build and deliver every briefing whose latest slot at ``now`` is not yet handled."""
    from briefings.publish.load import load

    settings = settings or Settings()
    kb = load(seeds)
    conn = connect(settings.state, out=out)
    report = RunReport()
    with one_at_a_time(conn):
        for briefing in kb["briefings"].values():
            slot = latest_slot(briefing, now)
            if slot is None:
                continue
            if _handled(conn, slot):
                report.outcomes.append(SlotOutcome(briefing.id, slot.key, "not-due",
                                                   f"slot {slot.key} {slot.timezone} already run"))
                continue
            try:
                status, detail = _run_slot(conn, slot, briefing.on_unchanged, seeds=seeds,
                                           templates=templates, out=out, jobs=jobs,
                                           progress=progress, settings=settings)
            except UserError as exc:
                status, detail = "failed", exc.message
            except Exception as exc:  # noqa: BLE001 - one briefing must not stop the others
                status, detail = "failed", f"{type(exc).__name__}: {exc}"
            _record(conn, slot, status, detail)
            report.outcomes.append(SlotOutcome(briefing.id, slot.key, status, detail))
    return report


def _run_slot(  # noqa: PLR0913
    conn: sqlite3.Connection, slot: Slot, on_unchanged: str, *, seeds: Path,
    templates: Path | None, out: Path, jobs: int | None,
    progress: Callable[[str, int, int], None] | None, settings: Settings,
) -> tuple[str, str]:
    from briefings.deliver.ledger import deliver
    from briefings.editions import edition_folder, previous_edition, read_edition
    from briefings.publish.build import build

    build(seeds=seeds, templates=templates, out=out, date=slot.date, only=[slot.briefing],
          jobs=jobs, progress=progress, settings=settings)
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
