"""What a build may do with an edition: the rules that keep the record honest.

- No edition is dated in the future: later than today in the briefing's time zone
  (or than ``now``).
- A new edition dated before the briefing's latest one is added only when asked
  (``backdate``); it takes the next number, and no edition is ever renumbered.
- An edition delivered to anyone (the delivery ledger says so, read through
  :mod:`briefings.delivered`) never changes. A rebuild whose slice is unchanged does
  nothing (even with ``force``: a template or tool change alone); one whose slice
  changed is refused, saying when and to how many readers it went, unless it is
  asked for as a correction (``correct``): then a correction is written beside the
  original, saying what was corrected and why.
- A withdrawn edition is neither rebuilt nor corrected.

Every refusal is collected, so one build reports them all and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from briefings.delivered import delivered
from briefings.editions import Edition, current_edition, edition_folder, editions
from briefings.errors import UserError

if TYPE_CHECKING:
    from pathlib import Path

    from briefings.model import Briefing

_WHY_LIMIT = 500


class Refused(UserError):
    """A build the rules refuse; ``kept`` when every refusal is of a delivered
    edition whose content changed (it stays as it was sent)."""

    def __init__(self, message: str, *, kept: bool) -> None:
        super().__init__(message)
        self.kept = kept


@dataclass(frozen=True)
class Step:
    """What to build for one briefing: nothing (``skip``), its edition, or a correction."""

    briefing: str
    number: int = 0
    skip: bool = False
    correction: int = 0  # n > 0: write correction n of ``original``
    original: Edition | None = None
    note: str = ""


@dataclass
class Rules:
    """The settings of one build that the rules depend on."""

    out: Path
    date: str
    state: Path | None
    now: datetime
    force: bool = False
    correct: str | None = None
    backdate: bool = False
    problems: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # delivered, changed, not corrected

    def check_dates(self, briefings: list[Briefing]) -> None:
        """Refuse a date later than today in any of the briefings' time zones."""
        for briefing in briefings:
            today = self.now.astimezone(ZoneInfo(briefing.timezone)).date().isoformat()
            if self.date > today:
                self.problems.append(
                    f"{briefing.id}: {self.date} is in the future (today is {today} in "
                    f"{briefing.timezone}); an edition cannot be dated later than today"
                )

    def step(self, briefing: str, *, digest: str, inputs: str) -> Step:
        """What to do for ``briefing``, whose slice hashes to ``digest`` and whose
        inputs (slice, previous edition, templates, tool) hash to ``inputs``."""
        current = current_edition(edition_folder(self.out, briefing, self.date))
        if current is None:
            return self._new(briefing)
        label = f"{briefing} {self.date} (edition {current.number})"
        if current.withdrawn:
            if current.digest == digest and not self.correct:
                return Step(briefing, current.number, skip=True)
            self.problems.append(
                f"{label} was withdrawn on {current.withdrawn.get('when', '?')}: it is not "
                "rebuilt or corrected; put the change in a new edition"
            )
            return Step(briefing, skip=True)
        return self._rebuild(current, digest=digest, inputs=inputs)

    def _rebuild(self, current: Edition, *, digest: str, inputs: str) -> Step:
        """An edition that exists: rebuilt in place if nobody got it; else kept, or
        corrected when asked."""
        briefing = current.briefing
        label = f"{briefing} {self.date} (edition {current.number})"
        sent = delivered(self.state, briefing=briefing, date=self.date)
        if sent is None and not current.correction:
            if self.correct:
                note = f"{label} was not delivered to anyone: rebuilt in place, no correction"
                return Step(briefing, current.number, note=note)
            unchanged = current.inputs == inputs and not self.force
            return Step(briefing, current.number, skip=unchanged)
        if current.digest == digest:
            note = f"{label} was delivered and is unchanged: kept as it is" if self.force else ""
            return Step(briefing, current.number, skip=True, note=note)
        if not self.correct:
            whom = f"to {sent.in_words()}" if sent else "(a correction of it exists)"
            self.kept.append(briefing)
            self.problems.append(
                f"{label} was delivered {whom} and its content has changed since; a "
                "delivered edition is never changed. Put the change in the next edition, or "
                f"send it as a correction: briefings build --date {self.date} "
                f'--correct "why" {briefing}'
            )
            return Step(briefing, skip=True)
        return Step(briefing, current.number, correction=current.correction_number + 1,
                    original=current)

    def _new(self, briefing: str) -> Step:
        if self.correct:
            self.problems.append(f"{briefing}: there is no edition of {self.date} to correct")
            return Step(briefing, skip=True)
        earlier = editions(self.out, briefing)
        number = max((e.number for e in earlier), default=0) + 1
        latest = earlier[-1] if earlier else None
        if latest is not None and latest.date > self.date and not self.backdate:
            self.problems.append(
                f"{briefing}: {self.date} is before its latest edition ({latest.date}, edition "
                f"{latest.number}); to add an edition to the past, ask for it with --backdate "
                f"(it would be edition {number}; no edition is renumbered)"
            )
            return Step(briefing, skip=True)
        return Step(briefing, number)

    def finish(self, steps: list[Step]) -> None:
        """Raise every refusal at once; or, for a correction that corrects nothing, say so."""
        if self.correct and not self.problems and not any(
            s.correction or (s.note and not s.skip) for s in steps
        ):
            self.problems.append(
                f"nothing to correct on {self.date}: the content of "
                f"{', '.join(s.briefing for s in steps) or 'no briefing'} is unchanged"
            )
        if self.problems:
            count = len(self.problems)
            total = f"{count} edition{'s' if count != 1 else ''} refused; nothing was written"
            raise Refused("\n".join([*self.problems, total]), kept=len(self.kept) == count)


def check_why(why: str) -> str:
    """The reason given for a correction or withdrawal: one line of plain text."""
    text = " ".join(why.split())
    if not text:
        raise UserError("say why: the reason is shown to every reader who got the edition")
    if len(text) > _WHY_LIMIT or any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in why.strip()):
        raise UserError(f"the reason must be one line of at most {_WHY_LIMIT} characters, "
                        "without control characters")
    return text


def correction_record(step: Step, *, why: str, corrected: list[str], built: str) -> dict[str, Any]:
    """The manifest's ``correction``: its number, why, what changed, and the original."""
    assert step.original is not None
    return {
        "number": step.correction, "why": why, "corrected": corrected, "built": built,
        "original": {"built": step.original.built, "path": step.original.path},
    }


def today(now: datetime, zones: list[str]) -> str:
    """Today's date where it is earliest among ``zones`` (IANA names)."""
    return min(now.astimezone(ZoneInfo(zone)).date().isoformat() for zone in zones)


def latest_today(now: datetime) -> str:
    """The latest date that is today anywhere on Earth (UTC+14): a quick bound."""
    return (now.astimezone(UTC) + timedelta(hours=14)).date().isoformat()
