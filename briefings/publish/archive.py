"""The archive: ``OUT/index.html``, a page per briefing, and an Atom feed.

Every link is relative (the archive works from a folder, a file server or
``briefings serve``), except in the feed, which uses ``BRIEFINGS_PUBLIC_URL`` when set.
The feed lists TLP:CLEAR and TLP:GREEN editions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from briefings.editions import Edition, editions, pdf_name, write_file
from briefings.publish.render import render_template

if TYPE_CHECKING:
    from pathlib import Path

    import jinja2

FEED = "feed.xml"
PUBLIC_TLP = ("clear", "green")


@dataclass(frozen=True)
class Shelf:
    """A briefing in the archive: its id, latest title and editions, newest first."""

    id: str
    title: str
    editions: list[Edition]


def write_archive(env: jinja2.Environment, out: Path, *, public_url: str | None = None) -> None:
    """Rewrite the archive pages and the feed from the editions in ``out``."""
    by_briefing: dict[str, list[Edition]] = {}
    for edition in editions(out):
        by_briefing.setdefault(edition.briefing, []).append(edition)
    shelves = [
        Shelf(b, e[-1].title, sorted(e, key=lambda x: x.date, reverse=True))
        for b, e in sorted(by_briefing.items())
    ]
    common = {"pdf_name": pdf_name, "feed": FEED}
    page = render_template(env, ["archive.html"], {"briefings": shelves, "prefix": "", **common})
    write_file(out / "index.html", page.encode())
    for shelf in shelves:
        page = render_template(env, ["archive-briefing.html"], {"shelf": shelf, **common})
        write_file(out / shelf.id / "index.html", page.encode())
    write_file(out / FEED, atom_feed(shelves, public_url=public_url))


def atom_feed(shelves: list[Shelf], *, public_url: str | None = None) -> bytes:
    """An Atom feed of the public (TLP:CLEAR and TLP:GREEN) editions, newest first."""
    from feedgen.feed import FeedGenerator

    base = (public_url or "").rstrip("/")
    public = sorted(
        (e for shelf in shelves for e in shelf.editions if e.tlp in PUBLIC_TLP),
        key=lambda e: (e.built, e.date, e.briefing),
    )
    feed = FeedGenerator()
    feed.id("urn:briefings:archive")
    feed.title("Briefings")
    feed.subtitle("New editions of TLP:CLEAR and TLP:GREEN briefings")
    feed.link(href=f"{base}/" if base else "index.html", rel="alternate")
    if base:
        feed.link(href=f"{base}/{FEED}", rel="self")
    feed.language("en")
    feed.updated(_moment(public[-1].built) if public else datetime.fromtimestamp(0).astimezone())
    for edition in public:
        entry = feed.add_entry(order="prepend")
        entry.id(f"urn:briefings:{edition.briefing}:{edition.date}")
        entry.title(f"{edition.title} - {edition.date} [TLP:{edition.tlp.upper()}]")
        link = f"{edition.briefing}/{edition.date}/index.html"
        entry.link(href=f"{base}/{link}" if base else link, rel="alternate")
        entry.updated(_moment(edition.built))
        entry.published(_moment(edition.built))
        changed = "; ".join(edition.changes) if edition.changes else ""
        entry.summary(f"Edition {edition.number} of {edition.date}. {changed}".strip())
    atom: bytes = feed.atom_str(pretty=True)
    return atom


def _moment(stamp: str) -> datetime:
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.fromtimestamp(0).astimezone()
