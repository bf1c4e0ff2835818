"""Untrusted text stays text; the PDF renderer fetches nothing; failures change nothing."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
import threading
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import SAMPLE_DATE, rewrite

from briefings import editions
from briefings.cli.main import cli
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
    rewrite(folder, ("    summary: Downstream state; depends on the river for **most** of its "
                     "water.\n", f"    summary: {text}\n"))


def test_images_in_the_yaml_are_not_fetched(tmp_path, sample_copy, listener):
    url = f"http://127.0.0.1:{listener.port}/spy.png"
    _add_actor(sample_copy, f"'![spy]({url}) ![pw](file:///etc/passwd) <img src=\"{url}\">'")
    rewrite(sample_copy, (
        "    bluf: Highland's reservoir is filling; Qamaria threatens a **15% levy**.\n",
        f"    bluf: '![the dam]({url}) and <{url}> and [![x]({url})]({url})'\n"))
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    folder = out / "river-dispute" / SAMPLE_DATE
    with pymupdf.open(folder / f"river-dispute-{SAMPLE_DATE}.pdf") as document:
        text = "".join(page.get_text() for page in document)
        images = sum(len(page.get_images()) for page in document)
        links = [link.get("uri") for page in document for link in page.get_links()]
    assert listener.connections == 0
    assert "root:" not in text
    assert images == 0
    assert url in links, "the image is a link the reader may follow"
    web = BeautifulSoup((folder / "index.html").read_text(encoding="utf-8"), "html.parser")
    mail = BeautifulSoup((folder / editions.EMAIL_HTML).read_text(encoding="utf-8"),
                         "html.parser")
    for soup in (web, mail):
        for tag in soup.find_all(["img", "image", "source", "video", "audio", "iframe",
                                  "object", "embed", "link"]):
            for name in ("src", "srcset", "href", "data", "poster"):
                assert not str(tag.get(name, "")).startswith(("http", "//", "file")), tag
        assert soup.find("a", href=url, string="the dam") is not None
        assert not any(a.find("a") for a in soup.find_all("a")), "no link inside a link"
    assert listener.connections == 0


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
    with pytest.raises(UserError, match="disk full"):
        build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in out.rglob(".*") if p.is_dir()], "temporary folders were left behind"


def _files(out: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_full_disk_mid_edition_is_a_clean_error_and_changes_nothing(
    tmp_path, sample_copy, monkeypatch,
):
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    before = _files(out)
    _add_actor(sample_copy, "Changed summary")
    real_write = os.write
    written: list[int] = []

    def fill_the_disk(handle: int, data: bytes) -> int:
        if not stat.S_ISREG(os.fstat(handle).st_mode):  # pipes to the PDF workers
            return real_write(handle, data)
        if len(written) > 1:  # the third file finds the disk full, after half its bytes
            real_write(handle, bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(handle)
        return real_write(handle, data)

    monkeypatch.setattr(os, "write", fill_the_disk)
    result = CliRunner().invoke(cli, ["build", "--seeds", str(sample_copy), "--out", str(out),
                                      "--date", SAMPLE_DATE, "--jobs", "1"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError), "no traceback"
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: cannot write {out / 'river-dispute' / SAMPLE_DATE}: "
                           "No space left on device"), last
    assert _files(out) == before
    assert not [p for p in out.rglob(".*") if p.is_dir()], "temporary folders were left behind"


def test_a_full_disk_while_copying_the_public_site_keeps_the_old_site(
    tmp_path, sample_copy, monkeypatch,
):
    rewrite(sample_copy, ("tlp: green", "tlp: clear"))
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    site = {p: b for p, b in _files(out).items() if p.is_relative_to(out / editions.PUBLIC)}
    assert any(p.suffix == ".pdf" for p in site), "a TLP:CLEAR edition is on the public site"
    _add_actor(sample_copy, "Changed summary")

    def no_links(*_args: object) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.setattr(shutil, "copyfile", full)
    result = CliRunner().invoke(cli, ["build", "--seeds", str(sample_copy), "--out", str(out),
                                      "--date", SAMPLE_DATE, "--jobs", "1"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError), "no traceback"
    assert f"Error: cannot write {out / editions.PUBLIC}: No space left on device" \
        in result.output
    after = {p: b for p, b in _files(out).items() if p.is_relative_to(out / editions.PUBLIC)}
    assert after == site
    assert not [p for p in out.rglob(".*") if p.is_dir()], "temporary folders were left behind"


def test_a_read_only_output_folder_is_a_clean_error_and_writes_nothing(
    tmp_path, sample_copy, monkeypatch,
):
    out = tmp_path / "out"
    out.mkdir()
    real_mkdir = os.mkdir

    def read_only(path: object, *args: object, **kwargs: object) -> None:
        if Path(str(path)).is_relative_to(out):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", read_only)
    result = CliRunner().invoke(cli, ["build", "--seeds", str(sample_copy), "--out", str(out),
                                      "--date", SAMPLE_DATE, "--jobs", "1"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError), "no traceback"
    assert "Error: cannot write" in result.output
    assert "Read-only file system" in result.output
    assert list(out.rglob("*")) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_folder_without_write_permission_is_a_clean_error(tmp_path, sample_copy):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = CliRunner().invoke(cli, ["build", "--seeds", str(sample_copy),
                                          "--out", str(out), "--date", SAMPLE_DATE])
    finally:
        out.chmod(0o755)
    assert result.exit_code == 1
    assert "Error: cannot write" in result.output
    assert "Permission denied" in result.output
    assert list(out.rglob("*")) == []


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


def test_deeply_nested_json_in_the_output_folder_is_read_as_nothing(tmp_path):
    """A manifest or build record tampered with into very deep JSON: no edition, no crash."""
    deep = "[" * 100_000 + "]" * 100_000
    folder = tmp_path / "out" / "river-dispute" / SAMPLE_DATE
    folder.mkdir(parents=True)
    (folder / editions.MANIFEST).write_text(deep, encoding="utf-8")
    (tmp_path / "out" / editions.RECORD).write_text(deep, encoding="utf-8")
    assert editions.read_edition(folder) is None
    assert editions.editions(tmp_path / "out") == []
    assert editions.read_record(tmp_path / "out") == {}
