"""Render a RunResult as a staff table, JSON, CSV or JUnit XML.

Every renderer is a pure function: it returns text (or prints to the rich Console it is
given); the CLI decides where the text goes. JSON is the canonical shape: CSV rows and
JUnit properties are flattened from the same per-account record, so the formats agree.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from .coverage import type_label
from .sanitize import spreadsheet, visible
from .indicators import note_text, ordered as ordered_indicators, problems as indicator_problems
from .models import (
    FINDING_LABELS, INDICATOR_LABELS, INDICATOR_STATE_LABELS, PLATFORM_LABELS, RECHECK_LABELS, SEVERITY_LABELS, VERDICT_LABELS, AccountResult,
    RecheckItem, Review, RunResult, CONTENT_STATUS_LABELS, ContentHit,
)

#: Local on purpose (nmaudit.dates defines the same constant); all output is Beijing time.
BEIJING = ZoneInfo("Asia/Shanghai")

FORMATS = ("table", "json", "csv", "junit")

#: Excel on Chinese Windows reads a CSV file as UTF-8 only when it starts with this.
CSV_BOM = "\ufeff"

CSV_COLUMNS = (
    "id",
    "name",
    "platform",
    "owner",
    "region",
    "verdict",
    "verdict_label",
    "observed_name",
    "observed_certification",
    "newest_post_at",
    "newest_post_source",
    "idle_days",
    "findings",
    "messages",
    "indicator_update",
    "indicator_interaction",
    "indicator_availability",
    "indicator_name",
    "indicator_certification",
    "notes",
    "evidence",
    "machine_verdict",
    "review_action",
    "reviewer",
    "review_reason",
    "reviewed_at",
    "content_hits",
    "last_checked_at",
    "carried_from",
)

VERDICT_STYLES = {"pass": "green", "fail": "red", "review": "yellow"}

NONE_MARK = "—"


# -- time ---------------------------------------------------------------------------------


def to_beijing(dt: Optional[datetime]) -> Optional[datetime]:
    """The same instant in Beijing time. A naive datetime is taken to be Beijing time already."""
    if dt is None:
        return None
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=BEIJING)
    return dt.astimezone(BEIJING)


def fmt_time(dt: Optional[datetime]) -> Optional[str]:
    """ISO 8601 in Beijing time, seconds precision, with offset: ``2026-11-20T09:30:00+08:00``."""
    local = to_beijing(dt)
    return local.isoformat(timespec="seconds") if local else None


def fmt_date(dt: Optional[datetime]) -> Optional[str]:
    """The Beijing calendar date, ``YYYY-MM-DD``."""
    local = to_beijing(dt)
    return local.strftime("%Y-%m-%d") if local else None


def fmt_minutes(dt: Optional[datetime]) -> str:
    """``YYYY-MM-DD HH:MM`` in Beijing time, for people; ``—`` when unknown."""
    local = to_beijing(dt)
    return local.strftime("%Y-%m-%d %H:%M") if local else NONE_MARK


def _seconds(start: Optional[datetime], end: Optional[datetime]) -> float:
    """Elapsed seconds, 0 when either end is unknown (or the clock went backwards)."""
    a, b = to_beijing(start), to_beijing(end)
    if a is None or b is None:
        return 0.0
    return max((b - a).total_seconds(), 0.0)


# -- shared records ------------------------------------------------------------------------


def _pass_rate(passed: int, failed: int) -> Optional[float]:
    """passed / (passed + failed), None when nothing was decided."""
    decided = passed + failed
    return passed / decided if decided else None


def summarize(results: list[AccountResult]) -> dict[str, Any]:
    """Counts per verdict and the pass rate (review accounts are left out of the rate)."""
    counts = {"pass": 0, "fail": 0, "review": 0}
    for r in results:
        counts[r.judgement.verdict] += 1
    rate = _pass_rate(counts["pass"], counts["fail"])
    return {
        "checked": len(results),
        **counts,
        "pass_rate": round(rate, 4) if rate is not None else None,
    }


def _unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order, without repeats or empties."""
    return list(dict.fromkeys(i for i in items if i))


