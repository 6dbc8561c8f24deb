"""Solver back ends behind one narrow interface (:mod:`optimizer.backends.base`) and their registry (:mod:`optimizer.backends.registry`)."""

from optimizer.backends.base import EXACT_TOLERANCE, Backend, Limit, Options, RawSolution, Resolver, Status
from optimizer.backends.registry import BACKENDS, SolverName, available, backend_names, for_duals, for_exact, get_backend, mip_names

__all__ = [
    "BACKENDS",
    "EXACT_TOLERANCE",
    "Backend",
    "Limit",
    "Options",
    "RawSolution",
    "Resolver",
    "SolverName",
    "Status",
    "available",
    "backend_names",
    "for_duals",
    "for_exact",
    "get_backend",
    "mip_names",
]
