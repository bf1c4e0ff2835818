"""Figures: each parses, names what it should, counts its arrows, and stays inert."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import rewrite
from PIL import Image

from briefings.figure_image import FigureImage, content_id
from briefings.publish.build import build
from briefings.publish.charts import span
from briefings.publish.drawing import draw_figures
from briefings.publish.load import load
from briefings.publish.scope import take_slice
from briefings.publish.timeline import short_label

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "sample"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]  # noqa: S314


def edges(svg: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "edge"]  # noqa: S314


def by_name(part) -> dict:
    return {f.name: f for f in draw_figures(part)}


def drawn(part) -> list:
    return [f for f in draw_figures(part) if f.drawn]


def world(n_states: int = 10) -> str:
    """A knowledge base of 3 * n_states actors: states, their leaders and agencies."""
    actors, dealings, measures, events = [], [], [], []
    statuses = ["confirmed", "reported", "suspected", "proposed", "denied"]
    for i in range(n_states):
        actors += [
            f"  - {{id: state-{i}, name: State number {i}, kind: state, country: {COUNTRIES[i]}}}",
            f"  - {{id: leader-{i}, name: Leader of state {i}, kind: person, leads: state-{i}}}",
            f"  - {{id: agency-{i}, name: Agency {i}, kind: organisation, "
            f"country: {COUNTRIES[i]}}}",
        ]
        j = (i + 1) % n_states
        dealings.append(
            f"  - {{id: deal-{i}, from: state-{i}, to: agency-{j}, kind: arms, "
            f"status: {statuses[i % 5]}, sources: [s]}}"
        )
        measures.append(
            f"  - {{id: tariff-{i}, title: Tariff {i}, kind: tariff, imposed_by: [state-{i}], "
            f"targets: [state-{j}, leader-{j}], status: {['in-force', 'threatened'][i % 2]}, "
            f"rate_percent: {10 + i}, sources: [s]}}"
        )
        measures.append(
            f"  - {{id: ban-{i}, title: Travel ban {i}, kind: travel-ban, "
            f"imposed_by: [state-{i}], targets: [leader-{j}], status: in-force, "
            f"announced: 2023-0{1 + i % 9}, effective: 2024-0{1 + i % 9}-15, sources: [s]}}"
        )
        events.append(
            f"  - {{id: event-{i}, date: '{2020 + i % 4}{'' if i % 3 == 0 else f'-0{1 + i % 9}'}',"
            f" title: Summit number {i} between the two neighbours, actors: [state-{i}], "
            f"sources: [s]}}"
        )
    return "\n".join([
        "sources:\n  - {id: s, publisher: P, title: T, published: '2024'}",
        "actors:", *actors, "dealings:", *dealings, "measures:", *measures,
        "events:", *events,
        "briefings:\n  - id: world\n    title: World\n    bluf: B\n    tlp: clear\n"
        f"    actors: [{', '.join(f'state-{i}' for i in range(n_states))}]",
    ]) + "\n"


COUNTRIES = ["FR", "DE", "IT", "ES", "PT", "NL", "BE", "AT", "PL", "CZ"]


@pytest.fixture(scope="module")
def sample_part():
    return take_slice(load(SAMPLE), "river-dispute")


@pytest.fixture(scope="module")
def world_part(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("world")
    (folder / "world.yaml").write_text(world(), encoding="utf-8")
    return take_slice(load(folder), "world")


def test_each_figure_carries_its_tlp_marking_in_tlp_colours(sample_part) -> None:
    for f in drawn(sample_part):  # the sample briefing is TLP:GREEN
        root = ET.fromstring(f.svg)  # noqa: S314
        marks = [t for t in root.iter(f"{SVG}text") if "".join(t.itertext()) == "TLP:GREEN"]
        assert len(marks) == 1, f.name
        colour = marks[0].get("fill") or marks[0].get("style", "")
        assert "#33ff00" in colour.lower(), (f.name, colour)
        pixels = Image.open(io.BytesIO(f.png)).convert("RGB").tobytes()
        green = [i for i in range(0, len(pixels), 3)
                 if pixels[i] < 90 and pixels[i + 1] > 220 and pixels[i + 2] < 60]
        assert len(green) > 20, f.name  # the PNG is the same drawing: TLP green on black


def test_each_figure_parses_and_is_labelled(sample_part) -> None:
    figures = draw_figures(sample_part)
    assert [f.name for f in figures] == ["relationships", "measures", "timeline"]
    assert [f.drawn for f in figures] == [True, False, True]  # one measure: one bar
    for f in drawn(sample_part):
        root = ET.fromstring(f.svg)  # noqa: S314
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"figure-{f.name}-caption"
        assert root.get("aria-describedby") == f"figure-{f.name}-description"
        assert not f.svg.startswith("<?xml")
        assert "<!DOCTYPE" not in f.svg
        assert not list(root.iter(f"{SVG}title"))  # Graphviz's node ids: noise to a reader
        assert f.png.startswith(b"\x89PNG\r\n\x1a\n")
        assert f.caption
        assert f.description


def test_relationship_map_names_actors_and_counts_arrows(sample_part) -> None:
    rel = by_name(sample_part)["relationships"]
    shown = texts(rel.svg)
    for name in ("Qamaria", "Highland Republic", "Basin Council"):
        assert name in shown
    assert "trade (proposed)" in shown  # each item with its status unless confirmed
    assert "tariff 15% (threatened)" in shown
    assert len(edges(rel.svg)) == 2  # one dealing, one measure with one imposer and target


def test_thirty_actors_all_named_every_arrow_drawn(world_part) -> None:
    figures = by_name(world_part)
    rel = figures["relationships"]
    shown = texts(rel.svg)
    assert len(world_part.names) == 30
    for actor in world_part.names.values():
        assert actor.name in shown
    pairs = {frozenset((d.from_, d.to)) for d in world_part.dealings} | {
        frozenset((i, t)) for m in world_part.measures for i in m.imposed_by for t in m.targets
    }
    assert len(edges(rel.svg)) == len(pairs) == 10 + 20  # a tariff and a ban share a line
    clusters = [g for g in ET.fromstring(rel.svg).iter(f"{SVG}g")  # noqa: S314
                if g.get("class") == "cluster"]
    assert len(clusters) == 10  # each state boxed with its leader and agency
    timeline = texts(figures["timeline"].svg)
    for event in world_part.events:
        assert short_label(event.title) in timeline
        assert event.title in figures["timeline"].description  # in full for screen readers
    measures = texts(figures["measures"].svg)
    assert "State number 0 on State number 1" in measures
    assert any(t.startswith("Travel ban 3") for t in measures)


NOTO = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")


def label_boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """Each text's box from its position, anchor, size and the font's advances."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(NOTO), 100)
    boxes = []
    for text in ET.fromstring(svg).iter(f"{SVG}text"):  # noqa: S314
        style = {
            k.strip(): v.strip() for k, v in
            (d.split(":", 1) for d in (text.get("style") or "").split(";") if ":" in d)
        }
        size = float((text.get("font-size") or style["font-size"]).removesuffix("px"))
        anchor = text.get("text-anchor") or style.get("text-anchor", "start")
        content = "".join(text.itertext())
        width = font.getlength(content) * size / 100
        x, y = float(text.get("x")), float(text.get("y"))
        left = x - {"start": 0, "middle": width / 2, "end": width}[anchor]
        boxes.append((content, left, y - 0.75 * size, left + width, y + 0.2 * size))
    return boxes


