"""Staff review (人工复核): checking a decision, and applying decisions to a judgement. Pure.

A decision never rewrites what the machine saw; the reviewed judgement is computed from the
stored observation, the decisions and the normal rules:

- a filing (报备) of a live name or certification makes the rules compare against the filed
  value; it applies to the run it was made in and to later runs, for as long as the live value
  is the same (the filing stays filed; a new change needs a new filing);
- of a run's confirm / overrule / attest / observe decisions for an account, the latest wins: confirm
  keeps the machine's judgement (with filings), attest re-judges with the newest post date
  seen by hand, overrule sets the verdict;
- what a person saw in the app (observe, 人工核查) is a source like any other: the newest post's
  time, the interaction function, the app's availability, the certification text. What several
  observations of the run saw adds up (the latest answer per indicator wins) and the account is
  judged again from it with the normal rules; a confirm drops what was seen before it, an
  overrule sets the verdict of whatever was judged;
- filings add to whichever of those is in effect.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Optional

from .dates import BEIJING, to_beijing
from .errors import ReviewError
from .models import VERDICT_LABELS, AccountResult, Observation, Prior, Review, Signal, SourceRecord
from .rules import SEVERITIES, judge, normalise

#: The decisions that set a run's verdict for an account; the latest one wins.
VERDICT_ACTIONS = ("confirm", "overrule", "attest", "observe")
#: What a person may record having seen (observe), and how staff name it.
SEEN_FIELDS = ("post_at", "interaction", "available", "certification")
#: The certification text a person types for an account that shows none.
NOT_CERTIFIED = ("未认证", "无", "无认证")


def new_review(result: AccountResult, *, run_id: str, action: str, reviewer: str, reason: str,
               at: datetime, verdict: Optional[str] = None, post_date: Optional[str] = None,
               field: Optional[str] = None, post_time: Optional[str] = None, interaction: Optional[str] = None,
               available: Optional[str] = None, certification: Optional[str] = None) -> Review:
    """A checked decision on `result` (the account as the machine saw it), or ReviewError saying why not.

    observe (人工核查): `post_date` / `post_time` (YYYY-MM-DD, HH:MM), `interaction` and `available`
    ("yes", "no" or empty: not looked at), `certification` (the text shown; empty: not looked at)."""
    reviewer, reason = reviewer.strip(), reason.strip()
    problems = []
    if not reviewer:
        problems.append("请填写复核人姓名")
    if action not in ("confirm", "observe") and not reason:
        problems.append("请填写理由")
    values: dict = {}
    if action == "overrule":
        if verdict not in VERDICT_LABELS:
            problems.append("请选择改判后的结论")
        values["verdict"] = verdict
    elif action == "attest":
        values["post_at"] = _attested_moment(post_date, result.judgement.as_of, problems)
    elif action == "file":
        live = {"name": result.observation.name, "certification": result.observation.certification}
        if field not in live:
            problems.append("请选择已报备的是账号名称还是认证主体")
        elif live[field] is None:
            problems.append("机器未读到该项的实际值，无法标记为已报备")
        values.update(field=field, value=live.get(field or ""))
    elif action == "observe":
        values.update(_seen(result, post_date, post_time, interaction, available, certification, problems))
    elif action != "confirm":
        problems.append(f"未知的复核操作 {action!r}")
    if problems:
        raise ReviewError(problems)
    return Review(run_id=run_id, account_id=result.account.id, action=action, reviewer=reviewer,
                  reason=reason, at=at, **values)


def _attested_moment(text: Optional[str], as_of: datetime, problems: list[str]) -> Optional[datetime]:
    """A date (YYYY-MM-DD) as the start of that Beijing day; it must not be after the check date."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        problems.append("请填写核实到的最新发布日期（年-月-日）")
        return None
    if day > to_beijing(as_of).date():
        problems.append(f"核实的是监测时间点（{to_beijing(as_of):%Y-%m-%d}）前的最新发布，日期不能晚于它")
        return None
    return datetime.combine(day, time(0, 0), tzinfo=BEIJING)


