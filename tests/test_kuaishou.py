"""Kuaishou (platform web, site adapter), read from what the profile page itself loads, in a real
headless Chromium against an emulated site whose page signs its own GraphQL calls.

One live audit (recorded) and one replay of every case; the pure parts at the end.
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from nmaudit.browser import Fetched, asks_for
from nmaudit.coverage import account_coverage
from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.platforms.kuaishou import CALLS, GRAPHQL, operation_of, photo_time, profile_urls, refusal
from nmaudit.platforms.web import site_adapter
from tests.conftest import codes, recorded_run, replayed_alike
from tests.emulator import Emulator
from nmaudit.platforms.kuaishou_search import SEARCH_KEY, SearchUser, search_match, search_url, search_users
from tests.conftest import by_id, run_audit
from tests.kuaishou_site import CAPTCHA_RESULT, MILLISECONDS, KuaishouSite, KuaishouUser, SearchResult

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
HOST = "www.kuaishou.com"


def ago(days: float, hours: float = 0) -> datetime:
    return (AS_OF - timedelta(days=days, hours=hours)).replace(microsecond=0)


def uploaded(days: float) -> datetime:
    """A video's upload time as read: to the millisecond the emulated timestamp carries."""
    return ago(days) + timedelta(milliseconds=MILLISECONDS)


def web(account_id: str, name: str = "平安宝鸡", **fields: Any) -> Account:
    return Account(id=account_id, name=name, platform="web", owner="宝鸡市公安局", certified_as="宝鸡市公安局", **fields)


USERS = {
    "ks-active": KuaishouUser("3xactive2k8pqra", "平安宝鸡", [(ago(2), False), (ago(9), False), (ago(16), False)]),
    "ks-idle": KuaishouUser("3xidle7mq2t5wv", "平安宝鸡", [(ago(30), False), (ago(47), False)]),
    "ks-pinned": KuaishouUser("3xpinned4hj6nc", "平安宝鸡", [(ago(420), True), (ago(1), False), (ago(6), False)]),
    "ks-renamed": KuaishouUser("3xrenamed9bd3e", "宝鸡交警", [(ago(3), False)]),
    "ks-captcha": KuaishouUser("3xcaptcha5fz8u", "平安宝鸡", [(ago(1), False)], mode="captcha"),
    "ks-errors": KuaishouUser("3xerrors2gk7ya", "平安宝鸡", [(ago(1), False)], mode="errors"),
    "ks-login": KuaishouUser("3xlogin8wr4xp", "平安宝鸡", [(ago(1), False)], mode="login"),
    "ks-empty": KuaishouUser("3xempty6ts9qm", "平安宝鸡", [(ago(1), False)], mode="empty"),
    # the photo list answers well after the profile: capture waits for each operation by its body
    "ks-slow": KuaishouUser("3xslow3nv5ke", "平安宝鸡", [(ago(4), False)], photos_delay=1.5),
    "ks-live-link": KuaishouUser("3xlivelink7c2h", "平安宝鸡", [(ago(5), False)]),
    "ks-by-id": KuaishouUser("3xbyid4dk8wz", "平安宝鸡", [(ago(6), False)]),
    # filed by a numeric 快手号 (found by its exact name) or a chosen one (the userId itself)
    "ks-number": KuaishouUser("3xnumber5hw2qa", "平安宝鸡", [(ago(3), False)]),
    "ks-custom": KuaishouUser("pabj110", "平安宝鸡", [(ago(2), False)]),
}
#: What the user search lists: a look-alike first; two accounts of the filed name for 1900000000.
SEARCHES = {
    "1938765402": [SearchResult("3xlookalike8m2", "平安宝鸡官方"), SearchResult("3xnumber5hw2qa", "平安宝鸡", "宝鸡市公安局")],
    "PABJ110": [SearchResult("3xother2kd9ww", "平安宝鸡110"), SearchResult("pabj110", "平安宝鸡")],
    "1900000000": [SearchResult("3xsame1aa", "平安宝鸡"), SearchResult("3xsame2bb", "平安宝鸡")],
}


