"""A night's worth of hostile pages, served locally for the fault suite (tests/test_faults.py).

Every fault is an account of its own, on a host of its own, among healthy control accounts:

- `hang`: the server takes the request and never answers;
- `drip`: headers, then one byte every half second, forever;
- `reset`: the connection is reset (TCP RST) before any answer;
- `huge-length`: Content-Length 300 MB (a JSON answer as big as one that took a renderer to 5 GB);
- `endless`: a chunked HTML body that never ends, as fast as the socket takes it;
- `endless-markup`: the same, of small elements (a DOM node every few bytes: what costs a
  renderer most per byte parsed);
- `large-html`: 80 MB of markup that does end, without a Content-Length (the size cap, not the
  header, has to stop it);
- `script-loop`: a page whose script never returns (`while(true){}`): the renderer is stuck;
- `redirect-loop`: /a -> /b -> /a ...;
- `unavailable`: 503 with Retry-After, every time;
- `rate-limited`: 418 with an empty body (what Weibo answers when hit too fast);
- `dialogs`: a healthy page that opens alert and confirm dialogs and has a beforeunload handler;
- `interaction-432`: a healthy page whose declared interaction page answers 432, empty;
- `endless-download`: an app whose .apk link streams zeros forever, as an attachment.

Controls are healthy `web` pages (a name and recent posts: 合格) and one stale one (不合格).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Optional

from nmaudit.dates import now
from nmaudit.models import Account, Extract, Extractor
from tests.emulator import Emulator, Reply

EXTRACT = Extract(name=Extractor(css="h1"), posts=Extractor(css="li", attr="data-ts", format="%s"))


#: 64 KB of small elements: a DOM node (and its layout) every dozen bytes.
MARKUP = b"".join(b'<div class=p><span>%d</span><a href="#%d">x</a></div>' % (n, n) for n in range(1400))[:65536]


def healthy_page(name: str, newest: datetime, script: str = "") -> str:
    posts = "".join(f'<li data-ts="{int((newest - timedelta(days=d)).timestamp())}">第{d}条</li>' for d in range(5))
    return (f"<!DOCTYPE html><html><head><meta charset=utf-8><title>{name}</title>{script}</head>"
            f"<body><h1>{name}</h1><ul>{posts}</ul></body></html>")


@dataclass
class Expected:
    verdict: str
    code: Optional[str] = None  # a finding the account must have
    says: Optional[str] = None  # text its findings' messages must contain


class FaultSite:
    """Registers every fault and control on the emulator; `accounts` and `expected` for the suite."""

    def __init__(self, emulator: Emulator, controls: int = 8):
        self.emulator = emulator
        self.stop = threading.Event()  # ends the server threads that would go on forever
        self.streams = 0  # endless writers still writing
        self._lock = threading.Lock()
        self.accounts: list[Account] = []
        self.expected: dict[str, Expected] = {}
        self.newest = now() - timedelta(hours=3)
        self._build(controls)

    # -- raw writers -------------------------------------------------------------------------------

    def _hang(self, handler: BaseHTTPRequestHandler) -> None:
        self.stop.wait(600)

    def _drip(self, handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            b"Content-Length: 100000\r\n\r\n<html><body>")
        while not self.stop.wait(0.5):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    def _reset(self, handler: BaseHTTPRequestHandler) -> None:
        # Linger 0: closing sends a TCP RST, not a FIN (and no TLS close_notify either).
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()

    def _endless(self, content_type: bytes, extra: bytes = b"", declared: Optional[int] = None,
                 chunk: Optional[bytes] = None, total: Optional[int] = None):
        """Writes `chunk` (by default 60 KB of text in a <p>, or zeros) until the suite ends,
        or until `total` bytes have gone."""
        if chunk is None:
            chunk = (b"<p>" + "宝鸡".encode() * 10_000 + b"</p>") if b"html" in content_type else b"\0" * 65536

        def write(handler: BaseHTTPRequestHandler) -> None:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type + b"\r\n" + extra
            head += (b"Content-Length: %d\r\n" % declared) if declared else b"Transfer-Encoding: chunked\r\n"
            handler.wfile.write(head + b"\r\n")
            sent = 0
            with self._lock:
                self.streams += 1
            try:
                while not self.stop.is_set() and (total is None or sent < total):
                    sent += len(chunk)
                    if declared:
                        handler.wfile.write(chunk)
                    else:
                        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                if total is not None and not declared:
                    handler.wfile.write(b"0\r\n\r\n")
            finally:
                with self._lock:
                    self.streams -= 1
        return write

    # -- accounts ----------------------------------------------------------------------------------

    def _web(self, key: str, answer, expected: Expected, interaction: Optional[str] = None) -> None:
        url = f"https://{key}.fault.example.gov.cn/profile"
        self.emulator.add(url, answer)
        self.accounts.append(Account(id=key, name="宝鸡发布", platform="web", owner="宝鸡市人民政府新闻办公室",
                                     urls=[url], extract=EXTRACT, interaction=interaction))
        self.expected[key] = expected

    def _build(self, controls: int) -> None:
        healthy = healthy_page("宝鸡发布", self.newest)
        loop = Reply(body=healthy_page("宝鸡发布", self.newest, "<script>while (true) {}</script>"))
        # The hung renderer first: the controls after it must come out right on the same workers.
        self._web("script-loop", loop, Expected("review", "unreachable", "页面无响应"))
        for n in range(controls // 2):
            self._web(f"control-{n}", Reply(body=healthy), Expected("pass"))
        self._web("hang", Reply(raw=self._hang), Expected("review", "unreachable", "超时"))
        self._web("drip", Reply(raw=self._drip), Expected("review", "unreachable", "超时"))
        self._web("reset", Reply(raw=self._reset), Expected("review", "unreachable", "连接被重置"))
        self._web("huge-length", Reply(raw=self._endless(b"application/json", declared=300 * 1024 * 1024)),
                  Expected("review", "unreachable", "Content-Length"))
        self._web("endless", Reply(raw=self._endless(b"text/html; charset=utf-8")),
                  Expected("review", "unreachable", "响应过大"))
        self._web("endless-markup", Reply(raw=self._endless(b"text/html; charset=utf-8", chunk=MARKUP)),
                  Expected("review", "unreachable", "响应过大"))
        self._web("large-html", Reply(raw=self._endless(b"text/html; charset=utf-8", chunk=MARKUP,
                                                        total=80 * 1024 * 1024)),
                  Expected("review", "unreachable", "响应过大"))
        self.emulator.add("https://redirect-loop.fault.example.gov.cn/other",
                          Reply(status=302, headers={"Location": "https://redirect-loop.fault.example.gov.cn/profile"}))
        self._web("redirect-loop", Reply(status=302, headers={"Location": "/other"}),
                  Expected("review", "unreachable", "重定向次数过多"))
        self._web("unavailable", Reply(status=503, body="", headers={"Retry-After": "1"}),
                  Expected("review", "unreachable", "HTTP 503"))
        self._web("rate-limited", Reply(status=418, body=b""), Expected("review", "blocked", "HTTP 418"))
        dialogs = ("<script>alert('欢迎访问'); confirm('确定离开？');"
                   "addEventListener('beforeunload', e => { e.preventDefault(); e.returnValue = ''; });</script>")
        self._web("dialogs", Reply(body=healthy_page("宝鸡发布", self.newest, dialogs)), Expected("pass"))
        self.emulator.add("https://interaction.fault.example.gov.cn/liuyan", Reply(status=432, body=b""))
        self._web("interaction-432", Reply(body=healthy), Expected("review", "blocked", "HTTP 432"),
                  interaction="https://interaction.fault.example.gov.cn/liuyan")
        apk = "https://dl.fault.example.gov.cn/app/baoji.apk"
        self.emulator.add(apk, Reply(raw=self._endless(
            b"application/vnd.android.package-archive",
            b"Content-Disposition: attachment; filename=baoji.apk\r\n")))
        self.accounts.append(Account(id="endless-download", name="宝鸡政务", platform="app",
                                     owner="宝鸡市大数据局", urls=[apk]))
        self.expected["endless-download"] = Expected("review", "unparsed", "不是安装包")
        for n in range(controls // 2, controls):
            self._web(f"control-{n}", Reply(body=healthy), Expected("pass"))
        stale = healthy_page("宝鸡发布", self.newest - timedelta(days=30))
        self._web("control-stale", Reply(body=stale), Expected("fail", "stale-14d"))

    def close(self) -> None:
        self.stop.set()
        deadline = time.monotonic() + 10
        while self.streams and time.monotonic() < deadline:
            time.sleep(0.1)