def _seen(result: AccountResult, post_date: Optional[str], post_time: Optional[str], interaction: Optional[str],
          available: Optional[str], certification: Optional[str], problems: list[str]) -> dict:
    """What a person recorded having seen, checked: at least one indicator."""
    values: dict = {}
    as_of = to_beijing(result.judgement.as_of)
    if (post_date or "").strip():
        day = _attested_moment(post_date, as_of, problems)
        clock = (post_time or "").strip()
        if day is not None and clock:
            try:
                day = datetime.combine(day.date(), time.fromisoformat(clock), tzinfo=BEIJING)
            except ValueError:
                problems.append("发布时间请写作 时:分（如 09:30）")
            else:
                if day > as_of:
                    problems.append(f"核实的是监测时间点（{as_of:%Y-%m-%d %H:%M}）前的最新发布，时间不能晚于它")
        values["post_at"] = day
    elif (post_time or "").strip():
        problems.append("填写了发布时间，请同时填写日期")
    for name, answer, label in (("interaction", interaction, "互动功能"), ("available", available, "可下载可用")):
        answer = (answer or "").strip()
        if answer in ("yes", "no"):
            values[name] = answer == "yes"
        elif answer:
            problems.append(f"{label}请选择“有”或“无”")
    text = " ".join((certification or "").split())
    if text:
        values["certification"] = "" if text in NOT_CERTIFIED else text
    if not problems and not any(values.get(name) is not None for name in SEEN_FIELDS):
        problems.append("请至少填写一项所见：最新发布日期、互动功能、可下载可用或认证主体")
    return values


def filing_applies(filing: Review, observation: Observation) -> bool:
    """A filing covers the live value it was made for, compared as people read names."""
    live = getattr(observation, filing.field or "", None)
    return live is not None and filing.value is not None and normalise(live) == normalise(filing.value)


def attested_observation(observation: Observation, review: Review) -> Observation:
    """The observation completed by a date seen by hand, as a source that lists the newest posts.

    The reviewer looked at the account's posts, so what kept the machine from seeing them
    (blocked, unreachable, unparsed, unsupported) no longer holds the verdict; a problem with the
    declared interaction page is another indicator and stays.
    """
    interaction = {path for source in observation.sources if source.kind == "interaction" for path in source.evidence}
    signals = [
        signal for signal in observation.signals
        if SEVERITIES.get(signal.code, "review") != "review" or (signal.evidence and set(signal.evidence) <= interaction)
    ]
    update: dict = {"signals": signals, "newest_post_lists_newest": True,
                    "checks": list(dict.fromkeys([*observation.checks, "update"])),
                    "not_checked": [i for i in observation.not_checked if i != "update"]}
    machine = observation.newest_post_at
    if machine is None or to_beijing(review.post_at).date() >= to_beijing(machine).date():
        update.update(newest_post_at=review.post_at, newest_post_source=f"人工核实：{review.reviewer}")
    return observation.model_copy(update=update)


def manual_source(review: Review) -> str:
    """How a person's observation is named as a source: 人工核查（张三，2026-11-23 09:30）."""
    return f"人工核查（{review.reviewer}，{to_beijing(review.at):%Y-%m-%d %H:%M}）"


def seen_by_person(observations: list[Review]) -> dict[str, Review]:
    """Of a run's observations (oldest first), the one whose answer stands for each field."""
    answers: dict[str, Review] = {}
    for review in observations:
        for name in SEEN_FIELDS:
            if getattr(review, name) is not None:
                answers[name] = review
    return answers


