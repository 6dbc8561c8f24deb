"""The README's screenshot of the boards' page, taken again: the answer for the tight-budget Manchester scenario, with its map.

    .venv/bin/python docs/screenshots.py [--output docs/images/board-page-results.png] [--width 1000]

Starts ``totalplace serve`` on embedded defaults with a fresh SQLite store (a
key made with ``totalplace keys create``), then in Debian's Chromium
(``TOTALPLACE_CHROMIUM``, default ``/usr/bin/chromium``; Playwright never
downloads a browser) signs in, uploads ``scenarios/tight/manchester_tight.json``,
solves it, waits for the charts and the map to be drawn, and saves the answer
(from its heading to the bottom of the map) as a PNG at a fixed width and a
device scale of 1, so the file stays small (it says its size; the README's
images are kept under 400 KB).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIGHT = ROOT / "scenarios" / "tight" / "manchester_tight.json"
OUTPUT = ROOT / "docs" / "images" / "board-page-results.png"
CHROMIUM = os.environ.get("TOTALPLACE_CHROMIUM", "/usr/bin/chromium")
MAX_BYTES = 400 * 1024


def _command() -> str:
    found = Path(sys.executable).parent / "totalplace"
    return str(found) if found.exists() else (shutil.which("totalplace") or "totalplace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--scenario", type=Path, default=TIGHT)
    parser.add_argument("--width", type=int, default=1000, help="the browser's width in CSS pixels")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set TOTALPLACE_CHROMIUM)")
    from playwright.sync_api import FloatRect, expect, sync_playwright

    with tempfile.TemporaryDirectory(prefix="totalplace-shot-") as folder:
        env = {**os.environ, "TOTALPLACE_DATABASE_URL": f"sqlite:///{folder}/store.db", "TOTALPLACE_REDIS_URL": "",
               "TOTALPLACE_LOG_LEVEL": "warning", "TOTALPLACE_RATE_LIMIT_PER_SECOND": "0"}
        made = subprocess.run([_command(), "keys", "create", "--tenant", "demo-board"], env=env, capture_output=True, text=True,
                              check=True, cwd=ROOT)
        key = made.stdout.strip().splitlines()[-1].strip()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([_command(), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                cwd=ROOT)
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
                page = browser.new_page(viewport={"width": args.width, "height": 900}, device_scale_factor=1)
                page.goto(url + "/")
                page.get_by_test_id("key").fill(key)
                page.get_by_test_id("sign-in").click()
                page.goto(url + "/scenarios/new")
                page.get_by_test_id("scenario-file").set_input_files(str(args.scenario))
                page.get_by_test_id("upload").click()
                page.get_by_test_id("solve").click()
                expect(page.get_by_test_id("who-pays")).to_be_visible()
                expect(page.locator("body[data-charts=drawn]")).to_be_attached(timeout=30_000)
                box = page.get_by_test_id("map")
                box.scroll_into_view_if_needed()
                expect(box).to_have_attribute("data-drawn", "true", timeout=60_000)
                page.evaluate("window.scrollTo(0, 0)")
                top = page.locator("#answer-heading").bounding_box()
                bottom = box.bounding_box()
                assert top is not None and bottom is not None
                clip: FloatRect = {"x": 0, "y": top["y"] - 10, "width": args.width, "height": bottom["y"] + bottom["height"] - top["y"] + 20}
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output), clip=clip, full_page=True)
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({size / 1024:.0f} KB, {args.width} px wide)")
    if size > MAX_BYTES:
        print(f"larger than {MAX_BYTES // 1024} KB: try a smaller --width", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
