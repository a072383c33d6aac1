"""Staff review: decisions applied by the rules (pure), kept beside the machine's rows (store),
and the review page driven in headless Chromium (pytest-playwright's `page`)."""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from rich.console import Console
from werkzeug.serving import make_server

from nmaudit import output
from nmaudit.dates import BEIJING
from nmaudit.errors import ReviewError, StoreError, UsageError
from nmaudit.models import Account, AccountResult, Observation, Review, RunInfo, RunResult, SourceRecord
from nmaudit.review import apply_reviews, new_review
from nmaudit.rules import judge
from nmaudit.store import Store
from nmaudit.webapp import create_app
from nmaudit.webapp.views import listed
from tests.conftest import by_id, codes, run_audit, weibo_account
from tests.weibo_site import VISITOR_WALL, Post, WeiboAccount, WeiboSite, days_before, posts_at, weibo_time

AS_OF = datetime(2026, 11, 21, 10, tzinfo=BEIJING)
AT = datetime(2026, 11, 23, 9, 30, tzinfo=BEIJING)
HOSTILE_NAME = '<script>window.pwned = "name"</script><img src=x onerror="window.pwned=1">宝鸡'
HOSTILE_POST = "<script>window.pwned = 'post'</script>【通知】请勿点击"


# -- pure: decisions applied by the rules -------------------------------------------------------


def account(**fields: Any) -> Account:
    values = {"id": "acc", "name": "平安宝鸡", "platform": "weibo", "owner": "宝鸡市公安局",
              "certified_as": "宝鸡市公安局", "urls": ["https://weibo.com/u/1"]}
    values.update(fields)
    return Account(**values)


def observed(**fields: Any) -> Observation:
    values = {"account_id": "acc", "platform": "weibo", "started_at": AS_OF, "checks": ["update", "name"],
              "name": "平安宝鸡", "certification": "宝鸡市公安局官方微博"}
    values.update(fields)
    return Observation(**values)


def machine(filed: Account, seen: Observation) -> AccountResult:
    return AccountResult(account=filed, observation=seen, judgement=judge(filed, seen, AS_OF))


def decision(action: str, run_id: str = "run-1", **fields: Any) -> Review:
    return Review(run_id=run_id, account_id="acc", action=action, reviewer="张三", reason="理由", at=AT, **fields)


BLOCKED = observed(name=None, certification=None, sources=[SourceRecord(kind="weibo-userinfo", url="u", evidence=["a.jpg"])])
BLOCKED.add_signal("blocked", "被引导至访客验证页面", ["a.jpg"])


def test_no_decision_leaves_the_machine_judgement_alone():
    result = machine(account(), BLOCKED)
    assert apply_reviews(result, [], []) is result


def test_overrule_sets_the_verdict_and_keeps_the_machine_judgement():
    result = machine(account(), BLOCKED)
    reviewed = apply_reviews(result, [decision("overrule", verdict="pass")], [])
    assert (reviewed.judgement.verdict, reviewed.machine_judgement.verdict) == ("pass", "review")
    assert reviewed.review.action == "overrule" and reviewed.judgement.findings == result.judgement.findings


def test_the_latest_decision_wins_and_confirm_restores_the_machine_verdict():
    result = machine(account(), BLOCKED)
    reviewed = apply_reviews(result, [decision("overrule", verdict="pass"), decision("confirm")], [])
    assert reviewed.judgement == result.judgement and reviewed.review.action == "confirm"
    assert reviewed.machine_judgement == result.judgement  # a confirmation is recorded too


@pytest.mark.parametrize("days, verdict, finding_codes", [
    (3, "pass", []),
    (10, "pass", ["stale-7d"]),
    (20, "fail", ["stale-14d"]),
])
def test_an_attested_date_rejudges_with_the_normal_rules(days, verdict, finding_codes):
    seen = (AS_OF - timedelta(days=days)).date().isoformat()
    attest = new_review(machine(account(), BLOCKED), run_id="run-1", action="attest", reviewer="张三",
                        reason="手机上看到", at=AT, post_date=seen)
    reviewed = apply_reviews(machine(account(), BLOCKED), [attest], [])
    assert reviewed.judgement.verdict == verdict and codes(reviewed) == finding_codes
    assert reviewed.judgement.idle_days == days
    assert reviewed.observation.newest_post_source == "人工核实：张三"
    assert reviewed.observation.newest_post_lists_newest and reviewed.machine_judgement.verdict == "review"


