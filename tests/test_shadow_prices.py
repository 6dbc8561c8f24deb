"""Shadow prices confirmed by finite differences: re-solve with the budget (or the rule) moved.

The optimal objective of a (maximising) LP is concave in the right-hand side
of a row, and a correct dual is a supergradient there: with a step h,

    (f(b + h) - f(b)) / h  <=  dual  <=  (f(b) - f(b - h)) / h.

Both one-sided slopes are measured by re-solving; this holds even at
degenerate optima where the two slopes differ. Where they agree (the usual
case), the dual must equal them.
"""

from __future__ import annotations

import copy

import pytest

from optimizer.scenario import parse_scenario
from optimizer.solve import solve
from optimizer.testing import random_scenario

TOL = 1e-6


def _objective(data: dict, solver: str = "highs") -> float:
    r = solve(parse_scenario(data), solver)
    assert r.status == "optimal", r.message
    return r.objective


def _with_budget(data: dict, pool_index: int, year: int, delta: float) -> dict:
    out = copy.deepcopy(data)
    pool = out["pools"][pool_index]
    budget = pool["budget"] if isinstance(pool["budget"], list) else [pool["budget"]] * out["horizon_years"]
    budget = [float(b) for b in budget]
    budget[year - 1] += delta
    pool["budget"] = budget
    return out


def _lp_seeds() -> list[int]:
    seeds = []
    for seed in range(60):
        data = random_scenario(seed)
        r = solve(parse_scenario(data), "highs")
        if r.status == "optimal" and r.summary["total_spending"] > 0:
            seeds.append(seed)
    return seeds[:12]


@pytest.mark.parametrize("solver", ["highs", "ortools-glop", "cbc"])
@pytest.mark.parametrize("seed", _lp_seeds())
def test_budget_shadow_prices_match_finite_differences(seed: int, solver: str) -> None:
    data = random_scenario(seed)
    result = solve(parse_scenario(data), solver)
    base = result.objective
    pools = [p["id"] for p in data["pools"]]
    for price in result.shadow_prices["budgets"]:
        p, year = pools.index(price["pool"]), price["year"]
        budget = parse_scenario(data).budget(parse_scenario(data).pools[p])[year - 1]
        h = max(1.0, 1e-3 * budget)
        up = (_objective(_with_budget(data, p, year, h)) - base) / h
        scale = 1.0 + abs(price["value"])
        assert up <= price["value"] + TOL * scale * 10, (price, up)
        if budget >= h:
            down = (base - _objective(_with_budget(data, p, year, -h))) / h
            assert price["value"] <= down + TOL * scale * 10, (price, down)
            if abs(up - down) < 1e-9 * scale:
                assert price["value"] == pytest.approx(up, rel=1e-5, abs=1e-7)


def test_a_binding_budget_has_a_positive_price_and_a_slack_one_none(tiny) -> None:
    r = solve(tiny)
    values = {(b["pool"], b["year"]): b["value"] for b in r.shadow_prices["budgets"]}
    spent = {(x["pool"], x["year"]): x["spend"] for x in r.summary["spending_by_pool_year"]}
    budgets = {(p.id, t + 1): tiny.budget(p)[t] for p in tiny.pools for t in range(tiny.H)}
    for key, value in values.items():
        if spent[key] < budgets[key] - 1e-6:
            assert value == pytest.approx(0.0, abs=1e-9), key
    assert any(v > 0 for v in values.values())


