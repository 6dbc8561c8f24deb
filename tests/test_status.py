"""One status vocabulary: Result.status is the Status string enum, and a result stopped at a limit says which limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer import Limit, Result, Status, available_solvers, solve
from optimizer.backends.base import Options, limit_by_clock
from optimizer.forms import load_scenario

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.json"


def test_the_serialised_strings_are_unchanged() -> None:
    assert [s.value for s in Status] == ["optimal", "feasible", "infeasible", "unbounded", "error"]
    result = Result("optimal", "m", "h")
    assert result.status is Status.OPTIMAL
    data = result.to_dict()
    assert data["status"] == "optimal" and json.dumps(data["status"]) == '"optimal"'
    assert json.loads(json.dumps({"limit": Limit.TIME})) == {"limit": "time"}


def test_a_string_that_is_not_a_status_is_refused() -> None:
    with pytest.raises(ValueError, match="'done' is not a valid Status"):
        Result("done", "m", "h")


@pytest.mark.parametrize("solver", available_solvers())
def test_an_optimal_result_names_no_limit(solver: str) -> None:
    result = solve(load_scenario(TINY), solver)
    assert result.status is Status.OPTIMAL
    assert result.solver["limit"] is None and result.to_dict()["solver"]["limit"] is None


def test_highs_stopped_by_its_time_limit_says_time() -> None:
    """A time limit of a microsecond stops HiGHS before it proves anything; its model status says kTimeLimit."""
    result = solve(load_scenario(TINY), "highs", time_limit=1e-6)
    assert result.status in (Status.FEASIBLE, Status.ERROR)
    assert result.solver["limit"] is Limit.TIME
    assert result.to_dict()["solver"]["limit"] == "time"


def test_a_stop_without_a_named_limit_is_read_from_the_clock() -> None:
    """pywraplp and PuLP's CBC only say "stopped": after 9.6 s of a 10 s limit that is the time limit, after 2 s some other."""
    options = Options(time_limit=10.0)
    assert limit_by_clock(9.6, options) is Limit.TIME
    assert limit_by_clock(12.0, options) is Limit.TIME
    assert limit_by_clock(2.0, options) is Limit.OTHER
