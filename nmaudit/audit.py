"""The audit loop: registry accounts -> adapters (observe) -> rules (judge) -> store + snapshots."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import shutil
import sys
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, Callable, Optional

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from . import __version__
from .browser import HostHalt, BrowserOptions, BrowserSession, Fetched, HostPacer, capture_time
from .dates import now
from .models import Account, AccountResult, Observation, RunInfo, RunResult
from .platforms import PLATFORMS
from .platforms.feed import observe_feed
from .platforms.interaction import check_interaction
from .registry import Registry
from .rules import judge
from .snapshots import AccountEvidence, EvidenceFile
from .store import Store


@dataclass
class AuditOptions:
    db: str = "nmaudit.db"
    snapshots: str = "snapshots"
    as_of: Optional[datetime] = None  # default: now, or the capture's time in a replay
    concurrency: int = 6  # pages at once; real pages spend most of their time waiting on the network
    browser: BrowserOptions = field(default_factory=BrowserOptions)


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

    def _wait(self, hosts: tuple[str, ...]) -> float:
        return max((self.pacer.ready_in(host) for host in hosts), default=0.0)


class Visitor:
    """The `Fetch` adapters get: one worker's page and one account's evidence, bound."""

    def __init__(self, browser: BrowserSession, page: Page, evidence: AccountEvidence):
        self.browser, self.page, self.evidence = browser, page, evidence

    async def __call__(self, url: str, label: str) -> Fetched:
        return await self.browser.fetch(self.page, url, label, self.evidence)

    async def request(self, url: str, label: str, **options: Any) -> Fetched:
        return await self.browser.request(self.page, url, label, self.evidence, **options)

    async def download(self, url: str, label: str, max_bytes: int = 64 * 1024) -> Fetched:
        return await self.browser.download(self.page, url, label, self.evidence, max_bytes=max_bytes)

    def halt(self, host: str, reason: str, evidence: list[str]) -> None:
        self.browser.pacer.halt(host, reason, evidence)

    def halted(self, host: str) -> Optional[HostHalt]:
        return self.browser.pacer.halted(host)


async def observe_account(browser: BrowserSession, page: Page, account: Account,
                          evidence: AccountEvidence) -> Observation:
    """Everything one account's pages show; never raises for one account's trouble."""
    observation = Observation(
        account_id=account.id, platform=account.platform, started_at=now(),
        checks=list(PLATFORMS[account.platform].checks),
    )

    fetch = Visitor(browser, page, evidence)
    try:
        await PLATFORMS[account.platform].observe(account, observation, fetch)
        await observe_feed(account, observation, fetch)
        await check_interaction(account, observation, fetch)
    except PlaywrightError as error:
        observation.add_signal("unreachable", f"浏览器错误：{str(error).splitlines()[0]}", evidence.paths)
    adapter = PLATFORMS[account.platform]
    # What the platform can show, less what was checked for this account (an adapter may drop
    # an indicator for one account, e.g. an app filed only as download links shows no name).
    observation.not_checked = [i for i in (*adapter.checks, *adapter.unchecked) if i not in observation.checks]
    observation.finished_at = now()
    return observation


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

    async with BrowserSession(options.browser) as browser:
        started(browser.description)
        progress.started(run, len(accounts))
        scheduler = Scheduler(accounts, browser.pacer)

        async def worker() -> None:
            page = await browser.new_page()
            while (account := scheduler.take()) is not None:
                evidence = AccountEvidence(options.snapshots, run.id, account.id)
                try:
                    observation = await observe_account(browser, page, account, evidence)
                except Exception as error:  # one account's bug must not stop the batch; say so loudly
                    traceback.print_exc(file=sys.stderr)
                    observation = Observation(account_id=account.id, platform=account.platform,
                                              started_at=now(), finished_at=now())
                    observation.add_signal("unparsed", f"内部错误，需人工核查：{error!r}", evidence.paths)
                if page.is_closed():
                    page = await browser.new_page()
                result = keep(store, run, account, observation, evidence)
                progress.finished_account(result)

        if accounts:
            await asyncio.gather(*(worker() for _ in range(max(1, min(options.concurrency, len(accounts))))))

    if options.browser.record_har and Path(options.browser.record_har).exists():
        # The HAR is complete only now that the browser has closed; it is evidence of the run.
        har = Path(options.browser.record_har)
        data = har.read_bytes()
        store.add_run_evidence(run.id, EvidenceFile(
            path=str(har), kind="har", sha256=hashlib.sha256(data).hexdigest(), captured_at=now(), size=len(data)))
    run.finished_at = now()
    store.finish_run(run.id, run.finished_at)
    # As stored, with staff review applied: filings (报备) of earlier runs carry into this one.
    return store.load_run(run.id)


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
