"""The timeline of a briefing: events on a date axis, drawn with Matplotlib.

A partial date is drawn as the month or year it covers; labels take the first lane
where they fit, so none overlaps another. One event is said in a sentence instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from briefings.publish.charts import (
    ROW,
    WIDTH,
    date_axis,
    finish_figure,
    mark_tlp,
    rc_settings,
    span,
)
from briefings.publish.figures import INK, MIN_TEXT_PT, OKABE_ITO, Figure, count
from briefings.publish.wording import date_text

if TYPE_CHECKING:
    from briefings.model import Event
    from briefings.publish.scope import Slice

LABEL_LIMIT = 36  # characters: the full titles are in the list below and the description


def short_label(title: str, limit: int = LABEL_LIMIT) -> str:
    """A timeline label: the title, cut at a word boundary with an ellipsis when long."""
    if len(title) <= limit:
        return title
    head = title[: limit - 1]
    if title[limit - 1] != " ":  # the cut falls inside a word: drop that word
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:–-") + "…"


def timeline_chart(part: Slice) -> Figure | None:
    """Events on a date axis; a partial date is drawn as the month or year it covers."""
    if not part.events:
        return None
    import matplotlib as mpl
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as Canvas

    events = sorted(part.events, key=lambda e: (span(e.date)[0], e.date, e.id))
    caption = (f"Timeline: {count(len(events), 'event')}, {date_text(events[0].date)} to "
               f"{date_text(events[-1].date)}; a bar spans a month or year when only that is known")
    if len(events) == 1:  # one point: a sentence says it
        only = events[0]
        return Figure.sentence("timeline", caption,
                               f"The one dated event: {date_text(only.date)}, {only.title}.")
    spans = [tuple(mdates.date2num(d) for d in span(e.date)) for e in events]
    lo = min(s for s, _ in spans)
    hi = max(e for _, e in spans)
    pad = max((hi - lo) * 0.04, 15)
    lo, hi = lo - pad, hi + pad
    with mpl.rc_context(rc_settings()):
        fig = Canvas(figsize=(WIDTH, 1.0), dpi=96)
        canvas = FigureCanvasAgg(fig)
        mark_tlp(fig, part)
        ax = fig.add_axes((0.02, 0.3, 0.96, 0.65))
        renderer = canvas.get_renderer()
        for _ in range(4):  # widen the axis until every label fits inside it
            ax.set_xlim(lo, hi)
            lanes, placed, outside = _place(ax, renderer, events, spans, lo, hi)
            if outside <= 0:
                break
            lo -= outside * 1.2
        fig.set_size_inches(WIDTH, 0.95 + ROW * len(lanes))  # 0.3 in on top: the marking
        height = fig.get_size_inches()[1]
        ax.set_position((0.02, 0.45 / height, 0.96, (height - 0.75) / height))
        for event, start, end, lane, x, align in placed:
            if end - start > 1:
                ax.barh(lane, end - start, left=start, height=0.5, color=OKABE_ITO["blue"],
                        edgecolor=OKABE_ITO["blue"], linewidth=0.6)
            else:
                ax.plot([start], [lane], marker="o", color=OKABE_ITO["blue"], markersize=4.5)
            ax.text(x, lane, short_label(event.title), ha=align, va="center", fontsize=MIN_TEXT_PT,
                    color=INK,
                    parse_math=False)
        ax.set_ylim(len(lanes) - 0.5, -0.6)
        ax.set_yticks([])
        date_axis(ax)
        return finish_figure(fig, "timeline", caption, _describe_timeline(events))


def _describe_timeline(events: list[Event]) -> str:
    return (
        f"Timeline of {len(events)} events from {date_text(events[0].date)} "
        f"to {date_text(events[-1].date)}: "
        + "; ".join(f"{date_text(e.date)}, {e.title}" for e in events) + "."
    )


Placed = tuple["Event", float, float, int, float, str]  # event, start, end, lane, x, align


def _place(  # noqa: PLR0913
    ax: Any, renderer: Any, events: list[Event], spans: list[tuple[float, ...]], lo: float,
    hi: float,
) -> tuple[list[list[tuple[float, float]]], list[Placed], float]:
    """Lanes and label places on an axis from ``lo`` to ``hi``, and how far the label
    furthest left runs past ``lo`` (0 when every label fits)."""
    per_pixel = (hi - lo) / ax.get_window_extent(renderer).width
    lanes: list[list[tuple[float, float]]] = []
    placed: list[Placed] = []
    outside = 0.0
    for event, (start, end) in zip(events, spans, strict=True):
        text = ax.text(0, 0, short_label(event.title), fontsize=MIN_TEXT_PT, parse_math=False)
        width = text.get_window_extent(renderer).width * per_pixel
        text.remove()
        gap = 8 * per_pixel
        if end + gap + width <= hi:
            left, right, x, align = start, end + gap + width, end + gap, "left"
        else:
            left, right, x, align = start - gap - width, end, start - gap, "right"
            outside = max(outside, lo - left)
        lane = next(
            (n for n, used in enumerate(lanes)
             if all(right + gap < a or left - gap > b for a, b in used)),
            len(lanes),
        )
        if lane == len(lanes):
            lanes.append([])
        lanes[lane].append((left, right))
        placed.append((event, start, end, lane, x, align))
    return lanes, placed, outside
