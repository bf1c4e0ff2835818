"""The measures chart of a briefing, and what every chart shares, with Matplotlib.

Matplotlib is imported inside the functions (``briefings --help`` stays fast) and
used without pyplot (no global figure state, safe in forked build workers). Every
setting that could make two runs differ is pinned: text stays text in the SVG
(``svg.fonttype: none``), ids are salted with a fixed string, and neither file
carries a date.
"""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from briefings.publish.figures import (
    BORDER,
    INK,
    MIN_TEXT_PT,
    MUTED,
    OKABE_ITO,
    PNG_WIDTH,
    Figure,
    count,
    inline_svg,
    tlp_mark,
)
from briefings.publish.wording import date_text

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

    from briefings.model import Measure
    from briefings.publish.figures import FigureName
    from briefings.publish.scope import Slice

Stacks = dict[tuple[tuple[str, ...], str], list["Measure"]]  # (imposers, target) -> layers

WIDTH = 6.8  # inches: the text width of an A4 page with the print margins
ROW = 0.3  # inches per bar or lane
RULE = BORDER  # grid lines: like every mark, at least 3:1 on white
FADED = "#767676"  # suspended or lifted
TARIFF_LAYERS = {  # status -> (fill, hatch, label); threats are hatched, not filled
    "in-force": (OKABE_ITO["vermillion"], "", "in force"),
    "announced": (OKABE_ITO["blue"], "", "announced"),
    "threatened": ("white", "////", "threatened"),
    "proposed": ("white", "....", "proposed"),
}
_NOT_COUNTED = {"suspended", "lifted"}


# Latin, Greek, Cyrillic and signs such as the minus; Chinese, Japanese and Hangul; Arabic
FONTS = ("Noto Sans", "Noto Sans CJK SC", "Noto Sans Arabic", "DejaVu Sans")


@cache
def rc_settings() -> dict[RcKeyType, Any]:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    fonts = [f for f in FONTS if f in installed] or ["DejaVu Sans"]  # each a fallback
    return {
        "svg.fonttype": "none", "svg.hashsalt": "briefings", "font.family": fonts,
        "font.sans-serif": fonts, "font.size": 8, "axes.edgecolor": MUTED,
        "axes.linewidth": 0.6, "xtick.color": MUTED, "ytick.color": INK,
        "xtick.labelcolor": INK, "ytick.major.size": 0, "hatch.linewidth": 0.8,
        "hatch.color": OKABE_ITO["vermillion"], "axes.spines.top": False,
        "axes.spines.right": False, "axes.spines.left": False,
    }


def span(value: str) -> tuple[date, date]:
    """The days a partial date covers, as [first, after last): a year, a month or a day."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
    if len(parts) == 2:
        year, month = parts
        return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
    day = date(*parts)
    return day, day + timedelta(days=1)


def mark_tlp(fig: Any, part: Slice) -> None:
    """The TLP marking in the figure's top right corner, in its TLP 2.0 colour on black."""
    text, colour = tlp_mark(part)
    fig.suptitle(text, x=0.995, ha="right", fontsize=MIN_TEXT_PT, fontweight="bold",
                 color=colour, parse_math=False,
                 bbox={"facecolor": "#000000", "edgecolor": "none", "pad": 1.5})


def finish_figure(fig: Any, name: FigureName, caption: str, description: str) -> Figure:
    """``fig`` as SVG now and as PNG when asked, both without dates or random ids."""
    import matplotlib as mpl

    svg = io.StringIO()
    with warnings.catch_warnings():
        # The SVG backend sizes text with the first font alone (no fallback), so it warns
        # about, say, Chinese glyphs that the SVG's reader draws from the next font of the
        # list. The PNG (Agg) draws with fallback and still warns about a glyph no font has.
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
        fig.savefig(svg, format="svg", metadata={"Date": None})

    def draw_png() -> bytes:
        png = io.BytesIO()
        with mpl.rc_context(rc_settings()):
            fig.savefig(png, format="png", dpi=PNG_WIDTH / WIDTH, metadata={"Software": None})
        return png.getvalue()

    return Figure(name=name, caption=caption, description=description,
                  svg=inline_svg(svg.getvalue(), name), draw_png=draw_png)


