"""The command line as staff and CI use it: a subprocess, exact messages and exit codes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from tests.emulator import Emulator, Reply
from tests.weibo_site import VISITOR_WALL, WeiboAccount, WeiboSite, days_before, posts_at

pytestmark = pytest.mark.browser

AS_OF = "2026-11-21T10:00:00+08:00"
REFERENCE = datetime(2026, 11, 21, 10, tzinfo=BEIJING)

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
    urls: [https://weibo.com/u/3400000001]
  - id: quiet
    name: 宝鸡市场监管
    platform: weibo
    owner: 宝鸡市市场监督管理局
    urls: [https://weibo.com/u/3400000002]
  - id: idle
    name: 渭滨发布
    platform: weibo
    owner: 宝鸡市渭滨区人民政府办公室
    region: 渭滨区
    urls: [https://m.weibo.cn/u/3400000003]
  - id: walled
    name: 宝鸡文旅
    platform: weibo
    owner: 宝鸡市文化和旅游局
    urls: [https://weibo.com/u/3400000004]
"""


@pytest.fixture(scope="module")
def site(emulator: Emulator) -> Emulator:
    weibo = WeiboSite(emulator)
    weibo.add(WeiboAccount("3400000001", posts=posts_at(days_before(REFERENCE, 1))))
    weibo.add(WeiboAccount("3400000002", screen_name="宝鸡市场监管", posts=posts_at(days_before(REFERENCE, 9))))
    weibo.add(WeiboAccount("3400000003", screen_name="渭滨发布", posts=posts_at(days_before(REFERENCE, 30))))
    weibo.add(WeiboAccount("3400000004", info=VISITOR_WALL))
    for index in range(6):  # slow accounts, for the interrupted run
        weibo.add(WeiboAccount(f"34000001{index:02d}", info=None, posts=posts_at(days_before(REFERENCE, 2))))
    emulator.add("https://slow.weibo.cn/never", Reply(delay=5))
    return emulator


def nmaudit(*args: str, cwd: Path, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nmaudit", *args], cwd=cwd, capture_output=True, text=True,
        env=dict(os.environ, NO_COLOR="1", COLUMNS="120"), timeout=180, **options,
    )


def audit_args(site: Emulator, *extra: str) -> list[str]:
    return ["audit", "accounts.yaml", "--as-of", AS_OF, "--pace", "0",
            *[f"--browser-arg={arg}" for arg in site.browser_args], *extra]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "accounts.yaml").write_text(REGISTRY, encoding="utf-8")
    return tmp_path


def test_json_is_one_document_on_stdout(site, workdir):
    done = nmaudit(*audit_args(site, "--format", "json"), cwd=workdir)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert list(document) == ["run", "summary", "accounts"]
    assert document["summary"] == {"checked": 4, "pass": 2, "fail": 1, "review": 1, "pass_rate": 0.6667}
    assert document["run"]["as_of"] == AS_OF and document["run"]["registry"] == "accounts.yaml"
    verdicts = {item["id"]: item["verdict"] for item in document["accounts"]}
    assert verdicts == {"active": "pass", "quiet": "pass", "idle": "fail", "walled": "review"}
    idle = document["accounts"][2]
    assert idle["observed"]["idle_days"] == 30 and idle["region"] == "渭滨区"
    assert [f["code"] for f in idle["findings"]] == ["stale-14d"]
    for item in document["accounts"]:
        assert item["evidence"] and all((workdir / path).exists() for path in item["evidence"])
    assert "[4/4]" in done.stderr and "合格" in done.stderr  # progress goes to stderr


def test_csv_and_junit(site, workdir):
    done = nmaudit(*audit_args(site, "--format", "csv"), cwd=workdir)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(row["id"], row["verdict_label"]) for row in rows] == [
        ("active", "合格"), ("quiet", "合格"), ("idle", "不合格"), ("walled", "待复核")]
    assert rows[1]["findings"] == "stale-7d" and rows[2]["idle_days"] == "30"

    done = nmaudit(*audit_args(site, "--format", "junit", "--output", "report.xml"), cwd=workdir)
    assert done.returncode == 0 and done.stdout == ""
    suites = ET.parse(workdir / "report.xml").getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == ("4", "1", "1")


