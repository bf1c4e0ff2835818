"""The web page finds its way: contents, its PDF, the briefing's editions, the archive."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup


def test_contents_link_every_section_on_the_page(seeds_out: Path) -> None:
    for page in sorted(seeds_out.glob("*/*/index.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        contents = soup.select_one("nav#contents")
        assert contents is not None, page
        targets = [a["href"] for a in contents.select("a")]
        sections = [f"#{s['id']}" for s in soup.select("main > section[id]")]
        assert targets == sections, page
        for target, section in zip(targets, soup.select("main > section[id]"), strict=True):
            link = contents.select_one(f'a[href="{target}"]').get_text(strip=True)
            assert link == section.find("h2").get_text(strip=True)


def test_links_to_its_pdf_its_editions_and_the_archive(seeds_out: Path) -> None:
    pages = sorted(seeds_out.glob("*/*/index.html"))
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
