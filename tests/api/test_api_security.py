"""Security (issue 6): tenants kept apart on every route, keys hashed and never logged, per-key rate limits, CORS.

The isolation test walks the service's own OpenAPI document: every operation must be covered by a probe
here, so a route added later without one fails this test until someone says how it keeps tenants apart.
"""

from __future__ import annotations

import hmac
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from service_testing import TINY, add_key, api_server, client_for, slow_scenario
from sqlalchemy import text

from api.edge import auth
from api.edge.ratelimit import MemoryBuckets, RateLimiter
from api.settings import Settings
from api.store.db import Base, Database

# -- tenant isolation, route by route -------------------------------------------------------------------


def _mine(client: Any, board: dict[str, str]) -> dict[str, str]:
    """Everything one tenant owns: a stored scenario, its result, a job (queued: no worker runs it)."""
    stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=board).json()
    assert client.post(f"/v1/scenarios/{stored['id']}/solve", headers=board).status_code == 200
    job = client.post(f"/v1/scenarios/{stored['id']}/solve?async=true", headers=board)
    assert job.status_code == 202
    return {
        "scenario_id": stored["id"],
        "scenario_hash": stored["scenario_hash"],
        "job_id": job.json()["id"],
        "kind": "split",
        "other_id": stored["id"],
    }


#: (method, path template) -> how another tenant's request is made and what it must get. Every operation of the document is here.
PROBES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/solve"): {"json": {**TINY, "name": "their own"}, "status": 200},  # solving is never about another's things
    ("post", "/v1/scenarios"): {"json": {"scenario": TINY, "parent_id": "{scenario_id}"}, "status": 422, "loc": "/parent_id"},
    ("get", "/v1/scenarios"): {"status": 200, "empty": "items"},
    ("get", "/v1/scenarios/{scenario_id}"): {"status": 404},
    ("post", "/v1/scenarios/{scenario_id}/solve"): {"status": 404},
    ("post", "/v1/scenarios/{scenario_id}/analyses/{kind}"): {"json": {}, "status": 404},
    ("post", "/v1/scenarios/{scenario_id}/residents/survey"): {
        "json": {"rows": [{"respondent": "r1", "area": "E01000001", "theme": "health", "points": 1}], "min_respondents": 1},
        "status": 404,
    },
    ("get", "/v1/jobs"): {"status": 200, "empty": "items"},
    ("get", "/v1/jobs/{job_id}"): {"status": 404},
    ("delete", "/v1/jobs/{job_id}"): {"status": 404},
    ("get", "/v1/jobs/{job_id}/result"): {"status": 404},
    ("get", "/v1/results/{scenario_hash}"): {"status": 404},
    ("get", "/v1/results/{scenario_hash}/allocations.csv"): {"status": 404},
    ("get", "/v1/results/{scenario_hash}.xlsx"): {"status": 404},
    ("get", "/v1/scenarios/{scenario_id}/compare/{other_id}"): {"status": 404},
    ("get", "/healthz"): {"status": 200, "public": True},
    ("get", "/readyz"): {"status": 200, "public": True},
    ("get", "/metrics"): {"status": 200, "public": True},
}


def test_no_route_lets_a_tenant_reach_another_tenant_s_things(prod_settings: Settings) -> None:
    board, finance = add_key(prod_settings, "north-board"), add_key(prod_settings, "county-finance")
    with client_for(prod_settings) as client:
        theirs = _mine(client, board)
        spec = client.get("/openapi.json").json()
        operations = {(m, p) for p, methods in spec["paths"].items() for m in methods}
        assert operations == set(PROBES), f"routes without an isolation probe: {operations - set(PROBES)}"
        for (method, template), probe in PROBES.items():
            path = template.format(**theirs)
            where = f"{method.upper()} {template}"
            # no key, and a key of the wrong shape: 401 on every tenant route
            for key in ({}, {"X-API-Key": "tp_" + theirs["scenario_id"][3:15] + "_guess"}):
                answer = client.request(method, path, headers=key, json=_body(probe, theirs))
                assert answer.status_code == (probe["status"] if probe.get("public") else 401), where
            answer = client.request(method, path, headers=finance, json=_body(probe, theirs))
            assert answer.status_code == probe["status"], f"{where}: {answer.status_code} {answer.text[:300]}"
            if "loc" in probe:
                assert answer.json()["detail"][0]["loc"] == probe["loc"], where
            if "empty" in probe:
                assert answer.json()[probe["empty"]] == [], where
            if probe["status"] >= 400:  # answered exactly as if the thing did not exist at all
                missing = client.request(method, template.format(**NOWHERE), headers=finance, json=_body(probe, NOWHERE))
                assert (missing.status_code, _without(missing.text, NOWHERE)) == (answer.status_code, _without(answer.text, theirs)), where
            elif not probe.get("public"):
                for secret in (theirs["scenario_id"], theirs["job_id"]):
                    assert secret not in answer.text, f"{where} shows another tenant's {secret}"
        # and nothing of theirs was changed by the other tenant's attempts
        assert client.get(f"/v1/jobs/{theirs['job_id']}", headers=board).json()["status"] == "queued"
        assert client.get(f"/v1/scenarios/{theirs['scenario_id']}", headers=board).status_code == 200


