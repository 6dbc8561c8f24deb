"""How long a fresh Python process takes to start and import what a solve needs, before any work.

    python -m benchmarks.floor [--repeat N]

Prints a table: the median wall time of ``python -c STATEMENT`` over N runs
(default 10) for the bare interpreter, numpy, the libraries every solve
imports (numpy, SciPy's sparse matrices, pandas, pydantic, highspy) and the
``totalplace`` command itself (``import api.cli``). No command line written
in Python can answer faster than the third line: at borough scale that floor,
not the optimiser, decides the cold ratio against HiGHS alone (the peers are
timed without their start-up; see :mod:`benchmarks.probe` for the warm time).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from typing import Any

STATEMENTS = (
    ("interpreter alone", "pass"),
    ("numpy", "import numpy"),
    ("what every solve imports", "import numpy, scipy.sparse, pandas, pydantic, highspy"),
    ("the totalplace command", "import api.cli"),
)


def measure(repeat: int = 10) -> list[dict[str, Any]]:
    rows = []
    for label, statement in STATEMENTS:
        walls = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True)
            walls.append(time.perf_counter() - started)
        rows.append({"what": label, "statement": statement, "median_s": statistics.median(walls), "min_s": min(walls)})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=10)
    args = p.parse_args()
    print("| start-up of a fresh process | statement | median s | fastest s |\n|---|---|---|---|")
    for r in measure(args.repeat):
        print(f"| {r['what']} | `{r['statement']}` | {r['median_s']:.3f} | {r['min_s']:.3f} |")


if __name__ == "__main__":
    main()
