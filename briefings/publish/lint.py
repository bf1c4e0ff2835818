"""``briefings lint``: tradecraft, checked.

Each rule has a stable code and a one-line fix. A finding is located where the
loader read the field (``file:line:col``). An item switches a rule off for itself
with ``lint_ignore: {CODE: "the reason"}``.

| code  | applies to | finding |
| ----- | ---------- | ------- |
| BR101 | judgment | high confidence resting on fewer than two publishers |
| BR102 | judgment | an estimative word in the statement (the likelihood carries it) |
| BR103 | judgment | no indicators (what would change it) |
| BR104 | judgment | the newest source is more than a year older than the as-of date |
| BR105 | judgment | high confidence citing only sources graded E or F |
| BR106 | briefing | a BLUF longer than 60 words |
| BR107 | briefing | an estimative word in the BLUF that is not a PHIA term |
| BR108 | judgment | overdue: its ``resolves_by`` has passed and no outcome is recorded |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from briefings.vocabularies import LIKELIHOODS

if TYPE_CHECKING:
    from briefings.model import Briefing, Judgment
    from briefings.publish.load import KnowledgeBase

BLUF_WORDS = 60
STALE_DAYS = 365
WEAK_GRADES = frozenset("EF")

RULES: dict[str, tuple[str, str]] = {  # code -> (what it finds, the fix)
    "BR101": ("high confidence resting on fewer than two independent publishers",
              "cite a second, independent publisher or lower the confidence"),
    "BR102": ("estimative word in a judgment statement",
              "state the judgment plainly; its likelihood field carries the estimate"),
    "BR103": ("judgment without indicators",
              "add indicators: what would you expect to see if the judgment were wrong?"),
    "BR104": ("stale judgment: its newest source is more than a year old",
              "cite newer reporting, or say why the judgment still stands"),
    "BR105": ("high confidence citing only sources graded E or F",
              "cite a source graded A-D or lower the confidence"),
    "BR106": (f"BLUF longer than {BLUF_WORDS} words",
              "cut the BLUF to the one or two sentences a reader must take away"),
    "BR107": ("estimative word in a BLUF that is not a PHIA term",
              "use the yardstick's words (e.g. 'highly likely', 'realistic possibility')"),
    "BR108": ("overdue judgment: resolves_by has passed and no outcome is recorded",
              "add outcome: {result, on, sources}, or a later resolves_by with a reason"),
}

# The PHIA terms as a reader sees them, and their adverbs ("almost certainly").
_PHIA = sorted((term.replace("-", " ") for term in LIKELIHOODS), key=len, reverse=True)
_PHIA_RE = re.compile(r"\b(?:" + "|".join(_PHIA) + r")(?:ly)?\b", re.IGNORECASE)
_ESTIMATIVE_RE = re.compile(
    r"\b(?:probabl[ey]|probability|possibl[ey]|possibility|perhaps|maybe|might|could|may"
    r"|likelihood|certainly|doubtful|conceivabl[ey]|presumabl[ey]|plausibl[ey]"
    r"|chances?)\b",
    re.IGNORECASE,
)
_MONTH_MAY = re.compile(r"May(?=\s+\d)|(?<=\d\s)May\b")


@dataclass(frozen=True, slots=True)
class Finding:
    """One tradecraft weakness, where it is."""

    file: str
    line: int
    column: int
    code: str
    collection: str
    item: str
    message: str

    @property
    def fix(self) -> str:
        return RULES[self.code][1]

    @property
    def text(self) -> str:
        """``CODE collection[id]: message``: the finding without its place."""
        return f"{self.code} {self.collection}[{self.item}]: {self.message}"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.text}"


def lint(kb: KnowledgeBase, *, as_of: str, ignore: frozenset[str] = frozenset()) -> list[Finding]:
    """Every finding in ``kb``, in file order; ``ignore`` switches codes off everywhere."""
    found: list[Finding] = []
    today = date.fromisoformat(as_of)
    for judgment in kb["judgments"].values():
        for code, field, message in _judgment(kb, judgment, today):
            if code not in ignore and code not in (judgment.lint_ignore or {}):
                place = kb.where("judgments", judgment.id, field)
                found.append(Finding(*place, code, "judgments", judgment.id, message))
    for briefing in kb["briefings"].values():
        for code, field, message in _briefing(briefing):
            if code not in ignore and code not in (briefing.lint_ignore or {}):
                place = kb.where("briefings", briefing.id, field)
                found.append(Finding(*place, code, "briefings", briefing.id, message))
    return sorted(found, key=lambda f: (f.file, f.line, f.column, f.code))


def estimative_words(text: str, *, allow_phia: bool) -> list[str]:
    """The estimative words in ``text``: PHIA terms too unless ``allow_phia``."""
    plain = _MONTH_MAY.sub("", text)
    phia = [m.group(0) for m in _PHIA_RE.finditer(plain)]
    plain = _PHIA_RE.sub(" ", plain)
    others = [m.group(0) for m in _ESTIMATIVE_RE.finditer(plain)]
    return others if allow_phia else phia + others


def word_count(markdown: str) -> int:
    """Words a reader sees in a Markdown text (link targets and markup not counted)."""
    text = re.sub(r"\]\([^)]*\)", "]", markdown)
    return len(re.findall(r"\w[\w'’.,%-]*", text))


def _judgment(
    kb: KnowledgeBase, judgment: Judgment, today: date
) -> list[tuple[str, str, str]]:
    sources = [kb["sources"][c.source] for c in judgment.sources]
    found = []
    high = judgment.confidence == "high"
    publishers = {s.publisher.casefold() for s in sources}
    if high and len(publishers) < 2:
        rests = _counted(len(publishers), "publisher")
        found.append(("BR101", "confidence", f"high confidence rests on {rests}"))
    words = estimative_words(judgment.statement, allow_phia=False)
    if words:
        found.append(("BR102", "statement", f"{_quote(words)} in the statement"))
    if not judgment.indicators:
        found.append(("BR103", "id", "no indicators (what would change it)"))
    if sources:
        newest = max(_last_day(s.published) for s in sources)
        age = (today - newest).days
        if age > STALE_DAYS:
            older = f"{age} days older than {today} (limit {STALE_DAYS})"
            found.append(("BR104", "sources", f"newest source is {older}"))
    if is_overdue(judgment, today):
        found.append(("BR108", "resolves_by",
                      f"resolves_by {judgment.resolves_by} has passed and no outcome is recorded"))
    if high and sources and all(s.reliability in WEAK_GRADES for s in sources):
        found.append(("BR105", "confidence",
                      "high confidence but every source is graded E or F"))
    return found


def is_overdue(judgment: Judgment, today: date) -> bool:
    """Past the whole of its ``resolves_by`` period with no outcome recorded."""
    return bool(judgment.outcome is None and judgment.resolves_by
                and _last_day(judgment.resolves_by) < today)


def _briefing(briefing: Briefing) -> list[tuple[str, str, str]]:
    found = []
    count = word_count(briefing.bluf)
    if count > BLUF_WORDS:
        found.append(("BR106", "bluf", f"BLUF is {count} words (limit {BLUF_WORDS})"))
    words = estimative_words(briefing.bluf, allow_phia=True)
    if words:
        found.append(("BR107", "bluf", f"{_quote(words)} in the BLUF is not a PHIA term"))
    return found


def _quote(words: list[str]) -> str:
    """``estimative word 'probably'`` or ``estimative words 'could', 'might'``."""
    unique = list(dict.fromkeys(w.lower() for w in words))
    quoted = ", ".join(f"'{w}'" for w in unique)
    return f"estimative word{'s' if len(unique) > 1 else ''} {quoted}"


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _last_day(value: str) -> date:
    """The last day a partial date covers: ``2023`` is 2023-12-31 (the generous reading)."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts)
    year, month = parts[0], parts[1] if len(parts) == 2 else 12
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)
