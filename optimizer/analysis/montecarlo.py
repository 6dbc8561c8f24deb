"""Uncertainty: a Monte Carlo sweep over uncertain effects, and a robust plan against the pessimistic ones.

An effect may carry ``low`` and ``high`` (docs/model.md); absent means certain.
Sample ``i`` of a sweep with seed ``seed`` draws one uniform number u per
uncertain effect, in the scenario's order (interventions, then their effects),
from ``numpy.random.SeedSequence([seed, i])``, and turns it into the effect by
the inverse distribution function: *triangular* (the default) between low and
high with its mode at ``per_participant``, or *uniform* between low and high.
A sample therefore depends only on (seed, i): the same whatever the batch or
worker that draws it. Each sample is solved afresh (the plan re-optimised for
those effects), giving the distribution of the optimal objective and, for
each area and intervention, the share of samples in which it is funded.

``robust`` also solves the *pessimistic* scenario (every effect at its low
value): the best plan if every effect disappoints, whose value is a floor.
The objective grows with every effect (more savings, more reinvestment, more
room under "no agency worse off"), so that plan stays feasible in every
sample, and its value in each sample is computed exactly from the sampled
effects, without a solve: the report shows what the cautious plan delivers
against what re-optimising for the sampled effects would.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optimizer.analysis.common import AnalysisError, Task, load, money, quantiles, scenario_data, solved
from optimizer.result import Result
from optimizer.scenario import Scenario
from optimizer.solve import solve

DISTRIBUTIONS = ("triangular", "uniform")
MAX_SAMPLES = 100_000
#: an area-intervention counts as funded when more than this is spent on it (pounds)
FUNDED_EPS = 0.01


def uncertain_effects(s: Scenario) -> list[tuple[int, int, float, float, float]]:
    """(intervention index, effect index, low, mode, high) of every effect with low < high, in the scenario's order."""
    out = []
    for i, iv in enumerate(s.interventions):
        for j, eff in enumerate(iv.effects):
            mode = eff.per_participant
            low = mode if eff.low is None else eff.low
            high = mode if eff.high is None else eff.high
            if high > low:
                out.append((i, j, low, mode, high))
    return out


def draw(seed: int, index: int, effects: list[tuple[int, int, float, float, float]], distribution: str = "triangular") -> list[float]:
    """The effects of sample ``index``: one uniform u per effect from SeedSequence([seed, index]), by the inverse distribution function."""
    u = np.random.default_rng(np.random.SeedSequence([seed, index])).random(len(effects))
    out = []
    for uk, (_, _, a, c, b) in zip(u, effects, strict=True):
        if distribution == "uniform":
            out.append(float(a + uk * (b - a)))
        elif uk < (c - a) / (b - a):
            out.append(float(a + math.sqrt(uk * (b - a) * (c - a))))
        else:
            out.append(float(b - math.sqrt((1 - uk) * (b - a) * (b - c))))
    return out


def with_effects(s: Scenario, effects: list[tuple[int, int, float, float, float]], values: list[float]) -> Scenario:
    """``s`` with the listed effects' ``per_participant`` set to ``values`` (the programme reads nothing else of them)."""
    ivs = list(s.interventions)
    new = {(i, j): v for (i, j, *_), v in zip(effects, values, strict=True)}
    for i in {i for i, _ in new}:
        iv = ivs[i]
        effs = [e.model_copy(update={"per_participant": new[(i, j)]}) if (i, j) in new else e for j, e in enumerate(iv.effects)]
        ivs[i] = iv.model_copy(update={"effects": effs})
    return s.model_copy(update={"interventions": ivs})


def pessimistic(s: Scenario) -> Scenario:
    """Every uncertain effect at its low value."""
    effects = uncertain_effects(s)
    return with_effects(s, effects, [low for _, _, low, _, _ in effects])


