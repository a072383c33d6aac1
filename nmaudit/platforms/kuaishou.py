"""Kuaishou (platform web, site kuaishou): the profile page www.kuaishou.com/profile/<userId>,
read from what its own script loads.

No real Kuaishou page or answer has been captured for this project (../shared/real-pages holds
none): what follows is what public scrapers' source shows, and nothing more is relied on.
The page's script signs its calls (cookies ``did``, ``kpf``, ``kpn`` and a signature) and POSTs
GraphQL to ``https://www.kuaishou.com/graphql``, every operation to that one URL, named in the
body (``{"operationName", "variables", "query"}``):

- ``visionProfile`` → ``data.visionProfile`` {``result`` 1, ``userProfile.profile.user_name``,
  ``userProfile.ownerCount``}. It carries no verification: nmaudit cannot see a Kuaishou
  account's 认证 on the web, so certification is left to staff (``observation.checks`` omits
  it: never recorded as "none", never a mismatch).
- ``visionProfilePhotoList`` → ``data.visionProfilePhotoList.feeds[].photo`` with ``timestamp``
  in **milliseconds** and ``profileUserTopPhoto`` true on a pinned (置顶) video; pinned videos
  first, then newest first.

An answer with an ``errors`` array, a null ``data.<operation>`` or a ``result`` other than 1
(e.g. 400002 when Kuaishou wants a captcha) refuses the visitor: 待复核 ``blocked`` with the
screenshot and the answer, never idle; so is a profile page that lands on a captcha or login
page. An empty ``feeds`` with result 1 may be an account without videos or one that needs a
login: 待复核 ``unparsed``.

An account filed by a 快手号 that is not a userId (a number, or one the owner chose) is first
found through Kuaishou's own user search (kuaishou_search.py), then its profile is read the
same way.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import urlsplit

from ..browser import Fetched
from ..dates import from_unix
from ..models import Account, Observation
from .base import Fetch, record_source
from .kuaishou_search import SEARCH_KEY, find_profile
from .loaded import json_of, note_dated, page_problem

GRAPHQL = "https://www.kuaishou.com/graphql"
PROFILE_OP = "visionProfile"
PHOTOS_OP = "visionProfilePhotoList"
OPERATIONS = (PROFILE_OP, PHOTOS_OP)
#: capture() patterns: the GraphQL URL, then the operation its POST body names (browser.asks_for).
CALLS = [rf'(?s)kuaishou\.com/graphql\b.*"operationName"\s*:\s*"{operation}"' for operation in OPERATIONS]
PROFILE_HOSTS = ("www.kuaishou.com", "kuaishou.com", "live.kuaishou.com")
PROFILE_PATH = re.compile(r"^/profile/([0-9A-Za-z_-]+)")
#: The userId a profile URL carries (3x4jtnbfter525a); a numeric or chosen 快手号 is not one.
USER_ID = re.compile(r"^3x[0-9a-z]{6,}$", re.IGNORECASE)
#: Kuaishou's launch: a millisecond timestamp before it is not a real upload time.
FIRST_UPLOAD = datetime(2011, 3, 1, tzinfo=timezone.utc).timestamp()


def kuaishou_urls(account: Account) -> list[str]:
    """The account's filed links on kuaishou.com, whatever they are."""
    return [url for url in account.urls if (urlsplit(url).hostname or "").endswith("kuaishou.com")]


def profile_urls(account: Account) -> list[str]:
    """Profile pages on www.kuaishou.com: from profile links (live.kuaishou.com's too), else a
    快手号 that is a userId (3x…)."""
    urls = []
    for url in kuaishou_urls(account):
        parts = urlsplit(url)
        if (parts.hostname or "") in PROFILE_HOSTS and (match := PROFILE_PATH.match(parts.path)):
            urls.append(f"https://www.kuaishou.com/profile/{match.group(1)}")
    filed = (account.ids.kuaishou or "").strip()
    if not urls and USER_ID.match(filed):
        urls.append(f"https://www.kuaishou.com/profile/{filed}")
    return list(dict.fromkeys(urls))


