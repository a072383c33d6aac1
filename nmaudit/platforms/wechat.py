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
from ..models import IDENTITY_LABELS, Account, Observation
from ..rules import normalise
from .base import Fetch, network_problem, note_posts, record_source
from ..html import Document, Element
from .base import decode_html
from .texts import note_wechat_album, note_wechat_article, note_wechat_list

MP_HOST = "mp.weixin.qq.com"
SOGOU_HOST = "weixin.sogou.com"
SOGOU_SEARCH = "https://weixin.sogou.com/weixin"
#: Seconds between two Sogou searches by default. Sogou walls off cookieless clients that search
#: in quick succession (its antispider page asks for a captcha); one search every 15 s is 240 an
#: hour, slow enough for a quarterly or nightly run, and the other platforms' accounts are
#: audited meanwhile. A wall still stops Sogou for the rest of the run.
SOGOU_PACE = 15.0
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
    "sogou-search": "搜狗微信搜索结果", "wechat-linked-album": "文章所属合集页面",
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
#: The image-share (分享图片) and video-message (视频) templates name the account in their cgiData.
CGI_NICKNAME = re.compile(rf"\bd\.nick_name\s*=\s*(?:htmlDecode\(\s*)?{_JS_STRING}")
TRANSFER_TARGET = re.compile(rf"\btransferTargetLink\s*=\s*{_JS_STRING}")
#: Where article pages put their creation time, tried in order (platforms.md).
ARTICLE_TIMES = (
    ("var ct", re.compile(r"""\bvar\s+ct\s*=\s*["']?(\d{9,11})\b""")),
    ("window.ct", re.compile(r"""\bwindow\.ct\s*=\s*["'](\d{9,11})["']""")),
    ("var createTime", re.compile(
        r"""\bvar\s+createTime\s*=\s*["'](\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)["']""")),
    ("oriCreateTime", re.compile(r"""\boriCreateTime\s*=\s*["']?(\d{9,11})\b""")),
    # The image-share and video-message templates: d.ct = "…"; d.create_time = "…"*1.
    ("d.ct", re.compile(r"""\bd\.ct\s*=\s*["'](\d{9,11})["']""")),
    ("create_time", re.compile(r"""\bcreate_time\s*=\s*["']?(\d{9,11})\b""")),
)
#: Account-name elements, best first. og:site_name is never one: it always says "微信公众平台".
NAME_SELECTORS = ("#js_name", ".wx_follow_nickname", ".album__author-name", "strong.account_nickname_inner")
_UNIX = re.compile(r"\d{9,11}")
_SOGOU_TIME = re.compile(r"""timeConvert\(\s*['"]?(\d{9,11})""")
_CERTIFIED_TERM = re.compile(r"认证[：:]\s*$")
_ALBUM_LINK = re.compile(r"""mp\.weixin\.qq\.com/mp/appmsgalbum\?([^"'\s<>#]+)""")
#: How many 合集 linked from filed articles are read per account (each is one more request).
MAX_LINKED_ALBUMS = 3
#: Sogou's page when a search finds nothing.
SOGOU_NOTHING_FOUND = ("暂无与", "相关的微信公众号")
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
    for pattern in (NICKNAME, CGI_NICKNAME):
        if (match := pattern.search(text)) and (name := js_string(match.group("value"))):
            return name
    return next((found[0] for css in NAME_SELECTORS if (found := [v.strip() for v in document.select(css) if v.strip()])),
                None)


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
    """The elements within `container`, in document order."""
    return container.descendants()  # lexbor walks the subtree: no climbing of deep pages


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
    wechat_id: str  # 微信号 as Sogou shows it; an account without one shows its 原始ID (gh_...)
    certification: str  # the 认证 row; "" when the result has none (not certified)
    latest: Optional[datetime]  # 最近文章: runs a minute or two later than the article's own time

    def describe(self) -> str:
        facts = [f"微信号 {self.wechat_id}" if self.wechat_id else "",
                 f"认证：{self.certification}" if self.certification else "未认证"]
        return f"{self.name}（{'，'.join(fact for fact in facts if fact)}）"


def sogou_results(document: Document) -> list[SogouResult]:
    """Sogou's account results: `ul.news-list2 > li`, one account each.

    The 认证 row's term is `<dt><script>document.write(authname('2'))</script>认证：</dt>`: the
    word 微信认证 is written by a script, so the HTML term reads only "认证：".
    """
    results = []
    for item in (e for e in document.elements if e.tag == "li" and e.parent is not None
                 and e.parent.tag == "ul" and has_class(e.parent, "news-list2")):
        parts = inside(document, item)
        name = next((e.text() for e in parts if e.attrs.get("uigs", "").startswith("account_name_")), "")
        wechat_id = next((e.text() for e in parts if e.tag == "label" and e.attrs.get("name") == "em_weixinhao"), "")
        certification = ""
        for term in (e for e in parts if e.tag == "dt" and _CERTIFIED_TERM.search(e.text())):
            siblings = [c for c in term.parent.children if isinstance(c, Element)]
            following = siblings[siblings.index(term) + 1:]
            if following and following[0].tag == "dd":
                certification = following[0].text()
        stamps = [m.group(1) for e in parts if e.tag == "script" and (m := _SOGOU_TIME.search(e.text()))]
        results.append(SogouResult(name, wechat_id, certification, max(map(from_unix, stamps), default=None)))
    return results


