"""Telling the responsible units (and their supervisors) what changed: staged warnings
(红黄蓝预警) by Apprise, once per change.

Each unit gets one message per run listing its accounts whose warning state changed since the
state last delivered to it (a new or higher stage, a new warning, a recovery); nothing while
an account stays where it was. Each supervisor gets a digest of its region when something in
it changed. Every message and its outcome is stored, so a failed one is re-sent later
(`resend`) and the next run knows what is news. Sending never raises: a dead channel is a
failed row, not a failed audit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional

import apprise

from .alerts import STAGE_LABELS, STAGES, AccountStatus, run_statuses
from .contacts import EVERYWHERE, Channel, Contacts
from .dates import now, to_beijing
from .errors import StoreError
from .models import PLATFORM_LABELS, RunResult
from .store import Store

__all__ = ["Change", "Message", "Plan", "plan_notifications", "notify_run", "resend", "send_apprise"]

#: The stages a supervisor's digest names one by one when accounts enter them.
ALARMING = ("red", "fail")

StateKey = tuple[str, tuple[str, ...]]
Sender = Callable[[Channel, str, str], Optional[str]]  # channel, title, body -> None or the error


@dataclass(frozen=True)
class Change:
    """An account whose warning state differs from what its unit was last told."""

    status: AccountStatus
    before: Optional[StateKey]  # what the unit was last told; None: never told anything

    @property
    def kind(self) -> str:
        if not self.status.warned:
            return "recovered"
        return "new" if self.before is None else "changed"

    def line(self) -> str:
        """One line of a unit message."""
        status = self.status
        if self.kind == "recovered":
            before = STAGE_LABELS[self.before[0]] if self.before and self.before[0] != "ok" else "预警"
            text = f"【已恢复】{status.label}：原为{before}，现已恢复正常"
            detail = status.details[0] if status.details else ""
            return f"{text}（{detail}）" if detail else text
        label = STAGE_LABELS[status.stage] if status.stage != "ok" else "提醒"
        text = f"【{label}】{status.label}：{status.describe() or '见检查结果'}"
        if self.before is not None and self.before[0] != status.stage:
            text += f"（原为{STAGE_LABELS[self.before[0]]}）"
        return text + (f"。证据：{status.evidence}" if status.evidence else "")


@dataclass
class Message:
    kind: str  # "unit" | "supervisor"
    recipient: str  # the unit (or region) told, or the supervisors' region ("*": all)
    title: str
    body: str
    channels: list[Channel]
    changes: list[Change] = field(default_factory=list)  # unit messages: the accounts it tells of


@dataclass
class Plan:
    run_id: str
    messages: list[Message]
    #: Changed accounts whose owner and region have no contact, per owner unit: told nobody.
    unrouted: dict[str, list[AccountStatus]] = field(default_factory=dict)
    unrouted_changes: list[Change] = field(default_factory=list)


@dataclass
class Outcome:
    """What happened to each message and channel of a run."""

    run_id: str
    sent: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    unrouted: dict[str, list[AccountStatus]] = field(default_factory=dict)


def changes(statuses: list[AccountStatus], last: dict[str, StateKey]) -> list[Change]:
    """The accounts whose state is news: warned and different from what was last told, or
    recovered after a warning."""
    found = []
    for status in statuses:
        before = last.get(status.account_id)
        if status.warned and status.key != before:
            found.append(Change(status, before))
        elif not status.warned and before is not None and before != status.key:
            found.append(Change(status, before))
    return found


def plan_notifications(run: RunResult, contacts: Contacts, last: dict[str, StateKey]) -> Plan:
    """Every message a run calls for, given the states last delivered (pure)."""
    statuses = run_statuses(run, contacts.review_url)
    found = changes(statuses, last)
    moment = f"{to_beijing(run.run.as_of):%Y-%m-%d %H:%M}"
    plan = Plan(run_id=run.run.id, messages=[])
    by_recipient: dict[str, list[Change]] = {}
    for change in found:
        status = change.status
        recipient = contacts.recipient(status.owner, status.region)
        if recipient is None:
            plan.unrouted.setdefault(status.owner, []).append(status)
            plan.unrouted_changes.append(change)
        else:
            by_recipient.setdefault(recipient, []).append(change)
    for recipient, told in by_recipient.items():
        lines = [f"{recipient}：本次检查（{moment}）有{len(told)}个账号预警状态变化："]
        lines += [f"{number}. {change.line()}" for number, change in enumerate(told, 1)]
        lines.append(f"批次 {run.run.id}")
        plan.messages.append(Message(
            kind="unit", recipient=recipient, title=f"【政务新媒体预警】{recipient} {moment[:10]}",
            body="\n".join(lines), channels=contacts.channels_of("unit", recipient), changes=told))
    for region, channels in contacts.supervisors.items():
        scope = [s for s in statuses if region == EVERYWHERE or s.region == region]
        news = [c for c in found if region == EVERYWHERE or c.status.region == region]
        if not news:
            continue
        name = "全部" if region == EVERYWHERE else region
        plan.messages.append(Message(
            kind="supervisor", recipient=region, title=f"【政务新媒体预警汇总】{name} {moment[:10]}",
            body=digest(name, run.run.id, moment, scope, news), channels=channels))
    return plan


def digest(name: str, run_id: str, moment: str, scope: list[AccountStatus], news: list[Change]) -> str:
    """A supervisor's digest: counts per stage, new reds and failures, 待复核 still open."""
    counts = {stage: sum(1 for s in scope if s.stage == stage) for stage in STAGES}
    lines = [f"{name}政务新媒体预警汇总（监测时间点 {moment}，批次 {run_id}）",
             f"共{len(scope)}个账号：" + "、".join(f"{STAGE_LABELS[s]}{counts[s]}" for s in STAGES)]
    for stage in ALARMING:
        entered = [c.status for c in news if c.status.stage == stage and (c.before is None or c.before[0] != stage)]
        if entered:
            lines.append(f"新增{STAGE_LABELS[stage]}{len(entered)}个：")
            lines += [f"- {s.name}（{PLATFORM_LABELS.get(s.platform, s.platform)}，{s.owner}）：{_brief(s)}"
                      for s in entered]
    open_reviews = [s for s in scope if s.stage == "review"]
    if open_reviews:
        lines.append(f"待复核{len(open_reviews)}个：")
        lines += [f"- {s.name}（{PLATFORM_LABELS.get(s.platform, s.platform)}，{s.owner}）：{'、'.join(s.problems)}"
                  for s in open_reviews]
    recovered = [c.status for c in news if c.kind == "recovered"]
    units = {c.status.owner for c in news}
    closing = f"本次{len(news)}个账号状态变化，涉及{len(units)}个单位"
    if recovered:
        closing += f"；已恢复{len(recovered)}个：" + "、".join(s.label for s in recovered)
    lines.append(closing + "。")
    return "\n".join(lines)


