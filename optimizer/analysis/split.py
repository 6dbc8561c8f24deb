"""A fair split between agencies: the value of every coalition of pools, Shapley values and the core.

The game (docs/analyses.md): the players are the pools (a pool is its agency).
The value v(S) of a coalition S is the optimal objective of the scenario with
the pools outside S removed and the unit costs borne by their agencies set to
zero: S spends only its own money and counts only its own savings, plus those
of agencies that hold no pool (they keep their costs) and social value.
v(empty) = 0. A coalition whose scenario is infeasible (it cannot meet the
place's rules on its own money) is given v(S) = 0 (it would do nothing) and
named in ``warnings``.

The Shapley value of pool p is its average marginal value over every order in
which the pools could join:

    phi[p] = sum over S not holding p of |S|! (n - |S| - 1)! / n! x (v(S + p) - v(S)).

They sum to v(all pools). The split is in the *core* when no coalition would do
better alone: sum of phi over S >= v(S) for every S.

A *contribution split* says how much each agency should put in so that its net
position (discounted savings it receives in the grand-coalition optimum, less
its contribution) equals its Shapley value: ``contribution = savings - phi``.
Those contributions pay for all the spending only when all the value lands in
the pooled agencies' budgets; value that lands elsewhere (agencies without a
pool, social value, equity weights) is reported as ``value_outside_pools``,
and ``contribution_funding_all_spending`` adds it back in proportion to the
Shapley values, so that the contributions exactly pay for the spending.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from optimizer.analysis.common import AnalysisError, Task, load, money, scenario_data, solved
from optimizer.scenario import Scenario
from optimizer.solve import solve

#: exact Shapley values need 2^n solves: refused above this many pools
MAX_POOLS = 10
#: coalition values within this share of the grand value count as equal (solver tolerance)
CORE_TOL = 1e-6


def coalition_scenario(data: dict[str, Any], members: list[str]) -> dict[str, Any]:
    """The scenario of coalition ``members``: other pools removed, the unit costs of their agencies set to zero (dropped),
    and the agreed cost shares (version 2) of its members only, or the default rule where none of them has one."""
    out = copy.deepcopy(data)
    outside = {p["id"] for p in out["pools"]} - set(members)
    out["pools"] = [p for p in out["pools"] if p["id"] in members]
    for outcome in out["outcomes"]:
        outcome["unit_costs"] = {g: u for g, u in outcome["unit_costs"].items() if g not in outside}
    sharing = (out.get("policy") or {}).get("cost_sharing")
    if sharing and sharing.get("shares"):  # version 2 (2.4): the members' agreed shares; who pays never changes the value
        kept = {p: v for p, v in sharing["shares"].items() if p not in outside}
        if any(v > 0 for v in kept.values()):
            sharing["shares"] = kept
        else:
            del out["policy"]["cost_sharing"]
    out["name"] = f"{out['name']} (coalition: {', '.join(members)})"
    return out


def plan(scenario: Scenario, *, max_pools: int = MAX_POOLS) -> list[Task]:
    """One task per non-empty coalition of pools (2^n - 1 of them), the grand coalition last."""
    pools = [p.id for p in scenario.pools]
    n = len(pools)
    if n > max_pools:
        raise AnalysisError(
            f"the scenario has {n} pools: an exact fair split solves every coalition (2^{n} - 1 = {2**n - 1:,} solves), "
            f"and this is refused above {max_pools} pools; merge pools that act together, or split the question in parts"
        )
    data = scenario_data(scenario)
    tasks = []
    for mask in range(1, 2**n):
        members = [pools[j] for j in range(n) if mask >> j & 1]
        tasks.append({"kind": "split", "coalition": members, "scenario": coalition_scenario(data, members)})
    return tasks


def run_task(task: Task) -> dict[str, Any]:
    """Solve one coalition's scenario."""
    result = solve(load(task["scenario"]), diagnose_infeasible=False)
    out: dict[str, Any] = {"kind": "split", "coalition": list(task["coalition"]), "status": result.status, "objective": result.objective}
    if solved(result):
        summary = result.summary or {}
        out.update(
            {
                key: summary[key]
                for key in ("savings_by_agency", "spending_by_agency", "net_position_by_agency", "total_spending_discounted")
            }
        )
    return out


def shapley(players: list[str], value: dict[frozenset[str], float]) -> dict[str, float]:
    """Exact Shapley values of the game ``value`` (every coalition of ``players``, the empty one included)."""
    n = len(players)
    weight = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    phi = {}
    for p in players:
        others = [q for q in players if q != p]
        total = 0.0
        for mask in range(2 ** (n - 1)):
            coalition = frozenset(others[m] for m in range(n - 1) if mask >> m & 1)
            total += weight[len(coalition)] * (value[coalition | {p}] - value[coalition])
        phi[p] = total
    return phi


