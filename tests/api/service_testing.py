"""Helpers of the service's tests (imported by ``conftest.py`` and the tests; not a test module).

Servers: ``TOTALPLACE_TEST_PG_ADMIN`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
and ``TOTALPLACE_TEST_REDIS`` (default ``redis://127.0.0.1:6379/0``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

# Starlette 1.x warns that its TestClient will move off httpx; the TestClient still works as documented.
warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient", category=UserWarning)

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.edge.auth import create_key  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.store.db import Database  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY: dict[str, Any] = json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())
CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN = os.environ.get("TOTALPLACE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TOTALPLACE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def unavailable(what: str, why: object) -> None:
    """Skip, or under CI=true fail: a test that claims a real server must not pass without one."""
    message = f"{what} is not reachable ({why})"
    if CI:
        pytest.fail(f"{message}: under CI=true the service tests need it (start it in .ci/run)", pytrace=False)
    pytest.skip(message)


def fast(**overrides: Any) -> dict[str, Any]:
    """Settings with the job timings shortened for tests (the reaper runs on GET /v1/jobs/{id} and at start-up)."""
    return {"job_heartbeat_seconds": 0.5, "job_stale_seconds": 3.0, "reaper_interval_seconds": 3600.0, **overrides}


def add_key(settings: Settings, tenant: str) -> dict[str, str]:
    """Headers carrying a new key for ``tenant``."""
    db = Database(settings.database_url)
    db.create_tables()
    with db.session() as session:
        key, _ = create_key(session, tenant)
        session.commit()
    db.dispose()
    return {"X-API-Key": key}


@contextmanager
def client_for(settings: Settings, **kwargs: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings), **kwargs) as client:
        yield client


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def env_of(settings: Settings) -> dict[str, str]:
    """The environment that gives a subprocess the same settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOTALPLACE_")}
    for name, value in settings.model_dump().items():
        if isinstance(value, list):
            env[f"TOTALPLACE_{name.upper()}"] = ",".join(value)
        elif value is not None:
            env[f"TOTALPLACE_{name.upper()}"] = str(value)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def process(args: list[str], settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m api ARGS`` in its own process group; stopped (group and all) at the end."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api", *args],
            env=env_of(settings),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal the process group; SIGKILL it if it has not ended within ``timeout``."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group (a work horse) too
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(10)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, e.g. an RQ work horse, which leaves its parent's process group."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process and everything it started, at once: what a machine or container dying does."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(10)


def workers_on(settings: Settings) -> int:
    import redis
    from rq import Queue, Worker

    connection = redis.Redis.from_url(settings.redis_url or "")
    return int(Worker.count(connection=connection, queue=Queue(settings.queue_name, connection=connection)))


@contextmanager
def rq_worker(settings: Settings, log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``totalplace worker`` process, yielded once it is registered on the queue."""
    before = workers_on(settings)
    with process(["worker", *args], settings, log) as proc:
        wait_for(lambda: workers_on(settings) > before or proc.poll() is not None, 30, "the worker to register")
        assert proc.poll() is None, log.read_text()[-3000:]
        yield proc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def api_server(settings: Settings, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real ``totalplace serve`` (uvicorn) process; yields its base URL once /healthz answers."""
    port = free_port()
    with process(["serve", "--port", str(port)], settings, log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, proc, log)
        yield base, proc


def wait_until_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait (30 s at most) for the API at ``base`` to answer /healthz; fail with its log if the process died."""
    import httpx

    def up() -> bool:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up, 30, "the API to start")


def slow_scenario(time_limit: float) -> dict[str, Any]:
    """A mixed-integer scenario that HiGHS needs ~50 s to prove optimal: a solve runs to ``time_limit``."""
    from optimizer.testing import random_scenario

    data = random_scenario(0, mip=True, size="large")
    data["solver"] = {"name": "highs", "time_limit": time_limit}
    return data


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """An empty PostgreSQL database of that name (dropped first if left over), dropped after use; its URL."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", exc)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
