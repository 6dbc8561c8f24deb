"""Jobs on real RQ workers (subprocesses) and a real API process: restarts, killed workers, time limits, cancelling."""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from pathlib import Path

import httpx
import redis
from rq.job import Job
from service_testing import TINY, add_key, api_server, client_for, kill_tree, rq_worker, slow_scenario, stop, wait_for

from api.context import Context
from api.jobs import states as jobs
from api.settings import Settings
from api.store.db import JobRow, ScenarioRow, utcnow


def _ended(client, job_id: str, headers: dict, timeout: float) -> dict:
    """Poll GET /v1/jobs/{id} (which also reaps) until the job has ended."""
    return wait_for(
        lambda: (j := client.get(f"/v1/jobs/{job_id}", headers=headers).json())["status"] in ("finished", "failed", "cancelled") and j,
        timeout,
        f"job {job_id} to end",
    )


def test_job_state_survives_an_api_restart_and_runs_on_a_worker(prod_settings: Settings, tmp_path: Path) -> None:
    headers = add_key(prod_settings, "board")
    log = tmp_path / "service.log"
    with api_server(prod_settings, log) as (base, proc):
        api = httpx.Client(base_url=base, headers=headers, timeout=30)
        stored = api.post("/v1/scenarios", json={"scenario": TINY}).json()
        queued = api.post(f"/v1/scenarios/{stored['id']}/solve?async=true")
        assert queued.status_code == 202 and queued.json()["status"] == "queued"
        job_id = queued.json()["id"]
        ready = api.get("/readyz").json()
        assert ready["status"] == "degraded" and ready["mode"] == "production" and not ready["workers"]["up"]
        assert ready["database"] == {"up": True, "detail": "postgresql"} and ready["redis"]["up"]
        assert "totalplace_queue_depth 1.0" in api.get("/metrics").text
        stop(proc, signal.SIGKILL)  # the API crashes with the job still queued
    with api_server(prod_settings, log) as (base, _proc):
        api = httpx.Client(base_url=base, headers=headers, timeout=30)
        assert api.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"  # state survived the restart
        with rq_worker(prod_settings, log):
            assert api.get("/readyz").json()["status"] == "ready"
            done = _ended(api, job_id, {}, 30)
            assert done["status"] == "finished" and done["progress"] == 1.0 and done["attempts"] == 1, done
            result = api.get(done["result_url"])
            assert result.status_code == 200 and result.json()["status"] == "optimal"
            csv = api.get(f"/v1/results/{stored['scenario_hash']}/allocations.csv")
            assert csv.status_code == 200 and csv.text.startswith("area,intervention,pool,year,spend,participants")


def _start_slow_job(client, headers: dict, time_limit: float) -> str:
    stored = client.post("/v1/scenarios", json={"scenario": slow_scenario(time_limit)}, headers=headers).json()
    assert stored["solves"] == "async"
    answer = client.post(f"/v1/scenarios/{stored['id']}/solve", headers=headers)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    wait_for(lambda: client.get(f"/v1/jobs/{job_id}", headers=headers).json()["stage"] == "solving", 30, "the job to start solving")
    return job_id


def test_a_worker_killed_mid_job_leaves_the_job_retried(prod_settings: Settings, tmp_path: Path) -> None:
    settings = prod_settings.model_copy(update={"job_max_attempts": 2})
    headers = add_key(settings, "board")
    log = tmp_path / "worker.log"
    with client_for(settings) as client:
        with rq_worker(settings, log) as worker:
            job_id = _start_slow_job(client, headers, 4)
            time.sleep(0.5)
            kill_tree(worker)  # the worker and its work horse die mid-solve
        retried = wait_for(
            lambda: (j := client.get(f"/v1/jobs/{job_id}", headers=headers).json())["status"] == "queued" and j,
            20,
            "the reaper to notice the lost worker",
        )
        assert retried["attempts"] == 2 and "attempt 1 of 2 was lost" in retried["error"] and "stopped before finishing" in retried["error"]
        with rq_worker(settings, log):
            done = _ended(client, job_id, headers, 60)
        assert done["status"] == "finished" and done["attempts"] == 2, done
        assert client.get(done["result_url"], headers=headers).json()["status"] in ("optimal", "feasible")


def test_a_worker_killed_on_the_last_attempt_fails_the_job_with_a_reason(prod_settings: Settings, tmp_path: Path) -> None:
    settings = prod_settings.model_copy(update={"job_max_attempts": 1})
    headers = add_key(settings, "board")
    with client_for(settings) as client:
        with rq_worker(settings, tmp_path / "worker.log") as worker:
            job_id = _start_slow_job(client, headers, 10)
            kill_tree(worker)
        failed = _ended(client, job_id, headers, 20)
        assert failed["status"] == "failed" and failed["finished_at"] is not None
        assert "stopped before finishing" in failed["error"] and "gave up after 1 attempt" in failed["error"]


