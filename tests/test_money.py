"""Money in pence at the edge (optimizer/money.py): whole pence, ratios to 6 figures, and totals that add up.

On the worked scenarios (the tiny example, the same with a fixed cost, Camden, and the
tight Manchester one) the result as written out has every amount in whole pence, every
total equal to the sum of its rounded parts to the penny, and every figure within pennies
of the solver's full-precision figure, which the independent checker still accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimizer.check import check_result
from optimizer.forms import load_scenario
from optimizer.money import RATIO_FIGURES, in_pence, largest_remainder, pack_in_pence, ratio, to_pence
from optimizer.scenario import Scenario
from optimizer.solve import solve

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"


def test_largest_remainder_by_hand() -> None:
    """Thirds of £1: floors 33 + 33 + 33 = 99p, one penny short, to the first (ties to the earlier part): 34, 33, 33."""
    assert list(largest_remainder([1 / 3, 1 / 3, 1 / 3])) == [34, 33, 33]
    # 0.125 + 0.125 + 0.75 = £1: floors 12 + 12 + 75 = 99, the penny to the first .5 remainder
    assert list(largest_remainder([0.125, 0.125, 0.75])) == [13, 12, 75]
    # against a given total: £10.00 in parts 3.333, 3.333, 3.334 -> 333 + 333 + 333 = 999, one to the largest remainder (.4)
    assert list(largest_remainder([3.333, 3.333, 3.334], 10.0)) == [333, 333, 334]
    assert list(largest_remainder([-0.333, -0.333, -0.334])) == [-33, -33, -34]
    assert to_pence(0.005) == 1 and to_pence(-0.005) == -1 and to_pence(31599.999999999993) == 3_160_000


def test_ratios_keep_six_figures() -> None:
    assert ratio(0.4604851143939571) == 0.460485 and ratio(1.5365513135578752) == 1.53655 and ratio(None) is None
    assert ratio(123456789.0) == 123457000.0 and RATIO_FIGURES == 6


def _whole_pence(v: float) -> bool:
    return abs(v * 100 - round(v * 100)) < 1e-6


def _tiny_mip() -> Scenario:
    data = json.loads(TINY.read_text())
    data["interventions"][0]["fixed_cost"] = 5000.0
    return Scenario.model_validate(data)


WORKED = {
    "tiny": lambda: load_scenario(TINY),
    "tiny-fixed-cost": _tiny_mip,
    "camden": lambda: load_scenario(ROOT / "scenarios" / "camden.json"),
    "manchester-tight": lambda: load_scenario(ROOT / "scenarios" / "tight" / "manchester_tight.json"),
}


@pytest.fixture(scope="module", params=sorted(WORKED))
def worked(request: pytest.FixtureRequest) -> tuple[Scenario, dict[str, Any], dict[str, Any]]:
    s = WORKED[request.param]()
    exact = solve(s).to_dict()
    return s, exact, in_pence(exact)


def test_every_amount_is_whole_pence_and_every_ratio_six_figures(worked: tuple[Scenario, dict[str, Any], dict[str, Any]]) -> None:
    _, exact, out = worked
    assert out["status"] == "optimal"
    summary = out["summary"]
    amounts = [out["objective"], out["bound"], summary["total_spending"], summary["total_spending_discounted"], summary["social_value"]]
    amounts += [r["spend"] for r in out["allocations"]]
    amounts += [v for launch in out["launches"] for v in launch["fixed_cost_by_pool"].values()]
    for key in ("savings_by_agency", "spending_by_agency", "net_position_by_agency", "spending_by_decile"):
        amounts += list(summary[key].values())
    amounts += [r["spend"] for r in summary["spending_by_pool_year"]]
    amounts += [
        v
        for row in summary["by_intervention"].values()
        for k, v in row.items()
        if k not in ("benefit_cost_ratio", "source", "outcome_sources")
    ]
    amounts += list((summary.get("value_by_theme") or {}).values()) + [v for v in [summary.get("value_without_theme")] if v is not None]
    assert all(_whole_pence(v) for v in amounts), [v for v in amounts if not _whole_pence(v)][:5]
    ratios = [summary["benefit_cost_ratio"], summary["deprived_share"], *(p["value"] for p in out["shadow_prices"]["budgets"])]
    for v in ratios:
        if v:
            assert len(f"{v:.15g}".replace("-", "").replace(".", "").lstrip("0").rstrip("0")) <= RATIO_FIGURES, v
    # within a few pennies of the full-precision figures (the largest-remainder shifts are at most a penny a part)
    assert out["objective"] == pytest.approx(exact["objective"], abs=0.005)
    assert summary["total_spending"] == pytest.approx(exact["summary"]["total_spending"], abs=0.01 * len(summary["spending_by_pool_year"]))


def test_totals_are_the_sums_of_their_rounded_parts(worked: tuple[Scenario, dict[str, Any], dict[str, Any]]) -> None:
    _, _, out = worked
    s = out["summary"]
    total = to_pence(s["total_spending"])
    frame = pd.DataFrame(out["allocations"])
    pool_year = {(r["pool"], r["year"]): to_pence(r["spend"]) for r in s["spending_by_pool_year"]}
    fixed: dict[tuple[str, int], int] = {}
    for launch in out["launches"]:
        for pool, v in launch["fixed_cost_by_pool"].items():
            fixed[(pool, 1)] = fixed.get((pool, 1), 0) + to_pence(v)
    for (pool, year), pence in pool_year.items():
        rows = frame[(frame["pool"] == pool) & (frame["year"] == year)]["spend"] if len(frame) else []
        assert sum(to_pence(v) for v in rows) + fixed.get((pool, year), 0) == pence, (pool, year)
    assert sum(pool_year.values()) == total
    assert sum(to_pence(v) for v in s["spending_by_decile"].values()) == total
    assert sum(to_pence(r["spending"]) for r in s["by_intervention"].values()) == total
    total_d = to_pence(s["total_spending_discounted"])
    assert sum(to_pence(v) for v in s["spending_by_agency"].values()) == total_d
    assert sum(to_pence(r["spending_discounted"]) for r in s["by_intervention"].values()) == total_d
    assert sum(to_pence(r["savings"]) for r in s["by_intervention"].values()) == sum(to_pence(v) for v in s["savings_by_agency"].values())
    for g, net in s["net_position_by_agency"].items():
        assert to_pence(net) == to_pence(s["savings_by_agency"][g]) - to_pence(s["spending_by_agency"][g])


def test_the_checker_is_given_the_unrounded_result(worked: tuple[Scenario, dict[str, Any], dict[str, Any]]) -> None:
    s, exact, _ = worked
    assert check_result(s, exact) == []  # the independent checker, its tolerance unchanged, on the unrounded figures


def test_the_allocations_csv_has_the_json_s_pence(worked: tuple[Scenario, dict[str, Any], dict[str, Any]], tmp_path: Path) -> None:
    s, _, out = worked
    solved = solve(s)
    solved.write_allocations(tmp_path / "a.csv")
    csv = pd.read_csv(tmp_path / "a.csv")
    assert [to_pence(v) for v in csv["spend"]] == [to_pence(r["spend"]) for r in out["allocations"]]


def test_the_appraisal_pack_adds_up_in_pence() -> None:
    from optimizer.analysis.appraisal import appraise

    pack = appraise(load_scenario(TINY))
    assert pack == pack_in_pence(pack)  # already in pence: rounding again changes nothing
    total = pack["total"]
    for group in ("interventions", "agencies"):
        for key in ("spending", "spending_discounted", "savings_discounted", "cashable_savings"):
            assert sum(to_pence(r[key]) for r in pack[group]) == to_pence(total[key]), (group, key)
    for row in [*pack["interventions"], *pack["agencies"], total]:
        assert to_pence(row["npv"]) == to_pence(row["savings_discounted"]) - to_pence(row["spending_discounted"])
        assert all(_whole_pence(v) for v in row["spend_by_year"] + row["cash_by_year"])
