"""The inspection notice (检查情况通报): a report model built from a run, and its renderers.

Pure: ``build_report`` turns a RunResult (and, when there is one, the re-check of an earlier
run's failures) into a ``Report``; ``render_html``, ``render_markdown`` and ``render_xlsx``
turn a Report into text or bytes. Printing the HTML to PDF belongs to the browser layer
(``browser.print_pdf``). Every name, owner and message comes from registries and platforms,
so it is untrusted text: the HTML template autoescapes, Markdown escapes by hand.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import jinja2
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from . import charts as charts_module
from . import rankings as ranking_module
from .rankings import Rankings
from .coverage import site_sources, type_label
from .indicators import problems as indicator_problems, review_reason
from .models import (
    FINDING_LABELS, INDICATOR_LABELS, PLATFORM_LABELS, RECHECK_LABELS, VERDICT_LABELS, AccountResult, RecheckItem,
    Review, RunResult, CONTENT_STATUS_LABELS,
)
from .alerts import STAGE_LABELS, STAGES
from .output import NONE_MARK, _labels, _pass_rate, carried_label, problems_text, summarize, to_beijing
from .sanitize import spreadsheet, visible

#: The 内容疑点 section: suspected content problems, for a person to decide.
CONTENT_HEADING = "内容疑点（疑似，需人工确认）"
CONTENT_NOTE = ("以下为机器预警的疑似问题（个人信息已打码），不计入合格率，也不单独作为不合格依据；"
                "已排除的不再列出。")
REPORT_FORMATS = ("html", "pdf", "xlsx", "md")

TITLE = "政务新媒体检查情况通报"
RATE_FORMULA = "合格率 = 合格 / (合格 + 不合格)"
NO_REGION = "未填地区"

#: Problem kinds as notices group them: (key, heading, finding codes, how the sentence starts).
PROBLEM_KINDS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("stale-14d", "2周内未更新", ("stale-14d",), "政务新媒体存在2周内未更新情况"),
    ("stale-7d", "超过7天未更新", ("stale-7d",), "政务新媒体超过7天未更新信息"),
    ("no-interaction", "未提供有效互动功能", ("no-interaction",), "政务新媒体未提供有效互动功能"),
    ("zombie", "僵尸账号", ("zombie",), "政务新媒体超过3个月未更新，属僵尸账号"),
    ("identity", "名称/认证主体变更未报备", ("name-mismatch", "certification-mismatch", "changed-since-last-run"),
     "政务新媒体更改账号名称或认证主体未按规定报备"),
    ("app-unavailable", "客户端无法下载", ("app-unavailable",), "移动客户端在检查时无法下载"),
    ("account-gone", "账号已注销或被屏蔽", ("account-gone",), "政务新媒体账号已注销或被屏蔽，仍在登记之列"),
)

FAILING_COLUMNS = ("序号", "地区/部门", "主办单位", "账号名称", "类型", "主要问题", "检查时更新日期")
TALLY_COLUMNS = ("检查", "合格", "不合格", "待复核", "合格率")
MANUAL_COLUMNS = ("序号", "地区/部门", "主办单位", "账号名称", "类型", "机器结论", "核查后结论", "人工核查所见", "核查人",
                  "截图 SHA-256", "核查时间")
REVIEWED_COLUMNS = ("序号", "地区/部门", "主办单位", "账号名称", "类型", "机器结论", "复核结论", "复核人", "理由", "复核时间")


# -- the model ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """Verdict counts of one group of accounts (a platform type, a region, or all)."""

    label: str
    checked: int = 0
    passed: int = 0
    failed: int = 0
    review: int = 0

    def add(self, verdict: str) -> None:
        self.checked += 1
        if verdict == "pass":
            self.passed += 1
        elif verdict == "fail":
            self.failed += 1
        else:
            self.review += 1

    @property
    def rate(self) -> Optional[float]:
        return _pass_rate(self.passed, self.failed)

    @property
    def rate_text(self) -> str:
        return percent(self.rate)


@dataclass
class FailingRow:
    number: int
    region: str
    owner: str
    name: str
    platform: str
    problems: str
    newest_post: Optional[date]
    account_id: str


@dataclass
class ProblemAccount:
    name: str
    owner: str
    platform: str
    details: list[str]


@dataclass
class ProblemGroup:
    key: str
    heading: str
    sentence: str  # 个别政务新媒体存在2周内未更新情况，如：“渭滨发布”（…）。
    accounts: list[ProblemAccount]


@dataclass
class ReviewRow:
    number: int
    region: str
    owner: str
    name: str
    platform: str
    reasons: str


@dataclass
class ManualRow:
    """An account whose verdict rests on what a person saw in the app (人工核查)."""

    number: int
    region: str
    owner: str
    name: str
    platform: str
    machine: str
    verdict: str
    seen: str
    reviewer: str
    at: datetime
    screenshot: str  # SHA-256 of the kept screenshot, "" without one

    def cells(self) -> tuple:
        return (self.number, self.region, self.owner, self.name, self.platform, self.machine, self.verdict, self.seen,
                self.reviewer, self.screenshot or NONE_MARK, self.at)


@dataclass
class ReviewedRow:
    """An account whose verdict staff review changed (machine versus reviewed)."""

    number: int
    region: str
    owner: str
    name: str
    platform: str
    machine: str
    reviewed: str
    reviewer: str
    reason: str
    at: datetime

    def cells(self) -> tuple[Any, ...]:
        return (self.number, self.region, self.owner, self.name, self.platform, self.machine, self.reviewed,
                self.reviewer, self.reason, self.at)


@dataclass
class NotCheckedRow:
    platform: str
    accounts: int
    indicators: str
    sources: str


@dataclass
class ContentRow:
    """One content hit (疑似) not dismissed by staff: confirmed or still open."""

    number: int
    region: str
    owner: str
    name: str
    platform: str
    label: str
    matched: str  # masked
    correct: str
    snippet: str  # masked
    posted_at: Optional[datetime]
    url: str
    status: str  # 已确认 / 待确认
    decided: str  # reviewer and reason, when decided

    def cells(self) -> tuple[Any, ...]:
        return (self.number, self.region, self.owner, self.name, self.platform, self.label, self.matched,
                self.correct, self.snippet, self.posted_at, self.url, self.status, self.decided)


CONTENT_COLUMNS = ("序号", "地区/部门", "主办单位", "账号名称", "类型", "疑点", "内容", "规范表述", "上下文", "发布时间",
                   "链接", "状态", "处理")


@dataclass
class RecheckRow:
    number: int
    region: str
    owner: str
    name: str
    platform: str
    before: str
    before_problems: str
    after: str
    after_problems: str
    status: str


@dataclass
class RecheckSection:
    earlier_run: str
    summary: str
    counts: dict[str, int]
    rows: list[RecheckRow]


@dataclass
class Shot:
    path: str  # as stored: relative to where the audit ran, or absolute
    caption: str


@dataclass
class EvidenceGroup:
    name: str
    owner: str
    platform: str
    verdict: str
    verdict_label: str
    shots: list[Shot]


@dataclass
class Bar:
    label: str
    rate: Optional[float]
    text: str
    y: int
    width: float


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    height: int


@dataclass
class Report:
    run_id: str
    registry: str
    as_of: datetime
    registered: int
    overview: str
    totals: Tally
    by_platform: list[Tally]
    group_label: str  # 地区, or 主办单位 when no account has a region
    by_group: list[Tally]
    failing: list[FailingRow]
    problems: list[ProblemGroup]
    reviews: list[ReviewRow]
    not_checked: list[NotCheckedRow]
    recheck: Optional[RecheckSection]
    evidence: list[EvidenceGroup]
    charts: list[Chart] = field(default_factory=list)
    reviewed: list[ReviewedRow] = field(default_factory=list)  # verdicts changed by staff review
    manual: list[ManualRow] = field(default_factory=list)  # verdicts resting on what a person saw (人工核查)
    rankings: Optional["Rankings"] = None  # 排名: running figures over a period of runs (nmaudit.rankings)
    title: str = TITLE
    rate_formula: str = RATE_FORMULA
    #: Content pre-screening hits confirmed or open (dismissed ones left out); never in the rate.
    content: list[ContentRow] = field(default_factory=list)
    #: 按主办单位: the run's verdict counts per owner unit, best 合格率 first (nmaudit.charts).
    by_unit: list[Tally] = field(default_factory=list)
    #: The run and the runs of the same registry before it, oldest first (合格率, 不合格 over runs).
    trend: list["charts_module.TrendPoint"] = field(default_factory=list)
    #: Accounts per warning stage (nmaudit.alerts.STAGES), verdicts as in effect.
    stages: dict[str, int] = field(default_factory=dict)
    #: The charts beside the two 合格率 bars: per unit, per platform (stacked), trend, stages.
    figures: list[Any] = field(default_factory=list)


# -- building it -------------------------------------------------------------------------------


def percent(rate: Optional[float]) -> str:
    return NONE_MARK if rate is None else f"{rate * 100:.1f}%"


def _platform(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def _region(item: AccountResult) -> str:
    return item.account.region or NO_REGION


def _newest_post(item: AccountResult) -> Optional[date]:
    moment = to_beijing(item.observation.newest_post_at)
    return moment.date() if moment else None


def _sort_key(item: AccountResult) -> tuple[bool, str, str, str]:
    """By region, then owner (accounts without a region last)."""
    return (item.account.region is None, item.account.region or "", item.account.owner, item.account.name)


def _problems(item: AccountResult) -> str:
    """The findings, and the reviewer's reason when staff review made the verdict."""
    # The violations, named with their indicators (内容更新：2周内未更新); a run stored before
    # indicators were judged apart lists its findings as it did then.
    text = "；".join(indicator_problems(item.judgement, states=("fail", "warn"))) or problems_text(item)
    if item.review is not None and item.review.action == "overrule":
        text += f"（人工复核改判：{item.review.reason}）"
    elif by_person(item):
        text += f"（依据{'、'.join(s.url for s in item.observation.sources if s.kind == 'manual')}）"
    return text + carried_label(item)


