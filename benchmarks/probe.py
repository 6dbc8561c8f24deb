"""The parts of an end-to-end CLI run that the result's ``solver`` block does not time, and the same work warm.

``python -m benchmarks.probe SCENARIO RESULT [--warm BACKEND --repeat N --time-limit L]``
prints one JSON line: seconds to import the command (``api.cli``, what
``totalplace`` loads before doing anything), to read and validate the
scenario (``load_scenario``), and to write the result file again
(``write_result`` of the same result, to a temporary file). Run in a fresh
process, so imports are cold as in the CLI.

With ``--warm``, the same process then does what ``totalplace solve`` does
after start-up (read the scenario, :func:`optimizer.cli.main.solve_to_files`:
solve, write the result and any allocations CSV) once to warm up and
``N`` more times, and reports the median and the fastest as
``warm_seconds`` and ``warm_min_seconds``: totalplace's time measured as the
peers' are, without interpreter start-up and imports (a service or a
notebook pays those once).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("scenario", type=Path)
    p.add_argument("result", type=Path)
    p.add_argument("--warm", default=None, help="back end of the warm runs (none without)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--time-limit", type=float, default=600.0)
    args = p.parse_args()
    started = time.perf_counter()
    import api.cli  # noqa: F401 - timed: what the console script imports first
    from optimizer.cli.main import solve_to_files, write_result
    from optimizer.forms import load_scenario

    imported = time.perf_counter()
    load_scenario(args.scenario)
    loaded = time.perf_counter()
    doc = json.loads(args.result.read_text(encoding="utf-8"))
    pointer = doc.get("allocations_file") or {}
    frame = None
    if pointer.get("path"):
        import pandas as pd

        frame = pd.read_csv(pointer["path"])
    with tempfile.TemporaryDirectory() as tmp:
        before = time.perf_counter()
        if frame is not None:
            frame.to_csv(Path(tmp) / "allocations.csv", index=False, chunksize=100_000)
        write_result(doc, Path(tmp) / "result.json")
        written = time.perf_counter()
    del doc, frame
    out = {"import_seconds": imported - started, "read_seconds": loaded - imported, "write_seconds": written - before}
    if args.warm:
        walls = []
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.repeat + 1):  # the first run warms up (the back end's own lazy imports)
                t0 = time.perf_counter()
                s = load_scenario(args.scenario)
                solve_to_files(s, args.warm, Path(tmp) / "result.json", time_limit=args.time_limit)
                walls.append(time.perf_counter() - t0)
        out |= {"warm_seconds": statistics.median(walls[1:]), "warm_min_seconds": min(walls[1:]), "warm_first_seconds": walls[0]}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
