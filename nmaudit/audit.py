"""The audit loop: registry accounts -> adapters (observe) -> rules (judge) -> store + snapshots."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import shutil
import sys
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, AsyncIterator, Callable, Optional

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from . import __version__
from .browser import BrowserCrashed, BrowserOptions, BrowserSession, Fetched, HostHalt, HostPacer, capture_time
from .dates import now
from .errors import BrowserUnavailable, RunInterrupted, StoreError
from .models import Account, AccountResult, Observation, RunInfo, RunResult
from .platforms import PLATFORMS
from .platforms.feed import observe_feed
from .platforms.interaction import check_interaction
from .registry import Registry
from .rules import judge
from .snapshots import AccountEvidence, EvidenceFile
from .sanitize import visible
from .store import Store


@dataclass
class AuditOptions:
    db: str = "nmaudit.db"
    snapshots: str = "snapshots"
    as_of: Optional[datetime] = None  # default: now, or the capture's time in a replay
    concurrency: int = 6  # pages at once; real pages spend most of their time waiting on the network
    browser: BrowserOptions = field(default_factory=BrowserOptions)
    #: Seconds one account may take in all (every page, retry and back-off); past it the
    #: account is 待复核 and its page replaced. None: ten navigation timeouts.
    account_deadline: Optional[float] = None

    def deadline(self) -> float:
        return self.account_deadline or 10 * self.browser.timeout


@dataclass
class Progress:
    """Callbacks for a front end; the core never prints."""

    started: Callable[[RunInfo, int], None] = lambda run, total: None
    finished_account: Callable[[AccountResult], None] = lambda result: None


def new_run_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def account_hosts(account: Account) -> tuple[str, ...]:
    """Every host an account's audit will request: its platform's, its feed's, its interaction page's."""
    extra = [urlsplit(url).hostname or "" for url in (account.feed, account.interaction) if url]
    return tuple(dict.fromkeys([*PLATFORMS[account.platform].hosts(account), *extra]))


class Scheduler:
    """Hands out accounts, preferring those whose hosts are not being paced right now."""

    def __init__(self, accounts: list[Account], pacer: HostPacer):
        self.pacer = pacer
        self.queues: dict[tuple[str, ...], deque[tuple[int, Account]]] = {}
        for position, account in enumerate(accounts):
            hosts = account_hosts(account)
            self.queues.setdefault(hosts, deque()).append((position, account))

    def take(self) -> Optional[Account]:
        waiting = [(self._wait(hosts), queue[0][0], hosts) for hosts, queue in self.queues.items() if queue]
        if not waiting:
            return None
        _, _, hosts = min(waiting)
        return self.queues[hosts].popleft()[1]

    def put_back(self, account: Account, position: int = -1) -> None:
        """An account to audit again (its browser crashed under it), before the others of its hosts."""
        self.queues.setdefault(account_hosts(account), deque()).appendleft((position, account))

    def _wait(self, hosts: tuple[str, ...]) -> float:
        return max((self.pacer.ready_in(host) for host in hosts), default=0.0)


class Visitor:
    """The `Fetch` adapters get: one worker's page and one account's evidence, bound. A page
    that stopped answering (or was cut off mid-load) is replaced before the next request."""

    def __init__(self, browser: BrowserSession, page: Page, evidence: AccountEvidence):
        self.browser, self.page, self.evidence = browser, page, evidence

    async def _page(self) -> Page:
        if self.browser.needs_replacing(self.page):
            self.page = await self.browser.replace_page(self.page)
        return self.page

    async def __call__(self, url: str, label: str) -> Fetched:
        return await self.browser.fetch(await self._page(), url, label, self.evidence)

    async def request(self, url: str, label: str, **options: Any) -> Fetched:
        return await self.browser.request(await self._page(), url, label, self.evidence, **options)

    async def capture(self, url: str, label: str, patterns: list[str], **options: Any) -> Fetched:
        return await self.browser.capture(await self._page(), url, label, self.evidence, patterns, **options)

    async def download(self, url: str, label: str, max_bytes: int = 64 * 1024) -> Fetched:
        return await self.browser.download(await self._page(), url, label, self.evidence, max_bytes=max_bytes)

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
                          observation: Optional[Observation] = None, visitor: Optional[Visitor] = None) -> Observation:
    """Everything one account's pages show; never raises for one account's trouble (but
    BrowserCrashed, for the audit to relaunch the browser and do the account again)."""
    observation = observation if observation is not None else new_observation(account)
    fetch = visitor if visitor is not None else Visitor(browser, page, evidence)
    try:
        await PLATFORMS[account.platform].observe(account, observation, fetch)
        await observe_feed(account, observation, fetch)
        await check_interaction(account, observation, fetch)
    except PlaywrightError as error:
        if not browser.connected:
            raise BrowserCrashed(str(error).splitlines()[0]) from None
        observation.add_signal("unreachable", f"浏览器错误：{str(error).splitlines()[0]}", evidence.paths)
    finish_observation(account, observation)
    return observation


def finish_observation(account: Account, observation: Observation) -> None:
    adapter = PLATFORMS[account.platform]
    # What the platform can show, less what was checked for this account (an adapter may drop
    # an indicator for one account, e.g. an app filed only as download links shows no name).
    observation.not_checked = [i for i in (*adapter.checks, *adapter.unchecked) if i not in observation.checks]
    observation.finished_at = now()


#: `record_har` value meaning "beside the run's snapshots": <snapshots>/<run-id>/run.har.
RECORD_BESIDE_SNAPSHOTS = ""


async def audit_accounts(registry: Registry, accounts: list[Account], options: AuditOptions,
                         store: Store, progress: Progress = Progress(), *,
                         recheck_of: Optional[str] = None) -> RunResult:
    """Audit `accounts` into a new run; each account is stored the moment it is judged."""
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
            browser=description, options=_recorded_options(options),
        )

    await _audit_into(run, accounts, options, store, progress, started, "run.har")
    # As stored, with staff review applied: filings (报备) of earlier runs carry into this one.
    return store.load_run(run.id)


async def resume_run(run_id: str, options: AuditOptions, store: Store, progress: Progress = Progress()) -> RunResult:
    """Finish an interrupted run: audit the accounts it had not finished, and those a captcha wall
    kept a source from (Observation.deferred), into the same run.

    Finished accounts are neither fetched again nor touched; an unfinished account's folder
    (whatever a killed worker left in it) is cleared before it is audited afresh."""
    run = store.run_info(run_id)
    stored = store.run_row(run_id)["options"]
    options.snapshots = stored.get("snapshots", options.snapshots)
    options.as_of = run.as_of
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


async def _audit_into(run: RunInfo, accounts: list[Account], options: AuditOptions, store: Store,
                      progress: Progress, started: Callable[[str], None], har_name: str) -> None:
    """The worker loop: observe, judge (with the account's history) and keep every account."""
    if options.browser.record_har == RECORD_BESIDE_SNAPSHOTS:
        options.browser.record_har = str(Path(options.snapshots) / run.id / har_name)
    options.browser.har_note = {"as_of": run.as_of.isoformat(), "run": run.id, "registry": run.registry}

    unsaved: list[tuple[str, str]] = []  # accounts the store refused: (id, why)
    async with BrowserSession(options.browser) as browser:
        started(browser.description)
        progress.started(run, len(accounts))
        scheduler = Scheduler(accounts, browser.pacer)
        turns = Turns()
        crashes: dict[str, int] = {}  # account id -> browser crashes under it
        relaunches = 0
        stop: list[str] = []  # why the run cannot go on

        async def restart(why: str) -> None:
            """Relaunch the browser once no account is in flight (a crash, or recycling)."""
            nonlocal relaunches
            async with turns.exclusive():
                if why == "crash" and browser.connected:
                    return  # another worker relaunched it already
                if why != "crash" and not browser.recycle_due():
                    return
                if why == "crash":
                    relaunches += 1
                    if relaunches > MAX_RELAUNCHES:
                        stop.append(f"浏览器已崩溃 {relaunches} 次")
                        return
                try:
                    await browser.relaunch()
                except BrowserUnavailable as error:
                    stop.append(f"浏览器无法重新启动（{error}）")

        async def worker() -> None:
            page: Optional[Page] = None
            generation = 0
            while not stop and (account := scheduler.take()) is not None:
                crashed = False
                async with turns.account():
                    if stop:
                        scheduler.put_back(account)
                        return
                    evidence = AccountEvidence(options.snapshots, run.id, account.id)
                    observation = new_observation(account)
                    try:
                        if page is None or generation != browser.generation or browser.needs_replacing(page):
                            if page is not None and generation == browser.generation:
                                await browser.discard_page(page)
                            page, generation = await browser.new_page(), browser.generation
                        visitor = Visitor(browser, page, evidence)
                        try:
                            await asyncio.wait_for(
                                observe_account(browser, page, account, evidence, observation, visitor),
                                options.deadline())
                        except asyncio.TimeoutError:
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
                        crashes[account.id] = crashes.get(account.id, 0) + 1
                        if crashes[account.id] <= 1:  # done again, once, in a new browser
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
                            result = keep(store, run, account, observation, evidence)
                        except StoreError as error:  # the others still get stored
                            unsaved.append((account.id, str(error)))
                        else:
                            progress.finished_account(result)
                if not browser.connected:
                    await restart("crash")
                elif browser.recycle_due():
                    await restart("recycle")

        if accounts:
            await asyncio.gather(*(worker() for _ in range(max(1, min(options.concurrency, len(accounts))))))
        if stop:
            raise RunInterrupted(run.id, "；".join(dict.fromkeys(stop)))

    for har in browser.har_files:
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


def keep(store: Store, run: RunInfo, account: Account, observation: Observation,
         evidence: AccountEvidence) -> AccountResult:
    """Judge one observation and keep it: observation.json, then the rows, atomically."""
    observation.evidence = list(dict.fromkeys(observation.evidence + evidence.paths))
    observation.evidence.append(str(evidence.folder / "observation.json"))
    evidence.save("observation.json", observation.model_dump_json(indent=2).encode("utf-8"), "observation")
    judgement = judge(account, observation, run.as_of, store.prior(account.id, run))
    store.save_account(run.id, observation, judgement, evidence.files)
    return AccountResult(account=account, observation=observation, judgement=judgement)


def _recorded_options(options: AuditOptions) -> dict:
    browser = options.browser
    return {
        "concurrency": options.concurrency, "snapshots": str(Path(options.snapshots)),
        "timeout": browser.timeout, "pace": browser.pace, "retries": browser.retries,
        "browser_args": browser.browser_args, "executable": browser.executable,
        "record_har": browser.record_har, "replay_har": browser.replay_har,
    }
