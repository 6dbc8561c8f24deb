"""The cache-hit hot path: the key cache (and what it does to revocation), stored-result memo, and the fast path.

Real PostgreSQL and Redis (``prod_settings``); the solver is never mocked.
"""

from __future__ import annotations

import time

from service_testing import TINY, add_key, client_for
from sqlalchemy import select

from api.edge.auth import KeyCache, authenticate_cached, hash_key
from api.settings import Settings
from api.store.crud import StoredResults, revoke_key
from api.store.db import ApiKey, Database


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _revoke_all(settings: Settings) -> None:
    db = Database(settings.database_url)
    with db.session() as session:
        for row in session.scalars(select(ApiKey)).all():
            revoke_key(session, row.id)
        session.commit()
    db.dispose()


def test_key_cache_trusts_a_valid_key_until_its_entry_expires_and_never_caches_a_wrong_one(prod_settings: Settings) -> None:
    key = add_key(prod_settings, "ledger")["X-API-Key"]
    db = Database(prod_settings.database_url)
    clock = Clock()
    cache = KeyCache(5.0, clock=clock)
    tenant = authenticate_cached(db.session, cache, key)
    assert tenant is not None and cache.get(hash_key(key)) == tenant
    assert authenticate_cached(db.session, cache, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert authenticate_cached(db.session, cache, "tp_nope_nope") is None
    assert len(cache._entries) == 1  # only the valid key
    _revoke_all(prod_settings)
    # the documented price: within the TTL the process still trusts the revoked key ...
    clock.now += 4.9
    assert authenticate_cached(db.session, cache, key) == tenant
    # ... and once the entry expires it asks the store again, which refuses it
    clock.now += 0.2
    assert authenticate_cached(db.session, cache, key) is None
    assert authenticate_cached(db.session, None, key) is None  # no cache: the store at every call
    db.dispose()


def test_key_cache_drops_the_least_recently_used_past_its_size() -> None:
    cache = KeyCache(60.0, max_entries=2, clock=Clock())
    cache.put("a", "tn_a")
    cache.put("b", "tn_b")
    assert cache.get("a") == "tn_a"
    cache.put("c", "tn_c")
    assert cache.get("b") is None and cache.get("a") == "tn_a" and cache.get("c") == "tn_c"


def test_revoked_key_through_the_api_with_the_key_cache_on_is_refused_once_the_entry_expires(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"key_cache_seconds": 1.0})
    headers = add_key(settings, "ledger")
    with client_for(settings) as client:
        assert client.get("/v1/scenarios", headers=headers).status_code == 200
        _revoke_all(settings)
        assert client.get("/v1/scenarios", headers=headers).status_code == 200  # within the second: still trusted
        time.sleep(1.2)
        assert client.get("/v1/scenarios", headers=headers).status_code == 401


def test_stored_results_knows_only_the_very_text_it_stored() -> None:
    stored = StoredResults(max_entries=2)
    key = ("tn_a", "h" * 64, "s" * 16)
    assert not stored.known(key, "{}")
    stored.remember(key, '{"status":"optimal"}')
    assert stored.known(key, '{"status":"optimal"}')
    assert not stored.known(key, '{"status":"optimal" }')  # a re-solve's different text is stored again
    assert not stored.known(("tn_b", *key[1:]), '{"status":"optimal"}')


def test_fast_path_answers_a_repeat_exactly_as_the_route_and_hands_everything_else_to_it(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"key_cache_seconds": 30.0})
    board, finance = add_key(settings, "board"), add_key(settings, "finance")
    with client_for(settings) as client:
        fast = client.app.state.fast_path  # type: ignore[attr-defined]
        first = client.post("/v1/solve", json=TINY, headers=board)
        assert first.status_code == 200 and first.headers["x-cache"] == "miss" and fast.answered == 0
        second = client.post("/v1/solve", json=TINY, headers=board)
        assert fast.answered == 1
        assert second.status_code == 200 and second.content == first.content and second.headers["x-cache"] == "hit"
        for name in ("x-scenario-hash", "content-location", "content-type"):
            assert second.headers[name] == first.headers[name], name
        assert second.headers["x-request-id"]
        digest = second.headers["x-scenario-hash"]

        # another tenant: its first request goes through the route (which stores its result), then the fast path
        assert client.get(f"/v1/results/{digest}", headers=finance).status_code == 404
        theirs = client.post("/v1/solve", json=TINY, headers=finance)
        assert theirs.headers["x-cache"] == "hit" and fast.answered == 1
        assert client.get(f"/v1/results/{digest}", headers=finance).json()["scenario_hash"] == digest
        assert client.post("/v1/solve", json=TINY, headers=finance).content == first.content and fast.answered == 2

        # what it never answers: a wrong key, a query string, an Idempotency-Key, another content type
        assert client.post("/v1/solve", json=TINY, headers={"X-API-Key": "tp_nope_nope"}).status_code == 401
        assert client.post("/v1/solve?async=true", json=TINY, headers=board).status_code == 422
        once = {**board, "Idempotency-Key": "ledger-1"}
        assert client.post("/v1/solve", json=TINY, headers=once).headers["x-cache"] == "hit"
        assert client.post("/v1/solve", json=TINY, headers=once).headers["idempotent-replayed"] == "true"
        assert fast.answered == 2

        # the result gone from Redis: the route solves again
        client.app.state.ctx.cache.client.delete(client.app.state.ctx.cache.key(digest, first.headers["content-location"][-16:]))  # type: ignore[attr-defined]
        again = client.post("/v1/solve", json=TINY, headers=board)
        assert again.status_code == 200 and again.headers["x-cache"] == "miss" and fast.answered == 2
        metrics = client.get("/metrics").text
        assert 'route="/v1/solve"' in metrics and 'route="unmatched"' not in metrics


def test_fast_path_keeps_the_rate_limit(prod_settings: Settings) -> None:
    settings = prod_settings.model_copy(update={"key_cache_seconds": 30.0, "rate_limit_per_second": 0.01, "rate_limit_burst": 4})
    headers = add_key(settings, "ledger")
    with client_for(settings) as client:
        answers = [client.post("/v1/solve", json=TINY, headers=headers) for _ in range(6)]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429, 429]
        assert client.app.state.fast_path.answered == 3  # type: ignore[attr-defined]
        assert int(answers[-1].headers["retry-after"]) >= 1
