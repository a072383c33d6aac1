"""The audit loop: registry accounts -> adapters (observe) -> rules (judge) -> store + snapshots."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import shutil
import sys
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, AsyncIterator, Callable, Optional, Sequence

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from . import __version__
from .browser import (
    BrowserCrashed, BrowserOptions, BrowserPool, BrowserSession, Fetched, HostHalt, HostPacer, capture_time,
)
from .dates import now
from .errors import BrowserUnavailable, NetworkUnreachable, RunInterrupted, StoreError
from .content import Screener, screen_observation
from .models import SITES, Account, AccountResult, Judgement, LastCheck, Observation, RunInfo, RunResult
from .platforms import PLATFORMS
from .platforms.feed import observe_feed
from .platforms.interaction import check_interaction
from .platforms.texts import read_newest
from .platforms.web import site_adapter
from .pool import Endpoint, lane_har_path, merge_hars, playwright_proxy, redact
from .registry import Registry
from .rules import judge
from .snapshots import AccountEvidence, EvidenceFile
from .sanitize import visible
from .sessions import SessionStore, SessionWatch, merged_state
from .store import Store


@dataclass
class AuditOptions:
    db: str = "nmaudit.db"
    snapshots: str = "snapshots"
    as_of: Optional[datetime] = None  # default: now, or the capture's time in a replay
    concurrency: int = 6  # pages at once; real pages spend most of their time waiting on the network
    browser: BrowserOptions = field(default_factory=BrowserOptions)
    #: `--content N`: also open the newest N articles/posts per account seen only in part (0: none).
    content: int = 0
    #: Content pre-screening (nmaudit.content); None: the bundled defaults.
    screener: Optional[Screener] = None
    #: Seconds one account may take in all (every page, retry and back-off); past it the
    #: account is 待复核 and its page replaced. None: ten navigation timeouts.
    account_deadline: Optional[float] = None
    #: Playwright browser servers to audit through instead of the local Chromium (one lane each).
    endpoints: list[Endpoint] = field(default_factory=list)
    pages_per_endpoint: Optional[int] = None  # None: `concurrency`
    #: `--proxy PLATFORM=URL`: a platform's (or a web site's) accounts go out through their own
    #: proxy, in lanes of their own (a browser per lane), paced as their own egress.
    platform_proxies: dict[str, str] = field(default_factory=dict)
    #: Folder of signed-in sessions (sessions.py) to load into each endpoint's browser; None: none.
    sessions: Optional[str] = None
    #: Which sessions the run holds and their lapses (told once each); made by the front end.
    session_watch: SessionWatch = field(default_factory=SessionWatch)

    def deadline(self) -> float:
        return self.account_deadline or 10 * self.browser.timeout


@dataclass
class Progress:
    """Callbacks for a front end; the core never prints."""

    started: Callable[[RunInfo, int], None] = lambda run, total: None
    finished_account: Callable[[AccountResult], None] = lambda result: None
    #: Before the run: the hosts the preflight could not reach, and why (the run goes on).
    unreachable: Callable[[dict[str, str]], None] = lambda hosts: None


def new_run_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


#: What `--proxy PLATFORM=URL` may name: a platform, or a site of platform web.
PROXY_ROUTES = (*PLATFORMS, *SITES)


def account_route(account: Account, routes: Sequence[str]) -> Optional[str]:
    """The proxied route an account goes by (its web site's, else its platform's), or None."""
    return next((key for key in (account.site_key, account.platform) if key and key in routes), None)


def account_hosts(account: Account) -> tuple[str, ...]:
    """Every host an account's audit will request: its platform's, its feed's, its interaction page's."""
    extra = [urlsplit(url).hostname or "" for url in (account.feed, account.interaction) if url]
    return tuple(dict.fromkeys([*PLATFORMS[account.platform].hosts(account), *extra]))


#: Seconds an account's hosts must be away on one endpoint before it is left for another
#: endpoint that will be ready in half the time (a cool-down, a captcha halt; not mere pacing).
DEFER_AFTER = 1.0
#: Seconds a worker waits before asking again when what is left is better done elsewhere.
ASK_AGAIN = 0.1


class Scheduler:
    """Hands out accounts, preferring those whose hosts are not being paced right now.

    With several endpoints (each its own egress and pacer), a worker asks for the account
    whose hosts are ready soonest on its own endpoint, and leaves an account whose hosts are
    cooling down or walled off (a captcha halt) there to an endpoint where they are not."""

    def __init__(self, accounts: list[Account], pacer: HostPacer, routes: Sequence[str] = ()):
        self.pacer = pacer
        self.routes = tuple(routes)  # platforms with a proxy (and lanes) of their own
        self.queues: dict[tuple[Optional[str], tuple[str, ...]], deque[tuple[int, Account]]] = {}
        self.in_flight = 0  # taken and neither done nor put back
        for position, account in enumerate(accounts):
            self.queues.setdefault(self._key(account), deque()).append((position, account))

    def _key(self, account: Account) -> tuple[Optional[str], tuple[str, ...]]:
        return account_route(account, self.routes), account_hosts(account)

    def remaining(self, route: Optional[str]) -> int:
        """Accounts of `route` not yet taken."""
        return sum(len(queue) for (queue_route, _), queue in self.queues.items() if queue_route == route)

    def take(self) -> Optional[Account]:
        taken = self.take_for(self.pacer)
        return taken if isinstance(taken, Account) else None

    def take_for(self, pacer: HostPacer, others: Sequence[HostPacer] = (),
                 route: Optional[str] = None) -> Account | float | None:
        """The account for a worker of `pacer`'s endpoint (and proxied `route`: None for the
        accounts without a proxy of their own); seconds to wait before asking again when what
        is left is better done by the `others` (or may yet be put back); None at the end."""
        waiting, deferred = [], False
        for key, queue in self.queues.items():
            queue_route, hosts = key
            if not queue or queue_route != route:
                continue
            here = self._backlog(pacer, hosts)
            if here > DEFER_AFTER and others and min(self._backlog(o, hosts) for o in others) < here / 2:
                deferred = True
                continue
            waiting.append((self._wait(pacer, hosts), queue[0][0], key))
        if waiting:
            _, _, key = min(waiting)
            self.in_flight += 1
            return self.queues[key].popleft()[1]
        if deferred or self.in_flight:
            return ASK_AGAIN  # an account in flight elsewhere may come back (its endpoint died)
        return None

    def done(self) -> None:
        """A taken account is kept (judged and stored)."""
        self.in_flight -= 1

    def put_back(self, account: Account, position: int = -1) -> None:
        """An account to audit again (its browser crashed under it), before the others of its hosts."""
        self.in_flight -= 1
        self.queues.setdefault(self._key(account), deque()).appendleft((position, account))

    def _wait(self, pacer: HostPacer, hosts: tuple[str, ...]) -> float:
        return max((pacer.ready_in(host) for host in hosts), default=0.0)

    def _backlog(self, pacer: HostPacer, hosts: tuple[str, ...]) -> float:
        """How long the hosts are away on `pacer`'s endpoint; forever where a wall halted one."""
        if any(pacer.halted(host) for host in hosts):
            return float("inf")
        return max((pacer.backlog(host) for host in hosts), default=0.0)


