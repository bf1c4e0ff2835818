"""No knowledge-base id in anything a reader sees: web page, PDF and email, every seed."""

from __future__ import annotations

import re

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import SEEDS

from briefings.deliver.mail import compose
from briefings.editions import read_edition
from briefings.publish.load import load
from briefings.publish.scope import take_slice

DATE = "2025-04-09"
BRIEFINGS = ("russia-north-korea", "china-ukraine-war", "us-china-tariffs")


def _ids(briefing: str) -> set[str]:
    kb = load(SEEDS)
    part = take_slice(kb, briefing)
    found = {briefing, *part.names}
    for collection in ("motives", "measures", "dealings", "events", "judgments", "sources"):
        found |= {item.id for item in getattr(part, collection)}
    for item in (*part.motives, *part.measures, *part.dealings, *part.events, *part.judgments):
        found |= set(item.subjects)
    found |= {r for d in part.dealings for r in d.in_return_for}
    return found


def _visible(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["style", "script", "head"]):
        hidden.decompose()
    text = soup.get_text(" ")
    return " ".join([text, *(img.get("alt", "") for img in soup.find_all("img"))])


def _leaks(text: str, ids: set[str]) -> list[str]:
    return sorted(i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))


@pytest.mark.parametrize("briefing", BRIEFINGS)
def test_no_id_in_the_web_page_pdf_or_email(seeds_out, briefing):
    ids = _ids(briefing)
    folder = seeds_out / briefing / DATE
    web = _visible((folder / "index.html").read_text())
    with pymupdf.open(folder / f"{briefing}-{DATE}.pdf") as pdf:
        printed = " ".join(page.get_text() for page in pdf)
    edition = read_edition(folder)
    assert edition is not None
    letter = compose(edition, public_url=None)
    for medium, text in (("web", web), ("pdf", printed), ("email html", _visible(letter.html)),
                         ("email text", letter.text)):
        assert _leaks(text, ids) == [], medium
        assert not _twice.search(text), (medium, _twice.search(text))
        assert "**" not in text, medium


_twice = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?%)\s*\1(?!\d)")  # "6.5% 6.5%", "0%0%"


def test_the_scans_find_an_id_or_a_percentage_printed_twice():
    assert _leaks("In return for: dprk-munitions-to-russia.", {"dprk-munitions-to-russia"})
    assert not _leaks("the dprk-munitions-to-russia-2 deal", {"dprk-munitions-to-russia"})
    assert _twice.search("rate 6.5% 6.5% today") and _twice.search("0%0%")
    assert not _twice.search("from 10% to 100%") and not _twice.search("↑ 10% → 25%")


@pytest.mark.parametrize("briefing", BRIEFINGS)
def test_every_link_within_the_note_has_its_target(seeds_out, briefing):
    soup = BeautifulSoup((seeds_out / briefing / DATE / "index.html").read_text(),
                         "html.parser")
    targets = {tag["id"] for tag in soup.find_all(id=True)}
    links = [a["href"][1:] for a in soup.find_all("a", href=True) if a["href"].startswith("#")]
    assert links
    assert sorted({link for link in links if link not in targets}) == []
