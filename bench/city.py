"""A city's night, measured: the realistic city export audited offline, every verdict against the truth.

`make bench-city` runs `python -m bench.city`. The export of tests/city_export.py (125 running
accounts: 87 WeChat, 24 Weibo, 3 apps, 6 Douyin, 5 Toutiao, 2 Kuaishou) is imported with `nmaudit registry
import` and audited in-process (`audit_accounts`, real Chromium, real SQLite) against emulated
platforms (tests/*_site.py on one tests/emulator.py) that behave as the real ones do:

- Sogou walls off a client that searches faster than its pace: a search sooner than
  SOGOU_PATIENCE seconds after the previous one meets the antispider page, and so does every
  search for SOGOU_WALL_FOR seconds after it; nmaudit stops asking Sogou for the run then;
- m.weibo.cn answers 418 to a call sooner than WEIBO_PATIENCE seconds after the previous one;
- Douyin's user search walls the visitor off after DOUYIN_ANSWERS searches; Toutiao's and
  Kuaishou's user searches find the rows filed by 头条号 or 快手号 only;
- look-alike names: decoys listed before the account in Sogou's, Weibo's and the App Store's
  searches (same name, another 认证主体);
- accounts gone (cancelled, deleted), renamed, with a changed 认证主体, not indexed by Sogou,
  a Sogou search answering an error; about 15% idle beyond 14 days.

Each account has its truth (`Truth`): what a perfect inspector would conclude (合格 / 不合格 and
why) and whether a browser can decide it at all. A WeChat account whose only public sources
are Sogou's newest article and filed articles cannot be proven idle by a browser (both are
lower bounds); an account filed by name only that was renamed cannot be tied to its filing.

nmaudit runs with its default paces, but Sogou's (15 s a search: 90 searches would take over
20 minutes) is multiplied by `--scale` (default 0.1), and the emulated Sogou's patience and
wall with it, so that it behaves alike in a tenth of the time; the output says so.

Printed: per platform, the accounts, machine-decided (合格/不合格), 待复核 by reason (finding
codes), false 不合格 (must be zero: the exit status is 1 otherwise), false 合格, the browser-
decidable accounts and the share of them machine-decided (goal ≥ 85%); the last lines
summarise, with the run's duration. `--json PATH` writes the same figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Optional

from nmaudit.audit import AuditOptions, audit_accounts
from nmaudit.browser import BrowserOptions
from nmaudit.dates import BEIJING
from nmaudit.models import AccountResult, VERDICT_LABELS
from nmaudit.platforms.wechat import SOGOU_HOST, SOGOU_PACE
from nmaudit.registry import load_registry
from nmaudit.rules import SEVERITIES
from nmaudit.store import Store
from tests.app_site import AppSite, AppStoreApp, YybApp
from tests.city_export import RUNNING, Row, write_xlsx
from tests.douyin_site import DouyinSite, DouyinUser
from tests.kuaishou_site import KuaishouSite, KuaishouUser, SearchResult
from tests.toutiao_profile_site import ToutiaoAccount, ToutiaoProfileSite
from tests.emulator import Emulator, Reply, html_reply
from tests.wechat_site import ACCOUNT_CANCELLED, Article, Album, SogouAccount, WechatSite
from tests.weibo_site import SearchUser, WeiboAccount, WeiboSite, days_before, posts_at

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
#: The emulated Sogou walls a search sooner than this (seconds, unscaled) after the previous one...
SOGOU_PATIENCE = 10.0
#: ...and every search for this long after it.
SOGOU_WALL_FOR = 600.0
#: m.weibo.cn answers 418 to a call sooner than this after the previous one (platforms.md: keep
#: at least 0.5 s between requests; the site tolerates a little less).
WEIBO_PATIENCE = 0.4
#: Douyin's user search answers this many searches, then only its 验证码中间页.
DOUYIN_ANSWERS = 2
DECOY_SUBJECT = "某文化传媒有限公司"
#: Accounts listed by name at most, of those a browser could decide and the night did not.
SHOWN = 20

#: Platform groups as the table shows them, in order.
GROUPS = ("微信", "微博", "客户端", "抖音", "头条", "快手")

# The accounts' states, by position among their platform's rows (tests/city_export.py: WeChat
# 0-49 微信号, 50-69 原始ID, 70-74 an article link, 75-76 an album, 77-86 the name only; Weibo
# 0-9 UID, 10-12 /u/, 13-15 /p/, 16-19 个性域名, 20-21 /n/, 22-23 the name only).
WECHAT_IDLE = {3, 8, 13, 23, 33, 43, 48, 55, 63, 72, 76, 81}  # 76: the album; 72: an article
WECHAT_GONE = {17, 73}  # 73: its filed article says the account is cancelled
WECHAT_RENAMED = {27, 84}
WECHAT_NEW_SUBJECT = {37}
WECHAT_NOT_INDEXED = {45, 70, 80}  # Sogou lists nothing (80: only a same-named decoy)
WECHAT_SOGOU_ERROR = {71}  # Sogou answers an error page for the search
WEIBO_IDLE = {4, 11, 14, 19}
WEIBO_GONE = {6}
WEIBO_RENAMED = {2, 22}
WEIBO_NEW_SUBJECT = {5}
WEIBO_OLD_PINNED = {8}
DOUYIN_IDLE = {2}
TOUTIAO_IDLE = {0}


@dataclass
class Truth:
    """What a perfect inspector would conclude about one account."""

    verdict: str  # pass | fail
    why: str = ""  # the finding code of a 不合格 (stale-14d, account-gone)
    warnings: list[str] = field(default_factory=list)  # warn codes a perfect inspector would note
    decidable: bool = True  # whether a browser can decide it at all
    note: str = ""  # why no browser can


@dataclass
class Night:
    """The emulated platforms of one night, and each row's truth."""

    truths: list[Truth]  # one per audited row, in order
    wechat: WechatSite
    weibo: WeiboSite
    douyin: DouyinSite


