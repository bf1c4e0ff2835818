"""``briefings scorecard``: the judgments' track record, from the edition archive."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


@click.command()
@click.option(
    "--seeds", type=click.Path(path_type=Path, file_okay=False), default=Path("seeds"),
    show_default=True, help="Folder of the knowledge base (the judgments and their outcomes).",
)
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
    show_default=True, help="Output folder whose editions are the record.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--as-of", callback=_day,
              help="Judge what is overdue as of this day, YYYY-MM-DD. [default: today]")
def scorecard(seeds: Path, out: Path, as_json: bool, as_of: date | None) -> None:
    """The judgments' track record: Brier score and calibration, from the edition archive.

    Each resolved judgment is scored on the likelihood printed in the last edition
    (of any briefing, as first issued) dated and built before its outcome; never on
    today's YAML. Overdue judgments (past resolves_by, no outcome) are listed last.
    """
    from briefings.publish import scorecard as scoring
    from briefings.publish.load import load

    card = scoring.scorecard(load(seeds), out=out, today=as_of or date.today())
    if as_json:
        click.echo(json.dumps(scoring.as_json(card), indent=2, ensure_ascii=False))
    else:
        click.echo(scoring.as_text(card))
