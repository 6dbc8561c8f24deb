"""Who pays among equally good plans (docs/model.md 2.4): hand-solved cases, the ranges, and their defence.

Unless said otherwise (as in tests/test_rules.py): H = A = 1, discount rate 0,
areas of decile 5 with 100 families each, coverage 0.5 (U = 50 participants
an area), unit cost £100 (so funding an area in full costs £5,000), and
"good" = an intervention worth £300 a participant to the council (net £200),
so the optimum funds every participant that money and footprints allow.
Every case runs on every installed back end (MIP cases: the MIP-capable ones)
and on both formulations, and the independent checker must find the result
clean (it recomputes the deviation from the allocations).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.backends import Options, get_backend
from optimizer.check import check_result
from optimizer.coefficients import compute
from optimizer.errors import ScenarioError
from optimizer.programme import FORMULATIONS, build
from optimizer.scenario import canonical_json, parse_scenario, scenario_hash
from optimizer.session import solve_programme
from optimizer.sharing import OPTIMAL_SET_TOL, _pool_year_matrix
from optimizer.solve import available_solvers, solve
from tests.test_rules import area, eff, iv, outcome, pool, scenario

BACKENDS = available_solvers()
MIP_BACKENDS = tuple(b for b in BACKENDS if get_backend(b).supports_mip)


#: money to the pound (PDLP, a first-order method: to its 1e-4 relative tolerance of the spending)
def _money_tol(backend: str, scale: float) -> float:
    return max(1.0, 1e-4 * scale) if backend == "ortools-pdlp" else 1.0


def _solve(data: dict[str, Any], backend: str, formulation: str = "auto") -> dict[str, Any]:
    s = parse_scenario(data)
    result = solve(s, backend, formulation=formulation).to_dict()
    assert result["status"] == "optimal", result["message"]
    problems = check_result(s, json.loads(json.dumps(result)))
    assert not problems, problems
    return result


def _pays(result: dict[str, Any]) -> dict[str, float]:
    return {r["pool"]: r["spend"] for r in result["summary"]["spending_by_pool_year"]}


def two_pools(council: float, nhs: float, **nhs_kw: Any) -> list[dict[str, Any]]:
    return [pool("council", council), pool("nhs", nhs, **nhs_kw)]


CASES = {
    # Two pools that may fund everything, budgets £60,000 and £40,000, far more than the £5,000 the one area
    # can use. Every split of the £5,000 is equally good; budget_share sets beta = 60/100 and 40/100, so
    # the council pays 0.6 x 5,000 = £3,000 and the NHS £2,000, deviation 0. Room: either may pay £0 to £5,000.
    "overlapping, generous budgets": (
        scenario(pools=two_pools(60000, 40000)),
        {"council": 3000.0, "nhs": 2000.0},
        0.0,
        {"council": (0.0, 5000.0), "nhs": (0.0, 5000.0)},
    ),
    # Two areas (each £5,000 to fund in full); the NHS may fund only A2. Budgets £10,000 and £30,000: beta
    # = 0.25 and 0.75 of the £10,000 spent, targets £2,500 and £7,500. The NHS can pay at most A2's £5,000,
    # so the council pays A1's £5,000 and nothing more: X = 5,000 and 5,000, deviation |5,000 - 2,500| +
    # |5,000 - 7,500| = £5,000. Room: the council £5,000 (A1, only it may) to £10,000; the NHS £0 to £5,000.
    "footprint forces a pool off its share": (
        scenario(areas=[area("A1"), area("A2")], pools=two_pools(10000, 30000, areas=["A2"])),
        {"council": 5000.0, "nhs": 5000.0},
        5000.0,
        {"council": (5000.0, 10000.0), "nhs": (0.0, 5000.0)},
    ),
    # The first case with the board's shares council 1, NHS 3 (normalised: 0.25, 0.75): the council pays
    # 0.25 x 5,000 = £1,250 and the NHS £3,750, deviation 0; the room is the first case's.
    "shares set by the board": (
        {
            **scenario(pools=two_pools(60000, 40000), policy={"cost_sharing": {"rule": "shares", "shares": {"council": 1, "nhs": 3}}}),
            "schema_version": 2,
        },
        {"council": 1250.0, "nhs": 3750.0},
        0.0,
        {"council": (0.0, 5000.0), "nhs": (0.0, 5000.0)},
    ),
    # The second case's areas, budgets £6,000 (council) and £1,000 (NHS, A2 only): £7,000 of the £10,000
    # that could be used, so both budgets bind and every pound is spent (each is worth £3). Nothing is
    # left to choose: X = 6,000 and 1,000. Shares 1:1 set targets 3,500 each, deviation 2,500 + 2,500 =
    # £5,000; the room is a single point for each pool.
    "a budget that binds": (
        {
            **scenario(
                areas=[area("A1"), area("A2")],
                pools=two_pools(6000, 1000, areas=["A2"]),
                policy={"cost_sharing": {"rule": "shares", "shares": {"council": 1, "nhs": 1}}},
            ),
            "schema_version": 2,
        },
        {"council": 6000.0, "nhs": 1000.0},
        5000.0,
        {"council": (6000.0, 6000.0), "nhs": (1000.0, 1000.0)},
    ),
}


@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", list(CASES))
def test_hand_solved(case: str, backend: str, formulation: str) -> None:
    data, pays, delta, room = CASES[case]
    result = _solve(data, backend, formulation)
    got = _pays(result)
    tol = _money_tol(backend, 10000.0)
    for p, amount in pays.items():
        assert got[p] == pytest.approx(amount, abs=tol), (p, got)
    sharing = result["summary"]["cost_sharing"]
    assert sharing["rule"] == data["policy"].get("cost_sharing", {}).get("rule", "budget_share")
    assert sharing["deviation"] == pytest.approx(delta, abs=tol)
    ranges = result["summary"]["pool_spending_range"]
    for p, (lo, hi) in room.items():
        assert ranges[p]["min"] == pytest.approx(lo, abs=tol) and ranges[p]["max"] == pytest.approx(hi, abs=tol), (p, ranges[p])
        assert ranges[p]["min"] - 1e-6 <= result["summary"]["spending_by_agency"][p] <= ranges[p]["max"] + 1e-6
    assert result["solver"]["sharing_held_columns"] is not None  # the optimal face, from the optimum's prices


@pytest.mark.parametrize("backend", MIP_BACKENDS)
def test_launch_fixed_cost_counts_in_year_one(backend: str) -> None:
    """A MIP: the first case with a fixed cost of £500 to launch "good" in A1.

    Launching pays (50 x £200 net = £10,000 > £500), so the plan spends £5,000 + £500 = £5,500, all in
    year 1, and the fixed cost is shared like the rest: council 0.6 x 5,500 = £3,300, NHS £2,200, deviation 0.
    """
    data = scenario(pools=two_pools(60000, 40000), interventions=[iv("good", [eff("o_good")], fixed_cost=500)])
    result = _solve(data, backend)
    assert _pays(result) == pytest.approx({"council": 3300.0, "nhs": 2200.0}, abs=1.0)
    assert result["summary"]["cost_sharing"]["deviation"] == pytest.approx(0.0, abs=1.0)
    assert result["solver"]["mip"] is True


def test_two_years_follow_each_years_budgets() -> None:
    """H = 2, discount 0, budgets per year: council [£4,000, £1,000], NHS [£1,000, £4,000], one area.

    Each year the area can use £5,000 (coverage is per year) and the budgets total £5,000: every pound is
    spent, so X is forced (council 4,000 then 1,000) and equals beta x X[t] each year: deviation 0. A rule
    on the whole horizon instead of per year would have split both years 50:50.
    """
    data = scenario(H=2, pools=[pool("council", [4000, 1000]), pool("nhs", [1000, 4000])], outcomes=[outcome("o_good", council=300)])
    result = _solve(data, "highs")
    rows = {(r["pool"], r["year"]): r["spend"] for r in result["summary"]["spending_by_pool_year"]}
    assert rows == pytest.approx({("council", 1): 4000.0, ("council", 2): 1000.0, ("nhs", 1): 1000.0, ("nhs", 2): 4000.0}, abs=1.0)
    assert result["summary"]["cost_sharing"]["deviation"] == pytest.approx(0.0, abs=1.0)


def _pinned_objective(data: dict[str, Any], pool_index: int, amount: float) -> tuple[float, float]:
    """The optimum of the programme, and the optimum with pool ``pool_index``'s discounted spending pinned at ``amount``."""
    s = parse_scenario(data)
    k = compute(s)
    prog = build(s, k)
    backend = get_backend("highs")
    free = solve_programme(backend, prog, Options())
    M = _pool_year_matrix(prog, len(k.pool_ids))
    d = k.discount[: k.H]
    row = np.zeros(prog.A.shape[1])
    for t in range(k.H):
        row += d[t] * M[pool_index * k.H + t].toarray().ravel()
    pinned = replace(
        prog,
        A=sp.vstack([prog.A, sp.csr_matrix(row[None, :])]).tocsr(),
        row_lower=np.append(prog.row_lower, amount),
        row_upper=np.append(prog.row_upper, amount),
    )
    got = solve_programme(backend, pinned, Options())
    assert free.x is not None and got.x is not None, got.message
    return float(prog.c @ free.x), float(prog.c @ got.x[: prog.A.shape[1]])


