"""Build editions: slice, render, print to PDF, write; skip what has not changed."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from briefings import __version__
from briefings.config import Settings, template_dirs
from briefings.editions import (
    CHANGES,
    EMAIL_HTML,
    EMAIL_TEXT,
    SNAPSHOT,
    Edition,
    current_edition,
    edition_folder,
    page_links,
    pdf_name,
    read_record,
    write_edition,
    write_record,
)
from briefings.errors import UserError
from briefings.publish.archive import write_archive
from briefings.publish.printer import Printer
from briefings.publish.render import (
    get_env,
    note_context,
    render_note,
    templates_digest,
)
from briefings.reader import yaml_files

if TYPE_CHECKING:
    from briefings.figure_image import FigureImage
    from briefings.publish.figures import Figure
    from briefings.publish.load import KnowledgeBase


@dataclass
class BuildReport:
    """What a build did."""

    built: list[Edition] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pages: int = 0
    bytes: int = 0
    kb: KnowledgeBase | None = None  # what it read; None: nothing changed, nothing read


@dataclass(frozen=True)
class _Pending:
    briefing: str
    number: int
    inputs: str
    web: str
    print_html: str
    snapshot: bytes
    title: str
    tlp: str
    topics: list[str]
    summary: str
    email: dict[str, bytes]
    changes: list[str] | None
    changes_json: bytes
    digest: str
    since: dict[str, object] | None
    figures: tuple[Figure, ...]
    red_readers: tuple[str, ...]
    correction: dict[str, object] | None


def build(  # noqa: PLR0913, PLR0915 - one pipeline, read top to bottom
    *,
    seeds: Path,
    templates: Path | None,
    out: Path,
    date: str | None = None,
    force: bool = False,
    jobs: int | None = None,
    only: Sequence[str] = (),
    progress: Callable[[str, int, int], None] | None = None,
    figures: bool = True,
    state: Path | None = None,
    now: datetime | None = None,
    correct: str | None = None,
    backdate: bool = False,
    settings: Settings | None = None,
    kb: KnowledgeBase | None = None,
) -> BuildReport:
    """Build the edition of ``date`` of each briefing (or of those in ``only``).

    Without ``date``: today, where it is earliest in the briefings' time zones (so
    no edition is dated in the future anywhere).

    ``figures=False`` leaves the figures out: text-only editions. The rules of
    :mod:`briefings.issuing` apply: no date after ``now``, no new edition before the
    latest unless ``backdate``, and an edition delivered (per the ledger in ``state``;
    default ``settings.state``) changes only as a correction, when ``correct`` says why.
    ``settings`` also give the public URL (web links in the email, the feed), what may
    be public, and ``SOURCE_DATE_EPOCH``. ``kb`` is the knowledge base in ``seeds`` when
    the caller has loaded it already (``briefings run`` loads it once for every due
    briefing).
    """
    from briefings.publish.issuing import Rules, check_why, latest_today, today

    settings = settings or Settings()
    now = now or datetime.now(UTC)
    asked, date = date, date or today(now, read_record(out).get("zones") or ["UTC"])
    if date > latest_today(now):
        raise UserError(f"{date} is in the future: an edition cannot be dated later than today")
    rules = Rules(out=out, date=date, state=state or settings.state, now=now, force=force,
                  correct=check_why(correct) if correct is not None else None,
                  backdate=backdate)
    tdigest = templates_digest(templates)
    levels = settings.public_levels
    fingerprint = _fingerprint(seeds, f"{tdigest}|{levels}")
    if not force and not correct and (done := _unchanged(out, fingerprint, date, only)):
        return BuildReport(skipped=done)

    from briefings.publish import drawing
    from briefings.publish.changes import changes_json
    from briefings.publish.email_parts import render_email
    from briefings.publish.load import load
    from briefings.publish.plan import plan_editions
    from briefings.publish.reasons import explained_changes
    from briefings.publish.scorecard import archive
    from briefings.publish.track_record import track_record_annex

    kb = kb if kb is not None else load(seeds)
    wanted = _wanted(kb, only)
    zones = sorted({kb["briefings"][b].timezone for b in wanted})
    if asked is None:
        date = rules.date = today(now, zones)
    rules.check_dates([kb["briefings"][b] for b in wanted])
    env = get_env(templates)
    report = BuildReport(kb=kb)
    built_at = build_time(settings.source_date_epoch)
    plans, report.notes, report.skipped = plan_editions(kb, wanted, rules=rules, tdigest=tdigest,
                                                        built=built_at)
    listed = explained_changes(kb, plans)  # a judgment that moved must say why
    resolved = any(plan[1].resolved for plan in plans)
    printed = archive(out) if resolved else ()  # earlier editions: the track record's forecasts
    pending: list[_Pending] = []
    with Printer(jobs=jobs, total=len(plans), asset_dirs=template_dirs(templates),
                  progress=progress) as printer:
        for briefing_id, part, previous, inputs, number, correction in plans:
            changes = [line for c in listed[briefing_id] for line in c.lines] if previous else None
            drawn = drawing.draw_figures(part) if figures else ()  # once: web, print, email
            context = note_context(
                part, as_of=date, edition=number, changes=changes, medium="web",
                figures=drawn, since=previous[0] if previous else None, correction=correction,
                track_record=track_record_annex(part, printed, as_of=date, figures=figures),
                links=page_links(briefing_id, date, _number(correction)),
            )
            html = {m: render_note(env, replace(context, medium=m)) for m in ("web", "print")}
            printer.submit(briefing_id, html["print"])  # prints while the next is prepared
            since = {"date": previous[0].date, "number": previous[0].number} if previous else None
            public = part.briefing.tlp in settings.public_levels  # else no web link
            email = render_email(part, env=env, date=date, number=number, changes=changes,
                                 since=since, figures=tuple(f for f in drawn if f.drawn),
                                 correction=correction,
                                 public_url=settings.public_url if public else None)
            snapshot = json.dumps(part.to_json(), indent=1, ensure_ascii=False, sort_keys=True)
            pending.append(_Pending(
                briefing_id, number, inputs, html["web"], html["print"], snapshot.encode(),
                part.briefing.title, part.briefing.tlp, list(part.briefing.topics or ()),
                part.briefing.bluf, email, changes,
                changes_json(listed[briefing_id] if previous else None,
                             since=previous[0].date if previous else None),
                part.digest(), since, drawn,
                part.briefing.red_readers, correction,
            ))
        images: dict[str, tuple[FigureImage, ...]] = {}

        def draw_images() -> None:  # the email's PNGs, from the same drawings as the SVGs
            images.update((item.briefing, tuple(f.image() for f in item.figures if f.drawn))
                          for item in pending)

        pdfs = printer.results(when_free=draw_images)
    for item, (pdf, pages) in zip(pending, pdfs, strict=True):
        number = _number(item.correction)
        edition = write_edition(
            out,
            briefing=item.briefing,
            date=date,
            correction=number,
            files={
                "index.html": item.web.encode(),
                pdf_name(item.briefing, date, number): pdf,
                SNAPSHOT: item.snapshot,
                CHANGES: item.changes_json,
                **item.email,
                **{image.filename: image.png for image in images[item.briefing]},
            },
            manifest={
                "edition": item.number, "inputs": item.inputs, "version": __version__,
                "title": item.title, "tlp": item.tlp, "pages": pages, "built": built_at,
                "changes": item.changes, "slice": item.digest, "since": item.since,
                "figures": [image.record() for image in images[item.briefing]],
                "red_readers": list(item.red_readers), "correction": item.correction,
                "topics": item.topics, "summary": item.summary,
                "email": {"html": EMAIL_HTML, "text": EMAIL_TEXT},
            },
        )
        report.built.append(edition)
        report.pages += pages
        report.bytes += sum(edition.files.values())
    write_archive(env, out, levels=levels, public_url=settings.public_url)  # also: levels changed
    _record(out, fingerprint=fingerprint, date=date, zones=zones,
            briefings=None if only or rules.backdate else wanted)  # a rerun skips full builds
    return report


def _record(
    out: Path, *, fingerprint: str, date: str, zones: list[str], briefings: list[str] | None,
) -> None:
    """Record a full build (what it read, each edition's inputs) so a rerun can skip it;
    ``None``: a build of some briefings only, which a rerun does not skip."""
    if briefings is None:
        write_record(out, {})
        return
    written = (current_edition(edition_folder(out, b, date)) for b in briefings)
    write_record(out, {"fingerprint": fingerprint, "date": date, "zones": zones, "briefings": {
        e.briefing: e.inputs for e in written if e is not None
    }})


def _number(correction: dict[str, object] | None) -> int:
    """A correction's number; 0 for the edition as first issued."""
    return int(str(correction["number"])) if correction else 0


def _fingerprint(seeds: Path, tdigest: str) -> str:
    """A hash of everything a full build reads: the seed files, templates and tool."""
    digest = hashlib.sha256(f"{tdigest}|{__version__}".encode())
    for path in yaml_files(seeds):
        try:
            content = path.read_bytes()
        except OSError:  # unreadable: never "unchanged", and load() says where
            content = os.urandom(16)
        digest.update(f"{path.relative_to(seeds)}\0".encode() + content + b"\0")
    return digest.hexdigest()


def _unchanged(out: Path, fingerprint: str, date: str, only: Sequence[str]) -> list[str]:
    """The briefings of the last full build, if nothing it read has changed since."""
    record = read_record(out)
    if record.get("fingerprint") != fingerprint or record.get("date") != date:
        return []
    briefings: dict[str, str] = record.get("briefings", {})
    if not set(only) <= set(briefings) or not (out / "index.html").exists():
        return []
    for briefing, inputs in briefings.items():
        edition = current_edition(edition_folder(out, briefing, date))
        if edition is None or edition.inputs != inputs or not edition.pdf.exists():
            return []
    return list(only) or list(briefings)


def _wanted(kb: KnowledgeBase, only: Sequence[str]) -> list[str]:
    known = kb["briefings"]
    unknown = [b for b in only if b not in known]
    if unknown:
        raise UserError(
            f"no briefing with id {', '.join(map(repr, unknown))}; "
            f"the briefings are: {', '.join(known) or 'none'}"
        )
    return list(only) or list(known)


def build_time(epoch: int | None) -> str:
    moment = datetime.fromtimestamp(epoch, UTC) if epoch is not None else datetime.now(UTC)
    return moment.replace(microsecond=0).isoformat()


__all__ = ["BuildReport", "build"]
