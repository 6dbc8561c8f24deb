"""/docs and /redoc work with no internet: Chromium (Debian's, driven by Playwright) loads them and asks no other origin.

The service runs as it is deployed (``totalplace serve``, embedded mode); every request
the pages make is recorded, and any to another origin is refused and reported. The browser is
pytest-playwright's, launched on Debian's Chromium by tests/browser/conftest.py (skipped
without it, a failure under CI=true).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def docs_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``totalplace serve`` on a free port, with a store of its own; its base URL."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("docs-service")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOTALPLACE_")}
    env["TOTALPLACE_DATABASE_URL"] = f"sqlite:///{folder / 'store.db'}"
    log = (folder / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the service did not start: {(folder / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _visit(browser: object, base: str, path: str, ready: str) -> tuple[list[str], list[str]]:
    """Load ``base + path`` until ``ready`` shows; the URLs asked of this origin and of any other (refused)."""
    own, other = [], []
    page = browser.new_page()  # type: ignore[attr-defined]

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        origin = urlsplit(url)
        if f"{origin.scheme}://{origin.netloc}" == base or origin.scheme in ("data", "blob"):
            own.append(url)
            r.continue_()  # type: ignore[attr-defined]
        else:
            other.append(url)
            r.abort()  # type: ignore[attr-defined]

    page.route("**/*", route)
    page.goto(base + path, wait_until="networkidle")
    page.wait_for_selector(ready, timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.close()
    return own, other


def test_swagger_ui_loads_with_no_request_to_another_origin(docs_service: str, browser: object) -> None:
    own, other = _visit(browser, docs_service, "/docs", ".swagger-ui .info .title")
    assert other == [], f"/docs asked another origin: {other}"
    assert any("/docs-assets/swagger-ui-bundle.js" in u for u in own) and any(u.endswith("/openapi.json") for u in own)


def test_redoc_loads_with_no_request_to_another_origin(docs_service: str, browser: object) -> None:
    own, other = _visit(browser, docs_service, "/redoc", "h1")
    assert other == [], f"/redoc asked another origin: {other}"
    assert any("/docs-assets/redoc.standalone.js" in u for u in own)


def test_the_assets_are_not_under_static(docs_service: str) -> None:
    import httpx

    assert httpx.get(f"{docs_service}/docs-assets/swagger-ui.css", timeout=5).status_code == 200
    assert httpx.get(f"{docs_service}/static/swagger-ui.css", timeout=5).status_code == 404
