"""Rankings (排名) over stored daily runs: figures recomputed by hand from the three days of
tests/test_notify.py, in the report (Markdown, xlsx, HTML) and in `history`. No browser."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nmaudit import rankings, report
from nmaudit.cli import cli
from nmaudit.dates import BEIJING
from nmaudit.store import Store
from tests.notify_sites import store_run, weibo_seen
from tests.test_notify import JINTAI, JINTAI_OK, POLICE, TAIBAI, WEIBIN, day_run


@pytest.fixture
def three_days(tmp_path: Path) -> Path:
    store = Store(tmp_path / "nmaudit.db")
    for number in range(3):
        day_run(store, number)
    store.close()
    return tmp_path / "nmaudit.db"


def figures(rows: list[rankings.Figures]) -> dict[str, tuple]:
    return {row.account_id or row.label: (row.rank, row.days_checked, row.days_compliant, row.days_noncompliant,
                                          row.days_review, row.rate_text, row.longest_gap, row.warnings)
            for row in rows}


def test_figures_and_ranks_over_three_days(three_days: Path):
    ranked = rankings.collect(Store(three_days), "r3", days=30)
    assert (ranked.start, ranked.end, ranked.runs) == (date(2026, 10, 13), date(2026, 11, 11), 3)
    # 平安宝鸡 passed every day but was warned three times (蓝, 黄, 红); 渭滨发布 failed the first
    # day (20 days idle) and posted; 太白发布 was never seen (待复核: no rate, no gap).
    assert figures(ranked.accounts) == {
        "j2": (1, 3, 3, 0, 0, "100.0%", 0, 0),
        "j1": (2, 3, 3, 0, 0, "100.0%", 10, 1),
        "p1": (3, 3, 3, 0, 0, "100.0%", 10, 3),
        "w1": (4, 3, 2, 1, 0, "66.7%", 20, 1),
        "t1": (5, 3, 0, 0, 3, "—", None, 1),
    }
    assert figures(ranked.units) == {
        "宝鸡市金台区教育局": (1, 6, 6, 0, 0, "100.0%", 10, 1),
        "宝鸡市公安局": (2, 3, 3, 0, 0, "100.0%", 10, 3),
        "宝鸡市渭滨区人民政府办公室": (3, 3, 2, 1, 0, "66.7%", 20, 1),
        "宝鸡市太白县人民政府办公室": (4, 3, 0, 0, 3, "—", None, 1),
    }
    assert ranked.units[0].accounts == 2


def test_the_period_and_the_latest_run_of_a_day(three_days: Path):
    store = Store(three_days)
    # A second run on the third day, in which 渭滨发布 is seen idle again: the day counts once, as this run found it.
    evening = datetime(2026, 11, 11, 20, 0, tzinfo=BEIJING)
    store_run(store, "r3b", evening, [
        (POLICE, weibo_seen("p1", datetime(2026, 11, 1, 10, 0, tzinfo=BEIJING), evening)),
        (WEIBIN, weibo_seen("w1", datetime(2026, 10, 25, 10, 0, tzinfo=BEIJING), evening)),
        (JINTAI, weibo_seen("j1", datetime(2026, 11, 1, 10, 0, tzinfo=BEIJING), evening)),
        (JINTAI_OK, weibo_seen("j2", evening, evening)),
        (TAIBAI, weibo_seen("t1", evening, evening)),
    ])
    ranked = figures(rankings.collect(store, "r3b", days=30).accounts)
    assert ranked["w1"][1:5] == (3, 1, 2, 0)
    assert ranked["t1"][1:5] == (3, 1, 0, 2)
    # Two days up to r2: the third day is not counted, nor anything after r2.
    two = rankings.collect(store, "r2", days=2)
    assert (two.start, two.runs) == (date(2026, 11, 9), 2)
    assert figures(two.accounts)["p1"] == (3, 2, 2, 0, 0, "100.0%", 9, 2)
    one = rankings.collect(store, "r2", days=1)
    assert (one.start, one.runs, figures(one.accounts)["w1"][1:4]) == (date(2026, 11, 10), 1, (1, 1, 0))


def test_the_report_has_a_ranking_section_in_every_format(three_days: Path, tmp_path: Path):
    store = Store(three_days)
    result = store.load_run("r3")
    notice = report.build_report(result, rankings=rankings.collect(store, "r3"))
    text = report.render_markdown(notice)
    assert "## 排名" in text
    assert "| 1 | 宝鸡市金台区教育局 | 2 | 6 | 6 | 0 | 0 | 100.0% | 10 | 1 |" in text
    assert "| 5 | 太白发布 | 微博 | 宝鸡市太白县人民政府办公室 | 3 | 0 | 0 | 3 | — | — | 1 |" in text
    book = openpyxl.load_workbook(io.BytesIO(report.render_xlsx(notice)))
    units = list(book["单位排名"].iter_rows(values_only=True))
    assert units[0] == rankings.UNIT_COLUMNS
    assert units[3] == (3, "宝鸡市渭滨区人民政府办公室", 1, 3, 2, 1, 0, pytest.approx(2 / 3), 20, 1)
    assert book["单位排名"]["H4"].number_format == "0.0%"
    assert list(book["账号排名"].iter_rows(values_only=True))[5] == (
        5, "太白发布", "微博", "宝鸡市太白县人民政府办公室", 3, 0, 0, 3, None, None, 1)
    html = report.render_html(notice)
    assert '<h2 id="rankings">五、排名</h2>' in html and "六、证据截图" in html
    assert "<td>宝鸡市公安局</td>" in html


def test_the_report_command_ranks_only_over_several_days(three_days: Path):
    runner = CliRunner()
    done = runner.invoke(cli, ["report", "r3", "--format", "md", "--db", str(three_days)])
    assert done.exit_code == 0, done.output
    assert "## 排名" in done.output and "统计期间 2026-10-13 至 2026-11-11（30天，其中3天有检查" in done.output
    done = runner.invoke(cli, ["report", "r1", "--format", "md", "--db", str(three_days)])
    assert "## 排名" not in done.output  # one day: the overview says it all
    done = runner.invoke(cli, ["report", "r3", "--format", "md", "--rank-days", "0", "--db", str(three_days)])
    assert "## 排名" not in done.output


def test_history_gives_the_running_figures(three_days: Path):
    runner = CliRunner()
    done = runner.invoke(cli, ["history", "w1", "--db", str(three_days)], env={"COLUMNS": "160"})
    assert done.exit_code == 0, done.output
    assert done.output.rstrip().splitlines()[-1] == (
        "近30天 2026-10-13 至 2026-11-11：检查3天，合格2天，不合格1天，待复核0天，合格率66.7%，最长未更新20天，"
        "预警1次；账号排名第4/5，宝鸡市渭滨区人民政府办公室单位排名第3/4")
    done = runner.invoke(cli, ["history", "p1", "--format", "json", "--rank-days", "2", "--db", str(three_days)])
    document = json.loads(done.output)
    assert document["figures"] == {
        "start": "2026-11-10", "end": "2026-11-11", "days_with_runs": 2, "days_checked": 2, "days_compliant": 2,
        "days_noncompliant": 0, "days_review": 0, "rate": 1.0, "longest_gap_days": 10, "warnings": 2,
        "rank": 4, "of_accounts": 5, "unit": "宝鸡市公安局", "unit_rank": 3, "of_units": 4}
