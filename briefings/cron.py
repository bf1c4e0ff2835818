"""Cron expressions as the knowledge base writes them: five fields, checked field by field.

A mistake names the field (minute, hour, day of month, month, day of week) and what
it allows; an expression that is valid but never fires (``0 0 30 2 *``: there is no
30 February) is refused too, so ``briefings run`` never meets one.
"""

from __future__ import annotations

from datetime import datetime

FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day of month", "1-31"),
    ("month", "1-12 or jan-dec"),
    ("day of week", "0-7 or sun-sat (0 and 7 are Sunday)"),
)
_FORMS = "*, a number, a list (1,15), a range (1-5) or a step (*/15)"
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)
_LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Where "never fires" is looked for: both ways from a fixed moment, so the answer
# does not depend on the day `validate` runs.
_REFERENCE = datetime(2000, 1, 1)  # noqa: DTZ001 - wall-clock time, no zone


def check_cron(value: str) -> str:
    """``value`` if it is a 5-field cron expression that fires; else ValueError naming why."""
    from croniter import croniter

    parts = value.split()
    if len(parts) != len(FIELDS):
        names = " ".join(name.replace(" ", "-") for name, _ in FIELDS)
        raise ValueError(
            f"expected a 5-field cron expression ({names}), got {len(parts)} "
            f"field{'s' if len(parts) != 1 else ''} in {value!r}"
        )
    for index, ((name, allowed), part) in enumerate(zip(FIELDS, parts, strict=True)):
        alone = ["*"] * len(FIELDS)
        alone[index] = part
        if not croniter.is_valid(" ".join(alone)):
            raise ValueError(
                f"cron {name} field {part!r} is not valid in {value!r}: it allows "
                f"{allowed}, as {_FORMS}"
            )
    if not croniter.is_valid(value):
        raise ValueError(f"not a valid cron expression: {value!r}")
    _check_fires(value, parts)
    return value


def _check_fires(value: str, parts: list[str]) -> None:
    from croniter import CroniterError, croniter

    try:
        croniter(value, _REFERENCE).get_next(datetime)
        croniter(value, _REFERENCE).get_prev(datetime)
    except (CroniterError, ValueError, OverflowError):
        raise ValueError(f"cron expression {value!r} never fires: {_why_never(parts)}") from None


def _why_never(parts: list[str]) -> str:
    """Why no date matches, in words, when the days of month cannot occur in the months."""
    from croniter import croniter

    if parts[4] != "*":
        return "no date matches its day of month, month and day of week together"
    month_days, months = croniter(" ".join(parts)).expanded[2:4]
    if "*" in month_days or "*" in months:
        return "no date matches its day of month and month together"
    names = ", ".join(_MONTHS[int(m) - 1] for m in months if isinstance(m, int))
    shortest = min(int(d) for d in month_days if str(d).isdigit())
    return f"day of month {shortest} or later does not occur in {names}"
