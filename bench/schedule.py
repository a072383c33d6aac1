"""Due checks against a daily full audit: a province's accounts over 90 simulated days.

`make bench-schedule` runs `python -m bench.schedule` (10,000 accounts, 90 days, 3 egresses,
`--budget sogou=500`). Accounts are synthetic, in a real province's platform mix: 70% WeChat
(nine in ten found by Sogou WeChat search, which gives a lower bound only; the others with an
album link that lists the newest posts), 20% Weibo, the rest Douyin, Toutiao, Bilibili,
Kuaishou and apps. Each account has a posting habit (daily, weekdays, weekly, bursts, sporadic,
going idle for weeks and recovering, dormant), and a few rename or disappear on some day.

Platforms are emulated in-process: an account's check builds the Observation its adapter would
(the newest post before the check time, listed or a lower bound; the live name; gone), and
costs the requests the adapter makes per host. Everything else is nmaudit's own code: `judge`
(rules), `account_status` (warnings, 红黄蓝 and the possible ones of lower bounds),
`next_check` and `plan_night` (nmaudit.due), the carried-over rows of `audit --due`, and each
night's run through the real Scheduler and HostPacer on a virtual clock at the default paces
(BrowserOptions.pace, SOGOU_PACE), so night durations are those pacing allows.

Both sides start from the same full audit (day 0: the quarterly inspection, or the first run).
Then every night at 22:00 (a) audits every account, and (b) audits what is due within the
budget (`--budget` per egress and night) and carries the rest over. Compared per account and
day: every warning or failure (a) raises must be shown by (b) the same day. Identity changes
(名称、认证、注销) are seen by (b) within `identity_check_days` by design, and counted apart.

The last stdout line: `due checks: 0 late, 0 missed; 0.16 requests per account-day (full audit
1.09, 6.8x fewer); longest night 2h05m per egress (3 egresses); ok`. Exit 1 when a done-when
condition fails (any late or missed, more than 1/5 of the requests, a night over 8 hours).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import selectors
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from nmaudit.alerts import account_status
from nmaudit.audit import Scheduler, account_hosts, carried
from nmaudit.browser import BrowserOptions, HostPacer
from nmaudit.dates import BEIJING
from nmaudit.due import REASONS, next_check, plan_night
from nmaudit.models import Account, AccountResult, Judgement, LastCheck, Observation, Prior, RunInfo, SourceRecord
from nmaudit.platforms import PLATFORMS
from nmaudit.platforms.wechat import SOGOU_HOST, SOGOU_PACE
from nmaudit.rules import judge

START = date(2026, 1, 5)  # day 0: the full audit both sides start from
CHECK_HOUR = 22
#: Seconds a request holds its host's slot (the page's answer and render), an assumption.
PAGE_SECONDS = 2.0
#: Requests per host an account's check makes beyond one (Weibo: user info, then the posts).
EXTRA_REQUESTS = {"m.weibo.cn": 2}
#: Posts as far back as an account's history goes (a dormant account's last post is older).
HISTORY_DAYS = 150

PLATFORM_MIX = (("wechat", 0.70), ("weibo", 0.20), ("douyin", 0.04), ("toutiao", 0.02), ("bilibili", 0.01),
                ("kuaishou", 0.01), ("app", 0.02))
SOGOU_ONLY = 0.9  # WeChat accounts filed with a name or 微信号 only
HABITS = (("daily", 0.33), ("weekdays", 0.15), ("weekly", 0.18), ("bursts", 0.12), ("sporadic", 0.10),
          ("idle-spells", 0.09), ("dormant", 0.03))
RENAMES = 0.01
GONE = 0.003


@dataclass
class Truth:
    """What the emulated platform knows of one account: its posts, names over time, when it went."""

    posts: list[date]
    renamed_on: Optional[date] = None
    gone_on: Optional[date] = None
    habit: str = ""

    def newest(self, day: date) -> Optional[date]:
        found = None
        for post in self.posts:
            if post <= day:
                found = post
            else:
                break
        return found


def habit_posts(rng: random.Random, habit: str, first: date, last: date) -> list[date]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if habit == "daily":
        return [d for d in days if rng.random() < 0.85]
    if habit == "weekdays":
        return [d for d in days if d.weekday() < 5 and rng.random() < 0.6]
    if habit == "weekly":
        posts, day = [], first + timedelta(days=rng.randrange(7))
        while day <= last:
            posts.append(day)
            day += timedelta(days=rng.randint(5, 8))
        return posts
    if habit == "bursts":
        posts, day = [], first
        while day <= last:
            for n in range(rng.randint(2, 5)):
                if rng.random() < 0.9:
                    posts.append(day + timedelta(days=n))
            day += timedelta(days=rng.randint(5, 14))
        return [d for d in posts if d <= last]
    if habit == "sporadic":
        return [d for d in days if rng.random() < 0.15]
    if habit == "idle-spells":
        posts = [d for d in days if rng.random() < 0.6]
        for _ in range(rng.randint(1, 3)):
            begin = first + timedelta(days=rng.randrange(len(days)))
            length = rng.randint(9, 40)
            posts = [d for d in posts if not begin <= d < begin + timedelta(days=length)]
        return posts
    # dormant: nothing for months; one in four wakes up some day and posts weekly again
    posts = [first - timedelta(days=rng.randint(10, 200))]
    if rng.random() < 0.25:
        wake = START + timedelta(days=rng.randint(1, 90))
        posts += habit_posts(rng, "weekly", wake, last)
    return posts


def synthetic_province(count: int, days: int, seed: int) -> list[tuple[Account, Truth]]:
    """`count` accounts in the platform mix, each with its habit and history."""
    rng = random.Random(seed)
    first, last = START - timedelta(days=HISTORY_DAYS), START + timedelta(days=days)
    accounts = []
    for number in range(count):
        platform = rng.choices([p for p, _ in PLATFORM_MIX], [w for _, w in PLATFORM_MIX])[0]
        habit = rng.choices([h for h, _ in HABITS], [w for _, w in HABITS])[0]
        key = f"a{number:05d}"
        fields: dict = {"id": key, "name": f"账号{number}", "owner": f"单位{number % 700}",
                        "certified_as": f"单位{number % 700}", "region": f"地区{number % 14}"}
        if platform == "wechat":
            if rng.random() < SOGOU_ONLY:
                fields.update(platform="wechat", ids={"wechat_id": f"gov{number}"})
            else:
                fields.update(platform="wechat", urls=[
                    f"https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA{number}&action=getalbum&album_id={number}"])
        elif platform == "weibo":
            fields.update(platform="weibo", urls=[f"https://weibo.com/u/{3000000000 + number}"])
        elif platform == "douyin":
            fields.update(platform="web", urls=[f"https://www.douyin.com/user/MS4wLjABAAAA{number}"])
        elif platform == "toutiao":
            fields.update(platform="web", urls=[f"https://www.toutiao.com/c/user/token/MS4wLjABAAAA{number}/"])
        elif platform == "bilibili":
            fields.update(platform="web", urls=[f"https://space.bilibili.com/{100000 + number}"])
        elif platform == "kuaishou":
            fields.update(platform="web", urls=[f"https://www.kuaishou.com/profile/3x{number}"])
        else:
            fields.update(platform="app", ids={"appstore_id": str(1400000000 + number)})
        truth = Truth(posts=sorted(set(habit_posts(rng, habit, first, last))), habit=habit)
        if rng.random() < RENAMES:
            truth.renamed_on = START + timedelta(days=rng.randint(1, days))
        if rng.random() < GONE:
            truth.gone_on = START + timedelta(days=rng.randint(1, days))
        accounts.append((Account(**fields), truth))
    return accounts


def check_time(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, CHECK_HOUR, tzinfo=BEIJING)


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=BEIJING)


def requests_of(account: Account, hosts: tuple[str, ...]) -> dict[str, int]:
    return {host: EXTRA_REQUESTS.get(host, 1) for host in hosts}


def observe(account: Account, truth: Truth, hosts: tuple[str, ...], day: date) -> Observation:
    """The Observation the account's adapter would make on `day`'s night."""
    moment = check_time(day)
    checks = list(PLATFORMS[account.platform].checks)
    observation = Observation(account_id=account.id, platform=account.platform, started_at=moment,
                              finished_at=moment, checks=checks)
    source = f"https://{hosts[0]}/{account.id}" if hosts else f"https://example.invalid/{account.id}"
    observation.sources.append(SourceRecord(kind="sogou-search" if SOGOU_HOST in hosts else "listing", url=source,
                                            fetched_at=moment))
    if truth.gone_on is not None and day >= truth.gone_on:
        observation.add_signal("account-gone", "账号已注销（模拟）")
        return observation
    renamed = truth.renamed_on is not None and day >= truth.renamed_on
    observation.name = account.name + ("（新）" if renamed else "")
    observation.certification = account.certified_as
    if "update" not in checks:
        return observation
    newest = truth.newest(day)
    if newest is None:
        return observation
    observation.newest_post_at = at_noon(newest)
    observation.newest_post_source = source
    observation.posts_seen = 1
    if SOGOU_HOST not in hosts:  # a listing source: the newest posts, consecutive
        listed = [at_noon(post) for post in truth.posts if post <= day][-10:]
        observation.newest_post_lists_newest = True
        observation.listed_posts = {source: sorted(listed, reverse=True)}
        observation.posts_seen = len(listed)
    return observation


def prior_of(last: Optional[LastCheck]) -> Optional[Prior]:
    """What store.prior gives: the account's latest row (a carried copy included)."""
    if last is None:
        return None
    return Prior(run_id=last.run_id, as_of=last.judgement.as_of, verdict=last.judgement.verdict,
                 name=last.observation.name, certification=last.observation.certification,
                 consecutive_failures=last.judgement.consecutive_failures,
                 longest_gap_days=last.judgement.longest_gap_days)


