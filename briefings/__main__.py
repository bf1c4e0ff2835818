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
@click.option("--date", callback=_iso_date, help="The editions' date, YYYY-MM-DD. [default: today]")
@click.option("--force", is_flag=True, help="Rebuild even editions whose inputs are unchanged.")
@JOBS
@click.argument("ids", nargs=-1, metavar="[ID ...]")
def build(  # noqa: PLR0913
    seeds: Path, templates: Path, out: Path, date: str | None, force: bool, jobs: int | None,
    ids: tuple[str, ...],
) -> None:
    """Write each briefing's edition (web page and PDF) and the archive index.

    IDs limit the build to those briefings; without them, every briefing is built.
    """
    from briefings.build import build as build_editions

    with _Progress("rendering PDFs") as progress:
        report = build_editions(
            seeds=seeds, templates=templates, out=out,
            date=date or _date.today().isoformat(), force=force, jobs=jobs, only=ids,
            progress=progress,
        )
    for edition in report.built:
        click.echo(f"built {edition.html.parent}/ (edition {edition.number})")
    click.echo(
        f"{len(report.built)} built, {len(report.skipped)} unchanged and skipped, "
        f"{report.pages} pages, {report.bytes:,} bytes -> {out}/index.html"
    )


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


@cli.command()
@SEEDS
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
    show_default=True, help="Output folder whose editions are the record.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--as-of", callback=_iso_date,
              help="Judge what is overdue as of this day, YYYY-MM-DD. [default: today]")
def scorecard(seeds: Path, out: Path, as_json: bool, as_of: str | None) -> None:
    """The judgments' track record: Brier score and calibration, from the edition archive.

    Each resolved judgment is scored on the likelihood printed in the last edition
    (of any briefing, as first issued) dated and built before its outcome; never on
    today's YAML. Overdue judgments (past resolves_by, no outcome) are listed last.
    """
    import json

    from briefings import scorecard as scoring
    from briefings.load import load

    card = scoring.scorecard(load(seeds), out=out,
                             today=_date.fromisoformat(as_of) if as_of else _date.today())
    if as_json:
        click.echo(json.dumps(scoring.as_json(card), indent=2, ensure_ascii=False))
    else:
        click.echo(scoring.as_text(card))


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
    from briefings.state import connect

    chosen = pick_editions(out, date=date, only=ids)
    conn = connect(out=out)
    with _Progress("sending") as progress:
        report = deliver(
            conn=conn, editions=chosen, templates=templates, dry_run=dry_run,
            progress=None if dry_run else progress,
        )
    for label, address in report.planned:
        click.echo(f"would send {label} -> {address}")
    for problem in report.problems:
        click.echo(problem, err=True)
    if dry_run:
        click.echo(f"dry run: {len(report.planned)} to send, {report.skipped} already done")
        return
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@cli.command()
@OUT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
    help="Port to listen on.",
)
def serve(out: Path, host: str, port: int) -> None:
    """Serve the archive (read-only) and the unsubscribe endpoint."""
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
