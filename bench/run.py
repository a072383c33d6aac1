"""nmaudit against a naive Playwright loop, on N synthetic Weibo accounts served locally.

`make bench` runs `python -m bench.run --accounts N`. One emulator (tests/emulator.py) serves
m.weibo.cn for both phases; host pacing is off, since this measures the engine, not politeness:

1. nmaudit, in-process through `audit_accounts` with its defaults (concurrency, viewport JPEGs,
   page reuse, one browser), into a temporary database and snapshots folder;
2. a naive loop: one account at a time, a new context and page per account, `page.goto` of the
   two API URLs nmaudit fetches, a full-page PNG after each, the JSON read, the context closed.

Each phase is timed from browser launch to browser close, and its peak memory is the largest
sum of RSS over this process and all its descendants (Chromium, Playwright's driver), sampled
every 100 ms. Both phases are checked to have done all the work. The last stdout line is
`speedup: 6.2x (nmaudit 9.1 accounts/s, naive 1.5 accounts/s, N=200, peak 840 MB)`
(MB here are MiB; the peak is nmaudit's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Awaitable, Callable, Optional, TypeVar

import psutil
from playwright.async_api import async_playwright

from nmaudit.audit import AuditOptions, Progress, audit_accounts
from nmaudit.browser import BrowserOptions, launch_chromium
from nmaudit.dates import now
from nmaudit.errors import NmauditError
from nmaudit.models import Account, AccountResult, Policy
from nmaudit.registry import Registry
from nmaudit.store import Store
from tests.emulator import Emulator
from tests.weibo_site import API_PATH, Post, WeiboAccount, WeiboSite, days_before, posts_at

FIRST_UID = 3_000_000_000
SAMPLE_EVERY = 0.1  # seconds between two memory samples
MIB = 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Shape:
    """One kind of synthetic account: how its feed looks and the verdict nmaudit must reach."""

    name: str
    verdict: str
    feed: Callable[[datetime], list[Post]]
    grouped: bool = False


#: Cycled over the accounts: mostly active accounts, some idle ones (a week, and past 14 days).
SHAPES = (
    Shape("active", "pass", lambda ref: posts_at(days_before(ref, 1, 18, 30), days_before(ref, 2, 9, 5),
                                                 days_before(ref, 4), pinned_first=days_before(ref, 400))),
    Shape("active-relative", "pass", lambda ref: [Post("3小时前"), Post("昨天 16:40"), *posts_at(days_before(ref, 3))]),
    Shape("active-grouped", "pass", lambda ref: posts_at(days_before(ref, 2), days_before(ref, 6)), grouped=True),
    Shape("idle-9d", "pass", lambda ref: posts_at(days_before(ref, 9), days_before(ref, 12))),  # a warning only
    Shape("stale-20d", "fail", lambda ref: posts_at(days_before(ref, 20), days_before(ref, 35),
                                                    pinned_first=days_before(ref, 200))),
)

#: Real-looking bureau names, so screenshots render CJK text like the real pages do.
BUREAUS = ("公安局", "市场监管局", "交通运输局", "生态环境局", "人民政府新闻办", "卫生健康委", "应急管理局", "教育局")


@dataclass
class Synthetic:
    """The accounts as registered, as served, and the verdict each must get."""

    registry: Registry
    served: list[WeiboAccount]
    expected: dict[str, str]  # account id -> verdict


def synthesize(count: int, reference: datetime) -> Synthetic:
    """`count` registered Weibo accounts and the matching emulated ones, uids 3000000000+i."""
    accounts, served, expected = [], [], {}
    for index in range(count):
        uid = str(FIRST_UID + index)
        shape = SHAPES[index % len(SHAPES)]
        bureau = BUREAUS[index % len(BUREAUS)]
        name = f"宝鸡{bureau}{index:04d}"
        certified = f"宝鸡市{bureau}"
        account_id = f"wb-{index:04d}"
        accounts.append(Account(
            id=account_id, name=name, platform="weibo", owner=certified, certified_as=certified,
            region="宝鸡市", urls=[f"https://weibo.com/u/{uid}"], line=index + 1,
        ))
        served.append(WeiboAccount(uid, screen_name=name, verified_reason=f"{certified}官方微博",
                                   posts=shape.feed(reference), grouped=shape.grouped))
        expected[account_id] = shape.verdict
    registry = Registry(path="bench:synthetic", version=1, policy=Policy(), accounts=accounts, sha256="bench")
    return Synthetic(registry=registry, served=served, expected=expected)


def info_url(uid: str) -> str:
    return f"{API_PATH}?type=uid&value={uid}"


def posts_url(uid: str) -> str:
    return f"{info_url(uid)}&containerid=107603{uid}"


class PeakMemory:
    """Samples RSS of this process and its descendants in a thread; keeps the largest sum."""

    def __init__(self, every: float = SAMPLE_EVERY):
        self.every = every
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass  # a process that ended between listing and reading
            self.peak = max(self.peak, total)
            self.samples += 1
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Phase:
    """One side's figures."""

    name: str
    accounts: int
    done: int
    seconds: float
    peak_mb: float
    detail: str

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def progress_logger(name: str, total: int) -> Callable[[], None]:
    """A tick function that logs about every tenth of the way, with the rate so far."""
    started = time.perf_counter()
    step = max(1, total // 10)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % step == 0 or done == total:
            elapsed = time.perf_counter() - started
            log(f"{name}: {done}/{total} accounts, {elapsed:.1f}s, {done / elapsed:.2f} accounts/s")

    return tick


def measure(work: Callable[[], Awaitable[T]]) -> tuple[T, float, int]:
    """Run `work` in a fresh event loop: its result, wall seconds and peak bytes."""
    with PeakMemory() as memory:
        started = time.perf_counter()
        result = asyncio.run(work())
        seconds = time.perf_counter() - started
    return result, seconds, memory.peak


def run_nmaudit(synthetic: Synthetic, emulator: Emulator, folder: Path, concurrency: int) -> Phase:
    """nmaudit with its defaults, but no pacing and Chromium pointed at the emulator."""
    options = AuditOptions(
        db=str(folder / "bench.db"), snapshots=str(folder / "snapshots"), concurrency=concurrency,
        browser=BrowserOptions(pace=0.0, browser_args=emulator.browser_args),
    )
    accounts = synthetic.registry.accounts
    tick = progress_logger("nmaudit", len(accounts))
    folder.mkdir(parents=True)
    store = Store(options.db)
    result, seconds, peak = measure(lambda: audit_accounts(
        synthetic.registry, accounts, options, store, Progress(finished_account=lambda _: tick()),
    ))
    problems = check_nmaudit(result.results, synthetic.expected, options, result.run.id)
    if problems:
        raise BenchFailure("nmaudit: " + "; ".join(problems))
    verdicts = Counter(item.judgement.verdict for item in result.results)
    detail = ", ".join(f"{verdict} {verdicts[verdict]}" for verdict in ("pass", "fail", "review") if verdicts[verdict])
    return Phase("nmaudit", len(accounts), len(result.results), seconds, peak / MIB, detail)


def check_nmaudit(results: list[AccountResult], expected: dict[str, str], options: AuditOptions,
                  run_id: str) -> list[str]:
    """What is wrong with a run: missing accounts, unexpected verdicts, missing rows or evidence."""
    problems = []
    wrong = [f"{item.account.id} {item.judgement.verdict} (expected {expected[item.account.id]}: "
             f"{[finding.code for finding in item.judgement.findings]})"
             for item in results if item.judgement.verdict != expected[item.account.id]]
    if len(results) != len(expected):
        problems.append(f"{len(results)} results for {len(expected)} accounts")
    if wrong:
        problems.append(f"{len(wrong)} unexpected verdicts, e.g. {wrong[:3]}")
    with sqlite3.connect(options.db) as db:
        stored = db.execute("select count(*) from judgements where run_id = ?", [run_id]).fetchone()[0]
    if stored != len(expected):
        problems.append(f"{stored} judgements stored for {len(expected)} accounts")
    shots = sum(1 for _ in (Path(options.snapshots) / run_id).glob("*/*.jpg"))
    if shots != 2 * len(expected):
        problems.append(f"{shots} screenshots kept, expected {2 * len(expected)}")
    return problems


async def naive_loop(uids: list[str], browser_args: list[str], folder: Path,
                     tick: Callable[[], None]) -> dict[str, list[dict]]:
    """The obvious script: sequential, a fresh context per account, full-page PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    documents: dict[str, list[dict]] = {}
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, None, browser_args)
        try:
            for uid in uids:
                context = await browser.new_context()
                page = await context.new_page()
                for kind, url in (("info", info_url(uid)), ("posts", posts_url(uid))):
                    response = await page.goto(url)
                    await page.screenshot(path=folder / f"{uid}-{kind}.png", full_page=True)
                    if response is not None:
                        documents.setdefault(uid, []).append(await response.json())
                await context.close()
                tick()
        finally:
            await browser.close()
    return documents


def run_naive(synthetic: Synthetic, emulator: Emulator, folder: Path) -> Phase:
    uids = [account.uid for account in synthetic.served]
    tick = progress_logger("naive", len(uids))
    documents, seconds, peak = measure(lambda: naive_loop(uids, emulator.browser_args, folder, tick))
    # Done means both documents of an account parsed and were the real data, not an error answer.
    complete = [uid for uid in uids if [document.get("ok") for document in documents.get(uid, [])] == [1, 1]]
    if len(complete) != len(uids):
        raise BenchFailure(f"naive: {len(complete)} of {len(uids)} accounts gave both JSON documents")
    shots = sum(1 for _ in folder.glob("*.png"))
    if shots != 2 * len(uids):
        raise BenchFailure(f"naive: {shots} screenshots kept, expected {2 * len(uids)}")
    return Phase("naive", len(uids), len(complete), seconds, peak / MIB, f"{2 * len(complete)} JSON docs")


class BenchFailure(Exception):
    """A phase did not do all of its work; its figures would mean nothing."""


def api_requests(emulator: Emulator) -> int:
    return sum(1 for request in emulator.requests_to("m.weibo.cn") if request.path == "/api/container/getIndex")


def table(phases: list[Phase]) -> str:
    rows = [f"{'phase':<8} {'accounts':>8} {'wall s':>8} {'accounts/s':>10} {'peak MB':>8}  checked"]
    rows += [f"{p.name:<8} {p.done:>8} {p.seconds:>8.1f} {p.rate:>10.2f} {p.peak_mb:>8.0f}  {p.detail}" for p in phases]
    return "\n".join(rows)


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200, metavar="N", help="synthetic accounts (default 200)")
    parser.add_argument("--concurrency", type=int, default=AuditOptions().concurrency,
                        help="nmaudit's pages at once (default: nmaudit's default, %(default)s)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.concurrency < 1:
        parser.error("--accounts and --concurrency must be at least 1")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    """Run both phases; 0 when both did all their work, 1 otherwise."""
    args = parse_args(argv)
    synthetic = synthesize(args.accounts, now())
    with Emulator() as emulator, TemporaryDirectory(prefix="nmaudit-bench-") as scratch:
        WeiboSite(emulator, synthetic.served)
        folder = Path(scratch)
        try:
            log(f"nmaudit: {args.accounts} accounts, concurrency {args.concurrency}, pace 0, in-process")
            nmaudit = run_nmaudit(synthetic, emulator, folder / "nmaudit", args.concurrency)
            after_nmaudit = api_requests(emulator)
            log("naive: sequential, a new context per account, full-page PNGs")
            naive = run_naive(synthetic, emulator, folder / "naive")
            # Both sides must have asked the server for the same documents, no more, no less.
            counts = (after_nmaudit, api_requests(emulator) - after_nmaudit)
            if counts != (2 * args.accounts, 2 * args.accounts):
                raise BenchFailure(f"emulator saw {counts} API requests (nmaudit, naive), "
                                   f"expected {2 * args.accounts} each")
        except (BenchFailure, NmauditError) as failure:
            log(f"FAILED: {failure}")
            return 1
    speedup = nmaudit.rate / naive.rate
    print(table([nmaudit, naive]))
    if args.json:
        figures = {"accounts": args.accounts, "concurrency": args.concurrency, "speedup": speedup,
                   "phases": {p.name: {**asdict(p), "accounts_per_s": p.rate} for p in (nmaudit, naive)}}
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"speedup: {speedup:.1f}x (nmaudit {nmaudit.rate:.1f} accounts/s, naive {naive.rate:.1f} accounts/s, "
          f"N={args.accounts}, peak {nmaudit.peak_mb:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
