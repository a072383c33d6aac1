"""The one place that launches Chromium, reuses pages, paces hosts, records and replays.

Every request nmaudit makes is a navigation of a Chromium page, so that HAR recording,
replay and the evidence (a viewport JPEG and the body as fetched) see all of it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Optional
from urllib.parse import parse_qsl, urljoin, urlsplit

from playwright.async_api import (
    Browser, BrowserContext, CDPSession, Download, Page, Playwright, Request, Response, Route, async_playwright,
)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from .dates import BEIJING, now, to_beijing
from .errors import BrowserUnavailable, UsageError
from .pool import redact
from .snapshots import AccountEvidence, body_extension

HOW_TO_GET_A_BROWSER = (
    "no usable Chromium found. Run 'nmaudit install', or install one yourself: "
    "on Debian 'apt-get install -y chromium-headless-shell chromium fonts-noto-cjk' (as root; "
    "on Ubuntu 'chromium-browser' for the first two); "
    "elsewhere 'playwright install chromium'; or point at a browser with --executable PATH."
)

#: Debian's, Ubuntu's and Google's names, in order of preference after Playwright's own build.
#: Chromium's headless build comes first: the full browser run headless still opens windows
#: with a toolbar, and renders address-bar pages (two per window) in a renderer of their own,
#: which costs about as much CPU as the pages audited (measured: 1.5x the accounts per
#: second with the headless build, same work, same machine; README, "Speed").
SYSTEM_BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome",
                   "google-chrome-stable", "chrome")

#: Flags that keep Chromium from phoning home (refused on closed networks, and noise in HARs).
QUIET_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

RETRY_STATUSES = {418, 429, 432, 500, 502, 503, 504}

#: The largest answer read whole (a platform's page or JSON is far smaller): a larger
#: Content-Length is refused, a longer stream is cut off, and the account is 待复核.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Seconds between two readings of the browser's memory for memory_limit_mb.
MEMORY_CHECK_EVERY = 10.0
#: Seconds for the calls that should take none: opening, probing and closing a page.
QUICK_CALL = 10.0
#: Seconds a page close may take before the page's target is closed through the browser.
CLOSE_WAIT = 5.0
#: Seconds a page may take to render the answers capture() waited for, before its screenshot.
CAPTURE_SETTLE = 0.3
#: Resolves after the page has painted two more frames.
#: Resolves with the document's title once the page has painted twice.
TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(document.title))))"
#: The most of a rendered DOM kept (capture(keep_dom=True)), in characters.
MAX_DOM_CHARS = 4 * 1024 * 1024
#: What a page that stopped answering is reported as.
HUNG_PAGE = "页面无响应（脚本占满渲染进程），已关闭"
#: The largest document (a page or frame's HTML) a page may load: a renderer parses what it is
#: sent into many times its size (measured: three pages each streaming 32 MB of markup took the
#: browser's processes to 1.2 GB; at 8 MB, 0.55 GB). A platform's page is a few hundred KB.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024


class BrowserCrashed(Exception):
    """Chromium died or disconnected under a request: the audit relaunches it and redoes the account."""

#: Where a page stands, on a host's own origin, to fetch() from it. Served locally, never requested.
BLANK_PATH = "/__nmaudit_blank__"

#: fetch() in the page: status, final URL, headers, and the body up to maxBytes (then cancelled).
IN_PAGE_FETCH = """
async ({url, method, data, headers, maxBytes, limit, timeout}) => {
  try {
    const response = await fetch(url, {method, headers, body: data ?? undefined,
      credentials: "include", redirect: "follow", signal: AbortSignal.timeout(timeout)});
    const declared = Number(response.headers.get("content-length") || 0);
    if (!maxBytes && limit && declared > limit) {
      await response.body?.cancel();
      return {error: `too large: Content-Length ${declared}`, tooLarge: declared};
    }
    const parts = [];
    let size = 0, truncated = false;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const {done, value} = await reader.read();
        if (done) break;
        parts.push(value);
        size += value.length;
        if (maxBytes && size >= maxBytes) { truncated = true; await reader.cancel(); break; }
        if (!maxBytes && limit && size > limit) {
          await reader.cancel();
          return {error: `too large: more than ${limit} bytes`, tooLarge: size};
        }
      }
    }
    let binary = "";
    for (const part of parts) for (let i = 0; i < part.length; i += 8192)
      binary += String.fromCharCode.apply(null, part.subarray(i, i + 8192));
    if (maxBytes) binary = binary.slice(0, maxBytes);
    return {status: response.status, url: response.url, redirected: response.redirected,
            headers: Object.fromEntries(response.headers.entries()), body: btoa(binary), truncated};
  } catch (error) {
    return {error: `${error.name}: ${error.message}`};
  }
}
"""


BLANK_PAGE = "<!DOCTYPE html><title></title>"

#: Whether a host answers at all: any HTTP answer counts (an opaque one included); a DNS, connect,
#: TLS or proxy failure, or no answer within the bound, is the error's name.
PROBE = """
async ({url, timeout}) => {
  try {
    await fetch(url, {method: "HEAD", mode: "no-cors", cache: "no-store",
                      signal: AbortSignal.timeout(timeout)});
    return null;
  } catch (error) {
    return error.name === "TimeoutError" ? `no answer within ${timeout / 1000}s` : `${error.name}: ${error.message}`;
  }
}
"""
#: Seconds a preflight probe may take.
PROBE_TIMEOUT = 5.0


async def _serve_blank(route: Route) -> None:
    await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=BLANK_PAGE)


@dataclass
class BrowserOptions:
    executable: Optional[str] = None
    browser_args: list[str] = field(default_factory=list)
    timeout: float = 30.0  # seconds per navigation
    pace: float = 0.5  # seconds between two requests to one host
    host_pace: dict[str, float] = field(default_factory=dict)  # hosts with their own interval (Sogou)
    retries: int = 2  # further attempts after 418/429/432/5xx or a network error
    backoff: float = 2.0  # seconds before the first retry, doubling after
    jpeg_quality: int = 70
    viewport: tuple[int, int] = (1280, 900)
    record_har: Optional[str] = None
    replay_har: Optional[str] = None
    har_note: dict[str, Any] = field(default_factory=dict)  # written into a recorded HAR
    max_body_bytes: int = MAX_BODY_BYTES  # an answer larger than this is refused (待复核)
    max_document_bytes: int = MAX_DOCUMENT_BYTES  # a page's HTML larger than this: the page is stopped (待复核)
    recycle_every: int = 500  # accounts before the browser is relaunched (memory stays flat); 0: never
    memory_limit_mb: int = 1500  # the browser's processes past this (PSS): relaunched between accounts
    #: A Playwright browser server (ws://host:port/path) to connect to instead of launching Chromium.
    endpoint: Optional[str] = None
    #: The Chromium on the server's machine, asked for in the launch options (servers run with --unsafe).
    remote_executable: Optional[str] = None
    connect_timeout: float = 20.0  # seconds to reach a browser server and get its browser
    #: Playwright's per-context proxy: {"server": ..., "username": ..., "password": ...}.
    proxy: Optional[dict[str, str]] = None
    #: Signed-in sessions (sessions.py): a Playwright storage state loaded into the context.
    storage_state: Optional[dict[str, Any]] = None


#: Headers that carry a session: never kept in a recording or an evidence file.
SECRET_HEADERS = frozenset({"cookie", "set-cookie", "authorization"})


def public_headers(headers: dict[str, str]) -> dict[str, str]:
    """`headers` without those that carry a session (Cookie, Set-Cookie, Authorization)."""
    return {name: value for name, value in headers.items() if name.lower() not in SECRET_HEADERS}


def strip_har_secrets(document: dict[str, Any]) -> None:
    """Drop what carries a session from a HAR: those headers, and the parsed cookie lists."""
    for entry in document.get("log", {}).get("entries", []):
        for part in (entry.get("request", {}), entry.get("response", {})):
            part["headers"] = [header for header in part.get("headers", [])
                               if str(header.get("name", "")).lower() not in SECRET_HEADERS]
            if "cookies" in part:
                part["cookies"] = []


@dataclass
class Fetched:
    """One navigation's outcome: what came back, when, and the evidence kept of it."""

    url: str
    final_url: str
    status: Optional[int]
    content_type: str
    body: bytes
    fetched_at: datetime
    error: Optional[str] = None
    redirects: list[str] = field(default_factory=list)
    attempts: int = 1
    evidence: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False  # the body was read only as far as asked (downloads)
    sent_at: float = 0.0  # epoch seconds when Chromium sent the request, for pacing
    is_download: bool = False  # Chromium took the answer for a file to save, not a page
    too_large: bool = False  # refused or cut off past the size cap
    hung: bool = False  # the page stopped answering (a script that never returns)
    dialogs: list[dict[str, str]] = field(default_factory=list)  # dialogs the page opened, dismissed
    #: capture(): the answers the page's own scripts fetched whose URL matched, in arrival order
    captured: list["Fetched"] = field(default_factory=list)
    #: capture(): where the page stood and what its title was once the wait was over (a script
    #: may have replaced the page by a captcha or login page after it loaded)
    landed_url: str = ""
    rendered_title: str = ""
    rendered_html: str = ""  # capture(keep_dom=True): the DOM as rendered, capped

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (an HTML wall, an error page)."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class HostPacer:
    """Keeps the requests to one host at least `interval` seconds apart, and cools hosts down.

    Requests to a paced host go one at a time, and the next may start only `interval` after
    the previous one started: reserving slots ahead would let page work between the slot
    and the real request squeeze two requests closer than the platform tolerates.
    """

    def __init__(self, interval: float, per_host: Optional[dict[str, float]] = None,
                 clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock  # seconds, monotonic (the schedule simulation runs on a clock of its own)
        self.per_host = dict(per_host or {})  # hosts that need their own, longer interval
        self._next_slot: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._halted: dict[str, HostHalt] = {}
        self._queued: dict[str, int] = {}  # requests waiting for the host's next slot

    def interval_for(self, host: str) -> float:
        return self.per_host.get(host, self.interval)

    def halt(self, host: str, reason: str, evidence: list[str]) -> None:
        """Stop asking `host` for the rest of the run (a captcha wall: more requests only make it
        worse). The first halt's reason and evidence are kept for the accounts that follow."""
        self._halted.setdefault(host, HostHalt(host, reason, list(evidence)))

    def halted(self, host: str) -> Optional["HostHalt"]:
        return self._halted.get(host)

    def ready_in(self, host: str) -> float:
        return max(0.0, self._next_slot.get(host, 0.0) - self.clock())

    def backlog(self, host: str) -> float:
        """Seconds until a request joining now would go: the next slot, and the slots of the
        requests already waiting for the host (to compare endpoints, which each have a pacer)."""
        return self.ready_in(host) + self._queued.get(host, 0) * self.interval_for(host)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator["HostSlot"]:
        """Hold the host for one request; report Chromium's own start time through the slot."""
        held = HostSlot()
        interval = self.interval_for(host)
        if interval <= 0:
            await asyncio.sleep(self.ready_in(host))  # cool-downs still apply
            yield held
            return
        lock = self._locks.setdefault(host, asyncio.Lock())
        self._queued[host] = self._queued.get(host, 0) + 1
        try:
            while True:
                # Wait for the host's next slot without holding it: another request's cool-down
                # (a retry's back-off) must not keep every other request queued behind the lock.
                await asyncio.sleep(self.ready_in(host))
                await lock.acquire()
                if self.ready_in(host) <= 0:
                    break
                lock.release()
        finally:
            self._queued[host] -= 1
        try:
            held.started = self.clock()
            try:
                yield held
            finally:
                self._next_slot[host] = max(self._next_slot.get(host, 0.0), held.started + interval)
        finally:
            lock.release()

    def cool_down(self, host: str, seconds: float) -> None:
        self._next_slot[host] = max(self._next_slot.get(host, 0.0), self.clock() + seconds)


@dataclass
class HostHalt:
    """A host nmaudit stopped asking during this run, why, and the page that showed why."""

    host: str
    reason: str
    evidence: list[str]


@dataclass
class HostSlot:
    started: float = 0.0  # time.monotonic() of the request's start

    def started_at_epoch(self, epoch_seconds: float) -> None:
        """Chromium's send time is later than ours when the loop was busy or a connection was set up."""
        if epoch_seconds <= 0:
            return
        self.started = max(self.started, time.monotonic() - (time.time() - epoch_seconds))


class HarIndex:
    """What a recorded HAR holds, for a replay to judge exactly as the run did: when each
    response was fetched (so "3小时前" resolves alike), the run's check time, and which
    navigations became downloads (replayed without navigating: Playwright's HAR router
    cannot serve a navigation that turns into a download)."""

    def __init__(self, path: str):
        try:
            log = json.loads(Path(path).read_text(encoding="utf-8"))["log"]
        except (OSError, ValueError, KeyError) as error:
            raise UsageError(f"{path}: not a readable HAR file ({error})") from None
        self.entries: dict[str, dict[str, Any]] = {}
        self.times: dict[str, datetime] = {}
        #: A page's own calls (fetch, XHR) by method, scheme, host and path, for serve_resigned.
        self._calls: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
        #: URLs a replayed page asked -> the recorded call that answered them (serve_resigned).
        self.resigned: dict[str, str] = {}
        for entry in log.get("entries", []):
            url = entry["request"]["url"]
            if entry.get("_resourceType") in ("fetch", "xhr") and "?" in url:
                parts = urlsplit(url)
                key = (entry["request"].get("method", "GET"), parts.scheme, parts.netloc, parts.path)
                self._calls.setdefault(key, []).append(entry)
            started = datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
            self.times.setdefault(url, to_beijing(started))
            self.entries.setdefault(url, entry)
        note = log.get("_nmaudit") or {}
        self.as_of = datetime.fromisoformat(note["as_of"]) if note.get("as_of") else None
        self.downloads = set(note.get("downloads") or [])
        self.latest = max(self.times.values(), default=None)

    def time_for(self, url: str) -> Optional[datetime]:
        return self.times.get(url)

    @property
    def has_calls(self) -> bool:
        """The recording holds calls a page's own script made (capture())."""
        return bool(self._calls)

    async def serve_resigned(self, route: Route) -> None:
        """Replay a page's own call (fetch or XHR) that the HAR holds only with another query:
        signed calls (Douyin's a_bogus and msToken, Bilibili's wts and w_rid) carry the page's
        clock or a random token, so the replayed page asks with a URL that was never recorded.
        Answered by the recorded call to the same method, host and path whose query shares the
        most parameters; anything else goes on to the HAR router as before."""
        request = route.request
        if request.url in self.entries or request.resource_type not in ("fetch", "xhr"):
            await route.fallback()
            return
        parts = urlsplit(request.url)
        candidates = self._calls.get((request.method, parts.scheme, parts.netloc, parts.path), [])
        if not candidates:
            await route.fallback()
            return
        asked = set(parse_qsl(parts.query, keep_blank_values=True))
        entry = max(candidates, key=lambda e: len(asked & set(parse_qsl(urlsplit(e["request"]["url"]).query,
                                                                          keep_blank_values=True))))
        self.resigned[request.url] = entry["request"]["url"]
        response = entry["response"]
        content = response.get("content") or {}
        text = content.get("text") or ""
        body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode("utf-8")
        headers = {h["name"]: h["value"] for h in response.get("headers", [])
                   if h["name"].lower() not in ("content-length", "content-encoding", "transfer-encoding")}
        await route.fulfill(status=response["status"], headers=headers, body=body)

    def recorded_download(self, url: str) -> Optional["Fetched"]:
        """A navigation that became a download, as recorded: status, headers, redirects."""
        if url not in self.downloads:
            return None
        chain, current = [], url
        while (entry := self.entries.get(current)) and entry["response"].get("redirectURL") and len(chain) < 20:
            chain.append(current)
            current = urljoin(current, entry["response"]["redirectURL"])
        entry = self.entries.get(current)
        if entry is None:
            return None
        headers = {h["name"].lower(): h["value"] for h in entry["response"].get("headers", [])}
        return Fetched(url=url, final_url=current, status=entry["response"]["status"],
                       content_type=headers.get("content-type", ""), body=b"",
                       fetched_at=self.time_for(url) or self.latest or now(), redirects=chain,
                       headers=headers, is_download=True)


def capture_time(har_path: str) -> Optional[datetime]:
    """The check time of a recorded run: its own as_of, else its last response."""
    index = HarIndex(har_path)
    return index.as_of or index.latest


def _managed_browser_present(playwright: Playwright) -> bool:
    try:
        return Path(playwright.chromium.executable_path).exists()
    except PlaywrightError:
        return False


def browser_candidates(playwright: Playwright, executable: Optional[str]) -> list[Optional[str]]:
    """Executables to try, best first; None stands for Playwright's own build."""
    if executable:
        if not (Path(executable).exists() or shutil.which(executable)):
            raise BrowserUnavailable(f"--executable {executable}: no such file. {HOW_TO_GET_A_BROWSER}")
        return [shutil.which(executable) or executable]
    candidates: list[Optional[str]] = [None] if _managed_browser_present(playwright) else []
    candidates += [path for name in SYSTEM_BROWSERS if (path := shutil.which(name))]
    return candidates


#: The header a Playwright browser server reads the browser's launch options from.
LAUNCH_OPTIONS_HEADER = "x-playwright-launch-options"


def remote_launch_options(args: list[str], executable: Optional[str] = None) -> dict[str, Any]:
    """What the server is asked to launch: headless, our flags (a server started without
    --unsafe ignores args and executablePath and launches its own build)."""
    options: dict[str, Any] = {"headless": True, "args": QUIET_FLAGS + list(args)}
    if executable:
        options["executablePath"] = executable
    return options


async def connect_chromium(playwright: Playwright, endpoint: str, args: list[str],
                           executable: Optional[str] = None, timeout: float = 20.0) -> tuple[Browser, str]:
    """The browser of a Playwright browser server, and its description; BrowserUnavailable
    when the server cannot be reached or cannot start a browser."""
    headers = {LAUNCH_OPTIONS_HEADER: json.dumps(remote_launch_options(args, executable))}
    try:
        browser = await asyncio.wait_for(
            playwright.chromium.connect(endpoint, headers=headers, timeout=timeout * 1000), timeout + 5)
    except (PlaywrightError, asyncio.TimeoutError, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BrowserUnavailable(f"browser endpoint {redact(endpoint)}: {first}") from None
    return browser, f"Chromium {browser.version} ({redact(endpoint)})"


async def launch_chromium(playwright: Playwright, executable: Optional[str], args: list[str]) -> Browser:
    """Launch the first Chromium that starts; BrowserUnavailable says how to get one."""
    browser, _ = await launch_chromium_described(playwright, executable, args)
    return browser


async def launch_chromium_described(playwright: Playwright, executable: Optional[str],
                                    args: list[str]) -> tuple[Browser, str]:
    """Like launch_chromium, also saying which browser started: 'Chromium 131.0 (/usr/bin/chromium)'."""
    failures = []
    for candidate in browser_candidates(playwright, executable):
        try:
            browser = await playwright.chromium.launch(
                executable_path=candidate, headless=True, args=QUIET_FLAGS + list(args)
            )
            return browser, f"Chromium {browser.version} ({candidate or 'Playwright build'})"
        except PlaywrightError as error:
            failures.append(f"{candidate or 'Playwright Chromium'}: {str(error).splitlines()[0]}")
    detail = ("; ".join(failures) + ". ") if failures else ""
    raise BrowserUnavailable(detail + HOW_TO_GET_A_BROWSER)


#: Page numbers in the printed notice's footer (Chromium fills in the two spans).
PDF_FOOTER = (
    '<div style="width:100%;font-size:9px;text-align:center;color:#555">'
    '第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>'
)


async def print_pdf(html: str, folder: Path, executable: Optional[str] = None) -> bytes:
    """Print an HTML page to an A4 PDF with page numbers, in headless Chromium.

    The page is written to a hidden file in ``folder`` (where the PDF goes) and opened by
    its file:// URL, so its relative links to the evidence resolve as they will from the PDF.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=".nmaudit-print-", suffix=".html")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html)
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright, executable, [])
            try:
                page = await browser.new_page()
                await page.goto(Path(name).resolve().as_uri(), wait_until="load")
                return await page.pdf(
                    format="A4", print_background=True, display_header_footer=True,
                    header_template="<span></span>", footer_template=PDF_FOOTER,
                    margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"},
                )
            finally:
                await browser.close()
    finally:
        Path(name).unlink(missing_ok=True)


class BrowserSession:
    """One browser and one context at a time for a whole run; pages are handed to workers and
    reused. A page that stops answering is closed (without its beforeunload) and replaced; a
    browser that crashes, disconnects, has audited `recycle_every` accounts or passes
    `memory_limit_mb` is relaunched (`relaunch`, called by the audit between accounts)."""

    def __init__(self, options: BrowserOptions, playwright: Optional[Playwright] = None):
        self.options = options
        self.remote = options.endpoint is not None
        self._own_playwright = playwright is None
        self._lost = False  # a remote browser that stopped answering: treated as disconnected
        self.replaying = options.replay_har is not None
        self.pacer = HostPacer(0.0 if self.replaying else options.pace,
                               {} if self.replaying else options.host_pace)
        self.har_times = HarIndex(options.replay_har) if options.replay_har else None
        self._playwright: Optional[Playwright] = playwright
        self._browser: Optional[Browser] = None
        self._context: Optional[BrowserContext] = None
        self._browser_devtools: Optional[CDPSession] = None
        self.description = ""
        self.generation = 0  # launches so far: pages of an earlier generation are gone
        self.accounts_since_launch = 0
        self.har_files: list[str] = []  # one per launch when recording
        self._partial_bodies: dict[str, bytes] = {}  # downloads read in part, for the HAR
        self._downloads: list[str] = []  # navigations that became downloads, for the HAR
        self._devtools: dict[Page, CDPSession] = {}  # one DevTools session per page, for screenshots
        self._targets: dict[Page, str] = {}  # the page's DevTools target, to close it from the browser
        self._context_id: Optional[str] = None  # the context's id in DevTools, once a page told it
        self._memory_read: Optional[tuple[float, Optional[float]]] = None  # (time.monotonic(), MiB)
        self._opening = asyncio.Lock()  # one page opened in its own window at a time
        self._dialogs: dict[Page, list[dict[str, str]]] = {}  # dialogs seen since the page was last kept
        self._suspect: set[Page] = set()  # pages that stopped answering or crashed: to be replaced
        self._oversize: dict[Page, str] = {}  # why the page's current load was cut off
        self._stopped: dict[Page, dict[str, Any]] = {}  # a page closed for its size or time: what it had
        self._received: dict[Page, dict[str, int]] = {}  # bytes received per request of the current load
        self._documents: dict[Page, set[str]] = {}  # which of those requests are documents (HTML)
        self._watchers: dict[Page, list[Callable[[Response], None]]] = {}  # told of each response (_watch)
        self._pending_downloads: set[asyncio.Future] = set()

    async def __aenter__(self) -> "BrowserSession":
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        try:
            await self._launch()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _har_path(self) -> Optional[str]:
        """Where this launch records: the run's HAR, then run-2.har, run-3.har beside it."""
        if not self.options.record_har:
            return None
        path = Path(self.options.record_har)
        if self.generation > 1:
            path = path.with_name(f"{path.stem}-{self.generation}{path.suffix}")
        return str(path)

    async def _launch(self) -> None:
        # Not --renderer-process-limit=1: it saves memory, but with pages sharing a renderer
        # Playwright now and then misses an in-page fetch() (measured: ~1 recording in 7 lost one).
        if self.options.endpoint:
            self._browser, self.description = await connect_chromium(
                self._playwright, self.options.endpoint, self.options.browser_args,
                self.options.remote_executable, self.options.connect_timeout)
        else:
            self._browser, self.description = await launch_chromium_described(
                self._playwright, self.options.executable, self.options.browser_args
            )
        self._lost = False
        self.generation += 1
        self.accounts_since_launch = 0
        width, height = self.options.viewport
        record = {}
        if har := self._har_path():
            Path(har).parent.mkdir(parents=True, exist_ok=True)
            record = {"record_har_path": har, "record_har_content": "embed"}
            self.har_files.append(har)
        self._context = await self._browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            ignore_https_errors="--ignore-certificate-errors" in self.options.browser_args,
            **({"proxy": self.options.proxy} if self.options.proxy else {}),
            **({"storage_state": self.options.storage_state} if self.options.storage_state else {}),
            **record,
        )
        self._context.set_default_timeout(self.options.timeout * 1000)
        self._context_id = None
        self._memory_read = None  # a fresh browser is measured afresh
        if self.options.replay_har:
            await self._context.route_from_har(self.options.replay_har, not_found="abort")
            if self.har_times is not None and self.har_times.has_calls:
                # Registered after the HAR router, so asked first: a page's own call whose
                # signature changed with the clock is answered by the recorded call to the same path.
                await self._context.route("**/*", self.har_times.serve_resigned)
            # Registered once, before any page exists: adding a route later waits on every
            # page, and a page whose renderer is stuck in a script would block that forever.
            await self._context.route(f"**{BLANK_PATH}", _serve_blank)
        # Live, the blank stand-in is served by each page's own DevTools session (new_page),
        # which pauses only its URL: a route would make Playwright intercept every request.
        self._browser_devtools = await self._browser.new_browser_cdp_session()

    async def has_cookie(self, name: str, domains: tuple[str, ...]) -> bool:
        """The context holds an unexpired cookie `name` of one of `domains` (a session's)."""
        if self._context is None:
            return False
        now = time.time()
        for cookie in await self._context.cookies():
            domain = cookie.get("domain", "").lstrip(".")
            if (cookie.get("name") == name and cookie.get("value")
                    and any(domain == d or domain.endswith("." + d) for d in domains)
                    and (cookie.get("expires", -1) <= 0 or cookie["expires"] > now)):
                return True
        return False

    async def forget_cookies(self, domains: tuple[str, ...]) -> None:
        """Clear the cookies of `domains` (a lapsed session), now and after a relaunch."""
        pattern = re.compile(r"(^|\.)(" + "|".join(re.escape(domain) for domain in domains) + r")$")
        if self._context is not None:
            await self._context.clear_cookies(domain=pattern)
        if self.options.storage_state:
            state = self.options.storage_state
            self.options.storage_state = {
                "cookies": [c for c in state.get("cookies", []) if not pattern.search(c.get("domain", ""))],
                "origins": [o for o in state.get("origins", [])
                            if not pattern.search(urlsplit(o.get("origin", "")).hostname or "")]}

    @property
    def connected(self) -> bool:
        return self._browser is not None and self._browser.is_connected() and not self._lost

    async def answering(self) -> bool:
        """Does the browser still answer at all? A remote server that stopped (a frozen host,
        a network gone quiet) leaves its connection open: asked once, with a short bound, and
        a browser that does not answer counts as disconnected from then on."""
        if not self.connected or self._browser_devtools is None:
            return False
        try:
            await asyncio.wait_for(self._browser_devtools.send("Browser.getVersion"), CLOSE_WAIT)
            return True
        except (PlaywrightError, asyncio.TimeoutError):
            self._lost = True
            return False

    async def relaunch(self) -> None:
        """A fresh browser and context (after a crash, or to give memory back): every page of
        the old one is gone; workers open new ones."""
        await self._close_browser()
        self._devtools.clear()
        self._targets.clear()
        self._dialogs.clear()
        self._suspect.clear()
        self._oversize.clear()
        self._stopped.clear()
        self._received.clear()
        self._documents.clear()
        self._watchers.clear()
        await self._launch()

    async def close(self) -> None:
        """Close everything; the HAR is only complete once the context is closed."""
        try:
            await self._close_browser()
        finally:
            if self._playwright is not None and self._own_playwright:
                try:
                    await asyncio.wait_for(self._playwright.stop(), 60)
                except (PlaywrightError, asyncio.TimeoutError):
                    pass
                self._playwright = None

    async def _close_browser(self) -> None:
        await self._settle_downloads()
        # A remote browser that stopped answering will not answer a close either.
        quick = self._lost
        if self._context is not None:
            context, self._context = self._context, None
            try:
                # Writing the HAR can take a while; a dead browser cannot take the context down.
                await asyncio.wait_for(context.close(), CLOSE_WAIT if quick else 120)
            except (PlaywrightError, asyncio.TimeoutError):
                pass
            if self.options.record_har and self.har_files and Path(self.har_files[-1]).exists():
                self._annotate_har(Path(self.har_files[-1]))
        if self._browser is not None:
            browser, self._browser = self._browser, None
            try:
                await asyncio.wait_for(browser.close(), CLOSE_WAIT if quick else 30)
            except (PlaywrightError, asyncio.TimeoutError):
                pass

    def _annotate_har(self, path: Path) -> None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # a browser that died mid-write leaves no readable HAR: nothing to add to
        document["log"]["_nmaudit"] = {**self.options.har_note, "downloads": self._downloads}
        strip_har_secrets(document)
        # Chromium records no body for a download whose reading was cancelled; keep the bytes
        # that were read, so a replay sees what the run saw.
        for entry in document["log"]["entries"]:
            partial = self._partial_bodies.get(entry["request"]["url"])
            content = entry["response"].get("content", {})
            if partial is not None and not content.get("text"):
                content.update(size=len(partial), text=base64.b64encode(partial).decode(), encoding="base64",
                               comment="nmaudit: only the first bytes were read")
                entry["response"]["content"] = content
        temporary = path.with_suffix(path.suffix + ".part")
        temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    # -- pages ----------------------------------------------------------------------------

    async def new_page(self) -> Page:
        """A page of the current browser, watched: dialogs dismissed and noted, crashes and
        oversized answers noticed. BrowserCrashed when the browser is gone."""
        assert self._context is not None, "BrowserSession used outside 'async with'"
        try:
            page, session, target = await asyncio.wait_for(self._page_in_own_window(), QUICK_CALL)
            page.on("dialog", lambda dialog: self._on_dialog(page, dialog))
            # One listener for the page's life: adding and removing one per load would each
            # cost a round trip to Playwright's driver (its event subscription).
            page.on("response", lambda response: self._on_response(page, response))
            page.on("crash", lambda crashed: self._suspect.add(crashed))
            page.on("close", self._forget)
            self._devtools[page] = session
            self._targets[page] = target
            # Our own view of the network, to cut off answers past the size cap as they arrive.
            await asyncio.wait_for(session.send("Network.enable", {"maxTotalBufferSize": 1,
                                                                   "maxResourceBufferSize": 1}), QUICK_CALL)
            session.on("Network.responseReceived", lambda event: self._on_response_head(page, event))
            session.on("Network.dataReceived", lambda event: self._on_data(page, event))
            if not self.replaying:
                session.on("Fetch.requestPaused", lambda event: asyncio.ensure_future(self._serve_blank(session, event)))
                await asyncio.wait_for(session.send("Fetch.enable", {"patterns": [
                    {"urlPattern": f"*{BLANK_PATH}", "requestStage": "Request"}]}), QUICK_CALL)
        except (PlaywrightError, asyncio.TimeoutError) as error:
            if not self.connected or (self.remote and not await self.answering()):
                raise BrowserCrashed(str(error).splitlines()[0] if str(error) else "browser closed") from None
            raise
        return page

    async def _page_in_own_window(self) -> tuple[Page, CDPSession, str]:
        """A page of the context opened in a window of its own, its DevTools session and target.

        Pages opened with context.new_page() are tabs of one window, and in headless Chromium
        tabs sharing a window now and then wait a whole second for a frame (measured: a third
        of the screenshots and paint waits at six pages; none with a window each). Asked one at
        a time, so that the page the context announces is told apart from a page's popup by
        its target id."""
        assert self._context is not None and self._browser_devtools is not None
        async with self._opening:
            if self._context_id is None:  # the context's first page opens its first window
                page = await self._context.new_page()
                session = await self._context.new_cdp_session(page)
                info = (await session.send("Target.getTargetInfo"))["targetInfo"]
                self._context_id = info["browserContextId"]
                return page, session, info["targetId"]
            announced: asyncio.Queue[Page] = asyncio.Queue()
            self._context.on("page", announced.put_nowait)
            try:
                created = await self._browser_devtools.send("Target.createTarget", {
                    "url": "about:blank", "browserContextId": self._context_id, "newWindow": True})
                while True:
                    page = await announced.get()
                    session = await self._context.new_cdp_session(page)
                    info = await session.send("Target.getTargetInfo")
                    if info["targetInfo"]["targetId"] == created["targetId"]:
                        return page, session, created["targetId"]
                    await session.detach()  # a popup of another page, opened meanwhile
            finally:
                self._context.remove_listener("page", announced.put_nowait)

    async def _serve_blank(self, session: CDPSession, event: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(session.send("Fetch.fulfillRequest", {
                "requestId": event["requestId"], "responseCode": 200,
                "responseHeaders": [{"name": "Content-Type", "value": "text/html; charset=utf-8"}],
                "body": base64.b64encode(BLANK_PAGE.encode()).decode()}), QUICK_CALL)
        except (PlaywrightError, asyncio.TimeoutError):
            pass  # the page went away meanwhile

    def _forget(self, page: Page) -> None:
        """A closed page's tables. Why it was stopped (and that it is to be replaced) stays
        until discard_page: the account that was loading it still reports it."""
        for table in (self._devtools, self._targets, self._dialogs, self._received, self._documents, self._watchers):
            table.pop(page, None)

    def _on_response(self, page: Page, response: Response) -> None:
        for watcher in list(self._watchers.get(page, ())):
            watcher(response)

    def _watch(self, page: Page, watcher: Callable[[Response], None]) -> None:
        """Call `watcher` with each response the page receives, until _unwatch."""
        self._watchers.setdefault(page, []).append(watcher)

    def _unwatch(self, page: Page, watcher: Callable[[Response], None]) -> None:
        watchers = self._watchers.get(page, [])
        if watcher in watchers:
            watchers.remove(watcher)

    def needs_replacing(self, page: Page) -> bool:
        """The page stopped answering, crashed or was cut off mid-load: replace it."""
        return page.is_closed() or page in self._suspect

    async def replace_page(self, page: Page) -> Page:
        """Close `page` without running its beforeunload, in a way that works when its renderer
        is stuck in a script, and open another."""
        await self.discard_page(page)
        return await self.new_page()

    async def discard_page(self, page: Page) -> None:
        target = self._targets.get(page)
        if not page.is_closed():
            try:
                await asyncio.wait_for(page.close(run_before_unload=False), CLOSE_WAIT)
            except (PlaywrightError, asyncio.TimeoutError):
                # The browser process closes the tab and kills its renderer, however busy.
                if target and self._browser_devtools is not None:
                    try:
                        await asyncio.wait_for(
                            self._browser_devtools.send("Target.closeTarget", {"targetId": target}), CLOSE_WAIT)
                    except (PlaywrightError, asyncio.TimeoutError):
                        pass
        self._forget(page)
        for table in (self._oversize, self._stopped):
            table.pop(page, None)
        self._suspect.discard(page)

    async def responsive(self, page: Page) -> bool:
        """Does the page's renderer still run scripts? (A `while(true){}` never lets it.)

        Asked through the page's own DevTools session, after stopping whatever it is loading:
        a navigation still waiting on a server that never answers is not a stuck renderer."""
        session = self._devtools.get(page)
        try:
            if session is None:
                await asyncio.wait_for(page.evaluate("1"), 3)
                return True
            await asyncio.wait_for(session.send("Page.stopLoading"), 3)
            await asyncio.wait_for(session.send("Runtime.evaluate", {"expression": "1"}), 3)
            return True
        except (PlaywrightError, asyncio.TimeoutError):
            return False

    def _on_dialog(self, page: Page, dialog: Any) -> None:
        """Dismiss (a beforeunload: leave the page) and note it, for the evidence."""
        self._dialogs.setdefault(page, []).append({"type": dialog.type, "message": dialog.message[:2000]})

        async def answer() -> None:
            try:
                if dialog.type == "beforeunload":
                    await asyncio.wait_for(dialog.accept(), QUICK_CALL)
                else:
                    await asyncio.wait_for(dialog.dismiss(), QUICK_CALL)
            except (PlaywrightError, asyncio.TimeoutError):
                pass

        asyncio.ensure_future(answer())

    def _on_response_head(self, page: Page, event: dict[str, Any]) -> None:
        if event.get("type") == "Document":
            self._documents.setdefault(page, set()).add(event.get("requestId", ""))
        headers = {name.lower(): value for name, value in (event.get("response", {}).get("headers") or {}).items()}
        try:
            declared = int(str(headers.get("content-length", "0")).split(",")[0].strip() or 0)
        except ValueError:
            declared = 0
        if declared > self.options.max_body_bytes:
            self._cut_off(page, f"响应过大（Content-Length {declared:,} 字节，上限 {self.options.max_body_bytes:,}），"
                                f"已拒绝：{event.get('response', {}).get('url', '')}")

    def _on_data(self, page: Page, event: dict[str, Any]) -> None:
        received = self._received.setdefault(page, {})
        request = event.get("requestId", "")
        received[request] = received.get(request, 0) + int(event.get("dataLength") or 0)
        limit = self.options.max_body_bytes
        if request in self._documents.get(page, ()):
            limit = min(limit, self.options.max_document_bytes)
        if received[request] > limit and page not in self._oversize:
            self._cut_off(page, f"响应过大（超过 {limit:,} 字节仍未结束），已中止")

    def _cut_off(self, page: Page, reason: str) -> None:
        """Stop the page itself at once, not only its body: the loads are stopped and the page's
        target closed, so its renderer drops what it parsed (a renderer goes on parsing what
        keeps arriving, to gigabytes); the page is replaced before its next account."""
        if page in self._oversize:
            return
        self._oversize[page] = reason
        self._suspect.add(page)
        received = sum(self._received.get(page, {}).values())
        self._stopped[page] = {"reason": reason, "received_bytes": received, "stopped": "页面已关闭"}
        asyncio.ensure_future(self._stop_page(page))

    async def _stop_page(self, page: Page) -> None:
        session, target = self._devtools.get(page), self._targets.get(page)
        try:
            if session is not None:
                await asyncio.wait_for(session.send("Page.stopLoading"), 3)
        except (PlaywrightError, asyncio.TimeoutError):
            pass  # a renderer busy parsing may not answer: closing its target ends it anyway
        if target and self._browser_devtools is not None:
            try:
                await asyncio.wait_for(self._browser_devtools.send("Target.closeTarget", {"targetId": target}),
                                       CLOSE_WAIT)
            except (PlaywrightError, asyncio.TimeoutError):
                pass

    async def probe(self, origins: list[str]) -> dict[str, Optional[str]]:
        """One quick request per origin (HEAD /, paced like any other request to its host),
        through this browser, its context and proxy: None for an origin that answered anything,
        else why it could not."""
        page = await self.new_page()
        try:
            async def ask(origin: str) -> Optional[str]:
                async with self.pacer.slot(urlsplit(origin).hostname or ""):
                    try:
                        return await asyncio.wait_for(page.evaluate(PROBE, {
                            "url": f"{origin}/", "timeout": PROBE_TIMEOUT * 1000}), PROBE_TIMEOUT + 5)
                    except (PlaywrightError, asyncio.TimeoutError) as error:
                        return str(error).splitlines()[0] if str(error) else "no answer"

            async def one(origin: str) -> Optional[str]:
                error = await ask(origin)
                parts = urlsplit(origin)
                if error and parts.scheme == "http" and parts.port is None:
                    # A link filed as http:// is opened as https:// by the adapters that know its
                    # platform (mp.weixin.qq.com): the host answers if either does.
                    return await ask(f"https://{parts.netloc}") and error
                return error
            return dict(zip(origins, await asyncio.gather(*(one(origin) for origin in origins))))
        finally:
            await self.discard_page(page)

    # -- requests -------------------------------------------------------------------------

    async def fetch(self, page: Page, url: str, label: str, evidence: AccountEvidence) -> Fetched:
        """Navigate to `url` (paced, retried), keep a viewport JPEG and the body as evidence."""
        fetched = await self._with_retries(url, lambda: self._navigate(page, url))
        await self._keep_page(page, fetched, label, evidence)
        return fetched

    async def capture(self, page: Page, url: str, label: str, evidence: AccountEvidence, patterns: list[str], *,
                      also: Optional[list[str]] = None, wait: float = 8.0, keep_dom: bool = False) -> Fetched:
        """Open `url` as a person would and keep what the page's own scripts fetch: every
        response whose URL (for a POST, URL then body: asks_for) matches one of `patterns`
        (regular expressions), waiting after the load until each pattern has an answer or
        `wait` seconds have passed. The navigation
        is paced and retried like fetch(); its screenshot is taken after the wait, so it shows
        the page as rendered. Each captured body is kept as evidence beside it, and, being
        Chromium's own traffic, is recorded in and replayed from the HAR like any page.
        Answers matching `also` are kept too, but not waited for."""
        compiled = [re.compile(pattern) for pattern in [*patterns, *(also or [])]]
        required = compiled[:len(patterns)]
        seen: list[Response] = []
        title: Optional[str] = None  # the document's title as the page painted its answers
        answered = asyncio.Event()  # every required pattern has an answer

        def on_response(response: Response) -> None:
            if response.request.resource_type in ("xhr", "fetch") and any(asks_for(p, response) for p in compiled):
                seen.append(response)
                if required and all(any(asks_for(p, r) for r in seen) for p in required):
                    answered.set()

        async def attempt() -> Fetched:
            seen.clear()
            answered.clear()
            return await self._navigate(page, url)

        self._watch(page, on_response)
        try:
            fetched = await self._with_retries(url, attempt)
            if not fetched.error and page not in self._suspect:
                # Done when every required pattern has an answer, or when the page has gone
                # quiet (a page that met a wall stops asking; with nothing required, the
                # rendered DOM is wanted: quiet is when it is done), or at the bound.
                idle = asyncio.ensure_future(page.wait_for_load_state("networkidle", timeout=wait * 1000))
                waiters = [idle, asyncio.ensure_future(answered.wait())] if required else [idle]
                try:
                    await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                    if answered.is_set() and not idle.done():
                        # The answers came: let the page's script render them, so the
                        # screenshot shows the profile rather than its empty frame.
                        title = await self._rendered(page, [r for r in seen if any(asks_for(p, r) for p in required)])
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                    await asyncio.gather(*waiters, return_exceptions=True)
        finally:
            self._unwatch(page, on_response)
        for response in list(seen):
            fetched.captured.append(await self._captured(response))
        if page not in self._suspect and not page.is_closed():
            fetched.landed_url = page.url
            try:
                # The title read as the page painted its answers, or asked now.
                fetched.rendered_title = title if title is not None else await asyncio.wait_for(page.title(), QUICK_CALL)
                if keep_dom:
                    fetched.rendered_html = (await asyncio.wait_for(page.content(), QUICK_CALL))[:MAX_DOM_CHARS]
            except (PlaywrightError, asyncio.TimeoutError):
                pass
        await self._keep_page(page, fetched, label, evidence)
        stem = Path(fetched.evidence[0]).name.split(".")[0] if fetched.evidence else evidence.next_stem(label)
        for number, answer in enumerate(fetched.captured, 1):
            head = {"status": answer.status, "url": answer.url, "headers": public_headers(answer.headers),
                    "error": answer.error}
            answer.evidence.append(evidence.save(
                f"{stem}.loaded-{number:02d}.response.json",
                json.dumps(head, ensure_ascii=False, indent=2).encode(), "headers"))
            if answer.body:
                answer.evidence.append(evidence.save(
                    f"{stem}.loaded-{number:02d}.{body_extension(answer.content_type)}", answer.body, "body"))
        if fetched.rendered_html:
            fetched.evidence.append(evidence.save(f"{stem}.rendered.html", fetched.rendered_html.encode(), "body"))
        return fetched

    async def _rendered(self, page: Page, answers: list[Response]) -> Optional[str]:
        """Wait, at most CAPTURE_SETTLE, until the answers' bodies have arrived and the page
        has painted twice since: the frame after its script handled them shows them. Faster
        than waiting for the network to go quiet, which a page's trackers may never let happen.
        The document's title then; None when the page did not paint in time."""
        async def settle() -> Any:
            await asyncio.gather(*(answer.finished() for answer in answers), return_exceptions=True)
            return await page.evaluate(TWO_FRAMES)

        try:
            title = await asyncio.wait_for(settle(), CAPTURE_SETTLE)
        except (PlaywrightError, asyncio.TimeoutError):
            return None  # not painted in time: the screenshot shows what there is
        return title if isinstance(title, str) else None

    async def _captured(self, response: Response) -> Fetched:
        """One answer the page fetched, as a Fetched (its body read within the timeout)."""
        body, error = b"", None
        try:
            body = await asyncio.wait_for(response.body(), self.options.timeout)
        except asyncio.TimeoutError:
            error = f"timeout after {self.options.timeout:g}s"
        except PlaywrightError as failure:
            error = str(failure).splitlines()[0] if str(failure) else "body unavailable"
        # A replayed call answered by a recorded one under another signature is that recorded call.
        url = self.har_times.resigned.get(response.url, response.url) if self.har_times else response.url
        return Fetched(url=url, final_url=url, status=response.status,
                       content_type=response.headers.get("content-type", ""), body=body,
                       fetched_at=self._fetched_at(url, None) if url != response.url else self._fetched_at(url, response),
                       error=error, headers=dict(response.headers))

    async def _keep_page(self, page: Page, fetched: Fetched, label: str, evidence: AccountEvidence) -> None:
        stem = evidence.next_stem(label)
        if (stopped := self._stopped.get(page)) is not None and (fetched.too_large or fetched.hung):
            note = {"url": fetched.url, "error": fetched.error, **stopped}
            fetched.evidence.append(evidence.save(
                f"{stem}.stopped.json", json.dumps(note, ensure_ascii=False, indent=2).encode(), "headers"))
        shot = None if page in self._suspect else await self._screenshot(page)
        if shot:
            fetched.evidence.append(evidence.save(f"{stem}.jpg", shot, "screenshot"))
        if fetched.body:
            fetched.evidence.append(
                evidence.save(f"{stem}.{body_extension(fetched.content_type)}", fetched.body, "body")
            )
        self._note_dialogs(page, stem, fetched, evidence)

    def _note_dialogs(self, page: Page, stem: str, fetched: Fetched, evidence: AccountEvidence) -> None:
        """Dialogs the page opened (alert, confirm, beforeunload), dismissed, kept as evidence."""
        dialogs = self._dialogs.pop(page, [])
        if dialogs:
            fetched.dialogs = dialogs
            fetched.evidence.append(evidence.save(
                f"{stem}.dialogs.json", json.dumps(dialogs, ensure_ascii=False, indent=2).encode(), "dialogs"))

    def _check_alive(self) -> None:
        if not self.connected:
            raise BrowserCrashed("浏览器已退出或断开连接")

    async def request(self, page: Page, url: str, label: str, evidence: AccountEvidence, *,
                      method: str = "GET", data: Optional[str] = None,
                      headers: Optional[dict[str, str]] = None, max_bytes: Optional[int] = None) -> Fetched:
        """Run fetch() inside a page on the URL's own origin: a POST, or a download read only
        as far as `max_bytes`. Still Chromium's network, so recording and replay see it.

        The page stands on a blank document of that origin, served locally without a request,
        so the response's headers and body are readable (same origin, no CORS).
        """
        self._check_alive()
        stood = await self._stand_on_origin(page, url)
        call = {"url": url, "method": method, "data": data, "headers": headers or {},
                "maxBytes": max_bytes or 0, "limit": self.options.max_body_bytes,
                "timeout": self.options.timeout * 1000}
        if stood is not None:
            fetched = stood
        else:
            fetched = await self._with_retries(url, lambda: self._fetch_in_page(page, call))
        self._check_alive()
        if fetched.truncated and self.options.record_har:
            self._partial_bodies[fetched.final_url] = fetched.body
        stem = evidence.next_stem(label)
        head = {"status": fetched.status, "url": fetched.final_url, "headers": public_headers(fetched.headers),
                "read_bytes": len(fetched.body), "truncated": fetched.truncated, "error": fetched.error}
        fetched.evidence.append(evidence.save(
            f"{stem}.response.json", json.dumps(head, ensure_ascii=False, indent=2).encode(), "headers"))
        if fetched.body:
            fetched.evidence.append(
                evidence.save(f"{stem}.{body_extension(fetched.content_type)}", fetched.body, "body")
            )
        self._note_dialogs(page, stem, fetched, evidence)
        return fetched

    async def download(self, page: Page, url: str, label: str, evidence: AccountEvidence,
                       max_bytes: int = 64 * 1024) -> Fetched:
        """A download link, followed like a person's click: a navigation (redirects to other
        hosts included). If Chromium starts a download, it is cancelled at once and the first
        `max_bytes` of the final URL are read from its own origin; if a page renders instead
        (a soft 404), that page is kept like any other."""
        navigation = await self.fetch(page, url, label, evidence)
        if not navigation.is_download:
            return navigation
        head = await self.request(page, navigation.final_url, label, evidence, max_bytes=max_bytes)
        head.url = url
        head.redirects = navigation.redirects + ([navigation.final_url] if navigation.final_url != url else [])
        head.attempts = navigation.attempts
        head.is_download = True
        return head

    async def _with_retries(self, url: str, attempt: Callable[[], Awaitable[Fetched]]) -> Fetched:
        """Pace the host, try, and retry 418/429/432/5xx and network errors with backoff.
        An answer refused for its size, or a page that stopped answering, is not retried."""
        host = urlsplit(url).hostname or ""
        attempts = 0
        while True:
            attempts += 1
            async with self.pacer.slot(host) as slot:
                fetched = await attempt()
                slot.started_at_epoch(fetched.sent_at)
            if self.remote and (fetched.hung or fetched.error):
                # A server that died or froze shows first as a failed request (its disconnect
                # may not have arrived yet): asked, so the account is redone, not judged on it.
                await self.answering()
            self._check_alive()
            final = fetched.too_large or fetched.hung
            if final or attempts > self.options.retries or not (fetched.error or fetched.status in RETRY_STATUSES):
                fetched.attempts = attempts
                return fetched
            # The host's cool-down is the back-off: the slot is free meanwhile, and the
            # scheduler hands out accounts on other hosts.
            delay = 0.0 if self.replaying else self.options.backoff * 2 ** (attempts - 1)
            if retry_after := _retry_after(fetched.headers.get("retry-after")):
                delay = max(delay, min(retry_after, 60.0))
            self.pacer.cool_down(host, delay)

    async def _navigate(self, page: Page, url: str) -> Fetched:
        """page.goto, noting when the answer is a file Chromium downloads instead of showing,
        when it was cut off for its size, and when the page stopped answering."""
        if self.har_times is not None and (recorded := self.har_times.recorded_download(url)):
            return recorded
        if page in self._suspect:
            return Fetched(url=url, final_url=url, status=None, content_type="", body=b"",
                           fetched_at=self._fetched_at(url, None), error=HUNG_PAGE, hung=True)
        answers: list[Response] = []
        self._received.pop(page, None)
        self._documents.pop(page, None)

        def on_response(response: Response) -> None:
            if response.frame == page.main_frame and response.request.is_navigation_request():
                answers.append(response)

        def on_download(started: Download) -> None:
            # Never save a whole file: cancelled now, its temporary file deleted once cancelled.
            task = asyncio.ensure_future(_cancel_download(started))
            self._pending_downloads.add(task)
            task.add_done_callback(self._pending_downloads.discard)

        self._watch(page, on_response)
        page.on("download", on_download)
        try:
            response, error = await self._goto(page, url)
        finally:
            self._unwatch(page, on_response)
            page.remove_listener("download", on_download)
        await self._settle_downloads()
        received = sum(n for request, n in self._received.get(page, {}).items()
                       if request in self._documents.get(page, ()))
        if error is not None and error.startswith("timeout") and received > self.options.max_document_bytes // 4:
            # Not a stuck script: a renderer busy parsing megabytes of a page that does not end.
            self._cut_off(page, f"响应过大（{self.options.timeout:g} 秒内未载入完成，已接收 {received:,} 字节），已中止")
        if (cut := self._oversize.get(page)) is not None:
            return Fetched(url=url, final_url=url, status=response.status if response else None,
                           content_type="", body=b"", fetched_at=self._fetched_at(url, response), error=cut,
                           too_large=True)
        if error is not None and error.startswith("timeout") and not await self.responsive(page):
            self._cut_off(page, HUNG_PAGE)
            self._oversize.pop(page, None)  # stopped for its time, not its size
            return Fetched(url=url, final_url=url, status=None, content_type="", body=b"",
                           fetched_at=self._fetched_at(url, None), error=f"{HUNG_PAGE}（{error}）", hung=True)
        downloaded = error is not None and "Download is starting" in error and bool(answers)
        if downloaded:
            response, error = answers[-1], None
            if self.options.record_har:
                self._downloads.append(url)
        elif error is not None and "ERR_HTTP_RESPONSE_CODE_FAILURE" in error and answers:
            # An error status with an empty body (418 from a rate limit, a bare 503): Chromium
            # shows its own error page and goto fails, but the answer itself came and counts.
            response, error = answers[-1], None
        if response is None:
            return Fetched(url=url, final_url=page.url, status=None, content_type="", body=b"",
                           fetched_at=self._fetched_at(url, None), error=error)
        body = b""
        if not downloaded:
            try:
                body = await asyncio.wait_for(response.body(), self.options.timeout)
            except (PlaywrightError, asyncio.TimeoutError):
                pass  # bodies of redirects and aborted loads are not kept by Chromium
        return Fetched(
            url=url, final_url=response.url, status=response.status,
            content_type=response.headers.get("content-type", ""), body=body,
            fetched_at=self._fetched_at(url, response), redirects=_redirect_chain(response),
            headers=dict(response.headers), sent_at=_sent_at(_first_request(response)),
            is_download=downloaded,
        )

    async def _settle_downloads(self) -> None:
        if self._pending_downloads:
            await asyncio.wait(list(self._pending_downloads), timeout=QUICK_CALL)

    async def _stand_on_origin(self, page: Page, url: str) -> Optional[Fetched]:
        """Put the page on the URL's origin (the blank stand-in); a Fetched when it could not."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if page.url.startswith(origin + "/") and page not in self._suspect:
            return None
        response, error = (None, HUNG_PAGE) if page in self._suspect else await self._goto(page, f"{origin}{BLANK_PATH}")
        if error is None:
            return None
        hung = page in self._suspect or (error.startswith("timeout") and not await self.responsive(page))
        if hung:
            self._suspect.add(page)
        return Fetched(url=url, final_url=url, status=None, content_type="", body=b"", fetched_at=now(),
                       error=HUNG_PAGE if hung else error, hung=hung)

    async def _fetch_in_page(self, page: Page, call: dict[str, Any]) -> Fetched:
        url = call["url"]
        sent_at = time.time()
        try:
            # fetch() stops itself after the timeout; a renderer stuck in a script never returns.
            answer = await asyncio.wait_for(page.evaluate(IN_PAGE_FETCH, call), self.options.timeout + 5)
        except asyncio.TimeoutError:
            self._suspect.add(page)
            answer = {"error": HUNG_PAGE, "hung": True}
        except PlaywrightError as error:
            answer = {"error": str(error).splitlines()[0]}
        fetched_at = self._fetched_at(url, None) if self.har_times else now()
        if answer.get("tooLarge"):
            return Fetched(url=url, final_url=url, status=None, content_type="", body=b"", fetched_at=fetched_at,
                           error=f"响应过大（{answer['tooLarge']:,} 字节，上限 {self.options.max_body_bytes:,}），已中止",
                           sent_at=sent_at, too_large=True)
        if answer.get("error"):
            return Fetched(url=url, final_url=url, status=None, content_type="", body=b"",
                           fetched_at=fetched_at, error=answer["error"], sent_at=sent_at,
                           hung=bool(answer.get("hung")))
        headers = {name.lower(): value for name, value in answer["headers"].items()}
        return Fetched(
            url=url, final_url=answer["url"], status=answer["status"],
            content_type=headers.get("content-type", ""), body=base64.b64decode(answer["body"]),
            fetched_at=fetched_at, headers=headers, truncated=answer["truncated"], sent_at=sent_at,
            redirects=[url] if answer["redirected"] else [],
        )

    async def _goto(self, page: Page, url: str) -> tuple[Optional[Response], Optional[str]]:
        try:
            # Playwright's own timeout ends the wait; the outer bound is for a driver that hangs.
            response = await asyncio.wait_for(page.goto(url, wait_until="load"), self.options.timeout + 15)
        except (PlaywrightTimeoutError, asyncio.TimeoutError):
            return None, f"timeout after {self.options.timeout:g}s"
        except PlaywrightError as error:
            return None, str(error).splitlines()[0] if str(error) else type(error).__name__
        if response is None:
            return None, "no response"
        return response, None

    async def _screenshot(self, page: Page) -> Optional[bytes]:
        """A viewport JPEG, taken straight through the DevTools protocol: page.screenshot's
        extra round trips (font and layout checks) cost an eighth of an audit's CPU."""
        # Chromium's error pages now and then refuse the first capture ("Unable to capture
        # screenshot"); a moment later they do not. A page that still refuses has nothing to
        # show; its body and error still count. A page that does not answer at all is stuck.
        for attempt in range(3):
            try:
                session = self._devtools.get(page) or await self._devtools_session(page)
                shot = await asyncio.wait_for(session.send("Page.captureScreenshot", {
                    "format": "jpeg", "quality": self.options.jpeg_quality, "optimizeForSpeed": True}), 10)
                return base64.b64decode(shot["data"])
            except asyncio.TimeoutError:
                if not await self.responsive(page):
                    self._suspect.add(page)
                return None
            except PlaywrightError:
                if page.is_closed():
                    return None
                await asyncio.sleep(0.2 * (attempt + 1))
        return None

    async def _devtools_session(self, page: Page) -> CDPSession:
        session = await asyncio.wait_for(self._context.new_cdp_session(page), QUICK_CALL)
        self._devtools[page] = session
        return session

    def _fetched_at(self, url: str, response: Optional[Response]) -> datetime:
        if self.har_times is not None:
            first = _first_request(response).url if response else url
            return (
                self.har_times.time_for(first)
                or self.har_times.time_for(url)
                or self.har_times.latest
                or now()
            )
        if response is not None:
            started = response.request.timing.get("startTime", 0)
            if started > 0:
                return datetime.fromtimestamp(started / 1000, timezone.utc).astimezone(BEIJING)
        return now()

    # -- memory ---------------------------------------------------------------------------

    def memory_mb(self) -> Optional[float]:
        """PSS of this process's descendants (the Playwright driver, Chromium's processes), MiB;
        None where /proc cannot tell (not Linux)."""
        return _descendants_pss_mb(os.getpid())

    def recycle_due(self) -> Optional[str]:
        """Why the browser should be relaunched now (between accounts), or None."""
        every = self.options.recycle_every
        if every and self.accounts_since_launch >= every:
            return f"{every} accounts"
        if self.remote:
            return None  # a server's browser is not ours to measure; it is fresh per connection
        if self.options.memory_limit_mb and self.accounts_since_launch:
            memory = self._memory_reading()
            if memory is not None and memory > self.options.memory_limit_mb:
                return f"{memory:.0f} MB"
        return None

    def _memory_reading(self) -> Optional[float]:
        """memory_mb(), read again at most every MEMORY_CHECK_EVERY seconds: a reading walks
        the page tables of every Chromium process (tens of ms, blocking the event loop), and
        every worker asks after every account."""
        moment = time.monotonic()
        if self._memory_read is None or moment - self._memory_read[0] >= MEMORY_CHECK_EVERY:
            self._memory_read = (moment, self.memory_mb())
        return self._memory_read[1]


async def _cancel_download(download: Download) -> None:
    try:
        await asyncio.wait_for(download.cancel(), QUICK_CALL)
        await asyncio.wait_for(download.delete(), QUICK_CALL)
    except (PlaywrightError, asyncio.TimeoutError):
        pass


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Retry-After in seconds (the HTTP-date form is ignored: clocks differ)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _descendants_pss_mb(root: int) -> Optional[float]:
    """The summed PSS of every descendant of `root`, from /proc (Linux)."""
    try:
        children = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as stat:
                        parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
                    children.setdefault(parent, []).append(int(entry.name))
                except (OSError, ValueError, IndexError):
                    continue
    except OSError:
        return None
    total, stack = 0, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
                for line in rollup:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total / 1024


def _sent_at(request: Request) -> float:
    """When Chromium put the request on the wire (after any connection set-up), epoch seconds."""
    timing = request.timing
    return (timing.get("startTime", 0) + max(timing.get("requestStart", 0), 0)) / 1000


def asks_for(pattern: re.Pattern[str], response: Response) -> bool:
    """Whether a page's call is the one a capture() pattern names: by its URL, or for a call with
    a body (POST) by a match that starts in its URL and runs on, past a space, into its body,
    since a GraphQL site (Kuaishou) sends every operation to one URL and names it in the body.
    A match starting in the body does not count: a beacon's body may quote any URL."""
    if pattern.search(response.url):
        return True
    try:
        body = response.request.post_data
    except (UnicodeDecodeError, PlaywrightError):
        return False  # a binary body names no operation
    match = pattern.search(f"{response.url} {body}") if body else None
    return match is not None and match.start() < len(response.url)


def _first_request(response: Response) -> Request:
    request = response.request
    while request.redirected_from is not None:
        request = request.redirected_from
    return request


def _redirect_chain(response: Response) -> list[str]:
    chain = []
    request = response.request
    while request.redirected_from is not None:
        request = request.redirected_from
        chain.append(request.url)
    return list(reversed(chain))


class BrowserPool:
    """The browsers of one run: one Playwright driver, a BrowserSession per endpoint (or the one
    local Chromium). Endpoints that cannot be reached at the start are left out and named in
    `unreachable`; BrowserUnavailable only when none can be used."""

    def __init__(self, options: list[BrowserOptions]):
        self.options = options
        self.sessions: list[tuple[int, BrowserSession]] = []  # (position in options, session)
        self.unreachable: list[str] = []
        self._playwright: Optional[Playwright] = None

    async def __aenter__(self) -> "BrowserPool":
        self._playwright = await async_playwright().start()
        sessions = [BrowserSession(options, self._playwright) for options in self.options]
        opened = await asyncio.gather(*(session.__aenter__() for session in sessions), return_exceptions=True)
        failure: Optional[BaseException] = None
        for position, (session, outcome) in enumerate(zip(sessions, opened)):
            if isinstance(outcome, BrowserUnavailable):
                self.unreachable.append(str(outcome))
            elif isinstance(outcome, BaseException):
                failure = failure or outcome
            else:
                self.sessions.append((position, session))
        if failure is not None or not self.sessions:
            await self.close()
            raise failure or BrowserUnavailable("; ".join(self.unreachable))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def description(self) -> str:
        described = [session.description + (f"，经代理 {redact(session.options.proxy['server'])}"
                                             if session.options.proxy else "")
                     for _, session in self.sessions]
        return "; ".join(described + [f"无法连接：{reason}" for reason in self.unreachable])

    @property
    def har_files(self) -> list[str]:
        return [har for _, session in self.sessions for har in session.har_files]

    async def close(self) -> None:
        """Close every browser (each HAR completes as its context closes), then the driver."""
        try:
            await asyncio.gather(*(session.close() for _, session in self.sessions), return_exceptions=True)
        finally:
            if self._playwright is not None:
                try:
                    await asyncio.wait_for(self._playwright.stop(), 60)
                except (PlaywrightError, asyncio.TimeoutError):
                    pass
                self._playwright = None
