"""Golden tests of version 2 of the model (docs/model.md, "Version 2"): bands, priorities, commitments, sources.

One small scenario per feature, its optimum worked out by hand in the docstring, solved on every
installed back end (MIP cases: the MIP-capable ones) and every formulation; the independent checker
(optimizer/check.py) must find each result clean. The building blocks and conventions are those of
tests/test_rules.py: H = A = 1, discount rate 0, area "A1" of decile 5 with 100 families, unit cost
£100, one council pool of £100,000, and an outcome worth £300 to the council per occurrence.
"""

from __future__ import annotations

from typing import Any

import pytest

from optimizer.errors import ScenarioError
from optimizer.scenario import parse_scenario, scenario_hash
from optimizer.solve import available_solvers, solve
from tests.test_rules import MIP_BACKENDS, approx, area, eff, iv, outcome, pool, run, scenario, total

ALL_FORMULATIONS = ("pooled", "full", "auto")


@pytest.fixture(params=available_solvers())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=MIP_BACKENDS)
def mip_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=ALL_FORMULATIONS)
def formulation(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def v2(**kw: Any) -> dict[str, Any]:
    return {**scenario(**kw), "schema_version": 2}


def banded(id: str, bands: list[tuple[float, float]], e: float = 1.0, **kw: Any) -> dict[str, Any]:
    out = iv(id, [eff("o_good", e)], **kw)
    out.pop("max_coverage")
    out["response"] = [{"up_to": u, "effect": b} for u, b in bands]
    return out


# ---------------------------------------------------------------------------
# 2.1 diminishing returns
# ---------------------------------------------------------------------------


def test_two_bands_only_the_first_pays(backend: str, formulation: str) -> None:
    """Band 1 (up to 20 % of 100 families, effect 1) and band 2 (to 50 %, effect 0.25).

    Band 1: 20 participants worth £300 each for £100: +£200 each. Band 2: 30 more worth
    0.25 x £300 = £75 each for £100: -£25 each, so none are bought.
    Optimum: 20 participants, spend £2,000, objective 20 x 300 - 2,000 = £4,000; savings £6,000.
    """
    data = v2(interventions=[banded("good", [(0.2, 1.0), (0.5, 0.25)])])
    result = run(data, backend, formulation, 4000.0)
    assert total(result, "participants") == approx(20.0, backend)
    assert result["summary"]["savings_by_agency"]["council"] == approx(6000.0, backend)


def test_bands_in_two_alike_areas_merge_and_scale_with_the_eligible(backend: str) -> None:
    """A1 with 100 families and A2 with 50, otherwise alike: their bands scale with the eligible people.

    Bands as above: band 1 holds 20 in A1 and 10 in A2, each +£200; band 2 loses £25 a participant.
    Optimum: 30 participants, objective 30 x 200 = £6,000, and the areas merge into one class.
    """
    data = v2(areas=[area("A1"), area("A2", families=50)], interventions=[banded("good", [(0.2, 1.0), (0.5, 0.25)])])
    result = run(data, backend, "auto", 6000.0)
    assert result["solver"]["formulation"] == "merged" and result["solver"]["area_classes"] == 1
    assert total(result, "participants", area="A1") == approx(20.0, backend)
    assert total(result, "participants", area="A2") == approx(10.0, backend)


def test_a_budget_that_binds_buys_the_better_band_first(backend: str, formulation: str) -> None:
    """Bands (0.3, effect 1), (0.5, effect 0.5) on an outcome worth £400: band 1 +£300, band 2 +£100 a participant.

    The budget of £4,000 buys 40 participants: all 30 of band 1 and 10 of band 2.
    Objective: 30 x 400 + 10 x 200 - 4,000 = 12,000 + 2,000 - 4,000 = £10,000.
    """
    data = v2(
        pools=[pool("council", 4000)], outcomes=[outcome("o_good", council=400)], interventions=[banded("good", [(0.3, 1.0), (0.5, 0.5)])]
    )
    result = run(data, backend, formulation, 10000.0)
    assert total(result) == approx(4000.0, backend)


def test_a_band_with_fixed_costs_and_minimum_participants(mip_backend: str, formulation: str) -> None:
    """Launch cost £1,000, at least 30 participants; bands (0.1, effect 1) and (0.5, effect 0.25).

    Launched, band 1's 10 participants give +£200 each (+£2,000); the minimum forces 20 more into band 2,
    each worth 0.25 x 300 = £75 for £100 (-£25 each, -£500); the launch costs £1,000.
    Launching: 2,000 - 500 - 1,000 = +£500 > 0, so it launches with exactly 30 participants.
    Objective £500; spending 30 x 100 + 1,000 = £4,000.
    """
    data = v2(interventions=[banded("good", [(0.1, 1.0), (0.5, 0.25)], fixed_cost=1000, min_participants=30)])
    result = run(data, mip_backend, formulation, 500.0)
    assert len(result["launches"]) == 1
    assert total(result, "participants") == approx(30.0, mip_backend)
    assert result["summary"]["total_spending"] == approx(4000.0, mip_backend)


def test_a_band_with_fixed_costs_not_worth_launching(mip_backend: str) -> None:
    """As above with a launch cost of £1,600: 2,000 - 500 - 1,600 = -£100 < 0, so nothing launches; objective 0."""
    data = v2(interventions=[banded("good", [(0.1, 1.0), (0.5, 0.25)], fixed_cost=1600, min_participants=30)])
    result = run(data, mip_backend, "pooled", 0.0)
    assert result["launches"] == [] and result["allocations"] == []


def test_bands_count_in_no_agency_worse_off_and_in_reinvestment(backend: str, formulation: str) -> None:
    """Two years; the outcome saves the council £150 and the police £150; bands (0.2, effect 1), (0.5, effect 0.5).

    Value a participant: band 1 £300 (+£200 net), band 2 £150 (+£50 net), so without rule 9 both bands are
    bought: 50 a year. With "no agency worse off" the council's spending must not exceed its own savings:
    band 1 saves it £150 for £100 (+£50), band 2 saves it £75 for £100 (-£25). Per year: 20 band-1
    participants give +£1,000 to the council; band 2 participants cost it £25 each, so at most 40 of them
    fit, but only 30 exist: all 50 are bought (council: 20 x 150 + 30 x 75 = 5,250 saved for 5,000 spent).
    The police pays nothing and gains. Objective per year: 20 x 300 + 30 x 150 - 5,000 = £5,500; two years £11,000.
    """
    data = v2(
        H=2,
        agencies=[{"id": "police", "name": "police"}],
        outcomes=[outcome("o_good", council=150, police=150)],
        interventions=[banded("good", [(0.2, 1.0), (0.5, 0.5)])],
        policy={"no_agency_worse_off": True},
    )
    result = run(data, backend, formulation, 11000.0)
    assert result["summary"]["savings_by_agency"]["council"] == approx(10500.0, backend)


def test_one_band_of_effect_one_is_version_1() -> None:
    """A response of one band {max_coverage, 1} is version 1's programme: the same optimum and allocations."""
    plain = scenario()
    one = v2(interventions=[banded("good", [(0.5, 1.0)])])
    a, b = solve(parse_scenario(plain)).to_dict(), solve(parse_scenario(one)).to_dict()
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-12)
    assert a["allocations"] == b["allocations"]


