"""Properties of the core, on scenarios Hypothesis draws (issue 6: "boards will trust its numbers").

1. Any valid scenario either solves to an allocation that keeps every rule
   (``optimizer.check``, the independent checker written from the contract) or
   is diagnosed infeasible, with the rules in conflict.
2. The objective never falls when a budget rises (the feasible set only grows:
   no rule forces spending), and a feasible scenario stays feasible.
3. ``scenario_hash`` is the same for equivalent scenarios (key order, defaults
   written out, number formatting, a scalar budget or its list) and differs
   for any change of a value outside the ``solver`` block (which is keyed
   apart, by design).

Scenarios come from ``optimizer.testing.random_scenario`` (every rule of the
contract switched on somewhere) with a seed Hypothesis draws, then perturbed:
budgets scaled from nothing to ten times, rules tightened until some become
infeasible. ``TOTALPLACE_RELIABILITY=long`` (``make reliability``) runs ten
times the examples.
"""

from __future__ import annotations

import copy
import json
import os
import random
from typing import Any

from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from optimizer import ScenarioError, parse_scenario, scenario_hash, solve
from optimizer.check import check_result
from optimizer.scenario import canonical_dict
from optimizer.testing import random_scenario

LONG = os.environ.get("TOTALPLACE_RELIABILITY", "").lower() == "long"
SCALE = 10 if LONG else 1
#: relative slack for "the objective never falls": LP solutions agree to ~1e-9; a MIP is proven only to its gap
LP_SLACK, MIP_GAP = 1e-7, 1e-6


def examples(n: int) -> settings:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# -- scenarios ------------------------------------------------------------------------------------


@st.composite
def documents(draw: st.DrawFn, *, allow_mip: bool = True) -> dict[str, Any]:
    """A valid scenario document: a seeded random scenario, budgets rescaled and some rules tightened."""
    mip = allow_mip and draw(st.integers(0, 4)) == 0
    data = random_scenario(draw(st.integers(0, 100_000)), mip=mip, size="small")
    scale = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0, 1.0, 3.0, 10.0]))
    for pool in data["pools"]:
        pool["budget"] = (
            [round(b * scale, 2) for b in pool["budget"]] if isinstance(pool["budget"], list) else round(pool["budget"] * scale, 2)
        )
    policy = data.setdefault("policy", {})
    tighten = draw(st.sampled_from(["none", "none", "share", "floor", "no_worse_off"]))
    if tighten == "share":
        policy["community_wealth_fund"] = {**policy.get("community_wealth_fund", {}), "min_share": draw(st.sampled_from([0.5, 0.9, 1.0]))}
    elif tighten == "floor":  # a per-capita floor the budgets may not pay: infeasible scenarios
        policy["community_wealth_fund"] = {
            **policy.get("community_wealth_fund", {}),
            "per_capita_floor": draw(st.sampled_from([1.0, 20.0, 500.0])),
        }
    elif tighten == "no_worse_off":
        policy["no_agency_worse_off"] = True
    if mip:
        data["solver"] = {"name": "highs", "mip_gap": MIP_GAP}
    return data


