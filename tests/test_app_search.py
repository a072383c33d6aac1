"""Apps filed without a link: by App Store id, by Android package, or by name alone (the App
Store search), against emulated stores in a real headless Chromium.

One audit of every case runs once for the module; each test then reads its account.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.browser import Fetched
from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.platforms.app import (
    AppAdapter, developer_matches, read_search, search_url, store_links, title_matches,
)
from tests.app_site import AppSite, AppStoreApp, YybApp
from tests.conftest import by_id, codes, run_audit
from tests.emulator import Reply

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
SEARCH_503 = Reply(status=503, body="<html><body>Service Unavailable</body></html>")


def app(app_id: str, name: str, artist: str, seller: str = "") -> AppStoreApp:
    return AppStoreApp(app_id, track_name=name, artist_name=artist, seller_name=seller or artist, slug=name)


def filed(account_id: str, name: str, owner: str, **fields) -> Account:
    values = {"name": name, "platform": "app", "owner": owner}
    values.update(fields)
    return Account(id=account_id, **values)


BAOJI = app("6470000201", "宝鸡政务", "宝鸡市大数据局", "Baoji Big Data Bureau")

#: account id -> (the registry row, what the App Store search lists for its name, in order)
CASES: dict[str, tuple[Account, object]] = {
    # The same name by another developer, and a longer name, are listed before the app itself.
    "found-second": (filed("found-second", "宝鸡政务", "宝鸡市大数据局", certified_as="宝鸡市大数据局"), [
        app("6470000202", "宝鸡政务", "宝鸡智慧城市科技有限公司"),
        app("6470000203", "宝鸡政务通", "宝鸡市大数据局"),
        BAOJI]),
    "subtitle": (filed("subtitle", "岐山政务", "岐山县人民政府办公室"), [
        app("6470000211", "岐山政务-岐山县政务服务", "岐山县人民政府办公室")]),
    "developer-inside-owner": (filed("developer-inside-owner", "渭滨通", "宝鸡市渭滨区人民政府办公室"), [
        app("6470000221", "渭滨通", "宝鸡市渭滨区人民政府")]),
    "seller-matches": (filed("seller-matches", "凤翔融媒", "宝鸡市凤翔区融媒体中心"), [
        app("6470000231", "凤翔融媒", "Fengxiang Media", "宝鸡市凤翔区融媒体中心")]),
    "certified-as-matches": (filed("certified-as-matches", "i陈仓", "宝鸡市陈仓区人民政府",
                                   certified_as="宝鸡市陈仓区融媒体中心"), [
        app("6470000241", "i陈仓", "宝鸡市陈仓区融媒体中心")]),
    "not-found": (filed("not-found", "扶风政务", "扶风县人民政府办公室"), [
        app("6470000251", "扶风政务", "扶风县某科技有限公司"),
        app("6470000252", "扶风政务通", "扶风县人民政府办公室")]),
    "no-results": (filed("no-results", "麟游政务", "麟游县人民政府办公室"), []),
    "two-alike": (filed("two-alike", "眉县政务", "眉县人民政府办公室"), [
        app("6470000261", "眉县政务", "眉县人民政府办公室"),
        app("6470000262", "眉县政务（新版）", "眉县人民政府办公室")]),
    "search-503": (filed("search-503", "太白政务", "太白县人民政府办公室"), SEARCH_503),
    "by-appstore-id": (filed("by-appstore-id", "宝鸡政务", "宝鸡市大数据局", ids={"appstore_id": "6470000201"}),
                       None),
    "by-package": (filed("by-package", "宝鸡政务", "宝鸡市大数据局", ids={"package": "cn.gov.baoji.yyb9"}), None),
    "id-and-same-link": (filed("id-and-same-link", "宝鸡政务", "宝鸡市大数据局", ids={"appstore_id": "6470000201"},
                               urls=["https://apps.apple.com/cn/app/%E5%AE%9D%E9%B8%A1/id6470000201"]), None),
}


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    site = AppSite(emulator)
    site.add(BAOJI)
    site.add(YybApp("cn.gov.baoji.yyb9"))
    for account, listed in CASES.values():
        if listed is not None:
            site.search(account.name, listed)
    folder = tmp_path_factory.mktemp("app-search")
    return by_id(run_audit(emulator, [account for account, _ in CASES.values()], folder, as_of=AS_OF))


def kinds(item) -> list[str]:
    return [source.kind for source in item.observation.sources]


@pytest.mark.parametrize("account_id, name, certification", [
    ("found-second", "宝鸡政务", "宝鸡市大数据局（Baoji Big Data Bureau）"),
    ("subtitle", "岐山政务-岐山县政务服务", "岐山县人民政府办公室"),
    ("developer-inside-owner", "渭滨通", "宝鸡市渭滨区人民政府"),
    ("seller-matches", "凤翔融媒", "Fengxiang Media（宝鸡市凤翔区融媒体中心）"),
    ("certified-as-matches", "i陈仓", "宝鸡市陈仓区融媒体中心"),
])
def test_an_app_filed_by_name_is_found_by_name_and_developer(audited, account_id, name, certification):
    item = audited[account_id]
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert kinds(item) == ["appstore-search"] and item.observation.sources[0].outcome == "ok"
    assert (item.observation.name, item.observation.certification) == (name, certification)
    assert item.observation.checks == ["availability", "name", "certification"]


def test_the_search_takes_the_app_not_the_first_result(audited):
    item = audited["found-second"]
    assert codes(item) == []
    assert item.observation.identified_by == (
        "由应用名称“宝鸡政务”在 App Store 中国区搜索找到：宝鸡政务（宝鸡市大数据局），App Store ID 6470000201"
        "（https://apps.apple.com/cn/app/%E5%AE%9D%E9%B8%A1%E6%94%BF%E5%8A%A1/id6470000201?uo=4）")
    search = item.observation.sources[0]
    assert search.url == ("https://itunes.apple.com/search?term=%E5%AE%9D%E9%B8%A1%E6%94%BF%E5%8A%A1"
                          "&country=cn&entity=software")
    assert item.observation.name_source == search.url
    body = json.loads(Path(search.evidence[1]).read_text(encoding="utf-8"))
    assert [r["trackId"] for r in body["results"]] == [6470000202, 6470000203, 6470000201]


def test_a_listed_subtitle_is_the_app_but_its_name_is_still_compared(audited):
    assert codes(audited["subtitle"]) == ["name-mismatch"]  # a warning: the verdict stays 合格


@pytest.mark.parametrize("account_id, message", [
    ("not-found", "在 App Store 中国区按名称“扶风政务”搜索应用，未找到名称相符且开发者与主办单位“扶风县人民政府办公室”"
                  "一致的应用；搜索结果：扶风政务（扶风县某科技有限公司）、扶风政务通（扶风县人民政府办公室），"
                  "需人工核查（搜索不到不能证明无法下载）"),
    ("no-results", "在 App Store 中国区按名称“麟游政务”搜索应用无结果，需人工核查（搜索不到不能证明无法下载）"),
    ("two-alike", "在 App Store 中国区按名称“眉县政务”搜索应用，有2个名称和开发者都相符的应用：眉县政务（眉县人民政府办公室）、"
                  "眉县政务（新版）（眉县人民政府办公室），需人工核查是哪一个"),
])
def test_an_app_not_found_by_name_is_review_never_unavailable(audited, account_id, message):
    item = audited[account_id]
    assert item.judgement.verdict == "review"
    assert [(f.code, f.message) for f in item.judgement.findings] == [("not-found", message)]
    assert item.judgement.findings[0].evidence, "the search answer is the evidence"
    assert item.observation.name is None and item.observation.identified_by is None
    assert item.observation.sources[0].outcome == "ok"  # the search answered; the app is not among its results


def test_a_failing_search_is_unreachable(audited):
    item = audited["search-503"]
    assert item.judgement.verdict == "review" and codes(item) == ["unreachable"]
    assert "App Store 搜索服务器错误 HTTP 503" in item.judgement.findings[0].message
    assert item.observation.sources[0].attempts == 3


@pytest.mark.parametrize("account_id, expected_kinds", [
    ("by-appstore-id", ["appstore-lookup"]),
    ("by-package", ["yyb-page", "yyb-download"]),
    ("id-and-same-link", ["appstore-lookup"]),
])
def test_an_app_store_id_or_a_package_is_read_like_its_store_link(audited, account_id, expected_kinds):
    item = audited[account_id]
    assert item.judgement.verdict == "pass" and codes(item) == [], item.judgement.findings
    assert kinds(item) == expected_kinds
    assert item.observation.name == "宝鸡政务" and item.observation.identified_by is None


# -- pure parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("title, name, matches", [
    ("宝鸡政务", "宝鸡政务", True),
    ("宝鸡 政务", "宝鸡政务", True),
    ("ｉ宝鸡", "i宝鸡", True),
    ("宝鸡政务-秦务员", "宝鸡政务", True),
    ("宝鸡政务 — 办事服务", "宝鸡政务", True),
    ("宝鸡政务：掌上办事", "宝鸡政务", True),
    ("宝鸡政务（新版）", "宝鸡政务", True),
    ("宝鸡政务通", "宝鸡政务", False),
    ("宝鸡", "宝鸡政务", False),
    ("新宝鸡政务", "宝鸡政务", False),
    ("宝鸡政务", "", False),
])
def test_title_matches(title, name, matches):
    assert title_matches(title, name) is matches


@pytest.mark.parametrize("artist, seller, units, matches", [
    ("宝鸡市大数据局", "Baoji Big Data Bureau", ["宝鸡市大数据局"], True),
    ("宝鸡市渭滨区人民政府", "", ["宝鸡市渭滨区人民政府办公室"], True),
    ("Fengxiang Media", "宝鸡市凤翔区融媒体中心", ["宝鸡市凤翔区融媒体中心"], True),
    ("宝鸡智慧城市科技有限公司", "Baoji Smart City", ["宝鸡市大数据局"], False),
    ("", "", ["宝鸡市大数据局"], False),
    ("宝鸡市大数据局", "", ["", "宝鸡市大数据局"], True),
])
def test_developer_matches(artist, seller, units, matches):
    assert developer_matches({"artistName": artist, "sellerName": seller}, units) is matches


def test_store_links_from_ids_then_urls_one_per_listing():
    account = filed("x", "宝鸡政务", "宝鸡市大数据局", ids={"appstore_id": "6470000201", "package": "cn.gov.baoji.a"},
                    urls=["https://apps.apple.com/cn/app/id6470000201", "https://www.baoji.gov.cn/app/a.apk"])
    assert [(link.store, link.key) for link in store_links(account)] == [
        ("appstore", "6470000201"), ("yyb", "cn.gov.baoji.a"),
        ("download", "https://www.baoji.gov.cn/app/a.apk")]


def test_hosts_include_the_search_for_an_app_filed_by_name():
    adapter = AppAdapter()
    assert adapter.hosts(filed("x", "宝鸡政务", "宝鸡市大数据局")) == ["itunes.apple.com"]
    assert adapter.hosts(filed("y", "宝鸡政务", "宝鸡市大数据局", ids={"package": "cn.gov.baoji.a"})) == ["sj.qq.com"]
    assert adapter.hosts(filed("z", "宝鸡政务", "宝鸡市大数据局", ids={"appstore_id": "1"})) == [
        "itunes.apple.com", "apps.apple.com"]


def test_search_url():
    assert search_url("i宝鸡") == "https://itunes.apple.com/search?term=i%E5%AE%9D%E9%B8%A1&country=cn&entity=software"


REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "apps"


@pytest.mark.parametrize("file, name, owner, found", [
    # trackName "PFF: Betting & Fantasy Tools", artistName "Pro Football Focus"
    ("itunes-lookup-us-pff-2026-raw.json", "PFF", "Pro Football Focus", "PFF: Betting & Fantasy Tools"),
    ("itunes-lookup-us-pff-2026-raw.json", "PFF", "Baoji Big Data Bureau", None),
    ("itunes-empty-us-bundleid-pff-raw.json", "PFF", "Pro Football Focus", None),
])
def test_real_itunes_answers_are_read_like_a_search(file, name, owner, found):
    """Real iTunes answers (shared/real-pages: a lookup has the search's shape) read by the
    search reader: the app is taken only with a matching developer, and none found is 待复核."""
    path = REAL_PAGES / "files" / file
    if not path.exists():
        pytest.skip(f"no captured answer at {path}")
    answer = Fetched(url=search_url(name), final_url=search_url(name), status=200,
                     content_type="text/javascript; charset=utf-8", body=path.read_bytes(), fetched_at=AS_OF)
    outcome, result = read_search(answer, filed("x", name, owner))
    assert (result or {}).get("trackName") == found
    assert outcome.kind == ("ok" if found else "not-found")