def account_evidence(r: AccountResult) -> list[str]:
    """Every evidence file kept for one account: observation, sources, signals, findings."""
    obs = r.observation
    return _unique(
        [
            *obs.evidence,
            *(p for s in obs.sources for p in s.evidence),
            *(p for s in obs.signals for p in s.evidence),
            *(p for f in r.judgement.findings for p in f.evidence),
        ]
    )


def review_record(review: Optional[Review]) -> Optional[dict[str, Any]]:
    """A staff decision as plain data (None when there is none)."""
    if review is None:
        return None
    return {
        "reviewer": review.reviewer,
        "action": review.action,
        "reason": review.reason,
        "at": fmt_time(review.at),
        "run_id": review.run_id,
        "verdict": review.verdict,
        "post_at": fmt_date(review.post_at),
        "field": review.field,
        "value": review.value,
    }


def account_record(r: AccountResult) -> dict[str, Any]:
    """One account as it appears in the JSON document (filed values, observed values, findings).

    `verdict` is the verdict in effect after staff review; `machine_verdict` the machine's.
    """
    acc, obs, jud = r.account, r.observation, r.judgement
    return {
        "id": acc.id,
        "name": acc.name,
        "platform": acc.platform,
        "owner": acc.owner,
        "region": acc.region,
        "verdict": jud.verdict,
        "machine_verdict": (r.machine_judgement or jud).verdict,
        "review": review_record(r.review),
        "filings": [review_record(filing) for filing in r.filings],
        "observed": {
            "name": obs.name,
            "certification": obs.certification,
            "newest_post_at": fmt_time(obs.newest_post_at),
            "newest_post_source": obs.newest_post_source,
            "idle_days": jud.idle_days,
        },
        "consecutive_failures": jud.consecutive_failures,
        "longest_gap_days": jud.longest_gap_days,
        "findings": [
            {"code": f.code, "severity": f.severity, "message": f.message, "evidence": list(f.evidence),
             "indicators": list(f.indicators), "note": f.note}
            for f in jud.findings
        ],
        # Each inspection indicator: its state, the findings behind it, and where it was proven.
        "indicators": {
            key: {"state": result.state, "label": result.label, "codes": list(result.codes),
                  "sources": list(result.sources), "reasons": list(result.reasons)}
            for key, result in ordered_indicators(jud)
        },
        "not_checked": list(obs.not_checked),
        "evidence": account_evidence(r),
        "content_hits": [content_hit_record(hit) for hit in r.content_hits],
        # `audit --due`: when the state shown was proved (上次核验), and by which run when not this one.
        "last_checked_at": fmt_time(jud.carried_as_of or jud.as_of),
        "carried_from": jud.carried_from,
    }


def content_hit_record(hit: ContentHit) -> dict[str, Any]:
    """A content pre-screening hit (疑似) as plain data; personal information already masked."""
    return {
        "rule": hit.rule, "label": hit.label, "status": hit.status, "status_label": CONTENT_STATUS_LABELS[hit.status],
        "matched": hit.matched, "correct": hit.correct, "note": hit.note, "snippet": hit.snippet,
        "kind": hit.kind, "url": hit.url, "title": hit.title, "posted_at": fmt_time(hit.posted_at),
        "key": hit.key, "reviewer": hit.reviewer, "reason": hit.reason, "decided_at": fmt_time(hit.decided_at),
    }


def content_hit_line(hit: dict[str, Any]) -> str:
    """One hit in a cell: label, what matched (masked), the correct form, status."""
    correct = f"（应为“{hit['correct']}”）" if hit.get("correct") else ""
    return f"{hit['label']}：{hit['matched']}{correct}〔{hit['status_label']}〕"


