"""Who pays among equally good plans: the cost-sharing stage of docs/model.md, section 2.4.

Pools are interchangeable wherever their footprints and ring-fences overlap,
so a programme usually has many optimal plans that differ only in who pays.
After the optimum z* is found, this stage picks one of them by a stated rule,
so that the answer does not depend on the solver (docs/model.md, "How this
implementation applies the rule"):

1. **The equally good plans.** The optimum's row duals y (for a mixed-integer
   programme, of its LP with the launches fixed at the solution found) give
   the reduced costs; by complementary slackness the plans exactly as good as
   the optimum move no priced column and keep every priced row at its bound
   (:func:`_held`), and one row keeps the value at z*. Where the duals do not
   describe the optimum, the band of 2.4 itself: the objective row at
   ``z* - 1e-7 x max(1, |z*|)``.
2. **Least deviation.** One pair of non-negative deviation columns per pool
   and year, ``X[p,t] - beta[p,t] X[t] = over[p,t] - under[p,t]``, and the
   objective ``minimise sum(over + under)``: Delta*.
3. **One plan in that set.** With ``sum(over + under) <= Delta*`` (plus 1e-9
   of the spending), the least ``sum of w[p,t] X[p,t]`` with fixed weights w
   that no two pool-years share (1 plus the fractional part of (j + 1) times
   the golden ratio, j = p x H + t), the value weighted far above it. A linear
   objective whose weights are in no rational relation has a single minimiser
   among the pools' spending by year, so every exact back end lands on the same
   X[p,t]. (On the band, the most value among the plans of least deviation is
   found first and kept.)
4. **The room to negotiate.** For each pool, the least and the most of its
   discounted spending (as ``summary.spending_by_agency`` counts it) over the
   set of step 1: two more solves per pool.

Every solve is one programme, the extended one below, with another objective
and row bounds, through :func:`optimizer.session.open_programme`: money
scaled, each answer checked against the rows, and on HiGHS each solve
warm-started from the basis of the one before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from optimizer.backends import Backend, Options, Status, for_duals, for_exact
from optimizer.coefficients import Coefficients
from optimizer.programme import Programme, RowBlock
from optimizer.scenario import Scenario
from optimizer.session import open_programme, solve_programme

__all__ = ["OPTIMAL_SET_TOL", "Sharing", "deviation", "share_costs", "summary_fields", "target_shares"]

#: plans whose objective is within this (relative, of max(1, |z*|)) of the optimum are equally good (docs/model.md 2.4)
OPTIMAL_SET_TOL = 1e-7
#: how far the tie-breaks of step 3 may go above the least deviation and below the value found, relative to all
#: the spending: 1e-9 (a penny in £10m). Without any, a solver may call the set empty by its own last digits (CBC
#: did); more would be used to cut spending by pennies at the cost of value.
TIE_SLACK = 1e-9
#: the weight of the value beside the tie-break's weighted spending in step 3b (a pound of value against 1 to 2 of spending)
TIE_VALUE_WEIGHT = 1e3
_GOLDEN = (5**0.5 - 1) / 2


@dataclass
class Sharing:
    """What the stage found: the plan to report (columns of the programme it was given) and its figures."""

    x: np.ndarray
    rule: str
    backend: str
    deviation: float | None
    target_shares: np.ndarray  # (p, t) beta
    ranges: dict[str, dict[str, float]] | None
    seconds: dict[str, float] = field(default_factory=dict)
    note: str | None = None


def target_shares(s: Scenario, k: Coefficients) -> np.ndarray:
    """beta[p, t]: each pool's target share of year t's spending (docs/model.md 2.4)."""
    n_p, H = len(k.pool_ids), k.H
    rule = s.policy.cost_sharing
    if rule.rule == "shares":
        assert rule.shares is not None  # the scenario's validation requires them for this rule
        raw = np.array([rule.shares[p] for p in k.pool_ids], dtype=float)
        return np.repeat((raw / raw.sum())[:, None], H, axis=1)
    budget = k.budget[:, :H]
    total = budget.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(total > 0, budget / np.where(total > 0, total, 1.0), 1.0 / n_p)
    return beta


def deviation(pool_year: np.ndarray, beta: np.ndarray) -> float:
    """Delta = sum over p, t of |X[p,t] - beta[p,t] X[t]| for spending ``pool_year`` (p, t)."""
    return float(np.abs(pool_year - beta * pool_year.sum(axis=0)).sum())


def _pool_year_matrix(prog: Programme, n_pools: int) -> sp.csr_matrix:
    """The (p x H, columns) matrix whose product with a solution is X[p,t] (fixed-cost shares z count in year 1)."""
    H = prog.H
    n_cp = len(prog.cp_class)
    x0 = prog.cols["x"].start
    rows = (prog.cp_pool[:, None] * H + np.arange(H)).ravel()
    cols = x0 + np.arange(n_cp * H)
    z0 = prog.cols["z"].start
    rows = np.concatenate([rows, prog.cp_pool[prog.zp_cp] * H])
    cols = np.concatenate([cols, z0 + np.arange(len(prog.zp_cp))])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_pools * H, prog.A.shape[1]))


def _extend(prog: Programme, M: sp.csr_matrix, beta: np.ndarray, X0: np.ndarray | None = None) -> Programme:
    """The programme with the objective row, the deviation columns and rows, and the total deviation row.

    ``X0`` (p x H) is spending that no column of ``prog`` carries (held columns, :func:`_restrict`).
    """
    n_rows, n_cols = prog.A.shape
    PH = M.shape[0]
    P, H = beta.shape
    # row (p, t): X[p,t] - beta[p,t] x sum over q of X[q,t] - over[p,t] + under[p,t] = 0
    years = np.kron(np.ones((P, P)), np.eye(H))  # (p x H, p x H): row (p, t) sums year t over the pools
    link = M - sp.diags(beta.ravel()) @ (sp.csr_matrix(years) @ M)
    X0 = np.zeros(PH) if X0 is None else np.asarray(X0, dtype=float)
    link_rhs = -(X0 - beta.ravel() * (years @ X0))
    eye = sp.identity(PH, format="csr")
    zero = sp.csr_matrix((1, n_cols))
    A = sp.vstack(
        [
            sp.hstack([prog.A, sp.csr_matrix((n_rows, 2 * PH))]),
            sp.hstack([sp.csr_matrix(prog.c[None, :]), sp.csr_matrix((1, 2 * PH))]),
            sp.hstack([link, -eye, eye]),
            sp.hstack([zero, sp.csr_matrix(np.ones((1, 2 * PH)))]),
        ]
    ).tocsr()
    rows = dict(prog.rows)
    rows["objective_floor"] = RowBlock("objective_floor", n_rows, 1, {})
    pools = np.repeat(np.arange(P), H)
    rows["sharing"] = RowBlock("sharing", n_rows + 1, PH, {"pool": pools, "year": np.tile(np.arange(H), P)})
    rows["deviation"] = RowBlock("deviation", n_rows + 1 + PH, 1, {})
    cols = dict(prog.cols)
    cols["over"] = slice(n_cols, n_cols + PH)
    cols["under"] = slice(n_cols + PH, n_cols + 2 * PH)
    return replace(
        prog,
        A=A,
        c=np.zeros(n_cols + 2 * PH),
        row_lower=np.concatenate([prog.row_lower, [-np.inf], link_rhs, [-np.inf]]),
        row_upper=np.concatenate([prog.row_upper, [np.inf], link_rhs, [np.inf]]),
        col_lower=np.concatenate([prog.col_lower, np.zeros(2 * PH)]),
        col_upper=np.concatenate([prog.col_upper, np.full(2 * PH, np.inf)]),
        integer=np.zeros(n_cols + 2 * PH, dtype=bool),
        rows=rows,
        cols=cols,
    )


#: programmes with more columns than this work on the optimal face (held columns and rows, see :func:`_held`): all of them;
#: a test sets it high to solve on the band of docs/model.md 2.4 itself
REDUCE_ABOVE = 0
#: a column is priced, and held at the optimum's value, when its reduced cost is above this per pound of spending
PRICED = 1e-9


def _held(prog: Programme, k: Coefficients, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The columns that the optimum's prices say no equally good plan moves: held at the optimum's value.

    With the optimum's row duals y, d = c - A^T y are the reduced costs, and every feasible plan's value is
    z* less sum_j |d_j| s_j less non-negative row terms, s_j >= 0 being how far column j has moved from
    the bound it sits at (complementary slackness: with any optimal y, the optimal plans are exactly the
    feasible ones that move no column with d_j != 0). A column whose reduced cost is above :data:`PRICED`
    per pound of spending it stands for (a participant's unit cost, or £1 for a spending column) is held;
    on a large pooled programme that is nearly all of them (an unfunded intervention in an area, a funded
    one at its cap), which leaves the stages the basic columns, the unpriced ties, and every row. None when
    the duals do not look like the optimum's (a basic column priced).
    """
    d = prog.c - prog.A.T @ y
    w = np.ones(prog.A.shape[1])
    w[prog.cols["n"]] = np.repeat(k.unit_cost[prog.pair_iv], prog.H)
    interior = (x > prog.col_lower + 1e-6 * (1 + np.abs(x))) & (x < prog.col_upper - 1e-6 * (1 + np.abs(x)))
    if np.any(np.abs(d[interior]) > PRICED * w[interior]):
        return None
    held: np.ndarray = (np.abs(d) > PRICED * w) & ~interior
    return held