def _brief(status: AccountStatus) -> str:
    """A digest's few words on an account: why it failed, or how little time is left."""
    idle = f"已{status.idle_days}天未更新" if status.idle_days is not None and not status.lower_bound else ""
    if status.stage == "fail":
        return "、".join(status.problems) + (f"（{idle}）" if idle else "")
    left = f"，距不合格还剩{status.days_left}天" if status.days_left is not None else ""
    return idle + left


def send_apprise(channel: Channel, title: str, body: str) -> Optional[str]:
    """Send one message through one channel; None when it was taken, else why not."""
    sender = apprise.Apprise()
    if not sender.add(channel.url):
        return "无法识别的通道地址"
    # Warnings only: debug lines would carry the payload and the full address (secrets).
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        try:
            ok = sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
        except Exception as error:  # a plugin bug must not lose the audit: report it as a failure
            return f"{type(error).__name__}: {error}"
    if ok:
        return None
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return "；".join(lines[-3:]) or "发送失败"


def notify_operator(contacts: Contacts, title: str, body: str, send: "Sender" = send_apprise) -> list[str]:
    """Tell the operator (the contacts file's `operator` channels) something that needs them;
    why each channel failed (empty: every one took it, or there is none)."""
    failures = []
    for channel in contacts.operator:
        if (why := send(channel, title, body)) is not None:
            failures.append(f"{channel.shown}：{why}")
    return failures


