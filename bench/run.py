"""nmaudit against a naive Playwright loop, on N synthetic Weibo accounts served locally.

`make bench` runs `python -m bench.run --accounts N`. One emulator (tests/emulator.py) serves
m.weibo.cn for both phases; host pacing is off, since this measures the engine, not politeness:

1. nmaudit, in-process through `audit_accounts` with its defaults (concurrency, viewport JPEGs,
   page reuse, one browser), into a temporary database and snapshots folder;
2. a naive loop for the same evidence: one account at a time, a new context and page per
   account, the profile m.weibo.cn/u/<uid> opened until the network is idle, a full-page PNG,
   the two API answers the page loaded read as JSON, the context closed.

Both phases launch the same Chromium: the one nmaudit picks (as `nmaudit install` reports),
or `--executable PATH`; the log's first line names it. Each phase is timed from browser
launch to browser close. Every second a thread sums the PSS
of this process and all its descendants (Chromium, Playwright's driver) and keeps the largest
sum, and notes the CPU time of each, so the summary can say where the time went. Both phases
are checked to have done all their work. The last stdout line is
`speedup: 6.2x (nmaudit 9.1 accounts/s, naive 1.5 accounts/s, N=200, peak 840 MB)`
where MB are MiB and the peak is nmaudit's.

`--endpoints K` measures the browser pool instead: K local Playwright browser servers
(`playwright run-server`, driving the project's Chromium), host pacing ON at the default pace,
every account on the one host m.weibo.cn, whose profile pages meet the visitor wall (as most
cookieless runs do: three paced requests per account, so that pacing, not this machine's two
cores, is the limit). The same registry is audited through one server, then through K; the
rate is taken from the moment the browsers are up to the last account's end (their start
excluded: a standing pool is up before the run), and the last line is `endpoints: 2.9x (3 endpoints 1.9
accounts/s, 1 endpoint 0.65 accounts/s once the browsers are up, N=90, pace 0.5 s, profile
wall)`: pacing is per endpoint (each its own egress), so K endpoints do K times the requests
per second to one host.
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
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Awaitable, Callable, Optional, TypeVar, Union

import psutil
from playwright.async_api import async_playwright

from nmaudit.audit import AuditOptions, Progress, audit_accounts
from nmaudit.browser import BrowserOptions, launch_chromium, launch_chromium_described
from nmaudit.dates import now
from nmaudit.errors import NmauditError
from nmaudit.models import Account, AccountResult, Policy
from nmaudit.pool import Endpoint
from nmaudit.registry import Registry
from nmaudit.store import Store
from tests.emulator import Emulator
from tests.weibo_site import API_PATH, Post, WeiboAccount, WeiboSite, days_before, posts_at

FIRST_UID = 3_000_000_000
SAMPLE_EVERY = 1.0  # seconds between two samples (reading PSS costs CPU and holds the GIL: not too often)
MIB = 1024 * 1024
#: Above this share of the machine's CPU used by other processes, a phase's figures are suspect.
CONTENDED = 0.10

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
    Shape("active-relative", "pass",
          lambda ref: [Post("3小时前"), Post("昨天 16:40"), *posts_at(days_before(ref, 3))]),
    Shape("active-grouped", "pass", lambda ref: posts_at(days_before(ref, 2), days_before(ref, 6)), grouped=True),
    Shape("idle-9d", "pass", lambda ref: posts_at(days_before(ref, 9), days_before(ref, 12))),  # a warning only
    Shape("stale-20d", "fail", lambda ref: posts_at(days_before(ref, 20), days_before(ref, 35),
                                                    pinned_first=days_before(ref, 200))),
)

#: Real-looking bureau names, so screenshots render CJK text as real pages do.
BUREAUS = ("公安局", "市场监管局", "交通运输局", "生态环境局", "人民政府新闻办", "卫生健康委", "应急管理局", "教育局")


@dataclass
class Synthetic:
    """The accounts as registered, as served, and the verdict each must get."""

    registry: Registry
    served: list[WeiboAccount]
    expected: dict[str, str]  # account id -> verdict
    profile: str = "renders"  # what m.weibo.cn/u/<uid> does (tests/weibo_site.py WeiboAccount.profile)


def synthesize(count: int, reference: datetime, profile: str = "renders") -> Synthetic:
    """`count` registered Weibo accounts and the matching emulated ones, uids 3000000000+i.
    `profile` "renders": each profile page renders (one readable screenshot, the two answers
    it loaded); "wall": each meets the visitor wall, and the two API answers are opened and
    photographed instead (as most cookieless runs go)."""
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
                                   posts=shape.feed(reference), grouped=shape.grouped, profile=profile))
        expected[account_id] = shape.verdict
    registry = Registry(path="bench:synthetic", version=1, policy=Policy(), accounts=accounts, sha256="bench")
    return Synthetic(registry=registry, served=served, expected=expected, profile=profile)


def info_url(uid: str) -> str:
    return f"{API_PATH}?type=uid&value={uid}"


def posts_url(uid: str) -> str:
    return f"{info_url(uid)}&containerid=107603{uid}"


def busy_cpu() -> float:
    """CPU seconds the whole machine has spent not idle, counting time stolen by the hypervisor."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


