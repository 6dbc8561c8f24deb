"""Faults under load, with the real servers (issue 6): Redis stopped and restarted, PostgreSQL restarted,
a worker SIGKILLed mid-solve, the API SIGKILLed and restarted.

Each test starts the servers it breaks: its own ``redis-server`` and (for PostgreSQL) its own cluster, on
spare ports (``fault_servers.py``), so the machine's servers and the other tests are never disturbed. The
API is a real ``totalplace serve`` process and the workers real ``totalplace worker`` processes. A
steady load (a thread issuing requests all through the fault) is kept, and every one of its answers is
judged: its status, its body, how long it took. No solver is mocked.

``TOTALPLACE_RELIABILITY=long`` repeats each fault three times in a row.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from fault_servers import Answer, Load, PostgresServer, RedisServer, served
from service_testing import ROOT, TINY, add_key, fast, free_port, kill_tree, rq_worker, slow_scenario, wait_for

from api.settings import Settings

LONG = os.environ.get("TOTALPLACE_RELIABILITY", "").lower() == "long"
ROUNDS = 3 if LONG else 1
PAUSE = 0.08  # between the load's requests: about 10 a second, well inside the default rate limit (20/s, 200 at once)


def _record(fault: str, load: Load, **figures: Any) -> None:
    """Keep the figures of one fault test in out/reliability/faults-{ci,long}.json (for docs/reliability.md)."""
    path = ROOT / "out" / "reliability" / f"faults-{'long' if LONG else 'ci'}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(path.read_text()) if path.exists() else {}
    statuses: dict[str, int] = {}
    for a in load.answers:
        statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
    kept[fault] = {
        "rounds": ROUNDS,
        "requests_under_load": len(load.answers),
        "by_status": statuses,
        "slowest_seconds": round(max(a.seconds for a in load.answers), 2),
        **figures,
    }
    path.write_text(json.dumps(kept, indent=1))


def _ended(api: httpx.Client, job_id: str, timeout: float) -> dict[str, Any]:
    """Poll the job (GET also reaps a lost one) until it has ended."""
    return wait_for(
        lambda: (j := api.get(f"/v1/jobs/{job_id}").json())["status"] in ("finished", "failed", "cancelled") and j,
        timeout,
        f"job {job_id} to end",
    )


def _judge_solves(answers: list[Answer]) -> None:
    """Every answer of a solve or read load: 200, a real result or list, never an error."""
    assert answers
    for a in answers:
        assert a.status == 200, f"{a.kind}: {a.status} {a.error or str(a.body)[:300]}"
        if a.kind.startswith("solve"):
            assert a.body["status"] == "optimal" and a.body["allocations"], a.body.get("message")
        else:
            assert "items" in a.body


def _solve_or_list(client: httpx.Client, i: int) -> tuple[str, httpx.Response]:
    if i % 3 == 0:
        return "solve-new", client.post("/v1/solve", json={**TINY, "name": f"load {i}"})  # a new scenario: never cached
    if i % 3 == 1:
        return "solve-same", client.post("/v1/solve", json=TINY)  # the same scenario: cached whenever Redis is there
    return "list", client.get("/v1/scenarios?limit=5")


# -- Redis --------------------------------------------------------------------------------------------------


def test_redis_stopped_and_started_under_load_loses_no_job(prod_settings: Settings, tmp_path: Path) -> None:
    """Redis stops (cleanly, its append-only file kept) while requests keep coming, then starts again; later it
    is killed and comes back empty. Requests are answered throughout, uncached while it is away; caching resumes;
    jobs accepted before each stop are all finished (the second time, re-queued by the reaper)."""
    own = RedisServer(tmp_path / "redis")
    own.start()
    settings = prod_settings.model_copy(update={"redis_url": own.url})
    headers = add_key(settings, "board")
    try:
        with served(settings, tmp_path / "api.log") as (base, _api):
            api = httpx.Client(base_url=base, headers=headers, timeout=30)
            stored = api.post("/v1/scenarios", json={"scenario": TINY}).json()
            loads: list[Load] = []
            for round_ in range(ROUNDS):
                accepted = [api.post(f"/v1/scenarios/{stored['id']}/solve?async=true") for _ in range(4)]  # no worker yet: they wait
                assert {a.status_code for a in accepted} == {202}
                with Load(base, headers, _solve_or_list, pause=PAUSE) as load:
                    time.sleep(1.5)
                    load.mark("stop")
                    own.stop()  # SIGTERM: a clean shutdown, as `docker compose restart redis`
                    load.mark("stopped")
                    time.sleep(0.5)
                    refused = api.post(f"/v1/scenarios/{stored['id']}/solve?async=true")  # a job cannot be queued now
                    ready = api.get("/readyz")
                    time.sleep(3.0)
                    load.mark("restart")
                    own.start()
                    time.sleep(6.5)  # past the cache's 5 s circuit breaker
                    load.mark("resumed")
                    time.sleep(2.5)
                _judge_solves(load.answers)
                loads.append(load)
                outage = load.between("stopped", "restart")
                assert len(outage) >= 10 and all(a.headers["x-cache"] == "miss" for a in outage if a.kind.startswith("solve"))
                assert any(a.headers["x-cache"] == "hit" for a in load.between("resumed", "end") if a.kind == "solve-same"), (
                    "caching resumed"
                )
                assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0 and "Redis" in refused.json()["detail"]
                assert ready.status_code == 200 and ready.json()["status"] == "degraded" and not ready.json()["redis"]["up"]
                listed = api.get("/v1/jobs?limit=500").json()["items"]
                assert len(listed) == 4 * (round_ + 1)  # the refused request left no job behind
                with rq_worker(settings, tmp_path / "worker.log"):
                    for answer in accepted:
                        done = _ended(api, answer.json()["id"], 30)
                        assert done["status"] == "finished" and done["attempts"] == 1, done
                        assert api.get(done["result_url"]).json()["status"] == "optimal"

            # Redis killed and back empty (no persistence, a new machine): the queue forgot the jobs; the store did not
            lost = [api.post(f"/v1/scenarios/{stored['id']}/solve?async=true").json()["id"] for _ in range(3)]
            own.stop(signal.SIGKILL)
            own.forget_everything()
            own.start()
            time.sleep(10.5)  # past the reaper's grace for a job between INSERT and enqueue
            for job_id in lost:
                job = api.get(f"/v1/jobs/{job_id}").json()  # the reaper looks: its queue entry is gone
                assert job["status"] == "queued" and job["attempts"] == 2 and "the queue lost it" in job["error"], job
            with rq_worker(settings, tmp_path / "worker.log"):
                for job_id in lost:
                    done = _ended(api, job_id, 30)
                    assert done["status"] == "finished" and done["attempts"] == 2, done
            merged = Load(base, headers, _solve_or_list)
            merged.answers = [a for load in loads for a in load.answers]
            _record(
                "redis stopped and restarted",
                merged,
                jobs_accepted_before_the_stop=4 * ROUNDS,
                jobs_finished=4 * ROUNDS,
                answered_uncached_during_outage=sum(len(load.between("stopped", "restart")) for load in loads),
                jobs_lost_with_redis_data=len(lost),
                jobs_requeued_and_finished=len(lost),
            )
    finally:
        own.stop(signal.SIGKILL)


# -- PostgreSQL ------------------------------------------------------------------------------------------------


def test_postgres_restarted_under_load_loses_nothing_and_answers_503_meanwhile(tmp_path: Path) -> None:
    """PostgreSQL crashes (immediate shutdown: recovery from the WAL) while scenarios are being stored and read.
    Meanwhile every request gets a prompt 503 with Retry-After, never a 500 or a hang; afterwards every scenario
    that was acknowledged (201) and every key is there, and the job that was running is finished or failed with a reason."""
    pg = PostgresServer()
    own_redis = RedisServer(tmp_path / "redis")
    try:
        pg.start()
        own_redis.start()
        settings = Settings(
            database_url=pg.create_database("totalplace"), redis_url=own_redis.url, db_timeout_seconds=2.0, **fast(job_max_attempts=3)
        )
        board, finance = add_key(settings, "board"), add_key(settings, "finance")
        with served(settings, tmp_path / "api.log") as (base, _api), rq_worker(settings, tmp_path / "worker.log"):
            api = httpx.Client(base_url=base, headers=board, timeout=30)
            before = [api.post("/v1/scenarios", json={"scenario": {**TINY, "name": f"before {i}"}}).json() for i in range(3)]

            def store_or_read(client: httpx.Client, i: int) -> tuple[str, httpx.Response]:
                if i % 2 == 0:
                    return "store", client.post(
                        "/v1/scenarios", json={"scenario": {**TINY, "name": f"load {i}"}}, headers={"Idempotency-Key": str(uuid.uuid4())}
                    )
                return "list", client.get("/v1/scenarios?limit=5")

            acknowledged: list[dict[str, Any]] = []
            loads: list[Load] = []
            jobs_done: list[str] = []
            for round_ in range(ROUNDS):
                slow = api.post("/v1/scenarios", json={"scenario": slow_scenario(4 + round_)}).json()  # a limit of its own: never cached
                job = api.post(f"/v1/scenarios/{slow['id']}/solve").json()  # large: a job, running through the outage
                with Load(base, board, store_or_read, pause=PAUSE) as load:
                    time.sleep(1.5)
                    load.mark("stop")
                    pg.stop(signal.SIGQUIT)  # immediate: the server dies, as on a crash
                    time.sleep(4.0)
                    load.mark("restart")
                    pg.start()
                    time.sleep(2.0)
                    load.mark("recovered")
                    time.sleep(2.0)
                assert not [a for a in load.answers if a.status is None], "a request got no answer"
                for a in load.answers:
                    assert a.status in (200, 201, 503), f"{a.kind}: {a.status} {str(a.body)[:300]}"
                    assert a.seconds < 8, f"{a.kind} took {a.seconds:.1f} s: a hang, not an answer"
                    if a.status == 503:
                        assert "database is unavailable" in a.body["detail"] and int(a.headers["retry-after"]) > 0
                outage = load.between("stop", "restart")
                assert sum(a.status == 503 for a in outage) >= 5, [a.status for a in outage]
                assert all(a.status in (200, 201) for a in load.between("recovered", "end")), "answers resumed"
                acknowledged += [a.body for a in load.answers if a.status == 201]
                done = _ended(api, job["id"], 90)
                assert done["status"] == "finished" or (done["status"] == "failed" and done["error"]), done
                loads.append(load)
                jobs_done.append(f"{done['status']} after {done['attempts']} attempt(s)")

            for stored in before + acknowledged:  # nothing acknowledged was lost
                again = api.get(f"/v1/scenarios/{stored['id']}")
                assert again.status_code == 200 and again.json()["scenario_hash"] == stored["scenario_hash"]
            assert api.get("/v1/scenarios?limit=1").json()["total"] >= len(before) + len(acknowledged) + 1
            assert httpx.get(f"{base}/v1/jobs", headers=finance).status_code == 200  # every key still works
            merged = Load(base, board, store_or_read)
            merged.answers = [a for load in loads for a in load.answers]
            _record(
                "postgresql crashed and restarted",
                merged,
                scenarios_acknowledged=len(before) + len(acknowledged),
                scenarios_found_after=len(before) + len(acknowledged),
                keys_working_after=2,
                running_job=jobs_done,
            )
    finally:
        pg.remove()
        own_redis.stop(signal.SIGKILL)


# -- a worker killed mid-solve ------------------------------------------------------------------------------


def test_a_worker_sigkilled_mid_solve_under_load_has_its_job_retried(prod_settings: Settings, tmp_path: Path) -> None:
    own = RedisServer(tmp_path / "redis")
    own.start()
    settings = prod_settings.model_copy(update={"redis_url": own.url, "job_max_attempts": 2})
    headers = add_key(settings, "board")
    log = tmp_path / "worker.log"
    try:
        with served(settings, tmp_path / "api.log") as (base, _api):
            api = httpx.Client(base_url=base, headers=headers, timeout=30)
            with Load(base, headers, _solve_or_list, pause=PAUSE) as load:
                for round_ in range(ROUNDS):
                    slow = api.post("/v1/scenarios", json={"scenario": slow_scenario(4 + round_)}).json()  # never cached
                    with rq_worker(settings, log) as worker:
                        job_id = api.post(f"/v1/scenarios/{slow['id']}/solve").json()["id"]
                        wait_for(lambda j=job_id: api.get(f"/v1/jobs/{j}").json()["stage"] == "solving", 30, "the job to be solving")
                        time.sleep(0.5)
                        kill_tree(worker)  # the worker and its work horse, mid-solve
                    retried = wait_for(
                        lambda k=job_id: (j := api.get(f"/v1/jobs/{k}").json())["attempts"] == 2 and j, 20, "the reaper to retry the job"
                    )
                    assert retried["status"] in ("queued", "running") and "attempt 1 of 2 was lost" in retried["error"]
                    with rq_worker(settings, log):
                        done = _ended(api, job_id, 60)
                    assert done["status"] == "finished" and done["attempts"] == 2, done
                    assert api.get(done["result_url"]).json()["status"] in ("optimal", "feasible")
            _judge_solves(load.answers)
            _record("worker SIGKILLed mid-solve", load, jobs_killed=ROUNDS, jobs_retried_and_finished=ROUNDS)
    finally:
        own.stop(signal.SIGKILL)


# -- the API killed and restarted ----------------------------------------------------------------------------


def test_the_api_sigkilled_and_restarted_under_load_keeps_jobs_and_scenarios(prod_settings: Settings, tmp_path: Path) -> None:
    own = RedisServer(tmp_path / "redis")
    own.start()
    settings = prod_settings.model_copy(update={"redis_url": own.url})
    headers = add_key(settings, "board")
    port = free_port()
    log = tmp_path / "api.log"

    def store_and_queue(client: httpx.Client, i: int) -> tuple[str, httpx.Response]:
        if i % 2 == 0:
            return "store", client.post("/v1/scenarios", json={"scenario": {**TINY, "name": f"load {i}"}})
        listed = client.get("/v1/scenarios?limit=1").json()["items"]
        return "queue", client.post(f"/v1/scenarios/{listed[0]['id']}/solve?async=true")

    try:
        with rq_worker(settings, tmp_path / "worker.log"), contextlib.ExitStack() as servers:
            base, api_proc = servers.enter_context(served(settings, log, port))
            api = httpx.Client(base_url=base, headers=headers, timeout=30)
            api.post("/v1/scenarios", json={"scenario": TINY}).raise_for_status()
            with Load(base, headers, store_and_queue, pause=PAUSE, timeout=10) as load:
                for round_ in range(ROUNDS):
                    time.sleep(2.0)
                    load.mark(f"kill {round_}")
                    kill_tree(api_proc)  # the API process dies mid-load, with whatever it was doing
                    time.sleep(1.0)
                    _, api_proc = servers.enter_context(served(settings, log, port))  # restarted on the same port
                    load.mark(f"up {round_}")
                    time.sleep(3.0)
            for a in load.answers:  # a request in flight when it died, or sent while it was down: no answer; otherwise success
                down = any(a.at + a.seconds >= load.marks[f"kill {r}"] and a.at < load.marks[f"up {r}"] for r in range(ROUNDS))
                assert a.status in (200, 201, 202) or (down and a.status is None), f"{a.kind}: {a.status} {a.error or str(a.body)[:200]}"
            assert any(a.status is None for a in load.answers), "the load saw the API go down"
            stored = [a.body for a in load.answers if a.status == 201]
            queued = [a.body for a in load.answers if a.status == 202]
            assert len(stored) >= 5 and len(queued) >= 5
            for scenario in stored:  # every scenario acknowledged before or after a crash is there
                assert api.get(f"/v1/scenarios/{scenario['id']}").json()["scenario_hash"] == scenario["scenario_hash"]
            for job in queued:  # and every job accepted was run
                done = _ended(api, job["id"], 60)
                assert done["status"] == "finished", done
            _record(
                "API SIGKILLed and restarted",
                load,
                scenarios_acknowledged=len(stored),
                scenarios_found_after=len(stored),
                jobs_accepted=len(queued),
                jobs_finished=len(queued),
            )
    finally:
        own.stop(signal.SIGKILL)
