"""The seed notes on paper, by PDF text extraction: the front page is the brief, the
marking is on every page, the body fits in four pages and reference goes to annexes."""

from __future__ import annotations

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import SEEDS

from briefings.publish.load import load
from briefings.publish.scope import information_cutoff, take_slice
from briefings.publish.wording import date_text

DATE = "2025-04-09"
BRIEFINGS = ("russia-north-korea", "china-ukraine-war", "us-china-tariffs")
MARGIN = 0.12  # of the page height: where the running header and footer stand
TOP, BOTTOM = 0.07, 0.93  # of the page height: the text area (22 mm and 20 mm margins)
NEARLY_EMPTY = 0.5  # a page (but the last) that a break leaves with less text than this


def _pdf(out, briefing: str) -> pymupdf.Document:
    return pymupdf.open(out / briefing / DATE / f"{briefing}-{DATE}.pdf")


def _lines(page: pymupdf.Page) -> list[tuple[float, float, str]]:
    """(top, bottom, text) of each line of the page, top to bottom."""
    found = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", ()):
            text = "".join(span["text"] for span in line["spans"]).strip()
            if text:
                found.append((line["bbox"][1], line["bbox"][3], text))
    return sorted(found)


def _body_lines(page: pymupdf.Page) -> list[tuple[float, float, str]]:
    height = page.rect.height
    return [line for line in _lines(page) if height * TOP < line[0] < height * BOTTOM]


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("briefing", BRIEFINGS)
def test_page_one_carries_title_marking_dates_bluf_and_ranked_judgments(seeds_out, briefing):
    part = take_slice(load(SEEDS), briefing)
    b = part.briefing
    with _pdf(seeds_out, briefing) as pdf:
        first = _words(pdf[0].get_text())
        rest = _words(" ".join(page.get_text() for page in pdf.pages(1)))
    for wanted in (b.title, f"TLP:{b.tlp.upper()}", f"Edition date: {date_text(DATE)}",
                   f"Information cut-off: {date_text(information_cutoff(part))}"):
        assert wanted in first, wanted
    bluf = BeautifulSoup((seeds_out / briefing / DATE / "index.html").read_text(),
                         "html.parser").select_one("#bluf .bluf").get_text(" ", strip=True)
    assert _words(bluf)[:120] in first.replace(" .", ".")
    statements = [_words(j.statement) for j in part.judgments]
    assert statements[0][:60] in first
    positions = [first.index(s[:60]) for s in statements[:5]]
    assert positions == sorted(positions), "ranked: the desk's order"
    for later in statements[5:]:
        assert later[:60] not in first and later[:60] in rest


def test_more_than_five_judgments_leave_the_sixth_for_page_two(tmp_path, sample_copy):
    from briefings.publish.build import build

    knowledge = sample_copy / "knowledge.yaml"
    extra = "".join(
        f"  - {{id: extra-{n}, statement: Extra judgment number {n} holds., "
        "likelihood: likely, confidence: low, about: [qamaria], sources: [ministry-note]}\n"
        for n in range(1, 6)
    )
    text = knowledge.read_text().replace("briefings:\n", extra + "briefings:\n")
    knowledge.write_text(text)
    build(seeds=sample_copy, templates=None, out=tmp_path / "out", date="2024-04-01", jobs=1)
    pdf_path = tmp_path / "out" / "river-dispute" / "2024-04-01" / "river-dispute-2024-04-01.pdf"
    with pymupdf.open(pdf_path) as pdf:
        first, second = pdf[0].get_text(), pdf[1].get_text()
    assert "Extra judgment number 3 holds." in first
    assert "Extra judgment number 4 holds." not in first  # the sixth and seventh
    assert "Extra judgment number 4 holds." in second
    assert "Further key judgments" in second


@pytest.mark.parametrize("briefing", BRIEFINGS)
def test_the_marking_is_at_the_top_and_bottom_of_every_page_and_in_the_metadata(
    seeds_out, briefing,
):
    tlp = take_slice(load(SEEDS), briefing).briefing.tlp.upper()
    with _pdf(seeds_out, briefing) as pdf:
        for number, page in enumerate(pdf, 1):
            height = page.rect.height
            marks = [top for top, _, text in _lines(page) if text == f"TLP:{tlp}"]
            assert any(top < height * MARGIN for top in marks), number
            assert any(top > height * (1 - MARGIN) for top in marks), number
        assert f"TLP:{tlp}" in pdf.metadata["keywords"]
        assert f"TLP:{tlp}" in pdf.metadata["subject"]


@pytest.mark.parametrize("briefing", BRIEFINGS)
def test_the_body_fits_in_four_pages_and_reference_goes_to_annexes(seeds_out, briefing):
    with _pdf(seeds_out, briefing) as pdf:
        outline = [(title, page) for level, title, page in pdf.get_toc() if level == 1]
        annexes = [(title, page) for title, page in outline if title.startswith("Annex")]
        assert annexes, outline
        first_title, first_page = annexes[0]
        top = _body_lines(pdf[first_page - 1])[0][2]
        body_pages = first_page - 1 if top == first_title else first_page
        assert body_pages <= 4, (briefing, body_pages)
        after = outline[outline.index(annexes[0]):]
        assert all(title.startswith("Annex") for title, _ in after), after
        titles = [title.split(": ", 1)[1] for title, _ in annexes]
        for wanted in ("Actor profiles", "Sources", "How to read this note"):
            assert wanted in titles
        body = [title for title, _ in outline[:outline.index(annexes[0])]]
        assert "Actor profiles" not in body and "Sources" not in body


@pytest.mark.parametrize("briefing", BRIEFINGS)
def test_no_heading_ends_a_page_and_no_page_is_left_nearly_empty(seeds_out, briefing):
    soup = BeautifulSoup((seeds_out / briefing / DATE / "index.html").read_text(),
                         "html.parser")
    headings = {_words(h.get_text(" ")) for h in soup.select("main h2, main h3, main h4")}
    with _pdf(seeds_out, briefing) as pdf:
        for number, page in enumerate(pdf, 1):
            lines = _body_lines(page)
            assert lines[-1][2] not in headings, (number, lines[-1][2])
            if number < pdf.page_count:
                used = (lines[-1][1] - page.rect.height * TOP) / (
                    page.rect.height * (BOTTOM - TOP))
                assert used > NEARLY_EMPTY, (briefing, number, f"{used:.0%} of the page used")
