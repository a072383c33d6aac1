"""Staff review (人工复核): checking a decision, and applying decisions to a judgement. Pure.

A decision never rewrites what the machine saw; the reviewed judgement is computed from the
stored observation, the decisions and the normal rules:

- a filing (报备) of a live name or certification makes the rules compare against the filed
  value; it applies to the run it was made in and to later runs, for as long as the live value
  is the same (the filing stays filed; a new change needs a new filing);
- of a run's confirm / overrule / attest decisions for an account, the latest wins: confirm
  keeps the machine's judgement (with filings), attest re-judges with the newest post date
  seen by hand, overrule sets the verdict;
- filings add to whichever of those is in effect.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Optional

from .dates import BEIJING, to_beijing
from .errors import ReviewError
from .models import AccountResult, Observation, Prior, Review, VERDICT_LABELS
from .rules import SEVERITIES, judge, normalise

#: The decisions that set a run's verdict for an account; the latest one wins.
VERDICT_ACTIONS = ("confirm", "overrule", "attest")


def new_review(result: AccountResult, *, run_id: str, action: str, reviewer: str, reason: str,
               at: datetime, verdict: Optional[str] = None, post_date: Optional[str] = None,
               field: Optional[str] = None) -> Review:
    """A checked decision on `result` (the account as the machine saw it), or ReviewError saying why not."""
    reviewer, reason = reviewer.strip(), reason.strip()
    problems = []
    if not reviewer:
        problems.append("请填写复核人姓名")
    if action != "confirm" and not reason:
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

    account, observation, judgement = result.account, result.observation, machine
    if applied:
        filed = {filing.field: filing.value for filing in applied}
        account = account.model_copy(update={"name" if field == "name" else "certified_as": value
                                             for field, value in filed.items()})
        if prior is not None:  # a filed change is no longer a change since the last run
            prior = prior.model_copy(update={field: None for field in filed})
    if latest is not None and latest.action == "attest":
        observation = attested_observation(observation, latest)
    if applied or (latest is not None and latest.action == "attest"):
        judgement = judge(account, observation, machine.as_of, prior)
    if latest is not None and latest.action == "overrule":
        judgement = judgement.model_copy(update={"verdict": latest.verdict})

    review = latest
    if review is None:
        if judgement == machine:  # filed values that the rules did not flag anyway
            return result
        review = applied[-1]
    return result.model_copy(update={
        "observation": observation, "judgement": judgement, "machine_judgement": machine,
        "review": review, "filings": applied,
    })
