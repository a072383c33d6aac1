"""Weibo as Chromium sees it from a cookieless browser, shaped like the real m.weibo.cn API.

Documents follow platforms.md: getIndex?type=uid&value=UID gives data.userInfo and
data.tabsInfo.tabs[]; adding containerid=<weibo tab> gives data.cards[] with posts as
card_type 9 (sometimes nested in card_group), pinned posts marked isTop / title 置顶.

Finding a UID (nmaudit/platforms/weibo_resolve.py names the public sources): ``m.weibo.cn/n/
<screen name>`` and ``m.weibo.cn/<个性域名>?jumpfrom=weibocom`` answer 302 to ``/u/<uid>``, an
HTML shell page; the user search ``getIndex?containerid=100103type=3&q=<name>&page_type=
searchall`` lists users as ``card_type`` 10 cards with a ``user`` object inside the
``card_group`` of the second ``card_type`` 11 card (the first holds a header). The shell page
and the header card are written after what those sources read, not copied from a capture.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional, Union
from urllib.parse import quote

from tests.emulator import Emulator, Reply, Request, html_reply, json_reply, redirect

API_PATH = "https://m.weibo.cn/api/container/getIndex"
EXTEND_PATH = "https://m.weibo.cn/statuses/extend"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

VISITOR_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sina Visitor System</title></head>
<body><script type="text/javascript">
var visitor_origin = 1;
function incarnate(tid, where, conficence) { /* sets the SUB cookie, then returns */ }
</script><div>Sina Visitor System</div></body></html>"""

LOGIN_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>微博登录</title></head>
<body><div class="login">请登录后查看 <a href="#">立即登录</a></div></body></html>"""


def weibo_time(moment: datetime) -> str:
    """The API's absolute format: 'Wed Aug 24 22:03:13 +0800 2022' (always +0800)."""
    return (
        f"{WEEKDAYS[moment.weekday()]} {MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment:%H:%M:%S} +0800 {moment.year}"
    )


@dataclass
class Post:
    created_at: str  # as the API prints it
    text: str = "【通知】关于开展2026年冬季道路交通安全专项整治的通告"
    pinned: bool = False
    pinned_old_style: bool = False  # older data: title.text == "置顶" instead of isTop
    long_text: Optional[str] = None  # a long post: the list shows `text` cut short, statuses/extend the whole


def post_card(uid: str, index: int, post: Post, screen_name: str) -> dict:
    mid = str(4850000000000000 + int(uid) % 100000 * 100 + index)
    mblog = {
        "visible": {"type": 0, "list_id": 0},
        "created_at": post.created_at,
        "id": mid,
        "mid": mid,
        "bid": f"P{index:02d}x{uid[-4:]}",
        "can_edit": False,
        "text": post.text,
        "textLength": len(post.text) * 2,
        "source": "微博 weibo.com",
        "favorited": False,
        "pic_ids": [],
        "is_paid": False,
        "mblog_vip_type": 0,
        "user": {"id": int(uid), "screen_name": screen_name, "verified": True, "verified_type": 1},
        "reposts_count": 3 + index,
        "comments_count": 7 + index,
        "attitudes_count": 21 + index,
        "pending_approval_count": 0,
        "isLongText": post.long_text is not None,
        "mlevel": 0,
        "comment_manage_info": {"comment_permission_type": -1, "approval_comment_type": 0},
    }
    if post.pinned:
        mblog["isTop"] = 1
    if post.pinned_old_style:
        mblog["title"] = {"text": "置顶", "base_color": 1}
    return {
        "card_type": 9,
        "itemid": f"107603{uid}_-_{mid}",
        "scheme": f"https://m.weibo.cn/status/{mblog['bid']}?mblogid={mblog['bid']}&luicode=10000011",
        "mblog": mblog,
    }


