"""From a survey to weights (optimizer/residents/survey.py): numbers worked by hand, every refusal located, the CLI.

The hand-worked survey (:data:`SURVEY`), threshold 2, on the tiny scenario with themes
(care_entry -> family, police_callout -> safety, ae_visit -> health):

    respondent  area       points given            normalised to 100
    a1          E01000001  family 3, safety 1      family 75, safety 25
    a2          E01000001  safety 2, health 2      safety 50, health 50
    b1          E01000002  family 10               family 100

The place (3 respondents; a theme a respondent left out counts 0):
    family (75 + 0 + 100) / 3 = 58.333333, safety (25 + 50 + 0) / 3 = 25, health (0 + 50 + 0) / 3 = 16.666667.
E01000001 (2 respondents, at the threshold): family 75 / 2 = 37.5, safety 75 / 2 = 37.5, health 50 / 2 = 25.
E01000002 (1 respondent, below it): no weights of its own; it uses the place's.
Total variation distance of E01000001 from the place:
    (|37.5 - 58.333333| + |37.5 - 25| + |25 - 16.666667|) / 200 = (20.833333 + 12.5 + 8.333333) / 200 = 0.208333.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from optimizer import ResidentsInputError, ScenarioError, parse_scenario
from optimizer.residents import aggregate, distinct_areas, read_csv, synthetic_survey, with_priorities

ROOT = Path(__file__).resolve().parents[1]
TINY: dict[str, Any] = json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())

SURVEY = """respondent,area,theme,points
a1,E01000001,family,3
a1,E01000001,safety,1
a2,E01000001,safety,2
a2,E01000001,health,2
b1,E01000002,family,10
"""


def themed() -> dict[str, Any]:
    """The tiny scenario with a theme on each outcome (version 2)."""
    doc = copy.deepcopy(TINY)
    doc["schema_version"] = 2
    for outcome, theme in zip(doc["outcomes"], ("family", "safety", "health"), strict=True):
        outcome["themes"] = [theme]
    return doc


def test_the_hand_worked_survey() -> None:
    agg = aggregate(read_csv(SURVEY), min_respondents=2, scenario=parse_scenario(themed()))
    assert agg.place_weights == pytest.approx({"family": 58.333333, "safety": 25.0, "health": 16.666667}, abs=1e-6)
    assert agg.area_weights == {"E01000001": pytest.approx({"family": 37.5, "safety": 37.5, "health": 25.0})}
    assert agg.respondents == {"E01000001": 2, "E01000002": 1}
    assert agg.distance == {"E01000001": pytest.approx(0.208333, abs=1e-6)}
    assert agg.published_counts(["E01000001", "E01000002"]) == {"E01000001": 2, "E01000002": "below threshold"}


def test_the_new_version_carries_the_weights_and_keeps_the_strength() -> None:
    """E01000001 gets its own priorities; E01000002 loses the ones it had (it uses the place's); strength 0.4 is kept."""
    doc = themed()
    doc["policy"]["resident_priorities"] = {"strength": 0.4, "weights": {"health": 1}}
    doc["areas"][1]["priorities"] = {"health": 5}
    agg = aggregate(read_csv(SURVEY), min_respondents=2, scenario=parse_scenario(doc))
    new, scenario = with_priorities(doc, agg)
    assert new["schema_version"] == 2 and doc["areas"][1]["priorities"] == {"health": 5}  # the input is not changed
    assert new["policy"]["resident_priorities"]["strength"] == 0.4
    assert new["policy"]["resident_priorities"]["weights"] == agg.place_weights
    assert new["areas"][0]["priorities"] == agg.area_weights["E01000001"] and "priorities" not in new["areas"][1]
    assert scenario.areas[1].priorities is None
    unset, _ = with_priorities(themed(), agg)
    assert unset["policy"]["resident_priorities"]["strength"] == 0.0  # docs/model.md 2.2: the default strength


def test_a_version_1_scenario_becomes_version_2() -> None:
    doc = themed()
    agg = aggregate(read_csv(SURVEY), min_respondents=2, scenario=parse_scenario(doc))
    doc["schema_version"] = 1
    for outcome in doc["outcomes"]:
        del outcome["themes"]
    with pytest.raises(ScenarioError):  # themes are needed: weights on themes no outcome names are refused by the core
        with_priorities(doc, agg)


def _problems(text: str, scenario: dict[str, Any] | None = None, min_respondents: int = 1) -> list[str]:
    with pytest.raises(ResidentsInputError) as caught:
        aggregate(read_csv(text), min_respondents=min_respondents, scenario=parse_scenario(scenario) if scenario else None)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("respondent,area,theme\nr,E01000001,family\n", "responses.csv column points", "column 'points' is missing"),
        (SURVEY + "c1,E01000002,family,-4\n", "responses.csv row 7 column points", "is negative"),
        (SURVEY + "c1,E01000002,family,lots\n", "responses.csv row 7 column points", "is not a number"),
        (SURVEY + "c1,E01000002,family,\n", "responses.csv row 7 column points", "is empty"),
        (SURVEY + "c1,E01000002,family,0\nc1,E01000002,safety,0\n", "responses.csv row 7 column points", "points are all 0"),
        (SURVEY + "a1,E01000001,family,2\n", "responses.csv row 7 column theme", "already given points"),
        (SURVEY + "a1,E01000002,health,2\n", "responses.csv row 2 column area", "a different area"),
        (SURVEY + "c1,E09999999,family,4\n", "responses.csv row 7 column area", "does not list"),
        (SURVEY + "c1,E01000002,famly,4\n", "responses.csv row 7 column theme", "'famly' is named by no outcome"),
    ],
)
def test_bad_input_is_refused_at_its_row_and_column(text: str, where: str, words: str) -> None:
    problems = _problems(text, themed())
    assert any(p.startswith(where + ":") and words in p for p in problems), problems
    assert not any("c1" in p or "a1" in p for p in problems), "a message quotes a respondent id"


