"""Judging per indicator, pure: which indicators each signal informs, each indicator's state and
what staff read of it, notes, and the verdict from the indicators. (What `make mutate` runs
against nmaudit/rules.py with test_rules.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from nmaudit.dates import BEIJING
from nmaudit.models import Account, Observation, Policy, Prior, Signal, SourceRecord
from nmaudit.rules import SEVERITIES, judge

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
LIST = "https://m.weibo.cn/api/container/getIndex?containerid=1"
PAGE = "https://m.weibo.cn/u/1"


def account(**fields) -> Account:
    values = {"id": "a", "name": "平安宝鸡", "platform": "weibo", "owner": "宝鸡市公安局",
              "certified_as": "宝鸡市公安局", "urls": [PAGE]}
    values.update(fields)
    return Account(**values)


def seen(days: int | None = None, lists_newest: bool = True, signals=(), sources=None, **fields) -> Observation:
    values = {"account_id": "a", "platform": "weibo", "started_at": AS_OF, "checks": ["update", "name", "certification"],
              "name": "平安宝鸡", "certification": "宝鸡市公安局官方微博",
              "sources": sources if sources is not None else [
                  SourceRecord(kind="weibo-posts", url=LIST, evidence=["s/list.jpg"])]}
    if days is not None:
        values.update(newest_post_at=AS_OF - timedelta(days=days), newest_post_source=LIST,
                      newest_post_lists_newest=lists_newest)
    values.update(fields)
    observation = Observation(**values)
    observation.signals = [s if isinstance(s, Signal) else Signal(code=s, message=f"{s}的原因", evidence=["s/x.jpg"])
                           for s in signals]
    return observation


def states(judgement) -> dict[str, str]:
    return {key: result.state for key, result in judgement.indicators.items()}


def test_every_code_weighs_what_the_rules_table_says():
    assert SEVERITIES == {
        "stale-14d": "veto", "stale-7d": "warn", "no-interaction": "veto", "account-gone": "veto",
        "app-unavailable": "veto", "name-mismatch": "warn", "certification-mismatch": "warn", "blocked": "review",
        "unreachable": "review", "unparsed": "review", "unsupported": "review", "update-unverified": "review",
        "not-found": "review", "changed-since-last-run": "warn", "zombie": "warn",
    }


@pytest.mark.parametrize("code, indicators", [
    ("account-gone", ["account"]),
    ("app-unavailable", ["availability"]),
    ("no-interaction", ["interaction"]),
    ("update-unverified", ["update"]),
    ("blocked", ["update", "name", "certification", "account"]),  # whatever the source would have shown
    ("not-found", ["update", "name", "certification", "account"]),
    ("some-new-code", ["update", "name", "certification", "account"]),
])
def test_what_each_signal_informs_when_its_adapter_did_not_say(code, indicators):
    judgement = judge(account(), seen(2, signals=[code]), AS_OF)
    assert next(f for f in judgement.findings if f.code == code).indicators == indicators


def test_a_signal_keeps_the_indicators_its_adapter_gave():
    signal = Signal(code="blocked", message="互动页面受限", indicators=["interaction"])
    judgement = judge(account(), seen(2, signals=[signal], checks=["update", "interaction"]), AS_OF)
    assert judgement.findings[0].indicators == ["interaction"]
    assert states(judgement)["interaction"] == "unconfirmed" and judgement.verdict == "review"


def test_with_nothing_checked_a_signal_informs_the_update_and_the_account():
    judgement = judge(account(), seen(None, signals=["unsupported"], checks=[], name=None, certification=None,
                                      sources=[]), AS_OF)
    assert judgement.findings[0].indicators == ["update", "account"]
    assert states(judgement) == {"account": "unconfirmed", "update": "unconfirmed"}
    assert judgement.verdict == "review"


def test_an_unknown_code_is_a_review():
    judgement = judge(account(), seen(None, signals=["some-new-code"], name=None), AS_OF)
    assert judgement.findings[0].severity == "review" and judgement.verdict == "review"


# -- each indicator ------------------------------------------------------------------------------


def test_the_proofs_staff_read():
    judgement = judge(account(), seen(3), AS_OF)
    update = judgement.indicators["update"]
    assert update.state == "pass" and update.sources == [LIST] and update.codes == []
    assert update.reasons == [f"最新发布 2026-11-18，距监测时间点3天（列出最新发布的来源：{LIST}）"]
    assert judgement.indicators["name"].reasons == ["实际名称“平安宝鸡”"]
    assert judgement.indicators["certification"].reasons == ["实际认证主体“宝鸡市公安局官方微博”"]
    assert judgement.indicators["account"].reasons == ["平台上可以查看该账号（“平安宝鸡”）"]


def test_a_lower_bound_says_it_is_one():
    update = judge(account(), seen(3, lists_newest=False), AS_OF).indicators["update"]
    assert update.reasons == [f"最新发布 2026-11-18，距监测时间点3天（单篇或搜索结果（仅证明此前有更新）：{LIST}）"]


def test_a_source_without_url_is_told_as_such():
    observation = seen(3)
    observation.newest_post_source = None
    update = judge(account(), observation, AS_OF).indicators["update"]
    assert update.reasons[0].endswith("（列出最新发布的来源：—）") and update.sources == []


def test_an_uncertified_account_reads_so():
    judgement = judge(account(certified_as=None), seen(3, certification=""), AS_OF)
    assert judgement.indicators["certification"].reasons == ["实际认证主体“（未认证）”"]
    assert judgement.indicators["certification"].state == "pass"


@pytest.mark.parametrize("days, state, codes", [(3, "pass", []), (10, "warn", ["stale-7d"]), (20, "fail", ["stale-14d"]),
                                                (100, "fail", ["stale-14d"])])
def test_the_update_state(days, state, codes):
    update = judge(account(), seen(days), AS_OF).indicators["update"]
    assert update.state == state and update.codes == codes
    if codes:
        assert update.sources == [LIST] and update.reasons[0].startswith("超过")


def test_a_violation_without_a_kept_file_still_names_its_source():
    """A person's date (no file behind it): the failing update still says where it came from."""
    observation = seen(20, sources=[])
    update = judge(account(), observation, AS_OF).indicators["update"]
    assert update.state == "fail" and update.sources == [LIST]


