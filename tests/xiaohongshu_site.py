"""Xiaohongshu as a cookieless Chromium sees it: a profile that renders its name and a note grid
without publication times, and whose own call to the notes API is refused for want of a login;
or a profile that sends the visitor to a captcha or login page.

After public scrapers' source (no real capture exists): profile
``www.xiaohongshu.com/user/profile/<24 hex>``; ``/api/sns/web/v1/user_posted`` signed with
``x-s``/``x-t`` answers ``{"code": -101, "success": false, "msg": "无登录信息，或登录信息为空"}``
without the ``web_session`` cookie; visitors are sent to ``/website-login/captcha`` or ``/login``.
Emulation choices: the API is served on the page's own host (the real one is another host),
the title is ``<name> - 小红书`` (the real title is unverified), and both walls are the server's
redirects.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.emulator import Emulator, Reply, Request, html_reply, redirect

PROFILE_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>__NAME__ - 小红书</title>
<style>body{font:14px sans-serif;margin:24px} .note-item{display:inline-block;width:160px;margin:6px}</style></head>
<body><div class="user-info"><div class="user-name">__NAME__</div><div class="user-redId">小红书号：__RED_ID__</div></div>
<div class="feeds-container">__NOTES__</div>
<script>
const USER_ID = "__USER_ID__";
fetch("/api/sns/web/v1/user_posted?num=30&cursor=&user_id=" + USER_ID + "&image_formats=jpg,webp,avif",
      {headers: {"x-s": "XYW_" + btoa(USER_ID).slice(0, 12), "x-t": String(Date.now())}})
  .then(r => r.json()).then(d => { if (!d.success) document.querySelector(".feeds-container").dataset.login = "required"; })
  .catch(() => {});
</script></body></html>"""

LOGIN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>小红书 - 你的生活指南</title></head>
<body><div class="login-container"><p>手机号登录</p><p>扫码登录</p></div></body></html>"""

CAPTCHA_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证 - 小红书</title></head>
<body><div id="red-captcha"><p>请完成安全验证</p></div></body></html>"""


@dataclass
class XiaohongshuAccount:
    user_id: str  # 24 hex digits
    name: str
    red_id: str = "95270001"
    #: renders (name and notes shown, no times) | captcha (redirected to /website-login/captcha) |
    #: login (redirected to /login)
    mode: str = "renders"


class XiaohongshuSite:
    def __init__(self, emulator: Emulator) -> None:
        self.calls = 0
        emulator.add("https://www.xiaohongshu.com/api/sns/web/v1/user_posted", self._posted)
        emulator.add("https://www.xiaohongshu.com/website-login/captcha", html_reply(CAPTCHA_PAGE))
        emulator.add("https://www.xiaohongshu.com/login", html_reply(LOGIN_PAGE))

    def add(self, emulator: Emulator, account: XiaohongshuAccount) -> str:
        url = f"https://www.xiaohongshu.com/user/profile/{account.user_id}"
        emulator.add(url, lambda request: self._profile(account))
        return url

    def _profile(self, account: XiaohongshuAccount) -> Reply:
        if account.mode == "captcha":
            return redirect(f"https://www.xiaohongshu.com/website-login/captcha?redirectPath=%2Fuser%2Fprofile%2F"
                            f"{account.user_id}&verifyType=124")
        if account.mode == "login":
            return redirect(f"https://www.xiaohongshu.com/login?redirectPath=%2Fuser%2Fprofile%2F{account.user_id}")
        notes = "".join(f'<section class="note-item"><a href="/explore/65{account.user_id[:6]}{n:016x}">'
                        f'<span class="title">{account.name}的第{n + 1}篇笔记</span></a><span class="like">{20 + n}</span></section>'
                        for n in range(6))
        return html_reply(PROFILE_PAGE.replace("__NAME__", account.name).replace("__RED_ID__", account.red_id)
                          .replace("__USER_ID__", account.user_id).replace("__NOTES__", notes))

    def _posted(self, request: Request) -> Reply:
        self.calls += 1
        # Whatever the signature, no web_session cookie: no notes.
        return Reply(body={"code": -101, "success": False, "msg": "无登录信息，或登录信息为空", "data": {}})
