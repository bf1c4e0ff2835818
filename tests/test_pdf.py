"""The PDF, checked by extracting its text, outline, metadata and glyphs."""

from __future__ import annotations

import re

import pymupdf
import pytest
from conftest import SAMPLE, SAMPLE_DATE

from briefings.config import Settings
from briefings.publish.build import build


@pytest.fixture(scope="module")
def pdf(sample_out):
    path = sample_out / "river-dispute" / SAMPLE_DATE / f"river-dispute-{SAMPLE_DATE}.pdf"
    with pymupdf.open(path) as document:
        yield document


def test_a4_pages_with_running_header_tlp_and_page_x_of_y(pdf):
    count = pdf.page_count
    assert count >= 2
    for number, page in enumerate(pdf, 1):
        assert round(page.rect.width) == 595 and round(page.rect.height) == 842
        text = page.get_text()
        assert f"Page {number} of {count}" in text
        assert "TLP:GREEN" in text
        if number > 1:
            assert "The Lower Basin water dispute" in text


def test_contents_lists_sections_with_their_page_numbers(pdf):
    first = pdf[0].get_text()
    assert "Contents" in first
    outline = {title: page for _, title, page in pdf.get_toc()}
    assert "Key judgments" in outline and "Key judgments" in first  # page 1 itself
    for title in ("What changed", "Timeline", "Annex C: Sources",
                  "Annex D: How to read this note"):
        assert title in outline
        match = re.search(rf"{re.escape(title)}[\s.]*?(\d+)\n", first)
        assert match, title
        assert int(match.group(1)) == outline[title]
        assert title in pdf[outline[title] - 1].get_text()


def test_metadata_tags_and_embedded_fonts(pdf):
    meta = pdf.metadata
    assert meta["title"] == "The Lower Basin water dispute"
    assert meta["author"] == "Test desk"
    assert meta["subject"] == "TLP:GREEN · Dam filling, a threatened levy and the talks"
    assert "water" in meta["keywords"] and "TLP:GREEN" in meta["keywords"]
    assert meta["creationDate"].startswith("D:20240401")
    catalog = pdf.xref_object(pdf.pdf_catalog())
    assert "/StructTreeRoot" in catalog and "/MarkInfo" in catalog
    fonts = {f[3]: f[1] for page in pdf for f in page.get_fonts()}
    assert fonts
    assert all(ext != "n/a" for ext in fonts.values()), fonts


def test_body_text_comes_from_the_data(pdf):
    text = " ".join(page.get_text() for page in pdf)
    for phrase in ("Qamaria will impose the levy", "Realistic possibility", "40–50%",
                   "Highland begins filling the reservoir", "March 2024", "The River Gazette"):
        assert phrase in text.replace("\n", " "), phrase


def glyphs(document: pymupdf.Document) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for page in document:
        for span in page.get_texttrace():
            for char in span["chars"]:
                found.setdefault(chr(char[0]), set()).add(char[1])
    return found


def test_every_script_renders_real_glyphs(tmp_path, sample_copy):
    names = {"Cyrillic": "Владимир Путин", "Hangul": "김정은", "Chinese": "习近平",
             "Arabic": "ایران"}
    extra = "".join(
        f"  - id: script-{i}\n    name: {label}\n    native_name: {text}\n    kind: person\n"
        for i, (label, text) in enumerate(names.items())
    )
    actors = "\n".join(f"      - script-{i}" for i in range(len(names)))
    (sample_copy / "scripts.yaml").write_text(
        f"actors:\n{extra}briefings:\n  - id: scripts\n    title: Scripts\n    bluf: All scripts\n"
        f"    tlp: clear\n    actors:\n{actors}\n", encoding="utf-8")
    build(seeds=sample_copy, templates=None, out=tmp_path / "out", date=SAMPLE_DATE,
          jobs=1, only=["scripts"])
    with pymupdf.open(tmp_path / "out" / "scripts" / SAMPLE_DATE /
                      f"scripts-{SAMPLE_DATE}.pdf") as document:
        seen = glyphs(document)
    for label, text in names.items():
        for char in text.replace(" ", ""):
            assert char in seen or label == "Arabic", (label, char)
            assert 0 not in seen.get(char, set()), f"{label} {char!r} drew .notdef"
    arabic = [c for c in names["Arabic"] if c in seen]
    assert arabic, "Arabic script is missing from the PDF"


