"""Feeds and pages as RSSHub, a WeChat-to-RSS bridge and Douyin-like platforms serve them.

- RSSHub: RSS 2.0 with `<generator>RSSHub</generator>`, descriptions ending "- Powered by
  RSSHub", `pubDate` written by Date.toUTCString() ("Sat, 21 Nov 2026 01:00:00 GMT"), guid
  isPermaLink="false"; JSON Feed 1.1 with date_published; errors as an HTML page "Looks like
  something went wrong" with the message in `<code class="... details">` (older releases: `<pre
  class="message">`), HTTP 503 (upstream failed), 404 (no such route) or 403; run as a package
  it answers `{"error": {"message": ...}}`.
- WeChat-to-RSS bridges: Atom with `<published>`/`<updated>`; some write Beijing time without
  a zone.
- Douyin-like pages: the profile header in the HTML (`data-e2e` attributes), the posts' data in
  `<script id="RENDER_DATA">` as URL-encoded JSON with `createTime` in Unix seconds; the
  captcha wall "验证码中间页" with `const verify_data = {...}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import quote
from xml.sax.saxutils import escape

from nmaudit.dates import BEIJING

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822(moment: datetime, zone: str = "GMT") -> str:
    """RSS dates: "GMT" as RSSHub writes them (UTC), or "+0800" in Beijing time."""
    local = moment.astimezone(timezone.utc if zone == "GMT" else BEIJING)
    return (f"{WEEKDAYS[local.weekday()]}, {local.day:02d} {MONTHS[local.month - 1]} {local.year} "
            f"{local:%H:%M:%S} {zone}")


@dataclass
class Entry:
    """One post as a feed lists it; dates already written as the feed writes them."""

    title: str
    published: Optional[str] = None
    updated: Optional[str] = None
    link: str = "https://weibo.com/2710000001/P1x0001"


def rsshub_rss(title: str, entries: list[Entry], link: str = "https://weibo.com/2710000001") -> str:
    items = "".join(
        f"""
    <item>
      <title>{escape(entry.title)}</title>
      <description><![CDATA[<p>{entry.title}</p><img src="https://wx1.sinaimg.cn/large/1.jpg">]]></description>
      <link>{escape(entry.link)}</link>
      <guid isPermaLink="false">{escape(entry.link)}</guid>
      {f"<pubDate>{entry.published}</pubDate>" if entry.published else ""}
      <author>{escape(title)}</author>
    </item>"""
        for entry in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>{escape(title)}</title>
    <link>{escape(link)}</link>
    <atom:link href="https://rsshub.example.gov.cn/weibo/user/2710000001" rel="self" type="application/rss+xml"/>
    <description>{escape(title)} - Powered by RSSHub</description>
    <generator>RSSHub</generator>
    <webMaster>contact@rsshub.app (RSSHub)</webMaster>
    <language>zh-cn</language>
    <lastBuildDate>Sat, 21 Nov 2026 01:55:00 GMT</lastBuildDate>
    <ttl>5</ttl>{items}
  </channel>
</rss>"""


