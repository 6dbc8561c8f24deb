"""The pooled formulation is exact: the same optimum as the contract's programme written literally.

Also: the MPS export is the programme as solved (re-read and re-solved by
HiGHS from the file, it gives the same objective).
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from optimizer.coefficients import compute
from optimizer.programme import build, names
from optimizer.scenario import parse_scenario
from optimizer.solve import solve
from optimizer.testing import random_scenario


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("mip", [False, True])
def test_pooled_equals_full(seed: int, mip: bool) -> None:
    s = parse_scenario(random_scenario(seed, mip=mip))
    pooled = solve(s, "highs", formulation="pooled", mip_gap=1e-9)
    full = solve(s, "highs", formulation="full", mip_gap=1e-9)
    assert pooled.status == full.status
    if pooled.status == "optimal":
        assert _rel(pooled.objective, full.objective) < 1e-6, (pooled.objective, full.objective)


def test_pooled_is_smaller_when_areas_share_their_pools() -> None:
    s = parse_scenario(random_scenario(3, size="medium"))
    k = compute(s)
    pooled, full = build(s, k, formulation="pooled"), build(s, k, formulation="full")
    assert pooled.A.shape[1] < full.A.shape[1]
    assert pooled.A.shape[0] < full.A.shape[0]


def test_unknown_formulation_is_refused(tiny) -> None:
    with pytest.raises(ValueError, match="formulation"):
        build(tiny, compute(tiny), formulation="clever")


@pytest.mark.parametrize("formulation", ["pooled", "full"])
def test_mps_export_is_the_programme_as_solved(tmp_path, tiny, formulation) -> None:
    from optimizer.backends.highs import write_mps

    prog = build(tiny, compute(tiny), formulation=formulation)
    path = tmp_path / "tiny.mps"
    write_mps(prog, str(path), names(prog, compute(tiny)))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    lp = h.getLp()
    assert (lp.num_row_, lp.num_col_) == prog.A.shape
    objective = h.getInfo().objective_function_value
    result = solve(tiny, "highs", formulation=formulation)
    assert _rel(objective, result.objective) < 1e-9
    assert np.isclose(h.getInfo().objective_function_value, result.objective)
