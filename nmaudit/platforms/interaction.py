"""The declared interaction page (留言/咨询): does it open?"""

from __future__ import annotations

from ..models import Account, Observation
from .base import Fetch, network_problem, page_title, rate_limited, record_source

#: Pages that answer 200 but say the page is gone (soft 404s on government sites).
SOFT_404_TITLES = ("404", "页面不存在", "找不到", "页面未找到", "Not Found")
#: Statuses that say the page itself is not there.
GONE_STATUSES = frozenset({404, 410})
INTERACTION = ("interaction",)


async def check_interaction(account: Account, observation: Observation, fetch: Fetch) -> None:
    url = account.interaction
    if not url:
        return
    observation.interaction_url = url
    observation.checks.append("interaction")
    fetched = await fetch(url, "interaction")
    if limited := rate_limited(fetched):  # "not now" says nothing about the page: never no-interaction
        record_source(observation, fetched, "interaction", "blocked")
        observation.add_signal("blocked", f"互动页面：{limited}", fetched.evidence, INTERACTION)
        return
    if problem := network_problem(fetched):
        record_source(observation, fetched, "interaction", "unreachable")
        observation.add_signal("unreachable", f"互动页面{problem}", fetched.evidence, INTERACTION)
        return
    status = fetched.status or 0
    title = page_title(fetched)
    if 400 <= status < 500 and status not in GONE_STATUSES:
        # 401/403/407...: this visitor was refused (a site firewall, a proxy): not the page's absence.
        record_source(observation, fetched, "interaction", "blocked")
        observation.add_signal("blocked", f"互动页面拒绝访问（HTTP {status}），不能据此认定互动功能无法使用：{url}",
                               fetched.evidence, INTERACTION)
        return
    if status in GONE_STATUSES or any(marker in title for marker in SOFT_404_TITLES):
        record_source(observation, fetched, "interaction", "unavailable")
        observation.interaction_ok = False
        reason = f"HTTP {status}" if status >= 400 else f"页面提示“{title}”"
        observation.add_signal("no-interaction", f"报备的互动页面无法使用（{reason}）：{url}", fetched.evidence,
                               INTERACTION)
        return
    record_source(observation, fetched, "interaction")
    observation.interaction_ok = True
