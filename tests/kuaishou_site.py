"""Kuaishou as a cookieless Chromium sees it: a profile page whose own script signs its GraphQL
calls and renders what they return, and a GraphQL endpoint that refuses unsigned calls.

No real Kuaishou page was captured for this project: the shapes follow what public scrapers'
source shows. The page POSTs to ``https://www.kuaishou.com/graphql`` (one URL for every
operation, named in the body ``{"operationName", "variables", "query"}``): ``visionProfile``
answers ``data.visionProfile`` {result, hostName, userProfile {ownerCount, profile {gender,
user_name, user_id, headurl, user_text, user_profile_bg_url}, isFollowing}};
``visionProfilePhotoList`` answers ``data.visionProfilePhotoList`` {result, llsid, webPageArea,
feeds[] {type, author, photo {id, duration, caption, likeCount, viewCount, coverUrl, photoUrl,
timestamp (milliseconds), expTag, profileUserTopPhoto}, canAddComment, llsid, status,
currentPcursor, tags}, hostName, pcursor}; pinned videos first, then newest first.

The real page's signature is Kuaishou's own; here the page has the cookies the real site uses
(``did`` set by the server, ``kpf`` and ``kpn`` by its script) and its script signs each call
with two headers: ``ks-ts`` (its clock, in ms) and ``ks-sign``, an FNV-1a hash of the clock,
the body and a key the HTML carries. A call without those cookies or with a wrong or stale
signature is refused as Kuaishou refuses a visitor it wants to verify: HTTP 200, ``result``
400002. The body itself does not change with the clock, so a replay finds each operation's
answer by its body (Playwright's HAR lookup compares POST bodies) while the page signs anew.

The wall pages (a login redirect, the verification overlay) are generic: no real one was captured.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from typing import Any

from tests.douyin_site import fnv1a
from tests.emulator import Emulator, Reply, Request, html_reply, json_reply, redirect

PAGE_KEY = "ks-4e9b"  # carried by the profile HTML; the script signs with it
#: How far the page's clock may be from the server's before a signature is stale (ms).
SIGNATURE_WINDOW_MS = 5 * 60 * 1000
CAPTCHA_RESULT = 400002
#: The milliseconds a video's timestamp carries past its whole second (real ones carry some).
MILLISECONDS = 237
LOGIN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>快手 - 登录</title></head>
<body><div class="login-panel"><p>登录后查看更多精彩内容</p><button>扫码登录</button></div></body></html>"""

#: The queries the page sends (shortened: the emulator does not read them, the body carries them).
QUERIES = {
    "visionProfile": "query visionProfile($userId: String) { visionProfile(userId: $userId) { result hostName "
                     "userProfile { ownerCount { fan photo follow photo_public __typename } profile { gender "
                     "user_name user_id headurl user_text user_profile_bg_url __typename } isFollowing __typename } "
                     "__typename } }",
    "visionProfilePhotoList": "fragment photoContent on PhotoEntity { id duration caption likeCount viewCount "
                              "coverUrl photoUrl timestamp expTag profileUserTopPhoto __typename } "
                              "query visionProfilePhotoList($pcursor: String, $userId: String, $page: String, "
                              "$webPageArea: String) { visionProfilePhotoList(pcursor: $pcursor, userId: $userId, "
                              "page: $page, webPageArea: $webPageArea) { result llsid webPageArea feeds { type "
                              "author { id name following headerUrl __typename } photo { ...photoContent __typename } "
                              "canAddComment llsid status currentPcursor tags { type name __typename } __typename } "
                              "hostName pcursor __typename } }",
}