IDENTITY_ALERTS = {"identity", "gone"}


def warning_items(result: AccountResult) -> dict[str, str]:
    """What a status warns of: item -> class ("update" or "identity")."""
    status = account_status(result)
    codes = {finding.code for finding in result.judgement.findings}
    gone = "account-gone" in codes  # its 不合格 and failure streak come from the identity check
    items: dict[str, str] = {}
    if status.stage != "ok":
        items[f"stage:{status.stage}"] = "identity" if gone else "update"
    for alert in status.alerts:
        items[f"alert:{alert}"] = "identity" if alert in IDENTITY_ALERTS or gone else "update"
    return items


class _Clock:
    now = 0.0


class _Selector(selectors.SelectSelector):
    """Nothing ever becomes readable; waiting moves the clock instead of the wall."""

    def __init__(self, clock: _Clock):
        super().__init__()
        self.clock = clock

    def select(self, timeout: Optional[float] = None):
        if timeout is None:
            raise RuntimeError("the simulated night has nothing left to wait for")
        self.clock.now += max(timeout, 0.0)
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop on a virtual clock: asyncio.sleep(15) takes no time."""

    def __init__(self) -> None:
        self.clock = _Clock()
        super().__init__(_Selector(self.clock))

    def time(self) -> float:
        return self.clock.now


def night_duration(accounts: list[Account], hosts: dict[str, tuple[str, ...]], egresses: int, pages: int) -> list[float]:
    """Seconds each egress works through `accounts`, handed out by the real Scheduler, each
    request paced by the real HostPacer at the default paces (one per egress)."""
    if not accounts:
        return [0.0] * egresses
    loop = VirtualLoop()
    defaults = BrowserOptions()
    pacers = [HostPacer(defaults.pace, {SOGOU_HOST: SOGOU_PACE}, clock=loop.time) for _ in range(egresses)]
    scheduler = Scheduler(accounts, pacers[0])
    finished = [0.0] * egresses

    async def worker(index: int) -> None:
        pacer = pacers[index]
        others = [other for other in pacers if other is not pacer]
        while True:
            taken = scheduler.take_for(pacer, others)
            if taken is None:
                finished[index] = max(finished[index], loop.time())
                return
            if not isinstance(taken, Account):
                await asyncio.sleep(taken)
                continue
            for host, count in requests_of(taken, hosts[taken.id]).items():
                for _ in range(count):
                    async with pacer.slot(host):
                        await asyncio.sleep(PAGE_SECONDS)
            scheduler.done()
            finished[index] = max(finished[index], loop.time())

    async def night() -> None:
        await asyncio.gather(*(worker(index) for index in range(egresses) for _ in range(pages)))

    def run() -> None:
        try:
            loop.run_until_complete(night())
        finally:
            loop.close()

    # A thread of its own: the caller's thread may hold a running loop (pytest-playwright's sync API).
    with ThreadPoolExecutor(1) as thread:
        thread.submit(run).result()
    return finished


@dataclass
class Episode:
    account_id: str
    item: str
    kind: str
    day: int
    seen: Optional[int] = None  # the day (b) first showed it, within the episode


@dataclass
class Figures:
    accounts: int
    days: int
    egresses: int
    budget: dict[str, int]
    requests_full: int = 0
    requests_due: int = 0
    checks_due: int = 0
    nights: list[dict] = field(default_factory=list)
    full_night: list[float] = field(default_factory=list)
    update_onsets: int = 0
    late: list[dict] = field(default_factory=list)
    missed: list[dict] = field(default_factory=list)
    identity_onsets: int = 0
    identity_delays: Counter = field(default_factory=Counter)
    identity_missed: int = 0
    stale_days: int = 0  # account-days (b) still showed a warning (a) no longer did (a recovery seen later)
    early: int = 0
    over_budget: int = 0

    def reasons(self) -> Counter:
        """Checks of (b) per reason (nmaudit.due.REASONS)."""
        total: Counter = Counter()
        for night in self.nights:
            total.update(night["reasons"])
        return total

    def per_account_day(self, requests: int) -> float:
        return requests / (self.accounts * self.days)


def simulate(accounts: int = 10_000, days: int = 90, egresses: int = 3, budget: Optional[dict[str, int]] = None,
             seed: int = 7, pages: int = 6, progress=None) -> Figures:
    budget = {"sogou": 500} if budget is None else budget
    budgets = {SOGOU_HOST if host == "sogou" else host: count * egresses for host, count in budget.items()}
    province = synthetic_province(accounts, days, seed)
    hosts = {account.id: account_hosts(account) for account, _ in province}
    figures = Figures(accounts, days, egresses, dict(budget))

    def run_info(day: date, side: str) -> RunInfo:
        moment = check_time(day)
        return RunInfo(id=f"{side}-{day:%Y%m%d}", as_of=moment, registry="province.yaml", started_at=moment)

    def check(account: Account, truth: Truth, day: date, run: RunInfo, last: Optional[LastCheck]) -> LastCheck:
        observation = observe(account, truth, hosts[account.id], day)
        judgement = judge(account, observation, run.as_of, prior_of(last))
        return LastCheck(run_id=run.id, observation=observation, judgement=judgement, account=account)

    # Day 0: the same full audit on both sides.
    run = run_info(START, "full")
    last_full = {account.id: check(account, truth, START, run, None) for account, truth in province}
    last_due = dict(last_full)
    warned_full = {a.id: warning_items(AccountResult(account=a, observation=last_full[a.id].observation,
                                                     judgement=last_full[a.id].judgement)) for a, _ in province}
    warned_due = dict(warned_full)
    open_episodes: dict[tuple[str, str], Episode] = {}
    closed: list[Episode] = []
    per_check = {account.id: sum(requests_of(account, hosts[account.id]).values()) for account, _ in province}
    figures.full_night = night_duration([a for a, _ in province], hosts, egresses, pages)

    for number in range(1, days + 1):
        day = START + timedelta(days=number)
        started = time.monotonic()
        # (a) the daily full audit
        run_a = run_info(day, "full")
        for account, truth in province:
            last_full[account.id] = check(account, truth, day, run_a, last_full[account.id])
        figures.requests_full += sum(per_check.values())
        # (b) due checks within the budget; the rest carried over
        run_b = run_info(day, "due")
        plan = plan_night((next_check(account, last_due[account.id]) for account, _ in province), day, budgets,
                          lambda account: hosts[account.id])
        chosen = {item.account.id for item in plan.check}
        for account, truth in province:
            if account.id in chosen:
                last_due[account.id] = check(account, truth, day, run_b, last_due[account.id])
            else:
                observation, judgement = carried(last_due[account.id], run_b)
                last_due[account.id] = LastCheck(run_id=run_b.id, observation=observation, judgement=judgement,
                                                 account=account)
        checked = [item.account for item in plan.check]
        requests = sum(per_check[account.id] for account in checked)
        figures.requests_due += requests
        figures.checks_due += len(checked)
        figures.early += len(plan.early)
        figures.over_budget += len(plan.late)
        durations = night_duration(checked, hosts, egresses, pages)
        figures.nights.append({"day": number, "checked": len(checked), "requests": requests,
                               "sogou": sum(1 for a in checked if SOGOU_HOST in hosts[a.id]),
                               "early": len(plan.early), "over_budget": len(plan.late),
                               "reasons": dict(Counter(item.reason for item in plan.check)),
                               "seconds_per_egress": [round(d) for d in durations]})
        # compare what each side warns of, account by account
        for account, _ in province:
            full = warning_items(AccountResult(account=account, observation=last_full[account.id].observation,
                                               judgement=last_full[account.id].judgement))
            due = warning_items(AccountResult(account=account, observation=last_due[account.id].observation,
                                              judgement=last_due[account.id].judgement))
            before = warned_full[account.id]
            for item, kind in full.items():
                key = (account.id, item)
                if item not in before:
                    open_episodes[key] = Episode(account.id, item, kind, number)
                episode = open_episodes.get(key)
                if episode is not None and episode.seen is None and item in due:
                    episode.seen = number
            for item in before:
                if item not in full and (account.id, item) in open_episodes:
                    closed.append(open_episodes.pop((account.id, item)))
            if any(item not in full for item in due):
                figures.stale_days += 1
            warned_full[account.id] = full
            warned_due[account.id] = due
        if progress is not None:
            progress(number, figures.nights[-1], time.monotonic() - started)
    closed.extend(open_episodes.values())
    identity_interval = min(account.policy.identity_check_days for account, _ in province)
    for episode in closed:
        record = {"account": episode.account_id, "item": episode.item, "day": episode.day, "seen": episode.seen}
        if episode.kind == "identity":
            if episode.seen is None and days - episode.day + 1 < identity_interval:
                continue  # raised too near the end for (b)'s identity check to have come yet
            figures.identity_onsets += 1
            if episode.seen is None:
                figures.identity_missed += 1
            else:
                figures.identity_delays[episode.seen - episode.day] += 1
            continue
        figures.update_onsets += 1
        if episode.seen is None:
            figures.missed.append(record)
        elif episode.seen > episode.day:
            figures.late.append(record)
    return figures


def hours(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def summary(figures: Figures) -> tuple[list[str], bool]:
    full = figures.per_account_day(figures.requests_full)
    due = figures.per_account_day(figures.requests_due)
    longest = max((max(night["seconds_per_egress"]) for night in figures.nights), default=0.0)
    mean = sum(max(night["seconds_per_egress"]) for night in figures.nights) / max(len(figures.nights), 1)
    ratio = full / due if due else float("inf")
    delays = ", ".join(f"{days} d: {count}" for days, count in sorted(figures.identity_delays.items()))
    lines = [
        f"{figures.accounts} accounts, {figures.days} days, {figures.egresses} egresses, budget "
        + ", ".join(f"{host}={count}" for host, count in figures.budget.items()) + " per egress and night",
        f"(a) daily full audit: {full:.2f} requests per account-day; a night takes {hours(max(figures.full_night))} "
        f"per egress",
        f"(b) due checks: {due:.3f} requests per account-day ({figures.checks_due / (figures.accounts * figures.days):.3f} "
        f"checks); nights {hours(mean)} on average, longest {hours(longest)} per egress",
        f"    checks by reason: " + ", ".join(f"{REASONS[reason]} {count}" for reason, count in figures.reasons().most_common()),
        f"    checked early (a crowded night ahead): {figures.early}; due but over budget: {figures.over_budget}",
        f"update warnings and failures (a) raised: {figures.update_onsets}; late in (b): {len(figures.late)}; "
        f"missed: {len(figures.missed)}",
        f"identity warnings and failures (名称/认证/注销) (a) raised: {figures.identity_onsets}; seen by (b) after "
        f"days: {delays or '-'}; missed: {figures.identity_missed}",
        f"account-days (b) still showed a warning (a) had cleared (a recovery seen later): {figures.stale_days}",
    ]
    ok = not figures.late and not figures.missed and due <= full / 5 and longest <= 8 * 3600 and figures.egresses <= 3
    lines.append(f"due checks: {len(figures.late)} late, {len(figures.missed)} missed; {due:.3f} requests per "
                 f"account-day (full audit {full:.2f}, {ratio:.1f}x fewer); longest night {hours(longest)} per egress "
                 f"({figures.egresses} egresses); {'ok' if ok else 'NOT MET'}")
    return lines, ok


def parse_budget(values: list[str]) -> dict[str, int]:
    budget = {}
    for value in values:
        host, _, count = value.partition("=")
        budget[host] = int(count)
    return budget


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.schedule", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--egresses", type=int, default=3)
    parser.add_argument("--budget", action="append", default=[], metavar="HOST=N")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", metavar="FILE", help="Write the figures here too.")
    parser.add_argument("--quiet", action="store_true", help="No line per night.")
    args = parser.parse_args(argv)

    def progress(number: int, night: dict, seconds: float) -> None:
        if not args.quiet:
            print(f"[night {number:>2}] checked {night['checked']:>5} (Sogou {night['sogou']:>4}, early "
                  f"{night['early']:>4}, over budget {night['over_budget']:>3}); per egress "
                  + " ".join(hours(s) for s in night["seconds_per_egress"]) + f"  ({seconds:.1f} s)",
                  file=sys.stderr, flush=True)

    figures = simulate(args.accounts, args.days, args.egresses, parse_budget(args.budget) or None, args.seed,
                       progress=progress)
    lines, ok = summary(figures)
    if args.json:
        document = {key: value for key, value in figures.__dict__.items()}
        document["identity_delays"] = dict(figures.identity_delays)
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=2, default=str)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
