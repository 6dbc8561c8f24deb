"""API keys: ``tp_<key id>_<secret>``, sent as ``X-API-Key``; only SHA-256 of the whole key is stored.

The key id is public and indexes the row; the secret carries 256 bits of
randomness, so a plain SHA-256 (not a slow password hash) is enough to make
a leaked table useless, and the comparison is constant-time.

``KeyCache`` lets an API process trust a key it has found valid
(``TOTALPLACE_KEY_CACHE_SECONDS``, 60 s by default), so that a busy client
does not cost a database round trip per request. Revocation stays prompt:
``totalplace keys revoke`` and ``keys rotate`` announce the key's id on a
Redis channel, and every API process listening there drops it at once
(``api/edge/revocation.py``). A process that has not heard from Redis within
the last ``TOTALPLACE_KEY_RECHECK_SECONDS`` (1 s; no Redis, Redis down, or the
subscription broken) trusts an entry only that long after it checked the
store, so a revoked key is refused within that second there too. Only valid
keys are cached, under the key's SHA-256 (never the key itself), so a wrong
key always reaches the store.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from sqlalchemy.orm import Session

from api.store import crud
from api.store.db import Tenant

KEY_PREFIX = "tp"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh key and its public id."""
    key_id = secrets.token_hex(6)
    return f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}", key_id


def key_id_of(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def create_key(session: Session, tenant_name: str, label: str = "") -> tuple[str, Tenant]:
    """Make a key for ``tenant_name`` (created if new); the caller commits and shows the key once."""
    tenant = crud.get_or_create_tenant(session, tenant_name)
    key, key_id = new_key()
    crud.add_key(session, tenant, key_id, hash_key(key), label)
    return key, tenant


def authenticate(session: Session, presented: str | None) -> str | None:
    """The tenant id of a valid, unrevoked key, else None."""
    if not presented or len(presented) > 200:
        return None
    key_id = key_id_of(presented)
    if key_id is None:
        return None
    row = crud.active_key(session, key_id)
    if row is None:
        hmac.compare_digest(hash_key(presented), "0" * 64)  # same work whether or not the id exists
        return None
    return row.tenant_id if hmac.compare_digest(hash_key(presented), row.key_hash) else None


class KeyCache:
    """SHA-256 of a valid key -> its tenant id, for ``ttl_seconds``; least recently used dropped past ``max_entries``.

    ``fallback_seconds`` (default: ``ttl_seconds``) is how long an entry is
    trusted unless the process hears revocations: :meth:`listening` is told
    when the revocation channel is subscribed, :meth:`heard` each time Redis
    answers on it, and an entry older than ``fallback_seconds`` counts only
    if it was made since the subscription began and Redis was heard within
    the last ``fallback_seconds``. A revocation (:meth:`drop_key`) or a new
    subscription also voids the lookups under way, so that a key read from
    the store before a revocation is not put in after it.
    """

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        *,
        fallback_seconds: float | None = None,
    ):
        self.ttl_seconds = ttl_seconds
        self.fallback_seconds = ttl_seconds if fallback_seconds is None else min(fallback_seconds, ttl_seconds)
        self.clock = clock
        self._entries: TTLCache[str, tuple[str, str, float]] = TTLCache(max_entries, ttl_seconds, timer=clock)
        self._guard = threading.Lock()  # cachetools' caches are not thread-safe
        self._subscribed_at: float | None = None
        self._heard_at = -math.inf
        self.generation = 0  # bumped by every revocation and (re)subscription

    def get(self, digest: str) -> str | None:
        with self._guard:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            tenant_id, _key_id, at = entry
            now = self.clock()
            if now - at <= self.fallback_seconds:
                return tenant_id
            subscribed = self._subscribed_at is not None and at >= self._subscribed_at
            if subscribed and now - self._heard_at <= self.fallback_seconds:
                return tenant_id
            del self._entries[digest]  # revocations may have gone unheard: ask the store again
            return None

    def put(self, digest: str, tenant_id: str, key_id: str = "", generation: int | None = None) -> None:
        """Remember a key found valid; ignored if a revocation or subscription came since ``generation`` was read."""
        with self._guard:
            if generation is None or generation == self.generation:
                self._entries[digest] = (tenant_id, key_id, self.clock())

    def drop_key(self, key_id: str) -> int:
        """Forget every entry of key ``key_id`` (revoked or rotated); returns how many there were."""
        with self._guard:
            self.generation += 1
            doomed = [digest for digest, (_, kid, _) in self._entries.items() if kid == key_id]
            for digest in doomed:
                del self._entries[digest]
            return len(doomed)

    def listening(self, on: bool) -> None:
        """The revocation channel is subscribed (``True``) or lost (``False``)."""
        with self._guard:
            self.generation += 1
            now = self.clock()
            self._subscribed_at = now if on else None
            self._heard_at = now if on else -math.inf

    def heard(self) -> None:
        """Redis answered on the revocation channel just now."""
        with self._guard:
            self._heard_at = self.clock()


def authenticate_cached(sessions: Callable[[], Session], cache: KeyCache | None, presented: str | None) -> str | None:
    """As :func:`authenticate`, answering from ``cache`` when it holds the key (a session is opened only otherwise)."""
    if cache is None or not presented or len(presented) > 200:
        with sessions() as session:
            return authenticate(session, presented)
    digest = hash_key(presented)
    tenant_id = cache.get(digest)
    if tenant_id is None:
        generation = cache.generation  # read before the store: a revocation announced meanwhile voids the entry
        with sessions() as session:
            tenant_id = authenticate(session, presented)
        if tenant_id is not None:
            cache.put(digest, tenant_id, key_id_of(presented) or "", generation)
    return tenant_id
