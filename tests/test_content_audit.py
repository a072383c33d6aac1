"""Content pre-screening end to end: emulated Weibo posts audited in a real headless Chromium.

Posts with a valid and an invalid ID number, a phone number, a dictionary hit written with
full-width letters and a space inside, an advertising link, and a clean post: exactly the
expected hits, masked in every output; `--content N` opens at most N long posts per account,
and without it nothing more is fetched.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.audit import AuditOptions, audit_accounts
from nmaudit.browser import BrowserOptions
from nmaudit.content import ScreeningConfig, Screener, WordingEntry
from nmaudit.models import Policy
from nmaudit.output import render_csv, render_json
from nmaudit.registry import Registry
from nmaudit.rules import judge
from nmaudit.store import Store
from tests.conftest import by_id, weibo_account
from tests.weibo_site import Post, WeiboAccount, WeiboSite, days_before, weibo_time

pytestmark = pytest.mark.browser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=__import__("nmaudit.dates", fromlist=["BEIJING"]).BEIJING)
VALID_ID = "11010519491231002X"  # the example of GB 11643: checksum and birth date hold
INVALID_ID = "110105194912310021"  # the same with a wrong check digit
PHONE = "13800138000"
OFFICE = ScreeningConfig(wording=[WordingEntry(wrong="GDP总值", correct="GDP", note="语义重复：GDP即国内生产总值")])


def at(days: int) -> str:
    return weibo_time(days_before(AS_OF, days))


POSTS = [
    Post(at(1), text=f"【寻人】走失老人身份证号{VALID_ID}，请知情者联系。"),
    Post(at(1), text=f"【提示】办事编号{INVALID_ID}，请勿外传。"),
    Post(at(2), text=f"咨询电话：{PHONE}（工作日）"),
    Post(at(2), text="前三季度全市ＧＤＰ 总值突破千亿元"),
    Post(at(3), text='年货节特惠，<a href="https://item.taobao.com/item.htm?id=6620">点此购买</a>'),
    Post(at(3), text="【通知】关于开展2026年冬季道路交通安全专项整治的通告"),
]
LONG = [
    Post(at(4), text="长文一...全文", long_text="长文一：报名请致电13912345678。"),
    Post(at(5), text="长文二...全文", long_text="长文二：无问题。<br /><br />附：<b>宝鸡</b>发布"),
    Post(at(6), text="长文三...全文", long_text="长文三：联系人身份证号11010519491231002X。"),
]


def audit(emulator, accounts, folder: Path, content: int = 0, screener=None):
    registry = Registry(path="tests.yaml", version=1, policy=Policy(), accounts=accounts, sha256="test")
    options = AuditOptions(
        db=str(folder / "nmaudit.db"), snapshots=str(folder / "snapshots"), as_of=AS_OF, concurrency=2,
        content=content, screener=screener,
        browser=BrowserOptions(browser_args=emulator.browser_args, pace=0.0, retries=1, backoff=0.05, timeout=15.0),
    )
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(
            lambda: asyncio.run(audit_accounts(registry, accounts, options, Store(options.db)))).result()


def extend_requests(emulator) -> list:
    return [r for r in emulator.requests_to("m.weibo.cn") if r.path == "/statuses/extend"]


@pytest.fixture(scope="module")
def site(emulator):
    site = WeiboSite(emulator)
    site.add(WeiboAccount("3300000001", posts=POSTS))
    site.add(WeiboAccount("3300000002", posts=LONG))
    site.add(WeiboAccount("3300000003", posts=LONG[:1]))
    return site


@pytest.fixture(scope="module")
def screened(site, emulator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("content")
    before = len(extend_requests(emulator))
    result = audit(emulator, [weibo_account("posts", "3300000001"), weibo_account("long", "3300000002")],
                   folder, screener=Screener(OFFICE))
    return result, folder, len(extend_requests(emulator)) - before


def summary(item) -> list[tuple[str, str]]:
    return [(hit.rule, hit.matched) for hit in item.content_hits]


def test_exactly_the_expected_hits_masked(screened):
    result, _, _ = screened
    item = by_id(result)["posts"]
    assert summary(item) == [
        ("id-card", "1101**********002X"),
        ("mobile", "138****8000"),
        ("wording", "ＧＤＰ 总值"),
        ("ad-link", "https://item.taobao.com/item.htm?id=6620"),
    ]
    wording = item.content_hits[2]
    assert wording.correct == "GDP" and wording.label == "疑似错误表述"
    assert wording.url.startswith("https://m.weibo.cn/detail/") and wording.posted_at == days_before(AS_OF, 2)
    text = item.observation.texts[wording.text_index].text
    assert text[wording.start:wording.end] == "ＧＤＰ 总值"
    assert "ＧＤＰ 总值" in wording.snippet
    # the clean post and the invalid ID number yield nothing
    assert not [hit for hit in item.content_hits if "编号" in hit.snippet or "通告" in hit.snippet]


def test_content_hits_leave_the_verdict_alone(screened):
    result, _, _ = screened
    item = by_id(result)["posts"]
    assert item.judgement.verdict == "pass" and item.judgement.findings == []
    bare = item.observation.model_copy(update={"texts": []})
    assert judge(item.account, bare, AS_OF, None).model_dump() == judge(item.account, item.observation, AS_OF, None).model_dump()


def test_personal_information_is_masked_in_every_output(screened):
    result, folder, _ = screened
    outputs = {
        "json": render_json(result), "csv": render_csv(result),
        "db-observations": json.dumps([row for row in Store(folder / "nmaudit.db").db["observations"].rows]),
        "db-hits": json.dumps([row for row in Store(folder / "nmaudit.db").db["content_hits"].rows]),
        "observation.json": (folder / "snapshots" / result.run.id / "posts" / "observation.json").read_text("utf-8"),
    }
    for name, text in outputs.items():
        assert VALID_ID not in text and PHONE not in text and "13912345678" not in text, name
    document = json.loads(outputs["json"])
    hits = {a["id"]: a["content_hits"] for a in document["accounts"]}["posts"]
    assert [hit["matched"] for hit in hits][:2] == ["1101**********002X", "138****8000"]
    assert "疑似个人信息泄露（身份证号码）" in outputs["csv"]
    # the invalid number is not personal information: kept as it was written
    assert INVALID_ID in outputs["observation.json"]


def test_without_content_nothing_more_is_fetched(screened):
    result, _, fetched = screened
    assert fetched == 0
    long = by_id(result)["long"]
    assert [hit.rule for hit in long.content_hits] == []  # the excerpts hold nothing
    assert all(not text.full for text in long.observation.texts)


def test_content_opens_at_most_n_newest_long_posts_per_account(site, emulator, tmp_path):
    before = len(extend_requests(emulator))
    result = audit(emulator, [weibo_account("long", "3300000002"), weibo_account("one", "3300000003")],
                   tmp_path, content=2)
    requests = extend_requests(emulator)[before:]
    # two for the account with three long posts (the newest two), one for the account with one
    assert len(requests) == 3
    long = by_id(result)["long"]
    assert [text.full for text in long.observation.texts] == [True, True, False]
    # Lines apart stay apart in the kept text (once glued: "长文二：无问题。附：宝鸡发布").
    assert long.observation.texts[1].text == "长文二：无问题。\n附：宝鸡发布"
    assert summary(long) == [("mobile", "139****5678")]
    assert summary(by_id(result)["one"]) == [("mobile", "139****5678")]
    assert by_id(result)["long"].judgement.verdict == "pass"


# -- the review page and the report -----------------------------------------------------------------


@pytest.fixture(scope="module")
def served(screened):
    from tests.test_review import Served
    from nmaudit.webapp import create_app

    _, folder, _ = screened
    running = Served(create_app(str(folder / "nmaudit.db")))
    yield running
    running.server.shutdown()


def test_review_page_highlights_hits_and_keeps_decisions_for_later_runs(screened, served, site, emulator, page,
                                                                        tmp_path):
    result, folder, _ = screened
    run_id = result.run.id
    page.goto(f"{served.url}/runs/{run_id}")
    assert "内容疑点 4" in page.locator("table.accounts").inner_text()
    page.goto(f"{served.url}/runs/{run_id}/accounts/posts")
    marks = page.locator("#content mark.hit").all_inner_texts()
    assert marks == ["1101**********002X", "138****8000", "ＧＤＰ 总值"]  # the shop link sits inside an <a>'s text
    body = page.content()
    assert VALID_ID not in body and PHONE not in body
    assert "https://item.taobao.com/item.htm?id=6620" in page.locator("#content").inner_text()

    phone = page.locator("li.hit-item", has_text="138****8000")
    phone.locator("input[name=reviewer]").fill("张三")
    phone.locator("button[value=dismiss]").click()
    assert "排除内容疑点请填写理由" in page.locator(".error").first.inner_text()
    phone = page.locator("li.hit-item", has_text="138****8000")
    phone.locator("input[name=reviewer]").fill("张三")
    phone.locator("input[name=reason]").fill("单位公开的咨询电话")
    phone.locator("button[value=dismiss]").click()
    assert "已保存：内容疑点排除（非问题）（张三）" in page.locator(".flash").inner_text()
    assert page.locator("#content mark.hit.dismissed").all_inner_texts() == ["138****8000"]
    page.locator("li.hit-item", has_text="ＧＤＰ 总值").locator("button[value=confirm]").click()
    assert page.locator("#content mark.hit.confirmed").all_inner_texts() == ["ＧＤＰ 总值"]

    stored = Store(folder / "nmaudit.db").load_run(run_id)
    statuses = {hit.rule: hit.status for hit in by_id(stored)["posts"].content_hits}
    assert statuses == {"id-card": "open", "mobile": "dismissed", "wording": "confirmed", "ad-link": "open"}
    assert by_id(stored)["posts"].judgement.verdict == "pass"

    # The report lists confirmed and open hits, never dismissed ones; masked.
    from nmaudit import report

    notice = report.build_report(stored)
    assert [(row.label, row.matched, row.status) for row in notice.content] == [
        ("疑似错误表述", "ＧＤＰ 总值", "已确认"), ("疑似个人信息泄露（身份证号码）", "1101**********002X", "待确认"),
        ("疑似链接商业广告", "https://item.taobao.com/item.htm?id=6620", "待确认")]
    html, markdown = report.render_html(notice), report.render_markdown(notice)
    for text, shown in ((html, "1101**********002X"), (markdown, report.md("1101**********002X"))):
        assert "内容疑点（疑似，需人工确认）" in text and shown in text
        assert VALID_ID not in text and "138****8000" not in text
    from openpyxl import load_workbook
    import io

    book = load_workbook(io.BytesIO(report.render_xlsx(notice)))
    assert [row[6] for row in book["内容疑点"].iter_rows(min_row=2, values_only=True)] == [
        "ＧＤＰ 总值", "1101**********002X", "https://item.taobao.com/item.htm?id=6620"]

    # A later run over the same texts: the dismissal stands; a changed text is open again.
    later = datetime(2026, 11, 28, 10, 0, tzinfo=AS_OF.tzinfo)
    site.accounts["3300000001"].posts[0] = Post(at(1), text=f"【寻人】已找到。身份证号{VALID_ID}")
    registry = Registry(path="tests.yaml", version=1, policy=Policy(), accounts=[weibo_account("posts", "3300000001")],
                        sha256="test")
    options = AuditOptions(db=str(folder / "nmaudit.db"), snapshots=str(folder / "snapshots"), as_of=later,
                           screener=Screener(OFFICE), browser=BrowserOptions(
                               browser_args=emulator.browser_args, pace=0.0, retries=1, backoff=0.05, timeout=15.0))
    with ThreadPoolExecutor(1) as thread:
        again = thread.submit(lambda: asyncio.run(audit_accounts(
            registry, registry.accounts, options, Store(options.db)))).result()
    statuses = {hit.rule: hit.status for hit in by_id(again)["posts"].content_hits}
    assert statuses == {"id-card": "open", "mobile": "dismissed", "wording": "confirmed", "ad-link": "open"}
    site.accounts["3300000001"].posts[0] = POSTS[0]
