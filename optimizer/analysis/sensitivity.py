"""Sensitivity in board words: the shadow price of each pool-year budget and each active rule, and how far it holds.

For each pool-year budget and each active rule whose limit is an amount (the
per-capita floor, the area cap, an intervention's capacity) the price is the
dual value of its rows, and its *range* is the largest increase of the amount
over which the optimal objective stays on the straight line
f(0) + price x increase (within 1e-6 of the objective), searched with
re-solves up to ``cap_fraction`` (100 %) more than the amount; when the line
still holds there, the range is "at least" that much. The optimal objective
is concave and piecewise linear in these amounts, so the line holds on one
interval from 0; each re-solve's dual gives a line on or above the objective,
which meets the price's line at or beyond the interval's end, so the search
(:func:`_bisect`) lands on the end in a few re-solves, halving the bracket
where that gives no progress. The Community Wealth Fund share multiplies
spending rather than bounding it, so the objective curves gently even
between corners: its range is where the price stays within 1 % of the
average change. "No agency worse off" has no amount to vary: its price alone
is given.

Re-solves are of the programme itself (optimizer/programme.py) with one bound
moved, through the core's one entry point (:func:`optimizer.session.solve_programme`:
money scaled, the solution checked against the rows), on the back end the
registry chooses for duals (:func:`optimizer.backends.for_duals`: exact, with
duals; HiGHS's simplex where installed) whatever the scenario's back end.
For a mixed-integer programme the launch decisions are fixed at the optimum
(as the core's shadow prices are), and every sentence says so.

Each task is one target's whole search (a few re-solves of one LP; up to
about 30 for the Community Wealth Fund share), independent of the others: a
queue can run them in parallel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from optimizer.analysis.common import AnalysisError, Task, load, scenario_data, solved
from optimizer.analysis.sentences import sentence
from optimizer.backends import Options, Status, for_duals
from optimizer.coefficients import compute
from optimizer.programme import Programme, build
from optimizer.scenario import Scenario
from optimizer.session import solve_programme
from optimizer.solve import solve

#: the objective is on the price's line within this share of it
REL_TOL = 1e-6
#: the Community Wealth Fund share's price holds while the average change is within this share of it
CWF_TOL = 0.01
#: prices below this (pounds per unit) are zero
PRICE_EPS = 1e-9
#: bisection stops when the bracket is within this share of its upper end (or the target's absolute step)
BRACKET = 1e-3
MAX_STEPS = 40
#: per rule: absolute precision of the range and the amount tested when the rule's amount is 0
UNITS = {
    "budget": (1.0, 1000.0),
    "community_wealth_fund.per_capita_floor": (0.01, 1.0),
    "area_cap": (1.0, 1000.0),
    "capacity": (0.01, 1.0),
    "community_wealth_fund.min_share": (1e-5, 1.0),
    "no_agency_worse_off": (1.0, 0.0),
}


def plan(scenario: Scenario, *, cap_fraction: float = 1.0) -> list[Task]:
    """Solve once (to fix the launches of a MIP), then one task per pool-year budget and per active rule."""
    if cap_fraction <= 0:
        raise AnalysisError("cap_fraction must be positive (1.0 tests increases up to 100 % of each amount)")
    base = solve(scenario, diagnose_infeasible=False)
    if not solved(base):
        raise AnalysisError(f"the scenario is {base.status}: there are no prices to explain ({base.message})")
    launches = [[row["area"], row["intervention"]] for row in base.launches] if scenario.is_mip else None
    targets: list[dict[str, Any]] = [{"rule": "budget", "pool": p.id, "year": t} for p in scenario.pools for t in range(1, scenario.H + 1)]
    cwf, policy = scenario.policy.community_wealth_fund, scenario.policy
    if cwf.min_share > 0:
        targets.append({"rule": "community_wealth_fund.min_share"})
    if cwf.per_capita_floor > 0:
        targets.append({"rule": "community_wealth_fund.per_capita_floor"})
    if policy.area_cap is not None:
        targets.append({"rule": "area_cap"})
    targets += [{"rule": "capacity", "intervention": iv.id} for iv in scenario.interventions if iv.capacity is not None]
    if policy.no_agency_worse_off:
        targets += [{"rule": "no_agency_worse_off", "pool": p.id} for p in scenario.pools]
    data = scenario_data(scenario)
    return [{"kind": "sensitivity", "scenario": data, "launches": launches, "cap_fraction": cap_fraction, "target": t} for t in targets]


class _Probe:
    """Re-solves of one scenario's programme with one target's amount raised by ``delta``."""

    def __init__(self, s: Scenario, target: dict[str, Any], launches: list[list[str]] | None):
        self.s, self.target, self.launches = s, target, launches
        self.k = compute(s)
        self.prog = self._fixed(build(s, self.k))
        self.backend = for_duals()
        self.options = Options(time_limit=s.solver.time_limit, mip_gap=s.solver.mip_gap, want_duals=True)
        self.rows, self.weights = self._rows()

    def _fixed(self, prog: Programme) -> Programme:
        if self.launches is None or not prog.is_mip:
            return prog
        on = {tuple(pair) for pair in self.launches}
        y = np.array(
            [(self.k.area_ids[prog.pair_area[p]], self.k.intervention_ids[prog.pair_iv[p]]) in on for p in prog.launch_pair], dtype=float
        )
        lo, up = prog.col_lower.copy(), prog.col_upper.copy()
        lo[prog.cols["y"]] = up[prog.cols["y"]] = y
        return replace(prog, col_lower=lo, col_upper=up, integer=np.zeros_like(prog.integer))

    def _rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows the target moves, and the weight of each in the price (and in the move)."""
        rule, prog, k = self.target["rule"], self.prog, self.k
        name = {
            "budget": "budget",
            "community_wealth_fund.per_capita_floor": "per_capita_floor",
            "area_cap": "area_cap",
            "capacity": "capacity",
            "community_wealth_fund.min_share": "community_wealth_fund",
            "no_agency_worse_off": "no_agency_worse_off",
        }[rule]
        block = prog.rows.get(name)
        if block is None:
            return np.zeros(0, dtype=int), np.zeros(0)
        rows = np.arange(block.start, block.start + block.count)
        keep = np.ones(block.count, dtype=bool)
        if "pool" in self.target:
            keep &= block.keys["pool"] == k.pool_ids.index(self.target["pool"])
        if "year" in self.target:
            keep &= block.keys["year"] == self.target["year"] - 1
        if "intervention" in self.target:
            keep &= block.keys["intervention"] == k.intervention_ids.index(self.target["intervention"])
        weights = k.population[block.keys["area"]] if name == "per_capita_floor" else np.ones(block.count)
        return rows[keep], weights[keep]

    def amount(self) -> float:
        """The target's amount in the scenario (what the cap is a share of)."""
        rule, s = self.target["rule"], self.s
        if rule == "budget":
            year: int = self.target["year"]
            return s.budget(next(p for p in s.pools if p.id == self.target["pool"]))[year - 1]
        if rule == "capacity":
            return float(next(iv for iv in s.interventions if iv.id == self.target["intervention"]).capacity or 0.0)
        amounts: dict[str, float] = {
            "community_wealth_fund.per_capita_floor": s.policy.community_wealth_fund.per_capita_floor,
            "area_cap": s.policy.area_cap or 0.0,
            "community_wealth_fund.min_share": s.policy.community_wealth_fund.min_share,
            "no_agency_worse_off": 0.0,
        }
        return amounts[rule]

    def at(self, delta: float) -> dict[str, Any]:
        """Solve with the amount raised by ``delta``: status, objective, price there and the rows' slack."""
        prog = self.prog
        if self.target["rule"] == "community_wealth_fund.min_share":
            if delta:
                cwf = self.s.policy.community_wealth_fund
                policy = self.s.policy.model_copy(
                    update={"community_wealth_fund": cwf.model_copy(update={"min_share": min(1.0, cwf.min_share + delta)})}
                )
                moved = self.s.model_copy(update={"policy": policy})
                prog = self._fixed(build(moved, compute(moved)))
        elif delta:
            lo, up = prog.row_lower.copy(), prog.row_upper.copy()
            if self.target["rule"] == "community_wealth_fund.per_capita_floor":
                lo[self.rows] += delta * self.weights
            else:
                up[self.rows] += delta * self.weights
            prog = replace(prog, row_lower=lo, row_upper=up)
        raw = solve_programme(self.backend, prog, self.options)
        if raw.status not in (Status.OPTIMAL, Status.FEASIBLE) or raw.x is None:
            return {"status": str(raw.status), "objective": None, "price": None, "slack": None}
        objective = float(prog.c @ raw.x)
        duals = raw.row_dual if raw.row_dual is not None else np.zeros(prog.A.shape[0])
        if self.target["rule"] == "community_wealth_fund.min_share":
            spend = float(raw.x[prog.cols["x"]].sum() + raw.x[prog.cols["z"]].sum())
            price = float(duals[self.rows].sum()) * spend * 0.01 if len(self.rows) else 0.0
        else:
            price = float(duals[self.rows] @ self.weights)
        activity = prog.A[self.rows] @ raw.x if len(self.rows) else np.zeros(0)
        slack = float((prog.row_upper[self.rows] - activity).sum()) if len(self.rows) else None
        return {"status": str(raw.status), "objective": objective, "price": price, "slack": slack}


