"""The checker (optimizer/check.py) catches hand-made violations and accepts a hand-made valid result.

No solver is used here. The scenario below and the result in :func:`valid_result`
are worked out by hand; every figure of the result's objective and summary is
derived in the docstring of :func:`valid_result`.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from optimizer.check import (
    Violation,
    check_result,
    deprived_areas,
    recompute_objective,
    recompute_summary,
)
from optimizer.scenario import parse_scenario


def scenario_dict() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "checker fixture",
        "horizon_years": 2,
        "appraisal_years": 3,
        "discount_rate": 0.25,  # d = 1, 0.8, 0.64
        "pools": [
            {"id": "council", "name": "Council", "budget": [10000, 8000], "reinvest_rate": 0.5},
            {"id": "police", "name": "Police", "budget": 3000, "areas": ["A1", "A2"], "interventions": ["diversion"]},
        ],
        "agencies": [{"id": "dwp", "name": "DWP"}],
        "outcomes": [
            {"id": "care", "name": "Care entry", "unit_costs": {"council": 1000}},
            {"id": "callout", "name": "Call-out", "unit_costs": {"police": 1000}, "social_value": 100},
            {"id": "claim", "name": "Benefit claim", "unit_costs": {"dwp": 50}},
        ],
        "areas": [
            {"id": "A1", "imd_decile": 1, "imd_rank": 10, "population": 1000, "groups": {"families": 40, "young": 60}},
            {"id": "A2", "imd_decile": 4, "imd_rank": 5000, "population": 2000, "groups": {"families": 100, "young": 100}},
            {"id": "A3", "imd_decile": 9, "imd_rank": 9000, "population": 500, "groups": {"families": 10, "young": 10}},
        ],
        "interventions": [
            {
                "id": "help",
                "name": "Early help",
                "target_group": "families",
                "unit_cost": 500,
                "max_coverage": 0.5,
                "effects": [{"outcome": "care", "per_participant": 0.5, "duration_years": 2}, {"outcome": "claim", "per_participant": 1}],
            },
            {
                "id": "diversion",
                "name": "Youth diversion",
                "target_group": "young",
                "unit_cost": 200,
                "max_coverage": 0.3,
                "fixed_cost": 1000,
                "min_participants": 5,
                "effects": [{"outcome": "callout", "per_participant": 1, "lag_years": 1}],
            },
        ],
        "policy": {
            "community_wealth_fund": {"min_share": 0.3, "max_decile": 1, "per_capita_floor": 1},
            "no_agency_worse_off": True,
            "equity_weights": {"1": 1.5},
            "social_value_weight": 0.5,
            "area_cap": 6000,
        },
    }


def row(area: str, iv: str, pool: str, year: int, participants: float) -> dict[str, Any]:
    cost = {"help": 500.0, "diversion": 200.0}[iv]
    return {"area": area, "intervention": iv, "pool": pool, "year": year, "spend": participants * cost, "participants": float(participants)}


def valid_result() -> dict[str, Any]:
    """A feasible point, with its objective and summary worked out by hand.

    Discount factors (r = 0.25): d1 = 1, d2 = 0.8, d3 = 0.64. A = 3.

    Allocations: help in A1 (council) 10 participants in year 1 (£5,000) and 4 in
    year 2 (£2,000); help in A2 (council) 6 in year 1 (£3,000); diversion in A1
    (police) 5 in each year (£1,000 a year), launched with its fixed cost £1,000
    paid by police.

    Present values per participant:
      help, t=1: council 0.5 x 1000 x (d1 + d2) = 900; dwp 1 x 50 x d1 = 50; total 950
      help, t=2: council 0.5 x 1000 x (d2 + d3) = 720; dwp 50 x d2 = 40; total 760
      diversion (lag 1), t=1: police 1000 x d2 = 800; social S = 100 x d2 = 80
      diversion, t=2: police 1000 x d3 = 640; S = 100 x d3 = 64
    Weights: A1 (decile 1) 1.5, A2 1; lambda = 0.5.
    Benefits: help A1 t1 1.5 x 950 x 10 = 14,250; help A1 t2 1.5 x 760 x 4 = 4,560;
      help A2 t1 950 x 6 = 5,700; diversion A1 t1 1.5 x (800 + 40) x 5 = 6,300;
      diversion A1 t2 1.5 x (640 + 32) x 5 = 5,040. Sum 35,850.
    Discounted costs: year 1 9,000; year 2 0.8 x 3,000 = 2,400; fixed 1,000. Sum 12,400.
    Objective 35,850 - 12,400 = 23,450.

    Summary: total spending 13,000; discounted 12,400. Savings: council
    900 x 16 + 720 x 4 = 17,280; police 800 x 5 + 640 x 5 = 7,200; dwp 50 x 16 + 40 x 4
    = 960. Spending: council 8,000 + 0.8 x 2,000 = 9,600; police 1,000 + 1,000 + 0.8 x 1,000
    = 2,800; dwp 0. Social value 80 x 5 + 64 x 5 = 720. BCR 25,440 / 12,400.
    Deprived (A1) 10,000 of 13,000. Decile 1: 10,000, decile 4: 3,000.

    The rules hold: budgets council 8,000 <= 10,000 and 2,000 <= 8,000 + 0.5 x 500 x 16;
    police 2,000 <= 3,000 and 1,000 <= 3,000. Coverage help A1 <= 20, A2 <= 50, diversion
    A1 <= 18 and >= 5. CWF 10,000 >= 0.3 x 13,000. Floor A1 6,000 and 3,000 >= 1,000.
    Area cap A1 year 1: 6,000 <= 6,000 (fixed costs are not in rule 10). No agency worse
    off: council 9,600 <= 17,280; police 2,800 <= 7,200.
    """
    return {
        "model_version": 1,
        "status": "optimal",
        "objective": 23450.0,
        "allocations": [
            row("A1", "help", "council", 1, 10),
            row("A1", "help", "council", 2, 4),
            row("A2", "help", "council", 1, 6),
            row("A1", "diversion", "police", 1, 5),
            row("A1", "diversion", "police", 2, 5),
        ],
        "launches": [{"area": "A1", "intervention": "diversion", "fixed_cost_by_pool": {"police": 1000.0}}],
        "summary": {
            "total_spending": 13000.0,
            "total_spending_discounted": 12400.0,
            "savings_by_agency": {"council": 17280.0, "police": 7200.0, "dwp": 960.0},
            "spending_by_agency": {"council": 9600.0, "police": 2800.0, "dwp": 0.0},
            "net_position_by_agency": {"council": 7680.0, "police": 4400.0, "dwp": 960.0},
            "social_value": 720.0,
            "benefit_cost_ratio": 25440.0 / 12400.0,
            "deprived_share": 10000.0 / 13000.0,
            "spending_by_decile": {str(d): {1: 10000.0, 4: 3000.0}.get(d, 0.0) for d in range(1, 11)},
            "spending_by_pool_year": [
                {"pool": "council", "year": 1, "spend": 8000.0},
                {"pool": "council", "year": 2, "spend": 2000.0},
                {"pool": "police", "year": 1, "spend": 2000.0},
                {"pool": "police", "year": 2, "spend": 1000.0},
            ],
        },
    }


def refresh(scenario, result: dict[str, Any]) -> dict[str, Any]:
    """Restate objective and summary after tampering with rows, to isolate the rule under test."""
    result["objective"] = recompute_objective(scenario, result)
    result["summary"] = recompute_summary(scenario, result)
    return result


def has(violations: list[Violation], rule: int, **keys: Any) -> bool:
    return any(v.rule == rule and all(getattr(v, k) == val for k, val in keys.items()) for v in violations)


def find(violations: list[Violation], rule: int, **keys: Any) -> Violation:
    for v in violations:
        if v.rule == rule and all(getattr(v, k) == val for k, val in keys.items()):
            return v
    raise AssertionError(f"no violation of rule {rule} {keys} in {[str(v) for v in violations]}")


@pytest.fixture
def s():
    return parse_scenario(scenario_dict())


# ---------------------------------------------------------------------------
# the valid result and the recomputed figures
# ---------------------------------------------------------------------------


def test_valid_result_is_accepted(s):
    assert check_result(s, valid_result()) == []


def test_objective_recomputed_by_hand(s):
    assert recompute_objective(s, valid_result()) == pytest.approx(23450.0, rel=1e-12)


def test_summary_recomputed_by_hand(s):
    want = valid_result()["summary"]
    got = recompute_summary(s, valid_result())
    for key in ("total_spending", "total_spending_discounted", "social_value", "benefit_cost_ratio", "deprived_share"):
        assert got[key] == pytest.approx(want[key], rel=1e-12), key
    for key in ("savings_by_agency", "spending_by_agency", "net_position_by_agency", "spending_by_decile"):
        assert got[key] == pytest.approx(want[key], rel=1e-12), key
    got_py = {(r["pool"], r["year"]): r["spend"] for r in got["spending_by_pool_year"]}
    assert got_py == {(r["pool"], r["year"]): r["spend"] for r in want["spending_by_pool_year"]}


def test_empty_result_summary_has_nulls(s):
    empty = {"status": "optimal", "objective": 0.0, "allocations": [], "launches": []}
    got = recompute_summary(s, empty)
    assert got["total_spending"] == 0 and got["benefit_cost_ratio"] is None and got["deprived_share"] is None
    # spending nothing breaks only the per-capita floor in A1 (1,000 a year)
    assert {(v.rule, v.area, v.year) for v in check_result(s, refresh(s, empty))} == {(8, "A1", 1), (8, "A1", 2)}


def test_infeasible_result_without_rows_is_accepted(s):
    assert check_result(s, {"status": "infeasible", "objective": None, "allocations": [], "launches": [], "summary": None}) == []


def test_infeasible_result_with_rows_is_refused(s):
    bad = valid_result()
    bad["status"] = "infeasible"
    assert has(check_result(s, bad), 0, name="status")


def test_fixed_costs_are_outside_the_area_cap_and_floor(s):
    """Area cap 6,000 is met exactly by x in A1 year 1 (the £1,000 fixed cost is not x)."""
    assert not has(check_result(s, valid_result()), 10)


# ---------------------------------------------------------------------------
# tampered results: each must produce the expected violation
# ---------------------------------------------------------------------------


def test_overspent_budget(s):
    bad = valid_result()
    bad["allocations"][2] = row("A2", "help", "council", 1, 11)  # council year 1: 5,000 + 5,500 = 10,500
    v = find(check_result(s, refresh(s, bad)), 5, pool="council", year=1)
    assert v.amount == pytest.approx(10500) and v.limit == pytest.approx(10000)


def test_reinvested_savings_raise_the_budget():
    """Council year 2 spends 9,500 > 8,000, within 8,000 + 0.5 x 500 x 16 = 12,000."""
    data = scenario_dict()
    result = valid_result()
    result["allocations"] += [row("A2", "help", "council", 2, 10), row("A3", "help", "council", 2, 5)]
    s = parse_scenario(data)
    assert check_result(s, refresh(s, result)) == []
    data["pools"][0]["reinvest_rate"] = 0.0
    s0 = parse_scenario(data)
    v = find(check_result(s0, refresh(s0, result)), 5, pool="council", year=2)
    assert v.amount == pytest.approx(9500) and v.limit == pytest.approx(8000)


def test_reinvestment_counts_cash_of_year_t_minus_1_only():
    """A lag-1 effect saves no cash in year 1, so nothing is reinvested in year 2."""
    data = scenario_dict()
    data["interventions"][0]["effects"] = [{"outcome": "care", "per_participant": 0.5, "lag_years": 1}]
    s = parse_scenario(data)
    result = valid_result()
    result["allocations"] += [row("A2", "help", "council", 2, 13)]  # council year 2: 2,000 + 6,500 = 8,500
    v = find(check_result(s, refresh(s, result)), 5, pool="council", year=2)
    assert v.limit == pytest.approx(8000)


def test_funding_outside_a_footprint(s):
    bad = valid_result()
    bad["allocations"].append(row("A3", "diversion", "police", 1, 1))  # police's footprint is A1, A2
    assert has(check_result(s, refresh(s, bad)), 0, name="allowed triple", pool="police", area="A3", intervention="diversion")


def test_funding_outside_a_ring_fence(s):
    bad = valid_result()
    bad["allocations"].append(row("A2", "help", "police", 1, 1))  # police funds only diversion
    assert has(check_result(s, refresh(s, bad)), 0, name="allowed triple", pool="police", area="A2", intervention="help")


def test_fixed_cost_paid_outside_a_footprint(s):
    bad = valid_result()
    bad["allocations"] += [row("A3", "diversion", "council", 1, 1), row("A3", "diversion", "council", 2, 1)]
    bad["launches"].append({"area": "A3", "intervention": "diversion", "fixed_cost_by_pool": {"police": 1000.0}})
    assert has(check_result(s, refresh(s, bad)), 0, name="allowed triple", pool="police", area="A3")


def test_broken_cwf_share_national():
    data = scenario_dict()
    data["policy"]["community_wealth_fund"]["min_share"] = 0.8  # A1 has 10,000 of 13,000
    s = parse_scenario(data)
    v = find(check_result(s, valid_result()), 7)
    assert v.amount == pytest.approx(10000) and v.limit == pytest.approx(0.8 * 13000)


def test_broken_cwf_share_local():
    """Local basis, max_decile 3, 3 areas: ceil(0.9) = 1 area, the least rank: A3 once ranks are turned round."""
    data = scenario_dict()
    data["policy"]["community_wealth_fund"].update({"basis": "local", "max_decile": 3, "per_capita_floor": 0})
    for area, rank in zip(data["areas"], (300, 200, 100), strict=True):
        area["imd_rank"] = rank
    s = parse_scenario(data)
    assert deprived_areas(s) == {"A3"}
    v = find(check_result(s, valid_result()), 7)
    assert v.amount == 0 and v.limit == pytest.approx(0.3 * 13000)


def test_deprived_areas_local_ceiling_and_ties():
    """4 areas, max_decile 3: ceil(1.2) = 2 areas. Ranks c 50, a 100, b 100, d 900: ties go by id -> {c, a}."""
    data = scenario_dict()
    data["areas"] = [
        {"id": i, "imd_decile": 6, "imd_rank": r, "population": 100, "groups": {}}
        for i, r in (("b", 100), ("d", 900), ("c", 50), ("a", 100))
    ]
    data["pools"][1]["areas"] = ["a"]
    data["policy"]["community_wealth_fund"] = {"min_share": 0.5, "max_decile": 3, "basis": "local"}
    assert deprived_areas(parse_scenario(data)) == {"c", "a"}
    data["policy"]["community_wealth_fund"]["basis"] = "national"
    assert deprived_areas(parse_scenario(data)) == set()
    data["policy"]["community_wealth_fund"]["max_decile"] = 6
    assert deprived_areas(parse_scenario(data)) == {"a", "b", "c", "d"}


def test_broken_coverage(s):
    bad = valid_result()
    bad["allocations"][1] = row("A1", "help", "council", 2, 21)  # U = 0.5 x 40 = 20
    v = find(check_result(s, refresh(s, bad)), 2, area="A1", intervention="help", year=2)
    assert v.amount == pytest.approx(21) and v.limit == pytest.approx(20)


def test_participants_where_not_launched(s):
    bad = valid_result()
    bad["allocations"].append(row("A2", "diversion", "police", 1, 2))  # diversion has y; not launched in A2
    v = find(check_result(s, refresh(s, bad)), 2, area="A2", intervention="diversion", year=1)
    assert v.limit == 0


def test_broken_minimum_scale(s):
    bad = valid_result()
    bad["allocations"][4] = row("A1", "diversion", "police", 2, 3)  # m = 5
    v = find(check_result(s, refresh(s, bad)), 3, area="A1", intervention="diversion", year=2)
    assert v.amount == pytest.approx(3) and v.limit == 5


def test_minimum_scale_applies_in_every_year(s):
    bad = valid_result()
    del bad["allocations"][4]  # launched, but nobody in year 2
    assert has(check_result(s, refresh(s, bad)), 3, area="A1", intervention="diversion", year=2)


def test_fixed_cost_underpaid(s):
    bad = valid_result()
    bad["launches"][0]["fixed_cost_by_pool"] = {"police": 500.0}
    v = find(check_result(s, refresh(s, bad)), 4, area="A1", intervention="diversion")
    assert v.amount == pytest.approx(500) and v.limit == 1000


def test_launch_without_a_launch_variable(s):
    bad = valid_result()
    bad["launches"].append({"area": "A1", "intervention": "help", "fixed_cost_by_pool": {}})
    assert has(check_result(s, refresh(s, bad)), 4, area="A1", intervention="help")


def test_broken_capacity():
    data = scenario_dict()
    data["interventions"][0]["capacity"] = 12  # year 1 has 10 + 6 = 16
    s = parse_scenario(data)
    v = find(check_result(s, valid_result()), 6, intervention="help", year=1)
    assert v.amount == pytest.approx(16) and v.limit == 12


def test_broken_per_capita_floor():
    data = scenario_dict()
    data["policy"]["community_wealth_fund"]["per_capita_floor"] = 4  # A1: 4,000 a year; year 2 has 3,000
    s = parse_scenario(data)
    violations = check_result(s, valid_result())
    v = find(violations, 8, area="A1", year=2)
    assert v.amount == pytest.approx(3000) and v.limit == pytest.approx(4000)
    assert not has(violations, 8, year=1)


def test_broken_no_agency_worse_off():
    data = scenario_dict()
    data["outcomes"][1]["unit_costs"]["police"] = 200  # police saves 160 x 5 + 128 x 5 = 1,440 < 2,800
    s = parse_scenario(data)
    v = find(check_result(s, refresh(s, valid_result())), 9, pool="police")
    assert v.amount == pytest.approx(2800) and v.limit == pytest.approx(1440)
    assert not has(check_result(s, refresh(s, valid_result())), 9, pool="council")


def test_broken_area_cap():
    data = scenario_dict()
    data["policy"]["area_cap"] = 5000
    s = parse_scenario(data)
    v = find(check_result(s, valid_result()), 10, area="A1", year=1)
    assert v.amount == pytest.approx(6000) and v.limit == 5000


def test_participants_not_spend_over_unit_cost(s):
    bad = valid_result()
    bad["allocations"][0]["participants"] = 11.0  # spend 5,000 / 500 = 10
    assert has(check_result(s, bad), 1, area="A1", intervention="help", year=1)


def test_year_outside_horizon(s):
    bad = valid_result()
    bad["allocations"].append(row("A2", "help", "council", 3, 1))
    assert has(check_result(s, refresh(s, bad)), 0, name="year", year=3)


def test_negative_spend(s):
    bad = valid_result()
    bad["allocations"].append(row("A2", "help", "council", 2, -1))
    violations = check_result(s, refresh(s, bad))
    assert has(violations, 0, name="spend", area="A2", year=2)
    assert has(violations, 1, area="A2", year=2)


def test_unknown_ids(s):
    bad = valid_result()
    bad["allocations"].append(row("A9", "help", "council", 1, 1))
    assert has(check_result(s, bad), 0, name="unknown id", area="A9")


def test_wrong_objective(s):
    bad = valid_result()
    bad["objective"] = 23451.0
    v = find(check_result(s, bad), 0, name="objective")
    assert v.limit == pytest.approx(23450)


@pytest.mark.parametrize(
    "path, value",
    [
        (("total_spending",), 13001.0),
        (("total_spending_discounted",), 13000.0),  # undiscounted by mistake
        (("savings_by_agency", "dwp"), 0.0),
        (("spending_by_agency", "police"), 1800.0),  # fixed cost left out
        (("net_position_by_agency", "council"), 0.0),
        (("social_value",), 1080.0),  # weighted by equity weight 1.5 by mistake
        (("benefit_cost_ratio",), 2.0),
        (("deprived_share",), 0.5),
        (("spending_by_decile", "4"), 0.0),
    ],
)
def test_wrong_summary_figure(s, path, value):
    bad = valid_result()
    target = bad["summary"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert has(check_result(s, bad), 0, name="summary")


def test_summary_lacking_an_agency(s):
    bad = valid_result()
    del bad["summary"]["savings_by_agency"]["dwp"]
    assert has(check_result(s, bad), 0, name="summary", pool="dwp")


def test_wrong_spending_by_pool_year(s):
    bad = valid_result()
    bad["summary"]["spending_by_pool_year"][2]["spend"] = 1000.0  # police year 1 without its fixed cost
    assert has(check_result(s, bad), 0, name="summary", pool="police", year=1)


def test_missing_summary(s):
    bad = valid_result()
    bad["summary"] = None
    assert has(check_result(s, bad), 0, name="summary")


@pytest.mark.parametrize("excess, caught", [(1e-9, False), (1e-3, True)])
def test_tolerance_is_relative(s, excess, caught):
    """Council year 1 spends 8,000; budget 10,000. Push it over by excess x 10,000."""
    bad = valid_result()
    extra = 2000 + excess * 10000
    bad["allocations"].append(
        {"area": "A2", "intervention": "help", "pool": "council", "year": 1, "spend": extra, "participants": extra / 500}
    )
    assert has(check_result(s, refresh(s, bad)), 5, pool="council", year=1) is caught


def test_violation_reads_well(s):
    bad = valid_result()
    bad["allocations"][2] = row("A2", "help", "council", 1, 11)
    text = str(find(check_result(s, refresh(s, bad)), 5))
    assert "budget" in text and "council" in text and "year=1" in text


def test_copy_safety():
    """valid_result() returns fresh dicts, so tests cannot leak into each other."""
    a = valid_result()
    b = copy.deepcopy(a)
    a["allocations"].clear()
    assert valid_result() == b


# ---------------------------------------------------------------------------
# the generator of random scenarios (optimizer/testing.py)
# ---------------------------------------------------------------------------


def test_random_scenarios_are_valid_and_deterministic():
    from optimizer.testing import random_scenario

    for seed in range(50):
        for mip in (False, True):
            data = random_scenario(seed, mip=mip)
            s = parse_scenario(data)
            assert 2 <= len(s.areas) <= 6 and 1 <= len(s.pools) <= 3 and 1 <= len(s.interventions) <= 4
            assert 1 <= s.H <= 3 and s.A >= s.H and 2 <= len(s.outcomes) <= 4
            assert s.is_mip is mip
            assert random_scenario(seed, mip=mip) == data


def test_random_scenarios_switch_every_rule_on():
    """Across seeds 0..49 every rule is on somewhere: LP draws all LP rules, MIP draws all rules."""
    from optimizer.testing import LP_RULES, MIP_RULES, random_scenario, rules_on

    lp_on: set[str] = set()
    mip_on: set[str] = set()
    for seed in range(50):
        lp_on |= rules_on(random_scenario(seed))
        mip_on |= rules_on(random_scenario(seed, mip=True))
    assert LP_RULES - lp_on == set()
    assert (LP_RULES | MIP_RULES) - mip_on == set()
    assert not lp_on & MIP_RULES


def test_random_scenarios_value_often_exceeds_cost():
    """A good share of interventions are worth more than they cost (undiscounted, year 1, all agencies)."""
    from optimizer.testing import random_scenario

    worth = count = 0
    for seed in range(50):
        s = parse_scenario(random_scenario(seed))
        for iv in s.interventions:
            value = sum(
                e.per_participant * sum(o.unit_costs.values()) * max(0, min(e.lag_years + e.duration_years, s.A) - e.lag_years)
                for e in iv.effects
                for o in s.outcomes
                if o.id == e.outcome
            )
            worth += value > iv.unit_cost
            count += 1
    assert worth >= 0.5 * count, (worth, count)


@pytest.mark.parametrize("size, lo, hi", [("medium", 20, 60), ("large", 300, 1000)])
def test_random_scenarios_larger_sizes(size, lo, hi):
    from optimizer.testing import random_scenario

    s = parse_scenario(random_scenario(1, size=size))
    assert lo <= len(s.areas) <= hi
