"""The store under another process's lock: writes wait it out, nothing is lost."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from nmaudit.errors import StoreError
from nmaudit.models import Account, Judgement, Observation, RunInfo
from nmaudit import store as store_module
from nmaudit.store import Store

AS_OF = datetime(2026, 11, 21, 10, tzinfo=BEIJING)

HOLD = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("insert into reviews (run_id, account_id, action, reviewer, at) values ('x', 'y', 'confirm', '另一进程', 'now')")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another process (a reviewer's write, a backup) holding the database's write lock."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def account(n: int) -> Account:
    return Account(id=f"a{n}", name="宝鸡发布", platform="weibo", owner="宝鸡市人民政府新闻办公室",
                   urls=[f"https://weibo.com/u/27100000{n:02d}"])


def started_run(db: Path, accounts: list[Account]) -> tuple[Store, RunInfo]:
    store = Store(db)
    run = RunInfo(id="20261121-100000-lock", as_of=AS_OF, registry="accounts.yaml", started_at=AS_OF)
    store.start_run(run, accounts, registry_sha256="x", tool_version="t", browser="b", options={})
    return store, run


def observed(item: Account) -> tuple[Observation, Judgement]:
    return (Observation(account_id=item.id, platform="weibo", started_at=AS_OF, finished_at=AS_OF),
            Judgement(as_of=AS_OF, verdict="pass"))


def test_database_is_locked_for_ten_seconds_writes_wait_and_nothing_is_lost(tmp_path: Path):
    accounts = [account(n) for n in range(3)]
    store, run = started_run(tmp_path / "nmaudit.db", accounts)
    store.save_account(run.id, *observed(accounts[0]), [])
    holder = hold_write_lock(tmp_path / "nmaudit.db", 10)
    started = time.monotonic()
    try:
        for item in accounts[1:]:
            store.save_account(run.id, *observed(item), [])
        store.finish_run(run.id, AS_OF)
    finally:
        holder.wait(30)
    assert time.monotonic() - started >= 8  # it really waited for the other process
    assert store.finished_accounts(run.id) == {"a0", "a1", "a2"}
    assert store.run_status(run.id) == "finished"


def test_a_lock_that_never_ends_is_a_store_error_not_a_traceback(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(store_module, "LOCK_RETRIES", 1)
    accounts = [account(1)]
    db = tmp_path / "nmaudit.db"
    store, run = started_run(db, accounts)
    store.db.conn.close()
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.2)
    store = Store(db)
    holder = hold_write_lock(db, 8)
    try:
        with pytest.raises(StoreError, match="locked"):
            store.save_account(run.id, *observed(accounts[0]), [])
    finally:
        holder.kill()
        holder.wait(10)
    store.save_account(run.id, *observed(accounts[0]), [])  # once the lock is gone, it writes
    assert store.finished_accounts(run.id) == {"a1"}


def test_a_retried_write_leaves_no_duplicate_rows(tmp_path: Path):
    accounts = [account(1)]
    store, run = started_run(tmp_path / "nmaudit.db", accounts)
    store.save_account(run.id, *observed(accounts[0]), [])
    store.save_account(run.id, *observed(accounts[0]), [])  # as a retry after a broken-off write would
    assert store.db["observations"].count == 1 and store.db["judgements"].count == 1
