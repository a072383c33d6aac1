"""Notifications over three daily runs, received by a local JSON webhook and a local SMTP
server: each unit hears once per change, recoveries once, supervisors get their digest; a
dead channel is kept and re-sent; --dry-run sends nothing. Runs are stored without a browser."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from nmaudit.cli import cli
from nmaudit.contacts import load_contacts
from nmaudit.dates import BEIJING
from nmaudit.errors import ContactsError, StoreError
from nmaudit.models import Account, Policy, Signal
from nmaudit.notify import notify_run
from nmaudit.store import Store
from tests.notify_sites import MailReceiver, WebhookReceiver, free_port, store_run, weibo_seen

REVIEW = "https://review.example.gov.cn"
DAYS = [datetime(2026, 11, day, 9, 0, tzinfo=BEIJING) for day in (9, 10, 11)]

POLICE = Account(id="p1", name="平安宝鸡", platform="weibo", owner="宝鸡市公安局", region="宝鸡市",
                 urls=["https://weibo.com/u/1"],
                 policy=Policy(blue_idle_days=7, yellow_idle_days=8, red_idle_days=9))
WEIBIN = Account(id="w1", name="渭滨发布", platform="weibo", owner="宝鸡市渭滨区人民政府办公室", region="渭滨区",
                 urls=["https://weibo.com/u/2"])
JINTAI = Account(id="j1", name="金台教育", platform="weibo", owner="宝鸡市金台区教育局", region="金台区",
                 urls=["https://weibo.com/u/3"])
JINTAI_OK = Account(id="j2", name="金台学生资助", platform="weibo", owner="宝鸡市金台区教育局", region="金台区",
                    urls=["https://weibo.com/u/4"])
TAIBAI = Account(id="t1", name="太白发布", platform="weibo", owner="宝鸡市太白县人民政府办公室", region="太白县",
                 urls=["https://weibo.com/u/5"])


def day_run(store: Store, number: int) -> str:
    """Run `number` (0, 1, 2) of three daily runs: 平安宝鸡 goes 蓝 → 黄 → 红; 渭滨发布 fails, then
    posts (fixed); 金台教育 stays 蓝; 金台学生资助 stays fine; 太白发布 stays behind a visitor wall."""
    as_of = DAYS[number]
    weibin_newest = datetime(2026, 10, 20, 12, 0, tzinfo=BEIJING) if number == 0 else datetime(
        2026, 11, 10, 8, 0, tzinfo=BEIJING)
    blocked = weibo_seen("t1", None, as_of)
    blocked.signals = [Signal(code="blocked", message="微博访客验证页，未能读取账号主页")]
    return store_run(store, f"r{number + 1}", as_of, [
        (POLICE, weibo_seen("p1", datetime(2026, 11, 1, 10, 0, tzinfo=BEIJING), as_of)),
        (WEIBIN, weibo_seen("w1", weibin_newest, as_of)),
        (JINTAI, weibo_seen("j1", datetime(2026, 11, 1, 10, 0, tzinfo=BEIJING), as_of)),
        (JINTAI_OK, weibo_seen("j2", as_of.replace(hour=7), as_of)),
        (TAIBAI, blocked),
    ])


def write_contacts(folder: Path, hook: str, mail: str, police: str | None = None) -> Path:
    path = folder / "contacts.yaml"
    path.write_text(f"""version: 1
review_url: {REVIEW}/
units:
  宝鸡市公安局: {police or hook + '/police'}
  宝鸡市渭滨区人民政府办公室:
    - ${{WEIBIN_MAIL}}
  宝鸡市金台区教育局: [{hook}/jintai]
regions:
  太白县: [{hook}/taibai]
supervisors:
  "*": ["{mail}duban@example.gov.cn"]
  渭滨区: [{hook}/weibin-duban]
