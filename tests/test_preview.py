"""``briefings preview``: pages built from the working files, rebuilt on a real file change."""

from __future__ import annotations

import re
import threading
import warnings

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import SAMPLE_DATE
from test_cli import run

from briefings.publish import drawing, preview
from briefings.publish.lint import lint
from briefings.publish.load import load
from briefings.publish.scope import take_slice

with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what the tests carry
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def desk(sample_copy, tmp_path, monkeypatch):
    """A preview of a writable copy of the sample, from inside its folder."""
    monkeypatch.chdir(tmp_path)
    app = preview.create_app(seeds=sample_copy, templates=tmp_path / "templates",
                             as_of=SAMPLE_DATE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = TestClient(app)
    return client, sample_copy / "knowledge.yaml", load(sample_copy)


def _soup(response):
    return BeautifulSoup(response.text, "html.parser")


def _stamp(response) -> str:
    return re.search(r"/_preview/events\?stamp=([0-9a-f]+)", response.text).group(1)


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_page_is_the_note_with_links_and_lint_beside_it(desk):
    client, _, kb = desk
    briefing = next(iter(kb["briefings"].values()))
    index = _soup(client.get("/"))
    assert index.select_one(f'a[href="/{briefing.id}/"]').get_text() == briefing.title

    page = client.get(f"/{briefing.id}/")
    assert page.status_code == 200
    soup = _soup(page)
    assert soup.select_one("h1").get_text() == briefing.title
    links = {a.get_text(): a["href"] for a in soup.select("aside.preview-panel a")}
    assert links["PDF"] == f"/{briefing.id}/{briefing.id}-{SAMPLE_DATE}.pdf"
    assert {"Email (HTML)", "Email (plain text)"} <= set(links)
    assert len(soup.select("aside.preview-panel")) == 1
    findings = soup.select("aside.preview-panel .finding")
    in_scope = {briefing.id, *(j.id for j in take_slice(kb, briefing.id).judgments)}
    expected = [f for f in lint(kb, as_of=SAMPLE_DATE) if f.item in in_scope]
    assert expected, "the sample has a lint finding to show"
    assert [f["data-code"] for f in findings] == [f.code for f in expected]
    assert "fix:" in findings[0].get_text()
    assert soup.find("script", string=re.compile("EventSource"))

    own = soup.select_one('.edition-links a[type="application/pdf"]')  # the note's own link
    assert f"/{briefing.id}/{own['href']}" == links["PDF"]
    pdf = client.get(links["PDF"])
    assert pdf.headers["content-type"] == "application/pdf"
    with pymupdf.open(stream=pdf.content, filetype="pdf") as document:
        text = " ".join(" ".join(page.get_text() for page in document).split())
    assert briefing.title in text
    assert f"TLP:{briefing.tlp.upper()}" in text


def test_the_email_previews_with_its_figures_served_beside_it(desk):
    client, _, kb = desk
    briefing = next(iter(kb["briefings"].values()))
    html = client.get(f"/{briefing.id}/email.html")
    assert html.status_code == 200
    assert "cid:" not in html.text
    images = [img["src"] for img in _soup(html).select("img")]
    assert images
    for src in images:
        png = client.get(f"/{briefing.id}/{src}")
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
    text = client.get(f"/{briefing.id}/email.txt")
    assert text.headers["content-type"].startswith("text/plain")
    assert briefing.title in text.text


def test_a_saved_change_rebuilds_the_page_and_tells_the_open_page(desk, monkeypatch):
    client, knowledge, kb = desk
    briefing = next(iter(kb["briefings"].values()))
    drawn = []
    draw = drawing.timeline.timeline_chart  # one of the figures, counted when drawn
    monkeypatch.setattr(drawing, "_DRAWN", {})  # nothing drawn before this test counts
    monkeypatch.setattr(drawing.timeline, "timeline_chart",
                        lambda part: drawn.append(1) or draw(part))
    first = client.get(f"/{briefing.id}/")
    old = _stamp(first)
    assert len(drawn) == 1

    monkeypatch.setattr(preview, "STREAM_SECONDS", 60.0)
    heard: list[str] = []

    def listen() -> None:
        heard.append(client.get("/_preview/events", params={"stamp": old}).text)

    listener = threading.Thread(target=listen)
    listener.start()
    judgment = next(iter(kb["judgments"].values()))
    _edit(knowledge, judgment.statement, "The council meets again before the floods.")
    listener.join(timeout=60)
    assert heard and "event: reload" in heard[0]

    second = client.get(f"/{briefing.id}/")
    assert _stamp(second) != old
    statements = [s.get_text() for s in _soup(second).select("#key-judgments .judgment")]
    assert any("The council meets again before the floods." in s for s in statements)
    assert len(drawn) == 1, "a judgment is not drawn: the figures are kept"

    event = next(iter(kb["events"].values()))
    _edit(knowledge, event.title, "A new event title for the timeline")
    assert "A new event title for the timeline" in client.get(f"/{briefing.id}/").text
    assert len(drawn) == 2
    stale = client.get("/_preview/events", params={"stamp": old})
    assert stale.headers["content-type"].startswith("text/event-stream")
    assert "event: reload" in stale.text


def test_errors_show_in_the_page_and_the_note_comes_back_when_fixed(desk):
    client, knowledge, kb = desk
    briefing = next(iter(kb["briefings"].values()))
    actor = next(a for a in kb["actors"].values() if a.kind == "state")
    good = knowledge.read_text(encoding="utf-8")
    lines = good.splitlines(keepends=True)
    start = lines.index(f"  - id: {actor.id}\n")
    line = next(n for n in range(start, len(lines)) if lines[n].strip() == "kind: state")
    lines[line] = lines[line].replace("state", "leader")
    knowledge.write_text("".join(lines), encoding="utf-8")
    for url in (f"/{briefing.id}/", "/"):
        page = client.get(url)
        assert page.status_code == 500
        problems = _soup(page).select(".problem")
        planted = [p for p in problems if "'leader'" in p.select_one(".message").get_text()]
        assert len(planted) == 1
        where = planted[0].select_one(".where")
        assert where["data-file"].endswith("knowledge.yaml")
        assert (int(where["data-line"]), int(where["data-column"])) == (line + 1, 5)
        assert f"actors[{actor.id}].kind" in planted[0].get_text()
    knowledge.write_text(good, encoding="utf-8")
    back = client.get(f"/{briefing.id}/")
    assert back.status_code == 200
    assert _soup(back).select_one("h1").get_text() == briefing.title


def test_a_template_mistake_shows_in_the_page(desk, tmp_path):
    client, _, kb = desk
    briefing = next(iter(kb["briefings"].values()))
    broken = tmp_path / "templates" / "sections" / "bluf.html"
    broken.parent.mkdir(parents=True)
    broken.write_text("<p>{% if %}</p>\n", encoding="utf-8")
    page = client.get(f"/{briefing.id}/")
    assert page.status_code == 500
    assert "bluf.html:1" in _soup(page).select_one(".problem").get_text()
    broken.unlink()
    assert client.get(f"/{briefing.id}/").status_code == 200


def test_unknown_pages_are_404_and_nothing_is_written(desk, tmp_path):
    client, _, kb = desk
    briefing = next(iter(kb["briefings"].values()))
    before = sorted(tmp_path.rglob("*"))
    assert client.get("/no-such-briefing/").status_code == 404
    assert client.get(f"/{briefing.id}/secrets.txt").status_code == 404
    assert client.get(f"/{briefing.id}/figure-nothing.png").status_code == 404
    assert client.get(f"/{briefing.id}", follow_redirects=False).headers["location"] == \
        f"/{briefing.id}/"
    client.get(f"/{briefing.id}/")
    assert sorted(tmp_path.rglob("*")) == before  # no state, output or outbox


def test_preview_listens_on_loopback_only(monkeypatch, sample_copy):
    heard = {}
    import uvicorn

    def listen(server) -> None:
        heard.update(host=server.config.host, port=server.config.port)

    monkeypatch.setattr(uvicorn.Server, "run", listen)
    preview.preview(seeds=sample_copy, templates=None, as_of=SAMPLE_DATE, port=8123)
    assert heard == {"host": "127.0.0.1", "port": 8123}
    refused = run("preview", "--host", "192.0.2.1")
    assert refused.returncode == 2
    assert "--host" in refused.stderr


def test_built_editions_carry_no_preview_script(sample_out):
    for page in sample_out.rglob("index.html"):
        assert "EventSource" not in page.read_text(encoding="utf-8")
        assert "preview-panel" not in page.read_text(encoding="utf-8")


def test_editor_scratch_files_do_not_reload_but_a_new_yaml_file_does(desk, sample_copy):
    client, _, _ = desk
    stamp = client.app.state.desk.stamp
    before = stamp()
    (sample_copy / ".knowledge.yaml.swp").write_bytes(b"\0swap")
    (sample_copy / "knowledge.yaml~").write_text("backup\n", encoding="utf-8")
    (sample_copy / "notes.txt").write_text("not a knowledge-base file\n", encoding="utf-8")
    assert stamp() == before
    (sample_copy / "more.yaml").write_text("actors: []\n", encoding="utf-8")
    assert stamp() != before
