"""What an audit of a registry will be able to see, before it runs (pure).

For each account: the sources the audit will read, and whether they can prove idleness —
列出最新 (a source lists the newest posts: an album, a homepage, Weibo's post list, a feed),
仅能证明有更新 (only lower bounds: an article, Sogou's newest article, a page showing some
posts), or 暂无自动检查 (nothing readable dates the posts). Staff use it to see where a link
or a feed would turn 待复核 into a verdict.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Literal, Optional
from urllib.parse import urlsplit

from .models import IDENTITY_LABELS, PLATFORM_LABELS, PLATFORMS, SITES, Account
from .platforms.web import SITE_ADAPTERS, site_adapter
from .platforms.wechat import page_kind, uses_sogou, wechat_urls
from .platforms.weibo_resolve import uid_from_url
from .sessions import SESSION_PLATFORMS

Proof = Literal["listed", "lower-bound", "none"]
PROOF_LABELS: dict[str, str] = {"listed": "列出最新", "lower-bound": "仅能证明有更新", "none": "暂无自动检查"}


@dataclass(frozen=True)
class Coverage:
    account: Account
    sources: tuple[str, ...]
    proof: Proof
    #: The platform whose signed-in session (nmaudit login) helps this account's reads; None: none.
    session: Optional[str] = None

    @property
    def label(self) -> str:
        return PROOF_LABELS[self.proof]


def _ids(account: Account, *keys: str) -> str:
    return "、".join(f"{IDENTITY_LABELS[k]} {getattr(account.ids, k)}" for k in keys if getattr(account.ids, k))


def _wechat(account: Account) -> tuple[list[str], Proof]:
    kinds = Counter(page_kind(url) for url in wechat_urls(account.urls))
    sources, proof = [], "none"
    if kinds["wechat-album"] or kinds["wechat-homepage"]:
        sources.append("合集页/主页（列出最新）")
        proof = "listed"
    if kinds["wechat-article"]:
        sources.append(f"单篇文章 {kinds['wechat-article']} 篇及其所属合集")
        proof = "listed" if proof == "listed" else "lower-bound"
    if uses_sogou(account):
        by = _ids(account, "wechat_id", "gh_id") or "名称"
        sources.append(f"搜狗微信搜索（按{by}）")
        proof = "listed" if proof == "listed" else "lower-bound"
    if kinds["wechat-verify-info"]:
        sources.append("认证信息页")
    return sources, proof


def _weibo(account: Account) -> tuple[list[str], Proof]:
    if account.ids.uid or any(uid_from_url(url) for url in account.urls):
        how = "UID"
    elif account.urls:
        how = "由报备链接解析UID"
    elif account.ids.domain:
        how = f"由个性域名 {account.ids.domain} 解析UID"
    else:
        how = "按昵称查找UID"
    return [f"m.weibo.cn 资料与微博列表（{how}）"], "listed"


def _app(account: Account) -> tuple[list[str], Proof]:
    sources = []
    hosts = {urlsplit(url).hostname or "" for url in account.urls}
    if account.ids.appstore_id or "apps.apple.com" in hosts:
        sources.append("App Store 查询")
    if account.ids.package or "sj.qq.com" in hosts:
        sources.append("应用宝页面")
    if others := [h for h in hosts if h not in ("apps.apple.com", "sj.qq.com")]:
        sources.append(f"下载地址（{'、'.join(sorted(others))}）")
    if not sources:
        sources.append("App Store 按名称与开发者搜索")
    # What an app publishes lives inside it: its update indicator is left to staff.
    return [*sources, "（可下载可用、名称；内容更新需人工核查）"], "none"


def _web(account: Account) -> tuple[list[str], Proof]:
    if site := site_adapter(account):
        sources, proof = site.coverage(account)
        return sources, proof  # type: ignore[return-value]
    if not account.urls:
        site = SITES.get(account.site_key or "", "该平台")
        return [f"暂无{site}的自动检查"], "none"
    extract = account.extract
    if extract is None:
        return ["页面（未配置提取规则）"], "none"
    if extract.posts is None:
        return ["页面（提取规则未读发布时间）"], "none"
    return ["页面（按提取规则）"], "listed" if extract.lists_newest else "lower-bound"


_BY_PLATFORM = {"wechat": _wechat, "weibo": _weibo, "app": _app, "web": _web}


def site_of(account: Account) -> Optional[str]:
    """The site (SITES) a 其他 account is on: filed as `site`, named by its ids, or the one whose
    adapter reads its links; None for other platforms and for pages read by extract rules."""
    if account.platform != "web":
        return None
    if account.site_key in SITES:
        return account.site_key
    return next((key for key, adapter in SITE_ADAPTERS.items() if adapter.handles(account)), None)


def type_label(account: Account) -> str:
    """The account's type as staff read it in summaries: 微信, 微博, 移动客户端, 其他（抖音）..."""
    label = PLATFORM_LABELS.get(account.platform, account.platform)
    site = site_of(account)
    return f"{label}（{SITES[site]}）" if site else label