def json_document(result: RunResult, recheck: Optional[list[RecheckItem]] = None) -> dict[str, Any]:
    """The whole run as plain JSON-ready data (see ``render_json``); a re-check adds its section."""
    run = result.run
    document = {
        "run": {
            "id": run.id,
            "as_of": fmt_time(run.as_of),
            "registry": run.registry,
            "started_at": fmt_time(run.started_at),
            "finished_at": fmt_time(run.finished_at),
            "recheck_of": run.recheck_of,
        },
        "summary": summarize(result.results),
        "accounts": [account_record(r) for r in result.results],
    }
    carried = sum(1 for r in result.results if r.judgement.carried_from is not None)
    if carried:  # audit --due: checked tonight, and carried over from their last check
        document["due"] = {"checked": len(result.results) - carried, "carried": carried}
    if recheck is not None:
        document["recheck"] = {
            "of": run.recheck_of,
            "counts": {status: sum(1 for item in recheck if item.status == status) for status in RECHECK_LABELS},
            "accounts": [
                {"id": item.account_id, "name": item.name, "platform": item.platform, "owner": item.owner,
                 "before": item.before, "after": item.after, "status": item.status, "label": item.label,
                 "before_findings": item.before_codes, "after_findings": item.after_codes}
                for item in recheck
            ],
        }
    return document


def _text(value: Any) -> str:
    """A cell or attribute value: empty for None."""
    return "" if value is None else str(value)


def flat_record(record: dict[str, Any]) -> dict[str, str]:
    """An ``account_record`` flattened to the CSV columns, all strings."""
    observed = record["observed"]
    findings = record["findings"]
    row = {
        "id": record["id"],
        "name": record["name"],
        "platform": record["platform"],
        "owner": record["owner"],
        "region": record["region"],
        "verdict": record["verdict"],
        "verdict_label": VERDICT_LABELS[record["verdict"]],
        "observed_name": observed["name"],
        "observed_certification": observed["certification"],
        "newest_post_at": observed["newest_post_at"],
        "newest_post_source": observed["newest_post_source"],
        "idle_days": observed["idle_days"],
        "findings": ";".join(f["code"] for f in findings if not f.get("note")),
        "messages": "；".join(f["message"] for f in findings if not f.get("note")),
        **{f"indicator_{key}": INDICATOR_STATE_LABELS[value["state"]]
           for key, value in record["indicators"].items() if key != "account"},
        "notes": "；".join(f["message"] for f in findings if f.get("note")),
        "evidence": ";".join(record["evidence"]),
        "machine_verdict": record["machine_verdict"],
    }
    review = record["review"] or {}
    row.update(review_action=review.get("action"), reviewer=review.get("reviewer"),
               review_reason=review.get("reason"), reviewed_at=review.get("at"))
    # Dismissed hits stay in the JSON (with their status) but not in the sheet staff act on.
    row["content_hits"] = "；".join(content_hit_line(hit) for hit in record.get("content_hits", [])
                                    if hit["status"] != "dismissed")
    row.update(last_checked_at=record.get("last_checked_at"), carried_from=record.get("carried_from"))
    return {k: _text(v) for k, v in row.items()}


# -- JSON ----------------------------------------------------------------------------------


def render_json(result: RunResult, recheck: Optional[list[RecheckItem]] = None) -> str:
    """One JSON document, UTF-8 text (not ASCII-escaped), indented by 2."""
    return json.dumps(json_document(result, recheck), ensure_ascii=False, indent=2)


# -- CSV -----------------------------------------------------------------------------------


