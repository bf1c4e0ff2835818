"""What changed: each kind of change, in an analyst's words, in page, PDF and manifest."""

from __future__ import annotations

import json
import shutil

import pymupdf
from bs4 import BeautifulSoup
from conftest import rewrite

from briefings.publish.build import build


def first_edition(sample_out, tmp_path):
    """An output folder holding the sample's first edition (2024-04-01), as built once."""
    out = tmp_path / "out"
    shutil.copytree(sample_out, out)
    return out


def test_each_kind_of_change_is_worded(tmp_path, sample_copy, sample_out):
    out = first_edition(sample_out, tmp_path)
    rewrite(
        sample_copy,
        ("    likelihood: realistic-possibility\n    confidence: low\n",
         "    likelihood: highly-likely\n    confidence: moderate\n"
         "    reason_for_change: The ministry set a date.\n"),
        ("    status: threatened\n    rate_percent: 15\n",
         "    status: in-force\n    rate_percent: 25\n"),
        ("    items: [electricity]\n    status: proposed\n",
         "    items: [electricity]\n    status: confirmed\n"),
        ("events:\n", "events:\n  - id: levy-starts\n    date: 2024-04-05\n"
                      "    title: The levy starts\n    actors: [qamaria]\n"
                      "    sources: [new-source]\n"),
        ("sources:\n", "sources:\n  - id: new-source\n    publisher: Basin Wire\n"
                       "    title: Levy in force\n    published: 2024-04-05\n"),
        ("  - id: highland-power\n    actor: highland\n    goal: Sell hydroelectric power to its "
         "neighbours\n    category: economic\n    sources: [river-gazette]\n", ""),
    )
    build(seeds=sample_copy, templates=None, out=out, date="2024-04-08", jobs=1)
    folder = out / "river-dispute" / "2024-04-08"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["edition"] == 2
    changes = manifest["changes"]
    expected = [
        "↑ Judgment “Qamaria will impose the levy within six months.”: realistic possibility "
        "(40–50%) → highly likely (80–90%).",
        "↑ Confidence in “Qamaria will impose the levy within six months.”: low → moderate. "
        "Why: The ministry set a date.",
        "Measure “Levy on Highland imports”: threatened → in force.",
        "↑ Measure “Levy on Highland imports”: rate 15% → 25%.",
        "Dealing Highland Republic → Basin Council (trade): proposed → confirmed.",
        "No longer in this briefing: motive Highland Republic: Sell hydroelectric power to its "
        "neighbours.",
        "New event: 5 April 2024, The levy starts.",
        "New source: Basin Wire, Levy in force (5 April 2024).",
    ]
    assert changes == expected
    soup = BeautifulSoup((folder / "index.html").read_text(), "html.parser")
    section = soup.select_one("#changes")
    assert section.select_one(".since").get_text() == "Since edition 1 of 1 April 2024:"
    assert [li.get_text() for li in section.select("li")] == expected
    with pymupdf.open(folder / "river-dispute-2024-04-08.pdf") as document:
        text = " ".join(page.get_text() for page in document).replace("\n", " ")
    assert "threatened → in force" in text
    assert "↑" in text


def test_unchanged_and_first_editions_say_so(tmp_path, sample_copy, sample_out):
    out = first_edition(sample_out, tmp_path)
    build(seeds=sample_copy, templates=None, out=out, date="2024-04-08", jobs=1)
    first = BeautifulSoup((out / "river-dispute/2024-04-01/index.html").read_text(), "html.parser")
    second = BeautifulSoup((out / "river-dispute/2024-04-08/index.html").read_text(),
                           "html.parser")
    assert first.select_one("#changes .first-edition")
    assert second.select_one("#changes .unchanged")
    assert json.loads((out / "river-dispute/2024-04-08/manifest.json").read_text())[
        "changes"] == []
