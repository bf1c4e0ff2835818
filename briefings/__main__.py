"""The command line: parses options and calls one core function per command.

Core modules are imported inside each command, so ``briefings --help`` stays fast
and ``validate`` never loads WeasyPrint.
"""

from __future__ import annotations

import sys
from datetime import date as _date
from pathlib import Path

import click

from briefings import __version__

SEEDS = click.option(
    "--seeds", type=click.Path(path_type=Path, file_okay=False), default=Path("seeds"),
    show_default=True, help="Folder of the knowledge base (*.yaml, *.yml, searched recursively).",
)
OUT = click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
    show_default=True, help="Output folder for editions and the archive.",
)


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
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
@click.option(
    "--templates", type=click.Path(path_type=Path, file_okay=False), default=Path("templates"),
    show_default=True,
    help="Folder of templates that override the packaged ones, one file at a time.",
)
@OUT
@click.option("--date", callback=_iso_date, help="The editions' date, YYYY-MM-DD. [default: today]")
@click.option("--force", is_flag=True, help="Rebuild even editions whose inputs are unchanged.")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="PDFs rendered in parallel processes. [default: the number of cores]",
)
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


@cli.command()
def schema() -> None:
    """Print a JSON Schema of the YAML format, for editors."""
    from briefings.schema import json_schema

    click.echo(json_schema())


class _Progress:
    """A progress bar on a terminal; plain lines elsewhere (CI, logs)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.tty = sys.stderr.isatty()

    def __enter__(self) -> _Progress:
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
