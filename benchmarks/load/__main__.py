"""``python -m benchmarks.load``: the API under locust, against a service this command starts and stops.

Two phases, one after the other, against the same running service:

* ``hits``: only finance systems sending identical ``POST /v1/solve`` (cache
  hits), paced so that together they offer more than 1,000 requests/s. It
  measures the cache path's throughput and tail on its own: on 2 cores the
  load generator competes with the service for the CPU, and a mixed load
  would measure that competition as much as the cache.
* ``mix``: finance systems (cache hits and result reads), partnership boards
  (new versions, solves now and as RQ jobs, reads) and borough analysts (cold
  300-LSOA solves, every one a cache miss) together.

The targets are checked on the phase that measures each (cache hits on
``hits``, cold solves on ``mix``, failures on both) and every phase's table
is printed, so nothing measured is left out. Per-key rate limiting stays on
(its Redis script is on the hot path) but is raised for the run, since the
hits phase sends hundreds of requests a second per key; the output says so.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import generate
from benchmarks.load import report
from benchmarks.load.service import ROOT, ServiceConfig, drop_database, empty_redis_db, fresh_database, running_service, started

HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "benchmarks" / "results"
BOARD_SCENARIOS = ("islington", "camden", "south_tyneside")


def seconds(text: str) -> int:
    """``90``, ``90s``, ``2m`` or ``1h`` as whole seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    text = text.strip().lower()
    return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(float(text))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", default="60s", help="length of each phase (60s, 2m, ...; default 60s)")
    p.add_argument("--quick", action="store_true", help="a short run: 15 s per phase")
    p.add_argument("--phases", default="hits,mix", help="comma-separated: hits,mix (default both)")
    p.add_argument("--api-processes", type=int, default=2, help="uvicorn processes (totalplace serve --workers)")
    p.add_argument("--worker-processes", type=int, default=2, help="RQ workers (totalplace worker --processes)")
    p.add_argument("--locust-processes", type=int, default=1, help="locust processes (locust --processes; 1: no fork)")
    p.add_argument("--hit-users", type=int, default=50, help="hits phase: finance systems")
    p.add_argument("--hit-rate", type=float, default=24.0, help="hits phase: requests/s each finance system aims at")
    p.add_argument("--finance-users", type=int, default=20, help="mix: finance systems")
    p.add_argument("--finance-rate", type=float, default=5.0, help="mix: requests/s each finance system aims at")
    p.add_argument("--board-users", type=int, default=8, help="mix: partnership boards")
    p.add_argument("--analyst-users", type=int, default=2, help="mix: borough analysts (cold solves)")
    p.add_argument("--cold-wait", type=float, default=1.0, help="mix: an analyst waits this to twice this (s) between cold solves")
    p.add_argument("--keys-per-role", type=int, default=4, help="API keys (tenants) per role; the clients of a role share them")
    p.add_argument(
        "--key-cache",
        type=float,
        default=None,
        help="TOTALPLACE_KEY_CACHE_SECONDS for the run (default: the service's, 60 s with revocations heard on Redis; "
        "0: every request asks the database)",
    )
    p.add_argument("--rate-limit", type=float, default=100_000.0, help="TOTALPLACE_RATE_LIMIT_PER_SECOND for the run (burst the same)")
    p.add_argument("--database", default="totalplace_load", help="PostgreSQL database, dropped and created again each run")
    p.add_argument("--redis-db", type=int, default=13, help="Redis database number owned by the run (emptied before and after)")
    p.add_argument("--keep-database", action="store_true", help="leave the database in place after the run, for inspection")
    p.add_argument("--no-save", action="store_true", help="print only; do not write benchmarks/results/load.*")
    args = p.parse_args(argv)
    args.seconds = 15 if args.quick else seconds(args.duration)
    args.phases = [x.strip() for x in args.phases.split(",") if x.strip()]
    if not set(args.phases) <= {"hits", "mix"}:
        p.error("--phases takes hits and/or mix")
    return args