def test_a_job_s_time_limit_is_enforced(prod_settings: Settings, tmp_path: Path) -> None:
    """The solver gets the job's limit (2 s, not the scenario's 60 s); past limit + grace, RQ stops the job."""
    settings = prod_settings.model_copy(update={"job_time_limit": 2.0, "job_grace_seconds": 60.0})
    headers = add_key(settings, "board")
    with client_for(settings) as client, rq_worker(settings, tmp_path / "worker.log"):
        started = time.monotonic()
        job_id = _start_slow_job(client, headers, 60)
        done = _ended(client, job_id, headers, 40)
        assert done["status"] == "finished" and time.monotonic() - started < 30  # unlimited, it takes ~50 s
        result = client.get(done["result_url"], headers=headers).json()
        assert result["status"] == "feasible" and result["solver"]["gap"] > 0  # stopped by the limit, not proven optimal

    hard = prod_settings.model_copy(update={"job_time_limit": 1.0, "job_grace_seconds": 0.0})  # RQ job_timeout 2 s
    with client_for(hard) as client, rq_worker(hard, tmp_path / "worker.log"):
        job_id = _start_slow_job(client, headers, 60)  # build + 1 s solve + duals: more than 2 s
        done = _ended(client, job_id, headers, 40)
        assert done["status"] == "failed" and "time limit" in done["error"], done


def test_cancelling_a_running_job_stops_its_work_horse(prod_settings: Settings, tmp_path: Path) -> None:
    headers = add_key(prod_settings, "board")
    with client_for(prod_settings) as client, rq_worker(prod_settings, tmp_path / "worker.log") as worker:
        job_id = _start_slow_job(client, headers, 20)
        cancelled = client.delete(f"/v1/jobs/{job_id}", headers=headers)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        connection = redis.Redis.from_url(prod_settings.redis_url or "")
        wait_for(
            lambda: Job.fetch(f"{job_id}-a1", connection=connection).get_status().value in ("stopped", "failed"),
            15,
            "RQ to stop the work horse",
        )
        assert worker.poll() is None  # the worker lives on and takes the next job at once
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
        quick = client.post(f"/v1/scenarios/{stored['id']}/solve?async=true", headers=headers).json()
        assert _ended(client, quick["id"], headers, 20)["status"] == "finished"
        assert client.get(f"/v1/jobs/{job_id}", headers=headers).json()["status"] == "cancelled"


def test_the_reaper_decides_by_heartbeat_time_limit_and_queue(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"job_max_attempts": 2, "job_time_limit": 60.0, "job_grace_seconds": 10.0})
    headers = add_key(settings, "board")
    with client_for(settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
    ctx = Context.build(settings)
    now = utcnow()
    with ctx.db.session() as session:
        scenario = session.get(ScenarioRow, stored["id"])
        tenant = scenario.tenant_id

        def job(name: str, status: str, started: float | None, beat: float | None, queued: float = 0) -> None:
            session.add(
                JobRow(
                    id=f"job_{name}",
                    tenant_id=tenant,
                    scenario_id=scenario.id,
                    scenario_hash=scenario.scenario_hash,
                    solver_key="k",
                    status=status,
                    attempts=1,
                    rq_job_id=f"job_{name}-a1",
                    queued_at=now - timedelta(seconds=queued),
                    started_at=None if started is None else now - timedelta(seconds=started),
                    heartbeat_at=None if beat is None else now - timedelta(seconds=beat),
                )
            )

        job("silent", "running", started=20, beat=10)  # lost its worker: retried
        job("overdue", "running", started=100, beat=0.1)  # alive but past 60 + 10 s: failed
        job("healthy", "running", started=5, beat=0.2)  # left alone
        job("vanished", "queued", None, None, queued=60)  # its RQ entry is gone: retried
        job("fresh", "queued", None, None, queued=1)  # may be between INSERT and enqueue: left alone
        session.commit()
    done = jobs.reap(ctx.db, ctx.queue, ctx.settings)
    assert done == {"job_silent": "retried", "job_overdue": "failed (time limit)", "job_vanished": "retried"}
    with ctx.db.session() as session:
        rows = {r.id: r for r in session.query(JobRow)}
    assert rows["job_silent"].status == "queued" and rows["job_silent"].attempts == 2
    assert rows["job_overdue"].status == "failed" and "time limit" in (rows["job_overdue"].error or "")
    assert rows["job_healthy"].status == "running" and rows["job_fresh"].status == "queued"
    connection = redis.Redis.from_url(settings.redis_url or "")
    assert Job.exists("job_silent-a2", connection=connection) and Job.exists("job_vanished-a2", connection=connection)
    assert jobs.reap(ctx.db, ctx.queue, ctx.settings) == {}  # nothing left to do: a second reaper changes nothing
    ctx.close()