def seen_observation(observation: Observation, observations: list[Review]) -> Observation:
    """The observation completed by what people saw in the app, each a source of its own.

    The machine's sources stay: one that could not see becomes a note where the person proved
    its indicators (nmaudit.rules), and a violation another source proved still stands. A newer
    post the machine saw is never hidden by an older one a person saw."""
    answers = seen_by_person(observations)
    if not answers:
        return observation
    checks, not_checked = list(observation.checks), list(observation.not_checked)
    signals, update = list(observation.signals), {}
    sources = list(observation.sources)
    for review in {id(review): review for review in answers.values()}.values():
        sources.append(SourceRecord(kind="manual", url=manual_source(review), fetched_at=review.at,
                                    evidence=[review.screenshot] if review.screenshot else []))

    def covers(indicator: str) -> None:
        if indicator not in checks:
            checks.append(indicator)
        if indicator in not_checked:
            not_checked.remove(indicator)

    def evidence(review: Review) -> list[str]:
        return [review.screenshot] if review.screenshot else []

    if "post_at" in answers:
        review = answers["post_at"]
        covers("update")
        machine = observation.newest_post_at
        if machine is None or to_beijing(review.post_at).date() >= to_beijing(machine).date():
            update.update(newest_post_at=review.post_at, newest_post_source=manual_source(review))
        update["newest_post_lists_newest"] = True  # the person saw the account's own list of posts
    if "interaction" in answers:
        review = answers["interaction"]
        covers("interaction")
        if review.interaction:
            if observation.interaction_ok is None:
                update.update(interaction_ok=True, interaction_url=manual_source(review))
        else:
            signals.append(Signal(code="no-interaction", message=f"{manual_source(review)}：未见留言、评论等互动功能",
                                  evidence=evidence(review), indicators=["interaction"]))
    if "available" in answers:
        review = answers["available"]
        covers("availability")
        if review.available:
            sources.append(SourceRecord(kind="app-manual", url=manual_source(review), fetched_at=review.at,
                                        evidence=evidence(review)))
        else:
            signals.append(Signal(code="app-unavailable", message=f"{manual_source(review)}：应用无法下载或无法打开",
                                  evidence=evidence(review), indicators=["availability"]))
    if "certification" in answers:
        review = answers["certification"]
        covers("certification")
        update["certification"] = review.certification
        if observation.name is None or observation.name_source is None:
            update["name_source"] = manual_source(review)
    update.update(checks=checks, not_checked=not_checked, signals=signals, sources=sources)
    return observation.model_copy(update=update)


def apply_reviews(result: AccountResult, decisions: list[Review], filings: list[Review],
                  prior: Optional[Prior] = None) -> AccountResult:
    """`result` as it stands after review.

    `decisions`: this run's decisions for the account, oldest first. `filings`: the account's
    filings made in this run or an earlier one, oldest first. `prior`: the account's previous
    run, as the machine judged with it. Returns `result` itself when no decision applies; else
    a copy with the reviewed judgement, `machine_judgement` and `review`.
    """
    machine = result.judgement
    applied = [filing for filing in filings if filing_applies(filing, result.observation)]
    verdict_decisions = [d for d in decisions if d.action in VERDICT_ACTIONS]
    latest = verdict_decisions[-1] if verdict_decisions else None
    if not applied and latest is None:
        return result

    # What stands: a confirm drops what was attested or seen before it; an overrule lasts until
    # something newer is seen.
    attest: Optional[Review] = None
    seen: list[Review] = []
    overrule: Optional[Review] = None
    for decision in verdict_decisions:
        if decision.action == "confirm":
            attest, seen, overrule = None, [], None
        elif decision.action == "overrule":
            overrule = decision
        elif decision.action == "attest":
            attest, overrule = decision, None
        else:
            seen.append(decision)
            overrule = None

    account, observation, judgement = result.account, result.observation, machine
    if applied:
        filed = {filing.field: filing.value for filing in applied}
        account = account.model_copy(update={"name" if field == "name" else "certified_as": value
                                             for field, value in filed.items()})
        if prior is not None:  # a filed change is no longer a change since the last run
            prior = prior.model_copy(update={field: None for field in filed})
    if attest is not None:
        observation = attested_observation(observation, attest)
    if seen:
        observation = seen_observation(observation, seen)
    if applied or attest is not None or seen:
        judgement = judge(account, observation, machine.as_of, prior)
    if overrule is not None:
        judgement = judgement.model_copy(update={"verdict": overrule.verdict})

    review = latest
    if review is None:
        if judgement == machine:  # filed values that the rules did not flag anyway
            return result
        review = applied[-1]
    return result.model_copy(update={
        "observation": observation, "judgement": judgement, "machine_judgement": machine,
        "review": review, "filings": applied,
    })
