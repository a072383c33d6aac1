"""Any page (platform: web): the registry's `extract` rules read the name, certification and
post dates of platforms without an adapter of their own (Douyin, Toutiao, a county's app page).

Rules are applied to the HTML *as the server sent it* (``Fetched.body``), not to the DOM after
scripts ran: pages that render with JavaScript usually still carry their data in the source
(a JSON blob in a ``<script>``), which ``regex`` without ``css`` reads.

``css`` supports a small subset, checked when the registry is loaded: type selectors (``li``),
``*``, ``.class``, ``#id``, ``[attr]``, ``[attr=value]`` (value bare or quoted), compounds of
these (``li.item[data-id]``), and the descendant (space) and child (``>``) combinators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Optional, Union
from urllib.parse import urlsplit

from ..browser import Fetched
from ..dates import from_unix, parse_post_time, to_beijing
from ..models import Account, Extract, Extractor, Observation, SourceRecord
from .base import Fetch, network_problem, note_post, record_source

SUPPORTED_CSS = "tag, *, .class, #id, [attr], [attr=value], descendant (space) and child (>) combinators"

# -- a small CSS subset ----------------------------------------------------------------------

_NAME = r"[\w-]+"
_COMPOUND_PART = re.compile(
    rf"""(?P<tag>{_NAME}|\*)
       |\#(?P<id>{_NAME})
       |\.(?P<cls>{_NAME})
       |\[\s*(?P<attr>[\w:-]+)\s*(?:=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>{_NAME}))\s*)?\]""",
    re.VERBOSE,
)
_COMBINATOR = re.compile(r"\s*>\s*|\s+")


class SelectorError(ValueError):
    """A css value outside the supported subset; the message says where and what is allowed."""


@dataclass(frozen=True)
class Compound:
    """One compound selector: every condition must hold for the element."""

    tag: Optional[str] = None  # lower-case; None for * or no type
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    attrs: tuple[tuple[str, Optional[str]], ...] = ()  # (name, value or None for presence)

    def matches(self, element: "Element") -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        if any(element.attrs.get("id") != wanted for wanted in self.ids):
            return False
        classes = element.attrs.get("class", "").split()
        if any(wanted not in classes for wanted in self.classes):
            return False
        return all(
            name in element.attrs and (value is None or element.attrs[name] == value)
            for name, value in self.attrs
        )


#: A parsed selector: compounds with the combinator that joins each to the previous one.
Selector = tuple[tuple[str, Compound], ...]


def parse_selector(text: str) -> Selector:
    """Parse `text` within the supported subset; SelectorError otherwise."""
    source = text.strip()
    if not source:
        raise SelectorError("empty CSS selector")
    parts: list[tuple[str, Compound]] = []
    position, combinator = 0, " "
    while True:
        compound, position = _compound(source, position)
        parts.append((combinator, compound))
        if position == len(source):
            return tuple(parts)
        joint = _COMBINATOR.match(source, position)
        if joint is None:
            raise _unsupported(source, position)
        combinator = ">" if ">" in joint.group() else " "
        position = joint.end()


def _compound(source: str, position: int) -> tuple[Compound, int]:
    tag: Optional[str] = None
    ids, classes, attrs = [], [], []
    start = position
    while match := _COMPOUND_PART.match(source, position):
        if match.group("tag") is not None:
            if position != start:  # a type selector only leads a compound ("div.a", not ".a div" glued)
                raise _unsupported(source, position)
            tag = None if match.group("tag") == "*" else match.group("tag").lower()
        elif match.group("id") is not None:
            ids.append(match.group("id"))
        elif match.group("cls") is not None:
            classes.append(match.group("cls"))
        else:
            value = next((v for v in match.group("dq", "sq", "bare") if v is not None), None)
            attrs.append((match.group("attr").lower(), value))
        position = match.end()
    if position == start:
        raise _unsupported(source, position)
    return Compound(tag, tuple(ids), tuple(classes), tuple(attrs)), position


def _unsupported(source: str, position: int) -> SelectorError:
    if position >= len(source):
        return SelectorError(f"unsupported CSS selector '{source}': it ends with a combinator")
    return SelectorError(
        f"unsupported CSS selector '{source}' at '{source[position:]}' (supported: {SUPPORTED_CSS})"
    )


# -- the page as a tree ----------------------------------------------------------------------

#: Elements that never have content, so never stay open.
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}
#: Start tags that close an open element of the same kind (<li>a<li>b), as browsers do.
SELF_CLOSING_SIBLINGS = {"li": {"li"}, "p": {"p"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"},
                         "tr": {"tr"}, "td": {"td", "th"}, "th": {"td", "th"}, "option": {"option"}}
#: Their text is code, not what a reader sees; read only when selected themselves.
RAW_TEXT_TAGS = {"script", "style", "template"}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Optional["Element"] = None
    children: list[Union["Element", str]] = field(default_factory=list)

    def text(self) -> str:
        """The text a reader sees, whitespace collapsed (script text only for a script itself)."""
        parts: list[str] = []

        def collect(element: Element) -> None:
            for child in element.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in RAW_TEXT_TAGS:
                    collect(child)

        if self.tag in RAW_TEXT_TAGS:
            parts = [child for child in self.children if isinstance(child, str)]
        else:
            collect(self)
        return " ".join("".join(parts).split())


#: The tag of the tree's root, which no selector matches.
ROOT = "#document"


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element(ROOT, {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        closes = SELF_CLOSING_SIBLINGS.get(tag)
        if closes and self.open[-1].tag in closes:
            self.open.pop()
        element = Element(tag, {name: value or "" for name, value in attrs}, self.open[-1])
        self.open[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.open[-1])
        self.open[-1].children.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return  # a stray end tag closes nothing

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


class Document:
    """A page's HTML parsed once, for selecting from it many times."""

    def __init__(self, html: str):
        builder = _TreeBuilder()
        builder.feed(html)
        builder.close()
        self.source = html
        self.elements: list[Element] = []
        self._walk(builder.root)

    def _walk(self, element: Element) -> None:
        for child in element.children:
            if isinstance(child, Element):
                self.elements.append(child)  # document order
                self._walk(child)

    def select(self, css: str, attr: Optional[str] = None) -> list[str]:
        """The text (or `attr`) of every element matching `css`, in document order."""
        selector = parse_selector(css)
        found = [element for element in self.elements if _matches(element, selector, len(selector) - 1)]
        if attr is None:
            return [element.text() for element in found]
        return [element.attrs[attr.lower()] for element in found if attr.lower() in element.attrs]

    @property
    def title(self) -> str:
        return next(iter(self.select("title")), "")


