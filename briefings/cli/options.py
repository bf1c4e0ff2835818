"""Options and checks shared by the commands."""

from __future__ import annotations

from datetime import date as _date
from pathlib import Path

import click

SEEDS = click.option(
    "--seeds", type=click.Path(path_type=Path, file_okay=False), default=Path("seeds"),
    show_default=True, help="Folder of the knowledge base (*.yaml, *.yml, searched recursively).",
)
TEMPLATES = click.option(
    "--templates", type=click.Path(path_type=Path, file_okay=False), default=Path("templates"),
    show_default=True,
    help="Folder of templates that override the packaged ones, a file at a time "
    '(or a block: {% extends "default:briefing.html" %}).',
)
JOBS = click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="PDFs rendered in parallel processes. [default: the number of cores]",
)
OUT = click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
    show_default=True, help="Output folder for editions and the archive.",
)


def iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A ``--date``-style option's value checked as YYYY-MM-DD."""
    if value is None:
        return None
    try:
        return in_range(_date.fromisoformat(value)).isoformat()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


def in_range(moment: _date) -> _date:
    """Dates (and date-times) the knowledge base allows; a year like 9999 is a typo."""
    from briefings.values import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise click.BadParameter(
            f"year {moment.year:04d} is out of range: dates run from {FIRST_YEAR} to {LAST_YEAR}"
        )
    return moment