def render_csv(result: RunResult, bom: bool = False) -> str:
    """A header row and one row per account; ``bom`` prefixes ``CSV_BOM`` for Excel."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in result.results:
        # Cells Excel would read as formulas are neutralised (a leading '): names come from outside.
        writer.writerow({k: spreadsheet(v) for k, v in flat_record(account_record(r)).items()})
    return (CSV_BOM if bom else "") + buf.getvalue()


# -- JUnit XML -----------------------------------------------------------------------------

#: Characters XML 1.0 cannot carry at all, not even escaped (scraped names may hold them).
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(value: Any) -> str:
    """A value safe for an XML attribute or text node."""
    return _XML_INVALID.sub("\ufffd", _text(value))


def _sub(parent: ET.Element, tag: str, text: Optional[str] = None, **attrs: Any) -> ET.Element:
    """Append a child element with sanitized attributes and text."""
    el = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _xml(text)
    return el


def _properties(parent: ET.Element, values: dict[str, Any]) -> None:
    props = _sub(parent, "properties")
    for name, value in values.items():
        _sub(props, "property", name=name, value=value)


def _finding_lines(findings: list[dict[str, Any]]) -> str:
    """Findings as readable text: ``[否决] code: message`` plus evidence paths."""
    lines = []
    for f in findings:
        lines.append(f"[{SEVERITY_LABELS.get(f['severity'], f['severity'])}] {f['code']}: {f['message']}")
        lines.extend(f"    证据: {p}" for p in f["evidence"])
    return "\n".join(lines)


def _testcase(suite: ET.Element, r: AccountResult) -> None:
    record = account_record(r)
    flat = flat_record(record)
    findings = record["findings"]
    case = _sub(
        suite,
        "testcase",
        classname=f"nmaudit.{record['platform']}",
        name=f"{record['id']} {record['name']}",
        time=f"{_seconds(r.observation.started_at, r.observation.finished_at):.3f}",
    )
    _properties(case, {k: flat[k] for k in ("verdict", "machine_verdict", "reviewer", "owner", "region",
                                            "newest_post_at", "idle_days", *(c for c in flat if c.startswith("indicator_")))})

    verdict = record["verdict"]
    if verdict == "fail":
        vetoes = [f for f in findings if f["severity"] == "veto"] or findings
        message = vetoes[0]["message"] if vetoes else VERDICT_LABELS["fail"]
        _sub(case, "failure", _finding_lines(findings), message=message, type=flat["findings"] or "fail")
    elif verdict == "review":
        reviews = [f for f in findings if f["severity"] == "review" and not f.get("note")] or findings
        reasons = "；".join(f["message"] for f in reviews)
        _sub(case, "skipped", message=f"{VERDICT_LABELS['review']}: {reasons}" if reasons else VERDICT_LABELS["review"])
    if verdict != "fail":
        warnings = [f for f in findings if f["severity"] == "warn"]
        if warnings:
            _sub(case, "system-out", _finding_lines(warnings))


def render_junit(result: RunResult) -> str:
    """JUnit XML for CI dashboards: one testsuite per run, one testcase per account.

    ``fail`` is a failure, ``review`` is skipped, warnings go to ``system-out``.
    """
    run = result.run
    summary = summarize(result.results)
    duration = _seconds(run.started_at, run.finished_at)
    if run.finished_at is None:
        duration = sum(_seconds(r.observation.started_at, r.observation.finished_at) for r in result.results)
    counts = {
        "tests": summary["checked"],
        "failures": summary["fail"],
        "errors": 0,
        "skipped": summary["review"],
        "time": f"{duration:.3f}",
    }
    root = ET.Element("testsuites", {"name": "nmaudit", **{k: str(v) for k, v in counts.items()}})
    suite = _sub(root, "testsuite", name=f"{run.registry} @ {fmt_time(run.as_of)}", **counts)
    _properties(
        suite,
        {"run_id": run.id, "as_of": fmt_time(run.as_of), "registry": run.registry, "started_at": fmt_time(run.started_at)},
    )
    for r in result.results:
        _testcase(suite, r)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# -- table ---------------------------------------------------------------------------------


def summary_line(summary: dict[str, Any]) -> str:
    """``检查 N 个，合格 P 个，不合格 F 个，待复核 R 个；合格率 = ... = 85.7%``."""
    counts = (
        f"检查 {summary['checked']} 个，合格 {summary['pass']} 个，"
        f"不合格 {summary['fail']} 个，待复核 {summary['review']} 个；"
    )
    rate = _pass_rate(summary["pass"], summary["fail"])
    if rate is None:
        return counts + f"合格率：{NONE_MARK}（无已判定账号）"
    return counts + f"合格率 = 合格 / (合格 + 不合格) = {rate * 100:.1f}%"


#: Below this many columns the table cannot show Chinese text; accounts are listed instead.
NARROW_WIDTH = 60

#: Table columns: header and rich column options.
TABLE_COLUMNS: dict[str, dict[str, Any]] = {
    "序号": {"justify": "right", "no_wrap": True},
    "账号名称": {"overflow": "fold"},
    "平台": {"overflow": "fold"},
    "主办单位": {"overflow": "fold"},
    "结论": {"no_wrap": True},
    "最新发布": {"no_wrap": True},
    "未更新天数": {"justify": "right", "no_wrap": True},
    "主要问题": {"overflow": "fold"},
}


def table_cells(n: int, r: AccountResult) -> dict[str, Text]:
    """One account's cells, keyed by ``TABLE_COLUMNS`` header. Text, so names are never markup."""
    verdict, idle = r.judgement.verdict, r.judgement.idle_days
    values = {
        "序号": str(n),
        "账号名称": r.account.name,
        "平台": PLATFORM_LABELS.get(r.account.platform, r.account.platform),
        "主办单位": r.account.owner,
        "结论": Text(verdict_label(r) + carried_label(r), style=VERDICT_STYLES[verdict]),
        "最新发布": fmt_date(r.observation.newest_post_at) or NONE_MARK,
        "未更新天数": NONE_MARK if idle is None else str(idle),
        "主要问题": problems_text(r),
    }
    return {k: v if isinstance(v, Text) else Text(visible(v)) for k, v in values.items()}