NOWHERE = {
    "scenario_id": "sc_" + "0" * 32,
    "job_id": "job_" + "0" * 32,
    "scenario_hash": "0" * 64,
    "kind": "split",
    "other_id": "sc_" + "1" * 32,
}


def _without(text_: str, ids: dict[str, str]) -> str:
    for value in ids.values():
        text_ = text_.replace(value, "<id>")
    return text_


def _body(probe: dict[str, Any], theirs: dict[str, str]) -> Any:
    body = probe.get("json")
    if isinstance(body, dict) and "parent_id" in body:
        return {**body, "parent_id": body["parent_id"].format(**theirs)}
    return body


# -- keys: hashed, compared in constant time, never logged -------------------------------------------------


def test_keys_are_compared_in_constant_time_known_id_or_not(embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = add_key(embedded_settings, "board")
    key = headers["X-API-Key"]
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    db = Database(embedded_settings.database_url)
    with db.session() as session:
        assert auth.authenticate(session, key) is not None
        assert auth.authenticate(session, key[:-2] + "xx") is None  # the right id, a wrong secret
        assert auth.authenticate(session, "tp_000000000000_" + key.split("_", 2)[2]) is None  # an unknown id
    db.dispose()
    assert len(compared) == 3  # one constant-time comparison of SHA-256 digests each time, whether or not the id exists
    assert all(len(a) == len(b) == 64 and key not in (a, b) for a, b in compared)


def test_keys_are_never_logged(
    embedded_settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = embedded_settings.model_copy(update={"rate_limit_burst": 3, "rate_limit_per_second": 0.01, "log_level": "debug"})
    headers = add_key(settings, "board")
    key = headers["X-API-Key"]
    wrong = key[:-4] + "abcd"
    caplog.set_level(logging.DEBUG)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    with client_for(settings, raise_server_exceptions=False) as client:
        assert client.get("/v1/scenarios", headers=headers).status_code == 200
        assert client.get("/v1/scenarios", headers={"X-API-Key": wrong}).status_code == 401
        assert client.post("/v1/solve", json={**TINY, "horizon_years": 0}, headers=headers).status_code == 422
        monkeypatch.setattr("api.store.crud.list_jobs", broken)
        assert client.get("/v1/jobs", headers=headers).status_code == 500  # a traceback is logged: without the key
        limited = [client.get("/v1/scenarios", headers=headers).status_code for _ in range(3)]
        assert 429 in limited
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") + str(r.args) for r in caplog.records)
    assert "boom" in logged and "unhandled error" in logged  # the capture did see the service's logs
    assert key not in logged and wrong not in logged and key.split("_", 2)[2] not in logged

    # and a real server at debug level (uvicorn's own access and error logs too)
    log = tmp_path / "api.log"
    with api_server(settings, log) as (base, _proc):
        for sent in (key, wrong, key + "x" * 300):
            httpx.get(f"{base}/v1/scenarios", headers={"X-API-Key": sent})
        httpx.post(f"{base}/v1/solve", headers={"X-API-Key": key}, content=b"{not json")
    text_ = log.read_text()
    assert "GET /v1/scenarios" in text_  # the access log was written
    assert key.split("_", 2)[2] not in text_ and wrong.split("_", 2)[2] not in text_


def test_no_table_or_redis_key_holds_a_key(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"rate_limit_burst": 50})
    headers = add_key(settings, "board")
    secret = headers["X-API-Key"].split("_", 2)[2]
    with client_for(settings) as client:
        client.post("/v1/solve", json=TINY, headers={**headers, "Idempotency-Key": "k1"})
        client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers)
    db = Database(settings.database_url)
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            dump = str(conn.execute(text(f"SELECT * FROM {table.name}")).fetchall())
            assert secret not in dump, table.name
    db.dispose()
    r = redis.Redis.from_url(settings.redis_url or "")
    names = [k.decode() for k in r.scan_iter(f"{settings.cache_prefix}:*")]
    assert any(":rate:" in n for n in names)  # the rate limiter's bucket, named by the key's public id
    assert not any(secret in n or secret.encode() in (r.dump(n) or b"") for n in names)


# -- per-key rate limits ---------------------------------------------------------------------------------


