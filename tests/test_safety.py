"""Untrusted text stays text; the PDF renderer fetches nothing; failures change nothing."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import SAMPLE_DATE

from briefings import editions
from briefings.errors import UserError
from briefings.publish.build import build
from briefings.publish.pdf import AssetFetcher, write_pdf
from briefings.publish.render import template_dirs

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "[click](javascript:alert(1))",
    "{{ 7 * 7 }}{% raw %}",
]


class Listener:
    """A TCP listener on loopback that counts the connections it is offered."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def _add_actor(folder: Path, text: str) -> None:
    path = folder / "knowledge.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    summary: Downstream state; depends on the river for **most** of its water.\n",
        f"    summary: {text}\n", 1), encoding="utf-8")


def test_images_in_the_yaml_are_not_fetched(tmp_path, sample_copy, listener):
    url = f"http://127.0.0.1:{listener.port}/spy.png"
    _add_actor(sample_copy, f"'![spy]({url}) ![pw](file:///etc/passwd) <img src=\"{url}\">'")
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    pdf = out / "river-dispute" / SAMPLE_DATE / f"river-dispute-{SAMPLE_DATE}.pdf"
    with pymupdf.open(pdf) as document:
        text = "".join(page.get_text() for page in document)
        images = sum(len(page.get_images()) for page in document)
    assert listener.connections == 0
    assert "root:" not in text
    assert images == 0


def test_the_fetcher_refuses_network_and_files_outside_the_templates(listener, tmp_path):
    fetcher = AssetFetcher(template_dirs(None))
    refused = [
        f"http://127.0.0.1:{listener.port}/x.png",
        f"https://127.0.0.1:{listener.port}/x.png",
        "file:///etc/passwd",
        "file://otherhost/etc/passwd",
        template_dirs(None)[0].resolve().as_uri() + "/../pyproject.toml",
        f"ftp://127.0.0.1:{listener.port}/x",
    ]
    for url in refused:
        with pytest.raises(ValueError, match=r"refused|disallowed"):
            fetcher.fetch(url)
    assert listener.connections == 0
    inside = fetcher.fetch((template_dirs(None)[0] / "note.css").resolve().as_uri())
    assert b"font-family" in inside.read()
    inside.close()
    data = fetcher.fetch("data:text/plain;base64,aGk=")
    assert data.read() == b"hi"


def test_html_given_straight_to_the_renderer_cannot_reach_out(listener):
    html = (f'<img src="http://127.0.0.1:{listener.port}/a.png">'
            '<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/passwd">'
            f'<style>@import url("http://127.0.0.1:{listener.port}/x.css");</style><p>ok</p>')
    pdf, pages = write_pdf(html, asset_dirs=template_dirs(None))
    assert pages == 1
    assert listener.connections == 0
    with pymupdf.open(stream=pdf) as document:
        assert document.embfile_count() == 0
        assert "root:" not in document[0].get_text()


def test_hostile_text_comes_out_as_inert_text(tmp_path, sample_copy):
    quoted = [h.replace("'", "''") for h in HOSTILE]
    events = "".join(
        f"  - id: hostile-{i}\n    date: 2024-03-2{i}\n    title: '{h}'\n"
        f"    summary: '{h}'\n    actors: [qamaria]\n"
        "    sources: [river-gazette]\n"
        for i, h in enumerate(quoted)
    )
    (sample_copy / "hostile.yaml").write_text(f"events:\n{events}", encoding="utf-8")
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    folder = out / "river-dispute" / SAMPLE_DATE
    soup = BeautifulSoup((folder / "index.html").read_text(), "html.parser")
    assert soup.find("script") is None
    assert soup.find("img") is None
    for tag in soup.find_all(name=True):
        assert not any(a.startswith("on") for a in tag.attrs), tag
        assert not str(tag.get("href", "")).startswith("javascript:"), tag
    timeline = soup.select_one("#timeline").get_text()
    for hostile in ("<script>alert('x')</script>", '"><img src=x onerror=alert(1)>',
                    "{{ 7 * 7 }}{% raw %}"):
        assert hostile in timeline
    with pymupdf.open(folder / f"river-dispute-{SAMPLE_DATE}.pdf") as document:
        pdf_text = " ".join(page.get_text() for page in document).replace("\n", " ")
    assert "<script>alert('x')</script>" in pdf_text
    assert "{{ 7 * 7 }}" in pdf_text
    assert "49" not in pdf_text


def test_a_failed_build_leaves_the_previous_edition_untouched(tmp_path, sample_copy, monkeypatch):
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _add_actor(sample_copy, "Changed summary")

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(editions, "_swap_in", crash)
    with pytest.raises(OSError, match="disk full"):
        build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in out.rglob(".*") if p.is_dir()], "temporary folders were left behind"


def test_a_template_error_writes_nothing(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "briefing.html").write_text("{{ no_such_thing.title }}", encoding="utf-8")
    out = tmp_path / "out"
    from conftest import SAMPLE

    with pytest.raises(UserError, match="no_such_thing"):
        build(seeds=SAMPLE, templates=templates, out=out, date=SAMPLE_DATE, jobs=1)
    assert not out.exists()


def test_an_email_template_over_100_kb_fails_the_build_and_writes_nothing(tmp_path):
    from conftest import SAMPLE

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "email.html").write_text(
        "<html><body>{% for i in range(30000) %}<p>padding</p>{% endfor %}</body></html>",
        encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(UserError, match=r"email\.html: .* must stay under 100 KB"):
        build(seeds=SAMPLE, templates=templates, out=out, date=SAMPLE_DATE, jobs=1)
    assert not out.exists()