def _matches(element: Element, selector: Selector, index: int) -> bool:
    combinator, compound = selector[index]
    if not compound.matches(element):
        return False
    if index == 0:
        return True
    ancestor = element.parent
    while ancestor is not None and ancestor.tag != ROOT:
        if _matches(ancestor, selector, index - 1):
            return True
        if combinator == ">":
            return False
        ancestor = ancestor.parent
    return False


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def decode_html(fetched: Fetched) -> str:
    """The body as text. Chromium hands over a navigated HTML page re-encoded as UTF-8 when it
    decoded it by a declared charset (measured: a GBK page with <meta charset=gbk> arrives as
    UTF-8), but the bytes as sent when nothing was declared, and in-page requests are raw. So:
    UTF-8 when the bytes are UTF-8, else the declared charset, else GB18030 (county sites
    still serve GBK undeclared)."""
    try:
        return fetched.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    header = _HEADER_CHARSET.search(fetched.content_type or "")
    meta = _META_CHARSET.search(fetched.body[:4096])
    charset = header.group(1) if header else meta.group(1).decode("ascii") if meta else "gb18030"
    try:
        return fetched.body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return fetched.body.decode("gb18030", errors="replace")


# -- extract rules -------------------------------------------------------------------------------

#: What staff read for each extract rule.
FIELD_LABELS = {"name": "账号名称", "certification": "认证主体", "posts": "发布时间"}
#: Extract rule -> the indicator it lets the adapter check.
FIELD_INDICATORS = {"posts": "update", "name": "name", "certification": "certification"}


