"""The benchmark command of issue 5.

    python -m benchmarks.run [--scales borough,ics,national] [--backends highs,...] [--peers] [--mip] [--repeat N] [--quick]
                             [--national-vintage 2025|2019|2025,2019]

For each scale and back end: ``totalplace solve FILE --solver B -o OUT -q``
in a fresh process (wall time, peak memory), the size and seconds from the
result's ``solver`` block, and the rest (start-up, reading the scenario,
writing the result) from :mod:`benchmarks.probe`. With ``--peers``, in the
same run: HiGHS alone on the full programme (:mod:`benchmarks.peer_highs`)
and the straightforward PuLP + CBC model (:mod:`benchmarks.peer_pulp`), and
the ratios of their times to totalplace's: cold (the CLI's whole run, start-up
included) and warm (the same work in a process that has already started, as
the peers are timed; see :mod:`benchmarks.probe`). With ``--mip``: the borough MIP to
a 0.1 % gap and the gap the ICS MIP reaches in 60 s. The national scale is
England on the 2021 LSOAs (IoD2025, 33,755 areas) unless ``--national-vintage``
names 2019 (the 32,844 2011 LSOAs of the earlier runs) or both, measured in
one run; each row records its ``vintage``. Progress goes to
stderr; the tables to stdout and to ``benchmarks/results/latest.md``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import floor, generate, report
from benchmarks.measure import Measured, cli_command, log, machine, run_measured
from optimizer.backends import backend_names, mip_names

# the back ends by name from the registry (optimizer/backends/registry.py), not a list of their own
LP_BACKENDS = {"borough": tuple(backend_names()), "ics": tuple(backend_names()), "national": ("highs",)}
MIP_BACKENDS = tuple(mip_names())
MIP_SETTINGS = {"borough": (600.0, 1e-3), "ics": (60.0, 1e-3)}  # scale -> (time limit, gap asked for)
PULP_SCALES = ("borough", "ics")  # national: building ~8 million PuLP objects would take hours and > 10 GiB
MIP_PEER_SCALES = ("borough",)


def _json(m: Measured) -> dict[str, Any] | None:
    try:
        return json.loads(m.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return None


def _py(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def solve_cli(scenario: Path, backend: str, time_limit: float, out: Path, repeat: int) -> tuple[list[Measured], dict[str, Any] | None]:
    """Solve through the CLI ``repeat`` times; the measurements and the last result (None if the CLI failed)."""
    runs: list[Measured] = []
    result = None
    for k in range(repeat):
        out.unlink(missing_ok=True)
        m = run_measured(
            [*cli_command(), "solve", str(scenario), "--solver", backend, "--time-limit", str(time_limit), "-o", str(out), "-q"],
            timeout=time_limit * 3 + 300,
        )
        runs.append(m)
        log(f"  {backend} run {k + 1}/{repeat}: {m.wall:.2f} s, {m.peak_mib:,.0f} MiB, exit {m.returncode}")
        if m.returncode != 0 or not out.exists():
            log(f"  {backend} failed: {m.stderr.strip()[-500:]}")
            return runs, None
        result = json.loads(out.read_text(encoding="utf-8"))
    return runs, result


def lp_row(scale: str, backend: str, scenario: Path, args: argparse.Namespace, vintage: str) -> dict[str, Any] | None:
    out = generate.OUT / "results" / f"{scenario.stem}-{backend}.json"
    runs, result = solve_cli(scenario, backend, args.lp_time_limit, out, args.repeat)
    if result is None:
        return {
            "scale": scale,
            "vintage": vintage,
            "backend": backend,
            "status": "cli failed",
            "rows": 0,
            "columns": 0,
            "nonzeros": 0,
            "build_s": None,
            "solve_s": None,
            "result_s": None,
            "total_s": statistics.median(m.wall for m in runs),
            "peak_mib": max(m.peak_mib for m in runs),
            "objective": None,
        }
    info = result["solver"]
    probe_cmd = _py(
        "benchmarks.probe",
        str(scenario),
        str(out),
        "--warm",
        backend,
        "--repeat",
        str(args.repeat),
        "--time-limit",
        str(args.lp_time_limit),
    )
    probe = _json(run_measured(probe_cmd, timeout=args.lp_time_limit * (args.repeat + 1) + 600)) or {}
    total = statistics.median(m.wall for m in runs)
    parts = (
        probe.get("import_seconds"),
        probe.get("read_seconds"),
        info["build_seconds"],
        info["solve_seconds"],
        info["read_seconds"],
        probe.get("write_seconds"),
    )
    other = total - sum(parts) if all(v is not None for v in parts) else None  # interpreter start, CLI parsing, hashing, ...
    return {
        "scale": scale,
        "vintage": vintage,
        "backend": backend,
        "status": result["status"],
        "rows": info["rows"],
        "columns": info["columns"],
        "nonzeros": info["nonzeros"],
        "start_s": probe.get("import_seconds"),
        "read_s": probe.get("read_seconds"),
        "build_s": info["build_seconds"],
        "solve_s": info["solve_seconds"],
        "result_s": info["read_seconds"],
        "write_s": probe.get("write_seconds"),
        "other_s": other,
        "total_s": total,
        "warm_s": probe.get("warm_seconds"),
        "walls": [m.wall for m in runs],
        "peak_mib": max(m.peak_mib for m in runs),
        "objective": result["objective"],
        "version": info.get("version"),
        "formulation": info.get("formulation"),
    }


def peer_highs_full(scale: str, scenario: Path, limit: float, mip_gap: float | None = None, vintage: str = "2019") -> dict[str, Any]:
    mps = generate.OUT / f"{scenario.stem}-full.mps"
    log(f"  exporting the full programme to {mps.name}")
    ex = run_measured(_py("benchmarks.peer_highs", "export", str(scenario), str(mps)), timeout=3600)
    size = _json(ex) or {}
    log(
        f"  exported: {size.get('rows', 0):,} rows, {size.get('columns', 0):,} columns, {size.get('nonzeros', 0):,} non-zeros, "
        f"{size.get('bytes', 0) / 2**20:,.0f} MiB, in {ex.wall:.1f} s"
    )
    log(f"  HiGHS alone on the full programme (limit {limit:.0f} s)")
    cmd = _py("benchmarks.peer_highs", "solve", str(mps), "--time-limit", str(limit)) + (["--mip-gap", str(mip_gap)] if mip_gap else [])
    m = run_measured(cmd, timeout=limit + 600)
    mps.unlink(missing_ok=True)
    got = _json(m)
    row: dict[str, Any] = {
        "scale": scale,
        "vintage": vintage,
        "peer": "highs-full",
        "mip": mip_gap is not None,
        "rows": size.get("rows"),
        "columns": size.get("columns"),
        "nonzeros": size.get("nonzeros"),
        "peak_mib": m.peak_mib,
        "time_limit": limit,
    }
    if got is None:
        row.update(status="killed" if m.timed_out else f"failed (exit {m.returncode})", killed=m.timed_out, total_s=m.wall)
    else:
        row.update(
            status=got["status"],
            objective=got["objective"],
            read_s=got["read_seconds"],
            solve_s=got["solve_seconds"],
            total_s=got["seconds"],
            gap=got.get("gap"),
        )
    log(f"  HiGHS-full: {row['status']}, {row['total_s']:.1f} s, {m.peak_mib:,.0f} MiB, objective {row.get('objective')}")
    return row


def peer_pulp(scale: str, scenario: Path, limit: float, mip_gap: float | None = None, vintage: str = "2019") -> dict[str, Any]:
    log(f"  PuLP + CBC peer (CBC limit {limit:.0f} s)")
    cmd = _py("benchmarks.peer_pulp", str(scenario), "--time-limit", str(limit)) + (["--mip-gap", str(mip_gap)] if mip_gap else [])
    m = run_measured(cmd, timeout=limit + 1800)
    got = _json(m)
    row: dict[str, Any] = {
        "scale": scale,
        "vintage": vintage,
        "peer": "pulp-cbc",
        "mip": mip_gap is not None,
        "peak_mib": m.peak_mib,
        "time_limit": limit,
    }
    if got is None:
        row.update(status="killed" if m.timed_out else f"failed (exit {m.returncode})", killed=m.timed_out, total_s=m.wall)
    else:
        row.update(
            status=got["status"],
            objective=got["objective"],
            read_s=got["read_seconds"],
            build_s=got["build_seconds"],
            solve_s=got["solve_seconds"],
            total_s=got["seconds"],
            rows=got["constraints"],
            columns=got["variables"],
        )
    log(f"  PuLP + CBC: {row['status']}, {row['total_s']:.1f} s, {m.peak_mib:,.0f} MiB, objective {row.get('objective')}")
    return row


def add_ratios(rows: list[dict[str, Any]], peers: list[dict[str, Any]]) -> None:
    """Peer seconds over totalplace's total seconds, and the objective against the full programme's."""
    for row in rows:
        if row["status"] != "optimal":
            continue  # no answer, no ratio
        ref = None
        for key, name in (("vs_highs_full", "highs-full"), ("vs_pulp", "pulp-cbc")):
            peer = next(
                (
                    p
                    for p in peers
                    if p["peer"] == name and p["scale"] == row["scale"] and not p["mip"] and report.vintage(p) == report.vintage(row)
                ),
                None,
            )
            if peer is None or not row["total_s"]:
                continue
            for suffix, mine in (("", row["total_s"]), ("_warm", row.get("warm_s"))):
                if mine:
                    row[key + suffix] = peer["total_s"] / mine
                    row[key + suffix + "_lower_bound"] = peer["status"] != "optimal"  # stopped by a limit: the true ratio is larger
            if ref is None and peer["status"] == "optimal" and peer.get("objective") is not None:
                ref = peer["objective"]
        if ref is not None and row["objective"] is not None:
            row["objective_diff"] = (row["objective"] - ref) / max(1.0, abs(ref))


def integers(doc: dict[str, Any]) -> int:
    """Launch decisions y: (area, intervention) pairs with eligible people, for interventions with a fixed cost or a minimum."""
    launch = [iv for iv in doc["interventions"] if iv.get("fixed_cost", 0) > 0 or iv.get("min_participants", 0) > 0]
    return sum(1 for iv in launch for a in doc["areas"] if a["groups"].get(iv["target_group"], 0) > 0)


def mip_rows(scale: str, args: argparse.Namespace, peers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    limit, gap = MIP_SETTINGS[scale]
    path = generate.write(scale, args.seed, mip=True)
    n_int = integers(json.loads(path.read_text(encoding="utf-8")))
    log(f"{scale} MIP: {path.name}, {n_int:,} launch decisions, limit {limit:.0f} s, gap {gap:g}")
    out = []
    for backend in args.mip_backends:
        runs, result = solve_cli(path, backend, limit, generate.OUT / "results" / f"{path.stem}-{backend}.json", 1)
        row: dict[str, Any] = {
            "scale": scale,
            "backend": backend,
            "time_limit": limit,
            "mip_gap": gap,
            "total_s": runs[0].wall,
            "peak_mib": runs[0].peak_mib,
            "integers": n_int,
            "status": "cli failed",
        }
        if result is not None:
            info = result["solver"]
            row.update(
                status=result["status"],
                gap=info.get("gap"),
                objective=result["objective"],
                bound=result.get("bound"),
                solve_s=info["solve_seconds"],
                rows=info["rows"],
                columns=info["columns"],
            )
        out.append(row)
    if args.peers and scale in MIP_PEER_SCALES:
        peers.append(peer_highs_full(scale, path, limit, gap))
        peers.append(peer_pulp(scale, path, limit, gap))
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="totalplace benchmarks (issue 5)")
    p.add_argument("--scales", default=",".join(generate.SCALES), help="comma-separated: borough,ics,national")
    p.add_argument("--backends", default=None, help="LP back ends (default: all five at borough and ICS, highs at national)")
    p.add_argument("--mip-backends", default=",".join(MIP_BACKENDS))
    p.add_argument("--peers", action="store_true", help="also run HiGHS alone on the full programme and the PuLP + CBC peer")
    p.add_argument("--mip", action="store_true", help="also the MIP benchmarks (borough to a 0.1 %% gap, ICS for 60 s)")
    p.add_argument("--no-lp", action="store_true", help="skip the LP benchmarks")
    p.add_argument("--repeat", type=int, default=3, help="CLI runs per LP scale and back end (the median is reported)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lp-time-limit", type=float, default=600.0)
    p.add_argument("--highs-full-limit", type=float, default=600.0, help="seconds (national: --national-limit)")
    p.add_argument("--national-limit", type=float, default=900.0, help="HiGHS-full time limit at national scale")
    p.add_argument("--pulp-limit", type=float, default=600.0, help="CBC time limit of the PuLP peer")
    p.add_argument(
        "--national-vintage",
        default="2025",
        help="the national scale's data: 2025 (IoD2025, 33,755 2021 LSOAs), 2019 (IoD2019, 32,844 2011 LSOAs), "
        "or both in one run (2025,2019)",
    )
    p.add_argument("--quick", action="store_true", help="borough and ICS, highs only, one run, peers but PuLP at borough only")
    p.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    p.add_argument("--peer-scales", default=None, help="with --peers: only at these scales (comma-separated; default every scale run)")
    p.add_argument("--no-pulp", action="store_true", help="with --peers: HiGHS alone only, not the PuLP + CBC peer")
    p.add_argument(
        "--bands",
        type=int,
        default=0,
        choices=(0, 2, 3, 4),
        help="the version 2 generator: this many bands of diminishing returns on every intervention "
        "(results in benchmarks/results/bands.md)",
    )
    args = p.parse_args(argv)
    args.scales = [s for s in args.scales.split(",") if s]
    args.mip_backends = [b for b in args.mip_backends.split(",") if b]
    if args.quick:
        args.scales = [s for s in args.scales if s != "national"] or ["borough"]
        args.backends, args.repeat, args.peers = args.backends or "highs", 1, True
    for s in args.scales:
        if s not in generate.SCALES:
            p.error(f"unknown scale {s!r}")
    args.national_vintage = [v for v in args.national_vintage.split(",") if v]
    for v in args.national_vintage:
        if v not in generate.VINTAGES:
            p.error(f"unknown --national-vintage {v!r} (2025 or 2019)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = "python -m benchmarks.run " + shlex.join(sys.argv[1:] if argv is None else argv)
    run: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command.strip(),
        "machine": machine(),
        "settings": {
            "repeat": args.repeat,
            "seed": args.seed,
            "lp_time_limit": args.lp_time_limit,
            "national_vintage": args.national_vintage,
            "bands": args.bands,
        },
        "lp": [],
        "peers": [],
        "mip": [],
    }
    log(f"machine: {run['machine']['cores']} cores, {run['machine']['cpu']}, {run['machine']['memory_gib']} GiB")
    run["floor"] = floor.measure(5)
    log("start-up floor: " + ", ".join(f"{r['what']} {r['median_s']:.3f} s" for r in run["floor"]))
    lp_runs = [(s, v) for s in args.scales for v in (args.national_vintage if s == "national" else [generate.SCALE_SPECS[s].vintage])]
    for scale, vintage in lp_runs if not args.no_lp else []:
        path = generate.write(scale, args.seed, vintage=vintage, bands=args.bands)
        log(f"{scale} LP ({vintage} data): {path.name}")
        rows = []
        for backend in args.backends.split(",") if args.backends else LP_BACKENDS[scale]:
            row = lp_row(scale, backend, path, args, vintage)
            if row is not None:
                rows.append(row)
        peers: list[dict[str, Any]] = []
        if args.peers and (args.peer_scales is None or scale in args.peer_scales.split(",")):
            limit = args.national_limit if scale == "national" else args.highs_full_limit
            peers.append(peer_highs_full(scale, path, limit, vintage=vintage))
            if scale in PULP_SCALES and not args.no_pulp and not (args.quick and scale != "borough"):
                peers.append(peer_pulp(scale, path, args.pulp_limit, vintage=vintage))
        add_ratios(rows, peers)
        run["lp"] += rows
        run["peers"] += peers
    if args.mip:
        for scale in (s for s in args.scales if s in MIP_SETTINGS):
            run["mip"] += mip_rows(scale, args, run["peers"])
    run["targets"] = report.targets(run)
    run["changes"] = report.compare(run, report.history(args.bands))
    print(report.markdown(run))
    for change in run["changes"]:
        if change["regression"]:
            log(
                f"REGRESSION: {change['row']} {change['measure']} {change['before']:.2f} -> {change['after']:.2f} ({change['change']:+.0%})"
            )
    if not args.no_save:
        log(f"saved {report.save(run)}")


if __name__ == "__main__":
    main()
