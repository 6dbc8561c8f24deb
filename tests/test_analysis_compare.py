"""Comparing two scenarios (optimizer/analysis/compare.py): the changes, and the exact attribution of the objective change.

Every hand-solved case is built on one area and one year, with no discounting in
year 1 (d[1] = 1) and lag 0, duration 1: an intervention with cost c per
participant and effect e on an outcome costing its pool's agency u is worth
e x u - c per participant, and when that is positive the optimum funds
min(budget / c, max_coverage x eligible) participants.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.analysis import diff
from optimizer.analysis.compare import compare, largest_remainder, path_shapley
from optimizer.analysis.split import shapley
from optimizer.scenario import parse_scenario

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.json"


def one_area(budget: float = 10_000, *, pools: int = 1) -> dict[str, Any]:
    """One area of 1,000 people, one year; pool p funds only intervention iv{p}, which saves agency p's outcome o{p}.

    iv1: c = 100, e x u = 1 x 150: worth 50 per participant. iv2 (with two pools): c = 200, e x u = 1 x 300: worth 100.
    """
    ivs = [
        {
            "id": "iv1",
            "name": "Early help",
            "target_group": "people",
            "unit_cost": 100.0,
            "max_coverage": 1.0,
            "effects": [{"outcome": "o1", "per_participant": 1.0}],
        },
        {
            "id": "iv2",
            "name": "Youth work",
            "target_group": "people",
            "unit_cost": 200.0,
            "max_coverage": 1.0,
            "effects": [{"outcome": "o2", "per_participant": 1.0}],
        },
    ][:pools]
    return {
        "schema_version": 1,
        "name": "one area",
        "horizon_years": 1,
        "pools": [{"id": f"p{j + 1}", "name": f"Pool {j + 1}", "budget": budget, "interventions": [f"iv{j + 1}"]} for j in range(pools)],
        "outcomes": [{"id": f"o{j + 1}", "name": f"Outcome {j + 1}", "unit_costs": {f"p{j + 1}": 150.0 * (j + 1)}} for j in range(pools)],
        "areas": [{"id": "E1", "name": "Estate", "imd_decile": 1, "population": 100, "groups": {"people": 1000}}],
        "interventions": ivs,
    }


def run(a: dict[str, Any], b: dict[str, Any], **options: Any) -> dict[str, Any]:
    return compare(parse_scenario(a), parse_scenario(b), **options)


def values(report: dict[str, Any]) -> dict[str, int]:
    """Attribution by the pointer (in B) of the unit's first change, in pence."""
    by_id = {c["id"]: c for c in report["changes"]}
    return {by_id[e["changes"][0]]["pointer_b"]: e["value"] for e in report["attribution"]}


def test_the_only_difference_gets_the_whole_change() -> None:
    """Budget 10,000 -> 20,000: 100 -> 200 participants of iv1 at 50 each: 5,000 -> 10,000, a change of £5,000 = 500,000 p, all of it the budget's."""
    a = one_area(10_000)
    b = one_area(20_000)
    report = run(a, b)
    assert [c["pointer_a"] for c in report["changes"]] == ["/pools/0/budget/0"]
    assert report["changes"][0]["old"] == 10_000 and report["changes"][0]["new"] == 20_000
    assert report["objective_a"] == 500_000 and report["objective_b"] == 1_000_000
    assert report["objective_change"] == 500_000
    assert values(report) == {"/pools/0/budget/0": 500_000}
    assert (
        report["attribution"][0]["message"] == "Raising the Pool 1 pool's year 1 budget from £10,000 to £20,000 bought £5,000 of net value."
    )


