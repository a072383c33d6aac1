"""Due checks (`audit --due`): when each account's state can next change, and which of the
accounts due a night's politeness budget lets be checked. Pure: stored checks in, a plan out.

An account's state can change only when
- a warning or veto line is crossed: counted from the newest post proven (a lower bound L
  included: the real newest post is no older than L, so no line X can be crossed before the
  day L + X + 1); the lines are the staged warnings (蓝/黄/红), warn_idle_days, fail_idle_days
  and, for a source that lists the newest posts, zombie_idle_days;
- its identity (name, certification, gone) changes: checked at least every
  `identity_check_days` days (policy, default 7);
- or at any moment when it was 待复核 or 不合格 (it may be fixed), new, or filed differently
  since it was last checked: due the next night.

All dates are Beijing calendar days, as idle days are counted (inspection-rules.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, Optional, Sequence

from .alerts import stage_lines
from .dates import to_beijing
from .models import Account, LastCheck

#: Why an account is due, and what staff read.
REASONS = {
    "new": "尚无检查记录",
    "filed": "报备信息已变更",
    "review": "上次待复核",
    "fail": "上次不合格",
    "update": "可能越过更新期限线",
    "identity": "名称、认证定期核验",
}
#: Reasons whose date is a deadline: a night later, a warning or failure would be late (or the
#: identity interval exceeded). The others (待复核, 不合格) are checked as the budget allows.
HARD = ("new", "filed", "update", "identity")


@dataclass(frozen=True)
class DueCheck:
    """When one account is next worth checking."""

    account: Account
    due: date  # the first check date on which its state can change
    deadline: date  # the last check date it may wait until
    reason: str  # REASONS key
    last: Optional[LastCheck] = None
    line: Optional[int] = None  # reason "update": the idle-day line that may be crossed

    @property
    def hard(self) -> bool:
        return self.reason in HARD

    @property
    def label(self) -> str:
        if self.reason == "update" and self.line is not None:
            return f"{REASONS['update']}（{self.line}天）"
        return REASONS[self.reason]

    @property
    def last_checked(self) -> Optional[date]:
        return to_beijing(self.last.checked_at).date() if self.last is not None else None


def update_lines(account: Account, lists_newest: bool) -> list[int]:
    """The idle-day lines past which the account's state changes, smallest first."""
    policy = account.policy
    lines = {*stage_lines(policy).values(), policy.warn_idle_days, policy.fail_idle_days}
    if lists_newest:
        lines.add(policy.zombie_idle_days)  # a lower bound never proves a zombie
    return sorted(lines)


def _same_filing(filed: Account, checked: Optional[Account]) -> bool:
    if checked is None:
        return True
    keep = {"line"}
    return filed.model_dump(exclude=keep) == checked.model_dump(exclude=keep)


def next_check(account: Account, last: Optional[LastCheck]) -> DueCheck:
    """The account's next due check, from its last stored check (None: never checked)."""
    if last is None:
        today = date.min
        return DueCheck(account, today, today, "new")
    checked = to_beijing(last.checked_at).date()
    tomorrow = checked + timedelta(days=1)
    if not _same_filing(account, last.account):
        return DueCheck(account, tomorrow, tomorrow, "filed", last)
    verdict = last.judgement.verdict
    if verdict in ("review", "fail"):
        return DueCheck(account, tomorrow, tomorrow, verdict, last)
    identity = checked + timedelta(days=account.policy.identity_check_days)
    candidates = [DueCheck(account, identity, identity, "identity", last)]
    observation = last.observation
    if "update" in observation.checks and observation.newest_post_at is not None:
        newest = to_beijing(observation.newest_post_at).date()
        idle = (checked - newest).days
        ahead = [line for line in update_lines(account, observation.newest_post_lists_newest) if line >= idle]
        if ahead:
            crossing = newest + timedelta(days=ahead[0] + 1)
            candidates.append(DueCheck(account, crossing, crossing, "update", last, ahead[0]))
    return min(candidates, key=lambda item: (item.due, item.reason != "update"))


