"""Charts: drawn from a fixed stored history (the three daily runs of tests/test_notify.py in
a temporary SQLite store), read back from the SVG (bars' labels and values), from the
workbook (the charts' series references and titles) and from the review app; one visual
check of the 总览 page in headless Chromium (screenshot kept, CJK fonts used)."""

from __future__ import annotations

import io
import threading
from datetime import datetime
from pathlib import Path
from typing import Iterator

import openpyxl
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from werkzeug.serving import make_server

from nmaudit import charts, history, report
from nmaudit.dates import BEIJING
from nmaudit.models import Account
from nmaudit.store import Store
from nmaudit.webapp import create_app
from tests.notify_sites import store_run, weibo_seen
from tests.test_notify import day_run

#: Verdict counts of the three days (合格, 不合格, 待复核): 渭滨发布 fails the first day, then
#: posts; 太白发布 stays behind a visitor wall.
DAY_COUNTS = {"r1": (3, 1, 1), "r2": (4, 0, 1), "r3": (4, 0, 1)}


@pytest.fixture
def three_days(tmp_path: Path) -> Store:
    store = Store(tmp_path / "nmaudit.db")
    for number in range(3):
        day_run(store, number)
    return store


def notice(store: Store, run_id: str) -> report.Report:
    return report.build_report(store.load_run(run_id), trend=history.trend(store, run_id))


def figure(html: str, key: str):
    node = HTMLParser(html).css_first(f"svg[data-chart='{key}']")
    assert node is not None, f"no chart {key}"
    return node


def bar_rows(svg) -> list[tuple[str, str, str]]:
    """(label, data-value, the number shown) of each bar, top to bottom."""
    return [(row.attributes["data-label"], row.attributes["data-value"], row.css_first("text.value").text())
            for row in svg.css("g.bar-row")]


# -- the notice's SVG ------------------------------------------------------------------------------


def test_trend_is_read_from_the_stored_runs(three_days: Store):
    points = history.trend(three_days, "r3")
    assert [(p.run_id, p.passed, p.failed, p.review) for p in points] == [
        (run_id, *counts) for run_id, counts in DAY_COUNTS.items()]
    assert [p.run_id for p in history.trend(three_days, "r2")] == ["r1", "r2"], "runs after the chosen one stay out"
    assert [p.run_id for p in history.trend(three_days, "r3", runs=2)] == ["r2", "r3"]
    assert [p.run_id for p in history.trend(three_days, "r3", days=1)] == ["r2", "r3"]


def test_units_sorted_platforms_stacked_stages_and_trend_in_the_notice(three_days: Store):
    html = report.render_html(notice(three_days, "r1"))
    assert bar_rows(figure(html, "units")) == [
        ("宝鸡市金台区教育局", "1.0000", "100.0%（2/2）"),
        ("宝鸡市公安局", "1.0000", "100.0%（1/1）"),
        ("宝鸡市渭滨区人民政府办公室", "0.0000", "0.0%（0/1）"),
        ("宝鸡市太白县人民政府办公室", "", "—（无已判定账号）"),
    ]
    stacked = figure(html, "platforms")
    assert [(row.attributes["data-label"], [(s.attributes["data-key"], s.attributes["data-value"])
                                            for s in row.css("rect.segment")])
            for row in stacked.css("g.stack-row")] == [("微博", [("pass", "3"), ("fail", "1"), ("review", "1")])]
    assert [t.text() for t in stacked.css("g.legend text")] == ["合格", "不合格", "待复核"]
    # 平安宝鸡 (its own lines 7/8/9) and 金台教育 are past the blue line; 渭滨发布 fails.
    assert bar_rows(figure(html, "stages")) == [
        ("正常", "1", "1"), ("蓝色预警", "2", "2"), ("黄色预警", "0", "0"), ("红色预警", "0", "0"),
        ("不合格", "1", "1"), ("待复核", "1", "1")]
    assert HTMLParser(html).css_first("svg[data-chart='trend']") is None, "one run: no trend line"

    html = report.render_html(notice(three_days, "r3"))
    trend = figure(html, "trend")
    assert [(c.attributes["data-run"], c.attributes["data-value"]) for c in trend.css("circle.rate-point")] == [
        ("r1", "0.7500"), ("r2", "1.0000"), ("r3", "1.0000")]
    assert [(r.attributes["data-run"], r.attributes["data-value"]) for r in trend.css("rect.failed-point")] == [
        ("r1", "1"), ("r2", "0"), ("r3", "0")]
    labels = [t.text() for t in trend.css("text")]
    assert {"75.0%", "100.0%", "11-09", "11-10", "11-11"} <= set(labels)
    assert bar_rows(figure(html, "stages")) == [
        ("正常", "2", "2"), ("蓝色预警", "1", "1"), ("黄色预警", "0", "0"), ("红色预警", "1", "1"),
        ("不合格", "0", "0"), ("待复核", "1", "1")]
    # The numbers beside every chart, in words.
    texts = [p.text() for p in HTMLParser(html).css("figure.nm-chart p.chart-text")]
    assert "11-09（批次 r1）合格率75.0%、不合格1个；11-10（批次 r2）合格率100.0%、不合格0个；11-11（批次 r3）合格率100.0%、不合格0个。" in texts
    assert "正常2个；蓝色预警1个；黄色预警0个；红色预警1个；不合格0个；待复核1个。" in texts


