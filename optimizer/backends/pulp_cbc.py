"""CBC through PuLP (the CBC binary bundled with PuLP).

PuLP needs one Python object per variable, so this back end is for
cross-checking and for users who want CBC, not for national scale.
"""

from __future__ import annotations

import functools
import struct
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.backends.base import Backend, Options, RawSolution, Status, importable, limit_by_clock

if TYPE_CHECKING:
    from optimizer.programme import Programme


class CbcBackend(Backend):
    name = "cbc"
    supports_mip = True

    @classmethod
    @functools.cache
    def is_available(cls) -> bool:
        if not importable("pulp"):
            return False
        import pulp

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return bool(pulp.PULP_CBC_CMD(msg=False).available())

    @classmethod
    def version(cls) -> str:
        import pulp

        return f"CBC bundled with PuLP {pulp.__version__}"

    def solve(self, prog: Programme, options: Options) -> RawSolution:
        """Solve through PuLP; a linear programme's columns are read back at full precision.

        PuLP reads CBC's answer from its printed solution file, 8 significant figures: at the scale of a
        place's budgets (millions of pounds a pool and year) that leaves pounds of rounding in each
        column, more than the cost-sharing rule lets two back ends differ by (docs/model.md 2.4). So an
        LP also asks CBC to save its solution in CBC's binary form (``saveSolution``: the row and column
        values as doubles) and the columns are taken from there. A MIP keeps PuLP's reading (its
        launches are exact; the cost-sharing stage re-solves its LP with them fixed).
        """
        import pulp

        model = pulp.LpProblem("totalplace", pulp.LpMaximize)
        cols = [
            model.add_variable(
                f"c{j}",
                lowBound=lo if np.isfinite(lo) else None,
                upBound=up if np.isfinite(up) else None,
                cat=pulp.LpInteger if integer else pulp.LpContinuous,
            )
            for j, (lo, up, integer) in enumerate(zip(prog.col_lower, prog.col_upper, prog.integer, strict=True))
        ]
        model += pulp.LpAffineExpression([(cols[j], float(prog.c[j])) for j in np.nonzero(prog.c)[0]])
        A = prog.A.tocsr()
        names: list[tuple[int, str]] = []
        for r in range(A.shape[0]):
            lo, up = prog.row_lower[r], prog.row_upper[r]
            span = slice(A.indptr[r], A.indptr[r + 1])
            expr = pulp.LpAffineExpression([(cols[j], float(v)) for j, v in zip(A.indices[span], A.data[span], strict=True)])
            if np.isfinite(lo) and np.isfinite(up) and lo == up:
                model += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{r}", float(lo))
                names.append((r, f"r{r}"))
                continue
            if np.isfinite(lo):
                model += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{r}", float(lo))
                names.append((r, f"r{r}"))
            if np.isfinite(up):
                model += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"u{r}", float(up))
                names.append((r, f"u{r}"))
        with warnings.catch_warnings():
            # PuLP 3.x announces that PULP_CBC_CMD (the bundled CBC) leaves in 4.0; the pin is pulp<4
            warnings.simplefilter("ignore", DeprecationWarning)
            exact_file = None if prog.is_mip else tempfile.NamedTemporaryFile(suffix=".bin", delete=False)
            extra = (
                [] if exact_file is None else [f"initialSolve -saveSolution {exact_file.name}"]
            )  # then PuLP's own -solve, from the optimum
            solver = pulp.PULP_CBC_CMD(
                msg=False,
                timeLimit=options.time_limit,
                gapRel=options.mip_gap if prog.is_mip else None,
                threads=options.threads,
                options=extra,
            )
        started = time.perf_counter()
        try:
            model.solve(solver)
            precise = _saved_columns(exact_file.name, model) if exact_file is not None else None
        finally:
            if exact_file is not None:
                exact_file.close()
                Path(exact_file.name).unlink(missing_ok=True)
        seconds = time.perf_counter() - started
        status = model.status
        if status == pulp.LpStatusInfeasible:
            return RawSolution(Status.INFEASIBLE, seconds=seconds, message="CBC found the programme infeasible")
        if status == pulp.LpStatusUnbounded:
            return RawSolution(Status.UNBOUNDED, seconds=seconds, message="CBC found the programme unbounded")
        if model.sol_status == pulp.LpSolutionOptimal:
            outcome = Status.OPTIMAL
        elif model.sol_status == pulp.LpSolutionIntegerFeasible:
            outcome = Status.FEASIBLE
        else:
            # PuLP reads CBC's "Stopped on time/iterations/..." as "Not Solved" and drops which limit it was
            limit = limit_by_clock(seconds, options) if status == pulp.LpStatusNotSolved else None
            return RawSolution(
                Status.ERROR, seconds=seconds, message=f"CBC stopped with no solution ({pulp.LpStatus[status]})", limit=limit
            )
        x = np.array([v.varValue if v.varValue is not None else 0.0 for v in cols], dtype=float)
        if precise is not None and len(precise) == len(x) and np.allclose(precise, x, rtol=1e-6, atol=1e-6):
            x = precise  # the same answer, to the last digit
        duals = None
        if not prog.is_mip and outcome == Status.OPTIMAL:
            duals = np.zeros(A.shape[0])
            for r, name in names:
                pi = model.get_constraint_by_name(name).pi
                duals[r] += pi if pi is not None else 0.0
        bound = float(prog.c @ x) if outcome == Status.OPTIMAL else None
        limit = limit_by_clock(seconds, options) if outcome == Status.FEASIBLE else None
        return RawSolution(outcome, x=x, row_dual=duals, bound=bound, seconds=seconds, message=f"CBC: {pulp.LpStatus[status]}", limit=limit)


def _saved_columns(path: str, model: Any) -> np.ndarray | None:
    """The column values of CBC's ``saveSolution`` file, in the order of the columns as created (None if unreadable).

    The file holds: rows and columns (two ints), the objective (a double), then row activities and row
    duals (a double per row), column values and reduced costs (a double per column). The columns are in
    the order PuLP wrote them, by name; every name of ours is ``c{j}``. The caller compares the values
    with PuLP's own reading before it uses them.
    """
    try:
        data = Path(path).read_bytes()
        n_rows, n_cols = struct.unpack_from("ii", data, 0)
        start = 16 + 16 * n_rows
        values = np.frombuffer(data, dtype="<f8", count=n_cols, offset=start)
    except (OSError, struct.error, ValueError):
        return None
    written = model.variables()
    if len(written) != n_cols:
        return None
    # PuLP adds a "__dummy" column where a row or the objective is empty: it is not one of ours
    ours = [(int(v.name[1:]), k) for k, v in enumerate(written) if v.name[:1] == "c" and v.name[1:].isdigit()]
    out = np.zeros(1 + max((j for j, _ in ours), default=-1))
    for j, k in ours:
        out[j] = values[k]
    return out
