"""The browser layer: in-page requests (POSTs, downloads read only as far as needed), replay."""

from __future__ import annotations

import asyncio
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from playwright.async_api import async_playwright

from nmaudit.browser import BrowserOptions, BrowserSession, launch_chromium_described
from nmaudit.snapshots import AccountEvidence
from tests.emulator import Reply, json_reply

pytestmark = pytest.mark.browser

APK = b"PK\x03\x04" + bytes(range(256)) * 8192  # 2 MiB


def in_thread(coroutine):
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def requests(options: BrowserOptions, folder: Path, calls: list[tuple[str, dict]]):
    evidence = AccountEvidence(folder, "run", "account")
    async with BrowserSession(options) as browser:
        page = await browser.new_page()
        return [await browser.request(page, url, "call", evidence, **kwargs) for url, kwargs in calls], evidence


@pytest.fixture(scope="module")
def served(emulator):
    emulator.add("https://dl.example.gov.cn/app/baoji.apk",
                 Reply(body=APK, content_type="application/vnd.android.package-archive"))
    emulator.add("https://dl.example.gov.cn/app/gone.apk", Reply(body="<html><title>页面不存在</title></html>"))
    emulator.add("https://mp.weixin.qq.com/mp/homepage",
                 lambda request: json_reply({"method": request.method, "form": request.body.decode()}))
    return emulator


def test_a_download_is_read_only_as_far_as_asked(served, tmp_path):
    options = BrowserOptions(browser_args=served.browser_args, pace=0)
    (apk, missing), evidence = in_thread(requests(options, tmp_path, [
        ("https://dl.example.gov.cn/app/baoji.apk", {"max_bytes": 4096}),
        ("https://dl.example.gov.cn/app/gone.apk", {"max_bytes": 4096}),
    ]))
    assert apk.status == 200 and apk.truncated and apk.body[:4] == b"PK\x03\x04"
    assert len(apk.body) == 4096
    assert apk.content_type == "application/vnd.android.package-archive"
    assert missing.content_type.startswith("text/html") and "页面不存在" in missing.text
    kept = json.loads(Path(apk.evidence[0]).read_text())
    assert kept["status"] == 200 and kept["read_bytes"] == 4096 and kept["truncated"]
    assert Path(apk.evidence[1]).stat().st_size == 4096  # never the whole file


def test_a_post_from_the_page_and_its_replay(served, tmp_path):
    call = ("https://mp.weixin.qq.com/mp/homepage?__biz=MzA3&hid=1",
            {"method": "POST", "data": "action=appmsg_list&begin=0&count=5",
             "headers": {"Content-Type": "application/x-www-form-urlencoded"}})
    har = tmp_path / "capture.har"
    options = BrowserOptions(browser_args=served.browser_args, pace=0, record_har=str(har))
    (live,), _ = in_thread(requests(options, tmp_path / "live", [call]))
    assert live.json() == {"method": "POST", "form": "action=appmsg_list&begin=0&count=5"}
    offline = BrowserOptions(browser_args=["--host-resolver-rules=MAP * 127.0.0.1:9"], replay_har=str(har))
    (replayed,), _ = in_thread(requests(offline, tmp_path / "replay", [call]))
    assert replayed.json() == live.json()


def test_a_request_missing_from_the_capture_fails_like_the_network(served, tmp_path):
    har = tmp_path / "empty.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": []}}))
    options = BrowserOptions(browser_args=["--host-resolver-rules=MAP * 127.0.0.1:9"], replay_har=str(har))
    (fetched,), _ = in_thread(requests(options, tmp_path, [("https://dl.example.gov.cn/app/baoji.apk", {})]))
    assert fetched.status is None and fetched.error and "TypeError" in fetched.error


async def downloads(options: BrowserOptions, folder: Path, urls: list[str]):
    evidence = AccountEvidence(folder, "run", "account")
    async with BrowserSession(options) as browser:
        page = await browser.new_page()
        return [await browser.download(page, url, "download", evidence, max_bytes=4096) for url in urls]


@pytest.fixture(scope="module")
def download_server(served):
    served.add("https://appgallery.cloud.huawei.com/appdl/C100000001", Reply(
        status=302, headers={"Location": "https://appdl-drcn.dbankcdn.com/dl/cn.gov.baoji.app.2511201030.apk"}))
    served.add("https://appdl-drcn.dbankcdn.com/dl/cn.gov.baoji.app.2511201030.apk",
               Reply(body=APK, content_type="application/octet-stream",
                     headers={"Content-Disposition": "attachment; filename=cn.gov.baoji.app.apk"}))
    return served