def test_chart_labels_are_escaped():
    chart = charts.rate_chart("units", "按主办单位合格率", [("<script>x</script>单位", 1, 0, 1)])
    drawn = str(charts.render(chart))
    assert "<script>" not in drawn and "&lt;script&gt;x&lt;/script&gt;单位" in drawn


def test_bar_widths_follow_the_numbers():
    chart = charts.stack_chart("p", "按类型检查结论", [("微信", {"pass": 3, "fail": 1, "review": 0}),
                                                  ("微博", {"pass": 1, "fail": 1, "review": 2})], bar_width=200)
    assert [[(s.key, s.width) for s in row.segments] for row in chart.rows] == [
        [("pass", 150.0), ("fail", 50.0), ("review", 0)], [("pass", 50.0), ("fail", 50.0), ("review", 100.0)]]


# -- the workbook ----------------------------------------------------------------------------------


def title_text(chart) -> str:
    return "".join(run.t for paragraph in chart.title.tx.rich.p for run in (paragraph.r or []))


def series_refs(chart) -> list[tuple[str, str, str]]:
    return [(s.tx.strRef.f, s.val.numRef.f, (s.cat.numRef or s.cat.strRef).f) for s in chart.series]


def test_workbook_charts_are_bound_to_the_sheets(three_days: Store):
    book = openpyxl.load_workbook(io.BytesIO(report.render_xlsx(notice(three_days, "r3"))))
    assert {"按单位", "走势", "预警"} <= set(book.sheetnames)

    units = book["按单位"]
    [chart] = units._charts
    assert title_text(chart) == "按主办单位合格率（由高到低）"
    assert series_refs(chart) == [("'按单位'!F1", "'按单位'!$F$2:$F$5", "'按单位'!$A$2:$A$5")]
    assert [row[0] for row in units.iter_rows(min_row=2, values_only=True)] == [
        "宝鸡市金台区教育局", "宝鸡市公安局", "宝鸡市渭滨区人民政府办公室", "宝鸡市太白县人民政府办公室"]
    assert [row[5] for row in units.iter_rows(min_row=2, values_only=True)] == [1, 1, 1, None]

    [stacked] = book["按类型"]._charts
    assert title_text(stacked) == "按类型检查结论" and stacked.grouping == "stacked"
    rows = len(list(book["按类型"].iter_rows(min_row=2)))
    assert series_refs(stacked) == [(f"'按类型'!{column}1", f"'按类型'!${column}$2:${column}${rows + 1}",
                                     f"'按类型'!$A$2:$A${rows + 1}") for column in "CDE"]
    assert [book["按类型"][f"{column}1"].value for column in "CDE"] == ["合格", "不合格", "待复核"]
    assert [row[0] for row in book["按类型"].iter_rows(min_row=2, values_only=True)][:2] == ["微信", "微博"]

    trend = book["走势"]
    assert [row[1:5] for row in trend.iter_rows(min_row=2, values_only=True)] == [
        (run_id, *counts) for run_id, counts in DAY_COUNTS.items()]
    assert [(title_text(c), series_refs(c)) for c in trend._charts] == [
        ("合格率走势", [("'走势'!F1", "'走势'!$F$2:$F$4", "'走势'!$A$2:$A$4")]),
        ("不合格数走势", [("'走势'!D1", "'走势'!$D$2:$D$4", "'走势'!$A$2:$A$4")]),
    ]

    stages = book["预警"]
    [chart] = stages._charts
    assert title_text(chart) == "预警情况（本次检查）"
    assert series_refs(chart) == [("'预警'!B1", "'预警'!$B$2:$B$7", "'预警'!$A$2:$A$7")]
    assert list(stages.iter_rows(min_row=2, values_only=True)) == [
        ("正常", 2), ("蓝色预警", 1), ("黄色预警", 0), ("红色预警", 1), ("不合格", 0), ("待复核", 1)]


