"""The tight-budget Manchester scenario (scenarios/tight/manchester_tight.json): the board's answers, checked by re-solving.

On generous budgets only coverage limits bind; this scenario is built so that money,
the Community Wealth Fund share and "no agency worse off" bind, and each answer a
board reads off it is confirmed here by independent evidence rather than by a
stored figure:

* the budgets bind: spending recomputed from the allocations by the independent
  checker (optimizer/check.py) equals the budget in every year for at least two pools;
* each budget's shadow price is the slope of the optimum found by re-solving with
  that pool-year's budget moved by 1 % up and down (the bracketing argument of
  tests/test_shadow_prices.py: a correct dual of a maximising LP lies between the
  two one-sided slopes, and equals them where they agree);
* the Community Wealth Fund share binds: relaxing it one percentage point does not
  lower the optimum, tightening it does not raise it, and its price (a change in
  net value per percentage point, so negative: a cost) is the slope of the two;
* the allocation keeps every rule of the contract (optimizer/check.py) and the file
  is what scenarios/build_scenarios.py writes, differing from manchester.json only
  in the settings scenarios/README.md names.

The helpers of tests/test_shadow_prices.py are not imported: importing that module
solves 60 random scenarios at collection time.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from optimizer.check import check_result, recompute_objective, recompute_summary
from optimizer.result import Result
from optimizer.scenario import parse_scenario
from optimizer.solve import solve

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TIGHT = SCENARIOS / "tight" / "manchester_tight.json"
BASE = SCENARIOS / "manchester.json"
STEP = 0.01  # budgets are moved by 1 % of themselves
CWF = "community_wealth_fund.min_share"


def _data() -> dict[str, Any]:
    return json.loads(TIGHT.read_text(encoding="utf-8"))


@cache
def _solved() -> tuple[Result, dict[str, Any]]:
    result = solve(parse_scenario(_data()))
    assert result.status == "optimal", result.message
    return result, result.to_dict()


def _objective(data: dict[str, Any]) -> float:
    result = solve(parse_scenario(data))
    assert result.status == "optimal", result.message
    assert result.objective is not None
    return result.objective


def _with_budget(data: dict[str, Any], pool: str, year: int, delta: float) -> dict[str, Any]:
    out = copy.deepcopy(data)
    entry = next(p for p in out["pools"] if p["id"] == pool)
    budget = [float(b) for b in entry["budget"]]
    budget[year - 1] += delta
    entry["budget"] = budget
    return out


def _with_share(data: dict[str, Any], share: float) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["policy"]["community_wealth_fund"]["min_share"] = share
    return out


def _budget(data: dict[str, Any], pool: str, year: int) -> float:
    return float(next(p for p in data["pools"] if p["id"] == pool)["budget"][year - 1])


def _binding_budgets() -> list[tuple[str, int]]:
    """Pool-years whose spending, recomputed from the allocations, is the whole budget."""
    data = _data()
    _, result = _solved()
    spent = {(r["pool"], r["year"]): r["spend"] for r in recompute_summary(parse_scenario(data), result)["spending_by_pool_year"]}
    return [(p, t) for (p, t), v in sorted(spent.items()) if v >= _budget(data, p, t) * (1 - 1e-9) - 1e-3]


# -- (a) money binds, and its price is what one more pound buys ----------------------------------


def test_money_binds_in_every_year_for_at_least_two_pools() -> None:
    data = _data()
    binding = _binding_budgets()
    full_every_year = [p["id"] for p in data["pools"] if all((p["id"], t) in binding for t in range(1, data["horizon_years"] + 1))]
    assert len(full_every_year) >= 2, binding
    # and the result says so, with a positive price, for each of those pool-years
    result, _ = _solved()
    reported = {(b["pool"], b["year"]): b["value"] for b in result.binding_rules if b["rule"] == "budget"}
    for pool in full_every_year:
        for t in range(1, data["horizon_years"] + 1):
            assert reported.get((pool, t), 0.0) > 0.0, (pool, t, reported)


def test_budget_prices_differ_between_pools() -> None:
    """The point of the scenario: an extra pound is worth more in one pool than another.

    Since the response bands (model version 2), a police or NHS pound is worth about £0.55 of net value and
    a council pound nothing: the council's spending is held by "no agency worse off", not by its budget.
    """
    result, _ = _solved()
    year1 = {b["pool"]: b["value"] for b in result.shadow_prices["budgets"] if b["year"] == 1}
    assert max(year1.values()) > 0.3 and min(year1.values()) == pytest.approx(0.0, abs=1e-9), year1
    held = [b for b in result.binding_rules if b["rule"] == "no_agency_worse_off"]
    assert [b["pool"] for b in held] == [min(year1, key=lambda p: year1[p])], held


@pytest.mark.parametrize("pool, year", _binding_budgets(), ids=lambda v: str(v))
def test_binding_budget_price_is_the_finite_difference(pool: str, year: int) -> None:
    data = _data()
    result, _ = _solved()
    base = result.objective
    assert base is not None
    price = next(b["value"] for b in result.shadow_prices["budgets"] if (b["pool"], b["year"]) == (pool, year))
    h = STEP * _budget(data, pool, year)
    up = (_objective(_with_budget(data, pool, year, +h)) - base) / h
    down = (base - _objective(_with_budget(data, pool, year, -h))) / h
    tol = 1e-6 * (1 + abs(price))
    # a correct dual lies between the one-sided slopes, even at a degenerate optimum
    assert up - tol <= price <= down + tol, (price, up, down)
    # here the two slopes agree (the price holds for more than 1 % of the budget), so the price is the slope
    assert up == pytest.approx(down, rel=1e-4, abs=1e-6), (up, down)
    assert price == pytest.approx(up, rel=1e-4, abs=1e-6)
    assert price > 0


def test_an_unspent_budget_has_no_price_and_more_of_it_buys_nothing() -> None:
    data = _data()
    result, _ = _solved()
    base = result.objective
    assert base is not None
    binding = set(_binding_budgets())
    slack = [(b["pool"], b["year"], b["value"]) for b in result.shadow_prices["budgets"] if (b["pool"], b["year"]) not in binding]
    assert slack, "every budget is spent out: the no-agency-worse-off rule no longer holds a pool back"
    for pool, year, price in slack:
        assert price == pytest.approx(0.0, abs=1e-9), (pool, year)
        gained = _objective(_with_budget(data, pool, year, STEP * _budget(data, pool, year))) - base
        assert gained == pytest.approx(0.0, abs=1e-6 * abs(base)), (pool, year, gained)


# -- (b) the Community Wealth Fund share binds, and what it costs ----------------------------------


def test_community_wealth_fund_share_binds_at_a_cost() -> None:
    data = _data()
    result, as_dict = _solved()
    share = data["policy"]["community_wealth_fund"]["min_share"]
    # met with equality, on the share recomputed from the allocations
    assert recompute_summary(parse_scenario(data), as_dict)["deprived_share"] == pytest.approx(share, abs=1e-6)
    # and reported with a price: the change in net value per percentage point more, a cost (docs/result-format.md)
    price = next(r["value"] for r in result.shadow_prices["rules"] if r["rule"] == CWF)
    assert price < 0


def test_relaxing_the_share_does_not_lower_the_optimum_and_tightening_does_not_raise_it() -> None:
    data = _data()
    result, _ = _solved()
    base = result.objective
    assert base is not None
    share = data["policy"]["community_wealth_fund"]["min_share"]
    relaxed = _objective(_with_share(data, round(share - 0.01, 10)))
    tightened = _objective(_with_share(data, round(share + 0.01, 10)))
    tol = 1e-9 * abs(base)
    assert relaxed >= base - tol
    assert tightened <= base + tol
    # the rule binds: a point either way moves the optimum, by about the reported price
    price = next(r["value"] for r in result.shadow_prices["rules"] if r["rule"] == CWF)
    up, down = tightened - base, base - relaxed  # change per percentage point more, on either side
    assert up < 0 and down < 0
    # the share multiplies all spending in the rule's row, so the optimum is not linear in it: 1 % of the price
    assert min(up, down) - 0.01 * abs(price) <= price <= max(up, down) + 0.01 * abs(price), (price, up, down)


def test_no_agency_worse_off_holds_back_at_least_one_pool() -> None:
    """The rule binds: some pool's discounted spending equals the savings it gets back, and loosening it is worth something."""
    data = _data()
    result, as_dict = _solved()
    summary = recompute_summary(parse_scenario(data), as_dict)
    priced = {r["pool"]: r["value"] for r in result.shadow_prices["rules"] if r["rule"] == "no_agency_worse_off"}
    held = [p for p, v in priced.items() if v > 0]
    assert held
    for pool in held:
        assert summary["net_position_by_agency"][pool] == pytest.approx(0.0, abs=1e-6 * summary["total_spending"])


