"""Signed-in sessions, end to end in headless Chromium against an emulated QR sign-in
(tests/login_site.py): sign-in through the review app's 平台登录 page, a run that reads as the
signed-in user, a session the platform ends mid-run (detected on its first page, told to the
operator once, the run finished as a visitor), and the session nowhere in what the run wrote.
"""

from __future__ import annotations

import json
import re
import ssl
import stat
import time
import urllib.request
from datetime import datetime, timedelta

import pytest

from nmaudit.browser import BrowserOptions, public_headers, strip_har_secrets
from nmaudit.dates import BEIJING
from nmaudit.sessions import SESSION_PLATFORMS, SessionStore, endpoint_key, merged_state, qr_text, terminal_qr
from nmaudit.webapp import create_app
from tests.douyin_site import DouyinSite, DouyinUser
from tests.emulator import Emulator
from tests.login_site import DouyinLogin
from tests.notify_sites import WebhookReceiver
from tests.test_registry_tools import nmaudit

pytestmark = pytest.mark.browser

ACCOUNTS = ["bjga001", "bjga002", "bjga003", "bjga004"]


@pytest.fixture(scope="module")
def site(emulator: Emulator):
    douyin = DouyinSite(emulator)
    login = DouyinLogin(emulator, douyin)
    for position, douyin_id in enumerate(ACCOUNTS):
        url = douyin.search(douyin_id, [DouyinUser(f"MS4wLjABAAAA-sess{position}", f"平安宝鸡{position}",
                                                   custom_verify="宝鸡市公安局官方账号", unique_id=douyin_id,
                                                   posts=[(datetime.now(BEIJING) - timedelta(days=2), False)])])
        login.watch_search(url)
    douyin.search_wall_after = 0  # a visitor is walled off at once; a signed-in user never
    return douyin, login