def _solve(data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    s = parse_scenario(data)
    return s, solve(s, "highs").to_dict()


# -- 1. solved and right, or diagnosed ---------------------------------------------------------------


@examples(80)
@given(documents())
def test_every_valid_scenario_is_solved_within_the_rules_or_diagnosed_infeasible(data: dict[str, Any]) -> None:
    s, result = _solve(data)
    note(f"status {result['status']}: {result['message']}")
    event(f"{'MIP' if s.is_mip else 'LP'} {result['status']}")
    assert result["status"] in ("optimal", "infeasible"), result["message"]  # small scenarios: proven, never an error
    if result["status"] == "optimal":
        violations = check_result(s, result)
        assert violations == [], "\n".join(map(str, violations))
        assert result["diagnosis"] is None
    else:
        diagnosis = result["diagnosis"]
        assert diagnosis is not None and diagnosis["conflicts"] and diagnosis["message"], diagnosis
        assert result["allocations"] == [] and result["objective"] is None


# -- 2. more money never buys less ----------------------------------------------------------------------


@examples(50)
@given(documents(), st.data())
def test_the_objective_never_falls_when_a_budget_rises(data: dict[str, Any], draw: st.DataObject) -> None:
    s, before = _solve(data)
    richer = copy.deepcopy(data)
    k = draw.draw(st.integers(0, len(richer["pools"]) - 1), label="pool")
    pool = richer["pools"][k]
    years = s.H
    budget = pool["budget"] if isinstance(pool["budget"], list) else [pool["budget"]] * years
    year = draw.draw(st.sampled_from([None, *range(years)]), label="year (None: every year)")
    extra = draw.draw(st.sampled_from([1.0, 500.0, 10_000.0, 1e6]), label="extra money")
    pool["budget"] = [b + extra if year is None or t == year else b for t, b in enumerate(budget)]
    _, after = _solve(richer)
    note(f"before {before['status']} {before['objective']}; after {after['status']} {after['objective']}")
    event(f"{'MIP' if s.is_mip else 'LP'} {before['status']} -> {after['status']}")
    if before["status"] == "infeasible":
        return  # more money may make it feasible, or not
    assert after["status"] == "optimal", after["message"]  # a feasible scenario stays feasible
    slack = (MIP_GAP * 2 if s.is_mip else LP_SLACK) * max(1.0, abs(before["objective"]))
    assert after["objective"] >= before["objective"] - slack


# -- 3. the hash: equal for equivalent scenarios, different for any change of a value -----------------------


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same document with every object's keys in a random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _reformatted(value: Any, rng: random.Random, ints: bool) -> Any:
    """Numbers written differently (1500 / 1500.0 / 1.5e3) through JSON text, where the field's type allows."""
    if isinstance(value, dict):
        return {k: _reformatted(v, rng, ints) for k, v in value.items()}
    if isinstance(value, list):
        return [_reformatted(v, rng, ints) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 and rng.random() < 0.7:
        return int(value) if rng.random() < 0.5 else float(f"{value:e}")
    return value


INT_FIELDS = {"schema_version", "horizon_years", "appraisal_years", "imd_decile", "imd_rank", "max_decile", "lag_years", "duration_years"}


def _floats_only(value: Any, key: str = "") -> Any:
    """Every whole-number amount written as a float, except the fields that must be integers."""
    if isinstance(value, dict):
        return {k: _floats_only(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats_only(v, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and key not in INT_FIELDS:
        return float(value)
    return value


@examples(100)
@given(documents(), st.randoms(use_true_random=False))
def test_equivalent_scenarios_have_one_hash(data: dict[str, Any], rng: random.Random) -> None:
    digest = scenario_hash(parse_scenario(data))
    # key order
    assert scenario_hash(parse_scenario(_shuffled(data, rng))) == digest
    # defaults written out: the canonical form, with and without the solver block
    canonical = canonical_dict(parse_scenario(data), with_solver=True)
    assert scenario_hash(parse_scenario(canonical)) == digest
    assert scenario_hash(parse_scenario(_shuffled(canonical, rng))) == digest
    # number formatting: ints, floats and exponents, through JSON text as a client would send them
    text = json.dumps(_reformatted(_floats_only(data), rng, ints=True))
    assert scenario_hash(parse_scenario(json.loads(text))) == digest
    # a budget given once for every year, or once per year
    expanded = copy.deepcopy(data)
    for pool in expanded["pools"]:
        if not isinstance(pool["budget"], list):
            pool["budget"] = [pool["budget"]] * data["horizon_years"]
    assert scenario_hash(parse_scenario(expanded)) == digest
    # solver options say how to solve, not what: keyed apart, never in the hash
    assert scenario_hash(parse_scenario({**data, "solver": {"name": "cbc", "time_limit": 5, "mip_gap": 0.01}})) == digest


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [(path, value)]


def _changed(value: Any, rng: random.Random) -> Any:
    """A different value of the same type (the validation decides whether it is allowed)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([-1, 1])
    if isinstance(value, float):
        return rng.choice([value + 0.01, value * 1.5 + 1, value / 2 if value else 0.25, round(value + 1e-6, 9)])
    if isinstance(value, str):
        return value + rng.choice(["x", " ", "é"])
    if value is None:
        return rng.choice([1, "x", 0.5])
    raise AssertionError(f"unexpected leaf {value!r}")


@examples(200)
@given(documents(), st.randoms(use_true_random=False))
def test_any_change_of_a_value_changes_the_hash(data: dict[str, Any], rng: random.Random) -> None:
    canonical = canonical_dict(parse_scenario(data))  # every value the hash covers, written out
    digest = scenario_hash(parse_scenario(canonical))
    path, old = rng.choice(_leaves(canonical))
    new = _changed(old, rng)
    assume(new != old)
    changed = copy.deepcopy(canonical)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    try:
        s = parse_scenario(changed)
    except ScenarioError:
        assume(False)  # not a valid scenario any more (an id that others name, a share above 1): nothing to hash
        raise
    note(f"{'/'.join(map(str, path))}: {old!r} -> {new!r}")
    assert scenario_hash(s) != digest