# ---------------------------------------------------------------------------
# 2.3 commitments
# ---------------------------------------------------------------------------


def test_a_commitment_that_forces_a_loss(backend: str, formulation: str) -> None:
    """'good' nets £200 a participant (50 bought: +£10,000); 'poor' is worth £50 for £100 (-£50 each).

    A commitment of £1,000 on 'poor' buys 10 participants: -£500. Objective 10,000 - 500 = £9,500.
    """
    data = v2(
        outcomes=[outcome("o_good", council=300), outcome("o_poor", council=50)],
        interventions=[iv("good", [eff("o_good")]), iv("poor", [eff("o_poor")])],
        policy={"commitments": [{"intervention": "poor", "min_spend": 1000}]},
    )
    result = run(data, backend, formulation, 9500.0)
    assert total(result, intervention="poor") == approx(1000.0, backend)


def test_a_commitment_in_one_area_and_year(backend: str, formulation: str) -> None:
    """Two years, areas A1 and A2; 'poor' (-£50 a participant) is committed to £1,500 in A2 in year 2 only.

    'good' is bought in full everywhere: 2 areas x 2 years x 50 x £200 = £40,000. The commitment buys
    15 participants of 'poor' in A2 in year 2 (-£750) and nothing elsewhere. Objective £39,250.
    """
    data = v2(
        H=2,
        areas=[area("A1"), area("A2")],
        outcomes=[outcome("o_good", council=300), outcome("o_poor", council=50)],
        interventions=[iv("good", [eff("o_good")]), iv("poor", [eff("o_poor")])],
        policy={"commitments": [{"intervention": "poor", "area": "A2", "year": 2, "min_spend": 1500}]},
    )
    result = run(data, backend, formulation, 39250.0)
    assert total(result, intervention="poor", area="A2", year=2) == approx(1500.0, backend)
    assert total(result, intervention="poor") == approx(1500.0, backend)


