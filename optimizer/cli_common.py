"""What every command of the ``totalplace`` command line shares: exit codes and reading a scenario."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.errors import ScenarioError
from optimizer.scenario import Scenario

EXIT_INPUT = 2
EXIT_SOLVER = 3


def load(path: Path) -> Scenario:
    """Read a scenario in any supported form, or exit 2 listing every problem."""
    from optimizer.forms import load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        typer.echo(f"{path}: not a valid scenario ({len(exc.problems)} problem(s)):", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
