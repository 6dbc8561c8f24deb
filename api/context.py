"""The service's components, built once from the settings: store, cache, queue, metrics.

The API builds one per app (``create_app``); an RQ worker process builds
one from the environment the first time it runs a job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.edge.auth import KeyCache
from api.edge.ratelimit import RateLimiter
from api.edge.revocation import RevocationListener
from api.jobs.queues import JobQueue, RQQueue, ThreadQueue
from api.jobs.runner import JobDeps, run_job
from api.metrics import Metrics
from api.settings import Settings
from api.solving.cache import MemoryCache, RedisCache, ResultCache
from api.store.crud import StoredResults
from api.store.db import Database


@dataclass
class Context:
    """Everything a request or a job needs besides its input."""

    settings: Settings
    db: Database
    cache: ResultCache
    queue: JobQueue
    metrics: Metrics | None = None
    limiter: RateLimiter | None = None
    keys: KeyCache | None = None
    revocations: RevocationListener | None = None
    stored: StoredResults = field(default_factory=StoredResults)
    closed: bool = field(default=False)

    @classmethod
    def build(cls, settings: Settings, *, metrics: Metrics | None = None) -> Context:
        db = Database(settings.database_url, settings.db_timeout_seconds)
        cache: ResultCache
        if settings.redis_url:
            cache = RedisCache(settings.redis_url, settings.cache_prefix, settings.cache_ttl_seconds)
        else:
            cache = MemoryCache(settings.cache_prefix, settings.cache_ttl_seconds, settings.memory_cache_entries)
        limiter = RateLimiter(
            settings.rate_limit_per_second, settings.rate_limit_burst, redis_url=settings.redis_url, prefix=settings.cache_prefix
        )
        keys = None
        if settings.key_cache_seconds > 0:
            keys = KeyCache(settings.key_cache_seconds, fallback_seconds=settings.key_recheck_seconds)
        ctx = cls(settings, db, cache, JobQueue(), metrics, limiter, keys)
        if settings.uses_rq:
            assert settings.redis_url is not None
            ctx.queue = RQQueue(settings.redis_url, settings.queue_name, settings.job_hard_limit)
        else:
            ctx.queue = ThreadQueue(settings.embedded_job_threads, lambda job_id, attempt: run_job(ctx.job_deps(), job_id, attempt))
        return ctx

    def job_deps(self) -> JobDeps:
        """What job code is handed: the database, settings, cache, queue and metrics (not this whole context)."""
        return JobDeps(self.db, self.settings, self.cache, self.queue, self.metrics)

    def listen_for_revocations(self) -> None:
        """Start hearing revoked keys (an API process with a key cache and Redis; idempotent)."""
        if self.keys is not None and self.settings.redis_url and self.revocations is None:
            self.revocations = RevocationListener(self.settings.redis_url, self.settings.cache_prefix, self.keys).start()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.revocations is not None:
                self.revocations.close()
            self.queue.close()
            self.cache.close()
            if self.limiter is not None:
                self.limiter.close()
            self.db.dispose()