def ago(days: int, hour: int = 10) -> datetime:
    return days_before(AS_OF, days, hour)


def group(row: Row) -> str:
    return {"wechat": "微信", "weibo": "微博", "app": "客户端"}.get(row.platform) or (
        "抖音" if row.how == "douyin" else "快手" if row.how == "kuaishou" else "头条")


def positions() -> dict[int, int]:
    """Each running row's position among the rows of its platform group, by the row's id()."""
    seen: Counter = Counter()
    found = {}
    for row in RUNNING:
        found[id(row)] = seen[group(row)]
        seen[group(row)] += 1
    return found


WECHAT_LOWER_BOUNDS = ("公众号只有搜狗的最近文章和报备的单篇文章可看：都只能证明曾更新，浏览器无法证明未更新，"
                       "须用微信客户端查看历史消息")


def serve_wechat(site: WechatSite, position: int, row: Row) -> Truth:
    idle, gone = position in WECHAT_IDLE, position in WECHAT_GONE
    latest = ago(20 + position % 17) if idle else ago(1 + position % 5)
    live_name = f"{row.name}之声" if position in WECHAT_RENAMED else row.name
    subject = "宝鸡市融媒体中心" if position in WECHAT_NEW_SUBJECT else row.subject
    wechat_id = row.ids.get("wechat_id") or row.ids.get("gh_id") or f"id{position:03d}"
    exact = SogouAccount(live_name, subject, latest, wechat_id)
    decoy = SogouAccount(row.name, DECOY_SUBJECT, ago(0), f"decoy{position:03d}")
    query = row.ids[row.how] if row.how in ("wechat_id", "gh_id") else row.name
    if position in WECHAT_SOGOU_ERROR:
        site.sogou_results(query, Reply(status=502, body="<html><head><title>502 Bad Gateway</title></head>"
                                                          "<body>502 Bad Gateway</body></html>"))
    elif position in WECHAT_NOT_INDEXED or gone:
        site.sogou_results(query, [decoy] if position == 80 else [])
    elif row.how in ("wechat_id", "gh_id", "name", "article"):
        site.sogou_results(query, [decoy, exact] if position % 2 else [exact])
    if row.how == "article":
        index = int(row.urls[0].split("sn=a")[1])
        if gone:
            site.publish(f"a{index:04d}", html_reply(ACCOUNT_CANCELLED))
            return Truth("fail", "account-gone")
        albums = (f"3329{index:06d}",) if index == 70 else ()
        site.publish(f"a{index:04d}", Article(ago(30) if idle else ago(9), nickname=row.name, albums=albums))
        for album in albums:
            site.publish(album, Album([ago(6), ago(8)], name=row.name))
    if row.how == "album":
        album_id = row.urls[0].split("album_id=")[1]
        site.publish(album_id, Album([ago(20), ago(26)] if idle else [ago(2), ago(5)], name=row.name))
    warnings = (["name-mismatch"] if position in WECHAT_RENAMED else []) + (
        ["certification-mismatch"] if position in WECHAT_NEW_SUBJECT else [])
    if gone:
        return Truth("fail", "account-gone", decidable=False, note=(
            "公众号已注销而未报备任何链接：搜狗查不到不能证明注销，浏览器无从判定"))
    if idle:
        if row.how == "album":
            return Truth("fail", "stale-14d")
        return Truth("fail", "stale-14d", decidable=False, note=WECHAT_LOWER_BOUNDS)
    if position in WECHAT_RENAMED and row.how == "name":
        return Truth("pass", warnings=warnings, decidable=False, note=(
            "只报备名称且已改名：搜狗按原名列出的账号无法与报备对应"))
    if position in WECHAT_NOT_INDEXED and row.how != "article":
        return Truth("pass", decidable=False, note="搜狗未收录且未报备任何链接：浏览器看不到该公众号")
    return Truth("pass", warnings=warnings)


