"""Tables of a benchmark run (markdown), the targets of issue 5, and the comparison with earlier runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
REGRESSION = 0.20  # a ratio that falls by more than this is flagged
RATIOS = ("vs_highs_full", "vs_pulp", "vs_highs_full_warm", "vs_pulp_warm")
NATIONAL_MEMORY_MIB = 2048  # the national target's peak memory (issue 13)


def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def _ratio(row: dict[str, Any], key: str) -> str:
    v = row.get(key)
    if v is None:
        return "-"
    return f"{'>= ' if row.get(key + '_lower_bound') else ''}{v:,.1f}x"


def _obj(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def _rel(v: float | None) -> str:
    return "-" if v is None else f"{v:.1e}"


def vintage(row: dict[str, Any]) -> str:
    """The data a row was measured on: its ``vintage``; rows of runs before vintages were recorded are all 2019."""
    return str(row.get("vintage") or "2019")


def label(row: dict[str, Any]) -> str:
    """The scale as the tables show it: the national scale with its data vintage (it has two)."""
    return f"{row['scale']} ({vintage(row)})" if row["scale"] == "national" else str(row["scale"])


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def lp_table(rows: list[dict[str, Any]]) -> list[str]:
    head = [
        "scale",
        "backend",
        "status",
        "rows",
        "cols",
        "nnz",
        "start s",
        "read s",
        "build s",
        "solve s",
        "result s",
        "write s",
        "other s",
        "total s",
        "warm s",
        "peak MiB",
        "objective",
        "vs HiGHS-full",
        "vs PuLP+CBC",
        "warm vs HiGHS-full",
        "warm vs PuLP+CBC",
        "obj. diff vs full",
    ]
    body = [
        [
            label(r),
            r["backend"],
            r["status"],
            f"{r['rows']:,}",
            f"{r['columns']:,}",
            f"{r['nonzeros']:,}",
            _f(r.get("start_s")),
            _f(r.get("read_s")),
            _f(r["build_s"]),
            _f(r["solve_s"]),
            _f(r["result_s"]),
            _f(r.get("write_s")),
            _f(r["other_s"]) if r.get("other_s") is not None and r["other_s"] >= 0 else "-",
            _f(r["total_s"]),
            _f(r.get("warm_s"), 3),
            _f(r["peak_mib"], 0),
            _obj(r["objective"]),
            _ratio(r, "vs_highs_full"),
            _ratio(r, "vs_pulp"),
            _ratio(r, "vs_highs_full_warm"),
            _ratio(r, "vs_pulp_warm"),
            _rel(r.get("objective_diff")),
        ]
        for r in rows
    ]
    return _table(head, body)


def peer_table(rows: list[dict[str, Any]]) -> list[str]:
    head = ["scale", "peer", "status", "rows", "cols", "nnz", "read s", "build s", "solve s", "total s", "peak MiB", "objective", "gap"]
    body = [
        [
            label(r) + (" MIP" if r.get("mip") else ""),
            r["peer"],
            r["status"],
            f"{r['rows']:,}" if r.get("rows") else "-",
            f"{r['columns']:,}" if r.get("columns") else "-",
            f"{r['nonzeros']:,}" if r.get("nonzeros") else "-",
            _f(r.get("read_s")),
            _f(r.get("build_s")),
            _f(r.get("solve_s")),
            ("> " if r.get("killed") else "") + _f(r["total_s"]),
            _f(r["peak_mib"], 0),
            _obj(r.get("objective")),
            _rel(r.get("gap")),
        ]
        for r in rows
    ]
    return _table(head, body)


def mip_table(rows: list[dict[str, Any]]) -> list[str]:
    head = [
        "scale",
        "backend",
        "time limit s",
        "asked gap",
        "status",
        "gap reached",
        "total s",
        "solve s",
        "peak MiB",
        "objective",
        "bound",
        "rows",
        "cols",
        "integers",
    ]
    body = [
        [
            r["scale"],
            r["backend"],
            _f(r["time_limit"], 0),
            _rel(r["mip_gap"]),
            r["status"],
            _rel(r.get("gap")),
            _f(r["total_s"]),
            _f(r.get("solve_s")),
            _f(r["peak_mib"], 0),
            _obj(r.get("objective")),
            _obj(r.get("bound")),
            f"{r.get('rows', 0):,}",
            f"{r.get('columns', 0):,}",
            f"{r.get('integers', 0):,}",
        ]
        for r in rows
    ]
    return _table(head, body)


def targets(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets of issues 5 and 13, checked on this run's HiGHS rows (LP, end to end through the CLI).

    Issue 5 asked national <= 30 s and <= 4 GiB; the rerun on the 33,755 2021 LSOAs (issue 13) is held to
    <= 15 s and <= 2 GiB, on either vintage.
    """
    out: list[dict[str, Any]] = []
    limits = {"borough": 1.0, "ics": 3.0, "national": 15.0}
    for r in run["lp"]:
        if r["backend"] != "highs":
            continue
        scale, name = r["scale"], label(r)
        out.append(
            {
                "target": f"{name}: end to end <= {limits[scale]:g} s",
                "value": f"{r['total_s']:.2f} s",
                "met": r["status"] == "optimal" and r["total_s"] <= limits[scale],
            }
        )
        if scale == "national":
            out.append(
                {
                    "target": f"{name}: peak memory <= {NATIONAL_MEMORY_MIB // 1024} GiB",
                    "value": f"{r['peak_mib']:,.0f} MiB",
                    "met": r["peak_mib"] <= NATIONAL_MEMORY_MIB,
                }
            )
        for suffix, how in (("", "cold, the CLI's whole run"), ("_warm", "warm, timed as the peer is")):
            if r.get("vs_highs_full" + suffix) is not None:
                times = 20 if scale == "ics" else 10  # issues 11 and 15 hold the ICS scale to 20x
                out.append(
                    {
                        "target": f"{name}: >= {times}x faster than HiGHS alone on the full programme ({how})",
                        "value": _ratio(r, "vs_highs_full" + suffix),
                        "met": r["vs_highs_full" + suffix] >= times,
                    }
                )
            if scale == "ics" and r.get("vs_pulp" + suffix) is not None:
                out.append(
                    {
                        "target": f"ics: >= 50x faster than PuLP + CBC ({how})",
                        "value": _ratio(r, "vs_pulp" + suffix),
                        "met": r["vs_pulp" + suffix] >= 50,
                    }
                )
    return out


