"""What every command of the ``totalplace`` command line shares: exit codes, the choices of the options, reading a scenario or a result."""

from __future__ import annotations

import enum
import gzip
import json
from pathlib import Path
from typing import Any

import typer

from optimizer.backends import backend_names
from optimizer.errors import ScenarioError
from optimizer.scenario import Scenario

EXIT_INPUT = 2
EXIT_SOLVER = 3

#: ``--solver``: every back end this build knows (installed or not; a missing one exits 3 saying how to install it).
#: Built from the registry, so a new back end is a new choice without touching the command line.
Solver = enum.StrEnum("Solver", {name.replace("-", "_"): name for name in backend_names()})  # type: ignore[misc]


class Formulation(enum.StrEnum):
    """``--formulation`` of ``solve``: how the programme is written (docs/model.md)."""

    auto = "auto"
    merged = "merged"
    pooled = "pooled"
    full = "full"


class ExportFormulation(enum.StrEnum):
    """``--formulation`` of ``export``: the programmes that can be written as MPS."""

    pooled = "pooled"
    full = "full"


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


def _input_error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_INPUT)


def read_result(path: Path) -> dict[str, Any]:
    """Read a result JSON (``.gz`` too) with its allocations, fetched from ``allocations_file`` when they were written apart.

    A national result keeps its rows in a CSV beside the JSON (``totalplace solve -o``
    does that by itself above 100,000 rows); every command that reads a result reads
    both. The file's path is taken as written, else beside the result. Exits 2 naming
    the problem when either cannot be read.
    """
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                data = json.load(handle)
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, EOFError) as exc:
        raise _input_error(f"cannot read the result {path}: {exc}") from None
    if not isinstance(data, dict) or "status" not in data or "scenario_hash" not in data:
        raise _input_error(
            f"{path} is not a totalplace result (no status or scenario_hash): give the JSON that `totalplace solve -o` wrote"
        )
    pointer = data.get("allocations_file")
    if data.get("allocations") is None and isinstance(pointer, dict):
        data["allocations"] = _read_allocations(path, pointer)
    elif data.get("allocations") is None:
        data["allocations"] = []
    return data


def _read_allocations(result_path: Path, pointer: dict[str, Any]) -> list[dict[str, Any]]:
    import pandas as pd

    given = Path(str(pointer.get("path", "")))
    candidates = [given, result_path.parent / given, result_path.parent / given.name]  # as written, else beside the result
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise _input_error(
            f"the result {result_path} keeps its allocations in {given}, which is not there: "
            "keep that file beside the result (or solve again)"
        )
    try:
        if found.suffix == ".parquet":
            frame = pd.read_parquet(found)
        else:
            frame = pd.read_csv(found, dtype={"area": str, "intervention": str, "pool": str})
    except (OSError, ValueError, ImportError) as exc:
        raise _input_error(f"cannot read the allocations {found}: {exc}") from None
    missing = {"area", "intervention", "pool", "year", "spend", "participants"} - set(frame.columns)
    if missing:
        raise _input_error(f"the allocations {found} lack the column(s) {', '.join(sorted(missing))}")
    return [
        {"area": a, "intervention": i, "pool": p, "year": int(y), "spend": float(s), "participants": float(n)}
        for a, i, p, y, s, n in zip(
            frame["area"], frame["intervention"], frame["pool"], frame["year"], frame["spend"], frame["participants"], strict=True
        )
    ]