@dataclass
class WeiboAccount:
    """One emulated account and how the API behaves for it."""

    uid: str
    screen_name: str = "平安宝鸡"
    verified: bool = True
    verified_type: int = 1
    verified_reason: str = "宝鸡市公安局官方微博"
    posts: list[Post] = field(default_factory=list)
    grouped: bool = False  # posts nested in a card_type 11 card_group
    new_containerid: bool = False  # 230413<uid> instead of 107603<uid>
    info: Optional[Reply] = None  # replaces the user-info answer
    feed: Optional[Reply] = None  # replaces the posts answer
    statuses: list[int] = field(default_factory=list)  # answered first, one per request (418, 432, 502...)
    #: m.weibo.cn/u/<uid>: "shell" (no script), "renders" (its script fetches the API and shows
    #: the profile, as the real page does), or "wall" (redirected to the visitor system)
    profile: str = "shell"

    @property
    def containerid(self) -> str:
        return f"{'230413' if self.new_containerid else '107603'}{self.uid}"

    def info_document(self) -> dict:
        return {
            "ok": 1,
            "data": {
                "isVideoCoverStyle": 0,
                "isStarStyle": 0,
                "userInfo": {
                    "id": int(self.uid),
                    "screen_name": self.screen_name,
                    "profile_image_url": f"https://tvax1.sinaimg.cn/crop.0.0.180.180.180/{self.uid}.jpg",
                    "profile_url": f"https://m.weibo.cn/u/{self.uid}?uid={self.uid}&luicode=10000011",
                    "statuses_count": 1200 + len(self.posts),
                    "verified": self.verified,
                    "verified_type": self.verified_type if self.verified else -1,
                    "verified_type_ext": 0,
                    "verified_reason": self.verified_reason if self.verified else "",
                    "close_blue_v": False,
                    "description": "发布权威信息，服务人民群众",
                    "gender": "m",
                    "mbtype": 0,
                    "urank": 36,
                    "mbrank": 0,
                    "follow_me": False,
                    "following": False,
                    "follow_count": 312,
                    "followers_count": "12.6万",
                    "followers_count_str": "12.6万",
                },
                "fans_scheme": f"https://m.weibo.cn/p/index?containerid=231051_-_fans_intimacy_-_{self.uid}",
                "tabsInfo": {
                    "selectedTab": 1,
                    "tabs": [
                        {"id": 1, "tabKey": "profile", "must_show": 1, "hidden": 0, "title": "主页",
                         "tab_type": "profile", "containerid": f"100505{self.uid}"},
                        {"id": 2, "tabKey": "weibo", "must_show": 1, "hidden": 0, "title": "微博",
                         "tab_type": "weibo", "containerid": self.containerid,
                         "apipath": "/profile/statuses/tab", "new_select_menu": 1},
                        {"id": 10, "tabKey": "album", "must_show": 0, "hidden": 0, "title": "相册",
                         "tab_type": "album", "containerid": f"107803{self.uid}"},
                    ],
                },
                "showAppTips": 0,
                "scheme": f"sinaweibo://userinfo?uid={self.uid}",
            },
        }

    def feed_document(self) -> dict:
        cards = [post_card(self.uid, index, post, self.screen_name) for index, post in enumerate(self.posts)]
        if self.grouped:
            cards = [{"card_type": 11, "itemid": "", "card_group": cards}]
        return {
            "ok": 1,
            "data": {
                "cardlistInfo": {"containerid": self.containerid, "v_p": 42, "show_style": 1,
                                 "total": 1200 + len(self.posts), "since_id": 4850000000000000},
                "cards": cards,
                "scheme": f"sinaweibo://cardlist?containerid={self.containerid}",
                "showAppTips": 0,
            },
        }


