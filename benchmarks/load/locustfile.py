"""Who calls the service, and how: the user classes of the load test (run by ``python -m benchmarks.load``).

* ``FinanceSystem``: a ledger integration. It sends the same scenario to
  ``POST /v1/solve`` again and again (after its first call, every answer must
  come from the cache: ``X-Cache: hit``) and reads its stored result back.
* ``FinanceHits``: the same cache-hit request alone, paced per user, for the
  phase that measures the cache path's throughput and tail.
* ``PartnershipBoard``: stores a worked borough scenario, then keeps
  revising it (a new version with ``parent_id`` and a changed budget),
  solving each version (now, or as an RQ job it polls), and reading the
  result and the stored version back.
* ``BoroughAnalyst``: cold solves of a 300-LSOA borough (``benchmarks.generate``'s
  borough scale), each with a budget no request had before, so that each is a
  cache miss and a real solve.

Every request checks the answer's body (status field, the objective a finite
number, ids and hashes echoed), not only its status code, and is marked
failed otherwise. The run's settings come from the JSON file named by
``TOTALPLACE_LOAD_CONFIG`` (written by ``__main__``).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import random
from typing import Any

from locust import FastHttpUser, between, constant_throughput, task

CONFIG: dict[str, Any] = json.loads(open(os.environ["TOTALPLACE_LOAD_CONFIG"]).read()) if "TOTALPLACE_LOAD_CONFIG" in os.environ else {}
SOLVED = ("optimal", "feasible")
FIXED: dict[str, int] = CONFIG.get("users", {})  # users of each class in the mixed phase
_serial = itertools.count()
_salt = random.SystemRandom()


def _load(path: str) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)  # type: ignore[no-any-return]


def _pick_key(role: str) -> str:
    """Each simulated client takes the next key of its role: clients of one tenant share its key, as real ones do."""
    keys = CONFIG["keys"][role]
    return keys[next(_serial) % len(keys)]  # type: ignore[no-any-return]


def result_problem(r: Any, expected_hash: str | None = None) -> str | None:
    """What is wrong with a result answer (None when it is a solved result that echoes its hash)."""
    if r.status_code != 200:
        return f"HTTP {r.status_code}: {r.text[:200] if r.text else ''}"
    try:
        body = r.json()
    except ValueError:
        return "the body is not JSON"
    if body.get("status") not in SOLVED:
        return f"status {body.get('status')!r}, not solved"
    objective = body.get("objective")
    if not isinstance(objective, int | float) or isinstance(objective, bool) or not math.isfinite(objective):
        return f"objective {objective!r} is not a number"
    if expected_hash is not None and body.get("scenario_hash") != expected_hash:
        return "the result is for another scenario"
    if r.headers.get("x-scenario-hash") not in (None, body.get("scenario_hash")):
        return "X-Scenario-Hash does not match the body"
    return None


def _json(r: Any) -> dict[str, Any]:
    """The answer's JSON object, or {} when it has none."""
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _with_budget(doc: dict[str, Any], pool: int, year: int, add: float) -> dict[str, Any]:
    """A copy of ``doc`` with one pool's budget of one year changed: a new scenario, so a new hash."""
    out = {**doc, "pools": copy.deepcopy(doc["pools"])}  # only the pools change: no need to copy 300 areas
    budget = out["pools"][pool]["budget"]
    if not isinstance(budget, list):
        budget = [budget] * out["horizon_years"]
    budget = list(budget)
    budget[year] = round(float(budget[year]) + add, 2)
    out["pools"][pool]["budget"] = budget
    return out


class _Client(FastHttpUser):
    abstract = True
    role = ""
    network_timeout = 120.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.headers = {"X-API-Key": _pick_key(self.role), "content-type": "application/json"}

    def read_result(self, digest: str, name: str = "read result") -> None:
        with self.client.get(f"/v1/results/{digest}", headers=self.headers, name=name, catch_response=True) as r:
            problem = result_problem(r, digest)
            r.failure(problem) if problem else r.success()


class _Ledger(_Client):
    """A finance system's ledger scenario, sent unchanged: after the first call every answer must come from the cache."""

    abstract = True
    role = "finance"

    def on_start(self) -> None:
        super().on_start()
        paths = CONFIG["finance_scenarios"]
        with open(paths[next(_serial) % len(paths)], "rb") as f:
            self.body = f.read()
        self.digest: str | None = None
        # the first call may solve (or find another tenant's identical solve): not a cache hit, named apart
        with self.client.post("/v1/solve", data=self.body, headers=self.headers, name="first solve (finance)", catch_response=True) as r:
            problem = result_problem(r)
            if problem is None:
                self.digest = r.json()["scenario_hash"]
                r.success()
            else:
                r.failure(problem)

    def hit(self) -> None:
        with self.client.post(
            "/v1/solve", data=self.body, headers=self.headers, name="cache hit (POST /v1/solve)", catch_response=True
        ) as r:
            problem = result_problem(r, self.digest)
            if problem is None and r.headers.get("x-cache") != "hit":
                problem = f"X-Cache {r.headers.get('x-cache')!r}: an identical request was solved again"
            r.failure(problem) if problem else r.success()


class FinanceSystem(_Ledger):
    """A finance system: the same scenario to ``POST /v1/solve`` (a cache hit after the first) and its result read back."""

    fixed_count = FIXED.get("FinanceSystem", 0)
    wait_time = constant_throughput(float(CONFIG.get("finance_rate", 10.0)))

    @task(8)
    def cache_hit(self) -> None:
        self.hit()

    @task(2)
    def read_back(self) -> None:
        if self.digest is not None:
            self.read_result(self.digest)


