"""Content screening on WeChat and feeds, in a real headless Chromium: album titles and opened
articles are screened; `--content N` opens at most the newest N album articles and feed items."""

from __future__ import annotations

from datetime import datetime

import pytest

from nmaudit.models import Account
from tests.conftest import by_id
from tests.emulator import Reply, html_reply
from tests.test_content_audit import AS_OF, audit
from tests.test_wechat import wechat_account
from tests.wechat_site import Album, Article, WechatSite
from tests.weibo_site import days_before

pytestmark = pytest.mark.browser

BODIES = [
    '<p>年货节开始啦，<a href="https://shop1.youzan.com/v2/goods/88">点击进店</a>，咨询13912345678。</p>',
    "<p>全市冬季供暖工作有序推进。</p>",
    "<p>获奖者身份证号11010519491231002X。</p>",
    "<p>据国家卫生和计划生育委员会通报。</p>",
]
FEED = "https://rsshub.example.org/baoji/feed.xml"


def ago(days: int) -> datetime:
    return days_before(AS_OF, days)


def rss(items: list[tuple[str, str, str, datetime]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><description>{summary}</description><link>{link}</link>"
        f"<pubDate>{posted:%a, %d %b %Y %H:%M:%S +0800}</pubDate></item>" for title, summary, link, posted in items)
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>宝鸡发布</title>{entries}</channel></rss>'


@pytest.fixture(scope="module")
def site(emulator):
    site = WechatSite(emulator)
    album = site.publish("cal", Album([ago(1), ago(2), ago(3), ago(4)]))
    for index, body in enumerate(BODIES):  # the album's item links end in sn=a<album id><index>
        site.publish(f"acal{index}", Article(ago(index + 1), title=f"宝鸡要闻第{index + 1}期", body=body))
    article = site.publish("single", Article(ago(1), body=BODIES[2]))
    emulator.add(FEED, Reply(body=rss([
        ("冬季供暖", "咨询电话 13800138000", "https://www.baoji.gov.cn/art/1.html", ago(1)),
        ("农业农村", "春耕备耕", "https://www.baoji.gov.cn/art/2.html", ago(2)),
    ]), content_type="application/rss+xml; charset=utf-8"))
    emulator.add("https://www.baoji.gov.cn/art/1.html", html_reply(
        "<html><head><title>冬季供暖</title></head><body><h1>冬季供暖</h1><p>咨询电话 13800138000，扫码领取暖气补贴表。</p>"
        "</body></html>"))
    emulator.add("https://www.baoji.gov.cn/art/2.html", html_reply("<html><body>春耕备耕</body></html>"))
    return {"album": album, "article": article}


def accounts(urls: dict[str, str]) -> list[Account]:
    return [
        wechat_account("album", [urls["album"]]),
        wechat_account("article", [urls["article"]]),
        Account(id="feed", name="宝鸡发布", platform="web", owner="宝鸡市人民政府办公室",
                urls=["https://www.baoji.gov.cn/"], feed=FEED),
    ]


def opened(emulator, before: int) -> list[str]:
    return [f"{r.host}{r.path}?{r.query.get('sn', '')}" for r in emulator.requests[before:]
            if (r.host == "mp.weixin.qq.com" and r.path == "/s") or r.path.startswith("/art/")]


def summary(item) -> list[tuple[str, str]]:
    return [(hit.rule, hit.matched) for hit in item.content_hits]


def test_without_content_titles_and_opened_articles_are_screened_and_nothing_more_fetched(site, emulator, tmp_path):
    emulator.add("https://www.baoji.gov.cn/", html_reply("<html><head><title>宝鸡市人民政府</title></head><body>首页</body></html>"))
    before = len(emulator.requests)
    result = by_id(audit(emulator, accounts(site), tmp_path))
    assert opened(emulator, before) == ["mp.weixin.qq.com/s?single"]  # the filed article only, as always
    assert [text.kind for text in result["album"].observation.texts] == ["wechat-album-title"] * 4
    assert summary(result["album"]) == []
    assert summary(result["article"]) == [("id-card", "1101**********002X")]
    assert summary(result["feed"]) == [("mobile", "138****8000")]
    assert result["feed"].content_hits[0].url == "https://www.baoji.gov.cn/art/1.html"


def test_content_opens_the_newest_n_per_account(site, emulator, tmp_path):
    before = len(emulator.requests)
    result = by_id(audit(emulator, accounts(site), tmp_path, content=2))
    assert sorted(opened(emulator, before)) == sorted([
        "mp.weixin.qq.com/s?single", "mp.weixin.qq.com/s?acal0", "mp.weixin.qq.com/s?acal1",
        "www.baoji.gov.cn/art/1.html?", "www.baoji.gov.cn/art/2.html?"])
    album = result["album"]
    assert [text.kind for text in album.observation.texts] == ["wechat-article"] * 2 + ["wechat-album-title"] * 2
    assert summary(album) == [("mobile", "139****5678"), ("ad-link", "https://shop1.youzan.com/v2/goods/88")]
    assert all(hit.url.startswith("http://mp.weixin.qq.com/s?") for hit in album.content_hits)
    assert summary(result["feed"]) == [("mobile", "138****8000"), ("ad-wording", "扫码领取")]
    # The verdicts are what they are without any content. The web page has no extract rules
    # (unsupported), but it opened and the site's own feed dates a post: both indicators the
    # page would have shown are proven, so "unsupported" is a note.
    assert {key: item.judgement.verdict for key, item in result.items()} == {
        "album": "pass", "article": "pass", "feed": "pass"}
    assert [(f.code, f.note) for f in result["feed"].judgement.findings] == [("unsupported", True)]

