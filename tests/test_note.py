"""The web edition, checked by parsing it: sections, marking, citations, dates."""

from __future__ import annotations

import shutil
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import SAMPLE, SAMPLE_DATE

from briefings.model import SECTIONS
from briefings.publish.build import build
from briefings.publish.render import NoteContext


def page(out: Path, briefing: str = "river-dispute", date: str = SAMPLE_DATE) -> BeautifulSoup:
    return BeautifulSoup((out / briefing / date / "index.html").read_text(), "html.parser")


def test_front_page_then_body_then_annexes_each_with_its_id(sample_out):
    soup = page(sample_out)
    ids = [s["id"] for s in soup.select("main > section")]
    front, body = ["bluf", "key-judgments"], ["changes", "motives", "dealings", "measures",
                                              "timeline"]
    annexes = ["judgments-basis", "actors", "sources", "annex"]  # 3 events: all in the body
    assert ids == [*front, *body, *annexes]
    assert set(SECTIONS) <= {*ids}
    headings = [soup.select_one(f"#{a} > h2").get_text() for a in annexes]
    assert headings == ["Annex A: Basis of the key judgments", "Annex B: Actor profiles",
                        "Annex C: Sources", "Annex D: How to read this note"]


def test_header_has_title_subtitle_date_edition_author_and_tlp(sample_out):
    header = page(sample_out).select_one("header.masthead")
    assert header.h1.get_text() == "The Lower Basin water dispute"
    subtitle = header.select_one(".subtitle").get_text()
    assert subtitle == "Dam filling, a threatened levy and the talks"
    assert header.select_one("time")["datetime"] == SAMPLE_DATE
    assert header.select_one("time").get_text() == "1 April 2024"
    facts = dict(zip([dt.get_text() for dt in header.select("dt")],
                     [dd.get_text(" ", strip=True) for dd in header.select("dd")], strict=True))
    assert facts["Edition date"] == "1 April 2024"
    assert facts["Information cut-off"] == "14 March 2024"  # the newest source and event
    assert header.select_one(".edition-number").get_text() == "1"
    assert "Test desk" in header.get_text()
    marking = header.select_one(".tlp")
    assert marking.get_text() == "TLP:GREEN"
    assert "#33FF00" in marking["style"]


def test_key_judgments_show_phia_term_band_confidence_basis_and_indicators(sample_out):
    soup = page(sample_out)
    judgments = soup.select("#key-judgments .judgment")
    assert [j["id"] for j in judgments] == ["judgment-levy-imposed", "judgment-talks-resume"]
    first = judgments[0]
    assert first.select_one(".statement").get_text().startswith(
        "Qamaria will impose the levy within six months.")
    assert first.select_one(".likelihood").get_text() == "Realistic possibility"
    assert first.select_one(".band").get_text() == "(40–50%)"
    assert first.select_one(".confidence").get_text() == "Low confidence"
    assert first.select_one("a.to-basis")["href"] == "#basis-levy-imposed"
    basis = soup.select_one("#judgments-basis #basis-levy-imposed")
    assert "no date was given" in basis.select_one(".basis").get_text()
    assert [li.get_text() for li in basis.select(".indicators li")] == [
        "A date set for the levy", "Talks resuming at the Basin Council"]
    assert soup.select_one("#basis-talks-resume") is None  # nothing to add: no entry


def test_every_citation_links_to_a_numbered_source_with_its_grade(sample_out):
    soup = page(sample_out)
    sources = {li["id"]: li for li in soup.select("#sources ol.sources > li")}
    assert set(sources) == {"source-river-gazette", "source-ministry-note"}
    cites = soup.select("main a.cite")
    assert len(cites) >= 8
    for cite in cites:
        target = cite["href"].removeprefix("#")
        assert target in sources, target
        number = sources[target]["value"]
        assert cite.get_text().startswith(f"[{number}")
    judgment_cite = soup.select_one("#judgment-levy-imposed a.cite")
    assert judgment_cite.get_text() == "[1\u202fF]"  # reliability defaults to F, no credibility
    power = soup.select_one("#dealing-power-sale a.cite")
    assert power.get_text().endswith("C3]")
    assert "para 2" in power["title"]
    assert "Reliability C: fairly reliable" in sources["source-river-gazette"].get_text()