def core_violations(
    players: list[str], value: dict[frozenset[str], float], allocation: dict[str, float], tol: float = CORE_TOL
) -> list[dict[str, Any]]:
    """The coalitions that would do better alone under ``allocation`` (empty: it is in the core)."""
    grand = frozenset(players)
    slack = tol * max(1.0, abs(value[grand]))
    out = []
    for coalition, v in value.items():
        if not coalition or coalition == grand:
            continue
        allocated = sum(allocation[p] for p in coalition)
        if v > allocated + slack:
            out.append({"pools": [p for p in players if p in coalition], "value": v, "allocated": allocated, "shortfall": v - allocated})
    if abs(sum(allocation.values()) - value[grand]) > slack:
        out.append(
            {
                "pools": list(players),
                "value": value[grand],
                "allocated": sum(allocation.values()),
                "shortfall": value[grand] - sum(allocation.values()),
            }
        )
    return sorted(out, key=lambda row: -row["shortfall"])


def combine(scenario: Scenario, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The fair-split report: coalition values, Shapley values, net positions, contributions, the core."""
    pools = [p.id for p in scenario.pools]
    grand = frozenset(pools)
    value: dict[frozenset[str], float] = {frozenset(): 0.0}
    status: dict[frozenset[str], str] = {frozenset(): "optimal"}
    by_coalition = {frozenset(r["coalition"]): r for r in results}
    warnings = []
    for coalition, r in by_coalition.items():
        status[coalition] = r["status"]
        value[coalition] = float(r["objective"]) if solved(r) else 0.0
        if not solved(r) and coalition != grand:
            warnings.append(
                f"the coalition {' + '.join(sorted(coalition))} cannot meet the rules on its own ({r['status']}): its value is taken as 0"
            )
        elif r["status"] == "feasible":
            warnings.append(
                f"the coalition {' + '.join(sorted(coalition))} was not solved to proven optimality: its value is a lower bound"
            )
    missing = [c for c in _all_coalitions(pools) if c not in value]
    if missing:
        raise AnalysisError(f"{len(missing)} coalition result(s) are missing: run every task of the plan")
    if not solved(by_coalition[grand]):
        raise AnalysisError(f"the scenario itself (all pools together) is {by_coalition[grand]['status']}: there is no value to split")
    phi = shapley(pools, value)
    violations = core_violations(pools, value, phi)
    g = by_coalition[grand]
    savings, spending = g["savings_by_agency"], g["spending_by_agency"]
    v_grand = value[grand]
    spend_total = sum(spending[p] for p in pools)
    outside = v_grand - (sum(savings[p] for p in pools) - spend_total)
    names = {p.id: p.name for p in scenario.pools}
    agencies = []
    for p in pools:
        contribution = savings[p] - phi[p]
        funding_all = contribution + outside * phi[p] / v_grand if v_grand > 0 else None
        agencies.append(
            {
                "agency": p,
                "name": names[p],
                "shapley": phi[p],
                "standalone_value": value[frozenset([p])],
                "savings": savings[p],
                "spending": spending[p],
                "net_position": savings[p] - spending[p],
                "contribution": contribution,
                "contribution_change": contribution - spending[p],
                "contribution_funding_all_spending": funding_all,
            }
        )
    others = [{"agency": a.id, "name": a.name, "savings": savings.get(a.id, 0.0)} for a in scenario.agencies]
    coalitions = [
        {"pools": [p for p in pools if p in c], "value": value[c], "status": status[c]} for c in _all_coalitions(pools, empty=True)
    ]
    return {
        "analysis": "split",
        "pools": pools,
        "coalitions": coalitions,
        "shapley": phi,
        "grand_value": v_grand,
        "total_spending_discounted": spend_total,
        "value_outside_pools": outside,
        "agencies": agencies,
        "other_agencies": others,
        "in_core": not violations,
        "core_violations": violations,
        "warnings": warnings,
        "messages": _messages(agencies, violations, outside),
    }


def _all_coalitions(pools: list[str], empty: bool = False) -> list[frozenset[str]]:
    n = len(pools)
    return [frozenset(pools[j] for j in range(n) if mask >> j & 1) for mask in range(0 if empty else 1, 2**n)]


def _messages(agencies: list[dict[str, Any]], violations: list[dict[str, Any]], outside: float) -> list[str]:
    material = abs(outside) > 1e-6 * max(1.0, sum(abs(a["shapley"]) for a in agencies))
    out = []
    for a in agencies:
        pay = a["contribution_funding_all_spending"] if material else a["contribution"]
        text = (
            f"{a['name']}: a fair share of the value is {money(a['shapley'])} (alone it could make {money(a['standalone_value'])}); "
            f"at the optimum it gains {money(a['savings'])} and its pool spends {money(a['spending'])}, a net position of "
            f"{money(a['net_position'])}."
        )
        if pay is not None:
            change = pay - a["spending"]
            verb = "more than" if change > 0 else "less than"
            text += f" A fair contribution is {money(pay)}, {money(abs(change))} {verb} its pool spends."
        out.append(text)
    if violations:
        worst = violations[0]
        out.append(
            f"The fair split is not stable: {' + '.join(worst['pools'])} could make {money(worst['value'])} alone, "
            f"{money(worst['shortfall'])} more than the split gives them."
        )
    else:
        out.append("The fair split is stable (in the core): no group of agencies would do better on its own.")
    if material:
        out.append(
            f"{money(outside)} of the value lands outside the pooled agencies' budgets (agencies without a pool, social value or "
            "equity weights). The fair contributions above pay for all the spending and share that value out in proportion "
            "to the fair shares; 'contribution' in the report gives each agency exactly its fair share instead, and then "
            f"{money(outside)} of the spending is left to be funded."
        )
    return out
