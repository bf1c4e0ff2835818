"""Who gets an edition: clearance, topics, and TLP 2.0's own rules.

An active subscriber gets an edition when their clearance is at least its TLP
(clear < green < amber < amber+strict < red) and their topics are empty, contain
``*``, or share a topic with the briefing (a briefing without topics matches every
subscriber). TLP 2.0 is more than a ladder:

- TLP:AMBER+STRICT goes only to readers inside the desk's own organisation: their
  address's domain is one of ``BRIEFINGS_ORG_DOMAINS`` (``Settings.org_domains``;
  subdomains count). Unset, nobody gets it.
- TLP:RED goes only to the readers the briefing names (its ``red_readers``), and only
  if their clearance is RED too; never by clearance alone. Topics do not matter for
  them: they were named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefings.deliver.subscribers import Subscriber, address_key
from briefings.model import TLP_LEVELS

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable


def in_organisation(address: str, domains: Iterable[str]) -> bool:
    """Whether ``address`` is at one of ``domains`` (or a subdomain of one)."""
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith(f".{d}") for d in domains)


def matches(
    subscriber: Subscriber, *, tlp: str, topics: Iterable[str], org: Iterable[str] = (),
    red_readers: Iterable[str] = (),
) -> bool:
    """Whether ``subscriber`` should get an edition marked ``tlp`` about ``topics``;
    ``org`` are the desk's domains (AMBER+STRICT), ``red_readers`` the briefing's
    named readers (RED)."""
    if subscriber.status != "active":
        return False
    if TLP_LEVELS.index(subscriber.tlp) < TLP_LEVELS.index(tlp):
        return False
    if tlp == "red":
        return address_key(subscriber.address) in {address_key(a) for a in red_readers}
    if tlp == "amber+strict" and not in_organisation(subscriber.address, org):
        return False
    theirs = {t.casefold() for t in subscriber.topics}
    wanted = {t.casefold() for t in topics}
    return not theirs or "*" in theirs or not wanted or bool(theirs & wanted)


def recipients(
    conn: sqlite3.Connection, *, tlp: str, topics: Iterable[str],
    red_readers: Iterable[str] = (), org: Iterable[str] = (),
) -> list[Subscriber]:
    """The active subscribers who should get an edition, in the order they subscribed;
    ``org`` are the desk's domains (``Settings.org_domains``)."""
    wanted, named, domains = tuple(topics), tuple(red_readers), tuple(org)
    rows = conn.execute("SELECT * FROM subscribers WHERE status = 'active' ORDER BY id")
    return [s for s in map(Subscriber.from_row, rows)
            if matches(s, tlp=tlp, topics=wanted, org=domains, red_readers=named)]


def withheld(*, tlp: str, red_readers: Iterable[str] = (), org: Iterable[str] = ()) -> str:
    """Why nobody at all may get an edition marked ``tlp`` ("" when someone may)."""
    if tlp == "amber+strict" and not tuple(org):
        return ("TLP:AMBER+STRICT goes only to readers in the desk's own organisation, and "
                "BRIEFINGS_ORG_DOMAINS (its email domains) is not set: sent to nobody")
    if tlp == "red" and not tuple(red_readers):
        return ("TLP:RED goes only to the readers the briefing names in red_readers, and it "
                "names none: sent to nobody")
    return ""
