"""The web page finds its way: contents, its PDF, the briefing's editions, the archive."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from briefings.editions import PUBLIC


def _edition_pages(out: Path) -> list[Path]:
    """Each edition's web page (OUT/<briefing>/<date>/index.html; OUT/public is the site)."""
    return sorted(p for p in out.glob("*/*/index.html") if p.parent.parent.name != PUBLIC)


def test_contents_lead_to_the_sections_by_their_headings(seeds_out: Path) -> None:
    for page in _edition_pages(seeds_out):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        contents = soup.select_one("nav#contents")
        assert contents is not None, page
        links = contents.select('a[href^="#"]')
        assert len(links) >= 3, page
        for link in links:
            section = soup.find(id=link["href"][1:])
            assert section is not None, (page, link["href"])
            heading = section.find(["h2", "h3"]).get_text(" ", strip=True)
            assert link.get_text(" ", strip=True).endswith(heading), (page, link, heading)
        listed = {a["href"][1:] for a in links}
        for section in soup.select("main section[id]"):
            heading = section.find("h2")
            if heading and heading.get_text(strip=True).startswith("Annex"):
                assert section["id"] in listed, (page, section["id"])  # reference: listed


def test_links_to_its_pdf_its_editions_and_the_archive(seeds_out: Path) -> None:
    pages = _edition_pages(seeds_out)
    assert pages
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        hrefs = [a["href"] for a in soup.select("nav.edition-links a")]
        assert len(hrefs) == 3, page
        pdf, editions, archive = ((page.parent / h).resolve() for h in hrefs)
        assert pdf.suffix == ".pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        assert editions == (seeds_out / page.parent.parent.name / "index.html").resolve()
        assert archive == (seeds_out / "index.html").resolve()
        assert editions.is_file()
        assert archive.is_file()
