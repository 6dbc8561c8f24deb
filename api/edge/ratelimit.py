"""Per-key rate limiting: a token bucket per API key, in Redis when configured, else in the process.

Each key may send ``burst`` requests at once, and ``per_second`` more every
second after that. A request that finds the bucket empty gets 429 with
``Retry-After`` (whole seconds until a token is back). Buckets are keyed by
the key's public id (never the key itself)::

    {prefix}:v{version}:rate:{key id}      a Redis hash {tokens, at}, expiring once full again

In Redis the bucket is one Lua script (read, refill, take, write), so any
number of API processes share one limit per key; its clock is Redis's own
``TIME``, so API hosts with skewed clocks agree. When Redis is down the
limiter falls back to a bucket in this process (the limit then holds per API
process): a cache outage must not turn into refusing every request, nor into
no limit at all.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from optimizer import MODEL_VERSION

log = logging.getLogger(__name__)

RATE_KEY = "{prefix}:v{version}:rate:{key_id}"
#: Buckets kept by the in-process limiter (least recently used dropped first; a dropped bucket is a full one).
MEMORY_BUCKETS = 10_000

# KEYS[1] bucket; ARGV: rate (tokens/s), burst. Returns {allowed (0/1), seconds to wait (string)}.
_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, t end
tokens = math.min(burst, tokens + math.max(0, t - at) * rate)
local allowed, wait = 0, (1 - tokens) / rate
if tokens >= 1 then tokens, allowed, wait = tokens - 1, 1, 0 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(t))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Decision:
    """Whether a request may go ahead and, if not, how many whole seconds to wait."""

    allowed: bool
    retry_after: int = 0


def _decision(allowed: bool, wait: float) -> Decision:
    return Decision(True) if allowed else Decision(False, max(1, math.ceil(wait)))


class MemoryBuckets:
    """Token buckets in this process (embedded mode, or while Redis is down)."""

    def __init__(self, per_second: float, burst: int, max_buckets: int = MEMORY_BUCKETS, clock: Callable[[], float] = time.monotonic):
        self.per_second, self.burst, self.max_buckets, self.clock = per_second, burst, max_buckets, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key id -> (tokens, at)
        self._guard = threading.Lock()

    def take(self, key_id: str) -> Decision:
        now = self.clock()
        with self._guard:
            tokens, at = self._buckets.pop(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key_id] = (tokens, now)
            while len(self._buckets) > self.max_buckets:
                self._buckets.popitem(last=False)
        return _decision(allowed, (1 - tokens) / self.per_second)


class RateLimiter:
    """The service's limiter: off when ``per_second`` is 0; Redis-backed when ``redis_url`` is set."""

    def __init__(self, per_second: float, burst: int, *, redis_url: str | None = None, prefix: str = "totalplace"):
        self.enabled = per_second > 0
        self.per_second, self.burst, self.prefix = per_second, burst, prefix
        self.local = MemoryBuckets(per_second, burst) if self.enabled else None
        self._client = None
        self._script = None
        self._down_until = 0.0
        if self.enabled and redis_url:
            import redis

            self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
            self._client = redis.Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=2.0)
            self._script = self._client.register_script(_TAKE)

    def key(self, key_id: str) -> str:
        return RATE_KEY.format(prefix=self.prefix, version=MODEL_VERSION, key_id=key_id)

    def take(self, key_id: str) -> Decision:
        """Spend one token of ``key_id``'s bucket."""
        if not self.enabled:
            return Decision(True)
        assert self.local is not None
        if self._script is not None and time.monotonic() >= self._down_until:
            try:
                allowed, wait = self._script(keys=[self.key(key_id)], args=[self.per_second, self.burst])
                return _decision(bool(int(allowed)), float(wait))
            except self._errors as exc:
                self._down_until = time.monotonic() + 5.0  # as the cache's breaker: do not pay a timeout per request
                log.warning("rate limiter: Redis unavailable (%s): limiting in this process", exc)
        return self.local.take(key_id)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