def site_sources(account: Account) -> Optional[str]:
    """What the account's site adapter reads, as staff read it; None without one."""
    site = site_of(account)
    return SITE_ADAPTERS[site].sources if site in SITE_ADAPTERS else None


def session_platform(account: Account) -> Optional[str]:
    """The platform whose signed-in session helps the account's reads (sessions.py), or None."""
    key = "weibo" if account.platform == "weibo" else site_of(account)
    return key if key in SESSION_PLATFORMS else None


def account_coverage(account: Account) -> Coverage:
    sources, proof = _BY_PLATFORM[account.platform](account)
    if account.feed:
        sources.append("订阅源（列出最新）")
        proof = "listed"
    return Coverage(account, tuple(sources), proof, session_platform(account))


def session_note(item: Coverage, signed_in: set[str]) -> str:
    """What a session adds to one account, as staff read it ("" when none helps)."""
    if item.session is None:
        return ""
    label = SESSION_PLATFORMS[item.session].label
    return f"（已登录{label}）" if item.session in signed_in else f"（登录{label}后更少被拦截：nmaudit login {item.session}）"


def session_lines(items: list[Coverage], signed_in: set[str]) -> list[str]:
    """What signing in buys, per platform: how many accounts it helps and whether it is done."""
    helped = Counter(item.session for item in items if item.session)
    if not helped:
        return []
    lines = ["登录后访客看不到的内容也能检查（nmaudit login 平台，或复核页面的“平台登录”）："]
    for platform, count in sorted(helped.items(), key=lambda pair: list(SESSION_PLATFORMS).index(pair[0])):
        spec = SESSION_PLATFORMS[platform]
        state = "已登录" if platform in signed_in else f"未登录：nmaudit login {platform}"
        lines.append(f"{spec.label} {count} 个：{spec.helps} — {state}")
    return lines


def coverage_totals(items: Iterable[Coverage], totals: Optional[dict[str, Counter]] = None) -> dict[str, Counter]:
    """Per platform (in PLATFORMS order, only those present): accounts per proof, and 'all'.
    Added to `totals` when given, so that a long registry can be counted block by block."""
    counted: dict[str, Counter] = {} if totals is None else totals
    for item in items:
        counts = counted.setdefault(item.account.platform, Counter())
        counts[item.proof] += 1
        counts["all"] += 1
    return {platform: counted[platform] for platform in PLATFORMS if platform in counted}


def totals_lines(items: Iterable[Coverage] = (), totals: Optional[dict[str, Counter]] = None) -> list[str]:
    """The totals as staff read them: one line per platform, then all together (of `items`,
    or of totals already counted)."""
    lines = []
    totals = coverage_totals(items, totals)
    everything: Counter = Counter()
    for platform, counts in totals.items():
        everything.update(counts)
        lines.append(f"{PLATFORM_LABELS[platform]} {counts['all']} 个：" + "，".join(
            f"{label} {counts[proof]}" for proof, label in PROOF_LABELS.items()))
    lines.append(f"合计 {everything['all']} 个：" + "，".join(
        f"{label} {everything[proof]}" for proof, label in PROOF_LABELS.items()))
    return lines
