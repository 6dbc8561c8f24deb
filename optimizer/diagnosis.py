"""Why a scenario is infeasible, and the smallest change that would resolve it.

Spending is never forced in the model except by the per-capita floor (rule
8) and the board's commitments (docs/model.md 2.3), so an infeasible scenario
is one whose floors or commitments cannot be paid for within the other rules. The diagnosis solves the *elastic* programme
(:mod:`optimizer.programme`, ``relax=...``): every relaxable rule gets a
non-negative slack and the least total slack, in pounds (participants beyond
coverage are priced at their unit cost), is found. Rules with slack are the
conflict; the slacks are the smallest change (in that L1 sense) that makes
the scenario feasible. Each family is then relaxed alone as well, to offer
the board alternatives ("or raise budgets by ..., or lower the floor by ...").

The elastic programmes are solved like every other (:func:`optimizer.session.solve_programme`:
money in thousands, the solution checked against the rows) on the back end
the registry chooses for duals (:func:`optimizer.backends.for_duals`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optimizer.backends import Options, Status, for_duals
from optimizer.coefficients import Coefficients
from optimizer.programme import RELAXABLE, Programme, build
from optimizer.scenario import Scenario
from optimizer.session import solve_programme

SLACK_EPS = 1e-6
#: rows that define the model's quantities rather than a rule a board could change
STRUCTURAL = ("cost", "fixed_cost", "min_scale", "bands")


def _money(v: float) -> str:
    return f"£{v:,.2f}"


def _describe(s: Scenario, k: Coefficients, prog: Programme, name: str, row: int, amount: float) -> dict[str, Any]:
    block = prog.rows[name]
    j = row - block.start
    keys = {key: int(vals[j]) for key, vals in block.keys.items()}
    year = keys.get("year", -1) + 1
    if name == "budget":
        pool = k.pool_ids[keys["pool"]]
        return {
            "rule": "budget",
            "pool": pool,
            "year": year,
            "change": amount,
            "message": f"raise the {pool} pool's year {year} budget by {_money(amount)}",
        }
    if name == "per_capita_floor":
        area = k.area_ids[keys["area"]]
        pop = k.population[keys["area"]]
        per_head = amount / pop if pop > 0 else 0.0
        why = ""
        if not ((prog.pair_area == keys["area"]).any()):
            why = " (no pool may fund this area, or no intervention has eligible people in it)"
        return {
            "rule": "community_wealth_fund.per_capita_floor",
            "area": area,
            "year": year,
            "change": amount,
            "message": f"lower the per-capita floor in area {area}, year {year}, by {_money(per_head)} per resident ({_money(amount)} in all){why}",
        }
    if name == "commitment":
        j = keys["commitment"]
        c = s.policy.commitments[j]
        what = s.interventions[k.intervention_ids.index(c.intervention)].name
        where = (f" in {c.area}" if c.area is not None else "") + (f" in year {c.year}" if c.year is not None else "")
        return {
            "rule": "commitment",
            "commitment": j,
            "change": amount,
            "explanation": commitment_sentence(s, k, prog, j, amount),
            "message": f"lower the commitment to {what}{where} (policy.commitments[{j}]) by {_money(amount)}",
        }
    if name == "area_cap":
        area = k.area_ids[keys["area"]]
        return {
            "rule": "area_cap",
            "area": area,
            "year": year,
            "change": amount,
            "message": f"raise the area cap for area {area}, year {year}, by {_money(amount)}",
        }
    if name == "no_agency_worse_off":
        pool = k.pool_ids[keys["pool"]]
        return {
            "rule": "no_agency_worse_off",
            "pool": pool,
            "change": amount,
            "message": f"let the {pool} pool spend {_money(amount)} (discounted) more than the savings it receives (no_agency_worse_off)",
        }
    if name == "capacity":
        iv = k.intervention_ids[keys["intervention"]]
        return {
            "rule": "capacity",
            "intervention": iv,
            "year": year,
            "change": amount / 1.0,
            "message": f"raise the capacity of {iv} in year {year} by {amount:,.2f} participants",
        }
    if name == "community_wealth_fund":
        return {
            "rule": "community_wealth_fund.min_share",
            "change": amount,
            "message": f"lower the Community Wealth Fund share: {_money(amount)} of spending short of it in deprived areas",
        }
    # coverage rows (with or without a launch)
    pair = keys["pair"]
    area, iv = k.area_ids[prog.pair_area[pair]], k.intervention_ids[prog.pair_iv[pair]]
    people = amount / k.unit_cost[prog.pair_iv[pair]]
    return {
        "rule": "coverage",
        "area": area,
        "intervention": iv,
        "year": year,
        "change": people,
        "message": f"allow {people:,.2f} more participants of {iv} in area {area}, year {year} (max_coverage)",
    }


def commitment_sentence(s: Scenario, k: Coefficients, prog: Programme, j: int, short: float) -> str:
    """Why commitment ``j`` cannot be met, in the board's words, and by how much it would have to fall."""
    c = s.policy.commitments[j]
    iv_index = k.intervention_ids.index(c.intervention)
    iv = s.interventions[iv_index]
    where = f" in {c.area}" if c.area is not None else ""
    when = f" in year {c.year}" if c.year is not None else (" over the horizon" if s.H > 1 else "")
    head = f"the commitment to spend {_money(c.min_spend)} on {iv.name}{where}{when} (policy.commitments[{j}]) cannot be met"
    areas = [k.area_ids.index(c.area)] if c.area is not None else list(range(len(k.area_ids)))
    funders = [p for p in range(len(k.pool_ids)) if k.allowed[areas, iv_index, p].any()]
    years = 1 if c.year is not None else k.H
    reach = float(k.upper[areas, iv_index].sum()) * iv.unit_cost * years + (iv.fixed_cost if c.year in (None, 1) else 0.0)
    if not funders:
        may = [p.id for p in s.pools if p.interventions is None or c.intervention in p.interventions]
        if may and c.area is not None:
            reason = "the footprint of every pool that may fund it excludes that area"
        elif may:
            reason = "the footprint of every pool that may fund it excludes every area"
        else:
            reason = "no pool may fund it (every pool's list of interventions leaves it out)"
    elif reach <= 0:
        reason = f"no one in its target group ({iv.target_group}) lives {'there' if c.area is not None else 'in the place'}"
    elif reach < c.min_spend - 1e-6:
        reason = f"at most {_money(reach)} can be spent on it{' there' if c.area is not None else ''} (its max_coverage of the {iv.target_group} group)"
    else:
        reason = f"the budgets and the other rules leave {_money(max(c.min_spend - short, 0.0))} for it"
    return f"{head}: {reason}"


