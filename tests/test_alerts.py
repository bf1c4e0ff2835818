"""Alerts: one email to BRIEFINGS_ALERT_TO per send or run that failed to build or deliver."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.headerregistry import Address

import pytest
from click.testing import CliRunner
from conftest import SAMPLE, add_briefing, fail_builds_of
from mail_helpers import DATE

from briefings.cli.main import cli
from briefings.deliver.alerts import (
    LISTED,
    Failures,
    alert_message,
    alert_recipients,
    send_alert,
)
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add
from briefings.errors import UserError

pytest_plugins = ["mail_fixtures"]

DESK = "desk@example.org"


@pytest.fixture
def alerting(state, smtp, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_SMTP_URL", smtp.url)
    monkeypatch.setenv("BRIEFINGS_ALERT_TO", f"Desk <{DESK}>")
    monkeypatch.setenv("BRIEFINGS_FROM", "Briefings <briefings@example.org>")
    monkeypatch.setattr("time.sleep", lambda _: None)
    return smtp


def _send(built, *ids: str):
    return CliRunner().invoke(cli, ["send", "--out", str(built), "--date", DATE, *ids])


def _alerts(smtp) -> list[email.message.EmailMessage]:
    return [r.message for r in smtp.to(DESK)]


def test_a_failed_delivery_sends_one_alert_with_the_servers_words(alerting, built):
    conn = connect()
    for name in ("refused", "gone", "busy", "fine"):
        add(conn, address=f"{name}@example.org", tlp="green", topics=["water"])
    alerting.rcpt_replies["refused@example.org"] = ["550 5.1.1 no such user"]
    alerting.body_replies["gone@example.org"] = ["554 5.7.1 refused by policy"]
    alerting.rcpt_replies["busy@example.org"] = ["451 4.3.0 later"] * 3

    result = _send(built, "river-dispute")

    assert result.exit_code == 1
    assert f"alert sent to {DESK}" in result.output
    (alert,) = _alerts(alerting)
    assert alert["Subject"] == "[briefings] send: 2 deliveries failed"
    assert alert["Auto-Submitted"] == "auto-generated"
    assert alert["From"].addresses[0].addr_spec == "briefings@example.org"
    assert [a.addr_spec for a in alert["To"].addresses] == [DESK]
    assert alert["Message-ID"].endswith("@example.org>")
    body = alert.get_content()
    failed, pending = body.split("Still pending")
    assert f"river-dispute {DATE} -> refused@example.org: failed: 550 5.1.1 no such user" in failed
    assert f"river-dispute {DATE} -> gone@example.org: failed: 554 5.7.1 refused by policy" \
        in failed
    assert f"river-dispute {DATE} -> busy@example.org: pending: 451 4.3.0 later" in pending
    assert "fine@example.org" not in body
    ledger = connect().execute("SELECT COUNT(*) FROM deliveries d JOIN subscribers s"
                               " ON s.id = d.subscriber WHERE s.address = ?", (DESK,))
    assert ledger.fetchone()[0] == 0  # the alert is not a delivery


@pytest.mark.parametrize("script", [{}, {"rcpt_replies": {"busy@example.org": ["452 full"] * 3}}])
def test_no_alert_when_nothing_failed_or_only_pending(alerting, built, script):
    add(connect(), address="busy@example.org", tlp="green", topics=["water"])
    for name, replies in script.items():
        getattr(alerting, name).update(replies)
    result = _send(built, "river-dispute")
    assert result.exit_code == (1 if script else 0)
    assert _alerts(alerting) == []
    assert "alert" not in result.output


def test_a_failed_alert_never_hides_the_failure(alerting, built):
    add(connect(), address="refused@example.org", tlp="green", topics=["water"])
    alerting.rcpt_replies["refused@example.org"] = ["550 5.1.1 no such user"]
    alerting.rcpt_replies[DESK] = ["550 5.7.1 relay denied"]
    result = _send(built, "river-dispute")
    assert result.exit_code == 1
    assert "0 sent, 0 pending, 1 failed" in result.output
    assert "refused@example.org: failed: 550 5.1.1 no such user" in result.output
    assert f"alert to {DESK} NOT sent: 550 5.7.1 relay denied" in result.output
    assert alerting.received == []


def test_a_bad_alert_address_is_refused_before_anything_is_sent(alerting, built, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_ALERT_TO", "desk@example.org, not an address")
    add(connect(), address="ann@example.org", tlp="green", topics=["water"])
    result = _send(built)
    assert result.exit_code == 1
    assert "BRIEFINGS_ALERT_TO: not a valid address" in result.output
    assert "Traceback" not in result.output
    assert alerting.received == []
    assert connect().execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


def test_alert_recipients_take_several_addresses_and_refuse_line_breaks():
    found = alert_recipients("Desk <desk@example.org>, ops@example.org")
    assert [a.addr_spec for a in found] == ["desk@example.org", "ops@example.org"]
    assert alert_recipients("") == ()
    assert alert_recipients(None) == ()
    with pytest.raises(UserError, match="line break"):
        alert_recipients("desk@example.org\r\nBcc: x@example.org")


def test_the_alert_is_a_well_formed_message_that_lists_at_most_a_hundred_lines():
    failures = Failures(
        "run", not_built=("river-dispute (slot 2024-04-01T06:00): OSError: disk full",),
        not_delivered=tuple(f"river-dispute 2024-04-01 -> r{n}@example.org: failed: 550 x\x1b"
                            for n in range(LISTED + 20)),
    )
    sender = Address(display_name="Desk", addr_spec="briefings@example.org")
    data = alert_message(failures, sender=sender, to=[Address(addr_spec=DESK)],
                         when=datetime(2024, 4, 1, 6, 0, tzinfo=UTC)).as_bytes()
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == "[briefings] run: 1 briefing not built, 120 deliveries failed"
    assert parsed["Date"].datetime == datetime(2024, 4, 1, 6, 0, tzinfo=UTC)
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    body = parsed.get_content()
    assert "river-dispute (slot 2024-04-01T06:00): OSError: disk full" in body
    assert body.count("@example.org: failed") == LISTED
    assert "... and 20 more" in body
    assert not Failures("send", pending=("x",))  # pending alone is no alert


def test_a_run_sends_one_alert_for_a_failed_build_and_a_failed_delivery(
    alerting, sample_copy, tmp_path, monkeypatch,
):
    add_briefing(sample_copy)
    fail_builds_of(monkeypatch, "river-dispute")
    conn = connect()
    add(conn, address="refused@example.org", tlp="green")
    add(conn, address="fine@example.org", tlp="green")
    alerting.rcpt_replies["refused@example.org"] = ["550 5.1.1 no such user"]

    result = CliRunner().invoke(cli, ["run", "--seeds", str(sample_copy), "--out",
                                      str(tmp_path / "out"), "--now", "2024-04-02T07:00Z",
                                      "--jobs", "1"])

    assert result.exit_code == 1, result.output
    assert "river-dispute: failed: not built: OSError: disk full" in result.output
    assert "second: failed: edition 1 of 2024-04-02: 1 sent, 0 pending, 1 failed" \
        in result.output
    (alert,) = _alerts(alerting)
    assert alert["Subject"] == "[briefings] run: 1 briefing not built, 1 delivery failed"
    body = alert.get_content()
    assert "river-dispute (slot 2024-04-01T06:00): OSError: disk full" in body
    assert "second 2024-04-02 -> refused@example.org: failed: 550 5.1.1 no such user" in body
    assert [r.recipients for r in alerting.received if r.recipients != [DESK]] == [
        ["fine@example.org"]]


def test_a_run_whose_knowledge_base_is_broken_alerts_too(alerting, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = (SAMPLE / "knowledge.yaml").read_text(encoding="utf-8")
    (seeds / "knowledge.yaml").write_text(text.replace("kind: state", "kind: empire", 1),
                                          encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--seeds", str(seeds), "--out",
                                      str(tmp_path / "out"), "--now", "2024-04-02T07:00Z"])
    assert result.exit_code == 1
    assert "expected one of" in result.output
    (alert,) = _alerts(alerting)
    assert alert["Subject"] == "[briefings] run: 1 briefing not built"
    assert "knowledge.yaml:" in alert.get_content()
    assert "expected one of" in alert.get_content()


def test_a_send_that_cannot_deliver_at_all_tries_to_alert_and_still_fails(
    state, built, tmp_path, monkeypatch,
):
    monkeypatch.setenv("BRIEFINGS_ALERT_TO", DESK)
    outbox = tmp_path / "outbox-file"
    outbox.write_text("not a folder")
    monkeypatch.setenv("BRIEFINGS_OUTBOX", str(outbox))
    add(connect(), address="ann@example.org", tlp="green", topics=["water"])
    result = _send(built, "river-dispute")
    assert result.exit_code == 1
    assert f"stopped: cannot write to the outbox {outbox}" in result.output
    assert "0 sent, 1 pending, 0 failed" in result.output
    assert f"alert to {DESK} NOT sent: cannot write to the outbox" in result.output
    assert "Traceback" not in result.output


def test_two_alerts_in_the_same_second_keep_both_files(tmp_path):
    from briefings.deliver.transports import OutboxTransport

    failures = Failures("send", not_delivered=("river-dispute 2024-04-01 -> r@example.org: x",))
    sender = Address(addr_spec="briefings@example.org")
    for _ in range(2):
        said = send_alert(failures, to=[Address(addr_spec=DESK)], sender=sender,
                          transport=OutboxTransport(tmp_path))
        assert said == [f"alert sent to {DESK}"]
    assert len(list(tmp_path.glob("alert-*.eml"))) == 2