def test_a_commitment_counts_the_fixed_cost(mip_backend: str) -> None:
    """'poor' has a launch cost of £400: a commitment of £1,000 is met by the launch and 6 participants.

    Spending on it is 400 + 100 x n >= 1,000, so n = 6 (each -£50); objective -400 - 300 = -£700 (plus 'good' £10,000).
    """
    data = v2(
        outcomes=[outcome("o_good", council=300), outcome("o_poor", council=50)],
        interventions=[iv("good", [eff("o_good")]), iv("poor", [eff("o_poor")], fixed_cost=400)],
        policy={"commitments": [{"intervention": "poor", "min_spend": 1000}]},
    )
    result = run(data, mip_backend, "pooled", 9300.0)
    assert total(result, "participants", intervention="poor") == approx(6.0, mip_backend)


def test_an_infeasible_commitment_is_diagnosed_in_board_words() -> None:
    """A commitment in an area no pool that may fund the intervention covers: infeasible, and the sentence says why."""
    data = v2(
        areas=[area("A1"), area("E01005062")],
        H=2,
        pools=[pool("council", 100000, areas=["A1"])],
        interventions=[iv("youth", [eff("o_good")], name="youth diversion")],
        policy={"commitments": [{"intervention": "youth", "area": "E01005062", "year": 2, "min_spend": 30000}]},
    )
    data["interventions"][0]["name"] = "youth diversion"
    result = solve(parse_scenario(data)).to_dict()
    assert result["status"] == "infeasible"
    message = result["diagnosis"]["message"]
    assert (
        "the commitment to spend £30,000.00 on youth diversion in E01005062 in year 2 (policy.commitments[0]) cannot be met: "
        "the footprint of every pool that may fund it excludes that area"
    ) in message, message
    change = result["diagnosis"]["changes"][0]
    assert change["rule"] == "commitment" and change["change"] == pytest.approx(30000.0)


def test_a_commitment_beyond_the_budget_is_diagnosed_with_what_is_left() -> None:
    """A £5,000 budget and a £6,000 commitment: short by £1,000, and the diagnosis says £5,000 is left for it."""
    data = v2(pools=[pool("council", 5000)], policy={"commitments": [{"intervention": "good", "min_spend": 6000}]})
    data["interventions"][0]["max_coverage"] = 1.0
    result = solve(parse_scenario(data)).to_dict()
    assert result["status"] == "infeasible"
    assert "the budgets and the other rules leave £5,000.00 for it" in result["diagnosis"]["message"]
    assert result["diagnosis"]["total_change"] == pytest.approx(1000.0)


# ---------------------------------------------------------------------------
# 2.2 residents' priorities
# ---------------------------------------------------------------------------


def priorities_case(strength: float = 0.5, place: dict[str, float] | None = None, own: dict[str, float] | None = None) -> dict[str, Any]:
    a1 = area("A1")
    if own is not None:
        a1["priorities"] = own
    outs = [outcome("o_health", council=300), outcome("o_safety", police=300)]
    outs[0]["themes"], outs[1]["themes"] = ["health"], ["equality_and_safety"]
    return v2(
        areas=[a1, area("A2")],
        pools=[pool("council", 7500)],
        agencies=[{"id": "police", "name": "police"}],
        outcomes=outs,
        interventions=[iv("h", [eff("o_health")]), iv("s", [eff("o_safety")])],
        policy={"resident_priorities": {"strength": strength, "weights": place or {"health": 1, "equality_and_safety": 2}}},
    )


