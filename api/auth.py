"""API keys: ``tp_<key id>_<secret>``, sent as ``X-API-Key``; only SHA-256 of the whole key is stored.

The key id is public and indexes the row; the secret carries 256 bits of
randomness, so a plain SHA-256 (not a slow password hash) is enough to make
a leaked table useless, and the comparison is constant-time.

``KeyCache`` lets an API process trust a key it has just found valid for a
few seconds (``TOTALPLACE_KEY_CACHE_SECONDS``, off by default), so that a busy
client does not cost a database round trip per request. The price is
revocation: a revoked key keeps working in a process that cached it until
its entry expires (at most that many seconds). Only valid keys are cached,
under the key's SHA-256 (never the key itself), so a wrong key always reaches
the store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from sqlalchemy.orm import Session

from api import crud
from api.db import Tenant

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
    """SHA-256 of a valid key -> its tenant id, for ``ttl_seconds``; least recently used dropped past ``max_entries``."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._entries: TTLCache[str, str] = TTLCache(max_entries, ttl_seconds, timer=clock)
        self._guard = threading.Lock()  # cachetools' caches are not thread-safe

    def get(self, digest: str) -> str | None:
        with self._guard:
            return self._entries.get(digest)

    def put(self, digest: str, tenant_id: str) -> None:
        with self._guard:
            self._entries[digest] = tenant_id


def authenticate_cached(sessions: Callable[[], Session], cache: KeyCache | None, presented: str | None) -> str | None:
    """As :func:`authenticate`, answering from ``cache`` when it holds the key (a session is opened only otherwise)."""
    if cache is None or not presented or len(presented) > 200:
        with sessions() as session:
            return authenticate(session, presented)
    digest = hash_key(presented)
    tenant_id = cache.get(digest)
    if tenant_id is None:
        with sessions() as session:
            tenant_id = authenticate(session, presented)
        if tenant_id is not None:
            cache.put(digest, tenant_id)
    return tenant_id