def test_an_attested_date_does_not_clear_a_problem_with_the_interaction_page():
    seen = observed(newest_post_at=AS_OF - timedelta(days=30), newest_post_lists_newest=False,
                    sources=[SourceRecord(kind="interaction", url="i", evidence=["i.jpg"])])
    seen.checks.append("interaction")  # as check_interaction does for a declared page
    seen.add_signal("unreachable", "互动页面无法访问", ["i.jpg"])
    attest = decision("attest", post_at=AS_OF - timedelta(days=2))
    reviewed = apply_reviews(machine(account(), seen), [attest], [])
    assert reviewed.judgement.verdict == "review" and codes(reviewed) == ["unreachable"]


def test_an_older_attested_date_never_hides_a_newer_post_the_machine_saw():
    seen = observed(newest_post_at=AS_OF - timedelta(days=1), newest_post_source="https://mp.weixin.qq.com/s/x")
    reviewed = apply_reviews(machine(account(), seen), [decision("attest", post_at=AS_OF - timedelta(days=30))], [])
    assert reviewed.observation.newest_post_source == "https://mp.weixin.qq.com/s/x"
    assert reviewed.judgement.idle_days == 1 and reviewed.judgement.verdict == "pass"


def test_a_filing_covers_the_same_live_value_only():
    renamed = machine(account(), observed(name="平安宝鸡发布", newest_post_at=AS_OF, newest_post_lists_newest=True))
    assert codes(renamed) == ["name-mismatch"]
    filed = decision("file", field="name", value="平安宝鸡发布 ")  # compared as people read names
    reviewed = apply_reviews(renamed, [], [filed])
    assert codes(reviewed) == [] and reviewed.review == filed and reviewed.filings == [filed]
    assert codes(AccountResult(**{**reviewed.model_dump(), "judgement": reviewed.machine_judgement})) == ["name-mismatch"]
    other = decision("file", field="name", value="平安宝鸡在线")
    assert apply_reviews(renamed, [], [other]) is renamed


def test_a_filed_certification_and_an_overrule_both_count():
    recertified = machine(account(), observed(certification="宝鸡市融媒体中心", newest_post_at=AS_OF,
                                              newest_post_lists_newest=True))
    filed = decision("file", field="certification", value="宝鸡市融媒体中心")
    reviewed = apply_reviews(recertified, [decision("overrule", verdict="fail")], [filed])
    assert codes(reviewed) == [] and reviewed.judgement.verdict == "fail" and reviewed.review.action == "overrule"


@pytest.mark.parametrize("fields, problem", [
    ({"action": "overrule", "reviewer": " ", "reason": "x", "verdict": "pass"}, "请填写复核人姓名"),
    ({"action": "overrule", "reviewer": "张三", "reason": "", "verdict": "pass"}, "请填写理由"),
    ({"action": "overrule", "reviewer": "张三", "reason": "x", "verdict": "ok"}, "请选择改判后的结论"),
    ({"action": "attest", "reviewer": "张三", "reason": "x", "post_date": "2026-11-22"}, "日期不能晚于它"),
    ({"action": "attest", "reviewer": "张三", "reason": "x", "post_date": "11/20"}, "请填写核实到的最新发布日期"),
    ({"action": "file", "reviewer": "张三", "reason": "x", "field": "name"}, "机器未读到该项的实际值"),
    ({"action": "delete", "reviewer": "张三", "reason": "x"}, "未知的复核操作"),
])
def test_incomplete_decisions_are_refused_with_the_reason(fields, problem):
    with pytest.raises(ReviewError) as refused:
        new_review(machine(account(), BLOCKED), run_id="run-1", at=AT, **fields)
    assert any(problem in line for line in refused.value.problems)


