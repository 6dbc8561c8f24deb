"""The cache-hit fast path of ``POST /v1/solve``: a repeat of a request already answered, served without FastAPI.

A finance system sends the same scenario again and again. The full route
parses and validates it, hashes it, checks the key in the database, runs
its dependencies and the endpoint on the thread pool: about 1 ms of CPU to
answer with text that sits in Redis. This pure ASGI middleware answers such
a repeat on the event loop with one Redis round trip (the key's rate-limit
script and the result ``GET``, pipelined), and the cached bytes as they are.

It only answers what the full route has already answered the same way, and
hands everything else to it, untouched (the body replayed):

* the body (with its ``Content-Type``) is one that the full route answered
  with 200 in this process: its SHA-256 maps to the scenario hash and solver
  key the route reported (``X-Scenario-Hash``, ``Content-Location``); a
  result is a pure function of the body and the process's settings;
* the key is in the process's key cache (``TOTALPLACE_KEY_CACHE_SECONDS``):
  the fast path never authenticates on its own;
* the rate limit allows it (else the route answers 429), the result is in
  Redis, and this process has stored that very result for this tenant
  (``StoredResults``), so ``GET /v1/results`` finds it;
* no query string, no ``Idempotency-Key``, a declared ``Content-Length`` of
  at most 1 MiB; Redis answering (an error falls back to the route, whose
  circuit breaker and fallbacks apply).

The answer is the one the route gives a hit (status, body, ``X-Cache``,
``X-Scenario-Hash``, ``Content-Location``); request ids, latency metrics
(under the route's template), the body limit and CORS still wrap it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from typing import Any

from cachetools import LRUCache
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import Context
from api.edge.auth import hash_key, key_id_of
from api.edge.ratelimit import _TAKE

log = logging.getLogger(__name__)

PATH = "/v1/solve"
MAX_BODY = 1024 * 1024
MEMO_ENTRIES = 10_000
_LOCATION = re.compile(r"^/v1/results/([0-9a-f]{64})\?solver_key=([0-9a-f]{1,32})$")


class CacheHitFastPath:
    """Answers a repeated ``POST /v1/solve`` from the cache on the event loop; hands anything else to ``app``."""

    def __init__(self, app: ASGIApp, ctx: Context, api: Any):
        import redis.asyncio
        from redis.exceptions import NoScriptError

        assert ctx.settings.redis_url is not None and ctx.keys is not None
        self.app, self.ctx = app, ctx
        # the route of POST /v1/solve, as the router set it on a request it served: the latency metric
        # labels a fast answer with the route's template
        self.route: Any = None
        api.state.fast_path = self  # closed with the app (lifespan)
        self.redis = redis.asyncio.Redis.from_url(ctx.settings.redis_url, socket_connect_timeout=1.0, socket_timeout=2.0)
        self._errors: tuple[type[BaseException], ...] = (redis.asyncio.RedisError, OSError)
        self._no_script = NoScriptError
        self._take_sha = hashlib.sha1(_TAKE.encode()).hexdigest()
        self._loaded = False
        self._plans: LRUCache[bytes, tuple[str, str]] = LRUCache(MEMO_ENTRIES)  # body digest -> (scenario hash, solver key)
        self._down_until = 0.0
        self.answered = 0  # requests answered here (the rest went to the route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == PATH and not scope.get("query_string")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if b"idempotency-key" in headers or not length.isdigit() or int(length) > MAX_BODY:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        if body is None:
            return  # the client went away mid-body: nobody to answer
        digest = hashlib.sha256(headers.get(b"content-type", b"") + b"\0" + body).digest()
        answered = await self._answer(scope, headers, digest, send)
        if not answered:
            await self.app(scope, _replay(body, receive), self._learning(digest, send))
            if self.route is None and getattr(scope.get("route"), "path", None) == PATH:
                self.route = scope["route"]

    async def _answer(self, scope: Scope, headers: dict[bytes, bytes], digest: bytes, send: Send) -> bool:
        plan = self._plans.get(digest)
        key = headers.get(b"x-api-key", b"").decode("latin-1")
        if plan is None or not key or len(key) > 200 or time.monotonic() < self._down_until:
            return False
        assert self.ctx.keys is not None
        tenant_id = self.ctx.keys.get(hash_key(key))
        if tenant_id is None:
            return False
        scenario_hash, solver = plan
        cache_key = self.ctx.cache.key(scenario_hash, solver)
        limiter = self.ctx.limiter
        try:
            if not self._loaded:
                await self.redis.script_load(_TAKE)
                self._loaded = True
            async with self.redis.pipeline(transaction=False) as pipe:
                if limiter is not None and limiter.enabled:  # the route's own limiter script, on the same bucket
                    pipe.evalsha(self._take_sha, 1, limiter.key(key_id_of(key) or ""), limiter.per_second, limiter.burst)
                pipe.get(cache_key)
                replies = await pipe.execute()
        except self._no_script:
            self._loaded = False  # Redis restarted or was flushed: load the script again next time
            return False
        except self._errors as exc:
            self._down_until = time.monotonic() + 5.0
            log.warning("fast path: Redis unavailable (%s): serving through the route", exc)
            return False
        raw = replies[-1]
        if (len(replies) == 2 and not int(replies[0][0])) or raw is None:
            return False  # over the limit (the route answers 429) or no longer cached (the route solves)
        text = raw.decode("utf-8")
        if not self.ctx.stored.known((tenant_id, scenario_hash, solver), text):
            return False  # the route stores the tenant's result first
        if self.ctx.metrics is not None:
            self.ctx.metrics.count_cache("hit")
        if self.route is not None:
            scope["route"] = self.route
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"x-cache", b"hit"),
                    (b"x-scenario-hash", scenario_hash.encode()),
                    (b"content-location", f"/v1/results/{scenario_hash}?solver_key={solver}".encode()),
                    (b"content-length", str(len(raw)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})
        self.answered += 1
        return True

    def _learning(self, digest: bytes, send: Send) -> Send:
        """``send``, noting which scenario and solver options the route answered this body with."""

        async def learn(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                found = dict(message.get("headers") or []).get(b"content-location", b"")
                match = _LOCATION.match(found.decode("latin-1"))
                if match:
                    self._plans[digest] = (match[1], match[2])
            await send(message)

        return learn

    async def close(self) -> None:
        await self.redis.aclose()


async def _read(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then whatever the client sends next (a disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
