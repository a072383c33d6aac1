"""Take docs/report.png: the first page of the demo run's report, in headless Chromium.

`make screenshot` runs this: it replays the sample capture into a scratch database
(as `make demo` does), renders `nmaudit report latest --format html` next to the
evidence, and photographs the page.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

from playwright.async_api import async_playwright

from nmaudit.browser import launch_chromium

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "report.png"


def nmaudit(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "nmaudit", *args], cwd=cwd, check=True,
                   env=dict(os.environ, NO_COLOR="1"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def photograph(html: Path, png: Path, width: int = 1100, height: int = 1500) -> None:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, None, [])
        try:
            page = await browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            await page.goto(html.as_uri(), wait_until="load")
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
        nmaudit("report", "latest", "--db", "demo.db", "--format", "html", "-o", "report.html", cwd=work)
        asyncio.run(photograph(work / "report.html", OUTPUT))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
