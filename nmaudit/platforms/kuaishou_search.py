"""Finding a Kuaishou account filed by its 快手号 alone (a number or one the owner chose),
through Kuaishou's own web user search.

No real capture of this page exists in ../shared/real-pages; what follows is what public
scrapers' source shows of it, and nothing more is assumed. The 用户 tab
``https://www.kuaishou.com/search/author?searchKey=<keyword>`` is rendered by its script, which
signs its calls like the profile page (kuaishou.py) and POSTs the GraphQL operation
``graphqlSearchUser`` → ``data.visionSearchUser`` {``result`` 1, ``users[]`` {``user_id`` (the
userId of the profile URL, 3x…), ``user_name``, ``user_text``, ``verified``, ``verifiedDetail``
{``description``}, ``fansCount``, ``photoCount``}, ``pcursor``, ``searchSessionId``}. A result
other than 1 (400002: a captcha), an ``errors`` array or a null answer refuses the visitor.

A result does not show the 快手号 itself. So a user is taken only when the result shows the
filed identity: its ``user_id`` is the filed 快手号 (a 快手号 may be the userId), or it is the
only user of the search for that 快手号 whose name is exactly the filed name (normalised); two
facts agreeing, never the first result blindly. The profile is then read as any other, and its
name judged as usual. A wall halts the search for the run on that endpoint (lookup.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import quote

from ..browser import Fetched
from ..models import Account, Observation
from ..rules import normalise
from .base import Fetch, network_problem, record_source
from .loaded import json_of, page_problem
from .lookup import halt_search, halted_search

SEARCH_OP = "graphqlSearchUser"
#: capture() pattern: the GraphQL URL, then the operation its POST body names (browser.asks_for).
SEARCH_CALL = rf'(?s)kuaishou\.com/graphql\b.*"operationName"\s*:\s*"{SEARCH_OP}"'
#: The pacer's key for the search alone (profiles filed by link are still read after a wall).
SEARCH_KEY = "www.kuaishou.com/search"
LABEL = "快手用户搜索"
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class SearchUser:
    """One user of ``visionSearchUser.users``, as the 用户 tab shows it."""

    user_id: str
    user_name: str
    verification: str  # verifiedDetail.description; "" for none

    def describe(self) -> str:
        verified = f"，认证：{self.verification}" if self.verification else ""
        return f"{self.user_name or '（无名称）'}（用户ID {self.user_id}{verified}）"


def search_url(keyword: str) -> str:
    """The 用户 tab of Kuaishou's search for `keyword`."""
    return f"https://www.kuaishou.com/search/author?searchKey={quote(keyword.strip(), safe='')}"


def profile_url(user: SearchUser) -> str:
    return f"https://www.kuaishou.com/profile/{quote(user.user_id, safe='')}"


def search_users(document: Any) -> Optional[list[SearchUser]]:
    """The users an answer lists; None when it refuses the visitor (errors, a null answer,
    result ≠ 1) or is not a search answer."""
    if not isinstance(document, dict) or document.get("errors"):
        return None
    data = document.get("data")
    answer = data.get("visionSearchUser") if isinstance(data, dict) else None
    if not isinstance(answer, dict) or answer.get("result") != 1:
        return None
    listed = answer.get("users") or []
    if not isinstance(listed, list):
        return None
    users = []
    for entry in listed:
        if not isinstance(entry, dict) or not str(entry.get("user_id") or "").strip():
            continue
        detail = entry.get("verifiedDetail") if isinstance(entry.get("verifiedDetail"), dict) else {}
        users.append(SearchUser(str(entry["user_id"]).strip(), str(entry.get("user_name") or "").strip(),
                                str(detail.get("description") or "").strip()))
    return users


