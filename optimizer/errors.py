"""Exceptions of the optimisation core.

Outcomes are values, failures are exceptions: an infeasible or unbounded
scenario is a :class:`~optimizer.result.Result` with a status, never an
exception. Exceptions are for input that is not a valid scenario, a solver
that is not installed, and a solver that crashed.

    TotalplaceError
     +-- ScenarioError        the input is not a valid scenario (every problem listed)
     |    +-- ResidentsInputError   a residents' survey or vote is not valid input (every problem, by row and column)
     +-- SolverUnavailable    the requested back end is not installed or unknown
     +-- SolverFailure        a back end crashed or answered nonsense
"""

from __future__ import annotations

from dataclasses import dataclass


class TotalplaceError(Exception):
    """Base class of every error raised by the core."""


@dataclass(frozen=True)
class Problem:
    """One input error: where it is (a JSON pointer) and what to do about it."""

    loc: str
    msg: str

    def __str__(self) -> str:
        return f"{self.loc or '/'}: {self.msg}"

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "msg": self.msg}


class ScenarioError(TotalplaceError):
    """The input is not a valid scenario. ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"the scenario has {len(problems)} problem(s):\n{lines}")


class ResidentsInputError(ScenarioError):
    """A residents' survey or participatory vote (optimizer/residents) is not valid input; ``problems`` lists every error.

    A kind of :class:`ScenarioError`, as it is input to a scenario: the command line and the service report it
    alike (each problem where it is, and the fix). Its messages name rows and columns, never a respondent's answers.
    """

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        self.args = (f"the residents' input has {len(problems)} problem(s):\n{lines}",)


class SolverUnavailable(TotalplaceError):
    """The requested solver back end is unknown or not installed."""


class SolverFailure(TotalplaceError):
    """A solver back end failed in a way that is not an answer about the scenario."""


def pointer(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """Turn a location path into a JSON pointer (RFC 6901): ``('pools', 0, 'budget')`` -> ``/pools/0/budget``."""
    parts = []
    for part in loc:
        text = str(part).replace("~", "~0").replace("/", "~1")
        parts.append(text)
    return "/" + "/".join(parts) if parts else ""
