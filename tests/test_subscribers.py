"""Subscribers: adding, importing, listing, removing, and who matches an edition."""

from __future__ import annotations

import http.client
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from mail_helpers import serving

from briefings.cli.main import cli
from briefings.config import Settings
from briefings.deliver.routing import matches, recipients, withheld
from briefings.deliver.state import connect, state_path
from briefings.deliver.subscribers import (
    Subscriber,
    add,
    check_address,
    import_csv,
    listing,
    remove,
)
from briefings.errors import UserError

pytest_plugins = ["mail_fixtures"]

HEADER = "email,name,topics,tlp\n"


@contextmanager
def serving_empty(state: Path) -> Iterator[str]:
    """``briefings serve`` (an empty archive) on 127.0.0.1 in a thread; its base URL."""
    from briefings.deliver.serve import create_app

    with serving(create_app(out=state.parent / "out", state=state)) as base:
        yield base


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "readers.csv"
    path.write_text(HEADER + text, encoding="utf-8", newline="")
    return path


def test_add_defaults_to_clear_and_one_address_per_reader_whatever_the_case(state):
    conn = connect()
    first, created = add(conn, address="Ann@Example.ORG", name="Ann")
    assert created
    assert (first.tlp, first.topics, first.status) == ("clear", (), "active")
    again, created = add(conn, address="Ann@example.org", name="Ann B", topics=["water", " "])
    assert not created
    same, created = add(conn, address="ANN@example.org", name="Ann C")
    assert not created
    assert first.id == again.id == same.id
    assert [(s.address, s.name, s.topics) for s in listing(conn)] == [
        ("Ann@Example.ORG", "Ann C", ()),
    ], "one reader, keeping the spelling first given"


def test_the_database_is_wal_and_never_inside_the_output_folder(state, tmp_path, monkeypatch):
    conn = connect()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert state.exists()
    with pytest.raises(UserError, match="inside the output folder"):
        state_path(tmp_path / "out" / "state.db", out=tmp_path / "out")
    with pytest.raises(UserError, match="inside the output folder"):
        connect(tmp_path / "out" / "state.db", out=tmp_path / "out")


@pytest.mark.parametrize("address", [
    "plain", "a b@example.org", "a@example", "<a@example.org>", "Ann <a@example.org>",
    "a@example.org, b@example.org", '"x y"@example.org', "a@-example.org", "a@exa_mple.org",
    "a@example.org\r\nBcc: victim@example.org", "a@example.org\nX: y", "a..b@example.org", "",
])
def test_invalid_addresses_and_line_breaks_are_refused(state, address):
    with pytest.raises(ValueError, match="address"):
        check_address(address)
    with pytest.raises(UserError):
        add(connect(), address=address)
    assert listing(connect()) == []


@pytest.mark.parametrize("name", ["Ann\r\nBcc: victim@example.org", "Ann\nX", "Ann\x00"])
def test_a_name_cannot_carry_a_header(state, name):
    with pytest.raises(UserError, match="line break"):
        add(connect(), address="ann@example.org", name=name)
    assert listing(connect()) == []


def test_unknown_tlp_is_refused(state):
    with pytest.raises(UserError, match="unknown TLP 'purple'"):
        add(connect(), address="ann@example.org", tlp="purple")


def test_import_reports_every_bad_row_and_imports_nothing(state, tmp_path):
    path = _csv(tmp_path, (
        "ann@example.org,Ann,water;basin,green\n"
        "not-an-address,Bob,,green\n"
        "cat@example.org,Cat,,purple\n"
        '"dan@example.org","Dan\nBcc: x@example.org",,clear\n'
        "eve@example.org,Eve\n"
    ))
    with pytest.raises(UserError) as raised:
        import_csv(connect(), path=path)
    lines = str(raised.value.message).splitlines()
    assert [line.split(": ")[0] for line in lines[:4]] == [
        f"{path}:3:1", f"{path}:4:22", f"{path}:5:19", f"{path}:7:1",
    ], "the file's own lines: the quoted name spans lines 5 and 6"
    assert "line break" in lines[2]
    assert lines[-1].startswith("4 bad rows: nothing imported")
    assert listing(connect()) == []


