"""Which Weibo account a registry row means: its UID, from whatever form the row files.

Registries file a Weibo account as a UID (``ids.uid``), a profile link (``weibo.com/u/<uid>``,
``m.weibo.cn/u/<uid>``, ``/profile/<uid>``, ``weibo.com/<uid>``), a desktop page id
(``weibo.com/p/<page id>/home``), a 个性域名 (``weibo.com/<domain>`` or ``ids.domain``), a
nickname link (``weibo.com/n/<screen name>``) or only the account's name. The audit reads the
m.weibo.cn API by UID, so every other form is first resolved to a UID, using only what a
cookieless browser can use on m.weibo.cn (the desktop ``weibo.com/ajax/profile/info?custom=``
that many tools use needs a logged-in or visitor cookie), and always through the browser, so
recording, replay and the evidence see each request. What the public sources say:

- **Page id** = a 6-digit domain code + the UID: the captured desktop pages in
  ``shared/real-pages/weibo`` (``weibo.com/p/1002061839256234/home``: ``$CONFIG['page_id']=
  '1002061839256234'``, ``$CONFIG['domain']='100206'``, ``$CONFIG['oid']='1839256234'``;
  ``/p/1005052811342974`` with domain 100505); domain 100306 in mlcode007/spider
  (``WeiBoUserMonitor.java``: ``domain=100306&id=1003061706987705``). No request needed.
- **Nickname link**: ``m.weibo.cn/n/<screen name>`` answers a redirect to ``/u/<uid>``
  (baohengtao/sinaspider ``helper.py`` ``normalize_user_id`` reads the final URL; other tools
  read the 302's ``Location``).
- **个性域名**: ``m.weibo.cn/<domain>?jumpfrom=weibocom`` redirects to ``/u/<uid>``
  (zgq354/weibo-rss ``src/modules/weibo/api/domainAPI.ts``, whose test maps kaifulee →
  1197161814). A domain may be all digits (weibo.com/101174, zgq354/weibo-rss issue #2), so a
  short number in a ``weibo.com/<digits>`` link is resolved the same way, not taken for a UID.
- **Screen name**: the user search ``getIndex?containerid=100103type=3&q=<name>&page_type=
  searchall`` lists users as cards with a ``user`` object (``id``, ``screen_name``) inside the
  ``card_group`` of ``card_type`` 11 cards (Xarrow/weibo-scraper ``weibo_component.py``
  ``exist_get_uid``; qinyuanpei/mcp-server-weibo ``weibo.py`` ``search_users`` reads
  ``cards[1].card_group``). Those tools take the first user; here only a user whose screen
  name equals the filed name (normalised) is taken, wherever it is listed. The search answers
  one page at a time: ``&page=<n>`` asks for page n, and ``data.cardlistInfo.page`` names the
  next page (null on the last; weibo-crawler and RSSHub page the same container this way). The
  pages are read in turn until the name is found, the pages run out or ``MAX_SEARCH_PAGES``
  are read; a screen name is unique on Weibo, so the first exact match ends the search.

A resolution that does not find the account is 待复核 with what was seen (the candidates of a
search), never 账号已注销: a name that finds nobody may simply have been renamed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional
from urllib.parse import quote, unquote, urlencode, urlsplit

from ..browser import Fetched
from ..models import Account, Observation
from ..rules import normalise
from .base import Fetch, network_problem, page_title, record_source

API = "https://m.weibo.cn/api/container/getIndex"
MOBILE = "https://m.weibo.cn"
WEIBO_HOSTS = {"weibo.com", "www.weibo.com", "m.weibo.cn", "weibo.cn", "www.weibo.cn"}
#: Where Weibo sends a cookieless browser instead of the data.
WALL_HOSTS = ("passport.weibo.com", "visitor.passport.weibo.cn", "passport.weibo.cn", "login.sina.com.cn")
RATE_LIMIT_STATUSES = {418, 429, 432}
#: A UID has 10 digits today; a shorter number in weibo.com/<digits> may be a numeric 个性域名.
UID_DIGITS = 10
#: Desktop page ids: 100 + a 3-digit page type, then the UID (100505 person, 100206 and 100306
#: organisations). 100808 is a 超话 (super topic), whose id is not a user.
_PAGE_ID = re.compile(r"^/p/(100\d{3})(\d{5,})(?:/|$)")
_NOT_USER_PAGES = {"100808", "100103"}
_UID_PATHS = (re.compile(r"^/u/(\d+)(?:/|$)"), re.compile(r"^/profile/(\d+)(?:/|$)"))
_NUMBER_PATH = re.compile(r"^/(\d{5,})(?:/(?:home|profile|info))?/?$")
_NAME_PATH = re.compile(r"^/n/([^/?#]+)/?$")
_DOMAIN_PATH = re.compile(r"^/([A-Za-z0-9][-_A-Za-z0-9.]{0,39})(?:/(?:home|profile|info))?/?$")
#: First path segments that are Weibo's own pages, never a 个性域名.
RESERVED_PATHS = {
    "u", "n", "p", "profile", "status", "detail", "search", "ajax", "api", "login", "signin", "signup",
    "home", "hot", "tv", "ttarticle", "article", "a", "set", "settings", "message", "messages", "mygroups",
    "newlogin", "sorry", "pages", "feed", "index", "weibo", "topic", "k", "livestream", "lottery", "unreadmsg",
}
#: How many search candidates a 待复核 message names.
SHOWN_CANDIDATES = 8
#: Result pages of the user search read at most for one name (an exact name is listed early).
MAX_SEARCH_PAGES = 10


@dataclass(frozen=True)
class Lead:
    """One filed form that leads to the account."""

    kind: str  # uid (known, no request) | domain | nickname (a /n/ link) | name (the filed name)
    value: str  # the UID, the 个性域名 or the screen name
    origin: str  # what the registry filed: a URL, "ids.uid", "ids.domain" or "name"

    @property
    def described(self) -> str:
        """The lead as staff read it."""
        if self.kind == "domain":
            return f"个性域名 {self.value}"
        if self.kind == "nickname":
            return f"报备链接 {self.origin} 中的昵称“{self.value}”"
        if self.kind == "name":
            return f"账号名称“{self.value}”"
        return f"UID {self.value}"


def lead_from_url(url: str) -> Optional[Lead]:
    """What a filed Weibo URL says about the account; None when it is not a profile link."""
    parts = urlsplit(url.strip())
    if (parts.hostname or "").lower() not in WEIBO_HOSTS:
        return None
    path = parts.path or "/"
    for pattern in _UID_PATHS:
        if match := pattern.match(path):
            return Lead("uid", match.group(1), url)
    if (match := _PAGE_ID.match(path)) and match.group(1) not in _NOT_USER_PAGES:
        return Lead("uid", match.group(2), url)
    if match := _NUMBER_PATH.match(path):
        number = match.group(1)
        return Lead("uid" if len(number) >= UID_DIGITS else "domain", number, url)
    if match := _NAME_PATH.match(path):
        name = unquote(match.group(1)).strip()
        return Lead("nickname", name, url) if name else None
    if (match := _DOMAIN_PATH.match(path)) and match.group(1).lower() not in RESERVED_PATHS:
        return Lead("domain", match.group(1), url)
    return None


def uid_from_url(url: str) -> Optional[str]:
    """The UID a link carries in itself (no request needed), else None."""
    lead = lead_from_url(url)
    return lead.value if lead is not None and lead.kind == "uid" else None


@dataclass
class Leads:
    """Everything a registry row offers to find its account, best first."""

    known: list[Lead] = field(default_factory=list)  # UIDs, no request needed
    to_resolve: list[Lead] = field(default_factory=list)  # a request finds the UID
    unreadable: list[str] = field(default_factory=list)  # filed URLs that are no profile link


def account_leads(account: Account) -> Leads:
    """The row's UID and links, its 个性域名, and, when it files nothing else, its name."""
    leads = Leads()
    found: list[Lead] = []
    if account.ids.uid:
        found.append(Lead("uid", account.ids.uid, "ids.uid"))
    for url in account.urls:
        lead = lead_from_url(url)
        if lead is None:
            leads.unreadable.append(url)
        else:
            found.append(lead)
    if account.ids.domain:
        found.append(Lead("domain", account.ids.domain, "ids.domain"))
    seen: set[tuple[str, str]] = set()
    for lead in found:
        key = (lead.kind, lead.value.lower() if lead.kind == "domain" else lead.value)
        if key not in seen:
            seen.add(key)
            (leads.known if lead.kind == "uid" else leads.to_resolve).append(lead)
    if not found and not leads.unreadable:
        leads.to_resolve.append(Lead("name", account.name, "name"))
    return leads


