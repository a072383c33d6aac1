"""Douyin (platform web, site douyin): the profile page www.douyin.com/user/<sec_uid>, read from
what its own script loads.

The page signs its calls (``a_bogus``, ``msToken``, cookies such as ``ttwid``) and fetches
``/aweme/v1/web/user/profile/other/`` (``user.nickname``; verification in ``custom_verify``
for people and ``enterprise_verify_reason`` for organisations) and ``/aweme/v1/web/aweme/post/``
(``aweme_list[]`` newest first, ``create_time`` in Unix seconds, ``is_top`` for pinned videos).

When the page renders its grid without nmaudit seeing the post call, the rendered links
``/video/<aweme_id>`` still date the videos: the upper 32 bits of an ``aweme_id`` are its upload
time in Unix seconds (a real sample: 15 s before its ``create_time``). That is an estimate, and
the grid shows pinned videos first without saying which are pinned, so those dates are lower
bounds: they prove an update, never idleness.

An account filed by its 抖音号 without a profile link is first found through Douyin's own user
search (douyin_search.py), then its profile is read the same way.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Optional
from urllib.parse import urlsplit

from ..dates import from_unix
from ..models import Account, Observation
from .base import Fetch, record_source
from .douyin_search import SEARCH_KEY, find_profile
from .loaded import json_of, loaded, note_dated, page_problem

PROFILE_CALL = r"/aweme/v1/web/user/profile/other/"
POSTS_CALL = r"/aweme/v1/web/aweme/post/"
#: A video in the rendered grid: /video/<19-digit aweme_id>.
GRID_LINK = re.compile(r"""href=["'](?:https?://www\.douyin\.com)?/video/(\d{15,20})""")
#: aweme_ids earlier than this carry no time in their upper bits (2016: Douyin's launch).
FIRST_UPLOAD = 1451606400


#: Douyin's own hosts (www, m, the iesdouyin.com share pages); a look-alike such as notdouyin.com is not one.
DOUYIN_DOMAINS = ("douyin.com", "iesdouyin.com")


def douyin_urls(account: Account) -> list[str]:
    return [url for url in account.urls
            if any(host == domain or host.endswith("." + domain)
                   for host in [(urlsplit(url).hostname or "").lower()] for domain in DOUYIN_DOMAINS)]


def upload_time(aweme_id: str) -> Optional[datetime]:
    """The upload time an aweme_id carries in its upper 32 bits (an estimate), or None."""
    seconds = int(aweme_id) >> 32
    return from_unix(str(seconds)) if seconds >= FIRST_UPLOAD else None


def verification(user: dict[str, Any]) -> str:
    """What Douyin shows under the name: a person's 认证 or an organisation's 企业认证; "" for none."""
    return str(user.get("custom_verify") or user.get("enterprise_verify_reason") or "").strip()


def searched(account: Account) -> bool:
    """Found through Douyin's user search: filed by its 抖音号, without a profile link."""
    return not douyin_urls(account) and bool((account.ids.douyin or "").strip())


