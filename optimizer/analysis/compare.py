"""Why did the plan change: compare two scenarios and attribute the change in the objective to each change, exactly.

The *changes* are the field-by-field differences of :mod:`optimizer.analysis.diff`,
grouped into *units* that can be applied on their own. The game: the players are
the units; the value v(S) of a set S of units is the optimal objective of A with
the units of S applied (v(empty) = A's optimum, v(all) = B's). The value of a unit
is its Shapley value, the average over every order of applying the units to A of
the objective gained when it is applied:

    phi[u] = sum over S not holding u of |S|! (n - |S| - 1)! / n! x (v(S + u) - v(S)),

so that sum of phi = v(all) - v(empty) = objective_change: in each order the
gains telescope from A's optimum to B's. Objectives are taken in whole pence and
the weights as fractions, so the sum is exact in rational arithmetic; the values
are then rounded to pence by the largest remainder, so that they still sum to
objective_change exactly (docs/analyses.md).

Some intermediate scenarios may be infeasible or not valid (a rule that A meets
and B meets may not be met half way). Then the value is the average over the
orders *in which every intermediate scenario can be solved*; with every subset
solvable this is the Shapley value above, and each such order still telescopes,
so the sum stays exact. It is computed over subsets by counting the solvable
paths into and out of each subset (:func:`path_shapley`).

Up to :data:`MAX_EXACT` units, every subset is solved (2^n - 2 solves besides A
and B). Above that, the units are grouped by family (budgets, policy, evidence,
places) and the families are valued exactly (``method="families"``, the default
there), or orders are sampled with a seed (``method="sample"``), each order's
gains telescoping exactly, with a standard error per unit.

The report also gives the changes in every summary figure a board reads and the
rules that started or stopped binding. Scenarios of different places (no shared
pools, or fewer than half the areas shared) are compared on the figures only.
The cost-sharing stage after the optimum does not change the objective, so it
does not change any value here.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import OrderedDict
from fractions import Fraction
from typing import Any

from optimizer.analysis import diff as d
from optimizer.analysis.common import AnalysisError, Task, load, money, scenario_data, solved
from optimizer.analysis.split import shapley
from optimizer.errors import ScenarioError
from optimizer.result import Result
from optimizer.scenario import DECILES, Scenario
from optimizer.solve import solve

#: exact attribution over every subset up to this many units (2^10 = 1,024 solves)
MAX_EXACT = 10
#: subsets solved per task (one process, one cache)
BATCH = 8
#: orders sampled by default (method "sample")
ORDERS = 200
#: areas listed among those whose spending changed most
TOP_AREAS = 10
#: binding rules of one kind listed one by one up to this many, else counted
RULES_LISTED = 5
METHODS = ("auto", "exact", "families", "sample")
#: distinct scenarios a sampled attribution may solve
MAX_SAMPLED_SOLVES = 20_000

#: subset solves of this process: (digest of A, digest of the changes applied) -> status, objective, message
_cache: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 4096


def pence(v: float | None) -> int | None:
    """Pounds to whole pence (None stays None)."""
    return None if v is None or not math.isfinite(v) else int(round(v * 100))


def plan(scenario: Scenario, other: Scenario | dict[str, Any], *, method: str = "auto", orders: int = ORDERS, seed: int = 0) -> list[Task]:
    """A's and B's full solves, then the subsets of units in batches of :data:`BATCH`; the first task carries the game."""
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    a = scenario_data(scenario)
    b = scenario_data(load(other) if isinstance(other, dict) else other)
    changes = d.diff(a, b)
    reason = d.same_structure(a, b)
    meta: dict[str, Any] = {
        "changes": changes,
        "structure": reason,
        "solver_differs": a["solver"] != b["solver"],
        "names": {"a": a["name"], "b": b["name"]},
    }
    tasks: list[Task] = [{"kind": "compare", "role": "a", "scenario": a, "meta": meta}, {"kind": "compare", "role": "b", "scenario": b}]
    if reason is not None:
        meta.update(method=None, players=[], masks=[], orders=None)
        return tasks
    unit_list = d.units(changes)
    used = method
    if method == "auto":
        used = "exact" if len(unit_list) <= MAX_EXACT else "families"
    if used == "exact" and len(unit_list) > MAX_EXACT:
        raise AnalysisError(
            f"{len(unit_list)} independent changes: an exact attribution solves 2^{len(unit_list)} scenarios and is refused "
            f"above {MAX_EXACT}; use method 'families' (exact by budgets, policy, evidence and places) or 'sample'"
        )
    players = unit_list
    if used == "families":
        by: dict[str, list[int]] = {}
        for unit in unit_list:
            by.setdefault(changes[unit[0]]["family"], []).extend(unit)
        players = [sorted(by[f]) for f in d.FAMILIES if f in by]
    n = len(players)
    full = (1 << n) - 1
    sampled: list[list[int]] | None = None
    if used == "sample":
        rng = random.Random(seed)
        sampled = [rng.sample(range(n), n) for _ in range(orders)]
        masks = set()
        for order in sampled:
            m = 0
            for p in order[:-1]:
                m |= 1 << p
                masks.add(m)
        wanted = sorted(masks - {0, full})
        if len(wanted) > MAX_SAMPLED_SOLVES:
            raise AnalysisError(
                f"{orders:,} sampled orders of {n:,} changes need {len(wanted):,} solves, more than the {MAX_SAMPLED_SOLVES:,} "
                "allowed: sample fewer orders, or use method 'families'"
            )
    else:
        wanted = list(range(1, full))
    meta.update(method=used, players=players, masks=wanted, orders=sampled, seed=seed if used == "sample" else None)
    for start in range(0, len(wanted), BATCH):
        tasks.append(
            {
                "kind": "compare",
                "role": "subsets",
                "base": a,
                "changes": changes,
                "players": players,
                "masks": wanted[start : start + BATCH],
            }
        )
    return tasks


def run_task(task: Task) -> dict[str, Any]:
    """A or B with every figure, or a batch of subsets (objective and status only)."""
    if task["role"] in ("a", "b"):
        out = figures(solve(load(task["scenario"]), diagnose_infeasible=True), task["role"])
        spent = out.get("area_spending", {})
        out["area_names"] = {x["id"]: x["name"] for x in task["scenario"]["areas"] if x.get("name") and x["id"] in spent}
        if task["role"] == "a":
            out["meta"] = task["meta"]
        return out
    rows = []
    changes, players = task["changes"], task["players"]
    base = _digest(task["base"])  # the solver block included: it is part of what is solved
    for mask in task["masks"]:
        chosen = [changes[j] for p, unit in enumerate(players) if mask >> p & 1 for j in unit]
        key = (base, _digest([[c["kind"], c["address"], c["new"]] for c in chosen]))
        hit = _cache.get(key)
        if hit is None:
            hit = _solve_subset(task["base"], chosen)
            _cache[key] = hit
            if len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
        rows.append({"mask": mask, **hit})
    return {"kind": "compare", "role": "subsets", "rows": rows}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _solve_subset(base: dict[str, Any], chosen: list[d.Change]) -> dict[str, Any]:
    """Status and objective of A with ``chosen`` applied (``invalid``, with the first problems, when that is no scenario)."""
    try:
        s = load(d.apply(base, chosen))
    except ScenarioError as exc:
        return {"status": "invalid", "objective": None, "message": "; ".join(map(str, exc.problems[:3]))}
    r = solve(s, diagnose_infeasible=False)
    return {"status": r.status, "objective": r.objective, "message": r.message}


def figures(r: Result, role: str) -> dict[str, Any]:
    """What the report needs of A's or B's solve: status, objective, the summary, spending by area, binding rules."""
    out: dict[str, Any] = {"kind": "compare", "role": role, "status": r.status, "message": r.message, "objective": r.objective}
    if r.diagnosis:
        out["diagnosis"] = r.diagnosis.get("message")
    if solved(r):
        summary = r.summary or {}
        out["summary"] = {
            k: summary[k]
            for k in (
                "total_spending",
                "total_spending_discounted",
                "savings_by_agency",
                "spending_by_agency",
                "net_position_by_agency",
                "deprived_share",
                "spending_by_decile",
                "spending_by_pool_year",
            )
        }
        out["summary"]["by_intervention"] = {iv: row["spending"] for iv, row in summary["by_intervention"].items()}
        by_area: dict[str, float] = {}
        if r.allocations is not None and not r.allocations.empty:
            by_area = {str(k): float(v) for k, v in r.allocations.groupby("area")["spend"].sum().items()}
        for launch in r.launches or []:
            by_area[launch["area"]] = by_area.get(launch["area"], 0.0) + sum(launch["fixed_cost_by_pool"].values())
        out["area_spending"] = by_area
        out["binding_rules"] = [
            {k: v for k, v in rule.items() if k in ("rule", "pool", "year", "area", "intervention", "message")}
            for rule in r.binding_rules or []
        ]
    return out


# -- the game ---------------------------------------------------------------------------------------------------------


def path_shapley(n: int, value: dict[int, int | None]) -> tuple[list[Fraction], int]:
    """Values of ``n`` players averaged over the orders whose every step has a value (None: cannot be solved).

    ``value`` maps a bitmask of players to its value (pence) or None. f[S] counts
    the solvable orders of S's players from the empty set, g[S] those from S to
    all players; the step S -> S + u lies on f[S] x g[S + u] of the f[all]
    solvable orders. With every value given, f[S] = |S|! and g[S] = (n - |S|)!:
    the Shapley weights. Returns the values and the number of solvable orders.
    """
    full = (1 << n) - 1
    f = [0] * (full + 1)
    g = [0] * (full + 1)
    f[0] = 1 if value.get(0) is not None else 0
    for mask in range(1, full + 1):
        if value.get(mask) is not None:
            f[mask] = sum(f[mask ^ (1 << p)] for p in range(n) if mask >> p & 1)
    g[full] = 1 if value.get(full) is not None else 0
    for mask in range(full - 1, -1, -1):
        if value.get(mask) is not None:
            g[mask] = sum(g[mask | (1 << p)] for p in range(n) if not mask >> p & 1)
    total = f[full]
    phi = [Fraction(0)] * n
    if total == 0:
        return phi, 0
    for mask in range(full + 1):
        if not f[mask]:
            continue
        for p in range(n):
            if mask >> p & 1 or not g[mask | (1 << p)]:
                continue
            hi, lo = value[mask | (1 << p)], value[mask]
            assert hi is not None and lo is not None
            phi[p] += Fraction(f[mask] * g[mask | (1 << p)], total) * (hi - lo)
    return phi, total


def largest_remainder(values: list[Fraction], total: int) -> list[int]:
    """Whole pence summing exactly to ``total`` (= the sum of ``values``), each within a penny of its value."""
    floors = [math.floor(v) for v in values]
    left = total - sum(floors)
    order = sorted(range(len(values)), key=lambda j: (-(values[j] - floors[j]), j))
    for j in order[:left]:
        floors[j] += 1
    return floors


def combine(scenario: Scenario, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The comparison report (money in whole pence)."""
    fa, fb = results[0], results[1]
    meta = fa["meta"]
    changes = meta["changes"]
    report: dict[str, Any] = {
        "analysis": "compare",
        "money": "pence",
        "a": {"name": meta["names"]["a"], "status": fa["status"], "message": fa["message"]},
        "b": {"name": meta["names"]["b"], "status": fb["status"], "message": fb["message"]},
        "changes": [{k: c[k] for k in ("id", "kind", "family", "pointer_a", "pointer_b", "old", "new", "message")} for c in changes],
        "objective_a": pence(fa["objective"]) if solved(fa) else None,
        "objective_b": pence(fb["objective"]) if solved(fb) else None,
        "method": meta["method"],
        "attribution": [],
        "warnings": [],
        "messages": [],
    }
    for side, f in (("a", fa), ("b", fb)):
        if f.get("diagnosis"):
            report[side]["diagnosis"] = f["diagnosis"]
    both = solved(fa) and solved(fb)
    report["objective_change"] = report["objective_b"] - report["objective_a"] if both else None
    report["figures"] = _figures(fa, fb) if both else None
    report["binding"] = _binding(fa, fb) if both else []
    if meta["solver_differs"]:
        report["warnings"].append(
            "the two scenarios' solver options differ: A and B are solved with their own, every scenario in between with A's"
        )
    if "feasible" in (fa["status"], fb["status"]):
        report["warnings"].append("A or B was not solved to proven optimality: its objective is the best found, and the change is of those")
    if meta["structure"] is not None:
        report["messages"].append(
            f"Compared on the figures only: {meta['structure']}, and attribution needs a shared structure "
            "(shared pools and at least half the areas), so that every difference can be applied to A on its own."
        )
        report["messages"] += _figure_messages(report)
        return report
    if not changes:
        report["messages"].append("The two scenarios are the same: no changes, and the plan is the same.")
        report["messages"] += _figure_messages(report)
        return report
    _attribute(report, meta, fa, fb, results[2:])
    report["messages"] += _figure_messages(report)
    return report


