"""Solver back ends behind one narrow interface (:mod:`optimizer.backends.base`)."""

from optimizer.backends.base import Backend, Options, RawSolution, Status, available, backend_names, get_backend

__all__ = ["Backend", "Options", "RawSolution", "Status", "available", "backend_names", "get_backend"]
