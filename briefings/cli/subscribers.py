"""``briefings subscribers``: add, import, list and remove readers."""

from __future__ import annotations

from pathlib import Path

import click

from briefings.cli import current_settings


@click.group()
def subscribers() -> None:
    """Manage subscribers: address, name, topics and TLP clearance.

    The database is BRIEFINGS_STATE (default: briefings.sqlite3 in this folder).
    """


@subscribers.command("add")
@click.argument("email")
@click.option("--name", default="", help="The reader's name, shown in the To: header.")
@click.option(
    "--topics", default="",
    help="Comma-separated topics, e.g. water,basin; empty or * gets every briefing.",
)
@click.option(
    "--tlp", default="clear", show_default=True, metavar="LEVEL",
    help="Clearance: clear, green, amber, amber+strict or red.",
)
@click.option(
    "--resubscribe", is_flag=True,
    help="Make an unsubscribed address active again (only at the reader's own request).",
)
def subscribers_add(email: str, name: str, topics: str, tlp: str, resubscribe: bool) -> None:
    """Add a subscriber, or update the one with this address."""
    from briefings.deliver.state import connect
    from briefings.deliver.subscribers import add

    reader, created = add(
        connect(current_settings().state), address=email, name=name, topics=topics.split(","),
        tlp=tlp, resubscribe=resubscribe,
    )
    note = "" if reader.status == "active" else " (unsubscribed: use --resubscribe to reactivate)"
    click.echo(f"{'added' if created else 'updated'} {reader.address}{note}")


@subscribers.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; report the rest.")
def subscribers_import(file: Path, skip_invalid: bool) -> None:
    """Import subscribers from a CSV file with the header email,name,topics,tlp.

    Topics are separated by ';'. An address already present is updated. Every bad
    row is reported; without --skip-invalid nothing is imported if any row is bad.
    """
    from briefings.deliver.state import connect
    from briefings.deliver.subscribers import import_csv

    report = import_csv(connect(current_settings().state), path=file, skip_invalid=skip_invalid)
    for note in report.notes:
        click.echo(note, err=True)
    for problem in report.problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(f"{report.added} added, {report.updated} updated, "
               f"{len(report.problems)} bad rows skipped")


@subscribers.command("list")
def subscribers_list() -> None:
    """List every subscriber: address, status, TLP, topics and name."""
    from briefings.deliver.state import connect
    from briefings.deliver.subscribers import listing

    for reader in listing(connect(current_settings().state)):
        topics = ";".join(reader.topics) or "*"
        click.echo(f"{reader.address}\t{reader.status}\t{reader.tlp}\t{topics}\t{reader.name}")


@subscribers.command("remove")
@click.argument("email")
def subscribers_remove(email: str) -> None:
    """Delete a subscriber and their delivery records."""
    from briefings.deliver.state import connect
    from briefings.deliver.subscribers import remove

    remove(connect(current_settings().state), address=email)
    click.echo(f"removed {email}")
