"""Declared feeds (RSSHub, WeChat-to-RSS bridges): RSS, Atom and JSON Feed as a full-list source.

Pure parts first (dates, what a body is), then one audit of every feed case in Chromium.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.browser import Fetched
from nmaudit.dates import BEIJING
from nmaudit.models import Account, Extract, Extractor
from nmaudit.platforms.feed import FeedItem, feed_time, item_time, parse_feed
from tests.conftest import by_id, codes, run_audit, weibo_account
from tests.emulator import Reply, html_reply, json_reply
from tests.feed_site import (
    Entry, bridge_atom, json_feed, rfc822, rsshub_error_page, rsshub_old_error_page, rsshub_rss,
)
from tests.weibo_site import NEEDS_LOGIN, WeiboAccount, WeiboSite, days_before, posts_at

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
FRESH = datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING)  # 01:30 UTC
OLDER = datetime(2026, 11, 16, 18, 0, tzinfo=BEIJING)
OLD = datetime(2026, 11, 1, 8, 0, tzinfo=BEIJING)
#: 00:30 on 11-07 in Beijing is still 11-06 in UTC: 14 idle days in Beijing, 15 by UTC.
NEAR_MIDNIGHT = datetime(2026, 11, 7, 0, 30, tzinfo=BEIJING)


# -- dates and bodies, pure --------------------------------------------------------------------

@pytest.mark.parametrize("written, parsed, expected", [
    ("Fri, 20 Nov 2026 01:30:00 GMT", None, FRESH),  # RSSHub: Date.toUTCString()
    ("Fri, 20 Nov 2026 09:30:00 +0800", None, FRESH),
    ("2026-11-20T01:30:00Z", None, FRESH),
    ("2026-11-20T09:30:00+08:00", None, FRESH),
    ("2026-11-20T09:30:00", None, FRESH),  # no zone: Beijing time, as Chinese bridges mean it
    ("2026-11-20 09:30:00", None, FRESH),
    ("Fri, 20 Nov 2026 09:30:00", None, FRESH),
    ("", time.struct_time((2026, 11, 20, 1, 30, 0, 4, 324, 0)), FRESH),  # feedparser's reading is UTC
    ("2026年11月20日", time.struct_time((2026, 11, 20, 1, 30, 0, 4, 324, 0)), FRESH),
    ("2026年11月20日", None, None),
    ("", None, None),
])
def test_feed_time(written, parsed, expected):
    assert feed_time(written, parsed) == expected


@pytest.mark.parametrize("item, expected", [
    (FeedItem(published="2026-11-01T08:00:00+08:00", updated="2026-11-20T09:30:00+08:00"), OLD),
    (FeedItem(updated="2026-11-20T09:30:00+08:00"), FRESH),
    (FeedItem(published="not a date", updated="2026-11-20T09:30:00+08:00"), FRESH),
    (FeedItem(), None),
])
def test_an_item_is_dated_by_its_publication_not_its_last_edit(item, expected):
    assert item_time(item) == expected


def fetched(body: str | bytes | dict, content_type: str = "text/html; charset=utf-8", status: int = 200) -> Fetched:
    if isinstance(body, dict):
        body, content_type = json.dumps(body), "application/json"
    data = body.encode() if isinstance(body, str) else body
    return Fetched(url="https://rsshub.example.gov.cn/x", final_url="https://rsshub.example.gov.cn/x",
                   status=status, content_type=content_type, body=data, fetched_at=AS_OF)


@pytest.mark.parametrize("body, kind, message", [
    (rsshub_error_page("HTTPError: Response code 403 (Forbidden)", "/weibo/user/:uid"), "error",
     "RSSHub 报错“HTTPError: Response code 403 (Forbidden)”"),
    (rsshub_old_error_page("Error: 该用户不存在"), "error", "RSSHub 报错“Error: 该用户不存在”"),
    ({"error": {"message": "ConfigNotFoundError: 缺少 WEIBO_COOKIES"}}, "error",
     "服务报错“ConfigNotFoundError: 缺少 WEIBO_COOKIES”"),
    ("<html><head><title>宝鸡市人民政府</title></head><body>首页</body></html>", "unparsed",
     "返回的不是RSS/Atom/JSON Feed订阅源（text/html; charset=utf-8，页面标题“宝鸡市人民政府”）"),
    ({"ok": 0, "msg": "这里还没有内容"}, "unparsed",
     "返回的JSON不是JSON Feed订阅源（缺少 version: https://jsonfeed.org/version/1.1）"),
    ({"version": "https://jsonfeed.org/version/1", "title": "t"}, "unparsed", "JSON Feed 中没有 items 列表"),
    (rsshub_rss("平安宝鸡的微博", [Entry("转发：Looks like something went wrong", rfc822(FRESH))]), "ok", ""),
])
def test_what_a_body_is(body, kind, message):
    parsed = parse_feed(fetched(body))
    assert (parsed.kind, parsed.message) == (kind, message)


def test_a_feed_chromium_re_encoded_still_parses():
    """Chromium hands over an application/rss+xml body without a charset decoded as
    windows-1252 and re-encoded as UTF-8 (measured); the dates are ASCII and survive."""
    body = rsshub_rss("凤翔发布", [Entry("凤翔区召开会议", rfc822(FRESH))]).encode().decode("latin-1").encode()
    parsed = parse_feed(fetched(body, "application/rss+xml"))
    assert parsed.kind == "ok" and [item_time(item) for item in parsed.items] == [FRESH]


# -- the feed observer, in Chromium --------------------------------------------------------------

RSSHUB = "https://rsshub.example.gov.cn"
BRIDGE = "https://wxrss.example.gov.cn"
PROFILE = "https://www.baoji.gov.cn/xmt/profile/"
ERROR_403 = "HTTPError: Response code 403 (Forbidden)"

TITLES = ["【提醒】冬季出行注意交通安全", "宝鸡市公安局召开全市治安形势分析会", "警情通报"]


def rss(*moments: datetime, zone: str = "GMT") -> Reply:
    entries = [Entry(title, rfc822(moment, zone)) for title, moment in zip(TITLES, moments)]
    return Reply(body=rsshub_rss("平安宝鸡的微博", entries), content_type="application/xml; charset=utf-8")


def atom(*entries: Entry) -> Reply:
    return Reply(body=bridge_atom("宝鸡发布", list(entries)), content_type="application/atom+xml")


def iso(moment: datetime) -> str:
    return moment.isoformat()


#: account id -> how its feed answers (the account's page shows its name only)
CASES: dict[str, Reply] = {
    "rsshub-gmt": rss(FRESH, OLDER),
    "rss-plus-0800": rss(OLDER, FRESH, zone="+0800"),
    "atom-updated": atom(Entry("关于冬季供暖的通知", updated="2026-11-20T01:30:00Z"),
                         Entry("宝鸡发布", updated="2026-11-16T10:00:00Z")),
    "atom-published-old-updated-fresh": atom(Entry("旧文修订", published=iso(OLD), updated=iso(FRESH))),
    "atom-naive-beijing": atom(Entry("深夜推送", published="2026-11-07T00:30:00", updated="2026-11-07T00:30:00")),
    "json-feed-1.1": json_reply(json_feed("宝鸡发布", [Entry("通知", published=iso(FRESH)),
                                                       Entry("公告", published=iso(OLDER))])),
    "json-feed-1.0-modified-only": Reply(body=json_feed("宝鸡发布", [Entry("通知", updated="2026-11-20T01:30:00Z")],
                                                        version="1"), content_type="application/feed+json"),
    "rsshub-json-rfc822": json_reply(json_feed("平安宝鸡的微博", [Entry("通知", published=rfc822(FRESH))])),
    "near-midnight": rss(NEAR_MIDNIGHT),
    "stale": rss(OLD),
    "octet-stream": Reply(body=rsshub_rss("平安宝鸡的微博", [Entry("通知", rfc822(FRESH))]).encode(),
                          content_type="application/octet-stream"),
    "empty": Reply(body=rsshub_rss("平安宝鸡的微博", []), content_type="application/xml; charset=utf-8"),
    "html": html_reply("<html><head><title>宝鸡市人民政府</title></head><body>首页</body></html>"),
    "no-dates": Reply(body=rsshub_rss("平安宝鸡的微博", [Entry("一"), Entry("二")]), content_type="application/xml"),
    "undated-and-old": Reply(body=rsshub_rss("平安宝鸡的微博", [Entry("置顶"), Entry("通知", rfc822(OLD))]),
                             content_type="application/xml"),
    "rsshub-error-503": Reply(status=503, body=rsshub_error_page(ERROR_403, "/weibo/user/:uid")),
    "rsshub-error-old-404": Reply(status=404, body=rsshub_old_error_page(
        "NotFoundError: The route does not exist or has been deleted.")),
    "rsshub-json-error": json_reply({"error": {"message": ERROR_403}}, status=503),
    "status-503": Reply(status=503, body="<html><head><title>503 Service Temporarily Unavailable</title></head>"
                                         "<body><center><h1>503 Service Temporarily Unavailable</h1></center>"
                                         "<hr><center>nginx</center></body></html>"),
}


def feed_url(account_id: str) -> str:
    return f"{RSSHUB}/feeds/{account_id}"


def web_account(account_id: str) -> Account:
    """An account whose page shows only its name: the update check rests on the feed alone."""
    return Account(id=account_id, name="平安宝鸡", platform="web", owner="宝鸡市公安局", urls=[PROFILE],
                   extract=Extract(name=Extractor(css="h1.name")), feed=feed_url(account_id))


#: Weibo and a feed together: (how Weibo answers, how the feed answers).
WEIBO_CASES: dict[str, tuple[WeiboAccount, Reply]] = {
    "weibo-blocked-feed-fresh": (WeiboAccount("3300000001", info=NEEDS_LOGIN), rss(FRESH, OLDER)),
    "weibo-stale-feed-fresh": (WeiboAccount("3300000002", posts=posts_at(days_before(AS_OF, 10))), rss(FRESH)),
    "weibo-fresh-feed-down": (WeiboAccount("3300000003", posts=posts_at(days_before(AS_OF, 1))),
                              Reply(status=503, body=rsshub_error_page(ERROR_403, "/weibo/user/:uid"))),
}
#: Platforms whose own pages show no post list: the feed is what shows updates.
OTHER_PLATFORMS = {
    "wechat-with-feed": Account(id="wechat-with-feed", name="宝鸡发布", platform="wechat", owner="宝鸡市人民政府办公室",
                                urls=["https://mp.weixin.qq.com/s/Xk3b7f-S0b0m2d4w5Q9YzA"],
                                feed=f"{BRIDGE}/feeds/MzA3NDM2MDk2MA==.atom"),
    "app-with-feed": Account(id="app-with-feed", name="爱宝鸡", platform="app", owner="宝鸡市大数据局",
                             urls=["https://apps.apple.com/cn/app/id1500000001"], feed=f"{BRIDGE}/feeds/aibaoji.atom"),
}


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    emulator.add(PROFILE, html_reply("<html><head><title>平安宝鸡</title></head>"
                                     "<body><h1 class='name'>平安宝鸡</h1></body></html>"))
    accounts = []
    for account_id, reply in CASES.items():
        emulator.add(feed_url(account_id), reply)
        accounts.append(web_account(account_id))
    site = WeiboSite(emulator)
    for account_id, (behaviour, reply) in WEIBO_CASES.items():
        site.add(behaviour)
        emulator.add(feed_url(account_id), reply)
        accounts.append(weibo_account(account_id, behaviour.uid, feed=feed_url(account_id)))
    for account in OTHER_PLATFORMS.values():
        emulator.add(account.feed, atom(Entry("宝鸡发布", published=iso(FRESH)), Entry("通知", published=iso(OLDER))))
        accounts.append(account)
    folder = tmp_path_factory.mktemp("feed")
    return by_id(run_audit(emulator, accounts, folder, as_of=AS_OF))


def feed_source(item):
    [source] = [source for source in item.observation.sources if source.kind == "feed"]
    return source


@pytest.mark.browser
@pytest.mark.parametrize("account_id, newest, idle, expected_codes", [
    ("rsshub-gmt", FRESH, 1, []),
    ("rss-plus-0800", FRESH, 1, []),
    ("atom-updated", FRESH, 1, []),
    ("json-feed-1.1", FRESH, 1, []),
    ("json-feed-1.0-modified-only", FRESH, 1, []),
    ("rsshub-json-rfc822", FRESH, 1, []),
    ("octet-stream", FRESH, 1, []),  # served as a download: read from inside a page instead
    ("near-midnight", NEAR_MIDNIGHT, 14, ["stale-7d"]),  # by UTC dates it would be 15: a veto
    ("atom-naive-beijing", NEAR_MIDNIGHT, 14, ["stale-7d"]),  # no zone written: Beijing time
    ("atom-published-old-updated-fresh", OLD, 20, ["stale-14d"]),  # an edit is not a post
    ("stale", OLD, 20, ["stale-14d"]),
])
def test_the_newest_item_of_a_feed_is_a_full_list_source(audited, account_id, newest, idle, expected_codes):
    item = audited[account_id]
    assert item.observation.newest_post_at == newest
    assert item.observation.newest_post_lists_newest
    assert item.observation.newest_post_source == feed_url(account_id)
    assert item.judgement.idle_days == idle
    assert codes(item) == expected_codes
    assert item.judgement.verdict == ("fail" if "stale-14d" in expected_codes else "pass")
    assert feed_source(item).outcome == "ok"


@pytest.mark.browser
def test_a_feed_adds_the_update_check_and_never_names_the_account(audited):
    observation = audited["rsshub-gmt"].observation
    assert observation.checks == ["name", "update"]
    assert observation.name == "平安宝鸡" and observation.name_source == PROFILE
    assert observation.posts_seen == 2
    assert audited["weibo-blocked-feed-fresh"].observation.name is None  # not "平安宝鸡的微博"


@pytest.mark.browser
def test_the_feed_body_is_kept_as_evidence(audited):
    evidence = feed_source(audited["rsshub-gmt"]).evidence
    assert [Path(path).name for path in evidence] == ["02-feed.jpg", "02-feed.xml"]
    assert "<generator>RSSHub</generator>" in Path(evidence[1]).read_text()


@pytest.mark.browser
@pytest.mark.parametrize("account_id, code, message", [
    ("empty", "unparsed", f"订阅源为空，无法确认更新：{feed_url('empty')}"),
    ("html", "unparsed", f"订阅源无法解析（{feed_url('html')}）：返回的不是RSS/Atom/JSON Feed订阅源"
                         "（text/html; charset=utf-8，页面标题“宝鸡市人民政府”）"),
    ("no-dates", "unparsed", f"订阅源中2个条目都没有可识别的发布时间：{feed_url('no-dates')}"),
    ("rsshub-error-503", "unreachable",
     f"订阅源未能取得内容（HTTP 503，{feed_url('rsshub-error-503')}）：RSSHub 报错“{ERROR_403}”"),
    ("rsshub-error-old-404", "unreachable",
     f"订阅源未能取得内容（HTTP 404，{feed_url('rsshub-error-old-404')}）：RSSHub 报错“NotFoundError: "
     "The route does not exist or has been deleted.”"),
    ("rsshub-json-error", "unreachable",
     f"订阅源未能取得内容（HTTP 503，{feed_url('rsshub-json-error')}）：服务报错“{ERROR_403}”"),
    ("status-503", "unreachable", f"订阅源服务器错误 HTTP 503：{feed_url('status-503')}（共尝试3次）"),
])
def test_a_feed_that_cannot_be_read_is_review_never_idle(audited, account_id, code, message):
    item = audited[account_id]
    assert item.judgement.verdict == "review"
    assert codes(item) == [code]
    assert item.judgement.findings[0].message == message
    assert item.observation.newest_post_at is None
    assert "update" in item.observation.checks
    evidence = item.judgement.findings[0].evidence
    assert evidence and all(Path(path).exists() for path in evidence)
    assert feed_source(item).outcome == ("unparsed" if code == "unparsed" else "unreachable")


@pytest.mark.browser
def test_an_undated_item_makes_the_feed_a_lower_bound(audited):
    item = audited["undated-and-old"]
    assert not item.observation.newest_post_lists_newest
    assert item.judgement.verdict == "review" and codes(item) == ["update-unverified"]


@pytest.mark.browser
def test_a_blocked_platform_with_a_fresh_feed_is_still_review(audited):
    """The feed proves the update; but the platform page, the only source for the name, the
    certification and whether the account is still open (a veto), was not seen. A bridge may
    serve its cache, so a feed cannot prove the account is open: staff review, with the date."""
    item = audited["weibo-blocked-feed-fresh"]
    assert item.judgement.verdict == "review"
    assert codes(item) == ["blocked"]
    assert item.observation.newest_post_at == FRESH and item.judgement.idle_days == 1
    assert item.observation.newest_post_source == feed_url("weibo-blocked-feed-fresh")


@pytest.mark.browser
def test_the_newest_post_of_platform_and_feed_counts(audited):
    item = audited["weibo-stale-feed-fresh"]
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert item.observation.newest_post_at == FRESH
    assert item.observation.newest_post_source == feed_url("weibo-stale-feed-fresh")
    assert [source.kind for source in item.observation.sources] == ["weibo-userinfo", "weibo-posts", "feed"]


@pytest.mark.browser
def test_a_declared_feed_that_fails_is_reported_even_when_the_platform_was_read(audited):
    item = audited["weibo-fresh-feed-down"]
    assert item.observation.newest_post_lists_newest and item.judgement.idle_days == 1
    # The platform's own list proved the update: the failed feed is told, as a note.
    assert item.judgement.verdict == "pass" and codes(item) == ["unreachable"]
    assert "RSSHub 报错" in item.judgement.findings[0].message and item.judgement.findings[0].note
    assert item.judgement.findings[0].indicators == ["update"]


@pytest.mark.browser
@pytest.mark.parametrize("account_id", list(OTHER_PLATFORMS))
def test_a_feed_shows_updates_of_platforms_without_a_post_list(audited, account_id):
    """Whatever the platform adapter sees (or not), the feed is read and checks the update."""
    item = audited[account_id]
    assert "update" in item.observation.checks and "update" not in item.observation.not_checked
    assert item.observation.newest_post_at == FRESH
    assert item.observation.newest_post_source == OTHER_PLATFORMS[account_id].feed
    assert feed_source(item).outcome == "ok"
    assert item.judgement.idle_days == 1
    assert not [f for f in item.judgement.findings if "订阅源" in f.message or f.code.startswith("stale")]