def verdict_label(r: AccountResult) -> str:
    """``合格``; after review ``合格（复核）``, or ``合格（原待复核）`` when the review changed the verdict."""
    label = VERDICT_LABELS[r.judgement.verdict]
    if r.review is None:
        return label
    machine = (r.machine_judgement or r.judgement).verdict
    if machine == r.judgement.verdict:
        return f"{label}（复核）"
    return f"{label}（原{VERDICT_LABELS[machine]}）"


def carried_label(r: AccountResult) -> str:
    """``（上次核验 2026-12-05）`` for an account `audit --due` did not check, else nothing."""
    if r.judgement.carried_from is None:
        return ""
    return f"（上次核验 {fmt_date(r.judgement.carried_as_of) or NONE_MARK}）"


def carried_line(results: Iterable[AccountResult]) -> Optional[str]:
    """How many accounts a `--due` run carried over from their last check, if any."""
    carried = [r for r in results if r.judgement.carried_from is not None]
    if not carried:
        return None
    checked = sum(1 for r in results if r.judgement.carried_from is None)
    return (f"其中本次核验 {checked} 个；{len(carried)} 个未到期，沿用上次核验结果"
            f"（上次核验日期见结论栏）")


def problems_text(r: AccountResult) -> str:
    """Each indicator not met, named with its problem ("内容更新：2周内未更新"), then the sources
    that could not see but did not matter ("访问受限（不影响判定）"); a failure streak is said
    ("连续3次检查不合格")."""
    parts = indicator_problems(r.judgement)
    if note := note_text(r.judgement):
        parts.append(f"另：{note}")
    # A run stored before indicators were judged apart lists its findings' labels, as it did then.
    text = ("；" if r.judgement.indicators else "、").join(parts) or NONE_MARK
    if r.judgement.verdict == "fail" and r.judgement.consecutive_failures > 1:
        text += f"（连续{r.judgement.consecutive_failures}次检查不合格）"
    return text


def _print_list(rows: list[dict[str, Text]], console: Console) -> None:
    """The narrow layout: one block per account, ``header  value`` with a hanging indent."""
    for cells in rows:
        console.print(Text.assemble(cells["序号"], ". ", cells["账号名称"], "  ", cells["结论"]))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for header, cell in cells.items():
            if header not in ("序号", "账号名称", "结论"):
                grid.add_row(Text(header, style="dim"), cell)
        console.print(Padding(grid, (0, 0, 0, 2)))