@pytest.fixture(scope="module")
def site(emulator: Emulator) -> tuple[KuaishouSite, list[Account]]:
    kuaishou = KuaishouSite(emulator)
    accounts = []
    for account_id, user in USERS.items():
        url = kuaishou.add(emulator, user)
        if account_id == "ks-number":
            accounts.append(web(account_id, ids={"kuaishou": "1938765402"}))
        elif account_id == "ks-custom":
            accounts.append(web(account_id, ids={"kuaishou": "PABJ110"}))
        elif account_id == "ks-live-link":
            accounts.append(web(account_id, urls=[f"https://live.kuaishou.com/profile/{user.user_id}"]))
        elif account_id == "ks-by-id":
            accounts.append(web(account_id, ids={"kuaishou": user.user_id}))
        else:
            accounts.append(web(account_id, urls=[url]))
    accounts.append(web("ks-ambiguous", ids={"kuaishou": "1900000000"}))
    accounts.append(web("ks-site-only", site="kuaishou"))
    for keyword, results in SEARCHES.items():
        kuaishou.search(keyword, results)
    return kuaishou, accounts


@pytest.fixture(scope="module")
def recorded(emulator: Emulator, site, tmp_path_factory) -> tuple[dict[str, Any], Path]:
    return recorded_run(emulator, site[1], tmp_path_factory.mktemp("kuaishou-live"), AS_OF)


@pytest.fixture(scope="module")
def audited(recorded) -> dict[str, Any]:
    return recorded[0]


def test_an_active_account_passes_with_its_name_and_newest_video(audited):
    item = audited["ks-active"]
    assert item.judgement.verdict == "pass", codes(item)
    assert codes(item) == []
    assert item.observation.name == "平安宝鸡"
    assert item.observation.newest_post_at == uploaded(2) and item.observation.newest_post_lists_newest
    assert item.observation.newest_post_source == f"https://{HOST}/profile/3xactive2k8pqra"
    assert item.observation.posts_seen == 3
    kinds = {source.kind: source.outcome for source in item.observation.sources}
    assert kinds == {"kuaishou-profile": "ok", "kuaishou-user": "ok", "kuaishou-photos": "ok"}


def test_certification_is_not_seen_on_the_web_and_left_to_staff_never_flagged(audited):
    for account_id in ("ks-active", "ks-renamed", "ks-idle"):
        observation = audited[account_id].observation
        assert observation.certification is None  # not seen: never "" (which means "not certified")
        assert "certification" not in observation.checks and "certification" in observation.not_checked
        assert "certification-mismatch" not in codes(audited[account_id])


def test_the_screenshot_shows_the_rendered_profile_and_the_answers_are_kept_beside(audited):
    evidence = audited["ks-active"].observation.evidence
    assert Path(evidence[0]).name.endswith("kuaishou-profile.jpg"), evidence  # the readable one first
    assert Path(evidence[0]).stat().st_size > 3000
    answers = [json.loads(Path(path).read_text()) for path in evidence
               if ".loaded-" in path and "response" not in path and path.endswith(".json")]
    assert sorted(operation_of(answer) for answer in answers) == ["visionProfile", "visionProfilePhotoList"]
    photos = next(answer for answer in answers if operation_of(answer) == "visionProfilePhotoList")
    assert photos["data"]["visionProfilePhotoList"]["result"] == 1


def test_an_idle_account_fails_on_stale_14d_with_the_profile_and_the_answer_as_evidence(audited):
    item = audited["ks-idle"]
    assert item.judgement.verdict == "fail" and "stale-14d" in codes(item), codes(item)
    finding = next(f for f in item.judgement.findings if f.code == "stale-14d")
    assert "最新发布于2026-10-22" in finding.message
    assert any(path.endswith("kuaishou-profile.jpg") for path in finding.evidence)
    assert any("visionProfilePhotoList" in Path(path).read_text() for path in finding.evidence
               if ".loaded-" in path and "response" not in path)


