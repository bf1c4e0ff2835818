"""Figures and notes that can be read: text size in print, contrast, whole glyphs,
one labelled line per pair in the map, no chart of one bar or one point."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pymupdf
import pytest
from conftest import SAMPLE, SAMPLE_DATE, SEEDS

from briefings.publish.build import build
from briefings.publish.drawing import draw_figures
from briefings.publish.load import load
from briefings.publish.scope import take_slice

SVG = "{http://www.w3.org/2000/svg}"
SMALLEST_PT = 7.0
WHITE, BLACK = "#ffffff", "#000000"

# Every script the fonts must cover, and the minus sign, in figure labels.
STRESS = """\
actors:
  - {id: putin-cyr, name: Владимир Путин, kind: person}
  - {id: kim-hangul, name: 김정은, kind: person}
  - {id: xi-han, name: 习近平, kind: person}
  - {id: iran-fa, name: ایران, kind: state, country: IR}
dealings:
  - {id: d1, from: putin-cyr, to: kim-hangul, kind: arms, status: confirmed,
     sources: [river-gazette]}
  - {id: d2, from: xi-han, to: iran-fa, kind: trade, status: reported, sources: [river-gazette]}
  - {id: d3, from: iran-fa, to: putin-cyr, kind: munitions, status: suspected,
     sources: [river-gazette]}
measures:
  - {id: m1, title: Quota −20% on grain, kind: other, imposed_by: [xi-han], targets: [iran-fa],
     status: in-force, announced: 2024-01-05, effective: 2024-02-01, sources: [river-gazette]}
  - {id: m2, title: Tariff of 25%, kind: tariff, imposed_by: [putin-cyr], targets: [xi-han],
     status: announced, rate_percent: 25, sources: [river-gazette]}
events:
  - {id: e1, date: 2024-02, title: Output falls −3% on the year, actors: [xi-han],
     sources: [river-gazette]}
  - {id: e2, date: 2024-03-02, title: Встреча в Пхеньяне, actors: [kim-hangul],
     sources: [river-gazette]}
briefings:
  - id: scripts
    title: Scripts and signs
    bluf: Every script and the minus sign (−) in the figures.
    tlp: amber
    actors: [putin-cyr, kim-hangul, xi-han, iran-fa]
"""


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    a, b = sorted((luminance(one), luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def colour(value: str | None) -> str | None:
    """``#abc``/``#aabbcc``/``black``/``white`` as ``#aabbcc``; None for none or a url."""
    if not value or value in {"none", "transparent"} or value.startswith("url"):
        return None
    value = {"black": BLACK, "white": WHITE}.get(value.lower(), value.lower())
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    assert re.fullmatch(r"#[0-9a-f]{6}", value), value
    return value


def paint(element: ET.Element, name: str) -> str | None:
    style = {
        k.strip(): v.strip() for k, v in
        (d.split(":", 1) for d in (element.get("style") or "").split(";") if ":" in d)
    }
    return colour(style.get(name) or element.get(name))


def svg_colours(svg: str) -> tuple[list[tuple[str, str]], set[str], set[str]]:
    """(text and its colour), the colours of marks, and the light fills (backgrounds)."""
    root = ET.fromstring(svg)  # noqa: S314
    texts, marks, grounds = [], set(), {WHITE}
    for element in root.iter():
        tag = element.tag.rpartition("}")[2]
        if tag == "text":
            texts.append(("".join(element.itertext()), paint(element, "fill") or BLACK))
        elif tag in {"path", "polygon", "polyline", "ellipse", "rect", "line", "circle"}:
            stroke, fill = paint(element, "stroke"), paint(element, "fill")
            if stroke and element.get("stroke-width") != "0":
                marks.add(stroke)
            if fill and luminance(fill) > 0.8:
                grounds.add(fill)  # a light area: text and marks must stand out on it
            elif fill:
                marks.add(fill)
    return texts, marks, grounds