class Visitor:
    """The `Fetch` adapters get: one worker's page and one account's evidence, bound. A page
    that stopped answering (or was cut off mid-load) is replaced before the next request."""

    def __init__(self, browser: BrowserSession, page: Page, evidence: AccountEvidence,
                 watch: Optional[SessionWatch] = None, account_id: str = ""):
        self.browser, self.page, self.evidence = browser, page, evidence
        self.watch, self.account_id = watch, account_id

    async def _page(self) -> Page:
        if self.browser.needs_replacing(self.page):
            self.page = await self.browser.replace_page(self.page)
        return self.page

    async def _seen(self, fetched: Fetched) -> Fetched:
        """A signed-in session whose platform just showed its logged-out markers lapses here."""
        if self.watch is not None:
            await self.watch.after(self.browser, fetched, self.account_id)
        return fetched

    async def __call__(self, url: str, label: str) -> Fetched:
        return await self._seen(await self.browser.fetch(await self._page(), url, label, self.evidence))

    async def request(self, url: str, label: str, **options: Any) -> Fetched:
        return await self._seen(await self.browser.request(await self._page(), url, label, self.evidence, **options))

    async def capture(self, url: str, label: str, patterns: list[str], **options: Any) -> Fetched:
        return await self._seen(
            await self.browser.capture(await self._page(), url, label, self.evidence, patterns, **options))

    async def download(self, url: str, label: str, max_bytes: int = 64 * 1024) -> Fetched:
        return await self._seen(
            await self.browser.download(await self._page(), url, label, self.evidence, max_bytes=max_bytes))

    def discard(self, fetched: Fetched) -> None:
        self.evidence.discard([*fetched.evidence, *(path for answer in fetched.captured for path in answer.evidence)])

    def halt(self, host: str, reason: str, evidence: list[str]) -> None:
        self.browser.pacer.halt(host, reason, evidence)

    def halted(self, host: str) -> Optional[HostHalt]:
        return self.browser.pacer.halted(host)


