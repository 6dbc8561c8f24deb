"""The peer "HiGHS alone": docs/model.md's full programme exported as MPS, read and solved by highspy with its defaults.

``python -m benchmarks.peer_highs export SCENARIO MPS`` builds the full
formulation (``build(..., formulation="full")``: spending per area x
intervention x pool x year, exactly the contract) and writes it with
``write_mps``; this step is preparation and is not timed against totalplace.

``python -m benchmarks.peer_highs solve MPS [--time-limit S] [--mip-gap G]``
is the timed peer: a fresh HiGHS reads the file and solves it with default
options (presolve on, HiGHS's own choice of LP method, its own thread count),
as someone handing the model to HiGHS would. It prints one JSON line with
the status, the objective and the seconds to read and to solve.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def export(scenario: Path, mps: Path) -> dict[str, Any]:
    """Write the full programme of ``scenario`` to ``mps``; its size and the seconds taken."""
    from optimizer.backends.highs import write_mps
    from optimizer.coefficients import compute
    from optimizer.forms import load_scenario
    from optimizer.programme import build

    started = time.perf_counter()
    s = load_scenario(scenario)
    prog = build(s, compute(s), formulation="full")
    built = time.perf_counter()
    mps.parent.mkdir(parents=True, exist_ok=True)
    write_mps(prog, str(mps))  # without names: HiGHS names columns c0.. and rows r0.., which is all a solver needs
    rows, cols, nnz = prog.shape
    return {
        "rows": rows,
        "columns": cols,
        "nonzeros": nnz,
        "mip": prog.is_mip,
        "build_seconds": built - started,
        "write_seconds": time.perf_counter() - built,
        "bytes": mps.stat().st_size,
    }


def solve(mps: Path, time_limit: float, mip_gap: float | None = None) -> dict[str, Any]:
    """Read ``mps`` into a fresh HiGHS and solve it with default options; status, objective, seconds."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    started = time.perf_counter()
    if h.readModel(str(mps)) == highspy.HighsStatus.kError:
        raise OSError(f"HiGHS could not read {mps}")
    read = time.perf_counter()
    h.run()
    solved = time.perf_counter()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    _, sense = h.getObjectiveSense()
    out: dict[str, Any] = {
        "status": {"Optimal": "optimal", "Time limit reached": "time_limit", "Infeasible": "infeasible"}.get(status, status),
        "objective": float(info.objective_function_value) if has_solution else None,
        "maximise": sense == highspy.ObjSense.kMaximize,
        "read_seconds": read - started,
        "solve_seconds": solved - read,
        "seconds": solved - started,
    }
    if h.getLp().integrality_:
        out["gap"] = float(info.mip_gap) if has_solution else None
        out["bound"] = float(info.mip_dual_bound)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="the HiGHS-alone peer on the full programme")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export")
    ex.add_argument("scenario", type=Path)
    ex.add_argument("mps", type=Path)
    so = sub.add_parser("solve")
    so.add_argument("mps", type=Path)
    so.add_argument("--time-limit", type=float, default=600.0)
    so.add_argument("--mip-gap", type=float, default=None)
    args = parser.parse_args()
    out = export(args.scenario, args.mps) if args.command == "export" else solve(args.mps, args.time_limit, args.mip_gap)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
