"""Bilibili (platform web, site bilibili): the space page space.bilibili.com/<mid>, read from what
its own script loads.

The page's HTML is an empty shell; its script signs (``w_rid``, ``wts``) and fetches
``/x/space/wbi/acc/info`` (``data.name``; ``data.official``: ``title`` and ``role``, 6 = 政府,
5 = 媒体) and ``/x/space/wbi/arc/search`` (``data.list.vlist[].created`` in Unix seconds, newest
first when ordered by pubdate), and the pinned video from ``/x/space/top/arc``. An anonymous or
unsigned call gets ``code: -352`` (风控校验失败) or HTTP 412; the page itself then shows a
captcha (验证码_哔哩哔哩): 待复核, never idle.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from ..browser import Fetched
from ..dates import from_unix
from ..models import Account, Observation
from .base import Fetch, record_source
from .loaded import json_of, loaded, note_dated, page_problem

INFO_CALL = r"/x/space/(?:wbi/)?acc/info"
POSTS_CALL = r"/x/space/(?:wbi/)?arc/search"
PINNED_CALL = r"/x/space/top/arc"
#: official.role as Bilibili's space page labels it.
OFFICIAL_ROLES = {1: "知名UP主", 2: "大V达人", 3: "企业", 4: "组织", 5: "媒体", 6: "政府", 7: "高能主播"}
#: Codes that refuse the visitor (risk control), not the account.
REFUSED_CODES = {-352: "风控校验失败", -412: "请求被拦截", -101: "账号未登录", -403: "访问权限不足"}
GONE_CODES = {-404: "啥都木有（账号不存在或已注销）"}
SPACE = re.compile(r"^/(\d+)")


def space_urls(account: Account) -> list[str]:
    """The account's space pages: filed links on space.bilibili.com / m.bilibili.com/space, else its mid."""
    urls = []
    for url in account.urls:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
        if host == "space.bilibili.com" and (match := SPACE.match(path)):
            urls.append(f"https://space.bilibili.com/{match.group(1)}")
        elif host == "m.bilibili.com" and (match := re.match(r"^/space/(\d+)", path)):
            urls.append(f"https://space.bilibili.com/{match.group(1)}")
    if not urls and account.ids.bilibili and account.ids.bilibili.strip().isdigit():
        urls.append(f"https://space.bilibili.com/{account.ids.bilibili.strip()}")
    return list(dict.fromkeys(urls))


def official(data: dict[str, Any]) -> str:
    """The verification shown on the space page: its title and kind (政府, 媒体...); "" for none."""
    info = data.get("official") if isinstance(data.get("official"), dict) else {}
    title = str(info.get("title") or "").strip()
    role = info.get("role")
    if not title or info.get("type") == -1 or role == 0:
        return ""
    kind = OFFICIAL_ROLES.get(role) if isinstance(role, int) else None
    return f"{title}（{kind}认证）" if kind else title


def refusal(answer: Fetched) -> Optional[str]:
    """Why Bilibili refused the page's call (HTTP 412, code -352...), or None."""
    if answer.status == 412 or answer.status in (403, 429):
        return f"HTTP {answer.status}"
    document = json_of(answer)
    if isinstance(document, dict) and document.get("code") in REFUSED_CODES:
        return f"code {document['code']}，{document.get('message') or REFUSED_CODES[document['code']]}"
    return None


