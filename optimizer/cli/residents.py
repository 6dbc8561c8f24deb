"""``totalplace residents``: residents' priorities from a survey, commitments from a participatory vote (docs/residents.md).

    totalplace residents aggregate responses.csv --scenario camden.json --output camden-priorities.json
    totalplace residents synthetic --scenario camden.json --respondents 2000 --seed 1 --output responses.csv
    totalplace residents vote election.pb --scenario camden.json --output camden-vote.json --rule mes

optimizer/cli/main.py mounts :data:`app` as ``residents``. Exit codes follow main.py: 0 when done, 2 when the
input is not valid (every problem on stderr, where it is and the fix), never a traceback.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from optimizer.cli.common import EXIT_INPUT, load
from optimizer.errors import ScenarioError

if TYPE_CHECKING:
    from optimizer.scenario import Scenario

app = typer.Typer(
    help="Residents' priorities from a survey, and commitments from a participatory vote (docs/residents.md).",
    no_args_is_help=True,
    add_completion=False,
)


class RuleChoice(enum.StrEnum):
    """``--rule`` of ``vote``: the Method of Equal Shares (completed) or greedy utilitarian welfare."""

    mes = "mes"
    greedy = "greedy"


@app.callback()
def _residents() -> None:
    """Residents' priorities from a survey, and commitments from a participatory vote."""


def _refuse(what: str, exc: ScenarioError) -> typer.Exit:
    typer.echo(f"{what}: not valid ({len(exc.problems)} problem(s)):", err=True)
    for problem in exc.problems:
        typer.echo(f"  {problem}", err=True)
    return typer.Exit(EXIT_INPUT)


def _document(path: Path) -> dict[str, Any]:
    """The scenario's plain document (validated first: exits 2 listing its problems)."""
    from optimizer.forms import load_data

    load(path)
    return load_data(path)


def _write(doc: dict[str, Any], path: Path) -> None:
    from optimizer.cli.scenario import write_json

    try:
        write_json(doc, path)
    except OSError as exc:
        typer.echo(f"error: cannot write {path}: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT) from None


@app.command("aggregate")
def aggregate_command(
    responses: Annotated[Path, typer.Argument(help="the survey: a CSV with columns respondent, area, theme, points")],
    min_respondents: Annotated[
        int, typer.Option("--min-respondents", min=1, help="an area with fewer respondents uses the place's weights")
    ] = 10,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario", help="check the survey against this scenario and write a new version of it with the priorities (needs --output)"
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="the new scenario (.json or .json.gz)")] = None,
    strength: Annotated[
        float | None,
        typer.Option(
            "--strength",
            min=0.0,
            max=1.0,
            help="policy.resident_priorities.strength to write (default: the scenario's, else 0, which changes nothing)",
        ),
    ] = None,
) -> None:
    """Turn a survey into place-wide and per-area weights; with --scenario, write them into a new version of it."""
    from optimizer.residents.survey import aggregate, csv_locator, read_csv, with_priorities

    if (scenario is None) != (output is None):
        typer.echo("error: give --scenario and --output together (the new version of the scenario is written to --output)", err=True)
        raise typer.Exit(EXIT_INPUT)
    s = load(scenario) if scenario is not None else None
    try:
        agg = aggregate(read_csv(responses, responses.name), min_respondents=min_respondents, scenario=s, where=csv_locator(responses.name))
    except ScenarioError as exc:
        raise _refuse(str(responses), exc) from None
    echo = typer.echo
    echo(f"{responses}: {agg.total_respondents:,} respondents in {len(agg.respondents):,} areas; {len(agg.themes)} themes")
    echo("\nThe place's weights (mean of each respondent's points, normalised to 100):")
    for theme, w in sorted(agg.place_weights.items(), key=lambda kv: (-kv[1], kv[0])):
        echo(f"  {theme:<40} {w:6.1f}")
    ids = [a.id for a in s.areas] if s is not None else sorted(agg.respondents)
    own = [a for a in ids if a in agg.area_weights]
    echo(
        f"\nAreas with weights of their own ({len(own)} of {len(ids)}; the threshold is {min_respondents} respondents; the rest use "
        "the place's):"
    )
    echo("  " + "area".ljust(16) + "respondents".rjust(12) + "   distance from the place (total variation, 0 to 1)")
    for a in sorted(ids, key=lambda a: (-agg.distance.get(a, -1.0), a)):
        n = agg.respondents.get(a, 0)
        far = f"{agg.distance[a]:.3f}" if a in agg.distance else "uses the place's (below the threshold)"
        echo("  " + a[:16].ljust(16) + f"{n:,}".rjust(12) + "   " + far)
    if s is None or scenario is None or output is None:
        return
    try:
        doc, written = with_priorities(_document(scenario), agg, strength)
    except ScenarioError as exc:
        raise _refuse(f"the new version of {scenario}", exc) from None
    _write(doc, output)
    mu = written.policy.resident_priorities.strength if written.policy.resident_priorities else 0.0
    echo(f"\nwrote {output}: schema_version 2, policy.resident_priorities.weights and {len(own)} areas' priorities; strength {mu:g}")
    if mu == 0:
        echo("  strength is 0, so the priorities change nothing yet: set policy.resident_priorities.strength (0 to 1), or pass --strength")


