"""The archive pages and the Atom feed, checked by parsing them and following links.

The editions are built without figures: the archive lists editions, not their drawings.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import add_briefing

from briefings.config import Settings
from briefings.publish.build import build

ATOM = "{http://www.w3.org/2005/Atom}"


def add_restricted_briefing(seeds: Path) -> None:
    add_briefing(seeds, "  - id: restricted\n    title: Restricted note\n    bluf: B\n"
                        "    tlp: amber\n    actors: [highland]\n")


def links(page: Path) -> list[str]:
    soup = BeautifulSoup(page.read_text(), "html.parser")
    return [a["href"] for a in soup.select("a[href]")]


def test_archive_pages_list_editions_newest_first_and_every_link_resolves(
    tmp_path, sample_copy, monkeypatch,
):
    add_restricted_briefing(sample_copy)
    out = tmp_path / "out"
    for date in ("2024-04-01", "2024-04-08"):
        build(seeds=sample_copy, templates=None, out=out, date=date, jobs=1, figures=False,
              settings=Settings(source_date_epoch=1712000000))
    index = out / "index.html"
    soup = BeautifulSoup(index.read_text(), "html.parser")
    shelf = soup.select_one("#briefing-river-dispute")
    rows = [[td.get_text(strip=True) for td in tr.select("td")]
            for tr in shelf.select("tr.edition")]
    assert [r[:3] for r in rows] == [["8 April 2024", "2", "TLP:GREEN"],
                                    ["1 April 2024", "1", "TLP:GREEN"]]
    assert soup.select_one("#briefing-restricted .tlp").get_text() == "TLP:AMBER"
    pages = [index, out / "river-dispute" / "index.html", out / "restricted" / "index.html"]
    checked = 0
    for page in pages:
        for href in links(page):
            if urlsplit(href).scheme:
                continue
            target = (page.parent / href).resolve()
            assert target.is_file(), (page, href)
            assert target.is_relative_to(out.resolve())
            checked += 1
    assert checked >= 12


def test_feed_lists_public_editions_only(tmp_path, sample_copy):
    add_restricted_briefing(sample_copy)
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date="2024-04-01", jobs=1, figures=False,
          settings=Settings(public_url="https://briefings.example.org/", public_tlp="green"))
    feed = ET.fromstring((out / "public" / "feed.xml").read_bytes())  # noqa: S314 - ours
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == ["urn:briefings:river-dispute:2024-04-01"]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == (
        "The Lower Basin water dispute - 2024-04-01 [TLP:GREEN]")
    assert entry.find(f"{ATOM}link").get("href") == (
        "https://briefings.example.org/river-dispute/2024-04-01/index.html")
    assert "Edition 1" in entry.findtext(f"{ATOM}summary")
    assert "Restricted" not in (out / "public" / "feed.xml").read_text()


def _every_tlp(seeds: Path) -> None:
    add_briefing(seeds, "".join(
        f"  - id: note-{tlp.replace('+', '-')}\n    title: Note marked {tlp}\n    bluf: B\n"
        f"    tlp: {tlp}\n    actors: [highland]\n"
        for tlp in ("clear", "amber", "amber+strict", "red")
    ))


@pytest.mark.parametrize(("setting", "public"), [
    ("", {"note-clear"}),
    ("green", {"note-clear", "river-dispute"}),
])
def test_the_public_site_holds_only_what_may_be_public(
    tmp_path, sample_copy, setting, public,
):
    _every_tlp(sample_copy)
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date="2024-04-01", jobs=2,
          figures=False, settings=Settings(public_tlp=setting or "clear"))
    site = out / "public"
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    expected = {"index.html", "feed.xml"} | {
        f"{b}/{name}" for b in public
        for name in ("index.html", "2024-04-01/index.html", f"2024-04-01/{b}-2024-04-01.pdf",
                     "2024-04-01/changes.json")  # what the page says changed, as data
    }
    assert names == expected, "no snapshot, manifest, figure, record or restricted edition"
    text = " ".join(p.read_text() for p in site.rglob("*.html")) + (site / "feed.xml").read_text()
    for hidden in {"river-dispute", "note-clear", "note-amber", "note-amber-strict",
                   "note-red"} - public:
        assert hidden not in text
    assert "Note marked amber" not in text, "not even a restricted title"
    index = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    for href in (a["href"] for a in index.select("a[href]")):
        assert (site / href).resolve().is_relative_to(site.resolve())
        assert (site / href).is_file(), href
    for page in site.glob("*/*/index.html"):  # a public page's own links stay on the site
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for href in (a["href"] for a in soup.select("nav.edition-links a")):
            assert (page.parent / href).resolve().is_relative_to(site.resolve()), href
            assert (page.parent / href).is_file(), href
    private = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    assert private.select_one("#briefing-note-red .tlp").get_text() == "TLP:RED"


def test_a_public_setting_made_stricter_takes_green_off_the_site(tmp_path, sample_copy):
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date="2024-04-01", jobs=1, figures=False,
          settings=Settings(public_tlp="green"))
    page = out / "public" / "river-dispute" / "2024-04-01" / "index.html"
    assert page.is_file()
    report = build(seeds=sample_copy, templates=None, out=out, date="2024-04-01", jobs=1,
                   figures=False, settings=Settings(public_tlp="clear"))
    assert report.built == [], "nothing to rebuild"
    assert not page.exists()
    assert "river-dispute" not in (out / "public" / "index.html").read_text()
    assert not (out / "feed.xml").exists(), "the feed lives in public/ only"
    assert sorted(p.name for p in out.iterdir()) == [
        ".last-build.json", "index.html", "public", "river-dispute"], "no temporary left"