@pytest.mark.parametrize("rule", [CWF, "no_agency_worse_off"])
def test_binding_rules_list_the_share_and_no_agency_worse_off(rule: str) -> None:
    """Rows with a bound of 0 whose terms cancel when they bind are reported, with the price the duals give."""
    result, _ = _solved()
    listed = [b for b in result.binding_rules if b["rule"] == rule]
    priced = [r for r in result.shadow_prices["rules"] if r["rule"] == rule and abs(r["value"]) > 1e-9]
    assert priced and len(listed) == len(priced)
    assert sorted(b["value"] for b in listed) == pytest.approx(sorted(r["value"] for r in priced))


# -- (c) the allocation keeps every rule; the file is the builder's --------------------------------


def test_the_independent_checker_accepts_the_solution() -> None:
    data = _data()
    result, as_dict = _solved()
    s = parse_scenario(data)
    assert check_result(s, as_dict) == []
    assert recompute_objective(s, as_dict) == pytest.approx(result.objective, rel=1e-9)


def test_the_file_is_what_the_builder_writes() -> None:
    spec = importlib.util.spec_from_file_location("build_scenarios", SCENARIOS / "build_scenarios.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.file_of("manchester_tight") == TIGHT
    assert module.text(module.build("manchester_tight")) == TIGHT.read_text(encoding="utf-8"), "stale: run scenarios/build_scenarios.py"


def test_same_place_and_evidence_as_manchester_but_for_the_named_settings() -> None:
    tight, base = _data(), json.loads(BASE.read_text(encoding="utf-8"))
    for key in set(tight) | set(base):
        if key not in ("name", "pools", "policy"):
            assert tight[key] == base[key], key
    assert [{k: v for k, v in p.items() if k != "budget"} for p in tight["pools"]] == [
        {k: v for k, v in p.items() if k != "budget"} for p in base["pools"]
    ]
    for p, q in zip(tight["pools"], base["pools"], strict=True):  # half the prevention slice, to the £1,000
        assert all(abs(a - b / 2) <= 1_000 for a, b in zip(p["budget"], q["budget"], strict=True)), p["id"]
    changed = {k for k in set(tight["policy"]) | set(base["policy"]) if tight["policy"].get(k) != base["policy"].get(k)}
    assert changed == {"community_wealth_fund", "no_agency_worse_off", "commitments"}
    assert tight["policy"]["commitments"] == [{"area": None, "intervention": "social_prescribing", "min_spend": 300000.0, "year": None}]
    assert tight["policy"]["no_agency_worse_off"] is True
    t_cwf, b_cwf = tight["policy"]["community_wealth_fund"], base["policy"]["community_wealth_fund"]
    assert {k for k in t_cwf if t_cwf[k] != b_cwf[k]} == {"min_share"} and t_cwf["min_share"] > b_cwf["min_share"]
    assert "manchester_tight.json" in (SCENARIOS / "README.md").read_text(encoding="utf-8")
