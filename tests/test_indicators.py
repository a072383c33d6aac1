"""A verdict per indicator, from the best source that saw it: a failed extra source never undoes a
proof. Emulated platforms in a real headless Chromium, and real captured pages (../shared/real-pages)
where they exist."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.store import Store
from nmaudit.webapp import create_app
from tests.conftest import by_id, codes, run_audit, weibo_account
from tests.emulator import Emulator, Reply, html_reply
from tests.wechat_site import NAME, SUBJECT, Article, SogouAccount, WechatSite, sogou_wall
from tests.weibo_site import WeiboAccount, WeiboSite, days_before, posts_at

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages"


def ago(days: int) -> datetime:
    return days_before(AS_OF, days, 10)


def wechat(account_id: str, urls: list[str], query: str) -> Account:
    """A WeChat account filed by an article, Sogou asked too (as the default does for many)."""
    return Account(id=account_id, name=query, platform="wechat", owner=SUBJECT, certified_as=SUBJECT, urls=urls,
                   policy={"sources": ["sogou"]})


#: Sogou's answers that see nothing: an error page, its antispider wall, a search without the account.
SOGOU_FAILS = {
    "sogou-error": Reply(status=502, body=b"<html><title>502 Bad Gateway</title></html>"),
    "sogou-wall": "wall",
    "sogou-nothing": [SogouAccount("别的公众号", "某文化传媒有限公司", ago(0), "other01")],
}


@pytest.fixture(scope="module")
def wechat_pairs(tmp_path_factory):
    """One run per Sogou answer (a wall stops Sogou for the rest of its run)."""
    audited, folders = {}, {}
    for position, (key, answer) in enumerate(SOGOU_FAILS.items()):
        accounts = []
        with Emulator() as emulator:
            site = WechatSite(emulator)
            for age, suffix in ((2, "fresh"), (20, "old")):
                name = f"{NAME}{position}{suffix}"
                url = site.publish(f"{key}-{suffix}", Article(ago(age), nickname=name))
                if answer == "wall":
                    site.sogou[name] = sogou_wall(name)
                else:
                    site.sogou_results(name, answer)
                accounts.append(wechat(f"{key}-{suffix}", [url], name))
            folders[key] = tmp_path_factory.mktemp(key)
            audited.update(by_id(run_audit(emulator, accounts, folders[key], as_of=AS_OF)))
    audited["folders"] = folders
    return audited


@pytest.mark.parametrize("account_id", list(SOGOU_FAILS))
def test_a_filed_article_within_14_days_passes_whatever_sogou_answers(wechat_pairs, account_id):
    item = wechat_pairs[f"{account_id}-fresh"]
    assert item.judgement.verdict == "pass", [(f.code, f.message) for f in item.judgement.findings]
    update = item.judgement.indicators["update"]
    assert update.state == "pass" and update.sources == [item.observation.newest_post_source]
    assert item.judgement.indicators["name"].state == "pass"
    assert item.judgement.indicators["account"].state == "pass"
    # What Sogou could not see is kept, with its evidence: here only the 认证主体 rested on it,
    # which is 未能确认 (not required for 合格); nothing of it weighs on the verdict.
    sogou = [f for f in item.judgement.findings if f.severity == "review"]
    assert sogou and all(f.evidence or "停止使用" in f.message for f in sogou) and not item.judgement.blocking()
    certification = item.judgement.indicators["certification"]
    assert certification.state == "unconfirmed" and certification.reasons == [f.message for f in sogou]
    assert item.judgement.indicators["update"].reasons[0].startswith("最新发布")


@pytest.mark.parametrize("account_id", list(SOGOU_FAILS))
def test_an_old_article_with_sogou_failing_is_review_never_idle(wechat_pairs, account_id):
    """A 20-day-old article is a lower bound: it proves nothing of the last two weeks, and Sogou
    saw nothing: the update is 未能确认, the account 待复核, never 不合格."""
    item = wechat_pairs[f"{account_id}-old"]
    assert item.judgement.verdict == "review", codes(item)
    assert item.judgement.indicators["update"].state == "unconfirmed"
    assert item.judgement.indicators["update"].reasons
    assert not [f for f in item.judgement.findings if f.code.startswith("stale")]


def test_the_review_page_shows_a_row_per_indicator_with_its_evidence(wechat_pairs):
    folder = wechat_pairs["folders"]["sogou-error"]
    run_id = Store(folder / "nmaudit.db").resolve_run(None)
    client = create_app(str(folder / "nmaudit.db")).test_client()
    page = client.get(f"/runs/{run_id}/accounts/sogou-error-fresh", headers={"Host": "127.0.0.1:8787"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for key, state in (("update", "合格"), ("name", "合格"), ("certification", "未能确认"), ("account", "合格")):
        row = html[html.index(f'id="indicator-{key}"'):]
        row = row[:row.index("</tr>")]
        assert f"<strong>{state}</strong>" in row, row
    update = html[html.index('id="indicator-update"'):]
    assert "最新发布" in update[:update.index("</tr>")] and "证据：" in update[:update.index("</tr>")]


def test_a_run_stored_before_indicators_loads_and_judge_fills_them_in(wechat_pairs, tmp_path):
    """Strip what this version stores (the indicator columns, the signals' indicators): the run
    loads as it was, and `nmaudit judge` judges it again with indicators, without the network."""
    source = wechat_pairs["folders"]["sogou-wall"] / "nmaudit.db"
    db = tmp_path / "old.db"
    with sqlite3.connect(source) as original, sqlite3.connect(db) as copy:
        original.backup(copy)  # the WAL's pages too: a plain file copy may miss them
    with sqlite3.connect(db) as conn:
        conn.execute("update judgements set indicators = null")
        conn.execute("update findings set indicators = null, note = null")
        for account_id, data in conn.execute("select account_id, data from observations").fetchall():
            observation = json.loads(data)
            for signal in observation["signals"]:
                signal.pop("indicators", None)
            conn.execute("update observations set data = ? where account_id = ?", (json.dumps(observation), account_id))
    store = Store(db)
    run_id = store.resolve_run(None)
    old = by_id(store.load_run(run_id))
    assert old["sogou-wall-fresh"].judgement.indicators == {}
    done = subprocess.run([sys.executable, "-m", "nmaudit", "judge", run_id, "--db", str(db), "--format", "json"],
                          capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    assert done.returncode == 0, done.stderr
    judged = {a["id"]: a for a in json.loads(done.stdout)["accounts"]}
    assert judged["sogou-wall-fresh"]["verdict"] == "pass"
    assert judged["sogou-wall-fresh"]["indicators"]["update"]["state"] == "pass"
    assert judged["sogou-wall-old"]["verdict"] == "review"
    assert judged["sogou-wall-old"]["indicators"]["update"]["state"] == "unconfirmed"


# -- real pages ----------------------------------------------------------------------------------


def real_manifest(folder: str) -> list[dict]:
    path = REAL / folder / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


real = pytest.mark.skipif(not (REAL / "wechat" / "manifest.json").exists(),
                          reason=f"real captured pages not present ({REAL})")


@real
def test_the_real_image_share_article_is_read_end_to_end(tmp_path):
    """The real 图片消息 page (no var ct, no var nickname, no #js_name), served at its URL."""
    entry = next(e for e in real_manifest("wechat") if "image" in e["file"])
    body = (REAL / "wechat" / entry["file"]).read_bytes()
    url = entry["url"].replace("http://", "https://")
    account = Account(id="image", name=entry["truth"]["account_name"], platform="wechat", owner="某单位",
                      urls=[url], policy={"sogou": "never"})
    posted = datetime.fromisoformat(entry["truth"]["post_times"][0])
    with Emulator() as emulator:
        emulator.add(url.split("?")[0], Reply(body=body, content_type="text/html; charset=utf-8"))
        item = by_id(run_audit(emulator, [account], tmp_path, as_of=posted.replace(day=posted.day + 3)))["image"]
    assert item.observation.name == "小道消息" and item.observation.newest_post_at == posted
    assert not item.observation.newest_post_lists_newest  # one article: a lower bound
    assert item.judgement.verdict == "pass", codes(item)
    assert item.judgement.indicators["update"].state == "pass"


def video_message_page(nickname: str, moment: datetime) -> str:
    """The video-message template as platforms.md describes it: title 视频, the name padded in
    strong.account_nickname_inner, the time only in `window.ct = '…' || ''` and #publish_time."""
    stamp = int(moment.timestamp())
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>视频</title></head><body>
<div class="share_mod_context"><div class="account_info"><div class="js_go_profile account_nickname">
<strong class="account_nickname_inner">
            {nickname}
        </strong></div><div class="account_desc"><em id="publish_time">{moment:%Y-%m-%d}</em></div></div>
<div class="share_media js_video_area"></div></div>
<script>window.ct = '{stamp}' || '';</script></body></html>"""


def test_the_video_message_template_is_read(tmp_path):
    with Emulator() as emulator:
        site = WechatSite(emulator)
        url = site.publish("video", html_reply(video_message_page("宝鸡发布", ago(3))))
        account = Account(id="video", name="宝鸡发布", platform="wechat", owner=SUBJECT, urls=[url],
                          policy={"sogou": "never"})
        item = by_id(run_audit(emulator, [account], tmp_path, as_of=AS_OF))["video"]
    assert item.observation.name == "宝鸡发布"  # the padding is not part of the name
    assert item.observation.newest_post_at == ago(3)
    assert item.judgement.verdict == "pass" and codes(item) == []


def viewer_sorry_page() -> bytes:
    """weibo.com's "sorry" page about the viewer's own login account (GBK, titled 404错误)."""
    return ("""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk" />
<title>404错误</title><script type="text/javascript">var $CONFIG = {}; $CONFIG['islogin']='0';
$CONFIG['bpType']='sorry';</script></head><body class="B_weibo404"><div class="W_main"><div class="page_error">
<div class="note"><em class="S_link1">抱歉，您的帐号存在异常，目前无法进行登录、查看。(20003)</em></div>
</div></div></body></html>""").encode("gbk")


def test_the_viewer_account_page_is_blocked_never_gone(tmp_path):
    """The same code (20003) as a missing user, but about the viewer: 访问受限, never 不合格."""
    with Emulator() as emulator:
        emulator.add("https://m.weibo.cn/api/container/getIndex",
                     Reply(body=viewer_sorry_page(), content_type="text/html"))
        emulator.add("https://m.weibo.cn/u/2000000001",
                     Reply(body=viewer_sorry_page(), content_type="text/html"))
        item = by_id(run_audit(emulator, [weibo_account("w", "2000000001")], tmp_path, as_of=AS_OF))["w"]
    assert item.judgement.verdict == "review", codes(item)
    assert "account-gone" not in codes(item) and "blocked" in codes(item)
    assert item.judgement.indicators["account"].state == "unconfirmed"
    assert any("与被检查账号无关" in f.message for f in item.judgement.findings)


def test_a_missing_user_in_the_api_answer_is_gone(tmp_path):
    """The words that speak of the audited account: {"ok":0,"msg":"用户不存在"}."""
    answer = json.dumps({"ok": 0, "msg": "用户不存在", "errno": "20003"}, ensure_ascii=False).encode()
    with Emulator() as emulator:
        emulator.add("https://m.weibo.cn/api/container/getIndex", Reply(body=answer, content_type="application/json"))
        emulator.add("https://m.weibo.cn/u/2000000002", Reply(body=answer, content_type="application/json"))
        item = by_id(run_audit(emulator, [weibo_account("g", "2000000002")], tmp_path, as_of=AS_OF))["g"]
    assert item.judgement.verdict == "fail" and "account-gone" in codes(item)
    assert item.judgement.indicators["account"].state == "fail"


def test_a_weibo_list_that_proves_the_update_outweighs_a_refused_interaction_page_only_for_the_update(tmp_path):
    """The declared interaction page answers 403 (the site's firewall refused this visitor): the
    update is proven by the list, the interaction is 未能确认 — 待复核, never 不合格."""
    with Emulator() as emulator:
        site = WeiboSite(emulator)
        site.add(WeiboAccount(uid="2000000003", screen_name="平安宝鸡", verified_reason="宝鸡市公安局",
                              posts=posts_at(ago(1), ago(3))))
        emulator.add("https://www.baoji.gov.cn/hdjl", Reply(status=403, body=b"<html><title>Forbidden</title></html>"))
        account = weibo_account("i", "2000000003", interaction="https://www.baoji.gov.cn/hdjl")
        item = by_id(run_audit(emulator, [account], tmp_path, as_of=AS_OF))["i"]
    assert item.judgement.indicators["update"].state == "pass"
    assert item.judgement.indicators["interaction"].state == "unconfirmed"
    assert item.judgement.verdict == "review" and "no-interaction" not in codes(item)

