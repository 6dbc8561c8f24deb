"""``totalplace split | frontier | sensitivity | montecarlo | appraisal | compare | map``: the analyses boards ask for.

optimizer/cli/main.py mounts them with :func:`register` (and the map with :func:`register_map`). Every analysis is planned,
run (on ``--workers`` local processes, with a progress bar on stderr) and
combined by :mod:`optimizer.analysis`. Exit codes follow ``optimizer/cli/main.py``:
0 when the report is written; 2 when the input is not a valid scenario, the
analysis cannot run on it (the message says why), or an output cannot be
written; 3 when the solver is missing. Never a traceback.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from optimizer.analysis.common import AnalysisError, money
from optimizer.cli.common import EXIT_INPUT, EXIT_SOLVER, load, read_result
from optimizer.errors import SolverUnavailable
from optimizer.scenario import Scenario


class Distribution(enum.StrEnum):
    """``--distribution`` of ``montecarlo``: how an uncertain effect is sampled between its low and high values."""

    triangular = "triangular"
    uniform = "uniform"


ScenarioArg = Annotated[Path, typer.Argument(help="scenario file (.json, .json.gz, .yaml, .xlsx or a folder of CSVs)")]
Workers = Annotated[int, typer.Option("--workers", "-w", min=1, max=64, help="local worker processes")]


def _fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _execute(kind: str, s: Scenario, workers: int, label: str, **options: Any) -> dict[str, Any]:
    """Plan, run with a progress bar on stderr, and combine; errors become messages and exit codes."""
    from optimizer.analysis.runner import module, run_local

    mod = module(kind)
    try:
        tasks = mod.plan(s, **options)
        with typer.progressbar(length=len(tasks), label=label, file=sys.stderr, show_pos=True) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.pos)

            results = run_local(tasks, workers=workers, progress=progress)
        return mod.combine(s, results)
    except AnalysisError as exc:
        raise _fail(str(exc)) from None
    except SolverUnavailable as exc:
        raise _fail(str(exc), EXIT_SOLVER) from None


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc}") from None


def _write_json(report: dict[str, Any], path: Path | None) -> None:
    if path is not None:
        _write(path, json.dumps(report, indent=1, allow_nan=False) + "\n")
        typer.echo(f"\nReport written to {path}")


def register(app: typer.Typer) -> None:
    """Add the analysis commands to ``app``."""

    @app.command("split")
    def split_command(
        scenario: ScenarioArg,
        output: Annotated[Path, typer.Option("--output", "-o", help="write the report (JSON) here")],
        workers: Workers = 1,
    ) -> None:
        """A fair split between agencies: every coalition's value, Shapley values, fair contributions and the core."""
        s = load(scenario)
        report = _execute("split", s, workers, f"coalitions ({2 ** len(s.pools) - 1})")
        typer.echo(f"\nValue of all pools together: {money(report['grand_value'])}\n")
        typer.echo(
            "  " + "agency".ljust(16) + "".join(h.rjust(15) for h in ("alone", "fair share", "net position", "fair contrib.", "spends"))
        )
        for a in report["agencies"]:
            pay = a["contribution_funding_all_spending"] if a["contribution_funding_all_spending"] is not None else a["contribution"]
            typer.echo(
                "  "
                + a["agency"][:16].ljust(16)
                + "".join(money(v).rjust(15) for v in (a["standalone_value"], a["shapley"], a["net_position"], pay, a["spending"]))
            )
        typer.echo("")
        for line in report["messages"] + [f"warning: {w}" for w in report["warnings"]]:
            typer.echo(f"- {line}")
        _write_json(report, output)

    @app.command("frontier")
    def frontier_command(
        scenario: ScenarioArg,
        output: Annotated[Path, typer.Option("--output", "-o", help="write the report (JSON) here")],
        points: Annotated[int, typer.Option("--points", "-n", min=2, max=201, help="shares swept from 0 to the largest")] = 11,
        chart: Annotated[Path | None, typer.Option("--chart", help="write the frontier chart here (.svg)")] = None,
        workers: Workers = 1,
    ) -> None:
        """The price of the Community Wealth Fund rule: net value as the share for deprived areas rises."""
        from optimizer.analysis.frontier import chart_svg

        if chart is not None and chart.suffix.lower() != ".svg":
            raise _fail(
                f"charts are written as SVG (matplotlib, which PNG would need, is not a dependency): name the chart file .svg, not {chart.name}"
            )
        s = load(scenario)
        report = _execute("frontier", s, workers, f"shares ({points} points)", points=points)
        typer.echo("\n  " + "share".rjust(7) + "net value".rjust(16) + "  status")
        for p in report["points"]:
            typer.echo(f"  {p['min_share']:7.0%}{money(p['objective']).rjust(16)}  {p['status']}")
        typer.echo("")
        for line in report["messages"]:
            typer.echo(f"- {line}")
        if chart is not None:
            _write(chart, chart_svg(report, f"What targeting deprived areas costs: {s.name}"))
            typer.echo(f"\nChart written to {chart}")
        _write_json(report, output)

    @app.command("sensitivity")
    def sensitivity_command(
        scenario: ScenarioArg,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the report (JSON) here")] = None,
        workers: Workers = 1,
    ) -> None:
        """What one more pound (or a looser rule) would buy, and how far that holds, in sentences."""
        s = load(scenario)
        report = _execute("sensitivity", s, workers, "prices and ranges")
        typer.echo("")
        for line in report["sentences"]:
            typer.echo(f"- {line}")
        _write_json(report, output)

    @app.command("montecarlo")
    def montecarlo_command(
        scenario: ScenarioArg,
        output: Annotated[Path, typer.Option("--output", "-o", help="write the report (JSON) here")],
        samples: Annotated[int, typer.Option("--samples", "-n", min=1, max=100_000, help="sampled scenarios")] = 100,
        seed: Annotated[int, typer.Option("--seed", min=0, help="seed: the same seed gives the same samples")] = 0,
        distribution: Annotated[
            Distribution, typer.Option(help="triangular (mode = per_participant) or uniform")
        ] = Distribution.triangular,
        robust: Annotated[bool, typer.Option("--robust", help="also optimise against every effect's low value")] = False,
        workers: Workers = 1,
    ) -> None:
        """How sure are we: the objective's distribution over uncertain effects, and each area-intervention's chance of funding."""
        s = load(scenario)
        report = _execute(
            "montecarlo",
            s,
            workers,
            f"Monte Carlo ({samples:,} samples)",
            samples=samples,
            seed=seed,
            distribution=distribution.value,
            robust=robust,
        )
        typer.echo("")
        for line in report["messages"] + [f"warning: {w}" for w in report["warnings"]]:
            typer.echo(f"- {line}")
        unsure = [f for f in report["funded"] if 0.1 <= f["probability"] <= 0.9]
        if unsure:
            typer.echo(
                f"- {len(unsure):,} area-interventions are funded in between 10 % and 90 % of samples (the choices that depend "
                "most on the uncertain effects); see 'funded' in the report."
            )
        _write_json(report, output)

    @app.command("compare")
    def compare_command(
        a: Annotated[Path, typer.Argument(help="scenario A, the earlier version (any form solve reads)")],
        b: Annotated[Path, typer.Argument(help="scenario B, the later version")],
        output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the report (JSON, money in pence) here")] = None,
        chart: Annotated[Path | None, typer.Option("--chart", help="write the waterfall chart here (.svg)")] = None,
        method: Annotated[str, typer.Option(help="auto (exact up to 10 changes, else by family), exact, families or sample")] = "auto",
        orders: Annotated[int, typer.Option(min=1, max=100_000, help="orders sampled (method sample)")] = 200,
        seed: Annotated[int, typer.Option(min=0, help="seed of the sampled orders")] = 0,
        workers: Workers = 1,
    ) -> None:
        """Why did the plan change: the changes from A to B, and what each cost or bought in net value (Shapley, exact)."""
        from optimizer.analysis import compare as cmp
        from optimizer.analysis.runner import run_local

        if chart is not None and chart.suffix.lower() != ".svg":
            raise _fail(f"the waterfall is written as SVG: name the chart file .svg, not {chart.name}")
        sa, sb = load(a), load(b)
        try:
            tasks = cmp.plan(sa, sb, method=method, orders=orders, seed=seed)
            with typer.progressbar(
                length=len(tasks), label=f"scenarios solved in batches ({len(tasks)} tasks)", file=sys.stderr, show_pos=True
            ) as bar:

                def progress(done: int, total: int) -> None:
                    bar.update(done - bar.pos)

                report = cmp.combine(sa, run_local(tasks, workers=workers, progress=progress))
        except AnalysisError as exc:
            raise _fail(str(exc)) from None
        except SolverUnavailable as exc:
            raise _fail(str(exc), EXIT_SOLVER) from None
        print_comparison(report)
        if chart is not None:
            from optimizer.analysis.waterfall import svg

            if report["objective_change"] is None or not report["attribution"]:
                typer.echo("\nNo chart: there is no attributed change in net value to draw.")
            else:
                _write(chart, svg(report))
                typer.echo(f"\nChart written to {chart}")
        _write_json(report, output)

    @app.command("appraisal")
    def appraisal_command(
        scenario: ScenarioArg,
        csv: Annotated[Path | None, typer.Option("--csv", help="write the appraisal table (CSV) here")] = None,
        html: Annotated[Path | None, typer.Option("--html", help="write the one-page report (HTML) here")] = None,
        result: Annotated[Path | None, typer.Option("--result", help="appraise this result (JSON) instead of solving")] = None,
    ) -> None:
        """The appraisal pack: spending, savings, NPV, return, payback and cashable savings per intervention and agency."""
        from optimizer.analysis.appraisal import appraise, table
        from optimizer.analysis.report import html_page
        from optimizer.scenario import scenario_hash

        if csv is None and html is None:
            raise _fail("say where to write the pack: --csv FILE and/or --html FILE")
        s = load(scenario)
        given = None
        if result is not None:
            given = read_result(result)  # with its allocations, also when they were written to a file of their own
            if given.get("scenario_hash") != scenario_hash(s):
                raise _fail(f"{result} is not a result of this scenario (its scenario_hash differs): solve the scenario again")
        try:
            if given is None and html is not None:  # the page's map needs the result too: solved once, here, as appraise would
                from optimizer.money import in_pence
                from optimizer.solve import solve

                given = in_pence(solve(s).to_dict())
            pack = appraise(s, given)
        except AnalysisError as exc:
            raise _fail(str(exc)) from None
        except SolverUnavailable as exc:
            raise _fail(str(exc), EXIT_SOLVER) from None
        for line in pack["messages"]:
            typer.echo(f"- {line}")
        if csv is not None:
            _write(csv, table(pack).to_csv(index=False))
            typer.echo(f"Table written to {csv}")
        if html is not None:
            from optimizer.analysis.maps import pack_svg

            assert given is not None
            map_svg, map_note = pack_svg(s, given)
            _write(html, html_page(pack, map_svg, map_note))
            typer.echo(f"Report written to {html}" + (f" ({map_note})" if map_note else " with the map of spending per resident"))