def run_task(task: Task) -> dict[str, Any]:
    """One target: its price and, where it has an amount to vary, how far the price holds."""
    s, target = load(task["scenario"]), task["target"]
    probe = _Probe(s, target, task.get("launches"))
    base = probe.at(0.0)
    out: dict[str, Any] = {
        "kind": "sensitivity",
        "target": target,
        "status": base["status"],
        "base_objective": base["objective"],
        "price": base["price"],
        "amount": probe.amount(),
        "range": None,
        "range_capped": False,
        "tested_up_to": None,
        "beyond_price": None,
        "beyond_status": None,
        "unspent": None,
        "integers_fixed": bool(task.get("launches") is not None and s.is_mip),
    }
    if base["objective"] is None:
        return out
    if abs(base["price"]) <= PRICE_EPS:
        out["price"] = 0.0
        out["unspent"] = base["slack"] if target["rule"] == "budget" else None
        return out
    if target["rule"] == "no_agency_worse_off":
        return out
    step, fallback = UNITS[target["rule"]]
    amount = probe.amount()
    cap = (
        (1.0 - amount)
        if target["rule"] == "community_wealth_fund.min_share"
        else task.get("cap_fraction", 1.0) * (amount if amount > 0 else fallback)
    )
    out.update(_bisect(probe.at, base, cap, step, _holds(target["rule"], base), lines=target["rule"] != "community_wealth_fund.min_share"))
    return out