def process_kind(process: psutil.Process, own_command: list[str]) -> Optional[str]:
    """What a descendant is (Playwright's driver, which of Chromium's processes), or None
    while its command line cannot tell: a fork not yet exec'd shows ours, an exiting one none."""
    command = process.cmdline()
    if not command or command == own_command:
        return None
    name = Path(command[0]).name
    if name.startswith("node"):
        return "playwright driver"
    kind = next((arg.split("=", 1)[1] for arg in command if arg.startswith("--type=")), None)
    if kind:
        return f"chromium {kind}"
    return "chromium browser" if "chrom" in name else f"other: {name}"


class Sampler:
    """A thread sampling this process and its descendants: the largest memory sum, CPU per kind.

    Memory is PSS (proportional set size): Chromium's processes share most of their pages,
    and summing RSS would count each shared page once per process.

    CPU is read per thread for this process, since the emulator's threads share it with
    nmaudit's event loop; a process or thread that ends loses at most its last 100 ms.
    """

    def __init__(self, every: float = SAMPLE_EVERY):
        self.every = every
        self.peak = 0
        self.samples: list[tuple[float, int]] = []  # (time.perf_counter(), summed PSS in bytes), for --soak
        self.other_cpu = 0.0  # CPU seconds used by processes outside this tree during the phase
        self._me = psutil.Process()
        self._command = self._me.cmdline()
        self._kinds: dict[int, str] = {}
        self._cpu: dict[Union[int, str], tuple[str, float]] = {}  # pid or "thread <tid>" -> (kind, seconds)
        self._before: dict[Union[int, str], float] = {}
        self._busy_before = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def _sample(self) -> None:
        total = 0
        for process in [self._me, *self._me.children(recursive=True)]:
            try:
                with process.oneshot():
                    total += process.memory_full_info().pss
                    if process.pid != self._me.pid:
                        # Asked every time, the last clear answer kept: a renderer forked from a
                        # zygote shows the zygote's command line until it renames itself.
                        kind = process_kind(process, self._command) or self._kinds.get(process.pid, "unknown")
                        self._kinds[process.pid] = kind
                        times = process.cpu_times()
                        self._cpu[process.pid] = (kind, times.user + times.system)
            except psutil.Error:
                pass  # ended between listing and reading
        sampler = threading.get_native_id()
        for thread in self._me.threads():
            kind = ("python: nmaudit / naive loop (event loop)" if thread.id == self._me.pid
                    else "python: bench sampler" if thread.id == sampler else "python: emulator and other threads")
            self._cpu[f"thread {thread.id}"] = (kind, thread.user_time + thread.system_time)
        self.peak = max(self.peak, total)
        self.samples.append((time.perf_counter(), total))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds spent during the phase, per kind of process or thread, largest first."""
        spent: Counter[str] = Counter()
        for key, (kind, seconds) in self._cpu.items():
            spent[kind] += seconds - self._before.get(key, 0.0)
        return {kind: round(seconds, 2) for kind, seconds in spent.most_common()}

    def __enter__(self) -> "Sampler":
        self._sample()  # what threads and processes had spent before the phase
        self._before = {key: seconds for key, (_, seconds) in self._cpu.items()}
        self._busy_before = busy_cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.other_cpu = max(0.0, busy_cpu() - self._busy_before - sum(self.cpu_by_kind().values()))


@dataclass
class Phase:
    """One side's figures."""

    name: str
    accounts: int
    done: int
    seconds: float
    peak_mb: float
    detail: str
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per kind of process
    other_cpu: float = 0.0  # CPU seconds used meanwhile by processes outside the benchmark
    ready_at: Optional[float] = None  # time.perf_counter() when the browsers were up
    finished: list[float] = field(default_factory=list)  # time.perf_counter() as each account finished

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def steady_rate(self) -> float:
        """Accounts per second from the moment the browsers were up (launched or connected) to
        the last account's end: without their start, which a standing pool does not pay per run."""
        if self.ready_at is None or not self.finished or self.finished[-1] <= self.ready_at:
            return self.rate
        return len(self.finished) / (self.finished[-1] - self.ready_at)


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


