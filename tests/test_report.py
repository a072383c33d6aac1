"""The inspection notice: its numbers against the run, and each format as staff open it.

The demo capture is audited once per session (a subprocess, like `make demo`); the HTML is
opened in headless Chromium (pytest-playwright's `page`), the PDF read back with pypdf and
the workbook with openpyxl. Every count is recomputed here from the RunResult.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
import openpyxl
import pypdf
import pytest

from nmaudit import report
from nmaudit.coverage import type_label
from nmaudit.models import Finding, RecheckItem, RunResult
from nmaudit import output
from nmaudit.output import fmt_date
from nmaudit.store import Store
from tests.demo_site import ROOT
from tests.test_output import make_result, sample_run

pytestmark = pytest.mark.browser

PLATFORM_NAMES = {"wechat": "微信", "weibo": "微博", "app": "移动客户端", "web": "其他"}


def nmaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nmaudit", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, NO_COLOR="1", COLUMNS="120"),
    )


@dataclass
class Demo:
    folder: Path
    run_id: str
    result: RunResult


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """The sample registry replayed once, evidence under a relative snapshots/ folder."""
    folder = tmp_path_factory.mktemp("report-demo")
    done = nmaudit("audit", str(ROOT / "accounts.yaml"), "--replay", str(ROOT / "snapshots" / "sample.har"),
                   "--db", "demo.db", "--snapshots", "snapshots", "--format", "json",
                   "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=folder)
    assert done.returncode == 0, done.stderr
    store = Store(folder / "demo.db")
    run_id = store.resolve_run("latest")
    return Demo(folder, run_id, store.load_run(run_id))


def written(demo: Demo, fmt: str, name: str) -> Path:
    done = nmaudit("report", "latest", "--db", "demo.db", "--format", fmt, "-o", name, cwd=demo.folder)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == f"已写入 {name}（批次 {demo.run_id}）"
    return demo.folder / name


# -- numbers, recomputed from the run ------------------------------------------------------------


def rate_text(passed: int, failed: int) -> str:
    return "—" if passed + failed == 0 else f"{100 * passed / (passed + failed):.1f}%"


def expected_tallies(result: RunResult, key) -> dict[str, list]:
    counts: dict[str, Counter] = {}
    for item in result.results:
        counts.setdefault(key(item), Counter())[item.judgement.verdict] += 1
    return {label: [sum(c.values()), c["pass"], c["fail"], c["review"], rate_text(c["pass"], c["fail"])]
            for label, c in counts.items()}


def failing_ids(result: RunResult) -> list[str]:
    failing = [r for r in result.results if r.judgement.verdict == "fail"]
    failing.sort(key=lambda r: (r.account.region is None, r.account.region or "", r.account.owner, r.account.name))
    return [r.account.id for r in failing]


def test_the_model_matches_the_run(demo: Demo):
    notice = report.build_report(demo.result, registered=len(demo.result.results))
    verdicts = Counter(r.judgement.verdict for r in demo.result.results)
    assert (notice.totals.checked, notice.totals.passed, notice.totals.failed, notice.totals.review) == (
        17, verdicts["pass"], verdicts["fail"], verdicts["review"])
    assert notice.totals.rate == pytest.approx(verdicts["pass"] / (verdicts["pass"] + verdicts["fail"]))
    by_platform = expected_tallies(demo.result, lambda r: PLATFORM_NAMES[r.account.platform])
    assert {t.label: [t.checked, t.passed, t.failed, t.review, t.rate_text] for t in notice.by_platform} == by_platform
    by_region = expected_tallies(demo.result, lambda r: r.account.region)
    assert {t.label: [t.checked, t.passed, t.failed, t.review, t.rate_text] for t in notice.by_group} == by_region
    assert [row.account_id for row in notice.failing] == failing_ids(demo.result)
    assert [row.number for row in notice.failing] == list(range(1, verdicts["fail"] + 1))
    assert f"合格率{rate_text(verdicts['pass'], verdicts['fail'])}" in notice.overview


def test_problems_are_grouped_by_kind_with_the_accounts_named(demo: Demo):
    notice = report.build_report(demo.result)
    named = {group.heading: [a.name for a in group.accounts] for group in notice.problems}
    expected: dict[str, list[str]] = {}
    kinds = {"stale-14d": "2周内未更新", "stale-7d": "超过7天未更新", "no-interaction": "未提供有效互动功能",
             "name-mismatch": "名称/认证主体变更未报备", "certification-mismatch": "名称/认证主体变更未报备",
             "app-unavailable": "客户端无法下载", "account-gone": "账号已注销或被屏蔽"}
    for item in demo.result.results:
        for heading in dict.fromkeys(kinds[f.code] for f in item.judgement.findings if f.code in kinds):
            expected.setdefault(heading, []).append(item.account.name)
    assert {k: sorted(v) for k, v in named.items()} == {k: sorted(v) for k, v in expected.items()}
    stale = next(g for g in notice.problems if g.key == "stale-14d")
    assert stale.sentence.startswith("个别政务新媒体存在2周内未更新情况，如：")
    assert "“渭滨发布”（宝鸡市渭滨区人民政府办公室，微博）" in stale.sentence


def test_review_accounts_and_indicators_left_to_staff(demo: Demo):
    notice = report.build_report(demo.result, capabilities=[{"platform": "app", "sources": "App Store"}])
    reviewed = sorted(r.account.name for r in demo.result.results if r.judgement.verdict == "review")
    assert sorted(row.name for row in notice.reviews) == reviewed
    assert all(row.reasons and row.reasons != "—" for row in notice.reviews)
    unchecked = Counter(type_label(r.account) for r in demo.result.results if r.observation.not_checked)
    assert {row.platform: row.accounts for row in notice.not_checked} == dict(unchecked)
    app = next(row for row in notice.not_checked if row.platform == "移动客户端")
    assert (app.indicators, app.sources) == ("内容更新、互动功能", "App Store")


def test_indicators_left_to_staff_are_told_per_site_not_merged_across_other_platforms():
    douyin = make_result("dy", "宝鸡发布", "pass", [], platform="web")
    douyin.account.ids.douyin = "baojifabu"
    douyin.observation.not_checked = ["interaction"]
    unsupported = make_result("sph", "宝鸡发布视频号", "review", [], platform="web")
    unsupported.account.site = "channels"
    unsupported.observation.not_checked = ["update", "name", "certification", "interaction"]
    page = make_result("page", "宝鸡政务", "pass", [], platform="web")  # read by extract rules
    page.observation.not_checked = ["certification"]
    result = sample_run()
    result.results = [douyin, unsupported, page]
    rows = {row.platform: row for row in report.build_report(
        result, capabilities=[{"platform": "web", "sources": "页面（按提取规则）"}]).not_checked}
    assert {label: (row.accounts, row.indicators) for label, row in rows.items()} == {
        "其他（抖音）": (1, "互动功能"),
        "其他（微信视频号）": (1, "内容更新、账号名称、认证主体、互动功能"),
        "其他": (1, "认证主体"),
    }
    assert rows["其他（抖音）"].sources.startswith("抖音主页") and rows["其他"].sources == "页面（按提取规则）"
    line = output.not_checked_lines(result.results)[0]
    assert "其他（抖音）：互动功能；" in line and line.endswith("其他：认证主体")


def test_rate_is_undefined_when_nothing_was_decided():
    result = sample_run()
    result.results = [r for r in result.results if r.judgement.verdict == "review"]
    notice = report.build_report(result)
    assert notice.totals.rate is None
    assert "合格率—（无已判定账号）" in notice.overview
    assert notice.failing == []


# -- untrusted text ------------------------------------------------------------------------------

HOSTILE = '<img src=x onerror="window.pwned=1">宝鸡|发布'


def hostile_run() -> RunResult:
    result = sample_run()
    result.results[1] = make_result(
        "evil", HOSTILE, "fail",
        [Finding(code="stale-14d", severity="veto", message="</td><script>window.pwned=2</script>")],
        platform="weibo", owner="某市**公安局**", region="某市",
    )
    return result


def test_html_escapes_captured_text(page, tmp_path):
    html = report.render_html(report.build_report(hostile_run()), tmp_path)
    assert "<script>window.pwned" not in html and '<img src=x' not in html
    (tmp_path / "r.html").write_text(html, encoding="utf-8")
    page.goto((tmp_path / "r.html").as_uri())
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#failing-table tbody td").nth(3).inner_text() == HOSTILE


def test_markdown_escapes_table_breaking_text():
    text = report.render_markdown(report.build_report(hostile_run()))
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert row.count(" | ") == 6  # seven cells: the name's '|' does not add one
    assert "\\<img src=x" in row and "某市\\*\\*公安局\\*\\*" in row


# -- HTML in Chromium ----------------------------------------------------------------------------


def cells(page, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_html_report_in_chromium(demo: Demo, page):
    path = written(demo, "html", "notice.html")
    page.goto(path.as_uri())
    assert page.title() == f"政务新媒体检查情况通报（批次 {demo.run_id}）"

    by_platform = expected_tallies(demo.result, lambda r: PLATFORM_NAMES[r.account.platform])
    rows = cells(page, "#by-platform tbody")
    assert {row[0]: [int(n) for n in row[1:5]] + [row[5]] for row in rows} == by_platform
    total = cells(page, "#by-platform tfoot")[0]
    verdicts = Counter(r.judgement.verdict for r in demo.result.results)
    assert total == ["合计", "17", str(verdicts["pass"]), str(verdicts["fail"]), str(verdicts["review"]),
                     rate_text(verdicts["pass"], verdicts["fail"])]

    failing = cells(page, "#failing-table")
    assert failing[0] == ["序号", "地区/部门", "主办单位", "账号名称", "类型", "主要问题", "检查时更新日期"]
    results = {r.account.id: r for r in demo.result.results}
    for number, (row, account_id) in enumerate(zip(failing[1:], failing_ids(demo.result)), 1):
        item = results[account_id]
        newest = item.observation.newest_post_at
        assert row[:5] == [str(number), item.account.region, item.account.owner, item.account.name,
                           PLATFORM_NAMES[item.account.platform]]
        assert row[6] == (fmt_date(newest) or "—")
    assert len(failing) == 1 + verdicts["fail"]
    assert page.locator("ol.problems > li[data-kind]").count() == 6
    assert page.locator("#review-table tbody tr").count() == verdicts["review"]
    assert page.locator(".charts:not(.more-charts) svg rect.bar").count() == 4 + len(
        {r.account.region for r in demo.result.results})
    # Beside them: 合格率 per unit, verdicts per platform, warning stages (one run: no trend yet).
    assert page.locator("svg[data-chart='units'] rect.bar").count() == len({r.account.owner for r in demo.result.results})
    assert page.locator("svg[data-chart='trend']").count() == 0
    verdicts = Counter(r.judgement.verdict for r in demo.result.results)
    assert page.eval_on_selector_all(
        "svg[data-chart='stages'] g.bar-row", "rows => rows.map(r => [r.dataset.key, +r.dataset.value])")[4:] == [
        ["fail", verdicts["fail"]], ["review", verdicts["review"]]]


def test_html_evidence_thumbnails_load_and_link_relatively(demo: Demo, page):
    path = written(demo, "html", "notice.html")
    page.goto(path.as_uri())
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.closest('a').getAttribute('href')])")
    shots = {p for r in demo.result.results for p in r.observation.evidence if p.endswith(".jpg")}
    assert len(images) == len(shots) > 10
    for src, complete, width, href in images:
        assert complete and width == 1280, src
        assert src == href and src.startswith(f"snapshots/{demo.run_id}/"), src


def test_html_links_reach_evidence_from_another_folder(demo: Demo, page):
    path = written(demo, "html", "out/reports/notice.html")
    page.goto(path.as_uri())
    sources = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])")
    assert sources and all(src.startswith("../../snapshots/") and width > 0 for src, width in sources)


# -- PDF, xlsx, Markdown -------------------------------------------------------------------------

def pdf_text(path: Path) -> list[str]:
    """Each page's text as pypdf extracts it: as a reader copies or searches it, unnormalised."""
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


