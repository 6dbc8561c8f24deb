"""Fuzzing the running service against its own OpenAPI document with schemathesis (issue 6).

A real ``totalplace serve`` (uvicorn, embedded: SQLite, in-process cache and jobs, rate limit off so
that the fuzzer measures answers rather than 429s) is fuzzed by schemathesis's own command, all four
phases (the document's examples, coverage of its boundaries, random fuzzing, stateful sequences along
the links schemathesis infers), on every operation, with a valid API key. Every check schemathesis has
runs but one: no 5xx, every status, content type, header and body as documented, invalid requests
refused, the key enforced. Two are left out, because they assume what this API does not promise:

* ``positive_data_acceptance`` ("a request valid by the schema is accepted"): the document can say what
  each field of a scenario is, not how fields refer to each other (an outcome id must be one listed in
  /outcomes, one budget per year), so a scenario valid by the schema may rightly get a located 422;
* ``use_after_free`` ("a deleted resource is gone"): ``DELETE /v1/jobs/{id}`` *cancels* a job, and the
  job is kept, readable with status ``cancelled`` (docs/api.md): the record of what was asked and what
  became of it is never thrown away.

Before fuzzing, the tenant stores a scenario, solves it and queues a job; half the generated path
parameters are those real ids (schemathesis dictionaries), so operations on stored things are reached,
not only their 404s. The requests are counted by the service itself (``/metrics``, by status), and the
figures are written to ``out/reliability/fuzz-{ci,long}.json``.

CI runs one seed, about 1,800 requests in 15 s; ``TOTALPLACE_RELIABILITY=long`` (``make reliability``) runs seeds one
after another (each must pass) until the service has answered at least 10,000 requests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from service_testing import ROOT, TINY, add_key, api_server

from api.settings import Settings

LONG = os.environ.get("TOTALPLACE_RELIABILITY", "").lower() == "long"
EXAMPLES = 300 if LONG else 10  # per operation and phase
AT_LEAST = 10_000 if LONG else 300  # requests the service must have answered for the run to count
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# One worker: with two, schemathesis's threads parse lambdas' source at once and CPython 3.11 (before 3.11.9)
# fails with "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905), now and then.


def _config(key: str, scenario: dict, job: dict) -> str:
    return f'''
headers = {{ "X-API-Key" = "{key}" }}

[checks.positive_data_acceptance]
enabled = false
[checks.use_after_free]
enabled = false

[generation]
database = "none"

[dictionaries.scenarios]
values = ["{scenario["id"]}"]
[dictionaries.jobs]
values = ["{job["id"]}"]
[dictionaries.hashes]
values = ["{scenario["scenario_hash"]}"]

[parameters]
"path.scenario_id" = {{ dictionary = "scenarios", probability = 0.5 }}
"path.job_id" = {{ dictionary = "jobs", probability = 0.5 }}
"path.scenario_hash" = {{ dictionary = "hashes", probability = 0.5 }}
'''


def _answered(metrics: str) -> dict[str, int]:
    """Requests the service answered, by status, from its own latency histogram."""
    counts: dict[str, int] = {}
    for line in metrics.splitlines():
        if line.startswith("totalplace_http_request_duration_seconds_count{"):
            status = re.search(r'status="(\d+)"', line)
            assert status is not None, line
            counts[status.group(1)] = counts.get(status.group(1), 0) + int(float(line.rsplit(" ", 1)[1]))
    return dict(sorted(counts.items()))


def test_schemathesis_finds_no_server_error_and_no_response_off_the_document(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'tp.db'}", rate_limit_per_second=0, log_level="warning")
    headers = add_key(settings, "fuzzer")
    with api_server(settings, tmp_path / "api.log") as (base, _proc):
        client = httpx.Client(base_url=base, headers=headers, timeout=30)
        document = client.get("/openapi.json").json()
        operations = sum(1 for methods in document["paths"].values() for m in methods if m in ("get", "post", "put", "patch", "delete"))
        stored = client.post("/v1/scenarios", json={"scenario": TINY}).json()
        assert client.post(f"/v1/scenarios/{stored['id']}/solve").status_code == 200
        job = client.post(f"/v1/scenarios/{stored['id']}/solve?async=true").json()
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(headers["X-API-Key"], stored, job))
        report = tmp_path / "report.json"
        started = time.monotonic()
        runs: list[subprocess.CompletedProcess[str]] = []
        seed = int(time.time()) if LONG else 6
        while not runs or (
            runs[-1].returncode == 0 and len(runs) < 8 and sum(_answered(httpx.get(f"{base}/metrics").text).values()) < AT_LEAST
        ):
            # one run per seed, each clean, until the service has answered enough requests
            runs.append(
                subprocess.run(
                    [
                        SCHEMATHESIS,
                        "--config-file",
                        str(config),
                        "run",
                        f"{base}/openapi.json",
                        "--max-examples",
                        str(EXAMPLES),
                        "--seed",
                        str(seed + len(runs)),
                        "--workers",
                        "1",
                        "--no-color",
                        "--suppress-health-check",
                        "all",
                        "--report",
                        "json",
                        "--report-json-path",
                        str(report),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=3000 if LONG else 300,
                    cwd=tmp_path,
                )
            )
        run = runs[-1]
        seconds = time.monotonic() - started
        answered = _answered(httpx.get(f"{base}/metrics").text)
    summary = {
        "mode": "long" if LONG else "ci",
        "max_examples": EXAMPLES,
        "runs": len(runs),
        "seeds": [seed + i for i in range(len(runs))],
        "seconds": round(seconds, 1),
        "requests": sum(answered.values()),
        "server_errors": sum(n for s, n in answered.items() if s.startswith("5")),
        "by_status": answered,
        "schemathesis": [r.stdout[r.stdout.rfind("Test cases:") :].split("\n\n")[0].strip() for r in runs],
    }
    out = ROOT / "out" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fuzz-{summary['mode']}.json").write_text(json.dumps(summary, indent=1))
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert summary["server_errors"] == 0, answered
    assert summary["requests"] >= AT_LEAST, summary
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in run.stdout, run.stdout[-3000:]
    assert f"Tested: {operations}" in run.stdout  # every operation of the document (with the workbook of a result)
    assert {"200", "201", "202"} <= set(answered)  # the fuzz reached the service's successes, not only its refusals
