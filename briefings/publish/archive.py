"""The archive: the desk's own index of every edition, and the public site.

- ``OUT/index.html`` and ``OUT/<briefing>/index.html``: the desk's archive, every
  edition of every TLP (private, like the edition folders it links to).
- ``OUT/public/``: the publishable site, the only folder ``briefings serve`` serves
  and the one a desk may copy to any static host: its own index, a page per
  briefing, the Atom feed, and the web page and PDF of each edition that may be
  public (TLP:CLEAR, or CLEAR and GREEN with ``BRIEFINGS_PUBLIC_TLP=green``), at
  ``public/<briefing>/<date>/`` (corrections in ``correction-<n>/`` inside). Nothing
  else of an edition folder (snapshot, manifest, figures) is copied, and nothing of
  a restricted edition is listed, not even its title.

Corrected editions are marked (with the reason, and the original still linked);
withdrawn ones are marked and, on the public site, no longer linked or copied.
``OUT/public`` is written whole into a temporary folder and swapped in, so it never
holds an edition that is no longer public. Every link is relative, except in the
feed, which uses the public URL (``BRIEFINGS_PUBLIC_URL``) when set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from briefings.editions import (
    CHANGES,
    PUBLIC,
    Edition,
    cannot_write,
    corrections,
    editions,
    read_edition,
    replace_folder,
    write_file,
)
from briefings.publish.render import render_template

if TYPE_CHECKING:
    import jinja2

FEED = "feed.xml"


def write_archive(
    env: jinja2.Environment, out: Path, *, levels: tuple[str, ...], public_url: str | None = None,
) -> None:
    """Rewrite the desk's archive pages and the public site from the editions in ``out``:
    ``levels`` are the TLPs the public site may hold (``Settings.public_levels``)."""
    every = editions(out)
    _write_pages(env, out, _shelves(out, every, levels=None), public=False,
                 feed=f"{PUBLIC}/{FEED}", levels=levels)
    with cannot_write(out / PUBLIC):  # a full disk while copying: the old site stays
        site = Path(tempfile.mkdtemp(prefix=f".{PUBLIC}-", dir=out))
        try:
            site.chmod(0o755)
            shown = [e for e in every if e.tlp in levels]
            for edition in (e for e in shown if not e.withdrawn):  # withdrawn: not copied
                _copy_edition(out, site, edition, levels)
            shelves = _shelves(out, shown, levels=levels)
            _write_pages(env, site, shelves, public=True, feed=FEED, levels=levels)
            write_file(site / FEED, atom_feed(shelves, levels=levels, public_url=public_url))
            replace_folder(site, out / PUBLIC)
            (out / FEED).unlink(missing_ok=True)  # where older versions wrote the feed
        except BaseException:
            shutil.rmtree(site, ignore_errors=True)
            raise


def _shelves(
    out: Path, found: list[Edition], *, levels: tuple[str, ...] | None
) -> list[dict[str, Any]]:
    """Each briefing's editions, newest first; for the public site (``levels``), only
    what those levels admit."""
    by_briefing: dict[str, list[Edition]] = {}
    for edition in found:
        by_briefing.setdefault(edition.briefing, []).append(edition)
    return [
        {"id": b, "title": e[-1].title, "editions": [
            {"e": x, "original": _original(out, x, levels)}
            for x in sorted(e, key=lambda x: x.date, reverse=True)
        ]}
        for b, e in sorted(by_briefing.items())
    ]


def _original(out: Path, edition: Edition, levels: tuple[str, ...] | None) -> Edition | None:
    """The edition as first issued, for a corrected one (if ``levels`` admit it)."""
    if not edition.correction:
        return None
    original = read_edition(out / edition.briefing / edition.date)
    return original if original and (levels is None or original.tlp in levels) else None


def _write_pages(  # noqa: PLR0913
    env: jinja2.Environment, root: Path, shelves: list[dict[str, Any]], *, public: bool,
    feed: str, levels: tuple[str, ...],
) -> None:
    marking = " and ".join(f"TLP:{x.upper()}" for x in levels)
    common = {"feed": feed, "public": public, "marking": marking}
    page = render_template(env, ["archive.html"], {"briefings": shelves, "prefix": "", **common})
    write_file(root / "index.html", page.encode())
    for shelf in shelves:
        page = render_template(env, ["archive-briefing.html"], {"shelf": shelf, **common})
        write_file(root / shelf["id"] / "index.html", page.encode())


def _copy_edition(out: Path, site: Path, edition: Edition, levels: tuple[str, ...]) -> None:
    """The web page and PDF of every version of ``edition`` that ``levels`` admit (hard
    links when possible: a delivered edition's files never change)."""
    date_folder = out / edition.briefing / edition.date
    versions = [read_edition(date_folder), *corrections(date_folder)]
    for version in (v for v in versions if v is not None and v.tlp in levels):
        target = site / version.path
        target.mkdir(parents=True, exist_ok=True)
        data = version.folder / CHANGES  # what changed, as the page links it (not older ones)
        for source in (version.html, version.pdf, *([data] if data.exists() else [])):
            try:
                os.link(source, target / source.name)
            except OSError:
                shutil.copyfile(source, target / source.name)
        if version is not edition and edition.correction:  # superseded: its page says so
            page = target / version.html.name
            page.unlink()
            page.write_text(_superseded(version.html.read_text(encoding="utf-8"), edition,
                                        back="../" * (version.path.count("/") - 2)),
                            encoding="utf-8")


def _superseded(html: str, latest: Edition, *, back: str) -> str:
    """``html`` (an earlier version's web page) with a notice at the top of its body
    pointing to ``latest``, the correction that replaces it."""
    link = f"{back}correction-{latest.correction_number}/index.html"
    notice = Markup(
        '<p class="correction" role="note"><strong>This edition was corrected</strong>: '
        '{why} <a href="{link}">Read the corrected edition</a>.</p>'
    ).format(why=latest.correction["why"] if latest.correction else "", link=link)
    head, body, rest = html.partition("<body>")
    return f"{head}{body}\n{notice}{rest}" if body else html


def atom_feed(
    shelves: list[dict[str, Any]], *, levels: tuple[str, ...], public_url: str | None = None,
) -> bytes:
    """An Atom feed of the public editions, newest first; corrections and withdrawals
    update their edition's entry and say so."""
    from feedgen.feed import FeedGenerator

    base = (public_url or "").rstrip("/")
    rows = sorted(
        ((_updated(row["e"]), row["e"]) for shelf in shelves for row in shelf["editions"]),
        key=lambda pair: (pair[0], pair[1].date, pair[1].briefing),
    )
    marking = " and ".join(f"TLP:{x.upper()}" for x in levels)
    feed = FeedGenerator()
    feed.id("urn:briefings:archive")
    feed.title("Briefings")
    feed.subtitle(f"New editions of {marking} briefings")
    feed.link(href=f"{base}/" if base else "index.html", rel="alternate")
    if base:
        feed.link(href=f"{base}/{FEED}", rel="self")
    feed.language("en")
    feed.updated(_moment(rows[-1][0]) if rows else datetime.fromtimestamp(0).astimezone())
    for updated, edition in rows:
        entry = feed.add_entry(order="prepend")
        entry.id(f"urn:briefings:{edition.briefing}:{edition.date}")
        kind = "Withdrawn: " if edition.withdrawn else "Correction: " if edition.correction else ""
        entry.title(f"{kind}{edition.title} - {edition.date} [TLP:{edition.tlp.upper()}]")
        link = f"{edition.briefing}/" if edition.withdrawn else edition.path
        link += "index.html"
        entry.link(href=f"{base}/{link}" if base else link, rel="alternate")
        entry.updated(_moment(updated))
        entry.published(_moment(edition.built if not edition.correction else
                                edition.correction.get("original", {}).get("built", "")))
        entry.summary(_summary(edition))
    atom: bytes = feed.atom_str(pretty=True)
    return atom


def _updated(edition: Edition) -> str:
    if edition.withdrawn:
        return str(edition.withdrawn.get("when", ""))
    return edition.built


def _summary(edition: Edition) -> str:
    if edition.withdrawn:
        why = edition.withdrawn["why"]
        return f"Edition {edition.number} of {edition.date} was withdrawn: {why}"
    text = f"Edition {edition.number} of {edition.date}."
    if edition.correction:
        text += f" Corrected: {edition.correction['why']}"
        text += "".join(f" {line}" for line in edition.correction.get("corrected") or ())
    else:
        text += _changes(edition)
    return text


def _changes(edition: Edition) -> str:
    """What changed, from the edition's ``changes.json``: counts, then the sentences."""
    import json

    from briefings.publish.changes import summary

    try:
        document = json.loads((edition.folder / CHANGES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = None
    counts = summary(document) if isinstance(document, dict) else ""
    said = " ".join(filter(None, (counts, "; ".join(edition.changes or ()))))
    return f" {said}" if said else ""


def _moment(stamp: str) -> datetime:
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.fromtimestamp(0).astimezone()
