"""The message: every part and header, parsed with the ``email`` package."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
import shutil
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mail_helpers import DATE, PUBLIC

from briefings.config import Settings
from briefings.deliver.mail import compose, message_bytes, message_for, sender_address
from briefings.deliver.subscribers import Subscriber
from briefings.editions import MANIFEST, editions, read_edition
from briefings.errors import UserError
from briefings.publish.build import build

pytest_plugins = ["mail_fixtures"]

WHEN = datetime(2024, 4, 1, 7, 30, tzinfo=UTC)


def _reader(number: int = 7, address: str = "ann@example.org", name: str = "Ann") -> Subscriber:
    return Subscriber(number, address, name, ("water",), "red", "active", "", "")


def _edition(out: Path, briefing: str = "river-dispute", date: str = DATE):
    return next(e for e in editions(out, briefing) if e.date == date)


def _parse(message: EmailMessage) -> EmailMessage:
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)  # type: ignore[return-value]


@pytest.fixture
def letter(built):
    sender = sender_address("Policy Desk <desk@example.org>")
    return compose(_edition(built), sender=sender, public_url=PUBLIC + "/")


def _web_links(edition) -> tuple[list[str], str]:
    """The web links (not unsubscribe) in an edition's email, and its plain text."""
    message = _parse(message_for(compose(edition, public_url=PUBLIC), _reader(),
                                 unsubscribe_path="/unsubscribe/7/tok"))
    html = BeautifulSoup(message.get_body(("html",)).get_content(), "html.parser")
    text = message.get_body(("plain",)).get_content()
    return [a["href"] for a in html.find_all("a") if "/unsubscribe/" not in a["href"]], text


@pytest.mark.parametrize(("briefing", "linked"), [
    ("basin-watch", True),  # TLP:CLEAR
    ("river-dispute", True),  # TLP:GREEN, admitted (public_tlp="green")
    ("basin-power", False),  # TLP:AMBER: never on the web
])
def test_the_email_links_to_the_web_only_when_the_edition_is_public(built, briefing, linked):
    web, text = _web_links(_edition(built, briefing))
    assert (web == [f"{PUBLIC}/{briefing}/{DATE}/index.html"]) is linked
    assert ("Read the full note on the web" in text) is linked
    assert (f"{PUBLIC}/{briefing}/" in text) is linked


def test_a_green_email_has_no_web_link_unless_green_is_admitted(sample_copy, tmp_path):
    out = tmp_path / "out"
    build(seeds=sample_copy, templates=None, out=out, date=DATE, jobs=1, figures=False,
          settings=Settings(public_url=PUBLIC))  # the public site: TLP:CLEAR only
    web, text = _web_links(_edition(out))
    assert web == []
    assert "Read the full note on the web" not in text


