"""Render a briefing slice through the Jinja2 templates into HTML.

One environment factory (:func:`get_env`) builds every environment: a list of
template folders searched in order (the project's, then the packaged defaults),
autoescape on for every template, ``StrictUndefined``, and every filter.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from briefings import __version__
from briefings.config import template_dirs, template_env
from briefings.publish.wording import (
    date_range,
    date_text,
    markdown_parser,
    money,
    percent,
    period_text,
    plain,
    text_dir,
)

if TYPE_CHECKING:
    from briefings.model import Briefing, Motive, Section
    from briefings.publish.figures import Figure
    from briefings.publish.scope import Slice

FRONT_PAGE = ("bluf", "key-judgments")  # the sections that open every note and email
SECTION_TITLES = {
    "bluf": "Bottom line up front", "key-judgments": "Key judgments", "changes": "What changed",
    "actors": "Actor profiles", "motives": "Motives", "dealings": "Dealings",
    "measures": "Measures", "timeline": "Timeline", "sources": "Sources",
}


def markdown(text: str | None) -> Markup:
    """CommonMark to HTML; raw HTML in the text stays text, images become links."""
    return Markup(markdown_parser().render(text or ""))  # noqa: S704 - html is off, no images


def words(value: str) -> str:
    """A vocabulary term as words: ``realistic-possibility`` → ``realistic possibility``."""
    return value.replace("-", " ")


def svg_data_url(value: str) -> str:
    """A figure's SVG as a ``data:`` URL: how the print HTML embeds it.

    WeasyPrint draws the same vector drawing with the same real text either way,
    but reads an embedded SVG with its XML parser and leaves it out of the page's
    CSS cascade, which halves what the figures add to printing.
    """
    return "data:image/svg+xml;base64," + base64.b64encode(value.encode()).decode("ascii")


def safe_svg(value: str) -> Markup:
    """A figure's SVG as markup: the one place raw markup is trusted.

    Only :func:`briefings.publish.figures.inline_svg` output belongs here: its text was
    escaped by the drawing library and it was checked to hold nothing that runs.
    """
    return Markup(value)  # noqa: S704 - sanitised figure SVG only


def get_env(templates: Path | None = None) -> jinja2.Environment:
    """The Jinja environment for the given project templates folder, with every filter.

    A name is found in the project's folder, then in the packaged templates;
    ``default:NAME`` is always the packaged one (see :func:`briefings.config.template_loader`).
    """
    env = template_env(templates)
    env.filters.update(
        md=markdown, date_text=date_text, words=words, percent=percent, safe_svg=safe_svg,
        svg_data_url=svg_data_url, date_range=date_range, money=money, period_text=period_text,
        plain=plain, text_dir=text_dir,
    )
    return env


def templates_digest(templates: Path | None) -> str:
    """A hash of every template and asset the environment can see.

    A packaged template the project's folder shadows still counts: a desk template
    may extend it (``default:NAME``).
    """
    digest = hashlib.sha256()
    for place, folder in enumerate(template_dirs(templates)):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            digest.update(f"{place}:{relative}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class NoteContext:
    """Everything a briefing template can use. Each field's help is tested to exist."""

    briefing: Briefing = field(metadata={"help": "the briefing: title, bluf, tlp, author, ..."})
    slice: Slice = field(metadata={"help": "the knowledge-base slice: actors, motives, ..."})
    as_of: str = field(metadata={"help": "the edition's date, YYYY-MM-DD"})
    edition: int = field(metadata={"help": "the edition number, counting from 1"})
    changes: list[str] | None = field(
        metadata={"help": "what changed since the previous edition; None for a first edition"}
    )
    since: Any = field(
        default=None,
        metadata={"help": "the previous edition (its date and number); None for a first edition"},
    )
    medium: str = field(
        metadata={"help": "'web' for the web page, 'print' for the PDF, 'email' for the email"}
    )
    sections: list[Section] = field(metadata={
        "help": "the section names to show, in the briefing's order, but bluf and "
                "key-judgments first: they are the front page"})
    source_numbers: dict[str, int] = field(metadata={"help": "source id -> its number"})
    sources_by_id: dict[str, Any] = field(metadata={"help": "source id -> source"})
    motives_by_actor: dict[str, list[Motive]] = field(metadata={"help": "actor id -> its motives"})
    names: dict[str, str] = field(metadata={"help": "actor id -> display name"})
    tlp_colour: str = field(metadata={"help": "the TLP 2.0 colour of the marking"})
    likelihoods: dict[str, str] = field(metadata={"help": "PHIA term -> probability band"})
    reliability: dict[str, str] = field(metadata={"help": "Admiralty grade -> meaning"})
    credibility: dict[int, str] = field(metadata={"help": "credibility 1-6 -> meaning"})
    tlp_levels: tuple[str, ...] = field(metadata={"help": "TLP levels, least restricted first"})
    version: str = field(metadata={"help": "the briefings tool's version"})
    created: str = field(metadata={"help": "ISO timestamp for the PDF metadata"})
    figures: tuple[Figure, ...] | None = field(
        default=None,
        metadata={"help": "the figures (name, caption, description, svg, key); "
                          "None without figures and in the email (see images)"},
    )
    track_record: Any = field(default=None, metadata={
        "help": "the annex Track record (TrackRecordAnnex), or None: nothing scored in scope"})
    cutoff: str = field(default="", metadata={
        "help": "the information cut-off: the briefing's cutoff, else the newest source or "
                "event the assessment rests on (YYYY[-MM[-DD]]); '' when there is none"})
    titles: dict[str, str] = field(
        default_factory=lambda: dict(SECTION_TITLES), metadata={"help": "section -> heading"}
    )
    dealings_by_id: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "dealing id -> dealing (in_return_for)"}
    )
    correction: Any = field(default=None, metadata={
        "help": "for a correction: number, why, corrected (what, in words), original (path)"})
    links: dict[str, str] = field(default_factory=dict, metadata={
        "help": "the web page's links, relative to it: 'pdf', 'editions', 'archive'"})

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, kw_only=True)
class EmailContext(NoteContext):
    """What the email templates (``email.html``, ``email.txt``) can use besides the note's."""

    pdf_name: str = field(metadata={"help": "the attached PDF's file name"})
    web_url: str | None = field(
        metadata={"help": "the edition's web page; None when BRIEFINGS_PUBLIC_URL is unset"}
    )
    unsubscribe_url: str = field(
        metadata={"help": "the reader's unsubscribe link (filled in for each reader at send)"}
    )
    images: list[dict[str, Any]] = field(metadata={
        "help": 'the figure PNGs: cid (for src="cid:..."), alt, caption, key lines, section'})
    email_lines: dict[str, list[str]] = field(metadata={
        "help": "each section's lines for the email, from the data (publish.outline)"})
    email_items: int = field(metadata={
        "help": "how many lines a section shows in the email before pointing to the note"})