def operation_of(document: Any) -> Optional[str]:
    """Which operation a GraphQL answer answers, by the key under ``data`` (both go to one URL)."""
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, dict):
        return next((operation for operation in OPERATIONS if operation in data), None)
    return None


def refusal(answer: Fetched) -> Optional[str]:
    """Why Kuaishou refused the page's call (errors, a null answer, result ≠ 1, HTTP 4xx), or None."""
    if (answer.status or 0) >= 400:
        return f"HTTP {answer.status}"
    document = json_of(answer)
    if not isinstance(document, dict):
        return f"HTTP {answer.status}，{'空响应' if not answer.body else '非JSON响应'}"
    errors = document.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0].get("message") if isinstance(errors[0], dict) else errors[0]
        return f"GraphQL errors：{first}"
    operation = operation_of(document)
    if operation is None:
        return "data 为空"
    result = document["data"][operation]
    if not isinstance(result, dict):
        return f"data.{operation} 为空"
    if result.get("result") != 1:
        return f"{operation} result {result.get('result')}"
    return None


def photo_time(photo: Any, fetched_at: datetime) -> Optional[datetime]:
    """A video's upload time from ``timestamp`` (milliseconds), or None when it is not one
    (missing, before Kuaishou existed, or after the answer came: not milliseconds after all)."""
    value = photo.get("timestamp") if isinstance(photo, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    seconds = value / 1000
    if not FIRST_UPLOAD <= seconds <= (fetched_at + timedelta(days=1)).timestamp():
        return None
    return from_unix(seconds)


def searched(account: Account) -> bool:
    """Found through Kuaishou's user search: a 快手号 that is not a userId, and no kuaishou.com link."""
    return not kuaishou_urls(account) and not profile_urls(account) and bool((account.ids.kuaishou or "").strip())


class KuaishouAdapter:
    site = "kuaishou"
    sources = ("快手主页（www.kuaishou.com/profile/…）：读取页面自身加载的用户资料（名称）与作品列表"
               "（发布时间、置顶）；网页版不显示认证信息，认证主体需人工核查；仅有数字或自定义快手号时，经快手网页版用户搜索"
               "（页面自身加载的搜索结果，须用户ID即该快手号，或为唯一与登记名称完全一致的账号）找到主页")

    def handles(self, account: Account) -> bool:
        return account.extract is None and (bool(kuaishou_urls(account)) or account.site_key == "kuaishou")

    def hosts(self, account: Account) -> list[str]:
        # The search's own key: the scheduler leaves these accounts to an endpoint whose search
        # has not met a wall.
        return ["www.kuaishou.com", SEARCH_KEY] if searched(account) else ["www.kuaishou.com"]

    def coverage(self, account: Account) -> tuple[list[str], str]:
        if profile_urls(account):
            return ["快手主页（页面自身加载的作品列表；认证需人工核查）"], "listed"
        if searched(account):
            return [f"快手用户搜索（按快手号 {account.ids.kuaishou.strip()}）找到主页，读取页面自身加载的作品列表"
                    "（认证需人工核查）"], "listed"
        if links := kuaishou_urls(account):
            return [f"快手链接不是主页链接（{'、'.join(links)}），需填写主页链接"], "none"
        return ["未填写快手号或主页链接，无从查找"], "none"

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        urls = profile_urls(account)
        # The web profile shows no 认证: certification stays unseen (None) and is left to staff.
        observation.checks = [indicator for indicator in observation.checks if indicator != "certification"]
        if searched(account):
            found = await find_profile(account, observation, fetch)
            if found is None:
                return  # why is a signal already: not found, a wall, deferred
            urls = [found]
        if not urls:
            observation.checks = []
            links = "、".join(kuaishou_urls(account))
            filed = f"快手链接 {links} 不是主页链接" if links else "未填写快手号或快手主页链接"
            observation.add_signal("unsupported", (
                f"{filed}：快手网页版主页地址带用户ID（3x 开头）；"
                "请在登记表 urls 中填写主页链接（https://www.kuaishou.com/profile/…）或在 ids.kuaishou 中填写快手号"))
            return
        for url in urls:
            await self._observe_page(url, observation, fetch)

    async def _observe_page(self, url: str, observation: Observation, fetch: Fetch) -> None:
        page = await fetch.capture(url, "kuaishou-profile", CALLS)
        if page_problem(page, "kuaishou-profile", observation):
            return
        source = record_source(observation, page, "kuaishou-profile")
        by_operation: dict[str, tuple[Fetched, Any]] = {}
        refused: list[tuple[int, Fetched, str]] = []
        for answer in page.captured:
            document = json_of(answer)
            operation = operation_of(document)
            why = refusal(answer)
            kind = {PROFILE_OP: "kuaishou-user", PHOTOS_OP: "kuaishou-photos"}.get(operation or "", "kuaishou-graphql")
            record_source(observation, answer, kind, "blocked" if why else "ok")
            if why:
                refused.append((OPERATIONS.index(operation) if operation in OPERATIONS else len(OPERATIONS), answer, why))
            elif operation and operation not in by_operation:
                by_operation[operation] = (answer, document["data"][operation])
        if refused:
            # In the operations' order, not the answers' (which race): the same message every run.
            refused.sort(key=lambda item: item[0])
            reasons = "；".join(dict.fromkeys(why for _, _, why in refused))
            source.outcome = "blocked"
            observation.add_signal("blocked", f"快手拒绝了页面的数据请求（{reasons}），可能要求验证，需人工核查：{url}",
                                   page.evidence + [path for _, answer, _ in refused for path in answer.evidence])
            return
        if PROFILE_OP in by_operation:
            self._read_profile(*by_operation[PROFILE_OP], url, observation)
        else:
            observation.add_signal("unparsed", f"快手主页未加载用户资料（{PROFILE_OP}），名称需人工核查：{url}",
                                   page.evidence, indicators=("name",))
        if PHOTOS_OP in by_operation:
            answer, result = by_operation[PHOTOS_OP]
            if self._read_photos(result, answer, url, observation):
                # The finding on the posts shows the rendered profile and the answer that dated them.
                source.evidence.extend(answer.evidence)
            else:
                source.outcome = "unparsed"
        else:
            source.outcome = "unparsed"
            observation.add_signal("unparsed", f"快手主页未加载作品列表（{PHOTOS_OP}）：{url}", page.evidence, indicators=("update",))

    @staticmethod
    def _read_profile(answer: Fetched, result: dict[str, Any], url: str, observation: Observation) -> None:
        user = result.get("userProfile") if isinstance(result.get("userProfile"), dict) else {}
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        name = str(profile.get("user_name") or "").strip()
        if not name:
            observation.add_signal("unparsed", f"快手用户资料中没有名称（user_name），名称需人工核查：{url}", answer.evidence, indicators=("name",))
            return
        if observation.name is None:
            observation.name = name
            observation.name_source = url

    @staticmethod
    def _read_photos(result: dict[str, Any], answer: Fetched, url: str, observation: Observation) -> bool:
        """Note the videos' times; False (with its signal) when none could be read."""
        feeds = result.get("feeds")
        if not isinstance(feeds, list) or not feeds:
            observation.add_signal("unparsed", f"快手作品列表为空：可能确无作品，也可能需要登录，需人工核查：{url}",
                                   answer.evidence, indicators=("update",))
            return False
        dated, unreadable = [], 0
        for feed in feeds:
            photo = feed.get("photo") if isinstance(feed, dict) else None
            if (moment := photo_time(photo, answer.fetched_at)) is None:
                unreadable += 1
            else:
                dated.append((moment, bool(photo.get("profileUserTopPhoto"))))
        if not dated:
            observation.add_signal("unparsed", f"快手作品列表中没有可识别的发布时间（timestamp），需人工核查：{url}",
                                   answer.evidence, indicators=("update",))
            return False
        # A video whose time could not be read might be the newest: the rest are then a lower bound.
        note_dated(observation, dated, url, lists_newest=not unreadable)
        return True
