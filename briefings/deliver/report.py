"""What a delivery did: counts per edition and outcome, and each message not delivered.

Outcomes: ``sent``; ``pending`` (4xx, a dropped connection: tried again by the next
``send`` or ``run``); ``failed`` (5xx, or the message could not be written);
``expired`` (pending too long: counted as failed); ``skipped`` (sent or failed
before). An :class:`Undelivered` without an address is an edition that could not
be sent at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Undelivered:
    """A message that did not go: ``failed`` (5xx, or it could not be written),
    ``expired`` (pending too long), ``pending`` (4xx: tried again later). Without an
    address, the whole edition could not be sent."""

    edition: str
    address: str
    outcome: str
    reply: str

    def __str__(self) -> str:
        to = f" -> {self.address}" if self.address else ""
        return f"{self.edition}{to}: {self.outcome}: {self.reply}"


@dataclass
class DeliveryReport:
    """What a delivery did: counts (in all, and per edition), what did not go and
    why, and for a dry run the (edition, address) pairs that would be sent."""

    undelivered: list[Undelivered] = field(default_factory=list)
    planned: list[tuple[str, str]] = field(default_factory=list)
    tally: Counter[tuple[str, str]] = field(default_factory=Counter)  # (edition, outcome)
    stopped: str = ""

    def count(self, outcome: str, edition: str | None = None) -> int:
        return sum(n for (e, o), n in self.tally.items()
                   if o == outcome and edition in {None, e})

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def pending(self) -> int:
        return self.count("pending")

    @property
    def failed(self) -> int:
        return self.count("failed") + self.count("expired")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def broken(self) -> list[Undelivered]:
        """Editions that could not be sent at all."""
        return [u for u in self.undelivered if not u.address]

    @property
    def ok(self) -> bool:
        return not (self.failed or self.pending or self.broken or self.stopped)

    @property
    def alarming(self) -> list[str]:
        """What an operator must hear of: failures, expiries, editions not sent, and
        why a delivery stopped (the server unreachable, a refused login)."""
        found = [str(u) for u in self.undelivered if u.outcome != "pending"]
        return [*found, f"delivery stopped: {self.stopped}"] if self.stopped else found

    def add(self, edition: str, outcome: str, address: str = "", reply: str = "") -> None:
        self.tally[edition, outcome] += 1
        if outcome in {"failed", "expired", "pending"}:
            self.undelivered.append(Undelivered(edition, address, outcome, reply))

    def summary(self, edition: str | None = None) -> str:
        """``3 sent, 1 pending, 1 failed, 0 skipped (…)``, in all or for one edition."""
        expired = self.count("expired", edition)
        failed = self.count("failed", edition) + expired
        text = (
            f"{self.count('sent', edition)} sent, {self.count('pending', edition)} pending, "
            f"{failed} failed{f' ({expired} expired)' if expired else ''}, "
            f"{self.count('skipped', edition)} skipped (already sent or failed before)"
        )
        broken = [u for u in self.broken if edition in {None, u.edition}]
        if broken:
            text += f"; {len(broken)} edition{'s' if len(broken) > 1 else ''} not sent"
        return f"{text}; stopped: {self.stopped}" if self.stopped else text
