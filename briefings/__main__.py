"""The command line: parses options and calls one core function per command.

Core modules are imported inside each command, so ``briefings --help`` stays fast
and ``validate`` never loads WeasyPrint.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from datetime import date as _date
from pathlib import Path
from typing import Self

import click

from briefings import __version__

SEEDS = click.option(
    "--seeds", type=click.Path(path_type=Path, file_okay=False), default=Path("seeds"),
    show_default=True, help="Folder of the knowledge base (*.yaml, *.yml, searched recursively).",
)
TEMPLATES = click.option(
    "--templates", type=click.Path(path_type=Path, file_okay=False), default=Path("templates"),
    show_default=True,
    help="Folder of templates that override the packaged ones, one file at a time.",
)
JOBS = click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="PDFs rendered in parallel processes. [default: the number of cores]",
)
OUT = click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
    show_default=True, help="Output folder for editions and the archive.",
)


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


def _iso_moment(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        message = f"expected an ISO date-time such as 2025-04-09T07:00Z, got {value!r}"
        raise click.BadParameter(message) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


NOW = click.option(
    "--now", callback=_iso_moment,
    help="Pretend it is this ISO date-time (UTC unless it names an offset). [default: now]",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefings")
def cli() -> None:
    """Briefing notes (web page, PDF, email) from a curated YAML knowledge base."""


@cli.command()
@SEEDS
def validate(seeds: Path) -> None:
    """Check the knowledge base; report every error as file:line:col."""
    from briefings.load import load

    kb = load(seeds)
    counts = ", ".join(f"{len(items)} {name}" for name, items in kb.collections.items())
    click.echo(f"{seeds}: valid ({counts})")


@cli.command()
@SEEDS
@TEMPLATES
@OUT
@click.option("--date", callback=_iso_date, help="The editions' date, YYYY-MM-DD. "
              "[default: today, where it is earliest in the briefings' time zones]")
@click.option("--force", is_flag=True, help="Rebuild even editions whose inputs are unchanged "
              "(never one already delivered).")
@click.option("--correct", metavar="WHY", help="Issue the changed content of editions already "
              "delivered as a correction, saying why; it is mailed to their readers.")
@click.option("--backdate", is_flag=True,
              help="Allow a new edition dated before the briefing's latest one.")
@NOW
@JOBS
@click.argument("ids", nargs=-1, metavar="[ID ...]")
def build(  # noqa: PLR0913
    seeds: Path, templates: Path, out: Path, date: str | None, force: bool, correct: str | None,
    backdate: bool, now: datetime | None, jobs: int | None, ids: tuple[str, ...],
) -> None:
    """Write each briefing's edition (web page and PDF), the archive and the public site.

    IDs limit the build to those briefings; without them, every briefing is built.
    An edition delivered to anyone never changes: a rebuild with new content is
    refused unless --correct says why.
    """
    from briefings.build import build as build_editions
    from briefings.state import state_path

    moment = now or datetime.now(UTC)
    with _Progress("rendering PDFs") as progress:
        report = build_editions(
            seeds=seeds, templates=templates, out=out, state=state_path(out), now=moment,
            date=date, force=force, jobs=jobs,
            only=ids, progress=progress, correct=correct, backdate=backdate,
        )
    for note in report.notes:
        click.echo(note)
    for edition in report.built:
        kind = f", correction {edition.correction_number}" if edition.correction else ""
        click.echo(f"built {edition.html.parent}/ (edition {edition.number}{kind})")
    click.echo(
        f"{len(report.built)} built, {len(report.skipped)} unchanged and skipped, "
        f"{report.pages} pages, {report.bytes:,} bytes -> {out}/index.html"
    )


@cli.command()
@SEEDS
@TEMPLATES
@OUT
@NOW
@JOBS
def run(
    seeds: Path, templates: Path, out: Path, now: datetime | None, jobs: int | None,
) -> None:
    """The scheduled job: build each briefing's due edition and deliver it, once.

    Safe to run as often as you like (from cron or a systemd timer): a slot already
    handled is not built or sent again. Briefings without a schedule are left to
    `build` and `send`. Exits 1 if any briefing failed.
    """
    from briefings.job import run_due

    with _Progress("rendering PDFs") as progress:
        report = run_due(seeds=seeds, templates=templates, out=out,
                         now=now or datetime.now(UTC), jobs=jobs, progress=progress)
    for outcome in report.outcomes:
        click.echo(f"{outcome.briefing}: {outcome.status}: {outcome.detail}")
    counts = {s: sum(o.status == s for o in report.outcomes)
              for s in ("done", "unchanged", "failed", "not-due")}
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
    if not report.ok:
        sys.exit(1)


@cli.command("schedule")
@SEEDS
@NOW
@click.option("--count", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many upcoming run times to list.")
def schedule_command(seeds: Path, now: datetime | None, count: int) -> None:
    """Each briefing's schedule in words and its next run times."""
    from briefings.load import load
    from briefings.schedule import in_words, next_slots

    kb = load(seeds)
    moment = now or datetime.now(UTC)
    for briefing in kb["briefings"].values():
        if not briefing.schedule:
            click.echo(f"{briefing.id}: no schedule (built by `briefings build` only)")
            continue
        click.echo(f"{briefing.id}: {in_words(briefing.schedule)} ({briefing.schedule}, "
                   f"{briefing.timezone})")
        for slot in next_slots(briefing, moment, count):
            click.echo(f"  {slot.instant.isoformat()}  edition {slot.date}")


