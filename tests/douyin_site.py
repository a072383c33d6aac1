"""Douyin as a cookieless Chromium sees it: a profile page whose own script signs its calls and
renders what they return, and an API that refuses unsigned calls.

Shaped after real answers (../shared/real-pages/other/: aweme/post and user/profile/other):
``user`` with ``nickname``, ``custom_verify``, ``enterprise_verify_reason``, ``sec_uid``,
``unique_id``; ``aweme_list[]`` with ``aweme_id``, ``create_time`` (Unix seconds), ``is_top``,
``desc``, ``statistics``; ``status_code`` 0. The real page signs with ``a_bogus`` computed by its
script; here the script computes an FNV-1a hash of the sec_uid and a key the HTML carries,
and the API answers an unsigned or wrongly signed call with an empty 200, as Douyin does.

The user search (the 用户 tab, ``/search/<keyword>?type=user``) has no real capture; it follows
what public scrapers' source shows: its script signs a call to ``/aweme/v1/web/discover/search/``
(``search_channel=aweme_user_web``, ``keyword``, a random ``msToken``, ``a_bogus``) answered by
``status_code`` 0 and ``user_list[].user_info`` (``nickname``, ``unique_id``, ``short_id``,
``sec_uid``, ``custom_verify``, ``enterprise_verify_reason``...). After `search_wall_after`
searches the site walls the visitor off: the 验证码中间页 instead of the page (``captcha``), or
the call answering ``status_code`` 2483 "请登录后再试" (``login``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional
from urllib.parse import quote, unquote

from tests.emulator import Emulator, Reply, Request, html_reply, json_reply

PAGE_KEY = "dy-7f3a"  # carried by the profile HTML; the script signs with it


def fnv1a(text: str) -> str:
    """The emulated page's signature (its script computes the same)."""
    value = 0x811C9DC5
    for character in text:
        value ^= ord(character)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def aweme_id(created: int, serial: int) -> str:
    """A real aweme_id's layout: upload time (15 s before create_time) in the upper 32 bits."""
    return str(((created - 15) << 32) | (0x3A00000 + serial))


@dataclass
class DouyinUser:
    sec_uid: str
    nickname: str
    custom_verify: str = ""
    enterprise_verify_reason: str = ""
    unique_id: str = ""
    short_id: str = ""  # the numeric 抖音号 shown when unique_id was never set
    posts: list[tuple[datetime, bool]] = field(default_factory=list)  # (create time, pinned)
    #: ok | captcha | grid-only (the page renders its grid without the post call) | refused (the
    #: post call answered empty) | profile-refused (the profile call answered empty)
    mode: str = "ok"


CAPTCHA_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>验证码中间页</title>
<script>const verify_data = {"code":"10000","from":"shark_admin","type":"verify","region":"cn","subtype":"slide","detail":"Yx8f2QhT","fp":"verify_mjz1q0ab"}</script>
</head><body><div id="captcha_container"><p>请完成下列验证后继续</p><div class="captcha-slider">拖动滑块完成拼图</div></div></body></html>"""

PROFILE_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>抖音</title><style>body{font:14px sans-serif;margin:24px} li{display:inline-block;width:180px;margin:6px}
.verify{color:#d4a300}</style></head>
<body><div id="douyin-header"><a href="/login" class="login-button">登录</a></div>
<div id="douyin-right-container"><div data-e2e="user-info"><h1 id="nickname"></h1><p class="verify" id="verify"></p>
<p id="unique"></p></div><ul data-e2e="scroll-list" id="grid">__GRID__</ul></div>
<script>
const PAGE_KEY = "__KEY__", SEC_UID = "__SEC_UID__", FETCH_POSTS = __FETCH_POSTS__;
function sign(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}
const common = "device_platform=webapp&aid=6383&channel=channel_pc_web&sec_user_id=" + encodeURIComponent(SEC_UID);
const bogus = "&a_bogus=" + sign(SEC_UID + PAGE_KEY);
fetch("/aweme/v1/web/user/profile/other/?" + common + bogus, {credentials: "include"})
  .then(r => r.json()).then(d => {
    document.title = d.user.nickname + "的抖音 - 抖音";
    document.getElementById("nickname").textContent = d.user.nickname;
    document.getElementById("verify").textContent = d.user.custom_verify || d.user.enterprise_verify_reason;
    document.getElementById("unique").textContent = "抖音号：" + d.user.unique_id;
  }).catch(() => {});
if (FETCH_POSTS) fetch("/aweme/v1/web/aweme/post/?" + common + "&max_cursor=0&count=18" + bogus, {credentials: "include"})
  .then(r => r.json()).then(d => {
    document.getElementById("grid").innerHTML = d.aweme_list.map(a =>
      `<li><a href="/video/${a.aweme_id}">${a.is_top ? "<b>置顶</b> " : ""}${a.desc}</a></li>`).join("");
  }).catch(() => {});
</script></body></html>"""


