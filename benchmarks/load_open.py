"""``python -m benchmarks.load_open``: repeated identical solves at a fixed arrival rate, on the service's default settings.

An open-loop client (``hey -q``: each of ``--connections`` workers sends at
``--rate-per-connection`` requests/s on its own clock, whatever the answers
take) against a service this command starts and stops: ``--api-processes``
uvicorn processes, PostgreSQL, Redis and one RQ worker. Every request is the
same ``POST /v1/solve`` of the tiny example with one API key, so after the
warm-up each is a cache hit. Nothing is changed from the defaults except the
per-key rate limit, raised for the run (``--rate-limit``; it is still checked
on every request) and the log level (``warning``: uvicorn logs every request at
``info``, a core's worth of lines at 1,000 requests/s).

It prints the client's rate, latency percentiles, status codes and errors, and
the exact ``hey`` command (key elided). ``hey`` comes from the system's
packages (``apt-get install hey``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.load.service import ROOT, ServiceConfig, create_keys, drop_database, empty_redis_db, fresh_database, running_service


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.load_open", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", default="20s", help="length of the measured run (hey -z; default 20s)")
    p.add_argument("--connections", type=int, default=50, help="hey -c: connections, each paced on its own (default 50)")
    p.add_argument("--rate-per-connection", type=float, default=20.0, help="hey -q: requests/s per connection (default 20: 1,000 in all)")
    p.add_argument("--api-processes", type=int, default=2, help="uvicorn processes (totalplace serve --workers)")
    p.add_argument("--rate-limit", type=float, default=100_000.0, help="TOTALPLACE_RATE_LIMIT_PER_SECOND and _BURST for the run")
    p.add_argument(
        "--key-cache",
        type=float,
        default=None,
        help="a control run: TOTALPLACE_KEY_CACHE_SECONDS (0: every request asks the database); default: the service's",
    )
    p.add_argument("--database", default="totalplace_load_open", help="PostgreSQL database, dropped and created again each run")
    p.add_argument("--redis-db", type=int, default=13, help="Redis database number owned by the run (emptied before and after)")
    return p.parse_args(argv)


def parse_hey(text: str) -> dict[str, object]:
    """Rate, percentiles (ms), status codes and errors from hey's summary."""

    def number(pattern: str) -> float | None:
        found = re.search(pattern, text)
        return float(found[1]) if found else None

    codes = {m[1]: int(m[2]) for m in re.finditer(r"\[(\d{3})\]\s+(\d+) responses", text)}
    errors_part = text.split("Error distribution:", 1)[1] if "Error distribution:" in text else ""
    errors = sum(int(m[1]) for m in re.finditer(r"\[(\d+)\]", errors_part))
    out: dict[str, object] = {
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "codes": codes,
        "errors": errors + sum(n for code, n in codes.items() if code != "200"),
    }
    for pct in ("50", "90", "99"):
        seconds = number(rf"\s{pct}% in ([\d.]+) secs")
        out[f"p{pct}_ms"] = None if seconds is None else round(seconds * 1000, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    hey = shutil.which("hey")
    if hey is None:
        print("hey is not installed: apt-get install hey", file=sys.stderr)
        return 2
    config = ServiceConfig(
        database=args.database,
        redis_db=args.redis_db,
        api_processes=args.api_processes,
        worker_processes=1,
        rate_limit_per_second=args.rate_limit,
        rate_limit_burst=int(args.rate_limit),
        extra_env={} if args.key_cache is None else {"TOTALPLACE_KEY_CACHE_SECONDS": f"{args.key_cache:g}"},
    )
    tiny = json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())
    with tempfile.TemporaryDirectory(prefix="totalplace-load-open-") as tmp:
        run = Path(tmp)
        body = run / "tiny.json"
        body.write_text(json.dumps(tiny, separators=(",", ":")))
        try:
            fresh_database(config)
            empty_redis_db(config)
            key = create_keys(config, ["finance-system"])["finance-system"]
            with running_service(config, run) as base:
                url = f"{base}/v1/solve"
                common = ["-m", "POST", "-T", "application/json", "-H", f"X-API-Key: {key}", "-D", str(body)]
                # warm-up: the first answer solves; then every API process answers it once through the route and learns it
                subprocess.run([hey, "-n", "400", "-c", "20", *common, url], check=True, capture_output=True, timeout=300)
                measured = [hey, "-z", args.duration, "-c", str(args.connections), "-q", f"{args.rate_per_connection:g}", *common, url]
                done = subprocess.run(measured, check=True, capture_output=True, text=True, timeout=600)
        finally:
            empty_redis_db(config)
            drop_database(config)
    figures = parse_hey(done.stdout)
    shown = " ".join(a if key not in a else "X-API-Key: $KEY" for a in measured).replace(str(body), "tiny.json")
    offered = args.connections * args.rate_per_connection
    print(done.stdout)
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}")
    print(
        f"service: {args.api_processes} API processes, PostgreSQL, Redis, 1 RQ worker; defaults except "
        f"TOTALPLACE_RATE_LIMIT_PER_SECOND=BURST={args.rate_limit:g} (checked) and TOTALPLACE_LOG_LEVEL=warning"
        + ("" if args.key_cache is None else f"; control: TOTALPLACE_KEY_CACHE_SECONDS={args.key_cache:g}")
    )
    print(f"offered: {offered:g} requests/s ({args.connections} connections x {args.rate_per_connection:g}/s) for {args.duration}")
    print(
        f"measured: {figures['requests_per_second']} requests/s, p50 {figures['p50_ms']} ms, p90 {figures['p90_ms']} ms, "
        f"p99 {figures['p99_ms']} ms, status codes {figures['codes']}, errors {figures['errors']}"
    )
    print(f"command: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