def markdown(run: dict[str, Any]) -> str:
    m = run["machine"]
    lines = [
        f"# Benchmark results, {run['date']}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB memory, {m['os']}, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
        + ".",
        "",
        f"Command: `{run['command']}` (CLI runs: median of {run['settings']['repeat']}).",
        "",
    ]
    if run["settings"].get("bands"):
        lines += [
            f"Scenarios: the version 2 generator, {run['settings']['bands']} bands of diminishing returns on every intervention "
            "(`benchmarks/generate.py`, `BAND_EFFECTS`; docs/model.md 2.1), otherwise the draws of the version 1 runs.",
            "",
        ]
    if run["lp"]:
        lines += [
            "## LP, end to end through the CLI (scenario file to result file)",
            "",
            "Ratios: the peer's time over totalplace's (x faster), measured in this run. `total s` and the plain ratios are "
            "cold: the CLI's whole run in a fresh process, interpreter start-up and imports included (`start s`). `warm s` "
            "and the warm ratios time the same work (read the scenario, solve, write the result) in a process that has "
            "already started, which is how the peers' times are taken.",
            "",
        ]
        lines += lp_table(run["lp"]) + [""]
    if run["peers"]:
        lines += ["## Peers", ""] + peer_table(run["peers"]) + [""]
    if run["mip"]:
        lines += ["## MIP (fixed costs and minimum participants), end to end through the CLI", ""] + mip_table(run["mip"]) + [""]
        if any(r["backend"] == "cbc" for r in run["mip"]):
            lines += [
                "cbc's `gap reached` is not a proven gap: the cbc back end reports its solution's objective as the bound "
                "(PuLP does not return CBC's best bound); `optimal` means CBC stopped within the asked gap.",
                "",
            ]
    if run.get("floor"):
        lines += [
            "## Start-up floor",
            "",
            "A fresh process's start-up and imports before any work (median of 5; `python -m benchmarks.floor`). "
            "No Python command line answers faster than the libraries every solve imports.",
            "",
        ]
        lines += _table(
            ["start-up of a fresh process", "statement", "median s"],
            [[r["what"], f"`{r['statement']}`", _f(r["median_s"], 3)] for r in run["floor"]],
        ) + [""]
    checked = targets(run)
    if checked:
        lines += ["## Targets (issues 5 and 13)", ""]
        lines += _table(["target", "measured", "met"], [[t["target"], t["value"], "yes" if t["met"] else "**no**"] for t in checked]) + [""]
    if run.get("changes"):
        lines += ["## Change against earlier runs", ""] + changes_lines(run["changes"]) + [""]
    return "\n".join(lines)


