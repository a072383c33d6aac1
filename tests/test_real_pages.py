"""Every real captured answer (../shared/real-pages) read as a careful reader reads it, and no
marker of "gone" or "idle" taken from a page that does not say so of the audited account.

The pages are read by the adapters' own classifiers and readers (pure functions); the
end-to-end checks of single pages are in tests/test_indicators.py and test_real_sogou.py."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.browser import Fetched
from nmaudit.dates import BEIJING
from nmaudit.html import Document
from nmaudit.platforms import wechat, weibo

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages"
pytestmark = pytest.mark.skipif(not (REAL / "wechat" / "manifest.json").exists(),
                                reason=f"real captured pages not present ({REAL})")


def entries(folder: str, *kinds: str) -> list[dict]:
    path = REAL / folder / "manifest.json"
    if not path.exists():
        return []
    listed = json.loads(path.read_text(encoding="utf-8"))
    return [entry for entry in listed if not kinds or entry["kind"] in kinds]


def answer(folder: str, entry: dict, status: int = 200) -> Fetched:
    body = (REAL / folder / entry["file"]).read_bytes()
    url = entry.get("url") or "https://weibo.com/u/1"
    kind = "application/json" if entry["file"].endswith(".json") else "text/html"
    moment = entry.get("fetched_at")
    return Fetched(url=url, final_url=url, status=status, content_type=kind, body=body,
                   fetched_at=datetime.fromisoformat(moment) if moment else datetime.now(BEIJING))


@pytest.mark.parametrize("entry", entries("wechat", "article"), ids=lambda e: e["file"])
def test_every_real_article_gives_its_account_name_and_time(entry):
    text = (REAL / "wechat" / entry["file"]).read_text(encoding=entry.get("encoding") or "utf-8")
    document = Document(text)
    truth = entry["truth"]
    assert wechat.account_name(text, document) == truth["account_name"]
    posted = wechat.article_time(text, document, datetime.now(BEIJING))
    assert posted is not None and posted[0] == datetime.fromisoformat(truth["post_times"][0])


@pytest.mark.parametrize("entry", entries("wechat"), ids=lambda e: e["file"])
def test_no_real_wechat_page_is_taken_for_a_gone_account_unless_it_says_so(entry):
    """The classifier, given each real page as if its own content were absent (the harshest
    reading): "gone" only where the page says the account is gone, "blocked" where a wall is."""
    fetched = answer("wechat", entry)
    document = Document(fetched.text)
    state = wechat.classify(fetched, document, "页面", content_seen=False)
    truth = entry["truth"]
    if truth.get("blocked"):
        assert state is not None and state.kind == "blocked", entry["file"]
    if not truth.get("gone"):
        assert state is None or state.kind not in ("account-gone", "migrated"), (entry["file"], state)


@pytest.mark.parametrize("entry", entries("weibo"), ids=lambda e: e["file"])
def test_no_real_weibo_answer_is_taken_for_a_gone_account(entry):
    """No captured Weibo answer says the audited account is gone in words: none may be read as
    gone (the "这里还没有内容" answer is ambiguous: empty feed or login needed)."""
    outcome = weibo.classify(answer("weibo", entry))
    assert outcome.kind != "gone", (entry["file"], outcome.message)
    blocked = entry["truth"].get("blocked") or {}
    if blocked.get("value"):
        assert outcome.kind == "blocked", (entry["file"], outcome.kind, outcome.message)
    if entry["kind"] in ("userinfo", "posts"):
        assert outcome.kind == "ok", (entry["file"], outcome.message)


def test_the_busy_page_is_blocked_and_the_viewer_page_too():
    """Both are weibo.com "sorry" pages titled 404错误; neither speaks of the audited account."""
    busy = next(e for e in entries("weibo") if "busy" in e["file"])
    assert weibo.classify(answer("weibo", busy)).kind == "blocked"
    viewer = answer("weibo", busy)
    viewer.body = viewer.body.replace("抱歉，网络繁忙".encode("gbk"), "抱歉，您的帐号存在异常，目前无法进行登录、查看。(20003)".encode("gbk"))
    assert viewer.body != answer("weibo", busy).body
    outcome = weibo.classify(viewer)
    assert outcome.kind == "blocked" and "与被检查账号无关" in outcome.message


def test_a_script_that_mentions_a_missing_user_is_not_the_page_saying_so():
    page = answer("weibo", next(e for e in entries("weibo") if "busy" in e["file"]))
    page.body = page.body.replace(b"</head>", "<script>var t={e:'用户不存在'};</script></head>".encode())
    assert weibo.classify(page).kind != "gone"
