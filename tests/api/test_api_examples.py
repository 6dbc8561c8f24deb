"""The OpenAPI document's examples (api/examples.py) are answers the service could give.

The result example must validate against the result contract (api/contract.py, closed where the
contract is closed), and its ``solver`` block may name only fields a real solve reports, so the
example keeps the real result's shape (``solver.limit`` included) as the contract grows.
"""

from __future__ import annotations

from pathlib import Path

from api import contract, examples
from optimizer import solve
from optimizer.forms import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_result_example_validates_against_the_contract() -> None:
    contract.Result.model_validate(examples.RESULT)


def test_result_example_has_the_real_results_shape() -> None:
    """Every top-level and ``solver`` field of the example is one a real solve of the tiny scenario returns."""
    real = solve(load_scenario(ROOT / "scenarios" / "examples" / "tiny.json")).to_dict()
    contract.Result.model_validate(real)
    assert set(examples.RESULT) == set(real)
    assert set(examples.RESULT["summary"]) <= set(real["summary"]), set(examples.RESULT["summary"]) - set(real["summary"])
    assert "limit" in examples.RESULT["solver"]
    assert set(examples.RESULT["solver"]) <= set(real["solver"]), set(examples.RESULT["solver"]) - set(real["solver"])
    assert examples.RESULT["solver"]["limit"] == real["solver"]["limit"]  # an optimal solve stopped at no limit


def test_scenario_example_names_a_registered_solver() -> None:
    from optimizer.backends import backend_names

    assert examples.SCENARIO["solver"]["name"] in backend_names()