def test_a_name_and_a_certification_that_differ_are_warnings():
    judgement = judge(account(), seen(3, name="平安宝鸡发布", certification="宝鸡市某公司"), AS_OF)
    assert states(judgement)["name"] == "warn" and states(judgement)["certification"] == "warn"
    assert judgement.indicators["name"].codes == ["name-mismatch"]
    assert judgement.indicators["certification"].codes == ["certification-mismatch"]
    assert judgement.verdict == "pass"


def test_a_change_since_the_last_run_warns_on_its_indicator():
    prior = Prior(run_id="r0", as_of=AS_OF - timedelta(days=7), verdict="pass", name="旧名称", certification="旧主体")
    judgement = judge(account(name="平安宝鸡"), seen(3), AS_OF, prior)
    changes = [f for f in judgement.findings if f.code == "changed-since-last-run"]
    assert [f.indicators for f in changes] == [["name"], ["certification"]]
    assert changes[0].message == "账号名称较上次检查（批次 r0，2026-11-14）发生变化：原为“旧名称”，现为“平安宝鸡”"
    assert changes[1].message.startswith("认证主体较上次检查（批次 r0，2026-11-14）发生变化：原为“旧主体”")
    assert states(judgement)["name"] == "warn" and states(judgement)["certification"] == "warn"


def test_the_interaction_page():
    opened = judge(account(), seen(3, checks=["update", "interaction"], interaction_ok=True,
                                   interaction_url="https://gov.cn/hd"), AS_OF)
    assert opened.indicators["interaction"].state == "pass"
    assert opened.indicators["interaction"].reasons == ["报备的互动页面可以打开：https://gov.cn/hd"]
    assert opened.indicators["interaction"].sources == ["https://gov.cn/hd"]
    by_person = seen(3, checks=["update", "interaction"], interaction_ok=True, interaction_url="https://gov.cn/hd",
                     sources=[SourceRecord(kind="weibo-posts", url=LIST),
                              SourceRecord(kind="manual", url="https://gov.cn/hd")])
    assert judge(account(), by_person, AS_OF).indicators["interaction"].reasons == [
        "有留言、评论等互动功能：https://gov.cn/hd"]
    another = seen(3, checks=["update", "interaction"], interaction_ok=True, interaction_url="https://gov.cn/hd",
                   sources=[SourceRecord(kind="manual", url="https://gov.cn/other")])
    assert judge(account(), another, AS_OF).indicators["interaction"].reasons[0].startswith("报备的互动页面")
    broken = judge(account(), seen(3, checks=["update", "interaction"], interaction_ok=False,
                                   signals=["no-interaction"]), AS_OF)
    assert broken.indicators["interaction"].state == "fail" and broken.verdict == "fail"