def extract_values(extractor: Extractor, document: Document) -> list[str]:
    """Every value the rule reads: css matches (text or attr), or the page source; then every
    regex match in them (group 1 when the pattern has a group). Blank values are dropped."""
    values = document.select(extractor.css, extractor.attr) if extractor.css else [document.source]
    if extractor.regex:
        pattern = re.compile(extractor.regex)
        values = [match.group(1 if pattern.groups else 0) for value in values for match in pattern.finditer(value)]
    return [" ".join(value.split()) for value in values if value and value.strip()]


def describe(field_name: str, extractor: Extractor) -> str:
    """How staff recognise a rule in a message: extract.posts（css “li .time”，regex “…”）."""
    parts = [f"{key} “{value}”" for key, value in
             (("css", extractor.css), ("attr", extractor.attr), ("regex", extractor.regex)) if value]
    return f"extract.{field_name}（{'，'.join(parts)}）"


def post_time(value: str, format: Optional[str], fetched_at: datetime) -> datetime:
    """A post date read by a rule. `format` is a strptime format (naive times are Beijing time;
    without a year the date is this year's, or last year's if that would be after the fetch);
    "%s" means Unix seconds. Values that do not fit `format` get the default parser, so a page
    mixing "3天前" with "11月20日" still reads. Raises ValueError."""
    if format == "%s":
        try:
            return from_unix(value)
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
    checks = ("update", "name", "certification")
    unchecked = ("interaction", "availability")

    def hosts(self, account: Account) -> list[str]:
        return list(dict.fromkeys(urlsplit(url).hostname or "" for url in account.urls))

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        extract = account.extract
        if extract is None:
            observation.checks = []
            observation.add_signal(
                "unsupported", "未配置提取规则（extract），暂不支持自动检查该页面，需人工核查："
                + "、".join(account.urls))
            return
        observation.checks = [
            indicator for name, indicator in FIELD_INDICATORS.items() if getattr(extract, name) is not None
        ]
        pages = [page for url in account.urls if (page := await self._load(url, observation, fetch))]
        if not pages:
            return  # each failure has its signal
        for name in ("name", "certification"):
            if (extractor := getattr(extract, name)) is not None:
                self._read_identity(name, extractor, pages, observation)
        if extract.posts is not None:
            self._read_posts(extract, pages, observation)

    async def _load(self, url: str, observation: Observation, fetch: Fetch) -> Optional[Page]:
        fetched = await fetch(url, "web-page")
        if problem := network_problem(fetched):
            record_source(observation, fetched, "web-page", "unreachable")
            observation.add_signal("unreachable", problem, fetched.evidence)
            return None
        document = Document(decode_html(fetched))
        if reason := blocked_reason(fetched, document.title):
            record_source(observation, fetched, "web-page", "blocked")
            observation.add_signal("blocked", reason, fetched.evidence)
            return None
        if (fetched.status or 0) >= 400:
            record_source(observation, fetched, "web-page", "unreachable")
            observation.add_signal(
                "unreachable", f"页面返回 HTTP {fetched.status}（可能已删除或地址有误）：{url}", fetched.evidence)
            return None
        return Page(url, fetched, document, record_source(observation, fetched, "web-page"))

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
            if values := extract_values(extractor, page.document):
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
            for value in extract_values(extractor, page.document):
                try:
                    dated.append(post_time(value, extractor.format, page.fetched.fetched_at))
                except ValueError:
                    unreadable.append(value)
                    page_unreadable = True
            if dated:
                seen_any = True
                observation.posts_seen += len(dated)
                # A date that could not be read might be the newest: then this page is a lower bound.
                note_post(observation, max(dated), page.url, extract.lists_newest and not page_unreadable)
        if not seen_any:
            detail = f"（无法识别的时间：{'、'.join(unreadable[:3])}）" if unreadable else ""
            self._nothing_found("posts", extractor, pages, observation, detail)
