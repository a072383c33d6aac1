"""The account's declared feed (RSSHub, a WeChat-to-RSS bridge...): RSS, Atom or JSON Feed.

A feed lists the newest posts, so its newest dated item is a full-list source for the update
check, whatever the platform. Its title is never taken for the account's name: bridges add
suffixes ("平安宝鸡的微博", "... - Powered by RSSHub").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Optional

import feedparser

from ..browser import Fetched
from ..dates import to_beijing
from ..models import Account, Observation
from .base import Fetch, network_problem, note_posts, rate_limited, record_source
from .texts import note_feed_item
from ..html import Document
from .base import decode_html

JSON_FEED_VERSION = "https://jsonfeed.org/version/"
#: RSSHub's error page (both its older and current templates say so).
RSSHUB_ERROR_MARKER = "Looks like something went wrong"
#: Where those templates put the error message: current, then older.
RSSHUB_ERROR_MESSAGE = ("code.details", "pre.message")


@dataclass
class FeedItem:
    published: str = ""  # as written
    updated: str = ""
    published_parsed: Optional[time.struct_time] = None  # feedparser's reading, in UTC
    updated_parsed: Optional[time.struct_time] = None
    title: str = ""  # for content screening (nmaudit.content)
    summary: str = ""
    link: str = ""


@dataclass
class ParsedFeed:
    """What a feed document says, or why it is not one."""

    kind: Literal["ok", "error", "unparsed"]  # error: the feed service says it failed
    message: str = ""
    items: list[FeedItem] = field(default_factory=list)


def parse_feed(fetched: Fetched) -> ParsedFeed:
    """Read a fetched body as JSON Feed, RSS or Atom (feedparser), recognising RSSHub's errors."""
    document = fetched.json()
    if isinstance(document, dict):
        return _json_feed(document)
    parsed = feedparser.parse(fetched.body, response_headers={"content-type": fetched.content_type or ""})
    if parsed.version:
        # dict.get: feedparser's own get() answers "updated" with the published date (with a warning).
        return ParsedFeed("ok", items=[
            FeedItem(dict.get(entry, "published", ""), dict.get(entry, "updated", ""),
                     dict.get(entry, "published_parsed"), dict.get(entry, "updated_parsed"),
                     str(dict.get(entry, "title", "")), str(dict.get(entry, "summary", "")),
                     str(dict.get(entry, "link", "")))
            for entry in parsed.entries
        ])
    page = Document(decode_html(fetched))
    if RSSHUB_ERROR_MARKER in page.source:
        detail = next((found[0] for css in RSSHUB_ERROR_MESSAGE if (found := page.select(css))), "")
        return ParsedFeed("error", f"RSSHub 报错“{detail or RSSHUB_ERROR_MARKER}”")
    shown = f"，页面标题“{page.title}”" if page.title else ""
    return ParsedFeed("unparsed", f"返回的不是RSS/Atom/JSON Feed订阅源（{fetched.content_type or '无类型'}{shown}）")


