"""The analysis commands (optimizer/cli/analysis.py): reports written, sentences printed, clear errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optimizer.cli.analysis import register

ROOT = Path(__file__).resolve().parents[1]
TINY = str(ROOT / "scenarios" / "examples" / "tiny.json")

app = typer.Typer(add_completion=False)


@app.callback()
def _root() -> None:
    """A test root for the analysis commands."""


register(app)
runner = CliRunner()


def _run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_split(tmp_path: Path) -> None:
    out = tmp_path / "split.json"
    r = _run("split", TINY, "-o", str(out))
    assert r.exit_code == 0, r.output
    report = json.loads(out.read_text())
    assert {"coalitions", "shapley", "agencies", "in_core"} <= set(report)
    assert report["coalitions"][0] == {"pools": [], "value": 0.0, "status": "optimal"}
    assert "fair share" in r.output


def test_frontier_with_chart(tmp_path: Path) -> None:
    out, chart = tmp_path / "frontier.json", tmp_path / "frontier.svg"
    r = _run("frontier", TINY, "--points", "5", "-o", str(out), "--chart", str(chart))
    assert r.exit_code == 0, r.output
    points = json.loads(out.read_text())["points"]
    assert [p["min_share"] for p in points] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert set(points[0]) >= {"min_share", "objective", "status"}
    assert chart.read_text().startswith("<svg")


def test_frontier_png_is_refused_clearly(tmp_path: Path) -> None:
    r = _run("frontier", TINY, "-o", str(tmp_path / "f.json"), "--chart", str(tmp_path / "f.png"))
    assert r.exit_code == 2 and "SVG" in r.output


def test_sensitivity_prints_sentences(tmp_path: Path) -> None:
    r = _run("sensitivity", TINY, "-o", str(tmp_path / "s.json"))
    assert r.exit_code == 0, r.output
    assert "One more £1 in the Council pool in year 1 adds £0.46 of net value, up to" in r.output


def test_montecarlo(tmp_path: Path) -> None:
    data = json.loads(Path(TINY).read_text())
    data["interventions"][0]["effects"][0].update(low=0.01, high=0.03)
    scenario = tmp_path / "uncertain.json"
    scenario.write_text(json.dumps(data))
    out = tmp_path / "mc.json"
    r = _run("montecarlo", str(scenario), "--samples", "6", "--seed", "3", "--robust", "-o", str(out))
    assert r.exit_code == 0, r.output
    report = json.loads(out.read_text())
    assert report["samples"] == 6 and report["seed"] == 3 and report["robust"]["objective"] is not None


def test_appraisal(tmp_path: Path) -> None:
    csv_path, html_path = tmp_path / "pack.csv", tmp_path / "pack.html"
    r = _run("appraisal", TINY, "--csv", str(csv_path), "--html", str(html_path))
    assert r.exit_code == 0, r.output
    assert csv_path.read_text().startswith("kind,id,name,spending")
    assert "<svg" in html_path.read_text()


def test_appraisal_of_a_result_of_another_scenario_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "result.json"
    other.write_text(json.dumps({"scenario_hash": "0" * 64, "status": "optimal"}))
    r = _run("appraisal", TINY, "--csv", str(tmp_path / "p.csv"), "--result", str(other))
    assert r.exit_code == 2 and "not a result of this scenario" in r.output


@pytest.mark.parametrize(
    "command",
    [
        ["split", "-o", "x.json"],
        ["frontier", "-o", "x.json"],
        ["sensitivity"],
        ["montecarlo", "-o", "x.json"],
        ["appraisal", "--csv", "x.csv"],
    ],
)
def test_invalid_scenario_exits_2(tmp_path: Path, command: list[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 1, "name": "bad"}))
    r = _run(command[0], str(bad), *[str(tmp_path / a) if a.startswith("x.") else a for a in command[1:]])
    assert r.exit_code == 2 and "not a valid scenario" in r.output


def test_bad_options_exit_2(tmp_path: Path) -> None:
    assert _run("appraisal", TINY).exit_code == 2
    assert _run("montecarlo", TINY, "-o", str(tmp_path / "m.json"), "--distribution", "normal").exit_code == 2
    assert _run("frontier", TINY, "-o", str(tmp_path / "f.json"), "--points", "1").exit_code == 2