class BilibiliAdapter:
    site = "bilibili"
    sources = ("哔哩哔哩个人空间（space.bilibili.com/…）：读取页面自身加载的用户信息（名称、认证及类型）、"
               "投稿列表（按发布时间）与置顶视频")

    def handles(self, account: Account) -> bool:
        return account.extract is None and (bool(space_urls(account)) or account.site_key == "bilibili")

    def hosts(self, account: Account) -> list[str]:
        return ["space.bilibili.com"]

    def coverage(self, account: Account) -> tuple[list[str], str]:
        if space_urls(account):
            return ["哔哩哔哩个人空间（页面自身加载的投稿列表）"], "listed"
        return ["暂无自动检查（未填写哔哩哔哩 UID 或空间链接）"], "none"

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        urls = space_urls(account)
        if not urls:
            observation.checks = []
            observation.add_signal("unsupported", (
                f"未能从登记表得到哔哩哔哩 UID（ids.bilibili：{account.ids.bilibili or '未填'}）：请填写数字 UID "
                "或空间链接（https://space.bilibili.com/UID）"))
            return
        for url in urls:
            await self._observe_space(url, observation, fetch)

    async def _observe_space(self, url: str, observation: Observation, fetch: Fetch) -> None:
        page = await fetch.capture(url, "bilibili-space", [INFO_CALL, POSTS_CALL], also=[PINNED_CALL])
        if page_problem(page, "bilibili-space", observation):
            return
        source = record_source(observation, page, "bilibili-space")
        answers = {pattern: loaded(page, pattern)[:1] for pattern in (INFO_CALL, POSTS_CALL, PINNED_CALL)}
        for pattern, kind in ((INFO_CALL, "bilibili-info"), (POSTS_CALL, "bilibili-posts"), (PINNED_CALL, "bilibili-top")):
            for answer in answers[pattern]:
                record_source(observation, answer, kind, "blocked" if refusal(answer) else "ok")
        refused = [(answer, why) for found in answers.values() for answer in found if (why := refusal(answer))]
        if refused:
            answer, why = refused[0]
            source.outcome = "blocked"
            observation.add_signal("blocked", f"哔哩哔哩拒绝了页面的数据请求（{why}），需人工核查：{url}",
                                   page.evidence + answer.evidence)
            return
        if not answers[INFO_CALL] and not answers[POSTS_CALL]:
            source.outcome = "unparsed"
            observation.add_signal("unparsed", f"哔哩哔哩空间页未加载用户信息与投稿列表：{url}", page.evidence)
            return
        for answer in answers[INFO_CALL]:
            self._read_info(answer, url, observation)
        if not answers[INFO_CALL]:
            observation.add_signal("unparsed", f"哔哩哔哩空间页未加载用户信息，名称与认证需人工核查：{url}", page.evidence, indicators=("name", "certification"))
        pinned = []
        for answer in answers[PINNED_CALL]:
            document = json_of(answer)
            data = document.get("data") if isinstance(document, dict) and document.get("code") == 0 else None
            if isinstance(data, dict) and isinstance(data.get("created"), int) and data["created"] > 0:
                pinned.append((from_unix(data["created"]), True))
        for answer in answers[POSTS_CALL]:
            self._read_posts(answer, pinned, observation)
        if not answers[POSTS_CALL]:
            observation.add_signal("unparsed", f"哔哩哔哩空间页未加载投稿列表：{url}", page.evidence, indicators=("update",))

    def _read_info(self, answer: Fetched, url: str, observation: Observation) -> None:
        document = json_of(answer)
        code = document.get("code") if isinstance(document, dict) else None
        if code in GONE_CODES:
            observation.add_signal("account-gone", f"哔哩哔哩提示：{GONE_CODES[code]}（{url}）", answer.evidence)
            return
        data = document.get("data") if isinstance(document, dict) and code == 0 else None
        if not isinstance(data, dict) or not data.get("name"):
            observation.add_signal("unparsed", f"哔哩哔哩用户信息中没有名称（code {code}）：{url}", answer.evidence, indicators=("name", "certification"))
            return
        if observation.name is None:
            observation.name = str(data["name"])
            observation.name_source = url
            observation.certification = official(data)

    def _read_posts(self, answer: Fetched, pinned: list, observation: Observation) -> None:
        document = json_of(answer)
        data = document.get("data") if isinstance(document, dict) and document.get("code") == 0 else None
        listing = data.get("list") if isinstance(data, dict) else None
        vlist = listing.get("vlist") if isinstance(listing, dict) else None
        if not isinstance(vlist, list):
            observation.add_signal("unparsed", f"哔哩哔哩投稿列表无法识别（{answer.url}）", answer.evidence, indicators=("update",))
            return
        dated = [(from_unix(video["created"]), False) for video in vlist
                 if isinstance(video, dict) and isinstance(video.get("created"), int) and video["created"] > 0]
        # The list is newest first only when ordered by publication (the page's default).
        order = parse_qs(urlsplit(answer.url).query).get("order", ["pubdate"])[0]
        if not dated and not pinned:
            observation.add_signal("unparsed", "哔哩哔哩投稿列表为空：可能确无投稿，需人工核查", answer.evidence, indicators=("update",))
            return
        note_dated(observation, dated + pinned, answer.url, lists_newest=order == "pubdate")
