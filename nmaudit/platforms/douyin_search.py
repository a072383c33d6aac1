"""Finding a Douyin account filed by its 抖音号 alone, through Douyin's own web user search.

No real capture of this page exists in ../shared/real-pages; what follows is what public
scrapers' source shows of it, and nothing more is assumed. The 用户 tab
``https://www.douyin.com/search/<keyword>?type=user`` is rendered by its script, which signs
(``a_bogus``, ``msToken``, cookie ``ttwid``) and calls ``/aweme/v1/web/discover/search/``
(``search_channel=aweme_user_web``) → ``{"status_code": 0, "user_list": [{"user_info": {"uid",
"nickname", "unique_id", "short_id", "sec_uid", "custom_verify", "enterprise_verify_reason",
...}}], "has_more", "cursor"}``. ``unique_id`` is the 抖音号 a person sees; it is "" for a user who
never set one, whose 抖音号 is then the numeric ``short_id``. Cookieless visitors are soon shown
a login panel or the 验证码中间页, and the call may answer an empty body or a non-zero
``status_code`` (2483 "请登录后再试"): any of these refuses the visitor.

The policy is Sogou's (wechat.py): a result is taken only when it shows the filed 抖音号
(case and surrounding spaces aside); never the first result blindly, since anyone can take a
look-alike name. A wall halts the search for the rest of the run on that endpoint (the pacer's
halt, keyed ``SEARCH_KEY``), and the accounts after it are deferred for ``audit --resume``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import quote

from ..browser import Fetched
from ..models import Account, Observation
from .base import Fetch, network_problem, record_source
from .loaded import REFUSED_STATUSES, json_of, loaded, page_problem
from .lookup import halt_search, halted_search

SEARCH_CALL = r"/aweme/v1/web/discover/search/"
#: What the pacer halts when the search meets a wall: the search alone, not Douyin's profiles
#: (an account filed by its link is still read). Not a host name; it reads as one to staff.
SEARCH_KEY = "www.douyin.com/search"
LABEL = "抖音用户搜索"
#: Candidates named in a not-found finding.
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class SearchUser:
    """One user of the search's ``user_list``, as the 用户 tab shows it."""

    nickname: str
    unique_id: str  # the 抖音号 a person set; "" when never set
    short_id: str  # the numeric 抖音号 shown when unique_id is ""
    sec_uid: str
    verification: str  # custom_verify or enterprise_verify_reason; "" for none

    @property
    def douyin_id(self) -> str:
        """The 抖音号 a person sees on the result."""
        return self.unique_id or self.short_id

    def describe(self) -> str:
        facts = [f"抖音号 {self.douyin_id}" if self.douyin_id else "未显示抖音号",
                 f"认证：{self.verification}" if self.verification else ""]
        return f"{self.nickname or '（无昵称）'}（{'，'.join(fact for fact in facts if fact)}）"


def search_url(douyin_id: str) -> str:
    """The 用户 tab of Douyin's search for `douyin_id`."""
    return f"https://www.douyin.com/search/{quote(douyin_id.strip(), safe='')}?type=user"


def profile_url(user: SearchUser) -> str:
    return f"https://www.douyin.com/user/{quote(user.sec_uid, safe='')}"


def search_users(document: Any) -> Optional[list[SearchUser]]:
    """The users an answer lists; None when the answer refuses the visitor (not JSON, an empty
    body, a non-zero status_code) or is not a search answer."""
    if not isinstance(document, dict) or document.get("status_code") != 0:
        return None
    listed = document.get("user_list")
    if listed is None:
        return []  # nothing found: Douyin leaves the list out
    if not isinstance(listed, list):
        return None
    users = []
    for entry in listed:
        info = entry.get("user_info") if isinstance(entry, dict) else None
        if not isinstance(info, dict):
            continue
        short_id = str(info.get("short_id") or "").strip()
        users.append(SearchUser(
            nickname=str(info.get("nickname") or "").strip(),
            unique_id=str(info.get("unique_id") or "").strip(),
            short_id="" if short_id == "0" else short_id,
            sec_uid=str(info.get("sec_uid") or "").strip(),
            verification=str(info.get("custom_verify") or info.get("enterprise_verify_reason") or "").strip()))
    return users


