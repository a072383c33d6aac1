"""Take docs/review.png: the review page of a 待复核 account of the demo run, in headless Chromium.

`make screenshot` runs it: audits accounts.yaml against snapshots/sample.har (offline) into a
scratch folder, serves `nmaudit review` on a free local port and photographs one account page.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from tempfile import TemporaryDirectory

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from nmaudit.browser import QUIET_FLAGS, browser_candidates
from nmaudit.store import Store
from nmaudit.webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "baoji-wenlv-weibo"  # behind Weibo's visitor wall: what a reviewer gets to decide


def demo_run(folder: Path) -> str:
    """Audit the sample registry from the sample capture; returns the run id."""
    subprocess.run(
        [sys.executable, "-m", "nmaudit", "audit", str(ROOT / "accounts.yaml"),
         "--replay", str(ROOT / "snapshots" / "sample.har"), "--db", str(folder / "demo.db"),
         "--snapshots", str(folder / "snapshots"), "--format", "json", "--output", str(folder / "run.json"),
         "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9"],
        check=True, cwd=ROOT, env=dict(os.environ, NO_COLOR="1"),
    )
    return Store(folder / "demo.db").resolve_run(None)


def photograph(target: Path = ROOT / "docs" / "review.png") -> Path:
    with TemporaryDirectory() as scratch:
        folder = Path(scratch)
        run_id = demo_run(folder)
        server = make_server("127.0.0.1", 0, create_app(str(folder / "demo.db")), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=browser_candidates(playwright, None)[0],
                                                     args=QUIET_FLAGS)
                page = browser.new_page(viewport={"width": 1440, "height": 1180}, locale="zh-CN")
                page.goto(f"http://127.0.0.1:{server.server_port}/runs/{run_id}/accounts/{ACCOUNT}?verdict=review")
                page.wait_for_function("() => [...document.images].every((image) => image.complete)")
                page.screenshot(path=str(target))
                browser.close()
        finally:
            server.shutdown()
    return target


if __name__ == "__main__":
    print(f"wrote {photograph().relative_to(ROOT)}")
