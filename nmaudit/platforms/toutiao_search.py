"""Finding a Toutiao account filed without a profile link (by its 头条号 or only its name),
through Toutiao's own user search.

No real capture of this page exists in ../shared/real-pages; what follows is what public pages
and scrapers show of it, and nothing more is assumed. The search lives on ``so.toutiao.com``:
``/search?dvpf=pc&keyword=<keyword>&pd=user`` is its 用户 tab (``pd=information`` the news,
``pd=synthesis`` everything). Each user it lists links to the user's profile on
``www.toutiao.com/c/user/token/<token>/`` (older ``/c/user/<user_id>/``) and shows the user's
name as that link's text. Whether the server renders the cards or the page's script does, the
rendered page is read (its DOM after the page went quiet), so either way works. ByteDance's
verification (the 验证码中间页 on ``verify.snssdk.com`` / ``rmc.bytedance.com``) refuses the
visitor.

A 头条号 is what an office files as its account's id: often the account's name itself, sometimes
a number (the user_id of old profile links) or a word the office chose. The search asks for the
filed 头条号, then for the filed name; a result is taken only when it shows the filed identity:
its name is exactly the filed 头条号 or the filed name (normalised), or its profile link carries
the filed number; and only when one user does (two of that name: none is taken). Never the
first result blindly. A wall halts the search for the run on that endpoint (lookup.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote, urlsplit

from ..browser import Fetched
from ..html import Document
from ..models import Account, Observation
from ..rules import normalise
from .base import Fetch, record_source
from .loaded import page_problem
from .lookup import halt_search, halted_search

#: Where ByteDance sends a visitor it wants to verify (its captcha page is titled 验证码中间页).
VERIFY_HOSTS = ("verify.snssdk.com", "rmc.bytedance.com")
SEARCH_KEY = "so.toutiao.com/search"
LABEL = "今日头条用户搜索"
PROFILE_LINK = re.compile(r"^/c/user/(?:token/(MS4wLjABAAAA[\w-]+)|(\d+))/?$")
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class SearchResult:
    """One user the 用户 tab lists: its profile link and the name the link shows."""

    profile_url: str
    user_key: str  # the token, or the numeric user_id of an old link
    name: str

    def describe(self) -> str:
        return f"{self.name or '（无名称）'}（{self.profile_url}）"


def search_url(keyword: str) -> str:
    """The 用户 tab of Toutiao's search for `keyword`."""
    return f"https://so.toutiao.com/search?dvpf=pc&source=search_subtab_switch&keyword={quote(keyword.strip(), safe='')}&pd=user"


def verify_redirect(fetched: Fetched) -> Optional[str]:
    """A redirect to ByteDance's verification hosts, or None."""
    for url in (*fetched.redirects, fetched.final_url, fetched.landed_url):
        if url and (urlsplit(url).hostname or "") in VERIFY_HOSTS:
            return url
    return None


def search_results(html: str) -> list[SearchResult]:
    """The users a rendered 用户 tab lists, in order: each profile link once, with the name its
    links show (an avatar's link shows none)."""
    names: dict[str, str] = {}
    keys: dict[str, str] = {}
    for link in Document(html).select_elements("a[href]"):
        parts = urlsplit(link.attrs["href"].strip())
        host = parts.hostname or ""
        if host not in ("www.toutiao.com", "toutiao.com") or not (match := PROFILE_LINK.match(parts.path)):
            continue
        key = match.group(1) or match.group(2)
        url = (f"https://www.toutiao.com/c/user/token/{key}/" if match.group(1)
               else f"https://www.toutiao.com/c/user/{key}/")
        keys[url] = key
        names[url] = names.get(url) or link.text().strip()
    return [SearchResult(url, keys[url], names[url]) for url in names]


def search_match(results: list[SearchResult], identities: list[str]) -> Optional[SearchResult]:
    """The one user showing a filed identity (its name, or the number its link carries), or None."""
    wanted = {normalise(identity) for identity in identities if identity.strip()}
    showing = {result.profile_url: result for result in results
               if normalise(result.name) in wanted or result.user_key in identities}
    return next(iter(showing.values())) if len(showing) == 1 else None


def keywords(account: Account) -> list[str]:
    """What the search asks, in turn: the filed 头条号, then the filed name."""
    return list(dict.fromkeys(word for word in ((account.ids.toutiao or "").strip(), account.name.strip()) if word))


async def find_profile(account: Account, observation: Observation, fetch: Fetch) -> Optional[str]:
    """The profile URL of the account, found through Toutiao's user search by its 头条号 or
    name; None (with the reason as a signal) when the search cannot show it."""
    asked = keywords(account)
    filed = "、".join(asked)
    if halted_search(SEARCH_KEY, LABEL, f"头条号或名称 {filed}", observation, fetch):
        return None
    seen: list[tuple[str, list[SearchResult], list[str]]] = []
    for keyword in asked:
        url = search_url(keyword)
        page = await fetch.capture(url, "toutiao-search", [], keep_dom=True)
        if (redirected := verify_redirect(page)) and not page.error:
            record_source(observation, page, "toutiao-search", "blocked")
            observation.add_signal("blocked", f"今日头条用户搜索“{keyword}”被引导至验证页面：{redirected}", page.evidence)
            halt_search(SEARCH_KEY, LABEL, "出现验证页面", account, observation, fetch, page.evidence)
            return None
        if page_problem(page, "toutiao-search", observation):
            if observation.sources[-1].outcome == "blocked":
                halt_search(SEARCH_KEY, LABEL, "出现验证码或登录页面", account, observation, fetch,
                            observation.sources[-1].evidence)
            return None
        results = search_results(page.rendered_html)
        found = search_match(results, asked)
        record_source(observation, page, "toutiao-search")
        if found is not None:
            how = "名称一致" if found.user_key not in asked else "主页链接中的用户ID一致"
            observation.identified_by = f"今日头条用户搜索“{keyword}”：{found.describe()}，{how}"
            return found.profile_url
        seen.append((keyword, results, page.evidence))
    lines = []
    for keyword, results, _ in seen:
        shown = "；".join(result.describe() for result in results[:MAX_CANDIDATES]) or "无结果"
        more = f"等 {len(results)} 个" if len(results) > MAX_CANDIDATES else ""
        lines.append(f"搜索“{keyword}”：{shown}{more}")
    observation.add_signal(
        "not-found", f"今日头条用户搜索（{'、'.join(f'“{keyword}”' for keyword in asked)}）未找到显示该头条号或名称的"
                     "唯一账号（可能已改名、注销或未被收录），"
                     f"需人工核查或在登记表中填写主页链接。{'；'.join(lines)}",
        [path for _, _, evidence in seen for path in evidence])
    return None
