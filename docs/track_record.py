"""A short history, from the sample knowledge base: two editions, then outcomes.

Run from the project root (it writes only into docs/track-record/):

    PYTHONPATH=. .venv/bin/python docs/track_record.py

1. Edition 1 (1 April 2024) of the sample briefing, as it stands.
2. Edition 2 (8 April 2024): the levy judgment raised to highly likely, with its
   reason, and two new judgments (the reservoir; the power sale, due by May 2024).
3. The outcomes are recorded; one judgment is added only after the fact (never
   published), and the levy judgment is "improved" after its outcome (not scored:
   the archive keeps what was printed). Edition 3 (6 May 2024) carries the annex;
   on 1 July the power-sale judgment is overdue (no outcome recorded).

It writes ``scorecard.txt`` and ``scorecard.json`` (``briefings scorecard``), and
``annex.png`` (the annex's first page of the PDF, rendered with PyMuPDF).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "sample"
TARGET = ROOT / "docs" / "track-record"

RAISED = (
    "    likelihood: realistic-possibility\n    confidence: low\n",
    ("    likelihood: highly-likely\n    confidence: moderate\n"
    "    resolves_by: 2024-09\n"
    "    resolves_when: A levy on Highland imports is in force.\n"
    "    reason_for_change: The ministry has set a date for the levy.\n"),
)
RESERVOIR = """  - id: reservoir-full
    statement: Highland's reservoir reaches full level before the rains.
    likelihood: unlikely
    confidence: moderate
    about: [highland]
    resolves_by: 2024-06
    sources: [river-gazette]
  - id: power-deal
    statement: Highland signs the power sale with the Basin Council.
    likelihood: likely
    confidence: low
    about: [highland]
    resolves_by: 2024-05
    resolves_when: The Basin Council publishes a signed contract.
    sources: [river-gazette]
"""
OUTCOMES = (
    ("    reason_for_change: The ministry has set a date for the levy.\n",
     ("    reason_for_change: The ministry has set a date for the levy.\n"
     "    outcome: {result: happened, on: 2024-04-20, sources: [levy-gazette]}\n")),
    ("    about: [basin-council, highland]\n",
     ("    about: [basin-council, highland]\n"
     "    outcome: {result: not-happened, on: 2024-04-30, sources: [levy-gazette]}\n")),
    ("    resolves_by: 2024-06\n",
     ("    resolves_by: 2024-06\n"
     "    outcome: {result: void, on: 2024-05-02, sources: [levy-gazette]}\n")),
)
AFTER_THE_FACT = """  - id: levy-court
    statement: A court suspends the levy within a month.
    likelihood: unlikely
    confidence: low
    about: [qamaria]
    sources: [levy-gazette]
    outcome: {result: not-happened, on: 2024-05-01, sources: [levy-gazette]}
"""
SOURCE = """sources:
  - id: levy-gazette
    publisher: Basin Wire
    title: Qamaria's levy takes effect; talks postponed
    published: 2024-04-30
    reliability: B
"""


def rewrite(path: Path, *pairs: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        if old not in text:
            raise SystemExit(f"the sample has changed: {old!r} not found")
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def briefings(*args: str, cwd: Path, day: str = "2024-07-01") -> str:
    """Run the command as on ``day`` at 06:00 UTC: what a scheduled desk would have done."""
    from datetime import UTC, datetime

    epoch = int(datetime.fromisoformat(f"{day}T06:00:00").replace(tzinfo=UTC).timestamp())
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": str(epoch)}
    done = subprocess.run([sys.executable, "-m", "briefings", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        seeds = work / "seeds"
        shutil.copytree(SAMPLE, seeds)
        kb = seeds / "knowledge.yaml"
        for day in ("2024-04-01", "2024-04-08", "2024-05-06"):
            if day == "2024-04-08":
                rewrite(kb, RAISED, ("briefings:\n", RESERVOIR + "briefings:\n"))
            if day == "2024-05-06":
                rewrite(kb, *OUTCOMES, ("briefings:\n", AFTER_THE_FACT + "briefings:\n"))
                (seeds / "outcomes.yaml").write_text(SOURCE, encoding="utf-8")
            briefings("build", "--seeds", "seeds", "--out", "out", "--jobs", "1", "--date", day,
                      cwd=work, day=day)
        # Edited after the outcome: the scorecard still scores what edition 2 printed.
        rewrite(kb, ("    likelihood: highly-likely\n", "    likelihood: almost-certain\n"))
        TARGET.mkdir(parents=True, exist_ok=True)
        scorecard = ("scorecard", "--seeds", "seeds", "--out", "out", "--as-of", "2024-07-01")
        (TARGET / "scorecard.txt").write_text(briefings(*scorecard, cwd=work), encoding="utf-8")
        (TARGET / "scorecard.json").write_text(briefings(*scorecard, "--json", cwd=work),
                                               encoding="utf-8")
        _annex_image(work / "out" / "river-dispute" / "2024-05-06")
    print(f"wrote {TARGET.relative_to(ROOT)}/: scorecard.txt, scorecard.json, annex.png")


def _annex_image(folder: Path) -> None:
    """The annex's pages of the PDF: annex.png, and annex-2.png if it runs on."""
    import pymupdf

    with pymupdf.open(next(folder.glob("*.pdf"))) as document:
        texts = [page.get_text() for page in document]
        first = next(n for n, text in enumerate(texts)  # the annex, not the contents
                     if re.search(r"Annex [A-J]: Track record\s+Brier score", text))
        last = next(n for n, text in enumerate(texts) if "Resolved judgments" in text)
        for n, name in zip(range(first, last + 1), ("annex.png", "annex-2.png"), strict=False):
            document[n].get_pixmap(dpi=110).save(TARGET / name)


if __name__ == "__main__":
    main()
