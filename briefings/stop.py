"""A clean stop: SIGTERM or SIGINT end a command at a safe point, never half-way.

The command line runs each command inside :func:`stop_cleanly`: the first SIGTERM
or SIGINT raises :class:`Stopped` in the main thread, so every ``finally`` runs
(temporary files removed, PDF workers ended, the lock released, the transaction
rolled back) and the command exits ``128 + signal``. Code that must not be cut in
two runs inside :func:`deferred` (one message: sent *and* recorded; one edition:
written *and* moved into place): a signal that arrives there takes effect when
the block ends. A second signal during such a block stops at once.

Outside :func:`stop_cleanly` (a library call, the tests) nothing changes.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """SIGTERM or SIGINT. A BaseException, so no handler of one briefing's failure
    (``except Exception``) takes it for an error of its own and carries on."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")  # "stopped by SIGTERM"

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass
class _State:
    signum: int | None = None  # the first signal received
    raised: bool = False  # Stopped is on its way up: later signals are ignored
    depth: int = 0  # how many deferred() blocks are open


_state = _State()


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if _state.raised:
        return  # already stopping: let the clean-up finish
    if _state.signum is None and _state.depth:
        _state.signum = signum  # deferred: raised when the block ends
        return
    _state.signum, _state.raised = signum, True
    raise Stopped(signum)


@contextmanager
def stop_cleanly() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into :class:`Stopped` for the block (main thread only)."""
    global _state  # noqa: PLW0603 - one process, one set of signal handlers
    _state = _State()
    previous = {s: signal.signal(s, _on_signal) for s in SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """A block a signal does not cut in two: a stop asked for inside it happens
    when it ends. Usable as a decorator."""
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
    if _state.depth == 0 and _state.signum is not None and not _state.raised:
        _state.raised = True
        raise Stopped(_state.signum)


def worker_signals() -> None:
    """In a worker process: ignore SIGINT (the parent decides; a terminal sends it to
    the whole group) and die on SIGTERM (how the parent ends a worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
