"""Where messages go: an SMTP server, or an outbox folder of ``.eml`` files.

``BRIEFINGS_SMTP_URL`` is ``smtp://[user:pass@]host[:port]`` (STARTTLS when the
server offers it) or ``smtps://…`` (TLS from the start). One connection is reused
for every message and opened again if it drops. The password is never shown:
messages name the server as :func:`redact` prints it.

When the setting is unset, messages are written to ``outbox/`` in the current
folder (``BRIEFINGS_OUTBOX`` to change it), so delivery works on a fresh machine.
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import ssl
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from briefings.errors import UserError

if TYPE_CHECKING:
    from briefings.config import Settings



class TemporaryFailure(Exception):
    """A 4xx reply or a dropped connection: worth trying again later."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class Unreachable(TemporaryFailure):
    """The server cannot be reached at all: stop this run, leave the rest for the next."""


class PermanentFailure(Exception):
    """A 5xx reply: recorded, never retried."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class Transport(Protocol):
    def send(self, *, sender: str, recipient: str, data: bytes, name: str) -> str:
        """Send one message; the server's reply, or TemporaryFailure/PermanentFailure."""

    def close(self) -> None: ...


def redact(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{netloc}").geturl()


def transport_for(settings: Settings) -> Transport:
    """SMTP at ``settings.smtp_url``, or the outbox folder when it is unset."""
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return OutboxTransport(settings.outbox)


def _accepted(code: int) -> bool:
    return 200 <= code < 300


def _reply(code: int, text: bytes | str) -> str:
    """The server's reply on one line: its code and words (multi-line replies joined),
    control characters shown as ``?`` (it is printed to terminals and mailed on)."""
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    words = " ".join(f"{code} {message}".split())
    return "".join("?" if unicodedata.category(c)[0] == "C" else c for c in words)


def _failure(code: int, text: bytes | str) -> Exception:
    """5xx: permanent. 4xx, and any reply that is not a verdict (a 3xx where none
    belongs, smtplib's -1 for an unreadable reply): worth trying again."""
    reply = _reply(code, text)
    return PermanentFailure(reply) if 500 <= code < 600 else TemporaryFailure(reply)


class SmtpTransport:
    """One SMTP connection, opened on first use and again after a drop."""

    def __init__(self, url: str, *, timeout: float = 60) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise UserError(f"BRIEFINGS_SMTP_URL must be smtp://host or smtps://host, got "
                            f"{redact(url)}")
        try:
            port = parts.port
        except ValueError:
            raise UserError(f"BRIEFINGS_SMTP_URL has a bad port: {redact(url)}") from None
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.shown = redact(url)
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return f"SmtpTransport({self.shown!r})"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        try:
            if self.tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise Unreachable(f"cannot reach {self.shown}: {type(exc).__name__}: {exc}") from None
        try:
            self._greet(conn, context)
        except BaseException:
            conn.close()
            raise
        return conn

    def _greet(self, conn: smtplib.SMTP, context: ssl.SSLContext) -> None:
        """EHLO, STARTTLS when offered, and login when the URL names a user."""
        try:
            conn.ehlo()
            secure = self.tls
            if not self.tls and conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
                secure = True
            if self.user:
                if not secure and not _loopback(self.host):
                    raise UserError(f"{self.shown} offers no STARTTLS: refusing to send the "
                                    "password unencrypted; use smtps:// or a server with TLS")
                conn.login(self.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise UserError(f"{self.shown}: login refused: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Unreachable(f"cannot reach {self.shown}: {type(exc).__name__}: {exc}") from None

    def send(self, *, sender: str, recipient: str, data: bytes, name: str) -> str:  # noqa: ARG002
        """One SMTP transaction; every reply is checked: MAIL, RCPT, DATA and the one
        after the body. Only a 2xx after the body means the server took the message."""
        if self.connection is None:
            self.connection = self._connect()
        conn = self.connection
        try:
            code, text = conn.mail(sender)
            if _accepted(code):
                code, text = conn.rcpt(recipient)
            if _accepted(code):
                code, text = _data(conn, data)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise TemporaryFailure(f"connection to {self.shown} dropped: {exc}") from None
        if not _accepted(code):
            self._end(code)
            raise _failure(code, text)
        return _reply(code, text)

    def _end(self, code: int) -> None:
        """After a refusal: RSET to end the transaction, or close on 421 (the server
        is closing) or when RSET fails; the next message opens a new connection."""
        if code == 421:
            self.close()
        else:
            self._reset()

    def _reset(self) -> None:
        try:
            if self.connection is not None:
                self.connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()
        self.connection = None


def _data(conn: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """``SMTP.data`` for a CRLF message, scanning for lines that begin with a dot
    only when there is one (a base64 PDF has none, and is most of the message)."""
    conn.putcmd("data")
    code, text = conn.getreply()
    if code != 354:
        if code < 400:  # a verdict where 354 belongs: not an acceptance
            return -1, b"unexpected reply to DATA: %d %s" % (code, text)
        return code, text
    if data.startswith(b".") or b"\n." in data:
        data = re.sub(rb"(?m)^\.", b"..", data)
    # One send: a separate small write for the final dot would wait on Nagle's algorithm.
    conn.send(data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n"))
    return conn.getreply()


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class OutboxTransport:
    """Writes each message to ``FOLDER/<briefing>-<date>-<subscriber>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, *, sender: str, recipient: str, data: bytes, name: str) -> str:  # noqa: ARG002
        target = self.folder / name
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{name}-", dir=self.folder)
        except OSError as exc:
            raise UserError(f"cannot write to the outbox {self.folder}: {exc}") from None
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            Path(temporary).replace(target)
        except BaseException as exc:  # a stop too: no half-written file is left behind
            Path(temporary).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise UserError(f"cannot write to the outbox {self.folder}: {exc}") from None
            raise
        return f"written to {target}"

    def close(self) -> None:
        pass


def _text(reply: bytes | str) -> str:
    """An SMTP reply as text (smtplib gives bytes; typeshed allows str)."""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