""", encoding="utf-8")
    return path


@pytest.fixture
def receivers():
    with WebhookReceiver() as hook, MailReceiver() as mail:
        yield hook, mail


def contacts_for(folder: Path, hook: WebhookReceiver, mail: MailReceiver, monkeypatch, **extra: str):
    """The contacts file; 渭滨区's address comes from the environment, as a secret would."""
    path = write_contacts(folder, hook.url("").rstrip("/"), mail.url("").split("&to=")[0] + "&to=", **extra)
    monkeypatch.setenv("WEIBIN_MAIL", mail.url("weibin@example.gov.cn"))
    return path


def bodies(hook: WebhookReceiver, path: str) -> list[str]:
    return [message["message"] for message in hook.messages(path)]


def mails_to(mail: MailReceiver, address: str) -> list[str]:
    return [text.replace("\r\n", "\n").rstrip("\n") for to, _, text in mail.received if to == [address]]


def test_three_daily_runs_tell_each_change_once(tmp_path: Path, receivers, monkeypatch):
    hook, mail = receivers
    contacts = load_contacts(contacts_for(tmp_path, hook, mail, monkeypatch))
    store = Store(tmp_path / "nmaudit.db")

    # Day 1: everything that is warned is news.
    notify_run(store, day_run(store, 0), contacts)
    assert bodies(hook, "police") == [
        "宝鸡市公安局：本次检查（2026-11-09 09:00）有1个账号预警状态变化：\n"
        "1. 【蓝色预警】平安宝鸡（微博）：已8天未更新（最新发布2026-11-01）；距2周未更新不合格还剩6天，最晚11月15日须更新。"
        f"证据：{REVIEW}/runs/r1/accounts/p1\n批次 r1"]
    assert hook.messages("police")[0]["title"] == "【政务新媒体预警】宝鸡市公安局 2026-11-09"
    assert mails_to(mail, "weibin@example.gov.cn") == [
        "宝鸡市渭滨区人民政府办公室：本次检查（2026-11-09 09:00）有1个账号预警状态变化：\n"
        "1. 【不合格】渭滨发布（微博）：已20天未更新（最新发布2026-10-20）；问题：2周内未更新。"
        f"证据：{REVIEW}/runs/r1/accounts/w1\n批次 r1"]
    assert len(bodies(hook, "jintai")) == 1 and "【蓝色预警】金台教育（微博）：已8天未更新" in bodies(hook, "jintai")[0]
    assert "金台学生资助" not in bodies(hook, "jintai")[0]
    assert bodies(hook, "taibai") == [
        "太白县：本次检查（2026-11-09 09:00）有1个账号预警状态变化：\n"
        "1. 【待复核】太白发布（微博）：内容更新未能确认：访问受限，需人工核查（微博访客验证页，未能读取账号主页）。"
        f"证据：{REVIEW}/runs/r1/accounts/t1\n批次 r1"]
    digest = mails_to(mail, "duban@example.gov.cn")
    assert len(digest) == 1
    assert digest[0].splitlines() == [
        "全部政务新媒体预警汇总（监测时间点 2026-11-09 09:00，批次 r1）",
        "共5个账号：正常1、蓝色预警2、黄色预警0、红色预警0、不合格1、待复核1",
        "新增不合格1个：",
        "- 渭滨发布（微博，宝鸡市渭滨区人民政府办公室）：2周内未更新（已20天未更新）",
        "待复核1个：",
        "- 太白发布（微博，宝鸡市太白县人民政府办公室）：访问受限，需人工核查",
        "本次4个账号状态变化，涉及4个单位。",
    ]
    assert len(bodies(hook, "weibin-duban")) == 1
    assert bodies(hook, "weibin-duban")[0].splitlines()[1] == "共1个账号：正常0、蓝色预警0、黄色预警0、红色预警0、不合格1、待复核0"

    # Day 2: 平安宝鸡 turns 黄, 渭滨发布 posted (recovered); 金台教育 still 蓝, 太白发布 still 待复核.
    notify_run(store, day_run(store, 1), contacts)
    assert bodies(hook, "police")[1] == (
        "宝鸡市公安局：本次检查（2026-11-10 09:00）有1个账号预警状态变化：\n"
        "1. 【黄色预警】平安宝鸡（微博）：已9天未更新（最新发布2026-11-01）；距2周未更新不合格还剩5天，最晚11月15日须更新"
        f"（原为蓝色预警）。证据：{REVIEW}/runs/r2/accounts/p1\n批次 r2")
    assert mails_to(mail, "weibin@example.gov.cn")[1] == (
        "宝鸡市渭滨区人民政府办公室：本次检查（2026-11-10 09:00）有1个账号预警状态变化：\n"
        "1. 【已恢复】渭滨发布（微博）：原为不合格，现已恢复正常（已0天未更新（最新发布2026-11-10））\n批次 r2")
    assert len(bodies(hook, "jintai")) == 1 and len(bodies(hook, "taibai")) == 1
    digest = mails_to(mail, "duban@example.gov.cn")[1].splitlines()
    assert digest[1] == "共5个账号：正常2、蓝色预警1、黄色预警1、红色预警0、不合格0、待复核1"
    assert digest[-1] == "本次2个账号状态变化，涉及2个单位；已恢复1个：渭滨发布（微博）。"
    assert not any(line.startswith("新增") for line in digest)
    assert bodies(hook, "weibin-duban")[1].splitlines()[-1] == "本次1个账号状态变化，涉及1个单位；已恢复1个：渭滨发布（微博）。"

    # Day 3: only 平安宝鸡 changes (红); the fixed account is not told again.
    notify_run(store, day_run(store, 2), contacts)
    assert len(bodies(hook, "police")) == 3 and "【红色预警】平安宝鸡（微博）：已10天未更新" in bodies(hook, "police")[2]
    assert "（原为黄色预警）" in bodies(hook, "police")[2]
    assert len(mails_to(mail, "weibin@example.gov.cn")) == 2
    assert len(bodies(hook, "jintai")) == 1 and len(bodies(hook, "taibai")) == 1
    assert len(bodies(hook, "weibin-duban")) == 2  # nothing new in 渭滨区
    digest = mails_to(mail, "duban@example.gov.cn")
    assert len(digest) == 3
    assert digest[2].splitlines()[1:] == [
        "共5个账号：正常2、蓝色预警1、黄色预警0、红色预警1、不合格0、待复核1",
        "新增红色预警1个：",
        "- 平安宝鸡（微博，宝鸡市公安局）：已10天未更新，距不合格还剩4天",
        "待复核1个：",
        "- 太白发布（微博，宝鸡市太白县人民政府办公室）：访问受限，需人工核查",
        "本次1个账号状态变化，涉及1个单位。"]
    # Every message is kept: 4 unit + 2 digests, 2 + 2, 1 + 1.
    assert [len(store.notices(run, "sent")) for run in ("r1", "r2", "r3")] == [6, 4, 2]
    # What each unit was told is kept per run: the stage, and whether it was new, changed or recovered.
    with sqlite3.connect(tmp_path / "nmaudit.db") as db:
        told = db.execute("select run_id, account_id, recipient, stage, change from alert_states order by id").fetchall()
    assert told == [
        ("r1", "p1", "宝鸡市公安局", "blue", "new"), ("r1", "w1", "宝鸡市渭滨区人民政府办公室", "fail", "new"),
        ("r1", "j1", "宝鸡市金台区教育局", "blue", "new"), ("r1", "t1", "太白县", "review", "new"),
        ("r2", "p1", "宝鸡市公安局", "yellow", "changed"), ("r2", "w1", "宝鸡市渭滨区人民政府办公室", "ok", "recovered"),
        ("r3", "p1", "宝鸡市公安局", "red", "changed")]


