"""A stop is clean: SIGTERM or SIGINT during build, run or send, in a real subprocess.

Every worker process ends, no partial or temporary file is left in the output
folder, the lock is released, the command exits non-zero, and the next run picks
up where it stopped without sending anything twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mail_helpers import DATE, ROOT

from briefings.cli.main import cli
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add
from briefings.editions import MANIFEST, PUBLIC, RECORD

pytest_plugins = ["mail_fixtures"]

SEEDS = ROOT / "seeds"


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc: the PDF workers, Graphviz...)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        kids = {child for child, ppid in parents.items() if ppid == parent}
        found |= kids
        todo.extend(kids)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _wait_for(condition, what: str, limit: float = 120) -> None:
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _left_behind(out: Path) -> list[str]:
    """Temporary files and folders, and editions whose files are not all there."""
    if not out.exists():
        return []
    bad = [str(p) for p in out.rglob(".*") if p.name != RECORD]
    for manifest in out.rglob(MANIFEST):
        folder = manifest.parent
        bad += [str(folder / n) for n in ("index.html",) if not (folder / n).exists()]
    bad += [str(d) for d in out.glob("*/*")
            if d.is_dir() and d.parent.name != PUBLIC and not (d / MANIFEST).exists()]
    return bad


def _briefings(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "briefings", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop_while_printing(process: subprocess.Popen, signum: int) -> tuple[str, set[int]]:
    """Wait until PDF workers print, send ``signum``; the command's stderr and workers."""
    _wait_for(lambda: len(_children(process.pid)) >= 2 or process.poll() is not None,
              "the PDF workers")
    assert process.poll() is None, process.communicate()
    workers = _children(process.pid)
    time.sleep(0.5)  # well into the work
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=60)
    finally:  # whatever the outcome, leave no process of ours behind
        for pid in _alive(workers) | ({process.pid} if process.poll() is None else set()):
            os.kill(pid, signal.SIGKILL)
    return err, workers


def _again(args: tuple[str, ...], env: dict[str, str]) -> Result:
    """The next command after a stop, in this process: only the stop needs its own."""
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    names = ("BRIEFINGS_SMTP_URL", "BRIEFINGS_ALERT_TO", "BRIEFINGS_PUBLIC_URL")
    base = {k: v for k, v in os.environ.items() if k not in names}
    return {**base, "PYTHONPATH": str(ROOT), "BRIEFINGS_STATE": str(tmp_path / "state.db"),
            "BRIEFINGS_OUTBOX": str(tmp_path / "outbox"), "BRIEFINGS_SECRET": "s"}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_build_stopped_mid_way_ends_its_workers_and_leaves_nothing_half_written(
    tmp_path, env, signum,
):
    out = tmp_path / "out"
    args = ("build", "--seeds", str(SEEDS), "--out", str(out), "--date", "2025-04-09",
            "--jobs", "2")
    process = _briefings(*args, cwd=tmp_path, env=env)

    err, workers = _stop_while_printing(process, signum)

    assert process.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}, cleanly" in err
    assert "Traceback" not in err
    _wait_for(lambda: not _alive(workers), "the workers to end", limit=10)
    assert _left_behind(out) == []
    again = _again(args, env)
    assert again.exit_code == 0, again.output
    assert _left_behind(out) == []
    assert (out / "index.html").is_file()


def test_a_run_stopped_while_building_releases_the_lock_and_the_next_run_sends_once(
    tmp_path, env,
):
    out, outbox = tmp_path / "out", tmp_path / "outbox"
    state = Path(env["BRIEFINGS_STATE"])
    conn = connect(state)
    for n in range(3):
        add(conn, address=f"reader{n}@example.org", tlp="red")
    args = ("run", "--seeds", str(SEEDS), "--out", str(out), "--now", "2025-04-09T12:00Z",
            "--jobs", "2")
    process = _briefings(*args, cwd=tmp_path, env=env)

    err, workers = _stop_while_printing(process, signal.SIGTERM)

    assert process.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    _wait_for(lambda: not _alive(workers), "the workers to end", limit=10)
    assert _left_behind(out) == []
    assert not outbox.exists() or not [p for p in outbox.iterdir() if p.name.startswith(".")]
    assert conn.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0
    again = _again(args, env)
    assert again.exit_code == 0, again.output
    sent = conn.execute("SELECT briefing, subscriber, COUNT(*) FROM deliveries"
                        " WHERE status = 'sent' GROUP BY briefing, subscriber").fetchall()
    files = sorted(p.name for p in outbox.glob("*.eml"))
    assert len(files) == len(sent) > 0
    assert len(set(files)) == len(files)


def test_a_send_stopped_mid_list_finishes_the_message_in_flight_and_never_sends_twice(
    state, built, smtp, tmp_path,
):
    conn = connect()
    readers = [f"reader{n}@example.org" for n in range(6)]
    for address in readers:
        add(conn, address=address, topics=["water"], tlp="green")
    env = {**os.environ, "BRIEFINGS_SMTP_URL": smtp.url, "PYTHONPATH": str(ROOT)}
    args = ("send", "--out", str(built), "--date", DATE, "river-dispute")
    smtp.hold_at = 3
    process = _briefings(*args, cwd=tmp_path, env=env)
    assert smtp.holding.wait(timeout=120), "the send never reached the third message"

    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the signal arrives while the server holds the third message
    smtp.hold_at = None
    smtp.release.set()
    _, err = process.communicate(timeout=60)

    assert process.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert conn.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0
    assert [r.recipients[0] for r in smtp.received] == readers[:3]
    statuses = dict(conn.execute("SELECT s.address, d.status FROM deliveries d JOIN "
                                 "subscribers s ON s.id = d.subscriber").fetchall())
    assert [statuses[a] for a in readers] == ["sent"] * 3 + ["pending"] * 3

    again = _again(args, env)
    assert again.exit_code == 0, again.output
    assert "3 sent, 0 pending, 0 failed, 3 skipped" in again.output
    assert [r.recipients[0] for r in smtp.received] == readers  # each exactly once
