"""Sensitivity in board words (optimizer/analysis/sensitivity.py), on scenarios worked out by hand.

``one_pool``: horizon 1, discount 0, one area X (decile 1, 1,000 residents, 10 people in group g), one pool A
with budget B, and ``good``: £100 a participant, up to 10 participants, avoiding one event that costs A £150.
So f(B) = 0.5 x min(B, 1000): with B = 600, one more £1 adds £0.50, up to £400 more; beyond that nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from optimizer.analysis import run_analysis
from optimizer.analysis.sensitivity import plan
from optimizer.scenario import parse_scenario
from optimizer.solve import solve


def one_pool(budget: float = 600, value: float = 150, people: float = 10, **policy: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "one pool",
        "horizon_years": 1,
        "discount_rate": 0.0,
        "pools": [{"id": "A", "name": "Alpha", "budget": budget}],
        "outcomes": [{"id": "o", "name": "o", "unit_costs": {"A": value}}],
        "areas": [{"id": "X", "imd_decile": 1, "population": 1000, "groups": {"g": people}}],
        "interventions": [
            {
                "id": "good",
                "name": "Good work",
                "target_group": "g",
                "unit_cost": 100,
                "max_coverage": 1.0,
                "effects": [{"outcome": "o", "per_participant": 1.0}],
            }
        ],
        "policy": policy,
        "solver": {"time_limit": 30},
    }


def _item(report: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(i for i in report["items"] if i["target"]["rule"] == rule)


def test_budget_price_and_range_by_hand() -> None:
    rep = run_analysis("sensitivity", parse_scenario(one_pool()))
    item = _item(rep, "budget")
    assert item["price"] == pytest.approx(0.5, rel=1e-9)
    assert item["range"] == pytest.approx(400, rel=2e-3) and item["range"] <= 400 + 1e-6 and not item["range_capped"]
    assert item["beyond_price"] == pytest.approx(0.0, abs=1e-9)
    assert (
        item["sentence"]
        == "One more £1 in the Alpha pool in year 1 adds £0.50 of net value, up to £400 more. Beyond that, more adds nothing."
    )


def test_range_confirmed_by_independent_resolves() -> None:
    """The core's solve at the budget plus the range: on the line; well past it: below the line."""
    data = one_pool()
    rep = run_analysis("sensitivity", parse_scenario(data))
    item = _item(rep, "budget")
    f0, price, reach = rep["base_objective"], item["price"], item["range"]

    def f(extra: float) -> float:
        moved = copy.deepcopy(data)
        moved["pools"][0]["budget"] = 600 + extra
        return solve(parse_scenario(moved)).objective

    assert f(reach) == pytest.approx(f0 + price * reach, rel=1e-9)
    assert f(reach * 1.05) < f0 + price * reach * 1.05 - 1


def test_capped_range_says_at_least() -> None:
    rep = run_analysis("sensitivity", parse_scenario(one_pool(budget=100, people=1000)))
    item = _item(rep, "budget")
    assert item["range_capped"] and item["range"] == pytest.approx(100)
    assert "for at least £100 more" in item["sentence"] and "£0.50" in item["sentence"]


def test_unspent_budget_adds_nothing() -> None:
    rep = run_analysis("sensitivity", parse_scenario(one_pool(budget=1500)))
    item = _item(rep, "budget")
    assert item["price"] == 0 and item["unspent"] == pytest.approx(500)
    assert item["sentence"] == "One more £1 in the Alpha pool in year 1 adds nothing: £500 of that year's budget is left unspent."


def test_per_capita_floor_by_hand() -> None:
    """``good`` worth only £80 a participant: spending is held at the floor, £0.40 x 1,000 = £400, so f = -80.

    Raising the floor by £1 per resident forces £1,000 more at a loss of £0.20 a pound: -£200. The budget
    (£600) runs out at a floor of £0.60: the range is £0.20 more per resident, then the scenario is infeasible.
    """
    data = one_pool(value=80, community_wealth_fund={"per_capita_floor": 0.4})
    rep = run_analysis("sensitivity", parse_scenario(data))
    assert rep["base_objective"] == pytest.approx(-80)
    item = _item(rep, "community_wealth_fund.per_capita_floor")
    assert item["price"] == pytest.approx(-200, rel=1e-9)
    assert item["range"] == pytest.approx(0.2, rel=2e-3)
    assert item["beyond_status"] == "infeasible"
    assert "costs £200 of net value" in item["sentence"] and "up to £0.20 more per resident" in item["sentence"]
    assert "cannot be met (infeasible)" in item["sentence"]


def test_area_cap_by_hand() -> None:
    """An area cap of £300 holds spending at £300 (f = 150); the cap can rise £200 before the £500 budget binds."""
    rep = run_analysis("sensitivity", parse_scenario(one_pool(budget=500, area_cap=300)))
    item = _item(rep, "area_cap")
    assert item["price"] == pytest.approx(0.5) and item["range"] == pytest.approx(200, rel=2e-3)
    assert _item(rep, "budget")["price"] == pytest.approx(0.0)
    assert "Raising the area cap (now £300) by £1 adds £0.50 of net value, up to £200 more" in item["sentence"]