def new_observation(account: Account) -> Observation:
    return Observation(account_id=account.id, platform=account.platform, started_at=now(),
                       checks=list(PLATFORMS[account.platform].checks))


async def observe_account(browser: BrowserSession, page: Page, account: Account, evidence: AccountEvidence,
                          observation: Optional[Observation] = None, visitor: Optional[Visitor] = None,
                          content: int = 0) -> Observation:
    """Everything one account's pages show; never raises for one account's trouble (but
    BrowserCrashed, for the audit to relaunch the browser and do the account again)."""
    observation = observation if observation is not None else new_observation(account)
    fetch = visitor if visitor is not None else Visitor(browser, page, evidence)
    try:
        await PLATFORMS[account.platform].observe(account, observation, fetch)
        await observe_feed(account, observation, fetch)
        await check_interaction(account, observation, fetch)
        await read_newest(observation, fetch, content)
    except PlaywrightError as error:
        if not browser.connected or (browser.remote and not await browser.answering()):
            raise BrowserCrashed(str(error).splitlines()[0]) from None
        observation.add_signal("unreachable", f"浏览器错误：{str(error).splitlines()[0]}", evidence.paths)
    if browser.remote and not await browser.answering():
        # The server died or froze during the account: an answer cut short by that (an empty
        # body, a missing page) is not what the site showed, so the account is done again.
        raise BrowserCrashed("浏览器端点已断开或无响应")
    finish_observation(account, observation)
    return observation


def finish_observation(account: Account, observation: Observation) -> None:
    adapter = PLATFORMS[account.platform]
    shown = (*adapter.checks, *adapter.unchecked)
    if account.platform == "web" and (account.site_key in SITES or site_adapter(account) is not None):
        # A video or news site's account has nothing to download: 可下载可用 is for apps' pages.
        shown = tuple(indicator for indicator in shown if indicator != "availability")
    # What the platform can show, less what was checked for this account (an adapter may drop
    # an indicator for one account, e.g. an app filed only as download links shows no name).
    observation.not_checked = [i for i in shown if i not in observation.checks]
    observation.finished_at = now()


#: `record_har` value meaning "beside the run's snapshots": <snapshots>/<run-id>/run.har.
RECORD_BESIDE_SNAPSHOTS = ""


async def audit_accounts(registry: Registry, accounts: list[Account], options: AuditOptions,
                         store: Store, progress: Progress = Progress(), *,
                         recheck_of: Optional[str] = None, carry: Optional[dict[str, LastCheck]] = None) -> RunResult:
    """Audit `accounts` into a new run; each account is stored the moment it is judged.

    `carry` (audit --due): accounts of `accounts` not to check, each with its last stored check,
    kept in the run as that check proved them (Judgement.carried_from), so the run covers them all."""
    carry = carry or {}
    started_at = now()
    as_of = options.as_of
    if as_of is None and options.browser.replay_har:
        as_of = capture_time(options.browser.replay_har)
    as_of = as_of or started_at
    run = RunInfo(id=new_run_id(started_at), as_of=as_of, registry=registry.path, started_at=started_at,
                  recheck_of=recheck_of)

    def started(description: str) -> None:
        store.start_run(
            run, accounts, registry_sha256=registry.sha256, tool_version=__version__,
            browser=description, options={**_recorded_options(options), **({"carried": len(carry)} if carry else {})},
        )
        if carry:
            store.carry_accounts(run.id, [carried(last, run) for account in accounts
                                          if (last := carry.get(account.id)) is not None])

    await _audit_into(run, [account for account in accounts if account.id not in carry], options, store, progress,
                      started, "run.har")
    # As stored, with staff review applied: filings (报备) of earlier runs carry into this one.
    return store.load_run(run.id)


