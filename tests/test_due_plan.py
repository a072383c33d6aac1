"""When an account is next due (nmaudit.due), how a night's budget is spread, and a small run
of the province simulation (bench/schedule.py; `make bench-schedule` runs the full one)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bench import schedule
from nmaudit.dates import BEIJING
from nmaudit.due import next_check, parse_budgets, plan_night, update_lines
from nmaudit.models import Account, Judgement, LastCheck, Observation, Policy, SourceRecord
from nmaudit.rules import judge

CHECKED = datetime(2026, 11, 21, 22, tzinfo=BEIJING)


def weibo(account_id: str = "a", **policy) -> Account:
    return Account(id=account_id, name="平安宝鸡", platform="weibo", owner="宝鸡市公安局",
                   urls=["https://weibo.com/u/3400000001"], policy=Policy(**policy))


def sogou(account_id: str = "w") -> Account:
    return Account(id=account_id, name="宝鸡发布", platform="wechat", owner="宝鸡市新闻办",
                   ids={"wechat_id": f"bj{account_id}"})


def last_check(account: Account, posted_days_ago: int | None, lists_newest: bool = True,
               signals: tuple = ()) -> LastCheck:
    observation = Observation(account_id=account.id, platform=account.platform, started_at=CHECKED,
                              checks=["update", "name", "certification"], name=account.name)
    observation.sources.append(SourceRecord(kind="sogou-search" if not lists_newest else "weibo-api",
                                            url="https://example.test/source"))
    if posted_days_ago is not None:
        observation.newest_post_at = CHECKED - timedelta(days=posted_days_ago)
        observation.newest_post_source = "https://example.test/source"
        observation.newest_post_lists_newest = lists_newest
    for code, message in signals:
        observation.add_signal(code, message)
    judgement = judge(account, observation, CHECKED)
    return LastCheck(run_id="r1", observation=observation, judgement=judgement, account=account)


@pytest.mark.parametrize("idle, line, due", [
    (0, 7, "2026-11-29"),  # posted on the night: the 7-day line is crossed 8 days later
    (2, 7, "2026-11-27"),
    (7, 7, "2026-11-22"),  # exactly 7 days: the next night is the 8th
    (8, 10, "2026-11-24"),  # 蓝: next is 黄 (more than 10 days)
    (11, 12, "2026-11-23"),
    (13, 14, "2026-11-23"),
])
def test_the_next_line_is_counted_from_the_newest_post_proven(idle, line, due):
    account = weibo()
    found = next_check(account, last_check(account, idle))
    if idle == 0:  # the identity check (7 days) comes first
        assert (found.reason, found.due.isoformat()) == ("identity", "2026-11-28")
        return
    assert (found.reason, found.line, found.due.isoformat()) == ("update", line, due)
    assert found.deadline == found.due


def test_a_lower_bound_counts_as_the_newest_post_for_no_line_can_be_crossed_before():
    account = sogou()
    found = next_check(account, last_check(account, 9, lists_newest=False))
    # Sogou's 9 days: the 10-day line, crossed 2 nights later at the earliest.
    assert (found.reason, found.line, found.due) == ("update", 10, date(2026, 11, 23))
    assert 90 not in update_lines(account, lists_newest=False)  # a lower bound never proves a zombie


@pytest.mark.parametrize("signals, posted, reason", [
    ((("blocked", "搜狗微信搜索验证码"),), None, "review"),
    ((), 30, "fail"),
])
def test_review_and_failed_accounts_are_due_the_next_night(signals, posted, reason):
    account = weibo()
    found = next_check(account, last_check(account, posted, signals=signals))
    assert (found.reason, found.due, found.hard) == (reason, date(2026, 11, 22), False)


def test_new_and_refiled_accounts_are_due_at_once():
    account = weibo()
    assert next_check(account, None).reason == "new"
    renamed = account.model_copy(update={"name": "平安宝鸡发布"})
    assert next_check(renamed, last_check(account, 1)).reason == "filed"


def test_identity_interval_is_policy():
    account = weibo(identity_check_days=3)
    assert next_check(account, last_check(account, 0)).due == date(2026, 11, 24)


def hosts(account: Account) -> tuple[str, ...]:
    return ("weixin.sogou.com",) if account.platform == "wechat" else ("m.weibo.cn",)


def test_the_budget_keeps_what_has_a_deadline_tonight_before_rechecks():
    night = date(2026, 11, 22)
    crossing = [next_check(sogou(f"x{n}"), last_check(sogou(f"x{n}"), 7, lists_newest=False)) for n in range(3)]
    unproved = [next_check(sogou(f"f{n}"), last_check(sogou(f"f{n}"), 16, lists_newest=False)) for n in range(3)]
    plan = plan_night([*unproved, *crossing], night, {"weixin.sogou.com": 5}, hosts)
    # The three whose 7-day line falls tonight first; the 待复核 ones as far as the budget goes.
    assert [item.account.id for item in plan.check] == ["x0", "x1", "x2", "f0", "f1"]
    assert plan.used["weixin.sogou.com"] == (5, 5)
    assert [(item.account.id, item.reason) for item in plan.late] == [("f2", "review")]
    assert {item.account.id for item in plan.carry} == {"f2"}


def test_a_crowded_night_beyond_every_spare_night_is_partly_checked_tonight():
    night = date(2026, 11, 22)
    base = [next_check(sogou(f"i{n}"), last_check(sogou(f"i{n}"), 0, lists_newest=False)) for n in range(8)]
    tomorrow = night + timedelta(days=1)
    crowded = [item.__class__(item.account, tomorrow, tomorrow, "identity", item.last) for item in base]
    plan = plan_night(crowded, night, {"weixin.sogou.com": 5}, hosts)
    assert len(plan.check) == 3 and len(plan.early) == 3  # tomorrow holds 5 of the 8
    assert not plan.late


def test_accounts_without_a_budgeted_host_are_checked_whenever_due():
    night = date(2026, 11, 22)
    due = [next_check(weibo(f"b{n}"), last_check(weibo(f"b{n}"), 7)) for n in range(20)]
    plan = plan_night(due, night, {"weixin.sogou.com": 1}, hosts)
    assert len(plan.check) == 20


def test_budgets_are_parsed_with_aliases_and_clear_errors():
    assert parse_budgets(["sogou=300", "m.weibo.cn=50"], {"sogou": "weixin.sogou.com"}) == {
        "weixin.sogou.com": 300, "m.weibo.cn": 50}
    for bad, message in (("sogou", "expected HOST=N"), ("sogou=0", "whole number"), ("sogou=x", "whole number")):
        with pytest.raises(ValueError, match=message):
            parse_budgets([bad], {})


def test_the_province_simulation_small():
    """The fast version of `make bench-schedule`: due checks miss nothing a daily full audit
    raises, on a fifth of its requests or fewer, with a budget that binds on some nights."""
    figures = schedule.simulate(accounts=400, days=28, egresses=1, budget={"sogou": 60}, seed=3)
    lines, ok = schedule.summary(figures)
    assert figures.update_onsets > 50  # the habits make warnings and failures to catch
    assert figures.late == [] and figures.missed == [], lines
    assert figures.over_budget > 0  # the budget bound: 待复核/不合格 rechecks waited
    assert figures.per_account_day(figures.requests_due) <= figures.per_account_day(figures.requests_full) / 5, lines
    assert ok, lines


def test_the_identity_interval_is_set_in_the_registry(tmp_path):
    from nmaudit.errors import RegistryError
    from nmaudit.registry import load_registry

    text = """version: 1