def test_two_changes_that_do_not_interact_each_get_their_own_effect() -> None:
    """Pool 1 funds only iv1 (50 per participant at c = 100), pool 2 only iv2 (100 at c = 200).

    Pool 1: 10,000 -> 20,000 adds 100 participants x 50 = 5,000. Pool 2: 10,000 -> 15,000 adds 25 participants x 100 = 2,500.
    v is additive, so the Shapley values are exactly 5,000 and 2,500 (500,000 p and 250,000 p), summing to 7,500.
    """
    a = one_area(10_000, pools=2)
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = 20_000.0
    b["pools"][1]["budget"] = 15_000.0
    report = run(a, b)
    assert report["objective_change"] == 750_000
    assert values(report) == {"/pools/0/budget/0": 500_000, "/pools/1/budget/0": 250_000}


def test_two_changes_that_interact_split_their_interaction_equally() -> None:
    """x: budget 10,000 -> 20,000; y: iv1's effect 1 -> 2 (worth 300 - 100 = 200 per participant).

    v(none) = 100 x 50 = 5,000; v(x) = 200 x 50 = 10,000; v(y) = 100 x 200 = 20,000; v(x, y) = 200 x 200 = 40,000.
    Interaction = 40,000 - 10,000 - 20,000 + 5,000 = 15,000, half to each:
    phi(x) = (10,000 - 5,000) + 7,500 = 12,500 = ((10,000 - 5,000) + (40,000 - 20,000)) / 2;
    phi(y) = (20,000 - 5,000) + 7,500 = 22,500 = ((20,000 - 5,000) + (40,000 - 10,000)) / 2; sum 35,000 = 40,000 - 5,000.
    """
    a = one_area(10_000)
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = 20_000.0
    b["interventions"][0]["effects"][0]["per_participant"] = 2.0
    report = run(a, b)
    assert report["objective_change"] == 3_500_000
    assert values(report) == {"/pools/0/budget/0": 1_250_000, "/interventions/0/effects/0/per_participant": 2_250_000}
    assert report["orders"] == {"solvable": 2, "all": 2}
    # the figures: spending 10,000 -> 20,000 (200 participants x 100), all of it in the one area, by the one pool in year 1
    figures = report["figures"]
    assert figures["areas_changed_most"] == [{"area": "E1", "name": "Estate", "a": 1_000_000, "b": 2_000_000, "change": 1_000_000}]
    assert figures["spending_by_pool_year"] == [{"pool": "p1", "year": 1, "a": 1_000_000, "b": 2_000_000, "change": 1_000_000}]
    assert figures["interventions"] == [{"intervention": "iv1", "a": 1_000_000, "b": 2_000_000, "change": 1_000_000}]
    # savings: 100 x 150 = 15,000 -> 200 x 300 = 60,000 for pool 1's agency
    assert figures["agencies"][0]["gains"] == {"a": 1_500_000, "b": 6_000_000, "change": 4_500_000}


def test_a_change_with_no_effect_gets_zero() -> None:
    """iv2 costs 200 and saves 1 x 150 = 150 per participant: never worth funding, so raising its cost to 300 changes nothing.

    The budget change still gets its 5,000 (10,000 -> 20,000 at 50 a participant), the cost change exactly 0.
    """
    a = one_area(10_000)
    a["interventions"].append(
        {
            "id": "iv2",
            "name": "Costly",
            "target_group": "people",
            "unit_cost": 200.0,
            "max_coverage": 1.0,
            "effects": [{"outcome": "o1", "per_participant": 1.0}],
        }
    )
    a["pools"][0]["interventions"] = ["iv1", "iv2"]
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = 20_000.0
    b["interventions"][1]["unit_cost"] = 300.0
    report = run(a, b)
    assert values(report) == {"/pools/0/budget/0": 500_000, "/interventions/1/unit_cost": 0}
    assert report["attribution"][1]["message"].endswith("changed nothing in net value.")