def _attribute(report: dict[str, Any], meta: dict[str, Any], fa: dict[str, Any], fb: dict[str, Any], rest: list[dict[str, Any]]) -> None:
    changes, players = meta["changes"], meta["players"]
    n = len(players)
    full = (1 << n) - 1
    rows = {row["mask"]: row for batch in rest for row in batch["rows"]}
    value: dict[int, int | None] = {m: pence(r["objective"]) if solved(r) else None for m, r in rows.items()}
    value[0] = report["objective_a"]
    value[full] = report["objective_b"]
    blocked = [r for r in rows.values() if not solved(r)]
    entries: list[dict[str, Any]] = []
    for unit in players:
        ids = [changes[j]["id"] for j in unit]
        fam = {changes[j]["family"] for j in unit}
        entries.append(
            {
                "change": "+".join(ids),
                "changes": ids,
                "family": fam.pop() if len(fam) == 1 else "mixed",
                "action": _together([changes[j]["action"] for j in unit]),
            }
        )
    if meta["method"] == "families":
        word = {"budgets": "budget", "policy": "policy", "evidence": "evidence", "places": "place"}
        for e, p in zip(entries, players, strict=True):
            e["action"] = f"the {len(p)} {word.get(e['family'], e['family'])} changes" if len(p) > 1 else e["action"]
        count = len(d.units(changes))
        why = f"{count} independent changes are more than {MAX_EXACT}: they" if count > MAX_EXACT else "the changes"
        report["warnings"].append(
            f"{why} are valued together by family (budgets, policy, evidence, places), exactly; ask for method 'sample' to value each one"
        )
    labels = [c for c in changes if c["label"]]
    if report["objective_change"] is None:
        _unsolvable(report, meta, entries, value, fa, fb)
        return
    if meta["method"] == "sample":
        phi, stderr, used = _sampled(n, value, meta["orders"])
        report["orders"] = {"sampled": len(meta["orders"]), "solvable": used, "seed": meta["seed"]}
        if used == 0:
            report["messages"].append("No sampled order of applying the changes could be solved at every step: nothing can be attributed.")
            return
    else:
        if not blocked:
            fs = {frozenset(str(q) for q in range(n) if m >> q & 1): float(v) for m, v in value.items() if v is not None}
            check = shapley([str(q) for q in range(n)], fs)  # the fair split's Shapley values: must agree
            phi, used = path_shapley(n, value)
            if any(abs(float(x) - check[str(q)]) > 1e-6 * max(1.0, abs(report["objective_change"])) for q, x in enumerate(phi)):
                raise AssertionError("the path count and the Shapley formula disagree")  # pragma: no cover
        else:
            phi, used = path_shapley(n, value)
        stderr = None
        report["orders"] = {"solvable": used, "all": math.factorial(n)}
        if used == 0:
            report["messages"].append(
                "No order of applying the changes to A can be solved at every step (some scenario in between is "
                "infeasible or not valid), so nothing can be attributed; see 'blocked'."
            )
            report["blocked"] = _blocked(blocked, players, changes)
            return
    if blocked:
        report["blocked"] = _blocked(blocked, players, changes)
        report["warnings"].append(
            f"{len(blocked)} of the scenarios in between cannot be solved (infeasible or not valid): the values "
            f"average over the {used:,} orders of applying the changes that avoid them"
        )
    rounded = largest_remainder(phi, report["objective_change"])
    for p, (e, v, exact) in enumerate(zip(entries, rounded, phi, strict=True)):
        e["value"] = v
        e["value_exact"] = float(exact)  # pence, before rounding to whole pence
        if stderr is not None:
            e["stderr"] = round(stderr[p])
        e["message"] = _worded(e["action"], v)
    for c in labels:
        entries.append(
            {
                "change": c["id"],
                "changes": [c["id"]],
                "family": "labels",
                "action": c["action"],
                "value": 0,
                "value_exact": 0.0,
                "message": f"{c['action'][0].upper()}{c['action'][1:]} is a label: it changes nothing in the plan.",
            }
        )
    report["attribution"] = entries
    total = sum(e["value"] for e in entries)
    report["sum_check"] = {
        "sum_of_values": total,
        "objective_change": report["objective_change"],
        "difference": total - report["objective_change"],
    }
    terms = "".join(f" {'+' if e['value'] > 0 else '-'} {money(abs(e['value']) / 100)}" for e in entries if e["value"])
    zero = sum(1 for e in entries if not e["value"])
    report["messages"].append(
        f"A's optimum {money(report['objective_a'] / 100)}{terms} (the values of the changes"
        f"{f', {zero} of them 0' if zero else ''}) = B's optimum {money(report['objective_b'] / 100)}, exactly, in pence."
    )