MAP_FORMS = (".svg", ".html")


def _map_command(result: Path, scenario: Path | None, output: Path, title: str | None) -> None:
    """``totalplace map``: check the options before reading anything, then draw and write."""
    from optimizer.analysis import maps
    from optimizer.scenario import scenario_hash

    suffix = output.suffix.lower()
    if suffix not in MAP_FORMS:
        raise _fail(
            f"--output {output.name}: the map is written as SVG or as an HTML page; name the file .svg or .html "
            "(for example --output map.svg)"
        )
    if scenario is None:
        raise _fail(
            f"--scenario is missing: a result does not carry its areas; give the scenario {result.name} was solved from "
            "(for example --scenario scenarios/manchester.json)"
        )
    if not result.is_file():
        raise _fail(f"RESULT {result}: no such file; give the result JSON that `totalplace solve -o` wrote")
    if not scenario.exists():
        raise _fail(f"--scenario {scenario}: no such file; give the scenario file the result was solved from")
    s = load(scenario)
    given = read_result(result)
    if given.get("scenario_hash") != scenario_hash(s):
        raise _fail(
            f"{result} is not a result of {scenario} (its scenario_hash differs): give --scenario the file it was solved "
            "from, or solve this scenario again"
        )
    try:
        data = maps.map_data(s, given)
        text = maps.svg(data, title) if suffix == ".svg" else maps.html_page(data, title)
    except AnalysisError as exc:
        raise _fail(str(exc)) from None
    _write(output, text)
    drawn = sum(a.drawn for a in data.areas)
    typer.echo(f"Map of {drawn:,} area(s) written to {output}: {data.legend}; {data.deprived_count:,} deprived area(s) outlined.")
    if data.missing:
        shown = ", ".join(data.missing[:10]) + (f" and {len(data.missing) - 10:,} more" if len(data.missing) > 10 else "")
        typer.echo(f"Not drawn, having no boundary: {len(data.missing):,} area(s): {shown}")