def share_costs(
    s: Scenario, k: Coefficients, prog: Programme, x_star: np.ndarray, backend: Backend, options: Options, duals: np.ndarray | None = None
) -> Sharing:
    """Among the plans of ``prog`` as good as ``x_star``, the one the cost-sharing rule picks, and each pool's room.

    ``x_star`` is a checked solution of ``prog`` (the programme as solved: pooled or merged) and ``duals``
    its row duals where the back end gave them. The plan returned is a solution of ``prog`` too. Where a
    stage cannot finish (a time limit, a back end's failure), ``x_star`` is kept and ``note`` says why.
    """
    beta = target_shares(s, k)
    rule = s.policy.cost_sharing.rule
    P, H = beta.shape
    x_star = np.asarray(x_star, dtype=float)
    if prog.A.shape[1] == 0:
        return Sharing(x_star, rule, backend.name, 0.0, beta, {p: {"min": 0.0, "max": 0.0} for p in k.pool_ids})
    started = time.perf_counter()
    fixed = prog
    if prog.is_mip:  # the optimum with the launches fixed at the solution found
        ints = np.nonzero(prog.integer)[0]
        fixed = replace(prog, col_lower=prog.col_lower.copy(), col_upper=prog.col_upper.copy(), integer=np.zeros_like(prog.integer))
        fixed.col_lower[ints] = fixed.col_upper[ints] = np.round(x_star[ints])
    exact = for_exact(backend)  # the stages need an exact back end: the one in use unless it is first-order (PDLP)
    if prog.is_mip or exact is not backend or duals is None:
        # z* of a MIP is the optimum with its launches fixed (docs/model.md 2.4), not the incumbent's value within the
        # gap; a first-order back end's optimum is trusted to 1e-4, looser than the set; a back end without duals
        # (SCIP) gives no prices for the face: each is found again, exactly, on a back end that gives duals
        again = solve_programme(for_duals(exact), fixed, options)
        if again.status == Status.OPTIMAL and again.x is not None:
            x_star, duals = again.x, again.row_dual
    z_star = float(prog.c @ x_star)
    eps = OPTIMAL_SET_TOL * max(1.0, abs(z_star))
    # the columns that the optimum's prices say no equally good plan moves are held (see _held); without prices
    # that look like the optimum's, the band of docs/model.md 2.4 itself (the objective row), exactly
    held = _held(fixed, k, x_star, duals) if duals is not None and prog.A.shape[1] > REDUCE_ABOVE else None
    if held is None and prog.A.shape[1] > REDUCE_ABOVE and for_duals() is not exact:
        # duals too coarse to tell the face (CBC's come through a file of 8 figures): the optimum and its prices from
        # the first exact back end that gives duals (the face is the same whichever optimal duals describe it)
        again = solve_programme(for_duals(), fixed, options)
        if again.status == Status.OPTIMAL and again.x is not None and again.row_dual is not None:
            x_star, duals = again.x, again.row_dual
            z_star = float(prog.c @ x_star)
            held = _held(fixed, k, x_star, duals)
    keep = np.ones(prog.A.shape[1], dtype=bool) if held is None else ~held
    work = _restrict(fixed, keep, x_star)
    face = held is not None
    if face:  # and the priced rows held at their active bound: every plan left is exactly as good as the optimum
        assert duals is not None
        priced = np.abs(duals) > PRICED
        lo, up = work.row_lower.copy(), work.row_upper.copy()
        kept_part = fixed.A @ np.where(keep, x_star, 0.0)  # the kept columns' part of each row at the optimum
        lo[priced] = up[priced] = kept_part[priced]
        work = replace(work, row_lower=lo, row_upper=up)
    M_full = _pool_year_matrix(prog, P)
    M = M_full[:, keep]
    X0 = M_full[:, ~keep] @ x_star[~keep]  # the held columns' spending, by pool and year
    c_held = float(prog.c[~keep] @ x_star[~keep])
    ext = _extend(work, M, beta, X0)
    lower, upper = ext.row_lower.copy(), ext.row_upper.copy()
    floor_row = ext.rows["objective_floor"].start
    dev_row = ext.rows["deviation"].start
    n = work.A.shape[1]
    resolver = open_programme(exact, ext, options)
    value_cost = np.zeros(ext.A.shape[1])
    value_cost[:n] = work.c
    # the band's floor; on the face, the optimum's own value (no plan left should give up any, however little)
    lower[floor_row] = z_star - c_held if face else z_star - eps - c_held
    dev_cost = np.zeros(ext.A.shape[1])
    dev_cost[n:] = -1.0

    def lift(x_work: np.ndarray) -> np.ndarray:
        out = x_star.copy()
        out[keep] = x_work[:n]
        return out

    def fallback(why: str) -> Sharing:
        X = (M_full @ x_star).reshape(P, H)
        return Sharing(
            x_star,
            rule,
            exact.name,
            deviation(X, beta),
            beta,
            None,
            {"sharing": time.perf_counter() - started},
            note=f"the plan is the optimum as found: the cost-sharing stage did not finish ({why})",
        )

    found = resolver.resolve(dev_cost, lower, upper)
    if found.status != Status.OPTIMAL or found.x is None:
        return fallback(found.message or found.status.value)
    delta = float(-(dev_cost @ found.x))
    slack = TIE_SLACK * max(1.0, float(np.abs(M @ found.x[:n] + X0).sum()))
    upper_tie = upper.copy()
    upper_tie[dev_row] = delta + slack
    # step 3a (the band only; on the face every plan has the optimum's value): the most value among the plans of least
    # deviation, z* itself unless keeping to the shares costs value, kept in 3b
    best = found if face else resolver.resolve(value_cost, lower, upper_tie)
    lower_tie = lower.copy()
    if not face and best.status == Status.OPTIMAL and best.x is not None:
        lower_tie[floor_row] = max(lower[floor_row], float(work.c @ best.x[:n]))
    # step 3b: among those, the least weighted spending (one plan, the same on every back end)
    weights = 1.0 + np.mod((np.arange(P * H) + 1) * _GOLDEN, 1.0)
    tie_cost = np.zeros(ext.A.shape[1])
    # plus the value, weighted far above: every plan in the set has the same value, so this changes no choice
    # among them, but it keeps the solver from buying a smaller weighted spending with value inside its tolerance
    tie_cost[:n] = TIE_VALUE_WEIGHT * work.c - (M.T @ weights)
    chosen = resolver.resolve(tie_cost, lower_tie, upper_tie)
    if chosen.status == Status.OPTIMAL and chosen.x is not None:
        x = chosen.x[:n]
    else:
        x = best.x[:n] if best.status == Status.OPTIMAL and best.x is not None else found.x[:n]
    sharing_seconds = time.perf_counter() - started
    # step 4: each pool's least and most discounted spending over the optimal set
    started = time.perf_counter()
    d = k.discount[:H]
    per_pool = sp.kron(sp.identity(P), sp.csr_matrix(d[None, :])).tocsr()  # (p, p x H): discounted sum over years
    spend_d = (per_pool @ M).tocsr()
    spend_0 = per_pool @ X0
    ranges: dict[str, dict[str, float]] | None = {}
    mine = spend_d @ x + spend_0
    for p, pool in enumerate(k.pool_ids):
        ends: list[float] = []
        row = spend_d[p].toarray().ravel()
        for sign in (-1.0, 1.0):
            cost = np.zeros(ext.A.shape[1])
            cost[:n] = sign * row
            got = resolver.resolve(cost, lower, upper)
            if got.status != Status.OPTIMAL or got.x is None:
                ends = []
                break
            ends.append(float(row @ got.x[:n] + spend_0[p]))
        if not ends:
            ranges = None
            break
        assert ranges is not None
        # the reported plan is in the set: its own spending lies in the range whatever a solver's last digits say
        ranges[pool] = {"min": min(ends[0], float(mine[p])), "max": max(ends[1], float(mine[p]))}
    plan = lift(x)
    X = (M_full @ plan).reshape(P, H)
    seconds = {"sharing": sharing_seconds, "ranges": time.perf_counter() - started}
    if face:
        seconds["held"] = float((~keep).sum())
    note = None if ranges is not None else "the room to agree another split could not be found in the time allowed"
    return Sharing(plan, rule, exact.name, deviation(X, beta), beta, ranges, seconds, note=note)


