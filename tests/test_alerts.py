"""Staged warnings (红黄蓝预警): stages on Beijing calendar days, days left, lower bounds,
待复核 reasons, the other warnings, and the policy lines the registry accepts. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nmaudit.alerts import account_status, idle_stage, stage_lines
from nmaudit.dates import BEIJING
from nmaudit.errors import RegistryError
from nmaudit.models import Account, AccountResult, Observation, Policy, Prior, Signal, SourceRecord
from nmaudit.registry import load_registry
from nmaudit.rules import judge

FEED = "https://m.weibo.cn/api/container/getIndex?type=uid&value=1&containerid=1076031"
#: The newest post: late in the evening in Beijing, which is still the afternoon in UTC.
POSTED = datetime(2026, 11, 1, 23, 30, tzinfo=BEIJING)


def account(**fields) -> Account:
    values = {"id": "a", "name": "平安宝鸡", "platform": "weibo", "owner": "宝鸡市公安局",
              "certified_as": "宝鸡市公安局", "region": "宝鸡市", "urls": ["https://weibo.com/u/1"]}
    values.update(fields)
    return Account(**values)


def observed(posted: datetime | None = POSTED, lists_newest: bool = True, signals=(), **fields) -> Observation:
    values = {"account_id": "a", "platform": "weibo", "started_at": POSTED, "checks": ["update", "name", "certification"],
              "name": "平安宝鸡", "certification": "宝鸡市公安局官方微博",
              "sources": [SourceRecord(kind="weibo-posts", url=FEED, evidence=["s/a/01.jpg"])],
              "evidence": ["s/a/01.jpg", "s/a/01.html"]}
    if posted is not None:
        values.update(newest_post_at=posted, newest_post_source=FEED, newest_post_lists_newest=lists_newest)
    values.update(fields)
    observation = Observation(**values)
    observation.signals = [Signal(code=code, message=message) for code, message in signals]
    return observation


def status(check: datetime, observation: Observation | None = None, prior: Prior | None = None, **fields):
    acc = account(**fields)
    observation = observation or observed()
    return account_status(AccountResult(account=acc, observation=observation,
                                        judgement=judge(acc, observation, check, prior)))


def days_after(days: int, hour: int = 0, minute: int = 5) -> datetime:
    """A check time `days` Beijing calendar days after the post, given in UTC."""
    day = POSTED.date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING).astimezone(timezone.utc)


@pytest.mark.parametrize("days, stage, verdict", [
    (0, "ok", "pass"), (7, "ok", "pass"), (8, "blue", "pass"), (10, "blue", "pass"), (11, "yellow", "pass"),
    (12, "yellow", "pass"), (13, "red", "pass"), (14, "red", "pass"), (15, "fail", "fail"), (40, "fail", "fail"),
])
def test_stages_change_on_beijing_calendar_days(days, stage, verdict):
    # Five past midnight in Beijing is the previous day in UTC: the Beijing date counts.
    found = status(days_after(days))
    assert (found.idle_days, found.stage, found.verdict) == (days, stage, verdict)


def test_the_last_minute_of_a_day_is_still_that_day():
    assert status(days_after(7, 23, 59)).stage == "ok"
    assert status(days_after(8, 0, 0)).stage == "blue"


@pytest.mark.parametrize("days, left, deadline", [(0, 14, "11月15日"), (11, 3, "11月15日"), (14, 0, "11月15日")])
def test_days_left_before_the_fail_line(days, left, deadline):
    found = status(days_after(days))
    assert found.days_left == left
    assert found.deadline.isoformat() == "2026-11-15"
    assert f"距2周未更新不合格还剩{left}天，最晚{deadline}须更新" in found.describe()
    assert "已{}天未更新（最新发布2026-11-01）".format(days) in found.describe()


def test_a_failed_account_has_no_days_left_and_says_why():
    found = status(days_after(16))
    assert (found.days_left, found.reasons) == (None, ("2周内未更新",))
    assert found.describe() == "已16天未更新（最新发布2026-11-01）；问题：2周内未更新"


@pytest.mark.parametrize("days", [0, 5, 7, 8, 11, 13, 14, 15, 30])
def test_a_lower_bound_never_gives_red_or_fail(days):
    found = status(days_after(days), observed(lists_newest=False))
    assert found.stage in ("ok", "review")
    assert found.verdict != "fail"
    assert found.lower_bound


def test_a_recent_lower_bound_is_worded_at_least():
    found = status(days_after(5), observed(lists_newest=False))
    assert found.stage == "ok"
    assert found.describe() == ("仅见2026-11-01的发布（该来源不列出最新发布，实际可能更近）；"
                                "距2周未更新不合格至少还剩9天")


def test_an_old_lower_bound_is_review_saying_what_is_missing():
    # Older than fail_idle_days: a lower bound can no longer prove the update (within it, it does).
    found = status(days_after(16), observed(lists_newest=False))
    assert found.stage == "review"
    assert found.days_left is None
    assert found.reasons == ("内容更新未能确认：无法确认最新发布时间（仅见2026-11-01的发布（单篇来源，不能证明此后未更新），需人工核查）",)


def test_blocked_is_review_never_idle():
    observation = observed(posted=None, signals=[("blocked", "微博访客验证页，未能读取账号主页")])
    found = status(days_after(20), observation)
    assert (found.stage, found.idle_days) == ("review", None)
    assert found.describe() == "内容更新未能确认：访问受限，需人工核查（微博访客验证页，未能读取账号主页）"


@pytest.mark.parametrize("policy, expected", [
    (Policy(), {"blue": 7, "yellow": 10, "red": 12}),
    (Policy(blue_idle_days=3, yellow_idle_days=5, red_idle_days=6, fail_idle_days=7), {"blue": 3, "yellow": 5, "red": 6}),
    # Default lines at or past a shorter fail line would be 不合格 already: left out.
    (Policy(fail_idle_days=7, warn_idle_days=5), {}),
    (Policy(fail_idle_days=11, warn_idle_days=5), {"blue": 7, "yellow": 10}),
])
def test_stage_lines_follow_the_policy(policy, expected):
    assert stage_lines(policy) == expected


def test_custom_lines_move_the_stages():
    policy = Policy(blue_idle_days=3, yellow_idle_days=5, red_idle_days=6, warn_idle_days=3, fail_idle_days=7)
    assert [idle_stage(days, policy) for days in range(0, 8)] == [
        "ok", "ok", "ok", "ok", "blue", "blue", "yellow", "red"]
    found = status(days_after(7), policy=policy)
    assert "距1周未更新不合格还剩0天，最晚11月8日须更新" in found.describe()


def test_other_warnings_interaction_identity_app_and_streak():
    interaction = observed(interaction_url="https://x.gov.cn/ly", interaction_ok=False,
                           signals=[("no-interaction", "互动页面返回 404")])
    found = status(days_after(2), interaction)
    assert (found.stage, found.alerts) == ("fail", ("interaction",))
    renamed = status(days_after(2), observed(name="平安宝鸡发布"))
    assert (renamed.stage, renamed.alerts) == ("ok", ("identity",))
    assert renamed.warned and "名称或认证主体变更未报备" in renamed.describe()
    app = Observation(account_id="a", platform="app", started_at=POSTED, checks=["availability"],
                      signals=[Signal(code="app-unavailable", message="应用商店未收录")])
    assert status(days_after(2), app, platform="app").alerts == ("app",)
    prior = Prior(run_id="r0", as_of=days_after(15), verdict="fail", consecutive_failures=2)
    streak = status(days_after(16), prior=prior)
    assert (streak.stage, streak.alerts, streak.consecutive_failures) == ("fail", ("streak",), 3)
    assert "已连续3次检查不合格" in streak.describe()
    assert status(days_after(16), prior=prior, policy=Policy(alert_failed_runs=4)).alerts == ()


def test_the_evidence_is_the_review_page_when_one_is_configured():
    acc, observation = account(), observed()
    result = AccountResult(account=acc, observation=observation, judgement=judge(acc, observation, days_after(9)))
    assert account_status(result).evidence == "s/a/01.jpg"
    assert account_status(result, "https://review.example.gov.cn/", "r 1").evidence == (
        "https://review.example.gov.cn/runs/r%201/accounts/a")


REGISTRY = """version: 1
policy:
  red_idle_days: 12
  yellow_idle_days: 12
