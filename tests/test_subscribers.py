"""Subscribers: adding, importing, listing, removing, and who matches an edition."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefings.cli.main import cli
from briefings.deliver.state import connect, state_path
from briefings.deliver.subscribers import (
    Subscriber,
    add,
    check_address,
    import_csv,
    listing,
    matches,
    recipients,
    remove,
)
from briefings.errors import UserError

pytest_plugins = ["mail_fixtures"]

HEADER = "email,name,topics,tlp\n"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "readers.csv"
    path.write_text(HEADER + text, encoding="utf-8", newline="")
    return path


def test_add_defaults_to_clear_and_one_address_per_reader_whatever_the_domain_case(state):
    conn = connect()
    first, created = add(conn, address="Ann@Example.ORG", name="Ann")
    assert created
    assert (first.tlp, first.topics, first.status) == ("clear", (), "active")
    again, created = add(conn, address="Ann@example.org", name="Ann B", topics=["water", " "])
    assert not created
    assert [(s.address, s.name, s.topics) for s in listing(conn)] == [
        ("Ann@example.org", "Ann B", ("water",))
    ]
    other, created = add(conn, address="ann@example.org")
    assert created, "the local part is case-sensitive"
    assert other.id != again.id


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
        f"{path}:3", f"{path}:4", f"{path}:5", f"{path}:6",
    ]
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
    assert report.problems == [f"{path}:4: not a valid email address: 'bad'"]
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
    ("amber+strict", (), "amber+strict", (), True),
    ("red", (), "red", (), True),
    ("red", ("water",), "green", ("Water", "basin"), True),
    ("red", ("fisheries",), "green", ("water", "basin"), False),
    ("red", ("fisheries",), "green", (), True),
    ("red", ("*",), "green", ("water",), True),
    ("red", (), "clear", (), True),
])
def test_who_gets_an_edition(clearance, topics, briefing_tlp, briefing_topics, expected):
    reader = _reader(clearance, topics)
    assert matches(reader, tlp=briefing_tlp, topics=briefing_topics) is expected


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
    assert f"{bad}:3: not a valid email address: 'nope'" in refused.output
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
