"""Signed-in sessions: a staff member signs in once by QR code, the audit reads as them.

A cookieless visitor is walled off quickly on some platforms (Douyin's login panel and
验证码中间页, Weibo's visitor wall, Xiaohongshu showing no publication times). `nmaudit login
PLATFORM` (or the review app's 登录 page) opens the platform's login page in headless Chromium
on the machine that audits (or on a pool endpoint), shows its QR code, waits for the phone's
confirmation, and keeps the browser's storage state (Playwright's cookies and local storage)
per platform and endpoint, readable by its owner only (mode 600, folder 700).

An audit loads the sessions of each endpoint into that endpoint's browser. The first page on a
platform's hosts after its session lapsed (the signed-in cookie gone, or a redirect to a login
page: the platform's logged-out markers) ends the session for the rest of the run on that
endpoint: its cookies are cleared, the run goes on as a visitor, and the operator is told once.

A session never reaches evidence, HAR recordings (Cookie, Set-Cookie and Authorization are
stripped by the browser layer), logs or the review pages: only its platform, endpoint and time
are ever shown.

The platforms' login pages are not captured in ../shared/real-pages: the QR selectors and
cookie names below follow public scrapers' source (MediaCrawler and the like) and are checked
against emulated login pages only.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from .errors import UsageError

#: Where sessions are kept unless told otherwise (--sessions, $NMAUDIT_SESSIONS).
DEFAULT_FOLDER = "sessions"
LOCAL = "local"


@dataclass(frozen=True)
class SessionPlatform:
    """What signing in to one platform takes, and what it buys."""

    key: str
    label: str
    login_url: str
    #: The QR code on the login page (an <img> or <canvas>), screenshot for the staff member.
    qr_selector: str
    #: The cookie whose presence means signed in (gone or expired: the session lapsed).
    cookie: str
    #: The domains whose cookies belong to the session (cleared when it lapses).
    domains: tuple[str, ...]
    #: The reads that benefit, as staff read them (nmaudit login --list, registry coverage).
    helps: str

    def owns(self, host: str) -> bool:
        host = host.lower()
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)


SESSION_PLATFORMS: dict[str, SessionPlatform] = {
    "douyin": SessionPlatform(
        "douyin", "抖音", "https://www.douyin.com/", "#animate_qrcode_container img", "sessionid",
        ("douyin.com",), "抖音主页与用户搜索（访客很快遇到登录面板与验证码中间页）"),
    "kuaishou": SessionPlatform(
        "kuaishou", "快手", "https://www.kuaishou.com/", ".qrcode-img img, img.qrcode-img", "passToken",
        ("kuaishou.com",), "快手主页与用户搜索（访客常被要求验证）"),
    "xiaohongshu": SessionPlatform(
        "xiaohongshu", "小红书", "https://www.xiaohongshu.com/explore", "img.qrcode-img", "web_session",
        ("xiaohongshu.com",), "小红书笔记与发布时间（访客看不到发布时间）"),
    "weibo": SessionPlatform(
        "weibo", "微博", "https://passport.weibo.com/sso/signin?entry=miniblog&source=miniblog",
        "img[src*='qr'], .qrcode img", "SUB", ("weibo.com", "weibo.cn", "sina.com.cn"),
        "微博资料、微博列表与用户搜索（访客验证页）"),
}


def platform_of(key: str) -> SessionPlatform:
    try:
        return SESSION_PLATFORMS[key]
    except KeyError:
        raise UsageError(f"无法登录“{key}”：可登录的平台为 {', '.join(SESSION_PLATFORMS)}") from None


def endpoint_key(endpoint: Optional[str]) -> str:
    """A file-name-safe key for a browser endpoint: "local" for this machine's Chromium,
    host_port_path for a browser server (its query, which may hold a token, left out)."""
    if not endpoint:
        return LOCAL
    parts = urlsplit(endpoint)
    return re.sub(r"[^A-Za-z0-9.-]+", "_", f"{parts.hostname or ''}_{parts.port or ''}{parts.path}").strip("_")


@dataclass(frozen=True)
class SavedSession:
    """A kept session, as staff see it (never its cookies)."""

    platform: str
    endpoint: str  # endpoint_key
    saved_at: datetime
    expires_at: Optional[datetime]  # the signed-in cookie's expiry; None: a browser-session cookie

    @property
    def label(self) -> str:
        return SESSION_PLATFORMS[self.platform].label if self.platform in SESSION_PLATFORMS else self.platform

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= datetime.now(timezone.utc)


class SessionStore:
    """Sessions on disk: <folder>/<platform>@<endpoint>.json, owner-only."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, platform: str, endpoint: Optional[str]) -> Path:
        return self.folder / f"{platform}@{endpoint_key(endpoint)}.json"

    def save(self, platform: str, endpoint: Optional[str], state: dict[str, Any]) -> SavedSession:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        saved_at = datetime.now(timezone.utc).replace(microsecond=0)
        document = {"platform": platform, "endpoint": endpoint_key(endpoint), "saved_at": saved_at.isoformat(),
                    "storage_state": state}
        target = self.path(platform, endpoint)
        temporary = target.with_suffix(".part")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(document, file, ensure_ascii=False)
        os.chmod(temporary, 0o600)  # whatever the umask
        os.replace(temporary, target)
        return self._described(document)

    def _read(self, path: Path) -> Optional[dict[str, Any]]:
        try:
            if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                os.chmod(path, 0o600)  # a copy made readable by others is made owner-only again
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return document if isinstance(document, dict) and isinstance(document.get("storage_state"), dict) else None

    def _described(self, document: dict[str, Any]) -> SavedSession:
        platform = str(document.get("platform"))
        spec = SESSION_PLATFORMS.get(platform)
        expiry = None
        for cookie in document["storage_state"].get("cookies", []):
            if spec and cookie.get("name") == spec.cookie and (cookie.get("expires") or -1) > 0:
                expiry = datetime.fromtimestamp(cookie["expires"], timezone.utc).replace(microsecond=0)
        try:
            saved_at = datetime.fromisoformat(str(document.get("saved_at")))
        except ValueError:
            saved_at = datetime.fromtimestamp(0, timezone.utc)
        return SavedSession(platform, str(document.get("endpoint")), saved_at, expiry)

    def entries(self) -> list[SavedSession]:
        if not self.folder.is_dir():
            return []
        found = [self._read(path) for path in sorted(self.folder.glob("*@*.json"))]
        return [self._described(document) for document in found if document is not None]

    def states(self, endpoint: Optional[str]) -> dict[str, dict[str, Any]]:
        """The storage states kept for `endpoint`, by platform."""
        states = {}
        for platform in SESSION_PLATFORMS:
            document = self._read(self.path(platform, endpoint)) if self.path(platform, endpoint).exists() else None
            if document is not None:
                states[platform] = document["storage_state"]
        return states

    def forget(self, platform: str, endpoint: Optional[str] = None, every_endpoint: bool = False) -> int:
        """Delete a platform's session (on one endpoint, or on all); how many were deleted."""
        paths = (list(self.folder.glob(f"{platform}@*.json")) if every_endpoint
                 else [self.path(platform, endpoint)])
        removed = 0
        for path in paths:
            if path.exists():
                path.unlink()
                removed += 1
        return removed


