"""``briefings serve`` over real HTTP: the read-only archive and unsubscribing."""

from __future__ import annotations

import email
import email.policy
import http.client
import re
import shutil
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup
from mail_helpers import DATE, LATER, serving

from briefings.deliver.ledger import deliver
from briefings.deliver.serve import create_app
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add, listing
from briefings.deliver.transports import OutboxTransport
from briefings.editions import editions

pytest_plugins = ["mail_fixtures"]


@pytest.fixture
def server(state, built):
    """``briefings serve`` of ``built`` over real HTTP; yields its base URL."""
    with serving(create_app(out=built, state=state)) as base:
        yield base


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


def _raw_get(server: str, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client-side normalisation of ``..``)."""
    host, port = server.removeprefix("http://").split(":")
    raw = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        raw.request("GET", path)
        answer = raw.getresponse()
        return answer.status, answer.read()
    finally:
        raw.close()


def test_the_public_site_is_served_read_only_and_nothing_else(server, state, built):
    assert httpx.get(f"{server}/").status_code == 200
    assert "Basin watch" in httpx.get(f"{server}/").text
    page = httpx.get(f"{server}/basin-watch/{DATE}/index.html")  # TLP:CLEAR
    assert page.status_code == 200
    assert "Basin watch" in page.text
    pdf = httpx.get(f"{server}/basin-watch/{DATE}/basin-watch-{DATE}.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert httpx.get(f"{server}/feed.xml").status_code == 200
    assert httpx.post(f"{server}/index.html").status_code == 405
    assert httpx.put(f"{server}/new.html", content=b"x").status_code == 405
    green = httpx.get(f"{server}/river-dispute/{DATE}/index.html")  # admitted: an intranet
    assert green.status_code == 200
    private = [
        f"/river-dispute/{DATE}/snapshot.json",
        f"/river-dispute/{DATE}/email.html",
        f"/basin-power/{DATE}/index.html",  # TLP:AMBER
        f"/basin-power/{DATE}/basin-power-{DATE}.pdf",
        f"/basin-watch/{DATE}/snapshot.json",
        f"/basin-watch/{DATE}/manifest.json",
        "/.last-build.json",
        "/public/index.html",
        "/../" + state.name,
        "/../.last-build.json",
        f"/../basin-power/{DATE}/index.html",
        f"/%2e%2e/basin-power/{DATE}/index.html",
        f"/..%2fbasin-power%2f{DATE}%2fsnapshot.json",
        f"/%2e%2e%2fbasin-watch%2f{DATE}%2fmanifest.json",
        "/..%5c.last-build.json",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
    ]
    for path in private:
        status, body = _raw_get(server, path)
        assert status == 404, path
        assert b"root:" not in body
        assert b"Power sales" not in body
    assert (built / "basin-power" / DATE / "index.html").is_file(), "they do exist, privately"
    listed = httpx.get(f"{server}/").text + httpx.get(f"{server}/feed.xml").text
    assert "Power sales" not in listed
    assert "basin-power" not in listed


def test_symlinks_and_dot_files_in_the_public_site_are_not_served(state, built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    site = out / "public"
    (site / "secret.json").symlink_to(out / "basin-power" / DATE / "snapshot.json")
    (site / "private").symlink_to(out / "basin-power", target_is_directory=True)
    (site / "hidden").mkdir()
    (site / "hidden" / ".env").write_text("SECRET=1")
    (site / ".git").mkdir()
    (site / ".git" / "config").write_text("[core]")
    with serving(create_app(out=out, state=state)) as base:
        assert httpx.get(f"{base}/").status_code == 200
        for path in ("/secret.json", f"/private/{DATE}/index.html", "/hidden/.env",
                     "/.git/config", "/hidden/%2eenv"):
            status, body = _raw_get(base, path)
            assert status == 404, path
            assert b"SECRET" not in body
            assert b"Power sales" not in body