def test_an_old_pinned_video_does_not_hide_a_fresh_one_and_makes_no_gap(audited):
    item = audited["ks-pinned"]
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.pinned_post_at == uploaded(420) and item.observation.newest_post_at == uploaded(1)
    assert item.judgement.longest_gap_days is not None and item.judgement.longest_gap_days < 14


def test_a_renamed_account_is_flagged(audited):
    item = audited["ks-renamed"]
    assert codes(item) == ["name-mismatch"], codes(item)
    assert "实际“宝鸡交警”" in item.judgement.findings[0].message


@pytest.mark.parametrize("account_id, says", [
    ("ks-captcha", f"快手拒绝了页面的数据请求（visionProfile result {CAPTCHA_RESULT}；"
                   f"visionProfilePhotoList result {CAPTCHA_RESULT}）"),
    ("ks-errors", "快手拒绝了页面的数据请求（GraphQL errors：系统繁忙，请稍后再试）"),
    ("ks-login", "被引导至验证或登录页面：https://www.kuaishou.com/account/login"),
])
def test_walls_and_refusals_are_for_review_with_the_screenshot_never_idle(audited, account_id, says):
    item = audited[account_id]
    assert item.judgement.verdict == "review" and codes(item) == ["blocked"], codes(item)
    finding = item.judgement.findings[0]
    assert says in finding.message, finding.message
    assert any(path.endswith(".jpg") for path in finding.evidence)
    assert item.observation.newest_post_at is None
    if account_id != "ks-login":  # the refusing answer is kept beside the screenshot
        assert any(".loaded-" in path and "response" not in path for path in finding.evidence)


def test_an_empty_video_list_is_for_review_never_idle(audited):
    item = audited["ks-empty"]
    assert item.judgement.verdict == "review" and codes(item) == ["unparsed"], codes(item)
    assert "快手作品列表为空：可能确无作品，也可能需要登录" in item.judgement.findings[0].message
    assert item.observation.name == "平安宝鸡" and item.observation.newest_post_at is None


def test_each_operation_is_waited_for_though_both_go_to_one_url(audited):
    item = audited["ks-slow"]  # its photo list came 1.5 s after the profile
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.newest_post_at == uploaded(4)


def test_profile_links_and_user_ids_open_the_www_profile(audited):
    for account_id, user_id in (("ks-live-link", "3xlivelink7c2h"), ("ks-by-id", "3xbyid4dk8wz")):
        item = audited[account_id]
        assert item.judgement.verdict == "pass", codes(item)
        assert item.observation.newest_post_source == f"https://{HOST}/profile/{user_id}"


def test_no_kuaishou_number_and_no_profile_link_is_for_review_with_the_reason(audited):
    item = audited["ks-site-only"]
    assert item.judgement.verdict == "review" and codes(item) == ["unsupported"]
    assert item.judgement.findings[0].message.startswith("未填写快手号或快手主页链接")
    assert "https://www.kuaishou.com/profile/" in item.judgement.findings[0].message
    assert item.observation.sources == []


