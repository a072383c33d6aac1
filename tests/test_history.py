"""Judging over time: re-judging, resume after SIGKILL, re-checks, history findings, verify, prune."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from nmaudit.audit import AuditOptions, audit_accounts
from nmaudit.browser import BrowserOptions
from nmaudit.dates import BEIJING, parse_as_of
from nmaudit.history import compare_runs, prune, rejudge, verify_run
from nmaudit.models import Policy
from nmaudit.registry import Registry
from nmaudit.store import Store
from tests.conftest import by_id, codes, weibo_account
from tests.demo_site import ROOT
from tests.weibo_site import Post, WeiboAccount, WeiboSite, days_before, posts_at, weibo_time

pytestmark = pytest.mark.browser

SAMPLE = ROOT / "snapshots" / "sample.har"
REGISTRY = ROOT / "accounts.yaml"
#: Replays must not reach anything: every host resolves to a closed port.
OFFLINE = "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9"


def nmaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nmaudit", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=dict(os.environ, NO_COLOR="1"))


def replay_args(workdir: Path, *extra: str) -> list[str]:
    return ["audit", str(REGISTRY), "--replay", str(SAMPLE), "--db", str(workdir / "nmaudit.db"),
            "--snapshots", str(workdir / "snapshots"), OFFLINE, *extra]


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> tuple[Path, dict]:
    """The sample capture replayed once into a database of its own."""
    workdir = tmp_path_factory.mktemp("sample")
    done = nmaudit(*replay_args(workdir, "--format", "json"), cwd=workdir)
    assert done.returncode == 0, done.stderr
    return workdir, json.loads(done.stdout)


# -- re-judging without the network ----------------------------------------------------------


def newest_post_day(document: dict, account_id: str) -> date:
    """The Beijing date of an account's newest post in the sample capture (recorded relative to
    the day it was recorded on)."""
    account = next(a for a in document["accounts"] if a["id"] == account_id)
    return datetime.fromisoformat(account["observed"]["newest_post_at"]).astimezone(BEIJING).date()


@pytest.mark.parametrize("days, time, verdict, expected", [
    (7, "23:59", "pass", []),             # 7 days after the post
    (8, "00:00", "pass", ["stale-7d"]),   # 8 days
    (14, "23:59", "pass", ["stale-7d"]),  # 14 days
    (15, "00:00", "fail", ["stale-14d"]),  # 15 days
])
def test_rejudging_later_crosses_the_day_boundaries_exactly(sample_run, days, time, verdict, expected):
    workdir, document = sample_run
    posted = newest_post_day(document, "baoji-fabu-weibo")
    store = Store(workdir / "nmaudit.db")
    as_of = parse_as_of(f"{posted + timedelta(days=days)}T{time}")
    again = by_id(rejudge(store, document["run"]["id"], as_of))["baoji-fabu-weibo"]
    assert again.observation.newest_post_at.astimezone(BEIJING).date() == posted
    assert (again.judgement.verdict, codes(again)) == (verdict, expected)


def test_judge_command_prints_the_same_document_and_writes_nothing(sample_run):
    workdir, document = sample_run
    later = newest_post_day(document, "baoji-fabu-weibo") + timedelta(days=15)
    before = rows(workdir / "nmaudit.db", "select count(*) from judgements")
    done = nmaudit("judge", document["run"]["id"], "--as-of", later.isoformat(), "--format", "json",
                   "--db", str(workdir / "nmaudit.db"), cwd=workdir)
    assert done.returncode == 0, done.stderr
    judged = json.loads(done.stdout)
    assert set(judged) >= {"run", "summary", "accounts"} and judged["run"]["as_of"] == f"{later}T00:00:00+08:00"
    verdicts = {a["id"]: a["verdict"] for a in judged["accounts"]}
    assert verdicts["baoji-fabu-weibo"] == "fail" and verdicts["baoji-wenlv-weibo"] == "review"
    assert rows(workdir / "nmaudit.db", "select count(*) from judgements") == before


def test_judge_with_a_stricter_policy(sample_run):
    workdir, document = sample_run
    done = nmaudit("judge", document["run"]["id"], "--policy", "fail_idle_days=7", "--format", "json",
                   "--db", str(workdir / "nmaudit.db"), cwd=workdir)
    assert done.returncode == 0, done.stderr
    scjg = next(a for a in json.loads(done.stdout)["accounts"] if a["id"] == "baoji-scjg-weibo")
    assert scjg["verdict"] == "fail" and [f["code"] for f in scjg["findings"]] == ["stale-14d"]
    bad = nmaudit("judge", document["run"]["id"], "--policy", "fail_days=7", "--db", str(workdir / "nmaudit.db"),
                  cwd=workdir)
    assert bad.returncode == 2 and "unknown policy setting 'fail_days'" in bad.stderr


# -- evidence integrity ----------------------------------------------------------------------


def test_verify_detects_a_tampered_and_a_missing_snapshot(tmp_path):
    done = nmaudit(*replay_args(tmp_path, "--only", "baoji-police-weibo", "--only", "weibin-fabu-weibo",
                                "--format", "json"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run"]["id"]
    db = str(tmp_path / "nmaudit.db")
    clean = nmaudit("verify", run_id, "--db", db, cwd=tmp_path)
    assert clean.returncode == 0 and "证据完好" in clean.stdout, clean.stdout + clean.stderr

    shots = sorted((tmp_path / "snapshots" / run_id).rglob("*.jpg"))
    tampered, removed = shots[0], shots[-1]
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other content
    tampered.write_bytes(bytes(data))
    removed.unlink()
    (tmp_path / "snapshots" / run_id / "planted.jpg").write_bytes(b"\xff\xd8")
    checked = nmaudit("verify", run_id, "--db", db, cwd=tmp_path)
    assert checked.returncode == 1
    assert f"被修改：{tampered}" in checked.stdout
    assert f"缺失：{removed}" in checked.stdout
    assert "未登记：" in checked.stdout and "planted.jpg" in checked.stdout


# -- resume after SIGKILL --------------------------------------------------------------------


def comparable(document: dict) -> dict:
    return {a["id"]: (a["verdict"], a["observed"], [(f["code"], f["message"]) for f in a["findings"]])
            for a in document["accounts"]}


def test_a_killed_run_resumes_to_the_same_result(tmp_path, sample_run):
    _, uninterrupted = sample_run
    process = subprocess.Popen(
        [sys.executable, "-m", "nmaudit", *replay_args(tmp_path, "--concurrency", "1")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=dict(os.environ, NO_COLOR="1"), start_new_session=True,
    )
    finished_lines = 0
    for line in process.stderr:
        if line.startswith("["):
            finished_lines += 1
            if finished_lines == 4:
                os.killpg(process.pid, signal.SIGKILL)  # the CLI and its Chromium, mid-run
                break
    process.wait(timeout=60)
    db = tmp_path / "nmaudit.db"
    [(run_id, status)] = rows(db, "select id, status from runs")
    kept = rows(db, "select count(*) from observations where run_id = ?", run_id)[0][0]
    assert status == "running" and 4 <= kept < 17, (status, kept)

    listed = nmaudit("runs", "--format", "json", "--db", str(db), cwd=tmp_path)
    assert json.loads(listed.stdout)["runs"][0]["status"] == "running"
    resumed = nmaudit("audit", "--resume", "--format", "json", "--db", str(db), OFFLINE, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"检查 {17 - kept} 个账号 · 批次 {run_id}" in resumed.stderr
    document = json.loads(resumed.stdout)
    assert document["run"]["id"] == run_id and document["run"]["as_of"] == uninterrupted["run"]["as_of"]
    assert comparable(document) == comparable(uninterrupted)

    assert rows(db, "select status from runs") == [("finished",)]
    for table in ("observations", "judgements", "accounts"):
        assert rows(db, f"select count(*), count(distinct account_id) from {table}") == [(17, 17)]
    assert rows(db, "select count(*) - count(distinct path) from evidence") == [(0,)]
    assert not list((tmp_path / "snapshots").rglob("*.part"))
    report = verify_run(Store(db), run_id)
    assert report.ok, (report.modified, report.missing, report.unrecorded)
    again = nmaudit("audit", "--resume", "--db", str(db), cwd=tmp_path)
    assert again.returncode == 1 and "no unfinished run to resume" in again.stderr


# -- history over runs: re-check, renames, streaks, retention ------------------------------


def audit_in_process(emulator, registry: Registry, accounts, folder: Path, as_of, recheck_of=None):
    options = AuditOptions(
        db=str(folder / "nmaudit.db"), snapshots=str(folder / "snapshots"), as_of=as_of, concurrency=2,
        browser=BrowserOptions(browser_args=emulator.browser_args, pace=0.0, retries=0, timeout=15.0),
    )
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(audit_accounts(
            registry, accounts, options, Store(options.db), recheck_of=recheck_of))).result()


FIRST = datetime(2026, 9, 30, 10, 0, tzinfo=BEIJING)
SECOND = datetime(2026, 12, 30, 10, 0, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def quarters(emulator, tmp_path_factory):
    """Two quarterly checks of four Weibo accounts, the site changing in between."""
    site = WeiboSite(emulator)
    fixed = site.add(WeiboAccount("3300000001", screen_name="岐山发布", posts=posts_at(days_before(FIRST, 20))))
    still = site.add(WeiboAccount("3300000002", screen_name="扶风发布", posts=posts_at(days_before(FIRST, 30))))
    renamed = site.add(WeiboAccount("3300000003", screen_name="眉县发布", posts=posts_at(days_before(FIRST, 1))))
    fine = site.add(WeiboAccount("3300000004", screen_name="凤县发布",
                                 posts=posts_at(days_before(FIRST, 1), days_before(FIRST, 5))))
    accounts = [
        weibo_account("qishan", "3300000001", name="岐山发布"),
        weibo_account("fufeng", "3300000002", name="扶风发布"),
        weibo_account("meixian", "3300000003", name="眉县发布"),
        weibo_account("fengxian", "3300000004", name="凤县发布"),
    ]
    registry = Registry(path="quarters.yaml", version=1, policy=Policy(), accounts=accounts, sha256="q")
    folder = tmp_path_factory.mktemp("quarters")
    first = audit_in_process(emulator, registry, accounts, folder, FIRST)

    fixed.posts = posts_at(days_before(SECOND, 2), days_before(SECOND, 9))
    still.posts = posts_at(days_before(FIRST, 30))  # nothing since: 121 days by the second check
    renamed.screen_name = "眉县融媒"
    renamed.posts = posts_at(days_before(SECOND, 3))
    fine.posts = posts_at(days_before(SECOND, 1), days_before(SECOND, 40))
    store = Store(folder / "nmaudit.db")
    earlier = store.load_run(first.run.id)
    failing = [a for a in accounts if a.id in {r.account.id for r in earlier.results if r.judgement.verdict != "pass"}]
    recheck = audit_in_process(emulator, registry, failing, folder, SECOND, recheck_of=first.run.id)
    second = audit_in_process(emulator, registry, accounts, folder, SECOND + timedelta(hours=1))
    return folder, first, recheck, second


def test_the_first_quarter(quarters):
    _, first, _, _ = quarters
    verdicts = {r.account.id: (r.judgement.verdict, codes(r)) for r in first.results}
    assert verdicts == {"qishan": ("fail", ["stale-14d"]), "fufeng": ("fail", ["stale-14d"]),
                        "meixian": ("pass", []), "fengxian": ("pass", [])}
    assert all(r.judgement.consecutive_failures == (1 if r.judgement.verdict == "fail" else 0) for r in first.results)


def test_recheck_labels_fixed_and_still_failing(quarters):
    folder, first, recheck, _ = quarters
    assert recheck.run.recheck_of == first.run.id
    assert sorted(r.account.id for r in recheck.results) == ["fufeng", "qishan"]
    items = {item.account_id: item for item in compare_runs(first, recheck)}
    assert (items["qishan"].status, items["qishan"].label) == ("fixed", "已整改")
    assert (items["fufeng"].status, items["fufeng"].label) == ("still-failing", "仍未整改")
    assert items["fufeng"].before_codes == ["stale-14d"] and items["fufeng"].after_codes == ["stale-14d"]
    assert Store(folder / "nmaudit.db").run_info(recheck.run.id).recheck_of == first.run.id


def test_a_failure_streak_and_a_zombie(quarters):
    _, _, recheck, second = quarters
    streak = by_id(recheck)["fufeng"]
    assert streak.judgement.consecutive_failures == 2
    assert codes(streak) == ["stale-14d", "zombie"]
    zombie = next(f for f in streak.judgement.findings if f.code == "zombie")
    assert zombie.severity == "warn" and "超过90天未更新" in zombie.message and "已121天" in zombie.message
    assert by_id(second)["fufeng"].judgement.consecutive_failures == 3
    assert by_id(second)["qishan"].judgement.consecutive_failures == 0


def test_a_rename_between_two_runs_names_both(quarters):
    _, first, _, second = quarters
    renamed = by_id(second)["meixian"]
    changed = [f for f in renamed.judgement.findings if f.code == "changed-since-last-run"]
    assert len(changed) == 1 and changed[0].severity == "warn"
    assert "原为“眉县发布”，现为“眉县融媒”" in changed[0].message and first.run.id in changed[0].message
    assert renamed.judgement.prior_run == first.run.id
    assert "name-mismatch" in codes(renamed) and renamed.judgement.verdict == "pass"


def test_longest_gap_comes_from_consecutive_listed_posts_and_earlier_runs(quarters):
    _, first, _, second = quarters
    fine = by_id(second)["fengxian"]
    assert fine.judgement.longest_gap_days == 39  # between its two listed posts
    assert by_id(first)["fengxian"].judgement.longest_gap_days == 4


def test_history_command_shows_every_run(quarters):
    folder, first, recheck, second = quarters
    done = nmaudit("history", "fufeng", "--format", "json", "--db", str(folder / "nmaudit.db"), cwd=folder)
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)["runs"]
    assert [r["run_id"] for r in runs] == [first.run.id, recheck.run.id, second.run.id]
    assert [r["verdict"] for r in runs] == ["fail", "fail", "fail"]
    assert [r["idle_days"] for r in runs] == [30, 121, 121]
    assert runs[1]["recheck_of"] == first.run.id and runs[0]["name"] == "扶风发布"
    table = nmaudit("history", "fufeng", "--db", str(folder / "nmaudit.db"), cwd=folder)
    assert "连续 3 次检查不合格" in table.stdout
    missing = nmaudit("history", "nobody", "--db", str(folder / "nmaudit.db"), cwd=folder)
    assert missing.returncode == 1 and "account 'nobody' has not been audited" in missing.stderr


def test_prune_keeps_the_latest_run_of_every_account(sample_run, tmp_path):
    for extra in ([], [], ["--only", "baoji-police-weibo"]):
        done = nmaudit(*replay_args(tmp_path, *extra), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    db = tmp_path / "nmaudit.db"
    first, second, third = [row[0] for row in rows(db, "select id from runs order by started_at")]
    dry = nmaudit("prune", "--keep-runs", "1", "--dry-run", "--db", str(db), cwd=tmp_path)
    assert dry.returncode == 0 and f"将删除批次 {first}" in dry.stdout
    assert (tmp_path / "snapshots" / first).is_dir() and len(rows(db, "select id from runs")) == 3

    done = nmaudit("prune", "--keep-runs", "1", "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"已删除批次 {first}" in done.stdout and f"保留批次 {second}" in done.stdout
    assert "已释放" in done.stdout and " 0.0 MB" not in done.stdout
    assert sorted(row[0] for row in rows(db, "select id from runs")) == sorted([second, third])
    for table in ("accounts", "observations", "judgements", "findings", "evidence"):
        assert rows(db, f"select count(*) from {table} where run_id = ?", first) == [(0,)]
    assert not (tmp_path / "snapshots" / first).exists()
    assert (tmp_path / "snapshots" / second).is_dir()
    assert verify_run(Store(db), second).ok


def test_record_keeps_the_har_beside_the_snapshots_as_evidence(emulator, tmp_path):
    site = WeiboSite(emulator)
    site.add(WeiboAccount("3300000009", posts=[Post(weibo_time(days_before(FIRST, 1)))]))
    account = weibo_account("recorded", "3300000009")
    done = nmaudit("audit", str(write_registry(tmp_path, account)), "--record", "--db", str(tmp_path / "n.db"),
                   "--snapshots", str(tmp_path / "snapshots"), "--as-of", "2026-09-30", "--pace", "0",
                   *(f"--browser-arg={arg}" for arg in emulator.browser_args), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [(run_id, path, kind)] = rows(tmp_path / "n.db", "select run_id, path, kind from evidence where account_id is null")
    assert kind == "har" and Path(path) == tmp_path / "snapshots" / run_id / "run.har"
    assert json.loads(Path(path).read_text())["log"]["_nmaudit"]["run"] == run_id
    assert verify_run(Store(tmp_path / "n.db"), run_id).ok


def write_registry(folder: Path, account) -> Path:
    path = folder / "accounts.yaml"
    path.write_text(
        "version: 1\naccounts:\n"
        f"  - id: {account.id}\n    name: {account.name}\n    platform: weibo\n    owner: {account.owner}\n"
        f"    urls: [{account.urls[0]}]\n", encoding="utf-8")
    return path


def test_history_runs_and_prune_respect_staff_review(tmp_path):
    """Regression: history and runs showed the machine's verdicts after staff overruled them,
    and prune dropped a run whose filing (报备) later runs still relied on."""
    from nmaudit.dates import now
    from nmaudit.review import new_review

    for _ in range(2):
        done = nmaudit(*replay_args(tmp_path), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    db = tmp_path / "nmaudit.db"
    store = Store(db)
    first, second = [row["id"] for row in store.list_runs()]
    wenlv = by_id(store.load_run(second, reviewed=False))["baoji-wenlv-weibo"]
    store.add_review(new_review(wenlv, run_id=second, action="overrule", reviewer="王芳", reason="手机端核实：11月21日有发布",
                                at=now(), verdict="pass"))
    chencang = by_id(store.load_run(first, reviewed=False))["chencang-jiaojing-weibo"]
    store.add_review(new_review(chencang, run_id=first, action="file", reviewer="王芳", reason="已于11月报备更名",
                                at=now(), field="name"))

    timeline = json.loads(nmaudit("history", "baoji-wenlv-weibo", "--format", "json", "--db", str(db),
                                  cwd=tmp_path).stdout)["runs"]
    assert [(r["verdict"], r["machine_verdict"]) for r in timeline] == [("review", "review"), ("pass", "review")]
    listed = {r["id"]: r for r in json.loads(nmaudit("runs", "--format", "json", "--db", str(db), cwd=tmp_path).stdout)["runs"]}
    first_pass = listed[first]["pass"]
    assert listed[first]["review"] == 2  # as the sample capture judges
    assert (listed[second]["pass"], listed[second]["review"]) == (first_pass + 1, 1)

    done = nmaudit("prune", "--keep-runs", "1", "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0 and f"保留批次 {first}（含报备记录" in done.stdout, done.stdout
    assert {row["id"] for row in Store(db).list_runs()} == {first, second}
    assert "name-mismatch" not in codes(by_id(Store(db).load_run(second))["chencang-jiaojing-weibo"])
