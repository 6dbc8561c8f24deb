"""Money in thousands of pounds inside the solver.

Budgets run to hundreds of millions of pounds while a participant's cost and
value are hundreds or thousands: in pounds the programme's rows and bounds
span nine orders of magnitude, and SCIP (numerical trouble in its LP) and
HiGHS's MIP (small infeasibilities after a claimed optimum) stumble on it.
Every back end therefore receives the programme with money in units of
``MONEY_UNIT`` pounds: spending columns (x, z) are counted in thousands,
the rows that add up money are divided by a thousand, and so is the
objective. Participants and launch decisions keep their units. The answer
is turned back into pounds (:func:`unscale`) before anything reads it.

With row factors r, column factors k and objective factor o, the scaled
programme is A' = diag(r) A diag(k), c' = o k c; a solution x' of it gives
x = k x', a row dual y' gives y = y' r / o, and an objective f' gives f' / o.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from optimizer.backends.base import RawSolution
from optimizer.programme import Programme

MONEY_UNIT = 1000.0
#: row families counted in pounds (the others count participants)
MONEY_ROWS = (
    "cost",
    "fixed_cost",
    "budget",
    "community_wealth_fund",
    "per_capita_floor",
    "no_agency_worse_off",
    "area_cap",
    "objective_floor",
    "sharing",
    "deviation",
)  # the last three: the cost-sharing stages (optimizer/sharing.py)
#: column families counted in pounds
MONEY_COLS = ("x", "z", "over", "under")


@dataclass(frozen=True)
class Scale:
    rows: np.ndarray
    cols: np.ndarray
    objective: float


def scale(prog: Programme) -> tuple[Programme, Scale]:
    """The programme with money in units of MONEY_UNIT, and the factors that undo it."""
    r = np.ones(prog.A.shape[0])
    for name in MONEY_ROWS:
        block = prog.rows.get(name)
        if block is not None:
            r[block.start : block.start + block.count] = 1.0 / MONEY_UNIT
    k = np.ones(prog.A.shape[1])
    for name in MONEY_COLS:
        if name in prog.cols:
            k[prog.cols[name]] = MONEY_UNIT
    o = 1.0 / MONEY_UNIT
    A = (sp.diags(r) @ prog.A @ sp.diags(k)).tocsr()
    scaled = replace(
        prog,
        A=A,
        c=prog.c * k * o,
        row_lower=prog.row_lower * r,
        row_upper=prog.row_upper * r,
        col_lower=prog.col_lower / k,
        col_upper=prog.col_upper / k,
    )
    return scaled, Scale(r, k, o)


def unscale(found: RawSolution, s: Scale) -> RawSolution:
    """The solution of the scaled programme, in pounds."""
    return replace(
        found,
        x=None if found.x is None else found.x * s.cols,
        row_dual=None if found.row_dual is None else found.row_dual * s.rows / s.objective,
        bound=None if found.bound is None else found.bound / s.objective,
    )