def test_mip_prices_with_launches_fixed_and_said() -> None:
    """A £50 fixed cost: launched (f = 0.5 x 550 - 50 = 225); with the launch fixed, £1 adds £0.50 up to £450 more."""
    data = one_pool()
    data["interventions"][0]["fixed_cost"] = 50
    s = parse_scenario(data)
    tasks = plan(s)
    assert tasks[0]["launches"] == [["X", "good"]]
    rep = run_analysis("sensitivity", s)
    item = _item(rep, "budget")
    assert rep["integers_fixed"] and rep["base_objective"] == pytest.approx(225)
    assert item["price"] == pytest.approx(0.5) and item["range"] == pytest.approx(450, rel=2e-3)
    assert item["sentence"].endswith("(Launch decisions fixed at the optimum.)")
    assert "launch decisions fixed at the optimum" in rep["sentences"][0]


def test_cwf_share_price_by_hand_and_from_the_core() -> None:
    """A second area Y (decile 9) where ``better`` (£180 a participant, net £0.80 a pound) can run; X has only ``good``.

    With min_share 0.6, £360 of the £600 must go to X: f(phi) = 0.5 x 600 phi + 0.8 x 600 (1 - phi) = 480 - 180 phi,
    so each percentage point costs £1.80, all the way to 100 % (the range is capped at the 40 points left).
    "No agency worse off" is on but slack (A saves far more than it spends): priced at nothing.
    """
    data = one_pool(budget=600)
    data["areas"].append({"id": "Y", "imd_decile": 9, "population": 1000, "groups": {"h": 10}})
    data["interventions"].append(
        {
            "id": "better",
            "name": "Better work",
            "target_group": "h",
            "unit_cost": 100,
            "max_coverage": 1.0,
            "effects": [{"outcome": "o", "per_participant": 1.2}],
        }
    )
    data["policy"] = {"community_wealth_fund": {"min_share": 0.6}, "no_agency_worse_off": True}
    s = parse_scenario(data)
    core_price = next(r["value"] for r in solve(s).shadow_prices["rules"] if r["rule"] == "community_wealth_fund.min_share")
    rep = run_analysis("sensitivity", s)
    assert rep["base_objective"] == pytest.approx(372)
    item = _item(rep, "community_wealth_fund.min_share")
    assert item["price"] == pytest.approx(-1.8, rel=1e-9)
    assert abs(core_price) == pytest.approx(1.8, rel=1e-9)  # the core reports the cost as a positive amount
    assert item["range_capped"] and item["range"] == pytest.approx(0.4)
    assert "by one percentage point costs £1.80 of net value, for at least 40 more percentage points" in item["sentence"]
    nawo = _item(rep, "no_agency_worse_off")
    assert nawo["price"] == 0 and "does not hold back the Alpha pool" in nawo["sentence"]


def _lp_seeds_with_prices() -> list[int]:
    from optimizer.testing import random_scenario

    seeds = []
    for seed in range(40):
        s = parse_scenario(random_scenario(seed))
        if s.is_mip:
            continue
        r = solve(s)
        if r.status == "optimal" and any(b["value"] > 1e-6 for b in r.shadow_prices["budgets"]):
            seeds.append(seed)
    return seeds[:3]


@pytest.mark.parametrize("seed", _lp_seeds_with_prices())
def test_ranges_on_random_scenarios_hold_by_core_resolves(seed: int) -> None:
    """Each budget's range, checked by the core's own solve: on the price's line at its end, below it just past."""
    from optimizer.testing import random_scenario

    data = random_scenario(seed)
    s = parse_scenario(data)
    rep = run_analysis("sensitivity", s)
    f0 = solve(s).objective

    def f(pool: str, year: int, extra: float) -> float:
        moved = copy.deepcopy(data)
        p = next(p for p in moved["pools"] if p["id"] == pool)
        budget = p["budget"] if isinstance(p["budget"], list) else [p["budget"]] * moved["horizon_years"]
        p["budget"] = [b + (extra if t == year - 1 else 0.0) for t, b in enumerate(budget)]
        return solve(parse_scenario(moved)).objective

    checked = 0
    for item in rep["items"]:
        if item["target"]["rule"] != "budget" or item["price"] == 0:
            continue
        pool, year, price, reach = item["target"]["pool"], item["target"]["year"], item["price"], item["range"]
        assert f(pool, year, reach) == pytest.approx(f0 + price * reach, rel=1e-6, abs=1e-6)
        if not item["range_capped"]:
            past = reach * 1.05 + 1.0
            assert f(pool, year, past) < f0 + price * past - 1e-7 * max(1.0, abs(f0))
        checked += 1
    assert checked
