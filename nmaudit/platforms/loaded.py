"""What the site adapters (Douyin, Bilibili, Kuaishou, Toutiao, Xiaohongshu) share: reading the answers a profile page's own
scripts fetched (``fetch.capture``), walls, and post times with pinned posts set apart.

Douyin's and Bilibili's profile HTML carries no posts: the page's script signs its calls to
their APIs (``a_bogus``/``msToken``, ``w_rid``/``wts``) and renders what comes back. nmaudit
does not call those APIs itself: it opens the profile in Chromium and reads what the page
loaded, and keeps the rendered profile's screenshot with the JSON beside it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Optional, Protocol

from ..browser import Fetched
from ..models import Account, Observation
from .base import Fetch, network_problem, note_posts, rate_limited, record_source

#: Titles of captcha, verification and login pages (Douyin's 验证码中间页, Bilibili's 验证码_哔哩哔哩).
WALL_TITLES = ("验证码", "安全验证", "人机验证", "滑块验证", "captcha", "登录", "login")
#: Where a page script sends a visitor it wants to verify or log in.
WALL_URLS = ("captcha", "verifycenter", "verify_center", "passport.", "/login", "signin")
#: HTTP statuses that refuse a visitor rather than say a page is missing (Bilibili: 412).
REFUSED_STATUSES = {403, 412, 418, 429, 432}


class SiteAdapter(Protocol):
    """An adapter for one site of platform ``web`` (registry ``site`` or ``ids.<site>``)."""

    site: str
    sources: str

    def coverage(self, account: Account) -> tuple[list[str], str]:
        """What the audit will read for the account, and its proof (coverage.Proof)."""


    def handles(self, account: Account) -> bool: ...

    def hosts(self, account: Account) -> list[str]: ...

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None: ...


def wall(fetched: Fetched) -> Optional[str]:
    """Why the page is a captcha, verification or login wall rather than the profile, or None."""
    if limited := rate_limited(fetched):
        return limited
    if fetched.status in REFUSED_STATUSES:
        return f"平台拒绝访问（HTTP {fetched.status}，共尝试{fetched.attempts}次）：{fetched.url}"
    for url in (*fetched.redirects, fetched.final_url, fetched.landed_url):
        if url and url != fetched.url and any(marker in url.lower() for marker in WALL_URLS):
            return f"被引导至验证或登录页面：{url}"
    title = fetched.rendered_title
    if title and any(marker in title.casefold() for marker in WALL_TITLES):
        return f"遇到验证码或登录页面（页面标题“{title}”）：{fetched.url}"
    return None


def page_problem(fetched: Fetched, kind: str, observation: Observation) -> bool:
    """Record a profile page that could not be seen (network, wall, missing); True if so."""
    if problem := network_problem(fetched):
        record_source(observation, fetched, kind, "unreachable")
        observation.add_signal("unreachable", problem, fetched.evidence)
        return True
    if reason := wall(fetched):
        record_source(observation, fetched, kind, "blocked")
        observation.add_signal("blocked", reason, fetched.evidence)
        return True
    if (fetched.status or 0) >= 400:
        record_source(observation, fetched, kind, "unreachable")
        observation.add_signal(
            "unreachable", f"主页返回 HTTP {fetched.status}（可能已删除或地址有误）：{fetched.url}", fetched.evidence)
        return True
    return False


def loaded(fetched: Fetched, pattern: str) -> list[Fetched]:
    """The answers the page fetched whose URL matches `pattern`, first first."""
    compiled = re.compile(pattern)
    return [answer for answer in fetched.captured if compiled.search(answer.url)]


def json_of(answer: Fetched) -> Any:
    """An answer's JSON, or None (an empty body: Douyin's answer to a call it refuses)."""
    try:
        return json.loads(answer.body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None


def note_dated(observation: Observation, dated: list[tuple[datetime, bool]], source_url: str,
               lists_newest: bool) -> None:
    """Post times with their pinned flag, as on Weibo: a pinned post counts as a post (it may
    be the newest), but stands outside the run of consecutive posts, so an old pinned post
    never hides a fresh one and never makes a gap."""
    pinned = [moment for moment, is_top in dated if is_top]
    if pinned:
        observation.pinned_post_at = max([*pinned, *([observation.pinned_post_at] if observation.pinned_post_at else [])])
    note_posts(observation, [moment for moment, is_top in dated if not is_top], source_url,
               lists_newest=lists_newest, out_of_order=pinned)
