"""``briefings withdraw``: an edition issued in error, marked and its readers told."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from briefings.cli import current_settings


@click.command()
@click.option(
    "--templates", type=click.Path(path_type=Path, file_okay=False), default=Path("templates"),
    show_default=True, help="Folder of templates that override the packaged ones.",
)
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
    show_default=True, help="Output folder for editions and the archive.",
)
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