def plan(
    scenario: Scenario,
    *,
    samples: int = 100,
    seed: int = 0,
    distribution: str = "triangular",
    robust: bool = False,
    batch: int | None = None,
) -> list[Task]:
    """The nominal solve, the samples in batches (``batch`` per task; default about 100 tasks), and the robust solve if asked."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise AnalysisError(f"samples must be between 1 and {MAX_SAMPLES:,}; got {samples}")
    if distribution not in DISTRIBUTIONS:
        raise AnalysisError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}; got {distribution!r}")
    if seed < 0:
        raise AnalysisError(f"seed must be a whole number >= 0; got {seed}")
    size = batch or max(1, min(25, math.ceil(samples / 100)))
    data = scenario_data(scenario)
    tasks: list[Task] = [{"kind": "montecarlo", "role": "nominal", "scenario": data}]
    for start in range(0, samples, size):
        tasks.append(
            {
                "kind": "montecarlo",
                "role": "samples",
                "scenario": data,
                "seed": seed,
                "distribution": distribution,
                "indices": list(range(start, min(samples, start + size))),
            }
        )
    if robust:
        tasks.append({"kind": "montecarlo", "role": "robust", "scenario": data})
    return tasks


def _funded(result: Result) -> list[tuple[str, str]]:
    """Area-interventions launched or with spending above a penny in some row (spend is never negative)."""
    pairs: set[tuple[str, str]] = {(row["area"], row["intervention"]) for row in result.launches}
    frame = result.allocations
    if frame is not None and not frame.empty:
        keep = frame["spend"].to_numpy() > FUNDED_EPS
        pairs |= set(zip(frame["area"].to_numpy()[keep], frame["intervention"].to_numpy()[keep], strict=True))
    return sorted(pairs)


def run_task(task: Task) -> dict[str, Any]:
    """The nominal solve, a batch of samples, or the robust (pessimistic) solve."""
    s = load(task["scenario"])
    role = task["role"]
    if role in ("nominal", "robust"):
        target = s if role == "nominal" else pessimistic(s)
        r = solve(target, diagnose_infeasible=False)
        out: dict[str, Any] = {
            "kind": "montecarlo",
            "role": role,
            "status": r.status,
            "objective": r.objective,
            "funded": [list(p) for p in _funded(r)] if solved(r) else [],
        }
        if role == "robust" and solved(r):
            out["plan"] = _weighted_participants(target, r).tolist()
            out["spending_discounted"] = (r.summary or {})["total_spending_discounted"]
        return out
    effects = uncertain_effects(s)
    objectives: list[float | None] = []
    statuses: list[str] = []
    values: list[list[float]] = []
    counts: dict[tuple[str, str], int] = {}  # (area, intervention) -> samples that fund it
    for index in task["indices"]:
        drawn = draw(task["seed"], index, effects, task["distribution"])
        r = solve(with_effects(s, effects, drawn), diagnose_infeasible=False)
        objectives.append(r.objective)
        statuses.append(r.status)
        values.append(drawn)
        if solved(r):
            for pair in _funded(r):
                counts[pair] = counts.get(pair, 0) + 1
    return {
        "kind": "montecarlo",
        "role": "samples",
        "seed": task["seed"],
        "distribution": task["distribution"],
        "indices": task["indices"],
        "objectives": objectives,
        "statuses": statuses,
        "effects": values,
        "funded": [[a, i, n] for (a, i), n in sorted(counts.items())],
    }


def _weighted_participants(s: Scenario, r: Result) -> np.ndarray:
    """m[i, t] = sum over areas of W[a] x n[a, i, t]: all the objective needs of a plan besides its spending."""
    m = np.zeros((len(s.interventions), s.H))
    if r.allocations is None or r.allocations.empty:
        return m
    weight = {a.id: s.equity_weight(a.imd_decile) for a in s.areas}
    index = {iv.id: i for i, iv in enumerate(s.interventions)}
    for area, iv, year, n in zip(*(r.allocations[c].to_numpy() for c in ("area", "intervention", "year", "participants")), strict=True):
        m[index[iv], int(year) - 1] += weight[area] * float(n)
    return m


def effect_coefficients(s: Scenario) -> list[tuple[int, np.ndarray]]:
    """Per effect (scenario order): its intervention and the objective value, per unit of effect, of one participant in each year."""
    d = (1.0 + s.discount_rate) ** -np.arange(s.A, dtype=float)
    lam = s.policy.social_value_weight
    outcomes = {o.id: o for o in s.outcomes}
    out = []
    for i, iv in enumerate(s.interventions):
        for eff in iv.effects:
            o = outcomes[eff.outcome]
            per_unit = sum(o.unit_costs.values()) + lam * o.social_value
            coef = np.zeros(s.H)
            for t in range(s.H):
                first, last = t + eff.lag_years, min(t + eff.lag_years + eff.duration_years - 1, s.A - 1)
                coef[t] = per_unit * d[first : last + 1].sum() if first <= last else 0.0
            out.append((i, coef))
    return out


def plan_value(s: Scenario, plan_m: np.ndarray, spending_discounted: float, values: list[float]) -> float:
    """The objective of a fixed plan (weighted participants ``plan_m``) when the uncertain effects take ``values``."""
    effects = uncertain_effects(s)
    sampled = {(i, j): v for (i, j, *_), v in zip(effects, values, strict=True)}
    benefit = np.zeros((len(s.interventions), s.H))
    coefs = iter(effect_coefficients(s))
    for i, iv in enumerate(s.interventions):
        for j, eff in enumerate(iv.effects):
            _, coef = next(coefs)
            benefit[i] += sampled.get((i, j), eff.per_participant) * coef
    return float((plan_m * benefit).sum() - spending_discounted)


def combine(scenario: Scenario, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The uncertainty report: the objective's distribution, each area-intervention's chance of funding, the robust plan."""
    nominal = next(r for r in results if r["role"] == "nominal")
    batches = sorted((r for r in results if r["role"] == "samples"), key=lambda r: r["indices"][0])
    rows = [(i, o, st, v) for b in batches for i, o, st, v in zip(b["indices"], b["objectives"], b["statuses"], b["effects"], strict=True)]
    ok = [o for _, o, st, _ in rows if st in ("optimal", "feasible")]
    counts: dict[tuple[str, str], int] = {}
    for b in batches:
        for area, iv, n in b["funded"]:
            counts[(area, iv)] = counts.get((area, iv), 0) + n
    nominal_funded = {tuple(p) for p in nominal["funded"]}
    funded = [
        {"area": a, "intervention": i, "probability": n / len(ok) if ok else 0.0, "funded_in_nominal": (a, i) in nominal_funded}
        for (a, i), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    first = batches[0] if batches else {"seed": None, "distribution": None}
    report: dict[str, Any] = {
        "analysis": "montecarlo",
        "samples": len(rows),
        "solved": len(ok),
        "seed": first["seed"],
        "distribution": first["distribution"],
        "uncertain_effects": len(uncertain_effects(scenario)),
        "nominal": {"status": nominal["status"], "objective": nominal["objective"]},
        "objective": quantiles(ok),
        "sample_results": [{"index": i, "objective": o, "status": st} for i, o, st, _ in rows],
        "funded": funded,
        "robust": None,
        "warnings": [],
    }
    if report["uncertain_effects"] == 0:
        report["warnings"].append("no effect carries low and high: every sample is the scenario itself")
    if len(ok) < len(rows):
        report["warnings"].append(f"{len(rows) - len(ok)} sample(s) had no solution; they are left out of the distribution")
    robust = next((r for r in results if r["role"] == "robust"), None)
    if robust is not None:
        report["robust"] = _robust(scenario, robust, rows)
    report["messages"] = _messages(report)
    return report


def _robust(s: Scenario, robust: dict[str, Any], rows: list[tuple[int, Any, str, list[float]]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": robust["status"],
        "objective": robust["objective"],
        "funded": robust["funded"],
        "value_in_samples": quantiles([]),
        "cost_of_caution": None,
    }
    if not solved(robust):
        return out
    m = np.asarray(robust["plan"], dtype=float)
    values = [plan_value(s, m, robust["spending_discounted"], v) for _, o, st, v in rows if st in ("optimal", "feasible")]
    optima = [o for _, o, st, _ in rows if st in ("optimal", "feasible")]
    out["value_in_samples"] = quantiles(values)
    if values:
        out["cost_of_caution"] = float(np.mean(optima) - np.mean(values))
    return out


def _messages(report: dict[str, Any]) -> list[str]:
    obj, out = report["objective"], []
    if obj["mean"] is not None:
        out.append(
            f"Across {report['solved']:,} samples of the uncertain effects ({report['distribution']}, seed {report['seed']}), the best plan's "
            f"net value averages {money(obj['mean'])}; 90 % of samples lie between {money(obj['p05'])} and {money(obj['p95'])} "
            f"(the scenario as given: {money(report['nominal']['objective'])})."
        )
    sure = sum(1 for f in report["funded"] if f["probability"] >= 0.999)
    if report["funded"]:
        out.append(f"{sure:,} of {len(report['funded']):,} area-interventions funded in some sample are funded in every one.")
    rob = report["robust"]
    if rob and rob["objective"] is not None:
        out.append(
            f"If every effect is at its low value, the best plan still yields {money(rob['objective'])} (a floor)."
            + (
                f" Across the samples it delivers {money(rob['value_in_samples']['mean'])} on average, {money(rob['cost_of_caution'])} "
                "less than re-planning for each sample would."
                if rob["cost_of_caution"] is not None
                else ""
            )
        )
    return out
