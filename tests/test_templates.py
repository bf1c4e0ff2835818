"""Desk templates: one block replaced, chosen specific -> generic, the context documented."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SAMPLE, SAMPLE_DATE

from briefings.errors import UserError
from briefings.publish.build import build
from briefings.publish.load import load
from briefings.publish.render import (
    EmailContext,
    NoteContext,
    choices,
    get_env,
    note_context,
    render_note,
)
from briefings.publish.scope import take_slice

BRIEFING = "river-dispute"
DESK_MASTHEAD = """{% extends "default:briefing.html" %}
{% block masthead %}
<header class="masthead desk-masthead"><h1>Desk copy: {{ briefing.title }}</h1>
<p class="desk-edition">No. {{ edition }}</p></header>
{% endblock masthead %}
"""
DESK_TEXT_FOOTER = """{% extends "default:email.txt" %}
{% block footer %}
-- the desk's own footer for {{ briefing.id }}; leave: {{ unsubscribe_url }}
{% endblock footer %}
"""


DESK_EMAIL_LINKS = """{% extends "default:email.html" %}
{% block links %}
  <tr><td class="block desk-links"><p>Desk copy of {{ pdf_name }}</p></td></tr>
{% endblock links %}
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def desk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample built with a desk's masthead block and a desk text footer for one briefing."""
    root = tmp_path_factory.mktemp("desk")
    desk = write(root / "templates", {
        "briefing.html": DESK_MASTHEAD, f"email-{BRIEFING}.txt": DESK_TEXT_FOOTER,
        "email.html": DESK_EMAIL_LINKS,
    })
    out = root / "out"
    build(seeds=SAMPLE, templates=desk, out=out, date=SAMPLE_DATE, jobs=1, figures=False)
    return out / BRIEFING / SAMPLE_DATE


def test_a_desk_replaces_the_masthead_block_and_keeps_the_rest(desk_out, sample_out):
    soup = BeautifulSoup((desk_out / "index.html").read_text(), "html.parser")
    masthead = soup.select_one("header.masthead")
    assert "desk-masthead" in masthead["class"]
    assert masthead.h1.get_text() == "Desk copy: The Lower Basin water dispute"
    assert masthead.select_one(".desk-edition").get_text() == "No. 1"
    assert masthead.select_one(".edition-facts") is None  # the packaged masthead is gone
    packaged = BeautifulSoup(
        (sample_out / BRIEFING / SAMPLE_DATE / "index.html").read_text(), "html.parser")
    assert [s["id"] for s in soup.select("main > section")] == [
        s["id"] for s in packaged.select("main > section")]
    for figure in packaged.select("main figure, main .figure-instead"):  # the desk's has none
        figure.decompose()
    def text(soup: BeautifulSoup, selector: str) -> str:
        return " ".join(soup.select_one(selector).get_text().split())

    assert text(soup, "main") == text(packaged, "main")
    assert text(soup, "footer.colophon") == text(packaged, "footer.colophon")


def test_the_pdf_prints_the_desk_masthead(desk_out):
    with pymupdf.open(desk_out / f"{BRIEFING}-{SAMPLE_DATE}.pdf") as pdf:
        first = pdf[0].get_text()
        everything = "".join(page.get_text() for page in pdf)
    assert "Desk copy: The Lower Basin water dispute" in first
    assert "No. 1" in first
    assert "How to read this note" in everything  # the blocks not replaced still print


def test_the_email_parts_replace_one_block_each(desk_out):
    text = (desk_out / "email.txt").read_text()  # from email-<id>.txt, specific to the briefing
    assert f"-- the desk's own footer for {BRIEFING}; leave: " in text
    assert "share only as the Traffic Light Protocol allows" not in text
    assert "BOTTOM LINE UP FRONT" in text and "KEY JUDGMENTS" in text
    html = BeautifulSoup((desk_out / "email.html").read_text(), "html.parser")
    assert html.select_one("td.desk-links").get_text(strip=True) == (
        f"Desk copy of {BRIEFING}-{SAMPLE_DATE}.pdf")
    assert "The full note, with its sources, is attached" not in html.get_text()
    assert "share only as the Traffic Light Protocol allows" in html.select_one(
        "td.footer").get_text()
    assert html.select_one("td.marking").get_text() == "TLP:GREEN"


@pytest.fixture(scope="module")
def sample_slice():
    return take_slice(load(SAMPLE), BRIEFING)


def context(part, medium: str = "web") -> NoteContext:
    return note_context(part, as_of=SAMPLE_DATE, edition=3, changes=None, medium=medium)


def test_templates_are_chosen_specific_then_generic(tmp_path, sample_slice):
    assert choices("briefing.html", "x") == ["briefing-x.html", "briefing.html"]
    assert choices("email.txt", "x") == ["email-x.txt", "email.txt"]
    desk = write(tmp_path, {
        "briefing.html": "generic {{ briefing.id }}",
        "briefing-other.html": "specific to another",
    })
    assert render_note(get_env(desk), context(sample_slice)) == f"generic {BRIEFING}"
    write(tmp_path, {f"briefing-{BRIEFING}.html": '{% extends "briefing.html" %}'})
    assert render_note(get_env(desk), context(sample_slice)) == f"generic {BRIEFING}"
    write(tmp_path, {f"briefing-{BRIEFING}.html": "specific {{ edition }}"})
    assert render_note(get_env(desk), context(sample_slice)) == "specific 3"


def test_one_section_replaced_through_the_scoped_section_block(tmp_path, sample_slice):
    desk = write(tmp_path, {"briefing.html": """{% extends "default:briefing.html" %}
{% block section %}
{% if s == "measures" %}<section id="measures" class="section"><h2>Levies</h2></section>
{% else %}{{ super() }}{% endif %}
{% endblock section %}
"""})
    soup = BeautifulSoup(render_note(get_env(desk), context(sample_slice)), "html.parser")
    packaged = BeautifulSoup(render_note(get_env(), context(sample_slice)), "html.parser")
    assert soup.select_one("#measures h2").get_text() == "Levies"
    assert packaged.select_one("#measures table") is not None
    assert soup.select_one("#measures table") is None
    assert soup.select_one("#timeline h2").get_text() == packaged.select_one(
        "#timeline h2").get_text()
    assert [s["id"] for s in soup.select("main > section")] == [
        s["id"] for s in packaged.select("main > section")]


def test_default_prefix_always_means_the_packaged_template(tmp_path, sample_slice):
    desk = write(tmp_path, {"_macros.html": "{% macro tlp_label(level, colour) %}"
                                            "[{{ level }}]{% endmacro %}"})
    env = get_env(desk)
    assert env.get_template("default:_macros.html").filename == str(
        ROOT / "templates" / "_macros.html")
    assert env.get_template("_macros.html").filename == str(desk / "_macros.html")
    with pytest.raises(UserError, match=r"nothing\.html"):
        render_note(get_env(write(tmp_path, {"briefing.html": (
            '{% extends "default:nothing.html" %}')})), context(sample_slice))


@pytest.mark.parametrize("kind", [NoteContext, EmailContext])
def test_every_context_field_has_help_and_is_in_the_readme(kind):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### The template context", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE))
    for item in fields(kind):
        assert item.metadata.get("help", "").strip(), item.name
        assert item.name in listed, f"{item.name} is not in the README's template context"
