"""Douyin and Bilibili (platform web, site adapters), read from what the profile page itself loads,
in a real headless Chromium against emulated sites whose pages sign their own API calls.

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

from nmaudit.coverage import account_coverage
from nmaudit.dates import BEIJING, from_unix
from nmaudit.models import Account
from nmaudit.platforms.bilibili import official, space_urls
from nmaudit.platforms.douyin import upload_time
from tests.bilibili_site import BilibiliSite, BilibiliUser
from tests.conftest import codes, recorded_run, replayed_alike
from tests.douyin_site import DouyinSite, DouyinUser
from tests.emulator import Emulator

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "other" / "files"
#: Checks against the captured real answers skip, with the reason, where the folder is absent.
needs_real_pages = pytest.mark.skipif(not REAL.is_dir(), reason=f"real captured pages not present ({REAL})")


def ago(days: float, hours: float = 0) -> datetime:
    return (AS_OF - timedelta(days=days, hours=hours)).replace(microsecond=0)


def web(account_id: str, name: str = "平安宝鸡", certified_as: str = "宝鸡市公安局", **fields: Any) -> Account:
    return Account(id=account_id, name=name, platform="web", owner="宝鸡市公安局", certified_as=certified_as, **fields)


VERIFIED = "宝鸡市公安局官方账号"
DOUYIN = {
    "dy-active": DouyinUser("MS4wLjABAAAA-active", "平安宝鸡", custom_verify=VERIFIED, unique_id="baojijingfang",
                            posts=[(ago(2), False), (ago(9), False), (ago(16), False)]),
    "dy-idle": DouyinUser("MS4wLjABAAAA-idle", "平安宝鸡", enterprise_verify_reason=VERIFIED,
                          posts=[(ago(30), False), (ago(47), False)]),
    "dy-pinned": DouyinUser("MS4wLjABAAAA-pinned", "平安宝鸡", custom_verify=VERIFIED,
                            posts=[(ago(420), True), (ago(1), False), (ago(6), False)]),
    "dy-renamed": DouyinUser("MS4wLjABAAAA-renamed", "宝鸡交警", enterprise_verify_reason="宝鸡市交通运输局",
                             posts=[(ago(3), False)]),
    "dy-captcha": DouyinUser("MS4wLjABAAAA-captcha", "平安宝鸡", mode="captcha", posts=[(ago(1), False)]),
    "dy-grid": DouyinUser("MS4wLjABAAAA-grid", "平安宝鸡", custom_verify=VERIFIED, mode="grid-only",
                          posts=[(ago(4), False), (ago(11), False)]),
    "dy-refused": DouyinUser("MS4wLjABAAAA-refused", "平安宝鸡", custom_verify=VERIFIED, mode="refused",
                             posts=[(ago(1), False)]),
    "dy-no-profile": DouyinUser("MS4wLjABAAAA-noprofile", "平安宝鸡", custom_verify=VERIFIED, mode="profile-refused",
                                posts=[(ago(1), False)]),
}
BILIBILI = {
    "bl-active": BilibiliUser("3546000001", "平安宝鸡", VERIFIED, 6, videos=[ago(1), ago(8), ago(13)]),
    "bl-idle": BilibiliUser("3546000002", "平安宝鸡", VERIFIED, 6, videos=[ago(20), ago(61)]),
    "bl-pinned": BilibiliUser("3546000003", "平安宝鸡", VERIFIED, 6, videos=[ago(3), ago(10)], pinned=ago(500)),
    "bl-renamed": BilibiliUser("3546000004", "宝鸡日报", "宝鸡日报社官方账号", 5, videos=[ago(2)]),
    "bl-captcha": BilibiliUser("3546000005", "平安宝鸡", VERIFIED, 6, videos=[ago(1)], mode="captcha"),
    "bl-risk": BilibiliUser("3546000006", "平安宝鸡", VERIFIED, 6, videos=[ago(1)], mode="risk"),
    "bl-412": BilibiliUser("3546000007", "平安宝鸡", VERIFIED, 6, videos=[ago(1)], mode="412"),
    "bl-by-id": BilibiliUser("3546000008", "平安宝鸡", VERIFIED, 6, videos=[ago(5)]),
}


@pytest.fixture(scope="module")
def sites(emulator: Emulator) -> tuple[DouyinSite, BilibiliSite, list[Account]]:
    douyin, bilibili = DouyinSite(emulator), BilibiliSite(emulator)
    accounts = [web(account_id, urls=[douyin.add(emulator, user)]) for account_id, user in DOUYIN.items()]
    for account_id, user in BILIBILI.items():
        url = bilibili.add(emulator, user)
        accounts.append(web(account_id, ids={"bilibili": user.mid}) if account_id == "bl-by-id" else web(account_id, urls=[url]))
    douyin.search("baojijingfang", [DOUYIN["dy-active"]])  # the 用户 tab lists the filed 抖音号
    accounts.append(web("dy-id-only", ids={"douyin": "baojijingfang"}))
    return douyin, bilibili, accounts


@pytest.fixture(scope="module")
def recorded(emulator: Emulator, sites, tmp_path_factory) -> tuple[dict[str, Any], Path]:
    return recorded_run(emulator, sites[2], tmp_path_factory.mktemp("video-live"), AS_OF)


@pytest.fixture(scope="module")
def audited(recorded) -> dict[str, Any]:
    return recorded[0]


def test_active_accounts_pass_with_name_verification_and_newest_post(audited):
    douyin, bilibili = audited["dy-active"], audited["bl-active"]
    assert douyin.judgement.verdict == "pass", codes(douyin)
    assert douyin.observation.name == "平安宝鸡" and douyin.observation.certification == VERIFIED
    assert douyin.observation.newest_post_at == ago(2) and douyin.observation.newest_post_lists_newest
    assert "/aweme/v1/web/aweme/post/" in douyin.observation.newest_post_source
    assert bilibili.judgement.verdict == "pass", codes(bilibili)
    assert bilibili.observation.certification == f"{VERIFIED}（政府认证）"
    assert bilibili.observation.newest_post_at == ago(1)
    assert audited["bl-by-id"].judgement.verdict == "pass"  # filed by its mid alone
    # Left to staff: the interaction only; a video account has nothing to download.
    assert douyin.observation.not_checked == bilibili.observation.not_checked == ["interaction"]


def test_the_screenshot_shows_the_rendered_profile_and_the_json_is_kept_beside(audited):
    for account_id, label, shown in (("dy-active", "douyin-profile", "平安宝鸡的抖音"),
                                     ("bl-active", "bilibili-space", "平安宝鸡的个人空间")):
        evidence = audited[account_id].observation.evidence
        assert Path(evidence[0]).name.endswith(f"{label}.jpg"), evidence  # the readable one first
        assert Path(evidence[0]).stat().st_size > 3000
        kinds = [Path(path).name for path in evidence]
        assert any(".loaded-" in name and name.endswith(".json") and "response" not in name for name in kinds)
        page = next(s for s in audited[account_id].observation.sources if s.kind == label)
        assert page.outcome == "ok"
    # the captured JSON is the API's own answer, as the page received it
    answer = next(p for p in audited["dy-active"].observation.evidence if ".loaded-" in p and "response" not in p
                  and "aweme_list" in Path(p).read_text())
    assert json.loads(Path(answer).read_text())["status_code"] == 0


def test_idle_accounts_fail_on_stale_14d(audited):
    for account_id in ("dy-idle", "bl-idle"):
        item = audited[account_id]
        assert item.judgement.verdict == "fail" and "stale-14d" in codes(item), codes(item)
    assert audited["dy-idle"].observation.certification == VERIFIED  # enterprise_verify_reason


def test_an_old_pinned_post_does_not_hide_a_fresh_one(audited):
    for account_id, pinned, newest in (("dy-pinned", ago(420), ago(1)), ("bl-pinned", ago(500), ago(3))):
        item = audited[account_id]
        assert item.judgement.verdict == "pass", codes(item)
        assert item.observation.pinned_post_at == pinned and item.observation.newest_post_at == newest
        # the pinned post stands outside the run of posts: no 400-day gap
        assert item.judgement.longest_gap_days is not None and item.judgement.longest_gap_days < 14


def test_renamed_or_reverified_accounts_are_flagged(audited):
    douyin, bilibili = audited["dy-renamed"], audited["bl-renamed"]
    assert {"name-mismatch", "certification-mismatch"} <= set(codes(douyin))
    assert douyin.observation.certification == "宝鸡市交通运输局"
    assert {"name-mismatch", "certification-mismatch"} <= set(codes(bilibili))
    assert bilibili.observation.certification == "宝鸡日报社官方账号（媒体认证）"


@pytest.mark.parametrize("account_id, says", [
    ("dy-captcha", "验证码中间页"),
    ("dy-refused", "抖音未向页面返回作品列表（HTTP 200，空响应）"),
    ("bl-captcha", "验证码_哔哩哔哩"),
    ("bl-risk", "code -352，风控校验失败"),
    ("bl-412", "HTTP 412"),
])
def test_walls_are_for_review_with_the_screenshot_never_idle(audited, account_id, says):
    item = audited[account_id]
    assert item.judgement.verdict == "review", codes(item)
    assert codes(item) == ["blocked"], codes(item)
    finding = item.judgement.findings[0]
    assert says in finding.message
    assert any(path.endswith(".jpg") for path in finding.evidence)
    assert item.observation.newest_post_at is None


def test_the_rendered_grid_dates_posts_as_lower_bounds_when_the_post_call_is_absent(audited):
    item = audited["dy-grid"]
    assert item.judgement.verdict == "pass", codes(item)
    # aweme_id >> 32 is the upload time: 15 s before create_time here, as on a real sample
    assert item.observation.newest_post_at == ago(4) - timedelta(seconds=15)
    assert not item.observation.newest_post_lists_newest
    assert "按作品链接编号估算" in item.observation.newest_post_source
    assert any(path.endswith(".rendered.html") for path in item.observation.evidence)


def test_an_unread_profile_leaves_name_and_certification_unconfirmed_and_the_posts_decide(audited):
    """The profile call failed, the posts call proved a post yesterday: the update is proven, the
    name and certification (not vetoes) are 未能确认 with the profile's reason."""
    item = audited["dy-no-profile"]
    assert item.judgement.verdict == "pass" and codes(item) == ["unparsed"], codes(item)
    assert "未能读取抖音用户资料（HTTP 200，空响应）" in item.judgement.findings[0].message
    assert item.observation.name is None and item.observation.newest_post_at == ago(1)
    states = {name: result.state for name, result in item.judgement.indicators.items()}
    assert states["update"] == "pass"
    assert states["name"] == states["certification"] == "unconfirmed"
    assert "未能读取抖音用户资料" in item.judgement.indicators["name"].reasons[0]