@dataclass(frozen=True)
class Candidate:
    """A user listed by the user search."""

    uid: str
    screen_name: str
    verified_reason: str = ""

    @property
    def label(self) -> str:
        return f"{self.screen_name}（UID {self.uid}）"


def iter_users(cards: list[Any]) -> Iterator[Candidate]:
    """Every user card in a search answer, in the order listed, nested card groups included.
    Only a card's own ``user`` counts: a post card's ``mblog.user`` is its author, not a result."""
    for card in cards:
        if not isinstance(card, dict):
            continue
        user = card.get("user")
        if isinstance(user, dict) and user.get("id") and user.get("screen_name"):
            yield Candidate(str(user["id"]), str(user["screen_name"]), str(user.get("verified_reason") or ""))
        if isinstance(card.get("card_group"), list):
            yield from iter_users(card["card_group"])


def match_screen_name(name: str, candidates: list[Candidate]) -> tuple[Optional[Candidate], list[Candidate]]:
    """The one user whose screen name is the filed name (normalised), and every distinct user
    listed. Two different users of that exact name cannot both be taken: then None."""
    listed = list({candidate.uid: candidate for candidate in candidates}.values())
    wanted = normalise(name)
    exact = [candidate for candidate in listed if normalise(candidate.screen_name) == wanted]
    return (exact[0] if len(exact) == 1 else None), listed