def write_inputs(run: Path, args: argparse.Namespace, keys: dict[str, list[str]]) -> Path:
    """The scenarios and the keys the users read, and the config file naming them."""
    borough = run / "borough-s0.json"
    borough.write_text(json.dumps(generate.borough(0)))
    tiny = json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())
    finance = []
    for k in range(4):  # four ledgers, each sent unchanged again and again
        doc = {**tiny, "name": f"finance ledger {k}", "pools": [{**tiny["pools"][0], "budget": [50000 + 5000 * k] * 2}, *tiny["pools"][1:]]}
        path = run / f"finance-{k}.json"
        path.write_text(json.dumps(doc, separators=(",", ":")))
        finance.append(str(path))
    config = {
        "keys": keys,
        "borough_scenario": str(borough),
        "finance_scenarios": finance,
        "board_scenarios": [str(ROOT / "scenarios" / f"{name}.json") for name in BOARD_SCENARIOS],
        "hit_rate": args.hit_rate,
        "finance_rate": args.finance_rate,
        "cold_wait": args.cold_wait,
        "users": {"FinanceSystem": args.finance_users, "PartnershipBoard": args.board_users, "BoroughAnalyst": args.analyst_users},
    }
    path = run / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def run_locust(base: str, config: Path, run: Path, phase: str, args: argparse.Namespace) -> dict[str, Any]:
    """One headless locust run; its CSV statistics."""
    if phase == "hits":
        classes, users = ["FinanceHits"], args.hit_users
    else:
        classes = ["FinanceSystem", "PartnershipBoard", "BoroughAnalyst"]
        users = args.finance_users + args.board_users + args.analyst_users
    prefix = run / phase
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        base,
        "-u",
        str(users),
        "-r",
        str(max(users, 1)),
        "-t",
        f"{args.seconds}s",
        "--stop-timeout",
        "20",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    if args.locust_processes > 1:
        cmd[4:4] = ["--processes", str(args.locust_processes)]
    env = {**os.environ, "TOTALPLACE_LOAD_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    print(f"[load] phase {phase}: {users} users for {args.seconds} s ({' '.join(classes)})", file=sys.stderr, flush=True)
    with started(cmd, env, run / f"locust-{phase}.log") as proc:
        try:
            proc.wait(timeout=args.seconds + 180)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"locust did not finish phase {phase}; see {run / f'locust-{phase}.log'}") from None
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no statistics for phase {phase}:\n{(run / f'locust-{phase}.log').read_text()[-3000:]}")
    return report.read_stats(prefix)


DESCRIPTIONS = {
    "hits": "{hit_users} finance systems, each aiming at {hit_rate:g} identical POST /v1/solve a second (cache hits only)",
    "mix": "{finance_users} finance systems ({finance_rate:g} requests/s each: 80 % cache hits, 20 % result reads), "
    "{board_users} partnership boards (new version, solve: 70 % now, 30 % as an RQ job; reads; 1-3 s apart), "
    "{analyst_users} borough analysts (cold 300-LSOA solves, {cold_wait:g}-{cold_wait2:g} s apart)",
}


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)  # stop as on Ctrl-C: everything started is stopped
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run = ROOT / "benchmarks" / "out" / "load" / stamp
    run.mkdir(parents=True, exist_ok=True)
    config = ServiceConfig(
        database=args.database,
        redis_db=args.redis_db,
        api_processes=args.api_processes,
        worker_processes=args.worker_processes,
        rate_limit_per_second=args.rate_limit,
        rate_limit_burst=int(args.rate_limit),
        extra_env={} if args.key_cache is None else {"TOTALPLACE_KEY_CACHE_SECONDS": f"{args.key_cache:g}"},
    )
    from benchmarks.load.service import create_keys

    phases: dict[str, Any] = {}
    try:
        print(f"[load] fresh database {config.database}, Redis DB {config.redis_db}; logs in {run}", file=sys.stderr, flush=True)
        fresh_database(config)
        empty_redis_db(config)
        roles = {"finance": "finance-system", "boards": "partnership-board", "analysts": "borough-analyst"}
        tenants = {role: [f"{name}-{k}" for k in range(args.keys_per_role)] for role, name in roles.items()}
        made = create_keys(config, [t for names in tenants.values() for t in names])
        cfg = write_inputs(run, args, {role: [made[t] for t in names] for role, names in tenants.items()})
        with running_service(config, run) as base:
            for phase in args.phases:
                started_at = time.monotonic()
                phases[phase] = run_locust(base, cfg, run, phase, args)
                phases[phase]["description"] = DESCRIPTIONS[phase].format(**vars(args), cold_wait2=args.cold_wait * 2)
                phases[phase]["wall_seconds"] = round(time.monotonic() - started_at, 1)
    except KeyboardInterrupt:
        print("[load] interrupted: everything started has been stopped", file=sys.stderr)
        return 130
    finally:
        empty_redis_db(config)
        if not args.keep_database:
            drop_database(config)
    doc = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python -m benchmarks.load", *(sys.argv[1:] if argv is None else argv)]),
        "machine": report.machine(),
        "settings": {
            "phase length": f"{args.seconds} s",
            "API": f"totalplace serve --workers {args.api_processes} (PostgreSQL database {args.database}, Redis DB {args.redis_db})",
            "jobs": f"totalplace worker --processes {args.worker_processes}",
            "locust": f"{args.locust_processes} process(es), FastHttpUser",
            "API keys": f"{args.keys_per_role} tenants per role, one key each, shared by that role's clients",
            "rate limit": f"raised for the run to {args.rate_limit:g}/s per key (TOTALPLACE_RATE_LIMIT_PER_SECOND; default 20): "
            "the limiter still runs on every request",
            "key cache": (
                "the default (TOTALPLACE_KEY_CACHE_SECONDS=60, revoked keys dropped on a Redis message)"
                if args.key_cache is None
                else f"TOTALPLACE_KEY_CACHE_SECONDS={args.key_cache:g} (a key found valid is trusted that long per API process)"
            ),
            "log level": "warning (no uvicorn access log)",
        },
        "phases": phases,
    }
    doc["targets"] = report.check_targets(phases)
    print(report.markdown(doc))
    if not args.no_save:
        report.save(doc, RESULTS)
        print(f"[load] written to {RESULTS / 'load.md'} and load.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
