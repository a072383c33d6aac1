"""Toutiao (今日头条; platform web, site toutiao): the profile page, read from what its own script
loads.

What this module relies on comes from public scrapers' source and old public feed samples; no
real capture of a Toutiao page is in shared/real-pages, so none of it has been checked against
today's site:

- the profile page is ``https://www.toutiao.com/c/user/token/<token>/`` (a token such as
  ``MS4wLjABAAAA…``, the same form as Douyin's sec_uid); older links
  ``www.toutiao.com/c/user/<user_id>/`` and ``m.toutiao.com/profile/<user_id>/`` are opened as
  filed (what the mobile page loads is not known: if it is not the feed below, the account is
  待复核, never idle);
- the page's script signs (``_signature``, with cookies such as ``ttwid``/``tt_webid``) and
  fetches ``/api/pc/list/feed?category=profile_all&token=…&max_behot_time=0…`` →
  ``{"message": "success", "data": [items], "has_more": …, "next": {"max_behot_time": …}}``;
  an item has ``publish_time`` (Unix seconds), ``title``, ``source`` (the account's name) and
  ``user_info`` {``name``, ``verified_content`` ("" when not verified), ``user_verified``};
  pinned items come first and carry ``label: "置顶"`` (``is_top``/``stick`` are accepted too),
  then the rest newest first;
- a call Toutiao refuses gets ``{"message": "error", "data": []}`` or an empty body; ByteDance's
  captcha page is titled 验证码中间页 and lives on ``verify.snssdk.com`` or
  ``rmc.bytedance.com/verifycenter``: 待复核 ``blocked`` with the screenshot.

A 头条号 filed without a profile link gives a URL when it is a token; otherwise the account is
found through Toutiao's own user search by its 头条号 or name (toutiao_search.py), then its
profile is read the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from ..browser import Fetched
from ..dates import from_unix
from ..models import Account, Observation
from .base import Fetch, record_source
from .loaded import json_of, loaded, note_dated, page_problem
from .toutiao_search import SEARCH_KEY, find_profile, verify_redirect

FEED_CALL = r"/api/pc/list/feed\?(?:[^#]*&)?category=profile_all"
#: A profile token: Toutiao's (and Douyin's) "MS4wLjABAAAA…" user key.
TOKEN = re.compile(r"^MS4wLjABAAAA[\w-]+$")
PROFILE_PATHS = (re.compile(r"^/c/user/token/([\w-]+)/?$"), re.compile(r"^/c/user/(\d+)/?$"))
MOBILE_PROFILE = re.compile(r"^/profile/(\d+)/?$")
#: The title the emulated profile shows once rendered; real titles unverified.
RENDERED_TITLE = re.compile(r"^(.+?)的头条主页\s*-\s*今日头条$")


def on_site(url: str, domain: str) -> bool:
    """The URL is on `domain` or one of its subdomains (not merely a name ending like it)."""
    host = urlsplit(url).hostname or ""
    return host == domain or host.endswith("." + domain)


def toutiao_urls(account: Account) -> list[str]:
    """Every filed link on toutiao.com (profile links or not)."""
    return [url for url in account.urls if on_site(url, "toutiao.com")]


def is_profile(url: str) -> bool:
    """A profile link: www.toutiao.com/c/user/token/<token>/, /c/user/<user_id>/, m.toutiao.com/profile/<user_id>/."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in ("www.toutiao.com", "toutiao.com"):
        return any(pattern.match(parts.path) for pattern in PROFILE_PATHS)
    return host == "m.toutiao.com" and bool(MOBILE_PROFILE.match(parts.path))


def profile_urls(account: Account) -> list[str]:
    """The profile pages to open: filed profile links as filed, else the filed 头条号 if it is a token."""
    urls = [url for url in toutiao_urls(account) if is_profile(url)]
    token = (account.ids.toutiao or "").strip()
    if not urls and TOKEN.match(token):
        urls.append(f"https://www.toutiao.com/c/user/token/{token}/")
    return list(dict.fromkeys(urls))


def is_pinned(item: dict[str, Any]) -> bool:
    return item.get("label") == "置顶" or bool(item.get("is_top")) or bool(item.get("stick"))


def publish_time(item: dict[str, Any]) -> Optional[int]:
    """An item's publish_time in Unix seconds (a number or digits), or None."""
    value = item.get("publish_time")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return int(value)
    return None


def identity(items: list[Any]) -> Optional[tuple[str, Optional[str]]]:
    """The account's name and verification as its items show them (the most common pair, so a
    stray item by someone else does not decide); verification None when no item says."""
    seen: Counter = Counter()
    for item in items:
        if not isinstance(item, dict):
            continue
        user = item.get("user_info") if isinstance(item.get("user_info"), dict) else {}
        name = str(user.get("name") or item.get("source") or "").strip()
        if not name:
            continue
        if "verified_content" in user:
            verified: Optional[str] = str(user.get("verified_content") or "").strip()
        elif user.get("user_verified") is False:
            verified = ""
        else:
            verified = None
        seen[(name, verified)] += 1
    return seen.most_common(1)[0][0] if seen else None