def test_a_run_is_notified_once(tmp_path: Path, receivers, monkeypatch):
    hook, mail = receivers
    contacts = load_contacts(contacts_for(tmp_path, hook, mail, monkeypatch))
    store = Store(tmp_path / "nmaudit.db")
    run = day_run(store, 0)
    notify_run(store, run, contacts)
    with pytest.raises(StoreError, match="已发送过通知；重发失败的消息请用 --resend"):
        notify_run(store, run, contacts)
    assert len(bodies(hook, "police")) == 1


def test_dry_run_prints_the_messages_and_sends_nothing(tmp_path: Path, receivers, monkeypatch):
    hook, mail = receivers
    path = contacts_for(tmp_path, hook, mail, monkeypatch)
    store = Store(tmp_path / "nmaudit.db")
    day_run(store, 0)
    store.close()
    done = CliRunner().invoke(cli, ["notify", "latest", "--dry-run", "--contacts", str(path),
                                    "--db", str(tmp_path / "nmaudit.db")], env={"WEIBIN_MAIL": os.environ["WEIBIN_MAIL"]})
    assert done.exit_code == 0, done.output
    assert hook.received == [] and mail.received == []
    assert done.output.startswith(
        f"=== 单位：宝鸡市公安局\n→ {hook.url('police')}?method=POST&overflow=upstream&retry=0&wait=0.5&optional=no\n"
        "【政务新媒体预警】宝鸡市公安局 2026-11-09\n宝鸡市公安局：本次检查（2026-11-09 09:00）有1个账号预警状态变化：\n")
    assert done.output.count("=== 单位：") == 4 and done.output.count("=== 督办汇总：") == 2
    assert Store(tmp_path / "nmaudit.db").notices("r1") == []
    # Nothing kept, so the real notification still has everything to tell.
    assert CliRunner().invoke(cli, ["notify", "r1", "--contacts", str(path), "--db", str(tmp_path / "nmaudit.db")],
                              env={"WEIBIN_MAIL": os.environ["WEIBIN_MAIL"]}).exit_code == 0
    assert len(hook.received) == 4 and len(mail.received) == 2