def _conflict(s: Scenario, k: Coefficients, prog: Programme, name: str, row: int) -> dict[str, Any]:
    """One rule of the conflict, named in the scenario's terms with its amount."""
    block = prog.rows[name]
    j = row - block.start
    keys = {key: int(vals[j]) for key, vals in block.keys.items()}
    out: dict[str, Any] = {"rule": "coverage" if name.startswith("coverage") else name}
    if "year" in keys:
        out["year"] = keys["year"] + 1
    if "pool" in keys:
        out["pool"] = k.pool_ids[keys["pool"]]
    if "area" in keys:
        out["area"] = k.area_ids[keys["area"]]
    if "intervention" in keys:
        out["intervention"] = k.intervention_ids[keys["intervention"]]
    if "commitment" in keys:
        out["commitment"] = keys["commitment"]
        out["intervention"] = s.policy.commitments[keys["commitment"]].intervention
    if "pair" in keys:
        out["area"] = k.area_ids[prog.pair_area[keys["pair"]]]
        out["intervention"] = k.intervention_ids[prog.pair_iv[keys["pair"]]]
    bound = prog.row_upper[row] if np.isfinite(prog.row_upper[row]) else prog.row_lower[row]
    out["limit"] = float(bound)
    if name == "per_capita_floor":
        out["rule"] = "community_wealth_fund.per_capita_floor"
    elif name == "community_wealth_fund":
        out["rule"] = "community_wealth_fund.min_share"
    return out


