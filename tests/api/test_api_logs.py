"""Logs an operator can use: JSON lines with request and tenant ids, route, status and duration; no key, no scenario.

Real requests against the embedded service (and a real RQ queue for the request id that goes
with a job), their log captured from the one handler the service sets up (optimizer/logs.py).
"""

from __future__ import annotations

import copy
import io
import json
import logging
from typing import Any

import pytest
from service_testing import REDIS, TINY, add_key, client_for, unavailable, wait_for

from api.settings import Settings
from optimizer import logs

SECRET_NAME = "Ledbury Close confidential pilot"


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def _scenario() -> dict[str, Any]:
    doc = copy.deepcopy(TINY)
    doc["name"] = SECRET_NAME
    doc["areas"][0]["name"] = SECRET_NAME + " estate"
    return doc


def test_requests_are_logged_as_json_with_ids_and_never_a_key_or_a_scenario(embedded_settings: Settings) -> None:
    headers = add_key(embedded_settings, "logging-board")
    key = headers["X-API-Key"]
    buffer = io.StringIO()
    with client_for(embedded_settings) as client:
        logs.configure(embedded_settings.log_level, buffer)  # the service's own set-up, captured
        solved = client.post("/v1/solve", json=_scenario(), headers={**headers, "X-Request-ID": "req-solve-1"})
        bad = client.post("/v1/solve", json={**_scenario(), "horizon_years": 0}, headers=headers)
        refused = client.get("/v1/jobs", headers={"X-API-Key": key[:-4] + "zzzz"})
        stored = client.post("/v1/scenarios", json={"scenario": _scenario()}, headers=headers).json()
        job = client.post(
            f"/v1/scenarios/{stored['id']}/analyses/appraisal", json={}, headers={**headers, "X-Request-ID": "req-job-7"}
        ).json()
        wait_for(lambda: client.get(f"/v1/jobs/{job['id']}", headers=headers).json()["status"] == "finished", 120, "the job")
    assert solved.status_code == 200 and bad.status_code == 422 and refused.status_code == 401
    text = buffer.getvalue()
    assert key not in text and key[3:15] not in text, "an API key was logged"
    assert SECRET_NAME not in text, "scenario contents were logged"
    lines = _lines(buffer)
    access = [line for line in lines if line["logger"] == "api.access"]
    for line in access:
        assert {"timestamp", "level", "logger", "message", "request_id", "method", "route", "status", "duration_ms"} <= set(line), line
    first = next(line for line in access if line["request_id"] == "req-solve-1")
    assert first["route"] == "/v1/solve" and first["status"] == 200 and first["duration_ms"] > 0
    tenant = first["tenant_id"]
    assert tenant.startswith("tn_")
    assert any(line["status"] == 422 and line.get("tenant_id") == tenant for line in access)
    unauthorised = next(line for line in access if line["status"] == 401)
    assert "tenant_id" not in unauthorised and unauthorised["route"] == "/v1/jobs"
    job_lines = [line for line in lines if line.get("job_id") == job["id"]]
    assert job_lines and all(line["request_id"] == "req-job-7" and line["tenant_id"] == tenant for line in job_lines), job_lines


@pytest.mark.parametrize(("level", "seen"), [("warning", False), ("info", True)])
def test_the_configured_level_applies_to_the_service_s_own_loggers(tmp_path: Any, level: str, seen: bool) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", log_level=level)
    buffer = io.StringIO()
    with client_for(settings) as client:
        logs.configure(settings.log_level, buffer)
        assert client.get("/healthz").status_code == 200
        logging.getLogger("api.jobs.runner").info("an info line of the service")
        logging.getLogger("api").warning("a warning line of the service")
    text = buffer.getvalue()
    assert ("/healthz" in text) is seen and ("an info line of the service" in text) is seen
    assert "a warning line of the service" in text
    assert logging.getLogger("api").getEffectiveLevel() == logging.getLevelName(level.upper())


def test_a_job_on_the_rq_queue_carries_the_request_id_in_its_meta() -> None:
    import redis
    from rq.job import Job

    from api.jobs.queues import RQQueue

    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    queue = RQQueue(REDIS, "logging-test-queue", 60)
    try:
        with logs.bound(request_id="req-rq-3", tenant_id="tn_logging"):
            queue_id = queue.submit("job_logging0000000000000000000000", 1)
        meta = Job.fetch(queue_id, connection=queue.connection).meta
        assert meta["log"] == {"request_id": "req-rq-3", "tenant_id": "tn_logging"}
    finally:
        queue.queue.empty()
        queue.queue.delete(delete_jobs=True)
