"""What honouring residents costs (optimizer/analysis/residents.py; ``totalplace residents report``), by hand.

The hand-made place: one area, one year (discount factor 1), one council pool with £100. Two services cost £10 a
participant, each up to 10 participants (max_coverage 1 of a group of 10): X avoids one outcome worth £30 to the
council (theme health), Y one worth £20 (theme housing). Residents give health 1 point and housing 3: omega = 1/2 =
0.5 and 3/2 = 1.5, so rho = (1 - mu) + mu x omega is 1 - mu/2 for X and 1 + mu/2 for Y.

* Evidence (mu = 0): X is worth 3 a pound, Y 2: all £100 on X, net value 10 x 30 - 100 = £200.
* mu = 0.25: X 30 x 0.875 = 26.25 against Y 20 x 1.125 = 22.5 per participant: still X (£200 on the evidence).
* mu = 0.5 (the scenario's): X 22.5 against Y 25: all on Y, net value on the evidence 10 x 20 - 100 = £100, so
  weighing the priorities costs £100; the council's net position falls from 300 - 100 = 200 to 200 - 100 = 100;
  health loses its £300, housing gains £200.
* mu = 0.75 and 1: Y (X 18.75 or 15 against Y 27.5 or 30): £100.
* The vote's commitment, at least £30 on X: 3 participants of X and 7 of Y, net value 3 x 30 + 7 x 20 - 100 = £130,
  so the vote adds £30 on the evidence's terms (health +90, housing -60).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optimizer.analysis import AnalysisError
from optimizer.analysis import residents as report
from optimizer.scenario import parse_scenario

#: also tests/data/residents_place.json (the command-line cases of tests/test_cli_every_command.py)
PLACE: dict[str, Any] = {
    "schema_version": 2,
    "name": "Two services, one area",
    "horizon_years": 1,
    "appraisal_years": 1,
    "discount_rate": 0.035,
    "pools": [{"id": "council", "name": "Council", "budget": [100]}],
    "outcomes": [
        {"id": "ox", "name": "X's outcome", "unit_costs": {"council": 30}, "themes": ["health"]},
        {"id": "oy", "name": "Y's outcome", "unit_costs": {"council": 20}, "themes": ["housing"]},
    ],
    "areas": [{"id": "E01000001", "name": "The estate", "imd_decile": 1, "imd_rank": 100, "population": 100, "groups": {"people": 10}}],
    "interventions": [
        {
            "id": "x",
            "name": "X",
            "target_group": "people",
            "unit_cost": 10,
            "max_coverage": 1.0,
            "effects": [{"outcome": "ox", "per_participant": 1}],
        },
        {
            "id": "y",
            "name": "Y",
            "target_group": "people",
            "unit_cost": 10,
            "max_coverage": 1.0,
            "effects": [{"outcome": "oy", "per_participant": 1}],
        },
    ],
    "policy": {
        "resident_priorities": {"strength": 0.5, "weights": {"health": 1, "housing": 3}},
        "commitments": [{"intervention": "x", "min_spend": 30}],
    },
}


def _report(doc: dict[str, Any], **options: Any) -> dict[str, Any]:
    s = parse_scenario(doc)
    return report.combine(s, [report.run_task(t) for t in report.plan(s, **options)])


def test_three_ways_and_the_frontier_by_hand() -> None:
    # eight roles, six solves: the evidence plan is the frontier at 0, the plan with priorities the frontier at 0.5
    assert len(report.plan(parse_scenario(PLACE), vote_commitments=1)) == 6
    r = _report(PLACE, vote_commitments=1)
    ways = {w["way"]: w for w in r["ways"]}
    assert ways["evidence"]["evidence_value"] == pytest.approx(200)
    assert ways["priorities"]["evidence_value"] == pytest.approx(100)
    assert ways["priorities_and_vote"]["evidence_value"] == pytest.approx(130)
    first, second = r["steps"]
    assert first["evidence_value"] == pytest.approx(-100) and first["by_agency"]["council"] == pytest.approx(-100)
    assert first["by_theme"]["health"] == pytest.approx(-300) and first["by_theme"]["housing"] == pytest.approx(200)
    assert second["evidence_value"] == pytest.approx(30)
    assert second["by_theme"]["health"] == pytest.approx(90) and second["by_theme"]["housing"] == pytest.approx(-60)
    assert [(p["strength"], round(p["evidence_value"], 6)) for p in r["frontier"]] == [
        (0.0, 200),
        (0.25, 200),
        (0.5, 100),
        (0.75, 100),
        (1.0, 100),
    ]
    # as the residents weigh it, at mu = 1: Y's 10 participants at 20 x 1.5 = 30, less the £100
    assert r["frontier"][-1]["objective"] == pytest.approx(10 * 30 - 100)
    assert "costs £100 of net value" in r["messages"][1] and "adds £30.00 of net value" in r["messages"][2]


def test_the_boards_own_commitments_stay_in_every_way() -> None:
    """With vote_commitments 0 the commitment is the board's: the evidence plan honours it too (3 of X, then the rest
    on X as well, it being worth more: £200), and with priorities 3 of X and 7 of Y (£130): the priorities cost £70."""
    r = _report(PLACE, vote_commitments=0)
    ways = {w["way"]: w["evidence_value"] for w in r["ways"]}
    assert ways == pytest.approx({"evidence": 200, "priorities": 130, "priorities_and_vote": 130})


def test_refused_without_priorities_or_with_too_many_vote_commitments() -> None:
    without = {**PLACE, "policy": {"commitments": PLACE["policy"]["commitments"]}}
    with pytest.raises(AnalysisError, match="no residents' priorities"):
        report.plan(parse_scenario(without))
    with pytest.raises(AnalysisError, match="vote_commitments is 2, but the scenario has 1"):
        report.plan(parse_scenario(PLACE), vote_commitments=2)


def test_the_command_line(tmp_path: Path) -> None:
    from optimizer.cli.main import app

    path = tmp_path / "place.json"
    path.write_text(json.dumps(PLACE))
    out = tmp_path / "report.json"
    run = CliRunner().invoke(app, ["residents", "report", str(path), "--vote-commitments", "1", "--output", str(out)])
    assert run.exit_code == 0, run.output
    assert "costs £100 of net value" in run.output
    written = json.loads(out.read_text())
    assert [w["way"] for w in written["ways"]] == ["evidence", "priorities", "priorities_and_vote"]
    bad = CliRunner().invoke(app, ["residents", "report", str(path), "--vote-commitments", "5"])
    assert bad.exit_code == 2 and "vote_commitments is 5" in bad.output


def test_the_data_file_is_this_place() -> None:
    assert json.loads((Path(__file__).parent / "data" / "residents_place.json").read_text()) == PLACE


def test_the_appraisal_pack_carries_the_report() -> None:
    """The pack of a scenario with priorities says what honouring them costs (the commitment the board's): the same
    figures as the report, on its page; a scenario without priorities has no such section."""
    from optimizer.analysis.appraisal import appraise
    from optimizer.analysis.report import html_page

    pack = appraise(parse_scenario(PLACE))
    assert [round(w["evidence_value"], 6) for w in pack["residents"]["ways"]] == [200, 130, 130]
    page = html_page(pack)
    assert "<h2>What honouring residents costs</h2>" in page and "costs £70.00 of net value" in page
    tiny = json.loads((Path(__file__).parents[1] / "scenarios" / "examples" / "tiny.json").read_text())
    assert "residents" not in appraise(parse_scenario(tiny))


def test_report_with_a_vote_is_the_report_of_the_voted_version(tmp_path: Path) -> None:
    """``report S --vote E.pb`` is ``residents vote E.pb --scenario S -o S2`` then ``report S2 --vote-commitments N``, N
    the commitments the vote added (tiny.json with themes and priorities; tests/data/residents_vote.pb)."""
    from optimizer.cli.main import app

    tiny = json.loads((Path(__file__).parents[1] / "scenarios" / "examples" / "tiny.json").read_text())
    tiny["schema_version"] = 2
    for outcome, theme in zip(tiny["outcomes"], ("family", "safety", "health"), strict=True):
        outcome["themes"] = [theme]
    tiny["policy"]["resident_priorities"] = {"strength": 0.5, "weights": {"family": 1, "safety": 3, "health": 1}}
    base = tmp_path / "tiny.json"
    base.write_text(json.dumps(tiny))
    vote = str(Path(__file__).parent / "data" / "residents_vote.pb")
    runner = CliRunner()
    direct = runner.invoke(app, ["residents", "report", str(base), "--vote", vote, "-o", str(tmp_path / "direct.json")])
    assert direct.exit_code == 0, direct.output
    voted = runner.invoke(app, ["residents", "vote", vote, "--scenario", str(base), "-o", str(tmp_path / "voted.json")])
    assert voted.exit_code == 0, voted.output
    added = len(json.loads((tmp_path / "voted.json").read_text())["policy"]["commitments"])
    assert added > 0
    two_steps = runner.invoke(
        app, ["residents", "report", str(tmp_path / "voted.json"), "--vote-commitments", str(added), "-o", str(tmp_path / "two.json")]
    )
    assert two_steps.exit_code == 0, two_steps.output
    assert json.loads((tmp_path / "direct.json").read_text()) == json.loads((tmp_path / "two.json").read_text())
