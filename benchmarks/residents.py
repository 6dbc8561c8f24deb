"""How long a survey takes to aggregate (docs/residents.md): the target is 100,000 responses in at most 2 s.

    python -m benchmarks.residents [--rows 100000] [--repeat 3] [--scenario scenarios/manchester.json]

A seeded synthetic survey (:mod:`optimizer.residents.synthetic`) of the scenario's areas and themes,
with enough respondents for ``--rows`` rows, is aggregated ``--repeat`` times in one warm process,
checked against the scenario (areas and themes) as ``totalplace residents aggregate --scenario``
does. Prints the rows, the respondents and the median and slowest times; asserts nothing (timings
depend on the machine).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from optimizer.forms import load_scenario
from optimizer.residents.survey import aggregate
from optimizer.residents.synthetic import synthetic_survey

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="survey rows to aggregate (one per respondent and theme)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (the median is printed)")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "manchester.json", help="areas and themes of the survey")
    args = parser.parse_args(argv)
    s = load_scenario(args.scenario)
    themes = len({t for o in s.outcomes for t in (o.themes or ())})
    table = synthetic_survey(s, math.ceil(args.rows / max(themes, 1) * 1.02), seed=1).head(args.rows)
    seconds = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        agg = aggregate(table, min_respondents=10, scenario=s)
        seconds.append(time.perf_counter() - start)
    print(f"{len(table):,} rows, {table['respondent'].nunique():,} respondents, {len(s.areas):,} areas, {themes} themes "
          f"({args.scenario.name}): aggregate median {statistics.median(seconds):.3f} s, slowest {max(seconds):.3f} s "
          f"over {args.repeat} runs; {len(agg.area_weights):,} areas with weights of their own (target: at most 2 s)")


if __name__ == "__main__":
    main()