def test_table_speaks_chinese(site, workdir):
    done = nmaudit(*audit_args(site), cwd=workdir)
    assert done.returncode == 0
    for words in ("合格", "不合格", "待复核", "2周内未更新", "访问受限", "合格率 = 合格 / (合格 + 不合格) = 66.7%"):
        assert words in done.stdout


@pytest.mark.parametrize("fail_on, only, code", [
    ("never", [], 0),
    ("fail", [], 1),
    ("fail", ["active", "quiet", "walled"], 0),
    ("review", ["active", "quiet", "walled"], 1),
    ("review", ["active", "quiet"], 0),
    ("warn", ["active", "quiet"], 1),
    ("warn", ["active"], 0),
])
def test_fail_on_levels(site, workdir, fail_on, only, code):
    selection = [arg for account_id in only for arg in ("--only", account_id)]
    done = nmaudit(*audit_args(site, "--fail-on", fail_on, "--format", "json", *selection), cwd=workdir)
    assert done.returncode == code, done.stderr
    assert len(json.loads(done.stdout)["accounts"]) == (len(only) or 4)


def test_an_invalid_registry_reports_every_problem_and_writes_nothing(site, workdir):
    (workdir / "nmaudit.db").write_bytes(b"")  # earlier data: must stay as it was
    (workdir / "accounts.yaml").write_text(REGISTRY.replace("platform: weibo\n    owner: 宝鸡市市场", "platform: wexin\n    owner: 宝鸡市市场")
                                           .replace("    region: 渭滨区\n", "    regoin: 渭滨区\n"), encoding="utf-8")
    done = nmaudit(*audit_args(site), cwd=workdir)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "accounts.yaml:13: accounts[1].platform: unknown platform 'wexin' (expected wechat, weibo, app, web)",
        "accounts.yaml:20: accounts[2].regoin: unknown key 'regoin' (did you mean 'region'?)",
        "Error: accounts.yaml: 2 problems; nothing was audited",
    ]
    assert done.stdout == ""
    assert (workdir / "nmaudit.db").read_bytes() == b""
    assert not (workdir / "snapshots").exists()


@pytest.mark.parametrize("args, message", [
    (["--only", "nobody"], "unknown account id 'nobody' (not in accounts.yaml)"),
    (["--as-of", "yesterday"], "invalid check time 'yesterday'"),
    (["--format", "pdf"], "'pdf' is not one of"),
    (["--record", "a.har", "--replay", "accounts.yaml"], "--record and --replay cannot be used together"),
])
def test_usage_errors_exit_2(site, workdir, args, message):
    done = nmaudit(*audit_args(site), *args, cwd=workdir)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (workdir / "nmaudit.db").exists()


def test_no_browser_exits_3_and_says_how_to_get_one(site, workdir):
    done = nmaudit(*audit_args(site, "--executable", "/nonexistent/chrome"), cwd=workdir)
    assert done.returncode == 3
    assert "nmaudit install" in done.stderr and "apt-get install -y chromium-headless-shell chromium fonts-noto-cjk" in done.stderr


