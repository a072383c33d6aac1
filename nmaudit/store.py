"""The SQLite store: runs, the registry as audited, observations, judgements, evidence, reviews.

The only module that imports sqlite_utils. Every account is written in one transaction as
soon as it is finished, so a run killed halfway keeps every account it finished. Staff
decisions go to `reviews` and never change the machine's rows; `load_run` applies them.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Optional

import sqlite_utils

from .errors import StoreError
from .models import (Account, AccountResult, ContentHit, ContentReview, Judgement, LastCheck, Observation, Prior,
                     Review, RunInfo, RunResult)
from .review import apply_reviews
from .snapshots import EvidenceFile

SCHEMA: dict[str, tuple[dict[str, Any], Any]] = {
    "runs": (
        {
            "id": str, "as_of": str, "registry": str, "registry_sha256": str, "started_at": str,
            "finished_at": str, "status": str, "tool_version": str, "browser": str, "options": str,
            "recheck_of": str,
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
        {"run_id": str, "account_id": str, "as_of": str, "verdict": str, "idle_days": int,
         "consecutive_failures": int, "longest_gap_days": int, "prior_run": str, "indicators": str,
         "carried_from": str, "carried_as_of": str},
        ("run_id", "account_id"),
    ),
    "findings": (
        {"id": int, "run_id": str, "account_id": str, "code": str, "severity": str,
         "message": str, "evidence": str, "indicators": str, "note": int},
        "id",
    ),
    "evidence": (
        {"id": int, "run_id": str, "account_id": str, "path": str, "kind": str, "sha256": str,
         "size": int, "captured_at": str},
        "id",
    ),
    "reviews": (
        {"id": int, "run_id": str, "account_id": str, "action": str, "verdict": str, "post_at": str,
         "field": str, "value": str, "reviewer": str, "reason": str, "at": str, "interaction": int,
         "available": int, "certification": str, "screenshot": str, "screenshot_sha256": str},
        "id",
    ),
    # Notifications (nmaudit.notify): one row per message and channel, sent or failed.
    "notices": (
        {"id": int, "run_id": str, "kind": str, "recipient": str, "channel": str, "title": str, "body": str,
         "status": str, "error": str, "attempts": int, "created_at": str, "sent_at": str},
        "id",
    ),
    # The warning state (红黄蓝预警) each account's unit message told, per run.
    "alert_states": (
        {"id": int, "run_id": str, "account_id": str, "recipient": str, "stage": str, "alerts": str,
         "change": str},
        "id",
    ),
    # Content pre-screening (nmaudit.content): the machine's hits, and staff decisions on them.
    "content_hits": (
        {"id": int, "run_id": str, "account_id": str, "key": str, "rule": str, "data": str},
        "id",
    ),
    "content_reviews": (
        {"id": int, "run_id": str, "account_id": str, "key": str, "decision": str, "reviewer": str,
         "reason": str, "at": str},
        "id",
    ),
}
INDEXES = {
    "findings": ["run_id", "account_id"],
    "evidence": ["run_id", "account_id"],
    "reviews": ["account_id", "run_id"],
    "notices": ["run_id"],
    "alert_states": ["account_id", "run_id"],
    "content_hits": ["run_id", "account_id"],
    "content_reviews": ["account_id", "key"],
}


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() if moment else None


#: Seconds SQLite itself waits for another connection's lock (a reviewer's decision, a backup)
#: before a statement gives up with "database is locked".
BUSY_TIMEOUT = 30.0
#: Then the whole write is tried again, this many times, waiting longer each time: a
#: write waits several minutes in all before the store gives up.
LOCK_RETRIES = 6


def _is_locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _retrying(method):
    """A write that waits out another process's lock: retried while SQLite says the database
    is locked or busy; any other failure, or a lock that outlasts every retry, is a StoreError."""
    @functools.wraps(method)
    def write(self: "Store", *args: Any, **kwargs: Any) -> Any:
        for attempt in range(LOCK_RETRIES + 1):
            try:
                return method(self, *args, **kwargs)
            except sqlite3.OperationalError as error:
                if not _is_locked(error) or attempt == LOCK_RETRIES:
                    raise StoreError(f"{self.path}: {error}") from None
                time.sleep(min(0.5 * 2 ** attempt, 10.0))
            except sqlite3.DatabaseError as error:  # disk full, a corrupt page
                raise StoreError(f"{self.path}: {error}") from None
        raise AssertionError("unreachable")
    return write


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        try:
            self.db = sqlite_utils.Database(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT))
            self.db.enable_wal()
            # With WAL, NORMAL never corrupts the database; a power cut may lose the last
            # accounts kept, which --resume audits again. FULL would fsync every account's
            # transaction (measured: 4 ms each here) while every page waits on the event loop.
            self.db.execute("PRAGMA synchronous=NORMAL")
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
            else:
                # A database written by an earlier version: add what it lacks, keep what it has.
                missing = {column: kind for column, kind in columns.items() if column not in table.columns_dict}
                for column, kind in missing.items():
                    table.add_column(column, kind)

    @_retrying
    def start_run(self, run: RunInfo, accounts: list[Account], *, registry_sha256: str,
                  tool_version: str, browser: str, options: dict[str, Any]) -> None:
        """Record the run and the registry as audited, in one transaction."""
        with self.db.conn:
            self.db.conn.execute("BEGIN IMMEDIATE")
            self.db["runs"].insert({
                "id": run.id, "as_of": _iso(run.as_of), "registry": run.registry,
                "registry_sha256": registry_sha256, "started_at": _iso(run.started_at),
                "finished_at": None, "status": "running", "tool_version": tool_version,
                "browser": browser, "options": json.dumps(options, ensure_ascii=False),
                "recheck_of": run.recheck_of,
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

    @_retrying
    def save_account(self, run_id: str, observation: Observation, judgement: Judgement,
                     evidence: Iterable[EvidenceFile], content_hits: Iterable[ContentHit] = ()) -> None:
        """Write one finished account: observation, judgement, findings, evidence; all or nothing."""
        account_id = observation.account_id
        evidence = list(evidence)  # read again if the write is retried
        with self.db.conn:
            # One transaction, taken with the write lock up front (waiting out another writer):
            # sqlite-utils commits each insert on its own unless a transaction is open.
            self.db.conn.execute("BEGIN IMMEDIATE")
            # What an earlier attempt of this write left behind goes first.
            for name in ("observations", "judgements", "findings", "evidence", "content_hits"):
                self.db.conn.execute(f"delete from [{name}] where run_id = ? and account_id = ?", [run_id, account_id])
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
            self.db["content_hits"].insert_all(
                {"run_id": run_id, "account_id": account_id, "key": hit.key, "rule": hit.rule,
                 "data": hit.model_dump_json()}
                for hit in content_hits
            )

    def _write_judgement(self, run_id: str, account_id: str, judgement: Judgement) -> None:
        self.db["judgements"].insert({
            "run_id": run_id, "account_id": account_id, "as_of": _iso(judgement.as_of),
            "verdict": judgement.verdict, "idle_days": judgement.idle_days,
            "consecutive_failures": judgement.consecutive_failures,
            "longest_gap_days": judgement.longest_gap_days, "prior_run": judgement.prior_run,
            "indicators": json.dumps({name: result.model_dump() for name, result in judgement.indicators.items()},
                                     ensure_ascii=False),
            "carried_from": judgement.carried_from, "carried_as_of": _iso(judgement.carried_as_of),
        })
        self.db["findings"].insert_all(
            {
                "run_id": run_id, "account_id": account_id, "code": finding.code,
                "severity": finding.severity, "message": finding.message,
                "evidence": json.dumps(finding.evidence, ensure_ascii=False),
                "indicators": json.dumps(finding.indicators), "note": int(finding.note),
            }
            for finding in judgement.findings
        )

    @_retrying
    def carry_accounts(self, run_id: str, carried: Iterable[tuple[Observation, Judgement]]) -> None:
        """Keep accounts a `--due` run did not check: the observation and judgement of their last
        check, marked with where they come from (Judgement.carried_from), in one transaction.
        Their evidence stays recorded with the run that captured it."""
        carried = list(carried)
        with self.db.conn:
            self.db.conn.execute("BEGIN IMMEDIATE")
            for observation, judgement in carried:
                account_id = observation.account_id
                for name in ("observations", "judgements", "findings", "evidence", "content_hits"):
                    self.db.conn.execute(f"delete from [{name}] where run_id = ? and account_id = ?",
                                         [run_id, account_id])
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

    def last_checks(self, account_ids: Iterable[str], before: RunInfo) -> dict[str, LastCheck]:
        """Per account, what its latest stored run before `before` holds (a run of its own or a
        carried copy): the observation and machine judgement `audit --due` plans from."""
        wanted = set(account_ids)
        key = (before.as_of, before.started_at)
        latest: dict[str, tuple[tuple[datetime, datetime], dict[str, Any]]] = {}
        for row in self.db.query(
            """select j.run_id, j.account_id, r.as_of as run_as_of, r.started_at, j.as_of, j.verdict, j.idle_days,
                      j.consecutive_failures, j.longest_gap_days, j.prior_run, j.carried_from, j.carried_as_of,
                      j.indicators, o.data
               from judgements j join runs r on r.id = j.run_id
               join observations o on o.run_id = j.run_id and o.account_id = j.account_id
               where j.run_id != ?""",
            [before.id],
        ):
            if row["account_id"] not in wanted:
                continue
            when = (datetime.fromisoformat(row["run_as_of"]), datetime.fromisoformat(row["started_at"]))
            if when < key and (row["account_id"] not in latest or latest[row["account_id"]][0] < when):
                latest[row["account_id"]] = (when, row)
        findings: dict[tuple[str, str], list[dict[str, Any]]] = {}
        runs = {row["run_id"] for _, row in latest.values()}
        for run_id in runs:
            for row in self.db["findings"].rows_where("run_id = ?", [run_id], order_by="id"):
                findings.setdefault((run_id, row["account_id"]), []).append(
                    {"code": row["code"], "severity": row["severity"], "message": row["message"],
                     "evidence": json.loads(row["evidence"])})
        checks = {}
        for account_id, (_, row) in latest.items():
            judgement = Judgement(
                as_of=row["as_of"], verdict=row["verdict"], idle_days=row["idle_days"],
                findings=findings.get((row["run_id"], account_id), []),
                consecutive_failures=row["consecutive_failures"] or 0, longest_gap_days=row["longest_gap_days"],
                prior_run=row["prior_run"], carried_from=row["carried_from"], carried_as_of=row["carried_as_of"],
                indicators=json.loads(row["indicators"] or "{}"))
            checks[account_id] = LastCheck(run_id=row["run_id"], observation=Observation.model_validate_json(row["data"]),
                                           judgement=judgement)
        # The account as filed when it was last checked: a filing changed since is due at once.
        for account_id, check in checks.items():
            row = self.db.execute("select data from accounts where run_id = ? and account_id = ?",
                                  [check.checked_in, account_id]).fetchone()
            if row is not None:
                check.account = Account.model_validate_json(row[0])
        return checks

    @_retrying
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
            started_at=row["started_at"], finished_at=row["finished_at"], recheck_of=row["recheck_of"],
        )

    def run_status(self, run_id: str) -> str:
        return self.db["runs"].get(run_id)["status"]

    def finished_accounts(self, run_id: str) -> set[str]:
        return {row["account_id"] for row in self.db["observations"].rows_where("run_id = ?", [run_id])}

    def deferred_accounts(self, run_id: str) -> set[str]:
        """Accounts kept with a source the run stopped asking (a captcha wall): to be audited again."""
        rows = self.db.execute(
            "select account_id from observations where run_id = ? "
            "and json_array_length(coalesce(json_extract(data, '$.deferred'), '[]')) > 0", [run_id])
        return {account_id for (account_id,) in rows.fetchall()}

    @_retrying
    def forget_accounts(self, run_id: str, account_ids: Iterable[str]) -> None:
        """Remove what a run kept of these accounts (not staff's reviews), in one transaction, so
        they can be audited into the run again."""
        ids = list(account_ids)
        with self.db.conn:
            # Explicitly one transaction: sqlite-utils' execute() commits each statement on its own.
            self.db.conn.execute("BEGIN IMMEDIATE")
            for name in ("observations", "judgements", "findings", "evidence", "content_hits"):
                for account_id in ids:
                    self.db.conn.execute(f"delete from [{name}] where run_id = ? and account_id = ?",
                                         [run_id, account_id])

    def resumable(self, run_id: str) -> bool:
        return self.run_status(run_id) != "finished" or bool(self.deferred_accounts(run_id))

    def load_run(self, run_id: str, reviewed: bool = True, only: Optional[str] = None) -> RunResult:
        """A stored run, accounts in registry order (unfinished ones left out; with `only`,
        just that account).

        With `reviewed` (the default) each account carries the verdict in effect after staff
        review (nmaudit.review); `reviewed=False` gives the run exactly as the machine judged it.
        """
        run = self.run_info(run_id)
        where, args = ("run_id = ?", [run_id]) if only is None else ("run_id = ? and account_id = ?", [run_id, only])
        judgements = {row["account_id"]: row for row in self.db["judgements"].rows_where(where, args)}
        findings: dict[str, list[dict[str, Any]]] = {}
        for row in self.db["findings"].rows_where(where, args, order_by="id"):
            findings.setdefault(row["account_id"], []).append(
                {"code": row["code"], "severity": row["severity"], "message": row["message"],
                 "evidence": json.loads(row["evidence"]), "indicators": json.loads(row.get("indicators") or "[]"),
                 "note": bool(row.get("note"))}
            )
        observations = {
            row["account_id"]: Observation.model_validate_json(row["data"])
            for row in self.db["observations"].rows_where(where, args)
        }
        hits = self._content_hits(run, where, args)
        results = []
        for row in self.db["accounts"].rows_where(where, args, order_by="position"):
            account_id = row["account_id"]
            if account_id not in observations:
                continue
            account = Account.model_validate_json(row["data"])
            judged = judgements[account_id]
            judgement = Judgement(
                as_of=judged["as_of"], verdict=judged["verdict"], idle_days=judged["idle_days"],
                findings=findings.get(account_id, []),
                consecutive_failures=judged["consecutive_failures"] or 0,
                longest_gap_days=judged["longest_gap_days"], prior_run=judged["prior_run"],
                # Runs stored before indicators were judged apart have none: `nmaudit judge` adds them.
                indicators=json.loads(judged.get("indicators") or "{}"),
                carried_from=judged.get("carried_from"), carried_as_of=judged.get("carried_as_of"),
            )
            results.append(AccountResult(account=account, observation=observations[account_id], judgement=judgement,
                                         content_hits=hits.get(account_id, [])))
        if reviewed:
            decisions, filings = self._decisions(run_id), self._filings(run)
            for position, item in enumerate(results):
                account_id = item.account.id
                if account_id in decisions or account_id in filings:
                    results[position] = apply_reviews(item, decisions.get(account_id, []),
                                                      filings.get(account_id, []), self.prior(account_id, run))
        return RunResult(run=run, results=results)

    # Runs over time

    def run_row(self, run_id: str) -> dict[str, Any]:
        """The stored row of a run, options decoded."""
        self.run_info(run_id)  # a clear error for an unknown run
        row = dict(self.db["runs"].get(run_id))
        row["options"] = json.loads(row["options"] or "{}")
        return row

    def _ordered_runs(self) -> list[dict[str, Any]]:
        """Every run, oldest check first (runs of one check time in the order they started)."""
        rows = list(self.db["runs"].rows)
        return sorted(rows, key=lambda row: (datetime.fromisoformat(row["as_of"]),
                                             datetime.fromisoformat(row["started_at"])))

    def resolve_run(self, run_id: Optional[str], *, unfinished: bool = False) -> str:
        """`run_id` checked, or `latest` / None resolved: the latest run (unfinished only if asked)."""
        if run_id not in (None, "latest"):
            self.run_info(run_id)
            return run_id
        runs = [row for row in self._ordered_runs() if not unfinished or self.resumable(row["id"])]
        if not runs:
            what = "no unfinished run to resume" if unfinished else "no runs yet"
            raise StoreError(f"{self.path}: {what}")
        return max(runs, key=lambda row: datetime.fromisoformat(row["started_at"]))["id"]

    def audited_accounts(self, run_id: str) -> list[Account]:
        """The registry as this run audited it, in registry order."""
        return [Account.model_validate_json(row["data"])
                for row in self.db["accounts"].rows_where("run_id = ?", [run_id], order_by="position")]

    @_retrying
    def reopen_run(self, run_id: str) -> None:
        with self.db.conn:
            self.db["runs"].update(run_id, {"status": "running", "finished_at": None})

    def prior(self, account_id: str, run: RunInfo) -> Optional[Prior]:
        """The account's latest judged run before `run` (by check time, then start)."""
        key = (run.as_of, run.started_at)
        candidates = []
        for row in self.db.query(
            """select j.run_id, r.as_of, r.started_at, j.verdict, o.name, o.certification,
                      j.consecutive_failures, j.longest_gap_days
               from judgements j join runs r on r.id = j.run_id
               join observations o on o.run_id = j.run_id and o.account_id = j.account_id
               where j.account_id = ? and j.run_id != ?""",
            [account_id, run.id],
        ):
            when = (datetime.fromisoformat(row["as_of"]), datetime.fromisoformat(row["started_at"]))
            if when < key:
                candidates.append((when, row))
        if not candidates:
            return None
        _, row = max(candidates, key=lambda item: item[0])
        return Prior(
            run_id=row["run_id"], as_of=row["as_of"], verdict=row["verdict"], name=row["name"],
            certification=row["certification"], consecutive_failures=row["consecutive_failures"] or 0,
            longest_gap_days=row["longest_gap_days"],
        )

    def earlier_run(self, run_id: str) -> Optional[str]:
        """The latest finished run of the same registry before this one, if any."""
        this = self.run_row(run_id)
        earlier = None
        for row in self._ordered_runs():
            if row["id"] == run_id:
                break
            if row["registry"] == this["registry"] and row["status"] == "finished":
                earlier = row["id"]
        return earlier

    def observations_of(self, account_id: str, since: datetime, until: datetime) -> list[tuple[str, datetime, Observation]]:
        """The account's stored observations of runs checked from `since` to `until`, oldest
        first: (run id, check time, observation)."""
        rows = self.db.query(
            """select o.run_id, r.as_of, o.data from observations o join runs r on r.id = o.run_id
               where o.account_id = ?""", [account_id])
        found = []
        for row in rows:
            as_of = datetime.fromisoformat(row["as_of"])
            if since <= as_of <= until:
                found.append((row["run_id"], as_of, Observation.model_validate_json(row["data"])))
        return sorted(found, key=lambda item: item[1])

    def account_history(self, account_id: str) -> list[dict[str, Any]]:
        """The account's judged runs, oldest first: verdict, newest post, idle days, name, certification."""
        order = {row["id"]: position for position, row in enumerate(self._ordered_runs())}
        rows = list(self.db.query(
            """select j.run_id, r.as_of, r.recheck_of, j.verdict, j.idle_days, j.consecutive_failures,
                      j.longest_gap_days, j.carried_from, j.carried_as_of, o.name, o.certification,
                      o.newest_post_at, o.newest_post_source, o.lists_newest
               from judgements j join runs r on r.id = j.run_id
               join observations o on o.run_id = j.run_id and o.account_id = j.account_id
               where j.account_id = ?""",
            [account_id],
        ))
        codes: dict[str, list[str]] = {}
        for row in self.db["findings"].rows_where("account_id = ?", [account_id], order_by="id"):
            if not row.get("note"):  # a source that did not matter is no problem of the account
                codes.setdefault(row["run_id"], []).append(row["code"])
        for row in rows:
            row["findings"] = codes.get(row["run_id"], [])
            row["lists_newest"] = bool(row["lists_newest"])
            row["machine_verdict"] = row["verdict"]
            row["decided_by"] = "machine"
        # Staff decisions (confirm, overrule, attest) change a run's verdict; filings only
        # silence warnings, so only runs with decisions on this account are read again.
        decided = {row["run_id"] for row in self.db.query(
            "select distinct run_id from reviews where account_id = ? and action != 'file'", [account_id])}
        for row in rows:
            if row["run_id"] in decided:
                [item] = self.load_run(row["run_id"], only=account_id).results
                row["verdict"] = item.judgement.verdict
                row["idle_days"] = item.judgement.idle_days
                row["findings"] = [f.code for f in item.judgement.findings if not f.note]
                if item.review is not None:
                    # 人工核查 (what a person saw in the app) apart from other staff decisions.
                    row["decided_by"] = "person" if item.review.action in ("observe", "attest") else "review"
                    row["reviewer"] = item.review.reviewer
                    newest = item.observation.newest_post_at
                    row["newest_post_at"] = newest.isoformat() if newest else None
                    row["newest_post_source"] = item.observation.newest_post_source
        return sorted(rows, key=lambda row: order[row["run_id"]])

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first, with its verdict counts (after staff review)."""
        counts: dict[str, dict[str, int]] = {}
        for row in self.db.query("select run_id, verdict, count(*) as n from judgements group by run_id, verdict"):
            counts.setdefault(row["run_id"], {})[row["verdict"]] = row["n"]
        decided = {row["run_id"] for row in self.db.query("select distinct run_id from reviews where action != 'file'")}
        for run_id in decided:
            reviewed: dict[str, int] = {}
            for item in self.load_run(run_id).results:
                reviewed[item.judgement.verdict] = reviewed.get(item.judgement.verdict, 0) + 1
            counts[run_id] = reviewed
        planned = {row["run_id"]: row["n"] for row in self.db.query(
            "select run_id, count(*) as n from accounts group by run_id")}
        listing = []
        for row in self._ordered_runs():
            done = counts.get(row["id"], {})
            listing.append({
                "id": row["id"], "as_of": row["as_of"], "registry": row["registry"], "status": row["status"],
                "started_at": row["started_at"], "finished_at": row["finished_at"],
                "recheck_of": row["recheck_of"], "accounts": planned.get(row["id"], 0),
                "checked": sum(done.values()), "pass": done.get("pass", 0), "fail": done.get("fail", 0),
                "review": done.get("review", 0),
            })
        return listing

    # Evidence and retention

    @_retrying
    def add_run_evidence(self, run_id: str, item: EvidenceFile) -> None:
        """A file that belongs to the whole run (its HAR), not to one account."""
        with self.db.conn:
            self.db["evidence"].insert({
                "run_id": run_id, "account_id": None, "path": item.path, "kind": item.kind,
                "sha256": item.sha256, "size": item.size, "captured_at": _iso(item.captured_at),
            })

    @_retrying
    def add_evidence(self, run_id: str, account_id: str, item: EvidenceFile) -> None:
        """A file kept for an account after its run (a reviewer's screenshot)."""
        with self.db.conn:
            self.db["evidence"].insert({
                "run_id": run_id, "account_id": account_id, "path": item.path, "kind": item.kind,
                "sha256": item.sha256, "size": item.size, "captured_at": _iso(item.captured_at),
            })

    def evidence_rows(self, run_id: str) -> list[dict[str, Any]]:
        self.run_info(run_id)
        return list(self.db["evidence"].rows_where("run_id = ?", [run_id], order_by="id"))

    def latest_run_of_each_account(self) -> set[str]:
        """The runs that hold some account's latest observation: never pruned."""
        order = {row["id"]: position for position, row in enumerate(self._ordered_runs())}
        latest: dict[str, str] = {}
        for row in self.db.query("select run_id, account_id from observations"):
            current = latest.get(row["account_id"])
            if current is None or order[row["run_id"]] > order[current]:
                latest[row["account_id"]] = row["run_id"]
        # A carried row's evidence is the run that checked the account: kept with it.
        sources = {row["carried_from"] for row in self.db.query(
            "select distinct carried_from from judgements where carried_from is not null")}
        return set(latest.values()) | sources

    def runs_with_filings(self) -> set[str]:
        """Runs holding a filing (报备), or a decision on a content hit: both stand for later runs
        too, so they are never pruned."""
        return {row["run_id"] for row in self.db.query(
            "select distinct run_id from reviews where action = 'file' "
            "union select distinct run_id from content_reviews")}

    @_retrying
    def delete_run(self, run_id: str) -> None:
        """Every row of a run, in every table that has a run, in one transaction."""
        with self.db.conn:
            for name in self.db.table_names():
                if name != "runs" and "run_id" in self.db[name].columns_dict:
                    self.db.execute(f"delete from [{name}] where run_id = ?", [run_id])
            self.db.execute("delete from runs where id = ?", [run_id])

    # Staff review

    @_retrying
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

    def review_counts(self) -> dict[str, int]:
        """How many decisions each run has."""
        return {row["run_id"]: row["n"] for row in self.db.query(
            "select run_id, count(*) as n from reviews group by run_id")}

    # Notifications

    def add_notices(self, run_id: str, notices: list[dict[str, Any]], states: list[dict[str, Any]]) -> list[int]:
        """Keep a run's messages (one row per channel, status "pending" until tried) and the
        warning states they tell, in one transaction; the notice ids, in order."""
        self.run_info(run_id)
        ids = []
        with self.db.conn:
            for notice in notices:
                ids.append(self.db["notices"].insert({
                    "run_id": run_id, "status": "pending", "error": None, "attempts": 0, "sent_at": None,
                    **notice}).last_pk)
            self.db["alert_states"].insert_all(
                {"run_id": run_id, **state, "alerts": json.dumps(list(state["alerts"]))} for state in states)
        return ids

    def mark_notice(self, notice_id: int, sent: bool, error: Optional[str], at: datetime) -> None:
        """The outcome of one more attempt at a message."""
        row = self.db["notices"].get(notice_id)
        with self.db.conn:
            self.db["notices"].update(notice_id, {
                "status": "sent" if sent else "failed", "error": None if sent else error,
                "attempts": (row["attempts"] or 0) + 1, "sent_at": _iso(at) if sent else row["sent_at"],
            })

    def notices(self, run_id: str, status: Optional[str] = None) -> list[dict[str, Any]]:
        """A run's messages, in the order they were planned (only those with `status`, if given)."""
        where, args = ("run_id = ?", [run_id]) if status is None else ("run_id = ? and status = ?", [run_id, status])
        return list(self.db["notices"].rows_where(where, args, order_by="id"))

    def last_notified(self, run: RunInfo) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Per account, the warning state last delivered to its unit before `run` (a unit
        message counts as delivered when one of its channels took it; an account without a
        unit, recipient "", counts as told: there is nobody to tell again)."""
        delivered = {(row["run_id"], row["recipient"]) for row in self.db.query(
            "select distinct run_id, recipient from notices where kind = 'unit' and status = 'sent'")}
        order = {row["id"]: (datetime.fromisoformat(row["as_of"]), datetime.fromisoformat(row["started_at"]))
                 for row in self.db["runs"].rows}
        key = (run.as_of, run.started_at)
        latest: dict[str, tuple[tuple[datetime, datetime], int, tuple[str, tuple[str, ...]]]] = {}
        for row in self.db["alert_states"].rows:
            when = order.get(row["run_id"])
            told = row["recipient"] == "" or (row["run_id"], row["recipient"]) in delivered
            if when is None or not when < key or not told:
                continue
            current = latest.get(row["account_id"])
            if current is None or (when, row["id"]) > current[:2]:
                latest[row["account_id"]] = (when, row["id"], (row["stage"], tuple(json.loads(row["alerts"]))))
        return {account_id: value[2] for account_id, value in latest.items()}
    # Content pre-screening (疑似: decisions never touch a verdict)

    def _content_hits(self, run: RunInfo, where: str, args: list[Any]) -> dict[str, list[ContentHit]]:
        """The run's hits per account, each with the decision in effect: the latest one on the
        same hit (same key) in this run or a run checked before it."""
        by_account: dict[str, list[ContentHit]] = {}
        for row in self.db["content_hits"].rows_where(where, args, order_by="id"):
            by_account.setdefault(row["account_id"], []).append(ContentHit.model_validate_json(row["data"]))
        if not by_account:
            return by_account
        decided = self.content_decisions(run, list(by_account))
        for account_id, hits in by_account.items():
            for position, hit in enumerate(hits):
                decision = decided.get((account_id, hit.key))
                if decision is not None:
                    hits[position] = hit.model_copy(update={
                        "status": "confirmed" if decision.decision == "confirm" else "dismissed",
                        "reviewer": decision.reviewer, "reason": decision.reason, "decided_at": decision.at})
        return by_account

    def content_decisions(self, run: RunInfo, account_ids: list[str]) -> dict[tuple[str, str], ContentReview]:
        """The latest decision per (account, hit key) made in `run` or a run checked before it."""
        marks = ",".join("?" for _ in account_ids)
        rows = self.db.query(
            "select content_reviews.*, runs.as_of as run_as_of from content_reviews "
            f"join runs on runs.id = content_reviews.run_id where content_reviews.account_id in ({marks}) "
            "order by content_reviews.id", account_ids)
        latest: dict[tuple[str, str], ContentReview] = {}
        for row in rows:
            if row["run_id"] == run.id or datetime.fromisoformat(row.pop("run_as_of")) <= run.as_of:
                row.pop("run_as_of", None)
                latest[(row["account_id"], row["key"])] = ContentReview(**row)
        return latest

    def add_content_review(self, review: ContentReview) -> ContentReview:
        """Keep one decision on a content hit (the trail grows; nothing is overwritten)."""
        self.run_info(review.run_id)
        if not self.db["content_hits"].count_where(
                "run_id = ? and account_id = ? and key = ?", [review.run_id, review.account_id, review.key]):
            raise StoreError(f"{self.path}: run '{review.run_id}' has no content hit '{review.key[:12]}' "
                             f"for account '{review.account_id}'")
        row = review.model_dump(exclude={"id"})
        row["at"] = _iso(review.at)
        with self.db.conn:
            table = self.db["content_reviews"].insert(row)
        return review.model_copy(update={"id": table.last_pk})

    def content_reviews(self, run_id: str, account_id: Optional[str] = None) -> list[ContentReview]:
        """Every decision on content hits made in a run (of one account), oldest first."""
        where, args = "run_id = ?", [run_id]
        if account_id is not None:
            where, args = where + " and account_id = ?", args + [account_id]
        return [ContentReview(**row) for row in self.db["content_reviews"].rows_where(where, args, order_by="id")]
