"""The service on its laptop defaults (SQLite, in-process cache and jobs): the API end to end, and bad input."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys

import httpx
import pytest
from service_testing import ROOT, TINY, add_key, api_server, client_for, slow_scenario, stop, wait_for

from api.settings import Settings
from optimizer import MODEL_VERSION


def _invalid() -> dict:
    bad = copy.deepcopy(TINY)
    bad["horizon_years"] = 3  # the council's budget list has 2 figures
    bad["areas"][1]["population"] = -5
    bad["interventions"][0]["effects"][0]["outcome"] = "arrest"
    bad["colour"] = "blue"
    return bad


def test_solve_store_job_result_csv(embedded_settings: Settings) -> None:
    headers = add_key(embedded_settings, "north-board")
    with client_for(embedded_settings) as client:
        first = client.post("/v1/solve", json=TINY, headers=headers)
        assert first.status_code == 200, first.text
        result = first.json()
        assert result["status"] == "optimal" and result["model_version"] == MODEL_VERSION == 2
        assert set(result) >= {"objective", "allocations", "summary", "shadow_prices", "solver", "scenario_hash"}
        assert first.headers["x-cache"] == "miss"
        again = client.post("/v1/solve", json=TINY, headers=headers)
        assert again.headers["x-cache"] == "hit" and again.json() == result

        created = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers)
        assert created.status_code == 201, created.text
        stored = created.json()
        assert stored["scenario_hash"] == result["scenario_hash"] and stored["solves"] == "sync"
        assert created.headers["location"] == f"/v1/scenarios/{stored['id']}"
        child = copy.deepcopy(TINY)
        child["pools"][0]["budget"] = [60000, 60000]
        revised = client.post("/v1/scenarios", json={"scenario": child, "parent_id": stored["id"]}, headers=headers).json()
        assert revised["parent_id"] == stored["id"] and revised["scenario_hash"] != stored["scenario_hash"]

        listed = client.get("/v1/scenarios", headers=headers).json()
        assert listed["total"] == 2 and [s["id"] for s in listed["items"]] == [revised["id"], stored["id"]]
        detail = client.get(f"/v1/scenarios/{stored['id']}", headers=headers).json()
        assert detail["scenario"]["pools"][1]["budget"] == [20000.0, 20000.0]  # canonical: defaults filled

        sync = client.post(f"/v1/scenarios/{stored['id']}/solve", headers=headers)
        assert sync.status_code == 200 and sync.headers["x-cache"] == "hit"
        queued = client.post(f"/v1/scenarios/{revised['id']}/solve?async=true", headers=headers)
        assert queued.status_code == 202, queued.text
        assert queued.headers["location"] == f"/v1/jobs/{queued.json()['id']}"
        job = wait_for(
            lambda: (j := client.get(queued.headers["location"], headers=headers).json())["status"] == "finished" and j,
            20,
            "the job to finish",
        )
        assert job["progress"] == 1.0 and job["attempts"] == 1 and job["error"] is None
        fetched = client.get(job["result_url"], headers=headers)
        assert fetched.status_code == 200 and fetched.json()["scenario_hash"] == revised["scenario_hash"]

        csv = client.get(f"/v1/results/{result['scenario_hash']}/allocations.csv", headers=headers)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.strip().splitlines()
        assert lines[0] == "area,intervention,pool,year,spend,participants" and len(lines) == len(result["allocations"]) + 1
        assert client.get("/v1/jobs", headers=headers).json()["items"][0]["id"] == job["id"]
        assert client.delete(f"/v1/jobs/{job['id']}", headers=headers).status_code == 409  # finished: nothing to cancel

        metrics = client.get("/metrics").text
        assert 'totalplace_solves_total{mode="sync",status="optimal"} 1.0' in metrics
        assert 'totalplace_cache_requests_total{outcome="hit"}' in metrics and "totalplace_queue_depth" in metrics
        assert "totalplace_http_request_duration_seconds_bucket" in metrics
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["mode"] == "embedded" and ready["database"]["up"]
        assert client.get("/healthz").json() == {"status": "ok"}


def test_invalid_scenario_is_refused_in_the_cli_s_words_and_nothing_stored(embedded_settings: Settings, tmp_path) -> None:
    bad = _invalid()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    cli = subprocess.run([sys.executable, "-m", "api", "validate", str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert cli.returncode == 2
    cli_lines = [line.strip() for line in cli.stderr.splitlines()[1:] if line.strip()]
    headers = add_key(embedded_settings, "board")
    with client_for(embedded_settings) as client:
        inline = client.post("/v1/solve", json=bad, headers=headers)
        assert inline.status_code == 422
        problems = inline.json()["detail"]
        assert [f"{p['loc'] or '/'}: {p['msg']}" for p in problems] == cli_lines
        assert {p["loc"] for p in problems} >= {"/areas/1/population", "/colour"}
        stored = client.post("/v1/scenarios", json={"scenario": bad}, headers=headers)
        assert stored.status_code == 422
        assert [p["loc"] for p in stored.json()["detail"]] == [f"/scenario{p['loc']}" for p in problems]
        orphan = client.post("/v1/scenarios", json={"scenario": TINY, "parent_id": "sc_nope"}, headers=headers)
        assert orphan.status_code == 422 and orphan.json()["detail"][0]["loc"] == "/parent_id"
        wrong_type = client.post("/v1/scenarios", json={"scenario": TINY, "parent_id": 5}, headers=headers)
        assert wrong_type.status_code == 422 and wrong_type.json()["detail"][0]["loc"] == "/parent_id"
        query = client.get("/v1/scenarios?limit=0", headers=headers)
        assert query.status_code == 422 and query.json()["detail"][0] == {**query.json()["detail"][0], "loc": "/limit", "in": "query"}
        not_json = client.post("/v1/solve", content=b"{nope", headers={**headers, "content-type": "application/json"})
        assert not_json.status_code == 422 and "not valid JSON" in not_json.json()["detail"][0]["msg"]
        assert client.get("/v1/scenarios", headers=headers).json()["total"] == 0


def test_oversized_bodies_get_413_declared_or_streamed(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'tp.db'}", max_body_bytes=4096)
    headers = add_key(settings, "board")
    big = {"scenario": {**TINY, "name": "x" * 400, "areas": TINY["areas"] * 40}}
    with client_for(settings) as client:
        declared = client.post("/v1/scenarios", json=big, headers=headers)
        assert declared.status_code == 413 and "4,096 bytes" in declared.json()["detail"]

        def chunks():  # no Content-Length: the limit must bite while the body streams in
            text = json.dumps(big).encode()
            for i in range(0, len(text), 1000):
                yield text[i : i + 1000]

        streamed = client.post("/v1/scenarios", content=chunks(), headers={**headers, "content-type": "application/json"})
        assert streamed.status_code == 413, streamed.text
        assert client.get("/v1/scenarios", headers=headers).json()["total"] == 0


def test_no_key_bad_key_and_unhandled_errors_leak_nothing(embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = add_key(embedded_settings, "board")
    with client_for(embedded_settings, raise_server_exceptions=False) as client:
        for sent in ({}, {"X-API-Key": "tp_abc_def"}, {"X-API-Key": headers["X-API-Key"][:-1] + "x"}, {"X-API-Key": "rubbish"}):
            refused = client.get("/v1/scenarios", headers=sent)
            assert refused.status_code == 401 and "X-API-Key" in refused.json()["detail"]
        assert client.post("/v1/solve", json=TINY).status_code == 401

        def broken(*args, **kwargs):
            raise RuntimeError("secret connection string postgres://admin:hunter2@db")

        monkeypatch.setattr("api.store.crud.list_scenarios", broken)
        crashed = client.get("/v1/scenarios", headers={**headers, "X-Request-ID": "req-42"})
        assert crashed.status_code == 500
        body = crashed.text
        assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body
        assert crashed.json()["request_id"] == "req-42" and crashed.headers["x-request-id"] == "req-42"


def test_unknown_solver_is_a_located_input_error(embedded_settings: Settings) -> None:
    headers = add_key(embedded_settings, "board")
    data = {**TINY, "solver": {"name": "cbc"}, "interventions": [{**TINY["interventions"][0], "fixed_cost": 100}, TINY["interventions"][1]]}
    with client_for(embedded_settings) as client:
        answer = client.post("/v1/solve", json=data, headers=headers)
        if answer.status_code == 200:  # cbc installed: a MIP it can solve
            assert answer.json()["solver"]["name"] == "cbc"
        else:
            assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == "/solver/name"
        unknown = client.post("/v1/solve", json={**TINY, "solver": {"name": "gurobi"}}, headers=headers)
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == "/solver/name"


def test_every_endpoint_is_documented_with_an_example(embedded_settings: Settings) -> None:
    with client_for(embedded_settings) as client:
        spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    missing = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            text = json.dumps(op)
            refs = [schemas[r.rsplit("/", 1)[1]] for r in _refs(op)]
            if '"example' not in text and not any("examples" in s for s in refs):
                missing.append(f"{method.upper()} {path}")
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
    assert not missing, f"endpoints without an example: {missing}"
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_embedded_job_cancel_and_restart_resumes_jobs(tmp_path) -> None:
    """Jobs live in the database: after the API process dies mid-job, the next one picks its jobs up again."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'tp.db'}", embedded_job_threads=1, job_heartbeat_seconds=0.5, job_stale_seconds=3.0
    )
    headers = add_key(settings, "board")
    log = tmp_path / "api.log"
    with api_server(settings, log) as (base, proc):
        api = httpx.Client(base_url=base, headers=headers, timeout=30)
        slow = api.post("/v1/scenarios", json={"scenario": slow_scenario(3)}).json()
        tiny = api.post("/v1/scenarios", json={"scenario": TINY}).json()
        assert slow["solves"] == "async" and tiny["solves"] == "sync"
        first = api.post(f"/v1/scenarios/{slow['id']}/solve")  # large: a job, without asking
        assert first.status_code == 202
        first_id = first.json()["id"]
        wait_for(lambda: api.get(f"/v1/jobs/{first_id}").json()["status"] == "running", 20, "the slow job to start")
        second = api.post(f"/v1/scenarios/{tiny['id']}/solve?async=true").json()  # waits behind it: one thread
        third = api.post(f"/v1/scenarios/{tiny['id']}/solve?async=true").json()
        assert api.get(f"/v1/jobs/{second['id']}").json()["status"] == "queued"
        cancelled = api.delete(f"/v1/jobs/{third['id']}")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert api.delete(f"/v1/jobs/{third['id']}").status_code == 409
        stop(proc, signal.SIGKILL)  # the API dies mid-job
    with api_server(settings, log) as (base, _proc):
        api = httpx.Client(base_url=base, headers=headers, timeout=30)
        for job_id in (first_id, second["id"]):
            done = wait_for(
                lambda j=job_id: (x := api.get(f"/v1/jobs/{j}").json())["status"] in ("finished", "failed") and x,
                60,
                f"job {job_id} to end after the restart",
            )
            assert done["status"] == "finished", done
        assert api.get(f"/v1/jobs/{first_id}").json()["attempts"] == 2  # the attempt lost with the process was retried
        assert api.get(f"/v1/jobs/{third['id']}").json()["status"] == "cancelled"
        assert api.get(f"/v1/results/{slow['scenario_hash']}").json()["status"] in ("optimal", "feasible")


def test_docs_list_every_setting() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    missing = [name for name in Settings.model_fields if f"`TOTALPLACE_{name.upper()}`" not in text]
    assert not missing, f"docs/api.md does not list: {missing}"