def test_a_scenario_compared_with_itself_has_no_changes_and_zeros() -> None:
    """A against A: no changes, no attribution, every figure's change 0."""
    a = json.loads(TINY.read_text())
    report = run(a, a)
    assert report["changes"] == [] and report["attribution"] == []
    assert report["objective_change"] == 0
    figures = report["figures"]
    assert all(r["change"] == 0 for r in figures["spending_by_pool_year"] + figures["interventions"] + figures["spending_by_decile"])
    assert all(r[k]["change"] == 0 for r in figures["agencies"] for k in ("pays", "gains", "net_position"))
    assert figures["deprived_share"]["change"] == 0 and figures["areas_changed_most"] == [] and report["binding"] == []


def test_reordering_and_renaming_are_no_change_to_the_plan() -> None:
    """Entities are matched by id: areas listed in another order are no change; a new name is a label worth exactly 0."""
    a = json.loads(TINY.read_text())
    b = copy.deepcopy(a)
    b["areas"].reverse()
    b["name"] = "Tiny, revised"
    report = run(a, b)
    assert [c["pointer_a"] for c in report["changes"]] == ["/name"]
    assert report["attribution"] == [{**report["attribution"][0], "value": 0, "family": "labels"}]
    assert report["objective_change"] == 0


def test_infeasible_b_is_an_answer_that_names_the_change_that_breaks_it() -> None:
    """B adds a per-capita floor of £300 for the 100 residents of the deprived area (£30,000 a year) and raises the budget to £20,000.

    B is infeasible (30,000 > 20,000): no objective change; the floor alone already makes A (budget 10,000) infeasible,
    the budget alone does not, so the minimal set that breaks A is the floor.
    """
    a = one_area(10_000)
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = 20_000.0
    b["policy"] = {"community_wealth_fund": {"per_capita_floor": 300.0}}
    report = run(a, b)
    assert report["a"]["status"] == "optimal" and report["b"]["status"] == "infeasible"
    assert report["objective_change"] is None and report["b"]["diagnosis"]
    assert all(e["value"] is None for e in report["attribution"])
    floor = next(c["id"] for c in report["changes"] if c["pointer_b"].endswith("per_capita_floor"))
    assert report["minimal_sets"] == [[floor]]
    assert any(m.startswith("B (one area) is infeasible") for m in report["messages"])


def test_infeasible_a_is_an_answer_that_names_the_change_that_repairs_it() -> None:
    """A has the £30,000 floor on a £10,000 budget (infeasible); B drops the floor and has £20,000.

    Removing the floor alone repairs A; the budget alone (20,000 < 30,000) does not.
    """
    b = one_area(20_000)
    a = one_area(10_000)
    a["policy"] = {"community_wealth_fund": {"per_capita_floor": 300.0}}
    report = run(a, b)
    assert report["a"]["status"] == "infeasible" and report["b"]["status"] == "optimal"
    floor = next(c["id"] for c in report["changes"] if (c["pointer_a"] or "").endswith("per_capita_floor"))
    assert report["minimal_sets"] == [[floor]]
    assert any("makes A solvable" in m for m in report["messages"])


def test_orders_through_an_infeasible_scenario_are_left_out() -> None:
    """A: budget 10,000, no floor (5,000). B: budget 20,000 and a floor of £150 x 100 residents = £15,000.

    The floor before the budget is infeasible (15,000 > 10,000), so only the order budget-then-floor counts:
    the budget gets v(budget) - v(none) = 10,000 - 5,000 = 5,000, the floor v(both) - v(budget) = 10,000 - 10,000 = 0
    (all 20,000 is spent in the one area anyway). The sum is still 5,000 = 10,000 - 5,000.
    """
    a = one_area(10_000)
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = 20_000.0
    b["policy"] = {"community_wealth_fund": {"per_capita_floor": 150.0}}
    report = run(a, b)
    assert report["orders"] == {"solvable": 1, "all": 2}
    assert sorted(values(report).values()) == [0, 500_000] and report["objective_change"] == 500_000
    assert report["blocked"][0]["status"] == "infeasible"