@dataclass
class NightPlan:
    """What one night checks and what it carries over."""

    night: date
    check: list[DueCheck] = field(default_factory=list)  # in order of urgency
    carry: list[DueCheck] = field(default_factory=list)  # not due, or over budget (see `late`)
    late: list[DueCheck] = field(default_factory=list)  # due by tonight, over budget: carried
    early: list[DueCheck] = field(default_factory=list)  # checked before due, a crowded night ahead
    #: Per budgeted host: what tonight uses of it, and the budget.
    used: dict[str, tuple[int, int]] = field(default_factory=dict)


#: Nights ahead the planner looks at to spread crowded nights onto earlier ones.
HORIZON = 14


#: Which goes first when a night cannot hold everything: a line crossed tonight would make a
#: warning or failure late; an identity check a day late stays within what the policy shows
#: (名称、认证 checked every N days); a 待复核 or 不合格 account waits for the budget.
URGENCY = {"update": 0, "new": 1, "filed": 1, "identity": 2, "review": 3, "fail": 3}


def _rank(item: DueCheck) -> tuple:
    return (URGENCY[item.reason], item.deadline, item.last_checked or date.min, item.account.id)


def plan_night(checks: Iterable[DueCheck], night: date, budgets: dict[str, int],
               hosts: Callable[[Account], Sequence[str]], horizon: int = HORIZON) -> NightPlan:
    """The accounts to check on `night` (a check date), within `budgets` (requests per budgeted
    host that night, over every egress): first what is due with a deadline (most urgent first),
    then what a crowded night ahead would not fit (pulled forward, latest deadline nearest), then
    待复核 and 不合格 accounts. An account with no budgeted host is checked whenever due."""
    plan = NightPlan(night)
    checks = list(checks)
    budgeted = {item.account.id: [host for host in hosts(item.account) if host in budgets] for item in checks}
    # Nights ahead, latest first: each keeps what is due on it while its budget lasts, and hands
    # the rest to the night before; what reaches tonight is checked early.
    reserved: dict[tuple[str, date], int] = Counter()
    spill: list[DueCheck] = []
    ahead = sorted((item for item in checks if item.hard and night < item.deadline <= night + timedelta(days=horizon)
                    and budgeted[item.account.id]), key=lambda item: item.deadline, reverse=True)
    for offset in range(horizon, 0, -1):
        day = night + timedelta(days=offset)
        candidates = sorted(spill + [item for item in ahead if item.deadline == day], key=_rank)
        spill = []
        for item in candidates:
            if all(reserved[(host, day)] < budgets[host] for host in budgeted[item.account.id]):
                for host in budgeted[item.account.id]:
                    reserved[(host, day)] += 1
            else:
                spill.append(item)
    due = [item for item in checks if item.due <= night]
    early_ids = {item.account.id for item in spill}
    order = sorted((item for item in due if item.hard), key=_rank) + sorted(
        spill, key=lambda item: (item.deadline, item.account.id)) + sorted(
        (item for item in due if not item.hard), key=_rank)
    used: Counter = Counter()
    chosen: set[str] = set()
    for item in order:
        needs = budgeted[item.account.id]
        if all(used[host] < budgets[host] for host in needs):
            for host in needs:
                used[host] += 1
            plan.check.append(item)
            chosen.add(item.account.id)
            if item.account.id in early_ids:
                plan.early.append(item)
        elif item.due <= night:
            plan.late.append(item)
    plan.carry = [item for item in checks if item.account.id not in chosen]
    plan.used = {host: (used[host], budget) for host, budget in budgets.items()}
    return plan


def check_date(moment: datetime) -> date:
    """The Beijing calendar day a check time falls on."""
    return to_beijing(moment).date()


def parse_budgets(values: Sequence[str], aliases: dict[str, str]) -> dict[str, int]:
    """`--budget sogou=300`-style values: host (or an alias of one) -> requests per egress a
    night. Raises ValueError with the reason."""
    budgets: dict[str, int] = {}
    for value in values:
        name, sep, count = value.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise ValueError(f"'{value}': expected HOST=N (e.g. sogou=300)")
        if not count.strip().isdigit() or int(count) < 1:
            raise ValueError(f"'{value}': expected a whole number of requests >= 1")
        host = aliases.get(name, name)
        if host in budgets:
            raise ValueError(f"two budgets for {name}")
        budgets[host] = int(count)
    return budgets
