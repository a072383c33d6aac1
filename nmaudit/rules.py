"""Judging: Observation + account policy + check time -> findings and a verdict. Pure."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from .dates import idle_days as compute_idle_days
from .dates import to_beijing
from .models import Account, Finding, Judgement, Observation, Prior, Severity

#: Every finding code and its weight (README documents the same table).
SEVERITIES: dict[str, Severity] = {
    "stale-14d": "veto",
    "stale-7d": "warn",
    "no-interaction": "veto",
    "account-gone": "veto",
    "app-unavailable": "veto",
    "name-mismatch": "warn",
    "certification-mismatch": "warn",
    "blocked": "review",
    "unreachable": "review",
    "unparsed": "review",
    "unsupported": "review",
    "update-unverified": "review",
    "not-found": "review",
    "changed-since-last-run": "warn",
    "zombie": "warn",
}


def normalise(text: str) -> str:
    """Compare names as people read them: full-width/half-width and spacing do not count."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def judge(account: Account, observation: Observation, as_of: datetime, prior: Prior | None = None) -> Judgement:
    """Apply the rules of inspection-rules.md to one observation at one check time; `prior`
    (the account's previous run) adds what only history shows."""
    as_of = to_beijing(as_of)
    findings = [
        Finding(code=s.code, severity=SEVERITIES.get(s.code, "review"), message=s.message, evidence=s.evidence)
        for s in observation.signals
    ]
    gone = any(f.code in ("account-gone", "app-unavailable") for f in findings)
    idle = None
    if observation.newest_post_at is not None:
        idle = compute_idle_days(observation.newest_post_at, as_of)

    if "update" in observation.checks and not gone:
        findings.extend(_update_findings(account, observation, idle))
    findings.extend(_identity_findings(account, observation))
    if prior is not None:
        findings.extend(_change_findings(observation, prior))

    severities = {f.severity for f in findings}
    verdict = "fail" if "veto" in severities else "review" if "review" in severities else "pass"
    streak = prior.consecutive_failures if prior is not None else 0
    streak = streak + 1 if verdict == "fail" else streak if verdict == "review" else 0
    gaps = [g for g in (prior.longest_gap_days if prior else None, _longest_gap(observation, as_of)) if g is not None]
    return Judgement(
        as_of=as_of, verdict=verdict, idle_days=idle, findings=findings, consecutive_failures=streak,
        longest_gap_days=max(gaps) if gaps else None, prior_run=prior.run_id if prior else None,
    )


def _longest_gap(observation: Observation, as_of: datetime) -> int | None:
    """The longest stretch without a post, in calendar days, that this observation proves:
    between consecutive posts of one listing source, and from the newest post to the check."""
    gaps = []
    for times in observation.listed_posts.values():
        days = sorted({to_beijing(t).date() for t in times})
        gaps.extend((later - earlier).days for earlier, later in zip(days, days[1:]))
    if observation.newest_post_at is not None and observation.newest_post_lists_newest:
        gaps.append(compute_idle_days(observation.newest_post_at, as_of))
    return max(gaps) if gaps else None


def _change_findings(observation: Observation, prior: Prior) -> list[Finding]:
    """The live name or certification differs from what the previous run saw."""
    evidence = _source_evidence(observation, observation.name_source)
    when = f"上次检查（批次 {prior.run_id}，{to_beijing(prior.as_of):%Y-%m-%d}）"
    findings = []
    for label, before, after in (("账号名称", prior.name, observation.name),
                                 ("认证主体", prior.certification, observation.certification)):
        if before is not None and after is not None and normalise(before) != normalise(after):
            findings.append(_finding(
                "changed-since-last-run", f"{label}较{when}发生变化：原为“{before or '（无）'}”，现为“{after or '（无）'}”",
                evidence))
    return findings


def _identity_findings(account: Account, observation: Observation) -> list[Finding]:
    """Live name and certification against what was filed (报备)."""
    evidence = _source_evidence(observation, observation.name_source)
    findings = []
    if observation.name is not None and normalise(observation.name) != normalise(account.name):
        findings.append(_finding(
            "name-mismatch", f"账号名称与报备不一致：报备“{account.name}”，实际“{observation.name}”", evidence))
    if account.certified_as and observation.certification is not None:
        if not observation.certification:
            findings.append(_finding(
                "certification-mismatch", f"未见认证信息，报备认证主体为“{account.certified_as}”", evidence))
        elif normalise(account.certified_as) not in normalise(observation.certification):
            findings.append(_finding(
                "certification-mismatch",
                f"认证主体与报备不一致：报备“{account.certified_as}”，实际“{observation.certification}”",
                evidence,
            ))
    return findings


def _update_findings(account: Account, observation: Observation, idle: int | None) -> list[Finding]:
    """Idle days against the policy; only a source that lists the newest posts can prove idleness."""
    policy = account.policy
    evidence = _source_evidence(observation, observation.newest_post_source)
    has_review = any(SEVERITIES.get(s.code, "review") == "review" for s in observation.signals)
    if idle is None:
        if has_review:
            return []  # already explained: blocked, unreachable, unparsed
        return [_finding("update-unverified", "未能确认最新发布时间（不能据此认定未更新）", evidence)]
    newest = to_beijing(observation.newest_post_at).strftime("%Y-%m-%d")
    if not observation.newest_post_lists_newest:
        # A lower bound proves activity; it can never prove idleness. Within the veto's window it
        # proves the indicator passes (whatever the exact idle days, they are no more than these).
        if idle <= policy.fail_idle_days or has_review:
            return []
        message = f"仅见{newest}的发布（单篇来源，不能证明此后未更新），需人工核查"
        return [_finding("update-unverified", message, evidence)]
    findings = []
    for code, limit in (("stale-14d", policy.fail_idle_days), ("stale-7d", policy.warn_idle_days)):
        if idle > limit:
            findings.append(_finding(code, f"超过{limit}天未更新：最新发布于{newest}，已{idle}天", evidence))
            break
    if idle > policy.zombie_idle_days:
        findings.append(_finding(
            "zombie", f"僵尸账号：超过{policy.zombie_idle_days}天未更新（最新发布于{newest}，已{idle}天）", evidence))
    return findings


def _finding(code: str, message: str, evidence: list[str]) -> Finding:
    return Finding(code=code, severity=SEVERITIES[code], message=message, evidence=evidence)


def _source_evidence(observation: Observation, url: str | None) -> list[str]:
    """The evidence of the page a value was read from (the first page when unknown)."""
    for source in observation.sources:
        if source.url == url:
            return list(source.evidence)
    return list(observation.sources[0].evidence) if observation.sources else []