def overlapping(boxes: list, slack: float = 1.0) -> list[tuple[str, str]]:
    return [
        (a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
        if a[1] < b[3] - slack and b[1] < a[3] - slack and a[2] < b[4] - slack
        and b[2] < a[4] - slack
    ]


@pytest.mark.skipif(not NOTO.exists(), reason="install.sh installs Noto Sans")
def test_thirty_actors_no_label_overlaps_another(world_part) -> None:
    figures = by_name(world_part)
    for name in ("relationships", "timeline", "measures"):
        boxes = label_boxes(figures[name].svg)
        assert len(boxes) > 10, name
        assert overlapping(boxes) == [], name
    crowded = label_boxes(figures["timeline"].svg)  # the check itself can fail
    assert overlapping([*crowded, ("stray", *crowded[-1][1:])])


def test_timeline_labels_do_not_collide(world_part) -> None:
    svg = by_name(world_part)["timeline"].svg
    root = ET.fromstring(svg)  # noqa: S314
    titles = {short_label(e.title) for e in world_part.events}
    rows: dict[str, int] = {}
    for text in root.iter(f"{SVG}text"):
        if "".join(text.itertext()) in titles:
            key = text.get("y") or text.get("transform", "")
            rows[key] = rows.get(key, 0) + 1
    # ten long labels on a short axis: they need lanes, and lanes hold few each
    assert len(rows) >= 4
    assert sum(rows.values()) == len(titles)


def test_partial_dates_span_what_they_cover() -> None:
    assert span("2024") == (date(2024, 1, 1), date(2025, 1, 1))
    assert span("2024-12") == (date(2024, 12, 1), date(2025, 1, 1))
    assert span("2024-02-29") == (date(2024, 2, 29), date(2024, 3, 1))


def test_nothing_to_draw_no_figure(sample_part) -> None:
    from dataclasses import replace

    bare = replace(sample_part, dealings=(), measures=(), events=())
    assert draw_figures(bare) == ()
    only_events = replace(sample_part, dealings=(), measures=())
    assert [f.name for f in draw_figures(only_events)] == ["timeline"]


_DIGEST = """
import hashlib, json, sys
from pathlib import Path
from briefings.publish.drawing import draw_figures
from briefings.publish.load import load
from briefings.publish.scope import take_slice
part = take_slice(load(Path(sys.argv[1])), sys.argv[2])
print(json.dumps({f.name: [hashlib.sha256(f.svg.encode()).hexdigest(),
                           hashlib.sha256(f.png).hexdigest()] for f in draw_figures(part)}))
"""


def test_same_data_same_bytes(sample_part) -> None:
    first, second = draw_figures(sample_part), draw_figures(sample_part)
    assert first == second
    assert [f.png for f in first] == [f.png for f in second]
    here = {f.name: [hashlib.sha256(f.svg.encode()).hexdigest(),
                     hashlib.sha256(f.png).hexdigest()] for f in first}
    other = subprocess.run(
        [sys.executable, "-c", _DIGEST, str(SAMPLE), "river-dispute"],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(other.stdout) == here


def hostile_kb(sample_copy: Path) -> Path:
    rewrite(sample_copy, ("name: Basin Council", f"name: '{HOSTILE[0]}'"),
            ("name: Highland Republic", f"name: '{HOSTILE[1]}'"),
            ("title: Basin treaty signed", "title: 'Costs $5 \\N or $x^2$ </text>'"))
    return sample_copy


def test_hostile_labels_stay_text(sample_copy: Path) -> None:
    part = take_slice(load(hostile_kb(sample_copy)), "river-dispute")
    for f in drawn(part):
        root = ET.fromstring(f.svg)  # noqa: S314
        tags = {e.tag.rpartition("}")[2] for e in root.iter()}
        assert not tags & {"script", "img", "foreignObject", "a", "image"}
        assert not [k for e in root.iter() for k in e.attrib if k.lower().startswith("on")]
        if f.name == "relationships":
            assert set(HOSTILE) <= set(texts(f.svg))
        if f.name == "timeline":
            assert "Costs $5 \\N or $x^2$ </text>" in texts(f.svg)
    assert HOSTILE[1] in by_name(part)["measures"].description  # one bar: a sentence


def test_hostile_labels_in_the_web_page(sample_copy: Path, tmp_path: Path) -> None:
    build(seeds=hostile_kb(sample_copy), templates=None, out=tmp_path / "out",
          date="2024-04-01", jobs=1)
    page = tmp_path / "out" / "river-dispute" / "2024-04-01" / "index.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    assert soup.find("script") is None
    assert soup.find("img") is None
    tags = soup.find_all(name=True)
    assert not [a for t in tags for a in t.attrs if a.startswith("on")]
    svg = soup.select_one("#figure-relationships svg")
    assert HOSTILE[0] in [t.get_text() for t in svg.find_all("text")]


@pytest.fixture(scope="module")
def built(sample_out: Path) -> Path:
    """The sample's edition of 2024-04-01, as the session built it (read only)."""
    return sample_out / "river-dispute" / "2024-04-01"


def test_web_page_carries_the_svgs(built: Path) -> None:
    soup = BeautifulSoup((built / "index.html").read_text(encoding="utf-8"), "html.parser")
    where = {"relationships": "dealings", "timeline": "timeline"}
    for name, section in where.items():
        figure = soup.select_one(f"section#{section} > figure#figure-{name}")
        assert figure is not None, name
        svg = figure.select_one(".figure-art > svg")
        assert svg["role"] == "img"
        assert soup.find(id=svg["aria-labelledby"]).name == "figcaption"
        assert soup.find(id=svg["aria-describedby"]).get_text(strip=True)
    ids = [t["id"] for t in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "figures share a page: their ids must not clash"
    sentence = soup.select_one("section#measures > p#figure-measures.figure-instead")
    assert "15%" in sentence.get_text()  # one bar: said, not drawn
    assert soup.select_one("figure#figure-measures") is None
    timeline = [t.get_text() for t in soup.select("#figure-timeline svg text")]
    assert "Basin treaty signed" in timeline


def test_map_key_is_text_beside_the_drawing(built: Path, sample_part) -> None:
    rel = by_name(sample_part)["relationships"]
    assert rel.key
    assert not set(rel.key) & set(texts(rel.svg))  # not drawn: text at full size instead
    soup = BeautifulSoup((built / "index.html").read_text(encoding="utf-8"), "html.parser")
    shown = [li.get_text() for li in soup.select("#figure-relationships .figure-key li")]
    assert shown == list(rel.key)
    with pymupdf.open(built / "river-dispute-2024-04-01.pdf") as pdf:
        text = " ".join(" ".join(page.get_text().split()) for page in pdf)
    for line in rel.key:
        assert line in text


def test_pdf_figures_carry_their_description_as_alternative_text(
    built: Path, sample_part
) -> None:
    with pymupdf.open(built / "river-dispute-2024-04-01.pdf") as pdf:
        alts = [
            pdf.xref_get_key(x, "Alt")[1] for x in range(1, pdf.xref_length())
            if pdf.xref_get_key(x, "S") == ("name", "/Figure")
        ]
    assert sorted(alts) == sorted(f.description for f in drawn(sample_part))


def test_print_html_embeds_the_same_svg(sample_part) -> None:
    import base64

    from briefings.publish.render import get_env, note_context, render_note

    figures = draw_figures(sample_part)
    context = note_context(sample_part, as_of="2024-04-01", edition=1, changes=None,
                           medium="print", figures=figures, since=None)
    soup = BeautifulSoup(render_note(get_env(None), context), "html.parser")
    for f in drawn(sample_part):
        image = soup.select_one(f"figure#figure-{f.name} .figure-art > img")
        kind, _, data = image["src"].partition(",")
        assert kind == "data:image/svg+xml;base64"
        assert base64.b64decode(data).decode() == f.svg  # one drawing: web, PDF, email
        assert image["alt"] == f.description
    assert soup.find("svg") is None


def test_pdf_has_the_figures_as_real_text(built: Path) -> None:
    with pymupdf.open(built / "river-dispute-2024-04-01.pdf") as pdf:
        text = " ".join(" ".join(page.get_text().split()) for page in pdf)
    assert "tariff 15% (threatened)" in text  # drawn only in the relationship map
    assert "0%, up to 15%" in text  # said only in the measures sentence
    assert "Highland begins filling the reservoir" in text  # the timeline list, in full
    assert short_label("Highland begins filling the reservoir") in text  # the chart


def test_content_id_per_figure_and_edition(sample_part) -> None:
    image = by_name(sample_part)["relationships"].image()
    cid = content_id(image.name, "river-dispute/2024-04-01")
    assert cid == "figure-relationships.river-dispute-2024-04-01@briefings.invalid"
    assert image.filename == "figure-relationships.png"
    width, height = image.size
    assert width > 0
    assert height > 0


def test_edition_keeps_each_figure_as_png_with_its_words(built: Path, sample_part) -> None:
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    figures = drawn(sample_part)
    assert [r["name"] for r in manifest["figures"]] == [f.name for f in figures]
    for record, figure in zip(manifest["figures"], figures, strict=True):
        png = (built / record["file"]).read_bytes()
        assert png == figure.png  # the build's drawing: deterministic, the same bytes
        assert manifest["files"][record["file"]] == len(png)
        assert FigureImage.read(record, built) == figure.image()


def test_sending_draws_nothing(built: Path) -> None:
    """The email takes the PNGs the build drew: no drawing library at send time."""
    script = (
        "import sys; from pathlib import Path; from briefings.editions import read_edition;"
        "from briefings.deliver.mail import compose;"
        "letter = compose(read_edition(Path(sys.argv[1])));"
        "assert len(letter.figures) == 2, letter.figures;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'matplotlib', 'graphviz', 'weasyprint'}))"
    )
    done = subprocess.run([sys.executable, "-c", script, str(built)], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_long_timeline_labels_are_cut_at_a_word() -> None:
    assert short_label("Basin treaty signed") == "Basin treaty signed"
    cut = short_label("Zelenskyy says two Chinese citizens captured fighting for Russia")
    assert cut == "Zelenskyy says two Chinese citizens…"
    assert len(cut) <= 36
