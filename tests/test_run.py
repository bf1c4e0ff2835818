"""`briefings run` with a fixed clock: due and not due, repeats, catch-up, failures, lock."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from conftest import ROOT, add_briefing, fail_builds_of, rewrite

from briefings.cli.run import run_due
from briefings.config import Settings
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add


@pytest.fixture
def setting(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_STATE", str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("BRIEFINGS_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.delenv("BRIEFINGS_SMTP_URL", raising=False)
    monkeypatch.setenv("BRIEFINGS_SECRET", "test-secret")
    conn = connect(Settings.from_env().state)
    add(conn, address="reader@example.org", name="Reader", topics=["water"], tlp="amber")
    conn.close()
    return tmp_path


def run_at(seeds, out, moment: str):
    return run_due(seeds=seeds, templates=None, out=out, jobs=1, settings=Settings.from_env(),
                   now=datetime.fromisoformat(moment).astimezone(UTC))


def outbox(folder):
    return sorted((folder / "outbox").glob("*.eml"))


def test_due_slot_is_built_and_delivered_once(setting, sample_copy):
    out = setting / "out"
    first = run_at(sample_copy, out, "2024-04-03T09:00:00+00:00")  # Wed; slot Mon 1 April 06:00
    assert [(o.briefing, o.slot, o.status) for o in first.outcomes] == [
        ("river-dispute", "2024-04-01T06:00", "done")]
    assert (out / "river-dispute" / "2024-04-01" / "river-dispute-2024-04-01.pdf").is_file()
    messages = outbox(setting)
    assert len(messages) == 1
    message = email.message_from_bytes(messages[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "[TLP:GREEN] The Lower Basin water dispute - 2024-04-01"
    again = run_at(sample_copy, out, "2024-04-03T09:00:00+00:00")
    later = run_at(sample_copy, out, "2024-04-05T09:00:00+00:00")  # no new slot yet
    assert [o.status for o in again.outcomes + later.outcomes] == ["not-due", "not-due"]
    assert len(outbox(setting)) == 1


def test_after_downtime_only_the_latest_missed_slot_is_built(setting, sample_copy):
    out = setting / "out"
    run_at(sample_copy, out, "2024-04-01T06:00:00+01:00")
    report = run_at(sample_copy, out, "2024-04-30T12:00:00+01:00")  # four Mondays later
    assert [o.slot for o in report.outcomes] == ["2024-04-29T06:00"]
    dates = sorted(p.name for p in (out / "river-dispute").iterdir() if p.is_dir())
    assert dates == ["2024-04-01", "2024-04-29"]
    assert len(outbox(setting)) == 2


def test_before_the_first_slot_nothing_is_due_and_unscheduled_briefings_are_left(
    setting, sample_copy,
):
    add_briefing(sample_copy, "  - id: no-schedule\n    title: Unscheduled\n    bluf: B\n"
                              "    tlp: clear\n    actors: [qamaria]\n")
    report = run_at(sample_copy, setting / "out", "2024-04-01T05:59:00+01:00")
    assert [(o.slot, o.status) for o in report.outcomes] == [("2024-03-25T06:00", "done")]
    assert not (setting / "out" / "no-schedule").exists()


def test_on_unchanged_skip_builds_but_does_not_send(setting, sample_copy):
    rewrite(sample_copy, (
        "    timezone: Europe/London\n", "    timezone: Europe/London\n    on_unchanged: skip\n"))
    out = setting / "out"
    run_at(sample_copy, out, "2024-04-01T07:00:00+01:00")
    second = run_at(sample_copy, out, "2024-04-08T07:00:00+01:00")
    assert [o.status for o in second.outcomes] == ["unchanged"]
    assert (out / "river-dispute" / "2024-04-08" / "index.html").is_file()
    assert len(outbox(setting)) == 1


def test_one_failing_briefing_does_not_stop_the_others(setting, sample_copy, monkeypatch):
    from briefings.publish import build as build_module

    add_briefing(sample_copy)
    real = fail_builds_of(monkeypatch, "river-dispute")
    report = run_at(sample_copy, setting / "out", "2024-04-02T07:00:00+00:00")
    status = {o.briefing: o.status for o in report.outcomes}
    assert status == {"river-dispute": "failed", "second": "done"}
    assert not report.ok
    monkeypatch.setattr(build_module, "build", real)
    retry = run_at(sample_copy, setting / "out", "2024-04-02T08:00:00+00:00")
    assert {o.briefing: o.status for o in retry.outcomes} == {
        "river-dispute": "done", "second": "not-due"}


SAME_MONDAY = (  # a second briefing due on the same local date as river-dispute
    "  - id: second\n    title: Second\n    bluf: B\n    tlp: green\n    topics: [water]\n"
    "    actors: [highland]\n    schedule: '0 7 * * 1'\n    timezone: Europe/London\n"
)


def test_the_knowledge_base_is_loaded_once_and_due_editions_built_together(
    setting, sample_copy, monkeypatch,
):
    add_briefing(sample_copy, SAME_MONDAY)
    from briefings.publish import build as build_module
    from briefings.publish import load as load_module

    calls: dict[str, list] = {"load": [], "build": []}
    real_load, real_build = load_module.load, build_module.build

    def counted_load(seeds):
        calls["load"].append(seeds)
        return real_load(seeds)

    def counted_build(**kwargs):
        calls["build"].append(kwargs["only"])
        return real_build(**kwargs)

    monkeypatch.setattr(load_module, "load", counted_load)
    monkeypatch.setattr(build_module, "build", counted_build)
    report = run_due(seeds=sample_copy, templates=None, out=setting / "out", jobs=2,
                     settings=Settings.from_env(),
                     now=datetime.fromisoformat("2024-04-01T09:00:00+01:00"))
    assert [(o.briefing, o.status) for o in report.outcomes] == [
        ("river-dispute", "done"), ("second", "done")]
    assert calls == {"load": [sample_copy], "build": [["river-dispute", "second"]]}
    assert len(outbox(setting)) == 2
    for briefing in ("river-dispute", "second"):
        assert (setting / "out" / briefing / "2024-04-01" / "manifest.json").is_file()


def test_a_failure_in_a_shared_build_fails_only_its_briefing(setting, sample_copy, monkeypatch):
    add_briefing(sample_copy, SAME_MONDAY)
    fail_builds_of(monkeypatch, "river-dispute")
    report = run_at(sample_copy, setting / "out", "2024-04-01T09:00:00+01:00")
    outcomes = {o.briefing: (o.status, o.detail) for o in report.outcomes}
    assert outcomes["river-dispute"] == ("failed", "not built: OSError: disk full")
    assert outcomes["second"][0] == "done"
    assert len(outbox(setting)) == 1


def test_two_runs_at_once_one_works_the_other_exits(setting, sample_copy):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom briefings.deliver.state import connect, one_at_a_time\n"
         "from briefings.config import Settings\n"
         "with one_at_a_time(connect(Settings.from_env().state)):\n"
         "    print('holding', flush=True)\n"
         "    sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        second = subprocess.run(
            [sys.executable, "-m", "briefings", "run", "--seeds", str(sample_copy), "--out",
             str(setting / "out"), "--now", "2024-04-03T09:00Z"],
            capture_output=True, text=True, timeout=60, env=env, check=False, cwd=setting,
        )
    finally:
        holder.communicate("done\n", timeout=30)
    assert second.returncode == 1
    assert "already running" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (setting / "out").exists()
    after = subprocess.run(
        [sys.executable, "-m", "briefings", "run", "--seeds", str(sample_copy), "--out",
         str(setting / "out"), "--now", "2024-04-03T09:00Z", "--jobs", "1"],
        capture_output=True, text=True, timeout=120, env=env, check=False, cwd=setting,
    )
    assert after.returncode == 0, after.stderr
    assert "river-dispute: done" in after.stdout


def test_a_slot_retried_after_the_knowledge_base_changed_keeps_the_edition_as_sent(
    setting, sample_copy,
):
    out = setting / "out"
    first = run_at(sample_copy, out, "2024-04-03T09:00:00+00:00")
    assert [o.status for o in first.outcomes] == ["done"]
    folder = out / "river-dispute" / "2024-04-01"
    sent = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    conn = connect(Settings.from_env().state)
    conn.execute("UPDATE runs SET status = 'failed'")  # as if a reader were still pending
    add(conn, address="later@example.org", topics=["water"], tlp="green")
    conn.close()
    rewrite(sample_copy, ("rate_percent: 15", "rate_percent: 25"))
    again = run_at(sample_copy, out, "2024-04-03T10:00:00+00:00")
    [outcome] = again.outcomes
    assert outcome.status == "done", outcome.detail
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == sent
    assert not (folder / "correction-1").exists(), "run never corrects by itself"
    messages = outbox(setting)
    assert len(messages) == 2
    late = [m for m in messages if m.name.endswith("-2.eml")]
    assert len(late) == 1
    text = email.message_from_bytes(late[0].read_bytes(), policy=email.policy.default)
    assert "Correction" not in text["Subject"]


def test_the_next_run_mails_a_correction_to_the_readers_of_the_original(setting, sample_copy):
    from briefings.publish.build import build

    out = setting / "out"
    run_at(sample_copy, out, "2024-04-03T09:00:00+00:00")
    rewrite(sample_copy, ("rate_percent: 15", "rate_percent: 25"))
    build(seeds=sample_copy, templates=None, out=out, date="2024-04-01", jobs=1,
          correct="The rate is 25%.", now=datetime(2024, 4, 3, 10, tzinfo=UTC),
          settings=Settings.from_env())
    report = run_at(sample_copy, out, "2024-04-03T11:00:00+00:00")
    assert [(o.briefing, o.status) for o in report.outcomes] == [
        ("river-dispute", "not-due"), ("notices", "done")]
    assert report.ok
    [original, correction] = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in outbox(setting)]
    assert "Correction" in correction["Subject"]
    assert correction["To"] == original["To"]
    assert correction["Message-ID"] != original["Message-ID"]
    again = run_at(sample_copy, out, "2024-04-03T12:00:00+00:00")
    assert [o.briefing for o in again.outcomes] == ["river-dispute"]
    assert len(outbox(setting)) == 2
def test_a_pending_delivery_is_retried_by_later_runs_also_for_an_earlier_edition(
    setting, sample_copy, monkeypatch,
):
    from aiosmtpd.controller import Controller
    from mail_helpers import Recorder, free_port

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("BRIEFINGS_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setattr("time.sleep", lambda _: None)
    recorder.rcpt_replies["reader@example.org"] = ["451 4.3.0 mailbox busy"] * 3
    out = setting / "out"
    try:
        first = run_at(sample_copy, out, "2024-04-01T07:00:00+01:00")
        assert [(o.status, o.detail) for o in first.outcomes] == [
            ("failed", "edition 1 of 2024-04-01: 0 sent, 1 pending, 0 failed, 0 skipped "
                       "(already sent or failed before)")]
        assert not first.ok
        later = run_at(sample_copy, out, "2024-04-08T07:00:00+01:00")  # the next slot
    finally:
        controller.stop()
    assert [o.status for o in later.outcomes] == ["done"]
    assert (later.ok, later.delivery.sent) == (True, 2)
    subjects = sorted(r.message["Subject"][-10:] for r in recorder.received)
    assert subjects == ["2024-04-01", "2024-04-08"]  # the earlier edition too, once


def test_a_schedule_that_cannot_be_worked_out_does_not_stop_the_others(
    setting, sample_copy, monkeypatch,
):
    add_briefing(sample_copy)
    from briefings.cli import run as job

    real = job.latest_slot

    def broken(briefing, now):
        if briefing.id == "river-dispute":
            raise ValueError("a schedule that never fires")
        return real(briefing, now)

    monkeypatch.setattr(job, "latest_slot", broken)
    report = run_at(sample_copy, setting / "out", "2024-04-02T07:00:00+00:00")
    assert [(o.briefing, o.status) for o in report.outcomes] == [
        ("river-dispute", "failed"), ("second", "done")]
    assert report.not_built == ["river-dispute: no slot: ValueError: a schedule that never fires"]
    assert not report.ok