def measures_chart(part: Slice) -> Figure | None:
    """Tariff layers stacked into the rate each target faces; other measures over time."""
    stacks = _tariff_stacks(part)
    dated = [m for m in part.measures if m.kind != "tariff" or m.rate_percent is None]
    dated = [m for m in dated if m.announced or m.effective or m.ends]
    if not stacks and not dated:
        return None
    caption = "Measures: " + " and ".join(
        ([f"the tariff rate {count(len(stacks), 'target')} face, layer by layer"]
         if stacks else [])
        + ([f"{count(len(dated), 'other measure')} over time"] if dated else [])
    )
    undated = [m for m in part.measures if m not in dated
               and not (m.kind == "tariff" and m.rate_percent is not None)]
    description = _describe_measures(part, stacks, dated, undated=undated)
    if len(stacks) + len(dated) == 1:  # one bar: a chart would say no more than a sentence
        return Figure.sentence("measures", caption,
                               _describe_measures(part, stacks, dated, undated=[]))
    import matplotlib as mpl
    from matplotlib.figure import Figure as Canvas

    with mpl.rc_context(rc_settings()):
        heights = [r for r in (len(stacks), len(dated)) if r]
        fig = Canvas(figsize=(WIDTH, 0.9 + sum(h * ROW + 0.8 for h in heights)), dpi=96,
                     layout="constrained")
        mark_tlp(fig, part)
        axes = list(fig.subplots(len(heights), 1, height_ratios=heights, squeeze=False)[:, 0])
        if stacks:
            _draw_stacks(axes.pop(0), stacks, part)
        if dated:
            _draw_spans(axes.pop(0), dated)
        return finish_figure(fig, "measures", caption, description)


def _tariff_stacks(part: Slice) -> Stacks:
    """(imposers, target) -> its tariff layers with a rate: in force first, threats last."""
    stacks: dict[tuple[tuple[str, ...], str], list[Measure]] = {}
    for m in part.measures:
        if m.kind == "tariff" and m.rate_percent is not None and m.status not in _NOT_COUNTED:
            for target in m.targets:
                stacks.setdefault((tuple(m.imposed_by), target), []).append(m)
    order = list(TARIFF_LAYERS)
    return {
        key: sorted(layers, key=lambda m: order.index(m.status))
        for key, layers in stacks.items()
    }


def _stack_name(part: Slice, key: tuple[tuple[str, ...], str]) -> str:
    imposers, target = key
    return f"{' & '.join(part.names[i].name for i in imposers)} on {part.names[target].name}"


def _rate(layer: Measure) -> float:
    """A stacked layer's rate (every layer has one: see :func:`_tariff_stacks`)."""
    return layer.rate_percent or 0.0


def _draw_stacks(ax: Any, stacks: Stacks, part: Slice) -> None:
    from matplotlib.patches import Patch

    ax.set_title("Tariff rate each target faces (%)", loc="left", fontsize=9, color=INK)
    rows = list(stacks.items())
    widest = max(sum(_rate(m) for m in layers) for _, layers in rows)
    for row, (_, layers) in enumerate(rows):
        left = 0.0
        for m in layers:
            rate = _rate(m)
            fill, hatch, _ = TARIFF_LAYERS[m.status]
            edge = OKABE_ITO["vermillion"] if m.status != "announced" else OKABE_ITO["blue"]
            ax.barh(row, rate, left=left, height=0.6, color=fill, hatch=hatch,
                    edgecolor=edge, linewidth=0.8)
            if rate >= widest * 0.06:
                ax.text(left + rate / 2, row, f"{rate:g}%", ha="center",
                        va="center", fontsize=MIN_TEXT_PT, parse_math=False, color=INK,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
            left += rate
        ax.text(left + widest * 0.01, row, _total_text(layers), va="center", fontsize=MIN_TEXT_PT,
                color=INK, parse_math=False)
    ax.set_yticks(range(len(rows)), [_stack_name(part, k) for k, _ in rows], parse_math=False)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, widest * 1.3)
    ax.grid(axis="x", color=RULE, linewidth=0.4, linestyle=(0, (2, 2)))
    ax.set_axisbelow(True)
    shown = dict.fromkeys(m.status for _, layers in rows for m in layers)
    ax.legend(
        handles=[
            Patch(facecolor=TARIFF_LAYERS[s][0], hatch=TARIFF_LAYERS[s][1],
                  edgecolor=OKABE_ITO["blue" if s == "announced" else "vermillion"],
                  label=TARIFF_LAYERS[s][2])
            for s in TARIFF_LAYERS if s in shown
        ],
        loc="lower right", frameon=False, ncols=4, fontsize=MIN_TEXT_PT,
        bbox_to_anchor=(1, 1), borderaxespad=0.2,
    )