def serve_weibo(site: WeiboSite, position: int, row: Row) -> Truth:
    uid = str(2710100000 + position)
    idle = position in WEIBO_IDLE
    live_name = f"{row.name}发布" if position in WEIBO_RENAMED else row.name
    subject = "宝鸡市融媒体中心" if position in WEIBO_NEW_SUBJECT else row.subject
    if position not in WEIBO_GONE:
        pinned = ago(200) if position in WEIBO_OLD_PINNED else None
        site.add(WeiboAccount(uid, screen_name=live_name, verified_reason=f"{subject}官方微博",
                              posts=posts_at(*((ago(20), ago(27)) if idle else (ago(2), ago(6))), pinned_first=pinned)))
    if row.how == "domain":
        site.domain(row.urls[0].rsplit("/", 1)[1], uid)
    elif row.how == "n":
        site.nickname(row.name, uid)
    elif row.how == "name":
        site.search(row.name, [SearchUser("2710199001", f"{row.name}粉丝团"),
                               SearchUser(uid, live_name, f"{subject}官方微博")])
    warnings = (["name-mismatch"] if position in WEIBO_RENAMED else []) + (
        ["certification-mismatch"] if position in WEIBO_NEW_SUBJECT else [])
    if position in WEIBO_GONE:
        return Truth("fail", "account-gone")
    if idle:
        return Truth("fail", "stale-14d")
    if position in WEIBO_RENAMED and row.how == "name":
        return Truth("pass", warnings=warnings, decidable=False, note=(
            "只报备名称且已改名：用户搜索中没有同名账号，无法与报备对应"))
    return Truth("pass", warnings=warnings)


def serve_apps(site: AppSite) -> None:
    site.add(AppStoreApp("6470000001", artist_name="宝鸡市数据局"))
    site.add(YybApp("cn.gov.baoji.ibaoji", name="i宝鸡", developer="宝鸡市融媒体中心"))
    site.search("宝鸡医保", [AppStoreApp("6470000009", track_name="宝鸡医保服务", artist_name="某科技有限公司"),
                          AppStoreApp("6470000003", track_name="宝鸡医保", artist_name="宝鸡市医疗保障局")])
    site.add(AppStoreApp("6470000003", track_name="宝鸡医保", artist_name="宝鸡市医疗保障局"))


def serve_douyin(site: DouyinSite, position: int, row: Row) -> Truth:
    idle = position in DOUYIN_IDLE
    posts = [(ago(25), False), (ago(40), False)] if idle else [(ago(3), False), (ago(9), False)]
    decoy = DouyinUser(f"MS4wLjABAAAA-decoy{position}", f"{row.name}", custom_verify=DECOY_SUBJECT,
                       unique_id=f"{row.ids['douyin']}x", posts=[(ago(0), False)])
    site.search(row.ids["douyin"], [decoy, DouyinUser(f"MS4wLjABAAAA-city{position}", row.name,
                                                     custom_verify=f"{row.subject}官方账号",
                                                     unique_id=row.ids["douyin"], posts=posts)])
    return Truth("fail", "stale-14d") if idle else Truth("pass")


