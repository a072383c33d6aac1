"""The WeChat adapter against emulated mp.weixin.qq.com and Sogou pages, in a real headless Chromium.

One audit of every case runs once for the module; each test then reads its account.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest

from nmaudit.audit import AuditOptions, resume_run
from nmaudit.browser import BrowserOptions
from nmaudit.dates import BEIJING, from_unix
from nmaudit.store import Store
from nmaudit.models import Account
from nmaudit.platforms import PLATFORMS
from nmaudit.platforms.wechat import (
    HOMEPAGE_LIST_FORM, WechatAdapter, account_name, article_time, page_kind, sogou_url, wechat_urls,
)
from nmaudit.html import Document
from tests.conftest import by_id, codes, run_audit
from tests.emulator import Emulator, Reply, html_reply
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
    # Sogou off unless a case asks for it: these cases read the pages themselves.
    values: dict[str, Any] = {"name": NAME, "platform": "wechat", "owner": SUBJECT, "certified_as": SUBJECT,
                              "urls": urls, "policy": {"sogou": "never"}}
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
AUTO: dict[str, Any] = {"policy": {}}  # the default: Sogou when nothing lists the newest posts
MEIXIAN = "宝鸡市眉县人民政府办公室"


def NO_PAGES(site: WechatSite, key: str) -> list[str]:
    return []

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
    "sogou-not-found": (pages(Article(ago(2), nickname="岐山发布")), {**SOGOU, "name": "岐山发布"}),
    "sogou-off": (pages(Article(ago(2), nickname=OTHER_NAME)), {"name": OTHER_NAME}),
    # Sogou by default: no album, homepage or feed lists these accounts' newest posts.
    "auto-wechat-id": (NO_PAGES, {**AUTO, "name": "眉县发布", "ids": {"wechat_id": "meixianfabu"}}),
    "auto-gh-id": (NO_PAGES, {**AUTO, "name": "凤县发布", "ids": {"gh_id": "gh_0a1b2c3d4e5f"}}),
    "auto-name-only-old": (NO_PAGES, {**AUTO, "name": "千阳发布"}),
    "auto-id-renamed-recertified": (NO_PAGES, {**AUTO, "name": "陇县发布", "ids": {"wechat_id": "longxianfabu"}}),
    "auto-id-unknown-then-name": (NO_PAGES, {**AUTO, "name": "扶风发布", "ids": {"wechat_id": "fufengfabu"}}),
    "auto-article-only": (pages(Article(ago(20), nickname="麟游发布")), {**AUTO, "name": "麟游发布"}),
    "auto-album-no-sogou": (pages(Album([ago(3)])), AUTO),
    "article-with-album": (pages(Article(ago(30), albums=("3329839945947119618",))), {}),
}


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    site = WechatSite(emulator)
    site.sogou_results(NAME, [SogouAccount("宝鸡发布厅", latest=ago(40)), SogouAccount(NAME, latest=ago(2))])
    site.sogou_results("金台发布", [SogouAccount("金台发布", certification=None, latest=ago(2))])
    site.sogou_results("岐山发布", [SogouAccount("岐山发布厅"), SogouAccount("岐山县融媒体")])
    site.sogou_results(OTHER_NAME, [SogouAccount(OTHER_NAME, latest=ago(1))])  # never to be asked
    # The exact account listed second, after a look-alike, as a real search lists one.
    site.sogou_results("meixianfabu", [SogouAccount("眉县发布厅", MEIXIAN, ago(1), "meixianfabuting"),
                                       SogouAccount("眉县发布", "宝鸡市眉县人民政府办公室", ago(3), "meixianfabu")])
    site.sogou_results("gh_0a1b2c3d4e5f", [SogouAccount("凤县发布", "宝鸡市凤县人民政府办公室", ago(5), "gh_0a1b2c3d4e5f")])
    site.sogou_results("千阳发布", [SogouAccount("千阳发布", "宝鸡市千阳县人民政府办公室", ago(20), "qianyangfabu")])
    site.sogou_results("longxianfabu", [SogouAccount("陇县之声", "陇县融媒体中心", ago(1), "longxianfabu")])
    site.sogou_results("扶风发布", [SogouAccount("扶风发布", "宝鸡市扶风县人民政府办公室", ago(4), "fufeng_gov")])
    site.sogou_results("麟游发布", [SogouAccount("麟游发布", "宝鸡市麟游县人民政府办公室", ago(1), "linyoufabu")])
    site.publish("3329839945947119618", Album([ago(6), ago(8)]))
    accounts = [wechat_account(account_id, build(site, account_id), **with_owner(overrides))
                for account_id, (build, overrides) in CASES.items()]
    folder = tmp_path_factory.mktemp("wechat")
    return by_id(run_audit(emulator, accounts, folder, as_of=AS_OF)), emulator


def with_owner(overrides: dict) -> dict:
    """Accounts named after a county are that county's: owner and 认证主体 follow the name."""
    county = {"眉县发布": "眉县", "凤县发布": "凤县", "千阳发布": "千阳县", "陇县发布": "陇县", "扶风发布": "扶风县",
              "麟游发布": "麟游县"}.get(overrides.get("name", ""))
    if county is None:
        return overrides
    unit = f"宝鸡市{county}人民政府办公室"
    return {"owner": unit, "certified_as": unit, **overrides}


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
])
def test_a_blocked_page_is_review_never_idle(audited, account_id, words):
    item = result(audited, account_id)
    assert item.judgement.verdict == "review"
    assert codes(item) == ["blocked"]
    assert words in item.judgement.findings[0].message, item.judgement.findings[0].message
    assert item.judgement.findings[0].evidence, "a review finding carries its evidence"
    assert "blocked" in [outcome for _, outcome in kinds(item)]