def test_an_added_area_and_the_footprint_that_lists_it_are_one_change() -> None:
    """Adding area E01000003 and listing it in the police footprint cannot be applied one without the other: one unit."""
    a = json.loads(TINY.read_text())
    a["pools"][1]["areas"] = ["E01000001", "E01000002"]
    b = copy.deepcopy(a)
    b["areas"].append(
        {
            "id": "E01000003",
            "name": "New estate",
            "imd_decile": 1,
            "imd_rank": 50,
            "population": 900,
            "groups": {"families": 30, "young_people": 60},
        }
    )
    b["pools"][1]["areas"] = ["E01000001", "E01000002", "E01000003"]
    b["pools"][0]["budget"] = [60_000, 50_000]
    report = run(a, b)
    kinds = {c["id"]: c["kind"] for c in report["changes"]}
    grouped = [e for e in report["attribution"] if len(e["changes"]) > 1]
    assert len(grouped) == 1 and sorted(kinds[c] for c in grouped[0]["changes"]) == ["added", "changed"]
    assert sum(e["value"] for e in report["attribution"]) == report["objective_change"]


def test_different_places_are_compared_on_the_figures_only() -> None:
    """B's areas share no id with A's: figures and changes, no attribution, and a message saying why."""
    a = json.loads(TINY.read_text())
    b = copy.deepcopy(a)
    for area in b["areas"]:
        area["id"] = area["id"].replace("E01", "W01")
    report = run(a, b)
    assert report["attribution"] == [] and report["figures"] is not None
    assert report["messages"][0].startswith("Compared on the figures only: the two scenarios share 0 of their areas")
    assert "attribution needs a shared structure" in report["messages"][0]


def test_sampled_orders_sum_exactly_and_state_their_error() -> None:
    """With sampled orders each order's gains telescope from A's optimum to B's, so the values still sum exactly."""
    a = one_area(10_000)
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = 20_000.0
    b["interventions"][0]["effects"][0]["per_participant"] = 2.0
    report = run(a, b, method="sample", orders=5, seed=3)
    assert report["orders"]["sampled"] == 5 and report["orders"]["seed"] == 3
    assert sum(e["value"] for e in report["attribution"]) == report["objective_change"] == 3_500_000
    assert all("stderr" in e for e in report["attribution"])


def test_path_count_is_the_shapley_value_when_every_subset_solves() -> None:
    """A three-player game: the path-counting values equal the fair split's Shapley formula, and sum to v(all) - v(none)."""
    v = {0: 0, 1: 10, 2: 20, 3: 50, 4: 5, 5: 15, 6: 40, 7: 100}
    phi, orders = path_shapley(3, v)
    exact = shapley(["0", "1", "2"], {frozenset(str(p) for p in range(3) if m >> p & 1): float(x) for m, x in v.items()})
    assert orders == 6
    assert [float(x) for x in phi] == pytest.approx([exact[str(p)] for p in range(3)])
    assert sum(phi) == 100


def test_largest_remainder_keeps_the_sum() -> None:
    """Thirds of a penny: 10/3, 10/3, 10/3 round to 4, 3, 3 (sum 10), each within a penny."""
    assert largest_remainder([Fraction(10, 3)] * 3, 10) == [4, 3, 3]
    assert largest_remainder([Fraction(-5, 2), Fraction(5, 2)], 0) == [-2, 2]  # floors -3, 2; the tie goes to the first