def test_workbook_of_a_single_run_has_no_trend_sheet(three_days: Store):
    book = openpyxl.load_workbook(io.BytesIO(report.render_xlsx(notice(three_days, "r1"))))
    assert "走势" not in book.sheetnames and "预警" in book.sheetnames


# -- an account's posting rhythm -------------------------------------------------------------------

CHECK = datetime(2026, 11, 11, 9, 0, tzinfo=BEIJING)
RHYTHM = Account(id="w9", name="渭滨发布", platform="weibo", owner="宝鸡市渭滨区人民政府办公室", region="渭滨区",
                 urls=["https://weibo.com/u/9"])


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=BEIJING)


@pytest.fixture
def rhythm_store(tmp_path: Path) -> Store:
    """Three readings: a listing on 10-20 (and a post older than 90 days), a single-post source
    on 10-08, a listing at the check."""
    store = Store(tmp_path / "rhythm.db")
    source = "https://m.weibo.cn/api/container/getIndex?containerid=1076039"
    store_run(store, "a", at(10, 8, 9), [(RHYTHM, weibo_seen("w9", at(10, 5), at(10, 8, 9), newest_post_lists_newest=False))])
    store_run(store, "b", at(10, 20, 9), [(RHYTHM, weibo_seen("w9", at(10, 18), at(10, 20, 9), listed_posts={
        source: [at(10, 18), at(10, 10), at(10, 9, 8), at(8, 1)]}))])
    store_run(store, "c", CHECK, [(RHYTHM, weibo_seen("w9", at(11, 10, 8), CHECK, listed_posts={
        source: [at(11, 10, 8), at(10, 25, 12)]}))])
    return store


def test_rhythm_shows_every_post_proved_and_grades_only_proved_gaps(rhythm_store: Store):
    seen = rhythm_store.observations_of("w9", CHECK.replace(month=8, day=13), CHECK)
    assert [run_id for run_id, _, _ in seen] == ["a", "b", "c"]
    chart = charts.rhythm_chart("rhythm", "近90天发布节奏", [o for _, _, o in seen], CHECK)
    assert [(p.at.strftime("%m-%d %H:%M"), p.listed) for p in chart.posts] == [
        ("10-05 10:00", False), ("10-09 08:00", True), ("10-10 10:00", True), ("10-18 10:00", True),
        ("10-25 12:00", True), ("11-10 08:00", True)]  # 08-01 is older than 90 days
    assert [(f"{g.start:%m-%d}", f"{g.end:%m-%d}", g.days, g.proved, g.level) for g in chart.gaps] == [
        ("10-05", "10-09", 4, False, "ok"),  # a single-post source: posts may lie between
        ("10-10", "10-18", 8, True, "warn"),
        ("10-18", "10-25", 7, False, "ok"),  # two listings: what lay between was never listed
        ("10-25", "11-10", 16, True, "fail"),
    ]
    assert [(days, label) for days, label, _ in chart.lines] == [(7, "7天线"), (14, "14天线")]
    day = chart.plot_width / 90
    assert chart.lines[0][2] == pytest.approx(chart.left + 83 * day, abs=0.1)
    assert chart.text == (
        "2026-08-13 至 2026-11-11 来源证实6条发布（6天有发布），最近一条 2026-11-10 08:00；来源证实的最长间隔16天"
        "（10-25 至 11-10）；超过7天的间隔：10-10 至 10-18 8天、10-25 至 11-10 16天（超过不合格线）；"
        "另有2段间隔来源未能证实（两次读取之间可能有未见的发布）：10-05 至 10-09、10-18 至 10-25。")