def _together(actions: list[str], most: int = 4) -> str:
    """'a, b and c' (changes applied together), the rest counted."""
    shown = actions[:most] + ([f"{len(actions) - most} more changes"] if len(actions) > most else [])
    if not shown:
        return ""
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _worded(action: str, v: int) -> str:
    text = action[0].upper() + action[1:]
    if v == 0:
        return f"{text} changed nothing in net value."
    return f"{text} {'bought' if v > 0 else 'cost'} {money(abs(v) / 100)} of net value."


def _sampled(n: int, value: dict[int, int | None], orders: list[list[int]]) -> tuple[list[Fraction], list[float], int]:
    sums = [Fraction(0)] * n
    squares = [0.0] * n
    used = 0
    for order in orders:
        gains, m, ok = [0] * n, 0, True
        for p in order:
            lo, hi = value.get(m), value.get(m | (1 << p))
            if lo is None or hi is None:
                ok = False
                break
            gains[p] = hi - lo
            m |= 1 << p
        if ok:
            used += 1
            for p in range(n):
                sums[p] += gains[p]
                squares[p] += float(gains[p]) ** 2
    if not used:
        return [Fraction(0)] * n, [0.0] * n, 0
    mean = [s / used for s in sums]
    stderr = [math.sqrt(max(0.0, squares[p] / used - float(mean[p]) ** 2) / max(1, used - 1)) if used > 1 else 0.0 for p in range(n)]
    return mean, stderr, used