def app_seen(*sources: SourceRecord, signals=()) -> Observation:
    return seen(None, checks=["availability", "name", "certification"], not_checked=["update", "interaction"],
                sources=list(sources), signals=signals, platform="app")


def test_availability_is_proven_by_a_store_page_that_opened():
    judgement = judge(account(platform="app"), app_seen(SourceRecord(kind="app-lookup", url="https://itunes/x")), AS_OF)
    assert judgement.indicators["availability"].state == "pass"
    assert judgement.indicators["availability"].reasons == ["应用页面可以打开"]
    assert judgement.indicators["availability"].sources == ["https://itunes/x"]
    assert states(judgement)["update"] == states(judgement)["interaction"] == "unchecked"
    assert judgement.indicators["update"].reasons == ["公开页面无法查看，需人工核查"]
    assert judgement.verdict == "pass"


def test_availability_is_not_proven_by_an_interaction_page_or_a_feed():
    for kind in ("interaction", "feed"):
        judgement = judge(account(platform="app"), app_seen(SourceRecord(kind=kind, url="https://x")), AS_OF)
        assert states(judgement)["availability"] == "unconfirmed", kind
        assert judgement.indicators["availability"].reasons == ["未能确认可以下载"]
    failed = SourceRecord(kind="app-lookup", url="https://itunes/x", outcome="blocked")
    assert states(judge(account(platform="app"), app_seen(failed), AS_OF))["availability"] == "unconfirmed"


def test_a_failed_store_page_beside_another_that_opened():
    blocked = Signal(code="blocked", message="应用宝受限", indicators=["availability"])
    store = SourceRecord(kind="app-store", url="https://apps.apple.com/cn/app/id1")
    other = SourceRecord(kind="web-page", url="https://gov.cn/app")
    assert states(judge(account(platform="app"), app_seen(store, signals=[blocked]), AS_OF))["availability"] == "pass"
    assert states(judge(account(platform="app"), app_seen(other, signals=[blocked]), AS_OF))["availability"] == (
        "unconfirmed")
    assert states(judge(account(platform="app"), app_seen(other), AS_OF))["availability"] == "pass"


def test_availability_only_where_the_adapter_checks_it():
    judgement = judge(account(), seen(3, not_checked=["availability"]), AS_OF)
    assert states(judgement)["availability"] == "unchecked"


def test_an_app_that_cannot_be_downloaded():
    judgement = judge(account(platform="app"), app_seen(signals=["app-unavailable"]), AS_OF)
    assert states(judgement)["availability"] == "fail" and judgement.verdict == "fail"
    assert judgement.indicators["availability"].codes == ["app-unavailable"]


@pytest.mark.parametrize("indicator, text", [
    ("name", "未读到账号名称"), ("certification", "未读到认证信息"), ("update", "未能确认最新发布时间"),
])
def test_what_nothing_proved_says(indicator, text):
    judgement = judge(account(), seen(None, name=None, certification=None), AS_OF)
    assert judgement.indicators[indicator].state == "unconfirmed"
    if indicator != "update":
        assert judgement.indicators[indicator].reasons == [text]
    else:
        assert judgement.indicators["update"].codes == ["update-unverified"]


def test_nothing_proved_of_the_interaction_or_the_account():
    judgement = judge(account(), seen(None, name=None, certification=None, sources=[],
                                      checks=["update", "interaction"]), AS_OF)
    assert judgement.indicators["interaction"].reasons == ["未能确认互动页面"]
    assert judgement.indicators["account"].reasons == ["未能在平台上看到该账号"]


# -- the account's existence ---------------------------------------------------------------------


@pytest.mark.parametrize("kind, outcome, state", [
    ("weibo-posts", "ok", "pass"),
    ("weibo-posts", "blocked", "unconfirmed"),
    ("feed", "ok", "unconfirmed"),  # a bridge's cache shows no live account
    ("interaction", "ok", "unconfirmed"),
    ("sogou-search", "ok", "unconfirmed"),  # a search page lists others too
])
def test_the_account_is_seen_on_a_page_of_its_own(kind, outcome, state):
    source = SourceRecord(kind=kind, url="https://x/1", outcome=outcome)
    judgement = judge(account(), seen(2, name=None, sources=[source]), AS_OF)
    assert states(judgement)["account"] == state
    if state == "pass":
        assert judgement.indicators["account"].reasons == ["平台上可以查看该账号的页面"]
        assert judgement.indicators["account"].sources == ["https://x/1"]
    else:
        assert judgement.verdict == "review"