@pytest.mark.fresh_pdfs
def test_two_builds_give_byte_identical_pdfs(tmp_path, sample_out):
    outputs = []
    for out in (sample_out, tmp_path / "again"):  # the session's build, and one more now
        if out != sample_out:
            build(seeds=SAMPLE, templates=None, out=out, date=SAMPLE_DATE, jobs=1,
                  settings=Settings(source_date_epoch=1700000000))
        pdf = out / "river-dispute" / SAMPLE_DATE / f"river-dispute-{SAMPLE_DATE}.pdf"
        outputs.append(pdf.read_bytes())
    assert outputs[0] == outputs[1]


def svg_page(*texts: str) -> pymupdf.Document:
    """A 300 x 60 pt page holding one SVG whose user unit is a point."""
    from briefings.publish.pdf import write_pdf
    from briefings.publish.render import template_dirs

    html = (
        "<style>@page { size: 300pt 60pt; margin: 0 } body { margin: 0 }</style>"
        '<svg xmlns="http://www.w3.org/2000/svg" width="300pt" height="60pt" '
        f'viewBox="0 0 300 60" font-family="Noto Sans" font-size="10">{"".join(texts)}</svg>'
    )
    data, _ = write_pdf(html, asset_dirs=template_dirs(None))
    return pymupdf.open(stream=data, filetype="pdf")


def chars(page: pymupdf.Page, baseline: float) -> list[dict]:
    """The characters drawn on one baseline, left to right."""
    found = [c for block in page.get_text("rawdict")["blocks"] for line in block["lines"]
             for s in line["spans"] for c in s["chars"] if abs(c["origin"][1] - baseline) < 1]
    return sorted(found, key=lambda c: c["origin"][0])


def test_svg_text_is_shaped_as_a_run_and_keeps_its_anchor():
    from briefings.publish.pdf import SVG_TEXT_AS_RUNS

    assert SVG_TEXT_AS_RUNS, "the pinned WeasyPrint should get whole-run SVG text"
    page = svg_page(
        '<text x="150" y="20" text-anchor="middle">Centred label AV</text>',
        '<text x="290" y="40" text-anchor="end">Right label</text>',
        '<text x="10" y="55">Cafe\u0301 e\u0301</text>',
    )[0]
    kerning = svg_page('<text x="10" y="20">AV</text>', '<text x="10" y="40" dx="0 0">AV</text>')[0]
    centred = page.search_for("Centred label AV")[0]
    assert abs((centred.x0 + centred.x1) / 2 - 150) < 1.5
    assert abs(page.search_for("Right label")[0].x1 - 290) < 1.5
    origins = {y: [c["origin"][0] for c in chars(kerning, y)] for y in (20, 40)}
    kerned, unkerned = (xs[1] - xs[0] for xs in (origins[20], origins[40]))
    assert kerned < unkerned - 0.2  # "AV" shaped as a run is kerned; placed letters are not
    accented = [w[4] for w in page.get_text("words") if w[3] > 45]
    assert accented == ["Cafe\u0301", "e\u0301"]  # each accent shaped with its letter


def test_svg_text_placed_glyph_by_glyph_keeps_each_position():
    page = svg_page(
        '<text x="10 40 70" y="20">abc</text>',
        '<text x="10" y="40" dx="0 30 30">abc</text>',
    )[0]
    for y in (20, 40):
        xs = [c["origin"][0] for c in chars(page, y)]
        assert len(xs) == 3
        assert xs[1] - xs[0] > 25 and xs[2] - xs[1] > 25, (y, xs)
