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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIGHT = ROOT / "scenarios" / "tight" / "manchester_tight.json"
OUTPUT = ROOT / "docs" / "images" / "board-page-results.png"
MAX_BYTES = 400 * 1024
sys.path.insert(0, str(ROOT))  # run as a script from docs/: the project's own modules (benchmarks.browser)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--scenario", type=Path, default=TIGHT)
    parser.add_argument("--width", type=int, default=1000, help="the browser's width in CSS pixels")
    args = parser.parse_args()
    from playwright.sync_api import FloatRect, expect

    from benchmarks.browser import solved_page

    with solved_page(args.scenario, tenant="demo-board", viewport={"width": args.width, "height": 900}) as page:
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
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({size / 1024:.0f} KB, {args.width} px wide)")
    if size > MAX_BYTES:
        print(f"larger than {MAX_BYTES // 1024} KB: try a smaller --width", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
