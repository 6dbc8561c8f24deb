"""Speed of the many-solve analyses (issue 4, item 6): Monte Carlo and the Shapley split, on one and two workers.

    python -m benchmarks.analyses [--samples 1000] [--workers 1,2] [--output benchmarks/results/analyses.md]

* Monte Carlo: the borough benchmark scenario (``benchmarks.generate.borough(0)``: the first 300 LSOAs of
  Bradford, 12 interventions, 3 pools, 3 years) with every effect made uncertain, low = 0.6 x and
  high = 1.4 x ``per_participant`` (triangular, mode at ``per_participant``); 1,000 samples, seed 0, robust on.
* Shapley: two three-pool ICS-sized scenarios on the 1,673 LSOAs of NHS Greater Manchester ICB: the ICS
  benchmark scenario (``benchmarks.generate.ics(0)``, 20 interventions) and the scenario that
  ``totalplace scenario build --icb "NHS Greater Manchester Integrated Care Board"`` writes (the default
  prevention template); 2^3 - 1 = 7 coalition solves each.

Each run is timed end to end (plan, run, combine) with :func:`optimizer.analysis.run_analysis`, worker
processes started with ``spawn`` inside the timing. Results on one and on two workers must be identical
(same samples, same coalition values): the script checks it. A calibration line times a pure-Python loop
on one and on two processes, to show how much parallel capacity the machine really has.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks import generate
from optimizer.analysis import run_analysis, run_task
from optimizer.scenario import Scenario, parse_scenario

SPREAD = 0.4


def burn(n: int) -> int:
    """Pure-Python work for the calibration."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def calibrate(n: int = 10_000_000) -> tuple[float, float]:
    """Seconds for two units of CPU work in one process, and on two processes (pool start excluded)."""
    started = time.perf_counter()
    burn(n)
    burn(n)
    serial = time.perf_counter() - started
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(burn, [1, 1]))
        started = time.perf_counter()
        list(pool.map(burn, [n, n]))
        parallel = time.perf_counter() - started
    return serial, parallel


def uncertain_borough() -> Scenario:
    data = generate.borough(0)
    for iv in data["interventions"]:
        for eff in iv["effects"]:
            eff["low"] = round(eff["per_participant"] * (1 - SPREAD), 6)
            eff["high"] = round(eff["per_participant"] * (1 + SPREAD), 6)
    return parse_scenario(data)


def gm_default() -> Scenario:
    from optimizer.place.geography import build_scenario, resolve

    code, _ = resolve("icb", "NHS Greater Manchester Integrated Care Board", "2019")
    return parse_scenario(build_scenario("icb", code, None, vintage="2019"))


def timed(kind: str, s: Scenario, workers: int, pool: ProcessPoolExecutor | None = None, **options: Any) -> tuple[float, dict[str, Any]]:
    """Seconds for plan, run and combine: on ``workers`` processes started inside the timing, or on a warm ``pool``."""
    started = time.perf_counter()
    report = run_analysis(kind, s, workers=workers, executor=pool, **options)
    return time.perf_counter() - started, report


def warm_pool(workers: int) -> ProcessPoolExecutor:
    """A pool whose processes are started and have imported the optimiser (as a queue's long-lived workers have)."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    tiny = {
        "kind": "split",
        "coalition": ["A"],
        "scenario": {
            "schema_version": 1,
            "name": "warm-up",
            "horizon_years": 1,
            "pools": [{"id": "A", "name": "A", "budget": 1.0}],
            "outcomes": [{"id": "o", "name": "o", "unit_costs": {"A": 1.0}}],
            "areas": [{"id": "X", "imd_decile": 1, "population": 1.0}],
            "interventions": [
                {
                    "id": "i",
                    "name": "i",
                    "target_group": "g",
                    "unit_cost": 1.0,
                    "max_coverage": 1.0,
                    "effects": [{"outcome": "o", "per_participant": 1.0}],
                }
            ],
        },
    }
    list(pool.map(run_task, [tiny] * (workers * 2)))
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--output", type=Path, default=None, help="also write the table (markdown) here")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average at start "
        f"{load} (other work shares the machine); workers started with spawn, timed end to end.",
        "",
    ]
    serial, parallel = calibrate()
    lines += [
        f"Calibration (pure Python, two equal units of work): one process {serial:.2f} s, two processes {parallel:.2f} s "
        f"(speed-up {serial / parallel:.2f}x: the most any analysis can gain from a second worker here).",
        "",
    ]
    lines += [
        "| analysis | scenario | solves | workers | seconds (processes started inside) | seconds (warm pool) | "
        "per solve, warm (ms) | speed-up, warm | same answer |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]

    def measure(kind: str, label: str, s: Scenario, solves: int, same: Any, **options: Any) -> dict[str, Any]:
        ref: dict[str, Any] | None = None
        first = 0.0
        for w in counts:
            cold, rep = timed(kind, s, w, **options)
            pool = warm_pool(w) if w > 1 else None
            try:
                warm, again = timed(kind, s, w, pool, **options)
            finally:
                if pool is not None:
                    pool.shutdown()
            ok = same(rep, again) and (ref is None or same(ref, rep))
            ref, first = (rep, warm) if ref is None else (ref, first)
            lines.append(
                f"| {kind} | {label} | {solves:,} | {w} | {cold:.1f} | {warm:.1f} | {warm / solves * 1000:.1f} | "
                f"{first / warm:.2f}x | {ok} |"
            )
        assert ref is not None
        return ref

    base = measure(
        "montecarlo",
        f"borough: 300 LSOAs, 12 interventions; {args.samples:,} samples, robust",
        uncertain_borough(),
        args.samples + 2,
        lambda a, b: a["sample_results"] == b["sample_results"] and a["funded"] == b["funded"],
        samples=args.samples,
        seed=0,
        robust=True,
    )
    mc_line = (
        f"Monte Carlo result: objective mean £{base['objective']['mean']:,.0f}, 5-95 % £{base['objective']['p05']:,.0f} to "
        f"£{base['objective']['p95']:,.0f}; robust floor £{base['robust']['objective']:,.0f}; "
        f"{sum(1 for f in base['funded'] if f['probability'] >= 0.999):,} of {len(base['funded']):,} area-interventions funded in every sample."
    )
    split_lines = []
    for label, s in (
        ("ICS benchmark: 1,673 LSOAs, 20 interventions, 3 pools", parse_scenario(generate.ics(0))),
        ("GM ICB, default template: 1,673 LSOAs, 3 pools", gm_default()),
    ):
        ref = measure(
            "split", label, s, 2 ** len(s.pools) - 1, lambda a, b: a["coalitions"] == b["coalitions"] and a["shapley"] == b["shapley"]
        )
        split_lines.append(
            f"Shapley ({label}): " + ", ".join(f"{p} £{v:,.0f}" for p, v in ref["shapley"].items()) + f"; in the core: {ref['in_core']}."
        )
    lines += ["", mc_line, *split_lines]
    text = "\n".join(lines)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(
            f"# Analyses: speed on one and two workers\n\nWritten by `python -m benchmarks.analyses --output {args.output}`.\n\n{text}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
