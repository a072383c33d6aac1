"""The review queue (待人工核查): what needs a person, most urgent first. Pure.

An account is queued while its verdict in effect is 待复核: an indicator the policy requires
(or the account's existence) is 未能确认. Urgent first: an account that could already be past
the veto line (no post proven at all, or the newest proven post, a lower bound, older than
fail_idle_days) before one that cannot; then the oldest proof first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional
from urllib.parse import urlsplit

from .applinks import AppLink, app_links, search_hint
from .dates import idle_days, to_beijing
from .indicators import lines, problem
from .models import AccountResult, RunResult


@dataclass
class QueueItem:
    result: AccountResult
    position: int  # in the registry
    urgent: bool  # could already be past the veto line (超过14天未更新)
    lower_bound: Optional[datetime]  # the newest post any source proved
    seen: list[str]  # what the machine did see, for staff
    missing: list[str]  # what is left 未能确认 (or 未检查), for staff
    links: list[AppLink]
    hint: str  # what to search in the app
    asks: list[str] = field(default_factory=list)  # the answers offered: update, interaction, availability, certification

    @property
    def account(self):
        return self.result.account


def source_name(url: Optional[str]) -> str:
    """"搜狗" for a Sogou result, "公众号文章" for an article, the host otherwise."""
    if not url:
        return "来源"
    if url.startswith("人工"):
        return url
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("sogou.com"):
        return "搜狗"
    if host == "mp.weixin.qq.com":
        return "公众号页面"
    return host or url


def machine_saw(result: AccountResult) -> list[str]:
    """What the machine did see, in a line each: 搜狗显示最近发布 11月20日（仅证明此前有更新）."""
    observation, seen = result.observation, []
    if observation.newest_post_at is not None:
        moment = to_beijing(observation.newest_post_at)
        line = f"{source_name(observation.newest_post_source)}显示最近发布 {moment.month}月{moment.day}日"
        if not observation.newest_post_lists_newest:
            line += "（仅证明此前有更新，不能证明此后未更新）"
        seen.append(line)
    if observation.name is not None:
        seen.append(f"名称“{observation.name}”")
    if observation.certification is not None:
        seen.append(f"认证主体“{observation.certification}”" if observation.certification else "未认证")
    if observation.interaction_ok is not None:
        seen.append("报备的互动页面可以打开" if observation.interaction_ok else "报备的互动页面无法使用")
    if not seen:
        seen.append("机器未能读到该账号的任何内容")
    return seen


def missing(result: AccountResult) -> list[str]:
    """The indicators left 未能确认, with why, and those not visible publicly (未检查)."""
    said = []
    for line in lines(result.judgement):
        if line.state == "unconfirmed":
            said.append(problem(line))
        elif line.state == "unchecked":
            said.append(f"{line.label}未检查（公开页面无法查看）")
    return said


def asks(result: AccountResult) -> list[str]:
    """The answers worth offering for the account: what is open, and what a phone shows."""
    judgement, platform = result.judgement, result.account.platform
    open_ = {key for key, value in judgement.indicators.items() if value.state in ("unconfirmed", "unchecked")}
    wanted = []
    if platform != "app" or "update" in open_:
        wanted.append("update")
    wanted.append("interaction")
    if platform == "app" or "availability" in open_:
        wanted.append("availability")
    wanted.append("certification")
    return wanted


def entry(result: AccountResult, position: int, as_of: datetime) -> QueueItem:
    """One account as the queue shows it."""
    update = result.judgement.indicators.get("update")
    bound = result.observation.newest_post_at
    limit = result.account.policy.fail_idle_days
    urgent = (result.judgement.verdict == "review" and update is not None
              and update.state == "unconfirmed" and (bound is None or idle_days(bound, as_of) > limit))
    return QueueItem(
        result=result, position=position, urgent=urgent, lower_bound=bound, seen=machine_saw(result),
        missing=missing(result), links=app_links(result.account, result.observation),
        hint=search_hint(result.account), asks=asks(result),
    )


def queue(run: RunResult) -> list[QueueItem]:
    """The run's 待复核 accounts, most urgent first."""
    items = [entry(result, position, run.run.as_of) for position, result in enumerate(run.results)
             if result.judgement.verdict == "review"]
    # Urgent first; among them no proof at all, then the oldest proof; registry order last.
    return sorted(items, key=lambda item: (not item.urgent, item.lower_bound is not None,
                                           item.lower_bound.timestamp() if item.lower_bound else 0, item.position))


def settled(run: RunResult) -> list[AccountResult]:
    """The accounts the machine left 待复核 that a person's decision has settled."""
    return [result for result in run.results if result.machine_judgement is not None and result.review is not None
            and result.machine_judgement.verdict == "review" and result.judgement.verdict != "review"]
