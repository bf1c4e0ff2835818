"""The command line: parses options and calls one core function per command.

Core modules are imported inside each command, so ``briefings --help`` stays fast
and ``validate`` never loads WeasyPrint.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from briefings import __version__
from briefings.cli import current_settings
from briefings.cli.authoring import init, lint_command, lint_warnings, preview
from briefings.cli.editions import withdraw
from briefings.cli.options import JOBS, OUT, SEEDS, TEMPLATES
from briefings.cli.options import in_range as _in_range
from briefings.cli.options import iso_date as _iso_date
from briefings.cli.progress import Progress
from briefings.cli.scorecard import scorecard
from briefings.cli.subscribers import subscribers
from briefings.config import Settings
from briefings.errors import InvalidKnowledgeBase, UserError


def _iso_moment(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        _in_range(moment)
    except ValueError:
        message = f"expected an ISO date-time such as 2025-04-09T07:00Z, got {value!r}"
        raise click.BadParameter(message) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


NOW = click.option(
    "--now", callback=_iso_moment,
    help="Pretend it is this ISO date-time (UTC unless it names an offset). [default: now]",
)


class _Shown(click.ClickException):
    """A :class:`UserError` as click shows it: one clean message, exit 1."""

    def __init__(self, error: UserError) -> None:
        super().__init__(error.message)
        self.error = error

    def show(self, file: IO[Any] | None = None) -> None:
        if isinstance(self.error, InvalidKnowledgeBase):  # one problem a line, no "Error:"
            click.echo(self.message, err=True, file=file)
        else:
            super().show(file)


class _Group(click.Group):
    """Commands whose user errors end in a clean message, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise _Shown(exc) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefings")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Briefing notes (web page, PDF, email) from a curated YAML knowledge base."""
    ctx.obj = Settings.from_env()  # the environment, read once, passed down


for command in (subscribers, init, preview, lint_command, scorecard, withdraw):
    cli.add_command(command)  # commands of their own modules


@cli.command()
@SEEDS
def validate(seeds: Path) -> None:
    """Check the knowledge base; report every error as file:line:col."""
    from briefings.deliver.schedule import in_words
    from briefings.publish.load import load

    kb = load(seeds)
    counts = ", ".join(f"{len(items)} {name}" for name, items in kb.collections.items())
    click.echo(f"{seeds}: valid ({counts})")
    for briefing in kb["briefings"].values():
        if briefing.schedule:
            click.echo(f"{briefing.id}: {in_words(briefing.schedule)} ({briefing.schedule}, "
                       f"{briefing.timezone})")


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
@click.option("--backdate", is_flag=True, help="Allow a new edition before the latest one.")
@NOW
@JOBS
@click.argument("ids", nargs=-1, metavar="[ID ...]")
def build(  # noqa: PLR0913
    seeds: Path, templates: Path, out: Path, date: str | None, force: bool, correct: str | None,
    backdate: bool, now: datetime | None, jobs: int | None, ids: tuple[str, ...],
) -> None:
    """Write each briefing's edition (web page and PDF), the archive and the public site.

    IDs limit the build to those briefings; without them, every briefing is built. A
    delivered edition never changes: new content is refused unless --correct says why.
    """
    from briefings.cli.editions import show_build
    from briefings.publish.build import build as build_editions

    with Progress("rendering PDFs") as progress:
        report = build_editions(
            seeds=seeds, templates=templates, out=out, date=date, force=force, jobs=jobs,
            only=ids, progress=progress, settings=current_settings(),
            now=now or datetime.now(UTC), correct=correct, backdate=backdate,
        )
    show_build(report, out)
    if report.kb is not None:  # read once, for the build and its warnings; an unchanged
        # knowledge base is not read again: its warnings came with the build it skips
        lint_warnings(report.kb, as_of=date or (now or datetime.now(UTC)).date().isoformat())


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
    `build` and `send`. Deliveries still pending from earlier runs are tried again.
    Exits 1 if any briefing failed to build, or any message failed or is left
    pending; with BRIEFINGS_ALERT_TO set, failures are mailed there too.
    """
    from briefings.cli.deliveries import alert, check_alert_to, show_delivery
    from briefings.cli.run import run_due

    settings = current_settings()
    check_alert_to(settings)
    try:
        with Progress("rendering PDFs") as progress:
            report = run_due(seeds=seeds, templates=templates, out=out,
                             now=now or datetime.now(UTC), jobs=jobs, progress=progress,
                             settings=settings)
    except InvalidKnowledgeBase as exc:
        alert("run", settings, not_built=[f"the knowledge base in {seeds}:\n{exc.message}"])
        raise
    for outcome in report.outcomes:
        click.echo(f"{outcome.briefing}: {outcome.status}: {outcome.detail}")
    counts = {s: sum(o.status == s for o in report.outcomes)
              for s in ("done", "unchanged", "failed", "not-due")}
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
    if report.delivery is not None and (report.delivery.tally or report.delivery.undelivered):
        show_delivery(report.delivery)
    alert("run", settings, not_built=report.not_built, delivery=report.delivery)
    if not report.ok:
        sys.exit(1)


@cli.command("schedule")
@SEEDS
@NOW
@click.option("--count", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many upcoming run times to list.")
def schedule_command(seeds: Path, now: datetime | None, count: int) -> None:
    """Each briefing's schedule in words and its next run times."""
    from briefings.deliver.schedule import in_words, next_slots
    from briefings.publish.load import load

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
    from briefings.publish.schema import json_schema

    click.echo(json_schema())


