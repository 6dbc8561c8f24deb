"""The price of the Community Wealth Fund rule (optimizer/analysis/frontier.py).

Evidence: along the sweep the optimum never rises; its first point is the optimum of the scenario
without the rule (solved separately); the marginal price measured on the frontier matches the shadow
price the core gives for the rule where the frontier is smooth; and the SVG chart is well-formed.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from optimizer.analysis import AnalysisError, run_analysis
from optimizer.analysis.frontier import chart_svg, largest_share, plan
from optimizer.scenario import parse_scenario
from optimizer.solve import solve
from optimizer.testing import random_scenario


@pytest.fixture(scope="module")
def tiny90() -> dict[str, Any]:
    data = json.loads((Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.json").read_text())
    data["policy"]["community_wealth_fund"]["min_share"] = 0.9
    return data


@pytest.fixture(scope="module")
def report(tiny90: dict[str, Any]) -> dict[str, Any]:
    return run_analysis("frontier", parse_scenario(tiny90), points=11)


def test_points_sweep_from_zero_to_one(report: dict[str, Any]) -> None:
    shares = [p["min_share"] for p in report["points"]]
    assert shares == pytest.approx([k / 10 for k in range(11)])
    assert all(p["status"] == "optimal" for p in report["points"])
    assert set(report["points"][0]) >= {"min_share", "objective", "status"}


def test_frontier_never_rises(report: dict[str, Any]) -> None:
    objectives = [p["objective"] for p in report["points"]]
    for a, b in zip(objectives, objectives[1:], strict=False):
        assert b <= a + 1e-7 * max(1.0, abs(a))
    assert objectives[-1] < objectives[0]  # targeting everything at deprived areas costs something here


def test_first_point_is_the_optimum_without_the_rule(report: dict[str, Any], tiny90: dict[str, Any]) -> None:
    free = copy.deepcopy(tiny90)
    free["policy"]["community_wealth_fund"]["min_share"] = 0.0
    assert report["points"][0]["objective"] == pytest.approx(solve(parse_scenario(free)).objective, rel=1e-9)
    assert report["unconstrained_objective"] == pytest.approx(report["points"][0]["objective"], rel=1e-12)


def test_price_matches_the_core_shadow_price_where_smooth(report: dict[str, Any], tiny90: dict[str, Any]) -> None:
    price = report["price"]
    assert price["smooth"] is True
    core = next(r["value"] for r in solve(parse_scenario(tiny90)).shadow_prices["rules"] if r["rule"] == "community_wealth_fund.min_share")
    assert price["per_point"] < 0  # a higher share costs net value
    # the core reports the rule's price as a positive cost per percentage point; the frontier's slope is its negative
    assert abs(price["per_point"]) == pytest.approx(abs(core), rel=1e-3)
    assert price["core_shadow_price"] == pytest.approx(core, rel=1e-9)
    assert report["cost_of_rule"] == pytest.approx(report["points"][0]["objective"] - report["points"][9]["objective"], rel=1e-9)


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_random_frontiers_never_rise(seed: int) -> None:
    s = parse_scenario(random_scenario(seed))
    rep = run_analysis("frontier", s, points=6)
    ok = [p["objective"] for p in rep["points"] if p["status"] == "optimal"]
    for a, b in zip(ok, ok[1:], strict=False):
        assert b <= a + 1e-6 * max(1.0, abs(a))


def test_no_deprived_area_to_spend_in_gives_one_point(tiny90: dict[str, Any]) -> None:
    data = copy.deepcopy(tiny90)
    data["areas"][0]["imd_decile"] = 4  # no deprived area left
    s = parse_scenario(data)
    assert largest_share(s) == 0.0
    rep = run_analysis("frontier", s)
    assert [p["min_share"] for p in rep["points"]] == [0.0]
    assert any("Nothing can be spent in a deprived area" in m for m in rep["messages"])


def test_chart_is_well_formed_svg(report: dict[str, Any]) -> None:
    svg = chart_svg(report)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    symbols = [g for g in root.iter() if "mark-symbol" in (g.get("class") or "")]  # the line's points, drawn by Vega
    assert sum(len(list(g)) for g in symbols) == sum(1 for p in report["points"] if p["status"] == "optimal") >= 11
    assert "this scenario: 90 %" in svg


def test_bad_points_is_refused(tiny90: dict[str, Any]) -> None:
    with pytest.raises(AnalysisError, match="at least 2"):
        plan(parse_scenario(tiny90), points=1)


def test_the_free_share_is_the_end_of_the_flat_start(report: dict[str, Any]) -> None:
    """The first sentence names the largest share tried that costs nothing: flat up to it, lower just after it."""
    import re

    match = re.search(r"at least (\d+)% of their spending", report["messages"][0])
    assert match, report["messages"][0]
    free = int(match[1]) / 100
    points = report["points"]
    top = points[0]["objective"]
    at = next(p for p in points if p["min_share"] == pytest.approx(free))
    assert at["objective"] == pytest.approx(top, rel=1e-7)
    after = [p for p in points if p["min_share"] > free + 1e-9]
    if after:
        assert after[0]["objective"] < top * (1 - 1e-7)