@pytest.mark.parametrize("filters, shown", [
    ({}, ["walled", "idle", "active", "renamed"]),  # 待复核 first, then 不合格, then registry order
    ({"verdict": "pass-warn"}, ["renamed"]),
    ({"verdict": "fail"}, ["idle"]),
    ({"region": "渭滨区"}, ["idle"]),
    ({"platform": "wechat"}, []),
    ({"q": "宝鸡发布"}, ["renamed"]),  # the live name counts too
])
def test_the_run_list_filters_and_puts_review_first(filters, shown):
    recent = dict(newest_post_at=AS_OF - timedelta(days=1), newest_post_lists_newest=True)
    results = [
        machine(account(id="active"), observed(**recent)),
        machine(account(id="walled"), BLOCKED),
        machine(account(id="renamed"), observed(name="平安宝鸡发布", **recent)),
        machine(account(id="idle", region="渭滨区"), observed(newest_post_at=AS_OF - timedelta(days=30),
                                                             newest_post_lists_newest=True)),
    ]
    run = RunResult(run=RunInfo(id="run-1", as_of=AS_OF, registry="r.yaml", started_at=AS_OF), results=results)
    assert [item.account.id for item in listed(run, filters)] == shown


# -- the store: decisions beside the machine's rows; filings carry forward ----------------------


def stored_run(store: Store, run_id: str, as_of: datetime, live_name: str) -> None:
    run = RunInfo(id=run_id, as_of=as_of, registry="r.yaml", started_at=as_of)
    filed = account()
    seen = observed(name=live_name, newest_post_at=as_of - timedelta(days=1), newest_post_lists_newest=True)
    store.start_run(run, [filed], registry_sha256="x", tool_version="t", browser="b", options={})
    store.save_account(run_id, seen, judge(filed, seen, as_of, store.prior(filed.id, run)), [])
    store.finish_run(run_id, as_of)


def test_a_filing_carries_to_later_runs_while_the_live_value_stays(tmp_path):
    store = Store(tmp_path / "nmaudit.db")
    week = timedelta(days=7)
    stored_run(store, "run-1", AS_OF, "平安宝鸡发布")
    stored_run(store, "run-2", AS_OF + week, "平安宝鸡发布")
    stored_run(store, "run-3", AS_OF + 2 * week, "平安宝鸡发布")
    stored_run(store, "run-4", AS_OF + 3 * week, "宝鸡公安")
    filing = store.add_review(decision("file", run_id="run-2", field="name", value="平安宝鸡发布"))
    assert filing.id == 1

    def name_flags(run_id: str, reviewed: bool = True) -> list[str]:
        item = store.load_run(run_id, reviewed=reviewed).results[0]
        return [f.code for f in item.judgement.findings if f.code in ("name-mismatch", "changed-since-last-run")]

    assert name_flags("run-1") == ["name-mismatch"]  # filed after that check
    assert name_flags("run-2") == [] and name_flags("run-3") == []
    assert name_flags("run-4") == ["name-mismatch", "changed-since-last-run"]  # a new change: not filed
    assert name_flags("run-3", reviewed=False) == ["name-mismatch"]  # the machine's view is intact
    with sqlite3.connect(tmp_path / "nmaudit.db") as db:
        assert db.execute("select count(*) from findings where code = 'name-mismatch'").fetchone() == (4,)


def test_a_decision_for_an_account_the_run_did_not_finish_is_refused(tmp_path):
    store = Store(tmp_path / "nmaudit.db")
    stored_run(store, "run-1", AS_OF, "平安宝鸡")
    with pytest.raises(StoreError, match="no finished account 'other'"):
        store.add_review(decision("confirm").model_copy(update={"account_id": "other"}))


# -- the review page in headless Chromium -------------------------------------------------------


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory) -> tuple[Path, str, WeiboSite]:
    site = WeiboSite(emulator)
    site.add(WeiboAccount("3800000001", posts=posts_at(days_before(AS_OF, 1))))
    site.add(WeiboAccount("3800000002", info=VISITOR_WALL))
    site.add(WeiboAccount("3800000003", info=VISITOR_WALL))
    site.add(WeiboAccount("3800000004", screen_name="陈仓交警在线", posts=posts_at(days_before(AS_OF, 2))))
    site.add(WeiboAccount("3800000005", screen_name=HOSTILE_NAME,
                          posts=[Post(weibo_time(days_before(AS_OF, 1)), text=HOSTILE_POST)]))
    accounts = [
        weibo_account("active", "3800000001", region="宝鸡市"),
        weibo_account("walled", "3800000002", name="宝鸡文旅", owner="宝鸡市文化和旅游局", certified_as=None),
        weibo_account("walled-too", "3800000003", name="宝鸡旅游", owner="宝鸡市文化和旅游局", certified_as=None),
        weibo_account("renamed", "3800000004", name="陈仓交警", region="陈仓区"),
        weibo_account("hostile", "3800000005", name='<b onmouseover="x">渭滨</b>'),
    ]
    folder = tmp_path_factory.mktemp("review")
    result = run_audit(emulator, accounts, folder, as_of=AS_OF)
    assert {key: item.judgement.verdict for key, item in by_id(result).items()} == {
        "active": "pass", "walled": "review", "walled-too": "review", "renamed": "pass", "hostile": "pass"}
    return folder, result.run.id, site