def by_person(item: AccountResult) -> bool:
    """The verdict in effect rests on what a person saw (人工核查: observe or attest)."""
    return item.review is not None and item.review.action in ("observe", "attest")


def seen_text(review: Review) -> str:
    """What a person recorded having seen, for the notice."""
    parts = []
    if review.post_at is not None:
        moment = to_beijing(review.post_at)
        parts.append(f"最新发布 {moment:%Y-%m-%d %H:%M}" if review.action == "observe" and moment.time() != time(0)
                     else f"最新发布 {moment:%Y-%m-%d}")
    if review.interaction is not None:
        parts.append("有互动功能" if review.interaction else "未见互动功能")
    if review.available is not None:
        parts.append("可以下载使用" if review.available else "无法下载或打开")
    if review.certification is not None:
        parts.append(f"认证主体“{review.certification or '未认证'}”")
    return "；".join(parts)


def _tallies(results: Sequence[AccountResult], key: Any, order: Optional[Sequence[str]] = None) -> list[Tally]:
    groups: dict[str, Tally] = {label: Tally(label) for label in order or ()}
    for item in results:
        label = key(item)
        groups.setdefault(label, Tally(label)).add(item.judgement.verdict)
    return list(groups.values())


def _few(count: int) -> str:
    return "个别" if count <= 3 else "部分"