def measure(name: str, accounts: int, work: Callable[[], Awaitable[T]],
            samples: Optional[list[tuple[float, int]]] = None) -> tuple[T, Phase]:
    """Run `work` in a fresh event loop; its result, and a Phase with all but `done` and `detail`.
    `samples` receives the memory samples taken meanwhile."""
    with Sampler(SOAK_SAMPLE_EVERY if samples is not None else SAMPLE_EVERY) as sampler:
        started = time.perf_counter()
        result = asyncio.run(work())
        seconds = time.perf_counter() - started
    if samples is not None:
        samples.extend(sampler.samples)
    phase = Phase(name, accounts, 0, seconds, sampler.peak / MIB, "", sampler.cpu_by_kind(), sampler.other_cpu)
    capacity = seconds * (psutil.cpu_count() or 1)
    # Kernel threads working for the benchmark (loopback, disk flushes) count as other too: allow a second.
    if phase.other_cpu > max(CONTENDED * capacity, 1.0):
        log(f"warning: other processes used {phase.other_cpu:.1f} of {capacity:.1f} CPU seconds "
            f"during the {name} phase; its figures are noisy")
    return result, phase


def run_nmaudit(synthetic: Synthetic, emulator: Emulator, folder: Path, concurrency: int,
                soak: Optional["Soak"] = None, executable: Optional[str] = None) -> Phase:
    """nmaudit with its defaults, but no pacing and Chromium pointed at the emulator."""
    options = AuditOptions(
        db=str(folder / "bench.db"), snapshots=str(folder / "snapshots"), concurrency=concurrency,
        browser=BrowserOptions(pace=0.0, browser_args=emulator.browser_args, executable=executable),
    )
    accounts = synthetic.registry.accounts
    tick = progress_logger("nmaudit", len(accounts))
    folder.mkdir(parents=True)
    store = Store(options.db)

    def finished(_: AccountResult) -> None:
        tick()
        if soak is not None:
            soak.finished.append(time.perf_counter())

    result, phase = measure("nmaudit", len(accounts), lambda: audit_accounts(
        synthetic.registry, accounts, options, store, Progress(finished_account=finished),
    ), soak.samples if soak is not None else None)
    problems = check_nmaudit(result.results, synthetic.expected, options, result.run.id, synthetic.profile)
    if problems:
        raise BenchFailure("nmaudit: " + "; ".join(problems))
    verdicts = Counter(item.judgement.verdict for item in result.results)
    phase.done = len(result.results)
    phase.detail = ", ".join(f"{verdict} {verdicts[verdict]}" for verdict in ("pass", "fail", "review")
                             if verdicts[verdict])
    return phase


