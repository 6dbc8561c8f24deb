"""The ``totalplace`` command line: solve, validate, export, convert, and build scenarios.

Exit codes: 0 when the scenario was valid (an infeasible scenario is an
answer, not a failure); 2 when the input is not a valid scenario (every
problem is listed on stderr with its location and what to do); 3 when the
solver asked for is missing or cannot solve this kind of programme.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from optimizer.analysis.sentences import who_pays
from optimizer.analysis.worth import sentences as worth_buying
from optimizer.cli.common import EXIT_INPUT, EXIT_SOLVER, ExportFormulation, Formulation, Solver, load
from optimizer.errors import SolverUnavailable
from optimizer.scenario import Scenario

app = typer.Typer(add_completion=False, no_args_is_help=True, help="totalplace: what to fund, where, when, and who pays.")

#: above this many allocation rows, --output keeps them in a CSV beside the JSON result
LARGE_RESULT_ROWS = 100_000


def _money(v: float | None) -> str:
    """Whole pounds, the sign before the pound sign; -0.4 is £0, not £-0."""
    if v is None:
        return "-"
    pounds = round(v)
    return f"-£{-pounds:,}" if pounds < 0 else f"£{pounds:,}"


def print_summary(s: Scenario, result: dict[str, Any]) -> None:
    """A summary a board member can read."""
    echo = typer.echo
    echo(f"Scenario: {s.name}  (hash {result['scenario_hash'][:12]})")
    echo(f"Status:   {result['status']} - {result['message']}")
    if result["status"] == "infeasible" and result.get("diagnosis"):
        diag = result["diagnosis"]
        echo("\nWhat is in conflict: " + ", ".join(diag.get("conflicts", [])))
        echo("Smallest change found:")
        for change in diag.get("changes", [])[:20]:
            echo(f"  - {change['message']}")
        for alt in diag.get("alternatives", []):
            echo(f"  or {alt['message']}")
        return
    summary = result.get("summary")
    if not summary:
        return
    echo(f"\nWeighted net present value (the objective): {_money(result['objective'])}")
    echo(
        f"Spending: {_money(summary['total_spending'])} ({_money(summary['total_spending_discounted'])} discounted); "
        f"benefit-cost ratio {summary['benefit_cost_ratio'] or 0:.2f}"
    )
    share = summary["deprived_share"]
    cwf = s.policy.community_wealth_fund
    rule = f" (rule: at least {cwf.min_share:.0%})" if cwf.min_share > 0 else ""
    echo(
        f"Share of spending in deprived areas (decile <= {cwf.max_decile}, {cwf.basis} basis): "
        f"{'-' if share is None else f'{share:.1%}'}{rule}"
    )
    years = range(1, s.H + 1)
    echo("\nSpending by pool and year:")
    echo("  " + "pool".ljust(16) + "".join(f"year {t}".rjust(14) for t in years))
    by = {(r["pool"], r["year"]): r["spend"] for r in summary["spending_by_pool_year"]}
    for pool in s.pools:
        echo("  " + pool.id[:16].ljust(16) + "".join(_money(by[(pool.id, t)]).rjust(14) for t in years))
    echo("\nWho pays and who gains (discounted):")
    if not summary.get("pool_spending_range"):
        echo("  " + "agency".ljust(16) + "pays".rjust(14) + "gains".rjust(14) + "net".rjust(14))
    ranges = summary.get("pool_spending_range") or {}
    if ranges:
        echo("  " + "agency".ljust(16) + "pays".rjust(14) + "gains".rjust(14) + "net".rjust(14) + "   equally good plans pay")
    for g in s.agency_ids:
        span = ranges.get(g)
        room = f"   {_money(span['min'])} to {_money(span['max'])}" if isinstance(span, dict) else ""
        echo(
            "  "
            + g[:16].ljust(16)
            + _money(summary["spending_by_agency"][g]).rjust(14)
            + _money(summary["savings_by_agency"][g]).rjust(14)
            + _money(summary["net_position_by_agency"][g]).rjust(14)
            + room
        )
    for line in who_pays(s, summary):
        echo(f"  {line}")
    echo("\nHow much of each service is worth buying (participant-years, share of its full reach):")
    for line in worth_buying(s, result):
        echo(f"  - {line}")
    cited = [(iv.name, iv.source) for iv in s.interventions if iv.source]
    if cited:  # version 2 (docs/model.md 2.5); each outcome's own is in the result's by_intervention and the appraisal pack
        echo("\nWhere each intervention's figures come from:")
        for name, source in cited:
            echo(f"  - {name}: {source}")
    if result["binding_rules"]:
        echo("\nRules that bind:")
        for rule_ in result["binding_rules"][:15]:
            echo(f"  - {rule_['message']}")
        if len(result["binding_rules"]) > 15:
            echo(f"  ... and {len(result['binding_rules']) - 15} more (see the result file)")
    info = result["solver"]
    echo(
        f"\nSolver: {info['name']} {info['version']}; {info['rows']:,} rows x {info['columns']:,} columns; "
        f"build {info['build_seconds']:.2f} s, solve {info['solve_seconds']:.2f} s"
    )


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="scenario file (.json, .json.gz, .yaml, .xlsx or a folder of CSVs)")],
    solver: Annotated[Solver | None, typer.Option(help="back end (default: the scenario's)")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the result here: JSON, or a workbook if it ends in .xlsx")
    ] = None,
    formulation: Annotated[
        Formulation,
        typer.Option(
            help="auto (default: merged where exact, else pooled), merged (areas alike in "
            "everything solved as one; linear programmes only), pooled, or full "
            "(the contract's programme literally)"
        ),
    ] = Formulation.auto,
    time_limit: Annotated[float | None, typer.Option(help="seconds (default: the scenario's)")] = None,
    allocations: Annotated[
        Path | None,
        typer.Option(
            help="write the allocations here: CSV (.csv or .csv.gz), or Parquet (.parquet, "
            "with area names, local authority and IMD decile; needs totalplace[parquet]); "
            f"automatic beside --output above {LARGE_RESULT_ROWS:,} rows"
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print nothing but errors")] = False,
) -> None:
    """Solve a scenario, print a summary, and write the result."""
    s = load(scenario)
    if formulation is Formulation.merged and s.is_mip:
        typer.echo(
            "error: --formulation merged cannot solve this scenario: it is mixed-integer (an intervention has a fixed cost "
            "or a minimum of participants, so each area's launch is its own yes/no choice, which areas merged into one cannot make); use --formulation auto, "
            "pooled or full",
            err=True,
        )
        raise typer.Exit(EXIT_INPUT)
    try:
        result, pointer = solve_to_files(
            s, solver.value if solver else None, output, formulation=formulation.value, time_limit=time_limit, allocations=allocations
        )
    except SolverUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_SOLVER) from None
    except (ValueError, ImportError) as exc:  # a formulation the scenario cannot take (optimizer.solve says why); no pyarrow
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    except OSError as exc:
        typer.echo(f"error: cannot write the result: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    if not quiet:
        print_summary(s, result)
        if output is not None:
            typer.echo(f"\nResult written to {output}")
        if pointer is not None:
            typer.echo(f"Allocations ({pointer['rows']:,} rows) written to {pointer['path']}")


def solve_to_files(
    s: Scenario,
    solver: str | None = None,
    output: Path | None = None,
    *,
    formulation: str = "auto",
    time_limit: float | None = None,
    allocations: Path | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What ``totalplace solve`` does after reading the scenario: solve, write the result (and the allocations CSV).

    One function, so that the benchmarks time exactly the command's work when
    they measure it in a warm process. Returns the result document and the
    allocations pointer (None when the allocations stay inside the JSON).
    """
    from optimizer.money import in_pence
    from optimizer.solve import solve as run

    solved = run(s, solver, formulation=formulation, time_limit=time_limit)
    pointer = None
    workbook = output is not None and output.suffix.lower() == ".xlsx"
    if allocations is None and output is not None and not workbook and solved.allocation_count > LARGE_RESULT_ROWS:
        allocations = output.with_name(output.name.removesuffix(".json") + ".allocations.csv")
    if allocations is not None:
        if allocations.suffix.lower() == ".parquet":
            from optimizer.export import allocation_table, write_table

            pointer = write_table(allocation_table(solved.allocations_in_pence(), s), allocations)
        else:
            pointer = solved.write_allocations(allocations)
    result = in_pence(solved.to_dict(allocations_file=pointer))  # money in pence at the edge (optimizer/money.py)
    if output is not None and workbook:
        from optimizer.export import write_workbook

        write_workbook(result if pointer is None else in_pence(solved.to_dict()), output, s)
    elif output is not None:
        write_result(result, output)
    return result, pointer