def register_map(app: typer.Typer) -> None:
    """Add ``totalplace map`` to ``app``."""

    @app.command("map")
    def map_command(
        result: Annotated[Path, typer.Argument(help="a result JSON (.json or .json.gz) that `totalplace solve -o` wrote")],
        output: Annotated[Path, typer.Option("--output", "-o", help="write the map here: .svg (a picture) or .html (a page)")],
        scenario: Annotated[Path | None, typer.Option("--scenario", "-s", help="the scenario the result was solved from")] = None,
        title: Annotated[str | None, typer.Option(help="the map's title (default: the scenario's name)")] = None,
    ) -> None:
        """A map of spending per resident in each neighbourhood, the Community Wealth Fund's deprived areas outlined."""
        _map_command(result, scenario, output, title)


def print_comparison(report: dict[str, Any]) -> None:
    """The changes, the waterfall table and the sentences, in pounds."""
    echo = typer.echo
    changes = report["changes"]
    echo(f"\nA: {report['a']['name']} ({report['a']['status']})\nB: {report['b']['name']} ({report['b']['status']})")
    echo(f"\nChanges ({len(changes)}):" if changes else "\nNo changes.")
    for c in changes[:40]:
        echo(f"  {c['id']:>5}  {c['message']}")
    if len(changes) > 40:
        echo(f"  ... and {len(changes) - 40} more (see the report)")
    valued = [e for e in report["attribution"] if e.get("value") is not None]
    if valued and report["objective_change"] is not None:
        width = 72
        echo(
            "\nWaterfall of net value ("
            + {
                "exact": "Shapley values, every subset solved",
                "families": "Shapley values by family",
                "sample": "Shapley values from sampled orders",
            }.get(str(report["method"]), "")
            + "):"
        )
        running = report["objective_a"]
        echo(f"  {'A: ' + report['a']['name']:<{width}.{width}}{money(running / 100):>16}")
        for e in valued:
            running += e["value"]
            sign = "+" if e["value"] >= 0 else "-"
            tail = f"  (+/- {money(e['stderr'] / 100)})" if "stderr" in e else ""
            echo(
                f"  {sign} {e['change'] + ': ' + e['action']:<{width - 2}.{width - 2}}{money(abs(e['value']) / 100):>16}{'':2}"
                f"{money(running / 100)}{tail}"
            )
        echo(f"  {'= B: ' + report['b']['name']:<{width}.{width}}{money(report['objective_b'] / 100):>16}")
        worded = [
            f"{e['action']} {'bought' if e['value'] > 0 else 'cost'} {money(abs(e['value']) / 100)} of net value"
            for e in valued
            if e["value"] != 0
        ]
        if worded:
            echo("\n" + "; ".join(worded) + ".")
    echo("")
    for line in report["messages"] + [f"warning: {w}" for w in report["warnings"]]:
        echo(f"- {line}")
