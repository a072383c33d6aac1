"""Take docs/report.png, docs/review.png and docs/overview.png: the demo run's report, review
page and 总览, in headless Chromium.

`make screenshot` runs this: it replays the sample capture into a scratch database
(as `make demo` does), renders `nmaudit report latest --format html` next to the
evidence and photographs its first page, then serves `nmaudit review` on a free local
port and photographs the page of a 待复核 account. For the 总览 the same capture is also
judged three and six days later (`--as-of`), as if nobody had posted since, so that its
trend has three runs to draw.
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
OUTPUT = ROOT / "docs" / "report.png"
REVIEW_OUTPUT = ROOT / "docs" / "review.png"
OVERVIEW_OUTPUT = ROOT / "docs" / "overview.png"
LATER_CHECKS = ("2026-11-29T22:56", "2026-12-02T22:56")  # the sample capture was taken 2026-11-26 22:56
REVIEWED = "baoji-wenlv-weibo"  # behind Weibo's visitor wall: what a reviewer gets to decide


def nmaudit(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "nmaudit", *args], cwd=cwd, check=True,
                   env=dict(os.environ, NO_COLOR="1"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def photograph(url: str, png: Path, width: int = 1100, height: int = 1500) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, None, [])
        try:
            page = await browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            await page.goto(url, wait_until="load")
            png.write_bytes(await page.screenshot(full_page=False, type="png"))
        finally:
            await browser.close()


def photograph_review(db: Path, snapshots: Path, png: Path) -> None:
    """The review page of one account of the latest run, served like `nmaudit review`."""
    run_id = Store(db).resolve_run(None)
    server = make_server("127.0.0.1", 0, create_app(str(db), snapshots=str(snapshots)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/runs/{run_id}/accounts/{REVIEWED}?verdict=review"
        asyncio.run(photograph(url, png, width=1440, height=1180))
    finally:
        server.shutdown()


def photograph_overview(db: Path, snapshots: Path, png: Path) -> None:
    """The 总览 of the latest run, served like `nmaudit review`."""
    run_id = Store(db).resolve_run(None)
    server = make_server("127.0.0.1", 0, create_app(str(db), snapshots=str(snapshots)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        asyncio.run(photograph(f"http://127.0.0.1:{server.server_port}/runs/{run_id}/overview?days=30", png,
                               width=1440, height=1500))
    finally:
        server.shutdown()


def main() -> None:
    with TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "accounts.yaml").write_bytes((ROOT / "accounts.yaml").read_bytes())
        nmaudit("audit", "accounts.yaml", "--replay", str(ROOT / "snapshots" / "sample.har"),
                "--db", "demo.db", "--snapshots", "snapshots", "--format", "json",
                "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=work)
        nmaudit("report", "latest", "--db", "demo.db", "--format", "html", "-o", "report.html", cwd=work)
        asyncio.run(photograph((work / "report.html").as_uri(), OUTPUT))
        photograph_review(work / "demo.db", work / "snapshots", REVIEW_OUTPUT)
        (work / "overview.db").write_bytes((work / "demo.db").read_bytes())
        for as_of in LATER_CHECKS:
            nmaudit("audit", "accounts.yaml", "--replay", str(ROOT / "snapshots" / "sample.har"),
                    "--db", "overview.db", "--snapshots", "snapshots", "--format", "json", "--as-of", as_of,
                    "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=work)
        photograph_overview(work / "overview.db", work / "snapshots", OVERVIEW_OUTPUT)
    print(f"wrote {OUTPUT.relative_to(ROOT)}, {REVIEW_OUTPUT.relative_to(ROOT)} and {OVERVIEW_OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