def serve_kuaishou(site: KuaishouSite, emulator: Emulator, position: int, row: Row) -> Truth:
    """A Kuaishou row filed by its 快手号: found through the emulated user search, then read."""
    user = KuaishouUser(f"3xcityks{position}ab", row.name, [(ago(2), False), (ago(6), False)])
    site.add(emulator, user)
    site.search(row.ids["kuaishou"], [SearchResult(f"3xdecoy{position}ab", f"{row.name}生活"),
                                      SearchResult(user.user_id, row.name, row.subject)])
    return Truth("pass")


def serve_toutiao(site: ToutiaoProfileSite, emulator: Emulator, position: int, row: Row) -> Truth:
    """A Toutiao row filed by its 头条号 only: found through Toutiao's user search by its name (a
    look-alike listed first), then its profile read."""
    idle = position in TOUTIAO_IDLE
    posts = [(ago(25), False), (ago(31), False)] if idle else [(ago(2), False), (ago(5), False)]
    account = ToutiaoAccount(f"MS4wLjABAAAA-citytt{position}", row.name, f"{row.subject}官方账号", posts)
    site.add(emulator, account)
    site.search(row.name, [ToutiaoAccount(f"MS4wLjABAAAA-decoy{position}", f"{row.name}粉丝"), account])
    return Truth("fail", "stale-14d") if idle else Truth("pass")


def build_night(emulator: Emulator, rows: list[Row], scale: float, sogou_budget: Optional[int] = None) -> Night:
    wechat, weibo, apps, douyin = WechatSite(emulator), WeiboSite(emulator), AppSite(emulator), DouyinSite(emulator)
    kuaishou, toutiao = KuaishouSite(emulator), ToutiaoProfileSite(emulator)
    wechat.sogou_patience, wechat.sogou_wall_for = SOGOU_PATIENCE * scale, SOGOU_WALL_FOR * scale
    wechat.sogou_wall_after = sogou_budget
    weibo.patience = WEIBO_PATIENCE
    douyin.search_wall_after = DOUYIN_ANSWERS
    serve_apps(apps)
    where = positions()
    truths = []
    for row in rows:
        position = where[id(row)]
        kind = group(row)
        if kind == "微信":
            truths.append(serve_wechat(wechat, position, row))
        elif kind == "微博":
            truths.append(serve_weibo(weibo, position, row))
        elif kind == "客户端":
            truths.append(Truth("pass"))
        elif kind == "抖音":
            truths.append(serve_douyin(douyin, position, row))
        elif kind == "快手":
            truths.append(serve_kuaishou(kuaishou, emulator, position, row))
        else:
            truths.append(serve_toutiao(toutiao, emulator, position, row))
    return Night(truths, wechat, weibo, douyin)


def quick_rows() -> list[Row]:
    """A reduced night: every account with a state of its own, and every fourth of the rest."""
    where = positions()
    special = {"微信": WECHAT_IDLE | WECHAT_GONE | WECHAT_RENAMED | WECHAT_NEW_SUBJECT | WECHAT_NOT_INDEXED
               | WECHAT_SOGOU_ERROR | {75}, "微博": WEIBO_IDLE | WEIBO_GONE | WEIBO_RENAMED | WEIBO_NEW_SUBJECT
               | WEIBO_OLD_PINNED | {23}, "抖音": DOUYIN_IDLE, "头条": TOUTIAO_IDLE}
    return [row for row in RUNNING if where[id(row)] in special.get(group(row), set()) or where[id(row)] % 4 == 0]


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Figures:
    accounts: int = 0
    passed: int = 0
    failed: int = 0
    review: int = 0
    reasons: Counter = field(default_factory=Counter)  # 待复核 accounts by finding code
    false_fail: int = 0
    false_pass: int = 0
    decidable: int = 0
    decidable_decided: int = 0

    @property
    def decided(self) -> int:
        return self.passed + self.failed

    @property
    def share(self) -> Optional[float]:
        return self.decidable_decided / self.decidable if self.decidable else None

    def add(self, truth: Truth, item: AccountResult) -> None:
        verdict = item.judgement.verdict
        self.accounts += 1
        self.passed += verdict == "pass"
        self.failed += verdict == "fail"
        self.review += verdict == "review"
        if verdict == "review":
            self.reasons.update(dict.fromkeys(review_codes(item), 1))
        self.false_fail += verdict == "fail" and truth.verdict == "pass"
        self.false_pass += verdict == "pass" and truth.verdict == "fail"
        self.decidable += truth.decidable
        self.decidable_decided += truth.decidable and verdict != "review"

    def as_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "reasons"}, "reasons": dict(self.reasons),
                "decided": self.decided, "share": self.share}


