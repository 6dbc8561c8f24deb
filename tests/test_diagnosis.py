"""An infeasible scenario is an answer: status infeasible, the rules in conflict, and the least change.

The tiny scenario (scenarios/examples/tiny.json) has one deprived area
(E01000001, decile 1, 1,500 residents). In it at most 0.5 x 60 = 30 families
can take early help (£1,500 each: £45,000 a year) and 0.3 x 90 = 27 young
people youth diversion (£800 each: £21,600 a year): £66,600 a year at most.
"""

from __future__ import annotations

import copy

import pytest

from optimizer.scenario import parse_scenario
from optimizer.solve import solve


def _floor(data: dict, floor: float) -> dict:
    out = copy.deepcopy(data)
    out["policy"]["community_wealth_fund"]["per_capita_floor"] = floor
    return out


def test_floor_beyond_coverage_is_diagnosed_with_the_least_floor_change(tiny_data) -> None:
    """A floor of £50 a head needs £75,000 a year: coverage allows £66,600, so £8,400 (£5.60 a head) must go."""
    result = solve(parse_scenario(_floor(tiny_data, 50.0)))
    assert result.status == "infeasible"
    assert result.objective is None
    diag = result.diagnosis
    assert "community_wealth_fund.per_capita_floor" in diag["conflicts"]
    assert "coverage" in diag["conflicts"] or "budget" in diag["conflicts"]
    floor_only = next(a for a in diag["alternatives"] if a["rule"] == "per_capita_floor")
    per_year = {c["year"]: c["change"] for c in floor_only["changes"]}
    assert per_year == pytest.approx({1: 8400.0, 2: 8400.0})
    assert all(c["area"] == "E01000001" for c in floor_only["changes"])
    # the change is enough, and it is the least: a little less is not
    assert solve(parse_scenario(_floor(tiny_data, 50.0 - 8400.0 / 1500))).status == "optimal"
    assert solve(parse_scenario(_floor(tiny_data, 50.0 - 8400.0 / 1500 + 0.01))).status == "infeasible"


def test_budget_shortfall_is_named_by_pool_and_year_and_the_fix_works(tiny_data) -> None:
    """Floor £42 a head = £63,000 a year in E01000001; council £30,000 + police £20,000 = £50,000: £13,000 short a year."""
    data = _floor(tiny_data, 42.0)
    data["pools"][0]["budget"] = [30000.0, 30000.0]
    result = solve(parse_scenario(data))
    assert result.status == "infeasible"
    budget_only = next(a for a in result.diagnosis["alternatives"] if a["rule"] == "budget")
    assert budget_only["total_change"] == pytest.approx(26000.0)
    fixed = copy.deepcopy(data)
    for change in budget_only["changes"]:
        assert change["rule"] == "budget" and change["year"] in (1, 2)
        pool = next(p for p in fixed["pools"] if p["id"] == change["pool"])
        budget = pool["budget"] if isinstance(pool["budget"], list) else [pool["budget"]] * 2
        budget[change["year"] - 1] += change["change"] + 1e-6
        pool["budget"] = budget
    assert solve(parse_scenario(fixed)).status == "optimal"
    assert "£13,000" in result.message or "13,000" in str(result.diagnosis)


def test_a_deprived_area_no_pool_may_fund_is_named(tiny_data) -> None:
    data = _floor(tiny_data, 1.0)
    for pool in data["pools"]:
        pool["areas"] = ["E01000002"]
    result = solve(parse_scenario(data))
    assert result.status == "infeasible"
    messages = " ".join(c["message"] for c in result.diagnosis["changes"])
    assert "E01000001" in messages and "no pool may fund" in messages


@pytest.mark.parametrize("solver", ["highs", "cbc", "ortools-glop", "ortools-scip"])
def test_every_back_end_reports_infeasible_with_a_diagnosis(tiny_data, solver) -> None:
    result = solve(parse_scenario(_floor(tiny_data, 50.0)), solver)
    assert result.status == "infeasible"
    assert result.diagnosis and result.diagnosis["changes"]
    d = result.to_dict()
    assert d["allocations"] == [] and d["summary"] is None
