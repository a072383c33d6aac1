"""Judging: Observation + account policy + check time -> findings and a verdict. Pure."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from .dates import idle_days as compute_idle_days
from .dates import to_beijing
from .models import INDICATOR_ORDER, Account, Finding, IndicatorResult, Judgement, Observation, Prior, Severity

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


#: What a signal informs when its adapter did not say (runs stored before signals said so).
SIGNAL_INDICATORS: dict[str, tuple[str, ...]] = {
    "account-gone": ("account",),
    "app-unavailable": ("availability",),
    "no-interaction": ("interaction",),
    "update-unverified": ("update",),
}


def signal_indicators(code: str, given: list[str], observation: Observation) -> list[str]:
    """The indicators a signal is about: what its adapter said, else the code's own, else every
    indicator the observation checks and the account's existence (a failed source may have been
    the one that would show any of them), or the update when nothing was checked at all
    (unsupported, not found)."""
    if given:
        return list(given)
    if code in SIGNAL_INDICATORS:
        return list(SIGNAL_INDICATORS[code])
    return list(observation.checks or ["update"]) + ["account"]


def judge(account: Account, observation: Observation, as_of: datetime, prior: Prior | None = None) -> Judgement:
    """Apply the rules of inspection-rules.md to one observation at one check time; `prior`
    (the account's previous run) adds what only history shows.

    Each indicator is judged from the source that proved it (Judgement.indicators); a source
    that could not see leaves its indicators 未能确认 only where nothing else proved them, and
    is otherwise kept as a note that weighs nothing."""
    as_of = to_beijing(as_of)
    findings = [
        Finding(code=s.code, severity=SEVERITIES.get(s.code, "review"), message=s.message, evidence=s.evidence,
                indicators=signal_indicators(s.code, s.indicators, observation))
        for s in observation.signals
    ]
    gone = any(f.code in ("account-gone", "app-unavailable") for f in findings)
    idle = None
    if observation.newest_post_at is not None:
        idle = compute_idle_days(observation.newest_post_at, as_of)

    if "update" in observation.checks and not gone:
        findings.extend(_update_findings(account, observation, idle, findings))
    findings.extend(_identity_findings(account, observation))
    if prior is not None:
        findings.extend(_change_findings(observation, prior))

    indicators = judge_indicators(account, observation, findings, idle, gone)
    for finding in findings:
        # A source that could not see, where every indicator it would have shown was proven.
        finding.note = finding.severity == "review" and all(
            indicators[i].state not in ("unconfirmed",) for i in finding.indicators if i in indicators)
    verdict = decide(account, observation, findings, indicators)
    streak = prior.consecutive_failures if prior is not None else 0
    streak = streak + 1 if verdict == "fail" else streak if verdict == "review" else 0
    gaps = [g for g in (prior.longest_gap_days if prior else None, _longest_gap(observation, as_of)) if g is not None]
    return Judgement(
        as_of=as_of, verdict=verdict, idle_days=idle, findings=findings, consecutive_failures=streak,
        longest_gap_days=max(gaps) if gaps else None, prior_run=prior.run_id if prior else None,
        indicators=indicators,
    )


def decide(account: Account, observation: Observation, findings: list[Finding],
           indicators: dict[str, IndicatorResult]) -> str:
    """不合格 if any veto was proven; 待复核 if an indicator the policy requires (or the
    account's very existence) could not be confirmed; 合格 otherwise (warnings may remain)."""
    if any(f.severity == "veto" for f in findings):
        return "fail"
    required = set(account.policy.requires) | {"account"}
    # The account's existence is always judged and required: with nothing proven at all
    # (unsupported, not found) it is 未能确认 itself.
    if any(result.state == "unconfirmed" and name in required for name, result in indicators.items()):
        return "review"
    return "pass"


def judge_indicators(account: Account, observation: Observation, findings: list[Finding], idle: int | None,
                     gone: bool) -> dict[str, IndicatorResult]:
    """Every indicator's state, in INDICATOR_ORDER: those the adapter checks, those a source
    said something about, and those left to staff (未检查)."""
    about: dict[str, list[Finding]] = {}
    for finding in findings:
        for indicator in finding.indicators:
            about.setdefault(indicator, []).append(finding)
    shown = set(observation.checks) | set(observation.not_checked) | set(about) | {"account"}
    results: dict[str, IndicatorResult] = {}
    for indicator in INDICATOR_ORDER:
        if indicator not in shown:
            continue
        own = about.get(indicator, [])
        result = _indicator(indicator, account, observation, own, idle)
        if result is None:
            if gone:
                continue  # moot: the account itself is gone
            result = _unproven(indicator, observation, own)
        if indicator == "update" and result.state in ("fail", "warn") and not result.sources \
                and observation.newest_post_source:
            result.sources = [observation.newest_post_source]  # a source kept no file (a person's eyes)
        results[indicator] = result
    return results


def _indicator(indicator: str, account: Account, observation: Observation, own: list[Finding],
               idle: int | None) -> IndicatorResult | None:
    """The indicator's state where something proved it (violated or met); None where nothing did."""
    violations = [f for f in own if f.severity in ("veto", "warn")]
    vetoes = [f for f in violations if f.severity == "veto"]
    if vetoes:
        return _result("fail", vetoes, observation)
    if indicator == "account":
        # The platform itself showed the account: its name, or a page of its own (a feed may be a
        # bridge's cache, a search page may list others; neither shows the account is still open).
        own_pages = [src for src in observation.sources if src.outcome == "ok" and src.kind not in ("feed", "interaction")
                     and "search" not in src.kind]
        if observation.name is not None:
            return IndicatorResult(state="pass", sources=[observation.name_source] if observation.name_source else [],
                                   reasons=[f"平台上可以查看该账号（“{observation.name}”）"])
        if own_pages:
            return IndicatorResult(state="pass", sources=[own_pages[0].url], reasons=["平台上可以查看该账号的页面"])
        return None
    if indicator == "update":
        if idle is None or "update" not in observation.checks:
            return None
        if not observation.newest_post_lists_newest and idle > account.policy.fail_idle_days:
            return None  # an old lower bound proves nothing either way
        newest = f"{to_beijing(observation.newest_post_at):%Y-%m-%d}"
        how = "列出最新发布的来源" if observation.newest_post_lists_newest else "单篇或搜索结果（仅证明此前有更新）"
        proof = f"最新发布 {newest}，距监测时间点{idle}天（{how}：{observation.newest_post_source or '—'}）"
        return _proven(violations, observation, proof, observation.newest_post_source)
    if indicator == "interaction":
        if observation.interaction_ok is None:
            return None
        by_person = any(s.kind == "manual" and s.url == observation.interaction_url for s in observation.sources)
        proof = "有留言、评论等互动功能" if by_person else "报备的互动页面可以打开"
        return _proven(violations, observation, f"{proof}：{observation.interaction_url}", observation.interaction_url)
    if indicator == "name":
        if observation.name is None:
            return None
        return _proven(violations, observation, f"实际名称“{observation.name}”", observation.name_source)
    if indicator == "certification":
        if observation.certification is None:
            return None
        seen = observation.certification or "（未认证）"
        return _proven(violations, observation, f"实际认证主体“{seen}”", observation.name_source)
    if indicator == "availability":
        if "availability" not in observation.checks:
            return None
        unresolved = [f for f in own if f.severity == "review"]
        ok = [s for s in observation.sources if s.outcome == "ok" and s.kind not in ("interaction", "feed")]
        if not ok or (unresolved and not any(s.kind.startswith("app") for s in ok)):
            return None
        return _proven(violations, observation, "应用页面可以打开", ok[0].url)
    return None


def _proven(violations: list[Finding], observation: Observation, proof: str, source: str | None) -> IndicatorResult:
    if violations:
        return _result("warn", violations, observation)
    return IndicatorResult(state="pass", sources=[source] if source else [], reasons=[proof])


def _result(state: str, findings: list[Finding], observation: Observation) -> IndicatorResult:
    return IndicatorResult(state=state, codes=list(dict.fromkeys(f.code for f in findings)),
                           sources=_finding_sources(findings, observation),
                           reasons=[f.message for f in findings])


def _unproven(indicator: str, observation: Observation, own: list[Finding]) -> IndicatorResult:
    """Nothing proved the indicator: 未能确认 with every source's reason, or 未检查 when the
    platform does not show it publicly and no source tried."""
    reasons = [f for f in own if f.severity == "review"]
    if not reasons and indicator in observation.not_checked and indicator not in observation.checks:
        return IndicatorResult(state="unchecked", reasons=["公开页面无法查看，需人工核查"])
    if not reasons:
        # (The update always has a reason: update-unverified when no source said why.)
        return IndicatorResult(state="unconfirmed", reasons=[UNPROVEN[indicator]])
    return _result("unconfirmed", reasons, observation)


#: What staff read of an indicator nothing proved, when no source said why.
UNPROVEN = {"account": "未能在平台上看到该账号", "name": "未读到账号名称", "certification": "未读到认证信息",
            "interaction": "未能确认互动页面", "availability": "未能确认可以下载"}


def _finding_sources(findings: list[Finding], observation: Observation) -> list[str]:
    """The URLs of the sources whose evidence the findings carry."""
    paths = {path for finding in findings for path in finding.evidence}
    return list(dict.fromkeys(s.url for s in observation.sources if paths & set(s.evidence)))


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
    for key, label, before, after in (("name", "账号名称", prior.name, observation.name),
                                      ("certification", "认证主体", prior.certification, observation.certification)):
        if before is not None and after is not None and normalise(before) != normalise(after):
            findings.append(_finding(
                "changed-since-last-run", f"{label}较{when}发生变化：原为“{before or '（无）'}”，现为“{after or '（无）'}”",
                evidence, (key,)))
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


def _update_findings(account: Account, observation: Observation, idle: int | None,
                     signals: list[Finding]) -> list[Finding]:
    """Idle days against the policy; only a source that lists the newest posts can prove idleness."""
    policy = account.policy
    evidence = _source_evidence(observation, observation.newest_post_source)
    explained = any(f.severity == "review" and "update" in f.indicators for f in signals)
    if idle is None:
        if explained:
            return []  # already explained: blocked, unreachable, unparsed
        return [_finding("update-unverified", "未能确认最新发布时间（不能据此认定未更新）", evidence)]
    newest = to_beijing(observation.newest_post_at).strftime("%Y-%m-%d")
    if not observation.newest_post_lists_newest:
        # A lower bound proves activity; it can never prove idleness. Within the veto's window it
        # proves the indicator passes (whatever the exact idle days, they are no more than these).
        if idle <= policy.fail_idle_days or explained:
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


#: The indicator each finding the rules raise is about.
FINDING_INDICATORS = {
    "stale-14d": ("update",), "stale-7d": ("update",), "zombie": ("update",), "update-unverified": ("update",),
    "name-mismatch": ("name",), "certification-mismatch": ("certification",),
}


def _finding(code: str, message: str, evidence: list[str], indicators: tuple[str, ...] = ()) -> Finding:
    return Finding(code=code, severity=SEVERITIES[code], message=message, evidence=evidence,
                   indicators=list(indicators or FINDING_INDICATORS.get(code, ())))


def _source_evidence(observation: Observation, url: str | None) -> list[str]:
    """The evidence of the page a value was read from (the first page when unknown)."""
    for source in observation.sources:
        if source.url == url:
            return list(source.evidence)
    return list(observation.sources[0].evidence) if observation.sources else []
