"""Judging over time: re-judging a stored run, re-checks (复核), and keeping the store tidy.

Nothing here touches the network: a stored observation holds everything judging needs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Optional

from .charts import TrendPoint
from .dates import now
from .errors import StoreError
from .models import RECHECK_LABELS, AccountResult, Policy, RecheckItem, RunResult
from .rules import judge
from .snapshots import file_sha256
from .store import Store

__all__ = ["RECHECK_LABELS", "RecheckItem", "compare_runs", "rejudge", "verify_run", "prune"]


def _problem_codes(result: AccountResult) -> list[str]:
    """The findings that made the verdict: vetoes for a failure, review findings for 待复核."""
    return [f.code for f in result.judgement.blocking()]


def recheck_status(before: AccountResult, after: Optional[AccountResult]) -> str:
    if after is None:
        return "not-rechecked"
    verdict = after.judgement.verdict
    if verdict == "pass":
        return "fixed"
    if verdict == "review":
        return "still-review"
    earlier = set(_problem_codes(before))
    return "still-failing" if earlier & set(_problem_codes(after)) else "failing-other"


def compare_runs(earlier: RunResult, later: RunResult) -> list[RecheckItem]:
    """The earlier run's 不合格 and 待复核 accounts, each as the later run found it."""
    found = {item.account.id: item for item in later.results}
    items = []
    for before in earlier.results:
        if before.judgement.verdict not in ("fail", "review"):
            continue
        after = found.get(before.account.id)
        account = before.account
        items.append(RecheckItem(
            account_id=account.id, name=account.name, platform=account.platform, owner=account.owner,
            region=account.region, before=before.judgement.verdict,
            after=after.judgement.verdict if after else None, status=recheck_status(before, after),
            before_codes=_problem_codes(before), after_codes=_problem_codes(after) if after else [],
        ))
    return items


def accounts_to_recheck(run: RunResult) -> list[str]:
    """Ids of the accounts a re-check audits again: 不合格 and 待复核."""
    return [item.account.id for item in run.results if item.judgement.verdict in ("fail", "review")]


POLICY_FIELDS = ("warn_idle_days", "fail_idle_days", "zombie_idle_days")


def parse_policy(settings: list[str]) -> dict[str, int]:
    """`fail_idle_days=7`-style overrides, checked; raises ValueError with the reason."""
    values: dict[str, int] = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        name = name.strip()
        if name not in POLICY_FIELDS:
            raise ValueError(f"unknown policy setting '{name}' in '{setting}' (expected {', '.join(POLICY_FIELDS)})")
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"'{setting}': expected a whole number of days >= 1")
        values[name] = int(value)
    return values


def rejudge(store: Store, run_id: str, as_of: Optional[datetime] = None,
            policy: Optional[dict[str, int]] = None) -> RunResult:
    """A stored run judged again at another check time or policy, from its observations.

    History findings compare with the runs before this one, as when it was first judged.
    Nothing is written. Judges the machine's observations: staff review is left out."""
    stored = store.load_run(run_id, reviewed=False)
    check_time = as_of or stored.run.as_of
    results = []
    for item in stored.results:
        account = item.account
        if policy:
            merged = Policy(**{**account.policy.model_dump(), **policy})
            if merged.warn_idle_days > merged.fail_idle_days:
                raise ValueError(f"warn_idle_days ({merged.warn_idle_days}) is greater than "
                                 f"fail_idle_days ({merged.fail_idle_days}) for account {account.id}")
            account = account.model_copy(update={"policy": merged})
        carried = item.judgement.carried_from is not None
        if carried and as_of is None:
            # Carried over by `audit --due`: judged again at the check that proved it (上次核验).
            judgement = judge(account, item.observation, item.judgement.carried_as_of, store.prior(account.id, stored.run))
            judgement = judgement.model_copy(update={"as_of": check_time})
        else:
            judgement = judge(account, item.observation, check_time, store.prior(account.id, stored.run))
        if carried:
            judgement = judgement.model_copy(update={
                "carried_from": item.judgement.carried_from, "carried_as_of": item.judgement.carried_as_of})
        results.append(AccountResult(account=account, observation=item.observation, judgement=judgement,
                                     content_hits=item.content_hits))  # content is not judged: carried as found
    run = stored.run.model_copy(update={"as_of": check_time})
    return RunResult(run=run, results=results)


# -- evidence integrity ---------------------------------------------------------------------


@dataclass
class VerifyReport:
    run_id: str
    intact: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)  # in the run's folder, not in the database

    @property
    def ok(self) -> bool:
        return not (self.modified or self.missing or self.unrecorded)