def note_context(  # noqa: PLR0913
    part: Slice, *, as_of: str, edition: int, changes: list[str] | None, medium: str,
    figures: tuple[Figure, ...] | None = None, since: Any = None, track_record: Any = None,
    correction: Any = None,
    links: dict[str, str] | None = None,
) -> NoteContext:
    """The template context for one edition of a briefing."""
    from briefings.model import (
        SECTIONS,
        TLP_COLOURS,
        TLP_LEVELS,
    )
    from briefings.publish.scope import information_cutoff
    from briefings.vocabularies import CREDIBILITY, LIKELIHOODS, RELIABILITY

    briefing = part.briefing
    motives: dict[str, list[Motive]] = {}
    for motive in part.motives:
        motives.setdefault(motive.actor, []).append(motive)
    wanted = [s for s in briefing.sections if s in SECTIONS]
    wanted = [*(s for s in FRONT_PAGE if s in wanted), *(s for s in wanted if s not in FRONT_PAGE)]
    return NoteContext(
        briefing=briefing,
        slice=part,
        as_of=as_of,
        edition=edition,
        changes=changes,
        medium=medium,
        sections=wanted,
        source_numbers={s.id: n for n, s in enumerate(part.sources, 1)},
        sources_by_id={s.id: s for s in part.sources},
        motives_by_actor=motives,
        names={a.id: a.name for a in part.names.values()},
        tlp_colour=TLP_COLOURS[briefing.tlp],
        likelihoods=LIKELIHOODS,
        reliability=RELIABILITY,
        credibility=CREDIBILITY,
        tlp_levels=TLP_LEVELS,
        version=__version__,
        created=date.fromisoformat(as_of).isoformat() + "T00:00:00Z",
        figures=figures,
        since=since,
        track_record=track_record,
        cutoff=information_cutoff(part),
        dealings_by_id={d.id: d for d in part.dealings},
        correction=correction,
        links=links or {},
    )


def render_template(env: jinja2.Environment, names: list[str], context: dict[str, Any]) -> str:
    """Render the first of ``names`` that exists; a template mistake is a UserError."""
    from briefings.errors import UserError

    try:
        return env.select_template(names).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise UserError(f"template {names[-1]}: {exc}") from None


def choices(name: str, briefing: str) -> list[str]:
    """Template names from specific to generic: ``briefing-<id>.html``, ``briefing.html``."""
    stem, dot, suffix = name.rpartition(".")
    return [f"{stem}-{briefing}{dot}{suffix}", name]


def render_note(env: jinja2.Environment, context: NoteContext) -> str:
    """The note's HTML, from the most specific template that exists."""
    return render_template(env, choices("briefing.html", context.briefing.id), context.as_dict())
