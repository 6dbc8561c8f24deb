"""What honouring residents costs (docs/residents.md, "The report"): the plan three ways, and net value against strength.

The three ways, each solved:

* **evidence**: the scenario with residents' priorities at strength 0 and without the commitments a
  participatory vote made (``vote_commitments``: how many of the scenario's commitments, counted from the
  end, came from the vote; the board's own commitments stay in every way);
* **priorities**: the scenario's strength, without the vote's commitments;
* **priorities and vote**: the scenario's strength and every commitment.

Every plan is judged in the **evidence's terms**: the objective of the evidence scenario at that plan's
allocations and launches (``optimizer.check.recompute_objective``, the independent checker's arithmetic), so
that the difference between two ways is what honouring residents costs. Against the evidence plan it cannot be a
gain (that plan is optimal on those terms); the vote's step, from the plan with priorities, can be one, where a
vote's project is worth more on the evidence than what the priorities chose. Beside it, per agency its
net position (savings less spending, money: unweighted in every way), per residents' theme the value of the
outcomes avoided in evidence terms (each outcome's shared equally among its themes, as ``value_by_theme``),
and the neighbourhoods whose spending rises most. The frontier solves the scenario (without the vote's
commitments) at ``points`` strengths from 0 to 1 and gives each plan's net value in evidence terms and as the
residents' priorities weigh it (the solve's objective).

Like every many-solve analysis: ``plan`` -> tasks, ``run_task`` (one solve, pure), ``combine``. A scenario
is solved once however many of those roles it plays (``roles``: the evidence plan is also the frontier's point at
strength 0, the plan with priorities its point at the scenario's strength, and without commitments from a vote the
third way is the second).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from optimizer.analysis.common import AnalysisError, Task, money, solved
from optimizer.check import allocation_rows, effective, outcome_value, recompute_objective
from optimizer.scenario import Scenario, canonical_dict, parse_scenario

#: strengths of the frontier by default: 0, 0.25, 0.5, 0.75, 1
DEFAULT_POINTS = 5
#: neighbourhoods listed as gaining most
GAINERS = 10
WAYS = ("evidence", "priorities", "priorities_and_vote")
WAY_NAMES = {
    "evidence": "the evidence alone",
    "priorities": "with residents' priorities",
    "priorities_and_vote": "with residents' priorities and the vote's commitments",
}


def _variant(doc: dict[str, Any], *, strength: float | None, vote: int) -> dict[str, Any]:
    """``doc`` at priority ``strength`` (None: its own) without its last ``vote`` commitments."""
    out = copy.deepcopy(doc)
    policy = out.setdefault("policy", {})
    if strength is not None and policy.get("resident_priorities"):
        policy["resident_priorities"]["strength"] = strength
    if vote:
        kept = policy["commitments"][:-vote]
        if kept:
            policy["commitments"] = kept
        else:
            del policy["commitments"]
    return out


def plan(scenario: Scenario, *, points: int = DEFAULT_POINTS, vote_commitments: int = 0) -> list[Task]:
    """The three ways, then the frontier's ``points`` strengths (0 to 1): one solve per distinct scenario, with its roles."""
    held = len(scenario.policy.commitments or [])
    if not 0 <= vote_commitments <= held:
        raise AnalysisError(
            f"vote_commitments is {vote_commitments}, but the scenario has {held} commitment(s): give how many of "
            "them, counted from the last, came from the vote (0 to that number)"
        )
    if points < 2:
        raise AnalysisError(f"points is {points}: the frontier needs at least 2 strengths (0 and 1)")
    rp = scenario.policy.resident_priorities
    if rp is None:
        raise AnalysisError(
            "the scenario has no residents' priorities (policy.resident_priorities): there is nothing to weigh "
            "against the evidence; add them with totalplace residents aggregate (docs/residents.md)"
        )
    doc = canonical_dict(scenario, with_solver=True)
    evidence = _variant(doc, strength=0.0, vote=vote_commitments)
    roles = [
        ("evidence", 0.0, evidence),
        ("priorities", rp.strength, _variant(doc, strength=None, vote=vote_commitments)),
        ("priorities_and_vote", rp.strength, doc),
    ]
    roles += [("frontier", j / (points - 1), _variant(doc, strength=j / (points - 1), vote=vote_commitments)) for j in range(points)]
    tasks: list[Task] = []
    for way, strength, variant in roles:
        task = next((t for t in tasks if t["scenario"] == variant), None)
        if task is None:
            task = {"kind": "residents", "scenario": variant, "evidence": evidence, "roles": []}
            tasks.append(task)
        task["roles"].append({"way": way, "strength": strength})
    return tasks