# Canned answers from platforms.md.
NEEDS_LOGIN = json_reply({"ok": -100, "url": "https://passport.weibo.com/sso/signin?entry=wapsso"})
USER_GONE = json_reply({"ok": 0, "msg": "用户不存在", "data": {}})
EMPTY_FEED = json_reply({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
VISITOR_WALL = redirect("https://passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url=https%3A%2F%2Fm.weibo.cn%2F")
LOGIN_WALL = redirect("https://passport.weibo.com/sso/signin?entry=wapsso&r=https%3A%2F%2Fm.weibo.cn%2F")


def rendered_profile(uid: str) -> str:
    """m.weibo.cn/u/<uid> as the real page works: its script asks getIndex for the user, then
    for the 微博 tab's containerid, and renders the profile and the posts."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>微博</title><style>body{{font:15px sans-serif;margin:0}} .head{{background:#f4f4f4;padding:24px}}
.verify{{color:#e6a23c}} .card{{border-bottom:1px solid #eee;padding:12px 16px}} .time{{color:#999;font-size:12px}}</style></head>
<body><div id="app"><div class="head"><h2 id="name"></h2><p class="verify" id="verify"></p></div><div id="cards"></div></div>
<script>
const api = "/api/container/getIndex?type=uid&value={uid}";
fetch(api).then(r => r.json()).then(d => {{
  const user = d.data.userInfo;
  document.title = user.screen_name + "的微博";
  document.getElementById("name").textContent = user.screen_name;
  document.getElementById("verify").textContent = user.verified ? "微博认证：" + user.verified_reason : "";
  const tab = d.data.tabsInfo.tabs.find(t => t.tab_type === "weibo");
  return fetch(api + "&containerid=" + tab.containerid);
}}).then(r => r.json()).then(d => {{
  const posts = [];
  const walk = cards => cards.forEach(c => {{ if (c.card_type === 9) posts.push(c.mblog); if (c.card_group) walk(c.card_group); }});
  walk(d.data.cards || []);
  document.getElementById("cards").innerHTML = posts.map(m =>
    `<div class="card"><p class="time">${{m.isTop ? "置顶 · " : ""}}${{m.created_at}}</p><p>${{m.text}}</p></div>`).join("");
}}).catch(() => {{}});
</script></body></html>"""


def profile_shell(uid: str) -> str:
    """The m.weibo.cn single-page shell a profile redirect lands on: no data in the HTML."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>微博</title><link rel="canonical" href="https://m.weibo.cn/u/{uid}"></head>
<body><div id="app"></div><script>var config = {{env: "prod", st: "", login: false, uid: ""}};</script></body></html>"""


@dataclass
class SearchUser:
    """One user the user search lists (a decoy or the account itself)."""

    uid: str
    screen_name: str
    verified_reason: str = ""
    followers: str = "3.1万"

    def card(self, query: str) -> dict:
        user = {
            "id": int(self.uid), "screen_name": self.screen_name,
            "profile_image_url": f"https://tvax2.sinaimg.cn/crop.0.0.180.180.180/{self.uid}.jpg",
            "profile_url": f"https://m.weibo.cn/u/{self.uid}?uid={self.uid}&luicode=10000011",
            "verified": bool(self.verified_reason), "verified_type": 1 if self.verified_reason else -1,
            "verified_reason": self.verified_reason, "description": "", "gender": "m",
            "followers_count": self.followers, "follow_me": False, "following": False,
        }
        desc1 = f"认证：{self.verified_reason}" if self.verified_reason else "简介：暂无简介"
        return {"card_type": 10, "itemid": f"seqid:1|type:3|t:|pos:1-0|q:{query}|ext:&uid={self.uid}&",
                "user": user, "desc1": desc1, "desc2": f"粉丝：{self.followers}",
                "scheme": f"https://m.weibo.cn/u/{self.uid}?uid={self.uid}&luicode=10000011",
                "buttons": [{"type": "follow", "name": "加关注", "sub_type": 0}]}


def search_document(query: str, users: list[SearchUser], page: int = 1, next_page: Optional[int] = None,
                    total: Optional[int] = None) -> dict:
    """One page of the user search: `next_page` is what cardlistInfo.page names (None on the last)."""
    containerid = f"100103type=3&q={query}"
    return {"ok": 1, "data": {
        "cardlistInfo": {"containerid": containerid, "v_p": 42, "show_style": 1,
                         "total": len(users) if total is None else total,
                         "page_type": "searchall", "page": next_page, "title_top": query},
        "cards": [
            {"card_type": 11, "show_type": 1, "card_group": [
                {"card_type": 4, "display_arrow": 0, "desc": f"“{query}”相关用户", "itemid": "header"}]},
            {"card_type": 11, "show_type": 1, "card_group": [user.card(query) for user in users]},
        ],
        "scheme": f"sinaweibo://cardlist?containerid={quote(containerid, safe='')}",
        "showAppTips": 0}}


class WeiboSite:
    """Installs m.weibo.cn's API and the passport pages on an emulator."""

    def __init__(self, emulator: Emulator, accounts: list[WeiboAccount] = ()):
        self.emulator = emulator
        self.accounts: dict[str, WeiboAccount] = {}
        self.searches: dict[str, Union[list[SearchUser], Reply]] = {}
        #: Users per result page of the search (the real search pages its results the same way).
        self.per_page = 10
        #: Result pages that answer something else (query, page) -> Reply: a wall on page 3.
        self.search_pages: dict[tuple[str, int], Reply] = {}
        self._status_index: dict[str, int] = {}
        #: Weibo's pace (seconds): an API call sooner than this after the previous one is
        #: answered 418, as m.weibo.cn answers a client that asks too fast. None: no pace.
        self.patience: Optional[float] = None
        self.rate_limited = 0  # calls answered 418 for their pace
        self._last_call: Optional[float] = None
        self._pace_lock = threading.Lock()
        emulator.add(API_PATH, self.answer)
        emulator.add("https://passport.weibo.com/visitor/visitor", html_reply(VISITOR_PAGE))
        emulator.add("https://passport.weibo.com/sso/signin", html_reply(LOGIN_PAGE))
        emulator.add(EXTEND_PATH, self.extend)
        for account in accounts:
            self.add(account)

    def add(self, account: WeiboAccount) -> WeiboAccount:
        self.accounts[account.uid] = account
        profile = {"renders": html_reply(rendered_profile(account.uid)), "wall": VISITOR_WALL}
        self.emulator.add(f"https://m.weibo.cn/u/{account.uid}", profile.get(account.profile) or
                          html_reply(profile_shell(account.uid)))
        return account

    def nickname(self, screen_name: str, uid: str, reply: Optional[Reply] = None) -> None:
        """m.weibo.cn/n/<screen name> redirects to the profile (or answers `reply`)."""
        self.emulator.add(f"https://m.weibo.cn/n/{quote(screen_name, safe='')}",
                          reply or redirect(f"https://m.weibo.cn/u/{uid}"))

    def domain(self, domain: str, uid: str, reply: Optional[Reply] = None) -> None:
        """m.weibo.cn/<个性域名> redirects to the profile (or answers `reply`)."""
        self.emulator.add(f"https://m.weibo.cn/{quote(domain, safe='')}",
                          reply or redirect(f"https://m.weibo.cn/u/{uid}"))

    def search(self, query: str, users: Union[list[SearchUser], Reply]) -> None:
        """What the user search lists for `query`, in order (or a Reply: a wall, an error)."""
        self.searches[query] = users

    def too_fast(self, request: Request) -> bool:
        """Whether the call came sooner than `patience` after the previous one (418 then)."""
        if self.patience is None:
            return False
        with self._pace_lock:
            early = self._last_call is not None and request.at - self._last_call < self.patience
            self._last_call = request.at
            self.rate_limited += early
        return early

    def answer(self, request: Request) -> Reply:
        if self.too_fast(request):
            return Reply(status=418, body="<html><body>请求过于频繁</body></html>")
        if request.query.get("containerid", "").startswith("100103type=3&q="):
            query = request.query["containerid"].removeprefix("100103type=3&q=")
            found = self.searches.get(query)
            page = int(request.query.get("page", "1"))
            if (query, page) in self.search_pages:
                return self.search_pages[query, page]
            if found is None:
                return EMPTY_FEED  # what m.weibo.cn answers a search that lists nothing
            if isinstance(found, Reply):
                return found
            shown = found[(page - 1) * self.per_page: page * self.per_page]
            if not shown and page > 1:
                return EMPTY_FEED  # past the last page
            more = page + 1 if page * self.per_page < len(found) else None
            return json_reply(search_document(query, shown, page, more, total=len(found)))
        account = self.accounts.get(request.query.get("value", ""))
        if account is None:
            return USER_GONE
        served = self._status_index.get(account.uid, 0)
        if served < len(account.statuses):
            self._status_index[account.uid] = served + 1
            status = account.statuses[served]
            return Reply(status=status, body="<html><body>请求过于频繁</body></html>" if status < 500 else
                         "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>")
        if "containerid" not in request.query:
            return account.info or json_reply(account.info_document())
        if request.query["containerid"] != account.containerid:
            return json_reply({"ok": 0, "msg": "参数错误", "data": {}})
        return account.feed or json_reply(account.feed_document())


    def extend(self, request: Request) -> Reply:
        """statuses/extend?id=MID: the whole text of a long post."""
        for account in self.accounts.values():
            for index, post in enumerate(account.posts):
                if post.long_text is not None and post_card(account.uid, index, post, "")["mblog"]["mid"] == request.query.get("id"):
                    return json_reply({"ok": 1, "data": {"ok": 1, "longTextContent": post.long_text,
                                                         "reposts_count": 0, "comments_count": 0}})
        return json_reply({"ok": 0, "msg": "该微博不存在", "data": {}})


def days_before(reference: datetime, days: int, hour: int = 10, minute: int = 0) -> datetime:
    moment = reference - timedelta(days=days)
    return moment.replace(hour=hour, minute=minute, second=0, microsecond=0)


def posts_at(*moments: Union[datetime, str], pinned_first: Optional[datetime] = None) -> list[Post]:
    """Posts newest first, as the feed lists them, with an optional old pinned post on top."""
    posts = [Post(created_at=m if isinstance(m, str) else weibo_time(m)) for m in moments]
    if pinned_first is not None:
        posts.insert(0, Post(created_at=weibo_time(pinned_first), pinned=True,
                             text="【置顶】宝鸡市公安局举报电话及网上办事指南"))
    return posts
