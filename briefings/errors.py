"""User errors: a clean message and an exit code, never a traceback.

Plain exceptions: the command line (:mod:`briefings.cli`) shows them and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """A mistake in the user's input or settings; shown without a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a knowledge-base file, located as precisely as we can."""

    file: str
    line: int
    column: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message}"


class InvalidKnowledgeBase(UserError):
    """Every problem found in one load of the knowledge base."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
        count = len(self.problems)
        lines = [str(p) for p in self.problems]
        lines.append(f"{count} error{'s' if count != 1 else ''} in the knowledge base")
        super().__init__("\n".join(lines))