def _json_feed(document: dict[str, Any]) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (jsonfeed.org): items[].date_published / date_modified, RFC 3339."""
    if "error" in document:  # RSSHub run as a package answers {"error": {"message": ...}}
        error = document["error"]
        message = error.get("message") if isinstance(error, dict) else error
        return ParsedFeed("error", f"服务报错“{message}”")
    if not str(document.get("version", "")).startswith(JSON_FEED_VERSION):
        return ParsedFeed("unparsed", "返回的JSON不是JSON Feed订阅源（缺少 version: https://jsonfeed.org/version/1.1）")
    items = document.get("items")
    if not isinstance(items, list):
        return ParsedFeed("unparsed", "JSON Feed 中没有 items 列表")
    return ParsedFeed("ok", items=[
        FeedItem(str(item.get("date_published") or ""), str(item.get("date_modified") or ""),
                 title=str(item.get("title") or ""),
                 summary=str(item.get("summary") or item.get("content_text") or item.get("content_html") or ""),
                 link=str(item.get("url") or ""))
        for item in items if isinstance(item, dict)
    ])


def feed_time(written: str, parsed: Optional[time.struct_time]) -> Optional[datetime]:
    """A feed date in Beijing time. Read from the text first: feedparser takes a date without a
    zone for UTC (or drops it), while Chinese bridges mean Beijing time. feedparser's reading
    (UTC) covers the exotic formats only it knows."""
    text = written.strip()
    if text:
        for reader in (datetime.fromisoformat, parsedate_to_datetime):
            try:
                return to_beijing(reader(text))  # naive: Beijing time
            except (TypeError, ValueError, IndexError):
                continue
    if parsed is not None:
        return to_beijing(datetime(*parsed[:6], tzinfo=timezone.utc))
    return None


def item_time(item: FeedItem) -> Optional[datetime]:
    """When the item was posted: its published date; updated only when it has no other.
    An edit to an old post is not a new post."""
    return feed_time(item.published, item.published_parsed) or feed_time(item.updated, item.updated_parsed)


async def observe_feed(account: Account, observation: Observation, fetch: Fetch) -> None:
    """Read the account's declared feed, if any; the update indicator is then checked."""
    url = account.feed
    if not url:
        return
    if "update" not in observation.checks:
        observation.checks.append("update")
    fetched = await fetch(url, "feed")
    if fetched.is_download:
        # Served as a download (application/octet-stream): read it from inside a page instead.
        fetched = await fetch.request(url, "feed")
    parsed = parse_feed(fetched) if fetched.body else None
    if parsed is not None and parsed.kind == "error":
        record_source(observation, fetched, "feed", "unreachable")
        status = f"HTTP {fetched.status}，" if fetched.status else ""
        observation.add_signal("unreachable", f"订阅源未能取得内容（{status}{url}）：{parsed.message}", fetched.evidence, indicators=("update",))
        return
    if limited := rate_limited(fetched):
        record_source(observation, fetched, "feed", "blocked")
        observation.add_signal("blocked", f"订阅源：{limited}", fetched.evidence, indicators=("update",))
        return
    if problem := network_problem(fetched):
        record_source(observation, fetched, "feed", "unreachable")
        observation.add_signal("unreachable", f"订阅源{problem}", fetched.evidence, indicators=("update",))
        return
    if (fetched.status or 0) >= 400:
        record_source(observation, fetched, "feed", "unreachable")
        observation.add_signal("unreachable", f"订阅源返回 HTTP {fetched.status}：{url}", fetched.evidence, indicators=("update",))
        return
    if parsed is None or parsed.kind == "unparsed":
        record_source(observation, fetched, "feed", "unparsed")
        reason = parsed.message if parsed else "返回内容为空"
        observation.add_signal("unparsed", f"订阅源无法解析（{url}）：{reason}", fetched.evidence, indicators=("update",))
        return
    _read_items(parsed.items, fetched, observation)


def _read_items(items: list[FeedItem], fetched: Fetched, observation: Observation) -> None:
    source = record_source(observation, fetched, "feed")
    if not items:
        source.outcome = "unparsed"
        observation.add_signal("unparsed", f"订阅源为空，无法确认更新：{fetched.url}", fetched.evidence, indicators=("update",))
        return
    for item in items:
        note_feed_item(observation, item.title, item.summary, item.link, item_time(item), fetched.url)
    dated = [moment for item in items if (moment := item_time(item)) is not None]
    if not dated:
        source.outcome = "unparsed"
        observation.add_signal(
            "unparsed", f"订阅源中{len(items)}个条目都没有可识别的发布时间：{fetched.url}", fetched.evidence, indicators=("update",))
        return
    # An undated item might be the newest: then the feed gives a lower bound only.
    note_posts(observation, dated, fetched.url, lists_newest=len(dated) == len(items))