def _blocked(rows: list[dict[str, Any]], players: list[list[int]], changes: list[d.Change]) -> list[dict[str, Any]]:
    out = []
    for r in sorted(rows, key=lambda r: (bin(r["mask"]).count("1"), r["mask"]))[:20]:
        ids = [changes[j]["id"] for p, unit in enumerate(players) if r["mask"] >> p & 1 for j in unit]
        out.append({"changes": ids, "status": r["status"], "message": r["message"]})
    return out


def _unsolvable(
    report: dict[str, Any],
    meta: dict[str, Any],
    entries: list[dict[str, Any]],
    value: dict[int, int | None],
    fa: dict[str, Any],
    fb: dict[str, Any],
) -> None:
    """A or B cannot be solved: say which and why, and which changes make A solvable (or unsolvable)."""
    n = len(meta["players"])
    for side, f in (("A", fa), ("B", fb)):
        if not solved(f):
            why = f.get("diagnosis") or f["message"]
            report["messages"].append(
                f"{side} ({meta['names'][side.lower()]}) is {f['status']}: {why} There is no objective change to attribute."
            )
    for e in entries:
        e.update(
            value=None,
            message=f"{e['action'][0].upper()}{e['action'][1:]}: not valued ({'A' if not solved(fa) else 'B'} cannot be solved).",
        )
    report["attribution"] = entries
    if meta["method"] == "sample":
        return
    want_solvable = not solved(fa)  # A infeasible: which changes repair it; B infeasible: which changes break A
    hits = [m for m in range(1 << n) if (value.get(m) is not None) == want_solvable]
    minimal = [m for m in hits if not any(h != m and h & m == h for h in hits)]
    report["minimal_sets"] = [[entries[p]["change"] for p in range(n) if m >> p & 1] for m in minimal[:20]]
    verb = "makes A solvable" if want_solvable else "makes A infeasible"
    for m in minimal[:5]:
        words = _together([entries[p]["action"] for p in range(n) if m >> p & 1])
        report["messages"].append(f"{words[0].upper()}{words[1:]} {verb}." if words else f"A itself {verb}.")