def test_a_dead_channel_is_reported_kept_and_resent(tmp_path: Path, receivers, monkeypatch):
    hook, mail = receivers
    port = free_port()  # nothing listens here yet
    path = contacts_for(tmp_path, hook, mail, monkeypatch, police=f"json://127.0.0.1:{port}/police")
    db = str(tmp_path / "nmaudit.db")
    store = Store(db)
    day_run(store, 0)
    env = {"WEIBIN_MAIL": os.environ["WEIBIN_MAIL"]}
    done = CliRunner().invoke(cli, ["notify", "r1", "--contacts", str(path), "--db", db], env=env)
    assert done.exit_code == 1
    assert (f"发送失败：【政务新媒体预警】宝鸡市公安局 2026-11-09 → json://127.0.0.1:{port}/police"
            in done.output)
    assert "通知 批次 r1：发送成功 5，发送失败 1；重发：nmaudit notify r1 --resend" in done.output
    failed = store.notices("r1", "failed")
    assert [(row["recipient"], row["attempts"]) for row in failed] == [("宝鸡市公安局", 1)]
    assert "Connection error" in failed[0]["error"]
    # Not delivered: the next run tells the police its account as news (its state is then 黄).
    assert store.last_notified(store.run_info("r1")) == {}
    with WebhookReceiver(port) as late:
        done = CliRunner().invoke(cli, ["notify", "r1", "--resend", "--contacts", str(path), "--db", db], env=env)
        assert done.exit_code == 0, done.output
        assert "通知 批次 r1：发送成功 1，发送失败 0" in done.output
        assert [message["message"] for message in late.messages("police")] == [failed[0]["body"]]
    assert len(hook.received) == 3 and len(mail.received) == 2  # the others were not sent twice
    assert store.notices("r1", "failed") == [] and store.notices("r1", "sent")[0]["attempts"] == 2
    day_run(store, 1)
    assert store.last_notified(store.run_info("r2"))["p1"] == ("blue", ())