def _restrict(prog: Programme, keep: np.ndarray, x: np.ndarray) -> Programme:
    """``prog`` over the columns ``keep`` only, the others held at their values in ``x`` (moved into the row bounds)."""
    if keep.all():
        return prog
    held = ~keep
    A = prog.A.tocsc()
    moved = A[:, held] @ x[held]
    return replace(
        prog,
        A=A[:, keep].tocsr(),
        c=prog.c[keep],
        row_lower=prog.row_lower - moved,
        row_upper=prog.row_upper - moved,
        col_lower=prog.col_lower[keep],
        col_upper=prog.col_upper[keep],
        integer=prog.integer[keep],
        cols={"kept": slice(0, int(keep.sum()))},
    )


def summary_fields(sharing: Sharing, k: Coefficients) -> dict[str, Any]:
    """``summary.cost_sharing`` and ``summary.pool_spending_range`` (docs/result-format.md)."""
    out: dict[str, Any] = {
        "cost_sharing": {
            "rule": sharing.rule,
            "deviation": sharing.deviation,
            "target_shares": {p: [float(v) for v in sharing.target_shares[j]] for j, p in enumerate(k.pool_ids)},
        }
    }
    if sharing.note:
        out["cost_sharing"]["note"] = sharing.note
    out["pool_spending_range"] = sharing.ranges
    return out