def bridge_atom(title: str, entries: list[Entry]) -> str:
    """A WeChat-to-RSS bridge's Atom feed of one official account."""
    items = "".join(
        f"""
  <entry>
    <title type="html"><![CDATA[{entry.title}]]></title>
    <id>{escape(entry.link)}</id>
    <link href="{escape(entry.link)}"/>
    {f"<published>{entry.published}</published>" if entry.published else ""}
    {f"<updated>{entry.updated}</updated>" if entry.updated else ""}
    <author><name>{escape(title)}</name></author>
    <summary type="html"><![CDATA[{entry.title}]]></summary>
  </entry>"""
        for entry in entries
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>https://wxrss.example.gov.cn/feeds/MzA3NDM2MDk2MA==</id>
  <title>{escape(title)}</title>
  <updated>2026-11-21T01:00:00Z</updated>
  <generator>wechat2rss</generator>
  <link rel="alternate" href="https://mp.weixin.qq.com/"/>
  <subtitle>{escape(title)}的公众号文章</subtitle>{items}
</feed>"""


def json_feed(title: str, entries: list[Entry], version: str = "1.1") -> dict:
    return {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": title,
        "home_page_url": "https://weibo.com/2710000001",
        "feed_url": "https://rsshub.example.gov.cn/weibo/user/2710000001?format=json",
        "description": f"{title} - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)",
        "language": "zh-cn",
        "items": [
            {key: value for key, value in {
                "id": entry.link, "url": entry.link, "title": entry.title,
                "content_html": f"<p>{entry.title}</p>",
                "date_published": entry.published, "date_modified": entry.updated,
                "authors": [{"name": title}],
            }.items() if value is not None}
            for entry in entries
        ],
    }


def rsshub_error_page(message: str, route: str) -> str:
    """RSSHub's current error page."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>RSSHub</title></head>
<body class="antialiased min-h-screen text-zinc-700 flex flex-col">
<div class="pointer-events-none absolute w-full h-screen"></div>
<div class="w-full h-screen flex items-center justify-center flex-col space-y-4">
<img class="grayscale" src="/logo.png" alt="RSSHub" width="100" loading="lazy">
<h1 class="text-4xl font-bold">Looks like something went wrong</h1>
<div class="text-left w-[800px] space-y-6 !mt-10"><div class="space-y-2">
<p class="mb-2 font-bold">Helpful Information</p>
<p class="message">Error Message:<br><code class="mt-2 block max-h-28 overflow-auto bg-zinc-100 align-bottom w-fit details">{escape(message)}</code></p>
<p class="message">Route: <code class="ml-2 bg-zinc-100">{escape(route)}</code></p>
<p class="message">Full Route: <code class="ml-2 bg-zinc-100">{escape(route)}</code></p>
<p class="message">Node Version: <code class="ml-2 bg-zinc-100">v22.11.0</code></p>
</div><div><p class="mb-2 font-bold">Report</p><p>在仔细阅读文档后，如果你认为这是 RSSHub 的 bug，请在 GitHub 提交 issue。</p></div>
</div></div></body></html>"""


def rsshub_old_error_page(message: str) -> str:
    """RSSHub's error page before 2024."""
    return f"""<!DOCTYPE html>
<html><head><title>Error in RSSHub!</title><style>.message {{ white-space: pre-wrap; }}</style></head>
<body><div class="content"><p><img src="/logo.png" alt="RSSHub" width="120"></p>
<h1>Looks like something went wrong</h1>
<pre class="message">{escape(message)}</pre>
<p style="margin: 50px 0">For online documentation and support please refer to
<a href="https://docs.rsshub.app/" target="_blank">docs.rsshub.app</a>.</p></div></body></html>"""


def render_data(nickname: str, create_times: list[int]) -> str:
    """Douyin's RENDER_DATA: the page's state as URL-encoded JSON."""
    state = {"app": {"user": {"nickname": nickname}}, "post": {"data": [
        {"awemeId": f"74{index:017d}", "desc": f"#宝鸡 第{index}条", "createTime": created, "isTop": 0}
        for index, created in enumerate(create_times)
    ]}}
    return quote(json.dumps(state, ensure_ascii=False, separators=(",", ":")))


def douyin_profile(nickname: str, verified: str, posts: list[tuple[str, int]]) -> str:
    """A Douyin-like profile: header in the HTML, one <li> per post with its shown time and
    Unix time, and the same posts in RENDER_DATA. `posts`: (time as shown, Unix seconds)."""
    items = "".join(
        f"""<li class="wqW3g_Kl" data-ts="{created}"><a href="/video/74{index:017d}" class="uz1VJwFY">
<p class="eJFBAbdI">#宝鸡 第{index}条</p><span class="faDtinfi time">{shown}</span></a></li>"""
        for index, (shown, created) in enumerate(posts)
    )
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{nickname}的抖音 - 抖音</title>
<meta name="description" content="{nickname}在抖音上发布了作品，快来关注吧！"></head>
<body><div id="douyin-header"><a href="/login" class="login-button">登录</a></div>
<div id="douyin-right-container"><div class="parent-route-container">
<div data-e2e="user-info" class="mZmVWLzR">
<h1 class="j5WZzJdp"><span><span><span><span>{nickname}</span></span></span></span></h1>
<p class="TVGQz3SI"><span class="verify-text">{verified}</span></p>
<p><span class="TVGQz3SI">抖音号：baojijingfang</span></p></div>
<ul data-e2e="scroll-list" class="EZC0YBrG">{items}</ul></div></div>
<script id="RENDER_DATA" type="application/json">{render_data(nickname, [created for _, created in posts])}</script>
</body></html>"""


DOUYIN_CAPTCHA = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>验证码中间页</title>
<script>const verify_data = {"code":"10000","from":"shark_admin","type":"verify","version":"","region":"cn","subtype":"slide","ui_type":"","detail":"oCcjnYHGrCrvWXRpPyHlPQ","verify_event":"","fp":"verify_lhs0bvbk"}</script>
</head><body><div id="captcha_container"></div>
<script src="https://lf-rc1.yhgfb-cn-static.com/obj/rc-verifycenter/sec_sdk_build/captcha/index.js"></script>
</body></html>"""


def county_app_page(name: str, updated: str, declared: bool = True) -> bytes:
    """A county's own app download page, as many still serve it: GBK, declared in a meta tag
    or not at all."""
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">' if declared else ""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head>{meta}
<title>{name}客户端下载</title></head>
<body><div class="app-info"><h1 class="app-name">{name}</h1>
<p class="developer">开发者：凤翔区融媒体中心</p>
<p class="update-time">更新时间：{updated}</p>
<p><a href="/app/fengxiang.apk">安卓版下载</a></p></div></body></html>""".encode("gbk")


def toutiao_like_page(name: str, shown_times: list[str]) -> str:
    """A page listing posts with Chinese month-day dates and relative times mixed."""
    cards = "".join(
        f'<div class="feed-card"><a class="title" href="/article/{index}/">政务公开第{index}期</a>'
        f'<div class="feed-card-footer"><span class="feed-card-time">{shown}</span></div></div>'
        for index, shown in enumerate(shown_times)
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name} - 今日头条</title></head>
<body><div class="profile-info"><span class="name">{name}</span>
<span class="auth-info">认证：宝鸡市公安局官方账号</span></div>
<div class="profile-tab-feed">{cards}</div></body></html>"""
