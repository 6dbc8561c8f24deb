"""The result cache: Redis in production, an in-process LRU when embedded; both single-flight.

Keys are named, versioned and canonical (see :func:`result_key`)::

    totalplace:v1:result:{scenario_hash}:{solver_key}    the result, as JSON text
    totalplace:v1:lock:{scenario_hash}:{solver_key}      held (SET NX PX) by the one process solving it

Single flight: concurrent requests for one key trigger one solve. Within a
process a per-key lock queues the threads; across processes the Redis lock
does, and the processes that do not hold it poll the result key until it
appears (or the lock lapses, and one of them takes over). The Redis lock is
a short lease renewed while the solve runs, so a solver killed mid-solve
blocks its twins for seconds, not for its whole time limit. Polling rather
than pub/sub keeps the protocol to three Redis commands and survives a
missed message; at 50 ms it costs a waiter at most that much latency.

If Redis is down, every operation fails fast (a 5-second circuit breaker
keeps a dead Redis from adding a connection timeout to every request) and
the request is solved uncached: the cache speeds the service up, it never
decides whether a request succeeds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from cachetools import TTLCache

from optimizer import MODEL_VERSION

log = logging.getLogger(__name__)

RESULT_KEY = "{prefix}:v{version}:result:{scenario_hash}:{solver_key}"
LOCK_KEY = "{prefix}:v{version}:lock:{scenario_hash}:{solver_key}"
POLL_SECONDS = 0.05
BREAKER_SECONDS = 5.0
#: The single-flight lock is a lease: held this long, renewed every third of it while the solve runs,
#: so the lock of a solver that died lapses within seconds and a retry does not wait for a long TTL.
LEASE_SECONDS = 10.0

Outcome = Literal["hit", "miss", "bypass"]


def solver_key(options: dict[str, Any]) -> str:
    """A short digest of the solver options that change a result (name, time limit, gap)."""
    text = json.dumps(options, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def result_key(prefix: str, scenario_hash: str, solver: str) -> str:
    """The cache key of a result: prefix, contract version, scenario hash, solver options digest."""
    return RESULT_KEY.format(prefix=prefix, version=MODEL_VERSION, scenario_hash=scenario_hash, solver_key=solver)


class CacheUnavailable(Exception):
    """The cache's server cannot be reached; callers carry on uncached."""


@dataclass(frozen=True)
class Lookup:
    """A value and how it was obtained: ``hit`` (from the cache), ``miss`` (computed), ``bypass`` (cache down)."""

    text: str
    outcome: Outcome


