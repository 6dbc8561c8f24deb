"""The boards' page in Debian's Chromium, solved: what ``benchmarks/page.py`` times and ``docs/screenshots.py`` photographs.

:func:`solved_page` starts ``totalplace serve`` on embedded defaults with a fresh SQLite store (a key made with
``totalplace keys create``), opens Chromium (``TOTALPLACE_CHROMIUM``, default ``/usr/bin/chromium``; Playwright never
downloads a browser), signs the board in, uploads the scenario, presses Solve and yields the page with the answer
on screen; the service and the browser stop when the block ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TOTALPLACE_CHROMIUM", "/usr/bin/chromium")


def command() -> str:
    """The ``totalplace`` command of this interpreter's environment."""
    found = Path(sys.executable).parent / "totalplace"
    return str(found) if found.exists() else (shutil.which("totalplace") or "totalplace")


@contextmanager
def solved_page(scenario: Path, *, tenant: str = "bench-board", viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A Playwright page of a fresh service, signed in, with ``scenario`` uploaded and solved."""
    if not os.path.exists(CHROMIUM):
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set TOTALPLACE_CHROMIUM)")
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory(prefix="totalplace-page-") as folder:
        env = {
            **os.environ,
            "TOTALPLACE_DATABASE_URL": f"sqlite:///{folder}/store.db",
            "TOTALPLACE_REDIS_URL": "",
            "TOTALPLACE_LOG_LEVEL": "warning",
            "TOTALPLACE_RATE_LIMIT_PER_SECOND": "0",
        }
        made = subprocess.run(
            [command(), "keys", "create", "--tenant", tenant], env=env, capture_output=True, text=True, check=True, cwd=ROOT
        )
        key = made.stdout.strip().splitlines()[-1].strip()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [command(), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=1).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        sys.exit("the service did not start")
                    time.sleep(0.2)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
                page = browser.new_page(**({"viewport": viewport, "device_scale_factor": 1} if viewport else {}))
                page.goto(url + "/")
                page.get_by_test_id("key").fill(key)
                page.get_by_test_id("sign-in").click()
                page.goto(url + "/scenarios/new")
                page.get_by_test_id("scenario-file").set_input_files(str(scenario))
                page.get_by_test_id("upload").click()
                page.get_by_test_id("solve").click()
                expect(page.get_by_test_id("who-pays")).to_be_visible()
                try:
                    yield page
                finally:
                    browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