def render_table(result: RunResult, console: Console) -> None:
    """Print a Chinese table for staff (a list on narrow consoles), then the summary line."""
    run = result.run
    title = Text(visible(f"政务新媒体检查结果　批次 {run.id}　监测时间点 {fmt_minutes(run.as_of)}"))
    rows = [table_cells(n, r) for n, r in enumerate(result.results, 1)]
    if console.width < NARROW_WIDTH:
        console.print(title)
        _print_list(rows, console)
    else:
        table = Table(title=title, show_lines=True)
        for header, options in TABLE_COLUMNS.items():
            table.add_column(header, **options)
        for cells in rows:
            table.add_row(*(cells[h] for h in TABLE_COLUMNS))
        console.print(table)
    console.print(Text(summary_line(summarize(result.results))))
    if (line := carried_line(result.results)) is not None:
        console.print(Text(line))
    reviewed = [r for r in result.results if r.review is not None]
    if reviewed:
        changed = sum(r.judgement.verdict != (r.machine_judgement or r.judgement).verdict for r in reviewed)
        console.print(Text(f"其中人工复核 {len(reviewed)} 个，改变结论 {changed} 个（结论为复核后的结论）"))
    for line in not_checked_lines(result.results):
        console.print(Text(line))


def not_checked_lines(results: Iterable[AccountResult]) -> list[str]:
    """What the machine could not see, by platform, for staff to check by hand."""
    by_type: dict[str, dict[str, None]] = {}
    for r in results:
        for indicator in r.observation.not_checked:
            by_type.setdefault(type_label(r.account), {})[INDICATOR_LABELS[indicator]] = None
    if not by_type:
        return []
    parts = [f"{label}：{'、'.join(labels)}" for label, labels in by_type.items()]
    return [f"未经机器检查、需人工核查的指标——{'；'.join(parts)}"]


# -- dispatch ------------------------------------------------------------------------------


def render_recheck(items: list[RecheckItem], of_run: str, console: Console) -> None:
    """The re-check (复核) of an earlier run's failures, account by account."""
    table = Table(title=Text(f"复核情况　对批次 {of_run} 中不合格、待复核的 {len(items)} 个账号"), show_lines=True)
    for header in ("序号", "账号名称", "平台", "主办单位", "原结论", "复核结论", "复核情况", "原问题", "现问题"):
        table.add_column(header, overflow="fold")
    for n, item in enumerate(items, 1):
        table.add_row(*(Text(visible(v)) for v in (
            str(n), item.name, PLATFORM_LABELS.get(item.platform, item.platform), item.owner,
            VERDICT_LABELS[item.before], VERDICT_LABELS[item.after] if item.after else NONE_MARK, item.label,
            _labels(item.before_codes), _labels(item.after_codes),
        )))
    console.print(table)
    counts = {label: sum(1 for item in items if item.label == label) for label in RECHECK_LABELS.values()}
    console.print(Text("复核 " + "，".join(f"{label} {n} 个" for label, n in counts.items() if n)))


def _labels(codes: list[str]) -> str:
    return "、".join(dict.fromkeys(FINDING_LABELS.get(code, code) for code in codes)) or NONE_MARK