def _problem_groups(results: Sequence[AccountResult]) -> list[ProblemGroup]:
    groups = []
    for key, heading, codes, phrase in PROBLEM_KINDS:
        accounts = []
        for item in sorted(results, key=_sort_key):
            details = [f.message for f in item.judgement.findings if f.code in codes]
            if details:
                accounts.append(ProblemAccount(item.account.name, item.account.owner,
                                               _platform(item.account.platform), details))
        if not accounts:
            continue
        named = "、".join(f"“{a.name}”（{a.owner}，{a.platform}）" for a in accounts)
        groups.append(ProblemGroup(key, heading, f"{_few(len(accounts))}{phrase}，如：{named}。", accounts))
    return groups


def _not_checked(results: Sequence[AccountResult], capabilities: Sequence[dict[str, Any]]) -> list[NotCheckedRow]:
    """What the machine could not see, by type of account: a 其他 account's site is a type of
    its own (what Douyin's adapter leaves to staff is not what an unsupported site leaves)."""
    sources = {row["platform"]: str(row["sources"]) for row in capabilities}
    by_type: dict[str, tuple[int, dict[str, None], str]] = {}
    for item in results:
        if not item.observation.not_checked:
            continue
        label = type_label(item.account)
        count, indicators, read = by_type.get(
            label, (0, {}, site_sources(item.account) or sources.get(item.account.platform, "")))
        indicators.update(dict.fromkeys(item.observation.not_checked))
        by_type[label] = (count + 1, indicators, read)
    return [
        NotCheckedRow(label, count, "、".join(INDICATOR_LABELS.get(i, i) for i in indicators), read)
        for label, (count, indicators, read) in by_type.items()
    ]


def _recheck(earlier_run: str, items: Sequence[RecheckItem]) -> RecheckSection:
    counts = dict.fromkeys(RECHECK_LABELS, 0)
    for item in items:
        counts[item.status] += 1
    rows = [
        RecheckRow(
            number, item.region or NO_REGION, item.owner, item.name, _platform(item.platform),
            VERDICT_LABELS.get(item.before, item.before), _labels(item.before_codes),
            VERDICT_LABELS.get(item.after, item.after) if item.after else NONE_MARK,
            _labels(item.after_codes) if item.after else NONE_MARK, item.label,
        )
        for number, item in enumerate(sorted(items, key=lambda i: (i.region is None, i.region or "", i.owner, i.name)), 1)
    ]
    parts = "，".join(f"{RECHECK_LABELS[status]}{count}个" for status, count in counts.items() if count)
    summary = f"对上期（批次 {earlier_run}）不合格、待复核的{len(rows)}个政务新媒体进行了复核" + (
        f"：{parts}。" if parts else "。")
    return RecheckSection(earlier_run, summary, counts, rows)


