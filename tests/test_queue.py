"""The queue of what needs a person (人工核查): urgency, the links that open an account in its
app, what a person saw judged by the normal rules, uploads made safe, and a queue of ten
待复核 accounts of several platforms worked through in headless Chromium."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import zxingcpp
from PIL import Image, PngImagePlugin
from werkzeug.serving import make_server

from nmaudit.applinks import app_links
from nmaudit.dates import BEIJING
from nmaudit.errors import ReviewError, UploadError
from nmaudit.models import Account, AccountResult, Observation, Policy, RunInfo, RunResult, SeenText, SourceRecord
from nmaudit.queue import queue
from nmaudit.review import apply_reviews, new_review
from nmaudit.rules import judge
from nmaudit.snapshots import AccountEvidence
from nmaudit.store import Store
from nmaudit.uploads import MAX_BYTES, clean_screenshot
from nmaudit.webapp import create_app
from tests.conftest import by_id, codes

AS_OF = datetime(2026, 11, 21, 10, tzinfo=BEIJING)
AT = datetime(2026, 11, 23, 9, 30, tzinfo=BEIJING)
RUN = "2026-11-21-night"

BIZ_SOGOU = "MzA5NjA3MTY0Mg=="
BIZ_FILED = "MzI0NTYxMjM0NQ=="
SOGOU = "https://weixin.sogou.com/weixin?type=1&query=%E8%A5%BF%E5%AE%89%E5%8F%91%E5%B8%83"


def days_ago(days: int) -> datetime:
    return AS_OF - timedelta(days=days)


def blocked(observation: Observation, kind: str, url: str, message: str, code: str = "blocked",
            indicators: tuple[str, ...] = ()) -> Observation:
    """A source that could not see, as the adapters record one."""
    evidence = f"{kind}.jpg"
    observation.sources.append(SourceRecord(kind=kind, url=url, outcome="blocked" if code == "blocked" else "unreachable",
                                            evidence=[evidence]))
    observation.add_signal(code, message, [evidence], indicators)
    return observation


def observed(account_id: str, platform: str, checks: list[str], **fields: Any) -> Observation:
    return Observation(account_id=account_id, platform=platform, started_at=AS_OF, checks=checks, **fields)


def ten_accounts() -> list[tuple[Account, Observation]]:
    """Ten accounts the machine left 待复核, of five kinds of platform, as their adapters record them."""
    pairs = []
    sogou = observed("wx-sogou", "wechat", ["update", "name", "certification"], not_checked=["interaction"],
                     name="西安发布", certification="西安市人民政府新闻办公室", name_source=SOGOU,
                     newest_post_at=days_ago(20), newest_post_source=SOGOU, newest_post_lists_newest=False,
                     sources=[SourceRecord(kind="sogou-search", url=SOGOU, evidence=["sogou.jpg"])],
                     texts=[SeenText(kind="wechat-article", text="…", source=SOGOU,
                                     url=f"https://mp.weixin.qq.com/s?__biz={BIZ_SOGOU}&mid=2650000001&idx=1&sn=ab")])
    pairs.append((Account(id="wx-sogou", name="西安发布", platform="wechat", owner="西安市人民政府新闻办公室",
                          certified_as="西安市人民政府新闻办公室", region="西安市"), sogou))
    filed = f"https://mp.weixin.qq.com/s?__biz={BIZ_FILED}&mid=2247483650&idx=1&sn=cd"
    pairs.append((Account(id="wx-walled", name="碑林发布", platform="wechat", owner="碑林区政府", region="碑林区",
                          urls=[filed]),
                   blocked(observed("wx-walled", "wechat", ["update", "name"], not_checked=["interaction"]),
                           "wechat-article", filed, "环境异常：当前环境异常，完成验证后即可继续访问")))
    for account_id, uid, name in (("wb-wall", "3800000002", "西安文旅"), ("wb-wall-2", "3800000003", "雁塔文旅")):
        pairs.append((Account(id=account_id, name=name, platform="weibo", owner=f"{name}局", region="西安市",
                              urls=[f"https://weibo.com/u/{uid}"]),
                      blocked(observed(account_id, "weibo", ["update", "name", "certification"]), "weibo-userinfo",
                              f"https://m.weibo.cn/api/container/getIndex?type=uid&value={uid}", "被引导至访客验证页面")))
    pairs.append((Account(id="wb-empty", name="未央发布", platform="weibo", owner="未央区政府", region="未央区",
                          ids={"uid": "3800000004"}),
                   blocked(observed("wb-empty", "weibo", ["update", "name", "certification"], name="未央发布"),
                           "weibo-posts", "https://m.weibo.cn/api/container/getIndex?type=uid&value=3800000004",
                           "微博列表为空（这里还没有内容）：可能需要登录", code="unparsed", indicators=("update",))))
    pairs.append((Account(id="app-ios", name="i西安", platform="app", owner="西安市大数据局", region="西安市",
                          ids={"appstore_id": "1234567890"}),
                   blocked(observed("app-ios", "app", ["availability", "name"], not_checked=["update"]),
                           "appstore-lookup", "https://itunes.apple.com/lookup?id=1234567890&country=cn",
                           "App Store 查询超时", code="unreachable")))
    pairs.append((Account(id="app-yyb", name="长安通", platform="app", owner="长安区政府", region="长安区",
                          ids={"package": "cn.gov.changan.app"}),
                   blocked(observed("app-yyb", "app", ["availability", "name"], not_checked=["update"]),
                           "app-yyb", "https://sj.qq.com/appdetail/cn.gov.changan.app", "应用宝要求完成验证")))
    douyin = "https://www.douyin.com/user/MS4wLjABAAAAx1an_fabu"
    pairs.append((Account(id="dy", name="西安发布抖音", platform="web", owner="西安市委网信办", region="西安市", urls=[douyin]),
                   blocked(observed("dy", "web", ["update", "name"]), "douyin-profile", douyin, "抖音要求完成验证码")))
    xhs = "https://www.xiaohongshu.com/user/profile/5f1e2d3c4b5a697887766554"
    xiaohongshu = observed("xhs", "web", ["update", "name"], name="西安文旅小红书", name_source=xhs,
                           sources=[SourceRecord(kind="xiaohongshu-profile", url=xhs, evidence=["xhs.jpg"])])
    xiaohongshu.add_signal("update-unverified", "小红书不向访客显示发布时间：需登录查看", ["xhs.jpg"], ("update",))
    pairs.append((Account(id="xhs", name="西安文旅小红书", platform="web", owner="西安市文化和旅游局", region="西安市",
                          urls=[xhs]), xiaohongshu))
    space = "https://space.bilibili.com/946974"
    pairs.append((Account(id="bili", name="西安发布B站", platform="web", owner="西安市委网信办", region="西安市",
                          certified_as="西安市委网信办", urls=[space]),
                   blocked(observed("bili", "web", ["update", "name", "certification"]), "bilibili-space",
                           "https://api.bilibili.com/x/space/wbi/acc/info?mid=946974", "哔哩哔哩拒绝访问（-412）")))
    return pairs


def store_run(folder: Path, pairs: list[tuple[Account, Observation]]) -> Path:
    """The ten accounts' run, stored as an audit stores it: observations judged by the real rules,
    a screenshot per page kept in the evidence folder and recorded."""
    db = folder / "nmaudit.db"
    store = Store(db)
    accounts = [account.model_copy(update={"line": position + 1}) for position, (account, _) in enumerate(pairs)]
    store.start_run(RunInfo(id=RUN, as_of=AS_OF, registry="xian.yaml", started_at=AS_OF), accounts,
                    registry_sha256="test", tool_version="test", browser="test",
                    options={"snapshots": str(folder / "snapshots")})
    for account, observation in pairs:
        evidence = AccountEvidence(folder / "snapshots", RUN, account.id)
        renamed = {}
        for source in observation.sources:
            shot = io.BytesIO()
            Image.new("RGB", (64, 48), (230, 230, 230)).save(shot, "JPEG")
            for path in source.evidence:
                renamed[path] = evidence.save(f"{evidence.next_stem(source.kind)}.jpg", shot.getvalue(), "screenshot")
        observation = observation.model_copy(deep=True)
        for source in observation.sources:
            source.evidence = [renamed.get(path, path) for path in source.evidence]
        for signal in observation.signals:
            signal.evidence = [renamed.get(path, path) for path in signal.evidence]
        observation.evidence = list(renamed.values())
        evidence.sync()
        store.save_account(RUN, observation, judge(account, observation, AS_OF), evidence.files)
    store.finish_run(RUN, AS_OF)
    store.close()
    return db


# -- pure: the queue, the links, what a person saw -----------------------------------------------


def machine_run() -> RunResult:
    results = [AccountResult(account=account, observation=seen, judgement=judge(account, seen, AS_OF))
               for account, seen in ten_accounts()]
    return RunResult(run=RunInfo(id=RUN, as_of=AS_OF, registry="xian.yaml", started_at=AS_OF), results=results)


def test_ten_accounts_are_left_to_a_person_by_the_real_rules():
    run = machine_run()
    assert {item.account.id: item.judgement.verdict for item in run.results} == {
        item.account.id: "review" for item in run.results}


def test_the_queue_puts_what_could_be_past_14_days_first():
    items = queue(machine_run())
    order = [item.account.id for item in items]
    urgent = [item.account.id for item in items if item.urgent]
    # No post proven at all first (registry order), then the oldest lower bound; then what cannot be late.
    assert urgent == ["wx-walled", "wb-wall", "wb-wall-2", "wb-empty", "dy", "xhs", "bili", "wx-sogou"]
    assert order == urgent + ["app-ios", "app-yyb"]
    sogou = items[order.index("wx-sogou")]
    assert sogou.seen[0] == "搜狗显示最近发布 11月1日（仅证明此前有更新，不能证明此后未更新）"
    assert "内容更新未能确认（无法确认最新发布时间）" in sogou.missing
    assert "互动功能未检查（公开页面无法查看）" in sogou.missing
    walled = items[order.index("wx-walled")]
    assert walled.seen == ["机器未能读到该账号的任何内容"]
    assert any(line.startswith("账号状态、内容更新") or "访问受限" in line for line in walled.missing)


EXPECTED_LINKS = {
    "wx-sogou": f"https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz={BIZ_SOGOU.replace('=', '%3D')}#wechat_redirect",
    "wx-walled": f"https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz={BIZ_FILED.replace('=', '%3D')}#wechat_redirect",
    "wb-wall": "https://m.weibo.cn/u/3800000002",
    "wb-wall-2": "https://m.weibo.cn/u/3800000003",
    "wb-empty": "https://m.weibo.cn/u/3800000004",
    "app-ios": "https://apps.apple.com/cn/app/id1234567890",
    "app-yyb": "https://sj.qq.com/appdetail/cn.gov.changan.app",
    "dy": "https://www.douyin.com/user/MS4wLjABAAAAx1an_fabu",
    "xhs": "https://www.xiaohongshu.com/user/profile/5f1e2d3c4b5a697887766554",
    "bili": "https://space.bilibili.com/946974",
}


def test_each_account_has_the_link_that_opens_it_in_its_app():
    for item in machine_run().results:
        assert [link.url for link in app_links(item.account, item.observation)] == [EXPECTED_LINKS[item.account.id]]
    sogou = next(item for item in machine_run().results if item.account.id == "wx-sogou")
    assert app_links(sogou.account, sogou.observation)[0].how == "本次读到的文章链接中的 __biz"


def test_a_wechat_account_without_any_biz_is_searched_for_by_its_id():
    from nmaudit.applinks import search_hint

    account = Account(id="wx", name="西安发布", platform="wechat", owner="西安市", ids={"wechat_id": "xafabu"})
    assert app_links(account, observed("wx", "wechat", ["update"])) == []
    assert search_hint(account).startswith("在微信中搜索微信号 xafabu")


def result_of(account_id: str) -> AccountResult:
    return next(item for item in machine_run().results if item.account.id == account_id)


def seen(result: AccountResult, **fields: Any):
    return new_review(result, run_id=RUN, action="observe", reviewer="张三", reason="", at=AT, **fields)


@pytest.mark.parametrize("days, verdict, finding", [(20, "fail", "stale-14d"), (10, "pass", "stale-7d"), (2, "pass", None)])
def test_a_newest_post_a_person_saw_is_judged_like_a_listing(days, verdict, finding):
    result = result_of("wx-walled")
    reviewed = apply_reviews(result, [seen(result, post_date=days_ago(days).date().isoformat(), post_time="08:15")], [])
    assert reviewed.judgement.verdict == verdict and reviewed.judgement.idle_days == days
    assert (finding in codes(reviewed)) if finding else not [c for c in codes(reviewed) if c.startswith("stale")]
    assert reviewed.observation.newest_post_source == "人工核查（张三，2026-11-23 09:30）"
    assert reviewed.judgement.indicators["update"].sources == ["人工核查（张三，2026-11-23 09:30）"]
    assert reviewed.judgement.indicators["account"].state == "pass"
    # The machine's wall stays on record, weighing nothing where the person proved what it hid.
    assert "blocked" in codes(reviewed) and reviewed.machine_judgement.verdict == "review"


def test_interaction_absent_is_no_interaction_and_present_proves_it():
    result = result_of("wb-empty")
    absent = apply_reviews(result, [seen(result, interaction="no")], [])
    assert absent.judgement.verdict == "fail" and "no-interaction" in codes(absent)
    assert absent.judgement.indicators["interaction"].state == "fail"
    later = apply_reviews(result, [seen(result, interaction="no"), seen(result, interaction="yes",
                                                                     post_date=days_ago(1).date().isoformat())], [])
    assert later.judgement.verdict == "pass" and later.judgement.indicators["interaction"].state == "pass"
    assert later.judgement.indicators["interaction"].reasons[0].startswith("有留言、评论等互动功能")


def test_a_certification_a_person_read_is_compared_as_the_adapters_do():
    result = result_of("bili")
    differs = apply_reviews(result, [seen(result, certification="西安某某文化传媒有限公司",
                                          post_date=days_ago(3).date().isoformat())], [])
    assert differs.judgement.verdict == "pass" and "certification-mismatch" in codes(differs)
    same = apply_reviews(result, [seen(result, certification="西安市委网信办官方账号")], [])
    assert same.judgement.indicators["certification"].state == "pass"
    uncertified = apply_reviews(result, [seen(result, certification="未认证")], [])
    assert "未见认证信息" in uncertified.judgement.indicators["certification"].reasons[0]


def test_an_app_a_person_could_or_could_not_install():
    ios, yyb = result_of("app-ios"), result_of("app-yyb")
    assert apply_reviews(ios, [seen(ios, available="yes")], []).judgement.verdict == "pass"
    refused = apply_reviews(yyb, [seen(yyb, available="no")], [])
    assert refused.judgement.verdict == "fail" and codes(refused)[-1] == "app-unavailable"


def test_a_confirm_drops_what_was_seen_before_and_an_overrule_sets_the_verdict():
    result = result_of("dy")
    saw = seen(result, post_date=days_ago(30).date().isoformat())
    confirm = new_review(result, run_id=RUN, action="confirm", reviewer="李四", reason="", at=AT)
    assert apply_reviews(result, [saw, confirm], []).judgement == result.judgement
    overrule = new_review(result, run_id=RUN, action="overrule", reviewer="李四", reason="误判", at=AT, verdict="pass")
    assert apply_reviews(result, [saw, overrule], []).judgement.verdict == "pass"


@pytest.mark.parametrize("fields, problem", [
    ({}, "请至少填写一项所见"),
    ({"post_date": "2026-11-22"}, "日期不能晚于它"),
    ({"post_date": "2026-11-21", "post_time": "10:30"}, "时间不能晚于它"),
    ({"post_time": "10:30"}, "请同时填写日期"),
    ({"post_date": "2026-11-20", "post_time": "25:99"}, "时:分"),
    ({"interaction": "maybe"}, "互动功能请选择"),
])
def test_what_a_person_saw_is_checked(fields, problem):
    with pytest.raises(ReviewError, match=problem):
        seen(result_of("dy"), **fields)


# -- uploads ---------------------------------------------------------------------------------------


def png(size=(120, 80), **info: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG", **info)
    return out.getvalue()


def test_a_screenshot_is_re_encoded_without_its_metadata_or_what_was_appended():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "<script>alert('meta')</script>")
    exif = Image.Exif()
    exif[0x010E] = "<script>alert('exif')</script>"  # ImageDescription
    jpeg = io.BytesIO()
    Image.new("RGB", (90, 60), (200, 10, 10)).save(jpeg, "JPEG", exif=exif.tobytes())
    for hostile in (png(pnginfo=text), jpeg.getvalue(), png() + b"PK\x03\x04<html><script>alert(1)</script>"):
        clean = clean_screenshot(hostile)
        assert b"script" not in clean.data and b"PK\x03\x04" not in clean.data
        with Image.open(io.BytesIO(clean.data)) as again:
            assert not again.info.get("Comment") and not again.getexif()
            assert again.size in ((120, 80), (90, 60))


@pytest.mark.parametrize("data, problem", [
    (b"", "为空"),
    (b"<html><script>alert(1)</script></html>", "不是可以识别的图片"),
    (b"GIF89a" + b"\x00" * 20 + b"<script>", "不是可以识别的图片"),
    (png()[:60], "损坏"),
    (b"\x89PNG" + b"\x00" * (MAX_BYTES + 1), "过大"),
])
def test_what_is_not_a_screenshot_is_refused(data, problem):
    with pytest.raises(UploadError, match=problem):
        clean_screenshot(data)


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded():
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")  # a few KB, 400 million pixels
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(UploadError, match="过大"):
        clean_screenshot(bomb.getvalue())


# -- the queue worked through in headless Chromium --------------------------------------------------


class Served:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Iterator[tuple[Path, Served]]:
    folder = tmp_path_factory.mktemp("queue")
    db = store_run(folder, ten_accounts())
    served = Served(create_app(str(db)))
    yield folder, served
    served.server.shutdown()


def qr_link(page, account_id: str) -> str:
    """The QR code as the browser drew it, decoded."""
    image = page.locator(f"#q-{account_id} figure.qr img").first
    image.scroll_into_view_if_needed()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    return decoded.text


def current(page) -> str:
    return page.locator(".queue-item.current").get_attribute("data-account")


@pytest.mark.browser
def test_a_person_works_through_ten_accounts(night, page, tmp_path):
    folder, served = night
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{served.url}/runs/{RUN}")
    page.click("text=用手机逐个核查")
    assert page.locator(".queue-item").count() == 10
    order = page.locator(".queue-item").evaluate_all("items => items.map(item => item.dataset.account)")
    assert order[:2] == ["wx-walled", "wb-wall"] and order[-2:] == ["app-ios", "app-yyb"]
    assert "搜狗显示最近发布 11月1日" in page.locator("#q-wx-sogou").inner_text()
    for account_id in order:
        assert qr_link(page, account_id) == EXPECTED_LINKS[account_id], account_id
        assert page.locator(f"#q-{account_id} a.applink").first.inner_text() == EXPECTED_LINKS[account_id]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.locator("#q-wx-walled input[name=reviewer]").fill("张三")  # once a night: then remembered
    page.keyboard.press("Escape")  # leaves the field: keys move and answer again

    shot = png((390, 844), pnginfo=_hostile_text())
    upload = tmp_path / "phone.png"
    upload.write_bytes(shot)
    dates = {"wx-walled": 2, "dy": 1, "xhs": 30, "bili": 3}
    names = {"wx-walled": "碑林发布", "dy": "西安发布抖音", "xhs": "西安文旅小红书", "bili": "西安发布B站",
             "wb-empty": "未央发布", "app-ios": "i西安", "app-yyb": "长安通", "wx-sogou": "西安发布"}
    actions: dict[str, int] = {}

    def act(account_id: str, action, *args) -> None:
        actions[account_id] = actions.get(account_id, 0) + 1
        action(*args)

    # The queue in its own order: each account answered where the queue stands, in at most three
    # actions; the two Weibo accounts behind the same wall ticked (x) and answered at once.
    ticked = []
    while page.locator(".queue-item").count():
        account_id = current(page)
        if account_id in ("wb-wall", "wb-wall-2"):
            act(account_id, page.keyboard.press, "x")
            act(account_id, page.keyboard.press, "j")
            ticked.append(account_id)
            if len(ticked) == 2:
                page.fill("#bulk input[name=post_date]", days_ago(1).date().isoformat())
                page.click("#bulk button.bulk-save")
                assert "批量记录 2 个账号" in page.locator(".flash").inner_text()
            continue
        if account_id == "wx-sogou":  # a screenshot too: by hand, as on a phone
            card = page.locator("#q-wx-sogou")
            act(account_id, card.locator("input[name=post_date]").fill, days_ago(20).date().isoformat())
            act(account_id, card.locator("input[name=screenshot]").set_input_files, str(upload))
            act(account_id, card.locator("button.save").click)
            assert "截图已保存" in page.locator(".flash").inner_text()
        else:
            if account_id in dates:
                act(account_id, page.keyboard.press, "d")
                act(account_id, page.keyboard.type, days_ago(dates[account_id]).strftime("%m%d%Y"))  # a date field takes digits
            else:
                act(account_id, page.keyboard.press, {"wb-empty": "Alt+n", "app-ios": "Alt+u", "app-yyb": "Alt+i"}[account_id])
            act(account_id, page.keyboard.press, "Alt+s")
        page.wait_for_selector(f".flash:has-text('{names[account_id]}'), .error")
        assert page.locator(".error").count() == 0, page.locator(".error").all_inner_texts()
        assert page.locator(f"#q-{account_id}").count() == 0  # settled: gone from the queue
    assert sorted(actions) == sorted(order) and max(actions.values()) <= 3, actions
    assert "已由人工核查或复核处理 10 个" in page.locator("#queue-count").inner_text()

    stored = by_id(Store(folder / "nmaudit.db").load_run(RUN))
    assert {key: item.judgement.verdict for key, item in stored.items()} == {
        "wx-sogou": "fail", "wx-walled": "pass", "wb-wall": "pass", "wb-wall-2": "pass", "wb-empty": "fail",
        "app-ios": "pass", "app-yyb": "fail", "dy": "pass", "xhs": "fail", "bili": "pass"}
    assert all(item.machine_judgement.verdict == "review" for item in stored.values())
    sogou = stored["wx-sogou"]
    assert "stale-14d" in codes(sogou) and sogou.review.screenshot_sha256
    kept = Path(sogou.review.screenshot)
    assert kept.parent == folder / "snapshots" / RUN / "wx-sogou"
    assert b"script" not in kept.read_bytes() and kept.read_bytes() != shot
    with sqlite3.connect(folder / "nmaudit.db") as db:
        assert db.execute("select kind, sha256 from evidence where path = ?", [str(kept)]).fetchone() == (
            "manual", sogou.review.screenshot_sha256)

    # The account page shows the person's source and their screenshot, served as the cleaned image.
    page.goto(f"{served.url}/runs/{RUN}/accounts/wx-sogou")
    assert "人工核查（张三" in page.locator("#indicator-update").inner_text()
    assert page.locator("#verdict").inner_text() == "不合格"
    image = page.request.get(served.url + page.locator(".manual-shot img").get_attribute("src"))
    assert image.headers["content-type"] == "image/png" and image.body() == kept.read_bytes()

    db = str(folder / "nmaudit.db")
    notice = subprocess.run([sys.executable, "-m", "nmaudit", "report", RUN, "--db", db, "--format", "md"],
                            capture_output=True, text=True, check=True).stdout
    assert "其中合格6个、不合格4个、待复核0个" in notice
    assert "其中机器检查判定0个；人工核查（在应用中查看）判定10个：合格6个、不合格4个、待复核0个" in notice
    assert "人工核查（在应用中查看所见）" in notice
    assert f"| 西安发布 | 微信 | 待复核 | 不合格 | 最新发布 2026-11-01 | 张三 | {sogou.review.screenshot_sha256} |" in notice
    assert "内容更新：2周内未更新（依据人工核查（张三，" in notice
    assert "人工核查截图 manual-" in notice
    html = subprocess.run([sys.executable, "-m", "nmaudit", "report", RUN, "--db", db, "--format", "html"],
                          capture_output=True, text=True, check=True).stdout
    assert 'id="manual-table"' in html and sogou.review.screenshot_sha256 in html
    workbook = folder / "notice.xlsx"
    subprocess.run([sys.executable, "-m", "nmaudit", "report", RUN, "--db", db, "--format", "xlsx", "-o", str(workbook)],
                   capture_output=True, text=True, check=True)
    from openpyxl import load_workbook

    sheet = load_workbook(workbook)["人工核查"]
    assert len(list(sheet.iter_rows(min_row=2, values_only=True))) == 10
    history = subprocess.run([sys.executable, "-m", "nmaudit", "history", "wx-sogou", "--db", db, "--format", "json"],
                             capture_output=True, text=True, check=True).stdout
    [row] = json.loads(history)["runs"]
    assert (row["verdict"], row["machine_verdict"], row["decided_by"], row["reviewer"]) == ("fail", "review", "person", "张三")
    assert row["newest_post_at"].startswith("2026-11-01")
    table = subprocess.run([sys.executable, "-m", "nmaudit", "history", "wx-sogou", "--db", db],
                           capture_output=True, text=True, check=True, env=dict(os.environ, COLUMNS="200", NO_COLOR="1")).stdout
    assert "人工核查：张三" in table and "机器判定 0 次，人工核查判定 1 次" in table


def _hostile_text() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "<script>alert('kept?')</script>")
    return info


@pytest.fixture()
def fresh(tmp_path) -> Iterator[tuple[Path, Served]]:
    """The ten accounts' run, untouched; one filed link as long as real ones get."""
    pairs = ten_accounts()
    account, observation = pairs[1]
    long_link = account.urls[0] + "&chksm=" + "ab12cd34" * 24 + "&scene=27#wechat_redirect"
    pairs[1] = (account.model_copy(update={"urls": [long_link]}), observation)
    db = store_run(tmp_path, pairs)
    served = Served(create_app(str(db)))
    yield tmp_path, served
    served.server.shutdown()


