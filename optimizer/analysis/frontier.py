"""The price of the Community Wealth Fund rule: the efficiency-equity frontier (an epsilon-constraint sweep).

The optimal objective f(phi) is found for shares phi = ``min_share`` from 0 to
the largest share that can be asked for, at evenly spaced points. Raising phi
only removes plans (a plan that puts phi2 of its spending in deprived areas
also meets every phi1 < phi2), so f never rises along the sweep and f(0) is
the optimum without the rule.

The largest share. Nothing in the programme forces spending outside the
deprived areas, and spending nothing meets the rule at any share, so every
share up to 100 % can be asked for when anything at all can be spent in a
deprived area (a pool may fund an intervention there, for people who are
there, and has money): the sweep then runs to 1. When nothing can be spent
in a deprived area, any share above 0 means spending nothing, and the sweep
is the single point phi = 0. Points that are infeasible for other reasons
(a per-capita floor the pools cannot pay) are reported with their status.

The marginal price at the scenario's own share phi0 is measured by re-solving
at phi0 -/+ ``probe`` (half a percentage point by default): the objective
change per extra percentage point, from the left, from the right, and
centred. Where the two sides agree (the frontier is smooth there) it matches
the core's shadow price of the rule (``shadow_prices.rules``), which is
reported beside it as the core gives it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from optimizer.analysis.charts import frontier_spec, render_svg
from optimizer.analysis.common import AnalysisError, Task, load, money, scenario_data, solved
from optimizer.coefficients import compute
from optimizer.scenario import Scenario
from optimizer.solve import solve

DEFAULT_POINTS = 11
#: the step either side of the scenario's share for its marginal price (in share units: 0.001 = a tenth of a point)
PROBE = 0.001
#: left and right slopes within this share of each other: the frontier is smooth at the scenario's share
#: (between corners the frontier curves gently, since the share multiplies spending: 2 % allows for that over a probe)
SMOOTH_TOL = 0.02
#: objective changes below this share of the objective are solver noise
NOISE = 1e-7


def largest_share(scenario: Scenario) -> float:
    """1.0 when anything can be spent in a deprived area (see the module's docstring), else 0.0."""
    k = compute(scenario)
    has_money = (k.budget.sum(axis=1) > 0)[None, None, :]
    reachable = k.allowed & (k.upper > 0)[:, :, None] & has_money
    return 1.0 if bool(reachable[k.deprived].any()) else 0.0


def shares(scenario: Scenario, points: int = DEFAULT_POINTS, probe: float = PROBE) -> tuple[list[float], list[float]]:
    """The sweep's shares and the probe shares around the scenario's own."""
    if points < 2:
        raise ValueError("points must be at least 2 (the first and the largest share)")
    top = largest_share(scenario)
    sweep = [0.0] if top == 0 else [float(v) for v in np.round(np.linspace(0.0, top, points), 12)]
    phi0 = scenario.policy.community_wealth_fund.min_share
    probes = sorted({round(min(top, max(0.0, v)), 12) for v in (phi0 - probe, phi0, phi0 + probe)})
    return sweep, probes


def plan(scenario: Scenario, *, points: int = DEFAULT_POINTS, probe: float = PROBE) -> list[Task]:
    """One task per share: the sweep's points and the probes around the scenario's share."""
    try:
        sweep, probes = shares(scenario, points, probe)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None
    data = scenario_data(scenario)
    tasks = []
    for phi in sorted(set(sweep) | set(probes)):
        variant = copy.deepcopy(data)
        variant["policy"]["community_wealth_fund"]["min_share"] = phi
        roles = [r for r, group in (("sweep", sweep), ("probe", probes)) if phi in group]
        tasks.append({"kind": "frontier", "min_share": phi, "roles": roles, "scenario": variant})
    return tasks


def run_task(task: Task) -> dict[str, Any]:
    """Solve the scenario at one share."""
    result = solve(load(task["scenario"]), diagnose_infeasible=False)
    price = None
    if result.shadow_prices:
        price = next((r["value"] for r in result.shadow_prices["rules"] if r["rule"] == "community_wealth_fund.min_share"), None)
    summary = result.summary or {}
    return {
        "kind": "frontier",
        "min_share": task["min_share"],
        "roles": task["roles"],
        "status": result.status,
        "objective": result.objective,
        "deprived_share": summary.get("deprived_share"),
        "total_spending": summary.get("total_spending"),
        "core_shadow_price": price,
    }


def combine(scenario: Scenario, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The frontier report: ``points`` ({min_share, objective, status, ...}), the price at the scenario's share, messages."""
    by_share = {r["min_share"]: r for r in results}
    keys = ("min_share", "objective", "status", "deprived_share", "total_spending")
    points = [{key: r[key] for key in keys} for r in sorted(results, key=lambda r: r["min_share"]) if "sweep" in r["roles"]]
    phi0 = scenario.policy.community_wealth_fund.min_share
    probes = sorted((r for r in results if "probe" in r["roles"]), key=lambda r: r["min_share"])
    here = next((r for share, r in by_share.items() if abs(share - phi0) <= 1e-9), None)
    price = _price(phi0, probes, here)
    base = by_share.get(0.0)
    cost = None
    if base and here and solved(base) and solved(here):
        cost = base["objective"] - here["objective"]
        cost = 0.0 if abs(cost) <= NOISE * max(1.0, abs(base["objective"])) else cost
    return {
        "analysis": "frontier",
        "min_share": phi0,
        "largest_share": max((p["min_share"] for p in points), default=0.0),
        "points": points,
        "price": price,
        "cost_of_rule": cost,
        "unconstrained_objective": base["objective"] if base and solved(base) else None,
        "messages": _messages(phi0, points, price, cost, base),
    }


def _price(phi0: float, probes: list[dict[str, Any]], here: dict[str, Any] | None) -> dict[str, Any]:
    ok = [r for r in probes if solved(r)]
    left = [r for r in ok if r["min_share"] < phi0 - 1e-12]
    right = [r for r in ok if r["min_share"] > phi0 + 1e-12]
    centre = here if here and solved(here) else None

    def slope(a: dict[str, Any], b: dict[str, Any]) -> float:
        rise: float = b["objective"] - a["objective"]
        apart: float = (b["min_share"] - a["min_share"]) * 100  # shares are fractions; the price is per percentage point
        return rise / apart

    out: dict[str, Any] = {
        "min_share": phi0,
        "left_per_point": None,
        "right_per_point": None,
        "per_point": None,
        "smooth": None,
        "core_shadow_price": centre["core_shadow_price"] if centre else None,
    }
    if centre and left:
        out["left_per_point"] = slope(left[-1], centre)
    if centre and right:
        out["right_per_point"] = slope(centre, right[0])
    if left and right:
        out["per_point"] = slope(left[-1], right[0])
    else:
        out["per_point"] = out["left_per_point"] if out["left_per_point"] is not None else out["right_per_point"]
    lr = (out["left_per_point"], out["right_per_point"])
    if None not in lr and centre:
        step = max(abs(centre["min_share"] - r["min_share"]) for r in (left[-1], right[0])) * 100
        noise = NOISE * max(1.0, abs(centre["objective"])) / step
        out["smooth"] = bool(abs(lr[0] - lr[1]) <= SMOOTH_TOL * max(abs(lr[0]), abs(lr[1])) + noise)
        for key in ("left_per_point", "right_per_point", "per_point"):
            if abs(out[key]) <= noise:
                out[key] = 0.0
    return out


def _messages(
    phi0: float, points: list[dict[str, Any]], price: dict[str, Any], cost: float | None, base: dict[str, Any] | None
) -> list[str]:
    out = []
    if base and solved(base):
        # the plan the solver returns without the rule is one of many equally good ones, so its own share says little;
        # the flat start of the frontier says how far targeting is free
        top = base["objective"]
        free = max((p["min_share"] for p in points if solved(p) and top - p["objective"] <= NOISE * max(1.0, abs(top))), default=0.0)
        out.append(
            f"Without the Community Wealth Fund rule the best plan yields {money(top)} of net value, and plans of that value "
            f"can put at least {free:.0%} of their spending in deprived areas (the largest share tried that costs nothing)."
        )
    if cost == 0 and phi0 > 0:
        out.append(f"Asking for at least {phi0:.0%} costs nothing: the best plan meets it anyway.")
    elif cost is not None and phi0 > 0:
        share = cost / base["objective"] if base and base["objective"] else 0.0
        out.append(f"Asking for at least {phi0:.0%} costs {money(cost)} of net value ({share:.1%} of the best without the rule).")
    if price["per_point"] == 0 and phi0 > 0:
        out.append(f"At {phi0:.0%} the rule costs nothing at the margin: one more percentage point would not change the plan's value.")
    elif price["per_point"] is not None:
        p = price["per_point"]
        verb = "costs" if p < 0 else "adds"
        tail = "" if price["smooth"] in (None, True) else " (the frontier turns a corner here: the cost differs either side)"
        out.append(f"At {phi0:.0%}, each further percentage point {verb} about {money(abs(p))} of net value{tail}.")
    bad = [p for p in points if not solved(p)]
    if bad:
        out.append(f"{len(bad)} share(s) cannot be met: " + ", ".join(f"{p['min_share']:.0%} ({p['status']})" for p in bad) + ".")
    if len(points) == 1:
        out.append("Nothing can be spent in a deprived area here, so any share above 0 means spending nothing.")
    return out


def chart_svg(report: dict[str, Any], title: str = "What targeting deprived areas costs") -> str:
    """The frontier as an SVG chart (Vega-Lite, rendered by vl-convert): net value against the share asked for, the scenario's share marked."""
    return render_svg(frontier_spec(report["points"], min_share=float(report["min_share"]), title=title))
