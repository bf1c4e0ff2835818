"""What is due: the slots of a briefing's cron schedule, in its own time zone.

Pure functions of the briefing and the clock. Slots are wall-clock times in the
briefing's zone, so across daylight-saving changes a daily schedule makes one slot a
day: a slot in the skipped hour is due from the moment the clocks jump past it, and a
slot in the repeated hour is one slot (its key names the wall time, not the instant).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croniter import croniter

if TYPE_CHECKING:
    from briefings.model import Briefing


@dataclass(frozen=True, order=True)
class Slot:
    """One run of a briefing's schedule, at a wall-clock time in its time zone."""

    briefing: str
    wall: datetime  # naive, in the briefing's time zone
    timezone: str

    @property
    def key(self) -> str:
        """What a run record is keyed by: the wall time, as the schedule names it."""
        return self.wall.strftime("%Y-%m-%dT%H:%M")

    @property
    def date(self) -> str:
        """The edition this slot builds is dated by the slot's local date."""
        return self.wall.date().isoformat()

    @property
    def instant(self) -> datetime:
        """The slot as an aware time (a skipped wall time maps to just after the jump)."""
        zone = ZoneInfo(self.timezone)
        early = self.wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        late = self.wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if wall_clock(late, self.timezone) == self.wall:
            return min(early, late).astimezone(zone)
        # The wall time does not exist (clocks jumped past it): the jump is the slot.
        while late - early > timedelta(seconds=1):
            middle = early + (late - early) / 2
            if wall_clock(middle, self.timezone) >= self.wall:
                late = middle
            else:
                early = middle
        return late.replace(microsecond=0).astimezone(zone)


def wall_clock(now: datetime, timezone: str) -> datetime:
    """``now`` (aware) as a naive wall-clock time in ``timezone``."""
    return now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def latest_slot(briefing: Briefing, now: datetime) -> Slot | None:
    """The latest slot of the briefing's schedule at or before ``now``; None if unscheduled."""
    if not briefing.schedule:
        return None
    wall = wall_clock(now, briefing.timezone) + timedelta(seconds=1)
    previous = croniter(briefing.schedule, wall.replace(microsecond=0)).get_prev(datetime)
    return Slot(briefing.id, previous, briefing.timezone)


def next_slots(briefing: Briefing, now: datetime, count: int = 3) -> list[Slot]:
    """The next ``count`` slots strictly after ``now``."""
    if not briefing.schedule:
        return []
    runs = croniter(briefing.schedule, wall_clock(now, briefing.timezone).replace(microsecond=0))
    return [Slot(briefing.id, runs.get_next(datetime), briefing.timezone) for _ in range(count)]


def in_words(cron: str) -> str:
    """A cron expression as a sentence: ``0 7 * * 1`` → ``At 07:00, only on Monday``."""
    from cron_descriptor import ExpressionDescriptor, Options

    options = Options()
    options.use_24hour_time_format = True
    return str(ExpressionDescriptor(cron, options).get_description())
