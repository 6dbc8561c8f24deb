"""Golden tests: one small scenario per rule of docs/model.md, its optimum worked out by hand.

Each test's docstring derives the optimum; the test asserts that every
installed back end (MIP cases: the MIP-capable ones) returns that objective to
1e-6 relative (PDLP, a first-order method: 1e-4), the key allocation, and a
result that the independent checker (optimizer/check.py) finds clean. Both
formulations of the programme are run: they must give the same optimum.

Unless said otherwise: H = A = 1, discount rate 0, one area "A1" of decile 5
with 100 families, coverage 0.5 (so U = 50 participants), unit cost £100, one
council pool, and "good" = an intervention worth £300 a participant to the
council (net £200).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from optimizer.check import check_result, recompute_objective
from optimizer.programme import FORMULATIONS
from optimizer.scenario import parse_scenario
from optimizer.solve import available_solvers, solve

BACKENDS = available_solvers()
MIP_CAPABLE = ("highs", "cbc", "ortools-scip")
MIP_BACKENDS = tuple(b for b in BACKENDS if b in MIP_CAPABLE)
LOOSE = {"ortools-pdlp": 1e-4}  # first-order method: looser objective and feasibility tolerance


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------


def area(id: str, decile: int = 5, *, pop: float = 1000, rank: int | None = None, **groups: float) -> dict[str, Any]:
    out: dict[str, Any] = {"id": id, "imd_decile": decile, "population": pop, "groups": groups or {"families": 100}}
    if rank is not None:
        out["imd_rank"] = rank
    return out


def iv(
    id: str, effects: list[dict[str, Any]], *, group: str = "families", cost: float = 100, cov: float = 0.5, **kw: Any
) -> dict[str, Any]:
    return {"id": id, "name": id, "target_group": group, "unit_cost": cost, "max_coverage": cov, "effects": effects, **kw}


def eff(outcome: str, e: float = 1.0, lag: int = 0, dur: int = 1) -> dict[str, Any]:
    return {"outcome": outcome, "per_participant": e, "lag_years": lag, "duration_years": dur}


def outcome(id: str, social: float = 0.0, **unit_costs: float) -> dict[str, Any]:
    return {"id": id, "name": id, "unit_costs": unit_costs, "social_value": social}


def pool(id: str, budget: Any, **kw: Any) -> dict[str, Any]:
    return {"id": id, "name": id, "budget": budget, **kw}


def scenario(
    *, areas=None, pools=None, interventions=None, outcomes=None, H=1, A=None, r=0.0, policy=None, agencies=None
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "golden",
        "horizon_years": H,
        "appraisal_years": A or H,
        "discount_rate": r,
        "pools": pools or [pool("council", 100000)],
        "agencies": agencies or [],
        "outcomes": outcomes or [outcome("o_good", council=300)],
        "areas": areas or [area("A1")],
        "interventions": interventions or [iv("good", [eff("o_good")])],
        "policy": policy or {},
        "solver": {"time_limit": 30, "mip_gap": 1e-9},
    }


def total(result: dict[str, Any], what: str = "spend", **keys: Any) -> float:
    """Sum of ``what`` over the allocation rows that match ``keys``."""
    return sum(r[what] for r in result["allocations"] if all(r[k] == v for k, v in keys.items()))


def run(data: dict[str, Any], backend: str, formulation: str, expected: float) -> dict[str, Any]:
    """Solve, assert optimal, the hand optimum, a clean check, and return the result dict."""
    s = parse_scenario(data)
    if s.is_mip and backend not in MIP_CAPABLE:
        pytest.skip(f"{backend} solves linear programmes only")
    result = solve(s, backend, formulation=formulation).to_dict()
    json.dumps(result, allow_nan=False)  # the result is JSON
    assert result["status"] == "optimal", result["message"]
    rel = LOOSE.get(backend, 1e-6)
    assert result["objective"] == pytest.approx(expected, rel=rel, abs=rel), (result["objective"], expected)
    violations = check_result(s, result, tol=LOOSE.get(backend, 1e-6))
    assert violations == [], "\n".join(map(str, violations))
    assert recompute_objective(s, result) == pytest.approx(result["objective"], rel=1e-9, abs=1e-6)
    return result


def approx(value: float, backend: str) -> Any:
    rel = LOOSE.get(backend, 1e-6)
    return pytest.approx(value, rel=rel, abs=1e-6 + rel * 100)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(params=MIP_BACKENDS)
def mip_backend(request) -> str:
    return request.param


@pytest.fixture(params=FORMULATIONS)
def formulation(request) -> str:
    return request.param


# ---------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------


def test_below_cost_is_left_unfunded(backend, formulation):
    """good: £300 - £100 = +£200 a participant; bad: 0.5 x £150 = £75 < £100 (net -£25).

    Budget £100,000 is ample. Optimum: good at U = 50 -> 50 x 200 = 10,000; bad 0.
    """
    data = scenario(
        outcomes=[outcome("o_good", council=300), outcome("o_bad", council=150)],
        interventions=[iv("good", [eff("o_good")]), iv("bad", [eff("o_bad", 0.5)])],
    )
    result = run(data, backend, formulation, 10000.0)
    assert total(result, "participants", intervention="good") == approx(50, backend)
    assert total(result, intervention="bad") == approx(0, backend)


def test_nothing_worth_funding(backend, formulation):
    """Only bad (value £75 < cost £100): the optimum is to spend nothing, objective 0."""
    data = scenario(outcomes=[outcome("o_bad", council=150)], interventions=[iv("bad", [eff("o_bad", 0.5)])])
    result = run(data, backend, formulation, 0.0)
    assert total(result) == approx(0, backend)


def test_nothing_fundable(backend, formulation):
    """The council's footprint is A2, which has no families; good targets families.

    No allowed triple has a positive coverage: the programme has nothing to decide.
    Spending is never forced, so this is optimal with objective 0 (not an error).

    Regression: the programme has no columns; HiGHS answers model status "Empty" and
    PDLP stops with code 6 (an empty constraint matrix), so the core answers optimal 0
    without calling a back end.
    """
    data = scenario(areas=[area("A1"), area("A2", older=100)], pools=[pool("council", 1000, areas=["A2"])])
    result = run(data, backend, formulation, 0.0)
    assert result["allocations"] == []


def test_budget(backend, formulation):
    """Budget £2,000 buys 20 participants (U = 50 is not reached): 20 x 200 = 4,000."""
    data = scenario(pools=[pool("council", 2000)])
    result = run(data, backend, formulation, 4000.0)
    assert total(result, pool="council", year=1) == approx(2000, backend)


def test_footprints_and_ring_fences(backend, formulation):
    """Council (£3,000, footprint A1 only); police (£20,000, may fund only iv_b).

    iv_a: £400 to the council a participant, net £300; iv_b: £200 to the police, net £100.
    U = 50 for each intervention in each of A1, A2.
    iv_a can be paid only by the council and only in A1: 3,000 / 100 = 30 participants,
    net 30 x 300 = 9,000 (better than anything else the council can fund).
    iv_b: police funds A1 and A2 at U = 50 each: £10,000 <= £20,000, net 100 x 100 = 10,000.
    iv_a in A2: no pool may fund it. Optimum 9,000 + 10,000 = 19,000.
    """
    data = scenario(
        areas=[area("A1"), area("A2")],
        pools=[pool("council", 3000, areas=["A1"]), pool("police", 20000, interventions=["iv_b"])],
        outcomes=[outcome("o_a", council=400), outcome("o_b", police=200)],
        interventions=[iv("iv_a", [eff("o_a")]), iv("iv_b", [eff("o_b")])],
    )
    result = run(data, backend, formulation, 19000.0)
    assert total(result, "participants", area="A1", intervention="iv_a") == approx(30, backend)
    assert total(result, area="A2", intervention="iv_a") == approx(0, backend)
    assert total(result, pool="council", area="A2") == 0
    assert total(result, pool="police", intervention="iv_a") == 0
    assert total(result, "participants", intervention="iv_b") == approx(100, backend)


def test_lags_and_durations_within_the_appraisal_years(backend, formulation):
    """H = 2, A = 3, r = 0. Effect: lag 1, duration 2, £100 a year to the council; cost £150.

    Year-1 participants avoid costs in years 2..3: value 200, net +50.
    Year-2 participants: years 3..4, cut at A = 3: value 100, net -50 -> unfunded.
    Optimum: 50 participants in year 1 only: 50 x 50 = 2,500.
    """
    data = scenario(H=2, A=3, outcomes=[outcome("o", council=100)], interventions=[iv("late", [eff("o", 1, lag=1, dur=2)], cost=150)])
    result = run(data, backend, formulation, 2500.0)
    assert total(result, "participants", year=1) == approx(50, backend)
    assert total(result, year=2) == approx(0, backend)


def test_discounting(backend, formulation):
    """r = 0.1: d1 = 1, d2 = 1/1.1, d3 = 1/1.21. H = 2, A = 3; budget £5,000 a year (50 participants).

    now (lag 0, £108): year 1 net 108 - 100 = 8; year 2 net (108 - 100) / 1.1 = 7.2727.
    later (lag 1, £115.50): year 1 net 115.5/1.1 - 100 = 5; year 2 net 115.5/1.21 - 100/1.1 = 4.5455.
    (Undiscounted, later would win: 15.5 > 8.) Each year the budget goes to now (U = 50):
    optimum 50 x 8 + 50 x 8/1.1 = 400 + 363.6364 = 763.6364.
    """
    data = scenario(
        H=2,
        A=3,
        r=0.1,
        pools=[pool("council", 5000)],
        outcomes=[outcome("o_now", council=108), outcome("o_later", council=115.5)],
        areas=[area("A1", families=100, youth=100)],
        interventions=[iv("now", [eff("o_now")]), iv("later", [eff("o_later", lag=1)], group="youth")],
    )
    result = run(data, backend, formulation, 400 + 400 / 1.1)
    assert total(result, intervention="later") == approx(0, backend)
    assert total(result, "participants", intervention="now", year=2) == approx(50, backend)


def test_reinvestment_of_cashable_savings(backend, formulation):
    """H = 2, A = 3, r = 0; budget £1,000 a year; reinvest_rate 0.5; cost £100, U = 1,000.

    Effect: £100 a year to the council in years t and t+1: value 200, net 100, both years.
    Year 1: 10 participants; they save the council 10 x 100 = £1,000 cash in year 1;
    half is added to year 2: budget 1,000 + 500 = 1,500 -> 15 participants.
    Optimum (10 + 15) x 100 = 2,500 (without reinvestment it would be 2,000).
    """
    data = scenario(
        H=2,
        A=3,
        pools=[pool("council", [1000, 1000], reinvest_rate=0.5)],
        outcomes=[outcome("o", council=100)],
        areas=[area("A1", families=1000)],
        interventions=[iv("iv", [eff("o", 1, dur=2)], cov=1.0)],
    )
    result = run(data, backend, formulation, 2500.0)
    assert total(result, year=2) == approx(1500, backend)


def test_capacity(backend, formulation):
    """Two areas with U = 50 each; capacity 30 participants a year in all: 30 x 200 = 6,000."""
    data = scenario(areas=[area("A1"), area("A2")], interventions=[iv("good", [eff("o_good")], capacity=30)])
    result = run(data, backend, formulation, 6000.0)
    assert total(result, "participants") == approx(30, backend)


def test_cwf_share_national_basis(backend, formulation):
    """A1 decile 1 (20 families, U = 10); A2 decile 5 (200 families, U = 100); budget £10,000.

    min_share 0.5, max_decile 1: 100 n1 >= 0.5 x 100 (n1 + n2), so n2 <= n1 <= 10.
    Optimum n1 = n2 = 10: 20 x 200 = 4,000 (without the rule: 100 x 200 = 20,000).
    """
    data = scenario(
        areas=[area("A1", 1, families=20), area("A2", 5, families=200)],
        pools=[pool("council", 10000)],
        policy={"community_wealth_fund": {"min_share": 0.5, "max_decile": 1}},
    )
    result = run(data, backend, formulation, 4000.0)
    assert total(result, area="A1") == approx(1000, backend)
    assert total(result, area="A2") == approx(1000, backend)


def test_cwf_share_local_basis(backend, formulation):
    """Local basis: 4 areas all of decile 6; max_decile 3 -> ceil(3/10 x 4) = ceil(1.2) = 2 areas.

    Ranks: c 50, a 100, b 100, d 900; the tie a/b is broken by id -> D = {c, a}.
    U: a 10, b 100, c 10, d 100. Budget ample. min_share 0.5:
    spending in D <= (10 + 10) x 100 = 2,000, so all spending <= 4,000: 40 participants.
    Optimum 40 x 200 = 8,000. (Wrong readings give other optima: D = {c} (floor) 4,000;
    D = {c, b} (tie the other way) 44,000; national basis: D empty, 0.)
    """
    data = scenario(
        areas=[
            area("b", 6, rank=100, families=200),
            area("d", 6, rank=900, families=200),
            area("c", 6, rank=50, families=20),
            area("a", 6, rank=100, families=20),
        ],
        policy={"community_wealth_fund": {"min_share": 0.5, "max_decile": 3, "basis": "local"}},
    )
    result = run(data, backend, formulation, 8000.0)
    assert total(result, area="a") == approx(1000, backend)
    assert total(result, area="c") == approx(1000, backend)
    assert total(result, area="b") + total(result, area="d") == approx(2000, backend)


def test_per_capita_floor(backend, formulation):
    """A1 decile 1 (population 1,000, only 100 older people); A2 decile 5 (100 families).

    bad (older people): 0.75 x £100 = £75 a participant, net -25; good (families): net 200.
    Floor £2 a resident: A1 must get >= £2,000 -> 20 participants of bad: -500.
    Budget £5,000: the other £3,000 -> good in A2, 30 participants: +6,000.
    Optimum 6,000 - 500 = 5,500.
    """
    data = scenario(
        areas=[area("A1", 1, older=100), area("A2", 5, families=100)],
        pools=[pool("council", 5000)],
        outcomes=[outcome("o_good", council=300), outcome("o_bad", council=75)],
        interventions=[iv("good", [eff("o_good")]), iv("bad", [eff("o_bad")], group="older")],
        policy={"community_wealth_fund": {"per_capita_floor": 2, "max_decile": 1}},
    )
    result = run(data, backend, formulation, 5500.0)
    assert total(result, area="A1") == approx(2000, backend)
    assert total(result, "participants", area="A2", intervention="good") == approx(30, backend)


def test_no_agency_worse_off(backend, formulation):
    """One intervention worth £60 to the council and £240 to the police a participant (net 200).

    Budgets: council £10,000, police £1,000. Each pool must spend <= what its agency saves:
    x_c <= 60 n, x_p <= min(240 n, 1,000), and x_c + x_p = 100 n, so 100 n <= 60 n + 1,000: n <= 25.
    Optimum 25 x 200 = 5,000, with council paying £1,500 and police £1,000
    (without the rule: n = 50, 10,000).
    """
    data = scenario(
        pools=[pool("council", 10000), pool("police", 1000)],
        outcomes=[outcome("o_c", council=60), outcome("o_p", police=240)],
        interventions=[iv("iv", [eff("o_c"), eff("o_p")])],
        policy={"no_agency_worse_off": True},
    )
    result = run(data, backend, formulation, 5000.0)
    assert total(result, "participants") == approx(25, backend)
    assert total(result, pool="police") == approx(1000, backend)
    assert total(result, pool="council") == approx(1500, backend)


def test_equity_weights(backend, formulation):
    """A1 decile 1 and A2 decile 5, U = 50 each; weights: decile 1 x 2, decile 5 x 0.25; budget £10,000.

    A1: 2 x 300 - 100 = 500 a participant; A2: 0.25 x 300 = 75 < 100, unfunded even
    though £5,000 is left. Optimum 50 x 500 = 25,000.
    """
    data = scenario(
        areas=[area("A1", 1), area("A2", 5)],
        pools=[pool("council", 10000)],
        policy={"equity_weights": {"1": 2, "5": 0.25}},
    )
    result = run(data, backend, formulation, 25000.0)
    assert total(result, area="A1") == approx(5000, backend)
    assert total(result, area="A2") == approx(0, backend)


@pytest.mark.parametrize(
    "lam, weights, expected",
    [
        (0.0, {}, 0.0),  # 80 < 100: unfunded
        (0.5, {}, 1500.0),  # 80 + 0.5 x 100 = 130: net 30 x 50 = 1,500
        (0.5, {"5": 2}, 8000.0),  # 2 x 130 - 100 = 160: x 50 = 8,000 (the weight applies to social value too)
    ],
)
def test_social_value(backend, formulation, lam, weights, expected):
    """Fiscal value £80 to the council (< cost £100), social value £100 an occurrence.

    The objective counts W x (80 + lambda x 100) - 100 a participant, U = 50. The summary's
    social value is unweighted: 50 x 100 = 5,000 when funded.
    """
    data = scenario(
        outcomes=[outcome("o", social=100, council=80)],
        interventions=[iv("iv", [eff("o")])],
        policy={"social_value_weight": lam, "equity_weights": weights},
    )
    result = run(data, backend, formulation, expected)
    if expected > 0:
        assert total(result, "participants") == approx(50, backend)
        assert result["summary"]["social_value"] == approx(5000, backend)
    else:
        assert total(result) == approx(0, backend)


def test_area_cap(backend, formulation):
    """Two areas with U = 50 each; area cap £2,000 a year: 20 participants each, 40 x 200 = 8,000."""
    data = scenario(areas=[area("A1"), area("A2")], pools=[pool("council", 10000)], policy={"area_cap": 2000})
    result = run(data, backend, formulation, 8000.0)
    assert total(result, area="A1") == approx(2000, backend)
    assert total(result, area="A2") == approx(2000, backend)


def test_fixed_costs(mip_backend, formulation):
    """H = A = 2, r = 0; fixed cost £1,500 paid once; net 200 a participant a year.

    A1 (U = 50): launch: 2 x 50 x 200 - 1,500 = 18,500 > 0. A2 (6 families, U = 3):
    2 x 3 x 200 - 1,500 = -300 < 0, not launched (it would be, were the fixed cost absent;
    were it charged every year, A1 would give 17,000). Optimum 18,500.

    Regression: HiGHS 1.14.0 with its MIP presolve returned 18,200 labelled optimal
    (A2 launched too), while SCIP, CBC and HiGHS without presolve give 18,500; the highs
    back end therefore runs MIPs with presolve off. Do not weaken this test.
    """
    data = scenario(
        H=2,
        areas=[area("A1"), area("A2", families=6)],
        interventions=[iv("good", [eff("o_good")], fixed_cost=1500)],
    )
    result = run(data, mip_backend, formulation, 18500.0)
    assert [(r["area"], r["intervention"]) for r in result["launches"]] == [("A1", "good")]
    assert sum(result["launches"][0]["fixed_cost_by_pool"].values()) == pytest.approx(1500, rel=1e-6)
    assert total(result, area="A2") == approx(0, mip_backend)


@pytest.mark.parametrize(
    "budgets, expected, launched",
    [
        # year 2 cannot pay 20 of big (2,000 > 1,500): big is never launched; small 25 + 15 = 40 x 50
        ([2500, 1500], 2000.0, False),
        # big launched, 25 a year (>= 20): 50 x 200
        ([2500, 2500], 10000.0, True),
    ],
)
def test_minimum_participants(mip_backend, formulation, budgets, expected, launched):
    """H = A = 2, r = 0. big: net 200, at least 20 participants in EVERY year where launched; small: net 50.

    Budgets [2,500, 1,500]: launching big needs £2,000 in year 2 > £1,500, so big is out;
    small takes the budgets: 25 + 15 = 40 participants x 50 = 2,000. (Reading the minimum
    as applying only in years with participants would give 25 x 200 + 15 x 50 = 5,750.)
    Budgets [2,500, 2,500]: big at 25 a year: 50 x 200 = 10,000.
    """
    data = scenario(
        H=2,
        pools=[pool("council", budgets)],
        outcomes=[outcome("o_big", council=300), outcome("o_small", council=150)],
        interventions=[iv("big", [eff("o_big")], min_participants=20), iv("small", [eff("o_small")])],
    )
    result = run(data, mip_backend, formulation, expected)
    assert bool(result["launches"]) is launched
    if launched:
        assert total(result, "participants", intervention="big", year=2) == approx(25, mip_backend)
    else:
        assert total(result, intervention="big") == 0


def test_infeasible_floor_beyond_budget(backend):
    """A1 decile 1, population 1,000, floor £10 a resident: £10,000 a year; council budget £5,000.

    Coverage allows £20,000 (200 families, coverage 1), so the budget alone is in conflict with
    the floor: infeasible, and the diagnosis must name the pool and the area.
    """
    data = scenario(
        areas=[area("E01000001", 1, families=200)],
        pools=[pool("council", 5000)],
        interventions=[iv("good", [eff("o_good")], cov=1.0)],
        policy={"community_wealth_fund": {"per_capita_floor": 10, "max_decile": 1}},
    )
    s = parse_scenario(data)
    result = solve(s, backend).to_dict()
    assert result["status"] == "infeasible"
    assert result["objective"] is None and result["allocations"] == []
    assert result["diagnosis"] is not None
    text = json.dumps(result["diagnosis"])
    assert "council" in text, text
    assert "E01000001" in text, text
