"""Every figure the README quotes comes from a command this test runs, or names the command that made it.

* A block the README introduces with "`make demo` printed" or "`totalplace ...` printed" is the
  output of that command: the command is run here (in-process, through the CLI's own app) and the
  block must equal its output line by line, timings masked. Nothing is hard-coded: change the
  output and the README together and this still passes; change one alone and it fails.
* A sentence quoted as what a command prints is found in that command's output.
* The early-help return per £1 the README quotes is the one the Manchester result reports.
* The count of API operations in the README and docs/reliability.md is the count of operations
  in the service's own OpenAPI document (``api.app.create_app().openapi()``).
* The benchmark tables (timings: machine-dependent, not asserted) name the command that made them;
  that command exists (a Makefile target, or a module whose ``--help`` lists every option named),
  and the tables' row labels are the scales the benchmark generates.

To re-make the printed blocks from the commands' output (never by hand), from the repository root:

    python tests/test_readme.py --write     # each block replaced by its command's output, "printed on" dated today
    python tests/test_readme.py --figures   # the prose figures this test re-derives, to copy into the README

(``PYTHONPATH=.`` in front where the checkout is not the installed ``totalplace``.)
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

#: "`COMMAND` printed ...:" then a fenced block: the block is COMMAND's output
_PRINTED = re.compile(r"`(make demo|totalplace [^`]+)` printed[^\n]*(?:\n[^\n`]*)*?\n```\n(.*?)\n```", re.S)


def _make_recipe(target: str) -> list[str]:
    """The command lines of a Makefile target (without the leading tab)."""
    match = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)+)", MAKEFILE, re.M)
    assert match, f"the Makefile has no target {target!r}"
    return [line[1:] for line in match.group(1).splitlines()]


def _cli_args(command: str) -> list[str]:
    """The arguments to ``totalplace`` of a README command (``make demo``: its recipe's totalplace line)."""
    if command == "make demo":
        lines = [line for line in _make_recipe("demo") if line.startswith("$(BIN)/totalplace ")]
        assert len(lines) == 1, lines
        command = lines[0].removeprefix("$(BIN)/")
    words = shlex.split(command)
    assert words[0] == "totalplace", command
    return words[1:]


def _normalise(text: str) -> list[str]:
    """Lines without trailing blanks, seconds masked (timings differ from run to run)."""
    return [re.sub(r"\d+\.\d+ s\b", "N s", line.rstrip()) for line in text.strip("\n").splitlines()]


def _printed_blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _PRINTED.finditer(README)]