@dataclass
class Resolution:
    """What one lead gave: the UID, or why not (a signal code, a message, its evidence)."""

    uid: Optional[str] = None
    how: str = ""  # for staff: "UID 1839256234 由个性域名 ynly 解析得到"
    code: str = ""  # blocked | unreachable | unparsed
    message: str = ""
    evidence: list[str] = field(default_factory=list)


def domain_url(domain: str) -> str:
    return f"{MOBILE}/{quote(domain, safe='')}?{urlencode({'jumpfrom': 'weibocom'})}"


def nickname_url(name: str) -> str:
    return f"{MOBILE}/n/{quote(name, safe='')}"


def search_url(name: str, page: int = 1) -> str:
    """The user search for `name`; page 1 is asked without a page number, as the app asks it."""
    query = {"containerid": f"100103type=3&q={name}", "page_type": "searchall"}
    return f"{API}?{urlencode(query if page == 1 else {**query, 'page': page})}"


def next_page(data: Any, page: int) -> Optional[int]:
    """The page after `page` the answer names (cardlistInfo.page), or None on the last page."""
    info = data.get("cardlistInfo") if isinstance(data, dict) else None
    following = info.get("page") if isinstance(info, dict) else None
    if isinstance(following, str) and following.isdigit():
        following = int(following)
    return following if isinstance(following, int) and not isinstance(following, bool) and following > page else None


def wall_problem(fetched: Fetched) -> Optional[tuple[str, str]]:
    """(code, message) when Weibo did not answer at all: network, rate limit, login or visitor wall."""
    if problem := network_problem(fetched):
        return "unreachable", problem
    if fetched.status in RATE_LIMIT_STATUSES:
        return "blocked", f"微博限制访问频率（HTTP {fetched.status}，已重试{fetched.attempts - 1}次）"
    for url in [*fetched.redirects, fetched.final_url]:
        host = urlsplit(url).hostname or ""
        if host in WALL_HOSTS or "/login" in url or "signin" in url:
            return "blocked", f"被引导至登录或访客验证页面：{fetched.final_url}"
    if "Sina Visitor System" in page_title(fetched):
        return "blocked", "遇到微博访客验证页（Sina Visitor System）"
    return None


def redirected_uid(fetched: Fetched) -> Optional[str]:
    """The UID of the profile a redirect landed on (m.weibo.cn/u/<uid> or /profile/<uid>)."""
    parts = urlsplit(fetched.final_url)
    if (parts.hostname or "") not in WEIBO_HOSTS:
        return None
    for pattern in _UID_PATHS:
        if match := pattern.match(parts.path):
            return match.group(1)
    return None


#: Resolution code -> the source's outcome (a search that lists others answered well).
OUTCOMES = {"blocked": "blocked", "unreachable": "unreachable", "unparsed": "unparsed", "not-found": "ok"}