def merged_state(states: dict[str, dict[str, Any]]) -> Optional[dict[str, Any]]:
    """One storage state for a browser context out of several platforms' (None when none)."""
    if not states:
        return None
    cookies = [cookie for state in states.values() for cookie in state.get("cookies", [])]
    origins = [origin for state in states.values() for origin in state.get("origins", [])]
    return {"cookies": cookies, "origins": origins}


# -- showing the QR code -------------------------------------------------------------------------

def qr_text(png: bytes) -> Optional[str]:
    """What the QR code in a screenshot says, or None when none can be read."""
    import zxingcpp
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except OSError:
        return None
    found = [result.text for result in zxingcpp.read_barcodes(image) if result.text]
    return found[0] if found else None


def terminal_qr(text: str) -> str:
    """The QR code of `text` drawn in the terminal (two rows a line), for a phone to scan."""
    import segno

    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True)
    return out.getvalue()


@dataclass(frozen=True)
class QrCode:
    png: bytes  # the login page's QR code as rendered
    text: Optional[str]  # what it says, when it could be read


# -- signing in --------------------------------------------------------------------------------

async def signed_in(context: Any, spec: SessionPlatform) -> bool:
    """The context holds the platform's signed-in cookie, unexpired."""
    now = time.time()
    for cookie in await context.cookies():
        if (cookie.get("name") == spec.cookie and cookie.get("value") and spec.owns(cookie.get("domain", "").lstrip("."))
                and (cookie.get("expires", -1) <= 0 or cookie["expires"] > now)):
            return True
    return False