def _elastic(
    s: Scenario, k: Coefficients, relax: tuple[str, ...], time_limit: float
) -> tuple[float, list[dict[str, Any]], list[dict[str, Any]]] | None:
    """Least total slack with ``relax`` relaxed: (total, changes, rules in conflict) or None if still infeasible."""
    prog = build(s, k, formulation="pooled", relax=relax)
    # the conflict is read from the duals: an exact back end that gives them, through the one entry point (money scaled, checked)
    raw = solve_programme(for_duals(), prog, Options(time_limit=time_limit, want_duals=True))
    if raw.status not in (Status.OPTIMAL, Status.FEASIBLE) or raw.x is None:
        return None
    # the rows with a non-zero dual are those that press on the slack: together they are the conflict
    conflicts = []
    if raw.row_dual is not None:
        for name, block in prog.rows.items():
            if name in STRUCTURAL:
                continue
            duals = raw.row_dual[block.start : block.start + block.count]
            for j in np.nonzero(np.abs(duals) > 1e-9)[0]:
                conflicts.append(_conflict(s, k, prog, name, block.start + int(j)))
    changes: list[dict[str, Any]] = []
    total = 0.0
    for name, rows in prog.slack_rows.items():
        values = raw.x[prog.cols[f"slack:{name}"]]
        price = -prog.c[prog.cols[f"slack:{name}"]]
        total += float(values @ price)
        block_name = name
        for row, v, pr in zip(rows, values, price, strict=True):
            if v > SLACK_EPS:
                changes.append(_describe(s, k, prog, block_name, int(row), float(v * pr) if name.startswith("coverage") else float(v)))
    return total, changes, conflicts


def diagnose(s: Scenario, k: Coefficients, *, time_limit: float = 60.0) -> dict[str, Any]:
    """The conflicting rules, the least change that resolves them, and one-family alternatives."""
    base = build(s, k, formulation="pooled")
    families = tuple(f for f in RELAXABLE if f == "coverage" or f in base.rows)
    found = _elastic(s, k, families, time_limit)
    if found is None:
        return {
            "conflicts": [],
            "changes": [],
            "alternatives": [],
            "message": "The scenario is infeasible and no relaxation of its rules was found; check the solver's limits.",
        }
    total, changes, conflicts = found
    alternatives = []
    for family in families:
        alone = _elastic(s, k, (family,), time_limit)
        if alone is not None:
            cost, fam_changes, _ = alone
            alternatives.append(
                {
                    "rule": family,
                    "total_change": cost,
                    "changes": fam_changes,
                    "message": f"relax only {family}: {len(fam_changes)} change(s) worth {_money(cost)} in all",
                }
            )
    forcing = {"community_wealth_fund.per_capita_floor", "commitment"}
    floor = s.policy.community_wealth_fund.per_capita_floor
    forced = {c["rule"] for c in changes if c["rule"] in forcing} or (
        {"community_wealth_fund.per_capita_floor"} if floor > 0 else {"commitment"}
    )
    rules = sorted({c["rule"] for c in conflicts} | {c["rule"] for c in changes} | forced)
    others = [r for r in rules if r not in forcing]
    within = f"within {', '.join(others) or 'the other rules'}"
    parts = []
    if "community_wealth_fund.per_capita_floor" in forced:
        parts.append(f"the per-capita floor of {_money(floor)} per resident in every deprived area and year cannot be paid for {within}")
    broken = [c for c in changes if c["rule"] == "commitment"]
    if "commitment" in forced:
        parts += [c["explanation"] for c in broken[:3]] or [f"the commitments cannot be met {within}"]
        if len(broken) > 3:
            parts.append(f"and {len(broken) - 3} more commitment(s)")
    head = "Infeasible: " + "; ".join(parts) + "."
    fix = "; ".join(c["message"] for c in changes[:5]) + ("; ..." if len(changes) > 5 else "")
    return {
        "conflicts": rules,
        "conflicting_rows": conflicts,
        "changes": changes,
        "alternatives": alternatives,
        "total_change": total,
        "message": f"{head} The smallest change found (£{total:,.2f} in all): {fix}.",
    }


def empty_rows_infeasible(prog: Programme) -> np.ndarray:
    """Rows with no variable whose bounds exclude zero: infeasible before any solving."""
    counts = np.diff(prog.A.indptr)
    return np.nonzero((counts == 0) & ((prog.row_lower > 1e-9) | (prog.row_upper < -1e-9)))[0]
