"""The command line as an analyst uses it: exit codes, every input error located, the result file complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
RESULT_FIELDS = {
    "model_version",
    "status",
    "message",
    "objective",
    "bound",
    "allocations",
    "allocations_file",
    "launches",
    "summary",
    "shadow_prices",
    "binding_rules",
    "diagnosis",
    "solver",
    "scenario_hash",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_solve_prints_a_board_summary_and_writes_every_field(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = run("solve", str(TINY), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    for words in ("Status:   optimal", "Spending by pool and year", "Who pays and who gains", "deprived areas", "Rules that bind"):
        assert words in proc.stdout
    result = json.loads(out.read_text())
    assert set(result) == RESULT_FIELDS
    assert result["status"] == "optimal" and result["allocations"]


@pytest.mark.parametrize("solver", ["cbc", "ortools-glop"])
def test_solver_option_picks_the_back_end(tmp_path: Path, solver: str) -> None:
    out = tmp_path / "r.json"
    assert run("solve", str(TINY), "--solver", solver, "-o", str(out), "-q").returncode == 0
    assert json.loads(out.read_text())["solver"]["name"] == solver


def test_infeasible_is_an_answer_with_exit_zero(tmp_path: Path) -> None:
    data = json.loads(TINY.read_text())
    data["policy"]["community_wealth_fund"]["per_capita_floor"] = 500.0
    src = tmp_path / "infeasible.json"
    src.write_text(json.dumps(data))
    out = tmp_path / "r.json"
    proc = run("solve", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "infeasible" in proc.stdout and "lower the per-capita floor" in proc.stdout
    assert json.loads(out.read_text())["diagnosis"]["changes"]


def test_invalid_scenario_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    data = json.loads(TINY.read_text())
    data["pools"][0]["budget"] = [1.0]  # wrong length
    data["areas"][1]["imd_decile"] = 11  # out of range
    data["interventions"][0]["colour"] = "red"  # unknown field
    data["outcomes"][0]["unit_costs"]["fire"] = 10  # unknown agency
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(data))
    for command in (["validate", str(src)], ["solve", str(src)]):
        proc = run(*command)
        assert proc.returncode == 2
        for loc in ("/pools/0/budget", "/areas/1/imd_decile", "/interventions/0/colour", "/outcomes/0/unit_costs/fire"):
            assert loc in proc.stderr, (loc, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_validate_accepts_a_good_scenario() -> None:
    proc = run("validate", str(TINY))
    assert proc.returncode == 0 and "valid scenario" in proc.stdout


def test_a_missing_file_is_an_input_error() -> None:
    proc = run("validate", "no/such/file.json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_linear_only_back_end_refuses_a_mip_clearly(tmp_path: Path) -> None:
    data = json.loads(TINY.read_text())
    data["interventions"][0]["fixed_cost"] = 5000.0
    src = tmp_path / "mip.json"
    src.write_text(json.dumps(data))
    proc = run("solve", str(src), "--solver", "ortools-glop")
    assert proc.returncode == 3 and "mixed-integer" in proc.stderr


def test_export_writes_the_programme_with_readable_names(tmp_path: Path) -> None:
    mps = tmp_path / "tiny.mps"
    proc = run("export", str(TINY), "--mps", str(mps))
    assert proc.returncode == 0, proc.stderr
    text = mps.read_text()
    assert "budget[council,1]" in text and "n[E01000001,early_help,1]" in text


def test_allocations_can_go_to_a_csv_file_the_result_points_to(tmp_path: Path) -> None:
    from optimizer.check import check_result
    from optimizer.forms import load_scenario

    out, csv_path = tmp_path / "r.json", tmp_path / "alloc.csv"
    proc = run("solve", str(TINY), "-o", str(out), "--allocations", str(csv_path), "-q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["allocations"] is None
    assert result["allocations_file"]["path"] == str(csv_path) and result["allocations_file"]["rows"] > 0
    assert csv_path.read_text().splitlines()[0] == "area,intervention,pool,year,spend,participants"
    # the independent checker reads the file and finds the same valid, optimal allocation
    assert check_result(load_scenario(TINY), result) == []
