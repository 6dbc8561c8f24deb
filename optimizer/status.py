"""The status vocabulary of a solve: how it ended (:class:`Status`) and, if a limit stopped it, which (:class:`Limit`).

Both are string enums whose values are the strings the result format has
always used (docs/result-format.md), so ``json.dumps`` and comparisons with
plain strings see no change. As in MathOpt's ``Termination``, the reason a
solve ended and the limit that ended it are separate: a time limit is a
``feasible`` result (a solution, not proven optimal) or an ``error`` (no
solution) with ``limit`` ``time``, never a status of its own.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """How a solve ended (the contract's status vocabulary)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"


class Limit(StrEnum):
    """The limit that stopped a solve before it proved optimality or infeasibility (MathOpt's ``Limit``, in part).

    Each back end maps its solver's own termination status onto these (optimizer/backends/);
    a solver that does not say which limit it met reports ``OTHER``.
    """

    #: the time limit (``solver.time_limit``)
    TIME = "time"
    #: a simplex or first-order iteration limit
    ITERATIONS = "iterations"
    #: a branch-and-bound node limit
    NODES = "nodes"
    #: a limit on the number of solutions found
    SOLUTIONS = "solutions"
    #: the solver ran out of memory
    MEMORY = "memory"
    #: the solve was interrupted (a signal or a callback)
    INTERRUPTED = "interrupted"
    #: the solver stopped at a limit it does not name
    OTHER = "other"
