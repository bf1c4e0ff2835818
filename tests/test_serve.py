"""``briefings serve`` over real HTTP: the read-only archive and unsubscribing."""

from __future__ import annotations

import email
import email.policy
import http.client
import re
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from bs4 import BeautifulSoup
from mail_helpers import DATE, LATER, free_port

from briefings.deliver.ledger import deliver
from briefings.deliver.serve import create_app
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add, listing
from briefings.deliver.transports import OutboxTransport
from briefings.editions import editions

pytest_plugins = ["mail_fixtures"]


@pytest.fixture
def server(state, built):
    """uvicorn serving ``built`` on 127.0.0.1 in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(out=built, state=state), host="127.0.0.1", port=port, log_level="warning",
        lifespan="off",
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(400):  # wait (bounded) for the socket to listen
        if running.started:
            break
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=30)


def _status(address: str) -> str:
    return next(s.status for s in listing(connect()) if s.address == address)


def _mail(built: Path, base: str, date: str, outbox: Path) -> None:
    chosen = [e for e in editions(built, "river-dispute") if e.date == date]
    report = deliver(conn=connect(), editions=chosen, transport=OutboxTransport(outbox),
                     public_url=base)
    assert report.ok


def _unsubscribe_link(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    links = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert links[1].startswith("mailto:")
    return links[0]


def test_one_click_unsubscribe_over_http(server, built, tmp_path):
    conn = connect()
    ann, _ = add(conn, address="ann@example.org", topics=["water"], tlp="green")
    add(conn, address="bob@example.org", topics=["water"], tlp="green")
    _mail(built, server, DATE, tmp_path / "first")
    link = _unsubscribe_link(tmp_path / "first" / f"river-dispute-{DATE}-{ann.id}.eml")
    assert link.startswith(f"{server}/unsubscribe/{ann.id}/")

    shown = httpx.get(link)  # what a mail scanner does: changes nothing
    assert shown.status_code == 200
    form = BeautifulSoup(shown.text, "html.parser").find("form")
    assert form["method"] == "post"
    assert form.find("button") is not None
    assert _status("ann@example.org") == "active"

    done = httpx.post(link, content=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert _status("ann@example.org") == "unsubscribed"
    assert httpx.post(link).status_code == 200, "unsubscribing twice is fine"

    _mail(built, server, LATER, tmp_path / "later")
    assert [p.name for p in (tmp_path / "later").iterdir()] == [
        f"river-dispute-{LATER}-2.eml"
    ], "an unsubscribed reader is never mailed again"


def test_a_forged_or_altered_token_is_refused_and_changes_nothing(server, built, tmp_path):
    conn = connect()
    ann, _ = add(conn, address="ann@example.org", topics=["water"], tlp="green")
    bob, _ = add(conn, address="bob@example.org", topics=["water"], tlp="green")
    _mail(built, server, DATE, tmp_path / "box")
    link = _unsubscribe_link(tmp_path / "box" / f"river-dispute-{DATE}-{ann.id}.eml")
    token = link.rsplit("/", 1)[1]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for url in (
        f"{server}/unsubscribe/{ann.id}/{altered}",
        f"{server}/unsubscribe/{bob.id}/{token}",  # ann's token on bob
        f"{server}/unsubscribe/{ann.id}/forged-token",
        f"{server}/unsubscribe/999/{token}",
        f"{server}/unsubscribe/x/{token}",
    ):
        assert httpx.get(url).status_code == 403, url
        assert httpx.post(url).status_code == 403, url
    assert [s.status for s in listing(connect())] == ["active", "active"]


def test_the_archive_is_served_read_only_and_nothing_outside_it(server, state):
    assert httpx.get(f"{server}/").status_code == 200
    page = httpx.get(f"{server}/river-dispute/{DATE}/index.html")
    assert page.status_code == 200
    assert "The Lower Basin water dispute" in page.text
    pdf = httpx.get(f"{server}/river-dispute/{DATE}/river-dispute-{DATE}.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert httpx.post(f"{server}/index.html").status_code == 405
    assert httpx.put(f"{server}/new.html", content=b"x").status_code == 405
    host, port = server.removeprefix("http://").split(":")
    for path in ("/../" + state.name, "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd"):
        raw = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            raw.request("GET", path)
            answer = raw.getresponse()
            body = answer.read()
        finally:
            raw.close()
        assert answer.status == 404, path
        assert b"root:" not in body
