"""Fixtures of the browser tests: the real service (``totalplace serve``) on a free port, tenants' keys, Debian's Chromium.

The service runs in a subprocess on embedded defaults with a fresh SQLite
store of its own, exactly as a board's laptop or a council's server would run
it; the keys are made with ``totalplace keys create``. Chromium is the
system's (``apt-get install chromium``), never a browser downloaded by
Playwright: without it these tests skip, and under ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from board_testing import BIN, CHROMIUM, ROOT, Service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _totalplace() -> str:
    found = BIN / "totalplace"
    return str(found) if found.exists() else (shutil.which("totalplace") or "totalplace")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the system's Chromium."""
    if not os.path.exists(CHROMIUM):
        message = f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set TOTALPLACE_CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``totalplace serve`` on a fresh SQLite store, with keys for two tenants."""
    yield from _serve(tmp_path_factory.mktemp("service"), {})


@pytest.fixture(scope="session")
def job_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The same service answering at once only the smallest scenarios (1,000 cells), so a borough's solve and any
    comparison of its versions run as jobs, as a larger place's would."""
    yield from _serve(tmp_path_factory.mktemp("job-service"), {"TOTALPLACE_SYNC_MAX_CELLS": "1000"})


def _serve(folder: Path, extra: dict[str, str]) -> Iterator[Service]:
    port = _free_port()
    env = {
        **os.environ,
        "TOTALPLACE_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
        "TOTALPLACE_REDIS_URL": "",
        "TOTALPLACE_RATE_LIMIT_PER_SECOND": "0",
        "TOTALPLACE_LOG_LEVEL": "warning",
        **extra,
    }
    keys = {}
    for tenant in ("north-board", "south-board"):
        made = subprocess.run(
            [_totalplace(), "keys", "create", "--tenant", tenant], env=env, capture_output=True, text=True, check=True, cwd=ROOT
        )
        keys[tenant] = made.stdout.strip().splitlines()[-1].strip()
    log = open(folder / "service.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([_totalplace(), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("the service did not start:\n" + (folder / "service.log").read_text())
        time.sleep(0.2)
    try:
        yield Service(url, keys, env)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
