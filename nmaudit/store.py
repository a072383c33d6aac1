"""The SQLite store: runs, the registry as audited, observations, judgements, evidence.

The only module that imports sqlite_utils. Every account is written in one transaction as
soon as it is finished, so a run killed halfway keeps every account it finished.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Optional

import sqlite_utils

from .errors import StoreError
from .models import Account, AccountResult, Judgement, Observation, RunInfo, RunResult
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
}
INDEXES = {
    "findings": ["run_id", "account_id"],
    "evidence": ["run_id", "account_id"],
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

    def latest_run(self) -> Optional[str]:
        """The id of the run started last, None when there is none."""
        rows = list(self.db["runs"].rows_where(order_by="started_at desc, id desc", limit=1))
        return rows[0]["id"] if rows else None

    def registered(self, run_id: str) -> int:
        """How many accounts the run set out to check (the registry as audited, --only applied)."""
        return self.db["accounts"].count_where("run_id = ?", [run_id])

    def load_run(self, run_id: str) -> RunResult:
        """A stored run as it was judged, accounts in registry order (unfinished ones left out)."""
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
        return RunResult(run=run, results=results)