def hostile_uploads(folder: Path) -> dict[str, bytes]:
    exif = Image.Exif()
    exif[0x010E] = "<script>alert('exif')</script>"
    tagged = io.BytesIO()
    Image.new("RGB", (300, 600), (30, 60, 90)).save(tagged, "JPEG", exif=exif.tobytes(),
                                                     comment=b"<script>alert('comment')</script>")
    return {
        "html.png": b"<!doctype html><script>alert('page')</script>",
        "tagged.jpg": tagged.getvalue(),
        "polyglot.png": png((200, 400)) + b"<html><script>alert('appended')</script></html>",
        "large.png": b"\x89PNG\r\n\x1a\n" + os.urandom(MAX_BYTES + 1024),
        "huge.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * 1024 * 1024),
    }


@pytest.mark.browser
def test_hostile_uploads_are_refused_or_cleaned_and_nothing_is_served_raw(fresh, page):
    folder, served = fresh
    uploads = hostile_uploads(folder)
    page.goto(f"{served.url}/runs/{RUN}/queue")
    token = page.locator("#q-dy input[name=csrf_token]").input_value()
    target = f"{served.url}/runs/{RUN}/accounts/dy/observe"

    def send(name: str):
        return page.request.post(target, multipart={
            "csrf_token": token, "back": "queue", "account": "dy", "reviewer": "张三", "post_date": "2026-11-20",
            "screenshot": {"name": name, "mimeType": "image/png", "buffer": uploads[name]}}, max_redirects=0)

    assert send("huge.png").status == 413  # refused whole, before it is read
    refused = send("large.png")
    assert refused.status == 400 and "截图文件过大" in refused.text()
    refused = send("html.png")
    assert refused.status == 400 and "不是可以识别的图片" in refused.text()
    assert Store(folder / "nmaudit.db").reviews(RUN, "dy") == []  # a refused upload decides nothing

    for name in ("tagged.jpg", "polyglot.png"):
        assert send(name).status == 303
    kept = [review.screenshot for review in Store(folder / "nmaudit.db").reviews(RUN, "dy")]
    assert len(kept) == 2 and all(Path(path).is_file() for path in kept)
    page.goto(f"{served.url}/runs/{RUN}/accounts/dy")
    sources = page.locator(".manual-shot img").evaluate_all("images => images.map(image => image.getAttribute('src'))")
    assert len(sources) == 2
    for source, path in zip(sources, kept):
        answer = page.request.get(served.url + source)
        body = answer.body()
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-type"] in ("image/png", "image/jpeg") and body == Path(path).read_bytes()
        assert b"script" not in body and b"<html" not in body
        with Image.open(io.BytesIO(body)) as image:
            assert not image.getexif() and "comment" not in image.info
    with sqlite3.connect(folder / "nmaudit.db") as db:
        recorded = dict(db.execute("select path, sha256 from evidence where kind = 'manual'").fetchall())
    assert set(recorded) == set(kept)
    from nmaudit.history import verify_run

    assert verify_run(Store(folder / "nmaudit.db"), RUN).ok  # kept files are recorded evidence, intact


