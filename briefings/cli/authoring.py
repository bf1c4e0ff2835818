"""The authoring commands: ``init`` (a starter desk), ``preview`` (the working files'
notes, rebuilt on save) and ``lint`` (tradecraft), and lint's warnings after ``build``."""

from __future__ import annotations

import sys
from datetime import date as _date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from briefings.cli.options import SEEDS, TEMPLATES, iso_date

if TYPE_CHECKING:
    from briefings.publish.load import KnowledgeBase


def lint_warnings(kb: KnowledgeBase, *, as_of: str) -> None:
    """The lint findings as warnings (``briefings lint`` gives each one's fix)."""
    from briefings.publish.lint import lint as find

    findings = find(kb, as_of=as_of)
    for finding in findings:
        click.echo(f"{finding.file}:{finding.line}:{finding.column}: warning: {finding.text}",
                   err=True)
    if findings:
        click.echo(f"{len(findings)} lint warnings: `briefings lint` shows how to fix each",
                   err=True)


@click.command()
@click.argument("folder", metavar="[DIR]", default=".",
                type=click.Path(path_type=Path, file_okay=False))
def init(folder: Path) -> None:
    """Write a starter desk into DIR (default: this folder).

    The desk: seeds/ (a small example knowledge base with every collection and a
    briefing), templates/ (with a note on overriding), subscribers.csv, README.md
    and .gitignore. Nothing is overwritten: if any of them exists, nothing is
    written and the exit code is 1.
    """
    from briefings.publish.desk import init_desk

    written = init_desk(target=folder)
    for relative in written:
        click.echo(f"wrote {folder / relative}")
    cd = "" if folder == Path() else f"cd {folder} && "
    click.echo(f"next: {cd}briefings validate && briefings preview")


@click.command()
@SEEDS
@TEMPLATES
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
    help="Port to listen on (always on 127.0.0.1: the preview may show restricted notes).",
)
@click.option(
    "--date", callback=iso_date,
    help="The notes' date, and the as-of date of lint's staleness rule. [default: today]",
)
def preview(seeds: Path, templates: Path, port: int, date: str | None) -> None:
    """Serve the notes of the working files at http://127.0.0.1:PORT/, rebuilt on save.

    /ID/ is a briefing's web page, with its lint findings and links to its PDF and
    its email (HTML and plain text) beside it. Saving a file under the seeds or
    templates folder reloads the open page; knowledge-base and template errors
    are shown in the page (file:line:col) and the server keeps running. Nothing
    is written, and no state, subscriber or mail server is used.
    """
    from briefings.publish.preview import LOOPBACK
    from briefings.publish.preview import preview as run_preview

    click.echo(f"previewing {seeds} at http://{LOOPBACK}:{port}/ (Ctrl+C to stop)")
    run_preview(seeds=seeds, templates=templates, as_of=date or _date.today().isoformat(),
                port=port, report=lambda message: click.echo(message, err=True))


@click.command("lint")
@SEEDS
@click.option("--strict", is_flag=True, help="Exit 1 when there is any finding.")
@click.option(
    "--as-of", "as_of", callback=iso_date,
    help="Judge staleness (BR104) against this date, YYYY-MM-DD. [default: today]",
)
@click.option(
    "--ignore", default="", metavar="CODES",
    help="Comma-separated rule codes to switch off everywhere, e.g. BR104.",
)
def lint_command(seeds: Path, strict: bool, as_of: str | None, ignore: str) -> None:
    """Report analytic weaknesses in the judgments and BLUFs, each with a fix.

    Each finding is one line, FILE:LINE:COL: CODE message, followed by an indented
    fix. Exits 0 unless --strict and there are findings (or the knowledge base
    is invalid). The rules:

    \b
    BR101  high confidence resting on fewer than two publishers
    BR102  an estimative word in a judgment statement (the likelihood carries it)
    BR103  a judgment without indicators (what would change it)
    BR104  a judgment whose newest source is over 365 days older than --as-of
    BR105  high confidence citing only sources graded E or F
    BR106  a BLUF longer than 60 words
    BR107  an estimative word in a BLUF that is not a PHIA term ("probably")
    BR108  a judgment past its resolves_by with no outcome (overdue)

    One item switches a rule off with a reason: `lint_ignore: {BR103: "why"}` on
    the judgment or briefing.
    """
    from briefings.publish.lint import RULES
    from briefings.publish.lint import lint as find
    from briefings.publish.load import load

    codes = frozenset(c.strip().upper() for c in ignore.split(",") if c.strip())
    if unknown := sorted(codes - RULES.keys()):
        raise click.BadParameter(f"unknown rule code {', '.join(unknown)}; the rules are "
                                 f"{', '.join(RULES)}", param_hint="--ignore")
    findings = find(load(seeds), as_of=as_of or _date.today().isoformat(), ignore=codes)
    for finding in findings:
        click.echo(f"{finding}\n    fix: {finding.fix}")
    count = len(findings)
    click.echo(f"{count} finding{'s' if count != 1 else ''}" if count else "no findings")
    if strict and findings:
        sys.exit(1)
