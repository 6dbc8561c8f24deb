"""From a participatory vote to commitments (optimizer/residents/vote.py), on tests/data/residents_vote.pb worked by hand.

The election: budget £55,000, 10 approval ballots, four projects:

    project  cost      approved by           maps to
    p1       £30,000   v01-v06 (6 voters)    early_help in E01000001, year 1
    p2       £20,000   v01-v05 (5)           youth_diversion in E01000002
    p3       £20,000   v07-v10 (4)           youth_diversion in E01000001
    p4       £5,000    v10 (1)               nothing (no intervention, no area): benches

Greedy (cost satisfaction: a project's gain per pound is its number of approvals): p1 (6) fits, £25,000 left;
p2 (5) fits, £5,000 left; p3 (4) costs £20,000, does not fit; p4 (1) fits, £0 left. Winners {p1, p2, p4}.

Method of Equal Shares, every voter starting with £55,000 / 10 = £5,500. With cost satisfaction, a project whose
supporters can each pay an equal share c / |S| costs each supporter 1 / |S| per pound of their satisfaction, so
the order is by supporters among the affordable: p1 (6 x £5,500 = £33,000 >= £30,000; £5,000 each, rho 1/6) is
taken first, leaving v01-v06 with £500. p2's supporters (v01-v05) now hold 5 x £500 = £2,500 < £20,000: not
affordable. p3's (v07-v10) hold 4 x £5,500 = £22,000 >= £20,000: taken, £5,000 each, rho 1/4, leaving them £500.
p4 needs £5,000 from v10, who holds £500: not affordable. Plain MES: {p1, p3}, £50,000 spent, £5,000 left, and p4
would still fit: not exhaustive, so the completion runs.
The iterated completion raises every share b by 1 % of £5,500 a round. p1 is always first (6b >= 30,000). Then p2
becomes affordable before p3 once 5(b - 5,000) >= 20,000, i.e. b >= £9,000: it would be taken (rho 1/5 < 1/4) and
then p3 too (4b >= 20,000), £70,000 in all, over the budget: that outcome is infeasible and the round before it is
kept. For every b below £9,000 the outcome is {p1, p3} (p4 needs b - 5,000 >= 5,000, b >= £10,000), so the kept
outcome is {p1, p3}. The greedy completion then adds p4 (£5,000 fits the £5,000 left): winners {p1, p3, p4}.

Commitments: MES: early_help in E01000001 in year 1 at least £30,000; youth_diversion in E01000001 at least
£20,000 over the horizon. Greedy: the same early help; youth_diversion in E01000002 at least £20,000. Both list p4
as unmapped.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from optimizer import ResidentsInputError, parse_scenario, solve
from optimizer.residents import read_election, vote_outcome, with_commitments

pytest.importorskip("pabutools")

ROOT = Path(__file__).resolve().parents[1]
ELECTION = ROOT / "tests" / "data" / "residents_vote.pb"
TINY: dict[str, Any] = json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())

EARLY_HELP = {"intervention": "early_help", "area": "E01000001", "year": 1, "min_spend": 30000.0}


@pytest.mark.parametrize(
    ("rule", "won", "youth_area"), [("mes", ["p1", "p3", "p4"], "E01000001"), ("greedy", ["p1", "p2", "p4"], "E01000002")]
)
def test_the_hand_worked_winners_and_their_commitments(rule: str, won: list[str], youth_area: str) -> None:
    instance, profile = read_election(ELECTION)
    result = vote_outcome(instance, profile, parse_scenario(TINY), rule)  # type: ignore[arg-type]
    assert [w.id for w in result.winners] == won
    assert result.spent == 55000 and result.budget == 55000
    assert result.commitments == [EARLY_HELP, {"intervention": "youth_diversion", "area": youth_area, "min_spend": 20000.0}]
    assert [(u.id, u.name) for u in result.unmapped] == [("p4", "Benches in the park")]
    assert "no intervention and area" in str(result.unmapped[0].reason)


def test_the_new_version_adds_to_the_commitments_and_solves() -> None:
    doc = copy.deepcopy(TINY)
    doc["schema_version"] = 2
    doc["policy"]["commitments"] = [{"intervention": "early_help", "min_spend": 1000}]
    instance, profile = read_election(ELECTION)
    new, scenario = with_commitments(doc, vote_outcome(instance, profile, parse_scenario(doc), "mes"))
    assert new["policy"]["commitments"][0] == {"intervention": "early_help", "min_spend": 1000} and len(new["policy"]["commitments"]) == 3
    assert doc["policy"]["commitments"] == [{"intervention": "early_help", "min_spend": 1000}]
    result = solve(scenario)
    assert result.status.value == "optimal"
    spend = {(r["area"], r["intervention"], r["year"]): 0.0 for r in result.to_dict()["allocations"]}
    for r in result.to_dict()["allocations"]:
        spend[(r["area"], r["intervention"], r["year"])] += r["spend"]
    assert spend.get(("E01000001", "early_help", 1), 0.0) >= 30000 - 1e-6


def test_projects_in_one_place_add_up(tmp_path: Path) -> None:
    """p3 moved to E01000002 beside p2 and the budget raised to £75,000: greedy takes p1, p2, p3 (6, 5, 4 approvals;
    30,000 + 20,000 + 20,000 = 70,000) and p4 (5,000), so youth_diversion in E01000002 needs at least £40,000: one
    commitment, not two of £20,000 (each of which p2's or p3's spending alone would meet)."""
    text = (
        ELECTION.read_text()
        .replace("budget;55000", "budget;75000")
        .replace(
            "p3;20000;4;Detached youth work on the estate;youth_diversion;E01000001;",
            "p3;20000;4;Detached youth work;youth_diversion;E01000002;",
        )
    )
    path = tmp_path / "e.pb"
    path.write_text(text)
    instance, profile = read_election(path)
    result = vote_outcome(instance, profile, parse_scenario(TINY), "greedy")
    assert [w.id for w in result.winners] == ["p1", "p2", "p3", "p4"]
    assert result.commitments == [EARLY_HELP, {"intervention": "youth_diversion", "area": "E01000002", "min_spend": 40000.0}]


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        (
            "youth_diversion;E01000002;",
            "youth_divers;E01000002;",
            "project p2 column intervention",
            "unknown intervention id 'youth_divers'",
        ),
        ("youth_diversion;E01000002;", "youth_diversion;E09;", "project p2 column area", "unknown area id 'E09'"),
        ("youth_diversion;E01000002;", "youth_diversion;E01000002;3", "project p2 column year", "1 to 2"),
        ("currency;GBP", "currency;PLN", "META currency", "convert the costs"),
    ],
)
def test_bad_project_metadata_is_refused(tmp_path: Path, old: str, new: str, where: str, words: str) -> None:
    path = tmp_path / "e.pb"
    path.write_text(ELECTION.read_text().replace(old, new))
    instance, profile = read_election(path)
    with pytest.raises(ResidentsInputError) as caught:
        vote_outcome(instance, profile, parse_scenario(TINY), "mes", where="e.pb")
    assert any(
        str(p).startswith(f"e.pb {where}" if where.startswith("META") else f"e.pb PROJECTS {where}") and words in str(p)
        for p in caught.value.problems
    ), caught.value.problems


def test_the_command_line(tmp_path: Path) -> None:
    scenario, out = tmp_path / "tiny.json", tmp_path / "voted.json"
    scenario.write_text(json.dumps(TINY))
    runner = CliRunner()
    done = runner.invoke(app, ["residents", "vote", str(ELECTION), "--scenario", str(scenario), "--output", str(out), "--rule", "greedy"])
    assert done.exit_code == 0, done.output
    assert "p4" in done.output and "Benches in the park" in done.output and "map to no intervention" in done.output
    written = json.loads(out.read_text())
    assert written["schema_version"] == 2 and written["policy"]["commitments"][1]["area"] == "E01000002"
    missing = runner.invoke(app, ["residents", "vote", str(tmp_path / "none.pb"), "--scenario", str(scenario), "--output", str(out)])
    assert missing.exit_code == 2 and "not found" in missing.output and "Traceback" not in missing.output