def test_record_then_replay_judges_the_same(site, workdir):
    recorded = nmaudit(*audit_args(site, "--format", "json", "--record", "capture.har"), cwd=workdir)
    assert recorded.returncode == 0, recorded.stderr
    # The replay may reach nothing: every host resolves to a closed local port.
    replayed = nmaudit("audit", "accounts.yaml", "--replay", "capture.har", "--format", "json",
                       "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=workdir)
    assert replayed.returncode == 0, replayed.stderr
    first, second = json.loads(recorded.stdout), json.loads(replayed.stdout)
    assert second["run"]["as_of"] == first["run"]["as_of"] == AS_OF  # the capture's check time
    assert second["run"]["id"] != first["run"]["id"]
    for before, after in zip(first["accounts"], second["accounts"]):
        assert (after["verdict"], after["observed"], [f["code"] for f in after["findings"]]) == (
            before["verdict"], before["observed"], [f["code"] for f in before["findings"]])


def test_a_replay_without_the_request_fails_like_the_network(site, workdir):
    nmaudit(*audit_args(site, "--only", "active", "--record", "capture.har"), cwd=workdir)
    done = nmaudit("audit", "accounts.yaml", "--replay", "capture.har", "--format", "json", "--only", "quiet",
                   "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", cwd=workdir)
    item = json.loads(done.stdout)["accounts"][0]
    assert item["verdict"] == "review"
    assert [f["code"] for f in item["findings"]] == ["unreachable"]


def test_requests_to_one_host_are_paced(site, workdir):
    # A subprocess, so that the emulator's clock is not held up by the audit's own work.
    before = len(site.requests_to("m.weibo.cn"))
    done = nmaudit(*audit_args(site, "--pace", "0.3"), cwd=workdir)
    assert done.returncode == 0, done.stderr
    requests = site.requests_to("m.weibo.cn")[before:]
    # Chromium asks a host for /favicon.ico once per browser and remembers the answer; a route
    # to block it would intercept every request and cost a tenth of an audit's CPU.
    assert [r.path for r in requests].count("/favicon.ico") <= 1
    times = [request.at for request in requests if request.path != "/favicon.ico"]
    # Per account its profile page m.weibo.cn/u/<uid> first (a shell here: it loads nothing),
    # then the API twice, once for the walled one.
    assert len(times) == 11
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # Arrival times carry the emulator thread's scheduling noise on a loaded 2-core machine.
    assert min(gaps) >= 0.25 and sum(gaps) / len(gaps) >= 0.3, gaps


def test_a_killed_run_keeps_its_finished_accounts(site, workdir):
    accounts = "".join(
        f"  - id: slow-{index}\n    name: 平安宝鸡\n    platform: weibo\n    owner: 宝鸡市公安局\n"
        f"    urls: [https://weibo.com/u/34000001{index:02d}]\n"
        for index in range(6)
    )
    (workdir / "accounts.yaml").write_text(f"version: 1\naccounts:\n{accounts}", encoding="utf-8")
    # A pace of 1 s per request makes each account take about two seconds.
    process = subprocess.Popen(
        [sys.executable, "-m", "nmaudit", *audit_args(site)[:-len(site.browser_args)],
         "--pace", "1", "--concurrency", "1", *[f"--browser-arg={arg}" for arg in site.browser_args]],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    database = workdir / "nmaudit.db"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if database.exists() and _count(database, "observations") >= 2:
                break
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finished = _count(database, "observations")
    assert 2 <= finished < 6
    with sqlite3.connect(database) as db:
        assert db.execute("select status from runs").fetchone() == ("running",)
        assert db.execute("select count(*) from judgements").fetchone() == (finished,)
        assert db.execute("select count(distinct account_id) from evidence").fetchone() == (finished,)
        for path, digest in db.execute("select path, sha256 from evidence"):
            assert hashlib.sha256((workdir / path).read_bytes()).hexdigest() == digest
    kept = [p for p in (workdir / "snapshots").rglob("*") if p.is_file() and not p.name.endswith(".part")]
    with sqlite3.connect(database) as db:
        recorded = {row[0] for row in db.execute("select path from evidence")}
    unrecorded = [p for p in kept if str(p.relative_to(workdir)) not in recorded]
    # Only the account in flight may have files not yet in the database, and none is half-written.
    assert len({p.parent for p in unrecorded}) <= 1


def _count(database: Path, table: str) -> int:
    try:
        with sqlite3.connect(database, timeout=5) as db:
            return db.execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_platforms_lists_what_is_checked_and_what_is_left_to_staff(tmp_path):
    done = nmaudit("platforms", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0
    rows = {row["platform"]: row for row in json.loads(done.stdout)["platforms"]}
    assert set(rows) == {"weibo", "wechat", "app", "web"}
    assert rows["app"]["unchecked"] == ["update", "interaction"]
    assert "interaction" in rows["wechat"]["unchecked"] and "update" in rows["wechat"]["checks"]
    table = nmaudit("platforms", cwd=tmp_path)
    assert "需人工核查" in table.stdout and "移动客户端" in table.stdout