@pytest.mark.parametrize("seed", [s for s in range(40) if random_scenario(s).get("policy", {}).get("area_cap")][:4])
def test_area_cap_price_matches_finite_differences(seed: int) -> None:
    """In each case the cap binds (some area-year spends exactly the cap, and the rule is listed as binding) and its price is positive.

    Without that, the price would be 0 and both one-sided slopes 0: the comparison would pass whatever the duals.
    """
    data = random_scenario(seed)
    r = solve(parse_scenario(data))
    assert r.status == "optimal", r.message
    price = next(p["value"] for p in r.shadow_prices["rules"] if p["rule"] == "area_cap")
    cap = data["policy"]["area_cap"]
    by_area_year: dict[tuple[str, int], float] = {}
    for row in r.allocation_rows():
        by_area_year[(row["area"], row["year"])] = by_area_year.get((row["area"], row["year"]), 0.0) + row["spend"]
    assert max(by_area_year.values()) == pytest.approx(cap, rel=1e-6), "the area cap does not bind in this case"
    assert "area_cap" in {b["rule"] for b in r.binding_rules}
    assert price > 1e-6
    h = max(1.0, 1e-3 * cap)
    bumped = copy.deepcopy(data)
    bumped["policy"]["area_cap"] = cap + h
    up = (_objective(bumped) - r.objective) / h
    lowered = copy.deepcopy(data)
    lowered["policy"]["area_cap"] = cap - h
    down = (r.objective - _objective(lowered)) / h
    assert up - 1e-5 * (1 + abs(price)) <= price <= down + 1e-5 * (1 + abs(price))


def test_mip_shadow_prices_are_those_of_the_fixed_launch_lp() -> None:
    """For a MIP the budget prices are the LP's with the launches fixed: check them by moving the budget with y fixed.

    The fixed-launch LPs are solved through the one entry point (optimizer/session.py: money scaled, solution checked).
    """
    import numpy as np

    from optimizer.backends import Options, get_backend
    from optimizer.coefficients import compute
    from optimizer.programme import build
    from optimizer.session import solve_programme

    for seed in range(40):
        data = random_scenario(seed, mip=True)
        s = parse_scenario(data)
        r = solve(s)
        if r.status == "optimal" and r.launches:
            break
    else:  # pragma: no cover
        pytest.fail("no MIP seed with launches")
    assert r.shadow_prices["integers_fixed"] is True
    k = compute(s)
    prog = build(s, k)
    launched = {(x["area"], x["intervention"]) for x in r.launches}
    ints = np.nonzero(prog.integer)[0]
    y = np.array(
        [1.0 if (k.area_ids[prog.pair_area[p]], k.intervention_ids[prog.pair_iv[p]]) in launched else 0.0 for p in prog.launch_pair]
    )
    prog.col_lower[ints] = y
    prog.col_upper[ints] = y
    prog.integer[:] = False
    base = solve_programme(get_backend("highs"), prog, Options())
    assert base.x is not None, base.message
    block = prog.rows["budget"]
    for j, price in enumerate(r.shadow_prices["budgets"]):
        row = block.start + j
        h = max(1.0, 1e-3 * prog.row_upper[row])
        prog.row_upper[row] += h
        up = solve_programme(get_backend("highs"), prog, Options())
        assert up.x is not None, up.message
        prog.row_upper[row] -= h
        slope = (float(prog.c @ up.x) - float(prog.c @ base.x)) / h
        assert slope <= price["value"] + 1e-5 * (1 + abs(price["value"]))


def test_community_wealth_fund_price_is_the_change_per_percentage_point(tiny_data) -> None:
    """Raise min_share by a tenth of a point and re-solve: the slope matches the reported price (a cost, so <= 0)."""
    data = copy.deepcopy(tiny_data)
    data["policy"]["community_wealth_fund"]["min_share"] = 0.8  # binding in the tiny scenario
    r = solve(parse_scenario(data))
    price = next(p["value"] for p in r.shadow_prices["rules"] if p["rule"] == "community_wealth_fund.min_share")
    assert price < 0
    h = 0.001
    data["policy"]["community_wealth_fund"]["min_share"] = 0.8 + h
    up = (solve(parse_scenario(data)).objective - r.objective) / (h * 100)
    data["policy"]["community_wealth_fund"]["min_share"] = 0.8 - h
    down = (r.objective - solve(parse_scenario(data)).objective) / (h * 100)
    assert min(up, down) - 1e-3 * abs(price) <= price <= max(up, down) + 1e-3 * abs(price)