def verify_run(store: Store, run_id: str) -> VerifyReport:
    """Every evidence file of a run against the SHA-256 and size recorded when it was captured."""
    report = VerifyReport(run_id)
    recorded = set()
    for row in store.evidence_rows(run_id):
        path = Path(row["path"])
        recorded.add(path.resolve())
        if not path.is_file():
            report.missing.append(row["path"])
        elif path.stat().st_size != row["size"] or file_sha256(path) != row["sha256"]:
            report.modified.append(row["path"])
        else:
            report.intact.append(row["path"])
    folder = run_folder(store, run_id)
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.resolve() not in recorded:
                report.unrecorded.append(str(path))
    return report


def run_folder(store: Store, run_id: str) -> Path:
    snapshots = store.run_row(run_id)["options"].get("snapshots", "snapshots")
    return Path(snapshots) / run_id


# -- retention ------------------------------------------------------------------------------


@dataclass
class PruneReport:
    deleted: list[str] = field(default_factory=list)
    kept_as_latest: list[str] = field(default_factory=list)  # old enough, but some account's latest run
    kept_with_filings: list[str] = field(default_factory=list)  # old enough, but a filing (报备) stands in it
    freed_bytes: int = 0


def _folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0


def prune(store: Store, keep_runs: Optional[int] = None, older_than_days: Optional[int] = None,
          dry_run: bool = False) -> PruneReport:
    """Delete old runs, rows and snapshots together; never the latest run of any account, nor
    a run holding a filing (报备) that later runs still rely on.

    A run goes when it is not among the newest `keep_runs`, or its check time is more than
    `older_than_days` ago (either condition, when both are given). Rows go first, in one
    transaction, then the folder: a crash in between leaves only an orphan folder."""
    if keep_runs is None and older_than_days is None:
        raise ValueError("say what to prune: --keep-runs N or --older-than DAYS")
    runs = store.list_runs()  # oldest first
    protected = store.latest_run_of_each_account()
    cutoff = now() - timedelta(days=older_than_days) if older_than_days is not None else None
    newest = {row["id"] for row in runs[-keep_runs:]} if keep_runs else set()
    candidates = []
    for row in runs:
        too_many = keep_runs is not None and row["id"] not in newest
        too_old = cutoff is not None and datetime.fromisoformat(row["as_of"]) < cutoff
        if too_many or too_old:
            candidates.append(row)
    filed = store.runs_with_filings()
    going = {row["id"] for row in candidates if row["id"] not in protected | filed}
    # A re-check that stays needs the run it re-checked.
    for row in runs:
        if row["id"] not in going and row["recheck_of"] in going:
            going.discard(row["recheck_of"])
    report = PruneReport()
    for row in candidates:
        if row["id"] not in going:
            (report.kept_with_filings if row["id"] in filed else report.kept_as_latest).append(row["id"])
            continue
        # Only the run's own folder: a HAR recorded elsewhere (--record PATH) is the user's file.
        folder = run_folder(store, row["id"])
        report.freed_bytes += _folder_size(folder)
        report.deleted.append(row["id"])
        if dry_run:
            continue
        store.delete_run(row["id"])
        if folder.is_dir():
            shutil.rmtree(folder)
    return report


def history_rows(store: Store, account_id: str) -> list[dict[str, Any]]:
    """The account's timeline, oldest first; an account never audited is an error."""
    rows = store.account_history(account_id)
    if not rows:
        raise StoreError(f"{store.path}: account '{account_id}' has not been audited")
    return rows


def trend(store: Store, run_id: str, runs: int = 12, days: Optional[int] = None) -> list[TrendPoint]:
    """Verdict counts (after staff review) of run `run_id` and the finished runs of the same
    registry before it, oldest first: the last `runs` of them, within `days` days of its check
    time when given. Re-checks are left out (they audit only some accounts)."""
    this = store.run_row(run_id)
    as_of = datetime.fromisoformat(this["as_of"])
    since = as_of - timedelta(days=days) if days is not None else None
    chosen = [row for row in store.list_runs()
              if row["id"] == run_id or (row["registry"] == this["registry"] and row["status"] == "finished"
                                         and not row["recheck_of"]
                                         and datetime.fromisoformat(row["as_of"]) <= as_of)]
    chosen = [row for row in chosen if since is None or datetime.fromisoformat(row["as_of"]) >= since]
    chosen.sort(key=lambda row: (datetime.fromisoformat(row["as_of"]), row["started_at"] or ""))
    return [TrendPoint(row["id"], datetime.fromisoformat(row["as_of"]), row["pass"], row["fail"], row["review"])
            for row in chosen[-runs:]]
