"""Take docs/review-queue.png: the queue of what needs a person (待人工核查) on a phone's screen.

`make screenshot` runs this after docs/screenshot.py: it replays the sample capture into a
scratch database (as `make demo` does), serves `nmaudit review` on a free local port and
photographs the queue at a phone's width (390 CSS pixels, as an iPhone 12 to 15 shows it).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from tempfile import TemporaryDirectory

from playwright.async_api import async_playwright
from werkzeug.serving import make_server

from nmaudit.browser import launch_chromium
from nmaudit.store import Store
from nmaudit.webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "review-queue.png"


def nmaudit(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "nmaudit", *args], cwd=cwd, check=True,
                   env=dict(os.environ, NO_COLOR="1"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def photograph(url: str, png: Path) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, None, [])
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                          is_mobile=True, has_touch=True)
            await page.goto(url, wait_until="load")
            await page.wait_for_function("[...document.images].every(image => image.complete)")
            png.write_bytes(await page.screenshot(full_page=False, type="png"))
        finally:
            await browser.close()


def main() -> None:
    with TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "accounts.yaml").write_bytes((ROOT / "accounts.yaml").read_bytes())
        nmaudit("audit", "accounts.yaml", "--replay", str(ROOT / "snapshots" / "sample.har"),
                "--db", "demo.db", "--snapshots", "snapshots", "--format", "json",
                "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=work)
        db = work / "demo.db"
        run_id = Store(db).resolve_run(None)
        server = make_server("127.0.0.1", 0, create_app(str(db), snapshots=str(work / "snapshots")), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            asyncio.run(photograph(f"http://127.0.0.1:{server.server_port}/runs/{run_id}/queue", OUTPUT))
        finally:
            server.shutdown()
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
