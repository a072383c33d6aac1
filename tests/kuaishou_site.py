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

The user search ``/search/author?searchKey=<keyword>`` is a page of the same kind: its script
signs and POSTs ``graphqlSearchUser`` (variables ``keyword``, ``pcursor``) and answers
``data.visionSearchUser`` {result, users[] {fansCount, photoCount, isFollowing, user_id,
headurl, user_text, user_name, verified, verifiedDetail {description, iconType, newVerified,
musicCompany, type}}, searchSessionId, pcursor}. A result shows no 快手号.

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
    "graphqlSearchUser": "query graphqlSearchUser($keyword: String, $pcursor: String, $searchSessionId: String) { "
                         "visionSearchUser(keyword: $keyword, pcursor: $pcursor, searchSessionId: $searchSessionId) { "
                         "result users { fansCount photoCount isFollowing user_id headurl user_text user_name verified "
                         "verifiedDetail { description iconType newVerified musicCompany type __typename } __typename } "
                         "searchSessionId pcursor __typename } }",
}

SIGNED_CALL = """
const KEY = "__KEY__", QUERIES = __QUERIES__;
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
"""

SEARCH_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>快手搜索</title>
<style>body{font:14px sans-serif;margin:24px} li{margin:8px 0} #verify{display:none;color:#c00}</style></head>
<body><h1>用户</h1><p id="verify">请完成安全验证后继续访问</p><ul id="users"></ul>
<script>__SIGNED_CALL__
const KEYWORD = __KEYWORD__;
call("graphqlSearchUser", {keyword: KEYWORD, pcursor: ""}).then(a => {
  if (!a) return;
  document.title = KEYWORD + " - 快手搜索";
  document.getElementById("users").innerHTML = a.users.map(u =>
    `<li><a href="/profile/${u.user_id}">${u.user_name}</a> ${u.verifiedDetail ? u.verifiedDetail.description : ""}　${u.fansCount} 粉丝</li>`).join("");
}).catch(() => {});
</script></body></html>"""

PROFILE_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>快手</title>
<style>body{font:14px sans-serif;margin:24px} .user-name{font-size:20px} li{display:inline-block;width:200px;margin:6px}
.top{color:#fe3666} #verify{display:none;color:#c00}</style></head>
<body><div class="profile-user"><h1 class="user-name" id="name"></h1><p id="counts"></p><p id="text"></p></div>
<p id="verify">请完成安全验证后继续访问</p><ul class="video-card-list" id="videos"></ul>
<script>__SIGNED_CALL__
const USER_ID = "__USER_ID__";
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
class SearchResult:
    """One user the search lists (the account itself or a look-alike)."""

    user_id: str
    user_name: str
    verification: str = ""

    def entry(self) -> dict[str, Any]:
        return {"fansCount": "2.3万", "photoCount": 318, "isFollowing": False, "user_id": self.user_id,
                "headurl": "https://p2.a.yximgs.com/uhead/AB/2026/01/01/00/head.jpg", "user_text": "",
                "user_name": self.user_name, "verified": bool(self.verification),
                "verifiedDetail": {"description": self.verification, "iconType": 1, "newVerified": True,
                                   "musicCompany": False, "type": 2, "__typename": "VerifiedDetail"}
                if self.verification else None, "__typename": "SearchUser"}


def signed_page(page: str) -> str:
    return (page.replace("__SIGNED_CALL__", SIGNED_CALL).replace("__KEY__", PAGE_KEY)
            .replace("__QUERIES__", json.dumps(QUERIES)))


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
        self.searches: dict[str, list[SearchResult]] = {}
        #: Searches answered as a visitor Kuaishou wants to verify (result 400002) from this one on.
        self.search_wall_after: int | None = None
        self.searched: list[str] = []
        self.refused_calls = 0
        emulator.add("https://www.kuaishou.com/graphql", self._graphql)
        emulator.add("https://www.kuaishou.com/account/login", html_reply(LOGIN_PAGE))
        emulator.add("https://www.kuaishou.com/search/author", self._search_page)

    def search(self, keyword: str, results: list[SearchResult]) -> None:
        """What the user search lists for `keyword`, in order."""
        self.searches[keyword] = results

    def _search_page(self, request: Request) -> Reply:
        page = signed_page(SEARCH_PAGE).replace("__KEYWORD__", json.dumps(request.query.get("searchKey", "")))
        reply = html_reply(page)
        reply.headers = {"Set-Cookie": f"did=web_{fnv1a('search')}{fnv1a(PAGE_KEY)}; Path=/; Secure"}
        return reply

    def add(self, emulator: Emulator, user: KuaishouUser) -> str:
        self.users[user.user_id] = user
        url = f"https://www.kuaishou.com/profile/{user.user_id}"
        emulator.add(url, lambda request: self._page(user, url))
        return url

    def _page(self, user: KuaishouUser, url: str) -> Reply:
        if user.mode == "login":
            return redirect(f"https://www.kuaishou.com/account/login?redirectURL={url}")
        page = signed_page(PROFILE_PAGE).replace("__USER_ID__", user.user_id)
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
            operation = call["operationName"]
            if operation == "graphqlSearchUser":
                return self._search(request, str(call["variables"]["keyword"]))
            user_id = call["variables"]["userId"]
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

    def _search(self, request: Request, keyword: str) -> Reply:
        self.searched.append(keyword)
        walled = self.search_wall_after is not None and len(self.searched) > self.search_wall_after
        if not self.signed(request) or walled:
            self.refused_calls += 0 if walled else 1
            return json_reply({"data": {"visionSearchUser": {"result": CAPTCHA_RESULT, "users": None,
                                                             "__typename": "VisionSearchUserResult"}}})
        users = [result.entry() for result in self.searches.get(keyword, [])]
        return json_reply({"data": {"visionSearchUser": {
            "result": 1, "users": users, "searchSessionId": f"MTRfMjcw{fnv1a(keyword)}", "pcursor": "no_more",
            "__typename": "VisionSearchUserResult"}}})

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