def test_an_id_without_a_profile_link_is_found_through_the_user_search(audited):
    item = audited["dy-id-only"]
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.identified_by.startswith("抖音用户搜索“baojijingfang”：平安宝鸡（抖音号 baojijingfang")
    assert item.observation.newest_post_at == audited["dy-active"].observation.newest_post_at


def test_the_api_refuses_calls_without_the_pages_token_and_nmaudit_made_none(emulator, sites, audited):
    douyin, bilibili, _ = sites
    assert douyin.refused_calls == 0 and bilibili.refused_calls == 0  # every call came from the page
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for host, path in (("www.douyin.com", "/aweme/v1/web/aweme/post/?sec_user_id=MS4wLjABAAAA-active&max_cursor=0"),
                       ("api.bilibili.com", "/x/space/wbi/arc/search?mid=3546000001&order=pubdate")):
        request = urllib.request.Request(f"https://127.0.0.1:{emulator.port}{path}", headers={"Host": host})
        with urllib.request.urlopen(request, context=context) as answer:
            body = answer.read()
        assert body == b"" if host == "www.douyin.com" else json.loads(body)["code"] == -352
    assert douyin.refused_calls == 1 and bilibili.refused_calls == 1
    douyin.refused_calls = bilibili.refused_calls = 0


def test_replay_gives_the_same_verdicts_without_asking_the_sites(emulator, sites, recorded, tmp_path):
    live, har = recorded
    replayed = replayed_alike(emulator, sites[2], live, har, tmp_path,
                              ("www.douyin.com", "space.bilibili.com", "api.bilibili.com"), AS_OF)
    # a call the replayed page signed anew is the recorded call that answered it
    assert "wts=" in replayed["bl-active"].observation.newest_post_source


