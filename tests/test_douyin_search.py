"""A Douyin account filed by its 抖音号 alone, found through Douyin's own user search and then read
from its profile, in a real headless Chromium against an emulated search page that signs its call.

The search page is emulated after public scrapers' description of it (no real capture exists):
see tests/douyin_site.py.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nmaudit.audit import AuditOptions, Scheduler, resume_run
from nmaudit.browser import BrowserOptions, HostPacer
from nmaudit.coverage import account_coverage
from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.platforms.douyin_search import SEARCH_KEY, SearchUser, search_match, search_url, search_users
from nmaudit.store import Store
from tests.conftest import by_id, codes, run_audit
from tests.douyin_site import DouyinSite, DouyinUser
from tests.emulator import Emulator

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
VERIFIED = "宝鸡市公安局官方账号"


def ago(days: float) -> datetime:
    return (AS_OF - timedelta(days=days)).replace(microsecond=0)


def web(account_id: str, douyin: str, name: str = "平安宝鸡", certified_as: str = "宝鸡市公安局", **fields: Any) -> Account:
    return Account(id=account_id, name=name, platform="web", owner=certified_as, certified_as=certified_as,
                   ids={"douyin": douyin}, **fields)


REAL = DouyinUser("MS4wLjABAAAA-search-real", "平安宝鸡", custom_verify=VERIFIED, unique_id="baojijingfang",
                  posts=[(ago(2), False), (ago(9), False)])
#: A look-alike listed first: same name, another 抖音号, a fresher video.
DECOY = DouyinUser("MS4wLjABAAAA-search-decoy", "平安宝鸡", unique_id="baojijingfang1", posts=[(ago(0.5), False)])
#: Never set a 抖音号 of its own: its numeric short_id is the one shown, and filed.
SHORT = DouyinUser("MS4wLjABAAAA-search-short", "宝鸡交警", enterprise_verify_reason="宝鸡市公安局交通警察支队",
                   short_id="2081234567", posts=[(ago(30), False), (ago(40), False)])
OTHERS = [DouyinUser(f"MS4wLjABAAAA-search-other{n}", name, unique_id=f"bjfb{n}", custom_verify=verify)
          for n, (name, verify) in enumerate([("宝鸡发布厅", ""), ("宝鸡发布君", "某文化传媒有限公司"),
                                              ("爱宝鸡发布", ""), ("宝鸡发布粉丝团", "")])]


@pytest.fixture(scope="module")
def site(emulator: Emulator) -> DouyinSite:
    douyin = DouyinSite(emulator)
    douyin.search("BaoJiJingFang", [DECOY, REAL])
    douyin.search("2081234567", [SHORT])
    douyin.search("baojifabu", OTHERS)
    douyin.search("taibaifabu", [])
    return douyin


ACCOUNTS = [
    web("dys-found", " BaoJiJingFang "),  # filed with other case and spaces around it
    web("dys-short", "2081234567", name="宝鸡交警", certified_as="宝鸡市公安局交通警察支队"),
    web("dys-missing", "baojifabu", name="宝鸡发布", certified_as="宝鸡市人民政府新闻办公室"),
    web("dys-empty", "taibaifabu", name="太白发布", certified_as="太白县人民政府办公室"),
    Account(id="dys-nothing", name="眉县发布", platform="web", owner="眉县人民政府", site="douyin"),
]


@pytest.fixture(scope="module")
def recorded(emulator: Emulator, site: DouyinSite, tmp_path_factory) -> tuple[dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("douyin-search")
    har = folder / "search.har"
    return by_id(run_audit(emulator, ACCOUNTS, folder, as_of=AS_OF, record_har=str(har))), har


@pytest.fixture(scope="module")
def audited(recorded) -> dict[str, Any]:
    return recorded[0]


def profiles_asked(emulator: Emulator) -> set[str]:
    return {request.path for request in emulator.requests_to("www.douyin.com") if request.path.startswith("/user/")}


def test_found_by_its_douyin_id_and_judged_from_its_profile(emulator, audited):
    item = audited["dys-found"]
    assert item.judgement.verdict == "pass", item.judgement.findings
    observation = item.observation
    assert observation.name == "平安宝鸡" and observation.certification == VERIFIED
    assert observation.newest_post_at == ago(2) and observation.newest_post_lists_newest
    assert observation.name_source == f"https://www.douyin.com/user/{REAL.sec_uid}"
    assert observation.identified_by == (
        f"抖音用户搜索“BaoJiJingFang”：平安宝鸡（抖音号 baojijingfang，认证：{VERIFIED}），抖音号一致")
    kinds = [source.kind for source in observation.sources]
    assert kinds[:3] == ["douyin-search", "douyin-search-results", "douyin-profile"], kinds
    assert observation.sources[0].url == "https://www.douyin.com/search/BaoJiJingFang?type=user"
    # the search page's screenshot and the answer its script loaded are kept
    assert any(path.endswith("douyin-search.jpg") for path in observation.evidence)
    answer = next(path for path in observation.sources[1].evidence if path.endswith(".json") and "response" not in path)
    assert json.loads(Path(answer).read_text())["user_list"][1]["user_info"]["unique_id"] == "baojijingfang"
    # the look-alike listed first was never opened
    assert f"/user/{DECOY.sec_uid}" not in profiles_asked(emulator)


def test_found_by_the_numeric_short_id_and_idle_from_its_profile(audited):
    item = audited["dys-short"]
    assert item.judgement.verdict == "fail" and "stale-14d" in codes(item), codes(item)
    assert item.observation.newest_post_at == ago(30)
    assert "宝鸡交警（抖音号 2081234567" in item.observation.identified_by


def test_not_found_names_up_to_three_candidates_and_opens_none(emulator, audited):
    item = audited["dys-missing"]
    assert item.judgement.verdict == "review" and codes(item) == ["not-found"], codes(item)
    message = item.judgement.findings[0].message
    assert "抖音用户搜索“baojifabu”未找到显示该抖音号的账号" in message
    assert ("搜索结果：宝鸡发布厅（抖音号 bjfb0）；宝鸡发布君（抖音号 bjfb1，认证：某文化传媒有限公司）；"
            "爱宝鸡发布（抖音号 bjfb2）等 4 个") in message
    assert "宝鸡发布粉丝团" not in message
    assert any(path.endswith(".jpg") for path in item.judgement.findings[0].evidence)
    assert item.observation.identified_by is None and item.observation.newest_post_at is None
    assert not any(f"/user/{user.sec_uid}" in profiles_asked(emulator) for user in OTHERS)
    empty = audited["dys-empty"]
    assert codes(empty) == ["not-found"] and empty.judgement.findings[0].message.endswith("搜索结果：无结果")


def test_neither_a_link_nor_an_id_is_for_review_with_the_reason(audited):
    item = audited["dys-nothing"]
    assert item.judgement.verdict == "review" and codes(item) == ["unsupported"]
    assert "未报备抖音主页链接，也未填写抖音号" in item.judgement.findings[0].message


def test_the_search_api_refuses_an_unsigned_call_and_nmaudit_made_none(emulator, site, audited):
    assert site.refused_calls == 0  # every call came from the page
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    path = ("/aweme/v1/web/discover/search/?device_platform=webapp&aid=6383&channel=channel_pc_web"
            "&search_channel=aweme_user_web&keyword=baojijingfang&offset=0&count=10")
    request = urllib.request.Request(f"https://127.0.0.1:{emulator.port}{path}", headers={"Host": "www.douyin.com"})
    with urllib.request.urlopen(request, context=context) as answer:
        assert answer.read() == b""
    assert site.refused_calls == 1
    site.refused_calls = 0


def test_replay_gives_the_same_results_without_asking_douyin(emulator, site, recorded, tmp_path):
    live, har = recorded
    asked = len(emulator.requests_to("www.douyin.com"))
    replayed = by_id(run_audit(emulator, ACCOUNTS, tmp_path, as_of=AS_OF, replay_har=str(har)))
    assert len(emulator.requests_to("www.douyin.com")) == asked, "a replay asks nothing"
    for account_id, item in live.items():
        again = replayed[account_id]
        assert (again.judgement.verdict, codes(again)) == (item.judgement.verdict, codes(item)), account_id
        assert [f.message for f in again.judgement.findings] == [f.message for f in item.judgement.findings]
        assert again.observation.identified_by == item.observation.identified_by, account_id
        assert again.observation.newest_post_at == item.observation.newest_post_at, account_id


def test_coverage_lists_an_id_only_account_through_the_search():
    coverage = account_coverage(ACCOUNTS[0])
    assert coverage.proof == "listed"
    assert coverage.sources == ("抖音用户搜索（按抖音号 BaoJiJingFang）找到主页，读取页面自身加载的作品列表",)
    assert account_coverage(ACCOUNTS[-1]).proof == "none"


# -- the wall: the search is halted for the run, the accounts after it deferred, --resume finishes --------


def searches(emulator: Emulator) -> list[str]:
    return [request.path for request in emulator.requests_to("www.douyin.com") if request.path.startswith("/search/")]


@pytest.mark.slow  # two audits (the run, then --resume) per wall kind
@pytest.mark.parametrize("kind, says", [("captcha", "验证码中间页"), ("login", "status_code 2483，请登录后再试")])
def test_a_wall_halts_the_search_and_resume_finishes_the_deferred(emulator, site, tmp_path, kind, says):
    users = [DouyinUser(f"MS4wLjABAAAA-wall-{kind}-{n}", f"宝鸡县区{n}", custom_verify=VERIFIED,
                        unique_id=f"wall{kind}{n}", posts=[(ago(1 + n), False)]) for n in range(4)]
    linked = DouyinUser(f"MS4wLjABAAAA-wall-{kind}-linked", "平安宝鸡", custom_verify=VERIFIED, posts=[(ago(3), False)])
    for user in users:
        site.search(user.unique_id, [user])
    accounts = [web(f"wall-{n}", user.unique_id, name=user.nickname) for n, user in enumerate(users)]
    accounts.append(Account(id="wall-linked", name="平安宝鸡", platform="web", owner="宝鸡市公安局",
                            certified_as="宝鸡市公安局", urls=[site.add(emulator, linked)]))
    before = len(searches(emulator))
    site.searches, site.search_wall_after, site.search_wall = 0, 1, kind
    har = tmp_path / "wall.har"
    try:
        run = run_audit(emulator, accounts, tmp_path, as_of=AS_OF, concurrency=1, record_har=str(har))
    finally:
        site.search_wall_after = None  # the wall lifts, as Douyin's do after a while
    items = by_id(run)
    assert len(searches(emulator)) - before == 2  # one answer and the wall; nothing after it
    assert [items[f"wall-{n}"].judgement.verdict for n in range(4)] == ["pass", "review", "review", "review"]
    assert items["wall-linked"].judgement.verdict == "pass"  # profiles are still read: only the search halted
    wall = items["wall-1"]
    assert codes(wall) == ["blocked"] and says in wall.judgement.findings[0].message
    assert wall.observation.deferred == [SEARCH_KEY] and wall.observation.newest_post_at is None
    evidence = wall.judgement.findings[0].evidence
    assert evidence and all(Path(path).exists() for path in evidence)
    assert any(path.endswith(".jpg") for path in evidence)
    for n in (2, 3):
        later = items[f"wall-{n}"]
        assert codes(later) == ["blocked"] and later.observation.deferred == [SEARCH_KEY]
        assert "抖音用户搜索已在本次检查中停止使用" in later.judgement.findings[0].message
        assert "nmaudit audit --resume" in later.judgement.findings[0].message
        assert later.judgement.findings[0].evidence == evidence
        assert later.observation.sources == []  # nothing was asked for it

    if kind == "captcha":  # the recording replays to the same wall, halt and deferrals, asking nothing
        (tmp_path / "replay").mkdir()
        asked = len(emulator.requests_to("www.douyin.com"))
        replayed = by_id(run_audit(emulator, accounts, tmp_path / "replay", as_of=AS_OF, concurrency=1,
                                   replay_har=str(har)))
        assert len(emulator.requests_to("www.douyin.com")) == asked
        assert {key: (codes(item), item.observation.deferred) for key, item in replayed.items()} == {
            key: (codes(item), item.observation.deferred) for key, item in items.items()}

    store = Store(str(tmp_path / "nmaudit.db"))
    assert store.deferred_accounts(run.run.id) == {"wall-1", "wall-2", "wall-3"}
    options = AuditOptions(db=str(tmp_path / "nmaudit.db"), snapshots=str(tmp_path / "snapshots"), concurrency=1,
                           browser=BrowserOptions(browser_args=emulator.browser_args, pace=0.0, timeout=15.0))
    with ThreadPoolExecutor(1) as thread:  # its own thread (see run_audit), so its own store
        resumed = thread.submit(lambda: asyncio.run(
            resume_run(run.run.id, options, Store(str(tmp_path / "nmaudit.db"))))).result()
    assert {item.account.id: item.judgement.verdict for item in resumed.results} == {
        **{f"wall-{n}": "pass" for n in range(4)}, "wall-linked": "pass"}
    assert "抖音号一致" in by_id(resumed)["wall-3"].observation.identified_by
    assert len(searches(emulator)) - before == 2 + 3  # only the deferred accounts searched again
    assert store.deferred_accounts(run.run.id) == set()


# -- pure parts ------------------------------------------------------------------------------------


def test_search_users_and_the_match_by_unique_id_then_short_id():
    document = {"status_code": 0, "user_list": [
        {"user_info": {"nickname": "平安宝鸡", "unique_id": "BaoJiJingFang1", "short_id": "0", "sec_uid": "A"}},
        {"user_info": {"nickname": "宝鸡交警", "unique_id": "", "short_id": 2081234567, "sec_uid": "B",
                       "enterprise_verify_reason": "宝鸡市公安局交通警察支队"}},
        {"user_info": {"nickname": "无主页", "unique_id": "nosec", "sec_uid": ""}},
        {"not_a_user": {}}]}
    users = search_users(document)
    assert users == [SearchUser("平安宝鸡", "BaoJiJingFang1", "", "A", ""),
                     SearchUser("宝鸡交警", "", "2081234567", "B", "宝鸡市公安局交通警察支队"),
                     SearchUser("无主页", "nosec", "", "", "")]
    assert search_match(users, " baojijingfang1 ").sec_uid == "A"
    assert search_match(users, "2081234567").sec_uid == "B"
    assert search_match(users, "baojijingfang") is None  # a prefix is not the id
    assert search_match(users, "nosec") is None  # no profile to open
    assert search_users({"status_code": 0}) == []  # nothing found
    for refused in ({"status_code": 2483, "status_msg": "请登录后再试"}, None, "", {"status_code": 0, "user_list": "x"}):
        assert search_users(refused) is None
    assert search_url("平安 宝鸡") == "https://www.douyin.com/search/%E5%B9%B3%E5%AE%89%20%E5%AE%9D%E9%B8%A1?type=user"


def test_with_several_endpoints_a_walled_search_leaves_id_only_accounts_to_the_others():
    first, second = HostPacer(0.0), HostPacer(0.0)
    linked = Account(id="linked", name="平安宝鸡", platform="web", owner="宝鸡市公安局",
                     urls=["https://www.douyin.com/user/MS4wLjABAAAA-x"])
    scheduler = Scheduler([web("by-id", "baojijingfang"), linked], first)
    first.halt(SEARCH_KEY, "抖音用户搜索出现验证码或登录页面", [])
    assert scheduler.take_for(first, [second]).id == "linked"  # its profiles are still read there
    assert isinstance(scheduler.take_for(first, [second]), float)  # the 抖音号 search is left to the other
    assert scheduler.take_for(second, [first]).id == "by-id"