def test_a_download_link_is_followed_across_hosts_and_read_in_part(download_server, tmp_path):
    har = tmp_path / "capture.har"
    urls = ["https://appgallery.cloud.huawei.com/appdl/C100000001", "https://dl.example.gov.cn/app/gone.apk"]
    options = BrowserOptions(browser_args=download_server.browser_args, pace=0, record_har=str(har))
    apk, soft_404 = in_thread(downloads(options, tmp_path / "live", urls))
    assert apk.is_download and apk.status == 200 and apk.body[:4] == b"PK\x03\x04" and len(apk.body) == 4096
    assert apk.url == urls[0] and apk.final_url.endswith("cn.gov.baoji.app.2511201030.apk")
    assert not soft_404.is_download and "页面不存在" in soft_404.text
    assert [Path(path).suffix for path in soft_404.evidence] == [".jpg", ".html"]
    # Nothing of the package beyond the first bytes was saved anywhere we keep.
    assert max(Path(path).stat().st_size for path in apk.evidence) <= 4096

    offline = BrowserOptions(browser_args=["--host-resolver-rules=MAP * 127.0.0.1:9"], replay_har=str(har))
    again, _ = in_thread(downloads(offline, tmp_path / "replay", urls))
    assert (again.status, again.final_url, again.body) == (apk.status, apk.final_url, apk.body)


#: The system's Chromium builds present here: the headless build nmaudit prefers, and the full
#: browser it falls back to (a window per page matters there; README, Speed).
BUILDS = [pytest.param(path, id=name) for name in ("chromium-headless-shell", "chromium")
          if (path := shutil.which(name))]


@pytest.mark.parametrize("executable", BUILDS)
def test_pages_open_in_windows_of_their_own_and_a_popup_is_not_taken_for_one(served, executable):
    """Tabs sharing a window wait now and then a whole second for a frame (README, Speed):
    every page nmaudit opens has its own window, even while another page opens a popup;
    with the full browser and with the headless build."""
    served.add("https://popup.example.gov.cn/", Reply(
        body="<html><body><script>window.open('/other')</script></body></html>"))
    served.add("https://popup.example.gov.cn/other", Reply(body="<html><title>弹窗</title></html>"))

    async def scenario():
        options = BrowserOptions(browser_args=served.browser_args, pace=0, executable=executable)
        async with BrowserSession(options) as browser:
            first = await browser.new_page()
            opening = asyncio.ensure_future(first.goto("https://popup.example.gov.cn/"))
            pages = [first, *await asyncio.gather(*(browser.new_page() for _ in range(3)))]
            await opening
            devtools = await first.context.browser.new_browser_cdp_session()
            windows = [(await devtools.send("Browser.getWindowForTarget", {"targetId": browser._targets[page]}))
                       ["windowId"] for page in pages]
            return windows, len(set(pages)), [page.url for page in pages[1:]]

    windows, distinct, urls = in_thread(scenario())
    assert distinct == 4 and len(set(windows)) == 4
    assert urls == ["about:blank"] * 3  # none of them is the popup


@pytest.mark.skipif(not (shutil.which("chromium-headless-shell") and shutil.which("chromium")),
                    reason="needs both of Debian's Chromium builds")
def test_the_headless_build_is_preferred_to_the_full_browser():
    async def described() -> str:
        async with async_playwright() as playwright:
            browser, description = await launch_chromium_described(playwright, None, [])
            await browser.close()
            return description

    description = in_thread(described())
    if description.endswith("(Playwright build)"):
        pytest.skip("Playwright's own build is installed, and comes first")
    assert description.endswith(f"({shutil.which('chromium-headless-shell')})")


def test_the_memory_limit_is_read_at_most_every_few_seconds(served, monkeypatch):
    import nmaudit.browser as browser_module

    async def scenario():
        options = BrowserOptions(browser_args=served.browser_args, pace=0, memory_limit_mb=1, recycle_every=0)
        async with BrowserSession(options) as browser:
            await browser.new_page()
            readings = []
            measure = browser.memory_mb
            monkeypatch.setattr(browser, "memory_mb", lambda: readings.append(1) or measure())
            browser.accounts_since_launch = 1
            first, second = browser.recycle_due(), browser.recycle_due()
            monkeypatch.setattr(browser_module, "MEMORY_CHECK_EVERY", 0.0)
            third = browser.recycle_due()
            return first, second, third, len(readings)

    first, second, third, readings = in_thread(scenario())
    assert first and first.endswith(" MB") and second == first and third and readings == 2
