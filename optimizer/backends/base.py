"""The narrow interface every solver back end implements, and the registry of names.

A back end receives the solver-neutral :class:`~optimizer.programme.Programme`
(always a maximisation) and returns a :class:`RawSolution` whose row duals
are normalised to one convention: the change in the (maximised) objective
per unit increase of the row's active bound. One more pound of budget that
helps therefore shows as a positive value, whatever the solver's own sign
convention (SOLVER-NOTES trap 2).
"""

from __future__ import annotations

import functools
import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from optimizer.errors import SolverUnavailable
from optimizer.programme import Programme


class Status(StrEnum):
    """How a solve ended (the contract's status vocabulary)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"


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
    """What a back end found: status, column values, normalised row duals and the bound."""

    status: Status
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    bound: float | None = None
    seconds: float = 0.0
    message: str = ""


class Backend(ABC):
    """A solver back end. Subclasses set ``name``, ``supports_mip``, ``exact`` and implement :meth:`solve`."""

    name: str = ""
    supports_mip: bool = False
    #: exact back ends (simplex, branch and bound) agree to 1e-6 relative; first-order ones do not
    exact: bool = True
    #: the relative tolerance to which this back end's objective is trusted
    tolerance: float = 1e-6
    #: whether the back end returns row duals of a linear programme
    gives_duals: bool = True

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


def importable(module: str) -> bool:
    """Whether ``module`` imports here (a back end's solver is installed)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


_REGISTRY: dict[str, type[Backend]] = {}


def register(cls: type[Backend]) -> type[Backend]:
    _REGISTRY[cls.name] = cls
    return cls


def backend_names() -> list[str]:
    """Every back end this build knows, installed or not."""
    from optimizer.backends import highs, ortools_lp, pulp_cbc  # noqa: F401 - registration

    return list(_REGISTRY)


@functools.cache
def available() -> tuple[str, ...]:
    """Back ends whose solver is installed here."""
    return tuple(n for n in backend_names() if _REGISTRY[n].is_available())


def get_backend(name: str) -> Backend:
    """The back end called ``name``; :class:`SolverUnavailable` if unknown or not installed."""
    names = backend_names()
    if name not in _REGISTRY:
        raise SolverUnavailable(f"unknown solver {name!r}: choose one of {', '.join(names)}")
    if not _REGISTRY[name].is_available():
        raise SolverUnavailable(f"solver {name!r} is not installed here: install the project with its dependencies (pip install -e .)")
    return _REGISTRY[name]()
