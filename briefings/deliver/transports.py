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
import re
import smtplib
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from briefings.editions import write_file
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


def _failure(code: int, text: bytes | str) -> Exception:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    reply = f"{code} {message}".strip()
    return PermanentFailure(reply) if code >= 500 else TemporaryFailure(reply)


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
        if self.connection is None:
            self.connection = self._connect()
        conn = self.connection
        try:
            code, text = conn.mail(sender)
            if code != 250:
                conn.rset()
                raise _failure(code, text)
            code, text = conn.rcpt(recipient)
            if code not in {250, 251}:
                conn.rset()
                raise _failure(code, text)
            code, text = _data(conn, data)
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _failure(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise TemporaryFailure(f"connection to {self.shown} dropped: {exc}") from None
        return f"{code} {text.decode('utf-8', 'replace')}"

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
        raise smtplib.SMTPDataError(code, text)
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
            write_file(target, data, mode=0o600)  # a reader's message: private, as mkstemp makes it
        except OSError as exc:
            raise UserError(f"cannot write to the outbox {self.folder}: {exc}") from None
        return f"written to {target}"

    def close(self) -> None:
        pass


def _text(reply: bytes | str) -> str:
    """An SMTP reply as text (smtplib gives bytes; typeshed allows str)."""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