def write_result(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # compact: json.dumps without indent runs in the C encoder, three times faster on a large result
    path.write_text(json.dumps(result, allow_nan=False) + "\n", encoding="utf-8")


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="scenario file")]) -> None:
    """Only validate a scenario: exit 0 if valid, 2 listing every problem if not."""
    from optimizer.scenario import scenario_hash

    s = load(scenario)
    typer.echo(
        f"{scenario}: valid scenario '{s.name}': {len(s.areas):,} areas, {len(s.interventions)} interventions, "
        f"{len(s.pools)} pools, {s.H} years; scenario_hash {scenario_hash(s)}"
    )


@app.command()
def export(
    scenario: Annotated[Path, typer.Argument(help="scenario file")],
    mps: Annotated[Path, typer.Option("--mps", help="write the programme, exactly as solved, in MPS form")],
    formulation: Annotated[ExportFormulation, typer.Option(help="pooled (default, as solved) or full")] = ExportFormulation.pooled,
) -> None:
    """Write the programme exactly as it is solved (MPS)."""
    from optimizer.backends.highs import write_mps
    from optimizer.coefficients import compute
    from optimizer.programme import build, names

    s = load(scenario)
    k = compute(s)
    prog = build(s, k, formulation=formulation.value)
    try:
        write_mps(prog, str(mps), names(prog, k))
    except OSError as exc:
        typer.echo(f"error: cannot write {mps}: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    rows, cols, nnz = prog.shape
    typer.echo(f"wrote {mps}: {rows:,} rows, {cols:,} columns, {nnz:,} non-zeros ({formulation.value} formulation, maximise)")


def _mount() -> None:
    """Sub-commands that live in their own modules."""
    from optimizer.cli.analysis import register as register_analyses
    from optimizer.cli.analysis import register_map
    from optimizer.cli.forms import register as register_forms
    from optimizer.cli.residents import app as residents_app
    from optimizer.cli.scenario import app as scenario_app

    app.add_typer(scenario_app, name="scenario", help="build scenarios for real places from the shipped IoD2025 (or IoD2019) data")
    app.add_typer(residents_app, name="residents", help="residents' priorities from a survey, commitments from a participatory vote")
    register_forms(app)
    register_analyses(app)
    register_map(app)


_mount()


def main() -> None:
    import os

    from optimizer import logs

    logs.configure(os.environ.get("TOTALPLACE_LOG_LEVEL", "warning"))  # JSON lines on stderr, as the service's and workers'
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        typer.echo("interrupted", err=True)
        sys.exit(130)
