"""The rules: observation + policy + check time -> findings and verdict. Pure, table-driven."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from nmaudit.dates import BEIJING
from nmaudit.models import Account, Observation, Policy, Prior, Signal, SourceRecord
from nmaudit.rules import SEVERITIES, judge

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
FEED = "https://m.weibo.cn/api/container/getIndex?type=uid&value=1&containerid=1076031"


def account(**fields) -> Account:
    values = {"id": "a", "name": "平安宝鸡", "platform": "weibo", "owner": "宝鸡市公安局",
              "certified_as": "宝鸡市公安局", "urls": ["https://weibo.com/u/1"]}
    values.update(fields)
    return Account(**values)


def observed(days_ago: int | None = None, lists_newest: bool = True, signals=(), **fields) -> Observation:
    values = {"account_id": "a", "platform": "weibo", "started_at": AS_OF, "checks": ["update", "name", "certification"],
              "name": "平安宝鸡", "certification": "宝鸡市公安局官方微博",
              "sources": [SourceRecord(kind="weibo-posts", url=FEED, evidence=["s/01.jpg"])]}
    if days_ago is not None:
        values.update(newest_post_at=AS_OF - timedelta(days=days_ago), newest_post_source=FEED,
                      newest_post_lists_newest=lists_newest)
    values.update(fields)
    observation = Observation(**values)
    observation.signals = [Signal(code=code, message=code) for code in signals]
    return observation


@pytest.mark.parametrize("days, policy, verdict, codes", [
    (0, Policy(), "pass", []),
    (7, Policy(), "pass", []),
    (8, Policy(), "pass", ["stale-7d"]),
    (14, Policy(), "pass", ["stale-7d"]),
    (15, Policy(), "fail", ["stale-14d"]),
    (90, Policy(), "fail", ["stale-14d"]),
    (91, Policy(), "fail", ["stale-14d", "zombie"]),
    (400, Policy(), "fail", ["stale-14d", "zombie"]),
    (31, Policy(zombie_idle_days=30), "fail", ["stale-14d", "zombie"]),
    (7, Policy(warn_idle_days=3, fail_idle_days=7), "pass", ["stale-7d"]),
    (8, Policy(warn_idle_days=3, fail_idle_days=7), "fail", ["stale-14d"]),
    (10, Policy(warn_idle_days=10, fail_idle_days=30), "pass", []),
])
def test_idle_thresholds(days, policy, verdict, codes):
    judgement = judge(account(policy=policy), observed(days), AS_OF)
    assert judgement.verdict == verdict
    assert [f.code for f in judgement.findings] == codes
    assert judgement.idle_days == days


def test_a_later_check_time_turns_a_pass_stale():
    observation = observed(days_ago=0)
    assert judge(account(), observation, AS_OF + timedelta(days=8)).verdict == "pass"
    assert [f.code for f in judge(account(), observation, AS_OF + timedelta(days=8)).findings] == ["stale-7d"]
    assert judge(account(), observation, AS_OF + timedelta(days=15)).verdict == "fail"


@pytest.mark.parametrize("signals, verdict", [
    (["blocked"], "review"),
    (["unreachable"], "review"),
    (["unparsed"], "review"),
    (["unsupported"], "review"),
    (["account-gone"], "fail"),
    (["no-interaction"], "fail"),
    (["blocked", "no-interaction"], "fail"),
])
def test_signals(signals, verdict):
    judgement = judge(account(), observed(None, signals=signals, name=None, certification=None), AS_OF)
    assert judgement.verdict == verdict
    # Could-not-see adds no staleness; a failed interaction page says nothing of the posts.
    unseen = [] if set(signals) & {"blocked", "unreachable", "unparsed", "unsupported", "account-gone"} else [
        "update-unverified"]
    assert [f.code for f in judgement.findings] == signals + unseen


@pytest.mark.parametrize("signal", ["blocked", "unreachable", "unparsed"])
def test_a_source_that_could_not_see_does_not_undo_a_proof(signal):
    """A listing proved a post 2 days ago: the failed source is a note, the account 合格."""
    judgement = judge(account(), observed(2, signals=[signal]), AS_OF)
    assert judgement.verdict == "pass"
    assert [(f.code, f.note) for f in judgement.findings] == [(signal, True)]
    assert judgement.indicators["update"].state == "pass"
    assert judgement.blocking() == []


def test_could_not_see_is_never_idle_even_with_an_old_date_from_before_the_block():
    judgement = judge(account(), observed(days_ago=40, lists_newest=False, signals=["blocked"]), AS_OF)
    assert judgement.verdict == "review"
    assert [f.code for f in judgement.findings] == ["blocked"]


def test_a_gone_account_is_not_also_stale():
    judgement = judge(account(), observed(days_ago=40, signals=["account-gone"]), AS_OF)
    assert [f.code for f in judgement.findings] == ["account-gone"]


@pytest.mark.parametrize("days, verdict, codes", [(3, "pass", []), (30, "review", ["update-unverified"])])
def test_a_lower_bound_proves_recent_but_never_idle(days, verdict, codes):
    judgement = judge(account(), observed(days, lists_newest=False), AS_OF)
    assert judgement.verdict == verdict
    assert [f.code for f in judgement.findings] == codes


def test_no_date_and_no_explanation_is_review():
    judgement = judge(account(), observed(), AS_OF)
    assert judgement.verdict == "review"
    assert [f.code for f in judgement.findings] == ["update-unverified"]


def test_platforms_that_do_not_check_updates_are_not_judged_on_them():
    judgement = judge(account(), observed(checks=["name"]), AS_OF)
    assert judgement.verdict == "pass" and judgement.findings == []


@pytest.mark.parametrize("live, filed, flagged", [
    ("平安宝鸡", "平安宝鸡", False),
    (" 平安 宝鸡 ", "平安宝鸡", False),
    ("平安宝鸡", "平安宝鸡", False),  # full-width letters fold (NFKC)
    ("平安宝鸡发布", "平安宝鸡", True),
])
def test_name_comparison(live, filed, flagged):
    judgement = judge(account(name=filed), observed(3, name=live), AS_OF)
    assert ("name-mismatch" in [f.code for f in judgement.findings]) is flagged


@pytest.mark.parametrize("live, filed, flagged", [
    ("宝鸡市公安局官方微博", "宝鸡市公安局", False),
    ("宝鸡市融媒体中心", "宝鸡市公安局", True),
    ("", "宝鸡市公安局", True),  # seen, and not certified
    (None, "宝鸡市公安局", False),  # not seen: nothing to compare
    ("宝鸡市融媒体中心", None, False),  # nothing filed
])
def test_certification_comparison(live, filed, flagged):
    judgement = judge(account(certified_as=filed), observed(3, certification=live), AS_OF)
    assert ("certification-mismatch" in [f.code for f in judgement.findings]) is flagged
    assert judgement.verdict == "pass"


def test_findings_carry_the_evidence_of_their_source():
    judgement = judge(account(), observed(20), AS_OF)
    assert judgement.findings[0].evidence == ["s/01.jpg"]


def test_every_code_has_a_notice_label():
    from nmaudit.models import FINDING_LABELS
    assert set(SEVERITIES) == set(FINDING_LABELS)


def test_a_lower_bound_never_makes_a_zombie():
    judgement = judge(account(), observed(200, lists_newest=False), AS_OF)
    assert [f.code for f in judgement.findings] == ["update-unverified"]


def prior(**fields) -> Prior:
    values = {"run_id": "20260930-1000-aaaa", "as_of": AS_OF - timedelta(days=90), "verdict": "fail",
              "name": "平安宝鸡", "certification": "宝鸡市公安局官方微博", "consecutive_failures": 2}
    values.update(fields)
    return Prior(**values)


@pytest.mark.parametrize("days, before, verdict, streak", [
    (30, prior(), "fail", 3),                                   # fails again: the streak grows
    (1, prior(), "pass", 0),                                    # fixed: the streak ends
    (None, prior(), "review", 2),                               # could not see: carried, not grown
    (30, prior(verdict="pass", consecutive_failures=0), "fail", 1),
    (30, None, "fail", 1),
])
def test_failure_streaks(days, before, verdict, streak):
    signals = ["blocked"] if days is None else []
    judgement = judge(account(), observed(days, signals=signals), AS_OF, before)
    assert (judgement.verdict, judgement.consecutive_failures) == (verdict, streak)
    assert judgement.prior_run == (before.run_id if before else None)


def test_a_change_since_the_last_run_names_both_values():
    judgement = judge(account(), observed(1, certification="宝鸡市公安局交通管理支队"), AS_OF, prior())
    [changed] = [f for f in judgement.findings if f.code == "changed-since-last-run"]
    assert changed.severity == "warn" and judgement.verdict == "pass"
    assert "认证主体较上次检查（批次 20260930-1000-aaaa" in changed.message
    assert "原为“宝鸡市公安局官方微博”，现为“宝鸡市公安局交通管理支队”" in changed.message
    unseen = judge(account(), observed(1, name=None), AS_OF, prior())
    assert "changed-since-last-run" not in [f.code for f in unseen.findings]  # not seen is not changed


def test_longest_gap_from_listed_posts_the_idle_stretch_and_the_past():
    feed = "https://rsshub.example/weibo/1"
    observation = observed(3, listed_posts={feed: [AS_OF - timedelta(days=d) for d in (3, 5, 17, 18)]})
    assert judge(account(), observation, AS_OF).longest_gap_days == 12
    assert judge(account(), observation, AS_OF, prior(longest_gap_days=40)).longest_gap_days == 40
    assert judge(account(), observed(20), AS_OF).longest_gap_days == 20  # the idle stretch itself
    assert judge(account(), observed(20, lists_newest=False), AS_OF).longest_gap_days is None


@pytest.mark.parametrize("days", [8, 10, 14])
def test_a_lower_bound_within_the_veto_window_proves_the_update_without_a_warning(days):
    """A single article 8-14 days old: the account posted within two weeks (合格); whether it is
    past 7 days is not proven (a newer post may exist), so no stale-7d either."""
    judgement = judge(account(), observed(days, lists_newest=False), AS_OF)
    assert judgement.verdict == "pass" and [f.code for f in judgement.findings] == []
    assert judgement.indicators["update"].state == "pass"


@pytest.mark.parametrize("days, verdict, codes", [(15, "review", ["update-unverified"]), (40, "review", ["update-unverified"])])
def test_a_lower_bound_past_the_veto_window_proves_nothing(days, verdict, codes):
    judgement = judge(account(), observed(days, lists_newest=False), AS_OF)
    assert judgement.verdict == verdict and [f.code for f in judgement.findings] == codes
    assert judgement.indicators["update"].state == "unconfirmed"


def test_pinned_posts_take_no_part_in_the_longest_gap():
    """Weibo's pinned post (60 days old) above posts 1, 2 and 3 days old: the longest gap is a
    day, not the two months between the pinned post and the others."""
    from nmaudit.platforms.base import note_posts

    observation = observed(None, sources=[SourceRecord(kind="weibo-posts", url=FEED, evidence=["s/01.jpg"])])
    posts = [AS_OF - timedelta(days=d) for d in (1, 2, 3)]
    note_posts(observation, posts, FEED, True, out_of_order=[AS_OF - timedelta(days=60)])
    judgement = judge(account(), observation, AS_OF)
    assert judgement.longest_gap_days == 1
    assert judgement.idle_days == 1 and observation.posts_seen == 4


@pytest.mark.parametrize("requires, verdict", [
    (["update", "interaction", "availability"], "pass"),
    (["update", "interaction", "availability", "certification"], "review"),
])
def test_a_province_may_require_the_certification_proven(requires, verdict):
    judgement = judge(account(policy=Policy(requires=requires)), observed(2, certification=None, signals=["blocked"]),
                      AS_OF)
    assert judgement.verdict == verdict
    assert judgement.indicators["certification"].state == "unconfirmed"
