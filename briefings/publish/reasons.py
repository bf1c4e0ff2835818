"""Changes that explain themselves: a moved judgment must say why (ICD 203).

When a judgment's likelihood or confidence differs from the briefing's previous
edition, the judgment must carry a ``reason_for_change`` that is new since that
edition (a reason left over from an earlier change does not count). The build of
that briefing fails otherwise, naming the judgment's place and the old and new values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefings.errors import Problem

if TYPE_CHECKING:
    from typing import Any

    from briefings.publish.changes import Change
    from briefings.publish.load import KnowledgeBase

_JUDGED = ("likelihood", "confidence")


def missing_reasons(
    kb: KnowledgeBase, changes: list[Change], *, briefing: str, since: str
) -> list[Problem]:
    """A problem for each judgment that moved since the edition of ``since`` without a reason."""
    problems = []
    for change in changes:
        moved = {f: v for f, v in change.fields.items() if f in _JUDGED}
        if change.collection != "judgments" or not moved or change.reason:
            continue
        key = ("judgments", change.id)
        file, line, column = kb.where(*key) if key in kb.places else ("?", 1, 1)
        what = "; ".join(f"{f} {v['before']} → {v['after']}" for f, v in moved.items())
        problems.append(Problem(
            file, line, column, f"judgments[{change.id}].reason_for_change",
            f"{what} since the {briefing} edition of {since}: say why in reason_for_change "
            "(a reason new since that edition)",
        ))
    return problems


def explained_changes(kb: KnowledgeBase, plans: list[tuple[Any, ...]]) -> dict[str, list[Change]]:
    """The changes of each planned edition ``(briefing, slice, previous, ...)`` since its
    previous edition; every judgment that moved without a reason fails them all at once."""
    from briefings.errors import InvalidKnowledgeBase
    from briefings.publish.changes import list_changes

    listed = {b: list_changes(previous[1], part) for b, part, previous, *_ in plans if previous}
    problems = [
        problem for briefing, _, previous, *_ in plans if previous
        for problem in missing_reasons(kb, listed[briefing], briefing=briefing,
                                       since=previous[0].date)
    ]
    if problems:
        raise InvalidKnowledgeBase(problems)
    return listed