def refusal(answer: Fetched) -> Optional[str]:
    """Why Toutiao refused the page's feed call (an empty body, message "error", a refusing
    status), or None when it answered."""
    if answer.status in (403, 412, 418, 429, 432):
        return f"HTTP {answer.status}"
    document = json_of(answer)
    if not isinstance(document, dict):
        return f"HTTP {answer.status}，{'空响应' if not answer.body.strip() else '非JSON响应'}"
    if document.get("message") != "success":
        return f"message “{document.get('message')}”"
    return None


def searched(account: Account) -> bool:
    """Found through Toutiao's user search: no profile link and no token filed."""
    return not profile_urls(account)


class ToutiaoAdapter:
    site = "toutiao"
    sources = ("今日头条主页（www.toutiao.com/c/user/token/…）：读取页面自身加载的文章列表"
               "（发布时间、置顶，以及作者名称与认证）；未报备主页链接时，经今日头条用户搜索（按头条号或名称，"
               "须显示该头条号或名称的唯一账号）找到主页")

    def handles(self, account: Account) -> bool:
        return account.extract is None and (bool(toutiao_urls(account)) or account.site_key == "toutiao")

    def hosts(self, account: Account) -> list[str]:
        if searched(account):
            # The search's own key: the scheduler leaves these accounts to an endpoint whose
            # search has not met a wall.
            return ["so.toutiao.com", SEARCH_KEY, "www.toutiao.com"]
        return list(dict.fromkeys(urlsplit(url).hostname or "" for url in profile_urls(account)))

    def coverage(self, account: Account) -> tuple[list[str], str]:
        if profile_urls(account):
            return ["今日头条主页（页面自身加载的文章列表）"], "listed"
        by = f"头条号 {account.ids.toutiao.strip()} 或名称" if (account.ids.toutiao or "").strip() else "名称"
        return [f"今日头条用户搜索（按{by}）找到主页，读取页面自身加载的文章列表"], "listed"

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        urls = profile_urls(account)
        if searched(account):
            found = await find_profile(account, observation, fetch)
            if found is None:
                return  # why is a signal already: not found, a wall, deferred
            urls = [found]
        for url in urls:
            await self._observe_page(url, observation, fetch)

    async def _observe_page(self, url: str, observation: Observation, fetch: Fetch) -> None:
        page = await fetch.capture(url, "toutiao-profile", [FEED_CALL], keep_dom=True)
        if (redirected := verify_redirect(page)) and not page.error:
            record_source(observation, page, "toutiao-profile", "blocked")
            observation.add_signal("blocked", f"被引导至验证页面：{redirected}", page.evidence)
            return
        if page_problem(page, "toutiao-profile", observation):
            return
        source = record_source(observation, page, "toutiao-profile")
        answers = loaded(page, FEED_CALL)
        for answer in answers[:1]:
            record_source(observation, answer, "toutiao-feed", "blocked" if refusal(answer) else "ok")
        if not answers:
            source.outcome = "unparsed"
            self._name_from_title(page, url, observation)
            observation.add_signal("unparsed", f"今日头条主页未加载文章列表，发布时间需人工核查：{url}", page.evidence, indicators=("update",))
            return
        if why := refusal(answers[0]):
            source.outcome = "blocked"
            observation.add_signal("blocked", f"今日头条未向页面返回文章列表（{why}），可能触发风控，需人工核查：{url}",
                                   page.evidence + answers[0].evidence, indicators=("update",))
            return
        for answer in answers:
            self._read_feed(answer, page, url, observation)

    def _read_feed(self, answer: Fetched, page: Fetched, url: str, observation: Observation) -> None:
        document = json_of(answer)
        items = document.get("data") if isinstance(document, dict) else None
        if not isinstance(items, list) or not items:
            # "success" with nothing in it: no posts, or a visitor shown nothing; never idle.
            self._name_from_title(page, url, observation)
            observation.add_signal("unparsed", f"今日头条文章列表为空：可能确无发文，也可能未向访客展示，需人工核查：{url}",
                                   page.evidence + answer.evidence, indicators=("update",))
            return
        if observation.name is None and (seen := identity(items)):
            observation.name, observation.certification = seen
            observation.name_source = url
        dated = [(from_unix(seconds), is_pinned(item)) for item in items
                 if isinstance(item, dict) and (seconds := publish_time(item)) is not None]
        if not dated:
            observation.add_signal("unparsed", f"今日头条文章列表中没有可识别的发布时间（publish_time）：{answer.url}",
                                   page.evidence + answer.evidence, indicators=("update",))
            return
        # The first page (max_behot_time=0) lists the newest; a later page only proves an update.
        first_page = parse_qs(urlsplit(answer.url).query).get("max_behot_time", ["0"])[0] == "0"
        note_dated(observation, dated, answer.url, lists_newest=first_page)

    @staticmethod
    def _name_from_title(page: Fetched, url: str, observation: Observation) -> None:
        """The name the rendered title shows, when the feed did not give it; verification unseen."""
        match = RENDERED_TITLE.match(page.rendered_title.strip())
        if observation.name is None and match:
            observation.name = match.group(1).strip()
            observation.name_source = url
