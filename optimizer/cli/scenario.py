"""``totalplace scenario``: build scenarios for real English places.

    totalplace scenario build --lad Manchester --output manchester.json
    totalplace scenario build --icb "Greater Manchester" --template my_pool.json --output gm.json.gz
    totalplace scenario build --england --output england.json.gz
    totalplace scenario places lad

optimizer/cli/main.py mounts :data:`app` on the main CLI as ``scenario``. Every error ends
with a clear message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from optimizer.errors import ScenarioError, TotalplaceError
from optimizer.place.geography import (
    DEFAULT_VINTAGE,
    KIND_LABELS_BY_VINTAGE,
    VINTAGE_LABELS,
    build_scenario,
    check_vintage,
    places,
    resolve,
    summarise,
)

app = typer.Typer(
    help="Build scenarios for real English places from IoD2025 (2021 LSOAs) or IoD2019 (2011 LSOAs).",
    no_args_is_help=True,
    add_completion=False,
)

#: Past this many areas a scenario is written compactly (England: 33,755).
COMPACT_ABOVE = 5_000


@app.callback()
def _scenario() -> None:
    """Build scenarios for real English places (LSOAs; IoD2025 by default, --vintage 2019 for IoD2019)."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def read_json(path: Path) -> Any:
    """Read JSON from ``path``; ``.gz`` files are gunzipped."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return json.load(handle)
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(data: Any, path: Path) -> None:
    """Write JSON to ``path``, gzipped when it ends in ``.gz``, compact when it holds many areas."""
    compact = len(data.get("areas", [])) > COMPACT_ABOVE if isinstance(data, dict) else False
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, **({"separators": (",", ":")} if compact else {"indent": 1})) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with gzip.GzipFile(path, "wb", mtime=0) as handle:
            handle.write(text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8")


def deprived_count(scenario: dict[str, Any]) -> tuple[int, str]:
    """How many areas the scenario's Community Wealth Fund rule counts as deprived, and how (with which data)."""
    cwf = scenario.get("policy", {}).get("community_wealth_fund", {})
    max_decile, basis = int(cwf.get("max_decile", 1)), cwf.get("basis", "national")
    data = {"2025": "IoD2025", "2019": "IoD2019"}.get(str(scenario.get("data_vintage")), "IMD")
    if basis == "local":
        return math.ceil(max_decile / 10 * len(scenario["areas"])), f"the locally most deprived {max_decile * 10} % by {data}"
    return int(summarise(scenario["areas"], max_decile)["deprived_areas"]), f"{data} IMD decile <= {max_decile} nationally"


@app.command()
def build(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.json, or .json.gz to gzip it)")],
    lad: Annotated[
        str | None, typer.Option("--lad", help="Local authority district (2024; 2019 with --vintage 2019), by code or name")
    ] = None,
    utla: Annotated[str | None, typer.Option("--utla", help="Upper-tier local authority (2024; 2019), by code or name")] = None,
    icb: Annotated[str | None, typer.Option("--icb", help="Integrated Care Board (2024; 2022), by code or name")] = None,
    pfa: Annotated[str | None, typer.Option("--pfa", help="Police force area (2024; 2019), by code or name")] = None,
    england: Annotated[bool, typer.Option("--england", help="Every LSOA in England (33,755; 32,844 with --vintage 2019)")] = False,
    template: Annotated[
        Path | None, typer.Option("--template", help="Scenario JSON whose pools, outcomes, interventions and policy to use")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Scenario name ({place} is replaced by the place's name)")] = None,
    vintage: Annotated[
        str, typer.Option("--vintage", help="Deprivation data: 2025 (IoD2025, 2021 LSOAs, 2024 councils) or 2019 (IoD2019, 2011 LSOAs)")
    ] = DEFAULT_VINTAGE,
) -> None:
    """Write a scenario whose areas are the LSOAs of one place."""
    try:
        vintage = check_vintage(vintage)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    chosen = [(k, v) for k, v in (("lad", lad), ("utla", utla), ("icb", icb), ("pfa", pfa)) if v is not None]
    if england:
        chosen.append(("england", "England"))
    if len(chosen) != 1:
        raise _fail("give exactly one place: --lad, --utla, --icb, --pfa (each with a code or name) or --england")
    kind, place = chosen[0]
    tmpl: dict[str, Any] | None = None
    if template is not None:
        try:
            tmpl = read_json(template)
        except (OSError, ValueError, EOFError) as exc:
            raise _fail(f"cannot read the template {template}: {exc}") from None
        if not isinstance(tmpl, dict):
            raise _fail(f"the template {template} must hold a JSON object (a scenario)")
    try:
        code, place = ("", "England") if kind == "england" else resolve(kind, place, vintage)
        scenario = build_scenario(kind, code or None, tmpl, name=name, vintage=vintage)
    except ScenarioError as exc:
        raise _fail(f"the scenario built from {template or 'the default template'} is not valid:\n{exc}") from None
    except (TotalplaceError, ValueError) as exc:
        raise _fail(str(exc)) from None
    try:
        write_json(scenario, output)
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc}") from None
    counts = summarise(scenario["areas"])
    deprived, rule = deprived_count(scenario)
    where = "England" if kind == "england" else f"{KIND_LABELS_BY_VINTAGE[vintage][kind]} {place} ({code})"
    population = "Census 2021 usual residents" if vintage == "2025" else "IoD2019 denominators, mid-2015"
    typer.echo(
        f"wrote {output}: {scenario['name']!r}\n"
        f"  {counts['areas']:,} areas (LSOAs) in {where}\n"
        f"  {deprived:,} deprived areas ({rule}); {counts['deprived_areas']:,} in IMD decile 1\n"
        f"  population {counts['population']:,.0f} ({population})\n"
        f"  data: {VINTAGE_LABELS[vintage]}\n"
        f"  {len(scenario['interventions'])} interventions, {len(scenario['outcomes'])} outcomes; pools: {_budgets(scenario)}"
    )


def _budgets(scenario: dict[str, Any]) -> str:
    parts = []
    for pool in scenario["pools"]:
        budget = pool["budget"]
        first = budget[0] if isinstance(budget, list) else budget
        parts.append(f"{pool['id']} £{first / 1e6:,.2f}m a year" + (" in year 1" if isinstance(budget, list) else ""))
    return ", ".join(parts)


@app.command("places")
def list_places(
    kind: Annotated[str, typer.Argument(help="lad, utla, icb or pfa")],
    vintage: Annotated[str, typer.Option("--vintage", help="2025 (2024 geographies, 2021 LSOAs) or 2019")] = DEFAULT_VINTAGE,
) -> None:
    """List the places of one kind: code, name and number of LSOAs."""
    try:
        table = places(kind, vintage)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    for row in table.itertuples(index=False):
        typer.echo(f"{row.code}\t{row.name}\t{row.lsoas}")