class Served:
    def __init__(self, app, host: str = "127.0.0.1"):
        self.app = app
        self.server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def raw_get(self, path: str) -> int:
        """The status of a GET sent exactly as written (browsers and clients tidy up '../')."""
        host, port = self.server.server_address[:2]
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status


@pytest.fixture(scope="module")
def served(audited) -> Iterator[Served]:
    folder, _, _ = audited
    running = Served(create_app(str(folder / "nmaudit.db")))
    yield running
    running.server.shutdown()


def open_account(page, served: Served, run_id: str, account_id: str) -> None:
    page.goto(f"{served.url}/runs/{run_id}/accounts/{account_id}")


@pytest.mark.browser
def test_filter_open_overrule_and_every_output_shows_the_reviewed_verdict(audited, served, page):
    folder, run_id, _ = audited
    page.goto(served.url)
    assert page.url.endswith(f"/runs/{run_id}")
    assert page.locator(".count.review strong").inner_text() == "2"

    page.select_option("select[name=verdict]", "review")
    page.click("text=筛选")
    names = page.locator("table.accounts tbody td:nth-child(2)").all_inner_texts()
    assert names == ["宝鸡文旅", "宝鸡旅游"]
    page.click("text=宝鸡文旅")

    shot = page.locator(".shots img").first
    shot.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('.shots img')].every(i => i.complete)")
    assert shot.evaluate("image => image.naturalWidth") > 0
    assert page.locator("#verdict").inner_text() == "待复核"

    page.fill("input[name=reviewer]", "张三")
    page.fill("textarea[name=reason]", "手机客户端查看：11月20日有发布，访客页面为平台限制")
    page.select_option("select[name=verdict]", "pass")
    page.click("button[value=overrule]")
    assert page.locator("#verdict").inner_text() == "合格"
    assert "已保存：改判（张三）" in page.locator(".flash").inner_text()
    assert "机器判定：待复核" in page.locator(".verdicts").inner_text()

    with sqlite3.connect(folder / "nmaudit.db") as db:
        assert db.execute("select verdict from judgements where account_id = 'walled'").fetchone() == ("review",)
        assert db.execute("select action, verdict, reviewer from reviews where account_id = 'walled'").fetchall() == [
            ("overrule", "pass", "张三")]
    stored = Store(folder / "nmaudit.db").load_run(run_id)
    walled = by_id(stored)["walled"]
    assert (walled.judgement.verdict, walled.machine_judgement.verdict) == ("pass", "review")
    assert by_id(Store(folder / "nmaudit.db").load_run(run_id, reviewed=False))["walled"].judgement.verdict == "review"

    document = json.loads(output.render(stored, "json"))
    record = next(item for item in document["accounts"] if item["id"] == "walled")
    assert (record["verdict"], record["machine_verdict"]) == ("pass", "review")
    assert record["review"]["reviewer"] == "张三" and record["review"]["action"] == "overrule"
    assert record["review"]["reason"].startswith("手机客户端查看") and record["review"]["at"].endswith("+08:00")
    assert document["summary"]["review"] == 1

    console = Console(record=True, width=160, file=io.StringIO())
    output.render_table(stored, console)
    report = console.export_text()
    assert "合格（原待复核）" in report and "其中人工复核 1 个，改变结论 1 个" in report
    notice = subprocess.run([sys.executable, "-m", "nmaudit", "report", run_id, "--db", str(folder / "nmaudit.db"),
                             "--format", "md"], capture_output=True, text=True, check=True).stdout
    assert "其中合格4个、不合格0个、待复核1个" in notice and "经人工复核1个，其中1个改变了机器结论" in notice
    assert "| 1 | 未填地区 | 宝鸡市文化和旅游局 | 宝鸡文旅 | 微博 | 待复核 | 合格 | 张三 | 手机客户端查看" in notice
    csv_row = next(line for line in output.render_csv(stored).splitlines() if line.startswith("walled,"))
    assert ",pass,合格," in csv_row and csv_row.endswith(",review,overrule,张三,手机客户端查看：11月20日有发布，访客页面为平台限制,"
                                                      + record["review"]["at"] + ",,"  # no content hits
                                                      + record["last_checked_at"] + ",")  # checked in this run


