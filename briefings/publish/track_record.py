"""The note's annex "Track record": how the desk's judgments in its scope turned out.

Drawn only from what the note's own readers may see: judgments in the note's scope
and editions marked at or below the note's TLP (a CLEAR note never quotes an AMBER
edition), with outcomes known by the note's date. A note with no scored judgment in
its scope has no such annex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.publish.charts import RULE, finish_figure, mark_tlp, rc_settings
from briefings.publish.figures import INK, MIN_TEXT_PT, MUTED, OKABE_ITO
from briefings.publish.scorecard import PROBABILITY, Band, Printed, Scored, TrackRecord, score

if TYPE_CHECKING:
    from briefings.publish.figures import Figure
    from briefings.publish.scope import Slice

SIZE = (4.6, 3.4)  # inches: printed at this size, so text keeps its size in points


@dataclass(frozen=True)
class TrackRecordAnnex:
    """What the annex shows: the record, its Brier score, and the calibration chart."""

    record: TrackRecord
    chart: Figure | None

    @property
    def brier(self) -> float:
        return self.record.brier or 0.0

    @property
    def scored(self) -> tuple[Scored, ...]:
        return self.record.scored

    @property
    def resolved(self) -> tuple[Scored, ...]:
        return self.record.judgments

    @property
    def bands(self) -> tuple[Band, ...]:
        return self.record.bands()


def track_record_annex(
    part: Slice, printed: tuple[Printed, ...], *, as_of: str,
    figures: bool = True,
) -> TrackRecordAnnex | None:
    """The annex of ``part``'s note, or None when its scope holds no scored judgment."""
    record = score(part.resolved, printed, max_tlp=part.briefing.tlp, as_of=as_of)
    if not record.scored:
        return None
    return TrackRecordAnnex(record, calibration_chart(part, record) if figures else None)


def calibration_chart(part: Slice, record: TrackRecord) -> Figure:
    """Stated probability against how often it happened, one dot per band sized by count."""
    import matplotlib as mpl
    from matplotlib.figure import Figure as Canvas

    bands = record.bands()
    with mpl.rc_context(rc_settings()):
        fig = Canvas(figsize=SIZE, dpi=96, layout="constrained")
        mark_tlp(fig, part)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], linestyle="--", color=MUTED, linewidth=0.8,
                label="perfect calibration")
        for spine in ("left", "bottom"):
            ax.spines[spine].set_visible(True)
        ax.scatter([b.probability for b in bands], [b.observed for b in bands],
                   s=[30 + 30 * b.n for b in bands], color=OKABE_ITO["blue"], zorder=3,
                   label="judgments at this likelihood")
        for band in bands:
            ax.annotate(f"{band.happened} of {band.n}", (band.probability, band.observed),
                        xytext=(7, -3 if band.observed > 0.9 else 5),
                        textcoords="offset points", fontsize=MIN_TEXT_PT, color=INK,
                        annotation_clip=False)
        ticks = sorted(set(PROBABILITY.values()) | {0.0, 1.0})
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_xticks(ticks, minor=True)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.04, 1.06)
        ax.set_xlabel("Stated probability (PHIA band)", fontsize=8, color=INK)
        ax.set_ylabel("How often it happened", fontsize=8, color=INK)
        ax.grid(color=RULE, linewidth=0.4)
        ax.set_axisbelow(True)
        ax.legend(loc="upper left", fontsize=MIN_TEXT_PT, facecolor="white", edgecolor="none",
                  framealpha=1)
        return finish_figure(fig, "calibration",
                       "Calibration: how often judgments at each likelihood came true",
                       _describe(bands))


def _describe(bands: tuple[Band, ...]) -> str:
    from briefings.publish.render import words

    parts = [f"{words(b.likelihood)} ({b.probability * 100:g}%): {b.happened} of {b.n} happened"
             for b in bands]
    return ("Calibration chart: stated probability against observed frequency. "
            + "; ".join(parts) + ".")
