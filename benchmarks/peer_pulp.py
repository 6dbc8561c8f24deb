"""The peer: docs/model.md's programme written straightforwardly in PuLP, as an analyst would, and solved with CBC.

One ``LpVariable`` per area x intervention x pool x year for spending, dicts of
coefficients computed in plain Python from the scenario document (nothing of
``optimizer`` is used, so agreement with totalplace is independent evidence
that both implement the contract), one ``lpSum`` constraint per row of rules
1-10, and PuLP's bundled CBC. Deliberately unoptimised: it is the baseline the
issue asks totalplace to beat, not a second back end.

``python -m benchmarks.peer_pulp SCENARIO.json [--time-limit S] [--mip-gap G]``
prints one JSON line: status, objective, seconds (read, build, solve, total),
variables and constraints.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pulp


def coefficients(sc: dict[str, Any]) -> dict[str, Any]:
    """V, S, K, W, U, the deprived set and the allowed triples, as dicts keyed by ids (years 1-based)."""
    H = sc["horizon_years"]
    A = sc.get("appraisal_years") or H
    r = sc.get("discount_rate", 0.035)
    d = {tau: (1 + r) ** -(tau - 1) for tau in range(1, A + 1)}
    pools = {p["id"]: p for p in sc["pools"]}
    agencies = list(pools) + [g["id"] for g in sc.get("agencies", [])]
    outcomes = {o["id"]: o for o in sc["outcomes"]}
    areas = {a["id"]: a for a in sc["areas"]}
    ivs = {i["id"]: i for i in sc["interventions"]}
    policy = sc.get("policy", {})
    lam = policy.get("social_value_weight", 0.0)
    weights = policy.get("equity_weights", {})

    V: dict[tuple[str, int, str], float] = {}
    S: dict[tuple[str, int], float] = {}
    K: dict[tuple[str, int, str, int], float] = {}
    for i, iv in ivs.items():
        for t in range(1, H + 1):
            S[i, t] = 0.0
            for g in agencies:
                V[i, t, g] = 0.0
            for eff in iv["effects"]:
                o = outcomes[eff["outcome"]]
                e, L, D = eff["per_participant"], eff.get("lag_years", 0), eff.get("duration_years", 1)
                years = range(t + L, min(t + L + D - 1, A) + 1)
                S[i, t] += e * o.get("social_value", 0.0) * sum(d[tau] for tau in years)
                for g, u in o["unit_costs"].items():
                    V[i, t, g] += e * u * sum(d[tau] for tau in years)
                    for tau in range(t + L, t + L + D):
                        K[i, t, g, tau] = K.get((i, t, g, tau), 0.0) + e * u

    cwf = policy.get("community_wealth_fund", {})
    max_decile = cwf.get("max_decile", 1)
    if cwf.get("basis", "national") == "local":
        count = math.ceil(max_decile / 10 * len(areas))
        ranked = sorted(areas.values(), key=lambda a: (a.get("imd_rank") or 0, a["id"]))
        deprived = {a["id"] for a in ranked[:count]}
    else:
        deprived = {a["id"] for a in areas.values() if a["imd_decile"] <= max_decile}

    allowed = []
    for a in areas:
        for i in ivs:
            for p, pool in pools.items():
                if (pool.get("areas") is None or a in pool["areas"]) and (pool.get("interventions") is None or i in pool["interventions"]):
                    allowed.append((a, i, p))
    U = {(a, i): iv["max_coverage"] * areas[a]["groups"].get(iv["target_group"], 0.0) for a in areas for i, iv in ivs.items()}
    W = {a: weights.get(str(areas[a]["imd_decile"]), 1.0) for a in areas}
    return {
        "H": H,
        "d": d,
        "pools": pools,
        "agencies": agencies,
        "areas": areas,
        "ivs": ivs,
        "V": V,
        "S": S,
        "K": K,
        "U": U,
        "W": W,
        "lam": lam,
        "deprived": deprived,
        "allowed": allowed,
        "cwf": cwf,
        "policy": policy,
    }


def build_model(sc: dict[str, Any]) -> tuple[pulp.LpProblem, dict[str, Any]]:
    """The full programme of docs/model.md as a PuLP problem (maximise)."""
    c = coefficients(sc)
    H, d, pools, areas, ivs = c["H"], c["d"], c["pools"], c["areas"], c["ivs"]
    V, S, K, U, W, lam = c["V"], c["S"], c["K"], c["U"], c["W"], c["lam"]
    years = range(1, H + 1)
    allowed = c["allowed"]
    pairs = sorted({(a, i) for a, i, _ in allowed})
    pools_of: dict[tuple[str, str], list[str]] = {}
    for a, i, p in allowed:
        pools_of.setdefault((a, i), []).append(p)
    launch = [(a, i) for a, i in pairs if ivs[i].get("fixed_cost", 0) > 0 or ivs[i].get("min_participants", 0) > 0]
    fixed = [(a, i, p) for a, i, p in allowed if ivs[i].get("fixed_cost", 0) > 0]

    launched = set(launch)
    prob = pulp.LpProblem("pooled_budget", pulp.LpMaximize)
    var = prob.add_variable  # PuLP 3.3's way (pulp.LpVariable(...) alone is deprecated)
    n = {(a, i, t): var(f"n_{a}_{i}_{t}", lowBound=0, upBound=None if (a, i) in launched else U[a, i]) for a, i in pairs for t in years}
    x = {(a, i, p, t): var(f"x_{a}_{i}_{p}_{t}", lowBound=0) for a, i, p in allowed for t in years}
    y = {(a, i): var(f"y_{a}_{i}", lowBound=0, upBound=1, cat="Integer") for a, i in launch}
    z = {(a, i, p): var(f"z_{a}_{i}_{p}", lowBound=0) for a, i, p in fixed}

    prob += (
        pulp.lpSum(W[a] * (sum(V[i, t, g] for g in c["agencies"]) + lam * S[i, t]) * n[a, i, t] for a, i in pairs for t in years)
        - pulp.lpSum(d[k[3]] * x[k] for k in x)
        - pulp.lpSum(z.values())
    )

    for a, i in pairs:
        iv = ivs[i]
        for t in years:
            prob += pulp.lpSum(x[a, i, p, t] for p in pools_of[a, i]) == iv["unit_cost"] * n[a, i, t], f"cost_{a}_{i}_{t}"  # rule 1
            if (a, i) in y:
                prob += n[a, i, t] <= U[a, i] * y[a, i], f"coverage_{a}_{i}_{t}"  # rule 2
                if iv.get("min_participants", 0) > 0:
                    prob += n[a, i, t] >= iv["min_participants"] * y[a, i], f"min_scale_{a}_{i}_{t}"  # rule 3
        if iv.get("fixed_cost", 0) > 0:
            prob += pulp.lpSum(z[a, i, p] for p in pools_of[a, i]) == iv["fixed_cost"] * y[a, i], f"fixed_{a}_{i}"  # rule 4

    for p, pool in pools.items():  # rule 5
        budget = pool["budget"] if isinstance(pool["budget"], list) else [pool["budget"]] * H
        rho = pool.get("reinvest_rate", 0.0)
        for t in years:
            spend = pulp.lpSum(x[a, i, q, s] for (a, i, q, s) in x if q == p and s == t)
            if t == 1:
                spend += pulp.lpSum(z[a, i, q] for (a, i, q) in z if q == p)
            reinvested = pulp.lpSum(rho * K.get((i, s, p, t - 1), 0.0) * n[a, i, s] for a, i in pairs for s in years if s < t) if rho else 0
            prob += spend <= budget[t - 1] + reinvested, f"budget_{p}_{t}"

    for i, iv in ivs.items():  # rule 6
        if iv.get("capacity") is not None:
            for t in years:
                prob += pulp.lpSum(n[a, j, t] for a, j in pairs if j == i) <= iv["capacity"], f"capacity_{i}_{t}"

    cwf, D = c["cwf"], c["deprived"]
    phi = cwf.get("min_share", 0.0)
    if phi > 0:  # rule 7
        in_d = pulp.lpSum(x[k] for k in x if k[0] in D) + pulp.lpSum(z[k] for k in z if k[0] in D)
        prob += in_d >= phi * (pulp.lpSum(x.values()) + pulp.lpSum(z.values())), "community_wealth_fund"
    floor = cwf.get("per_capita_floor", 0.0)
    if floor > 0:  # rule 8
        for a in sorted(D):
            for t in years:
                prob += (
                    pulp.lpSum(x[a, i, p, t] for i in ivs if (a, i) in pools_of for p in pools_of[a, i]) >= floor * areas[a]["population"],
                    f"floor_{a}_{t}",
                )

    if c["policy"].get("no_agency_worse_off"):  # rule 9
        for p in pools:
            prob += (
                (
                    pulp.lpSum(d[t] * x[a, i, q, t] for (a, i, q, t) in x if q == p) + pulp.lpSum(z[k] for k in z if k[2] == p)
                    <= pulp.lpSum(V[i, t, p] * n[a, i, t] for a, i in pairs for t in years)
                ),
                f"no_worse_off_{p}",
            )

    cap = c["policy"].get("area_cap")
    if cap is not None:  # rule 10
        for a in areas:
            for t in years:
                prob += pulp.lpSum(x[a, i, p, t] for i in ivs if (a, i) in pools_of for p in pools_of[a, i]) <= cap, f"area_cap_{a}_{t}"
    return prob, {"x": x, "n": n, "y": y, "z": z}


def solve(sc: dict[str, Any], *, time_limit: float = 600.0, mip_gap: float | None = None) -> dict[str, Any]:
    """Build and solve the peer model; the status, the objective at the solution CBC returned, and the seconds."""
    started = time.perf_counter()
    prob, _ = build_model(sc)
    built = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=mip_gap if prob.isMIP() else None)
    prob.solve(solver)
    solved = time.perf_counter()
    status = {pulp.LpStatusOptimal: "optimal", pulp.LpStatusInfeasible: "infeasible", pulp.LpStatusUnbounded: "unbounded"}.get(
        prob.status, "error"
    )
    if status == "optimal" and prob.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "feasible"  # stopped by the time limit with a solution
    if solved - built >= time_limit:
        status = "time_limit"
    objective = pulp.value(prob.objective) if status in ("optimal", "feasible", "time_limit") else None
    return {
        "status": status,
        "objective": None if objective is None else float(objective),
        "mip": prob.isMIP(),
        "variables": prob.numVariables(),
        "constraints": prob.numConstraints(),
        "build_seconds": built - started,
        "solve_seconds": solved - built,
        "seconds": solved - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="the straightforward PuLP + CBC peer")
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--mip-gap", type=float, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    sc = json.loads(args.scenario.read_text(encoding="utf-8"))  # the scenario file, as an analyst reads it
    read = time.perf_counter() - started
    gap = args.mip_gap if args.mip_gap is not None else sc.get("solver", {}).get("mip_gap", 1e-4)
    out = solve(sc, time_limit=args.time_limit, mip_gap=gap)
    out["read_seconds"] = read
    out["seconds"] += read
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
