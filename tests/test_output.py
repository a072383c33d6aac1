"""Rendering a RunResult: JSON, CSV, JUnit XML and the staff table."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from rich.console import Console

from nmaudit import output
from nmaudit.models import (
    Account,
    AccountResult,
    Finding,
    Judgement,
    Observation,
    RunInfo,
    RunResult,
    Signal,
    SourceRecord,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


AS_OF = utc(2026, 11, 20, 1, 30)  # 09:30 Beijing


def make_result(
    aid: str,
    name: str,
    verdict: str,
    findings: list[Finding],
    *,
    platform: str = "wechat",
    owner: str = "某市人民政府办公室",
    region: str | None = "某市",
    observed_name: str | None = None,
    certification: str | None = None,
    newest: datetime | None = None,
    source: str | None = None,
    idle: int | None = None,
    evidence: list[str] | None = None,
    sources: list[SourceRecord] | None = None,
    signals: list[Signal] | None = None,
) -> AccountResult:
    return AccountResult(
        account=Account(
            id=aid, name=name, platform=platform, owner=owner, region=region, urls=[f"https://example.cn/{aid}"]
        ),
        observation=Observation(
            account_id=aid,
            platform=platform,
            started_at=utc(2026, 11, 20, 1, 0, 0),
            finished_at=utc(2026, 11, 20, 1, 0, 12),
            name=observed_name,
            certification=certification,
            newest_post_at=newest,
            newest_post_source=source,
            evidence=evidence or [],
            sources=sources or [],
            signals=signals or [],
        ),
        judgement=Judgement(as_of=AS_OF, verdict=verdict, idle_days=idle, findings=findings),
    )


def sample_run() -> RunResult:
    """Four accounts: pass with a warning, fail with two vetoes, review (blocked), nothing seen."""
    passing = make_result(
        "gz-001",
        "平安某市",
        "pass",
        [Finding(code="stale-7d", severity="warn", message="已 9 天未更新", evidence=["ev/gz-001/list.png"])],
        observed_name="平安某市",
        certification="某市公安局",
        newest=utc(2026, 11, 7, 16, 30),  # 2026-11-08 00:30 Beijing
        source="profile",
        idle=9,
        evidence=["ev/gz-001/list.png", "ev/gz-001/profile.html"],
        sources=[SourceRecord(kind="profile", url="https://example.cn/p", evidence=["ev/gz-001/profile.html"])],
    )
    failing = make_result(
        "gz-002",
        "某市发布",
        "fail",
        [
            Finding(code="stale-14d", severity="veto", message="已 30 天未更新", evidence=["ev/gz-002/list.png"]),
            Finding(code="name-mismatch", severity="warn", message="名称与备案不一致：某市发布厅"),
        ],
        platform="weibo",
        observed_name="某市发布厅",
        certification="",
        newest=utc(2026, 10, 20, 17, 0),  # 2026-10-21 Beijing
        source="timeline",
        idle=30,
        evidence=["ev/gz-002/list.png", "ev/gz-002/timeline.json"],
    )
    blocked = make_result(
        "gz-003",
        "某区政务",
        "review",
        [
            Finding(code="blocked", severity="review", message="页面要求登录，无法查看"),
            Finding(code="certification-mismatch", severity="warn", message="认证主体与报备不一致"),
        ],
        platform="app",
        region=None,
        signals=[Signal(code="blocked", message="login wall", evidence=["ev/gz-003/login.png"])],
    )
    missing = make_result(
        "gz-004",
        "某镇网站",
        "pass",
        [],
        platform="web",
        owner="某镇人民政府",
        region=None,
    )
    return RunResult(
        run=RunInfo(
            id="20261120-0930",
            as_of=AS_OF,
            registry="registry.yaml",
            started_at=utc(2026, 11, 20, 1, 0, 0),
            finished_at=utc(2026, 11, 20, 1, 2, 5),
        ),
        results=[passing, failing, blocked, missing],
    )


@pytest.fixture
def run() -> RunResult:
    return sample_run()


# -- helpers -------------------------------------------------------------------------------


def test_fmt_time_is_beijing_with_offset() -> None:
    assert output.fmt_time(utc(2026, 11, 7, 16, 30, 5, 999)) == "2026-11-08T00:30:05+08:00"
    assert output.fmt_date(utc(2026, 11, 7, 16, 30)) == "2026-11-08"
    assert output.fmt_time(datetime(2026, 11, 20, 9, 30)) == "2026-11-20T09:30:00+08:00"  # naive = Beijing
    assert output.fmt_time(None) is None and output.fmt_date(None) is None


def test_summarize(run: RunResult) -> None:
    assert output.summarize(run.results) == {
        "checked": 4,
        "pass": 2,
        "fail": 1,
        "review": 1,
        "pass_rate": 0.6667,
    }


def test_pass_rate_none_with_only_review_accounts(run: RunResult) -> None:
    only_review = RunResult(run=run.run, results=[run.results[2]])
    assert output.summarize(only_review.results)["pass_rate"] is None
    assert json.loads(output.render_json(only_review))["summary"]["pass_rate"] is None
    assert output.summarize([]) == {"checked": 0, "pass": 0, "fail": 0, "review": 0, "pass_rate": None}
    console = Console(record=True, width=120)
    output.render_table(only_review, console)
    assert "合格率：—（无已判定账号）" in console.export_text()


# -- JSON ----------------------------------------------------------------------------------


def test_json_shape_and_values(run: RunResult) -> None:
    text = output.render_json(run)
    assert "平安某市" in text  # not ASCII-escaped
    doc = json.loads(text)
    assert doc == output.json_document(run)
    assert set(doc) == {"run", "summary", "accounts"}
    assert doc["run"] == {
        "id": "20261120-0930",
        "as_of": "2026-11-20T09:30:00+08:00",
        "registry": "registry.yaml",
        "started_at": "2026-11-20T09:00:00+08:00",
        "finished_at": "2026-11-20T09:02:05+08:00",
        "recheck_of": None,
    }
    assert doc["summary"] == {"checked": 4, "pass": 2, "fail": 1, "review": 1, "pass_rate": 0.6667}
    assert [a["id"] for a in doc["accounts"]] == ["gz-001", "gz-002", "gz-003", "gz-004"]
    for account in doc["accounts"]:
        assert set(account) == {
            "id", "name", "platform", "owner", "region", "verdict", "machine_verdict", "review", "filings", "observed",
            "findings", "not_checked", "evidence", "consecutive_failures", "longest_gap_days", "content_hits",
            "indicators",
            "last_checked_at", "carried_from",
        }
        assert account["machine_verdict"] == account["verdict"] and account["review"] is None  # not reviewed
        assert set(account["observed"]) == {
            "name", "certification", "newest_post_at", "newest_post_source", "idle_days",
        }
        for finding in account["findings"]:
            assert set(finding) == {"code", "severity", "message", "evidence", "indicators", "note"}

    first, second, third, fourth = doc["accounts"]
    assert first["observed"] == {
        "name": "平安某市",
        "certification": "某市公安局",
        "newest_post_at": "2026-11-08T00:30:00+08:00",
        "newest_post_source": "profile",
        "idle_days": 9,
    }
    assert first["evidence"] == ["ev/gz-001/list.png", "ev/gz-001/profile.html"]  # deduplicated
    assert second["verdict"] == "fail" and second["platform"] == "weibo"
    assert second["observed"]["certification"] == ""  # seen, not certified: kept apart from None
    assert second["findings"][0] == {
        "code": "stale-14d",
        "severity": "veto",
        "message": "已 30 天未更新",
        "evidence": ["ev/gz-002/list.png"],
        "indicators": [],  # a run stored before indicators were judged apart
        "note": False,
    }
    assert third["region"] is None
    assert third["evidence"] == ["ev/gz-003/login.png"]  # signal evidence counts too
    assert fourth["observed"] == {
        "name": None,
        "certification": None,
        "newest_post_at": None,
        "newest_post_source": None,
        "idle_days": None,
    }
    assert fourth["findings"] == [] and fourth["evidence"] == []


# -- CSV -----------------------------------------------------------------------------------


def test_csv_round_trip(run: RunResult) -> None:
    text = output.render_csv(run)
    assert not text.startswith(output.CSV_BOM)
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == output.CSV_COLUMNS
    rows = list(reader)
    assert len(rows) == 4
    first, second, third, fourth = rows
    assert first["verdict_label"] == "合格"
    assert first["newest_post_at"] == "2026-11-08T00:30:00+08:00"
    assert first["idle_days"] == "9"
    assert first["evidence"] == "ev/gz-001/list.png;ev/gz-001/profile.html"
    assert second == {
        "id": "gz-002",
        "name": "某市发布",
        "platform": "weibo",
        "owner": "某市人民政府办公室",
        "region": "某市",
        "verdict": "fail",
        "verdict_label": "不合格",
        "observed_name": "某市发布厅",
        "observed_certification": "",
        "newest_post_at": "2026-10-21T01:00:00+08:00",
        "newest_post_source": "timeline",
        "idle_days": "30",
        "findings": "stale-14d;name-mismatch",
        "messages": "已 30 天未更新；名称与备案不一致：某市发布厅",
        "indicator_update": "", "indicator_interaction": "", "indicator_availability": "",
        "indicator_name": "", "indicator_certification": "",
        "notes": "",
        "evidence": "ev/gz-002/list.png;ev/gz-002/timeline.json",
        "machine_verdict": "fail",
        "review_action": "",
        "reviewer": "",
        "review_reason": "",
        "reviewed_at": "",
        "content_hits": "",
        "last_checked_at": second["last_checked_at"],
        "carried_from": "",
    }
    assert second["last_checked_at"].endswith("+08:00")  # checked in this run: its check time
    assert third["verdict_label"] == "待复核" and third["region"] == ""
    assert all(fourth[c] == "" for c in ("observed_name", "newest_post_at", "idle_days", "findings", "evidence"))


def test_csv_bom(run: RunResult) -> None:
    text = output.render_csv(run, bom=True)
    assert text.startswith(output.CSV_BOM)
    assert text[len(output.CSV_BOM):] == output.render_csv(run)


# -- JUnit ---------------------------------------------------------------------------------


def test_junit_parses_and_counts(run: RunResult) -> None:
    text = output.render_junit(run)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites" and root.get("name") == "nmaudit"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "0", "1")
    assert root.get("time") == "125.000"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "registry.yaml @ 2026-11-20T09:30:00+08:00"
    assert suite.get("failures") == "1" and suite.get("skipped") == "1"

    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["gz-001 平安某市", "gz-002 某市发布", "gz-003 某区政务", "gz-004 某镇网站"]
    assert [c.get("classname") for c in cases] == ["nmaudit.wechat", "nmaudit.weibo", "nmaudit.app", "nmaudit.web"]
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/skipped")) == 1

    passing, failing, review, missing = cases
    failure = failing.find("failure")
    assert failure is not None
    assert failure.get("message") == "已 30 天未更新"
    assert failure.get("type") == "stale-14d;name-mismatch"
    assert "名称与备案不一致" in (failure.text or "")
    skipped = review.find("skipped")
    assert skipped is not None and skipped.get("message") == "待复核: 页面要求登录，无法查看"
    assert "已 9 天未更新" in (passing.findtext("system-out") or "")
    assert passing.find("failure") is None and passing.find("skipped") is None
    assert missing.find("system-out") is None

    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        assert set(props) == {"verdict", "machine_verdict", "reviewer", "owner", "region", "newest_post_at", "idle_days"}
    props = {p.get("name"): p.get("value") for p in passing.findall("properties/property")}
    assert props["newest_post_at"] == "2026-11-08T00:30:00+08:00" and props["idle_days"] == "9"
    props = {p.get("name"): p.get("value") for p in missing.findall("properties/property")}
    assert props["newest_post_at"] == "" and props["idle_days"] == "" and props["region"] == ""


def test_junit_drops_characters_xml_cannot_carry(run: RunResult) -> None:
    run.results[0].account.name = "平安\x00某市\x1b"
    root = ET.fromstring(output.render_junit(run))
    assert root.find("testsuite/testcase") is not None


# -- table ---------------------------------------------------------------------------------


def test_table(run: RunResult) -> None:
    console = Console(record=True, width=120)
    output.render_table(run, console)
    text = console.export_text()
    for word in ("序号", "账号名称", "主办单位", "主要问题", "合格", "不合格", "待复核", "微信", "微博", "移动客户端"):
        assert word in text
    assert "20261120-0930" in text and "监测时间点" in text
    assert "2026-11-08" in text  # Beijing date, not the UTC 2026-11-07
    assert "2026-11-07" not in text
    assert "2周内未更新、名称变更未报备" in text  # the notice's names for the problems
    assert "检查 4 个，合格 2 个，不合格 1 个，待复核 1 个；合格率 = 合格 / (合格 + 不合格) = 66.7%" in text


def test_table_percentage_rounding() -> None:
    summary = {"checked": 8, "pass": 6, "fail": 1, "review": 1, "pass_rate": 0.8571}
    assert output.summary_line(summary).endswith("= 85.7%")


@pytest.mark.parametrize("width", [8, 24, 40, 60, 80])
def test_table_survives_narrow_terminals(run: RunResult, width: int) -> None:
    console = Console(record=True, width=width)
    output.render_table(run, console)
    text = console.export_text()
    assert "合格率" in text.replace("\n", "")
    if width >= 24:
        assert "不合格" in text and "待复核" in text
    if width >= 60:  # a table that fits: right border on every row, nothing cropped
        rows = [line for line in text.splitlines() if line.startswith(("│", "┃"))]
        assert rows and all(line.rstrip().endswith(("│", "┃")) for line in rows)


def test_narrow_console_lists_accounts(run: RunResult) -> None:
    console = Console(record=True, width=40)
    output.render_table(run, console)
    text = console.export_text()
    assert "┃" not in text  # no table
    assert "2. 某市发布  不合格" in text
    assert "主办单位   某市人民政府办公室" in text
    assert "最新发布   2026-11-08" in text


def test_table_does_not_read_markup(run: RunResult) -> None:
    run.results[0].account.name = "[bold]平安某市[/]"
    console = Console(record=True, width=120)
    output.render_table(run, console)
    assert "[bold]" in console.export_text()


# -- dispatch ------------------------------------------------------------------------------


def test_render_dispatch(run: RunResult) -> None:
    assert output.render(run, "json") == output.render_json(run)
    assert output.render(run, "csv") == output.render_csv(run)
    assert output.render(run, "junit") == output.render_junit(run)
    console = Console(record=True, width=120)
    assert output.render(run, "table", console) is None
    assert "合格率" in console.export_text()
    with pytest.raises(ValueError):
        output.render(run, "yaml")


def test_indicators_left_to_staff_are_listed_by_platform(run: RunResult) -> None:
    run.results[0].observation.not_checked = ["interaction"]
    run.results[1].observation.not_checked = ["interaction"]
    console = Console(record=True, width=120)
    output.render_table(run, console)
    text = console.export_text()
    assert "未经机器检查、需人工核查的指标——" in text and "互动功能" in text
    assert output.json_document(run)["accounts"][0]["not_checked"] == ["interaction"]
