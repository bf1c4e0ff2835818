"""The email follows the briefing's sections, is fluid, small, and plain in plain text."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from briefings.config import Settings
from briefings.deliver.mail import compose
from briefings.editions import read_edition
from briefings.publish.build import build

DATE = "2024-04-01"


def _letter(seeds, tmp_path, sections: str, extra: str = "", tlp: str = "green"):
    """The sample's letter with these ``sections``; ``extra`` goes in a file of its own."""
    knowledge = seeds / "knowledge.yaml"
    text = knowledge.read_text().replace("    topics: [water, basin]\n",
                                         f"    topics: [water, basin]\n    sections: {sections}\n")
    knowledge.write_text(text.replace("    tlp: green\n", f"    tlp: {tlp}\n", 1))
    (seeds / "extra.yaml").write_text(extra)
    out = tmp_path / "out"
    build(seeds=seeds, templates=None, out=out, date=DATE, jobs=1,
          settings=Settings(public_url="https://desk.example.org"))
    edition = read_edition(out / "river-dispute" / DATE)
    assert edition is not None
    return compose(edition, public_url="https://desk.example.org")


def test_the_email_shows_the_briefings_sections_in_its_order(
    sample_copy, tmp_path,
):
    letter = _letter(sample_copy, tmp_path, "[dealings, measures, key-judgments, bluf]")
    soup = BeautifulSoup(letter.html, "html.parser")
    assert [h.get_text() for h in soup.select("h2")] == [  # the front page first, as in print
        "Bottom line up front", "Key judgments", "Dealings", "Measures"]
    assert "What changed" not in letter.html and "Timeline" not in letter.html
    text = letter.text
    headings = [line for line in text.splitlines()
                if line.isupper() and len(line) > 5 and not line.startswith("TLP:")]
    assert headings == ["BOTTOM LINE UP FRONT", "KEY JUDGMENTS", "DEALINGS", "MEASURES"]
    assert "Levy on Highland imports · Qamaria → Highland Republic · threatened · 15%" in text
    # the map (in dealings) is drawn; the timeline's section is left out, so it is not
    assert [p.name for p in letter.figures] == ["relationships"]
    assert [img["src"].split("@")[0] for img in soup.select(".section-dealings img")] == [
        f"cid:figure-relationships.river-dispute-{DATE}"]
    web = BeautifulSoup((tmp_path / "out" / "river-dispute" / DATE / "index.html").read_text(),
                        "html.parser")
    assert [s["id"] for s in web.select("main > section")] == [
        "bluf", "key-judgments", "dealings", "measures", "judgments-basis", "annex"]
    assert web.select("#figure-timeline") == []
    targets = {tag["id"] for tag in web.find_all(id=True)}
    links = {a["href"][1:] for a in web.find_all("a", href=True) if a["href"][:1] == "#"}
    assert links and links <= targets, links - targets  # no profiles, no sources: no links
    assert web.select(".cites") == []


@pytest.mark.parametrize("tlp", ["clear", "green"])
def test_a_long_section_is_shortened_with_a_link_to_the_full_note(sample_copy, tmp_path, tlp):
    events = "".join(
        f"  - {{id: extra-event-{n}, date: '2024-02-{n:02d}', title: Extra event {n}, "
        "actors: [qamaria], sources: [ministry-note]}\n" for n in range(1, 8)
    )
    letter = _letter(sample_copy, tmp_path, "[bluf, timeline]", extra="events:\n" + events,
                     tlp=tlp)
    soup = BeautifulSoup(letter.html, "html.parser")
    timeline = soup.select_one(".section-timeline")
    assert len(timeline.select("ul.lines li")) == 5
    more = timeline.select_one("p.more")
    assert more.get_text(" ", strip=True).startswith("5 more.")  # 10 events, 5 shown
    if tlp == "clear":  # on the public site: a link to the section of the full note
        assert more.a["href"] == (
            f"https://desk.example.org/river-dispute/{DATE}/index.html#timeline")
        assert "5 more. More in the full note: https://desk.example.org/" in letter.text
    else:  # restricted: no web copy to link to, the PDF is attached
        assert more.a is None
        assert f"attached as river-dispute-{DATE}.pdf" in more.get_text()
        assert f"5 more. More in the full note, attached as river-dispute-{DATE}.pdf" in (
            letter.text)


def test_the_email_is_fluid_small_marked_first_and_plain_in_text(
    sample_copy, tmp_path,
):
    letter = _letter(sample_copy, tmp_path,
                     "[bluf, key-judgments, changes, actors, motives, dealings, measures, "
                     "timeline, sources]")
    assert len(letter.html.encode()) <= 100 * 1024
    soup = BeautifulSoup(letter.html, "html.parser")
    for table in soup.find_all("table"):
        assert table.get("width") not in {"600", "600px"}
        style = table.get("style", "").replace(" ", "")
        assert not re.search(r"(?<!max-)width:600px", style), style
    assert "max-width:600px" in soup.select_one("table.sheet")["style"].replace(" ", "")
    body_text = soup.body.get_text(" ", strip=True)
    assert body_text.startswith("TLP:GREEN")
    assert letter.text.startswith("TLP:GREEN\n")
    assert "**" not in letter.text and "15% levy" in letter.text
    assert "Information cut-off 14 March 2024" in letter.text