def run_task(task: Task) -> dict[str, Any]:
    """One solve, and its plan judged in the evidence's terms."""
    from optimizer.money import in_pence
    from optimizer.solve import solve

    s = parse_scenario(task["scenario"])
    result = in_pence(solve(s).to_dict())
    out: dict[str, Any] = {"roles": task["roles"], "status": str(result["status"]), "message": result.get("message", "")}
    if not solved(result):
        return out
    evidence = parse_scenario(task["evidence"])
    summary = result["summary"]
    spend: dict[str, float] = defaultdict(float)
    for row in allocation_rows(result):
        spend[row["area"]] += float(row["spend"])
    out |= {
        "objective": result["objective"],
        "evidence_value": recompute_objective(evidence, result),
        "net_position_by_agency": summary["net_position_by_agency"],
        "spending_by_agency": summary["spending_by_agency"],
        "total_spending": summary["total_spending"],
        "value_by_theme": _themes(evidence, result),
        "spending_by_area": dict(spend),
    }
    return out


def _themes(s: Scenario, result: dict[str, Any]) -> dict[str, float]:
    """The value of the outcomes avoided in the evidence's terms, by theme (each outcome's shared among its themes);
    outcomes without a theme under ``"(none)"``."""
    ivs = {iv.id: iv for iv in s.interventions}
    themes = {o.id: o.themes or [] for o in s.outcomes}
    weight = {a.id: s.equity_weight(a.imd_decile) for a in s.areas}
    n: dict[tuple[str, str, int], float] = defaultdict(float)
    for row in allocation_rows(result):
        n[(row["area"], row["intervention"], int(row["year"]))] += float(row["participants"])
    per: dict[tuple[str, int, str], float] = {}
    out: dict[str, float] = defaultdict(float)
    for (a, i, t), count in n.items():
        iv = ivs[i]
        eff = effective(s, iv, a, count) * weight[a]
        for o in dict.fromkeys(e.outcome for e in iv.effects):
            if (i, t, o) not in per:
                per[(i, t, o)] = outcome_value(s, iv, t, o)
            value = per[(i, t, o)] * eff
            for theme in themes[o] or ["(none)"]:
                out[theme] += value / max(1, len(themes[o]))
    return dict(out)


