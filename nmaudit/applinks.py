"""The link that opens an account in its own app, for a person with a phone (人工核查). Pure.

A QR code of the link (nmaudit.webapp draws it with segno) opens the account in one scan:
the WeChat official account's profile by its `__biz` (learned from any article or Sogou
result seen, since 微信号 and name are no link), the Weibo profile by its UID, the Douyin,
Xiaohongshu and Bilibili profiles, the App Store and 应用宝 pages. Each is an https address the
app itself claims (WeChat opens its own pages when it scans them), so it also works on a
desktop and in a phone's browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional
from urllib.parse import parse_qs, quote, urlsplit

from .models import IDENTITY_LABELS, Account, Observation
from .platforms.app import store_links
from .platforms.bilibili import space_urls
from .platforms.weibo_resolve import uid_from_url
from .platforms.xiaohongshu import profile_urls

#: `__biz` as article and album links carry it (base64 of the account's number).
BIZ = re.compile(r"^[A-Za-z0-9+/]{8,64}={0,2}$")
WECHAT_PROFILE = "https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz={biz}#wechat_redirect"


@dataclass(frozen=True)
class AppLink:
    url: str
    label: str  # what staff read: 用微信扫码打开公众号主页
    how: str  # where the link was learned: 报备链接, 文章链接中的 __biz …


def seen_urls(account: Account, observation: Optional[Observation]) -> Iterable[str]:
    """Every address filed or seen for the account: filed links, pages fetched, texts read."""
    yield from account.urls
    if observation is None:
        return
    for source in observation.sources:
        yield source.url
        if source.final_url:
            yield source.final_url
    for value in (observation.newest_post_source, observation.name_source, observation.interaction_url):
        if value:
            yield value
    for text in observation.texts:
        yield from (url for url in (text.url, text.source) if url)


def wechat_biz(urls: Iterable[str]) -> Optional[tuple[str, str]]:
    """The first `__biz` a WeChat address carries, and that address."""
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not (host == "mp.weixin.qq.com" or host.endswith(".sogou.com")):
            continue
        for value in parse_qs(parts.query).get("__biz", []):
            if BIZ.match(value):
                return value, url
    return None


def weibo_uid(url: str) -> Optional[str]:
    """The UID of a profile link, or of the API answer a resolved account was read from."""
    parts = urlsplit(url)
    if parts.hostname == "m.weibo.cn" and parts.path.startswith("/api/container/getIndex"):
        query = parse_qs(parts.query)
        value = (query.get("value") or [""])[0]
        return value if query.get("type") == ["uid"] and value.isdigit() else None
    return uid_from_url(url)


def app_links(account: Account, observation: Optional[Observation] = None) -> list[AppLink]:
    """The links that open the account in its app, best first; empty when nothing filed or seen
    names the account on its platform (the queue then says what to search for)."""
    urls = list(dict.fromkeys(seen_urls(account, observation)))
    if account.platform == "wechat":
        found = wechat_biz(urls)
        if found is None:
            return []
        biz, where = found
        how = "报备链接中的 __biz" if where in account.urls else "本次读到的文章链接中的 __biz"
        return [AppLink(WECHAT_PROFILE.format(biz=quote(biz, safe="")), "用微信扫码，打开公众号主页", how)]
    if account.platform == "weibo":
        uid = account.ids.uid or next((uid for uid in map(weibo_uid, urls) if uid), None)
        if uid is None:
            return []
        return [AppLink(f"https://m.weibo.cn/u/{uid}", "用微博或手机相机扫码，打开微博主页", f"微博UID {uid}")]
    if account.platform == "app":
        links = []
        for link in store_links(account):
            if link.store == "appstore" and link.key:
                links.append(AppLink(f"https://apps.apple.com/cn/app/id{link.key}", "用 iPhone 相机扫码，打开 App Store 页面",
                                     f"App Store ID {link.key}"))
            elif link.store == "yyb" and link.key:
                links.append(AppLink(f"https://sj.qq.com/appdetail/{link.key}", "用安卓手机扫码，打开应用宝页面",
                                     f"安卓包名 {link.key}"))
            elif link.url.startswith(("https://", "http://")):
                links.append(AppLink(link.url, "扫码打开报备的下载地址", "报备链接"))
        return links
    site = account.site_key
    labels = {"douyin": "用抖音扫码，打开抖音主页", "xiaohongshu": "用小红书扫码，打开小红书主页",
              "bilibili": "用哔哩哔哩扫码，打开空间主页", "kuaishou": "用快手扫码，打开快手主页",
              "toutiao": "用今日头条扫码，打开头条主页"}
    if site == "xiaohongshu":
        profiles = profile_urls(account)
    elif site == "bilibili":
        profiles = space_urls(account)
    else:
        profiles = [url for url in account.urls if url.startswith(("https://", "http://"))]
    return [AppLink(url, labels.get(site or "", "扫码打开报备的账号主页"), "报备链接") for url in profiles[:1]]


def search_hint(account: Account) -> str:
    """What to search for in the app when no link opens the account: its ids, else its name."""
    ids = account.ids.filled()
    if account.platform == "wechat" and ids.get("wechat_id"):
        return f"在微信中搜索微信号 {ids['wechat_id']}（认准认证主体，谨防同名账号）"
    named = "、".join(f"{IDENTITY_LABELS.get(key, key)} {value}" for key, value in ids.items())
    return f"在应用中搜索“{account.name}”" + (f"（{named}）" if named else "") + "，认准认证主体，谨防同名账号"