CONTACTS_PROBLEMS = """version: 2
review_url: review.example.gov.cn
units:
  宝鸡市公安局: ${NO_SUCH_VARIABLE_13}
  宝鸡市渭滨区人民政府办公室: [bogus://x]
  宝鸡市金台区教育局: []
  太白: ${file:SECRET}
supervisor: x
"""


def test_contacts_problems_are_reported_with_lines(tmp_path: Path):
    secret = tmp_path / "hook.secret"
    secret.write_text("json://127.0.0.1:9/x\n")
    secret.chmod(0o644)
    path = tmp_path / "contacts.yaml"
    path.write_text(CONTACTS_PROBLEMS.replace("SECRET", str(secret)), encoding="utf-8")
    with pytest.raises(ContactsError) as error:
        load_contacts(path, environ={})
    assert error.value.problems == [
        f"{path}:1: version: unsupported version (expected 1)",
        f"{path}:2: review_url: expected an http(s) URL of the review page (nmaudit review)",
        f"{path}:4: units.宝鸡市公安局[0]: environment variable NO_SUCH_VARIABLE_13 is not set",
        f"{path}:5: units.宝鸡市渭滨区人民政府办公室[0]: not a usable channel URL (scheme 'bogus://'; see Apprise's list of services)",
        f"{path}:6: units.宝鸡市金台区教育局: expected one channel URL or a list of them",
        f"{path}:7: units.太白[0]: secret file {secret} is readable by others (mode 644); chmod 600 it",
        f"{path}:8: supervisor: unknown key 'supervisor' (expected version, review_url, operator, units, regions, supervisors)",
    ]
    secret.chmod(0o600)
    path.write_text(f"version: 1\nunits:\n  太白: ${{file:{secret}}}\n", encoding="utf-8")
    assert load_contacts(path).units["太白"][0].url == "json://127.0.0.1:9/x"


def test_a_literal_secret_in_a_shared_file_is_warned_about(tmp_path: Path):
    path = tmp_path / "contacts.yaml"
    path.write_text("version: 1\nunits:\n  宝鸡市公安局: json://user:s3cret@127.0.0.1:9/x\n", encoding="utf-8")
    path.chmod(0o644)
    contacts = load_contacts(path)
    assert contacts.units["宝鸡市公安局"][0].shown.startswith("json://user:****@127.0.0.1:9/x")
    assert contacts.warnings == [f"{path}:3: units.宝鸡市公安局[0]: 通道地址中的密钥明文写在他人可读的文件中；"
                                 "请改用 ${变量名} 或 ${file:路径}，或将文件权限设为 600"]
    path.chmod(0o600)
    assert load_contacts(path).warnings == []


# -- through the audit command ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.browser
def test_audit_notify_sends_after_the_audit_and_a_dead_channel_changes_nothing(tmp_path: Path, receivers):
    hook, _ = receivers
    dead = free_port()
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(f"""version: 1
regions:
  渭滨区: [{hook.url('weibin')}]
  太白县: [json://127.0.0.1:{dead}/taibai]
supervisors:
  "*": [{hook.url('duban')}]
""", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "nmaudit", "audit", str(ROOT / "accounts.yaml"), "--replay",
         str(ROOT / "snapshots" / "sample.har"), "--db", "nmaudit.db", "--snapshots", "snapshots",
         "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9", "--format", "json", "--fail-on", "fail",
         "--notify", "--contacts", str(contacts)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=dict(os.environ, NO_COLOR="1"))
    # The audit's exit code and document are what they are without --notify.
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    summary, total = document["summary"], len(document["accounts"])
    assert summary["fail"] >= 5 and summary["review"] == 2  # as the sample capture judges
    run_id = document["run"]["id"]
    checked = date.fromisoformat(document["run"]["as_of"][:10])  # the capture's day
    assert [m["title"] for m in hook.messages("weibin")] == [f"【政务新媒体预警】渭滨区 {checked}"]
    assert (f"1. 【不合格】渭滨发布（微博）：已23天未更新（最新发布{checked - timedelta(days=23)}）；问题：2周内未更新"
            in hook.messages("weibin")[0]["message"])
    assert hook.messages("duban")[0]["message"].splitlines()[1] == (
        f"共{total}个账号：正常{summary['pass'] - 1}、蓝色预警1、黄色预警0、红色预警0、"
        f"不合格{summary['fail']}、待复核{summary['review']}")
    assert f"发送失败：【政务新媒体预警】太白县 {checked} → json://127.0.0.1:{dead}/taibai" in done.stderr
    assert f"通知 批次 {run_id}：发送成功 2，发送失败 1；重发：nmaudit notify {run_id} --resend" in done.stderr
    store = Store(tmp_path / "nmaudit.db")
    assert store.run_status(run_id) == "finished"
    assert [row["recipient"] for row in store.notices(run_id, "failed")] == ["太白县"]