def test_the_name_proves_the_account_where_it_was_read():
    observation = seen(2, sources=[], name_source=PAGE)
    account_state = judge(account(), observation, AS_OF).indicators["account"]
    assert account_state.state == "pass" and account_state.sources == [PAGE]
    observation.name_source = None
    assert judge(account(), observation, AS_OF).indicators["account"].sources == []


def test_a_gone_account_shows_only_what_was_proven():
    judgement = judge(account(), seen(None, signals=["account-gone"], name=None, certification=None), AS_OF)
    assert states(judgement) == {"account": "fail"} and judgement.verdict == "fail"
    assert judgement.indicators["account"].codes == ["account-gone"]
    named = judge(account(), seen(None, signals=["account-gone"]), AS_OF)
    assert states(named) == {"account": "fail", "name": "pass", "certification": "pass"}


# -- notes and the verdict -----------------------------------------------------------------------


def test_a_failed_source_is_a_note_only_where_every_indicator_it_informs_was_proven():
    proven = judge(account(), seen(2, signals=["blocked"]), AS_OF)
    assert proven.findings[0].note and proven.verdict == "pass"
    partly = judge(account(), seen(2, signals=["blocked"], certification=None), AS_OF)
    assert not partly.findings[0].note and partly.verdict == "pass"  # the 认证主体 is not required
    assert partly.indicators["certification"].reasons == ["blocked的原因"]
    assert partly.indicators["certification"].codes == ["blocked"]
    assert partly.indicators["certification"].sources == [LIST] or partly.indicators["certification"].sources == []


def test_a_note_informs_only_indicators_the_judgement_has():
    signal = Signal(code="blocked", message="x", indicators=["update", "nonexistent"])
    judgement = judge(account(), seen(2, signals=[signal]), AS_OF)
    assert judgement.findings[0].note


def test_vetoes_and_warnings_are_never_notes():
    judgement = judge(account(), seen(20, signals=["no-interaction"], checks=["update", "interaction"],
                                      interaction_ok=False), AS_OF)
    assert not any(f.note for f in judgement.findings)


def test_the_sources_behind_a_reason_are_those_whose_evidence_it_carries():
    sources = [SourceRecord(kind="weibo-posts", url=LIST, evidence=["s/list.jpg"]),
               SourceRecord(kind="weibo-userinfo", url=PAGE, evidence=["s/x.jpg"])]
    judgement = judge(account(), seen(None, signals=["blocked"], sources=sources, name=None), AS_OF)
    assert judgement.indicators["update"].sources == [PAGE]


@pytest.mark.parametrize("requires, verdict", [
    (["update"], "review"),  # the account itself is always required
    (["update", "interaction", "availability", "name"], "review"),
])
def test_the_account_is_always_required(requires, verdict):
    judgement = judge(account(policy=Policy(requires=requires)), seen(2, name=None, sources=[]), AS_OF)
    assert judgement.verdict == verdict and states(judgement)["account"] == "unconfirmed"


def test_an_unconfirmed_indicator_not_required_leaves_the_verdict_alone():
    judgement = judge(account(policy=Policy(requires=["interaction"])), seen(None, signals=["blocked"],
                                                                           sources=[SourceRecord(kind="p", url=PAGE)]),
                      AS_OF)
    assert states(judgement)["update"] == "unconfirmed" and judgement.verdict == "pass"


def test_nothing_proven_at_all_is_a_review_whatever_is_required():
    observation = seen(None, checks=[], name=None, certification=None, sources=[])
    judgement = judge(account(policy=Policy(requires=[])), observation, AS_OF)
    assert judgement.verdict == "review"


def test_a_warning_alone_passes():
    assert judge(account(), seen(10), AS_OF).verdict == "pass"


def test_the_streak_counts_failures_and_holds_through_reviews():
    prior = Prior(run_id="r0", as_of=AS_OF - timedelta(days=1), verdict="fail", consecutive_failures=2)
    assert judge(account(), seen(20), AS_OF, prior).consecutive_failures == 3
    assert judge(account(), seen(None, signals=["blocked"], name=None), AS_OF, prior).consecutive_failures == 2
    assert judge(account(), seen(2), AS_OF, prior).consecutive_failures == 0
    assert judge(account(), seen(20), AS_OF).consecutive_failures == 1


