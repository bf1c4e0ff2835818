"""Delivery: the right editions to the right readers, once, through a real SMTP server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mail_helpers import DATE, LATER, ROOT, free_port

from briefings.cli.main import cli
from briefings.deliver.ledger import deliver, pick_editions
from briefings.deliver.state import connect, one_at_a_time
from briefings.deliver.subscribers import add
from briefings.deliver.transports import SmtpTransport, redact
from briefings.editions import editions

pytest_plugins = ["mail_fixtures"]


def _send(
    conn, out: Path, url: str, *, date: str = DATE, only: tuple[str, ...] = (),
    sleeps: list | None = None, **kw,
):
    chosen = [e for e in editions(out) if e.date == date and (not only or e.briefing in only)]
    record = sleeps if sleeps is not None else []
    return deliver(
        conn=conn, editions=chosen, transport=SmtpTransport(url), public_url="",
        backoff=0.5, sleep=record.append, **kw,
    )


def _ledger(conn) -> dict[tuple[str, str], tuple[str, str]]:
    rows = conn.execute(
        "SELECT d.briefing, s.address, d.status, d.reply FROM deliveries d "
        "JOIN subscribers s ON s.id = d.subscriber"
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def test_each_reader_gets_exactly_the_editions_they_should(state, built, smtp):
    conn = connect()
    add(conn, address="clear@example.org", tlp="clear")
    add(conn, address="water@example.org", tlp="green", topics=["Water"])
    add(conn, address="power@example.org", tlp="amber", topics=["power"])
    add(conn, address="all@example.org", tlp="red", topics=["*"])
    add(conn, address="other@example.org", tlp="red", topics=["fisheries"])
    add(conn, address="gone@example.org", tlp="red")
    conn.execute("UPDATE subscribers SET status = 'unsubscribed' WHERE address LIKE 'gone@%'")

    report = _send(conn, built, smtp.url)

    got = {(r.recipients[0], r.message["Message-ID"].split(".")[0][1:]) for r in smtp.received}
    assert sorted(got) == sorted({
        ("clear@example.org", "basin-watch"),
        ("water@example.org", "basin-watch"), ("water@example.org", "river-dispute"),
        ("power@example.org", "basin-watch"), ("power@example.org", "basin-power"),
        ("all@example.org", "basin-watch"), ("all@example.org", "basin-power"),
        ("all@example.org", "river-dispute"),
        ("other@example.org", "basin-watch"),
    })
    assert len(smtp.received) == 9
    assert (report.sent, report.failed, report.pending, report.ok) == (9, 0, 0, True)
    assert all(status == "sent" for status, _ in _ledger(conn).values())

    again = _send(conn, built, smtp.url)
    assert (again.sent, again.skipped) == (0, 9)
    assert len(smtp.received) == 9


def test_a_451_is_retried_with_backoff_and_a_550_is_recorded_not_retried(state, built, smtp):
    conn = connect()
    for name in ("first", "later", "refused", "last"):
        add(conn, address=f"{name}@example.org", topics=["water"], tlp="green")
    smtp.rcpt_replies["later@example.org"] = ["451 4.3.0 try again later"]
    smtp.rcpt_replies["refused@example.org"] = ["550 5.1.1 no such user"]
    sleeps: list[float] = []

    report = _send(conn, built, smtp.url, only=("river-dispute",), sleeps=sleeps, attempts=3)

    assert sleeps == [0.5]
    assert [r.recipients for r in smtp.received if "river-dispute" in r.message["Message-ID"]] \
        == [["first@example.org"], ["later@example.org"], ["last@example.org"]]
    assert smtp.rcpt_seen.count("later@example.org") == 2
    assert smtp.rcpt_seen.count("refused@example.org") == 1
    ledger = _ledger(conn)
    assert ledger["river-dispute", "later@example.org"] == ("sent", "250 2.0.0 queued")
    assert ledger["river-dispute", "refused@example.org"][0] == "failed"
    assert "550 5.1.1 no such user" in ledger["river-dispute", "refused@example.org"][1]
    assert (report.failed, report.ok) == (1, False)
    assert "refused@example.org: failed: 550" in "\n".join(map(str, report.undelivered))

    rerun = _send(conn, built, smtp.url, only=("river-dispute",))
    assert rerun.sent == 0
    assert smtp.rcpt_seen.count("refused@example.org") == 1


def test_temporary_failures_are_bounded_then_left_for_the_next_run(state, built, smtp):
    conn = connect()
    add(conn, address="busy@example.org", topics=["water"], tlp="green")
    smtp.rcpt_replies["busy@example.org"] = ["452 4.2.2 mailbox full"] * 3
    sleeps: list[float] = []

    report = _send(conn, built, smtp.url, only=("river-dispute",), sleeps=sleeps, attempts=3)

    assert (report.sent, report.pending, report.ok) == (0, 1, False)
    assert sleeps == [0.5, 1.0]
    row = _ledger(conn)["river-dispute", "busy@example.org"]
    assert row == ("pending", "452 4.2.2 mailbox full")
    assert smtp.received == []
    later = _send(conn, built, smtp.url, only=("river-dispute",))
    assert (later.sent, later.ok) == (1, True)
    assert len(smtp.to("busy@example.org")) == 1


def test_a_dropped_connection_is_opened_again(state, built, smtp):
    conn = connect()
    for name in ("a", "b", "c"):
        add(conn, address=f"{name}@example.org", topics=["water"], tlp="green")
    smtp.drop_once.add("b@example.org")

    report = _send(conn, built, smtp.url)

    assert report.ok
    assert sorted(r.recipients[0] for r in smtp.received) == sorted(
        ["a@example.org", "b@example.org", "c@example.org"] * 2
    )
    assert smtp.connections == 2


def _run_send(out: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "briefings", "send", "--out", str(out), "--date", DATE,
         "river-dispute"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_a_send_killed_mid_list_and_rerun_skips_nobody(state, built, smtp, tmp_path):
    conn = connect()
    readers = [f"reader{n}@example.org" for n in range(6)]
    for address in readers:
        add(conn, address=address, topics=["water"], tlp="green")
    smtp.hold_at = 3
    env = {**os.environ, "BRIEFINGS_SMTP_URL": smtp.url, "PYTHONPATH": str(ROOT)}

    first = _run_send(built, env, tmp_path)
    assert smtp.holding.wait(timeout=120), "the send never reached the third message"
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    smtp.hold_at = None
    smtp.release.set()  # the server got the held message: its reply is lost

    second = _run_send(built, env, tmp_path)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()

    got = [r.recipients[0] for r in smtp.received]
    assert set(got) == set(readers)
    assert len(got) - len(set(got)) <= 1
    assert [a for a in readers if got.count(a) > 1] in ([], [readers[2]])
    assert b"4 sent, 0 pending, 0 failed, 2 skipped" in out
    assert all(status == "sent" for status, _ in _ledger(conn).values())


def test_only_one_send_at_a_time(state, built):
    conn = connect()
    add(conn, address="a@example.org")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        conn.execute("INSERT INTO locks VALUES ('send', ?, ?, 'now')",
                     (sleeper.pid, socket.gethostname()))
        result = CliRunner().invoke(cli, ["send", "--out", str(built)])
        assert result.exit_code == 1
        assert "already running" in result.output
        assert not (Path("outbox")).exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    with one_at_a_time(conn):  # a dead holder's lock is taken over
        holder = conn.execute("SELECT pid FROM locks").fetchone()[0]
    assert holder == os.getpid()


def test_without_smtp_mail_goes_to_the_outbox(state, built):
    conn = connect()
    add(conn, address="ann@example.org", name="Ann", topics=["water"], tlp="green")
    result = CliRunner().invoke(cli, ["send", "--out", str(built), "river-dispute"])
    assert result.exit_code == 0, result.output
    files = sorted(Path("outbox").glob("*.eml"))
    assert [f.name for f in files] == [f"river-dispute-{LATER}-1.eml"]
    assert "1 sent, 0 pending, 0 failed" in result.output


def test_dry_run_lists_and_sends_nothing(state, built, smtp, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_SMTP_URL", smtp.url)
    add(connect(), address="ann@example.org", topics=["water"], tlp="green")
    result = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would send river-dispute {DATE} -> ann@example.org" in result.output
    assert f"would send basin-watch {DATE} -> ann@example.org" in result.output
    assert smtp.received == []
    assert connect().execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


def test_a_permanent_failure_makes_the_command_fail(state, built, smtp, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_SMTP_URL", smtp.url)
    add(connect(), address="no@example.org", tlp="clear")
    smtp.rcpt_replies["no@example.org"] = ["550 5.1.1 unknown"]
    result = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE])
    assert result.exit_code == 1
    assert "0 sent, 0 pending, 1 failed" in result.output


def test_passwords_never_appear_in_output(state, built, monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setenv("BRIEFINGS_SMTP_URL", f"smtp://desk:s3cret-pw@127.0.0.1:{port}")
    monkeypatch.setattr("time.sleep", lambda _: None)
    add(connect(), address="ann@example.org")
    result = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE])
    assert result.exit_code == 1
    assert "cannot reach smtp://desk:***@127.0.0.1" in result.output
    assert "s3cret" not in result.output
    assert redact("smtps://u:p%40ss@mail.example.org:465") == "smtps://u:***@mail.example.org:465"
    assert "s3cret" not in repr(SmtpTransport(f"smtp://desk:s3cret@127.0.0.1:{port}"))


def test_pick_editions_latest_by_default_or_of_a_date(built):
    assert {(e.briefing, e.date) for e in pick_editions(built)} == {
        ("river-dispute", LATER), ("basin-power", DATE), ("basin-watch", DATE),
    }
    assert [e.date for e in pick_editions(built, date=DATE, only=["river-dispute"])] == [DATE]
    with pytest.raises(Exception, match="no edition of 1999-01-01"):
        pick_editions(built, date="1999-01-01", only=["river-dispute"])


def test_lines_starting_with_a_dot_survive_smtp(smtp):
    transport = SmtpTransport(smtp.url)
    data = b"Subject: dots\r\n\r\n.a line that starts with a dot\r\n..two\r\n.\r\nend\r\n"
    try:
        reply = transport.send(sender="a@example.org", recipient="b@example.org", data=data,
                               name="x.eml")
        transport.send(sender="a@example.org", recipient="c@example.org",
                       data=b"Subject: x\r\n\r\nno end", name="y.eml")
    finally:
        transport.close()
    assert reply.startswith("250")
    assert smtp.received[0].data == data
    assert smtp.received[1].data.startswith(b"Subject: x\r\n\r\nno end")


def test_login_works_and_a_refused_login_names_no_password(state, built, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from mail_helpers import Recorder

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"desk", b"s3cret pw")
        return AuthResult(success=ok, handled=False)

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(),
                            authenticator=authenticator, auth_require_tls=False,
                            auth_exclude_mechanism=["LOGIN"])  # its LOGIN and smtplib's disagree
    controller.start()
    try:
        add(connect(), address="ann@example.org")
        base = f"127.0.0.1:{controller.port}"
        monkeypatch.setenv("BRIEFINGS_SMTP_URL", f"smtp://desk:wrong-pw@{base}")
        refused = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE])
        assert refused.exit_code == 1
        assert f"smtp://desk:***@{base}: login refused: 535" in refused.output
        assert "wrong-pw" not in refused.output
        monkeypatch.setenv("BRIEFINGS_SMTP_URL", f"smtp://desk:s3cret%20pw@{base}")
        sent = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE])
        assert sent.exit_code == 0, sent.output
        assert "s3cret" not in sent.output
        assert [r.recipients for r in recorder.received] == [["ann@example.org"]]
    finally:
        controller.stop()


def test_starttls_then_login(state, built, tmp_path, monkeypatch):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from mail_helpers import Recorder

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    secured: list[bool] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        secured.append(session.ssl is not None)
        return AuthResult(success=auth_data.password == b"pw", handled=False)

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(),
                            tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_exclude_mechanism=["LOGIN"])
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test's own certificate
        monkeypatch.setenv("BRIEFINGS_SMTP_URL", f"smtp://desk:pw@127.0.0.1:{controller.port}")
        add(connect(), address="ann@example.org")
        result = CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE])
        assert result.exit_code == 0, result.output
        assert secured == [True], "the password went over TLS"
        assert [r.recipients for r in recorder.received] == [["ann@example.org"]]
    finally:
        controller.stop()
