"""Validation names every problem with its location and the fix, before any solving."""

from __future__ import annotations

import copy
import math

import pytest

from optimizer.errors import ScenarioError
from optimizer.scenario import parse_scenario, scenario_hash


def problems(data) -> dict[str, str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return {p.loc: p.msg for p in info.value.problems}


def test_not_an_object() -> None:
    assert "" in problems([1, 2])


@pytest.mark.parametrize(
    ("path", "value", "loc", "words"),
    [
        (("pools", 0, "budget"), math.nan, "/pools/0/budget", "finite"),
        (("pools", 0, "budget"), -5.0, "/pools/0/budget", "greater than or equal"),
        (("pools", 0, "budget"), "100", "/pools/0/budget", "number"),
        (("areas", 0, "imd_decile"), 0, "/areas/0/imd_decile", "greater than or equal"),
        (("areas", 0, "id"), "E01\x00", "/areas/0/id", "control characters"),
        (("areas", 0, "id"), "x" * 10_000, "/areas/0/id", "at most"),
        (("interventions", 0, "max_coverage"), 1.5, "/interventions/0/max_coverage", "less than or equal"),
        (("interventions", 0, "unit_cost"), 0.0, "/interventions/0/unit_cost", "greater than or equal to 0.01"),
        (("interventions", 0, "unit_cost"), 1e-9, "/interventions/0/unit_cost", "greater than or equal to 0.01"),
        (("horizon_years",), 11, "/horizon_years", "less than or equal"),
        (("discount_rate",), math.inf, "/discount_rate", "finite"),
        (("policy", "community_wealth_fund", "min_share"), 1.2, "/policy/community_wealth_fund/min_share", "less than or equal"),
        (("policy", "equity_weights"), {"11": 2.0}, "/policy/equity_weights", "deciles"),
        (("interventions",), [], "/interventions", "at least 1"),
    ],
)
def test_each_bad_value_is_located(tiny_data, path, value, loc, words) -> None:
    data = copy.deepcopy(tiny_data)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    found = problems(data)
    assert loc in found, found
    assert words in found[loc]


def test_references_and_structure_are_reported_together(tiny_data) -> None:
    data = copy.deepcopy(tiny_data)
    data["areas"][1]["id"] = data["areas"][0]["id"]
    data["pools"][1]["interventions"] = ["no_such"]
    data["interventions"][1]["effects"][0]["outcome"] = "nothing"
    data["horizon_years"] = 3
    data["areas"][0]["population"] = -1
    found = problems(data)
    assert {
        "/areas/1/id",
        "/pools/1/interventions/0",
        "/interventions/1/effects/0/outcome",
        "/pools/0/budget",
        "/areas/0/population",
    } <= set(found)


def test_local_basis_needs_ranks(tiny_data) -> None:
    data = copy.deepcopy(tiny_data)
    data["policy"]["community_wealth_fund"]["basis"] = "local"
    del data["areas"][0]["imd_rank"]
    assert "/areas/0/imd_rank" in problems(data)


def test_hash_ignores_the_solver_block_but_not_the_name(tiny_data) -> None:
    base = scenario_hash(parse_scenario(tiny_data))
    other = copy.deepcopy(tiny_data)
    other["solver"] = {"name": "cbc", "time_limit": 5}
    assert scenario_hash(parse_scenario(other)) == base
    other["name"] = "Another name"
    assert scenario_hash(parse_scenario(other)) != base


def test_canonical_form_parses_back_to_the_same_hash(tiny_data) -> None:
    import json

    from optimizer.scenario import canonical_json

    s = parse_scenario(tiny_data)
    again = parse_scenario(json.loads(canonical_json(s, with_solver=True)))
    assert scenario_hash(again) == scenario_hash(s)


def test_uncertain_effects_must_bracket_the_central_value(tiny_data) -> None:
    data = copy.deepcopy(tiny_data)
    data["interventions"][0]["effects"][0].update(low=0.03, high=0.01)
    found = problems(data)
    assert {"/interventions/0/effects/0/low", "/interventions/0/effects/0/high"} <= set(found)
    data["interventions"][0]["effects"][0].update(low=0.01, high=0.03)
    certain = scenario_hash(parse_scenario(tiny_data))
    assert scenario_hash(parse_scenario(data)) != certain  # the ranges are part of the scenario


def test_equivalent_numbers_hash_alike(tiny_data) -> None:
    """100, 100.0 and -0.0 / 0.0: equal amounts written differently give one hash."""
    base = scenario_hash(parse_scenario(tiny_data))
    data = copy.deepcopy(tiny_data)
    data["pools"][1]["budget"] = 20000  # was 20000 (int) in the file: as a float now
    data["pools"][1]["budget"] = 20000.0
    assert scenario_hash(parse_scenario(data)) == base
    data["pools"][1]["budget"] = [20000, 20000.0]  # a list of the same figure every year
    assert scenario_hash(parse_scenario(data)) == base
    a = copy.deepcopy(tiny_data)
    a["policy"]["social_value_weight"] = 0.0
    b = copy.deepcopy(tiny_data)
    b["policy"]["social_value_weight"] = -0.0
    assert scenario_hash(parse_scenario(a)) == scenario_hash(parse_scenario(b)) == base