def _evidence(results: Sequence[AccountResult]) -> list[EvidenceGroup]:
    """Every account's screenshots, failing accounts first, then 待复核, then 合格."""
    order = {"fail": 0, "review": 1, "pass": 2}
    groups = []
    for item in sorted(results, key=lambda r: order[r.judgement.verdict]):
        paths = [*item.observation.evidence, *(p for f in item.judgement.findings for p in f.evidence)]
        shots = [Shot(path, Path(path).stem) for path in dict.fromkeys(paths) if path.lower().endswith((".jpg", ".jpeg"))]
        # What people kept of what they saw (人工核查), named as such.
        kept = [path for source in item.observation.sources if source.kind == "manual" for path in source.evidence]
        shots += [Shot(path, f"人工核查截图 {Path(path).stem}") for path in dict.fromkeys(kept)]
        if shots:
            verdict = item.judgement.verdict
            groups.append(EvidenceGroup(item.account.name, item.account.owner, _platform(item.account.platform),
                                        verdict, VERDICT_LABELS[verdict], shots))
    return groups


CHART_ROW = 26
CHART_BAR = 320


def _chart(title: str, tallies: Sequence[Tally]) -> Chart:
    bars = []
    for index, tally in enumerate(t for t in tallies if t.checked):
        rate = tally.rate
        decided = tally.passed + tally.failed
        text = f"{percent(rate)}（{tally.passed}/{decided}）" if rate is not None else f"{NONE_MARK}（无已判定账号）"
        bars.append(Bar(tally.label, rate, text, index * CHART_ROW, round((rate or 0) * CHART_BAR, 1)))
    return Chart(title, bars, max(len(bars), 1) * CHART_ROW)


def build_report(result: RunResult, *, registered: Optional[int] = None,
                 recheck: Optional[Sequence[RecheckItem]] = None, recheck_of: Optional[str] = None,
                 capabilities: Sequence[dict[str, Any]] = (), rankings: Optional["Rankings"] = None,
                 trend: Optional[Sequence["charts_module.TrendPoint"]] = None) -> Report:
    """The notice's content for one run. ``registered`` is how many accounts the run set out
    to check (default: those it checked); ``recheck`` the earlier run ``recheck_of``'s
    fail/review accounts (nmaudit.history.compare_runs); ``capabilities`` nmaudit.platforms';
    ``trend`` the verdict counts of this run and the runs before it (nmaudit.history.trend),
    drawn when there are two or more.

    Verdicts are read from each result's judgement: the verdict in effect.
    """
    results = result.results
    summary = summarize(results)
    totals = Tally("合计", summary["checked"], summary["pass"], summary["fail"], summary["review"])
    by_platform = _tallies(results, lambda r: _platform(r.account.platform), list(PLATFORM_LABELS.values()))
    has_regions = any(r.account.region for r in results)
    by_group = _tallies(
        sorted(results, key=_sort_key), _region if has_regions else (lambda r: r.account.owner))

    failing_results = sorted((r for r in results if r.judgement.verdict == "fail"), key=_sort_key)
    failing = [
        FailingRow(number, _region(r), r.account.owner, r.account.name, _platform(r.account.platform),
                   _problems(r), _newest_post(r), r.account.id)
        for number, r in enumerate(failing_results, 1)
    ]
    review_results = sorted((r for r in results if r.judgement.verdict == "review"), key=_sort_key)
    reviews = [
        ReviewRow(number, _region(r), r.account.owner, r.account.name, _platform(r.account.platform),
                  ("；".join(review_reason(r.judgement, f, r.account.policy.requires) for f in r.judgement.blocking())
                   or problems_text(r)) + carried_label(r))
        for number, r in enumerate(review_results, 1)
    ]
    changed = sorted((r for r in results if r.machine_judgement and r.machine_judgement.verdict != r.judgement.verdict),
                     key=_sort_key)
    reviewed = [
        ReviewedRow(number, _region(r), r.account.owner, r.account.name, _platform(r.account.platform),
                    VERDICT_LABELS[r.machine_judgement.verdict], VERDICT_LABELS[r.judgement.verdict],
                    r.review.reviewer, r.review.reason, to_beijing(r.review.at))
        for number, r in enumerate(changed, 1)
    ]
    as_of = to_beijing(result.run.as_of)
    registered = summary["checked"] if registered is None else registered
    decided = totals.passed + totals.failed
    rate = f"{totals.rate_text}（{RATE_FORMULA} = {totals.passed} / {decided}）" if decided else f"{NONE_MARK}（无已判定账号）"
    overview = (
        f"截至监测时间点{as_of:%Y年%m月%d日 %H:%M}，登记政务新媒体{registered}个，本次检查{totals.checked}个，"
        f"其中合格{totals.passed}个、不合格{totals.failed}个、待复核{totals.review}个；合格率{rate}。"
    )
    carried = sum(r.judgement.carried_from is not None for r in results)
    if carried:
        overview += (f"其中{totals.checked - carried}个为本次核验，{carried}个按期检查未到期，"
                     "沿用上次核验结果（注明上次核验日期）。")
    checked_by_staff = sum(r.review is not None for r in results)
    if checked_by_staff:
        overview += f"经人工复核{checked_by_staff}个，其中{len(reviewed)}个改变了机器结论（以复核后的结论计）。"
    seen_by_person = sorted((r for r in results if by_person(r)), key=_sort_key)
    if seen_by_person:
        tally = Tally("人工核查")
        for r in seen_by_person:
            tally.add(r.judgement.verdict)
        overview += (f"其中机器检查判定{totals.checked - tally.checked}个；人工核查（在应用中查看）判定{tally.checked}个："
                     f"合格{tally.passed}个、不合格{tally.failed}个、待复核{tally.review}个。")
    manual = [
        ManualRow(number, _region(r), r.account.owner, r.account.name, _platform(r.account.platform),
                  VERDICT_LABELS[(r.machine_judgement or r.judgement).verdict], VERDICT_LABELS[r.judgement.verdict],
                  seen_text(r.review), r.review.reviewer, to_beijing(r.review.at), r.review.screenshot_sha256 or "")
        for number, r in enumerate(seen_by_person, 1)
    ]
    report = Report(
        run_id=result.run.id, registry=result.run.registry, as_of=as_of, registered=registered,
        overview=overview, totals=totals, by_platform=by_platform,
        group_label="地区" if has_regions else "主办单位", by_group=by_group, failing=failing,
        problems=_problem_groups(results), reviews=reviews, not_checked=_not_checked(results, capabilities),
        recheck=_recheck(recheck_of or "", recheck) if recheck is not None else None,
        evidence=_evidence(results), reviewed=reviewed, rankings=rankings, manual=manual,
    )
    report.charts = [_chart("按类型合格率", by_platform), _chart(f"按{report.group_label}合格率", by_group)]
    report.content = _content(results)
    _add_figures(report, results, trend)
    return report