def render_history(account_id: str, rows: list[dict[str, Any]], console: Console) -> None:
    """One account's timeline: a row per run."""
    table = Table(title=Text(visible(f"账号 {account_id} 历次检查")), show_lines=True)
    for header in ("批次", "监测时间点", "结论", "最新发布", "未更新天数", "账号名称", "认证主体", "主要问题"):
        table.add_column(header, overflow="fold")
    for row in rows:
        newest = datetime.fromisoformat(row["newest_post_at"]) if row["newest_post_at"] else None
        label = VERDICT_LABELS[row["verdict"]]
        if row.get("decided_by") == "person":
            label += f"（人工核查：{row['reviewer']}；机器判定{VERDICT_LABELS[row['machine_verdict']]}）"
        elif row["machine_verdict"] != row["verdict"]:
            label += f"（原{VERDICT_LABELS[row['machine_verdict']]}）"
        if row.get("carried_from"):
            label += f"（上次核验 {fmt_date(datetime.fromisoformat(row['carried_as_of']))}）"
        verdict = Text(label, style=VERDICT_STYLES[row["verdict"]])
        table.add_row(
            Text(visible(row["run_id"] + (f"（复核 {row['recheck_of']}）" if row["recheck_of"] else ""))),
            Text(fmt_minutes(datetime.fromisoformat(row["as_of"]))), verdict,
            Text(fmt_date(newest) or NONE_MARK), Text(NONE_MARK if row["idle_days"] is None else str(row["idle_days"])),
            Text(visible(row["name"]) if row["name"] is not None else NONE_MARK),
            Text(visible(row["certification"]) if row["certification"] is not None else NONE_MARK),
            Text(_labels(row["findings"])),
        )
    console.print(table)
    by_person = sum(row.get("decided_by") == "person" for row in rows)
    if by_person:
        console.print(Text(f"共 {len(rows)} 次检查：机器判定 {len(rows) - by_person} 次，人工核查判定 {by_person} 次"))
    last = rows[-1]
    notes = []
    if last["verdict"] == "fail" and last["consecutive_failures"] > 1:
        notes.append(f"连续 {last['consecutive_failures']} 次检查不合格")
    if last["longest_gap_days"] is not None:
        notes.append(f"已见最长未更新间隔 {last['longest_gap_days']} 天")
    if notes:
        console.print(Text("；".join(notes)))


def history_document(account_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"account": account_id, "runs": [
        {**{k: row[k] for k in ("run_id", "recheck_of", "verdict", "machine_verdict", "idle_days", "name",
                                "certification", "newest_post_source", "lists_newest", "findings", "consecutive_failures",
                                "longest_gap_days")},
         "decided_by": row.get("decided_by", "machine"), "reviewer": row.get("reviewer"),
         "as_of": fmt_time(datetime.fromisoformat(row["as_of"])),
         "newest_post_at": fmt_time(datetime.fromisoformat(row["newest_post_at"])) if row["newest_post_at"] else None}
        for row in rows
    ]}


RUN_STATUS_LABELS = {"finished": "已完成", "running": "未完成（可 --resume 续查）"}


def render_runs(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(title=Text("检查批次"), show_lines=False)
    for header in ("批次", "监测时间点", "登记表", "状态", "账号", "已检查", "合格", "不合格", "待复核", "复核对象"):
        table.add_column(header, overflow="fold", no_wrap=header in ("批次", "监测时间点"))
    for row in rows:
        table.add_row(*(Text(visible(v)) for v in (
            row["id"], fmt_minutes(datetime.fromisoformat(row["as_of"])), row["registry"],
            RUN_STATUS_LABELS.get(row["status"], row["status"]), row["accounts"], row["checked"], row["pass"],
            row["fail"], row["review"], row["recheck_of"] or NONE_MARK,
        )))
    console.print(table)


def render(result: RunResult, fmt: str, console: Optional[Console] = None,
           recheck: Optional[list[RecheckItem]] = None) -> Optional[str]:
    """Render in ``fmt`` (one of ``FORMATS``). ``table`` prints to ``console`` and returns None.
    A re-check's comparison is printed after the table, or added to the JSON document."""
    if fmt == "table":
        console = console if console is not None else Console()
        render_table(result, console)
        if recheck is not None:
            render_recheck(recheck, result.run.recheck_of or "", console)
        return None
    if fmt == "json":
        return render_json(result, recheck)
    if fmt == "csv":
        return render_csv(result)
    if fmt == "junit":
        return render_junit(result)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
