"""Reading locust's CSV statistics, checking the targets, and writing ``results/load.md`` and ``results/load.json``.

Locust keeps response times in buckets: to the millisecond below 100 ms, to
10 ms below 1 s, to 100 ms above; its percentiles are those buckets, so a
p99 shown as 10 ms is one of at most 10.5 ms.
"""

from __future__ import annotations

import csv
import json
import os
import platform
from pathlib import Path
from typing import Any

HIT = "cache hit (POST /v1/solve)"
COLD = "cold borough solve (POST /v1/solve)"
TARGETS = {"hit_p99_ms": 10.0, "hit_rps": 1000.0, "cold_p95_ms": 1000.0}


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def read_stats(prefix: Path) -> dict[str, Any]:
    """One phase's rows (per request name, and ``Aggregated``) and its failures, from ``{prefix}_stats.csv``."""
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as f:
        for rec in csv.DictReader(f):
            rows.append(
                {
                    "name": rec["Name"],
                    "method": rec["Type"],
                    "requests": int(rec["Request Count"]),
                    "failures": int(rec["Failure Count"]),
                    "rps": _num(rec["Requests/s"]),
                    "p50_ms": _num(rec["50%"]),
                    "p95_ms": _num(rec["95%"]),
                    "p99_ms": _num(rec["99%"]),
                    "max_ms": _num(rec["Max Response Time"]),
                    "mean_ms": _num(rec["Average Response Time"]),
                }
            )
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as f:
            failures = [{"name": r["Name"], "error": r["Error"], "occurrences": int(r["Occurrences"])} for r in csv.DictReader(f)]
    return {"rows": rows, "failures": failures}


def row(phase: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((r for r in phase["rows"] if r["name"] == name), None)


def check_targets(phases: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The three targets, each with what was measured and whether it was met."""
    out = []
    hit_phase = "hits" if "hits" in phases else "mix"
    hit = row(phases.get(hit_phase, {"rows": []}), HIT)
    if hit is not None:
        met = hit["p99_ms"] <= TARGETS["hit_p99_ms"] and hit["rps"] >= TARGETS["hit_rps"]
        out.append(
            {
                "target": "cache hits: p99 <= 10 ms at >= 1,000 requests/s",
                "phase": hit_phase,
                "measured": f"p99 {hit['p99_ms']:.0f} ms at {hit['rps']:,.0f} requests/s",
                "met": met,
            }
        )
    cold = row(phases.get("mix", {"rows": []}), COLD)
    if cold is not None:
        out.append(
            {
                "target": "cold borough solves: p95 <= 1 s",
                "phase": "mix",
                "measured": f"p95 {cold['p95_ms']:,.0f} ms ({cold['requests']} solves)",
                "met": cold["p95_ms"] <= TARGETS["cold_p95_ms"],
            }
        )
    failed = sum(r["failures"] for p in phases.values() for r in p["rows"] if r["name"] == "Aggregated")
    total = sum(r["requests"] for p in phases.values() for r in p["rows"] if r["name"] == "Aggregated")
    out.append({"target": "0 failed requests", "phase": ", ".join(phases), "measured": f"{failed} of {total:,}", "met": failed == 0})
    return out


def machine() -> dict[str, Any]:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_gib = 0.0
    try:
        kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        mem_gib = kib / 1024 / 1024
    except (OSError, StopIteration):
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:,.0f}"


def phase_table(phase: dict[str, Any]) -> list[str]:
    lines = [
        "| request | requests | failures | rps | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(phase["rows"], key=lambda r: (r["name"] == "Aggregated", -r["requests"])):
        name = "**all requests**" if r["name"] == "Aggregated" else f"{r['name']}"
        lines.append(
            f"| {name} | {r['requests']:,} | {r['failures']:,} | {r['rps']:,.1f} | {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | "
            f"{_ms(r['p99_ms'])} | {_ms(r['max_ms'])} |"
        )
    return lines


def markdown(doc: dict[str, Any]) -> str:
    """The tables as they are printed and written to ``results/load.md``."""
    m = doc["machine"]
    lines = [
        "# The API under load",
        "",
        f"Measured {doc['date']} with `{doc['command']}` on {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), "
        f"{m['memory_gib']} GiB, Python {m['python']}. Locust ran on the same machine as the service.",
        "",
        "Settings: " + "; ".join(f"{k} {v}" for k, v in doc["settings"].items()) + ".",
        "",
    ]
    for name, phase in doc["phases"].items():
        lines += [f"## Phase `{name}`: {phase['description']}", "", *phase_table(phase), ""]
        if phase["failures"]:
            lines += ["Failures:", ""] + [f"- {f['occurrences']} x {f['name']}: {f['error'][:300]}" for f in phase["failures"]] + [""]
    lines += ["## Targets", "", "| target | phase | measured | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['phase']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |" for t in doc["targets"]]
    if doc.get("notes"):
        lines += ["", *doc["notes"]]
    return "\n".join(lines) + "\n"


def save(doc: dict[str, Any], results: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / "load.json").write_text(json.dumps(doc, indent=2, allow_nan=True) + "\n")
    (results / "load.md").write_text(markdown(doc))
