"""Speed of comparing two scenarios (issue 16, item 3): a borough pair and an ICS pair, six changes each (64 solves).

    python -m benchmarks.compare [--workers 1,2] [--output benchmarks/results/compare.md]

B is A (``benchmarks.generate.borough(0)``: 300 Bradford LSOAs, 12 interventions, 3 pools, 3 years; or
``benchmarks.generate.ics(0)``: the 1,673 LSOAs of Greater Manchester, 20 interventions) with six changes a
board makes between versions: the first pool's year 2 budget +30 %, the second pool's year 1 budget -30 %,
the Community Wealth Fund share 0.3, the first intervention's unit cost +20 %, the second intervention's
first effect +50 %, and 100 more residents in the fourth area. Exact attribution solves A, B and the 62
other subsets of the changes: 64 solves. Timed end to end (plan, run, combine), worker processes started
with ``spawn`` inside the timing; the reports on one and two workers must be identical.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks import generate
from optimizer.analysis.compare import compare
from optimizer.scenario import parse_scenario


def revised(a: dict[str, Any]) -> dict[str, Any]:
    """The six changes of the module docstring."""
    b = copy.deepcopy(a)
    b["pools"][0]["budget"][1] = round(b["pools"][0]["budget"][1] * 1.3)
    b["pools"][1]["budget"][0] = round(b["pools"][1]["budget"][0] * 0.7)
    b["policy"]["community_wealth_fund"]["min_share"] = 0.3
    b["interventions"][0]["unit_cost"] = round(b["interventions"][0]["unit_cost"] * 1.2, 2)
    b["interventions"][1]["effects"][0]["per_participant"] = round(b["interventions"][1]["effects"][0]["per_participant"] * 1.5, 6)
    b["areas"][3]["population"] += 100
    return b


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--output", type=Path, default=None, help="also write the table (Markdown) here")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# Comparing two scenarios: speed",
        "",
        "Written by `python -m benchmarks.compare" + (f" --output {args.output}`." if args.output else "`."),
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs shared by 8 agents working at once, Python {platform.python_version()}, "
        f"load average at start {load}.",
        "",
        "| pair | changes | solves | workers | seconds | ms per solve | target | same answer |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    notes: list[str] = []
    for label, build, target in (
        ("borough: 300 LSOAs, 12 interventions, 3 pools, 3 years", generate.borough, 5.0),
        ("ICS: 1,673 LSOAs, 20 interventions, 3 pools, 3 years", generate.ics, 60.0),
    ):
        data = build(0)
        a, b = parse_scenario(data), parse_scenario(revised(data))
        first: str | None = None
        for workers in counts:
            started = time.perf_counter()
            report = compare(a, b, workers=workers)
            seconds = time.perf_counter() - started
            solves = 2 ** len([e for e in report["attribution"] if e["family"] != "labels"])
            text = json.dumps(report, sort_keys=True)
            first = first or text
            row = (
                f"| {label} | {len(report['changes'])} | {solves} | {workers} | {seconds:.2f} | {1000 * seconds / solves:.0f} | "
                f"<= {target:.0f} s | {text == first} |"
            )
            print(row, flush=True)
            lines.append(row)
        print("  " + " ".join(e["message"] for e in report["attribution"]), flush=True)
        notes.append(f"{label}: " + " ".join(e["message"] for e in report["attribution"] if e["value"]))
    lines += [""] + [f"- {n}" for n in notes]
    if args.output:
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"written to {args.output}")


if __name__ == "__main__":
    main()