@pytest.mark.parametrize("account_id, user_id, how", [
    ("ks-number", "3xnumber5hw2qa", "快手用户搜索“1938765402”：平安宝鸡（用户ID 3xnumber5hw2qa，认证：宝鸡市公安局），"
                                    "名称与登记名称完全一致"),
    ("ks-custom", "pabj110", "快手用户搜索“PABJ110”：平安宝鸡（用户ID pabj110），用户ID与快手号一致"),
])
def test_a_kuaishou_number_is_found_through_the_user_search_then_its_profile_read(audited, account_id, user_id, how):
    item = audited[account_id]
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert item.observation.identified_by == how
    assert item.observation.newest_post_source == f"https://{HOST}/profile/{user_id}"
    kinds = [source.kind for source in item.observation.sources]
    assert kinds[:3] == ["kuaishou-search", "kuaishou-search-results", "kuaishou-profile"]
    assert sorted(kinds[3:]) == ["kuaishou-photos", "kuaishou-user"]  # the page's two answers race
    search = item.observation.sources[0]
    assert search.evidence[0].endswith("kuaishou-search.jpg") and Path(search.evidence[0]).stat().st_size > 2000
    assert "certification" not in item.observation.checks, "the web shows no 认证, found by search or not"


def test_a_search_that_shows_no_single_account_of_the_filed_identity_takes_none(audited):
    item = audited["ks-ambiguous"]
    assert item.judgement.verdict == "review" and codes(item) == ["not-found"]
    message = item.judgement.findings[0].message
    assert message.startswith("快手用户搜索“1900000000”未找到用户ID为该快手号或名称为“平安宝鸡”的唯一账号")
    assert "平安宝鸡（用户ID 3xsame1aa）；平安宝鸡（用户ID 3xsame2bb）" in message
    assert [source.kind for source in item.observation.sources] == ["kuaishou-search", "kuaishou-search-results"]


def test_a_search_wall_halts_the_search_and_defers_the_accounts_after_it(emulator, site, tmp_path):
    kuaishou = site[0]
    kuaishou.searched.clear()
    kuaishou.search_wall_after = 0
    try:
        accounts = [web("ks-walled", ids={"kuaishou": "1938765402"}), web("ks-after", ids={"kuaishou": "PABJ110"}),
                    web("ks-linked", urls=["https://www.kuaishou.com/profile/3xactive2k8pqra"])]
        results = by_id(run_audit(emulator, accounts, tmp_path, as_of=AS_OF, concurrency=1))
    finally:
        kuaishou.search_wall_after = None
    walled, after = results["ks-walled"], results["ks-after"]
    assert walled.judgement.verdict == "review" and codes(walled) == ["blocked"]
    assert (f"快手用户搜索“1938765402”未能完成：搜索请求被拒绝（visionSearchUser result {CAPTCHA_RESULT}）"
            in walled.judgement.findings[0].message)
    assert walled.observation.deferred == [SEARCH_KEY]
    assert after.judgement.verdict == "review" and after.observation.deferred == [SEARCH_KEY]
    assert after.judgement.findings[0].message.startswith("快手用户搜索已在本次检查中停止使用（快手用户搜索搜索请求被拒绝")
    assert kuaishou.searched == ["1938765402"], "no search after the wall"
    assert results["ks-linked"].judgement.verdict == "pass", "a profile filed by its link is still read"


def test_the_api_refuses_calls_without_the_pages_signature_and_nmaudit_made_none(emulator, site, audited):
    kuaishou = site[0]
    assert kuaishou.refused_calls == 0  # every call came from the page, signed
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    body = json.dumps(kuaishou.direct_call("3xactive2k8pqra")).encode()
    stamp = str(int(time.time() * 1000))
    for headers in ({}, {"ks-ts": stamp, "ks-sign": "00000000", "Cookie": "did=web_1; kpf=PC_WEB; kpn=KUAISHOU_VISION"}):
        request = urllib.request.Request(f"https://127.0.0.1:{emulator.port}/graphql", data=body, method="POST",
                                         headers={"Host": HOST, "Content-Type": "application/json", **headers})
        with urllib.request.urlopen(request, context=context) as answer:
            document = json.loads(answer.read())
        assert document["data"]["visionProfilePhotoList"]["result"] == CAPTCHA_RESULT
        assert "feeds" not in document["data"]["visionProfilePhotoList"]
    assert kuaishou.refused_calls == 2
    kuaishou.refused_calls = 0


