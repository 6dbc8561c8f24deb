"""Fixtures of the service's tests: real PostgreSQL and Redis (helpers in ``service_testing.py``).

Each test session gets its own PostgreSQL database (``totalplace_test_<tag>``,
dropped at the end); each test its own Redis key prefix and RQ queue name
(their keys deleted after it), and empty tables. Without a server the tests
that need it are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_testing import REDIS, fast, fresh_database, unavailable
from sqlalchemy import select, text

from api.settings import Settings
from api.store.db import Base, Database, JobRow


@pytest.fixture(scope="session")
def session_tag() -> str:
    return f"{os.getpid()}_{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def pg_url(session_tag: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped after it."""
    with fresh_database(f"totalplace_test_{session_tag}") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", exc)
    return REDIS


@pytest.fixture
def prod_settings(pg_url: str, redis_url: str, session_tag: str) -> Iterator[Settings]:
    """PostgreSQL + Redis + RQ, with a key prefix and a queue of this test's own; cleaned after it."""
    import redis

    tag = f"{session_tag}_{secrets.token_hex(3)}"
    settings = Settings(
        database_url=pg_url, redis_url=redis_url, cache_prefix=f"totalplace-test-{tag}", queue_name=f"totalplace-test-{tag}", **fast()
    )
    db = Database(settings.database_url)
    db.create_tables()
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(t.name for t in Base.metadata.sorted_tables) + " CASCADE"))
    yield settings
    with db.session() as session:
        job_ids = list(session.scalars(select(JobRow.id)))
    db.dispose()
    client = redis.Redis.from_url(redis_url)
    doomed = list(client.scan_iter(f"{settings.cache_prefix}:*"))
    workers = client.smembers(f"rq:workers:{settings.queue_name}")  # worker keys, e.g. of a killed worker
    doomed.extend(workers)
    doomed.extend(w + b":executions" for w in workers)
    if workers:
        client.srem("rq:workers", *workers)
    client.srem("rq:queues", f"rq:queue:{settings.queue_name}")
    for key in client.scan_iter("rq:*"):
        name = key.decode()
        if settings.queue_name in name or any(j in name for j in job_ids):
            doomed.append(key)
    if doomed:
        client.delete(*doomed)
    client.close()


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    """The laptop defaults: a SQLite file, the in-process cache, jobs on threads."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'totalplace.db'}", **fast())