class DouyinAdapter:
    site = "douyin"
    sources = ("抖音主页（www.douyin.com/user/…）：读取页面自身加载的用户资料（名称、认证）与作品列表"
               "（发布时间、置顶）；未加载作品列表时，按页面上作品链接的编号估算上传时间（仅证明有更新）；"
               "仅有抖音号时，经抖音网页版用户搜索（页面自身加载的搜索结果，须显示该抖音号）找到主页")

    def handles(self, account: Account) -> bool:
        return account.extract is None and (bool(douyin_urls(account)) or account.site_key == "douyin")

    def hosts(self, account: Account) -> list[str]:
        # The search's own key, so that the scheduler leaves these accounts to an endpoint whose
        # search has not met a wall (Scheduler._backlog).
        return ["www.douyin.com", SEARCH_KEY] if searched(account) else ["www.douyin.com"]

    def coverage(self, account: Account) -> tuple[list[str], str]:
        if douyin_urls(account):
            return ["抖音主页（页面自身加载的作品列表）"], "listed"
        if searched(account):
            return [f"抖音用户搜索（按抖音号 {account.ids.douyin.strip()}）找到主页，读取页面自身加载的作品列表"], "listed"
        return ["未填写抖音号或主页链接，无从查找"], "none"

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        urls = douyin_urls(account)
        if searched(account):
            found = await find_profile(account, observation, fetch)
            if found is None:
                return  # why is a signal already: not found, a wall, deferred
            urls = [found]
        if not urls:
            observation.checks = []
            observation.add_signal("unsupported", (
                "未报备抖音主页链接，也未填写抖音号：请在登记表 urls 中填写主页链接（https://www.douyin.com/user/…）"
                "或在 ids.douyin 中填写抖音号"))
            return
        for url in urls:
            await self._observe_page(url, observation, fetch)

    async def _observe_page(self, url: str, observation: Observation, fetch: Fetch) -> None:
        page = await fetch.capture(url, "douyin-profile", [PROFILE_CALL, POSTS_CALL], keep_dom=True)
        if page_problem(page, "douyin-profile", observation):
            return
        source = record_source(observation, page, "douyin-profile")
        profile = next((document for answer in loaded(page, PROFILE_CALL)
                        if isinstance(document := json_of(answer), dict) and isinstance(document.get("user"), dict)), None)
        for answer in loaded(page, PROFILE_CALL)[:1]:
            record_source(observation, answer, "douyin-user", "ok" if profile else "unparsed")
        if profile is not None:
            if observation.name is None:
                observation.name = str(profile["user"].get("nickname") or "") or None
                observation.name_source = url
                observation.certification = verification(profile["user"])
        else:
            # Name and verification unseen: never taken for unchanged.
            answers = loaded(page, PROFILE_CALL)
            why = self._why(answers[0]) if answers else "页面未请求用户资料"
            observation.add_signal("unparsed", f"未能读取抖音用户资料（{why}），名称与认证需人工核查：{url}",
                                   page.evidence + (answers[0].evidence if answers else []), indicators=("name", "certification"))
        posts_answers = loaded(page, POSTS_CALL)
        posts = next((document for answer in posts_answers
                      if isinstance(document := json_of(answer), dict) and isinstance(document.get("aweme_list"), list)),
                     None)
        if posts_answers:
            record_source(observation, posts_answers[0], "douyin-posts", "ok" if posts is not None else "blocked")
        if posts is not None:
            self._read_posts(posts["aweme_list"], posts_answers[0].url, page.evidence, observation)
            return
        if self._read_grid(page.rendered_html, url, observation):
            return
        source.outcome = "unparsed"
        if posts_answers:
            # Douyin answers a call it refuses with an empty body (status 200) or a non-zero status_code.
            observation.add_signal("blocked", f"抖音未向页面返回作品列表（{self._why(posts_answers[0])}），可能触发风控：{url}",
                                   page.evidence + posts_answers[0].evidence, indicators=("update",))
        else:
            observation.add_signal("unparsed", f"抖音主页未加载作品列表，页面上也未见作品：{url}", page.evidence, indicators=("update",))

    @staticmethod
    def _why(answer: Any) -> str:
        document = json_of(answer)
        if isinstance(document, dict):
            return f"status_code {document.get('status_code')}"
        return f"HTTP {answer.status}，{'空响应' if not answer.body else '非JSON响应'}"

    def _read_posts(self, aweme_list: list[Any], source_url: str, evidence: list[str],
                    observation: Observation) -> None:
        dated = []
        for aweme in aweme_list:
            if isinstance(aweme, dict) and isinstance(aweme.get("create_time"), (int, float)) and aweme["create_time"] > 0:
                dated.append((from_unix(str(int(aweme["create_time"]))), bool(aweme.get("is_top"))))
        if not dated:
            observation.add_signal("unparsed", "抖音作品列表为空：可能确无作品，也可能需要登录，需人工核查", evidence, indicators=("update",))
            return
        note_dated(observation, dated, source_url, lists_newest=True)

    def _read_grid(self, html: str, url: str, observation: Observation) -> bool:
        moments = [moment for aweme_id in dict.fromkeys(GRID_LINK.findall(html))
                   if (moment := upload_time(aweme_id)) is not None]
        if not moments:
            return False
        # Estimates, and pinned videos are not told apart: lower bounds only.
        note_dated(observation, [(moment, False) for moment in moments], f"{url}（按作品链接编号估算上传时间）", lists_newest=False)
        return True
