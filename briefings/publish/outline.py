"""A briefing's sections in one line per item: the short form the email carries.

The email's HTML and plain-text parts both show these lines, so they say the same;
the full note (web page and PDF) has the detail. Lines are plain text written from
the data: names, not knowledge-base ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefings.publish.wording import date_range, date_text, money, percent, period_text

if TYPE_CHECKING:
    from briefings.model import Dealing, Measure
    from briefings.publish.scope import Slice

EMAIL_ITEMS = 5  # lines a section shows in the email before "N more"


def outline(part: Slice) -> dict[str, list[str]]:
    """Section name -> its lines, for the sections that list items."""
    name = {a.id: a.name for a in part.names.values()}
    motives = sorted(part.motives, key=lambda m: m.priority)  # primary first
    return {
        "actors": [f"{a.name}{f', {a.role}' if a.role else ''}" for a in part.actors],
        "motives": [f"{name[m.actor]}: {m.goal}" for m in motives],
        "dealings": [_dealing(d, name) for d in part.dealings],
        "measures": [_measure(m, name) for m in part.measures],
        "timeline": [f"{date_text(e.date)}: {e.title}" for e in reversed(part.events)],
        "sources": [
            f"{s.publisher}, {s.title} ({date_text(s.published)})" for s in part.sources
        ],
    }


def _dealing(d: Dealing, name: dict[str, str]) -> str:
    parts = [f"{name[d.from_]} → {name[d.to]}: {d.kind.replace('-', ' ')}"]
    if d.items:
        parts[0] += f" ({', '.join(d.items)})"
    parts.append(d.status)
    if d.value:
        period = period_text(d.value.period)
        parts.append(money(d.value) + (f" ({period})" if period else ""))
    if d.start or d.end:
        parts.append(date_range(d.start, d.end))
    return " · ".join(parts)


def _measure(m: Measure, name: dict[str, str]) -> str:
    by = ", ".join(name[a] for a in m.imposed_by)
    on = ", ".join(name[a] for a in m.targets)
    parts = [m.title, f"{by} → {on}", m.status.replace("-", " ")]
    if m.rate_percent is not None:
        parts.append(percent(m.rate_percent))
    return " · ".join(parts)