def _holds(rule: str, base: dict[str, Any]) -> Callable[[float, dict[str, Any]], bool]:
    f0: float = base["objective"]
    price: float = base["price"]
    noise = REL_TOL * max(1.0, abs(f0))
    scale = 100.0 if rule == "community_wealth_fund.min_share" else 1.0
    tol = CWF_TOL if rule == "community_wealth_fund.min_share" else 0.0

    def holds(delta: float, point: dict[str, Any]) -> bool:
        objective: float | None = point["objective"]
        if objective is None:
            return False
        line = price * scale * delta
        return abs(objective - f0 - line) <= tol * abs(line) + noise

    return holds


def _bisect(
    at: Callable[[float], dict[str, Any]],
    base: dict[str, Any],
    cap: float,
    step: float,
    holds: Callable[[float, dict[str, Any]], bool],
    lines: bool = True,
) -> dict[str, Any]:
    """The largest increase in [0, cap] on the price's line.

    The objective f is concave and piecewise linear in an amount that bounds rows, and the dual at any
    point d gives a line through (d, f(d)) that lies on or above f everywhere. Where it meets the
    price's line is at or beyond the end of the range, and exactly at it when f is still on the price's
    line there: so each re-solve either finds the end or moves the bracket's top past one more corner
    (``lines``). Bisection takes over where a re-solve gives no dual (infeasible) or no progress, and
    for the Community Wealth Fund share, which is not such an amount (``lines=False``).
    """
    if cap <= 0:
        return {"range": 0.0, "range_capped": True, "tested_up_to": 0.0}
    top = at(cap)
    if holds(cap, top):
        return {"range": cap, "range_capped": True, "tested_up_to": cap}
    f0, price = base["objective"], base["price"]
    lo, hi, beyond = 0.0, cap, top
    for _ in range(MAX_STEPS):
        if hi - lo <= max(BRACKET * hi, step):
            break
        mid, met = (lo + hi) / 2, False
        slope = beyond["price"]
        if lines and slope is not None and beyond["objective"] is not None and slope < price - PRICE_EPS:
            meet = (beyond["objective"] - slope * hi - f0) / (price - slope)
            if lo < meet < hi:
                mid, met = meet, True
        point = at(mid)
        if holds(mid, point):
            lo = mid
            if met:  # the two lines meet on f: this is the end of the range; the slope just past it
                hi = min(hi, mid + max(step, BRACKET * mid))
                beyond = at(hi)
                break
        else:
            hi, beyond = mid, point
    return {
        "range": lo,
        "range_capped": False,
        "tested_up_to": cap,
        "beyond_price": beyond["price"],
        "beyond_status": beyond["status"],
        "range_upper": hi,
    }


def combine(scenario: Scenario, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The sensitivity report: one item (with its sentence) per target, and the sentences in order."""
    fixed = any(r["integers_fixed"] for r in results)
    items = [dict(r, sentence=sentence(scenario, r)) for r in results]
    note = (
        (
            "This is a mixed-integer programme (it decides where to launch interventions): the prices and ranges are computed "
            "with the launch decisions fixed at the optimum, so they hold for changes that open or close nothing."
        )
        if fixed
        else None
    )
    base = next((r["base_objective"] for r in results if r["base_objective"] is not None), None)
    return {
        "analysis": "sensitivity",
        "base_objective": base,
        "integers_fixed": fixed,
        "note": note,
        "items": items,
        "sentences": ([note] if note else []) + [item["sentence"] for item in items],
    }