def search_match(users: list[SearchUser], douyin_id: str) -> Optional[SearchUser]:
    """The user showing the filed 抖音号 (its unique_id, else its short_id), or None."""
    filed = douyin_id.strip().casefold()
    for field in ("unique_id", "short_id"):
        found = [user for user in users if user.sec_uid and getattr(user, field).casefold() == filed]
        if found:
            return found[0]
    return None


def refusal(answer: Fetched) -> str:
    """Why an answer that lists no users refused the visitor, as staff read it."""
    if answer.status in REFUSED_STATUSES:
        return f"HTTP {answer.status}"
    document = json_of(answer)
    if isinstance(document, dict):
        message = str(document.get("status_msg") or "").strip()
        return f"status_code {document.get('status_code')}" + (f"，{message}" if message else "")
    return f"HTTP {answer.status}，{'空响应' if not answer.body else '非JSON响应'}"


async def find_profile(account: Account, observation: Observation, fetch: Fetch) -> Optional[str]:
    """The profile URL of the account filed by its 抖音号, found through Douyin's user search;
    None (with the reason as a signal) when the search cannot show it."""
    douyin_id = (account.ids.douyin or "").strip()
    if halted_search(SEARCH_KEY, LABEL, f"抖音号 {douyin_id}", observation, fetch):
        return None
    url = search_url(douyin_id)
    page = await fetch.capture(url, "douyin-search", [SEARCH_CALL])
    if page_problem(page, "douyin-search", observation):
        if observation.sources[-1].outcome == "blocked":  # a wall: every further search makes it worse
            _halt(account, observation, fetch, observation.sources[-1].evidence)
        return None
    source = record_source(observation, page, "douyin-search")
    answers = loaded(page, SEARCH_CALL)
    for answer in answers[:1]:
        if problem := network_problem(answer):
            record_source(observation, answer, "douyin-search-results", "unreachable")
            source.outcome = "unreachable"
            observation.add_signal("unreachable", f"抖音用户搜索未返回结果（{problem}）", page.evidence + answer.evidence)
            return None
    listed = [(answer, users) for answer in answers if (users := search_users(json_of(answer))) is not None]
    for answer in answers[:1]:
        record_source(observation, answer, "douyin-search-results", "ok" if listed else "blocked")
    if not listed:
        source.outcome = "blocked"
        why = f"搜索请求被拒绝（{refusal(answers[0])}）" if answers else "页面未加载搜索结果，可能要求登录"
        evidence = page.evidence + (answers[0].evidence if answers else [])
        observation.add_signal("blocked", f"抖音用户搜索“{douyin_id}”未能完成：{why}，需人工核查：{url}", evidence)
        _halt(account, observation, fetch, evidence, why)
        return None
    users = list(dict.fromkeys(user for _, users in listed for user in users))
    found = search_match(users, douyin_id)
    if found is None:
        shown = "；".join(user.describe() for user in users[:MAX_CANDIDATES]) or "无结果"
        more = f"等 {len(users)} 个" if len(users) > MAX_CANDIDATES else ""
        observation.add_signal(
            "not-found", f"抖音用户搜索“{douyin_id}”未找到显示该抖音号的账号（可能已改抖音号、注销或未被收录），"
                         f"需人工核查或在登记表中填写主页链接。搜索结果：{shown}{more}",
            page.evidence + listed[0][0].evidence)
        return None
    observation.identified_by = f"抖音用户搜索“{douyin_id}”：{found.describe()}，抖音号一致"
    return profile_url(found)


def _halt(account: Account, observation: Observation, fetch: Fetch, evidence: list[str],
          why: str = "出现验证码或登录页面") -> None:
    halt_search(SEARCH_KEY, LABEL, why, account, observation, fetch, evidence)