def test_diff_points_into_both_scenarios() -> None:
    """A removed intervention and a changed budget: pointers in A and in B follow each scenario's own positions."""
    a = json.loads(TINY.read_text())
    b = copy.deepcopy(a)
    b["interventions"] = b["interventions"][1:]
    b["pools"][1]["budget"] = 25_000
    b["pools"][1]["interventions"] = ["youth_diversion"]
    ca = parse_scenario(a)
    cb = parse_scenario(b)
    from optimizer.scenario import canonical_dict

    changes = diff.diff(canonical_dict(ca), canonical_dict(cb))
    by = {c["pointer_a"]: c for c in changes}
    assert by["/interventions/0"]["kind"] == "removed" and by["/interventions/0"]["pointer_b"] is None
    assert by["/pools/1/budget/0"]["new"] == 25_000 and by["/pools/1/budget/1"]["new"] == 25_000


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    budget=st.sampled_from([30_000, 50_000, 80_000]),
    share=st.sampled_from([0.0, 0.3, 0.6]),
    cost=st.sampled_from([800.0, 1200.0]),
    effect=st.sampled_from([0.3, 1.2, 2.0]),
)
def test_attributions_sum_to_the_objective_change(budget: float, share: float, cost: float, effect: float) -> None:
    """Whatever the changes, the attributed values (pence) sum exactly to B's optimum minus A's."""
    a = json.loads(TINY.read_text())
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = [budget, 50_000]
    b["policy"]["community_wealth_fund"]["min_share"] = share
    b["interventions"][1]["unit_cost"] = cost
    b["interventions"][1]["effects"][0]["per_participant"] = effect
    report = run(a, b)
    if report["objective_change"] is not None and report["attribution"]:
        assert sum(e["value"] for e in report["attribution"]) == report["objective_change"]
        assert report["sum_check"]["difference"] == 0


def test_the_command_prints_the_waterfall_and_writes_pence_and_svg(tmp_path: Path) -> None:
    """``totalplace compare A B -o report.json --chart w.svg`` on the interacting pair above: £12,500 and £22,500 in the table
    and the sentence, 1,250,000 and 2,250,000 pence in the JSON, and an SVG waterfall."""
    from typer.testing import CliRunner

    from optimizer.cli import app

    a = one_area(10_000)
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = 20_000.0
    b["interventions"][0]["effects"][0]["per_participant"] = 2.0
    pa, pb, out, chart = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "r.json", tmp_path / "w.svg"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    result = CliRunner().invoke(app, ["compare", str(pa), str(pb), "-o", str(out), "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    assert "raising the Pool 1 pool's year 1 budget from £10,000 to £20,000 bought £12,500 of net value; " in result.output
    assert "raising the effect of Early help on Outcome 1 from 1 to 2 bought £22,500 of net value." in result.output
    assert "= B: one area" in result.output and "£40,000" in result.output
    report = json.loads(out.read_text())
    assert report["money"] == "pence" and sorted(e["value"] for e in report["attribution"]) == [1_250_000, 2_250_000]
    assert chart.read_text().startswith("<svg") and "£22,500" in chart.read_text()
    bad = CliRunner().invoke(app, ["compare", str(pa), str(pb), "--chart", str(tmp_path / "w.png")])
    assert bad.exit_code == 2 and "SVG" in bad.output and "Traceback" not in bad.output


def test_more_than_ten_changes_are_valued_by_family_exactly() -> None:
    """Twelve independent changes (> 10): valued as budgets, policy, evidence and places, 2^4 = 16 scenarios, summing exactly.

    Asking for an exact attribution of all twelve is refused with a message that names the way out.
    """
    a = json.loads(TINY.read_text())
    b = copy.deepcopy(a)
    b["pools"][0]["budget"] = [55_000, 45_000]  # 2 budget changes
    b["pools"][1]["budget"] = 30_000  # 2 more (one per year)
    b["policy"]["community_wealth_fund"]["min_share"] = 0.4
    b["policy"]["social_value_weight"] = 0.5
    b["policy"]["area_cap"] = 60_000.0
    b["interventions"][0]["unit_cost"] = 1_600.0
    b["interventions"][1]["unit_cost"] = 750.0
    b["outcomes"][1]["social_value"] = 300.0
    b["areas"][0]["population"] = 1_400.0
    b["areas"][1]["groups"]["families"] = 45.0
    report = run(a, b)
    assert len(report["changes"]) == 12 and report["method"] == "families"
    assert [e["family"] for e in report["attribution"]] == ["budgets", "policy", "evidence", "places"]
    assert [e["action"] for e in report["attribution"]] == [
        "the 4 budget changes",
        "the 3 policy changes",
        "the 3 evidence changes",
        "the 2 place changes",
    ]
    assert sum(e["value"] for e in report["attribution"]) == report["objective_change"]
    from optimizer.analysis.common import AnalysisError

    with pytest.raises(AnalysisError, match="refused above 10"):
        run(a, b, method="exact")


def _agency_becomes_pool(b: dict[str, Any]) -> None:
    b["agencies"] = []
    b["pools"].append({"id": "nhs", "name": "NHS", "budget": 10_000})


def _longer_horizon(b: dict[str, Any]) -> None:
    b["horizon_years"] = 3
    b["pools"][0]["budget"] = [50_000] * 3


def _intervention_dropped(b: dict[str, Any]) -> None:
    b["interventions"] = b["interventions"][:1]
    b["pools"][1]["interventions"] = ["early_help"]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_agency_becomes_pool, "Adding the NHS pool and removing the NHS agency"),
        (
            _longer_horizon,
            "Raising the years of spending from 2 to 3, changing the Council pool's budget from £50,000 a year for 2 years to "
            "£50,000 a year for 3 years and changing the Police pool's budget",
        ),
        (
            _intervention_dropped,
            "Changing the Police pool's interventions it may fund (adding early_help; dropping youth_diversion) and "
            "removing Youth diversion",
        ),
    ],
)
def test_changes_that_need_each_other_are_one_step(edit: Any, words: str) -> None:
    """An id added or removed goes with every change naming it; a new horizon with every budget: one unit, valued whole."""
    a = json.loads(TINY.read_text())
    b = copy.deepcopy(a)
    edit(b)
    report = run(a, b)
    assert len(report["attribution"]) == 1 and len(report["attribution"][0]["changes"]) == len(report["changes"]) > 1
    assert report["attribution"][0]["message"].startswith(words)
    assert report["attribution"][0]["value"] == report["objective_change"]


