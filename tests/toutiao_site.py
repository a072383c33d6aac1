"""A Toutiao-like profile (www.toutiao.com/c/user/token/<token>/) for the generic rules on what a
page loads: the HTML carries nothing, its script signs a call to ``/api/pc/list/feed?category=
profile_all&token=…&_signature=…`` and renders ``data[]`` (``publish_time`` in Unix seconds,
``user_info`` with ``name`` and ``verified_content``). Unsigned calls get an error answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tests.douyin_site import fnv1a
from tests.emulator import Emulator, Reply, Request, html_reply, json_reply

KEY = "tt-19b2"

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>今日头条</title></head>
<body><div class="profile-info"><h1 class="name" id="name"></h1><p class="verify" id="verify"></p></div>
<div class="profile-feed" id="feed"></div>
<script>
const TOKEN = "__TOKEN__";
function sign(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}
fetch("/api/pc/list/feed?category=profile_all&token=" + TOKEN + "&max_behot_time=0&aid=24&_signature=" + sign(TOKEN + "__KEY__"))
  .then(r => r.json()).then(d => {
    const user = d.data.length ? d.data[0].user_info : {name: "", verified_content: ""};
    document.title = user.name + " - 今日头条";
    document.getElementById("name").textContent = user.name;
    document.getElementById("verify").textContent = user.verified_content;
    document.getElementById("feed").innerHTML = d.data.map(item =>
      `<div class="feed-card"><a href="/article/${item.group_id}/">${item.title}</a>
       <span class="time" data-ts="${item.publish_time}">${new Date(item.publish_time * 1000).toLocaleDateString("zh-CN")}</span></div>`).join("");
  });
</script></body></html>"""


@dataclass
class ToutiaoUser:
    token: str
    name: str
    verified: str = ""
    posts: list[datetime] = field(default_factory=list)


class ToutiaoSite:
    def __init__(self, emulator: Emulator) -> None:
        self.users: dict[str, ToutiaoUser] = {}
        self.refused_calls = 0
        emulator.add("https://www.toutiao.com/api/pc/list/feed", self._feed)

    def add(self, emulator: Emulator, user: ToutiaoUser) -> str:
        self.users[user.token] = user
        url = f"https://www.toutiao.com/c/user/token/{user.token}/"
        emulator.add(url, html_reply(PAGE.replace("__TOKEN__", user.token).replace("__KEY__", KEY)))
        return url

    def _feed(self, request: Request) -> Reply:
        user = self.users.get(request.query.get("token", ""))
        if user is None or request.query.get("_signature") != fnv1a(user.token + KEY):
            self.refused_calls += 1
            return json_reply({"message": "error", "data": [], "has_more": False})
        return json_reply({"message": "success", "has_more": False, "next": {"max_behot_time": 0}, "data": [
            {"group_id": str(7300000000000000000 + n), "title": f"宝鸡发布 第{n + 1}条", "publish_time": int(moment.timestamp()),
             "behot_time": int(moment.timestamp()), "comment_count": 2,
             "user_info": {"user_id": "51234567890", "name": user.name, "user_verified": bool(user.verified),
                           "verified_content": user.verified}}
            for n, moment in enumerate(sorted(user.posts, reverse=True))]})
