"""Shared fixtures: the local platform emulator and an in-process audit runner."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

from nmaudit.audit import AuditOptions, audit_accounts
from nmaudit.browser import BrowserOptions
from nmaudit.models import Account, Policy, RunResult
from nmaudit.registry import Registry
from nmaudit.store import Store
from tests.emulator import Emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def weibo_account(account_id: str, uid: str, **fields: Any) -> Account:
    values: dict[str, Any] = {
        "name": "平安宝鸡", "platform": "weibo", "owner": "宝鸡市公安局", "certified_as": "宝鸡市公安局",
        "urls": [f"https://weibo.com/u/{uid}"],
    }
    values.update(fields)
    return Account(id=account_id, **values)


def run_audit(emulator: Emulator, accounts: list[Account], folder: Path, as_of=None,
              concurrency: int = 4, **browser: Any) -> RunResult:
    """Audit in-process against the emulator: real Chromium, real SQLite, real files."""
    settings: dict[str, Any] = {"pace": 0.0, "retries": 2, "backoff": 0.05, "timeout": 15.0}
    settings.update(browser)
    registry = Registry(path="tests.yaml", version=1, policy=Policy(), accounts=accounts, sha256="test")
    options = AuditOptions(
        db=str(folder / "nmaudit.db"), snapshots=str(folder / "snapshots"), as_of=as_of,
        concurrency=concurrency,
        browser=BrowserOptions(browser_args=emulator.browser_args, **settings),
    )
    # A thread of its own: pytest-playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(
            lambda: asyncio.run(audit_accounts(registry, accounts, options, Store(options.db)))
        ).result()


def by_id(result: RunResult) -> dict[str, Any]:
    return {item.account.id: item for item in result.results}


def codes(item: Any) -> list[str]:
    return [finding.code for finding in item.judgement.findings]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's browser: Playwright's own build where installed, else the system's."""
    from playwright.sync_api import sync_playwright

    from nmaudit.browser import QUIET_FLAGS, browser_candidates

    with sync_playwright() as playwright:
        candidates = browser_candidates(playwright, None)
    if not candidates:
        pytest.fail("no Chromium: run 'nmaudit install' (make test does)")
    return {**browser_type_launch_args, "executable_path": candidates[0], "args": QUIET_FLAGS}



def recorded_run(emulator: Emulator, accounts: list[Account], folder: Path, as_of: Any) -> tuple[dict[str, Any], Path]:
    """A live audit recorded to a HAR in `folder`: the results by account id, and the HAR."""
    har = folder / "live.har"
    return by_id(run_audit(emulator, accounts, folder, as_of=as_of, record_har=str(har))), har


#: What a replay must give again, account by account, for the sites read from what pages load.
REPLAYED_FIELDS = ("name", "certification", "newest_post_at", "newest_post_source", "pinned_post_at")


def replayed_alike(emulator: Emulator, accounts: list[Account], live: dict[str, Any], har: Path, folder: Path,
                   hosts: tuple[str, ...], as_of: Any) -> dict[str, Any]:
    """Replay `har`; check it asked the `hosts` nothing and gave every account the same verdict,
    findings (codes and messages) and observation as the `live` run. The replayed results."""
    asked = sum(len(emulator.requests_to(host)) for host in hosts)
    replayed = by_id(run_audit(emulator, accounts, folder, as_of=as_of, replay_har=str(har)))
    assert sum(len(emulator.requests_to(host)) for host in hosts) == asked, "a replay asks nothing"
    for account_id, item in live.items():
        again = replayed[account_id]
        assert again.judgement.verdict == item.judgement.verdict, account_id
        assert [(f.code, f.message) for f in again.judgement.findings] == [
            (f.code, f.message) for f in item.judgement.findings], account_id
        for name in REPLAYED_FIELDS:
            assert getattr(again.observation, name) == getattr(item.observation, name), (account_id, name)
    return replayed
