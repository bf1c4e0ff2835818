"""Editions once sent never change silently: corrections, withdrawals, dates.

Real builds (WeasyPrint), a real state database, mail written by the outbox
transport and read back with the ``email`` package.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import add_briefing, rewrite
from mail_helpers import DATE

from briefings.cli.main import cli
from briefings.config import Settings
from briefings.deliver.ledger import deliver, pick_editions
from briefings.deliver.mail import compose, message_bytes, message_for
from briefings.deliver.notices import send_notices
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add, listing
from briefings.deliver.transports import OutboxTransport
from briefings.editions import current_edition, edition_folder, editions
from briefings.errors import UserError
from briefings.publish.build import build

pytest_plugins = ["mail_fixtures"]

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
B = "river-dispute"


INTRANET = Settings(public_tlp="green", public_url="https://desk.example.org")


def _build(seeds: Path, out: Path, date: str = DATE, **options) -> list:
    report = build(seeds=seeds, templates=None, out=out, date=date, jobs=1, only=[B],
                   now=NOW, **options)
    return report.built


def _send(
    out: Path, box: Path, settings: Settings | None = None,
) -> list[email.message.EmailMessage]:
    """What one `briefings send` of ``B``'s latest edition mails: the edition, then the
    corrections and withdrawals; every message it wrote, parsed."""
    before = set(box.iterdir()) if box.exists() else set()
    conn, settings = connect(), settings or Settings()
    chosen = pick_editions(out, only=[B])
    assert deliver(conn=conn, editions=chosen, transport=OutboxTransport(box),
                   settings=settings).ok
    assert send_notices(conn=conn, out=out, transport=OutboxTransport(box),
                        settings=settings).ok
    new = sorted(set(box.iterdir()) - before) if box.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in new]


def _fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _raise_levy(seeds: Path) -> None:
    rewrite(seeds, ("    rate_percent: 15\n", "    rate_percent: 25\n"))


def test_a_changed_delivered_edition_is_refused_then_corrected_for_exactly_its_readers(
    state, sample_copy, tmp_path,
):
    out, box = tmp_path / "out", tmp_path / "outbox"
    conn = connect()
    for name in ("ann", "bob"):
        add(conn, address=f"{name}@example.org", topics=["water"], tlp="green")
    add(conn, address="dan@example.org", topics=["power"], tlp="green")  # not a reader of B
    _build(sample_copy, out, settings=INTRANET)
    originals = {m["To"].addresses[0].addr_spec: m for m in _send(out, box, INTRANET)}
    assert set(originals) == {"ann@example.org", "bob@example.org"}
    folder = edition_folder(out, B, DATE)
    sent_files = _fingerprint(folder)

    _raise_levy(sample_copy)
    with pytest.raises(UserError) as refused:
        _build(sample_copy, out, settings=INTRANET)
    message = refused.value.message
    assert f"{B} {DATE} (edition 1) was delivered to 2 readers" in message
    assert "--correct" in message
    assert _fingerprint(folder) == sent_files, "a refused rebuild writes nothing"

    add(conn, address="carol@example.org", topics=["basin"], tlp="green")  # joins later
    [fixed] = _build(sample_copy, out, correct="The levy rate was 25%, not 15%.",
                     settings=INTRANET)
    assert fixed.correction_number == 1
    assert fixed.folder == folder / "correction-1"
    assert fixed.number == 1, "a correction keeps its edition's number"
    assert {k: v for k, v in _fingerprint(folder).items() if "/" not in k} == sent_files
    page = BeautifulSoup(fixed.html.read_text(), "html.parser")
    banner = page.select_one(".masthead .correction")
    assert "The levy rate was 25%, not 15%." in banner.get_text(" ", strip=True)
    assert "25" in " ".join(li.get_text() for li in banner.select("li")), "says what changed"
    assert banner.find_previous("h1") is None, "the banner comes before the title"
    with pymupdf.open(fixed.pdf) as pdf:
        first = pdf[0].get_text()
    assert "Correction" in first
    assert "The levy rate was 25%, not 15%." in " ".join(first.split())

    mails = _send(out, box, INTRANET)
    by_reader = {m["To"].addresses[0].addr_spec: m for m in mails}
    assert sorted(by_reader) == ["ann@example.org", "bob@example.org", "carol@example.org"]
    assert len(mails) == 3, "nobody gets it twice"
    for address, mail in by_reader.items():
        assert "Correction" in mail["Subject"]
        assert mail["Message-ID"] != originals.get(address, {}).get("Message-ID")
        if address in originals:  # it answers the message it corrects
            assert mail["In-Reply-To"] == originals[address]["Message-ID"]
        text = mail.get_body(("plain",)).get_content()
        assert "The levy rate was 25%, not 15%." in text
        web = f"https://desk.example.org/{B}/{DATE}/correction-1/index.html"
        assert f"Read the full note on the web: {web}" in text
        assert mail["List-Unsubscribe"].strip().startswith("<https://desk.example.org/unsub")
    attachment = next(by_reader["ann@example.org"].iter_attachments())
    assert attachment.get_filename() == fixed.pdf.name
    _fast_path_agrees(fixed, next(s for s in listing(conn) if s.address == "ann@example.org"))
    assert _send(out, box, INTRANET) == [], "a second send mails nothing"

    _marked_corrected(out, why="The levy rate was 25%, not 15%.")


def _fast_path_agrees(edition, reader) -> None:
    """A correction's message (its In-Reply-To too) is the same by either path."""
    letter, when = compose(edition), datetime(2024, 4, 2, tzinfo=UTC)
    expected = message_for(letter, reader, unsubscribe_path="/u", when=when)
    assert expected["In-Reply-To"]
    assert message_bytes(letter, reader, unsubscribe_path="/u", when=when) == expected.as_bytes()