def test_rate_limit_per_key_answers_429_with_retry_after(embedded_settings: Settings) -> None:
    settings = embedded_settings.model_copy(update={"rate_limit_burst": 5, "rate_limit_per_second": 0.5})
    board, finance = add_key(settings, "board"), add_key(settings, "finance")
    with client_for(settings) as client:
        answers = [client.get("/v1/scenarios", headers=board) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        refused = answers[-1]
        assert refused.headers["retry-after"] == "2" and "at most 5 at once" in refused.json()["detail"]
        assert client.get("/v1/scenarios", headers=finance).status_code == 200  # another key has its own bucket
        assert client.get("/healthz").status_code == 200  # operator endpoints are not limited
        time.sleep(int(refused.headers["retry-after"]))
        assert client.get("/v1/scenarios", headers=board).status_code == 200  # refilled at one every 2 s
        assert client.get("/v1/scenarios", headers={"X-API-Key": "nope"}).status_code == 401  # no key: no bucket to spend
        assert "totalplace_rate_limited_total 1.0" in client.get("/metrics").text


def test_rate_limit_is_shared_by_api_processes_through_redis_and_survives_its_loss(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"rate_limit_burst": 6, "rate_limit_per_second": 0.5})
    headers = add_key(settings, "board")
    with client_for(settings) as one, client_for(settings) as two:  # two apps: two processes' worth of state, one Redis
        statuses = [(one if i % 2 else two).get("/v1/jobs", headers=headers).status_code for i in range(8)]
        assert statuses == [200] * 6 + [429, 429]
        wait = int(one.get("/v1/jobs", headers=headers).headers["retry-after"])
        assert 1 <= wait <= 2
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # Redis unreachable: each process limits on its own
    with client_for(down) as client:
        statuses = [client.get("/v1/jobs", headers=headers).status_code for _ in range(8)]
        assert statuses == [200] * 6 + [429, 429]


def test_token_bucket_refills_at_the_rate_and_never_beyond_the_burst() -> None:
    now = [0.0]
    buckets = MemoryBuckets(per_second=10.0, burst=3, clock=lambda: now[0])
    assert [buckets.take("k").allowed for _ in range(4)] == [True, True, True, False]
    assert buckets.take("k").retry_after == 1  # a tenth of a second to the next token: whole seconds, at least 1
    now[0] += 0.25  # 2.5 tokens back
    assert [buckets.take("k").allowed for _ in range(3)] == [True, True, False]
    now[0] += 10.0  # would be 100, capped at 3
    assert [buckets.take("k").allowed for _ in range(4)] == [True, True, True, False]
    assert buckets.take("other").allowed  # each key its own bucket
    assert RateLimiter(0, 1).take("k").allowed and not RateLimiter(0, 1).enabled  # 0 turns it off


def test_the_default_limit_lets_a_busy_client_through(embedded_settings: Settings) -> None:
    """The defaults (20/s, 200 at once) stop a runaway loop, not a batch: 150 requests in a burst all pass."""
    assert Settings().rate_limit_per_second == 20 and Settings().rate_limit_burst == 200
    headers = add_key(embedded_settings, "batch")
    with client_for(embedded_settings) as client:
        assert {client.get("/v1/jobs", headers=headers).status_code for _ in range(150)} == {200}


# -- CORS ----------------------------------------------------------------------------------------------------


def _preflight(client: Any, origin: str) -> httpx.Response:
    return client.options(
        "/v1/solve",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key,content-type"},
    )


def test_cors_is_closed_unless_configured(embedded_settings: Settings) -> None:
    headers = add_key(embedded_settings, "board")
    with client_for(embedded_settings) as client:
        preflight = _preflight(client, "https://evil.example")
        assert "access-control-allow-origin" not in preflight.headers and preflight.status_code == 405
        simple = client.get("/v1/scenarios", headers={**headers, "Origin": "https://evil.example"})
        assert simple.status_code == 200 and not any(h.startswith("access-control-") for h in simple.headers)


def test_cors_opens_to_the_configured_origins_only(embedded_settings: Settings) -> None:
    settings = embedded_settings.model_copy(update={"cors_origins": ["https://board.example.org"]})
    headers = add_key(settings, "board")
    with client_for(settings) as client:
        allowed = _preflight(client, "https://board.example.org")
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://board.example.org"
        assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in allowed.headers  # keys travel in a header, never in cookies
        other = _preflight(client, "https://evil.example")
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
        simple = client.get("/v1/scenarios", headers={**headers, "Origin": "https://board.example.org"})
        assert simple.headers["access-control-allow-origin"] == "https://board.example.org"
        assert "x-cache" in simple.headers.get("access-control-expose-headers", "").lower()
        assert (
            "access-control-allow-origin" not in client.get("/v1/scenarios", headers={**headers, "Origin": "https://evil.example"}).headers
        )


def test_cors_setting_refuses_a_wildcard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOTALPLACE_CORS_ORIGINS", "https://a.example, https://b.example:8443")
    assert Settings().cors_origins == ["https://a.example", "https://b.example:8443"]
    for bad in ("*", "a.example", "https://a.example/"):
        monkeypatch.setenv("TOTALPLACE_CORS_ORIGINS", bad)
        with pytest.raises(ValueError, match="not an origin"):
            Settings()


def test_slow_solves_do_not_starve_other_tenants_of_answers(embedded_settings: Settings) -> None:
    """A tenant's long solve runs on a thread: another tenant's reads are answered meanwhile."""
    import threading

    board, finance = add_key(embedded_settings, "board"), add_key(embedded_settings, "finance")
    with client_for(embedded_settings) as client:
        slow = threading.Thread(target=client.post, args=("/v1/solve",), kwargs={"json": slow_scenario(3), "headers": board})
        slow.start()
        time.sleep(0.5)
        started = time.monotonic()
        assert client.get("/v1/scenarios", headers=finance).status_code == 200
        assert time.monotonic() - started < 1.0
        slow.join(60)
