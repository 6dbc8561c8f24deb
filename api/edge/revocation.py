"""Revoked keys, heard by every API process within a second: a Redis channel, and a listener thread per process.

    {prefix}:keys:revoked      a Redis pub/sub channel; each message is the public id of a revoked or rotated key

``totalplace keys revoke`` and ``keys rotate`` commit the revocation, then
:func:`announce` it. Each API process runs one :class:`RevocationListener`,
which drops the key from the process's :class:`~api.edge.auth.KeyCache` as
the message arrives (milliseconds). The listener pings Redis every
:data:`PING_SECONDS` and tells the cache each time Redis answers; a cache that
has not heard from Redis within its fallback (``TOTALPLACE_KEY_RECHECK_SECONDS``)
asks the store again for any key it checked longer ago than that. So Redis
down, a broken subscription or a silent network bound the life of a revoked
key to about that second, instead of the whole cache time.

Pub/sub (rather than, say, a version key read per request) keeps the cache
hit free of any Redis round trip of its own; the price, a message missed
while disconnected, is covered by the fallback and by a new subscription
voiding what was cached before it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from api.edge.auth import KeyCache

if TYPE_CHECKING:
    from redis.client import PubSub

log = logging.getLogger(__name__)

CHANNEL = "{prefix}:keys:revoked"
#: how often the listener pings Redis on its subscription (a silent Redis is noticed within the cache's fallback)
PING_SECONDS = 0.25
#: wait between attempts to subscribe again after Redis went away
RETRY_SECONDS = 0.5


def channel(prefix: str) -> str:
    return CHANNEL.format(prefix=prefix)


def announce(redis_url: str | None, prefix: str, key_id: str) -> int | None:
    """Tell every API process that ``key_id`` is revoked; how many heard it, or None when Redis could not be reached."""
    if not redis_url:
        return None
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=2.0)
    try:
        return int(client.publish(channel(prefix), key_id))
    except (redis.RedisError, OSError) as exc:
        log.warning("could not announce the revocation of key %s: %s", key_id, exc)
        return None
    finally:
        client.close()


class RevocationListener:
    """A daemon thread subscribed to the revocation channel, dropping announced keys from ``cache``."""

    def __init__(self, redis_url: str, prefix: str, cache: KeyCache):
        self.redis_url, self.channel, self.cache = redis_url, channel(prefix), cache
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="key-revocations", daemon=True)
        self.dropped = 0  # entries dropped on announcements (for tests and logs)

    def start(self) -> RevocationListener:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        import redis

        errors = (redis.RedisError, OSError)
        warned = False
        while not self._stop.is_set():
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1.0, socket_timeout=2.0)
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                self._listen(pubsub)
            except errors as exc:
                if not warned:
                    log.warning(
                        "key revocations: Redis unavailable (%s): keys are checked in the store every %g s until it is back",
                        exc,
                        self.cache.fallback_seconds,
                    )
                    warned = True
            finally:
                self.cache.listening(False)
                try:
                    pubsub.close()
                    client.close()
                except errors:
                    pass
            self._stop.wait(RETRY_SECONDS)

    def _listen(self, pubsub: PubSub) -> None:
        last_ping = time.monotonic()
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=PING_SECONDS)
            now = time.monotonic()
            if message is not None:
                kind = message["type"]
                if kind == "subscribe":
                    self.cache.listening(True)
                    log.info("key revocations: listening on %s", self.channel)
                elif kind == "message":
                    key_id = message["data"].decode("utf-8", "replace") if isinstance(message["data"], bytes) else str(message["data"])
                    self.dropped += self.cache.drop_key(key_id)
                self.cache.heard()  # a pong, a subscription or a message: Redis is there
            if now - last_ping >= PING_SECONDS:
                pubsub.ping()
                last_ping = now
