"""Editions on the command line: what a build did, ``briefings withdraw``, and the
corrections and withdrawal notices that ``send`` mails beside the editions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from briefings.cli import current_settings
from briefings.cli.options import OUT, TEMPLATES

if TYPE_CHECKING:
    import sqlite3

    from briefings.config import Settings
    from briefings.deliver.report import DeliveryReport
    from briefings.editions import Edition
    from briefings.publish.build import BuildReport


def show_build(report: BuildReport, out: Path) -> None:
    """The notes, each edition written (a correction says so), and the counts."""
    for note in report.notes:
        click.echo(note)
    for edition in report.built:
        kind = f", correction {edition.correction_number}" if edition.correction else ""
        click.echo(f"built {edition.html.parent}/ (edition {edition.number}{kind})")
    click.echo(
        f"{len(report.built)} built, {len(report.skipped)} unchanged and skipped, "
        f"{report.pages} pages, {report.bytes:,} bytes -> {out}/index.html "
        f"(public site: {out}/public/)"
    )


def send_notices(  # noqa: PLR0913
    *, conn: sqlite3.Connection, out: Path, settings: Settings, chosen: Sequence[Edition],
    date: str | None, only: Sequence[str], dry_run: bool,
) -> DeliveryReport:
    """Mail the corrections and withdrawal notices due (of ``date``, of ``only``), and
    say why any of the ``chosen`` editions goes to nobody."""
    from briefings.deliver.notices import send_notices as send
    from briefings.deliver.routing import withheld

    notices = send(conn=conn, out=out, settings=settings, date=date, only=only,
                   dry_run=dry_run)
    for edition in chosen:
        why = withheld(tlp=edition.tlp, red_readers=edition.red_readers, org=settings.org_domains)
        if edition.withdrawn:
            why = f"withdrawn ({edition.withdrawn.get('why', '')}): sent to nobody"
        if why:
            click.echo(f"{edition.briefing} {edition.date}: {why}", err=True)
    for item in notices.undelivered:
        click.echo(str(item), err=True)
    return notices


@click.command()
@TEMPLATES
@OUT
@click.option("--why", required=True, help="Why it is withdrawn: told to every reader who got it.")
@click.argument("briefing", metavar="ID")
@click.argument("date", type=click.DateTime(formats=["%Y-%m-%d"]))
def withdraw(templates: Path, out: Path, why: str, briefing: str, date: datetime) -> None:
    """Withdraw the edition of ID of DATE, issued in error.

    It is marked withdrawn in the archive and the feed and leaves the public site;
    its files stay as they are. The next send or run tells its readers, and it is
    sent to nobody else.
    """
    from briefings.publish.withdraw import withdraw as withdraw_edition

    day = date.date().isoformat()
    edition = withdraw_edition(out=out, templates=templates, briefing=briefing, date=day,
                               why=why, settings=current_settings())
    click.echo(f"withdrew {briefing} {day} (edition {edition.number}); its readers are told "
               "at the next send or run")
