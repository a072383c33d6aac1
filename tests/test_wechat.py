"""The WeChat adapter against emulated mp.weixin.qq.com and Sogou pages, in a real headless Chromium.

One audit of every case runs once for the module; each test then reads its account.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest

from nmaudit.dates import BEIJING, from_unix
from nmaudit.models import Account
from nmaudit.platforms import PLATFORMS
from nmaudit.platforms.wechat import (
    HOMEPAGE_LIST_FORM, WechatAdapter, account_name, article_time, page_kind, sogou_url, wechat_urls,
)
from nmaudit.html import Document
from tests.conftest import by_id, codes, run_audit
from tests.emulator import Reply, html_reply
from tests.wechat_site import (
    ACCOUNT_BLOCKED, ACCOUNT_CANCELLED, ACCOUNT_MIGRATING, CLIENT_ONLY, DELETED_BY_AUTHOR, DELETED_FOR_VIOLATION,
    ENVIRONMENT_ABNORMAL, LINK_EXPIRED, NAME, OPERATE_TOO_OFTEN, SEND_FAILED, SUBJECT, TOO_FREQUENT, UNKNOWN_PAGE,
    Album, Article, Homepage, SogouAccount, VerifyInfo, WechatSite, captcha_redirect, migrated_page,
)
from tests.weibo_site import days_before

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
OTHER_NAME = "陈仓发布"  # the account that did not opt in to Sogou


def ago(days: int, hour: int = 10) -> datetime:
    return days_before(AS_OF, days, hour)


def wechat_account(account_id: str, urls: list[str], **fields: Any) -> Account:
    values: dict[str, Any] = {"name": NAME, "platform": "wechat", "owner": SUBJECT, "certified_as": SUBJECT,
                              "urls": urls}
    values.update(fields)
    return Account(id=account_id, **values)


Build = Callable[[WechatSite, str], list[str]]


def pages(*served: Any) -> Build:
    """The account lists these pages, in this order."""
    return lambda site, key: [site.publish(f"{key}-{index}", page) for index, page in enumerate(served)]


def migrated(target: Article) -> Build:
    def build(site: WechatSite, key: str) -> list[str]:
        new_url = site.publish(f"{key}-new", target)
        return [site.publish(f"{key}-old", html_reply(migrated_page(new_url.replace("http://", "https://"))))]
    return build


def with_verify_info(reply: Reply, *served: Any) -> Build:
    return lambda site, key: pages(*served)(site, key) + [site.verify_info(key, reply)]


SOGOU = {"policy": {"sources": ["sogou"]}}

#: account id -> (the pages it lists, registry overrides)
CASES: dict[str, tuple[Build, dict]] = {
    "album-fresh": (pages(Album([ago(2), ago(5), ago(9)])), {}),
    "album-stale": (pages(Album([ago(20), ago(25)])), {}),
    "album-undated-item": (pages(Album([ago(20), None])), {}),
    "album-empty": (pages(Album([])), {}),
    "homepage-fresh": (pages(Homepage([ago(1), ago(4)])), {}),
    "homepage-stale": (pages(Homepage([ago(16), ago(30)])), {}),
    "homepage-list-throttled": (pages(Homepage([], listing=html_reply(OPERATE_TOO_OFTEN))), {}),
    "homepage-shell-blocked": (pages(Homepage([ago(1)], shell=html_reply(ENVIRONMENT_ABNORMAL))), {}),
    "article-ct": (pages(Article(ago(2), "ct", "htmlDecode")), {}),
    "article-window-ct": (pages(Article(ago(3), "window.ct", "var")), {}),
    "article-create-time": (
        pages(Article(datetime(2026, 11, 19, 23, 30, tzinfo=BEIJING), "createTime", "js_name")), {}),
    "article-ori-create-time": (pages(Article(ago(4), "oriCreateTime", "wx_follow_nickname")), {}),
    "article-source-create-time": (pages(Article(ago(1), "js_article_create_time", rewrite=True)), {}),
    "article-short-link": (pages(Article(ago(2), short=True)), {}),
    "article-site-name-only": (pages(Article(ago(2), name_style="none")), {}),
    "article-old": (pages(Article(ago(30))), {}),
    "article-no-time": (pages(Article(None, "none")), {}),
    "article-renamed": (pages(Article(ago(2), nickname="宝鸡发布厅")), {}),
    "article-quoting-a-wall": (pages(Article(ago(2), title="警惕“链接已过期”“此帐号已被屏蔽”等诈骗短信")), {}),
    "blocked-environment": (pages(html_reply(ENVIRONMENT_ABNORMAL)), {}),
    "blocked-captcha": (lambda site, key: [site.publish(key, captcha_redirect(key))], {}),
    "blocked-too-frequent": (pages(html_reply(TOO_FREQUENT)), {}),
    "blocked-operate-often": (pages(html_reply(OPERATE_TOO_OFTEN)), {}),
    "blocked-link-expired": (pages(html_reply(LINK_EXPIRED)), {}),
    "blocked-history-page": (lambda site, key: [
        f"https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=Mz{key}==&scene=124#wechat_redirect"], {}),
    "deleted-by-author": (pages(html_reply(DELETED_BY_AUTHOR)), {}),
    "deleted-for-violation": (pages(html_reply(DELETED_FOR_VIOLATION)), {}),
    "deleted-send-failed": (pages(html_reply(SEND_FAILED)), {}),
    "account-blocked": (pages(html_reply(ACCOUNT_BLOCKED)), {}),
    "account-cancelled": (pages(html_reply(ACCOUNT_CANCELLED)), {}),
    "account-migrating": (pages(html_reply(ACCOUNT_MIGRATING)), {}),
    "account-migrated": (migrated(Article(ago(1), nickname="宝鸡市政府发布")), {}),
    "server-error": (pages(Reply(status=502, body="<html><title>502 Bad Gateway</title></html>")), {}),
    "connection-reset": (pages(Reply(drop=True)), {}),
    "unknown-page": (pages(html_reply(UNKNOWN_PAGE)), {}),
    "no-wechat-link": (lambda site, key: ["http://www.baoji.gov.cn/"], {}),
    "album-and-newer-article": (pages(Album([ago(20), ago(22)]), Article(ago(2))), {}),
    "album-and-older-article": (pages(Album([ago(20)]), Article(ago(40))), {}),
    "album-and-deleted-article": (pages(Album([ago(2)]), html_reply(DELETED_BY_AUTHOR)), {}),
    "album-and-blocked-article": (pages(Album([ago(2)]), html_reply(ENVIRONMENT_ABNORMAL)), {}),
    "old-article-and-homepage": (pages(Article(ago(40)), Homepage([ago(3)])), {}),
    "verify-info": (pages(Album([ago(2)]), VerifyInfo()), {}),
    "verify-info-other-subject": (pages(Album([ago(2)]), VerifyInfo({"机构名称": "宝鸡市融媒体中心"})), {}),
    "verify-info-client-only": (with_verify_info(html_reply(CLIENT_ONLY), Album([ago(2)])), {}),
    "sogou-recent-post": (pages(Article(ago(30))), SOGOU),
    "sogou-not-certified": (pages(Article(ago(2), nickname="金台发布")), {**SOGOU, "name": "金台发布"}),
    "sogou-captcha": (pages(Article(ago(2), nickname="渭滨发布")), {**SOGOU, "name": "渭滨发布"}),
    "sogou-not-found": (pages(Article(ago(2), nickname="岐山发布")), {**SOGOU, "name": "岐山发布"}),
    "sogou-off": (pages(Article(ago(2), nickname=OTHER_NAME)), {"name": OTHER_NAME}),
}


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    site = WechatSite(emulator)
    site.sogou_results(NAME, [SogouAccount("宝鸡发布厅", latest=ago(40)), SogouAccount(NAME, latest=ago(2))])
    site.sogou_results("金台发布", [SogouAccount("金台发布", certification=None, latest=ago(2))])
    site.sogou_captcha("渭滨发布")
    site.sogou_results("岐山发布", [SogouAccount("岐山发布厅"), SogouAccount("岐山县融媒体")])
    site.sogou_results(OTHER_NAME, [SogouAccount(OTHER_NAME, latest=ago(1))])  # never to be asked
    accounts = [wechat_account(account_id, build(site, account_id), **overrides)
                for account_id, (build, overrides) in CASES.items()]
    folder = tmp_path_factory.mktemp("wechat")
    return by_id(run_audit(emulator, accounts, folder, as_of=AS_OF)), emulator


def result(audited, account_id):
    return audited[0][account_id]


def kinds(item) -> list[tuple[str, str]]:
    return [(source.kind, source.outcome) for source in item.observation.sources]


@pytest.mark.parametrize("account_id, idle, lists_newest, name", [
    ("album-fresh", 2, True, NAME),
    ("homepage-fresh", 1, True, None),  # the shell names nobody; the list has no nickname
    ("article-ct", 2, False, NAME),
    ("article-window-ct", 3, False, NAME),
    ("article-ori-create-time", 4, False, NAME),
    ("article-short-link", 2, False, NAME),
])
def test_a_recent_post_from_any_source_passes(audited, account_id, idle, lists_newest, name):
    item = result(audited, account_id)
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert codes(item) == []
    assert item.judgement.idle_days == idle
    assert item.observation.newest_post_at == ago(idle)
    assert item.observation.newest_post_lists_newest is lists_newest
    assert item.observation.name == name


@pytest.mark.parametrize("account_id, idle, message", [
    ("album-stale", 20, "超过14天未更新：最新发布于2026-11-01，已20天"),
    ("homepage-stale", 16, "超过14天未更新：最新发布于2026-11-05，已16天"),
])
def test_a_full_list_source_proves_idleness(audited, account_id, idle, message):
    item = result(audited, account_id)
    assert item.judgement.verdict == "fail"
    assert [(f.code, f.message) for f in item.judgement.findings] == [("stale-14d", message)]
    assert item.judgement.idle_days == idle
    assert item.judgement.findings[0].evidence


def test_a_single_old_article_is_a_lower_bound_and_never_fails(audited):
    item = result(audited, "article-old")
    assert item.judgement.verdict == "review"
    assert [(f.code, f.message) for f in item.judgement.findings] == [
        ("update-unverified", "仅见2026-10-22的发布（单篇来源，不能证明此后未更新），需人工核查")]
    assert not item.observation.newest_post_lists_newest


def test_an_album_item_without_a_time_makes_the_album_a_lower_bound(audited):
    item = result(audited, "album-undated-item")
    assert item.judgement.verdict == "review" and codes(item) == ["update-unverified"]
    assert item.observation.posts_seen == 1


def test_create_time_is_beijing_time(audited):
    item = result(audited, "article-create-time")
    assert item.observation.newest_post_at == datetime(2026, 11, 19, 23, 30, tzinfo=BEIJING)
    assert item.judgement.idle_days == 2 and item.judgement.verdict == "pass"


def test_the_time_the_server_sent_is_read_not_the_dom_a_script_rewrote(audited):
    item = result(audited, "article-source-create-time")
    assert item.observation.newest_post_at == ago(1)  # the script writes 2019-01-01 into the DOM
    assert item.judgement.verdict == "pass"
    body = next(Path(path) for path in item.observation.sources[0].evidence if path.endswith(".html"))
    assert "1546300800" in body.read_text()  # the rewriting script is there, and was ignored


@pytest.mark.parametrize("account_id, name", [
    ("article-ct", NAME),  # var nickname = htmlDecode("..")
    ("article-window-ct", NAME),  # var nickname = ".."
    ("article-create-time", NAME),  # #js_name
    ("article-ori-create-time", NAME),  # .wx_follow_nickname
    ("album-fresh", NAME),  # .album__author-name
    ("article-site-name-only", None),  # og:site_name "微信公众平台" is never a name
])
def test_the_account_name_and_where_it_was_read(audited, account_id, name):
    observation = result(audited, account_id).observation
    assert observation.name == name
    assert (observation.name_source is not None) == (name is not None)


def test_an_article_quoting_wall_sentences_is_read_as_an_article(audited):
    item = result(audited, "article-quoting-a-wall")
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert kinds(item) == [("wechat-article", "ok")]


def test_og_site_name_alone_gives_no_name_and_no_mismatch(audited):
    item = result(audited, "article-site-name-only")
    assert item.judgement.verdict == "pass" and codes(item) == []


def test_a_renamed_account_is_a_name_warning(audited):
    item = result(audited, "article-renamed")
    assert item.judgement.verdict == "pass"
    assert [(f.code, f.message) for f in item.judgement.findings] == [
        ("name-mismatch", "账号名称与报备不一致：报备“宝鸡发布”，实际“宝鸡发布厅”")]


def test_the_homepage_list_is_posted_as_a_form(audited):
    emulator = audited[1]
    posts = [r for r in emulator.requests_to("mp.weixin.qq.com") if r.path == "/mp/homepage" and r.method == "POST"]
    assert posts and all(r.body == HOMEPAGE_LIST_FORM.encode() for r in posts)
    assert all(r.headers.get("Content-Type") == "application/x-www-form-urlencoded" for r in posts)
    item = result(audited, "homepage-fresh")
    assert kinds(item) == [("wechat-homepage", "ok"), ("wechat-homepage-list", "ok")]
    assert "hid=homepage-fresh-0" in item.observation.newest_post_source
    names = [Path(path).name for path in item.observation.evidence if "observation" not in path]
    assert names == ["01-wechat-homepage.jpg", "01-wechat-homepage.html",
                     "02-wechat-homepage-list.response.json", "02-wechat-homepage-list.json"]
    listed = json.loads(Path(item.observation.evidence[3]).read_text())
    assert [from_unix(entry["sendtime"]) for entry in listed["appmsg_list"]] == [ago(1), ago(4)]


@pytest.mark.parametrize("account_id, words", [
    ("blocked-environment", "提示“环境异常”"),
    ("blocked-captcha", "要求完成验证码"),
    ("blocked-too-frequent", "提示“访问过于频繁”"),
    ("blocked-operate-often", "提示“操作频繁，请稍候再试”"),
    ("blocked-link-expired", "提示“链接已过期”"),
    ("blocked-history-page", "暂不支持的链接类型）提示“请在微信客户端打开链接”"),
    ("homepage-list-throttled", "主页文章列表提示“操作频繁，请稍候再试”"),
    ("homepage-shell-blocked", "公众号主页提示“环境异常”"),
    ("sogou-captcha", "搜狗微信搜索结果要求完成验证码"),
    ("album-and-blocked-article", "文章页面提示“环境异常”"),
])
def test_a_blocked_page_is_review_never_idle(audited, account_id, words):
    item = result(audited, account_id)
    assert item.judgement.verdict == "review"
    assert codes(item) == ["blocked"]
    assert words in item.judgement.findings[0].message, item.judgement.findings[0].message
    assert item.judgement.findings[0].evidence, "a review finding carries its evidence"
    assert "blocked" in [outcome for _, outcome in kinds(item)]


def test_a_captcha_redirect_names_where_it_was_sent(audited):
    message = result(audited, "blocked-captcha").judgement.findings[0].message
    assert "mp.weixin.qq.com/mp/wappoc_appmsgcaptcha" in message


def test_a_blocked_homepage_shell_stops_before_the_list(audited):
    assert kinds(result(audited, "homepage-shell-blocked")) == [("wechat-homepage", "blocked")]


@pytest.mark.parametrize("account_id, marker", [
    ("deleted-by-author", "该内容已被发布者删除"),
    ("deleted-for-violation", "此内容因违规无法查看"),
    ("deleted-send-failed", "此内容发送失败无法查看"),
])
def test_a_deleted_article_is_not_a_gone_account(audited, account_id, marker):
    item = result(audited, account_id)
    assert item.judgement.verdict == "review"
    assert codes(item) == ["unparsed"]
    message = item.judgement.findings[0].message
    assert marker in message and "并非账号注销" in message
    assert kinds(item) == [("wechat-article", "gone")]
    assert item.judgement.findings[0].evidence


def test_a_deleted_article_beside_a_working_album_changes_nothing(audited):
    item = result(audited, "album-and-deleted-article")
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert kinds(item) == [("wechat-album", "ok"), ("wechat-article", "gone")]


@pytest.mark.parametrize("account_id, marker", [
    ("account-blocked", "此帐号已被屏蔽"),
    ("account-cancelled", "此帐号已自主注销"),
    ("account-migrating", "此帐号处于帐号迁移流程中"),
])
def test_a_blocked_cancelled_or_migrating_account_is_gone(audited, account_id, marker):
    item = result(audited, account_id)
    assert item.judgement.verdict == "fail" and codes(item) == ["account-gone"]
    assert f"提示“{marker}”" in item.judgement.findings[0].message
    assert kinds(item) == [("wechat-article", "gone")]


def test_a_migrated_account_is_gone_and_its_new_home_is_read(audited):
    item = result(audited, "account-migrated")
    assert item.judgement.verdict == "fail" and codes(item) == ["account-gone"]
    message = item.judgement.findings[0].message
    assert message.startswith("公众号已迁移：文章页面提示“该公众号已迁移”（HTTP 200）：")
    assert "迁移至 https://mp.weixin.qq.com/s?__biz=" in message and "sn=account-migrated-new" in message
    assert "新账号“宝鸡市政府发布”，该文发布于2026-11-20" in message
    assert message.endswith("报备的账号已不存在，需报备迁移后的新账号")
    assert kinds(item) == [("wechat-article", "gone"), ("wechat-migrated-to", "ok")]
    assert len(item.judgement.findings[0].evidence) == 4  # both pages: screenshot and body each
    assert item.observation.name is None and item.observation.newest_post_at is None  # another account's


@pytest.mark.parametrize("account_id, code, words", [
    ("server-error", "unreachable", "HTTP 502"),
    ("connection-reset", "unreachable", "ERR_"),
    ("unknown-page", "unparsed", "未能识别的文章页面（HTTP 200，页面标题“微信公众平台”）"),
    ("album-empty", "unparsed", "合集页面中没有读到带发布时间的文章"),
    ("article-no-time", "unparsed", "文章页面中未找到发布时间"),
    ("no-wechat-link", "unparsed", "报备链接中没有微信公众号页面（mp.weixin.qq.com）"),
])
def test_what_could_not_be_read_is_review(audited, account_id, code, words):
    item = result(audited, account_id)
    assert item.judgement.verdict == "review"
    assert codes(item) == [code]
    assert words in item.judgement.findings[0].message, item.judgement.findings[0].message


def test_the_server_error_was_retried(audited):
    assert result(audited, "server-error").observation.sources[0].attempts == 3


def test_a_newer_article_beside_an_album_gives_the_newest_post(audited):
    item = result(audited, "album-and-newer-article")
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert item.observation.newest_post_at == ago(2) and item.judgement.idle_days == 2
    assert "sn=album-and-newer-article-1" in item.observation.newest_post_source
    assert item.observation.newest_post_lists_newest  # idleness is provable: the album was read
    assert item.observation.posts_seen == 3


@pytest.mark.parametrize("account_id, verdict, expected_codes, idle", [
    ("album-and-older-article", "fail", ["stale-14d"], 20),
    ("old-article-and-homepage", "pass", [], 3),
])
def test_sources_combine(audited, account_id, verdict, expected_codes, idle):
    item = result(audited, account_id)
    assert item.judgement.verdict == verdict and codes(item) == expected_codes
    assert item.judgement.idle_days == idle


@pytest.mark.parametrize("account_id, certification, verdict, expected_codes, outcome", [
    ("verify-info", SUBJECT, "pass", [], "ok"),
    ("verify-info-other-subject", "宝鸡市融媒体中心", "pass", ["certification-mismatch"], "ok"),
    ("verify-info-client-only", None, "pass", [], "blocked"),
])
def test_the_verify_info_page_gives_the_certification_subject(audited, account_id, certification, verdict,
                                                              expected_codes, outcome):
    item = result(audited, account_id)
    assert item.observation.certification == certification
    assert item.judgement.verdict == verdict and codes(item) == expected_codes
    assert kinds(item)[-1] == ("wechat-verify-info", outcome)


def test_sogou_adds_a_recent_post_and_the_certification(audited):
    item = result(audited, "sogou-recent-post")
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert item.observation.newest_post_at == ago(2)  # the same-named result, not the first one
    assert item.observation.newest_post_source == sogou_url(NAME)
    assert not item.observation.newest_post_lists_newest
    assert item.observation.certification == SUBJECT
    assert kinds(item) == [("wechat-article", "ok"), ("sogou-search", "ok")]


def test_a_sogou_result_without_certification_is_seen_as_not_certified(audited):
    item = result(audited, "sogou-not-certified")
    assert item.observation.certification == ""
    assert [(f.code, f.message) for f in item.judgement.findings] == [
        ("certification-mismatch", f"未见认证信息，报备认证主体为“{SUBJECT}”")]


def test_sogou_without_the_filed_name_is_review(audited):
    item = result(audited, "sogou-not-found")
    assert item.judgement.verdict == "review" and codes(item) == ["unparsed"]
    assert "搜狗微信搜索“岐山发布”未找到同名公众号（搜索结果：岐山发布厅、岐山县融媒体）" in item.judgement.findings[0].message
    assert item.observation.certification is None


def test_sogou_is_never_asked_unless_opted_in(audited):
    emulator = audited[1]
    queried = [r.query.get("query") for r in emulator.requests_to("weixin.sogou.com") if r.path == "/weixin"]
    assert OTHER_NAME not in queried
    assert sorted(queried) == sorted([NAME, "金台发布", "渭滨发布", "岐山发布"])
    item = result(audited, "sogou-off")
    assert item.judgement.verdict == "pass" and [kind for kind, _ in kinds(item)] == ["wechat-article"]


def test_comments_are_left_to_staff(audited):
    observation = result(audited, "album-fresh").observation
    assert observation.checks == ["update", "name", "certification"]
    assert observation.not_checked == ["interaction"]


# -- pure parts ----------------------------------------------------------------------------------


def test_the_platform_table_has_the_adapter():
    assert isinstance(PLATFORMS["wechat"], WechatAdapter)


@pytest.mark.parametrize("sources, hosts", [
    ([], ["mp.weixin.qq.com"]),
    (["sogou"], ["mp.weixin.qq.com", "weixin.sogou.com"]),
])
def test_hosts_are_the_wechat_links_and_sogou_when_opted_in(sources, hosts):
    account = wechat_account("a", ["http://mp.weixin.qq.com/s/abc", "http://www.baoji.gov.cn/",
                                   "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA==&album_id=1"],
                             policy={"sources": sources})
    assert WechatAdapter().hosts(account) == hosts


def test_wechat_links_are_https_without_fragments_and_deduplicated():
    assert wechat_urls([
        "http://mp.weixin.qq.com/s?__biz=MzA==&mid=1&idx=1&sn=ab#rd",
        "https://mp.weixin.qq.com/s?__biz=MzA==&mid=1&idx=1&sn=ab",
        "https://www.baoji.gov.cn/",
    ]) == ["https://mp.weixin.qq.com/s?__biz=MzA==&mid=1&idx=1&sn=ab"]


@pytest.mark.parametrize("url, kind", [
    ("https://mp.weixin.qq.com/s/Ab-cD_123", "wechat-article"),
    ("https://mp.weixin.qq.com/s?__biz=MzA==&mid=1&idx=1&sn=ab", "wechat-article"),
    ("https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA==&action=getalbum&album_id=1", "wechat-album"),
    ("https://mp.weixin.qq.com/mp/homepage?__biz=MzA==&hid=2", "wechat-homepage"),
    ("https://mp.weixin.qq.com/mp/getverifyinfo?__biz=MzA==&type=reg_info", "wechat-verify-info"),
    ("https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzA==", "wechat-page"),
])
def test_page_kinds(url, kind):
    assert page_kind(url) == kind


FETCHED_AT = datetime(2026, 11, 21, 9, 0, tzinfo=BEIJING)


@pytest.mark.parametrize("source, expected, variant", [
    ('var ct = "1763690000";', from_unix(1763690000), "var ct"),
    ("var ct=1763690000;", from_unix(1763690000), "var ct"),
    ("window.ct = '1763690000' || '';", from_unix(1763690000), "window.ct"),
    ("window.ct = '' || ''; var createTime = '2025-07-15 12:06';",
     datetime(2025, 7, 15, 12, 6, tzinfo=BEIJING), "var createTime"),
    ("var createTime = '2025-02-30 12:06'; var oriCreateTime = 1603870767;", from_unix(1603870767), "oriCreateTime"),
    ('<span class="js_article_create_time">1603870767</span>', from_unix(1603870767), ".js_article_create_time"),
    ('var ct = "";', None, None),
])
def test_article_time_variants(source, expected, variant):
    found = article_time(source, Document(source), FETCHED_AT)
    assert (found or (None, None)) == (expected, variant)


@pytest.mark.parametrize("source, name", [
    ('<script>var nickname = htmlDecode("宝鸡&amp;陈仓");</script>', "宝鸡&陈仓"),
    (r'<script>var nickname = htmlDecode("\x26quot;宝鸡\x26quot;发布");</script>', '"宝鸡"发布'),
    ("<script>var nickname = '宝鸡发布';</script>", "宝鸡发布"),
    ('<script>var nickname = htmlDecode("");</script><a id="js_name"> 宝鸡发布 </a>', "宝鸡发布"),
    ('<div class="wx_follow_nickname">宝鸡发布</div>', "宝鸡发布"),
    ('<span class="album__author-name">宝鸡发布</span>', "宝鸡发布"),
    ('<meta property="og:site_name" content="微信公众平台"><title>微信公众平台</title>', None),
])
def test_account_name_variants(source, name):
    assert account_name(source, Document(source)) == name