@cli.command()
def schema() -> None:
    """Print a JSON Schema of the YAML format, for editors."""
    from briefings.schema import json_schema

    click.echo(json_schema())


@cli.group()
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
    from briefings.state import connect
    from briefings.subscribers import add

    reader, created = add(
        connect(), address=email, name=name, topics=topics.split(","), tlp=tlp,
        resubscribe=resubscribe,
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
    from briefings.state import connect
    from briefings.subscribers import import_csv

    report = import_csv(connect(), path=file, skip_invalid=skip_invalid)
    for problem in report.problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(f"{report.added} added, {report.updated} updated, "
               f"{len(report.problems)} bad rows skipped")


@subscribers.command("list")
def subscribers_list() -> None:
    """List every subscriber: address, status, TLP, topics and name."""
    from briefings.state import connect
    from briefings.subscribers import listing

    for reader in listing(connect()):
        topics = ";".join(reader.topics) or "*"
        click.echo(f"{reader.address}\t{reader.status}\t{reader.tlp}\t{topics}\t{reader.name}")


@subscribers.command("remove")
@click.argument("email")
def subscribers_remove(email: str) -> None:
    """Delete a subscriber and their delivery records."""
    from briefings.state import connect
    from briefings.subscribers import remove

    remove(connect(), address=email)
    click.echo(f"removed {email}")


@cli.command()
@SEEDS
@click.option(
    "--templates", type=click.Path(path_type=Path, file_okay=False), default=Path("templates"),
    show_default=True, help="Folder of templates that override email.html and email.txt.",
)
@OUT
@click.option(
    "--date", callback=_iso_date,
    help="Send the editions of this date. [default: the latest of each briefing]",
)
@click.option("--dry-run", is_flag=True, help="List who would get what; send nothing.")
@click.argument("ids", nargs=-1, metavar="[ID ...]")
def send(  # noqa: PLR0913
    seeds: Path, templates: Path, out: Path, date: str | None, dry_run: bool,
    ids: tuple[str, ...],
) -> None:
    """Deliver editions to the subscribers who should get them, once each.

    Mail goes to BRIEFINGS_SMTP_URL, or to outbox/ as .eml files when it is unset.
    The editions are read from OUT (each keeps the snapshot it was built from), so
    --seeds is not read.
    """
    del seeds  # part of the fixed interface; an edition carries its own snapshot
    from briefings.deliver import deliver, pick_editions
    from briefings.notices import send_notices
    from briefings.state import connect
    from briefings.subscribers import withheld

    chosen = pick_editions(out, date=date, only=ids)
    conn = connect(out=out)
    with _Progress("sending") as progress:
        report = deliver(
            conn=conn, editions=chosen, templates=templates, dry_run=dry_run,
            progress=None if dry_run else progress,
        )
    notices = send_notices(conn=conn, out=out, templates=templates, date=date, only=ids,
                           dry_run=dry_run)
    for edition in chosen:
        if why := withheld(tlp=edition.tlp, red_readers=edition.red_readers):
            click.echo(f"{edition.briefing} {edition.date}: {why}", err=True)
    for label, address in report.planned + notices.planned:
        click.echo(f"would send {label} -> {address}")
    for problem in report.problems + notices.problems:
        click.echo(problem, err=True)
    if dry_run:
        click.echo(f"dry run: {len(report.planned) + len(notices.planned)} to send, "
                   f"{report.skipped} already done")
        return
    click.echo(report.summary())
    if notices.sent or notices.failed or notices.deferred:
        click.echo(f"corrections and withdrawals: {notices.summary()}")
    if not report.ok or not notices.ok:
        sys.exit(1)


@cli.command()
@TEMPLATES
@OUT
@click.option("--why", required=True, help="Why it is withdrawn: told to every reader who got it.")
@click.argument("briefing", metavar="ID")
@click.argument("date", callback=_iso_date)
def withdraw(templates: Path, out: Path, why: str, briefing: str, date: str) -> None:
    """Withdraw the edition of ID of DATE, issued in error.

    It is marked withdrawn in the archive and the feed and leaves the public site;
    its files stay as they are. The next send or run tells its readers, and it is
    sent to nobody else.
    """
    from briefings.withdraw import withdraw as withdraw_edition

    edition = withdraw_edition(out=out, templates=templates, briefing=briefing, date=date,
                               why=why)
    click.echo(f"withdrew {briefing} {date} (edition {edition.number}); its readers are told "
               "at the next send or run")


@cli.command()
@OUT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
    help="Port to listen on.",
)
def serve(out: Path, host: str, port: int) -> None:
    """Serve the public site OUT/public (read-only) and the unsubscribe endpoint."""
    from briefings.serve import serve as run_server

    run_server(out=out, host=host, port=port)


class _Progress:
    """A progress bar on a terminal; plain lines elsewhere (CI, logs)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.tty = sys.stderr.isatty()

    def __enter__(self) -> Self:
        return self

    def __call__(self, item: str, done: int, total: int) -> None:
        if not self.tty:
            click.echo(f"[{done}/{total}] {item}", err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1, item)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def main() -> None:
    cli(prog_name="briefings")


if __name__ == "__main__":
    main()