def _marked_corrected(out: Path, *, why: str) -> None:
    """The public archive and feed mark the correction; the original stays readable."""
    archive = BeautifulSoup((out / "public" / B / "index.html").read_text(), "html.parser")
    row = archive.select_one("tr.edition.corrected")
    assert why in row.get_text(" ", strip=True)
    site = (out / "public").resolve()
    targets = {(site / B / a["href"]).resolve() for a in row.select("a[href]")}
    assert site / B / DATE / "correction-1" / "index.html" in targets
    assert site / B / DATE / "index.html" in targets, "the original stays readable"
    assert all(t.is_file() for t in targets)
    original = site / B / DATE / "index.html"  # readers' old links lead to the correction
    notice = BeautifulSoup(original.read_text(), "html.parser").select_one("body > .correction")
    assert why in notice.get_text(" ", strip=True)
    assert (original.parent / notice.a["href"]).resolve() == site / B / DATE / "correction-1" / (
        "index.html")
    feed = ET.fromstring((out / "public" / "feed.xml").read_bytes())  # noqa: S314 - ours
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title").startswith("Correction: ")
    assert why in entry.findtext(f"{ATOM}summary")


def test_a_rebuild_with_the_same_content_changes_nothing_and_sends_nothing(
    state, sample_copy, tmp_path,
):
    out, box = tmp_path / "out", tmp_path / "outbox"
    add(connect(), address="ann@example.org", tlp="green")
    _build(sample_copy, out)
    assert len(_send(out, box)) == 1
    folder = edition_folder(out, B, DATE)
    sent_files = _fingerprint(folder)
    templates = tmp_path / "templates"  # a template change alone
    templates.mkdir()
    (templates / "print.css").write_text("@page { size: A5; }\n", encoding="utf-8")
    report = build(seeds=sample_copy, templates=templates, out=out, date=DATE, jobs=1,
                   only=[B], now=NOW, force=True)
    assert report.built == []
    assert report.skipped == [B]
    assert _fingerprint(folder) == sent_files
    assert _send(out, box) == []
    with pytest.raises(UserError, match="nothing to correct"):
        _build(sample_copy, out, correct="Nothing changed")
    assert _fingerprint(folder) == sent_files


def test_an_edition_nobody_got_is_rebuilt_in_place(state, sample_copy, tmp_path):
    out = tmp_path / "out"
    _build(sample_copy, out)
    _raise_levy(sample_copy)
    [rebuilt] = _build(sample_copy, out)
    assert rebuilt.folder == edition_folder(out, B, DATE)
    assert rebuilt.correction is None
    assert rebuilt.number == 1