def _total_text(layers: list[Measure]) -> str:
    firm = sum(m.rate_percent or 0 for m in layers if m.status in {"in-force", "announced"})
    total = sum(m.rate_percent or 0 for m in layers)
    return f"{firm:g}%" if total == firm else f"{firm:g}%, up to {total:g}%"


def _draw_spans(ax: Any, measures: list[Measure]) -> None:
    from matplotlib import dates as mdates

    ax.set_title("Other measures: announced, in effect, ending", loc="left", fontsize=9,
                 color=INK)
    starts = [span(d)[0] for m in measures for d in (m.announced, m.effective, m.ends) if d]
    lo, hi = min(starts), max(starts)
    pad = max((hi - lo) * 0.08, timedelta(days=30))
    hi = hi + pad
    for row, m in enumerate(measures):
        faded = m.status in _NOT_COUNTED
        colour = FADED if faded else OKABE_ITO["blue"]
        announced = span(m.announced)[0] if m.announced else None
        effective = span(m.effective)[0] if m.effective else None
        ends = span(m.ends)[1] if m.ends else None
        if announced and (effective or ends):  # announced, not yet in effect: a thin line
            ax.plot([mdates.date2num(announced), mdates.date2num(effective or ends)],
                    [row, row], color=colour, linewidth=1.2, solid_capstyle="butt")
        if effective:
            until = ends or hi
            ax.barh(row, mdates.date2num(until) - mdates.date2num(effective),
                    left=mdates.date2num(effective), height=0.6, color=colour)
            if not ends:
                ax.plot([mdates.date2num(hi)], [row], marker=">", color=colour, markersize=5,
                        clip_on=False)
        point = announced if not (effective or ends) else None
        if point:
            ax.plot([mdates.date2num(point)], [row], marker="D", color=colour, markersize=5)
    ax.set_yticks(range(len(measures)),
                  [_short(f"{m.title} ({m.status.replace('-', ' ')})") for m in measures],
                  parse_math=False)
    ax.set_ylim(len(measures) - 0.5, -0.5)
    ax.set_xlim(mdates.date2num(lo - pad), mdates.date2num(hi))
    date_axis(ax)


def date_axis(ax: Any) -> None:
    """Concise dates on the x axis, with a light grid behind the marks."""
    from matplotlib import dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    ax.grid(axis="x", color=RULE, linewidth=0.4, linestyle=(0, (2, 2)))
    ax.set_axisbelow(True)


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _describe_measures(
    part: Slice, stacks: Stacks, dated: list[Measure], undated: list[Measure]
) -> str:
    lines = []
    for key, layers in stacks.items():
        parts = ", ".join(
            f"{m.rate_percent:g}% {m.status.replace('-', ' ')} ({m.title})" for m in layers
        )
        lines.append(f"Tariffs of {_stack_name(part, key)}: {parts}; total {_total_text(layers)}.")
    for m in dated:
        when = "; ".join(
            f"{label} {date_text(value)}"
            for label, value in (("announced", m.announced), ("effective", m.effective),
                                 ("ends", m.ends)) if value
        )
        lines.append(f"{m.title}, {m.kind.replace('-', ' ')}, "
                     f"{m.status.replace('-', ' ')}: {when}.")
    if undated:
        lines.append("Not drawn (no dates or rate): "
                     + "; ".join(m.title for m in undated) + ".")
    return " ".join(lines)