@pytest.mark.parametrize("source", ["footprint forces a pool off its share", "manchester"])
def test_either_end_of_the_range_keeps_the_optimum(source: str) -> None:
    """Pinning a pool's discounted spending at its range's min or max and solving again loses no value (to 1e-7)."""
    if source == "manchester":
        data = json.loads((Path(__file__).resolve().parents[1] / "scenarios" / "manchester.json").read_text())
    else:
        data = CASES[source][0]
    result = _solve(data, "highs")
    ranges = result["summary"]["pool_spending_range"]
    pools = [p["id"] for p in data["pools"]]
    for j, p in enumerate(pools):
        for end in ("min", "max"):
            best, pinned = _pinned_objective(data, j, ranges[p][end])
            assert pinned >= best - OPTIMAL_SET_TOL * max(1.0, abs(best)) - 1e-6, (p, end, best, pinned)
        # and beyond either end the optimum is lost (the range is the widest): 1 % further out
        span = max(1.0, ranges[p]["max"] - ranges[p]["min"])
        if ranges[p]["min"] > 1.0:
            best, below = _pinned_objective(data, j, ranges[p]["min"] - 0.01 * span)
            assert below < best - OPTIMAL_SET_TOL * max(1.0, abs(best)), (p, "below min")


def test_version_1_scenario_keeps_its_objective_and_hash() -> None:
    """A version 1 scenario still validates; its objective is the plain optimum's (to 1e-7) and its hash does not
    change with the rule, which is its default (docs/model.md 2.4): the same scenario said as version 2 solves alike."""
    data = scenario(pools=two_pools(60000, 40000))
    v1 = _solve(data, "highs")
    assert v1["objective"] == pytest.approx(50 * 200.0, rel=OPTIMAL_SET_TOL)
    v2 = _solve({**data, "schema_version": 2, "policy": {"cost_sharing": {"rule": "budget_share"}}}, "highs")
    assert _pays(v2) == _pays(v1)
    s1 = parse_scenario(data)
    s2 = parse_scenario({**data, "policy": {"cost_sharing": {"rule": "budget_share"}}, "schema_version": 2})
    assert scenario_hash(s1) != scenario_hash(s2)  # the declared version is part of what was said
    assert "cost_sharing" not in json.loads(canonical_json(s1))["policy"]


