"""What a build writes: for each briefing, its slice, the edition before it, the hash
of its inputs, and what the rules of :mod:`briefings.publish.issuing` allow."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from briefings import __version__
from briefings.editions import SNAPSHOT, Edition, previous_edition
from briefings.publish.changes import describe_changes
from briefings.publish.issuing import correction_record
from briefings.publish.scope import Slice, take_slice

if TYPE_CHECKING:
    from pathlib import Path

    from briefings.publish.issuing import Rules
    from briefings.publish.load import KnowledgeBase


def plan_editions(
    kb: KnowledgeBase, wanted: list[str], *, rules: Rules, tdigest: str, built: str,
) -> tuple[list[tuple[Any, ...]], list[str], list[str]]:
    """``(briefing, slice, previous, inputs, number, correction)`` for each edition to
    write, the notes for the user and the briefings skipped; every refusal at once."""
    plans, steps = [], []
    for briefing_id in wanted:
        part = take_slice(kb, briefing_id)
        previous = _previous(rules.out, briefing_id, rules.date)
        since = previous[0].digest if previous else ""
        red = ",".join(part.briefing.red_readers)
        inputs = hashlib.sha256(
            f"{part.digest()}|{since}|{tdigest}|{__version__}|{red}".encode()
        ).hexdigest()
        step = rules.step(briefing_id, digest=part.digest(), inputs=inputs)
        steps.append(step)
        if step.skip:
            continue
        correction = None
        if step.correction and step.original and rules.correct:
            before = snapshot(step.original)
            corrected = describe_changes(before, part) if before else []
            correction = correction_record(step, why=rules.correct, corrected=corrected,
                                           built=built)
        plans.append((briefing_id, part, previous, inputs, step.number, correction))
    rules.finish(steps)
    return plans, [s.note for s in steps if s.note], [s.briefing for s in steps if s.skip]


def snapshot(edition: Edition) -> Slice | None:
    """The slice ``edition`` was built from (None if its snapshot is unreadable)."""
    try:
        data = json.loads((edition.folder / SNAPSHOT).read_text(encoding="utf-8"))
        return Slice.from_json(data)
    except (OSError, ValueError, RecursionError):
        return None


def _previous(out: Path, briefing: str, date: str) -> tuple[Edition, Slice] | None:
    """The latest edition before ``date`` and the slice it was built from."""
    edition = previous_edition(out, briefing, date)
    if edition is None:
        return None
    part = snapshot(edition)
    return (edition, part) if part else None  # unreadable: report this edition as a first
