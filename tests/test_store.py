"""The store: what a run wrote reads back as it was judged; bad files are refused clearly."""

from __future__ import annotations

from datetime import datetime

import pytest

from nmaudit.dates import BEIJING
from nmaudit.errors import StoreError
from nmaudit.store import Store
from tests.conftest import run_audit, weibo_account
from tests.weibo_site import USER_GONE, WeiboAccount, WeiboSite, days_before, posts_at

AS_OF = datetime(2026, 11, 21, 10, tzinfo=BEIJING)


@pytest.mark.browser
def test_a_run_reads_back_as_judged(emulator, tmp_path):
    site = WeiboSite(emulator)
    site.add(WeiboAccount("3600000001", posts=posts_at(days_before(AS_OF, 9))))
    site.add(WeiboAccount("3600000002", info=USER_GONE))
    accounts = [weibo_account("warned", "3600000001", region="渭滨区"), weibo_account("gone", "3600000002")]
    result = run_audit(emulator, accounts, tmp_path, as_of=AS_OF)
    stored = Store(tmp_path / "nmaudit.db").load_run(result.run.id)
    assert stored.run.id == result.run.id and stored.run.finished_at is not None
    assert [item.model_dump() for item in stored.results] == [item.model_dump() for item in result.results]
    assert Store(tmp_path / "nmaudit.db").run_status(result.run.id) == "finished"


def test_an_unknown_run_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no run 'nope'"):
        Store(tmp_path / "nmaudit.db").load_run("nope")


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库" * 200, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not an nmaudit database"):
        Store(path)
    assert path.read_bytes() == before


def test_atomic_files_get_the_mode_open_would_give(tmp_path):
    """Regression: files written through mkstemp were 0600, unreadable to colleagues."""
    import os
    import stat

    from nmaudit.snapshots import atomic_write

    previous = os.umask(0o022)
    try:
        atomic_write(tmp_path / "report.html", b"<html></html>")
    finally:
        os.umask(previous)
    mode = stat.S_IMODE((tmp_path / "report.html").stat().st_mode)
    assert mode == 0o666 & ~previous