def combine(scenario: Scenario, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The report: the three ways, what each step adds or costs, the neighbourhoods that gain, the frontier, in sentences."""
    results = [{k: v for k, v in r.items() if k != "roles"} | role for r in results for role in r["roles"]]
    ways = {r["way"]: r for r in results if r["way"] in WAYS}
    frontier = sorted(
        (
            {"strength": r["strength"], "status": r["status"], "evidence_value": r.get("evidence_value"), "objective": r.get("objective")}
            for r in results
            if r["way"] == "frontier"
        ),
        key=lambda p: p["strength"],
    )
    names = {a.id: a.name or a.id for a in scenario.areas}
    agency_names = {g.id: g.name for g in scenario.agencies} | {p.id: p.name for p in scenario.pools}
    steps = []
    for before, after in (("evidence", "priorities"), ("priorities", "priorities_and_vote")):
        a, b = ways.get(before, {}), ways.get(after, {})
        if "evidence_value" not in a or "evidence_value" not in b:
            steps.append({"from": before, "to": after, "status": b.get("status", a.get("status")), "message": b.get("message", "")})
            continue
        agencies = sorted(set(a["net_position_by_agency"]) | set(b["net_position_by_agency"]))
        themes = sorted(set(a["value_by_theme"]) | set(b["value_by_theme"]))
        areas = set(a["spending_by_area"]) | set(b["spending_by_area"])
        gains = sorted(((b["spending_by_area"].get(x, 0.0) - a["spending_by_area"].get(x, 0.0), x) for x in areas), reverse=True)
        steps.append(
            {
                "from": before,
                "to": after,
                "status": "optimal",
                "evidence_value": b["evidence_value"] - a["evidence_value"],
                "by_agency": {g: b["net_position_by_agency"].get(g, 0.0) - a["net_position_by_agency"].get(g, 0.0) for g in agencies},
                "by_theme": {t: b["value_by_theme"].get(t, 0.0) - a["value_by_theme"].get(t, 0.0) for t in themes},
                "gaining_areas": [{"area": x, "name": names.get(x, x), "spending": d} for d, x in gains[:GAINERS] if d > 0.005],
                "areas_gaining": sum(1 for d, _ in gains if d > 0.005),
            }
        )
    report = {
        "analysis": "residents",
        "scenario": scenario.name,
        "strength": (scenario.policy.resident_priorities.strength if scenario.policy.resident_priorities else 0.0),
        "ways": [{k: v for k, v in ways[w].items() if k != "spending_by_area"} | {"name": WAY_NAMES[w]} for w in WAYS if w in ways],
        "steps": steps,
        "frontier": frontier,
    }
    report["messages"] = _messages(report, agency_names)
    return report


def _messages(report: dict[str, Any], agency_names: dict[str, str]) -> list[str]:
    out = []
    ways = {w["way"]: w for w in report["ways"]}
    base = ways.get("evidence", {})
    if "evidence_value" in base:
        out.append(f"On the evidence alone the best plan yields {money(base['evidence_value'])} of net value.")
    for step in report["steps"]:
        label = "Weighing residents' priorities" if step["to"] == "priorities" else "Adding the vote's commitments"
        if step["status"] != "optimal" or "evidence_value" not in step:
            out.append(f"{label}: the scenario is {step['status']} ({step.get('message', '')}).")
            continue
        cost = -step["evidence_value"]
        moved = [f"{agency_names.get(g, g)} {'+' if d >= 0 else '-'}{money(abs(d))}" for g, d in step["by_agency"].items() if abs(d) >= 0.5]
        themes = [(d, t) for t, d in step["by_theme"].items() if abs(d) >= 0.5]
        line = (
            f"{label} (strength {report['strength']:g}) costs {money(cost)} of net value on the evidence's terms"
            if step["to"] == "priorities"
            else f"{label} costs {money(cost)} of net value on the evidence's terms"
        )
        if cost < -0.5:
            line = f"{label} adds {money(-cost)} of net value on the evidence's terms"
        elif cost < 0.5:
            line = f"{label} costs nothing on the evidence's terms"
        if moved:
            line += "; each agency's net position changes by " + ", ".join(moved)
        if themes:
            up = max(themes)
            line += f"; the theme that gains most is {up[1].replace('_', ' ')} ({money(up[0])})" if up[0] > 0 else ""
        if step["gaining_areas"]:
            top = step["gaining_areas"][0]
            line += (
                f"; {step['areas_gaining']} neighbourhood(s) gain spending, most {top['name']} ({top['area']}, +{money(top['spending'])})"
            )
        out.append(line + ".")
    points = [p for p in report["frontier"] if p["evidence_value"] is not None]
    if len(points) >= 2:
        out.append(
            "Net value on the evidence's terms against strength: "
            + ", ".join(f"{p['strength']:g}: {money(p['evidence_value'])}" for p in points)
            + "."
        )
    return out