@pytest.mark.browser
def test_csrf_csp_and_host_checks_hold_for_the_queue(fresh, page):
    folder, served = fresh
    page.goto(f"{served.url}/runs/{RUN}/queue")  # a session exists: only the token is missing
    answer = page.request.get(f"{served.url}/runs/{RUN}/queue")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    qr = page.request.get(f"{served.url}/runs/{RUN}/accounts/dy/qr/0.png")
    assert qr.headers["content-type"] == "image/png" and "default-src 'none'" in qr.headers["content-security-policy"]
    assert page.request.get(f"{served.url}/runs/{RUN}/accounts/dy/qr/5.png").status == 404
    fields = {"reviewer": "攻击者", "post_date": "2026-11-01", "accounts": "dy"}
    assert page.request.post(f"{served.url}/runs/{RUN}/accounts/dy/observe", form=fields).status == 400
    assert page.request.post(f"{served.url}/runs/{RUN}/queue/bulk", form={**fields, "csrf_token": "guess"}).status == 400
    assert Store(folder / "nmaudit.db").reviews(RUN) == []
    client = create_app(str(folder / "nmaudit.db")).test_client()
    assert client.get(f"/runs/{RUN}/queue", headers={"Host": "rebound.example:8787"}).status_code == 400
    assert client.get(f"/runs/{RUN}/accounts/dy/qr/0.png", headers={"Host": "rebound.example"}).status_code == 400