policy:
  identity_check_days: 3
accounts:
  - id: a
    name: 平安宝鸡
    platform: weibo
    owner: 宝鸡市公安局
    urls: [https://weibo.com/u/3400000001]
    policy: {identity_check_days: 5}
  - id: b
    name: 宝鸡发布
    platform: weibo
    owner: 宝鸡市公安局
    urls: [https://weibo.com/u/3400000002]
"""
    path = tmp_path / "accounts.yaml"
    path.write_text(text, encoding="utf-8")
    assert [a.policy.identity_check_days for a in load_registry(str(path)).accounts] == [5, 3]
    path.write_text(text.replace("identity_check_days: 5", "identity_check_days: 0"), encoding="utf-8")
    with pytest.raises(RegistryError) as error:
        load_registry(str(path))
    assert error.value.problems == [
        f"{path}:10: accounts[0].policy.identity_check_days: expected a whole number >= 1"]


def test_a_carried_row_points_at_its_proof_and_keeps_it_from_pruning(tmp_path):
    from nmaudit.audit import carried
    from nmaudit.models import RunInfo
    from nmaudit.store import Store

    store = Store(tmp_path / "nmaudit.db")
    account = weibo()
    proof = last_check(account, 2)
    first = RunInfo(id="r1", as_of=CHECKED, registry="r.yaml", started_at=CHECKED)
    store.start_run(first, [account], registry_sha256="x", tool_version="t", browser="b", options={})
    store.save_account("r1", proof.observation, proof.judgement, [])
    second = RunInfo(id="r2", as_of=CHECKED + timedelta(days=1), registry="r.yaml", started_at=CHECKED + timedelta(days=1))
    store.start_run(second, [account], registry_sha256="x", tool_version="t", browser="b", options={})
    [(account_id, last)] = store.last_checks([account.id], second).items()
    assert (account_id, last.run_id, last.checked_in, last.account) == ("a", "r1", "r1", account)
    store.carry_accounts("r2", [carried(last, second)])
    later = RunInfo(id="r3", as_of=CHECKED + timedelta(days=2), registry="r.yaml", started_at=CHECKED + timedelta(days=2))
    again = store.last_checks([account.id], later)["a"]
    assert (again.run_id, again.checked_in, again.checked_at) == ("r2", "r1", CHECKED)
    assert again.judgement.indicators == proof.judgement.indicators  # carried whole
    [row] = store.load_run("r2").results
    assert (row.judgement.carried_from, row.judgement.carried_as_of, row.judgement.as_of) == (
        "r1", CHECKED, CHECKED + timedelta(days=1))
    assert store.latest_run_of_each_account() == {"r1", "r2"}  # r1 holds the carried row's proof
