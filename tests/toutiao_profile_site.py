"""Toutiao's profile as a cookieless Chromium sees it, for the Toutiao adapter: a page whose own
script signs its call to the profile feed and renders what comes back, and an API that refuses
unsigned calls.

Shaped after public scrapers' source and old public feed samples (no real capture exists):
``/api/pc/list/feed?category=profile_all&token=…&max_behot_time=0&aid=24&app_name=toutiao_web
&_signature=…`` → ``{"data": [items], "has_more": …, "message": "success", "next":
{"max_behot_time": …}}``; items with ``publish_time``, ``behot_time`` (Unix seconds), ``title``,
``abstract``, ``group_id``, ``item_id``, ``article_url``, ``source``, ``user_info`` {``name``,
``user_id``, ``avatar_url``, ``verified_content``, ``user_verified``}; a pinned item carries
``label: "置顶"`` and comes first, the rest newest first.

Emulation choices (not claims about the real site): the page's script computes ``_signature``
from its clock and a key the HTML carries (``<clock base 36>.<FNV-1a>``), so a replayed page signs
anew, as the real one would; the page's answer sets a ``ttwid`` cookie and the API wants it. An
unsigned call gets ``{"message": "error", "data": []}``. The title is ``<name>的头条主页 - 今日头条``
(the real title is unverified). The captcha page's title 验证码中间页 is ByteDance's.

The user search ``so.toutiao.com/search?…&keyword=<keyword>&pd=user`` lists users as cards: an
avatar and the name, both linking to the profile (``?source=search`` appended), and the user's
verification; here the page's script renders the cards from data in the page (whether the real
one renders them server-side is not known: nmaudit reads the rendered page either way).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional, Union

from tests.douyin_site import fnv1a
from tests.emulator import Emulator, Reply, Request, html_reply, redirect

PAGE_KEY = "tt-4d2e"
TTWID = "1%7CkT3vYq8wQm2pXc9sB0aLr7nH4uE6jF1dG5oI8yZtV0w%7C1763690400%7Cb1f2"

CAPTCHA_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>验证码中间页</title></head>
<body><div id="captcha_container"><p>请完成下列验证后继续</p><div class="captcha-slider">拖动滑块完成拼图</div></div></body></html>"""

