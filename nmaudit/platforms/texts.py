"""The texts adapters see (posts, album titles, articles), kept for content screening.

Adapters call one function here where they already read a page; nothing is fetched for it.
With `--content N`, `read_newest` opens the newest N texts seen only as a title or an excerpt,
through the same paced browser fetch as every other request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional
from urllib.parse import urlencode, urlsplit

from ..browser import Fetched
from ..dates import from_unix, parse_post_time
from ..html import Document
from ..models import Observation, SeenText
from .base import Fetch, decode_html, network_problem, record_source

#: Texts kept per observation: a page of posts is far fewer; a runaway page must not bloat the store.
MAX_TEXTS = 200
#: Characters kept per text (a long article is screened whole up to this).
MAX_CHARS = 50_000


def note_text(observation: Observation, kind: str, text: str, *, url: Optional[str] = None,
              title: Optional[str] = None, source: Optional[str] = None, posted_at: Optional[datetime] = None,
              links: Optional[list[str]] = None, full: bool = True) -> None:
    """Keep one text seen (blank ones and repeats of the same text at the same address skipped)."""
    text = (text or "").strip()[:MAX_CHARS]
    if not text or len(observation.texts) >= MAX_TEXTS:
        return
    if any(seen.text == text and seen.url == url for seen in observation.texts):
        return
    observation.texts.append(SeenText(kind=kind, text=text, url=url, title=title, source=source,
                                      posted_at=posted_at, links=list(dict.fromkeys(links or [])), full=full))


def html_text(fragment: str) -> tuple[str, list[str]]:
    """The visible text of an HTML fragment, a line per block (paragraph, `<br>`), and the links in it."""
    document = Document(f"<div>{fragment}</div>")
    root = next((element for element in document.elements if element.tag == "div"), None)
    text = root.text(lines=True) if root is not None else ""
    return text, [href for href in document.select("a", "href") if href.startswith(("http://", "https://"))]


# -- Weibo ---------------------------------------------------------------------------------------

WEIBO_DETAIL = "https://m.weibo.cn/detail/"
WEIBO_EXTEND = "https://m.weibo.cn/statuses/extend"


def note_weibo_post(observation: Observation, post: dict[str, Any], fetched: Fetched) -> None:
    """A post of the m.weibo.cn list: its text, or the whole of a long post when the list carries it."""
    long_text = post.get("longText") if isinstance(post.get("longText"), dict) else {}
    whole = long_text.get("longTextContent") if isinstance(long_text.get("longTextContent"), str) else None
    text, links = html_text(whole or str(post.get("text") or ""))
    try:
        posted_at: Optional[datetime] = parse_post_time(str(post.get("created_at") or ""), fetched.fetched_at)
    except ValueError:
        posted_at = None
    mid = str(post.get("mid") or post.get("id") or "")
    note_text(observation, "weibo-post", text, url=f"{WEIBO_DETAIL}{mid}" if mid.isdigit() else None,
              source=fetched.url, posted_at=posted_at, links=links,
              full=bool(whole) or not post.get("isLongText"))


# -- WeChat --------------------------------------------------------------------------------------


def note_wechat_album(observation: Observation, document: Document, source: str) -> None:
    """The album's items: titles only (the articles are opened with `--content`)."""
    for item in (e for e in document.elements if e.tag == "li" and "data-link" in e.attrs):
        title = item.attrs.get("data-title") or item.text()
        stamps = [e.text() for e in item.descendants()
                  if "js_article_create_time" in e.attrs.get("class", "").split()]
        posted = from_unix(stamps[0]) if stamps and stamps[0].isdigit() else None
        note_text(observation, "wechat-album-title", title, url=item.attrs["data-link"] or None, title=title,
                  source=source, posted_at=posted, full=False)


def note_wechat_list(observation: Observation, items: list[Any], source: str) -> None:
    """The custom homepage's list (appmsg_list): titles and digests."""
    for item in items:
        if not isinstance(item, dict):
            continue
        title, digest = str(item.get("title") or ""), str(item.get("digest") or "")
        stamp = str(item.get("sendtime") or "")
        note_text(observation, "wechat-list-item", f"{title}\n{digest}".strip(), url=str(item.get("link") or "") or None,
                  title=title or None, source=source, posted_at=from_unix(stamp) if stamp.isdigit() else None,
                  full=False)