def test_a_blocked_article_beside_an_album_that_proves_the_update_is_a_note(audited):
    """The filed album lists a post 2 days old; the filed article met the 环境异常 wall. The
    wall weighs nothing: every indicator it would have shown was proven by the album."""
    item = result(audited, "album-and-blocked-article")
    assert item.judgement.verdict == "pass", codes(item)
    [finding] = item.judgement.findings
    assert finding.code == "blocked" and "文章页面提示“环境异常”" in finding.message and finding.evidence
    assert item.judgement.indicators["update"].state == "pass" and item.judgement.blocking() == []
    # Only the 认证主体 (shown by no other page here, and not required) is left to it.
    unconfirmed = [k for k, r in item.judgement.indicators.items() if r.state == "unconfirmed"]
    assert unconfirmed == ["certification"]
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


def test_a_same_named_result_without_certification_is_not_taken_for_the_account(audited):
    """Anyone can register a look-alike name: an exact name is the account only with its 认证主体."""
    item = result(audited, "sogou-not-certified")
    assert item.observation.certification is None
    # Not the account: so Sogou found nothing; the filed article (2 days old) still proves the
    # update and the name, so the account is 合格 and Sogou's miss a note; the 认证主体 is unconfirmed.
    assert item.judgement.verdict == "pass" and codes(item) == ["not-found"] and item.judgement.blocking() == []
    assert item.judgement.indicators["certification"].state == "unconfirmed"
    assert item.judgement.indicators["update"].state == item.judgement.indicators["name"].state == "pass"
    assert "搜索结果：金台发布（微信号 baojifabu，未认证）" in item.judgement.findings[0].message


def test_sogou_without_the_filed_account_is_review_with_the_candidates(audited):
    item = result(audited, "sogou-not-found")
    # The filed article proves the update and the name: Sogou's miss is a note with its evidence.
    assert item.judgement.verdict == "pass" and codes(item) == ["not-found"] and item.judgement.blocking() == []
    assert item.judgement.indicators["certification"].reasons == [item.judgement.findings[0].message]
    message = item.judgement.findings[0].message
    assert message.startswith("搜狗微信搜索“岐山发布”未找到报备的公众号（按名称“岐山发布”与认证主体")
    assert f"搜索结果：岐山发布厅（微信号 baojifabu，认证：{SUBJECT}）；岐山县融媒体（" in message
    assert item.observation.certification is None
    assert item.judgement.findings[0].evidence  # the search pages


