"""Alerts: one email to the desk when a ``run`` or ``send`` failed to build or deliver.

With ``BRIEFINGS_ALERT_TO`` set (one address, or several separated by commas), a
command in which any briefing failed to build, any message was refused for good
(5xx), expired after days pending, an edition could not be sent at all, or delivery
had to stop (the server unreachable, a refused login), ends by mailing one alert to
it: what failed, for whom, and the server's own words, with what is still pending
listed after. One alert per command, whatever the retries.
The alert goes the way the editions go (SMTP or the outbox). If it cannot be sent,
the command says so and still exits non-zero for the original failure.
"""

from __future__ import annotations

import email.utils
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from typing import TYPE_CHECKING

from briefings.deliver.retry import PENDING_DAYS
from briefings.deliver.subscribers import check_address
from briefings.errors import UserError

if TYPE_CHECKING:
    from briefings.config import Settings
    from briefings.deliver.report import DeliveryReport
    from briefings.deliver.transports import Transport

LISTED = 100  # lines per section; a whole list refused would make an unreadable alert


def alert_recipients(text: str | None) -> tuple[Address, ...]:
    """``BRIEFINGS_ALERT_TO`` as addresses (none when unset); UserError if one is bad."""
    if not text or not text.strip():
        return ()
    if "\r" in text or "\n" in text:
        raise UserError("BRIEFINGS_ALERT_TO may not contain a line break")
    found = []
    for name, addr in email.utils.getaddresses([text]):
        try:
            found.append(Address(display_name=name, addr_spec=check_address(addr)))
        except ValueError:
            raise UserError(f"BRIEFINGS_ALERT_TO: not a valid address: {addr or text!r}") from None
    return tuple(found)


@dataclass(frozen=True)
class Failures:
    """What went wrong in one command: briefings not built, messages not delivered."""

    command: str  # "run" or "send"
    not_built: tuple[str, ...] = ()
    not_delivered: tuple[str, ...] = ()  # failed, expired, editions not sent
    pending: tuple[str, ...] = ()

    @classmethod
    def of(cls, command: str, *, not_built: Sequence[str] = (),
           delivery: DeliveryReport | None = None) -> Failures:
        alarming = delivery.alarming if delivery else []
        pending = [u for u in delivery.undelivered if u.outcome == "pending"] if delivery else []
        return cls(command, tuple(not_built), tuple(alarming), tuple(map(str, pending)))

    def __bool__(self) -> bool:
        """Worth an alert: something failed (pending alone is retried, not alarming)."""
        return bool(self.not_built or self.not_delivered)

    @property
    def subject(self) -> str:
        parts = []
        if self.not_built:
            parts.append(f"{_count(len(self.not_built), 'briefing')} not built")
        if self.not_delivered:
            parts.append(f"{_count(len(self.not_delivered), 'delivery', 'deliveries')} failed")
        return f"[briefings] {self.command}: {', '.join(parts)}"

    def text(self, *, when: datetime) -> str:
        host = socket.gethostname()
        lines = [(f"briefings {self.command} on {host} at {when.isoformat()} did not build or "
                 "deliver everything."), ""]
        for title, items in (
            ("Not built:", self.not_built),
            ("Not delivered (edition -> reader: outcome: the server's reply):", self.not_delivered),
            ((f"Still pending, tried again by the next send or run for up to {PENDING_DAYS} "
             "days:"), self.pending),
        ):
            if items:
                lines += [title, *(f"  {item}" for item in items[:LISTED])]
                if len(items) > LISTED:
                    lines.append(f"  ... and {len(items) - LISTED} more (the delivery ledger in "
                                 "the state database has them all)")
                lines.append("")
        return "\n".join(lines)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def alert_message(failures: Failures, *, sender: Address, to: Sequence[Address],
                  when: datetime | None = None) -> EmailMessage:
    """The alert, headers folded and encoded by the email package's SMTP policy."""
    when = when or datetime.now(UTC)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = list(to)
    message["Subject"] = failures.subject
    message["Date"] = email.utils.format_datetime(when)
    message["Message-ID"] = email.utils.make_msgid("briefings-alert", domain=sender.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(failures.text(when=when))
    return message


def send_alert(failures: Failures, *, to: Sequence[Address], sender: Address,
               transport: Transport) -> list[str]:
    """Send the alert to each address; what became of it, one line each."""
    if not failures or not to:
        return []
    when = datetime.now(UTC)
    data = alert_message(failures, sender=sender, to=to, when=when).as_bytes()
    said, unique = [], secrets.token_hex(4)  # two alerts in one second keep both files
    try:
        for n, address in enumerate(to, 1):
            name = f"alert-{when:%Y%m%dT%H%M%S}-{unique}-{n}.eml"
            try:
                transport.send(sender=sender.addr_spec, recipient=address.addr_spec, data=data,
                               name=name)
            except Exception as exc:  # noqa: BLE001 - a failed alert never hides the failure
                reply = getattr(exc, "reply", None) or str(exc)
                said.append(f"alert to {address.addr_spec} NOT sent: {reply}")
            else:
                said.append(f"alert sent to {address.addr_spec}")
    finally:
        transport.close()
    return said


def alert(command: str, *, settings: Settings, not_built: Sequence[str] = (),
          delivery: DeliveryReport | None = None) -> list[str]:
    """Alert ``settings.alert_to`` if the command failed to build or deliver anything,
    the way the editions go; what became of the alert, one line each (none when
    nothing failed or nobody is to be alerted)."""
    from briefings.deliver.mail import sender_address
    from briefings.deliver.transports import transport_for

    found = Failures.of(command, not_built=not_built, delivery=delivery)
    if not found or not settings.alert_to:
        return []
    try:
        to = alert_recipients(settings.alert_to)
        sender = sender_address(settings.sender)
        return send_alert(found, to=to, sender=sender, transport=transport_for(settings))
    except Exception as exc:  # noqa: BLE001 - a failed alert never hides the original failure
        return [f"alert NOT sent: {exc}"]