def test_coverage_shows_the_real_proof_level(sites):
    accounts = {account.id: account for account in sites[2]}
    assert account_coverage(accounts["dy-active"]).proof == "listed"
    assert account_coverage(accounts["bl-by-id"]).proof == "listed"
    assert account_coverage(accounts["dy-id-only"]).proof == "listed"  # through the user search


# -- pure parts, against the real captured answers ----------------------------------------------

@needs_real_pages
def test_upload_time_from_a_real_aweme_id():
    document = json.loads((REAL / "douyin-aweme-post-2023-someapi.json").read_text())
    aweme = document["aweme_list"][0]
    estimate = upload_time(aweme["aweme_id"])
    assert estimate is not None and 0 <= (from_unix(aweme["create_time"]) - estimate).total_seconds() <= 60
    assert upload_time("12345") is None


@needs_real_pages
def test_official_titles_and_roles_from_real_answers():
    founder = json.loads((REAL / "bilibili-acc-info-mid2-apicollect-doc.json").read_text())["data"]
    assert official(founder) == "bilibili创始人（站长）（大V达人认证）"
    assert official({"official": {"role": 6, "title": "宝鸡市公安局官方账号", "type": 1}}) == "宝鸡市公安局官方账号（政府认证）"
    assert official({"official": {"role": 0, "title": "", "type": -1}}) == ""


def test_space_urls_from_links_and_ids():
    account = web("x", urls=["https://space.bilibili.com/46452693/video?tid=0", "https://m.bilibili.com/space/2"])
    assert space_urls(account) == ["https://space.bilibili.com/46452693", "https://space.bilibili.com/2"]
    assert space_urls(web("y", ids={"bilibili": "946974"})) == ["https://space.bilibili.com/946974"]


def test_only_douyin_s_own_hosts_are_douyin_links():
    from nmaudit.platforms.douyin import douyin_urls

    account = web("dy-hosts", urls=["https://www.douyin.com/user/MS4wLjABAAAA-x", "https://notdouyin.com/user/x",
                                    "https://www.iesdouyin.com/share/user/123", "https://douyin.com.example.org/u"])
    assert douyin_urls(account) == ["https://www.douyin.com/user/MS4wLjABAAAA-x", "https://www.iesdouyin.com/share/user/123"]