class _KeyLocks:
    """One lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, list[Any]] = {}  # key -> [lock, users]

    @contextmanager
    def hold(self, key: str, timeout: float) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        acquired = entry[0].acquire(timeout=timeout)  # after timeout, go ahead rather than hang
        try:
            yield
        finally:
            if acquired:
                entry[0].release()
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    self._locks.pop(key, None)


class ResultCache:
    """The interface: ``peek`` and ``get_or_compute``; subclasses provide the five primitives."""

    kind = "abstract"
    renews_locks = False

    def __init__(self, prefix: str, ttl_seconds: int, lease_seconds: float = LEASE_SECONDS):
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.lease_seconds = lease_seconds
        self._local = _KeyLocks()

    def key(self, scenario_hash: str, solver: str) -> str:
        return result_key(self.prefix, scenario_hash, solver)

    # -- primitives ----------------------------------------------------------
    def _get(self, key: str) -> str | None:
        raise NotImplementedError

    def _set(self, key: str, text: str) -> None:
        raise NotImplementedError

    def _try_lock(self, key: str, ttl: float) -> str | None:
        raise NotImplementedError

    def _release(self, key: str, token: str) -> None:
        raise NotImplementedError

    def _extend(self, key: str, token: str, ttl: float) -> bool:
        """Renew a held lock; False if it was lost."""
        return True

    def ping(self) -> bool:
        raise NotImplementedError

    # -- the interface -------------------------------------------------------
    def peek(self, key: str) -> str | None:
        """The cached value, or None when absent or when the cache is down."""
        try:
            return self._get(key)
        except CacheUnavailable:
            return None

    @contextmanager
    def _leased(self, key: str, token: str | None) -> Iterator[None]:
        """Keep renewing the lock on ``key`` from a thread while the body runs."""
        if token is None or not self.renews_locks:
            yield
            return
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.lease_seconds / 3):
                try:
                    if not self._extend(key, token, self.lease_seconds):
                        return
                except CacheUnavailable:
                    pass  # Redis is away: the lease may lapse, and a twin may solve too (never wrong, only wasteful)

        thread = threading.Thread(target=renew, name="cache-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()

    def get_or_compute(self, key: str, compute: Callable[[], tuple[str, bool]], *, wait: float) -> Lookup:
        """The cached value of ``key``, or ``compute()``'s, computed once however many ask at once.

        ``compute`` returns the JSON text and whether it may be cached; ``wait``
        is how long a request waits for another's solve before solving itself.
        """
        token: str | None = None
        with self._local.hold(key, timeout=wait):
            try:
                text = self._get(key)
                if text is not None:
                    return Lookup(text, "hit")
                token = self._try_lock(key, self.lease_seconds)
                deadline = time.monotonic() + wait
                while token is None:
                    time.sleep(POLL_SECONDS)
                    text = self._get(key)
                    if text is not None:
                        return Lookup(text, "hit")
                    token = self._try_lock(key, self.lease_seconds)  # the holder gave up or died: take over
                    if token is None and time.monotonic() > deadline:
                        log.warning("waited %.0f s for another solve of %s; solving here", wait, key)
                        break
            except CacheUnavailable:
                return Lookup(compute()[0], "bypass")
            try:
                with self._leased(key, token):
                    text, cacheable = compute()
                if cacheable:
                    try:
                        self._set(key, text)
                    except CacheUnavailable:
                        return Lookup(text, "bypass")
                return Lookup(text, "miss")
            finally:
                if token is not None:
                    try:
                        self._release(key, token)
                    except CacheUnavailable:
                        pass  # the lease lapses by itself

    def close(self) -> None:
        """Release connections."""


class MemoryCache(ResultCache):
    """The embedded cache: an LRU of JSON texts with expiry, for one process."""

    kind = "memory"

    def __init__(self, prefix: str, ttl_seconds: int, max_entries: int = 256):
        super().__init__(prefix, ttl_seconds)
        self._data: TTLCache[str, str] = TTLCache(max_entries, ttl_seconds)
        self._guard = threading.Lock()  # cachetools' caches are not thread-safe

    def _get(self, key: str) -> str | None:
        with self._guard:
            return self._data.get(key)

    def _set(self, key: str, text: str) -> None:
        with self._guard:
            self._data[key] = text

    def _try_lock(self, key: str, ttl: float) -> str | None:
        return "local"  # one process: the per-key lock already serialises

    def _release(self, key: str, token: str) -> None:
        pass

    def ping(self) -> bool:
        return True


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"


class RedisCache(ResultCache):
    """The production cache: shared by every API process and worker pointed at one Redis."""

    kind = "redis"
    renews_locks = True

    def __init__(self, url: str, prefix: str, ttl_seconds: int, lease_seconds: float = LEASE_SECONDS):
        import redis  # imported here: the embedded mode needs no Redis client

        super().__init__(prefix, ttl_seconds, lease_seconds)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=5.0, health_check_interval=30)
        self._down_until = 0.0

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        if time.monotonic() < self._down_until:
            raise CacheUnavailable("Redis was unreachable moments ago")
        try:
            yield
        except self._errors as exc:
            self._down_until = time.monotonic() + BREAKER_SECONDS
            log.warning("Redis unavailable (%s): serving uncached", exc)
            raise CacheUnavailable(str(exc)) from exc

    def _lock_key(self, key: str) -> str:
        return key.replace(":result:", ":lock:", 1)

    def _get(self, key: str) -> str | None:
        with self._guarded():
            raw = self.client.get(key)
        if raw is None:
            return None
        return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)

    def _set(self, key: str, text: str) -> None:
        with self._guarded():
            self.client.set(key, text.encode("utf-8"), ex=self.ttl_seconds)

    def _try_lock(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        with self._guarded():
            won = self.client.set(self._lock_key(key), token, nx=True, px=max(1, int(ttl * 1000)))
        return token if won else None

    def _release(self, key: str, token: str) -> None:
        with self._guarded():
            self.client.eval(_RELEASE, 1, self._lock_key(key), token)

    def _extend(self, key: str, token: str, ttl: float) -> bool:
        with self._guarded():
            return bool(self.client.eval(_EXTEND, 1, self._lock_key(key), token, max(1, int(ttl * 1000))))

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except self._errors:
            return False

    def close(self) -> None:
        self.client.close()