def test_every_header_is_there(letter):
    one = message_for(letter, _reader(), unsubscribe_path="/unsubscribe/7/tok", when=WHEN)
    message = _parse(one)
    assert message["From"] == "Policy Desk <desk@example.org>"
    assert message["To"] == "Ann <ann@example.org>"
    assert message["Subject"] == f"[TLP:GREEN] The Lower Basin water dispute - {DATE}"
    assert message["Date"].datetime == WHEN
    assert message["Message-ID"].startswith(f"<river-dispute.{DATE}.")
    assert message["Message-ID"].endswith("@example.org>")
    assert message["List-Unsubscribe"] == (
        f"<{PUBLIC}/unsubscribe/7/tok>, <mailto:desk@example.org?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_parts_text_html_and_the_pdf(letter, built):
    message = _parse(message_for(letter, _reader(), unsubscribe_path="/unsubscribe/7/tok"))
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, related = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, *images = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert [i.get_content_type() for i in images] == ["image/png"] * 2  # one bar: no chart
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"river-dispute-{DATE}.pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_content() == _edition(built).pdf.read_bytes()


def test_the_html_carries_bluf_judgments_changes_and_links(letter):
    message = _parse(message_for(letter, _reader(), unsubscribe_path="/unsubscribe/7/tok"))
    html = message.get_body(("html",)).get_content()
    assert len(html.encode()) < 100 * 1024
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert soup.find("link") is None
    assert soup.find("style") is None, "CSS is inlined"
    assert soup.find("table") is not None
    assert "border-left" in soup.select_one("div.bluf")["style"]
    assert soup.select_one("div.bluf strong").get_text() == "15% levy"
    statements = [p.get_text(" ", strip=True) for p in soup.select("p.statement")]
    assert statements == [
        "1. Qamaria will impose the levy within six months.",
        "2. Talks at the Basin Council resume this year.",
    ]
    assessments = [p.get_text(" ", strip=True) for p in soup.select("p.assessment")]
    assert assessments[0] == "Realistic possibility (40–50%) · Low confidence"
    assert "first edition" in soup.get_text()
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert f"{PUBLIC}/river-dispute/{DATE}/index.html" in hrefs
    assert f"{PUBLIC}/unsubscribe/7/tok" in hrefs


def test_the_plain_text_is_written_from_the_data(letter):
    message = _parse(message_for(letter, _reader(), unsubscribe_path="/unsubscribe/7/tok"))
    text = message.get_body(("plain",)).get_content()
    assert "Highland's reservoir is filling; Qamaria threatens a 15% levy." in text
    assert "**" not in text, "Markdown is written as plain text"
    assert "1. Qamaria will impose the levy within six months." in text
    assert "Realistic possibility (40–50%), low confidence" in text
    assert f"Read the full note on the web: {PUBLIC}/river-dispute/{DATE}/index.html" in text
    assert f"Unsubscribe: {PUBLIC}/unsubscribe/7/tok" in text
    assert re.search(r"</?[a-z]+[ >]", text) is None, "no HTML tags"
    assert "&#39;" not in text
    assert "&amp;" not in text


def test_only_the_recipient_and_the_link_differ_between_readers(letter):
    ann = message_for(letter, _reader(), unsubscribe_path="/u/7/aaa", when=WHEN).as_bytes()
    bob = message_for(letter, _reader(8, "bob@example.org", "Bob"), unsubscribe_path="/u/8/bbb",
                      when=WHEN)
    ann_msg = email.message_from_bytes(ann, policy=email.policy.default)
    assert ann_msg["Message-ID"] != bob["Message-ID"]
    again = message_for(letter, _reader(), unsubscribe_path="/u/7/aaa", when=WHEN)
    assert again["Message-ID"] == ann_msg["Message-ID"], "a resend keeps its Message-ID"
    for name in ("From", "Subject", "Date", "List-Id"):
        assert ann_msg[name] == bob[name]
    ann_html = ann_msg.get_body(("html",)).get_content()
    bob_html = _parse(bob).get_body(("html",)).get_content()
    assert ann_html != bob_html
    assert ann_html.replace("/u/7/aaa", "/u/8/bbb") == bob_html


def test_the_fast_path_gives_the_same_bytes(letter):
    reader = _reader()
    expected = message_for(letter, reader, unsubscribe_path="/u/7/x", when=WHEN).as_bytes()
    assert message_bytes(letter, reader, unsubscribe_path="/u/7/x", when=WHEN) == expected


def test_a_hostile_name_is_quoted_not_obeyed(letter):
    reader = _reader(name='Ann "The Boss" O\'Neil, <evil@example.org>; Bcc: x@example.org')
    message = _parse(message_for(letter, reader, unsubscribe_path="/u/7/x"))
    assert [a.addr_spec for a in message["To"].addresses] == ["ann@example.org"]
    assert message["Bcc"] is None
    with pytest.raises(ValueError, match="CR or LF"):
        message_for(letter, _reader(name="Ann\r\nBcc: x@example.org"), unsubscribe_path="/u/7/x")


def test_without_a_public_url_there_is_a_mailto_and_no_web_link(sample_out):
    letter = compose(_edition(sample_out), public_url=None)  # built without one either
    message = _parse(message_for(letter, _reader(), unsubscribe_path="/u/7/x"))
    assert message["From"] == "briefings@localhost"
    assert message["List-Unsubscribe"] == "<mailto:briefings@localhost?subject=unsubscribe>"
    assert message["List-Unsubscribe-Post"] is None
    text = message.get_body(("plain",)).get_content()
    assert "Read the full note on the web" not in text
    assert "Unsubscribe: mailto:briefings@localhost?subject=unsubscribe" in text


def test_the_tlp_is_in_the_subject(built):
    letter = compose(_edition(built, "basin-power"), public_url=None)
    assert letter.subject == f"[TLP:AMBER] Power sales in the basin - {DATE}"


def test_an_edition_is_mailed_as_it_was_built_without_its_snapshot(built, tmp_path):
    """Sending reads the email parts the build wrote, never the snapshot."""
    copy = tmp_path / "river-dispute" / DATE
    shutil.copytree(_edition(built).folder, copy)
    (copy / "snapshot.json").write_text("not JSON: sending must not read it")
    edition = read_edition(copy)
    assert edition is not None

    letter = compose(edition, public_url=None)

    assert letter.html == (copy / edition.email["html"]).read_text(encoding="utf-8")
    assert letter.text == (copy / edition.email["text"]).read_text(encoding="utf-8")
    soup = BeautifulSoup(letter.html, "html.parser")
    snapshot = json.loads((_edition(built).folder / "snapshot.json").read_text())
    assert "15% levy" in snapshot["briefing"]["bluf"]
    assert soup.select_one("div.bluf strong").get_text() == "15% levy"
    text = letter.text
    assert text.index("KEY JUDGMENTS") < text.index("WHAT CHANGED")  # the sections' order


def test_the_manifest_lists_the_email_parts_with_sizes_and_hashes(built):
    edition = _edition(built)
    manifest = json.loads((edition.folder / MANIFEST).read_text())
    assert manifest["format"] == 1
    assert manifest["email"] == {"html": "email.html", "text": "email.txt"}
    assert manifest["topics"] == ["water", "basin"]
    assert "15% levy" in manifest["summary"]
    for name, size in manifest["files"].items():
        data = (edition.folder / name).read_bytes()
        assert len(data) == size
        assert hashlib.sha256(data).hexdigest() == manifest["sha256"][name]
    assert {"email.html", "email.txt", f"river-dispute-{DATE}.pdf"} <= set(manifest["sha256"])


def test_an_email_part_changed_after_the_build_is_refused(built, tmp_path):
    copy = tmp_path / "river-dispute" / DATE
    shutil.copytree(_edition(built).folder, copy)
    html = copy / "email.html"
    html.write_text(html.read_text().replace("15% levy", "50% levy"))
    with pytest.raises(UserError, match=r"email\.html: changed since it was built"):
        compose(read_edition(copy), public_url=None)


def test_a_bad_from_address_is_refused():
    with pytest.raises(UserError, match="line break"):
        sender_address("desk@example.org\r\nBcc: x@example.org")
    with pytest.raises(UserError, match="not a valid address"):
        sender_address("not an address")


def test_the_email_carries_every_image_it_references(letter):
    message = _parse(message_for(letter, _reader(), unsubscribe_path="/unsubscribe/7/tok"))
    html = message.get_body(("html",)).get_content()
    soup = BeautifulSoup(html, "html.parser")
    referenced = {img["src"].removeprefix("cid:"): img for img in soup.select("img")}
    assert len(referenced) == 2  # the map and the timeline; one measure is no chart
    carried = {}
    for part in message.walk():
        if part.get_content_type() == "image/png":
            carried[part["Content-ID"].strip("<>")] = part.get_content()
    assert set(carried) == set(referenced)
    for cid, img in referenced.items():
        assert carried[cid].startswith(b"\x89PNG\r\n\x1a\n")
        assert img["alt"], cid
    assert "Qamaria" in " ".join(img["alt"] for img in referenced.values())
    assert len(html.encode()) < 100 * 1024
