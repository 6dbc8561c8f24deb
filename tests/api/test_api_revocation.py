"""Revoked keys on the default settings: every API process caches valid keys, yet drops a revoked one within a second.

Real uvicorn processes, PostgreSQL and Redis; a second, private ``redis-server``
where a test kills Redis. Timings are bounds the design promises (a Redis
message, else ``key_recheck_seconds``), not speed measurements.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from service_testing import add_key, api_server, client_for, free_port, unavailable, wait_for

from api.edge.auth import key_id_of
from api.edge.revocation import announce
from api.settings import Settings
from api.store import crud
from api.store.db import Database


def _revoke_in_store(settings: Settings, key: str) -> float:
    """Revoke ``key`` in the store only (no announcement); the monotonic time of the commit."""
    db = Database(settings.database_url)
    with db.session() as session:
        assert crud.revoke_key(session, key_id_of(key) or "")
        session.commit()
    done = time.monotonic()
    db.dispose()
    return done


def _poll(base: str, headers: dict[str, str], since: float, until: float) -> list[tuple[float, int]]:
    """GET /v1/scenarios until ``until`` s after ``since``; (seconds after ``since`` the request was sent, status) of each."""
    seen = []
    with httpx.Client(base_url=base, timeout=5) as client:
        while (sent := time.monotonic() - since) < until:
            seen.append((sent, client.get("/v1/scenarios", headers=headers).status_code))
            time.sleep(0.02)
    return seen


def test_a_key_revoked_through_one_api_process_is_refused_by_another_within_a_second(prod_settings: Settings, tmp_path: Path) -> None:
    """Defaults (keys cached 60 s, re-checked after 1 s unheard): the revocation message, not a timer, refuses the key."""
    assert prod_settings.key_cache_seconds == 60 and prod_settings.key_recheck_seconds == 1  # what the test is about
    ledger, other = add_key(prod_settings, "ledger"), add_key(prod_settings, "other")
    with api_server(prod_settings, tmp_path / "a.log") as (a, _), api_server(prod_settings, tmp_path / "b.log") as (b, _):
        for base in (a, b):
            for headers in (ledger, other):
                assert httpx.get(f"{base}/v1/scenarios", headers=headers).status_code == 200
        # a key revoked behind the service's back (no announcement) is still trusted from the cache: the cache is on
        quiet = _revoke_in_store(prod_settings, other["X-API-Key"])
        assert all(status == 200 for _, status in _poll(b, other, quiet, 1.6))

        revoked = _revoke_in_store(prod_settings, ledger["X-API-Key"])
        assert announce(prod_settings.redis_url, prod_settings.cache_prefix, key_id_of(ledger["X-API-Key"]) or "") == 2  # A and B
        seen = _poll(b, ledger, revoked, 1.5)
        refused = [sent for sent, status in seen if status == 401]
        assert refused and refused[0] < 1.0, seen
        assert all(status == 401 for sent, status in seen if sent >= refused[0]), seen
        assert httpx.get(f"{a}/v1/scenarios", headers=ledger).status_code == 401


@contextmanager
def private_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway ``redis-server`` (no persistence) that a test may kill; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server", "not installed")
    assert binary is not None
    port = free_port()
    with (tmp_path / "redis.log").open("ab") as out:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], stdout=out, stderr=subprocess.STDOUT
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        wait_for(lambda: _pings(redis, url), 10, "the private Redis to start")
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _pings(redis: object, url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001
        return False


def test_with_redis_gone_a_revoked_key_is_refused_within_the_recheck_time(prod_settings: Settings, tmp_path: Path) -> None:
    """Redis killed under a running API: no message can come, so the process re-checks its keys after 1 s."""
    with private_redis(tmp_path) as (url, redis_proc):
        settings = prod_settings.model_copy(update={"redis_url": url})
        ledger = add_key(settings, "ledger")
        with api_server(settings, tmp_path / "api.log") as (base, _):
            assert httpx.get(f"{base}/v1/scenarios", headers=ledger).status_code == 200
            redis_proc.kill()
            redis_proc.wait(10)
            revoked = _revoke_in_store(settings, ledger["X-API-Key"])
            seen = _poll(base, ledger, revoked, 2.0)
    late = [(sent, status) for sent, status in seen if sent >= settings.key_recheck_seconds]
    assert late and all(status == 401 for _, status in late), seen


def test_without_redis_a_revoked_key_is_refused_within_the_recheck_time(embedded_settings: Settings) -> None:
    """Embedded mode hears no announcements: a cached key is trusted only ``key_recheck_seconds`` after its check."""
    headers = add_key(embedded_settings, "ledger")
    with client_for(embedded_settings) as client:
        assert client.app.state.ctx.keys is not None  # type: ignore[attr-defined]  # the cache is on by default
        assert client.get("/v1/scenarios", headers=headers).status_code == 200
        revoked = _revoke_in_store(embedded_settings, headers["X-API-Key"])
        seen = []
        while (sent := time.monotonic() - revoked) < 1.6:
            seen.append((sent, client.get("/v1/scenarios", headers=headers).status_code))
            time.sleep(0.02)
    assert all(status == 401 for sent, status in seen if sent >= embedded_settings.key_recheck_seconds), seen


@pytest.mark.parametrize("heard", [True, False])
def test_key_cache_trusts_past_the_recheck_time_only_while_it_hears_redis(heard: bool) -> None:
    """Pure logic of KeyCache (a fake clock): ttl 60 s, recheck 1 s; heard every 0.5 s, or silent from t = 100.5."""
    from api.edge.auth import KeyCache

    now = [100.0]
    cache = KeyCache(60.0, clock=lambda: now[0], fallback_seconds=1.0)
    cache.listening(True)
    generation = cache.generation
    cache.put("digest", "tn_a", "kid", generation)
    for _ in range(10):  # 5 s later
        now[0] += 0.5
        if heard:
            cache.heard()
    assert cache.get("digest") == ("tn_a" if heard else None)
    stale = cache.generation
    assert cache.drop_key("kid") == (1 if heard else 0)
    cache.put("digest", "tn_a", "kid", stale)  # a store check made before the revocation comes too late
    assert cache.get("digest") is None
