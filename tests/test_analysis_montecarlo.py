"""Uncertainty (optimizer/analysis/montecarlo.py): seeded, reproducible samples, funding chances, the robust plan.

On tiny.json with uncertain effects (early help +/-50 %, youth diversion +/-20 %), youth diversion is
funded in both areas in every sample: in year 2 it is worth at least (480/1.035 + 480/1.035^2 + 60/1.035)
/ (800/1.035) = £1.25 a pound even at its low effects, and the council's £50,000 covers all 48 places (£38,400).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimizer.analysis import AnalysisError, run_analysis
from optimizer.analysis.montecarlo import draw, effect_coefficients, plan, plan_value, uncertain_effects
from optimizer.coefficients import compute
from optimizer.scenario import parse_scenario
from optimizer.solve import solve
from optimizer.testing import random_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def uncertain() -> dict[str, Any]:
    data = json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())
    for iv in data["interventions"]:
        spread = 0.5 if iv["id"] == "early_help" else 0.2
        for eff in iv["effects"]:
            eff["low"], eff["high"] = eff["per_participant"] * (1 - spread), eff["per_participant"] * (1 + spread)
    return data


@pytest.fixture(scope="module")
def report(uncertain: dict[str, Any]) -> dict[str, Any]:
    return run_analysis("montecarlo", parse_scenario(uncertain), samples=24, seed=11, robust=True)


def test_same_seed_same_answer_on_one_or_two_workers(uncertain: dict[str, Any], report: dict[str, Any]) -> None:
    again = run_analysis("montecarlo", parse_scenario(uncertain), samples=24, seed=11, robust=True, workers=2, batch=5)
    assert again["sample_results"] == report["sample_results"]
    assert again["funded"] == report["funded"]
    assert again["objective"] == report["objective"]
    other = run_analysis("montecarlo", parse_scenario(uncertain), samples=24, seed=12)
    assert [r["objective"] for r in other["sample_results"]] != [r["objective"] for r in report["sample_results"]]


def test_samples_vary_and_are_all_solved(report: dict[str, Any]) -> None:
    assert report["samples"] == report["solved"] == 24
    objectives = [r["objective"] for r in report["sample_results"]]
    assert len(set(objectives)) == 24
    assert report["objective"]["min"] <= report["objective"]["p50"] <= report["objective"]["max"]
    assert report["objective"]["mean"] == pytest.approx(np.mean(objectives))


def test_always_funded_has_probability_one(report: dict[str, Any]) -> None:
    chance = {(f["area"], f["intervention"]): f["probability"] for f in report["funded"]}
    assert chance[("E01000001", "youth_diversion")] == 1.0
    assert chance[("E01000002", "youth_diversion")] == 1.0
    assert all(0.0 < p <= 1.0 for p in chance.values())


def test_robust_is_a_floor(report: dict[str, Any], uncertain: dict[str, Any]) -> None:
    rob = report["robust"]
    objectives = [r["objective"] for r in report["sample_results"]]
    assert rob["objective"] <= min(objectives) + 1e-6
    assert rob["objective"] <= report["objective"]["mean"]
    # independently: the scenario with every effect at its low value, written out by hand
    low = copy.deepcopy(uncertain)
    for iv in low["interventions"]:
        for eff in iv["effects"]:
            eff["per_participant"] = eff["low"]
    assert rob["objective"] == pytest.approx(solve(parse_scenario(low)).objective, rel=1e-9)
    # the cautious plan, valued in each sample, lies between the floor and the re-optimised value
    assert rob["objective"] - 1e-6 <= rob["value_in_samples"]["min"]
    assert rob["value_in_samples"]["mean"] <= report["objective"]["mean"] + 1e-6
    assert rob["cost_of_caution"] >= -1e-6


def test_plan_value_is_the_objective_at_the_low_values(uncertain: dict[str, Any]) -> None:
    from optimizer.analysis.montecarlo import _weighted_participants, pessimistic

    s = parse_scenario(uncertain)
    low = pessimistic(s)
    r = solve(low)
    lows = [low for _, _, low, _, _ in uncertain_effects(s)]
    value = plan_value(s, _weighted_participants(low, r), r.summary["total_spending_discounted"], lows)
    assert value == pytest.approx(r.objective, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 3, 8])
def test_effect_coefficients_rebuild_the_core_values(seed: int) -> None:
    s = parse_scenario(random_scenario(seed))
    k = compute(s)
    benefit = np.zeros((len(s.interventions), s.H))
    coefs = iter(effect_coefficients(s))
    for i, iv in enumerate(s.interventions):
        for eff in iv.effects:
            _, coef = next(coefs)
            benefit[i] += eff.per_participant * coef
    assert benefit == pytest.approx(k.value.sum(axis=2) + k.social_weight * k.social, rel=1e-12, abs=1e-9)


def test_draws_are_seeded_bounded_and_shaped() -> None:
    effects = [(0, 0, 0.0, 1.0, 3.0)]
    assert draw(5, 17, effects) == draw(5, 17, effects)
    assert draw(5, 17, effects) != draw(5, 18, effects) != draw(6, 17, effects)
    tri = np.array([draw(1, i, effects)[0] for i in range(20_000)])
    uni = np.array([draw(1, i, effects, "uniform")[0] for i in range(20_000)])
    assert tri.min() >= 0 and tri.max() <= 3 and uni.min() >= 0 and uni.max() <= 3
    assert tri.mean() == pytest.approx(4 / 3, abs=0.02)  # triangular mean (a + b + c) / 3
    assert uni.mean() == pytest.approx(1.5, abs=0.03)
    assert np.mean(tri < 1.0) == pytest.approx(1 / 3, abs=0.015)  # P(X < c) = (c - a) / (b - a)


def test_certain_scenario_warns_and_bad_options_are_refused() -> None:
    data = json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())
    rep = run_analysis("montecarlo", parse_scenario(data), samples=2)
    assert rep["uncertain_effects"] == 0 and rep["warnings"]
    assert rep["objective"]["min"] == pytest.approx(rep["nominal"]["objective"])
    s = parse_scenario(data)
    with pytest.raises(AnalysisError, match="samples"):
        plan(s, samples=0)
    with pytest.raises(AnalysisError, match="distribution"):
        plan(s, distribution="normal")
