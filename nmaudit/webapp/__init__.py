"""The staff review web page (`nmaudit review`): Flask, Jinja2 templates rendered on the server.

Safe by default: it binds to 127.0.0.1 (and then answers only to local host names, against
DNS rebinding); anywhere else it needs an access token, checked on every request (`?token=`
once, then a cookie). Every POST carries the session's CSRF token. Templates escape
everything (names and pages come from the platforms), and pages may run only the app's own
script (Content-Security-Policy).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any, Callable, Optional
from urllib.parse import urlencode

from flask import Flask, abort, g, redirect, request, session
from werkzeug.serving import make_server

from ..errors import UsageError
from ..store import Store

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_COOKIE = "nmaudit_token"
CSRF_FIELD = "csrf_token"
#: Request bodies larger than this are refused whole (a screenshot is checked again on its own).
UPLOAD_LIMIT = 10 * 1024 * 1024

#: Pages run only /static/review.js; captured evidence never runs anything (see views.evidence).
PAGE_POLICY = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS


def create_app(db: str, *, snapshots: Optional[str] = None, host: str = "127.0.0.1",
               token: Optional[str] = None, sessions: Optional[str] = None, browser: Optional[Any] = None,
               signin_wait: float = 180.0) -> Flask:
    """The review app over database `db`.

    `snapshots`: the evidence folder; default: the folder each run was audited with.
    `host`: where it will listen; anything but this machine requires `token`.
    `sessions`, `browser`: where the 登录 pages keep sessions, and the Chromium they sign in with.
    """
    if not is_local(host) and not token:
        raise UsageError(f"绑定到 {host} 时必须设置访问令牌（--token）；只在本机使用请绑定 127.0.0.1")
    app = Flask(__name__)
    app.config.update(
        NMAUDIT_DB=db, NMAUDIT_SNAPSHOTS=snapshots, NMAUDIT_TOKEN=token,
        SECRET_KEY=secrets.token_hex(32),  # sessions last as long as the server runs
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="nmaudit_session",
        # A phone screenshot and its form; anything larger is refused (413) before it is read.
        MAX_CONTENT_LENGTH=UPLOAD_LIMIT,
    )
    if host in ("127.0.0.1", "localhost"):
        app.config["TRUSTED_HOSTS"] = ["127.0.0.1", "localhost"]

    app.before_request(_check_token)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.teardown_appcontext(_close_store)
    app.jinja_env.globals["csrf_token"] = csrf_token

    from .signin import configure
    from .views import views

    app.register_blueprint(views)
    configure(app, sessions, browser, signin_wait)
    return app


def store() -> Store:
    """This request's connection to the database (SQLite connections stay in their thread)."""
    if "store" not in g:
        from flask import current_app

        g.store = Store(current_app.config["NMAUDIT_DB"])
    return g.store


def _close_store(_error: Optional[BaseException]) -> None:
    opened = g.pop("store", None)
    if opened is not None:
        opened.close()


def _check_token():
    from flask import current_app

    token = current_app.config["NMAUDIT_TOKEN"]
    if not token:
        return None
    offered = request.args.get("token")
    if offered is not None and hmac.compare_digest(offered.encode(), token.encode()):
        # Swap the token in the address for a cookie, so it does not stay in history or links.
        rest = [(key, value) for key, value in request.args.items(multi=True) if key != "token"]
        response = redirect(request.path + (f"?{urlencode(rest)}" if rest else ""), code=303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
        return response
    cookie = request.cookies.get(TOKEN_COOKIE, "")
    if not hmac.compare_digest(cookie.encode(), token.encode()):
        abort(403, "需要访问令牌：请打开 nmaudit review 启动时显示的完整地址")
    return None


def csrf_token() -> str:
    """The session's CSRF token, for the hidden field of every form."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def _check_csrf():
    if request.method != "POST":
        return None
    expected = session.get(CSRF_FIELD)
    offered = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(offered.encode(), expected.encode()):
        abort(400, "表单已失效或来源不明（CSRF 校验未通过）：请刷新页面后重新提交")
    return None


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def address(host: str, port: int, path: str = "/", token: Optional[str] = None) -> str:
    """The URL to open, token included."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}" + (f"?{urlencode({'token': token})}" if token else "")


def serve(app: Flask, host: str, port: int, ready: Callable[[int], None]) -> None:
    """Serve until Ctrl-C. `ready(port)` is called once listening (port 0 picks a free one)."""
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as error:
        raise UsageError(f"无法在 {host}:{port} 上启动复核页面：{error.strerror or error}") from None
    try:
        ready(server.server_port)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