@pytest.mark.browser
def test_a_bulk_answer_is_saved_for_all_or_none(fresh, page):
    folder, served = fresh
    page.goto(f"{served.url}/runs/{RUN}/queue")
    page.locator("#q-dy input[name=accounts]").check()
    page.locator("#q-xhs input[name=accounts]").check()
    page.fill("#bulk input[name=reviewer]", "王五")
    page.fill("#bulk input[name=post_date]", "2026-11-22")  # after the check time: refused for both
    page.eval_on_selector("#bulk input[name=post_date]", "field => field.removeAttribute('max')")
    page.fill("#bulk input[name=post_date]", "2026-11-22")
    page.click("#bulk button.bulk-save")
    assert "日期不能晚于它" in page.locator("#bulk .error").inner_text()
    assert Store(folder / "nmaudit.db").reviews(RUN) == []
    assert page.locator("input[name=accounts]:checked").count() == 2  # kept for another try
    assert page.input_value("#bulk input[name=reviewer]") == "王五"
    page.locator("#q-xhs").focus()
    page.keyboard.press("x")  # unticks the current account, then ticks it again
    assert page.locator("input[name=accounts]:checked").count() == 1
    page.keyboard.press("x")
    page.fill("#bulk input[name=post_date]", "")
    page.select_option("#bulk select[name=interaction]", "yes")
    page.click("#bulk button.bulk-save")
    assert "批量记录 2 个账号" in page.locator(".flash").inner_text()
    reviews = Store(folder / "nmaudit.db").reviews(RUN)
    assert sorted((r.account_id, r.interaction, r.reviewer) for r in reviews) == [("dy", True, "王五"), ("xhs", True, "王五")]
    # Interaction alone proves no post: both stay in the queue, with the interaction now met.
    assert page.locator("#q-dy, #q-xhs").count() == 2


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_the_screen_without_sideways_scrolling(fresh, page, width):
    _, served = fresh
    page.set_viewport_size({"width": width, "height": 900})
    for path in (f"/runs/{RUN}/queue", f"/runs/{RUN}/accounts/wx-walled", f"/runs/{RUN}"):
        page.goto(served.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
    page.goto(f"{served.url}/runs/{RUN}/accounts/wx-walled")
    assert page.locator("table.facts").evaluate("table => table.getBoundingClientRect().right") <= width


@pytest.mark.browser
def test_the_account_page_records_what_a_person_saw_and_old_decisions_still_work(fresh, page):
    folder, served = fresh
    page.goto(f"{served.url}/runs/{RUN}/accounts/wb-wall")
    assert qr_of(page, "#person figure.qr img") == EXPECTED_LINKS["wb-wall"]
    page.fill("#person input[name=reviewer]", "赵六")
    page.fill("#person input[name=post_date]", "2026-11-05")
    page.click("#person button.save")
    assert page.locator("#verdict").inner_text() == "不合格"
    assert "人工核查" in page.locator("section[aria-label=复核记录]").inner_text()
    assert "最新发布 2026-11-05 00:00" in page.locator("section[aria-label=复核记录]").inner_text()
    # The older decisions: an overrule after it sets the verdict; a confirm brings back the machine's.
    page.fill("textarea[name=reason]", "平台限制，另行核实")
    page.select_option("select[name=verdict]", "review")
    page.click("button[value=overrule]")
    assert page.locator("#verdict").inner_text() == "待复核"
    page.click("button[value=confirm]")
    assert page.locator("#verdict").inner_text() == "待复核" and "确认机器结论" in page.locator(".was").inner_text()
    assert [r.action for r in Store(folder / "nmaudit.db").reviews(RUN, "wb-wall")] == ["observe", "overrule", "confirm"]


def qr_of(page, selector: str) -> str:
    image = page.locator(selector).first
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    return decoded.text
