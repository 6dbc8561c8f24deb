"""The check every solution passes before it is reported (optimizer.session.check_feasible).

The solvers count money in thousands of pounds, so a solution they call
feasible may carry residuals of a millionth of a pound; the check must accept
that noise (the national benchmark once came back "error" for a payment of
1e-6 pounds) and still refuse a real breach of a rule.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.backends import Options, get_backend
from optimizer.coefficients import compute
from optimizer.forms import load_scenario
from optimizer.programme import Programme, build
from optimizer.session import check_feasible, solve_programme

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.json"


@pytest.fixture(scope="module")
def solved() -> tuple[Programme, np.ndarray]:
    s = load_scenario(TINY)
    prog = build(s, compute(s), formulation="pooled")
    raw = solve_programme(get_backend("highs"), prog, Options())
    assert raw.x is not None
    return prog, raw.x


def _unpaid(prog: Programme, x: np.ndarray) -> int:
    """A payment column at zero."""
    cols = prog.cols["x"]
    zero = np.nonzero(x[cols] == 0)[0]
    assert len(zero), "the tiny scenario leaves some payment at zero"
    return int(cols.start + zero[0])


def test_the_solvers_answer_passes(solved: tuple[Programme, np.ndarray]) -> None:
    prog, x = solved
    assert check_feasible(prog, x) == []


@pytest.mark.parametrize("noise", [5e-6, -5e-6, 5e-4])
def test_noise_of_a_fraction_of_a_penny_passes(solved: tuple[Programme, np.ndarray], noise: float) -> None:
    prog, x = solved
    y = x.copy()
    y[_unpaid(prog, x)] = noise  # a payment with no spending behind it, far below a penny
    assert check_feasible(prog, y) == []


@pytest.mark.parametrize("breach", [1.0, -1.0, 250.0])
def test_a_pound_paid_for_nothing_is_refused(solved: tuple[Programme, np.ndarray], breach: float) -> None:
    prog, x = solved
    y = x.copy()
    y[_unpaid(prog, x)] = breach
    problems = check_feasible(prog, y)
    assert problems and any("(cost)" in p or "outside its bounds" in p for p in problems)
