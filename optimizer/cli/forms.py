"""``totalplace convert SRC DST``: a scenario from one form to another (JSON, JSON.gz, YAML, .xlsx, CSV folder).

optimizer/cli/main.py mounts it with :func:`register`. Exit codes follow ``optimizer/cli/main.py``:
0 when written; 2 when the input is not a valid scenario (every problem listed on
stderr, ``loc: msg``) or the destination cannot be written in the form asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from optimizer.errors import ScenarioError
from optimizer.forms import FORMS, form_of, load_scenario, save_scenario
from optimizer.scenario import scenario_hash

EXIT_INPUT = 2


@dataclass(frozen=True)
class Converted:
    """What :func:`convert` wrote."""

    src: Path
    dst: Path
    form: str
    scenario_hash: str
    areas: int
    interventions: int


def convert(src: Path, dst: Path, form: str | None = None) -> Converted:
    """Read the scenario at ``src`` (any form), validate it, write it to ``dst`` (form by extension or ``form``).

    Raises :class:`ScenarioError` when ``src`` is not a valid scenario, :class:`ValueError`
    when ``dst`` names no known form (or cannot hold this scenario), :class:`OSError` when it cannot be written.
    """
    chosen = form_of(dst, form)  # fail before reading a large source
    scenario = load_scenario(src)
    written = save_scenario(scenario, dst, chosen)
    return Converted(Path(src), written, chosen, scenario_hash(scenario), len(scenario.areas), len(scenario.interventions))


def _is_result(path: Path) -> bool:
    """Whether ``path`` holds a result document (what ``totalplace solve -o`` writes) rather than a scenario."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() and path.suffix == ".json" else None
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"status", "scenario_hash", "model_version"} <= set(data)


def register(app: typer.Typer) -> None:
    """Add the ``convert`` command to ``app``."""

    @app.command("convert")
    def convert_command(
        src: Annotated[Path, typer.Argument(help="the scenario: .json, .json.gz, .yaml/.yml, .xlsx, or a folder of CSVs")],
        dst: Annotated[Path, typer.Argument(help="where to write it; the form is chosen by extension (a folder, or no extension: CSVs)")],
        form: Annotated[str | None, typer.Option("--form", help=f"force the form of DST: one of {', '.join(FORMS)}")] = None,
    ) -> None:
        """Convert a scenario between forms; the scenario_hash is unchanged (docs/forms.md)."""
        try:
            done = convert(src, dst, form)
        except ScenarioError as exc:
            if _is_result(src):
                typer.echo(
                    f"{src} is a result, not a scenario: convert converts scenarios. For a workbook of a result, solve "
                    f"its scenario with `totalplace solve SCENARIO --output {dst.with_suffix('.xlsx').name}`",
                    err=True,
                )
                raise typer.Exit(EXIT_INPUT) from None
            typer.echo(f"{src}: not a valid scenario ({len(exc.problems)} problem(s)):", err=True)
            for problem in exc.problems:
                typer.echo(f"  {problem}", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except (ValueError, OSError) as exc:
            typer.echo(f"cannot write {dst}: {exc}", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        typer.echo(
            f"wrote {done.dst} ({done.form}; {done.areas:,} areas, {done.interventions:,} interventions; "
            f"scenario_hash {done.scenario_hash})"
        )
