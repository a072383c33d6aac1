"""A local HTTPS server that answers for the real platforms' host names.

Chromium is pointed at it with --host-resolver-rules and --ignore-certificate-errors, so
nmaudit requests the real URLs (https://m.weibo.cn/api/...) and recordings carry them.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qsl, urlsplit

import trustme


@dataclass
class Request:
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    method: str = "GET"
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: Union[bytes, str, dict, list] = b""
    content_type: Optional[str] = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without answering (a reset)
    #: Full control of the answer (tests/fault_site.py): called with the request handler,
    #: writes what it likes to `handler.wfile`, however long it takes.
    raw: Optional[Callable[[BaseHTTPRequestHandler], None]] = None

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body, ensure_ascii=False).encode(), self.content_type or "application/json; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/html; charset=utf-8"
        return self.body, self.content_type or "application/octet-stream"


Handler = Callable[[Request], Reply]


def json_reply(document: Union[dict, list], status: int = 200) -> Reply:
    return Reply(status=status, body=document)


def html_reply(html: str, status: int = 200) -> Reply:
    return Reply(status=status, body=html)


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


NOT_FOUND = Reply(status=404, body="<html><head><title>404 Not Found</title></head><body>404</body></html>")


class Emulator:
    """Routes by (host, path) to a fixed Reply or a handler; records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Union[Reply, Handler]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None

    def add(self, url: str, answer: Union[Reply, Handler]) -> None:
        """Answer `url` (scheme ignored, query ignored: handlers read the query themselves)."""
        parts = urlsplit(url)
        self.routes[(parts.hostname or "", parts.path or "/")] = answer

    def requests_to(self, host: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.host == host]

    def answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
        route = self.routes.get((request.host, request.path))
        if route is None:
            return NOT_FOUND
        return route(request) if callable(route) else route

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def browser_args(self) -> list[str]:
        return [
            f"--host-resolver-rules=MAP * 127.0.0.1:{self.port}, EXCLUDE localhost",
            "--ignore-certificate-errors",
        ]

    def start(self) -> "Emulator":
        emulator = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    body=self.rfile.read(length) if length else b"",
                    host=(self.headers.get("Host") or "").split(":")[0],
                    path=parts.path,
                    query=dict(parse_qsl(parts.query)),
                    headers=dict(self.headers.items()),
                    at=time.monotonic(),
                )
                reply = emulator.answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                if reply.raw is not None:
                    self.close_connection = True
                    try:
                        reply.raw(self)
                    except OSError:
                        pass  # the browser hung up: that is what faults are for
                    return
                body, content_type = reply.encoded()
                self.send_response(reply.status)
                if body or reply.status not in (301, 302, 303, 307, 308):
                    self.send_header("Content-Type", content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        authority = trustme.CA()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        authority.issue_cert("localhost", "*.weibo.cn", "*.weibo.com").configure_cert(context)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request: Any, client_address: Any) -> None:
                # The TLS handshake runs here, in the connection's own thread, not in accept():
                # a client that connects and then stalls (a frozen browser server) would
                # otherwise hold the accepting loop, and stop() would wait for it forever.
                try:
                    tls = context.wrap_socket(request, server_side=True)
                except OSError:
                    return  # browsers drop connections mid-handshake
                try:
                    super().finish_request(tls, client_address)
                finally:
                    tls.close()

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # browsers drop connections mid-handshake; that is not the test's business

        server = Server(("127.0.0.1", 0), RequestHandler)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
