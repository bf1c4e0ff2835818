"""What the SMTP server said is what the ledger records: every reply, every stage.

A real aiosmtpd server on 127.0.0.1 answers each stage of a message (MAIL, RCPT,
the DATA command, the reply after the body) with the code a test scripts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from mail_helpers import DATE, LATER

from briefings.cli.main import cli
from briefings.deliver.ledger import deliver
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add
from briefings.deliver.transports import SmtpTransport
from briefings.editions import editions

pytest_plugins = ["mail_fixtures"]

STAGES = ["MAIL", "RCPT", "DATA", "body"]


def _send(conn, folder: Path, url: str, *, date: str | None = DATE, sleeps=None, **kw):
    chosen = [e for e in editions(folder) if e.briefing == "river-dispute" and e.date == date]
    record = sleeps if sleeps is not None else []
    return deliver(conn=conn, editions=chosen, transport=SmtpTransport(url), public_url="",
                   backoff=0.5, sleep=record.append, **kw)


def _ledger(conn, briefing: str = "river-dispute", date: str = DATE) -> dict[str, tuple]:
    rows = conn.execute(
        "SELECT s.address, d.status, d.reply FROM deliveries d JOIN subscribers s"
        " ON s.id = d.subscriber WHERE d.briefing = ? AND d.date = ?", (briefing, date))
    return {r[0]: (r[1], r[2]) for r in rows}


def _readers(conn, *names: str) -> list[str]:
    addresses = [f"{n}@example.org" for n in names]
    for address in addresses:
        add(conn, address=address, topics=["water"], tlp="green")
    return addresses


def _script(smtp, stage: str, address: str, replies: list[str]) -> None:
    if stage == "MAIL":  # MAIL comes before the recipient is known: the next MAILs
        smtp.mail_replies.extend(replies)
    else:
        {"RCPT": smtp.rcpt_replies, "DATA": smtp.data_replies,
         "body": smtp.body_replies}[stage][address] = list(replies)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("reply", ["550 5.1.1 no such user", "552 5.3.4 message too big",
                                   "554 5.7.1 rejected as spam"])
def test_a_5xx_at_any_stage_is_failed_with_the_servers_words(state, built, smtp, stage, reply):
    conn = connect()
    first, *others = _readers(conn, "first", "second", "third")
    _script(smtp, stage, first, [reply])
    sleeps: list[float] = []

    report = _send(conn, built, smtp.url, sleeps=sleeps)

    assert smtp.stages == [(stage, reply)]  # asked once: a 5xx is not retried
    assert sleeps == []
    assert sorted(r.recipients[0] for r in smtp.received) == sorted(others)
    ledger = _ledger(conn)
    assert ledger[first] == ("failed", reply)
    assert all(ledger[a] == ("sent", "250 2.0.0 queued") for a in others)
    assert (report.sent, report.pending, report.failed, report.ok) == (2, 0, 1, False)
    assert [str(u) for u in report.undelivered] == [f"river-dispute {DATE} -> {first}: "
                                                    f"failed: {reply}"]
    again = _send(conn, built, smtp.url)
    assert (again.sent, again.failed, again.skipped) == (0, 0, 3)
    assert len(smtp.stages) == 1


@pytest.mark.parametrize("stage", STAGES)
def test_a_4xx_at_any_stage_is_retried_then_left_pending(state, built, smtp, stage):
    conn = connect()
    first, *others = _readers(conn, "first", "second")
    reply = "451 4.3.0 try again later"
    _script(smtp, stage, first, [reply] * 3)
    sleeps: list[float] = []

    report = _send(conn, built, smtp.url, sleeps=sleeps, attempts=3)

    assert smtp.stages == [(stage, reply)] * 3
    assert sleeps == [0.5, 1.0]
    assert [r.recipients[0] for r in smtp.received] == others
    assert _ledger(conn)[first] == ("pending", reply)
    assert (report.sent, report.pending, report.failed, report.ok) == (1, 1, 0, False)
    assert "1 sent, 1 pending, 0 failed" in report.summary()

    later = _send(conn, built, smtp.url)  # the next send tries it again
    assert (later.sent, later.pending, later.ok) == (1, 0, True)
    assert [r.recipients[0] for r in smtp.received] == [*others, first]
    assert _ledger(conn)[first] == ("sent", "250 2.0.0 queued")


def test_a_4xx_after_the_body_then_a_2xx_is_sent_once(state, built, smtp):
    conn = connect()
    (reader,) = _readers(conn, "slow")
    smtp.body_replies[reader] = ["452 4.3.1 insufficient storage"]
    sleeps: list[float] = []
    report = _send(conn, built, smtp.url, sleeps=sleeps)
    assert (report.sent, report.ok, sleeps) == (1, True, [0.5])
    assert [r.recipients for r in smtp.received] == [[reader]]
    assert _ledger(conn)[reader] == ("sent", "250 2.0.0 queued")


def test_a_421_closes_the_connection_and_the_next_message_opens_another(state, built, smtp):
    conn = connect()
    first, second = _readers(conn, "first", "second")
    smtp.body_replies[first] = ["421 4.3.2 shutting down"]
    report = _send(conn, built, smtp.url)
    assert (report.sent, report.ok) == (2, True)
    assert smtp.connections == 2
    assert sorted(r.recipients[0] for r in smtp.received) == [first, second]


def test_pending_deliveries_of_earlier_editions_go_with_a_later_send(state, built, smtp):
    conn = connect()
    busy, fine = _readers(conn, "busy", "fine")
    smtp.rcpt_replies[busy] = ["450 4.2.1 mailbox busy"]
    first = _send(conn, built, smtp.url, attempts=1)
    assert (first.sent, first.pending) == (1, 1)
    _readers(conn, "newcomer")  # joined since: gets the new edition, not the old one

    later = _send(conn, built, smtp.url, date=LATER, out=built)

    got = sorted((r.recipients[0], r.message["Subject"][-10:]) for r in smtp.received)
    assert got == sorted([
        (fine, DATE), (busy, DATE),
        (busy, LATER), (fine, LATER), ("newcomer@example.org", LATER),
    ])
    assert (later.sent, later.pending, later.ok) == (4, 0, True)
    assert _ledger(conn)[busy] == ("sent", "250 2.0.0 queued")


def test_a_delivery_pending_too_long_expires_with_a_report(state, built, smtp):
    conn = connect()
    busy, fine = _readers(conn, "busy", "fine")
    smtp.rcpt_replies[busy] = ["451 4.4.1 no answer from host"]
    _send(conn, built, smtp.url, attempts=1)
    conn.execute("UPDATE deliveries SET queued = '2000-01-01T00:00:00+00:00'"
                 " WHERE status = 'pending'")

    report = _send(conn, built, smtp.url, date=LATER, out=built, pending_days=5)

    status, reply = _ledger(conn)[busy]
    assert status == "failed"
    assert reply == "not delivered within 5 days; the last reply was 451 4.4.1 no answer from host"
    assert [str(u) for u in report.undelivered] == [f"river-dispute {DATE} -> {busy}: expired: "
                                                    f"{reply}"]
    assert (report.sent, report.failed, report.ok) == (2, 1, False)
    assert "2 sent, 0 pending, 1 failed (1 expired)" in report.summary()
    assert [r.recipients[0] for r in smtp.received if DATE in r.message["Subject"]] == [fine]
    assert _send(conn, built, smtp.url, date=LATER, out=built).failed == 0  # reported once


def test_a_pending_delivery_to_a_reader_who_left_is_dropped(state, built, smtp):
    conn = connect()
    (gone,) = _readers(conn, "gone")
    smtp.rcpt_replies[gone] = ["451 4.3.0 later"]
    _send(conn, built, smtp.url, attempts=1)
    conn.execute("UPDATE subscribers SET status = 'unsubscribed'")
    report = _send(conn, built, smtp.url, date=LATER, out=built)
    assert (report.sent, report.pending, report.ok) == (0, 0, True)
    assert _ledger(conn) == {}
    assert smtp.received == []


def test_one_edition_that_cannot_be_sent_does_not_stop_the_others(state, built, smtp, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    (out / "basin-power" / DATE / f"basin-power-{DATE}.pdf").unlink()
    conn = connect()
    add(conn, address="all@example.org", tlp="red")
    chosen = [e for e in editions(out) if e.date == DATE]
    report = deliver(conn=conn, editions=chosen, transport=SmtpTransport(smtp.url),
                     public_url="")
    assert sorted(r.message["Subject"].split(" - ")[0] for r in smtp.received) == [
        "[TLP:CLEAR] Basin watch", "[TLP:GREEN] The Lower Basin water dispute"]
    assert [(u.edition, u.address, u.outcome) for u in report.undelivered] == [
        (f"basin-power {DATE}", "", "failed")]
    assert "No such file" in report.undelivered[0].reply
    assert not report.ok
    assert "1 edition not sent" in report.summary()


def test_send_exits_non_zero_and_names_address_and_code(state, built, smtp, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_SMTP_URL", smtp.url)
    conn = connect()
    refused, busy, fine = _readers(conn, "refused", "busy", "fine")
    smtp.body_replies[refused] = ["554 5.7.1 message refused"]
    smtp.rcpt_replies[busy] = ["452 4.2.2 over quota"] * 3
    monkeypatch.setattr("time.sleep", lambda _: None)

    result = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE,
                                      "river-dispute"])

    assert result.exit_code == 1
    assert "deliveries: 1 sent, 1 pending, 1 failed" in result.output
    assert f"river-dispute {DATE} -> {refused}: failed: 554 5.7.1 message refused" \
        in result.output
    assert f"river-dispute {DATE} -> {busy}: pending: 452 4.2.2 over quota" in result.output
    assert [r.recipients[0] for r in smtp.received] == [fine]


def test_a_reply_is_kept_on_one_line_without_control_characters(state, built, smtp):
    conn = connect()
    (reader,) = _readers(conn, "odd")
    smtp.rcpt_replies[reader] = ["550 5.1.1 no \x1b[31mred\x07 user"]
    _send(conn, built, smtp.url)
    assert _ledger(conn)[reader] == ("failed", "550 5.1.1 no ?[31mred? user")


def test_send_with_ids_retries_only_their_pending_deliveries(state, built, smtp, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_SMTP_URL", smtp.url)
    conn = connect()
    (busy,) = _readers(conn, "busy")
    smtp.rcpt_replies[busy] = ["451 4.3.0 later"] * 6  # three tries for each of two editions
    monkeypatch.setattr("time.sleep", lambda _: None)
    first = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE])
    assert first.exit_code == 1
    assert first.output.count(f"-> {busy}: pending: 451 4.3.0 later") == 2  # two editions

    only = CliRunner().invoke(cli, ["send", "--out", str(built), "basin-power"])
    assert only.exit_code == 0, only.output
    assert smtp.received == []  # basin-power is not for this reader; nothing else retried
    watch = CliRunner().invoke(cli, ["send", "--out", str(built), "basin-watch"])
    assert watch.exit_code == 0, watch.output
    assert [r.message["Subject"] for r in smtp.received] == [
        f"[TLP:CLEAR] Basin watch - {DATE}"]
    rest = CliRunner().invoke(cli, ["send", "--out", str(built)])
    assert rest.exit_code == 0, rest.output
    assert sorted(r.message["Subject"][-10:] for r in smtp.received) == [DATE, DATE, LATER]


def test_a_multi_line_reply_is_recorded_whole_on_one_line(state, built, smtp):
    conn = connect()
    (reader,) = _readers(conn, "multi")
    smtp.body_replies[reader] = ["552-5.2.2 mailbox full\r\n552 5.2.2 try another address"]
    _send(conn, built, smtp.url)
    assert _ledger(conn)[reader] == ("failed",
                                     "552 5.2.2 mailbox full 5.2.2 try another address")


def test_a_reply_to_data_that_is_not_354_is_no_acceptance(state, built, smtp):
    conn = connect()
    (reader,) = _readers(conn, "odd")
    smtp.data_replies[reader] = ["250 OK"] * 3
    report = _send(conn, built, smtp.url)
    assert (report.sent, report.pending) == (0, 1)
    assert _ledger(conn)[reader] == ("pending", "-1 unexpected reply to DATA: 250 OK")
    assert smtp.received == []


def test_a_ledger_from_an_earlier_version_gains_the_queued_time(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE deliveries (briefing TEXT NOT NULL, date TEXT NOT NULL, subscriber"
        " INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL"
        " DEFAULT 0, reply TEXT NOT NULL DEFAULT '', message_id TEXT NOT NULL DEFAULT '',"
        " updated TEXT NOT NULL, PRIMARY KEY (briefing, date, subscriber));"
        "INSERT INTO deliveries (briefing, date, subscriber, updated)"
        " VALUES ('b', '2024-04-01', 1, '2024-04-01T06:00:00+00:00');")
    old.close()
    conn = connect(path)
    row = conn.execute("SELECT status, queued FROM deliveries").fetchone()
    assert tuple(row) == ("pending", "2024-04-01T06:00:00+00:00")
    connect(path).close()  # a second open changes nothing