def test_replay_gives_the_same_verdicts_without_asking_the_site(emulator, site, recorded, tmp_path):
    live, har = recorded
    # Both operations were recorded under one URL, told apart by their bodies, signed with the clock.
    calls = [entry["request"] for entry in json.loads(har.read_text())["log"]["entries"]
             if entry["request"]["url"] == f"https://{HOST}/graphql"]
    bodies = {call["postData"]["text"] for call in calls}
    assert len(bodies) == len(calls) == 2 * 12 + len(SEARCHES)
    assert all(any(h["name"].lower() == "ks-sign" for h in call["headers"]) for call in calls)
    # The replayed page signs with its own clock: headers never recorded, bodies as recorded.
    replayed = replayed_alike(emulator, site[1], live, har, tmp_path, (HOST,), AS_OF)
    # each POST got its own answer: the profile's name and the photo list's videos
    assert replayed["ks-renamed"].observation.name == "宝鸡交警"
    assert replayed["ks-active"].observation.posts_seen == 3


def test_coverage_shows_the_real_proof_level(site):
    accounts = {account.id: account for account in site[1]}
    assert account_coverage(accounts["ks-active"]).proof == "listed"
    assert account_coverage(accounts["ks-by-id"]).proof == "listed"
    assert account_coverage(accounts["ks-number"]).proof == "listed"
    assert "快手用户搜索（按快手号 1938765402）找到主页" in account_coverage(accounts["ks-number"]).sources[0]
    assert account_coverage(accounts["ks-site-only"]).proof == "none"
    short = account_coverage(web("short", urls=["https://v.kuaishou.com/Kx9aBc"]))
    assert short.proof == "none" and "快手链接不是主页链接（https://v.kuaishou.com/Kx9aBc）" in short.sources[0]


# -- pure parts ------------------------------------------------------------------------------------

def answer(document: Any, status: int = 200) -> Fetched:
    body = json.dumps(document).encode() if document is not None else b""
    return Fetched(url=f"https://{HOST}/graphql", final_url=f"https://{HOST}/graphql", status=status,
                   content_type="application/json", body=body, fetched_at=AS_OF)


@pytest.mark.parametrize("document, status, why", [
    ({"data": {"visionProfilePhotoList": {"result": 1, "feeds": []}}}, 200, None),
    ({"data": {"visionProfilePhotoList": {"result": 400002}}}, 200, "visionProfilePhotoList result 400002"),
    ({"data": {"visionProfile": None}}, 200, "data.visionProfile 为空"),
    ({"errors": [{"message": "Need captcha"}], "data": None}, 200, "GraphQL errors：Need captcha"),
    ({"data": None}, 200, "data 为空"),
    (None, 200, "HTTP 200，空响应"),
    ({"result": 1}, 403, "HTTP 403"),
])
def test_refusals(document, status, why):
    assert refusal(answer(document, status)) == why


def test_photo_times_are_milliseconds_and_misread_values_are_not_dates():
    moment = photo_time({"timestamp": int(ago(3).timestamp()) * 1000 + MILLISECONDS}, AS_OF)
    assert moment == uploaded(3)
    # seconds where milliseconds belong would read as 1970: not a date, never an old post
    assert photo_time({"timestamp": int(ago(3).timestamp())}, AS_OF) is None
    assert photo_time({"timestamp": int((AS_OF + timedelta(days=3)).timestamp()) * 1000}, AS_OF) is None
    for photo in ({}, {"timestamp": None}, {"timestamp": "1763690400000"}, {"timestamp": True}, None):
        assert photo_time(photo, AS_OF) is None