def _add_figures(report: Report, results: Sequence[AccountResult],
                 trend: Optional[Sequence["charts_module.TrendPoint"]]) -> None:
    """The charts beside the two 合格率 bars, and the figures they draw."""
    units = _tallies(results, lambda r: r.account.owner)
    units.sort(key=lambda t: (t.rate is None, -(t.rate or 0), -(t.passed + t.failed), t.label))
    report.by_unit = units
    report.trend = list(trend or [])
    report.stages = charts_module.stage_counts(results)
    report.figures = [
        charts_module.rate_chart("units", "按主办单位合格率（由高到低）",
                                 [(t.label, t.passed, t.failed, t.checked) for t in units]),
        charts_module.stack_chart("platforms", "按类型检查结论",
                                  [(t.label, {"pass": t.passed, "fail": t.failed, "review": t.review})
                                   for t in report.by_platform]),
    ]
    if len(report.trend) >= 2:
        report.figures.append(charts_module.trend_chart(
            "trend", f"近{len(report.trend)}次检查的合格率与不合格数", report.trend))
    report.figures.append(charts_module.stage_chart("stages", "预警情况（本次检查）", report.stages))


def _content(results: Sequence[AccountResult]) -> list[ContentRow]:
    """Confirmed hits first, then open ones; accounts in report order. Already masked."""
    rows = []
    for r in sorted(results, key=_sort_key):
        for hit in r.content_hits:
            if hit.status == "dismissed":
                continue
            decided = f"{hit.reviewer}：{hit.reason}" if hit.reviewer and hit.reason else (hit.reviewer or "")
            rows.append((hit.status != "confirmed", ContentRow(
                0, _region(r), r.account.owner, r.account.name, _platform(r.account.platform), hit.label,
                hit.matched, hit.correct or "", hit.snippet,
                to_beijing(hit.posted_at) if hit.posted_at else None, hit.url or "",
                CONTENT_STATUS_LABELS[hit.status], decided)))
    ordered = [row for _, row in sorted(rows, key=lambda pair: pair[0])]
    for number, row in enumerate(ordered, 1):
        row.number = number
    return ordered


# -- links -------------------------------------------------------------------------------------


def evidence_href(path: str, base: Optional[Path]) -> str:
    """A link to an evidence file from a report written in ``base`` (relative when possible)."""
    target = Path(path).resolve()
    if base is not None:
        try:
            relative = os.path.relpath(target, base.resolve())
        except ValueError:  # another drive on Windows
            return target.as_uri()
        return "/".join(jinja2.utils.url_quote(part) for part in Path(relative).parts)
    return target.as_uri()


