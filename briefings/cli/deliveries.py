"""What ``send`` and ``run`` say about delivery: the summary, and the alert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from briefings.config import Settings
    from briefings.deliver.report import DeliveryReport


def check_alert_to(settings: Settings) -> None:
    """A bad BRIEFINGS_ALERT_TO stops the command before it does anything."""
    from briefings.deliver.alerts import alert_recipients

    alert_recipients(settings.alert_to)


def show_delivery(report: DeliveryReport) -> None:
    """The counts, then each message not delivered, with the address and the reply."""
    click.echo(f"deliveries: {report.summary()}")
    for item in report.undelivered:
        click.echo(f"  {item}")


def alert(command: str, settings: Settings, *, not_built: Sequence[str] = (),
          delivery: DeliveryReport | None = None) -> None:
    """One alert for the command if anything failed; a failed alert is only reported."""
    from briefings.deliver.alerts import alert as send

    for line in send(command, settings=settings, not_built=not_built, delivery=delivery):
        click.echo(line, err=True)