class Resolver:
    """Resolves one account's leads through the browser, recording every request as a source."""

    def __init__(self, observation: Observation, fetch: Fetch):
        self.observation = observation
        self.fetch = fetch

    async def resolve(self, lead: Lead) -> Resolution:
        if lead.kind == "domain":
            return await self._redirect(lead, domain_url(lead.value), "weibo-resolve-domain")
        if lead.kind == "nickname":
            resolution = await self._redirect(lead, nickname_url(lead.value), "weibo-resolve-name")
            if resolution.uid or resolution.code != "unparsed":
                return resolution
            # The nickname link led nowhere readable: the search can still find that exact name.
            searched = await self._search(lead)
            if not searched.uid and searched.code in ("unparsed", "not-found"):
                searched.message = f"{resolution.message}；{searched.message}"
                searched.evidence = resolution.evidence + searched.evidence
            return searched
        return await self._search(lead)

    def _failed(self, fetched: Fetched, kind: str, code: str, message: str) -> Resolution:
        record_source(self.observation, fetched, kind, OUTCOMES[code])
        return Resolution(code=code, message=message, evidence=list(fetched.evidence))

    async def _redirect(self, lead: Lead, url: str, kind: str) -> Resolution:
        """A mobile page that redirects to the profile: the UID is in the final URL."""
        fetched = await self.fetch(url, kind)
        if problem := wall_problem(fetched):
            code, message = problem
            return self._failed(fetched, kind, code, f"由{lead.described}查找微博UID时{message}")
        uid = redirected_uid(fetched)
        if uid is None:
            gap = " " if lead.kind == "domain" else ""
            return self._failed(fetched, kind, "unparsed", (
                f"由{lead.described}{gap}未能解析出微博UID：{url} 没有跳转到用户主页"
                f"（HTTP {fetched.status}，停在 {fetched.final_url}），需人工核查"))
        record_source(self.observation, fetched, kind)
        gap = " " if lead.kind == "domain" else ""  # a space after a latin 个性域名
        return Resolution(uid=uid, how=f"UID {uid} 由{lead.described}{gap}解析得到（{url} 跳转至 {fetched.final_url}）",
                          evidence=list(fetched.evidence))

    async def _search(self, lead: Lead) -> Resolution:
        """The user search by screen name, page after page; only an exact (normalised) screen
        name is taken."""
        kind = "weibo-search-user"
        candidates: list[Candidate] = []
        evidence: list[str] = []
        page, pages_read = 1, 0
        while True:
            url = search_url(lead.value, page)
            fetched = await self.fetch(url, kind)
            seen = f"（已读前 {pages_read} 页搜索结果）" if pages_read else ""
            if problem := wall_problem(fetched):
                code, message = problem
                return self._failed(fetched, kind, code, f"按{lead.described}搜索微博用户时{message}{seen}")
            document = fetched.json()
            if not isinstance(document, dict):
                return self._failed(fetched, kind, "unparsed", (
                    f"微博用户搜索返回的不是微博数据（HTTP {fetched.status}，{fetched.content_type or '无类型'}）：{url}"))
            if document.get("ok") == -100:
                return self._failed(fetched, kind, "blocked", f"微博用户搜索要求登录后查看（ok:-100）{seen}")
            data = document.get("data") if document.get("ok") == 1 else None
            cards = data.get("cards") if isinstance(data, dict) else None
            if not isinstance(cards, list):
                if pages_read:  # past the last page: what came before stands
                    record_source(self.observation, fetched, kind)
                    break
                message = str(document.get("msg") or "")
                return self._failed(fetched, kind, "unparsed", (
                    f"按{lead.described}搜索微博用户无结果（ok={document.get('ok')!r}"
                    f"{'，' + message if message else ''}），需人工核查"))
            pages_read += 1
            listed_here = list(iter_users(cards))
            candidates.extend(listed_here)
            evidence.extend(fetched.evidence)
            found, listed = match_screen_name(lead.value, candidates)
            following = next_page(data, page)
            if found is not None or following is None or not listed_here or pages_read >= MAX_SEARCH_PAGES:
                break
            # A page without the name: kept as a source, the search goes on.
            record_source(self.observation, fetched, kind)
            page = following
        if found is None:
            exact = [c for c in listed if normalise(c.screen_name) == normalise(lead.value)]
            shown = exact or listed
            names = "、".join(candidate.label for candidate in shown[:SHOWN_CANDIDATES])
            more = f"等{len(shown)}个" if len(shown) > SHOWN_CANDIDATES else ""
            pages = f"（共读 {pages_read} 页搜索结果）" if pages_read > 1 else ""
            if exact:
                message = f"按{lead.described}搜索微博用户，有多个同名账号：{names}{more}，需人工核查"
            elif listed:
                message = (f"按{lead.described}搜索微博用户，未找到名称完全一致的账号{pages}；"
                           f"搜索结果：{names}{more}，需人工核查")
            else:
                message = f"按{lead.described}搜索微博用户，搜索结果中没有用户，需人工核查"
            resolution = self._failed(fetched, kind, "not-found", message)
            resolution.evidence = list(dict.fromkeys(evidence + resolution.evidence))
            return resolution
        record_source(self.observation, fetched, kind)
        place = listed.index(found) + 1
        where = f"搜索结果第{place}个" if pages_read == 1 else f"搜索结果第 {pages_read} 页，共第{place}个"
        return Resolution(uid=found.uid, how=(
            f"UID {found.uid} 由{lead.described}在微博用户搜索中完全匹配得到（{where}：{found.screen_name}）"),
            evidence=list(fetched.evidence))