# -- HTML --------------------------------------------------------------------------------------

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("nmaudit", "templates"),
    autoescape=True,  # every name and message was captured from a platform or typed by a clerk
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fmt_date(value: Optional[date]) -> str:
    return value.strftime("%Y-%m-%d") if value else NONE_MARK


_ENVIRONMENT.filters["date"] = _fmt_date


def render_html(report: Report, base: Optional[Path] = None) -> str:
    """The notice as one HTML page; evidence links are relative to ``base`` (the report's folder)."""
    template = _ENVIRONMENT.get_template("report.html.j2")
    return template.render(report=report, href=lambda path: evidence_href(path, base),
                           failing_columns=FAILING_COLUMNS, tally_columns=TALLY_COLUMNS,
                           reviewed_columns=REVIEWED_COLUMNS, manual_columns=MANUAL_COLUMNS,
                           content_columns=CONTENT_COLUMNS,
                           content_heading=CONTENT_HEADING, content_note=CONTENT_NOTE,
                           chart_bar=CHART_BAR, ranking=ranking_module, draw=charts_module.render)


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(value: Any) -> str:
    """Untrusted text for a Markdown table cell or paragraph: no markup, no HTML, one line."""
    text = NONE_MARK if value is None or value == "" else str(value)
    return _MD_SPECIAL.sub(r"\\\1", visible(" ".join(text.split())))


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines.extend("| " + " | ".join(md(cell) for cell in row) + " |" for row in rows)
    return lines + [""]


def _tally_cells(tally: Tally) -> list[Any]:
    return [tally.label, tally.checked, tally.passed, tally.failed, tally.review, tally.rate_text]


def render_markdown(report: Report, base: Optional[Path] = None) -> str:
    """The notice in Markdown, for pasting into documents."""
    lines = [f"# {report.title}", "",
             f"批次 {md(report.run_id)}　登记表 {md(report.registry)}　监测时间点 {report.as_of:%Y-%m-%d %H:%M}", "",
             "## 一、总体情况", "", md(report.overview), ""]
    lines += ["### 按类型", ""] + _md_table(("类型", *TALLY_COLUMNS), map(_tally_cells, report.by_platform))
    lines += [f"### 按{report.group_label}", ""] + _md_table(
        (report.group_label, *TALLY_COLUMNS), map(_tally_cells, [*report.by_group, report.totals]))
    lines += ["## 二、不合格政务新媒体", ""]
    if report.failing:
        lines += _md_table(FAILING_COLUMNS, (
            (row.number, row.region, row.owner, row.name, row.platform, row.problems, _fmt_date(row.newest_post))
            for row in report.failing))
    else:
        lines += ["本次检查未发现不合格政务新媒体。", ""]
    lines += ["## 三、发现的主要问题", ""]
    for number, group in enumerate(report.problems, 1):
        lines += [f"{number}. **{group.heading}**：{md(group.sentence)}"]
        lines += [f"    - {md(a.name)}（{md(a.owner)}）：{md('；'.join(a.details))}" for a in group.accounts]
    lines += [""] if report.problems else ["未发现问题。", ""]
    if report.recheck is not None:
        lines += ["## 四、上期问题复核情况", "", md(report.recheck.summary), ""]
        lines += _md_table(
            ("序号", "地区/部门", "主办单位", "账号名称", "类型", "上期结论", "上期问题", "本次结论", "本次问题", "复核结果"),
            ((r.number, r.region, r.owner, r.name, r.platform, r.before, r.before_problems, r.after,
              r.after_problems, r.status) for r in report.recheck.rows))
    lines += ["## 需人工复核", ""]
    if report.reviews:
        lines += _md_table(("序号", "地区/部门", "主办单位", "账号名称", "类型", "原因"), (
            (r.number, r.region, r.owner, r.name, r.platform, r.reasons) for r in report.reviews))
    else:
        lines += ["无待复核账号。", ""]
    if report.reviewed:
        lines += ["人工复核改变的结论：", ""]
        lines += _md_table(REVIEWED_COLUMNS, (
            (*row.cells()[:-1], f"{row.at:%Y-%m-%d %H:%M}") for row in report.reviewed))
    if report.manual:
        lines += ["人工核查（在应用中查看所见）：", ""]
        lines += _md_table(MANUAL_COLUMNS, ((*row.cells()[:-1], f"{row.at:%Y-%m-%d %H:%M}") for row in report.manual))
    if report.not_checked:
        lines += ["未经机器检查、需人工核查的指标：", ""]
        lines += _md_table(("类型", "账号数", "需人工核查的指标", "机器检查的来源"), (
            (r.platform, r.accounts, r.indicators, r.sources) for r in report.not_checked))
    if report.rankings is not None:
        lines += _md_rankings(report.rankings)
    if report.content:
        lines += [CONTENT_HEADING + "：", "", md(CONTENT_NOTE), ""]
        lines += _md_table(CONTENT_COLUMNS, (
            (*row.cells()[:9], f"{row.posted_at:%Y-%m-%d %H:%M}" if row.posted_at else None, *row.cells()[10:])
            for row in report.content))
    lines += ["## 证据截图", ""]
    for group in report.evidence:
        if group.verdict == "pass":
            continue
        shots = "、".join(f"[{md(shot.caption)}](<{evidence_href(shot.path, base)}>)" for shot in group.shots)
        lines.append(f"- {md(group.name)}（{md(group.owner)}，{md(group.platform)}，{group.verdict_label}）：{shots}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_rankings(rankings: "Rankings") -> list[str]:
    lines = ["## 排名", "", md(ranking_module.heading(rankings)), "", "### 单位排名", ""]
    lines += _md_table(ranking_module.UNIT_COLUMNS,
                       (ranking_module.shown(ranking_module.unit_cells(row), 7) for row in rankings.units))
    lines += ["### 账号排名", ""]
    lines += _md_table(ranking_module.ACCOUNT_COLUMNS,
                       (ranking_module.shown(ranking_module.account_cells(row), 8) for row in rankings.accounts))
    return lines


# -- xlsx --------------------------------------------------------------------------------------

PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _width(value: Any) -> int:
    """Display width: CJK characters take two columns."""
    text = _fmt_date(value) if isinstance(value, date) else str(value if value is not None else "")
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _sheet(book: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
           formats: Optional[dict[str, str]] = None) -> None:
    """One table on its own sheet: typed cells (unknown values empty), a frozen header row, an
    autofilter, fitted widths."""
    sheet = book.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    widths = [_width(h) for h in headers]
    for row in rows:
        # None stays an empty cell: a number or date column holds nothing else. Text from the
        # registry and the platforms could be read as a formula or hold characters XML refuses.
        values = [spreadsheet(v) for v in row]
        sheet.append(values)
        widths = [max(w, _width(v)) for w, v in zip(widths, values)]
    for index, header in enumerate(headers):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif (formats or {}).get(header) and isinstance(cell.value, (int, float)):
                cell.number_format = formats[header]
            cell.alignment = Alignment(vertical="top", wrap_text=_width(cell.value) > 60)
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(widths[index] + 2, 6), 62)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _tally_row(tally: Tally) -> list[Any]:
    return [tally.label, tally.checked, tally.passed, tally.failed, tally.review, tally.rate]