def phone_opens(emulator: Emulator, url: str) -> None:
    """The phone scanned the code and confirmed: it opens the URL the code says."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    path = url.split("www.douyin.com", 1)[1]
    request = urllib.request.Request(f"https://127.0.0.1:{emulator.port}{path}", headers={"Host": "www.douyin.com"})
    with urllib.request.urlopen(request, context=context) as answer:
        assert answer.status == 200


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def signed_in(site, emulator, tmp_path_factory):
    """Sign in to Douyin through the review app, as a staff member would."""
    folder = tmp_path_factory.mktemp("sessions-run")
    app = create_app(str(folder / "nmaudit.db"), sessions=str(folder / "sessions"),
                     browser=BrowserOptions(browser_args=emulator.browser_args, timeout=15), signin_wait=60)
    client = app.test_client()
    listing = client.get("/sessions").get_data(as_text=True)
    assert "还没有登录任何平台" in listing and "扫码登录抖音" in listing
    started = client.post("/sessions/douyin/login", data={"csrf_token": csrf(listing)})
    assert started.status_code == 303 and started.headers["Location"].endswith("/sessions/douyin/login")
    deadline, png = time.monotonic() + 40, None
    while time.monotonic() < deadline:
        answer = client.get("/sessions/douyin/qr.png")
        if answer.status_code == 200:
            png = answer.data
            break
        time.sleep(0.3)
    assert png, "the login page's QR code was shown"
    waiting = client.get("/sessions/douyin/login").get_data(as_text=True)
    assert "请用抖音 App 扫描下方二维码" in waiting and 'src="/sessions/douyin/qr.png"' in waiting
    assert 'http-equiv="refresh"' in waiting
    said = qr_text(png)
    assert said and said.startswith("https://www.douyin.com/passport/confirm?token=")
    phone_opens(emulator, said)
    deadline, done = time.monotonic() + 40, ""
    while time.monotonic() < deadline:
        done = client.get("/sessions/douyin/login").get_data(as_text=True)
        if "已登录抖音" in done or "登录未完成" in done:
            break
        time.sleep(0.3)
    assert "已登录抖音（本机）" in done, done
    return folder, client


def test_sign_in_through_the_review_app_keeps_an_owner_only_session(site, signed_in):
    folder, client = signed_in
    login = site[1]
    sessions = folder / "sessions"
    path = sessions / "douyin@local.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(sessions.stat().st_mode) == 0o700
    assert login.issued and login.issued[-1] in path.read_text(encoding="utf-8")
    listing = client.get("/sessions").get_data(as_text=True)
    assert "抖音" in listing and "本机" in listing
    assert not any(secret in listing for secret in login.issued), "the page never shows the session"
    [entry] = SessionStore(sessions).entries()
    assert (entry.platform, entry.endpoint) == ("douyin", "local") and entry.expires_at is not None


def test_a_post_without_the_csrf_token_starts_no_sign_in(signed_in):
    client = signed_in[1]
    assert client.post("/sessions/weibo/login", data={"csrf_token": "guess"}).status_code == 400
    assert client.get("/sessions/weibo/login").status_code == 302  # nothing under way


@pytest.fixture(scope="module")
def audited(site, signed_in, emulator):
    """A run that reads as the signed-in user until Douyin ends the session after two searches."""
    folder = signed_in[0]
    douyin, login = site
    login.revoke_after = 2
    registry = folder / "accounts.yaml"
    registry.write_text("version: 1\naccounts:\n" + "".join(
        f"  - {{id: dy-{position}, name: 平安宝鸡{position}, platform: web, owner: 宝鸡市公安局,"
        f" certified_as: 宝鸡市公安局, ids: {{douyin: {douyin_id}}}}}\n"
        for position, douyin_id in enumerate(ACCOUNTS)), encoding="utf-8")
    with WebhookReceiver() as hooks:
        (folder / "contacts.yaml").write_text(
            f"version: 1\noperator: {hooks.url('/operator')}\n", encoding="utf-8")
        (folder / "contacts.yaml").chmod(0o600)
        done = nmaudit("audit", "accounts.yaml", "--sessions", "sessions", "--contacts", "contacts.yaml",
                       "--concurrency", "1", "--pace", "0", "--timeout", "15", "--record", "--format", "json",
                       "-o", "report.json", *(f"--browser-arg={arg}" for arg in emulator.browser_args), cwd=folder)
        told = hooks.messages("/operator")
    return folder, done, told


def test_the_run_reads_as_the_signed_in_user_until_the_session_lapses(site, audited, emulator):
    folder, done, told = audited
    assert done.returncode == 0, done.stderr
    accounts = {item["id"]: item for item in json.loads((folder / "report.json").read_text(encoding="utf-8"))["accounts"]}
    for account_id in ("dy-0", "dy-1"):  # signed in, the search is not walled off
        assert accounts[account_id]["verdict"] == "pass", accounts[account_id]["findings"]
        assert accounts[account_id]["observed"]["name"] == f"平安宝鸡{account_id[-1]}"
    sent = [request.headers.get("Cookie", "") for request in emulator.requests_to("www.douyin.com")
            if request.path.startswith("/search/")]
    assert sum("sessionid=sess" in cookie for cookie in sent) == 3, "the session went with the signed-in searches"


def test_a_lapse_is_detected_on_its_first_page_told_once_and_the_run_goes_on_as_a_visitor(audited):
    folder, done, told = audited
    summary = next(line for line in done.stderr.splitlines() if line.startswith("批次 "))
    assert "；登录会话：抖音（本机）" in summary
    assert summary.endswith("；抖音登录已失效：检查账号 dy-2 时发现（登录凭据（sessionid）已被平台清除或过期），"
                            "本次其余账号以访客身份检查；请重新登录：nmaudit login douyin")
    assert len(told) == 1, told  # once, though two accounts were read after the lapse
    assert "抖音登录已失效：检查账号 dy-2 时发现" in str(told[0])
    accounts = {item["id"]: item for item in json.loads((folder / "report.json").read_text(encoding="utf-8"))["accounts"]}
    # After the lapse, as a visitor: walled off, deferred for --resume, never judged idle.
    for account_id in ("dy-2", "dy-3"):
        assert accounts[account_id]["verdict"] == "review"
        assert [finding["code"] for finding in accounts[account_id]["findings"]] == ["blocked"]
    assert "验证码" in accounts["dy-2"]["findings"][0]["message"]
    assert accounts["dy-3"]["findings"][0]["message"].startswith("抖音用户搜索已在本次检查中停止使用")
    assert "nmaudit audit --resume" in done.stderr


def test_the_session_is_in_no_evidence_file_recording_log_or_page(site, audited):
    folder, done, told = audited
    login = site[1]
    secrets = login.issued
    assert secrets
    written = [path for path in folder.rglob("*") if path.is_file() and "sessions" not in path.relative_to(folder).parts]
    assert any(path.suffix == ".har" for path in written) and any(path.suffix == ".jpg" for path in written)
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{path} holds the session"
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr and secret not in str(told)
    har = next(path for path in written if path.suffix == ".har").read_text(encoding="utf-8")
    assert '"name": "Cookie"' not in har and '"name": "cookie"' not in har and "Set-Cookie" not in har


def test_login_list_and_forget(signed_in):
    folder = signed_in[0]
    listed = nmaudit("login", "--list", "--sessions", "sessions", cwd=folder)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("抖音\t本机\t登录于 ") and "用于：抖音主页与用户搜索" in listed.stdout
    gone = nmaudit("login", "douyin", "--forget", "--sessions", "sessions", cwd=folder)
    assert gone.returncode == 0 and gone.stdout.strip() == "已删除抖音的登录会话"
    assert not (folder / "sessions" / "douyin@local.json").exists()
    assert nmaudit("login", "--list", "--sessions", "sessions", cwd=folder).stdout.strip() == "没有已保存的登录会话（sessions）"


def test_login_in_the_terminal_shows_the_qr_and_waits_for_the_phone(site, emulator, tmp_path):
    """`nmaudit login douyin`: the QR code drawn in the terminal, then kept once the phone confirmed."""
    import subprocess
    import sys
    import os
    process = subprocess.Popen(
        [sys.executable, "-m", "nmaudit", "login", "douyin", "--sessions", "kept", "--wait", "60",
         "--qr-file", "qr.png", *(f"--browser-arg={arg}" for arg in emulator.browser_args)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, NO_COLOR="1"))
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not (tmp_path / "qr.png").exists():
            time.sleep(0.2)
        said = qr_text((tmp_path / "qr.png").read_bytes())
        phone_opens(emulator, said)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.startswith("请用抖音 App 扫描二维码登录（60 秒内在手机上确认）：\n")
    assert terminal_qr(said) in out, "the code drawn in the terminal is the login page's"
    assert out.rstrip().endswith("之后的检查以登录身份读取抖音主页与用户搜索（访客很快遇到登录面板与验证码中间页）")
    assert stat.S_IMODE((tmp_path / "kept" / "douyin@local.json").stat().st_mode) == 0o600


def test_nobody_confirming_in_time_is_a_clear_error(site, emulator, tmp_path):
    done = nmaudit("login", "douyin", "--sessions", "kept", "--wait", "5",
                   *(f"--browser-arg={arg}" for arg in emulator.browser_args), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "抖音登录未完成：5 秒内未在手机上确认登录" in done.stderr
    assert not (tmp_path / "kept" / "douyin@local.json").exists()


# -- pure parts ------------------------------------------------------------------------------------

def test_recordings_and_header_files_lose_the_session_headers():
    har = {"log": {"entries": [{
        "request": {"headers": [{"name": "Cookie", "value": "sessionid=x"}, {"name": "Accept", "value": "*/*"},
                                {"name": "authorization", "value": "Bearer y"}],
                    "cookies": [{"name": "sessionid", "value": "x"}]},
        "response": {"headers": [{"name": "set-cookie", "value": "sessionid=x"}], "cookies": [{"name": "a"}]}}]}}
    strip_har_secrets(har)
    entry = har["log"]["entries"][0]
    assert entry["request"]["headers"] == [{"name": "Accept", "value": "*/*"}] and entry["request"]["cookies"] == []
    assert entry["response"] == {"headers": [], "cookies": []}
    assert public_headers({"Set-Cookie": "a=b", "content-type": "text/html"}) == {"content-type": "text/html"}


def test_sessions_per_endpoint_and_merged_for_one_browser(tmp_path):
    store = SessionStore(tmp_path / "kept")
    store.save("douyin", None, {"cookies": [{"name": "sessionid", "value": "a", "domain": ".douyin.com"}], "origins": []})
    store.save("weibo", "ws://pool-1:3000/pw?token=s3cret", {"cookies": [{"name": "SUB", "value": "b", "domain": ".weibo.com"}],
                                                             "origins": [{"origin": "https://m.weibo.cn", "localStorage": []}]})
    assert endpoint_key("ws://pool-1:3000/pw?token=s3cret") == "pool-1_3000_pw"  # the query (a token) left out
    assert list(store.states(None)) == ["douyin"] and list(store.states("ws://pool-1:3000/pw")) == ["weibo"]
    merged = merged_state({**store.states(None), **store.states("ws://pool-1:3000/pw")})
    assert [cookie["name"] for cookie in merged["cookies"]] == ["sessionid", "SUB"] and len(merged["origins"]) == 1
    assert merged_state({}) is None
    assert store.forget("weibo", every_endpoint=True) == 1 and store.forget("weibo") == 0
    assert SESSION_PLATFORMS["weibo"].owns("m.weibo.cn") and not SESSION_PLATFORMS["weibo"].owns("notweibo.cn")


def test_qr_text_reads_none_from_an_image_without_a_code():
    from io import BytesIO

    from PIL import Image

    blank = BytesIO()
    Image.new("RGB", (60, 60), "white").save(blank, format="PNG")
    assert qr_text(blank.getvalue()) is None and qr_text(b"not an image") is None