def wechat_article(document: Document) -> tuple[str, str, list[str]]:
    """An article page's title, body text (a line per paragraph) and the links in its body."""
    title = next(iter(document.select("#activity-name")), "") or document.title
    body = "\n".join(element.text(lines=True) for element in document.select_elements("#js_content"))
    links = [href for href in document.select("#js_content a", "href") if href.startswith(("http://", "https://"))]
    return title.strip(), body, links


def note_wechat_article(observation: Observation, document: Document, url: str,
                        posted_at: Optional[datetime]) -> None:
    title, body, links = wechat_article(document)
    note_text(observation, "wechat-article", f"{title}\n{body}" if title else body, url=url, title=title or None,
              source=url, posted_at=posted_at, links=links)


# -- feeds ---------------------------------------------------------------------------------------


def note_feed_item(observation: Observation, title: str, summary: str, link: Optional[str],
                   posted_at: Optional[datetime], source: str) -> None:
    """A feed item's title and summary (an excerpt: `--content` may open its link)."""
    text, links = html_text(summary or "")
    if text.strip() == title.strip():  # bridges often repeat the title as the summary
        text = ""
    note_text(observation, "feed-item", f"{title}\n{text}".strip(), url=link or None, title=title or None,
              source=source, posted_at=posted_at, links=links, full=False)


# -- `--content N`: opening the newest texts seen only in part -------------------------------------


def _target(seen: SeenText) -> tuple[str, str]:
    """What to fetch for a text, and its evidence label."""
    host = urlsplit(seen.url or "").hostname or ""
    if seen.kind == "weibo-post" and seen.url and seen.url.startswith(WEIBO_DETAIL):
        return f"{WEIBO_EXTEND}?{urlencode({'id': seen.url[len(WEIBO_DETAIL):]})}", "content-weibo-long-text"
    if host == "mp.weixin.qq.com":
        # Album and list links are written http://; the platform serves articles over https.
        url = "https://" + seen.url.split("://", 1)[1] if seen.url and seen.url.startswith("http://") else seen.url
        return url or "", "content-wechat-article"
    return seen.url or "", "content-page"


def _whole_text(seen: SeenText, fetched: Fetched) -> Optional[tuple[str, list[str]]]:
    """The whole text from what came back, or None when it holds none."""
    if network_problem(fetched) or (fetched.status or 0) >= 400:
        return None
    if seen.kind == "weibo-post":
        document = fetched.json()
        data = document.get("data") if isinstance(document, dict) and document.get("ok") == 1 else None
        content = data.get("longTextContent") if isinstance(data, dict) else None
        return html_text(content) if isinstance(content, str) and content.strip() else None
    document = Document(decode_html(fetched))
    title, body, links = wechat_article(document)
    if not body:
        # Another site's article page: what a reader sees of it.
        body = "\n".join(element.text(lines=True) for element in document.elements if element.tag == "body")
        links = [href for href in document.select("body a", "href") if href.startswith(("http://", "https://"))]
    if not body.strip():
        return None
    return (f"{title}\n{body}" if title else body), links


async def read_newest(observation: Observation, fetch: Fetch, limit: int) -> int:
    """Open the newest `limit` texts seen only as a title or an excerpt, and keep their whole
    text in place of the excerpt. Returns how many were fetched (never more than `limit`)."""
    if limit <= 0:
        return 0
    partial = [seen for seen in observation.texts if not seen.full and seen.url
               and urlsplit(seen.url).scheme in ("http", "https")]
    whole_at = {seen.url for seen in observation.texts if seen.full and seen.url}
    partial = [seen for seen in partial if seen.url not in whole_at]
    partial.sort(key=lambda seen: seen.posted_at.timestamp() if seen.posted_at else float("-inf"), reverse=True)
    fetched_count = 0
    opened: set[str] = set()
    for seen in partial:
        if fetched_count >= limit:
            break
        url, label = _target(seen)
        if url in opened:  # two items linking to one page: opened once
            continue
        opened.add(url)
        fetched = await fetch(url, label)
        fetched_count += 1
        whole = _whole_text(seen, fetched)
        record_source(observation, fetched, label, "ok" if whole else "unparsed")
        if whole is not None:
            text, links = whole
            seen.text, seen.full = text.strip()[:MAX_CHARS], True
            seen.links = list(dict.fromkeys([*seen.links, *links]))
            if seen.kind == "wechat-album-title":
                seen.kind = "wechat-article"
    return fetched_count
