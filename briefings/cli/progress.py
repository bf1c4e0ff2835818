"""Progress of a long command: a bar on a terminal, plain lines elsewhere (CI, logs)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Self

import click

if TYPE_CHECKING:
    from types import TracebackType

    from click._termui_impl import ProgressBar


class Progress:
    """A progress bar on a terminal; plain lines elsewhere (CI, logs)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: ProgressBar[int] | None = None
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
        self.bar.update(1)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.__exit__(kind, error, trace)