BAD = [
    ({"rule": "shares", "shares": {"council": -1, "nhs": 1}}, "/policy/cost_sharing/shares/council", "greater than or equal to 0"),
    ({"rule": "shares", "shares": {"council": 1, "nhs": 1, "police": 1}}, "/policy/cost_sharing/shares/police", "unknown pool id"),
    ({"rule": "shares", "shares": {"council": 1}}, "/policy/cost_sharing/shares", "leaves out pool(s) 'nhs'"),
    ({"rule": "shares", "shares": {"council": 0, "nhs": 0}}, "/policy/cost_sharing/shares", "all shares are 0"),
    ({"rule": "shares"}, "/policy/cost_sharing/shares", 'required when rule is "shares"'),
    ({"rule": "budget_share", "shares": {"council": 1, "nhs": 1}}, "/policy/cost_sharing/shares", "applies only with rule"),
    ({"rule": "equal"}, "/policy/cost_sharing/rule", "budget_share"),
]


@pytest.mark.parametrize("sharing, where, words", BAD, ids=[b[2][:24] for b in BAD])
def test_bad_shares_are_refused_with_their_location(sharing: dict[str, Any], where: str, words: str) -> None:
    data = {**scenario(pools=two_pools(60000, 40000), policy={"cost_sharing": sharing}), "schema_version": 2}
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    found = {p.loc: p.msg for p in err.value.problems}
    assert where in found, found
    assert words in found[where], found[where]


