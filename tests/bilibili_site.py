"""Bilibili as a cookieless Chromium sees it: an empty space shell whose script signs its calls
(``w_rid``, ``wts``) to api.bilibili.com and renders the answers; unsigned calls get -352.

Shaped after real answers (../shared/real-pages/other/): ``acc/info`` gives ``data.name`` and
``data.official`` {role, title, desc, type}; ``arc/search`` gives ``data.list.vlist[]`` with
``created`` (Unix seconds), ``aid``, ``bvid``, ``title``, ``mid``, ``author``; ``top/arc`` the
pinned video; ``code`` 0, or ``-352`` 风控校验失败 with a ``v_voucher``. The captcha page's title
is the real one (验证码_哔哩哔哩). As on the real page, wts is the page's clock: a replayed page
signs its calls with URLs that were never recorded (the replay answers them by path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from tests.douyin_site import fnv1a
from tests.emulator import Emulator, Reply, Request, html_reply, json_reply

WBI_KEY = "bl-5c1e"

CAPTCHA_PAGE = """<!DOCTYPE html><html><head><title>验证码_哔哩哔哩</title><meta charset="utf-8">
<script>window._riskdata_ = {'v_voucher': 'voucher_1f0c2a5e-7d1b-4a8e-9c40-3b2d5e6f7a81'}</script></head>
<body><div id="biliMainHeader"></div><div id="risk-captcha-app"><p>请完成验证</p></div></body></html>"""

SPACE_PAGE = """<!DOCTYPE html><html><head><meta charset="UTF-8"><title>个人空间 - 哔哩哔哩</title>
<style>body{font:14px sans-serif;margin:24px} .official{color:#f0a000} li{margin:4px 0}</style></head>
<body><div id="app"><div class="h-inner"><h1 id="name"></h1><p class="official" id="official"></p></div>
<div id="top"></div><ul id="videos"></ul></div>
<script>
window._bili_space_mid = __MID__; const WTS = Math.floor(Date.now() / 1000), KEY = "__KEY__";
function sign(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}
const mid = window._bili_space_mid, api = "https://api.bilibili.com";
const signed = q => q + "&wts=" + WTS + "&w_rid=" + sign(mid + ":" + WTS + KEY);
const get = path => fetch(api + path, {credentials: "include"}).then(r => r.json());
const day = s => new Date(s * 1000).toLocaleDateString("zh-CN");
get(signed("/x/space/wbi/acc/info?mid=" + mid)).then(d => {
  if (d.code !== 0) return;
  document.title = d.data.name + "的个人空间-" + d.data.name + "个人主页-哔哩哔哩视频";
  document.getElementById("name").textContent = d.data.name;
  document.getElementById("official").textContent = d.data.official.title;
}).catch(() => {});
get(signed("/x/space/top/arc?vmid=" + mid)).then(d => {
  if (d.code === 0) document.getElementById("top").textContent = "置顶：" + d.data.title + "（" + day(d.data.created) + "）";
}).catch(() => {}).then(() =>
get(signed("/x/space/wbi/arc/search?mid=" + mid + "&ps=30&tid=0&pn=1&keyword=&order=pubdate")).then(d => {
  if (d.code !== 0) return;
  document.getElementById("videos").innerHTML =
    d.data.list.vlist.map(v => `<li>${v.title}　${day(v.created)}</li>`).join("");
}).catch(() => {}));
</script></body></html>"""


@dataclass
class BilibiliUser:
    mid: str
    name: str
    official_title: str = ""
    official_role: int = 0
    videos: list[datetime] = field(default_factory=list)
    pinned: Optional[datetime] = None
    mode: str = "ok"  # ok | captcha (the space page itself) | risk (-352 to the page's signed calls) | 412


class BilibiliSite:
    def __init__(self, emulator: Emulator) -> None:
        self.users: dict[str, BilibiliUser] = {}
        self.refused_calls = 0
        for path, handler in (("/x/space/wbi/acc/info", self._info), ("/x/space/wbi/arc/search", self._search),
                              ("/x/space/top/arc", self._top)):
            emulator.add(f"https://api.bilibili.com{path}", handler)

    def add(self, emulator: Emulator, user: BilibiliUser) -> str:
        self.users[user.mid] = user
        url = f"https://space.bilibili.com/{user.mid}"
        emulator.add(url, lambda request: self._space(user))
        return url

    def _space(self, user: BilibiliUser) -> Reply:
        if user.mode == "captcha":
            return html_reply(CAPTCHA_PAGE)
        return html_reply(SPACE_PAGE.replace("__MID__", user.mid).replace("__KEY__", WBI_KEY))

    def _answer(self, request: Request, data_for) -> Reply:
        headers = {"Access-Control-Allow-Origin": request.headers.get("Origin") or "https://space.bilibili.com",
                   "Access-Control-Allow-Credentials": "true"}
        mid = request.query.get("mid") or request.query.get("vmid") or ""
        user = self.users.get(mid)
        if user is not None and user.mode == "412":
            return Reply(status=412, body="<html><body>The request was rejected because of the bilibili security control policy.</body></html>",
                         headers=headers)
        expected = fnv1a(f"{mid}:{request.query.get('wts')}{WBI_KEY}")
        if user is None or request.query.get("w_rid") != expected or user.mode == "risk":
            self.refused_calls += user is None or request.query.get("w_rid") != expected
            return Reply(body={"code": -352, "message": "风控校验失败", "ttl": 1,
                               "data": {"v_voucher": "voucher_84a8c3ce-33f5-4551-9552-9c6b13aa7938"}}, headers=headers)
        code, data = data_for(user)
        return Reply(body={"code": code, "message": "0" if code == 0 else "啥都木有", "ttl": 1, "data": data},
                     headers=headers)

    def _info(self, request: Request) -> Reply:
        def data(user: BilibiliUser):
            return 0, {"mid": int(user.mid), "name": user.name, "sex": "保密", "face": "https://i0.hdslb.com/bfs/face/x.jpg",
                       "sign": "", "rank": 10000, "level": 6, "jointime": 0, "moral": 0, "silence": 0,
                       "official": {"role": user.official_role, "title": user.official_title, "desc": "",
                                    "type": 1 if user.official_role else -1},
                       "vip": {"type": 0, "status": 0}, "is_followed": False}
        return self._answer(request, data)

    def _search(self, request: Request) -> Reply:
        def data(user: BilibiliUser):
            ordered = sorted(user.videos, reverse=True)
            vlist = [{"comment": 3, "typeid": 21, "play": 1500 + n, "pic": "http://i1.hdslb.com/bfs/archive/x.jpg",
                      "subtitle": "", "description": "", "copyright": "1", "title": f"平安宝鸡 第{len(ordered) - n}期",
                      "review": 0, "author": user.name, "mid": int(user.mid), "created": int(moment.timestamp()),
                      "length": "03:12", "video_review": 0, "aid": 114000000 + n, "bvid": f"BV1Xx41{n:05d}",
                      "is_pay": 0, "is_union_video": 0, "is_live_playback": 0, "is_avoided": 0, "attribute": 0}
                     for n, moment in enumerate(ordered)]
            return 0, {"list": {"slist": [], "tlist": {}, "vlist": vlist},
                       "page": {"pn": 1, "ps": 30, "count": len(vlist)},
                       "episodic_button": {"text": "播放全部", "uri": f"//www.bilibili.com/medialist/play/{user.mid}?from=space"},
                       "is_risk": False, "gaia_res_type": 0, "gaia_data": None}
        return self._answer(request, data)

    def _top(self, request: Request) -> Reply:
        def data(user: BilibiliUser):
            if user.pinned is None:
                return 53016, None
            return 0, {"aid": 113000000, "bvid": "BV1Tp41000001", "title": "平安宝鸡 宣传片（置顶）",
                       "created": int(user.pinned.timestamp()), "pubdate": int(user.pinned.timestamp()),
                       "owner": {"mid": int(user.mid), "name": user.name}}
        return self._answer(request, data)