#: The CJK radicals and Kangxi radicals: a CJK font draws 一 and ⼀ with one glyph, and Chromium's
#: ToUnicode map names the radical unless nmaudit.pdftext restores the ideograph.
RADICAL_BLOCKS = range(0x2E80, 0x2FE0)
FOOTER = re.compile(r"第\s*\d+\s*页\s*/\s*共\s*\d+\s*页")


def images(pdf_page) -> list[str]:
    """The pictures a PDF page draws (image XObjects, also inside forms)."""
    found, pending = [], [pdf_page.get("/Resources")]
    while pending:
        resources = pending.pop()
        resources = resources.get_object() if resources is not None else None
        for name, item in ((resources or {}).get("/XObject") or {}).items():
            item = item.get_object()
            if item.get("/Subtype") == "/Image":
                found.append(name)
            elif item.get("/Resources") is not None:
                pending.append(item["/Resources"])
    return found


def test_pdf_text_is_the_notice_text_no_radicals(demo: Demo, page):
    """Regression: 一 入 山 户 日 月 白 至 金 页 extracted as ⼀ ⼊ ⼭ ⼾ ⽇ ⽉ ⽩ ⾄ ⾦ ⻚ (U+2E80–U+2FDF)."""
    folder = demo.folder
    # A second run of the registry beside the demo's: the trend chart and its labels printed too.
    (folder / "trend.db").write_bytes((folder / "demo.db").read_bytes())
    done = nmaudit("audit", str(ROOT / "accounts.yaml"), "--replay", str(ROOT / "snapshots" / "sample.har"),
                   "--db", "trend.db", "--snapshots", "snapshots", "--format", "json",
                   "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=folder)
    assert done.returncode == 0, done.stderr
    for fmt in ("html", "pdf"):
        done = nmaudit("report", "latest", "--db", "trend.db", "--format", fmt, "-o", f"trend.{fmt}", cwd=folder)
        assert done.returncode == 0, done.stderr
    page.goto((folder / "trend.html").as_uri())
    assert page.locator("svg[data-chart='trend'] circle.rate-point").count() >= 2
    html_text = page.inner_text("body")
    pages = pdf_text(folder / "trend.pdf")
    text = "\n".join(pages)
    assert not [char for char in text if ord(char) in RADICAL_BLOCKS]
    for word in ("截至", "一、总体情况", "入", "日", "月", "页"):
        assert word in text
    # Every character of the notice is in the PDF's text, as often; what the PDF adds is its page
    # footers, the table headers repeated on each page and the numbers of ordered lists (1. 2. …).
    html_chars = Counter(char for char in html_text if not char.isspace())
    pdf_chars = Counter(char for char in FOOTER.sub("", text) if not char.isspace())
    assert html_chars - pdf_chars == Counter()
    headers = set("".join(page.eval_on_selector_all("thead", "heads => heads.map(h => h.innerText)")))
    assert set(pdf_chars - html_chars) <= headers | set("0123456789./")
    # The charts stay vector: the pages that draw them hold no picture (screenshots come later).
    reader = pypdf.PdfReader(folder / "trend.pdf")
    drawn = [number for number, page_text in enumerate(pages) if "按主办单位合格率" in page_text or "合格率与不合格数" in page_text]
    assert drawn and all(not images(reader.pages[number]) for number in drawn)
    assert images(reader.pages[-1]), "the evidence thumbnails are pictures"
    # Rewriting the text maps keeps the rest: the links to the evidence, the title.
    assert sum(len(pdf_page.get("/Annots") or []) for pdf_page in reader.pages) >= len(
        page.eval_on_selector_all("a[href]", "links => links"))
    assert reader.metadata.title == f"政务新媒体检查情况通报（批次 {Store(folder / 'trend.db').resolve_run('latest')}）"
    # Sentences and chart labels read whole, as they were written.
    flat = "".join(text.split())
    for sentence in (page.inner_text("#overview-text"), *page.eval_on_selector_all(
            "figure.nm-chart figcaption, svg[data-chart] text", "nodes => nodes.map(n => n.textContent)")):
        assert "".join(sentence.split()) in flat, sentence


def test_pdf_has_the_failing_table_and_page_numbers(demo: Demo):
    path = written(demo, "pdf", "notice.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    pages = pdf_text(path)
    assert len(pages) >= 2
    text = "\n".join(pages)
    assert "序号 地区/部门 主办单位 账号名称 类型 主要问题 检查时更新日期" in text
    results = {r.account.id: r for r in demo.result.results}
    for account_id in failing_ids(demo.result):
        assert f"{results[account_id].account.region} {results[account_id].account.owner}" in text
    for number, page_text in enumerate(pages, 1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in " ".join(page_text.split())
    assert not list(demo.folder.glob(".nmaudit-print-*")), "the page printed is removed"


def test_xlsx_round_trips_with_types(demo: Demo):
    path = written(demo, "xlsx", "notice.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["总体情况", "按类型", "按地区", "按单位", "预警", "不合格账号", "问题分类", "待复核",
                               "需人工核查指标"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert sheet.column_dimensions["A"].width >= 6

    overview = [cell.value for cell in book["总体情况"][2]]
    verdicts = Counter(r.judgement.verdict for r in demo.result.results)
    assert overview[0] == demo.run_id
    assert isinstance(overview[2], datetime)
    assert overview[3:8] == [17, 17, verdicts["pass"], verdicts["fail"], verdicts["review"]]
    assert overview[8] == pytest.approx(verdicts["pass"] / (verdicts["pass"] + verdicts["fail"]))
    assert book["总体情况"].cell(2, 9).number_format == "0.0%"

    platforms = {row[0]: list(row[1:]) for row in book["按类型"].iter_rows(min_row=2, values_only=True)}
    expected = expected_tallies(demo.result, lambda r: PLATFORM_NAMES[r.account.platform])
    assert {k: v[:4] for k, v in platforms.items()} == {k: v[:4] for k, v in expected.items()}
    for label, (checked, passed, failed, review, rate) in platforms.items():
        assert rate == pytest.approx(passed / (passed + failed)), label  # a number, not "66.7%"
    assert {cell.number_format for (cell,) in book["按类型"].iter_rows(min_row=2, min_col=6, max_col=6)} == {"0.0%"}

    failing = list(book["不合格账号"].iter_rows(min_row=2, values_only=True))
    results = {r.account.id: r for r in demo.result.results}
    assert [row[3] for row in failing] == [results[i].account.name for i in failing_ids(demo.result)]
    assert [row[0] for row in failing] == list(range(1, len(failing) + 1))
    newest = [results[i].observation.newest_post_at for i in failing_ids(demo.result)]
    assert [row[6].date() if row[6] else None for row in failing] == [
        date.fromisoformat(fmt_date(n)) if n else None for n in newest]
    assert None in newest, "an account with no post seen has an empty cell"
    assert {book["不合格账号"].cell(r, 7).number_format for r in range(2, len(failing) + 2)
            if book["不合格账号"].cell(r, 7).value is not None} == {"yyyy-mm-dd"}


def test_markdown_tables(demo: Demo):
    text = written(demo, "md", "notice.md").read_text(encoding="utf-8")
    assert text.startswith("# 政务新媒体检查情况通报\n")
    header = "| 序号 | 地区/部门 | 主办单位 | 账号名称 | 类型 | 主要问题 | 检查时更新日期 |"
    lines = text.splitlines()
    start = lines.index(header)
    rows = lines[start + 2: start + 2 + len(failing_ids(demo.result))]
    assert [row.split(" | ")[3] for row in rows] == [
        {r.account.id: r for r in demo.result.results}[i].account.name for i in failing_ids(demo.result)]
    assert f"](<snapshots/{demo.run_id}/weibin-fabu-weibo/01-weibo-userinfo.jpg>)" in text


# -- the re-check section ------------------------------------------------------------------------


def test_recheck_section(tmp_path):
    items = [
        RecheckItem(account_id="a", name="渭滨发布", platform="weibo", owner="宝鸡市渭滨区人民政府办公室",
                    region="渭滨区", before="fail", after="pass", status="fixed", before_codes=["stale-14d"]),
        RecheckItem(account_id="b", name="太白发布", platform="wechat", owner="宝鸡市太白县人民政府办公室",
                    region="太白县", before="fail", after="fail", status="still-failing", before_codes=["stale-14d"],
                    after_codes=["stale-14d"]),
        RecheckItem(account_id="c", name="岐山政务", platform="app", owner="宝鸡市岐山县人民政府办公室",
                    before="fail", status="not-rechecked", before_codes=["app-unavailable"]),
    ]
    notice = report.build_report(sample_run(), recheck=items, recheck_of="20260820-0900")
    assert notice.recheck.summary == (
        "对上期（批次 20260820-0900）不合格、待复核的3个政务新媒体进行了复核：已整改1个，仍未整改1个，未复核1个。")
    assert [(r.name, r.before_problems, r.after, r.status) for r in notice.recheck.rows] == [
        ("太白发布", "2周内未更新", "不合格", "仍未整改"), ("渭滨发布", "2周内未更新", "合格", "已整改"),
        ("岐山政务", "客户端无法下载", "—", "未复核")]
    html = report.render_html(notice, tmp_path)
    assert 'id="recheck-table"' in html and "四、上期问题复核情况" in html
    assert "## 四、上期问题复核情况" in report.render_markdown(notice)
    assert "id=\"recheck-table\"" not in report.render_html(report.build_report(sample_run()), tmp_path)


def test_a_recheck_run_reports_what_became_of_the_earlier_failures(demo: Demo, tmp_path):
    """nmaudit recheck, then the report of the re-check run: its section comes from history.compare_runs."""
    (tmp_path / "demo.db").write_bytes((demo.folder / "demo.db").read_bytes())
    done = nmaudit("recheck", demo.run_id, "--replay", str(ROOT / "snapshots" / "sample.har"), "--db", "demo.db",
                   "--snapshots", "snapshots", "--format", "json",
                   "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = nmaudit("report", "latest", "--db", "demo.db", "--format", "md", cwd=tmp_path).stdout
    verdicts = Counter(r.judgement.verdict for r in demo.result.results)
    # The capture has not changed, so every failure is still there and every 待复核 still is.
    assert (f"对上期（批次 {demo.run_id}）不合格、待复核的{verdicts['fail'] + verdicts['review']}个政务新媒体进行了复核："
            f"仍未整改{verdicts['fail']}个，仍待复核{verdicts['review']}个。") in text
    assert text.count("| 仍未整改 |") == verdicts["fail"]
    assert "## 四、上期问题复核情况" in text


def test_the_first_run_of_a_registry_has_no_recheck_section(demo: Demo):
    assert "上期问题复核情况" not in written(demo, "md", "first.md").read_text(encoding="utf-8")


# -- the command ---------------------------------------------------------------------------------


def test_report_errors_exit_1_and_create_nothing(demo: Demo, tmp_path):
    done = nmaudit("report", "latest", "--db", "missing.db", cwd=tmp_path)
    assert done.returncode == 1
    assert "missing.db: no such database" in done.stderr
    assert not (tmp_path / "missing.db").exists()
    done = nmaudit("report", "20990101-000000-beef", "--db", str(demo.folder / "demo.db"), cwd=tmp_path)
    assert done.returncode == 1
    assert "no run '20990101-000000-beef'" in done.stderr


def test_html_goes_to_stdout_by_default(demo: Demo):
    done = nmaudit("report", demo.run_id, "--db", "demo.db", cwd=demo.folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!DOCTYPE html>") and f"批次 {demo.run_id}" in done.stdout