PROFILE_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>__NAME__的头条主页 - 今日头条</title><style>body{font:14px sans-serif;margin:24px}
.verify{color:#c00} .feed-card{margin:8px 0} .pin{color:#f04142;margin-right:6px}</style></head>
<body><div class="profile-info"><h1 class="name" id="name"></h1><p class="verify" id="verify"></p></div>
<div class="profile-feed" id="feed"><p class="loading">加载中…</p></div>
<script>
const TOKEN = "__TOKEN__", PAGE_KEY = "__KEY__";
function fnv(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}
const now = Math.floor(Date.now() / 1000);
const signature = now.toString(36) + "." + fnv(TOKEN + ":" + now + PAGE_KEY);
fetch("/api/pc/list/feed?category=profile_all&token=" + encodeURIComponent(TOKEN) +
      "&max_behot_time=0&aid=24&app_name=toutiao_web&_signature=" + signature, {credentials: "include"})
  .then(r => r.json()).then(d => {
    const feed = document.getElementById("feed");
    if (d.message !== "success" || !d.data.length) { feed.textContent = "暂无内容"; return; }
    const user = d.data[0].user_info;
    document.getElementById("name").textContent = user.name;
    document.getElementById("verify").textContent = user.verified_content;
    const day = s => new Date(s * 1000).toLocaleString("zh-CN");
    feed.innerHTML = d.data.map(item => `<div class="feed-card">${item.label ? `<span class="pin">${item.label}</span>` : ""}
      <a href="${item.article_url}">${item.title}</a> <span class="time">${day(item.publish_time)}</span></div>`).join("");
  }).catch(() => {});
</script></body></html>"""


SEARCH_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>__KEYWORD__ - 头条搜索</title>
<style>body{font:14px sans-serif;margin:24px} .card{margin:10px 0} .avatar{display:inline-block;width:24px;height:24px;
background:#ddd;border-radius:12px;margin-right:6px} .verify{color:#888}</style></head>
<body><div class="tabs"><a href="/search?keyword=__KEYWORD__&pd=synthesis">综合</a> <b>用户</b></div>
<div id="results"><p>加载中…</p></div>
<div class="related"><a href="/search?keyword=__KEYWORD__%E5%AE%98%E6%96%B9&pd=user">相关搜索</a></div>
<script>
const RESULTS = __RESULTS__;
document.getElementById("results").innerHTML = RESULTS.length ? RESULTS.map(r =>
  `<div class="card"><a href="${r.link}?source=search"><span class="avatar"></span></a>` +
  `<a class="name" href="${r.link}">${r.name}</a> <span class="verify">${r.verified}</span></div>`).join("")
  : "<p>暂无相关用户</p>";
</script></body></html>"""


@dataclass
class ToutiaoAccount:
    token: str
    name: str
    verified: str = ""
    posts: list[tuple[datetime, bool]] = field(default_factory=list)  # (publish time, pinned)
    user_id: str = "51234567890"
    #: ok | captcha (the profile is the captcha page) | verify (redirected to verify.snssdk.com) |
    #: refused (the signed call gets message "error") | empty-body (it gets an empty 200) |
    #: empty (message "success" with no items)
    mode: str = "ok"


class ToutiaoProfileSite:
    """Profiles on www.toutiao.com (token links and old numeric links) and their feed API."""

    def __init__(self, emulator: Emulator) -> None:
        self.accounts: dict[str, ToutiaoAccount] = {}
        self.searches: dict[str, Union[list[ToutiaoAccount], Reply]] = {}
        self.searched: list[str] = []
        self.refused_calls = 0
        emulator.add("https://www.toutiao.com/api/pc/list/feed", self._feed)
        emulator.add("https://verify.snssdk.com/view", html_reply(CAPTCHA_PAGE))
        emulator.add("https://so.toutiao.com/search", self._search)

    def search(self, keyword: str, found: Union[list[ToutiaoAccount], Reply]) -> None:
        """What the 用户 tab lists for `keyword`, in order (or a Reply: the verification redirect)."""
        self.searches[keyword] = found

    def _search(self, request: Request) -> Reply:
        keyword = request.query.get("keyword", "")
        self.searched.append(keyword)
        found = self.searches.get(keyword, [])
        if isinstance(found, Reply):
            return found
        results = [{"link": f"https://www.toutiao.com/c/user/token/{account.token}/", "name": account.name,
                    "verified": account.verified} for account in found]
        return html_reply(SEARCH_PAGE.replace("__KEYWORD__", keyword)
                          .replace("__RESULTS__", json.dumps(results, ensure_ascii=False)))

    def add(self, emulator: Emulator, account: ToutiaoAccount, numeric: bool = False) -> str:
        """Serve the account's profile; its URL (the old numeric link if `numeric`)."""
        self.accounts[account.token] = account
        token_url = f"https://www.toutiao.com/c/user/token/{account.token}/"
        emulator.add(token_url, lambda request: self._page(account))
        if numeric:
            url = f"https://www.toutiao.com/c/user/{account.user_id}/"
            emulator.add(url, lambda request: self._page(account))
            return url
        return token_url

    def _page(self, account: ToutiaoAccount) -> Reply:
        if account.mode == "captcha":
            return html_reply(CAPTCHA_PAGE)
        if account.mode == "verify":
            return redirect(f"https://verify.snssdk.com/view?aid=24&from=toutiao_web&token={account.token[:16]}")
        reply = html_reply(PROFILE_PAGE.replace("__NAME__", account.name).replace("__TOKEN__", account.token)
                           .replace("__KEY__", PAGE_KEY))
        reply.headers["Set-Cookie"] = f"ttwid={TTWID}; Path=/; Secure; HttpOnly; SameSite=None"
        return reply

    def _signed(self, request: Request) -> Optional[ToutiaoAccount]:
        account = self.accounts.get(request.query.get("token", ""))
        clock, _, digest = request.query.get("_signature", "").partition(".")
        try:
            moment = str(int(clock, 36))
        except ValueError:
            moment = ""
        if (account is None or not moment or digest != fnv1a(f"{account.token}:{moment}{PAGE_KEY}")
                or f"ttwid={TTWID}" not in request.headers.get("Cookie", "")):
            self.refused_calls += 1
            return None
        return account

    def _feed(self, request: Request) -> Reply:
        account = self._signed(request)
        if account is None or account.mode == "refused":
            return Reply(body={"message": "error", "data": [], "has_more": False})
        if account.mode == "empty-body":
            return Reply(body=b"", content_type="application/json; charset=utf-8")
        posts = [] if account.mode == "empty" else account.posts
        # Pinned first, then newest first.
        ordered = sorted(enumerate(posts), key=lambda item: (not item[1][1], -item[1][0].timestamp()))
        data = []
        for serial, (moment, pinned) in ordered:
            seconds = int(moment.timestamp())
            group_id = str(7300000000000000000 + seconds * 10 + serial)
            item = {
                "abstract": f"{account.name}发布第{serial + 1}条信息", "article_url": f"https://www.toutiao.com/article/{group_id}/",
                "behot_time": seconds, "comment_count": 3 + serial, "group_id": group_id, "item_id": group_id,
                "publish_time": seconds, "source": account.name, "title": f"{account.name} 第{serial + 1}期",
                "user_info": {"avatar_url": "https://p3-sign.toutiaoimg.com/user-avatar/x.jpeg", "name": account.name,
                              "user_id": account.user_id, "user_verified": bool(account.verified),
                              "verified_content": account.verified},
            }
            if pinned:
                item["label"] = "置顶"
            data.append(item)
        behot = data[-1]["behot_time"] if data else 0
        return Reply(body={"data": data, "has_more": False, "message": "success", "next": {"max_behot_time": behot}})