def check_nmaudit(results: list[AccountResult], expected: dict[str, str], options: AuditOptions,
                  run_id: str, profile: str = "renders") -> list[str]:
    """What is wrong with a run: missing accounts, unexpected verdicts, missing rows or evidence."""
    problems = []
    wrong = [f"{item.account.id} {item.judgement.verdict}, expected {expected[item.account.id]}: "
             + ("; ".join(f"{finding.code} {finding.message}" for finding in item.judgement.findings) or "no findings")
             for item in results if item.judgement.verdict != expected[item.account.id]]
    if len(results) != len(expected):
        problems.append(f"{len(results)} results for {len(expected)} accounts")
    if wrong:
        problems.append(f"{len(wrong)} unexpected verdicts, e.g. " + " | ".join(wrong[:3]))
    with sqlite3.connect(options.db) as db:
        stored = db.execute("select count(*) from judgements where run_id = ?", [run_id]).fetchone()[0]
    if stored != len(expected):
        problems.append(f"{stored} judgements stored for {len(expected)} accounts")
    # Rendered: one readable screenshot per account (the profile), its two JSON answers beside
    # it. Behind the wall: the two API answers, each photographed and kept.
    folder = Path(options.snapshots) / run_id
    shots = sum(1 for _ in folder.glob("*/*.jpg"))
    wanted_shots = len(expected) * (1 if profile == "renders" else 2)
    if shots != wanted_shots:
        problems.append(f"{shots} screenshots kept, expected {wanted_shots}")
    pattern = "*/*.loaded-*[0-9].json" if profile == "renders" else "*/*-weibo-*[a-z].json"
    answers = sum(1 for _ in folder.glob(pattern))
    if answers != 2 * len(expected):
        problems.append(f"{answers} JSON answers kept, expected {2 * len(expected)}")
    return problems


async def naive_loop(uids: list[str], browser_args: list[str], folder: Path,
                     tick: Callable[[], None], executable: Optional[str] = None) -> dict[str, list[dict]]:
    """The obvious script for the same evidence: sequential, a fresh context per account, the
    profile opened and left to settle (networkidle), a full-page PNG, the API answers it loaded."""
    folder.mkdir(parents=True, exist_ok=True)
    documents: dict[str, list[dict]] = {}
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, executable, browser_args)
        try:
            for uid in uids:
                context = await browser.new_context()
                page = await context.new_page()
                answers = []
                page.on("response", lambda response: answers.append(response)
                        if "/api/container/getIndex" in response.url else None)
                await page.goto(f"https://m.weibo.cn/u/{uid}", wait_until="networkidle")
                await page.screenshot(path=folder / f"{uid}-profile.png", full_page=True)
                for response in answers:
                    documents.setdefault(uid, []).append(await response.json())
                await context.close()
                tick()
        finally:
            await browser.close()
    return documents


def run_naive(synthetic: Synthetic, emulator: Emulator, folder: Path, executable: Optional[str] = None) -> Phase:
    uids = [account.uid for account in synthetic.served]
    tick = progress_logger("naive", len(uids))
    documents, phase = measure("naive", len(uids),
                               lambda: naive_loop(uids, emulator.browser_args, folder, tick, executable))
    # Done means both documents of an account parsed and were the real data, not an error answer.
    complete = [uid for uid in uids if [document.get("ok") for document in documents.get(uid, [])] == [1, 1]]
    if len(complete) != len(uids):
        raise BenchFailure(f"naive: {len(complete)} of {len(uids)} accounts gave both JSON documents")
    shots = sum(1 for _ in folder.glob("*.png"))
    if shots != len(uids):
        raise BenchFailure(f"naive: {shots} screenshots kept, expected {len(uids)}")
    phase.done = len(complete)
    phase.detail = f"{2 * len(complete)} JSON docs"
    return phase