@app.command("synthetic")
def synthetic_command(
    scenario: Annotated[Path, typer.Option("--scenario", help="the scenario whose areas and themes the survey covers")],
    respondents: Annotated[int, typer.Option("--respondents", "-n", min=1, help="how many respondents")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the survey CSV to write")],
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same survey")] = 0,
) -> None:
    """Write a seeded synthetic survey (for tests and demos): the most deprived areas hold the reverse priorities."""
    from optimizer.residents.synthetic import distinct_areas, synthetic_survey

    s = load(scenario)
    try:
        table = synthetic_survey(s, respondents, seed)
    except ScenarioError as exc:
        raise _refuse(str(scenario), exc) from None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(output, index=False)
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    typer.echo(
        f"wrote {output}: {respondents:,} synthetic respondents, {len(table):,} rows (seed {seed}); the areas with the "
        f"reverse priorities: {', '.join(distinct_areas(s))}"
    )


@app.command("vote")
def vote_command(
    election: Annotated[Path, typer.Argument(help="the participatory vote: a pabulib .pb file")],
    scenario: Annotated[Path, typer.Option("--scenario", help="the scenario the winning projects commit")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the new version of the scenario, with the commitments")],
    rule: Annotated[RuleChoice, typer.Option("--rule", help="mes (Method of Equal Shares, completed) or greedy")] = RuleChoice.mes,
) -> None:
    """Find a participatory vote's winners and write them into a new version of the scenario as commitments."""
    doc, _, result = _with_vote(scenario, election, rule)
    _write(doc, output)
    echo = typer.echo
    echo(f"{election}: {len(result.winners)} winning project(s) under {rule.value}, £{result.spent:,.0f} of £{result.budget:,.0f}")
    for w in result.winners:
        where = f"-> {w.intervention} in {w.area}" + (f", year {w.year}" if w.year else "") if w.reason is None else "-> nothing"
        echo(f"  {w.id:<12} £{w.cost:>12,.0f}  {w.name}  {where}")
    echo(f"\nCommitments added ({len(result.commitments)}):")
    for c in result.commitments:
        echo(
            f"  at least £{c['min_spend']:,.0f} on {c['intervention']} in {c['area']}"
            + (f" in year {c['year']}" if "year" in c else " over the horizon")
        )
    if result.unmapped:
        echo(f"\nWinning projects that map to no intervention and area ({len(result.unmapped)}), not in the commitments:")
        for u in result.unmapped:
            echo(f"  {u.id:<12} £{u.cost:>12,.0f}  {u.name}: {u.reason}")
    echo(f"\nwrote {output}")


def _with_vote(scenario: Path, election: Path, rule: RuleChoice) -> tuple[dict[str, Any], Scenario, Any]:
    """The scenario's new version with the vote's winners as commitments (added last), and the vote's outcome; exits 2
    listing the problems of either file."""
    from optimizer.residents.vote import outcome, read_election, with_commitments

    s = load(scenario)
    try:
        instance, profile = read_election(election)
        result = outcome(instance, profile, s, rule.value, where=election.name)
        doc, voted = with_commitments(_document(scenario), result)
    except ScenarioError as exc:
        raise _refuse(str(election), exc) from None
    return doc, voted, result


@app.command("report")
def report_command(
    scenario: Annotated[Path, typer.Argument(help="the scenario, with residents' priorities (and the vote's commitments, if any)")],
    vote_commitments: Annotated[
        int,
        typer.Option(
            "--vote-commitments",
            min=0,
            help="how many of the scenario's commitments, counted from the last, came from "
            "the participatory vote (totalplace residents vote adds them last); the "
            "others are the board's own and stay in every way",
        ),
    ] = 0,
    vote: Annotated[
        Path | None,
        typer.Option("--vote", help="a pabulib .pb vote whose winners to add as the vote's commitments (instead of --vote-commitments)"),
    ] = None,
    rule: Annotated[RuleChoice, typer.Option("--rule", help="with --vote: mes or greedy")] = RuleChoice.mes,
    points: Annotated[int, typer.Option("--points", min=2, max=21, help="strengths of the frontier, from 0 to 1")] = 5,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the report (JSON) here")] = None,
) -> None:
    """What honouring residents costs: the plan on the evidence alone, with priorities, and with the vote's commitments."""
    from optimizer.analysis import AnalysisError
    from optimizer.analysis import residents as residents_report

    if vote is not None:
        _, s, result = _with_vote(scenario, vote, rule)
        vote_commitments = len(result.commitments)
    else:
        s = load(scenario)
    try:
        tasks = residents_report.plan(s, points=points, vote_commitments=vote_commitments)
    except AnalysisError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    report = residents_report.combine(s, [residents_report.run_task(t) for t in tasks])
    for line in report["messages"]:
        typer.echo(f"- {line}")
    if output is not None:
        _write(report, output)
        typer.echo(f"\nReport written to {output}")
