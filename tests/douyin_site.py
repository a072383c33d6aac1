"""Douyin as a cookieless Chromium sees it: a profile page whose own script signs its calls and
renders what they return, and an API that refuses unsigned calls.

Shaped after real answers (../shared/real-pages/other/: aweme/post and user/profile/other):
``user`` with ``nickname``, ``custom_verify``, ``enterprise_verify_reason``, ``sec_uid``,
``unique_id``; ``aweme_list[]`` with ``aweme_id``, ``create_time`` (Unix seconds), ``is_top``,
``desc``, ``statistics``; ``status_code`` 0. The real page signs with ``a_bogus`` computed by its
script; here the script computes an FNV-1a hash of the sec_uid and a key the HTML carries,
and the API answers an unsigned or wrongly signed call with an empty 200, as Douyin does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

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


class DouyinSite:
    """The profile pages and their API, on www.douyin.com."""

    def __init__(self, emulator: Emulator) -> None:
        self.users: dict[str, DouyinUser] = {}
        self.refused_calls = 0
        emulator.add("https://www.douyin.com/aweme/v1/web/user/profile/other/", self._profile)
        emulator.add("https://www.douyin.com/aweme/v1/web/aweme/post/", self._posts)

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
