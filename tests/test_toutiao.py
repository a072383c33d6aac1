"""Toutiao and Xiaohongshu (platform web, site adapters), in a real headless Chromium against
emulated sites: Toutiao read from the feed its profile page itself loads (signed by the page);
Xiaohongshu an honest "needs login" 待复核.

One live audit (recorded) and one replay of every case; the pure parts at the end.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nmaudit.browser import Fetched
from nmaudit.coverage import account_coverage
from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.platforms.toutiao import identity, is_pinned, profile_urls, publish_time, refusal
from nmaudit.platforms.web import site_adapter
from nmaudit.platforms.xiaohongshu import profile_urls as xhs_urls
from nmaudit.platforms.toutiao_search import SEARCH_KEY, SearchResult, keywords, search_match, search_results
from tests.conftest import by_id, codes, recorded_run, replayed_alike, run_audit
from tests.emulator import Emulator, redirect
from tests.toutiao_profile_site import ToutiaoAccount, ToutiaoProfileSite
from tests.xiaohongshu_site import XiaohongshuAccount, XiaohongshuSite

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
VERIFIED = "宝鸡市人民政府新闻办公室官方账号"


def ago(days: float, hours: float = 0) -> datetime:
    return (AS_OF - timedelta(days=days, hours=hours)).replace(microsecond=0)


def web(account_id: str, name: str = "宝鸡发布", certified_as: str = "宝鸡市人民政府新闻办公室", **fields: Any) -> Account:
    return Account(id=account_id, name=name, platform="web", owner="宝鸡市人民政府新闻办公室", certified_as=certified_as,
                   **fields)


def token(tail: str) -> str:
    return f"MS4wLjABAAAA{tail}"


TOUTIAO = {
    "tt-active": ToutiaoAccount(token("active"), "宝鸡发布", VERIFIED, [(ago(1), False), (ago(4), False), (ago(10), False)]),
    "tt-idle": ToutiaoAccount(token("idle"), "宝鸡发布", VERIFIED, [(ago(21), False), (ago(40), False)]),
    "tt-pinned": ToutiaoAccount(token("pinned"), "宝鸡发布", VERIFIED, [(ago(380), True), (ago(2), False), (ago(6), False)]),
    "tt-renamed": ToutiaoAccount(token("renamed"), "宝鸡文旅", "宝鸡市文化和旅游局", [(ago(3), False)]),
    "tt-unverified": ToutiaoAccount(token("unverified"), "宝鸡发布", "", [(ago(3), False)]),
    "tt-captcha": ToutiaoAccount(token("captcha"), "宝鸡发布", VERIFIED, [(ago(1), False)], mode="captcha"),
    "tt-verify": ToutiaoAccount(token("verify"), "宝鸡发布", VERIFIED, [(ago(1), False)], mode="verify"),
    "tt-refused": ToutiaoAccount(token("refused"), "宝鸡发布", VERIFIED, [(ago(1), False)], mode="refused"),
    "tt-empty-body": ToutiaoAccount(token("emptybody"), "宝鸡发布", VERIFIED, [(ago(1), False)], mode="empty-body"),
    "tt-empty": ToutiaoAccount(token("empty"), "宝鸡发布", VERIFIED, mode="empty"),
    "tt-numeric": ToutiaoAccount(token("numeric"), "宝鸡发布", VERIFIED, [(ago(5), False)], user_id="6543210987"),
    "tt-by-token": ToutiaoAccount(token("bytoken"), "宝鸡发布", VERIFIED, [(ago(2), False)]),
}
#: Found through the user search: by the filed name after the 头条号 found nothing, by the name alone.
SEARCHED = {
    "tt-id-only": ToutiaoAccount(token("idonly"), "宝鸡发布", VERIFIED, [(ago(1), False), (ago(3), False)]),
    "tt-by-name": ToutiaoAccount(token("byname"), "宝鸡文旅", "宝鸡市文化和旅游局", [(ago(2), False)]),
}
LOOKALIKE = ToutiaoAccount(token("lookalike"), "宝鸡发布厅", "")
TWINS = [ToutiaoAccount(token("twin1"), "金台发布", ""), ToutiaoAccount(token("twin2"), "金台发布", "")]
XIAOHONGSHU = {
    "xhs-renders": XiaohongshuAccount("5f0a1b2c3d4e5f6a7b8c9d0e", "宝鸡发布"),
    "xhs-captcha": XiaohongshuAccount("5f0a1b2c3d4e5f6a7b8c9d0f", "宝鸡发布", mode="captcha"),
    "xhs-login": XiaohongshuAccount("5f0a1b2c3d4e5f6a7b8c9d10", "宝鸡发布", mode="login"),
}


@pytest.fixture(scope="module")
def sites(emulator: Emulator) -> tuple[ToutiaoProfileSite, XiaohongshuSite, list[Account]]:
    toutiao, xiaohongshu = ToutiaoProfileSite(emulator), XiaohongshuSite(emulator)
    accounts = []
    for account_id, account in TOUTIAO.items():
        url = toutiao.add(emulator, account, numeric=account_id == "tt-numeric")
        accounts.append(web(account_id, ids={"toutiao": account.token}) if account_id == "tt-by-token"
                        else web(account_id, urls=[url]))
    for account in (*SEARCHED.values(), LOOKALIKE, *TWINS):
        toutiao.add(emulator, account)
    toutiao.search("baojifabu", [])
    toutiao.search("宝鸡发布", [LOOKALIKE, SEARCHED["tt-id-only"]])
    toutiao.search("宝鸡文旅", [SEARCHED["tt-by-name"]])
    toutiao.search("金台发布", TWINS)
    accounts.append(web("tt-id-only", ids={"toutiao": "baojifabu"}))
    accounts.append(web("tt-by-name", name="宝鸡文旅", certified_as="宝鸡市文化和旅游局", site="toutiao"))
    accounts.append(web("tt-twins", name="金台发布", ids={"toutiao": "金台发布"}))
    for account_id, account in XIAOHONGSHU.items():
        accounts.append(web(account_id, urls=[xiaohongshu.add(emulator, account)]))
    return toutiao, xiaohongshu, accounts


@pytest.fixture(scope="module")
def recorded(emulator: Emulator, sites, tmp_path_factory) -> tuple[dict[str, Any], Path]:
    return recorded_run(emulator, sites[2], tmp_path_factory.mktemp("toutiao-live"), AS_OF)


@pytest.fixture(scope="module")
def audited(recorded) -> dict[str, Any]:
    return recorded[0]


# -- Toutiao ------------------------------------------------------------------------------------

def test_an_active_account_passes_with_name_verification_and_newest_post(audited):
    item = audited["tt-active"]
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.name == "宝鸡发布" and item.observation.certification == VERIFIED
    assert item.observation.newest_post_at == ago(1) and item.observation.newest_post_lists_newest
    assert "/api/pc/list/feed?category=profile_all" in item.observation.newest_post_source
    # the old numeric link and a 头条号 filed as a token are read the same way
    for account_id, newest in (("tt-numeric", ago(5)), ("tt-by-token", ago(2))):
        assert audited[account_id].judgement.verdict == "pass", codes(audited[account_id])
        assert audited[account_id].observation.newest_post_at == newest


def test_the_screenshot_shows_the_rendered_profile_and_the_feed_is_kept_beside(audited):
    evidence = audited["tt-active"].observation.evidence
    assert Path(evidence[0]).name.endswith("toutiao-profile.jpg"), evidence  # the readable one first
    assert Path(evidence[0]).stat().st_size > 3000
    feed = next(path for path in evidence if ".loaded-" in path and "response" not in path)
    document = json.loads(Path(feed).read_text(encoding="utf-8"))
    assert document["message"] == "success" and document["data"][0]["user_info"]["name"] == "宝鸡发布"
    kinds = {source.kind: source.outcome for source in audited["tt-active"].observation.sources}
    assert kinds == {"toutiao-profile": "ok", "toutiao-feed": "ok"}


def test_an_idle_account_fails_on_stale_14d(audited):
    item = audited["tt-idle"]
    assert item.judgement.verdict == "fail" and "stale-14d" in codes(item), codes(item)
    assert item.observation.newest_post_at == ago(21)


def test_an_old_pinned_post_does_not_hide_a_fresh_one_and_makes_no_gap(audited):
    item = audited["tt-pinned"]
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.pinned_post_at == ago(380) and item.observation.newest_post_at == ago(2)
    assert item.judgement.longest_gap_days is not None and item.judgement.longest_gap_days < 14


def test_a_renamed_or_reverified_account_is_flagged(audited):
    item = audited["tt-renamed"]
    assert {"name-mismatch", "certification-mismatch"} <= set(codes(item)), codes(item)
    assert item.observation.name == "宝鸡文旅" and item.observation.certification == "宝鸡市文化和旅游局"
    unverified = audited["tt-unverified"]
    assert codes(unverified) == ["certification-mismatch"], codes(unverified)
    assert "未见认证信息" in unverified.judgement.findings[0].message


@pytest.mark.parametrize("account_id, says", [
    ("tt-captcha", "验证码中间页"),
    ("tt-verify", "被引导至验证页面：https://verify.snssdk.com/view"),
    ("tt-refused", "今日头条未向页面返回文章列表（message “error”）"),
    ("tt-empty-body", "今日头条未向页面返回文章列表（HTTP 200，空响应）"),
])
def test_captcha_pages_and_refused_calls_are_for_review_with_the_screenshot(audited, account_id, says):
    item = audited[account_id]
    assert item.judgement.verdict == "review" and codes(item) == ["blocked"], codes(item)
    finding = item.judgement.findings[0]
    assert says in finding.message, finding.message
    assert any(path.endswith(".jpg") for path in finding.evidence)
    assert item.observation.newest_post_at is None


def test_an_empty_feed_is_for_review_never_idle_and_the_name_comes_from_the_page(audited):
    item = audited["tt-empty"]
    assert item.judgement.verdict == "review" and codes(item) == ["unparsed"], codes(item)
    assert "今日头条文章列表为空" in item.judgement.findings[0].message
    assert item.observation.name == "宝鸡发布"  # from the rendered title
    assert item.observation.certification is None  # not seen: never a mismatch


@pytest.mark.parametrize("account_id, searches, how", [
    ("tt-id-only", ["toutiao-search", "toutiao-search"],
     "今日头条用户搜索“宝鸡发布”：宝鸡发布（https://www.toutiao.com/c/user/token/MS4wLjABAAAAidonly/），名称一致"),
    ("tt-by-name", ["toutiao-search"],
     "今日头条用户搜索“宝鸡文旅”：宝鸡文旅（https://www.toutiao.com/c/user/token/MS4wLjABAAAAbyname/），名称一致"),
])
def test_an_account_without_a_profile_link_is_found_through_the_user_search(audited, account_id, searches, how):
    item = audited[account_id]
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert item.observation.identified_by == how
    kinds = [source.kind for source in item.observation.sources]
    assert kinds == [*searches, "toutiao-profile", "toutiao-feed"]
    assert item.observation.newest_post_at == ago(1 if account_id == "tt-id-only" else 2)
    search = item.observation.sources[len(searches) - 1]
    assert search.url.startswith("https://so.toutiao.com/search?") and search.url.endswith("&pd=user")
    assert Path(search.evidence[0]).stat().st_size > 2000  # the rendered result cards
    assert "宝鸡发布厅" not in (item.observation.name or ""), "the look-alike listed first is not taken"


def test_two_users_of_the_filed_name_take_none(audited):
    item = audited["tt-twins"]
    assert item.judgement.verdict == "review" and codes(item) == ["not-found"]
    message = item.judgement.findings[0].message
    assert message.startswith("今日头条用户搜索（“金台发布”）未找到显示该头条号或名称的唯一账号")
    assert "MS4wLjABAAAAtwin1" in message and "MS4wLjABAAAAtwin2" in message
    assert item.judgement.findings[0].evidence


def test_a_verification_wall_halts_the_search_and_defers_the_rest(emulator, sites, tmp_path):
    toutiao = sites[0]
    toutiao.search("宝鸡渭滨", redirect("https://verify.snssdk.com/view?aid=24&from=search"))
    toutiao.searched.clear()
    accounts = [web("tt-walled", name="宝鸡渭滨", site="toutiao"), web("tt-after", name="宝鸡文旅", site="toutiao"),
                web("tt-linked", urls=[f"https://www.toutiao.com/c/user/token/{token('active')}/"])]
    results = by_id(run_audit(emulator, accounts, tmp_path, as_of=AS_OF, concurrency=1))
    walled, after = results["tt-walled"], results["tt-after"]
    assert walled.judgement.verdict == "review" and codes(walled) == ["blocked"]
    assert walled.judgement.findings[0].message.startswith(
        "今日头条用户搜索“宝鸡渭滨”被引导至验证页面：https://verify.snssdk.com/view")
    assert walled.observation.deferred == [SEARCH_KEY] == after.observation.deferred
    assert after.judgement.findings[0].message.startswith("今日头条用户搜索已在本次检查中停止使用")
    assert toutiao.searched == ["宝鸡渭滨"], "nothing searched after the wall"
    assert results["tt-linked"].judgement.verdict == "pass", "a profile filed by its link is still read"


def test_the_api_refuses_calls_without_the_pages_signature_and_nmaudit_made_none(emulator, sites, audited):
    toutiao = sites[0]
    assert toutiao.refused_calls == 0  # every call came from the page, signed
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    path = f"/api/pc/list/feed?category=profile_all&token={token('active')}&max_behot_time=0&aid=24&app_name=toutiao_web"
    request = urllib.request.Request(f"https://127.0.0.1:{emulator.port}{path}", headers={"Host": "www.toutiao.com"})
    with urllib.request.urlopen(request, context=context) as answer:
        assert json.loads(answer.read()) == {"message": "error", "data": [], "has_more": False}
    assert toutiao.refused_calls == 1
    toutiao.refused_calls = 0


# -- Xiaohongshu --------------------------------------------------------------------------------

def test_a_rendered_xiaohongshu_profile_gives_its_name_and_is_still_for_review(audited):
    item = audited["xhs-renders"]
    assert item.judgement.verdict == "review" and codes(item) == ["update-unverified"], codes(item)
    finding = item.judgement.findings[0]
    assert "小红书需登录后才能查看笔记发布时间，请人工核查" in finding.message
    assert "code -101，无登录信息，或登录信息为空" in finding.message
    assert any(path.endswith("xiaohongshu-profile.jpg") for path in finding.evidence)
    assert item.observation.name == "宝鸡发布" and item.observation.newest_post_at is None
    assert item.observation.not_checked and "update" in item.observation.not_checked


@pytest.mark.parametrize("account_id, says", [
    ("xhs-captcha", "/website-login/captcha"),
    ("xhs-login", "/login?redirectPath="),
])
def test_a_xiaohongshu_login_or_captcha_redirect_is_blocked(audited, account_id, says):
    item = audited[account_id]
    assert item.judgement.verdict == "review" and codes(item) == ["blocked"], codes(item)
    assert says in item.judgement.findings[0].message
    assert any(path.endswith(".jpg") for path in item.judgement.findings[0].evidence)


# -- both ---------------------------------------------------------------------------------------

def test_replay_gives_the_same_verdicts_without_asking_the_sites(emulator, sites, recorded, tmp_path):
    live, har = recorded
    replayed = replayed_alike(emulator, sites[2], live, har, tmp_path,
                              ("www.toutiao.com", "so.toutiao.com", "verify.snssdk.com", "www.xiaohongshu.com"), AS_OF)
    # the replayed page signed its call anew: the recorded call that answered it is named
    assert "_signature=" in replayed["tt-active"].observation.newest_post_source


def test_coverage_shows_the_real_proof_level(sites):
    accounts = {account.id: account for account in sites[2]}
    assert account_coverage(accounts["tt-active"]).proof == "listed"
    assert account_coverage(accounts["tt-by-token"]).proof == "listed"
    assert account_coverage(accounts["tt-id-only"]).proof == "listed"
    assert account_coverage(accounts["tt-id-only"]).sources == (
        "今日头条用户搜索（按头条号 baojifabu 或名称）找到主页，读取页面自身加载的文章列表",)
    assert account_coverage(accounts["tt-by-name"]).sources[0].startswith("今日头条用户搜索（按名称）")
    assert account_coverage(accounts["xhs-renders"]).proof == "none"


# -- pure parts ---------------------------------------------------------------------------------

def test_profile_links_accepted_as_filed():
    links = ["https://www.toutiao.com/c/user/token/MS4wLjABAAAAx-y_z/", "https://www.toutiao.com/c/user/51234567890/",
             "https://m.toutiao.com/profile/51234567890/"]
    account = web("x", urls=[*links, "https://www.toutiao.com/article/7300000000000000000/"])
    assert profile_urls(account) == links
    assert profile_urls(web("y", ids={"toutiao": "MS4wLjABAAAAabc"})) == ["https://www.toutiao.com/c/user/token/MS4wLjABAAAAabc/"]
    assert profile_urls(web("z", ids={"toutiao": "宝鸡发布"})) == []
    # an article link alone is a Toutiao account without a profile link: the adapter says so
    article = web("a", urls=["https://www.toutiao.com/article/7300000000000000000/"])
    assert site_adapter(article).site == "toutiao" and profile_urls(article) == []
    assert site_adapter(web("b", urls=links[:1], extract={"name": {"css": "h1"}})) is None  # rules first


def test_pinned_times_and_identity_from_items():
    assert is_pinned({"label": "置顶"}) and is_pinned({"is_top": True}) and is_pinned({"stick": 1})
    assert not is_pinned({"label": "热"}) and not is_pinned({})
    assert publish_time({"publish_time": 1763690400}) == 1763690400
    assert publish_time({"publish_time": "1763690400"}) == 1763690400
    assert publish_time({"publish_time": 0}) is None and publish_time({"behot_time": 1763690400}) is None
    mine = {"user_info": {"name": "宝鸡发布", "verified_content": VERIFIED}}
    stray = {"user_info": {"name": "陕西发布", "verified_content": "陕西省人民政府新闻办公室"}}
    assert identity([mine, stray, mine]) == ("宝鸡发布", VERIFIED)
    assert identity([{"source": "宝鸡发布"}]) == ("宝鸡发布", None)  # verification not said: not seen
    assert identity([{"user_info": {"name": "宝鸡发布", "user_verified": False}}]) == ("宝鸡发布", "")
    assert identity([{"title": "x"}]) is None


def test_refusals():
    def answer(body: bytes, status: int = 200) -> Fetched:
        return Fetched(url="https://www.toutiao.com/api/pc/list/feed", final_url="", status=status,
                       content_type="application/json", body=body, fetched_at=AS_OF)
    assert refusal(answer(b'{"message":"success","data":[]}')) is None
    assert refusal(answer(b'{"message":"error","data":[]}')) == "message “error”"
    assert refusal(answer(b"")) == "HTTP 200，空响应"
    assert refusal(answer(b"<html></html>")) == "HTTP 200，非JSON响应"
    assert refusal(answer(b"{}", 403)) == "HTTP 403"


def test_xiaohongshu_profile_links():
    link = "https://www.xiaohongshu.com/user/profile/5f0a1b2c3d4e5f6a7b8c9d0e"
    assert xhs_urls(web("x", urls=[link + "?xsec_token=AB&xsec_source=pc_search"])) == [link + "?xsec_token=AB&xsec_source=pc_search"]
    assert xhs_urls(web("y", ids={"xiaohongshu": "5F0A1B2C3D4E5F6A7B8C9D0E"})) == [link]
    assert xhs_urls(web("z", ids={"xiaohongshu": "95270001"})) == []


def test_only_links_on_the_sites_themselves_are_theirs():
    assert site_adapter(web("x", urls=["https://www.nottoutiao.com/c/user/123/"])) is None
    assert site_adapter(web("y", urls=["https://fakexiaohongshu.com/user/profile/5f0a1b2c3d4e5f6a7b8c9d0e"])) is None
    assert site_adapter(web("z", urls=["https://toutiao.com/c/user/123/"])).site == "toutiao"


def test_search_results_read_each_profile_link_once_with_the_name_it_shows():
    html = """<div><a href="https://www.toutiao.com/c/user/token/MS4wLjABAAAAa/?source=search"><img></a>
    <a href="https://www.toutiao.com/c/user/token/MS4wLjABAAAAa/">宝鸡发布</a>
    <a href="//www.toutiao.com/c/user/51234567890/"> 宝鸡 发布 </a>
    <a href="https://www.toutiao.com/article/7300000000000000000/">宝鸡发布</a>
    <a href="https://www.nottoutiao.com/c/user/token/MS4wLjABAAAAz/">宝鸡发布</a></div>"""
    assert search_results(html) == [
        SearchResult("https://www.toutiao.com/c/user/token/MS4wLjABAAAAa/", "MS4wLjABAAAAa", "宝鸡发布"),
        SearchResult("https://www.toutiao.com/c/user/51234567890/", "51234567890", "宝鸡 发布")]


def test_search_match_takes_the_one_user_showing_a_filed_identity():
    account = SearchResult("https://www.toutiao.com/c/user/token/MS4wLjABAAAAa/", "MS4wLjABAAAAa", "宝鸡发布")
    lookalike = SearchResult("https://www.toutiao.com/c/user/token/MS4wLjABAAAAb/", "MS4wLjABAAAAb", "宝鸡发布厅")
    numeric = SearchResult("https://www.toutiao.com/c/user/51234567890/", "51234567890", "另一个名字")
    assert search_match([lookalike, account], ["baojifabu", "宝鸡发布"]) == account
    assert search_match([lookalike], ["baojifabu", "宝鸡发布"]) is None
    assert search_match([numeric, lookalike], ["51234567890", "宝鸡发布"]) == numeric
    assert search_match([account, numeric], ["51234567890", "宝鸡发布"]) is None, "two users show a filed identity"
    assert keywords(web("x", ids={"toutiao": " 宝鸡发布 "})) == ["宝鸡发布"]
    assert keywords(web("y", ids={"toutiao": "baojifabu"})) == ["baojifabu", "宝鸡发布"]