def test_timeline_is_in_date_order_at_each_dates_precision(sample_out):
    events = page(sample_out).select("#timeline .event")
    assert [e.time["datetime"] for e in events] == ["2019", "2024-03", "2024-03-14"]
    assert [e.time.get_text() for e in events] == ["2019", "March 2024", "14 March 2024"]


def test_actors_with_native_names_motives_dealings_and_measures(sample_out):
    soup = page(sample_out)
    qamaria = soup.select_one("#actors #actor-qamaria")
    native = qamaria.select_one(".native-name")
    assert native.get_text() == "قمرية"
    assert (native["lang"], native["dir"]) == ("und", "rtl")  # no lang in the data; Arabic
    highland = soup.select_one("#actor-highland .native-name")
    assert "dir" not in highland.attrs
    assert qamaria.select_one(".summary strong").get_text() == "most"
    assert [m.select_one(".goal").get_text() for m in soup.select("#motives .motive")] == [
        "Keep the river's flow at its historic level",
        "Sell hydroelectric power to its neighbours"]
    assert [m["id"] for m in soup.select("#actors .motive")] == [
        "motive-qamaria-water", "motive-highland-power"]
    power = soup.select_one("#dealing-power-sale")
    head = power.select_one(".dealing-head").get_text(" ", strip=True)
    assert head.startswith("Highland Republic → Basin Council : trade (electricity) · proposed")
    assert power.select_one(".value").get_text() == "US$1.2m (per year)"
    levy = [td.get_text(" ", strip=True) for td in soup.select("#measure-qamaria-levy td")]
    assert levy[1:4] == ["Qamaria → Highland Republic", "tariff , threatened", "15%"]
    assert levy[4] == "announced 14 March 2024"


def test_first_edition_says_so_and_annex_explains_the_yardstick(sample_out):
    soup = page(sample_out)
    assert "first edition" in soup.select_one("#changes").get_text()
    annex = soup.select_one("#annex").get_text()  # Annex: how to read this note
    for phrase in ("Remote chance", "95–100%", "Usually reliable", "Improbable", "TLP"):
        assert phrase in annex


def test_archive_lists_every_edition_with_working_links(sample_out):
    soup = BeautifulSoup((sample_out / "index.html").read_text(), "html.parser")
    rows = soup.select("tr.edition")
    assert len(rows) == 1
    links = [a["href"] for a in rows[0].select("a")]
    assert links == [f"river-dispute/{SAMPLE_DATE}/index.html",
                     f"river-dispute/{SAMPLE_DATE}/river-dispute-{SAMPLE_DATE}.pdf"]
    for link in links:
        assert (sample_out / link).is_file()


def test_a_briefing_specific_template_overrides_one_template_at_a_time(tmp_path):
    templates = tmp_path / "templates"
    (templates / "sections").mkdir(parents=True)
    (templates / "briefing-river-dispute.html").write_text(
        '{% extends "briefing.html" %}', encoding="utf-8")
    shutil.copy(SAMPLE.parent.parent / "templates" / "sections" / "bluf.html",
                templates / "sections" / "bluf.html")
    (templates / "sections" / "bluf.html").write_text(
        '<p class="custom-bluf">{{ briefing.bluf | md }}</p>', encoding="utf-8")
    out = tmp_path / "out"
    build(seeds=SAMPLE, templates=templates, out=out, date=SAMPLE_DATE, jobs=1)
    soup = page(out)
    assert soup.select_one("#bluf .custom-bluf strong").get_text() == "15% levy"
    assert soup.select_one("#key-judgments .judgment") is not None  # the rest is the default


def test_every_template_context_field_is_documented():
    from dataclasses import fields

    for field in fields(NoteContext):
        assert field.metadata.get("help"), field.name
