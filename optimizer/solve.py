"""Solve a scenario: build the programme, run a back end, check and read the answer.

``solve(scenario, solver=None, *, formulation=..., time_limit=..., mip_gap=...)``
returns a :class:`~optimizer.result.Result` whatever the scenario's fate:
infeasible, unbounded and time-limited scenarios are statuses. Exceptions
are for a solver that is missing or cannot handle the programme.

Every programme goes to a back end through :func:`optimizer.session.solve_programme`,
which scales money and checks the solution against the programme's rows and
bounds before it is believed (docs/model.md, "Solvers"): a solution that
breaks a row is reported as ``error`` with the row named, never as optimal.

The steps, in order: build the programme (merged where areas allow), solve
it, diagnose it if infeasible, pick among the equally good plans the one the
cost-sharing rule names and find each pool's room (:mod:`optimizer.sharing`,
docs/model.md 2.4), find the duals (a MIP's with its launches fixed), read
the solution in the scenario's terms, and assemble the result.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from optimizer.backends import Backend, Options, RawSolution, Status, available, for_duals, get_backend, mip_names
from optimizer.coefficients import compute
from optimizer.diagnosis import diagnose, empty_rows_infeasible
from optimizer.errors import SolverUnavailable
from optimizer.merge import merge, split, split_duals, why_not
from optimizer.prices import binding_rules, shadow_prices
from optimizer.programme import Programme, build
from optimizer.result import DEPRIVATION_DATA, Result, read_solution, summarise
from optimizer.scenario import Scenario, scenario_hash
from optimizer.session import FEAS_TOL, check_feasible, checked, solve_programme
from optimizer.sharing import deviation, share_costs, summary_fields

__all__ = ["FEAS_TOL", "available_solvers", "check_feasible", "solve"]


def available_solvers() -> tuple[str, ...]:
    """The back ends installed here."""
    return available()


def solve(
    scenario: Scenario,
    solver: str | None = None,
    *,
    formulation: str = "auto",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    diagnose_infeasible: bool = True,
    cost_sharing: bool = True,
) -> Result:
    """Solve ``scenario`` with back end ``solver`` (default: the scenario's ``solver.name``).

    ``cost_sharing=False`` reports the optimum as the back end found it, without the rule of who pays
    among equally good plans (docs/model.md 2.4) and without the pools' ranges: for re-solves that
    read only the objective, and for measuring what the rule costs (``benchmarks/sharing.py``).
    """
    name = solver or scenario.solver.name
    backend = get_backend(name)
    options = Options(
        time_limit=time_limit if time_limit is not None else scenario.solver.time_limit,
        mip_gap=mip_gap if mip_gap is not None else scenario.solver.mip_gap,
    )
    started = time.perf_counter()
    k = compute(scenario)
    used, merged = formulation, None
    if formulation in ("auto", "merged"):
        reason = why_not(scenario, k)
        if reason is not None and formulation == "merged":
            raise ValueError(f"areas cannot be merged for this scenario: {reason}; use formulation auto, pooled or full")
        used = "merged" if reason is None else "pooled"
    prog = build(scenario, k, formulation="full" if used == "full" else "pooled")
    target = prog
    if used == "merged":
        k_small, area_class = merge(k)
        target = build(scenario, k_small, formulation="pooled")
        merged = (k_small, area_class)
    build_seconds = time.perf_counter() - started
    if prog.is_mip and not backend.supports_mip:
        raise SolverUnavailable(
            f"solver {name!r} solves linear programmes only, and this scenario has fixed costs or minimum participants "
            f"(a mixed-integer programme): choose {', '.join(mip_names()[:-1])} or {mip_names()[-1]}"
        )
    info = {
        "name": name,
        "version": backend.version(),
        "formulation": used,
        "rows": int(target.A.shape[0]),
        "columns": int(target.A.shape[1]),
        "nonzeros": int(target.A.nnz),
        "mip": prog.is_mip,
        "area_classes": len(merged[0].area_ids) if merged else None,
        "build_seconds": build_seconds,
        "solve_seconds": 0.0,
        "read_seconds": 0.0,
        "gap": None,
        "integers_fixed_for_duals": False,
    }
    digest = scenario_hash(scenario)

    def expand(x: np.ndarray) -> np.ndarray:
        """A solution of the merged programme split back out over its areas (a solution of ``prog``)."""
        assert merged is not None
        # the merged programme has the same rows, in the same order, as the unmerged one, but for the band rows
        # (last, one per pair: optimizer/merge.py)
        rules = [(b.name, b.count) for b in target.rows.values() if b.name != "bands"]
        if rules != [(b.name, b.count) for b in prog.rows.values() if b.name != "bands"]:
            raise AssertionError("merged programme's rows differ from the unmerged one's")  # pragma: no cover
        return split(prog, target, k, merged[0], merged[1], x)

    def run(on: Backend) -> RawSolution:
        """Solve the target programme and give the answer, checked, in the terms of the target (merged or not)."""
        return solve_programme(on, target, options)

    def in_prog(found: RawSolution) -> RawSolution:
        """The answer of the target programme in the terms of ``prog``, checked against its rows (optimizer/merge.py)."""
        if merged is None or found.x is None or prog.A.shape[1] == 0:
            return found
        duals = None if found.row_dual is None else split_duals(prog, target, merged[1], found.row_dual)
        return checked(
            replace(found, x=expand(found.x), row_dual=duals), prog, backend, "the merged programme's solution, split over its areas,"
        )

    if len(empty_rows_infeasible(prog)):
        raw = RawSolution(Status.INFEASIBLE, message="a rule needs spending where no pool may fund anything")
    elif prog.A.shape[1] == 0:
        # nothing can be funded at all (no pool may fund any area with eligible people): the optimum is to spend nothing
        raw = RawSolution(Status.OPTIMAL, x=np.zeros(0), row_dual=np.zeros(prog.A.shape[0]), bound=0.0, message="nothing can be funded")
    else:
        raw = run(backend)
    info["solve_seconds"] = raw.seconds
    info["message"] = raw.message
    info["limit"] = raw.limit
    sharing = None
    if cost_sharing and raw.status in (Status.OPTIMAL, Status.FEASIBLE) and raw.x is not None:
        # who pays among the equally good plans: the cost-sharing rule (docs/model.md 2.4), on the programme as solved
        sharing = share_costs(scenario, k, target, raw.x, backend, options, duals=raw.row_dual)
        raw = replace(raw, x=sharing.x)
        info["sharing_seconds"] = sharing.seconds.get("sharing", 0.0)
        info["ranges_seconds"] = sharing.seconds.get("ranges", 0.0)
        info["sharing_from"] = sharing.backend
        # null: the stages worked on the band of docs/model.md 2.4; a count: on the optimal face of a large programme
        info["sharing_held_columns"] = int(sharing.seconds["held"]) if "held" in sharing.seconds else None
    raw = in_prog(raw)

    if raw.status == Status.INFEASIBLE:
        diagnosis = diagnose(scenario, k, time_limit=options.time_limit) if diagnose_infeasible else None
        message = diagnosis["message"] if diagnosis else "The scenario is infeasible."
        return Result(Status.INFEASIBLE, message, digest, diagnosis=diagnosis, solver=info)
    if raw.status in (Status.UNBOUNDED, Status.ERROR) or raw.x is None:
        # an error is also what a solution that breaks the programme's rows becomes (optimizer/session.py)
        return Result(raw.status, raw.message, digest, solver=info)

    read_started = time.perf_counter()
    duals = raw.row_dual
    # an LP's duals come from its own back end where it gives them; a MIP's re-solve with its launches fixed, and an
    # LP's on a back end without duals (SCIP), from one chosen by capability (gives duals, exact: optimizer/backends/registry.py)
    dual_backend = backend if backend.gives_duals and not prog.is_mip else for_duals(backend)
    if prog.is_mip and options.want_duals:
        duals = _duals_with_integers_fixed(prog, raw.x, dual_backend, options)
        info["integers_fixed_for_duals"] = duals is not None
    elif duals is None and raw.status == Status.OPTIMAL and options.want_duals:
        # a back end without duals (SCIP): the same LP again on the back end chosen for duals, for its duals only
        again = run(dual_backend)
        duals = again.row_dual if again.status == Status.OPTIMAL else None
    info["duals_from"] = dual_backend.name if duals is not None else None
    sol = read_solution(prog, k, raw.x)
    summary, objective = summarise(prog, k, sol)
    if sharing is not None:
        summary.update(summary_fields(sharing, k))
        # Delta of the plan as reported, from its allocations and launches (what a reader recomputes)
        summary["cost_sharing"]["deviation"] = deviation(sol.pool_year_spend, sharing.target_shares)
    _add_sources(scenario, summary)
    if scenario.data_vintage is not None:  # which deprivation data the Community Wealth Fund rule used
        summary["deprivation_data"] = DEPRIVATION_DATA[scenario.data_vintage]
    prices = shadow_prices(scenario, prog, k, duals, summary["total_spending"], integers_fixed=prog.is_mip)
    binding = binding_rules(scenario, prog, k, raw.x, prices, duals)
    info["read_seconds"] = time.perf_counter() - read_started
    bound = raw.bound if raw.bound is not None else None
    if raw.status == Status.OPTIMAL and not prog.is_mip:
        bound = objective
    if bound is not None and prog.is_mip:
        info["gap"] = abs(bound - objective) / max(1.0, abs(bound))
    elif raw.status == Status.OPTIMAL:
        info["gap"] = 0.0
    status = Status.OPTIMAL if raw.status == Status.OPTIMAL else Status.FEASIBLE
    message = _message(status, objective, summary)
    return Result(
        status,
        message,
        digest,
        objective=objective,
        bound=bound,
        allocations=sol.allocations,
        launches=sol.launches,
        summary=summary,
        shadow_prices=prices,
        binding_rules=binding,
        solver=info,
    )


def _add_sources(scenario: Scenario, summary: dict[str, Any]) -> None:
    """docs/model.md 2.5: each intervention's citation, and those of the outcomes it affects, beside its figures."""
    outcome_source = {o.id: o.source for o in scenario.outcomes if o.source}
    for iv in scenario.interventions:
        row = summary["by_intervention"][iv.id]
        if iv.source:
            row["source"] = iv.source
        cited = {e.outcome: outcome_source[e.outcome] for e in iv.effects if e.outcome in outcome_source}
        if cited:
            row["outcome_sources"] = cited


def _duals_with_integers_fixed(prog: Programme, x: np.ndarray, backend: Backend, options: Options) -> np.ndarray | None:
    """Shadow prices of a MIP: the LP with every launch decision fixed at its solution (as the contract asks)."""
    fixed = replace(prog, col_lower=prog.col_lower.copy(), col_upper=prog.col_upper.copy(), integer=np.zeros_like(prog.integer))
    ints = np.nonzero(prog.integer)[0]
    fixed.col_lower[ints] = np.round(x[ints])
    fixed.col_upper[ints] = np.round(x[ints])
    raw = solve_programme(backend, fixed, replace(options, want_duals=True))
    return raw.row_dual if raw.status == Status.OPTIMAL else None


def _message(status: str, objective: float, summary: dict[str, Any]) -> str:
    spend = summary["total_spending"]
    if spend <= 0 and status != "optimal":
        return (
            "Stopped at a limit before finding a plan better than funding nothing: "
            "raise the time limit (solver.time_limit) or loosen the gap (solver.mip_gap) and solve again."
        )
    if spend <= 0:
        return "Nothing is worth funding: no intervention's value exceeds its cost under these rules."
    word = "Optimal" if status == "optimal" else "Feasible (not proven optimal)"
    return f"{word}: £{spend:,.0f} of spending yields £{objective:,.0f} of weighted net present value."
