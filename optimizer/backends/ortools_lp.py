"""OR-Tools back ends through pywraplp: GLOP (simplex), PDLP (first-order) and SCIP (MIP).

PDLP is a first-order method: its objective is trusted to 1e-4 relative and
its duals to about 1e-6 absolute (it stops at relative optimality gap and
residuals of ``PDLP_EPS``). Use simplex back ends where duals decide a ranking.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.backends.base import Backend, Options, RawSolution, Status, importable, limit_by_clock

if TYPE_CHECKING:
    from optimizer.programme import Programme

PDLP_EPS = 1e-8


class _OrToolsBackend(Backend):
    solver_id = ""
    #: SCIP through pywraplp treats every programme as a MIP and has no duals
    gives_duals = True

    @classmethod
    @functools.cache
    def is_available(cls) -> bool:
        if not importable("ortools.linear_solver.pywraplp"):
            return False
        from ortools.linear_solver import pywraplp

        return pywraplp.Solver.CreateSolver(cls.solver_id) is not None

    @classmethod
    def version(cls) -> str:
        import ortools

        return f"OR-Tools {ortools.__version__} {cls.solver_id}"

    def configure(self, solver: Any, options: Options) -> None:  # pywraplp's types are untyped
        """Solver-specific parameters; the default sets nothing."""

    def solve(self, prog: Programme, options: Options) -> RawSolution:
        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver(self.solver_id)
        inf = solver.infinity()
        integer = prog.integer if self.supports_mip else np.zeros_like(prog.integer)
        variables = [
            solver.Var(lo if np.isfinite(lo) else -inf, up if np.isfinite(up) else inf, bool(is_int), f"c{j}")
            for j, (lo, up, is_int) in enumerate(zip(prog.col_lower, prog.col_upper, integer, strict=True))
        ]
        A = prog.A.tocsr()
        rows = []
        for r in range(A.shape[0]):
            lo, up = prog.row_lower[r], prog.row_upper[r]
            row = solver.RowConstraint(lo if np.isfinite(lo) else -inf, up if np.isfinite(up) else inf, f"r{r}")
            for j, v in zip(A.indices[A.indptr[r] : A.indptr[r + 1]], A.data[A.indptr[r] : A.indptr[r + 1]], strict=True):
                row.SetCoefficient(variables[j], float(v))
            rows.append(row)
        # minimise the negated objective: PDLP is reliable that way (docs/model.md, "Solvers"), the others do not mind
        objective = solver.Objective()
        for j in np.nonzero(prog.c)[0]:
            objective.SetCoefficient(variables[j], -float(prog.c[j]))
        objective.SetMinimization()
        solver.SetTimeLimit(int(options.time_limit * 1000))
        if options.threads:
            solver.SetNumThreads(int(options.threads))
        self.configure(solver, options)
        params = pywraplp.MPSolverParameters()
        if prog.is_mip and self.supports_mip:
            params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, options.mip_gap)
        started = time.perf_counter()
        code = solver.Solve(params)
        seconds = time.perf_counter() - started
        S = pywraplp.Solver
        if code == S.INFEASIBLE:
            return RawSolution(Status.INFEASIBLE, seconds=seconds, message=f"{self.name} found the programme infeasible")
        if code == S.UNBOUNDED:
            return RawSolution(Status.UNBOUNDED, seconds=seconds, message=f"{self.name} found the programme unbounded")
        if code == S.OPTIMAL:
            status = Status.OPTIMAL
        elif code == S.FEASIBLE:
            status = Status.FEASIBLE
        else:
            # NOT_SOLVED is pywraplp's "stopped before a solution" (a limit); ABNORMAL and MODEL_INVALID are failures
            limit = limit_by_clock(seconds, options) if code == S.NOT_SOLVED else None
            return RawSolution(Status.ERROR, seconds=seconds, message=f"{self.name} stopped with no solution (code {code})", limit=limit)
        x = np.array([v.solution_value() for v in variables], dtype=float)
        duals = None
        if self.gives_duals and not prog.is_mip and status == Status.OPTIMAL:
            # d(min -f)/d(rhs) = dual, so d f / d rhs = -dual
            duals = -np.array([row.dual_value() for row in rows], dtype=float)
        bound = None
        if prog.is_mip and self.supports_mip:
            bound = -float(objective.BestBound())
        elif status == Status.OPTIMAL:
            bound = float(prog.c @ x)
        # pywraplp's FEASIBLE means "stopped at a limit with a solution" and does not say which limit
        limit = limit_by_clock(seconds, options) if status == Status.FEASIBLE else None
        return RawSolution(
            status, x=x, row_dual=duals, bound=bound, seconds=seconds, message=f"{self.name}: status code {code}", limit=limit
        )


class GlopBackend(_OrToolsBackend):
    name = "ortools-glop"
    solver_id = "GLOP"


class PdlpBackend(_OrToolsBackend):
    name = "ortools-pdlp"
    solver_id = "PDLP"
    tolerance = 1e-4

    def configure(self, solver: Any, options: Options) -> None:
        solver.SetSolverSpecificParametersAsString(
            f"termination_criteria {{ simple_optimality_criteria {{ eps_optimal_relative: {PDLP_EPS} eps_optimal_absolute: {PDLP_EPS} }} }}"
        )


class ScipBackend(_OrToolsBackend):
    name = "ortools-scip"
    solver_id = "SCIP"
    supports_mip = True
    gives_duals = False