def sogou_match(results: list[SogouResult], account: Account) -> tuple[Optional[SogouResult], str]:
    """The result that is the filed account, and how it was told apart; (None, "") when none is.

    Never the first result blindly (a real search for a name lists that exact account second):
    by the 微信号 or 原始ID the result shows, else by the exact name *and* the 认证主体 (as filed,
    else the owner unit), since anyone can register a look-alike name.
    """
    for key, how in (("wechat_id", "微信号"), ("gh_id", "原始ID")):
        filed = getattr(account.ids, key)
        if filed and (found := [r for r in results if r.wechat_id.lower() == filed.lower()]):
            return found[0], f"{how} {filed} 一致"
    subject = normalise(account.certified_as or account.owner)
    same = [r for r in results if normalise(r.name) == normalise(account.name)
            and r.certification and normalise(r.certification) == subject]
    if len(same) == 1:
        return same[0], "名称与认证主体一致"
    return None, ""


def sogou_queries(account: Account) -> list[str]:
    """What to search for, best first: an id finds exactly one account; the name may not."""
    first_id = account.ids.wechat_id or account.ids.gh_id
    return list(dict.fromkeys(q for q in (first_id, account.name) if q))


def lists_newest_link(account: Account) -> bool:
    """Whether the account has a source that lists its newest posts (album, homepage, feed)."""
    kinds = {page_kind(url) for url in wechat_urls(account.urls)}
    return bool(account.feed) or bool(kinds & {"wechat-album", "wechat-homepage"})


def uses_sogou(account: Account) -> bool:
    """Sogou is asked when nothing else can list the account's newest posts, unless the policy
    says always (or `sources: [sogou]`) or never."""
    mode = "always" if "sogou" in account.policy.sources else account.policy.sogou
    return mode == "always" or (mode == "auto" and not lists_newest_link(account))


def album_links(text: str) -> list[str]:
    """The 合集 (album) pages an article links to (`/mp/appmsgalbum?__biz=..&album_id=..`)."""
    found = []
    for match in _ALBUM_LINK.finditer(html.unescape(text)):
        query = dict(pair.split("=", 1) for pair in match.group(1).split("&") if "=" in pair)
        if query.get("__biz") and query.get("album_id", "").isdigit():
            found.append(f"https://{MP_HOST}/mp/appmsgalbum?"
                         + urlencode({"__biz": query["__biz"], "action": "getalbum", "album_id": query["album_id"]}))
    return list(dict.fromkeys(found))


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