def test_import_with_skip_invalid_takes_the_good_rows_and_is_idempotent(state, tmp_path):
    path = _csv(tmp_path, (
        "ann@example.org,Ann,water;basin,green\n"
        "bob@Example.org,Bob,,\n"
        "bad,Bad,,clear\n"
    ))
    report = import_csv(connect(), path=path, skip_invalid=True)
    assert (report.added, report.updated) == (2, 0)
    assert report.problems == [f"{path}:4:1: not a valid email address: 'bad'"]
    before = [(s.address, s.name, s.topics, s.tlp) for s in listing(connect())]
    assert before == [
        ("ann@example.org", "Ann", ("water", "basin"), "green"),
        ("bob@Example.org", "Bob", (), "clear"),
    ]
    again = import_csv(connect(), path=path, skip_invalid=True)
    assert (again.added, again.updated) == (0, 2)
    assert [(s.address, s.name, s.topics, s.tlp) for s in listing(connect())] == before


def test_reimport_does_not_resubscribe_an_unsubscribed_reader(state, tmp_path):
    conn = connect()
    reader, _ = add(conn, address="ann@example.org")
    conn.execute("UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?", (reader.id,))
    import_csv(conn, path=_csv(tmp_path, "ann@example.org,Ann,,red\n"))
    assert [(s.status, s.tlp) for s in listing(conn)] == [("unsubscribed", "red")]
    add(conn, address="ann@example.org", resubscribe=True)
    assert [s.status for s in listing(conn)] == ["active"]


def _reader(tlp: str, topics: tuple[str, ...], status: str = "active") -> Subscriber:
    return Subscriber(1, "a@example.org", "", topics, tlp, status, "", "")


@pytest.mark.parametrize(("clearance", "topics", "briefing_tlp", "briefing_topics", "expected"), [
    ("clear", (), "clear", (), True),
    ("clear", (), "green", (), False),
    ("green", (), "amber", ("water",), False),
    ("amber", (), "amber", ("water",), True),
    ("amber", (), "amber+strict", (), False),
    ("amber+strict", (), "amber+strict", (), False),  # not in the organisation: see below
    ("red", (), "red", (), False),  # never by clearance alone: see below
    ("red", ("water",), "green", ("Water", "basin"), True),
    ("red", ("fisheries",), "green", ("water", "basin"), False),
    ("red", ("fisheries",), "green", (), True),
    ("red", ("*",), "green", ("water",), True),
    ("red", (), "clear", (), True),
])
def test_who_gets_an_edition(clearance, topics, briefing_tlp, briefing_topics, expected):
    reader = _reader(clearance, topics)
    assert matches(reader, tlp=briefing_tlp, topics=briefing_topics) is expected


@pytest.mark.parametrize(("address", "clearance", "expected"), [
    ("ann@example.org", "amber+strict", True),
    ("ann@EXAMPLE.com", "red", True),
    ("ann@mail.example.org", "amber+strict", True),  # a subdomain of the organisation's
    ("ann@example.org", "amber", False),  # in the organisation, not cleared
    ("ann@notexample.org", "red", False),
    ("ann@example.org.evil.net", "red", False),
    ("ann@gmail.com", "amber+strict", False),
])
def test_amber_strict_stays_inside_the_organisation(address, clearance, expected):
    reader = Subscriber(1, address, "", (), clearance, "active", "", "")
    org = Settings.from_env({"BRIEFINGS_ORG_DOMAINS": "example.org, @Example.COM"}).org_domains
    assert matches(reader, tlp="amber+strict", topics=(), org=org) is expected
    assert not matches(reader, tlp="amber+strict", topics=(), org=()), "unset: nobody"


def test_red_goes_only_to_the_readers_named_for_the_briefing(state):
    conn = connect()
    add(conn, address="ann@example.org", tlp="red", topics=["fisheries"])
    add(conn, address="bob@example.org", tlp="red")  # cleared, not named
    add(conn, address="cy@partner.net", tlp="amber")  # named, not cleared
    add(conn, address="dee@partner.net", tlp="red")  # named, outside the organisation
    named = ["ann@EXAMPLE.ORG", "cy@partner.net", "dee@partner.net"]
    found = recipients(conn, tlp="red", topics=["water"], red_readers=named,
                       org=["example.org"])
    assert [s.address for s in found] == ["ann@example.org", "dee@partner.net"]
    assert recipients(conn, tlp="red", topics=[]) == []
    assert "names none" in withheld(tlp="red")
    assert withheld(tlp="red", red_readers=named) == ""
    assert recipients(conn, tlp="amber+strict", topics=[]) == [], "no organisation: nobody"
    assert "BRIEFINGS_ORG_DOMAINS" in withheld(tlp="amber+strict")


