"""Fixtures for the subscriber, mail, delivery and serve tests.

Load them with ``pytest_plugins = ["mail_fixtures"]``: a real SMTP server
(aiosmtpd on 127.0.0.1, a free port), real editions built from ``tests/sample``,
and a real state database in ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mail_helpers import (
    DATE,
    EXTRA,
    LATER,
    PUBLIC,
    SAMPLE,
    Recorder,
    ScriptedController,
    free_port,
)

from briefings.config import DEFAULT_STATE, Settings
from briefings.publish.build import build


@pytest.fixture
def smtp():
    """A recording SMTP server on 127.0.0.1; ``smtp.url`` is its BRIEFINGS_SMTP_URL."""
    recorder = Recorder()
    controller = ScriptedController(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.url = f"smtp://127.0.0.1:{controller.port}"  # type: ignore[attr-defined]
    try:
        yield recorder
    finally:
        recorder.release.set()
        controller.stop()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT with river-dispute (green; water, basin), basin-power (amber; power) and
    basin-watch (clear; no topics), each on DATE, and river-dispute again on LATER;
    built with the public URL PUBLIC and GREEN admitted to the public site, so the
    emails of the CLEAR and GREEN editions link to their web page."""
    seeds = tmp_path_factory.mktemp("mail-seeds")
    (seeds / "knowledge.yaml").write_bytes((SAMPLE / "knowledge.yaml").read_bytes())
    (seeds / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    out = tmp_path_factory.mktemp("mail-out")
    settings = Settings(public_url=PUBLIC, public_tlp="green")  # GREEN on the web: an intranet
    build(seeds=seeds, templates=None, out=out, date=DATE, jobs=2, settings=settings)
    build(seeds=seeds, templates=None, out=out, date=LATER, jobs=1, only=["river-dispute"],
          settings=settings)
    return out


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh state database and clean settings, run from ``tmp_path``: the
    default database (``connect()``) is the one BRIEFINGS_STATE names for the CLI."""
    for name in ("BRIEFINGS_SMTP_URL", "BRIEFINGS_PUBLIC_URL", "BRIEFINGS_FROM",
                 "BRIEFINGS_SECRET", "BRIEFINGS_OUTBOX", "BRIEFINGS_ALERT_TO",
                 "BRIEFINGS_PUBLIC_TLP", "BRIEFINGS_ORG_DOMAINS"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / DEFAULT_STATE
    monkeypatch.setenv("BRIEFINGS_STATE", str(path))
    monkeypatch.chdir(tmp_path)
    return path
