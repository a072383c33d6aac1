"""A platform's QR sign-in as headless Chromium meets it (Douyin's, on the emulated Douyin site).

No real login page was captured; the shape follows public scrapers' source: the visitor's page
shows a login panel whose QR code sits in ``#animate_qrcode_container``; the page's script asks
the passport service whether the code was scanned and confirmed, and on confirmation the answer
sets the ``sessionid`` cookie on ``.douyin.com``. Here the QR code is a real one (segno) that
says the URL the phone opens to confirm; a test plays the phone by decoding the screenshot and
opening that URL.

A signed-in user is never walled off by the user search (``DouyinSite.signed_in``). The site can
end a session mid-run (`revoke_after`: signed-in search pages before it does): the next request
that carries it gets ``Set-Cookie: sessionid=; Max-Age=0`` and is answered as a visitor, as a
platform answers a session it no longer accepts.
"""

from __future__ import annotations

import io
import secrets
from http.cookies import SimpleCookie
from typing import Optional

import segno

from tests.douyin_site import DouyinSite
from tests.emulator import Emulator, Reply, Request, html_reply, json_reply

LOGIN_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>抖音-记录美好生活</title>
<style>body{font:14px sans-serif;margin:24px} #animate_qrcode_container img{width:180px;height:180px}</style></head>
<body><div class="login-panel"><h2>扫码登录</h2>
<div id="animate_qrcode_container"><img alt="二维码" src="/passport/qr.png?token=__TOKEN__"></div>
<p id="state">打开抖音App，扫码登录</p></div>
<script>
const poll = () => fetch("/passport/web/check_qrconnect/?token=__TOKEN__", {credentials: "include"})
  .then(r => r.json()).then(d => {
    if (d.status === "confirmed") { document.getElementById("state").textContent = "登录成功"; return; }
    setTimeout(poll, 300);
  }).catch(() => setTimeout(poll, 300));
poll();
</script></body></html>"""


def cookie_of(request: Request, name: str) -> Optional[str]:
    header = next((value for key, value in request.headers.items() if key.lower() == "cookie"), "")
    morsel = SimpleCookie(header).get(name)
    return morsel.value if morsel else None


class DouyinLogin:
    """Douyin's QR sign-in and its sessions, on an emulated Douyin site."""

    def __init__(self, emulator: Emulator, site: DouyinSite) -> None:
        self.emulator, self.site = emulator, site
        self.confirmed: dict[str, bool] = {}  # QR token -> confirmed on the phone
        self.sessions: set[str] = set()  # sessionid values the site accepts
        self.issued: list[str] = []  # every sessionid handed out (a test greps outputs for them)
        self.revoke_after: Optional[int] = None
        self.signed_in_searches = 0
        site.signed_in = self.accepts
        emulator.add("https://www.douyin.com/", self._page)
        emulator.add("https://www.douyin.com/passport/qr.png", self._qr)
        emulator.add("https://www.douyin.com/passport/web/check_qrconnect/", self._check)
        emulator.add("https://www.douyin.com/passport/confirm", self._confirm)

    def accepts(self, request: Request) -> bool:
        return cookie_of(request, "sessionid") in self.sessions

    def watch_search(self, url: str) -> None:
        """Count the signed-in search pages at `url`, and end the session after `revoke_after`."""
        original = self.emulator.routes[("www.douyin.com", url.split("www.douyin.com", 1)[1])]

        def answer(request: Request) -> Reply:
            session = cookie_of(request, "sessionid")
            if session in self.sessions:
                self.signed_in_searches += 1
                if self.revoke_after is not None and self.signed_in_searches > self.revoke_after:
                    self.sessions.discard(session)
            reply = original(request)
            if session and session not in self.sessions:
                reply.headers = {**reply.headers, "Set-Cookie": "sessionid=; Max-Age=0; Domain=.douyin.com; Path=/; Secure"}
            return reply

        self.emulator.add(url, answer)

    def _page(self, request: Request) -> Reply:
        token = secrets.token_hex(8)
        self.confirmed[token] = False
        return html_reply(LOGIN_PAGE.replace("__TOKEN__", token))

    def _qr(self, request: Request) -> Reply:
        token = request.query.get("token", "")
        out = io.BytesIO()
        segno.make(f"https://www.douyin.com/passport/confirm?token={token}", error="m").save(out, kind="png", scale=5)
        return Reply(body=out.getvalue(), content_type="image/png")

    def _confirm(self, request: Request) -> Reply:
        token = request.query.get("token", "")
        if token not in self.confirmed:
            return json_reply({"status": "expired"}, status=404)
        self.confirmed[token] = True
        return json_reply({"status": "confirmed"})

    def _check(self, request: Request) -> Reply:
        token = request.query.get("token", "")
        if not self.confirmed.get(token):
            return json_reply({"status": "waiting"})
        session = "sess" + secrets.token_hex(16)
        self.sessions.add(session)
        self.issued.append(session)
        reply = json_reply({"status": "confirmed"})
        reply.headers = {"Set-Cookie": f"sessionid={session}; Max-Age=2592000; Domain=.douyin.com; Path=/; Secure; HttpOnly"}
        self.confirmed.pop(token)
        return reply