def render_xlsx(report: Report) -> bytes:
    """The notice's tables as an Excel workbook, one sheet per table."""
    book = Workbook()
    book.remove(book.active)
    rate = {"合格率": PERCENT_FORMAT}
    _sheet(book, "总体情况", ("批次", "登记表", "监测时间点", "登记", *TALLY_COLUMNS),
           [[report.run_id, report.registry, report.as_of.replace(tzinfo=None), report.registered,
             *_tally_row(report.totals)[1:]]], rate)
    _sheet(book, "按类型", ("类型", *TALLY_COLUMNS), map(_tally_row, report.by_platform), rate)
    _sheet(book, f"按{report.group_label}", (report.group_label, *TALLY_COLUMNS),
           map(_tally_row, report.by_group), rate)
    _add_charts(book, report, rate)
    _sheet(book, "不合格账号", FAILING_COLUMNS, (
        (r.number, r.region, r.owner, r.name, r.platform, r.problems, r.newest_post) for r in report.failing))
    _sheet(book, "问题分类", ("问题", "账号名称", "主办单位", "类型", "情况"), (
        (g.heading, a.name, a.owner, a.platform, "；".join(a.details)) for g in report.problems for a in g.accounts))
    _sheet(book, "待复核", ("序号", "地区/部门", "主办单位", "账号名称", "类型", "原因"), (
        (r.number, r.region, r.owner, r.name, r.platform, r.reasons) for r in report.reviews))
    if report.reviewed:
        _sheet(book, "人工复核改判", REVIEWED_COLUMNS,
               ((*row.cells()[:-1], row.at.replace(tzinfo=None)) for row in report.reviewed))
    if report.manual:
        _sheet(book, "人工核查", MANUAL_COLUMNS, ((*row.cells()[:-1], row.at.replace(tzinfo=None)) for row in report.manual))
    if report.content:
        _sheet(book, "内容疑点", CONTENT_COLUMNS, (
            (*row.cells()[:9], row.posted_at.replace(tzinfo=None) if row.posted_at else None, *row.cells()[10:])
            for row in report.content))
    _sheet(book, "需人工核查指标", ("类型", "账号数", "需人工核查的指标", "机器检查的来源"), (
        (r.platform, r.accounts, r.indicators, r.sources) for r in report.not_checked))
    if report.recheck is not None:
        _sheet(book, "复核", ("序号", "地区/部门", "主办单位", "账号名称", "类型", "上期结论", "上期问题",
                             "本次结论", "本次问题", "复核结果"), (
            (r.number, r.region, r.owner, r.name, r.platform, r.before, r.before_problems, r.after,
             r.after_problems, r.status) for r in report.recheck.rows))
    if report.rankings is not None:
        _sheet(book, "单位排名", ranking_module.UNIT_COLUMNS,
               map(ranking_module.unit_cells, report.rankings.units), rate)
        _sheet(book, "账号排名", ranking_module.ACCOUNT_COLUMNS,
               map(ranking_module.account_cells, report.rankings.accounts), rate)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