def test_a_build_dated_in_the_future_is_refused_and_writes_nothing(state, sample_copy, tmp_path):
    out = tmp_path / "out"
    # at noon UTC on 1 June it is 2 June in Kiribati, but not in the briefing's London
    with pytest.raises(UserError, match=r"2024-06-02 is in the future \(today is 2024-06-01 "
                                        r"in Europe/London\)"):
        _build(sample_copy, out, date="2024-06-02")
    with pytest.raises(UserError, match="in the future"):
        _build(sample_copy, out, date="2025-01-01")
    assert not out.exists()
    late = datetime(2024, 6, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 June in London (BST)
    [edition] = build(seeds=sample_copy, templates=None, out=out, date="2024-06-02", jobs=1,
                      only=[B], now=late).built
    assert edition.date == "2024-06-02"


def test_a_back_dated_build_is_refused_unless_asked_and_never_renumbers(
    state, sample_copy, tmp_path,
):
    out = tmp_path / "out"
    _build(sample_copy, out, date="2024-04-08")
    _build(sample_copy, out, date="2024-04-15")
    before = {e.date: e.number for e in editions(out, B)}
    with pytest.raises(UserError, match=r"before its latest edition .*--backdate"):
        _build(sample_copy, out, date="2024-04-01")
    assert not edition_folder(out, B, "2024-04-01").exists()
    [added] = _build(sample_copy, out, date="2024-04-01", backdate=True)
    assert added.number == 3
    assert {e.date: e.number for e in editions(out, B) if e.date != "2024-04-01"} == before
    page = BeautifulSoup(added.html.read_text(), "html.parser")
    assert page.select_one(".edition-number").get_text(strip=True) == "3"


def test_a_withdrawn_edition_is_marked_and_its_readers_told(
    state, sample_copy, tmp_path, monkeypatch,
):
    monkeypatch.setenv("BRIEFINGS_PUBLIC_TLP", "green")  # for the withdraw command
    out, box = tmp_path / "out", tmp_path / "outbox"
    conn = connect()
    add(conn, address="ann@example.org", tlp="green")
    _build(sample_copy, out, settings=Settings(public_tlp="green"))
    [original] = _send(out, box)
    assert (out / "public" / B / DATE / "index.html").is_file()
    sent_files = _fingerprint(edition_folder(out, B, DATE))

    runner = CliRunner()
    result = runner.invoke(cli, ["withdraw", B, DATE, "--out", str(out),
                                 "--why", "Issued with the wrong scope."])
    assert result.exit_code == 0, result.output
    again = runner.invoke(cli, ["withdraw", B, DATE, "--out", str(out), "--why", "x"])
    assert again.exit_code == 1
    assert "already withdrawn" in again.output
    assert "Traceback" not in again.output
    folder = edition_folder(out, B, DATE)
    assert {k: v for k, v in _fingerprint(folder).items() if k != "withdrawn.json"} == sent_files
    assert current_edition(folder).withdrawn["why"] == "Issued with the wrong scope."
    assert not (out / "public" / B / DATE).exists(), "no longer published"
    archive = BeautifulSoup((out / "public" / "index.html").read_text(), "html.parser")
    row = archive.select_one("tr.edition.withdrawn")
    assert "Issued with the wrong scope." in row.get_text(" ", strip=True)
    assert row.select("a[href]") == []
    feed = ET.fromstring((out / "public" / "feed.xml").read_bytes())  # noqa: S314 - ours
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title").startswith("Withdrawn: ")

    add(conn, address="bob@example.org", tlp="green")  # joins after: never gets it
    dry = runner.invoke(cli, ["send", "--out", str(out), "--dry-run"])
    assert "withdrawn (Issued with the wrong scope.): sent to nobody" in dry.output
    assert f"would send {B} {DATE} withdrawal -> ann@example.org" in dry.output
    assert "bob@example.org" not in dry.output
    [notice] = _send(out, box)
    assert notice["To"].addresses[0].addr_spec == "ann@example.org"
    assert "Withdrawn" in notice["Subject"]
    assert notice["In-Reply-To"] == original["Message-ID"]
    assert notice["Message-ID"] != original["Message-ID"]
    assert "Issued with the wrong scope." in notice.get_content()
    assert _send(out, box) == []


def test_refusals_are_clean_errors_on_the_command_line(state, sample_copy, tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["build", "--seeds", str(sample_copy), "--out", str(out), "--jobs", "1",
            "--now", "2024-06-01T12:00Z"]
    future = runner.invoke(cli, [*args, "--date", "2024-07-01", B])
    assert future.exit_code == 1
    assert "in the future" in future.output
    assert "Traceback" not in future.output
    assert not out.exists()
    empty = runner.invoke(cli, [*args, "--date", DATE, "--correct", "  ", B])
    assert empty.exit_code == 1
    assert "say why" in empty.output


RESTRICTED = """\
  - id: strict-note
    title: Strict note
    bluf: Inside the desk only.
    tlp: amber+strict
    actors: [highland]
  - id: red-note
    title: Red note
    bluf: Named readers only.
    tlp: red
    actors: [highland]
    red_readers: [ann@example.org, cy@partner.net]
"""


def test_send_routes_amber_strict_and_red_and_says_why_nobody_got_one(
    state, sample_copy, tmp_path, monkeypatch,
):
    add_briefing(sample_copy, RESTRICTED)
    out, box = tmp_path / "out", tmp_path / "outbox"
    monkeypatch.setenv("BRIEFINGS_OUTBOX", str(box))
    build(seeds=sample_copy, templates=None, out=out, date=DATE, jobs=2, now=NOW,
          only=["strict-note", "red-note"], figures=False)
    assert json.loads((edition_folder(out, "red-note", DATE) / "manifest.json").read_text())[
        "red_readers"] == ["ann@example.org", "cy@partner.net"]
    snapshot = (edition_folder(out, "red-note", DATE) / "snapshot.json").read_text()
    assert "cy@partner.net" not in snapshot, "who may read it is not its content"
    conn = connect()
    for address, tlp in (("ann@example.org", "red"), ("bob@example.org", "red"),
                         ("cy@partner.net", "red"), ("dee@partner.net", "amber+strict")):
        add(conn, address=address, tlp=tlp)
    runner = CliRunner()
    monkeypatch.delenv("BRIEFINGS_ORG_DOMAINS", raising=False)
    result = runner.invoke(cli, ["send", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "strict-note 2024-04-01: TLP:AMBER+STRICT" in result.output
    assert "BRIEFINGS_ORG_DOMAINS" in result.output

    def received(briefing: str) -> set[str]:
        return {email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["To"]
                .addresses[0].addr_spec for p in box.glob(f"{briefing}-*.eml")}

    assert received("red-note") == {"ann@example.org", "cy@partner.net"}
    assert received("strict-note") == set()
    monkeypatch.setenv("BRIEFINGS_ORG_DOMAINS", "example.org")
    result = runner.invoke(cli, ["send", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert received("strict-note") == {"ann@example.org", "bob@example.org"}
    assert received("red-note") == {"ann@example.org", "cy@partner.net"}


def test_a_restricted_original_stays_off_the_site_when_its_correction_is_clear(
    state, sample_copy, tmp_path,
):
    add_briefing(sample_copy, "  - id: release\n    title: Release note\n    bluf: B\n"
                              "    tlp: amber\n    actors: [highland]\n")
    out, box = tmp_path / "out", tmp_path / "outbox"
    add(connect(), address="ann@example.org", tlp="amber")
    options = {"templates": None, "out": out, "date": DATE, "jobs": 1, "only": ["release"],
               "now": NOW, "figures": False}
    build(seeds=sample_copy, **options)
    assert deliver(conn=connect(), editions=pick_editions(out, only=["release"]),
                   transport=OutboxTransport(box)).sent == 1
    rewrite(sample_copy, ("tlp: amber", "tlp: clear"))
    [fixed] = build(seeds=sample_copy, correct="Cleared for release.", **options).built
    assert fixed.tlp == "clear"
    site = out / "public"
    files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert f"release/{DATE}/correction-1/index.html" in files
    assert f"release/{DATE}/index.html" not in files, "the AMBER original stays private"
    assert f"release/{DATE}/release-{DATE}.pdf" not in files
    shelf = BeautifulSoup((site / "release" / "index.html").read_text(), "html.parser")
    assert [a["href"] for a in shelf.select("a[href]") if "correction" not in a["href"]] == [
        "../index.html"]


def test_without_a_date_the_build_is_dated_today_where_it_is_earliest(
    state, sample_copy, tmp_path,
):
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["build", "--seeds", str(sample_copy), "--out", str(out), "--jobs", "1"]
    result = runner.invoke(cli, [*args, "--now", "2024-06-01T23:30Z", B])  # London: 2 June
    assert result.exit_code == 0, result.output
    assert [e.date for e in editions(out, B)] == ["2024-06-02"]
    add_briefing(sample_copy, "  - id: west\n    title: West coast note\n    bluf: B\n"
                              "    tlp: clear\n    actors: [highland]\n"
                              "    timezone: America/Los_Angeles\n")
    result = runner.invoke(cli, [*args, "--now", "2024-06-02T23:30Z"])  # LA: still 2 June
    assert result.exit_code == 0, result.output
    assert [e.date for e in editions(out, "west")] == ["2024-06-02"]
    assert [e.date for e in editions(out, B)] == ["2024-06-02"], "not dated 3 June"


def test_the_ledger_is_read_only_and_an_unreadable_one_stops_the_build(tmp_path):
    from briefings.delivered import delivered

    state = tmp_path / "state.sqlite3"
    assert delivered(state, briefing=B, date=DATE) is None, "no database: nothing delivered"
    assert not state.exists(), "reading creates nothing"
    state.write_bytes(b"not a database" * 100)
    with pytest.raises(UserError, match="cannot read the delivery ledger"):
        delivered(state, briefing=B, date=DATE)
