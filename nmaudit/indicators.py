"""How a judgement's indicators read to staff: one wording for the table, the notice, the
warnings and the review page (nmaudit.rules decides the states; this only says them)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import (
    FINDING_LABELS, INDICATOR_LABELS, INDICATOR_ORDER, INDICATOR_STATE_LABELS, Finding, IndicatorResult, Judgement,
)


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator of one account, as staff read it."""

    key: str
    label: str  # 内容更新
    state: str  # pass | warn | fail | unconfirmed | unchecked
    state_label: str  # 合格 / 警告 / 不合格 / 未能确认 / 未检查
    problems: tuple[str, ...]  # finding labels behind the state (2周内未更新 ...)
    reasons: tuple[str, ...]  # the proof, or every source's reason
    sources: tuple[str, ...]


def ordered(judgement: Judgement) -> list[tuple[str, IndicatorResult]]:
    """The judgement's indicators in the order they are shown."""
    rank = {key: position for position, key in enumerate(INDICATOR_ORDER)}
    return sorted(judgement.indicators.items(), key=lambda item: rank.get(item[0], len(rank)))


def lines(judgement: Judgement) -> list[IndicatorLine]:
    return [
        IndicatorLine(
            key=key, label=INDICATOR_LABELS.get(key, key), state=result.state,
            state_label=INDICATOR_STATE_LABELS.get(result.state, result.state),
            problems=tuple(dict.fromkeys(FINDING_LABELS.get(code, code) for code in result.codes)),
            reasons=tuple(result.reasons), sources=tuple(result.sources),
        )
        for key, result in ordered(judgement)
    ]


def problem(line: IndicatorLine) -> str:
    """"内容更新：2周内未更新", "认证主体未能确认（访问受限，需人工核查）"; "" for a met indicator."""
    if line.state in ("fail", "warn"):
        return f"{line.label}：{'、'.join(line.problems)}" if line.problems else f"{line.label}{line.state_label}"
    if line.state == "unconfirmed":
        return f"{line.label}未能确认" + (f"（{'、'.join(line.problems)}）" if line.problems else "")
    return ""


def problems(judgement: Judgement, *, states: tuple[str, ...] = ("fail", "warn", "unconfirmed")) -> list[str]:
    """Each indicator not met, named with its problem, in order: what the 主要问题 column says.

    Falls back to the findings' labels for a run stored before indicators were judged apart."""
    if not judgement.indicators:
        return list(dict.fromkeys(FINDING_LABELS.get(f.code, f.code) for f in judgement.findings))
    said: list[str] = []
    unseen: dict[tuple[str, ...], list[str]] = {}  # one reason, the indicators it left unconfirmed
    for line in lines(judgement):
        if line.state not in states:
            continue
        if line.state == "unconfirmed":
            if line.problems not in unseen:
                unseen[line.problems] = []
                said.append(f"\0{len(unseen) - 1}")  # where the group goes
            unseen[line.problems].append(line.label)
        else:
            said.append(problem(line))
    groups = list(unseen.items())
    for position, part in enumerate(said):
        if part.startswith("\0"):
            reasons, labels = groups[int(part[1:])]
            said[position] = f"{'、'.join(labels)}未能确认" + (f"（{'、'.join(reasons)}）" if reasons else "")
    covered = {code for result in judgement.indicators.values() for code in result.codes}
    # Findings about no indicator shown (a history finding on an indicator left out, say).
    said += [FINDING_LABELS.get(f.code, f.code) for f in judgement.findings
             if not f.note and f.code not in covered and f.severity != "review"]
    return list(dict.fromkeys(part for part in said if part))


def notes(judgement: Judgement) -> list[Finding]:
    """Sources that could not see where others proved what they would have shown."""
    return [f for f in judgement.findings if f.note]


def note_text(judgement: Judgement) -> str:
    """"访问受限（不影响判定）" for the notes, "" when there are none."""
    labels = dict.fromkeys(FINDING_LABELS.get(f.code, f.code).removesuffix("，需人工核查") for f in notes(judgement))
    return f"{'、'.join(labels)}（不影响判定）" if labels else ""


def unconfirmed(judgement: Judgement, required: tuple[str, ...] | list[str] | None = None) -> list[str]:
    """The indicators left 未能确认 (only the `required` ones when given)."""
    return [key for key, result in ordered(judgement)
            if result.state == "unconfirmed" and (required is None or key in required or key == "account")]


def left_unconfirmed(judgement: Judgement, finding: Finding, requires: list[str] | tuple[str, ...]) -> list[str]:
    """The labels of the required indicators a 待复核 finding left 未能确认 (the account's
    existence named only when nothing else is)."""
    keys = [key for key in finding.indicators if key in judgement.indicators
            and judgement.indicators[key].state == "unconfirmed" and key in ("account", *requires)]
    return [INDICATOR_LABELS.get(key, key) for key in ([k for k in keys if k != "account"] or keys)]


def review_reason(judgement: Judgement, finding: Finding, requires: list[str] | tuple[str, ...],
                  message: str | None = None) -> str:
    """"内容更新未能确认：<message>"; the message alone for a run stored without indicators."""
    left = left_unconfirmed(judgement, finding, requires)
    text = finding.message if message is None else message
    return f"{'、'.join(left)}未能确认：{text}" if left else text
