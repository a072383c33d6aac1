"""Staged warnings (红黄蓝预警): per account, the stage a judged run puts it in, the days left
before 不合格, and the other warnings staff act on. Pure: a judged account in, a status out.

Stages rise with idle days proved by a source that lists the newest posts: 蓝 / 黄 / 红 when
the idle days exceed the policy's lines (default 7 / 10 / 12), 不合格 when the verdict is
不合格 (idle beyond fail_idle_days, or any other veto). A source that shows only some posts
gives a lower bound: it may prove activity, never idleness, so it never raises a stage; its
days left are worded "至少". Past a stage's line it raises a possible warning (疑似, alert
maybe-<stage>), worded "如已更新请忽略；距2周期限至多还剩N天", never 不合格. 待复核 accounts say
what could not be seen. An account an `audit --due` run carried over says the date of the
check that proved its state (上次核验).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional
from urllib.parse import quote

from .dates import to_beijing
from .indicators import review_reason
from .models import (FINDING_LABELS, INDICATOR_LABELS, PLATFORM_LABELS, AccountResult, Finding, Judgement, Observation,
                     Policy, RunResult)

#: Every stage, from all-clear to the worst; `ok` is no warning at all.
STAGES = ("ok", "blue", "yellow", "red", "fail", "review")
STAGE_LABELS = {
    "ok": "正常", "blue": "蓝色预警", "yellow": "黄色预警", "red": "红色预警", "fail": "不合格", "review": "待复核",
}
#: The idle-day stages and their default lines: a stage starts when idle days exceed its line.
IDLE_STAGES = ("blue", "yellow", "red")
DEFAULT_LINES = {"blue": 7, "yellow": 10, "red": 12}

#: Warnings besides the stage, each raised by findings (or the failure streak).
ALERT_LABELS = {
    "interaction": "互动功能失效",
    "identity": "名称或认证主体变更",
    "app": "客户端无法下载",
    "gone": "账号已注销或被屏蔽",
    "streak": "连续多次检查不合格",
    # A lower bound past a stage's line: the account *may* be late (疑似), never that it is.
    "maybe-blue": "疑似蓝色预警（仅见较早发布，可能已更新）",
    "maybe-yellow": "疑似黄色预警（仅见较早发布，可能已更新）",
    "maybe-red": "疑似红色预警（仅见较早发布，可能已更新）",
}
_ALERT_CODES = {
    "no-interaction": "interaction",
    "name-mismatch": "identity",
    "certification-mismatch": "identity",
    "changed-since-last-run": "identity",
    "app-unavailable": "app",
    "account-gone": "gone",
}


_ADDRESS = re.compile(r"https?://\S+")


def stage_lines(policy: Policy) -> dict[str, int]:
    """The idle-day line of each stage in effect: the policy's, else the default, kept only
    when it lies below fail_idle_days (a line at or past it would be 不合格 already)."""
    lines = {}
    for stage in IDLE_STAGES:
        days = getattr(policy, f"{stage}_idle_days")
        days = DEFAULT_LINES[stage] if days is None else days
        if days < policy.fail_idle_days:
            lines[stage] = days
    return lines


def idle_stage(idle_days: int, policy: Policy) -> str:
    """蓝 / 黄 / 红 / ok for idle days proved by a listing source (不合格 is the verdict's)."""
    stage = "ok"
    for name, days in stage_lines(policy).items():
        if idle_days > days:
            stage = name
    return stage


def span_label(days: int) -> str:
    """How notices name a stretch of days: 14 is "2周"."""
    return f"{days // 7}周" if days % 7 == 0 else f"{days}天"


@dataclass(frozen=True)
class AccountStatus:
    """One account's warning state in one run, and the words that tell it."""

    account_id: str
    name: str
    platform: str
    owner: str
    region: Optional[str]
    verdict: str
    stage: str
    alerts: tuple[str, ...] = ()
    idle_days: Optional[int] = None
    lower_bound: bool = False  # the newest post came from a source that does not list the newest posts
    newest_post: Optional[date] = None
    days_left: Optional[int] = None  # days still compliant after the check date (至少 when lower_bound)
    deadline: Optional[date] = None  # the last day a post keeps the account compliant
    reasons: tuple[str, ...] = ()  # for 不合格 and 待复核: what made it so, or what is missing
    problems: tuple[str, ...] = ()  # the same, as the notices name them (labels only)
    consecutive_failures: int = 0
    evidence: Optional[str] = None  # the review page of the account, or its first evidence file
    details: tuple[str, ...] = ()  # what describe() joins
    #: `audit --due`: not checked in this run; the state is the one proved on this date (上次核验).
    checked_on: Optional[date] = None

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """What a notification is about: a change of this is news, the same again is not."""
        return self.stage, self.alerts

    @property
    def warned(self) -> bool:
        return self.stage != "ok" or bool(self.alerts)

    @property
    def label(self) -> str:
        return f"{self.name}（{PLATFORM_LABELS.get(self.platform, self.platform)}）"

    def describe(self) -> str:
        """One line in Chinese: the idle days, the newest post, the days left, the reasons."""
        return "；".join(self.details)


def days_left_text(idle_days: int, fail_idle_days: int, check_date: date, lower_bound: bool) -> tuple[int, date, str]:
    """Days left before "N天未更新" makes the account 不合格, the last day a post keeps it
    compliant, and the sentence ("距2周未更新不合格还剩3天，最晚11月25日须更新")."""
    left = max(fail_idle_days - idle_days, 0)
    deadline = check_date + timedelta(days=left)
    span = span_label(fail_idle_days)
    if lower_bound:
        return left, deadline, f"距{span}未更新不合格至少还剩{left}天"
    return left, deadline, f"距{span}未更新不合格还剩{left}天，最晚{deadline.month}月{deadline.day}日须更新"


def account_status(result: AccountResult, review_url: Optional[str] = None, run_id: Optional[str] = None) -> AccountStatus:
    """The warning state of one judged account (after review: the verdict in effect)."""
    account, observation, judgement = result.account, result.observation, result.judgement
    policy = account.policy
    check_date = to_beijing(judgement.as_of).date()
    lower_bound = observation.newest_post_at is not None and not observation.newest_post_lists_newest
    newest = to_beijing(observation.newest_post_at).date() if observation.newest_post_at else None
    idle = judgement.idle_days
    checked_on = to_beijing(judgement.carried_as_of).date() if judgement.carried_as_of is not None else None
    if checked_on is not None and newest is not None and lower_bound:
        # Carried over: a lower bound's days are counted to tonight (the stage they may reach).
        idle = (check_date - newest).days

    codes = [f.code for f in judgement.findings]
    alerts = sorted({_ALERT_CODES[c] for c in codes if c in _ALERT_CODES})
    if judgement.verdict == "fail" and judgement.consecutive_failures >= policy.alert_failed_runs:
        alerts.append("streak")

    details: list[str] = []
    reasons: list[str] = []
    days_left = deadline = None
    if judgement.verdict == "fail":
        stage = "fail"
        reasons = [FINDING_LABELS.get(f.code, f.code) for f in judgement.findings if f.severity == "veto"]
    elif judgement.verdict == "review":
        stage = "review"
        # What left a required indicator 未能确认, named with it; a source whose indicators
        # others proved (a note) is not a reason.
        reasons = [_unseen(judgement, f, policy) for f in judgement.blocking()]
    elif idle is not None and not lower_bound:
        stage = idle_stage(idle, policy)
    else:
        stage = "ok"
    problems = [FINDING_LABELS.get(f.code, f.code) for f in judgement.blocking()] if stage in ("fail", "review") else []

    maybe = idle_stage(idle, policy) if lower_bound and idle is not None and stage == "ok" else "ok"
    if maybe != "ok":
        alerts.append(f"maybe-{maybe}")
    if checked_on is not None:
        details.append(f"本次未到期，沿用上次核验（{checked_on:%Y-%m-%d}）结果")
    if maybe != "ok":
        left = max(policy.fail_idle_days - idle, 0)
        details.append(f"{_source_label(observation)}显示最近文章为{idle}天前；如已更新请忽略；"
                       f"距{span_label(policy.fail_idle_days)}期限至多还剩{left}天")
        days_left, deadline = left, check_date + timedelta(days=left)
    elif newest is not None and idle is not None:
        if lower_bound and stage == "review":
            pass  # the reason says what the single source leaves unproved
        elif lower_bound:
            details.append(f"仅见{newest:%Y-%m-%d}的发布（该来源不列出最新发布，实际可能更近）")
        else:
            details.append(f"已{idle}天未更新（最新发布{newest:%Y-%m-%d}）")
        if idle <= policy.fail_idle_days and stage != "review":
            days_left, deadline, sentence = days_left_text(idle, policy.fail_idle_days, check_date, lower_bound)
            details.append(sentence)
    elif "update" in observation.checks and stage not in ("fail", "review"):
        details.append("未能确认最新发布时间")
    if stage == "fail":
        details.append("问题：" + "、".join(dict.fromkeys(reasons)))
    elif stage == "review":
        details.append("；".join(dict.fromkeys(reasons)))
    for alert in alerts:
        if alert == "streak":
            details.append(f"已连续{judgement.consecutive_failures}次检查不合格")
        elif alert == "identity":  # a warning; the others are vetoes, named among the reasons
            details.append(ALERT_LABELS[alert] + "未报备")

    return AccountStatus(
        account_id=account.id, name=account.name, platform=account.platform, owner=account.owner,
        region=account.region, verdict=judgement.verdict, stage=stage, alerts=tuple(alerts), idle_days=idle,
        lower_bound=lower_bound, newest_post=newest, days_left=days_left, deadline=deadline,
        reasons=tuple(dict.fromkeys(reasons)), problems=tuple(dict.fromkeys(problems)), consecutive_failures=judgement.consecutive_failures,
        evidence=_evidence(result, review_url, run_id), details=tuple(dict.fromkeys(details)), checked_on=checked_on,
    )


def _source_label(observation: Observation) -> str:
    """Who showed the newest post of a lower bound, as staff name it."""
    kinds = {source.url: source.kind for source in observation.sources}
    kind = kinds.get(observation.newest_post_source or "", "")
    if kind.startswith("sogou"):
        return "搜狗"
    if kind == "wechat-article" or kind.endswith("article"):
        return "所报备文章"
    return "所见来源"


def run_statuses(run: RunResult, review_url: Optional[str] = None) -> list[AccountStatus]:
    """Every account of a run, in registry order."""
    return [account_status(item, review_url, run.run.id) for item in run.results]


def _unseen(judgement: Judgement, finding: Finding, policy: Policy) -> str:
    """"内容更新未能确认：访问受限，需人工核查（…）": the required indicators a 待复核 finding left
    unproven, and what it says."""
    return review_reason(judgement, finding, policy.requires, _missing(finding.code, finding.message))


def _missing(code: str, message: str) -> str:
    """What a 待复核 finding leaves unseen, in the words staff act on (addresses left out:
    the evidence link leads to them)."""
    label = FINDING_LABELS.get(code, code)
    message = _ADDRESS.sub("", message).rstrip("：:，, ")
    return f"{label}（{message}）" if message and message not in label else label


def _evidence(result: AccountResult, review_url: Optional[str], run_id: Optional[str]) -> Optional[str]:
    """Where staff see the evidence: the review page when one is configured, else the first screenshot."""
    if review_url and run_id:
        return f"{review_url.rstrip('/')}/runs/{quote(run_id)}/accounts/{quote(result.account.id)}"
    shots = [path for path in result.observation.evidence if path.endswith((".jpg", ".jpeg", ".png"))]
    return (shots or result.observation.evidence or [None])[0]