def carried(last: LastCheck, run: RunInfo) -> tuple[Observation, Judgement]:
    """An account's last check as a row of `run`: its observation (nothing left to resume) and
    judgement, marked with the run and time that proved it (上次核验)."""
    judgement = last.judgement.model_copy(update={
        "as_of": run.as_of, "carried_from": last.checked_in, "carried_as_of": last.checked_at})
    if judgement.verdict == "fail":
        # The run shows it 不合格 (as last proved): one more failed run in a row, as a daily
        # audit would count it, so a 连续不合格 warning is not raised later for checking less.
        judgement.consecutive_failures += 1
    return last.observation.model_copy(update={"deferred": []}), judgement


async def resume_run(run_id: str, options: AuditOptions, store: Store, progress: Progress = Progress()) -> RunResult:
    """Finish an interrupted run: audit the accounts it had not finished, and those a captcha wall
    kept a source from (Observation.deferred), into the same run.

    Finished accounts are neither fetched again nor touched; an unfinished account's folder
    (whatever a killed worker left in it) is cleared before it is audited afresh."""
    run = store.run_info(run_id)
    stored = store.run_row(run_id)["options"]
    options.snapshots = stored.get("snapshots", options.snapshots)
    options.as_of = run.as_of
    options.content = stored.get("content", options.content)
    if stored.get("replay_har") and not options.browser.replay_har:
        options.browser.replay_har = stored["replay_har"]
    # Accounts a captcha wall kept a source from are done again too (their rows are replaced).
    deferred = store.deferred_accounts(run_id)
    store.forget_accounts(run_id, deferred)
    done = store.finished_accounts(run_id)
    remaining = [account for account in store.audited_accounts(run_id) if account.id not in done]
    for account in remaining:
        folder = AccountEvidence(options.snapshots, run.id, account.id).folder
        if folder.exists():
            shutil.rmtree(folder)
    store.reopen_run(run_id)
    resumed = sum(1 for path in (Path(options.snapshots) / run.id).glob("run-resumed-*.har")) + 1
    await _audit_into(run, remaining, options, store, progress, lambda description: None,
                      f"run-resumed-{resumed}.har")
    return store.load_run(run_id)


#: Hosts probed before a run, at most per browser (a registry of city sites has hundreds of
#: hosts; this many say whether the network and proxy work).
PREFLIGHT_HOSTS = 40


async def preflight(pool: BrowserPool, planned: list[tuple[BrowserOptions, int, Optional[str]]],
                    accounts: list[Account], routes: list[str], progress: Progress) -> None:
    """Before anything is stored: one quick probe per host the accounts are filed under, through
    the browser (and proxy) that will ask it. NetworkUnreachable, at once, when no host answers;
    the hosts that do not answer are told to `progress.unreachable`, and the run goes on."""
    origins: dict[Optional[str], list[str]] = {}
    for account in accounts:
        for url in (account.urls or [])[:1]:
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}"
            route = origins.setdefault(account_route(account, routes), [])
            if parts.hostname and origin not in route:
                route.append(origin)
    outcomes: dict[str, Optional[str]] = {}
    for route, names in origins.items():
        session = next((session for position, session in pool.sessions if planned[position][2] == route), None)
        if session is not None and names:
            outcomes.update(await session.probe(names[:PREFLIGHT_HOSTS]))
    # Named by host (with its port when it has one), as staff know them.
    failed = {urlsplit(origin).netloc: error for origin, error in outcomes.items() if error}
    if outcomes and len(failed) == len(outcomes):
        shown = "、".join(f"{host}（{error}）" for host, error in list(failed.items())[:3])
        more = f"等 {len(failed)} 个主机" if len(failed) > 3 else ""
        proxies = [redact(session.options.proxy["server"]) for _, session in pool.sessions if session.options.proxy]
        check = f"代理 {'、'.join(dict.fromkeys(proxies))} 是否可用" if proxies else "是否需要设置代理（--proxy）"
        raise NetworkUnreachable(f"无法连接任何平台：{shown}{more}均无法访问。请检查本机网络连接，以及{check}；"
                                 "未开始检查，未保存任何批次")
    if failed:
        progress.unreachable(failed)


@dataclass
class Lane:
    """One browser (the local Chromium, or one endpoint's) and the workers that use it."""

    index: int  # 1-based, as endpoints are numbered
    browser: BrowserSession
    pages: int
    turns: "Turns" = field(default_factory=lambda: Turns())
    relaunches: int = 0
    lost: Optional[str] = None  # why this lane can no longer be used
    route: Optional[str] = None  # the proxied platform whose accounts it alone takes; None: the rest