def test_profile_urls_from_links_and_ids():
    assert profile_urls(web("a", urls=["https://www.kuaishou.com/profile/3x4jtnbfter525a?source=share"])) == [
        "https://www.kuaishou.com/profile/3x4jtnbfter525a"]
    assert profile_urls(web("b", urls=["https://live.kuaishou.com/profile/3x4jtnbfter525a"])) == [
        "https://www.kuaishou.com/profile/3x4jtnbfter525a"]
    assert profile_urls(web("c", ids={"kuaishou": "3x4jtnbfter525a"})) == [
        "https://www.kuaishou.com/profile/3x4jtnbfter525a"]
    assert profile_urls(web("d", ids={"kuaishou": "1938765402"})) == []
    assert profile_urls(web("e", ids={"kuaishou": "baojijingfang"})) == []
    short = web("f", urls=["https://v.kuaishou.com/Kx9aBc"])
    assert profile_urls(short) == [] and site_adapter(short) is not None  # read, to say the link is needed
    assert site_adapter(web("g", urls=["https://www.example.gov.cn/app"])) is None


def call(url: str, body: str | None = None) -> Any:
    """What asks_for reads of a page's call: its URL and its request's body."""
    return SimpleNamespace(url=url, request=SimpleNamespace(post_data=body))


def test_each_call_pattern_names_one_operation_by_the_body():
    profile, photos = (re.compile(pattern) for pattern in CALLS)
    for operation, matches in (("visionProfile", profile), ("visionProfilePhotoList", photos)):
        body = json.dumps({"operationName": operation, "variables": {"userId": "3x4jtnbfter525a"}, "query": "query …"})
        other = photos if matches is profile else profile
        assert asks_for(matches, call(GRAPHQL, body)) and not asks_for(other, call(GRAPHQL, body)), operation
        assert not asks_for(matches, call("https://www.example.com/graphql", body))
    assert not asks_for(profile, call(GRAPHQL))  # the URL alone names no operation
    # a match must start in the URL: a beacon quoting a watched URL in its body is not that call
    beacon = call("https://log.example.com/collect", json.dumps({"page": f"{GRAPHQL}", "operationName": "visionProfile"}))
    assert not asks_for(profile, beacon)
    assert not asks_for(re.compile(r"/api/container/getIndex"),
                        call("https://log.example.com/collect", "u=https://m.weibo.cn/api/container/getIndex?type=uid"))
    assert asks_for(re.compile(r"/api/container/getIndex"), call("https://m.weibo.cn/api/container/getIndex?type=uid"))


def test_search_match_takes_the_user_id_or_the_one_exact_name_never_the_first_result():
    lookalike, account = SearchUser("3xa", "平安宝鸡官方", ""), SearchUser("3xb", "平安 宝鸡", "")
    assert search_match([lookalike, account], "1938765402", "平安宝鸡") == (account, "名称与登记名称完全一致")
    assert search_match([lookalike, account], "3XA", "平安宝鸡") == (lookalike, "用户ID与快手号一致")
    assert search_match([lookalike], "1938765402", "平安宝鸡") == (None, "")
    assert search_match([account, SearchUser("3xc", "平安宝鸡", "")], "1", "平安宝鸡") == (None, "")


def test_search_users_refusals_and_the_search_url():
    listed = {"data": {"visionSearchUser": {"result": 1, "users": [
        {"user_id": "3xa", "user_name": "平安宝鸡", "verifiedDetail": {"description": "宝鸡市公安局"}},
        {"user_id": "", "user_name": "无ID"}]}}}
    assert search_users(listed) == [SearchUser("3xa", "平安宝鸡", "宝鸡市公安局")]
    assert search_users({"data": {"visionSearchUser": {"result": 1, "users": None}}}) == []
    assert search_users({"data": {"visionSearchUser": {"result": CAPTCHA_RESULT}}}) is None
    assert search_users({"errors": [{"message": "x"}], "data": None}) is None
    assert search_users(None) is None
    assert search_url("平安 宝鸡") == "https://www.kuaishou.com/search/author?searchKey=%E5%B9%B3%E5%AE%89%20%E5%AE%9D%E9%B8%A1"
