"""WeChat official accounts (公众号): mp.weixin.qq.com pages and, opt-in, Sogou WeChat search.

A browser has no public list of an account's posts (platforms.md). An album (合集) or a custom
homepage lists the newest posts: a full-list source. An article, or the "最近文章" Sogou shows,
proves only that the account posted then: a lower bound. Every page is read as the server
sent it (the body), never the DOM after the page's scripts rewrote it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..browser import Fetched
from ..dates import from_unix, parse_post_time, to_beijing
from ..models import Account, Observation
from ..rules import normalise
from .base import Fetch, network_problem, note_posts, record_source
from ..html import Document, Element
from .base import decode_html
from .texts import note_wechat_album, note_wechat_article, note_wechat_list

MP_HOST = "mp.weixin.qq.com"
SOGOU_HOST = "weixin.sogou.com"
SOGOU_SEARCH = "https://weixin.sogou.com/weixin"
#: The custom homepage's own list call (POSTed to the homepage URL).
HOMEPAGE_LIST_FORM = "action=appmsg_list&begin=0&count=5"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}

#: Source kinds by path on mp.weixin.qq.com; other paths are fetched as "wechat-page" and classified.
KINDS_BY_PATH = {"/mp/appmsgalbum": "wechat-album", "/mp/homepage": "wechat-homepage",
                 "/mp/getverifyinfo": "wechat-verify-info", "/s": "wechat-article"}
#: What staff read for each source kind.
KIND_LABELS = {
    "wechat-album": "合集页面", "wechat-homepage": "公众号主页", "wechat-homepage-list": "主页文章列表",
    "wechat-article": "文章页面", "wechat-verify-info": "认证信息页面",
    "wechat-page": "公众号页面（暂不支持的链接类型）", "wechat-migrated-to": "迁移目标页面",
    "sogou-search": "搜狗微信搜索结果",
}

# What the platform shows instead of a page (platforms.md). Looked for only where the page's own
# content is absent: an article may well quote any of these sentences.
MIGRATED_MARKER = "该公众号已迁移"
ACCOUNT_GONE_MARKERS = ("此帐号已被屏蔽", "此帐号已自主注销", "此帐号处于帐号迁移流程中")
ARTICLE_GONE_MARKERS = ("该内容已被发布者删除", "此内容因违规无法查看", "此内容发送失败无法查看")
BLOCKED_MARKERS = ("环境异常", "访问过于频繁", "操作频繁，请稍候再试", "请在微信客户端打开链接", "链接已过期",
                   "请输入验证码")
BLOCK_STATUSES = {403, 418, 429, 432}

_JS_STRING = r"""(?P<quote>["'])(?P<value>(?:\\.|(?!(?P=quote)).)*)(?P=quote)"""
NICKNAME = re.compile(rf"\bvar\s+nickname\s*=\s*(?:htmlDecode\(\s*)?{_JS_STRING}")
TRANSFER_TARGET = re.compile(rf"\btransferTargetLink\s*=\s*{_JS_STRING}")
#: Where article pages put their creation time, tried in order (platforms.md).
ARTICLE_TIMES = (
    ("var ct", re.compile(r"""\bvar\s+ct\s*=\s*["']?(\d{9,11})\b""")),
    ("window.ct", re.compile(r"""\bwindow\.ct\s*=\s*["'](\d{9,11})["']""")),
    ("var createTime", re.compile(
        r"""\bvar\s+createTime\s*=\s*["'](\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)["']""")),
    ("oriCreateTime", re.compile(r"""\boriCreateTime\s*=\s*["']?(\d{9,11})\b""")),
)
#: Account-name elements, best first. og:site_name is never one: it always says "微信公众平台".
NAME_SELECTORS = ("#js_name", ".wx_follow_nickname", ".album__author-name")
_UNIX = re.compile(r"\d{9,11}")
_SOGOU_TIME = re.compile(r"""timeConvert\(\s*['"]?(\d{9,11})""")
_JS_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)")


# -- reading pages (pure) --------------------------------------------------------------------


def js_string(raw: str) -> str:
    """A JavaScript string literal's value, HTML entities decoded (htmlDecode("宝鸡&amp;发布"))."""
    def unescape(match: re.Match) -> str:
        escape = match.group(1)
        return chr(int(escape[1:], 16)) if len(escape) > 1 else escape
    return html.unescape(_JS_ESCAPE.sub(unescape, raw)).strip()


def account_name(text: str, document: Document) -> Optional[str]:
    """The account's name: the page's `nickname` script variable, else the name elements."""
    if (match := NICKNAME.search(text)) and (name := js_string(match.group("value"))):
        return name
    return next((found[0] for css in NAME_SELECTORS if (found := [v for v in document.select(css) if v])), None)


def article_time(text: str, document: Document, fetched_at: datetime) -> Optional[tuple[datetime, str]]:
    """When the article was created, and the variant it was read from; None when absent."""
    for variant, pattern in ARTICLE_TIMES:
        if match := pattern.search(text):
            value = match.group(1)
            try:
                return (from_unix(value) if value.isdigit() else parse_post_time(value, fetched_at)), variant
            except ValueError:
                continue  # "2025-02-30": try the other variants
    stamp = next((v for v in document.select(".js_article_create_time") if _UNIX.fullmatch(v)), None)
    return (from_unix(stamp), ".js_article_create_time") if stamp else None


def visible_text(document: Document) -> str:
    """What a reader sees of the page (script code excluded)."""
    return " ".join(element.text() for element in document.elements
                    if element.parent is not None and element.parent.tag == "#document")


def inside(document: Document, container: Element) -> list[Element]:
    """The elements within `container`, in document order (they follow it contiguously)."""
    found = []
    for element in document.elements[document.elements.index(container) + 1:]:
        ancestor = element.parent
        while ancestor is not None and ancestor is not container:
            ancestor = ancestor.parent
        if ancestor is None:
            break
        found.append(element)
    return found


def has_class(element: Element, name: str) -> bool:
    return name in element.attrs.get("class", "").split()


def album_times(document: Document) -> tuple[list[datetime], int]:
    """The creation times of an album's items (`li[data-link]`), and how many had none."""
    moments, undated = [], 0
    for item in (e for e in document.elements if e.tag == "li" and "data-link" in e.attrs):
        stamp = next((e.text() for e in inside(document, item) if has_class(e, "js_article_create_time")), "")
        if _UNIX.fullmatch(stamp):
            moments.append(from_unix(stamp))
        else:
            undated += 1
    return moments, undated


def verify_rows(document: Document) -> dict[str, str]:
    """The verify-info page's rows: 机构名称, 认证时间于, 统一社会信用代码 ... -> value."""
    rows = {}
    for item in (e for e in document.elements if e.tag == "li" and has_class(e, "verify_item")):
        parts = inside(document, item)
        title = next((e.text() for e in parts if has_class(e, "verify_item_title")), "")
        value = next((e.text() for e in parts if has_class(e, "verify_item_desc")), "")
        if title:
            rows[title.rstrip("：:")] = value
    return rows


@dataclass
class SogouResult:
    name: str
    certification: str  # the 微信认证 row; "" when the result has none (not certified)
    latest: Optional[datetime]  # 最近文章


def sogou_results(document: Document) -> list[SogouResult]:
    """Sogou's account results: `ul.news-list2 > li`, one account each."""
    results = []
    for item in (e for e in document.elements if e.tag == "li" and e.parent is not None
                 and e.parent.tag == "ul" and has_class(e.parent, "news-list2")):
        parts = inside(document, item)
        name = next((e.text() for e in parts if e.attrs.get("uigs", "").startswith("account_name_")), "")
        certification = ""
        for term in (e for e in parts if e.tag == "dt" and "微信认证" in e.text()):
            siblings = [c for c in term.parent.children if isinstance(c, Element)]
            following = siblings[siblings.index(term) + 1:]
            if following and following[0].tag == "dd":
                certification = following[0].text()
        stamps = [m.group(1) for e in parts if e.tag == "script" and (m := _SOGOU_TIME.search(e.text()))]
        results.append(SogouResult(name, certification, max(map(from_unix, stamps), default=None)))
    return results


# -- what a page is ----------------------------------------------------------------------------


@dataclass
class PageState:
    """Why a page gives nothing: blocked | unreachable | unparsed | account-gone | migrated | deleted."""

    kind: str
    message: str
    target: str = ""  # migrated: where the account moved


#: PageState kind -> SourceRecord outcome.
SOURCE_OUTCOMES = {"blocked": "blocked", "unreachable": "unreachable", "unparsed": "unparsed",
                   "account-gone": "gone", "migrated": "gone", "deleted": "gone"}


def classify(fetched: Fetched, document: Document, label: str, content_seen: bool) -> Optional[PageState]:
    """What stands in place of the page, if anything; None when nothing does."""
    if problem := network_problem(fetched):
        return PageState("unreachable", f"{label}{problem}")
    for url in (*fetched.redirects, fetched.final_url):
        path = urlsplit(url).path
        if "captcha" in path or path.startswith("/antispider"):
            return PageState("blocked", f"{label}要求完成验证码：{fetched.url} 被引导至 {fetched.final_url}")
    if content_seen:
        return None
    text = visible_text(document)
    where = f"（HTTP {fetched.status}）：{fetched.url}"
    if MIGRATED_MARKER in text:
        target = TRANSFER_TARGET.search(document.source)
        return PageState("migrated", f"{label}提示“{MIGRATED_MARKER}”{where}",
                         js_string(target.group("value")) if target else "")
    for kind, markers in (("account-gone", ACCOUNT_GONE_MARKERS), ("deleted", ARTICLE_GONE_MARKERS),
                          ("blocked", BLOCKED_MARKERS)):
        if marker := next((m for m in markers if m in text), None):
            return PageState(kind, f"{label}提示“{marker}”{where}")
    if document.select("#js_verify") or fetched.status in BLOCK_STATUSES:
        return PageState("blocked", f"{label}拒绝访问或要求验证{where}")
    if (fetched.status or 0) >= 400:
        return PageState("unreachable", f"{label}返回错误{where}")
    return None


def wechat_urls(urls: list[str]) -> list[str]:
    """The registry's mp.weixin.qq.com links, as https without fragments (albums link "http://...#rd")."""
    found = []
    for url in urls:
        parts = urlsplit(url.strip())
        if (parts.hostname or "").lower() == MP_HOST:
            found.append(urlunsplit(("https", parts.netloc, parts.path or "/", parts.query, "")))
    return list(dict.fromkeys(found))


def page_kind(url: str) -> str:
    path = urlsplit(url).path.rstrip("/") or "/"
    return "wechat-article" if path.startswith("/s/") else KINDS_BY_PATH.get(path, "wechat-page")


def sogou_url(name: str) -> str:
    return f"{SOGOU_SEARCH}?{urlencode({'type': 1, 'query': name})}"


@dataclass
class Page:
    fetched: Fetched
    text: str
    document: Document


def describe_target(page: Page) -> str:
    """The migration target as staff read it: the new account's name and the article's date."""
    name = account_name(page.text, page.document)
    posted = article_time(page.text, page.document, page.fetched.fetched_at)
    facts = [f"新账号“{name}”" if name else "", f"该文发布于{to_beijing(posted[0]):%Y-%m-%d}" if posted else ""]
    return "，".join(fact for fact in facts if fact) or "页面中未读到账号名称和发布时间"


def _has_article_content(text: str, document: Document) -> bool:
    return bool(document.select("#js_content")) or any(p.search(text) for _, p in ARTICLE_TIMES)


def _has_album_content(text: str, document: Document) -> bool:
    return bool(document.select("li[data-link]") or document.select(".album__author-name"))


def _has_verify_rows(text: str, document: Document) -> bool:
    return bool(document.select("li.verify_item"))


def _has_sogou_list(text: str, document: Document) -> bool:
    return bool(document.select("ul.news-list2"))


def _never(text: str, document: Document) -> bool:
    return False


# -- the adapter -------------------------------------------------------------------------------


class _Reading:
    """One account's sources, read in turn into one observation."""

    def __init__(self, observation: Observation, fetch: Fetch):
        self.observation = observation
        self.fetch = fetch
        self.deleted: list[PageState] = []  # articles gone (not the account)
        self.deleted_evidence: list[str] = []

    async def read(self, url: str) -> None:
        readers = {"wechat-album": self.album, "wechat-homepage": self.homepage, "wechat-article": self.article,
                   "wechat-verify-info": self.verify_info}
        await readers.get(page_kind(url), self.other)(url)

    async def open(self, url: str, kind: str, recognised: Optional[Callable[[str, Document], bool]],
                   quiet: bool = False) -> Optional[Page]:
        """Fetch and classify a page; on anything but the page, record why and return None.

        `recognised` tells the page's own content (None: a shell whose content comes later, the
        homepage). `quiet`: failures stay on the source record only, without a signal.
        """
        fetched = await self.fetch(url, kind)
        text = decode_html(fetched)
        document = Document(text)
        seen = recognised is not None and recognised(text, document)
        state = classify(fetched, document, KIND_LABELS[kind], seen)
        if state is None and recognised is not None and not seen:
            title = f"，页面标题“{document.title}”" if document.title else ""
            state = PageState("unparsed", f"未能识别的{KIND_LABELS[kind]}（HTTP {fetched.status}{title}）：{url}")
        if state is None:
            return Page(fetched, text, document)
        await self.failed(state, fetched, kind, quiet)
        return None

    async def failed(self, state: PageState, fetched: Fetched, kind: str, quiet: bool) -> None:
        record_source(self.observation, fetched, kind, SOURCE_OUTCOMES[state.kind])
        if state.kind == "deleted":
            self.deleted.append(state)
            self.deleted_evidence.extend(fetched.evidence)
        elif state.kind == "migrated":
            await self.migrated(state, fetched, follow=kind != "wechat-migrated-to")
        elif state.kind == "account-gone" or not quiet:
            self.observation.add_signal(state.kind, state.message, fetched.evidence)

    async def migrated(self, state: PageState, fetched: Fetched, follow: bool) -> None:
        """The filed account no longer exists: say where it went, reading the target article."""
        evidence = list(fetched.evidence)
        where = f"，迁移至 {state.target}" if state.target else "，页面未给出迁移后的链接"
        target = wechat_urls([state.target]) if state.target else []
        if follow and target and page_kind(target[0]) == "wechat-article":
            before = len(self.observation.sources)
            page = await self.open(target[0], "wechat-migrated-to", _has_article_content, quiet=True)
            if page is not None:
                record_source(self.observation, page.fetched, "wechat-migrated-to")
            evidence += [path for source in self.observation.sources[before:] for path in source.evidence]
            where += f"（{describe_target(page) if page else '该页面未能读取'}）"
        self.observation.add_signal(
            "account-gone", f"公众号已迁移：{state.message}{where}。报备的账号已不存在，需报备迁移后的新账号", evidence)

    def take_name(self, name: Optional[str], url: str) -> None:
        """The first name seen wins: mp.weixin.qq.com pages are read before Sogou."""
        if name and self.observation.name is None:
            self.observation.name = name
            self.observation.name_source = url

    def take_certification(self, certification: str, url: str) -> None:
        """The first certification seen wins: the verify-info page is read before Sogou."""
        if self.observation.certification is None:
            self.observation.certification = certification
            self.observation.name_source = self.observation.name_source or url

    async def other(self, url: str) -> None:
        """A link shape without a reader (/mp/profile_ext ...): classified, kept as evidence."""
        await self.open(url, "wechat-page", _never)

    def posts(self, fetched: Fetched, kind: str, moments: list[datetime], lists_newest: bool, missing: str) -> None:
        """Record the source and what it dates; a source that dates nothing is unparsed."""
        source = record_source(self.observation, fetched, kind, "ok" if moments else "unparsed")
        if not moments:
            self.observation.add_signal("unparsed", f"{missing}：{fetched.url}", fetched.evidence)
            return
        note_posts(self.observation, moments, source.url, lists_newest)

    async def album(self, url: str) -> None:
        page = await self.open(url, "wechat-album", _has_album_content)
        if page is None:
            return
        self.take_name(account_name(page.text, page.document), url)
        moments, undated = album_times(page.document)
        note_wechat_album(self.observation, page.document, url)
        # An item without a time might be the newest: then the album is a lower bound only.
        self.posts(page.fetched, "wechat-album", moments, not undated, "合集页面中没有读到带发布时间的文章")

    async def homepage(self, url: str) -> None:
        shell = await self.open(url, "wechat-homepage", None)
        if shell is None:
            return
        record_source(self.observation, shell.fetched, "wechat-homepage")
        self.take_name(account_name(shell.text, shell.document), url)
        listed = await self.fetch.request(url, "wechat-homepage-list", method="POST", data=HOMEPAGE_LIST_FORM,
                                          headers=FORM_HEADERS)
        answer = listed.json()
        items = answer.get("appmsg_list") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            label = KIND_LABELS["wechat-homepage-list"]
            detail = f"，base_resp {answer['base_resp']}" if isinstance(answer, dict) and "base_resp" in answer else ""
            state = classify(listed, Document(decode_html(listed)), label, False) or PageState(
                "unparsed", f"{label}不是预期的数据（HTTP {listed.status}，{listed.content_type or '无类型'}"
                            f"{detail}）：{url}")
            await self.failed(state, listed, "wechat-homepage-list", False)
            return
        stamps = [str(item.get("sendtime", "")) for item in items if isinstance(item, dict)]
        moments = [from_unix(stamp) for stamp in stamps if _UNIX.fullmatch(stamp)]
        note_wechat_list(self.observation, items, url)
        complete = len(moments) == len(items)
        self.posts(listed, "wechat-homepage-list", moments, complete,
                   "主页文章列表中没有读到带发布时间（sendtime）的文章")

    async def article(self, url: str) -> None:
        page = await self.open(url, "wechat-article", _has_article_content)
        if page is None:
            return
        self.take_name(account_name(page.text, page.document), url)
        posted = article_time(page.text, page.document, page.fetched.fetched_at)
        note_wechat_article(self.observation, page.document, url, posted[0] if posted else None)
        # One article proves the account posted then, never that it has not posted since.
        self.posts(page.fetched, "wechat-article", [posted[0]] if posted else [], False,
                   "文章页面中未找到发布时间（ct、createTime、oriCreateTime）")

    async def verify_info(self, url: str) -> None:
        # Certification only: when the page needs the WeChat client (it usually does), the
        # certification stays "not seen", which is no mismatch; nothing else depends on it.
        page = await self.open(url, "wechat-verify-info", _has_verify_rows, quiet=True)
        if page is None:
            return
        subject = verify_rows(page.document).get("机构名称", "")
        record_source(self.observation, page.fetched, "wechat-verify-info", "ok" if subject else "unparsed")
        if subject:
            self.take_certification(subject, url)

    async def sogou(self, name: str) -> None:
        """Sogou WeChat search for the filed name: name, certification and one recent article."""
        url = sogou_url(name)
        page = await self.open(url, "sogou-search", _has_sogou_list)
        if page is None:
            return
        results = sogou_results(page.document)
        found = next((result for result in results if normalise(result.name) == normalise(name)), None)
        if found is None:
            record_source(self.observation, page.fetched, "sogou-search", "unparsed")
            seen = "、".join(result.name for result in results) or "无"
            self.observation.add_signal(
                "unparsed", f"搜狗微信搜索“{name}”未找到同名公众号（搜索结果：{seen}），可能已改名或未被收录：{url}",
                page.fetched.evidence)
            return
        self.take_name(found.name, url)
        self.take_certification(found.certification, url)
        self.posts(page.fetched, "sogou-search", [found.latest] if found.latest else [], False,
                   f"搜狗微信搜索结果中“{name}”没有最近文章的时间")

    def finish(self) -> None:
        """A deleted article is not a gone account; when nothing else dated a post, say so."""
        if self.deleted and self.observation.newest_post_at is None:
            shown = "；".join(state.message for state in self.deleted)
            self.observation.add_signal(
                "unparsed", f"报备的文章已被删除或无法查看（是文章不可见，并非账号注销），无法据此确认更新：{shown}",
                self.deleted_evidence)


class WechatAdapter:
    platform = "wechat"
    sources = "合集页、自定义主页（列出最新文章）；单篇文章（仅证明曾更新）；认证信息页；搜狗微信搜索（需开启 sogou）"
    checks = ("update", "name", "certification")
    #: Comments (留言): a browser cannot tell "off" from "not shown"; only a declared page is checked.
    unchecked = ("interaction",)

    def hosts(self, account: Account) -> list[str]:
        hosts = [urlsplit(url).hostname or "" for url in wechat_urls(account.urls)]
        if "sogou" in account.policy.sources:
            hosts.append(SOGOU_HOST)
        return list(dict.fromkeys(hosts))

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        urls = wechat_urls(account.urls)
        use_sogou = "sogou" in account.policy.sources
        if not urls and not use_sogou:
            observation.add_signal(
                "unparsed", f"报备链接中没有微信公众号页面（{MP_HOST}），无法检查：{'、'.join(account.urls)}")
            return
        reading = _Reading(observation, fetch)
        for url in urls:
            await reading.read(url)
        if use_sogou:
            await reading.sogou(account.name)
        reading.finish()