def lane_options(options: AuditOptions, routes: Optional[Sequence[str]] = None
                 ) -> list[tuple[BrowserOptions, int, Optional[str]]]:
    """Each lane's browser options, pages and proxied route: one local lane, or one lane per
    endpoint; and for each `--proxy PLATFORM=URL`, one more lane beside each of those (the
    same browser server, or another local Chromium) whose context goes out through that proxy,
    if the run has accounts for it (`routes`: the proxied routes it has; None: all)."""
    if not options.endpoints:
        bases = [(options.browser, options.concurrency)]
    else:
        bases = [(replace(options.browser, endpoint=endpoint.url, host_pace=dict(options.browser.host_pace),
                          proxy=playwright_proxy(endpoint.proxy) or options.browser.proxy),
                  endpoint.pages or options.pages_per_endpoint or options.concurrency)
                 for endpoint in options.endpoints]
    lanes: list[tuple[BrowserOptions, int, Optional[str]]] = []
    for browser, pages in bases:
        lanes.append((browser, pages, None))
        for route, url in options.platform_proxies.items():
            if routes is not None and route not in routes:
                continue
            lanes.append((replace(browser, host_pace=dict(browser.host_pace), proxy=playwright_proxy(url)), pages, route))
    if options.browser.record_har and len(lanes) > 1:
        # Each lane records its part (merged into the run's HAR at the end); the run's own
        # options keep the merged file's name.
        lanes = [(replace(browser, record_har=lane_har_path(options.browser.record_har, number)), pages, route)
                 for number, (browser, pages, route) in enumerate(lanes, 1)]
    return lanes


