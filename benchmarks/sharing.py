"""What the cost-sharing rule costs (issue 11, docs/model.md 2.4): the optimum, the sharing stage and the ranges, timed apart.

    python -m benchmarks.sharing [--scales borough,ics,ics-floor,national,borough-mip] [--repeat 3]

For each seeded benchmark scenario (:mod:`benchmarks.generate`), in one warm
process, alternately: ``solve(s)`` (the rule on, as every result has it) and
``solve(s, cost_sharing=False)`` (the optimum as found), ``--repeat`` times
each; medians. Columns: the build (coefficients and programme), the first
stage's solve, the sharing stage (least deviation and its tie-break), the
ranges (two solves per pool), and the whole with and without the rule. The
ratio "whole / without" is the target of issue 11 (at most 2); "stages /
solve" compares the stages with the first stage's solver time alone.

``ics-floor`` is the ICS scenario with a per-capita floor of £1 a resident
in the deprived areas: areas cannot be merged, so the pooled programme (one
row per deprived area and year) is what every stage solves. ``borough-mip``
adds launch decisions (the sharing stage then runs on the LP with the
launches fixed). The table goes to stdout and to ``benchmarks/results/sharing.md``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import generate
from benchmarks.measure import machine
from optimizer.scenario import Scenario, parse_scenario
from optimizer.solve import solve

RESULTS = Path(__file__).resolve().parent / "results" / "sharing.md"
SCALES = ("borough", "ics", "ics-floor", "national", "borough-mip")


def scenario_for(name: str) -> Scenario:
    scale, _, variant = name.partition("-")
    data = generate.scenario(scale, 0, mip=variant == "mip")
    if variant == "floor":
        data["policy"]["community_wealth_fund"]["per_capita_floor"] = 1.0
    data.setdefault("solver", {})["time_limit"] = 600
    return parse_scenario(data)


def measure(name: str, repeat: int) -> dict[str, Any]:
    s = scenario_for(name)
    on: list[dict[str, float]] = []
    off: list[float] = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        plain = solve(s, cost_sharing=False)
        off.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = solve(s)
        whole = time.perf_counter() - started
        info = result.solver
        on.append(
            {
                "whole": whole,
                "build": info["build_seconds"],
                "solve": info["solve_seconds"],
                "sharing": info.get("sharing_seconds", 0.0),
                "ranges": info.get("ranges_seconds", 0.0),
            }
        )
        print(f"  {name}: {whole:.2f} s with the rule, {off[-1]:.2f} s without", file=sys.stderr)
        assert plain.status == result.status, (plain.status, result.status)
    assert result is not None
    med = {key: statistics.median(run[key] for run in on) for key in on[0]}
    without = statistics.median(off)
    summary = result.summary or {}
    return {
        "name": name,
        "areas": len(s.areas),
        "interventions": len(s.interventions),
        "formulation": result.solver["formulation"],
        "rows": result.solver["rows"],
        "columns": result.solver["columns"],
        "status": str(result.status),
        **med,
        "without": without,
        "ratio": med["whole"] / without if without > 0 else float("nan"),
        "stages_ratio": (med["solve"] + med["sharing"] + med["ranges"]) / med["solve"] if med["solve"] > 0 else float("nan"),
        "deviation": (summary.get("cost_sharing") or {}).get("deviation"),
        "ranges_found": summary.get("pool_spending_range") is not None,
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| scenario | areas x interventions | programme solved | build s | optimum (solve) s | sharing s | ranges s "
        "| whole s, rule on | whole s, rule off | whole: on / off | stages / first solve |"
    )
    lines = [head, "| " + " | ".join("---" for _ in range(head.count("|") - 1)) + " |"]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['areas']:,} x {r['interventions']} | {r['formulation']}, {r['rows']:,} x {r['columns']:,} "
            f"| {r['build']:.3f} | {r['solve']:.3f} | {r['sharing']:.3f} | {r['ranges']:.3f} | {r['whole']:.2f} "
            f"| {r['without']:.2f} | **{r['ratio']:.2f}** | {r['stages_ratio']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default=",".join(SCALES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results/sharing.md alone")
    args = parser.parse_args()
    rows = [measure(name, args.repeat) for name in args.scales.split(",")]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = (
        f"Made with `python -m benchmarks.sharing --scales {args.scales} --repeat {args.repeat}` on {when}; "
        f"{machine()}; peak memory of the process {peak:,.0f} MiB. Medians of {args.repeat} warm runs each.\n\n{table(rows)}\n"
    )
    print(text)
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