accounts:
  - id: a
    name: 平安宝鸡
    platform: weibo
    owner: 宝鸡市公安局
    urls: [https://weibo.com/u/1]
    policy: {{fail_idle_days: {fail}, warn_idle_days: 5{extra}}}
"""


def test_the_registry_checks_stage_lines_against_each_other_and_the_fail_line(tmp_path: Path):
    path = tmp_path / "accounts.yaml"
    path.write_text(REGISTRY.format(fail=10, extra=""), encoding="utf-8")
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert error.value.problems == [
        f"{path}:2: policy: yellow_idle_days (12) must be below red_idle_days (12)",
        f"{path}:11: accounts[0].policy: yellow_idle_days (12) must be below fail_idle_days (10)",
        f"{path}:11: accounts[0].policy: red_idle_days (12) must be below fail_idle_days (10)",
        f"{path}:11: accounts[0].policy: yellow_idle_days (12) must be below red_idle_days (12)",
    ]
    path.write_text(REGISTRY.format(fail=14, extra=", alert_failed_runs: 2").replace("yellow_idle_days: 12", "yellow_idle_days: 9"),
                    encoding="utf-8")
    policy = load_registry(path).accounts[0].policy
    assert (policy.yellow_idle_days, policy.red_idle_days, policy.alert_failed_runs) == (9, 12, 2)
    assert stage_lines(policy) == {"blue": 7, "yellow": 9, "red": 12}


def test_the_stages_in_order_and_as_the_notices_name_them():
    from nmaudit.alerts import STAGE_LABELS, STAGES

    assert STAGES == ("ok", "blue", "yellow", "red", "fail", "review")  # from all-clear to the worst
    assert STAGE_LABELS == {"ok": "正常", "blue": "蓝色预警", "yellow": "黄色预警", "red": "红色预警",
                            "fail": "不合格", "review": "待复核"}


def test_every_other_warning_and_its_words():
    from nmaudit.alerts import ALERT_LABELS

    assert ALERT_LABELS == {
        "interaction": "互动功能失效", "identity": "名称或认证主体变更", "app": "客户端无法下载",
        "gone": "账号已注销或被屏蔽", "streak": "连续多次检查不合格",
        "maybe-blue": "疑似蓝色预警（仅见较早发布，可能已更新）", "maybe-yellow": "疑似黄色预警（仅见较早发布，可能已更新）",
        "maybe-red": "疑似红色预警（仅见较早发布，可能已更新）",
    }
    recertified = status(days_after(2), observed(certification="某文化传媒有限公司"))
    assert recertified.alerts == ("identity",)
    prior = Prior(run_id="r0", as_of=days_after(1), verdict="pass", name="平安宝鸡", certification="宝鸡市公安局")
    changed = status(days_after(2), prior=prior)
    assert changed.alerts == ("identity",) and "changed-since-last-run" in [
        f.code for f in judge(account(), observed(), days_after(2), prior).findings]
    gone = status(days_after(2), observed(None, signals=[("account-gone", "微博提示：用户不存在")]))
    assert (gone.stage, gone.alerts) == ("fail", ("gone",))


def test_a_review_reason_leaves_addresses_to_the_evidence_link():
    blocked = status(days_after(2), observed(None, name=None, signals=[
        ("blocked", "被引导至登录或访客验证页面：https://passport.weibo.com/visitor/visitor?entry=miniblog")]))
    assert blocked.stage == "review"
    assert blocked.reasons and not any("https://" in reason for reason in blocked.reasons)
    assert any("被引导至登录或访客验证页面" in reason for reason in blocked.reasons)