def _run_printed(command: str, where: Path) -> str:
    """What ``command`` (a README "... printed" command) prints, run through the CLI's app; an ``--output`` goes to
    ``where`` and is shown as the README's path."""
    args = _cli_args(command)
    written = None
    if "--output" in args:  # write where the test may, and read the README's path for it in the output
        i = args.index("--output")
        written = args[i + 1]
        args[i + 1] = str(where / "result.json")
    run = CliRunner().invoke(app, args, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    output = run.stdout
    if written is not None:
        output = output.replace(str(where / "result.json"), written)
    return output


def test_the_readme_quotes_printed_outputs() -> None:
    """The README shows what ``make demo`` and the tight scenario's solve print (the parser found them)."""
    commands = [command for command, _ in _printed_blocks()]
    assert "make demo" in commands
    assert any("manchester_tight.json" in command for command in commands), commands


@pytest.mark.parametrize(("command", "block"), _printed_blocks(), ids=lambda v: v if v.startswith(("make", "totalplace")) else "")
def test_printed_block_is_the_commands_output(command: str, block: str, tmp_path: Path) -> None:
    assert _normalise(block) == _normalise(_run_printed(command, tmp_path))


def test_quoted_sensitivity_sentence_is_printed() -> None:
    """The sentence the README quotes from ``totalplace sensitivity`` on the tiny example is in its output."""
    match = re.search(r"on the tiny example scenario `totalplace sensitivity` prints\s+\"(.*?)\"", README, re.S)
    assert match, "the README no longer quotes totalplace sensitivity"
    quoted = " ".join(match.group(1).split())
    run = CliRunner().invoke(app, ["sensitivity", str(ROOT / "scenarios" / "examples" / "tiny.json")], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert quoted in " ".join(run.stdout.split())


def test_early_help_return_is_the_results() -> None:
    """The README's "totalplace, Manchester scenario ... | **£X**" is the result's early-help benefit per £1 spent."""
    match = re.search(r"\| totalplace, Manchester scenario [^|]*\| \*\*£(\d+\.\d\d)\*\* \|", README)
    assert match, "the README no longer quotes the early-help return"
    assert f"{early_help_ratio():.2f}" == match.group(1)


def test_early_help_bands_explain_the_return() -> None:
    """The calibrated average (by hand, no solver) is the README's £1.26, and the plan's £1.47 is it times the bands bought.

    The plan buys bands 1 and 2 (40 % and 30 % of the reach, effects 1.3 and 1.0): (0.4 x 1.3 + 0.3 x 1.0) / 0.7 times the average.
    """
    from optimizer.place.calibration import early_help_bcr

    data = json.loads((ROOT / "scenarios" / "manchester.json").read_text(encoding="utf-8"))
    match = re.search(r"\| the calibrated average family[^|]*\| £(\d+\.\d\d) \|", README)
    assert match and f"{early_help_bcr(data):.2f}" == match.group(1)
    assert early_help_ratio() == pytest.approx(early_help_bcr(data) * (0.4 * 1.3 + 0.3 * 1.0) / 0.7, rel=1e-6)


def early_help_ratio() -> float:
    """The Manchester result's early-help benefit per £1 spent (what the README's comparison with the paper quotes)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        run = CliRunner().invoke(app, ["solve", str(ROOT / "scenarios" / "manchester.json"), "--output", str(out)], catch_exceptions=False)
        assert run.exit_code == 0, run.output
        early = json.loads(out.read_text(encoding="utf-8"))["summary"]["by_intervention"]["early_help"]
    ratio = early.get("benefit_cost_ratio")
    return float(ratio if ratio is not None else early["benefit_discounted"] / early["spending_discounted"])


def _openapi_operations() -> int:
    from api.app import create_app

    paths = create_app().openapi()["paths"]
    return sum(1 for item in paths.values() for method in item if method in HTTP_METHODS)


def test_operation_counts_match_the_openapi_document() -> None:
    """Every "N operations" in the README and docs/reliability.md is the OpenAPI document's count."""
    count = _openapi_operations()
    texts = {"README.md": README, "docs/reliability.md": (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")}
    found = 0
    for name, text in texts.items():
        for match in re.finditer(r"\b(\d+) operations\b", text):
            found += 1
            assert int(match.group(1)) == count, f"{name} says {match.group(0)!r}; the OpenAPI document has {count}"
    assert found >= 1, "the README quotes no operation count"


#: the commands the README names for its benchmark tables and figures
_BENCH_COMMANDS = re.compile(r"`((?:make (?:load|load-open|bench|reliability))|python -m benchmarks\.[a-z_.]+[^`]*)`")


def test_benchmark_commands_exist() -> None:
    """Each benchmark command the README names is a Makefile target or a module that accepts the options named."""
    commands = sorted({m.group(1) for m in _BENCH_COMMANDS.finditer(README)})  # the Benchmarks section and the timed analyses
    assert any(c.startswith("python -m benchmarks.run") for c in commands), commands
    assert any(c.startswith("python -m benchmarks.analyses") for c in commands), commands
    for command in commands:
        words = shlex.split(command)
        if words[0] == "make":
            assert _make_recipe(words[1]), command
            continue
        module = words[2]
        run = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, (command, run.stderr)
        for option in (w for w in words[3:] if w.startswith("--")):
            assert option in run.stdout, f"{command}: {module} --help lists no {option}"


def test_benchmark_table_rows_are_the_generated_scales() -> None:
    """The LP and MIP tables' row labels are scales that benchmarks/generate.py makes (and the run reports)."""
    from benchmarks import generate

    section = README[README.index("## Benchmarks") :]
    rows = []
    for table_head in ("| scale (LP, highs) |", "| MIP (fixed costs, minimum participants) |"):
        start = section.index(table_head)
        lines = section[start:].split("\n\n", 1)[0].splitlines()[2:]
        rows += [line.split("|")[1].strip().split(",")[0].lower() for line in lines]
    assert rows, "no benchmark rows found"
    assert set(rows) <= set(generate.SCALES), (rows, generate.SCALES)


def test_solver_table_is_the_registry() -> None:
    """The README's back-end table lists the registry's back ends in its order, with their capabilities."""
    from optimizer.backends import BACKENDS

    start = README.index("| name | solver | programmes | notes |")
    rows = README[start:].split("\n\n", 1)[0].splitlines()[2:]
    cells = [[c.strip() for c in row.split("|")[1:-1]] for row in rows]
    assert [re.match(r"`([^`]+)`", c[0]).group(1) for c in cells] == [cls.name for cls in BACKENDS]  # type: ignore[union-attr]
    for (name, _solver, programmes, notes), cls in zip(cells, BACKENDS, strict=True):
        assert programmes == ("LP and MIP" if cls.supports_mip else "LP"), name
        assert ("no duals of its own" in notes) == (not cls.gives_duals), name
        if not cls.exact():
            quoted = re.search(r"trusted to (\S+) relative", notes)
            assert quoted and float(quoted.group(1)) == cls.tolerance, (name, notes)


def test_tight_scenario_prose_is_re_derived() -> None:
    """The figures of the prose under the tight scenario's output, each re-derived by solving.

    * "it spends £Am of its £Bm": the council's spending over the years (the result) and its budgets (the file);
    * "costs £C of net value against the best plan without it": the optimum with the Community Wealth
      Fund share at 0 minus the optimum as given (what ``totalplace frontier`` reports at its ends);
    * "each further percentage point about £D": the share's shadow price, rounded to £100.
    """
    import copy

    from optimizer import parse_scenario, solve

    start = README.index("### When money binds")
    prose = README[start : README.index("\n## ", start)]
    data = json.loads((ROOT / "scenarios" / "tight" / "manchester_tight.json").read_text(encoding="utf-8"))
    result = solve(parse_scenario(data))
    assert result.status == "optimal", result.message
    doc = result.to_dict()

    spends = re.search(r"it spends £(\d+\.\d)m of\s+its £(\d+\.\d)m", prose)
    assert spends, "the README no longer says what the council spends of its budget"
    council = [p for p in data["pools"] if p["id"] == "council"][0]
    spent = sum(row["spend"] for row in doc["summary"]["spending_by_pool_year"] if row["pool"] == "council")
    assert f"{spent / 1e6:.1f}" == spends.group(1)
    assert f"{sum(council['budget']) / 1e6:.1f}" == spends.group(2)

    cost = re.search(r"costs £([\d,]+) of\s+net value against the\s+best plan without it", prose)
    assert cost, "the README no longer quotes what the Community Wealth Fund share costs"
    free = copy.deepcopy(data)
    free["policy"]["community_wealth_fund"]["min_share"] = 0.0
    unconstrained = solve(parse_scenario(free))
    assert unconstrained.status == "optimal", unconstrained.message
    assert f"{unconstrained.objective - result.objective:,.0f}" == cost.group(1)

    point = re.search(r"each further percentage\s+point about £([\d,]+)", prose)
    assert point, "the README no longer quotes the price of a percentage point"
    prices = [r for r in doc["shadow_prices"]["rules"] if "community_wealth_fund" in json.dumps(r)]
    assert len(prices) == 1, doc["shadow_prices"]["rules"]
    assert f"{round(abs(prices[0]['value']), -2):,.0f}" == point.group(1)
    gives = re.search(r"`shadow_prices\.rules` gives (-?[\d,]+) per percentage point", prose)
    assert gives and f"{prices[0]['value']:,.0f}" == gives.group(1), prose

    promise = re.search(
        r"£([\d.]+) of net\s+value for each pound of it at the margin, and £([\d,]+) in all against the\s+best plan "
        r"without the commitment",
        prose,
    )
    assert promise, "the README no longer says what the commitment costs"
    price = next(r["value"] for r in doc["shadow_prices"]["rules"] if r["rule"] == "commitment")
    assert f"{-price:.2f}" == promise.group(1)
    unpromised = copy.deepcopy(data)
    unpromised["policy"]["commitments"] = []
    assert f"{solve(parse_scenario(unpromised)).objective - result.objective:,.0f}" == promise.group(2)

    # every other pound figure of the prose is one the printed output shows (that block is checked above)
    block = prose[prose.index("```\n") : prose.rindex("```")]
    after = prose[prose.rindex("```") :]
    checked = {
        f"£{spends.group(1)}m",
        f"£{spends.group(2)}m",
        f"£{cost.group(1)}",
        f"£{point.group(1)}",
        f"£{promise.group(1)}",
        f"£{promise.group(2)}",
    }
    # the reach of each service the prose quotes is the printed output's
    for name, share in re.findall(r"(early help|youth diversion|falls prevention)\s+(?:reaches\s+)?(\d+) %", after):
        assert f"{name.capitalize()}" in block and f"buys {share}% of its full reach" in block, (name, share)
    for figure in re.findall(r"£[\d,.]*\d(?:m\b)?", after):
        assert figure in checked or figure in block, f"{figure} in the README's prose is neither re-derived nor in the printed output"


# -- re-making the README's outputs (python tests/test_readme.py --write | --figures) ----------------------


def regenerate(text: str, today: str) -> str:
    """``text`` (the README) with every printed block replaced by its command's output, introduced as printed on ``today``."""
    import tempfile

    def one(match: re.Match[str]) -> str:
        command = match.group(1)
        with tempfile.TemporaryDirectory() as tmp:
            output = "\n".join(line.rstrip() for line in _run_printed(command, Path(tmp)).strip("\n").splitlines())
        head = match.group(0)[: match.start(2) - match.start(0)]
        head = re.sub(r"printed on \d{4}-\d{2}-\d{2}", f"printed on {today}", head, count=1)
        return head + output + "\n```"

    return _PRINTED.sub(one, text)


def tight_figures() -> dict[str, str]:
    """The figures of the prose under the tight scenario's output, as :func:`test_tight_scenario_prose_is_re_derived` derives them."""
    import copy

    from optimizer import parse_scenario, solve

    data = json.loads((ROOT / "scenarios" / "tight" / "manchester_tight.json").read_text(encoding="utf-8"))
    result = solve(parse_scenario(data))
    doc = result.to_dict()
    council = [p for p in data["pools"] if p["id"] == "council"][0]
    spent = sum(row["spend"] for row in doc["summary"]["spending_by_pool_year"] if row["pool"] == "council")
    free = copy.deepcopy(data)
    free["policy"]["community_wealth_fund"]["min_share"] = 0.0
    unconstrained = solve(parse_scenario(free))
    price = [r for r in doc["shadow_prices"]["rules"] if "community_wealth_fund" in json.dumps(r)][0]["value"]
    commitment = next(r["value"] for r in doc["shadow_prices"]["rules"] if r["rule"] == "commitment")
    without = copy.deepcopy(data)
    without["policy"]["commitments"] = []
    unpromised = solve(parse_scenario(without))
    return {
        "it spends £Am of its £Bm (council)": f"£{spent / 1e6:.1f}m of its £{sum(council['budget']) / 1e6:.1f}m",
        "the share costs £C of net value against the best plan without it": f"£{unconstrained.objective - result.objective:,.0f}",
        "each further percentage point about £D": f"£{round(abs(price), -2):,.0f}",
        "`shadow_prices.rules` gives N per percentage point": f"{price:,.0f}",
        "the commitment costs £E per £1 at the margin": f"£{-commitment:.2f}",
        "and £F in all against the best plan without it": f"£{unpromised.objective - result.objective:,.0f}",
    }


if __name__ == "__main__":
    import datetime

    if "--write" in sys.argv[1:]:
        path = ROOT / "README.md"
        path.write_text(regenerate(README, datetime.datetime.now(datetime.UTC).date().isoformat()), encoding="utf-8")
        print(f"re-made {len(_printed_blocks())} printed blocks of {path}; now re-read the prose around them (--figures)")
    if "--figures" in sys.argv[1:]:
        for what, figure in tight_figures().items():
            print(f"{what}: {figure}")
        print(f"totalplace, Manchester scenario: early help £{early_help_ratio():.2f} per £1")