def test_a_wechat_id_finds_the_account_listed_second(audited):
    item = result(audited, "auto-wechat-id")
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert item.observation.newest_post_at == ago(3)  # the 微信号's result, not the first one
    assert not item.observation.newest_post_lists_newest
    assert item.observation.identified_by == (
        "搜狗微信搜索“meixianfabu”：眉县发布（微信号 meixianfabu，认证：宝鸡市眉县人民政府办公室），微信号 meixianfabu 一致")
    assert kinds(item) == [("sogou-search", "ok")]


def test_an_original_id_finds_the_account(audited):
    item = result(audited, "auto-gh-id")
    assert item.judgement.verdict == "pass" and item.observation.newest_post_at == ago(5)
    assert item.observation.identified_by.endswith("原始ID gh_0a1b2c3d4e5f 一致")


def test_sogou_alone_never_proves_idleness(audited):
    """A 20-day-old newest article on Sogou is a lower bound: 待复核 with the date, never 不合格."""
    item = result(audited, "auto-name-only-old")
    assert item.judgement.verdict == "review" and codes(item) == ["update-unverified"]
    assert item.judgement.findings[0].message.startswith(f"仅见{ago(20):%Y-%m-%d}的发布")
    assert item.observation.identified_by.endswith("名称与认证主体一致")


def test_a_wechat_id_match_shows_a_rename_and_a_new_certification(audited):
    item = result(audited, "auto-id-renamed-recertified")
    assert item.judgement.verdict == "pass"
    assert codes(item) == ["name-mismatch", "certification-mismatch"]
    assert item.observation.name == "陇县之声" and item.observation.certification == "陇县融媒体中心"


def test_an_id_sogou_does_not_know_falls_back_to_the_name(audited):
    item = result(audited, "auto-id-unknown-then-name")
    assert item.judgement.verdict == "pass" and item.observation.newest_post_at == ago(4)
    assert [kind for kind, _ in kinds(item)] == ["sogou-search", "sogou-search"]
    assert item.observation.identified_by.startswith("搜狗微信搜索“扶风发布”")


def test_an_article_only_account_asks_sogou_by_default(audited):
    item = result(audited, "auto-article-only")
    assert item.judgement.verdict == "pass" and item.observation.newest_post_at == ago(1)
    assert [kind for kind, _ in kinds(item)] == ["wechat-article", "sogou-search"]


def test_a_listing_link_needs_no_sogou(audited):
    item = result(audited, "auto-album-no-sogou")
    assert [kind for kind, _ in kinds(item)] == ["wechat-album"]


def test_albums_linked_from_an_article_are_read_as_lower_bounds(audited):
    item = result(audited, "article-with-album")
    assert kinds(item) == [("wechat-article", "ok"), ("wechat-linked-album", "ok")]
    assert item.observation.newest_post_at == ago(6) and not item.observation.newest_post_lists_newest
    assert item.judgement.verdict == "pass"


def test_sogou_is_asked_only_where_the_policy_lets_it(audited):
    emulator = audited[1]
    queried = [r.query.get("query") for r in emulator.requests_to("weixin.sogou.com") if r.path == "/weixin"]
    assert OTHER_NAME not in queried and "宝鸡发布" in queried
    assert sorted(queried) == sorted([NAME, "金台发布", "岐山发布", "meixianfabu", "gh_0a1b2c3d4e5f",
                                      "千阳发布", "longxianfabu", "fufengfabu", "扶风发布", "麟游发布"])
    item = result(audited, "sogou-off")
    assert item.judgement.verdict == "pass" and [kind for kind, _ in kinds(item)] == ["wechat-article"]


def test_comments_are_left_to_staff(audited):
    observation = result(audited, "album-fresh").observation
    assert observation.checks == ["update", "name", "certification"]
    assert observation.not_checked == ["interaction"]


# -- pure parts ----------------------------------------------------------------------------------


def test_the_platform_table_has_the_adapter():
    assert isinstance(PLATFORMS["wechat"], WechatAdapter)