PROFILE_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>快手</title>
<style>body{font:14px sans-serif;margin:24px} .user-name{font-size:20px} li{display:inline-block;width:200px;margin:6px}
.top{color:#fe3666} #verify{display:none;color:#c00}</style></head>
<body><div class="profile-user"><h1 class="user-name" id="name"></h1><p id="counts"></p><p id="text"></p></div>
<p id="verify">请完成安全验证后继续访问</p><ul class="video-card-list" id="videos"></ul>
<script>
const KEY = "__KEY__", USER_ID = "__USER_ID__", QUERIES = __QUERIES__;
document.cookie = "kpf=PC_WEB; path=/"; document.cookie = "kpn=KUAISHOU_VISION; path=/";
function sign(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}
function call(operationName, variables) {
  const body = JSON.stringify({operationName, variables, query: QUERIES[operationName]});
  const ts = String(Date.now());
  return fetch("/graphql", {method: "POST", credentials: "include", body,
    headers: {"content-type": "application/json", "ks-ts": ts, "ks-sign": sign(ts + body + KEY)}})
    .then(r => r.json()).then(d => {
      const answer = d.data && d.data[operationName];
      if (!answer || answer.result !== 1) { document.getElementById("verify").style.display = "block"; return null; }
      return answer;
    });
}
const day = ms => new Date(ms).toLocaleDateString("zh-CN");
call("visionProfile", {userId: USER_ID}).then(a => {
  if (!a) return;
  const p = a.userProfile.profile, c = a.userProfile.ownerCount;
  document.title = p.user_name + "的个人主页 - 快手";
  document.getElementById("name").textContent = p.user_name;
  document.getElementById("counts").textContent = c.fan + " 粉丝　" + c.photo_public + " 作品";
  document.getElementById("text").textContent = p.user_text;
}).catch(() => {});
call("visionProfilePhotoList", {userId: USER_ID, pcursor: "", page: "profile"}).then(a => {
  if (!a) return;
  document.getElementById("videos").innerHTML = a.feeds.map(f =>
    `<li>${f.photo.profileUserTopPhoto ? '<b class="top">置顶</b> ' : ""}${f.photo.caption}　${day(f.photo.timestamp)}</li>`).join("");
}).catch(() => {});
</script></body></html>"""


@dataclass
class KuaishouUser:
    user_id: str
    user_name: str
    videos: list[tuple[datetime, bool]] = field(default_factory=list)  # (upload time, pinned)
    #: ok | captcha (result 400002 to the page's calls) | errors (a GraphQL errors answer to the
    #: photo list) | login (the profile page redirects to a login page) | empty (result 1, no feeds)
    mode: str = "ok"
    photos_delay: float = 0.0  # seconds before the photo list is answered (a slow second call)


class KuaishouSite:
    """The profile pages and their GraphQL endpoint, on www.kuaishou.com."""

    def __init__(self, emulator: Emulator) -> None:
        self.users: dict[str, KuaishouUser] = {}
        self.refused_calls = 0
        emulator.add("https://www.kuaishou.com/graphql", self._graphql)
        emulator.add("https://www.kuaishou.com/account/login", html_reply(LOGIN_PAGE))

    def add(self, emulator: Emulator, user: KuaishouUser) -> str:
        self.users[user.user_id] = user
        url = f"https://www.kuaishou.com/profile/{user.user_id}"
        emulator.add(url, lambda request: self._page(user, url))
        return url

    def _page(self, user: KuaishouUser, url: str) -> Reply:
        if user.mode == "login":
            return redirect(f"https://www.kuaishou.com/account/login?redirectURL={url}")
        page = (PROFILE_PAGE.replace("__KEY__", PAGE_KEY).replace("__USER_ID__", user.user_id)
                .replace("__QUERIES__", json.dumps(QUERIES)))
        reply = html_reply(page)
        # The server sets did; the page's script sets kpf and kpn (one Set-Cookie per reply here).
        reply.headers = {"Set-Cookie": f"did=web_{fnv1a(user.user_id)}{fnv1a(PAGE_KEY)}; Path=/; Secure"}
        return reply

    def signed(self, request: Request) -> bool:
        """Whether the call came from the page: its cookies, and a fresh signature of its body."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        cookies = {name: morsel.value for name, morsel in SimpleCookie(headers.get("cookie") or "").items()}
        stamp = headers.get("ks-ts") or ""
        fresh = stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) <= SIGNATURE_WINDOW_MS
        expected = fnv1a(stamp + request.body.decode("utf-8", "replace") + PAGE_KEY)
        return ("did" in cookies and cookies.get("kpf") == "PC_WEB" and cookies.get("kpn") == "KUAISHOU_VISION"
                and fresh and headers.get("ks-sign") == expected)

    def _graphql(self, request: Request) -> Reply:
        try:
            call = json.loads(request.body)
            operation, user_id = call["operationName"], call["variables"]["userId"]
        except (ValueError, KeyError, TypeError):
            return json_reply({"errors": [{"message": "Must provide query string."}], "data": None}, status=400)
        user = self.users.get(user_id)
        if not self.signed(request):
            self.refused_calls += 1
            return json_reply({"data": {operation: {"result": CAPTCHA_RESULT, "hostName": "public-bjx-c12-kce-node412",
                                                    "__typename": "VisionProfile"}}})
        if user is None:
            return json_reply({"data": {operation: {"result": 2, "hostName": "public-bjx-c12-kce-node412"}}})
        if user.mode == "captcha":
            return json_reply({"data": {operation: {"result": CAPTCHA_RESULT, "hostName": "public-bjx-c12-kce-node412",
                                                    "__typename": "VisionProfile"}}})
        if operation == "visionProfile":
            return json_reply({"data": {"visionProfile": self._profile(user)}})
        if operation == "visionProfilePhotoList":
            if user.mode == "errors":
                return json_reply({"errors": [{"message": "系统繁忙，请稍后再试", "locations": [{"line": 1, "column": 260}],
                                               "path": ["visionProfilePhotoList"]}],
                                   "data": {"visionProfilePhotoList": None}})
            reply = json_reply({"data": {"visionProfilePhotoList": self._photos(user)}})
            reply.delay = user.photos_delay
            return reply
        return json_reply({"errors": [{"message": f"Unknown operation {operation}"}], "data": None}, status=400)

    @staticmethod
    def _profile(user: KuaishouUser) -> dict[str, Any]:
        return {"result": 1, "hostName": "public-bjx-c12-kce-node412", "userProfile": {
            "ownerCount": {"fan": "18.6万", "photo": None, "follow": 12, "photo_public": len(user.videos),
                           "__typename": "VisionUserProfileOwnerCount"},
            "profile": {"gender": "M", "user_name": user.user_name, "user_id": user.user_id,
                        "headurl": "https://p2.a.yximgs.com/uhead/AB/2026/01/01/00/head.jpg",
                        "user_text": "宝鸡市公安局官方快手号", "user_profile_bg_url": "",
                        "__typename": "VisionUserProfileUser"},
            "isFollowing": False, "__typename": "VisionUserProfile"}, "__typename": "VisionProfileResult"}

    @staticmethod
    def _photos(user: KuaishouUser) -> dict[str, Any]:
        # Pinned videos first, then the rest newest first, as the real list comes.
        ordered = [] if user.mode == "empty" else sorted(
            enumerate(user.videos), key=lambda item: (not item[1][1], -item[1][0].timestamp()))
        feeds = []
        for serial, (moment, pinned) in ordered:
            photo_id = f"3x{fnv1a(user.user_id + str(serial))}{serial:04d}"
            feeds.append({
                "type": 1,
                "author": {"id": user.user_id, "name": user.user_name, "following": False,
                           "headerUrl": "https://p2.a.yximgs.com/uhead/AB/2026/01/01/00/head.jpg", "__typename": "User"},
                "photo": {"id": photo_id, "duration": 31000 + serial, "caption": f"平安宝鸡 第{serial + 1}期",
                          "likeCount": str(120 + serial), "viewCount": f"{1.2 + serial / 10:.1f}万",
                          "coverUrl": f"https://p1.a.yximgs.com/upic/2026/{photo_id}.jpg",
                          "photoUrl": f"https://v2.kwaicdn.com/upic/2026/{photo_id}.mp4",
                          "timestamp": int(moment.timestamp()) * 1000 + MILLISECONDS, "expTag": f"1_a/{serial}_pl",
                          "profileUserTopPhoto": pinned, "__typename": "PhotoEntity"},
                "canAddComment": 1, "llsid": "2009826372845201", "status": 1, "currentPcursor": "",
                "tags": [], "__typename": "Feed"})
        return {"result": 1, "llsid": "2009826372845201", "webPageArea": "profilexxnull", "feeds": feeds,
                "hostName": "public-bjx-c12-kce-node412", "pcursor": "no_more", "__typename": "VisionProfilePhotoList"}

    def direct_call(self, user_id: str) -> dict[str, Any]:
        """The body a direct (unsigned) call would send for the photo list: for the refusal test."""
        return {"operationName": "visionProfilePhotoList",
                "variables": {"userId": user_id, "pcursor": "", "page": "profile"},
                "query": QUERIES["visionProfilePhotoList"]}

