"""Weibo accounts filed without a UID: 个性域名, /p/ page ids, nickname links, the name alone.

Each is resolved to its UID on emulated m.weibo.cn pages in a real headless Chromium, then
audited by UID as usual. One audit of every case runs once for the module.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.platforms.weibo import WeiboAdapter
from nmaudit.platforms.weibo_resolve import (
    Candidate, Lead, account_leads, lead_from_url, match_screen_name, next_page, search_url, uid_from_url,
)
from nmaudit.webapp import create_app
from tests.conftest import by_id, codes, run_audit
from tests.emulator import NOT_FOUND
from tests.weibo_site import VISITOR_WALL, SearchUser, WeiboAccount, WeiboSite, days_before, posts_at

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
FRESH = posts_at(days_before(AS_OF, 1), days_before(AS_OF, 3))


def filed(account_id: str, name: str = "宝鸡发布", **fields) -> Account:
    values = {"name": name, "platform": "weibo", "owner": "宝鸡市人民政府新闻办公室",
              "certified_as": "宝鸡市人民政府新闻办公室"}
    values.update(fields)
    return Account(id=account_id, **values)


def live(uid: str, name: str = "宝鸡发布") -> WeiboAccount:
    return WeiboAccount(uid, screen_name=name, verified_reason="宝鸡市人民政府新闻办公室官方微博", posts=FRESH)


@pytest.fixture(scope="module")
def site(emulator):
    site = WeiboSite(emulator)
    for uid, name in (("3300000001", "宝鸡发布"), ("3300000002", "凤翔发布"), ("1839256234", "云南旅游"),
                      ("3300000004", "宝鸡文旅"), ("3300000005", "渭滨发布"), ("3300000006", "i宝鸡"),
                      ("3300000007", "岐山发布"), ("3300000008", "陈仓发布"), ("3300000009", "扶风发布"),
                      ("3300000010", "眉县发布"), ("3300000011", "太白发布"), ("3300000012", "麟游政务")):
        site.add(live(uid, name))
    site.domain("baojifabu", "3300000001")
    site.domain("fengxiangfabu", "3300000002")
    site.domain("101174", "3300000009")
    site.domain("meixianfabu", "3300000010")
    site.domain("gone-domain", "0", reply=NOT_FOUND)
    site.nickname("宝鸡文旅", "3300000004")
    # 渭滨发布: a decoy with the name as a prefix is listed first, the account second.
    site.search("渭滨发布", [SearchUser("3300000099", "渭滨发布厅", "宝鸡市渭滨区政务服务中心"),
                            SearchUser("3300000005", "渭滨发布", "宝鸡市渭滨区人民政府办公室官方微博")])
    site.search("ｉ宝鸡", [SearchUser("3300000006", "i宝鸡")])  # full-width filed, half-width live
    site.search("金台发布", [SearchUser("3300000097", "金台发布厅"), SearchUser("3300000098", "金台区发布")])
    site.search("凤县发布", [])  # 麟游发布 is not configured: the search answers ok 0
    site.search("千阳发布", VISITOR_WALL)
    site.search("岐山发布", [SearchUser("3300000007", "岐山发布")])  # a /n/ link that does not redirect
    # The user search pages its results (10 a page): the account on page 3, none on 3 pages, a wall on page 2.
    site.search("麟游政务", [*decoys("麟游政务", 24), SearchUser("3300000012", "麟游政务"), *decoys("麟游政务x", 5)])
    site.search("凤翔政务", decoys("凤翔政务", 23))
    site.search("扶风政务", decoys("扶风政务", 15))
    site.search_pages["扶风政务", 2] = VISITOR_WALL
    return site


def decoys(name: str, count: int) -> list[SearchUser]:
    """Users whose names only begin with `name`: 麟游政务服务1, 麟游政务服务2..."""
    return [SearchUser(str(3310000000 + index), f"{name}服务{index}") for index in range(1, count + 1)]


CASES = {
    "domain-url": filed("domain-url", urls=["https://weibo.com/baojifabu"]),
    "domain-id": filed("domain-id", "凤翔发布", ids={"domain": "fengxiangfabu"}),
    "page-url": filed("page-url", "云南旅游", urls=["https://weibo.com/p/1002061839256234/home"]),
    "nickname-url": filed("nickname-url", "宝鸡文旅", urls=["https://weibo.com/n/宝鸡文旅"]),
    "nickname-falls-back-to-search": filed("nickname-falls-back-to-search", "岐山发布",
                                           urls=["https://m.weibo.cn/n/岐山发布"]),
    "name-only": filed("name-only", "渭滨发布"),
    "name-normalised": filed("name-normalised", "ｉ宝鸡"),
    "name-no-match": filed("name-no-match", "金台发布"),
    "name-no-results": filed("name-no-results", "麟游发布"),
    "name-empty-listing": filed("name-empty-listing", "凤县发布"),
    "search-visitor-wall": filed("search-visitor-wall", "千阳发布"),
    "numeric-domain": filed("numeric-domain", "扶风发布", urls=["https://weibo.com/101174"]),
    "domain-not-found": filed("domain-not-found", urls=["https://weibo.com/gone-domain"]),
    "first-form-fails": filed("first-form-fails", "眉县发布", urls=["https://weibo.com/gone-domain"],
                              ids={"domain": "meixianfabu"}),
    "uid-id": filed("uid-id", "太白发布", ids={"uid": "3300000011"}),
    "name-on-page-three": filed("name-on-page-three", "麟游政务"),
    "name-on-no-page": filed("name-on-no-page", "凤翔政务"),
    "search-wall-on-page-two": filed("search-wall-on-page-two", "扶风政务"),
    "uid-beside-domain": filed("uid-beside-domain", "陈仓发布", ids={"uid": "3300000008", "domain": "nowhere"}),
}


@pytest.fixture(scope="module")
def run(site, emulator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("weibo-resolve")
    return run_audit(emulator, list(CASES.values()), folder, as_of=AS_OF), folder


@pytest.fixture(scope="module")
def audited(run):
    return by_id(run[0])


def kinds(item) -> list[str]:
    return [source.kind for source in item.observation.sources]


def uid_read(item) -> str:
    info = next(source for source in item.observation.sources if source.kind == "weibo-userinfo")
    return info.url.split("value=")[1]


@pytest.mark.parametrize("account_id, uid, resolved_by", [
    ("domain-url", "3300000001", "weibo-resolve-domain"),
    ("domain-id", "3300000002", "weibo-resolve-domain"),
    ("page-url", "1839256234", None),
    ("nickname-url", "3300000004", "weibo-resolve-name"),
    ("name-only", "3300000005", "weibo-search-user"),
    ("name-normalised", "3300000006", "weibo-search-user"),
    ("numeric-domain", "3300000009", "weibo-resolve-domain"),
    ("uid-id", "3300000011", None),
    ("uid-beside-domain", "3300000008", None),
])
def test_every_filed_form_is_audited_by_the_right_uid(audited, account_id, uid, resolved_by):
    item = audited[account_id]
    assert item.judgement.verdict == "pass" and codes(item) == [], item.judgement.findings
    assert uid_read(item) == uid
    expected = ([resolved_by] if resolved_by else []) + ["weibo-userinfo", "weibo-posts"]
    assert kinds(item) == expected, "a UID that is filed or in the link needs no request"
    assert all(source.outcome == "ok" for source in item.observation.sources)
    assert item.judgement.idle_days == 1


@pytest.mark.parametrize("account_id, how", [
    ("domain-url", "UID 3300000001 由个性域名 baojifabu 解析得到（https://m.weibo.cn/baojifabu?jumpfrom=weibocom "
                   "跳转至 https://m.weibo.cn/u/3300000001）"),
    ("domain-id", "UID 3300000002 由个性域名 fengxiangfabu 解析得到"),
    ("nickname-url", "UID 3300000004 由报备链接 https://weibo.com/n/宝鸡文旅 中的昵称“宝鸡文旅”解析得到"),
    ("name-only", "UID 3300000005 由账号名称“渭滨发布”在微博用户搜索中完全匹配得到（搜索结果第2个：渭滨发布）"),
    ("nickname-falls-back-to-search", "UID 3300000007 由报备链接 https://m.weibo.cn/n/岐山发布 中的昵称“岐山发布”"
                                      "在微博用户搜索中完全匹配得到"),
])
def test_how_the_uid_was_found_is_recorded_for_staff(audited, account_id, how):
    assert audited[account_id].observation.identified_by.startswith(how)


def test_a_uid_that_needs_no_request_needs_no_explanation(audited):
    assert audited["page-url"].observation.identified_by is None
    assert audited["uid-id"].observation.identified_by is None


def test_the_review_page_shows_how_the_uid_was_found(run):
    result, folder = run
    client = create_app(str(folder / "nmaudit.db")).test_client()
    page = client.get(f"/runs/{result.run.id}/accounts/domain-url").get_data(as_text=True)
    assert '<small id="identified-by">UID 3300000001 由个性域名 baojifabu 解析得到' in page


def test_a_resolution_request_keeps_its_evidence(audited):
    item = audited["domain-url"]
    resolve = item.observation.sources[0]
    assert resolve.url == "https://m.weibo.cn/baojifabu?jumpfrom=weibocom"
    assert resolve.final_url == "https://m.weibo.cn/u/3300000001"
    assert [Path(path).name for path in resolve.evidence] == ["01-weibo-resolve-domain.jpg",
                                                             "01-weibo-resolve-domain.html"]
    assert all(path in item.observation.evidence for path in resolve.evidence)
    search = audited["name-only"].observation.sources[0]
    assert Path(search.evidence[1]).suffix == ".json"
    assert "渭滨发布厅" in Path(search.evidence[1]).read_text(encoding="utf-8")


def test_the_search_takes_the_exact_name_not_the_first_result(audited):
    item = audited["name-only"]
    assert item.observation.name == "渭滨发布"
    assert uid_read(item) == "3300000005"  # the decoy 渭滨发布厅 (3300000099) is listed first


def test_a_nickname_link_that_does_not_redirect_falls_back_to_the_search(audited):
    item = audited["nickname-falls-back-to-search"]
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert kinds(item) == ["weibo-resolve-name", "weibo-search-user", "weibo-userinfo", "weibo-posts"]
    assert item.observation.sources[0].outcome == "unparsed", "the dead end is kept as evidence"


def test_a_later_form_makes_good_an_earlier_failure(audited):
    item = audited["first-form-fails"]
    assert item.judgement.verdict == "pass" and codes(item) == []
    assert kinds(item)[:2] == ["weibo-resolve-domain", "weibo-resolve-domain"]
    assert item.observation.sources[0].outcome == "unparsed"
    assert uid_read(item) == "3300000010"
    assert "个性域名 meixianfabu" in item.observation.identified_by


@pytest.mark.parametrize("account_id, code, message", [
    ("name-no-match", "not-found",
     "按账号名称“金台发布”搜索微博用户，未找到名称完全一致的账号；搜索结果：金台发布厅（UID 3300000097）、"
     "金台区发布（UID 3300000098），需人工核查"),
    ("name-no-results", "unparsed", "按账号名称“麟游发布”搜索微博用户无结果（ok=0，这里还没有内容），需人工核查"),
    ("name-empty-listing", "not-found", "按账号名称“凤县发布”搜索微博用户，搜索结果中没有用户，需人工核查"),
    ("search-visitor-wall", "blocked", "按账号名称“千阳发布”搜索微博用户时被引导至登录或访客验证页面"),
    ("domain-not-found", "unparsed",
     "由个性域名 gone-domain 未能解析出微博UID：https://m.weibo.cn/gone-domain?jumpfrom=weibocom 没有跳转到用户主页"
     "（HTTP 404，停在 https://m.weibo.cn/gone-domain?jumpfrom=weibocom），需人工核查"),
])
def test_an_account_not_found_is_review_with_what_was_seen_never_gone(audited, account_id, code, message):
    item = audited[account_id]
    assert item.judgement.verdict == "review"
    assert [(f.code, f.message[:len(message)]) for f in item.judgement.findings] == [(code, message)]
    assert item.judgement.findings[0].evidence, "the search or redirect page is the evidence"
    assert "account-gone" not in codes(item) and item.observation.name is None
    assert [s.kind for s in item.observation.sources if s.kind.startswith("weibo-user")] == []


def test_the_search_reads_later_result_pages_until_the_exact_name(audited, emulator):
    item = audited["name-on-page-three"]
    assert item.judgement.verdict == "pass" and uid_read(item) == "3300000012"
    assert kinds(item) == ["weibo-search-user"] * 3 + ["weibo-userinfo", "weibo-posts"]
    assert [source.url.endswith("&page=2") for source in item.observation.sources[:3]] == [False, True, False]
    assert item.observation.sources[2].url.endswith("&page=3")
    assert item.observation.identified_by == (
        "UID 3300000012 由账号名称“麟游政务”在微博用户搜索中完全匹配得到（搜索结果第 3 页，共第25个：麟游政务）")
    asked = [request.query.get("page", "1") for request in emulator.requests_to("m.weibo.cn")
             if "q=麟游政务" in request.query.get("containerid", "")]
    assert asked == ["1", "2", "3"], "page 4 is not asked once the name is found"


def test_a_name_on_no_result_page_is_not_found_after_every_page(audited):
    item = audited["name-on-no-page"]
    assert item.judgement.verdict == "review"
    assert [source.kind for source in item.observation.sources] == ["weibo-search-user"] * 3
    finding = item.judgement.findings[0]
    assert finding.code == "not-found"
    assert finding.message.startswith("按账号名称“凤翔政务”搜索微博用户，未找到名称完全一致的账号（共读 3 页搜索结果）；"
                                      "搜索结果：凤翔政务服务1（UID 3310000001）")
    assert "等23个" in finding.message
    assert len(finding.evidence) == 6, "every page read is evidence (a screenshot and the answer each)"


def test_a_wall_on_a_later_result_page_is_blocked_never_not_found(audited):
    item = audited["search-wall-on-page-two"]
    assert item.judgement.verdict == "review"
    [finding] = item.judgement.findings
    assert finding.code == "blocked"
    assert finding.message.startswith("按账号名称“扶风政务”搜索微博用户时被引导至登录或访客验证页面："
                                      "https://passport.weibo.com/visitor/visitor?")
    assert finding.message.endswith("（已读前 1 页搜索结果）")


def test_record_then_replay_resolves_alike(site, emulator, tmp_path):
    accounts = [CASES["domain-url"], CASES["name-only"]]
    har = tmp_path / "resolve.har"
    (tmp_path / "live").mkdir()
    (tmp_path / "replay").mkdir()
    recorded = by_id(run_audit(emulator, accounts, tmp_path / "live", as_of=AS_OF, record_har=str(har)))
    asked = len(emulator.requests_to("m.weibo.cn"))
    replayed = by_id(run_audit(emulator, accounts, tmp_path / "replay", as_of=AS_OF, replay_har=str(har)))
    assert len(emulator.requests_to("m.weibo.cn")) == asked, "a replay asks Weibo nothing"
    for account_id in ("domain-url", "name-only"):
        before, after = recorded[account_id], replayed[account_id]
        assert after.judgement.verdict == before.judgement.verdict == "pass"
        assert uid_read(after) == uid_read(before)
        assert after.observation.identified_by == before.observation.identified_by
        assert kinds(after) == kinds(before)


# -- pure parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url, lead", [
    ("https://weibo.com/u/2710000001", ("uid", "2710000001")),
    ("https://weibo.com/u/2710000001/home?wvr=5", ("uid", "2710000001")),
    ("https://m.weibo.cn/u/2710000001?uid=2710000001", ("uid", "2710000001")),
    ("https://m.weibo.cn/profile/2710000001", ("uid", "2710000001")),
    ("https://www.weibo.com/2710000001", ("uid", "2710000001")),
    ("https://weibo.com/2710000001/profile", ("uid", "2710000001")),
    ("https://weibo.com/p/1002061839256234/home", ("uid", "1839256234")),
    ("https://weibo.com/p/1005052811342974/info?mod=pedit", ("uid", "2811342974")),
    ("https://weibo.com/p/1003061706987705", ("uid", "1706987705")),
    ("https://weibo.com/p/100808a1b2c3d4e5f6/super_index", None),  # a 超话, not a user
    ("https://weibo.com/p/1008081234567890", None),
    ("https://weibo.com/baojipolice", ("domain", "baojipolice")),
    ("https://weibo.com/baojipolice?is_all=1", ("domain", "baojipolice")),
    ("https://www.weibo.com/bj_fabu/home", ("domain", "bj_fabu")),
    ("https://weibo.com/101174", ("domain", "101174")),  # a numeric 个性域名, too short for a UID
    ("https://weibo.com/n/%E5%B9%B3%E5%AE%89%E5%AE%9D%E9%B8%A1", ("nickname", "平安宝鸡")),
    ("https://m.weibo.cn/n/平安宝鸡", ("nickname", "平安宝鸡")),
    ("https://weibo.com/ttarticle/p/show?id=2309404298262772365509", None),
    ("https://weibo.com/status", None),
    ("https://weibo.com/", None),
    ("https://example.com/u/2710000001", None),
])
def test_lead_from_url(url, lead):
    found = lead_from_url(url)
    assert (None if found is None else (found.kind, found.value)) == lead


def test_uid_from_url_is_only_what_a_link_carries_itself():
    assert uid_from_url("https://weibo.com/p/1002061839256234/home") == "1839256234"
    assert uid_from_url("https://weibo.com/baojipolice") is None
    assert uid_from_url("https://weibo.com/n/平安宝鸡") is None


def test_leads_known_uids_first_the_name_only_when_nothing_else_is_filed():
    account = filed("x", ids={"uid": "3300000001", "domain": "baojifabu"},
                    urls=["https://weibo.com/baojifabu", "https://weibo.com/u/3300000001", "https://weibo.com/status"])
    leads = account_leads(account)
    assert [(lead.kind, lead.value) for lead in leads.known] == [("uid", "3300000001")]
    assert [(lead.kind, lead.value) for lead in leads.to_resolve] == [("domain", "baojifabu")]
    assert leads.unreadable == ["https://weibo.com/status"]
    assert [(lead.kind, lead.value) for lead in account_leads(filed("y", "渭滨发布")).to_resolve] == [
        ("name", "渭滨发布")]
    unreadable = account_leads(filed("z", urls=["https://weibo.com/status"]))
    assert unreadable.to_resolve == [] and unreadable.known == []


def test_match_screen_name_is_exact_after_normalising():
    listed = [Candidate("1", "渭滨发布厅"), Candidate("2", "渭 滨 发 布"), Candidate("1", "渭滨发布厅")]
    found, distinct = match_screen_name("渭滨发布", listed)
    assert found == Candidate("2", "渭 滨 发 布") and [c.uid for c in distinct] == ["1", "2"]
    assert match_screen_name("渭滨", listed)[0] is None
    assert match_screen_name("渭滨发布", [Candidate("1", "渭滨发布"), Candidate("2", "渭滨发布")])[0] is None


def test_search_url_is_the_mobile_user_search():
    assert search_url("宝鸡发布") == (
        "https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D3%26q%3D%E5%AE%9D%E9%B8%A1"
        "%E5%8F%91%E5%B8%83&page_type=searchall")


def test_later_search_pages_carry_their_number_and_the_answer_names_the_next():
    assert search_url("宝鸡发布", 2) == search_url("宝鸡发布") + "&page=2"
    assert next_page({"cardlistInfo": {"page": 2}}, 1) == 2
    assert next_page({"cardlistInfo": {"page": "3"}}, 2) == 3
    assert next_page({"cardlistInfo": {"page": None}}, 1) is None
    assert next_page({"cardlistInfo": {"page": 1}}, 1) is None, "a page that names itself again ends the search"
    assert next_page({"cards": []}, 1) is None


def test_resolution_stays_on_the_paced_mobile_host():
    assert WeiboAdapter().hosts(filed("x")) == ["m.weibo.cn"]
    assert Lead("domain", "baojifabu", "ids.domain").described == "个性域名 baojifabu"


REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "weibo"


def test_links_of_real_captured_pages_give_their_true_uid():
    """The URLs real pages were served at (shared/real-pages): a profile link gives the UID the
    page itself shows; API and post URLs are no profile link and give nothing, never a wrong UID."""
    if not (REAL_PAGES / "manifest.json").exists():
        pytest.skip(f"no captured pages at {REAL_PAGES}")
    entries = json.loads((REAL_PAGES / "manifest.json").read_text(encoding="utf-8"))
    read = {}
    for entry in entries:
        if entry.get("url"):
            lead = lead_from_url(entry["url"])
            read[entry["url"]] = lead.value if lead else None
            if lead is not None:
                assert lead.kind == "uid" and lead.value == str(entry["truth"]["uid"]["value"]), entry["url"]
    assert {url: uid for url, uid in read.items() if uid} == {
        "https://weibo.com/p/1002061839256234/home": "1839256234",
        "https://weibo.com/p/1005052811342974/home": "2811342974",
        "https://weibo.cn/1669879400/profile": "1669879400",
        "https://weibo.com/u/5824884094": "5824884094",
    }
