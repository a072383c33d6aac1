"""What every platform adapter is, and the classification helpers they share."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from ..browser import Fetched, HostHalt
from ..models import Account, Indicator, Observation, SourceRecord

class Fetch(Protocol):
    """The browser, bound to one worker's page and one account's evidence by the audit loop.

    `fetch(url, label)` navigates (viewport JPEG + body kept); `fetch.request(...)` runs
    fetch() inside the page on the URL's origin (POSTs, JSON that comes as an attachment);
    `fetch.download(...)` follows a download link and reads only its first bytes.
    """

    async def __call__(self, url: str, label: str) -> Fetched: ...

    async def request(self, url: str, label: str, *, method: str = "GET", data: str | None = None,
                      headers: dict[str, str] | None = None, max_bytes: int | None = None) -> Fetched: ...

    async def capture(self, url: str, label: str, patterns: list[str], *, also: list[str] | None = None,
                      wait: float = 8.0, keep_dom: bool = False) -> Fetched:
        """Open a page as a person would and keep the answers its own scripts fetch whose URL
        matches `patterns` (Fetched.captured), waiting at most `wait` seconds for them; the
        screenshot shows the page as rendered."""

    async def download(self, url: str, label: str, max_bytes: int = 64 * 1024) -> Fetched:
        """Follow a download link like a click (redirects across hosts), read only its first bytes."""

    def discard(self, fetched: Fetched) -> None:
        """Delete the evidence of a page that was not used (another source was read instead)."""

    def halt(self, host: str, reason: str, evidence: list[str]) -> None:
        """Ask `host` nothing more in this run (it showed a captcha wall)."""

    def halted(self, host: str) -> HostHalt | None:
        """Why `host` is no longer asked in this run, if it is not."""


class Adapter(Protocol):
    platform: str
    #: Where it looks, for staff (nmaudit platforms).
    sources: str
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


#: Rate limits: 429, and what Weibo and other platforms answer instead (418, 432), often with
#: an empty body. They say "not now", never "no such page".
RATE_LIMIT_STATUSES = frozenset({418, 429, 432})

#: Chromium's network errors as staff read them; the code itself is kept beside.
NETWORK_ERRORS = {
    "ERR_CONNECTION_RESET": "连接被重置",
    "ERR_CONNECTION_CLOSED": "连接被关闭",
    "ERR_CONNECTION_ABORTED": "连接中断",
    "ERR_CONNECTION_REFUSED": "连接被拒绝",
    "ERR_EMPTY_RESPONSE": "服务器未返回任何内容",
    "ERR_TIMED_OUT": "超时",
    "ERR_CONNECTION_TIMED_OUT": "连接超时",
    "ERR_NAME_NOT_RESOLVED": "域名无法解析",
    "ERR_TOO_MANY_REDIRECTS": "重定向次数过多",
    "ERR_INCOMPLETE_CHUNKED_ENCODING": "内容未传输完整",
    "ERR_CONTENT_LENGTH_MISMATCH": "内容未传输完整",
    "ERR_HTTP2_PROTOCOL_ERROR": "连接协议错误",
    "ERR_SSL_PROTOCOL_ERROR": "加密连接失败",
    "ERR_CERT_AUTHORITY_INVALID": "证书不受信任",
}
_NET_ERROR = re.compile(r"net::(ERR_[A-Z0-9_]+)")


def rate_limited(fetched: Fetched) -> str | None:
    """A message when the platform answered with a rate limit (after retries): `blocked`,
    whatever the body says, never a missing page."""
    if fetched.status in RATE_LIMIT_STATUSES:
        return f"平台限制访问频率（HTTP {fetched.status}，共尝试{fetched.attempts}次）：{fetched.url}"
    return None


def describe_error(error: str) -> str:
    """A network error as it came, with what it means for staff: "...net::ERR_CONNECTION_RESET
    at https://...（连接被重置）"; a timeout says so."""
    match = _NET_ERROR.search(error)
    if match and match.group(1) in NETWORK_ERRORS:
        return f"{error}（{NETWORK_ERRORS[match.group(1)]}）"
    if error.startswith("timeout after"):
        return f"{error}（超时）"
    return error


def network_problem(fetched: Fetched) -> str | None:
    """A message when nothing usable came back at all: network error or 5xx after retries."""
    if fetched.error:
        return f"无法访问 {fetched.url}：{describe_error(fetched.error)}（共尝试{fetched.attempts}次）"
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


#: Post times kept per listing source (for the longest gap); a page of posts is far fewer.
MAX_LISTED_POSTS = 200


def note_posts(observation: Observation, moments: list[datetime], source_url: str, lists_newest: bool,
               out_of_order: list[datetime] | None = None) -> None:
    """Combine what several sources saw: the newest post is the newest any source saw, and
    idleness is provable once any source that lists the newest posts was read.

    `out_of_order` posts (pinned ones) count as posts, but stand outside the run of
    consecutive posts, so they take no part in measuring gaps."""
    every = [*moments, *(out_of_order or [])]
    if not every:
        return
    observation.posts_seen += len(every)
    newest = max(every)
    if observation.newest_post_at is None or newest > observation.newest_post_at:
        observation.newest_post_at = newest
        observation.newest_post_source = source_url
    observation.newest_post_lists_newest = observation.newest_post_lists_newest or lists_newest
    if lists_newest and moments:
        listed = observation.listed_posts.setdefault(source_url, [])
        listed.extend(moments)
        listed[:] = sorted(set(listed), reverse=True)[:MAX_LISTED_POSTS]


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def decode_html(fetched: Fetched) -> str:
    """The body as text. Chromium hands over a navigated HTML page re-encoded as UTF-8 when it
    decoded it by a declared charset (measured: a GBK page with <meta charset=gbk> arrives as
    UTF-8), but the bytes as sent when nothing was declared, and in-page requests are raw. So:
    UTF-8 when the bytes are UTF-8, else the declared charset, else GB18030 (county sites
    still serve GBK undeclared)."""
    try:
        return fetched.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    header = _HEADER_CHARSET.search(fetched.content_type or "")
    meta = _META_CHARSET.search(fetched.body[:4096])
    charset = header.group(1) if header else meta.group(1).decode("ascii") if meta else "gb18030"
    try:
        return fetched.body.decode(charset)
    except LookupError:  # a charset Python does not know
        return fetched.body.decode("gb18030", errors="replace")
    except UnicodeDecodeError:  # declared wrongly (weibo.com's GBK "sorry" pages say utf-8)
        try:
            return fetched.body.decode("gb18030")
        except UnicodeDecodeError:
            return fetched.body.decode(charset, errors="replace")
