"""The SQLite store: runs, the registry as audited, observations, judgements, evidence, reviews.

The only module that imports sqlite_utils. Every account is written in one transaction as
soon as it is finished, so a run killed halfway keeps every account it finished. Staff
decisions go to `reviews` and never change the machine's rows; `load_run` applies them.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Optional

import sqlite_utils

from .errors import StoreError
from .models import Account, AccountResult, Judgement, Observation, Review, RunInfo, RunResult
from .review import apply_reviews
from .snapshots import EvidenceFile

SCHEMA: dict[str, tuple[dict[str, Any], Any]] = {
    "runs": (
        {
            "id": str, "as_of": str, "registry": str, "registry_sha256": str, "started_at": str,
            "finished_at": str, "status": str, "tool_version": str, "browser": str, "options": str,
        },
        "id",
    ),
    "accounts": (
        {
            "run_id": str, "account_id": str, "position": int, "name": str, "platform": str,
            "owner": str, "certified_as": str, "region": str, "urls": str, "interaction": str,
            "policy": str, "line": int, "data": str,
        },
        ("run_id", "account_id"),
    ),
    "observations": (
        {
            "run_id": str, "account_id": str, "finished_at": str, "name": str,
            "certification": str, "newest_post_at": str, "newest_post_source": str,
            "lists_newest": int, "data": str,
        },
        ("run_id", "account_id"),
    ),
    "judgements": (
        {"run_id": str, "account_id": str, "as_of": str, "verdict": str, "idle_days": int},
        ("run_id", "account_id"),
    ),
    "findings": (
        {"id": int, "run_id": str, "account_id": str, "code": str, "severity": str,
         "message": str, "evidence": str},
        "id",
    ),
    "evidence": (
        {"id": int, "run_id": str, "account_id": str, "path": str, "kind": str, "sha256": str,
         "size": int, "captured_at": str},
        "id",
    ),
    "reviews": (
        {"id": int, "run_id": str, "account_id": str, "action": str, "verdict": str, "post_at": str,
         "field": str, "value": str, "reviewer": str, "reason": str, "at": str},
        "id",
    ),
}
INDEXES = {
    "findings": ["run_id", "account_id"],
    "evidence": ["run_id", "account_id"],
    "reviews": ["account_id", "run_id"],
}


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() if moment else None


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.enable_wal()
            self._ensure_schema()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: not an nmaudit database ({error})") from None

    def close(self) -> None:
        self.db.conn.close()

    def _ensure_schema(self) -> None:
        for name, (columns, pk) in SCHEMA.items():
            table = self.db.table(name)
            if not table.exists():
                table.create(columns, pk=pk)
                if name in INDEXES:
                    table.create_index(INDEXES[name], if_not_exists=True)

    def start_run(self, run: RunInfo, accounts: list[Account], *, registry_sha256: str,
                  tool_version: str, browser: str, options: dict[str, Any]) -> None:
        """Record the run and the registry as audited, in one transaction."""
        with self.db.conn:
            self.db["runs"].insert({
                "id": run.id, "as_of": _iso(run.as_of), "registry": run.registry,
                "registry_sha256": registry_sha256, "started_at": _iso(run.started_at),
                "finished_at": None, "status": "running", "tool_version": tool_version,
                "browser": browser, "options": json.dumps(options, ensure_ascii=False),
            })
            self.db["accounts"].insert_all(
                {
                    "run_id": run.id, "account_id": account.id, "position": position,
                    "name": account.name, "platform": account.platform, "owner": account.owner,
                    "certified_as": account.certified_as, "region": account.region,
                    "urls": json.dumps(account.urls), "interaction": account.interaction,
                    "policy": account.policy.model_dump_json(), "line": account.line,
                    "data": account.model_dump_json(),
                }
                for position, account in enumerate(accounts)
            )

    def save_account(self, run_id: str, observation: Observation, judgement: Judgement,
                     evidence: Iterable[EvidenceFile]) -> None:
        """Write one finished account: observation, judgement, findings, evidence; all or nothing."""
        account_id = observation.account_id
        with self.db.conn:
            self.db["observations"].insert({
                "run_id": run_id, "account_id": account_id,
                "finished_at": _iso(observation.finished_at), "name": observation.name,
                "certification": observation.certification,
                "newest_post_at": _iso(observation.newest_post_at),
                "newest_post_source": observation.newest_post_source,
                "lists_newest": int(observation.newest_post_lists_newest),
                "data": observation.model_dump_json(),
            })
            self._write_judgement(run_id, account_id, judgement)
            self.db["evidence"].insert_all(
                {
                    "run_id": run_id, "account_id": account_id, "path": item.path, "kind": item.kind,
                    "sha256": item.sha256, "size": item.size, "captured_at": _iso(item.captured_at),
                }
                for item in evidence
            )

    def _write_judgement(self, run_id: str, account_id: str, judgement: Judgement) -> None:
        self.db["judgements"].insert({
            "run_id": run_id, "account_id": account_id, "as_of": _iso(judgement.as_of),
            "verdict": judgement.verdict, "idle_days": judgement.idle_days,
        })
        self.db["findings"].insert_all(
            {
                "run_id": run_id, "account_id": account_id, "code": finding.code,
                "severity": finding.severity, "message": finding.message,
                "evidence": json.dumps(finding.evidence, ensure_ascii=False),
            }
            for finding in judgement.findings
        )

    def finish_run(self, run_id: str, finished_at: datetime) -> None:
        with self.db.conn:
            self.db["runs"].update(run_id, {"finished_at": _iso(finished_at), "status": "finished"})

    # Reading back

    def run_info(self, run_id: str) -> RunInfo:
        try:
            row = self.db["runs"].get(run_id)
        except sqlite_utils.db.NotFoundError:
            raise StoreError(f"{self.path}: no run '{run_id}'") from None
        return RunInfo(
            id=row["id"], as_of=row["as_of"], registry=row["registry"],
            started_at=row["started_at"], finished_at=row["finished_at"],
        )

    def run_status(self, run_id: str) -> str:
        return self.db["runs"].get(run_id)["status"]

    def finished_accounts(self, run_id: str) -> set[str]:
        return {row["account_id"] for row in self.db["observations"].rows_where("run_id = ?", [run_id])}

    def load_run(self, run_id: str, reviewed: bool = True) -> RunResult:
        """A stored run, accounts in registry order (unfinished ones left out).

        With `reviewed` (the default) each account carries the verdict in effect after staff
        review (nmaudit.review); `reviewed=False` gives the run exactly as the machine judged it.
        """
        run = self.run_info(run_id)
        judgements = {row["account_id"]: row for row in self.db["judgements"].rows_where("run_id = ?", [run_id])}
        findings: dict[str, list[dict[str, Any]]] = {}
        for row in self.db["findings"].rows_where("run_id = ?", [run_id], order_by="id"):
            findings.setdefault(row["account_id"], []).append(
                {"code": row["code"], "severity": row["severity"], "message": row["message"],
                 "evidence": json.loads(row["evidence"])}
            )
        observations = {
            row["account_id"]: Observation.model_validate_json(row["data"])
            for row in self.db["observations"].rows_where("run_id = ?", [run_id])
        }
        results = []
        for row in self.db["accounts"].rows_where("run_id = ?", [run_id], order_by="position"):
            account_id = row["account_id"]
            if account_id not in observations:
                continue
            account = Account.model_validate_json(row["data"])
            judged = judgements[account_id]
            judgement = Judgement(
                as_of=judged["as_of"], verdict=judged["verdict"], idle_days=judged["idle_days"],
                findings=findings.get(account_id, []),
            )
            results.append(AccountResult(account=account, observation=observations[account_id], judgement=judgement))
        if reviewed:
            decisions, filings = self._decisions(run_id), self._filings(run)
            results = [apply_reviews(item, decisions.get(item.account.id, []), filings.get(item.account.id, []))
                       for item in results]
        return RunResult(run=run, results=results)

    # Staff review

    def add_review(self, review: Review) -> Review:
        """Keep one decision (the audit trail grows; nothing is overwritten). Returns it with its id."""
        self.run_info(review.run_id)
        if not self.db["observations"].count_where("run_id = ? and account_id = ?", [review.run_id, review.account_id]):
            raise StoreError(f"{self.path}: run '{review.run_id}' has no finished account '{review.account_id}'")
        row = review.model_dump(exclude={"id"})
        row.update(post_at=_iso(review.post_at), at=_iso(review.at))
        with self.db.conn:
            table = self.db["reviews"].insert(row)
        return review.model_copy(update={"id": table.last_pk})

    def reviews(self, run_id: str, account_id: Optional[str] = None) -> list[Review]:
        """Every decision of a run (of one account), oldest first: the audit trail."""
        where, args = "run_id = ?", [run_id]
        if account_id is not None:
            where, args = where + " and account_id = ?", args + [account_id]
        return [Review(**row) for row in self.db["reviews"].rows_where(where, args, order_by="id")]

    def _decisions(self, run_id: str) -> dict[str, list[Review]]:
        by_account: dict[str, list[Review]] = {}
        for review in self.reviews(run_id):
            by_account.setdefault(review.account_id, []).append(review)
        return by_account

    def _filings(self, run: RunInfo) -> dict[str, list[Review]]:
        """Filings (报备) made in `run` or in a run checked before it, per account, oldest first."""
        rows = self.db.query(
            "select reviews.*, runs.as_of as run_as_of from reviews join runs on runs.id = reviews.run_id "
            "where reviews.action = 'file' order by reviews.id"
        )
        by_account: dict[str, list[Review]] = {}
        for row in rows:
            if datetime.fromisoformat(row.pop("run_as_of")) <= run.as_of:
                by_account.setdefault(row["account_id"], []).append(Review(**row))
        return by_account

    def runs(self) -> list[dict[str, Any]]:
        """Every run, newest first, with how many accounts it finished and how many decisions it has."""
        return list(self.db.query(
            "select runs.id, runs.as_of, runs.registry, runs.started_at, runs.status, "
            "(select count(*) from observations where observations.run_id = runs.id) as accounts, "
            "(select count(*) from reviews where reviews.run_id = runs.id) as reviews "
            "from runs order by runs.started_at desc"
        ))

    def run_snapshots(self, run_id: str) -> Optional[str]:
        """The evidence folder the run was audited with (audit --snapshots), as given then."""
        options = json.loads(self.db["runs"].get(run_id)["options"] or "{}")
        return options.get("snapshots")

    def evidence(self, run_id: str, account_id: Optional[str] = None) -> list[dict[str, Any]]:
        """The evidence files recorded for a run (one account's), in the order they were kept."""
        where, args = "run_id = ?", [run_id]
        if account_id is not None:
            where, args = where + " and account_id = ?", args + [account_id]
        return list(self.db["evidence"].rows_where(where, args, order_by="id"))

    def account_runs(self, account_id: str) -> list[dict[str, Any]]:
        """One account across runs, oldest first (stands in until main's account_history lands)."""
        return list(self.db.query(
            "select runs.id as run_id, runs.as_of, judgements.verdict, observations.newest_post_at, "
            "judgements.idle_days, observations.name, observations.certification "
            "from judgements join runs on runs.id = judgements.run_id "
            "join observations on observations.run_id = judgements.run_id "
            "and observations.account_id = judgements.account_id "
            "where judgements.account_id = ? order by runs.as_of, runs.started_at", [account_id]
        ))
