"""The judgments' track record: each resolved judgment scored from the edition archive.

The forecast scored is the likelihood an edition printed, never today's YAML value
(which may have been edited after the fact): the last edition, of any briefing, dated
before the outcome's day *and* built before it, as first issued (never a correction;
an edition withdrawn before the outcome does not count, one withdrawn after it does).
Only editions that printed key judgments count.
A judgment never printed before its outcome, or void, is unscored.

Each likelihood scores at the PHIA band's probability below; the Brier score is the
mean of (p - o)², o = 1 if it happened and 0 if not: 0 is perfect, always saying
"50%" scores 0.25.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from briefings.editions import SNAPSHOT, editions
from briefings.model import TLP_LEVELS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from briefings.model import Judgment
    from briefings.publish.load import KnowledgeBase

PROBABILITY: dict[str, float] = {
    "remote-chance": 0.025, "highly-unlikely": 0.15, "unlikely": 0.30,
    "realistic-possibility": 0.45, "likely": 0.65, "highly-likely": 0.85,
    "almost-certain": 0.975,
}
NEVER_PUBLISHED = "never published before its outcome"
VOID = "void"


@dataclass(frozen=True)
class Printed:
    """A judgment as one edition printed it, as first issued."""

    id: str
    statement: str
    likelihood: str
    confidence: str
    briefing: str
    title: str
    date: str
    number: int
    tlp: str
    built: str  # when the edition was built, ISO 8601 UTC
    withdrawn: str = ""  # when the edition was withdrawn, if it was

    def forecast_for(self, outcome_day: str) -> bool:
        """Whether this was a forecast of an outcome on ``outcome_day``: dated and built
        before it, and not withdrawn before it (a withdrawal after the fact hides nothing)."""
        return (self.date < outcome_day and bool(self.built) and self.built[:10] < outcome_day
                and not (self.withdrawn and self.withdrawn[:10] < outcome_day))


@dataclass(frozen=True)
class Scored:
    """One resolved judgment and the forecast it is scored on (None: unscored)."""

    id: str
    statement: str  # as printed in the edition scored, or as it stands if never printed
    result: str
    on: str
    forecast: Printed | None
    unscored: str | None = None  # why it is not scored

    @property
    def probability(self) -> float | None:
        return PROBABILITY[self.forecast.likelihood] if self.forecast else None

    @property
    def brier(self) -> float | None:
        if self.probability is None:
            return None
        return (self.probability - (1.0 if self.result == "happened" else 0.0)) ** 2


@dataclass(frozen=True)
class Band:
    """Calibration of one likelihood: stated probability against observed frequency."""

    likelihood: str
    probability: float
    n: int
    happened: int

    @property
    def observed(self) -> float:
        return self.happened / self.n


@dataclass(frozen=True)
class TrackRecord:
    """Every resolved judgment considered, scored or not."""

    judgments: tuple[Scored, ...]

    @property
    def scored(self) -> tuple[Scored, ...]:
        return tuple(s for s in self.judgments if s.forecast is not None)

    @property
    def unscored(self) -> tuple[Scored, ...]:
        return tuple(s for s in self.judgments if s.forecast is None)

    @property
    def brier(self) -> float | None:
        scores = [s.brier for s in self.scored if s.brier is not None]
        return sum(scores) / len(scores) if scores else None

    def bands(self) -> tuple[Band, ...]:
        """One band per likelihood that was scored, in yardstick order."""
        found = []
        for term, probability in PROBABILITY.items():
            held = [s for s in self.scored if s.forecast and s.forecast.likelihood == term]
            if held:
                happened = sum(s.result == "happened" for s in held)
                found.append(Band(term, probability, len(held), happened))
        return tuple(found)


def archive(out: Path) -> tuple[Printed, ...]:
    """Every key judgment each edition in ``out`` printed, as first issued.

    Corrections are never read (``as_issued``); editions without a key-judgments
    section, judgments already resolved when printed, and folders whose snapshot cannot
    be read are skipped.
    """
    found: list[Printed] = []
    for edition in editions(out, as_issued=True):
        try:
            snapshot = json.loads((edition.folder / SNAPSHOT).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        sections = (snapshot.get("briefing") or {}).get("sections", ("key-judgments",))
        if edition.correction or "key-judgments" not in sections:
            continue
        withdrawn = str((edition.withdrawn or {}).get("when", ""))
        found += [
            Printed(j["id"], j["statement"], j["likelihood"], j["confidence"],
                    edition.briefing, edition.title, edition.date, edition.number, edition.tlp,
                    edition.built, withdrawn)
            for j in snapshot.get("judgments") or () if not j.get("outcome")
        ]
    return tuple(found)


def score(
    judgments: Iterable[Judgment],
    printed: tuple[Printed, ...],
    *,
    briefing: str | None = None,
    max_tlp: str = "red",
    as_of: str | None = None,
) -> TrackRecord:
    """Score each judgment with an outcome (known by ``as_of``, if given).

    ``briefing`` limits the forecasts to that briefing's editions; ``max_tlp`` to
    editions marked at most that TLP.
    """
    ceiling = TLP_LEVELS.index(max_tlp)
    usable = [p for p in printed if (briefing is None or p.briefing == briefing)
              and TLP_LEVELS.index(p.tlp) <= ceiling]
    record = []
    for judgment in judgments:
        outcome = judgment.outcome
        if outcome is None or (as_of is not None and outcome.on > as_of):
            continue
        before = [p for p in usable if p.id == judgment.id and p.forecast_for(outcome.on)]
        last = max(before, key=lambda p: (p.date, p.built, p.briefing), default=None)
        if outcome.result == "void" or last is None:
            why = VOID if outcome.result == "void" else NEVER_PUBLISHED
            record.append(Scored(judgment.id, last.statement if last else judgment.statement,
                                 outcome.result, outcome.on, None, why))
        else:
            record.append(Scored(judgment.id, last.statement, outcome.result, outcome.on, last))
    return TrackRecord(tuple(record))


@dataclass(frozen=True)
class Overdue:
    """A judgment past its ``resolves_by`` with no outcome: for the analyst, not readers."""

    id: str
    statement: str
    resolves_by: str
    place: str  # FILE:LINE:COL

    def __str__(self) -> str:
        return (f"{self.place}: judgments[{self.id}].resolves_by: {self.resolves_by} has passed "
                "and no outcome is recorded; add outcome: {result, on, sources}")


def overdue(kb: KnowledgeBase, *, today: date) -> tuple[Overdue, ...]:
    """Judgments whose ``resolves_by`` period has ended with no outcome (for lint too)."""
    from briefings.publish.lint import is_overdue

    return tuple(
        Overdue(j.id, j.statement, j.resolves_by, kb.place("judgments", j.id))
        for j in kb["judgments"].values() if j.resolves_by and is_overdue(j, today)
    )


@dataclass(frozen=True)
class Scorecard:
    """``briefings scorecard``: the desk's record, each briefing's, and what is overdue."""

    record: TrackRecord
    by_briefing: dict[str, TrackRecord]
    late: tuple[Overdue, ...]


def scorecard(kb: KnowledgeBase, *, out: Path, today: date) -> Scorecard:
    """Score every resolved judgment of ``kb`` from the editions in ``out``."""
    printed = archive(out)
    judgments = list(kb["judgments"].values())
    return Scorecard(
        record=score(judgments, printed),
        by_briefing={b: score(judgments, printed, briefing=b) for b in kb["briefings"]},
        late=overdue(kb, today=today),
    )


def as_json(card: Scorecard) -> dict[str, Any]:
    """The scorecard as one JSON object."""
    def bands(of: TrackRecord) -> list[dict[str, Any]]:
        return [{"likelihood": b.likelihood, "probability": b.probability, "n": b.n,
                 "happened": b.happened, "observed": round(b.observed, 4)}
                for b in of.bands()]

    record = card.record
    return {
        "brier": _round(record.brier),
        "scored": len(record.scored),
        "unscored": len(record.unscored),
        "judgments": [{
            "id": s.id, "statement": s.statement, "result": s.result, "on": s.on,
            "likelihood": s.forecast.likelihood if s.forecast else None,
            "probability": s.probability,
            "edition": s.forecast.date if s.forecast else None,
            "briefing": s.forecast.briefing if s.forecast else None,
            "brier": _round(s.brier), "unscored": s.unscored,
        } for s in record.judgments],
        "bands": bands(record),
        "briefings": {b: {"brier": _round(r.brier), "scored": len(r.scored), "bands": bands(r)}
                      for b, r in card.by_briefing.items()},
        "overdue": [{"id": o.id, "resolves_by": o.resolves_by, "place": o.place}
                    for o in card.late],
    }


def as_text(card: Scorecard) -> str:
    """The scorecard as tables for a terminal."""
    record = card.record
    lines = [
        (f"{len(record.judgments)} judgments resolved: {len(record.scored)} scored, "
        f"{len(record.unscored)} unscored."),
        (f"Brier score: {_number(record.brier)} "
        "(0 is perfect; always saying 50% scores 0.25)"),
        "",
        _table(("judgment", "statement", "band", "p", "edition scored", "result", "score"), [
            (s.id, _cut(s.statement), s.forecast.likelihood if s.forecast else "-",
             _number(s.probability, 3), _edition(s.forecast), f"{s.result} {s.on}",
             _number(s.brier) if s.forecast else f"unscored: {s.unscored}")
            for s in record.judgments
        ]),
        "",
        "Calibration, all briefings (stated probability against observed frequency):",
        _calibration(record),
    ]
    for briefing, of in card.by_briefing.items():
        if of.scored:
            lines += ["", (f"Calibration, {briefing} ({len(of.scored)} scored, "
                      f"Brier {_number(of.brier)}):"), _calibration(of)]
    if card.late:
        lines += ["", "Overdue (past resolves_by, no outcome):", *map(str, card.late)]
    return "\n".join(lines)


def _calibration(record: TrackRecord) -> str:
    rows = [(b.likelihood, _number(b.probability, 3), str(b.n), str(b.happened),
             _number(b.observed, 2)) for b in record.bands()]
    if not rows:
        return "  nothing scored yet"
    return _table(("band", "stated", "n", "happened", "observed"), rows)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    if not rows:
        return "  (none)"
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in (header, *rows))


def _edition(forecast: Printed | None) -> str:
    return f"{forecast.briefing} {forecast.date}" if forecast else "-"


def _cut(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _number(value: float | None, places: int = 4) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