@pytest.mark.browser
def test_an_attested_date_rejudges_the_account(audited, served, page):
    folder, run_id, _ = audited
    open_account(page, served, run_id, "walled-too")
    page.fill("input[name=reviewer]", "李四")
    page.fill("textarea[name=reason]", "手机上查看最新一条")
    page.fill("input[name=post_date]", "2026-11-01")  # 20 days before the check
    page.click("button[value=attest]")
    assert page.locator("#verdict").inner_text() == "不合格"
    assert page.locator("#idle-days").inner_text() == "20"
    assert "人工核实：李四" in page.locator("#newest-post").inner_text()
    assert "2周内未更新" in page.locator(".finding").first.inner_text()
    item = by_id(Store(folder / "nmaudit.db").load_run(run_id))["walled-too"]
    assert codes(item) == ["stale-14d"] and item.machine_judgement.verdict == "review"

    page.fill("textarea[name=reason]", "看错了日期")
    # After the check time: the date field's max stops the browser; the server refuses it on its own.
    page.eval_on_selector("input[name=post_date]", "field => field.removeAttribute('max')")
    page.fill("input[name=post_date]", "2026-11-22")
    page.click("button[value=attest]")
    assert "日期不能晚于它" in page.locator(".error").inner_text()
    assert len(Store(folder / "nmaudit.db").reviews(run_id, "walled-too")) == 1


@pytest.mark.browser
def test_a_filed_name_stops_being_flagged_in_this_run_and_the_next(audited, served, page, emulator):
    folder, run_id, site = audited
    open_account(page, served, run_id, "renamed")
    assert "名称变更未报备" in page.locator(".finding").first.inner_text()
    page.fill("input[name=reviewer]", "王五")
    page.fill("textarea[name=reason]", "2026年10月已在报送系统更名")
    page.select_option("select[name=field]", "name")
    page.click("button[value=file]")
    assert page.locator(".finding").count() == 0
    assert "已报备：账号名称“陈仓交警在线”（王五" in page.locator(".filed").inner_text()

    again = run_audit(emulator, [weibo_account("renamed", "3800000004", name="陈仓交警")], folder,
                      as_of=AS_OF + timedelta(days=1))
    renamed = by_id(again)["renamed"]
    assert codes(renamed) == [] and "name-mismatch" in [f.code for f in renamed.machine_judgement.findings]
    assert renamed.review.action == "file" and renamed.review.run_id == run_id


@pytest.mark.browser
def test_hostile_names_and_posts_render_as_text(audited, served, page):
    _, run_id, _ = audited
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{served.url}/runs/{run_id}")
    assert page.get_by_role("link", name='<b onmouseover="x">渭滨</b>').count() == 1
    open_account(page, served, run_id, "hostile")
    assert page.locator("#live-name").inner_text() == HOSTILE_NAME
    page.click("summary:has-text('weibo-posts')")
    assert HOSTILE_POST in page.locator("details.body[open] pre").inner_text()
    assert page.evaluate("() => window.pwned") is None and dialogs == []
    assert page.locator("h1 script, td script, pre script, td img").count() == 0


@pytest.mark.browser
def test_keyboard_next_previous_and_decide(audited, served, page):
    _, run_id, _ = audited
    page.goto(f"{served.url}/runs/{run_id}/accounts/active")
    following = page.get_attribute("a[rel=next]", "href")
    page.keyboard.press("j")
    page.wait_for_url(f"{served.url}{following}")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"{served.url}/runs/{run_id}/accounts/active")
    page.keyboard.press("r")
    assert page.evaluate("() => document.activeElement.name") == "reason"
    page.keyboard.type("证据无误")
    page.keyboard.press("Escape")
    page.fill("input[name=reviewer]", "赵六")
    page.keyboard.press("Enter")  # Enter in a field decides nothing
    assert Store(served.app.config["NMAUDIT_DB"]).reviews(run_id, "active") == []
    page.keyboard.press("Alt+c")
    page.wait_for_selector(".flash")
    assert [r.action for r in Store(served.app.config["NMAUDIT_DB"]).reviews(run_id, "active")] == ["confirm"]


