"""Seeded random scenarios for tests and benchmarks.

:func:`random_scenario` returns a valid scenario dict (it passes
:func:`~optimizer.scenario.parse_scenario`) whose rules are switched on at
random, so that a few dozen seeds exercise every part of the model contract.
:func:`rules_on` names the rules a scenario uses; the tests assert that seeds
0..49 switch every one of them on somewhere.

The generator uses :class:`random.Random` (whose sequences are stable across
Python versions) and rounds every figure, so a seed names one scenario for
good. Values are drawn so that many interventions are worth more than they
cost (a value/cost ratio between 0.5 and 2.6) and budgets pay for part of
what could be done: most scenarios fund something, and some rules bind.
"""

from __future__ import annotations

import random
from typing import Any

GROUPS = ("families", "young_people", "older_people")

#: rules that an LP scenario can switch on (names used by :func:`rules_on`)
LP_RULES = frozenset(
    {
        "footprint",
        "ring_fence",
        "agency_without_pool",
        "budget_per_year",
        "lag",
        "duration",
        "appraisal_beyond_horizon",
        "discount_rate",
        "reinvest",
        "capacity",
        "cwf_national",
        "cwf_local",
        "rank_ties",
        "per_capita_floor",
        "no_agency_worse_off",
        "equity_weights",
        "social_value",
        "area_cap",
    }
)
#: rules only a MIP scenario switches on
MIP_RULES = frozenset({"fixed_cost", "min_participants"})
#: version 2 features (docs/model.md 2.1-2.5) that ``random_scenario(..., version=2)`` switches on
V2_RULES = frozenset(
    {"bands", "priorities", "area_priorities", "commitment", "commitment_in_area_and_year", "sources", "cost_sharing_shares"}
)

_SIZES = {
    # areas, interventions, pools, outcomes, horizon
    "small": ((2, 6), (1, 4), (1, 3), (2, 4), (1, 3)),
    "medium": ((20, 60), (3, 8), (2, 4), (3, 6), (2, 4)),
    "large": ((300, 1000), (6, 12), (3, 5), (4, 8), (3, 5)),
}