# -- figures ------------------------------------------------------------------------------------------------------


def _triple(x: float | None, y: float | None) -> dict[str, int | None]:
    a, b = pence(x), pence(y)
    return {"a": a, "b": b, "change": None if a is None or b is None else b - a}


def _figures(fa: dict[str, Any], fb: dict[str, Any]) -> dict[str, Any]:
    sa, sb = fa["summary"], fb["summary"]
    pools = list(OrderedDict.fromkeys([r["pool"] for r in sa["spending_by_pool_year"]] + [r["pool"] for r in sb["spending_by_pool_year"]]))
    ya = {(r["pool"], r["year"]): r["spend"] for r in sa["spending_by_pool_year"]}
    yb = {(r["pool"], r["year"]): r["spend"] for r in sb["spending_by_pool_year"]}
    years = sorted({t for _, t in ya} | {t for _, t in yb})
    agencies = list(OrderedDict.fromkeys(list(sa["spending_by_agency"]) + list(sb["spending_by_agency"])))
    ivs = list(OrderedDict.fromkeys(list(sa["by_intervention"]) + list(sb["by_intervention"])))
    areas_a, areas_b = fa["area_spending"], fb["area_spending"]
    names = {**fa.get("area_names", {}), **fb.get("area_names", {})}
    area_rows = [
        {"area": ar, "name": names.get(ar), **_triple(areas_a.get(ar, 0.0), areas_b.get(ar, 0.0))} for ar in set(areas_a) | set(areas_b)
    ]
    area_rows = sorted((r for r in area_rows if r["change"]), key=lambda r: (-abs(r["change"]), r["area"]))[:TOP_AREAS]
    share_a, share_b = sa["deprived_share"], sb["deprived_share"]
    return {
        "objective": _triple(fa["objective"], fb["objective"]),
        "total_spending": _triple(sa["total_spending"], sb["total_spending"]),
        "total_spending_discounted": _triple(sa["total_spending_discounted"], sb["total_spending_discounted"]),
        "spending_by_pool_year": [
            {"pool": p, "year": t, **_triple(ya.get((p, t), 0.0), yb.get((p, t), 0.0))} for p in pools for t in years
        ],
        "agencies": [
            {
                "agency": g,
                "pays": _triple(sa["spending_by_agency"].get(g, 0.0), sb["spending_by_agency"].get(g, 0.0)),
                "gains": _triple(sa["savings_by_agency"].get(g, 0.0), sb["savings_by_agency"].get(g, 0.0)),
                "net_position": _triple(sa["net_position_by_agency"].get(g, 0.0), sb["net_position_by_agency"].get(g, 0.0)),
            }
            for g in agencies
        ],
        "deprived_share": {"a": share_a, "b": share_b, "change": None if share_a is None or share_b is None else share_b - share_a},
        "spending_by_decile": [
            {"decile": int(k), **_triple(sa["spending_by_decile"].get(k, 0.0), sb["spending_by_decile"].get(k, 0.0))} for k in DECILES
        ],
        "interventions": [
            {"intervention": iv, **_triple(sa["by_intervention"].get(iv, 0.0), sb["by_intervention"].get(iv, 0.0))} for iv in ivs
        ],
        "areas_changed_most": area_rows,
    }


