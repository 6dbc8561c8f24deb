"""'Rules that bind' names every rule whose price is not zero, including rows with a bound of 0.

The Community Wealth Fund share (sum of (D - phi) x spend >= 0) and "no agency
worse off" (spending - savings <= 0) bind with their terms cancelling; they were
once dropped as "nothing on either side" while their shadow prices were reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.scenario import parse_scenario
from optimizer.solve import solve

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.json"


def _tiny(min_share: float) -> dict:
    data = json.loads(TINY.read_text(encoding="utf-8"))
    data.setdefault("policy", {}).setdefault("community_wealth_fund", {})["min_share"] = min_share
    return data


@pytest.mark.parametrize("solver", ["highs", "ortools-glop", "cbc"])
def test_a_binding_share_is_listed_with_its_price(solver: str) -> None:
    result = solve(parse_scenario(_tiny(0.8)), solver)
    price = next(r["value"] for r in result.shadow_prices["rules"] if r["rule"] == "community_wealth_fund.min_share")
    assert price < 0  # the rule costs net value
    listed = [b for b in result.binding_rules if b["rule"] == "community_wealth_fund.min_share"]
    assert len(listed) == 1 and listed[0]["value"] == pytest.approx(price)
    assert "binds" in listed[0]["message"]


def test_a_share_with_room_to_spare_is_not_listed() -> None:
    result = solve(parse_scenario(_tiny(0.0)), "highs")
    assert "community_wealth_fund.min_share" not in {b["rule"] for b in result.binding_rules}
