"""The registry of back ends: their names, which are installed, and the choice of one by capability.

One tuple, :data:`BACKENDS`, lists the back-end classes in the order users
see them; every list of solver names (the scenario's ``solver.name``
choices, the CLI's help, the error messages) is read from it. The registry
imports the back ends; they import only :mod:`optimizer.backends.base`.

    >>> backend_names()
    ['highs', 'cbc', 'ortools-glop', 'ortools-pdlp', 'ortools-scip']

The back end for dual re-solves (the shadow prices of a MIP with its
launches fixed, a sensitivity analysis, the elastic programme of a
diagnosis) is chosen by capability, :func:`for_duals`: one that gives row
duals and is exact, preferring the back end already in use.
"""

from __future__ import annotations

import functools
from typing import Literal, get_args

from optimizer.backends.base import Backend
from optimizer.backends.highs import HighsBackend
from optimizer.backends.ortools_lp import GlopBackend, PdlpBackend, ScipBackend
from optimizer.backends.pulp_cbc import CbcBackend
from optimizer.errors import SolverUnavailable

__all__ = ["BACKENDS", "SolverName", "available", "backend_names", "for_duals", "for_exact", "get_backend", "mip_names"]

#: every back end this build knows, installed or not, in the order users see them
BACKENDS: tuple[type[Backend], ...] = (HighsBackend, CbcBackend, GlopBackend, PdlpBackend, ScipBackend)

#: the names of :data:`BACKENDS` as a type, for the scenario's ``solver.name`` (a static ``Literal`` is what
#: mypy and pydantic's schema need; the check below keeps it equal to the tuple)
SolverName = Literal["highs", "cbc", "ortools-glop", "ortools-pdlp", "ortools-scip"]

_BY_NAME: dict[str, type[Backend]] = {cls.name: cls for cls in BACKENDS}
if list(get_args(SolverName)) != list(_BY_NAME):  # pragma: no cover - a back end added to one and not the other
    raise AssertionError(f"SolverName {get_args(SolverName)} differs from the registered back ends {list(_BY_NAME)}")


def backend_names() -> list[str]:
    """Every back end this build knows, installed or not."""
    return list(_BY_NAME)


def mip_names() -> list[str]:
    """The back ends that solve mixed-integer programmes (for messages that name the choice)."""
    return [cls.name for cls in BACKENDS if cls.supports_mip]


@functools.cache
def available() -> tuple[str, ...]:
    """Back ends whose solver is installed here."""
    return tuple(cls.name for cls in BACKENDS if cls.is_available())


def get_backend(name: str) -> Backend:
    """The back end called ``name``; :class:`SolverUnavailable` if unknown or not installed."""
    cls = _BY_NAME.get(name)
    if cls is None:
        raise SolverUnavailable(f"unknown solver {name!r}: choose one of {', '.join(backend_names())}")
    if not cls.is_available():
        raise SolverUnavailable(f"solver {name!r} is not installed here: install the project with its dependencies (pip install -e .)")
    return cls()


def for_duals(preferred: Backend | None = None) -> Backend:
    """An installed back end that gives row duals and is exact: ``preferred`` if it qualifies, else the first registered that does."""
    if preferred is not None and preferred.gives_duals and preferred.exact():
        return preferred
    for cls in BACKENDS:
        if cls.gives_duals and cls.exact() and cls.is_available():
            return cls()
    raise SolverUnavailable("no installed solver gives exact duals: install the project with its dependencies (pip install -e .)")


def for_exact(preferred: Backend | None = None) -> Backend:
    """An installed exact back end (simplex or branch and bound): ``preferred`` if it is one, else the first registered.

    The cost-sharing stages (optimizer/sharing.py) work inside a set of plans 1e-7 wide in value, a
    thousand times narrower than a first-order method's tolerance (PDLP's 1e-4): they need an exact one.
    """
    if preferred is not None and preferred.exact():
        return preferred
    for cls in BACKENDS:
        if cls.exact() and cls.is_available():
            return cls()
    raise SolverUnavailable("no installed solver is exact: install the project with its dependencies (pip install -e .)")