def review_codes(item: AccountResult) -> list[str]:
    """The finding codes that make an account 待复核, in order, once each (not those the judging
    kept only as notes: a source that could not see where another proved its indicators)."""
    found = [f.code for f in item.judgement.findings
             if (f.severity or SEVERITIES.get(f.code)) == "review" and not getattr(f, "note", False)]
    return list(dict.fromkeys(found)) or ["（无）"]


def audit(rows: list[Row], scale: float, sogou_pace: float, pace: float, folder: Path, concurrency: int,
          sogou_budget: Optional[int] = None) -> tuple[list, Night, float, dict]:
    """Import the export, audit it against the emulated night; the results in row order."""
    export = folder / "export.xlsx"
    write_xlsx(export)
    done = subprocess.run([sys.executable, "-m", "nmaudit", "registry", "import", "export.xlsx", "-o", "accounts.yaml"],
                          cwd=folder, capture_output=True, text=True, timeout=120, env=dict(os.environ, NO_COLOR="1"))
    if done.returncode != 0:
        raise SystemExit(f"nmaudit registry import failed:\n{done.stderr}")
    registry = load_registry(folder / "accounts.yaml")
    imported = dict(zip(map(id, RUNNING), registry.accounts))
    if len(registry.accounts) != len(RUNNING):
        raise SystemExit(f"the import gave {len(registry.accounts)} accounts, not {len(RUNNING)}")
    accounts = [imported[id(row)] for row in rows]
    with Emulator() as emulator:
        night = build_night(emulator, rows, scale, sogou_budget)
        options = AuditOptions(
            db=str(folder / "nmaudit.db"), snapshots=str(folder / "snapshots"), as_of=AS_OF, concurrency=concurrency,
            browser=BrowserOptions(browser_args=emulator.browser_args, pace=pace, host_pace={SOGOU_HOST: sogou_pace * scale}))
        started = time.monotonic()
        result = asyncio.run(audit_accounts(registry, accounts, options, Store(options.db)))
        seconds = time.monotonic() - started
        counts = {"sogou_searches": night.wechat.sogou_searches, "sogou_walled": night.wechat.sogou_walled,
                  "weibo_418": night.weibo.rate_limited, "douyin_searches": night.douyin.searches}
    by_id = {item.account.id: item for item in result.results}
    return [by_id[account.id] for account in accounts], night, seconds, counts


def percent(share: Optional[float]) -> str:
    return "—" if share is None else f"{share:.0%}"


