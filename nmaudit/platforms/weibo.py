"""Weibo: the m.weibo.cn JSON API, fetched through a Chromium page (platforms.md).

The account is read by UID; a row that files it otherwise (个性域名, nickname link, name only)
is first resolved to its UID on m.weibo.cn (weibo_resolve), and the observation says how.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterator
from urllib.parse import urlencode, urlsplit

from ..browser import Fetched
from ..dates import parse_post_time
from ..models import Account, Observation
from .base import Fetch, decode_html, network_problem, note_posts, page_title, record_source
from .weibo_resolve import (  # noqa: F401 (uid_from_url and WEIBO_HOSTS are part of this module's API)
    API, RATE_LIMIT_STATUSES, WALL_HOSTS, WEIBO_HOSTS, Resolver, account_leads, uid_from_url,
)
from .texts import note_weibo_post

#: The words that say the audited account is gone ({"ok":0,"msg":"用户不存在"}, 该用户不存在). Never
#: the bare code 20003: weibo.com's "sorry" page ends with the same code when it speaks of the
#: viewer's own login account (VIEWER_MARKERS).
GONE_MARKERS = ("用户不存在",)
#: weibo.com's "sorry" page about the viewer: 抱歉，您的帐号存在异常，目前无法进行登录、查看。(20003).
#: It says nothing of the audited account: blocked (访问受限).
VIEWER_MARKERS = ("您的帐号存在异常", "您的账号存在异常", "帐号存在异常", "账号存在异常")
#: weibo.com's throttling page ("sorry" template too): 抱歉，网络繁忙 请稍后再试.
BUSY_MARKERS = ("网络繁忙",)
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
EMPTY_MARKERS = ("这里还没有内容",)
SOURCE_OUTCOMES = {"blocked": "blocked", "unreachable": "unreachable", "gone": "gone"}
SIGNAL_CODES = {"blocked": "blocked", "unreachable": "unreachable", "gone": "account-gone"}


class Outcome:
    """What one API answer means, before any field is read."""

    def __init__(self, kind: str, message: str = "", data: Any = None):
        self.kind = kind  # ok | blocked | gone | unreachable | unparsed | empty
        self.message = message
        self.data = data


def classify(fetched: Fetched) -> Outcome:
    if problem := network_problem(fetched):
        return Outcome("unreachable", problem)
    if fetched.status in RATE_LIMIT_STATUSES:
        return Outcome("blocked", f"微博限制访问频率（HTTP {fetched.status}，已重试{fetched.attempts - 1}次）")
    for url in [*fetched.redirects, fetched.final_url]:
        host = urlsplit(url).hostname or ""
        if host in WALL_HOSTS or "/login" in url or "signin" in url:
            return Outcome("blocked", f"被引导至登录或访客验证页面：{fetched.final_url}")
    document = fetched.json()
    if not isinstance(document, dict):
        text = decode_html(fetched)  # weibo.com's "sorry" pages come in GBK
        if "Sina Visitor System" in page_title(fetched):
            return Outcome("blocked", "遇到微博访客验证页（Sina Visitor System）")
        # Only what the page says to a reader counts: scripts and styles may carry any words.
        said = " ".join(_TAGS.sub(" ", _SCRIPTS.sub(" ", text)).split())
        if any(marker in said for marker in BUSY_MARKERS):
            return Outcome("blocked", "微博提示“网络繁忙，请稍后再试”（限制访问频率）")
        if any(marker in said for marker in VIEWER_MARKERS):
            return Outcome("blocked", f"微博提示访问者的登录账号异常，无法查看（与被检查账号无关）：{said[:80]}")
        if any(marker in said for marker in GONE_MARKERS):
            return Outcome("gone", "微博提示该用户不存在")
        return Outcome("unparsed", f"返回的不是微博数据（HTTP {fetched.status}，{fetched.content_type or '无类型'}）")
    ok, message = document.get("ok"), str(document.get("msg") or "")
    if ok == 1:
        return Outcome("ok", data=document.get("data") or {})
    if ok == -100:
        return Outcome("blocked", "微博要求登录后查看（ok:-100）")
    if any(marker in message for marker in VIEWER_MARKERS):
        return Outcome("blocked", f"微博提示访问者的登录账号异常（与被检查账号无关）：{message}")
    if any(marker in message for marker in GONE_MARKERS):
        return Outcome("gone", f"微博提示：{message}")
    if any(marker in message for marker in EMPTY_MARKERS):
        return Outcome("empty", message)
    return Outcome("unparsed", f"未识别的微博返回（ok={ok!r}，msg={message!r}）")


def iter_posts(cards: list[Any]) -> Iterator[dict[str, Any]]:
    """Every post (card_type 9) in a card list, including those nested in card groups."""
    for card in cards:
        if not isinstance(card, dict):
            continue
        if card.get("card_type") == 9 and isinstance(card.get("mblog"), dict):
            yield card["mblog"]
        if isinstance(card.get("card_group"), list):
            yield from iter_posts(card["card_group"])


def is_pinned(post: dict[str, Any]) -> bool:
    title = post.get("title")
    return bool(post.get("isTop")) or (isinstance(title, dict) and title.get("text") == "置顶")


def posts_containerid(uid: str, data: dict[str, Any]) -> str:
    tabs_info = data.get("tabsInfo") or {}
    for tab in tabs_info.get("tabs") or []:
        if isinstance(tab, dict) and tab.get("tab_type") == "weibo" and tab.get("containerid"):
            return str(tab["containerid"])
    return f"107603{uid}"


class WeiboAdapter:
    platform = "weibo"
    sources = ("m.weibo.cn 个人主页（m.weibo.cn/u/UID）自身加载的接口数据，遇访客验证时直接请求接口："
               "用户信息（名称、认证）与微博列表（含置顶）；未报备UID时，"
               "经 m.weibo.cn 由个性域名、昵称链接的跳转或按账号名称搜索用户（名称须完全一致）得到UID")
    checks = ("update", "name", "certification")
    #: Comment settings are not public (comment_permission_type is undocumented).
    unchecked = ("interaction",)

    def hosts(self, account: Account) -> list[str]:
        # Resolving a 个性域名, a nickname link or a name uses m.weibo.cn too (weibo_resolve).
        return ["m.weibo.cn"]

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        leads = account_leads(account)
        uids = [lead.value for lead in leads.known]
        if not uids and not leads.to_resolve:
            observation.add_signal("unparsed", (
                f"无法从报备链接中识别微博账号：{', '.join(leads.unreadable)}"
                "（应为 weibo.com/u/UID、weibo.com/个性域名 或 weibo.com/n/昵称，或在 ids 中填写 uid）"))
            return
        if not uids:
            # No UID filed: resolve the other forms in turn until one finds it. A failure that
            # a later form makes good is kept as a source (with its evidence), not as a signal.
            resolver, failures = Resolver(observation, fetch), []
            for lead in leads.to_resolve:
                resolution = await resolver.resolve(lead)
                if resolution.uid:
                    uids.append(resolution.uid)
                    observation.identified_by = resolution.how
                    break
                failures.append(resolution)
            if not uids:
                for failure in failures:
                    observation.add_signal(failure.code, failure.message, failure.evidence)
                return
        for uid in uids:
            await self._observe_uid(uid, observation, fetch)

    async def _observe_uid(self, uid: str, observation: Observation, fetch: Fetch) -> None:
        if await self._observe_profile(uid, observation, fetch):
            return
        await self._observe_api(uid, observation, fetch)

    async def _observe_profile(self, uid: str, observation: Observation, fetch: Fetch) -> bool:
        """The profile as a person sees it (m.weibo.cn/u/<uid>), read from the two API answers
        the page's own script fetched: the kept screenshot is the rendered profile, the JSON is
        kept beside it. False when the page met a wall or did not load both answers usable:
        then the API is asked directly, as before, and its answers are the evidence."""
        info_call = rf"/api/container/getIndex\?(?!.*containerid)(?=.*value={uid}\b)"
        posts_call = rf"/api/container/getIndex\?(?=.*value={uid}\b)(?=.*containerid=(?:107603|230413){uid}\b)"
        page = await fetch.capture(f"https://m.weibo.cn/u/{uid}", "weibo-profile", [info_call, posts_call], wait=6.0)
        info = next((a for a in page.captured if re.search(info_call, a.url)), None)
        posts = next((a for a in page.captured if re.search(posts_call, a.url)), None)
        walled = any((urlsplit(url).hostname or "") in WALL_HOSTS
                     for url in (*page.redirects, page.final_url, page.landed_url) if url)
        usable = (not page.error and not walled and info is not None and posts is not None
                  and classify(info).kind == "ok" and classify(posts).kind in ("ok", "empty"))
        user = classify(info).data.get("userInfo") if usable and info is not None else None
        if not isinstance(user, dict) or not user.get("screen_name"):
            fetch.discard(page)  # the direct API answers are the evidence instead
            return False
        assert info is not None and posts is not None
        record_source(observation, page, "weibo-profile")
        record_source(observation, info, "weibo-userinfo")
        if observation.name is None:
            observation.name = str(user["screen_name"])
            observation.name_source = info.url
            observation.certification = str(user.get("verified_reason") or "") if user.get("verified") else ""
        outcome = classify(posts)
        if outcome.kind == "empty":
            record_source(observation, posts, "weibo-posts", "unparsed")
            observation.add_signal(
                "unparsed", f"微博列表为空（“{outcome.message}”）：可能确无内容，也可能需要登录，需人工核查",
                page.evidence + posts.evidence, indicators=("update",))
            return True
        self._read_posts(outcome.data.get("cards") or [], posts, observation)
        return True

    async def _observe_api(self, uid: str, observation: Observation, fetch: Fetch) -> None:
        info_url = f"{API}?{urlencode({'type': 'uid', 'value': uid})}"
        info = await fetch(info_url, "weibo-userinfo")
        outcome = classify(info)
        if not self._usable(outcome, info, "weibo-userinfo", observation):
            return
        user = outcome.data.get("userInfo")
        if not isinstance(user, dict) or not user.get("screen_name"):
            record_source(observation, info, "weibo-userinfo", "unparsed")
            observation.add_signal("unparsed", "微博用户信息中没有账号名称（screen_name）", info.evidence)
            return
        record_source(observation, info, "weibo-userinfo")
        if observation.name is None:
            observation.name = str(user["screen_name"])
            observation.name_source = info.url
            observation.certification = str(user.get("verified_reason") or "") if user.get("verified") else ""

        posts_url = f"{info_url}&{urlencode({'containerid': posts_containerid(uid, outcome.data)})}"
        posts = await fetch(posts_url, "weibo-posts")
        outcome = classify(posts)
        if outcome.kind == "empty":
            record_source(observation, posts, "weibo-posts", "unparsed")
            observation.add_signal(
                "unparsed",
                f"微博列表为空（“{outcome.message}”）：可能确无内容，也可能需要登录，需人工核查",
                posts.evidence, indicators=("update",))
            return
        if not self._usable(outcome, posts, "weibo-posts", observation):
            return
        self._read_posts(outcome.data.get("cards") or [], posts, observation)

    def _usable(self, outcome: Outcome, fetched: Fetched, kind: str, observation: Observation) -> bool:
        """True when the answer holds data; otherwise record why not, with its evidence."""
        if outcome.kind == "ok":
            return True
        record_source(observation, fetched, kind, SOURCE_OUTCOMES.get(outcome.kind, "unparsed"))
        observation.add_signal(SIGNAL_CODES.get(outcome.kind, "unparsed"), outcome.message, fetched.evidence)
        return False

    def _read_posts(self, cards: list[Any], fetched: Fetched, observation: Observation) -> None:
        dated: list[tuple[datetime, bool]] = []
        unreadable: list[str] = []
        for post in iter_posts(cards):
            note_weibo_post(observation, post, fetched)
            created = str(post.get("created_at") or "")
            try:
                dated.append((parse_post_time(created, fetched.fetched_at), is_pinned(post)))
            except ValueError:
                unreadable.append(created or "（空）")
        source = record_source(observation, fetched, "weibo-posts")
        if not dated:
            source.outcome = "unparsed"
            detail = f"，无法识别的时间：{'、'.join(unreadable[:3])}" if unreadable else ""
            observation.add_signal("unparsed", f"微博列表中未读到任何带时间的博文{detail}", fetched.evidence, indicators=("update",))
            return
        pinned = [moment for moment, is_top in dated if is_top]
        if pinned:
            observation.pinned_post_at = max(pinned)
        # A post whose time could not be read might be the newest: then this is a lower bound.
        note_posts(observation, [moment for moment, is_top in dated if not is_top], fetched.url,
                   lists_newest=not unreadable, out_of_order=pinned)