def _key(row: dict[str, Any]) -> str:
    return f"{label(row)}/{row['backend']}"


def compare(run: dict[str, Any], history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each ratio and total time against the latest earlier run that has the same scale and backend."""
    out = []
    for row in run["lp"]:
        if row.get("status") != "optimal":
            continue
        before = next(
            (
                old
                for old_run in reversed(history)
                for old in old_run.get("lp", [])
                if _key(old) == _key(row) and old.get("status") == "optimal"
            ),
            None,
        )
        if before is None:
            continue
        stamp = next(r["date"] for r in reversed(history) if before in r.get("lp", []))
        for key in (*RATIOS, "total_s"):
            new, old = row.get(key), before.get(key)
            if not new or not old:
                continue
            change = new / old - 1
            worse = change < -REGRESSION if key in RATIOS else change > REGRESSION
            out.append(
                {"row": _key(row), "measure": key, "before": old, "after": new, "change": change, "regression": worse, "since": stamp}
            )
    return out


def changes_lines(changes: list[dict[str, Any]]) -> list[str]:
    body = [
        [
            c["row"],
            c["measure"],
            f"{c['before']:,.2f}",
            f"{c['after']:,.2f}",
            f"{c['change']:+.0%}",
            "**REGRESSION**" if c["regression"] else "",
            c["since"],
        ]
        for c in changes
    ]
    return _table(["scale/backend", "measure", "before", "after", "change", "", "earlier run"], body)


def history(bands: int = 0) -> list[dict[str, Any]]:
    """Earlier runs on the same scenarios (version 1, or ``bands`` bands on every intervention), oldest first (``results/runs/*.json``)."""
    runs = []
    for path in sorted((RESULTS / "runs").glob("*.json")):
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if run.get("settings", {}).get("bands", 0) == bands:
            runs.append(run)
    return runs


def save(run: dict[str, Any]) -> Path:
    """``results/latest.json``, ``results/latest.md`` and ``results/runs/<date>.json`` (with bands: ``results/bands.*``)."""
    (RESULTS / "runs").mkdir(parents=True, exist_ok=True)
    text = json.dumps(run, indent=1, allow_nan=False) + "\n"
    stamp = run["date"].replace(":", "").replace("-", "")
    name = "bands" if run.get("settings", {}).get("bands", 0) else "latest"
    (RESULTS / "runs" / f"{stamp}{'-bands' if name == 'bands' else ''}.json").write_text(text, encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(text, encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(run), encoding="utf-8")
    return RESULTS / f"{name}.json"


def main() -> None:
    """``python -m benchmarks.report``: write ``results/latest.md`` again from ``results/latest.json``."""
    run = json.loads((RESULTS / "latest.json").read_text(encoding="utf-8"))
    run["targets"] = targets(run)
    run["changes"] = compare(run, [r for r in history() if r["date"] < run["date"]])
    (RESULTS / "latest.md").write_text(markdown(run), encoding="utf-8")
    print(RESULTS / "latest.md")


if __name__ == "__main__":
    main()