def test_version_2_field_in_a_version_1_scenario_is_refused() -> None:
    data = scenario(pools=two_pools(60000, 40000), policy={"cost_sharing": {"rule": "budget_share"}})
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    found = {p.loc: p.msg for p in err.value.problems}
    assert 'set "schema_version": 2' in found["/policy/cost_sharing"]


@pytest.mark.parametrize(
    "where, field, value, section",
    [
        ("interventions", "response", [{"up_to": 0.5, "effect": 1}], "2.1"),
        ("outcomes", "themes", ["health"], "2.2"),
        ("areas", "priorities", {"health": 1}, "2.2"),
        ("policy", "commitments", [], "2.3"),
        ("policy", "resident_priorities", {"strength": 0.5, "weights": {"health": 1}}, "2.2"),
        ("interventions", "source", "a trial", "2.5"),
    ],
)
def test_version_2_fields_in_a_version_1_scenario_are_refused_by_name(where: str, field: str, value: Any, section: str) -> None:
    """Each version 2 field, in a scenario that says version 1, is refused where it is, with its section and the fix."""
    data = {**scenario(), "schema_version": 1}
    if where == "policy":
        data["policy"] = {field: value}
        loc = f"/policy/{field}"
    else:
        data[where][0] = {**data[where][0], field: value}
        loc = f"/{where}/0/{field}"
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    found = {p.loc: p.msg for p in err.value.problems}
    assert loc in found, found
    assert f"version 2 field (docs/model.md section {section})" in found[loc] and '"schema_version": 2' in found[loc]


@pytest.mark.parametrize("case", list(CASES))
def test_hand_solved_on_the_band(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same answers when the stages work on the band of docs/model.md 2.4 itself (the objective row, no prices).

    Here no plan trades value for a closer split, so the band's plans and the optimal face's give
    the same figures: the hand-solved ones.
    """
    import optimizer.sharing

    monkeypatch.setattr(optimizer.sharing, "REDUCE_ABOVE", 10**9)
    data, pays, delta, room = CASES[case]
    result = _solve(data, "highs", "pooled")
    got = _pays(result)
    for p, amount in pays.items():
        assert got[p] == pytest.approx(amount, abs=1.0), (p, got)
    assert result["summary"]["cost_sharing"]["deviation"] == pytest.approx(delta, abs=1.0)
    for p, (lo, hi) in room.items():
        span = result["summary"]["pool_spending_range"][p]
        assert span["min"] == pytest.approx(lo, abs=1.0) and span["max"] == pytest.approx(hi, abs=1.0), (p, span)
    assert result["solver"]["sharing_held_columns"] is None  # the path taken: the band