def test_every_problem_at_once_and_rows_named_together() -> None:
    text = SURVEY + "c1,E01000002,family,-1\nc2,E01000002,family,-2\nc3,E09999999,family,1\n"
    problems = _problems(text, themed())
    assert len(problems) == 2, problems
    assert problems[0].startswith("responses.csv row 7 column points:") and "row 8 column points" in problems[0]
    assert problems[1].startswith("responses.csv row 9 column area:")


def test_too_few_respondents_in_all_is_refused() -> None:
    """Three respondents and a threshold of 10: the place's weights would be three people's."""
    problems = _problems(SURVEY, themed(), min_respondents=10)
    assert problems == [p for p in problems if "fewer than 10 respondents" in p] and problems


def test_without_a_scenario_any_area_and_theme_are_taken() -> None:
    agg = aggregate(read_csv(SURVEY.replace("E01000002", "elsewhere")), min_respondents=1)
    assert set(agg.area_weights) == {"E01000001", "elsewhere"} and agg.area_weights["elsewhere"] == {
        "family": 100.0,
        "health": 0.0,
        "safety": 0.0,
    }


def test_a_synthetic_survey_is_seeded_and_its_distinct_areas_stand_out() -> None:
    """The three most deprived areas reverse the place's profile; with ~23 respondents an area, they are the farthest three."""
    from optimizer import load_scenario

    camden = load_scenario(ROOT / "scenarios" / "camden.json")
    one, again, other = (synthetic_survey(camden, 3000, seed) for seed in (7, 7, 8))
    pd.testing.assert_frame_equal(one, again)
    assert not one.equals(other)
    assert one["respondent"].nunique() == 3000 and set(one["area"]) == {a.id for a in camden.areas}
    agg = aggregate(one, min_respondents=10, scenario=camden)
    farthest = sorted(agg.distance, key=agg.distance.__getitem__, reverse=True)[:3]
    assert sorted(farthest) == sorted(distinct_areas(camden))
    # the place's profile puts the themes in sorted order (first theme most): the mean follows it
    weights = agg.place_weights
    assert list(weights) == sorted(weights) and sorted(weights.values(), reverse=True) == list(weights.values())


def test_the_command_line(tmp_path: Path) -> None:
    scenario, responses, out = tmp_path / "s.json", tmp_path / "r.csv", tmp_path / "s2.json"
    scenario.write_text(json.dumps(themed()))
    responses.write_text(SURVEY)
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "residents",
            "aggregate",
            str(responses),
            "--min-respondents",
            "2",
            "--scenario",
            str(scenario),
            "--output",
            str(out),
            "--strength",
            "0.5",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "E01000001" in done.output and "0.208" in done.output and "uses the place's" in done.output
    written = json.loads(out.read_text())
    assert written["policy"]["resident_priorities"]["strength"] == 0.5
    assert written["areas"][0]["priorities"] == pytest.approx({"family": 37.5, "safety": 37.5, "health": 25.0})
    parse_scenario(written)
    responses.write_text(SURVEY + "c1,E01000002,family,-4\n")
    bad = runner.invoke(app, ["residents", "aggregate", str(responses), "--scenario", str(scenario), "--output", str(out)])
    assert bad.exit_code == 2 and "r.csv row 7 column points" in bad.output and "Traceback" not in bad.output
    synthetic = runner.invoke(
        app,
        [
            "residents",
            "synthetic",
            "--scenario",
            str(ROOT / "scenarios" / "camden.json"),
            "-n",
            "50",
            "--seed",
            "3",
            "--output",
            str(tmp_path / "syn.csv"),
        ],
    )
    assert synthetic.exit_code == 0, synthetic.output
    assert pd.read_csv(tmp_path / "syn.csv")["respondent"].nunique() == 50
