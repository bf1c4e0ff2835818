"""``briefings scorecard``: the judgments' track record, from the edition archive."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from briefings.cli.options import OUT, SEEDS, iso_date


@click.command()
@SEEDS
@OUT
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--as-of", callback=iso_date,
              help="Judge what is overdue as of this day, YYYY-MM-DD. [default: today]")
def scorecard(seeds: Path, out: Path, as_json: bool, as_of: str | None) -> None:
    """The judgments' track record: Brier score and calibration, from the edition archive.

    Each resolved judgment is scored on the likelihood printed in the last edition
    (of any briefing, as first issued) dated and built before its outcome; never on
    today's YAML. Overdue judgments (past resolves_by, no outcome) are listed last.
    """
    from briefings.publish import scorecard as scoring
    from briefings.publish.load import load

    today = date.fromisoformat(as_of) if as_of else date.today()
    card = scoring.scorecard(load(seeds), out=out, today=today)
    if as_json:
        click.echo(json.dumps(scoring.as_json(card), indent=2, ensure_ascii=False))
    else:
        click.echo(scoring.as_text(card))
