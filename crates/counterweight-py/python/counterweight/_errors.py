"""The exceptions of counterweight: one hierarchy, raised by every function.

``str(err)`` is the same one-screen message the ``counterweight`` command prints (for a
scenario: the file:line:column, the offending line with a caret, the field and what would
be valid); the attributes carry the same facts for programs.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "CounterweightError",
    "ScenarioError",
    "TimelineError",
    "MeasureError",
    "RunError",
    "SweepError",
]


class CounterweightError(Exception):
    """Base class of every counterweight error."""


class ScenarioError(CounterweightError, ValueError):
    """An invalid scenario (or override), located.

    Attributes:
        path: where the scenario came from: a file path, ``<embedded NAME>``,
            ``<string>``, ``<dict>``, or ``--set key=value`` for an override.
        line, column: 1-based position in that text (None when it has none).
        field: the field path, e.g. ``actors[0].count`` (None when unknown).
        valid: what would be valid (None when the message says it).
        problem: the message alone, without the location block.
        source_line: the offending line of the source, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        field: Optional[str] = None,
        valid: Optional[str] = None,
        problem: Optional[str] = None,
        source_line: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.valid = valid
        self.problem = problem
        self.source_line = source_line

    def __reduce__(self):  # picklable across processes (Dask)
        return (_rebuild, (type(self), self.args[0], self.__dict__))


class TimelineError(CounterweightError, ValueError):
    """An invalid Dual Governance timeline, located (``path``, ``line``, ``column``)."""

    def __init__(
        self,
        message: str,
        *,
        path: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        problem: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem

    def __reduce__(self):
        return (_rebuild, (type(self), self.args[0], self.__dict__))


class MeasureError(CounterweightError, ValueError):
    """Data that cannot be measured: a missing column, a value that is not a finite
    number >= 0 (with its line or row), no rows, all zeros."""


class RunError(CounterweightError, RuntimeError):
    """A run that failed, e.g. a numerical blow-up (the message names the replicate,
    the step, the actor and the term)."""


class SweepError(CounterweightError, RuntimeError):
    """A sweep that could not be set up, resumed or written (a bad ``vary``, an output
    directory that holds another sweep, ...)."""


def _rebuild(cls, message, attrs):
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(attrs)
    return err
