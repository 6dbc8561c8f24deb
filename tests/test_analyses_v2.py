"""The analyses on model version 2 scenarios (issue 15, item 5): bands, commitments, priorities and sources in force.

Each analysis is checked against evidence it does not compute itself: re-solves of the scenario it describes (the
frontier's point at the scenario's own share, the grand coalition's value, a budget raised by the sensitivity's
amount), the efficiency of Shapley values, and for the Monte Carlo that a sample varies the effects and nothing else
(docs/model.md 2.1: the bands scale the effect, they are not sampled).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from optimizer.analysis import frontier, montecarlo, sensitivity, split
from optimizer.scenario import canonical_dict, parse_scenario
from optimizer.solve import solve
from optimizer.testing import random_scenario

ROOT = Path(__file__).resolve().parents[1]
TIGHT = ROOT / "scenarios" / "tight" / "manchester_tight.json"


def _v2_seeds() -> list[dict[str, Any]]:
    """Small version 2 draws with bands and a commitment somewhere (the draws that switch both on)."""
    out = []
    for seed in range(40):
        doc = random_scenario(seed, version=2)
        if (
            any(iv.get("response") for iv in doc["interventions"])
            and doc["policy"].get("commitments")
            and solve(parse_scenario(doc)).status == "optimal"
        ):
            out.append(doc)
        if len(out) == 3:
            break
    assert len(out) == 3
    return out


CASES = [pytest.param(json.loads(TIGHT.read_text()), id="manchester_tight")] + [pytest.param(d, id=d["name"]) for d in _v2_seeds()]


@pytest.mark.parametrize("doc", CASES)
def test_frontier_meets_the_solve_at_the_scenarios_own_share(doc: dict[str, Any]) -> None:
    """The frontier's point at the scenario's own Community Wealth Fund share is the scenario's optimum; no point of a
    larger share is worth more (a tighter rule can only cost)."""
    s = parse_scenario(doc)
    report = frontier.combine(s, [frontier.run_task(t) for t in frontier.plan(s, points=5)])
    solved = [p for p in report["points"] if p["status"] == "optimal"]
    assert solved
    objectives = [p["objective"] for p in sorted(solved, key=lambda p: p["min_share"])]
    assert all(b <= a + 1e-6 * max(1.0, abs(a)) for a, b in zip(objectives, objectives[1:], strict=False))
    own = s.policy.community_wealth_fund.min_share
    at = [p for p in solved if abs(p["min_share"] - own) < 1e-12]
    if at:
        assert at[0]["objective"] == pytest.approx(solve(s).objective, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("doc", CASES)
def test_split_shares_out_the_grand_coalitions_value(doc: dict[str, Any]) -> None:
    """Shapley values add up to the grand coalition's value (efficiency), and that value is the scenario's own optimum."""
    s = parse_scenario(doc)
    report = split.combine(s, [split.run_task(t) for t in split.plan(s)])
    assert sum(report["shapley"].values()) == pytest.approx(report["grand_value"], rel=1e-9, abs=1e-6)
    assert report["grand_value"] == pytest.approx(solve(s).objective, rel=1e-7, abs=1e-6)


def test_sensitivity_prices_hold_on_a_re_solve() -> None:
    """On the tight Manchester scenario (bands, a commitment; its budgets bind): for a budget with a positive price and a
    range, raising that budget by half the range raises the optimum by price x that amount (the price holds over its
    range: that is what the report says), checked by solving the raised scenario."""
    s = parse_scenario(json.loads(TIGHT.read_text()))
    report = sensitivity.combine(s, [sensitivity.run_task(t) for t in sensitivity.plan(s)])
    budgets = [
        it
        for it in report["items"]
        if it["target"]["rule"] == "budget" and it["status"] == "optimal" and (it["price"] or 0) > 1e-6 and (it["range"] or 0) > 1.0
    ]
    assert budgets  # the tight scenario: money is the limit
    it = budgets[0]
    raised = copy.deepcopy(canonical_dict(s))
    pool = next(p for p in raised["pools"] if p["id"] == it["target"]["pool"])
    year = it["target"]["year"] - 1
    step = it["range"] / 2
    pool["budget"][year] += step
    gained = solve(parse_scenario(raised)).objective - report["base_objective"]
    assert gained == pytest.approx(it["price"] * step, rel=1e-4, abs=1e-3)


@pytest.mark.parametrize("doc", CASES)
def test_monte_carlo_samples_the_effects_not_the_bands(doc: dict[str, Any]) -> None:
    """With every effect given low = 0.8 and high = 1.2 of its value, each sample differs from the scenario only in the
    effects' per_participant, each within its range; bands, commitments and priorities are the scenario's."""
    doc = copy.deepcopy(canonical_dict(parse_scenario(doc)))
    for iv in doc["interventions"]:
        for e in iv["effects"]:
            e["low"], e["high"] = 0.8 * e["per_participant"], 1.2 * e["per_participant"]
    s = parse_scenario(doc)
    uncertain = montecarlo.uncertain_effects(s)
    assert len(uncertain) == sum(len(iv.effects) for iv in s.interventions if any(e.per_participant > 0 for e in iv.effects)) or uncertain
    for index in range(3):
        sample = canonical_dict(montecarlo.with_effects(s, uncertain, montecarlo.draw(7, index, uncertain)))
        base = canonical_dict(s)
        for iv, iv0 in zip(sample["interventions"], base["interventions"], strict=True):
            assert iv.get("response") == iv0.get("response")
            for e, e0 in zip(iv["effects"], iv0["effects"], strict=True):
                assert e0["low"] - 1e-12 <= e["per_participant"] <= e0["high"] + 1e-12
        strip = lambda d: [{k: v for k, v in iv.items() if k != "effects"} for iv in d["interventions"]]  # noqa: E731
        assert strip(sample) == strip(base) and sample["policy"] == base["policy"] and sample["areas"] == base["areas"]
        assert solve(parse_scenario(sample)).status == "optimal"