def table(figures: dict[str, Figures]) -> list[str]:
    lines = ["| 平台 | 账号 | 机器判定（合格/不合格） | 待复核（按原因） | 误判不合格 | 误判合格 | 浏览器可判定 | 其中机器已判定 |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for name, f in figures.items():
        reasons = "，".join(f"{code} {n}" for code, n in sorted(f.reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"| {name} | {f.accounts} | {f.decided}（{f.passed}/{f.failed}） | {f.review}"
                     f"{'：' + reasons if reasons else ''} | {f.false_fail} | {f.false_pass} | {f.decidable} | "
                     f"{f.decidable_decided}（{percent(f.share)}） |")
    return lines


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.city", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1,
                        help="multiplies Sogou's pace and the emulated Sogou's patience and wall (default 0.1)")
    parser.add_argument("--sogou-pace", type=float, default=SOGOU_PACE,
                        help=f"nmaudit's Sogou pace before scaling (default {SOGOU_PACE:g} s, the project's)")
    parser.add_argument("--pace", type=float, default=BrowserOptions.pace,
                        help=f"nmaudit's pace for every other host (default {BrowserOptions.pace:g} s, the project's)")
    parser.add_argument("--sogou-wall-after", type=int, metavar="N", default=None,
                        help="Sogou also walls the client off after N searches, whatever the pace (its budget for one address)")
    parser.add_argument("--quick", action="store_true", help="a reduced night (the accounts with a state of their own)")
    parser.add_argument("--concurrency", type=int, default=AuditOptions.concurrency)
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args(argv)
    rows = quick_rows() if args.quick else list(RUNNING)
    with TemporaryDirectory(prefix="nmaudit-city-") as folder:
        items, night, seconds, counts = audit(rows, args.scale, args.sogou_pace, args.pace, Path(folder), args.concurrency,
                                              args.sogou_wall_after)
    figures = {name: Figures() for name in GROUPS}
    total = Figures()
    wrong, undecided = [], []
    for row, truth, item in zip(rows, night.truths, items):
        for bucket in (figures[group(row)], total):
            bucket.add(truth, item)
        verdict = item.judgement.verdict
        line = (f"  {group(row)} {row.name}（{row.how}）：机器 {VERDICT_LABELS[verdict]}"
                f"{' ' + '、'.join(review_codes(item)) if verdict == 'review' else ''}；"
                f"实际 {VERDICT_LABELS[truth.verdict]}{' ' + truth.why if truth.why else ''}")
        missed = [code for code in truth.warnings if code not in {f.code for f in item.judgement.findings}]
        if verdict != "review" and verdict != truth.verdict:
            wrong.append(line)
        elif verdict != "review" and missed:
            wrong.append(f"{line}；未报警告 {'、'.join(missed)}")
        elif verdict == "review" and truth.decidable:
            undecided.append(line)
    figures = {name: f for name, f in figures.items() if f.accounts}
    scaled = args.scale != 1
    print(f"城市夜检基准：{len(rows)} 个账号（{'精简' if args.quick else '完整'}），检查时间 {AS_OF:%Y-%m-%d %H:%M}，"
          f"并发 {args.concurrency}")
    print(f"节奏：微博等平台 {args.pace:g} 秒{'（默认）' if args.pace == BrowserOptions.pace else ''}；搜狗 {args.sogou_pace * args.scale:g} 秒"
          + (f"（{'默认 ' if args.sogou_pace == SOGOU_PACE else ''}{args.sogou_pace:g} 秒 × {args.scale:g}；模拟搜狗的容忍间隔与封禁时长同比缩放："
             f"{SOGOU_PATIENCE * args.scale:g} 秒、{SOGOU_WALL_FOR * args.scale:g} 秒，"
             f"对应真实的 {SOGOU_PATIENCE:g} 秒、{SOGOU_WALL_FOR:g} 秒）" if scaled else "")
          + f"；模拟微博对间隔不足 {WEIBO_PATIENCE:g} 秒的请求答 418"
          + (f"；模拟搜狗答满 {args.sogou_wall_after} 次搜索后封禁" if args.sogou_wall_after is not None else ""))
    print(f"模拟平台：搜狗搜索 {counts['sogou_searches']} 次（其中被反爬页拦下 {counts['sogou_walled']} 次），"
          f"微博答 418 {counts['weibo_418']} 次，抖音用户搜索 {counts['douyin_searches']} 次（第 {DOUYIN_ANSWERS} 次后出验证码）")
    beyond = Counter(truth.note for truth in night.truths if not truth.decidable)
    if beyond:
        print(f"浏览器无法判定的 {sum(beyond.values())} 个：")
        print("\n".join(f"  {n} 个：{note}" for note, n in beyond.most_common()))
    if wrong:
        print("判定与实际不符：")
        print("\n".join(wrong))
    if undecided:
        print("浏览器可判定而未判定（待复核）：")
        print("\n".join(undecided[:SHOWN]))
        if len(undecided) > SHOWN:
            print(f"  ……另有 {len(undecided) - SHOWN} 个")
    print()
    print("\n".join(table({**figures, "合计": total})))
    print()
    print(f"误判不合格 {total.false_fail}（须为 0），误判合格 {total.false_pass}；机器判定 {total.decided}/{total.accounts}；"
          f"浏览器可判定的 {total.decidable} 个中机器已判定 {total.decidable_decided} 个（{percent(total.share)}，目标 ≥ 85%"
          f"{'，达到' if (total.share or 0) >= 0.85 else '，未达到'}）")
    print(f"用时 {seconds:.0f} 秒（审核本身，不含导入与启动模拟平台）")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "accounts": len(rows), "seconds": seconds, "scale": args.scale, "counts": counts,
            "platforms": {name: f.as_dict() for name, f in figures.items()}, "total": total.as_dict(),
            "table": table({**figures, "合计": total})}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if total.false_fail else 0


if __name__ == "__main__":
    sys.exit(main())
