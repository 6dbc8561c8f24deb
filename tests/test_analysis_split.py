"""The fair split between agencies (optimizer/analysis/split.py), checked on a game worked out by hand.

The three-agency example (``three_agencies``): one area with 10 people in group
``g``; horizon 1, discount 0. Two interventions, each £100 a participant and up
to 10 participants:

* ``i1`` avoids one ``o1`` per participant, which costs agency A £150: worth £50 net, if A's costs count;
* ``i2`` avoids one ``o2``, which costs B £80 and C £80: worth £160 if both count, only £80 (< £100) if one does.

Pools A, B and C each hold £600. Coalition values (the pools outside removed, their agencies' costs zeroed):

* v(A) = 6 participants of i1 (A's £600) x £50 = 300; v(B) = v(C) = 0 (i1 is worth nothing to them, i2 only £80);
* v(AB) = v(AC) = i1 in full (10 x £50) = 500 (i2 still worth £80 to one agency);
* v(BC) = i2 in full (10 x £60) = 600 (£1,000 of their £1,200);
* v(ABC): £1,800 for £2,000 of good work: i2 first (£1.60 per £) in full, 600, then 8 of i1, 400: 1,000.

Shapley values (weights 1/3 for the empty and the two-pool coalitions, 1/6 for single pools):

* A: 1/3 x 300 + 1/6 x (500 - 0) + 1/6 x (500 - 0) + 1/3 x (1000 - 600) = 100 + 83.33 + 83.33 + 133.33 = 400;
* B: 1/3 x 0 + 1/6 x (500 - 300) + 1/6 x (600 - 0) + 1/3 x (1000 - 500) = 0 + 33.33 + 100 + 166.67 = 300; C = 300.

They sum to 1,000. In the core: A 400 >= 300, A+B 700 >= 500, A+C 700 >= 500, B+C 600 >= 600 (tight).
At the grand optimum every pool spends its £600; A saves 8 x 150 = 1,200, B and C 10 x 80 = 800 each:
net positions 600, 200, 200. Fair contributions (savings - Shapley): A 800, B 500, C 500, summing to the £1,800 spent.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from optimizer.analysis import AnalysisError, run_analysis, run_task
from optimizer.analysis.split import core_violations, plan, shapley
from optimizer.scenario import parse_scenario

TOL = 1e-6


def three_agencies(budget: float = 600) -> dict[str, Any]:
    def iv(id: str, outcome: str) -> dict[str, Any]:
        return {
            "id": id,
            "name": id,
            "target_group": "g",
            "unit_cost": 100,
            "max_coverage": 1.0,
            "effects": [{"outcome": outcome, "per_participant": 1.0}],
        }

    return {
        "schema_version": 1,
        "name": "three agencies",
        "horizon_years": 1,
        "discount_rate": 0.0,
        "pools": [{"id": g, "name": f"Agency {g}", "budget": budget} for g in ("A", "B", "C")],
        "outcomes": [{"id": "o1", "name": "o1", "unit_costs": {"A": 150}}, {"id": "o2", "name": "o2", "unit_costs": {"B": 80, "C": 80}}],
        "areas": [{"id": "X", "imd_decile": 5, "population": 1000, "groups": {"g": 10}}],
        "interventions": [iv("i1", "o1"), iv("i2", "o2")],
        "solver": {"time_limit": 30},
    }


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return run_analysis("split", parse_scenario(three_agencies()))


def test_coalition_values_by_hand(report: dict[str, Any]) -> None:
    values = {"+".join(c["pools"]): c["value"] for c in report["coalitions"]}
    expected = {"": 0, "A": 300, "B": 0, "C": 0, "A+B": 500, "A+C": 500, "B+C": 600, "A+B+C": 1000}
    assert values.keys() == expected.keys()
    for key, v in expected.items():
        assert values[key] == pytest.approx(v, abs=TOL), key


def test_shapley_by_hand(report: dict[str, Any]) -> None:
    assert report["shapley"] == pytest.approx({"A": 400, "B": 300, "C": 300}, abs=1e-6)


def test_efficiency_and_symmetry(report: dict[str, Any]) -> None:
    assert sum(report["shapley"].values()) == pytest.approx(report["grand_value"], rel=1e-9)
    assert report["shapley"]["B"] == pytest.approx(report["shapley"]["C"], rel=1e-9)  # B and C are identical agencies


def test_core_and_contributions_by_hand(report: dict[str, Any]) -> None:
    assert report["in_core"] and report["core_violations"] == []
    rows = {a["agency"]: a for a in report["agencies"]}
    for agency, savings, net, contribution in (("A", 1200, 600, 800), ("B", 800, 200, 500), ("C", 800, 200, 500)):
        row = rows[agency]
        assert row["savings"] == pytest.approx(savings, abs=1e-6)
        assert row["spending"] == pytest.approx(600, abs=1e-6)
        assert row["net_position"] == pytest.approx(net, abs=1e-6)
        assert row["contribution"] == pytest.approx(contribution, abs=1e-6)
        assert row["contribution_funding_all_spending"] == pytest.approx(contribution, abs=1e-6)
        assert row["savings"] - row["contribution"] == pytest.approx(report["shapley"][agency], abs=1e-6)
    assert report["value_outside_pools"] == pytest.approx(0, abs=1e-6)
    assert sum(r["contribution"] for r in rows.values()) == pytest.approx(report["total_spending_discounted"], abs=1e-6)


def test_value_outside_pools_is_shared_so_contributions_pay_for_everything() -> None:
    """With a pool-less agency D also paying for o2, contributions funding all spending still sum to the spending."""
    data = three_agencies()
    data["agencies"] = [{"id": "D", "name": "Agency D"}]
    data["outcomes"][1]["unit_costs"]["D"] = 10
    rep = run_analysis("split", parse_scenario(data))
    assert rep["value_outside_pools"] > 0
    total = sum(a["contribution_funding_all_spending"] for a in rep["agencies"])
    assert total == pytest.approx(rep["total_spending_discounted"], rel=1e-9)
    assert sum(rep["shapley"].values()) == pytest.approx(rep["grand_value"], rel=1e-9)


def test_shapley_and_core_on_known_games() -> None:
    """Majority game (any two of three win 1): Shapley 1/3 each, and the core is empty, so Shapley is not in it."""
    players = ["a", "b", "c"]
    v = {frozenset(s): (1.0 if len(s) >= 2 else 0.0) for s in ([], ["a"], ["b"], ["c"], ["a", "b"], ["a", "c"], ["b", "c"], players)}
    phi = shapley(players, v)
    assert phi == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    bad = core_violations(players, v, phi)
    assert len(bad) == 3 and bad[0]["shortfall"] == pytest.approx(1 / 3)
    # glove game: a holds a left glove, b and c right ones; Shapley a = 2/3, b = c = 1/6; the core gives all to a
    g = {frozenset(s): (1.0 if "a" in s and len(s) >= 2 else 0.0) for s in v}
    assert shapley(players, g) == pytest.approx({"a": 2 / 3, "b": 1 / 6, "c": 1 / 6})
    assert core_violations(players, g, {"a": 1.0, "b": 0.0, "c": 0.0}) == []
    assert core_violations(players, g, shapley(players, g))  # b + a could take 1 > 5/6


def test_tasks_are_json_and_independent() -> None:
    import json

    s = parse_scenario(three_agencies())
    tasks = plan(s)
    assert len(tasks) == 7 and tasks[-1]["coalition"] == ["A", "B", "C"]
    one = json.loads(json.dumps(tasks[0]))  # a task survives a queue's JSON round trip
    assert run_task(one)["objective"] == pytest.approx(300)


def test_too_many_pools_is_refused_with_a_reason() -> None:
    data = three_agencies()
    data["pools"] = [{"id": f"P{k}", "name": f"P{k}", "budget": 100} for k in range(11)]
    data["outcomes"] = [{"id": "o1", "name": "o1", "unit_costs": {"P0": 150}}, {"id": "o2", "name": "o2", "unit_costs": {"P1": 80}}]
    with pytest.raises(AnalysisError, match="11 pools"):
        plan(parse_scenario(data))


def test_a_coalition_that_cannot_meet_the_rules_is_worth_nothing() -> None:
    """Pool C may fund only area Y, but the per-capita floor needs spending in the deprived area X: C alone is infeasible."""
    data = copy.deepcopy(three_agencies())
    data["areas"] = [
        {"id": "X", "imd_decile": 1, "population": 1, "groups": {"g": 10}},
        {"id": "Y", "imd_decile": 9, "population": 1, "groups": {"g": 10}},
    ]
    data["pools"][2]["areas"] = ["Y"]
    data["policy"] = {"community_wealth_fund": {"per_capita_floor": 1}}
    rep = run_analysis("split", parse_scenario(data))
    values = {"+".join(c["pools"]): (c["value"], c["status"]) for c in rep["coalitions"]}
    assert values["C"] == (0.0, "infeasible")
    assert any("C cannot meet the rules" in w for w in rep["warnings"])
    assert sum(rep["shapley"].values()) == pytest.approx(rep["grand_value"], rel=1e-9)
