"""The review app's 登录 pages: a staff member signs in to a platform by scanning, on their own
screen, the QR code of the login page that headless Chromium opened on the auditing machine.

The sign-in runs in a thread of its own (sessions.sign_in); the page shows the QR code as the
login page drew it and reloads itself until the phone confirmed. Only a session's platform,
endpoint and time are ever shown: never its cookies.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Optional

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from ..browser import BrowserOptions
from ..errors import NmauditError
from ..sessions import LOCAL, SESSION_PLATFORMS, QrCode, SessionStore, sign_in

signin = Blueprint("signin", __name__)


@dataclass
class SignIn:
    """One sign-in under way (or just ended), as the page shows it."""

    platform: str
    status: str = "starting"  # starting | scan | done | failed
    png: Optional[bytes] = None
    message: str = ""
    thread: Optional[threading.Thread] = field(default=None, repr=False)


def _store() -> SessionStore:
    return SessionStore(current_app.config["NMAUDIT_SESSIONS"])


def _signins() -> dict[str, SignIn]:
    return current_app.extensions.setdefault("nmaudit_signins", {})


def _platform(platform: str) -> str:
    if platform not in SESSION_PLATFORMS:
        abort(404, "没有这个平台")
    return platform


@signin.route("/sessions")
def sessions():
    kept = _store().entries()
    return render_template("sessions.html", kept=kept, platforms=SESSION_PLATFORMS, local=LOCAL,
                           signins=_signins())


@signin.route("/sessions/<platform>/login", methods=["POST"])
def start(platform: str):
    platform = _platform(platform)
    running = _signins().get(platform)
    if running is None or running.status in ("done", "failed"):
        state = SignIn(platform)
        store, options, wait = _store(), current_app.config["NMAUDIT_BROWSER"], current_app.config["NMAUDIT_SIGNIN_WAIT"]

        def show(code: QrCode) -> None:
            state.png, state.status = code.png, "scan"

        def run() -> None:
            try:
                saved = asyncio.run(sign_in(platform, store, options, show, wait=wait))
            except NmauditError as error:
                state.status, state.message = "failed", str(error)
            except Exception as error:  # the page must say it failed, whatever it was
                state.status, state.message = "failed", f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            else:
                where = "本机" if saved.endpoint == LOCAL else f"端点 {saved.endpoint}"
                state.status, state.message = "done", f"已登录{SESSION_PLATFORMS[platform].label}（{where}）"
            state.png = None

        state.thread = threading.Thread(target=run, name=f"nmaudit-signin-{platform}", daemon=True)
        _signins()[platform] = state
        state.thread.start()
    return redirect(url_for("signin.progress", platform=platform), code=303)


@signin.route("/sessions/<platform>/login")
def progress(platform: str):
    platform = _platform(platform)
    state = _signins().get(platform)
    if state is None:
        return redirect(url_for("signin.sessions"))
    return render_template("signin.html", state=state, spec=SESSION_PLATFORMS[platform])


@signin.route("/sessions/<platform>/qr.png")
def qr(platform: str):
    state = _signins().get(_platform(platform))
    if state is None or state.png is None:
        abort(404, "没有待扫描的二维码")
    response = current_app.response_class(state.png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@signin.route("/sessions/<platform>/forget", methods=["POST"])
def forget(platform: str):
    platform = _platform(platform)
    removed = _store().forget(platform, every_endpoint=True)
    label = SESSION_PLATFORMS[platform].label
    flash(f"已删除{label}的登录会话" if removed else f"没有{label}的登录会话")
    return redirect(url_for("signin.sessions"), code=303)


def configure(app, sessions: Optional[str], browser: Optional[BrowserOptions], wait: float) -> None:
    from ..sessions import DEFAULT_FOLDER

    app.config.update(NMAUDIT_SESSIONS=sessions or DEFAULT_FOLDER, NMAUDIT_BROWSER=browser or BrowserOptions(),
                      NMAUDIT_SIGNIN_WAIT=wait)
    app.register_blueprint(signin)