def notify_run(store: Store, run_id: str, contacts: Contacts, dry_run: bool = False,
               send: Sender = send_apprise, at: Optional[Callable[[], datetime]] = None) -> tuple[Plan, Outcome]:
    """Plan a stored run's messages and (unless `dry_run`) send and keep them.

    A run is notified once: a second call raises StoreError (re-send failures with `resend`)."""
    clock = at or now
    run = store.load_run(run_id)
    if store.notices(run_id):
        raise StoreError(f"批次 {run_id} 已发送过通知；重发失败的消息请用 --resend")
    plan = plan_notifications(run, contacts, store.last_notified(run.run))
    outcome = Outcome(run_id=run_id, unrouted=plan.unrouted)
    if dry_run:
        return plan, outcome
    rows, targets = [], []
    created = clock().isoformat()
    for message in plan.messages:
        for channel in message.channels:
            rows.append({"kind": message.kind, "recipient": message.recipient, "channel": channel.shown,
                         "title": message.title, "body": message.body, "created_at": created})
            targets.append(channel)
    told = [(m.recipient, c) for m in plan.messages if m.kind == "unit" for c in m.changes]
    # Accounts with no unit to tell are kept too (recipient ""), so that they are news once per
    # change (on stderr and in a digest), not every day.
    told += [("", c) for c in plan.unrouted_changes]
    states = [{"account_id": c.status.account_id, "recipient": recipient, "stage": c.status.stage,
               "alerts": c.status.alerts, "change": c.kind} for recipient, c in told]
    ids = store.add_notices(run_id, rows, states)
    for notice_id, row, channel in zip(ids, rows, targets):
        _attempt(store, notice_id, row, channel, send, clock, outcome)
    return plan, outcome


def resend(store: Store, run_id: str, contacts: Contacts, send: Sender = send_apprise,
           at: Optional[Callable[[], datetime]] = None) -> Outcome:
    """Try a run's failed messages again, each through the channel of the contacts file that
    it failed on (matched by its masked address)."""
    clock = at or now
    store.run_info(run_id)
    outcome = Outcome(run_id=run_id)
    for row in store.notices(run_id, status="failed") + store.notices(run_id, status="pending"):
        channel = next((c for c in contacts.channels_of(row["kind"], row["recipient"]) if c.shown == row["channel"]),
                       None)
        if channel is None:
            row = {**row, "error": f"通讯录中已没有此通道：{row['channel']}"}
            outcome.failed.append(row)
            continue
        _attempt(store, row["id"], row, channel, send, clock, outcome)
    return outcome


def _attempt(store: Store, notice_id: int, row: dict, channel: Channel, send: Sender,
             clock: Callable[[], datetime], outcome: Outcome) -> None:
    error = send(channel, row["title"], row["body"])
    store.mark_notice(notice_id, error is None, error, clock())
    (outcome.sent if error is None else outcome.failed).append({**row, "id": notice_id, "error": error})


def render_plan(plan: Plan) -> str:
    """The messages exactly as they would be sent, each with its channels (secrets masked)."""
    blocks = []
    for message in plan.messages:
        who = "单位" if message.kind == "unit" else "督办汇总"
        head = [f"=== {who}：{message.recipient}", *(f"→ {c.shown}" for c in message.channels)]
        blocks.append("\n".join([*head, message.title, message.body]))
    if not blocks:
        blocks.append(f"批次 {plan.run_id}：没有需要通知的变化")
    return "\n\n".join(blocks) + "\n"