@pytest.mark.parametrize("policy, album, hosts", [
    ({}, True, ["mp.weixin.qq.com"]),
    ({}, False, ["mp.weixin.qq.com", "weixin.sogou.com"]),
    ({"sources": ["sogou"]}, True, ["mp.weixin.qq.com", "weixin.sogou.com"]),
    ({"sogou": "always"}, True, ["mp.weixin.qq.com", "weixin.sogou.com"]),
    ({"sogou": "never"}, False, ["mp.weixin.qq.com"]),
])
def test_hosts_are_the_wechat_links_and_sogou_when_used(policy, album, hosts):
    urls = ["http://mp.weixin.qq.com/s/abc", "http://www.baoji.gov.cn/"]
    if album:
        urls.append("https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA==&album_id=1")
    assert WechatAdapter().hosts(wechat_account("a", urls, policy=policy)) == hosts


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


# -- Sogou's antispider wall in the middle of a run ------------------------------------------------


def test_an_antispider_wall_stops_sogou_for_the_run_and_resume_finishes(tmp_path):
    """Sogou answers two searches, then its wall: the third account meets it, Sogou is asked nothing
    more, every account left is 待复核 with the wall's evidence; --resume later finishes them."""
    with Emulator() as emulator:
        wall_then_resume(emulator, tmp_path)


def wall_then_resume(emulator: Emulator, tmp_path: Path) -> None:
    site = WechatSite(emulator)
    counties = ["太白", "凤翔", "岐山", "扶风", "眉县", "千阳"]
    for county in counties:
        unit = f"宝鸡市{county}人民政府办公室"
        site.sogou_results(f"{county}政务", [SogouAccount(f"{county}政务", unit, ago(2), f"wall{len(county)}")])
    accounts = [wechat_account(f"wall-{index}", [], name=f"{county}政务", owner=f"宝鸡市{county}人民政府办公室",
                               certified_as=f"宝鸡市{county}人民政府办公室", policy={})
                for index, county in enumerate(counties)]
    site.sogou_wall_after = 2
    run = run_audit(emulator, accounts, tmp_path, as_of=AS_OF, concurrency=1)
    items = by_id(run)
    searched = [r for r in emulator.requests_to("weixin.sogou.com") if r.path == "/weixin"]
    assert len(searched) == 3  # two answers and the wall; nothing after it
    assert [items[f"wall-{i}"].judgement.verdict for i in range(6)] == ["pass", "pass"] + ["review"] * 4
    wall = items["wall-2"]
    assert codes(wall) == ["blocked"] and "要求完成验证码" in wall.judgement.findings[0].message
    wall_evidence = wall.judgement.findings[0].evidence
    assert wall_evidence and all(Path(path).exists() for path in wall_evidence)
    for index in range(3, 6):
        later = items[f"wall-{index}"]
        assert codes(later) == ["blocked"] and later.observation.deferred == ["weixin.sogou.com"]
        assert "搜狗微信搜索已在本次检查中停止使用" in later.judgement.findings[0].message
        assert "nmaudit audit --resume" in later.judgement.findings[0].message
        assert later.judgement.findings[0].evidence == wall_evidence
        assert later.observation.sources == []  # no request was made for it

    store = Store(str(tmp_path / "nmaudit.db"))
    assert store.deferred_accounts(run.run.id) == {"wall-2", "wall-3", "wall-4", "wall-5"}
    assert store.resumable(run.run.id)
    site.sogou_wall_after = None  # the wall has gone, as Sogou's do after a while
    options = AuditOptions(db=str(tmp_path / "nmaudit.db"), snapshots=str(tmp_path / "snapshots"), concurrency=1,
                           browser=BrowserOptions(browser_args=emulator.browser_args, pace=0.0, timeout=15.0))
    with ThreadPoolExecutor(1) as thread:  # its own thread (see run_audit), so its own store
        resumed = thread.submit(lambda: asyncio.run(
            resume_run(run.run.id, options, Store(str(tmp_path / "nmaudit.db"))))).result()
    assert [item.judgement.verdict for item in resumed.results] == ["pass"] * 6
    assert store.deferred_accounts(run.run.id) == set() and not store.resumable(run.run.id)
    assert len([r for r in emulator.requests_to("weixin.sogou.com") if r.path == "/weixin"]) == 3 + 4
