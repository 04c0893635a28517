"""Exceptions raised by gigawatt, each specific to what went wrong."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GigawattError", "Problem", "ScenarioError", "UnknownScenarioError"]


class GigawattError(Exception):
    """Base class of every error gigawatt raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(GigawattError):
    """A scenario or catalog file that is not valid; one :class:`Problem` per mistake."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownScenarioError(GigawattError):
    """A scenario name that is neither built in nor an existing file."""
