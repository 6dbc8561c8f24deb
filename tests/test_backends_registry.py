"""The registry of back ends: every one of the five is installed, names come from one place, the back end for duals is chosen by capability."""

from __future__ import annotations

from typing import get_args

import pytest

from optimizer import available_solvers
from optimizer.backends import BACKENDS, SolverName, available, backend_names, for_duals, get_backend, mip_names
from optimizer.errors import SolverUnavailable
from optimizer.scenario import SOLVER_NAMES, SolverOptions

#: the five back ends the project ships and CI must exercise (a missing one fails here, not silently skips elsewhere)
FIVE = ("highs", "cbc", "ortools-glop", "ortools-pdlp", "ortools-scip")


@pytest.mark.parametrize("name", FIVE)
def test_every_back_end_is_installed(name: str) -> None:
    assert name in available_solvers(), f"{name} is not installed here: the tests parametrised over available_solvers() would skip it"


def test_the_registry_knows_exactly_the_five() -> None:
    assert backend_names() == list(FIVE)
    assert [cls.name for cls in BACKENDS] == list(FIVE)
    assert available() == available_solvers()


def test_the_scenario_and_the_messages_take_their_names_from_the_registry() -> None:
    assert list(get_args(SolverName)) == backend_names()
    assert list(SOLVER_NAMES) == backend_names()
    assert list(get_args(SolverOptions.model_fields["name"].annotation)) == backend_names()
    with pytest.raises(SolverUnavailable) as refused:
        get_backend("gurobi")
    assert all(n in str(refused.value) for n in backend_names())


def test_mip_names_are_the_back_ends_that_solve_mips() -> None:
    assert mip_names() == ["highs", "cbc", "ortools-scip"]


def test_the_back_end_for_duals_is_chosen_by_capability() -> None:
    """SCIP gives no duals and PDLP is first-order (1e-4): neither answers a dual re-solve; HiGHS and CBC answer their own."""
    for name in FIVE:
        chosen = for_duals(get_backend(name))
        assert chosen.gives_duals and chosen.exact()
        if get_backend(name).gives_duals and get_backend(name).exact():
            assert chosen.name == name
    assert for_duals(get_backend("ortools-scip")).name != "ortools-scip"
    assert for_duals(get_backend("ortools-pdlp")).name != "ortools-pdlp"
    assert not get_backend("ortools-pdlp").exact()


def test_the_cli_help_and_the_api_schema_take_their_names_from_the_registry() -> None:
    """``totalplace solve --help`` offers every registered back end, and the OpenAPI document's solver enum is the registry's."""
    from typer.testing import CliRunner

    from api.app import create_app
    from api.cli import app

    run = CliRunner().invoke(app, ["solve", "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert run.exit_code == 0, run.output
    assert all(name in run.output for name in backend_names()), run.output
    schema = create_app().openapi()["components"]["schemas"]["SolverOptions"]["properties"]["name"]
    assert schema["enum"] == backend_names()