#: Sheets the workbook's charts are drawn from (each chart bound to its sheet's cells).
UNIT_SHEET, TREND_SHEET, STAGE_SHEET = "按单位", "走势", "预警"
TREND_COLUMNS = ("监测时间点", "批次", "合格", "不合格", "待复核", "合格率")
STAGE_COLUMNS = ("预警状态", "账号数")


def _add_charts(book: Workbook, report: Report, rate: dict[str, str]) -> None:
    """The notice's charts as native Excel charts, bound to the sheets' cells, so staff can
    restyle and copy them: 合格率 per unit, verdicts per platform (stacked), the trend over
    runs, warning stages. Every bar shows its number (data labels)."""
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.chart.label import DataLabelList

    def labelled(chart: Any, number_format: Optional[str] = None) -> Any:
        chart.dataLabels = DataLabelList()
        chart.dataLabels.showVal = True
        if number_format:
            chart.dataLabels.numFmt = number_format
        return chart

    def bars(title: str, sheet: Any, rows: int, first_column: int, last_column: int, *, horizontal: bool = True,
             percent: bool = False) -> BarChart:
        chart = BarChart()
        chart.type = "bar" if horizontal else "col"
        chart.title = title
        chart.add_data(Reference(sheet, min_col=first_column, max_col=last_column, min_row=1, max_row=rows + 1),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
        if horizontal:
            chart.x_axis.scaling.orientation = "maxMin"  # the first row on top, as in the table
        if percent:
            chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
            chart.y_axis.number_format = PERCENT_FORMAT
        chart.height = max(6.0, 1.2 + 0.6 * rows)
        chart.width = 18
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        return labelled(chart, PERCENT_FORMAT if percent else None)

    _sheet(book, UNIT_SHEET, ("主办单位", *TALLY_COLUMNS), map(_tally_row, report.by_unit), rate)
    units = book[UNIT_SHEET]
    chart = bars("按主办单位合格率（由高到低）", units, len(report.by_unit), 6, 6, percent=True)
    chart.legend = None
    units.add_chart(chart, "H2")

    platforms = book["按类型"]
    rows = len(report.by_platform)
    stacked = bars("按类型检查结论", platforms, rows, 3, 5)
    stacked.grouping = "stacked"
    stacked.overlap = 100
    for series, colour in zip(stacked.series, ("2E7D32", "C62828", "E65100")):
        series.graphicalProperties.solidFill = colour
    platforms.add_chart(stacked, "H2")

    if len(report.trend) >= 2:
        _sheet(book, TREND_SHEET, TREND_COLUMNS, (
            (to_beijing(p.as_of).replace(tzinfo=None), p.run_id, p.passed, p.failed, p.review, p.rate)
            for p in report.trend), rate)
        trend_sheet = book[TREND_SHEET]
        count = len(report.trend)
        for title, column, number_format, anchor in (("合格率走势", 6, PERCENT_FORMAT, "H2"),
                                                     ("不合格数走势", 4, None, "H20")):
            line = LineChart()
            line.title = title
            line.add_data(Reference(trend_sheet, min_col=column, min_row=1, max_row=count + 1), titles_from_data=True)
            line.set_categories(Reference(trend_sheet, min_col=1, min_row=2, max_row=count + 1))
            line.x_axis.number_format = "mm-dd hh:mm"
            line.series[0].marker.symbol = "circle" if column == 6 else "square"
            if number_format:
                line.y_axis.number_format = number_format
                line.y_axis.scaling.min, line.y_axis.scaling.max = 0, 1
            line.x_axis.delete = False
            line.y_axis.delete = False
            line.width, line.height = 18, 8
            trend_sheet.add_chart(labelled(line, number_format), anchor)

    _sheet(book, STAGE_SHEET, STAGE_COLUMNS,
           ((STAGE_LABELS[stage], report.stages.get(stage, 0)) for stage in STAGES))
    stages = book[STAGE_SHEET]
    stage_bars = bars("预警情况（本次检查）", stages, len(STAGES), 2, 2)
    stage_bars.legend = None
    stages.add_chart(stage_bars, "D2")