@pytest.mark.browser
def test_evidence_outside_the_folder_or_not_recorded_is_refused(audited, served, page):
    folder, run_id, _ = audited
    shot = f"/snapshots/{run_id}/active/01-weibo-userinfo.jpg"
    assert served.raw_get(shot) == 200
    for path in ("/snapshots/../nmaudit.db", f"/snapshots/{run_id}/../../nmaudit.db",
                 f"/snapshots/{run_id}/active/../../../nmaudit.db", "/snapshots/%2e%2e/nmaudit.db",
                 f"/snapshots/{run_id}/active/..%2f..%2f..%2fnmaudit.db", "/snapshots/..%5cnmaudit.db"):
        assert served.raw_get(path) == 403, path
    (folder / "snapshots" / run_id / "active" / "notes.txt").write_text("not evidence")
    assert served.raw_get(f"/snapshots/{run_id}/active/notes.txt") == 404
    assert page.request.get(f"{served.url}/snapshots/{run_id}/active/notes.txt").status == 404
    body = page.request.get(f"{served.url}/snapshots/{run_id}/hostile/02-weibo-posts.json")
    assert body.headers["content-type"].startswith("text/plain") and "sandbox" in body.headers["content-security-policy"]


@pytest.mark.browser
def test_a_post_without_the_csrf_token_is_refused(audited, served, page):
    folder, run_id, _ = audited
    open_account(page, served, run_id, "hostile")  # a session exists, so only the token is missing
    target = f"{served.url}/runs/{run_id}/accounts/hostile/reviews"
    fields = {"reviewer": "攻击者", "reason": "x", "action": "overrule", "verdict": "fail"}
    assert page.request.post(target, form=fields).status == 400
    assert page.request.post(target, form={**fields, "csrf_token": "guess"}).status == 400
    assert Store(folder / "nmaudit.db").reviews(run_id, "hostile") == []


@pytest.mark.browser
def test_beyond_this_machine_a_token_is_required(audited, page):
    folder, run_id, _ = audited
    with pytest.raises(UsageError, match="必须设置访问令牌"):
        create_app(str(folder / "nmaudit.db"), host="0.0.0.0")
    remote = Served(create_app(str(folder / "nmaudit.db"), host="0.0.0.0", token="s3cret-token"))
    try:
        assert page.goto(f"{remote.url}/runs/{run_id}").status == 403
        assert page.goto(f"{remote.url}/runs/{run_id}?token=wrong").status == 403
        assert remote.raw_get(f"/snapshots/{run_id}/active/01-weibo-userinfo.jpg") == 403
        assert page.goto(f"{remote.url}/runs/{run_id}?token=s3cret-token&verdict=review").status == 200
        assert page.url == f"{remote.url}/runs/{run_id}?verdict=review"  # the token became a cookie
        assert page.goto(f"{remote.url}/runs/{run_id}/accounts/active").status == 200
    finally:
        remote.server.shutdown()


@pytest.mark.browser
def test_on_this_machine_only_local_host_names_are_answered(audited):
    folder, run_id, _ = audited
    client = create_app(str(folder / "nmaudit.db")).test_client()
    assert client.get(f"/runs/{run_id}", headers={"Host": "127.0.0.1:8787"}).status_code == 200
    assert client.get(f"/runs/{run_id}", headers={"Host": "localhost:8787"}).status_code == 200
    assert client.get(f"/runs/{run_id}", headers={"Host": "rebound.example:8787"}).status_code == 400


@pytest.mark.browser
def test_the_command_prints_the_url_and_stops_on_ctrl_c(audited):
    folder, _, _ = audited
    latest = Store(folder / "nmaudit.db").resolve_run(None)
    command = [sys.executable, "-m", "nmaudit", "review", "--db", str(folder / "nmaudit.db"),
               "--host", "127.0.0.2", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, NO_COLOR="1"))
    try:
        line = process.stdout.readline()
        assert line.startswith("复核页面：http://127.0.0.2:") and f"/runs/{latest}?token=" in line
        assert process.stdout.readline().startswith("访问令牌：")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    missing = subprocess.run([sys.executable, "-m", "nmaudit", "review", "--db", str(folder / "none.db")],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "none.db: no such database" in missing.stderr