class FinanceHits(_Ledger):
    """Only the cache-hit request, paced per user: the phase that measures the cache path."""

    wait_time = constant_throughput(float(CONFIG.get("hit_rate", 25.0)))

    @task
    def cache_hit(self) -> None:
        self.hit()


class PartnershipBoard(_Client):
    """A board: revises its scenario (a new version), solves each version, reads results and versions back."""

    role = "boards"
    fixed_count = FIXED.get("PartnershipBoard", 0)
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        super().on_start()
        paths = CONFIG["board_scenarios"]
        self.base = _load(paths[next(_serial) % len(paths)])
        self.current = self.store(self.base, None, "create scenario")
        self.digest: str | None = None

    def store(self, doc: dict[str, Any], parent: str | None, name: str) -> str | None:
        body = {"scenario": doc, "parent_id": parent}
        with self.client.post("/v1/scenarios", json=body, headers=self.headers, name=name, catch_response=True) as r:
            out = _json(r)
            problem = None
            if r.status_code != 201:
                problem = f"HTTP {r.status_code}: {(r.text or '')[:200]}"
            elif not str(out.get("id", "")).startswith("sc_") or len(str(out.get("scenario_hash", ""))) != 64:
                problem = f"no id or scenario hash in {out!r:.200}"
            elif out.get("parent_id") != parent:
                problem = "parent_id not echoed"
            elif r.headers.get("location") != f"/v1/scenarios/{out['id']}":
                problem = "Location does not name the new version"
            if problem:
                r.failure(problem)
                return None
            r.success()
            return str(out["id"])

    @task(3)
    def revise_and_solve(self) -> None:
        doc = _with_budget(self.base, random.randrange(len(self.base["pools"])), 0, _salt.randrange(1, 10**7) / 100)
        version = self.store(doc, self.current, "new version")
        if version is None:
            return
        self.current = version
        if random.random() < 0.3:
            self.solve_as_job(version)
            return
        with self.client.post(
            f"/v1/scenarios/{version}/solve", headers=self.headers, name="solve stored scenario", catch_response=True
        ) as r:
            problem = result_problem(r)
            if problem is None:
                self.digest = r.json()["scenario_hash"]
            r.failure(problem) if problem else r.success()

    def solve_as_job(self, version: str) -> None:
        with self.client.post(
            f"/v1/scenarios/{version}/solve?async=true", headers=self.headers, name="solve as job (202)", catch_response=True
        ) as r:
            job = _json(r)
            if (
                r.status_code != 202
                or not str(job.get("id", "")).startswith("job_")
                or job.get("status") not in ("queued", "running", "finished")
            ):
                r.failure(f"HTTP {r.status_code}: no queued job in {(r.text or '')[:200]}")
                return
            r.success()
        for _ in range(300):
            with self.client.get(f"/v1/jobs/{job['id']}", headers=self.headers, name="job status", catch_response=True) as r:
                state = _json(r)
                if r.status_code != 200 or state.get("id") != job["id"]:
                    r.failure(f"HTTP {r.status_code}: {(r.text or '')[:200]}")
                    return
                if state.get("status") in ("failed", "cancelled"):
                    r.failure(f"job {state.get('status')}: {state.get('error')}")
                    return
                r.success()
            if state.get("status") == "finished":
                self.digest = str(state["result_url"]).split("/")[-1].split("?")[0]
                self.read_result(self.digest, "read result (job)")
                return
            self.wait_seconds(0.1)
        self.environment.events.request.fire(
            request_type="JOB",
            name="job status",
            response_time=0,
            response_length=0,
            exception=RuntimeError("job not finished in 300 polls"),
            context={},
        )

    def wait_seconds(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)

    @task(2)
    def read_back(self) -> None:
        if self.digest is not None:
            self.read_result(self.digest)
        if self.current is not None:
            with self.client.get(f"/v1/scenarios/{self.current}", headers=self.headers, name="read scenario", catch_response=True) as r:
                body = _json(r)
                ok = body.get("id") == self.current and isinstance(body.get("scenario"), dict) and body["scenario"].get("areas")
                r.success() if ok else r.failure(f"HTTP {r.status_code}: not the stored version")


class BoroughAnalyst(_Client):
    """Cold solves of a 300-LSOA borough, each with a budget never sent before (a cache miss, a real solve)."""

    role = "analysts"
    fixed_count = FIXED.get("BoroughAnalyst", 0)
    wait_time = between(float(CONFIG.get("cold_wait", 1.0)), float(CONFIG.get("cold_wait", 1.0)) * 2)

    def on_start(self) -> None:
        super().on_start()
        self.borough = _load(CONFIG["borough_scenario"])

    @task
    def cold_solve(self) -> None:
        doc = _with_budget(self.borough, 0, 0, _salt.randrange(1, 10**9) / 100)
        with self.client.post(
            "/v1/solve", json=doc, headers=self.headers, name="cold borough solve (POST /v1/solve)", catch_response=True
        ) as r:
            problem = result_problem(r)
            if problem is None and r.headers.get("x-cache") != "miss":
                problem = f"X-Cache {r.headers.get('x-cache')!r}: a scenario never sent before was not solved"
            r.failure(problem) if problem else r.success()