def test_unsubscribed_readers_never_match(state):
    assert not matches(_reader("red", (), "unsubscribed"), tlp="clear", topics=())
    conn = connect()
    add(conn, address="a@example.org")
    add(conn, address="b@example.org")
    conn.execute("UPDATE subscribers SET status = 'unsubscribed' WHERE address = 'a@example.org'")
    assert [s.address for s in recipients(conn, tlp="clear", topics=())] == ["b@example.org"]


def test_remove_deletes_the_reader_and_their_ledger(state):
    conn = connect()
    reader, _ = add(conn, address="ann@example.org")
    conn.execute(
        "INSERT INTO deliveries (briefing, date, subscriber, updated) VALUES ('b', 'd', ?, 'x')",
        (reader.id,),
    )
    remove(conn, address="ann@EXAMPLE.org")
    assert listing(conn) == []
    assert conn.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    with pytest.raises(UserError, match="no subscriber"):
        remove(conn, address="ann@example.org")


def test_the_command_line(state, tmp_path):
    runner = CliRunner()
    added = runner.invoke(cli, ["subscribers", "add", "ann@example.org", "--name", "Ann",
                                "--topics", "water,basin", "--tlp", "amber"])
    assert added.exit_code == 0, added.output
    assert added.output == "added ann@example.org\n"
    bad = _csv(tmp_path, "bob@example.org,Bob,,green\nnope,Nope,,green\n")
    refused = runner.invoke(cli, ["subscribers", "import", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:3:1: not a valid email address: 'nope'" in refused.output
    skipped = runner.invoke(cli, ["subscribers", "import", str(bad), "--skip-invalid"])
    assert skipped.exit_code == 0
    assert "1 added, 0 updated, 1 bad rows skipped" in skipped.output
    listed = runner.invoke(cli, ["subscribers", "list"])
    assert listed.output.splitlines() == [
        "ann@example.org\tactive\tamber\twater;basin\tAnn",
        "bob@example.org\tactive\tgreen\t*\tBob",
    ]
    removed = runner.invoke(cli, ["subscribers", "remove", "bob@example.org"])
    assert removed.exit_code == 0
    injected = runner.invoke(cli, ["subscribers", "add", "x@example.org\r\nBcc: y@example.org"])
    assert injected.exit_code == 1
    rows = sqlite3.connect(state).execute("SELECT address FROM subscribers").fetchall()
    assert rows == [("ann@example.org",)]


def test_rows_for_one_reader_are_one_reader_and_the_import_says_which_lines(state, tmp_path):
    path = _csv(tmp_path, (
        "ann@example.org,Ann,water,green\n"
        "bob@example.org,Bob,,clear\n"
        "Ann@Example.ORG,Ann,water,green\n"
        "bob@example.org,Bob,,clear\n"
    ))
    report = import_csv(connect(), path=path)
    assert (report.added, report.updated, report.problems) == (2, 0, [])
    assert report.notes == [
        f"{path}:4:1: Ann@Example.ORG is the reader of line 2 (ann@example.org, differing "
        "only in case): one reader, imported once",
        f"{path}:5:1: bob@example.org is the reader of line 3 (the same address): one reader, "
        "imported once",
    ]
    assert [s.address for s in listing(connect())] == ["ann@example.org", "bob@example.org"]
    result = CliRunner().invoke(cli, ["subscribers", "import", str(path)])
    assert result.exit_code == 0
    assert f"{path}:4:1: Ann@Example.ORG is the reader of line 2" in result.output


def test_a_repeat_that_says_something_else_is_a_bad_row_naming_both_lines(state, tmp_path):
    path = _csv(tmp_path, "ann@example.org,Ann,water,green\nANN@example.org,Ann,,red\n")
    with pytest.raises(UserError) as raised:
        import_csv(connect(), path=path)
    assert raised.value.message.splitlines()[0] == (
        f"{path}:3:1: ANN@example.org is the reader of line 2 (ann@example.org, differing "
        "only in case) with another name, topics or TLP: keep one of the two rows"
    )
    assert listing(connect()) == []


def test_lines_are_the_files_own_after_a_quoted_field_that_spans_lines(state, tmp_path):
    path = _csv(tmp_path, (
        '"ann@example.org","Ann\n'
        'Smith",,green\n'
        'bob@example.org,"Bob ""the builder""",,green\n'
        "\n"
        "cat@example.org,Cat,,amber-ish\n"
    ))
    report = import_csv(connect(), path=path, skip_invalid=True)
    assert report.problems[0].startswith(f"{path}:2:19: a field contains a line break")
    assert report.problems[1].startswith(f"{path}:6:22: unknown TLP 'amber-ish'")
    assert len(report.problems) == 2
    assert [s.name for s in listing(connect())] == ['Bob "the builder"']


@pytest.mark.parametrize("name", ["Ann\u202eevil", "An\u200bn", "Ann\u2066x\u2069"])
def test_a_name_cannot_carry_invisible_or_bidi_characters(state, name):
    with pytest.raises(UserError, match=r"invisible character U\+"):
        add(connect(), address="ann@example.org", name=name)
    assert listing(connect()) == []


def test_a_name_or_topic_has_a_sane_length(state):
    with pytest.raises(UserError, match="a name is at most 200 characters, got 100,000"):
        add(connect(), address="ann@example.org", name="x" * 100_000)
    with pytest.raises(UserError, match="a topic is at most 200 characters"):
        add(connect(), address="ann@example.org", topics=["x" * 201])
    assert listing(connect()) == []


def test_links_mailed_before_addresses_were_compared_whole_keep_working(state):
    """A database from before: Ann's key kept the local part's case, and so did her link."""
    from briefings.deliver.tokens import secret, sign

    conn = connect()
    conn.execute(
        "INSERT INTO subscribers (address, address_key, created, updated)"
        " VALUES ('Ann@Example.org', 'Ann@example.org', 'x', 'x')"
    )
    conn.close()
    conn = connect()  # opening re-keys the row: Ann is found whatever the case
    ann, created = add(conn, address="ann@EXAMPLE.org", name="Ann")
    assert not created
    assert ann.address == "Ann@Example.org"
    old_link = sign(secret(conn), subscriber=ann.id, address_key="Ann@example.org")
    conn.close()
    with serving_empty(state) as base:
        assert httpx.get(f"{base}/unsubscribe/{ann.id}/{old_link}").status_code == 200
        assert httpx.post(f"{base}/unsubscribe/{ann.id}/{old_link}").status_code == 200
    assert [s.status for s in listing(connect())] == ["unsubscribed"]


@pytest.mark.parametrize("path", [
    "/unsubscribe/" + "9" * 5000 + "/token",
    "/unsubscribe/99999999999999999999/token",
    "/unsubscribe/-1/token",
    "/unsubscribe/1/" + "A" * 10000,
    "/unsubscribe/1/%00%ff",
])
def test_a_huge_or_malformed_unsubscribe_link_is_refused_never_a_server_error(state, path):
    add(connect(), address="ann@example.org")
    with serving_empty(state) as base:
        host, port = base.removeprefix("http://").split(":")
        for method in ("GET", "POST"):
            raw = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                raw.request(method, path)
                status = raw.getresponse().status
            finally:
                raw.close()
            assert 400 <= status < 500, (method, status)
    assert [s.status for s in listing(connect())] == ["active"]


@pytest.mark.parametrize(
    ("content", "place", "message"),
    [
        (HEADER.encode() + b"ann@example.org,Ann,,clear\nb\xffb@example.org,B,,clear\n",
         ":3:2:", "not valid UTF-8 text"),
        ((HEADER + "ann@example.org," + "x" * 200_000 + ",,clear\n").encode(),
         ":2:1:", "field larger than field limit"),
        (b"mail,name\nann@example.org,Ann\n", ":1:1:", "expected the header email,name,topics,tlp"),
    ],
)
def test_a_file_that_cannot_be_read_as_csv_is_refused_with_its_place(
    state, tmp_path, content, place, message,
):
    path = tmp_path / "readers.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["subscribers", "import", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}{place} {message}"), result.output
    assert listing(connect()) == []


@pytest.mark.parametrize("sender", ["Desk\u202e <desk@example.org>",
                                    "De\u200bsk <desk@example.org>"])
def test_the_sender_name_cannot_carry_invisible_or_bidi_characters(sender):
    from briefings.deliver.mail import sender_address

    with pytest.raises(UserError, match=r"BRIEFINGS_FROM: the name: invisible character U\+"):
        sender_address(sender)
    assert sender_address("Desk <desk@example.org>").display_name == "Desk"
