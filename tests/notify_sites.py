"""Local receivers for notifications, and runs stored without a browser.

A JSON webhook (http.server in a thread; Apprise's json://) and an SMTP server (aiosmtpd)
keep every message they are sent, so tests see exactly what a unit or supervisor would.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from aiosmtpd.controller import Controller

from nmaudit.models import Account, Observation, RunInfo, SourceRecord
from nmaudit.rules import judge
from nmaudit.store import Store


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebhookReceiver:
    """A JSON webhook on 127.0.0.1: every POST kept as (path, decoded JSON body)."""

    def __init__(self, port: int = 0):
        self.received: list[tuple[str, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.append((self.path, json.loads(self.rfile.read(length).decode("utf-8"))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def messages(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.received if where.split("?")[0] == "/" + path.lstrip("/")]

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailReceiver:
    """An SMTP server on 127.0.0.1 keeping each message as (recipients, subject, text)."""

    def __init__(self):
        self.received: list[tuple[list[str], str, str]] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's naming)
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                part = message.get_body(preferencelist=("plain", "html"))
                receiver.received.append((list(envelope.rcpt_tos), str(message["subject"]), part.get_content()))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())

    def url(self, to: str) -> str:
        return (f"mailto://127.0.0.1:{self.controller.port}?from=nmaudit@example.gov.cn&to={to}"
                "&name=nmaudit")

    def __enter__(self) -> "MailReceiver":
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


def store_run(store: Store, run_id: str, as_of: datetime, seen: list[tuple[Account, Observation]]) -> str:
    """A finished run stored the way an audit stores it: judged with each account's history."""
    run = RunInfo(id=run_id, as_of=as_of, registry="accounts.yaml", started_at=as_of, finished_at=as_of)
    store.start_run(run, [account for account, _ in seen], registry_sha256="test", tool_version="test",
                    browser="none", options={"snapshots": "snapshots"})
    for account, observation in seen:
        store.save_account(run_id, observation, judge(account, observation, as_of, store.prior(account.id, run)), [])
    store.finish_run(run_id, as_of)
    return run_id


def weibo_seen(account_id: str, newest: Optional[datetime], as_of: datetime, **fields: Any) -> Observation:
    """What a Weibo adapter would have stored: a listing source with the newest post."""
    url = f"https://m.weibo.cn/api/container/getIndex?containerid=107603{account_id}"
    values: dict[str, Any] = {
        "account_id": account_id, "platform": "weibo", "started_at": as_of, "finished_at": as_of,
        "checks": ["update", "name", "certification"], "sources": [SourceRecord(kind="weibo-posts", url=url)],
        "evidence": [f"snapshots/{account_id}/01.jpg"],
    }
    if newest is not None:
        values.update(newest_post_at=newest, newest_post_source=url, newest_post_lists_newest=True)
    values.update(fields)
    return Observation(**values)