async def sign_in(platform: str, store: SessionStore, browser_options: Any, show: Callable[[QrCode], None],
                  wait: float = 180.0, poll: float = 1.0) -> SavedSession:
    """Open `platform`'s login page in headless Chromium (local, or `browser_options.endpoint`),
    show its QR code each time it changes, wait up to `wait` seconds for the phone's
    confirmation, and keep the session. UsageError when the page shows no QR code or nobody
    confirmed in time."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    from .browser import connect_chromium, launch_chromium_described

    spec = platform_of(platform)
    async with async_playwright() as playwright:
        if browser_options.endpoint:
            chromium, _ = await connect_chromium(playwright, browser_options.endpoint, browser_options.browser_args,
                                                 browser_options.remote_executable, browser_options.connect_timeout)
        else:
            chromium, _ = await launch_chromium_described(playwright, browser_options.executable,
                                                          browser_options.browser_args)
        try:
            width, height = browser_options.viewport
            context = await chromium.new_context(
                viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai",
                ignore_https_errors="--ignore-certificate-errors" in browser_options.browser_args)
            page = await context.new_page()
            try:
                await page.goto(spec.login_url, timeout=browser_options.timeout * 1000)
            except PlaywrightError as error:
                raise UsageError(f"无法打开{spec.label}登录页面 {spec.login_url}：{str(error).splitlines()[0]}") from None
            deadline = time.monotonic() + wait
            shown: Optional[bytes] = None
            while not await signed_in(context, spec):
                if time.monotonic() > deadline:
                    what = "未在手机上确认登录" if shown else "登录页面未显示二维码"
                    raise UsageError(f"{spec.label}登录未完成：{wait:g} 秒内{what}")
                try:
                    png = await page.locator(spec.qr_selector).first.screenshot(timeout=poll * 1000)
                except PlaywrightError:
                    png = None  # not drawn yet, or gone once scanned
                if png and png != shown:
                    shown = png
                    show(QrCode(png, qr_text(png)))
                await asyncio.sleep(poll)
            state = await context.storage_state()
        finally:
            try:
                await chromium.close()
            except PlaywrightError:
                pass
    return store.save(platform, browser_options.endpoint, state)


# -- during an audit -----------------------------------------------------------------------------

#: Where a platform sends a browser whose session it no longer accepts.
LOGIN_MARKERS = ("passport.", "/login", "signin", "/sso/")


@dataclass
class Lapse:
    platform: str
    endpoint: str
    account_id: str
    why: str

    @property
    def message(self) -> str:
        label = SESSION_PLATFORMS[self.platform].label
        where = "" if self.endpoint == LOCAL else f"（端点 {self.endpoint}）"
        return (f"{label}登录已失效{where}：检查账号 {self.account_id} 时发现（{self.why}），"
                f"本次其余账号以访客身份检查；请重新登录：nmaudit login {self.platform}")


class SessionWatch:
    """Which sessions each browser of a run holds, and their lapses (each told once)."""

    def __init__(self, told: Callable[[Lapse], None] = lambda lapse: None):
        self.told = told
        self.active: dict[int, tuple[str, set[str]]] = {}  # id(browser) -> (endpoint key, platforms)
        self.loaded: list[str] = []  # "抖音（本机）"...: what the run started with
        self.lapses: list[Lapse] = []

    def holds(self, browser: Any, endpoint: Optional[str], platforms: list[str]) -> None:
        key = endpoint_key(endpoint)
        self.active[id(browser)] = (key, set(platforms))
        where = "本机" if key == LOCAL else f"端点 {key}"
        self.loaded += [label for platform in platforms
                        if (label := f"{SESSION_PLATFORMS[platform].label}（{where}）") not in self.loaded]

    def used(self) -> list[str]:
        """The sessions the run was started with, for its summary: "抖音（本机）"..."""
        return list(self.loaded)

    async def after(self, browser: Any, fetched: Any, account_id: str) -> None:
        """Check a page just fetched: on a signed-in platform's host, a session whose cookie is
        gone or that was sent to a login page has lapsed."""
        endpoint, platforms = self.active.get(id(browser), (LOCAL, set()))
        host = urlsplit(fetched.url).hostname or ""
        for platform in list(platforms):
            spec = SESSION_PLATFORMS[platform]
            if not spec.owns(host):
                continue
            why = None
            landed = [*fetched.redirects, fetched.final_url, getattr(fetched, "landed_url", None)]
            if any(url and url != fetched.url and any(marker in url.lower() for marker in LOGIN_MARKERS)
                   for url in landed):
                why = "页面被引导至登录页"
            elif not await browser.has_cookie(spec.cookie, spec.domains):
                why = f"登录凭据（{spec.cookie}）已被平台清除或过期"
            if why is None:
                continue
            platforms.discard(platform)
            await browser.forget_cookies(spec.domains)
            lapse = Lapse(platform, endpoint, account_id, why)
            first = not any(earlier.platform == platform for earlier in self.lapses)
            self.lapses.append(lapse)
            if first:
                self.told(lapse)
