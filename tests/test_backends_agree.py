"""Every installed back end gives the same optimum on seeded random scenarios.

The scenarios are :func:`optimizer.testing.agreement_seeds`: seeds 0..49, each
drawn as an LP and as a MIP, and the 50 version 2 draws of
:func:`optimizer.testing.agreement_seeds_v2` (bands, priorities, commitments,
sources and the board's cost shares switched on at random), small so that the file runs in seconds; together they switch on
every rule of the model contract (asserted below). For each scenario and back
end (MIPs: the MIP-capable back ends only):

* the status is the same everywhere: optimal on all, or infeasible on all;
* the optimal objective is HiGHS's to 1e-6 relative (PDLP: 1e-4);
* the returned allocations pass the independent checker (optimizer/check.py)
  with no violation, and the checker's recomputed objective is the stated one.

Seed 33 (LP) has nothing any pool may fund (an empty programme: optimal 0);
seeds 7 and 38 (LP) need PDLP's own tolerance in the core's feasibility check.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from optimizer.check import check_result, recompute_objective
from optimizer.scenario import Scenario, parse_scenario
from optimizer.solve import available_solvers, solve
from optimizer.testing import LP_RULES, MIP_RULES, V2_RULES, agreement_seeds, agreement_seeds_v2, random_scenario, rules_on

BACKENDS = available_solvers()
MIP_CAPABLE = ("highs", "cbc", "ortools-scip")
TOL = {"ortools-pdlp": 1e-4}  # a first-order method: looser objective and feasibility tolerance
CASES = [(seed, mip, 1) for seed, mip in agreement_seeds()] + [(seed, mip, 2) for seed, mip in agreement_seeds_v2()]


def _scenario(seed: int, mip: bool, version: int = 1) -> Scenario:
    data = random_scenario(seed, mip=mip, version=version)
    data["solver"] = {"time_limit": 20, "mip_gap": 1e-9}  # prove optimality, so that optima can be compared at 1e-6
    return parse_scenario(data)


@functools.cache
def _solve_all(seed: int, mip: bool, version: int = 1) -> dict[str, dict[str, Any]]:
    """The result dict of every applicable back end (cached: the summary test reuses them)."""
    s = _scenario(seed, mip, version)
    names = [b for b in BACKENDS if not s.is_mip or b in MIP_CAPABLE]
    return {b: solve(s, b).to_dict() for b in names}


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("seed, mip, version", CASES, ids=[f"seed{s}{'-mip' if m else ''}{'-v2' if v == 2 else ''}" for s, m, v in CASES])
def test_backends_agree(seed: int, mip: bool, version: int) -> None:
    s = _scenario(seed, mip, version)
    results = _solve_all(seed, mip, version)
    statuses = {b: r["status"] for b, r in results.items()}
    assert len(set(statuses.values())) == 1, "back ends disagree on the status:\n" + "\n".join(
        f"{b}: {r['status']}: {r['message']}" for b, r in results.items()
    )
    status = next(iter(statuses.values()))
    assert status in ("optimal", "infeasible"), {b: r["message"] for b, r in results.items()}
    if status == "infeasible":
        for b, r in results.items():
            assert r["allocations"] == [] and r["objective"] is None, b
        return

    reference = results["highs"]["objective"] if "highs" in results else next(iter(results.values()))["objective"]
    problems = []
    for b, r in results.items():
        tol = TOL.get(b, 1e-6)
        if _rel(r["objective"], reference) > tol:
            problems.append(
                f"{b}: objective {r['objective']!r} differs from {reference!r} (relative {_rel(r['objective'], reference):.2e})"
            )
        violations = check_result(s, r, tol=tol)
        problems += [f"{b}: {v}" for v in violations]
        recomputed = recompute_objective(s, r)
        if _rel(recomputed, r["objective"]) > 1e-9:
            problems.append(f"{b}: stated objective {r['objective']!r}, recomputed {recomputed!r}")
    assert not problems, "\n".join(problems)


def test_cases_switch_every_rule_on() -> None:
    """Every rule of version 1 is on in some version 1 draw, and every feature of version 2 in some version 2 draw."""
    on: set[str] = set()
    for seed, mip, version in CASES:
        on |= rules_on(random_scenario(seed, mip=mip, version=version))
    assert (LP_RULES | MIP_RULES | V2_RULES) - on == set()
    v2_only: set[str] = set()
    for seed, mip, version in CASES:
        if version == 2:
            v2_only |= rules_on(random_scenario(seed, mip=mip, version=2))
    assert (V2_RULES | {"bands"}) <= v2_only and "fixed_cost" in v2_only  # bands beside launches, too


def test_cases_are_mostly_worth_solving() -> None:
    """A good share of the scenarios fund something; some are MIPs; all reach a verdict."""
    funded = infeasible = 0
    for seed, mip, version in CASES:
        ref = _solve_all(seed, mip, version).get("highs")
        if ref is None:
            continue
        funded += ref["status"] == "optimal" and ref["summary"]["total_spending"] > 0
        infeasible += ref["status"] == "infeasible"
    assert funded >= 0.6 * len(CASES), (funded, infeasible)


@pytest.mark.parametrize("solver", [b for b in MIP_CAPABLE if b in BACKENDS])
def test_highs_mip_presolve_regression(solver: str) -> None:
    """random_scenario(86, mip=True): spending nothing is worth 0, yet HiGHS 1.14 with MIP presolve
    returned -2,475.84 labelled optimal. Every MIP back end must find 0 or better."""
    result = solve(_scenario(86, True), solver)
    assert result.status == "optimal"
    assert result.objective >= -1e-9
    cbc = solve(_scenario(86, True), "cbc")
    assert abs(result.objective - cbc.objective) <= 1e-6 * max(1.0, abs(cbc.objective))


def _in_large_money(seed: int, factor: float) -> Scenario:
    """A medium scenario with every amount of money multiplied: the optimum scales exactly with it."""
    data = random_scenario(seed, size="medium")
    for pool in data["pools"]:
        pool["budget"] = [b * factor for b in pool["budget"]] if isinstance(pool["budget"], list) else pool["budget"] * factor
    for outcome in data["outcomes"]:
        outcome["unit_costs"] = {g: u * factor for g, u in outcome["unit_costs"].items()}
        if "social_value" in outcome:
            outcome["social_value"] *= factor
    for iv in data["interventions"]:
        iv["unit_cost"] *= factor
    policy = data.get("policy", {})
    if policy.get("area_cap") is not None:
        policy["area_cap"] *= factor
    if "per_capita_floor" in policy.get("community_wealth_fund", {}):
        policy["community_wealth_fund"]["per_capita_floor"] *= factor
    return parse_scenario(data)


@pytest.mark.parametrize("solver", [b for b in ("highs", "ortools-glop", "ortools-scip", "cbc") if b in BACKENDS])
@pytest.mark.parametrize("seed", [1, 2, 5])
def test_money_in_hundreds_of_millions_solves_alike(solver: str, seed: int) -> None:
    """Money runs to hundreds of millions in a real place: every back end still agrees, and the optimum scales
    exactly with the money (in pounds, SCIP's LP failed with numerical trouble at this size; optimizer/scaling.py)."""
    medium = _in_large_money(seed, 1.0)
    base = solve(medium, solver)
    big = solve(_in_large_money(seed, 100.0), solver)  # spending of about £10 billion: more than all of England's pools
    assert base.status == big.status
    if base.status == "optimal":
        assert big.objective == pytest.approx(base.objective * 100.0, rel=1e-6)
        assert check_result(medium, base.to_dict()) == []