def test_applying_changes_leaves_a_untouched_and_all_of_them_give_b() -> None:
    """Copy on write: every subset is built from A without changing it, and all the changes together give B (up to list order)."""
    from optimizer.scenario import canonical_dict

    a = canonical_dict(parse_scenario(json.loads(TINY.read_text())))
    b = copy.deepcopy(a)
    b["pools"][0]["budget"][1] = 1.0
    b["areas"][0]["groups"]["families"] = 61.0
    b["interventions"][0]["effects"][1]["per_participant"] = 0.7
    b["outcomes"].append({"id": "new", "name": "New", "unit_costs": {"nhs": 1.0}, "social_value": 0.0})
    del b["interventions"][1]
    before = copy.deepcopy(a)
    changes = diff.diff(a, b)
    for k in range(len(changes)):
        diff.apply(a, changes[k : k + 1])
    assert a == before
    assert diff.apply(a, changes) == b


def test_the_subset_cache_tells_apart_changes_that_share_an_id() -> None:
    """The interacting pair again (solved above in this process), then with budget 30,000 instead: c1 means another change.

    v(none) = 5,000; v(x) = 300 x 50 = 15,000; v(y) = 20,000; v(x, y) = 300 x 200 = 60,000:
    phi(x) = ((15,000 - 5,000) + (60,000 - 20,000)) / 2 = 25,000; phi(y) = ((20,000 - 5,000) + (60,000 - 15,000)) / 2 = 30,000.
    """
    a = one_area(10_000)
    for budget, expected in ((20_000.0, [1_250_000, 2_250_000]), (30_000.0, [2_500_000, 3_000_000])):
        b = copy.deepcopy(a)
        b["pools"][0]["budget"] = budget
        b["interventions"][0]["effects"][0]["per_participant"] = 2.0
        assert list(values(run(a, b)).values()) == expected
