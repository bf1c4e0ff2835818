"""Print an edition's PDFs in worker processes while the build prepares the next one.

Only the workers import WeasyPrint (:mod:`briefings.publish.pdf`): the build's own
process never pays for it, and a command that prints nothing never loads it.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from itertools import chain
from pathlib import Path
from typing import Self

from briefings.stop import worker_signals

# Layout makes many short-lived objects: the collector runs a tenth as often as by
# default, and what a worker inherits or loads once (the parent's objects, WeasyPrint,
# its fonts) is frozen out of its scans. Prints are 10-15% faster; cycles are still
# collected, so memory stays bounded however many notes a worker prints.
PRINTING_GC = (20_000, 20, 20)


def _start_worker() -> None:
    """In a worker, first: its signals, and the collector tuned for printing."""
    worker_signals()
    gc.set_threshold(*PRINTING_GC)
    gc.freeze()


def _warm_up() -> None:
    """In a worker: import WeasyPrint and load its fonts (only workers import WeasyPrint)."""
    from briefings.publish import pdf

    pdf.warm_up()
    gc.freeze()


def _write_pdf(html: str, asset_dirs: list[Path]) -> tuple[bytes, int]:
    """In a worker: the PDF of ``html`` and its page count."""
    from briefings.publish import pdf

    return pdf.write_pdf(html, asset_dirs=asset_dirs)


class Printer:
    """Prints PDFs in ``jobs`` worker processes while the caller prepares the next edition.

    The workers are forked at once, before the figures start any thread; each imports
    WeasyPrint and warms up its fonts while the caller prepares the first edition.
    """

    def __init__(
        self, *, jobs: int | None, total: int, asset_dirs: list[Path],
        progress: Callable[[str, int, int], None] | None,
    ) -> None:
        self.asset_dirs, self.total, self.progress = asset_dirs, total, progress
        self.futures: list[tuple[str, Future[tuple[bytes, int]]]] = []
        self.pool = None
        self.workers = max(1, min(jobs or os.cpu_count() or 1, total))
        if total == 0:
            return
        import multiprocessing

        fork = multiprocessing.get_context("fork")
        self.pool = ProcessPoolExecutor(self.workers, mp_context=fork, initializer=_start_worker)
        for _ in range(self.workers):
            self.pool.submit(_warm_up)

    def __enter__(self) -> Self:
        return self

    def submit(self, briefing: str, html: str) -> None:
        assert self.pool is not None
        future = self.pool.submit(_write_pdf, html, self.asset_dirs)
        self.futures.append((briefing, future))

    def results(self, *, when_free: Callable[[], None]) -> list[tuple[bytes, int]]:
        """Each PDF and its page count, in the order submitted.

        ``when_free`` runs once, here, as soon as fewer PDFs print at once than the
        machine has cores: work that needs no PDF fills the core that is free.
        """
        index = {future: briefing for briefing, future in self.futures}
        cores, pending = os.cpu_count() or 1, [when_free]
        for done, future in enumerate(chain([None], as_completed(index))):
            if future is not None:
                future.result()
                if self.progress:
                    self.progress(index[future], done, len(index))
            if pending and min(len(index) - done, self.workers) < cores:
                pending.pop()()
        return [future.result() for _, future in self.futures]

    def __exit__(self, kind: object, *_rest: object) -> None:
        if self.pool is None:
            return
        if kind is None:
            self.pool.shutdown(wait=True)
            return
        # A failure or a stop: end the workers now rather than wait for their PDFs
        # (Python 3.14 has ProcessPoolExecutor.terminate_workers() for this), then
        # wait for the pool's own thread to see them gone: one left running races
        # the interpreter's exit (a "Bad file descriptor" traceback at shutdown).
        for worker in list((self.pool._processes or {}).values()):  # noqa: SLF001
            worker.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
