"""Xiaohongshu (小红书; platform web, site xiaohongshu): an honest "needs login" 待复核.

What a cookieless browser sees, from public scrapers' source (no real capture in
shared/real-pages): the profile ``https://www.xiaohongshu.com/user/profile/<24 hex>`` either sends
the visitor to a login or captcha page (``/website-login/captcha``, ``/login``), or renders a
profile whose note list carries no publication times. The notes API
(``/api/sns/web/v1/user_posted``, signed with ``x-s``/``x-t``) needs the ``web_session`` login
cookie and otherwise answers ``{"code": -100, "msg": "登录已过期"}`` or ``{"code": -101, "msg":
"无登录信息，或登录信息为空"}``.

So nmaudit opens the profile (screenshot kept), reads the name from the rendered title
(``<name> - 小红书`` in the emulation; the real title is unverified) and never judges posts from
it: 待复核 saying staff must check by hand, never idle, never a pass on its own. A login or
captcha page is ``blocked``.
"""

from __future__ import annotations

import re
from typing import Optional
from urllib.parse import urlsplit

from ..models import Account, Observation
from .base import Fetch, record_source
from .loaded import json_of, loaded, page_problem
from .toutiao import on_site

PROFILE_PATH = re.compile(r"^/user/profile/([0-9a-f]{24})/?$")
USER_ID = re.compile(r"^[0-9a-f]{24}$")
POSTED_CALL = r"/api/sns/web/v1/user_posted"
#: The rendered profile's title in the emulation (unverified against the real site).
RENDERED_TITLE = re.compile(r"^(.+?)\s+-\s+小红书$")
NEEDS_LOGIN = "小红书需登录后才能查看笔记发布时间，请人工核查"


def xiaohongshu_urls(account: Account) -> list[str]:
    return [url for url in account.urls if on_site(url, "xiaohongshu.com")]


def profile_urls(account: Account) -> list[str]:
    """Filed profile links as filed, else the profile of a filed 24-hex user id."""
    urls = [url for url in xiaohongshu_urls(account)
            if urlsplit(url).hostname == "www.xiaohongshu.com" and PROFILE_PATH.match(urlsplit(url).path)]
    user_id = (account.ids.xiaohongshu or "").strip().lower()
    if not urls and USER_ID.match(user_id):
        urls.append(f"https://www.xiaohongshu.com/user/profile/{user_id}")
    return list(dict.fromkeys(urls))


def title_name(title: str) -> Optional[str]:
    """The name a rendered profile's title shows, or None."""
    match = RENDERED_TITLE.match(title.strip())
    return match.group(1).strip() if match else None


class XiaohongshuAdapter:
    site = "xiaohongshu"
    sources = "小红书主页（www.xiaohongshu.com/user/profile/…）：仅读取名称；笔记发布时间需登录才能查看，需人工核查"

    def handles(self, account: Account) -> bool:
        return account.extract is None and (bool(xiaohongshu_urls(account)) or account.site_key == "xiaohongshu")

    def hosts(self, account: Account) -> list[str]:
        return ["www.xiaohongshu.com"]

    def coverage(self, account: Account) -> tuple[list[str], str]:
        if profile_urls(account):
            return ["小红书主页（仅名称；笔记发布时间需登录，需人工核查）"], "none"
        return [f"暂无按小红书号查找主页的自动检查（小红书号 {account.ids.xiaohongshu or '未填'}，需填写主页链接）"], "none"

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        urls = profile_urls(account)
        if not urls:
            observation.checks = []
            filed = "、".join(xiaohongshu_urls(account))
            observation.add_signal("unsupported", (
                f"小红书号 {account.ids.xiaohongshu or '（未填）'} 未报备主页链接"
                + (f"（所填链接不是小红书主页：{filed}）" if filed else "")
                + "：请在登记表 urls 中填写主页链接（https://www.xiaohongshu.com/user/profile/…）；"
                + NEEDS_LOGIN))
            return
        # Only the name can be read; posts and verification are left to staff.
        observation.checks = ["name"]
        for url in urls:
            await self._observe_page(url, observation, fetch)

    async def _observe_page(self, url: str, observation: Observation, fetch: Fetch) -> None:
        page = await fetch.capture(url, "xiaohongshu-profile", [], also=[POSTED_CALL])
        if page_problem(page, "xiaohongshu-profile", observation):
            return
        record_source(observation, page, "xiaohongshu-profile")
        said = ""
        for answer in loaded(page, POSTED_CALL)[:1]:
            document = json_of(answer)
            code = document.get("code") if isinstance(document, dict) else None
            # Without the login cookie the notes API refuses (-100 登录已过期, -101 无登录信息).
            record_source(observation, answer, "xiaohongshu-notes", "blocked" if code in (-100, -101) else "unparsed")
            said = f"（笔记接口答复：code {code}，{document.get('msg')}）" if isinstance(document, dict) else ""
        if observation.name is None and (name := title_name(page.rendered_title)):
            observation.name = name
            observation.name_source = url
        name = "" if observation.name else "，名称也未能读取"
        observation.add_signal("update-unverified", f"{NEEDS_LOGIN}{said}{name}：{url}", page.evidence)
