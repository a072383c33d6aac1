"""Rankings and running figures (排名) over a period of stored runs: per account and per owner
unit, the days found compliant and non-compliant, the longest gap without a post, and the
warnings given (a new or different warning state, nmaudit.alerts). Pure but for `collect`.

A day counts once, by the latest run of that Beijing calendar day; a 待复核 day counts as
neither compliant nor non-compliant (could-not-see proves nothing), and a day without a run
is not counted at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from .alerts import account_status
from .dates import to_beijing
from .models import PLATFORM_LABELS, AccountResult, RunResult
from .store import Store

DEFAULT_DAYS = 30


@dataclass
class Figures:
    """One account's or one unit's running figures in the period."""

    label: str  # the account name, or the unit
    owner: str
    platform: str = ""  # accounts only: 微信, 微博...
    account_id: str = ""  # accounts only
    accounts: int = 1
    days_checked: int = 0
    days_compliant: int = 0
    days_noncompliant: int = 0
    days_review: int = 0
    longest_gap: Optional[int] = None  # days, proved by a source that lists the newest posts
    warnings: int = 0
    rank: int = 0

    @property
    def rate(self) -> Optional[float]:
        """Compliant days over judged days (待复核 days left out)."""
        judged = self.days_compliant + self.days_noncompliant
        return self.days_compliant / judged if judged else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass
class Rankings:
    start: date
    end: date
    runs: int  # runs counted (the latest of each day)
    units: list[Figures] = field(default_factory=list)
    accounts: list[Figures] = field(default_factory=list)

    @property
    def period(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"


def _rank(rows: list[Figures]) -> list[Figures]:
    """Best first: compliance rate, then fewer non-compliant days, fewer warnings, shorter gaps."""
    rows.sort(key=lambda f: (f.rate is None, -(f.rate or 0), f.days_noncompliant, f.warnings,
                             f.longest_gap or 0, f.label, f.account_id))
    for number, row in enumerate(rows, 1):
        row.rank = number
    return rows


def _gap(item: AccountResult, start: date) -> Optional[int]:
    """The longest gap this observation proves within the period: the idle days read from a
    listing source, and the gaps between its consecutive posts that end in the period."""
    observation = item.observation
    gaps = []
    if item.judgement.idle_days is not None and observation.newest_post_lists_newest:
        gaps.append(item.judgement.idle_days)
    for times in observation.listed_posts.values():
        days = sorted({to_beijing(t).date() for t in times})
        gaps.extend((later - earlier).days for earlier, later in zip(days, days[1:]) if later >= start)
    return max(gaps) if gaps else None


def rank_runs(runs: list[RunResult], start: date, end: date) -> Rankings:
    """Figures from runs (any order); only the accounts of the latest run are ranked."""
    runs = sorted((r for r in runs if start <= to_beijing(r.run.as_of).date() <= end),
                  key=lambda r: (r.run.as_of, r.run.started_at))
    if not runs:
        return Rankings(start, end, 0)
    latest_of_day = {to_beijing(r.run.as_of).date(): r for r in runs}  # later runs of a day win
    ranked = {item.account.id: item.account for item in runs[-1].results}
    figures = {
        account_id: Figures(label=account.name, owner=account.owner, account_id=account_id,
                            platform=PLATFORM_LABELS.get(account.platform, account.platform))
        for account_id, account in ranked.items()
    }
    for day_run in latest_of_day.values():
        for item in day_run.results:
            row = figures.get(item.account.id)
            if row is None:
                continue
            row.days_checked += 1
            verdict = item.judgement.verdict
            row.days_compliant += verdict == "pass"
            row.days_noncompliant += verdict == "fail"
            row.days_review += verdict == "review"
    told: dict[str, tuple] = {}
    for run in runs:
        for item in run.results:
            row = figures.get(item.account.id)
            if row is None:
                continue
            gap = _gap(item, start)
            if gap is not None:
                row.longest_gap = max(row.longest_gap or 0, gap)
            status = account_status(item)
            if status.warned and told.get(item.account.id) != status.key:
                row.warnings += 1
            told[item.account.id] = status.key
    units: dict[str, Figures] = {}
    for row in figures.values():
        unit = units.setdefault(row.owner, Figures(label=row.owner, owner=row.owner, accounts=0))
        unit.accounts += 1
        for name in ("days_checked", "days_compliant", "days_noncompliant", "days_review", "warnings"):
            setattr(unit, name, getattr(unit, name) + getattr(row, name))
        if row.longest_gap is not None:
            unit.longest_gap = max(unit.longest_gap or 0, row.longest_gap)
    return Rankings(start, end, len(latest_of_day), units=_rank(list(units.values())),
                    accounts=_rank(list(figures.values())))


def collect(store: Store, run_id: str, days: int = DEFAULT_DAYS) -> Rankings:
    """The rankings of the `days` Beijing calendar days up to run `run_id`'s check date, from
    the finished runs of the same registry (and the run itself)."""
    this = store.run_row(run_id)
    as_of = datetime.fromisoformat(this["as_of"])
    end = to_beijing(as_of).date()
    start = end - timedelta(days=days - 1)
    chosen = [row["id"] for row in store.list_runs()
              if row["id"] == run_id or (row["registry"] == this["registry"] and row["status"] == "finished"
                                         and not row["recheck_of"] and datetime.fromisoformat(row["as_of"]) <= as_of
                                         and start <= to_beijing(datetime.fromisoformat(row["as_of"])).date())]
    # A re-check audits only some accounts: it would count as a day for those alone.
    return rank_runs([store.load_run(run) for run in chosen], start, end)


UNIT_COLUMNS = ("排名", "主办单位", "账号数", "检查天数", "合格天数", "不合格天数", "待复核天数", "合格率",
                "最长未更新天数", "预警次数")
ACCOUNT_COLUMNS = ("排名", "账号名称", "类型", "主办单位", "检查天数", "合格天数", "不合格天数", "待复核天数",
                   "合格率", "最长未更新天数", "预警次数")


def unit_cells(row: Figures) -> list:
    """A unit's row; the rate as a fraction (None when nothing was judged), the gap None when unknown."""
    return [row.rank, row.label, row.accounts, row.days_checked, row.days_compliant, row.days_noncompliant,
            row.days_review, row.rate, row.longest_gap, row.warnings]