@cli.command()
@click.option("--seeds", type=click.Path(path_type=Path), hidden=True,
              help="Accepted and ignored: an edition carries everything its email needs.")
@OUT
@click.option(
    "--date", callback=_iso_date,
    help="Send the editions of this date. [default: the latest of each briefing]",
)
@click.option("--dry-run", is_flag=True, help="List who would get what; send nothing.")
@click.argument("ids", nargs=-1, metavar="[ID ...]")
def send(
    seeds: Path | None, out: Path, date: str | None, dry_run: bool, ids: tuple[str, ...],
) -> None:
    """Deliver editions to the subscribers who should get them, once each.

    Mail goes to BRIEFINGS_SMTP_URL, or to outbox/ as .eml files when it is unset.
    Each edition is sent as it was built: its email was rendered into OUT by
    `build`, so the knowledge base and templates are not read (--seeds is accepted
    and ignored, for older scripts). Deliveries still pending from earlier sends (of
    the IDs given, or of every briefing) are tried again too; pending for 5 days,
    they expire. Exits 1 if any message failed or is left pending; with
    BRIEFINGS_ALERT_TO set, failures are mailed there too.
    """
    del seeds  # part of the fixed interface (DESIGN.md); an edition carries its email
    settings = current_settings()
    from briefings.cli.deliveries import alert, check_alert_to, show_delivery
    from briefings.cli.editions import send_notices
    from briefings.deliver.ledger import deliver, pick_editions
    from briefings.deliver.state import connect

    check_alert_to(settings)
    chosen = pick_editions(out, date=date, only=ids)
    conn = connect(settings.state, out=out)
    with Progress("sending") as progress:
        report = deliver(
            conn=conn, editions=chosen, out=out, only=ids, settings=settings,
            dry_run=dry_run, progress=None if dry_run else progress,
        )
    notices = send_notices(conn=conn, out=out, settings=settings, chosen=chosen, date=date,
                           only=ids, dry_run=dry_run)
    for label, address in report.planned + notices.planned:
        click.echo(f"would send {label} -> {address}")
    if dry_run:
        for item in report.broken:
            click.echo(f"  {item}")
        click.echo(f"dry run: {len(report.planned) + len(notices.planned)} to send, "
                   f"{report.skipped} already done")
        return
    show_delivery(report)
    if notices.sent or notices.failed or notices.pending:
        click.echo(f"corrections and withdrawals: {notices.summary()}")
    alert("send", settings, delivery=report)
    if not report.ok or not notices.ok:
        sys.exit(1)


@cli.command()
@OUT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
    help="Port to listen on.",
)
def serve(out: Path, host: str, port: int) -> None:
    """Serve the public site OUT/public (read-only) and the unsubscribe endpoint."""
    from briefings.deliver.serve import serve as run_server

    run_server(out=out, host=host, port=port, settings=current_settings())


def main() -> None:
    from briefings.stop import Stopped, stop_cleanly

    try:
        with stop_cleanly():
            cli(prog_name="briefings")
    except Stopped as stop:
        click.echo(f"{stop}, cleanly: nothing half-written, the lock released", err=True)
        sys.exit(stop.exit_code)


if __name__ == "__main__":
    main()