def random_scenario(seed: int, *, mip: bool = False, size: str = "small", version: int = 1) -> dict[str, Any]:
    """A valid scenario dict drawn from ``seed``; ``mip`` adds fixed costs and minimum numbers.

    ``version=2`` draws the same scenario and then, from a stream of its own, switches on version 2's
    features (:func:`add_version_2`): a version 1 draw of a seed never changes.
    """
    if version == 2:
        return add_version_2(random_scenario(seed, mip=mip, size=size), seed)
    if size not in _SIZES:
        raise ValueError(f"size must be one of {sorted(_SIZES)}; got {size!r}")
    rng = random.Random(f"totalplace-{seed}-{int(mip)}-{size}")
    (a_lo, a_hi), (i_lo, i_hi), (p_lo, p_hi), (o_lo, o_hi), (h_lo, h_hi) = _SIZES[size]
    horizon = rng.randint(h_lo, h_hi)
    appraisal = horizon + rng.choice((0, 0, 1, 2, 3))

    # -- areas: mixed deciles, ranks roughly following deciles, sometimes tied; ids not in list order
    n_areas = rng.randint(a_lo, a_hi)
    areas: list[dict[str, Any]] = []
    for k in rng.sample(range(n_areas), n_areas):
        decile = rng.choice((1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
        groups = {g: float(rng.randint(5, 250)) for g in GROUPS if rng.random() < 0.8}
        areas.append(
            {
                "id": f"A{k:04d}",
                "name": f"Area {k}",
                "imd_decile": decile,
                "imd_rank": (decile - 1) * 3284 + rng.randint(1, 3284),
                "population": float(rng.randint(300, 3000)),
                "groups": groups,
            }
        )
    if n_areas >= 2 and rng.random() < 0.3:  # IoD2019 has equal ranks: tie two areas
        a, b = rng.sample(range(n_areas), 2)
        areas[b]["imd_rank"] = areas[a]["imd_rank"]
    area_ids = [a["id"] for a in areas]

    # -- pools and agencies
    n_pools = rng.randint(p_lo, p_hi)
    pool_ids = ["council", "police", "nhs", "fire", "housing"][:n_pools]
    agency_ids = ["dwp"] if rng.random() < 0.4 else []
    payers = pool_ids + agency_ids

    # -- outcomes
    outcomes = []
    for k in range(rng.randint(o_lo, o_hi)):
        who = rng.sample(payers, rng.randint(1, min(3, len(payers))))
        outcome: dict[str, Any] = {
            "id": f"o{k}",
            "name": f"Outcome {k}",
            "unit_costs": {g: float(rng.randint(50, 5000)) for g in who},
        }
        if rng.random() < 0.4:
            outcome["social_value"] = float(rng.randint(0, 3000))
        outcomes.append(outcome)

    # -- policy (drawn before the interventions, whose unit costs depend on lambda)
    policy: dict[str, Any] = {}
    cwf: dict[str, Any] = {}
    if rng.random() < 0.45:
        cwf["min_share"] = round(rng.uniform(0.1, 0.6), 2)
        cwf["max_decile"] = rng.randint(1, 3)
        if rng.random() < 0.5:
            cwf["basis"] = "local"
    if rng.random() < 0.25:
        cwf["per_capita_floor"] = round(rng.uniform(0.1, 2.0), 2)
        cwf.setdefault("max_decile", rng.randint(1, 3))
        if "basis" not in cwf and rng.random() < 0.3:
            cwf["basis"] = "local"
    if cwf:
        policy["community_wealth_fund"] = cwf
    if rng.random() < 0.25:
        policy["no_agency_worse_off"] = True
    if rng.random() < 0.3:
        policy["equity_weights"] = {str(d): round(rng.uniform(0.5, 2.5), 2) for d in rng.sample(range(1, 11), rng.randint(1, 4))}
    lam = 0.0
    if rng.random() < 0.35:
        lam = round(rng.uniform(0.2, 1.5), 2)
        policy["social_value_weight"] = lam

    # -- interventions: unit cost set from the value so that value/cost is 0.5..2.6
    interventions = []
    for k in range(rng.randint(i_lo, i_hi)):
        effects = []
        for _ in range(rng.randint(1, 3)):
            eff: dict[str, Any] = {"outcome": rng.choice(outcomes)["id"], "per_participant": round(rng.uniform(0.05, 1.5), 3)}
            if rng.random() < 0.35:
                eff["lag_years"] = rng.randint(1, 2)
            if rng.random() < 0.4:
                eff["duration_years"] = rng.randint(2, 4)
            effects.append(eff)
        value = 0.0  # undiscounted value of a year-1 participant, within the appraisal years
        for eff in effects:
            o = next(o for o in outcomes if o["id"] == eff["outcome"])
            first = 1 + eff.get("lag_years", 0)
            last = min(first + eff.get("duration_years", 1) - 1, appraisal)
            years = max(0, last - first + 1)
            value += eff["per_participant"] * years * (sum(o["unit_costs"].values()) + lam * o.get("social_value", 0.0))
        unit_cost = float(max(10, round(value / rng.uniform(0.5, 2.6)))) if value > 0 else float(rng.randint(100, 1000))
        iv: dict[str, Any] = {
            "id": f"iv{k}",
            "name": f"Intervention {k}",
            "target_group": rng.choice(GROUPS),
            "unit_cost": unit_cost,
            "max_coverage": round(rng.uniform(0.1, 0.8), 2),
            "effects": effects,
        }
        if rng.random() < 0.25:
            iv["capacity"] = float(rng.randint(5, 150))
        interventions.append(iv)
    if mip:
        for iv in interventions:
            if rng.random() < 0.6:
                iv["fixed_cost"] = float(rng.randint(2, 30) * 100)
            if rng.random() < 0.4:
                iv["min_participants"] = float(rng.randint(1, 15))
        if not any("fixed_cost" in iv or "min_participants" in iv for iv in interventions):
            interventions[0]["fixed_cost"] = float(rng.randint(2, 30) * 100)
    iv_ids = [iv["id"] for iv in interventions]

    # -- pools: budgets a share of what could be spent; sometimes footprints, lists, reinvestment
    potential = sum(iv["unit_cost"] * iv["max_coverage"] * a["groups"].get(iv["target_group"], 0.0) for iv in interventions for a in areas)
    pools = []
    for pid in pool_ids:
        per_year = max(500.0, potential * rng.uniform(0.1, 0.7) / n_pools)
        if rng.random() < 0.5:
            budget: float | list[float] = float(round(per_year, -2))
        else:
            budget = [float(round(per_year * rng.uniform(0.5, 1.5), -2)) for _ in range(horizon)]
        pool: dict[str, Any] = {"id": pid, "name": pid.title(), "budget": budget}
        if rng.random() < 0.3:
            pool["areas"] = sorted(rng.sample(area_ids, rng.randint(1, len(area_ids))))
        if rng.random() < 0.3:
            pool["interventions"] = sorted(rng.sample(iv_ids, rng.randint(1, len(iv_ids))))
        if rng.random() < 0.3:
            pool["reinvest_rate"] = round(rng.uniform(0.1, 1.0), 2)
        pools.append(pool)

    if rng.random() < 0.25:
        per_area_year = potential / max(1, n_areas) / max(1, len(pool_ids))
        policy["area_cap"] = float(max(100, round(per_area_year * rng.uniform(0.1, 0.8), -2)))

    scenario: dict[str, Any] = {
        "schema_version": 1,
        "name": f"random {size} scenario, seed {seed}{' (MIP)' if mip else ''}",
        "horizon_years": horizon,
        "pools": pools,
        "outcomes": outcomes,
        "areas": areas,
        "interventions": interventions,
        "policy": policy,
    }
    if appraisal != horizon or rng.random() < 0.5:
        scenario["appraisal_years"] = appraisal
    draw = rng.random()
    if draw < 0.3:
        scenario["discount_rate"] = rng.choice((0.0, 0.05, 0.1))
    if agency_ids:
        scenario["agencies"] = [{"id": g, "name": g.upper()} for g in agency_ids]
    return scenario


THEMES = ("health", "equality_and_safety", "income_and_affordability", "education_and_lifelong_learning", "social_connections")


def add_version_2(scenario: dict[str, Any], seed: int) -> dict[str, Any]:
    """The scenario with version 2's features switched on at random: bands, priorities, commitments, sources, shares."""
    rng = random.Random(f"totalplace-v2-{seed}-{scenario['name']}")
    out: dict[str, Any] = {**scenario, "schema_version": 2, "policy": dict(scenario.get("policy", {}))}
    ivs = [dict(iv) for iv in scenario["interventions"]]
    for iv in ivs:
        if rng.random() < 0.6:  # two or three bands, falling effects, the last at max_coverage
            top = iv["max_coverage"]
            cuts = sorted(round(rng.uniform(0.1, 0.9) * top, 3) for _ in range(rng.randint(1, 2)))
            ups = [c for j, c in enumerate(cuts) if c > 0 and (j == 0 or c > cuts[j - 1])] + [top]
            effects = sorted((round(rng.uniform(0.2, 1.5), 2) for _ in ups), reverse=True)
            iv["response"] = [{"up_to": u, "effect": e} for u, e in zip(ups, effects, strict=True)]
            if rng.random() < 0.5:
                del iv["max_coverage"]
        if rng.random() < 0.5:
            iv["source"] = f"Evaluation of intervention {iv['id']}, seed {seed}"
    out["interventions"] = ivs
    outcomes = [dict(o) for o in scenario["outcomes"]]
    for o in outcomes:
        if rng.random() < 0.7:
            o["themes"] = rng.sample(THEMES, rng.randint(1, 2))
        if rng.random() < 0.4:
            o["source"] = f"Unit cost of {o['id']}"
    out["outcomes"] = outcomes
    named = sorted({t for o in outcomes for t in o.get("themes", [])})
    if named and rng.random() < 0.7:
        weights = {t: float(rng.randint(0, 40)) for t in named}
        weights[rng.choice(named)] += 10.0
        out["policy"]["resident_priorities"] = {"strength": round(rng.uniform(0.1, 1.0), 2), "weights": weights}
        areas = [dict(a) for a in scenario["areas"]]
        for a in rng.sample(areas, min(len(areas), rng.randint(0, 2))):
            own = {t: float(rng.randint(0, 30)) for t in rng.sample(named, rng.randint(1, len(named)))}
            own[next(iter(own))] += 5.0
            a["priorities"] = own
        out["areas"] = areas
    if rng.random() < 0.6:  # a commitment the place can afford: a fraction of one year's reach of an intervention somewhere
        iv = rng.choice(ivs)
        funded = [
            a
            for a in scenario["areas"]
            if any(
                (p.get("areas") is None or a["id"] in p["areas"]) and (p.get("interventions") is None or iv["id"] in p["interventions"])
                for p in scenario["pools"]
            )
            and a["groups"].get(iv["target_group"], 0) > 0
        ]
        if funded:
            cover = iv.get("max_coverage", iv["response"][-1]["up_to"] if "response" in iv else 0.5)
            commitment: dict[str, Any] = {"intervention": iv["id"]}
            if rng.random() < 0.5:
                a = rng.choice(funded)
                commitment["area"] = a["id"]
                reach = iv["unit_cost"] * cover * a["groups"][iv["target_group"]]
                if rng.random() < 0.6:
                    commitment["year"] = rng.randint(1, scenario["horizon_years"])
            else:
                reach = sum(iv["unit_cost"] * cover * a["groups"][iv["target_group"]] for a in funded)
            commitment["min_spend"] = float(round(reach * rng.uniform(0.05, 0.3), 2))
            out["policy"]["commitments"] = [commitment]
    if len(scenario["pools"]) > 1 and rng.random() < 0.3:
        out["policy"]["cost_sharing"] = {
            "rule": "shares",
            "shares": {p["id"]: float(rng.randint(0, 4)) + (1.0 if k == 0 else 0.0) for k, p in enumerate(scenario["pools"])},
        }
    return out


def rules_on(scenario: dict[str, Any]) -> set[str]:
    """The rules of the model contract that ``scenario`` (a dict) switches on."""
    on: set[str] = set()
    h = scenario["horizon_years"]
    a = scenario.get("appraisal_years", h)
    for pool in scenario["pools"]:
        if pool.get("areas") is not None:
            on.add("footprint")
        if pool.get("interventions") is not None:
            on.add("ring_fence")
        if isinstance(pool["budget"], list):
            on.add("budget_per_year")
        if pool.get("reinvest_rate", 0) > 0 and h >= 2:
            on.add("reinvest")
    if scenario.get("agencies"):
        on.add("agency_without_pool")
    if a > h:
        on.add("appraisal_beyond_horizon")
    if scenario.get("discount_rate", 0.035) != 0.035:
        on.add("discount_rate")
    for iv in scenario["interventions"]:
        for eff in iv["effects"]:
            if eff.get("lag_years", 0) > 0:
                on.add("lag")
            if eff.get("duration_years", 1) > 1:
                on.add("duration")
        if iv.get("capacity") is not None:
            on.add("capacity")
        if iv.get("fixed_cost", 0) > 0:
            on.add("fixed_cost")
        if iv.get("min_participants", 0) > 0:
            on.add("min_participants")
    policy = scenario.get("policy", {})
    cwf = policy.get("community_wealth_fund", {})
    if cwf.get("min_share", 0) > 0:
        on.add("cwf_local" if cwf.get("basis") == "local" else "cwf_national")
    if cwf.get("per_capita_floor", 0) > 0:
        on.add("per_capita_floor")
    ranks = [ar.get("imd_rank") for ar in scenario["areas"]]
    if len(set(ranks)) < len(ranks) and cwf.get("basis") == "local" and (cwf.get("min_share", 0) > 0 or cwf.get("per_capita_floor", 0) > 0):
        on.add("rank_ties")
    if policy.get("no_agency_worse_off"):
        on.add("no_agency_worse_off")
    if policy.get("equity_weights"):
        on.add("equity_weights")
    if policy.get("social_value_weight", 0) > 0 and any(o.get("social_value", 0) > 0 for o in scenario["outcomes"]):
        on.add("social_value")
    if policy.get("area_cap") is not None:
        on.add("area_cap")
    # version 2
    if any(iv.get("response") and len(iv["response"]) > 1 for iv in scenario["interventions"]):
        on.add("bands")
    rp = policy.get("resident_priorities")
    if rp and rp.get("strength", 0) > 0:
        on.add("priorities")
        if any(ar.get("priorities") for ar in scenario["areas"]):
            on.add("area_priorities")
    for c in policy.get("commitments", []):
        on.add("commitment")
        if c.get("area") is not None and c.get("year") is not None:
            on.add("commitment_in_area_and_year")
    if any(x.get("source") for x in scenario["interventions"] + scenario["outcomes"]):
        on.add("sources")
    if policy.get("cost_sharing", {}).get("rule") == "shares":
        on.add("cost_sharing_shares")
    return on


def agreement_seeds() -> list[tuple[int, bool]]:
    """The (seed, mip) pairs of the back-end agreement test: seeds 0..49, each as an LP and as a MIP.

    A MIP draw of a seed is a different scenario from its LP draw (the generator's
    stream depends on ``mip``), so these are 100 scenarios; they solve in seconds.
    """
    return [(seed, mip) for seed in range(50) for mip in (False, True)]


def agreement_seeds_v2() -> list[tuple[int, bool]]:
    """The version 2 draws of the agreement test: seeds 0..29 as LPs and 0..19 as MIPs (50 scenarios)."""
    return [(seed, False) for seed in range(30)] + [(seed, True) for seed in range(20)]
