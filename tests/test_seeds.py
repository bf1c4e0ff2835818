"""The seed knowledge base: valid, complete enough, and built into real notes."""

from __future__ import annotations

import pymupdf
from bs4 import BeautifulSoup
from conftest import SEEDS

from briefings.publish.load import load
from briefings.publish.scope import take_slice

DATE = "2025-04-09"


def test_all_seed_yaml_validates_with_three_briefings_and_two_judgments_each():
    kb = load(SEEDS)
    assert len(kb["briefings"]) >= 3
    assert len(kb["sources"]) >= 2
    for briefing in kb["briefings"].values():
        part = take_slice(kb, briefing.id)
        assert len(part.judgments) >= 2, briefing.id
        for judgment in part.judgments:
            assert judgment.basis and judgment.indicators, judgment.id


def test_named_actors_carry_their_own_script():
    actors = load(SEEDS)["actors"]
    wanted = {"kim-jong-un", "vladimir-putin", "xi-jinping", "volodymyr-zelenskyy",
              "sergei-shoigu", "alexander-khinshtein", "russia", "north-korea", "china",
              "ukraine", "iran"}
    for actor_id in wanted:
        assert actors[actor_id].native_name, actor_id
    assert {"donald-trump", "united-states", "united-kingdom", "united-nations"} <= set(actors)


def test_tariff_layers_carry_their_rates():
    measures = load(SEEDS)["measures"].values()
    rates = sorted(m.rate_percent for m in measures if m.kind == "tariff" and m.rate_percent)
    assert {20.0, 34.0, 50.0} <= set(rates)
    assert any(m.status == "proposed" and "china" in m.imposed_by for m in measures)


def test_seed_notes_build_with_every_section_and_real_glyphs(seeds_out):
    kb = load(SEEDS)
    for briefing in kb["briefings"].values():
        folder = seeds_out / briefing.id / DATE
        soup = BeautifulSoup((folder / "index.html").read_text(), "html.parser")
        assert soup.select_one("h1").get_text() == briefing.title
        assert len(soup.select("#key-judgments .judgment")) >= 2
        with pymupdf.open(folder / f"{briefing.id}-{DATE}.pdf") as document:
            text = " ".join(page.get_text() for page in document)
            notdef = [
                chr(char[0]) for page in document for span in page.get_texttrace()
                for char in span["chars"] if char[1] == 0 and not chr(char[0]).isspace()
            ]
        assert f"TLP:{briefing.tlp.upper()}" in text
        assert not notdef, (briefing.id, sorted(set(notdef)))
        for actor_id in briefing.actors:
            native = kb["actors"][actor_id].native_name
            if native and not any("\u0600" <= c <= "\u06ff" for c in native):
                assert native in text, (briefing.id, native)
