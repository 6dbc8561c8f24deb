"""How long a survey takes to aggregate, and the three-way report of a borough (docs/residents.md): the targets are
100,000 responses in at most 2 s and the report in at most 3 s.

    python -m benchmarks.residents [--rows 100000] [--repeat 3] [--scenario scenarios/manchester.json]

The report (``totalplace residents report``: three ways and five strengths, six distinct scenarios solved) is timed on the
tight-budget Manchester borough with the synthetic survey's priorities in it at strength 0.5, its commitment
counted as the vote's.

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

from optimizer.analysis import residents as report
from optimizer.forms import load_data, load_scenario
from optimizer.residents.survey import aggregate, with_priorities
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
    print(
        f"{len(table):,} rows, {table['respondent'].nunique():,} respondents, {len(s.areas):,} areas, {themes} themes "
        f"({args.scenario.name}): aggregate median {statistics.median(seconds):.3f} s, slowest {max(seconds):.3f} s "
        f"over {args.repeat} runs; {len(agg.area_weights):,} areas with weights of their own (target: at most 2 s)"
    )
    tight_path = ROOT / "scenarios" / "tight" / "manchester_tight.json"
    tight = load_scenario(tight_path)
    survey = aggregate(synthetic_survey(tight, 3000, seed=1), min_respondents=10, scenario=tight)
    _, borough = with_priorities(load_data(tight_path), survey, strength=0.5)
    seconds = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        tasks = report.plan(borough, vote_commitments=1)
        report.combine(borough, [report.run_task(t) for t in tasks])
        seconds.append(time.perf_counter() - start)
    print(
        f"the three-way report of {tight_path.name} ({len(borough.areas)} areas, {len(tasks)} solves): median "
        f"{statistics.median(seconds):.3f} s, slowest {max(seconds):.3f} s over {args.repeat} runs (target: at most 3 s)"
    )


if __name__ == "__main__":
    main()
