"""Servers the fault tests own and break: a Redis and a PostgreSQL of their own, on spare ports.

Not a test module. Each server lives in a fresh folder under /tmp and listens on a free port of the
loopback, so stopping it disturbs neither the machine's servers nor the other tests. PostgreSQL refuses
to run as root, so its cluster is made and run as the ``postgres`` user (``initdb`` and ``postgres`` from
the newest ``/usr/lib/postgresql/*/bin``); without that user or those binaries the tests are skipped
(failed under CI=true).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from service_testing import ROOT, env_of, free_port, unavailable, wait_for, wait_until_healthy

from api.settings import Settings


class RedisServer:
    """``redis-server`` on a spare port; append-only with fsync on every write, as docker-compose.yml runs it."""

    def __init__(self, folder: Path, *, appendonly: bool = True):
        if shutil.which("redis-server") is None:
            unavailable("redis-server", "not installed")
        self.folder, self.appendonly = folder, appendonly
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(self.folder),
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "always",
            "--logfile",
            str(self.folder / "redis.log"),
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(self._pings, 20, f"redis-server on port {self.port}")

    def _pings(self) -> bool:
        import redis

        assert self.proc is not None and self.proc.poll() is None, (self.folder / "redis.log").read_text()[-2000:]
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: a clean shutdown (the append-only file is flushed); SIGKILL: the machine dies."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(20)
        self.proc = None

    def forget_everything(self) -> None:
        """Lose the data, as a Redis without persistence (or on a new machine) does when restarted."""
        assert self.proc is None
        for item in self.folder.iterdir():
            if item.name != "redis.log":
                shutil.rmtree(item) if item.is_dir() else item.unlink()


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not found:
        unavailable("PostgreSQL binaries", "no /usr/lib/postgresql/*/bin")
    return Path(found[-1])


class PostgresServer:
    """A PostgreSQL cluster of its own (initdb into a fresh folder), run as the postgres user on a spare port."""

    def __init__(self) -> None:
        import pwd

        try:
            self.user = pwd.getpwnam("postgres")
        except KeyError as exc:
            unavailable("the postgres user", exc)
        self.bin = _pg_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="totalplace-pg-"))
        os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        self.data, self.sockets = self.folder / "data", self.folder / "sockets"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        self._as_postgres(lambda: self.sockets.mkdir())

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(
            args, user=self.user.pw_uid, group=self.user.pw_gid, capture_output=True, text=True, timeout=120, cwd=self.folder
        )
        assert done.returncode == 0, done.stderr[-2000:]

    def _as_postgres(self, action: Callable[[], Any]) -> None:
        action()
        for path in self.folder.rglob("*"):
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        args = [
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.sockets),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=on",
            "-c",
            "synchronous_commit=on",
            "-c",
            "max_connections=100",
        ]
        log = (self.folder / "postgres.log").open("ab")
        self.proc = subprocess.Popen(
            args,
            user=self.user.pw_uid,
            group=self.user.pw_gid,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            start_new_session=True,
        )
        wait_for(self._ready, 60, f"postgres on port {self.port}")

    def _ready(self) -> bool:
        import psycopg

        assert self.proc is not None and self.proc.poll() is None, (self.folder / "postgres.log").read_text()[-3000:]
        try:
            with psycopg.connect(self.admin_url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self, sig: int = signal.SIGINT) -> None:
        """SIGINT: PostgreSQL's fast shutdown; SIGQUIT: immediate (a crash: recovery from the WAL at the next start)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(60)
        self.proc = None

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        self.stop(signal.SIGQUIT)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def served(settings: Settings, log: Path, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``totalplace serve`` on ``port`` (a free one by default), yielded once /healthz answers; stopped at the end."""
    from service_testing import stop

    port = port or free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(port)],
            env=env_of(settings),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, proc, log)
        yield base, proc
    finally:
        stop(proc)


@dataclass
class Answer:
    """One request of the load and what came back."""

    at: float
    kind: str
    status: int | None  # None: no HTTP answer (connection refused, timeout)
    seconds: float
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""


class Load:
    """A steady load from a thread: ``step(client, i)`` is called in a loop; every answer is kept for the test to judge."""

    def __init__(
        self,
        base: str,
        headers: dict[str, str],
        step: Callable[[httpx.Client, int], tuple[str, httpx.Response]],
        pause: float = 0.05,
        timeout: float = 20.0,
    ):
        self.base, self.headers, self.step, self.pause, self.timeout = base, headers, step, pause, timeout
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()

    def _run(self) -> None:
        i = 0
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=self.timeout) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    kind, response = self.step(client, i)
                    try:
                        body: Any = response.json()
                    except ValueError:
                        body = response.text
                    self.answers.append(
                        Answer(started, kind, response.status_code, time.monotonic() - started, body, dict(response.headers))
                    )
                except httpx.TransportError as exc:
                    self.answers.append(
                        Answer(started, "transport", None, time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")
                    )
                i += 1
                self._stop.wait(self.pause)

    def __enter__(self) -> Load:
        self.mark("start")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 10)
        self.mark("end")

    def between(self, start: str, end: str) -> list[Answer]:
        return [a for a in self.answers if self.marks[start] <= a.at < self.marks[end]]
