"""The narrow interface every solver back end implements (the registry of names is :mod:`optimizer.backends.registry`).

A back end receives the solver-neutral :class:`~optimizer.programme.Programme`
(always a maximisation) and returns a :class:`RawSolution` whose row duals
are normalised to one convention: the change in the (maximised) objective
per unit increase of the row's active bound. One more pound of budget that
helps therefore shows as a positive value, whatever the solver's own sign
convention (docs/model.md, "Solvers").

This module imports no back end: the back ends import it, and the registry
imports them, so the registry is imported by nothing it registers.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from optimizer.status import Limit, Status

if TYPE_CHECKING:
    from optimizer.programme import Programme

__all__ = ["EXACT_TOLERANCE", "Backend", "Limit", "Options", "RawSolution", "Resolver", "Status", "importable", "limit_by_clock"]

#: a back end whose objective is trusted to this relative tolerance is exact (simplex, branch and bound)
EXACT_TOLERANCE = 1e-6


@dataclass
class Options:
    """Keyword options for one solve."""

    time_limit: float = 60.0
    mip_gap: float = 1e-4
    want_duals: bool = True
    threads: int | None = None
    #: "auto" lets the back end choose what measured best for this model; "on" or "off" force it
    presolve: str = "auto"


@dataclass
class RawSolution:
    """What a back end found: status, column values, normalised row duals, the bound, and the limit that stopped it."""

    status: Status
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    bound: float | None = None
    seconds: float = 0.0
    message: str = ""
    #: the limit that stopped the solve (``feasible`` or ``error`` only), from the solver's own termination status
    limit: Limit | None = None


class Backend(ABC):
    """A solver back end. Subclasses set ``name`` and the capability flags, and implement :meth:`solve`.

    The flags are what the registry chooses by (as linopy's solver registry does): ``supports_mip``,
    ``gives_duals``, and ``tolerance`` (:attr:`exact` when it is at most :data:`EXACT_TOLERANCE`).
    """

    name: str = ""
    #: whether the back end solves mixed-integer programmes (launch decisions)
    supports_mip: bool = False
    #: the relative tolerance to which this back end's objective (and duals) are trusted
    tolerance: float = EXACT_TOLERANCE
    #: whether the back end returns row duals of a linear programme
    gives_duals: bool = True

    @classmethod
    def exact(cls) -> bool:
        """Whether the objective and duals are exact to :data:`EXACT_TOLERANCE` (simplex, branch and bound; not first-order)."""
        return cls.tolerance <= EXACT_TOLERANCE

    @classmethod
    @abstractmethod
    def is_available(cls) -> bool:
        """Whether the back end's solver can be imported here."""

    @classmethod
    @abstractmethod
    def version(cls) -> str:
        """The solver's version string."""

    @abstractmethod
    def solve(self, prog: Programme, options: Options) -> RawSolution:
        """Solve ``prog`` (a maximisation) and return what was found."""

    def resolver(self, prog: Programme, options: Options) -> Resolver:
        """A handle that solves ``prog`` again and again with another objective and other row bounds.

        The default solves each time from scratch; a back end that can keep its model and basis
        between solves (HiGHS) overrides it to warm-start each one from the last.
        """
        return Resolver(self, prog, options)


class Resolver:
    """One programme, solved repeatedly with a new objective ``c`` and new row bounds (the cost-sharing stages).

    This default re-solves from scratch on its back end; :class:`optimizer.backends.highs.HighsResolver`
    keeps one HiGHS model and warm-starts every solve from the basis of the one before.
    """

    def __init__(self, backend: Backend, prog: Programme, options: Options) -> None:
        self.backend, self.prog, self.options = backend, prog, options

    def solve(self, c: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> RawSolution:
        """Maximise ``c @ x`` over the programme's columns with these row bounds."""
        return self.backend.solve(replace(self.prog, c=c, row_lower=row_lower, row_upper=row_upper), self.options)


def importable(module: str) -> bool:
    """Whether ``module`` imports here (a back end's solver is installed)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def limit_by_clock(seconds: float, options: Options) -> Limit:
    """The limit a solver met when its status says only "stopped" (pywraplp's FEASIBLE, PuLP's CBC "Stopped").

    Those interfaces do not say which limit stopped the solve; the only one a back end sets is the time
    limit, so a stop once it has (nearly) passed is ``TIME`` and any other ``OTHER``.
    """
    return Limit.TIME if seconds >= 0.95 * options.time_limit else Limit.OTHER