def test_an_app_that_cannot_be_downloaded_is_not_also_unconfirmed_on_what_it_does_not_show():
    observation = app_seen(signals=["app-unavailable"])
    observation.checks.append("update")
    judgement = judge(account(platform="app"), observation, AS_OF)
    assert [f.code for f in judgement.findings] == ["app-unavailable"]  # gone: no update-unverified
    assert "update" not in judgement.indicators and "interaction" not in judgement.indicators  # moot


def test_a_warning_without_a_kept_file_still_names_its_source():
    update = judge(account(), seen(10, sources=[]), AS_OF).indicators["update"]
    assert update.state == "warn" and update.sources == [LIST]


# -- the findings' words ---------------------------------------------------------------------------


def messages(judgement) -> dict[str, str]:
    return {f.code: f.message for f in judgement.findings}


def test_what_the_update_findings_say():
    assert messages(judge(account(), seen(20), AS_OF))["stale-14d"] == "超过14天未更新：最新发布于2026-11-01，已20天"
    assert messages(judge(account(), seen(10), AS_OF))["stale-7d"] == "超过7天未更新：最新发布于2026-11-11，已10天"
    zombie = judge(account(), seen(100), AS_OF)
    assert messages(zombie)["zombie"] == "僵尸账号：超过90天未更新（最新发布于2026-08-13，已100天）"
    assert next(f for f in zombie.findings if f.code == "zombie").indicators == ["update"]
    assert messages(judge(account(), seen(20, lists_newest=False), AS_OF))["update-unverified"] == (
        "仅见2026-11-01的发布（单篇来源，不能证明此后未更新），需人工核查")
    assert messages(judge(account(), seen(None), AS_OF))["update-unverified"] == "未能确认最新发布时间（不能据此认定未更新）"


def test_what_the_identity_findings_say():
    renamed = judge(account(), seen(3, name="宝鸡公安", certification="某公司"), AS_OF)
    assert messages(renamed)["name-mismatch"] == "账号名称与报备不一致：报备“平安宝鸡”，实际“宝鸡公安”"
    assert messages(renamed)["certification-mismatch"] == "认证主体与报备不一致：报备“宝鸡市公安局”，实际“某公司”"
    uncertified = judge(account(), seen(3, certification=""), AS_OF)
    assert messages(uncertified)["certification-mismatch"] == "未见认证信息，报备认证主体为“宝鸡市公安局”"


def test_a_change_from_or_to_nothing_says_so():
    prior = Prior(run_id="r0", as_of=AS_OF - timedelta(days=7), verdict="pass", name="平安宝鸡", certification="")
    assert messages(judge(account(), seen(3), AS_OF, prior))["changed-since-last-run"] == (
        "认证主体较上次检查（批次 r0，2026-11-14）发生变化：原为“（无）”，现为“宝鸡市公安局官方微博”")
    prior = prior.model_copy(update={"certification": "宝鸡市公安局官方微博"})
    assert messages(judge(account(certified_as=None), seen(3, certification=""), AS_OF, prior))[
        "changed-since-last-run"].endswith("原为“宝鸡市公安局官方微博”，现为“（无）”")


def test_a_source_that_could_not_see_something_else_leaves_the_update_unverified():
    """A failed interaction page says nothing of the posts: with no date at all, the update's own
    reason (update-unverified) is still given."""
    signal = Signal(code="blocked", message="互动页面受限", indicators=["interaction"])
    judgement = judge(account(), seen(None, signals=[signal], checks=["update", "interaction"]), AS_OF)
    assert [f.code for f in judgement.findings] == ["blocked", "update-unverified"]


def test_a_finding_carries_the_evidence_of_the_page_its_value_came_from():
    sources = [SourceRecord(kind="weibo-userinfo", url=PAGE, evidence=["s/info.jpg"]),
               SourceRecord(kind="weibo-posts", url=LIST, evidence=["s/list.jpg"])]
    judgement = judge(account(), seen(20, sources=sources, name="别名", name_source=PAGE), AS_OF)
    by_code = {f.code: f.evidence for f in judgement.findings}
    assert by_code["stale-14d"] == ["s/list.jpg"] and by_code["name-mismatch"] == ["s/info.jpg"]
    unknown = judge(account(), seen(20, sources=sources, name="别名", name_source="https://elsewhere"), AS_OF)
    assert {f.code: f.evidence for f in unknown.findings}["name-mismatch"] == ["s/info.jpg"]  # the first page
