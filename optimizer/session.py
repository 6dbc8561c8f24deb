"""The one way into the solvers: scale money, run the back end, turn the answer back into pounds, check it.

Every programme any part of the core hands to a back end goes through
:func:`solve_programme`: the scenario's own solve (:mod:`optimizer.solve`),
the dual re-solves of a mixed-integer programme, the elastic programme of a
diagnosis (:mod:`optimizer.diagnosis`) and the re-solves of a sensitivity
analysis (:mod:`optimizer.analysis.sensitivity`); and the cost-sharing stages
(:mod:`optimizer.sharing`), which solve one programme several times with
another objective, go through :func:`open_programme`, which does the same for
every one of those solves. So each of them

1. gives the back end money in thousands of pounds (:mod:`optimizer.scaling`),
2. reads the answer back in pounds, and
3. believes a solution only once it is checked against the programme's rows
   and bounds (:func:`check_feasible`, docs/model.md "Solvers"): a solution
   that breaks a row comes back as ``error`` with the rows named, never as
   optimal.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from optimizer.backends import Backend, Options, RawSolution, Status
from optimizer.programme import Programme
from optimizer.scaling import MONEY_UNIT, Scale, scale, unscale

__all__ = ["FEAS_TOL", "ScaledResolver", "check_feasible", "checked", "open_programme", "solve_programme"]

#: the relative tolerance of the feasibility check (a back end's own :attr:`Backend.tolerance` if looser)
FEAS_TOL = 1e-6


def solve_programme(backend: Backend, prog: Programme, options: Options) -> RawSolution:
    """Solve ``prog`` on ``backend`` with money scaled, answer in pounds, the solution checked against the rows."""
    scaled, factors = scale(prog)
    return checked(unscale(backend.solve(scaled, options), factors), prog, backend)


def checked(found: RawSolution, prog: Programme, backend: Backend, source: str | None = None) -> RawSolution:
    """``found`` if its solution keeps ``prog``'s rows and bounds (to the back end's tolerance), else an ``error`` naming them.

    ``source`` says what returned the solution (default: the back end).
    """
    if found.x is None or found.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return found
    broken = check_feasible(prog, found.x, tol=max(FEAS_TOL, backend.tolerance))
    if broken:
        return replace(
            found,
            status=Status.ERROR,
            x=None,
            row_dual=None,
            bound=None,
            message=f"{source or backend.name + ' returned a solution that'} breaks the programme: " + "; ".join(broken),
        )
    return found


class ScaledResolver:
    """Solves one programme again and again with another objective and row bounds, each solve scaled and checked.

    The objective and the bounds are given in pounds, as :class:`~optimizer.programme.Programme` counts
    them; the back end's :meth:`~optimizer.backends.Backend.resolver` receives them in thousands
    (optimizer/scaling.py) and may warm-start each solve from the last (HiGHS does).
    """

    def __init__(self, backend: Backend, prog: Programme, options: Options) -> None:
        self.backend, self.prog = backend, prog
        self._scaled, self._factors = scale(prog)
        self._inner = backend.resolver(self._scaled, options)

    def resolve(self, c: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> RawSolution:
        """Maximise ``c @ x`` subject to ``row_lower <= A x <= row_upper`` and the column bounds; in pounds, checked."""
        f: Scale = self._factors
        found = unscale(self._inner.solve(c * f.cols * f.objective, row_lower * f.rows, row_upper * f.rows), f)
        return checked(found, replace(self.prog, c=c, row_lower=row_lower, row_upper=row_upper), self.backend)


def open_programme(backend: Backend, prog: Programme, options: Options) -> ScaledResolver:
    """A handle that solves ``prog`` on ``backend`` repeatedly, with money scaled and every answer checked."""
    return ScaledResolver(backend, prog, options)


def check_feasible(prog: Programme, x: np.ndarray, tol: float = FEAS_TOL) -> list[str]:
    """Rows and bounds that ``x`` breaks by more than ``tol`` relative to their scale.

    A row's scale is the size of its terms plus MONEY_UNIT: the solvers count
    money in thousands of pounds (optimizer/scaling.py), so a solution they call
    feasible may leave a residual of ``tol`` thousand pounds in a row whose
    terms are all near zero (a payment of 1e-6 pounds against no spending).
    """
    problems = []
    act = prog.A @ x
    row_scale = MONEY_UNIT + np.abs(prog.A) @ np.abs(x)
    over = np.nonzero(act - prog.row_upper > tol * row_scale)[0]
    under = np.nonzero(prog.row_lower - act > tol * row_scale)[0]
    for r in np.concatenate([over, under])[:10]:
        name = next((b.name for b in prog.rows.values() if b.start <= r < b.start + b.count), "?")
        problems.append(f"row {r} ({name}): activity {act[r]:.6g} outside [{prog.row_lower[r]:.6g}, {prog.row_upper[r]:.6g}]")
    col_scale = MONEY_UNIT + np.abs(x)
    bad_cols = np.nonzero((x - prog.col_upper > tol * col_scale) | (prog.col_lower - x > tol * col_scale))[0]
    problems += [f"column {j}: value {x[j]:.6g} outside its bounds" for j in bad_cols[:10]]
    if prog.is_mip:
        frac = np.abs(x[prog.integer] - np.round(x[prog.integer]))
        problems += [f"integer column has fractional value {v:.3g}" for v in frac[frac > 1e-5][:10]]
    return problems
