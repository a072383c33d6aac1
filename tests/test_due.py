"""`audit --due` over three emulated nights in headless Chromium: only the accounts due are
requested (the emulator's request log says so), the others keep their last check's state with
its date (上次核验) in the table, JSON, CSV, the notice and the warnings, and a lower bound past a
line is worded as possible."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from tests.emulator import Emulator
from tests.wechat_site import SogouAccount, WechatSite
from tests.weibo_site import WeiboAccount, WeiboSite, days_before, posts_at

pytestmark = pytest.mark.browser

FIRST = datetime(2026, 11, 21, 22, tzinfo=BEIJING)  # the first night's check time
NIGHTS = [FIRST + timedelta(days=n) for n in range(3)]

REGISTRY = """\
version: 1
defaults:
  region: 宝鸡市
accounts:
  - id: active
    name: 平安宝鸡
    platform: weibo
    owner: 宝鸡市公安局
    certified_as: 宝鸡市公安局
    urls: [https://weibo.com/u/3500000001]
  - id: quiet
    name: 宝鸡市场监管
    platform: weibo
    owner: 宝鸡市市场监督管理局
    urls: [https://weibo.com/u/3500000002]
  - id: idle
    name: 渭滨发布
    platform: weibo
    owner: 宝鸡市渭滨区人民政府办公室
    urls: [https://weibo.com/u/3500000003]
  - id: sogou
    name: 宝鸡发布
    platform: wechat
    owner: 宝鸡市人民政府新闻办公室
    certified_as: 宝鸡市人民政府新闻办公室
    ids: {wechat_id: baojifabu}
"""

CONTACTS = """\
version: 1
units:
  宝鸡市公安局: ["json://127.0.0.1:9/police"]
  宝鸡市市场监督管理局: ["json://127.0.0.1:9/scjg"]
  宝鸡市渭滨区人民政府办公室: ["json://127.0.0.1:9/weibin"]
  宝鸡市人民政府新闻办公室: ["json://127.0.0.1:9/news"]
"""

UIDS = {"3500000001": "active", "3500000002": "quiet", "3500000003": "idle"}


@pytest.fixture(scope="module")
def site(emulator: Emulator) -> Emulator:
    weibo = WeiboSite(emulator)
    # Posted the day before the first night: the 7-day line is 8 nights away.
    weibo.add(WeiboAccount("3500000001", posts=posts_at(days_before(FIRST, 1))))
    # Six days before: the 7-day line is crossed on the third night.
    weibo.add(WeiboAccount("3500000002", screen_name="宝鸡市场监管", posts=posts_at(days_before(FIRST, 6))))
    # A month: 不合格, checked again every night.
    weibo.add(WeiboAccount("3500000003", screen_name="渭滨发布", posts=posts_at(days_before(FIRST, 30))))
    # Sogou shows an article 9 days old: a lower bound past the 7-day line (a possible warning);
    # its 10-day line is crossed on the third night.
    wechat = WechatSite(emulator)
    wechat.sogou_results("baojifabu", [SogouAccount("宝鸡发布", "宝鸡市人民政府新闻办公室", days_before(FIRST, 9))])
    return emulator


def nmaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nmaudit", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, NO_COLOR="1", COLUMNS="200"), timeout=180)


def asked(emulator: Emulator, since: int) -> set[str]:
    """The accounts the requests after the first `since` were about."""
    accounts = set()
    for request in emulator.requests[since:]:
        if request.host == "weixin.sogou.com":
            accounts.add("sogou")
        elif request.host == "m.weibo.cn":
            value = request.query.get("value") or request.path.rsplit("/", 1)[-1]
            accounts.add(UIDS.get(value[-10:], value))
    return accounts


@pytest.fixture(scope="module")
def nights(site: Emulator, tmp_path_factory) -> dict:
    """Three nights of `audit --due`: per night its JSON document, CSV, table, notice and warnings,
    and which accounts the emulated platforms were asked about."""
    folder = tmp_path_factory.mktemp("due")
    (folder / "accounts.yaml").write_text(REGISTRY, encoding="utf-8")
    (folder / "contacts.yaml").write_text(CONTACTS, encoding="utf-8")
    found = {}
    for number, moment in enumerate(NIGHTS, 1):
        since = len(site.requests)
        done = nmaudit("audit", "accounts.yaml", "--due", "--budget", "sogou=5", "--as-of", moment.isoformat(),
                       "--pace", "0", "--sogou-pace", "0", "--format", "json", "-o", f"night{number}.json",
                       *[f"--browser-arg={arg}" for arg in site.browser_args], cwd=folder)
        assert done.returncode == 0, done.stderr
        document = json.loads((folder / f"night{number}.json").read_text(encoding="utf-8"))
        run_id = document["run"]["id"]
        table = nmaudit("judge", run_id, cwd=folder).stdout
        judged_csv = nmaudit("judge", run_id, "--format", "csv", cwd=folder).stdout
        notice = nmaudit("report", run_id, "--format", "md", cwd=folder).stdout
        warnings = nmaudit("notify", run_id, "--dry-run", "--contacts", "contacts.yaml", cwd=folder)
        assert warnings.returncode == 0, warnings.stderr
        found[number] = {"asked": asked(site, since), "document": document, "stderr": done.stderr,
                         "table": table, "csv": judged_csv, "notice": notice, "warnings": warnings.stdout,
                         "accounts": {account["id"]: account for account in document["accounts"]}}
    return found


def test_each_night_asks_the_platforms_about_the_due_accounts_only(nights):
    assert nights[1]["asked"] == {"active", "quiet", "idle", "sogou"}  # none checked before
    assert nights[2]["asked"] == {"idle"}  # 不合格: may be fixed any night
    assert nights[3]["asked"] == {"idle", "quiet", "sogou"}  # the 7-day and the 10-day lines
    assert "本次核验 1 个账号（上次不合格 1），3 个沿用上次核验结果" in nights[2]["stderr"]
    assert "weixin.sogou.com：本晚预算 5 次（1 个出口），计划 0 次" in nights[2]["stderr"]


def test_every_night_covers_the_whole_registry_carried_states_dated(nights):
    first_run = nights[1]["document"]["run"]["id"]
    for number in (1, 2, 3):
        assert set(nights[number]["accounts"]) == {"active", "quiet", "idle", "sogou"}
    second = nights[2]["accounts"]
    assert second["active"]["carried_from"] == first_run
    assert second["active"]["last_checked_at"] == NIGHTS[0].isoformat()
    assert second["active"]["verdict"] == "pass"
    assert second["idle"]["carried_from"] is None and second["idle"]["verdict"] == "fail"
    assert nights[2]["document"]["due"] == {"checked": 1, "carried": 3}
    third = nights[3]["accounts"]
    assert third["active"]["carried_from"] == first_run  # the account's proof, not the night before's copy
    assert third["quiet"]["carried_from"] is None
    assert [f["code"] for f in third["quiet"]["findings"]] == ["stale-7d"]  # crossed on the night it could


def test_table_csv_and_notice_show_the_date_of_the_last_check(nights):
    assert "合格（上次核验 2026-11-21）" in nights[2]["table"]
    assert "其中本次核验 1 个；3 个未到期，沿用上次核验结果" in nights[2]["table"]
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(nights[2]["csv"]))}
    assert rows["active"]["last_checked_at"] == "2026-11-21T22:00:00+08:00"
    assert rows["active"]["carried_from"] == nights[1]["document"]["run"]["id"]
    assert rows["idle"]["carried_from"] == ""
    assert "其中1个为本次核验，3个按期检查未到期，沿用上次核验结果" in nights[2]["notice"]


def test_the_lower_bound_warning_is_worded_as_possible_and_carried_with_its_date(nights):
    first, second, third = (nights[n]["warnings"] for n in (1, 2, 3))
    assert "宝鸡发布（微信）：搜狗显示最近文章为9天前；如已更新请忽略；距2周期限至多还剩5天" in first
    # Not due on the second night: the same proof, its days counted to tonight, and its date.
    assert ("宝鸡发布（微信）：本次未到期，沿用上次核验（2026-11-21）结果；"
            "搜狗显示最近文章为10天前；如已更新请忽略；距2周期限至多还剩4天") in second
    assert "宝鸡发布（微信）：搜狗显示最近文章为11天前；如已更新请忽略；距2周期限至多还剩3天" in third
    for text in (first, second, third):
        line = next(line for line in text.splitlines() if "宝鸡发布（微信）" in line)
        assert "不合格" not in line and "【提醒】" in line
    for number in (1, 2, 3):
        assert nights[number]["accounts"]["sogou"]["verdict"] == "pass"
    # The carried idle account's warning says when it was proved only when it was carried.
    assert "【不合格】渭滨发布（微博）：已32天未更新" in third


@pytest.mark.parametrize("args, message", [
    (["--budget", "sogou=300"], "--budget applies to --due runs"),
    (["--due", "--budget", "sogou"], "'sogou': expected HOST=N (e.g. sogou=300)"),
    (["--due", "--budget", "sogou=0"], "expected a whole number of requests >= 1"),
    (["--due", "--resume"], "--resume continues a stored run as it was started"),
])
def test_budget_and_due_usage_errors_exit_2_and_touch_nothing(tmp_path, args, message):
    (tmp_path / "accounts.yaml").write_text(REGISTRY, encoding="utf-8")
    registry = [] if "--resume" in args else ["accounts.yaml"]
    done = nmaudit("audit", *registry, *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert not (tmp_path / "nmaudit.db").exists()