def _rule_key(rule: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(rule.get(k) for k in ("rule", "pool", "year", "area", "intervention"))


def _binding(fa: dict[str, Any], fb: dict[str, Any]) -> list[dict[str, Any]]:
    """A sentence per rule that started or stopped binding (rules of one kind counted when there are many)."""
    ka = {_rule_key(r): r for r in fa["binding_rules"]}
    kb = {_rule_key(r): r for r in fb["binding_rules"]}
    out = []
    for what, keys, source in (("started", [k for k in kb if k not in ka], kb), ("stopped", [k for k in ka if k not in kb], ka)):
        by_rule: dict[str, list[tuple[Any, ...]]] = {}
        for k in keys:
            by_rule.setdefault(str(k[0]), []).append(k)
        for rule, ks in by_rule.items():
            if len(ks) <= RULES_LISTED:
                for k in ks:
                    out.append(
                        {
                            "rule": rule,
                            "change": what,
                            **{f: v for f, v in zip(("pool", "year", "area", "intervention"), k[1:], strict=True) if v is not None},
                            "message": f"{'Now binds' if what == 'started' else 'No longer binds'}: {source[k]['message']}",
                        }
                    )
            else:
                out.append(
                    {
                        "rule": rule,
                        "change": what,
                        "count": len(ks),
                        "message": f"The {rule.replace('_', ' ')} rule {what} binding in {len(ks):,} places (area-years, pools or years).",
                    }
                )
    return out


def _figure_messages(report: dict[str, Any]) -> list[str]:
    f = report.get("figures")
    if not f:
        return []
    out = []
    ch = f["objective"]["change"]
    out.append(
        f"Net value {'rises' if ch > 0 else 'falls' if ch < 0 else 'stays'} from {money(f['objective']['a'] / 100)} to "
        f"{money(f['objective']['b'] / 100)}; spending from {money(f['total_spending']['a'] / 100)} to {money(f['total_spending']['b'] / 100)}."
    )
    if f["areas_changed_most"]:
        top = f["areas_changed_most"][0]
        where = f"{top['name']} ({top['area']})" if top["name"] else top["area"]
        out.append(f"Spending changed most in area {where}: from {money(top['a'] / 100)} to {money(top['b'] / 100)}.")
    out += [r["message"] for r in report["binding"]]
    return out


def compare(
    a: Scenario, b: Scenario, *, workers: int = 1, method: str = "auto", orders: int = ORDERS, seed: int = 0, progress: Any = None
) -> dict[str, Any]:
    """Plan, run (here or on ``workers`` local processes) and combine: the whole report."""
    from optimizer.analysis.runner import run_local

    tasks = plan(a, b, method=method, orders=orders, seed=seed)
    return combine(a, run_local(tasks, workers=workers, progress=progress))
