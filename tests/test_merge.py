"""Merging alike areas is exact, is used only where it is, and says when it falls back."""

from __future__ import annotations

import copy

import pytest

from optimizer.check import check_result
from optimizer.scenario import parse_scenario
from optimizer.solve import solve
from optimizer.testing import random_scenario


def _mergeable(seed: int, size: str = "small") -> dict:
    data = random_scenario(seed, size=size)
    cwf = data.get("policy", {}).get("community_wealth_fund", {})
    cwf.pop("per_capita_floor", None)
    data.get("policy", {}).pop("area_cap", None)
    return data


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("size", ["small", "medium"])
def test_merged_equals_pooled_and_full(seed: int, size: str) -> None:
    s = parse_scenario(_mergeable(seed, size))
    merged = solve(s, formulation="auto")
    assert merged.solver["formulation"] == "merged"
    pooled = solve(s, formulation="pooled")
    full = solve(s, formulation="full")
    assert merged.status == pooled.status == full.status == "optimal"
    for other in (pooled, full):
        assert abs(merged.objective - other.objective) <= 1e-6 * max(1.0, abs(other.objective))
    # the split solution keeps every rule of the contract, checked independently
    assert check_result(s, merged.to_dict()) == []
    # and the budget prices are those of the unmerged programme
    for a, b in zip(merged.shadow_prices["budgets"], pooled.shadow_prices["budgets"], strict=True):
        assert a["value"] == pytest.approx(b["value"], abs=1e-6)


def test_alike_areas_become_few_classes() -> None:
    s = parse_scenario(_mergeable(4, "medium"))
    r = solve(s)
    assert r.solver["area_classes"] < len(s.areas)
    assert r.solver["columns"] < solve(s, formulation="pooled").solver["columns"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["policy"].setdefault("community_wealth_fund", {}).update(per_capita_floor=0.01, max_decile=10), "per-capita floor"),
        (lambda d: d["policy"].update(area_cap=1e9), "area cap"),
        (lambda d: d["interventions"][0].update(fixed_cost=100.0), "launch"),
    ],
)
def test_falls_back_to_the_pooled_programme_where_areas_are_named(tiny_data, change, reason) -> None:
    data = copy.deepcopy(tiny_data)
    change(data)
    s = parse_scenario(data)
    r = solve(s)
    assert r.solver["formulation"] == "pooled"
    with pytest.raises(ValueError, match=reason):
        solve(s, formulation="merged")
