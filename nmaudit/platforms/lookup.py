"""What the searches that find an account filed by its id share (Douyin, Kuaishou, Toutiao):
a search that met a wall is asked nothing more in the run on that endpoint (the pacer's halt,
keyed by the search, not the host), and the accounts after it are deferred for
``audit --resume``.
"""

from __future__ import annotations

from ..models import Account, Observation
from .base import Fetch


def halted_search(key: str, label: str, filed: str, observation: Observation, fetch: Fetch) -> bool:
    """True (with the reason as a signal, the account deferred) when `key`'s search is halted."""
    halt = fetch.halted(key)
    if halt is None:
        return False
    observation.deferred.append(key)
    observation.add_signal(
        "blocked", f"{label}已在本次检查中停止使用（{halt.reason}），本账号（{filed}）未经查找；"
                   "稍后可用 nmaudit audit --resume 或 nmaudit recheck 补查", halt.evidence)
    return True


def halt_search(key: str, label: str, why: str, account: Account, observation: Observation, fetch: Fetch,
                evidence: list[str]) -> None:
    """Stop `key`'s search for the run on this endpoint; this account is done again on --resume."""
    observation.deferred.append(key)
    fetch.halt(key, f"{label}{why}，账号 {account.id} 检查时出现", evidence)
