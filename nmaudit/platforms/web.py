"""Any page (platform: web): Douyin, Bilibili, Kuaishou, Toutiao and Xiaohongshu go to their site
adapters (douyin.py, bilibili.py, kuaishou.py, toutiao.py, xiaohongshu.py) unless the account has
rules; otherwise the registry's `extract` rules read the name, certification and post dates (a
county's app page, any site without an adapter).

By default rules are applied to the HTML *as the server sent it* (``Fetched.body``). With
``loads``, the page is opened in Chromium and the answers its own scripts fetched (URL
patterns) are kept, for ``json`` rules (JMESPath) to read; with ``rendered``, ``css`` and
``regex`` read the DOM after the scripts ran.

``css`` is the subset `nmaudit.html` supports, checked when the registry is loaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional, Sequence
from urllib.parse import urlsplit

import jmespath

from ..browser import Fetched
from ..dates import from_unix, parse_post_time, to_beijing
from ..models import IDENTITY_LABELS, SITES, Account, Extract, Extractor, Observation, SourceRecord
from ..html import Document
from .base import Fetch, decode_html, network_problem, note_posts, record_source
from .bilibili import BilibiliAdapter
from .douyin import DouyinAdapter
from .kuaishou import KuaishouAdapter
from .loaded import SiteAdapter
from .toutiao import ToutiaoAdapter
from .xiaohongshu import XiaohongshuAdapter

#: Sites of platform web with an adapter of their own, used when the account has no extract rules.
SITE_ADAPTERS: dict[str, SiteAdapter] = {"douyin": DouyinAdapter(), "bilibili": BilibiliAdapter()}
SITE_ADAPTERS.update({"toutiao": ToutiaoAdapter(), "xiaohongshu": XiaohongshuAdapter(), "kuaishou": KuaishouAdapter()})


def site_adapter(account: Account) -> Optional[SiteAdapter]:
    """The site adapter that reads this account (its extract rules, if any, take precedence)."""
    return next((adapter for adapter in SITE_ADAPTERS.values() if adapter.handles(account)), None)

# -- extract rules -------------------------------------------------------------------------------

#: What staff read for each extract rule.
FIELD_LABELS = {"name": "账号名称", "certification": "认证主体", "posts": "发布时间"}
#: Extract rule -> the indicator it lets the adapter check.
FIELD_INDICATORS = {"posts": "update", "name": "name", "certification": "certification"}


def json_values(found: Any) -> list[str]:
    """What a JMESPath expression found, as text: lists flattened, objects as JSON, null dropped."""
    if found is None:
        return []
    if isinstance(found, list):
        return [value for item in found for value in json_values(item)]
    if isinstance(found, dict):
        return [json.dumps(found, ensure_ascii=False)]
    if isinstance(found, bool):
        return [str(found).lower()]
    return [str(found)]


def extract_values(extractor: Extractor, document: Document, loaded: Sequence[Any] = ()) -> list[str]:
    """Every value the rule reads: its JMESPath in each answer the page loaded (json), css
    matches (text or attr), or the page source; then every regex match in them (group 1 when
    the pattern has a group). Blank values are dropped."""
    if extractor.query:
        expression = jmespath.compile(extractor.query)
        values = [value for answer in loaded for value in json_values(expression.search(answer))]
    elif extractor.css:
        values = document.select(extractor.css, extractor.attr)
    else:
        values = [document.source]
    if extractor.regex:
        pattern = re.compile(extractor.regex)
        values = [match.group(1 if pattern.groups else 0) for value in values for match in pattern.finditer(value)]
    return [" ".join(value.split()) for value in values if value and value.strip()]


def describe(field_name: str, extractor: Extractor) -> str:
    """How staff recognise a rule in a message: extract.posts（css “li .time”，regex “…”）."""
    parts = [f"{key} “{value}”" for key, value in
             (("json", extractor.query), ("css", extractor.css), ("attr", extractor.attr), ("regex", extractor.regex))
             if value]
    return f"extract.{field_name}（{'，'.join(parts)}）"


def post_time(value: str, format: Optional[str], fetched_at: datetime) -> datetime:
    """A post date read by a rule. `format` is a strptime format (naive times are Beijing time;
    without a year the date is this year's, or last year's if that would be after the fetch);
    "%s" means Unix seconds. Values that do not fit `format` get the default parser, so a page
    mixing "3天前" with "11月20日" still reads. Raises ValueError."""
    if format == "%s":
        try:
            # Milliseconds (Kuaishou's timestamp) where seconds would be past the year 5000.
            return from_unix(float(value) / 1000 if float(value) >= 1e11 else value)
        except (ValueError, OverflowError):
            pass
    elif format:
        try:
            moment = to_beijing(datetime.strptime(value, format))
        except ValueError:
            pass
        else:
            if "%Y" not in format and "%y" not in format:
                fetched = to_beijing(fetched_at)
                moment = moment.replace(year=fetched.year)
                if moment.date() > fetched.date():
                    moment = moment.replace(year=fetched.year - 1)
            return moment
    return parse_post_time(value, fetched_at)


# -- the adapter ---------------------------------------------------------------------------------

#: Statuses platforms answer when they throttle or refuse a cookieless browser.
BLOCK_STATUSES = {403, 418, 429, 432}
#: Page titles of captcha, verification and login walls (compared case-insensitively).
BLOCK_TITLES = ("验证码", "安全验证", "人机验证", "滑块验证", "captcha", "登录", "login", "sign in")
#: Where platforms redirect a browser they want to verify or log in.
BLOCK_URLS = ("captcha", "verifycenter", "verify_center", "login", "passport", "signin")


@dataclass
class Page:
    """A page that loaded, ready for the rules."""

    url: str
    fetched: Fetched
    document: Document
    source: SourceRecord
    loaded: list[Any] = field(default_factory=list)  # the JSON answers of the page's own calls (loads)


def blocked_reason(fetched: Fetched, title: str) -> Optional[str]:
    """Why this answer is a wall rather than the page, or None."""
    if fetched.status in BLOCK_STATUSES:
        return f"平台拒绝访问或限制频率（HTTP {fetched.status}，共尝试{fetched.attempts}次）：{fetched.url}"
    if fetched.final_url != fetched.url and any(m in fetched.final_url.lower() for m in BLOCK_URLS):
        return f"被引导至验证或登录页面：{fetched.final_url}"
    if any(marker in title.casefold() for marker in BLOCK_TITLES):
        return f"遇到验证码或登录页面（页面标题“{title}”）：{fetched.url}"
    return None


class WebAdapter:
    """Pages read with the registry's extract rules; checks only what the rules declare."""

    platform = "web"
    sources = ("抖音（www.douyin.com/user/…；仅有抖音号时经抖音用户搜索找到主页）、哔哩哔哩（space.bilibili.com/UID）、今日头条（www.toutiao.com/c/user/token/…）、"
               "快手（www.kuaishou.com/profile/…，网页版不显示认证）：打开主页，读取页面自身加载的资料与作品列表；"
               "小红书主页仅读名称（笔记发布时间需登录，需人工核查）；"
               "其他页面按登记表 extract 规则读取（服务器返回的HTML、渲染后的页面或页面加载的数据；自建客户端页面等）")
    checks = ("update", "name", "certification")
    unchecked = ("interaction", "availability")

    def hosts(self, account: Account) -> list[str]:
        if site := site_adapter(account):
            return site.hosts(account)
        return list(dict.fromkeys(urlsplit(url).hostname or "" for url in account.urls))

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        if site := site_adapter(account):
            await site.observe(account, observation, fetch)
            return
        extract = account.extract
        if not account.urls:
            # Filed by its id on a platform without an adapter: kept in the audit, never dropped.
            observation.checks = []
            filed = "、".join(f"{IDENTITY_LABELS[key]} {value}" for key, value in account.ids.filled().items())
            site = SITES.get(account.site_key or "", "该平台")
            observation.add_signal(
                "unsupported", f"暂无该平台的自动检查（{site}{'：' + filed if filed else ''}），需人工核查；"
                               "在登记表中填写主页链接和提取规则（extract）即可自动检查")
            return
        if extract is None:
            observation.checks = []
            observation.add_signal(
                "unsupported", "未配置提取规则（extract），暂不支持自动检查该页面，需人工核查："
                + "、".join(account.urls))
            return
        observation.checks = [
            indicator for name, indicator in FIELD_INDICATORS.items() if getattr(extract, name) is not None
        ]
        pages = [page for url in account.urls if (page := await self._load(url, extract, observation, fetch))]
        if not pages:
            return  # each failure has its signal
        for name in ("name", "certification"):
            if (extractor := getattr(extract, name)) is not None:
                self._read_identity(name, extractor, pages, observation)
        if extract.posts is not None:
            self._read_posts(extract, pages, observation)

    async def _load(self, url: str, extract: Extract, observation: Observation, fetch: Fetch) -> Optional[Page]:
        if extract.loads or extract.rendered:
            # Opened as a person would: the page's scripts run, their calls are kept.
            fetched = await fetch.capture(url, "web-page", extract.loads, keep_dom=extract.rendered)
        else:
            fetched = await fetch(url, "web-page")
        if problem := network_problem(fetched):
            record_source(observation, fetched, "web-page", "unreachable")
            observation.add_signal("unreachable", problem, fetched.evidence)
            return None
        document = Document(fetched.rendered_html if extract.rendered and fetched.rendered_html else decode_html(fetched))
        if reason := blocked_reason(fetched, fetched.rendered_title or document.title):
            record_source(observation, fetched, "web-page", "blocked")
            observation.add_signal("blocked", reason, fetched.evidence)
            return None
        if (fetched.status or 0) >= 400:
            record_source(observation, fetched, "web-page", "unreachable")
            observation.add_signal(
                "unreachable", f"页面返回 HTTP {fetched.status}（可能已删除或地址有误）：{url}", fetched.evidence)
            return None
        page = Page(url, fetched, document, record_source(observation, fetched, "web-page"))
        for answer in fetched.captured:
            document_json = answer.json()
            record_source(observation, answer, "web-loaded", "ok" if document_json is not None else "unparsed")
            if document_json is not None:
                page.loaded.append(document_json)
        if extract.loads and not fetched.captured:
            observation.add_signal(
                "unparsed", f"页面未加载 extract.loads 所指的数据（{'、'.join(extract.loads)}）：{url}", fetched.evidence)
            return None
        return page

    def _nothing_found(self, name: str, extractor: Extractor, pages: list[Page], observation: Observation,
                       detail: str = "") -> None:
        for page in pages:
            page.source.outcome = "unparsed"
        urls = "、".join(page.url for page in pages)
        evidence = [path for page in pages for path in page.fetched.evidence]
        observation.add_signal(
            "unparsed", f"按提取规则 {describe(name, extractor)} 未能读到{FIELD_LABELS[name]}{detail}：{urls}",
            evidence)

    def _read_identity(self, name: str, extractor: Extractor, pages: list[Page], observation: Observation) -> None:
        for page in pages:
            if values := extract_values(extractor, page.document, page.loaded):
                setattr(observation, name, values[0])  # the first match: a profile header precedes lists
                observation.name_source = observation.name_source or page.url
                return
        self._nothing_found(name, extractor, pages, observation)

    def _read_posts(self, extract: Extract, pages: list[Page], observation: Observation) -> None:
        extractor = extract.posts
        assert extractor is not None
        unreadable: list[str] = []
        seen_any = False
        for page in pages:
            dated: list[datetime] = []
            page_unreadable = False
            for value in extract_values(extractor, page.document, page.loaded):
                try:
                    dated.append(post_time(value, extractor.format, page.fetched.fetched_at))
                except ValueError:
                    unreadable.append(value)
                    page_unreadable = True
            if dated:
                seen_any = True
                # A date that could not be read might be the newest: then this page is a lower bound.
                note_posts(observation, dated, page.url, extract.lists_newest and not page_unreadable)
        if not seen_any:
            detail = f"（无法识别的时间：{'、'.join(unreadable[:3])}）" if unreadable else ""
            self._nothing_found("posts", extractor, pages, observation, detail)