def _has_sogou_list_or_nothing(text: str, document: Document) -> bool:
    """A result list, or Sogou's own "nothing found" answer (also an answer)."""
    return bool(document.select("ul.news-list2")) or all(marker in visible_text(document)
                                                          for marker in SOGOU_NOTHING_FOUND)


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
        self.linked_albums: list[str] = []  # 合集 that filed articles link to
        self.read_urls: set[str] = set()

    async def read(self, url: str) -> None:
        readers = {"wechat-album": self.album, "wechat-homepage": self.homepage, "wechat-article": self.article,
                   "wechat-verify-info": self.verify_info}
        self.read_urls.add(url)
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
            self.observation.add_signal("unparsed", f"{missing}：{fetched.url}", fetched.evidence, indicators=("update",))
            return
        note_posts(self.observation, moments, source.url, lists_newest)

    async def album(self, url: str, kind: str = "wechat-album") -> None:
        page = await self.open(url, kind, _has_album_content)
        if page is None:
            return
        self.take_name(account_name(page.text, page.document), url)
        moments, undated = album_times(page.document)
        note_wechat_album(self.observation, page.document, url)
        # An item without a time might be the newest: then the album is a lower bound only. A 合集
        # found through an article was not filed as the account's list: its dates are lower bounds.
        lists_newest = not undated and kind == "wechat-album"
        self.posts(page.fetched, kind, moments, lists_newest, "合集页面中没有读到带发布时间的文章")

    async def albums_linked_from_articles(self) -> None:
        """The 合集 the filed articles belong to: more dates, at one request each."""
        for url in [u for u in self.linked_albums if u not in self.read_urls][:MAX_LINKED_ALBUMS]:
            self.read_urls.add(url)
            await self.album(url, "wechat-linked-album")

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
        self.linked_albums.extend(album_links(page.text))
        posted = article_time(page.text, page.document, page.fetched.fetched_at)
        note_wechat_article(self.observation, page.document, url, posted[0] if posted else None)
        # One article proves the account posted then, never that it has not posted since.
        self.posts(page.fetched, "wechat-article", [posted[0]] if posted else [], False,
                   "文章页面中未找到发布时间（ct、createTime、oriCreateTime、create_time）")

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

    async def sogou(self, account: Account) -> None:
        """Sogou WeChat search by 微信号 / 原始ID, else the name: live name, certification and the
        newest article Sogou lists (a lower bound: Sogou cannot show that nothing newer exists)."""
        if halt := self.fetch.halted(SOGOU_HOST):
            self.observation.deferred.append(SOGOU_HOST)
            self.observation.add_signal(
                "blocked", f"搜狗微信搜索已在本次检查中停止使用（{halt.reason}），本账号未经搜狗核查；"
                           "稍后可用 nmaudit audit --resume 或 nmaudit recheck 补查", halt.evidence)
            return
        candidates: list[SogouResult] = []
        queries = sogou_queries(account)
        for query in queries:
            url = sogou_url(query)
            page = await self.open(url, "sogou-search", _has_sogou_list_or_nothing)
            if page is None:
                last = self.observation.sources[-1]
                if last.outcome == "blocked":  # an antispider wall: every further search makes it worse
                    self.observation.deferred.append(SOGOU_HOST)
                    self.fetch.halt(SOGOU_HOST, f"{KIND_LABELS['sogou-search']}要求完成验证码，账号 {account.id} 检查时出现",
                                    last.evidence)
                return
            results = sogou_results(page.document)
            found, how = sogou_match(results, account)
            if found is None:
                record_source(self.observation, page.fetched, "sogou-search", "ok")
                candidates.extend(r for r in results if r not in candidates)
                continue
            self.take_name(found.name, url)
            self.take_certification(found.certification, url)
            self.observation.identified_by = f"搜狗微信搜索“{query}”：{found.describe()}，{how}"
            self.posts(page.fetched, "sogou-search", [found.latest] if found.latest else [], False,
                       f"搜狗微信搜索结果中“{found.name}”没有最近文章的时间")
            return
        searched = "、".join(f"“{q}”" for q in queries)
        seen = "；".join(r.describe() for r in candidates) or "无结果"
        filed = "、".join(f"{IDENTITY_LABELS[k]} {v}" for k, v in account.ids.filled().items())
        by = f"{filed}，或" if filed else ""
        self.observation.add_signal(
            "not-found", f"搜狗微信搜索{searched}未找到报备的公众号（按{by}名称“{account.name}”与认证主体"
                         f"“{account.certified_as or account.owner}”核对），可能已改名、迁移、认证主体变更或未被收录。"
                         f"搜索结果：{seen}",
            [path for source in self.observation.sources if source.kind == "sogou-search" for path in source.evidence])

    def finish(self) -> None:
        """A deleted article is not a gone account; when nothing else dated a post, say so."""
        if self.deleted and self.observation.newest_post_at is None:
            shown = "；".join(state.message for state in self.deleted)
            self.observation.add_signal(
                "unparsed", f"报备的文章已被删除或无法查看（是文章不可见，并非账号注销），无法据此确认更新：{shown}",
                self.deleted_evidence, indicators=("update",))


class WechatAdapter:
    platform = "wechat"
    sources = ("合集页、自定义主页（列出最新文章）；单篇文章及其所属合集（仅证明曾更新）；认证信息页；"
               "搜狗微信搜索（按微信号、原始ID或名称；无列出最新文章的链接时自动使用，仅证明曾更新）")
    checks = ("update", "name", "certification")
    #: Comments (留言): a browser cannot tell "off" from "not shown"; only a declared page is checked.
    unchecked = ("interaction",)

    def hosts(self, account: Account) -> list[str]:
        hosts = [urlsplit(url).hostname or "" for url in wechat_urls(account.urls)]
        if uses_sogou(account):
            hosts.append(SOGOU_HOST)
        return list(dict.fromkeys(hosts))

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        urls = wechat_urls(account.urls)
        if not urls and not uses_sogou(account):
            shown = "、".join(account.urls) or "无"
            observation.add_signal(
                "unparsed", f"报备链接中没有微信公众号页面（{MP_HOST}），且本账号不使用搜狗微信搜索，无法检查：{shown}")
            return
        reading = _Reading(observation, fetch)
        for url in urls:
            await reading.read(url)
        await reading.albums_linked_from_articles()
        if uses_sogou(account):
            await reading.sogou(account)
        reading.finish()
