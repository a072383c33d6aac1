"""The Weibo adapter against emulated m.weibo.cn pages, in a real headless Chromium.

One audit of every case runs once for the module; each test then reads its account.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from nmaudit.platforms.weibo import uid_from_url
from tests.conftest import by_id, codes, run_audit, weibo_account
from tests.emulator import NOT_FOUND, Reply, html_reply
from tests.weibo_site import (
    EMPTY_FEED, LOGIN_WALL, NEEDS_LOGIN, USER_GONE, VISITOR_PAGE, VISITOR_WALL, Post, WeiboAccount,
    WeiboSite, days_before, posts_at, weibo_time,
)

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
FRESH = posts_at(days_before(AS_OF, 1), days_before(AS_OF, 3))

#: account id -> (how Weibo answers, registry overrides)
CASES: dict[str, tuple[WeiboAccount, dict]] = {
    "active": (WeiboAccount("3100000001", posts=FRESH), {}),
    "pinned-old-first": (WeiboAccount("3100000002", posts=posts_at(
        days_before(AS_OF, 2), days_before(AS_OF, 6), pinned_first=days_before(AS_OF, 300))), {}),
    "pinned-old-style": (WeiboAccount("3100000003", posts=[
        Post(weibo_time(days_before(AS_OF, 200)), pinned_old_style=True), *posts_at(days_before(AS_OF, 4))]), {}),
    "pinned-is-newest": (WeiboAccount("3100000004", posts=posts_at(
        days_before(AS_OF, 30), pinned_first=days_before(AS_OF, 1))), {}),
    "idle-7": (WeiboAccount("3100000007", posts=posts_at(days_before(AS_OF, 7, 23, 59))), {}),
    "idle-8": (WeiboAccount("3100000008", posts=posts_at(days_before(AS_OF, 8, 0, 1))), {}),
    "idle-14": (WeiboAccount("3100000014", posts=posts_at(days_before(AS_OF, 14, 23, 59))), {}),
    "idle-15": (WeiboAccount("3100000015", posts=posts_at(days_before(AS_OF, 15, 0, 1))), {}),
    # 00:30 in Beijing on 11-07 is still 11-06 in UTC: 14 idle days in Beijing, 15 by UTC.
    "near-midnight": (WeiboAccount("3100000016", posts=[Post("Sat Nov 07 00:30:00 +0800 2026")]), {}),
    "just-before-midnight": (WeiboAccount("3100000017", posts=[Post("Fri Nov 06 23:30:00 +0800 2026")]), {}),
    "full-date": (WeiboAccount("3100000018", posts=[Post("2026-11-18"), Post("2021-08-24")]), {}),
    "grouped": (WeiboAccount("3100000020", posts=FRESH, grouped=True), {}),
    "new-containerid": (WeiboAccount("3100000021", posts=FRESH, new_containerid=True), {}),
    "visitor-redirect": (WeiboAccount("3100000030", info=VISITOR_WALL), {}),
    "visitor-page": (WeiboAccount("3100000031", info=html_reply(VISITOR_PAGE)), {}),
    "needs-login": (WeiboAccount("3100000032", info=NEEDS_LOGIN), {}),
    "login-redirect": (WeiboAccount("3100000033", feed=LOGIN_WALL, posts=FRESH), {}),
    "status-418": (WeiboAccount("3100000034", statuses=[418, 418, 418]), {}),
    "status-432": (WeiboAccount("3100000035", statuses=[432, 432, 432]), {}),
    "418-then-ok": (WeiboAccount("3100000036", statuses=[418], posts=FRESH), {}),
    "status-502": (WeiboAccount("3100000037", statuses=[502, 502, 502]), {}),
    "connection-reset": (WeiboAccount("3100000038", info=Reply(drop=True)), {}),
    "user-gone": (WeiboAccount("3100000040", info=USER_GONE), {}),
    "user-gone-page": (WeiboAccount("3100000041", info=html_reply(
        "<html><head><title>微博</title></head><body><p>该用户不存在(20003)</p></body></html>")), {}),
    "empty-feed": (WeiboAccount("3100000042", feed=EMPTY_FEED), {}),
    "no-posts-in-cards": (WeiboAccount("3100000043", posts=[]), {}),
    "renamed": (WeiboAccount("3100000050", screen_name="平安宝鸡发布", posts=FRESH), {}),
    "other-certification": (WeiboAccount("3100000051", verified_reason="宝鸡市融媒体中心", posts=FRESH), {}),
    "not-verified": (WeiboAccount("3100000052", verified=False, posts=FRESH), {}),
    "no-certified-as": (WeiboAccount("3100000053", verified=False, posts=FRESH), {"certified_as": None}),
    "unreadable-and-old": (WeiboAccount("3100000060", posts=[
        Post("上周"), *posts_at(days_before(AS_OF, 20))]), {}),
    "unreadable-and-fresh": (WeiboAccount("3100000061", posts=[Post("上周"), *FRESH]), {}),
    "all-unreadable": (WeiboAccount("3100000062", posts=[Post("上周"), Post("")]), {}),
    "interaction-ok": (WeiboAccount("3100000070", posts=FRESH),
                       {"interaction": "https://www.baoji.gov.cn/hdjl/zxts/"}),
    "interaction-404": (WeiboAccount("3100000071", posts=FRESH),
                        {"interaction": "https://www.baoji.gov.cn/hdjl/gone/"}),
    "interaction-soft-404": (WeiboAccount("3100000072", posts=FRESH),
                             {"interaction": "https://www.baoji.gov.cn/hdjl/soft/"}),
    "interaction-503": (WeiboAccount("3100000073", posts=FRESH),
                        {"interaction": "https://www.baoji.gov.cn/hdjl/down/"}),
    "policy-7-veto": (WeiboAccount("3100000080", posts=posts_at(days_before(AS_OF, 9))),
                      {"policy": {"warn_idle_days": 5, "fail_idle_days": 7}}),
    "no-uid": (WeiboAccount("3100000090"), {"urls": ["https://weibo.com/ttarticle/p/show?id=2309404298262772365509"]}),
    # m.weibo.cn/u/<uid> renders the profile from its own calls, or meets the visitor wall
    "profile-renders": (WeiboAccount("3100000100", profile="renders", posts=posts_at(
        days_before(AS_OF, 1), days_before(AS_OF, 4), pinned_first=days_before(AS_OF, 300))), {}),
    "profile-renders-idle": (WeiboAccount("3100000101", profile="renders",
                                          posts=posts_at(days_before(AS_OF, 20))), {}),
    "profile-wall": (WeiboAccount("3100000102", profile="wall", posts=FRESH), {}),
}
RELATIVE_FORMATS = {
    "just-now": ("刚刚", timedelta(0)),
    "minutes": ("5分钟前", timedelta(minutes=5)),
    "hours": ("3小时前", timedelta(hours=3)),
}


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    site = WeiboSite(emulator)
    accounts = []
    for account_id, (behaviour, overrides) in CASES.items():
        site.add(behaviour)
        accounts.append(weibo_account(account_id, behaviour.uid, **overrides))
    for index, (account_id, (created_at, _)) in enumerate(RELATIVE_FORMATS.items()):
        uid = f"32000000{index:02d}"
        site.add(WeiboAccount(uid, posts=[Post(created_at), Post("2021-08-24")]))
        accounts.append(weibo_account(account_id, uid))
    for uid, created_at in (("3200000010", "昨天 10:02"), ("3200000011", "08-24"), ("3200000012", "前天 23:10")):
        site.add(WeiboAccount(uid, posts=[Post(created_at)]))
        accounts.append(weibo_account(f"format-{uid}", uid))
    emulator.add("https://www.baoji.gov.cn/hdjl/zxts/", html_reply(
        "<html><head><title>咨询投诉</title></head><body><form><textarea></textarea></form></body></html>"))
    emulator.add("https://www.baoji.gov.cn/hdjl/gone/", NOT_FOUND)
    emulator.add("https://www.baoji.gov.cn/hdjl/soft/", html_reply(
        "<html><head><title>页面不存在</title></head><body>您访问的页面不存在</body></html>"))
    emulator.add("https://www.baoji.gov.cn/hdjl/down/", Reply(status=503, body="Service Unavailable"))
    folder = tmp_path_factory.mktemp("weibo")
    return by_id(run_audit(emulator, accounts, folder, as_of=AS_OF)), folder


def result(audited, account_id):
    return audited[0][account_id]


def test_active_account_passes_with_name_and_certification(audited):
    item = result(audited, "active")
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert item.observation.name == "平安宝鸡"
    assert item.observation.certification == "宝鸡市公安局官方微博"
    assert item.observation.newest_post_at == days_before(AS_OF, 1)
    assert item.observation.newest_post_lists_newest
    assert "containerid=1076033100000001" in item.observation.newest_post_source
    assert item.judgement.idle_days == 1


@pytest.mark.parametrize("account_id, days", [("pinned-old-first", 2), ("pinned-old-style", 4)])
def test_an_old_pinned_post_listed_first_does_not_make_the_account_idle(audited, account_id, days):
    item = result(audited, account_id)
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert item.judgement.idle_days == days
    assert item.observation.pinned_post_at < item.observation.newest_post_at


def test_a_pinned_post_counts_as_a_post(audited):
    item = result(audited, "pinned-is-newest")
    assert item.judgement.idle_days == 1 and item.judgement.verdict == "pass"


@pytest.mark.parametrize("account_id, idle, verdict, expected_codes", [
    ("idle-7", 7, "pass", []),
    ("idle-8", 8, "pass", ["stale-7d"]),
    ("idle-14", 14, "pass", ["stale-7d"]),
    ("idle-15", 15, "fail", ["stale-14d"]),
    ("near-midnight", 14, "pass", ["stale-7d"]),
    ("just-before-midnight", 15, "fail", ["stale-14d"]),
    ("full-date", 3, "pass", []),
    ("policy-7-veto", 9, "fail", ["stale-14d"]),
])
def test_idle_day_boundaries_in_beijing_calendar_days(audited, account_id, idle, verdict, expected_codes):
    item = result(audited, account_id)
    assert item.judgement.idle_days == idle
    assert item.judgement.verdict == verdict
    assert codes(item) == expected_codes


def test_stale_message_names_the_date_and_days(audited):
    finding = result(audited, "idle-15").judgement.findings[0]
    assert finding.severity == "veto"
    assert finding.message == "超过14天未更新：最新发布于2026-11-06，已15天"
    assert finding.evidence and all(Path(path).exists() for path in finding.evidence)


@pytest.mark.parametrize("account_id", ["grouped", "new-containerid", "418-then-ok"])
def test_feed_variants_and_a_retried_rate_limit_pass(audited, account_id):
    item = result(audited, account_id)
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert item.judgement.idle_days == 1


def test_the_retry_is_recorded(audited):
    info = result(audited, "418-then-ok").observation.sources[0]
    assert info.attempts == 2 and info.status == 200


@pytest.mark.parametrize("account_id, code, words", [
    ("visitor-redirect", "blocked", "访客验证"),
    ("visitor-page", "blocked", "Sina Visitor System"),
    ("needs-login", "blocked", "ok:-100"),
    ("login-redirect", "blocked", "登录"),
    ("status-418", "blocked", "HTTP 418"),
    ("status-432", "blocked", "HTTP 432"),
    ("status-502", "unreachable", "HTTP 502"),
    ("connection-reset", "unreachable", "ERR_"),
    ("empty-feed", "unparsed", "这里还没有内容"),
    ("no-posts-in-cards", "unparsed", "未读到任何带时间的博文"),
    ("all-unreadable", "unparsed", "上周"),
    ("no-uid", "unparsed", "UID"),
])
def test_what_could_not_be_seen_is_review_never_idle(audited, account_id, code, words):
    item = result(audited, account_id)
    assert item.judgement.verdict == "review"
    assert codes(item) == [code]
    assert words in item.judgement.findings[0].message
    assert "stale-14d" not in codes(item) and "stale-7d" not in codes(item)
    if account_id != "no-uid":
        assert item.judgement.findings[0].evidence, "a review finding carries its evidence"


def test_rate_limits_are_retried_before_giving_up(audited):
    assert result(audited, "status-418").observation.sources[0].attempts == 3


@pytest.mark.parametrize("account_id", ["user-gone", "user-gone-page"])
def test_a_missing_user_is_a_gone_account(audited, account_id):
    item = result(audited, account_id)
    assert item.judgement.verdict == "fail" and codes(item) == ["account-gone"]


@pytest.mark.parametrize("account_id, code, message", [
    ("renamed", "name-mismatch", "账号名称与报备不一致：报备“平安宝鸡”，实际“平安宝鸡发布”"),
    ("other-certification", "certification-mismatch",
     "认证主体与报备不一致：报备“宝鸡市公安局”，实际“宝鸡市融媒体中心”"),
    ("not-verified", "certification-mismatch", "未见认证信息，报备认证主体为“宝鸡市公安局”"),
])
def test_name_and_certification_changes_are_warnings(audited, account_id, code, message):
    item = result(audited, account_id)
    assert item.judgement.verdict == "pass"
    assert [(f.code, f.severity, f.message) for f in item.judgement.findings] == [(code, "warn", message)]


def test_no_filed_certification_means_nothing_to_compare(audited):
    assert codes(result(audited, "no-certified-as")) == []


def test_an_unreadable_post_time_makes_an_old_date_a_lower_bound_only(audited):
    old = result(audited, "unreadable-and-old")
    assert old.judgement.verdict == "review" and codes(old) == ["update-unverified"]
    assert not old.observation.newest_post_lists_newest
    fresh = result(audited, "unreadable-and-fresh")
    assert fresh.judgement.verdict == "pass" and codes(fresh) == []


@pytest.mark.parametrize("account_id, verdict, expected_codes", [
    ("interaction-ok", "pass", []),
    ("interaction-404", "fail", ["no-interaction"]),
    ("interaction-soft-404", "fail", ["no-interaction"]),
    ("interaction-503", "review", ["unreachable"]),
])
def test_the_declared_interaction_page(audited, account_id, verdict, expected_codes):
    item = result(audited, account_id)
    assert item.judgement.verdict == verdict
    assert codes(item) == expected_codes
    assert "interaction" in item.observation.checks
    assert item.observation.sources[-1].kind == "interaction"


@pytest.mark.parametrize("account_id", list(RELATIVE_FORMATS))
def test_relative_times_resolve_against_the_fetch_time(audited, account_id):
    item = result(audited, account_id)
    posts = item.observation.sources[1]
    assert item.observation.newest_post_at == posts.fetched_at - RELATIVE_FORMATS[account_id][1]


@pytest.mark.parametrize("uid, expected", [
    ("3200000010", lambda fetched: (fetched - timedelta(days=1)).replace(hour=10, minute=2, second=0, microsecond=0)),
    ("3200000012", lambda fetched: (fetched - timedelta(days=2)).replace(hour=23, minute=10, second=0, microsecond=0)),
])
def test_day_relative_times(audited, uid, expected):
    item = result(audited, f"format-{uid}")
    fetched = item.observation.sources[1].fetched_at.astimezone(BEIJING)
    assert item.observation.newest_post_at == expected(fetched)


def test_month_day_means_this_year(audited):
    item = result(audited, "format-3200000011")
    fetched = item.observation.sources[1].fetched_at.astimezone(BEIJING)
    newest = item.observation.newest_post_at
    assert (newest.month, newest.day) == (8, 24)
    assert newest.year == (fetched.year if (fetched.month, fetched.day) >= (8, 24) else fetched.year - 1)


def test_evidence_is_a_viewport_jpeg_and_the_body_of_every_page(audited):
    item = result(audited, "active")
    paths = [Path(path) for path in item.observation.evidence]
    assert [path.name for path in paths] == [
        "01-weibo-userinfo.jpg", "01-weibo-userinfo.json", "02-weibo-posts.jpg", "02-weibo-posts.json",
        "observation.json",
    ]
    for path in paths:
        assert path.exists() and path.stat().st_size > 0
    assert paths[0].read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG
    assert json.loads(paths[1].read_text())["data"]["userInfo"]["screen_name"] == "平安宝鸡"
    stored = json.loads(paths[-1].read_text())
    assert stored["account_id"] == "active" and stored["name"] == "平安宝鸡"


def test_a_blocked_page_keeps_its_screenshot_and_body(audited):
    evidence = result(audited, "visitor-redirect").judgement.findings[0].evidence
    assert [Path(path).suffix for path in evidence] == [".jpg", ".html"]
    assert "Sina Visitor System" in Path(evidence[1]).read_text()


@pytest.mark.parametrize("url, uid", [
    ("https://weibo.com/u/2710000001", "2710000001"),
    ("https://m.weibo.cn/u/2710000001?uid=2710000001", "2710000001"),
    ("https://m.weibo.cn/profile/2710000001", "2710000001"),
    ("https://www.weibo.com/2710000001", "2710000001"),
    ("https://weibo.com/baojipolice", None),
    ("https://example.com/u/2710000001", None),
])
def test_uid_from_url(url, uid):
    assert uid_from_url(url) == uid


def test_the_kept_screenshot_is_the_rendered_profile_when_it_renders(audited):
    audited = audited[0]
    item = audited["profile-renders"]
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.pinned_post_at == days_before(AS_OF, 300).replace(second=0)
    assert item.observation.newest_post_at == days_before(AS_OF, 1)
    evidence = [Path(path).name for path in item.observation.evidence]
    assert evidence[0] == "01-weibo-profile.jpg", evidence  # what a reviewer reads first
    assert [s.kind for s in item.observation.sources] == ["weibo-profile", "weibo-userinfo", "weibo-posts"]
    # the JSON the page loaded is kept beside it, and no API answer was navigated to
    assert any(name.startswith("01-weibo-profile.loaded-") and name.endswith(".json") for name in evidence)
    assert not any(".jpg" in name and "profile" not in name for name in evidence)
    assert "stale-14d" in codes(audited["profile-renders-idle"])


def test_the_api_json_is_kept_when_the_profile_meets_the_visitor_wall(audited):
    audited = audited[0]
    item = audited["profile-wall"]
    assert item.judgement.verdict == "pass", codes(item)
    evidence = [Path(path).name for path in item.observation.evidence]
    assert [s.kind for s in item.observation.sources] == ["weibo-userinfo", "weibo-posts"]
    assert evidence[0].endswith("weibo-userinfo.jpg"), evidence