def test_an_invalid_contacts_file_stops_the_audit_before_it_starts(tmp_path: Path):
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text("version: 1\nunits:\n  宝鸡市公安局: ${NMAUDIT_NO_SUCH_VARIABLE}\n", encoding="utf-8")
    done = CliRunner().invoke(cli, ["audit", str(ROOT / "accounts.yaml"), "--notify", "--contacts", str(contacts),
                                    "--db", str(tmp_path / "nmaudit.db")])
    assert done.exit_code == 2
    assert done.output == (f"{contacts}:3: units.宝鸡市公安局[0]: environment variable NMAUDIT_NO_SUCH_VARIABLE is not set\n"
                           f"Error: {contacts}: 1 problem; nothing was audited\n")
    assert not (tmp_path / "nmaudit.db").exists()


def test_an_account_nobody_answers_for_is_news_once(tmp_path: Path, receivers, monkeypatch):
    hook, mail = receivers
    path = contacts_for(tmp_path, hook, mail, monkeypatch)
    path.write_text(path.read_text(encoding="utf-8").replace("regions:\n  太白县", "regions:\n  麟游县"), encoding="utf-8")
    contacts = load_contacts(path)
    store = Store(tmp_path / "nmaudit.db")
    _, first = notify_run(store, day_run(store, 0), contacts)
    assert {owner: [s.account_id for s in statuses] for owner, statuses in first.unrouted.items()} == {
        "宝鸡市太白县人民政府办公室": ["t1"]}
    _, second = notify_run(store, day_run(store, 1), contacts)
    assert second.unrouted == {}
    digest = mails_to(mail, "duban@example.gov.cn")
    assert digest[0].splitlines()[-1] == "本次4个账号状态变化，涉及4个单位。"
    assert digest[1].splitlines()[-1] == "本次2个账号状态变化，涉及2个单位；已恢复1个：渭滨发布（微博）。"


def test_the_operator_channel_is_read_and_told_apart_from_the_units(tmp_path):
    """contacts.yaml `operator`: who runs nmaudit, told of what needs them (a lapsed session)."""
    from nmaudit.contacts import load_contacts
    from nmaudit.notify import notify_operator

    path = tmp_path / "contacts.yaml"
    path.write_text("version: 1\noperator: [json://127.0.0.1:9/operator]\n", encoding="utf-8")
    path.chmod(0o600)
    contacts = load_contacts(path)
    assert [channel.url for channel in contacts.operator] == ["json://127.0.0.1:9/operator"] and not contacts.units
    sent = []
    assert notify_operator(contacts, "标题", "正文", send=lambda channel, title, body: sent.append((title, body))) == []
    assert sent == [("标题", "正文")]
    failed = notify_operator(contacts, "标题", "正文", send=lambda channel, title, body: "连接被拒绝")
    assert len(failed) == 1 and failed[0].startswith("json://127.0.0.1:9/operator") and failed[0].endswith("：连接被拒绝")
    path.write_text("version: 1\noperator: []\n", encoding="utf-8")
    with pytest.raises(Exception) as raised:
        load_contacts(path)
    assert "operator: expected one channel URL or a list of them" in str(raised.value.problems)