@pytest.fixture(scope="module")
def stress_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with a briefing whose figures hold every script and the minus sign."""
    seeds = tmp_path_factory.mktemp("stress-seeds")
    (seeds / "knowledge.yaml").write_text((SAMPLE / "knowledge.yaml").read_text("utf-8"), "utf-8")
    (seeds / "scripts.yaml").write_text(STRESS, encoding="utf-8")
    return seeds


@pytest.fixture(scope="module")
def stress_out(stress_seeds: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stress-out")
    build(seeds=stress_seeds, templates=None, out=out, date=SAMPLE_DATE, jobs=1,
          only=["scripts"])
    return out


def pdfs(*outs: Path) -> list[Path]:
    found = [p for out in outs for p in sorted(out.glob("*/*/*.pdf"))]
    assert len(found) >= len(outs)
    return found


def test_no_text_in_any_pdf_is_smaller_than_7_pt(seeds_out, sample_out, stress_out) -> None:
    small = {}
    for path in pdfs(seeds_out, sample_out, stress_out):
        with pymupdf.open(path) as pdf:
            sizes = [
                (round(span["size"], 2), span["text"])
                for page in pdf for block in page.get_text("dict")["blocks"]
                for line in block.get("lines", ()) for span in line["spans"]
                if span["text"].strip()
            ]
        assert sizes, path
        small.update({f"{path.name}: {t!r}": s for s, t in sizes if s < SMALLEST_PT - 0.01})
    assert small == {}


def test_the_figures_are_in_the_pdf_as_text(seeds_out) -> None:
    kb = load(SEEDS)
    for path in pdfs(seeds_out):
        part = take_slice(kb, path.parent.parent.name)
        with pymupdf.open(path) as pdf:
            spans = {span["text"].strip() for page in pdf
                     for block in page.get_text("dict")["blocks"]
                     for line in block.get("lines", ()) for span in line["spans"]}
        shown = [f for f in draw_figures(part) if f.drawn]
        assert shown, path
        for figure in shown:
            labels = [t for t, _ in svg_colours(figure.svg)[0] if t.strip()]
            assert set(labels) <= spans, (path.name, figure.name, set(labels) - spans)


def test_every_glyph_renders_in_every_script_and_the_minus_sign(seeds_out, stress_out) -> None:
    for path in pdfs(seeds_out, stress_out):
        with pymupdf.open(path) as pdf:
            chars = [(chr(c[0]), c[1]) for page in pdf for span in page.get_texttrace()
                     for c in span["chars"]]
            text = "".join(page.get_text() for page in pdf)
        notdef = {ch for ch, glyph in chars if glyph == 0 and not ch.isspace()}
        assert notdef == set(), (path.name, notdef)
        assert "\ufffd" not in text
    with pymupdf.open(pdfs(stress_out)[0]) as pdf:
        words = " ".join(page.get_text() for page in pdf)
    for label in ("Output falls −3% on", "Quota −20% on grain", "Владимир Путин", "김정은",
                  "习近平"):
        assert label in words, label


def figures_to_check(stress_seeds: Path):
    kb = load(SEEDS)
    parts = [take_slice(kb, b) for b in kb["briefings"]]
    parts.append(take_slice(load(stress_seeds), "scripts"))
    return [(p.briefing.id, f) for p in parts for f in draw_figures(p) if f.drawn]


def test_figure_text_and_marks_have_contrast(stress_seeds) -> None:
    checked = 0
    for briefing, figure in figures_to_check(stress_seeds):
        texts, marks, grounds = svg_colours(figure.svg)
        for text, fill in texts:
            backgrounds = [BLACK] if text.startswith("TLP:") else grounds  # TLP 2.0: on black
            worst = min(contrast(fill, g) for g in backgrounds)
            assert worst >= 4.5, (briefing, figure.name, text, fill, worst)
            checked += 1
        for mark in marks:
            worst = min(contrast(mark, g) for g in grounds)
            assert worst >= 3, (briefing, figure.name, mark, worst)
    assert checked > 50
    assert contrast("#56b4e9", WHITE) < 3  # the check can fail: sky blue on white


def test_the_map_names_every_actor_and_joins_each_pair_once(stress_seeds) -> None:
    kb = load(SEEDS)
    busiest = max((take_slice(kb, b) for b in kb["briefings"]),
                  key=lambda p: len(p.dealings) + len(p.measures))
    for part in [busiest, take_slice(load(stress_seeds), "scripts")]:
        figure = {f.name: f for f in draw_figures(part)}["relationships"]
        root = ET.fromstring(figure.svg)  # noqa: S314
        shown = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        for actor in part.briefing.actors:
            assert part.names[actor].name in shown
        pairs = {frozenset((d.from_, d.to)) for d in part.dealings} | {
            frozenset((i, t)) for m in part.measures for i in m.imposed_by for t in m.targets
        }
        lines = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
        assert len(lines) == len(pairs)
        assert all(g.find(f"{SVG}text") is not None for g in lines), "every line is labelled"
        assert len({g.get("id") for g in lines}) == len(lines)


def test_a_chart_of_one_bar_or_one_point_is_a_sentence() -> None:
    part = take_slice(load(SAMPLE), "river-dispute")
    one_event = replace(part, events=part.events[:1])
    timeline = {f.name: f for f in draw_figures(one_event)}["timeline"]
    assert not timeline.drawn
    assert timeline.svg == ""
    assert part.events[0].title in timeline.description
    assert timeline.description.endswith(".")
    measures = {f.name: f for f in draw_figures(part)}["measures"]  # one tariff: one bar
    assert not measures.drawn
    assert "15%" in measures.description
    both = {f.name: f for f in draw_figures(part)}["timeline"]  # two events: a chart
    assert both.drawn


def test_each_caption_says_what_its_figure_shows() -> None:
    kb = load(SEEDS)
    for briefing in kb["briefings"]:
        part = take_slice(kb, briefing)
        figures = {f.name: f for f in draw_figures(part)}
        if "relationships" in figures:
            caption = figures["relationships"].caption
            assert caption.startswith("Relationship map")
            assert re.search(r"\b\d+ actors\b", caption)
        if "timeline" in figures and figures["timeline"].drawn:
            caption = figures["timeline"].caption
            assert f"{len(part.events)} events" in caption