#: Seconds between two memory samples in a soak (hours long: fewer samples, same picture).
SOAK_SAMPLE_EVERY = 1.0
#: The soak passes when the last quarter's median memory is within this of the second quarter's.
SOAK_TOLERANCE = 0.10


@dataclass
class Soak:
    """Memory through a long run: samples, and when each account finished."""

    samples: list[tuple[float, int]] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)

    def quarter_medians(self) -> list[Optional[float]]:
        """Median memory (MiB) while the 1st, 2nd, 3rd and 4th quarter of the accounts were done."""
        import bisect
        import statistics

        total = len(self.finished)
        quarters: list[list[int]] = [[], [], [], []]
        for at, memory in self.samples:
            done = bisect.bisect_right(self.finished, at)
            if 0 < done <= total:
                quarters[min(3, (done - 1) * 4 // total)].append(memory)
        return [statistics.median(q) / MIB if q else None for q in quarters]

    def verdict(self) -> tuple[bool, str]:
        medians = self.quarter_medians()
        second, last = medians[1], medians[3]
        shown = ", ".join(f"Q{n + 1} {m:.0f}" if m is not None else f"Q{n + 1} —" for n, m in enumerate(medians))
        if not second or last is None:
            return False, f"soak: too few samples ({shown} MB)"
        growth = last / second - 1
        ok = growth <= SOAK_TOLERANCE
        return ok, (f"soak: {len(self.finished)} accounts, median memory by quarter {shown} MB; "
                    f"last quarter {growth:+.1%} against the second (limit +{SOAK_TOLERANCE:.0%}): "
                    f"{'OK' if ok else 'FAILED'}")


class BenchFailure(Exception):
    """A phase did not do all of its work; its figures would mean nothing."""


def browser_description(executable: Optional[str]) -> str:
    """Which Chromium the phases will launch: 'Chromium 156.0.8078.108 (/usr/bin/chromium-headless-shell)'."""
    async def probe() -> str:
        async with async_playwright() as playwright:
            browser, description = await launch_chromium_described(playwright, executable, [])
            await browser.close()
            return description
    return asyncio.run(probe())


def api_requests(emulator: Emulator) -> int:
    return sum(1 for request in emulator.requests_to("m.weibo.cn") if request.path == "/api/container/getIndex")


def summary(phases: list[Phase]) -> str:
    """The figures side by side, then where each phase's CPU time went."""
    lines = [f"{'phase':<8} {'accounts':>8} {'wall s':>7} {'accounts/s':>10} {'peak MB':>8} {'CPU s':>6}  checked"]
    lines += [f"{p.name:<8} {p.done:>8} {p.seconds:>7.1f} {p.rate:>10.2f} {p.peak_mb:>8.0f} "
              f"{sum(p.cpu.values()):>6.1f}  {p.detail}" for p in phases]
    cores = psutil.cpu_count() or 1
    for p in phases:
        lines.append(f"{p.name} CPU seconds ({p.seconds * cores:.1f} available on {cores} cores, "
                     f"{p.other_cpu:.1f} used by other processes):")
        lines += [f"  {seconds:7.1f}  {kind}" for kind, seconds in p.cpu.items() if seconds >= 0.05]
    return "\n".join(lines)


def run_pool(synthetic: Synthetic, emulator: Emulator, folder: Path, endpoints: list[str], pages: int,
             executable: Optional[str], pace: float) -> Phase:
    """nmaudit through `endpoints`, host pacing at its default, every account on one host."""
    name = f"{len(endpoints)} endpoint{'s' if len(endpoints) > 1 else ''}"
    options = AuditOptions(
        db=str(folder / "bench.db"), snapshots=str(folder / "snapshots"), concurrency=pages,
        browser=BrowserOptions(browser_args=emulator.browser_args, remote_executable=executable, pace=pace),
        endpoints=[Endpoint(url) for url in endpoints], pages_per_endpoint=pages,
    )
    accounts = synthetic.registry.accounts
    tick = progress_logger(name, len(accounts))
    folder.mkdir(parents=True)
    store = Store(options.db)
    finished: list[float] = []
    ready: list[float] = []

    def done(_: AccountResult) -> None:
        finished.append(time.perf_counter())
        tick()

    result, phase = measure(name, len(accounts), lambda: audit_accounts(
        synthetic.registry, accounts, options, store,
        Progress(started=lambda run, total: ready.append(time.perf_counter()), finished_account=done)))
    phase.finished, phase.ready_at = finished, (ready[0] if ready else None)
    problems = check_nmaudit(result.results, synthetic.expected, options, result.run.id, synthetic.profile)
    if problems:
        raise BenchFailure(f"{name}: " + "; ".join(problems))
    phase.done = len(result.results)
    phase.detail = f"pace {options.browser.pace:g} s per (endpoint, host), {pages} pages per endpoint"
    return phase


def pool_benchmark(args: argparse.Namespace) -> int:
    """One endpoint, then `args.endpoints`, over the same registry; their ratio of accounts/s."""
    from tests.browser_servers import BrowserServer, project_chromium

    synthetic = synthesize(args.accounts, now(), args.profile or "wall")
    servers = [BrowserServer() for _ in range(args.endpoints)]
    with Emulator() as emulator, TemporaryDirectory(prefix="nmaudit-bench-") as scratch:
        WeiboSite(emulator, synthetic.served)
        executable = project_chromium()
        try:
            for server in servers:
                server.start()
            urls = [server.url for server in servers]
            log(f"pool: {args.accounts} accounts on m.weibo.cn, pace {args.pace:g} s, "
                f"{args.concurrency} pages per endpoint")
            one = run_pool(synthetic, emulator, Path(scratch) / "one", urls[:1], args.concurrency, executable, args.pace)
            many = run_pool(synthetic, emulator, Path(scratch) / "many", urls, args.concurrency, executable, args.pace)
        except (BenchFailure, NmauditError, RuntimeError) as failure:
            log(f"FAILED: {failure}")
            return 1
        finally:
            for server in servers:
                server.kill()
    # The ratio of steady rates: a standing pool's browsers are up before a run, and starting
    # three at once on this machine's two cores is not what a pool of hosts pays.
    ratio = many.steady_rate / one.steady_rate
    print(summary([many, one]))
    for phase in (many, one):
        print(f"{phase.name}: {phase.steady_rate:.2f} accounts/s once the browsers were up "
              f"({phase.rate:.2f} counting their start)")
    if args.json:
        figures = {"accounts": args.accounts, "endpoints": args.endpoints, "pages_per_endpoint": args.concurrency,
                   "pace": args.pace,
                   "ratio": ratio, "phases": {p.name: {**asdict(p), "accounts_per_s": p.rate,
                                                       "steady_accounts_per_s": p.steady_rate} for p in (many, one)}}
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"endpoints: {ratio:.1f}x ({many.name} {many.steady_rate:.2f} accounts/s, {one.name} "
          f"{one.steady_rate:.2f} accounts/s once the browsers are up, N={args.accounts}, pace {args.pace:g} s, "
          f"profile {synthetic.profile})", flush=True)
    return 0


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200, metavar="N", help="synthetic accounts (default 200)")
    parser.add_argument("--concurrency", type=int, default=AuditOptions().concurrency,
                        help="nmaudit's pages at once (default: nmaudit's default, %(default)s)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--executable", metavar="PATH",
                        help="the Chromium both phases launch (default: the one nmaudit picks, as 'nmaudit install' "
                             "reports)")
    parser.add_argument("--soak", action="store_true",
                        help="nmaudit alone, memory sampled through the run: the last quarter's median must "
                             f"be within {SOAK_TOLERANCE:.0%} of the second quarter's (make soak: 5,000 accounts)")
    parser.add_argument("--endpoints", type=int, metavar="K",
                        help="the browser pool: K local browser servers against one, host pacing on (default pace)")
    parser.add_argument("--pace", type=float, default=BrowserOptions().pace, metavar="SECONDS",
                        help="with --endpoints: seconds between two requests to one host (default %(default)s)")
    parser.add_argument("--profile", choices=("renders", "wall"),
                        help="what the synthetic profile pages do: render (one readable screenshot each; "
                             "the default) or meet the visitor wall (two API answers photographed; the "
                             "default with --endpoints, see README)")
    args = parser.parse_args(argv)
    if args.endpoints is not None and args.endpoints < 2:
        parser.error("--endpoints must be at least 2 (it is compared with one)")
    if args.accounts < 1 or args.concurrency < 1:
        parser.error("--accounts and --concurrency must be at least 1")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    """Run both phases and print the figures; 0 when both did all their work, 1 otherwise."""
    args = parse_args(argv)
    if args.soak:
        return soak(args)
    if args.endpoints:
        return pool_benchmark(args)
    synthetic = synthesize(args.accounts, now(), args.profile or "renders")
    with Emulator() as emulator, TemporaryDirectory(prefix="nmaudit-bench-") as scratch:
        WeiboSite(emulator, synthetic.served)
        folder = Path(scratch)
        try:
            log(f"browser: {browser_description(args.executable)}")
            log(f"nmaudit: {args.accounts} accounts, concurrency {args.concurrency}, pace 0, in-process")
            nmaudit = run_nmaudit(synthetic, emulator, folder / "nmaudit", args.concurrency,
                                  executable=args.executable)
            after_nmaudit = api_requests(emulator)
            log("naive: sequential, a new context per account, full-page PNGs")
            naive = run_naive(synthetic, emulator, folder / "naive", args.executable)
            # Both sides must have asked the server for the same documents, no more, no less.
            counts = (after_nmaudit, api_requests(emulator) - after_nmaudit)
            if counts != (2 * args.accounts, 2 * args.accounts):
                raise BenchFailure(f"emulator saw {counts} API requests (nmaudit, naive), "
                                   f"expected {2 * args.accounts} each")
        except (BenchFailure, NmauditError) as failure:
            log(f"FAILED: {failure}")
            return 1
    speedup = nmaudit.rate / naive.rate
    print(summary([nmaudit, naive]))
    if args.json:
        figures = {"accounts": args.accounts, "concurrency": args.concurrency, "speedup": speedup,
                   "phases": {p.name: {**asdict(p), "accounts_per_s": p.rate} for p in (nmaudit, naive)}}
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"speedup: {speedup:.1f}x (nmaudit {nmaudit.rate:.1f} accounts/s, naive {naive.rate:.1f} accounts/s, "
          f"N={args.accounts}, peak {nmaudit.peak_mb:.0f} MB)", flush=True)
    return 0


def soak(args: argparse.Namespace) -> int:
    """nmaudit alone over many accounts; memory must stay flat (0) or the soak fails (1)."""
    synthetic = synthesize(args.accounts, now())
    record = Soak()
    with Emulator() as emulator, TemporaryDirectory(prefix="nmaudit-soak-") as scratch:
        WeiboSite(emulator, synthetic.served)
        try:
            log(f"browser: {browser_description(args.executable)}")
            log(f"soak: {args.accounts} accounts, concurrency {args.concurrency}, pace 0, in-process")
            phase = run_nmaudit(synthetic, emulator, Path(scratch) / "nmaudit", args.concurrency, record,
                                args.executable)
        except (BenchFailure, NmauditError) as failure:
            log(f"FAILED: {failure}")
            return 1
    ok, line = record.verdict()
    print(summary([phase]))
    if args.json:
        figures = {"accounts": args.accounts, "concurrency": args.concurrency, "soak_ok": ok,
                   "quarter_median_mb": record.quarter_medians(), "peak_mb": phase.peak_mb,
                   "seconds": phase.seconds, "accounts_per_s": phase.rate}
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(line, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
