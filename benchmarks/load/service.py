"""A local production-mode service for the load test: its own database, Redis DB, API keys and processes.

The run owns everything it starts and nothing else:

* a PostgreSQL database (``totalplace_load`` by default) dropped and created
  again at every run, so a run never reads an earlier run's rows, and never
  touches the test suite's ``totalplace_test_*`` databases;
* a Redis database number (13 by default) with a key prefix and an RQ queue
  of its own, emptied (that database only) before the run and after it: the
  test suite uses DB 0, so cache entries, rate buckets and RQ registrations
  of the two never meet;
* ``totalplace serve --workers N`` and ``totalplace worker --processes M``,
  each in a process group of its own, stopped with SIGTERM and then SIGKILL,
  together with every descendant (an RQ work horse leaves its parent's group),
  whatever way the run ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ServiceConfig:
    """Where the service keeps its state and how many processes it runs."""

    pg_admin: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    database: str = "totalplace_load"
    redis_base: str = "redis://127.0.0.1:6379"
    redis_db: int = 13
    api_processes: int = 2
    worker_processes: int = 2
    rate_limit_per_second: float = 100_000.0
    rate_limit_burst: int = 100_000
    log_level: str = "warning"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"{self.pg_admin.rsplit('/', 1)[0]}/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"{self.redis_base}/{self.redis_db}"

    def env(self) -> dict[str, str]:
        """The environment of every process of the service (and of the key creation)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOTALPLACE_")}
        env.update(
            {
                "TOTALPLACE_DATABASE_URL": self.database_url,
                "TOTALPLACE_REDIS_URL": self.redis_url,
                "TOTALPLACE_CACHE_PREFIX": "totalplace-load",
                "TOTALPLACE_QUEUE_NAME": "totalplace-load",
                "TOTALPLACE_RATE_LIMIT_PER_SECOND": f"{self.rate_limit_per_second:g}",
                "TOTALPLACE_RATE_LIMIT_BURST": str(self.rate_limit_burst),
                # uvicorn logs every request at info: at 1,000 requests/s that is a core's worth of log lines
                "TOTALPLACE_LOG_LEVEL": self.log_level,
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )
        return env


def fresh_database(config: ServiceConfig) -> None:
    """Drop and create the run's database (never another)."""
    import psycopg

    with psycopg.connect(config.pg_admin, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{config.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{config.database}"')


def drop_database(config: ServiceConfig) -> None:
    import psycopg

    with psycopg.connect(config.pg_admin, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{config.database}" WITH (FORCE)')


def empty_redis_db(config: ServiceConfig) -> None:
    """FLUSHDB on the run's own Redis database number only."""
    import redis

    client = redis.Redis.from_url(config.redis_url, socket_connect_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


def create_keys(config: ServiceConfig, tenants: list[str]) -> dict[str, str]:
    """One API key per tenant, made by the service's own code (``api.edge.auth.create_key``, as ``totalplace keys create``)."""
    os.environ.update({k: v for k, v in config.env().items() if k.startswith("TOTALPLACE_")})
    from api.edge.auth import create_key
    from api.store.db import Database

    db = Database(config.database_url)
    db.create_tables()
    keys: dict[str, str] = {}
    try:
        with db.session() as session:
            for tenant in tenants:
                keys[tenant], _ = create_key(session, tenant, label="load test")
            session.commit()
    finally:
        db.dispose()
    return keys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, e.g. an RQ work horse, which leaves its parent's process group."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process group (a clean shutdown), then SIGKILL whatever of it, or below it, is left."""
    family = [proc.pid, *_descendants(proc.pid)]
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    for pid in [*family, *_descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(10)


@contextmanager
def started(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``args`` in a new session (so its group can be signalled as one), stopped on the way out."""
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


def wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Wait for ``GET /healthz`` to answer 200; fail with the log's tail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the API did not answer /healthz within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def wait_workers(config: ServiceConfig, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Wait until the RQ workers have registered on the run's queue."""
    import redis
    from rq import Queue, Worker

    connection = redis.Redis.from_url(config.redis_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the workers exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            if Worker.count(connection=connection, queue=Queue("totalplace-load", connection=connection)) >= config.worker_processes:
                return
            time.sleep(0.2)
    finally:
        connection.close()
    raise RuntimeError(f"the workers did not register within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_service(config: ServiceConfig, logs: Path) -> Iterator[str]:
    """The API and the workers, up and registered; yields the API's base URL. Everything is stopped on exit."""
    env = config.env()
    port = free_port()
    with ExitStack() as stack:
        workers = stack.enter_context(
            started([sys.executable, "-m", "api", "worker", "--processes", str(config.worker_processes)], env, logs / "worker.log")
        )
        api = stack.enter_context(
            started(
                [sys.executable, "-m", "api", "serve", "--port", str(port), "--workers", str(config.api_processes)], env, logs / "api.log"
            )
        )
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, api, logs / "api.log")
        wait_workers(config, workers, logs / "worker.log")
        yield base
