"""HiGHS through highspy: the default back end, fed straight from the arrays."""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.backends.base import Backend, Limit, Options, RawSolution, Resolver, Status, importable

if TYPE_CHECKING:
    from optimizer.programme import Programme

#: HiGHS's model statuses that mean "stopped at a limit", by name (kSolutionLimit also covers its node and leaf limits)
_LIMITS = {
    "kTimeLimit": Limit.TIME,
    "kIterationLimit": Limit.ITERATIONS,
    "kSolutionLimit": Limit.SOLUTIONS,
    "kMemoryLimit": Limit.MEMORY,
    "kInterrupt": Limit.INTERRUPTED,
    "kHighsInterrupt": Limit.INTERRUPTED,
    "kObjectiveBound": Limit.OTHER,
    "kObjectiveTarget": Limit.OTHER,
}


class HighsBackend(Backend):
    name = "highs"
    supports_mip = True

    @classmethod
    @functools.cache
    def is_available(cls) -> bool:
        return importable("highspy")

    @classmethod
    def version(cls) -> str:
        import highspy

        h = highspy.Highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def solve(self, prog: Programme, options: Options) -> RawSolution:
        h = _highs(options)
        h.passModel(to_highs_lp(prog))
        return _run(h, prog)

    def resolver(self, prog: Programme, options: Options) -> HighsResolver:
        return HighsResolver(self, prog, options)


class HighsResolver(Resolver):
    """One HiGHS model kept between solves: each new objective and row bounds start from the last basis.

    The cost-sharing stages (optimizer/sharing.py) solve one programme several times with another
    objective; changing costs and bounds keeps HiGHS's basis, so each solve after the first is a
    short run of simplex from a basis that is already primal feasible or nearly so.
    """

    def __init__(self, backend: Backend, prog: Programme, options: Options) -> None:
        super().__init__(backend, prog, options)
        self._h: Any = None

    def solve(self, c: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> RawSolution:
        import highspy

        inf = highspy.kHighsInf
        if self._h is None:
            self._h = _highs(self.options)
            self._h.passModel(to_highs_lp(replace(self.prog, c=c, row_lower=row_lower, row_upper=row_upper)))
        else:
            n, m = len(c), len(row_lower)
            self._h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(c, dtype=float))
            self._h.changeRowsBounds(
                m,
                np.arange(m, dtype=np.int32),
                np.where(np.isinf(row_lower), -inf, row_lower),
                np.where(np.isinf(row_upper), inf, row_upper),
            )
        return _run(self._h, self.prog)


def _highs(options: Options) -> Any:  # highspy.Highs (highspy is untyped)
    """A quiet HiGHS instance with the options of one solve."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(options.time_limit))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.threads:
        h.setOptionValue("threads", int(options.threads))
    if options.presolve != "auto":
        h.setOptionValue("presolve", options.presolve)
    else:
        # MIP: HiGHS 1.14's MIP presolve returns wrong answers labelled optimal on this model's
        # launch decisions (upstream HiGHS issues 3043, 3073, 3094); tests/test_rules.py::test_fixed_costs
        # and tests/test_backends_agree.py::test_highs_mip_presolve_regression show two. No single
        # presolve rule switched off cures both, so presolve is off for MIPs.
        # LP: the pooled programme has few rows and many columns, and HiGHS's LP presolve takes far
        # longer on it than the solve (national scale: 85 s with presolve, 3 s without).
        h.setOptionValue("presolve", "off")
    return h


def _run(h: Any, prog: Programme) -> RawSolution:
    """Run HiGHS on the model it holds (``prog``) and read what it found."""
    import highspy

    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    model_status = h.getModelStatus()
    MS = highspy.HighsModelStatus
    if model_status == MS.kUnboundedOrInfeasible:
        # presolve could not tell which: ask again without it
        h.setOptionValue("presolve", "off")
        h.run()
        model_status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    limit = _LIMITS.get(model_status.name)
    if model_status == MS.kOptimal:
        status = Status.OPTIMAL
    elif model_status == MS.kInfeasible:
        return RawSolution(Status.INFEASIBLE, seconds=seconds, message="HiGHS proved the programme infeasible")
    elif model_status in (MS.kUnbounded, MS.kUnboundedOrInfeasible):
        return RawSolution(Status.UNBOUNDED, seconds=seconds, message="HiGHS found the programme unbounded")
    elif has_solution:
        status = Status.FEASIBLE
    elif model_status == MS.kSolveError and prog.is_mip and len(h.getSolution().col_value) == prog.A.shape[1]:
        # HiGHS's MIP solver can claim optimality and then, finding primal infeasibilities of about 1e-6
        # in its own check, call it a solve error (seen at ICS scale). Its last incumbent is handed on as
        # merely feasible, with no bound: the caller checks it against every row before believing it.
        sol = h.getSolution()
        return RawSolution(
            Status.FEASIBLE,
            x=np.asarray(sol.col_value, dtype=float),
            bound=None,
            seconds=seconds,
            message="HiGHS flagged small infeasibilities in its final solution; it passed totalplace's own check",
        )
    else:
        return RawSolution(
            Status.ERROR, seconds=seconds, message=f"HiGHS stopped with no solution: {h.modelStatusToString(model_status)}", limit=limit
        )
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=float)
    duals = np.asarray(sol.row_dual, dtype=float) if (sol.dual_valid and not prog.is_mip) else None
    bound: float | None
    if prog.is_mip:
        bound = float(info.mip_dual_bound)
    else:
        bound = float(info.objective_function_value) if status == Status.OPTIMAL else None
    return RawSolution(
        status,
        x=x,
        row_dual=duals,
        bound=bound,
        seconds=seconds,
        message=f"HiGHS: {h.modelStatusToString(model_status)}",
        limit=limit if status == Status.FEASIBLE else None,
    )


def to_highs_lp(prog: Programme) -> Any:  # highspy.HighsLp (highspy is untyped)
    """The programme as a HiGHS model, handed over as arrays (no object per variable)."""
    import highspy

    lp = highspy.HighsLp()
    A = prog.A.tocsc()
    lp.num_col_ = A.shape[1]
    lp.num_row_ = A.shape[0]
    inf = highspy.kHighsInf
    lp.col_cost_ = prog.c
    lp.col_lower_ = prog.col_lower
    lp.col_upper_ = np.where(np.isinf(prog.col_upper), inf, prog.col_upper)
    lp.row_lower_ = np.where(np.isinf(prog.row_lower), -inf, prog.row_lower)
    lp.row_upper_ = np.where(np.isinf(prog.row_upper), inf, prog.row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    lp.sense_ = highspy.ObjSense.kMaximize
    if prog.is_mip:
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in prog.integer]
    return lp


def write_mps(prog: Programme, path: str, names: tuple[list[str], list[str]] | None = None) -> None:
    """Write the programme exactly as solved, in MPS (via HiGHS), with readable row and column names."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = to_highs_lp(prog)
    if names is not None:
        lp.row_names_, lp.col_names_ = names
    h.passModel(lp)
    status = h.writeModel(str(path))
    if status == highspy.HighsStatus.kError:
        raise OSError(f"could not write the programme to {path}")
