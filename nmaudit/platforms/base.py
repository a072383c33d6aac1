"""What every platform adapter is, and the classification helpers they share."""

from __future__ import annotations

import re
from typing import Awaitable, Callable, Protocol

from ..browser import Fetched
from ..models import Account, Indicator, Observation, SourceRecord

#: Bound to one worker's page and one account's evidence folder by the audit loop.
Fetch = Callable[[str, str], Awaitable[Fetched]]


class Adapter(Protocol):
    platform: str
    #: The indicators this adapter can check from public pages.
    checks: tuple[Indicator, ...]
    #: What it cannot see publicly, for staff to check by hand.
    unchecked: tuple[Indicator, ...]

    def hosts(self, account: Account) -> list[str]:
        """Hosts the adapter will request, so the scheduler can avoid paced ones."""

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        """Fill in `observation` from the account's public pages."""


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def page_title(fetched: Fetched) -> str:
    match = _TITLE.search(fetched.text)
    return match.group(1).strip() if match else ""


def network_problem(fetched: Fetched) -> str | None:
    """A message when nothing usable came back at all: network error or 5xx after retries."""
    if fetched.error:
        return f"无法访问 {fetched.url}：{fetched.error}（共尝试{fetched.attempts}次）"
    if fetched.status is not None and fetched.status >= 500:
        return f"服务器错误 HTTP {fetched.status}：{fetched.url}（共尝试{fetched.attempts}次）"
    return None


def record_source(observation: Observation, fetched: Fetched, kind: str, outcome: str = "ok") -> SourceRecord:
    source = SourceRecord(
        kind=kind,
        url=fetched.url,
        final_url=fetched.final_url if fetched.final_url != fetched.url else None,
        status=fetched.status,
        fetched_at=fetched.fetched_at,
        outcome=outcome,
        attempts=fetched.attempts,
        evidence=list(fetched.evidence),
    )
    observation.sources.append(source)
    observation.evidence.extend(fetched.evidence)
    return source
