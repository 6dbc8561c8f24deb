"""The result cache on a real Redis: keys, JSON values, TTL, hits, single flight, and Redis down."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time

import httpx
import pytest
import redis
from service_testing import TINY, add_key, client_for, fast, slow_scenario

from api.app import create_app
from api.settings import Settings
from api.solving.cache import MemoryCache, RedisCache, ResultCache
from optimizer import MODEL_VERSION


def _twenty_at_once(caches: list[ResultCache], key: str, seconds: float) -> tuple[int, list[str]]:
    """20 threads spread over ``caches`` ask for ``key`` at the same instant; returns computations and outcomes."""
    computed: list[int] = []
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def compute() -> tuple[str, bool]:
        computed.append(1)
        time.sleep(seconds)  # a slow solve: the other 19 arrive while it runs
        return json.dumps({"status": "optimal"}), True

    def ask(cache: ResultCache) -> None:
        start.wait()
        outcomes.append(cache.get_or_compute(key, compute, wait=35).outcome)

    threads = [threading.Thread(target=ask, args=(caches[i % len(caches)],)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return len(computed), sorted(outcomes)


def test_single_flight_within_and_across_processes(prod_settings: Settings) -> None:
    url, prefix = prod_settings.redis_url or "", prod_settings.cache_prefix
    one = RedisCache(url, prefix, 60)
    assert _twenty_at_once([one], one.key("a" * 64, "k1"), 0.5) == (1, ["hit"] * 19 + ["miss"])
    # two caches have separate local locks, as two API processes would: only the Redis lock serialises them
    two = [RedisCache(url, prefix, 60), RedisCache(url, prefix, 60)]
    assert _twenty_at_once(two, one.key("b" * 64, "k1"), 0.5) == (1, ["hit"] * 19 + ["miss"])
    memory = MemoryCache(prefix, 60)
    assert _twenty_at_once([memory], memory.key("c" * 64, "k1"), 0.3) == (1, ["hit"] * 19 + ["miss"])
    lock_keys = list(one.client.scan_iter(f"{prefix}:v{MODEL_VERSION}:lock:*"))
    assert lock_keys == []  # every lock released


def test_the_lock_is_a_lease_renewed_while_solving_and_lapsing_when_the_solver_dies(prod_settings: Settings) -> None:
    url, prefix = prod_settings.redis_url or "", prod_settings.cache_prefix
    cache = RedisCache(url, prefix, 60, lease_seconds=0.6)
    key = cache.key("d" * 64, "k1")
    assert cache._try_lock(key, cache.lease_seconds) is not None  # a process took the lock, then died
    started = time.monotonic()
    assert cache.get_or_compute(key, lambda: ("{}", True), wait=35).outcome == "miss"
    assert time.monotonic() - started < 3  # the dead holder's lease lapsed: taken over at once, not after a long TTL
    # a live solve longer than its lease keeps the lock: its twin waits for it and gets a hit
    slow_key = cache.key("e" * 64, "k1")
    assert _twenty_at_once([cache, RedisCache(url, prefix, 60, lease_seconds=0.6)], slow_key, 2.0) == (1, ["hit"] * 19 + ["miss"])


def test_cache_keys_values_ttl_and_hits(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"cache_ttl_seconds": 321})
    headers = add_key(settings, "finance-system")
    with client_for(settings) as client:
        first = client.post("/v1/solve", json=TINY, headers=headers)
        assert first.status_code == 200 and first.headers["x-cache"] == "miss"
        digest = first.json()["scenario_hash"]
        solver_key = first.headers["content-location"].rsplit("=", 1)[1]
        key = f"{settings.cache_prefix}:v{MODEL_VERSION}:result:{digest}:{solver_key}"
        r = redis.Redis.from_url(settings.redis_url or "")
        assert json.loads(r.get(key)) == first.json()  # values are JSON, never pickle
        assert 300 < r.ttl(key) <= 321
        second = client.post("/v1/solve", json=TINY, headers=headers)
        assert second.headers["x-cache"] == "hit" and second.json() == first.json()
        # other solver options are another key: a new solve
        other = client.post("/v1/solve", json={**TINY, "solver": {"name": "highs", "time_limit": 29}}, headers=headers)
        assert other.headers["x-cache"] == "miss" and other.headers["content-location"] != first.headers["content-location"]
        metrics = client.get("/metrics").text
        assert 'totalplace_solves_total{mode="sync",status="optimal"} 2.0' in metrics
        assert 'totalplace_cache_requests_total{outcome="hit"} 1.0' in metrics
        assert 'totalplace_cache_requests_total{outcome="miss"} 2.0' in metrics


def _solves(text: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("totalplace_solves_total{"))


def test_twenty_identical_requests_at_once_solve_once(prod_settings: Settings) -> None:
    """Through two API instances (two local locks, one Redis), with the real solver."""
    headers = add_key(prod_settings, "board")
    scenario = slow_scenario(1)  # about 3 s: all 20 requests arrive while it is being solved

    async def run() -> tuple[list[httpx.Response], list[str]]:
        apps = [create_app(prod_settings), create_app(prod_settings)]
        async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
            clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://api", timeout=120) for a in apps]
            responses = await asyncio.gather(*(clients[i % 2].post("/v1/solve", json=scenario, headers=headers) for i in range(20)))
            metrics = [(await c.get("/metrics")).text for c in clients]
            for c in clients:
                await c.aclose()
        return list(responses), metrics

    # on a thread of its own: after the browser tests in the same session, Playwright's loop runs on this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        responses, metrics = pool.submit(asyncio.run, run()).result()
    assert [r.status_code for r in responses] == [200] * 20
    assert sum(_solves(m) for m in metrics) == 1
    assert sorted(r.headers["x-cache"] for r in responses) == ["hit"] * 19 + ["miss"]
    assert len({r.content for r in responses}) == 1


def test_redis_down_solves_uncached_and_refuses_jobs_cleanly(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # nothing listens there
    headers = add_key(settings, "board")
    with client_for(settings) as client:
        for _ in range(2):
            answer = client.post("/v1/solve", json=TINY, headers=headers)
            assert answer.status_code == 200 and answer.headers["x-cache"] == "miss"
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded" and not ready.json()["redis"]["up"]
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
        refused = client.post(f"/v1/scenarios/{stored['id']}/solve?async=true", headers=headers)
        assert refused.status_code == 503 and "Redis" in refused.json()["detail"]
        assert client.get("/v1/jobs", headers=headers).json()["items"] == []  # nothing kept from the refused request
        assert 'totalplace_cache_requests_total{outcome="error"}' in client.get("/metrics").text


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOTALPLACE_DATABASE_URL", "postgresql://u:p@db:5432/tp")
    monkeypatch.setenv("TOTALPLACE_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("TOTALPLACE_CACHE_TTL_SECONDS", "60")
    s = Settings()
    assert s.database_url == "postgresql+psycopg://u:p@db:5432/tp" and s.uses_rq and s.cache_ttl_seconds == 60
    monkeypatch.setenv("TOTALPLACE_REDIS_URL", "")
    assert not Settings().uses_rq
    assert fast()["job_heartbeat_seconds"] < Settings().job_heartbeat_seconds