def account_cells(row: Figures) -> list:
    return [row.rank, row.label, row.platform, row.owner, row.days_checked, row.days_compliant,
            row.days_noncompliant, row.days_review, row.rate, row.longest_gap, row.warnings]


def shown(cells: list, rate_column: int) -> list[str]:
    """Cells as text: the rate as a percentage, unknown values as —."""
    text = []
    for index, value in enumerate(cells):
        if value is None:
            text.append("—")
        elif index == rate_column:
            text.append(f"{value * 100:.1f}%")
        else:
            text.append(str(value))
    return text


def heading(rankings: Rankings) -> str:
    """The section's sentence: which days and runs the figures come from."""
    return (f"统计期间 {rankings.period}（{(rankings.end - rankings.start).days + 1}天，其中{rankings.runs}天有检查，"
            "每天以当天最后一次检查为准；待复核的天数不计入合格或不合格，预警次数为预警状态新出现或变化的次数）")


def account_figures(rankings: Rankings, account_id: str) -> Optional[dict]:
    """One account's figures and ranks, for `history`; None when the account is not ranked."""
    row = next((r for r in rankings.accounts if r.account_id == account_id), None)
    if row is None:
        return None
    unit = next(u for u in rankings.units if u.label == row.owner)
    return {
        "start": rankings.start.isoformat(), "end": rankings.end.isoformat(), "days_with_runs": rankings.runs,
        "days_checked": row.days_checked, "days_compliant": row.days_compliant,
        "days_noncompliant": row.days_noncompliant, "days_review": row.days_review, "rate": row.rate,
        "longest_gap_days": row.longest_gap, "warnings": row.warnings,
        "rank": row.rank, "of_accounts": len(rankings.accounts),
        "unit": row.owner, "unit_rank": unit.rank, "of_units": len(rankings.units),
    }


def figures_text(figures: dict) -> str:
    """The account's running figures in one sentence."""
    rate = "—" if figures["rate"] is None else f"{figures['rate'] * 100:.1f}%"
    gap = "—" if figures["longest_gap_days"] is None else f"{figures['longest_gap_days']}天"
    return (f"{figures['start']} 至 {figures['end']}：检查{figures['days_checked']}天，合格{figures['days_compliant']}天，"
            f"不合格{figures['days_noncompliant']}天，待复核{figures['days_review']}天，合格率{rate}，最长未更新{gap}，"
            f"预警{figures['warnings']}次；账号排名第{figures['rank']}/{figures['of_accounts']}，"
            f"{figures['unit']}单位排名第{figures['unit_rank']}/{figures['of_units']}")