def refusal(answer: Fetched) -> str:
    """Why an answer that lists no users refused the visitor, as staff read it."""
    if (answer.status or 0) >= 400:
        return f"HTTP {answer.status}"
    document = json_of(answer)
    if not isinstance(document, dict):
        return f"HTTP {answer.status}，{'空响应' if not answer.body else '非JSON响应'}"
    errors = document.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0].get("message") if isinstance(errors[0], dict) else errors[0]
        return f"GraphQL errors：{first}"
    data = document.get("data") if isinstance(document.get("data"), dict) else {}
    answer_data = data.get("visionSearchUser")
    if not isinstance(answer_data, dict):
        return "data.visionSearchUser 为空"
    return f"visionSearchUser result {answer_data.get('result')}"


def search_match(users: list[SearchUser], kuaishou_id: str, name: str) -> tuple[Optional[SearchUser], str]:
    """The user the search shows to be the filed one, and how: its user_id is the filed 快手号,
    else it is the only user named exactly the filed name; (None, "") otherwise."""
    filed = kuaishou_id.strip().casefold()
    for user in users:
        if user.user_id.casefold() == filed:
            return user, "用户ID与快手号一致"
    named = {user.user_id: user for user in users if normalise(user.user_name) == normalise(name)}
    if len(named) == 1:
        return next(iter(named.values())), "名称与登记名称完全一致"
    return None, ""


async def find_profile(account: Account, observation: Observation, fetch: Fetch) -> Optional[str]:
    """The profile URL of the account filed by its 快手号, found through Kuaishou's user search;
    None (with the reason as a signal) when the search cannot show it."""
    kuaishou_id = (account.ids.kuaishou or "").strip()
    if halted_search(SEARCH_KEY, LABEL, f"快手号 {kuaishou_id}", observation, fetch):
        return None
    url = search_url(kuaishou_id)
    page = await fetch.capture(url, "kuaishou-search", [SEARCH_CALL])
    if page_problem(page, "kuaishou-search", observation):
        if observation.sources[-1].outcome == "blocked":
            halt_search(SEARCH_KEY, LABEL, "出现验证码或登录页面", account, observation, fetch,
                        observation.sources[-1].evidence)
        return None
    source = record_source(observation, page, "kuaishou-search")
    answers = page.captured
    for answer in answers[:1]:
        if problem := network_problem(answer):
            record_source(observation, answer, "kuaishou-search-results", "unreachable")
            source.outcome = "unreachable"
            observation.add_signal("unreachable", f"快手用户搜索未返回结果（{problem}）", page.evidence + answer.evidence)
            return None
    listed = [(answer, users) for answer in answers if (users := search_users(json_of(answer))) is not None]
    for answer in answers[:1]:
        record_source(observation, answer, "kuaishou-search-results", "ok" if listed else "blocked")
    if not listed:
        source.outcome = "blocked"
        why = f"搜索请求被拒绝（{refusal(answers[0])}）" if answers else "页面未加载搜索结果，可能要求验证或登录"
        evidence = page.evidence + (answers[0].evidence if answers else [])
        observation.add_signal("blocked", f"快手用户搜索“{kuaishou_id}”未能完成：{why}，需人工核查：{url}", evidence)
        halt_search(SEARCH_KEY, LABEL, why, account, observation, fetch, evidence)
        return None
    users = list(dict.fromkeys(user for _, users in listed for user in users))
    found, how = search_match(users, kuaishou_id, account.name)
    if found is None:
        shown = "；".join(user.describe() for user in users[:MAX_CANDIDATES]) or "无结果"
        more = f"等 {len(users)} 个" if len(users) > MAX_CANDIDATES else ""
        observation.add_signal(
            "not-found", f"快手用户搜索“{kuaishou_id}”未找到用户ID为该快手号或名称为“{account.name}”的唯一账号"
                         f"（可能已改快手号、改名、注销或未被收录），需人工核查或在登记表中填写主页链接。搜索结果：{shown}{more}",
            page.evidence + listed[0][0].evidence)
        return None
    observation.identified_by = f"快手用户搜索“{kuaishou_id}”：{found.describe()}，{how}"
    return profile_url(found)
