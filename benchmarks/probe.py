"""The parts of an end-to-end CLI run that the result's ``solver`` block does not time.

``python -m benchmarks.probe SCENARIO RESULT`` prints one JSON line: seconds
to import the command (``api.cli``, what ``totalplace`` loads before doing
anything), to read and validate the scenario (``load_scenario``), and to
write the result file again (``write_result`` of the same result, to a
temporary file). Run in a fresh process, so imports are cold as in the CLI.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    scenario, result = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    import api.cli  # noqa: F401 - timed: what the console script imports first
    from optimizer.cli import write_result
    from optimizer.forms import load_scenario

    imported = time.perf_counter()
    load_scenario(scenario)
    loaded = time.perf_counter()
    doc = json.loads(result.read_text(encoding="utf-8"))
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
    json.dump({"import_seconds": imported - started, "read_seconds": loaded - imported, "write_seconds": written - before}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