def test_priorities_one_area_with_its_own_and_one_with_the_places(backend: str, formulation: str) -> None:
    """A1's residents give health 3 points and safety 1; the place gives health 1 and safety 2; strength 0.5.

    A1: mean 2, omega health 1.5, safety 0.5: rho = 0.5 + 0.5 x 1.5 = 1.25 (health), 0.75 (safety).
    A2 (the place's): mean 1.5, omega 2/3 and 4/3: rho = 0.5 + 1/3 = 5/6 (health), 0.5 + 2/3 = 7/6 (safety).
    Weighted value a participant (each outcome £300): A1 h 375, A2 s 350, A2 h 250, A1 s 225.
    £7,500 buys 75 participants at £100: A1 h (50) then A2 s (25).
    Objective 50 x 375 + 25 x 350 - 7,500 = 18,750 + 8,750 - 7,500 = £20,000. Savings stay money:
    council 50 x 300 = £15,000, police 25 x 300 = £7,500. Value by theme: health £18,750, safety £8,750.
    """
    data = priorities_case(own={"health": 3, "equality_and_safety": 1})
    result = run(data, backend, formulation, 20000.0)
    assert total(result, "participants", area="A1", intervention="h") == approx(50.0, backend)
    assert total(result, "participants", area="A2", intervention="s") == approx(25.0, backend)
    summary = result["summary"]
    assert summary["savings_by_agency"] == {"council": approx(15000.0, backend), "police": approx(7500.0, backend)}
    assert summary["value_by_theme"] == {"health": approx(18750.0, backend), "equality_and_safety": approx(8750.0, backend)}
    assert summary["value_without_theme"] == approx(0.0, backend)


def test_areas_with_other_priorities_do_not_merge() -> None:
    """A1 and A2 are alike but for A1's own priorities: two area classes; without priorities counting, one."""
    with_own = solve(parse_scenario(priorities_case(own={"health": 3, "equality_and_safety": 1})))
    assert with_own.solver["formulation"] == "merged" and with_own.solver["area_classes"] == 2
    none = solve(parse_scenario(priorities_case(strength=0.0, own={"health": 3, "equality_and_safety": 1})))
    assert none.solver["area_classes"] == 1


@pytest.mark.parametrize(
    "strength, place", [(0.0, {"health": 1, "equality_and_safety": 2}), (0.8, {"health": 2, "equality_and_safety": 2})]
)
def test_strength_0_or_equal_points_reproduce_version_1(strength: float, place: dict[str, float]) -> None:
    """With strength 0, or equal points for every theme, rho = 1 everywhere: version 1's optimum, exactly.

    (A £10,000 budget buys every participant, so the optimum is unique: 4 x 50 x 200 = £40,000.)
    """
    data = priorities_case(strength=strength, place=place)
    data["pools"][0]["budget"] = 20000
    base = {
        **data,
        "schema_version": 1,
        "outcomes": [{k: v for k, v in o.items() if k != "themes"} for o in data["outcomes"]],
        "policy": {},
    }
    a, b = solve(parse_scenario(data)).to_dict(), solve(parse_scenario(base)).to_dict()
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-12) == 40000.0
    assert a["allocations"] == b["allocations"]
    assert a["summary"]["savings_by_agency"] == b["summary"]["savings_by_agency"]


# ---------------------------------------------------------------------------
# 2.5 sources, and the version 2 fields' validation
# ---------------------------------------------------------------------------


def test_sources_are_carried_to_by_intervention() -> None:
    data = v2()
    data["interventions"][0]["source"] = "A trial, 2024, table 3"
    data["outcomes"][0]["source"] = "Unit cost database v1.4"
    result = solve(parse_scenario(data)).to_dict()
    row = result["summary"]["by_intervention"]["good"]
    assert row["source"] == "A trial, 2024, table 3"
    assert row["outcome_sources"] == {"o_good": "Unit cost database v1.4"}


def test_version_2_fields_left_out_keep_the_hash() -> None:
    """A version 1 scenario's hash does not change when version 2 is declared without using its fields."""
    assert scenario_hash(parse_scenario(scenario())) != ""
    plain, empty = scenario(), {**scenario(), "policy": {"commitments": []}, "schema_version": 2}
    a, b = parse_scenario(plain), parse_scenario(empty)
    assert scenario_hash(a) != scenario_hash(b)  # the version is part of what was said
    assert scenario_hash(b) == scenario_hash(parse_scenario({**scenario(), "schema_version": 2}))


def test_max_coverage_from_the_last_band_hashes_alike() -> None:
    """Leaving max_coverage out where the response gives it is the same scenario as writing it in."""
    with_cov = v2(interventions=[iv("good", [eff("o_good")], cov=0.5)])
    with_cov["interventions"][0]["response"] = [{"up_to": 0.2, "effect": 1}, {"up_to": 0.5, "effect": 0.5}]
    without = v2(interventions=[banded("good", [(0.2, 1.0), (0.5, 0.5)])])
    assert scenario_hash(parse_scenario(with_cov)) == scenario_hash(parse_scenario(without))


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    return {p.loc: p.msg for p in err.value.problems}