async def _audit_into(run: RunInfo, accounts: list[Account], options: AuditOptions, store: Store,
                      progress: Progress, started: Callable[[str], None], har_name: str) -> None:
    """The worker loop: observe, judge (with the account's history) and keep every account.

    Workers run in lanes, one per browser: the local Chromium, or each endpoint of a pool. A
    lane whose browser cannot be brought back is given up and its accounts are done by the
    others; when every lane is lost the run stops, and --resume finishes it."""
    if options.browser.record_har == RECORD_BESIDE_SNAPSHOTS:
        options.browser.record_har = str(Path(options.snapshots) / run.id / har_name)
    options.browser.har_note = {"as_of": run.as_of.isoformat(), "run": run.id, "registry": run.registry}
    planned = lane_options(options, {account_route(account, list(options.platform_proxies)) for account in accounts})
    held: list[list[str]] = [[] for _ in planned]  # the signed-in platforms of each lane
    if options.sessions and not options.browser.replay_har:
        kept = SessionStore(options.sessions)
        for position, (browser, pages, route) in enumerate(planned):
            states = kept.states(browser.endpoint)
            held[position] = list(states)
            planned[position] = (replace(browser, storage_state=merged_state(states)), pages, route)

    unsaved: list[tuple[str, str]] = []  # accounts the store refused: (id, why)
    async with BrowserPool([browser for browser, _, _ in planned]) as pool:
        for position, session in pool.sessions:
            options.session_watch.holds(session, planned[position][0].endpoint, held[position])
        if not options.browser.replay_har:  # a replay is answered from its HAR, not the network
            await preflight(pool, planned, accounts, list(options.platform_proxies), progress)
        started(pool.description)
        progress.started(run, len(accounts))
        lanes = [Lane(position + 1, session, planned[position][1], route=planned[position][2])
                 for position, session in pool.sessions]
        scheduler = Scheduler(accounts, lanes[0].browser.pacer, list(options.platform_proxies))
        screener = options.screener or Screener()
        crashes: dict[tuple[str, int], int] = {}  # (account id, lane) -> browser crashes under it
        stop: list[str] = []  # why the run cannot go on

        def lose(lane: Lane, why: str) -> None:
            lane.lost = why
            if all(other.lost for other in lanes):
                if len(planned) == 1:
                    stop.append(why)
                else:
                    stop.append("所有浏览器端点均已失去连接（" + "；".join(
                        f"端点 {other.index}：{other.lost}" for other in lanes) + "）")
            elif all(other.lost for other in lanes if other.route == lane.route) and scheduler.remaining(lane.route):
                # Only these lanes may take these accounts (their proxy): stop, --resume finishes.
                what = f"经代理（{lane.route}）的" if lane.route else "不经专用代理的"
                stop.append(f"{what}浏览器均已失去连接（" + "；".join(
                    f"端点 {other.index}：{other.lost}" for other in lanes if other.route == lane.route) + "）")

        async def restart(lane: Lane, why: str) -> None:
            """Relaunch (or reconnect) the lane's browser once none of its accounts is in flight."""
            browser = lane.browser
            async with lane.turns.exclusive():
                if lane.lost:
                    return
                if why == "crash" and browser.connected:
                    return  # another worker relaunched it already
                if why != "crash" and not browser.recycle_due():
                    return
                if why == "crash":
                    lane.relaunches += 1
                    if lane.relaunches > MAX_RELAUNCHES:
                        lose(lane, f"浏览器已崩溃 {lane.relaunches} 次")
                        return
                try:
                    await browser.relaunch()
                except BrowserUnavailable as error:
                    lose(lane, f"浏览器无法重新启动（{error}）")

        async def worker(lane: Lane) -> None:
            browser = lane.browser
            page: Optional[Page] = None
            generation = 0
            while not stop and not lane.lost:
                others = [other.browser.pacer for other in lanes
                          if other is not lane and not other.lost and other.route == lane.route]
                taken = scheduler.take_for(browser.pacer, others, lane.route)
                if taken is None:
                    return
                if not isinstance(taken, Account):
                    await asyncio.sleep(taken)
                    continue
                account = taken
                crashed = False
                async with lane.turns.account():
                    if stop or lane.lost:
                        scheduler.put_back(account)
                        return
                    evidence = AccountEvidence(options.snapshots, run.id, account.id)
                    observation = new_observation(account)
                    try:
                        if page is None or generation != browser.generation or browser.needs_replacing(page):
                            if page is not None and generation == browser.generation:
                                await browser.discard_page(page)
                            page, generation = await browser.new_page(), browser.generation
                        visitor = Visitor(browser, page, evidence, options.session_watch, account.id)
                        try:
                            await asyncio.wait_for(
                                observe_account(browser, page, account, evidence, observation, visitor, options.content),
                                options.deadline())
                        except asyncio.TimeoutError:
                            if browser.remote and not await browser.answering():
                                raise BrowserCrashed("浏览器端点无响应") from None
                            observation.add_signal(
                                "unreachable", f"检查超过时限（{options.deadline():g} 秒）仍未完成，已中止；需人工核查",
                                evidence.paths)
                            finish_observation(account, observation)
                            await browser.discard_page(visitor.page)
                        page = visitor.page
                    except BrowserCrashed:
                        crashed = True
                    except Exception as error:  # one account's bug must not stop the batch; say so loudly
                        print(visible(f"nmaudit: 账号 {account.id} 检查时出现内部错误：{error!r}"), file=sys.stderr)
                        observation = Observation(account_id=account.id, platform=account.platform,
                                                  started_at=now(), finished_at=now())
                        observation.add_signal("unparsed", f"内部错误，需人工核查：{error!r}", evidence.paths)
                    redo = False
                    if crashed or not browser.connected:
                        key = (account.id, lane.index)
                        crashes[key] = crashes.get(key, 0) + 1
                        if crashes[key] <= 1:  # done again, once per browser, in a new one (or elsewhere)
                            redo = True
                            if evidence.folder.exists():
                                shutil.rmtree(evidence.folder, ignore_errors=True)
                            scheduler.put_back(account)
                            page = None
                        else:
                            observation.add_signal("unreachable", "浏览器在检查此账号时两次崩溃或断开，需人工核查",
                                                   evidence.paths)
                            finish_observation(account, observation)
                    if not redo:
                        browser.accounts_since_launch += 1
                        try:
                            result = await keep_durably(store, run, account, observation, evidence, screener)
                        except StoreError as error:  # the others still get stored
                            unsaved.append((account.id, str(error)))
                        else:
                            progress.finished_account(result)
                        finally:
                            scheduler.done()
                if not browser.connected:
                    await restart(lane, "crash")
                elif browser.recycle_due():
                    await restart(lane, "recycle")

        if accounts:
            await asyncio.gather(*(worker(lane) for lane in lanes
                                   for _ in range(max(1, min(lane.pages, len(accounts))))))
        if stop:
            raise RunInterrupted(run.id, "；".join(dict.fromkeys(stop)))

    har_files = pool.har_files
    if len(planned) > 1 and options.browser.record_har:
        # One HAR of the whole run, whichever endpoint fetched what, for --replay.
        merged = merge_hars(har_files, options.browser.record_har)
        har_files = [merged] if merged else []
    for har in har_files:
        # The HAR is complete only now that the browser has closed; it is evidence of the run.
        if Path(har).exists():
            data = Path(har).read_bytes()
            store.add_run_evidence(run.id, EvidenceFile(
                path=har, kind="har", sha256=hashlib.sha256(data).hexdigest(), captured_at=now(), size=len(data)))
    if unsaved:
        ids = "、".join(account_id for account_id, _ in unsaved[:5]) + ("等" if len(unsaved) > 5 else "")
        raise RunInterrupted(run.id, f"{len(unsaved)} 个账号（{ids}）未能写入数据库：{unsaved[0][1]}")
    run.finished_at = now()
    store.finish_run(run.id, run.finished_at)
    # As stored, with staff review applied: filings (报备) of earlier runs carry into this one.
    return store.load_run(run.id)


