"""The app adapter against emulated stores and download servers, in a real headless Chromium.

One audit of every case runs once for the module; each test then reads its account.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from nmaudit.browser import Fetched
from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.platforms.app import (
    DOWNLOAD_PEEK, AppAdapter, apk_release_time, classify_link, developer_label, read_download,
)
from nmaudit.rules import judge
from tests.app_site import (
    HUAWEI_CDN,
    APK_TYPE, BAD_GATEWAY, LANDING_PAGE, RESET, SOFT_404, AppSite, AppStoreApp, Download, HuaweiApp, YybApp,
    apk_reply,
)
from tests.conftest import by_id, codes, run_audit
from tests.emulator import NOT_FOUND, Reply, html_reply

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
GOV = "https://www.baoji.gov.cn/app"
CERTIFIED = "宝鸡市大数据局（Baoji Big Data Bureau）"
LOOKUP_503 = Reply(status=503, body="<html><body>Service Unavailable</body></html>")
LOOKUP_BROKEN = html_reply("<html><head><title>Apple</title></head><body>暂时无法完成您的请求</body></html>")

#: account id -> (the stores its registry entry links to, registry overrides)
CASES: dict[str, tuple[list[Any], dict]] = {
    "every-store": ([AppStoreApp("6470000001"), YybApp("cn.gov.baoji.zwapp"), HuaweiApp("C100000001"),
                     Download(f"{GOV}/baojizw.apk", apk_reply())], {}),
    "app-store": ([AppStoreApp("6470000002")], {}),
    "app-store-not-in-china": ([AppStoreApp("6470000003", listed=False)], {}),
    "lookup-503-json-ld": ([AppStoreApp("6470000004", lookup=LOOKUP_503)], {}),
    "lookup-503-serialized": ([AppStoreApp("6470000005", lookup=LOOKUP_503, page_data="serialized")], {}),
    "lookup-503-shoebox": ([AppStoreApp("6470000006", lookup=LOOKUP_503, page_data="shoebox")], {}),
    "lookup-broken-page-404": ([AppStoreApp("6470000007", lookup=LOOKUP_BROKEN, page=NOT_FOUND)], {}),
    "lookup-and-page-503": ([AppStoreApp("6470000008", lookup=LOOKUP_503, page=BAD_GATEWAY)], {}),
    "lookup-503-page-unparsed": ([AppStoreApp("6470000009", lookup=LOOKUP_503, page_data="none")], {}),
    "yyb": ([YybApp("cn.gov.baoji.yyb1")], {}),
    "yyb-not-found": ([YybApp("cn.gov.baoji.yyb2", listed=False)], {}),
    "yyb-without-download-url": ([YybApp("cn.gov.baoji.yyb3", download=None)], {}),
    "yyb-download-gone": ([YybApp("cn.gov.baoji.yyb4", download=NOT_FOUND)], {}),
    "huawei": ([HuaweiApp("C100000002")], {}),
    "huawei-removed": ([HuaweiApp("C100000003", download=NOT_FOUND)], {}),
    "huawei-cdn-hop": ([HuaweiApp("C100000004", cross_origin=True)], {}),
    "apk": ([Download(f"{GOV}/a1.apk", apk_reply())], {}),
    "apk-octet-stream": ([Download(f"{GOV}/a2.apk", apk_reply(content_type="application/octet-stream"))], {}),
    "apk-soft-404": ([Download(f"{GOV}/a3.apk", SOFT_404)], {}),
    "apk-404": ([Download(f"{GOV}/a4.apk", NOT_FOUND)], {}),
    "apk-502": ([Download(f"{GOV}/a5.apk", BAD_GATEWAY)], {}),
    "apk-reset": ([Download(f"{GOV}/a6.apk", RESET)], {}),
    "apk-not-a-package": ([Download(f"{GOV}/a7.apk", Reply(body=b"\x00" * 64, content_type=APK_TYPE))], {}),
    "landing-page": ([Download(f"{GOV}/xz.html", LANDING_PAGE)], {}),
    "landing-page-gone": ([Download(f"{GOV}/xz-old.html", SOFT_404)], {}),
    "two-stores-one-fails": ([AppStoreApp("6470000010"), Download(f"{GOV}/b1.apk", NOT_FOUND)], {}),
    "two-stores-both-fail": ([YybApp("cn.gov.baoji.yyb5", listed=False), Download(f"{GOV}/b2.apk", SOFT_404)], {}),
    "renamed": ([AppStoreApp("6470000011", track_name="i宝鸡")], {}),
    "other-developer": ([AppStoreApp("6470000012", artist_name="宝鸡智慧城市科技有限公司",
                                     seller_name="Baoji Smart City Technology Co., Ltd.")], {}),
    "filed-english-seller": ([AppStoreApp("6470000013")], {"certified_as": "Baoji Big Data Bureau"}),
    "unreadable-store-link": ([], {"urls": ["https://apps.apple.com/cn/app/baoji-zhengwu"]}),
    "interaction-ok": ([AppStoreApp("6470000014")], {"interaction": "https://www.baoji.gov.cn/hdjl/app/"}),
}


def app_account(account_id: str, stores: list[Any], **fields: Any) -> Account:
    values: dict[str, Any] = {
        "name": "宝鸡政务", "platform": "app", "owner": "宝鸡市大数据局", "certified_as": "宝鸡市大数据局",
        "urls": [store.url for store in stores],
    }
    values.update(fields)
    return Account(id=account_id, **values)


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    site = AppSite(emulator)
    accounts = []
    for account_id, (stores, overrides) in CASES.items():
        for store in stores:
            site.add(store)
        accounts.append(app_account(account_id, stores, **overrides))
    emulator.add("https://www.baoji.gov.cn/hdjl/app/", html_reply(
        "<html><head><title>咨询投诉</title></head><body><form><textarea></textarea></form></body></html>"))
    folder = tmp_path_factory.mktemp("app")
    return by_id(run_audit(emulator, accounts, folder, as_of=AS_OF))


def result(audited, account_id):
    return audited[account_id]


def messages(item) -> list[str]:
    return [finding.message for finding in item.judgement.findings]


@pytest.mark.parametrize("account_id", [
    "every-store", "app-store", "lookup-503-json-ld", "lookup-503-serialized", "lookup-503-shoebox", "yyb",
    "yyb-without-download-url", "huawei", "apk", "apk-octet-stream", "filed-english-seller", "interaction-ok",
])
def test_an_app_available_everywhere_passes_without_update_findings(audited, account_id):
    item = result(audited, account_id)
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert codes(item) == []
    assert item.judgement.idle_days is None and item.observation.newest_post_at is None
    assert "update" not in item.observation.checks and "update" in item.observation.not_checked


def test_every_store_is_checked_and_the_first_listing_names_the_app(audited):
    item = result(audited, "every-store")
    assert [source.kind for source in item.observation.sources] == [
        "appstore-lookup", "yyb-page", "yyb-download", "huawei-download", "download"]
    assert all(source.outcome == "ok" for source in item.observation.sources)
    assert item.observation.name == "宝鸡政务" and item.observation.certification == CERTIFIED
    assert item.observation.name_source == "https://itunes.apple.com/lookup?id=6470000001&country=cn"
    assert item.observation.checks == ["availability", "name", "certification"]
    assert item.observation.not_checked == ["update", "interaction"]


def test_the_rules_do_not_judge_updates_of_an_app_even_with_an_old_date(audited):
    item = result(audited, "app-store")
    dated = item.observation.model_copy(update={"newest_post_at": AS_OF - timedelta(days=100),
                                                "newest_post_lists_newest": True})
    judgement = judge(item.account, dated, AS_OF)
    assert judgement.verdict == "pass" and judgement.findings == []


def test_the_lookup_is_read_with_the_developer_and_seller(audited):
    item = result(audited, "app-store")
    lookup = item.observation.sources[0]
    assert (lookup.kind, lookup.outcome, lookup.status) == ("appstore-lookup", "ok", 200)
    assert item.observation.certification == CERTIFIED
    assert len(item.observation.sources) == 1, "the page is read only when the lookup fails"
    kept = [Path(path) for path in lookup.evidence]
    assert json.loads(kept[0].read_text())["headers"]["content-disposition"] == "attachment; filename=1.txt"
    assert json.loads(kept[1].read_text())["results"][0]["currentVersionReleaseDate"] == "2026-10-08T07:30:00Z"


@pytest.mark.parametrize("account_id", ["lookup-503-json-ld", "lookup-503-serialized", "lookup-503-shoebox"])
def test_a_failing_lookup_falls_back_to_the_app_page(audited, account_id):
    item = result(audited, account_id)
    lookup, page = item.observation.sources
    assert (lookup.kind, lookup.outcome, lookup.status) == ("appstore-lookup", "unreachable", 503)
    assert lookup.attempts == 3
    assert (page.kind, page.outcome) == ("appstore-page", "ok")
    assert item.observation.name == "宝鸡政务"
    assert item.observation.certification == "宝鸡市大数据局"  # pages show no seller name
    assert item.observation.name_source == page.url


@pytest.mark.parametrize("account_id, verdict, code, words", [
    ("app-store-not-in-china", "fail", "app-unavailable",
     "App Store 中国区未上架：按应用编号 id6470000003 查询无结果：https://apps.apple.com/cn/app/"),
    ("lookup-broken-page-404", "fail", "app-unavailable",
     "App Store 中国区未上架：页面不存在（HTTP 404）：https://apps.apple.com/cn/app/"),
    ("lookup-and-page-503", "review", "unreachable", "App Store 应用页面服务器错误 HTTP 502"),
    ("lookup-503-page-unparsed", "review", "unparsed", "App Store 应用页面中未找到应用名称和开发者"),
])
def test_app_store_failures(audited, account_id, verdict, code, words):
    item = result(audited, account_id)
    assert item.judgement.verdict == verdict
    assert codes(item) == [code]
    assert words in messages(item)[0]
    assert item.judgement.findings[0].evidence, "a finding carries its evidence"


def test_a_page_failure_says_why_the_lookup_was_not_used(audited):
    assert messages(result(audited, "lookup-broken-page-404"))[0].endswith(
        "/id6470000007；此前查询接口也未能使用：返回的不是查询结果（HTTP 200，text/html; charset=utf-8）："
        "https://itunes.apple.com/lookup?id=6470000007&country=cn")
    assert "；此前查询接口也未能使用：服务器错误 HTTP 503" in messages(result(audited, "lookup-and-page-503"))[0]


def test_yyb_listing_gives_name_developer_and_a_checked_download(audited):
    item = result(audited, "yyb")
    page, download = item.observation.sources
    assert item.observation.name == "宝鸡政务" and item.observation.certification == "宝鸡市大数据局"
    assert download.kind == "yyb-download" and download.url.startswith("https://imtt2.dd.qq.com/")
    assert "fsname=cn.gov.baoji.yyb1_3.2.1.apk" in download.url, "the app's own record, not a recommended app"
    without = result(audited, "yyb-without-download-url").observation.sources
    assert [source.kind for source in without] == ["yyb-page"]


def test_huawei_download_follows_the_redirect_to_the_dated_package(audited):
    item = result(audited, "huawei")
    (download,) = item.observation.sources
    assert download.url == "https://appgallery.cloud.huawei.com/appdl/C100000002"
    assert download.final_url.split("?")[0].endswith("/cn.gov.baoji.zwapp.2610081530.apk")
    assert apk_release_time(download.final_url) == datetime(2026, 10, 8, 15, 30, tzinfo=BEIJING)
    assert item.observation.checks == ["availability"], "a download shows no name or developer"


def test_a_download_is_never_read_whole(audited):
    item = result(audited, "apk")
    (download,) = item.observation.sources
    head, body = (Path(path) for path in download.evidence)
    assert json.loads(head.read_text())["truncated"] is True
    assert body.stat().st_size <= DOWNLOAD_PEEK < 3 * 1024 * 1024
    assert body.read_bytes()[:4] == b"PK\x03\x04"


@pytest.mark.parametrize("account_id, verdict, code, message", [
    ("yyb-not-found", "fail", "app-unavailable",
     "应用宝未上架：页面提示“抱歉，找不到该应用-应用宝官网”：https://sj.qq.com/appdetail/cn.gov.baoji.yyb2"),
    ("huawei-removed", "fail", "app-unavailable",
     "华为应用市场下载链接无法下载（HTTP 404）：https://appgallery.cloud.huawei.com/appdl/C100000003"),
    ("apk-soft-404", "fail", "app-unavailable",
     f"下载链接无法下载：返回网页“页面不存在”而不是安装包（HTTP 200）：{GOV}/a3.apk"),
    ("apk-404", "fail", "app-unavailable", f"下载链接无法下载（HTTP 404）：{GOV}/a4.apk"),
    ("apk-502", "review", "unreachable", f"下载链接服务器错误 HTTP 502：{GOV}/a5.apk（共尝试3次）"),
    ("landing-page", "review", "unparsed",
     f"下载链接打开的是网页“宝鸡政务APP下载”而不是安装包，需人工核查能否下载：{GOV}/xz.html"),
    ("landing-page-gone", "fail", "app-unavailable",
     f"下载链接无法下载：返回网页“页面不存在”而不是安装包（HTTP 200）：{GOV}/xz-old.html"),
    ("apk-not-a-package", "review", "unparsed",
     f"下载链接返回的不是安装包（{APK_TYPE}，开头字节 00 00 00 00 00 00 00 00），需人工核查：{GOV}/a7.apk"),
    ("unreadable-store-link", "review", "unparsed",
     "无法从报备链接中识别App Store的应用编号：https://apps.apple.com/cn/app/baoji-zhengwu"),
])
def test_broken_links(audited, account_id, verdict, code, message):
    item = result(audited, account_id)
    assert item.judgement.verdict == verdict
    assert [(f.code, f.message) for f in item.judgement.findings] == [(code, message)]


@pytest.mark.parametrize("account_id, url", [
    ("yyb-download-gone", "https://imtt2.dd.qq.com/sjy.00009/sjy.00004/16891/apk/"),
    ("apk-reset", f"下载链接无法访问 {GOV}/a6.apk："),
])
def test_download_failures_name_the_link(audited, account_id, url):
    item = result(audited, account_id)
    assert url in messages(item)[0]
    assert item.judgement.findings[0].evidence


@pytest.mark.parametrize("account_id", ["apk-502", "apk-reset"])
def test_network_failures_are_review_never_unavailable(audited, account_id):
    item = result(audited, account_id)
    assert item.judgement.verdict == "review" and codes(item) == ["unreachable"]
    assert item.observation.sources[0].attempts == 3, "retried before giving up"


def test_a_download_redirected_to_another_host_is_followed_like_a_click(audited):
    """AppGallery's download answers 302 to a CDN host: a navigation follows it, then the
    package's first bytes are read from the CDN's own origin."""
    item = result(audited, "huawei-cdn-hop")
    assert item.judgement.verdict == "pass" and codes(item) == []
    download = item.observation.sources[0]
    assert urlsplit(download.final_url).hostname == HUAWEI_CDN
    assert apk_release_time(download.final_url) == datetime(2026, 10, 8, 15, 30, tzinfo=BEIJING)


def test_an_app_is_available_only_if_every_store_link_works(audited):
    item = result(audited, "two-stores-one-fails")
    assert item.judgement.verdict == "fail"
    assert messages(item) == [f"下载链接无法下载（HTTP 404）：{GOV}/b1.apk"]
    assert item.observation.name == "宝鸡政务", "the working store still names the app"


def test_each_failing_link_gets_its_own_finding(audited):
    item = result(audited, "two-stores-both-fail")
    assert codes(item) == ["app-unavailable", "app-unavailable"]
    assert "https://sj.qq.com/appdetail/cn.gov.baoji.yyb5" in messages(item)[0]
    assert f"{GOV}/b2.apk" in messages(item)[1]
    assert item.observation.name is None, "a store that does not list the app names nothing"


@pytest.mark.parametrize("account_id, code, message", [
    ("renamed", "name-mismatch", "账号名称与报备不一致：报备“宝鸡政务”，实际“i宝鸡”"),
    ("other-developer", "certification-mismatch",
     "认证主体与报备不一致：报备“宝鸡市大数据局”，"
     "实际“宝鸡智慧城市科技有限公司（Baoji Smart City Technology Co., Ltd.）”"),
])
def test_name_and_developer_changes_are_warnings(audited, account_id, code, message):
    item = result(audited, account_id)
    assert item.judgement.verdict == "pass"
    assert [(f.code, f.severity, f.message) for f in item.judgement.findings] == [(code, "warn", message)]


def test_the_declared_interaction_page_is_checked_too(audited):
    item = result(audited, "interaction-ok")
    assert "interaction" in item.observation.checks and item.observation.interaction_ok
    assert item.observation.not_checked == ["update"]


# -- pure parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url, store, key", [
    ("https://apps.apple.com/cn/app/%E5%AE%9D%E9%B8%A1%E6%94%BF%E5%8A%A1/id6470000001", "appstore", "6470000001"),
    ("https://apps.apple.com/cn/app/id6470000001?mt=8", "appstore", "6470000001"),
    ("https://itunes.apple.com/cn/app/id6470000001", "appstore", "6470000001"),
    ("https://itunes.apple.com/lookup?id=6470000001&country=cn", "appstore", "6470000001"),
    ("https://apps.apple.com/cn/app/baoji", "appstore", ""),
    ("https://sj.qq.com/appdetail/cn.gov.baoji.zwapp", "yyb", "cn.gov.baoji.zwapp"),
    ("https://sj.qq.com/", "yyb", ""),
    ("https://appgallery.huawei.com/app/C100000001", "huawei", "C100000001"),
    ("https://appgallery.huawei.com/#/app/C100000001", "huawei", "C100000001"),
    ("https://appgallery.cloud.huawei.com/appdl/C100000001", "huawei", "C100000001"),
    ("https://www.baoji.gov.cn/app/baojizw.apk", "download", "https://www.baoji.gov.cn/app/baojizw.apk"),
])
def test_classify_link(url, store, key):
    link = classify_link(url)
    assert (link.store, link.key) == (store, key)


def test_hosts_the_scheduler_paces():
    stores = [AppStoreApp("1"), YybApp("a.b"), HuaweiApp("C1"), Download(f"{GOV}/x.apk", NOT_FOUND),
              AppStoreApp("2")]
    account = app_account("x", stores)
    assert AppAdapter().hosts(account) == [
        "itunes.apple.com", "apps.apple.com", "sj.qq.com", "appgallery.cloud.huawei.com", "www.baoji.gov.cn"]


@pytest.mark.parametrize("url, expected", [
    ("https://x.dbankcloud.com/dl/cn.gov.baoji.zwapp.2610081530.apk?maple=0",
     datetime(2026, 10, 8, 15, 30, tzinfo=BEIJING)),
    ("https://x.dbankcloud.com/dl/cn.gov.baoji.zwapp.apk", None),
    ("https://x.dbankcloud.com/dl/cn.gov.baoji.zwapp.2613081530.apk", None),  # month 13
])
def test_apk_release_time(url, expected):
    assert apk_release_time(url) == expected


@pytest.mark.parametrize("artist, seller, label", [
    ("宝鸡市大数据局", "Baoji Big Data Bureau", CERTIFIED),
    ("宝鸡市大数据局", "宝鸡市 大数据局", "宝鸡市大数据局"),
    ("", "Baoji Big Data Bureau", "Baoji Big Data Bureau"),
    ("宝鸡市大数据局", "", "宝鸡市大数据局"),
])
def test_developer_label(artist, seller, label):
    assert developer_label(artist, seller) == label


def fetched(body: bytes, content_type: str, status: int = 200, url: str = f"{GOV}/x.apk") -> Fetched:
    return Fetched(url=url, final_url=url, status=status, content_type=content_type, body=body,
                   fetched_at=AS_OF)


@pytest.mark.parametrize("answer, expect_file, kind", [
    (fetched(b"PK\x03\x04rest", APK_TYPE), True, "ok"),
    (fetched(b"PK\x03\x04rest", "application/octet-stream"), True, "ok"),
    (fetched(b"PK\x03\x04rest", ""), True, "ok"),
    (fetched(b"", APK_TYPE), True, "unavailable"),
    (fetched(b"<html><title>x</title></html>", "text/html"), True, "unavailable"),
    (fetched(b"<html><title>x</title></html>", "text/html"), False, "unparsed"),
    (fetched("<html><title>提示</title><p>文件不存在</p></html>".encode(), "text/html"), False, "unavailable"),
    (fetched("<html><title>页面不存在</title></html>".encode("gbk"), "text/html; charset=GBK"), False, "unavailable"),
    (fetched(b"", "", status=403), True, "blocked"),  # this visitor refused: not the file missing
    (fetched(b"", "", status=404), True, "unavailable"),
    (fetched(b"", "", status=410), True, "unavailable"),
    (fetched(b"", "", status=503), True, "unreachable"),
])
def test_read_download(answer, expect_file, kind):
    assert read_download(answer, "下载链接", expect_file).kind == kind
