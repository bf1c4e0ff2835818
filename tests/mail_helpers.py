"""Helpers for the subscriber, mail, delivery and serve tests.

:class:`Recorder` is an aiosmtpd handler that records what it gets and can be
told to answer with a script of replies at each stage of a message (MAIL, RCPT,
the DATA command, the reply after the body), to drop the connection, or to hold
the Nth message until the test lets it go. :class:`ScriptedController` runs it
(aiosmtpd has no hook for the DATA command itself; its server class adds one).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "sample"
DATE = "2024-04-01"
LATER = "2024-05-01"
PUBLIC = "https://briefings.example.org/desk"  # the public URL the mail tests build with

# Two more briefings on the sample's actors, to check who gets what.
EXTRA = """\
briefings:
  - id: basin-power
    title: Power sales in the basin
    bluf: Highland wants to **sell power**.
    tlp: amber
    topics: [power]
    actors: [highland]
  - id: basin-watch
    title: Basin watch
    bluf: A short public note on the basin.
    tlp: clear
    actors: [basin-council]
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(400):  # wait (bounded) for the socket to listen
        if running.started:
            break
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=30)


@dataclass
class Received:
    """One message the server accepted."""

    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """An aiosmtpd handler: records messages; replies as scripted.

    ``mail_replies`` answers the next MAIL commands in turn; ``rcpt_replies``,
    ``data_replies`` (the DATA command) and ``body_replies`` (after the body) are
    scripts per recipient, each reply used once, then the server accepts."""

    received: list[Received] = field(default_factory=list)
    mail_replies: list[str] = field(default_factory=list)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    data_replies: dict[str, list[str]] = field(default_factory=dict)
    body_replies: dict[str, list[str]] = field(default_factory=dict)
    stages: list[tuple[str, str]] = field(default_factory=list)  # (stage, reply) refused
    rcpt_seen: list[str] = field(default_factory=list)
    drop_once: set[str] = field(default_factory=set)
    connections: int = 0
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802, ARG002
        self.connections += 1
        session.host_name = hostname
        return responses

    def _scripted(self, stage: str, script: list[str] | None) -> str | None:
        if not script:
            return None
        reply = script.pop(0)
        self.stages.append((stage, reply))
        return reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802, ARG002
        reply = self._scripted("MAIL", self.mail_replies)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802, ARG002
        self.rcpt_seen.append(address)
        if address in self.drop_once:
            self.drop_once.discard(address)
            server.transport.close()
            return "421 closing"
        reply = self._scripted("RCPT", self.rcpt_replies.get(address))
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def data_command(self, envelope) -> str | None:
        """The reply to the DATA command itself, if scripted (else 354 follows)."""
        return self._scripted("DATA", self.data_replies.get(envelope.rcpt_tos[0]))

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ARG002
        if self.hold_at is not None and len(self.received) + 1 == self.hold_at:
            self.holding.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.release.wait, 300)
        reply = self._scripted("body", self.body_replies.get(envelope.rcpt_tos[0]))
        if reply:
            return reply
        self.received.append(Received(list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


class _ScriptedSMTP(SMTP):
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        reply = None
        if self.envelope is not None and self.envelope.rcpt_tos:
            reply = self.event_handler.data_command(self.envelope)
        if reply:
            await self.push(reply)
            return
        await super().smtp_DATA(arg)


class ScriptedController(Controller):
    """aiosmtpd's Controller, whose server lets the handler answer the DATA command."""

    def factory(self) -> SMTP:
        return _ScriptedSMTP(self.handler, **self.SMTP_kwargs)