#: Crashes of the browser one run survives (relaunching each time) before it stops.
MAX_RELAUNCHES = 5


class Turns:
    """Accounts in flight share the browser; a relaunch waits until none is, and holds new
    ones back until it is done (a reader-writer lock, writers first)."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._active = 0
        self._exclusive = False

    @asynccontextmanager
    async def account(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._exclusive)
            self._active += 1
        try:
            yield
        finally:
            async with self._changed:
                self._active -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._exclusive)
            self._exclusive = True
            await self._changed.wait_for(lambda: self._active == 0)
        try:
            yield
        finally:
            async with self._changed:
                self._exclusive = False
                self._changed.notify_all()


async def keep_durably(store: Store, run: RunInfo, account: Account, observation: Observation,
                       evidence: AccountEvidence, screener: Optional[Screener] = None) -> AccountResult:
    """keep(), with the evidence flushed to disk in a thread before the rows that name it are
    stored, so the pages of the run go on meanwhile."""
    hits = write_observation(run, observation, evidence, screener)
    await asyncio.to_thread(evidence.sync)
    return store_judged(store, run, account, observation, evidence, hits)


def keep(store: Store, run: RunInfo, account: Account, observation: Observation,
         evidence: AccountEvidence, screener: Optional[Screener] = None) -> AccountResult:
    """Judge one observation and keep it: observation.json, then the rows, atomically."""
    hits = write_observation(run, observation, evidence, screener)
    evidence.sync()
    return store_judged(store, run, account, observation, evidence, hits)


def write_observation(run: RunInfo, observation: Observation, evidence: AccountEvidence,
                      screener: Optional[Screener] = None) -> list:
    """Screen the texts seen and write observation.json; the screening's hits.

    Content screening runs first and masks personal information in the texts seen, so no
    stored copy carries it; its hits are kept beside the judgement, never in it."""
    hits = screen_observation(observation, screener or Screener(), run.as_of.date())
    observation.evidence = list(dict.fromkeys(observation.evidence + evidence.paths))
    observation.evidence.append(str(evidence.folder / "observation.json"))
    evidence.save("observation.json", observation.model_dump_json(indent=2).encode("utf-8"), "observation")
    return hits


def store_judged(store: Store, run: RunInfo, account: Account, observation: Observation,
                 evidence: AccountEvidence, hits: list) -> AccountResult:
    """Judge (with the account's history) and store the rows, in one transaction."""
    judgement = judge(account, observation, run.as_of, store.prior(account.id, run))
    store.save_account(run.id, observation, judgement, evidence.files, content_hits=hits)
    return AccountResult(account=account, observation=observation, judgement=judgement, content_hits=hits)


def _recorded_options(options: AuditOptions) -> dict:
    browser = options.browser
    return {
        "concurrency": options.concurrency, "snapshots": str(Path(options.snapshots)),
        "timeout": browser.timeout, "pace": browser.pace, "retries": browser.retries,
        "browser_args": browser.browser_args, "executable": browser.executable,
        "record_har": browser.record_har, "replay_har": browser.replay_har,
        "content": options.content,
        **({"browser_endpoints": [redact(endpoint.url) for endpoint in options.endpoints],
            "pages_per_endpoint": options.pages_per_endpoint} if options.endpoints else {}),
        **({"platform_proxies": {route: redact(url) for route, url in options.platform_proxies.items()}}
           if options.platform_proxies else {}),
        # Which platforms were signed in, never the sessions themselves.
        **({"sessions": options.session_watch.used()} if options.session_watch.used() else {}),
    }