def test_account_page_draws_the_rhythm(rhythm_store: Store):
    client = create_app(str(rhythm_store.path)).test_client()
    response = client.get("/runs/c/accounts/w9")
    assert response.status_code == 200
    page = HTMLParser(response.get_data(as_text=True))
    svg = page.css_first("#rhythm svg[data-chart='rhythm']")
    assert [g.attributes["data-at"] for g in svg.css("g.post")] == [
        "2026-10-05 10:00", "2026-10-09 08:00", "2026-10-10 10:00", "2026-10-18 10:00", "2026-10-25 12:00",
        "2026-11-10 08:00"]
    assert [(g.attributes["data-days"], g.attributes["data-proved"]) for g in svg.css("g.gap")] == [
        ("4", "false"), ("8", "true"), ("7", "false"), ("16", "true")]
    assert [t.text() for t in svg.css("text") if t.text().endswith("天线")] == ["7天线", "14天线"]
    assert [row.text(separator="|").split("|") for row in page.css("#rhythm table.chart-data tbody tr")][1] == [
        "2026-10-10", "2026-10-18", "8", "超过预警线"]
    # The earlier run's page shows only what was proved by then.
    earlier = HTMLParser(client.get("/runs/b/accounts/w9").get_data(as_text=True))
    assert [g.attributes["data-at"][:10] for g in earlier.css("#rhythm g.post")] == [
        "2026-08-01", "2026-10-05", "2026-10-09", "2026-10-10", "2026-10-18"]


# -- the review app's 总览 ---------------------------------------------------------------------------


class Served:
    def __init__(self, db: Path):
        self.server = make_server("127.0.0.1", 0, create_app(str(db)), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def served(three_days: Store) -> Iterator[Served]:
    running = Served(three_days.path)
    yield running
    running.server.shutdown()


def test_overview_page_draws_the_charts_with_their_numbers(served: Served, three_days: Store):
    client = create_app(str(three_days.path)).test_client()
    response = client.get("/runs/r3/overview?days=30")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = HTMLParser(response.get_data(as_text=True))
    assert [f.css_first("figcaption").text() for f in page.css("figure.nm-chart")] == [
        "近3次检查的合格率与不合格数", "预警情况（本次检查）", "按主办单位合格率（由高到低）", "按类型检查结论", "按地区合格率"]
    assert not page.css("[style]") and not page.css("script:not([src])"), "nothing the page's CSP refuses"
    trend = page.css_first("#chart-trend table.chart-data")
    assert [r.text(separator="|").split("|")[1:5] for r in trend.css("tbody tr")] == [
        [run_id, *map(str, counts)] for run_id, counts in DAY_COUNTS.items()]
    one_day = HTMLParser(client.get("/runs/r3/overview?days=7").get_data(as_text=True))
    assert one_day.css_first("#chart-trend") is not None
    assert HTMLParser(client.get("/runs/r1/overview").get_data(as_text=True)).css_first("#chart-trend") is None
    assert client.get("/runs/nope/overview").status_code == 404
    assert '/runs/r3/overview"' in client.get("/runs/r3").get_data(as_text=True)


@pytest.mark.browser
def test_overview_page_in_chromium_renders_cjk(served: Served, page, tmp_path: Path):
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(f"{served.url}/runs/r3/overview")
    assert page.title() == "总览 · 批次 r3 · 政务新媒体人工复核"
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"overview screenshot: {shot}")
    assert shot.stat().st_size > 20_000
    text = page.inner_text("main")
    for words in ("按主办单位合格率（由高到低）", "宝鸡市金台区教育局", "蓝色预警", "红色预警", "待复核", "合格率"):
        assert words in text
    # The fonts Chromium drew the chart labels (SVG text) and captions with: a CJK font, every glyph found.
    devtools = page.context.new_cdp_session(page)
    devtools.send("DOM.enable")
    devtools.send("CSS.enable")
    root = devtools.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    for selector in ("#chart-units svg text", "#chart-stages svg text", "#chart-units figcaption", "h1"):
        node = devtools.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = devtools.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert fonts and all("CJK" in f["familyName"] or "Han" in f["familyName"] for f in fonts
                             if f["glyphCount"]), (selector, fonts)
    # The SVG is drawn: each bar of the units chart has a width in pixels that follows its rate.
    widths = page.eval_on_selector_all("#chart-units rect.bar", "bars => bars.map(b => b.getBBox().width)")
    assert widths == [300, 300, 300, 0]