def test_a_rising_response_is_refused_with_why() -> None:
    found = problems(v2(interventions=[banded("good", [(0.2, 0.5), (0.5, 1.0)])]))
    assert "integer variables" in found["/interventions/0/response/1/effect"]


def test_bands_out_of_order_are_refused() -> None:
    found = problems(v2(interventions=[banded("good", [(0.4, 1.0), (0.2, 0.5)])]))
    assert "greater than the band before it" in found["/interventions/0/response/1/up_to"]


def test_a_last_band_that_disagrees_with_max_coverage_is_refused() -> None:
    data = v2(interventions=[iv("good", [eff("o_good")], cov=0.5)])
    data["interventions"][0]["response"] = [{"up_to": 0.2, "effect": 1}, {"up_to": 0.4, "effect": 0.5}]
    found = problems(data)
    assert (
        "must be equal" in found["/interventions/0/response/1/up_to"]
        and "max_coverage is 0.5" in found["/interventions/0/response/1/up_to"]
    )


@pytest.mark.parametrize(
    "commitment, loc, words",
    [
        ({"intervention": "nope", "min_spend": 10}, "/policy/commitments/0/intervention", "unknown intervention id 'nope'"),
        ({"intervention": "good", "area": "Z9", "min_spend": 10}, "/policy/commitments/0/area", "unknown area id 'Z9'"),
        ({"intervention": "good", "year": 3, "min_spend": 10}, "/policy/commitments/0/year", "beyond horizon_years (1)"),
        ({"intervention": "good", "min_spend": -5}, "/policy/commitments/0/min_spend", "greater than or equal to 0"),
    ],
)
def test_bad_commitments_are_refused_where_they_are(commitment: dict[str, Any], loc: str, words: str) -> None:
    found = problems(v2(policy={"commitments": [commitment]}))
    assert words in found[loc], found


@pytest.mark.parametrize(
    "priorities, loc, words",
    [
        ({"strength": 0.5, "weights": {"helth": 1}}, "/policy/resident_priorities/weights/helth", "named by no outcome"),
        ({"strength": 0.5, "weights": {"health": -1}}, "/policy/resident_priorities/weights/health", "greater than or equal to 0"),
        (
            {"strength": 0.5, "weights": {"health": 0, "equality_and_safety": 0}},
            "/policy/resident_priorities/weights",
            "no theme any points",
        ),
        ({"strength": 1.5, "weights": {"health": 1}}, "/policy/resident_priorities/strength", "less than or equal to 1"),
    ],
)
def test_bad_priorities_are_refused_where_they_are(priorities: dict[str, Any], loc: str, words: str) -> None:
    data = priorities_case()
    data["policy"]["resident_priorities"] = priorities
    found = problems(data)
    assert words in found[loc], found


def test_an_areas_all_zero_priorities_are_refused() -> None:
    found = problems(priorities_case(own={"health": 0}))
    assert "no theme any points" in found["/areas/0/priorities"]


def test_a_binding_commitment_is_priced_and_the_price_is_the_finite_difference() -> None:
    """'poor' is worth £50 a participant for £100: each £1 committed to it costs £0.50 of net value.

    Finite difference: min_spend 1,000 gives 10,000 - 500 = £9,500; 1,100 gives 10,000 - 550 = £9,450:
    -£50 for £100 more, -£0.50 per £1, the price the binding rule states.
    """

    def case(amount: float) -> dict[str, Any]:
        return v2(
            outcomes=[outcome("o_good", council=300), outcome("o_poor", council=50)],
            interventions=[iv("good", [eff("o_good")]), iv("poor", [eff("o_poor")])],
            policy={"commitments": [{"intervention": "poor", "min_spend": amount}]},
        )

    base, more = solve(parse_scenario(case(1000))), solve(parse_scenario(case(1100)))
    assert (more.objective - base.objective) / 100 == pytest.approx(-0.5, rel=1e-9)
    rule = next(b for b in base.binding_rules if b["rule"] == "commitment")
    assert rule["value"] == pytest.approx(-0.5, rel=1e-9)
    assert "costs £0.50 of net value" in rule["message"]
    price = next(p for p in base.shadow_prices["rules"] if p["rule"] == "commitment")
    assert price["value"] == pytest.approx(-0.5, rel=1e-9) and price["intervention"] == "poor"