SEARCH_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>抖音搜索</title><style>body{font:14px sans-serif;margin:24px} li{margin:8px 0} .verify{color:#d4a300}</style></head>
<body><div id="douyin-header"><input id="search" value=""></div><div id="tabs"><span>综合</span> <b>用户</b></div>
<ul id="users"></ul><p id="panel"></p>
<script>
const PAGE_KEY = "__KEY__";
const keyword = decodeURIComponent(location.pathname.split("/")[2] || "");
document.getElementById("search").value = keyword;
function sign(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}
const msToken = Math.random().toString(36).slice(2) + Date.now().toString(36);
const query = "device_platform=webapp&aid=6383&channel=channel_pc_web&search_channel=aweme_user_web&keyword="
  + encodeURIComponent(keyword) + "&search_source=normal_search&query_correct_type=1&is_filter_search=0"
  + "&offset=0&count=10&msToken=" + msToken + "&a_bogus=" + sign(keyword + PAGE_KEY);
fetch("/aweme/v1/web/discover/search/?" + query, {credentials: "include"})
  .then(r => r.json()).then(d => {
    if (d.status_code !== 0) { document.getElementById("panel").textContent = d.status_msg || "请稍后再试"; return; }
    document.getElementById("users").innerHTML = (d.user_list || []).map(u =>
      `<li><b>${u.user_info.nickname}</b> 抖音号：${u.user_info.unique_id || u.user_info.short_id}
       <span class="verify">${u.user_info.custom_verify || u.user_info.enterprise_verify_reason}</span></li>`).join("")
      || "<li>暂无相关用户</li>";
  }).catch(() => { document.getElementById("panel").textContent = "网络不给力，请稍后再试"; });
</script></body></html>"""


class DouyinSite:
    """The profile pages, the user search and their API, on www.douyin.com."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.users: dict[str, DouyinUser] = {}
        self.refused_calls = 0
        self.results: dict[str, list[DouyinUser]] = {}  # keyword (casefolded) -> users listed
        self.searches = 0  # search pages served
        #: keyword (casefolded) -> the number of the search whose page was served last for it: a
        #: page served before the wall has its call answered even when the wall comes meanwhile
        self.served_as: dict[str, int] = {}
        self.search_wall_after: Optional[int] = None  # searches answered before the wall; None: no wall
        self.search_wall = "captcha"  # captcha | login
        #: Whether a request comes from a signed-in user (tests/login_site.py): never walled off.
        self.signed_in: Callable[[Request], bool] = lambda request: False
        emulator.add("https://www.douyin.com/aweme/v1/web/user/profile/other/", self._profile)
        emulator.add("https://www.douyin.com/aweme/v1/web/aweme/post/", self._posts)
        emulator.add("https://www.douyin.com/aweme/v1/web/discover/search/", self._search_api)

    def search(self, keyword: str, users: list[DouyinUser]) -> str:
        """What the 用户 tab lists for `keyword` (each user's profile is served too); its URL."""
        self.results[keyword.strip().casefold()] = users
        for user in users:
            if user.sec_uid not in self.users:
                self.add(self.emulator, user)
        url = f"https://www.douyin.com/search/{quote(keyword.strip(), safe='')}"
        self.emulator.add(url, self._search_page)
        return url

    def walled(self, search: Optional[int] = None) -> bool:
        """Whether the site walls off the visitor by the `search`-th search (default: the last)."""
        search = self.searches if search is None else search
        return self.search_wall_after is not None and search > self.search_wall_after

    def _search_page(self, request: Request) -> Reply:
        self.searches += 1
        keyword = unquote(request.path[len("/search/"):]).strip().casefold()
        self.served_as[keyword] = self.searches
        if self.signed_in(request):
            self.served_as[keyword] = 0  # its call is answered as the signed-in user's
        elif self.walled() and self.search_wall == "captcha":
            return html_reply(CAPTCHA_PAGE)
        return html_reply(SEARCH_PAGE.replace("__KEY__", PAGE_KEY))

    def _search_api(self, request: Request) -> Reply:
        keyword = request.query.get("keyword", "")
        if request.query.get("a_bogus") != fnv1a(keyword + PAGE_KEY) or not request.query.get("msToken"):
            self.refused_calls += 1
            return Reply(status=200, body=b"", content_type="application/json; charset=utf-8")
        if not self.signed_in(request) and self.walled(self.served_as.get(keyword.strip().casefold(), self.searches)):
            return json_reply({"status_code": 2483, "status_msg": "请登录后再试", "user_list": None,
                               "log_pb": {"impr_id": "2026112110000009"}})
        users = self.results.get(keyword.strip().casefold(), [])
        user_list = [{
            "user_info": {
                "uid": str(int(fnv1a(user.sec_uid), 16)), "nickname": user.nickname, "unique_id": user.unique_id,
                "short_id": user.short_id or "0", "sec_uid": user.sec_uid, "custom_verify": user.custom_verify,
                "enterprise_verify_reason": user.enterprise_verify_reason, "follower_count": 182000 - 1000 * n,
                "avatar_thumb": {"uri": f"aweme-avatar/{user.sec_uid}",
                                 "url_list": [f"https://p3-pc.douyinpic.com/aweme/100x100/{user.sec_uid}.jpeg"]},
            },
            "position": None, "uniqid_position": None, "effects": None, "musics": None, "items": None,
        } for n, user in enumerate(users)]
        return json_reply({"status_code": 0, "user_list": user_list, "has_more": 0, "cursor": len(user_list),
                           "input_keyword": keyword, "type": 1, "extra": {"logid": "2026112110000008"},
                           "log_pb": {"impr_id": "2026112110000008"}})

    def add(self, emulator: Emulator, user: DouyinUser) -> str:
        self.users[user.sec_uid] = user
        url = f"https://www.douyin.com/user/{user.sec_uid}"
        emulator.add(url, lambda request: self._page(user))
        return url

    def _page(self, user: DouyinUser) -> Reply:
        if user.mode == "captcha":
            return html_reply(CAPTCHA_PAGE)
        grid = ""
        if user.mode == "grid-only":  # server-rendered grid, no post call from the page
            grid = "".join(f'<li><a href="/video/{aweme_id(int(moment.timestamp()), n)}">作品{n}</a></li>'
                           for n, (moment, _) in enumerate(user.posts))
        page = (PROFILE_PAGE.replace("__KEY__", PAGE_KEY).replace("__SEC_UID__", user.sec_uid)
                .replace("__FETCH_POSTS__", "false" if user.mode == "grid-only" else "true").replace("__GRID__", grid))
        return html_reply(page)

    def _signed(self, request: Request) -> Optional[DouyinUser]:
        user = self.users.get(request.query.get("sec_user_id", ""))
        if user is None or request.query.get("a_bogus") != fnv1a(user.sec_uid + PAGE_KEY):
            self.refused_calls += 1
            return None
        return user

    def _profile(self, request: Request) -> Reply:
        user = self._signed(request)
        if user is None or user.mode == "profile-refused":
            return Reply(status=200, body=b"", content_type="application/json; charset=utf-8")
        return json_reply({
            "extra": {"fatal_item_ids": [], "logid": "2026112110000001", "now": 1763690400000},
            "log_pb": {"impr_id": "2026112110000001"},
            "status_code": 0, "status_msg": None,
            "user": {
                "nickname": user.nickname, "custom_verify": user.custom_verify,
                "enterprise_verify_reason": user.enterprise_verify_reason, "sec_uid": user.sec_uid,
                "unique_id": user.unique_id, "uid": str(int(fnv1a(user.sec_uid), 16)),
                "aweme_count": len(user.posts), "follower_count": 182000, "following_count": 12,
                "signature": "宝鸡市公安局官方抖音号", "ip_location": "IP属地：陕西",
            },
        })

    def _posts(self, request: Request) -> Reply:
        user = self._signed(request)
        if user is None or user.mode == "refused":
            return Reply(status=200, body=b"", content_type="application/json; charset=utf-8")
        # Pinned videos first, then the rest newest first, as the real list comes.
        ordered = sorted(enumerate(user.posts), key=lambda item: (not item[1][1], -item[1][0].timestamp()))
        aweme_list = []
        for serial, (moment, pinned) in ordered:
            created = int(moment.timestamp())
            aweme_list.append({
                "aweme_id": aweme_id(created, serial), "desc": f"#平安宝鸡 第{serial + 1}期", "create_time": created,
                "is_top": 1 if pinned else 0, "aweme_type": 0,
                "author": {"nickname": user.nickname, "sec_uid": user.sec_uid, "custom_verify": user.custom_verify,
                           "enterprise_verify_reason": user.enterprise_verify_reason},
                "statistics": {"digg_count": 120 + serial, "comment_count": 8, "share_count": 3, "collect_count": 2},
                "share_url": f"https://www.iesdouyin.com/share/video/{aweme_id(created, serial)}/",
            })
        cursor = int(ordered[-1][1][0].timestamp()) * 1000 if ordered else 0
        return json_reply({"aweme_list": aweme_list, "has_more": 0, "max_cursor": cursor, "min_cursor": cursor,
                           "log_pb": {"impr_id": "2026112110000002"}, "status_code": 0})
